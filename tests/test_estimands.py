"""did_zones.estimands: the estimand named on every estimator's headline term, and
event_average() (a linear combination of a result's own event-time terms)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import quiet as _quiet

import did_zones as dz
from did_zones.errors import SpecificationError
from did_zones.estimands import ESTIMANDS, event_average


@pytest.fixture(scope="module")
def panel():
    sim = dz.simulate_pilot_panel(seed=1)
    return dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")


def _named(result) -> dict:
    """term -> (estimand, e_min, e_max) for every term that names an estimand."""
    k = result.keys
    return {t: (r["estimand"], r["e_min"], r["e_max"])
            for t, r in k.loc[k["estimand"].notna()].iterrows()}


def _same(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for term, (name, lo, hi) in want.items():
        g = got[term]
        assert g[0] == name
        np.testing.assert_array_equal([g[1], g[2]], [lo, hi])


def test_vocabulary():
    assert ESTIMANDS == ("simple_att", "event_average", "instantaneous", "cohort_average",
                         "calendar_average", "twfe_coefficient")


@pytest.mark.parametrize("fit, expected", [
    (lambda p: dz.twfe(p, "isu"), {"treated": ("twfe_coefficient", np.nan, np.nan)}),
    (lambda p: dz.event_study(p, "isu", window=(-4, 5), overall=True),
     {"overall": ("simple_att", 0.0, 5.0)}),
    (lambda p: dz.event_study(p, "isu", window=(-3, 3), overall=True),
     {"overall": ("simple_att", 0.0, 3.0)}),
    (lambda p: dz.sun_abraham(p, "isu", window=(-4, 5)), {"overall": ("simple_att", 0.0, 5.0)}),
    (lambda p: dz.sun_abraham(p, "isu", window=(-3, 3)), {"overall": ("simple_att", 0.0, 3.0)}),
    (lambda p: dz.imputation(p, "isu"), {"overall": ("simple_att", np.nan, np.nan)}),
    (lambda p: dz.imputation(p, "isu", window=(0, 2)),
     {"overall": ("simple_att", np.nan, np.nan)}),
    (lambda p: dz.did2s(p, "isu"), {"overall": ("simple_att", np.nan, np.nan)}),
    (lambda p: dz.dcdh(p, "isu", window=(-2, 2)),
     {"DID_M": ("instantaneous", np.nan, np.nan)}),
], ids=["twfe", "event_study", "event_study_short", "sun_abraham", "sun_abraham_short",
        "imputation", "imputation_horizons", "did2s_static", "dcdh"])
def test_headline_term_names_its_estimand(panel, fit, expected):
    res = _quiet(fit, panel)
    _same(_named(res), expected)
    assert set(res.tidy().columns) >= {"estimand", "e_min", "e_max"}


def test_event_study_without_overall_names_no_estimand(panel):
    res = _quiet(dz.event_study, panel, "isu", window=(-3, 3))
    assert "estimand" not in res.keys.columns or res.keys["estimand"].isna().all()


@pytest.mark.parametrize("kind, window, expected", [
    ("simple", None, ("simple_att", np.nan, np.nan)),
    ("event", None, ("event_average", 0.0, 6.0)),  # every e >= 0 the panel has
    ("event", (-4, 3), ("event_average", 0.0, 3.0)),
    ("cohort", None, ("cohort_average", np.nan, np.nan)),
    ("calendar", None, ("calendar_average", np.nan, np.nan)),
])
def test_each_aggregation_names_its_estimand(panel, kind, window, expected):
    cs = _quiet(dz.callaway_santanna, panel, "isu")
    agg = _quiet(dz.aggregate, cs, kind=kind, window=window)
    _same(_named(agg), {"overall": expected})


def test_event_average_is_the_mean_of_the_event_time_terms(panel):
    es = _quiet(dz.event_study, panel, "isu", window=(-3, 3))
    avg = event_average(es, (0, 3))
    terms = ["e+0", "e+1", "e+2", "e+3"]
    assert avg.estimate["event_average"] == pytest.approx(es.estimate[terms].mean(),
                                                          rel=1e-12)
    w = np.full(4, 0.25)
    assert avg.std_error["event_average"] == pytest.approx(
        np.sqrt(w @ es.vcov.loc[terms, terms].to_numpy() @ w), rel=1e-12)
    _same(_named(avg), {"event_average": ("event_average", 0.0, 3.0)})
    assert avg.spec["estimand_window"] == (0, 3)
    # default window: every e >= 0 of the result
    _same(_named(event_average(es)), {"event_average": ("event_average", 0.0, 3.0)})


def test_event_average_window_without_event_time_terms(panel):
    es = _quiet(dz.event_study, panel, "isu", window=(-3, 3))
    with pytest.raises(SpecificationError, match=(
            r"^event_study has no effect at event time\(s\) \[4, 5\]; the average over "
            r"e = 0\.\.5 needs one per event time\. Use a window within the estimated "
            r"event times\.$")):
        event_average(es, (0, 5))
    bjs = _quiet(dz.imputation, panel, "isu", window=(1, 2))
    with pytest.raises(SpecificationError, match=(
            r"^imputation has no effect at event time\(s\) \[0\]; the average over "
            r"e = 0\.\.2 needs one per event time\.")):
        event_average(bjs, (0, 2))
    with pytest.raises(SpecificationError,
                       match=r"^window must be \(a, b\) with a <= b; got \(2, 1\)\.$"):
        event_average(es, (2, 1))


def test_event_average_of_a_result_without_event_time_terms(panel):
    twfe = _quiet(dz.twfe, panel, "isu")
    with pytest.raises(SpecificationError,
                       match=r"^twfe has no event-time effect at e >= 0 to average\.$"):
        event_average(twfe)
    # dCDH without a window: its DID_M is already a named estimand, not an effect at e
    dcdh = _quiet(dz.dcdh, panel, "isu")
    with pytest.raises(SpecificationError,
                       match=r"^dcdh has no event-time effect at e >= 0 to average\.$"):
        event_average(dcdh)
    no_column = dataclasses.replace(twfe, keys=twfe.keys.drop(columns="event_time"))
    with pytest.raises(SpecificationError, match=(
            r"^twfe has no event-time effects to average\. Estimate it with event-time "
            r"terms \(window=\(lo, hi\)\)\.$")):
        event_average(no_column)


def test_pretrend_terms_are_not_averaged(panel):
    bjs = _quiet(dz.imputation, panel, "isu", window=(-2, 1))
    avg = event_average(bjs, (0, 1))
    post = bjs.keys.index[(bjs.keys["event_time"].isin([0, 1]))
                          & (bjs.keys.get("kind", pd.Series(index=bjs.keys.index)) != "pretrend")
                          & bjs.keys["estimand"].isna()]
    assert len(post) == 2
    assert avg.estimate["event_average"] == pytest.approx(bjs.estimate[post].mean(),
                                                          rel=1e-12)
    with pytest.raises(SpecificationError, match=r"no effect at event time\(s\) \[-1\]"):
        event_average(bjs, (-1, 1))
