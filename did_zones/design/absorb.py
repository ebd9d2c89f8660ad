"""One fixed-effect absorber with three strategies.

:class:`Absorber` projects columns on the dummies of one or more fixed-effect dimensions
(unit, period, province × year, ...) without forming them. It returns the residuals (the
within transformation) and, when asked, the fixed-effect *values* (the imputation
estimators need them to predict ``Y(0)``). Three strategies give the same projection:

``"balanced"``
    Closed form for a complete two-way grid (every pair of levels exactly once), with
    weights absent or constant within one dimension: ``x − x̄_a − x̄^w_b + x̄^w``.
``"exact"``
    The two-block solve of the normal equations ``D'ΩD γ = D'Ω v``: the largest dimension
    is eliminated (its block is diagonal) and the Schur complement on the other levels is
    pseudo-inverted once (eigen-decomposition; conjugate gradients when it is large).
    Exact in one pass, and it solves for any right-hand side, not only ``D'Ω v``.
``"alternating"``
    Gauss–Seidel alternating projections over sparse indicators (the method of
    ``reghdfe``/``fixest``; Guimarães & Portugal 2010, Correia 2016), converged to 1e-13
    relative. Any number of dimensions and levels.

``strategy="auto"`` picks the closed form when it applies, the exact solve for two
dimensions when the smaller has few levels (:data:`EXACT_AUTO_LEVELS`; e.g. an unbalanced
city × year panel), alternating projections otherwise (more dimensions, where setting up
the Schur complement costs more than the sweeps). Written here rather than taken from pyhdfe because the values of
the effects and solves with arbitrary right-hand sides are needed, not only residuals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, cg

from ..errors import EstimationError
from ..inference import indicator

__all__ = ["Absorber", "Strategy", "dense_codes", "EXACT_AUTO_LEVELS"]

Strategy = Literal["auto", "balanced", "exact", "alternating"]
STRATEGIES = ("auto", "balanced", "exact", "alternating")

EXACT_AUTO_LEVELS = 400  # auto picks the exact solve when the smaller of two dimensions is this small
_DENSE_MAX = 2000  # Schur complements up to this size are pseudo-inverted densely
_PINV_RTOL = 1e-10  # eigenvalues below this fraction of the largest count as zero
_EXACT_CHECK = 1e-9  # relative error of the normal equations above which auto falls back


class Absorber:
    """Projection on the dummies of one or more fixed-effect dimensions over ``n`` rows.

    Parameters
    ----------
    codes : sequence of int arrays
        One array of group codes per dimension, each of length ``n``; renumbered densely
        (0..G−1 in sorted order of the labels).
    weights : array, optional
        Positive observation weights (``Ω``).
    strategy : {"auto", "balanced", "exact", "alternating"}
        How to project (see the module notes). A strategy that does not apply to the
        design (``"balanced"`` on an incomplete grid) raises ``ValueError``.

    Attributes
    ----------
    codes : tuple of int arrays
    weights : ndarray or None
    sizes : list of int
        Levels per dimension.
    strategy : str
        The strategy in use (``"auto"`` resolved).

    Examples
    --------
    >>> import numpy as np
    >>> from did_zones.design import Absorber
    >>> unit, period = np.repeat([0, 1, 2], 2), np.tile([0, 1], 3)
    >>> fe = Absorber([unit, period])
    >>> fe.strategy
    'balanced'
    >>> (np.round(fe.residualize(np.array([1., 2., 3., 5., 4., 4.])), 12) + 0.0).tolist()
    [0.0, 0.0, -0.5, 0.5, 0.5, -0.5]
    >>> Absorber([unit[1:], period[1:]]).strategy  # one row missing: not a full grid
    'exact'
    """

    def __init__(self, codes: Sequence[np.ndarray], weights: np.ndarray | None = None,
                 strategy: Strategy = "auto"):
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}; got {strategy!r}.")
        self.codes = tuple(dense_codes(np.asarray(c)) for c in codes)
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        self.sizes = [int(c.max()) + 1 if c.size else 0 for c in self.codes]
        self._mats = None
        self._solver: _TwoBlock | None = None
        self._balanced = None
        self._auto_chosen = strategy == "auto"
        if strategy == "auto":
            strategy = self._auto()
        elif strategy == "balanced" and self._balanced_axis() is None:
            raise ValueError("The balanced closed form needs a complete two-way grid with "
                             "weights constant within one dimension.")
        self.strategy = strategy

    @classmethod
    def from_codes(cls, codes: Sequence[np.ndarray], weights=None,
                   strategy: Strategy = "auto") -> Absorber:
        """Same as the constructor (kept for the call sites that build from codes)."""
        return cls(codes, weights=weights, strategy=strategy)

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.codes[0].size)

    # ------------------------------------------------------------------ strategy choice

    def _auto(self) -> str:
        if self._balanced_axis() is not None:
            return "balanced"
        if len(self.codes) == 1:
            return "alternating"  # one sweep of group means is the exact projection
        if len(self.codes) == 2 and min(self.sizes) <= EXACT_AUTO_LEVELS:
            return "exact"  # one small dimension: the Schur complement is cheap to set up
        return "alternating"

    def is_balanced(self) -> bool:
        """True for two dimensions crossed exactly once each (a balanced unit × period
        panel) with weights absent or constant within one dimension: the closed form
        ``x − x̄_a − x̄^w_b + x̄^w`` is then the exact projection."""
        return self._balanced_axis() is not None

    def _balanced_axis(self) -> int | None:
        """Index of the dimension the weights are constant within (0 when unweighted),
        or None when the closed form does not apply."""
        if self._balanced is not None:
            return self._balanced if self._balanced >= 0 else None
        axis = -1
        if len(self.codes) == 2 and self.sizes[0] * self.sizes[1] == self.n:
            a, b = self.codes
            if np.bincount(a * self.sizes[1] + b, minlength=self.n).max() == 1:
                if self.weights is None:
                    axis = 0
                else:
                    for k in (0, 1):
                        if _constant_within(self.weights, self.codes[k], self.sizes[k]):
                            axis = k
                            break
        self._balanced = axis
        return axis if axis >= 0 else None

    # ------------------------------------------------------------------ projections

    def residualize(self, values: np.ndarray, tol: float = 1e-13,
                    overwrite: bool = False) -> np.ndarray:
        """``values`` (n or n × p) minus their projection on the fixed effects.

        ``tol`` is the convergence tolerance of alternating projections (relative to the
        largest absolute value); ``overwrite=True`` lets a caller that owns a float,
        C-contiguous ``values`` have it residualised in place.
        """
        if self.strategy == "balanced":
            v = np.asarray(values, dtype=float)
            return self._balanced_parts(v, want_effects=False)[0]
        return self.components(values, tol=tol, overwrite=overwrite)[0]

    def components(
        self, values: np.ndarray, tol: float = 1e-13, max_iter: int = 10_000,
        overwrite: bool = False,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Project ``values`` (n or n × p) on the fixed effects.

        Returns
        -------
        residual : array like ``values``
            ``values`` minus its projection on the fixed-effect space.
        effects : list of arrays
            Per dimension, the group effects (``G_k`` or ``G_k × p``), normalised so every
            dimension but the first has a weighted mean of zero; ``Σ_k effects[k][codes[k]]``
            is the projection.
        """
        v = np.asarray(values, dtype=float)
        one_d = v.ndim == 1
        V = v[:, None] if one_d else v
        in_place = overwrite and not one_d and V.flags.writeable and V.flags.c_contiguous
        if self.strategy == "balanced":
            resid, effects = self._balanced_parts(V, want_effects=True)
        elif self.strategy == "exact" and (effects := self._exact_effects(V)) is not None:
            fitted = self.fitted(effects)
            resid = V if in_place else V.copy()
            resid -= fitted
            effects = self._normalise(effects)
        else:
            resid, effects = self._alternate(V, tol, max_iter, in_place)
        if one_d:
            return resid[:, 0], [e[:, 0] for e in effects]
        return resid, effects

    def _exact_effects(self, V: np.ndarray) -> list[np.ndarray] | None:
        """Effects by the exact solve; None (use alternating projections) when the auto
        choice meets a Schur complement too ill-conditioned for the normal equations to
        hold to 1e-9 (a design connected only through tiny weights)."""
        c = self.group_sums(V)
        effects = self.solve(c)
        if self._auto_chosen:
            scale = max(max(float(np.abs(ci).max(initial=0.0)) for ci in c), 1e-300)
            err = max(float(np.abs(g - ci).max(initial=0.0))
                      for g, ci in zip(self.gram(effects), c, strict=True))
            if err > _EXACT_CHECK * scale:
                return None
        return effects

    def _balanced_parts(self, V: np.ndarray, want_effects: bool):
        """Closed form ``x − m_a − n_b + c``: within-group weighted means of the dimension
        the weights are constant in, weighted means of the other, the weighted grand mean."""
        one_d = V.ndim == 1
        V2 = V[:, None] if one_d else V
        k = self._balanced_axis()
        a, b = self.codes[k], self.codes[1 - k]
        ga, gb = self.sizes[k], self.sizes[1 - k]
        w = self.weights
        grid = w is None and _sorted_grid(a, b, ga, gb)
        if grid:  # rows ordered a-major: plain means over a reshaped array
            A = V2.reshape(ga, gb, -1)
            m = A.mean(axis=1)
            nb = A.mean(axis=0)
            c = A.mean(axis=(0, 1))
            resid = (A - m[:, None, :] - nb[None, :, :] + c).reshape(V2.shape)
        else:
            Wv = V2 if w is None else V2 * w[:, None]
            wa = np.bincount(a, weights=w, minlength=ga).astype(float)
            wb = np.bincount(b, weights=w, minlength=gb).astype(float)
            m = _group_sums(a, Wv, ga) / wa[:, None]
            nb = _group_sums(b, Wv, gb) / wb[:, None]
            c = Wv.sum(axis=0) / wa.sum()
            resid = V2 - m[a] - nb[b] + c
        if one_d:
            resid = resid[:, 0]
        if not want_effects:
            return resid, None
        # fitted = m_a + (n_b − c); the first dimension carries the level
        eff = [None, None]
        eff[k], eff[1 - k] = m, nb - c
        return resid, self._normalise(eff)

    def _indicators(self) -> list[tuple[sparse.csr_matrix, np.ndarray]]:
        """Per dimension: the n × G indicator matrix and the groups' total weights."""
        if self._mats is None:
            self._mats = [
                (indicator(c, g), np.bincount(c, weights=self.weights, minlength=g).astype(float))
                for c, g in zip(self.codes, self.sizes, strict=True)
            ]
        return self._mats

    def _alternate(self, V, tol, max_iter, in_place):
        w = None if self.weights is None else self.weights[:, None]
        mats = self._indicators()
        effects = [np.zeros((D.shape[1], V.shape[1])) for D, _ in mats]
        resid = V if in_place else V.copy()
        scale = max(float(np.abs(V).max(initial=0.0)), 1.0)
        one_sweep = len(mats) == 1
        for _ in range(max_iter):
            change = 0.0
            for k, (D, wsum) in enumerate(mats):
                total = D.T @ (resid if w is None else resid * w)
                delta = total / np.where(wsum > 0, wsum, 1.0)[:, None]
                effects[k] += delta
                resid -= delta[self.codes[k]]
                change = max(change, float(np.abs(delta).max()))
            if one_sweep or change < tol * scale:
                break
        else:  # pragma: no cover - pathological designs only
            raise EstimationError(
                f"Fixed effects did not converge in {max_iter} sweeps (last change "
                f"{change:.3g}). The design may be disconnected; check the panel."
            )
        return resid, self._normalise(effects)

    def _normalise(self, effects: list[np.ndarray]) -> list[np.ndarray]:
        """Move the weighted mean of every later dimension's effects into the first."""
        effects = list(effects)
        mats = self._indicators()
        for k in range(1, len(effects)):
            wsum = mats[k][1]
            m = (wsum @ effects[k]) / wsum.sum()
            effects[k] = effects[k] - m
            effects[0] = effects[0] + m
        return effects

    # -------------------------------------------------------- normal-equation solves

    def group_sums(self, values) -> list[np.ndarray]:
        """``D_k'Ω values`` per dimension (``G_k × m`` each; ``values`` n or n × m)."""
        V = np.asarray(values, dtype=float)
        V = V[:, None] if V.ndim == 1 else V
        Wv = V if self.weights is None else V * self.weights[:, None]
        return [_group_sums(c, Wv, g) for c, g in zip(self.codes, self.sizes, strict=True)]

    def solve(self, rhs: list[np.ndarray]) -> list[np.ndarray]:
        """A solution ``γ`` (one ``G_k × m`` block per dimension) of ``D'ΩD γ = c`` for
        right-hand sides ``c`` given per dimension (exact two-block solve).

        ``Dγ`` is unique on every connected component even though ``γ`` is not.
        """
        return self._two_block().solve(rhs)

    def fitted(self, effects: list[np.ndarray]) -> np.ndarray:
        """``Σ_k effects[k][codes[k]]`` (``n × m``)."""
        out = effects[0][self.codes[0]]
        for k in range(1, len(self.codes)):
            out = out + effects[k][self.codes[k]]
        return out

    def gram(self, effects: list[np.ndarray]) -> list[np.ndarray]:
        """``D'ΩD γ`` per dimension, from weighted cross-tabulations of the levels."""
        return self._two_block().gram(effects)

    def solve_residual(self, rhs: list[np.ndarray], effects: list[np.ndarray]) -> float:
        """Relative residual ``max|D'ΩDγ − c| / max|c|`` of a :meth:`solve`.

        Zero up to rounding when ``c`` lies in the column space of ``D'ΩD``; large when some
        right-hand side loads on a fixed-effect combination the rows do not pin down (the
        imputation estimators' test that every target ``Y(0)`` is identified).
        """
        got = self.gram(effects)
        scale = max(max(float(np.abs(c).max(initial=0.0)) for c in rhs), 1e-300)
        return max(float(np.abs(g - c).max(initial=0.0))
                   for g, c in zip(got, rhs, strict=True)) / scale

    def _two_block(self) -> _TwoBlock:
        if self._solver is None:
            w = np.ones(self.n) if self.weights is None else self.weights
            self._solver = _TwoBlock(self.codes, self.sizes, w)
        return self._solver

    def n_levels(self) -> int:
        """Number of fixed-effect parameters net of one normalisation per extra dimension.

        Exact for one or two dimensions on a connected design (the usual panel case).
        """
        return sum(self.sizes) - (len(self.sizes) - 1)


