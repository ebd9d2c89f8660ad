"""First stage shared by the imputation estimators (:func:`imputation`, :func:`did2s`).

Both estimators fit unit and period effects (plus any further absorbed effects and
controls) on the untreated observations only, impute ``Y(0)`` for the treated ones and
then need, for their variances, the linear map behind the imputation: for target vectors
``Q`` over the used rows, the fitted values ``Z₀ (Z₀'ΩZ₀)⁻ Z'Q`` on the untreated rows
(``Z``: fixed-effect dummies and controls, ``Ω``: observation weights). With
``Q = ω·w`` (treated-observation weights) this gives Borusyak, Jaravel & Spiess's
imputation weights ``v_it = −ω_it·f_it`` of the untreated observations; with
``Q = ω·X₂`` (second-stage regressors) it gives Gardner's first-stage correction
``X₂'ΩZ (Z₀'ΩZ₀)⁻``.

The fit uses the design layer (:func:`~did_zones.design.build_design` for the sample
and its drops, :func:`~did_zones.design.fit_absorbed` for the controls, their
collinearity and their within transformation). The map above is a solve with a
right-hand side that is not of the form ``Z₀'y``, so alternating projections do not give
it; the absorber's exact two-block solve (:class:`~did_zones.design.Absorber`,
``strategy="exact"``) does: the largest fixed-effect dimension is eliminated (its block of
``Z₀'ΩZ₀`` is diagonal), the Schur complement on the remaining levels is pseudo-inverted
once (dense, eigen-decomposition) or solved by conjugate gradients when it is large, and
controls are added by partitioned regression. The same solve gives the fixed-effect
values used to impute ``Y(0)`` (exact, where alternating projections converge
geometrically). Stata's ``did_imputation`` reaches the same weights by
iterating to a tolerance; the direct solve is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..design import Absorber, FESpec, build_design, fit_absorbed, resolve_codes
from ..errors import DataDroppedWarning, EstimationError, SpecificationError, warn
from ..inference import indicator
from ..panel import Panel
from ..validation import COUNT, as_tuple, examples
from ._small_cells import pool_adjacent

__all__ = ["FirstStage", "ImputationMap", "ResidualSums", "LinearTerm", "first_stage",
           "linear_term", "term_rows", "cluster_labels", "check_count", "small_cohort_rows",
           "unit_sets", "units_per_column", "pool_groups"]

_CONSISTENCY_TOL = 1e-7  # relative residual of the normal equations that means "not identified"


# ------------------------------------------------------------------------ checks


def check_count(name: str, value: object) -> int:
    """A non-negative integer option (``anticipation``, ``pretrends``)."""
    return COUNT(name, value)


def check_single_cluster(cluster: object) -> str | None:
    """The imputation variances take one cluster variable (or None: each observation)."""
    specs = as_tuple(cluster) if cluster is not None else ()
    if len(specs) > 1 or (cluster is not None and not all(isinstance(s, str) for s in specs)):
        raise SpecificationError(
            f"cluster takes one column name (or a role such as 'unit'), or None for "
            f"observation-level clusters; got {cluster!r}. Two-way clustering is not "
            "available for the imputation variance."
        )
    return specs[0] if specs else None


def cluster_labels(panel: Panel, cluster: str | None) -> tuple[np.ndarray, pd.Index]:
    """Integer cluster codes per panel row and their labels (rows are clusters if None)."""
    if cluster is None:
        return np.arange(panel.n_obs), pd.RangeIndex(panel.n_obs, name="row")
    codes = resolve_codes(panel, cluster, what="Cluster")
    if cluster in ("unit", panel.unit):
        labels = pd.Index(panel.units, name=panel.unit)
    elif cluster in ("time", panel.time):
        labels = pd.Index(panel.periods, name=panel.time)
    elif cluster == "cohort" and "cohort" not in panel.data.columns:
        labels = pd.Index(np.unique(panel.row_cohort), name="cohort")
    else:
        labels = pd.Index(pd.factorize(panel.data[cluster], sort=True)[1], name=cluster)
    return codes, labels


def _sums(codes: np.ndarray, values, n_groups: int) -> np.ndarray:
    """Column-wise group sums (``n × m`` dense or sparse → dense ``n_groups × m``)."""
    out = indicator(codes, n_groups).T @ values
    return out.toarray() if sparse.issparse(out) else np.asarray(out)


# ------------------------------------------------------------- small cohorts (both)


def small_cohort_rows(fs: FirstStage, unit: np.ndarray, k: int):
    """The cohorts with fewer than ``k`` distinct units among the treated rows used, the
    number of those units and the mask of their rows (treated or not) over the used rows."""
    t = ~fs.untreated
    g_codes, g_vals = pd.factorize(fs.cohort[t], sort=True)
    pairs = np.unique(g_codes.astype(np.int64) * (int(unit.max()) + 1) + unit[t])
    size = np.bincount(pairs // (int(unit.max()) + 1), minlength=g_vals.size)
    small = np.asarray(g_vals)[size < k]
    return small, int(size[size < k].sum()), np.isin(fs.cohort, small)


def unit_sets(code: np.ndarray, unit: np.ndarray, m: int) -> list[set]:
    """The distinct units of the rows with ``code == j``, for ``j = 0..m-1`` (−1: none)."""
    on = code >= 0
    by = pd.Series(unit[on]).groupby(code[on]).unique()
    return [set(by[j].tolist()) if j in by.index else set() for j in range(m)]


def units_per_column(Q, unit: np.ndarray) -> np.ndarray:
    """Distinct units with a nonzero weight in each column of the ``n × m`` matrix ``Q``."""
    C = sparse.coo_matrix(Q)
    nz = C.data != 0
    cols, units = C.col[nz].astype(np.int64), unit[C.row[nz]].astype(np.int64)
    if cols.size == 0:
        return np.zeros(C.shape[1], dtype=int)
    pairs = np.unique(cols * (int(units.max()) + 1) + units)
    return np.bincount(pairs // (int(units.max()) + 1), minlength=C.shape[1])


def pool_groups(labels: Sequence[float], sets: Sequence[set], k: int) -> np.ndarray:
    """Group ids pooling adjacent event times ``labels`` (pre ``e < 0`` and post ``e >= 0``
    kept apart) until each group holds ``k`` distinct units of ``sets``."""
    everyone = set().union(*sets) if sets else set()
    return pool_adjacent(list(labels), [list(s) for s in sets], dict.fromkeys(everyone, 1), k,
                         blocks=[float(v) < 0 for v in labels])


def term_groups(policy: str, labels: Sequence[float], sets: Sequence[set],
                k: int) -> np.ndarray:
    """Group id of each event-time term under the small-cell ``policy``: each term alone
    (``"flag"``); the terms resting on at least ``k`` units of ``sets`` renumbered, the
    others −1 (``"exclude"``); adjacent terms pooled (``"pool"``, :func:`pool_groups`)."""
    if policy == "pool":
        return pool_groups(labels, sets, k)
    if policy == "exclude":
        ok = np.array([len(u) >= k for u in sets], dtype=bool)
        return np.where(ok, np.cumsum(ok) - 1, -1)
    return np.arange(len(labels))


# ---------------------------------------------------------------------- first stage


@dataclass(frozen=True, eq=False)
class FirstStage:
    """Untreated-only fit and imputed ``Y(0)`` on the used rows.

    Attributes
    ----------
    rows : ndarray of int
        Panel positions of the used rows: every untreated row and the treated rows whose
        ``Y(0)`` is identified.
    untreated : ndarray of bool
        Per used row: part of the first-stage sample (``t < cohort − anticipation``).
    y, y0_hat, resid : ndarray
        Outcome, imputed ``Y(0)`` and ``y − y0_hat`` (first-stage residual on untreated
        rows, the unit-level effect ``τ̂_it`` on treated rows).
    weights : ndarray
        Observation weights (ones when unweighted).
    event_time, cohort, period : ndarray
        Per used row (event time NaN for never-treated units).
    cluster : ndarray of int
        Cluster code per used row (global codes, see :func:`cluster_labels`).
    controls : tuple of str
        Controls kept in the first stage; ``coef`` their coefficients.
    notes : tuple of str
    n_unidentified : int
        Treated rows dropped because their ``Y(0)`` is not identified.
    """

    rows: np.ndarray
    untreated: np.ndarray
    y: np.ndarray
    y0_hat: np.ndarray
    resid: np.ndarray
    weights: np.ndarray
    weighted: bool
    event_time: np.ndarray
    cohort: np.ndarray
    period: np.ndarray
    cluster: np.ndarray
    controls: tuple[str, ...]
    coef: np.ndarray
    notes: tuple[str, ...]
    n_unidentified: int
    fe_names: tuple[str, ...]
    _codes: tuple[np.ndarray, ...]   # per dimension, untreated-level codes of every used row
    _X: np.ndarray                   # kept controls on the used rows
    _X_within0: np.ndarray           # kept controls net of the FE, untreated rows
    _bread: np.ndarray               # (X̃₀'ΩX̃₀)⁻¹
    _solver: Absorber                # exact two-block solve on the untreated rows

    @property
    def n_obs(self) -> int:
        return int(self.rows.size)

    def residual_sums(self, A) -> ResidualSums:
        """The map ``Y ↦ A (Y − Ŷ(0))`` for a fixed sparse aggregation ``A`` (``r × n``
        over the used rows), ``Ŷ(0)`` the first-stage fit of every column of ``Y`` (unit,
        period and further effects and controls fitted on the untreated rows by weighted
        least squares). See :class:`ResidualSums`."""
        A = sparse.csr_matrix(A)
        u = np.flatnonzero(self.untreated)
        w0 = self.weights[u]
        solver = self._solver
        AD = [(A @ indicator(c, g)).tocsr() for c, g in zip(self._codes, solver.sizes,
                                                              strict=True)]
        DW0 = [indicator(c[u], g).T.multiply(w0[None, :]).tocsr()
               for c, g in zip(self._codes, solver.sizes, strict=True)]
        AX = DX0 = WX0 = None
        if self.controls:
            AX = np.asarray(A @ self._X)
            DX0 = [np.asarray(D @ self._X[u]) for D in DW0]
            WX0 = (self._X_within0 * w0[:, None]).T  # p × n₀
        return ResidualSums(self, A, u, AD, DW0, AX, DX0, WX0)

    def imputation_map(self, Q) -> ImputationMap:
        """The map ``Q ↦ Z₀ (Z₀'ΩZ₀)⁻ Z'Q``, kept in parameter space.

        ``Q`` is ``n × m`` (dense or scipy sparse) over the used rows. The fitted values
        on the untreated rows are ``D₀γ + X̃₀γ_X``; they are never formed as an
        ``n₀ × m`` array unless :meth:`ImputationMap.fitted` is called. Raises
        :class:`EstimationError` when ``Z'Q`` is not in the row space of ``Z₀`` (a target
        not identified by the untreated observations).
        """
        if not sparse.issparse(Q):
            Q = np.asarray(Q, dtype=float).reshape(self.n_obs, -1)
        solver = self._solver
        u = self.untreated
        c = [_sums(codes, Q, g) for codes, g in zip(self._codes, solver.sizes, strict=True)]
        gam = solver.solve(c)
        gx = None
        if self.controls:
            XtQ = Q.T @ self._X
            XtQ = (XtQ.toarray() if sparse.issparse(XtQ) else np.asarray(XtQ)).T
            wX0 = self._X[u] * self.weights[u][:, None]
            fe_part = sum(_sums(codes[u], wX0, g).T @ gk
                          for codes, g, gk in zip(self._codes, solver.sizes, gam, strict=True))
            gx = self._bread @ (XtQ - fe_part)
        # identification: the normal equations must hold (they fail only if some target
        # loads on a fixed-effect combination that the untreated rows do not pin down);
        # the controls' part is orthogonal to the dummies by construction
        err = solver.solve_residual(c, gam)
        if err > _CONSISTENCY_TOL:
            raise EstimationError(
                "Y(0) of some treated observations is not identified by the untreated "
                f"observations under the fixed effects {list(self.fe_names)} (relative "
                f"imputation residual {err:.2g}). Use coarser fixed effects, or "
                "drop the treated cells without untreated comparisons."
            )
        return ImputationMap(self, gam, gx)


@dataclass(frozen=True, eq=False)
class ResidualSums:
    """``Y ↦ A (Y − Ŷ(0))`` in parameter space (from :meth:`FirstStage.residual_sums`).

    ``Y`` (``n × m``, dense or scipy sparse) enters only through ``AY``, the weighted
    level sums ``D_k'ΩY₀`` of its untreated rows and (with controls) ``X̃₀'ΩY₀``: the
    first stage's effects ``γ(Y)`` are solved for (levels × m, the absorber's exact
    solve) and subtracted as ``Σ_k (A D_k) γ_k + (A X) β_X``, so the ``n × m`` fit is
    never formed (with ``Y`` the sparse columns ``û ∘ 1_g`` of the wild bootstrap this
    costs ``O(nnz + levels·m)`` per block of columns).
    """

    stage: FirstStage
    A: sparse.csr_matrix
    rows0: np.ndarray                 # positions of the untreated rows
    AD: list                          # A D_k (sparse r × levels_k)
    DW0: list                         # D_k'Ω on the untreated rows (sparse levels_k × n₀)
    AX: np.ndarray | None             # A X (r × p)
    DX0: list | None                  # D_k'ΩX₀ (levels_k × p)
    WX0: np.ndarray | None            # X̃₀'Ω (p × n₀)

    def __call__(self, Y) -> np.ndarray:
        fs = self.stage
        sp = sparse.issparse(Y)
        Y = sparse.csr_matrix(Y) if sp else np.asarray(Y, dtype=float)
        Y0 = Y[self.rows0]

        def dense(M):
            return M.toarray() if sparse.issparse(M) else np.asarray(M)

        out = dense(self.A @ Y)
        rhs = [dense(D @ Y0) for D in self.DW0]
        if self.WX0 is not None:  # FWL: X̃₀ is Ω-orthogonal to the dummies
            coef = fs._bread @ dense(self.WX0 @ Y0)
            out -= self.AX @ coef
            rhs = [r - DX @ coef for r, DX in zip(rhs, self.DX0, strict=True)]
        for AD, gam in zip(self.AD, fs._solver.solve(rhs), strict=True):
            out -= AD @ gam
        return out


@dataclass(frozen=True, eq=False)
class ImputationMap:
    """``f = Z₀(Z₀'ΩZ₀)⁻Z'Q`` on the untreated rows, as fixed-effect and control
    coefficients (``gamma`` per dimension, ``gamma_x``)."""

    stage: FirstStage
    gamma: list[np.ndarray]
    gamma_x: np.ndarray | None

    def fitted(self) -> np.ndarray:
        """``f`` itself (``n₀ × m``)."""
        fs = self.stage
        f = fs._solver.fitted(self.gamma)
        if self.gamma_x is not None:
            f = f + fs._X_within0 @ self.gamma_x
        return f

    def cluster_sums(self, values: np.ndarray, clusters: np.ndarray,
                     n_clusters: int) -> np.ndarray:
        """``Σ_{j ∈ c, untreated} values_j f_j`` per cluster (``n_clusters × m``).

        ``values`` and ``clusters`` are given on the untreated rows. Computed as
        ``Σ_k M_k γ_k + N γ_X`` with ``M_k`` the sparse cluster × level sums of
        ``values`` and ``N`` the cluster sums of ``values · X̃₀``: no ``n₀ × m`` array.
        """
        fs = self.stage
        solver = fs._solver
        out = 0.0
        for codes, g, gk in zip(solver.codes, solver.sizes, self.gamma, strict=True):
            M = sparse.csr_matrix((values, (clusters, codes)), shape=(n_clusters, g))
            out = out + M @ gk
        if self.gamma_x is not None:
            out = out + _sums(clusters, fs._X_within0 * values[:, None], n_clusters) @ self.gamma_x
        return np.asarray(out)


def first_stage(
    panel: Panel,
    outcome: str,
    *,
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | None = "unit",
    weights: str | None = None,
    anticipation: int = 0,
    cluster_codes: np.ndarray | None = None,
) -> FirstStage:
    """Fit the untreated-only model and impute ``Y(0)`` for the treated rows.

    Rows with missing outcome, controls, weights, fixed-effect or cluster values are
    dropped by :func:`~did_zones.design.build_design` (warned and noted); singletons are kept
    (Stata ``did_imputation`` runs ``reghdfe, keepsing``: a unit treated in its second
    period has one untreated row, which pins its unit effect). Treated rows whose unit,
    period or other fixed effect has no untreated row, or whose effects lie in different
    connected components of the untreated design, are dropped with a
    :class:`DataDroppedWarning` (Stata's ``autosample``).
    """
    controls = as_tuple(controls)
    design = build_design(panel, outcome, {}, controls=controls, fixed_effects=fixed_effects,
                          cluster=cluster, weights=weights, drop_singletons=False)
    notes = list(design.notes)
    rows = design.rows
    g = panel.row_cohort[rows]
    t = panel.time_values[rows].astype(float)
    with np.errstate(invalid="ignore"):
        treated = t >= g - anticipation
    untreated = ~treated
    if not untreated.any():
        raise EstimationError(
            "There are no untreated observations (t < cohort − anticipation) to fit the "
            "unit and period effects on. Check the cohorts, the anticipation and the sample."
        )
    if not treated.any():
        raise EstimationError(
            "There are no treated observations (t >= cohort − anticipation) in the rows "
            "used; nothing to estimate. Check the cohorts and the sample."
        )

    # -- untreated levels per fixed-effect dimension, and identification of treated rows
    sub_codes, present = [], []
    for c in design.fe_codes:
        has = np.bincount(c[untreated], minlength=int(c.max()) + 1) > 0
        mapping = np.where(has, np.cumsum(has) - 1, -1)
        sub_codes.append(mapping[c])
        present.append(has[c])
    ok = np.logical_and.reduce(present) if present else np.ones(rows.size, dtype=bool)
    reason_levels = treated & ~ok
    comp_bad = np.zeros(rows.size, dtype=bool)
    if len(sub_codes) > 1:
        comp = _components([c[untreated] for c in sub_codes])
        cand = treated & ok
        labels = [comp[k][np.maximum(c, 0)] for k, c in enumerate(sub_codes)]
        same = np.logical_and.reduce([lab == labels[0] for lab in labels[1:]])
        comp_bad = cand & ~same
    drop = reason_levels | comp_bad
    n_drop = int(drop.sum())
    if n_drop:
        units = panel.units[np.unique(panel.unit_id[rows[drop]])]
        why = []
        if reason_levels.any():
            why.append(f"{int(reason_levels.sum())} whose unit, period or other fixed effect "
                       "has no untreated observation")
        if comp_bad.any():
            why.append(f"{int(comp_bad.sum())} whose fixed effects are not connected through "
                       "untreated observations")
        msg = (f"{n_drop} treated observation(s) dropped because Y(0) cannot be imputed for "
               f"them ({'; '.join(why)}; {len(units)} unit(s), e.g. {examples(units)}). "
               "Typical causes: periods after the last cohort is treated when there are no "
               "never-treated units, or units treated from (first period + anticipation).")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
        keep = ~drop
        rows, treated, untreated = rows[keep], treated[keep], untreated[keep]
        sub_codes = [c[keep] for c in sub_codes]
        design = _subset(design, keep)
        if not treated.any():
            raise EstimationError(
                "No treated observation has an identified Y(0) (see the warning above); "
                "nothing to estimate."
            )

    w = np.ones(rows.size) if design.weights is None else design.weights
    y = design.y
    X = design.X
    # -- first-stage fit on untreated rows: controls via the shared absorbed-FE fit
    fe_u = tuple(c[untreated] for c in sub_codes)
    kept: tuple[str, ...] = ()
    coef = np.zeros(0)
    Xw0 = np.zeros((int(untreated.sum()), 0))
    bread = np.zeros((0, 0))
    if controls:
        sub = replace(_subset(design, untreated), fe_codes=fe_u)
        fit = fit_absorbed(sub)
        kept, coef, Xw0, bread = fit.names, fit.coef, fit.X_within, fit.bread
        if fit.dropped:
            notes.append(f"Control(s) {list(fit.dropped)} dropped: collinear with the fixed "
                         "effects or the other controls among untreated observations.")
            _check_dropped_controls(design, fit.dropped, kept)
        X = X[:, [controls.index(n) for n in kept]]
    # fixed-effect values: the normal equations D₀'ΩD₀γ = D₀'Ω(y − Xβ) solved directly
    # (exact; alternating projections would need many sweeps to reach the same digits)
    solver = Absorber(fe_u, weights=w[untreated], strategy="exact")
    effects = solver.solve(solver.group_sums(y[untreated] - X[untreated] @ coef))
    y0 = X @ coef
    for eff, c in zip(effects, sub_codes, strict=True):
        y0 = y0 + eff[c, 0]
    if cluster_codes is None:
        cluster_codes = cluster_labels(panel, cluster)[0]
    e = panel.event_time[rows]
    return FirstStage(
        rows=rows, untreated=untreated, y=y, y0_hat=y0, resid=y - y0, weights=w,
        weighted=design.weights is not None, event_time=e, cohort=panel.row_cohort[rows],
        period=panel.time_values[rows], cluster=np.asarray(cluster_codes)[rows],
        controls=kept, coef=coef, notes=tuple(notes), n_unidentified=n_drop,
        fe_names=design.fe_names, _codes=tuple(sub_codes), _X=X, _X_within0=Xw0,
        _bread=bread, _solver=solver,
    )


def _subset(design, keep: np.ndarray):
    """The design restricted to ``keep`` (codes renumbered densely)."""
    def dense(c):
        return np.unique(c[keep], return_inverse=True)[1].astype(np.int64)

    return replace(
        design, rows=design.rows[keep], y=design.y[keep], X=design.X[keep],
        fe_codes=tuple(dense(c) for c in design.fe_codes),
        clusters=tuple(dense(c) for c in design.clusters),
        weights=None if design.weights is None else design.weights[keep],
    )


def _components(codes: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Connected component of every level, per dimension, in the untreated design graph."""
    sizes = [int(c.max()) + 1 for c in codes]
    offsets = np.cumsum([0] + sizes)
    first = codes[0]
    src = np.concatenate([first] * (len(codes) - 1))
    dst = np.concatenate([c + offsets[k] for k, c in enumerate(codes) if k > 0])
    n = int(offsets[-1])
    graph = sparse.coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n))
    _, lab = connected_components(graph, directed=False)
    return [lab[offsets[k]:offsets[k + 1]] for k in range(len(codes))]


