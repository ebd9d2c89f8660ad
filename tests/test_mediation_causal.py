"""Tests of did_zones.mechanism.causal: Imai–Keele–Tingley causal mediation, linear models.

References: statsmodels ``Mediation`` (frozen, ``tests/reference/ikt_statsmodels.csv``),
statsmodels OLS fits (exact), the closed forms of Imai, Keele & Yamamoto (2010, Thm 2),
R ``medsens``'s iterated SUR (re-implemented densely here), ``did_zones.twfe`` (exact),
and simulated data with known a, b, c' and ρ. Simulation quantities are compared only
within Monte Carlo (MC) bounds of 4 MC standard errors, derived in each test.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import did_zones as dz
from did_zones.errors import EstimationError, SpecificationError
from did_zones.mechanism.causal import DEFAULT_RHO, TERMS, causal_mediation

REF = Path(__file__).parent / "reference"


# ----------------------------------------------------------------------------- data


def cross_section(seed=0, n=400, a=0.5, b=0.4, c=0.2, p=0.5, rho=0.0, sd_y=1.0):
    """M = a D + 0.3 X + e2, Y = c D + b M − 0.2 X + e3, corr(e2, e3) = rho."""
    rng = np.random.default_rng(seed)
    d = (rng.uniform(size=n) < p).astype(float)
    x = rng.normal(size=n)
    cov = [[1.0, rho * sd_y], [rho * sd_y, sd_y**2]]
    e = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    m = 1 + a * d + 0.3 * x + e[:, 0]
    y = 0.5 + c * d + b * m - 0.2 * x + e[:, 1]
    return pd.DataFrame({"y": y, "m": m, "d": d, "x": x, "g": np.arange(n) % 40})


def cs(df, **kw):
    base = {"treatment": "d", "controls": ["x"], "fixed_effects": (), "cluster": None,
            "n_sims": 2000, "seed": 1}
    base.update(kw)
    return causal_mediation(df, "y", "m", **base)


def sm_fits(df, cov_type="nonrobust", groups=None):
    n = len(df)
    Xy = np.column_stack([np.ones(n), df["d"], df["m"], df["x"]])
    Xm = np.column_stack([np.ones(n), df["d"], df["x"]])
    kw = {} if cov_type == "nonrobust" else {"cov_type": cov_type}
    if groups is not None:
        kw["cov_kwds"] = {"groups": groups}
    return (sm.OLS(df["y"].to_numpy(), Xy).fit(**kw),
            sm.OLS(df["m"].to_numpy(), Xm).fit(**kw))


def pilot_panel(seed, **kw):
    sim = dz.simulate_pilot_panel(seed=seed, effect="homogeneous", **kw)
    return sim, dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")


def quantile_mc_se(draws, p, n):
    """MC standard error of the p-quantile from n draws: sqrt(p(1−p)/n) / f(q), with the
    density f at the quantile estimated by a central difference of the quantile function
    over a large reference sample ``draws``."""
    h = 0.01
    q_lo, q_hi = np.quantile(draws, [p - h, p + h])
    return np.sqrt(p * (1 - p) / n) * (q_hi - q_lo) / (2 * h)


# ------------------------------------------------------------- analytic quantities


@pytest.mark.parametrize("vcov,cov_type,cluster", [
    ("classical", "nonrobust", None), ("robust", "HC1", None), ("robust", "cluster", "g"),
])
def test_cross_section_point_and_model_vcov_equal_statsmodels_ols(vcov, cov_type, cluster):
    df = cross_section(seed=3)
    res = cs(df, vcov=vcov, cluster=cluster)
    fy, fm = sm_fits(df, cov_type, df["g"].to_numpy() if cluster else None)
    a, c, b = fm.params[1], fy.params[1], fy.params[2]
    np.testing.assert_allclose(res.estimate.to_numpy(),
                               [a * b, c, a * b + c, a * b / (a * b + c)], rtol=1e-12)
    an = res.extra["analytic"]
    assert an["a"] * an["b"] == res["ACME"]
    np.testing.assert_allclose(res.extra["outcome_model"]["vcov"].to_numpy(),
                               fy.cov_params(), rtol=1e-10)
    np.testing.assert_allclose(res.extra["mediator_model"]["vcov"].to_numpy(),
                               fm.cov_params(), rtol=1e-10)
    np.testing.assert_allclose(res.stats["r2_outcome"], fy.rsquared, rtol=1e-12)
    np.testing.assert_allclose(res.stats["r2_mediator"], fm.rsquared, rtol=1e-12)
    assert res.n_clusters == (40 if cluster else None)
    assert res.method == "causal_mediation" and res.primary == "ACME" and res.df is None
    assert res.terms == list(TERMS)


def test_simulated_std_errors_match_exact_moments_of_the_draws():
    """a_s ~ N(a, V_a) independent of (c'_s, b_s) ~ N((c', b), V_y), so exactly
    Var(a_s b_s) = a²V_b + b²V_a + V_a V_b (Aroian's form), Var(c'_s) = V_c and
    Var(a_s b_s + c'_s) = Var(a_s b_s) + V_c + 2a·Cov(b, c'). A sample variance from n
    draws has relative MC sd sqrt((κ − 1)/n), κ the kurtosis of the draws."""
    res = cs(cross_section(seed=4), n_sims=20000, seed=7)
    an = res.extra["analytic"]
    a, b = an["a"], an["b"]
    Vm = res.extra["mediator_model"]["vcov"].loc["treated", "treated"]
    Vy = res.extra["outcome_model"]["vcov"].loc[["treated", "m"], ["treated", "m"]]
    Vc, Vb, Cbc = Vy.iloc[0, 0], Vy.iloc[1, 1], Vy.iloc[0, 1]
    var_acme = a * a * Vb + b * b * Vm + Vm * Vb
    exact = np.array([var_acme, Vc, var_acme + Vc + 2 * a * Cbc])
    draws = res.extra["draws"][["ACME", "ADE", "total"]].to_numpy()
    got = np.diag(res.vcov.to_numpy())[:3]
    np.testing.assert_allclose(got, draws.var(0, ddof=1), rtol=1e-12)
    kurt = stats.kurtosis(draws, axis=0, fisher=False)
    bound = 4 * exact * np.sqrt((kurt - 1) / draws.shape[0])
    assert np.all(np.abs(got - exact) <= bound), (got, exact, bound)


def test_intervals_and_p_values_follow_r_mediation_from_the_draws():
    res = cs(cross_section(seed=5, a=0.1), n_sims=3000, seed=2, alpha=0.1)
    draws = res.extra["draws"]
    iv = res.extra["intervals"].set_index("term")
    for term in TERMS:
        x = draws[term].to_numpy()
        lo, hi = np.quantile(x, [0.05, 0.95])  # numpy linear = R quantile type 7
        assert iv.loc[term, "conf_low"] == lo and iv.loc[term, "conf_high"] == hi
        p = min(1.0, 2 * min((x > 0).sum(), (x < 0).sum()) / x.size)
        assert iv.loc[term, "p_value"] == p
        center = np.median(x) if term == "prop_mediated" else x.mean()
        assert iv.loc[term, "sim_center"] == pytest.approx(center, rel=1e-12)
        assert res.keys.loc[term, "sim_center"] == iv.loc[term, "sim_center"]
        assert iv.loc[term, "estimate"] == res[term]
    assert 0 < iv.loc["ACME", "p_value"] < 1


@pytest.mark.parametrize("cov_type,vcov", [("nonrobust", "classical"), ("HC1", "robust")])
def test_agrees_with_statsmodels_mediation_within_monte_carlo_error(cov_type, vcov):
    """Frozen statsmodels 0.15.0 ``Mediation(...).fit("parametric", n_rep=4000)`` on
    ``ikt_sim_data.csv`` (see the README). Bounds: 4 MC SEs of the difference — the
    statsmodels mean has MC SE sd/sqrt(4000) (our estimate is analytic, no MC error); a
    percentile from n draws has MC SE sqrt(p(1−p)/n)/f(q) (``quantile_mc_se``), added in
    quadrature for our 40000 and statsmodels' 4000 draws; a sample sd has relative MC SE
    sqrt((κ−1)/(4n)). The proportion mediated (estimate = median) is heavy-tailed: only
    its median and percentiles are compared, with the same quantile bound."""
    df = pd.read_csv(REF / "ikt_sim_data.csv")
    ref = pd.read_csv(REF / "ikt_statsmodels.csv")
    ref = ref[ref["cov_type"] == cov_type].set_index("term")
    n_ref = int(ref["n_rep"].iloc[0])
    res = cs(df, vcov=vcov, n_sims=40000, seed=11)
    iv = res.extra["intervals"].set_index("term")
    draws = res.extra["draws"]
    for term in TERMS:
        x = draws[term].to_numpy()
        mine_n = x.size
        if term == "prop_mediated":
            se_c = np.hypot(quantile_mc_se(x, 0.5, n_ref), quantile_mc_se(x, 0.5, mine_n))
            assert abs(iv.loc[term, "sim_center"] - ref.loc[term, "estimate"]) <= 4 * se_c
        else:
            se_mean = ref.loc[term, "sd"] / np.sqrt(n_ref)
            assert abs(res[term] - ref.loc[term, "estimate"]) <= 4 * se_mean, term
            kurt = stats.kurtosis(x, fisher=False)
            rel = np.sqrt((kurt - 1) / (4 * n_ref)) + np.sqrt((kurt - 1) / (4 * mine_n))
            sd = res.std_error[term]
            assert abs(sd / ref.loc[term, "sd"] - 1) <= 4 * rel, term
        for col, p in (("conf_low", 0.025), ("conf_high", 0.975)):
            se_q = np.hypot(quantile_mc_se(x, p, n_ref), quantile_mc_se(x, p, mine_n))
            assert abs(iv.loc[term, col] - ref.loc[term, col]) <= 4 * se_q, (term, col)


# ---------------------------------------------------------------------- sensitivity


def test_sensitivity_at_zero_and_rho_at_zero_and_monotone():
    df = cross_section(seed=6)
    res = cs(df)
    sens = res.extra["sensitivity"]
    np.testing.assert_array_equal(sens["rho"], DEFAULT_RHO)
    row0 = sens.loc[sens["rho"] == 0].iloc[0]
    iv = res.extra["intervals"].set_index("term")
    assert row0["acme"] == pytest.approx(res["ACME"], rel=1e-12, abs=0)
    assert row0["ade"] == pytest.approx(res["ADE"], rel=1e-12, abs=0)
    # same draws: at rho = 0 the interval is the ACME interval
    assert row0["conf_low"] == iv.loc["ACME", "conf_low"]
    assert row0["conf_high"] == iv.loc["ACME", "conf_high"]
    np.testing.assert_allclose(sens["acme"] + sens["ade"], res["total"], rtol=1e-12)
    assert res["ACME"] > 0 and res.extra["analytic"]["a"] > 0
    assert np.all(np.diff(sens["acme"]) < 0)  # a > 0: strictly decreasing in rho
    rho0 = res.extra["rho_at_zero"]
    at = cs(df, rho=[rho0]).extra["sensitivity"].iloc[0]
    assert abs(at["acme"]) < 1e-10 * abs(res["ACME"])
    assert at["ade"] == pytest.approx(res["total"], rel=1e-10)
    np.testing.assert_allclose(sens["r2star_prod"], sens["rho"] ** 2, rtol=1e-15)
    shrink = (1 - res.stats["r2_mediator"]) * (1 - res.stats["r2_outcome"])
    np.testing.assert_allclose(sens["r2tilde_prod"], sens["rho"] ** 2 * shrink, rtol=1e-15)
    assert res.extra["r2star_prod_at_zero"] == pytest.approx(rho0**2, rel=1e-15)
    # a < 0 (treatment coded the other way): increasing in rho
    flipped = cs(df.assign(d=1 - df["d"]))
    assert np.all(np.diff(flipped.extra["sensitivity"]["acme"]) > 0)


def test_sensitivity_equals_the_imai_keele_yamamoto_formula():
    """Theorem 2 of Imai, Keele & Yamamoto (2010), computed from three independent
    statsmodels regressions (total effect, mediator, outcome)."""
    df = cross_section(seed=8, n=300, a=0.8)
    rhos = np.array([-0.8, -0.3, 0.0, 0.25, 0.6])
    res = cs(df, rho=rhos)
    n = len(df)
    X = np.column_stack([np.ones(n), df["d"], df["x"]])
    e1 = sm.OLS(df["y"].to_numpy(), X).fit().resid
    fit_m = sm.OLS(df["m"].to_numpy(), X).fit()
    e2 = fit_m.resid
    rt = np.corrcoef(e1, e2)[0, 1]
    s1, s2 = e1.std(), e2.std()
    expected = fit_m.params[1] * s1 / s2 * (rt - rhos * np.sqrt((1 - rt**2) / (1 - rhos**2)))
    np.testing.assert_allclose(res.extra["sensitivity"]["acme"], expected, rtol=1e-10)
    assert res.extra["rho_at_zero"] == pytest.approx(rt, rel=1e-12)


def _medsens_sur(df, rho, eps=1e-28):
    """R ``medsens`` (lm/lm case), re-implemented: iterated SUR of the mediator and
    outcome models with the error correlation fixed at rho; ACME = a(rho)·b(rho)."""
    n = len(df)
    Xm = np.column_stack([np.ones(n), df["d"], df["x"]])
    Xy = np.column_stack([np.ones(n), df["d"], df["m"], df["x"]])
    X = np.zeros((2 * n, 7))
    X[:n, :3], X[n:, 3:] = Xm, Xy
    Y = np.r_[df["m"], df["y"]]
    beta = np.linalg.lstsq(X, Y, rcond=None)[0]
    for _ in range(1000):
        e = Y - X @ beta
        e1, e2 = e[:n], e[n:]
        s1, s2 = e1.std(ddof=1), e2.std(ddof=1)
        omega = np.array([[e1 @ e1 / (n - 1), rho * s1 * s2],
                          [rho * s1 * s2, e2 @ e2 / (n - 1)]])
        W = np.kron(np.linalg.inv(omega), np.eye(n))
        new = np.linalg.solve(X.T @ W @ X, X.T @ W @ Y)
        done = np.sum((new - beta) ** 2) < eps
        beta = new
        if done:
            break
    return beta[1] * beta[5]


def test_sensitivity_equals_r_medsens_iterated_sur():
    df = cross_section(seed=9, n=150, a=0.7)
    rhos = np.array([-0.6, -0.2, 0.3, 0.7])
    res = cs(df, rho=rhos)
    sur = [_medsens_sur(df, r) for r in rhos]
    np.testing.assert_allclose(res.extra["sensitivity"]["acme"], sur, rtol=1e-8)


def test_acme_at_true_rho_recovers_truth_with_correlated_errors():
    """M and Y errors correlated (rho = 0.4): the naive ACME is biased, ACME(0.4) is not.
    Bound: 4 × the sd implied by the 95% interval at rho = 0.4; a 300-replication study
    (n = 5000) found that sd within 3% of the true sampling sd (0.0148 vs 0.0152)."""
    truth = 0.5 * 0.4
    df = cross_section(seed=10, n=20000, rho=0.4)
    res = cs(df, rho=[0.4], n_sims=4000)
    row = res.extra["sensitivity"].iloc[0]
    sd = (row["conf_high"] - row["conf_low"]) / (2 * stats.norm.ppf(0.975))
    assert abs(row["acme"] - truth) <= 4 * sd
    assert abs(res["ACME"] - truth) > 10 * res.std_error["ACME"]  # naive one is biased


# ----------------------------------------------------------------------------- panel


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_panel_recovers_true_indirect_effect(seed):
    """Homogeneous effects: TWFE is unbiased for a, b and c', so ACME = â·b̂ has mean
    truth.indirect up to O(1/n); bound 4 simulated SEs (clustered by city)."""
    sim, panel = pilot_panel(seed)
    res = causal_mediation(panel, "isu", "ecom", n_sims=1000, seed=seed)
    assert abs(res["ACME"] - sim.truth.indirect) <= 4 * res.std_error["ACME"]
    assert abs(res["ADE"] - sim.truth.direct) <= 4 * res.std_error["ADE"]
    assert res.n_clusters == panel.n_units == res.n_units
    assert res.n_obs == panel.n_obs


def test_panel_model_vcov_equals_twfe_clustered_vcov():
    _, panel = pilot_panel(4)
    ctrl = ["lngdp_pc", "gov"]
    res = causal_mediation(panel, "isu", "ecom", controls=ctrl, cluster="province",
                           n_sims=200, seed=1)
    med = dz.twfe(panel, "ecom", controls=ctrl, cluster="province")
    out = dz.twfe(panel, "isu", controls=["ecom", *ctrl], cluster="province")
    for mine, ref in ((res.extra["mediator_model"], med), (res.extra["outcome_model"], out)):
        assert list(mine["coef"].index) == ref.terms
        np.testing.assert_allclose(mine["coef"], ref.estimate, rtol=1e-12)
        np.testing.assert_allclose(mine["vcov"], ref.vcov, rtol=1e-10, atol=1e-20)
    assert res["ACME"] == pytest.approx(med["treated"] * out["ecom"], rel=1e-12)
    assert res["ADE"] == pytest.approx(out["treated"], rel=1e-12)
    assert res.n_clusters == out.n_clusters
    assert res.stats["r2_outcome"] == pytest.approx(out.stats["r2"], rel=1e-12)


def _noiseless_panel(a=0.7, b=0.3, c=0.25):
    """Unit and period effects; M has its own shocks; Y = FE + c'D + bM exactly."""
    rng = np.random.default_rng(0)
    units, periods = 40, 8
    unit = np.repeat(np.arange(units), periods)
    time = np.tile(np.arange(2000, 2000 + periods), units)
    cohort = np.repeat(np.r_[[2003] * 10, [2005] * 10, [0] * 20], periods)
    d = ((cohort > 0) & (time >= cohort)).astype(float)
    m = rng.normal(size=units)[unit] + 0.1 * (time - 2000) + a * d + rng.normal(size=unit.size)
    y = rng.normal(size=units)[unit] + 0.05 * (time - 2000) ** 2 + c * d + b * m
    df = pd.DataFrame({"unit": unit, "year": time, "cohort": cohort, "m": m, "y": y})
    return df, dz.build_panel(df, unit="unit", time="year", cohort="cohort")


