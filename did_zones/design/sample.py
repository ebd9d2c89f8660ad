"""The estimation sample: usable rows, weights, clusters, missing values, singletons.

One place decides which panel rows a regression uses and says what was dropped:

:func:`build_design` -> :class:`Design`
    Resolves the fixed-effect and cluster specifications against the panel, drops rows
    with missing outcome / regressors / controls / weights / fixed-effect or cluster
    values and then singleton groups (as ``reghdfe``), warning
    (:class:`~did_zones.errors.DataDroppedWarning`, with counts and up to five example
    units) and noting every drop. ``regressors`` maps term names to arrays aligned with
    the panel rows; ``controls`` are columns or arrays appended after them; ``rows``
    (boolean mask) restricts the sample, e.g. to untreated observations.
:func:`usable_sample` -> :class:`Sample`
    The unit-level sample of the estimators that do not run one regression
    (Callaway–Sant'Anna): finite numeric columns, checked weights, cluster codes.

Fixed-effect and cluster specifications name panel roles (``"unit"``, ``"time"``,
``"cohort"``) or columns of ``panel.data``; in ``fixed_effects`` a tuple of names is an
interaction (``("province", "time")`` = province × period effects), while in ``cluster``
two names mean two-way clustering. Design builders that derive terms or cluster labels
themselves pass them as arrays (``controls`` and ``cluster`` as mappings name → array), so
nothing is added to the panel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataDroppedWarning, EstimationError, SpecificationError
from ..errors import warn as _warn
from ..inference import check_clusters
from ..panel import Panel
from ..validation import PANEL, as_tuple, check_columns, check_weights, examples
from .absorb import dense_codes

__all__ = [
    "Design",
    "FESpec",
    "FE_ROLES",
    "Sample",
    "build_design",
    "check_panel_outcome",
    "count_distinct",
    "few_clusters_note",
    "refactorize",
    "resolve_codes",
    "usable_rows",
    "usable_sample",
]

FE_ROLES = ("unit", "time", "cohort")

FESpec = str | tuple[str, ...]


# ----------------------------------------------------------------------------- specs


def resolve_codes(panel: Panel, spec: FESpec, what: str = "Fixed effect") -> np.ndarray:
    """Integer codes (``-1`` = missing) per panel row for a role, column or interaction.

    ``"unit"``/``"time"``/``"cohort"`` (or the panel's own unit/time column names) are
    panel roles; other strings are columns of ``panel.data`` of any dtype; a tuple is the
    interaction of its members (missing if any member is). ``"cohort"`` is always the
    panel's own cohort, even when the data carry a column of that name: a placebo or
    re-assigned panel (``Panel.subset(..., cohort=)``) keeps the original data, and its
    cohort fixed effects must follow the new assignment.
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
            codes = refactorize(codes)  # keep labels small: no overflow with many parts
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
    if spec == "cohort":
        return np.unique(panel.row_cohort, return_inverse=True)[1].astype(np.int64)
    check_columns(panel.data, [spec], what=what + " column")
    codes, _ = pd.factorize(panel.data[spec], sort=True)
    return codes.astype(np.int64)


def count_distinct(codes: np.ndarray, size: int) -> int:
    """Number of distinct non-negative integer codes below ``size`` (O(n), no sort)."""
    return int(np.count_nonzero(np.bincount(codes, minlength=size)))


def refactorize(codes: np.ndarray) -> np.ndarray:
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
    controls: str | Sequence[str] | Mapping[str, np.ndarray] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | Sequence[str] | Mapping[str, np.ndarray] | None = "unit",
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
    controls : str, sequence of str, or mapping str -> array
        Numeric columns appended after ``regressors``; a mapping gives them as arrays
        aligned with the panel rows (terms a design builder derives, e.g. a DiD indicator
        of another zone type), so nothing is added to the panel.
    fixed_effects : sequence of str or tuple
        Absorbed dimensions; ``()`` gives an intercept only.
    cluster : str, sequence of one or two str, mapping str -> array, or None
        Cluster variables (roles or columns, or a mapping of names to per-row labels,
        NaN = missing); None gives HC1.
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
    control_arrays: Mapping[str, np.ndarray] = {}
    if isinstance(controls, Mapping):
        control_arrays, controls = controls, tuple(controls)
    else:
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
    check_columns(panel.data, [outcome, *(c for c in controls if c not in control_arrays),
                               weights])

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
        XT[j] = control_arrays[c] if c in control_arrays else panel.column(c)
    X = np.ascontiguousarray(XT.T)
    del XT
    w = None
    if weights is not None:
        w = check_weights(panel, weights, base)
    keep = base.copy()
    checks = [(outcome, np.isfinite(y))]
    if not np.isfinite(X).all():  # name the regressors with missing values (else none)
        checks += [(n, np.isfinite(X[:, j])) for j, n in enumerate(names)]
    if w is not None:
        checks.append((weights, np.isfinite(w)))
    keep = _drop(panel, keep, checks, "missing values in", notes)

    # -- fixed-effect and cluster codes: missing values dropped too
    fe_raw = [resolve_codes(panel, s) for s in fixed_effects]
    cl_raw = [_label_codes(cluster[s]) if isinstance(cluster, Mapping)
              else resolve_codes(panel, s, what="Cluster") for s in cluster_specs]
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
        fe_codes=tuple(refactorize(c[idx]) for c in fe_raw),
        fe_names=fe_names,
        clusters=tuple(refactorize(c[idx]) for c in cl_raw),
        cluster_names=tuple(cluster_specs),
        weights=None if w is None else w[idx],
        notes=tuple(notes),
        n_singletons=n_single,
    )


