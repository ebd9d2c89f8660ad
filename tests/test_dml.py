"""did_zones.dml_did: double/debiased machine-learning DiD (Chang 2020) against DoubleML.

Reference: DoubleML 0.11.4 (``DoubleMLDID``, ``DoubleMLDIDCS``, ``DoubleMLDIDMulti`` and its
``aggregate``) on its own example data, with the sample splits did_zones draws from its seed
handed to DoubleML (``set_sample_splitting``) and deterministic learners, frozen under
``tests/reference/dml/`` (PROVENANCE.md). Estimates must agree to 1e-6 relative, standard
errors to 1e-4. The live tests rerun DoubleML (skipped only when it is not installed).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import quiet as _quiet
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
    InferenceWarning,
    SpecificationError,
)

REF = Path(__file__).parent / "reference" / "dml"
FROZEN = json.loads((REF / "doubleml_reference.json").read_text())
SEED, K = FROZEN["seed"], FROZEN["n_folds"]




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
    return pytest.importorskip(
        "doubleml", reason="doubleml is not installed; install it with pip install "
        "'.[test]' (the frozen DoubleML reference tests run without it)")


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


# ----------------------------------------------------------- simulator: MC with known truth


def test_monte_carlo_recovers_truth_where_unconditional_cs_is_biased():
    """benchmarks/coverage_dml.py, 10 draws with 30 trees: the simulator's pilots are
    selected on GDP and the added trend is nonlinear in it, with 20 noise controls. The DML
    mean is within 3 Monte-Carlo standard errors of the true ATT (0.015); the unconditional
    Callaway-Sant'Anna mean is not (the confounding is real). The 200-draw run with coverage
    is in the benchmark's docstring."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import coverage_dml

    draws = pd.DataFrame([coverage_dml.draw(r, trees=30) for r in range(10)])
    truth = draws["truth"].iloc[0]
    np.testing.assert_allclose(draws["truth"], 0.015, rtol=1e-10)
    for name, biased in (("dml", False), ("cs", True)):
        err = draws[name] - truth
        bound = 3 * err.std() / np.sqrt(len(err))
        assert bool(abs(err.mean()) > bound) is biased, (name, err.mean(), bound)


# ------------------------------------------------------------------ small panel, bad input


def _frame(n=80, seed=3):
    rng = np.random.default_rng(seed)
    years = np.arange(2001, 2006)
    g = rng.choice([2003, 2004, 0], size=n, p=[0.3, 0.3, 0.4])
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    unit = np.repeat(np.arange(n), years.size)
    year = np.tile(years, n)
    gg = np.repeat(g, years.size)
    d = (gg > 0) & (year >= gg)
    y = (np.repeat(rng.normal(size=n) + x1, years.size) + 0.2 * (year - 2000)
         + 0.3 * np.repeat(x1**2, years.size) * (year - 2000) + 1.5 * d
         + rng.normal(size=unit.size))
    return pd.DataFrame({"u": unit, "t": year, "g": gg, "y": y,
                         "x1": np.repeat(x1, years.size), "x2": np.repeat(x2, years.size)})


def _panel(df):
    return dz.build_panel(df, "u", "t", cohort="g")


def test_missing_controls_and_columns_are_refused():
    panel = _panel(_frame())
    with pytest.raises(SpecificationError, match="dml_did needs controls"):
        dz.dml_did(panel, "y")
    with pytest.raises(SpecificationError, match="'x3'"):
        dz.dml_did(panel, "y", controls=["x1", "x3"])


def test_non_numeric_and_constant_controls_are_refused():
    df = _frame().assign(label="a", one=1.0)
    with pytest.raises(SpecificationError, match="'label' is not numeric"):
        dz.dml_did(_panel(df), "y", controls=["x1", "label"])
    with pytest.raises(SpecificationError,
                       match=r"Control\(s\) \['one'\] are constant over all 400 usable rows "
                             r"\(80 units\).*Drop them"):
        dz.dml_did(_panel(df), "y", controls=["x1", "one"])


