"""twfe_weights: the exact identity β = Σ W·Δ on noiseless panels, a hand-computed example,
the sensitivity measures' optimality, two peers (twowayfeweights 0.1.0, the Python port of
the Stata/R command, and diff-diff 3.13.0; frozen in tests/reference), errors, invariances."""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import data_file, reference_file

from did_zones import TwfeWeights, build_panel, simulate_pilot_panel, twfe, twfe_weights
from did_zones.errors import DataDroppedWarning, EstimationError, SpecificationError


def staggered(n=60, T=7, seed=0, cohorts=(3, 4, 6, 0), unbalanced=False):
    """Frame with unit/period effects, a time-varying control x and a weight w."""
    rng = np.random.default_rng(seed)
    g = rng.choice(cohorts, size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n) + 500, T),
                       "year": np.tile(np.arange(2010, 2010 + T), n),
                       "g": np.repeat(np.where(g > 0, g + 2009, 0), T)})
    df["alpha"] = np.repeat(rng.normal(size=n), T)
    df["lam"] = np.tile(rng.normal(size=T), n)
    df["x"] = rng.normal(size=len(df)) + 0.3 * (df["year"] - 2010)
    df["w"] = np.repeat(rng.uniform(0.5, 3, size=n), T) * rng.uniform(0.8, 1.2, size=len(df))
    df["D"] = ((df["g"] > 0) & (df["year"] >= df["g"])).astype(float)
    if unbalanced:
        df = df.sample(frac=0.85, random_state=seed).sort_index()
    return df.reset_index(drop=True)


def panel_of(df):
    return build_panel(df, unit="unit", time="year", cohort="g")


def direct_twfe(df, y="y", controls=(), w=None):
    X = np.column_stack([df["D"].to_numpy(float)]
                        + [df[c].to_numpy(float) for c in controls]
                        + [pd.get_dummies(df["unit"], dtype=float).to_numpy(),
                           pd.get_dummies(df["year"], dtype=float).to_numpy()[:, 1:]])
    sw = np.ones(len(df)) if w is None else np.sqrt(df[w].to_numpy())
    return np.linalg.lstsq(X * sw[:, None], df[y].to_numpy() * sw, rcond=None)[0][0]


# ------------------------------------------------------------------ exact identity


@pytest.mark.parametrize("unbalanced", [False, True])
@pytest.mark.parametrize("controls, weights", [((), None), (("x",), None), (("x",), "w")])
def test_noiseless_cell_effects_weighted_sum_equals_twfe(unbalanced, controls, weights):
    df = staggered(seed=1, unbalanced=unbalanced)
    rng = np.random.default_rng(2)
    cells = df.loc[df["D"] == 1, ["g", "year"]].drop_duplicates()
    cells["delta"] = rng.normal(size=len(cells)) * 3  # arbitrary cohort-period effects
    df = df.merge(cells, on=["g", "year"], how="left").fillna({"delta": 0.0})
    df["y"] = df["alpha"] + df["lam"] + df["D"] * df["delta"]
    if controls:  # the control enters the untreated outcome; it must then be controlled for
        df["y"] += 0.7 * df["x"]
    res = twfe_weights(panel_of(df), "y", controls=controls, weights=weights)
    table = res.weights.merge(cells.rename(columns={"g": "cohort", "year": "time"}),
                                       on=["cohort", "time"], validate="one_to_one")
    assert abs(table["weight"].sum() - 1) < 1e-12
    assert abs((table["weight"] * table["delta"]).sum() - res["twfe"]) < 1e-10
    assert abs(res["twfe"] - direct_twfe(df, controls=controls, w=weights)) < 1e-10


def test_noiseless_unit_level_effects_use_unit_weights():
    df = staggered(seed=3, unbalanced=True)
    rng = np.random.default_rng(4)
    df["delta"] = df["D"] * rng.normal(size=len(df))  # effects differ by unit and period
    df["y"] = df["alpha"] + df["lam"] + df["delta"]
    res = twfe_weights(panel_of(df), "y", weights="w")
    uw = res.unit_weights.merge(df[["unit", "year", "delta"]],
                                         left_on=["unit", "time"], right_on=["unit", "year"])
    assert len(uw) == int(df["D"].sum())
    assert abs((uw["weight"] * uw["delta"]).sum() - res["twfe"]) < 1e-10


