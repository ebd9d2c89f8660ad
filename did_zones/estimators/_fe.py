"""Absorbing fixed effects without dense dummies.

Gauss–Seidel alternating projections (the method of ``reghdfe``/``fixest``, Guimarães &
Portugal 2010; Correia 2016) over sparse group indicators. Written here rather than taken
from pyhdfe because the imputation estimators need the fixed-effect *values* (to predict
``Y(0)`` for treated rows), not only the residuals, and because one pass handles a
matrix of columns at once with sparse products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..errors import EstimationError
from ..inference import indicator

__all__ = ["FixedEffects"]


@dataclass(frozen=True, eq=False)
class FixedEffects:
    """Sparse indicators of one or more fixed-effect dimensions over ``n`` rows.

    Parameters
    ----------
    codes : sequence of int arrays
        One array of group codes (0..G−1) per dimension, each of length ``n``.
    weights : array, optional
        Observation weights.
    """

    codes: tuple[np.ndarray, ...]
    weights: np.ndarray | None = None

    @classmethod
    def from_codes(cls, codes: Sequence[np.ndarray], weights=None) -> FixedEffects:
        codes = tuple(dense_codes(np.asarray(c)) for c in codes)
        w = None if weights is None else np.asarray(weights, dtype=float)
        return cls(codes=codes, weights=w)

    @property
    def n(self) -> int:
        return int(self.codes[0].size)

    def _indicators(self) -> list[tuple[sparse.csr_matrix, np.ndarray]]:
        """Per dimension: the n × G indicator matrix (CSR built directly, one entry per
        row) and the groups' total weights."""
        mats = []
        for c in self.codes:
            g = int(c.max()) + 1
            D = indicator(c, g)
            wsum = np.bincount(c, weights=self.weights, minlength=g).astype(float)
            mats.append((D, wsum))
        return mats

    def is_orthogonal(self) -> bool:
        """True for two unweighted dimensions crossed exactly once each (a balanced
        unit × period panel): one sweep of demeaning is then the exact projection."""
        if len(self.codes) != 2 or self.weights is not None:
            return False
        a, b = self.codes
        ga, gb = int(a.max()) + 1, int(b.max()) + 1
        if ga * gb != self.n:
            return False
        return bool(np.bincount(a * gb + b, minlength=self.n).max() == 1)

    def components(
        self, values: np.ndarray, tol: float = 1e-13, max_iter: int = 10_000,
        overwrite: bool = False,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Project ``values`` (n or n × p) on the fixed effects.

        Each sweep takes every dimension in turn, computes the (weighted) group means of
        the current residual and moves them from the residual into that dimension's
        effects; sweeps stop when no effect moves by more than ``tol`` times the largest
        absolute value. A balanced two-way design (:meth:`is_orthogonal`) needs one sweep.

        Returns
        -------
        residual : array like ``values``
            ``values`` minus its projection on the fixed-effect space.
        effects : list of arrays
            Per dimension, the group effects (``G_k`` or ``G_k × p``), normalised so every
            dimension but the first has a weighted mean of zero.

        ``overwrite=True`` lets a caller that owns a float ``values`` array have it
        residualised in place (no copy of an n × p array).
        """
        v = np.asarray(values, dtype=float)
        one_d = v.ndim == 1
        V = v[:, None] if one_d else v
        w = None if self.weights is None else self.weights[:, None]
        mats = self._indicators()
        effects = [np.zeros((D.shape[1], V.shape[1])) for D, _ in mats]
        in_place = overwrite and not one_d and V.flags.writeable and V.flags.c_contiguous
        resid = V if in_place else V.copy()
        scale = max(float(np.abs(V).max()), 1.0)
        one_sweep = len(mats) == 1 or self.is_orthogonal()
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
        # normalise: move the weighted mean of each later dimension into the first
        for k in range(1, len(mats)):
            wsum = mats[k][1]
            m = (wsum @ effects[k]) / wsum.sum()
            effects[k] = effects[k] - m
            effects[0] = effects[0] + m
        if one_d:
            return resid[:, 0], [e[:, 0] for e in effects]
        return resid, effects

    def residualize(self, values: np.ndarray, tol: float = 1e-13,
                    overwrite: bool = False) -> np.ndarray:
        """``values`` minus their projection on the fixed effects (within transformation);
        ``overwrite=True`` works in place on a float array the caller owns."""
        return self.components(values, tol=tol, overwrite=overwrite)[0]

    def n_levels(self) -> int:
        """Number of fixed-effect parameters net of one normalisation per extra dimension.

        Exact for one or two dimensions on a connected design (the usual panel case).
        """
        sizes = [int(c.max()) + 1 for c in self.codes]
        return sum(sizes) - (len(sizes) - 1)


def dense_codes(codes: np.ndarray) -> np.ndarray:
    """Codes renumbered 0..G−1 in sorted order of their labels; O(n) for small labels."""
    codes = codes.astype(np.intp, copy=False)
    if codes.size and codes.min() >= 0 and codes.max() < 4 * codes.size:
        present = np.bincount(codes) > 0
        if present.all():
            return codes
        return (np.cumsum(present) - 1)[codes]
    return np.unique(codes, return_inverse=True)[1].astype(np.intp)
