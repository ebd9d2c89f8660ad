"""Wild cluster bootstrap of did2s and BJS imputation terms (robustness._wild_linear).

The reference is a brute force independent of the fast algorithm: the restricted (or
unrestricted) fit is computed with numpy ``lstsq`` on explicit unit and year dummies,
and for each of the ``2^G`` sign vectors the bootstrap outcome ``y*`` is written into a
copy of the data and the estimator itself (``dz.did2s`` / ``dz.imputation``) is re-run;
``t*`` uses the standard error it reports.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import SpecificationError

lin = importlib.import_module("did_zones.robustness._wild_linear")
core = importlib.import_module("did_zones.robustness._wild_core")

G = 8  # provinces: 256 sign vectors


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(17)
    n_city, years = 4 * G, np.arange(2012, 2019)
    city = np.repeat(np.arange(n_city), years.size)
    year = np.tile(years, n_city)
    cohorts = np.array([2014.0, 2015.0, 2016.0, 2017.0, np.nan, np.nan, np.nan, np.nan])
    cohort = cohorts[rng.integers(0, cohorts.size, n_city)][city]
    prov = (np.arange(n_city) % G)[city]
    treated = np.nan_to_num(year >= cohort, nan=False).astype(bool)
    x1 = rng.normal(size=city.size)
    y = (0.3 * rng.normal(size=n_city)[city] + 0.1 * (year - 2012) + 0.5 * x1
         + treated * (0.4 + 0.1 * (year - np.nan_to_num(cohort)) * treated)
         + rng.normal(size=G)[prov] * 0.3 + rng.normal(size=city.size))
    return pd.DataFrame({"city": city, "year": year, "cohort": cohort,
                         "province": [f"P{p}" for p in prov], "x1": x1, "y": y,
                         "w": rng.uniform(0.5, 2.0, n_city)[city]})


def _panel(df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dz.build_panel(df, unit="city", time="year", cohort="cohort")


def _fit(est, df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(dz, est)(_panel(df), "y", cluster="province", **kw)


def _model_fit(df, est, term, controls, weights):
    """ŷ of the bootstrap model and the term's rows, by lstsq on dummies (independent of
    the package): Ŷ(0) fitted on the untreated rows, plus on the term's rows the term's
    effect (did2s) or the weighted mean τ̂ of the cohort × year cell (imputation)."""
    treated = (df.year >= df.cohort).to_numpy()
    e = (df.year - df.cohort).to_numpy()
    Z = np.column_stack([pd.get_dummies(df.city).to_numpy(float),
                         pd.get_dummies(df.year).to_numpy(float)[:, 1:],
                         df[list(controls)].to_numpy(float)])
    w = df[weights].to_numpy() if weights else np.ones(len(df))
    u = ~treated
    sw = np.sqrt(w[u])
    gamma = np.linalg.lstsq(Z[u] * sw[:, None], df.y.to_numpy()[u] * sw, rcond=None)[0]
    y0 = Z @ gamma
    tau = df.y.to_numpy() - y0
    rows = treated if term == "overall" else treated & (e == int(term[6:-1]))
    beta = np.sum(w[rows] * tau[rows]) / np.sum(w[rows])
    fitted = np.where(u, y0, df.y.to_numpy())
    if est == "did2s":
        fitted[rows] = y0[rows] + beta
    else:
        cell = df.cohort.astype(str) + "/" + df.year.astype(str)
        wt = pd.Series(w * tau)[rows].groupby(cell[rows]).sum()
        ws = pd.Series(w)[rows].groupby(cell[rows]).sum()
        fitted[rows] = y0[rows] + (wt / ws)[cell[rows]].to_numpy()
    return fitted, rows.astype(float), beta


def _brute(df, est, term, theta, impose_null, controls=(), weights=None, **kw):
    """t* of every sign vector (bit g: the g-th province in sorted order) by re-running
    the estimator on y*, and the sample's t."""
    opts = {"controls": controls, "weights": weights, **kw}
    res = _fit(est, df, **opts)
    fitted, x, beta = _model_fit(df, est, term, controls, weights)
    assert beta == pytest.approx(res.estimate[term], rel=1e-9)
    if impose_null:
        fitted = fitted + (theta - beta) * x
    resid = df.y.to_numpy() - fitted
    centre = theta if impose_null else beta
    provs = np.unique(df.province)
    g = np.searchsorted(provs, df.province.to_numpy())
    t_star = np.empty(2**G)
    for k in range(2**G):
        v = ((k >> np.arange(G)) & 1) * 2.0 - 1.0
        star = _fit(est, df.assign(y=fitted + v[g] * resid), **opts)
        t_star[k] = (star.estimate[term] - centre) / star.std_error[term]
    return t_star, (res.estimate[term] - theta) / res.std_error[term], res


