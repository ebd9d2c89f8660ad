"""Tests of did_zones.robustness.wild_bootstrap (wild cluster bootstrap, boottest conventions)."""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import EstimationError, SpecificationError
from did_zones.estimators.registry import REGISTRY
from did_zones.robustness.wild_bootstrap import wild_bootstrap

REF = Path(__file__).parent / "reference"
# the module (the package attribute of the same name is the function)
wb_module = importlib.import_module("did_zones.robustness.wild_bootstrap")
core = importlib.import_module("did_zones.robustness._wild_core")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "wild_bootstrap_data.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REF / "wild_bootstrap.csv")


@pytest.fixture(scope="module")
def panel(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dz.build_panel(data, unit="city", time="year", cohort="cohort")


def _twfe(panel, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few clusters
        return dz.twfe(panel, "y", controls=kw.pop("controls", ["x1"]), treatment="d",
                       cluster="province", **kw)


@pytest.fixture(scope="module")
def plain(panel):
    return _twfe(panel, fixed_effects=())


@pytest.fixture(scope="module")
def absorbed(panel):
    return _twfe(panel, fixed_effects=("unit", "time"))


# ----------------------------------------------------------------- reference (wildboottest)


@pytest.mark.parametrize("case", ["plain", "dummies"])
@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_matches_wildboottest(case, impose_null, alpha, panel, plain, absorbed, reference):
    """Full enumeration (G = 10): p-values exactly, interval ends to the reference's
    bisection tolerance (1e-10); the plain regression's t to rounding."""
    res = plain if case == "plain" else absorbed
    ref = reference[(reference.case == case) & (reference.impose_null == impose_null)
                    & np.isclose(reference.alpha, alpha)].iloc[0]
    test = wild_bootstrap(res, panel, impose_null=impose_null, alpha=alpha)
    assert test.details["enumerated"] and test.details["n_boot"] == ref.n_boot == 1024
    assert test.p_value == ref.p_value_ties
    lo, hi = test.details["conf_int"]
    assert lo == pytest.approx(ref.conf_low, abs=1e-8)
    assert hi == pytest.approx(ref.conf_high, abs=1e-8)
    assert test.details["estimate"] == pytest.approx(ref.estimate, rel=1e-10)
    if case == "plain":  # same K as wildboottest's X (intercept, d, x1)
        assert test.statistic == pytest.approx(ref.t_stat, rel=1e-9)


@pytest.mark.parametrize("case", ["plain", "dummies"])
@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize("null", [0.04, 0.5, -1.0])
def test_nonzero_null_matches_wildboottest(case, impose_null, null, panel, plain, absorbed):
    """``regress y d x1, cluster(province); boottest d=0.04``: the reference tests 0 in the
    regression of ``y − θ d`` (wild_bootstrap_nulls.csv, wildboottest 0.3.2, all 1,024
    sign vectors): the p-value exactly (ties counted), the plain t to rounding."""
    ref = pd.read_csv(REF / "wild_bootstrap_nulls.csv")
    ref = ref[(ref.case == case) & (ref.impose_null == impose_null)
              & np.isclose(ref.null, null)].iloc[0]
    res = plain if case == "plain" else absorbed
    test = wild_bootstrap(res, panel, null=null, impose_null=impose_null)
    assert test.details["enumerated"] and test.details["n_boot"] == ref.n_boot == 1024
    assert test.p_value == ref.p_value_ties
    if case == "plain":
        assert test.statistic == pytest.approx(ref.t_stat, rel=1e-9)


def test_statistic_is_the_results_t(absorbed, panel):
    test = wild_bootstrap(absorbed, panel, null=0.1)
    est, se = absorbed.estimate["treated"], absorbed.std_error["treated"]
    assert test.statistic == pytest.approx((est - 0.1) / se, rel=1e-10)
    assert test.details["std_error"] == pytest.approx(se, rel=1e-10)


# ----------------------------------------------------------------- absorbed = dummies


def test_absorbed_equals_materialised_dummies(data, absorbed, panel):
    dummies = pd.concat([pd.get_dummies(data["city"], prefix="c", drop_first=True, dtype=float),
                         pd.get_dummies(data["year"], prefix="t", drop_first=True,
                                        dtype=float)], axis=1)
    wide = pd.concat([data, dummies], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p2 = dz.build_panel(wide, unit="city", time="year", cohort="cohort")
    full = _twfe(p2, fixed_effects=(), controls=["x1", *dummies.columns])
    for impose_null in (True, False):
        a = wild_bootstrap(absorbed, panel, impose_null=impose_null)
        b = wild_bootstrap(full, p2, impose_null=impose_null)
        assert a.p_value == b.p_value
        np.testing.assert_allclose(a.details["conf_int"], b.details["conf_int"], rtol=1e-9)
        # the t differs only by the small-sample factor (reghdfe's K vs all dummies)
        ratio = np.sqrt(b.details["small_sample_factor"] / a.details["small_sample_factor"])
        assert a.statistic / b.statistic == pytest.approx(ratio, rel=1e-9)


# ----------------------------------------------------------------- determinism, seeds


def test_enumeration_is_deterministic(plain, panel):
    a = wild_bootstrap(plain, panel, seed=1)
    b = wild_bootstrap(plain, panel, seed=2)
    assert a.p_value == b.p_value and a.details["conf_int"] == b.details["conf_int"]
    assert a.details["seed"] is None


def test_seeds_reproduce_and_draws_do_not_depend_on_their_number(plain, panel):
    kw = dict(weights="webb", n_boot=2000)
    a = wild_bootstrap(plain, panel, seed=7, **kw)
    b = wild_bootstrap(plain, panel, seed=7, **kw)
    c = wild_bootstrap(plain, panel, seed=8, **kw)
    assert not a.details["enumerated"] and a.details["n_boot"] == 2000
    assert a.p_value == b.p_value and a.details["conf_int"] == b.details["conf_int"]
    assert a.details["seed"] == 7
    assert (a.p_value, a.details["conf_int"]) != (c.p_value, c.details["conf_int"])
    # draws are defined per block of 1024 (one child seed each): a longer run extends
    fit = wb_module._refit(plain, panel, ("province",))
    st = core.cluster_stats(fit, 0, fit.design.clusters, 0, impose_null=True)
    seq = np.random.SeedSequence(7)
    short = core.all_moments(st, "webb", 1500, False, seq)
    long = core.all_moments(st, "webb", 3000, False, seq)
    np.testing.assert_array_equal(short, long[:, :1500])


@pytest.mark.parametrize("kind", ["rademacher", "mammen", "webb", "normal"])
def test_weight_distributions_have_mean_zero_variance_one(kind):
    rng = np.random.default_rng(0)
    v = core._weights_block(kind, rng, (200_000, 1))
    # Monte-Carlo bounds: 5 standard errors of the mean and of the variance
    assert abs(v.mean()) < 5 / np.sqrt(v.size)
    assert abs(np.mean(v**2) - 1) <= 5 * np.sqrt((np.mean(v**4) - 1) / v.size) + 1e-12
    if kind == "webb":
        assert np.unique(v).size == 6


def test_random_weights_agree_with_enumeration_within_monte_carlo_bounds(plain, panel):
    exact = wild_bootstrap(plain, panel).p_value
    draw = wild_bootstrap(plain, panel, weights="normal", n_boot=9999, seed=3).p_value
    # different weight distributions: only a loose agreement in distribution is expected,
    # but both estimate a p-value far from 0 on this null-ish data
    assert abs(draw - exact) < 0.1 + 5 * np.sqrt(exact * (1 - exact) / 9999)


# ----------------------------------------------------------------- WCR vs WCU


def test_wcu_interval_is_symmetric_and_wcr_is_not(plain, panel):
    wcu = wild_bootstrap(plain, panel, impose_null=False)
    wcr = wild_bootstrap(plain, panel, impose_null=True)
    b = wcu.details["estimate"]
    lo, hi = wcu.details["conf_int"]
    assert b - lo == pytest.approx(hi - b, rel=1e-9)
    lo_r, hi_r = wcr.details["conf_int"]
    assert abs((b - lo_r) - (hi_r - b)) > 0.1
    assert wcu.details["bootstrap"] == "WCU" and wcr.details["bootstrap"] == "WCR"
    assert wcu.statistic == wcr.statistic and wcu.p_value != wcr.p_value
    # WCU draws do not depend on the null: its p-value at the interval ends is alpha
    at_hi = wild_bootstrap(plain, panel, impose_null=False, null=hi + 1e-6)
    assert at_hi.p_value <= 0.05


def test_p_value_at_interval_ends(plain, panel):
    test = wild_bootstrap(plain, panel)
    lo, hi = test.details["conf_int"]
    assert wild_bootstrap(plain, panel, null=lo - 1e-6).p_value <= 0.05
    assert wild_bootstrap(plain, panel, null=lo + 1e-6).p_value > 0.05
    assert wild_bootstrap(plain, panel, null=hi + 1e-6).p_value <= 0.05


def test_tie_rule(plain, panel):
    """Under WCR with enumeration the all-ones and all-minus-ones draws reproduce the
    sample: they are counted in p_value, not in p_value_strict."""
    test = wild_bootstrap(plain, panel)
    B = test.details["n_boot"]
    assert test.p_value - test.details["p_value_strict"] == pytest.approx(2 / B)
    assert "ties" in test.details["tie_rule"]


def test_details_and_tidy(plain, panel):
    test = wild_bootstrap(plain, panel, weights="webb", n_boot=999, seed=1)
    d = test.details
    assert d["weights"] == "webb" and d["n_boot"] == 999 and not d["enumerated"]
    assert d["n_clusters"] == 10 and d["cluster"] == "province"
    assert test.distribution == "wild_bootstrap"
    assert test.tidy().loc[0, "p_value"] == test.p_value
    row = test.glance().iloc[0]
    assert (row["conf_low"], row["conf_high"]) == d["conf_int"]
    assert row["weights"] == "webb" and row["n_boot"] == 999
    assert "twfe" in REGISTRY and "wild_bootstrap" in REGISTRY["twfe"].tests
    assert dz.wild_bootstrap is wild_bootstrap


# ----------------------------------------------------------------- error paths


def test_unknown_term(plain, panel):
    with pytest.raises(SpecificationError, match="No term 'treatd'.*Did you mean 'treated'"):
        wild_bootstrap(plain, panel, "treatd")


def test_bad_weights(plain, panel):
    with pytest.raises(SpecificationError,
                       match="weights must be one of 'rademacher'.*Did you mean 'webb'"):
        wild_bootstrap(plain, panel, weights="web")


def test_bad_n_boot(plain, panel):
    with pytest.raises(SpecificationError, match="n_boot must be an integer of at least 99"):
        wild_bootstrap(plain, panel, n_boot=10)


def test_unsupported_result(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = dz.callaway_santanna(panel, "y", cluster="province")
    with pytest.raises(SpecificationError, match="wild_bootstrap supports did2s, event_study, imputation, "
                       "sun_abraham, twfe results so far; got a 'callaway_santanna' result"):
        wild_bootstrap(cs, panel)


def test_too_many_cluster_variables(plain, panel):
    with pytest.raises(SpecificationError, match="needs one or two cluster variables"):
        wild_bootstrap(plain, panel, cluster=("province", "year", "city"))


def test_other_panel(plain, panel):
    with pytest.raises(SpecificationError, match="different panel"):
        wild_bootstrap(plain, panel.window(2015, 2020))


# ----------------------------------------------------------------- brute force (weights)


def _brute_force_p(X, y, w, cl, j, impose_null, theta=0.0, cl2=None, R=None):
    """The enumerated wild cluster bootstrap the slow way: n × 2^G outcomes, full WLS with
    the dummies materialised, CRV1 t of every draw (the same 1e-9 tie rule). With ``cl2``
    the variance is two-way (CGM 2011, factor with the smaller G); draws by ``cl``."""
    G = cl.max() + 1
    V = ((np.arange(2**G)[:, None] >> np.arange(G)) & 1) * 2.0 - 1.0  # (B, G)
    XtW = X.T * w
    bread = np.linalg.inv(XtW @ X)
    beta = bread @ XtW @ y
    if R is None:
        R = np.zeros(X.shape[1])
        R[j] = 1.0
    if impose_null:  # restricted least squares with R'β = θ
        beta_r = beta - bread @ R * ((R @ beta - theta) / (R @ bread @ R))
        fitted, u = X @ beta_r, y - X @ beta_r
    else:
        fitted, u = X @ beta, y - X @ beta
    Ystar = fitted[:, None] + u[:, None] * V[:, cl].T  # (n, B)
    Bstar = bread @ (XtW @ Ystar)
    E = Ystar - X @ Bstar
    a = (X @ (R @ bread)) * w

    def ind(codes):
        return (codes[None, :] == np.arange(codes.max() + 1)[:, None]).astype(float)

    if cl2 is None:
        terms, g_min = [(1.0, ind(cl))], G
    else:
        inter = pd.factorize(pd.Series(list(zip(cl, cl2, strict=True))))[0]
        terms = [(1.0, ind(cl)), (1.0, ind(cl2)), (-1.0, ind(inter))]
        g_min = min(G, cl2.max() + 1)
    n, k = X.shape
    c = g_min / (g_min - 1) * (n - 1) / (n - k)
    var_b = sum(sg * ((H @ (a[:, None] * E)) ** 2).sum(axis=0) for sg, H in terms)
    centre = theta if impose_null else R @ beta
    tb = np.abs(R @ Bstar - centre) / np.sqrt(c * var_b)
    e = y - X @ beta
    var = sum(sg * ((H @ (a * e)) ** 2).sum() for sg, H in terms)
    t = abs(R @ beta - theta) / np.sqrt(c * var)
    tb = np.where(np.isnan(tb), np.inf, tb)
    return float(np.mean(tb >= t * (1 - 1e-9))), float(t)


@pytest.mark.parametrize("impose_null", [True, False])
def test_weighted_fixed_effects_match_brute_force(data, impose_null):
    wdata = data.assign(w=1.0 + data["city"] % 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = dz.build_panel(wdata, unit="city", time="year", cohort="cohort")
    res = _twfe(p, fixed_effects=("unit", "time"), weights="w")
    dummies = pd.concat([pd.get_dummies(data["city"], drop_first=True, dtype=float),
                         pd.get_dummies(data["year"], drop_first=True, dtype=float)], axis=1)
    X = np.column_stack([data["d"], data["x1"], np.ones(len(data)), dummies.to_numpy()])
    cl = pd.factorize(data["province"], sort=True)[0]
    for theta in (0.0, 0.4):
        test = wild_bootstrap(res, p, impose_null=impose_null, null=theta)
        ref, _ = _brute_force_p(X, data["y"].to_numpy(), wdata["w"].to_numpy(), cl, 0,
                                impose_null, theta)
        assert test.p_value == ref


@pytest.mark.parametrize("impose_null", [True, False])
def test_two_way_clustering_matches_brute_force(data, panel, impose_null):
    """Province × year clustering; draws by the dimension with more clusters (province,
    10 > 7, fwildclusterboot's ``bootcluster = "max"``), enumerated."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = dz.twfe(panel, "y", controls=["x1"], treatment="d", fixed_effects=(),
                      cluster=("province", "year"))
    X = np.column_stack([data["d"], data["x1"], np.ones(len(data))])
    cl = pd.factorize(data["province"], sort=True)[0]
    cl2 = pd.factorize(data["year"], sort=True)[0]
    for theta in (0.0, 0.5):
        test = wild_bootstrap(res, panel, impose_null=impose_null, null=theta)
        ref, t = _brute_force_p(X, data["y"].to_numpy(), np.ones(len(data)), cl, 0,
                                impose_null, theta, cl2=cl2)
        assert test.details["bootcluster"] == "province" and test.details["enumerated"]
        assert test.p_value == ref
        assert abs(test.statistic) == pytest.approx(t, rel=1e-9)
    est, se = res.estimate["treated"], res.std_error["treated"]
    assert wild_bootstrap(res, panel).statistic == pytest.approx(est / se, rel=1e-9)


# ----------------------------------------------------------------- fast path = general path


@pytest.mark.parametrize("fes,cluster", [
    ((), "province"), (("unit", "time"), "province"), (("unit", "time"), "unit"),
    (("time",), "province"), (("unit",), "province"),
    (("unit", "time", "province"), "province"),  # two nested dimensions: general path only
])
@pytest.mark.parametrize("weighted", [False, True])
def test_fast_path_equals_general_path(data, fes, cluster, weighted):
    """Unbalanced (rows dropped), with a control, optionally weighted: the cluster × level
    sums give the same C as absorbing the columns u ∘ 1_g."""
    keep = np.random.default_rng(5).random(len(data)) > 0.15
    sub = data[keep].assign(w=1.0 + data["city"][keep] % 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = dz.build_panel(sub, unit="city", time="year", cohort="cohort")
        res = dz.twfe(p, "y", controls=["x1"], treatment="d", fixed_effects=fes,
                      cluster=cluster, weights="w" if weighted else None)
    fit = wb_module._refit(res, p, (cluster,))
    d = fit.design
    w = np.ones(d.n_obs) if d.weights is None else d.weights
    cl = d.clusters[0]
    G = int(cl.max()) + 1
    Z = fit.X_within[:, 1:]
    x = fit.X_within[:, 0] - Z @ np.linalg.lstsq(Z * np.sqrt(w)[:, None],
                                                 fit.X_within[:, 0] * np.sqrt(w),
                                                 rcond=None)[0]
    Zproj = np.linalg.solve((Z * w[:, None]).T @ Z, (Z * w[:, None]).T)

    def m_z(V):
        return V - Z @ (Zproj @ V)

    u0, u1 = m_z(fit.y_within), x
    fast = core._fast_C(d.fe_codes, w, cl, G, x, u0, u1, Z)
    slow = core._general_C(d.fe_codes, d.weights, core._indicator(cl), cl, G,
                                w * x, u0, u1, m_z)
    if fes == ("unit", "time", "province"):
        assert fast is None
        return
    scale = np.abs(slow).max()
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-10 * scale)


# ----------------------------------------------------------------- other terms, clusters


@pytest.mark.parametrize("impose_null", [True, False])
def test_control_term_and_cluster_override_match_brute_force(data, plain, panel, impose_null):
    """Testing the control ``x1`` (not the treatment), and bootstrapping by a cluster
    variable other than the result's (override: ``province`` result, ``cl6`` clusters)."""
    X = np.column_stack([data["d"], data["x1"], np.ones(len(data))])
    y = data["y"].to_numpy()
    cl = pd.factorize(data["province"], sort=True)[0]
    test = wild_bootstrap(plain, panel, "x1", impose_null=impose_null, null=0.3)
    ref, t = _brute_force_p(X, y, np.ones(len(data)), cl, 1, impose_null, 0.3)
    assert test.p_value == ref and abs(test.statistic) == pytest.approx(t, rel=1e-9)
    six = data.assign(cl6=data["city"] % 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p6 = dz.build_panel(six, unit="city", time="year", cohort="cohort")
    res = _twfe(p6, fixed_effects=())
    test = wild_bootstrap(res, p6, cluster="cl6", impose_null=impose_null)
    ref, t = _brute_force_p(X, y, np.ones(len(data)), six["cl6"].to_numpy(), 0, impose_null)
    assert test.details["cluster"] == "cl6" and test.details["n_boot"] == 64
    assert test.p_value == ref and abs(test.statistic) == pytest.approx(t, rel=1e-9)


def test_summary_renders(plain, panel):
    text = wild_bootstrap(plain, panel).summary()
    assert "wild cluster bootstrap (WCR, rademacher)" in text


def test_one_cluster_is_an_error(data):
    one = data.assign(everywhere="all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p1 = dz.build_panel(one, unit="city", time="year", cohort="cohort")
    res = _twfe(p1, fixed_effects=())
    with pytest.raises(EstimationError, match="needs at least two clusters"):
        wild_bootstrap(res, p1, cluster="everywhere")


def test_bad_flags(plain, panel):
    with pytest.raises(SpecificationError, match="impose_null must be True or False"):
        wild_bootstrap(plain, panel, impose_null="yes")
    with pytest.raises(SpecificationError, match="seed must be"):
        wild_bootstrap(plain, panel, seed=-1)


# ----------------------------------------------------------------- event study


@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize("term", ["e+0", "e-3", "e+2", "overall"])
def test_event_study_matches_brute_force(data, panel, term, impose_null):
    """Event-time indicators (reference −1), a control, city and year dummies
    materialised; province clusters, enumerated. ``overall`` is the combination a'β with
    the result's weights (restricted least squares under WCR in the brute force)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = dz.event_study(panel, "y", controls=["x1"], cluster="province", overall=True)
    e = data["year"] - data["cohort"]
    terms = [t for t in es.estimate.index if t.startswith("e")]
    ind = np.column_stack([(e == int(t[1:])).to_numpy(float) for t in terms])
    dummies = pd.concat([pd.get_dummies(data["city"], drop_first=True, dtype=float),
                         pd.get_dummies(data["year"], drop_first=True, dtype=float)], axis=1)
    X = np.column_stack([ind, data["x1"], np.ones(len(data)), dummies.to_numpy()])
    cl = pd.factorize(data["province"], sort=True)[0]
    R = None
    if term == "overall":
        R = np.zeros(X.shape[1])
        for name, weight in es.extra["overall_weights"].items():
            R[terms.index(name)] = weight
    test = wild_bootstrap(es, panel, term, impose_null=impose_null, null=0.2)
    ref, _ = _brute_force_p(X, data["y"].to_numpy(), np.ones(len(data)), cl,
                            terms.index(term) if R is None else 0, impose_null, 0.2, R=R)
    assert test.p_value == ref
    est, se = es.estimate[term], es.std_error[term]
    assert test.statistic == pytest.approx((est - 0.2) / se, rel=1e-9)


def test_fast_path_fallback_gives_the_same_test(absorbed, panel, monkeypatch):
    fast = wild_bootstrap(absorbed, panel)
    monkeypatch.setattr(core, "_FAST_MAX_LEVELS", 3)  # 7 years: general path
    slow = wild_bootstrap(absorbed, panel)
    assert fast.p_value == slow.p_value
    np.testing.assert_allclose(fast.details["conf_int"], slow.details["conf_int"], rtol=1e-9)


# ----------------------------------------------------------------- joint (Wald) tests


def _brute_force_wald(X, y, cl, R, r, impose_null, cl2=None):
    """Enumerated WCR/WCU Wald test of R β = r the slow way (OLS, dummies materialised)."""
    G = cl.max() + 1
    V = ((np.arange(2**G)[:, None] >> np.arange(G)) & 1) * 2.0 - 1.0
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ y
    if impose_null:
        beta_r = beta - bread @ R.T @ np.linalg.solve(R @ bread @ R.T, R @ beta - r)
    else:
        beta_r = beta
    u = y - X @ beta_r
    Ystar = (X @ beta_r)[:, None] + u[:, None] * V[:, cl].T
    Bstar = bread @ (X.T @ Ystar)
    E = Ystar - X @ Bstar
    H = (cl[None, :] == np.arange(G)[:, None]).astype(float)
    n, k = X.shape
    c = G / (G - 1) * (n - 1) / (n - k)
    A = X @ bread @ R.T  # (n, q): per-observation rows of R (X'X)^-1 x_i

    def wald(dev, resid):
        S = np.einsum("gn,nq,nb->bgq", H, A, resid)
        Vb = c * np.einsum("bgq,bgp->bqp", S, S)
        return np.einsum("bq,bq->b", dev, np.linalg.solve(Vb, dev[..., None])[..., 0])

    centre = r if impose_null else R @ beta
    Wb = wald((R @ Bstar).T - centre, E)
    W = wald((R @ beta - r)[None, :], (y - X @ beta)[:, None])[0]
    q = R.shape[0]
    return float(np.mean(Wb >= W * (1 - 1e-9))), float(W / q)


@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize("which", ["leads", "lags"])
def test_joint_pretrend_test_matches_brute_force(data, panel, impose_null, which):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = dz.event_study(panel, "y", controls=["x1"], cluster="province")
    e = data["year"] - data["cohort"]
    terms = [t for t in es.estimate.index if t.startswith("e")]
    ind = np.column_stack([(e == int(t[1:])).to_numpy(float) for t in terms])
    dummies = pd.concat([pd.get_dummies(data["city"], drop_first=True, dtype=float),
                         pd.get_dummies(data["year"], drop_first=True, dtype=float)], axis=1)
    X = np.column_stack([ind, data["x1"], np.ones(len(data)), dummies.to_numpy()])
    cl = pd.factorize(data["province"], sort=True)[0]
    leads = [t for t in terms if t.startswith("e-")] if which == "leads" else ["e+0", "e+1"]
    R = np.zeros((len(leads), X.shape[1]))
    R[np.arange(len(leads)), [terms.index(t) for t in leads]] = 1.0
    test = wild_bootstrap(es, panel, leads, impose_null=impose_null)
    ref, _ = _brute_force_wald(X, data["y"].to_numpy(), cl, R, np.zeros(len(leads)),
                               impose_null)
    assert test.p_value == ref
    # the Wald F of the result itself (Stata test; the brute force's F counts every dummy
    # in K, so it differs by the small-sample factor, which cancels in the p-value)
    assert test.statistic == pytest.approx(es.wald_test(leads).statistic, rel=1e-8)
    assert test.details["conf_int"] is None and test.details["n_boot"] == 1024


def test_joint_test_errors(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = dz.event_study(panel, "y", cluster="province", overall=True)
    with pytest.raises(SpecificationError, match="No term 'e-9'"):
        wild_bootstrap(es, panel, ["e-2", "e-9"])
    with pytest.raises(SpecificationError, match="at least two distinct terms"):
        wild_bootstrap(es, panel, ["e-2", "e-2"])
    with pytest.raises(SpecificationError, match="combinations of coefficients"):
        wild_bootstrap(es, panel, ["e-2", "overall"])
    with pytest.raises(SpecificationError, match="null must be a number or 2 finite numbers"):
        wild_bootstrap(es, panel, ["e-2", "e-3"], null=[0.0, 1.0, 2.0])


def test_registry_and_design_builders_agree():
    listed = {n for n, spec in REGISTRY.items() if spec.supports("wild_bootstrap")}
    linear = importlib.import_module("did_zones.robustness._wild_linear").LINEAR_TERMS
    assert not set(wb_module.DESIGNS) & set(linear)
    assert listed == set(wb_module.DESIGNS) | set(linear) == {
        "twfe", "event_study", "sun_abraham", "did2s", "imputation"}


def test_unbounded_interval(plain, panel, monkeypatch):
    """An end is infinite when no null value within 2^64 standard errors is rejected."""
    monkeypatch.setattr(wb_module, "_p_value", lambda st, m, theta: 1.0)
    test = wild_bootstrap(plain, panel)
    assert test.details["conf_int"] == (-np.inf, np.inf)


def test_unclustered_result_needs_a_cluster(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hc1 = dz.twfe(panel, "y", treatment="d", cluster=None)
    with pytest.raises(SpecificationError, match="needs one or two cluster variables; got None"):
        wild_bootstrap(hc1, panel)
    assert wild_bootstrap(hc1, panel, cluster="province").details["n_clusters"] == 10


# ----------------------------------------------------------------- Sun–Abraham


@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize("term", ["overall", "e+0", "e-3"])
def test_sun_abraham_terms_match_brute_force(data, panel, term, impose_null):
    """Each Sun–Abraham term is a'δ over its cohort × period cells with the shares held
    fixed: the brute force refits the cell regression (its own design, city and year
    dummies materialised) under R'β = θ; the statistic is the fixed-shares t."""
    from did_zones.estimators.sun_abraham import sun_abraham_design

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sa = dz.sun_abraham(panel, "y", controls=["x1"], cluster="province")
        design = sun_abraham_design(panel, "y", **sa.spec)
    rows = design.rows
    sub = data.iloc[rows]
    dummies = pd.concat([pd.get_dummies(sub["city"], drop_first=True, dtype=float),
                         pd.get_dummies(sub["year"], drop_first=True, dtype=float)], axis=1)
    X = np.column_stack([design.X, np.ones(rows.size), dummies.to_numpy()])
    names = list(design.names)
    weights = wb_module._combination_weights(sa, term)
    R = np.zeros(X.shape[1])
    for name, w in weights.items():
        R[names.index(name)] = w
    cl = pd.factorize(sub["province"], sort=True)[0]
    test = wild_bootstrap(sa, panel, term, impose_null=impose_null, null=0.1)
    ref, _ = _brute_force_p(X, design.y, np.ones(rows.size), cl, 0, impose_null, 0.1, R=R)
    assert test.p_value == ref
    se_fixed = np.sqrt(sa.extra["vcov_fixed_shares"].loc[term, term])
    assert test.statistic == pytest.approx((sa.estimate[term] - 0.1) / se_fixed, rel=1e-9)
