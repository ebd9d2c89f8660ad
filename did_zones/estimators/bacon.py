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

from .._checks import as_tuple, check_columns, examples
from ..errors import EstimationError, PanelError, SpecificationError
from ..panel import Panel
from ..result import Result

__all__ = ["bacon_decomposition", "TYPES"]

#: Comparison types, with the labels of R ``bacondecomp`` / Stata ``bacondecomp``.
EARLY_LATE = "Earlier vs Later Treated"
LATE_EARLY = "Later vs Earlier Treated"
TREATED_NEVER = "Treated vs Never Treated"
TYPES: tuple[str, ...] = (EARLY_LATE, LATE_EARLY, TREATED_NEVER)
_STAT_KEYS = {EARLY_LATE: "earlier_vs_later", LATE_EARLY: "later_vs_earlier",
              TREATED_NEVER: "treated_vs_never"}


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
        Not supported: the covariate-adjusted decomposition (Goodman-Bacon 2021, section 5;
        R ``bacondecomp`` with controls) adds a within-group term and reweights the 2×2s by
        predicted treatment variances; it is not implemented, and giving controls raises
        :class:`SpecificationError` rather than silently returning the unadjusted version.

    Returns
    -------
    Result
        Terms ``"twfe"`` (the TWFE coefficient, ``primary``), then one ``"2x2:<g>v<k>"`` per
        comparison (``k`` = ``never`` for the never-treated). ``estimate`` holds the 2×2
        estimates; ``keys`` has ``cohort`` (the treated group), ``control_cohort`` (``inf``
        = never treated), ``type``, ``weight``, ``window_start``/``window_end`` (periods of
        the 2×2 subsample), ``n_treated``/``n_control`` (units). ``extra["comparisons"]`` is
        the same tidy table (``term, type, cohort, control_cohort, estimate, weight, ...``),
        ``extra["by_type"]`` the total weight, weighted-average estimate and number of
        comparisons of each type; ``stats`` has ``twfe``, ``weight_sum``,
        ``decomposition_error`` (``|β − Σ s·β̂_2x2|``), ``var_d`` (the residualised
        treatment variance ``V̂^D``) and, per type ``x`` in ``earlier_vs_later``,
        ``later_vs_earlier``, ``treated_vs_never``, ``weight_x`` and ``estimate_x``.
        The decomposition has no sampling variance of its own: ``vcov`` is all NaN, so
        standard errors, p-values and intervals are NaN. Use :func:`did_zones.twfe` for
        inference on β.

    Raises
    ------
    SpecificationError
        ``panel`` is not a Panel, unknown columns, controls given, weights not positive or
        varying within a unit.
    PanelError
        The panel is unbalanced (including rows with a missing outcome or weight): the
        message counts the incomplete units and names the fixes.
    EstimationError
        The treatment does not vary after removing unit and period effects (one timing
        group and no never-treated units).

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
    _check_inputs(panel, outcome, weights, controls)
    y, w_unit = _balanced_values(panel, outcome, weights)
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

    beta, var_d = _twfe_balanced(y, panel.treated.astype(float), uid, tid, w_unit, T)

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

    timing = [k for k in range(K) if group_pos[k] < T]
    for i, k in enumerate(timing):
        for lt in timing[i + 1:]:
            tk, tl = group_pos[k], group_pos[lt]
            nn = share[k] * share[lt]
            add(EARLY_LATE, k, lt, 0, tk, tl, nn * (dbar[k] - dbar[lt]) * (1 - dbar[k]))
            add(LATE_EARLY, lt, k, tk, tl, T, nn * dbar[lt] * (dbar[k] - dbar[lt]))
    if has_never:
        u = K - 1  # inf sorts last
        for k in timing:
            add(TREATED_NEVER, k, u, 0, group_pos[k], T,
                share[k] * share[u] * dbar[k] * (1 - dbar[k]))

    table = pd.DataFrame(rows)
    table.insert(0, "term", [f"2x2:{_fmt(r['cohort'])}v{_fmt(r['control_cohort'])}"
                             for r in rows])
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
    notes.append("The Bacon decomposition is descriptive: it has no standard errors (vcov is "
                 "NaN). Use twfe() for inference on the TWFE coefficient.")
    terms = ["twfe", *table["term"]]
    est = np.r_[beta, table["estimate"].to_numpy()]
    return Result.create(
        est, np.full((len(terms), len(terms)), np.nan), terms, keys=keys,
        method="bacon_decomposition", outcome=outcome,
        spec={"weights": weights, "controls": ()},
        n_obs=panel.n_obs, n_units=panel.n_units, primary="twfe", notes=tuple(notes),
        stats=stats, extra={"comparisons": table, "by_type": by_type},
    )


