"""Tests of build_panel and the Panel (did_zones.panel): every check, matched on its message."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from did_zones.design import usable_rows
from did_zones.errors import DataDroppedWarning, PanelError, SpecificationError
from did_zones.panel import Panel, build_panel


def _frame(cohorts: dict, years=range(2014, 2018), seed: int = 0) -> pd.DataFrame:
    """Long frame, units in ``cohorts`` (unit -> first treated year or inf) x ``years``."""
    rng = np.random.default_rng(seed)
    units = list(cohorts)
    years = list(years)
    df = pd.DataFrame(
        {
            "city": np.repeat(units, len(years)),
            "year": np.tile(years, len(units)),
        }
    )
    df["first"] = df["city"].map(cohorts).astype(float)
    df["d"] = (df["year"] >= df["first"]).astype(int)
    df["y"] = rng.normal(size=len(df))
    return df


@pytest.fixture
def df() -> pd.DataFrame:
    return _frame({1: 2016, 2: 2017, 3: np.inf, 4: np.inf, 5: 2016})


def _quiet(**kw) -> Panel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        return build_panel(**kw)


# --------------------------------------------------------------------------- roles and columns
def test_basic_panel(df):
    p = build_panel(df, unit="city", time="year", cohort="first")
    assert p.n_obs == 20 and p.n_units == 5 and p.n_periods == 4 and p.is_balanced
    np.testing.assert_array_equal(p.periods, [2014, 2015, 2016, 2017])
    np.testing.assert_array_equal(p.cohort, [2016, 2017, np.inf, np.inf, 2016])
    np.testing.assert_array_equal(p.cohorts, [2016, 2017])
    np.testing.assert_array_equal(p.never_treated, [False, False, True, True, False])
    np.testing.assert_array_equal(p.treated, df["d"].to_numpy(dtype=bool))
    e = p.event_time
    np.testing.assert_array_equal(e[:4], [-2, -1, 0, 1])
    assert np.isnan(e[8:16]).all()
    assert p.notes == () and len(p.dropped) == 0
    assert list(p.dropped.columns) == ["reason", "n_rows", "n_units", "examples"]
    assert repr(p) == (
        "Panel(5 units x 4 periods [2014-2017], 20 rows, balanced; 2 cohorts, "
        "2 never-treated units)"
    )


def test_rows_sorted_and_index_reset(df):
    shuffled = df.sample(frac=1.0, random_state=1).set_index(pd.Index(range(100, 120)))
    p = build_panel(shuffled, unit="city", time="year", cohort="first")
    ref = build_panel(df, unit="city", time="year", cohort="first")
    pd.testing.assert_frame_equal(p.data, ref.data)
    assert p.data.index.equals(pd.RangeIndex(20))


def test_missing_column_did_you_mean(df):
    with pytest.raises(SpecificationError, match=r"Column 'yr' not found in the data\. Did you "
                       r"mean 'year'\?"):
        build_panel(df, unit="city", time="yr", cohort="first")
    with pytest.raises(SpecificationError, match=r"Column 'frist' not found in the data\. Did "
                       r"you mean 'first'\? Available columns: \['city', 'year', 'first', 'd', "
                       r"'y'\]\."):
        build_panel(df, unit="city", time="year", cohort="frist")
    with pytest.raises(SpecificationError, match=r"Column 'treated' not found in the data\.$|"
                       r"Column 'treated' not found in the data\. Available"):
        build_panel(df, unit="city", time="year", treatment="treated")


def test_role_argument_errors(df):
    with pytest.raises(SpecificationError, match=r"No treatment timing given\. Pass cohort="):
        build_panel(df, unit="city", time="year")
    with pytest.raises(SpecificationError, match=r"Give either cohort= or treatment=, not both"):
        build_panel(df, unit="city", time="year", cohort="first", treatment="d")
    with pytest.raises(SpecificationError, match="unit and time must be different columns; "
                       "both are 'city'"):
        build_panel(df, unit="city", time="city", cohort="first")
    with pytest.raises(SpecificationError, match="data must be a pandas DataFrame; got dict"):
        build_panel({"city": [1]}, unit="city", time="year", cohort="first")
    with pytest.raises(SpecificationError, match=r"always_treated must be one of 'drop', "
                       r"'error'; got 'keep'\."):
        build_panel(df, unit="city", time="year", cohort="first", always_treated="keep")
    with pytest.raises(SpecificationError, match=r"late_cohorts must be one of 'never', "
                       r"'error'; got 'drop'\."):
        build_panel(df, unit="city", time="year", cohort="first", late_cohorts="drop")


# --------------------------------------------------------------------------- time
def test_non_integer_time(df):
    bad = df.assign(year=df["year"] + 0.5 * (df.index == 3))
    with pytest.raises(PanelError, match=r"Time column 'year' must hold integer periods; 1 "
                       r"row\(s\) do not, e\.g\. \[2017\.5\]\. Convert it"):
        build_panel(bad, unit="city", time="year", cohort="first")
    text = df.assign(year=df["year"].astype(str).where(df.index != 0, "2014q1"))
    with pytest.raises(PanelError, match=r"1 row\(s\) do not, e\.g\. \['2014q1'\]"):
        build_panel(text, unit="city", time="year", cohort="first")
    inf = df.assign(year=df["year"].astype(float).where(df.index != 0, np.inf))
    with pytest.raises(PanelError, match=r"1 row\(s\) do not, e\.g\. \[inf\]"):
        build_panel(inf, unit="city", time="year", cohort="first")


def test_integer_valued_float_and_string_time_accepted(df):
    ref = build_panel(df, unit="city", time="year", cohort="first")
    for year in (df["year"].astype(float), df["year"].astype(str)):
        p = build_panel(df.assign(year=year), unit="city", time="year", cohort="first")
        assert p.data["year"].dtype == np.int64
        np.testing.assert_array_equal(p.time_values, ref.time_values)


def test_datetime_time_read_as_year_with_note(df):
    ref = build_panel(df, unit="city", time="year", cohort="first")
    for dated in (pd.to_datetime(df["year"].astype(str) + "-12-31"),
                  pd.to_datetime(df["year"].astype(str) + "-01-01").dt.tz_localize("UTC")):
        p = build_panel(df.assign(year=dated), unit="city", time="year", cohort="first")
        np.testing.assert_array_equal(p.time_values, ref.time_values)
        np.testing.assert_array_equal(p.cohort, ref.cohort)
        assert p.data["year"].dtype == np.int64
        assert "Time column 'year' holds dates; each is read as its calendar year." in p.notes


def test_period_time_is_the_year_not_the_ordinal(df):
    # issue #14: a Period[Y] column used to become periods 44..47 (years since 1970)
    periods = pd.PeriodIndex(df["year"].astype(str), freq="Y")
    p = build_panel(df.assign(year=periods), unit="city", time="year", cohort="first")
    np.testing.assert_array_equal(p.periods, [2014, 2015, 2016, 2017])
    np.testing.assert_array_equal(p.unit_cohort.loc[[1, 2, 3]], [2016, 2017, np.inf])
    assert any(n.startswith("Time column 'year' holds pandas Periods") for n in p.notes)


def test_iso_date_text_time(df):
    p = build_panel(df.assign(year=df["year"].astype(str) + "-03-07"), unit="city",
                    time="year", cohort="first")
    np.testing.assert_array_equal(p.periods, [2014, 2015, 2016, 2017])
    assert ("Time column 'year' holds date text (ISO 8601); each is read as its calendar "
            "year.") in p.notes


def test_sub_annual_dates_in_time_raise_with_hint(df):
    monthly = df.assign(year=pd.to_datetime(df["year"].astype(str) + "-01-01"))
    extra = monthly.assign(year=monthly["year"] + pd.DateOffset(months=6))
    with pytest.raises(PanelError, match=r"rows share a unit-period .* The time column holds "
                       r"dates, read as their year: aggregate sub-annual rows"):
        build_panel(pd.concat([monthly, extra]), unit="city", time="year", cohort="first")


def test_text_year_time_and_cohort_noted(df):
    d = df.assign(year=df["year"].astype(str),
                  first=df["first"].map(lambda g: None if np.isinf(g) else str(int(g))))
    p = build_panel(d, unit="city", time="year", cohort="first")
    ref = build_panel(df, unit="city", time="year", cohort="first")
    np.testing.assert_array_equal(p.cohort, ref.cohort)
    assert "Time column 'year' holds text; read as numbers (e.g. '2014')." in p.notes
    assert "Cohort column 'first' holds text; read as numbers (e.g. '2016')." in p.notes


def test_datetime_cohort_column_nat_is_never(df):
    # issue #14: NaT units were dropped as always-treated and dated units coded never
    dates = df["first"].map(lambda g: pd.NaT if np.isinf(g) else pd.Timestamp(f"{int(g)}-07-01"))
    assert pd.api.types.is_datetime64_any_dtype(dates)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataDroppedWarning)
        p = build_panel(df.assign(first=dates), unit="city", time="year", cohort="first")
    ref = build_panel(df, unit="city", time="year", cohort="first")
    np.testing.assert_array_equal(p.cohort, ref.cohort)
    assert p.notes[0] == (
        "Cohort column 'first' holds dates; each is read as its calendar year (3 unit(s) "
        "dated after 1 January, e.g. [1, 2, 5], count as treated from that whole year); 2 "
        "unit(s) with a missing date (NaT) are never-treated.")


@pytest.mark.parametrize("make", [
    lambda g: pd.Period(f"{int(g)}-05", freq="M"),
    lambda g: pd.Period(str(int(g)), freq="Y"),
    lambda g: f"{int(g)}-01-01",
])
def test_period_and_date_text_cohort_column(df, make):
    first = df["first"].map(lambda g: None if np.isinf(g) else make(g))
    p = build_panel(df.assign(first=first), unit="city", time="year", cohort="first")
    ref = build_panel(df, unit="city", time="year", cohort="first")
    np.testing.assert_array_equal(p.cohort, ref.cohort)
    assert "calendar year" in p.notes[0] and "2 unit(s) with a missing date" in p.notes[0]


def test_period_dtype_cohort_nat_is_never(df):
    # pandas reports the year of a NaT Period as -1: it must not become an early cohort
    first = pd.Series(pd.PeriodIndex(
        [None if np.isinf(g) else str(int(g)) for g in df["first"]], freq="Y"))
    p = build_panel(df.assign(first=first), unit="city", time="year", cohort="first")
    ref = build_panel(df, unit="city", time="year", cohort="first")
    np.testing.assert_array_equal(p.cohort, ref.cohort)


@pytest.mark.parametrize("mapping", [
    {1: pd.Timestamp("2016-03-01"), 2: pd.Timestamp("2017-01-01"), 3: pd.NaT,
     5: pd.Timestamp("2016-12-31")},
    pd.Series({1: pd.Timestamp("2016-03-01"), 2: pd.Timestamp("2017-01-01"),
               5: pd.Timestamp("2016-12-31")}),
    {1: pd.Timestamp("2016-03-01").date(), 2: pd.Timestamp("2017-01-01").to_pydatetime(),
     5: pd.Timestamp("2016-12-31").date()},
])
def test_cohort_mapping_of_dates(df, mapping):
    # issue #14: dates in a mapping became nanoseconds, i.e. cohorts after the sample
    p = build_panel(df, unit="city", time="year", cohort=mapping)
    ref = build_panel(df, unit="city", time="year", cohort="first")
    np.testing.assert_array_equal(p.cohort, ref.cohort)
    assert p.notes[0].startswith("The cohort mapping holds dates; each is read as its "
                                 "calendar year (2 unit(s) dated after 1 January, e.g. [1, 5]")


def test_empty_data():
    empty = pd.DataFrame({"city": [], "year": [], "y": []})
    with pytest.raises(PanelError, match=r"data has no rows\. Pass the long unit-period table"):
        build_panel(empty, unit="city", time="year", cohort={1: 2016})


@pytest.mark.parametrize("dup", ["city", "y"])
def test_duplicate_column_names(df, dup):
    d = pd.concat([df, df[[dup]]], axis=1)
    with pytest.raises(PanelError, match=rf"data has 1 column name\(s\) used more than once, "
                       rf"e\.g\. \['{dup}'\]; .* df\.loc\[:, ~df\.columns\.duplicated\(\)\]"):
        build_panel(d, unit="city", time="year", cohort="first")


# --------------------------------------------------------------------------- rows
def test_duplicate_unit_time_rows(df):
    dup = pd.concat([df, df.iloc[[0, 5]]], ignore_index=True)
    with pytest.raises(PanelError, match=r"4 rows share a unit-period with another row \(2 "
                       r"duplicated city-year pairs, e\.g\. \[\(1, 2014\), \(2, 2015\)\]\)\. "
                       r"Keep one row per unit and period, e\.g\. "
                       r"df\.drop_duplicates\(\['city', 'year'\]\)"):
        build_panel(dup, unit="city", time="year", cohort="first")


@pytest.mark.parametrize("col", ["city", "year"])
def test_missing_role_values(df, col):
    bad = df.astype({col: float})
    bad.loc[[2, 7], col] = np.nan
    with pytest.raises(PanelError, match=rf"2 row\(s\) have a missing value in role column "
                       rf"'{col}' \(e\.g\. rows \[2, 7\]\)\. Drop or fill them first, e\.g\. "
                       rf"df\.dropna\(subset=\['city', 'year', 'first'\]\)\."):
        build_panel(bad, unit="city", time="year", cohort="first")


def test_missing_treatment_values(df):
    bad = df.astype({"d": float})
    bad.loc[4, "d"] = np.nan
    with pytest.raises(PanelError, match=r"1 row\(s\) have a missing value in role column 'd' "
                       r"\(e\.g\. rows \[4\]\)"):
        build_panel(bad, unit="city", time="year", treatment="d")


# --------------------------------------------------------------------------- cohorts
def test_cohort_not_constant_within_unit(df):
    bad = df.copy()
    bad.loc[0, "first"] = 2015
    with pytest.raises(PanelError, match=r"Cohort column 'first' is not constant within unit "
                       r"for 1 unit\(s\), e\.g\. \[1\]\. A cohort is the first treated period.*"
                       r"use treatment= instead\."):
        build_panel(bad, unit="city", time="year", cohort="first")
    # a year in some rows and never (NaN) in others is not constant either
    mixed = df.copy()
    mixed.loc[1, "first"] = np.nan
    with pytest.raises(PanelError, match=r"not constant within unit for 1 unit\(s\), e\.g\. "
                       r"\[1\]"):
        build_panel(mixed, unit="city", time="year", cohort="first")


def test_cohort_column_must_be_numeric(df):
    bad = df.astype({"first": object})
    bad.loc[0:3, "first"] = "2016a"
    with pytest.raises(PanelError, match=r"Cohort column 'first' must hold periods \(numbers; "
                       r"0/NaN/inf = never treated\); 4 row\(s\) do not, e\.g\. \['2016a'\]\."):
        build_panel(bad, unit="city", time="year", cohort="first")


def test_fractional_cohorts(df):
    bad = df.assign(first=df["first"].where(df["city"] != 2, 2016.5))
    with pytest.raises(PanelError, match=r"Cohorts \(first treated periods\) must be "
                       r"integers; 1 unit\(s\) have a fractional one, e\.g\. \[2\]\."):
        build_panel(bad, unit="city", time="year", cohort="first")


@pytest.mark.parametrize("never", [0, np.nan, np.inf])
def test_never_treated_codings_equivalent(df, never):
    ref = build_panel(df, unit="city", time="year", cohort="first")
    coded = df.assign(first=df["first"].replace(np.inf, never))
    p = build_panel(coded, unit="city", time="year", cohort="first")
    np.testing.assert_array_equal(p.cohort, ref.cohort)
    assert p.notes == ref.notes
    mapping = {1: 2016, 2: 2017, 3: never, 4: never, 5: 2016}
    pm = build_panel(df, unit="city", time="year", cohort=mapping)
    np.testing.assert_array_equal(pm.cohort, ref.cohort)


def test_treatment_column_gives_the_same_cohorts(df):
    ref = build_panel(df, unit="city", time="year", cohort="first")
    p = build_panel(df, unit="city", time="year", treatment="d")
    np.testing.assert_array_equal(p.cohort, ref.cohort)
    np.testing.assert_array_equal(p.treated, ref.treated)
    boolean = build_panel(df.assign(d=df["d"].astype(bool)), unit="city", time="year",
                          treatment="d")
    np.testing.assert_array_equal(boolean.cohort, ref.cohort)


def test_treatment_that_switches_off(df):
    bad = df.copy()
    bad.loc[3, "d"] = 0  # unit 1: 0 0 1 0
    bad.loc[[17, 18], "d"] = [1, 0]  # unit 5: 0 1 0 1 ... made to switch off too
    with pytest.raises(PanelError, match=r"Treatment 'd' switches off \(1 then 0\) for 2 "
                       r"unit\(s\) \(\d+ rows\), e\.g\. \[1, 5\]\. Staggered adoption needs "
                       r"treatment that stays on"):
        build_panel(bad, unit="city", time="year", treatment="d")


def test_treatment_must_be_binary(df):
    bad = df.assign(d=df["d"] * 2)
    with pytest.raises(PanelError, match=r"Treatment column 'd' must be 0/1; 5 row\(s\) are "
                       r"not, e\.g\. \[2\]\."):
        build_panel(bad, unit="city", time="year", treatment="d")


def test_treatment_switch_off_checked_in_time_order(df):
    # rows in scrambled order: the derivation sorts by time first
    shuffled = df.sample(frac=1.0, random_state=4)
    p = build_panel(shuffled, unit="city", time="year", treatment="d")
    np.testing.assert_array_equal(p.cohort, [2016, 2017, np.inf, np.inf, 2016])


def test_late_cohorts_recoded_never_with_note(df):
    late = df.assign(first=df["first"].replace(2017, 2019))
    p = build_panel(late, unit="city", time="year", cohort="first")
    np.testing.assert_array_equal(p.cohort, [2016, np.inf, np.inf, np.inf, 2016])
    assert p.notes == (
        "1 unit(s) first treated after 2017 (cohorts [2019]) are never-treated within the "
        "sample.",
    )
    with pytest.raises(PanelError, match=r"1 unit\(s\) are first treated after the last "
                       r"period 2017, e\.g\. \[2\]\. Use late_cohorts='never'"):
        build_panel(late, unit="city", time="year", cohort="first", late_cohorts="error")


def test_always_treated_dropped_with_warning(df):
    early = df.assign(first=df["first"].where(~df["city"].isin([2, 4]), 2014))
    msg = (r"2 unit\(s\) \(8 rows\) are treated from the first period 2014 on \(always-treated; "
           r"no untreated period to compare\), e\.g\. \[2, 4\]\. They were dropped\.")
    with pytest.warns(DataDroppedWarning, match=msg):
        p = build_panel(early, unit="city", time="year", cohort="first")
    assert list(p.units) == [1, 3, 5] and p.n_obs == 12
    assert p.dropped.to_dict("records") == [
        {"reason": "always treated", "n_rows": 8, "n_units": 2, "examples": "[2, 4]"}
    ]
    assert p.notes[0].endswith("e.g. [2, 4]. Dropped.")
    assert p.notes[0].startswith("2 unit(s) (8 rows) are treated from the first period 2014")
    with pytest.raises(PanelError, match=msg.replace("They were dropped", "Drop them, or use "
                                                    r"always_treated='drop'")):
        build_panel(early, unit="city", time="year", cohort="first", always_treated="error")
    # treated before the sample starts is always-treated too
    before = df.assign(first=df["first"].where(df["city"] != 2, 2010))
    with pytest.warns(DataDroppedWarning, match=r"1 unit\(s\) \(4 rows\)"):
        build_panel(before, unit="city", time="year", cohort="first")


def test_every_unit_always_treated(df):
    with pytest.raises(PanelError, match="Every unit is always-treated; nothing is left"):
        _quiet(data=df.assign(first=2014), unit="city", time="year", cohort="first")


def test_no_never_treated_note(df):
    p = build_panel(df[df["city"].isin([1, 2])], unit="city", time="year", cohort="first")
    assert p.notes == ("No never-treated units: estimators need control='not_yet'.",)


def test_unbalanced_panel_kept_and_noted(df):
    short = df.drop(index=[0, 1, 9])
    p = build_panel(short, unit="city", time="year", cohort="first")
    assert not p.is_balanced and p.n_obs == 17
    assert p.notes == (
        "Unbalanced panel: 2 of 5 units are not observed in all 4 periods (3 unit-periods "
        "missing), e.g. [1, 3]. Kept.",
    )
    assert "unbalanced" in repr(p)


# --------------------------------------------------------------------------- mappings
def test_mapping_with_absent_and_extra_units(df):
    mapping = pd.Series({1: 2016, 2: 2017, 5: 2016, 99: 2015, 98: 2016})
    p = build_panel(df, unit="city", time="year", cohort=mapping)
    np.testing.assert_array_equal(p.cohort, [2016, 2017, np.inf, np.inf, 2016])
    assert p.notes == (
        "2 unit(s) of the cohort mapping are not in the data, e.g. [98, 99].",
        "2 unit(s) not in the cohort mapping are never-treated.",
    )
    p_dict = build_panel(df, unit="city", time="year", cohort=mapping.to_dict())
    np.testing.assert_array_equal(p_dict.cohort, p.cohort)


def test_mapping_errors(df):
    with pytest.raises(PanelError, match=r"No unit of column 'city' appears in the cohort "
                       r"mapping \(units look like \[1, 2, 3\], mapping keys like \['1', '2'\]\)"
                       r"\. Make the key types agree"):
        build_panel(df, unit="city", time="year", cohort={"1": 2016, "2": 2017})
    dup = pd.Series([2016, 2017], index=[1, 1])
    with pytest.raises(PanelError, match=r"The cohort mapping lists 1 unit\(s\) more than once, "
                       r"e\.g\. \[1\]\. Keep one first treated period per unit"):
        build_panel(df, unit="city", time="year", cohort=dup)
    with pytest.raises(PanelError, match=r"The cohort mapping must give periods; e\.g\. "
                       r"\['soon'\]"):
        build_panel(df, unit="city", time="year", cohort={1: "soon"})


# --------------------------------------------------------------------------- immutability
def test_caller_frame_unchanged(df):
    for kw in ({"cohort": "first"}, {"treatment": "d"}, {"cohort": {1: 2016}}):
        before = df.copy(deep=True)
        shuffled = df.sample(frac=1.0, random_state=2)
        shuffled_before = shuffled.copy(deep=True)
        early = df.assign(first=df["first"].where(df["city"] != 3, 2014))
        early_before = early.copy(deep=True)
        p = _quiet(data=df, unit="city", time="year", **kw)
        _quiet(data=shuffled, unit="city", time="year", **kw)
        _quiet(data=early, unit="city", time="year", cohort="first")
        pd.testing.assert_frame_equal(df, before)
        pd.testing.assert_frame_equal(shuffled, shuffled_before)
        pd.testing.assert_frame_equal(early, early_before)
        assert p.data is not df
    # string time converted in the panel only
    text = df.assign(year=df["year"].astype(str))
    text_before = text.copy(deep=True)
    build_panel(text, unit="city", time="year", cohort="first")
    pd.testing.assert_frame_equal(text, text_before)


def test_panel_is_frozen(df):
    p = build_panel(df, unit="city", time="year", cohort="first")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.unit = "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.cohort = np.zeros(5)
    for arr in (p.cohort, p.unit_id, p.period_id, p.periods):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0


# --------------------------------------------------------------------------- describe
def test_describe_adoption_table(df):
    short = df.drop(index=[0, 8])  # unit 1 (2016) and unit 3 (never) lose 2014
    p = build_panel(short, unit="city", time="year", cohort="first")
    table = p.describe()
    assert list(table.columns) == ["cohort", "n_units", "n_obs", "first_period", "last_period",
                                   "share_units"]
    assert table["cohort"].tolist() == [2016, 2017, "never"]
    assert table["n_units"].tolist() == [2, 1, 2]
    assert table["n_obs"].tolist() == [7, 4, 7]
    assert table["first_period"].tolist() == [2014, 2014, 2014]
    assert table["last_period"].tolist() == [2017, 2017, 2017]
    np.testing.assert_allclose(table["share_units"], [0.4, 0.2, 0.4], rtol=1e-15)


def test_describe_shows_integer_cohorts_and_never(df):
    p = build_panel(df, unit="city", time="year", cohort="first")
    table = p.describe()
    assert [type(g) for g in table["cohort"]] == [int, int, str]
    text = table.to_string()
    assert "2016.0" not in text and "inf" not in text
    assert text.splitlines()[1].split()[:2] == ["0", "2016"]
    assert text.splitlines()[-1].split()[:2] == ["2", "never"]
    # display only: the panel's own cohorts stay numbers, never-treated as inf
    assert p.cohorts.tolist() == [2016.0, 2017.0]
    assert np.isinf(p.unit_cohort).sum() == 2 and p.unit_cohort.dtype == float


# --------------------------------------------------------------------------- new panels
def test_window(df):
    p = build_panel(df, unit="city", time="year", cohort="first")
    w = p.window(2015, 2016)
    np.testing.assert_array_equal(w.periods, [2015, 2016])
    # the 2017 cohort (unit 2) is after the window: never-treated within it
    np.testing.assert_array_equal(w.cohort, [2016, np.inf, np.inf, np.inf, 2016])
    assert any("first treated after 2016" in n for n in w.notes)
    with pytest.warns(DataDroppedWarning, match=r"2 unit\(s\) \(4 rows\) are treated from the "
                      r"first period 2016 on"):
        w2 = p.window(start=2016)
    assert list(w2.units) == [2, 3, 4]
    assert w2.dropped["reason"].tolist() == ["always treated"]
    with pytest.raises(PanelError, match=r"No rows fall in the window 2030\.\.None; the panel "
                       r"covers 2014\.\.2017\."):
        p.window(2030)
    assert p.n_periods == 4  # the original is untouched


def test_window_keeps_drops_and_original_notes(df):
    early = df.assign(first=df["first"].where(df["city"] != 4, 2014))
    with pytest.warns(DataDroppedWarning):
        p = build_panel(early, unit="city", time="year", cohort="first")
    with pytest.warns(DataDroppedWarning):
        w = p.window(start=2016)
    assert w.dropped["reason"].tolist() == ["always treated", "always treated"]
    assert w.dropped["n_units"].tolist() == [1, 2]
    assert w.notes[0] == p.notes[0]


def test_window_notes_are_not_stale(df):
    short = df.drop(index=[0])  # unit 1 misses 2014
    p = build_panel(short, unit="city", time="year", cohort="first")
    assert p.notes[0].startswith("Unbalanced panel")
    w = p.window(2015, 2017)
    assert w.is_balanced
    assert not any(n.startswith("Unbalanced panel") for n in w.notes)
    q = build_panel(df[df["city"].isin([1, 2])], unit="city", time="year", cohort="first")
    assert q.window(2014, 2017).notes.count(
        "No never-treated units: estimators need control='not_yet'."
    ) == 1
    # a unit with no row left in the window is not reported as an unmatched mapping key
    gone = build_panel(df[(df["city"] != 4) | (df["year"] == 2014)], unit="city", time="year",
                       cohort="first")
    assert gone.window(2015).notes == ()


def test_drop_units(df):
    p = build_panel(df, unit="city", time="year", cohort="first")
    q = p.drop_units([2, 3])
    assert list(q.units) == [1, 4, 5]
    np.testing.assert_array_equal(q.cohort, [2016, np.inf, 2016])
    assert q.n_obs == 12 and p.n_units == 5
    with pytest.raises(PanelError, match=r"2 unit\(s\) to drop are not in the panel: "
                       r"\[7, 8\]\."):
        p.drop_units([1, 7, 8])
    with pytest.raises(PanelError, match="Dropping these units leaves an empty panel"):
        p.drop_units([1, 2, 3, 4, 5])


def test_with_cohort(df):
    p = build_panel(df, unit="city", time="year", cohort="first")
    q = p.with_cohort({1: 2015, 3: 2017})
    np.testing.assert_array_equal(q.cohort, [2015, np.inf, 2017, np.inf, np.inf])
    np.testing.assert_array_equal(p.cohort, [2016, 2017, np.inf, np.inf, 2016])
    assert "3 unit(s) not in the cohort mapping are never-treated." in q.notes
    with pytest.warns(DataDroppedWarning, match=r"1 unit\(s\) \(4 rows\) are treated from the "
                      r"first period"):
        r = p.with_cohort(pd.Series({1: 2014, 2: 2016}))
    assert list(r.units) == [2, 3, 4, 5]


# --------------------------------------------------------------------------- accessors
def test_column_and_usable_rows(df):
    data = df.assign(y=df["y"].where(~df.index.isin([1, 6]), np.nan), name="a")
    p = build_panel(data, unit="city", time="year", cohort="first")
    assert p.column("y").dtype == float
    with pytest.raises(SpecificationError, match=r"Column 'name' is not numeric \(dtype"):
        p.column("name")
    with pytest.raises(SpecificationError, match=r"Column 'z' not found in the data\."):
        p.column("z")
    with pytest.warns(DataDroppedWarning, match=r"2 row\(s\) of 20 dropped for missing values "
                      r"in \['y'\] \(2 unit\(s\) affected, e\.g\. \[1, 2\]\)\."):
        mask, notes = usable_rows(p, "y")
    assert mask.sum() == 18 and len(notes) == 1
    mask, notes = usable_rows(p, ["year"])
    assert mask.all() and notes == ()


@pytest.mark.parametrize("years", [[2001, 2005, 2100], [0, 10**9, 5 * 10**9]])
def test_period_codes_for_compact_and_sparse_integer_periods(years):
    # compact ranges are coded by counting, very sparse ones by sorting: same result
    df = pd.DataFrame({"u": np.repeat([3, 1], 3), "t": years[::-1] + years,
                       "g": np.repeat([years[1], 0], 3), "y": np.arange(6.0)})
    for dtype in ("int64", "int32" if max(years) < 2**31 else "float64"):
        panel = build_panel(df.astype({"t": dtype}), unit="u", time="t", cohort="g")
        np.testing.assert_array_equal(panel.periods, years)
        np.testing.assert_array_equal(panel.period_id, [0, 1, 2, 0, 1, 2])
        np.testing.assert_array_equal(panel.unit_id, [0, 0, 0, 1, 1, 1])
        np.testing.assert_array_equal(panel.data["y"], [3.0, 4.0, 5.0, 2.0, 1.0, 0.0])
        np.testing.assert_array_equal(panel.cohort, [np.inf, years[1]])


def test_late_cohort_judged_on_the_sample_left_after_always_treated_units_go():
    """Found by the property suite: the always-treated units alone were observed in 2002, so
    after they are dropped the sample ends in 2001 and a 2002 cohort is never treated within
    it (it was kept as 2002, a cohort with no observed period)."""
    df = pd.DataFrame({"unit": [101, 134, 111, 153, 153, 143, 143],
                       "year": [2001, 2001, 2001, 2001, 2002, 2001, 2002],
                       "g": [0, 2002, 2002, 2001, 2001, 2001, 2001],
                       "y": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]})
    with pytest.warns(DataDroppedWarning, match=r"2 unit\(s\) \(4 rows\) are treated from"):
        panel = build_panel(df, unit="unit", time="year", cohort="g")
    assert list(panel.periods) == [2001]
    assert panel.unit_cohort.to_dict() == {101: np.inf, 111: np.inf, 134: np.inf}
    assert any("2 unit(s) first treated after 2001 (cohorts [2002])" in n for n in panel.notes)


# --------------------------------------------------------------------------- fast paths
def _assert_same_panel(a: Panel, b: Panel) -> None:
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_index_equal(a.units, b.units, exact=True)
    for name in ("periods", "unit_id", "period_id", "cohort"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).dtype == getattr(b, name).dtype, name
    assert a.notes == b.notes and a.fingerprint == b.fingerprint


_UNIT_SETS = [
    [5, 7, 9, 11],                       # sorted integer codes (counted, no hashing)
    [11, 3, 7, 5],                       # a compact integer range out of order
    [10**12, 3, 7 * 10**11, 5],          # sparse integers (sorted)
    [-4, 2, -9, 0],                      # negative codes
    ["b", "a", "d", "c"],                # text: hashed by pandas
]


def _fits(units, dtype) -> bool:
    """Whether the unit codes can be held in ``dtype`` (None: as given)."""
    if dtype is None:
        return True
    if isinstance(units[0], str):
        return False
    return not ((dtype.startswith("uint") and min(units) < 0)
                or (dtype in ("int32", "uint16") and max(units) > 2**15))


@pytest.mark.parametrize(("units", "dtype"), [
    (u, d) for u in _UNIT_SETS for d in [None, "int32", "uint16", "uint64", "float64"]
    if _fits(u, d)])
def test_sorted_and_shuffled_input_give_identical_panels(units, dtype):
    """The integer fast paths of the unit codes and of the sortedness test agree with
    pandas' factorize + sort: a shuffled frame (any index) builds the very same Panel."""
    rng = np.random.default_rng(3)
    years = [2010, 2011, 2012, 2013, 2014]
    df = pd.DataFrame({"u": np.repeat(sorted(units), len(years)),
                       "t": np.tile(years, len(units)),
                       "y": rng.normal(size=len(units) * len(years))})
    if dtype is not None:
        df["u"] = df["u"].astype(dtype)
    cohorts = dict(zip(sorted(units), [2012, 0, 2013, 2012], strict=True))
    df["g"] = df["u"].map(cohorts)
    expected_units = pd.Index(sorted(df["u"].unique()), name="u")
    for kw in ({"cohort": "g"}, {"cohort": cohorts}):
        ref = build_panel(df, unit="u", time="t", **kw)
        pd.testing.assert_index_equal(ref.units, expected_units, exact=True)
        for seed in range(3):
            shuffled = df.sample(frac=1.0, random_state=seed)
            before = shuffled.copy(deep=True)
            _assert_same_panel(build_panel(shuffled, unit="u", time="t", **kw), ref)
            pd.testing.assert_frame_equal(shuffled, before)
        # descending units, and an index that is not 0..n-1
        rev = df.iloc[::-1].set_index(pd.Index(np.arange(len(df)) * 2, name="row"))
        _assert_same_panel(build_panel(rev, unit="u", time="t", **kw), ref)


