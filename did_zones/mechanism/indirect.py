"""Tests of the indirect effect a·b: Sobel, Aroian, Goodman and the cluster bootstrap.

Numerics only (no string formatting beyond test names). The three equations are

    Y = c D + X'γ1 + FE + e1,    M_j = a_j D + X'γ2j + FE + e2j,
    Y = c' D + Σ_j b_j M_j + X'γ3 + FE + e3,

on one common sample, so that with linear models ``c = c' + Σ_j a_j b_j`` exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats

from ..design import Absorber, FESpec, resolve_codes
from ..inference import sandwich_vcov
from ..panel import Panel
from ..result import HypothesisTest, Result

__all__ = [
    "z_tests",
    "first_stage_covariance",
    "delta_total",
    "equations_statistic",
    "statistic_labels",
]

Z_TESTS = ("sobel", "aroian", "goodman")


def z_tests(a: float, b: float, s_a: float, s_b: float) -> dict[str, tuple[float, float, float]]:
    """Sobel, Aroian and Goodman z statistics of ``a·b``.

    Returns
    -------
    dict
        test name -> (standard error, z, two-sided normal p-value). Goodman's variance
        ``b²s_a² + a²s_b² − s_a²s_b²`` can be negative; its z and p are then NaN.

    Notes
    -----
    Sobel (1982): ``se² = b²s_a² + a²s_b²``; Aroian (1947): ``+ s_a²s_b²``; Goodman
    (1960): ``− s_a²s_b²`` (MacKinnon et al. 2002, Psychol. Methods 7(1):83–104).
    """
    base = b * b * s_a * s_a + a * a * s_b * s_b
    prod = s_a * s_a * s_b * s_b
    out = {}
    for name, var in zip(Z_TESTS, (base, base + prod, base - prod), strict=True):
        if var > 0:
            se = float(np.sqrt(var))
            z = a * b / se
            out[name] = (se, float(z), float(2 * stats.norm.sf(abs(z))))
        else:
            out[name] = (float("nan"),) * 3
    return out


def first_stage_covariance(
    panel: Panel,
    mediators: Sequence[str],
    first_stage: dict[str, Result],
    controls: Sequence[str],
    fixed_effects: Sequence[FESpec],
    cluster: str | Sequence[str] | None,
) -> np.ndarray:
    """Joint cluster-robust covariance of ``(a_1, ..., a_k)`` across mediator equations.

    The mediator equations share regressors and rows, so stacking their scores in one
    sandwich gives the cross-equation covariances (seemingly-unrelated-regression style)
    with the same CRV1 factor as each equation: the diagonal equals each first stage's own
    variance. Controls dropped as collinear are left out, as in the fits.
    """
    fs = first_stage[mediators[0]]
    rows = np.flatnonzero(fs.extra["sample"])
    kept = [t for t in fs.terms if t != "treated"]
    X = np.column_stack([panel.treated[rows].astype(float)]
                        + [panel.column(c)[rows] for c in kept])
    Ms = np.column_stack([panel.column(m)[rows] for m in mediators])
    codes = [resolve_codes(panel, s)[rows] for s in fixed_effects] or [np.zeros(rows.size, int)]
    within = Absorber.from_codes(codes).residualize(np.column_stack([Ms, X]))
    Mt, Xt = within[:, :Ms.shape[1]], within[:, Ms.shape[1]:]
    bread = np.linalg.inv(Xt.T @ Xt)
    coef = bread @ (Xt.T @ Mt)
    resid = Mt - Xt @ coef
    k, p = len(mediators), Xt.shape[1]
    scores = np.concatenate([Xt * resid[:, [j]] for j in range(k)], axis=1)
    big_bread = np.kron(np.eye(k), bread)
    clusters = None
    if cluster is not None:
        specs = (cluster,) if isinstance(cluster, str) else tuple(cluster)
        cl = [resolve_codes(panel, s, what="Cluster")[rows] for s in specs]
        clusters = cl[0] if len(cl) == 1 else np.column_stack(cl)
    n_params = fs.stats["n_fe_params"] + p
    V, _ = sandwich_vcov(scores, big_bread, clusters, n_obs=rows.size, n_params=n_params)
    idx = np.arange(k) * p  # the treatment is the first regressor of every equation
    return V[np.ix_(idx, idx)]


def delta_total(a: np.ndarray, b: np.ndarray, cov_a: np.ndarray,
                cov_b: np.ndarray) -> float:
    """Delta-method (multivariate Sobel) standard error of ``Σ_j a_j b_j``.

    ``Var = b' Σ_a b + a' Σ_b a`` with ``Cov(a, b) = 0`` as in Sobel's test (Preacher &
    Hayes 2008, Behav. Res. Methods 40(3):879–891). With one mediator it is Sobel's SE.
    """
    return float(np.sqrt(b @ cov_a @ b + a @ cov_b @ a))


def statistic_labels(mediators: Sequence[str]) -> list[str]:
    """Names of the entries of :func:`equations_statistic`'s vector."""
    k = list(mediators)
    return ([f"a[{m}]" for m in k] + [f"b[{m}]" for m in k] + [f"a*b[{m}]" for m in k]
            + ["sum(a*b)", "c'", "c"])


