"""Mediation: hand computations, identities, the bootstrap, decisions, messages."""

import sys

import numpy as np
import pandas as pd
import pytest
from conftest import quiet as _quiet
from scipy import stats

import did_zones as dz
from did_zones.errors import EstimationError, SpecificationError
from did_zones.mechanism.indirect import equations_statistic, statistic_labels
from did_zones.mechanism.stepwise import decide


@pytest.fixture(scope="module")
def sim():
    return dz.simulate_pilot_panel(seed=3, effect="homogeneous")


@pytest.fixture(scope="module")
def holey(sim):
    """The panel with missing mediator and control values in a few rows."""
    df = sim.data.copy()
    rng = np.random.default_rng(0)
    df.loc[rng.choice(len(df), 40, replace=False), "ecom"] = np.nan
    df.loc[rng.choice(len(df), 25, replace=False), "lnpop"] = np.nan
    return df


# ------------------------------------------------------------------ hand computation


def test_equations_equal_twfe_on_common_rows_and_identity(holey):
    before = holey.copy()
    panel = dz.build_panel(holey, unit="city_code", time="year", cohort="cohort")
    with pytest.warns(dz.DataDroppedWarning, match="share one sample"):
        res = dz.mediation(panel, "isu", "ecom", method="stepwise", stepwise_rule="wen2004",
                           controls=["lnpop"], n_boot=0)
    pd.testing.assert_frame_equal(holey, before)  # the caller's frame is untouched
    n_drop = int((holey["ecom"].isna() | holey["lnpop"].isna()).sum())
    assert res.extra["n_dropped"] == n_drop
    assert any(f"{n_drop} row(s)" in n for n in res.notes)

    complete = holey.dropna(subset=["isu", "ecom", "lnpop"])
    ref_panel = dz.build_panel(complete, unit="city_code", time="year", cohort="cohort")
    c = _quiet(dz.twfe, ref_panel, "isu", controls=["lnpop"])
    a = _quiet(dz.twfe, ref_panel, "ecom", controls=["lnpop"])
    out = _quiet(dz.twfe, ref_panel, "isu", controls=["ecom", "lnpop"])
    pairs = [(res.total, c), (res.first_stage["ecom"], a), (res.outcome_model, out)]
    for mine, ref in pairs:
        assert mine.n_obs == ref.n_obs == len(complete)
        np.testing.assert_allclose(mine.estimate, ref.estimate, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(mine.std_error, ref.std_error, rtol=1e-10)

    A, B = a["treated"], out["ecom"]
    sa, sb = a.std_error["treated"], out.std_error["ecom"]
    # c = c' + a*b exactly for linear models on one sample
    assert abs(c["treated"] - out["treated"] - A * B) < 1e-10
    # Sobel / Aroian / Goodman from the formulas
    base = B**2 * sa**2 + A**2 * sb**2
    tests = {t.name.split(":")[0]: t for t in res.tests}
    for name, var in [("Sobel", base), ("Aroian", base + sa**2 * sb**2),
                      ("Goodman", base - sa**2 * sb**2)]:
        z = A * B / np.sqrt(var)
        assert tests[name].statistic == pytest.approx(z, rel=1e-12, abs=0)
        assert tests[name].p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)
    row = res.indirect.loc["ecom"]
    assert row["estimate"] == pytest.approx(A * B, rel=1e-12)
    assert row["std_error"] == pytest.approx(np.sqrt(base), rel=1e-12)
    assert row["share"] == pytest.approx(A * B / c["treated"], rel=1e-12)


