"""pretrend_power (Roth 2022): He & Wang (2017) reference, closed forms, Monte Carlo."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from did_zones.errors import SpecificationError
from did_zones.result import Result
from did_zones.robustness.power import PretrendPower, pretrend_power

REF = Path(__file__).parent / "reference"


def make_result(beta, sigma, t, method="event_study"):
    keys = pd.DataFrame({"event_time": np.asarray(t, dtype=float)})
    return Result.create(beta, sigma, [f"e{x:+d}" for x in t], keys=keys, method=method,
                         outcome="y", spec={}, n_obs=100, n_units=10)


@pytest.fixture(scope="module")
def hewang():
    inp = pd.read_csv(REF / "pretrends_hewang_inputs.csv")
    t = inp["t"].to_list()
    sigma = inp[[f"s_{x}" for x in t]].to_numpy()
    return make_result(inp["beta"].to_numpy(), sigma, t)


@pytest.fixture(scope="module")
def quad():
    q = pd.read_csv(REF / "pretrends_hewang_quadrature.csv")
    return q


@pytest.fixture(scope="module")
def readme():
    return pd.read_csv(REF / "pretrends_hewang_readme.csv")


def q_value(frame, hyp, quantity):
    row = frame[(frame.hypothesis == hyp) & (frame.quantity == quantity)]
    return float(row["value"].iloc[0])


def test_hewang_user_slope_matches_quadrature_and_readme(hewang, quad, readme):
    out = pretrend_power(hewang, power=(), slope=0.06991527, critical_value=1.96, tol=1e-9)
    assert isinstance(out, PretrendPower)
    row = out.table.iloc[0]
    # exact up to the integration error (tol 1e-9) against independent nested quadrature
    assert abs(row["power"] - q_value(quad, "slope", "power")) < 1e-8
    assert abs(row["bayes_factor"] - q_value(quad, "slope", "bayes_factor")) < 1e-7
    np.testing.assert_allclose(row["likelihood_ratio"],
                               q_value(quad, "slope", "likelihood_ratio"), rtol=1e-10)
    means = quad[(quad.hypothesis == "slope") & (quad.quantity == "mean_after_pretest")]
    tr = out.trends.set_index("event_time")
    np.testing.assert_allclose(tr.loc[means.event_time, "mean_after_pretest"],
                               means["value"], rtol=0, atol=1e-8)
    # the README's deterministic numbers to the printed digits
    rd = readme.set_index(["quantity", "event_time"])["value"]
    t = tr.index[tr.period != "reference"]
    np.testing.assert_allclose(tr.loc[t, "std_error"], rd.loc["se"].loc[t], atol=5e-9)
    np.testing.assert_allclose(tr.loc[t, "delta"], rd.loc["delta"].loc[t], atol=2e-8)
    # LR to the 7 printed digits (1 unit in the last place: beta is known to 9 decimals)
    assert abs(row["likelihood_ratio"] - rd.loc[("likelihood_ratio", np.nan)]) < 1e-7
    # R's power, Bayes factor and truncated means come from mvtnorm::pmvnorm's randomized
    # Genz-Bretz integration (default abseps 1e-3); the README digits differ from the exact
    # values by up to 5.2e-5, inside that documented error.
    assert abs(row["power"] - rd.loc[("power", np.nan)]) < 1e-4
    assert abs(row["bayes_factor"] - rd.loc[("bayes_factor", np.nan)]) < 2e-4
    np.testing.assert_allclose(tr.loc[t, "mean_after_pretest"],
                               rd.loc["mean_after_pretest"].loc[t], atol=1e-4)


def test_hewang_slopes_for_power(hewang, quad, readme):
    out = pretrend_power(hewang, critical_value=1.96)
    tab = out.table.set_index("hypothesis")
    for h in ("power 0.5", "power 0.8"):
        # tol 1e-5 on the power moves the slope by ~1e-6 relative
        np.testing.assert_allclose(tab.loc[h, "slope"], q_value(quad, h, "slope"), rtol=2e-5)
        assert abs(tab.loc[h, "power"] - float(h.split()[1])) < 2e-5
        assert abs(tab.loc[h, "bayes_factor"] - q_value(quad, h, "bayes_factor")) < 5e-5
    assert abs(out.size - q_value(quad, "size", "power")) < 2e-5
    # R's uniroot stops at tolerance 1.2e-4 in the slope: its printed slope is within it
    assert abs(tab.loc["power 0.5", "slope"] - 0.06991527) < 1.2e-4
    # implied bias: mean of gamma * (t + 1) over t = 0..3
    np.testing.assert_allclose(tab["bias_post"], tab["slope"] * 2.5, rtol=1e-12)


def test_one_pre_period_closed_form():
    se, c = 0.2, stats.norm.ppf(0.975)
    res = make_result([0.05, 0.3, 0.1], np.diag([se**2, 0.04, 0.09]), [-2, 0, 1])
    out = pretrend_power(res, power=(0.5, 0.8), slope=0.3)
    tab = out.table.set_index("hypothesis")
    for p in (0.5, 0.8):
        g = optimize.brentq(lambda g, p=p: 1 - (stats.norm.cdf(c + g / se)
                                                - stats.norm.cdf(-c + g / se)) - p, 0, 5,
                            xtol=1e-14)
        np.testing.assert_allclose(tab.loc[f"power {p:g}", "slope"], g, rtol=1e-10)
    # truncated-normal mean of the lead and the regression-free post means (independent)
    g = 0.3
    mu = -g
    tn = stats.truncnorm((-c * se - mu) / se, (c * se - mu) / se, loc=mu, scale=se)
    tr = out.trends[out.trends.hypothesis == "slope"].set_index("event_time")
    np.testing.assert_allclose(tr.loc[-2.0, "mean_after_pretest"], tn.mean(), rtol=1e-10)
    np.testing.assert_allclose(tr.loc[[0.0, 1.0], "mean_after_pretest"], [g, 2 * g],
                               rtol=1e-12)
    pw = 1 - (stats.norm.cdf(c - mu / se) - stats.norm.cdf(-c - mu / se))
    np.testing.assert_allclose(tab.loc["slope", "power"], pw, rtol=1e-12)
    np.testing.assert_allclose(out.size, 0.05, rtol=1e-12)
    lr = stats.norm.pdf(0.05, mu, se) / stats.norm.pdf(0.05, 0, se)
    np.testing.assert_allclose(tab.loc["slope", "likelihood_ratio"], lr, rtol=1e-12)


def test_independent_leads_product_of_boxes():
    se = np.array([0.1, 0.15, 0.12])
    t = [-4, -3, -2, 0]
    res = make_result([0.0, 0.0, 0.0, 0.1], np.diag(np.r_[se, 0.1] ** 2), t)
    out = pretrend_power(res, power=(), slope=[0.02, 0.05], tol=1e-9)
    c = stats.norm.ppf(0.975)
    for g, pw in zip((0.02, 0.05), out.table["power"], strict=True):
        mu = g * np.array([-3, -2, -1])
        keep = stats.norm.cdf(c - mu / se) - stats.norm.cdf(-c - mu / se)
        assert abs(pw - (1 - np.prod(keep))) < 1e-8
    assert abs(out.size - (1 - 0.95**3)) < 1e-8


@pytest.mark.slow
def test_monte_carlo_conditional_means():
    rng = np.random.default_rng(11)
    A = rng.normal(size=(5, 5))
    sigma = (A @ A.T / 5 + 0.5 * np.eye(5)) * 0.01
    t = [-4, -3, -2, 0, 1]
    res = make_result(np.zeros(5), sigma, t)
    g = 0.04
    out = pretrend_power(res, power=(), slope=g, tol=1e-7)
    delta = g * (np.array(t) + 1.0)
    draws = rng.multivariate_normal(delta, sigma, size=400_000)
    h = stats.norm.ppf(0.975) * np.sqrt(np.diag(sigma))[:3]
    passed = np.all(np.abs(draws[:, :3]) <= h, axis=1)
    p = passed.mean()
    assert abs(out.table["power"].iloc[0] - (1 - p)) < 4 * np.sqrt(p * (1 - p) / passed.size)
    sub = draws[passed]
    mc_mean, mc_se = sub.mean(0), sub.std(0, ddof=1) / np.sqrt(len(sub))
    tr = out.trends[out.trends.period != "reference"].sort_values("event_time")
    assert np.all(np.abs(tr["mean_after_pretest"].to_numpy() - mc_mean) < 4 * mc_se)


def test_notes_unattainable_and_dropped_terms():
    # 11 independent leads: size 1 - 0.95^11 = 0.43 > 0.4, so power 0.4 cannot be attained
    t = list(range(-13, -1)) + [-1, 0]
    k = len(t)
    res = make_result(np.zeros(k), np.eye(k) * 0.01, t)
    out = pretrend_power(res, power=(0.4,), reference=-2, tol=1e-4)
    assert np.isnan(out.table["slope"].iloc[0])
    assert any("No linear trend gives power 0.4" in n for n in out.notes)
    assert any("2 term(s) neither pre" in n and "e-1" in n for n in out.notes)


def test_bad_inputs():
    res = make_result([0.1, 0.2], np.eye(2) * 0.01, [-2, 0])
    with pytest.raises(SpecificationError, match="power values must lie strictly"):
        pretrend_power(res, power=1.2)
    with pytest.raises(SpecificationError, match="reference must be a pre-period"):
        pretrend_power(res, reference=0)
    with pytest.raises(SpecificationError, match="event_time < -3 .pre."):
        pretrend_power(res, reference=-3)
    with pytest.raises(SpecificationError, match="slope values must be finite"):
        pretrend_power(res, slope=np.inf)
    with pytest.raises(SpecificationError, match="must be a did_zones Result"):
        pretrend_power("x")
    with pytest.raises(SpecificationError, match="critical_value must be None or a finite number > 0"):
        pretrend_power(res, critical_value=-1)
    bad = make_result([0.1, 0.2, 0.3], np.diag([0.0, 0.01, 0.01]), [-3, -2, 0])
    with pytest.raises(SpecificationError, match="not positive definite"):
        pretrend_power(bad)
    no_keys = Result.create([0.1], np.eye(1), ["treated"], method="twfe", outcome="y",
                            spec={}, n_obs=1, n_units=1)
    with pytest.raises(SpecificationError, match="has no event_time"):
        pretrend_power(no_keys)
