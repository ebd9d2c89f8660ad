"""Shared inference code against statsmodels and hand computations."""

import re
import warnings

import numpy as np
import pytest
import statsmodels.api as sm

import did_zones as dz
from did_zones import inference
from did_zones.errors import EstimationError, InferenceWarning, SpecificationError
from did_zones.inference import (
    FEW_CLUSTERS,
    check_clusters,
    group_sums,
    influence_vcov,
    multiplier_bootstrap,
    sandwich_vcov,
)


@pytest.fixture(scope="module")
def ols_data():
    rng = np.random.default_rng(42)
    n, g1, g2 = 600, 40, 15
    c1 = rng.integers(0, g1, n)
    c2 = rng.integers(0, g2, n)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    y = X @ [1.0, 0.5, -0.25] + rng.normal(size=g1)[c1] + rng.normal(size=n)
    fit = sm.OLS(y, X).fit()
    bread = np.linalg.inv(X.T @ X)
    scores = X * fit.resid[:, None]
    return X, y, c1, c2, fit, bread, scores


def test_group_sums_matches_pandas():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 3))
    g = rng.integers(0, 7, 50)
    expected = np.vstack([v[g == k].sum(0) for k in np.unique(g)])
    np.testing.assert_allclose(group_sums(v, g), expected, rtol=1e-12)
    many = rng.normal(size=(50, 80))  # the sparse path
    expected = np.vstack([many[g == k].sum(0) for k in np.unique(g)])
    np.testing.assert_allclose(group_sums(many, g), expected, rtol=1e-12)


def test_one_way_cluster_matches_statsmodels(ols_data):
    X, y, c1, _, fit, bread, scores = ols_data
    V, G = sandwich_vcov(scores, bread, c1, n_obs=len(y), n_params=3)
    ref = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": c1})
    np.testing.assert_allclose(V, ref.cov_params(), rtol=1e-10)
    assert G == 40


def test_hc1_matches_statsmodels(ols_data):
    X, y, _, _, fit, bread, scores = ols_data
    V, G = sandwich_vcov(scores, bread, None, n_obs=len(y), n_params=3)
    np.testing.assert_allclose(V, sm.OLS(y, X).fit(cov_type="HC1").cov_params(), rtol=1e-10)
    assert G is None


def test_two_way_conventional_matches_statsmodels(ols_data):
    X, y, c1, c2, fit, bread, scores = ols_data
    V, G = sandwich_vcov(scores, bread, np.column_stack([c1, c2]), n_obs=len(y), n_params=3,
                         cluster_df="conventional")
    ref = sm.OLS(y, X).fit(cov_type="cluster",
                           cov_kwds={"groups": np.column_stack([c1, c2])})
    np.testing.assert_allclose(V, ref.cov_params(), rtol=1e-10)
    assert G == 15


def test_two_way_min_scales_every_term_by_smallest_g(ols_data):
    X, y, c1, c2, fit, bread, scores = ols_data
    n, k = len(y), 3
    V, _ = sandwich_vcov(scores, bread, np.column_stack([c1, c2]), n_obs=n, n_params=k)
    raw, _ = sandwich_vcov(scores, bread, np.column_stack([c1, c2]), n_obs=n, n_params=k,
                           small_sample=False)
    factor = 15 / 14 * (n - 1) / (n - k)
    np.testing.assert_allclose(V, factor * raw, rtol=1e-12)


def test_influence_vcov_and_cluster_sums():
    rng = np.random.default_rng(1)
    psi = rng.normal(size=(100, 2))
    V, n = influence_vcov(psi)
    np.testing.assert_allclose(V, psi.T @ psi / 100**2, rtol=1e-14)
    assert n == 100
    cl = np.repeat(np.arange(20), 5)
    Vc, g = influence_vcov(psi, cl)
    s = psi.reshape(20, 5, 2).sum(1)
    np.testing.assert_allclose(Vc, s.T @ s / 100**2, rtol=1e-14)
    assert g == 20


def test_multiplier_bootstrap_reproducible_and_close_to_analytic():
    rng = np.random.default_rng(3)
    psi = rng.normal(size=(2000, 3)) * [1.0, 2.0, 0.5]
    a = multiplier_bootstrap(psi, 2000, seed=11)
    b = multiplier_bootstrap(psi, 2000, seed=11)
    np.testing.assert_array_equal(a.draws, b.draws)
    analytic = np.sqrt(np.diag(influence_vcov(psi)[0]))
    # IQR-based se of 2000 draws: Monte-Carlo sd about 1.17/sqrt(2000) = 2.6%; 5 sd bound
    np.testing.assert_allclose(a.std_error, analytic, rtol=0.13)
    # sup-t critical value for 3 nearly independent stats lies between the pointwise and
    # the Bonferroni normal critical values
    assert 1.96 < a.crit_value < 2.45
    c = multiplier_bootstrap(psi, 2000, seed=12)
    assert not np.array_equal(a.draws, c.draws)


