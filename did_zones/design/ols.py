"""Least squares with absorbed fixed effects, and its variance.

``fit_absorbed(design, protect=...)`` -> :class:`AbsorbedFit`
    Absorbs the fixed effects (:class:`~did_zones.design.Absorber`, strategy chosen
    automatically), drops collinear regressors with a warning naming them (``protect``
    names those whose collinearity is an error instead), solves the normal equations, and
    offers ``fit.vcov()``: the CRV1 (one- or two-way) or HC1 sandwich with Stata
    ``reghdfe``'s small-sample factor ``G/(G−1)·(N−1)/(N−K)``, ``K`` = kept regressors +
    fixed-effect parameters not nested in a cluster variable (see :func:`fe_dof`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import DataDroppedWarning, EstimationError
from ..errors import warn as _warn  # fit_absorbed has a warn= flag
from ..inference import NOISE_TOL, outcome_scale, rounding_vcov, sandwich_vcov
from .absorb import Absorber, Strategy
from .sample import Design

__all__ = ["AbsorbedFit", "fit_absorbed", "fe_dof"]

_COLLINEAR_TOL = 1e-10  # relative residual sum of squares below which a column is dropped


# ----------------------------------------------------------------- fixed-effect dof


def _nested(a: np.ndarray, b: np.ndarray) -> bool:
    """True if every level of ``a`` lies within a single level of ``b``."""
    if a is b or (a.shape == b.shape and np.array_equal(a, b)):
        return True  # e.g. unit effects and unit clusters: the same codes
    # write one b per level of a (the last one wins), then check every row agrees: O(n)
    label = np.empty(int(a.max()) + 1, dtype=b.dtype)
    label[a] = b
    return bool((label[a] == b).all())


def _components(a: np.ndarray, b: np.ndarray) -> int:
    """Connected components of the bipartite graph of levels of ``a`` and ``b``."""
    ga, gb = int(a.max()) + 1, int(b.max()) + 1
    if ga * gb <= 4 * a.size and np.count_nonzero(np.bincount(a * gb + b)) == ga * gb:
        return 1  # every pair of levels occurs (a balanced panel): one component
    graph = coo_matrix((np.ones(a.size), (a, ga + b)), shape=(ga + gb, ga + gb))
    return int(connected_components(graph, directed=False)[0])


def _fe_rank(codes: Sequence[np.ndarray]) -> int:
    """Parameters spanned by the dummies of ``codes`` (reghdfe's pairwise count).

    A dimension nested in another one (e.g. province within unit, time within
    province × time) adds nothing and is removed first. The first remaining dimension
    counts all its levels, the second its levels minus the connected components it forms
    with the first (exact: mobility groups), every later one its levels minus the largest
    number of components it forms with an earlier one (a lower bound on its redundancy,
    so the count is conservative, as in reghdfe).
    """
    dims = [np.asarray(c) for c in codes]
    kept: list[np.ndarray] = []
    for i, a in enumerate(dims):
        # drop ``a`` if a finer dimension (or an earlier copy of it) determines it
        redundant = any(
            _nested(b, a) and (not _nested(a, b) or j < i)
            for j, b in enumerate(dims) if j != i
        )
        if not redundant:
            kept.append(a)
    total = 0
    for i, a in enumerate(kept):
        g = int(a.max()) + 1
        if i == 0:
            total += g
        else:
            total += g - max(_components(b, a) for b in kept[:i])
    return total


def fe_dof(fe_codes: Sequence[np.ndarray], clusters: Sequence[np.ndarray] = ()) -> int:
    """Fixed-effect parameters counted in ``K`` of the small-sample factor (reghdfe rules).

    Without clustering this is the rank of the fixed-effect space (see ``_fe_rank``).
    A dimension nested within a cluster variable (e.g. unit effects with unit or province
    clusters) is not counted; if any is, one parameter is added back for the intercept
    they absorb. So ``absorb(unit time), vce(cluster unit)`` gives ``T``, as reghdfe
    (``T − 1`` period effects plus the constant) and fixest/pyfixest (``fixef.K =
    "nested"``), and ``absorb(unit)``, ``vce(cluster unit)`` gives 1, as ``xtreg, fe``.
    """
    total = _fe_rank(fe_codes)
    nested = [c for c in fe_codes if any(_nested(c, cl) for cl in clusters)]
    if not nested:
        return total
    return total - _fe_rank(nested) + 1


# ----------------------------------------------------------------------------- fit


@dataclass(frozen=True, eq=False)
class AbsorbedFit:
    """Least-squares fit with absorbed fixed effects.

    Attributes
    ----------
    design : Design
    coef : ndarray (k,)
        Coefficients of the kept regressors ``names``.
    names : tuple of str
        Kept regressors (collinear ones removed).
    dropped : tuple of str
        Regressors dropped as collinear with the fixed effects or earlier regressors.
    X_within, y_within : ndarray
        Regressors and outcome net of the fixed effects.
    resid : ndarray (n,)
        Residuals of the full model.
    bread : ndarray (k, k)
        ``(X̃ᵀWX̃)⁻¹``.
    fe_dof : int
        Fixed-effect parameters counted in ``K`` (see :func:`fe_dof`).
    stats : dict
        ``r2`` (with the fixed effects), ``r2_within``, ``rss``.
    """

    design: Design
    coef: np.ndarray
    names: tuple[str, ...]
    dropped: tuple[str, ...]
    X_within: np.ndarray
    y_within: np.ndarray
    resid: np.ndarray
    bread: np.ndarray
    fe_dof: int
    stats: dict = field(default_factory=dict)

    @property
    def n_params(self) -> int:
        """``K`` of the small-sample factor: kept regressors plus counted fixed effects."""
        return len(self.names) + self.fe_dof

    def scores(self) -> np.ndarray:
        """Per-observation scores ``w_i x̃_i e_i`` (n × k)."""
        w = self.design.weights
        e = self.resid if w is None else self.resid * w
        return self.X_within * e[:, None]

    def vcov(self, small_sample: bool = True) -> tuple[np.ndarray, int | None, int]:
        """Cluster-robust (CRV1, one- or two-way) or HC1 variance of ``coef``.

        Returns
        -------
        vcov : (k, k) array
        n_clusters : int or None
            Smallest cluster count (None for HC1).
        df : int
            Degrees of freedom for t and F inference: ``G_min − 1`` when clustered,
            ``N − K`` for HC1 (Stata, fixest).
        """
        d = self.design
        V, g = sandwich_vcov(self.scores(), self.bread, self._clusters(), n_obs=d.n_obs,
                             n_params=self.n_params, small_sample=small_sample,
                             cluster_names=d.cluster_names)
        df = (g - 1) if g is not None else d.n_obs - self.n_params
        return V, g, int(df)

    def variance_floor(self, small_sample: bool = True) -> np.ndarray:
        """The floor of :meth:`vcov` below which a variance is rounding noise (k × k).

        :func:`did_zones.inference.rounding_vcov` with residuals of ``NOISE_TOL`` times the
        largest absolute outcome in the sample; pass it to ``Result.create(...,
        variance_floor=...)`` (aggregations: ``|A| F |A|ᵀ``).
        """
        d = self.design
        X = self.X_within if d.weights is None else self.X_within * d.weights[:, None]
        return rounding_vcov(X, self.bread, self._clusters(), NOISE_TOL * outcome_scale(d.y),
                             n_obs=d.n_obs, n_params=self.n_params, small_sample=small_sample)

    def _clusters(self):
        d = self.design
        if not d.clusters:
            return None
        return np.column_stack(d.clusters) if len(d.clusters) == 2 else d.clusters[0]


def fit_absorbed(design: Design, protect: Sequence[str] = (), warn: bool = True,
                 strategy: Strategy = "auto") -> AbsorbedFit:
    """Absorb the fixed effects, drop collinear regressors, solve least squares.

    Parameters
    ----------
    design : Design
    protect : sequence of str
        Regressors that must not be dropped: if one is collinear with the fixed effects
        or earlier regressors an :class:`EstimationError` explains it.
    warn : bool
        Warn (DataDroppedWarning) about dropped regressors. Callers that name the dropped
        terms in their own words (event-time terms, cells) pass False and read
        ``fit.dropped``.
    strategy : {"auto", "balanced", "exact", "alternating"}
        How the fixed effects are absorbed (:class:`~did_zones.design.Absorber`); every
        strategy gives the same fit, ``"auto"`` the fastest that applies.

    Returns
    -------
    AbsorbedFit

    Raises
    ------
    EstimationError
        A protected regressor is collinear with the fixed effects or earlier regressors.

    Notes
    -----
    Absorption uses :class:`~did_zones.design.Absorber` (closed form on a balanced panel,
    the exact two-block solve or alternating projections converged to 1e-13 relative)
    rather than linearmodels' ``AbsorbingLS``: the solution is the
    same (the tests cross-check it), but AbsorbingLS counts every absorbed level in its
    degrees of freedom while reghdfe's convention needs the nesting rules above, and its
    formula and categorical set-up cost dominates on large panels.
    A regressor is dropped when its sum of squares net of the fixed effects is below
    ``1e-10`` times its raw sum of squares (absorbed), or its residual sum of squares on
    the kept regressors is below ``1e-10`` times its within sum of squares (collinear).
    """
    d = design
    w = np.ones(d.n_obs) if d.weights is None else d.weights
    fe = Absorber(d.fe_codes, weights=d.weights, strategy=strategy)
    both = np.empty((d.n_obs, 1 + d.X.shape[1]))
    both[:, 0], both[:, 1:] = d.y, d.X
    both = fe.residualize(both, overwrite=True)
    yt, Xt = both[:, 0], both[:, 1:]

    # one cross-product of the contiguous [ỹ X̃] block gives X̃'WX̃, X̃'Wỹ and ỹ'Wỹ
    if d.weights is None:
        raw_ss = np.einsum("ij,ij->j", d.X, d.X)
        cross = both.T @ both
    else:
        raw_ss = np.einsum("ij,ij,i->j", d.X, d.X, w)
        cross = both.T @ (both * w[:, None])
    M = cross[1:, 1:]
    kept: list[int] = []
    dropped: list[str] = []
    for j, name in enumerate(d.names):
        within = M[j, j]
        absorbed = within <= _COLLINEAR_TOL * raw_ss[j] or within == 0.0
        if not absorbed and kept:
            sub = M[np.ix_(kept, kept)]
            b = M[kept, j]
            resid_ss = within - b @ np.linalg.solve(sub, b)
            absorbed = resid_ss <= _COLLINEAR_TOL * within
        if absorbed:
            if name in protect:
                what = ("the fixed effects " + str(list(d.fe_names))) if not kept else (
                    "the fixed effects and the other regressors")
                raise EstimationError(
                    f"{name!r} is collinear with {what}, so its coefficient is not "
                    "identified. Typical causes: every unit is treated at the same date "
                    "with no untreated comparison, or a control duplicates the treatment."
                )
            dropped.append(name)
        else:
            kept.append(j)
    if dropped and warn:
        _warn(
            f"{len(dropped)} regressor(s) dropped as collinear with the fixed effects or "
            f"earlier regressors: {dropped}. Remove them from controls.",
            DataDroppedWarning)
    Xk = Xt if len(kept) == Xt.shape[1] else Xt[:, kept]
    Mk = M[np.ix_(kept, kept)]
    bread = np.linalg.inv(Mk) if kept else np.zeros((0, 0))
    coef = bread @ cross[1:, 0][kept] if kept else np.zeros(0)
    resid = yt - Xk @ coef
    rss = float(w @ resid**2)
    ybar = float(w @ d.y / w.sum())
    tss = float(w @ (d.y - ybar) ** 2)
    tss_within = float(cross[0, 0])
    stats = {
        "r2": 1 - rss / tss if tss > 0 else np.nan,
        "r2_within": 1 - rss / tss_within if tss_within > 0 else np.nan,
        "rss": rss,
    }
    return AbsorbedFit(
        design=d,
        coef=coef,
        names=tuple(d.names[j] for j in kept),
        dropped=tuple(dropped),
        X_within=Xk,
        y_within=yt,
        resid=resid,
        bread=bread,
        fe_dof=fe_dof(d.fe_codes, d.clusters),
        stats=stats,
    )
