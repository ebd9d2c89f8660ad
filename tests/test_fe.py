"""Fixed-effect absorption (``design.Absorber``) against dense least squares."""

import numpy as np
import pytest

from did_zones.design import Absorber, dense_codes


def _dummies(codes, weights=None):
    """Dense dummy matrix of all dimensions (first one full, later ones minus a level)."""
    cols = [np.eye(int(codes[0].max()) + 1)[codes[0]]]
    cols += [np.eye(int(c.max()) + 1)[c][:, 1:] for c in codes[1:]]
    return np.column_stack(cols)


def _projection_residual(codes, V, weights=None):
    D = _dummies(codes)
    w = np.ones(len(V)) if weights is None else weights
    sw = np.sqrt(w)[:, None]
    beta = np.linalg.lstsq(D * sw, V * sw, rcond=None)[0]
    return V - D @ beta


def test_balanced_two_way_is_one_exact_sweep():
    rng = np.random.default_rng(0)
    n_units, n_periods = 50, 7
    unit = np.repeat(np.arange(n_units), n_periods)
    period = np.tile(np.arange(n_periods), n_units)
    order = rng.permutation(unit.size)  # row order must not matter
    unit, period = unit[order], period[order]
    V = rng.normal(size=(unit.size, 3))
    fe = Absorber.from_codes([unit, period])
    assert fe.is_balanced()
    resid, (a, b) = fe.components(V)
    closed = np.empty_like(V)
    for j in range(3):  # y - unit mean - period mean + grand mean
        Y = np.zeros((n_units, n_periods))
        Y[unit, period] = V[:, j]
        closed[:, j] = (Y - Y.mean(1, keepdims=True) - Y.mean(0, keepdims=True)
                        + Y.mean())[unit, period]
    np.testing.assert_allclose(resid, closed, atol=1e-13)
    # effects reproduce the fitted values; later dimensions have mean zero
    np.testing.assert_allclose(V - resid, a[unit] + b[period], atol=1e-12)
    np.testing.assert_allclose(b.mean(0), 0, atol=1e-14)


@pytest.mark.parametrize("weighted", [False, True])
def test_unbalanced_and_three_way_match_dense_least_squares(weighted):
    rng = np.random.default_rng(1)
    n = 600
    codes = [rng.integers(0, 40, n), rng.integers(0, 8, n), rng.integers(0, 5, n)]
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    V = rng.normal(size=(n, 2))
    for dims in (codes[:2], codes):
        fe = Absorber.from_codes(dims, weights=w)
        assert not fe.is_balanced()
        np.testing.assert_allclose(fe.residualize(V), _projection_residual(dims, V, w),
                                   atol=1e-9)


def test_duplicated_pairs_are_not_taken_for_a_balanced_design():
    # 2 x 2 levels over 4 rows but (0, 0) twice and (1, 1) missing: not orthogonal
    a, b = np.array([0, 0, 1, 0]), np.array([0, 1, 0, 0])
    fe = Absorber.from_codes([a, b])
    assert not fe.is_balanced()
    V = np.array([1.0, 2.0, 4.0, 3.0])
    np.testing.assert_allclose(fe.residualize(V), _projection_residual([a, b], V[:, None])[:, 0],
                               atol=1e-12)


def test_dense_codes():
    np.testing.assert_array_equal(dense_codes(np.array([3, 1, 3, 7])), [1, 0, 1, 2])
    np.testing.assert_array_equal(dense_codes(np.array([2, 0, 1])), [2, 0, 1])
    np.testing.assert_array_equal(dense_codes(np.array([10**12, -5, 10**12])), [1, 0, 1])