def test_multiplier_bootstrap_one_weight_per_cluster():
    # identical influence rows within a cluster: with one weight per cluster the draws
    # equal the draws of the cluster-level problem
    rng = np.random.default_rng(5)
    base = rng.normal(size=(30, 1))
    psi = np.repeat(base, 4, axis=0)
    cl = np.repeat(np.arange(30), 4)
    res = multiplier_bootstrap(psi, 500, seed=2, clusters=cl)
    ref = multiplier_bootstrap(base, 500, seed=2)
    np.testing.assert_allclose(res.draws, ref.draws, rtol=1e-12)


def test_mammen_and_rademacher_weight_moments():
    from did_zones.inference import _weighted_sums

    rng = np.random.default_rng(0)
    n = 400_000
    one = np.ones((1, 1))  # one unit with psi = 1: each draw is that unit's multiplier
    m = _weighted_sums(rng, n, one, "mammen").ravel()
    # Mammen: two points, mean 0, variance 1, third moment 1; MC sd of each mean < 0.01
    assert np.unique(m).size == 2
    assert abs(m.mean()) < 0.01 and abs(m.var() - 1) < 0.01 and abs((m**3).mean() - 1) < 0.03
    r = _weighted_sums(rng, n, one, "rademacher").ravel()
    assert set(np.unique(r)) == {-1.0, 1.0} and abs(r.mean()) < 0.01
    # across units (64 per raw word, several chunks of units): sums of n = 20,001 unit
    # multipliers are odd integers with mean 0 and variance n (MC sd of the variance
    # estimate over 4,000 draws: sqrt(2/4000) = 2.2%, bound 5 sd)
    n_units = 20_001
    sums = _weighted_sums(rng, 4000, np.ones((n_units, 1)), "rademacher").ravel()
    assert np.all(sums == np.round(sums)) and np.all(np.abs(sums) % 2 == 1)
    assert abs(sums.mean()) < 5 * np.sqrt(n_units / 4000)
    assert abs(sums.var() / n_units - 1) < 5 * np.sqrt(2 / 4000)
    # units' multipliers are independent: orthogonal columns give uncorrelated draws
    psi = np.zeros((n_units, 2))
    psi[::2, 0], psi[1::2, 1] = 1.0, 1.0
    for kind in ("rademacher", "mammen"):
        d = _weighted_sums(rng, 4000, psi, kind)
        assert abs(np.corrcoef(d.T)[0, 1]) < 5 / np.sqrt(4000)


def test_bootstrap_bad_options():
    psi = np.ones((10, 1))
    with pytest.raises(SpecificationError, match="weights must be one of 'rademacher', 'mammen'"):
        multiplier_bootstrap(psi, 10, weights="normal")
    with pytest.raises(SpecificationError, match="n_boot must be an integer of at least 2"):
        multiplier_bootstrap(psi, 1)
    with pytest.raises(SpecificationError, match="missing value"):
        multiplier_bootstrap(psi, 10, clusters=np.array([np.nan] + [1.0] * 9))


# ---------------------------------------------------------------- cluster counts (issue #14)
# Every estimator refuses a variance from one cluster (no p-value of 0 from an SE of 1e-16,
# no ZeroDivisionError) and warns once, naming the remedies, below FEW_CLUSTERS.

_ESTIMATORS = ["twfe", "event_study", "sun_abraham", "callaway_santanna", "imputation",
               "did2s", "dcdh"]
_TWO_WAY = ["twfe", "event_study", "sun_abraham"]  # the estimators taking two cluster names
_REMEDIES = r"wild cluster bootstrap \(Stata boottest / R fwildclusterboot\).*did_zones\.placebo"


@pytest.fixture(scope="module")
def cluster_panel():
    sim = dz.simulate_pilot_panel(seed=1)
    rank = sim.data["city_code"].rank(method="dense").astype(int)
    df = sim.data.assign(country=1, g5=rank % 5, g40=rank % 40)
    return dz.build_panel(df, unit="city_code", time="year", cohort="cohort")