def test_panel_noiseless_outcome_gives_exact_b_and_direct_effect():
    df, panel = _noiseless_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 40 clusters: no warning expected, but be safe
        res = causal_mediation(panel, "y", "m", n_sims=300, seed=3)
    a_hat = dz.twfe(panel, "m")["treated"]
    assert res.extra["analytic"]["b"] == pytest.approx(0.3, abs=1e-10)
    assert res["ADE"] == pytest.approx(0.25, abs=1e-10)
    assert res["ACME"] == pytest.approx(a_hat * 0.3, abs=1e-10)
    assert res.std_error["ADE"] < 1e-9


def test_treatment_column_and_default_agree_on_the_panel():
    sim, panel = pilot_panel(5)
    r1 = causal_mediation(panel, "isu", "ecom", n_sims=100, seed=4)
    data = sim.data.assign(d_own=panel.treated.astype(int))
    p2 = dz.build_panel(data, unit="city_code", time="year", cohort="cohort")
    r2 = causal_mediation(p2, "isu", "ecom", treatment="d_own", n_sims=100, seed=4)
    np.testing.assert_array_equal(r1.estimate, r2.estimate)
    np.testing.assert_array_equal(r1.vcov, r2.vcov)


# ---------------------------------------------------------------- reproducibility


def test_seed_reproduces_and_none_seed_is_recorded():
    df = cross_section(seed=12)
    r1, r2 = cs(df, seed=5), cs(df, seed=5)
    pd.testing.assert_frame_equal(r1.extra["draws"], r2.extra["draws"])
    r3 = cs(df, seed=None)
    r4 = cs(df, seed=r3.spec["seed"])
    pd.testing.assert_frame_equal(r3.extra["draws"], r4.extra["draws"])
    assert not r1.extra["draws"].equals(r3.extra["draws"])


