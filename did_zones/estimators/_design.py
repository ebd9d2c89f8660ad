"""Least squares with absorbed fixed effects, shared by the regression estimators.

Two steps, so estimators can build their own regressors (a treatment dummy, event-time
dummies, cohort × period interactions, ...) and reuse the rest:

``build_design(panel, outcome, regressors, *, controls, fixed_effects, cluster, weights,
rows)`` -> :class:`Design`
    Resolves the fixed-effect and cluster specifications against the panel, drops rows
    with missing outcome / regressors / controls / weights / fixed-effect or cluster
    values and then singleton groups (as ``reghdfe``), warning and noting every drop.
    ``regressors`` maps term names to arrays aligned with the panel rows; controls are
    appended after them. ``rows`` (boolean mask over panel rows) restricts the sample,
    e.g. to untreated observations for imputation estimators.

``fit_absorbed(design, protect=...)`` -> :class:`AbsorbedFit`
    Absorbs the fixed effects (sparse alternating projections, ``_fe.FixedEffects``),
    drops collinear regressors with a warning naming them (``protect`` names those whose
    collinearity is an error instead), solves the normal equations, and offers
    ``fit.vcov()``: the CRV1 (one- or two-way) or HC1 sandwich with Stata ``reghdfe``'s
    small-sample factor ``G/(G−1)·(N−1)/(N−K)``, ``K`` = kept regressors + fixed-effect
    parameters not nested in a cluster variable (see :func:`fe_dof`).

Fixed-effect and cluster specifications name panel roles (``"unit"``, ``"time"``,
``"cohort"``) or columns of ``panel.data``; in ``fixed_effects`` a tuple of names is an
interaction (``("province", "time")`` = province × period effects), while in ``cluster``
two names mean two-way clustering.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .._checks import as_tuple, check_columns, check_weights, examples
from ..errors import (
    DataDroppedWarning,
    EstimationError,
    SpecificationError,
)
from ..errors import warn as _warn  # fit_absorbed has a warn= flag
from ..inference import NOISE_TOL, check_clusters, outcome_scale, rounding_vcov, sandwich_vcov
from ..panel import Panel
from ._fe import FixedEffects, dense_codes

__all__ = [
    "Design",
    "AbsorbedFit",
    "build_design",
    "fit_absorbed",
    "fe_dof",
    "resolve_codes",
    "FE_ROLES",
    "check_panel_outcome",
    "few_clusters_note",
]

FE_ROLES = ("unit", "time", "cohort")
_COLLINEAR_TOL = 1e-10  # relative residual sum of squares below which a column is dropped

FESpec = str | tuple[str, ...]


# ----------------------------------------------------------------------------- specs


def resolve_codes(panel: Panel, spec: FESpec, what: str = "Fixed effect") -> np.ndarray:
    """Integer codes (``-1`` = missing) per panel row for a role, column or interaction.

    ``"unit"``/``"time"``/``"cohort"`` (or the panel's own unit/time column names) are
    panel roles; other strings are columns of ``panel.data`` of any dtype; a tuple is the
    interaction of its members (missing if any member is).
    """
    if isinstance(spec, tuple | list):
        if len(spec) == 0:
            raise SpecificationError(f"{what} interaction {spec!r} is empty.")
        parts = [resolve_codes(panel, s, what) for s in spec]
        codes = parts[0].astype(np.int64)
        for p in parts[1:]:
            missing = (codes < 0) | (p < 0)
            codes = codes * (int(p.max()) + 1) + p
            codes[missing] = -1
            codes = _refactorize(codes)  # keep labels small: no overflow with many parts
        return codes
    if not isinstance(spec, str):
        raise SpecificationError(
            f"{what} must be a role ('unit', 'time', 'cohort'), a column name or a tuple of "
            f"them; got {spec!r}."
        )
    if spec in ("unit", panel.unit):
        return panel.unit_id.astype(np.int64)
    if spec in ("time", panel.time):
        return panel.period_id.astype(np.int64)
    if spec == "cohort" and "cohort" not in panel.data.columns:
        return np.unique(panel.row_cohort, return_inverse=True)[1].astype(np.int64)
    check_columns(panel.data, [spec], what=what + " column")
    codes, _ = pd.factorize(panel.data[spec], sort=True)
    return codes.astype(np.int64)


def count_distinct(codes: np.ndarray, size: int) -> int:
    """Number of distinct non-negative integer codes below ``size`` (O(n), no sort)."""
    return int(np.count_nonzero(np.bincount(codes, minlength=size)))


def _refactorize(codes: np.ndarray) -> np.ndarray:
    """Renumber non-negative codes densely (0..G−1) in their order; keep -1 (missing)."""
    ok = codes >= 0
    if ok.all():
        return dense_codes(codes).astype(np.int64, copy=False)
    out = np.full(codes.shape, -1, dtype=np.int64)
    out[ok] = dense_codes(codes[ok])
    return out


def _spec_name(spec: FESpec) -> str:
    return "#".join(spec) if isinstance(spec, tuple | list) else spec


# ----------------------------------------------------------------------------- design


@dataclass(frozen=True, eq=False)
class Design:
    """Everything a regression with absorbed fixed effects needs, on the used rows.

    Attributes
    ----------
    rows : ndarray of int
        Positions of the used rows in the panel.
    y : ndarray (n,)
    X : ndarray (n, k)
        Regressors then controls, columns named by ``names``.
    names : tuple of str
    fe_codes : tuple of int arrays
        One code array (0..G−1) per absorbed dimension; a single all-zero array stands
        for the intercept when no fixed effect is absorbed.
    fe_names : tuple of str
    clusters : tuple of int arrays
        One code array per cluster dimension (empty for HC1).
    cluster_names : tuple of str
    weights : ndarray or None
    notes : tuple of str
        Drops that happened while building, for ``Result.notes``.
    n_singletons : int
        Singleton observations dropped.
    """

    rows: np.ndarray
    y: np.ndarray
    X: np.ndarray
    names: tuple[str, ...]
    fe_codes: tuple[np.ndarray, ...]
    fe_names: tuple[str, ...]
    clusters: tuple[np.ndarray, ...]
    cluster_names: tuple[str, ...]
    weights: np.ndarray | None
    notes: tuple[str, ...] = ()
    n_singletons: int = 0

    @property
    def n_obs(self) -> int:
        return int(self.y.size)

    @property
    def n_clusters(self) -> int | None:
        """Smallest number of clusters across dimensions (None for HC1)."""
        if not self.clusters:
            return None
        return min(self.cluster_counts)

    @property
    def cluster_counts(self) -> tuple[int, ...]:
        """Number of clusters in each dimension (empty for HC1), matching ``cluster_names``."""
        return tuple(int(c.max()) + 1 if c.size else 0 for c in self.clusters)


def build_design(
    panel: Panel,
    outcome: str,
    regressors: Mapping[str, np.ndarray],
    *,
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | Sequence[str] | None = "unit",
    weights: str | None = None,
    rows: np.ndarray | None = None,
    drop_singletons: bool = True,
) -> Design:
    """Assemble ``y``, ``X``, fixed effects, clusters and weights on the usable rows.

    Parameters
    ----------
    panel : Panel
    outcome : str
    regressors : mapping str -> array
        Regressors aligned with the panel rows (e.g. ``{"treated": panel.treated}``).
    controls : str or sequence of str
        Numeric columns appended after ``regressors``.
    fixed_effects : sequence of str or tuple
        Absorbed dimensions; ``()`` gives an intercept only.
    cluster : str, sequence of one or two str, or None
        Cluster variables (roles or columns); None gives HC1.
    weights : str, optional
        Column of positive analytic weights (Stata ``aweight``).
    rows : boolean array, optional
        Restrict the sample to these panel rows.
    drop_singletons : bool
        Drop observations alone in a fixed-effect group, iteratively (``reghdfe``).

    Raises
    ------
    SpecificationError
        Unknown columns (with a did-you-mean hint), non-numeric controls, bad weights,
        a name used twice, more than two cluster variables.
    EstimationError
        No observation left.
    """
    controls = as_tuple(controls)
    names = tuple(regressors) + controls
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SpecificationError(
            f"Regressor name(s) {dup} appear more than once; list each control once."
        )
    if outcome in controls:
        raise SpecificationError(f"The outcome {outcome!r} cannot also be a control.")
    fixed_effects = tuple(fixed_effects)
    cluster_specs = _cluster_specs(cluster)
    check_columns(panel.data, [outcome, *controls, weights])

    base = np.ones(panel.n_obs, dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
    if base.shape != (panel.n_obs,):
        raise SpecificationError(f"rows must be a boolean mask of length {panel.n_obs}.")
    notes: list[str] = []

    # -- numeric columns: missing values are dropped, counted and noted
    y = panel.column(outcome)
    # filled as contiguous rows of Xᵀ, then one blocked transpose (writing columns of a
    # row-major n × k array directly is ~5× slower at a million rows)
    XT = np.empty((len(names), panel.n_obs))
    for j, name in enumerate(regressors):
        XT[j] = regressors[name]
    for j, c in enumerate(controls, start=len(regressors)):
        XT[j] = panel.column(c)
    X = np.ascontiguousarray(XT.T)
    del XT
    w = None
    if weights is not None:
        w = check_weights(panel, weights, base)
    keep = base.copy()
    checks = [(outcome, np.isfinite(y))]
    checks += [(n, np.isfinite(X[:, j])) for j, n in enumerate(names)]
    if w is not None:
        checks.append((weights, np.isfinite(w)))
    keep = _drop(panel, keep, checks, "missing values in", notes)

    # -- fixed-effect and cluster codes: missing values dropped too
    fe_raw = [resolve_codes(panel, s) for s in fixed_effects]
    cl_raw = [resolve_codes(panel, s, what="Cluster") for s in cluster_specs]
    keep = _drop(panel, keep,
                 [(_spec_name(s), c >= 0) for s, c in zip(fixed_effects, fe_raw, strict=True)]
                 + [(s, c >= 0) for s, c in zip(cluster_specs, cl_raw, strict=True)],
                 "missing fixed-effect or cluster values in", notes)
    if not fe_raw:
        fe_raw = [np.zeros(panel.n_obs, dtype=np.int64)]
        fe_names: tuple[str, ...] = ("(intercept)",)
    else:
        fe_names = tuple(_spec_name(s) for s in fixed_effects)

    n_single = 0
    if drop_singletons and keep.any():
        before = keep
        keep, n_single = _drop_singletons(fe_raw, keep)
        if n_single:
            units = panel.units[np.unique(panel.unit_id[before & ~keep])]
            msg = (
                f"{n_single} singleton observation(s) (alone in a group of the fixed "
                f"effects {list(fe_names)}; {len(units)} unit(s), e.g. {examples(units)}) "
                "dropped, as reghdfe does: they are fitted perfectly and carry no "
                "information about the coefficients."
            )
            _warn(msg, DataDroppedWarning)
            notes.append(msg)
    if not keep.any():
        raise EstimationError(
            f"No observation is left to estimate on (outcome {outcome!r}); check the "
            "missing values reported above."
        )

    idx = np.flatnonzero(keep)
    every = idx.size == panel.n_obs  # no drop: use the arrays as they are, no copies
    return Design(
        rows=idx,
        y=y[idx],  # always a copy: y may be a read-only view of the caller's data
        X=X if every else X[idx],
        names=names,
        fe_codes=tuple(_refactorize(c[idx]) for c in fe_raw),
        fe_names=fe_names,
        clusters=tuple(_refactorize(c[idx]) for c in cl_raw),
        cluster_names=tuple(cluster_specs),
        weights=None if w is None else w[idx],
        notes=tuple(notes),
        n_singletons=n_single,
    )


def _cluster_specs(cluster) -> tuple[str, ...]:
    specs = as_tuple(cluster)
    if not 0 <= len(specs) <= 2 or not all(isinstance(s, str) for s in specs):
        raise SpecificationError(
            f"cluster takes one or two column names (two for two-way clustering), or None "
            f"for heteroskedasticity-robust (HC1) errors; got {cluster!r}."
        )
    return specs


def _drop(panel: Panel, keep: np.ndarray, checks, reason: str, notes: list[str]) -> np.ndarray:
    bad_cols = []
    new = keep.copy()
    for name, ok in checks:
        lost = keep & ~ok
        if lost.any():
            bad_cols.append(name)
        new &= ok
    lost = keep & ~new
    if lost.any():
        units = panel.units[np.unique(panel.unit_id[lost])]
        msg = (
            f"{int(lost.sum())} row(s) of {int(keep.sum())} dropped for {reason} "
            f"{bad_cols} ({len(units)} unit(s) affected, e.g. {examples(units)})."
        )
        _warn(msg, DataDroppedWarning)
        notes.append(msg)
    return new


def _drop_singletons(codes: Sequence[np.ndarray], keep: np.ndarray) -> tuple[np.ndarray, int]:
    """Iteratively drop observations alone in a group of any fixed-effect dimension."""
    keep = keep.copy()
    start = int(keep.sum())
    while True:
        changed = False
        for c in codes:
            counts = np.bincount(c[keep], minlength=int(c.max()) + 1)
            single = keep & (counts[np.maximum(c, 0)] == 1)
            if single.any():
                keep &= ~single
                changed = True
        if not changed:
            return keep, start - int(keep.sum())


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


def fit_absorbed(design: Design, protect: Sequence[str] = (), warn: bool = True) -> AbsorbedFit:
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

    Notes
    -----
    Absorption uses :class:`_fe.FixedEffects` (sparse alternating projections, converged
    to 1e-13 relative) rather than linearmodels' ``AbsorbingLS``: the solution is the
    same (the tests cross-check it), but AbsorbingLS counts every absorbed level in its
    degrees of freedom while reghdfe's convention needs the nesting rules above, and its
    formula and categorical set-up cost dominates on large panels.
    A regressor is dropped when its sum of squares net of the fixed effects is below
    ``1e-10`` times its raw sum of squares (absorbed), or its residual sum of squares on
    the kept regressors is below ``1e-10`` times its within sum of squares (collinear).
    """
    d = design
    w = np.ones(d.n_obs) if d.weights is None else d.weights
    fe = FixedEffects.from_codes(d.fe_codes, weights=d.weights)
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


# ----------------------------------------------------------------------------- helpers

def check_panel_outcome(panel: Panel, outcome: str) -> None:
    """Entry-point check shared by the regression estimators."""
    if not isinstance(panel, Panel):
        raise SpecificationError(
            f"panel must be a did_zones Panel (from build_panel); got {type(panel).__name__}."
        )
    if not isinstance(outcome, str):
        raise SpecificationError(f"outcome must be a column name; got {outcome!r}.")
    check_columns(panel.data, [outcome], what="Outcome column")


def few_clusters_note(n_clusters: int | Sequence[int] | None,
                      name: str | Sequence[str] | None = None) -> tuple[str, ...]:
    """Judge the cluster count with :func:`did_zones.inference.check_clusters`.

    Raises :class:`EstimationError` below 2 clusters; warns (:class:`InferenceWarning`) and
    returns the note below :data:`did_zones.inference.FEW_CLUSTERS`; else returns ``()``.
    """
    return check_clusters(n_clusters, name)