def _label_codes(labels) -> np.ndarray:
    """Integer codes (``-1`` = missing) of per-row labels given as an array."""
    codes, _ = pd.factorize(np.asarray(labels), sort=True)
    return codes.astype(np.int64)


def _cluster_specs(cluster) -> tuple[str, ...]:
    specs = tuple(cluster) if isinstance(cluster, Mapping) else as_tuple(cluster)
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


# ----------------------------------------------------------------------------- helpers

def check_panel_outcome(panel: Panel, outcome: str) -> None:
    """Entry-point check shared by the regression estimators."""
    PANEL("panel", panel)
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


# ------------------------------------------------------------ unit-level sample


def usable_rows(panel: Panel, columns: Iterable[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Rows where every column in ``columns`` is finite.

    Returns the boolean mask and a note (empty tuple when nothing is dropped). Estimators
    call this so that rows lost to missing outcomes or covariates are counted, warned
    about (:class:`DataDroppedWarning`) and reported in ``Result.notes``.
    """
    columns = as_tuple(columns)
    check_columns(panel.data, columns)
    mask = np.ones(panel.n_obs, dtype=bool)
    for c in columns:
        mask &= np.isfinite(panel.column(c))
    n_bad = int((~mask).sum())
    if n_bad == 0:
        return mask, ()
    bad_units = panel.units[np.unique(panel.unit_id[~mask])]
    note = (
        f"{n_bad} row(s) of {panel.n_obs} dropped for missing values in "
        f"{list(columns)} ({len(bad_units)} unit(s) affected, e.g. {examples(bad_units)})."
    )
    _warn(note, DataDroppedWarning)
    return mask, (note,)




@dataclass(frozen=True, eq=False)
class Sample:
    """The usable rows of a panel for the estimators that work unit by unit.

    Attributes
    ----------
    mask : ndarray of bool
        Per panel row: every numeric column finite.
    weights : ndarray
        Per panel row: the checked weights (ones when unweighted).
    cluster : ndarray or None
        Per panel row: integer cluster codes (as float), None when not clustered.
    notes : tuple of str
        Drops that happened, for ``Result.notes``.
    """

    mask: np.ndarray
    weights: np.ndarray
    cluster: np.ndarray | None
    notes: tuple[str, ...] = ()


def usable_sample(panel: Panel, outcome: str, covariates: Sequence[str] = (), *,
                  weights: str | None = None, cluster: str | None = None,
                  unit_constant: bool = True) -> Sample:
    """Usable rows, weights and clusters of an estimator built on unit-level comparisons.

    Rows with a missing outcome, covariate or weight are dropped (warned with counts and
    examples, and noted). Weights must be positive and finite on every row; a cluster
    variable must be present on every usable row (missing values are an error, not a
    drop: a unit cannot be put in no cluster). With ``unit_constant`` weights and clusters
    must be constant within each unit (Callaway–Sant'Anna's unit-level weights).

    Parameters
    ----------
    panel : Panel
    outcome : str
    covariates : sequence of str
    weights : str, optional
        Column of positive weights.
    cluster : str, optional
        Cluster column, or a panel role (``"unit"``, ``"time"``).
    unit_constant : bool
        Require weights and clusters constant within units.

    Returns
    -------
    Sample

    Raises
    ------
    SpecificationError
        Bad weights, missing cluster values, weights or clusters varying within units.
    EstimationError
        No usable row.
    """
    numeric = (outcome,) + tuple(covariates) + ((weights,) if weights else ())
    # positive and finite on every row (one rule for every estimator), before any row drop
    w_row = check_weights(panel, weights) if weights else np.ones(panel.n_obs)
    mask, notes = usable_rows(panel, numeric)
    if weights and unit_constant:
        require_unit_constant(panel, w_row, mask, "weights", weights)
    codes = None
    if cluster:
        if cluster in ("unit", panel.unit, "time", panel.time):
            raw_codes = resolve_codes(panel, cluster, what="Cluster")
            miss = np.zeros(panel.n_obs, dtype=bool)
        else:
            raw = panel.data[cluster]
            miss = raw.isna().to_numpy() & mask
            raw_codes = None
        if miss.any():
            raise SpecificationError(
                f"cluster {cluster!r} is missing in {int(miss.sum())} row(s), e.g. units "
                f"{examples(panel.units[np.unique(panel.unit_id[miss])])}. Fill it or drop "
                "those rows.")
        if raw_codes is None:
            raw_codes = pd.factorize(raw, sort=True)[0]
        codes = raw_codes.astype(float)
        if unit_constant:
            require_unit_constant(panel, codes, mask, "cluster", cluster)
    if not mask.any():
        raise EstimationError(f"No row has finite values of {list(numeric)}.")
    return Sample(mask=mask, weights=w_row, cluster=codes, notes=tuple(notes))


def require_unit_constant(panel: Panel, values: np.ndarray, mask: np.ndarray, what: str,
                          col: str,
                          fix: str = "it must be constant within each unit (use the "
                                     "base-year value).") -> None:
    """Refuse ``values`` (one per panel row, ``mask`` the rows to check) that change within a
    unit, naming ``what`` / ``col``, the number of units and examples, then ``fix``."""
    uid = panel.unit_id[mask]
    v = values[mask]
    lo = np.full(panel.n_units, np.inf)
    hi = np.full(panel.n_units, -np.inf)
    np.minimum.at(lo, uid, v)
    np.maximum.at(hi, uid, v)
    bad = np.flatnonzero(np.isfinite(lo) & (hi > lo))
    if bad.size:
        raise SpecificationError(
            f"{what} {col!r} varies within {bad.size} unit(s), e.g. "
            f"{examples(panel.units[bad])}; {fix}")
