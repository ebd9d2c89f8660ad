"""PSM-DiD: propensity score, matching weights, balance, and the DiD on the matched sample."""

import doctest
import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import did_zones as dz
from did_zones.robustness import psm
from did_zones.robustness.psm import MatchResult, match, psm_did

pytestmark = pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")

COVS = ["lngdp_pc", "lnpop", "gov"]


@pytest.fixture(scope="module")
def sim_panel():
    sim = dz.simulate_pilot_panel(seed=3)
    return dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")


# a tiny panel: 5 treated (cohort 2002), 9 never-treated; x, z constant within unit
X = np.array([0.3, 1.1, 1.9, 2.6, 0.8, 0.1, 0.5, 0.9, 1.2, 1.5, 2.0, 0.4, 1.7, 2.9])
Z = np.array([1.0, 0.2, 0.7, 0.3, 0.9, 0.4, 0.1, 0.8, 0.6, 0.3, 0.5, 0.2, 0.9, 0.1])
TREATED = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=bool)


def tiny_frame():
    units = np.arange(101, 101 + X.size)
    rows = []
    for t in (2000, 2001, 2002, 2003):
        for u, x, z, d in zip(units, X, Z, TREATED, strict=True):
            rows.append({"unit": u, "year": t, "x": x, "z": z,
                         "cohort": 2002 if d else 0, "y": x + 0.1 * t + 0.5 * d * (t >= 2002)})
    return pd.DataFrame(rows)


@pytest.fixture
def tiny():
    df = tiny_frame()
    return df, dz.build_panel(df, unit="unit", time="year", cohort="cohort")


def hand_pscore():
    fit = sm.Logit(TREATED.astype(float), sm.add_constant(np.column_stack([X, Z]))).fit(disp=0)
    return fit.predict(sm.add_constant(np.column_stack([X, Z])))


def brute_nn(p, k, caliper=None, order=None, replacement=True):
    """Nearest neighbours by explicit loops: returns {treated index: [control indices]}."""
    t_idx = [i for i in range(p.size) if TREATED[i]]
    c_idx = [j for j in range(p.size) if not TREATED[j]]
    used, out = set(), {}
    for i in (order if order is not None else t_idx):
        pool = [j for j in c_idx if replacement or j not in used]
        ranked = sorted(pool, key=lambda j: (abs(p[i] - p[j]), j))[:k]
        if caliper is not None:
            ranked = [j for j in ranked if abs(p[i] - p[j]) <= caliper]
        out[i] = ranked
        used.update(ranked)
    return out


def weights_from(pairs, n):
    w = np.zeros(n)
    for i, js in pairs.items():
        if js:
            w[i] = 1.0
            for j in js:
                w[j] += 1.0 / len(js)
    return w