def test_missing_rows_dropped_from_both_models_and_noted():
    df = cross_section(seed=13)
    df.loc[[3, 10], "y"] = np.nan
    df.loc[[20], "m"] = np.nan
    before = df.copy()
    with pytest.warns(dz.errors.DataDroppedWarning, match=r"3 row\(s\) of 400 dropped"):
        res = cs(df)
    pd.testing.assert_frame_equal(df, before)
    assert res.n_obs == 397
    assert any("3 row(s) of 400 dropped" in n for n in res.notes)
    assert any("sequential ignorability" in n for n in res.notes)
    ref = cs(df.drop(index=[3, 10, 20]).reset_index(drop=True))
    np.testing.assert_allclose(res.estimate, ref.estimate, rtol=1e-12)


def test_callers_data_unchanged():
    sim, panel = pilot_panel(6)
    before = panel.data.copy()
    causal_mediation(panel, "isu", "ecom", controls=["gov"], n_sims=50, seed=1)
    pd.testing.assert_frame_equal(panel.data, before)
    df = cross_section(seed=14)
    before = df.copy()
    cs(df, cluster="g")
    pd.testing.assert_frame_equal(df, before)


# -------------------------------------------------------------------------- errors


def test_bad_input_cross_section():
    df = cross_section(seed=15)
    with pytest.raises(SpecificationError, match="must be coded 0/1"):
        cs(df.assign(d=df["d"] * 2.0))
    with pytest.raises(SpecificationError, match="only the value 1"):
        cs(df.assign(d=1.0))
    with pytest.raises(SpecificationError, match="Mediator column 'mm' not found.*'m'"):
        causal_mediation(df, "y", "mm", treatment="d", fixed_effects=(), cluster=None)
    with pytest.raises(SpecificationError, match="Control column 'z' not found"):
        cs(df, controls=["z"])
    with pytest.raises(SpecificationError, match="Treatment column 'treated' not found"):
        causal_mediation(df, "y", "m", fixed_effects=(), cluster=None)
    with pytest.raises(SpecificationError, match="has no fixed effects.*fixed_effects=\\(\\)"):
        causal_mediation(df, "y", "m", treatment="d")
    with pytest.raises(SpecificationError, match="mediator 'm' is constant"):
        cs(df.assign(m=2.0))
    with pytest.raises(SpecificationError, match="'y' is the outcome"):
        causal_mediation(df, "y", "y", treatment="d", fixed_effects=(), cluster=None)
    with pytest.raises(SpecificationError, match="identical to .* the outcome 'y'"):
        cs(df.assign(m=df["y"]))
    with pytest.raises(SpecificationError, match="is the treatment indicator itself"):
        cs(df.assign(m=df["d"]))
    with pytest.raises(SpecificationError, match="both a model variable and a control"):
        cs(df, controls=["m"])
    with pytest.raises(SpecificationError, match="n_sims must be an integer of at least 2"):
        cs(df, n_sims=1)
    with pytest.raises(SpecificationError, match="strictly between -1 and 1; 1 value"):
        cs(df, rho=[0.2, 1.0])
    with pytest.raises(SpecificationError, match="vcov must be one of"):
        cs(df, vcov="hc3")
    with pytest.raises(SpecificationError, match="vcov='classical' ignores clustering"):
        cs(df, vcov="classical", cluster="g")
    with pytest.raises(SpecificationError, match="must be numeric"):
        cs(df.assign(x=df["x"].astype(str)))
    with pytest.raises(EstimationError, match="collinear"):
        cs(df.assign(x2=df["x"] * 2), controls=["x", "x2"])
    with pytest.raises(SpecificationError, match="Panel or a pandas DataFrame"):
        causal_mediation(df.to_numpy(), "y", "m")


