"""Tests of the calibrated pilot-panel simulator (did_zones.simulate)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from did_zones.errors import DataDroppedWarning, SpecificationError
from did_zones.registry import zone_cohorts
from did_zones.simulate import SimulatedPanel, SimulationTruth, simulate_pilot_panel

COLUMNS = [
    "city_code", "city", "name_en", "province", "region", "year", "batch", "cohort", "treated",
    "isu", "s1", "s2", "s3", "ts", "tl", "tl2", "ecom", "lngdp_pc", "lnpop", "gov", "fin",
    "open",
]
OUTCOMES = ["isu", "s1", "s2", "s3", "ts", "tl", "tl2", "ecom"]


@pytest.fixture(scope="module")
def default_sim() -> SimulatedPanel:
    return simulate_pilot_panel(seed=3)


def _att_gt_from_potential(sim: SimulatedPanel, outcome: str = "isu") -> pd.DataFrame:
    """ATT(g, t) recomputed from the observed and untreated potential outcomes."""
    data = sim.data
    gap = data[outcome] - sim.untreated[outcome]
    frame = pd.DataFrame({"cohort": data["cohort"], "time": data["year"], "gap": gap})
    frame = frame[frame["cohort"] > 0]
    return frame.groupby(["cohort", "time"], as_index=False)["gap"].mean()


def _two_way_residual(data: pd.DataFrame, var: str) -> np.ndarray:
    wide = data.pivot(index="city_code", columns="year", values=var).to_numpy()
    return wide - wide.mean(1, keepdims=True) - wide.mean(0, keepdims=True) + wide.mean()


# --------------------------------------------------------------------------- form
def test_form(default_sim):
    data = default_sim.data
    assert list(data.columns) == COLUMNS
    assert len(data) == 337 * 12
    assert data["city_code"].nunique() == 337
    assert data["year"].min() == 2010 and data["year"].max() == 2021
    assert data[["city_code", "year"]].equals(data.sort_values(["city_code", "year"])[["city_code", "year"]])
    for col in ("city_code", "year", "batch", "cohort", "treated"):
        assert data[col].dtype == np.int64
    assert data[COLUMNS[9:]].notna().all().all()
    assert set(data["region"]) == {"east", "central", "west", "northeast"}
    assert list(default_sim.untreated.columns) == ["city_code", "year"] + OUTCOMES
    assert default_sim.untreated[["city_code", "year"]].equals(data[["city_code", "year"]])
    assert isinstance(default_sim.truth, SimulationTruth)
    assert "337 cities x 12 years" in repr(default_sim)


def test_frozen(default_sim):
    with pytest.raises(dataclasses.FrozenInstanceError):
        default_sim.data = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        default_sim.truth.overall = 1.0  # type: ignore[misc]


def test_to_csv_roundtrip(default_sim, tmp_path):
    path = tmp_path / "panel.csv"
    default_sim.to_csv(path)
    back = pd.read_csv(path)
    assert list(back.columns) == COLUMNS
    np.testing.assert_allclose(back["isu"], default_sim.data["isu"], rtol=1e-12)


# --------------------------------------------------------------------------- determinism
def test_deterministic_for_a_seed():
    one, two = simulate_pilot_panel(seed=11), simulate_pilot_panel(seed=11)
    pd.testing.assert_frame_equal(one.data, two.data)
    pd.testing.assert_frame_equal(one.untreated, two.untreated)
    pd.testing.assert_frame_equal(one.truth.att_gt, two.truth.att_gt)
    assert one.truth.overall == two.truth.overall
    other = simulate_pilot_panel(seed=12)
    assert not np.allclose(one.data["isu"], other.data["isu"])


def test_untreated_world_does_not_depend_on_effect_options():
    base = simulate_pilot_panel(seed=5, effect="none")
    for kwargs in ({"effect": "heterogeneous"}, {"effect": "homogeneous", "a": 2.0},
                   {"timing": "next_year"}, {"county_level": "drop", "growth": 0.5}):
        other = simulate_pilot_panel(seed=5, **kwargs)
        pd.testing.assert_frame_equal(other.untreated, base.untreated)
        pd.testing.assert_frame_equal(other.data[["lngdp_pc", "lnpop", "gov", "fin", "open"]],
                                      base.data[["lngdp_pc", "lnpop", "gov", "fin", "open"]])


# --------------------------------------------------------------------------- shares
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("effect", ["none", "heterogeneous"])
def test_shares_are_consistent(seed, effect):
    sim = simulate_pilot_panel(seed=seed, effect=effect, years=(2008, 2024))
    for frame in (sim.data, sim.untreated):
        shares = frame[["s1", "s2", "s3"]].to_numpy()
        assert ((shares > 0) & (shares < 1)).all()
        np.testing.assert_allclose(shares.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        isu = frame["s1"] + 2 * frame["s2"] + 3 * frame["s3"]
        np.testing.assert_allclose(frame["isu"], isu, rtol=0, atol=1e-12)
        np.testing.assert_allclose(frame["ts"], frame["s3"] / frame["s2"], rtol=1e-12)
        assert (frame["tl"] >= 0).all() and (frame["tl2"] >= 0).all()
    # the pilot moves output into services, leaving the primary/secondary ratio alone
    ratio = sim.data["s1"] / (sim.data["s1"] + sim.data["s2"])
    ratio0 = sim.untreated["s1"] / (sim.untreated["s1"] + sim.untreated["s2"])
    np.testing.assert_allclose(ratio, ratio0, rtol=1e-12)


def test_covariates_in_range(default_sim):
    data = default_sim.data
    assert data["gov"].between(0, 1).all()
    assert (data["fin"] > 0).all() and (data["open"] > 0).all()
    # covariates are not affected by the pilot: same values with no effect
    none = simulate_pilot_panel(seed=3, effect="none")
    pd.testing.assert_frame_equal(none.data[["lngdp_pc", "lnpop"]],
                                  data[["lngdp_pc", "lnpop"]])


# --------------------------------------------------------------------------- truth
@pytest.mark.parametrize("noise", [0.0, 1.0])
@pytest.mark.parametrize("effect", ["homogeneous", "heterogeneous"])
def test_truth_exact(noise, effect):
    sim = simulate_pilot_panel(seed=7, noise=noise, effect=effect)
    truth = sim.truth
    got = _att_gt_from_potential(sim)
    merged = truth.att_gt.merge(got, on=["cohort", "time"], how="outer", validate="1:1")
    assert len(merged) == len(truth.att_gt) == 5 * 12  # cohorts 2015, 2016, 2018, 2019, 2020
    np.testing.assert_allclose(merged["att"], merged["gap"], rtol=0, atol=1e-12)
    assert (truth.att_gt.loc[truth.att_gt["time"] < truth.att_gt["cohort"], "att"] == 0).all()
    got_m = _att_gt_from_potential(sim, "ecom")
    np.testing.assert_allclose(truth.att_gt["att_ecom"], got_m["gap"], rtol=0, atol=1e-12)
    # the untreated outcomes are those of a world without the pilot
    none = simulate_pilot_panel(seed=7, noise=noise, effect="none")
    np.testing.assert_array_equal(none.data["isu"], sim.untreated["isu"])


def test_truth_noiseless_unit_effects_equal_cells():
    sim = simulate_pilot_panel(seed=2, noise=0.0, effect_sd=0.0)
    gap = (sim.data["isu"] - sim.untreated["isu"]).rename("gap")
    cells = sim.data[["cohort", "year"]].join(gap).merge(
        sim.truth.att_gt, left_on=["cohort", "year"], right_on=["cohort", "time"]
    )
    np.testing.assert_allclose(cells["gap"], cells["att"], rtol=0, atol=1e-12)
    never = sim.data["cohort"] == 0
    assert (gap[never] == 0).all()


def test_event_time_and_overall_aggregation(default_sim):
    truth = default_sim.truth
    att_gt = truth.att_gt
    w = att_gt.assign(wa=att_gt["att"] * att_gt["n_units"])
    by_e = w.groupby("event_time")[["wa", "n_units"]].sum()
    np.testing.assert_allclose(truth.event_time["att"], by_e["wa"] / by_e["n_units"],
                               rtol=0, atol=1e-14)
    assert truth.event_time["event_time"].tolist() == by_e.index.tolist()
    assert (truth.event_time.loc[truth.event_time["event_time"] < 0, "att"] == 0).all()
    assert truth.event_time.set_index("event_time").loc[6, "n_cohorts"] == 1  # only 杭州
    post = att_gt[att_gt["time"] >= att_gt["cohort"]]
    simple = (post["att"] * post["n_units"]).sum() / post["n_units"].sum()
    assert truth.overall == pytest.approx(simple, rel=1e-12)
    data = default_sim.data
    gap = data["isu"] - default_sim.untreated["isu"]
    assert truth.overall == pytest.approx(gap[data["treated"] == 1].mean(), rel=1e-12)
    sizes = data.drop_duplicates("city_code").query("cohort > 0")["cohort"].value_counts()
    assert att_gt.groupby("cohort")["n_units"].first().to_dict() == sizes.to_dict()


def test_mediation_truth():
    sim = simulate_pilot_panel(seed=4, a=0.8, b=0.03, direct=0.004)
    t = sim.truth
    assert t.b == 0.03
    assert t.indirect == pytest.approx(t.a * t.b, rel=1e-15)
    assert t.indirect + t.direct == pytest.approx(t.overall, rel=1e-12)
    treated = sim.data["treated"] == 1
    d_ecom = (sim.data["ecom"] - sim.untreated["ecom"])[treated]
    d_isu = (sim.data["isu"] - sim.untreated["isu"])[treated]
    assert t.a == pytest.approx(d_ecom.mean(), rel=1e-12)
    # ISU effect = b * mediator effect + direct effect, city-year by city-year
    np.testing.assert_allclose(d_isu, 0.03 * d_ecom + 0.004 * d_ecom / 0.8, rtol=0, atol=1e-12)
    assert t.params["a"] == 0.8 and t.params["seed"] == 4


def test_effect_none_gives_zero_truth():
    sim = simulate_pilot_panel(seed=1, effect="none")
    t = sim.truth
    assert t.overall == 0.0 and t.a == 0.0 and t.indirect == 0.0 and t.direct == 0.0
    assert (t.att_gt["att"] == 0).all() and (t.event_time["att"] == 0).all()
    pd.testing.assert_frame_equal(sim.data[OUTCOMES], sim.untreated[OUTCOMES])
    assert sim.data["treated"].sum() > 0  # treatment status is still recorded


def test_homogeneous_effect_is_constant():
    sim = simulate_pilot_panel(seed=1, effect="homogeneous", a=0.4, b=0.025, direct=0.002)
    post = sim.truth.att_gt.query("time >= cohort")
    np.testing.assert_allclose(post["att"], 0.4 * 0.025 + 0.002, rtol=1e-12)
    assert sim.truth.overall == pytest.approx(0.012, rel=1e-12)


def test_heterogeneous_effect_by_batch_and_exposure():
    sim = simulate_pilot_panel(seed=1, effect_sd=0.0, growth=0.3)
    att = sim.truth.att_gt.set_index(["cohort", "event_time"])["att"]
    per_h = 0.5 * 0.02 + 0.005
    # cohort 2016 is batch 2 (x1.4), cohort 2020 batch 5 (x0.8), cohort 2015 batch 1 (x1.6)
    assert att[(2016, 0)] == pytest.approx(1.4 * per_h, rel=1e-12)
    assert att[(2016, 3)] == pytest.approx(1.4 * per_h * 1.9, rel=1e-12)
    assert att[(2015, 6)] == pytest.approx(1.6 * per_h * 2.8, rel=1e-12)
    assert att[(2020, 0)] == pytest.approx(0.8 * per_h, rel=1e-12)
    post = sim.truth.att_gt.query("time >= cohort")
    for g in (2015, 2016, 2018):
        path = post.loc[post["cohort"] == g, "att"].to_numpy()
        assert (np.diff(path) > 0).all()
    custom = simulate_pilot_panel(seed=1, effect_sd=0.0, batch_effects={1: 0, 2: 0, 3: 0,
                                                                        4: 0, 5: 2.0})
    assert custom.truth.att_gt.query("cohort < 2020")["att"].eq(0).all()
    assert custom.truth.att_gt.set_index(["cohort", "time"]).loc[(2020, 2020), "att"] == (
        pytest.approx(2.0 * per_h, rel=1e-12)
    )


def test_effect_sd_makes_city_effects_vary():
    sim = simulate_pilot_panel(seed=8, effect_sd=0.5, noise=0.0)
    gap = (sim.data["isu"] - sim.untreated["isu"])[sim.data["year"] == 2016]
    cohort16 = gap[sim.data.loc[sim.data["year"] == 2016, "cohort"] == 2016]
    assert cohort16.std() > 0.002


# --------------------------------------------------------------------------- timing
@pytest.mark.parametrize("timing", ["approval_year", "next_year", "half_year"])
@pytest.mark.parametrize("county_level", ["parent", "drop"])
def test_batch_timing_equals_zone_cohorts(timing, county_level):
    sim = simulate_pilot_panel(seed=0, timing=timing, county_level=county_level)
    cities = sim.data.drop_duplicates("city_code").set_index("city_code")
    expected = zone_cohorts(timing=timing, county_level=county_level)
    expected = cities.index.to_series().map(expected).fillna(0).astype(np.int64)
    expected[expected > 2021] = 0
    pd.testing.assert_series_equal(cities["cohort"], expected, check_names=False)
    treated = (sim.data["cohort"] > 0) & (sim.data["year"] >= sim.data["cohort"])
    assert (sim.data["treated"] == treated.astype(int)).all()


def test_county_level_codes():
    parent = simulate_pilot_panel(seed=0).data.drop_duplicates("city_code").set_index("city_code")
    drop = simulate_pilot_panel(seed=0, county_level="drop").data.drop_duplicates("city_code")
    drop = drop.set_index("city_code")
    assert parent.loc[330700, ["batch", "cohort"]].tolist() == [3, 2018]  # 金华 via 义乌
    assert drop.loc[330700, ["batch", "cohort"]].tolist() == [6, 0]  # its own batch 6, 2022
    assert parent.loc[130600, ["batch", "cohort"]].tolist() == [5, 2020]  # 保定 via 雄安
    assert drop.loc[130600, ["batch", "cohort"]].tolist() == [0, 0]
    assert parent.loc[330100, "cohort"] == 2015


def test_years_option_and_late_cohorts():
    sim = simulate_pilot_panel(seed=0, years=(2005, 2014))
    assert sim.data["cohort"].eq(0).all() and sim.data["treated"].eq(0).all()
    assert sim.truth.att_gt.empty and np.isnan(sim.truth.overall)
    long = simulate_pilot_panel(seed=0, years=(2010, 2024))
    assert set(long.data.query("cohort > 0")["cohort"]) == {2015, 2016, 2018, 2019, 2020, 2022}
    year_means = long.data.groupby("year")["s3"].mean()
    assert year_means.loc[2024] > year_means.loc[2021]


def test_always_treated():
    with pytest.warns(DataDroppedWarning, match=r"Dropped 13 always-treated cit\(ies\) .*"
                      r"first year 2016.*'Hangzhou'"):
        sim = simulate_pilot_panel(seed=0, years=(2016, 2021))
    assert sim.data["city_code"].nunique() == 337 - 13
    assert not sim.data["cohort"].between(1, 2016).any()
    assert sim.untreated["city_code"].nunique() == 337 - 13
    kept = simulate_pilot_panel(seed=0, years=(2016, 2021), always_treated="keep")
    assert kept.data["city_code"].nunique() == 337
    assert 2015 in set(kept.truth.att_gt["cohort"])


def test_level_trend():
    flat = simulate_pilot_panel(seed=6, noise=0.0, effect="none")
    tilted = simulate_pilot_panel(seed=6, noise=0.0, effect="none", level_trend=0.004)
    extra = (tilted.data["isu"] - flat.data["isu"]).to_numpy().reshape(337, 12)
    slope = extra[:, 1:] / np.arange(1, 12)[None, :] / 0.004
    np.testing.assert_allclose(slope, slope[:, :1] * np.ones((1, 11)), atol=1e-9)
    z = slope[:, 0]
    assert abs(z.mean()) < 1e-9 and z.std() == pytest.approx(1.0, rel=1e-9)
    gdp = flat.data.loc[flat.data["year"] == 2010, "lngdp_pc"].to_numpy()
    assert np.corrcoef(z, gdp)[0, 1] == pytest.approx(1.0, abs=1e-9)


# --------------------------------------------------------------------------- calibration
SEEDS = range(5)


@pytest.fixture(scope="module")
def calibration_draws() -> list[pd.DataFrame]:
    return [simulate_pilot_panel(seed=s).data.query("year <= 2019") for s in SEEDS]


def test_moments_match_calibration(calibration_draws):
    """Moments over 2010-2019 against calibration.md.

    Bounds are Monte-Carlo bounds around the simulator's design values, not tolerances of
    taste. Over seeds 0-19 the per-draw sd is 0.0032 for ISU's sd, 0.0035 for its
    between-city sd, 0.0006 for its residual sd, 0.018 for the residual AR(1), 0.027 for
    the mean and 0.021 for the sd of lngdp_pc; a mean over five draws has 1/sqrt(5) of
    that. Each bound is the design gap to the target (the table in simulate_pilot_panel:
    e.g. AR(1) 0.533 vs 0.55) plus at least five Monte-Carlo sd of the five-draw mean. The
    ISU mean is pinned by the calibrated year path, so only the pilot effect moves it.
    """
    stats = []
    for data in calibration_draws:
        wide = data.pivot(index="city_code", columns="year", values="isu").to_numpy()
        res = _two_way_residual(data, "isu")
        stats.append({
            "mean": wide.mean(),
            "sd": wide.std(),
            "between": wide.mean(1).std(),
            "resid": res.std(),
            "ar1": (res[:, 1:] * res[:, :-1]).sum() / (res[:, :-1] ** 2).sum(),
            "gdp_mean": data["lngdp_pc"].mean(),
            "gdp_sd": data["lngdp_pc"].std(),
        })
    m = pd.DataFrame(stats).mean()
    assert abs(m["mean"] - 2.284) < 0.01  # year means are pinned to the calibrated path
    assert abs(m["sd"] / 0.146 - 1) < 0.10
    assert abs(m["between"] / 0.132 - 1) < 0.10
    assert abs(m["resid"] / 0.031 - 1) < 0.15
    assert abs(m["ar1"] - 0.55) < 0.10
    assert abs(m["gdp_mean"] - 10.643) < 0.08
    assert abs(m["gdp_sd"] / 0.591 - 1) < 0.12


def test_common_trend_is_nonlinear(calibration_draws):
    means = calibration_draws[0].groupby("year")["s3"].mean()
    steps = means.diff().dropna()
    assert steps.loc[2011:2012].max() < 0.01  # flat to 2012
    assert steps.loc[2013:2018].min() > 0.008  # then steep
    assert steps.loc[2019] > 0.02  # census jump
    isu = calibration_draws[0].groupby("year")["isu"].mean()
    assert isu.loc[2010] == pytest.approx(2.228, abs=0.005)


def test_selection_on_levels(calibration_draws):
    pilots = zone_cohorts(county_level="drop", batches=[1, 2, 3, 4]).index
    assert len(pilots) == 56
    diffs = {v: [] for v in ("isu", "s3", "lngdp_pc", "lnpop", "tl")}
    for data in calibration_draws:
        year = data[data["year"] == 2014]
        is_pilot = year["city_code"].isin(pilots)
        for v, values in diffs.items():
            x, y = year.loc[is_pilot, v], year.loc[~is_pilot, v]
            values.append((x.mean() - y.mean()) / np.sqrt((x.var() + y.var()) / 2))
    d = {v: float(np.mean(values)) for v, values in diffs.items()}
    assert d["isu"] > 1
    # targets 1.63, 1.18, 1.35, 0.91, -1.06; per-draw Monte-Carlo sd about 0.15
    assert abs(d["isu"] - 1.63) < 0.3 and abs(d["s3"] - 1.18) < 0.3
    assert abs(d["lngdp_pc"] - 1.35) < 0.3 and abs(d["lnpop"] - 0.91) < 0.3
    assert abs(d["tl"] + 1.06) < 0.3


def test_pre_trends_parallel_without_level_trend(calibration_draws):
    pilots = zone_cohorts(batches=[1, 2, 3, 4]).index
    slopes = []
    for data in calibration_draws:
        pre = data[data["year"] <= 2014]
        means = pre.groupby([pre["city_code"].isin(pilots), "year"])["isu"].mean().unstack(0)
        slope = np.polyfit(means.index, means.to_numpy(), 1)[0]
        slopes.append(slope[1] - slope[0])
    # calibration: 0.0099 vs 0.0102 per year. Per-draw sd of the gap 0.0018 (seeds 0-39,
    # mean 0.00001), so 0.004 is five sd of the five-draw mean.
    assert abs(np.mean(slopes)) < 0.004


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"effect": "dynamic"}, "effect must be one of 'none', 'homogeneous', "
         "'heterogeneous'; got 'dynamic'"),
        ({"timing": "approval"}, "timing must be one of"),
        ({"county_level": "exclude"}, "county_level must be one of 'parent', 'drop'"),
        ({"always_treated": "error"}, "always_treated must be one of 'drop', 'keep'"),
        ({"years": 2015}, r"years must be a pair of integers \(first, last\)"),
        ({"years": (2015.0, 2020)}, "years must be a pair of integers"),
        ({"years": (2021, 2010)}, r"years must satisfy 2000 <= first < last <= 2035; "
         r"got \(2021, 2010\)"),
        ({"years": (1990, 2010)}, "years must satisfy"),
        ({"noise": -1.0}, "noise must be a finite number >= 0; got -1.0"),
        ({"effect_sd": float("nan")}, "effect_sd must be a finite number >= 0"),
        ({"a": "big"}, "a must be a real number; got 'big'"),
        ({"batch_effects": {1: 1.0, 2: 1.0}}, r"batch_effects has no multiplier for "
         r"batch\(es\) \[3, 4, 5\]"),
        ({"batch_effects": [1.0, 2.0]}, "batch_effects must be a mapping"),
        ({"batch_effects": {"1": 1.0}}, "batch_effects keys must be batch numbers"),
        ({"a": 200.0}, r"push the tertiary share outside \(0, 1\) in \d+ city-year"),
    ],
)
def test_bad_options(kwargs, pattern):
    with pytest.raises(SpecificationError, match=pattern):
        simulate_pilot_panel(**kwargs)


def test_batch_effects_not_modified():
    mine = {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0}
    simulate_pilot_panel(batch_effects=mine)
    assert mine == {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0}


def test_untreated_isu_is_additive_without_noise():
    """noise=0: untreated ISU = city effect + year effect exactly (parallel trends hold)."""
    sim = simulate_pilot_panel(seed=2, noise=0)
    frame = sim.data[["city_code", "year"]].assign(isu=sim.untreated["isu"].to_numpy())
    res = _two_way_residual(frame, "isu")
    assert np.abs(res).max() < 1e-12
    # with level_trend the pilots' untreated trend differs: not additive any more
    tilted = simulate_pilot_panel(seed=2, noise=0, level_trend=0.002)
    frame = tilted.data[["city_code", "year"]].assign(isu=tilted.untreated["isu"].to_numpy())
    assert np.abs(_two_way_residual(frame, "isu")).max() > 1e-3