def test_parallel_mediators_delta_method(panel):
    meds = ["ecom", "gov"]
    res = dz.mediation(panel, "isu", meds, method="stepwise", stepwise_rule="wen2004",
                       n_boot=0)
    a = np.array([res.first_stage[m]["treated"] for m in meds])
    b = res.outcome_model.estimate[meds].to_numpy()
    # joint covariance of the a_j: its diagonal is each first stage's own variance
    cov_a = res.extra["cov_a"]
    se_a = [res.first_stage[m].std_error["treated"] for m in meds]
    np.testing.assert_allclose(np.sqrt(np.diag(cov_a)), se_a, rtol=1e-10)
    assert abs(cov_a[0, 1]) <= np.sqrt(cov_a[0, 0] * cov_a[1, 1])
    cov_b = res.outcome_model.vcov.loc[meds, meds].to_numpy()
    se = np.sqrt(b @ cov_a @ b + a @ cov_b @ a)
    tot = res.indirect.loc["total"]
    assert tot["estimate"] == pytest.approx((a * b).sum(), rel=1e-12)
    assert tot["std_error"] == pytest.approx(se, rel=1e-12)
    c, cp = res.total["treated"], res.outcome_model["treated"]
    assert abs(c - cp - (a * b).sum()) < 1e-10
    tidy = res.tidy()
    assert tidy.loc[tidy["term"] == "sum(a*b)", "estimate"].item() == pytest.approx(
        (a * b).sum(), rel=1e-12)
    assert set(tidy["quantity"]) >= {"total effect", "first stage D -> M", "direct effect",
                                     "mediator effect M -> Y", "indirect effect",
                                     "total indirect effect"}


def test_joint_first_stage_covariance_matches_brute_force(panel):
    """Off-diagonal of cov(a_1, a_2): stacked-score CRV1 computed by hand on dummies."""
    meds = ["ecom", "gov"]
    res = dz.mediation(panel, "isu", meds, method="stepwise", stepwise_rule="wen2004",
                       n_boot=0)
    d = panel.treated.astype(float)
    Xd = np.column_stack([d, pd.get_dummies(panel.unit_id).to_numpy(float),
                          pd.get_dummies(panel.period_id).to_numpy(float)[:, 1:]])
    bread = np.linalg.pinv(Xd.T @ Xd)
    sums = []
    for m in meds:
        y = panel.column(m)
        e = y - Xd @ (bread @ Xd.T @ y)
        psi = (Xd * e[:, None]) @ bread[:, 0]
        sums.append(np.bincount(panel.unit_id, weights=psi))
    S = np.column_stack(sums)
    n, G, K = panel.n_obs, panel.n_units, 1 + panel.n_periods
    V = G / (G - 1) * (n - 1) / (n - K) * S.T @ S
    np.testing.assert_allclose(res.extra["cov_a"], V, rtol=1e-8)


# ------------------------------------------------------------------ bootstrap


def test_bootstrap_statistic_equals_fits_and_is_seeded(panel):
    res1 = dz.mediation(panel, "isu", "ecom", method="stepwise", n_boot=49, seed=11,
                        controls=["lngdp_pc"])
    labels = statistic_labels(["ecom"])
    est = dict(zip(labels, res1.bootstrap.estimate, strict=True))
    assert est["a[ecom]"] == pytest.approx(res1.first_stage["ecom"]["treated"], abs=1e-10)
    assert est["b[ecom]"] == pytest.approx(res1.outcome_model["ecom"], abs=1e-10)
    assert est["c'"] == pytest.approx(res1.outcome_model["treated"], abs=1e-10)
    assert est["c"] == pytest.approx(res1.total["treated"], abs=1e-10)
    res2 = dz.mediation(panel, "isu", "ecom", method="stepwise", n_boot=49, seed=11,
                        controls=["lngdp_pc"], n_jobs=2)
    np.testing.assert_array_equal(res1.bootstrap.draws, res2.bootstrap.draws)
    draws = res1.bootstrap.draws
    # every draw satisfies c = c' + a*b too
    np.testing.assert_allclose(draws[:, -1], draws[:, -2] + draws[:, 2], atol=1e-10)
    assert res1.bootstrap.n_clusters == panel.n_units
    row = res1.indirect.loc["ecom"]
    lo, hi = res1.bootstrap.interval(kind="bc", alpha=0.05)
    assert (row["conf_low"], row["conf_high"]) == (lo[2], hi[2])
    assert row["boot_std_error"] == pytest.approx(np.std(draws[:, 2], ddof=1), rel=1e-12)


