"""Frisch–Waugh–Lovell fast path for placebo draws of TWFE-type results.

For ``twfe`` (one treatment indicator) and ``event_study`` (event-time indicators) a
placebo draw changes only the cohort of every unit, hence only the treatment regressors:
the sample, the outcome, the controls and the fixed effects stay the same. So the outcome
and the controls are residualised on the fixed effects once (``ỹ``, ``X̃``), the outcome is
also partialled on the controls (``ŷ = M_X̃ ỹ``), and for every draw only the treatment
columns ``D`` are residualised: ``D̆ = M_X̃ M_FE D`` and ``β = (D̆'WD̆)⁻¹ D̆'Wŷ``
(Frisch–Waugh–Lovell; ``W`` the analytic weights).

``M_FE D`` is the design layer's :class:`~did_zones.design.Absorber`: closed form on a
balanced panel (``D − D̄_i· − D̄_·t + D̄``), the exact two-block solve when one dimension
has few levels (unbalanced, weighted), alternating projections otherwise; one call
residualises the treatment columns of a whole chunk of draws at once.

A draw whose regression would differ in form from the real one -- an event-time indicator
absent or added (unbalanced panels, other cohorts), a treatment column collinear with the
fixed effects or the other terms (which the estimator drops or refuses) -- is flagged, and
the caller re-estimates it by the slow path, so the fast path never changes a number.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..design import Absorber, build_design
from ..panel import Panel
from ..result import Result

__all__ = ["FWLPlan", "fwl_plan", "fwl_draws"]

_TOL = 1e-10  # the collinearity rule of fit_absorbed
_CHUNK_CELLS = 4_000_000  # rows x columns of treatment regressors residualised at once


@dataclass(frozen=True, eq=False)
class FWLPlan:
    """What every draw re-uses: the sample, ``ŷ``, ``X̃`` and the fixed effects."""

    method: str
    t: np.ndarray                # period per used row
    unit: np.ndarray             # panel unit code per used row
    w: np.ndarray | None         # analytic weights per used row
    y_hat: np.ndarray            # outcome net of fixed effects and controls
    X_t: np.ndarray              # controls net of the fixed effects (n, p)
    X_proj: np.ndarray           # (X̃'WX̃)⁻¹ X̃'W, (p, n)
    fe: Absorber                 # M_FE, built once for every draw
    term_e: np.ndarray           # event times with an indicator (twfe: [0], "treated")
    lookup: np.ndarray           # event time + offset -> column (-1 none)
    offset: int
    bins: tuple[int, int] | None
    post: np.ndarray             # per column: e >= 0
    support: np.ndarray          # real presence of every event time (event study)
    target: int                  # column of the tested term; -1 = "overall"


def fwl_plan(result: Result, panel: Panel, term: str) -> tuple[FWLPlan | None, str]:
    """The fast-path plan for ``result`` and ``term``, or None and the reason it does not apply."""
    spec = result.spec
    fes = tuple(spec.get("fixed_effects", ()))
    flat = [s for f in fes for s in (f if isinstance(f, tuple | list) else (f,))]
    if "cohort" in flat and "cohort" not in panel.data.columns:
        return None, "cohort fixed effects change with every placebo assignment"
    if result.method == "twfe":
        if spec.get("treatment") is not None:
            return None, "the result uses its own treatment column"
        if term != "treated":
            return None, f"term {term!r} is not the treatment coefficient"
        if result.extra.get("dropped_controls"):
            return None, "the real fit dropped collinear controls"
        term_e, bins = np.array([0]), None
        target = 0
    elif result.method == "event_study":
        if spec.get("window") is not None and not spec.get("bin_endpoints"):
            return None, "a trimmed window makes the sample depend on the cohorts"
        if result.extra.get("dropped_terms") or result.extra.get("dropped_controls"):
            return None, "the real fit dropped collinear terms"
        keys = result.keys
        lead_lag = keys.index[keys["role"].isin(["lead", "lag"])]
        if term not in lead_lag and term != "overall":
            return None, f"term {term!r} is not an event-time coefficient"
        term_e = keys.loc[lead_lag, "event_time"].to_numpy().astype(np.int64)
        bins = spec["window"] if spec.get("bin_endpoints") else None
        target = -1 if term == "overall" else int(np.flatnonzero(lead_lag == term)[0])
    else:
        return None, f"{result.method} is not a TWFE-type estimator"

    with warnings.catch_warnings():  # the real fit has already reported every drop
        warnings.simplefilter("ignore")
        design = build_design(panel, result.outcome, {}, controls=spec.get("controls", ()),
                              fixed_effects=fes, cluster=spec.get("cluster"),
                              weights=spec.get("weights"))
    w = design.weights
    fe = Absorber(design.fe_codes, weights=w)
    both = fe.residualize(np.column_stack([design.y, design.X]))
    y_t, X_t = both[:, 0], both[:, 1:]
    ww = np.ones(design.n_obs) if w is None else w
    XtW = (X_t * ww[:, None]).T
    X_proj = np.linalg.solve(XtW @ X_t, XtW) if X_t.shape[1] else np.zeros((0, design.n_obs))
    y_hat = y_t - X_t @ (X_proj @ y_t)

    rows = design.rows
    t = panel.time_values[rows]
    unit = panel.unit_id[rows]
    span = int(panel.periods.max() - panel.periods.min())
    offset = span
    lookup = np.full(2 * span + 1, -1, dtype=np.int64)
    if result.method == "twfe":
        lookup[offset:] = 0  # every row at or after the cohort is treated
    else:
        lookup[term_e + offset] = np.arange(term_e.size)
    plan = FWLPlan(result.method, t, unit, w, y_hat, X_t, X_proj, fe, term_e, lookup,
                   offset, bins, term_e >= 0, np.zeros(0, bool), target)
    support = _support(plan, panel.cohort[None, :])[0]
    return _replace_support(plan, support), ""


def _replace_support(plan: FWLPlan, support: np.ndarray) -> FWLPlan:
    from dataclasses import replace

    return replace(plan, support=support)


def _event(plan: FWLPlan, cohorts: np.ndarray) -> np.ndarray:
    """(n, b) event time + offset per used row and draw (binned); -1 for never-treated."""
    g = cohorts.T[plan.unit]  # (n, b)
    never = ~np.isfinite(g)
    e = plan.t[:, None] - g
    if plan.bins is not None:
        e = np.clip(e, plan.bins[0], plan.bins[1])
    e += plan.offset
    e[never] = -1
    return e.astype(np.int64)


def _support(plan: FWLPlan, cohorts: np.ndarray) -> np.ndarray:
    """(b, 2·span + 1) presence of every event time among the used rows of each draw."""
    if plan.method == "twfe":
        return np.zeros((cohorts.shape[0], 0), dtype=bool)
    e = _event(plan, cohorts)
    width = plan.lookup.size
    b_idx = np.broadcast_to(np.arange(e.shape[1]), e.shape)
    ok = e >= 0
    flat = b_idx[ok] * width + e[ok]
    return np.bincount(flat, minlength=e.shape[1] * width).reshape(-1, width) > 0


def _demean(plan: FWLPlan, V: np.ndarray) -> np.ndarray:
    return plan.fe.residualize(V)


def fwl_draws(plan: FWLPlan, cohorts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Estimates of the planned term for every row of ``cohorts`` (draws × units).

    Returns
    -------
    values : (b,) array
        NaN where the draw must be re-estimated by the slow path.
    redo : (b,) bool array
        Draws whose regression differs in form from the real one (see the module notes).
    """
    B = cohorts.shape[0]
    n, K = plan.t.size, plan.term_e.size
    values = np.full(B, np.nan)
    redo = np.zeros(B, dtype=bool)
    step = max(1, _CHUNK_CELLS // (n * K))
    for lo in range(0, B, step):
        hi = min(B, lo + step)
        values[lo:hi], redo[lo:hi] = _chunk(plan, cohorts[lo:hi])
    return values, redo


def _chunk(plan: FWLPlan, cohorts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if plan.method == "twfe":
        return _chunk_twfe(plan, cohorts)
    b = cohorts.shape[0]
    n, K = plan.t.size, plan.term_e.size
    e = _event(plan, cohorts)
    col = np.where(e >= 0, plan.lookup[np.maximum(e, 0)], -1)  # (n, b)
    redo = (_support(plan, cohorts) != plan.support[None, :]).any(axis=1)
    D = (col[:, :, None] == np.arange(K)).astype(float)  # (n, b, K) indicators
    w = np.ones(n) if plan.w is None else plan.w
    raw = np.einsum("n,nbk->bk", w, D)  # D is 0/1: raw sum of squares = weighted count
    Dt = _demean(plan, D.reshape(n, b * K))
    # collinearity, as fit_absorbed: within SS, then Cholesky pivots of the FE-net gram
    Dw = (Dt * w[:, None]).reshape(n, b, K).transpose(1, 2, 0)  # (b, K, n)
    M = Dw @ Dt.reshape(n, b, K).transpose(1, 0, 2)            # (b, K, K)
    within = np.diagonal(M, axis1=1, axis2=2)
    redo |= ((within <= _TOL * raw) | (within == 0)).any(axis=1)
    redo |= _bad_pivots(M, within)
    if plan.X_t.shape[1]:
        Dt = Dt - plan.X_t @ (plan.X_proj @ Dt)
        Dw = (Dt * w[:, None]).reshape(n, b, K).transpose(1, 2, 0)
        M = Dw @ Dt.reshape(n, b, K).transpose(1, 0, 2)
    rhs = Dw @ plan.y_hat                                        # (b, K)
    ok = ~redo
    beta = np.full((b, K), np.nan)
    if ok.any():
        beta[ok] = np.linalg.solve(M[ok], rhs[ok][..., None])[..., 0]
    if plan.target >= 0:
        return beta[:, plan.target], redo
    post = plan.post
    share = raw[:, post] / raw[:, post].sum(axis=1, keepdims=True)
    return (share * beta[:, post]).sum(axis=1), redo


def _chunk_twfe(plan: FWLPlan, cohorts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One treatment column per draw: everything is a column-wise product."""
    D = (plan.t[:, None] >= cohorts.T[plan.unit]).astype(float)  # (n, b)
    w = np.ones(plan.t.size) if plan.w is None else plan.w
    raw = w @ D
    Dt = _demean(plan, D)
    within = w @ (Dt * Dt)
    redo = (within <= _TOL * raw) | (within == 0)
    if plan.X_t.shape[1]:
        Dt -= plan.X_t @ (plan.X_proj @ Dt)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = ((w * plan.y_hat) @ Dt) / (w @ (Dt * Dt))
    beta[redo] = np.nan
    return beta, redo


def _bad_pivots(M: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Per draw: some column's residual SS on the earlier columns <= 1e-10 × its within SS."""
    bad = np.zeros(M.shape[0], dtype=bool)
    if M.shape[1] == 1:
        return bad
    try:
        L = np.linalg.cholesky(M)
    except np.linalg.LinAlgError:  # some draw is singular: check them one by one
        for i in range(M.shape[0]):
            try:
                np.linalg.cholesky(M[i])
            except np.linalg.LinAlgError:
                bad[i] = True
        good = ~bad
        if good.any():
            bad[good] = _bad_pivots(M[good], within[good])
        return bad
    piv = np.diagonal(L, axis1=1, axis2=2) ** 2
    return (piv <= _TOL * within).any(axis=1)
