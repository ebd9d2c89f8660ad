"""The cluster-level sums and the draws of the wild cluster bootstrap.

The sufficient statistics of :mod:`.wild_bootstrap` (its module notes give the algebra):
:func:`cluster_stats` builds ``a``, ``d`` and ``C`` for one tested column, from cluster ×
level sums (:func:`_fast_C`) or by absorbing the columns ``u ∘ 1_g`` (:func:`_general_C`);
:func:`draw_blocks` yields the multipliers (enumerated or seeded per block) and
:func:`all_moments` reduces every draw to the five numbers its t statistic needs at any
null value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..design import Absorber
from ..inference import indicator, small_sample_factor

__all__ = ["TIE_RTOL", "Stats", "cluster_stats", "draw_blocks", "all_moments",
           "fast_path_applies"]

TIE_RTOL = 1e-9        # |t*| (or W*) within this relative distance of |t| counts as a tie
_BLOCK = 1024          # draws generated (one child seed each) and processed at once
_FAST_MAX_LEVELS = 3000  # largest non-nested fixed effect the fast path solves densely
_CELLS = 20_000_000    # rows × columns of u ∘ 1_g absorbed at once (memory bound)


# ----------------------------------------------------------------- sufficient statistics


@dataclass(frozen=True, eq=False)
class Stats:
    """Cluster-level sums: the resampled residuals are ``u0 − θ u1``."""

    beta: float
    se: float
    D: float                 # x̃'Wx̃
    d: np.ndarray            # (F,) Σ_{i∈h} w x̃² per cell h of the finest partition
    a0: np.ndarray           # (G,)
    a1: np.ndarray           # (G,)
    C0: np.ndarray           # (F, G): rows cells of the finest partition, columns draws' clusters
    C1: np.ndarray           # (F, G)
    factor: float            # small-sample factor G/(G−1)·(N−1)/(N−K)
    impose_null: bool
    parts: tuple             # (sign, (P, F) sparse aggregation) per variance term


def _indicator(codes: np.ndarray, size: int | None = None) -> sparse.csr_matrix:
    """(levels × n) 0/1 matrix: row g sums the entries with code g."""
    size = int(codes.max()) + 1 if size is None else size
    return indicator(codes, size).T.tocsr()


def _combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes 0..F−1 of the cells of two partitions (pairs of codes that occur)."""
    return np.unique(a * (int(b.max()) + 1) + b, return_inverse=True)[1].ravel()


def _partitions(clusters: tuple[np.ndarray, ...], boot: int | np.ndarray):
    """Cells of the finest partition per row, the bootstrap cluster of every cell, and the
    variance terms ``(sign, aggregation of cells)``: one-way ``[(+1, A)]``; two-way
    (Cameron, Gelbach & Miller 2011) ``[(+1, A), (+1, B), (−1, A∩B)]``.

    ``boot`` is a dimension of ``clusters`` or the bootstrap cluster code of every row (any
    partition: coarser, finer or crossing the variance clusters). The cells are then the
    common refinement of the variance clusters and the bootstrap clusters, so every cell
    lies in one bootstrap cluster and in one cluster of each variance dimension; the
    draws' scores per cell are summed into the variance clusters by the aggregations.
    """
    own = not isinstance(boot, np.ndarray)
    if len(clusters) == 1 and own:
        cells = clusters[0]
        F = int(cells.max()) + 1
        return cells, np.arange(F), ((1.0, sparse.identity(F, format="csr")),)
    inter = clusters[0] if len(clusters) == 1 else _combine(*clusters)
    cells = inter if own else _combine(inter, boot)
    first = np.zeros(int(cells.max()) + 1, dtype=np.int64)
    first[cells] = np.arange(cells.size)  # one row of every cell
    F = first.size
    bcodes = clusters[boot] if own else boot
    if len(clusters) == 1:
        return cells, bcodes[first], ((1.0, _indicator(clusters[0][first])),)
    a, b = clusters
    same = own  # cells = A∩B cells: the intersection term is the identity
    parts = ((1.0, _indicator(a[first])), (1.0, _indicator(b[first])),
             (-1.0, sparse.identity(F, format="csr") if same else _indicator(inter[first])))
    return cells, bcodes[first], parts