# ------------------------------------------------------------------- propensity score
def test_pscore_equals_statsmodels_logit(tiny):
    _, panel = tiny
    m = match(panel, ["x", "z"], common_support=False)
    np.testing.assert_allclose(m.pscore.to_numpy(), hand_pscore(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("scale", [1e9, 1e-15])
def test_covariate_scale_does_not_matter(tiny, scale):
    # issue #14: covariates in yuan (~1e9) or x 1e-15 broke the logit or its rank check;
    # the logit runs on standardized covariates and reports coefficients on their scale
    df, panel = tiny
    ref = match(panel, ["x", "z"], common_support=False)
    scaled = dz.build_panel(df.assign(x=df["x"] * scale), unit="unit", time="year",
                            cohort="cohort")
    m = match(scaled, ["x", "z"], common_support=False)
    np.testing.assert_allclose(m.pscore.to_numpy(), ref.pscore.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(m.logit.params * np.r_[1, scale, 1], ref.logit.params,
                               rtol=1e-6)
    np.testing.assert_allclose(m.logit.bse * np.r_[1, scale, 1], ref.logit.bse, rtol=1e-6)
    assert m.logit.mle_retvals["converged"]
    hand = sm.Logit(TREATED.astype(float), sm.add_constant(np.column_stack([X, Z]))).fit(disp=0)
    np.testing.assert_allclose(ref.logit.params, hand.params, rtol=1e-8)
    np.testing.assert_allclose(ref.logit.bse, hand.bse, rtol=1e-6)


def test_constant_covariate_relative_to_its_level(tiny):
    df, _ = tiny
    flat = dz.build_panel(df.assign(z=1e9 * (1 + 1e-13 * df["z"])), unit="unit", time="year",
                          cohort="cohort")
    with pytest.raises(dz.SpecificationError, match=r"Covariate\(s\) \['z'\] are constant"):
        match(flat, ["x", "z"])


def test_pscore_on_pre_period_means(sim_panel):
    m = match(sim_panel, COVS)
    data = sim_panel.data
    first = sim_panel.cohorts.min()
    means = data[data["year"] < first].groupby("city_code")[COVS].mean()
    d = np.isfinite(sim_panel.unit_cohort.reindex(means.index)).astype(float)
    fit = sm.Logit(d.to_numpy(), sm.add_constant(means.to_numpy())).fit(disp=0)
    np.testing.assert_allclose(m.pscore.reindex(means.index).to_numpy(),
                               fit.predict(sm.add_constant(means.to_numpy())),
                               rtol=1e-10, atol=1e-12)
    assert any("2010-2014" in n for n in m.notes)


def test_pscore_single_period_and_each(sim_panel):
    data = sim_panel.data
    d_all = np.isfinite(sim_panel.row_cohort).astype(float)
    for year in (2012, 2016):
        rows = (data["year"] == year).to_numpy()
        Zc = sm.add_constant(data.loc[rows, COVS].to_numpy())
        expect = sm.Logit(d_all[rows], Zc).fit(disp=0).predict(Zc)
        single = match(sim_panel, COVS, period=year)
        np.testing.assert_allclose(single.pscore.to_numpy(), expect, rtol=1e-10, atol=1e-12)
        each = match(sim_panel, COVS, period="each")
        got = each.pscore.xs(year, level="year").to_numpy()
        np.testing.assert_allclose(got, expect, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------- nearest neighbour
@pytest.mark.parametrize("k", [1, 2, 3])
def test_nearest_with_replacement_equals_brute_force(tiny, k):
    _, panel = tiny
    m = match(panel, ["x", "z"], k=k, common_support=False)
    p = hand_pscore()
    pairs = brute_nn(p, k)
    units = panel.units
    got = {units.get_loc(t): sorted(units.get_loc(c) for c in g["control"])
           for t, g in m.matches.groupby("treated")}
    assert got == {i: sorted(js) for i, js in pairs.items()}
    np.testing.assert_allclose(m.weights.to_numpy(), weights_from(pairs, p.size), rtol=1e-12)
    # with replacement and k matches each: control weight = times used / k
    counts = np.bincount([j for js in pairs.values() for j in js], minlength=p.size)
    np.testing.assert_allclose(m.weights.to_numpy()[~TREATED], counts[~TREATED] / k,
                               rtol=1e-12)
    np.testing.assert_allclose(m.matches.groupby("treated")["weight"].sum(), 1.0, rtol=1e-12)


def test_nearest_without_replacement_equals_brute_force(tiny):
    _, panel = tiny
    p = hand_pscore()
    t_idx = np.flatnonzero(TREATED)
    # default order: descending score
    order = list(t_idx[np.argsort(-p[TREATED], kind="stable")])
    m = match(panel, ["x", "z"], k=1, replacement=False, common_support=False)
    np.testing.assert_allclose(m.weights.to_numpy(),
                               weights_from(brute_nn(p, 1, order=order, replacement=False),
                                            p.size), rtol=1e-12)
    assert m.matches["control"].is_unique
    # seeded random order, k = 2
    seeded = list(t_idx[np.random.default_rng(7).permutation(t_idx.size)])
    m2 = match(panel, ["x", "z"], k=2, replacement=False, seed=7, common_support=False)
    np.testing.assert_allclose(m2.weights.to_numpy(),
                               weights_from(brute_nn(p, 2, order=seeded, replacement=False),
                                            p.size), rtol=1e-12)
    again = match(panel, ["x", "z"], k=2, replacement=False, seed=7, common_support=False)
    pd.testing.assert_series_equal(m2.weights, again.weights)


def test_caliper_drops_the_right_units_and_counts_them(tiny):
    _, panel = tiny
    p = hand_pscore()
    pairs = brute_nn(p, 2)
    dists = sorted(abs(p[i] - p[j]) for i, js in pairs.items() for j in js)
    caliper = (dists[2] + dists[3]) / 2  # keeps exactly three pairs
    m = match(panel, ["x", "z"], k=2, caliper=caliper, common_support=False)
    cal = brute_nn(p, 2, caliper=caliper)
    n_unmatched = sum(1 for js in cal.values() if not js)
    assert n_unmatched >= 1
    assert m.n_unmatched == n_unmatched
    np.testing.assert_allclose(m.weights.to_numpy(), weights_from(cal, p.size), rtol=1e-12)
    assert len(m.matches) == 3 and (m.matches["distance"] <= caliper).all()
    assert any(re.search(rf"^{n_unmatched} treated unit\(s\) without a match", n)
               for n in m.notes)
    # unmatched treated units leave the matched panel
    gone = panel.units[np.flatnonzero(weights_from(cal, p.size) == 0)]
    assert set(m.panel.units) == set(panel.units) - set(gone)


def test_common_support(sim_panel):
    m = match(sim_panel, COVS)
    p = m.pscore.to_numpy()
    d = np.isfinite(sim_panel.unit_cohort.reindex(m.pscore.index)).to_numpy()
    off = d & ((p < p[~d].min()) | (p > p[~d].max()))
    assert off.any() and m.n_unmatched == int(off.sum())
    assert (m.weights.reindex(m.pscore.index).to_numpy()[off] == 0).all()
    assert any(f"({int(off.sum())} off the common support, 0 without" in n for n in m.notes)
    wide = match(sim_panel, COVS, common_support=False)
    assert wide.n_unmatched == 0 and (wide.weights[np.isfinite(sim_panel.unit_cohort)] == 1).all()


# ------------------------------------------------------------------- kernel
@pytest.mark.parametrize("kernel", ["epanechnikov", "normal", "biweight", "uniform", "tricube"])
def test_kernel_weights_equal_hand_formula(tiny, kernel):
    _, panel = tiny
    p = hand_pscore()
    h = 0.25
    K = {"epanechnikov": lambda u: 0.75 * (1 - u * u) if abs(u) < 1 else 0.0,
         "normal": lambda u: np.exp(-u * u / 2),
         "biweight": lambda u: (1 - u * u) ** 2 if abs(u) < 1 else 0.0,
         "uniform": lambda u: 1.0 if abs(u) < 1 else 0.0,
         "tricube": lambda u: (1 - abs(u) ** 3) ** 3 if abs(u) < 1 else 0.0}[kernel]
    expect = np.zeros(p.size)
    for i in np.flatnonzero(TREATED):
        k = {j: K((p[j] - p[i]) / h) for j in np.flatnonzero(~TREATED)}
        total = sum(k.values())
        if total > 0:
            expect[i] = 1.0
            for j, v in k.items():
                expect[j] += v / total
    m = match(panel, ["x", "z"], method="kernel", kernel=kernel, bandwidth=h,
              common_support=False)
    np.testing.assert_allclose(m.weights.to_numpy(), expect, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------- balance
@pytest.mark.parametrize("options", [
    {}, {"k": 3}, {"caliper": 0.02}, {"replacement": False, "seed": 1},
    {"method": "kernel"}, {"period": 2014}, {"period": "each"},
])
def test_balance_improves_under_selection_on_levels(sim_panel, options):
    m = match(sim_panel, COVS, **options)
    b = m.balance
    # the simulator selects pilots on levels: large imbalance before matching
    assert (b["std_diff_before"].abs() > 25).all()
    assert (b["std_diff_after"].abs() < b["std_diff_before"].abs()).all()
    assert list(m.tidy()["sample"].unique()) == ["before", "after"]


def test_balance_table_by_hand(tiny):
    _, panel = tiny
    m = match(panel, ["x", "z"], k=2, common_support=False)
    w = m.weights.to_numpy()
    for name, v in (("x", X), ("z", Z)):
        xt, xc = v[TREATED], v[~TREATED]
        sd = np.sqrt((xt.var(ddof=1) + xc.var(ddof=1)) / 2)
        row = m.balance.loc[name]
        assert row["std_diff_before"] == pytest.approx(100 * (xt.mean() - xc.mean()) / sd,
                                                       rel=1e-12)
        assert row["var_ratio_before"] == pytest.approx(xt.var(ddof=1) / xc.var(ddof=1),
                                                        rel=1e-12)
        wc = w[~TREATED]
        mc = np.sum(wc * xc) / wc.sum()
        assert row["mean_control_after"] == pytest.approx(mc, rel=1e-12)
        assert row["std_diff_after"] == pytest.approx(100 * (xt.mean() - mc) / sd, rel=1e-12)
        use = wc > 0
        vc = np.sum(wc[use] * (xc[use] - mc) ** 2) / (wc.sum() - np.sum(wc ** 2) / wc.sum())
        assert row["var_ratio_after"] == pytest.approx(xt.var(ddof=1) / vc, rel=1e-12)


# ------------------------------------------------------------------- matched panel, DiD
def test_matched_panel_carries_weights(sim_panel):
    m = match(sim_panel, COVS, k=2)
    assert isinstance(m, MatchResult)
    positive = m.weights[m.weights > 0]
    assert set(m.panel.units) == set(positive.index)
    per_unit = m.panel.data.groupby("city_code")["psm_weight"].agg(["min", "max"])
    np.testing.assert_array_equal(per_unit["min"], per_unit["max"])
    np.testing.assert_allclose(per_unit["min"], positive.reindex(per_unit.index), rtol=0)
    assert (m.weights[np.isfinite(sim_panel.unit_cohort)].isin([0.0, 1.0])).all()
    assert "psm_weight" not in sim_panel.data.columns


@pytest.mark.parametrize("fit", ["twfe", "cs_simple", "event_study"])
def test_psm_did_equals_direct_weighted_estimate(sim_panel, fit):
    make = {"twfe": lambda p, **kw: dz.twfe(p, "isu", **kw),
            "cs_simple": lambda p, **kw: dz.aggregate(dz.callaway_santanna(p, "isu", **kw),
                                                       kind="simple"),
            "event_study": lambda p, **kw: dz.event_study(p, "isu", window=(-3, 3), **kw)}[fit]
    res = make(sim_panel)
    out = psm_did(res, sim_panel, COVS, k=2, caliper=0.05)
    m = out.extra["match"]
    direct = make(m.panel, weights="psm_weight")
    np.testing.assert_allclose(out.estimate, direct.estimate, rtol=1e-12, atol=0)
    np.testing.assert_allclose(out.vcov, direct.vcov, rtol=1e-10, atol=1e-300)
    assert out.notes[: len(m.notes)] == m.notes
    assert out.spec["psm"]["k"] == 2


def test_psm_did_period_each_twfe(sim_panel):
    out = psm_did(dz.twfe(sim_panel, "isu"), sim_panel, COVS, period="each")
    m = out.extra["match"]
    assert not m.panel.is_balanced
    direct = dz.twfe(m.panel, "isu", weights="psm_weight")
    assert out["treated"] == pytest.approx(direct["treated"], rel=1e-12)
    keep = m.weights[m.weights > 0]
    got = m.panel.data.set_index(["city_code", "year"])["psm_weight"]
    np.testing.assert_allclose(got.reindex(keep.index), keep, rtol=0)


def test_caller_frames_unchanged(tiny, sim_panel):
    df, panel = tiny
    before_df, before_panel = df.copy(), panel.data.copy()
    res = dz.twfe(panel, "y")
    psm_did(res, panel, ["x", "z"], common_support=False)
    match(panel, ["x", "z"], period="each", common_support=False)
    pd.testing.assert_frame_equal(df, before_df)
    pd.testing.assert_frame_equal(panel.data, before_panel)


# ------------------------------------------------------------------- errors
def test_bad_inputs(tiny, sim_panel):
    df, panel = tiny
    miss = df.copy()
    miss.loc[miss["unit"].isin([101, 102]), "x"] = np.nan
    p_miss = dz.build_panel(miss, unit="unit", time="year", cohort="cohort")
    with pytest.raises(dz.SpecificationError,
                       match=r"2 treated unit\(s\) have missing covariates \['x', 'z'\]"):
        match(p_miss, ["x", "z"])
    ctrl = df.copy()
    ctrl.loc[ctrl["unit"] == 110, "x"] = np.nan
    p_ctrl = dz.build_panel(ctrl, unit="unit", time="year", cohort="cohort")
    with pytest.warns(dz.DataDroppedWarning, match=r"1 never-treated control\(s\)"):
        m = match(p_ctrl, ["x", "z"], common_support=False)
    assert m.weights[110] == 0 and any("donor pool" in n for n in m.notes)
    all_t = dz.build_panel(df, unit="unit", time="year",
                           cohort=dict.fromkeys(df["unit"].unique(), 2002))
    with pytest.raises(dz.EstimationError, match="No never-treated units"):
        match(all_t, ["x"])
    const = df.assign(c=1.0)
    p_const = dz.build_panel(const, unit="unit", time="year", cohort="cohort")
    with pytest.raises(dz.SpecificationError, match=r"Covariate\(s\) \['c'\] are constant"):
        match(p_const, ["x", "c"])
    with pytest.raises(dz.SpecificationError, match="collinear"):
        match(dz.build_panel(df.assign(x2=2 * df["x"]), unit="unit", time="year",
                             cohort="cohort"), ["x", "x2"])
    sep = df.assign(s=df["cohort"].gt(0).astype(float) + 0.01 * df["x"])
    with pytest.raises(dz.EstimationError, match="separate treated and control"):
        match(dz.build_panel(sep, unit="unit", time="year", cohort="cohort"), ["s"])
    with pytest.raises(dz.SpecificationError, match="Covariate 'xx' not found"):
        match(panel, ["xx"])
    with pytest.raises(dz.SpecificationError, match="No covariates given"):
        match(panel, [])
    with pytest.raises(dz.SpecificationError, match="method must be one of"):
        match(panel, ["x"], method="radius")
    with pytest.raises(dz.SpecificationError, match="k must be a positive integer"):
        match(panel, ["x"], k=0)
    with pytest.raises(dz.SpecificationError, match="caliper must be None or a finite number > 0"):
        match(panel, ["x"], caliper=-1)
    with pytest.raises(dz.SpecificationError, match="caliper applies to nearest"):
        match(panel, ["x"], method="kernel", caliper=0.1)
    with pytest.raises(dz.SpecificationError, match="replacement=False applies"):
        match(panel, ["x"], method="kernel", replacement=False)
    with pytest.raises(dz.SpecificationError, match="period 1990 is not in the panel"):
        match(panel, ["x"], period=1990)
    with pytest.raises(dz.SpecificationError, match="period must be one of"):
        match(panel, ["x"], period="post")
    with pytest.raises(dz.SpecificationError, match="Column 'y' already exists"):
        match(panel, ["x"], weight_column="y")
    with pytest.raises(dz.SpecificationError, match="panel must be a did_zones Panel"):
        match(df, ["x"])
    with pytest.raises(dz.EstimationError, match="No treated unit found a match"):
        match(panel, ["x", "z"], caliper=1e-9, common_support=False)
    with pytest.raises(dz.SpecificationError, match="'dcdh' does not accept weights="):
        psm_did(dz.dcdh(sim_panel, "isu"), sim_panel, COVS)
    with pytest.raises(dz.SpecificationError, match="already uses weights 'z'"):
        psm_did(dz.twfe(panel, "y", weights="z"), panel, ["x"])
    with pytest.raises(dz.SpecificationError, match="weights constant within units"):
        psm_did(dz.callaway_santanna(sim_panel, "isu"), sim_panel, COVS, period="each")


def test_repr_summary_and_docstrings(sim_panel):
    m = match(sim_panel, COVS)
    assert repr(m).startswith("MatchResult(nearest")
    text = m.summary()
    assert "lngdp_pc" in text and f"unmatched: {m.n_unmatched}" in text
    failures = doctest.testmod(psm, optionflags=doctest.ELLIPSIS).failed
    assert failures == 0
