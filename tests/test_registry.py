"""Tests of the bundled pilot-zone registry and prefecture universe (did_zones.registry)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import data_file

from did_zones.errors import SpecificationError
from did_zones.registry import (
    county_level_prefectures,
    load_cities,
    load_zones,
    zone_cohorts,
)

BATCH_SIZES = {1: 1, 2: 12, 3: 22, 4: 24, 5: 46, 6: 27, 7: 33, 8: 16}
COUNTY_LEVEL = {
    "义乌市": 330700,
    "珲春市": 222400,
    "绥芬河市": 231000,
    "满洲里市": 150700,
    "阿拉山口市": 652700,
    "延吉市": 222400,
    "同江市": 230800,
    "雄安新区": 130600,
    "二连浩特市": 152500,
}


def _reference(name: str) -> pd.DataFrame:
    """The project's cross-check copy of the registry facts (tests/data/registry/)."""
    return pd.read_csv(data_file(f"registry/{name}"))


def _bundled_batches(ref: pd.DataFrame) -> pd.DataFrame:
    """The reference rows of the batches the bundled registry covers (1-8: all of them)."""
    return ref[ref["batch"].isin(BATCH_SIZES)].reset_index(drop=True)


# --------------------------------------------------------------------------- load_zones
def test_zones_shape_and_columns():
    zones = load_zones()
    assert len(zones) == 181
    assert list(zones.columns[:4]) == ["batch", "approval_date", "date_kind", "document"]
    for col in ("zone_en", "city_code", "region", "zone_code", "sources_agree", "note",
                "revoked", "revoked_date", "revoked_by"):
        assert col in zones.columns
    assert zones["approval_date"].dtype.kind == "M"
    assert zones["city_code"].dtype == np.int64
    assert zones["county_level"].dtype == bool
    assert set(zones["region"]) == {"east", "central", "west", "northeast"}
    assert set(zones["sources_agree"]) == {"yes", "unchecked"}


def test_batch_sizes_literal():
    assert load_zones().groupby("batch").size().to_dict() == BATCH_SIZES


def test_batch_sizes_match_reference_file():
    ref = _bundled_batches(_reference("pilot_zones.csv"))
    assert load_zones().groupby("batch").size().to_dict() == ref.groupby("batch").size().to_dict()


def test_reference_file_lists_batch8_beyond_the_bundled_registry():
    ref = _reference("pilot_zones.csv")
    assert len(ref) == 181
    assert ref.groupby("batch").size().to_dict() == BATCH_SIZES
    assert set(ref.loc[ref["batch"] == 8, "document"]) == {"国函〔2025〕40号"}
    revoked = ref.loc[ref["revoked_date"].notna()]
    assert sorted(revoked["zone_zh"]) == sorted(["海口市", "三亚市", "阿拉山口市"])
    assert set(revoked["revoked_by"]) == {"国函〔2025〕40号"}


def test_registry_agrees_with_reference_file():
    ref = _bundled_batches(_reference("pilot_zones.csv"))
    zones = load_zones()
    assert len(zones) == len(ref)
    assert zones["zone_zh"].tolist() == ref["zone_zh"].tolist()
    assert zones["city_code"].tolist() == ref["prefecture_code"].tolist()
    assert (zones["approval_date"] == pd.to_datetime(ref["approval_date"])).all()
    assert zones["sources_agree"].tolist() == ref["sources_agree"].tolist()
    assert zones["date_kind"].tolist() == ref["date_kind"].tolist()
    revoked = pd.to_datetime(ref["revoked_date"])
    assert zones["revoked"].tolist() == revoked.notna().tolist()
    pd.testing.assert_series_equal(zones["revoked_date"], revoked, check_names=False,
                                   check_dtype=False)
    assert zones["revoked_by"].tolist() == ref["revoked_by"].fillna("").tolist()


def test_approval_dates_and_documents():
    zones = load_zones()
    per_batch = zones.groupby("batch").agg(
        date=("approval_date", "first"), n_dates=("approval_date", "nunique"),
        document=("document", "first"),
    )
    assert (per_batch["n_dates"] == 1).all()
    assert per_batch.loc[1, "date"] == pd.Timestamp("2015-03-07")
    assert per_batch.loc[4, "date"] == pd.Timestamp("2019-12-15")
    assert per_batch.loc[7, "date"] == pd.Timestamp("2022-11-14")
    assert per_batch.loc[3, "document"] == "国函〔2018〕93号"
    assert set(zones.loc[zones["batch"] == 6, "date_kind"]) == {"published"}
    # batch 8: the publication date of 国函〔2025〕40号 (signing date not found)
    assert per_batch.loc[8, "date"] == pd.Timestamp("2025-04-25")
    assert per_batch.loc[8, "document"] == "国函〔2025〕40号"
    assert set(zones.loc[zones["batch"] == 8, "date_kind"]) == {"published"}