def fast_path_applies(clusters: tuple[np.ndarray, ...], boot: int | np.ndarray) -> bool:
    """The cluster × level sums (:func:`_fast_C`) give ``C`` only when the cells are the
    bootstrap clusters themselves: one-way clustering, draws by that dimension."""
    return len(clusters) == 1 and not isinstance(boot, np.ndarray)


def cluster_stats(fit, j: int, clusters: tuple[np.ndarray, ...], boot: int | np.ndarray,
                   impose_null: bool) -> Stats:
    """The sums of the module notes for column ``j`` of ``fit``: variance clusters
    ``clusters`` (one or two dimensions), draws by dimension ``boot`` or by the bootstrap
    cluster codes ``boot`` (one per row; see :func:`_partitions`)."""
    d_ = fit.design
    n = d_.n_obs
    w = np.ones(n) if d_.weights is None else d_.weights
    cells, boot_of_cell, parts = _partitions(clusters, boot)
    cl = boot_of_cell[cells]  # bootstrap cluster per row
    G = int(cl.max()) + 1
    H = _indicator(cells)
    Xw = fit.X_within
    others = [k for k in range(Xw.shape[1]) if k != j]
    Z = Xw[:, others]
    if Z.shape[1]:
        ZtW = (Z * w[:, None]).T
        Zproj = np.linalg.solve(ZtW @ Z, ZtW)

        def m_z(V: np.ndarray) -> np.ndarray:
            return V - Z @ (Zproj @ V)
    else:
        def m_z(V: np.ndarray) -> np.ndarray:
            return V
    x = m_z(Xw[:, j])
    wx = w * x
    D = float(wx @ x)
    beta = float(fit.coef[j])
    resid = fit.resid
    if impose_null:
        u0, u1 = m_z(fit.y_within), x  # restricted residuals u(θ) = M y − θ x̃
    else:
        u0, u1 = resid, np.zeros(n)
    C = None
    if fast_path_applies(clusters, boot):
        C = _fast_C(d_.fe_codes, w, cl, G, x, u0, u1, Z)
    if C is None:
        C = _general_C(d_.fe_codes, d_.weights, H, cl, G, wx, u0, u1, m_z)
    Hb = _indicator(cl, G)
    g_min = min(int(c.max()) + 1 for c in clusters)
    factor = small_sample_factor(n, fit.n_params, g_min) if g_min > 1 else np.nan
    s = H @ (wx * resid)
    var = sum(sign * float(np.sum((A @ s) ** 2)) for sign, A in parts)
    se = float(np.sqrt(factor * max(var, 0.0)) / D)
    return Stats(beta, se, D, H @ (wx * x), Hb @ (wx * u0), Hb @ (wx * u1),
                  C[:, :G], C[:, G:], factor, impose_null, parts)


