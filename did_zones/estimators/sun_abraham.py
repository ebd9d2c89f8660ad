"""Sun & Abraham (2021): the interaction-weighted (IW) event-study estimator.

Step 1 regresses the outcome on cohort × relative-period indicators (all relative periods
but the reference ones, for every treated cohort) with unit and period effects absorbed,
so each coefficient is a cohort-specific effect CATT(g, e) measured against a clean
comparison group (never-treated units, or the last-treated cohort before it is treated).
Step 2 averages the CATTs of each relative period with the cohorts' shares among the
units observed there. The regression reuses the shared absorbed-fixed-effect least squares
of :mod:`did_zones.design` (reghdfe conventions); the aggregation and its delta-method variance
are here.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..design import (
    CollapsedDesign,
    Design,
    build_design,
    check_panel_outcome,
    collapsed_design,
    count_distinct,
    few_clusters_note,
    fit_absorbed,
    usable_sample,
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
from ..inference import sandwich_vcov
from ..panel import Panel
from ..result import Result
from ..validation import (
    FLAG,
    OPTIONAL_COLUMN,
    Window,
    as_tuple,
    check_alpha,
    check_choice,
    check_columns,
    check_outcome_varies,
    examples,
)
from ..vocabulary import Control
from ._small_cells import (
    DEFAULT_MIN_COHORT_SIZE,
    SmallCells,
    check_small_cells,
    exclusion_note,
    mark_small,
    pool_adjacent,
    pooling_note,
    warn_small_cells,
)

__all__ = ["sun_abraham", "sun_abraham_design"]

ShareVariance = Literal["estimated", "fixed"]

_EXCLUDED = ("their CATTs are left out of every interaction-weighted average, the other "
             "cohorts' shares renormalised; the regression is unchanged")
_SMALL_COMPARISON = DEFAULT_MIN_COHORT_SIZE  # units; a comparison group this small is fragile


class SunAbrahamExtra(TypedDict):
    """The ``extra`` mapping of a :func:`sun_abraham` result (documented in its Returns)."""

    catt: Any
    catt_vcov: Any
    shares: Any
    vcov_fixed_shares: Any
    reference: Any
    comparison: Any
    dropped_cells: tuple[Any, ...]
    dropped_controls: tuple[str, ...]
    controls: Any
    n_singletons: int
    pretrend_test: Any


@records_panel
def sun_abraham(
    panel: Panel,
    outcome: str,
    *,
    control: Control = "never",
    reference: int | Sequence[int] = -1,
    window: tuple[int, int] | None = None,
    bin_endpoints: bool = False,
    controls: str | Sequence[str] = (),
    cluster: str | Sequence[str] | None = "unit",
    weights: str | None = None,
    share_variance: ShareVariance = "estimated",
    alpha: float = 0.05,
    min_cohort_size: int = DEFAULT_MIN_COHORT_SIZE,
    small_cells: SmallCells = "flag",
) -> Result:
    """Interaction-weighted event-study estimator of Sun & Abraham (2021).

    Parameters
    ----------
    panel : Panel
        From :func:`~did_zones.build_panel`; never-treated units have cohort ``inf``.
    outcome : str
        Outcome column.
    control : {"never", "last"}
        Comparison group. "never" (default, as in every did_zones estimator): never-treated
        units (Stata ``eventstudyinteract`` with
        ``control_cohort`` = never-treated; R ``fixest::sunab``'s default). "last": the
        last-treated cohort, with every period from its treatment date on dropped, so that
        it is untreated throughout (never-treated units, if any, stay in the comparison
        group too; ``sunab(..., ref.c = last)`` on ``year < last``).
    reference : int or sequence of int
        Relative period(s) left out of the regression, so that each cohort's effects are
        measured against them (default -1, the period before treatment; use e.g. -2 when
        the policy may be anticipated one period ahead). Must be negative.
    window : (int, int), optional
        Relative periods ``lo..hi`` to estimate; must contain the references. By default
        every relative period observed gets its own indicator (the fully saturated model
        the paper recommends).
    bin_endpoints : bool
        With ``window``: False (default) drops the treated units' rows outside ``lo..hi``
        from the sample; True pools them into the end periods (``e <= lo`` into ``lo``,
        ``e >= hi`` into ``hi``; the ``binned`` key marks such terms), which assumes the
        effects are constant within each bin.
    controls : str or sequence of str
        Time-varying numeric controls added to the regression.
    cluster : str, pair of str, or None
        Cluster variable (a role such as ``"unit"``, or a column); two names give two-way
        clustering; None gives heteroskedasticity-robust (HC1) errors.
    weights : str, optional
        Positive analytic weights (Stata ``[aweight=w]``); they weight the regression and
        the cohort shares (fixest's ``use_weights = TRUE``).
    share_variance : {"estimated", "fixed"}
        "estimated" (default) adds the sampling variance of the estimated cohort shares to
        that of the CATTs, as the paper prescribes and Stata ``eventstudyinteract`` (the
        command most users replicate) reports; "fixed" treats the shares as known, as R
        ``fixest``'s ``aggregate``, pyfixest and diff-diff do. Point estimates are the
        same; "fixed" standard errors are never larger.
    alpha : float
        Significance level recorded in ``spec`` (intervals: ``Result.conf_int(alpha)``).
    min_cohort_size : int
        Threshold of the small-cell rule (default 5): a term resting on fewer treated units
        is marked (``keys["small_cell"]``) and listed in one
        :class:`~did_zones.errors.SmallCohortWarning` (and ``notes``). 1 turns the marks
        off.
    small_cells : {"flag", "exclude", "pool"}
        ``"flag"`` (default): estimate every term, mark and warn. ``"exclude"``: the CATTs
        of cohorts with fewer than ``min_cohort_size`` units are left out of every
        interaction-weighted average (the other cohorts' shares renormalised, the overall
        ATT too); relative periods left without cells are dropped. ``"pool"``: adjacent
        relative periods are pooled (never across ``e < 0`` / ``e >= 0``) until each term
        rests on ``min_cohort_size`` units; a pooled term averages every CATT in its range
        with shares over the range and is named ``"e+4..+5"`` (keys ``event_time`` = 4,
        ``event_time_high`` = 5). The regression (step 1) is the same under every policy.

    Returns
    -------
    Result
        Terms ``"overall"`` (primary; the ATT over all post-treatment cells weighted by
        their numbers of observations, fixest's ``agg = "att"``) then one term per relative
        period, ``"e-3"``, ``"e-2"``, ``"e+0"``, ``"e+1"``, ... (references excluded: they
        are 0 by construction), with keys ``event_time``, ``n_units`` (units behind the
        term), ``n_cohorts``, ``post``, ``binned``, ``n_treated_units`` (the distinct
        treated units observed in the term's cells — for ``"overall"`` in every post cell
        it averages; equal to ``n_units``) and ``small_cell``
        (``n_treated_units < min_cohort_size``). ``df`` is ``G − 1`` when clustered
        (``N − K`` for HC1): t inference, as Stata. ``extra`` (:class:`SunAbrahamExtra`)
        holds ``"catt"`` (cohort,
        event_time, estimate, std_error, n_units, n_obs, share in its relative period,
        overall_weight), ``"catt_vcov"``, ``"shares"`` (relative period × cohort),
        ``"pretrend_test"`` (joint Wald test that every pre-treatment IW estimate is zero;
        None without leads), ``"vcov_fixed_shares"`` (the variance with fixed shares),
        ``"controls"`` (coefficients and standard errors of the kept controls),
        ``"reference"``, ``"comparison"``, ``"dropped_cells"``, ``"dropped_controls"`` and
        ``"n_singletons"``. Units and rows coincide per relative period except in bins.

    Raises
    ------
    SpecificationError
        Invalid options or unknown columns.
    PanelError
        No never-treated units with ``control="never"``; fewer than two treated cohorts
        with ``control="last"``; no treated cohort observed at the reference period(s).
    EstimationError
        No cohort-specific effect is identified.

    Warns
    -----
    DataDroppedWarning
        Rows with missing values, singletons, cohorts never observed at a reference
        period (their effects are not normalised), unidentified CATTs and collinear
        controls; every drop is counted in ``Result.notes``.
    SmallCohortWarning
        Terms resting on fewer than ``min_cohort_size`` treated units (one warning listing
        them); a comparison group with fewer than 5 units.
    InferenceWarning
        Fewer than 30 clusters.

    Notes
    -----
    Step 1 fits ``y_it = α_i + λ_t + Σ_g Σ_{e ∉ R} δ_{g,e} 1{G_i = g, t − g = e} +
    X_it'γ + ε_it`` on treated cohorts and the comparison group, where ``R`` holds the
    reference periods. With never-treated units as comparisons, a balanced panel, no
    controls and ``R = {−1}``, ``δ_{g,e}`` is exactly Callaway & Sant'Anna's ATT(g, g+e)
    with ``base_period="universal"`` and ``control="never"``. The CATT variance is the
    CRV1 sandwich with Stata ``reghdfe``'s factor ``G/(G−1)·(N−1)/(N−K)`` (unit effects
    nested in unit clusters are not counted in ``K``; singletons are dropped first), which
    ``fixest``/pyfixest reproduce.

    Step 2: ``θ_e = Σ_g π_{g,e} δ_{g,e}`` with ``π_{g,e}`` the share of cohort ``g`` among
    the (weighted) observations at relative period ``e`` of the cohorts whose
    ``δ_{g,e}`` is identified — in a panel, among the units observed ``e`` periods after
    their treatment. The overall ATT weights every post-treatment ``δ_{g,e}`` by its
    number of observations. With ``share_variance="fixed"``, ``V(θ) = A V(δ) A'``. With
    "estimated", the shares' variance is added: each observation at ``e`` of cohort ``g``
    moves ``θ_e`` by ``w_it (δ_{g,e} − θ_e) / W_e``; these terms are summed within
    clusters (no small-sample factor, as ``eventstudyinteract``'s ``avar``) and their
    outer product added to ``A V(δ) A'``. The covariance between CATTs and shares is
    zero asymptotically and omitted (as the paper and ``eventstudyinteract``). Per term
    this equals ``eventstudyinteract``'s ``V_iw`` diagonal,
    ``δ_e' (diag(π_e) − π_e π_e') δ_e / N_e``, when clustering by unit or not at all;
    unlike it, the covariances between terms include the shares' correlation across
    relative periods (the same units are counted in several), which matters for the
    joint pre-trend test and the overall ATT, and with coarser clusters the shares'
    variance is clustered too. Choose "fixed" to reproduce ``fixest``.

    Small cohorts (the rule of :mod:`did_zones.estimators._small_cells`): a CATT of a
    cohort of one or a few units has a CRV1 standard error computed from those units' own
    residuals, which the fit pulls towards zero; the warning quotes the measured rejection
    rate of a nominal 5% test with 1, 3 and 6 treated clusters (78%, 19%, 12%). With
    ``"exclude"`` and ``"pool"`` the averaging matrix ``A`` and the share terms above are
    those of the cells kept or pooled; the shares' variance follows exactly.

    The pre-trend test is the Wald test that all pre-treatment IW estimates are zero
    (F with ``G − 1`` denominator degrees of freedom when clustered, as Stata's ``test``).

    Crosswalk: ``sun_abraham(panel, "y")`` is Stata ``eventstudyinteract y rel_*,
    cohort(g) control_cohort(never) absorb(unit year) vce(cluster unit)`` with one
    indicator per relative period but −1 (its ``V_iw`` diagonal, without weights; see
    above); ``sun_abraham(panel, "y", share_variance="fixed")`` is R ``feols(y ~
    sunab(g, year, ref.p = -1) | unit + year, cluster = ~unit)`` (its ``summary(agg =
    "att")`` is the ``"overall"`` term) and pyfixest's ``event_study(...,
    estimator="saturated")``; ``control="last"`` is ``sunab(g, year, ref.c = last)`` on
    ``year < last``. Singletons are dropped
    (reghdfe, fixest's ``fixef.rm``), which can change ``N`` in the small-sample factor
    relative to software that keeps them.

    References
    ----------
    Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies
    with heterogeneous treatment effects. Journal of Econometrics 225(2), 175–199.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from did_zones import build_panel, sun_abraham
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(15), 4), "year": np.tile([1, 2, 3, 4], 15)})
    >>> df["g"] = np.select([df["unit"] < 5, df["unit"] < 10], [3, 4], 0)
    >>> e = df["year"] - df["g"]
    >>> df["y"] = df["unit"] + 0.5 * df["year"] + np.where((df["g"] > 0) & (e >= 0), 1.0 + e, 0.0)
    >>> res = sun_abraham(build_panel(df, "unit", "year", cohort="g"), "y", cluster=None)
    >>> (res.estimate.round(6) + 0.0).to_dict()
    {'overall': 1.333333, 'e-3': 0.0, 'e-2': 0.0, 'e+0': 1.0, 'e+1': 2.0}
    """
    opts = _validate(panel, outcome, control, reference, window, bin_endpoints, controls,
                     cluster, weights, share_variance, alpha, min_cohort_size, small_cells)
    sample = _sample(panel, outcome, opts)
    design, cells, cell_row, notes = _design(panel, outcome, sample, opts)
    fit, dropped_cells, dropped_controls, fit_notes = _fit(design, cells, opts)
    notes += fit_notes
    V_delta, n_clusters, df = fit.vcov()
    notes += list(few_clusters_note(design.cluster_counts or None, design.cluster_names))
    return _assemble(panel, outcome, opts, sample, design, fit, cells, cell_row,
                     V_delta, n_clusters, df, dropped_cells, dropped_controls, notes)


def sun_abraham_design(panel: Panel, outcome: str, **options: Any) -> Design:
    """The regression of ``sun_abraham(panel, outcome, **options)`` before it is fitted.

    For checks that refit or resample the regression itself (the wild cluster bootstrap):
    the cohort × relative-period indicators (named as the index of the result's
    ``extra["catt_vcov"]``) and the controls on the rows the estimator uses, unit and period
    effects and clusters as codes, not absorbed (never the collapsed design). Options and
    their checks are :func:`sun_abraham`'s.

    Parameters
    ----------
    panel : Panel
    outcome : str
    **options
        Any option of :func:`sun_abraham` (e.g. ``result.spec``).

    Returns
    -------
    Design
    """
    bound = inspect.signature(sun_abraham).bind(panel, outcome, **options)
    bound.apply_defaults()
    a = bound.arguments
    opts = _validate(panel, outcome, a["control"], a["reference"], a["window"],
                     a["bin_endpoints"], a["controls"], a["cluster"], a["weights"],
                     a["share_variance"], a["alpha"], a["min_cohort_size"],
                     a["small_cells"])
    sample = _sample(panel, outcome, opts)
    return _design(panel, outcome, sample, opts, collapse=False)[0]


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class _Opts:
    control: str
    reference: tuple[int, ...]
    window: tuple[int, int] | None
    bin_endpoints: bool
    controls: tuple[str, ...]
    cluster: str | tuple[str, ...] | None
    weights: str | None
    share_variance: str
    alpha: float
    min_cohort_size: int = DEFAULT_MIN_COHORT_SIZE
    small_cells: str = "flag"


def _is_int(v) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _validate(panel, outcome, control, reference, window, bin_endpoints, controls, cluster,
              weights, share_variance, alpha, min_cohort_size=DEFAULT_MIN_COHORT_SIZE,
              small_cells="flag") -> _Opts:
    check_panel_outcome(panel, outcome)
    check_outcome_varies(panel.column(outcome), outcome)
    from .registry import REGISTRY  # the control values it accepts are declared there

    check_choice("control", control, REGISTRY["sun_abraham"].controls)
    check_choice("share_variance", share_variance, ("estimated", "fixed"))
    alpha = check_alpha(alpha)
    refs = (reference,) if _is_int(reference) else reference
    if isinstance(refs, str) or not isinstance(refs, Sequence) or len(refs) == 0 \
            or not all(_is_int(r) for r in refs):
        raise SpecificationError(
            f"reference must be an integer relative period or a sequence of them, e.g. -1 "
            f"or (-1, -5); got {reference!r}.")
    refs = tuple(sorted({int(r) for r in refs}))
    if refs[-1] >= 0:
        raise SpecificationError(
            f"reference periods must be negative (pre-treatment) relative periods; got "
            f"{list(refs)}. With anticipation of k periods use reference=-(k + 1).")
    window = Window(example=(-4, 4))("window", window)
    if window is not None:
        outside = [r for r in refs if not window[0] <= r <= window[1]]
        if outside:
            raise SpecificationError(
                f"reference period(s) {outside} lie outside window {window}; widen the "
                "window or change reference.")
    bin_endpoints = FLAG("bin_endpoints", bin_endpoints)
    if bin_endpoints and window is None:
        raise SpecificationError(
            "bin_endpoints=True needs a window, e.g. window=(-4, 4), whose end periods "
            "collect the relative periods beyond it.")
    controls = as_tuple(controls)
    weights = OPTIONAL_COLUMN("weights", weights)
    check_columns(panel.data, (outcome,) + controls + ((weights,) if weights else ()))
    k, policy = check_small_cells(min_cohort_size, small_cells)
    return _Opts(control, refs, window, bool(bin_endpoints), controls, cluster, weights,
                 share_variance, alpha, k, policy)


# ---------------------------------------------------------------------------- sample


@dataclass
class _Sample:
    keep: np.ndarray          # candidate rows (bool over panel rows)
    row_g: np.ndarray         # per row: treated cohort, inf for comparison units
    rel: np.ndarray           # per row: (binned) relative period, NaN for comparison rows
    binned: set               # relative periods that pooled others (bin_endpoints)
    comparison: str           # description of the comparison group
    notes: list


def _sample(panel: Panel, outcome: str, o: _Opts) -> _Sample:
    sample = usable_sample(panel, outcome, o.controls, weights=o.weights, unit_constant=False)
    keep = sample.mask
    notes = list(sample.notes)
    g_unit = panel.cohort.copy()
    t = panel.time_values
    present = np.bincount(panel.unit_id[keep], minlength=panel.n_units) > 0
    never = ~np.isfinite(g_unit) & present
    if o.control == "never":
        if not never.any():
            raise PanelError(
                "No never-treated units in the panel. Use control='last' (the last-treated "
                "cohort, before its treatment, as the comparison group), or add never-pilot "
                "units.")
        comparison = f"never-treated units ({int(never.sum())})"
    else:
        finite = np.unique(g_unit[np.isfinite(g_unit) & present])
        if finite.size < 2:
            raise PanelError(
                f"control='last' needs at least two treated cohorts (one to estimate, the "
                f"last one as comparison); the panel has {finite.size}. Use control='never'.")
        last = finite[-1]
        late = keep & (t >= last)
        keep = keep & ~late
        n_last = int(((g_unit == last) & present).sum())
        g_unit[g_unit == last] = np.inf
        comparison = f"last-treated cohort {last:g} ({n_last} units)"
        if never.any():
            comparison += f" and never-treated units ({int(never.sum())})"
        notes.append(
            f"control='last': cohort {last:g} ({n_last} units) serves as the comparison "
            f"group; its treatment period {last:g} and later ({int(late.sum())} rows) are "
            "dropped so that it is untreated throughout.")

    row_g = g_unit[panel.unit_id]
    treated = np.isfinite(row_g)
    with np.errstate(invalid="ignore"):
        rel = np.where(treated, t - row_g, np.nan)
    binned: set = set()
    if o.window is not None:
        lo, hi = o.window
        if o.bin_endpoints:
            if (keep & treated & (rel < lo)).any():
                binned.add(lo)
            if (keep & treated & (rel > hi)).any():
                binned.add(hi)
            rel = np.where(treated, np.clip(rel, lo, hi), np.nan)
        else:
            out = keep & treated & ((rel < lo) | (rel > hi))
            if out.any():
                keep = keep & ~out
                notes.append(
                    f"window {o.window}: {int(out.sum())} row(s) of treated units outside "
                    f"relative periods {lo}..{hi} dropped (bin_endpoints=False).")
    keep, ref_notes = _drop_unreferenced(panel, keep, row_g, rel, o.reference)
    notes += ref_notes
    return _Sample(keep, row_g, rel, binned, comparison, notes)


def _drop_unreferenced(panel: Panel, keep: np.ndarray, row_g: np.ndarray, rel: np.ndarray,
                       refs: tuple[int, ...]) -> tuple[np.ndarray, list]:
    """Drop cohorts with no kept row at a reference period: their effects have no anchor."""
    treated = keep & np.isfinite(row_g)
    cohorts = np.unique(row_g[treated])
    anchored = np.unique(row_g[treated & np.isin(rel, refs)])
    missing = np.setdiff1d(cohorts, anchored)
    if missing.size == 0:
        return keep, []
    if missing.size == cohorts.size:
        raise PanelError(
            f"No treated cohort is observed at the reference period(s) {list(refs)} "
            f"(cohorts {examples(cohorts)}), so no effect can be normalised. Choose "
            "reference periods the cohorts are observed in.")
    lost = keep & np.isin(row_g, missing)
    units = panel.units[np.unique(panel.unit_id[lost])]
    msg = (f"{missing.size} cohort(s) {examples(missing)} never observed at the reference "
           f"period(s) {list(refs)} dropped ({int(lost.sum())} rows, {len(units)} units, "
           f"e.g. {examples(units)}): their effects cannot be normalised.")
    warn(msg, DataDroppedWarning)
    return keep & ~lost, [msg]


# ---------------------------------------------------------------------------- design


def _cell_codes(sample: _Sample, keep: np.ndarray, refs: tuple[int, ...]):
    """The (cohort, relative period) cells that get an indicator, and each row's cell."""
    on = keep & np.isfinite(sample.row_g) & ~np.isin(sample.rel, refs)
    cell_row = np.full(keep.size, -1, dtype=np.int64)
    if not on.any():
        raise EstimationError(
            f"No treated observation outside the reference period(s) {list(refs)}: there "
            "is no effect to estimate. Check the window and the cohorts.")
    # integer codes (cohort index, relative period) -> one dense code, ordered by cohort
    # then relative period: O(n) with bincount instead of sorting row pairs
    cohorts = np.unique(sample.row_g[on])
    gi = np.searchsorted(cohorts, sample.row_g[on])
    ev = sample.rel[on].astype(np.int64)
    lo, width = int(ev.min()), int(ev.max() - ev.min()) + 1
    code = gi * width + (ev - lo)
    present = np.bincount(code, minlength=cohorts.size * width) > 0
    dense = np.cumsum(present) - 1
    cell_row[on] = dense[code]
    flat = np.flatnonzero(present)
    cells = np.column_stack([cohorts[flat // width], (flat % width + lo).astype(float)])
    return cells, cell_row


def _cell_name(g: float, e: float) -> str:
    return f"catt[{g:g},{int(e):+d}]"


def _design(panel: Panel, outcome: str, sample: _Sample, o: _Opts, collapse: bool = True):
    notes = list(sample.notes)
    keep = sample.keep
    for attempt in range(5):  # singleton drops can cascade; each pass only removes rows
        cells, cell_row = _cell_codes(sample, keep, o.reference)
        regressors = {_cell_name(g, e): cell_row == k  # bool: build_design makes floats
                      for k, (g, e) in enumerate(cells)}
        clash = [c for c in o.controls if c in regressors]
        if clash:
            raise SpecificationError(f"Control name(s) {clash} are reserved; rename them.")
        with warnings.catch_warnings(record=attempt > 0):
            if attempt > 0:  # the first build already warned about these drops
                warnings.simplefilter("ignore")
            # cohort × period sums instead of the n × k indicators when they suffice
            design = collapsed_design(panel, outcome, cell_row, list(regressors), rows=keep,
                                      controls=o.controls, cluster=o.cluster,
                                      weights=o.weights) if collapse else None
            if design is None:
                design = build_design(panel, outcome, regressors, controls=o.controls,
                                      fixed_effects=("unit", "time"), cluster=o.cluster,
                                      weights=o.weights, rows=keep)
        used = np.zeros(panel.n_obs, dtype=bool)
        used[design.rows] = True
        # rows lost to missing cluster values or singletons may remove a cohort's anchor
        new_keep, ref_notes = _drop_unreferenced(panel, used, sample.row_g, sample.rel,
                                                 o.reference)
        if not ref_notes:
            break
        notes += ref_notes
        keep = new_keep
    notes += [n for n in design.notes if n not in notes]
    _warn_small_comparison(panel, design, sample, o)
    return design, cells, cell_row, notes


def _warn_small_comparison(panel: Panel, design, sample: _Sample, o: _Opts) -> None:
    uid = panel.unit_id[design.rows]
    g_unit = np.full(panel.n_units, np.nan)
    g_unit[uid] = sample.row_g[design.rows]
    g_unit = g_unit[~np.isnan(g_unit)]
    values, counts = np.unique(g_unit, return_counts=True)
    # small treated cohorts: the small-cell rule marks their terms (in _assemble)
    n_comp = int(counts[~np.isfinite(values)].sum())
    if n_comp < _SMALL_COMPARISON:
        hint = (" Consider control='last' (the last-treated cohort as comparison)."
                if o.control == "never" else "")
        warn(
            f"The comparison group ({sample.comparison}) has only {n_comp} unit(s) in the "
            f"estimation sample: every effect is measured against them.{hint}",
            SmallCohortWarning)


# ------------------------------------------------------------------------------- fit


def _fit(design, cells: np.ndarray, o: _Opts):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = design.fit() if isinstance(design, CollapsedDesign) else fit_absorbed(design)
    for w in caught:  # replaced below by messages that say which cells and controls
        if not (issubclass(w.category, DataDroppedWarning)
                and "dropped as collinear" in str(w.message)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    names = [_cell_name(g, e) for g, e in cells]
    dropped_cells = [(float(cells[k, 0]), int(cells[k, 1])) for k, n in enumerate(names)
                     if n in fit.dropped]
    dropped_controls = [c for c in fit.dropped if c in o.controls]
    notes = []
    if dropped_cells:
        msg = (f"{len(dropped_cells)} cohort × relative-period effect(s) not identified "
               f"(collinear with the unit and period effects) and left out of the averages, "
               f"(cohort, relative period) {examples(dropped_cells)}.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    if dropped_controls:
        msg = (f"Control(s) {dropped_controls} dropped: collinear with the fixed effects or "
               "the other regressors. Remove them from controls.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    if not any(n in fit.names for n in names):
        raise EstimationError(
            "No cohort-specific effect is identified: every cohort × relative-period "
            "indicator is collinear with the unit and period effects. Check that the "
            "comparison group is observed in the treated cohorts' periods.")
    return fit, dropped_cells, dropped_controls, notes


# -------------------------------------------------------------------------- assemble


def _assemble(panel, outcome, o: _Opts, sample: _Sample, design, fit, cells, cell_row,
              V_delta, n_clusters, df, dropped_cells, dropped_controls, notes) -> Result:
    names = [_cell_name(g, e) for g, e in cells]
    pos = {n: i for i, n in enumerate(fit.names)}
    ident = np.array([n in pos for n in names])
    kept = np.flatnonzero(ident)                    # identified cells, in cell order
    coef_idx = np.array([pos[names[k]] for k in kept])
    delta = fit.coef[coef_idx]
    Vd = V_delta[np.ix_(coef_idx, coef_idx)]
    g_k, e_k = cells[kept, 0], cells[kept, 1]

    # rows of the estimation sample and their identified cell (-1: none)
    rows = design.rows
    local = np.full(cells.shape[0], -1)
    local[kept] = np.arange(kept.size)
    rc = cell_row[rows]
    rc = np.where(rc >= 0, local[np.maximum(rc, 0)], -1)
    w = np.ones(rows.size) if design.weights is None else design.weights
    on = rc >= 0
    uid = panel.unit_id[rows]
    mass = np.bincount(rc[on], weights=w[on], minlength=kept.size)
    n_cell = np.bincount(rc[on], minlength=kept.size)

    # treated units per cohort in the estimation sample (each unit has one cohort)
    cohorts = np.unique(g_k)
    gi_k = np.searchsorted(cohorts, g_k)
    idx = np.flatnonzero(on)
    k_r = rc[idx]
    unit_g = np.full(panel.n_units, -1)
    unit_g[uid[idx]] = gi_k[k_r]
    csize = np.bincount(unit_g[unit_g >= 0], minlength=cohorts.size)
    use = _small_cell_policy(o, cohorts, csize, gi_k)
    small_notes: list[str] = []

    # terms: one per relative period (or pooled range of them) with a kept cell
    etimes = np.array([e for e in np.unique(e_k) if (use & (e_k == e)).any()])
    if not use.all():  # the relative periods resting only on excluded cohorts are dropped
        small = csize < o.min_cohort_size
        lost = [f"e{int(e):+d}" for e in np.setdiff1d(np.unique(e_k), etimes)]
        small_notes.append(exclusion_note(
            "Sun–Abraham", cohorts[small].tolist(), int(csize[small].sum()),
            o.min_cohort_size, _EXCLUDED, lost))
    if o.small_cells == "pool":
        members = [set(gi_k[use & (e_k == e)].tolist()) for e in etimes]
        gid = pool_adjacent(etimes, members, dict(enumerate(csize.tolist())),
                            o.min_cohort_size, blocks=etimes >= 0)
    else:
        gid = np.arange(etimes.size)
    ranges = [etimes[gid == j] for j in range(etimes.size and int(gid.max()) + 1)]
    post = e_k >= 0
    has_overall = bool((post & use).any())
    J = len(ranges) + has_overall
    member = np.zeros((J, kept.size), dtype=bool)
    if has_overall:
        member[0] = post & use
    for j, r in enumerate(ranges):
        member[j + has_overall] = np.isin(e_k, r) & use
    tot = member @ mass
    A = member * mass / tot[:, None]
    theta = A @ delta
    V_fixed = A @ Vd @ A.T
    Fd = fit.variance_floor()[np.ix_(coef_idx, coef_idx)]
    F = A @ Fd @ A.T  # A >= 0: the floor of each average (shares add variance, not noise)

    # estimated shares: a row of cell k moves each term j whose average contains k by
    # w (δ_k − θ_j) / W_j (its relative period's term and, after treatment, the overall ATT)
    rows_of, cols, vals, n_units_term = [], [], [], []
    for j in range(J):
        in_j = member[j][k_r]
        r = idx[in_j]
        rows_of.append(r)
        cols.append(np.full(r.size, j, dtype=np.int64))
        vals.append(w[r] * (delta[k_r[in_j]] - theta[j]) / tot[j])
        n_units_term.append(count_distinct(uid[r], panel.n_units))  # units behind the term
    V_share = _share_meat(np.concatenate(rows_of), np.concatenate(cols),
                          np.concatenate(vals), rows.size, J, design.clusters)
    V = V_fixed + V_share if o.share_variance == "estimated" else V_fixed

    lo = [float(r[0]) for r in ranges]
    hi = [float(r[-1]) for r in ranges]
    terms = (["overall"] if has_overall else []) + [
        f"e{int(a):+d}" if a == b else f"e{int(a):+d}..{int(b):+d}"
        for a, b in zip(lo, hi, strict=True)]
    keys = pd.DataFrame({
        "cohort": np.nan, "time": np.nan,
        "event_time": ([np.nan] if has_overall else []) + lo,
        "n_units": n_units_term,
        "n_cohorts": [int(np.unique(g_k[m]).size) for m in member],
        "post": ([True] if has_overall else []) + [bool(a >= 0) for a in lo],
        "binned": ([False] if has_overall else []) + [
            any(int(e) in sample.binned for e in r) for r in ranges],
    })
    if o.small_cells == "pool":
        keys.insert(3, "event_time_high", ([np.nan] if has_overall else []) + hi)
        pooled = [t for t in terms if ".." in t]
        if pooled:
            small_notes.append(pooling_note("Sun–Abraham", pooled, o.min_cohort_size))
    if has_overall:  # cohort-share weighted mean of the post cells: the window's simple ATT
        e_post = [int(b) for b in hi if b >= 0]
        keys = tag(keys, 0, "simple_att", 0,
                   np.inf if max(e_post) in sample.binned else max(e_post))
    keys = mark_small(keys, n_units_term, o.min_cohort_size)
    small = keys["small_cell"].to_numpy()
    msg = warn_small_cells("Sun–Abraham", dict(zip(
        np.asarray(terms)[small].tolist(), np.asarray(n_units_term)[small].tolist(),
        strict=True)), o.min_cohort_size, o.small_cells)
    notes = list(notes) + small_notes + ([msg] if msg else [])

    se_d = np.sqrt(np.clip(np.diag(Vd), 0, None))
    se_d[np.diag(Vd) <= np.diag(Fd)] = np.nan  # not identified, as in the Result below
    share = np.zeros(kept.size)
    for j in range(has_overall, A.shape[0]):
        share[member[j]] = A[j, member[j]]
    cell_units = n_cell.copy()
    for k in np.flatnonzero(np.isin(e_k, list(sample.binned))):
        cell_units[k] = count_distinct(uid[idx[k_r == k]], panel.n_units)
    catt = pd.DataFrame({
        "cohort": g_k, "event_time": e_k.astype(int), "estimate": delta, "std_error": se_d,
        "n_units": cell_units, "n_obs": n_cell, "share": share,
        "overall_weight": A[0] if has_overall else np.zeros(kept.size),
    })
    catt_names = [names[k] for k in kept]
    shares = catt.pivot(index="event_time", columns="cohort", values="share")
    n_units = int(np.unique(uid).size)
    extra = {
        "catt": catt,
        "catt_vcov": pd.DataFrame(Vd, index=catt_names, columns=catt_names),
        "shares": shares,
        "vcov_fixed_shares": pd.DataFrame(V_fixed, index=pd.Index(terms, name="term"),
                                          columns=pd.Index(terms, name="term")),
        "reference": o.reference,
        "comparison": sample.comparison,
        "dropped_cells": tuple(dropped_cells),
        "dropped_controls": tuple(dropped_controls),
        "controls": _control_coefs(fit, o.controls, V_delta),
        "n_singletons": design.n_singletons,
        "pretrend_test": None,
    }
    spec = {"control": o.control, "reference": o.reference, "window": o.window,
            "bin_endpoints": o.bin_endpoints, "controls": o.controls, "cluster": o.cluster,
            "weights": o.weights, "share_variance": o.share_variance, "alpha": o.alpha,
            "min_cohort_size": o.min_cohort_size, "small_cells": o.small_cells}
    all_notes = tuple(dict.fromkeys(tuple(panel.notes) + tuple(notes)))
    res = Result.create(
        theta, V, terms, keys=keys, variance_floor=F, method="sun_abraham", outcome=outcome,
        spec=spec,
        n_obs=design.n_obs, n_units=n_units, n_clusters=n_clusters, df=df,
        primary="overall" if has_overall else terms[0], notes=all_notes,
        stats={"r2": fit.stats["r2"], "r2_within": fit.stats["r2_within"],
               "n_obs": design.n_obs, "n_catt": int(kept.size), "n_fe_params": fit.fe_dof},
        extra=extra,
    )
    leads = [t for t, e in zip(terms[has_overall:], lo, strict=True) if e < 0]
    if leads:
        extra["pretrend_test"] = res.wald_test(leads, name="pre-trend: all leads = 0")
    return res


def _small_cell_policy(o: _Opts, cohorts: np.ndarray, csize: np.ndarray,
                       gi_k: np.ndarray) -> np.ndarray:
    """Cells allowed in the averages: all but those of small cohorts under
    ``small_cells="exclude"``."""
    use = np.ones(gi_k.size, dtype=bool)
    if o.small_cells != "exclude":
        return use
    small = csize < o.min_cohort_size
    shown = ", ".join(f"{g:g}: {int(n)}" for g, n in zip(cohorts[small], csize[small],
                                                         strict=True))
    if small.all():
        raise SpecificationError(
            f"small_cells='exclude' leaves nothing to average: every treated cohort has "
            f"fewer than {o.min_cohort_size} units (cohort: units — {shown}). Use "
            "small_cells='flag' or 'pool', or a smaller min_cohort_size.")
    return ~small[gi_k]


def _share_meat(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n: int, J: int,
                clusters: tuple[np.ndarray, ...]) -> np.ndarray:
    """``Σ_c φ_c φ_c'`` for the sparse share terms ``φ`` (entries ``vals`` at ``rows``,
    ``cols``), summed within clusters (rows when unclustered); no small-sample factor."""
    if len(clusters) == 2:  # two-way: the shared CGM code on the dense matrix
        phi = np.zeros((n, J))
        np.add.at(phi, (rows, cols), vals)
        V, _ = sandwich_vcov(phi, np.eye(J), np.column_stack(clusters), n_obs=n, n_params=0,
                             small_sample=False)
        return V
    code = clusters[0][rows] if clusters else rows
    size = int(code.max()) + 1 if code.size else 0
    sums = np.bincount(code * J + cols, weights=vals, minlength=size * J).reshape(size, J)
    return sums.T @ sums


def _control_coefs(fit, controls: tuple[str, ...], V: np.ndarray) -> pd.DataFrame:
    """Coefficients and standard errors of the kept controls."""
    names = [n for n in fit.names if n in controls]
    if not names:
        return pd.DataFrame(columns=["estimate", "std_error"])
    idx = [fit.names.index(n) for n in names]
    return pd.DataFrame({"estimate": fit.coef[idx],
                         "std_error": np.sqrt(np.diag(V)[idx])}, index=pd.Index(names))