def test_matches_twfe_estimator():
    sim = simulate_pilot_panel(seed=2)
    panel = build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        beta = twfe(panel, "isu", controls=["lngdp_pc"], cluster=None)["treated"]
    res = twfe_weights(panel, "isu", controls=["lngdp_pc"])
    assert abs(res["twfe"] - beta) < 1e-10
    assert abs(res.estimate.drop("twfe").sum() - 1) < 1e-12


# ------------------------------------------------------------------ hand computation


def test_two_cohorts_three_periods_by_hand():
    # units e (first treated in period 2) and l (period 3); residualised treatment by hand:
    # eps_e = (-1/6, 1/3, -1/6), eps_l = (1/6, -1/3, 1/6); treated cells (e,2), (e,3), (l,3)
    # get eps (1/3, -1/6, 1/6) / (1/3) = (1, -1/2, 1/2)
    y = np.array([[1.0, 4.0, 2.5], [0.5, 1.0, 3.0]])
    df = pd.DataFrame({"unit": [1, 1, 1, 2, 2, 2], "year": [1, 2, 3] * 2,
                       "g": [2, 2, 2, 3, 3, 3], "y": y.reshape(-1)})
    res = twfe_weights(build_panel(df, unit="unit", time="year", cohort="g"), "y")
    assert res.terms == ["twfe", "w:2:2", "w:2:3", "w:3:3"]
    np.testing.assert_allclose(res.estimate[1:], [1.0, -0.5, 0.5], rtol=0, atol=1e-12)
    # TWFE with two units and three periods, by hand: beta = sum eps*y / sum eps^2
    eps = np.array([[-1, 2, -1], [1, -2, 1]]) / 6
    beta = (eps * y).sum() / (eps ** 2).sum()
    assert abs(res["twfe"] - beta) < 1e-12
    s = res.stats
    assert (s["n_cells"], s["n_positive"], s["n_negative"]) == (3, 2, 1)
    assert s["sum_negative"] == pytest.approx(-0.5, abs=1e-12)
    assert s["sum_positive"] == pytest.approx(1.5, abs=1e-12)
    assert s["share_negative"] == pytest.approx(1 / 3, abs=1e-15)
    assert s["share_positive"] == pytest.approx(2 / 3, abs=1e-15)
    # p = 1/3 per cell, w = W/p = (3, -1.5, 1.5): sigma(w)^2 = ((2)^2 + 2.5^2 + 0.5^2)/3
    np.testing.assert_allclose(res.keys["w"][1:], [3.0, -1.5, 1.5], atol=1e-12)
    assert s["sigma_w"] == pytest.approx(np.sqrt(3.5), abs=1e-12)
    assert s["sigma_fe"] == pytest.approx(abs(beta) / np.sqrt(3.5), abs=1e-12)
    assert s["sigma_fe_stata"] == pytest.approx(abs(beta) / np.sqrt(3.5 * 3 / 2), abs=1e-12)
    # sorted w = (3, 1.5, -1.5): s = 3, T_s = 0.75, S_s = -0.5, P_s = 1/3
    assert s["sigma_fe_opposite"] == pytest.approx(abs(beta) / np.sqrt(0.75 + 0.375),
                                                   abs=1e-12)


