"""Tests of the mechanism-variable builders (did_zones.outcomes): trade intensity, per-capita
amounts, patents per 10,000 people, R&D share, development-and-enjoyment consumption share.

Every number is computed here by hand from the inputs (units written out), to 1e-12; the
CSMAR checks read real rows of the licensed extracts (skipped without them)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import csmar_files

import did_zones as dz
from did_zones.errors import DataDroppedWarning, SpecificationError
from did_zones.outcomes import (
    development_share,
    patents_per_10k,
    per_capita,
    rd_share,
    trade_intensity,
)

EXACT = {"rel": 1e-12, "abs": 1e-15}


@pytest.fixture
def city() -> pd.DataFrame:
    """Three city-years: imports/exports in 万美元, GDP in 亿元, population in 万人."""
    return pd.DataFrame({
        "year": [2018, 2019, 2019],
        "imports": [120_000.0, 80_000.0, 0.0],
        "exports": [300_000.0, 150_000.0, 25_000.0],
        "gdp": [13_500.0, 8_000.0, 2_500.0],
        "pop": [780.0, 540.0, 300.0],
        "retail": [58_000_000.0, 30_000_000.0, 9_000_000.0],  # 万元
        "patents": [40_000.0, 12_000.0, 0.0],
        "rd": [4_000_000.0, 1_800_000.0, 300_000.0],  # 万元
    }, index=["a", "b", "c"])


# ------------------------------------------------------------------ trade intensity
def test_trade_intensity_hand_values_scalar_rate(city):
    rate = 6.9
    out = trade_intensity(city["imports"], city["gdp"], exchange_rate=rate, log=None,
                          name="imp_gdp")
    assert isinstance(out, pd.Series) and out.name == "imp_gdp" and out.index.equals(city.index)
    # 120,000 x 10^4 USD x 6.9 CNY/USD over 13,500 x 10^8 CNY
    expected = [120_000e4 * 6.9 / 13_500e8, 80_000e4 * 6.9 / 8_000e8, 0.0]
    np.testing.assert_allclose(out.to_numpy(), expected, rtol=1e-12)
    logged = trade_intensity(city["exports"], city["gdp"], exchange_rate=rate)
    np.testing.assert_allclose(
        logged.to_numpy(),
        [math.log(v * 1e4 * 6.9 / (g * 1e8))
         for v, g in zip(city["exports"], city["gdp"], strict=True)],
        rtol=1e-12)
    total = trade_intensity(city["imports"] + city["exports"], city["gdp"], exchange_rate=rate,
                            log="log1p")
    np.testing.assert_allclose(
        total.to_numpy(),
        [math.log(1 + (i + e) * 1e4 * 6.9 / (g * 1e8))
         for i, e, g in zip(city["imports"], city["exports"], city["gdp"], strict=True)],
        rtol=1e-12)


def test_trade_intensity_yearly_rates_mapping_and_series(city):
    rates = {2018: 6.6174, 2019: 6.8985}
    by_map = trade_intensity(city["exports"], city["gdp"], exchange_rate=rates,
                             year=city["year"], log=None)
    expected = [300_000e4 * 6.6174 / 13_500e8, 150_000e4 * 6.8985 / 8_000e8,
                25_000e4 * 6.8985 / 2_500e8]
    np.testing.assert_allclose(by_map.to_numpy(), expected, rtol=1e-12)
    by_row = trade_intensity(city["exports"], city["gdp"],
                             exchange_rate=city["year"].map(rates), log=None)
    np.testing.assert_allclose(by_row.to_numpy(), expected, rtol=1e-12)


def test_trade_intensity_units_cny_and_gdp_units():
    # trade already in 万元, GDP in 万元: no exchange rate
    assert trade_intensity(5_000.0, 100_000.0, trade_unit="cny_10k", gdp_unit="cny_10k",
                           log=None) == pytest.approx(0.05, **EXACT)
    # trade in USD (units), GDP in CNY (units)
    assert trade_intensity(1e6, 7e7, trade_unit="usd", gdp_unit="cny", exchange_rate=7.0,
                           log=None) == pytest.approx(0.1, **EXACT)
    assert trade_intensity(2.0, 100.0, trade_unit="usd_100m", exchange_rate=7.0,
                           log=None) == pytest.approx(0.14, **EXACT)


def test_trade_intensity_zero_trade_in_log_is_nan_and_counted(city):
    with pytest.warns(DataDroppedWarning, match=r"trade_intensity: 1 of 3 row\(s\) have a zero "
                      r"value \(its log is -inf; use log='log1p' or log=None\); imp_gdp is set "
                      r"to NaN there \(rows \['c'\]\)"):
        out = trade_intensity(city["imports"], city["gdp"], exchange_rate=7.0, name="imp_gdp")
    assert np.isnan(out["c"]) and np.isfinite(out[["a", "b"]]).all()


def test_trade_intensity_refuses_to_guess_the_rate(city):
    with pytest.raises(SpecificationError, match=r"trade is in USD and GDP in CNY, so an "
                       r"exchange rate is needed\. Pass exchange_rate= in CNY per USD"):
        trade_intensity(city["imports"], city["gdp"])
    with pytest.raises(SpecificationError, match=r"already in CNY; drop exchange_rate"):
        trade_intensity(1.0, 1.0, trade_unit="cny_10k", exchange_rate=7.0)
    with pytest.raises(SpecificationError, match=r"mapping; pass year="):
        trade_intensity(city["imports"], city["gdp"], exchange_rate={2019: 6.9})
    with pytest.raises(SpecificationError, match=r"no rate for year\(s\) \[2018\]"):
        trade_intensity(city["imports"], city["gdp"], exchange_rate={2019: 6.9},
                        year=city["year"])
    with pytest.raises(SpecificationError, match=r"exchange_rate has 2 values but the inputs "
                       r"have 3 rows"):
        trade_intensity(city["imports"], city["gdp"], exchange_rate=[6.9, 7.0])
    with pytest.raises(SpecificationError, match=r"exchange_rate must be finite and > 0 .* 1 "
                       r"row\(s\) are not"):
        trade_intensity(city["imports"], city["gdp"], exchange_rate=[6.9, 0.0, 7.0])
    with pytest.raises(SpecificationError, match=r"year= is only used with a"):
        trade_intensity(city["imports"], city["gdp"], exchange_rate=6.9, year=city["year"])


def test_trade_intensity_bad_values_name_column_and_rows(city):
    bad = city.assign(gdp=[13_500.0, 0.0, -1.0])
    with pytest.raises(SpecificationError, match=r"trade_intensity: 'gdp' has 2 zero, negative "
                       r"or infinite value\(s\) \(e\.g\. \[0\.0, -1\.0\] at rows \['b', 'c'\]\)\. "
                       r"GDP must be finite and > 0"):
        trade_intensity(bad["imports"], bad["gdp"], exchange_rate=7.0)
    with pytest.raises(SpecificationError, match=r"'trade' \(column 'imports'\) has 2 negative or infinite"):
        trade_intensity(city["imports"] - 100_000.0, city["gdp"], exchange_rate=7.0)
    with pytest.raises(SpecificationError, match=r"gdp_unit='usd_10k' is not in CNY"):
        trade_intensity(1.0, 1.0, gdp_unit="usd_10k", exchange_rate=7.0)
    with pytest.raises(SpecificationError, match=r"trade_unit must be one of"):
        trade_intensity(1.0, 1.0, trade_unit="usd10k", exchange_rate=7.0)
    with pytest.raises(SpecificationError, match=r"log must be one of"):
        trade_intensity(1.0, 1.0, exchange_rate=7.0, log="ln")
    with pytest.raises(SpecificationError, match=r"'trade' is not numeric"):
        trade_intensity(city["imports"].astype(str), city["gdp"], exchange_rate=7.0)


def test_messages_name_the_column_of_a_series(city):
    gdp = city["gdp"].where(city.index != "b", 0.0).rename("Gdpct01")
    with pytest.raises(SpecificationError, match=r"rd_share: 'gdp' \(column 'Gdpct01'\) has 1 "
                       r"zero, negative or infinite value\(s\) \(e\.g\. \[0\.0\] at rows \['b'\]\)"):
        rd_share(city["rd"], gdp)


def test_unit_slips_are_flagged(city):
    # GDP in 亿元 declared as 万元: median ratio 150,000 x 10^4 x 7 / (8,000 x 10^4) = 131.25
    with pytest.warns(dz.DidZonesWarning, match=r"trade_intensity: the median trade / GDP ratio "
                      r"is 131\.2, above 5, which no city reaches: check trade_unit and gdp_unit"):
        out = trade_intensity(city["exports"], city["gdp"], gdp_unit="cny_10k",
                              exchange_rate=7.0, log=None)
    assert out["b"] == pytest.approx(131.25, **EXACT)
    with pytest.warns(dz.DidZonesWarning, match=r"rd_share: the median R&D / GDP ratio is "
                      r"225, above 0\.2"):
        rd_share(city["rd"], city["gdp"], gdp_unit="cny_10k")


def test_missing_in_missing_out_silently(city):
    imp = city["imports"].copy()
    imp["a"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = trade_intensity(imp, city["gdp"], exchange_rate=7.0, log="log1p")
    assert np.isnan(out["a"]) and np.isfinite(out[["b", "c"]]).all()


# ------------------------------------------------------------------ per capita
def test_per_capita_retail_hand_values(city):
    out = per_capita(city["retail"], city["pop"], name="ln_retail_pc")
    assert out.name == "ln_retail_pc"
    # 58,000,000 x 10^4 yuan over 780 x 10^4 persons
    expected = [math.log(58_000_000e4 / 780e4), math.log(30_000_000e4 / 540e4),
                math.log(9_000_000e4 / 300e4)]
    np.testing.assert_allclose(out.to_numpy(), expected, rtol=1e-12)
    lvl = per_capita(city["retail"] / 1e4, city["pop"] * 1e4, amount_unit="cny_100m",
                     population_unit="persons", log=None)
    np.testing.assert_allclose(lvl.to_numpy(), np.exp(expected), rtol=1e-12)
    with pytest.raises(SpecificationError, match=r"per_capita: 'population' has 1 zero"):
        per_capita([1.0, 2.0], [1.0, 0.0])
    with pytest.raises(SpecificationError, match=r"population_unit must be one of"):
        per_capita(1.0, 1.0, population_unit="wan")
    with pytest.raises(SpecificationError, match=r"amount_unit='usd' is not in CNY"):
        per_capita(1.0, 1.0, amount_unit="usd")


# ------------------------------------------------------------------ innovation
def test_patents_per_10k_hand_values(city):
    out = patents_per_10k(city["patents"], city["pop"])
    # 40,000 patents over 780 x 10^4 persons = 40,000 / 780 per 10,000 people
    expected = [math.log1p(40_000 / 780), math.log1p(12_000 / 540), 0.0]
    np.testing.assert_allclose(out.to_numpy(), expected, rtol=1e-12, atol=1e-15)
    raw = patents_per_10k(city["patents"], city["pop"] * 1e4, population_unit="persons",
                          log=None)
    np.testing.assert_allclose(raw.to_numpy(), [40_000 / 780, 12_000 / 540, 0.0], rtol=1e-12)
    with pytest.warns(DataDroppedWarning, match=r"1 of 3 row\(s\) have a zero value"):
        logged = patents_per_10k(city["patents"], city["pop"], log="log")
    assert np.isnan(logged["c"])
    assert logged["a"] == pytest.approx(math.log(40_000 / 780), **EXACT)


def test_rd_share_hand_values(city):
    out = rd_share(city["rd"], city["gdp"])
    # 4,000,000 x 10^4 CNY over 13,500 x 10^8 CNY
    expected = [4_000_000e4 / 13_500e8, 1_800_000e4 / 8_000e8, 300_000e4 / 2_500e8]
    np.testing.assert_allclose(out.to_numpy(), expected, rtol=1e-12)
    pct = rd_share(city["rd"], city["gdp"], percent=True)
    np.testing.assert_allclose(pct.to_numpy(), 100 * np.array(expected), rtol=1e-12)
    assert rd_share(3.0, 100.0, rd_unit="cny_100m") == pytest.approx(0.03, **EXACT)
    with pytest.raises(SpecificationError, match=r"percent must be True or False"):
        rd_share(1.0, 1.0, percent="yes")


# ------------------------------------------------------------------ consumption structure
def test_development_share_narrow_and_broad():
    total = pd.Series([30_000.0, 20_000.0])
    t, e, h = pd.Series([4_000.0, 2_500.0]), pd.Series([3_500.0, 2_000.0]), \
        pd.Series([2_500.0, 1_500.0])
    hh, other = pd.Series([1_800.0, 1_200.0]), pd.Series([700.0, 400.0])
    narrow = development_share(total, transport=t, education=e, health=h)
    np.testing.assert_allclose(narrow.to_numpy(), [10_000 / 30_000, 6_000 / 20_000], rtol=1e-12)
    broad = development_share(total, transport=t, education=e, health=h, household=hh,
                              other=other, percent=True)
    np.testing.assert_allclose(broad.to_numpy(), [100 * 12_500 / 30_000, 100 * 7_600 / 20_000],
                               rtol=1e-12)
    # broad share = 1 - subsistence share (food + clothing + housing = the rest)
    food_cloth_housing = total - (t + e + h + hh + other)
    np.testing.assert_allclose(broad.to_numpy() / 100,
                               1 - (food_cloth_housing / total).to_numpy(), rtol=1e-12)


def test_development_share_errors():
    with pytest.raises(SpecificationError, match=r"development_share: the categories sum to "
                       r"more than total in 1 of 2 row\(s\) \(rows \[1\]\)"):
        development_share([100.0, 100.0], transport=[10.0, 60.0], education=[10.0, 30.0],
                          health=[10.0, 20.0])
    with pytest.raises(SpecificationError, match=r"'total' has 1 zero, negative"):
        development_share([0.0], transport=[0.0], education=[0.0], health=[0.0])
    with pytest.raises(SpecificationError, match=r"'health' has 1 negative"):
        development_share([10.0], transport=[1.0], education=[1.0], health=[-1.0])


def test_builders_do_not_modify_input_and_are_top_level(city):
    before = city.copy()
    trade_intensity(city["imports"], city["gdp"], exchange_rate=7.0, log="log1p")
    per_capita(city["retail"], city["pop"])
    patents_per_10k(city["patents"], city["pop"])
    rd_share(city["rd"], city["gdp"])
    pd.testing.assert_frame_equal(city, before)
    for name in ("trade_intensity", "per_capita", "patents_per_10k", "rd_share",
                 "development_share", "entropy_index", "EntropyIndex"):
        assert getattr(dz, name) is getattr(dz.outcomes, name)


# ------------------------------------------------------------------ real CSMAR rows
@pytest.fixture(scope="module")
def cre():
    gdp_path, emp_path = csmar_files()
    gdp = pd.read_csv(gdp_path)
    emp = pd.read_csv(emp_path)
    keys = ["Sgnyea", "Ctnm_id"]
    rows = gdp.merge(emp.drop(columns=["Ctnm_en", "Cttyp_en", "Prvcnm_id", "Prvcnm_en"]),
                     on=keys)
    # 杭州, 北京, 深圳 in 2019
    pick = rows[(rows["Sgnyea"] == 2019) & rows["Ctnm_id"].isin([330100, 110000, 440300])]
    return pick.set_index("Ctnm_id").sort_index()


def test_csmar_rows_per_gdp_units(cre):
    """``rd_share`` and ``trade_intensity`` on real rows: a 万元 amount over ``Gdpct01`` (亿元).
    The extracts hold no R&D or trade fields, so tertiary value added (``GDP_TerInd``, 万元)
    stands in; the ratio must then be the published tertiary share ``Gdpct04`` (%)."""
    hz = cre.loc[330100]
    assert hz["GDP_TerInd"] == 101_722_800.0 and hz["Gdpct01"] == 15_373.05
    # a tertiary share is no R&D share: the plausibility check says so
    with pytest.warns(dz.DidZonesWarning, match=r"median R&D / GDP ratio is 0\.6"):
        share = rd_share(cre["GDP_TerInd"], cre["Gdpct01"], percent=True)
    assert share[330100] == pytest.approx(100 * 101_722_800e4 / 15_373.05e8, **EXACT)
    # published shares are rounded (杭州 66.17, 北京 83.5, 深圳 60.9277)
    np.testing.assert_allclose(share.to_numpy(), cre["Gdpct04"].to_numpy(), atol=0.06)
    ln = trade_intensity(cre["GDP_TerInd"], cre["Gdpct01"], trade_unit="cny_10k")
    assert ln[330100] == pytest.approx(math.log(101_722_800e4 / 15_373.05e8), **EXACT)
    # a USD figure converted at a stated rate: 1,000,000 x 10^4 USD at 6.8985
    usd = trade_intensity(pd.Series(1e6, index=cre.index), cre["Gdpct01"], exchange_rate=6.8985,
                          log=None)
    assert usd[110000] == pytest.approx(1e6 * 1e4 * 6.8985 / (35_371.28 * 1e8), **EXACT)


def test_csmar_rows_per_capita_units(cre):
    """``per_capita`` on real rows: GDP per household-registered person (``Gdpct01`` 亿元 over
    ``Eect01`` 万人), and the wage bill over average employees (``Eect12`` 万元 over ``Eect11``
    万人), which must match the published average wage ``Eect13`` up to the rounding of
    ``Eect11`` to whole 万人."""
    gdp_pc = per_capita(cre["Gdpct01"], cre["Eect01"], amount_unit="cny_100m", log=None)
    assert gdp_pc[330100] == pytest.approx(15_373.05e8 / 795.374e4, **EXACT)
    # against the resident-population GDP per capita the 户籍 denominator overstates (杭州)
    assert gdp_pc[330100] > 1.2 * cre.loc[330100, "GDP_PerCapita"]
    wage = per_capita(cre["Eect12"], cre["Eect11"], log=None)
    assert wage[330100] == pytest.approx(32_021_037e4 / 266e4, **EXACT)
    np.testing.assert_allclose(wage.to_numpy(), cre["Eect13"].to_numpy(), rtol=0.005)
    pat = patents_per_10k(cre["Eect11"], cre["Eect01"], log=None)  # a count per 10,000 people
    assert pat[440300] == pytest.approx(478.0 / 541.79, **EXACT)