def equations_statistic(
    outcome: str,
    mediators: Sequence[str],
    controls: Sequence[str],
    fixed_effects: Sequence[FESpec],
) -> Callable[[Panel], np.ndarray]:
    """The bootstrap statistic ``(a_1..a_k, b_1..b_k, a_1b_1..a_kb_k, Σ a_j b_j, c', c)``.

    Both regressions share one within transformation of ``[Y, M, X, D]`` on the fixed
    effects of the (resampled) panel, then two small least-squares solves (Frisch–Waugh–
    Lovell), so a draw costs one absorption. Rows with a missing Y, M or control are
    skipped (the caller masks them so every equation uses the same rows). Singletons are
    kept: they are fitted exactly by the fixed effects and do not move the coefficients.
    """
    mediators, controls = list(mediators), list(controls)
    k = len(mediators)
    cols = [outcome, *mediators, *controls]

    def statistic(panel: Panel) -> np.ndarray:
        V = np.column_stack([panel.column(c) for c in cols]
                            + [panel.treated.astype(float)])
        ok = np.isfinite(V).all(axis=1)
        codes = [resolve_codes(panel, s)[ok] for s in fixed_effects]
        if not codes:
            codes = [np.zeros(int(ok.sum()), dtype=np.int64)]
        W = Absorber.from_codes(codes).residualize(V[ok])
        y, M, X, d = W[:, 0], W[:, 1:1 + k], W[:, 1 + k:-1], W[:, -1:]
        X1 = np.column_stack([d, X])
        first = np.linalg.lstsq(X1, np.column_stack([y, M]), rcond=None)[0]
        c, a = first[0, 0], first[0, 1:]
        X2 = np.column_stack([d, M, X])
        second = np.linalg.lstsq(X2, y, rcond=None)[0]
        c_prime, b = second[0], second[1:1 + k]
        ab = a * b
        return np.concatenate([a, b, ab, [ab.sum(), c_prime, c]])

    return statistic


def bootstrap_test(name: str, estimate: float, draws, index: int, kind: str,
                   alpha: float, interval: tuple[float, float]) -> HypothesisTest:
    """HypothesisTest of ``θ = 0`` from bootstrap draws: z = θ̂ / bootstrap SE, the
    bootstrap p-value, and the ``kind`` interval (significant when it excludes 0)."""
    se = float(np.asarray(draws.std_error())[index])
    p = float(np.asarray(draws.p_value(method="percentile"))[index])
    return HypothesisTest(
        name, estimate / se if se > 0 else float("nan"), p, None, "bootstrap",
        details={"estimate": estimate, "std_error": se, "interval": kind,
                 "conf_low": interval[0], "conf_high": interval[1], "alpha": alpha,
                 "n_boot": int(draws.draws.shape[0]), "n_failed": int(draws.n_failed),
                 "n_clusters": int(draws.n_clusters),
                 "excludes_zero": bool(interval[0] > 0 or interval[1] < 0)},
    )
