"""did_zones.robustness._event_terms: honest_did and pretrend_power accept and refuse the
same results, with the same message (issue #14)."""

from __future__ import annotations

import warnings

import pytest

import did_zones as dz

TOOLS = {"honest_did": dz.honest_did, "pretrend_power": dz.pretrend_power}


@pytest.fixture(scope="module")
def cs():
    sim = dz.simulate_pilot_panel(seed=3)
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dz.callaway_santanna(panel, "isu", base_period="universal")


@pytest.mark.parametrize("name", TOOLS)
def test_unaggregated_att_gt_refused_with_aggregate_hint(cs, name):
    # pretrend_power used to accept the ATT(g,t) cells as if they were event-time terms
    with pytest.raises(dz.SpecificationError, match=(
            rf"^{name} needs one coefficient per event time; this 'callaway_santanna' result "
            r"holds 60 ATT\(g,t\) cells, several per event time \(e\.g\. 2 at event time -9: "
            r"\['ATT\(2019,2010\)', 'ATT\(2020,2011\)'\]\)\. Aggregate by event time first: "
            r'dz\.aggregate\(res, kind="event"\)\.$')):
        TOOLS[name](cs)


@pytest.mark.parametrize("name", TOOLS)
def test_other_aggregations_refused(cs, name):
    with pytest.raises(dz.SpecificationError, match=(
            rf"^{name} needs one coefficient per event time; this 'callaway_santanna' result "
            r"is aggregated as 'cohort'\. Aggregate by event time first")):
        TOOLS[name](dz.aggregate(cs, kind="cohort"))


@pytest.mark.parametrize("name", TOOLS)
def test_event_aggregation_accepted(cs, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        TOOLS[name](dz.aggregate(cs, kind="event"))
