"""bacon_decomposition: hand-computed 2x2s and weights, the exact TWFE identity, diff-diff's
decomposition (frozen in tests/reference/bacon_diffdiff.csv), errors and invariances."""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import data_file, reference_file

from did_zones import (
    BaconDecomposition,
    bacon_decomposition,
    build_panel,
    simulate_pilot_panel,
    twfe,
)
from did_zones.errors import (
    DataDroppedWarning,
    EstimationError,
    PanelError,
    SpecificationError,
)


def frame(cohorts, T, y, first=1, weights=None):
    """Long frame from per-unit cohorts (0 = never) and an outcome array (units x T)."""
    n = len(cohorts)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n) + 101, T),
                       "year": np.tile(np.arange(first, first + T), n),
                       "g": np.repeat(cohorts, T), "y": np.asarray(y, float).reshape(-1)})
    if weights is not None:
        df["w"] = np.repeat(weights, T)
    return df


def direct_twfe(df, y="y", w=None):
    """TWFE coefficient from an explicit dummy-variable (weighted) least-squares fit."""
    units = pd.get_dummies(df["unit"], dtype=float).to_numpy()
    years = pd.get_dummies(df["year"], dtype=float).to_numpy()[:, 1:]
    d = ((df["g"] > 0) & (df["year"] >= df["g"])).to_numpy(float)
    X = np.column_stack([d, units, years])
    sw = np.ones(len(df)) if w is None else np.sqrt(df[w].to_numpy())
    coef = np.linalg.lstsq(X * sw[:, None], df[y].to_numpy() * sw, rcond=None)[0]
    return coef[0]


def three_group_example():
    """Cohorts 3 (2 units), 5 (3 units), never (4 units); 6 periods; random outcomes."""
    rng = np.random.default_rng(7)
    cohorts = np.array([3, 3, 5, 5, 5, 0, 0, 0, 0])
    Y = rng.normal(size=(9, 6)) * 2 + np.arange(6)
    return cohorts, Y


# ------------------------------------------------------------------ hand computations


def test_three_group_example_by_hand():
    cohorts, Y = three_group_example()
    df = frame(cohorts, 6, Y)
    res = bacon_decomposition(build_panel(df, unit="unit", time="year", cohort="g"), "y")
    k, lt, u = Y[:2], Y[2:5], Y[5:]  # cohort 3 = positions 2.., cohort 5 = positions 4..

    def dd(a, b, pre, post):
        return ((a[:, post].mean() - a[:, pre].mean())
                - (b[:, post].mean() - b[:, pre].mean()))

    s02, s24, s46 = slice(0, 2), slice(2, 4), slice(4, 6)
    s26, s04 = slice(2, 6), slice(0, 4)
    expected = {
        "2x2:3v5": dd(k, lt, s02, s24),  # earlier vs later, periods 1-4
        "2x2:5v3": dd(lt, k, s24, s46),  # later vs earlier, periods 3-6
        "2x2:3vnever": dd(k, u, s02, s26),
        "2x2:5vnever": dd(lt, u, s04, s46),
    }
    for term, value in expected.items():
        assert abs(res[term] - value) < 1e-12, term

    # weights from Theorem 1 with n_k = 2/9, n_l = 3/9, n_U = 4/9, D_k = 4/6, D_l = 2/6
    nk, nl, nu, Dk, Dl = 2 / 9, 3 / 9, 4 / 9, 4 / 6, 2 / 6
    num = {
        "2x2:3v5": ((nk + nl) * (1 - Dl)) ** 2 * (nk / (nk + nl)) * (nl / (nk + nl))
        * (Dk - Dl) / (1 - Dl) * (1 - Dk) / (1 - Dl),
        "2x2:5v3": ((nk + nl) * Dk) ** 2 * (nk / (nk + nl)) * (nl / (nk + nl))
        * (Dl / Dk) * (Dk - Dl) / Dk,
        "2x2:3vnever": (nk + nu) ** 2 * (nk / (nk + nu)) * (nu / (nk + nu)) * Dk * (1 - Dk),
        "2x2:5vnever": (nl + nu) ** 2 * (nl / (nl + nu)) * (nu / (nl + nu)) * Dl * (1 - Dl),
    }
    # V^D: variance of the treatment dummy net of unit and period effects, by hand
    D = (np.arange(1, 7)[None, :] >= np.where(cohorts > 0, cohorts, 99)[:, None]).astype(float)
    Dt = D - D.mean(1, keepdims=True) - D.mean(0, keepdims=True) + D.mean()
    VD = (Dt ** 2).mean()
    assert abs(res.stats["var_d"] - VD) < 1e-14
    weight = res.keys["weight"]
    for term, value in num.items():
        assert abs(weight[term] - value / VD) < 1e-12, term
    assert abs(sum(num.values()) - VD) < 1e-14  # Theorem 1: the numerators sum to V^D

    beta = direct_twfe(df)
    assert abs(res["twfe"] - beta) < 1e-12
    assert abs(sum(weight[t] * expected[t] for t in expected) - beta) < 1e-12
    types = res.keys["type"]
    assert types["2x2:3v5"] == "Earlier vs Later Treated"
    assert types["2x2:5v3"] == "Later vs Earlier Treated"
    assert types["2x2:3vnever"] == "Treated vs Never Treated"