def test_sensitivity_measures_are_attained_and_optimal():
    df = staggered(n=80, seed=5, cohorts=(2, 3, 5, 6, 0), unbalanced=True)
    rng = np.random.default_rng(6)
    df["y"] = df["alpha"] + df["lam"] + df["D"] * rng.normal(1, 1, size=len(df))
    res = twfe_weights(panel_of(df), "y", weights="w")
    uw = res.unit_weights
    W, wp = uw["weight"].to_numpy(), uw["w"].to_numpy()
    p = W / wp
    beta = res["twfe"]
    assert res.stats["n_negative_unit_cells"] > 0

    def sd(delta):
        return np.sqrt(np.dot(p, (delta - np.dot(p, delta)) ** 2))

    # sigma_fe: effects beta*(w - 1)/sigma(w)^2 have mean 0, give beta, and sd = sigma_fe
    delta = beta * (wp - 1) / res.stats["sigma_w"] ** 2
    assert abs(np.dot(p, delta)) < 1e-12 and abs(np.dot(W, delta) - beta) < 1e-12
    assert sd(delta) == pytest.approx(res.stats["sigma_fe"], rel=1e-12)

    # sigma_fe_opposite: build the minimiser from the formula and check the KKT conditions
    # of  min sd(delta)^2  s.t.  sum W delta = beta,  sign(beta)*delta <= 0
    sgn = np.sign(beta)
    order = np.argsort(-wp, kind="stable")
    P = np.cumsum(p[order][::-1])[::-1]
    S = np.cumsum((p * wp)[order][::-1])[::-1]
    k = next(i for i in range(1, len(order)) if wp[order][i] < -S[i] / (1 - P[i]))
    lam = beta / ((p * wp ** 2)[order][k:].sum() + S[k] ** 2 / (1 - P[k]))
    active = np.zeros(len(wp), dtype=bool)
    active[order[k:]] = True
    mean = lam * S[k] / (1 - P[k])
    delta = np.where(active, mean + lam * wp, 0.0)
    assert abs(np.dot(W, delta) - beta) < 1e-12
    assert (sgn * delta <= 1e-15).all()
    # stationarity: delta - mean(delta) - lam*w + nu = 0, sign(beta)*nu >= 0 where delta = 0
    nu = -(delta - np.dot(p, delta) - lam * wp)
    assert np.abs(nu[active]).max() < 1e-12
    assert (sgn * nu[~active] >= -1e-12).all()
    assert sd(delta) == pytest.approx(res.stats["sigma_fe_opposite"], rel=1e-12)


def test_no_negative_weight_no_second_measure():
    df = pd.DataFrame({"unit": np.repeat([1, 2, 3, 4], 3), "year": [1, 2, 3] * 4,
                       "g": np.repeat([3, 3, 0, 0], 3), "y": np.arange(12.0) ** 1.5})
    res = twfe_weights(build_panel(df, unit="unit", time="year", cohort="g"), "y")
    assert res.stats["n_negative"] == 0 and res.stats["sum_negative"] == 0
    assert np.isnan(res.stats["sigma_fe_opposite"])
    assert res["w:3:3"] == pytest.approx(1.0, abs=1e-14)


# ------------------------------------------------------------------ peers


def mpdta_variants():
    mp = pd.read_csv(data_file("mpdta.csv"))
    mp["w"] = 1 + (mp["countyreal"] % 5) / 4
    mp["x"] = (mp["lpop"] * (mp["year"] - 2005) / 10
               + ((mp["countyreal"] % 7) - 3) * (mp["year"] - 2003) ** 2 / 50)
    drop = (((mp["countyreal"] % 7 == 0) & (mp["year"] == 2005))
            | ((mp["countyreal"] % 11 == 0) & (mp["year"] == 2003)))
    make = lambda d: build_panel(d, unit="countyreal", time="year", cohort="first.treat")  # noqa: E731
    return {"mpdta": make(mp), "unbalanced": make(mp.loc[~drop])}


SCENARIOS = {
    "plain": ("mpdta", (), None),
    "weights": ("mpdta", (), "w"),
    "controls": ("mpdta", ("x",), None),
    "controls_weights": ("mpdta", ("x",), "w"),
    "unbalanced": ("unbalanced", (), None),
}


def reference(name):
    return pd.read_csv(reference_file(name))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_mpdta_matches_twowayfeweights(scenario):
    panels = mpdta_variants()
    which, controls, weights = SCENARIOS[scenario]
    res = twfe_weights(panels[which], "lemp", controls=controls, weights=weights)
    ref = reference("twfe_weights_twowayfeweights_summary.csv").set_index("scenario")
    ref = ref.loc[scenario]
    s = res.stats
    assert s["beta"] == pytest.approx(ref["beta"], rel=1e-9)
    assert s["n_positive_unit_cells"] == ref["nr_plus"]
    assert s["n_negative_unit_cells"] == ref["nr_minus"]
    assert s["n_unit_cells"] == ref["tot_cells"]
    assert s["sum_negative_unit_cells"] == pytest.approx(ref["sum_minus"], rel=1e-9)
    assert s["sigma_fe_stata"] == pytest.approx(ref["sensibility"], rel=1e-9)
    assert s["sigma_fe_opposite"] == pytest.approx(ref["sensibility2"], rel=1e-9)
    cells = reference("twfe_weights_twowayfeweights_cells.csv")
    cells = cells[cells["scenario"] == scenario].rename(columns={"group": "unit"})
    mine = res.unit_weights.merge(cells, on=["unit", "time"], how="outer",
                                           suffixes=("", "_ref"), indicator=True)
    assert (mine["_merge"] == "both").all()
    np.testing.assert_allclose(mine["weight"], mine["weight_ref"], rtol=1e-9, atol=1e-15)


