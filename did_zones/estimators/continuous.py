"""Continuous-intensity DiD: Callaway, Goodman-Bacon & Sant'Anna (2024), 2 or more periods.

Units treated in the one cohort ``g`` receive a dose ``d > 0``; never-treated units
(dose 0) are the comparison group. With ``ΔY = Y_g − Y_{g−1}`` the level effect at dose d
under strong parallel trends is ``ATT(d) = E[ΔY | D = d] − E[ΔY | D = 0]``, estimated by a
regression of ``ΔY − mean_{D=0} ΔY`` on a B-spline basis of the dose among the treated
units. ``ACRT(d) = ATT'(d)`` is the derivative of the fitted curve. The overall averages are
``ATT^o = mean_{D>0} ΔY − mean_{D=0} ΔY`` (the binarised DiD) and ``ACRT^o``, the mean of
``ACRT(D_i)`` over the treated units.

Conventions follow R ``contdid`` / diff-diff ``ContinuousDiD``: a clamped B-spline basis of
degree ``degree`` on ``[min d, max d]`` with ``num_knots`` interior knots at dose quantiles,
whose first column is replaced by an intercept; the default evaluation grid is the 10th to
99th percentiles (step 1) of the treated doses.

With staggered timing each (g,t) cell is such a two-period comparison (base period g − 1,
or t − 1 before treatment); the cells are averaged to the dose-response curves with the
cohorts' shares of treated units (post-treatment cells), or by event time e = t − g
(``aggregation="event"``). The (g,t) machinery is in :mod:`._contdid_cells`.
"""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np
import pandas as pd
from scipy import stats
from scipy.interpolate import BSpline

from ..errors import DataDroppedWarning, EstimationError, PanelError, SpecificationError, warn
from ..estimands import tag
from ..inference import SE_TINY, multiplier_bootstrap, sup_t_critical_value
from ..panel import Panel
from ..result import Result
from ..validation import ALPHA, PANEL, Choice, Integer, Seed, validated
from ._contdid_cells import combine, dose_weights, event_weights, fit_cells
from ._cs_inference import bootstrap_vcov, new_seed

__all__ = ["continuous_did", "ContinuousDidExtra", "bspline_basis"]


class ContinuousDidExtra(TypedDict):
    """Keys of ``Result.extra`` for :func:`continuous_did`."""

    dose_grid: np.ndarray        # the doses at which ATT(d) and ACRT(d) are evaluated
    knots: np.ndarray            # full clamped knot vector of the B-spline basis
    degree: int
    coefficients: np.ndarray     # basis coefficients (intercept first)
    n_treated: int               # treated units (all cohorts) in the estimation
    n_control: int               # never-treated units
    base_period: int | None      # two-period design: its periods; None when staggered
    post_period: int | None
    aggregation: str             # "dose" or "event"
    cells: pd.DataFrame          # the (g,t) cells: cohort, time, base, event_time, n_treated,
                                 # n_control, att, acrt, weight (in the dose curves)
    vcov_analytic: pd.DataFrame  # the influence-function vcov (= vcov without n_boot)
    bootstrap_draws: np.ndarray | None  # n_boot × terms draws of √n (θ* − θ̂), or None
    uniform_crit: dict | None    # sup-t critical values: {"att": c, "acrt": c} for the
                                 # curves, {"event": c} for the event study; None


def _knots(dose: np.ndarray, degree: int, num_knots: int) -> np.ndarray:
    lo, hi = float(dose.min()), float(dose.max())
    interior = (np.quantile(dose, np.linspace(0.0, 1.0, num_knots + 2)[1:-1])
                if num_knots > 0 else np.empty(0))
    return np.concatenate([np.full(degree + 1, lo), interior, np.full(degree + 1, hi)])