def test_sorted_input_is_not_copied_but_stays_independent(df):
    """In order already: no sort; the panel and the caller's frame may share memory until
    either is changed, and a change to one never reaches the other."""
    before = df.copy(deep=True)
    p = build_panel(df, unit="city", time="year", cohort="first")
    data = p.data
    data.loc[0, "y"] = 99.0
    data["y"] += 1
    pd.testing.assert_frame_equal(df, before)
    df.loc[0, "y"] = -99.0
    df["first"] = 0.0
    assert p.data.loc[0, "y"] == before.loc[0, "y"]
    np.testing.assert_array_equal(p.data["first"], before["first"])


def test_duplicates_found_in_sorted_and_unsorted_input(df):
    dup = pd.concat([df, df.iloc[[5]]]).sort_values(["city", "year"], kind="stable")
    for frame in (dup, dup.iloc[::-1]):
        with pytest.raises(PanelError, match=r"2 rows share a unit-period"):
            build_panel(frame, unit="city", time="year", cohort="first")


def test_integer_cohort_column_never_codings_and_within_unit_check(df):
    ints = df.assign(first=df["first"].replace(np.inf, 0).astype(int))
    p = build_panel(ints, unit="city", time="year", cohort="first")
    np.testing.assert_array_equal(p.cohort, [2016, 2017, np.inf, np.inf, 2016])
    bad = ints.assign(first=ints["first"].where(ints.index != 9, 2015))  # unit 3: 0 and 2015
    with pytest.raises(PanelError, match=r"not constant within unit for 1 unit\(s\), e\.g\. "
                       r"\[3\]"):
        build_panel(bad, unit="city", time="year", cohort="first")


