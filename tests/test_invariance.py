"""Invariances every estimator must satisfy (issue #3): row order, unit relabelling and a
constant added to the outcome leave estimates and standard errors unchanged; the caller's
DataFrame is never modified.

Data: a simulated staggered panel (60 units x 8 periods, three cohorts and never-treated
units, heterogeneous dynamic effects, a time-varying control). Estimates must agree to
1e-10 relative (they are the same numbers computed in another order) and standard errors
to 1e-8 (bootstrap-free analytic variances; summation order may differ).
"""

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.estimators import REGISTRY, get_estimator

pytestmark = pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")

OPTIONS = {  # options that make each estimator report event-time terms where it has them
    "dcdh": {"window": (-3, 2)},
    "iv_did": {"endogenous": "m"},  # the pilot instruments m, which it moves
    "triple_difference": {"group": "q"},  # q: a time-invariant eligibility partition
    "dml_did": {"controls": "x", "learner": "linear"},  # controls are required
}
EXTRA: dict = {}  # the registry holds every estimator, the diagnostics included


def _frame(seed=11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, years = 60, np.arange(2001, 2009)
    cohort = rng.choice([2003, 2005, 2007, 0], size=n, p=[0.25, 0.25, 0.2, 0.3])
    unit = np.repeat(np.arange(100, 100 + n), years.size)
    year = np.tile(years, n)
    g = np.repeat(cohort, years.size)
    d = (g > 0) & (year >= g)
    x = rng.normal(size=unit.size)
    y = (np.repeat(rng.normal(size=n), years.size) + 0.1 * (year - 2000) + 0.5 * x
         + np.where(d, 1 + 0.3 * (year - g) + (g == 2003), 0.0) + rng.normal(size=unit.size))
    m = 0.8 * d + rng.normal(size=unit.size)
    return pd.DataFrame({"unit": unit, "year": year, "cohort": g, "y": y, "x": x, "m": m,
                         "q": (unit % 3 == 0).astype(int)})


def _fit(name, df):
    panel = dz.build_panel(df, unit="unit", time="year", cohort="cohort")
    fn = EXTRA.get(name) or get_estimator(name)
    return fn(panel, "y", **OPTIONS.get(name, {}))


# estimators whose design the staggered frame above does not fit, with their own invariance
# tests (row order, a constant added to the outcome, the caller's frame)
OWN_TESTS = {"continuous_did": "tests/test_continuous.py, tests/test_continuous_staggered.py (dose designs)"}
NAMES = sorted(n for n in REGISTRY if n not in OWN_TESTS)
# estimators whose numbers legitimately depend on the units' order: dml_did draws its
# cross-fitting folds over the units in sorted order, so relabelling them redraws the folds
# (row order and the other invariances still hold exactly; see tests/test_dml.py)
RELABEL_VARIES = {"dml_did"}


def _same(a: dz.Result, b: dz.Result):
    assert list(a.estimate.index) == list(b.estimate.index)
    np.testing.assert_allclose(a.estimate.to_numpy(), b.estimate.to_numpy(), rtol=1e-10, atol=1e-12)
    if not hasattr(a, "std_error"):  # the diagnostics (BaconDecomposition, TwfeWeights)
        assert a.n_obs == b.n_obs and a.n_units == b.n_units
        return
    sa, sb = a.std_error.to_numpy(), b.std_error.to_numpy()
    assert np.array_equal(np.isnan(sa), np.isnan(sb))
    ok = ~np.isnan(sa)
    np.testing.assert_allclose(sa[ok], sb[ok], rtol=1e-8, atol=1e-12)
    assert a.n_obs == b.n_obs and a.n_units == b.n_units


@pytest.mark.parametrize("name", NAMES)
def test_row_order(name):
    df = _frame()
    _same(_fit(name, df), _fit(name, df.sample(frac=1.0, random_state=3)))


@pytest.mark.parametrize("name", [n for n in NAMES if n not in RELABEL_VARIES])
def test_unit_relabelling(name):
    df = _frame()
    # reverse the order of the unit codes and make them strings
    relabel = {u: f"c{999 - u}" for u in df["unit"].unique()}
    _same(_fit(name, df), _fit(name, df.assign(unit=df["unit"].map(relabel))))


@pytest.mark.parametrize("name", NAMES)
def test_constant_added_to_outcome(name):
    df = _frame()
    _same(_fit(name, df), _fit(name, df.assign(y=df["y"] + 1000.0)))


@pytest.mark.parametrize("name", NAMES)
def test_caller_frame_unchanged(name):
    df = _frame()
    before = df.copy()
    _fit(name, df)
    pd.testing.assert_frame_equal(df, before)