class _TwoBlock:
    """Solves ``D'ΩD γ = c`` by eliminating the largest dimension (a diagonal block) and
    pseudo-inverting (or, when large, solving by conjugate gradients) the Schur complement
    on the remaining levels."""

    def __init__(self, codes: Sequence[np.ndarray], sizes: list[int], w: np.ndarray):
        n = w.size
        self.codes = [np.asarray(c, dtype=np.intp) for c in codes]
        self.sizes = sizes
        self.w = w
        self._cross = None
        self.big = int(np.argmax(sizes))
        cl = self.codes[self.big]
        self.n_big = np.bincount(cl, weights=w, minlength=sizes[self.big])
        rest = [k for k in range(len(self.codes)) if k != self.big]
        self.rest = rest
        self.offsets = np.cumsum([0] + [sizes[k] for k in rest])
        self.p = int(self.offsets[-1])
        if not rest:
            return
        rows = np.repeat(np.arange(n), len(rest))
        cols = np.column_stack([self.codes[k] + self.offsets[j]
                                for j, k in enumerate(rest)]).ravel()
        B = sparse.csr_matrix((np.repeat(w, len(rest)), (rows, cols)), shape=(n, self.p))
        DL = indicator(cl, sizes[self.big])
        Bones = B.copy()
        Bones.data = np.ones_like(Bones.data)
        self.BtWB = (Bones.T @ B).tocsr()           # B'ΩB
        self.BtWL = (B.T @ DL).tocsr()               # B'ΩD_L
        inv_n = sparse.diags(1.0 / self.n_big)
        if self.p <= _DENSE_MAX:
            S = self.BtWB.toarray() - (self.BtWL @ inv_n @ self.BtWL.T).toarray()
            S = (S + S.T) / 2
            lam, Q = np.linalg.eigh(S)
            keep = lam > _PINV_RTOL * max(float(lam.max()), 1e-300)
            self._pinv = (Q[:, keep] / lam[keep]) @ Q[:, keep].T
            self._op = None
        else:
            self._pinv = None
            BtWB, BtWL = self.BtWB, self.BtWL
            self._diag = BtWB.diagonal() - np.asarray(
                BtWL.multiply(BtWL) @ (1.0 / self.n_big)).ravel()
            self._op = LinearOperator(
                (self.p, self.p), dtype=float,
                matvec=lambda x: BtWB @ x - BtWL @ ((BtWL.T @ x) / self.n_big))

    def solve(self, c: list[np.ndarray]) -> list[np.ndarray]:
        cl = c[self.big]
        gam = [None] * len(self.codes)
        if not self.rest:
            gam[self.big] = cl / self.n_big[:, None]
            return gam
        cB = np.vstack([c[k] for k in self.rest])
        rhs = cB - self.BtWL @ (cl / self.n_big[:, None])
        if self._pinv is not None:
            gB = self._pinv @ rhs
        else:
            gB = np.column_stack([self._cg(rhs[:, j]) for j in range(rhs.shape[1])])
        gam[self.big] = (cl - self.BtWL.T @ gB) / self.n_big[:, None]
        for j, k in enumerate(self.rest):
            gam[k] = gB[self.offsets[j]:self.offsets[j + 1]]
        return gam

    def _cg(self, b: np.ndarray) -> np.ndarray:
        scale = float(np.abs(b).max())
        if scale == 0:
            return np.zeros_like(b)
        pre = LinearOperator(self._op.shape, matvec=lambda x: x / np.maximum(self._diag, 1e-300))
        x, info = cg(self._op, b, rtol=1e-13, atol=0.0, maxiter=20 * self.p, M=pre)
        if info != 0:
            raise EstimationError(
                "The fixed-effect solve did not converge (conjugate gradients on the "
                f"{self.p} secondary fixed-effect levels). Absorb fewer or coarser effects."
            )
        return x

    def gram(self, gam: list[np.ndarray]) -> list[np.ndarray]:
        if self._cross is None:
            self._cross = {
                (k, j): sparse.csr_matrix((self.w, (self.codes[k], self.codes[j])),
                                          shape=(self.sizes[k], self.sizes[j]))
                for k in range(len(self.codes)) for j in range(len(self.codes)) if k != j
            }
        out = []
        for k in range(len(self.codes)):
            nk = np.bincount(self.codes[k], weights=self.w, minlength=self.sizes[k])
            acc = nk[:, None] * gam[k]
            for j in range(len(self.codes)):
                if j != k:
                    acc = acc + self._cross[(k, j)] @ gam[j]
            out.append(acc)
        return out