def _check_dropped_controls(design, dropped, kept) -> None:
    """Stata's check: a control collinear among untreated rows must stay so in all rows."""
    idx = [design.names.index(n) for n in dropped]
    keep_idx = [design.names.index(n) for n in kept]
    w = design.weights
    fe = Absorber(design.fe_codes, weights=w)
    both = fe.residualize(design.X[:, idx + keep_idx])
    r, K = both[:, :len(idx)], both[:, len(idx):]
    ww = np.ones(design.n_obs) if w is None else w
    if K.shape[1]:
        coef = np.linalg.lstsq(K * np.sqrt(ww)[:, None], r * np.sqrt(ww)[:, None],
                               rcond=None)[0]
        r = r - K @ coef
    raw = np.sqrt((design.X[:, idx] ** 2 * ww[:, None]).sum(0))
    left = np.sqrt((r**2 * ww[:, None]).sum(0))
    bad = [n for n, a, b in zip(dropped, left, raw, strict=True) if a > 1e-8 * max(b, 1e-300)]
    if bad:
        raise EstimationError(
            f"Control(s) {bad} are collinear with the fixed effects among the untreated "
            "observations but not among all observations, so their contribution to Y(0) of "
            "the treated observations cannot be imputed. Drop them or change the fixed "
            "effects (Stata did_imputation stops with the same error)."
        )


