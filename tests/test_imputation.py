"""Tests of did_zones.imputation (Borusyak, Jaravel & Spiess 2024; Stata did_imputation).

References: diff-diff 3.13.0 ImputationDiD (frozen, tests/reference/bjs_diffdiff.csv),
pyfixest 0.60.0 feols for the pre-trend regression (bjs_pretrend_pyfixest.csv), a dense
textbook implementation of Stata did_imputation's formulas written out below (weights,
non-unit clusters, extra fixed effects), hand-computable panels and noiseless truths.
See tests/reference/bjs_reference.md.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import data_file, quiet

import did_zones as dz
from did_zones.errors import (
    DataDroppedWarning,
    EstimationError,
    InferenceWarning,
    SmallCohortWarning,
    SpecificationError,
)

REF = Path(__file__).parent / "reference"
RTOL_EST, RTOL_SE = 1e-6, 1e-4


# ----------------------------------------------------------------------------- data


def caught(fn, *args, **kwargs):
    """Call and return (result, {warning class: [messages]})."""
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        res = fn(*args, **kwargs)
    out: dict = {}
    for w in ws:
        out.setdefault(w.category, []).append(str(w.message))
    return res, out


@pytest.fixture(scope="module")
def mpdta_df() -> pd.DataFrame:
    path = data_file("mpdta.csv")
    return pd.read_csv(path)


@pytest.fixture(scope="module")
def mpdta(mpdta_df) -> dz.Panel:
    return dz.build_panel(mpdta_df, unit="countyreal", time="year", cohort="first.treat")


@pytest.fixture(scope="module")
def sim_df() -> pd.DataFrame:
    return pd.read_csv(REF / "bjs_sim_data.csv")


@pytest.fixture(scope="module")
def sim(sim_df) -> dz.Panel:
    return dz.build_panel(sim_df, unit="unit", time="year", cohort="cohort")


def noiseless(seed=0, n=60, years=range(2010, 2018), never=True, unit_het=False):
    """y = α_i + β_t + τ(g, e) (+ unit-specific part) exactly; returns frame and truth."""
    rng = np.random.default_rng(seed)
    years = np.asarray(list(years))
    choices = [2012, 2014, 2016] + ([0] if never else [])
    cohort = rng.choice(choices, size=n)
    cohort[: len(choices)] = choices  # every cohort present
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), years.size),
                       "year": np.tile(years, n)})
    g = cohort[df["unit"]]
    df["cohort"] = g
    e = np.where(g > 0, df["year"] - g, -99)
    tau = np.where(e >= 0, (1.0 + 0.5 * e) * (1 + (g - 2012) / 4), 0.0)
    if unit_het:
        tau = tau * rng.uniform(0.5, 1.5, size=n)[df["unit"]]
    df["tau"] = tau
    df["y"] = (rng.normal(size=n)[df["unit"]] + rng.normal(size=years.size)[df["year"] - years[0]]
               + tau)
    return df


# ------------------------------------------------------ dense reference implementation


def dense_bjs(df, y, cohort, *, unit="unit", time="year", controls=(), weights=None,
              cluster="unit", horizons=None, extra_fe=None):
    """Stata did_imputation's formulas with dense dummy matrices and a pseudo-inverse.

    Written independently of the library: Z = [unit dummies, period dummies, (extra FE
    dummies), controls]; β from weighted least squares on untreated rows; imputation
    weights v₀ = −ω₀ Z₀ (Z₀'ΩZ₀)⁺ Z₁'(ω₁ w₁); τ̃ per cohort × period cell from cluster
    sums a_c = Σ ωw, b_c = Σ ωwτ̂ (τ̃ = Σ a b / Σ a²); V = Σ_c (Σ v ε̃)².
    """
    d = df.reset_index(drop=True)
    g = d[cohort].to_numpy(dtype=float)
    g = np.where(g == 0, np.inf, g)
    t = d[time].to_numpy()
    treated = t >= g
    e = np.where(np.isfinite(g), t - g, np.nan)
    om = np.ones(len(d)) if weights is None else d[weights].to_numpy(dtype=float)
    blocks = [pd.get_dummies(d[unit]).to_numpy(float), pd.get_dummies(d[time]).to_numpy(float)]
    if extra_fe is not None:
        blocks.append(pd.get_dummies(d[extra_fe[0]].astype(str) + "_" + d[extra_fe[1]].astype(str))
                      .to_numpy(float))
    blocks += [d[[c]].to_numpy(float) for c in controls]
    Z = np.hstack(blocks)
    Y = d[y].to_numpy(float)
    Z0, Z1 = Z[~treated], Z[treated]
    W0 = om[~treated]
    A = np.linalg.pinv(Z0.T @ (Z0 * W0[:, None]))
    beta = A @ (Z0.T @ (W0 * Y[~treated]))
    yhat = Z @ beta
    tau = (Y - yhat)[treated]
    resid0 = (Y - yhat)[~treated]
    hs = sorted(set(e[treated].astype(int))) if horizons is None else horizons
    cols = [np.ones(treated.sum())] + [(e[treated] == h).astype(float) for h in hs]
    cl = (np.arange(len(d)) if cluster is None else d[cluster].to_numpy())
    cells = list(zip(g[treated], t[treated], strict=True))
    ests, E = [], []
    for c in cols:
        q = c * om[treated]
        q = q / q.sum()
        ests.append(q @ tau)
        v0 = -W0 * (Z0 @ (A @ (Z1.T @ q)))
        tt = np.zeros(q.size)
        for cell in set(cells):
            idx = np.array([k for k, x in enumerate(cells) if x == cell])
            num = den = 0.0
            for c_ in np.unique(cl[treated][idx]):
                m = idx[cl[treated][idx] == c_]
                a, b = q[m].sum(), (q[m] * tau[m]).sum()
                num += a * b
                den += a * a
            tt[idx] = num / den if den != 0 else 0.0
        contrib = np.zeros(len(d))
        contrib[~treated] = v0 * resid0
        contrib[treated] = q * (tau - tt)
        E.append(pd.Series(contrib).groupby(cl).sum().to_numpy())
    E = np.column_stack(E)
    names = ["overall"] + [f"ATT(e={h})" for h in hs]
    return pd.Series(ests, index=names), pd.DataFrame(E.T @ E, index=names, columns=names)


# ----------------------------------------------------------------- peer references


def test_matches_diffdiff(mpdta, sim):
    ref = pd.read_csv(REF / "bjs_diffdiff.csv")
    panels = {"mpdta": (mpdta, "lemp"), "sim": (sim, "y")}
    options = {"basic": {}, "anticipation1": {"anticipation": 1}, "x1": {"controls": ["x1"]}}
    for (data, case), grp in ref.groupby(["data", "case"]):
        panel, y = panels[data]
        res = quiet(dz.imputation, panel, y, **options[case])
        g = grp.set_index("term")
        assert list(res.terms) == list(g.index), (data, case)
        np.testing.assert_allclose(res.estimate[g.index], g["estimate"], rtol=RTOL_EST)
        np.testing.assert_allclose(res.std_error[g.index], g["std_error"], rtol=RTOL_SE)


def test_pretrend_matches_pyfixest(mpdta, sim):
    ref = pd.read_csv(REF / "bjs_pretrend_pyfixest.csv")
    calls = {
        ("mpdta", "k3"): (mpdta, "lemp", {"window": (-3, None)}),
        ("sim", "k4_x1_w_province"): (sim, "y", {"window": (-4, None), "controls": ["x1"],
                                                 "weights": "w", "cluster": "province"}),
        ("sim", "k2_anticipation1"): (sim, "y", {"window": (-3, None), "anticipation": 1}),
        ("sim", "k3_hc1"): (sim, "y", {"window": (-3, None), "cluster": None}),
    }
    for key, grp in ref.groupby(["data", "case"]):
        panel, y, kw = calls[key]
        res = quiet(dz.imputation, panel, y, **kw)
        coefs = grp[~grp["term"].str.startswith("vcov")].set_index("term")
        pre = [t for t in res.terms if t.startswith("pre")]
        assert pre == list(coefs.index)
        np.testing.assert_allclose(res.estimate[pre], coefs["estimate"], rtol=RTOL_EST)
        np.testing.assert_allclose(res.std_error[pre], coefs["std_error"], rtol=RTOL_SE)
        k = len(pre)
        Vref = grp[grp["term"].str.startswith("vcov")]["estimate"].to_numpy().reshape(k, k)
        np.testing.assert_allclose(res.vcov.loc[pre, pre].to_numpy(), Vref, rtol=RTOL_SE)
        test = res.extra["pretrend_test"]
        assert test.distribution == "F"
        assert test.df == (int(coefs["df1"].iloc[0]), int(coefs["df2"].iloc[0]))
        np.testing.assert_allclose(test.statistic, coefs["F"].iloc[0], rtol=RTOL_SE)
        np.testing.assert_allclose(test.p_value, coefs["p_value"].iloc[0], rtol=RTOL_SE)
        assert res.stats["pretrend_p"] == test.p_value
        assert test.details["n_obs"] == int(coefs["n_obs"].iloc[0])


@pytest.mark.parametrize("kw", [
    {"controls": ["x1"], "weights": "w", "cluster": "province"},
    {"weights": "w", "cluster": None},
    # a non-contiguous set of horizons is a selection of the window's terms
    {"controls": ["x1"], "window": (0, 5), "dense_horizons": [0, 2, 5]},
])
def test_matches_dense_stata_formulas(sim, sim_df, kw):
    kw = dict(kw)
    horizons = kw.pop("dense_horizons", None)
    res = quiet(dz.imputation, sim, "y", **kw)
    est, V = dense_bjs(sim_df, "y", "cohort", controls=kw.get("controls", ()),
                       weights=kw.get("weights"), cluster=kw.get("cluster", "unit"),
                       horizons=horizons)
    np.testing.assert_allclose(res.estimate[est.index], est, rtol=1e-9)
    np.testing.assert_allclose(res.vcov.loc[est.index, est.index], V, rtol=1e-8)


def test_extra_fixed_effects_match_dense(sim, sim_df):
    with pytest.warns(DataDroppedWarning, match=r"25 treated observation\(s\) dropped .*25 "
                      "whose unit, period or other fixed effect has no untreated"):
        res = dz.imputation(sim, "y", fixed_effects=("unit", "time", ("province", "time")),
                            window=(0, 2))
    # province × year cells without untreated rows cannot impute Y(0): drop them by hand
    treated = (sim_df["cohort"] > 0) & (sim_df["year"] >= sim_df["cohort"])
    has0 = sim_df[~treated].groupby(["province", "year"]).size()
    cell = pd.MultiIndex.from_frame(sim_df[["province", "year"]])
    sample = sim_df[~treated | cell.isin(has0.index)]
    assert res.stats["n_unidentified"] == len(sim_df) - len(sample) == 25
    est, V = dense_bjs(sample, "y", "cohort", horizons=[0, 1, 2],
                       extra_fe=("province", "year"))
    np.testing.assert_allclose(res.estimate[est.index], est, rtol=1e-9)
    np.testing.assert_allclose(res.vcov.loc[est.index, est.index], V, rtol=1e-8)


# ------------------------------------------------------------------- exact answers


def test_two_by_two_is_difference_of_four_means():
    rng = np.random.default_rng(3)
    n = 9
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), 2), "year": np.tile([2020, 2021], n),
                       "y": rng.normal(size=2 * n)})
    treated_units = [0, 1, 2, 3]
    panel = dz.build_panel(df, unit="unit", time="year", cohort={u: 2021 for u in treated_units})
    res = quiet(dz.imputation, panel, "y")
    m = df.assign(tr=df["unit"].isin(treated_units)).groupby(["tr", "year"])["y"].mean()
    truth = (m[True, 2021] - m[True, 2020]) - (m[False, 2021] - m[False, 2020])
    assert abs(res["overall"] - truth) < 1e-12
    assert abs(res["ATT(e=0)"] - truth) < 1e-12


def test_noiseless_heterogeneous_dynamic_effects_recovered_exactly():
    df = noiseless()
    panel = dz.build_panel(df, unit="unit", time="year", cohort="cohort")
    res = quiet(dz.imputation, panel, "y", window=(-2, None))
    tr = df[df["cohort"].gt(0) & (df["year"] >= df["cohort"])]
    e = tr["year"] - tr["cohort"]
    truth = tr.groupby(e)["tau"].mean()
    for h, v in truth.items():
        assert abs(res[f"ATT(e={h})"] - v) < 1e-10
    assert abs(res["overall"] - tr["tau"].mean()) < 1e-10
    # effects constant within cohort × period and no noise: every residual is zero
    assert np.all(res.std_error[[t for t in res.terms if t.startswith("ATT")]] < 1e-9)
    assert np.all(np.abs(res.estimate[["pre(e=-1)", "pre(e=-2)"]]) < 1e-10)
    eff = res.extra["effects"]
    np.testing.assert_allclose(eff["effect"].to_numpy(),
                               tr.sort_values(["unit", "year"])["tau"].to_numpy(), atol=1e-10)


def test_recovers_simulated_truth_within_sampling_error():
    """simulate_pilot_panel: heterogeneous dynamic effects, known cell ATTs.

    Bound: |estimate − truth| < 4 standard errors for every horizon 0..4 (a fixed seed,
    so deterministic; under correct coverage a 4-SE miss has probability ~6e-5 per term).
    """
    sim = dz.simulate_pilot_panel(seed=7, noise=0.5)
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    res = quiet(dz.imputation, panel, "isu", window=(0, 4))
    cells = sim.truth.att_gt
    for h in range(5):
        c = cells[cells["event_time"] == h]
        truth = float((c["att"] * c["n_units"]).sum() / c["n_units"].sum())
        assert abs(res[f"ATT(e={h})"] - truth) < 4 * res.std_error[f"ATT(e={h})"]


# ---------------------------------------------------------------------- invariances


def test_invariances(sim_df):
    kw = {"controls": ["x1"], "weights": "w", "window": (-2, None)}
    base = quiet(dz.imputation, dz.build_panel(sim_df, unit="unit", time="year",
                                                cohort="cohort"), "y", **kw)
    shuffled = sim_df.sample(frac=1.0, random_state=4)
    relabel = sim_df.assign(unit=sim_df["unit"].map(lambda u: f"city{1000 - u}"))
    shifted = sim_df.assign(y=sim_df["y"] + 123.0)
    rescaled_w = sim_df.assign(w=sim_df["w"] * 7.0)
    for frame in (shuffled, relabel, shifted, rescaled_w):
        res = quiet(dz.imputation, dz.build_panel(frame, unit="unit", time="year",
                                                   cohort="cohort"), "y", **kw)
        np.testing.assert_allclose(res.estimate, base.estimate, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(res.std_error, base.std_error, rtol=1e-8)


def test_caller_frame_unchanged(sim_df):
    before = sim_df.copy(deep=True)
    panel = dz.build_panel(sim_df, unit="unit", time="year", cohort="cohort")
    quiet(dz.imputation, panel, "y", controls="x1", window=(-1, None))
    pd.testing.assert_frame_equal(sim_df, before)


# ------------------------------------------------------------- structure and output


def test_result_structure(sim):
    res = quiet(dz.imputation, sim, "y", window=(-2, 1), cluster="province")
    assert res.method == "imputation" and res.primary == "overall" and res.df is None
    assert res.terms == ["overall", "ATT(e=0)", "ATT(e=1)", "pre(e=-1)", "pre(e=-2)"]
    assert res.keys["kind"].tolist() == ["overall", "horizon", "horizon", "pretrend", "pretrend"]
    assert res.keys["event_time"].tolist()[1:] == [0.0, 1.0, -1.0, -2.0]
    ev = res.extra["effects"]
    assert res.keys.loc["ATT(e=0)", "n_obs"] == int((ev["event_time"] == 0).sum())
    assert res.n_clusters == 12 and res.influence.shape == (12, 5)
    psi = res.influence
    np.testing.assert_allclose(psi.T @ psi / psi.shape[0] ** 2, res.vcov.to_numpy(), rtol=1e-12)
    assert res.spec["cluster"] == "province" and res.spec["window"] == (-2, 1)
    tidy = res.tidy()
    assert {"estimate", "std_error", "conf_low", "event_time", "n_obs"} <= set(tidy.columns)
    # the overall effect is the mean of the unit-level effects
    assert abs(ev["effect"].mean() - res["overall"]) < 1e-12


def test_weighted_average_of_unit_effects(sim, sim_df):
    res = quiet(dz.imputation, sim, "y", weights="w", window=(3, 3))
    ev = res.extra["effects"]
    w = sim_df.set_index(["unit", "year"])["w"]
    wi = w.loc[list(zip(ev["unit"], ev["year"], strict=True))].to_numpy()
    assert abs((wi * ev["effect"]).sum() / wi.sum() - res["overall"]) < 1e-12
    m = ev["event_time"] == 3
    assert abs((wi[m] * ev["effect"][m]).sum() / wi[m].sum() - res["ATT(e=3)"]) < 1e-12


def test_unidentified_treated_rows_dropped_with_warning():
    df = noiseless(never=False, years=range(2010, 2018))
    panel = dz.build_panel(df, unit="unit", time="year", cohort="cohort")
    res, ws = caught(dz.imputation, panel, "y")
    (msg,) = ws[DataDroppedWarning]
    assert re.match(r"\d+ treated observation\(s\) dropped because Y\(0\) cannot be imputed",
                    msg)
    # no never-treated: periods >= 2016 (last cohort) have no untreated row
    n_late = int((df["year"] >= 2016).sum())
    assert res.stats["n_unidentified"] == n_late
    assert any("cannot be imputed" in n for n in res.notes)
    assert res.extra["effects"]["year"].max() == 2015
    # the identified effects are still exact
    tr = df[(df["year"] >= df["cohort"]) & (df["year"] < 2016)]
    assert abs(res["overall"] - tr["tau"].mean()) < 1e-10


def test_disconnected_fixed_effects_dropped():
    # unit 0 is observed untreated only in 2010, and 2010 has no other unit: its unit
    # effect and 2010's period effect are confounded, so its treated rows are dropped
    df = pd.DataFrame({"unit": [0, 0, 0, 1, 1, 2, 2, 3, 3], "year": [2010, 2011, 2012,
                                                                      2011, 2012] * 1 + [2011,
                                                                                         2012] * 2,
                       "y": np.arange(9.0)})
    panel = dz.build_panel(df, unit="unit", time="year", cohort={0: 2011, 1: 2012})
    res, ws = caught(dz.imputation, panel, "y")
    assert "2 whose fixed effects are not connected through untreated observations" in \
        ws[DataDroppedWarning][0]
    assert ws[InferenceWarning][0].startswith("Only 4 clusters")
    assert res.stats["n_unidentified"] == 2
    assert res.extra["effects"]["unit"].tolist() == [1]


def test_small_cohort_and_single_cluster_warnings(mpdta):
    res, ws = caught(dz.imputation, mpdta, "lemp")
    (msg,) = ws[SmallCohortWarning]
    assert msg.startswith("2 term(s) rest on fewer than 30 effective treated observations")
    assert "ATT(e=3) (20.0)" in msg and msg in res.notes
    df = noiseless(n=40, unit_het=True)
    df.loc[df["unit"] == 0, "cohort"] = 2013  # a cohort of one unit
    panel = dz.build_panel(df, unit="unit", time="year", cohort="cohort")
    res, ws = caught(dz.imputation, panel, "y")
    assert any(re.search(r"lie in a single cluster, e.g. \['cohort 2013 in 2013'", m)
               for m in ws[SmallCohortWarning])


def test_few_clusters_warning(sim):
    with pytest.warns(InferenceWarning, match="Only 12 clusters"):
        dz.imputation(sim, "y", cluster="province", window=(0, 0))


def test_time_invariant_control_dropped_and_irrelevant(mpdta):
    res, ws = caught(dz.imputation, mpdta, "lemp", controls="lpop")
    assert ws[DataDroppedWarning] == [
        "1 regressor(s) dropped as collinear with the fixed effects or earlier regressors: "
        "['lpop']. Remove them from controls."]
    base = quiet(dz.imputation, mpdta, "lemp")
    np.testing.assert_allclose(res.estimate, base.estimate, rtol=1e-10)
    np.testing.assert_allclose(res.std_error, base.std_error, rtol=1e-8)
    assert res.extra["first_stage_coef"] == {}


# --------------------------------------------------------------------------- errors


def test_errors(sim, sim_df):
    cases = [
        ({"window": (0, 40)}, SpecificationError,
         r"horizons \[.*40\] have no treated observation.*Narrow the window"),
        ({"window": (-3, -2)}, SpecificationError, r"window \(-3, -2\) holds no treated event"),
        ({"window": "all"}, SpecificationError, r"window must be a pair of integers or None"),
        ({"window": (2, -1)}, SpecificationError, r"lo <= hi"),
        ({"window": (-12, 2)}, SpecificationError,
         r"The window's pre-periods \(Stata pretrends\(12\)\) are event times"),
        # the deprecated names keep their checks for one release
        ({"horizons": [0, 40]}, SpecificationError,
         r"horizons \[40\] have no treated observation"),
        ({"horizons": [-2]}, SpecificationError, r"horizons \[-2\] are before treatment"),
        ({"horizons": "all"}, SpecificationError, "non-empty sequence of integer event times"),
        ({"pretrends": -1}, SpecificationError, "pretrends must be a non-negative integer"),
        ({"horizons": [0], "window": (0, 1)}, SpecificationError,
         r"Give window=\(lo, hi\) only; horizons \(deprecated\) cannot be combined"),
        ({"anticipation": 1.5}, SpecificationError, "anticipation must be a non-negative"),
        ({"cluster": ("unit", "province")}, SpecificationError,
         "Two-way clustering is not available"),
        ({"alpha": 1.5}, SpecificationError, "alpha must lie strictly between 0 and 1"),
        ({"controls": ["x9"]}, SpecificationError, "Column 'x9' not found"),
    ]
    for kw, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            quiet(dz.imputation, sim, "y", **kw)
    with pytest.raises(SpecificationError, match="Outcome column 'yy' not found"):
        dz.imputation(sim, "yy")
    with pytest.raises(SpecificationError, match="panel must be a did_zones Panel"):
        dz.imputation(sim_df, "y")


def test_control_collinear_only_among_untreated_is_an_error():
    df = noiseless()
    # a control that is constant within unit before treatment but moves after it
    df["x"] = np.where((df["cohort"] > 0) & (df["year"] >= df["cohort"]), df["year"] - 2000, 0.0)
    df["x"] += df["unit"] * 0.1
    panel = dz.build_panel(df, unit="unit", time="year", cohort="cohort")
    with pytest.raises(EstimationError, match=r"Control\(s\) \['x'\] are collinear with the "
                       "fixed effects among the untreated observations but not among all"):
        quiet(dz.imputation, panel, "y", controls="x")


def test_no_untreated_or_collinear_leads():
    df = noiseless(never=False)
    panel = dz.build_panel(df, unit="unit", time="year", cohort="cohort")
    # no never-treated: the unit and period effects span a linear trend in event time;
    # here (rank checked by hand: 65 fixed-effect columns, +3 with 3 to 6 leads) a fourth
    # lead adds nothing
    for k in (4, 6):
        with pytest.raises(EstimationError, match="pre-trend lead is collinear with the fixed"):
            quiet(dz.imputation, panel, "y", window=(-k, None))
    res = quiet(dz.imputation, panel, "y", window=(-3, None))
    assert len(res.extra["pretrend_test"].details["leads"]) == 3
    single = dz.build_panel(df.assign(cohort=2012), unit="unit", time="year", cohort="cohort")
    with pytest.raises(EstimationError, match="No treated observation has an identified Y"):
        quiet(dz.imputation, single, "y")
    with pytest.raises(EstimationError, match="There are no untreated observations"):
        quiet(dz.imputation, single, "y", anticipation=2)


def test_non_estimable_target_is_an_error():
    # three non-nested fixed effects (unit, year, a row-level group k): every level has an
    # untreated row and the levels are connected, yet some treated rows' unit + year + k
    # sum is not pinned down by the untreated rows (found by search; seed fixed)
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"unit": np.repeat(np.arange(6), 4), "year": np.tile(np.arange(4), 6)})
    df["k"] = rng.integers(0, 3, size=len(df))
    df["y"] = rng.normal(size=len(df))
    cohorts = {u: int(rng.choice([1, 2, 3, 99])) for u in range(6)}
    panel = dz.build_panel(df, unit="unit", time="year", cohort=cohorts)
    with pytest.raises(EstimationError, match=r"Y\(0\) of some treated observations is not "
                       r"identified by the untreated observations under the fixed effects "
                       r"\['unit', 'year', 'k'\]"):
        quiet(dz.imputation, panel, "y", fixed_effects=("unit", "year", "k"))
    with pytest.raises(EstimationError, match="is not identified by the untreated"):
        quiet(dz.did2s, panel, "y", fixed_effects=("unit", "year", "k"))


def test_iterative_solver_path_agrees(sim, monkeypatch):
    """Large secondary fixed effects switch to conjugate gradients: same numbers."""
    from did_zones.design import absorb

    kw = {"controls": ["x1"], "fixed_effects": ("unit", "time", ("province", "time")),
          "window": (0, 2)}
    dense = quiet(dz.imputation, sim, "y", **kw)
    monkeypatch.setattr(absorb, "_DENSE_MAX", 0)
    iterative = quiet(dz.imputation, sim, "y", **kw)
    np.testing.assert_allclose(iterative.estimate, dense.estimate, rtol=1e-9)
    np.testing.assert_allclose(iterative.vcov, dense.vcov, rtol=1e-7, atol=1e-14)


def test_missing_outcomes_dropped_and_noted(sim_df):
    df = sim_df.copy()
    df.loc[[3, 50, 700], "y"] = np.nan
    panel = dz.build_panel(df, unit="unit", time="year", cohort="cohort")
    res, ws = caught(dz.imputation, panel, "y")
    msg = next(m for m in ws[DataDroppedWarning] if "missing values" in m)
    assert msg.startswith("3 row(s) of 1440 dropped for missing values in ['y']")
    assert msg in res.notes
    assert res.n_obs == 1437
