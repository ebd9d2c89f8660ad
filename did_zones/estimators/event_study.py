"""Dynamic two-way fixed-effects event study (leads and lags of event time).

The regression of Stata ``reghdfe y lead* lag*, absorb(unit year) vce(cluster unit)`` (or
``eventdd``) and R ``fixest::feols(y ~ i(event_time, ref = -1) | unit + year)``: event-time
indicators pooled across cohorts, unit and period effects absorbed, reghdfe's
small-sample conventions (see :mod:`did_zones.design`).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..design import (
    CollapsedDesign,
    Design,
    FESpec,
    build_design,
    check_panel_outcome,
    collapsed_design,
    count_distinct,
    few_clusters_note,
    fit_absorbed,
)
from ..errors import (
    DataDroppedWarning,
    EstimationError,
    PanelError,
    SmallCohortWarning,
    SpecificationError,
    warn,
)
from ..estimands import tag
from ..panel import Panel
from ..result import Result
from ..validation import (
    FLAG,
    Window,
    as_tuple,
    check_alpha,
    check_choice,
    check_outcome_varies,
    examples,
)
from ..vocabulary import Control

__all__ = ["event_study", "event_study_design"]

_WINDOW = Window(example=(-5, 5), hint=", or None for every event time")
_SMALL_TERM = 5  # treated units; below this a coefficient rests on a handful of units


class EventStudyExtra(TypedDict):
    """The ``extra`` mapping of an :func:`event_study` result (documented in its Returns),
    with ``extra_reference`` (the earliest lead normalised to 0 as well when there are no
    never-treated units, else None) and ``window`` (the event-time window estimated)."""

    reference: Any
    extra_reference: int | None
    dropped_terms: tuple[str, ...]
    dropped_controls: tuple[str, ...]
    n_trimmed: int
    n_singletons: int
    sample: Any
    overall_weights: Any
    pretrend_test: Any
    window: tuple[Any, Any]


@records_panel
def event_study(
    panel: Panel,
    outcome: str,
    *,
    window: tuple[int, int] | None = None,
    reference: int | Sequence[int] = -1,
    bin_endpoints: bool = False,
    control: Control = "never",
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | Sequence[str] | None = "unit",
    weights: str | None = None,
    overall: bool = False,
    alpha: float = 0.05,
) -> Result:
    """Event-study regression with leads and lags of event time (dynamic TWFE).

    Fits ``y_it = α_i + λ_t + Σ_{e ∉ R} β_e 1{t − G_i = e} + X_it'γ + ε_it`` with the unit
    and period effects (and any further ones) absorbed, as Stata ``reghdfe`` / ``eventdd``
    and R ``fixest::feols(y ~ i(rel, ref = -1) | unit + year)``. ``R`` holds the reference
    period(s); never-treated units have no indicator.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`.
    outcome : str
        Outcome column.
    window : (int, int), optional
        Event times ``lo..hi`` to estimate (``lo <= reference < 0 <= hi`` is typical). By
        default every observed event time gets its own indicator (fully dynamic).
    reference : int or sequence of int
        Negative event time(s) left out as the normalisation (default -1, the period
        before adoption; ``(-1, -5)`` normalises two, as needed without never-treated
        units). Must lie in ``window``.
    bin_endpoints : bool
        With ``window``: True pools every earlier event time into ``lo`` and every later
        one into ``hi`` (binned endpoints, Schmidheiny & Siegloch 2023; Stata ``eventdd,
        accum``); no row is dropped and the ``binned`` key marks the pooled terms.
        False (default) trims, as set by ``control``.
    control : {"never", "not_yet"}
        Who serves as comparison for the time effects when the window trims event times
        (the sample is the same for ``window=None`` or ``bin_endpoints=True``). "never"
        (default, as in every did_zones estimator and R ``did``'s
        ``control_group="nevertreated"``): every treated-unit row outside the window is
        dropped, so comparisons are the never-treated units and the treated units' own
        in-window reference periods; needs never-treated units (a panel without them raises
        :class:`~did_zones.errors.PanelError`: pass ``control="not_yet"``). "not_yet":
        never-treated units and the treated units' rows *before* the window (they are not
        yet treated, and are pooled with the reference period); rows after the window are
        dropped (they are treated and would contaminate the comparison). Dropped rows are
        counted in ``Result.notes``.
    controls : str or sequence of str
        Time-varying numeric controls; collinear ones are dropped with a warning.
    fixed_effects : sequence of str or tuple
        Absorbed effects, as in :func:`did_zones.twfe` (e.g. add ``("province", "time")``).
    cluster : str, pair of str, or None
        Cluster variable(s) (roles or columns); None gives HC1 errors.
    weights : str, optional
        Column of positive analytic weights (Stata ``[aweight=w]``).
    overall : bool
        Add a term ``"overall"`` (and make it primary): the average of the post-treatment
        coefficients (``e >= 0``) weighted by their numbers of (weighted) treated
        observations, fixest's ``aggregate(..., agg = "att")``-style ATT; weights in
        ``extra["overall_weights"]``.
    alpha : float
        Significance level stored in ``spec`` (intervals: ``Result.conf_int(alpha)``).

    Returns
    -------
    Result
        Terms ``"e-3"``, ``"e-2"``, ``"e+0"``, ``"e+1"``, ... (references excluded: they
        are 0 by construction; the names of :func:`did_zones.sun_abraham`), then the kept
        controls, then ``"overall"`` if asked. ``keys``: ``event_time``, ``n_units`` and
        ``n_obs`` (treated units / rows behind each coefficient in the sample),
        ``n_cohorts``, ``post``, ``binned``, ``role`` (``"lead"``, ``"lag"``,
        ``"control"``, ``"average"``). ``df`` is ``G − 1`` with clustering (``N − K`` for
        HC1): t and F inference as Stata. ``stats``: ``r2``, ``r2_within``,
        ``pretrend_F``, ``pretrend_p``, ``n_fe_params``. ``extra`` (:class:`EventStudyExtra`): ``"pretrend_test"``
        (:class:`~did_zones.HypothesisTest`, joint F test that all leads are zero, as
        reghdfe's ``test``; None without leads), ``"reference"``, ``"dropped_terms"``,
        ``"dropped_controls"``, ``"n_trimmed"``, ``"n_singletons"``, ``"sample"``
        (boolean mask of the panel rows used), ``"overall_weights"``.
        ``Result.wald_test(terms)`` tests any other set of terms.

    Raises
    ------
    SpecificationError
        Invalid options (window, reference, control, bin_endpoints without a window),
        unknown columns, bad ``alpha`` or weights.
    PanelError
        No treated unit; ``control="never"`` without never-treated units.
    EstimationError
        A reference period is not observed in the sample; no event-time effect is
        identified (e.g. a single cohort and no never-treated units).

    Warns
    -----
    DataDroppedWarning
        Missing values, singletons; collinear controls; event-time terms that are not
        identified (named); an extra reference period added when there are no
        never-treated units.
    SmallCohortWarning
        Coefficients resting on fewer than 5 treated units.
    InferenceWarning
        Fewer than 30 clusters.

    Notes
    -----
    Estimand: each ``β_e`` compares treated units ``e`` periods from adoption with the
    reference period(s), net of the period effects. With staggered adoption and effects
    that differ across cohorts, ``β_e`` is contaminated by effects at other event times
    (Sun & Abraham 2021), and lead coefficients can be non-zero without any pre-trend;
    use :func:`did_zones.sun_abraham`, :func:`did_zones.callaway_santanna` or
    :func:`did_zones.imputation` for causal event-time effects.

    Identification without never-treated units: event time ``t − G_i`` is then a linear
    combination of the unit and period effects, so with one reference period and no
    trimming or binning the indicators are collinear; the earliest lead is normalised
    too (a warning names it; choose another with ``reference=(-1, k)``). Effects at
    horizons beyond the spread of adoption dates remain unidentified and are dropped with
    a warning (Borusyak, Jaravel & Spiess 2024).

    Trimming (``bin_endpoints=False`` with a window) follows fixest / Stata practice of
    estimating only the window; ``control`` decides whether pre-window rows stay as
    comparisons. Binning assumes constant effects beyond each endpoint.

    Variance: CRV1 with Stata ``reghdfe``'s factor ``G/(G−1)·(N−1)/(N−K)`` (unit effects
    nested in unit clusters not counted in ``K``), two-way clustering with the smaller
    ``G``, singletons dropped first. The pre-trend test is ``F = W/q`` on the ``q`` lead
    coefficients with ``(q, G − 1)`` degrees of freedom (reghdfe ``test``).

    References
    ----------
    Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies
    with heterogeneous treatment effects. J. Econometrics 225(2), 175–199.
    Schmidheiny, K. and Siegloch, S. (2023). On event studies and distributed-lags in
    two-way fixed effects models. J. Applied Econometrics 38(5), 695–713.
    Borusyak, K., Jaravel, X. and Spiess, J. (2024). Revisiting event-study designs.
    Rev. Econ. Stud. 91(6), 3253–3285.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from did_zones import build_panel, event_study
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(24), 4), "year": np.tile([1, 2, 3, 4], 24)})
    >>> df["g"] = np.select([df["unit"] < 8, df["unit"] < 16], [3, 4], 0)
    >>> e = df["year"] - df["g"]
    >>> df["y"] = df["unit"] + 0.5 * df["year"] + np.where((df["g"] > 0) & (e >= 0), 2.0, 0.0)
    >>> res = event_study(build_panel(df, "unit", "year", cohort="g"), "y", cluster=None)
    >>> (res.estimate.round(6) + 0.0).to_dict()
    {'e-3': 0.0, 'e-2': 0.0, 'e+0': 2.0, 'e+1': 2.0}
    >>> res.keys["n_units"].to_dict()
    {'e-3': 8, 'e-2': 16, 'e+0': 16, 'e+1': 8}
    """
    o = _validate(panel, outcome, window, reference, bin_endpoints, control, controls,
                  fixed_effects, cluster, weights, overall, alpha)
    s = _sample(panel, o)
    # cohort × period sums instead of the n × k indicators when they suffice (big panels)
    design = collapsed_design(panel, outcome, s.col, list(s.regressors), rows=s.rows,
                              controls=o.controls, fixed_effects=o.fixed_effects,
                              cluster=o.cluster, weights=o.weights)
    if design is None:
        design = build_design(panel, outcome, s.regressors, controls=o.controls,
                              fixed_effects=o.fixed_effects, cluster=o.cluster,
                              weights=o.weights, rows=s.rows)
    used = np.zeros(panel.n_obs, dtype=bool)
    used[design.rows] = True
    _check_references(panel, s, used, o)
    fit = design.fit() if isinstance(design, CollapsedDesign) else fit_absorbed(design, warn=False)
    notes = list(panel.notes) + list(s.notes) + list(design.notes)
    notes += _report_dropped(fit, s, panel, o)
    V, n_clusters, df = fit.vcov()
    notes += list(few_clusters_note(design.cluster_counts or None, design.cluster_names))
    return _assemble(panel, outcome, o, s, design, fit, used, V, n_clusters, df, notes)


def event_study_design(panel: Panel, outcome: str, **options: Any) -> Design:
    """The regression of ``event_study(panel, outcome, **options)`` before it is fitted.

    For checks that refit or resample the regression itself (the wild cluster bootstrap):
    the event-time indicators (named as the result's terms, ``"e-3"``, ``"e+0"``, ...) and
    the controls on the rows the estimator uses, fixed effects and clusters as codes, not
    absorbed. Options and their checks are :func:`event_study`'s; warnings about dropped
    rows are issued again.

    Parameters
    ----------
    panel : Panel
    outcome : str
    **options
        Any option of :func:`event_study` (e.g. ``result.spec``).

    Returns
    -------
    Design
    """
    bound = inspect.signature(event_study).bind(panel, outcome, **options)
    bound.apply_defaults()
    a = bound.arguments
    o = _validate(panel, outcome, a["window"], a["reference"], a["bin_endpoints"],
                  a["control"], a["controls"], a["fixed_effects"], a["cluster"],
                  a["weights"], a["overall"], a["alpha"])
    s = _sample(panel, o)
    return build_design(panel, outcome, s.regressors, controls=o.controls,
                        fixed_effects=o.fixed_effects, cluster=o.cluster, weights=o.weights,
                        rows=s.rows)


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class _Opts:
    window: tuple[int, int] | None
    reference: tuple[int, ...]
    bin_endpoints: bool
    control: str
    controls: tuple[str, ...]
    fixed_effects: tuple
    cluster: object
    weights: str | None
    overall: bool
    alpha: float
    spec: dict


def _is_int(v) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def _validate(panel, outcome, window, reference, bin_endpoints, control, controls,
              fixed_effects, cluster, weights, overall, alpha) -> _Opts:
    check_panel_outcome(panel, outcome)
    check_outcome_varies(panel.column(outcome), outcome)
    check_alpha(alpha)
    from .registry import REGISTRY  # the control values it accepts are declared there

    check_choice("control", control, REGISTRY["event_study"].controls)
    bin_endpoints = FLAG("bin_endpoints", bin_endpoints)
    window = _WINDOW("window", window)
    if window is None and bin_endpoints:
        raise SpecificationError(
            "bin_endpoints=True needs a window to bin at, e.g. window=(-5, 5)."
        )
    refs = (reference,) if _is_int(reference) else tuple(reference) \
        if isinstance(reference, tuple | list) else None
    if not refs or not all(_is_int(r) for r in refs):
        raise SpecificationError(
            f"reference must be a negative integer or a sequence of them, e.g. -1 or "
            f"(-1, -5); got {reference!r}."
        )
    refs = tuple(sorted({int(r) for r in refs}, reverse=True))
    if any(r >= 0 for r in refs):
        raise SpecificationError(
            f"reference periods must be negative (before adoption); got {list(refs)}. "
            "Use -1 for the period before adoption, or -2 if effects may be anticipated."
        )
    if window is not None:
        outside = [r for r in refs if not window[0] <= r <= window[1]]
        if outside:
            raise SpecificationError(
                f"reference period(s) {outside} lie outside the window {window}; widen "
                "the window or choose a reference inside it."
            )
    overall = FLAG("overall", overall)
    spec = {"window": window, "reference": reference, "bin_endpoints": bool(bin_endpoints),
            "control": control, "controls": as_tuple(controls),
            "fixed_effects": tuple(fixed_effects), "cluster": cluster, "weights": weights,
            "overall": bool(overall), "alpha": alpha}
    return _Opts(window, refs, bool(bin_endpoints), control, as_tuple(controls),
                 tuple(fixed_effects), cluster, weights, bool(overall), float(alpha), spec)


# --------------------------------------------------------------------------- sample


@dataclass(frozen=True)
class _Sample:
    rows: np.ndarray          # panel rows allowed into the regression (before missing drops)
    event: np.ndarray         # per-row event time (float; NaN for never-treated)
    binned_e: np.ndarray      # per-row event time after binning (float; NaN never-treated)
    term_e: np.ndarray        # event times with an indicator, ascending
    col: np.ndarray           # per-row indicator column (-1: none)
    regressors: dict
    reference: tuple[int, ...]
    n_trimmed: int
    notes: tuple[str, ...]
    extra_reference: int | None


def _sample(panel: Panel, o: _Opts) -> _Sample:
    if not np.isfinite(panel.cohort).any():
        raise PanelError(
            "No treated unit in the panel: every cohort is never-treated, so there is no "
            "event time. Check the cohort column or mapping given to build_panel."
        )
    has_never = bool((~np.isfinite(panel.cohort)).any())
    if o.control == "never" and not has_never:
        raise PanelError(
            "No never-treated units in the panel. Use control='not_yet', or add "
            "never-pilot units."
        )
    event = panel.event_time
    treated_unit = np.isfinite(event)
    rows = np.ones(panel.n_obs, dtype=bool)
    binned_e = event.copy()
    notes: list[str] = []
    n_trimmed = 0
    if o.window is not None:
        lo, hi = o.window
        if o.bin_endpoints:
            binned_e[treated_unit] = np.clip(event[treated_unit], lo, hi)
        else:
            after = treated_unit & (event > hi)
            before = treated_unit & (event < lo)
            drop = after | (before if o.control == "never" else False)
            n_trimmed = int(drop.sum())
            if n_trimmed:
                units = panel.units[np.unique(panel.unit_id[drop])]
                kept = ("" if o.control == "never" or not before.any() else
                        f" {int(before.sum())} row(s) before the window are kept as "
                        "not-yet-treated comparisons (control='not_yet').")
                notes.append(
                    f"{n_trimmed} row(s) of treated units with event time outside the window "
                    f"{lo}..{hi} dropped ({len(units)} unit(s), e.g. {examples(units)}; "
                    f"control={o.control!r}).{kept} Use bin_endpoints=True to pool them "
                    "into the end periods instead."
                )
            elif before.any():
                notes.append(
                    f"{int(before.sum())} row(s) of treated units before the window {lo}..{hi} "
                    "are kept as not-yet-treated comparisons (control='not_yet')."
                )
            rows &= ~drop
            binned_e = np.where(before, np.nan, binned_e)  # no indicator: comparisons

    refs = o.reference
    extra_ref = None
    in_sample = rows & np.isfinite(binned_e)
    observed = np.unique(binned_e[in_sample]).astype(int)
    if not has_never and len(refs) == 1:
        # event time = period − cohort lies in the span of the unit and period effects;
        # it stays collinear with the indicators unless some treated row carries no
        # indicator of its own event time (pre-window rows) or a binned one
        exact = np.isfinite(event[rows]).all() and np.array_equal(
            binned_e[rows], event[rows])
        if exact:
            leads = observed[(observed < 0) & ~np.isin(observed, refs)]
            if leads.size == 0:
                raise EstimationError(
                    "No never-treated units and no lead other than the reference: the "
                    "event-time effects are not identified (event time is collinear with "
                    "the unit and period effects). Add never-treated units or a second "
                    "reference period inside the observed event times."
                )
            extra_ref = int(leads.min())
            refs = tuple(sorted(set(refs) | {extra_ref}, reverse=True))
            msg = (
                f"No never-treated units: event time (period − cohort) is collinear with the "
                f"unit and period effects, so a second reference period is needed. The "
                f"earliest lead e{extra_ref:+d} is normalised to 0 together with "
                f"e{o.reference[0]:+d}; pass reference=({o.reference[0]}, k) to choose "
                "another."
            )
            warn(msg, DataDroppedWarning)
            notes.append(msg)
    term_e = observed[~np.isin(observed, refs)]
    if term_e.size == 0:
        raise EstimationError(
            f"No event time other than the reference(s) {list(refs)} is observed in the "
            f"sample (event times: {examples(observed)}); nothing to estimate."
        )
    col = np.full(panel.n_obs, -1, dtype=np.int64)
    ok = in_sample & ~np.isin(binned_e, refs)
    col[ok] = np.searchsorted(term_e, binned_e[ok].astype(int))
    names = [f"e{int(e):+d}" for e in term_e]
    regressors = {}
    for j, name in enumerate(names):  # a loop over event times, not rows
        regressors[name] = col == j  # bool (1 byte a row): build_design makes floats
    return _Sample(rows, event, binned_e, term_e, col, regressors, refs, n_trimmed,
                   tuple(notes), extra_ref)


def _check_references(panel: Panel, s: _Sample, used: np.ndarray, o: _Opts) -> None:
    e = s.binned_e[used]
    seen = np.unique(e[np.isfinite(e)]).astype(int)
    missing = [r for r in s.reference if r not in seen]
    if missing:
        raise EstimationError(
            f"Reference event time(s) {missing} not observed for any treated unit in the "
            f"sample (observed event times: {examples(seen, 12)}), so the event-time "
            "effects are not normalised. Choose an observed reference, e.g. "
            f"reference={int(seen[seen < 0].max()) if (seen < 0).any() else -1}."
        )


# --------------------------------------------------------------------------- fit


def _report_dropped(fit, s: _Sample, panel: Panel, o: _Opts) -> list[str]:
    notes = []
    term_names = [f"e{int(e):+d}" for e in s.term_e]
    dropped_terms = [n for n in fit.dropped if n in term_names]
    if len(dropped_terms) == len(term_names):
        raise EstimationError(
            "No event-time effect is identified: every indicator is collinear with the "
            f"fixed effects {list(fit.design.fe_names)}. Typical cause: a single adoption "
            "date and no never-treated units, so event time is a function of the period."
        )
    if dropped_terms:
        why = (" Without never-treated units, effects at horizons beyond the spread of "
               "adoption dates are not identified (Borusyak, Jaravel & Spiess 2024)."
               if not np.any(~np.isfinite(panel.cohort)) else "")
        msg = (f"{len(dropped_terms)} event-time term(s) not identified (collinear with the "
               f"fixed effects and the other terms) and dropped: {dropped_terms}.{why}")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    dropped_controls = [c for c in fit.dropped if c in o.controls]
    if dropped_controls:
        msg = (f"{len(dropped_controls)} control(s) dropped as collinear with the fixed "
               f"effects or the event-time terms: {dropped_controls}. Remove them from "
               "controls.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    return notes


def _counts(values: np.ndarray, n_missing: int) -> pd.arrays.IntegerArray:
    """Per-term counts followed by missing values for the control rows (nullable ints)."""
    return pd.array(list(values.astype(int)) + [pd.NA] * n_missing, dtype="Int64")


def _assemble(panel, outcome, o, s, design, fit, used, V, n_clusters, df, notes) -> Result:
    term_names = [f"e{int(e):+d}" for e in s.term_e]
    kept = [n for n in fit.names if n in term_names]
    j_kept = np.array([term_names.index(n) for n in kept], dtype=np.int64)
    e_kept = s.term_e[j_kept]

    # units, rows and cohorts behind each indicator in the estimation sample
    col = s.col[used]
    units = panel.unit_id[used]
    cohort = panel.row_cohort[used]
    w = np.ones(col.size) if design.weights is None else design.weights
    has = col >= 0
    k = s.term_e.size
    n_obs = np.bincount(col[has], minlength=k)
    w_obs = np.bincount(col[has], weights=w[has], minlength=k)
    n_units = _distinct(col[has], units[has], k, panel.n_units)
    n_cohorts = _distinct(col[has], np.searchsorted(panel.cohorts, cohort[has]), k,
                          panel.cohorts.size)
    lo, hi = o.window if o.window is not None else (None, None)
    binned = np.zeros(k, dtype=bool)
    if o.bin_endpoints:
        ev = s.event[used][has]
        binned = np.bincount(col[has], weights=(ev != s.binned_e[used][has]), minlength=k) > 0

    small = [(n, int(n_units[j])) for n, j in zip(kept, j_kept, strict=True)
             if n_units[j] < _SMALL_TERM]
    if small:
        shown = ", ".join(f"{n}: {c}" for n, c in small)
        msg = (f"{len(small)} event-time coefficient(s) rest on fewer than {_SMALL_TERM} "
               f"treated units (term: units) — {shown}. They are fragile; consider a "
               "narrower window or bin_endpoints=True.")
        warn(msg, SmallCohortWarning)
        notes.append(msg)

    controls_kept = [n for n in fit.names if n not in term_names]
    names = kept + controls_kept
    est = fit.coef
    keys = pd.DataFrame({
        "cohort": np.nan, "time": np.nan,
        "event_time": np.concatenate([e_kept.astype(float), np.full(len(controls_kept), np.nan)]),
        "n_units": _counts(n_units[j_kept], len(controls_kept)),
        "n_obs": _counts(n_obs[j_kept], len(controls_kept)),
        "n_cohorts": _counts(n_cohorts[j_kept], len(controls_kept)),
        "post": np.concatenate([e_kept >= 0, np.zeros(len(controls_kept), bool)]),
        "binned": np.concatenate([binned[j_kept], np.zeros(len(controls_kept), bool)]),
        "role": ["lead" if e < 0 else "lag" for e in e_kept] + ["control"] * len(controls_kept),
    })

    F = fit.variance_floor()
    overall_weights = None
    primary = None
    if o.overall:
        post = e_kept >= 0
        if not post.any():
            raise SpecificationError(
                "overall=True needs post-treatment terms (event time >= 0) in the window."
            )
        a = np.zeros(len(names))
        a[:len(kept)][post] = w_obs[j_kept][post] / w_obs[j_kept][post].sum()
        overall_weights = pd.Series(a[:len(kept)][post], index=np.array(kept)[post],
                                    name="weight")
        est = np.append(est, a @ est)
        Va = V @ a
        V = np.block([[V, Va[:, None]], [Va[None, :], np.array([[a @ Va]])]])
        Fa = F @ np.abs(a)  # the floor of a combination: absolute weights
        F = np.block([[F, Fa[:, None]], [Fa[None, :], np.array([[np.abs(a) @ Fa]])]])
        names = names + ["overall"]
        keys = pd.concat([keys, pd.DataFrame({
            "cohort": [np.nan], "time": [np.nan], "event_time": [np.nan],
            "n_units": [count_distinct(units[np.isin(col, j_kept[post])], panel.n_units)],
            "n_obs": [int(n_obs[j_kept][post].sum())], "n_cohorts": pd.array([pd.NA], dtype="Int64"), "post": [True],
            "binned": [False], "role": ["average"]})], ignore_index=True)
        # observation-weighted mean of the post coefficients: the simple ATT of the window
        e_top = np.inf if binned[j_kept][post].any() else float(e_kept[post].max())
        keys = tag(keys, len(keys) - 1, "simple_att", 0, e_top)
        primary = "overall"
    elif "e+0" in kept:
        primary = "e+0"

    stats = {"r2": fit.stats["r2"], "r2_within": fit.stats["r2_within"],
             "n_fe_params": fit.fe_dof, "pretrend_F": np.nan, "pretrend_p": np.nan}
    extra = {
        "reference": s.reference, "extra_reference": s.extra_reference,
        "dropped_terms": tuple(n for n in fit.dropped if n in term_names),
        "dropped_controls": tuple(n for n in fit.dropped if n in o.controls),
        "n_trimmed": s.n_trimmed, "n_singletons": design.n_singletons,
        "sample": used, "overall_weights": overall_weights, "pretrend_test": None,
        "window": (lo, hi),
    }
    res = Result.create(
        est, V, names, keys=keys, variance_floor=F, method="event_study", outcome=outcome,
        spec=o.spec,
        n_obs=design.n_obs, n_units=count_distinct(units, panel.n_units), n_clusters=n_clusters,
        df=df, primary=primary, notes=tuple(dict.fromkeys(notes)), stats=stats, extra=extra,
    )
    leads = [n for n, e in zip(kept, e_kept, strict=True) if e < 0]
    if leads:
        test = res.wald_test(leads, name=f"pre-trend: all {len(leads)} lead(s) = 0")
        stats = {**stats, "pretrend_F": test.statistic, "pretrend_p": test.p_value}
        res = replace(res, stats=stats, extra={**extra, "pretrend_test": test})
    return res


def _distinct(group: np.ndarray, item: np.ndarray, n_groups: int, n_items: int) -> np.ndarray:
    """Per group, the number of distinct items (codes), by marking a groups × items grid."""
    if n_groups * n_items > 50_000_000:  # too large to mark: sort the pairs instead
        pairs = np.unique(group.astype(np.int64) * n_items + item)
        return np.bincount(pairs // n_items, minlength=n_groups)
    seen = np.zeros((n_groups, n_items), dtype=bool)
    seen[group, item] = True
    return seen.sum(axis=1)