# ------------------------------------------------------------ terms as linear maps


@dataclass(frozen=True, eq=False)
class LinearTerm:
    """One term of :func:`~did_zones.imputation` or :func:`~did_zones.did2s` written as
    linear maps of the outcome (for the wild cluster bootstrap).

    The term is ``β = ℓ'y``: a weighted mean (weights ``q ∝ ω`` on its treated rows
    ``T``) of ``r = y − Ŷ(0)``, ``Ŷ(0)`` the first-stage fit. Its variance is
    ``Σ_c s_c(y)²`` with cluster scores linear in ``y``:
    ``s_c = Σ_{i∈c∩T} q_i ε̃_i − Σ_{j∈c, untreated} ω_j f_j r_j``, ``f`` the
    imputation map of ``q``; ``ε̃ = r − β`` for did2s (Gardner's stage-2 residual) and
    ``ε̃ = r − τ̃_cell`` for imputation (BJS; ``τ̃`` Stata's cohort × period average,
    ``Σ_c a_c b_c / Σ_c a_c²`` with ``b_c`` the ω-weighted sum of ``r`` over the cell's
    rows in cluster ``c``: linear in ``r``). :meth:`apply` evaluates ``β`` and the
    scores for many outcome columns at once from the aggregates ``A r`` (one sparse
    aggregation ``A``: ``q'``, the cluster sums of ``q r`` and ``ω f r``, the (cluster,
    cell) sums of ``ω r``).

    Attributes
    ----------
    term, kind : str
        The term and ``"did2s"`` or ``"imputation"``.
    y : ndarray
        The outcome on the used rows.
    fitted : ndarray
        The model's fit: ``Ŷ(0)`` on untreated rows, ``Ŷ(0)`` plus the treatment effect of
        the model (did2s: ``β``; imputation: the ω-weighted mean of ``r`` in the cohort ×
        period cell) on the rows of ``T``, ``y`` on other treated rows (they enter
        neither ``β`` nor its scores). ``ℓ'fitted = β`` and the scores of ``fitted``
        vanish.
    x : ndarray
        Indicator of ``T`` (``ℓ'x = 1``).
    cluster : ndarray of int
        Cluster code ``0..G−1`` per used row; ``n_clusters`` is ``G``.
    """

    term: str
    kind: str
    y: np.ndarray
    fitted: np.ndarray
    x: np.ndarray
    cluster: np.ndarray
    n_clusters: int
    n_levels: int            # first-stage fixed-effect levels (sizes the column blocks)
    _sums: ResidualSums      # Y ↦ A (Y − Ŷ(0)), rows of A: q', q by cluster, −ωf by
    #                          cluster, ω by (cluster, cell) (imputation)
    _qsum: np.ndarray        # Σ q per cluster (G,)
    _tilde: tuple | None     # imputation: (cells × pairs) τ̃ weights, (G × cells) Σ q

    def apply(self, Y) -> tuple[np.ndarray, np.ndarray]:
        """``(ℓ'Y, scores)`` for the columns of ``Y`` (``n × m``, dense or sparse):
        estimates ``(m,)`` and cluster scores ``(G, m)`` whose squares sum to the
        estimator's variance."""
        G = self.n_clusters
        AR = self._sums(Y)
        beta = AR[0]
        scores = AR[1:1 + G] + AR[1 + G:1 + 2 * G]
        if self._tilde is None:  # did2s: Σ q (r − β)
            scores -= self._qsum[:, None] * beta[None, :]
        else:                    # imputation: Σ q (r − τ̃_cell)
            weights, qcell = self._tilde
            scores -= qcell @ (weights @ AR[1 + 2 * G:])
        return beta, scores


