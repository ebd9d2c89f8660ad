"""Double/debiased machine-learning difference-in-differences (Chang 2020; 双重机器学习).

Each group-time effect ATT(g,t) compares cohort ``g`` with a comparison group (never- or
not-yet-treated) between a base period and period ``t``, as Callaway & Sant'Anna (2021); the
conditional parallel-trends adjustment for the controls is learned by machine-learning
nuisances (an outcome regression and a propensity score) fitted by K-fold cross-fitting,
and the effect solves a Neyman-orthogonal (doubly robust) score. Conventions are those of
the Python/R package DoubleML (``DoubleMLDID``, ``DoubleMLDIDCS``, ``DoubleMLDIDMulti``):
with the same sample splits and deterministic learners the numbers coincide. Aggregations
(:func:`dml_aggregate`, also reached through :func:`did_zones.aggregate`) follow
``DoubleMLDIDMulti.aggregate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..design import check_panel_outcome, usable_rows
from ..errors import (
    InferenceWarning,
    PanelError,
    SmallCohortWarning,
    SpecificationError,
    warn,
)
from ..estimands import tag
from ..panel import Panel
from ..result import Result
from ..validation import (
    ALPHA,
    PANEL,
    Boolean,
    Choice,
    Integer,
    Real,
    Seed,
    as_tuple,
    check,
    check_outcome_varies,
)
from . import _dml_core as core
from ._dml_aggregate import DmlAggregateExtra, dml_aggregate

__all__ = ["dml_did", "dml_aggregate", "DmlAggregateExtra", "DmlDidExtra", "ASSUMPTIONS"]

Learner = Literal["lasso", "random_forest", "gradient_boosting", "linear"]
Score = Literal["observational", "experimental"]

# the identifying assumptions stated with every result (translated in tables/zh_notes.py)
ASSUMPTIONS = (
    "DML-DiD assumptions: (1) conditional parallel trends: given the controls, the treated "
    "cohort's untreated outcome would have moved like the comparison group's; (2) overlap: "
    "every unit has a propensity of belonging to the cohort strictly between 0 and 1 given "
    "its controls; (3) no anticipation before the first treated period (beyond "
    "anticipation=); (4) the learners converge fast enough: the product of the outcome-"
    "regression and propensity errors is o(n^-1/2), e.g. each o(n^-1/4).")


class DmlDidExtra(TypedDict):
    """The ``extra`` mapping of a :func:`dml_did` result (documented in its Returns)."""

    assumptions: str
    learners: Any
    rep_estimates: Any
    rep_std_errors: Any
    rep_influence: Any
    folds: Any
    cells: Any
    unit_cohort: Any
    cohort_share: Any
    propensity_clipped: Any


_CONSTRAINTS = {
    "panel": PANEL,
    "learner": Choice(core.LEARNERS),
    "score": Choice(("observational", "experimental")),
    "control": Choice(("never", "not_yet")),
    "base_period": Choice(("varying", "universal")),
    "data_type": Choice(("panel", "cross_section")),
    "anticipation": Integer(min=0),
    "n_folds": Integer(min=2),
    "n_rep": Integer(min=1),
    "seed": Seed(allow_none=False),
    "trimming_threshold": Real(0.0, 0.5, closed="left"),
    "in_sample_normalization": Boolean(),
    "alpha": ALPHA,
    "n_jobs": Integer(min=1, allow_none=True),
}


def _cells(periods: np.ndarray, cohorts: np.ndarray, base_period: str, anticipation: int):
    """(g, t_pre, t_eval) of every ATT(g,t): DoubleMLDIDMulti's ``"standard"`` (varying base)
    or ``"universal"`` combinations."""
    out = []
    a = anticipation
    for g in cohorts:
        before = periods[periods < g]
        if before.size <= a:
            continue
        base = before[-(a + 1)]
        if base_period == "varying":
            out += [(g, min(periods[i], base), te) for i, te in enumerate(periods[a + 1:])]
        else:
            out += [(g, base, te) for te in periods if te != base]
    return out


def _controls_matrix(panel: Panel, controls: tuple[str, ...], rows: np.ndarray) -> np.ndarray:
    """Controls of the usable rows, checked: numeric (Panel.column) and not constant."""
    X = np.column_stack([panel.column(c)[rows] for c in controls])
    spread = X.max(axis=0) - X.min(axis=0)
    flat = [c for c, s in zip(controls, spread, strict=True) if not s > 0]
    if flat:
        raise SpecificationError(
            f"Control(s) {flat} are constant over all {rows.size} usable rows "
            f"({np.unique(panel.unit_id[rows]).size} units), so they carry no information for "
            "the learners. Drop them from controls.")
    return X


@records_panel
def dml_did(
    panel: Panel,
    outcome: str,
    *,
    controls: str | Sequence[str] | None = None,
    learner: Learner = "lasso",
    ml_g: Any = None,
    ml_m: Any = None,
    score: Score = "observational",
    control: Literal["never", "not_yet"] = "never",
    base_period: Literal["varying", "universal"] = "varying",
    anticipation: int = 0,
    data_type: Literal["panel", "cross_section"] = "panel",
    n_folds: int = 5,
    n_rep: int = 1,
    seed: int = 0,
    trimming_threshold: float = 0.01,
    in_sample_normalization: bool = True,
    n_jobs: int | None = None,
    alpha: float = 0.05,
) -> Result:
    """Double/debiased machine-learning DiD: ATT(g,t) with cross-fitted ML nuisances.

    For each cohort ``g`` and period ``t`` the units of cohort ``g`` are compared with the
    comparison group ``C`` between the base period ``b`` and ``t``. With panel data the
    observational (doubly robust) score on ``ΔY = Y_t − Y_b`` is (DoubleML, in-sample
    normalised weights)::

        θ = E_n[ (D/p̂ − w_C) (ΔY − ℓ̂(X)) ],   w_C = (1−D) m̂/(1−m̂) / E_n[(1−D) m̂/(1−m̂)]

    with ``ℓ(X) = E[ΔY | X, C]`` (``ml_g``, fitted on the comparison units) and
    ``m(X) = P(G = g | X)`` (``ml_m``), both predicted out of fold (K-fold cross-fitting,
    Chernozhukov et al. 2018; Chang 2020). ``score="experimental"`` drops the propensity
    (treatment independent of the controls) and adds ``ℓ_1(X) = E[ΔY | X, G = g]``.
    ``data_type="cross_section"`` uses the repeated cross-section score of Sant'Anna & Zhao
    (2020) on outcome levels with four regressions ``E[Y | X, D = d, T = t]``
    (``DoubleMLDIDCS``).

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`.
    outcome : str
        Outcome column.
    controls : str or sequence of str
        Numeric pre-treatment controls (required): the conditioning set of the parallel-
        trends assumption. Panel data use their values in the earlier of the two periods
        of each comparison (as DoubleML).
    learner : {"lasso", "random_forest", "gradient_boosting", "linear"}
        Shortcut for both learners (hyper-parameters in Notes). Ignored for a learner
        passed explicitly.
    ml_g : scikit-learn regressor, optional
        Outcome regression (``fit``/``predict``); cloned, never fitted in place.
    ml_m : scikit-learn classifier, optional
        Propensity model (``fit``/``predict_proba``); not used by ``score="experimental"``.
    score : {"observational", "experimental"}
        Doubly robust score, or the randomised-assignment score without a propensity.
    control : {"never", "not_yet"}
        Comparison group: never-treated units, or in addition units first treated after
        ``t + anticipation`` (DoubleML's ``"never_treated"`` / ``"not_yet_treated"``).
    base_period : {"varying", "universal"}
        ``"varying"`` (DoubleML ``gt_combinations="standard"``): pre-periods compare ``t``
        with the period before it, post-periods with ``g − 1 − anticipation``.
        ``"universal"``: always ``g − 1 − anticipation`` (then the event study has leads
        against one reference period, as an event-study regression).
    anticipation : int
        Periods of anticipation (the base period moves back by as many).
    data_type : {"panel", "cross_section"}
        ``"cross_section"`` treats the rows as repeated cross-sections (units are not
        followed; the score and splits are per row).
    n_folds, n_rep : int
        Folds of the cross-fitting and repetitions of the sample splitting; estimates over
        repetitions are combined by the median (standard error from the median upper 95%
        bound, as DoubleML).
    seed : int
        Seed of the sample splits (reproducible by default; a random ``learner=`` shortcut
        is seeded with it too). Recorded in ``spec``.
    trimming_threshold : float
        Propensities are clipped to ``[c, 1 − c]`` (DoubleML's ``trimming_threshold`` /
        ``clipping_threshold``, default 0.01); the number clipped is counted and warned.
    in_sample_normalization : bool
        Normalise the inverse-probability weights to mean one within the sample (DoubleML's
        default) rather than dividing by ``p̂``.
    n_jobs : int, optional
        Fit the group-time comparisons on joblib workers.
    alpha : float
        Significance level stored in ``spec``.

    Returns
    -------
    Result
        Terms ``"ATT(g,t)"`` with keys ``cohort``, ``time``, ``event_time``, ``base``
        (the base period) and ``n_units`` (units, or rows for cross-sections, in the
        comparison). Standard errors are DoubleML's ``sqrt(mean(ψ²)/J²/n)`` on unit
        scores; ``influence`` holds the unit scores ``ψ/J`` (``n_rep = 1``), so
        ``vcov = ψᵀψ / n²``. Aggregate with :func:`did_zones.aggregate` (event time,
        cohort, calendar, simple); :func:`did_zones.honest_did` reads the ``"event"``
        aggregation of ``base_period="universal"``. ``extra`` (:class:`DmlDidExtra`): ``assumptions`` (text),
        ``learners`` (the two learners' reprs), ``rep_estimates`` / ``rep_std_errors``
        (terms × repetitions), ``rep_influence`` (units × terms × repetitions),
        ``folds`` (per term, the repetitions × observations fold ids), ``cells`` (g,
        base, t per term), ``unit_cohort``, ``cohort_share`` and ``propensity_clipped``
        (per term, propensities clipped in the first repetition).

    Raises
    ------
    SpecificationError
        No or unknown controls, non-numeric or constant controls, a learner without
        ``fit``/``predict`` (``predict_proba``), invalid options, no comparison group.
    PanelError
        Treatment that switches off; no cohort with a pre-treatment period.
    EstimationError
        A training fold without both treatment statuses (too many folds for a cell).

    Warns
    -----
    InferenceWarning
        Propensities clipped at ``trimming_threshold`` (weak overlap or perfect
        separation), counted per comparison with the fix.
    DataDroppedWarning
        Rows with a missing outcome or control.

    Notes
    -----
    Assumptions (also in ``extra["assumptions"]`` and the summary's notes): conditional
    parallel trends given the controls; overlap (propensities bounded away from 0 and 1);
    no anticipation; nuisance learners converging fast enough that the product of their
    errors is ``o(n^{-1/2})`` (the orthogonal score then removes the first-order
    regularisation bias, and cross-fitting the own-observation over-fitting bias).

    Default learners (``learner=``): ``"lasso"``: StandardScaler + ``LassoCV(cv=5)`` and
    StandardScaler + L1 ``LogisticRegressionCV(Cs=10, cv=5, scoring="neg_log_loss")``;
    ``"random_forest"``: 500 trees, ``min_samples_leaf=5``, all / ``sqrt`` features,
    ``random_state=seed``; ``"gradient_boosting"``: ``HistGradientBoosting`` with 200
    iterations, learning rate 0.05, 15 leaves, ``min_samples_leaf=20``, no early stopping,
    ``random_state=seed``; ``"linear"``: ``LinearRegression`` and ``LogisticRegression(C=1)``.

    A plain ``LinearRegression`` and an L2 / unpenalised ``LogisticRegression`` with
    ``tol <= 1e-8`` are fitted in closed form / by Newton's method inside the cross-fitting
    (the same solutions, without scikit-learn's per-call overhead).

    Sample splits are stratified on the cohort indicator (and the period for
    cross-sections) and drawn per comparison and repetition from ``seed`` over the units
    in the panel's sorted order, so reordering rows changes nothing; relabelling units
    reorders them and so changes the splits (and the estimates, by sampling noise).

    References
    ----------
    Chang, N.-C. (2020). Double/debiased machine learning for difference-in-differences
    models. The Econometrics Journal 23(2), 177–191.
    Chernozhukov, V., Chetverikov, D., Demirer, M., Duflo, E., Hansen, C., Newey, W. and
    Robins, J. (2018). Double/debiased machine learning for treatment and structural
    parameters. The Econometrics Journal 21(1), C1–C68.
    Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
    estimators. Journal of Econometrics 219(1), 101–122.
    Bach, P., Chernozhukov, V., Kurz, M. S. and Spindler, M. (2022). DoubleML: an
    object-oriented implementation of double machine learning in Python. JMLR 23(53).

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.dml_did(panel, "isu", controls=["lngdp_pc", "lnpop"], learner="linear")
    >>> dz.aggregate(res, "event").terms[0]
    'overall'
    """
    opts = check(_CONSTRAINTS, panel=panel, learner=learner, score=score, control=control,
                 base_period=base_period, data_type=data_type, anticipation=anticipation,
                 n_folds=n_folds, n_rep=n_rep, seed=seed,
                 trimming_threshold=trimming_threshold,
                 in_sample_normalization=in_sample_normalization, alpha=alpha, n_jobs=n_jobs)
    check_panel_outcome(panel, outcome)
    controls = as_tuple(controls)
    if not controls:
        raise SpecificationError(
            "dml_did needs controls: the variables X of conditional parallel trends that the "
            "learners adjust for, e.g. dml_did(panel, 'y', controls=['lngdp_pc', 'lnpop']). "
            "Without controls use callaway_santanna (the same ATT(g,t) without learners).")
    seed = opts["seed"]
    custom = ml_g is not None or ml_m is not None  # recorded in spec only when passed
    g_model, m_model = core.default_learners(learner, seed)
    ml_g = core.check_learner("ml_g", g_model if ml_g is None else ml_g, classifier=False)
    if score == "observational":
        ml_m = core.check_learner("ml_m", m_model if ml_m is None else ml_m, classifier=True)
    else:
        ml_m = None
    y_all = panel.column(outcome)
    check_outcome_varies(y_all, outcome)
    ok, notes = usable_rows(panel, (outcome, *controls))
    rows = np.flatnonzero(ok)
    X_rows = _controls_matrix(panel, controls, rows)
    notes = list(panel.notes) + list(notes)

    periods = np.unique(panel.time_values[rows])
    unit_g = panel.cohort  # per unit, +inf never treated
    cohorts = np.unique(unit_g[np.isfinite(unit_g)])
    cells = _cells(periods, cohorts, base_period, anticipation)
    if not cells:
        raise PanelError(
            f"No cohort has {anticipation + 1} period(s) before its first treated period "
            f"(cohorts {cohorts.tolist()}, periods {periods.min():g}..{periods.max():g}), so "
            "no ATT(g,t) has a base period. Add earlier periods or lower anticipation.")
    never = ~np.isfinite(unit_g)
    if control == "never" and not never.any():
        raise SpecificationError(
            f"No never-treated units in the panel ({panel.n_units} units, all treated), so "
            "control='never' has no comparison group. Use control='not_yet', or add "
            "never-pilot units.")

    # wide layout: one row per unit, one column per period (NaN where missing / unusable)
    pidx = np.searchsorted(periods, panel.time_values[rows])
    uid = panel.unit_id[rows]
    n_units_all = panel.n_units
    Y = np.full((n_units_all, periods.size), np.nan)
    Y[uid, pidx] = y_all[rows]
    rowpos = np.full((n_units_all, periods.size), -1)
    rowpos[uid, pidx] = np.arange(rows.size)
    panel_mode = data_type == "panel"
    present = np.zeros(n_units_all, dtype=bool)
    present[uid] = True
    n_total = int(present.sum()) if panel_mode else rows.size

    ss = np.random.SeedSequence(seed)
    children = ss.spawn(len(cells))
    jobs: list = []
    skipped: list[str] = []
    for (g, b, te), child in zip(cells, children, strict=True):
        jb, jt = np.searchsorted(periods, b), np.searchsorted(periods, te)
        t_idx = periods[min(jt + anticipation, periods.size - 1)]
        is_g = unit_g == g
        comp = never if control == "never" else never | ((unit_g > t_idx) & ~is_g)
        if panel_mode:
            both = (rowpos[:, jb] >= 0) & (rowpos[:, jt] >= 0) & (is_g | comp)
            units = np.flatnonzero(both)
            first = min(jb, jt)
            X = X_rows[rowpos[units, first]]
            yv = Y[units, jt] - Y[units, jb]
            d = is_g[units].astype(float)
            tv = None
            pos = units  # positions in the unit-level score vector
        else:
            in_rows = np.flatnonzero(np.isin(pidx, (jb, jt)) & (is_g | comp)[uid])
            X = X_rows[in_rows]
            yv = y_all[rows][in_rows]
            d = is_g[uid[in_rows]].astype(float)
            tv = (pidx[in_rows] == jt).astype(float)
            pos = in_rows
        label = f"ATT({g:g},{te:g})"
        n_g, n_c = int(d.sum()), int((1 - d).sum())
        if n_g == 0 or n_c == 0:
            continue
        if min(n_g, n_c) < n_folds:
            skipped.append(f"{label} {n_g}/{n_c}")
            continue
        rngs = [np.random.default_rng(c) for c in child.spawn(n_rep)]
        jobs.append((label, g, b, te, X, yv, d, tv, pos, rngs))
    unit_word = "units" if panel_mode else "rows"
    if skipped:
        msg = (f"DML-DiD: {len(skipped)} ATT(g,t) skipped with fewer treated or comparison "
               f"{unit_word} than n_folds={n_folds} (treated/comparison, e.g. "
               f"{'; '.join(skipped[:5])}): a "
               "cross-fitting fold would lack one group. Lower n_folds or pool small cohorts.")
        if not jobs:
            raise SpecificationError(msg.replace("skipped", "to estimate; all skipped", 1))
        warn(msg, SmallCohortWarning)
        notes.append(msg)

    def run(job):
        label, g, b, te, X, yv, d, tv, pos, rngs = job
        return core.fit_cell(
            X, yv, d, tv if tv is not None else np.zeros_like(yv), panel=panel_mode,
            score=score, normalize=in_sample_normalization, ml_g=ml_g, ml_m=ml_m,
            n_folds=n_folds, n_rep=n_rep, clip=trimming_threshold, rngs=rngs, what=label,
            n_total=n_total)

    if n_jobs and n_jobs > 1 and len(jobs) > 1:
        from joblib import Parallel, delayed

        fits = Parallel(n_jobs=n_jobs)(delayed(run)(j) for j in jobs)
    else:
        fits = [run(j) for j in jobs]

    k = len(jobs)
    n_score = n_units_all if panel_mode else rows.size
    rep_theta = np.vstack([f.theta for f, _ in fits])
    rep_se = np.vstack([f.se for f, _ in fits])
    rep_psi = np.zeros((n_score, k, n_rep))
    for j, ((fit, _), job) in enumerate(zip(fits, jobs, strict=True)):
        rep_psi[job[8], j, :] = fit.scaled_psi
    if panel_mode:
        rep_psi = rep_psi[present]
    est, se = core.median_combine(rep_theta, rep_se)
    vcov = core.rep_vcov(rep_psi, se, n_total)
    clipped = np.array([f.n_clipped[0] for f, _ in fits])
    labels = [j[0] for j in jobs]
    _warn_clipped(labels, clipped, np.array([j[6].size for j in jobs]), trimming_threshold,
                  "units" if panel_mode else "rows", notes)
    notes.append(ASSUMPTIONS)
    keys = pd.DataFrame({"cohort": [j[1] for j in jobs], "time": [j[3] for j in jobs],
                         "event_time": [j[3] - j[1] for j in jobs],
                         "base": [j[2] for j in jobs],
                         "n_units": [j[6].size for j in jobs]}).astype(float)
    keys = tag(keys, [], "simple_att")
    share = pd.Series(
        [float(np.mean(unit_g[present] == c)) for c in cohorts],
        index=pd.Index(cohorts, name="cohort"), name="cohort_share")
    # the learners themselves (unfitted clones), so that rerun() refits the same ones
    spec = {"controls": controls, "learner": learner,
            "ml_g": ml_g if custom else None, "ml_m": ml_m if custom else None, "score": score, "control": control,
            "base_period": base_period, "anticipation": anticipation, "data_type": data_type,
            "n_folds": n_folds, "n_rep": n_rep, "seed": seed,
            "trimming_threshold": trimming_threshold,
            "in_sample_normalization": in_sample_normalization, "alpha": alpha,
            "se": "DoubleML (unit scores)"}
    units = panel.units[present] if panel_mode else None
    return Result.create(
        est, vcov, labels, keys=keys, method="dml_did", outcome=outcome, spec=spec,
        n_obs=rows.size, n_units=int(present.sum()), n_clusters=None, df=None, primary=None,
        influence=rep_psi[:, :, 0] if n_rep == 1 else None,
        influence_index=units if n_rep == 1 else None,
        notes=tuple(dict.fromkeys(notes)),
        extra={"assumptions": ASSUMPTIONS,
               "learners": {"ml_g": repr(ml_g), "ml_m": repr(ml_m)},
               "rep_estimates": pd.DataFrame(rep_theta, index=labels),
               "rep_std_errors": pd.DataFrame(rep_se, index=labels),
               "rep_influence": rep_psi,
               "folds": {lab: f.folds for lab, (f, _) in zip(labels, fits, strict=True)},
               "cells": keys[["cohort", "base", "time"]].copy(),
               "unit_cohort": pd.Series(unit_g[present] if panel_mode else unit_g[uid],
                                        name="cohort"),
               "cohort_share": share,
               "propensity_clipped": pd.Series(clipped, index=labels)},
    )


def _warn_clipped(labels, clipped, sizes, c, unit_word, notes):
    hit = clipped > 0
    if not hit.any():
        return
    shown = ", ".join(f"{lab}: {int(n)}/{int(s)}" for lab, n, s in
                      list(zip(np.asarray(labels)[hit], clipped[hit], sizes[hit],
                               strict=True))[:5])
    msg = (f"DML-DiD: propensity scores outside [{c:g}, {1 - c:g}] were clipped in "
           f"{int(hit.sum())} comparison(s) (clipped/{unit_word}: {shown}): weak overlap or perfect "
           "separation by the controls. Check overlap, drop controls that nearly determine "
           "the cohort, or raise trimming_threshold.")
    warn(msg, InferenceWarning)
    notes.append(msg)