def test_bootstrap_resamples_whole_cities(panel):
    from did_zones.resample import cluster_bootstrap

    inner = equations_statistic("isu", ["ecom"], (), ("unit", "time"))
    orig = panel.data.set_index(["city", "year"])["isu"]

    def statistic(p):
        df = p.data
        g = df.groupby(p.unit)
        whole = (g["city"].nunique() == 1).all() and (g.size() == panel.n_periods).all()
        same = np.array_equal(orig.loc[list(zip(df["city"], df["year"], strict=True))]
                              .to_numpy(), df["isu"].to_numpy())
        n_distinct = df["city"].nunique()
        return np.concatenate([[float(whole and same), n_distinct], inner(p)])

    draws = cluster_bootstrap(panel, statistic, n_boot=20, seed=5)
    assert (draws.draws[:, 0] == 1).all()
    # duplicated cities are kept as separate units: fewer distinct cities than units
    assert (draws.draws[:, 1] < panel.n_units).all()


def test_bca_and_percentile_intervals(panel):
    res = dz.mediation(panel, "isu", "ecom", method="stepwise", n_boot=49, seed=2,
                       interval="percentile")
    # the interval is the 2.5% and 97.5% quantiles of these very draws (the indirect
    # effect a·b is column 2; NaN draws left out), numpy's linear rule (R type 7)
    draws = res.bootstrap.draws[:, 2]
    lo, hi = np.quantile(draws[np.isfinite(draws)], [0.025, 0.975], method="linear")
    row = res.indirect.loc["ecom"]
    assert row["interval"] == "percentile"
    assert row["conf_low"] <= row["estimate"] <= row["conf_high"]
    assert row["conf_low"] == pytest.approx(lo, rel=1e-12, abs=1e-15)
    assert row["conf_high"] == pytest.approx(hi, rel=1e-12, abs=1e-15)
    bca = dz.mediation(panel, "isu", "ecom", method="stepwise", n_boot=49, seed=2,
                       interval="bca")
    assert bca.indirect.loc["ecom", "interval"] == "bca"
    assert np.isfinite(bca.indirect.loc["ecom", ["conf_low", "conf_high"]]).all()


# ------------------------------------------------------------------ decisions


def _t(est, p):
    return (est, est / 0.01, p)


def test_wen2014_sequence():
    common = dict(mediator="m", alpha=0.05, sobel=None)
    # a, b significant, c' not: full mediation, share a*b/c
    rows, concl, share = decide("wen2014", c=_t(0.3, 0.01), a=_t(1, 0.001),
                                b=_t(0.25, 0.001), c_prime=_t(0.05, 0.4), boot=None, **common)
    assert concl == "full mediation" and share == pytest.approx(0.25 / 0.3)
    # c' significant with the same sign: partial
    _, concl, _ = decide("wen2014", c=_t(0.3, 0.01), a=_t(1, 0.001), b=_t(0.25, 0.001),
                         c_prime=_t(0.05, 0.01), boot=None, **common)
    assert concl == "partial mediation"
    # c not significant, a*b > 0 and c' < 0 both significant: suppression, |ab/c'|
    rows, concl, share = decide("wen2014", c=_t(0.02, 0.6), a=_t(1, 0.001),
                                b=_t(0.25, 0.001), c_prime=_t(-0.23, 0.001), boot=None,
                                **common)
    assert concl == "suppression" and share == pytest.approx(0.25 / 0.23)
    assert "suppression framing" in rows[0]["decision"]
    # b not significant: the bootstrap decides
    _, concl, _ = decide("wen2014", c=_t(0.3, 0.01), a=_t(1, 0.001), b=_t(0.25, 0.2),
                         c_prime=_t(0.05, 0.4), boot=(0.25, 2.5, 0.01, True), **common)
    assert concl == "full mediation"
    rows, concl, _ = decide("wen2014", c=_t(0.3, 0.01), a=_t(1, 0.001), b=_t(0.25, 0.2),
                            c_prime=_t(0.05, 0.4), boot=(0.25, 1.0, 0.3, False), **common)
    assert concl == "no mediation" and rows[-1]["step"] == 3


