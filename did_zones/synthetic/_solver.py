"""Frank-Wolfe weights of synthetic control and synthetic DiD (Arkhangelsky et al. 2021).

The numerics of R ``synthdid`` (``sc.weight.fw``, ``fw.step``, ``collapsed.form``,
``sparsify_function``, ``synthdid_estimate``), written anew for numpy: the weights minimise
``zeta² ‖x‖² + ‖A x − b‖² / n`` over the unit simplex (``n`` rows of ``A``), by Frank-Wolfe
with exact line search, optionally with an intercept (columns of ``[A b]`` demeaned). The
defaults are R's: ``zeta_omega = (N1·T1)^(1/4)·σ``, ``zeta_lambda = 1e-6·σ`` with ``σ`` the
standard deviation of the controls' first differences before treatment, stopping when an
iteration lowers the objective by less than ``(1e-5·σ)²`` or after 10,000 iterations, and a
second pass from the sparsified first-pass solution (weights ≤ max/4 set to 0).

scipy has no simplex-constrained ridge solver that stops where R's does, and matching R's
weights to 1e-4 needs R's path (its stopping rule and sparsification), hence the loop here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SdidOptions", "WeightFit", "fit_block", "noise_level", "sparsify",
           "sum_normalize", "collapsed"]

#: iterations of the first pass, before sparsification (R ``max.iter.pre.sparsify``)
PRE_SPARSIFY_ITER = 100


@dataclass(frozen=True)
class SdidOptions:
    """Fixed tuning of one block (R's ``opts`` attribute): reused by the variance draws.

    ``update_omega`` / ``update_lambda`` False means the weights are given, not solved for
    (SC's zero time weights, DiD's uniform weights, the jackknife's fixed weights).
    """

    method: str
    zeta_omega: float
    zeta_lambda: float
    min_decrease: float
    max_iter: int
    omega_intercept: bool
    update_omega: bool
    update_lambda: bool
    sparsify: bool


@dataclass(frozen=True)
class WeightFit:
    """Unit weights ``omega`` (controls), time weights ``lambda_`` (pre-periods), estimate."""

    omega: np.ndarray
    lambda_: np.ndarray
    estimate: float


def sum_normalize(x: np.ndarray) -> np.ndarray:
    """``x / sum(x)``, or uniform weights when ``x`` sums to 0 (R ``sum_normalize``)."""
    s = x.sum()
    if s != 0:
        return x / s
    return np.full(x.size, 1.0 / x.size)


def sparsify(v: np.ndarray) -> np.ndarray:
    """Weights at or below a quarter of the largest set to 0, then renormalised."""
    out = np.where(v <= v.max() / 4, 0.0, v)
    return out / out.sum()


def noise_level(y_controls_pre: np.ndarray) -> float:
    """Sample standard deviation of all first differences of the controls' pre-period rows
    (R ``sd(apply(Y[1:N0, 1:T0], 1, diff))``); 0 when there is fewer than two differences."""
    d = np.diff(y_controls_pre, axis=1).ravel()
    return float(d.std(ddof=1)) if d.size > 1 else 0.0


def collapsed(Y: np.ndarray, n0: int, t0: int) -> np.ndarray:
    """``(n0+1) × (t0+1)``: controls × pre-periods, with the treated rows averaged into the
    last row and the post-periods averaged into the last column (R ``collapsed.form``)."""
    top = np.column_stack([Y[:n0, :t0], Y[:n0, t0:].mean(axis=1)])
    bottom = np.append(Y[n0:, :t0].mean(axis=0), Y[n0:, t0:].mean())
    return np.vstack([top, bottom])


def _frank_wolfe(A: np.ndarray, b: np.ndarray, x: np.ndarray, zeta: float,
                 min_decrease: float, max_iter: int) -> np.ndarray:
    """Minimise ``zeta²‖x‖² + ‖Ax − b‖²/n`` on the simplex from ``x`` (R ``sc.weight.fw``
    after centring). Exact line search; stops when the objective falls by at most
    ``min_decrease²`` in an iteration, or after ``max_iter`` iterations."""
    n = A.shape[0]
    eta = n * zeta ** 2
    z2 = zeta ** 2
    x = np.array(x, dtype=float)
    Ax = A @ x
    tol = min_decrease ** 2
    prev = np.inf
    for it in range(max_iter):
        r = Ax - b
        grad = A.T @ r + eta * x
        i = int(np.argmin(grad))
        dx = -x
        dx[i] += 1.0
        if np.any(dx != 0):
            derr = A[:, i] - Ax
            den = derr @ derr + eta * (dx @ dx)
            if den > 0:
                step = min(1.0, max(0.0, -(grad @ dx) / den))
                x += step * dx
                Ax = A @ x  # recomputed, as R does: no drift over 10,000 updates
        r = Ax - b
        val = z2 * (x @ x) + (r @ r) / n
        # R evaluates the rule before each iteration from the 3rd: vals[t-1] - vals[t]
        if it >= 1 and not prev - val > tol:
            break
        prev = val
    return x


def solve_weights(Y: np.ndarray, zeta: float, intercept: bool, init: np.ndarray | None,
                  min_decrease: float, max_iter: int, sparse: bool) -> np.ndarray:
    """Weights on the columns of ``Y[:, :-1]`` that reproduce ``Y[:, -1]``: the first pass
    (at most :data:`PRE_SPARSIFY_ITER` iterations), then, when ``sparse``, a second pass
    from its sparsified solution (R ``synthdid_estimate`` calling ``sc.weight.fw``)."""
    k = Y.shape[1] - 1
    if intercept:
        Y = Y - Y.mean(axis=0)
    A, b = Y[:, :k], Y[:, k]
    x = np.full(k, 1.0 / k) if init is None else init
    if sparse:
        x = _frank_wolfe(A, b, x, zeta, min_decrease, PRE_SPARSIFY_ITER)
        x = sparsify(x)
    return _frank_wolfe(A, b, x, zeta, min_decrease, max_iter)


def fit_block(Y: np.ndarray, n0: int, t0: int, opts: SdidOptions,
              omega: np.ndarray | None = None, lambda_: np.ndarray | None = None
              ) -> WeightFit:
    """The weights and the estimate of one block: rows ``:n0`` controls, columns ``:t0``
    pre-periods. ``omega`` / ``lambda_`` are the starting points (or the fixed weights when
    ``opts`` says not to update them)."""
    n1, t1 = Y.shape[0] - n0, Y.shape[1] - t0
    Yc = collapsed(Y, n0, t0) if (opts.update_lambda or opts.update_omega) else None
    if opts.update_lambda:
        lambda_ = solve_weights(Yc[:n0, :], opts.zeta_lambda, True, lambda_,
                                opts.min_decrease, opts.max_iter, opts.sparsify)
    if opts.update_omega:
        omega = solve_weights(Yc[:, :t0].T, opts.zeta_omega, opts.omega_intercept, omega,
                              opts.min_decrease, opts.max_iter, opts.sparsify)
    return WeightFit(omega, lambda_, block_estimate(Y, n0, t0, omega, lambda_, n1, t1))


def block_estimate(Y: np.ndarray, n0: int, t0: int, omega: np.ndarray,
                   lambda_: np.ndarray, n1: int, t1: int) -> float:
    """``(−ω, 1/N1)' Y (−λ, 1/T1)``: the weighted double difference."""
    u = np.concatenate([-omega, np.full(n1, 1.0 / n1)])
    v = np.concatenate([-lambda_, np.full(t1, 1.0 / t1)])
    return float(u @ Y @ v)


def default_options(Y: np.ndarray, n0: int, t0: int, method: str, *,
                    max_iter: int = 10_000, sparse: bool = True) -> tuple[SdidOptions,
                                                                         np.ndarray | None,
                                                                         np.ndarray | None]:
    """R's defaults for ``method`` in ``{"sdid", "sc", "did"}``: the options and the given
    weights (None where they are solved for)."""
    n1, t1 = Y.shape[0] - n0, Y.shape[1] - t0
    sigma = noise_level(Y[:n0, :t0])
    eta_omega = 1e-6 if method == "sc" else (n1 * t1) ** 0.25
    opts = SdidOptions(
        method=method, zeta_omega=eta_omega * sigma, zeta_lambda=1e-6 * sigma,
        min_decrease=1e-5 * sigma, max_iter=max_iter, omega_intercept=method != "sc",
        update_omega=method != "did", update_lambda=method == "sdid", sparsify=sparse)
    omega = np.full(n0, 1.0 / n0) if method == "did" else None
    lambda_ = {"sc": np.zeros(t0), "did": np.full(t0, 1.0 / t0)}.get(method)
    return opts, omega, lambda_
