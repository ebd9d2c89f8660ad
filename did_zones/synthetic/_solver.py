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
It differs from R's only in bookkeeping: ``A x`` is updated along the step instead of
recomputed (one pass over ``A`` per iteration instead of two; the weights agree with R's
and diff-diff's to 1e-10), and the variance draws are solved as one batch (numpy over
the draws, in cache-sized chunks), each draw stopping by its own rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SdidOptions", "WeightFit", "fit_block", "fit_blocks", "noise_level", "sparsify",
           "sum_normalize", "collapsed"]

#: iterations of the first pass, before sparsification (R ``max.iter.pre.sparsify``)
PRE_SPARSIFY_ITER = 100
# a batch of problems larger than this is solved in chunks of about this size
_CHUNK_BYTES = 2 ** 21


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


def _frank_wolfe_one(A: np.ndarray, b: np.ndarray, x: np.ndarray, zeta: float,
                     min_decrease: float, max_iter: int, prev: float = np.inf,
                     start: int = 0) -> np.ndarray:
    """:func:`_frank_wolfe` for one problem (1-d arrays: a tenth of the overhead per
    iteration, which is what a fit of 10,000 iterations pays). ``prev`` and ``start``
    resume a problem of a batch: its last objective and the iterations done."""
    n = A.shape[0]
    eta = n * zeta ** 2
    z2 = zeta ** 2
    tol = min_decrease ** 2
    x = np.array(x, dtype=float)
    Ax = A @ x
    for it in range(start, max_iter):
        grad = (Ax - b) @ A + eta * x
        i = int(np.argmin(grad))
        dx = -x
        dx[i] += 1.0
        derr = A[:, i] - Ax
        den = derr @ derr + eta * (dx @ dx)
        if den > 0:
            step = min(1.0, max(0.0, -(grad @ dx) / den))
            x += step * dx
            Ax += step * derr  # A(x + s·dx) = Ax + s(a_i − Ax): one pass over A, not two
        r = Ax - b
        val = z2 * (x @ x) + (r @ r) / n
        if it >= 1 and not prev - val > tol:
            break
        prev = val
    return x


