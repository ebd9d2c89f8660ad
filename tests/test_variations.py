"""variations: every row equals a direct estimate on a sub-panel built by hand from the data."""

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.robustness.variations import variations

variations_module = importlib.import_module("did_zones.robustness.variations")

pytestmark = pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")

POLICY = pd.DataFrame({"city_code": [330100, 440300, 110000, 510100, 420100],
                       "approval_date": ["2013-05-01", "2014-01-01", "2016-03-01",
                                         "2017-07-07", "2016-11-30"],
                       "batch": [1, 1, 2, 2, 2]})
SMART = {330100: 2013, 320500: 2014, 440100: 2015}


@pytest.fixture(scope="module")
def sim():
    return dz.simulate_pilot_panel(seed=5).data


@pytest.fixture(scope="module")
def panel(sim):
    return dz.build_panel(sim, unit="city_code", time="year", cohort="cohort")


def build(df, cohort="cohort"):
    return dz.build_panel(df, unit="city_code", time="year", cohort=cohort)


def hand_panels(sim):
    """Sub-panels built from the raw frame, independently of Panel.drop_units/window."""
    cities = dz.load_cities().set_index("city_code")
    code = sim["city_code"]
    out = {}
    for name, flag in (("municipalities", "municipality"),
                       ("provincial_capitals", "provincial_capital"),
                       ("sub_provincial", "sub_provincial")):
        flagged = cities.index[cities[flag]]
        out[f"drop: {name}"] = build(sim[~code.isin(flagged)])
    out["drop: county_level_zones"] = build(sim[~code.isin(dz.county_level_prefectures())])
    out["window: 2012-2021"] = build(sim[sim["year"] >= 2012])
    out["window: 2010-2018"] = build(sim[sim["year"] <= 2018])
    out["timing: next_year"] = build(sim, dz.zone_cohorts(timing="next_year"))
    for g in sorted(sim.loc[sim["cohort"] > 0, "cohort"].unique()):
        out[f"leave out cohort {int(g)}"] = build(sim[sim["cohort"] != g])
    first = POLICY.assign(y=pd.to_datetime(POLICY["approval_date"]).dt.year) \
        .groupby("city_code")["y"].min()
    out["control: big data"] = build(
        sim.assign(did_big_data=(sim["year"] >= code.map(first)).astype(float)))
    out["drop: big data cities"] = build(sim[~code.isin(first.index)])
    out["control: smart"] = build(
        sim.assign(did_smart=(sim["year"] >= code.map(SMART)).astype(float)))
    out["drop: smart cities"] = build(sim[~code.isin(list(SMART))])
    return out


FITS = {
    "twfe": (lambda p, **kw: dz.twfe(p, "isu", controls=["lnpop", *kw.get("controls", ())]),
             "treated"),
    "cs_simple": (lambda p, **kw: dz.aggregate(dz.callaway_santanna(p, "isu"), kind="simple"),
                  "overall"),
}


@pytest.mark.parametrize("fit", list(FITS))
def test_each_variation_equals_a_direct_call(sim, panel, fit):
    make, term = FITS[fit]
    before = sim.copy()
    res = make(panel)
    table = variations(res, panel, windows=[(2012, 2021), (None, 2018)],
                       other_policies={"big data": POLICY, "smart": SMART})
    pd.testing.assert_frame_equal(sim, before)
    hand = hand_panels(sim)
    expected = {"baseline": res}
    for label, sub in hand.items():
        if label.startswith("control: "):
            if fit == "cs_simple":
                continue
            col = "did_" + label.removeprefix("control: ").replace(" ", "_")
            expected[label] = make(sub, controls=(col,))
        else:
            expected[label] = make(sub)
    assert table.terms == list(expected)
    for label, direct in expected.items():
        assert table[label] == pytest.approx(direct[term], rel=1e-12, abs=0), label
        assert table.std_error[label] == pytest.approx(direct.std_error[term], rel=1e-10)
        assert table.keys.loc[label, "n_obs"] == direct.n_obs
        assert table.keys.loc[label, "n_units"] == direct.n_units
    np.testing.assert_array_equal(table.vcov.to_numpy(),
                                  np.diag(np.diag(table.vcov.to_numpy())))
    assert table.notes[0].startswith("Covariances across variations are not estimated")
    assert "Variation 'timing: approval_year' skipped: timing 'approval_year' gives the " \
        "panel's own cohorts (the baseline)." in table.notes
    if fit == "cs_simple":
        assert any("'control: big data' skipped: callaway_santanna takes no" in n
                   for n in table.notes)
    assert table.primary == "baseline" and table.method == "variations"
    tidy = table.tidy()
    assert list(tidy["kind"].unique())[:3] == ["baseline", "drop", "window"]


def test_policy_frame_with_old_code_column_gets_hint(panel):
    old = POLICY.rename(columns={"city_code": "prefecture_code"})
    with pytest.raises(dz.SpecificationError, match="'prefecture_code' is its old name: did "
                       "you mean 'city_code'"):
        variations(dz.twfe(panel, "isu"), panel, drop=(), timing=(),
                   leave_one_cohort_out=False, other_policies={"big data": old})


