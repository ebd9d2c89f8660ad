"""de Chaisemartin & D'Haultfœuille (2020): the weights hidden in the TWFE coefficient.

Under common trends the coefficient of ``y_it = α_i + λ_t + β·D_it (+ X_it'γ) + ε_it`` is
``β = Σ_{D=1} W_it Δ_it``, a weighted sum of the treatment effects of the treated
unit-periods, with ``W_it ∝ ε_it``, the residual of the treatment on the unit and period
effects (and controls). Those weights sum to one but can be negative (late periods of early
cohorts), so β can even take the opposite sign of every effect. Everything is one
projection of the treatment on the fixed effects (``did_zones.design.Absorber``) plus bincounts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..design import Absorber, usable_rows
from ..errors import DataDroppedWarning, EstimationError, SpecificationError, warn
from ..panel import Panel
from ..result import Result
from ..validation import (
    PANEL,
    ColumnName,
    as_tuple,
    check_columns,
    check_weights,
    examples,
)

__all__ = ["twfe_weights"]

ZERO = 1e-10  # |weight| below this counts as zero (Stata/R twowayfeweights' threshold)
_COLLINEAR = 1e-10  # relative residual sum of squares below which a control is dropped


@records_panel
def twfe_weights(
    panel: Panel,
    outcome: str | None = None,
    *,
    controls: str | Sequence[str] = (),
    weights: str | None = None,
) -> Result:
    r"""Weights of the TWFE coefficient on cohort-period treatment effects (dCDH 2020).

    The diagnostic of Stata/R ``twowayfeweights`` with ``type(feTR)``: the weight each
    treated cell receives in the two-way fixed-effects coefficient, how many weights are
    negative and how much they sum to, and how much effect heterogeneity it takes for β
    to have the wrong sign.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`; balanced or not. The treatment is the panel's
        absorbing indicator ``time >= cohort``.
    outcome : str, optional
        Outcome column. Needed for β and the two sensitivity measures; the weights
        themselves depend only on the design (without an outcome, β and the measures are
        NaN and every row with non-missing controls and weights is used).
    controls : str or sequence of str
        Time-varying controls in the regression. The weights then come from the residual
        of the treatment on the fixed effects and the controls, and the decomposition
        holds under common trends conditional on the controls (linear). Controls collinear
        with the fixed effects are dropped with a warning naming them.
    weights : str, optional
        Column of positive analytic weights (Stata ``[aw=w]``); cell sizes ``N_gt``
        become sums of weights.

    Returns
    -------
    Result
        Terms ``"twfe"`` (β, ``primary``; only with an outcome), then one
        ``"w:<cohort>:<period>"`` per treated cohort × period cell, whose estimate is the
        cell's weight ``W_gt`` (the weights sum to one and ``β = Σ W_gt Δ_gt``). ``keys``:
        ``kind`` (``"twfe"`` or ``"weight"``), ``cohort``, ``time``, ``event_time``,
        ``n_units``, ``share`` (``N_gt/N_1``), ``w`` (the paper's ``w_gt = W_gt/share``)
        and ``n_negative_units``. ``vcov`` is NaN (weights are design quantities).
        ``stats``: ``beta``, ``n_cells``, ``n_positive``, ``n_negative``,
        ``share_positive``/``share_negative`` (shares of cells with a positive/negative
        weight), ``sum_positive``, ``sum_negative``, the same over unit-period cells
        (``n_unit_cells``, ``n_positive_unit_cells``, ``n_negative_unit_cells``,
        ``share_negative_unit_cells``, ``sum_negative_unit_cells``,
        the numbers ``twowayfeweights`` prints with the unit as group), ``sigma_w``,
        ``sigma_fe``, ``sigma_fe_stata`` and ``sigma_fe_opposite``. ``extra``:
        ``weights`` (the cell table), ``unit_weights`` (one row per treated unit-period:
        unit, time, cohort, weight, w), ``dropped_controls``.

    Raises
    ------
    SpecificationError
        ``panel`` is not a Panel, unknown columns, a control listed twice or equal to the
        outcome, non-positive weights.
    EstimationError
        No usable rows, or the treatment does not vary once unit and period effects (and
        controls) are removed.

    Warns
    -----
    DataDroppedWarning
        Rows with missing outcome, controls or weights (counted in ``notes``); controls
        collinear with the fixed effects.

    Notes
    -----
    **Weights** (Theorem 1). Let ``ε_it`` be the residual of ``D_it`` on unit and period
    effects (and controls), weighted by ``w_it`` (1 without weights), ``N_1 = Σ_{D=1} w``.
    Each treated unit-period gets

    .. math::

        W_{it} = \frac{w_{it}\,ε_{it}}{\sum_{D=1} w\,ε},\qquad
        \hat β_{fe} = \sum_{D=1} W_{it}\,Δ_{it}
        \quad\text{(exact when } y_{it} = α_i + λ_t + X_{it}'γ + D_{it}Δ_{it}).

    The paper writes ``W_it = (N_it/N_1) w_it``; ``w_it = ε_it / Σ_{D=1}(N/N_1)ε`` is
    reported as ``w``. Cohort × period cells (the terms) add up their units' ``W``; in a
    balanced panel without weights every unit of a cell has the same ``ε``. The counts
    and sums treat ``|W| < 1e-10`` as zero, as ``twowayfeweights`` does.

    **Sensitivity** (Corollary 1), over treated unit-periods with ``p_it = w_it/N_1``:
    ``σ(w) = (Σ p (w − 1)²)^{1/2}`` and ``sigma_fe = |β|/σ(w)``, the smallest standard
    deviation of the effects ``σ(Δ)`` compatible with β when the average treatment effect
    on the treated is zero. ``sigma_fe_stata`` is the number the Stata/R command prints
    (with units as groups): its ``σ(w)`` is a sample standard deviation over the ``n``
    treated cells, i.e. ``sigma_fe·((n−1)/n)^{1/2}``. ``sigma_fe_opposite`` (only when some
    weight is negative) is the smallest ``σ(Δ)`` compatible with β and effects all of the
    opposite sign to β: with the ``w`` sorted decreasingly and suffix sums
    ``P_k = Σ_{j≥k} p_(j)``, ``S_k = Σ_{j≥k} p_(j) w_(j)``, ``T_k = Σ_{j≥k} p_(j) w_(j)²``,
    ``s = min{k ≥ 2: w_(k) < −S_k/(1 − P_k)}`` and
    ``sigma_fe_opposite = |β| / (T_s + S_s²/(1 − P_s))^{1/2}``. The minimiser is
    ``Δ = 0`` on the cells before ``s`` and ``Δ_(k) ∝ w_(k) + S_s/(1−P_s)`` after. Both
    measures are the same whether cells are unit-periods or cohort-periods (in a balanced
    panel), since identical weights receive identical effects at the optimum. Unlike the
    Stata command, treated cells whose weight is zero stay in the population over which
    ``σ(Δ)`` is taken.

    References
    ----------
    de Chaisemartin, C. & D'Haultfœuille, X. (2020). Two-way fixed effects estimators with
    heterogeneous treatment effects. American Economic Review 110(9), 2964–2996.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.twfe_weights(panel, "isu")
    >>> round(float(res.estimate.drop("twfe").sum()), 12)
    1.0
    >>> res.stats["n_negative"] >= 0
    True
    """
    controls = _check_inputs(panel, outcome, controls, weights)
    cols = ([outcome] if outcome is not None else []) + list(controls)
    cols += [weights] if weights is not None else []
    if weights is not None:
        check_weights(panel, weights)
    if cols:
        keep, drop_notes = usable_rows(panel, cols)
    else:
        keep, drop_notes = np.ones(panel.n_obs, dtype=bool), ()
    if not keep.any():
        raise EstimationError(f"No usable row: every row misses one of {cols}.")
    rows = np.flatnonzero(keep)
    w = np.ones(rows.size) if weights is None else panel.column(weights)[rows]
    if weights is not None and (w <= 0).any():
        bad = panel.units[np.unique(panel.unit_id[rows[w <= 0]])]
        raise SpecificationError(
            f"Weights {weights!r} must be positive; {int((w <= 0).sum())} row(s) are not, "
            f"e.g. units {examples(bad)}. Drop those rows first."
        )
    uid, tid = panel.unit_id[rows], panel.period_id[rows]
    d = panel.treated[rows].astype(float)

    # one projection of [D, X, y] on unit and period effects
    cols_in = [d] + [panel.column(c)[rows] for c in controls]
    if outcome is not None:
        cols_in.append(panel.column(outcome)[rows])
    fe = Absorber.from_codes([uid, tid], weights=w)
    R = fe.residualize(np.column_stack(cols_in), tol=1e-14)
    dt = R[:, 0]
    Xt = R[:, 1:1 + len(controls)]
    yt = R[:, -1] if outcome is not None else None

    notes = list(panel.notes) + list(drop_notes)
    kept, dropped = _independent(np.column_stack(cols_in)[:, 1:1 + len(controls)], Xt, w,
                                 controls)
    if dropped:
        msg = (f"Control(s) {dropped} dropped: collinear with the unit and period effects "
               "or the other controls.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    Xk = Xt[:, kept]
    eps = dt
    if Xk.shape[1]:
        sw = np.sqrt(w)
        gamma = np.linalg.lstsq(Xk * sw[:, None], dt * sw, rcond=None)[0]
        eps = dt - Xk @ gamma
    see = float(np.dot(w, eps * eps))
    if see <= 1e-12 * max(float(np.dot(w, d * d)), 1.0):
        raise EstimationError(
            "The treatment does not vary once unit and period effects (and controls) are "
            "removed, so the TWFE coefficient and its weights are not defined. Check that "
            "the panel has treated and untreated periods and comparison units."
        )
    beta = float(np.dot(w, eps * yt) / see) if yt is not None else np.nan

    treated = d == 1.0
    n1 = float(w[treated].sum())
    denom = float(np.dot(w[treated], eps[treated]))
    W = w[treated] * eps[treated] / denom  # sums to one
    p = w[treated] / n1
    wp = eps[treated] * n1 / denom  # the paper's w_it = W_it / p_it

    sigma_w = float(np.sqrt(np.dot(p, (wp - 1.0) ** 2)))
    n_tr = int(treated.sum())
    sigma_fe = abs(beta) / sigma_w if sigma_w > 0 else np.nan
    sigma_fe_stata = (sigma_fe * np.sqrt((n_tr - 1) / n_tr)) if n_tr > 1 else np.nan
    opposite = _sigma_opposite(beta, wp, p) if (W < -ZERO).any() else np.nan

    # cohort x period cells
    T = panel.n_periods
    g_tr = panel.row_cohort[rows][treated]
    t_tr = tid[treated]
    # cohort codes per unit (few units, many rows), then dense cell codes by bincount
    cohorts, unit_gi = np.unique(panel.cohort, return_inverse=True)
    code = unit_gi[uid[treated]] * T + t_tr
    present = np.bincount(code, minlength=cohorts.size * T) > 0
    cells = np.flatnonzero(present)
    inv = (np.cumsum(present) - 1)[code]
    W_c = np.bincount(inv, weights=W)
    p_c = np.bincount(inv, weights=p)
    n_c = np.bincount(inv)
    neg_c = np.bincount(inv, weights=(W < -ZERO).astype(float)).astype(int)
    cell_g = cohorts[cells // T]
    cell_t = panel.periods[cells % T]
    table = pd.DataFrame({
        "cohort": cell_g, "time": cell_t, "event_time": cell_t - cell_g,
        "weight": W_c, "share": p_c, "w": W_c / p_c, "n_units": n_c,
        "n_negative_units": neg_c,
    })
    table.insert(0, "term", [f"w:{_fmt(g)}:{_fmt(t)}" for g, t in zip(cell_g, cell_t,
                                                                       strict=True)])

    pos_c, negm_c = W_c > ZERO, W_c < -ZERO
    pos_u, negm_u = W > ZERO, W < -ZERO
    stats = {
        "beta": beta, "n_cells": len(table), "n_positive": int(pos_c.sum()),
        "n_negative": int(negm_c.sum()), "share_positive": float(pos_c.mean()),
        "share_negative": float(negm_c.mean()),
        "sum_positive": float(W_c[pos_c].sum()), "sum_negative": float(W_c[negm_c].sum()),
        "n_unit_cells": n_tr, "n_positive_unit_cells": int(pos_u.sum()),
        "n_negative_unit_cells": int(negm_u.sum()),
        "share_negative_unit_cells": float(negm_u.mean()),
        "sum_negative_unit_cells": float(W[negm_u].sum()),
        "sigma_w": sigma_w, "sigma_fe": sigma_fe, "sigma_fe_stata": sigma_fe_stata,
        "sigma_fe_opposite": opposite,
    }
    unit_weights = pd.DataFrame({
        "unit": panel.units[uid[treated]], "time": panel.periods[t_tr], "cohort": g_tr,
        "weight": W, "w": wp,
    })

    n_units = int((np.bincount(uid, minlength=panel.n_units) > 0).sum())
    keys = table[["cohort", "time", "event_time", "n_units", "share", "w",
                  "n_negative_units"]].copy()
    keys.insert(0, "kind", "weight")
    terms = list(table["term"])
    est = W_c
    if outcome is not None:
        keys = pd.concat([pd.DataFrame([{"kind": "twfe", "cohort": np.nan, "time": np.nan,
                                         "event_time": np.nan, "n_units": n_units,
                                         "share": np.nan, "w": np.nan,
                                         "n_negative_units": np.nan}]), keys],
                         ignore_index=True)
        terms = ["twfe", *terms]
        est = np.r_[beta, W_c]
    notes.append("TWFE weights are design quantities without standard errors (vcov is NaN); "
                 "use twfe() for inference on the coefficient.")
    return Result.create(
        est, np.full((len(terms), len(terms)), np.nan), terms, keys=keys,
        method="twfe_weights", outcome=outcome or "",
        spec={"controls": controls, "weights": weights},
        n_obs=int(rows.size), n_units=n_units,
        primary="twfe" if outcome is not None else None, notes=tuple(notes), stats=stats,
        extra={"weights": table, "unit_weights": unit_weights,
               "dropped_controls": tuple(dropped)},
    )


# ----------------------------------------------------------------------------- helpers


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _check_inputs(panel, outcome, controls, weights) -> tuple[str, ...]:
    PANEL("panel", panel)
    ColumnName()("outcome", outcome)
    controls = as_tuple(controls)
    if outcome is not None:
        check_columns(panel.data, [outcome], what="Outcome column")
    check_columns(panel.data, controls, what="Control column")
    if weights is not None:
        check_columns(panel.data, [weights], what="Weights column")
    dup = sorted({c for c in controls if controls.count(c) > 1})
    if dup:
        raise SpecificationError(f"Control(s) {dup} listed more than once; list each once.")
    if outcome is not None and outcome in controls:
        raise SpecificationError(f"The outcome {outcome!r} cannot also be a control.")
    return controls


def _independent(X: np.ndarray, Xt: np.ndarray, w: np.ndarray, names: tuple[str, ...]):
    """Controls kept (indices, in order) and names of those dropped as collinear.

    A control is collinear with the fixed effects when removing them leaves less than
    1e-10 of its (weighted, centred) sum of squares, and with the earlier controls when
    projecting on them leaves less than 1e-10 of what the fixed effects left.
    """
    kept: list[int] = []
    dropped: list[str] = []
    sw = np.sqrt(w)
    for j in range(Xt.shape[1]):
        raw = (X[:, j] - np.dot(w, X[:, j]) / w.sum()) * sw
        x = Xt[:, j] * sw
        ss = float(x @ x)
        if ss <= _COLLINEAR * float(raw @ raw):
            dropped.append(names[j])
            continue
        if kept:
            A = Xt[:, kept] * sw[:, None]
            x = x - A @ np.linalg.lstsq(A, x, rcond=None)[0]
        if float(x @ x) <= _COLLINEAR * ss:
            dropped.append(names[j])
        else:
            kept.append(j)
    return kept, dropped


def _sigma_opposite(beta: float, wp: np.ndarray, p: np.ndarray) -> float:
    """Smallest σ(Δ) compatible with β and effects all of the opposite sign (Corollary 1).

    Cells sorted by weight, decreasing; suffix sums over the lowest weights; the first
    position k ≥ 2 where ``w_(k) < −S_k/(1 − P_k)`` starts the cells with non-zero effects.
    """
    if not np.isfinite(beta):
        return np.nan
    order = np.argsort(-wp, kind="stable")
    ws, ps = wp[order], p[order]
    P = np.cumsum(ps[::-1])[::-1]
    S = np.cumsum((ps * ws)[::-1])[::-1]
    Tk = np.cumsum((ps * ws * ws)[::-1])[::-1]
    rest = 1.0 - P[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = (rest > 0) & (ws[1:] < -S[1:] / rest)
    if not cond.any():
        return np.nan
    k = 1 + int(np.argmax(cond))
    return float(abs(beta) / np.sqrt(Tk[k] + S[k] ** 2 / (1.0 - P[k])))