def test_two_by_two_is_difference_of_four_means():
    rng = np.random.default_rng(3)
    Y = rng.normal(size=(5, 2)) + 10
    df = frame([2, 2, 0, 0, 0], 2, Y)
    res = bacon_decomposition(build_panel(df, unit="unit", time="year", cohort="g"), "y")
    expected = (Y[:2, 1].mean() - Y[:2, 0].mean()) - (Y[2:, 1].mean() - Y[2:, 0].mean())
    assert res.terms == ["twfe", "2x2:2vnever"]
    assert abs(res["2x2:2vnever"] - expected) < 1e-12
    assert abs(res["twfe"] - expected) < 1e-12
    assert res.keys.loc["2x2:2vnever", "weight"] == pytest.approx(1.0, abs=1e-14)


def test_noiseless_dynamic_effects_late_vs_early_is_biased_by_the_known_amount():
    # y = unit + period effects + tau(e) with tau(e) = 1 + e: later-vs-earlier 2x2s subtract
    # the growth of the earlier cohort's effect, exactly as in Goodman-Bacon (2021, eq. 15)
    cohorts = np.array([3, 3, 6, 6, 6, 0, 0])
    T = 8
    t = np.arange(1, T + 1)
    rng = np.random.default_rng(0)
    g = np.where(cohorts > 0, cohorts, 10 ** 6)[:, None]
    tau = np.where(t[None, :] >= g, 1.0 + (t[None, :] - g), 0.0)
    Y = rng.normal(size=(7, 1)) + rng.normal(size=(1, T)) + tau
    res = bacon_decomposition(
        build_panel(frame(cohorts, T, Y), unit="unit", time="year", cohort="g"), "y")
    tk, tl = tau[0], tau[2]
    late = tl[5:].mean() - (tk[5:].mean() - tk[2:5].mean())
    early = tk[2:5].mean()
    assert abs(res["2x2:6v3"] - late) < 1e-12
    assert abs(res["2x2:3v6"] - early) < 1e-12
    assert abs(res["2x2:3vnever"] - tk[2:].mean()) < 1e-12
    assert res["2x2:6v3"] < tl[5:].mean() - 1  # the forbidden comparison understates
    assert abs(res.stats["decomposition_error"]) < 1e-12


def test_homogeneous_constant_effect_every_comparison_recovers_it():
    cohorts = np.array([2, 4, 4, 7, 0, 0, 0])
    T = 8
    g = np.where(cohorts > 0, cohorts, 10 ** 6)[:, None]
    rng = np.random.default_rng(5)
    Y = rng.normal(size=(7, 1)) + rng.normal(size=(1, T)) + 0.75 * (np.arange(1, T + 1) >= g)
    res = bacon_decomposition(
        build_panel(frame(cohorts, T, Y), unit="unit", time="year", cohort="g"), "y")
    np.testing.assert_allclose(res.estimate.to_numpy(), 0.75, rtol=0, atol=1e-12)
    assert len(res.terms) == 1 + 3 * 2 + 3  # twfe, 3 pairs x 2 directions, 3 vs never