def test_dropped_units_equal_the_registry_flags(panel):
    table = variations(dz.twfe(panel, "isu"), panel, drop=variations_module.DROPS,
                       timing=(), leave_one_cohort_out=False)
    cities = dz.load_cities().set_index("city_code").reindex(panel.units)
    keys = table.keys
    for name, flag in (("municipalities", "municipality"),
                       ("provincial_capitals", "provincial_capital"),
                       ("sub_provincial", "sub_provincial"), ("coastal", "coastal")):
        n = int(cities[flag].sum())
        assert keys.loc[f"drop: {name}", "dropped_units"] == n
        treated = np.isfinite(panel.unit_cohort) & ~cities[flag]
        assert keys.loc[f"drop: {name}", "n_treated_units"] == int(treated.sum())
    assert keys.loc["drop: municipalities", "dropped_units"] == 4
    assert keys.loc["drop: provincial_capitals", "dropped_units"] == 27
    assert keys.loc["drop: sub_provincial", "dropped_units"] == 15
    n_county = int(panel.units.isin(dz.county_level_prefectures()).sum())
    assert keys.loc["drop: county_level_zones", "dropped_units"] == n_county == 7
    assert keys.loc["baseline", "dropped_units"] == 0


def test_leave_out_cohort_counts_and_skips(sim, panel):
    table = variations(dz.twfe(panel, "isu"), panel, drop=(), timing=())
    sizes = panel.describe().set_index("cohort")["n_units"]
    for g in panel.cohorts:
        assert table.keys.loc[f"leave out cohort {int(g)}", "dropped_units"] == sizes[g]
    # a single treated cohort cannot be left out: skipped and named
    one = build(sim[sim["cohort"].isin([0, 2016])])
    t1 = variations(dz.twfe(one, "isu"), one, drop=(), timing=())
    assert t1.terms == ["baseline"]
    assert any(n.startswith("Variation 'leave out cohort 2016' skipped: it could not be "
                            "estimated") for n in t1.notes)


def test_skips_are_named(sim):
    no_big = build(sim[~sim["city_code"].isin([110000, 120000, 310000, 500000])])
    table = variations(dz.twfe(no_big, "isu"), no_big, drop=("municipalities",), timing=(),
                       leave_one_cohort_out=False, other_policies={"x": {999999: 2015}})
    assert table.terms == ["baseline"]
    notes = " ".join(table.notes)
    assert "'drop: municipalities' skipped: no unit of the panel is among the municipalities" \
        in notes
    assert "'control: x' skipped: the x DiD term is constant in the panel" in notes
    assert "'drop: x cities' skipped: no unit of the panel is among the x cities" in notes


def test_unit_codes_column(sim, panel):
    labelled = sim.assign(city_id="c" + sim["city_code"].astype(str))
    p2 = dz.build_panel(labelled, unit="city_id", time="year", cohort="cohort")
    base = variations(dz.twfe(panel, "isu"), panel, timing=("next_year",),
                      leave_one_cohort_out=False)
    other = variations(dz.twfe(p2, "isu"), p2, unit_codes="city_code",
                       timing=("next_year",), leave_one_cohort_out=False)
    assert other.terms == base.terms
    np.testing.assert_allclose(other.estimate, base.estimate, rtol=1e-12)
    with pytest.raises(dz.SpecificationError, match=r"Prefecture codes must be integers.*"
                       r"unit labels"):
        variations(dz.twfe(p2, "isu"), p2)


def test_bad_inputs(sim, panel):
    res = dz.twfe(panel, "isu")
    with pytest.raises(dz.SpecificationError, match="drop must be one of"):
        variations(res, panel, drop=("capitals",))
    with pytest.raises(dz.SpecificationError, match="timing must be one of"):
        variations(res, panel, timing=("approval",))
    with pytest.raises(dz.SpecificationError, match="county_level must be one of"):
        variations(res, panel, county_level="child")
    with pytest.raises(dz.SpecificationError, match=r"windows must be a list of \(start, end\)"):
        variations(res, panel, windows=[2012])
    with pytest.raises(dz.SpecificationError, match="start <= end"):
        variations(res, panel, windows=[(2020, 2012)])
    with pytest.raises(dz.SpecificationError, match="unit_codes column 'code' not found"):
        variations(res, panel, unit_codes="code")
    with pytest.raises(dz.SpecificationError, match="not constant within unit"):
        variations(res, panel, unit_codes="year")
    with pytest.raises(dz.SpecificationError, match=r"other_policies\['p'\] must be a DataFrame"):
        variations(res, panel, other_policies={"p": [330100]})
    with pytest.raises(dz.SpecificationError, match=r"other_policies\['p'\] must map"):
        variations(res, panel, other_policies={"p": {330100: "soon"}})
    with pytest.raises(dz.SpecificationError, match="extra column 'approval_date' not found"):
        variations(res, panel, other_policies={"p": POLICY.drop(columns="approval_date")})
    with pytest.raises(dz.SpecificationError, match="Term 'beta' is not in the result"):
        variations(res, panel, term="beta")
    nameless = dz.Result.create([1.0], np.eye(1), ["x"], method="twfe", outcome="isu",
                                spec={}, n_obs=1, n_units=1)
    with pytest.raises(dz.SpecificationError, match="has no primary term; choose one"):
        variations(nameless, panel)
    with pytest.raises(dz.SpecificationError, match="panel must be a did_zones Panel"):
        variations(res, sim)
    with pytest.raises(dz.SpecificationError, match="result must be a did_zones Result"):
        variations("twfe", panel)


def test_event_study_term_and_docstring(panel):
    es = dz.event_study(panel, "isu", window=(-3, 3))
    table = variations(es, panel, term="e+1", drop=("municipalities",), timing=(),
                       leave_one_cohort_out=False)
    direct = dz.event_study(panel.drop_units([110000, 120000, 310000, 500000]), "isu",
                            window=(-3, 3))
    assert table["drop: municipalities"] == pytest.approx(direct["e+1"], rel=1e-12)
    assert doctest.testmod(variations_module).failed == 0