def test_wen2004_and_baron_kenny_sequences():
    kw = dict(mediator="m", alpha=0.05, boot=None)
    # c not significant: stop
    _, concl, _ = decide("wen2004", c=_t(0.1, 0.3), a=_t(1, 0.001), b=_t(0.2, 0.001),
                         c_prime=_t(0.1, 0.01), sobel=(0.2, 5, 0.001), **kw)
    assert concl == "no mediation"
    # b not significant: Sobel decides (wen2004) but Baron-Kenny stops
    args = dict(c=_t(0.3, 0.001), a=_t(1, 0.001), b=_t(0.2, 0.08), c_prime=_t(0.1, 0.01),
                sobel=(0.2, 2.2, 0.028))
    rows, concl, _ = decide("wen2004", **args, **kw)
    assert concl == "partial mediation" and any("Sobel" in r["test"] for r in rows)
    _, concl, _ = decide("baron_kenny", **args, **kw)
    assert concl == "no mediation"


def test_suppression_on_data(sim):
    """A negative direct effect opposite to a positive indirect effect is found."""
    s = dz.simulate_pilot_panel(seed=4, effect="homogeneous", direct=-0.03, b=0.04)
    panel = dz.build_panel(s.data, unit="city_code", time="year", cohort="cohort")
    res = dz.mediation(panel, "isu", "ecom", method="stepwise", n_boot=99, seed=1)
    assert res.conclusion == "suppression"
    c_prime = res.outcome_model["treated"]
    assert res.share_mediated == pytest.approx(
        abs(res.indirect.loc["ecom", "estimate"] / c_prime), rel=1e-12)
    assert "遮掩效应" in res.summary() and "suppression" in res.verdict
    assert set(res.steps.columns) >= {"step", "test", "statistic", "p_value", "decision"}


# ------------------------------------------------------------------ channel, moderation


def test_channel_default_and_staggered_estimator(panel):
    res = dz.mediation(panel, "isu", "ecom")
    assert res.method == "channel" and res.outcome_model is None
    ref = dz.twfe(panel, "ecom")
    assert res.first_stage["ecom"]["treated"] == pytest.approx(ref["treated"], rel=1e-12)
    text = res.summary()
    assert "江艇" in text and "post-treatment" in text
    assert res.conclusion == "inconclusive" and "consistent with the channel" in res.verdict
    cs = _quiet(dz.mediation, panel, "isu", "ecom", estimator="callaway_santanna")
    ref_cs = dz.aggregate(_quiet(dz.callaway_santanna, panel, "ecom"), "simple")
    assert cs.first_stage["ecom"]["overall"] == pytest.approx(ref_cs["overall"], rel=1e-10)
    assert cs.tidy().loc[1, "estimate"] == pytest.approx(ref_cs["overall"], rel=1e-10)


def test_channel_no_effect_on_mediator():
    s = dz.simulate_pilot_panel(seed=2, effect="homogeneous", a=0.0)
    panel = dz.build_panel(s.data, unit="city_code", time="year", cohort="cohort")
    res = dz.mediation(panel, "isu", "ecom")
    if res.tests[0].p_value >= 0.05:
        assert res.conclusion == "no mediation" and "no support" in res.verdict


def test_moderation_matches_hand_interaction(panel):
    res = dz.moderation(panel, "isu", "lnpop", controls=["gov"])
    df = panel.data.copy()
    z = df["lnpop"] - df["lnpop"].mean()
    df["dz"] = panel.treated * z
    df["zc"] = z
    ref = dz.twfe(dz.build_panel(df, unit="city_code", time="year", cohort="cohort"),
                  "isu", controls=["dz", "zc", "gov"])
    np.testing.assert_allclose(res.estimate.to_numpy(), ref.estimate.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.std_error.to_numpy(), ref.std_error.to_numpy(), rtol=1e-10)
    assert res.terms[:2] == ["treated", "treated:lnpop"] and res.primary == "treated:lnpop"
    assert any("heterogeneity" in n and "not a mechanism" in n for n in res.notes)


