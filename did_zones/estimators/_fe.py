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
        codes = tuple(np.unique(np.asarray(c), return_inverse=True)[1].astype(np.intp)
                      for c in codes)
        w = None if weights is None else np.asarray(weights, dtype=float)
        return cls(codes=codes, weights=w)

    @property
    def n(self) -> int:
        return int(self.codes[0].size)

    def _indicators(self) -> list[sparse.csr_matrix]:
        n = self.n
        w = np.ones(n) if self.weights is None else self.weights
        mats = []
        for c in self.codes:
            g = int(c.max()) + 1
            D = sparse.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, g))
            wsum = np.bincount(c, weights=w, minlength=g)
            mats.append((D, c, wsum))
        return mats

    def components(
        self, values: np.ndarray, tol: float = 1e-13, max_iter: int = 10_000
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Project ``values`` (n or n × p) on the fixed effects.

        Returns
        -------
        residual : array like ``values``
            ``values`` minus its projection on the fixed-effect space.
        effects : list of arrays
            Per dimension, the group effects (``G_k`` or ``G_k × p``), normalised so every
            dimension but the first has a weighted mean of zero.
        """
        v = np.asarray(values, dtype=float)
        one_d = v.ndim == 1
        V = v[:, None] if one_d else v
        w = np.ones(self.n) if self.weights is None else self.weights
        mats = self._indicators()
        effects = [np.zeros((D.shape[1], V.shape[1])) for D, _, _ in mats]
        resid = V.copy()
        scale = max(float(np.abs(V).max()), 1.0)
        for _ in range(max_iter):
            change = 0.0
            for k, (D, c, wsum) in enumerate(mats):
                # remove this dimension's current effect, re-fit it as the group mean
                resid += effects[k][c]
                new = (D.T @ (resid * w[:, None])) / np.where(wsum > 0, wsum, 1.0)[:, None]
                change = max(change, float(np.abs(new - effects[k]).max()))
                effects[k] = new
                resid -= new[c]
            if len(mats) == 1 or change < tol * scale:
                break
        else:  # pragma: no cover - pathological designs only
            raise EstimationError(
                f"Fixed effects did not converge in {max_iter} sweeps (last change "
                f"{change:.3g}). The design may be disconnected; check the panel."
            )
        # normalise: move the weighted mean of each later dimension into the first
        for k in range(1, len(mats)):
            _, c, wsum = mats[k]
            m = (wsum @ effects[k]) / wsum.sum()
            effects[k] = effects[k] - m
            effects[0] = effects[0] + m
        if one_d:
            return resid[:, 0], [e[:, 0] for e in effects]
        return resid, effects

    def residualize(self, values: np.ndarray, tol: float = 1e-13) -> np.ndarray:
        """``values`` minus their projection on the fixed effects (within transformation)."""
        return self.components(values, tol=tol)[0]

    def n_levels(self) -> int:
        """Number of fixed-effect parameters net of one normalisation per extra dimension.

        Exact for one or two dimensions on a connected design (the usual panel case).
        """
        sizes = [int(c.max()) + 1 for c in self.codes]
        return sum(sizes) - (len(sizes) - 1)