def test_bad_input_panel():
    sim, panel = pilot_panel(7)
    with pytest.raises(SpecificationError, match="Outcome column 'isuu' not found"):
        causal_mediation(panel, "isuu", "ecom")
    with pytest.raises(SpecificationError, match="'ecom' is constant"):
        p = dz.build_panel(sim.data.assign(ecom=1.0), unit="city_code", time="year",
                           cohort="cohort")
        causal_mediation(p, "isu", "ecom")
    data = sim.data.copy()
    gone = data["city_code"].isin(data["city_code"].unique()[:3])
    data.loc[gone, "ecom"] = np.nan
    p = dz.build_panel(data, unit="city_code", time="year", cohort="cohort")
    with pytest.raises(SpecificationError, match="missing for whole units: 3 of"):
        causal_mediation(p, "isu", "ecom")
    p = dz.build_panel(sim.data.assign(isu2=sim.data["isu"]), unit="city_code",
                       time="year", cohort="cohort")
    with pytest.raises(SpecificationError, match="identical to .* the outcome 'isu'"):
        causal_mediation(p, "isu", "isu2")
    with pytest.raises(SpecificationError, match="offered for cross-sections only"):
        causal_mediation(panel, "isu", "ecom", vcov="classical")
    p = dz.build_panel(sim.data.assign(dose=sim.data["treated"] * 3.0), unit="city_code",
                       time="year", cohort="cohort")
    with pytest.raises(SpecificationError, match="'dose' must be coded 0/1"):
        causal_mediation(p, "isu", "ecom", treatment="dose")
    # a mediator that only moves with unit and period effects and the treatment
    df, p = _noiseless_panel()
    ti = p.treated.astype(float)
    p2 = dz.build_panel(df.assign(m2=df["unit"] * 0.1 + df["year"] * 0.2 + 0.5 * ti),
                        unit="unit", time="year", cohort="cohort")
    with pytest.raises(EstimationError, match="mediator 'm2' is collinear with the treat"):
        causal_mediation(p2, "y", "m2")
