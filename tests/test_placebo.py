"""Tests of did_zones.robustness.placebo: assignments, fast path = slow path, p-values.

Monte-Carlo bounds (seeded, so every run is the same): under no effect the in-space
p-values of 40 simulated panels should look uniform. We require the Kolmogorov–Smirnov
p-value against U(0, 1) to exceed 0.001, and the counts of p <= 0.1 and p <= 0.5 to lie
inside the central 99.8 % of Binomial(40, 0.1) and Binomial(40, 0.5) ([0, 11] and [9, 31]).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import csmar_files, quiet
from scipy import stats

import did_zones as dz
from did_zones import _parallel
from did_zones.errors import InferenceWarning, PanelError, SpecificationError
from did_zones.robustness.placebo import (
    placebo,
    placebo_assignments,
    randomization_p_values,
)

TOL = 1e-10


@pytest.fixture(scope="module")
def unbalanced(sim):
    """Drop 8 % of the city-years at random (never a unit's every row)."""
    df = sim.data.copy()
    keep = np.random.default_rng(4).random(len(df)) > 0.08
    df["w"] = np.exp(df["lnpop"] - df["lnpop"].mean())
    return dz.build_panel(df.loc[keep], unit="city_code", time="year", cohort="cohort")


def fast_and_slow(res, panel, **kw):
    fast = placebo(res, panel, **kw)
    slow = placebo(res, panel, fast=False, **kw)
    assert fast.details["fast_path"] and not slow.details["fast_path"]
    return fast, slow


# ------------------------------------------------------------------------ fast == slow
@pytest.mark.parametrize("options", [
    {},
    {"controls": ["lnpop", "lngdp_pc"]},
    {"controls": ["lnpop"], "fixed_effects": ("unit", "time", ("province", "time")),
     "cluster": "province"},
], ids=["plain", "controls", "province_x_year"])
@pytest.mark.parametrize("kind", ["in_space", "mixed"])
def test_twfe_fast_equals_slow(panel, options, kind):
    res = quiet(dz.twfe, panel, "isu", **options)
    fast, slow = fast_and_slow(res, panel, kind=kind, n_draws=30, seed=11)
    np.testing.assert_allclose(fast.details["draws"], slow.details["draws"], rtol=0, atol=TOL)
    assert fast.details["n_slow"] == 0 and np.isfinite(fast.details["draws"]).all()
    assert fast.statistic == res.estimate["treated"]


def test_twfe_fast_equals_slow_unbalanced_weighted(unbalanced):
    assert not unbalanced.is_balanced
    for options in ({}, {"controls": ["lnpop"], "weights": "w"}):
        res = quiet(dz.twfe, unbalanced, "isu", **options)
        fast, slow = fast_and_slow(res, unbalanced, n_draws=25, seed=5)
        np.testing.assert_allclose(fast.details["draws"], slow.details["draws"], rtol=0,
                                   atol=TOL)


def test_twfe_fast_equals_slow_with_years_missing_in_blocks(sim):
    """Late entrants and early exits (as in the CRE city data) slow the absorb down."""
    df = sim.data
    code = df["city_code"].rank(method="dense").astype(int)
    gone = ((code % 3 == 0) & (df["year"] < 2014)) | ((code % 7 == 0) & (df["year"] > 2018))
    panel = dz.build_panel(df.loc[~gone], unit="city_code", time="year", cohort="cohort")
    res = quiet(dz.twfe, panel, "isu", controls=["lnpop"])
    fast, slow = fast_and_slow(res, panel, n_draws=40, seed=1)
    np.testing.assert_allclose(fast.details["draws"], slow.details["draws"], rtol=0, atol=TOL)


def test_twfe_fast_equals_slow_on_the_real_city_panel():
    cre = quiet(dz.read_cre, *csmar_files(), years=(2010, 2021))
    df = dz.structure_outcomes(cre.data, primary="va1", secondary="va2", tertiary="va3",
                               emp_primary="emp_s1", emp_secondary="emp_s2",
                               emp_tertiary="emp_s3", prefix="is_")
    from did_zones.zone_timing import zone_panel  # the function (other tests reload modules)

    panel = quiet(zone_panel, df, unit="city_code", time="year", county_level="drop")
    res = quiet(dz.twfe, panel, "is_isu")
    fast, slow = fast_and_slow(res, panel, n_draws=40, seed=1)
    np.testing.assert_allclose(fast.details["draws"], slow.details["draws"], rtol=0, atol=TOL)


def test_fast_draw_equals_twfe_on_the_permuted_panel(panel):
    """The draws are exactly twfe on the panel with the permuted cohorts (by hand)."""
    res = dz.twfe(panel, "isu", controls=["lnpop"])
    test = placebo(res, panel, n_draws=3, seed=9)
    cohorts = placebo_assignments(panel, n_draws=3, seed=9)
    for b in range(3):
        new = panel.with_cohort(pd.Series(cohorts[b], index=panel.units))
        assert abs(test.details["draws"][b]
                   - quiet(dz.twfe, new, "isu", controls=["lnpop"]).estimate["treated"]) < TOL


@pytest.mark.parametrize("options,term", [
    ({}, "e+0"), ({}, "e-3"), ({"controls": ["lnpop"], "overall": True}, "overall"),
    ({"window": (-4, 3), "bin_endpoints": True}, "e+3"),
], ids=["e+0", "lead", "overall_controls", "binned"])
def test_event_study_fast_equals_slow(panel, options, term):
    res = quiet(dz.event_study, panel, "isu", **options)
    fast, slow = fast_and_slow(res, panel, n_draws=20, seed=3, term=term)
    np.testing.assert_allclose(fast.details["draws"], slow.details["draws"], rtol=0, atol=TOL)
    assert fast.details["n_slow"] == 0 and fast.details["term"] == term


def test_event_study_unbalanced_and_mixed_fall_back_where_the_terms_differ(unbalanced, panel):
    res = quiet(dz.event_study, unbalanced, "isu")
    fast, slow = fast_and_slow(res, unbalanced, n_draws=15, seed=8)
    np.testing.assert_allclose(fast.details["draws"], slow.details["draws"], rtol=0, atol=TOL)
    assert 0 < fast.details["n_slow"] < 15  # some draws miss an event time: re-estimated
    res = quiet(dz.event_study, panel, "isu", window=(-3, 3), bin_endpoints=True)
    fast, slow = fast_and_slow(res, panel, kind="mixed", restricted=False, n_draws=15, seed=2)
    np.testing.assert_allclose(fast.details["draws"], slow.details["draws"], rtol=0, atol=TOL,
                               equal_nan=True)
    assert fast.details["n_slow"] < 15


def test_default_uses_the_fast_path(panel):
    """1,000 TWFE draws take the FWL fast path by default (its speed is measured by
    benchmarks/bench_placebo.py, not by a timed test)."""
    res = dz.twfe(panel, "isu", controls=["lnpop"])
    test = placebo(res, panel, n_draws=1000, seed=0)
    assert test.details["fast_path"] is True and test.details["n_slow"] == 0
    assert test.details["draws"].shape == (1000,)


def test_fast_true_where_it_does_not_apply(panel):
    cs = quiet(dz.callaway_santanna, panel, "isu")
    agg = dz.aggregate(cs, kind="simple")
    with pytest.raises(SpecificationError, match="fast path does not apply: callaway"):
        placebo(agg, panel, n_draws=2, fast=True)
    res = dz.event_study(panel, "isu", window=(-3, 3))
    with pytest.raises(SpecificationError, match="trimmed window"):
        placebo(res, panel, n_draws=2, fast=True)
    with pytest.raises(SpecificationError, match="in-time placebos change the sample"):
        placebo(dz.twfe(panel, "isu"), panel, kind="in_time", fast=True)


# ------------------------------------------------------------------------ assignments
def test_in_space_keeps_cohort_sizes_in_every_draw(panel):
    cohorts = placebo_assignments(panel, n_draws=200, seed=1)
    real = np.sort(panel.cohort)
    assert all(np.array_equal(np.sort(row), real) for row in cohorts)
    assert len({row.tobytes() for row in cohorts}) == 200  # all different assignments
    np.testing.assert_array_equal(cohorts, placebo_assignments(panel, n_draws=200, seed=1))


def test_mixed_restricted_keeps_the_cohort_structure(panel):
    real, sizes = np.unique(panel.cohort[np.isfinite(panel.cohort)], return_counts=True)
    cohorts = placebo_assignments(panel, kind="mixed", n_draws=200, seed=2)
    dates = set(panel.periods[1:].astype(float))
    moved = 0
    for row in cohorts:
        g, n = np.unique(row[np.isfinite(row)], return_counts=True)
        np.testing.assert_array_equal(n, sizes)  # N_1..N_G in chronological order
        assert set(g) <= dates
        moved += not np.array_equal(g, real)
    assert moved > 190


def test_mixed_unrestricted_draws_a_date_per_unit(panel):
    n_treated = int(np.isfinite(panel.cohort).sum())
    cohorts = placebo_assignments(panel, kind="mixed", n_draws=100, seed=2, restricted=False)
    assert (np.isfinite(cohorts).sum(axis=1) == n_treated).all()
    n_dates = [np.unique(row[np.isfinite(row)]).size for row in cohorts]
    # 105 units over 11 dates: every date is used; the restricted version keeps 5
    assert min(n_dates) == panel.periods.size - 1
    assert cohorts[np.isfinite(cohorts)].min() > panel.periods.min()


def test_in_time_drops_exactly_the_documented_rows(sim, panel):
    res = dz.twfe(panel, "isu")
    test = placebo(res, panel, kind="in_time", shift=[1, 3])
    table = test.details["table"]
    assert table["n_rows_dropped"].tolist() == [int(panel.treated.sum())] * 2
    assert table["n_units_dropped"].tolist() == [0, 0]
    # by hand: rows before the real date of treated units, every row of the others
    df = sim.data
    g = df["cohort"].where(df["cohort"] > 0, np.inf)
    for k, row in zip((1, 3), table.itertuples(), strict=True):
        sub = df.loc[df["year"] < g]
        fake = (g - k).where(np.isfinite(g), 0)[df["year"] < g]
        p = dz.build_panel(sub.assign(fake=fake), unit="city_code", time="year",
                           cohort="fake")
        hand = dz.twfe(p, "isu")
        assert row.n_obs == p.n_obs == panel.n_obs - row.n_rows_dropped
        assert abs(row.estimate - hand.estimate["treated"]) < 1e-12
        assert abs(row.p_value - hand.p_value["treated"]) < 1e-12
    assert test.p_value == pytest.approx(min(1.0, 2 * table["p_value"].min()), abs=1e-15)
    best = table["p_value"].idxmin()
    assert test.statistic == pytest.approx(table.loc[best, "estimate"] / table.loc[best, "std_error"],
                                           rel=1e-12)
    assert test.details["estimate"] == res.estimate["treated"] and test.distribution == "t"


def test_in_time_counts_units_without_pre_period():
    df = pd.DataFrame({"u": np.repeat(np.arange(6), 5), "t": np.tile(np.arange(2000, 2005), 6)})
    df["g"] = np.select([df["u"] < 2, df["u"] < 4], [2002, 2004], 0)
    df["y"] = np.random.default_rng(0).normal(size=len(df))
    panel = dz.build_panel(df, "u", "t", cohort="g")
    res = quiet(dz.twfe, panel, "y", cluster=None)
    test = quiet(placebo, res, panel, kind="in_time", shift=2)
    # cohort 2002 moved to 2000 = first period: 2 units dropped; 2004 -> 2002 kept
    row = test.details["table"].iloc[0]
    assert row.n_units_dropped == 2 and row.n_rows_dropped == 2 * 3 + 2 * 1
    assert row.n_obs == 30 - 8 - 2 * 2


# ------------------------------------------------------------------------ p-values
def test_p_value_definitions():
    draws = np.array([-3.0, -1.0, 0.5, 1.0, 2.0, np.nan])
    p = randomization_p_values(draws, 1.0)
    assert p["p_right"] == 2 / 5 and p["p_left"] == 4 / 5 and p["p_two_sided"] == 4 / 5
    assert p["p_right_plus1"] == 3 / 6 and p["p_two_sided_plus1"] == 5 / 6


@pytest.mark.slow
def test_uniform_p_values_without_effect_and_rejection_with_one():
    ps = []
    for s in range(40):
        sim = dz.simulate_pilot_panel(seed=100 + s, effect="none")
        p = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
        ps.append(placebo(dz.twfe(p, "isu"), p, n_draws=199, seed=s).p_value)
    ps = np.array(ps)
    assert stats.kstest(ps, "uniform").pvalue > 0.001
    assert (ps <= 0.1).sum() <= stats.binom.ppf(0.999, 40, 0.1) == 11
    assert stats.binom.ppf(0.001, 40, 0.5) <= (ps <= 0.5).sum() <= stats.binom.ppf(0.999, 40, 0.5)
    sim = dz.simulate_pilot_panel(seed=3, effect="homogeneous", direct=0.1)
    p = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    test = placebo(dz.twfe(p, "isu"), p, n_draws=199, seed=1)
    assert test.p_value == 0 and test.details["p_right"] == 0
    assert test.details["p_two_sided_plus1"] == 1 / 200


def test_result_fields(panel):
    res = dz.twfe(panel, "isu")
    test = placebo(res, panel, n_draws=50, seed=123)
    d = test.details
    assert test.distribution == "randomization" and test.p_value == d["p_two_sided"]
    assert d["seed"] == 123 and d["n_draws"] == 50 and d["n_failed"] == 0
    assert d["kind"] == "in_space" and d["term"] == "treated" and d["shift"] is None
    assert not d["draws"].flags.writeable
    same = placebo(res, panel, n_draws=50, seed=np.random.SeedSequence(123))
    np.testing.assert_array_equal(same.details["draws"], d["draws"])


# ------------------------------------------------------------------------ other estimators
def test_slow_path_for_callaway_santanna_and_imputation(panel):
    cs = dz.aggregate(quiet(dz.callaway_santanna, panel, "isu"), kind="simple")
    test = placebo(cs, panel, n_draws=4, seed=6)
    assert not test.details["fast_path"] and test.details["term"] == "overall"
    cohorts = placebo_assignments(panel, n_draws=4, seed=6)
    new = panel.with_cohort(pd.Series(cohorts[2], index=panel.units))
    hand = dz.aggregate(quiet(dz.callaway_santanna, new, "isu"), kind="simple")
    assert abs(test.details["draws"][2] - hand.estimate["overall"]) < 1e-12
    im = quiet(dz.imputation, panel, "isu")
    test = placebo(im, panel, n_draws=4, seed=6, kind="mixed")
    assert np.isfinite(test.details["draws"]).all()
    tt = placebo(cs, panel, kind="in_time", shift=2)
    assert np.isfinite(tt.details["draws"]).all()
    assert tt.details["overrides"]["allow_unbalanced"] is True


def test_identical_whatever_the_workers(panel, monkeypatch):
    monkeypatch.setattr(_parallel, "PARALLEL_AFTER", 0.0)  # quick draws: workers anyway
    res = dz.twfe(panel, "isu", controls=["lnpop"])
    one = placebo(res, panel, n_draws=24, seed=4, fast=False)
    two = placebo(res, panel, n_draws=24, seed=4, fast=False, n_jobs=2)
    thr = placebo(res, panel, n_draws=24, seed=4, fast=False, n_jobs=2, backend="threading")
    np.testing.assert_array_equal(one.details["draws"], two.details["draws"])
    np.testing.assert_array_equal(one.details["draws"], thr.details["draws"])


@pytest.mark.slow
def test_identical_on_a_dask_cluster(panel):
    distributed = pytest.importorskip(
        "dask.distributed", reason="dask.distributed is not installed (pip install "
                                   "'dask[distributed]', part of the test extra)")
    res = dz.twfe(panel, "isu")
    ref = placebo(res, panel, n_draws=12, seed=5, fast=False, kind="mixed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc, distributed.Client(lc) as c:
        other = placebo(res, panel, n_draws=12, seed=5, fast=False, kind="mixed", client=c)
    np.testing.assert_array_equal(other.details["draws"], ref.details["draws"])


def test_failed_draws_are_counted_and_warned():
    # two units, one treated: half the permutations put the treated path on each unit;
    # with only two units and unit + time effects, the in-space draws are all estimable,
    # so make draws fail via a term that exists only in the real event study
    df = pd.DataFrame({"u": np.repeat(np.arange(4), 4), "t": np.tile(np.arange(4), 4)})
    df["g"] = np.select([df["u"] == 0, df["u"] == 1], [1, 3], 0)
    df["y"] = np.random.default_rng(1).normal(size=len(df))
    panel = dz.build_panel(df, "u", "t", cohort="g")
    res = quiet(dz.event_study, panel, "y", cluster=None)
    with pytest.warns(InferenceWarning, match="could not be estimated"):
        test = quiet_warn_placebo(res, panel)
    assert test.details["n_failed"] > 0
    assert np.isnan(test.details["draws"]).sum() == test.details["n_failed"]


def quiet_warn_placebo(res, panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", InferenceWarning)
        return placebo(res, panel, kind="mixed", restricted=False, n_draws=30, seed=0,
                       term="e+2")


# ------------------------------------------------------------------------ errors
def test_bad_inputs(panel):
    res = dz.twfe(panel, "isu")
    with pytest.raises(SpecificationError, match="n_draws must be a positive integer; got 0"):
        placebo(res, panel, n_draws=0)
    with pytest.raises(SpecificationError, match="kind must be one of"):
        placebo(res, panel, kind="in_place")
    with pytest.raises(SpecificationError, match="Unknown term 'post'"):
        placebo(res, panel, term="post")
    with pytest.raises(SpecificationError, match=r"shift \[11\] leaves no pre-period"):
        placebo(res, panel, kind="in_time", shift=[1, 11])
    with pytest.raises(SpecificationError, match="shift must be a positive integer"):
        placebo(res, panel, kind="in_time", shift=0)
    with pytest.raises(SpecificationError, match="shift is for kind='in_time' only"):
        placebo(res, panel, shift=1)
    with pytest.raises(SpecificationError, match="restricted must be True or False"):
        placebo(res, panel, kind="mixed", restricted="yes")
    with pytest.raises(SpecificationError, match="n_jobs must be a non-zero int"):
        placebo(res, panel, n_jobs=0)
    with pytest.raises(SpecificationError, match="seed must be"):
        placebo(res, panel, seed=-1)
    cs = quiet(dz.callaway_santanna, panel, "isu")
    with pytest.raises(SpecificationError, match="no primary term; name the coefficient"):
        placebo(cs, panel)


def test_in_time_without_pre_periods():
    df = pd.DataFrame({"u": np.repeat(np.arange(4), 3), "t": np.tile([1, 2, 3], 4)})
    df["g"] = np.where(df["u"] < 2, 2, 0)
    df["y"] = np.random.default_rng(2).normal(size=len(df))
    panel = dz.build_panel(df, "u", "t", cohort="g")
    res = quiet(dz.twfe, panel, "y", cluster=None)
    with pytest.raises(SpecificationError, match="no pre-period is left"):
        placebo(res, panel, kind="in_time")


def test_no_treated_unit_and_nothing_to_permute(panel):
    # a result without a panel fingerprint (built by hand) reaches the checks of the panel
    res = dataclasses.replace(dz.twfe(panel, "isu"), panel_fingerprint=None)
    never = panel.with_cohort({})
    with pytest.raises(PanelError, match="no treated unit"):
        placebo(res, never)
    everyone = panel.with_cohort(pd.Series(2015, index=panel.units))
    with pytest.raises(SpecificationError, match="changes nothing"):
        placebo(res, everyone)


def test_caller_frame_unchanged(sim):
    df = sim.data.copy()
    before = df.copy()
    panel = dz.build_panel(df, unit="city_code", time="year", cohort="cohort")
    res = dz.twfe(panel, "isu")
    placebo(res, panel, n_draws=5, seed=1, fast=False)
    placebo(res, panel, kind="in_time", shift=2)
    pd.testing.assert_frame_equal(df, before)


def test_docstring_examples_run():
    import doctest
    import importlib

    # the package exports the function ``placebo``, which shadows the module attribute
    module = importlib.import_module("did_zones.robustness.placebo")
    failures, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted >= 4 and failures == 0