def _general_C(fe_codes, weights, H, cl, G, wx, u0, u1, m_z) -> np.ndarray:
    """``C`` of the module notes by absorbing the ``2G`` columns ``u ∘ 1_g`` (any fixed
    effects, any clustering): ``n × 2G`` work, in column chunks."""
    n = cl.size
    fe = Absorber(fe_codes, weights=weights)
    C = np.empty((H.shape[0], 2 * G))
    rows = np.arange(n)
    step = max(1, _CELLS // (2 * n))  # clusters whose columns u ∘ 1_g are absorbed at once
    for lo in range(0, G, step):
        hi = min(G, lo + step)
        inside = (cl >= lo) & (cl < hi)
        U = np.zeros((n, 2 * (hi - lo)))
        U[rows[inside], cl[inside] - lo] = u0[inside]
        U[rows[inside], hi - lo + cl[inside] - lo] = u1[inside]
        CU = np.asarray(H @ (wx[:, None] * m_z(fe.residualize(U, overwrite=True))))
        C[:, lo:hi], C[:, G + lo:G + hi] = CU[:, :hi - lo], CU[:, hi - lo:]
    return C


def _nested_in(codes: np.ndarray, cl: np.ndarray) -> bool:
    """Every level of ``codes`` lies within one cluster."""
    label = np.empty(int(codes.max()) + 1, dtype=cl.dtype)
    label[codes] = cl
    return bool((label[codes] == cl).all())


def _fast_C(fe_codes, w, cl, G, x, u0, u1, Z) -> np.ndarray | None:
    """``C`` from cluster × level sums when the fixed effects are at most one dimension
    ``A`` nested in the clusters (units in unit or province clusters) and at most one
    other ``B`` (periods, or the intercept); None otherwise (one-way clustering only).

    ``x̃`` and ``u`` are net of every fixed effect, so their sums within each level of
    ``A`` vanish; the projection of ``x̃ ∘ 1_h`` on the fixed effects is then ``D_B τ_h +
    D_A α_h`` with ``S τ_h = D_B'W(x̃ ∘ 1_h)``, ``S`` the Schur complement of the ``B``
    block (``|B| × |B|``), and the ``α`` part meets ``u ∘ 1_g`` in whole ``A`` levels
    of ``g``, where ``u`` sums to zero. So
    ``C = diag(Σ_g w x̃ u) − X_B S⁺ U_B' − X_Z (Z̃'WZ̃)⁻¹ U_Z'`` with ``X_B, U_B``
    the cluster × ``B``-level sums of ``w x̃`` and ``w u`` and ``X_Z, U_Z`` the cluster
    sums of ``w x̃ z̃`` and ``w u z̃``: ``O(n + G·|B|·G)``, no ``n × G`` matrix.
    """
    nested = [c for c in fe_codes if _nested_in(c, cl)]
    other = [c for c in fe_codes if not _nested_in(c, cl)]
    if len(nested) > 1 or len(other) > 1:
        return None
    if other and int(other[0].max()) + 1 > _FAST_MAX_LEVELS:
        return None  # a dense |B| × |B| Schur complement would not pay (e.g. unit effects
        #               with period clusters: the general path absorbs only 2G columns)
    wx = w * x
    Hc = _indicator(cl, G)
    C = np.zeros((G, 2 * G))
    idx = np.arange(G)
    C[idx, idx] = Hc @ (wx * u0)
    C[idx, G + idx] = Hc @ (wx * u1)
    if other:
        b = other[0]
        nb = int(b.max()) + 1
        Db = _indicator(b, nb)  # (|B|, n)
        S = np.diag(np.asarray(Db @ w))                  # D_B'WD_B
        if nested:
            a = nested[0]
            na = int(a.max()) + 1
            Da = _indicator(a, na)
            wa = np.asarray(Da @ w)                        # D_A'WD_A (diagonal)
            AB = (Da @ sparse.diags(w) @ Db.T).toarray()  # D_A'WD_B (|A| × |B|)
            S = S - AB.T @ (AB / wa[:, None])
        Sp = np.linalg.pinv(S, rcond=1e-10, hermitian=True)
        cell = cl * nb + b  # cluster × B-level sums as (G, |B|)

        def sums(v: np.ndarray) -> np.ndarray:
            return np.bincount(cell, weights=v, minlength=G * nb).reshape(G, nb)

        XB = sums(wx)
        C[:, :G] -= XB @ Sp @ sums(w * u0).T
        C[:, G:] -= XB @ Sp @ sums(w * u1).T
    if Z.shape[1]:
        ZtWZ = (Z * w[:, None]).T @ Z
        XZ = np.asarray(Hc @ (wx[:, None] * Z))
        proj = np.linalg.solve(ZtWZ, XZ.T)  # (p, G)
        C[:, :G] -= proj.T @ np.asarray(Hc @ ((w * u0)[:, None] * Z)).T
        C[:, G:] -= proj.T @ np.asarray(Hc @ ((w * u1)[:, None] * Z)).T
    return C


# ----------------------------------------------------------------- draws


def _weights_block(kind: str, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    if kind == "rademacher":
        return rng.integers(0, 2, size=size).astype(float) * 2.0 - 1.0
    if kind == "mammen":
        s5 = np.sqrt(5.0)
        low = rng.random(size) < (s5 + 1) / (2 * s5)
        return np.where(low, (1 - s5) / 2, (1 + s5) / 2)
    if kind == "webb":
        vals = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
        return vals[rng.integers(0, 6, size=size)]
    return rng.standard_normal(size)


def _enumerated_block(lo: int, hi: int, G: int) -> np.ndarray:
    """Sign vectors number ``lo..hi−1`` of the ``2^G`` (bit g of the number: cluster g)."""
    bits = (np.arange(lo, hi)[:, None] >> np.arange(G)[None, :]) & 1
    return bits.astype(float) * 2.0 - 1.0


def _draw_moments(st: Stats, V: np.ndarray) -> np.ndarray:
    """(5, b) per draw: numerator ``n0 − θ n1`` and sum of squared scores
    ``q0 − 2θ q1 + θ² q2``."""
    n0 = V @ st.a0 / st.D
    n1 = V @ st.a1 / st.D
    S0 = V @ st.C0.T - n0[:, None] * st.d  # (b, F) scores per cell
    S1 = V @ st.C1.T - n1[:, None] * st.d
    out = np.zeros((5, V.shape[0]))
    out[0], out[1] = n0, n1
    for sign, A in st.parts:  # each variance term's scores: sums of cells
        P0, P1 = (A @ S0.T).T, (A @ S1.T).T
        out[2] += sign * np.einsum("bg,bg->b", P0, P0)
        out[3] += sign * np.einsum("bg,bg->b", P0, P1)
        out[4] += sign * np.einsum("bg,bg->b", P1, P1)
    return out


def draw_blocks(kind: str, n_boot: int, enumerate_: bool, seq: np.random.SeedSequence,
                G: int):
    """Yield ``(lo, hi, V)``: draws ``lo..hi−1`` as a (draws × G) block of multipliers.

    Enumeration gives the ``2^G`` sign vectors in order; random draws take one child seed
    of ``seq`` per block of :data:`_BLOCK` draws, so the draws do not depend on how many
    are requested after them or on how they are processed.
    """
    B = 2**G if enumerate_ else n_boot
    for k, lo in enumerate(range(0, B, _BLOCK)):
        hi = min(B, lo + _BLOCK)
        if enumerate_:
            yield lo, hi, _enumerated_block(lo, hi, G)
        else:
            child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, k),
                                           pool_size=seq.pool_size)
            yield lo, hi, _weights_block(kind, np.random.default_rng(child), (hi - lo, G))


def all_moments(st: Stats, kind: str, n_boot: int, enumerate_: bool,
                 seq: np.random.SeedSequence) -> np.ndarray:
    G = st.a0.size
    out = np.empty((5, 2**G if enumerate_ else n_boot))
    for lo, hi, V in draw_blocks(kind, n_boot, enumerate_, seq, G):
        out[:, lo:hi] = _draw_moments(st, V)
    return out


def quadratic_forms(V: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Per draw ``δ' V⁻¹ δ`` (Wald statistics) from variances (b, q, q) and deviations
    (b, q); a draw whose variance is singular or not positive definite (a two-way variance
    can be negative) gets ``inf``: it counts as at least as extreme as the sample."""
    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            sol = np.linalg.solve(V, delta[..., None])[..., 0]
        except np.linalg.LinAlgError:
            sol = np.stack([np.linalg.lstsq(v, x, rcond=None)[0]
                            for v, x in zip(V, delta, strict=True)])
    out = np.einsum("bk,bk->b", delta, sol)
    return np.where(np.isfinite(out) & (out >= 0), out, np.inf)
