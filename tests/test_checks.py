"""did_zones.validation (formerly _checks) and the rules it makes common to every estimator (issue #14)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import EstimationError
from did_zones.result import Result
from did_zones.validation import check_outcome_varies

ESTIMATORS = {
    "twfe": dz.twfe,
    "event_study": dz.event_study,
    "sun_abraham": dz.sun_abraham,
    "callaway_santanna": dz.callaway_santanna,
    "imputation": dz.imputation,
    "did2s": dz.did2s,
    "dcdh": dz.dcdh,
    "bacon_decomposition": dz.bacon_decomposition,
}


def _frame(n_units: int = 8, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cohorts = [2012, 2012, 2014, 2014] + [0] * (n_units - 4)
    df = pd.DataFrame({"city": np.repeat(np.arange(n_units), 6),
                       "year": np.tile(np.arange(2010, 2016), n_units),
                       "g": np.repeat(cohorts, 6)})
    df["y"] = rng.normal(size=len(df)) + (df["year"] >= df["g"]) * (df["g"] > 0)
    return df


def _panel(df: pd.DataFrame) -> dz.Panel:
    return dz.build_panel(df, unit="city", time="year", cohort="g")


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("value", [1.0, 0.0, 3e9])
def test_constant_outcome_is_an_error_in_every_estimator(name, value):
    # issue #14: event_study / sun_abraham raised ZeroDivisionError, the others returned 0
    # with a standard error of 0
    panel = _panel(_frame().assign(y=value))
    with pytest.raises(EstimationError, match=r"Outcome 'y' is constant: all 48 row\(s\) "
                       r"with a value equal .*no variation to estimate an effect from"):
        ESTIMATORS[name](panel, "y")


def test_constant_outcome_ignores_missing_rows():
    df = _frame()
    df["y"] = np.where(df.index % 7 == 0, np.nan, 2.5)
    with pytest.raises(EstimationError, match=r"all 41 row\(s\) with a value equal 2\.5"):
        check_outcome_varies(df["y"].to_numpy(), "y")


def test_small_but_real_variation_is_not_constant():
    check_outcome_varies(np.array([1e9, 1e9 + 1e-3]), "y")  # relative 1e-12: real
    check_outcome_varies(np.array([1e-30, 2e-30]), "y")


def test_zero_standard_error_is_not_significant():
    res = Result(estimate=pd.Series({"a": 1.0, "b": 2.0}),
                 vcov=pd.DataFrame(np.diag([0.0, 4.0]), index=["a", "b"], columns=["a", "b"]),
                 keys=pd.DataFrame(index=["a", "b"]), method="test", outcome="y", spec={},
                 n_obs=10, n_units=5)
    assert np.isnan(res.statistic["a"]) and np.isnan(res.p_value["a"])
    assert res.statistic["b"] == pytest.approx(1.0)
    test = res.wald_test(["a"])
    assert np.isnan(test.statistic) and np.isnan(test.p_value)


WEIGHTED = {name: fn for name, fn in ESTIMATORS.items() if name != "dcdh"}
WEIGHTED["twfe_weights"] = dz.twfe_weights


@pytest.mark.parametrize("name", WEIGHTED)
@pytest.mark.parametrize("bad, kind", [(0.0, "zero"), (-1.0, "negative"),
                                       (np.nan, "missing"), (np.inf, "infinite")])
def test_one_weights_rule_for_every_estimator(name, bad, kind):
    # issue #14: twfe rejected zero weights while callaway_santanna accepted them
    df = _frame().assign(w=1.0)
    df.loc[df["city"] == 5, "w"] = bad
    with pytest.raises(dz.SpecificationError,
                       match=rf"Weights 'w' must be positive and finite; 6 row\(s\) are not "
                       rf"\(6 {kind}\), e.g. units \[5\]\. Every estimator rejects zero"):
        WEIGHTED[name](_panel(df), "y", weights="w")


def test_all_zero_weights_in_callaway_santanna():
    # issue #14: NaN estimates with raw numpy RuntimeWarnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(dz.SpecificationError, match=r"48 row\(s\) are not \(48 zero\)"):
            dz.callaway_santanna(_panel(_frame().assign(w=0.0)), "y", weights="w")


@pytest.mark.parametrize("name", WEIGHTED)
def test_positive_weights_accepted_by_every_estimator(name):
    df = _frame(n_units=10).assign(w=lambda d: 1 + d["city"] % 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        WEIGHTED[name](_panel(df), "y", weights="w")


@pytest.mark.parametrize("index", [["city", "year"], ["city"], ["year"]])
def test_role_column_in_the_index_gets_reset_index_hint(index):
    # issue #14: "Column 'city' not found" with no hint when (city, year) was the index
    df = _frame().set_index(index)
    with pytest.raises(dz.SpecificationError, match=(
            rf"Column '{index[0]}' not found in the data: it is a level of the index, not a "
            r"column\. Move the index into columns first, e\.g\. df\.reset_index\(\)\.")):
        dz.build_panel(df, unit="city", time="year", cohort="g")
    dz.build_panel(df.reset_index(), unit="city", time="year", cohort="g")