def _inference_warnings(func, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = func(*args, **kwargs)
    return out, [str(w.message) for w in caught if issubclass(w.category, InferenceWarning)]


@pytest.mark.filterwarnings("ignore::did_zones.errors.SmallCohortWarning")
@pytest.mark.parametrize("name", _ESTIMATORS)
def test_one_cluster_is_an_error_naming_the_variable_and_the_fix(cluster_panel, name):
    with pytest.raises(EstimationError,
                       match=r"Only 1 cluster of 'country': .*no standard error or p-value.*"
                             r"cluster='unit'"):
        getattr(dz, name)(cluster_panel, "isu", cluster="country")


@pytest.mark.filterwarnings("ignore::did_zones.errors.SmallCohortWarning")
@pytest.mark.parametrize("name", _TWO_WAY)
def test_two_way_clustering_is_judged_by_its_smaller_dimension(cluster_panel, name):
    with pytest.raises(EstimationError, match="Only 1 cluster of 'country'"):
        getattr(dz, name)(cluster_panel, "isu", cluster=("unit", "country"))
    res, ws = _inference_warnings(getattr(dz, name), cluster_panel, "isu",
                                  cluster=("unit", "g5"))
    assert len(ws) == 1 and ws[0].startswith("Only 5 clusters of 'g5':")
    assert res.n_clusters == 5


@pytest.mark.parametrize("name", _ESTIMATORS)
def test_few_clusters_warn_once_naming_the_count_and_the_remedies(cluster_panel, name):
    res, ws = _inference_warnings(getattr(dz, name), cluster_panel, "isu", cluster="g5")
    assert len(ws) == 1, ws
    assert ws[0].startswith(f"Only 5 clusters of 'g5': cluster-robust standard errors and "
                            f"p-values may be unreliable with fewer than {FEW_CLUSTERS}.")
    assert re.search(_REMEDIES, ws[0])
    assert ws[0] in res.notes
    assert res.n_clusters == 5


@pytest.mark.parametrize("name", _ESTIMATORS)
def test_enough_clusters_give_no_inference_warning(cluster_panel, name):
    _, ws = _inference_warnings(getattr(dz, name), cluster_panel, "isu", cluster="g40")
    assert ws == []


def test_aggregate_warns_about_few_clusters(cluster_panel):
    res, _ = _inference_warnings(dz.callaway_santanna, cluster_panel, "isu", cluster="g5")
    _, ws = _inference_warnings(dz.aggregate, res, kind="simple")
    assert len(ws) == 1 and ws[0].startswith("Only 5 clusters of 'g5'")


@pytest.mark.parametrize("kind", ["mediation", "causal_mediation", "moderation"])
def test_mechanism_equations_judge_their_clusters(cluster_panel, kind):
    calls = {
        "mediation": lambda cl: dz.mediation(cluster_panel, "isu", "ecom", cluster=cl),
        "causal_mediation": lambda cl: dz.causal_mediation(cluster_panel, "isu", "ecom",
                                                           cluster=cl, n_sims=50, seed=1),
        "moderation": lambda cl: dz.moderation(cluster_panel, "isu", "lnpop", cluster=cl),
    }
    with pytest.raises(EstimationError, match="Only 1 cluster of 'country'"):
        calls[kind]("country")
    _, ws = _inference_warnings(calls[kind], "g5")
    assert ws and all(w.startswith("Only 5 clusters of 'g5'") for w in ws)


def test_causal_mediation_on_a_data_frame_judges_its_clusters(cluster_panel):
    df = cluster_panel.data.assign(treated=cluster_panel.treated.astype(float))
    with pytest.raises(EstimationError, match="Only 1 cluster of 'country'"):
        dz.causal_mediation(df, "isu", "ecom", cluster="country", fixed_effects=(),
                            n_sims=50, seed=1)


def test_the_shared_routines_refuse_one_cluster():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(20, 2))
    with pytest.raises(EstimationError, match="Only 1 cluster of 'c'"):
        sandwich_vcov(scores, np.eye(2), np.zeros(20), n_obs=20, n_params=2,
                      cluster_names=("c",))
    with pytest.raises(EstimationError, match="Only 1 cluster:"):
        sandwich_vcov(scores, np.eye(2), np.column_stack([np.arange(20), np.zeros(20)]),
                      n_obs=20, n_params=2)
    with pytest.raises(EstimationError, match="Only 1 cluster of 'c'"):
        influence_vcov(scores, np.zeros(20), "c")