def test_mpdta_cohort_cells_match_twowayfeweights_with_cohort_groups():
    # in a balanced panel the cohort x period weights are what the command gives with the
    # cohort as group; the second measure does not depend on the cell level
    res = twfe_weights(mpdta_variants()["mpdta"], "lemp")
    cells = reference("twfe_weights_twowayfeweights_cells.csv")
    cells = cells[cells["scenario"] == "cohort_groups"]
    mine = res.weights.merge(cells, left_on=["cohort", "time"],
                                      right_on=["group", "time"], validate="one_to_one")
    assert len(mine) == len(cells) == res.stats["n_cells"] == 7
    np.testing.assert_allclose(mine["weight_x"], mine["weight_y"], rtol=1e-9, atol=1e-15)
    ref = reference("twfe_weights_twowayfeweights_summary.csv").set_index("scenario")
    ref = ref.loc["cohort_groups"]
    assert (res.stats["n_positive"], res.stats["n_negative"]) == (ref["nr_plus"],
                                                                  ref["nr_minus"])
    assert res.stats["sum_negative"] == pytest.approx(ref["sum_minus"], rel=1e-9)
    assert res.stats["sigma_fe_opposite"] == pytest.approx(ref["sensibility2"], rel=1e-9)
    # only cohort 2004's last year gets a negative weight
    weights = res.estimate.drop("twfe")
    assert list(weights.index[weights < 0]) == ["w:2004:2007"]


@pytest.mark.parametrize("scenario", ["plain", "unbalanced"])
def test_mpdta_matches_diff_diff(scenario):
    which, _, _ = SCENARIOS[scenario]
    res = twfe_weights(mpdta_variants()[which], "lemp")
    ref = reference("twfe_weights_diff_diff_summary.csv").set_index("scenario").loc[scenario]
    assert res.stats["beta"] == pytest.approx(ref["beta_fe"], rel=1e-9)
    assert res.stats["sigma_fe"] == pytest.approx(ref["sigma_fe"], rel=1e-9)
    s = res.stats
    assert s["share_negative_unit_cells"] == pytest.approx(ref["fraction_negative"],
                                                           rel=1e-12)
    cells = reference("twfe_weights_diff_diff_cells.csv")
    cells = cells[cells["scenario"] == scenario].rename(columns={"group": "unit"})
    mine = res.unit_weights.merge(cells, on=["unit", "time"], validate="one_to_one")
    assert len(mine) == len(cells) == s["n_unit_cells"]
    np.testing.assert_allclose(mine["weight_x"], mine["weight_y"], rtol=1e-9, atol=1e-15)


# ------------------------------------------------------------------ options and layout


def test_without_outcome_only_weights():
    df = staggered(seed=7)
    df["y"] = np.random.default_rng(1).normal(size=len(df))
    panel = panel_of(df)
    full = twfe_weights(panel, "y", controls="x")
    design = twfe_weights(panel, controls="x")
    assert design.primary is None and "twfe" not in design.terms
    pd.testing.assert_series_equal(design.estimate, full.estimate.drop("twfe"), rtol=0,
                                   atol=1e-15)
    assert np.isnan(design.stats["beta"]) and np.isnan(design.stats["sigma_fe"])
    assert design.outcome == ""


def test_result_layout():
    df = staggered(seed=8)
    df["y"] = df["alpha"] + df["lam"] + df["D"]
    res = twfe_weights(panel_of(df), "y")
    assert res.method == "twfe_weights" and res.primary == "twfe"
    assert isinstance(res, TwfeWeights) and not hasattr(res, "vcov")
    tidy = res.tidy()
    assert {"kind", "cohort", "time", "event_time", "n_units", "share", "w"} <= set(tidy)
    cells = tidy[tidy["kind"] == "weight"]
    assert (cells["event_time"] == cells["time"] - cells["cohort"]).all()
    assert (cells["event_time"] >= 0).all()
    assert cells["n_units"].sum() == res.stats["n_unit_cells"] == int(df["D"].sum())
    assert abs(cells["share"].sum() - 1) < 1e-12
    assert res["twfe"] == pytest.approx(1.0, abs=1e-12)  # constant effect: no bias
    assert any("without standard errors" in n for n in res.notes)


