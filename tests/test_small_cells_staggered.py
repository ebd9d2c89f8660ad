"""Small cohorts in BJS imputation, did2s and dCDH: marks, ``small_cells="exclude"`` and
``small_cells="pool"`` against independent computations.

The hand panel has cohorts of 1 (2012), 2 (2013) and 6 (2014) units and 6 never-treated
units over 2010..2016, so with ``min_cohort_size=5`` the event times 3 (units of the
first two cohorts, 3 units) and 4 (the single unit of 2012) are small, and the first two
cohorts are the small ones.

References are computed here without the estimators' code paths:

* exclusion is the same as recoding the small cohorts as never-treated and deleting
  their treated rows (same untreated observations, so the same first stage; no treated
  observation of theirs; for imputation and did2s their lead rows join the reference),
  so ``exclude`` equals ``flag`` on that recoded panel, estimates and full covariance;
* the imputation first stage and the BJS variance are recomputed with dense dummy
  matrices and a pseudo-inverse (``v = −Z₀(Z₀'Z₀)⁺Z₁'w``, ``V = Σ_c (Σ v ε̃)²``);
* did2s point estimates are least squares of the hand first-stage residuals on the
  (binned) event-time dummies;
* a pooled dCDH term is ``Σ N_ℓ θ_ℓ / Σ N_ℓ`` with influence function
  ``Σ (N_ℓ/N) ψ_ℓ + (n/N) Σ_ℓ J_iℓ (θ_ℓ − θ)`` (the weights ``N_ℓ/N`` are random).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import did_zones as dz
from did_zones.errors import DidZonesError, SmallCohortWarning, SpecificationError
from did_zones.estimators import get_estimator, get_spec
from did_zones.estimators._small_cells import pool_adjacent
from did_zones.tables.zh_notes import translate_note, untranslated

SIZES = {2012: 1, 2013: 2, 2014: 6}
YEARS = np.arange(2010, 2017)


def _frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohorts = [c for c, n in SIZES.items() for _ in range(n)] + [0] * 6
    n = len(cohorts)
    unit = np.repeat(np.arange(1, n + 1), YEARS.size)
    year = np.tile(YEARS, n)
    cohort = np.repeat(cohorts, YEARS.size)
    alpha = np.repeat(rng.normal(size=n), YEARS.size)
    beta = np.tile(rng.normal(size=YEARS.size), n)
    e = np.where(cohort > 0, year - cohort, -99)
    effect = np.where(e >= 0, 1.0 + 0.3 * e + rng.normal(scale=0.5, size=unit.size), 0.0)
    y = alpha + beta + effect + rng.normal(scale=0.3, size=unit.size)
    return pd.DataFrame({"unit": unit, "year": year, "cohort": cohort.astype(float), "y": y})


def _panel(df: pd.DataFrame):
    return dz.build_panel(df, unit="unit", time="year", cohort="cohort")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def frame():
    return _frame()


@pytest.fixture(scope="module")
def panel(frame):
    return _panel(frame)


@pytest.fixture(scope="module")
def recoded(frame):
    """Small cohorts (2012, 2013) as never-treated, their treated rows deleted."""
    small = frame["cohort"].isin([2012.0, 2013.0])
    treated = small & (frame["year"] >= frame["cohort"])
    out = frame.loc[~treated].copy()
    out.loc[small[~treated], "cohort"] = 0.0
    return _panel(out)


# ------------------------------------------------------------ hand computations


def _hand_first_stage(df: pd.DataFrame):
    """Unit and year dummies fitted on untreated rows by least squares: Z₀, Z₁, τ̂, ε."""
    units = np.unique(df["unit"])
    D = np.hstack([(df["unit"].to_numpy()[:, None] == units[None, :]).astype(float),
                   (df["year"].to_numpy()[:, None] == YEARS[None, 1:]).astype(float)])
    c = df["cohort"].to_numpy()
    treated = (c > 0) & (df["year"].to_numpy() >= c)
    y = df["y"].to_numpy()
    coef = np.linalg.lstsq(D[~treated], y[~treated], rcond=None)[0]
    resid = y - D @ coef
    return D, treated, resid


def _bjs_variance(df: pd.DataFrame, W: np.ndarray) -> np.ndarray:
    """BJS Theorem 3 variance (unit clusters, τ̃ = cohort × year cell means) for the
    treated-observation weights ``W`` (rows: treated observations, columns: targets)."""
    D, treated, resid = _hand_first_stage(df)
    Z0, Z1 = D[~treated], D[treated]
    v0 = -Z0 @ np.linalg.pinv(Z0.T @ Z0) @ Z1.T @ W
    tau = resid[treated]
    cell = df.loc[treated, ["cohort", "year"]].astype(str).agg("-".join, axis=1)
    tilde = pd.Series(tau).groupby(cell.to_numpy()).transform("mean").to_numpy()
    units_t, units_u = df.loc[treated, "unit"].to_numpy(), df.loc[~treated, "unit"].to_numpy()
    scores = pd.DataFrame(W * (tau - tilde)[:, None]).groupby(units_t).sum()
    scores = scores.add(pd.DataFrame(v0 * resid[~treated][:, None]).groupby(units_u).sum(),
                        fill_value=0.0)
    E = scores.to_numpy()
    return E.T @ E


def _treated_rows(df: pd.DataFrame) -> pd.DataFrame:
    c = df["cohort"].to_numpy()
    t = (c > 0) & (df["year"].to_numpy() >= c)
    out = df.loc[t].copy()
    out["e"] = out["year"] - out["cohort"]
    return out


# ------------------------------------------------------------------------- marks


def test_marks_on_the_hand_panel(panel):
    with pytest.warns(SmallCohortWarning) as rec:
        res = dz.imputation(panel, "y")
    msgs = [str(w.message) for w in rec if "treated units (term: units)" in str(w.message)]
    assert len(msgs) == 1  # one warning listing the small terms
    assert "ATT(e=3): 3, ATT(e=4): 1" in msgs[0] and msgs[0] in res.notes
    k = res.keys
    assert k["n_treated_units"].tolist() == [9, 9, 9, 9, 3, 1]
    assert k["small_cell"].tolist() == [False] * 4 + [True, True]
    assert res.spec["min_cohort_size"] == 5 and res.spec["small_cells"] == "flag"
    # Stata's minn(30) warning and the single-cluster cells stay (distinct facts)
    assert any("effective treated observations" in n for n in res.notes)
    assert any("lie in a single cluster" in n for n in res.notes)

    d2 = _quiet(dz.did2s, panel, "y", window=(-3, 4))
    assert d2.keys["n_treated_units"].tolist() == [8, 9, 9, 9, 9, 3, 1]
    assert d2.keys["small_cell"].tolist() == [False] * 5 + [True, True]
    static = _quiet(dz.did2s, panel, "y")
    assert static.keys["n_treated_units"].tolist() == [9]

    dc = _quiet(dz.dcdh, panel, "y", window=(-2, 4))
    assert dc.terms == ["DID_M", "effect_0", "effect_1", "effect_2", "effect_3", "effect_4",
                        "placebo_1"]
    assert dc.keys["n_treated_units"].tolist() == [9, 9, 9, 9, 3, 1, 9]
    assert dc.keys["small_cell"].tolist() == [False] * 4 + [True, True, False]
    assert (dc.keys["n_treated_units"] == dc.keys["n_switchers"]).all()  # balanced panel

    # min_cohort_size=1 turns the marks off
    quiet = _quiet(dz.imputation, panel, "y", min_cohort_size=1)
    assert not quiet.keys["small_cell"].any()
    assert not any("treated units (term: units)" in n for n in quiet.notes)


def test_default_flag_changes_no_number(panel):
    base = _quiet(dz.imputation, panel, "y", window=(-3, 4))
    off = _quiet(dz.imputation, panel, "y", window=(-3, 4), min_cohort_size=1)
    np.testing.assert_array_equal(base.estimate, off.estimate)
    np.testing.assert_array_equal(base.vcov, off.vcov)


@pytest.mark.parametrize("fn, kw", [
    (dz.imputation, {}), (dz.did2s, {}), (dz.dcdh, {}),
])
def test_options_are_validated(panel, fn, kw):
    with pytest.raises(SpecificationError, match="small_cells must be one of 'flag', "
                                                 "'exclude', 'pool'; got 'drop'"):
        fn(panel, "y", small_cells="drop", **kw)
    with pytest.raises(SpecificationError, match="min_cohort_size"):
        fn(panel, "y", min_cohort_size=0, **kw)


# ---------------------------------------------------------------------- imputation


def test_imputation_exclude_equals_recoded_panel_and_hand(frame, panel, recoded):
    res = _quiet(dz.imputation, panel, "y", window=(-3, 4), small_cells="exclude")
    assert res.terms == ["overall", "ATT(e=0)", "ATT(e=1)", "ATT(e=2)", "pre(e=-1)",
                         "pre(e=-2)", "pre(e=-3)"]
    ref = _quiet(dz.imputation, recoded, "y", window=(-3, 2))
    np.testing.assert_allclose(res.estimate, ref.estimate[res.terms], rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.vcov, ref.vcov.loc[res.terms, res.terms], rtol=0,
                               atol=1e-12)
    assert res.extra["pretrend_test"].statistic == pytest.approx(
        ref.extra["pretrend_test"].statistic, rel=1e-10)
    # hand: mean τ̂ over the kept cohort, and the BJS variance with zero weights
    D, treated, resid = _hand_first_stage(frame)
    tr = _treated_rows(frame).assign(tau=resid[treated])
    keep = tr["cohort"].eq(2014).to_numpy()
    W = np.column_stack([keep / keep.sum()] + [
        (keep & tr["e"].eq(h).to_numpy()) / (keep & tr["e"].eq(h).to_numpy()).sum()
        for h in (0, 1, 2)])
    np.testing.assert_allclose(res.estimate.iloc[:4], W.T @ tr["tau"].to_numpy(), atol=1e-10)
    np.testing.assert_allclose(res.vcov.iloc[:4, :4], _bjs_variance(frame, W), atol=1e-12,
                               rtol=1e-9)
    note = next(n for n in res.notes if "small_cells='exclude'" in n)
    assert "2 cohort(s) with fewer than 5 treated units, [2012, 2013] (3 unit(s))" in note
    assert "2 term(s) dropped for resting on fewer than 5 treated units: [ATT(e=3), " \
           "ATT(e=4)]" in note
    assert not res.keys["small_cell"].any()


def test_imputation_pool_is_the_weighted_mean_over_the_union(frame, panel):
    with pytest.warns(SmallCohortWarning):
        flag = dz.imputation(panel, "y")
    res = _quiet(dz.imputation, panel, "y", small_cells="pool")
    assert res.terms == ["overall", "ATT(e=0)", "ATT(e=1)", "ATT(e=2..4)"]
    k = res.keys
    assert k.loc["ATT(e=2..4)", "event_time"] == 2 and k.loc["ATT(e=2..4)", "event_time_high"] == 4
    assert k["n_treated_units"].tolist() == [9, 9, 9, 9] and not k["small_cell"].any()
    eff = flag.extra["effects"]
    pooled = eff.loc[eff["event_time"].between(2, 4), "effect"].mean()
    assert res["ATT(e=2..4)"] == pytest.approx(pooled, abs=1e-12)
    # terms that were not pooled are unchanged
    np.testing.assert_array_equal(res.estimate.iloc[:3], flag.estimate.iloc[:3])
    D, treated, resid = _hand_first_stage(frame)
    tr = _treated_rows(frame)
    w = tr["e"].between(2, 4).to_numpy().astype(float)
    w /= w.sum()
    assert res["ATT(e=2..4)"] == pytest.approx(w @ resid[treated], abs=1e-10)
    V = _bjs_variance(frame, w[:, None])
    assert res.vcov.loc["ATT(e=2..4)", "ATT(e=2..4)"] == pytest.approx(V[0, 0], rel=1e-9)
    assert any("small_cells='pool'" in n and "[ATT(e=2..4)]" in n for n in res.notes)


def test_imputation_pool_leads():
    # a lead resting on one unit: the 2016 cohort alone is observed 5 years before
    df = _frame(1)
    df.loc[df["cohort"].eq(2012), "cohort"] = 2016.0
    panel = _panel(df)
    flag = _quiet(dz.imputation, panel, "y", window=(-5, 0))
    assert flag.keys.loc["pre(e=-5)", "n_treated_units"] == 1
    assert flag.keys.loc["pre(e=-5)", "small_cell"]
    res = _quiet(dz.imputation, panel, "y", window=(-5, 0), small_cells="pool")
    pre = [t for t in res.terms if t.startswith("pre")]
    assert pre == ["pre(e=-1)", "pre(e=-2)", "pre(e=-3)", "pre(e=-5..-4)"]
    assert res.keys.loc["pre(e=-5..-4)", ["event_time", "event_time_high"]].tolist() == [-5, -4]
    assert res.keys.loc["pre(e=-5..-4)", "n_treated_units"] == 7
    # one dummy for the bin: the pre-trend regression run by hand
    D, treated, _ = _hand_first_stage(df)
    e = (df["year"] - df["cohort"]).where(df["cohort"] > 0).to_numpy()
    lead_cols = [np.isin(e, b).astype(float) for b in ([-1], [-2], [-3], [-5, -4])]
    X = np.column_stack([D] + lead_cols)[~treated]
    coef = np.linalg.lstsq(X, df["y"].to_numpy()[~treated], rcond=None)[0][-4:]
    np.testing.assert_allclose(res.estimate[pre], coef, atol=1e-10)


# --------------------------------------------------------------------------- did2s


def test_did2s_exclude_equals_recoded_panel(panel, recoded):
    res = _quiet(dz.did2s, panel, "y", window=(-3, 4), small_cells="exclude")
    assert res.terms == ["ATT(e=-3)", "ATT(e=-2)", "ATT(e=0)", "ATT(e=1)", "ATT(e=2)"]
    ref = _quiet(dz.did2s, recoded, "y", window=(-3, 2))
    np.testing.assert_allclose(res.estimate, ref.estimate[res.terms], atol=1e-10)
    np.testing.assert_allclose(res.vcov, ref.vcov.loc[res.terms, res.terms], atol=1e-12)
    static = _quiet(dz.did2s, panel, "y", small_cells="exclude")
    ref = _quiet(dz.did2s, recoded, "y")
    assert static["overall"] == pytest.approx(ref["overall"], abs=1e-10)
    assert static.std_error["overall"] == pytest.approx(ref.std_error["overall"], rel=1e-10)
    assert any("did2s: small_cells='exclude' leaves out 2 cohort(s)" in n for n in static.notes)


def test_did2s_pool_is_a_binned_dummy(frame, panel):
    res = _quiet(dz.did2s, panel, "y", window=(-3, 4), small_cells="pool")
    assert res.terms == ["ATT(e=-3)", "ATT(e=-2)", "ATT(e=0)", "ATT(e=1)", "ATT(e=2..4)"]
    assert res.keys.loc["ATT(e=2..4)", "event_time_high"] == 4
    D, treated, resid = _hand_first_stage(frame)
    e = (frame["year"] - frame["cohort"]).where(frame["cohort"] > 0).to_numpy()
    X = np.column_stack([np.isin(e, b) for b in ([-3], [-2], [0], [1], [2, 3, 4])]).astype(float)
    beta = np.linalg.lstsq(X, resid, rcond=None)[0]  # stage 2 without intercept
    np.testing.assert_allclose(res.estimate, beta, atol=1e-10)
    bjs = _quiet(dz.imputation, panel, "y", small_cells="pool")
    assert res["ATT(e=2..4)"] == pytest.approx(bjs["ATT(e=2..4)"], abs=1e-10)


# ---------------------------------------------------------------------------- dCDH


def test_dcdh_exclude_equals_recoded_panel(panel, recoded):
    res = _quiet(dz.dcdh, panel, "y", window=(-1, 4), small_cells="exclude")
    assert res.terms == ["DID_M", "effect_0", "effect_1", "effect_2"]
    ref = _quiet(dz.dcdh, recoded, "y", window=(-1, 2))
    np.testing.assert_allclose(res.estimate, ref.estimate[res.terms], atol=1e-10)
    np.testing.assert_allclose(res.vcov, ref.vcov.loc[res.terms, res.terms], atol=1e-12)
    assert res.keys["n_treated_units"].tolist() == [6, 6, 6, 6]
    note = next(n for n in res.notes if "small_cells='exclude'" in n)
    assert "not used as switchers" in note and "[effect_3, effect_4]" in note
    # before they switch, the small cohorts remain comparison units
    cells = res.extra["cells"]
    row = cells[(cells["term"] == "effect_0") & (cells["cohort"] == 2014)].iloc[0]
    assert row["n_controls"] == 6 + 0  # never-treated only: 2012/2013 have switched by 2014
    row = cells[(cells["term"] == "DID_M") & (cells["cohort"] == 2014)].iloc[0]
    assert row["n_controls"] == 6


def test_dcdh_exclude_keeps_small_cohorts_as_controls():
    df = _frame(2)
    df["cohort"] = df["cohort"].replace({2012.0: 2015.0})  # the 1-unit cohort now adopts last
    res = _quiet(dz.dcdh, _panel(df), "y", small_cells="exclude")
    cells = res.extra["cells"]
    row = cells[(cells["term"] == "DID_M") & (cells["cohort"] == 2014)].iloc[0]
    assert row["n_controls"] == 6 + 1  # never-treated and the not-yet-treated 2015 unit
    assert not cells.loc[cells["cohort"] == 2015, "used"].any()


def test_dcdh_pool_is_the_switcher_weighted_average(panel):
    flag = _quiet(dz.dcdh, panel, "y", window=(-1, 4))
    res = _quiet(dz.dcdh, panel, "y", window=(-1, 4), small_cells="pool")
    assert res.terms == ["DID_M", "effect_0", "effect_1", "effect_2..4"]
    assert res.keys.loc["effect_2..4", ["event_time", "event_time_high"]].tolist() == [2, 4]
    lags = ["effect_2", "effect_3", "effect_4"]
    N = flag.keys.loc[lags, "n_switchers"].to_numpy(dtype=float)
    theta = flag.estimate[lags].to_numpy()
    pooled = N @ theta / N.sum()
    assert res["effect_2..4"] == pytest.approx(pooled, abs=1e-12)
    # influence function of the ratio: the linear part plus the randomness of N_ℓ/N
    n = panel.n_units
    psi = np.asarray(flag.influence)
    np.testing.assert_allclose(flag.vcov, psi.T @ psi / n**2, atol=1e-15)
    cells = flag.extra["cells"]
    cohort = pd.Series(panel.cohort)
    J = np.column_stack([cohort.isin(cells.loc[(cells["term"] == t) & cells["used"],
                                               "cohort"]).to_numpy() for t in lags])
    j = [flag.terms.index(t) for t in lags]
    psi_bin = psi[:, j] @ (N / N.sum()) + n / N.sum() * J.astype(float) @ (theta - pooled)
    assert res.vcov.loc["effect_2..4", "effect_2..4"] == pytest.approx(
        psi_bin @ psi_bin / n**2, rel=1e-10)
    np.testing.assert_allclose(res.estimate.iloc[:3], flag.estimate.iloc[:3], rtol=1e-14)


def test_dcdh_pool_placebos_and_bootstrap(panel):
    # placebo_1: 9 switchers, placebo_2: 8 (2013, 2014), placebo_3: 6 (2014); k = 7
    flag = _quiet(dz.dcdh, panel, "y", window=(-4, 1), min_cohort_size=7)
    assert flag.keys["n_treated_units"].tolist() == [9, 9, 9, 9, 8, 6]
    res = _quiet(dz.dcdh, panel, "y", window=(-4, 1), min_cohort_size=7, small_cells="pool",
                 n_boot=49, seed=1)
    assert res.terms == ["DID_M", "effect_0", "effect_1", "placebo_1", "placebo_2..3"]
    assert res.keys.loc["placebo_2..3", ["event_time", "event_time_high"]].tolist() == [-4, -3]
    assert res.keys.loc["placebo_2..3", "n_treated_units"] == 8
    N = flag.keys.loc[["placebo_2", "placebo_3"], "n_switchers"].to_numpy(dtype=float)
    pooled = N @ flag.estimate[["placebo_2", "placebo_3"]].to_numpy() / N.sum()
    assert res["placebo_2..3"] == pytest.approx(pooled, abs=1e-12)
    assert np.isfinite(res.std_error).all()
    assert res.extra["bootstrap_draws"].shape == (49, 5)


# ------------------------------------------------------------- simulated: Hangzhou


@pytest.fixture(scope="module")
def hangzhou():
    sim = dz.simulate_pilot_panel(seed=0, effect="heterogeneous", timing="next_year")
    return sim, _panel(sim.data.rename(columns={"city_code": "unit", "year": "year"}))


def test_hangzhou_alone_is_marked(hangzhou):
    sim, panel = hangzhou
    with pytest.warns(SmallCohortWarning, match=r"ATT\(e=5\): 1\."):
        bjs = dz.imputation(panel, "isu")
    eff = bjs.extra["effects"]
    alone = eff.loc[eff["event_time"] == 5, "unit"].unique()
    city = sim.data.loc[sim.data["city_code"].isin(alone), "city"].unique()
    assert city.tolist() == ["杭州市"]
    assert bjs.keys.loc["ATT(e=5)", "small_cell"] and bjs.keys.loc["ATT(e=5)",
                                                                    "n_treated_units"] == 1
    assert bjs.keys["small_cell"].sum() == 1
    d2 = _quiet(dz.did2s, panel, "isu", window=(0, 5))
    assert d2.keys.loc["ATT(e=5)", "small_cell"] and d2.keys["small_cell"].sum() == 1
    dc = _quiet(dz.dcdh, panel, "isu", window=(-1, 5))
    assert dc.keys.loc["effect_5", "small_cell"] and dc.keys["small_cell"].sum() == 1
    pooled = _quiet(dz.imputation, panel, "isu", small_cells="pool")
    assert "ATT(e=4..5)" in pooled.terms and not pooled.keys["small_cell"].any()
    excl = _quiet(dz.imputation, panel, "isu", small_cells="exclude")
    assert "ATT(e=5)" not in excl.terms and excl.stats["n_treated"] == bjs.stats["n_treated"]


def test_rerun_and_registry_pass_the_options(hangzhou):
    _, panel = hangzhou
    for name, kw in (("imputation", {}), ("did2s", {"window": (0, 5)}),
                     ("dcdh", {"window": (-1, 5)})):
        res = _quiet(get_estimator(name), panel, "isu", small_cells="pool", **kw)
        assert res.spec["small_cells"] == "pool"
        again = _quiet(dz.robustness.rerun, res, panel)
        np.testing.assert_array_equal(again.estimate, res.estimate)
        other = _quiet(dz.robustness.rerun, res, panel, small_cells="exclude")
        assert other.spec["small_cells"] == "exclude"
        assert get_spec(name).accepts("min_cohort_size")


def test_notes_translate(panel):
    seen = set()
    for fn, kw in ((dz.imputation, {"window": (-3, 4)}), (dz.did2s, {"window": (-3, 4)}),
                   (dz.dcdh, {"window": (-2, 4)})):
        for policy in ("flag", "exclude", "pool"):
            seen |= set(_quiet(fn, panel, "y", small_cells=policy, **kw).notes)
    ours = [n for n in seen if "small_cells" in n or "treated units (term" in n]
    assert len(ours) >= 7
    for note in ours:
        assert untranslated(translate_note(note)) == [], note


# -------------------------------------------------------------------- pool_adjacent


def test_pool_adjacent_small_group_alone_in_its_block():
    # used to loop forever: a small label with no neighbour in its block next to a big one
    assert pool_adjacent([-1, 0, 1], [["a"], ["b"], ["b"]], {"a": 1, "b": 6}, 5,
                         blocks=[0, 1, 1]).tolist() == [0, 1, 2]
    assert pool_adjacent([0, 1, 2, 3, 4], [["a", "b"], ["a", "b"], ["a", "b"], ["a"], ["a"]],
                         {"a": 1, "b": 8}, 5).tolist() == [0, 1, 2, 2, 2]


# ------------------------------------------------------------------ property test


@st.composite
def _panels(draw):
    n_units = draw(st.integers(3, 10))
    n_years = draw(st.integers(3, 6))
    years = list(range(2000, 2000 + n_years))
    cohorts = draw(st.lists(st.sampled_from(years[1:] + [0]), min_size=n_units,
                            max_size=n_units))
    seed = draw(st.integers(0, 2**16))
    drop = draw(st.lists(st.integers(0, n_units * n_years - 1), max_size=3))
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n_units), n_years),
                       "year": np.tile(years, n_units),
                       "cohort": np.repeat(np.asarray(cohorts, dtype=float), n_years)})
    df["y"] = rng.normal(size=len(df)) + (df["year"] >= df["cohort"]).where(
        df["cohort"] > 0, False)
    return df.drop(index=sorted(set(drop))).reset_index(drop=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=_panels(), policy=st.sampled_from(["exclude", "pool"]), k=st.integers(1, 6))
def test_random_small_panels_never_raise_raw_errors(df, policy, k):
    before = df.copy()
    try:
        panel = _quiet(_panel, df)
    except DidZonesError:
        return
    calls = ((dz.imputation, {}), (dz.imputation, {"window": (-2, None)}), (dz.did2s, {}),
             (dz.did2s, {"horizons": "all"}), (dz.dcdh, {}), (dz.dcdh, {"window": (-2, 2)}))
    for fn, kw in calls:
        try:
            res = _quiet(fn, panel, "y", min_cohort_size=k, small_cells=policy, **kw)
        except DidZonesError:
            continue
        assert res.spec["small_cells"] == policy
        assert {"n_treated_units", "small_cell", "event_time_high"} <= set(res.keys.columns)
        if policy == "exclude":
            n = res.keys["n_treated_units"].dropna()
            kind = res.keys.get("kind", pd.Series("", index=res.keys.index))
            # every term left rests on k units (dCDH keeps DID_M, marked)
            assert ((n >= k) | (res.keys.index == "DID_M") | (kind == "overall")).all()
    pd.testing.assert_frame_equal(df, before)


def test_event_average_refuses_a_pooled_term(panel):
    from did_zones.estimands import event_average

    res = _quiet(dz.imputation, panel, "y", small_cells="pool")
    with pytest.raises(SpecificationError, match=r"\['ATT\(e=2\.\.4\)'\] pool several event "
                                                 r"times \(small_cells='pool'\)"):
        event_average(res)
    avg = event_average(res, (0, 1))  # a window without the pooled range is fine
    assert avg["event_average"] == pytest.approx(res.estimate[["ATT(e=0)", "ATT(e=1)"]].mean(),
                                                 abs=1e-12)