def test_learner_without_fit_predict_is_refused():
    panel = _panel(_frame())

    class NoPredict:
        def fit(self, X, y):
            return self

    with pytest.raises(SpecificationError, match="ml_g must be a regressor.*lacks predict"):
        dz.dml_did(panel, "y", controls="x1", ml_g=NoPredict())
    from sklearn.linear_model import LinearRegression

    with pytest.raises(SpecificationError, match="ml_m must be a classifier.*predict_proba"):
        dz.dml_did(panel, "y", controls="x1", ml_m=LinearRegression())
    with pytest.raises(SpecificationError, match="learner"):
        dz.dml_did(panel, "y", controls="x1", learner="xgboost")


def test_perfect_separation_is_clipped_and_warned():
    df = _frame()
    df["sep"] = np.where(df["g"] == 2003, 5.0, 0.0) + 0.01 * df["x2"]
    with pytest.warns(InferenceWarning, match=r"propensity scores outside \[0\.01, 0\.99\] "
                      r"were clipped in \d+ comparison\(s\) \(clipped/units: ATT\(2003,"):
        res = dz.dml_did(_panel(df), "y", controls=["sep", "x1"], learner="linear",
                         control="never")
    assert (res.extra["propensity_clipped"] > 0).any()
    assert any("were clipped" in n for n in res.notes)


def test_too_many_folds_for_a_cohort():
    df = _frame()
    with pytest.raises(SpecificationError, match="all skipped.*Lower n_folds"):
        dz.dml_did(_panel(df), "y", controls="x1", n_folds=60, learner="linear")


def test_callers_frame_unchanged_and_learner_unfitted():
    from sklearn.linear_model import LinearRegression

    df = _frame()
    before = df.copy()
    g = LinearRegression()
    dz.dml_did(_panel(df), "y", controls=["x1", "x2"], ml_g=g, learner="linear")
    pd.testing.assert_frame_equal(df, before)
    assert not hasattr(g, "coef_")


def test_assumptions_are_stated_in_extra_notes_and_summary():
    res = _quiet(dz.dml_did, _panel(_frame()), "y", controls=["x1"], learner="linear")
    assert res.extra["assumptions"].startswith("DML-DiD assumptions: (1) conditional parallel")
    assert res.extra["assumptions"] in res.notes
    text = res.summary()
    assert "conditional parallel trends" in text and "overlap" in text
    from did_zones.tables.zh_notes import translate_note, untranslated

    zh = translate_note(res.extra["assumptions"])
    assert "条件平行趋势" in zh and untranslated(zh) == []
    agg = dz.aggregate(res, "event")
    assert agg.extra["assumptions"] == res.extra["assumptions"]


def test_seed_reproducible_and_changes_folds():
    panel = _panel(_frame())
    a = _quiet(dz.dml_did, panel, "y", controls=["x1", "x2"], learner="linear", seed=5)
    b = _quiet(dz.dml_did, panel, "y", controls=["x1", "x2"], learner="linear", seed=5)
    c = _quiet(dz.dml_did, panel, "y", controls=["x1", "x2"], learner="linear", seed=6)
    np.testing.assert_array_equal(a.estimate, b.estimate)
    assert a.spec["seed"] == 5
    assert not np.array_equal(a.extra["folds"]["ATT(2003,2003)"],
                              c.extra["folds"]["ATT(2003,2003)"])


def test_folds_are_stratified_and_balanced():
    from did_zones.estimators._dml_core import stratified_folds

    strata = np.r_[np.zeros(53), np.ones(17)].astype(int)
    f = stratified_folds(strata, 5, np.random.default_rng(1))
    for s in (0, 1):
        counts = np.bincount(f[strata == s], minlength=5)
        assert counts.max() - counts.min() <= 1