def bspline_basis(x: np.ndarray, knots: np.ndarray, degree: int,
                  derivative: bool = False) -> np.ndarray:
    """The dose basis (intercept + B-splines 2..K) or its derivative at ``x``.

    Parameters
    ----------
    x : numpy.ndarray
        Doses; values outside the boundary knots are clamped to them.
    knots : numpy.ndarray
        Full clamped knot vector.
    degree : int
        Spline degree.
    derivative : bool
        Return the derivative of each basis column instead.

    Returns
    -------
    numpy.ndarray
        ``len(x) × K`` matrix; column 0 is the intercept (derivative 0).
    """
    n_basis = len(knots) - degree - 1
    # scipy's BSpline with identity coefficients evaluates every basis function at once
    spline = BSpline(knots, np.eye(n_basis), degree, extrapolate=False)
    if derivative:
        spline = spline.derivative()
    z = np.clip(np.asarray(x, dtype=float), knots[degree], knots[-degree - 1])
    basis = np.nan_to_num(spline(z))
    basis[:, 0] = 0.0 if derivative else 1.0
    return basis


def _unit_arrays(panel: Panel, outcome: str, dose: str):
    """Outcomes (units × periods), the time-invariant dose per unit and its checks."""
    if not panel.is_balanced:
        raise PanelError(
            f"continuous_did needs a balanced panel; {panel.n_obs} rows for "
            f"{panel.n_units} units × {panel.n_periods} periods. Drop units missing a period.")
    y = panel.column(outcome)
    d = panel.column(dose)
    for name, values in ((outcome, y), (dose, d)):
        bad = ~np.isfinite(values)
        if bad.any():
            units = panel.units[np.unique(panel.unit_id[bad])]
            raise PanelError(
                f"Column {name!r} is missing or infinite in {int(bad.sum())} rows "
                f"({len(units)} units, e.g. {list(units[:5])}). Drop those units first.")
    n, T = panel.n_units, panel.n_periods
    Y = np.empty((n, T))
    Y[panel.unit_id, panel.period_id] = y
    D = np.empty((n, T))
    D[panel.unit_id, panel.period_id] = d
    varying = (D != D[:, :1]).any(axis=1)
    if varying.any():
        raise PanelError(
            f"Dose {dose!r} must be constant within unit; it changes for {int(varying.sum())} "
            f"units (e.g. {list(panel.units[varying][:5])}). Use each unit's dose after "
            f"treatment in all its rows.")
    dose_u = D[:, 0]
    negative = dose_u < 0
    if negative.any():
        raise PanelError(
            f"Dose {dose!r} is negative for {int(negative.sum())} units (e.g. "
            f"{list(panel.units[negative][:5])}); doses are intensities >= 0. Shift or "
            f"recode the dose.")
    treated = np.isfinite(panel.cohort)
    wrong = (treated & (dose_u <= 0)) | (~treated & (dose_u != 0))
    if wrong.any():
        n_zero = int((treated & (dose_u <= 0)).sum())
        raise PanelError(
            f"Treated units need a dose > 0 and never-treated units a dose of 0; "
            f"{int(wrong.sum())} units break this ({n_zero} treated with dose 0; e.g. "
            f"{list(panel.units[wrong][:5])}). Code treated units without intensity as "
            f"never treated, or drop them.")
    return Y, dose_u, treated


def _grid(d1: np.ndarray, dose_grid) -> np.ndarray:
    if dose_grid is None:
        return np.quantile(d1, np.arange(0.10, 0.99 + 0.005, 0.01))
    grid = np.atleast_1d(np.asarray(dose_grid, dtype=float))
    off = (grid < d1.min()) | (grid > d1.max()) | ~np.isfinite(grid)
    if off.any() or grid.size == 0:
        raise SpecificationError(
            f"dose_grid must lie within the treated doses [{d1.min():g}, {d1.max():g}]; "
            f"{int(off.sum())} of {grid.size} values do not (e.g. {list(grid[off][:5])}).")
    return grid


@validated(control=Choice(("never", "not_yet")),
           aggregation=Choice(("dose", "event", "eventstudy")),
           target=Choice(("level", "slope")), base_period=Choice(("varying", "universal")),
           acrt_doses=Choice(("fixed", "sampled")),
           n_boot=Integer(min=2, allow_none=True),
           boot_weights=Choice(("rademacher", "mammen")), seed=Seed(), alpha=ALPHA)
