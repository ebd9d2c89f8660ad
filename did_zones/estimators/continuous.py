"""Continuous-intensity DiD: Callaway, Goodman-Bacon & Sant'Anna (2024), two periods.

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
"""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline

from ..errors import EstimationError, PanelError, SpecificationError
from ..panel import Panel
from ..result import Result
from ..validation import PANEL

__all__ = ["continuous_did", "ContinuousDidExtra", "bspline_basis"]


class ContinuousDidExtra(TypedDict):
    """Keys of ``Result.extra`` for :func:`continuous_did`."""

    dose_grid: np.ndarray        # the doses at which ATT(d) and ACRT(d) are evaluated
    knots: np.ndarray            # full clamped knot vector of the B-spline basis
    degree: int
    coefficients: np.ndarray     # basis coefficients (intercept first)
    n_treated: int
    n_control: int
    base_period: int
    post_period: int


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


def _unit_changes(panel: Panel, outcome: str, dose: str):
    """ΔY and the (time-invariant) dose per unit, with the checks of the 2-period design."""
    if panel.n_periods != 2:
        raise PanelError(
            f"continuous_did needs a two-period panel (base period g-1 and post period g); "
            f"this panel has {panel.n_periods} periods. Keep two periods, e.g. "
            f"panel.window(g - 1, g) for cohort g.")
    cohorts = panel.cohorts
    if cohorts.size != 1 or cohorts[0] != panel.periods[1]:
        raise PanelError(
            f"continuous_did needs one treated cohort, first treated in the second period "
            f"({int(panel.periods[1])}); found cohorts {[float(c) for c in cohorts]}. "
            f"Keep the units treated in period {int(panel.periods[1])} and never-treated units.")
    if not panel.is_balanced:
        raise PanelError(f"continuous_did needs a balanced panel; {panel.n_obs} rows for "
                         f"{panel.n_units} units × 2 periods. Drop units missing a period.")
    y = panel.column(outcome)
    d = panel.column(dose)
    for name, values in ((outcome, y), (dose, d)):
        bad = ~np.isfinite(values)
        if bad.any():
            units = panel.units[np.unique(panel.unit_id[bad])]
            raise PanelError(
                f"Column {name!r} is missing or infinite in {int(bad.sum())} rows "
                f"({len(units)} units, e.g. {list(units[:5])}). Drop those units first.")
    n = panel.n_units
    y2 = np.empty((n, 2))
    y2[panel.unit_id, panel.period_id] = y
    d2 = np.empty((n, 2))
    d2[panel.unit_id, panel.period_id] = d
    varying = d2[:, 0] != d2[:, 1]
    if varying.any():
        raise PanelError(
            f"Dose {dose!r} must be constant within unit; it changes for {int(varying.sum())} "
            f"units (e.g. {list(panel.units[varying][:5])}). Use the unit's dose in the post "
            f"period in both rows.")
    dose_u = d2[:, 0]
    treated = np.isfinite(panel.cohort)
    wrong = (treated & (dose_u <= 0)) | (~treated & (dose_u != 0))
    if wrong.any():
        raise PanelError(
            f"Treated units need a dose > 0 and never-treated units a dose of 0; "
            f"{int(wrong.sum())} units break this (e.g. {list(panel.units[wrong][:5])}).")
    return y2[:, 1] - y2[:, 0], dose_u, treated