# ------------------------------------------------------------------ exact identity


def test_weights_sum_to_one_and_decomposition_equals_twfe_on_simulated_pilot_panel():
    sim = simulate_pilot_panel(seed=3)
    panel = build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    res = bacon_decomposition(panel, "isu")
    table = res.comparisons
    assert abs(table["weight"].sum() - 1) < 1e-12
    assert abs((table["weight"] * table["estimate"]).sum() - res["twfe"]) < 1e-10
    assert res.stats["decomposition_error"] < 1e-10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        beta = twfe(panel, "isu")["treated"]
    assert abs(res["twfe"] - beta) < 1e-10


def test_no_never_treated_units_only_timing_comparisons():
    rng = np.random.default_rng(11)
    cohorts = np.array([2, 2, 4, 4, 4, 6, 6])
    Y = rng.normal(size=(7, 7))
    df = frame(cohorts, 7, Y)
    res = bacon_decomposition(build_panel(df, unit="unit", time="year", cohort="g"), "y")
    assert set(res.keys["type"][1:]) == {"Earlier vs Later Treated", "Later vs Earlier Treated"}
    assert abs(res["twfe"] - direct_twfe(df)) < 1e-12
    table = res.comparisons
    assert abs((table["weight"] * table["estimate"]).sum() - res["twfe"]) < 1e-12
    assert "weight_treated_vs_never" not in res.stats


def test_weighted_decomposition_equals_weighted_twfe():
    rng = np.random.default_rng(12)
    cohorts = np.array([3, 3, 5, 5, 5, 7, 0, 0, 0, 0])
    w = rng.uniform(0.5, 4, size=10)
    df = frame(cohorts, 8, rng.normal(size=(10, 8)), weights=w)
    res = bacon_decomposition(build_panel(df, unit="unit", time="year", cohort="g"), "y",
                              weights="w")
    assert abs(res["twfe"] - direct_twfe(df, w="w")) < 1e-12
    table = res.comparisons
    assert abs(table["weight"].sum() - 1) < 1e-12
    assert abs((table["weight"] * table["estimate"]).sum() - res["twfe"]) < 1e-12
    # a weighted 2x2 is a difference of four weighted means
    Y = df["y"].to_numpy().reshape(10, 8)
    wk, wu = w[:2], w[6:]
    mk = (wk[:, None] * Y[:2]).sum(0) / wk.sum()
    mu = (wu[:, None] * Y[6:]).sum(0) / wu.sum()
    expected = (mk[2:].mean() - mk[:2].mean()) - (mu[2:].mean() - mu[:2].mean())
    assert abs(res["2x2:3vnever"] - expected) < 1e-12


def test_period_gaps_cohort_placed_on_observed_grid():
    rng = np.random.default_rng(13)
    cohorts = np.array([2004, 2004, 2005, 2008, 0, 0])
    Y = rng.normal(size=(6, 4))
    df = frame(cohorts, 4, Y)
    df["year"] = np.tile([2003, 2005, 2007, 2009], 6)  # cohort 2004 starts in 2005
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = bacon_decomposition(panel, "y")
    assert any("not an observed period" in n for n in res.notes)
    assert "2x2:2005vnever" in res.terms and "2x2:2009vnever" in res.terms
    assert res.keys.loc["2x2:2005vnever", "n_treated"] == 3
    assert abs(res["twfe"] - direct_twfe(df.assign(g=np.repeat([2005, 2005, 2005, 2009, 0, 0],
                                                                4)))) < 1e-12
    assert res.stats["decomposition_error"] < 1e-12


# ------------------------------------------------------------------ peer software


def _reference(scenario):
    ref = pd.read_csv(reference_file("bacon_diffdiff.csv"))
    return ref[ref["scenario"] == scenario]


