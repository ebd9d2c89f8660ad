"""Goodman-Bacon (2021) decomposition of the static TWFE coefficient into 2×2 comparisons.

In a balanced panel with staggered, absorbing treatment the TWFE coefficient of
``y_it = α_i + λ_t + β·D_it + ε_it`` is exactly a weighted average of every 2×2
difference-in-differences that can be formed from two timing groups (or a timing group and
the never-treated), with weights that depend only on group sizes and on where in the panel
each group is treated (Goodman-Bacon 2021, Theorem 1). Everything here is a difference of
group-by-period means, so it is computed from one ``bincount`` of the outcome by group and
period; the loops run over pairs of cohorts only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..design import Absorber
from ..errors import DataDroppedWarning, EstimationError, PanelError, SpecificationError, warn
from ..panel import Panel
from ..result import Result
from ..validation import (
    PANEL,
    ColumnName,
    as_tuple,
    check_columns,
    check_outcome_varies,
    check_weights,
    examples,
)
from .twfe_weights import _independent

__all__ = ["bacon_decomposition", "TYPES"]

#: Comparison types, with the labels of R ``bacondecomp`` / Stata ``bacondecomp``.
EARLY_LATE = "Earlier vs Later Treated"
LATE_EARLY = "Later vs Earlier Treated"
TREATED_NEVER = "Treated vs Never Treated"
BOTH = "Both Treated"  # with controls: one comparison per pair of timing groups
WITHIN = "Within"  # with controls: variation within timing group x period cells
TYPES: tuple[str, ...] = (EARLY_LATE, LATE_EARLY, BOTH, TREATED_NEVER, WITHIN)
_STAT_KEYS = {EARLY_LATE: "earlier_vs_later", LATE_EARLY: "later_vs_earlier",
              BOTH: "both_treated", TREATED_NEVER: "treated_vs_never", WITHIN: "within"}


@records_panel
def bacon_decomposition(
    panel: Panel,
    outcome: str,
    *,
    weights: str | None = None,
    controls: str | Sequence[str] = (),
) -> Result:
    r"""Goodman-Bacon decomposition of the two-way fixed-effects DiD coefficient.

    Parameters
    ----------
    panel : Panel
        Balanced staggered-adoption panel from :func:`did_zones.build_panel`. Units treated
        from the first period on (always-treated) are dropped by ``build_panel``, so the
        "treated vs always-treated" comparisons of the paper never arise.
    outcome : str
        Outcome column.
    weights : str, optional
        Column of positive unit weights (constant within unit, e.g. population in a base
        year). Group means become weighted means and group shares weighted shares; the
        decomposition is then that of the weighted TWFE regression (Stata
        ``reghdfe [aw=w]``).
    controls : str or sequence of str
        Time-varying controls (Goodman-Bacon 2021, section 5; Stata/R ``bacondecomp`` with
        covariates). The coefficient of the TWFE regression with controls is split into a
        *within* term (variation of the controls inside timing-group × period cells) and
        *between* terms, one per pair of groups over all periods (types ``"Both
        Treated"`` and ``"Treated vs Never Treated"``); the earlier/later split of the
        uncontrolled decomposition does not exist then. Controls collinear with the unit
        and period effects are dropped with a warning.

    Returns
    -------
    Result
        Terms ``"twfe"`` (the TWFE coefficient, ``primary``), then one ``"2x2:<g>v<k>"`` per
        comparison (``k`` = ``never`` for the never-treated) and, with controls,
        ``"within"``. ``estimate`` holds the 2×2
        estimates; ``keys`` has ``cohort`` (the treated group), ``control_cohort`` (``inf``
        = never treated), ``type``, ``weight``, ``window_start``/``window_end`` (periods of
        the 2×2 subsample), ``n_treated``/``n_control`` (units). ``extra["comparisons"]`` is
        the same tidy table (``term, type, cohort, control_cohort, estimate, weight, ...``),
        ``extra["by_type"]`` the total weight, weighted-average estimate and number of
        comparisons of each type; ``stats`` has ``twfe``, ``weight_sum``,
        ``decomposition_error`` (``|β − Σ s·β̂_2x2|``), ``var_d`` (the residualised
        treatment variance ``V̂^D``) and, per type ``x`` in ``earlier_vs_later``,
        ``later_vs_earlier``, ``treated_vs_never`` (with controls ``both_treated``,
        ``treated_vs_never``, ``within``), ``weight_x`` and ``estimate_x``; with controls
        also ``omega``, the weight of the between terms.
        The decomposition has no sampling variance of its own: ``vcov`` is all NaN, so
        standard errors, p-values and intervals are NaN. Use :func:`did_zones.twfe` for
        inference on β.

    Raises
    ------
    SpecificationError
        ``panel`` is not a Panel, unknown columns, a control listed twice or equal to the
        outcome, weights not positive or varying within a unit.
    PanelError
        The panel is unbalanced (including rows with a missing outcome, control or
        weight): the message counts the incomplete units and names the fixes.
    EstimationError
        The treatment does not vary after removing unit and period effects (one timing
        group and no never-treated units).

    Warns
    -----
    DataDroppedWarning
        Controls collinear with the unit and period effects (named).

    Notes
    -----
    With timing groups ``k`` first treated at period position ``t_k`` (``T`` periods),
    weighted group shares ``n_k``, never-treated share ``n_U``, the share of periods
    treated ``D̄_k = (T − t_k)/T`` and group means ``ȳ_k(t)``, the three 2×2 estimators are

    * treated vs never treated, all ``T`` periods:
      :math:`\hat β_{kU} = [\bar y_k^{POST(k)} − \bar y_k^{PRE(k)}]
      − [\bar y_U^{POST(k)} − \bar y_U^{PRE(k)}]`;
    * earlier (``k``) vs later (``l``) treated, periods before ``t_l``: ``k`` switches at
      ``t_k``, ``l`` is still untreated;
    * later (``l``) vs earlier (``k``) treated, periods from ``t_k`` on: ``l`` switches at
      ``t_l``, ``k`` is already treated and serves as control (the comparison that
      biases TWFE when effects change over time);

    each a difference of four means. Their weights (Theorem 1, eqs. 10e–g) are

    .. math::

        s_{kU} = \frac{n_k n_U \bar D_k (1-\bar D_k)}{\hat V^D},\quad
        s^k_{kl} = \frac{n_k n_l (\bar D_k - \bar D_l)(1-\bar D_k)}{\hat V^D},\quad
        s^l_{kl} = \frac{n_k n_l \bar D_l (\bar D_k - \bar D_l)}{\hat V^D},

    (the paper's ``(n_k+n_l)^2 n_{kl}(1-n_{kl})`` factors simplify to ``n_k n_l``), with
    ``V̂^D`` the variance of the treatment dummy net of unit and period effects. They sum
    to one and ``Σ s·β̂ = β̂_TWFE`` exactly; ``stats["decomposition_error"]`` reports the
    floating-point residual (about 1e-16). β is computed independently of the 2×2s, by
    the exact two-way within transformation of a balanced panel.

    **With controls** let ``ε`` be the treatment net of unit and period effects and the
    controls (so ``β = Σwεy/Σwε²``), ``b_kt`` its mean in timing group ``k`` at ``t`` and
    ``r = ε − b``. Then ``β = Ω·β_b + (1 − Ω)·β_w`` with ``β_w = Σwry/Σwr²`` (the
    within term, weight ``Σwr²/Σwε²``) and ``β_b`` the regression of the group-by-period
    means on ``b``; because ``b`` is centred across groups every period, ``β_b`` is a
    weighted average over pairs ``(k, l)`` of ``β_kl = Σ_t Δb_t Δȳ_t / Σ_t Δb_t²``
    (``Δ`` = group ``k`` minus group ``l``, ``ȳ`` = two-way demeaned group means) with
    weights ``∝ n_k n_l Σ_t Δb_t²``. These are the numbers of Stata ``bacondecomp``
    (each pair's estimate there is written as the mix of a controlled 2×2 and a
    between-predicted-treatment term, which adds up to ``β_kl``).

    Cohorts are placed on the observed period grid: with gaps in the periods, a cohort
    first treated in an unobserved period is treated from the next observed one on (its
    treatment path in the regression); a note records any such shift.

    The decomposition needs a balanced panel (every unit in every period with an outcome);
    in unbalanced panels the TWFE coefficient is not a weighted average of these 2×2s.
    Restrict the periods with ``panel.window(start, end)`` or drop the incomplete units
    with ``panel.drop_units(...)``.

    References
    ----------
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
    Journal of Econometrics 225(2), 254–277.
    Goodman-Bacon, A., Goldring, T. & Nichols, A. ``bacondecomp``: Stata module to perform
    a Bacon decomposition of difference-in-differences estimation. Statistical Software
    Components S458676, Boston College.

    Examples
    --------
    >>> import pandas as pd
    >>> import did_zones as dz
    >>> df = pd.DataFrame({"city": [1] * 4 + [2] * 4 + [3] * 4, "year": [1, 2, 3, 4] * 3,
    ...                    "y": [0., 0., 1., 1., 0., 0., 0., 2., 0., 0., 0., 0.]})
    >>> panel = dz.build_panel(df, unit="city", time="year", cohort={1: 3, 2: 4})
    >>> res = dz.bacon_decomposition(panel, "y")
    >>> res.terms
    ['twfe', '2x2:3v4', '2x2:4v3', '2x2:3vnever', '2x2:4vnever']
    >>> round(float((res.keys["weight"][1:] * res.estimate[1:]).sum() - res["twfe"]), 12)
    0.0
    """
    controls = _check_inputs(panel, outcome, weights, controls)
    y, w_unit = _balanced_values(panel, outcome, weights, controls)
    T = panel.n_periods
    uid, tid = panel.unit_id, panel.period_id

    # timing groups on the observed period grid: position of the first treated period
    pos_unit = np.searchsorted(panel.periods, panel.cohort, side="left")  # inf -> T
    never_unit = pos_unit >= T
    notes = list(panel.notes)
    shifted = np.isfinite(panel.cohort) & ~never_unit
    shifted &= panel.periods[np.minimum(pos_unit, T - 1)] != panel.cohort
    if shifted.any():
        notes.append(
            f"{int(shifted.sum())} unit(s) have a cohort that is not an observed period "
            f"(e.g. {examples(np.unique(panel.cohort[shifted]).astype(int))}); they are "
            "treated from the next observed period on, as in the regression."
        )
    group_pos, group_unit = np.unique(pos_unit, return_inverse=True)
    K = group_pos.size
    has_never = bool(never_unit.any())
    label = np.where(group_pos < T, panel.periods[np.minimum(group_pos, T - 1)], np.inf)

    # weighted group-by-period means (one bincount) and group shares
    w_row = w_unit[uid]
    g_row = group_unit[uid]
    W_g = np.bincount(group_unit, weights=w_unit, minlength=K)
    sums = np.bincount(g_row * T + tid, weights=w_row * y, minlength=K * T).reshape(K, T)
    means = sums / W_g[:, None]
    share = W_g / W_g.sum()
    n_units_g = np.bincount(group_unit, minlength=K)
    dbar = (T - group_pos) / T  # share of periods treated (0 for never)

    if controls:
        rows, beta, var_d, dropped = _controlled(panel, y, controls, w_unit, group_unit,
                                                 label, n_units_g)
        if dropped:
            msg = (f"Control(s) {dropped} dropped: collinear with the unit and period "
                   "effects or the other controls.")
            warn(msg, DataDroppedWarning)
            notes.append(msg)
    else:
        dropped = []
        beta, var_d = _twfe_balanced(y, panel.treated.astype(float), uid, tid, w_unit, T)
        rows = _timing_rows(panel, means, share, dbar, group_pos, label, n_units_g, var_d,
                            has_never)

    table = pd.DataFrame(rows)
    table.insert(0, "term", [
        "within" if r["type"] == WITHIN
        else f"2x2:{_fmt(r['cohort'])}v{_fmt(r['control_cohort'])}" for r in rows])
    wsum = float(table["weight"].sum())
    decomposed = float((table["weight"] * table["estimate"]).sum())
    by_type = _by_type(table)

    keys = pd.concat([
        pd.DataFrame([{"type": "TWFE", "cohort": np.nan, "control_cohort": np.nan,
                       "weight": np.nan, "window_start": panel.periods[0],
                       "window_end": panel.periods[-1], "n_treated": int((~never_unit).sum()),
                       "n_control": int(never_unit.sum())}]),
        table.drop(columns=["term", "estimate"]),
    ], ignore_index=True)
    keys["time"] = np.nan
    keys["event_time"] = np.nan
    stats = {"twfe": beta, "weight_sum": wsum, "decomposition_error": abs(beta - decomposed),
             "var_d": var_d, "n_comparisons": len(table)}
    for _, r in by_type.iterrows():
        stats[f"weight_{_STAT_KEYS[r['type']]}"] = float(r["weight"])
        stats[f"estimate_{_STAT_KEYS[r['type']]}"] = float(r["estimate"])
    if controls:
        stats["omega"] = 1.0 - stats.get("weight_within", 0.0)
    notes.append("The Bacon decomposition is descriptive: it has no standard errors (vcov is "
                 "NaN). Use twfe() for inference on the TWFE coefficient.")
    terms = ["twfe", *table["term"]]
    est = np.r_[beta, table["estimate"].to_numpy()]
    return Result.create(
        est, np.full((len(terms), len(terms)), np.nan), terms, keys=keys,
        method="bacon_decomposition", outcome=outcome,
        spec={"weights": weights, "controls": controls},
        n_obs=panel.n_obs, n_units=panel.n_units, primary="twfe", notes=tuple(notes),
        stats=stats, extra={"comparisons": table, "by_type": by_type,
                            "dropped_controls": tuple(dropped)},
    )


# ----------------------------------------------------------------------------- helpers


def _fmt(g: float) -> str:
    if not np.isfinite(g):
        return "never"
    return str(int(g)) if float(g).is_integer() else str(g)


def _check_inputs(panel, outcome, weights, controls) -> tuple[str, ...]:
    PANEL("panel", panel)
    ColumnName(allow_none=False)("outcome", outcome)
    check_columns(panel.data, [outcome], what="Outcome column")
    check_outcome_varies(panel.column(outcome), outcome)
    if weights is not None:
        check_columns(panel.data, [weights], what="Weights column")
    controls = as_tuple(controls)
    check_columns(panel.data, controls, what="Control column")
    dup = sorted({c for c in controls if controls.count(c) > 1})
    if dup:
        raise SpecificationError(f"Control(s) {dup} listed more than once; list each once.")
    if outcome in controls:
        raise SpecificationError(f"The outcome {outcome!r} cannot also be a control.")
    return controls


def _balanced_values(panel: Panel, outcome: str, weights: str | None,
                     controls: tuple[str, ...]):
    """Outcome per row and weight per unit, after checking the panel is balanced."""
    y = panel.column(outcome)
    ok = np.isfinite(y)
    for c in controls:
        ok &= np.isfinite(panel.column(c))
    w = None
    if weights is not None:
        w = check_weights(panel, weights)
    per_unit = np.bincount(panel.unit_id[ok], minlength=panel.n_units)
    short = per_unit < panel.n_periods
    if short.any():
        units = panel.units[short]
        missing = int(panel.n_units * panel.n_periods - ok.sum())
        cols = [outcome, *controls] + ([weights] if weights else [])
        what = repr(cols[0]) if len(cols) == 1 else str(cols)
        raise PanelError(
            f"The Bacon decomposition needs a balanced panel: {int(short.sum())} of "
            f"{panel.n_units} units are not observed with non-missing {what} in all "
            f"{panel.n_periods} periods ({missing} unit-periods missing), e.g. "
            f"{examples(units)}. Restrict the periods with panel.window(start, end) or drop "
            f"the incomplete units with panel.drop_units(units)."
        )
    if w is None:
        return y, np.ones(panel.n_units)
    w_unit = np.empty(panel.n_units)
    w_unit[panel.unit_id] = w
    varies = np.zeros(panel.n_units, dtype=bool)
    varies[panel.unit_id[w_unit[panel.unit_id] != w]] = True
    if varies.any():
        raise SpecificationError(
            f"Weights {weights!r} vary within {int(varies.sum())} unit(s), e.g. "
            f"{examples(panel.units[varies])}. The decomposition needs one weight per unit "
            "(e.g. a base-year value)."
        )
    return y, w_unit


def _timing_rows(panel, means, share, dbar, group_pos, label, n_units_g, var_d, has_never):
    """The windowed 2×2s of Theorem 1 (no controls), with their weights."""
    T = panel.n_periods
    rows = []

    def add(kind, k, c, lo, mid, hi, weight_num):
        # 2x2 of group k (switching at mid) against group c on periods [lo, hi)
        mk, mc = means[k], means[c]
        est = ((mk[mid:hi].mean() - mk[lo:mid].mean())
               - (mc[mid:hi].mean() - mc[lo:mid].mean()))
        rows.append({
            "type": kind, "cohort": label[k], "control_cohort": label[c],
            "estimate": est, "weight": weight_num / var_d,
            "window_start": panel.periods[lo], "window_end": panel.periods[hi - 1],
            "n_treated": int(n_units_g[k]), "n_control": int(n_units_g[c]),
        })

    timing = [k for k in range(group_pos.size) if group_pos[k] < T]
    for i, k in enumerate(timing):
        for lt in timing[i + 1:]:
            tk, tl = group_pos[k], group_pos[lt]
            nn = share[k] * share[lt]
            add(EARLY_LATE, k, lt, 0, tk, tl, nn * (dbar[k] - dbar[lt]) * (1 - dbar[k]))
            add(LATE_EARLY, lt, k, tk, tl, T, nn * dbar[lt] * (dbar[k] - dbar[lt]))
    if has_never:
        u = group_pos.size - 1  # never-treated (position T) sorts last
        for k in timing:
            add(TREATED_NEVER, k, u, 0, group_pos[k], T,
                share[k] * share[u] * dbar[k] * (1 - dbar[k]))
    return rows


def _controlled(panel, y, controls, w_unit, group_unit, label, n_units_g):
    """Between (pairs of timing groups, all periods) and within terms with controls.

    ``ε`` = treatment net of unit, period effects and controls; ``b`` its weighted mean in
    each timing-group × period cell, ``r = ε − b``. ``Σwεy = Σwby + Σwry`` and
    ``Σwε² = Σwb² + Σwr²``; since ``Σ_k W_k b_kt = 0`` every period, the between sums are
    sums over pairs ``(k, l)`` of ``W_k W_l / W · Σ_t Δb_t Δȳ_t`` (``Δ`` = group k minus
    group l, ``ȳ`` = cell means of the two-way demeaned outcome).
    """
    T = panel.n_periods
    uid, tid = panel.unit_id, panel.period_id
    K = label.size
    demean = _demeaner(uid, tid, w_unit, T)
    w = w_unit[uid]
    X = np.column_stack([panel.column(c) for c in controls])
    Xt = np.column_stack([demean(X[:, j]) for j in range(X.shape[1])])
    dt = demean(panel.treated.astype(float))
    yt = demean(y)
    kept, dropped = _independent(X, Xt, w, controls)
    eps = dt
    if kept:
        sw = np.sqrt(w)
        Xk = Xt[:, kept]
        eps = dt - Xk @ np.linalg.lstsq(Xk * sw[:, None], dt * sw, rcond=None)[0]
    see = float(np.dot(w, eps * eps))
    if see <= 1e-12 * float(np.dot(w, dt * dt) + 1.0):
        raise EstimationError(
            "The treatment does not vary once unit and period effects and the controls "
            "are removed, so there is no TWFE coefficient to decompose."
        )
    beta = float(np.dot(w, eps * yt) / see)

    cell = group_unit[uid] * T + tid
    W_g = np.bincount(group_unit, weights=w_unit, minlength=K)
    W = W_g.sum()
    b = (np.bincount(cell, weights=w * eps, minlength=K * T).reshape(K, T) / W_g[:, None])
    ybar = (np.bincount(cell, weights=w * yt, minlength=K * T).reshape(K, T)
            / W_g[:, None])
    r = eps - b.reshape(-1)[cell]

    rows = []
    for k in range(K):
        for lt in range(k + 1, K):
            db = b[k] - b[lt]
            sbb = float(db @ db)
            if sbb <= 1e-14 * see / W:
                continue  # the pair carries no identifying variation
            rows.append({
                "type": TREATED_NEVER if not np.isfinite(label[lt]) else BOTH,
                "cohort": label[k], "control_cohort": label[lt],
                "estimate": float(db @ (ybar[k] - ybar[lt])) / sbb,
                "weight": W_g[k] * W_g[lt] / W * sbb / see,
                "window_start": panel.periods[0], "window_end": panel.periods[-1],
                "n_treated": int(n_units_g[k]), "n_control": int(n_units_g[lt]),
            })
    srr = float(np.dot(w, r * r))
    if srr > 1e-12 * see:
        rows.append({
            "type": WITHIN, "cohort": np.nan, "control_cohort": np.nan,
            "estimate": float(np.dot(w, r * yt)) / srr, "weight": srr / see,
            "window_start": panel.periods[0], "window_end": panel.periods[-1],
            "n_treated": int(n_units_g[np.isfinite(label)].sum()),
            "n_control": int(n_units_g[~np.isfinite(label)].sum()),
        })
    return rows, beta, see / (W * T), dropped


def _demeaner(uid, tid, w_unit, T):
    """Exact weighted two-way demeaning ``x − x̄_i − x̄_t^w + x̄^w`` of a balanced panel
    with unit-constant weights: the design layer's balanced closed form."""
    return Absorber((uid, tid), weights=w_unit[uid], strategy="balanced").residualize


def _twfe_balanced(y, d, uid, tid, w_unit, T) -> tuple[float, float]:
    """TWFE β and the residualised treatment variance V̂^D of a balanced panel."""
    demean = _demeaner(uid, tid, w_unit, T)
    w = w_unit[uid]
    dd = demean(d)
    sdd = float(np.dot(w, dd * dd))
    if sdd <= 1e-12 * float(np.dot(w, d * d) + 1.0):
        raise EstimationError(
            "The treatment does not vary once unit and period effects are removed (all "
            "treated units switch in the same period and there are no never-treated "
            "units), so there is no TWFE coefficient to decompose."
        )
    beta = float(np.dot(w, dd * demean(y)) / sdd)
    return beta, float(sdd / (w_unit.sum() * T))


def _by_type(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for kind in TYPES:
        sub = table[table["type"] == kind]
        if sub.empty:
            continue
        wt = float(sub["weight"].sum())
        avg = float((sub["weight"] * sub["estimate"]).sum() / wt) if wt > 0 else np.nan
        rows.append({"type": kind, "weight": wt, "estimate": avg, "n_comparisons": len(sub)})
    return pd.DataFrame(rows, columns=["type", "weight", "estimate", "n_comparisons"])