def continuous_did(panel: Panel, outcome: str, *, dose: str, degree: int = 3,
                   num_knots: int = 0, dose_grid: Any = None) -> Result:
    """Continuous-treatment DiD of Callaway, Goodman-Bacon & Sant'Anna (2024), 2 periods.

    Parameters
    ----------
    panel : Panel
        Two periods; the units treated in the second period and never-treated units.
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

    Returns
    -------
    Result
        Terms ``att_overall`` (primary), ``acrt_overall``, then ``att_d_000``... and
        ``acrt_d_000``... on the dose grid (``keys`` columns ``parameter`` and ``dose``).
        Influence functions per unit give the variance (the sandwich of diff-diff's
        analytic standard errors; the grid is taken as fixed and ACRT^o's variance omits
        the sampling of the dose distribution, as there). ``extra`` keys:
        :class:`ContinuousDidExtra`.

    Raises
    ------
    PanelError
        Not two periods, not one cohort treated in period 2, unbalanced, missing values,
        a dose that varies within unit, or doses inconsistent with treatment.
    SpecificationError
        ``degree`` < 1, ``num_knots`` < 0, or a dose grid outside the treated doses.
    EstimationError
        Too few treated units for the basis, or no never-treated units.

    Notes
    -----
    ``ATT(d) = E[ΔY | D = d] − E[ΔY | D = 0]`` under strong parallel trends;
    ``ACRT(d) = ∂ATT(d)/∂d``; ``ATT^o = E[ATT(D) | D > 0]``;
    ``ACRT^o = E[ACRT(D) | D > 0]``.

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
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1:
        raise SpecificationError(f"degree must be an integer >= 1; got {degree!r}.")
    if (isinstance(num_knots, bool) or not isinstance(num_knots, (int, np.integer))
            or num_knots < 0):
        raise SpecificationError(f"num_knots must be an integer >= 0; got {num_knots!r}.")
    dy, dose_u, treated = _unit_changes(panel, outcome, dose)
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
    d1, dy1, dy0 = dose_u[treated], dy[treated], dy[~treated]
    if dose_grid is None:
        grid = np.quantile(d1, np.arange(0.10, 0.99 + 0.005, 0.01))
    else:
        grid = np.atleast_1d(np.asarray(dose_grid, dtype=float))
        off = (grid < d1.min()) | (grid > d1.max()) | ~np.isfinite(grid)
        if off.any() or grid.size == 0:
            raise SpecificationError(
                f"dose_grid must lie within the treated doses [{d1.min():g}, {d1.max():g}]; "
                f"{int(off.sum())} of {grid.size} values do not (e.g. {list(grid[off][:5])}).")

    knots = _knots(d1, degree, num_knots)
    psi = bspline_basis(d1, knots, degree)
    dpsi = bspline_basis(d1, knots, degree, derivative=True)
    mu0 = dy0.mean()
    target = dy1 - mu0
    gram = psi.T @ psi / n1
    if np.linalg.matrix_rank(gram) < n_basis:
        raise EstimationError(
            f"The dose basis is collinear among the {n1} treated units (too few distinct "
            f"doses, {np.unique(d1).size}, for {n_basis} basis functions). Lower degree "
            f"or num_knots.")
    bread = np.linalg.inv(gram)
    beta = bread @ (psi.T @ target) / n1
    resid = target - psi @ beta
    psi_g = bspline_basis(grid, knots, degree)
    dpsi_g = bspline_basis(grid, knots, degree, derivative=True)
    att_o = dy1.mean() - mu0
    dpsi_bar = dpsi.mean(axis=0)
    acrt_o = float(dpsi_bar @ beta)

    # influence functions, one row per unit (treated rows first), scaled so that
    # estimate − θ ≈ mean(row): the score divided by the group share
    n = n1 + n0
    pert = np.vstack([(psi * resid[:, None]) @ bread.T * (n / n1),
                      -np.outer(dy0 - mu0, bread @ psi.mean(axis=0)) * (n / n0)])
    inf_att_o = np.r_[(dy1 - dy1.mean()) * (n / n1), -(dy0 - mu0) * (n / n0)]
    influence = np.column_stack([inf_att_o, pert @ dpsi_bar, pert @ psi_g.T, pert @ dpsi_g.T])
    estimate = np.r_[att_o, acrt_o, psi_g @ beta, dpsi_g @ beta]
    vcov = influence.T @ influence / n ** 2

    k = grid.size
    terms = (["att_overall", "acrt_overall"] + [f"att_d_{i:03d}" for i in range(k)]
             + [f"acrt_d_{i:03d}" for i in range(k)])
    base, post = int(panel.periods[0]), int(panel.periods[1])
    keys = pd.DataFrame({
        "parameter": ["att_overall", "acrt_overall"] + ["att"] * k + ["acrt"] * k,
        "dose": np.r_[np.nan, np.nan, grid, grid],
        "cohort": post, "time": post, "event_time": 0,
    })
    order = np.r_[np.flatnonzero(treated), np.flatnonzero(~treated)]
    extra: ContinuousDidExtra = {
        "dose_grid": grid, "knots": knots, "degree": int(degree), "coefficients": beta,
        "n_treated": n1, "n_control": n0, "base_period": base, "post_period": post,
    }
    return Result.create(
        estimate, vcov, terms, keys=keys, method="continuous_did", outcome=outcome,
        spec={"dose": dose, "degree": int(degree), "num_knots": int(num_knots),
              "dose_grid": None if dose_grid is None else grid.tolist()},
        n_obs=panel.n_obs, n_units=n, primary="att_overall", influence=influence,
        influence_index=panel.units[order], extra=extra,
        panel_fingerprint=panel.fingerprint, panel_shape=(panel.n_units, panel.n_periods))
