"""Mediation on simulated panels with a known channel (Monte-Carlo bounds, fixed seeds).

Truth (``simulate_pilot_panel(effect="homogeneous")``): ``ecom = ecom(0) + a·D`` and
``isu = isu(0) + b·(ecom − ecom(0)) + direct·D`` with ``isu(0)`` = city + year + a stationary
AR(1) error independent of ``ecom``'s errors, and ``ecom(0)`` itself entering ``isu`` with
the same ``b`` net of year means. So TWFE estimates a, b, c' and c without bias.

Bounds (documented, deterministic because the seeds are fixed):

* Coverage over ``R`` draws of a nominal 95% interval: the count of covering intervals
  must be at least the 0.1% quantile of Binomial(R, 0.95) (a correct procedure fails with
  probability below 0.001).
* Mean error of a, b, a·b, c' over ``R`` draws: within 4 Monte-Carlo standard errors.
* The share mediated ``a·b / c`` is a ratio with a noisy denominator (t of c ≈ 3.5), so its
  draw-by-draw mean is biased in finite samples; the test checks the ratio of the mean
  a·b to the mean c against the true share within 4 delta-method MC standard errors.
* Channel off (``a = 0`` or ``b = 0``): the number of rejections at 5% over ``R`` draws must
  not exceed the 99.9% quantile of Binomial(R, 0.05).
"""

import warnings

import numpy as np
import pytest
from scipy import stats

import did_zones as dz

R_COVER = 200


def _panel(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = dz.simulate_pilot_panel(effect="homogeneous", **kw)
    return s, dz.build_panel(s.data, unit="city_code", time="year", cohort="cohort")


@pytest.fixture(scope="module")
def replications():
    rows = []
    for seed in range(R_COVER):
        s, panel = _panel(seed=seed)
        res = dz.mediation(panel, "isu", "ecom", method="stepwise", stepwise_rule="wen2004",
                           n_boot=0)
        t = res.tidy().set_index("term")
        tr = s.truth
        rows.append({
            "a": t.loc["a", "estimate"] - tr.a, "b": t.loc["b", "estimate"] - tr.b,
            "ab": t.loc["a*b", "estimate"] - tr.indirect,
            "direct": t.loc["c'", "estimate"] - tr.direct,
            "ab_hat": t.loc["a*b", "estimate"], "c_hat": t.loc["c", "estimate"],
            "share_true": tr.indirect / tr.overall,
            "cover_a": t.loc["a", "conf_low"] <= tr.a <= t.loc["a", "conf_high"],
            "cover_b": t.loc["b", "conf_low"] <= tr.b <= t.loc["b", "conf_high"],
            "cover_ab": t.loc["a*b", "conf_low"] <= tr.indirect <= t.loc["a*b", "conf_high"],
        })
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("what", ["a", "b", "ab", "direct"])
def test_mean_error_within_4_mc_se(replications, what):
    err = np.array([r[what] for r in replications])
    mcse = err.std(ddof=1) / np.sqrt(err.size)
    assert abs(err.mean()) < 4 * mcse, (err.mean(), mcse)


@pytest.mark.slow
@pytest.mark.parametrize("what", ["cover_a", "cover_b", "cover_ab"])
def test_coverage_within_binomial_bound(replications, what):
    hits = sum(r[what] for r in replications)
    floor = stats.binom.ppf(0.001, R_COVER, 0.95)
    assert hits >= floor, (hits, floor)


@pytest.mark.slow
def test_share_mediated_ratio_of_means(replications):
    ab = np.array([r["ab_hat"] for r in replications])
    c = np.array([r["c_hat"] for r in replications])
    share = ab.mean() / c.mean()
    # delta-method MC standard error of a ratio of means
    g = np.array([1 / c.mean(), -ab.mean() / c.mean() ** 2])
    cov = np.cov(np.vstack([ab, c])) / ab.size
    mcse = np.sqrt(g @ cov @ g)
    truth = replications[0]["share_true"]
    assert abs(share - truth) < 4 * mcse, (share, truth, mcse)


R_NULL = 40
N_BOOT = 199


@pytest.mark.slow
@pytest.mark.parametrize("off", [{"a": 0.0}, {"b": 0.0}], ids=["a=0", "b=0"])
def test_tests_hold_their_level_with_the_channel_off(off):
    sobel = boot = 0
    for seed in range(R_NULL):
        _, panel = _panel(seed=1000 + seed, **off)
        res = dz.mediation(panel, "isu", "ecom", method="stepwise", n_boot=N_BOOT,
                           seed=seed)
        tests = {t.name.split(":")[0]: t for t in res.tests}
        sobel += tests["Sobel"].p_value < 0.05
        boot += bool(tests["bootstrap (bc)"].details["excludes_zero"])
    ceiling = stats.binom.ppf(0.999, R_NULL, 0.05)
    assert sobel <= ceiling and boot <= ceiling, (sobel, boot, ceiling)
