"""did_zones.continuous_did with staggered timing: diff-diff reference, truth, bands, MC."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import did_zones as dz
from did_zones.errors import PanelError
from did_zones.tables.zh_notes import translate_note

REF = Path(__file__).parent / "reference"
SPECS = [("never_treated", "never", 3, 0), ("never_treated", "never", 2, 1),
         ("not_yet_treated", "not_yet", 3, 0), ("not_yet_treated", "not_yet", 2, 1)]


@pytest.fixture(scope="module")
def ref_panel():
    data = pd.read_csv(REF / "contdid_stag_data.csv")
    return dz.build_panel(data, "unit", "period", cohort="first_treat")


@pytest.mark.parametrize("dd_control,control,degree,knots", SPECS)
def test_matches_diffdiff_staggered(ref_panel, dd_control, control, degree, knots):
    ref = pd.read_csv(REF / "contdid_stag_diffdiff.csv")
    ref = ref[ref.spec == f"{dd_control}_degree{degree}_knots{knots}"]
    res = dz.continuous_did(ref_panel, "outcome", dose="dose", degree=degree,
                            num_knots=knots, control=control)
    curve = ref[ref.parameter != "att_event"]
    assert list(res.keys["parameter"]) == list(curve["parameter"])
    np.testing.assert_allclose(res.keys["dose"], curve["dose"], rtol=1e-12)
    np.testing.assert_allclose(res.estimate, curve["estimate"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(res.std_error, curve["std_error"], rtol=1e-4)
    es = dz.continuous_did(ref_panel, "outcome", dose="dose", degree=degree,
                           num_knots=knots, control=control, aggregation="eventstudy")
    event = ref[ref.parameter == "att_event"]
    terms = es.keys["event_time"].notna().to_numpy()
    np.testing.assert_allclose(es.keys["event_time"][terms], event["event_time"])
    np.testing.assert_allclose(es.estimate[terms], event["estimate"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(es.std_error[terms], event["std_error"], rtol=1e-4)
    # "overall": the equal-weighted mean of the post event times (R did's dynamic overall)
    post = event[event.event_time >= 0]
    np.testing.assert_allclose(es.estimate["overall"], post["estimate"].mean(), rtol=1e-10)
    assert es.keys["estimand"].iloc[0] == "event_average"
    assert es.spec["aggregation"] == "event"  # contdid's word, the library's value


def _stag_panel(fn, dfn, seed=0, noise=0.0, n=240):
    """Cohorts 3 and 5 of 6 periods, never treated; ΔY after g − 1 = fn(dose) · 1{t ≥ g},
    growing with exposure by 0.5 per period for the 'dynamic' part (dose-free)."""
    rng = np.random.default_rng(seed)
    g = rng.choice([3.0, 5.0, 0.0], size=n, p=[0.35, 0.35, 0.3])
    dose = np.where(g > 0, rng.uniform(0.5, 2.5, n), 0.0)
    t = np.arange(1, 7)
    level = rng.normal(0, 1, n)[:, None] + 0.3 * t[None, :]
    on = (g[:, None] > 0) & (t[None, :] >= g[:, None])
    y = level + on * fn(dose)[:, None] + noise * rng.normal(0, 1, (n, t.size))
    df = pd.DataFrame({"u": np.repeat(np.arange(n), t.size), "t": np.tile(t, n),
                       "g": np.repeat(g, t.size), "dose": np.repeat(dose, t.size),
                       "y": y.ravel()})
    return df, dz.build_panel(df, "u", "t", cohort="g"), dose, g


def test_noiseless_truth_quadratic_and_linear():
    truth = lambda d: 1.0 + 0.5 * d + 0.7 * d ** 2  # noqa: E731
    deriv = lambda d: 0.5 + 1.4 * d  # noqa: E731
    _, panel, dose, g = _stag_panel(truth, deriv, seed=2)
    grid = np.array([0.8, 1.5, 2.2])
    for degree in (2, 3):
        res = dz.continuous_did(panel, "y", dose="dose", degree=degree, dose_grid=grid)
        est = res.estimate
        np.testing.assert_allclose(est[[f"att_d_{i:03d}" for i in range(3)]], truth(grid),
                                   rtol=1e-8)
        np.testing.assert_allclose(est[[f"acrt_d_{i:03d}" for i in range(3)]], deriv(grid),
                                   rtol=1e-8)
        # ATT^o: cohort shares of treated units times the cohorts' mean effect
        tr = g > 0
        share = {c: np.mean(g[tr] == c) for c in (3.0, 5.0)}
        att_o = sum(share[c] * truth(dose[g == c]).mean() for c in share)
        acrt_o = sum(share[c] * deriv(dose[g == c]).mean() for c in share)
        np.testing.assert_allclose(est["att_overall"], att_o, rtol=1e-8)
        np.testing.assert_allclose(est["acrt_overall"], acrt_o, rtol=1e-8)
    lin = dz.continuous_did(panel, "y", dose="dose", degree=1, aggregation="eventstudy",
                            target="slope")
    # the slope of a quadratic fitted linearly is the OLS slope per cohort; pre-periods 0
    pre = lin.keys["event_time"] < 0
    np.testing.assert_allclose(lin.estimate[pre.to_numpy()], 0.0, atol=1e-8)
    es = dz.continuous_did(panel, "y", dose="dose", aggregation="eventstudy")
    e = es.keys["event_time"].to_numpy()
    n3, n5 = np.sum(g == 3), np.sum(g == 5)
    m3, m5 = truth(dose[g == 3]).mean(), truth(dose[g == 5]).mean()
    want = {-3: 0.0, -2: 0.0, -1: 0.0, 0: (n3 * m3 + n5 * m5) / (n3 + n5),
            1: (n3 * m3 + n5 * m5) / (n3 + n5), 2: m3, 3: m3}
    for k, v in want.items():
        np.testing.assert_allclose(es.estimate[e == k], v, rtol=1e-8, atol=1e-8)


def test_uniform_band_is_its_definition(ref_panel):
    res = dz.continuous_did(ref_panel, "outcome", dose="dose", n_boot=499, seed=7,
                            boot_weights="mammen", alpha=0.1)
    draws = res.extra["bootstrap_draws"]
    assert draws.shape == (499, len(res.terms))
    par = res.keys["parameter"].to_numpy()
    z = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)
    for name in ("att", "acrt"):
        d = draws[:, par == name]
        sigma = (np.quantile(d, 0.75, axis=0) - np.quantile(d, 0.25, axis=0)) / z
        crit = np.quantile(np.max(np.abs(d) / sigma, axis=1), 0.9)
        crit = max(crit, stats.norm.ppf(0.95))
        np.testing.assert_allclose(res.extra["uniform_crit"][name], crit, rtol=1e-12)
        se = sigma / np.sqrt(ref_panel.n_units)  # bootstrap (IQR) standard errors
        np.testing.assert_allclose(res.std_error[par == name], se, rtol=1e-12)
        rows = res.keys[par == name]
        est = res.estimate[par == name].to_numpy()
        np.testing.assert_allclose(rows["uniform_low"], est - crit * se, rtol=1e-12)
        np.testing.assert_allclose(rows["uniform_high"], est + crit * se, rtol=1e-12)
    # same seed, same draws; the analytic vcov is kept
    again = dz.continuous_did(ref_panel, "outcome", dose="dose", n_boot=499, seed=7,
                              boot_weights="mammen", alpha=0.1)
    np.testing.assert_array_equal(again.extra["bootstrap_draws"], draws)
    plain = dz.continuous_did(ref_panel, "outcome", dose="dose")
    np.testing.assert_allclose(res.extra["vcov_analytic"], plain.vcov, rtol=1e-12)
    es = dz.continuous_did(ref_panel, "outcome", dose="dose", aggregation="eventstudy",
                           n_boot=199, seed=3)
    assert es.crit_value == es.extra["uniform_crit"]["event"] and es.crit_value > 1.96
    band = es.tidy(uniform=True)
    assert np.all(band["conf_high"] - band["conf_low"] > 0)


def test_event_plot_and_band_plot(ref_panel):
    import matplotlib

    matplotlib.use("Agg")
    es = dz.continuous_did(ref_panel, "outcome", dose="dose", aggregation="eventstudy")
    fig = dz.plots.event_study_plot(es)
    tidy = es.tidy()
    drawn = tidy[tidy["event_time"].notna()]
    assert len(drawn) == 7
    matplotlib.pyplot.close(fig)
    res = dz.continuous_did(ref_panel, "outcome", dose="dose", n_boot=199, seed=1)
    fig = dz.plots.dose_response_plot(res, band="uniform")
    verts = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    rows = res.tidy()[res.keys["parameter"].to_numpy() == "att"]
    np.testing.assert_allclose([verts.min(), verts.max()],
                               [rows["uniform_low"].min(), rows["uniform_high"].max()],
                               rtol=1e-12)
    matplotlib.pyplot.close(fig)
    with pytest.raises(dz.errors.SpecificationError, match="uniform band needs n_boot"):
        dz.plots.dose_response_plot(dz.continuous_did(ref_panel, "outcome", dose="dose"),
                                    band="uniform")
    with pytest.raises(dz.errors.SpecificationError, match="computed for alpha=0.05"):
        dz.plots.dose_response_plot(res, band="uniform", alpha=0.1)
    with pytest.raises(dz.errors.SpecificationError, match="band must be one of"):
        dz.plots.dose_response_plot(res, band="sup")
    with pytest.raises(dz.errors.SpecificationError, match="needs the dose curves"):
        dz.plots.dose_response_plot(es)
    slope = dz.continuous_did(ref_panel, "outcome", dose="dose", aggregation="event",
                              target="slope")
    assert [t for t in slope.terms if t.startswith("ACRT(e=")][:1] == ["ACRT(e=-3)"]
    fig = dz.plots.event_study_plot({"ATT^o(e)": es, "ACRT^o(e)": slope})
    matplotlib.pyplot.close(fig)


def test_monte_carlo_recovers_truth():
    """40 noisy replications (doses U(0.5, 2.5)): mean ATT^o / ACRT^o within 4 MC standard
    errors of the population truth; the mean analytic SE within 30% of the MC SD (the SD
    of 40 draws is itself ~11% noisy). benchmarks/coverage_contdid.py (2000 draws): SE/SD
    1.03 / 0.90, coverage 0.962 / 0.917 (ACRT^o's SE holds the doses fixed, as
    diff-diff's), uniform bands 0.944 / 0.941."""
    truth = lambda d: 1.0 + 0.5 * d + 0.7 * d ** 2  # noqa: E731
    deriv = lambda d: 0.5 + 1.4 * d  # noqa: E731
    # E[D] = 1.5, E[D²] = (2.5³ − 0.5³) / 6 for D ~ U(0.5, 2.5), the same in both cohorts
    target = np.array([1.0 + 0.5 * 1.5 + 0.7 * (2.5 ** 3 - 0.5 ** 3) / 6, 0.5 + 1.4 * 1.5])
    est, se = [], []
    for rep in range(40):
        _, panel, _, _ = _stag_panel(truth, deriv, seed=100 + rep, noise=1.0, n=300)
        res = dz.continuous_did(panel, "y", dose="dose", degree=2)
        est.append(res.estimate[["att_overall", "acrt_overall"]].to_numpy())
        se.append(res.std_error[["att_overall", "acrt_overall"]].to_numpy())
    est, se = np.array(est), np.array(se)
    err = est - target
    mc_se = err.std(axis=0, ddof=1) / np.sqrt(len(err))
    assert np.all(np.abs(err.mean(axis=0)) < 4 * mc_se), (err.mean(axis=0), mc_se)
    ratio = se.mean(axis=0) / err.std(axis=0, ddof=1)
    assert np.all((ratio > 0.7) & (ratio < 1.3)), ratio


def test_bad_input_staggered():
    df, panel, dose, g = _stag_panel(lambda d: d, lambda d: 1 + 0 * d, seed=4)
    before = df.copy()
    dz.continuous_did(panel, "y", dose="dose")
    pd.testing.assert_frame_equal(df, before)
    neg = df.assign(dose=np.where(df.u == 0, -1.0, df.dose), g=np.where(df.u == 0, 3, df.g))
    with pytest.raises(PanelError, match="negative for 1 units"):
        dz.continuous_did(dz.build_panel(neg, "u", "t", cohort="g"), "y", dose="dose")
    zero = df.assign(dose=np.where(df.g == 5, 0.0, df.dose))
    n5 = int(np.sum(g == 5))
    with pytest.raises(PanelError, match=f"{n5} units break this \\({n5} treated with dose 0"):
        dz.continuous_did(dz.build_panel(zero, "u", "t", cohort="g"), "y", dose="dose")
    vary = df.assign(dose=df.dose * np.where(df.t > 4, 1.1, 1.0))
    with pytest.raises(PanelError, match=f"it changes for {int(np.sum(g > 0))} units"):
        dz.continuous_did(dz.build_panel(vary, "u", "t", cohort="g"), "y", dose="dose")
    nan = df.assign(dose=np.where(df.u == 1, np.nan, df.dose))
    with pytest.raises(PanelError, match="'dose' is missing or infinite in 6 rows"):
        dz.continuous_did(dz.build_panel(nan, "u", "t", cohort="g"), "y", dose="dose")
    # a cohort with too few treated units for the basis is left out, with a warning
    tiny = df[(df.g != 5) | (df.u.isin(df.u[df.g == 5].unique()[:3]))]
    with pytest.warns(dz.errors.DataDroppedWarning, match="1 cohorts have too few"):
        res = dz.continuous_did(dz.build_panel(tiny, "u", "t", cohort="g"), "y",
                                dose="dose")
    assert set(res.extra["cells"]["cohort"]) == {3.0}
    note = next(n for n in res.notes if "too few treated units" in n)
    assert translate_note(note) == (
        "1 个批次的处理组个体过少，不足以估计 4 个基函数，未纳入 continuous_did：5（3 个个体）。"
        "降低 degree 或 num_knots 可保留它们。")
    same = df.assign(dose=np.where(df.g > 0, 1.5, 0.0))
    with pytest.raises(dz.errors.EstimationError, match="too few distinct doses, 1, for 4"):
        dz.continuous_did(dz.build_panel(same, "u", "t", cohort="g"), "y", dose="dose")
    ties = df.assign(dose=np.where(df.g > 0, np.where(df.u % 10 == 0, 1.0 + df.u / 1000, 1.0),
                                   0.0))
    with pytest.raises(dz.errors.EstimationError, match="basis functions; knots at dose"):
        dz.continuous_did(dz.build_panel(ties, "u", "t", cohort="g"), "y", dose="dose",
                          num_knots=2)
    with pytest.raises(dz.errors.SpecificationError, match="control"):
        dz.continuous_did(panel, "y", dose="dose", control="nevertreated")


def test_universal_base_matches_diffdiff_and_feeds_honest_did(ref_panel):
    ref = pd.read_csv(REF / "contdid_stag_diffdiff.csv")
    ref = ref[ref.spec == "never_treated_degree3_knots0_universal"]
    es = dz.continuous_did(ref_panel, "outcome", dose="dose", aggregation="event",
                           base_period="universal")
    event = ref[ref.parameter == "att_event"]
    terms = es.keys["event_time"].notna().to_numpy()
    np.testing.assert_allclose(es.keys["event_time"][terms], event["event_time"])
    np.testing.assert_allclose(es.estimate[terms], event["estimate"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.diag(es.vcov))[terms], event["std_error"],
                               rtol=1e-4, atol=1e-12)
    # the curves do not depend on the base period of the pre-treatment cells
    curve = dz.continuous_did(ref_panel, "outcome", dose="dose", base_period="universal")
    dd = ref[~ref.parameter.isin(["att_event"])]
    np.testing.assert_allclose(curve.estimate, dd["estimate"], rtol=1e-6, atol=1e-9)
    # HonestDiD: long differences with a reference period (e = -1, zero, left out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        honest = dz.honest_did(es, m_values=[0.0])
    assert any("reference event time -1" in n for n in honest.notes)
    varying = dz.continuous_did(ref_panel, "outcome", dose="dose", aggregation="event")
    with pytest.raises(dz.errors.SpecificationError, match="short differences"):
        dz.honest_did(varying)
    with pytest.raises(dz.errors.SpecificationError, match="honest_did bounds an event study"):
        dz.honest_did(dz.continuous_did(ref_panel, "outcome", dose="dose"))


def test_acrt_doses_sampled_adds_the_dose_term():
    """acrt_doses='sampled': ACRT^o's influence function gains (ACRT(D_i) − ACRT^o)·n/n_g
    on each treated unit of cohort g (mean scale, one cohort, one post cell here)."""
    from did_zones.estimators.continuous import bspline_basis

    rng = np.random.default_rng(8)
    dose = np.r_[np.zeros(30), rng.uniform(0.5, 3.0, 50)]
    n = dose.size
    y1 = rng.normal(0, 1, n)
    y2 = y1 + 0.2 + (dose > 0) * (dose + 0.5 * dose ** 2) + rng.normal(0, 1, n)
    df = pd.DataFrame({"u": np.repeat(np.arange(n), 2), "t": np.tile([1, 2], n),
                       "g": np.repeat(np.where(dose > 0, 2, 0), 2),
                       "dose": np.repeat(dose, 2), "y": np.c_[y1, y2].ravel()})
    panel = dz.build_panel(df, "u", "t", cohort="g")
    fixed = dz.continuous_did(panel, "y", dose="dose", degree=2)
    sampled = dz.continuous_did(panel, "y", dose="dose", degree=2, acrt_doses="sampled")
    np.testing.assert_allclose(sampled.estimate, fixed.estimate, rtol=1e-12)
    tr = dose > 0
    slopes = bspline_basis(dose[tr], fixed.extra["knots"], 2, derivative=True) \
        @ fixed.extra["coefficients"]
    extra = np.zeros(n)
    extra[tr] = (slopes - slopes.mean()) * n / tr.sum()
    col = fixed.terms.index("acrt_overall")
    np.testing.assert_allclose(sampled.influence[:, col], fixed.influence[:, col] + extra,
                               rtol=1e-10, atol=1e-12)
    other = [i for i in range(len(fixed.terms)) if i != col]
    np.testing.assert_allclose(sampled.influence[:, other], fixed.influence[:, other],
                               rtol=1e-12, atol=1e-14)
    assert sampled.spec["acrt_doses"] == "sampled"