def test_check_clusters_threshold_is_a_module_constant(monkeypatch):
    assert check_clusters(None) == ()
    assert check_clusters(FEW_CLUSTERS, "g") == ()
    with pytest.raises(EstimationError, match="Only 0 clusters"):
        check_clusters(0)
    with pytest.warns(InferenceWarning, match="Only 12 clusters of 'province'"):
        assert len(check_clusters([40, 12], ["unit", "province"])) == 1
    monkeypatch.setattr(inference, "FEW_CLUSTERS", 10)
    assert check_clusters(12, "province") == ()
    with pytest.warns(InferenceWarning, match="with fewer than 10"):
        check_clusters(9, "province")


# ------------------------------------------------- variances that are rounding noise (issue #14)


def test_rounding_floor_is_the_clustered_se_of_residuals_all_equal_to_tol():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    B = np.linalg.inv(X.T @ X)
    cl = np.repeat(np.arange(8), 5)
    F = inference.rounding_vcov(X, B, cl, 1e-9, n_obs=40, n_params=2)
    loads = np.abs(X @ B) * 1e-9
    sums = np.array([loads[cl == g].sum(axis=0) for g in range(8)])
    c = 8 / 7 * 39 / 38
    np.testing.assert_allclose(np.diag(F), c * (sums**2).sum(axis=0), rtol=1e-12)
    # a real clustered variance is far above its floor
    V, _ = inference.sandwich_vcov(X * rng.normal(size=(40, 1)), B, cl, n_obs=40, n_params=2)
    assert (np.diag(V) > 1e6 * np.diag(F)).all()


def test_flag_unidentified_nans_row_and_column_and_warns_once_naming_terms():
    V = np.array([[4.0, 1e-20, 0.5], [1e-20, 1e-30, 0.0], [0.5, 0.0, 0.0]])
    with pytest.warns(InferenceWarning, match=r"2 term\(s\) is numerically zero.*'b', 'c'.*"
                      r"placebo") as rec:
        out, notes = inference.flag_unidentified(V, np.full(3, 1e-20), ["a", "b", "c"])
    assert len(rec) == 1 and notes and "placebo" in notes[0]
    assert out[0, 0] == 4.0 and np.isnan(out[1]).all() and np.isnan(out[:, 2]).all()
    # a negative floor never flags (a reference cell that is 0 by construction)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same, none = inference.flag_unidentified(V, -1.0, ["a", "b", "c"])
    assert none == () and np.array_equal(same, V)


def test_influence_floor_flags_exact_zero_and_rounding_only():
    fl = inference.influence_floor(2, 5.0)
    with pytest.warns(InferenceWarning, match="'x'"):
        out, _ = inference.flag_unidentified(np.diag([0.0, 1e-6]), fl, ["x", "y"])
    assert np.isnan(out[0, 0]) and out[1, 1] == 1e-6
    assert inference.outcome_scale(np.array([np.nan, -3.0, 2.0])) == 3.0


def test_sup_t_critical_value_is_the_max_t_quantile_with_r_did_fallbacks():
    from scipy import stats

    from did_zones.inference import sup_t_critical_value

    rng = np.random.default_rng(5)
    draws = rng.normal(size=(4000, 3)) * [1.0, 2.0, 0.5]
    cols = np.array([True, True, True])
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0)
    sigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    expected = np.quantile(np.max(np.abs(draws) / sigma, axis=1), 0.95)
    crit, note = sup_t_critical_value(draws, cols, 0.05)
    assert crit == pytest.approx(expected, rel=1e-12) and note is None
    # one column of exactly tied |draws|: the max-t quantile (1.0 / its IQR scale) is below
    # the pointwise 1.96, so the band falls back to the pointwise value, as R did does
    tied = np.repeat([[-1.0], [1.0]], 500, axis=0)
    crit, note = sup_t_critical_value(tied, np.array([True]), 0.05)
    assert crit == pytest.approx(stats.norm.ppf(0.975), rel=1e-12)
    assert "below the pointwise" in note
    assert sup_t_critical_value(draws, np.zeros(3, dtype=bool), 0.05) == (
        None, "No uniform band: no term has a positive bootstrap standard error.")


def test_failed_draws_warning_counts_shows_and_explains():
    from did_zones.inference import warn_failed_draws

    with pytest.warns(InferenceWarning, match=r"^3 of 50 placebo draw\(s\) could not be "
                      r"estimated and were dropped \(placebo draw\(s\) \[1, 4, 9\]; first "
                      r"error: boom\)\. Fix it\.$"):
        warn_failed_draws([(1, "boom"), (4, "x"), (9, "y")], 50, "placebo draw(s)",
                          "were dropped", "Fix it.")
