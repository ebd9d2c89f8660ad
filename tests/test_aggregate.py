"""aggregate: R did's aggte (simple / event / cohort / calendar) against R's published mpdta
numbers, moderndid's port of aggte (frozen in tests/reference/cs_mpdta.csv), known truths,
hand-computed weights and every error path."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from did_zones import aggregate, build_panel, callaway_santanna, dcdh
from did_zones.errors import InferenceWarning, SpecificationError

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference" / "cs_mpdta.csv"

KINDS = {
    "simple": {"kind": "simple"},
    "event": {"kind": "event"},
    "cohort": {"kind": "cohort"},
    "calendar": {"kind": "calendar"},
    "event_balance1": {"kind": "event", "balance": 1},
    "event_window": {"kind": "event", "window": (-2, 2)},
}
SCENARIO_OPTS = {
    "main": ("full", {}),
    "universal": ("full", {"base_period": "universal"}),
    "anticipation": ("full", {"anticipation": 1}),
    "weights": ("full", {"weights": "w"}),
    "unbalanced": ("unbalanced", {"allow_unbalanced": True}),
    "nonever": ("nonever", {}),
}


def quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return callaway_santanna(*args, **kwargs)


@pytest.fixture(scope="module")
def panels(mpdta):
    unb = mpdta[~(((mpdta["countyreal"] % 7 == 0) & (mpdta["year"] == 2005))
                  | ((mpdta["countyreal"] % 11 == 0) & (mpdta["year"] == 2003)))]
    return {
        "full": build_panel(mpdta, "countyreal", "year", cohort="first.treat"),
        "unbalanced": build_panel(unb, "countyreal", "year", cohort="first.treat"),
        "nonever": build_panel(mpdta[mpdta["first.treat"] > 0], "countyreal", "year",
                               cohort="first.treat"),
    }


@pytest.fixture(scope="module")
def att(panels):
    return callaway_santanna(panels["full"], "lemp")


def aggregation_groups():
    ref = pd.read_csv(REFERENCE)
    ref = ref[~ref["kind"].isin(["att_gt", "pretrend"])]
    return sorted(ref.groupby(["scenario", "control", "method", "covariates", "kind"]).groups)


# ---------------------------------------------------------------------------- mpdta


def test_mpdta_published_event_study(att):
    es = aggregate(att, "event")
    assert es.terms[0] == "overall" and es.primary == "overall"
    assert round(es["overall"], 4) == -0.0772
    got = [round(es[f"ATT(e={e})"], 4) for e in range(-3, 4)]
    assert got == [0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008]
    assert es.keys.loc["ATT(e=2)", "event_time"] == 2
    assert es.keys.loc["ATT(e=2)", "n_cells"] == 1


def test_mpdta_published_cohort_and_balanced(att):
    gr = aggregate(att, "cohort")
    assert round(gr["overall"], 3) == -0.031
    assert [round(gr[f"ATT(g={g})"], 4) for g in (2004, 2006, 2007)] == [-0.0797, -0.0229,
                                                                          -0.0261]
    assert round(aggregate(att, "event", balance=1)["overall"], 4) == -0.0288


@pytest.mark.parametrize("group", aggregation_groups(), ids=lambda g: "-".join(g))
def test_aggregations_match_moderndid(panels, group):
    ref = pd.read_csv(REFERENCE)
    scenario, control, method, cov, kind = group
    sel = ref[(ref["scenario"] == scenario) & (ref["control"] == control)
              & (ref["method"] == method) & (ref["covariates"] == cov)
              & (ref["kind"] == kind)].set_index("term")
    panel, kw = SCENARIO_OPTS[scenario]
    res = quiet(panels[panel], "lemp", control=control, method=method,
                covariates=() if cov == "none" else (cov,), **kw)
    agg = aggregate(res, **KINDS[kind])
    assert sorted(agg.terms) == sorted(sel.index)
    np.testing.assert_allclose(agg.estimate[sel.index], sel["estimate"], rtol=1e-6, atol=1e-12)
    has_se = sel["std_error"].notna()  # R: NA for the universal base period's e = -1
    np.testing.assert_allclose(agg.std_error[sel.index[has_se]], sel.loc[has_se, "std_error"],
                               rtol=1e-4)


def test_simple_weights_and_influence_by_hand(att):
    """The simple ATT and its influence function written out from the definitions."""
    simple = aggregate(att, "simple")
    keys = att.keys
    post = (keys["time"] >= keys["cohort"]).to_numpy()
    g_unit = att.extra["unit_cohort"]
    pg = np.array([np.mean(g_unit == g) for g in keys["cohort"]])
    w = np.where(post, pg, 0) / pg[post].sum()
    theta = att.estimate.to_numpy()
    assert abs(simple["overall"] - w @ theta) < 1e-14
    psi = att.influence @ w
    s = pg[post].sum()
    for k in np.flatnonzero(post):  # estimated weights: d(p_k / Σp) = (dp_k Σp − p_k dΣp)/Σp²
        dpk = (g_unit == keys["cohort"].iloc[k]) - pg[k]
        dsum = sum((g_unit == keys["cohort"].iloc[j]) - pg[j] for j in np.flatnonzero(post))
        psi = psi + theta[k] * (dpk / s - pg[k] * dsum / s**2)
    np.testing.assert_allclose(simple.influence[:, 0], psi, atol=1e-13)
    assert abs(simple.std_error["overall"] - np.sqrt(psi @ psi) / psi.size) < 1e-14
    np.testing.assert_allclose(simple.extra["weights"].loc["overall"].to_numpy(), w, atol=1e-15)


# ------------------------------------------------------------------ known truths


def effect(g, t):
    return 0.5 * g + 0.3 * (t - g) ** 2 - 1.0


@pytest.fixture(scope="module")
def noiseless():
    rng = np.random.default_rng(2)
    sizes = {3: 30, 4: 40, 6: 25, 0: 50}
    cohorts = np.repeat(list(sizes), list(sizes.values()))
    alpha = rng.normal(size=cohorts.size)
    rows = []
    for u, g in enumerate(cohorts):
        for t in range(1, 8):
            tau = effect(g, t) if 0 < g <= t else 0.0
            rows.append({"unit": u, "year": t, "g": g, "y": alpha[u] + np.cos(t) + tau})
    panel = build_panel(pd.DataFrame(rows), "unit", "year", cohort="g")
    return panel, sizes


def test_noiseless_aggregations_equal_weighted_truth(noiseless):
    panel, sizes = noiseless
    res = callaway_santanna(panel, "y", control="not_yet")
    groups = [3, 4, 6]
    ev = aggregate(res, "event")
    for e in range(0, 5):
        gs = [g for g in groups if g + e <= 7]
        truth = sum(sizes[g] * effect(g, g + e) for g in gs) / sum(sizes[g] for g in gs)
        assert abs(ev[f"ATT(e={e})"] - truth) < 1e-10
    for e in range(-4, 0):  # cohort 6's first cell compares period 2 with 1: e = -4
        assert abs(ev[f"ATT(e={e})"]) < 1e-10
    assert "ATT(e=-5)" not in ev.terms
    assert abs(ev["overall"] - np.mean([ev[f"ATT(e={e})"] for e in range(5)])) < 1e-12
    co = aggregate(res, "cohort")
    cohort_truth = {g: np.mean([effect(g, t) for t in range(g, 8)]) for g in groups}
    for g in groups:
        assert abs(co[f"ATT(g={g})"] - cohort_truth[g]) < 1e-10
    total = sum(sizes[g] for g in groups)
    assert abs(co["overall"] - sum(sizes[g] * cohort_truth[g] for g in groups) / total) < 1e-10
    ca = aggregate(res, "calendar")
    for t in range(3, 8):
        gs = [g for g in groups if g <= t]
        truth = sum(sizes[g] * effect(g, t) for g in gs) / sum(sizes[g] for g in gs)
        assert abs(ca[f"ATT(t={t})"] - truth) < 1e-10
    si = aggregate(res, "simple")
    cells = [(g, t) for g in groups for t in range(g, 8)]
    truth = sum(sizes[g] * effect(g, t) for g, t in cells) / sum(sizes[g] for g, _ in cells)
    assert abs(si["overall"] - truth) < 1e-10


def test_window_and_balance(noiseless):
    panel, _ = noiseless
    res = callaway_santanna(panel, "y")
    ev = aggregate(res, "event", window=(-2, 2))
    assert ev.terms == ["overall", "ATT(e=-2)", "ATT(e=-1)", "ATT(e=0)", "ATT(e=1)", "ATT(e=2)"]
    sub = aggregate(res, "event")
    pd.testing.assert_series_equal(ev.estimate.iloc[1:], sub.estimate[ev.terms[1:]])
    # max_e limits the post cells of the simple and cohort summaries (R's max_e)
    co = aggregate(res, "cohort", window=(None, 0))
    for g in (3, 4, 6):
        assert abs(co[f"ATT(g={g})"] - effect(g, g)) < 1e-10
    bal = aggregate(res, "event", balance=2)
    # cohorts observed 2 periods after treatment (3, 4), e in [2 - (7 - 2), 2]; their
    # earliest cells (t = 2) are at e = -1 and -2
    assert set(bal.terms) == {"overall"} | {f"ATT(e={e})" for e in range(-2, 3)}
    assert bal.keys.loc["ATT(e=-1)", "n_cells"] == 2
    assert abs(bal["ATT(e=2)"] - (30 * effect(3, 5) + 40 * effect(4, 6)) / 70) < 1e-10


# ---------------------------------------------------------------- inference options


def test_bootstrap_inherited_and_reproducible(panels):
    res = callaway_santanna(panels["full"], "lemp", n_boot=999, seed=11)
    a = aggregate(res, "event")
    b = aggregate(res, "event")
    pd.testing.assert_series_equal(a.std_error, b.std_error)
    assert a.spec["n_boot"] == 999 and a.spec["seed"] == 11 and a.spec["se"] == "bootstrap"
    assert a.crit_value is not None and a.crit_value > 1.96
    analytic = aggregate(res, "event", n_boot=0)
    assert analytic.crit_value is None and analytic.spec["se"] == "influence"
    pd.testing.assert_frame_equal(a.extra["vcov_analytic"], analytic.vcov)
    n = panels["full"].n_units
    draws = a.extra["bootstrap_draws"]
    m2 = (draws**2).mean(axis=0) / n
    kurt = (draws**4).mean(axis=0) / (draws**2).mean(axis=0) ** 2
    assert (np.abs(m2 / analytic.std_error**2 - 1) < 4 * np.sqrt((kurt - 1) / 999)).all()
    c = aggregate(res, "event", n_boot=500, seed=3)
    assert c.spec["n_boot"] == 500 and not np.allclose(c.std_error, a.std_error)
    band = a.conf_int(uniform=True)
    assert (band["conf_high"] > a.conf_int()["conf_high"]).all()


def test_clustered_aggregation(mpdta):
    df = mpdta.assign(state=mpdta["countyreal"] // 1000)
    res = quiet(build_panel(df, "countyreal", "year", cohort="first.treat"), "lemp",
                cluster="state")
    with pytest.warns(InferenceWarning, match="Only 29 clusters"):
        ev = aggregate(res, "event")
    state = df.groupby("countyreal")["state"].first().to_numpy()
    sums = pd.DataFrame(ev.influence).groupby(state).sum().to_numpy()
    np.testing.assert_allclose(ev.vcov.to_numpy(), sums.T @ sums / 500**2, rtol=1e-12)


def test_integer_weights_equal_replicated_units(mpdta):
    """Sampling weight 2 is the same point estimate as the unit appearing twice."""
    df = mpdta.assign(w2=1 + (mpdta["countyreal"] % 2))
    twice = df[df["w2"] == 2].assign(countyreal=lambda d: d["countyreal"] + 10**6)
    rep = pd.concat([df, twice])
    wres = callaway_santanna(build_panel(df, "countyreal", "year", cohort="first.treat"),
                             "lemp", weights="w2", covariates="lpop")
    rres = callaway_santanna(build_panel(rep, "countyreal", "year", cohort="first.treat"),
                             "lemp", covariates="lpop")
    np.testing.assert_allclose(wres.estimate, rres.estimate, rtol=1e-8, atol=1e-12)
    for kind in ("simple", "event", "cohort", "calendar"):
        np.testing.assert_allclose(aggregate(wres, kind).estimate,
                                   aggregate(rres, kind).estimate, rtol=1e-8, atol=1e-12)


def test_skipped_cells_are_noted():
    rows = []
    rng = np.random.default_rng(0)
    for u, g in enumerate([3] * 8 + [4] * 8 + [0] * 10):
        for t in range(1, 6):
            if g == 0 and t == 5:
                continue
            rows.append({"unit": u, "year": t, "g": g, "y": rng.normal()})
    panel = build_panel(pd.DataFrame(rows), "unit", "year", cohort="g")
    res = quiet(panel, "y", allow_unbalanced=True)
    ev = aggregate(res, "event")
    assert any("could not be estimated and are left out" in n for n in ev.notes)
    assert "ATT(e=2)" not in ev.terms  # its only cell, (3,5), was skipped
    assert ev.keys.loc["ATT(e=1)", "n_cells"] == 1  # (3,4) only: (4,5) was skipped


# --------------------------------------------------------------------- bad input


def test_bad_input(att, mpdta):
    with pytest.raises(SpecificationError, match="kind must be one of 'simple', 'event', "
                       "'cohort', 'calendar'; got 'dynamic'."):
        aggregate(att, "dynamic")
    with pytest.raises(SpecificationError, match="balance applies to kind='event' only"):
        aggregate(att, "cohort", balance=1)
    with pytest.raises(SpecificationError, match="balance must be None or a non-negative integer; got -1"):
        aggregate(att, "event", balance=-1)
    with pytest.raises(SpecificationError, match=r"window must be a pair \(min_e, max_e\)"):
        aggregate(att, "event", window=3)
    with pytest.raises(SpecificationError, match=r"with min_e <= max_e"):
        aggregate(att, "event", window=(2, -2))
    with pytest.raises(SpecificationError, match=r"No event time e >= 0 left"):
        aggregate(att, "event", window=(-3, -1))
    with pytest.raises(SpecificationError, match="n_boot must be None, 0"):
        aggregate(att, "event", n_boot=1)
    with pytest.raises(SpecificationError, match="seed must be None or an integer"):
        aggregate(att, "event", n_boot=10, seed=1.5)
    with pytest.raises(SpecificationError, match="alpha must lie strictly between 0 and 1"):
        aggregate(att, "event", alpha=0)
    with pytest.raises(SpecificationError, match="aggregate needs a Result from "
                       "callaway_santanna; got 'DataFrame'"):
        aggregate(mpdta, "event")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = dcdh(build_panel(mpdta, "countyreal", "year", cohort="first.treat"), "lemp")
    with pytest.raises(SpecificationError, match="got 'dcdh'"):
        aggregate(other, "event")