def test_moderation_time_invariant(panel):
    df = panel.data.copy()
    df["pop2010"] = df.groupby("city_code")["lnpop"].transform("first")
    p = dz.build_panel(df, unit="city_code", time="year", cohort="cohort")
    res = dz.moderation(p, "isu", "pop2010", center=False)
    assert res.terms == ["treated", "treated:pop2010"]
    assert any("absorbed" in n for n in res.notes)
    assert res.extra["center"] == 0.0


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("change, mediator, kw, match", [
    (lambda d: d.assign(m=1.0), "m", {}, "constant"),
    (lambda d: d.assign(m=np.where(d["city_code"].isin(d["city_code"].unique()[:3]), np.nan,
                                   d["ecom"])), "m", {}, "missing for whole units: 3 of 337"),
    (lambda d: d, "isu", {}, "is the outcome"),
    (lambda d: d.assign(m=2 * d["isu"] + 1), "m", {}, "exact linear function of\\) the outcome"),
    (lambda d: d.assign(m=d["treated"].astype(float)), "m", {}, "treatment indicator"),
    (lambda d: d, "ecomm", {}, "Did you mean 'ecom'"),
    (lambda d: d, "ecom", {"controls": ["ecom"]}, "also listed in controls"),
    (lambda d: d.assign(m=d.groupby("city_code")["ecom"].transform("mean")), "m", {},
     "never changes within a unit"),
    (lambda d: d, "ecom", {"method": "stepwise", "estimator": "callaway_santanna"},
     "needs estimator='twfe'"),
    (lambda d: d, "ecom", {"method": "stepwise", "n_boot": 0}, "tests a\\*b by the cluster"),
    (lambda d: d, "ecom", {"method": "stepwise", "cluster": ("unit", "year")},
     "resamples one cluster variable"),
    (lambda d: d, "ecom", {"method": "sobel"}, "method must be one of"),
    (lambda d: d, "ecom", {"stepwise_rule": "wen"}, "stepwise_rule must be one of"),
    (lambda d: d, "ecom", {"interval": "bca2"}, "interval must be one of"),
    (lambda d: d, "ecom", {"n_boot": 1}, "n_boot must be an integer"),
])
def test_bad_input_messages(sim, change, mediator, kw, match):
    df = change(sim.data.copy())
    panel = dz.build_panel(df, unit="city_code", time="year", cohort="cohort")
    with pytest.raises(SpecificationError, match=match):
        dz.mediation(panel, "isu", mediator, **kw)


def test_collinear_mediators_in_outcome_equation(sim):
    df = sim.data.assign(m2=2 * sim.data["ecom"] - 3)
    panel = dz.build_panel(df, unit="city_code", time="year", cohort="cohort")
    with pytest.raises(EstimationError, match="collinear"):
        _quiet(dz.mediation, panel, "isu", ["ecom", "m2"], method="stepwise",
               stepwise_rule="wen2004", n_boot=0)


def test_public_names():
    """The functions live in the subpackage ``did_zones.mechanism`` (a distinct name, so
    importing it never shadows the function ``did_zones.mediation``)."""
    import did_zones.mechanism as sub

    assert dz.mediation is sub.mediation
    assert dz.MediationResult is sub.MediationResult
    assert dz.moderation is sub.moderation
    assert dz.causal_mediation is sub.causal_mediation
    assert "did_zones.mechanism" in sys.modules


def test_causal_method_composes_causal_mediation(panel):
    res = dz.mediation(panel, "isu", "ecom", method="causal", n_boot=200, seed=3)
    step = dz.mediation(panel, "isu", "ecom", method="stepwise", stepwise_rule="wen2004",
                        n_boot=0)
    acme = res.causal["ecom"]
    # the analytic ACME and ADE are a*b and c' of the same linear fits
    assert acme["ACME"] == pytest.approx(step.indirect.loc["ecom", "estimate"], rel=1e-10)
    assert acme["ADE"] == pytest.approx(step.outcome_model["treated"], rel=1e-10)
    tidy = res.tidy()
    row = tidy[tidy["term"] == "ACME"].iloc[0]
    ci = acme.extra["intervals"].set_index("term").loc["ACME"]
    assert (row["conf_low"], row["conf_high"]) == (ci["conf_low"], ci["conf_high"])
    assert res.conclusion in {"full mediation", "partial mediation", "suppression",
                              "no mediation"}
    assert "rho =" in res.summary()