def test_county_level_list():
    zones = load_zones()
    flagged = zones[zones["county_level"]]
    assert dict(zip(flagged["zone_zh"], flagged["city_code"], strict=True)) == COUNTY_LEVEL
    assert set(flagged["zone_type"]) == {"county-level city", "state-level new area"}
    assert not zones.loc[~zones["county_level"], "zone_type"].isin(
        ["county-level city", "state-level new area"]
    ).any()


def test_every_zone_prefecture_in_universe():
    zones, cities = load_zones(), load_cities()
    # the one province-wide zone (海南全岛) carries the provincial code
    island = zones["city_code"] == 460000
    assert zones.loc[island, "zone_zh"].tolist() == ["海南全岛"]
    zones = zones[~island]
    assert zones["city_code"].isin(cities["city_code"]).all()
    names = cities.set_index("city_code")["name_zh"]
    assert (zones["city_code"].map(names) == zones["prefecture_zh"]).all()


def test_load_zones_returns_fresh_copy():
    zones = load_zones()
    zones.loc[0, "batch"] = 99
    del zones["note"]
    again = load_zones()
    assert again.loc[0, "batch"] == 1
    assert "note" in again.columns


# --------------------------------------------------------------------------- zone_cohorts
def test_cohorts_form():
    cohorts = zone_cohorts()
    assert cohorts.name == "cohort"
    assert cohorts.index.name == "city_code"
    assert cohorts.dtype == np.int64 and cohorts.index.dtype == np.int64
    assert cohorts.index.is_monotonic_increasing and cohorts.index.is_unique
    # 165 zones, 2 prefectures counted twice (金华 via 义乌 and itself, 延边州 via 珲春 and 延吉)
    assert len(cohorts) == 163
    assert cohorts.attrs["timing"] == "approval_year"
    assert cohorts.attrs["county_level"] == "parent"


def test_hangzhou_is_2015():
    assert zone_cohorts()[330100] == 2015
    assert zone_cohorts(timing="half_year")[330100] == 2015
    assert zone_cohorts(timing="next_year")[330100] == 2016


def test_batch4_timing():
    # 石家庄, batch 4, approved 2019-12-15
    assert zone_cohorts(timing="approval_year")[130100] == 2019
    assert zone_cohorts(timing="next_year")[130100] == 2020
    assert zone_cohorts(timing="half_year")[130100] == 2020


def test_half_year_rule_each_batch():
    got = zone_cohorts(timing="half_year")
    # batch 3 (24 Jul 2018) -> 2019; batch 5 (27 Apr 2020) -> 2020; batch 7 (14 Nov) -> 2023
    assert got[110000] == 2019
    assert got[140200] == 2020
    assert got[131000] == 2023


def test_jinhua_through_yiwu():
    parent = zone_cohorts(county_level="parent")
    assert parent[330700] == 2018  # 义乌, batch 3, not 金华's own batch 6 (2022)
    early = zone_cohorts(county_level="drop", batches=[1, 2, 3, 4, 5])
    assert 330700 not in early.index
    assert 330700 in county_level_prefectures()
    # with every batch, 金华's own designation (batch 6) still counts under "drop"
    assert zone_cohorts(county_level="drop")[330700] == 2022


def test_baoding_through_xiongan():
    assert zone_cohorts()[130600] == 2020
    assert 130600 not in zone_cohorts(county_level="drop").index
    assert 130600 in county_level_prefectures()


def test_drop_removes_exactly_the_county_level_only_parents():
    parent, drop = zone_cohorts(), zone_cohorts(county_level="drop")
    removed = set(parent.index) - set(drop.index)
    assert removed == {130600, 150700, 222400, 230800, 231000, 652700}
    assert set(drop.index) <= set(parent.index)
    assert drop.attrs["county_level_prefectures"] == tuple(county_level_prefectures())


def test_county_level_prefectures():
    parents = county_level_prefectures()
    assert parents.name == "city_code"
    # default sample (batches 1-7): all but 二连浩特 (batch 8, in 锡林郭勒盟 152500)
    assert parents.tolist() == sorted(set(COUNTY_LEVEL.values()) - {152500})
    assert county_level_prefectures(batches="all").tolist() == sorted(set(COUNTY_LEVEL.values()))
    assert county_level_prefectures(batches=[1, 2]).tolist() == []
    assert county_level_prefectures(batches=[3]).tolist() == [330700]