# ------------------------------------------------------------ derived panels (issue #16)


def _small_panel():
    df = pd.DataFrame({"city": np.repeat([1, 2, 3], 3), "year": np.tile([2015, 2016, 2017], 3),
                       "y": np.arange(9, dtype=float)})
    return df, build_panel(df, unit="city", time="year", cohort={1: 2016, 2: 2017})


def test_with_columns_adds_without_touching_the_original():
    df, p = _small_panel()
    before = df.copy()
    q = p.with_columns({"z": np.arange(9) * 2.0}, notes=["z derived"])
    np.testing.assert_array_equal(q.column("z"), np.arange(9) * 2.0)
    assert "z" not in p.data.columns and q.notes[-1] == "z derived"
    assert q.fingerprint == p.fingerprint  # same rows and cohorts
    pd.testing.assert_frame_equal(df, before)
    np.testing.assert_array_equal(q.unit_id, p.unit_id)
    pd.testing.assert_series_equal(q.unit_cohort, p.unit_cohort)


def test_with_columns_errors():
    _, p = _small_panel()
    with pytest.raises(SpecificationError, match=r"Column 'z' has shape \(3,\); a panel column "
                       r"needs one value per row \(9\)"):
        p.with_columns({"z": [1, 2, 3]})
    with pytest.raises(SpecificationError, match="Column 'y' is already in the panel.*"
                       "overwrite=True"):
        p.with_columns({"y": np.zeros(9)})
    with pytest.raises(SpecificationError, match="'year' is the panel's unit or time column"):
        p.with_columns({"year": np.zeros(9)}, overwrite=True)
    q = p.with_columns({"y": np.ones(9)}, overwrite=True)
    np.testing.assert_array_equal(q.column("y"), np.ones(9))


