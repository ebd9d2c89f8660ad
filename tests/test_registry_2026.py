"""The roster as it stands in 2026: batch 8 (国函〔2025〕40号), the whole-island zone of Hainan,
and the revocations of 海口, 三亚 and 阿拉山口 (did_zones.registry, build_panel, zone_panel).

Expected cohorts are written out by hand from the official dates (batch 3 2018-07-24, batch 5
2020-04-27, batch 6 2022-02-08, batch 7 2022-11-14, batch 8 2025-04-25) or recomputed from the
project's independent copy of the facts (tests/data/registry/pilot_zones.csv).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import data_file

import did_zones as dz
from did_zones.errors import PanelError, SpecificationError
from did_zones.registry import (
    DEFAULT_BATCHES,
    WHOLE_ISLAND,
    county_level_prefectures,
    load_cities,
    load_zones,
    zone_cohorts,
)

HAIKOU, SANYA, SANSHA, DANZHOU = 460100, 460200, 460300, 460400
BORTALA, XILINGOL, BAODING, JINHUA = 652700, 152500, 130600, 330700
HANGZHOU, QINHUANGDAO, NEVER = 330100, 130300, 140900  # 140900: 忻州, never a zone


def _reference() -> pd.DataFrame:
    return pd.read_csv(data_file("registry/pilot_zones.csv"))


def _toy(years=range(2016, 2027)) -> pd.DataFrame:
    """A hand-made prefecture-year panel: the Hainan units, 博尔塔拉, county-level parents."""
    units = [HAIKOU, SANYA, SANSHA, DANZHOU, BORTALA, XILINGOL, BAODING, JINHUA, HANGZHOU,
             QINHUANGDAO, NEVER]
    rows = [(u, y, float(i + (y - 2016) * 0.5)) for i, u in enumerate(units) for y in years]
    return pd.DataFrame(rows, columns=["city_code", "year", "y"])


# --------------------------------------------------------------------------- load_zones
def test_load_zones_holds_batch8_and_revocations():
    zones = load_zones()
    b8 = zones[zones["batch"] == 8]
    assert len(b8) == 16
    assert set(b8["document"]) == {"国函〔2025〕40号"}
    assert (b8["approval_date"] == pd.Timestamp("2025-04-25")).all()
    assert set(b8["date_kind"]) == {"published"}
    assert b8["zone_zh"].iloc[0] == "海南全岛" and b8["city_code"].iloc[0] == 460000
    assert b8["region"].iloc[0] == "east"
    # 10 of the 16 places rest on the English translation of the reply only
    assert (b8["sources_agree"] == "unchecked").sum() == 10
    revoked = zones[zones["revoked"]]
    assert revoked["zone_zh"].tolist() == ["海口市", "三亚市", "阿拉山口市"]
    assert revoked["batch"].tolist() == [3, 5, 6]
    assert (revoked["revoked_date"] == pd.Timestamp("2025-04-25")).all()
    assert set(revoked["revoked_by"]) == {"国函〔2025〕40号"}
    assert zones.loc[~zones["revoked"], "revoked_date"].isna().all()
    assert (zones.loc[~zones["revoked"], "revoked_by"] == "").all()
    assert zones["revoked"].dtype == bool and zones["revoked_date"].dtype.kind == "M"


def test_whole_island_map_matches_the_universe():
    cities = load_cities()
    hainan = set(cities.loc[cities["province_code"] == 460000, "city_code"])
    assert set(WHOLE_ISLAND[460000]) == hainan - {SANSHA}


# --------------------------------------------------------------------------- default sample
@pytest.mark.parametrize("timing", ["approval_year", "next_year", "half_year"])
@pytest.mark.parametrize("county_level", ["parent", "drop"])
def test_default_sample_is_batches_1_to_7_unchanged(timing, county_level):
    ref = _reference()
    ref = ref[ref["batch"] <= 7]
    if county_level == "drop":
        ref = ref[ref["zone_code"].notna() & (ref["zone_code"] == ref["prefecture_code"])]
    date = pd.to_datetime(ref["approval_date"])
    shift = {"approval_year": 0, "next_year": 1}.get(timing)
    year = date.dt.year + (shift if shift is not None else (date.dt.month > 6).astype(int))
    expected = year.groupby(ref["prefecture_code"].to_numpy()).min().sort_index()
    got = zone_cohorts(timing=timing, county_level=county_level)
    assert got.to_dict() == expected.to_dict()
    assert got.attrs["batches"] == DEFAULT_BATCHES == (1, 2, 3, 4, 5, 6, 7)
    assert got.attrs["revoked"] == "keep" and got.attrs["treatment_end"] == {}
    assert got.attrs["whole_island"] == {}
    assert len(zone_cohorts()) == 163


# --------------------------------------------------------------------------- batch 8
def test_batch8_on_request():
    every = zone_cohorts(batches="all")
    assert every.equals(zone_cohorts(batches=range(1, 9)))
    assert every.attrs["batches"] == (1, 2, 3, 4, 5, 6, 7, 8)
    assert len(every) == 177  # 163 + 儋州 + 13 new cities/regions (保定, 博尔塔拉 already in)
    assert every[QINHUANGDAO] == 2025 and every[XILINGOL] == 2025
    assert every[BAODING] == 2020 and every[BORTALA] == 2022  # earlier county-level zones
    assert every[JINHUA] == 2018
    drop = zone_cohorts(batches="all", county_level="drop")
    # under "drop" the county-level designees treat nothing: 保定 and 博尔塔拉 from their own
    # batch-8 designation, 金华 from batch 6; 二连浩特 leaves 锡林郭勒 untreated
    assert drop[BAODING] == 2025 and drop[BORTALA] == 2025 and drop[JINHUA] == 2022
    assert XILINGOL not in drop.index
    assert XILINGOL in county_level_prefectures(batches="all")
    assert XILINGOL not in county_level_prefectures()
    only8 = zone_cohorts(batches=[8])
    assert len(only8) == 18 and set(only8) == {2025}
    assert zone_cohorts(batches=[8], timing="next_year").eq(2026).all()
    assert zone_cohorts(batches=[8], timing="half_year").eq(2025).all()  # 25 April


def test_whole_island_treats_the_island_not_sansha_and_keeps_earliest():
    every = zone_cohorts(batches="all")
    assert SANSHA not in every.index
    assert every[DANZHOU] == 2025
    assert every[HAIKOU] == 2018 and every[SANYA] == 2020  # first treatment kept
    assert every.attrs["whole_island"] == {
        460000: {"treats": (HAIKOU, SANYA, DANZHOU),
                 "already_treated": {HAIKOU: 2018, SANYA: 2020}}}
    late = zone_cohorts(batches=[8])
    assert late.loc[[HAIKOU, SANYA, DANZHOU]].tolist() == [2025, 2025, 2025]
    assert late.attrs["whole_island"][460000]["already_treated"] == {}
    nxt = zone_cohorts(batches="all", timing="next_year")
    assert nxt.attrs["whole_island"][460000]["already_treated"] == {HAIKOU: 2019, SANYA: 2021}


# --------------------------------------------------------------------------- revocations
def test_revocations_keep_is_absorbing_and_recorded():
    keep = zone_cohorts(batches="all")
    end = zone_cohorts(batches="all", revoked="end")
    assert keep.equals(end)  # same cohorts: only the end of treatment differs
    assert keep.attrs["revocations"] == {HAIKOU: 2025, SANYA: 2025, BORTALA: 2025}
    assert keep.attrs["treatment_end"] == {} and keep.attrs["treatment_restart"] == {}
    # with batch 8, the whole-island zone keeps 海口 and 三亚 treated, 博尔塔拉's own zone it
    assert end.attrs["treatment_end"] == {}


@pytest.mark.parametrize(
    ("kwargs", "ends", "restarts"),
    [
        # default sample (no batch 8): every revoked prefecture switches off; the revocation
        # year (25 April 2025) counts as treated under approval_year, not under the others
        ({}, {HAIKOU: 2026, SANYA: 2026, BORTALA: 2026}, {}),
        ({"timing": "next_year"}, {HAIKOU: 2025, SANYA: 2025, BORTALA: 2025}, {}),
        ({"timing": "half_year"}, {HAIKOU: 2025, SANYA: 2025, BORTALA: 2025}, {}),
        ({"county_level": "drop"}, {HAIKOU: 2026, SANYA: 2026}, {}),  # 阿拉山口 treats none
        ({"batches": "all"}, {}, {}),
        ({"batches": "all", "timing": "half_year"}, {}, {}),
        # next_year: the revoked zones count through 2024, batch 8 from 2026: a gap in 2025
        ({"batches": "all", "timing": "next_year"},
         {HAIKOU: 2025, SANYA: 2025, BORTALA: 2025}, {HAIKOU: 2026, SANYA: 2026, BORTALA: 2026}),
        ({"batches": [1, 2, 3, 4, 5, 6, 8]}, {}, {}),
        ({"batches": [3]}, {HAIKOU: 2026}, {}),
    ],
)
def test_revocations_end(kwargs, ends, restarts):
    got = zone_cohorts(revoked="end", **kwargs)
    assert got.attrs["revoked"] == "end"
    assert got.attrs["treatment_end"] == ends
    assert got.attrs["treatment_restart"] == restarts
    assert got.equals(zone_cohorts(**kwargs))


# --------------------------------------------------------------------------- the toy panel
# 杭州 (2015) is treated before the toy's first year 2016: build_panel drops it, with a warning
_HANGZHOU_DROPPED = pytest.mark.filterwarnings(
    r"ignore:1 unit\(s\) \(1[01] rows\) are treated from the first period 2016 on:"
    "did_zones.errors.DataDroppedWarning")


@_HANGZHOU_DROPPED
def test_toy_zone_panel_batch8():
    panel = dz.zone_panel(_toy(), "city_code", "year", batches="all")
    expected = {HAIKOU: 2018.0, SANYA: 2020.0, SANSHA: np.inf, DANZHOU: 2025.0,
                BORTALA: 2022.0, XILINGOL: 2025.0, BAODING: 2020.0, JINHUA: 2018.0,
                HANGZHOU: np.inf, QINHUANGDAO: 2025.0, NEVER: np.inf}
    # 杭州 (2015) is treated before the toy's first year 2016: dropped as always-treated
    expected.pop(HANGZHOU)
    assert panel.unit_cohort.to_dict() == expected
    default = dz.zone_panel(_toy(), "city_code", "year")
    assert default.unit_cohort[DANZHOU] == np.inf and default.unit_cohort[XILINGOL] == np.inf
    assert default.notes[0].endswith("batches [1, 2, 3, 4, 5, 6, 7].")


@_HANGZHOU_DROPPED
def test_toy_end_switches_off_inside_accepted_after():
    toy = _toy()
    before = toy.copy(deep=True)
    end = zone_cohorts(revoked="end")
    panel = dz.build_panel(toy, "city_code", "year", cohort=end)
    assert panel.switches_off
    off = pd.Series(panel.treatment_end, index=panel.units)
    assert off[np.isfinite(off)].to_dict() == {HAIKOU: 2026, SANYA: 2026, BORTALA: 2026}
    assert not np.isfinite(panel.treatment_restart).any()
    assert any(n.startswith("Treatment switches off inside the panel for 3 unit(s), e.g. "
                            "['460100 (untreated from 2026)', '460200 (untreated from 2026)', "
                            "'652700 (untreated from 2026)']: only dcdh") for n in panel.notes)
    with pytest.raises(PanelError, match=(
            r"Treatment switches off inside the panel for 3 unit\(s\) whose pilot zone was "
            r"revoked: \['460100 \(untreated from 2026\)', '460200 \(untreated from 2026\)', "
            r"'652700 \(untreated from 2026\)'\]\. Only dcdh handles treatment that switches "
            r"off: pass switch_off='keep'.*revoked='keep'.*end the panel before 2026")):
        dz.build_panel(toy, "city_code", "year", cohort=end, switch_off="error")
    assert dz.zone_panel(toy, "city_code", "year", revoked="end").switches_off
    pd.testing.assert_frame_equal(toy, before)
    # a panel that stops before the switch-off: treatment is absorbing within it
    short = toy[toy["year"] <= 2025]
    panel = dz.build_panel(short, "city_code", "year", cohort=end)
    assert not panel.switches_off
    assert any("ends after the last observed period (revoked pilot zones" in n
               for n in panel.notes)
    kept = dz.build_panel(short, "city_code", "year", cohort=zone_cohorts())
    assert panel.unit_cohort.equals(kept.unit_cohort)
    # dropping the revoked units removes the switch-off
    rest = toy[~toy["city_code"].isin([HAIKOU, SANYA, BORTALA])]
    rest_panel = dz.build_panel(rest, "city_code", "year", cohort=end)
    assert rest_panel.n_units == 7 and not rest_panel.switches_off
    # with batch 8 nothing switches off under approval_year
    every = dz.build_panel(toy, "city_code", "year",
                           cohort=zone_cohorts(batches="all", revoked="end"))
    assert every.n_units == 10 and not every.switches_off


@_HANGZHOU_DROPPED
def test_toy_end_only_dcdh_estimates_with_the_switch_off():
    panel = dz.build_panel(_toy(), "city_code", "year", cohort=zone_cohorts(revoked="end"))
    # the toy outcome has unit levels and a common slope and no effect: DID_M is exactly 0,
    # and 2026 holds the three leavers against the units still treated
    with pytest.warns(dz.errors.InferenceWarning):
        res = dz.dcdh(panel, "y")
    assert abs(res.estimate["DID_M"]) < 1e-10
    cells = res.extra["cells"]
    leavers = cells[cells["side"] == "leavers"]
    assert leavers["time"].tolist() == [2026] and leavers["n_switchers"].tolist() == [3]
    for estimator in (dz.twfe, dz.callaway_santanna, dz.imputation):
        with pytest.raises(PanelError, match=r"switches off inside this panel for 3 unit"):
            estimator(panel, "y")
    # keeping the zones treated is the other explicit choice
    kept = dz.build_panel(_toy(), "city_code", "year", cohort=zone_cohorts(revoked="keep"))
    assert not kept.switches_off
    assert kept.with_cohort(zone_cohorts(revoked="end")).switches_off


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"revoked": "drop"}, "revoked must be one of 'keep', 'end'; got 'drop'"),
        ({"batches": "every"}, r"batches must be an iterable of batch numbers such as "
         r"\[1, 2, 3\] or 'all'; got 'every'"),
        ({"batches": [9]}, r"batches \[9\] not found\. Available batches: "
         r"\[1, 2, 3, 4, 5, 6, 7, 8\]"),
    ],
)
def test_errors(kwargs, pattern):
    with pytest.raises(SpecificationError, match=pattern):
        zone_cohorts(**kwargs)


@_HANGZHOU_DROPPED
def test_heterogeneity_batch_groups_know_the_whole_island():
    from did_zones.robustness.heterogeneity import _registry_groups

    panel = dz.zone_panel(_toy(), "city_code", "year", batches="all")
    groups = _registry_groups(panel, "batch").to_dict()
    # 儋州 is treated only by 海南全岛 (batch 8); 海口 keeps its batch 3, 三沙 is a control
    assert groups[DANZHOU] == 8 and groups[HAIKOU] == 3 and groups[SANYA] == 5
    assert groups[QINHUANGDAO] == 8 and groups[BORTALA] == 6
    assert pd.isna(groups[SANSHA]) and pd.isna(groups[NEVER])