def test_earliest_zone_counts():
    # 延边州: 珲春 (batch 4, 2019) and 延吉 (batch 7, 2022)
    assert zone_cohorts()[222400] == 2019
    assert zone_cohorts(batches=[7])[222400] == 2022
    assert zone_cohorts(batches=[4, 7], timing="next_year")[222400] == 2020


def test_batches_selection():
    got = zone_cohorts(batches=[1, 2])
    assert got.to_dict() == {
        code: year for code, year in zone_cohorts().items() if year <= 2016
    }
    assert len(got) == 13
    assert got.attrs["batches"] == (1, 2)
    assert len(zone_cohorts(batches=(b for b in [5]))) == 46
    assert len(zone_cohorts(batches=np.array([4]))) == 24


def test_extra_adds_batch8():
    extra = pd.DataFrame(
        {
            "city_code": [460100, 460400, 460300],
            "approval_date": ["2025-04-15", "2025-04-15", "2025-04-15"],
            "batch": [8, 8, 8],
            "zone_zh": ["海口市", "儋州市", "三沙市"],
        }
    )
    before = extra.copy(deep=True)
    got = zone_cohorts(extra=extra)
    pd.testing.assert_frame_equal(extra, before)
    assert got[460400] == 2025 and got[460300] == 2025
    assert got[460100] == 2018  # 海口 batch 3 stays the earliest
    assert len(got) == 165
    # batches=[8] selects the bundled batch 8 and the extra rows labelled 8: 三沙 (460300),
    # which the whole-island zone leaves out, is the one unit extra adds
    bundled8 = zone_cohorts(batches=[8])
    assert zone_cohorts(extra=extra, batches=[8]).to_dict() == {**bundled8.to_dict(),
                                                                460300: 2025}
    assert zone_cohorts(extra=extra, timing="half_year")[460400] == 2025


def test_extra_county_level():
    # a county-level zone in extra, flagged by its own code
    extra = pd.DataFrame(
        {"city_code": [460400], "approval_date": [pd.Timestamp("2025-04-15")],
         "batch": [8], "zone_code": [469001]}
    )
    assert 460400 in county_level_prefectures(extra=extra)
    assert 460400 not in zone_cohorts(extra=extra, county_level="drop").index
    flagged = extra.drop(columns="zone_code").assign(county_level=[True])
    assert 460400 not in zone_cohorts(extra=flagged, county_level="drop").index


def test_extra_empty_is_fine():
    empty = pd.DataFrame({"city_code": [], "approval_date": [], "batch": []})
    assert zone_cohorts(extra=empty).equals(zone_cohorts())


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"timing": "approval"}, "timing must be one of 'approval_year', 'next_year', "
         "'half_year'; got 'approval'"),
        ({"county_level": "exclude"}, "county_level must be one of 'parent', 'drop'; "
         "got 'exclude'"),
        ({"batches": [9]}, r"batches \[9\] not found\. Available batches: "
         r"\[1, 2, 3, 4, 5, 6, 7, 8\]"),
        ({"batches": []}, "batches is empty"),
        ({"batches": "12"}, "batches must be an iterable of batch numbers"),
        ({"batches": 3}, "batches must be an iterable of batch numbers"),
        ({"batches": [1.5]}, r"batches must hold integers; got 1 other value\(s\): \[1\.5\]"),
        ({"extra": [1, 2]}, "extra must be a pandas DataFrame .*got list"),
    ],
)
def test_bad_options(kwargs, pattern):
    with pytest.raises(SpecificationError, match=pattern):
        zone_cohorts(**kwargs)


def _extra(**columns) -> pd.DataFrame:
    base = {"city_code": [460400], "approval_date": ["2025-04-15"], "batch": [8]}
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("extra", "pattern"),
    [
        (_extra().drop(columns="batch"), "extra column 'batch' not found"),
        (_extra().rename(columns={"approval_date": "approvaldate"}),
         "extra column 'approval_date' not found in the data. Did you mean 'approvaldate'"),
        (_extra(city_code=["海南"]), r"extra\['city_code'\] must hold integer codes; "
         r"1 of 1 rows do not: \['海南'\]"),
        (_extra(city_code=[371200]), r"1 code\(s\) not in the prefecture universe: "
         r"\[371200\].*莱芜"),
        (_extra(approval_date=["April 2025?"]), r"extra\['approval_date'\] must hold dates; "
         "1 of 1 rows cannot be read"),
        (_extra(batch=["eighth"]), r"extra\['batch'\] must hold integers"),
        (_extra(county_level=["yes"]), r"extra\['county_level'\] must hold True/False"),
    ],
)
def test_bad_extra(extra, pattern):
    with pytest.raises(SpecificationError, match=pattern):
        zone_cohorts(extra=extra)


