"""Results remember their panel (did_zones._provenance, Panel.fingerprint) and panels are
immutable in fact: changing what ``panel.data`` returns never changes an estimate."""

from __future__ import annotations

import dataclasses
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import SpecificationError

_ESTIMATORS = ["twfe", "event_study", "sun_abraham", "callaway_santanna", "imputation",
               "did2s", "dcdh", "bacon_decomposition", "twfe_weights"]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="module")
def other(panel):
    return panel.window(2012, 2021)


# ------------------------------------------------------------------ fingerprint
def test_fingerprint_is_stable_and_ignores_other_columns(sim, panel):
    again = dz.build_panel(sim.data.assign(extra=1.0), unit="city_code", time="year",
                           cohort="cohort")
    assert again.fingerprint == panel.fingerprint
    assert len(panel.fingerprint) == 32 and int(panel.fingerprint, 16) >= 0
    shuffled = sim.data.sample(frac=1.0, random_state=0)  # build_panel sorts the rows again
    assert dz.build_panel(shuffled, unit="city_code", time="year",
                          cohort="cohort").fingerprint == panel.fingerprint
    assert pickle.loads(pickle.dumps(panel)).fingerprint == panel.fingerprint


def test_fingerprint_changes_with_units_periods_and_cohorts(panel):
    first = panel.units[0]
    changed = [
        panel.window(2011, 2021),
        panel.drop_units([first]),
        panel.with_cohort(panel.unit_cohort.replace(np.inf, 0).replace(2016.0, 2017.0)),
    ]
    prints = {p.fingerprint for p in changed} | {panel.fingerprint}
    assert len(prints) == 4


# --------------------------------------------------------------- results remember
@pytest.mark.parametrize("name", _ESTIMATORS)
def test_every_estimator_records_its_panel(panel, other, name):
    res = getattr(dz, name)(panel, "isu")
    assert res.panel_fingerprint == panel.fingerprint
    assert res.panel_shape == (panel.n_units, panel.n_periods)
    assert getattr(dz, name)(other, "isu").panel_fingerprint == other.fingerprint


def test_aggregate_and_rerun_keep_the_right_fingerprint(panel, other):
    cs = dz.callaway_santanna(panel, "isu")
    assert dz.aggregate(cs, kind="event").panel_fingerprint == panel.fingerprint
    again = dz.rerun(dz.aggregate(cs, kind="simple"), other)  # rerun is for other panels
    assert again.panel_fingerprint == other.fingerprint


_MESSAGE = (r"The result was estimated on a different panel \(337 units × 10 periods, "
            r"fingerprint [0-9a-f]{8}…\) than the panel passed \(337 units × 12 periods, "
            r"fingerprint [0-9a-f]{8}…\)\. Pass the panel the result came from")


@pytest.mark.parametrize("check", ["placebo", "psm_did", "variations", "heterogeneity"])
def test_checks_refuse_a_result_from_another_panel(panel, other, check):
    res = dz.twfe(other, "isu")
    call = {
        "placebo": lambda: dz.placebo(res, panel, n_draws=3, seed=1),
        "psm_did": lambda: dz.psm_did(res, panel, ["lnpop"]),
        "variations": lambda: dz.variations(res, panel),
        "heterogeneity": lambda: dz.heterogeneity(res, panel, "coastal"),
    }[check]
    with pytest.raises(SpecificationError, match=_MESSAGE):
        call()


def test_checks_accept_the_own_panel_and_internal_new_panels(panel):
    res = dz.twfe(panel, "isu")
    # variations re-estimates on windows and trimmed panels internally: no false alarm
    table = dz.variations(res, panel, windows=[(2012, 2021)])
    assert table.panel_fingerprint == panel.fingerprint
    assert dz.placebo(res, panel, n_draws=3, seed=1).p_value >= 0
    het = dz.heterogeneity(res, panel, "coastal")
    assert het.panel_fingerprint == panel.fingerprint


def test_a_result_without_fingerprint_is_not_checked(panel, other):
    res = dataclasses.replace(dz.twfe(other, "isu"), panel_fingerprint=None, panel_shape=None)
    assert dz.placebo(res, panel, n_draws=3, seed=1).p_value >= 0


# ---------------------------------------------------------------- immutability
def test_changing_panel_data_never_changes_the_estimate(sim):
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    before = dz.twfe(panel, "isu")
    attempts = [
        lambda d: d.__setitem__("isu", 0.0),
        lambda d: d.loc.__setitem__((slice(0, 100), "isu"), 99.0),
        lambda d: d["isu"].__imul__(3.0),
        lambda d: d.drop(columns="isu", inplace=True),
        lambda d: d.sort_values("isu", inplace=True),
    ]
    for attempt in attempts:
        try:
            attempt(panel.data)
        except (ValueError, TypeError):  # refusing is fine too
            pass
    with pytest.raises(ValueError, match="read-only"):
        panel.data["isu"].to_numpy()[0] = 1.0
    after = dz.twfe(panel, "isu")
    pd.testing.assert_series_equal(after.estimate, before.estimate, rtol=0, atol=0)
    pd.testing.assert_frame_equal(after.vcov, before.vcov, rtol=0, atol=0)
    assert panel.data.equals(dz.build_panel(sim.data, unit="city_code", time="year",
                                            cohort="cohort").data)


def test_panel_fields_and_arrays_are_read_only(panel):
    with pytest.raises(dataclasses.FrozenInstanceError):
        panel.data = panel.data
    for name in ("unit_id", "period_id", "cohort", "periods"):
        arr = getattr(panel, name)
        assert not arr.flags.writeable, name
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = arr[0]


def test_panel_data_is_a_fresh_shallow_copy(panel):
    a, b = panel.data, panel.data
    assert a is not b
    a["new"] = 1.0
    assert "new" not in panel.data.columns


def test_replace_makes_a_new_read_only_panel(panel):
    cohort = panel.cohort.copy()
    new = dataclasses.replace(panel, cohort=cohort)
    assert not new.cohort.flags.writeable
    assert new.fingerprint == panel.fingerprint
