"""callaway_santanna: ATT(g,t) against R did's published mpdta numbers, peer software (moderndid,
a port of R did / DRDID, frozen in tests/reference/cs_mpdta.csv), hand computations, noiseless
simulated panels with known effects, invariances, the bootstrap and every error path."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import reference_file

from did_zones import build_panel, callaway_santanna
from did_zones.errors import (
    DataDroppedWarning,
    EstimationError,
    InferenceWarning,
    PanelError,
    SmallCohortWarning,
    SpecificationError,
)
from did_zones.estimators import _cs_cells

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference" / "cs_mpdta.csv"

# R did README / "Getting Started" vignette: att_gt(lemp ~ first.treat, mpdta), no covariates
PUBLISHED = {
    2004: [-0.0105, -0.0704, -0.1373, -0.1008],
    2006: [0.0065, -0.0028, -0.0046, -0.0412],
    2007: [0.0305, -0.0027, -0.0311, -0.0261],
}


def quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return callaway_santanna(*args, **kwargs)


@pytest.fixture(scope="module")
def panels(mpdta):
    unb = mpdta[~(((mpdta["countyreal"] % 7 == 0) & (mpdta["year"] == 2005))
                  | ((mpdta["countyreal"] % 11 == 0) & (mpdta["year"] == 2003)))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "full": build_panel(mpdta, "countyreal", "year", cohort="first.treat"),
            "unbalanced": build_panel(unb, "countyreal", "year", cohort="first.treat"),
            "nonever": build_panel(mpdta[mpdta["first.treat"] > 0], "countyreal", "year",
                                   cohort="first.treat"),
        }


def reference():
    return pd.read_csv(reference_file(REFERENCE.name))


SCENARIO_OPTS = {
    "main": ("full", {}),
    "universal": ("full", {"base_period": "universal"}),
    "anticipation": ("full", {"anticipation": 1}),
    "weights": ("full", {"weights": "w"}),
    "unbalanced": ("unbalanced", {"allow_unbalanced": True}),
    "nonever": ("nonever", {}),
}


def fit_scenario(panels, scenario, control, method, covariates):
    panel, kw = SCENARIO_OPTS[scenario]
    cov = () if covariates == "none" else (covariates,)
    return quiet(panels[panel], "lemp", control=control, method=method, covariates=cov, **kw)


def reference_groups():
    ref = pd.read_csv(REFERENCE)
    ref = ref[ref["kind"] == "att_gt"]
    return sorted(ref.groupby(["scenario", "control", "method", "covariates"]).groups)


# ---------------------------------------------------------------------------- mpdta


def test_mpdta_matches_published_att_gt(panels):
    for method in ("dr", "ipw", "reg"):
        res = callaway_santanna(panels["full"], "lemp", method=method)
        for g, values in PUBLISHED.items():
            got = [round(res[f"ATT({g},{t})"], 4) for t in (2004, 2005, 2006, 2007)]
            assert got == values
    keys = res.keys
    assert keys.loc["ATT(2006,2005)", "base_period"] == 2004  # varying: t - 1 before g
    assert keys.loc["ATT(2006,2007)", "base_period"] == 2005  # post: g - 1
    assert keys.loc["ATT(2004,2006)", "n_treated"] == 20
    assert keys.loc["ATT(2004,2006)", "n_control"] == 309
    assert keys.loc["ATT(2007,2004)", "event_time"] == -3


def test_mpdta_pretest_p_value(panels):
    res = callaway_santanna(panels["full"], "lemp")
    test = res.extra["pretrend_test"]
    assert round(test.p_value, 5) == 0.16812
    assert test.df == 5 and test.distribution == "chi2"
    assert len(test.details["terms"]) == 5


@pytest.mark.parametrize("group", reference_groups(), ids=lambda g: "-".join(g))
def test_att_gt_matches_moderndid(panels, group):
    ref = reference()
    scenario, control, method, cov = group
    sel = ref[(ref["kind"] == "att_gt") & (ref["scenario"] == scenario)
              & (ref["control"] == control) & (ref["method"] == method)
              & (ref["covariates"] == cov)].set_index("term")
    res = fit_scenario(panels, scenario, control, method, cov)
    assert sorted(res.terms) == sorted(sel.index)
    np.testing.assert_allclose(res.estimate[sel.index], sel["estimate"], rtol=1e-6, atol=1e-12)
    has_se = sel["std_error"].notna()  # R's universal base cell has NA (ours: 0)
    np.testing.assert_allclose(res.std_error[sel.index[has_se]], sel.loc[has_se, "std_error"],
                               rtol=1e-4)
    assert (res.std_error[sel.index[~has_se]] == 0).all()


def test_pretest_matches_moderndid(panels):
    ref = reference()
    pre = ref[ref["kind"] == "pretrend"]
    for (control, method, cov), rows in pre.groupby(["control", "method", "covariates"]):
        res = fit_scenario(panels, "main", control, method, cov)
        test = res.extra["pretrend_test"]
        wald = rows.loc[rows["term"] == "wald", "estimate"].item()
        p = rows.loc[rows["term"] == "p_value", "estimate"].item()
        np.testing.assert_allclose(test.statistic, wald, rtol=1e-4)
        assert round(test.p_value, 5) == round(p, 5)


def test_result_layout(panels):
    res = callaway_santanna(panels["full"], "lemp")
    psi = res.influence
    n = panels["full"].n_units
    assert psi.shape == (n, 12)
    np.testing.assert_allclose(res.vcov.to_numpy(), psi.T @ psi / n**2, rtol=1e-12)
    np.testing.assert_allclose(psi.mean(axis=0), 0, atol=1e-12)
    assert list(res.influence_index) == list(panels["full"].units)
    assert res.df is None and res.method == "callaway_santanna"
    share = res.extra["cohort_share"]
    assert share.to_dict() == {2004.0: 20 / 500, 2006.0: 40 / 500, 2007.0: 131 / 500}
    assert res.spec["control"] == "never" and res.spec["method"] == "dr"
    assert set(res.tidy().columns) >= {"term", "estimate", "std_error", "cohort", "time"}


def test_caller_data_untouched(mpdta):
    df = mpdta.copy()
    panel = build_panel(df, "countyreal", "year", cohort="first.treat")
    before = panel.data.copy()
    quiet(panel, "lemp", covariates="lpop", n_boot=50, seed=1)
    pd.testing.assert_frame_equal(panel.data, before)
    pd.testing.assert_frame_equal(df, mpdta)


# --------------------------------------------------------------------- hand panels


def frame(cohorts, periods, y, x=None):
    """Long frame: unit u with cohort cohorts[u] (0 = never), outcome y(u, t, g)."""
    rows = []
    for u, g in enumerate(cohorts):
        for t in periods:
            row = {"unit": u, "year": t, "g": g, "y": y(u, t, g)}
            if x is not None:
                row["x"] = x(u, t, g)
            rows.append(row)
    return pd.DataFrame(rows)


def test_two_by_two_is_difference_of_four_means():
    rng = np.random.default_rng(3)
    cohorts = [2] * 7 + [0] * 9
    vals = rng.normal(size=(16, 2)) * 3
    df = frame(cohorts, [1, 2], lambda u, t, g: vals[u, t - 1])
    panel = build_panel(df, "unit", "year", cohort="g")
    tr = np.array(cohorts) == 2
    dy = vals[:, 1] - vals[:, 0]
    four = (vals[tr, 1].mean() - vals[tr, 0].mean()) - (vals[~tr, 1].mean() - vals[~tr, 0].mean())
    se = np.sqrt(dy[tr].var() / tr.sum() + dy[~tr].var() / (~tr).sum())
    for method in ("dr", "ipw", "reg"):
        res = callaway_santanna(panel, "y", method=method)
        assert res.terms == ["ATT(2,2)"]
        assert abs(res["ATT(2,2)"] - four) < 1e-12
        assert abs(res.std_error["ATT(2,2)"] - se) < 1e-12
        assert res.extra["pretrend_test"] is None


def test_closed_form_equals_general_cell_kernel(panels):
    """No-covariate cells are computed in closed form; the DRDID kernels with an intercept
    only must give the same ATT and influence function."""
    res = callaway_santanna(panels["full"], "lemp")
    panel = panels["full"]
    Y = panel.data.pivot(index="countyreal", columns="year", values="lemp").to_numpy()
    g = panel.cohort
    n = g.size
    for term, (cohort, t, b) in {"ATT(2006,2007)": (2006, 4, 2),
                                 "ATT(2007,2005)": (2007, 2, 1)}.items():
        idx = np.flatnonzero((g == cohort) | ~np.isfinite(g))
        D = (g[idx] == cohort).astype(float)
        X = np.ones((idx.size, 1))
        for method in ("dr", "ipw", "reg"):
            des = _cs_cells.panel_design(method, D, X, np.ones(idx.size), 0.995, False)
            fit = _cs_cells.panel_cell(method, des, Y[idx, t] - Y[idx, b])
            assert abs(fit.att - res[term]) < 1e-13
            psi = np.zeros(n)
            psi[idx] = fit.inf * n / idx.size
            np.testing.assert_allclose(psi, res.influence[:, res.terms.index(term)],
                                       atol=1e-12)


# ------------------------------------------------------------------ known truths


def effect(g, t):
    """Heterogeneous, dynamic true effect of cohort g at period t >= g."""
    return 0.5 * g + 0.3 * (t - g) ** 2 - 1.0


def noiseless(cohort_alpha=False):
    rng = np.random.default_rng(11)
    cohorts = np.repeat([3, 4, 6, 0], [30, 40, 25, 50])
    alpha = rng.normal(size=cohorts.size) * 2
    if cohort_alpha:
        alpha = np.array([{3: 1.0, 4: -2.0, 6: 0.5, 0: 3.0}[c] for c in cohorts])
    lam = {t: np.sin(t) + 0.2 * t for t in range(1, 8)}
    x = rng.normal(size=cohorts.size) + 0.5 * (cohorts > 0)  # selection on x, no effect on y

    def y(u, t, g):
        tau = effect(g, t) if 0 < g <= t else 0.0
        return alpha[u] + lam[t] + tau

    return frame(cohorts, range(1, 8), y, lambda u, t, g: x[u] + 0.1 * t)


@pytest.mark.parametrize("control", ["never", "not_yet"])
@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_noiseless_panel_recovers_truth(control, method, base_period):
    df = noiseless()
    panel = build_panel(df, "unit", "year", cohort="g")
    for cov in ((), ("x",)):
        res = quiet(panel, "y", control=control, method=method, covariates=cov,
                    base_period=base_period)
        truth = [effect(g, t) if t >= g else 0.0
                 for g, t in zip(res.keys["cohort"], res.keys["time"], strict=True)]
        np.testing.assert_allclose(res.estimate.to_numpy(), truth, rtol=0, atol=1e-10)
        assert len(res.terms) == 3 * (6 if base_period == "varying" else 7)


def test_noiseless_unbalanced_panel_recovers_truth():
    df = noiseless(cohort_alpha=True)
    df = df[~((df["unit"] % 4 == 1) & (df["year"] == 3))]
    panel = build_panel(df, "unit", "year", cohort="g")
    for method in ("dr", "ipw", "reg"):
        res = quiet(panel, "y", method=method, allow_unbalanced=True)
        truth = [effect(g, t) if t >= g else 0.0
                 for g, t in zip(res.keys["cohort"], res.keys["time"], strict=True)]
        np.testing.assert_allclose(res.estimate.to_numpy(), truth, atol=1e-10)
        assert res.extra["estimator"] == "unbalanced"
        assert res.n_units == 145


def test_anticipation_shifts_base_period():
    df = noiseless()
    panel = build_panel(df, "unit", "year", cohort="g")
    res = quiet(panel, "y", anticipation=1)
    # post cells of cohort 6 compare with period 4 = g - 1 - anticipation
    assert res.keys.loc["ATT(6,6)", "base_period"] == 4
    assert abs(res["ATT(6,6)"] - effect(6, 6)) < 1e-10
    assert "ATT(3,2)" in res.terms  # cohort 3 keeps one pre-period (g - 1 - δ = 1)


# --------------------------------------------------------------------- invariances


def test_invariances(mpdta):
    base = quiet(build_panel(mpdta, "countyreal", "year", cohort="first.treat"), "lemp",
                 covariates="lpop")
    shuffled = mpdta.sample(frac=1, random_state=4)
    relabel = shuffled.assign(countyreal="c" + (100000 - shuffled["countyreal"]).astype(str))
    shifted = mpdta.assign(lemp=mpdta["lemp"] + 123.0)
    for df, out in ((shuffled, "lemp"), (relabel, "lemp"), (shifted, "lemp")):
        res = quiet(build_panel(df, "countyreal", "year", cohort="first.treat"), out,
                    covariates="lpop")
        np.testing.assert_allclose(res.estimate, base.estimate, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(res.std_error, base.std_error, rtol=1e-9)


# ----------------------------------------------------------------------- bootstrap


def test_bootstrap_reproducible_and_close_to_analytic(panels):
    n_boot = 4999
    a = callaway_santanna(panels["full"], "lemp", n_boot=n_boot, seed=7)
    b = callaway_santanna(panels["full"], "lemp", n_boot=n_boot, seed=7)
    analytic = callaway_santanna(panels["full"], "lemp")
    pd.testing.assert_series_equal(a.std_error, b.std_error)
    assert a.crit_value == b.crit_value
    # Monte-Carlo bounds (4 sd). The draws' second moment estimates the analytic variance
    # without bias (E v^2 = 1): its relative sd is sqrt((kurtosis - 1) / n_boot).
    draws = a.extra["bootstrap_draws"]
    n = panels["full"].n_units
    m2 = (draws**2).mean(axis=0) / n
    kurt = (draws**4).mean(axis=0) / (draws**2).mean(axis=0) ** 2
    rel_var = np.abs(m2 / analytic.std_error**2 - 1)
    assert (rel_var < 4 * np.sqrt((kurt - 1) / n_boot)).all()
    # R's IQR-based standard error: relative sd 1.166 / sqrt(n_boot) when the draws are
    # normal, as they are for the 131-county cohort (the 20-county cohort's are not)
    big = a.keys["cohort"] == 2007
    rel = (a.std_error[big] / analytic.std_error[big] - 1).abs()
    assert (rel < 4 * 1.166 / np.sqrt(n_boot)).all()
    z = 1.959963984540054
    assert z < a.crit_value < 3.5
    band = a.conf_int(uniform=True)
    np.testing.assert_allclose(band["conf_high"] - a.estimate, a.crit_value * a.std_error)
    pd.testing.assert_frame_equal(a.extra["vcov_analytic"], analytic.vcov)
    assert a.spec["seed"] == 7 and a.spec["se"] == "bootstrap"
    c = callaway_santanna(panels["full"], "lemp", n_boot=50)
    d = callaway_santanna(panels["full"], "lemp", n_boot=50, seed=c.spec["seed"])
    pd.testing.assert_series_equal(c.std_error, d.std_error)  # the drawn seed is recorded
    m = callaway_santanna(panels["full"], "lemp", n_boot=n_boot, seed=7, boot_weights="mammen")
    assert ((m.std_error[big] / analytic.std_error[big] - 1).abs()
            < 4 * 1.166 / np.sqrt(n_boot)).all()
    assert not np.allclose(m.extra["bootstrap_draws"], draws)


def test_cluster_bootstrap_draws_one_weight_per_cluster(mpdta):
    """Each county twice under two ids, clustered on the county: every cluster total is twice
    a county's influence function, so the clustered analytic variance equals the original
    one and the cluster bootstrap reproduces the unit bootstrap draw for draw."""
    copy = mpdta.assign(countyreal=mpdta["countyreal"] + 10**6)
    doubled = pd.concat([mpdta, copy]).assign(county=lambda d: d["countyreal"] % 10**6)
    orig = build_panel(mpdta, "countyreal", "year", cohort="first.treat")
    dbl = build_panel(doubled, "countyreal", "year", cohort="first.treat")
    a = callaway_santanna(orig, "lemp", n_boot=200, seed=3)
    b = callaway_santanna(dbl, "lemp", cluster="county", n_boot=200, seed=3)
    np.testing.assert_allclose(b.estimate, a.estimate, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(b.extra["vcov_analytic"], a.extra["vcov_analytic"], rtol=1e-9)
    np.testing.assert_allclose(b.extra["bootstrap_draws"], a.extra["bootstrap_draws"],
                               rtol=1e-9, atol=1e-12)
    assert b.n_clusters == 500
    unclustered = quiet(dbl, "lemp")
    np.testing.assert_allclose(unclustered.std_error * np.sqrt(2), a.extra["vcov_analytic"]
                               .pipe(np.diag) ** 0.5, rtol=1e-10)


def test_clustered_variance_sums_influence_within_clusters(mpdta):
    mpdta = mpdta.assign(state=mpdta["countyreal"] // 1000)
    panel = build_panel(mpdta, "countyreal", "year", cohort="first.treat")
    res = quiet(panel, "lemp", cluster="state")
    state = mpdta.groupby("countyreal")["state"].first().to_numpy()
    sums = pd.DataFrame(res.influence).groupby(state).sum().to_numpy()
    np.testing.assert_allclose(res.vcov.to_numpy(), sums.T @ sums / 500**2, rtol=1e-12)
    assert res.n_clusters == np.unique(state).size


# ------------------------------------------------------------------ warnings, notes


def test_unbalanced_panel_is_balanced_with_warning(mpdta):
    df = mpdta[~((mpdta["countyreal"] % 50 == 1) & (mpdta["year"] == 2005))]
    panel = build_panel(df, "countyreal", "year", cohort="first.treat")
    dropped = int((mpdta.loc[mpdta["year"] == 2005, "countyreal"] % 50 == 1).sum())
    with pytest.warns(DataDroppedWarning, match=rf"{dropped} unit\(s\) not observed in all 5 "
                      r"periods dropped .*allow_unbalanced=True"):
        res = callaway_santanna(panel, "lemp")
    assert res.n_units == 500 - dropped
    assert any(n.startswith(f"Unbalanced panel: {dropped} unit(s)") for n in res.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataDroppedWarning)
        silent = callaway_santanna(panel, "lemp", allow_unbalanced=False)
    pd.testing.assert_series_equal(silent.estimate, res.estimate)
    kept = build_panel(df[~df["countyreal"].isin(df["countyreal"][df["countyreal"] % 50 == 1])],
                       "countyreal", "year", cohort="first.treat")
    pd.testing.assert_series_equal(quiet(kept, "lemp").estimate, res.estimate)


def test_missing_outcomes_are_counted(mpdta):
    df = mpdta.copy()
    df.loc[df.index[:3], "lemp"] = np.nan
    panel = build_panel(df, "countyreal", "year", cohort="first.treat")
    with pytest.warns(DataDroppedWarning) as record:
        res = quiet_except(DataDroppedWarning, panel, "lemp")
    messages = [str(w.message) for w in record]
    assert any(m.startswith("3 row(s) of 2500 dropped for missing values") for m in messages)
    assert any(m.startswith("Unbalanced panel: 1 unit(s)") for m in messages)
    assert any("3 row(s) of 2500 dropped" in n for n in res.notes)
    assert res.n_units == 499


def quiet_except(category, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", category)
        return callaway_santanna(*args, **kwargs)


def test_collinear_covariate_dropped_with_warning(mpdta):
    df = mpdta.assign(lpop2=2 * mpdta["lpop"] + 1, one=1.0)
    panel = build_panel(df, "countyreal", "year", cohort="first.treat")
    with pytest.warns(DataDroppedWarning, match=r"Collinear covariate\(s\) dropped: "
                      r"\['lpop2', 'one'\]"):
        res = callaway_santanna(panel, "lemp", covariates=["lpop", "lpop2", "one"])
    ref = callaway_santanna(panel, "lemp", covariates="lpop")
    pd.testing.assert_series_equal(res.estimate, ref.estimate)
    assert res.extra["covariates"] == ("lpop",)


def test_small_cohorts_warn():
    df = noiseless()
    df = df[(df["g"] != 6) | (df["unit"] < 73)]  # cohort 6 keeps 3 units
    panel = build_panel(df, "unit", "year", cohort="g")
    # the small-cell rule (one warning listing the cells) replaces the cohort list
    with pytest.warns(SmallCohortWarning, match=r"6 term\(s\) rest on fewer than 5 treated "
                      r"units \(term: units\) — ATT\(6,2\): 3, ATT\(6,3\): 3"):
        res = callaway_santanna(panel, "y")
    assert res.keys.loc[res.keys["cohort"] == 6, "small_cell"].all()
    assert not res.keys.loc[res.keys["cohort"] != 6, "small_cell"].any()
    # R did's covariates + 5 check stays, a separate statement about the fits
    with pytest.warns(SmallCohortWarning, match=r"Groups with fewer than 6 units \(covariates "
                      r"\+ 5, R did's check; cohort: units\) — 6: 3"):
        callaway_santanna(panel, "y", covariates="x")


def test_cells_without_comparison_units_are_skipped():
    df = noiseless(cohort_alpha=True)
    df = df[~((df["g"] == 0) & (df["year"] == 7))]  # no never-treated row in period 7
    panel = build_panel(df, "unit", "year", cohort="g")
    with pytest.warns(SmallCohortWarning, match=r"3 of 18 ATT\(g,t\) cell\(s\) skipped .*"
                      r"unobserved in one of the two periods, e\.g\. \(3,7\), \(4,7\), \(6,7\)"):
        res = quiet_except(SmallCohortWarning, panel, "y", allow_unbalanced=True)
    assert "ATT(3,7)" not in res.terms and len(res.terms) == 15
    skipped = res.extra["skipped_cells"]
    assert skipped["time"].tolist() == [7.0, 7.0, 7.0]


def test_trimming_and_overlap_are_reported():
    rng = np.random.default_rng(5)
    cohorts = np.repeat([3, 0], [60, 140])
    x = rng.normal(size=200) + 1.5 * (cohorts > 0)
    df = frame(cohorts, [1, 2, 3], lambda u, t, g: x[u] * t + rng.normal(),
               lambda u, t, g: x[u])
    panel = build_panel(df, "unit", "year", cohort="g")
    with pytest.warns(InferenceWarning, match=r"Propensity-score trimming \(trim=0\.5\): \d+ "
                      r"comparison observation\(s\) in 2 ATT\(g,t\) cell\(s\)"):
        res = quiet_except(InferenceWarning, panel, "y", covariates="x", trim=0.5)
    assert any(n.startswith("Propensity-score trimming") for n in res.notes)
    sep = frame(cohorts, [1, 2, 3], lambda u, t, g: rng.normal(),
                lambda u, t, g: float(g > 0) * 10 + rng.normal() * 0.01)
    with pytest.warns(SmallCohortWarning, match=r"propensity score >= 0\.999"):
        with pytest.raises(EstimationError, match="No ATT\\(g,t\\) cell could be estimated"):
            quiet_except(SmallCohortWarning, build_panel(sep, "unit", "year", cohort="g"), "y",
                         covariates="x")


def test_few_clusters_warn(mpdta):
    panel = build_panel(mpdta.assign(grp=mpdta["countyreal"] % 12), "countyreal", "year",
                        cohort="first.treat")
    with pytest.warns(InferenceWarning, match="Only 12 clusters"):
        res = callaway_santanna(panel, "lemp", cluster="grp")
    assert res.n_clusters == 12


def test_no_never_treated_not_yet_drops_late_periods(panels):
    with pytest.raises(PanelError, match=r"No never-treated units in the panel\. Use "
                       r"control='not_yet', or add never-pilot units\."):
        callaway_santanna(panels["nonever"], "lemp")
    res = callaway_santanna(panels["nonever"], "lemp", control="not_yet")
    assert sorted(set(res.keys["cohort"])) == [2004, 2006]
    assert res.keys["time"].max() == 2006
    assert any("No never-treated units: periods >= 2007" in n for n in res.notes)


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, message", [
    ({"control": "never_treated"}, "control must be one of 'never', 'not_yet'; "
                                   "got 'never_treated'."),
    ({"method": "ols"}, "method must be one of 'dr', 'ipw', 'reg'; got 'ols'."),
    ({"base_period": "fixed"}, "base_period must be one of 'varying', 'universal'; got 'fixed'."),
    ({"boot_weights": "webb"}, "boot_weights must be one of 'rademacher', 'mammen'; got 'webb'."),
    ({"covariates": "lemp"}, "The outcome 'lemp' cannot also be a covariate."),
    ({"covariates": ["lpop", "lpop"]}, "covariates lists a column twice"),
    ({"covariates": "lpopp"}, "Column 'lpopp' not found in the data. Did you mean 'lpop'?"),
    ({"anticipation": -1}, "anticipation must be a non-negative integer"),
    ({"anticipation": 1.5}, "anticipation must be a non-negative integer"),
    ({"n_boot": 1}, "n_boot must be None or an integer of at least 2; got 1."),
    ({"n_boot": True}, "n_boot must be None or an integer of at least 2; got True."),
    ({"seed": "a"}, "seed must be None or an integer; got 'a'."),
    ({"alpha": 1.5}, "alpha must lie strictly between 0 and 1"),
    ({"trim": 0}, r"trim must lie in \(0, 1\]; got 0."),
    ({"allow_unbalanced": "yes"}, "allow_unbalanced must be None, True or False; got 'yes'."),
    ({"weights": 3}, "weights must be a column name or None; got 3."),
])
def test_bad_options(panels, kwargs, message):
    with pytest.raises(SpecificationError, match=message):
        callaway_santanna(panels["full"], "lemp", **kwargs)


def test_bad_data(mpdta):
    with pytest.raises(SpecificationError, match="panel must be a did_zones Panel"):
        callaway_santanna(mpdta, "lemp")
    df = mpdta.assign(wv=mpdta["w"] + (mpdta["year"] == 2005), neg=-mpdta["w"],
                      cl=mpdta["countyreal"] * 10 + (mpdta["year"] == 2004),
                      clmiss=np.where(mpdta["year"] == 2006, np.nan, 1.0))
    panel = build_panel(df, "countyreal", "year", cohort="first.treat")
    with pytest.raises(SpecificationError, match=r"weights 'wv' varies within 500 unit\(s\), "
                       r"e\.g\. \[8001, .*constant within each unit"):
        callaway_santanna(panel, "lemp", weights="wv")
    with pytest.raises(SpecificationError, match=r"Weights 'neg' must be positive and finite; 2500 row\(s\) are not "
                       r"\(2500 negative\)"):
        callaway_santanna(panel, "lemp", weights="neg")
    with pytest.raises(SpecificationError, match=r"cluster 'cl' varies within 500 unit\(s\)"):
        callaway_santanna(panel, "lemp", cluster="cl")
    with pytest.raises(SpecificationError, match=r"cluster 'clmiss' is missing in 500 row\(s\)"):
        callaway_santanna(panel, "lemp", cluster="clmiss")
    with pytest.raises(SpecificationError, match=r"Column 'lemmp' not found"):
        callaway_santanna(panel, "lemmp")


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("balanced", [True, False])
def test_covariate_scale_does_not_matter(mpdta, method, balanced):
    # issue #14: lpop x 1e9 (GDP in yuan) failed every cell as "singular design" and
    # lpop x 1e-15 was dropped as constant; covariates are standardized internally
    df = mpdta if balanced else mpdta[~((mpdta["countyreal"] % 7 == 0)
                                        & (mpdta["year"] == 2005))]
    fits = {}
    for scale in (1.0, 1e9, 1e-15):
        panel = build_panel(df.assign(lpop=df["lpop"] * scale), "countyreal", "year",
                            cohort="first.treat")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", DataDroppedWarning)
            fits[scale] = callaway_santanna(panel, "lemp", covariates="lpop", method=method,
                                            weights="w", allow_unbalanced=not balanced)
    ref = fits[1.0]
    assert ref.estimate.notna().all()
    for scale in (1e9, 1e-15):
        np.testing.assert_allclose(fits[scale].estimate, ref.estimate, rtol=1e-6)
        np.testing.assert_allclose(fits[scale].std_error, ref.std_error, rtol=1e-6)


def test_constant_covariate_is_judged_relative_to_its_level(mpdta):
    df = mpdta.assign(big=1e9 + mpdta["lpop"], flat=1e9 * (1 + 1e-13 * mpdta["lpop"]))
    panel = build_panel(df, "countyreal", "year", cohort="first.treat")
    with pytest.warns(DataDroppedWarning, match=r"Collinear covariate\(s\) dropped: "
                      r"\['flat'\]"):
        res = callaway_santanna(panel, "lemp", covariates=["big", "flat"])
    assert res.extra["covariates"] == ("big",)