def test_extra_old_column_name_gets_hint():
    old = _extra().rename(columns={"city_code": "prefecture_code"})
    with pytest.raises(SpecificationError, match=r"extra column 'city_code' not found in the "
                       r"data\. 'prefecture_code' is its old name: did you mean 'city_code'\? "
                       r"Rename the column, e\.g\. df\.rename\(columns=\{'prefecture_code': "
                       r"'city_code'\}\)"):
        zone_cohorts(extra=old)


def test_unit_code_named_city_code_everywhere():
    assert "city_code" in load_zones().columns and "prefecture_code" not in load_zones().columns
    assert load_cities().columns[0] == "city_code" and "code" not in load_cities().columns
    assert zone_cohorts().index.name == "city_code"
    assert zone_cohorts().reset_index().columns.tolist() == ["city_code", "cohort"]
    assert county_level_prefectures().name == "city_code"


def test_batches_may_name_extra_batch_only_when_given():
    with pytest.raises(SpecificationError, match=r"batches \[9\] not found"):
        zone_cohorts(batches=[9])
    assert len(zone_cohorts(batches=[9], extra=_extra(batch=[9]))) == 1


# --------------------------------------------------------------------------- load_cities
def test_cities_flags():
    cities = load_cities()
    assert len(cities) == 337
    assert cities["city_code"].is_unique and cities["city_code"].is_monotonic_increasing
    assert cities["municipality"].sum() == 4
    assert cities["provincial_capital"].sum() == 27
    assert cities["sub_provincial"].sum() == 15
    assert not (cities["municipality"] & cities["provincial_capital"]).any()
    # every sub-provincial city except Dalian, Qingdao, Ningbo, Xiamen, Shenzhen is a capital
    sub_not_capital = cities.loc[cities["sub_provincial"] & ~cities["provincial_capital"], "name_zh"]
    assert set(sub_not_capital) == {"大连市", "青岛市", "宁波市", "厦门市", "深圳市"}
    # one capital per non-municipal province
    capitals = cities[cities["provincial_capital"]]
    assert capitals["province_code"].is_unique
    assert set(cities.loc[cities["municipality"], "name_en"]) == {
        "Beijing", "Tianjin", "Shanghai", "Chongqing",
    }


def test_cities_coastal_definition():
    cities = load_cities()
    coastal = set(cities.loc[cities["coastal"], "province_en"])
    assert coastal == {
        "Liaoning", "Hebei", "Tianjin", "Shandong", "Jiangsu", "Shanghai", "Zhejiang",
        "Fujian", "Guangdong", "Guangxi", "Hainan",
    }
    assert cities.groupby("province_code")["coastal"].nunique().eq(1).all()


def test_cities_columns_and_names():
    cities = load_cities()
    assert list(cities.columns) == [
        "city_code", "name_zh", "name_en", "unit_type", "province_code", "province_zh",
        "province_en", "region", "municipality", "provincial_capital", "sub_provincial",
        "coastal",
    ]
    assert cities["name_en"].is_unique
    assert cities[["name_en", "province_en", "region"]].ne("").all().all()
    assert cities.groupby("province_code")["province_en"].nunique().eq(1).all()
    assert cities["province_en"].nunique() == 31
    zones = load_zones().drop_duplicates("city_code")
    zones = zones[zones["city_code"] != 460000]  # 海南全岛: a province, not a unit
    names = cities.set_index("city_code")["name_en"]
    assert (zones["city_code"].map(names) == zones["prefecture_en"]).all()
    assert cities.loc[cities["city_code"] == 150100, "name_en"].item() == "Hohhot"


def test_cities_agree_with_reference_file():
    ref = _reference("prefecture_universe.csv")
    cities = load_cities()
    assert cities["city_code"].tolist() == ref["code"].tolist()
    for ours, theirs in [("name_zh", "name_zh"), ("unit_type", "unit_type"),
                         ("province_code", "province_code"), ("region", "region_nbs")]:
        assert cities[ours].tolist() == ref[theirs].tolist()


def test_load_cities_returns_fresh_copy():
    cities = load_cities()
    cities["coastal"] = False
    assert load_cities()["coastal"].sum() > 0