def test_aggregation_weights_by_hand():
    """Event-time terms are cohort-share weighted means of the cells, the overall event
    effect the mean of the e >= 0 terms; the influence functions give the vcov."""
    res = _quiet(dz.dml_did, _panel(_frame()), "y", controls=["x1"], learner="linear")
    agg = dz.aggregate(res, "event")
    share = res.extra["cohort_share"]
    e0 = res.keys["event_time"] == 0
    cells = res.estimate[e0]
    w = share.reindex(res.keys.loc[e0, "cohort"]).to_numpy()
    np.testing.assert_allclose(agg.estimate["ATT(e=0)"], w @ cells.to_numpy() / w.sum(),
                               rtol=1e-12)
    post = [t for t in agg.terms[1:] if agg.keys.loc[t, "event_time"] >= 0]
    np.testing.assert_allclose(agg.estimate["overall"], agg.estimate[post].mean(), rtol=1e-12)
    psi = agg.influence
    np.testing.assert_allclose(agg.vcov.to_numpy(), psi.T @ psi / psi.shape[0] ** 2,
                               rtol=1e-10)


# ------------------------------------------------------------------------- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=5, deadline=None)
@given(shuffle=st.integers(0, 2**31 - 1))
def test_row_order_invariance(shuffle):
    df = _frame()
    panel = _panel(df)
    a = _quiet(dz.dml_did, panel, "y", controls=["x1", "x2"], learner="linear", seed=2)
    b = _quiet(dz.dml_did, _panel(df.sample(frac=1.0, random_state=shuffle)), "y",
               controls=["x1", "x2"], learner="linear", seed=2)
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-10)
    np.testing.assert_allclose(a.std_error, b.std_error, rtol=1e-8)


def test_honest_did_reads_the_universal_event_study():
    df = _frame()
    res = _quiet(dz.dml_did, _panel(df), "y", controls=["x1"], learner="linear",
                 base_period="universal")
    event = dz.aggregate(res, "event")
    assert event.keys["event_time"].tolist()[1:] == [-3.0, -2.0, 0.0, 1.0, 2.0]
    honest = _quiet(dz.honest_did, event)
    assert honest is not None
    varying = _quiet(dz.dml_did, _panel(df), "y", controls=["x1"], learner="linear")
    with pytest.raises(SpecificationError, match="DML-DiD pre-period estimates with "
                       "base_period='varying'"):
        dz.honest_did(dz.aggregate(varying, "event"))


def test_fast_paths_equal_scikit_learn():
    """The OLS and converged-logit shortcuts of the cross-fitting give scikit-learn's
    answers: OLS to 1e-10, the logit to scikit-learn run to tol=1e-12; an unpenalised logit
    under perfect separation falls back to scikit-learn itself."""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from did_zones.estimators._dml_core import _fast_kind, _fit_predict

    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=300)
    d = (rng.random(300) < 1 / (1 + np.exp(-X[:, 0]))).astype(float)
    train, test = np.arange(300) % 3 != 0, np.arange(300) % 3 == 0
    ols = LinearRegression()
    assert _fast_kind(ols) == "ols"
    np.testing.assert_allclose(_fit_predict(ols, X, y, train, test, False, "ols"),
                               LinearRegression().fit(X[train], y[train]).predict(X[test]),
                               rtol=1e-10)
    logit = LogisticRegression(C=0.5, tol=1e-10)
    assert _fast_kind(logit) == "logit" and _fast_kind(LogisticRegression()) is None
    ref = LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000).fit(X[train], d[train])
    np.testing.assert_allclose(_fit_predict(logit, X, d, train, test, True, "logit"),
                               ref.predict_proba(X[test])[:, 1], rtol=1e-7)
    sep = (X[:, 0] > 0).astype(float)
    free = LogisticRegression(C=np.inf, tol=1e-10, max_iter=100)
    out = _quiet(_fit_predict, free, X, sep, train, test, True, "logit")
    want = _quiet(lambda: LogisticRegression(C=np.inf, tol=1e-10, max_iter=100)
                  .fit(X[train], sep[train]).predict_proba(X[test])[:, 1])
    np.testing.assert_allclose(out, want, rtol=1e-12)