def _fast(res, df, term, theta, impose_null):
    panel = _panel(df)
    lt = lin.linear_term(res, panel, term, ("province",))
    st = lin.linear_stats(lt, impose_null)
    m = core.all_moments(st, "rademacher", 2**G, True, np.random.SeedSequence(0))
    num = m[0] - theta * m[1] if impose_null else m[0]
    q = m[2] - 2 * theta * m[3] + theta**2 * m[4] if impose_null else m[2]
    test = dz.wild_bootstrap(res, panel, term, null=theta, impose_null=impose_null,
                             n_boot=2**G)
    return num / np.sqrt(q), test


CASES = [
    ("did2s", "overall", 0.0, True, {}),
    ("did2s", "overall", 0.0, False, {}),
    ("did2s", "ATT(e=1)", 0.3, True, {"window": (-2, 2), "controls": ("x1",),
                                       "weights": "w"}),
    ("did2s", "ATT(e=0)", 0.5, False, {"window": (-2, 2), "controls": ("x1",)}),
    ("imputation", "overall", 0.2, True, {}),
    ("imputation", "overall", 0.0, False, {"weights": "w"}),
    ("imputation", "ATT(e=0)", 0.4, True, {"window": (-1, 2), "controls": ("x1",),
                                          "weights": "w"}),
    ("imputation", "ATT(e=2)", 0.0, False, {"window": (0, 3)}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("est", "term", "theta", "impose_null", "kw"), CASES)
def test_matches_brute_force_enumeration(frame, est, term, theta, impose_null, kw):
    """Every t* to 1e-9 (same sign vector), the p-value exactly, the sample t to 1e-10."""
    t_ref, t_obs, res = _brute(frame, est, term, theta, impose_null, **kw)
    t_fast, test = _fast(res, frame, term, theta, impose_null)
    np.testing.assert_allclose(t_fast, t_ref, rtol=1e-9, atol=1e-9)
    assert test.details["enumerated"] and test.details["n_boot"] == 2**G
    p_ref = float(np.mean(np.abs(t_ref) >= abs(t_obs) * (1 - 1e-9)))
    assert test.p_value == p_ref
    assert test.statistic == pytest.approx(t_obs, rel=1e-10)
    assert test.details["std_error"] == pytest.approx(res.std_error[term], rel=1e-10)


@pytest.mark.parametrize("est", ["did2s", "imputation"])
def test_interval_inverts_the_test(frame, est):
    """p at each interval end equals alpha's boundary: just inside > alpha, just outside
    <= alpha (same draws); the ends bracket the estimate."""
    res = _fit(est, frame)
    panel = _panel(frame)
    test = dz.wild_bootstrap(res, panel, n_boot=999, seed=3)
    lo, hi = test.details["conf_int"]
    assert lo < res.estimate["overall"] < hi
    eps = 1e-6 * res.std_error["overall"]
    for end, side in ((lo, -1), (hi, 1)):
        inside = dz.wild_bootstrap(res, panel, null=end - side * eps, n_boot=999, seed=3)
        outside = dz.wild_bootstrap(res, panel, null=end + side * eps, n_boot=999, seed=3)
        assert inside.p_value > 0.05 >= outside.p_value


def test_cluster_override_and_seeded_draws(frame):
    """cluster= rebuilds the variance on other clusters (its SE equals the estimator's
    own with that cluster); random draws are reproducible from the seed."""
    res = _fit("imputation", frame)
    panel = _panel(frame)
    by_city = _fit("imputation", frame.assign(province=frame.city.astype(str)))
    a = dz.wild_bootstrap(res, panel, cluster="city", n_boot=199, seed=5)
    b = dz.wild_bootstrap(res, panel, cluster="city", n_boot=199, seed=5)
    assert a.details["std_error"] == pytest.approx(by_city.std_error["overall"], rel=1e-10)
    assert a.details["n_clusters"] == frame.city.nunique() and not a.details["enumerated"]
    assert a.p_value == b.p_value and a.details["conf_int"] == b.details["conf_int"]


def test_refusals(frame):
    panel = _panel(frame)
    d2 = _fit("did2s", frame, window=(-2, 2))
    with pytest.raises(SpecificationError, match="'ATT\\(e=-2\\)' is a lead"):
        dz.wild_bootstrap(d2, panel, "ATT(e=-2)")
    imp = _fit("imputation", frame, window=(-2, 2))
    with pytest.raises(SpecificationError, match="takes either effects \\(ATT\\(e=h\\)\\) "
                       "or pre-trend leads"):
        dz.wild_bootstrap(imp, panel, ["ATT(e=0)", "pre(e=-1)"])
    n_e0 = int(imp.keys["n_obs"]["ATT(e=0)"])  # all of them are in 'overall' too
    with pytest.raises(SpecificationError, match=f"share {n_e0} treated observation\\(s\\)"):
        dz.wild_bootstrap(imp, panel, ["overall", "ATT(e=0)"])
    with pytest.raises(SpecificationError, match="'ATT\\(e=-2\\)' is a lead"):
        dz.wild_bootstrap(d2, panel, ["ATT(e=-2)", "ATT(e=0)"])
    with pytest.raises(SpecificationError, match="takes one cluster variable"):
        dz.wild_bootstrap(imp, panel, cluster=("province", "year"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        none = dz.did2s(panel, "y", cluster=None)
    with pytest.raises(SpecificationError, match="one or two cluster variables"):
        dz.wild_bootstrap(none, panel)


def test_model_fit_properties(frame):
    """ℓ'ŷ = β̂ and the scores of ŷ vanish (the bootstrap model reproduces the estimate
    with zero variance), to 1e-12."""
    panel = _panel(frame)
    for est in ("did2s", "imputation"):
        res = _fit(est, frame, controls=("x1",), weights="w")
        lt = lin.linear_term(res, panel, "overall", ("province",))
        b, s = lt.apply(lt.fitted[:, None])
        assert b[0] == pytest.approx(res.estimate["overall"], abs=1e-12)
        assert np.abs(s).max() < 1e-12


@pytest.mark.parametrize("est", ["did2s", "imputation"])
@pytest.mark.parametrize("kw", [
    {"anticipation": 1, "window": (-1, 2)},
    {"fixed_effects": ("unit", ("province", "year")), "controls": ("x1",), "weights": "w",
     "window": (0, 2)},
    {"cluster": "city", "window": (0, 3)},
])
def test_sample_t_is_the_estimators_own(frame, est, kw):
    """For every supported term the bootstrap's t and SE equal the estimator's (1e-10),
    with anticipation, interacted fixed effects, controls, weights, unit clusters; and
    the bootstrap model reproduces the estimate with zero scores."""
    kw = dict(kw)
    cluster = kw.pop("cluster", "province")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = getattr(dz, est)(_panel(frame), "y", cluster=cluster, **kw)
    panel = _panel(frame)
    anticipation = kw.get("anticipation", 0)
    terms = [t for t in res.terms
             if t == "overall" or (t.startswith("ATT") and res.keys["event_time"][t]
                                   >= -anticipation)]
    assert len(terms) >= 3
    for term in terms:
        test = dz.wild_bootstrap(res, panel, term, n_boot=99, seed=1)
        assert test.details["std_error"] == pytest.approx(res.std_error[term], rel=1e-10)
        assert test.statistic == pytest.approx(res.estimate[term] / res.std_error[term],
                                               rel=1e-10)
        lt = lin.linear_term(res, panel, term, (cluster,))
        b, s = lt.apply(lt.fitted[:, None])
        assert b[0] == pytest.approx(res.estimate[term], abs=1e-12)
        assert np.abs(s).max() < 1e-12


@pytest.mark.parametrize("impose_null", [True, False])
def test_imputation_leads_are_the_pretrend_regression(frame, impose_null):
    """BJS Test 1's leads: the same numbers as dz.twfe of y on the lead dummies over the
    untreated rows (unit and year effects, province clusters) bootstrapped directly, one
    lead and jointly; the joint F equals the result's pre-trend F."""
    imp = _fit("imputation", frame, window=(-2, 2), controls=("x1",))
    panel = _panel(frame)
    e = frame.year - frame.cohort
    untreated = frame[~(frame.year >= frame.cohort)].assign(
        lead1=(e == -1).astype(float), lead2=(e == -2).astype(float))
    pu = _panel(untreated)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dz.twfe(pu, "y", treatment="lead1", controls=["lead2", "x1"],
                      cluster="province")
    one = dz.wild_bootstrap(imp, panel, "pre(e=-1)", null=0.05, impose_null=impose_null)
    one_ref = dz.wild_bootstrap(ref, pu, null=0.05, impose_null=impose_null)
    assert one.details["enumerated"] and one.p_value == one_ref.p_value
    assert one.statistic == pytest.approx(one_ref.statistic, rel=1e-10)
    assert one.statistic == pytest.approx(
        (imp.estimate["pre(e=-1)"] - 0.05) / imp.std_error["pre(e=-1)"], rel=1e-10)
    np.testing.assert_allclose(one.details["conf_int"], one_ref.details["conf_int"],
                               rtol=1e-9)
    joint = dz.wild_bootstrap(imp, panel, ["pre(e=-1)", "pre(e=-2)"],
                              impose_null=impose_null)
    joint_ref = dz.wild_bootstrap(ref, pu, ["treated", "lead2"], impose_null=impose_null)
    assert joint.p_value == joint_ref.p_value
    assert joint.statistic == pytest.approx(joint_ref.statistic, rel=1e-10)
    assert joint.statistic == pytest.approx(imp.extra["pretrend_test"].statistic, rel=1e-10)


JOINT = [
    ("did2s", ["ATT(e=0)", "ATT(e=1)"], [0.2, 0.3], True, {"window": (-1, 3)}),
    ("did2s", ["ATT(e=0)", "ATT(e=2)"], [0.0, 0.0], False, {"window": (0, 2),
                                                           "weights": "w"}),
    ("imputation", ["ATT(e=0)", "ATT(e=1)", "ATT(e=2)"], [0.3, 0.3, 0.3], True,
     {"window": (0, 3), "controls": ("x1",), "weights": "w"}),
    ("imputation", ["ATT(e=0)", "ATT(e=2)"], [0.0, 0.0], False, {"window": (0, 3)}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("est", "terms", "theta", "impose_null", "kw"), JOINT)
def test_joint_matches_brute_force_enumeration(frame, est, terms, theta, impose_null, kw):
    """Joint Wald test of several effects: every sign vector's y* (the terms' models
    shifted to their nulls under WCR) re-estimated; W* from the estimator's own vcov;
    the p-value exactly and F to 1e-10."""
    res = _fit(est, frame, **kw)
    y = frame.y.to_numpy()
    fitted = None
    for term, th in zip(terms, theta, strict=True):
        f, x, beta = _model_fit(frame, est, term, kw.get("controls", ()), kw.get("weights"))
        if impose_null:
            f = f + (th - beta) * x
        fitted = f if fitted is None else np.where(x > 0, f, fitted)
    resid = y - fitted
    centre = np.asarray(theta) if impose_null else res.estimate[terms].to_numpy()
    g = np.searchsorted(np.unique(frame.province), frame.province.to_numpy())

    def wald(r, delta):
        return float(delta @ np.linalg.solve(r.vcov.loc[terms, terms].to_numpy(), delta))

    W = wald(res, res.estimate[terms].to_numpy() - np.asarray(theta))
    Wb = np.empty(2**G)
    for k in range(2**G):
        v = ((k >> np.arange(G)) & 1) * 2.0 - 1.0
        star = _fit(est, frame.assign(y=fitted + v[g] * resid), **kw)
        Wb[k] = wald(star, star.estimate[terms].to_numpy() - centre)
    test = dz.wild_bootstrap(res, _panel(frame), terms, null=theta, impose_null=impose_null,
                             n_boot=2**G)
    assert test.details["enumerated"]
    assert test.statistic == pytest.approx(W / len(terms), rel=1e-10)
    assert test.p_value == float(np.mean(Wb >= W * (1 - 1e-9)))
    assert test.details["p_value_strict"] == float(np.mean(Wb > W * (1 + 1e-9)))


@pytest.mark.parametrize("est", ["did2s", "imputation"])
@pytest.mark.parametrize("kw", [
    {"small_cells": "exclude", "min_cohort_size": 4, "window": (-2, 4)},
    {"small_cells": "pool", "min_cohort_size": 12, "window": (-3, 4)},
])
def test_small_cell_rules(frame, est, kw):
    """Terms after small_cells='exclude' (small cohorts' rows out of the averages and the
    leads) and 'pool' (ranges such as 'ATT(e=2..4)'): every effect and imputation lead
    gets the estimator's own t (1e-10); the far interval ends stay finite or infinite
    without stalling the bisection."""
    res = _fit(est, frame, **kw)
    panel = _panel(frame)
    if kw["small_cells"] == "pool":
        assert any(".." in t for t in res.terms if t.startswith("ATT(e=2"))
    tested = 0
    for term in res.terms:
        if est == "did2s" and res.keys["event_time"][term] < 0:
            continue
        test = dz.wild_bootstrap(res, panel, term, n_boot=99, seed=1)
        assert test.statistic == pytest.approx(res.estimate[term] / res.std_error[term],
                                               rel=1e-10)
        tested += 1
    assert tested >= 3


def test_bootcluster_of_effects(frame):
    """did2s / imputation effects are drawn by their variance cluster: bootcluster naming
    it (or 'max') gives the same test; another partition is refused."""
    res = _fit("imputation", frame)
    panel = _panel(frame)
    a = dz.wild_bootstrap(res, panel, n_boot=999)
    b = dz.wild_bootstrap(res, panel, n_boot=999, bootcluster="province")
    assert a.p_value == b.p_value and b.details["bootcluster"] == "province"
    with pytest.raises(SpecificationError, match="bootcluster='year' is available for "
                       "regression results"):
        dz.wild_bootstrap(res, panel, bootcluster="year")