def _group_sums(codes: np.ndarray, values, n_groups: int) -> np.ndarray:
    """Column-wise group sums (``n × m`` dense or sparse → dense ``n_groups × m``)."""
    out = indicator(codes, n_groups).T @ values
    return out.toarray() if sparse.issparse(out) else np.asarray(out)


def _constant_within(w: np.ndarray, codes: np.ndarray, g: int) -> bool:
    mean = np.bincount(codes, weights=w, minlength=g) / np.maximum(
        np.bincount(codes, minlength=g), 1)
    return bool(np.abs(w - mean[codes]).max() <= 1e-12 * max(float(np.abs(w).max()), 1.0))


def _sorted_grid(a: np.ndarray, b: np.ndarray, ga: int, gb: int) -> bool:
    """Rows in a-major order over the full grid (``a = i // gb``, ``b = i % gb``)."""
    i = np.arange(a.size)
    return bool(np.array_equal(a, i // gb) and np.array_equal(b, i % gb))


def dense_codes(codes: np.ndarray) -> np.ndarray:
    """Codes renumbered 0..G−1 in sorted order of their labels; O(n) for small labels."""
    codes = codes.astype(np.intp, copy=False)
    if codes.size and codes.min() >= 0 and codes.max() < 4 * codes.size:
        present = np.bincount(codes) > 0
        if present.all():
            return codes
        return (np.cumsum(present) - 1)[codes]
    return np.unique(codes, return_inverse=True)[1].astype(np.intp)