def test_missing_values_dropped_and_counted():
    df = staggered(seed=9)
    df["y"] = df["alpha"] + df["lam"]
    df.loc[[3, 10, 11], "x"] = np.nan
    with pytest.warns(DataDroppedWarning, match=r"3 row\(s\) of 420 dropped.*\['y', 'x'\]"):
        res = twfe_weights(panel_of(df), "y", controls="x")
    assert res.n_obs == 417
    assert any("3 row(s) of 420 dropped" in n for n in res.notes)


def test_collinear_control_dropped_with_warning():
    df = staggered(seed=10)
    df["y"] = df["alpha"] + df["lam"] + df["D"] * 2
    df["size"] = df["alpha"] * 3  # time-invariant: absorbed by the unit effects
    with pytest.warns(DataDroppedWarning, match=r"Control\(s\) \['size'\] dropped: collinear"):
        res = twfe_weights(panel_of(df), "y", controls=["x", "size"])
    assert res.dropped_controls == ("size",)
    plain = twfe_weights(panel_of(df), "y", controls=["x"])
    pd.testing.assert_series_equal(res.estimate, plain.estimate, rtol=0, atol=1e-13)


# ------------------------------------------------------------------ errors


def test_errors():
    df = staggered(seed=11)
    df["y"] = 1.0
    panel = panel_of(df)
    with pytest.raises(SpecificationError, match="panel must be a did_zones Panel"):
        twfe_weights(df, "y")
    with pytest.raises(SpecificationError, match=r"Outcome column 'yy' not found.*'y'"):
        twfe_weights(panel, "yy")
    with pytest.raises(SpecificationError, match=r"Control column 'xx' not found.*'x'"):
        twfe_weights(panel, "y", controls=["xx"])
    with pytest.raises(SpecificationError, match=r"Weights column 'ww' not found"):
        twfe_weights(panel, "y", weights="ww")
    with pytest.raises(SpecificationError, match=r"\['x'\] listed more than once"):
        twfe_weights(panel, "y", controls=["x", "x"])
    with pytest.raises(SpecificationError, match="outcome 'y' cannot also be a control"):
        twfe_weights(panel, "y", controls=["y"])
    with pytest.raises(SpecificationError, match="outcome must be a column name or None"):
        twfe_weights(panel, 3)
    bad = df.assign(w=np.where(df["unit"] == 503, 0.0, 1.0))
    with pytest.raises(SpecificationError, match=r"must be positive and finite; 7 row\(s\).*\[503\]"):
        twfe_weights(panel_of(bad), "y", weights="w")


def test_no_variation_is_an_estimation_error():
    df = pd.DataFrame({"unit": np.repeat([1, 2], 3), "year": [1, 2, 3] * 2,
                       "g": np.repeat([2, 2], 3), "y": np.arange(6.0)})
    with pytest.raises(EstimationError, match="treatment does not vary once unit and period"):
        twfe_weights(build_panel(df, unit="unit", time="year", cohort="g"), "y")


# ------------------------------------------------------------------ invariances


def test_invariances_and_caller_frame_untouched():
    df = staggered(seed=12, unbalanced=True)
    df["y"] = df["alpha"] + df["lam"] + df["D"] * df["x"]
    copy = df.copy()
    base = twfe_weights(panel_of(df), "y", controls="x", weights="w")
    pd.testing.assert_frame_equal(df, copy)
    for other in (df.sample(frac=1, random_state=3),
                  df.assign(unit=df["unit"].map(lambda u: f"c{10_000 - u}")),
                  df.assign(y=df["y"] + 50.0)):
        res = twfe_weights(panel_of(other), "y", controls="x", weights="w")
        pd.testing.assert_series_equal(res.estimate, base.estimate, rtol=0, atol=1e-11)
        for key in ("sigma_fe", "sigma_fe_opposite", "n_negative_unit_cells"):
            assert res.stats[key] == pytest.approx(base.stats[key], rel=1e-10)