def linear_term(fs: FirstStage, term: str, rows: np.ndarray, kind: str) -> LinearTerm:
    """The :class:`LinearTerm` of the weighted mean of ``τ̂`` over the treated rows
    ``rows`` (boolean over the used rows): ``kind`` ``"did2s"`` or ``"imputation"``."""
    w, u = fs.weights, fs.untreated
    n = fs.n_obs
    q = np.where(rows, w, 0.0)
    q = q / q.sum()
    f = fs.imputation_map(sparse.csr_matrix(q[:, None])).fitted()[:, 0]
    _, cl = np.unique(fs.cluster, return_inverse=True)
    G = int(cl.max()) + 1
    tau = fs.resid
    on = np.flatnonzero(rows)
    u_rows = np.flatnonzero(u)
    blocks = [sparse.csr_matrix(q[None, :]),
              sparse.csr_matrix((q[on], (cl[on], on)), shape=(G, n)),
              sparse.csr_matrix((-w[u] * f, (cl[u], u_rows)), shape=(G, n))]
    fitted = np.where(u, fs.y0_hat, fs.y)
    tilde = None
    if kind == "did2s":
        fitted = np.where(rows, fs.y0_hat + q @ tau, fitted)
    else:
        t = np.flatnonzero(~u)
        cell = np.unique(np.stack([fs.cohort[t], fs.period[t]]), axis=1,
                         return_inverse=True)[1].ravel()
        pair = np.unique(np.stack([cl[t], cell]), axis=1, return_inverse=True)[1].ravel()
        n_cell, n_pair = int(cell.max()) + 1, int(pair.max()) + 1
        cell_of = np.empty(n_pair, dtype=np.intp)
        cell_of[pair] = cell
        a = np.bincount(pair, weights=w[t], minlength=n_pair)
        den = np.bincount(cell_of, weights=a * a, minlength=n_cell)
        blocks.append(sparse.csr_matrix((w[t], (pair, t)), shape=(n_pair, n)))
        tilde = (sparse.csr_matrix((a / den[cell_of], (cell_of, np.arange(n_pair))),
                                   shape=(n_cell, n_pair)),
                 sparse.csr_matrix((q[t], (cl[t], cell)), shape=(G, n_cell)))
        mean = (np.bincount(cell, weights=w[t] * tau[t], minlength=n_cell)
                / np.bincount(cell, weights=w[t], minlength=n_cell))
        fitted = fitted.copy()
        fitted[t] = np.where(rows[t], fs.y0_hat[t] + mean[cell], fs.y[t])
    return LinearTerm(term=term, kind=kind, y=fs.y, fitted=fitted, x=rows.astype(float),
                      cluster=cl, n_clusters=G, n_levels=int(sum(fs._solver.sizes)),
                      _sums=fs.residual_sums(sparse.vstack(blocks)),
                      _qsum=np.bincount(cl, weights=q, minlength=G), _tilde=tilde)


def term_rows(fs: FirstStage, result, unit: np.ndarray, term: str) -> np.ndarray:
    """The treated rows (over the used rows of ``fs``) that the term ``term`` of an
    imputation or did2s ``result`` averages: its event times (a pooled term's range,
    keys ``event_time`` to ``event_time_high``, within the horizons of the spec), less
    the small cohorts' rows under ``small_cells="exclude"``; every treated row for
    ``"overall"``."""
    spec = result.spec
    rows = ~fs.untreated
    if spec.get("small_cells") == "exclude":
        rows &= ~small_cohort_rows(fs, unit, spec["min_cohort_size"])[2]
    if term != "overall":
        keys = result.keys
        lo = keys["event_time"][term]
        hi = keys["event_time_high"][term] if "event_time_high" in keys else lo
        e = fs.event_time
        rows &= (e >= lo) & (e <= hi)
        horizons = spec.get("horizons")
        if horizons is not None and not isinstance(horizons, str):  # a gapped set
            rows &= np.isin(e, np.asarray(horizons, dtype=float))
    return rows
