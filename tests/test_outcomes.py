"""Tests of the industrial-structure outcomes (did_zones.outcomes)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from did_zones.errors import DataDroppedWarning, SpecificationError
from did_zones.outcomes import (
    advancement,
    hierarchy_index,
    structure_outcomes,
    tertiary_share,
    theil_index,
    winsorize,
)

EXACT = {"rel": 1e-12, "abs": 1e-15}


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "city": [1, 1, 2, 2],
            "year": [2015, 2016, 2015, 2016],
            "va1": [10.0, 20.0, 5.0, 0.0],
            "va2": [40.0, 30.0, 45.0, 50.0],
            "va3": [50.0, 50.0, 50.0, 50.0],
            "l1": [30.0, 20.0, 10.0, 5.0],
            "l2": [40.0, 40.0, 45.0, 45.0],
            "l3": [30.0, 40.0, 45.0, 50.0],
        },
        index=[10, 11, 12, 13],
    )


# --------------------------------------------------------------------------- advancement
def test_advancement_hand_values_and_types(frame):
    ts = advancement(frame["va3"], frame["va2"])
    assert isinstance(ts, pd.Series) and ts.name == "ts"
    assert ts.index.equals(frame.index)
    np.testing.assert_allclose(ts.to_numpy(), [50 / 40, 50 / 30, 50 / 45, 1.0], rtol=1e-15)
    assert advancement(6.0, 4.0) == 1.5
    arr = advancement([6.0, 1.0], [4.0, 4.0])
    assert isinstance(arr, np.ndarray)
    np.testing.assert_array_equal(arr, [1.5, 0.25])


def test_advancement_zero_secondary_is_nan_and_counted():
    with pytest.warns(DataDroppedWarning, match=r"advancement: 1 of 3 row\(s\) have zero "
                      r"secondary output; TS is set to NaN there \(rows \[1\]\)"):
        ts = advancement([1.0, 2.0, 3.0], [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(np.isnan(ts), [False, True, False])


def test_advancement_missing_in_missing_out_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ts = advancement([1.0, np.nan], [2.0, 2.0])
    assert ts[0] == 0.5 and np.isnan(ts[1])


def test_negative_values_are_an_error_naming_rows():
    s = pd.Series([1.0, -2.0, 3.0], index=["a", "b", "c"])
    with pytest.raises(SpecificationError, match=r"advancement: 'secondary' has 1 negative or "
                       r"infinite value\(s\) \(e\.g\. \[-2\.0\] at rows \['b'\]\)\. Sector "
                       r"output and employment must be finite and >= 0"):
        advancement(s.abs(), s)
    with pytest.raises(SpecificationError, match="'tertiary' has 1 negative or infinite"):
        advancement([np.inf], [1.0])


def test_inputs_must_align():
    a = pd.Series([1.0, 2.0], index=[0, 1])
    b = pd.Series([1.0, 2.0], index=[1, 2])
    with pytest.raises(SpecificationError, match="'secondary' has a different index"):
        advancement(a, b)
    with pytest.raises(SpecificationError, match=r"inputs have different lengths "
                       r"\{'tertiary': 2, 'secondary': 3\}"):
        advancement([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(SpecificationError, match=r"'tertiary' is not numeric \(dtype"):
        advancement(pd.Series(["a", "b"]), pd.Series([1.0, 2.0]))
    with pytest.raises(SpecificationError, match="'secondary' must be numeric"):
        advancement([1.0], ["x"])
    with pytest.raises(SpecificationError, match="must be one-dimensional"):
        advancement(np.ones((2, 2)), np.ones((2, 2)))


# --------------------------------------------------------------------------- ISU and s3
def test_hierarchy_index_hand_values(frame):
    isu = hierarchy_index(frame["va1"], frame["va2"], frame["va3"])
    assert isu.name == "isu" and isu.index.equals(frame.index)
    expected = [0.1 + 0.8 + 1.5, 0.2 + 0.6 + 1.5, 0.05 + 0.9 + 1.5, 1.0 + 1.5]
    np.testing.assert_allclose(isu.to_numpy(), expected, rtol=1e-12)
    # ISU = 2 + s3 - s1 and lies in [1, 3]
    s3 = tertiary_share(frame["va1"], frame["va2"], frame["va3"])
    s1 = frame["va1"] / frame[["va1", "va2", "va3"]].sum(axis=1)
    np.testing.assert_allclose(isu, 2 + s3 - s1, rtol=1e-12)
    assert hierarchy_index(1.0, 0.0, 0.0) == 1.0
    assert hierarchy_index(0.0, 0.0, 7.0) == 3.0


def test_tertiary_share_hand_values(frame):
    s3 = tertiary_share(frame["va1"], frame["va2"], frame["va3"])
    assert s3.name == "s3"
    np.testing.assert_allclose(s3.to_numpy(), [0.5, 0.5, 0.5, 0.5], rtol=1e-15)
    assert tertiary_share(1.0, 1.0, 2.0) == 0.5


def test_shares_are_normalised_by_their_sum():
    # shares summing to 1.01 (rounding in published data) pass tol=0.02 and are rescaled
    isu = hierarchy_index(0.10, 0.40, 0.51, scale="fraction")
    assert isu == pytest.approx((0.10 + 0.80 + 1.53) / 1.01, **EXACT)
    assert hierarchy_index(10.0, 40.0, 50.0, scale="percent") == pytest.approx(2.4, **EXACT)
    assert tertiary_share(10.0, 40.0, 51.0, scale="percent") == pytest.approx(51 / 101, **EXACT)
    # levels and shares agree
    assert hierarchy_index(3.0, 12.0, 15.0) == pytest.approx(
        hierarchy_index(0.1, 0.4, 0.5, scale="fraction"), **EXACT
    )


def test_percent_given_as_fraction_suggests_percent():
    with pytest.raises(SpecificationError, match=r"hierarchy_index: shares given with "
                       r"scale='fraction' must sum to 1 within tol=0\.02 \(x 1\); 2 of 2 "
                       r"row\(s\) do not, e.g\. sums \[100\.0, 99\.0\] at rows \[0, 1\]\. They "
                       r"look like percent: use scale='percent' \(or divide by 100\)\."):
        hierarchy_index([10.0, 10.0], [40.0, 40.0], [50.0, 49.0], scale="fraction")


def test_fraction_given_as_percent_suggests_fraction():
    with pytest.raises(SpecificationError, match=r"tertiary_share: shares given with "
                       r"scale='percent' must sum to 100 .* They look like fraction: use "
                       r"scale='fraction'\.$"):
        tertiary_share(0.1, 0.4, 0.5, scale="percent")


def test_incomplete_shares_are_an_error():
    with pytest.raises(SpecificationError, match=r"1 of 2 row\(s\) do not, e\.g\. sums \[0\.8\] "
                       r"at rows \[1\]\. Check that the three sectors are complete, raise tol"):
        hierarchy_index([0.1, 0.1], [0.4, 0.4], [0.5, 0.3], scale="fraction")
    # within a wider tolerance it passes
    assert np.isfinite(hierarchy_index(0.1, 0.4, 0.3, scale="fraction", tol=0.25))


def test_zero_total_output_is_nan_and_counted():
    with pytest.warns(DataDroppedWarning, match=r"1 of 2 row\(s\) have zero total output"):
        isu = hierarchy_index([0.0, 1.0], [0.0, 1.0], [0.0, 1.0])
    assert np.isnan(isu[0]) and isu[1] == pytest.approx(2.0, **EXACT)


def test_scale_and_tol_are_validated():
    with pytest.raises(SpecificationError,
                       match=r"scale must be one of 'levels', 'fraction', 'percent'; got 'pct'\."):
        hierarchy_index(1.0, 1.0, 1.0, scale="pct")
    with pytest.raises(SpecificationError, match=r"tol must lie strictly between 0 and 1; got 2"):
        tertiary_share(1.0, 1.0, 1.0, tol=2)
    with pytest.raises(SpecificationError, match=r"tol must be a real number; got 'a'"):
        tertiary_share(1.0, 1.0, 1.0, tol="a")


# --------------------------------------------------------------------------- Theil
def test_theil_hand_value():
    # w = (.1, .4, .5), l = (.3, .4, .3)
    expected = 0.1 * math.log(0.1 / 0.3) + 0.4 * math.log(1.0) + 0.5 * math.log(0.5 / 0.3)
    got = theil_index((10.0, 40.0, 50.0), (30.0, 40.0, 30.0))
    assert got == pytest.approx(expected, **EXACT)
    # the definition with productivities gives the same number
    y, lab = np.array([10.0, 40.0, 50.0]), np.array([30.0, 40.0, 30.0])
    direct = np.sum(y / y.sum() * np.log((y / lab) / (y.sum() / lab.sum())))
    assert got == pytest.approx(direct, **EXACT)


def test_theil_direction():
    y = (10.0, 40.0, 50.0)
    assert theil_index(y, y) == 0.0  # balanced: every sector as productive as the economy
    ladder = [(10.0, 40.0, 50.0), (20.0, 40.0, 40.0), (30.0, 40.0, 30.0), (50.0, 30.0, 20.0)]
    values = [theil_index(y, lab) for lab in ladder]
    assert values[0] == 0.0
    assert all(b > a for a, b in zip(values, values[1:], strict=False))  # less rational
    rng = np.random.default_rng(3)
    out = [rng.uniform(0.1, 10, 200) for _ in range(3)]
    emp = [rng.uniform(0.1, 10, 200) for _ in range(3)]
    assert (theil_index(out, emp) >= 0).all()


def test_theil_invariant_to_units():
    rng = np.random.default_rng(7)
    out = [rng.uniform(1, 100, 50) for _ in range(3)]
    emp = [rng.uniform(1, 100, 50) for _ in range(3)]
    base = theil_index(out, emp)
    scaled = theil_index([o * 1e4 for o in out], [e * 37.5 for e in emp])
    np.testing.assert_allclose(scaled, base, rtol=1e-12)
    # shares (fractions of output, percent of employment) give the same index
    tot_y, tot_l = sum(out), sum(emp)
    shares = theil_index([o / tot_y for o in out], [100 * e / tot_l for e in emp])
    np.testing.assert_allclose(shares, base, rtol=1e-12)
    # the two-sector index too
    np.testing.assert_allclose(
        theil_index([o * 3 for o in out], [e / 7 for e in emp], sectors=2),
        theil_index(out, emp, sectors=2),
        rtol=1e-12,
    )


def test_theil_two_sector_variant():
    y, lab = (10.0, 40.0, 50.0), (1.0, 30.0, 69.0)
    expected = (0.4 / 0.9) * math.log((40 / 30) / (90 / 99)) + (0.5 / 0.9) * math.log(
        (50 / 69) / (90 / 99)
    )
    assert theil_index(y, lab, sectors=2) == pytest.approx(expected, **EXACT)
    assert theil_index(y[1:], lab[1:], sectors=2) == pytest.approx(expected, **EXACT)


def test_theil_zero_output_sector_contributes_zero():
    expected = math.log(0.5 / 0.45)  # two sectors with w = .5, l = .45 each
    assert theil_index((0.0, 50.0, 50.0), (10.0, 45.0, 45.0)) == pytest.approx(expected, **EXACT)


def test_theil_undefined_rows_are_nan_and_counted():
    out = ([1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 0.0])
    emp = ([0.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    with pytest.warns(DataDroppedWarning) as record:
        tl = theil_index(out, emp)
    messages = [str(w.message) for w in record]
    assert any(
        m == "theil_index: 1 of 3 row(s) have positive output in a sector with zero employment; "
        "TL is set to NaN there (rows [0])." for m in messages
    )
    assert any(
        m == "theil_index: 1 of 3 row(s) have zero total output or employment; TL is set to "
        "NaN there (rows [2])." for m in messages
    )
    np.testing.assert_array_equal(np.isnan(tl), [True, False, True])
    assert tl[1] == 0.0


def test_theil_missing_input_gives_missing_output():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tl = theil_index(([1.0, np.nan], [2.0, 2.0], [3.0, 3.0]), ([1.0, 1.0], [1.0, 1.0],
                                                                   [1.0, 1.0]))
    assert np.isfinite(tl[0]) and np.isnan(tl[1])


def test_theil_series_output(frame):
    tl = theil_index((frame["va1"], frame["va2"], frame["va3"]),
                     (frame["l1"], frame["l2"], frame["l3"]))
    assert tl.name == "tl3" and tl.index.equals(frame.index)
    tl2 = theil_index((frame["va2"], frame["va3"]), (frame["l2"], frame["l3"]), sectors=2)
    assert tl2.name == "tl2"


def test_theil_argument_errors():
    with pytest.raises(SpecificationError, match=r"sectors must be one of 2, 3; got 4\."):
        theil_index((1.0, 1.0, 1.0), (1.0, 1.0, 1.0), sectors=4)
    with pytest.raises(SpecificationError, match=r"output must be a tuple of sector series, "
                       r"e\.g\. output=\(df\['y1'\], df\['y2'\], df\['y3'\]\); got Series"):
        theil_index(pd.Series([1.0]), (1.0, 1.0, 1.0))
    with pytest.raises(SpecificationError, match="output has 3 sectors but employment has 2"):
        theil_index((1.0, 1.0, 1.0), (1.0, 1.0))
    with pytest.raises(SpecificationError, match=r"sectors=3 needs 3 output and employment "
                       r"series; got 2\."):
        theil_index((1.0, 1.0), (1.0, 1.0))
    with pytest.raises(SpecificationError, match=r"sectors=2 needs 2 \(secondary, tertiary\) "
                       r"or 3 output and employment series; got 1\."):
        theil_index((1.0,), (1.0,), sectors=2)
    with pytest.raises(SpecificationError, match=r"'employment\[1\]' has 1 negative"):
        theil_index((1.0, 1.0, 1.0), (1.0, -1.0, 1.0))


# --------------------------------------------------------------------------- structure_outcomes
def test_structure_outcomes_adds_columns_to_a_copy(frame):
    before = frame.copy(deep=True)
    out = structure_outcomes(frame, primary="va1", secondary="va2", tertiary="va3",
                             emp_primary="l1", emp_secondary="l2", emp_tertiary="l3")
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.columns) == list(frame.columns) + ["ts", "isu", "s3", "tl3", "tl2"]
    assert out.index.equals(frame.index)
    y = (frame["va1"], frame["va2"], frame["va3"])
    lab = (frame["l1"], frame["l2"], frame["l3"])
    np.testing.assert_array_equal(out["ts"], advancement(frame["va3"], frame["va2"]))
    np.testing.assert_array_equal(out["isu"], hierarchy_index(*y))
    np.testing.assert_array_equal(out["s3"], tertiary_share(*y))
    np.testing.assert_array_equal(out["tl3"], theil_index(y, lab))
    np.testing.assert_array_equal(out["tl2"], theil_index(y, lab, sectors=2))
    assert out.loc[10, "tl3"] == pytest.approx(
        0.1 * math.log(1 / 3) + 0.5 * math.log(5 / 3), **EXACT
    )


def test_structure_outcomes_without_employment_and_with_prefix(frame):
    out = structure_outcomes(frame, primary="va1", secondary="va2", tertiary="va3",
                             prefix="va_")
    assert list(out.columns[-3:]) == ["va_ts", "va_isu", "va_s3"]
    two = structure_outcomes(frame, primary="va1", secondary="va2", tertiary="va3",
                             emp_secondary="l2", emp_tertiary="l3")
    assert "tl2" in two.columns and "tl3" not in two.columns


def test_structure_outcomes_percent_shares():
    df = pd.DataFrame({"p1": [10.0], "p2": [40.0], "p3": [50.0]})
    out = structure_outcomes(df, primary="p1", secondary="p2", tertiary="p3", scale="percent")
    assert out["isu"].iloc[0] == pytest.approx(2.4, **EXACT)
    with pytest.raises(SpecificationError, match="They look like percent"):
        structure_outcomes(df, primary="p1", secondary="p2", tertiary="p3", scale="fraction")


def test_structure_outcomes_errors(frame):
    kw = {"primary": "va1", "secondary": "va2", "tertiary": "va3"}
    with pytest.raises(SpecificationError, match=r"Column 'va_3' not found in the data\. "
                       r"Did you mean 'va3'\?"):
        structure_outcomes(frame, primary="va1", secondary="va2", tertiary="va_3")
    with pytest.raises(SpecificationError, match="emp_primary needs emp_secondary and "
                       "emp_tertiary too"):
        structure_outcomes(frame, **kw, emp_primary="l1")
    with pytest.raises(SpecificationError, match="Give both emp_secondary and emp_tertiary"):
        structure_outcomes(frame, **kw, emp_secondary="l2")
    clash = frame.assign(isu=1.0)
    with pytest.raises(SpecificationError, match=r"Column\(s\) \['isu'\] already exist in the "
                       r"data\. Pass prefix="):
        structure_outcomes(clash, **kw)
    with pytest.raises(SpecificationError, match="data must be a pandas DataFrame; got dict"):
        structure_outcomes({"va1": [1.0]}, **kw)


# --------------------------------------------------------------------------- winsorize
@pytest.fixture
def two_years() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [2010] * 5 + [2011] * 5,
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 101.0, 102.0, 103.0, 104.0, 105.0],
            "z": [5.0, 4.0, 3.0, 2.0, 1.0, 1.0, 2.0, np.nan, 4.0, 5.0],
        }
    )


def test_winsorize_by_year_vs_pooled(two_years):
    before = two_years.copy(deep=True)
    by_year = winsorize(two_years, "y", limits=(0.25, 0.75), by="year")
    pd.testing.assert_frame_equal(two_years, before)
    # within each year of 5 values, the linear 25% / 75% quantiles are the 2nd / 4th values
    assert by_year["y"].tolist() == [2.0, 2.0, 3.0, 4.0, 4.0, 102.0, 102.0, 103.0, 104.0, 104.0]
    pooled = winsorize(two_years, "y", limits=(0.25, 0.75))
    # pooled over 10 values: positions 2.25 and 6.75 -> 3.25 and 102.75
    assert pooled["y"].tolist() == [3.25, 3.25, 3.25, 4.0, 5.0, 101.0, 102.0, 102.75, 102.75,
                                     102.75]
    assert by_year["year"].tolist() == two_years["year"].tolist()


def test_winsorize_keeps_missing_and_ignores_them_in_quantiles(two_years):
    out = winsorize(two_years, ["z"], limits=(0.25, 0.75), by="year")
    # 2011 non-missing: 1, 2, 4, 5 -> linear quartiles 1.75 and 4.25
    np.testing.assert_array_equal(out["z"].to_numpy(),
                                  [4.0, 4.0, 3.0, 2.0, 2.0, 1.75, 2.0, np.nan, 4.0, 4.25])


def test_winsorize_one_sided_and_methods():
    s = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], name="v")
    assert winsorize(s, limits=(0.2, None)).tolist() == [1.8, 2.0, 3.0, 4.0, 5.0]
    # Stata's _pctile: n*p = 1 is an integer, so the 20th percentile averages x(1) and x(2)
    stata = winsorize(s, limits=(0.2, None), method="averaged_inverted_cdf")
    assert stata.tolist() == [1.5, 2.0, 3.0, 4.0, 5.0]
    assert stata.name == "v"
    assert winsorize(s, limits=(None, 0.8), method="lower").tolist() == [1, 2, 3, 4, 4]


def test_winsorize_series_by_labels(two_years):
    s = two_years["y"]
    out = winsorize(s, limits=(0.25, 0.75), by=two_years["year"])
    expected = winsorize(two_years, "y", limits=(0.25, 0.75), by="year")["y"]
    pd.testing.assert_series_equal(out, expected)
    arr = winsorize(s, limits=(0.25, 0.75), by=two_years["year"].to_numpy())
    pd.testing.assert_series_equal(arr, expected)


def test_winsorize_missing_group_label_is_its_own_group():
    df = pd.DataFrame({"g": [1, 1, 1, np.nan, np.nan, np.nan], "y": [1.0, 2.0, 3.0, 7.0, 8.0,
                                                                     9.0]})
    out = winsorize(df, "y", limits=(0.5, None), by="g")
    assert out["y"].tolist() == [2.0, 2.0, 3.0, 8.0, 8.0, 9.0]


def test_winsorize_errors(two_years):
    with pytest.raises(SpecificationError, match=r"Name the columns to winsorize, e\.g\. "
                       r"columns=\['ts', 'isu'\] \(numeric columns: \['year', 'y', 'z'\]\)"):
        winsorize(two_years)
    with pytest.raises(SpecificationError, match="columns must be None when data is a Series"):
        winsorize(two_years["y"], "y")
    bad_limits = r"limits must be a pair \(low, high\) of quantile levels with 0 <= low < high"
    for limits in [(0.99, 0.01), (0.1,), (-0.1, 0.9), 0.01, ("a", 0.9), (0.5, 0.5)]:
        with pytest.raises(SpecificationError, match=bad_limits):
            winsorize(two_years, "y", limits=limits)
    with pytest.raises(SpecificationError, match=r"method must be one of 'linear', "
                       r"'averaged_inverted_cdf'.*; got 'stata'\."):
        winsorize(two_years, "y", method="stata")
    with pytest.raises(SpecificationError, match=r"Column 'yr' not found in the data\. Did you "
                       r"mean 'year'\?"):
        winsorize(two_years, "y", by="yr")
    with pytest.raises(SpecificationError, match="by must name column"):
        winsorize(two_years, "y", by=two_years["year"])
    with pytest.raises(SpecificationError, match=r"\['y'\] are both winsorized and used as "
                       "groups"):
        winsorize(two_years, "y", by="y")
    with pytest.raises(SpecificationError, match="by must have the same index"):
        winsorize(two_years["y"], by=two_years["year"].iloc[::-1].reset_index(drop=True)[:9])
    with pytest.raises(SpecificationError, match=r"an array of the same length \(10\)"):
        winsorize(two_years["y"], by=[1, 2])
    with pytest.raises(SpecificationError, match=r"Column 'name' is not numeric"):
        winsorize(two_years.assign(name="x"), "name")
    with pytest.raises(SpecificationError, match="data must be a pandas DataFrame or Series"):
        winsorize([1.0, 2.0])
