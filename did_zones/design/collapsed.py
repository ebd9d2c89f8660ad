"""Least squares on cohort × period regressors without the n × k matrix (the collapsed path).

The event study and Sun–Abraham regress the outcome on indicators of cells that depend only
on a row's cohort and period (event time ``t − g``, or the cohort × relative-period cell),
with unit and period effects absorbed. On a balanced panel a unit's mean of such a
regressor depends only on its cohort, so after the within transformation the regressor rows
take at most C × T distinct values (C cohorts, never-treated included). Everything the
dense path (:func:`.build_design` + :func:`.fit_absorbed`) computes follows from C × T × k
arrays, per-(cohort, period) outcome sums and the n residuals:

``X̃'X̃ = Σ_c n_c X̃_cᵀ X̃_c``, ``X̃'ỹ = Σ_{c,t} x̃_ct Σ_{i∈c} ỹ_it``, the unit-cluster scores
``s_i = X̃_cᵀ e_i`` (one T-vector of residuals per unit), the HC1 meat
``Σ_{c,t} x̃_ct x̃_ctᵀ Σ_{i∈c} e_it²`` and the rounding floor likewise. Memory is O(n + N k)
instead of several n × k float arrays (Sun–Abraham at 1,000,000 × 10 needed ~10 GB).

When it applies (:func:`collapsed_design` returns None otherwise and the caller takes the
dense path): a balanced panel whose every row enters the regression (no row trimmed by a
window, none missing the outcome), fixed effects exactly unit and period, no controls, no
weights, errors clustered by unit or HC1, at least two units and two periods (so there
are no singletons), and a regressor code that is indeed a function of (cohort, period)
(checked). The numbers equal the dense path's up to rounding (tests: 1e-10), including
the collinear-regressor rule and reghdfe's small-sample factor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..inference import NOISE_TOL, outcome_scale, small_sample_factor
from ..panel import Panel
from ..validation import as_tuple
from .ols import _COLLINEAR_TOL  # the same collinearity rule as fit_absorbed

__all__ = ["CollapsedDesign", "CollapsedFit", "collapsed_design"]



@dataclass(frozen=True, eq=False)
class CollapsedDesign:
    """The parts of a ``Design`` the estimators read, plus the cohort × period arrays.

    ``rows`` (all panel rows), ``y``, ``weights`` (None), ``clusters`` / ``cluster_names``,
    ``fe_names``, ``notes``, ``n_singletons`` as in ``Design``; ``X`` is never built.
    """

    rows: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]
    clusters: tuple[np.ndarray, ...]
    cluster_names: tuple[str, ...]
    unit_cohort: np.ndarray      # per unit: cohort code 0..C−1
    cell: np.ndarray             # C × T regressor code (−1: no indicator)
    n_units: int
    n_periods: int
    fe_names: tuple[str, ...] = ("unit", "time")
    weights: None = None
    notes: tuple[str, ...] = ()
    n_singletons: int = 0

    @property
    def n_obs(self) -> int:
        return int(self.y.size)

    @property
    def cluster_counts(self) -> tuple[int, ...]:
        return (self.n_units,) if self.clusters else ()

    @property
    def n_clusters(self) -> int | None:
        return self.n_units if self.clusters else None

    def fit(self) -> CollapsedFit:
        """The least-squares fit, as :func:`fit_absorbed` (no warnings: callers name the
        dropped terms themselves)."""
        return _fit(self)


@dataclass(frozen=True, eq=False)
class CollapsedFit:
    """The parts of an ``AbsorbedFit`` the estimators read: ``coef``, ``names``,
    ``dropped``, ``stats``, ``fe_dof``, ``n_params``, ``vcov()``, ``variance_floor()``."""

    design: CollapsedDesign
    coef: np.ndarray
    names: tuple[str, ...]
    dropped: tuple[str, ...]
    Z: np.ndarray                # C × T × k: within regressors times the bread
    resid: np.ndarray            # N × T residuals
    bread: np.ndarray
    fe_dof: int
    stats: dict = field(default_factory=dict)

    @property
    def n_params(self) -> int:
        return len(self.names) + self.fe_dof

    def _factor(self, small_sample: bool) -> tuple[float, int | None, int]:
        n, K = self.design.n_obs, self.n_params
        if self.design.clusters:
            G = self.design.n_units
            return (small_sample_factor(n, K, G) if small_sample else 1.0), G, G - 1
        return (small_sample_factor(n, K) if small_sample else 1.0), None, n - K

    def vcov(self, small_sample: bool = True) -> tuple[np.ndarray, int | None, int]:
        """CRV1 by unit or HC1, as ``AbsorbedFit.vcov`` (reghdfe's factor)."""
        c, g, df = self._factor(small_sample)
        d = self.design
        k = self.coef.size
        V = np.zeros((k, k))
        if d.clusters:
            # unit score sums s_i B = Z_cᵀ e_i, so Σ_{i∈c} (s_i B)(s_i B)ᵀ = Z_cᵀ R_c Z_c with
            # R_c = Σ_{i∈c} e_i e_iᵀ (T × T: T² products a unit instead of k²). R_c is
            # factored as (Λ^½ Qᵀ)ᵀ(Λ^½ Qᵀ), so each variance stays a sum of squares, as in
            # sandwich_vcov (an exactly zero variance comes out ~1e-32, not ~1e-16)
            for c_ in range(d.cell.shape[0]):
                members = d.unit_cohort == c_
                if members.any():
                    E = self.resid[members]
                    lam, Q = np.linalg.eigh(E.T @ E)
                    W = (Q * np.sqrt(np.clip(lam, 0, None))).T @ self.Z[c_]
                    V += W.T @ W
        else:
            e2 = _cohort_sums(self.resid**2, d.unit_cohort, d.cell.shape[0])  # C × T
            Zf = self.Z.reshape(-1, k)
            V = (Zf * e2.reshape(-1, 1)).T @ Zf
        return c * V, g, int(df)

    def variance_floor(self, small_sample: bool = True) -> np.ndarray:
        """As ``AbsorbedFit.variance_floor``: the sandwich with residuals of rounding size."""
        c, _, _ = self._factor(small_sample)
        d = self.design
        tol = NOISE_TOL * outcome_scale(d.y)
        A = np.abs(self.Z) * tol                                # C × T × k
        n_c = np.bincount(d.unit_cohort, minlength=A.shape[0]).astype(float)
        if d.clusters:
            L = A.sum(axis=1)                                   # C × k, one unit's sum
            return c * (L * n_c[:, None]).T @ L
        Af = A.reshape(-1, A.shape[2])
        return c * (Af * np.repeat(n_c, A.shape[1])[:, None]).T @ Af


def collapsed_design(panel: Panel, outcome: str, col: np.ndarray, names: Sequence[str], *,
                     rows: np.ndarray, controls=(), fixed_effects=("unit", "time"),
                     cluster="unit", weights=None) -> CollapsedDesign | None:
    """The collapsed design when it applies (see the module notes), else None.

    ``col`` holds each panel row's regressor (0..k−1, one indicator per row) or −1;
    ``rows`` is the boolean mask of rows allowed into the regression.
    """
    roles = {"unit": "unit", panel.unit: "unit", "time": "time", panel.time: "time"}
    fes = [roles.get(f) if isinstance(f, str) else None for f in fixed_effects]
    clusters = as_tuple(cluster)
    if (as_tuple(controls) or weights is not None or sorted(map(str, fes)) != ["time", "unit"]
            or not (clusters == () or (len(clusters) == 1 and isinstance(clusters[0], str)
                                       and roles.get(clusters[0]) == "unit"))
            or not panel.is_balanced or panel.n_units < 2 or panel.n_periods < 2
            or not np.asarray(rows, dtype=bool).all()):
        return None
    y = panel.column(outcome)
    if not np.isfinite(y).all():
        return None
    N, T = panel.n_units, panel.n_periods
    # rows run by unit then period (build_panel sorts them): a balanced panel reshapes
    _, unit_cohort = np.unique(panel.cohort, return_inverse=True)
    col2 = np.asarray(col).reshape(N, T)
    cell = col2[np.unique(unit_cohort, return_index=True)[1]]  # each cohort's first unit
    if not np.array_equal(col2, cell[unit_cohort]):  # not a function of (cohort, period)
        return None
    return CollapsedDesign(
        rows=np.arange(panel.n_obs), y=y, names=tuple(names),
        clusters=(np.asarray(panel.unit_id, dtype=np.int64),) if clusters else (),
        cluster_names=tuple(clusters), unit_cohort=unit_cohort, cell=cell,
        n_units=N, n_periods=T)


def _cohort_sums(values: np.ndarray, unit_cohort: np.ndarray, n_cohorts: int) -> np.ndarray:
    """C × T sums of an N × T array over the units of each cohort."""
    out = np.empty((n_cohorts, values.shape[1]))
    for t in range(values.shape[1]):  # a loop over periods; bincount runs over units
        out[:, t] = np.bincount(unit_cohort, weights=values[:, t], minlength=n_cohorts)
    return out


def _fit(d: CollapsedDesign) -> CollapsedFit:
    N, T, k = d.n_units, d.n_periods, len(d.names)
    C = d.cell.shape[0]
    n_c = np.bincount(d.unit_cohort, minlength=C).astype(float)
    X = np.zeros((C, T, k))
    c_idx, t_idx = np.nonzero(d.cell >= 0)
    X[c_idx, t_idx, d.cell[c_idx, t_idx]] = 1.0
    # balanced two-way within transformation of a (cohort, period) function: unit means
    # are cohort means over periods, period means are cohort-size weighted
    Xu = X - X.mean(axis=1, keepdims=True)
    Xt = Xu - np.einsum("c,ctj->tj", n_c, Xu)[None] / N
    Y = d.y.reshape(N, T)
    Yu = Y - Y.mean(axis=1, keepdims=True)
    Yt = Yu - Yu.mean(axis=0, keepdims=True)               # ỹ (N × T)
    raw_ss = np.einsum("c,ctj->j", n_c, X)                 # indicators: x² = x
    M = np.einsum("c,ctj,ctl->jl", n_c, Xt, Xt)
    Xy = np.einsum("ctj,ct->j", Xt, _cohort_sums(Yt, d.unit_cohort, C))
    kept: list[int] = []
    dropped: list[str] = []
    for j, name in enumerate(d.names):  # fit_absorbed's rule, on the same X̃'X̃
        within = M[j, j]
        absorbed = within <= _COLLINEAR_TOL * raw_ss[j] or within == 0.0
        if not absorbed and kept:
            b = M[kept, j]
            resid_ss = within - b @ np.linalg.solve(M[np.ix_(kept, kept)], b)
            absorbed = resid_ss <= _COLLINEAR_TOL * within
        (dropped.append(name) if absorbed else kept.append(j))
    Mk = M[np.ix_(kept, kept)]
    bread = np.linalg.inv(Mk) if kept else np.zeros((0, 0))
    coef = bread @ Xy[kept] if kept else np.zeros(0)
    Xk = Xt[:, :, kept]
    resid = Yt - (Xk @ coef)[d.unit_cohort]
    rss = float(np.einsum("ij,ij->", resid, resid))
    tss = float(np.sum((d.y - d.y.mean()) ** 2))
    tss_within = float(np.einsum("ij,ij->", Yt, Yt))
    stats = {"r2": 1 - rss / tss if tss > 0 else np.nan,
             "r2_within": 1 - rss / tss_within if tss_within > 0 else np.nan, "rss": rss}
    # fixed-effect parameters (reghdfe): N + T − 1 for a connected balanced panel; unit
    # effects nested in unit clusters are not counted, leaving T
    fe_dof = T if d.clusters else N + T - 1
    return CollapsedFit(design=d, coef=coef, names=tuple(d.names[j] for j in kept),
                        dropped=tuple(dropped), Z=Xk @ bread, resid=resid, bread=bread,
                        fe_dof=fe_dof, stats=stats)
