"""Tests of zone_panel: a user's prefecture-year frame + the registry timing -> Panel."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from did_zones.errors import DataDroppedWarning, PanelError, SpecificationError
from did_zones.panel import build_panel
from did_zones.registry import zone_cohorts
from did_zones.zone_timing import zone_panel

# Hangzhou (batch 1, 2015), Ningbo (2, 2016), Jinhua (parent of Yiwu, 3, 2018; own batch 6,
# 2022), Shijiazhuang (4, Dec 2019), Baoding (parent of Xiong'an, 5, 2020), Qinhuangdao and
# Handan (never)
CODES = [330100, 330200, 330700, 130100, 130600, 130300, 130400]
YEARS = list(range(2014, 2020))


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    out = pd.DataFrame(
        {"city_code": np.repeat(CODES, len(YEARS)), "year": np.tile(YEARS, len(CODES))}
    )
    out["y"] = rng.normal(size=len(out))
    return out


def test_default_timing(df):
    p = zone_panel(df, "city_code", "year")
    assert p.unit_cohort.to_dict() == {
        130100: 2019.0,
        130300: np.inf,
        130400: np.inf,
        130600: np.inf,  # 2020 is after the last year 2019: never-treated within the sample
        330100: 2015.0,
        330200: 2016.0,
        330700: 2018.0,
    }
    assert p.notes[0] == (
        "Pilot timing from the zone registry: timing='approval_year', county_level='parent', "
        "batches [1, 2, 3, 4, 5, 6, 7]."
    )
    assert p.notes[1] == (
        "county_level='parent': 2 prefecture(s) are treated through a county-level zone or "
        "new area inside them: 130600 Baoding (Xiong'an New Area); 330700 Jinhua (Yiwu)."
    )
    assert "1 unit(s) first treated after 2019 (cohorts [2020]) are never-treated within the " \
           "sample." in p.notes
    assert len(p.dropped) == 0


def test_same_as_build_panel_with_zone_cohorts(df):
    for timing in ("approval_year", "next_year", "half_year"):
        p = zone_panel(df, "city_code", "year", timing=timing)
        ref = build_panel(df, unit="city_code", time="year", cohort=zone_cohorts(timing=timing))
        np.testing.assert_array_equal(p.cohort, ref.cohort)
        pd.testing.assert_frame_equal(p.data, ref.data)
        assert p.notes[2:] == ref.notes


def test_next_year_timing_moves_december_approvals(df):
    p = zone_panel(df, "city_code", "year", timing="next_year")
    cohort = p.unit_cohort
    assert cohort[330100] == 2016 and cohort[130100] == np.inf  # batch 4: 2020 > 2019
    assert p.notes[0].startswith("Pilot timing from the zone registry: timing='next_year'")


def test_county_level_drop_removes_parents_with_warning(df):
    before = df.copy(deep=True)
    msg = (
        r"county_level='drop': 2 prefecture\(s\) containing a county-level zone or new area "
        r"\(12 rows\) were dropped from the panel: 130600 Baoding \(Xiong'an New Area\); "
        r"330700 Jinhua \(Yiwu\)\."
    )
    with pytest.warns(DataDroppedWarning, match=msg):
        p = zone_panel(df, "city_code", "year", county_level="drop")
    pd.testing.assert_frame_equal(df, before)
    assert 330700 not in p.units and 130600 not in p.units
    assert p.n_units == 5 and p.n_obs == 30
    assert p.dropped.to_dict("records") == [
        {"reason": "county-level zone parent", "n_rows": 12, "n_units": 2,
         "examples": "[130600, 330700]"}
    ]
    assert p.notes[1].startswith("county_level='drop': 2 prefecture(s)")
    # drops compose with later robustness panels
    assert p.drop_units([130300]).dropped["reason"].tolist() == ["county-level zone parent"]


def test_county_level_drop_without_parents_in_data_is_silent(df):
    sub = df[~df["city_code"].isin([330700, 130600])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = zone_panel(sub, "city_code", "year", county_level="drop")
    assert len(p.dropped) == 0
    assert not any("county_level" in n for n in p.notes[1:])


def test_county_level_drop_and_always_treated_are_both_recorded(df):
    late = df[df["year"] >= 2015]  # Hangzhou (2015) is then always-treated
    with pytest.warns(DataDroppedWarning) as record:
        p = zone_panel(late, "city_code", "year", county_level="drop")
    assert len(record) == 2
    assert p.dropped["reason"].tolist() == ["county-level zone parent", "always treated"]
    assert 330100 not in p.units


def test_string_and_float_codes_are_converted(df):
    ref = zone_panel(df, "city_code", "year")
    before = df.copy(deep=True)
    for codes in (df["city_code"].astype(str), " " + df["city_code"].astype(str) + " ",
                  df["city_code"].astype(float), df["city_code"].astype(str) + ".0",
                  df["city_code"].astype(object)):
        frame = df.assign(city_code=codes)
        frame_before = frame.copy(deep=True)
        p = zone_panel(frame, "city_code", "year")
        pd.testing.assert_frame_equal(frame, frame_before)
        assert p.data["city_code"].dtype == np.int64
        np.testing.assert_array_equal(p.cohort, ref.cohort)
        assert list(p.units) == list(ref.units)
    pd.testing.assert_frame_equal(df, before)


def test_unreadable_codes_are_an_error(df):
    codes = df["city_code"]
    bad = df.assign(city_code=codes.astype(str).where(codes != 330100, "Hangzhou"))
    with pytest.raises(PanelError, match=r"Unit column 'city_code' must hold prefecture codes "
                       r"\(6-digit GB/T 2260, e\.g\. 330100\); 6 row\(s\) cannot be read as "
                       r"integer codes, e\.g\. \['Hangzhou'\]\. Map names to codes first"):
        zone_panel(bad, "city_code", "year")
    frac = df.assign(city_code=df["city_code"] + 0.5 * (df["city_code"] == 330100))
    with pytest.raises(PanelError, match=r"6 row\(s\) cannot be read as integer codes, e\.g\. "
                       r"\[330100\.5\]"):
        zone_panel(frac, "city_code", "year")
    with pytest.raises(PanelError, match="Unit column 'city_code' holds booleans"):
        zone_panel(df.assign(city_code=True), "city_code", "year")


def test_missing_codes_reported_by_build_panel(df):
    bad = df.assign(city_code=df["city_code"].astype(str).where(df.index != 3, None))
    with pytest.raises(PanelError, match=r"1 row\(s\) have a missing value in role column "
                       r"'city_code' \(e\.g\. rows \[3\]\)"):
        zone_panel(bad, "city_code", "year")


def test_old_codes_are_noted(df):
    laiwu = pd.DataFrame({"city_code": 371200, "year": YEARS, "y": 0.0})
    p = zone_panel(pd.concat([df, laiwu], ignore_index=True), "city_code", "year")
    assert p.notes[-1] == (
        "1 unit code(s) in 'city_code' are not current prefecture-level codes, e.g. [371200]; they "
        "are never-treated. Check for old codes (莱芜 371200 is now part of 济南 370100) and "
        "county or district codes (see did_zones.load_cities())."
    )
    assert p.unit_cohort[371200] == np.inf


def test_batches_and_extra(df):
    p = zone_panel(df, "city_code", "year", batches=[1])
    assert p.cohorts.tolist() == [2015.0]
    assert p.notes[0].endswith("batches [1].")
    batch8 = pd.DataFrame({"city_code": [130300], "approval_date": ["2017-04-15"],
                           "batch": [8]})
    q = zone_panel(df, "city_code", "year", extra=batch8)
    assert q.unit_cohort[130300] == 2017.0
    assert q.notes[0].endswith("batches [1, 2, 3, 4, 5, 6, 7, 8].")


def test_build_panel_options_pass_through(df):
    late = df[df["year"] >= 2015]
    with pytest.raises(PanelError, match=r"are treated from the first period 2015 on"):
        zone_panel(late, "city_code", "year", always_treated="error")
    with pytest.raises(PanelError, match=r"first treated after the last period 2019"):
        zone_panel(df, "city_code", "year", late_cohorts="error")


def test_option_errors(df):
    with pytest.raises(SpecificationError, match=r"timing must be one of 'approval_year', "
                       r"'next_year', 'half_year'; got 'approval'\."):
        zone_panel(df, "city_code", "year", timing="approval")
    with pytest.raises(SpecificationError, match=r"county_level must be one of 'parent', "
                       r"'drop'; got 'keep'\."):
        zone_panel(df, "city_code", "year", county_level="keep")
    with pytest.raises(SpecificationError, match=r"zone_panel takes the timing from the "
                       r"pilot-zone registry; cohort= is not allowed"):
        zone_panel(df, "city_code", "year", cohort="first")
    with pytest.raises(SpecificationError, match=r"treatment= is not allowed"):
        zone_panel(df, "city_code", "year", treatment="d")
    with pytest.raises(SpecificationError, match=r"Unknown option\(s\) \['alpha'\]\. zone_panel "
                       r"passes only \['always_treated', 'late_cohorts'\] to build_panel\."):
        zone_panel(df, "city_code", "year", alpha=0.05)
    with pytest.raises(SpecificationError, match=r"Column 'city' not found in the data\."):
        zone_panel(df, "city", "year")
    with pytest.raises(SpecificationError, match=r"batches \[9\] not found"):
        zone_panel(df, "city_code", "year", batches=[9])
    with pytest.raises(SpecificationError, match="data must be a pandas DataFrame; got list"):
        zone_panel([1, 2], "city_code", "year")


def test_empty_after_dropping_parents(df):
    only = df[df["city_code"] == 330700]
    with pytest.warns(DataDroppedWarning), pytest.raises(
        PanelError, match=r"No rows are left after dropping the parents of county-level zones "
        r"\(\[330700\]\)\. Use county_level='parent'"
    ):
        zone_panel(only, "city_code", "year", county_level="drop")


def test_no_pilot_in_data(df):
    none = df[df["city_code"].isin([130300, 130400])]
    none = none.assign(city_code=none["city_code"] // 100)
    with pytest.raises(PanelError, match=r"No unit of column 'city_code' appears in the cohort "
                       r"mapping"):
        zone_panel(none, "city_code", "year")