def _compare(res, ref):
    twfe_ref = ref.loc[ref["type"] == "TWFE", "estimate"].iloc[0]
    assert res["twfe"] == pytest.approx(twfe_ref, rel=1e-9)
    mine = res.comparisons.set_index(["type", "cohort", "control_cohort"])
    theirs = ref[ref["type"] != "TWFE"].set_index(["type", "cohort", "control_cohort"])
    assert sorted(mine.index) == sorted(theirs.index)
    theirs = theirs.loc[mine.index]
    np.testing.assert_allclose(mine["estimate"], theirs["estimate"], rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(mine["weight"], theirs["weight"], rtol=1e-9, atol=1e-13)


def test_mpdta_matches_diff_diff():
    mpdta = pd.read_csv(data_file("mpdta.csv"))
    panel = build_panel(mpdta, unit="countyreal", time="year", cohort="first.treat")
    res = bacon_decomposition(panel, "lemp")
    _compare(res, _reference("mpdta"))
    assert len(res.terms) == 1 + 3 + 6
    assert res.stats["decomposition_error"] < 1e-12


@pytest.mark.parametrize("scenario, weights", [("sim", None), ("sim_weighted", "w")])
def test_simulated_panel_matches_diff_diff(scenario, weights):
    sim = pd.read_csv(reference_file("bacon_sim_data.csv"))
    panel = build_panel(sim, unit="unit", time="year", cohort="first_treat")
    res = bacon_decomposition(panel, "y", weights=weights)
    _compare(res, _reference(scenario))
    by_type = res.by_type.set_index("type")
    table = res.comparisons
    for kind, row in by_type.iterrows():
        sub = table[table["type"] == kind]
        assert row["weight"] == pytest.approx(sub["weight"].sum(), abs=1e-15)
        assert row["estimate"] == pytest.approx(
            (sub["weight"] * sub["estimate"]).sum() / sub["weight"].sum(), abs=1e-13)
    assert by_type["weight"].sum() == pytest.approx(1.0, abs=1e-12)


# ------------------------------------------------------------------ result structure


def test_result_layout():
    cohorts, Y = three_group_example()
    df = frame(cohorts, 6, Y)
    res = bacon_decomposition(build_panel(df, unit="unit", time="year", cohort="g"), "y")
    assert res.primary == "twfe" and res.terms[0] == "twfe"
    assert res.method == "bacon_decomposition" and res.outcome == "y"
    assert res.n_obs == 54 and res.n_units == 9
    assert isinstance(res, BaconDecomposition) and not hasattr(res, "vcov")
    tidy = res.tidy()
    assert {"type", "cohort", "control_cohort", "weight"} <= set(tidy.columns)
    assert tidy.loc[tidy["term"] == "2x2:3vnever", "control_cohort"].item() == np.inf
    assert list(res.comparisons.columns[:6]) == [
        "term", "type", "cohort", "control_cohort", "estimate", "weight"]
    assert any("no standard errors" in n for n in res.notes)
    assert res.stats["n_comparisons"] == 4


# ------------------------------------------------------------------ errors


def small_panel(**kw):
    cohorts, Y = three_group_example()
    return build_panel(frame(cohorts, 6, Y, **kw), unit="unit", time="year", cohort="g")


def test_unbalanced_panel_is_an_error_naming_count_and_fix():
    cohorts, Y = three_group_example()
    df = frame(cohorts, 6, Y)
    df = df.drop(index=[3, 20, 21])  # unit 101 misses one year, unit 104 two
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.raises(PanelError, match=r"needs a balanced panel: 2 of 9 units .*\(3 "
                       r"unit-periods missing.*\[101, 104\].*panel\.window.*drop_units"):
        bacon_decomposition(panel, "y")


def test_missing_outcome_makes_the_panel_unbalanced():
    cohorts, Y = three_group_example()
    Y = Y.copy()
    Y[4, 2] = np.nan
    panel = build_panel(frame(cohorts, 6, Y), unit="unit", time="year", cohort="g")
    with pytest.raises(PanelError, match=r"1 of 9 units are not observed with non-missing "
                       r"'y' in all 6 periods .*\[105\]"):
        bacon_decomposition(panel, "y")


def test_missing_control_makes_the_panel_unbalanced():
    cohorts, Y = three_group_example()
    df = frame(cohorts, 6, Y).assign(x=np.arange(54.0) % 5)
    df.loc[7, "x"] = np.nan
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.raises(PanelError, match=r"1 of 9 units are not observed with non-missing "
                       r"\['y', 'x'\] in all 6 periods"):
        bacon_decomposition(panel, "y", controls="x")


def test_control_errors():
    cohorts, Y = three_group_example()
    panel = build_panel(frame(cohorts, 6, Y).assign(x=1.0), unit="unit", time="year",
                        cohort="g")
    with pytest.raises(SpecificationError, match=r"Control column 'z' not found.*'x'"):
        bacon_decomposition(panel, "y", controls=["z"])
    with pytest.raises(SpecificationError, match=r"\['x'\] listed more than once"):
        bacon_decomposition(panel, "y", controls=["x", "x"])
    with pytest.raises(SpecificationError, match="outcome 'y' cannot also be a control"):
        bacon_decomposition(panel, "y", controls="y")


def test_weight_errors():
    rng = np.random.default_rng(1)
    cohorts, Y = three_group_example()
    df = frame(cohorts, 6, Y, weights=np.arange(1.0, 10.0))
    df.loc[7, "w"] = 99.0  # unit 102 changes weight
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.raises(SpecificationError, match=r"vary within 1 unit\(s\), e\.g\. \[102\]"):
        bacon_decomposition(panel, "y", weights="w")
    df = frame(cohorts, 6, Y, weights=rng.uniform(size=9) - 2)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.raises(SpecificationError, match=r"must be positive and finite; 54 row\(s\) are not \(54 negative\)"):
        bacon_decomposition(panel, "y", weights="w")
    with pytest.raises(SpecificationError, match=r"Weights column 'ww' not found.*'w'"):
        bacon_decomposition(panel, "y", weights="ww")


def test_input_errors():
    with pytest.raises(SpecificationError, match="panel must be a did_zones Panel"):
        bacon_decomposition(pd.DataFrame({"y": [1.0]}), "y")
    with pytest.raises(SpecificationError, match=r"Outcome column 'yy' not found.*'y'"):
        bacon_decomposition(small_panel(), "yy")
    with pytest.raises(SpecificationError, match="outcome must be a column name"):
        bacon_decomposition(small_panel(), ["y"])


def test_single_timing_group_without_never_treated_is_an_estimation_error():
    rng = np.random.default_rng(2)
    df = frame([3, 3, 3], 5, rng.normal(size=(3, 5)))
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.raises(EstimationError, match="does not vary once unit and period effects"):
        bacon_decomposition(panel, "y")


# ------------------------------------------------------------------ invariances


def test_invariances_and_caller_frame_untouched():
    cohorts, Y = three_group_example()
    df = frame(cohorts, 6, Y, weights=np.linspace(1, 3, 9))
    copy = df.copy()
    base = bacon_decomposition(build_panel(df, unit="unit", time="year", cohort="g"), "y",
                               weights="w")
    pd.testing.assert_frame_equal(df, copy)

    shuffled = df.sample(frac=1, random_state=4)
    res = bacon_decomposition(build_panel(shuffled, unit="unit", time="year", cohort="g"),
                              "y", weights="w")
    pd.testing.assert_series_equal(res.estimate, base.estimate, rtol=0, atol=1e-13)

    relabelled = df.assign(unit=df["unit"].map(lambda u: f"city{1000 - u}"))
    res = bacon_decomposition(build_panel(relabelled, unit="unit", time="year", cohort="g"),
                              "y", weights="w")
    pd.testing.assert_series_equal(res.estimate, base.estimate, rtol=0, atol=1e-13)
    pd.testing.assert_series_equal(res.keys["weight"], base.keys["weight"], rtol=0,
                                   atol=1e-15)

    shifted = df.assign(y=df["y"] + 123.0)
    res = bacon_decomposition(build_panel(shifted, unit="unit", time="year", cohort="g"),
                              "y", weights="w")
    pd.testing.assert_series_equal(res.estimate, base.estimate, rtol=0, atol=1e-11)


# ------------------------------------------------------------------ controls


def controlled_frame(seed=21, n=40, T=7, weights=False):
    rng = np.random.default_rng(seed)
    cohorts = rng.choice([3, 4, 6, 0], size=n)
    t = np.arange(1, T + 1)
    D = (t[None, :] >= np.where(cohorts > 0, cohorts, 99)[:, None]).astype(float)
    x = rng.normal(size=(n, T)) + 0.4 * D + 0.1 * t
    Y = (rng.normal(size=(n, 1)) + rng.normal(size=(1, T)) + 0.8 * x
         + D * (1 + 0.2 * (t[None, :] - cohorts[:, None])) + 0.3 * rng.normal(size=(n, T)))
    df = frame(cohorts, T, Y, weights=rng.uniform(0.5, 2, size=n) if weights else None)
    df["x"] = x.reshape(-1)
    df["x2"] = np.sin(np.arange(n * T))
    return df


@pytest.mark.parametrize("weights", [None, "w"])
def test_controls_decomposition_equals_twfe_with_controls(weights):
    df = controlled_frame(weights=weights is not None)
    res = bacon_decomposition(build_panel(df, unit="unit", time="year", cohort="g"), "y",
                              controls=["x", "x2"], weights=weights)
    # TWFE with controls by explicit dummies
    units = pd.get_dummies(df["unit"], dtype=float).to_numpy()
    years = pd.get_dummies(df["year"], dtype=float).to_numpy()[:, 1:]
    d = ((df["g"] > 0) & (df["year"] >= df["g"])).to_numpy(float)
    X = np.column_stack([d, df[["x", "x2"]].to_numpy(), units, years])
    sw = np.ones(len(df)) if weights is None else np.sqrt(df["w"].to_numpy())
    beta = np.linalg.lstsq(X * sw[:, None], df["y"].to_numpy() * sw, rcond=None)[0][0]
    assert abs(res["twfe"] - beta) < 1e-10
    table = res.comparisons
    assert abs(table["weight"].sum() - 1) < 1e-12
    assert abs((table["weight"] * table["estimate"]).sum() - beta) < 1e-10
    assert set(table["type"]) == {"Both Treated", "Treated vs Never Treated", "Within"}
    assert res.terms[-1] == "within" and len(res.terms) == 1 + 6 + 1
    assert res.stats["omega"] == pytest.approx(1 - res.stats["weight_within"], abs=1e-15)
    assert 0 < res.stats["weight_within"] < 1


def test_between_pair_estimate_by_hand():
    # a control constant within timing-group x period cells: no within term, and each pair's
    # estimate is the regression of the difference of demeaned group means on the
    # difference of the cell means of the residualised treatment
    cohorts = np.array([3, 3, 5, 5, 5, 0, 0, 0])
    T = 6
    rng = np.random.default_rng(31)
    Y = rng.normal(size=(8, T))
    cell_x = {3: rng.normal(size=T), 5: rng.normal(size=T), 0: rng.normal(size=T)}
    df = frame(cohorts, T, Y)
    df["x"] = np.concatenate([cell_x[g] for g in cohorts])
    res = bacon_decomposition(build_panel(df, unit="unit", time="year", cohort="g"), "y",
                              controls="x")
    assert "within" not in res.terms
    D = (np.arange(1, T + 1)[None, :] >= np.where(cohorts > 0, cohorts, 99)[:, None]) * 1.0
    X = df["x"].to_numpy().reshape(8, T)

    def dm(A):
        return A - A.mean(1, keepdims=True) - A.mean(0, keepdims=True) + A.mean()

    Dt, Xt, Yt = dm(D), dm(X), dm(Y)
    eps = Dt - Xt * (Dt * Xt).sum() / (Xt * Xt).sum()
    groups = {3: slice(0, 2), 5: slice(2, 5), 0: slice(5, 8)}
    b = {g: eps[s].mean(0) for g, s in groups.items()}
    yb = {g: Yt[s].mean(0) for g, s in groups.items()}
    for (k, lt), term in [((3, 5), "2x2:3v5"), ((3, 0), "2x2:3vnever"),
                          ((5, 0), "2x2:5vnever")]:
        db, dy = b[k] - b[lt], yb[k] - yb[lt]
        assert abs(res[term] - db @ dy / (db @ db)) < 1e-12
        nk, nl = len(range(8)[groups[k]]), len(range(8)[groups[lt]])
        weight = nk * nl / 8 * (db @ db) / (eps ** 2).sum()
        assert abs(res.keys.loc[term, "weight"] - weight) < 1e-12
    assert abs(res["twfe"] - (eps * Y).sum() / (eps ** 2).sum()) < 1e-12


def test_time_invariant_control_dropped_with_warning():
    df = controlled_frame()
    df["size"] = np.repeat(np.arange(40.0), 7)  # absorbed by the unit effects
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.warns(DataDroppedWarning, match=r"Control\(s\) \['size'\] dropped"):
        res = bacon_decomposition(panel, "y", controls=["x", "size"])
    assert res.dropped_controls == ("size",)
    plain = bacon_decomposition(panel, "y", controls=["x"])
    pd.testing.assert_series_equal(res.estimate, plain.estimate, rtol=0, atol=1e-12)


def _pybacondecomp(scenario):
    ref = pd.read_csv(reference_file("bacon_pybacondecomp.csv"))
    return ref[ref["scenario"] == scenario].fillna({"cohort": -1, "control_cohort": -1})


def _compare_controlled(res, ref):
    twfe_ref = ref.loc[ref["type"] == "TWFE", "estimate"].iloc[0]
    assert res["twfe"] == pytest.approx(twfe_ref, rel=1e-9)
    idx = ["type", "cohort", "control_cohort"]
    mine = res.comparisons.fillna({"cohort": -1, "control_cohort": -1}).set_index(idx)
    theirs = ref[ref["type"] != "TWFE"].set_index(idx)
    assert sorted(mine.index) == sorted(theirs.index)
    theirs = theirs.loc[mine.index]
    # the peer's within term has ~1e-10 relative noise when its weight is tiny (4e-5)
    np.testing.assert_allclose(mine["estimate"], theirs["estimate"], rtol=1e-8, atol=1e-13)
    np.testing.assert_allclose(mine["weight"], theirs["weight"], rtol=1e-9, atol=1e-14)


def test_mpdta_with_control_matches_stata_bacondecomp_port():
    mp = pd.read_csv(data_file("mpdta.csv"))
    mp["x"] = (mp["lpop"] * (mp["year"] - 2005) / 10
               + ((mp["countyreal"] % 7) - 3) * (mp["year"] - 2003) ** 2 / 50)
    panel = build_panel(mp, unit="countyreal", time="year", cohort="first.treat")
    res = bacon_decomposition(panel, "lemp", controls="x")
    _compare_controlled(res, _pybacondecomp("mpdta_x"))


@pytest.mark.parametrize("scenario, controls", [("sim_x", ["x"]), ("sim_x_x2", ["x", "x2"])])
def test_simulated_with_controls_matches_stata_bacondecomp_port(scenario, controls):
    sim = pd.read_csv(reference_file("bacon_sim_data.csv"))
    sim["x"] = (np.sin(sim["unit"]) * sim["year"] / 5
                + ((sim["unit"] % 4) - 1.5) * (sim["year"] - 5) ** 2 / 20)
    sim["x2"] = np.cos(sim["unit"] * sim["year"])
    panel = build_panel(sim, unit="unit", time="year", cohort="first_treat")
    res = bacon_decomposition(panel, "y", controls=controls)
    _compare_controlled(res, _pybacondecomp(scenario))
    assert res.stats["decomposition_error"] < 1e-12


def test_controls_invariances():
    df = controlled_frame(seed=41, weights=True)
    kw = {"controls": ["x", "x2"], "weights": "w"}
    base = bacon_decomposition(build_panel(df, unit="unit", time="year", cohort="g"), "y",
                               **kw)
    for other in (df.sample(frac=1, random_state=2),
                  df.assign(unit=df["unit"].map(lambda u: f"u{999 - u}")),
                  df.assign(y=df["y"] - 7.5)):
        res = bacon_decomposition(build_panel(other, unit="unit", time="year", cohort="g"),
                                  "y", **kw)
        pd.testing.assert_series_equal(res.estimate, base.estimate, rtol=0, atol=1e-11)
        pd.testing.assert_series_equal(res.keys["weight"], base.keys["weight"], rtol=0,
                                       atol=1e-14)
