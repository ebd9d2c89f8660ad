"""Tests of the CSMAR CRE reader (did_zones.cre) on synthetic files and on the licensed extracts.

The real-data tests read CRE_Gdpct.csv and CRE_Eplwagct.csv through ``csmar_files()``
(tests/conftest.py): from ``../shared/data`` beside the repository or ``$DID_ZONES_CSMAR_DIR``.
They are licensed and never enter the repository.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import csmar_files

from did_zones.cre import CREData, read_cre
from did_zones.errors import DataDroppedWarning, PanelError, SpecificationError
from did_zones.outcomes import structure_outcomes
from did_zones.registry import load_cities, load_zones, zone_cohorts
from did_zones.zone_timing import zone_panel

EXACT = {"rel": 1e-12, "abs": 1e-12}

GDP_HEADER = ["Sgnyea", "Ctnm_en", "Ctnm_id", "Cttyp_en", "Prvcnm_id", "Prvcnm_en", "Gdpct01",
              "Gdpct02", "Gdpct03", "Gdpct04", "GDP_PerCapita", "GDPYoY", "GDP_PrimInd",
              "GDP_SecInd", "GDP_TerInd"]
EMP_HEADER = ["Sgnyea", "Ctnm_en", "Ctnm_id", "Cttyp_en", "Prvcnm_id", "Prvcnm_en", "Eect01",
              "Eect02", "Eect03", "Eect04", "Eect05", "Eect06", "Eect08", "Eect09", "Eect10",
              "Eect11", "Eect12", "Eect13"]
SD = ("370000", "Shandong (province)")
ZJ = ("330000", "Zhejiang (province)")
XJ = ("650000", "Xinjiang Uygur Autonomous Region")
CT = "City (Sub-provincial level)"

GDP_ROWS = [
    # year, name, code, type, prov, prov_en, gdp, s1 %, s2 %, s3 %, per capita, yoy %, va (10k)
    ["2018", "Jinan(city)", "370100", CT, *SD, "100", "10", "40", "50", "50000", "7",
     "100000", "400000", "500000"],
    ["2018", "Laiwu(city)", "371200", CT, *SD, "50", "20", "50", "30", "25000", "6",
     "100000", "250000", "150000"],
    ["2017", "Laiwu(city)", "371200", CT, *SD, "45", "20", "50", "30", "24000", "", "", "",
     ""],
    ["2019", "Jinan(city)", "370100", CT, *SD, "160", "8", "38", "54", "60000", "5",
     "128000", "608000", "864000"],
    ["2018", "Hangzhou(city) ", "330100", CT, *ZJ, "13500.5", "2.3", "33.9", "63.8", "140000",
     "6.7", "", "", ""],
    ["2018", "Shashi District", "421002", CT, "420000", "Hubei", "10", "", "", "", "", "", "",
     "", ""],
    ["2018", "County Under the Direct Control of the Province", "429000", CT, "420000",
     "Hubei", "20", "", "", "", "", "", "", "", ""],
    ["2018", "Zhejiang", "330000", CT, *ZJ, "56197", "", "", "", "", "", "", "", ""],
    ["2018", "Turpan Prefecture", "652100", CT, *XJ, "300", "15", "45", "40", "--", "", "", "",
     ""],
]
EMP_ROWS = [
    # year, name, code, type, prov, prov_en, pop, nonrural, growth ‰, density, emp, indiv,
    # emp s1..s3 %, employees, wage bill (10k CNY), wage
    ["2018", "Jinan(city)", "370100", CT, *SD, "600", "400", "5", "750", "100", "90", "1",
     "40", "59", "80", "8000000", "100000"],
    ["2018", "Laiwu(city)", "371200", CT, *SD, "120", "50", "4", "600", "20", "", "2", "60",
     "38", "15", "900000", "60000"],
    ["2019", "Jinan(city)", "370100", CT, *SD, "725", "460", "4.5", "", "121", "95", "1",
     "42", "57", "96", "9800000", "102000"],
    ["2018", "Hangzhou(city)", "330100", CT, *ZJ, "774.1", "", "6", "", "250", "300", "0.04",
     "45", "54.96", "240", "25000000", "105000"],
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    return (_write(tmp_path / "CRE_Gdpct.csv", GDP_HEADER, GDP_ROWS),
            _write(tmp_path / "CRE_Eplwagct.csv", EMP_HEADER, EMP_ROWS))


def _read(*args, **kwargs) -> CREData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        return read_cre(*args, **kwargs)


def _row(cre: CREData, code: int, year: int) -> pd.Series:
    d = cre.data
    sel = d[(d["city_code"] == code) & (d["year"] == year)]
    assert len(sel) == 1
    return sel.iloc[0]


# --------------------------------------------------------------------------- synthetic files
def test_synthetic_columns_units_and_names(files):
    cre = _read(*files)
    assert isinstance(cre, CREData)
    assert list(cre.data.columns) == [
        "city_code", "year", "city_en", "province_code", "province_en", "gdp", "s1", "s2",
        "s3", "gdp_per_capita", "gdp_growth", "va1", "va2", "va3", "pop", "pop_nonrural",
        "pop_growth", "pop_density", "emp", "emp_individual", "emp_s1", "emp_s2", "emp_s3",
        "employees", "wage_bill", "wage",
    ]
    assert cre.data["city_code"].dtype == np.int64 and cre.data["year"].dtype == np.int64
    assert cre.data.index.equals(pd.RangeIndex(len(cre.data)))
    hz = _row(cre, 330100, 2018)
    assert hz["city_en"] == "Hangzhou(city)"  # trailing space stripped
    assert hz["province_code"] == 330000 and hz["province_en"] == "Zhejiang (province)"
    assert hz["gdp"] == 13500.5
    assert hz["s3"] == pytest.approx(0.638, **EXACT)
    assert hz["gdp_growth"] == pytest.approx(0.067, **EXACT)
    assert np.isnan(hz["va1"]) and np.isnan(hz["pop_nonrural"])
    assert hz["pop"] == 774.1 and hz["pop_growth"] == pytest.approx(0.006, **EXACT)
    assert hz["emp_s1"] == pytest.approx(0.0004, **EXACT)
    assert hz["wage_bill"] == 2500.0  # 10,000 CNY -> 100 million CNY
    assert hz["wage"] == 105000.0
    jn = _row(cre, 370100, 2019)
    assert jn["va2"] == 60.8  # 608000 (10,000 CNY) = 60.8 (100 million CNY)
    assert jn["gdp_growth"] == pytest.approx(0.05, **EXACT)  # 2019: not folded
    # sorted by code then year
    keys = list(zip(cre.data["city_code"], cre.data["year"], strict=True))
    assert keys == sorted(keys)


def test_synthetic_drops_counted_and_warned(files):
    with pytest.warns(DataDroppedWarning) as record:
        cre = read_cre(*files)
    msg = str(record[0].message)
    assert msg.startswith("read_cre dropped 4 city-year row(s): 1 row(s) of 1 code(s), "
                          "district or county code (not ending in 00), e.g. "
                          "['421002 Shashi District']; ")
    assert "1 row(s) of 1 code(s), group of province-administered county-level units (xx90xx)"\
        ", e.g. ['429000 County Under the Direct Control of the Province']" in msg
    assert "province total (xx0000, not a municipality), e.g. ['330000 Zhejiang']" in msg
    assert "莱芜 371200 in a year without a 济南 row" in msg
    assert cre.dropped["reason"].tolist() == [
        "district or county code (not ending in 00)",
        "group of province-administered county-level units (xx90xx)",
        "province total (xx0000, not a municipality)",
        "莱芜 371200 in a year without a 济南 row (merge_laiwu='fold')",
    ]
    assert cre.dropped["n_rows"].tolist() == [1, 1, 1, 1]
    codes = set(cre.data["city_code"])
    assert codes == {330100, 370100, 650400}
    assert "Dropped 1 row(s) of 1 code(s): district or county code (not ending in 00) (e.g. "\
        "['421002 Shashi District'])." in cre.notes


def test_synthetic_laiwu_fold_by_hand(files):
    cre = _read(*files)
    jn = _row(cre, 370100, 2018)
    assert jn["gdp"] == pytest.approx(150.0, **EXACT)
    assert jn["s1"] == pytest.approx((0.10 * 100 + 0.20 * 50) / 150, **EXACT)
    assert jn["s2"] == pytest.approx((0.40 * 100 + 0.50 * 50) / 150, **EXACT)
    assert jn["s3"] == pytest.approx((0.50 * 100 + 0.30 * 50) / 150, **EXACT)
    assert jn["va1"] == pytest.approx(20.0, **EXACT)
    assert jn["va3"] == pytest.approx(65.0, **EXACT)
    # total GDP over implied populations 100e8/50000 + 50e8/25000
    assert jn["gdp_per_capita"] == pytest.approx(150 / (100 / 50000 + 50 / 25000), **EXACT)
    assert np.isnan(jn["gdp_growth"]) and np.isnan(jn["pop_growth"])
    assert jn["pop"] == pytest.approx(720.0, **EXACT)
    assert jn["pop_nonrural"] == pytest.approx(450.0, **EXACT)
    assert jn["pop_density"] == pytest.approx(720 / (600 / 750 + 120 / 600), **EXACT)
    assert jn["emp"] == pytest.approx(120.0, **EXACT)
    assert np.isnan(jn["emp_individual"])  # 莱芜 lacks it
    assert jn["emp_s2"] == pytest.approx((0.40 * 100 + 0.60 * 20) / 120, **EXACT)
    assert jn["employees"] == pytest.approx(95.0, **EXACT)
    assert jn["wage_bill"] == pytest.approx(890.0, **EXACT)
    assert jn["wage"] == pytest.approx((100000 * 80 + 60000 * 15) / 95, **EXACT)
    assert 371200 not in set(cre.data["city_code"])
    note = next(n for n in cre.notes if n.startswith("莱芜 (371200) folded"))
    assert note == (
        "莱芜 (371200) folded into 济南 (370100) in 1 year(s) (2018-2018): gdp, va1, va2, va3, "
        "pop, pop_nonrural, emp, emp_individual, employees, wage_bill summed; s1, s2, s3, "
        "gdp_per_capita, emp_s1, emp_s2, emp_s3, pop_density, wage recomputed from the parts; "
        "gdp_growth, pop_growth set to NaN. 1 value(s) that 济南 had became NaN because a part "
        "was missing. 1 莱芜 row(s) in years without a 济南 row were dropped ([2017])."
    )


def test_synthetic_laiwu_drop_and_keep(files):
    with pytest.warns(DataDroppedWarning, match=r"2 row\(s\) of 1 code\(s\), 莱芜 371200 "
                      r"\(merge_laiwu='drop'\), e\.g\. \['371200 Laiwu\(city\)'\]"):
        dropped = read_cre(*files, merge_laiwu="drop")
    assert 371200 not in set(dropped.data["city_code"])
    assert _row(dropped, 370100, 2018)["gdp"] == 100.0
    assert "莱芜 (371200) dropped (2 rows, 2017-2018); 济南 (370100) covers 莱芜 from 2019 "\
        "only, so its territory changes in 2019." in dropped.notes
    kept = _read(*files, merge_laiwu="keep")
    assert _row(kept, 371200, 2018)["gdp"] == 50.0
    assert _row(kept, 370100, 2018)["gdp"] == 100.0
    assert any(n.startswith("莱芜 (371200) kept as a unit of its own: 2 rows, 2017-2018.")
               for n in kept.notes)
    assert "371200 Laiwu(city) (2017-2018)" in next(
        n for n in kept.notes if "not in the current universe" in n
    )


def test_synthetic_legacy_codes(files):
    cre = _read(*files)
    assert _row(cre, 650400, 2018)["gdp"] == 300.0
    assert np.isnan(_row(cre, 650400, 2018)["gdp_per_capita"])  # '--' unreadable
    assert "Legacy codes recoded to current prefecture codes: 652100 -> 650400 (1 rows)." \
        in cre.notes
    assert "CRE_Gdpct: 1 value(s) of GDP_PerCapita (gdp_per_capita) could not be read as "\
        "numbers and are missing, e.g. ['--']." in cre.notes
    raw = _read(*files, recode_legacy=False)
    assert 652100 in set(raw.data["city_code"]) and 650400 not in set(raw.data["city_code"])


def test_synthetic_legacy_code_clash(tmp_path):
    rows = GDP_ROWS[:1] + [
        ["2018", "Turpan", "650400", CT, *XJ, "310", "", "", "", "", "", "", "", ""],
        ["2018", "Turpan Prefecture", "652100", CT, *XJ, "300", "", "", "", "", "", "", "",
         ""],
    ]
    path = _write(tmp_path / "g.csv", GDP_HEADER, rows)
    with pytest.warns(DataDroppedWarning, match=r"1 row\(s\) of 1 code\(s\), legacy code "
                      r"duplicating a current-code row, e\.g\. \[652100\]"):
        cre = read_cre(path)
    assert _row(cre, 650400, 2018)["gdp"] == 310.0


def test_synthetic_single_files_and_years(files):
    gdp_only = _read(files[0], years=(2019, 2019))
    assert list(gdp_only.data.columns[:6]) == ["city_code", "year", "city_en", "province_code",
                                               "province_en", "gdp"]
    assert "pop" not in gdp_only.data.columns
    assert gdp_only.data["year"].unique().tolist() == [2019]
    emp_only = _read(employment_path=files[1])
    assert "gdp" not in emp_only.data.columns
    assert _row(emp_only, 370100, 2018)["pop"] == pytest.approx(720.0, **EXACT)
    assert repr(gdp_only) == "CREData(1 city-years, 1 cities, 2019-2019; 0 notes)"


def test_synthetic_prefecture_only_false(files):
    cre = _read(*files, prefecture_only=False)
    assert {421002, 429000, 330000} <= set(cre.data["city_code"])
    assert not any("district" in r for r in cre.dropped["reason"])


def test_errors(files, tmp_path):
    with pytest.raises(SpecificationError, match=r"Give gdp_path \(the CSMAR CRE_Gdpct\.csv "
                       r"export\) and/or employment_path"):
        read_cre()
    with pytest.raises(SpecificationError, match=r"merge_laiwu must be one of 'fold', 'drop', "
                       r"'keep'; got 'merge'\."):
        read_cre(*files, merge_laiwu="merge")
    for years in [(2019, 2010), (2010,), "2010", (2010.0, 2019), 2010]:
        with pytest.raises(SpecificationError, match=r"years must be a pair \(first, last\) of "
                           r"integer years, inclusive, e\.g\. \(2010, 2019\)"):
            read_cre(*files, years=years)
    with pytest.raises(SpecificationError, match=r"gdp_path: '.*CRE_Eplwagct\.csv' is not a "
                       r"CSMAR CRE_Gdpct export: missing column\(s\) \[\"any of \['Gdpct01'"):
        read_cre(files[1])
    other = _write(tmp_path / "x.csv", ["year", "city"], [["2018", "1"]])
    with pytest.raises(SpecificationError, match=r"employment_path: '.*x\.csv' is not a CSMAR "
                       r"CRE_Eplwagct export: missing column\(s\) \['Sgnyea', 'Ctnm_id'"):
        read_cre(employment_path=other)
    dup = _write(tmp_path / "dup.csv", GDP_HEADER, GDP_ROWS + GDP_ROWS[:1])
    with pytest.raises(PanelError, match=r"gdp_path: 2 rows share a \(Ctnm_id, Sgnyea\) pair "
                       r"with another row, e\.g\. \[\(370100, 2018\)\]"):
        read_cre(dup)
    bad = [r.copy() for r in GDP_ROWS[:2]]
    bad[1][2] = "37120X"
    badpath = _write(tmp_path / "bad.csv", GDP_HEADER, bad)
    with pytest.raises(PanelError, match=r"gdp_path: column 'Ctnm_id' must hold integer codes; "
                       r"1 row\(s\) do not, e\.g\. \['37120X'\] \(line\(s\) \[3\] of "
                       r"'.*bad\.csv'\)\. Each row of a CRE export is one city-year"):
        read_cre(badpath)


def test_unknown_columns_noted(tmp_path):
    header = GDP_HEADER + ["Extra01"]
    rows = [r + ["1"] for r in GDP_ROWS[:1]]
    cre = _read(_write(tmp_path / "g.csv", header, rows))
    assert "CRE_Gdpct: column(s) ['Extra01'] are not known and were ignored." in cre.notes


# --------------------------------------------------------------------------- shared data
@pytest.fixture(scope="module")
def shared() -> CREData:
    gdp, emp = csmar_files()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        return read_cre(gdp, emp)


@pytest.fixture(scope="module")
def raw() -> dict[str, pd.DataFrame]:
    gdp, emp = csmar_files()
    return {"gdp": pd.read_csv(gdp, encoding="utf-8-sig"),
            "emp": pd.read_csv(emp, encoding="utf-8-sig")}


def test_shared_spot_checks(shared):
    assert _row(shared, 330100, 2019)["gdp"] == 15373.05
    assert _row(shared, 110000, 2019)["gdp"] == 35371.28
    assert _row(shared, 330100, 2019)["pop"] == pytest.approx(795.374, **EXACT)
    # value added sums to GDP (Hangzhou 2019: 3257000 + 48750700 + 101722800 (10,000 CNY))
    hz = _row(shared, 330100, 2019)
    assert hz["va1"] + hz["va2"] + hz["va3"] == pytest.approx(15373.05, **EXACT)


def test_shared_district_codes_dropped_and_counted(shared, raw):
    codes = pd.concat([raw["gdp"], raw["emp"]])[["Ctnm_id", "Sgnyea"]].drop_duplicates()
    district = codes[(codes["Ctnm_id"] % 100 != 0) & (codes["Ctnm_id"] != 469003)]
    row = shared.dropped.set_index("reason").loc["district or county code (not ending in 00)"]
    assert row["n_rows"] == len(district)
    assert row["n_units"] == district["Ctnm_id"].nunique()
    assert "421002 Shashi District" in row["examples"]
    assert not (shared.data["city_code"] % 100 != 0).any()
    assert 429000 not in set(shared.data["city_code"])
    # 儋州's county-level code is recoded, not dropped
    assert set(shared.data.loc[shared.data["city_code"] == 460400, "year"]) == set(
        raw["gdp"].loc[raw["gdp"]["Ctnm_id"] == 469003, "Sgnyea"]
    )


def test_shared_laiwu_fold_by_hand_2018(shared):
    # CRE_Gdpct 2018: 济南 7856.56 (shares 3.4674 / 36.0121 / 60.5205, per capita 106302,
    # VA 2724200 / 28293100 / 47548300); 莱芜 1005.65 (5.9971 / 56.29 / 37.7129, 73005,
    # 603100 / 5660800 / 3792600). CRE_Eplwagct 2018: 济南 pop 655.9, emp 130.1723, emp shares
    # 0.03 / 42.25 / 57.72, employees 118, wage bill 10852432, wage 91651; 莱芜 129.4, 16.6107,
    # (missing) / 62.39 / 37.61, 14, 956915, 68637.
    jn = _row(shared, 370100, 2018)
    assert jn["gdp"] == pytest.approx(7856.56 + 1005.65, **EXACT)
    assert jn["s3"] == pytest.approx(
        (0.605205 * 7856.56 + 0.377129 * 1005.65) / (7856.56 + 1005.65), **EXACT
    )
    assert jn["va2"] == pytest.approx((28293100 + 5660800) / 1e4, **EXACT)
    assert jn["gdp_per_capita"] == pytest.approx(
        (7856.56 + 1005.65) / (7856.56 / 106302 + 1005.65 / 73005), **EXACT
    )
    assert jn["pop"] == pytest.approx(655.9 + 129.4, **EXACT)
    assert jn["emp_s2"] == pytest.approx(
        (0.4225 * 130.1723 + 0.6239 * 16.6107) / (130.1723 + 16.6107), **EXACT
    )
    assert np.isnan(jn["emp_s1"])  # 莱芜's primary employment share is missing
    assert jn["wage_bill"] == pytest.approx((10852432 + 956915) / 1e4, **EXACT)
    assert jn["wage"] == pytest.approx((91651 * 118 + 68637 * 14) / (118 + 14), **EXACT)
    assert np.isnan(jn["gdp_growth"])
    assert 371200 not in set(shared.data["city_code"])
    # 2019 is untouched: 济南 already includes 莱芜
    assert _row(shared, 370100, 2019)["gdp"] == 9443.37


def test_shared_all_zone_prefectures_present_in_2019(shared):
    zones = load_zones()
    codes = set(zones.loc[zones["batch"] <= 7, "city_code"])
    assert len(codes) == 163  # batches 1-7 (the default sample)
    in_2019 = set(shared.data.loc[shared.data["year"] == 2019, "city_code"])
    assert codes <= in_2019
    # batch 8: every place is a prefecture of the data, except the whole-island zone
    # (460000), which zone_cohorts expands to 海口, 三亚 and 儋州
    batch8 = set(zones.loc[zones["batch"] == 8, "city_code"])
    assert batch8 - in_2019 == {460000}
    assert {460100, 460200, 460400} <= in_2019
    # after recoding, every current prefecture-level unit has a 2019 row, and all but 三沙
    # (no GDP published) a 2019 GDP value
    universe = set(load_cities()["city_code"])
    assert universe <= in_2019
    d19 = shared.data[shared.data["year"] == 2019]
    assert universe - set(d19.loc[d19["gdp"].notna(), "city_code"]) == {460300}


def test_shared_real_zone_panel(shared):
    d = shared.data[shared.data["year"].between(2010, 2019)]
    out = structure_outcomes(d, primary="s1", secondary="s2", tertiary="s3",
                             emp_primary="emp_s1", emp_secondary="emp_s2",
                             emp_tertiary="emp_s3", scale="fraction", prefix="y_")
    panel = zone_panel(out, "city_code", "year")
    assert panel.n_periods == 10 and panel.n_obs == len(d)
    assert panel.n_units == d["city_code"].nunique()
    table = panel.describe().set_index("cohort")
    # batches 1-4 designate 1, 12, 22 and 24 distinct prefectures (approval years 2015, 2016,
    # 2018, 2019); later batches are after the sample and count as never-treated
    assert table["n_units"].to_dict() == {
        2015: 1, 2016: 12, 2018: 22, 2019: 24, "never": panel.n_units - 59
    }
    expected = zone_cohorts()
    expected = expected[expected <= 2019]
    assert (panel.unit_cohort[np.isfinite(panel.cohort)] == expected.astype(float)).all()
    # outcomes in their ranges
    isu = out["y_isu"].dropna()
    assert len(isu) > 2500
    assert isu.between(1, 3).all()
    assert out["y_s3"].dropna().between(0, 1).all()
    assert (out["y_ts"].dropna() > 0).all()
    assert (out["y_tl3"].dropna() >= 0).all() and (out["y_tl2"].dropna() >= 0).all()
    # plausibility against calibration.md (same source, 2010-2019): ISU mean 2.284, TL3
    # median 0.235; a sample definition that differs a little moves them by < 0.02
    assert abs(isu.mean() - 2.284) < 0.02
    assert abs(out["y_tl3"].median() - 0.235) < 0.02
    # the 2-sector Theil index is far smaller: urban-unit primary employment is tiny
    assert out["y_tl2"].median() < out["y_tl3"].median()


def test_subset_exports_are_read(tmp_path):
    # CSMAR lets users choose fields: keys plus any subset of the value columns
    gdp = _write(tmp_path / "g.csv", ["Sgnyea", "Ctnm_id", "Gdpct01"],
                 [["2019", "330100", "15373.05"], ["2019", "421002", "2"]])
    emp = _write(tmp_path / "e.csv", ["Sgnyea", "Ctnm_id", "Ctnm_en", "Eect01"],
                 [["2019", "330100", "Hangzhou(city)", "795.374"], ["2018", "330100", "H", "1"]])
    with pytest.warns(DataDroppedWarning, match=r"e\.g\. \['421002'\]"):
        cre = read_cre(gdp, emp)
    assert list(cre.data.columns) == ["city_code", "year", "city_en", "gdp", "pop"]
    assert cre.data["gdp"].tolist()[1] == 15373.05 and np.isnan(cre.data["gdp"].iloc[0])
    assert cre.data["city_en"].tolist() == ["H", "Hangzhou(city)"]
