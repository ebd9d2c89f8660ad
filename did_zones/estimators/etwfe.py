"""Extended two-way fixed effects (Wooldridge 2021, 2023; R ``etwfe``, Stata ``jwdid``).

One regression of the outcome on cohort × period treatment cells ``D_gt = 1{G = g, t = s}``
(for ``t ≥ g`` with the not-yet-treated comparison; for every ``t ≠ g − 1`` with the
never-treated one), cohort (or unit) and period fixed effects, and the controls interacted
with cohort and period dummies and, demeaned within cohort, with every cell. ATT(g,t) are the
cells' average marginal effects (R ``etwfe::emfx``); :func:`etwfe_aggregate` averages them
with weights proportional to treated observations (``emfx(type=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..design import (
    build_design,
    check_panel_outcome,
    count_distinct,
    fit_absorbed,
    usable_rows,
)
from ..errors import EstimationError, PanelError, SpecificationError
from ..estimands import tag
from ..panel import Panel
from ..result import Result
from ..validation import as_tuple, check_alpha, check_choice, check_outcome_varies
from ._windows import event_window

__all__ = ["etwfe", "etwfe_aggregate"]

Family = Literal["gaussian", "poisson"]


class EtwfeExtra(TypedDict):
    """The ``extra`` mapping of an :func:`etwfe` result (documented in its Returns)."""

    cell_counts: Any
    coefficients: Any
    family: str
    sample: Any


def _cells(panel: Panel, rows: np.ndarray, control: str):
    """(cohort, period) cells of the design and each row's cell index (−1: none)."""
    g, t = panel.row_cohort[rows], panel.time_values[rows]
    treated_g = np.isfinite(g)
    if control == "not_yet":
        in_cell = treated_g & (t >= g)
    else:
        periods = np.unique(panel.time_values)
        # the reference period of each cohort: the last period before it is treated
        pos = np.searchsorted(periods, np.where(treated_g, g, periods[0]), side="left") - 1
        if (pos[treated_g] < 0).any():
            raise PanelError(
                "control='never' needs a pre-treatment period for every cohort; cohort(s) "
                f"{sorted(set(g[treated_g & (pos < 0)].tolist()))} are treated from the first "
                "period. Drop them (build_panel(always_treated='drop')) or use "
                "control='not_yet'.")
        base = periods[np.maximum(pos, 0)]
        in_cell = treated_g & (t != base)
    # integer (cohort, period) codes, sorted by cohort then period: one np.unique
    g_levels, g_code = np.unique(g[in_cell], return_inverse=True)
    t_levels, t_code = np.unique(t[in_cell], return_inverse=True)
    uniq, codes = np.unique(g_code * t_levels.size + t_code, return_inverse=True)
    cell = np.full(rows.size, -1)
    cell[in_cell] = codes
    cohorts = g_levels[uniq // t_levels.size].astype(float)
    times = t_levels[uniq % t_levels.size].astype(float)
    return cell, cohorts, times


def _regressors(panel, rows, cell, cohorts, times, controls, fe):
    """Cell dummies, cell × demeaned controls, controls × cohort and period dummies."""
    n_cells = cohorts.size
    onehot = np.zeros((rows.size, n_cells))
    hit = cell >= 0
    onehot[np.flatnonzero(hit), cell[hit]] = 1.0
    names = [_name(g, t) for g, t in zip(cohorts, times, strict=True)]
    cols = [onehot]
    g, t = panel.row_cohort[rows], panel.time_values[rows]
    gcode, glevels = pd.factorize(g, sort=True)
    ref_g = np.isinf(glevels).argmax() if np.isinf(glevels).any() else glevels.size - 1
    extra_names: list[str] = []
    tlevels = np.unique(t)
    for x_name in controls:
        x = panel.column(x_name)[rows].astype(float)
        xdm = x - (np.bincount(gcode, x) / np.bincount(gcode))[gcode]
        cols.append(onehot * xdm[:, None])
        names += [f"{nm}:{x_name}_dm" for nm in names[:n_cells]]
        slopes = [x[:, None]]
        extra_names.append(x_name)
        if fe == "cohort":  # unit effects absorb x × cohort for time-invariant x
            keep = [j for j in range(glevels.size) if j != ref_g]
            slopes.append((gcode[:, None] == np.array(keep)) * x[:, None])
            extra_names += [f"cohort::{glevels[j]:g}:{x_name}" for j in keep]
        slopes.append((t[:, None] == tlevels[1:]) * x[:, None])
        extra_names += [f"time::{v:g}:{x_name}" for v in tlevels[1:]]
        cols.extend(slopes)
    X = np.column_stack(cols) if cols else onehot
    return X, names + extra_names


def _name(g: float, t: float) -> str:
    return f"ATT({g:g},{t:g})"


@records_panel
def etwfe(
    panel: Panel,
    outcome: str,
    *,
    controls: str | Sequence[str] = (),
    family: Family = "gaussian",
    control: str = "not_yet",
    fixed_effects: Literal["cohort", "unit"] = "cohort",
    cluster: str | Sequence[str] | None = "unit",
    alpha: float = 0.05,
) -> Result:
    """Extended two-way fixed-effects regression (Wooldridge's ETWFE / Mundlak DiD).

    Fits ``y_it = Σ_{g,s} τ_gs D_gs,it + Σ_{g,s} δ_gs' D_gs,it (x_it − x̄_g) + α_g + λ_t +
    x_it'(β + β_g + β_t) + ε`` (gaussian) or the Poisson pseudo-likelihood with
    ``E[y | ·] = exp(...)`` of the same index, as R ``etwfe(y ~ x, tvar, gvar, cgroup,
    family)`` with ``fe = "feo"`` (identical to its default ``"vs"``) and Stata ``jwdid``.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`.
    outcome : str
        Outcome column (non-negative for ``family="poisson"``).
    controls : str or sequence of str
        Numeric controls; each enters alone, × cohort dummies, × period dummies and,
        demeaned within cohort, × every treatment cell (etwfe's ``fml = y ~ x``).
    family : {"gaussian", "poisson"}
        Least squares, or Poisson pseudo-maximum likelihood (counts, e.g. patents).
    control : {"not_yet", "never"}
        ``"not_yet"`` (etwfe ``cgroup="notyet"``): cells for ``t ≥ g`` only, so earlier
        periods of later cohorts are comparisons too. Without never-treated units the last
        cohort is the comparison and periods from its adoption on are dropped, as etwfe.
        ``"never"``: cells for every period but ``g − 1`` of each cohort (pre-period
        placebo cells included); needs never-treated units.
    fixed_effects : {"cohort", "unit"}
        Cohort (etwfe's default, ``ivar=NULL``) or unit effects, plus period effects.
    cluster : str, pair of str, or None
        Cluster variable (role or column); two names (gaussian only) give two-way
        clustering; None: HC1.
    alpha : float
        Significance level stored in ``spec``.

    Returns
    -------
    Result
        Terms ``"ATT(g,t)"`` (keys ``cohort``, ``time``, ``event_time``): each cell's average
        marginal effect over its rows, ``τ_gt + δ_gt' mean(x − x̄_g)`` (gaussian) or
        ``mean(exp(η) − exp(η − τ_gt − δ_gt'(x − x̄_g)))`` (poisson, response scale), with
        the delta-method vcov from the clustered coefficient vcov. Aggregate with
        :func:`did_zones.aggregate` (or :func:`etwfe_aggregate`). ``extra`` (typed by
        :class:`EtwfeExtra`): ``cell_counts`` (rows per cell: the emfx weights),
        ``coefficients`` (the regression's kept coefficients, a Series), ``family``,
        ``sample`` (boolean mask of the panel rows used).

    Raises
    ------
    SpecificationError
        Unknown family, control or columns; ``control="never"`` without never-treated
        units; a control constant within every cohort (nothing to interact); a negative
        outcome or two cluster variables with ``family="poisson"``.
    PanelError
        ``control="never"`` with a cohort treated from the first period (no reference
        period).

    Warns
    -----
    DataDroppedWarning
        Rows with a missing outcome or control (counted in ``Result.notes``).
    EstimationError
        A cell is collinear with the fixed effects.

    Notes
    -----
    Variance: the CRV1 sandwich with ``G/(G−1)·(N−1)/(N−K)``, ``K`` counting every
    coefficient and fixed effect not nested in the cluster (fixest's default, which etwfe
    uses); the delta method (as marginaleffects) for the ATT(g,t); normal intervals as
    emfx. Poisson: the same sandwich on the score ``x_i(y_i − μ_i)`` with the Fisher bread,
    fitted with explicit fixed-effect dummies (statsmodels GLM), so it suits panels of up to
    a few thousand units with ``fixed_effects="unit"``.

    References
    ----------
    Wooldridge, J. M. (2021). Two-way fixed effects, the two-way Mundlak regression, and
    difference-in-differences estimators. Working paper.
    Wooldridge, J. M. (2023). Simple approaches to nonlinear difference-in-differences with
    panel data. The Econometrics Journal 26(3), C31–C66.
    McDermott, G. (2023). etwfe: Extended two-way fixed effects. R package.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.etwfe(panel, "isu")
    >>> dz.aggregate(res, "simple").terms
    ['overall']
    """
    check_panel_outcome(panel, outcome)
    family = check_choice("family", family, ("gaussian", "poisson"))
    control = check_choice("control", control, ("not_yet", "never"))
    fixed_effects = check_choice("fixed_effects", fixed_effects, ("cohort", "unit"))
    check_alpha(alpha)
    controls = as_tuple(controls)
    y_all = panel.column(outcome)
    check_outcome_varies(y_all, outcome)
    if family == "poisson" and cluster is not None and not isinstance(cluster, str):
        raise SpecificationError(
            f"family='poisson' takes one cluster variable; got {cluster!r}. Pass one name "
            "(e.g. cluster='unit') or use family='gaussian' for two-way clustering.")
    ok, missing_note = usable_rows(panel, (outcome, *controls))
    never = ~np.isfinite(panel.row_cohort)
    rows = np.flatnonzero(ok)
    notes: list[str] = list(missing_note)
    if not never[rows].any():
        if control == "never":
            raise SpecificationError(
                f"No never-treated units in the panel ({panel.n_units} units, all treated), "
                "so control='never' has no comparison group. Use control='not_yet', or add "
                "never-pilot units.")
        last = np.max(panel.row_cohort[rows])
        keep = panel.time_values[rows] < last
        notes.append(f"No never-treated units: periods >= {last:g} dropped "
                     f"({int((~keep).sum())} rows) and cohort {last:g} serves as the "
                     "comparison group (as R etwfe).")
        rows = rows[keep]
    g_rows = panel.row_cohort[rows]
    if family == "poisson" and np.nanmin(y_all[rows]) < 0:
        raise SpecificationError(
            f"family='poisson' needs a non-negative outcome; {outcome!r} has "
            f"{int((y_all[rows] < 0).sum())} negative values. Use family='gaussian'.")
    for x_name in controls:
        x = panel.column(x_name)[rows].astype(float)
        gcode = pd.factorize(g_rows)[0]
        spread = np.bincount(gcode, (x - (np.bincount(gcode, x) / np.bincount(gcode))[gcode])
                             ** 2)
        if np.all(spread <= 1e-12 * max(1.0, float(np.nanmax(np.abs(x))) ** 2)):
            raise SpecificationError(
                f"Control {x_name!r} is constant within every cohort, so it cannot be "
                "interacted with the cohorts (its cohort-demeaned value is zero in all "
                f"{rows.size} rows). Drop it from controls.")

    cell, cohorts, times = _cells(panel, rows, control)
    if cohorts.size == 0:
        raise PanelError("No treatment cell to estimate: no treated cohort is observed.")
    X, names = _regressors(panel, rows, cell, cohorts, times, controls, fixed_effects)
    full = np.zeros((panel.n_obs, X.shape[1]))
    full[rows] = X
    regressors = {nm: full[:, j] for j, nm in enumerate(names)}
    fe = (fixed_effects, "time")
    mask = np.zeros(panel.n_obs, dtype=bool)
    mask[rows] = True
    design = build_design(panel, outcome, regressors, fixed_effects=fe, cluster=cluster,
                          rows=mask)
    n_cells = cohorts.size
    protect = names[:n_cells]
    if family == "gaussian":
        fit = fit_absorbed(design, protect=protect, warn=False)
        V, n_clusters, df = fit.vcov()
        coef = pd.Series(fit.coef, index=list(fit.names))
        Vc = pd.DataFrame(V, index=coef.index, columns=coef.index)
        J = _gaussian_cells(design, cell[np.searchsorted(rows, design.rows)],
                            n_cells, coef.index, len(controls))
        att = J @ coef.to_numpy()
    else:
        coef, Vc, n_clusters, att, J = _poisson(
            design, cell[np.searchsorted(rows, design.rows)], n_cells, len(controls), cluster)
    vcov = J @ Vc.to_numpy() @ J.T
    row_cell = cell[np.searchsorted(rows, design.rows)]
    counts = np.bincount(row_cell[row_cell >= 0], minlength=n_cells)
    keys = pd.DataFrame({"cohort": cohorts, "time": times, "event_time": times - cohorts})
    keys = tag(keys, [], "simple_att")
    sample = np.zeros(panel.n_obs, dtype=bool)
    sample[design.rows] = True
    spec = {"controls": controls, "family": family, "control": control,
            "fixed_effects": fixed_effects, "cluster": cluster, "alpha": alpha,
            "absorbed": (fixed_effects, "time")}  # for tables; not an option of rerun
    return Result.create(
        att, vcov, names[:n_cells], keys=keys, method="etwfe", outcome=outcome, spec=spec,
        n_obs=design.n_obs, n_units=count_distinct(panel.unit_id[design.rows], panel.n_units),
        n_clusters=n_clusters, df=None, primary=names[0],
        notes=tuple(panel.notes) + design.notes + tuple(notes),
        extra={"cell_counts": pd.Series(counts, index=names[:n_cells]),
               "coefficients": coef, "family": family, "sample": sample},
    )


def _cell_jacobian(X, names, row_cell, n_cells, n_terms):
    """Mean of each cell term over its cell's rows: the gaussian ATT(g,t) gradient."""
    hit = row_cell >= 0
    counts = np.bincount(row_cell[hit], minlength=n_cells)
    onehot = np.zeros((n_cells, X.shape[0]))
    onehot[row_cell[hit], np.flatnonzero(hit)] = 1.0 / counts[row_cell[hit]]
    means = onehot @ X[:, :n_terms]
    J = np.zeros((n_cells, X.shape[1]))
    own = np.arange(n_terms) % n_cells
    J[own, np.arange(n_terms)] = means[own, np.arange(n_terms)]
    return J, onehot


def _restrict(J, design_names, kept, n_cells):
    """Columns of ``J`` for the kept coefficients; a dropped cell dummy is an error."""
    lost = [nm for nm in design_names[:n_cells] if nm not in kept]
    if lost:
        raise EstimationError(f"Cell(s) {lost[:5]} are collinear with the fixed effects or "
                              "the controls; no ATT can be estimated for them.")
    index = {nm: j for j, nm in enumerate(design_names)}
    return J[:, [index[nm] for nm in kept]]


def _gaussian_cells(design, row_cell, n_cells, kept, n_controls):
    """ATT(g,t) = τ_gt + δ_gt' mean(x_dm | cell): its Jacobian on the kept coefficients."""
    J, _ = _cell_jacobian(design.X, design.names, row_cell, n_cells,
                          n_cells * (1 + n_controls))
    return _restrict(J, design.names, list(kept), n_cells)


def _fe_dummies(design):
    """Intercept and the fixed effects as dummies (first level of each dropped)."""
    cols = [np.ones((design.n_obs, 1))]
    for codes in design.fe_codes:
        levels = np.arange(1, int(codes.max()) + 1)
        cols.append((codes[:, None] == levels).astype(float))
    return np.column_stack(cols)


def _poisson(design, row_cell, n_cells, n_controls, cluster):
    """Poisson PML with fixed-effect dummies; cell ATTs on the response scale."""
    import scipy.linalg
    import statsmodels.api as sm

    Z = np.column_stack([design.X, _fe_dummies(design)])
    znames = list(design.names) + [f"_fe{j}" for j in range(Z.shape[1] - design.X.shape[1])]
    _, r, piv = scipy.linalg.qr(Z, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    rank = int((d > 1e-10 * d[0]).sum())
    keep = np.sort(piv[:rank])
    Zk = Z[:, keep]
    kept = [znames[j] for j in keep]
    fit = sm.GLM(design.y, Zk, family=sm.families.Poisson()).fit(tol=1e-12, maxiter=200)
    b = np.asarray(fit.params)
    mu = np.exp(Zk @ b)
    n, k = Zk.shape
    bread = np.linalg.inv((Zk * mu[:, None]).T @ Zk)
    score = Zk * (design.y - mu)[:, None]
    if cluster:
        codes = design.clusters[0]
        G = int(codes.max()) + 1
        sums = np.zeros((G, k))
        np.add.at(sums, codes, score)
        adj = G / (G - 1) * (n - 1) / (n - k)
    else:
        G, sums, adj = None, score, n / (n - k)
    V = adj * bread @ (sums.T @ sums) @ bread
    n_terms = n_cells * (1 + n_controls)
    is_cell = np.array([nm in design.names[:n_terms] for nm in kept])
    _restrict(np.zeros((n_cells, Z.shape[1])), znames, kept, n_cells)  # dropped-cell check
    eta0 = Zk[:, ~is_cell] @ b[~is_cell]
    mu0 = np.exp(eta0)
    _, onehot = _cell_jacobian(Zk, kept, row_cell, n_cells, 0)
    att = onehot @ (mu - mu0)
    Zcell = np.where(is_cell, Zk, 0.0)
    J = onehot @ (mu[:, None] * Zk - mu0[:, None] * (Zk - Zcell))
    coef = pd.Series(b, index=kept)
    return coef, pd.DataFrame(V, index=kept, columns=kept), G, att, J


_ESTIMAND = {"simple": "simple_att", "event": "event_average", "cohort": "cohort_average",
             "calendar": "calendar_average"}


def etwfe_aggregate(result: Result, kind: str = "simple", *,
                    window: Sequence[float] | None = None) -> Result:
    """Average ETWFE ATT(g,t) cells as R ``emfx(type=...)``.

    Parameters
    ----------
    result : Result
        From :func:`etwfe`.
    kind : {"simple", "event", "cohort", "calendar"}
        emfx's ``"simple"``, ``"event"``, ``"group"`` and ``"calendar"``: the average marginal
        effect over the treated rows (all post cells, or those of one event time, cohort or
        calendar period), i.e. ATT(g,t) weighted by their numbers of rows.
    window : pair of numbers, optional
        Event times ``(lo, hi)`` kept (``kind="event"``; with ``control="never"`` negative
        event times are the pre-period cells).

    Returns
    -------
    Result
        ``"overall"`` then, except for ``"simple"``, one term per event time (``ATT(e=k)``),
        cohort (``ATT(g=k)``) or period (``ATT(t=k)``). ``"overall"`` follows R did's
        ``aggte``: the simple ATT, the equal-weighted mean of the post event times, the
        cohort average weighted by cohort units, the equal-weighted calendar mean.
        Delta-method vcov ``W V W'``; ``extra`` (:class:`EtwfeAggregateExtra`):
        ``weights`` (terms × cells), ``kind``, ``reference`` (event time −1, the omitted
        period) and ``pretrend_test``: with ``control="never"`` and ``kind="event"`` the
        pre-period cells (each against period g − 1, as an event study's leads) give
        ``ATT(e=k)`` for k ≤ −2 and the joint Wald test that they are all zero (else None).
        These leads make the result usable by :func:`~did_zones.honest_did` and
        :func:`~did_zones.pretrend_power`.

    Raises
    ------
    SpecificationError
        Not an etwfe result, unknown kind, bad window, or nothing to aggregate.
    """
    if not isinstance(result, Result) or result.method != "etwfe":
        raise SpecificationError("etwfe_aggregate needs a Result from etwfe; got "
                                 f"{getattr(result, 'method', type(result).__name__)!r}.")
    kind = check_choice("kind", kind, tuple(_ESTIMAND))
    keys = result.keys
    e = keys["event_time"].to_numpy(dtype=float)
    g = keys["cohort"].to_numpy(dtype=float)
    t = keys["time"].to_numpy(dtype=float)
    n = result.extra["cell_counts"].to_numpy(dtype=float)
    lo, hi = event_window(window)
    post = (e >= 0) & (e >= lo) & (e <= hi)
    if not post.any():
        raise SpecificationError("No post-treatment ATT(g,t) to aggregate (check window=).")
    by = {"event": e, "cohort": g, "calendar": t}.get(kind)
    inside = (e >= lo) & (e <= hi) if kind == "event" else post
    levels = np.unique(by[inside]) if by is not None else np.array([])
    rows = [np.where(post, n, 0.0)]
    for v in levels:
        rows.append(np.where(inside & (by == v), n, 0.0))
    W = np.vstack(rows)
    W /= W.sum(axis=1, keepdims=True)
    label = {"event": "e", "cohort": "g", "calendar": "t"}.get(kind, "")
    names = ["overall"] + [f"ATT({label}={v:g})" for v in levels]
    if kind == "event":
        wpost = (levels >= 0) / max(1, int((levels >= 0).sum()))
        W[0] = wpost @ W[1:]
    elif kind == "calendar":
        W[0] = W[1:].mean(axis=0)
    elif kind == "cohort":
        size = np.array([n[(g == v) & post].max() for v in levels])
        W[0] = (size / size.sum()) @ W[1:]
    est = W @ result.estimate.to_numpy()
    V = W @ result.vcov.to_numpy() @ W.T
    out_keys = pd.DataFrame({
        "cohort": np.r_[np.nan, levels] if kind == "cohort" else np.nan,
        "time": np.r_[np.nan, levels] if kind == "calendar" else np.nan,
        "event_time": np.r_[np.nan, levels] if kind == "event" else np.nan,
        "n_cells": (W != 0).sum(axis=1)})
    post_e = levels[levels >= 0] if kind == "event" else np.array([np.nan])
    out_keys = tag(out_keys, 0, _ESTIMAND[kind], np.nanmin(post_e) if kind == "event"
                   else np.nan, np.nanmax(post_e) if kind == "event" else np.nan)
    spec = {**result.spec, "aggregation": kind, "window": (lo, hi)}
    res = Result.create(
        est, V, names, keys=out_keys, method="etwfe", outcome=result.outcome, spec=spec,
        n_obs=result.n_obs, n_units=result.n_units, n_clusters=result.n_clusters, df=None,
        primary="overall", notes=result.notes,
        extra={"weights": pd.DataFrame(W, index=names, columns=result.terms), "kind": kind,
               "reference": (-1,), "pretrend_test": None},
        panel_fingerprint=result.panel_fingerprint, panel_shape=result.panel_shape)
    leads = [nm for nm, v in zip(names[1:], levels, strict=True) if kind == "event" and v < 0]
    if leads:  # control="never": pre-period cells against g - 1, as an event study's leads
        test = res.wald_test(leads, name=f"pre-trend: all {len(leads)} lead(s) = 0")
        res = replace(res, extra={**res.extra, "pretrend_test": test})
    return res


class EtwfeAggregateExtra(TypedDict):
    """The ``extra`` mapping of an :func:`etwfe_aggregate` result."""

    weights: Any
    kind: str
    reference: tuple
    pretrend_test: Any