def test_subset_keeps_rows_and_cohorts():
    _, p = _small_panel()
    keep = p.data["year"].to_numpy() < 2017
    q = p.subset(keep, notes=["last year dropped"])
    assert q.n_obs == 6 and q.notes[-1] == "last year dropped"
    # unit 2's pilot (2017) is kept as its cohort, as the drop_units / window rules do
    assert q.unit_cohort.loc[1] == 2016
    only3 = p.subset(p.data["city"].to_numpy() == 3)
    assert list(only3.units) == [3]
    moved = p.subset(np.ones(9, dtype=bool), cohort={1: 2017})
    assert moved.unit_cohort.loc[1] == 2017 and np.isinf(moved.unit_cohort.loc[2])
    with pytest.raises(SpecificationError, match="rows must be a boolean array with one flag "
                       r"per panel row \(9\)"):
        p.subset(np.ones(3, dtype=bool))
    with pytest.raises(PanelError, match="keeps no row"):
        p.subset(np.zeros(9, dtype=bool))


def test_derived_panels_go_through_the_panel_api():
    """No module outside panel.py swaps a panel's data with dataclasses.replace or calls its
    private _rebuild: derived columns and row subsets use with_columns / subset."""
    import re
    from pathlib import Path

    import did_zones

    root = Path(did_zones.__file__).parent
    offenders = [f"{path.relative_to(root)}:{i}"
                 for path in root.rglob("*.py") if path.name != "panel.py"
                 for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"replace\([^)]*\bdata=|\._rebuild\(", line)]
    assert offenders == []