def test_rerun_refits_the_same_specification():
    from sklearn.linear_model import LinearRegression, LogisticRegression

    df = _frame()
    res = _quiet(dz.dml_did, _panel(df), "y", controls=["x1"], ml_g=LinearRegression(),
                 ml_m=LogisticRegression(C=2.0), seed=3, control="not_yet")
    again = _quiet(dz.robustness.rerun, res, _panel(df.sample(frac=1.0, random_state=1)))
    np.testing.assert_allclose(again.estimate, res.estimate, rtol=1e-10)
    assert again.spec["ml_m"].C == 2.0 and again.spec["control"] == "not_yet"
    agg = dz.aggregate(res, "cohort")
    np.testing.assert_allclose(_quiet(dz.robustness.rerun, agg, _panel(df)).estimate,
                               agg.estimate, rtol=1e-10)


def test_parallel_cells_equal_serial():
    panel = _panel(_frame())
    a = _quiet(dz.dml_did, panel, "y", controls=["x1", "x2"], learner="linear", seed=9)
    b = _quiet(dz.dml_did, panel, "y", controls=["x1", "x2"], learner="linear", seed=9,
               n_jobs=2)
    np.testing.assert_array_equal(a.estimate, b.estimate)
    np.testing.assert_array_equal(a.std_error, b.std_error)


def test_study_report_call_passes_the_study_controls():
    """The registry entry asks the report to pass the study's controls (dml_did needs
    them); its event-study result is the "event" aggregation."""
    spec = dz.estimators.get_spec("dml_did")
    assert spec.study_controls and not dz.estimators.get_spec("event_study").study_controls
    from did_zones.estimators.registry import aliases

    assert {a: aliases()[a] for a in ("doubleml", "dml", "ddml")} == dict.fromkeys(
        ("doubleml", "dml", "ddml"), "dml_did")
    got = _quiet(spec.report, _panel(_frame()), "y", (-2, 2), control="never",
                 aggregations=("event", "simple"), controls=("x1", "x2"))
    assert got["event"].method == "dml_did" and got["event"].terms[0] == "overall"
    assert got["results"]["dml_did"].spec["controls"] == ("x1", "x2")
    assert set(got["event"].keys["event_time"].dropna()) <= {-2, -1, 0, 1, 2}
    with pytest.raises(SpecificationError, match="dml_did needs controls"):
        spec.report(_panel(_frame()), "y", (-2, 2), aggregations=("event",))


def test_placebo_and_variations_re_estimate_dml():
    """Every placebo draw is dml_did (same learners, seed and folds' rule) re-estimated on
    the placebo assignment; the variations re-estimate the same specification."""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from did_zones.diagnostics import pretrend_test
    from did_zones.robustness.placebo import placebo_assignments

    df = _frame()
    panel = _panel(df)
    opts = dict(controls=["x1"], ml_g=LinearRegression(), ml_m=LogisticRegression(), seed=3)
    res = _quiet(dz.aggregate, _quiet(dz.dml_did, panel, "y", **opts), "simple")
    test = _quiet(dz.robustness.placebo, res, panel, n_draws=5, seed=2)
    by_hand = []
    for row in placebo_assignments(panel, n_draws=5, seed=2):
        moved = dataclasses.replace(panel, cohort=row)
        by_hand.append(_quiet(dz.aggregate, _quiet(dz.dml_did, moved, "y", **opts),
                              "simple").estimate["overall"])
    np.testing.assert_allclose(test.details["draws"].ravel(), by_hand, rtol=1e-10)
    assert test.statistic == pytest.approx(res.estimate["overall"], rel=1e-12)
    later = _quiet(dz.robustness.rerun, res, panel.window(2002, 2005))
    direct = _quiet(dz.aggregate, _quiet(dz.dml_did, panel.window(2002, 2005), "y", **opts),
                    "simple")
    assert later.estimate["overall"] == pytest.approx(direct.estimate["overall"], rel=1e-10)
    ev = _quiet(dz.aggregate, _quiet(dz.dml_did, panel, "y", **opts), "event")
    leads = [t for t, e in zip(ev.terms, ev.keys["event_time"], strict=True) if e < 0]
    assert leads and pretrend_test(ev).statistic == pytest.approx(
        ev.wald_test(leads).statistic, rel=1e-12)