# ----------------------------------------------------------------------------- helpers


def _fmt(g: float) -> str:
    if not np.isfinite(g):
        return "never"
    return str(int(g)) if float(g).is_integer() else str(g)


def _check_inputs(panel, outcome, weights, controls) -> None:
    if not isinstance(panel, Panel):
        raise SpecificationError(
            f"panel must be a did_zones Panel (from build_panel); got {type(panel).__name__}."
        )
    if not isinstance(outcome, str):
        raise SpecificationError(f"outcome must be a column name; got {outcome!r}.")
    check_columns(panel.data, [outcome], what="Outcome column")
    if weights is not None:
        check_columns(panel.data, [weights], what="Weights column")
    controls = as_tuple(controls)
    if controls:
        raise SpecificationError(
            f"bacon_decomposition does not support controls (got {list(controls)}): the "
            "covariate-adjusted decomposition of Goodman-Bacon (2021, section 5) is not "
            "implemented. Decompose the unadjusted TWFE coefficient (controls=()), or use "
            "twfe_weights(panel, outcome, controls=...) for the weights of the adjusted one."
        )


def _balanced_values(panel: Panel, outcome: str, weights: str | None):
    """Outcome per row and weight per unit, after checking the panel is balanced."""
    y = panel.column(outcome)
    ok = np.isfinite(y)
    w = None
    if weights is not None:
        w = panel.column(weights)
        ok &= np.isfinite(w)
    per_unit = np.bincount(panel.unit_id[ok], minlength=panel.n_units)
    short = per_unit < panel.n_periods
    if short.any():
        units = panel.units[short]
        missing = int(panel.n_units * panel.n_periods - ok.sum())
        what = f"{outcome!r}" + (f" and {weights!r}" if weights else "")
        raise PanelError(
            f"The Bacon decomposition needs a balanced panel: {int(short.sum())} of "
            f"{panel.n_units} units are not observed with non-missing {what} in all "
            f"{panel.n_periods} periods ({missing} unit-periods missing), e.g. "
            f"{examples(units)}. Restrict the periods with panel.window(start, end) or drop "
            f"the incomplete units with panel.drop_units(units)."
        )
    if w is None:
        return y, np.ones(panel.n_units)
    if (w <= 0).any():
        bad = panel.units[np.unique(panel.unit_id[w <= 0])]
        raise SpecificationError(
            f"Weights {weights!r} must be positive; {len(bad)} unit(s) have a zero or "
            f"negative weight, e.g. {examples(bad)}. Drop those units first."
        )
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


def _twfe_balanced(y, d, uid, tid, w_unit, T) -> tuple[float, float]:
    """TWFE β and the residualised treatment variance V̂^D of a balanced panel.

    With unit-constant weights and every unit in every period, the weighted projection on
    unit and period effects is the exact two-way demeaning
    ``x − x̄_i − x̄_t^w + x̄^w`` (no iteration needed).
    """
    n = w_unit.size
    w = w_unit[uid]
    W = w_unit.sum()

    def demean(x):
        unit_mean = np.bincount(uid, weights=x, minlength=n) / T
        time_mean = np.bincount(tid, weights=w * x, minlength=T) / W
        grand = time_mean.mean()
        return x - unit_mean[uid] - time_mean[tid] + grand

    dd = demean(d)
    sdd = float(np.dot(w, dd * dd))
    if sdd <= 1e-12 * float(np.dot(w, d * d) + 1.0):
        raise EstimationError(
            "The treatment does not vary once unit and period effects are removed (all "
            "treated units switch in the same period and there are no never-treated "
            "units), so there is no TWFE coefficient to decompose."
        )
    beta = float(np.dot(w, dd * demean(y)) / sdd)
    return beta, float(sdd / (W * T))


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