def _frank_wolfe(A: np.ndarray, b: np.ndarray, x: np.ndarray, valid: np.ndarray,
                 n: np.ndarray, zeta, min_decrease, max_iter: int) -> np.ndarray:
    """Minimise ``zeta²‖x‖² + ‖Ax − b‖²/n`` on the simplex from ``x``, for a batch of
    problems at once (R ``sc.weight.fw`` after centring, one problem per leading index).

    ``A`` is ``B × n_max × k_max``, zero-padded; ``valid`` (``B × k_max``) marks real columns
    (padding is never chosen), ``n`` the real rows of each problem. Exact line search; a
    problem stops when an iteration lowers its objective by at most ``min_decrease²`` (from
    the second iteration on, as R), all stop after ``max_iter`` iterations. Batching is
    what makes the placebo and bootstrap draws fast: one numpy pass per iteration for all
    draws instead of a Python loop per draw.
    """
    zeta = np.broadcast_to(np.asarray(zeta, dtype=float), n.shape)
    min_decrease = np.broadcast_to(np.asarray(min_decrease, dtype=float), n.shape)
    per = A[0].nbytes
    if A.shape[0] > 1 and A.nbytes > _CHUNK_BYTES and per < _CHUNK_BYTES:
        # many large problems: in chunks that stay in the CPU cache (memory-bound otherwise)
        size = max(2, _CHUNK_BYTES // per)
        return np.vstack([_frank_wolfe(A[c:c + size], b[c:c + size], x[c:c + size],
                                       valid[c:c + size], n[c:c + size], zeta[c:c + size],
                                       min_decrease[c:c + size], max_iter)
                          for c in range(0, A.shape[0], size)])
    if A.shape[0] == 1:
        v, m = valid[0], int(n[0])
        return _pad(_frank_wolfe_one(A[0, :m][:, v], b[0, :m], x[0, v], zeta[0],
                                     min_decrease[0], max_iter), valid)
    out = np.array(x, dtype=float)
    cur = np.arange(A.shape[0])  # problems still iterating, compacted as they stop
    x = out.copy()
    z2 = zeta ** 2
    eta = n * z2
    tol = min_decrease ** 2
    prev = np.full(cur.size, np.inf)
    active = np.ones(cur.size, dtype=bool)
    pad = np.where(valid, 0.0, np.inf)  # padding columns are never chosen
    Ax = (A @ x[:, :, None])[:, :, 0]
    r = Ax - b
    batch = np.arange(cur.size)
    for it in range(max_iter):
        grad = (r[:, None, :] @ A)[:, 0, :] + eta[:, None] * x
        i = np.argmin(grad + pad, axis=1)
        dx = -x
        dx[batch, i] += 1.0
        derr = A[batch, :, i] - Ax
        den = np.einsum("bn,bn->b", derr, derr) + eta * np.einsum("bk,bk->b", dx, dx)
        num = -np.einsum("bk,bk->b", grad, dx)
        ok = active & (den > 0)
        step = np.where(ok, np.clip(num / np.where(ok, den, 1.0), 0.0, 1.0), 0.0)
        x += step[:, None] * dx
        Ax += step[:, None] * derr  # one pass over A per iteration (R recomputes A x)
        r = Ax - b
        val = z2 * np.einsum("bk,bk->b", x, x) + np.einsum("bn,bn->b", r, r) / n
        if it >= 1:
            active &= prev - val > tol
        prev = np.where(active, val, prev)
        if it >= 1 and 4 * active.sum() <= 3 * cur.size:  # drop the stopped problems
            out[cur] = x
            keep = np.flatnonzero(active)
            if keep.size == 0:
                return out
            cur, A, b, x, valid, n, eta, Ax, r, prev, active, z2, tol, pad = (
                cur[keep], A[keep], b[keep], x[keep], valid[keep], n[keep], eta[keep],
                Ax[keep], r[keep], prev[keep], active[keep], z2[keep], tol[keep], pad[keep])
            batch = np.arange(cur.size)
            if cur.size <= 8:  # the last stragglers: one by one is faster
                for j in range(cur.size):
                    v, m = valid[j], int(n[j])
                    out[cur[j], v] = _frank_wolfe_one(A[j, :m][:, v], b[j, :m], x[j, v],
                                                      np.sqrt(z2[j]), np.sqrt(tol[j]),
                                                      max_iter, prev=prev[j], start=it + 1)
                return out
    out[cur] = x
    return out


def _pad(x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    out = np.zeros(valid.shape)
    out[0, valid[0]] = x
    return out


def solve_weights(Ys: list[np.ndarray], zeta: float, intercept: bool,
                  inits: list[np.ndarray | None], min_decrease: float, max_iter: int,
                  sparse: bool) -> list[np.ndarray]:
    """For each ``Y``, weights on the columns of ``Y[:, :-1]`` that reproduce ``Y[:, -1]``:
    the first pass (at most :data:`PRE_SPARSIFY_ITER` iterations), then, when ``sparse``, a
    second pass from its sparsified solution (R ``synthdid_estimate`` calling
    ``sc.weight.fw``). The problems may differ in size (bootstrap draws)."""
    B = len(Ys)
    n_max = max(Y.shape[0] for Y in Ys)
    k_max = max(Y.shape[1] for Y in Ys) - 1
    A = np.zeros((B, n_max, k_max))
    b = np.zeros((B, n_max))
    x = np.zeros((B, k_max))
    valid = np.zeros((B, k_max), dtype=bool)
    n = np.empty(B)
    for j, (Y, init) in enumerate(zip(Ys, inits, strict=True)):
        if intercept:
            Y = Y - Y.mean(axis=0)
        rows, k = Y.shape[0], Y.shape[1] - 1
        A[j, :rows, :k] = Y[:, :k]
        b[j, :rows] = Y[:, k]
        x[j, :k] = np.full(k, 1.0 / k) if init is None else init
        valid[j, :k] = True
        n[j] = rows
    if sparse:
        x = _frank_wolfe(A, b, x, valid, n, zeta, min_decrease, PRE_SPARSIFY_ITER)
        x = _sparsify_rows(x, valid)
    x = _frank_wolfe(A, b, x, valid, n, zeta, min_decrease, max_iter)
    return [row[ok] for row, ok in zip(x, valid, strict=True)]


def _sparsify_rows(x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """:func:`sparsify` of each row (padding stays 0: it is never positive)."""
    top = x.max(axis=1, keepdims=True)
    out = np.where(x <= top / 4, 0.0, x)
    return out / out.sum(axis=1, keepdims=True)


def fit_blocks(blocks: list[np.ndarray], n0s: list[int], t0: int, opts: SdidOptions,
               omegas: list[np.ndarray | None], lambdas: list[np.ndarray | None]
               ) -> list[WeightFit]:
    """:func:`fit_block` for several blocks sharing ``t0`` and ``opts``, solved together."""
    Ycs = [collapsed(Y, n0, t0) for Y, n0 in zip(blocks, n0s, strict=True)] \
        if (opts.update_lambda or opts.update_omega) else None
    if opts.update_lambda:
        lambdas = solve_weights([Yc[:n0, :] for Yc, n0 in zip(Ycs, n0s, strict=True)],
                                opts.zeta_lambda, True, lambdas, opts.min_decrease,
                                opts.max_iter, opts.sparsify)
    if opts.update_omega:
        omegas = solve_weights([Yc[:, :t0].T for Yc in Ycs], opts.zeta_omega,
                               opts.omega_intercept, omegas, opts.min_decrease,
                               opts.max_iter, opts.sparsify)
    return [WeightFit(w, lam, block_estimate(Y, n0, t0, w, lam, Y.shape[0] - n0,
                                             Y.shape[1] - t0))
            for Y, n0, w, lam in zip(blocks, n0s, omegas, lambdas, strict=True)]


def fit_block(Y: np.ndarray, n0: int, t0: int, opts: SdidOptions,
              omega: np.ndarray | None = None, lambda_: np.ndarray | None = None
              ) -> WeightFit:
    """The weights and the estimate of one block: rows ``:n0`` controls, columns ``:t0``
    pre-periods. ``omega`` / ``lambda_`` are the starting points (or the fixed weights when
    ``opts`` says not to update them)."""
    return fit_blocks([Y], [n0], t0, opts, [omega], [lambda_])[0]


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


def fit_blocks_default(blocks: list[np.ndarray], n0: int, t0: int, method: str, *,
                       max_iter: int = 10_000, sparse: bool = True) -> list[WeightFit]:
    """Several blocks, each with its own default tuning (its own noise level), solved
    together: the in-space placebos of :func:`~did_zones.synthetic_control`."""
    found = [default_options(Y, n0, t0, method, max_iter=max_iter, sparse=sparse)
             for Y in blocks]
    opts = found[0][0]
    omegas = [f[1] for f in found]
    lambdas = [f[2] for f in found]
    md = np.array([f[0].min_decrease for f in found])
    Ycs = [collapsed(Y, n0, t0) for Y in blocks]
    if opts.update_lambda:
        lambdas = solve_weights([Yc[:n0, :] for Yc in Ycs],
                                np.array([f[0].zeta_lambda for f in found]), True, lambdas,
                                md, max_iter, sparse)
    if opts.update_omega:
        omegas = solve_weights([Yc[:, :t0].T for Yc in Ycs],
                               np.array([f[0].zeta_omega for f in found]),
                               opts.omega_intercept, omegas, md, max_iter, sparse)
    n1, t1 = blocks[0].shape[0] - n0, blocks[0].shape[1] - t0
    return [WeightFit(w, lam, block_estimate(Y, n0, t0, w, lam, n1, t1))
            for Y, w, lam in zip(blocks, omegas, lambdas, strict=True)]
