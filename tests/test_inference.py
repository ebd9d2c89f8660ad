"""Shared inference code against statsmodels and hand computations."""

import numpy as np
import pytest
import statsmodels.api as sm

from did_zones.errors import SpecificationError
from did_zones.inference import (
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
    with pytest.raises(SpecificationError, match="n_boot must be at least 2"):
        multiplier_bootstrap(psi, 1)
    with pytest.raises(SpecificationError, match="missing value"):
        multiplier_bootstrap(psi, 10, clusters=np.array([np.nan] + [1.0] * 9))
