"""did_zones.dml_did: double/debiased machine-learning DiD (Chang 2020) against DoubleML.

Reference: DoubleML 0.11.4 (``DoubleMLDID``, ``DoubleMLDIDCS``, ``DoubleMLDIDMulti`` and its
``aggregate``) on its own example data, with the sample splits did_zones draws from its seed
handed to DoubleML (``set_sample_splitting``) and deterministic learners, frozen under
``tests/reference/dml/`` (PROVENANCE.md). Estimates must agree to 1e-6 relative, standard
errors to 1e-4. The live tests rerun DoubleML (skipped only when it is not installed).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dml_cases import (
    AGGREGATIONS,
    MULTI,
    TWO_PERIOD,
    X_COLS,
    cs2021_panel,
    splits,
    sz_cross_section,
    sz_panel,
)

import did_zones as dz
from did_zones.errors import (
    EstimationError,
    InferenceWarning,
    SpecificationError,
)

REF = Path(__file__).parent / "reference" / "dml"
FROZEN = json.loads((REF / "doubleml_reference.json").read_text())
SEED, K = FROZEN["seed"], FROZEN["n_folds"]


def _quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


@pytest.fixture(scope="module")
def data():
    return {"panel": pd.read_csv(REF / "sz2020_panel.csv"),
            "cs": pd.read_csv(REF / "sz2020_cross_section.csv"),
            "multi": pd.read_csv(REF / "cs2021_panel.csv")}


def _two_period_panel(data, opts):
    cs = opts["data_type"] == "cross_section"
    return sz_cross_section(data["cs"]) if cs else sz_panel(data["panel"])


# --------------------------------------------------------------- frozen DoubleML numbers


@pytest.mark.parametrize("name", list(TWO_PERIOD))
def test_two_period_matches_doubleml(data, name):
    opts, ref = TWO_PERIOD[name], FROZEN["cases"][name]
    res = _quiet(dz.dml_did, _two_period_panel(data, opts), "y", controls=X_COLS,
                 learner="linear", n_folds=K, seed=SEED, **opts)
    assert res.terms == ["ATT(1,1)"]
    np.testing.assert_array_equal(res.extra["folds"]["ATT(1,1)"][0], ref["folds"][0])
    np.testing.assert_allclose(res.estimate.iloc[0], ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(res.std_error.iloc[0], ref["se"], rtol=1e-4)


@pytest.mark.parametrize("name", list(MULTI))
def test_multi_cells_and_aggregations_match_doubleml(data, name):
    ref = FROZEN["cases"][name]
    res = _quiet(dz.dml_did, cs2021_panel(data["multi"]), "y", controls=X_COLS,
                 learner="linear", n_folds=K, seed=SEED, **MULTI[name])
    assert sorted(res.terms) == sorted(ref["cells"])
    for label, cell in ref["cells"].items():
        np.testing.assert_array_equal(res.extra["folds"][label][0], cell["folds"][0])
        assert res.keys.loc[label, "base"] == cell["base"]
    coef = np.array([ref["cells"][t]["coef"] for t in res.terms])
    se = np.array([ref["cells"][t]["se"] for t in res.terms])
    np.testing.assert_allclose(res.estimate.to_numpy(), coef, rtol=1e-6)
    np.testing.assert_allclose(res.std_error.to_numpy(), se, rtol=1e-4)
    for kind, agg_ref in ref["aggregations"].items():
        agg = dz.aggregate(res, kind)
        assert agg.method == "dml_did" and agg.terms[0] == "overall"
        np.testing.assert_allclose(agg.estimate.iloc[0], agg_ref["overall_coef"], rtol=1e-6)
        np.testing.assert_allclose(agg.std_error.iloc[0], agg_ref["overall_se"], rtol=1e-4)
        np.testing.assert_allclose(agg.estimate.iloc[1:], agg_ref["coef"], rtol=1e-6)
        np.testing.assert_allclose(agg.std_error.iloc[1:], agg_ref["se"], rtol=1e-4)
        labels = [float(v) for v in agg_ref["names"]]
        col = {"event": "event_time", "cohort": "cohort", "calendar": "time"}[kind]
        np.testing.assert_array_equal(agg.keys[col].to_numpy()[1:], labels)


# ------------------------------------------------------------------- live DoubleML runs


def _doubleml():
    return pytest.importorskip("doubleml")


def test_live_random_forest_panel(data):
    dml = _doubleml()
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    g = RandomForestRegressor(n_estimators=30, max_depth=4, random_state=3)
    m = RandomForestClassifier(n_estimators=30, max_depth=4, random_state=3)
    panel = sz_panel(data["panel"])
    res = _quiet(dz.dml_did, panel, "y", controls=X_COLS, ml_g=g, ml_m=m, n_folds=K,
                 n_rep=3, seed=7)
    obj = _quiet(dml.DoubleMLDID, dml.DoubleMLDIDData(data["panel"], "y", "d", x_cols=X_COLS),
                 g, m, n_folds=K, n_rep=3, draw_sample_splitting=False)
    obj.set_sample_splitting(splits(res.extra["folds"]["ATT(1,1)"], K))
    _quiet(obj.fit)
    np.testing.assert_allclose(res.estimate.iloc[0], obj.coef[0], rtol=1e-6)
    np.testing.assert_allclose(res.std_error.iloc[0], obj.se[0], rtol=1e-4)
    np.testing.assert_allclose(res.extra["rep_estimates"].to_numpy()[0], obj.all_coef[0],
                               rtol=1e-6)
    assert not hasattr(g, "estimators_")  # the caller's learner is never fitted


def test_live_multi_with_repetitions(data):
    _doubleml()
    import doubleml as dml
    from doubleml.did import DoubleMLDIDMulti
    from sklearn.linear_model import LinearRegression, LogisticRegression

    df = data["multi"]
    res = _quiet(dz.dml_did, cs2021_panel(df), "y", controls=X_COLS, learner="linear",
                 n_folds=3, n_rep=2, seed=11, control="not_yet")
    obj = DoubleMLDIDMulti(dml.DoubleMLPanelData(df, "y", "d", "t", "id", x_cols=X_COLS),
                           LinearRegression(), LogisticRegression(C=1.0, max_iter=1000),
                           control_group="not_yet_treated", n_folds=3, n_rep=2)
    for sub in obj.modellist:
        sub.set_sample_splitting(
            splits(res.extra["folds"][f"ATT({sub.g_value:g},{sub.t_value_eval:g})"], 3))
    _quiet(obj.fit)
    order = [f"ATT({s.g_value:g},{s.t_value_eval:g})" for s in obj.modellist]
    np.testing.assert_allclose(res.estimate[order].to_numpy(), obj.coef, rtol=1e-6)
    np.testing.assert_allclose(res.std_error[order].to_numpy(), obj.se, rtol=1e-4)
    for kind, theirs in AGGREGATIONS.items():
        agg, ref = dz.aggregate(res, kind), _quiet(obj.aggregate, theirs)
        np.testing.assert_allclose(agg.estimate.iloc[1:], ref.aggregated_frameworks.thetas,
                                   rtol=1e-6)
        np.testing.assert_allclose(agg.std_error.iloc[1:], ref.aggregated_frameworks.ses,
                                   rtol=1e-4)
        np.testing.assert_allclose(agg.estimate.iloc[0],
                                   ref.overall_aggregated_framework.thetas[0], rtol=1e-6)
        np.testing.assert_allclose(agg.std_error.iloc[0],
                                   ref.overall_aggregated_framework.ses[0], rtol=1e-4)