def continuous_did(panel: Panel, outcome: str, *, dose: str, degree: int = 3,
                   num_knots: int = 0, dose_grid: Any = None, control: str = "never",
                   aggregation: str = "dose", target: str = "level",
                   base_period: str = "varying", acrt_doses: str = "fixed", n_boot: int | None = None, boot_weights: str = "rademacher",
                   seed: int | None = None, alpha: float = 0.05) -> Result:
    """Continuous-treatment DiD of Callaway, Goodman-Bacon & Sant'Anna (2024).

    Two periods (one cohort treated in the second) or staggered timing with a dose that is
    constant within unit.

    Parameters
    ----------
    panel : Panel
        Balanced; treated cohorts and never-treated units.
    outcome : str
        Outcome column.
    dose : str
        Column of the treatment intensity, constant within unit: > 0 for treated units,
        0 for never-treated units.
    degree : int
        Degree of the B-spline basis of the dose (3: cubic; 1 with no knots: linear).
    num_knots : int
        Interior knots, at evenly spaced quantiles of the treated doses.
    dose_grid : array-like, optional
        Doses at which to report ATT(d) and ACRT(d); default the 10th, 11th, ..., 99th
        percentiles of the treated doses (R ``contdid``'s default).
    control : {"never", "not_yet"}
        Comparison units of cell (g,t): never treated, or also those first treated after
        ``t`` (other cohorts than ``g``).
    aggregation : {"dose", "event"}
        ``"dose"``: the curves ATT(d), ACRT(d) and ATT^o, ACRT^o, averaged over the
        post-treatment cells. ``"event"`` (or ``"eventstudy"``, R ``contdid``'s word):
        ATT^o(e) (``target="level"``) or ACRT^o(e) (``"slope"``) by event time
        ``e = t − g``, pre-treatment ``e < 0`` included.
    target : {"level", "slope"}
        With ``aggregation="event"``: the level effect ATT^o(e) or the slope ACRT^o(e)
        (R ``contdid``'s ``target_parameter``).
    base_period : {"varying", "universal"}
        Base period of the pre-treatment cells: ``t − 1`` (short differences, R ``did``'s
        default) or ``g − 1`` for every cell (long differences; the term at ``e = −1`` is
        then 0). Post-treatment cells always use ``g − 1``. ``"universal"`` event studies
        can go to :func:`did_zones.honest_did`.
    acrt_doses : {"fixed", "sampled"}
        Variance of ACRT^o (and ACRT^o(e)), the mean of ACRT(D_i) over the treated doses:
        ``"fixed"`` holds the doses fixed (diff-diff's analytic SE; right for the average
        over the sample's doses, it under-covers the population E[ACRT(D) | D > 0]:
        0.917 in ``benchmarks/coverage_contdid.py``); ``"sampled"`` adds the sampling of
        the doses, ``(ACRT(D_i) − ACRT^o) / n_g`` per treated unit.
    n_boot : int, optional
        Multiplier-bootstrap draws on the influence functions for uniform (sup-t) bands
        over the dose grid (or the event times); None: analytic inference only.
    boot_weights : {"rademacher", "mammen"}
        Multiplier weights.
    seed : int, optional
        Seed of the bootstrap (recorded in ``spec``).
    alpha : float
        Level of the uniform bands.

    Returns
    -------
    Result
        ``aggregation="dose"``: terms ``att_overall`` (primary), ``acrt_overall``, then
        ``att_d_000``... and ``acrt_d_000``... on the dose grid (``keys`` columns
        ``parameter`` and ``dose``; with ``n_boot`` also ``uniform_low``,
        ``uniform_high``, the sup-t band of each curve). ``aggregation="event"``:
        ``overall`` (the mean over ``e >= 0``, primary) then ``ATT(e=k)`` / ``ACRT(e=k)``
        with ``keys["event_time"]``, so :func:`did_zones.plots.event_study_plot` draws them
        (``uniform=True`` with ``n_boot``). Influence functions per unit give the
        variance; with ``n_boot`` the bootstrap (IQR) standard errors replace the analytic
        ones on the diagonal (``extra["vcov_analytic"]`` keeps them). ``extra`` keys:
        :class:`ContinuousDidExtra`.

    Raises
    ------
    PanelError
        Unbalanced, missing values, a dose that varies within unit, negative doses, or
        doses inconsistent with treatment (treated with dose 0, never treated with a dose).
    SpecificationError
        ``degree`` < 1, ``num_knots`` < 0, a dose grid outside the treated doses, or an
        option outside its choices.
    EstimationError
        Too few treated units for the basis, no never-treated units, no estimable
        post-treatment cell.

    Notes
    -----
    ``ATT(d | g,t) = E[Y_t − Y_{g−1} | G = g, D = d] − E[Y_t − Y_{g−1} | comparison]``
    under strong parallel trends; ``ACRT(d | g,t) = ∂ATT(d | g,t)/∂d``. The curves are
    ``Σ_{g,t≥g} w_{g,t} ATT(d | g,t)`` with ``w_{g,t} = P(G = g | treated) / #{t ≥ g}``
    (R ``contdid`` and diff-diff); ATT^o = ``Σ w_{g,t} ATT^o(g,t)``; ATT^o(e) averages the
    cells with ``t − g = e`` weighted by their treated units. The spline knots and dose
    grid come from all treated doses. As diff-diff, the weights and the dose grid are held
    fixed in the influence functions (no estimated-weight term), and ACRT^o's omits the
    sampling of the treated dose distribution; the reference values match diff-diff 3.13
    (``tests/reference/contdid_reference.md``).

    References
    ----------
    Callaway, B., Goodman-Bacon, A. and Sant'Anna, P. H. C. (2024). Difference-in-differences
    with a continuous treatment. NBER Working Paper 32117.

    Examples
    --------
    >>> import numpy as np, pandas as pd, did_zones as dz
    >>> rng = np.random.default_rng(0)
    >>> d = np.r_[np.zeros(50), rng.uniform(1, 2, 50)]
    >>> df = pd.DataFrame({"u": np.repeat(np.arange(100), 2), "t": np.tile([1, 2], 100),
    ...                    "g": np.repeat(np.where(d > 0, 2, 0), 2),
    ...                    "dose": np.repeat(d, 2)})
    >>> df["y"] = df.t * 0.5 + (df.t == 2) * 2 * df.dose
    >>> p = dz.build_panel(df, "u", "t", cohort="g")
    >>> r = dz.continuous_did(p, "y", dose="dose", degree=1)
    >>> round(float(r.estimate["acrt_overall"]), 6)
    2.0
    """
    PANEL("panel", panel)  # a Panel, with treatment that stays on
    aggregation = "event" if aggregation == "eventstudy" else aggregation
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1:
        raise SpecificationError(f"degree must be an integer >= 1; got {degree!r}.")
    if (isinstance(num_knots, bool) or not isinstance(num_knots, (int, np.integer))
            or num_knots < 0):
        raise SpecificationError(f"num_knots must be an integer >= 0; got {num_knots!r}.")
    Y, dose_u, treated = _unit_arrays(panel, outcome, dose)
    n1, n0 = int(treated.sum()), int((~treated).sum())
    n_basis = degree + num_knots + 1
    if n0 == 0:
        raise EstimationError("No never-treated (dose 0) units: continuous_did compares "
                              "treated units with them. Add never-treated units.")
    if n1 <= n_basis:
        raise EstimationError(
            f"{n1} treated units for {n_basis} basis functions (degree {degree}, "
            f"{num_knots} knots): need more treated units than basis functions. "
            f"Lower degree or num_knots.")
    d1 = dose_u[treated]
    distinct = np.unique(d1).size
    if distinct < n_basis:  # before the knots: equal boundary knots make no basis at all
        raise EstimationError(
            f"The dose basis is collinear among the {n1} treated units (too few distinct "
            f"doses, {distinct}, for {n_basis} basis functions). Lower degree or num_knots.")
    grid = _grid(d1, dose_grid)
    knots = _knots(d1, degree, num_knots)
    if np.linalg.matrix_rank(bspline_basis(d1, knots, degree)) < n_basis:
        raise EstimationError(
            f"The dose basis is collinear among the {n1} treated units ({distinct} distinct "
            f"doses for {n_basis} basis functions; knots at dose quantiles {knots.tolist()} "
            f"coincide where many units share a dose). Lower degree or num_knots.")

    cells, small = fit_cells(
        Y, panel.periods.astype(float), panel.cohort, dose_u,
        lambda x: bspline_basis(x, knots, degree),
        lambda x: bspline_basis(x, knots, degree, derivative=True), control, n_basis + 1,
        base_period)
    notes = []
    if small:
        msg = (f"{len(small)} cohorts have too few treated units for the {n_basis} basis "
               f"functions and are left out of continuous_did: "
               + ", ".join(f"{g:g} ({k} units)" for g, k in small[:5])
               + ". Lower degree or num_knots to keep them.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    w_dose = dose_weights(cells)
    if not cells or not w_dose.any():
        raise EstimationError(
            "No post-treatment (g,t) cell could be estimated: each cohort needs its period "
            "g − 1 in the panel and comparison units in period t. Check the cohorts and "
            "control=.")
    n = panel.n_units
    two_period = panel.n_periods == 2 and len(cells) == 1
    sampled = acrt_doses == "sampled"
    if aggregation == "dose":
        est, terms, keys, Z, J, pick = _dose_terms(cells, w_dose, grid, knots, degree, n,
                                                   n_basis, two_period, sampled)
    else:
        est, terms, keys, Z, J, pick = _event_terms(cells, target, n, n_basis, sampled)
    beta = w_dose @ np.vstack([c.beta for c in cells])
    # every term's influence function is Z J: the few columns of Z (scalars, coefficient
    # perturbations) carry the variance and the bootstrap, J maps them to the terms
    vcov_a = J.T @ (Z.T @ Z) @ J
    influence = (Z * n) @ J  # the library's mean scale: estimate − θ ≈ mean(ψ_i)
    vcov, draws, crit, used_seed, crit_value = vcov_a, None, None, seed, None
    if n_boot:
        used_seed = new_seed(seed)
        vcov, draws, crit, keys, crit_value, boot_notes = _bootstrap(
            Z * n, J, vcov_a, est, keys, pick, n_boot, used_seed, boot_weights, alpha)
        notes += boot_notes
    labels = pd.Index(terms, name="term")
    cell_frame = pd.DataFrame({
        "cohort": [c.cohort for c in cells], "time": [c.time for c in cells],
        "base": [c.base for c in cells], "event_time": [c.time - c.cohort for c in cells],
        "n_treated": [c.n_treated for c in cells], "n_control": [c.n_control for c in cells],
        "att": [c.att for c in cells], "acrt": [c.acrt for c in cells], "weight": w_dose})
    extra: ContinuousDidExtra = {
        "dose_grid": grid, "knots": knots, "degree": int(degree), "coefficients": beta,
        "n_treated": n1, "n_control": n0,
        "base_period": int(panel.periods[0]) if two_period else None,
        "post_period": int(panel.periods[1]) if two_period else None,
        "aggregation": aggregation, "cells": cell_frame,
        "vcov_analytic": pd.DataFrame(vcov_a, index=labels, columns=labels),
        "bootstrap_draws": draws, "uniform_crit": crit,
    }
    spec = {"dose": dose, "degree": int(degree), "num_knots": int(num_knots),
            "dose_grid": None if dose_grid is None else grid.tolist(), "control": control,
            "aggregation": aggregation, "target": target, "base_period": base_period,
            "acrt_doses": acrt_doses,
            "n_boot": n_boot or None,
            "boot_weights": boot_weights, "seed": used_seed, "alpha": alpha,
            "se": "bootstrap" if n_boot else "influence"}
    return Result.create(
        est, vcov, terms, keys=keys, method="continuous_did", outcome=outcome, spec=spec,
        n_obs=panel.n_obs, n_units=n, primary=terms[0], influence=influence,
        influence_index=panel.units, crit_value=crit_value, notes=tuple(notes), extra=extra,
        panel_fingerprint=panel.fingerprint, panel_shape=(panel.n_units, panel.n_periods))


def _dose_terms(cells, w_dose, grid, knots, degree, n, n_basis, two_period, sampled):
    """ATT^o, ACRT^o and the curves, with their sum-scale influence functions."""
    _, att, acrt, pert, if_att, if_acrt = combine(cells, w_dose[None, :], n, n_basis,
                                                  dose_sampling=sampled)
    psi_g = bspline_basis(grid, knots, degree)
    dpsi_g = bspline_basis(grid, knots, degree, derivative=True)
    beta = w_dose @ np.vstack([c.beta for c in cells])
    est = np.r_[att[0], acrt[0], psi_g @ beta, dpsi_g @ beta]
    Z = np.column_stack([if_att[:, 0], if_acrt[:, 0], pert[0]])
    k = grid.size
    J = np.zeros((2 + n_basis, 2 + 2 * k))
    J[0, 0] = J[1, 1] = 1.0
    J[2:, 2:2 + k] = psi_g.T
    J[2:, 2 + k:] = dpsi_g.T
    terms = (["att_overall", "acrt_overall"] + [f"att_d_{i:03d}" for i in range(k)]
             + [f"acrt_d_{i:03d}" for i in range(k)])
    cell = cells[0]
    where = ((cell.cohort, cell.time, cell.time - cell.cohort) if two_period
             else (np.nan, np.nan, np.nan))
    keys = pd.DataFrame({
        "parameter": ["att_overall", "acrt_overall"] + ["att"] * k + ["acrt"] * k,
        "dose": np.r_[np.nan, np.nan, grid, grid],
        "cohort": where[0], "time": where[1], "event_time": where[2],
    })
    if two_period:  # keys as the two-period design always wrote them
        keys = keys.astype({"cohort": int, "time": int, "event_time": int})
    pick = {"att": np.r_[False, False, np.ones(k, bool), np.zeros(k, bool)],
            "acrt": np.r_[False, False, np.zeros(k, bool), np.ones(k, bool)]}
    return est, terms, keys, Z, J, pick


def _event_terms(cells, target, n, n_basis, sampled):
    """ATT^o(e) or ACRT^o(e) by event time, led by their mean over e >= 0."""
    events, W = event_weights(cells)
    _, att, acrt, _, if_att, if_acrt = combine(cells, W, n, n_basis, with_pert=False,
                                               dose_sampling=sampled)
    est, inf = (att, if_att) if target == "level" else (acrt, if_acrt)
    post = events >= 0
    est = np.r_[est[post].mean(), est]
    J = np.column_stack([post / post.sum(), np.eye(events.size)])
    name = "ATT" if target == "level" else "ACRT"
    fmt = [f"{int(e)}" if float(e).is_integer() else f"{e:g}" for e in events]
    terms = ["overall"] + [f"{name}(e={e})" for e in fmt]
    keys = pd.DataFrame({
        "parameter": [f"{name.lower()}_event_average"] + [f"{name.lower()}_event"] * events.size,
        "dose": np.nan, "cohort": np.nan, "time": np.nan,
        "event_time": np.r_[np.nan, events],
        "n_cells": np.r_[(W[post] != 0).any(axis=0).sum(), (W != 0).sum(axis=1)].astype(int)})
    if target == "level":
        keys = tag(keys, 0, "event_average", 0.0, float(events.max()))
    pick = {"event": np.r_[False, np.ones(events.size, bool)]}
    return est, terms, keys, inf, J, pick


def _bootstrap(Z, J, vcov_a, est, keys, pick, n_boot, seed, boot_weights, alpha):
    """Multiplier bootstrap of the influence functions: sup-t critical values per curve
    (or over the event times), bootstrap (IQR) standard errors on the vcov diagonal.

    The multipliers act on the few columns of ``Z``; the draws of the terms are their
    image under ``J`` (the bootstrap is linear in the influence functions)."""
    boot = multiplier_bootstrap(Z, int(n_boot), seed=seed, weights=boot_weights,
                                alpha=alpha)
    draws = boot.draws @ J
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0)
    sigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))  # R did's scale
    se_boot = np.where(sigma > SE_TINY, sigma, np.nan)  # as multiplier_bootstrap
    se_boot = se_boot / np.sqrt(Z.shape[0])
    vcov = bootstrap_vcov(vcov_a, se_boot)
    se = np.sqrt(np.diag(vcov))
    crit, notes = {}, []
    keys = keys.copy()
    for name, cols in pick.items():
        c, note = sup_t_critical_value(draws, cols & np.isfinite(se_boot), alpha)
        crit[name] = c
        if note:
            notes.append(note)
    crit_value = crit.get("event")
    if "event" not in pick:
        low, high = np.full(est.size, np.nan), np.full(est.size, np.nan)
        for name, cols in pick.items():
            if crit[name] is not None:
                low[cols] = est[cols] - crit[name] * se[cols]
                high[cols] = est[cols] + crit[name] * se[cols]
        keys["uniform_low"], keys["uniform_high"] = low, high
    return vcov, draws, crit, keys, crit_value, notes
