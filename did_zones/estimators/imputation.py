"""Imputation estimator of Borusyak, Jaravel & Spiess (2024), as Stata ``did_imputation``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from scipy import sparse, stats

from .._provenance import records_panel
from ..design import FESpec, build_design, check_panel_outcome, few_clusters_note, fit_absorbed
from ..errors import EstimationError, SmallCohortWarning, SpecificationError, deprecated, warn
from ..estimands import tag
from ..inference import small_sample_factor
from ..panel import Panel
from ..result import HypothesisTest, Result
from ..validation import Window, as_tuple, check_alpha, check_outcome_varies, examples
from ._imputation_core import (
    FirstStage,
    LinearTerm,
    _sums,
    check_count,
    check_single_cluster,
    cluster_labels,
    first_stage,
    linear_term,
    small_cohort_rows,
    term_groups,
    term_rows,
    unit_sets,
    units_per_column,
)
from ._small_cells import (
    DEFAULT_MIN_COHORT_SIZE,
    SmallCells,
    check_small_cells,
    exclusion_note,
    mark_small,
    pooling_note,
    range_label,
    warn_small_cells,
)

__all__ = ["imputation", "imputation_terms", "pretrend_design"]

MIN_EFFECTIVE_N = 30  # Stata did_imputation's minn(30)


class ImputationExtra(TypedDict):
    """The ``extra`` mapping of an :func:`imputation` result (documented in its Returns)."""

    pretrend_test: Any
    effects: Any
    first_stage_coef: dict[str, float]
    n_unidentified: int


@records_panel
def imputation(
    panel: Panel,
    outcome: str,
    *,
    window: tuple[int, int | None] | None = None,
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | None = "unit",
    weights: str | None = None,
    anticipation: int = 0,
    alpha: float = 0.05,
    horizons: Sequence[int] | None = None,
    pretrends: int | None = None,
    min_cohort_size: int = DEFAULT_MIN_COHORT_SIZE,
    small_cells: SmallCells = "flag",
) -> Result:
    """Imputation difference-in-differences (Borusyak, Jaravel & Spiess 2024).

    Fits unit and period effects (plus further absorbed effects and controls) on the
    untreated observations only, imputes ``Y_it(0)`` for every treated observation,
    takes ``τ̂_it = Y_it − Ŷ_it(0)`` and averages it: over all treated observations
    (``"overall"``) and by event time (``"ATT(e=h)"``). Optionally tests pre-trends by
    adding leads to the untreated-only regression (BJS Test 1). Replicates Stata
    ``did_imputation Y i t Ei, horizons(0/hi) pretrends(-lo)`` (Borusyak's ado, 2023) with
    ``window=(lo, hi)``.

    **Comparison group: not-yet-treated by construction; there is no ``control=`` option.**
    The untreated observations that identify ``Y_it(0)`` are those of
    never-treated units *and* the pre-treatment rows of units treated later (their unit
    effects need them). So the package default ``control="never"`` of
    :func:`~did_zones.callaway_santanna`, :func:`~did_zones.event_study` and
    :func:`~did_zones.sun_abraham` cannot apply here; compare with those estimators run
    with ``control="not_yet"``.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`.
    outcome : str
        Outcome column.
    window : (int, int or None), optional
        Event times ``e = t − cohort`` to report, ``lo..hi``. Those from ``−anticipation``
        on are treated: each gets an effect ``"ATT(e=h)"`` (Stata ``horizons(0/hi)``).
        Those before are pre-periods: dummies for ``e = −1 − anticipation, …, lo`` are
        added to the untreated-only regression, reported as terms ``"pre(e=…)"`` and
        tested jointly (BJS Test 1, ``extra["pretrend_test"]``; Stata
        ``pretrends(−anticipation − lo)``). ``hi=None``: every observed horizon from
        ``max(lo, −anticipation)`` on. Default None: every observed horizon, no pre-trend
        test. Each ``ATT(e=h)`` (and ``"overall"``) does not depend on which other
        horizons are asked, so a non-contiguous set is the window's terms you select.
        A horizon in the window without treated observations is an error.
    controls : str or sequence of str
        Time-varying controls, fitted on the untreated observations and imputed.
    fixed_effects : sequence of str or tuple
        Absorbed effects (roles ``"unit"``, ``"time"``, ``"cohort"``, columns, or tuples for
        interactions such as ``("province", "time")``); Stata's ``fe()``.
    cluster : str or None
        One cluster variable (role or column), default the unit. None treats every
        observation as its own cluster.
    weights : str, optional
        Column of positive observation weights (Stata ``[aweight=w]``): the first stage is
        weighted least squares and the averages weight ``τ̂_it`` by them.
    anticipation : int
        Periods of anticipation (Stata ``shift()``): observations with
        ``t ≥ cohort − anticipation`` are treated and excluded from the first stage.
    alpha : float
        Significance level stored in ``spec``.
    horizons : sequence of int, optional
        Deprecated: use ``window=(lo, hi)`` (and select terms for a non-contiguous set).
    pretrends : int, optional
        Deprecated: ``pretrends=k`` is ``window=(-k - anticipation, hi)``.
    min_cohort_size : int, default 5
        A term resting on fewer distinct treated units than this is *small*: its standard
        error is unreliable (see Notes, "Small cohorts"). 1 turns the marks off.
    small_cells : {"flag", "exclude", "pool"}, default "flag"
        What to do with small terms. ``"flag"``: estimate everything, mark them
        (``keys["small_cell"]``) and warn. ``"exclude"``: the treated observations of
        cohorts with fewer than ``min_cohort_size`` units get zero weight in every
        average, then horizons (and leads) still resting on fewer units are dropped.
        ``"pool"``: adjacent horizons (and, separately, adjacent leads) are pooled until
        each term rests on ``min_cohort_size`` units; a pooled term is named by its range,
        ``"ATT(e=4..5)"``.

    Returns
    -------
    Result
        Terms ``"overall"`` (primary), ``"ATT(e=h)"`` per horizon (``"ATT(e=a..b)"`` when
        pooled) and ``"pre(e=k)"`` per lead, with keys ``event_time`` (the lower end of a
        pooled range), ``event_time_high`` (its upper end), ``kind`` (overall / horizon /
        pretrend), ``n_obs`` (treated observations behind a term, Stata's ``e(Nt)``; lead
        observations for pre-trend terms), ``n_treated_units`` (distinct units behind the
        term) and ``small_cell`` (``n_treated_units < min_cohort_size``). ``df`` is None (normal inference, as Stata).
        ``influence`` holds per-cluster scores (``vcov = ψ'ψ / G²``).
        ``extra`` (:class:`ImputationExtra`): ``pretrend_test`` (:class:`HypothesisTest` or
        None), ``effects`` (one
        row per treated observation: unit, time, cohort, event_time, y0_hat, effect),
        ``first_stage_coef`` (controls), ``n_unidentified``.

    Raises
    ------
    SpecificationError
        Bad options (unknown columns, a window that is not a pair ``lo <= hi`` or holds a
        horizon that is not observed, two-way clustering, more leads than pre-periods).
    EstimationError
        No untreated or no treated observations; controls collinear with the fixed
        effects among untreated observations only; leads collinear with the fixed effects.

    Warns
    -----
    DataDroppedWarning
        Rows with missing values; treated observations whose ``Y(0)`` cannot be imputed
        (unit or period without untreated observations); collinear controls.
    SmallCohortWarning
        Terms resting on fewer than ``min_cohort_size`` treated units (one warning
        listing them, also in ``notes``); a term resting on fewer than 30 effective
        treated observations (Stata suppresses such terms by default, ``minn(30)``; here
        they are reported), or cohort-period cells of treated observations with a single
        cluster (their noise is invisible to the variance). The three are distinct facts:
        many observations of one unit pass ``minn(30)`` and still rest on one unit.
    InferenceWarning
        Fewer than 30 clusters.

    Notes
    -----
    Estimand: ``τ_w = Σ_it w_it τ_it`` over treated observations with ``Σ w_it = 1``:
    ``w ∝ ω_it`` (observation weights) for ``"overall"`` and ``w ∝ ω_it·1{e_it = h}`` for
    ``"ATT(e=h)"``. Under parallel trends and no anticipation beyond ``anticipation`` the
    imputation estimator is unbiased and, with homoskedastic errors, efficient (BJS Thm 2).
    Equal to :func:`did2s` point estimates for the same weights.

    Variance (BJS Thm 3, Stata's default, no leave-out): the estimator is linear,
    ``τ̂_w = Σ_it v_it Y_it`` with ``v_it = w_it`` for treated observations and
    ``v_it = −ω_it [Z₀(Z₀'ΩZ₀)⁻Z₁'w]_it`` for untreated ones (computed exactly here;
    Stata iterates to ``tol(1e-6)``). ``V̂ = Σ_c (Σ_{it∈c} v_it ε̃_it)²`` with
    ``ε̃_it`` the first-stage residual for untreated observations and
    ``τ̂_it − τ̃_{g,t}`` for treated ones, ``τ̃`` the average of ``τ̂`` in the
    observation's cohort × period cell (Stata's default ``avgeffectsby(Ei t)``) weighted
    as Stata: ``τ̃_g = Σ_c a_cg b_cg / Σ_c a_cg²`` with ``a_cg = Σ v``, ``b_cg = Σ vτ̂``
    over the cell's observations in cluster ``c``. No small-sample factor. Covariances
    between terms use each term's own ``τ̃``. Normal critical values.

    Pre-trend test (BJS Test 1, Stata ``pretrends(k)``): ``Y_it = α_i + β_t + X'δ +
    Σ_k γ_k 1{e_it = −k−anticipation} + ε`` on untreated observations with singletons
    dropped (reghdfe); ``γ̂`` and its CRV1 variance (``G/(G−1)·(N−1)/(N−K)``, as reghdfe);
    ``F = γ̂'V⁻¹γ̂/k`` against ``F(k, G−1)``. Covariances between ``γ̂`` and the effects
    use the per-cluster scores of both, the ``γ̂`` scores scaled by the square root of the
    CRV1 factor, as Stata.

    Small cohorts: a term's ``n_treated_units`` counts the distinct units whose treated
    observations it averages with nonzero weight (for ``ATT(e=h)`` the units of the
    cohorts observed at ``h``; for ``"overall"`` every treated unit used; for a lead the
    units of treated cohorts observed at that event time among the untreated
    observations). With ``small_cells="exclude"`` the small cohorts' treated observations
    get zero weight, as Stata ``did_imputation``'s ``wtr()`` with target weights that are
    zero on them: their untreated observations stay in the first stage (they still help
    identify the period effects, which is what parallel trends allows), and their lead
    dummies are switched off in the pre-trend regression (those rows join the reference).
    A pooled term is another weight vector (``w ∝ ω`` over the union of its horizons'
    treated observations), so its variance is the same BJS formula, exact.

    Conventions that differ from peers: Stata drops terms with effective sample size
    ``1/Σw² < 30``; here they are kept with a warning. Event times are ``t − cohort``
    whatever the anticipation, so Stata's ``tau{h}`` with ``shift(δ)`` is ``ATT(e=h−δ)``
    here and its ``pre{k}`` is ``pre(e=−k−δ)``. Stata stops when some ``Y(0)`` cannot be
    imputed unless ``autosample`` is given; here those observations are always dropped,
    with a warning, counted in ``stats["n_unidentified"]`` and ``notes``. diff-diff's ``ImputationDiD``
    groups ``τ̃`` by unit rather than by cluster (identical with unit clusters) and its
    pre-trend test skips event time −1.

    References
    ----------
    Borusyak, K., Jaravel, X. & Spiess, J. (2024). Revisiting event-study designs: robust
    and efficient estimation. Review of Economic Studies 91(6), 3253–3285.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.imputation(panel, "isu", window=(-2, 2))
    >>> res.terms
    ['overall', 'ATT(e=0)', 'ATT(e=1)', 'ATT(e=2)', 'pre(e=-1)', 'pre(e=-2)']
    >>> res.extra["pretrend_test"].df
    (2, 336)
    """
    check_panel_outcome(panel, outcome)
    check_outcome_varies(panel.column(outcome), outcome)
    check_alpha(alpha)
    anticipation = check_count("anticipation", anticipation)
    min_cohort_size, small_cells = check_small_cells(min_cohort_size, small_cells)
    horizons, pretrends, lo, spec_window = _window(window, horizons, pretrends, anticipation)
    cluster = check_single_cluster(cluster)
    controls = as_tuple(controls)
    codes, labels = cluster_labels(panel, cluster)
    fs = first_stage(panel, outcome, controls=controls, fixed_effects=fixed_effects,
                     cluster=cluster, weights=weights, anticipation=anticipation,
                     cluster_codes=codes)
    notes = list(panel.notes) + list(fs.notes)

    treated = ~fs.untreated
    e = fs.event_time
    observed = np.unique(e[treated]).astype(int)
    if horizons is None:
        horizons = tuple(int(h) for h in observed if lo is None or h >= lo)
    else:
        missing = sorted(set(horizons) - set(observed.tolist()))
        if missing:
            fix = ("Narrow the window" if spec_window.get("window") is not None
                   else "Drop them from horizons")
            raise SpecificationError(
                f"horizons {missing} have no treated observation with an imputable Y(0); "
                f"observed event times are {examples(observed, 12)}. {fix}."
            )
    # -- small cohorts: which treated observations the averages use, and the terms
    unit = panel.unit_id[fs.rows]
    k_min = min_cohort_size
    keep = treated.copy()
    excluded = np.zeros(fs.n_obs, dtype=bool)
    small: np.ndarray = np.zeros(0)
    if small_cells == "exclude":
        small, n_small, excluded = small_cohort_rows(fs, unit, k_min)
        keep &= ~excluded
        if not keep.any():
            raise EstimationError(
                f"Every treated cohort has fewer than min_cohort_size={k_min} treated units, "
                "so small_cells='exclude' leaves nothing to estimate. Use small_cells='flag' "
                "or 'pool', or a smaller min_cohort_size.")
    Q, names, n_t, ranges, dropped = _target_weights(fs, horizons, keep, unit, k_min,
                                                     small_cells)
    estimate = Q.T @ np.where(treated, fs.resid, 0.0)
    cl_codes, cl = np.unique(fs.cluster, return_inverse=True)  # clusters of the used rows
    E = _cluster_scores(fs, Q, cl, cl_codes.size)

    keys = pd.DataFrame({
        "cohort": np.nan, "time": np.nan,
        "event_time": [np.nan] + [float(r[0]) for r in ranges],
        "event_time_high": [np.nan] + [float(r[-1]) for r in ranges],
        "kind": ["overall"] + ["horizon"] * len(ranges),
        "n_obs": n_t,
    })
    n_units_term = units_per_column(Q, unit).astype(float).tolist()
    keys = tag(keys, 0, "simple_att")  # the mean over every treated observation
    test = None
    pre = None
    if pretrends:
        excl_panel = np.zeros(panel.n_obs, dtype=bool)
        excl_panel[fs.rows[excluded]] = True
        pre = _pretrend_fit(panel, outcome, fs, pretrends, anticipation, fixed_effects,
                            cluster, weights, k_min, small_cells, excl_panel)
        dropped += pre["dropped"]
        names += pre["names"]
        estimate = np.concatenate([estimate, pre["coef"]])
        keys = pd.concat([keys, pd.DataFrame({
            "cohort": np.nan, "time": np.nan, "event_time": pre["event_time"],
            "event_time_high": pre["event_time_high"],
            "kind": "pretrend", "n_obs": pre["n_obs"],
        })], ignore_index=True)
        n_units_term += pre["n_units"]
        notes += pre["notes"]
        if not pre["names"]:
            pre = None
    keys = mark_small(keys, n_units_term, k_min)
    if small_cells == "exclude" and (small.size or dropped):
        notes.append(exclusion_note(
            "imputation", small, n_small, k_min,
            "their treated observations get zero weight in every average; their untreated "
            "observations stay in the first stage", dropped))
    pooled = [n for n, a, b in zip(names, keys["event_time"], keys["event_time_high"],
                                   strict=True) if np.isfinite(a) and b != a]
    if small_cells == "pool" and pooled:
        notes.append(pooling_note("imputation", pooled, k_min))
    small_terms = {n: int(u) for n, u, f in zip(names, n_units_term, keys["small_cell"],
                                                 strict=True) if f}
    message = warn_small_cells("imputation", small_terms, k_min, small_cells)
    if message:
        notes.append(message)

    # -- per-cluster scores of every term, stacked; V = E'E (Stata's matrix accum)
    if pre is not None:
        pre_cl = np.searchsorted(cl_codes, pre["cluster"])  # its rows are among the used ones
        E = np.hstack([E, _sums(pre_cl, pre["scores"], cl_codes.size)])
    V = E.T @ E
    n_clusters = int(cl_codes.size)
    if pre is not None:
        k = len(pre["names"])
        Vp = V[-k:, -k:]
        b = pre["coef"]
        f_stat = float(b @ np.linalg.solve(Vp, b)) / k
        df2 = pre["df"]
        test = HypothesisTest(
            name=f"pre-trend (BJS Test 1): {k} lead(s) = 0 in the untreated-only regression",
            statistic=f_stat, p_value=float(stats.f.sf(f_stat, k, df2)), df=(k, df2),
            distribution="F",
            details={"leads": tuple(pre["names"]), "n_obs": pre["n"],
                     "n_clusters": pre["n_clusters"]},
        )
    notes += _small_warnings(fs, Q, names[:Q.shape[1]], keep)
    if cluster is not None:
        notes += list(few_clusters_note(n_clusters, cluster))

    rows_t = fs.rows[treated]
    effects = pd.DataFrame({
        panel.unit: panel.units[panel.unit_id[rows_t]],
        panel.time: fs.period[treated],
        "cohort": fs.cohort[treated],
        "event_time": e[treated],
        "y0_hat": fs.y0_hat[treated],
        "effect": fs.resid[treated],
    })
    spec = {**spec_window, "controls": controls,
            "fixed_effects": tuple(fixed_effects), "cluster": cluster, "weights": weights,
            "anticipation": anticipation, "alpha": alpha,
            "min_cohort_size": min_cohort_size, "small_cells": small_cells}
    return Result.create(
        estimate, V, names, keys=keys, method="imputation", outcome=outcome, spec=spec,
        n_obs=fs.n_obs, n_units=int(np.unique(panel.unit_id[fs.rows]).size),
        n_clusters=n_clusters if cluster is not None else None, df=None, primary="overall",
        influence=E * n_clusters, influence_index=labels[cl_codes],
        notes=tuple(notes),
        stats={"n_treated": int(treated.sum()), "n_untreated": int(fs.untreated.sum()),
               "n_unidentified": fs.n_unidentified,
               "pretrend_F": test.statistic if test else np.nan,
               "pretrend_p": test.p_value if test else np.nan},
        extra={"pretrend_test": test, "effects": effects,
               "first_stage_coef": dict(zip(fs.controls, fs.coef.tolist(), strict=True)),
               "n_unidentified": fs.n_unidentified},
    )


def _rebuilt_first_stage(result: Result, panel: Panel, cluster) -> FirstStage:
    spec = result.spec
    return first_stage(panel, result.outcome, controls=spec.get("controls", ()),
                       fixed_effects=spec.get("fixed_effects", ("unit", "time")),
                       cluster=cluster, weights=spec.get("weights"),
                       anticipation=spec.get("anticipation", 0))


def imputation_terms(result: Result, panel: Panel, terms: Sequence[str],
                     cluster: str) -> list[LinearTerm]:
    """Terms of an :func:`imputation` result as linear maps of the outcome (the wild
    cluster bootstrap's input; :class:`~._imputation_core.LinearTerm`), with the result's
    first stage rebuilt from its spec (once) and the variance clustered by ``cluster``.

    Supported: ``"overall"`` and ``"ATT(e=h)"`` (each depends on its own treated rows
    only; pooled ranges and ``small_cells="exclude"`` as in the result). The pre-trend
    terms ``"pre(e=k)"`` come from a separate regression on the untreated rows
    (:func:`pretrend_design`).
    """
    fs = _rebuilt_first_stage(result, panel, cluster)
    unit = panel.unit_id[fs.rows]
    return [linear_term(fs, term, term_rows(fs, result, unit, term), "imputation")
            for term in terms]


def pretrend_design(result: Result, panel: Panel, cluster):
    """The pre-trend regression (BJS Test 1) of an :func:`imputation` result rebuilt from
    its spec, clustered by ``cluster`` (one or two columns): the design of its
    ``"pre(e=k)"`` terms (a pooled lead's dummy covers its range; the small cohorts'
    rows have none under ``small_cells="exclude"``), for the wild cluster bootstrap."""
    spec = result.spec
    fs = _rebuilt_first_stage(result, panel, spec.get("cluster"))
    on = np.ones(panel.n_obs, dtype=bool)
    if spec.get("small_cells") == "exclude":
        unit = panel.unit_id[fs.rows]
        on[fs.rows[small_cohort_rows(fs, unit, spec["min_cohort_size"])[2]]] = False
    keys = result.keys
    e_panel = panel.event_time
    leads = {}
    for term in keys.index[keys["kind"] == "pretrend"]:
        lo, hi = keys["event_time"][term], keys["event_time_high"][term]
        leads[term] = ((e_panel >= lo) & (e_panel <= hi) & on).astype(float)
    mask = np.zeros(panel.n_obs, dtype=bool)
    mask[fs.rows[fs.untreated]] = True
    return build_design(panel, result.outcome, leads, controls=fs.controls,
                        fixed_effects=spec.get("fixed_effects", ("unit", "time")),
                        cluster=cluster, weights=spec.get("weights"), rows=mask)


# ----------------------------------------------------------------------------- pieces


def _window(window, horizons, pretrends, anticipation: int):
    """``window`` (or the deprecated ``horizons`` / ``pretrends``) as the horizons to report
    (None: every observed one from ``lo`` on), the number of leads tested, the lower bound
    ``lo`` of the horizons and the spec entries that reproduce the call."""
    old = {k: v for k, v in (("horizons", horizons), ("pretrends", pretrends)) if v is not None}
    if old and window is not None:
        raise SpecificationError(
            f"Give window=(lo, hi) only; {' and '.join(old)} (deprecated) cannot be combined "
            "with it.")
    if not old:
        window = Window(open_ends=True)("window", window)
        if window is None:
            return None, 0, None, {"window": None}
        lo, hi = window
        if lo is None:
            raise SpecificationError(
                f"window must start at an event time (lo <= hi, hi may be None); got "
                f"{window!r}. Use e.g. window=(-3, 5), or window=(0, None) for every horizon "
                "without a pre-trend test.")
        start = max(lo, -anticipation)
        if hi is not None and hi < start:
            raise SpecificationError(
                f"window {window} holds no treated event time (they start at "
                f"{-anticipation}); widen it, e.g. window=({lo}, {max(lo, 0) + 3}).")
        horizons = None if hi is None else tuple(range(start, hi + 1))
        return horizons, max(0, -anticipation - lo), start, {"window": window}
    horizons = _check_horizons(horizons, anticipation)
    k = check_count("pretrends", 0 if pretrends is None else pretrends)
    # the same call written with window=, when one window expresses it
    lo = -anticipation - k
    hi = None if horizons is None else horizons[-1]
    same = horizons is None or horizons == tuple(range(-anticipation if k else horizons[0],
                                                       hi + 1))
    new = f"window=({lo if k or horizons is None else horizons[0]}, {hi})" if same else (
        f"window=({lo}, {hi}), then select the terms you need (each ATT(e=h) does not "
        "depend on the others)")
    deprecated(", ".join(f"{k_}={v!r}" for k_, v in old.items()), new)
    if same:
        spec_lo = lo if k or horizons is None else horizons[0]
        return horizons, k, None, {"window": (spec_lo, hi)}
    return horizons, k, None, {"window": None, "horizons": horizons, "pretrends": k}


def _check_horizons(horizons, anticipation: int) -> tuple[int, ...] | None:
    if horizons is None:
        return None
    if isinstance(horizons, int | np.integer) and not isinstance(horizons, bool):
        horizons = (horizons,)
    try:
        vals = list(horizons)
    except TypeError:
        raise SpecificationError(
            f"horizons must be a sequence of event times (integers); got {horizons!r}."
        ) from None
    bad = [h for h in vals if isinstance(h, bool) or not isinstance(h, int | np.integer)]
    if bad or not vals:
        raise SpecificationError(
            f"horizons must be a non-empty sequence of integer event times; got {horizons!r}."
        )
    low = [int(h) for h in vals if h < -anticipation]
    if low:
        raise SpecificationError(
            f"horizons {low} are before treatment (anticipation={anticipation}, so treated "
            f"event times start at {-anticipation}). Test pre-periods with window=(-k, hi)."
        )
    return tuple(sorted({int(h) for h in vals}))


def _target_weights(fs: FirstStage, horizons, keep: np.ndarray, unit: np.ndarray, k: int,
                    policy: str):
    """Sparse ``n × m`` treated-observation weights (columns sum to one), term names, the
    number of observations per term, the horizons behind each event-time term and the
    names of the horizons dropped.

    ``keep`` marks the treated rows the averages may use (``small_cells="exclude"`` sets
    the rows of small cohorts to False). The event-time terms are the horizons, each
    alone (``"flag"``), those resting on at least ``k`` units of the kept rows
    (``"exclude"``), or adjacent horizons pooled until they do (``"pool"``): a pooled
    term weights the union of its horizons' observations in proportion to ``ω``.
    """
    n = fs.n_obs
    H = len(horizons)
    lookup = {h: j for j, h in enumerate(horizons)}
    e = fs.event_time
    hcode = np.full(n, -1, dtype=np.intp)
    te = e[keep].astype(np.int64)
    vals, inv = np.unique(te, return_inverse=True)
    hcode[keep] = np.array([lookup.get(int(v), -1) for v in vals], dtype=np.intp)[inv]
    sets = unit_sets(hcode, unit, H)
    group = term_groups(policy, horizons, sets, k)
    dropped = ([f"ATT(e={h})" for h, g in zip(horizons, group, strict=True) if g < 0]
               if policy == "exclude" else [])
    m = int(group.max()) + 1 if H and group.max() >= 0 else 0
    ranges = [[h for h, g in zip(horizons, group, strict=True) if g == j] for j in range(m)]
    code = np.where(hcode >= 0, group[np.maximum(hcode, 0)] if H else -1, -1)
    w = fs.weights
    t_rows = np.flatnonzero(keep)
    h_rows = np.flatnonzero(code >= 0)
    n_h = np.bincount(code[h_rows], weights=w[h_rows], minlength=m)
    data = np.concatenate([w[t_rows] / w[t_rows].sum(), w[h_rows] / n_h[code[h_rows]]])
    rows = np.concatenate([t_rows, h_rows])
    cols = np.concatenate([np.zeros(t_rows.size, dtype=np.intp), 1 + code[h_rows]])
    Q = sparse.csr_matrix((data, (rows, cols)), shape=(n, 1 + m))
    names = ["overall"] + [f"ATT(e={range_label(r)})" for r in ranges]
    counts = [int(t_rows.size)] + np.bincount(code[h_rows], minlength=m).tolist()
    return Q, names, counts, ranges, dropped


def _cluster_scores(fs: FirstStage, Q, cl: np.ndarray, n_clusters: int) -> np.ndarray:
    """Per-cluster ``Σ v_it ε̃_it`` of every target (Stata's ``eps_w``), ``G × m``.

    Untreated rows: ``v = −ω f`` with ``f`` the imputation map of ``Q`` and ``ε̃`` the
    first-stage residual, summed by cluster in parameter space. Treated rows:
    ``v = Q`` and ``ε̃ = τ̂ − τ̃_cell``. Every target here weights observations in
    proportion to ``ω`` within a cohort × period cell (a cell has one event time), so
    Stata's ``τ̃_cell = Σ_c a_c b_c / Σ_c a_c²`` (``a_c = Σ v``, ``b_c = Σ vτ̂`` over the
    cell's rows in cluster ``c``) is the same for every target and is computed once with
    ``v = ω``; targets that put no weight on a cell do not use it.
    """
    u = fs.untreated
    t = ~u
    w, tau = fs.weights, fs.resid
    imap = fs.imputation_map(Q)
    E = -imap.cluster_sums(w[u] * tau[u], cl[u], n_clusters)
    cell = _pair_codes(fs.cohort[t], fs.period[t])
    ccell = _pair_codes(cl[t], cell)
    n_cell, n_cc = int(cell.max()) + 1, int(ccell.max()) + 1
    wt, tt = w[t], tau[t]
    a = np.bincount(ccell, weights=wt, minlength=n_cc)
    b = np.bincount(ccell, weights=wt * tt, minlength=n_cc)
    cell_of = np.empty(n_cc, dtype=np.intp)
    cell_of[ccell] = cell
    num = np.bincount(cell_of, weights=a * b, minlength=n_cell)
    den = np.bincount(cell_of, weights=a * a, minlength=n_cell)
    resid = tt - (num / den)[cell]
    rows = np.flatnonzero(t)
    Qt = Q[rows]
    E += _sums(cl[t], Qt.multiply(resid[:, None]).tocsr(), n_clusters)
    return E


def _pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense codes of the pairs ``(a, b)`` (integer arithmetic, no tuples)."""
    ia = np.unique(a, return_inverse=True)[1].astype(np.int64)
    ib = np.unique(b, return_inverse=True)[1].astype(np.int64)
    return np.unique(ia * (int(ib.max()) + 1) + ib, return_inverse=True)[1]


def _pretrend_fit(panel, outcome, fs: FirstStage, k: int, anticipation: int,
                  fixed_effects, cluster, weights, k_min: int = 1, policy: str = "flag",
                  excluded=None) -> dict:
    """BJS Test 1: leads added to the untreated-only regression (reghdfe conventions).

    Small cohorts: ``"exclude"`` switches the leads off on the rows of ``excluded`` (the
    small cohorts; those rows join the reference) and drops leads resting on fewer than
    ``k_min`` units; ``"pool"`` gives adjacent leads one dummy until each rests on
    ``k_min`` units."""
    e_panel = panel.event_time
    u_rows = fs.rows[fs.untreated]
    e_u = e_panel[u_rows]
    times = [-anticipation - j for j in range(1, k + 1)]
    counts = [int((e_u == h).sum()) for h in times]
    empty = [h for h, c in zip(times, counts, strict=True) if c == 0]
    if empty:
        have = np.unique(e_u[np.isfinite(e_u)]).astype(int)
        raise SpecificationError(
            f"The window's pre-periods (Stata pretrends({k})) are event times {times}, but no "
            f"untreated observation has event time {empty} (untreated event times: "
            f"{examples(have, 12)}). Start the window later, e.g. "
            f"window=({max(empty) + 1}, ...)."
        )
    on = np.ones(panel.n_obs, dtype=bool) if excluded is None else ~excluded
    asc = sorted(times)  # ascending event times, as the pooling axis
    unit_u = panel.unit_id[u_rows]
    lead_code = np.full(u_rows.size, -1, dtype=np.intp)
    for j, h in enumerate(asc):  # a loop over leads, not rows
        lead_code[(e_u == h) & on[u_rows]] = j
    sets = unit_sets(lead_code, unit_u, len(asc))
    group = term_groups(policy, asc, sets, k_min)
    dropped = ([f"pre(e={h})" for h, g in zip(asc, group, strict=True) if g < 0]
               if policy == "exclude" else [])
    m = int(group.max()) + 1 if group.size and group.max() >= 0 else 0
    # terms in the order of the leads (-1 - anticipation first), as before
    bins = [[h for h, g in zip(asc, group, strict=True) if g == j] for j in range(m)][::-1]
    names = [f"pre(e={range_label(b)})" for b in bins]
    code_u = np.where(lead_code >= 0, group[np.maximum(lead_code, 0)], -1)
    n_units = [float(len(set().union(*(sets[asc.index(h)] for h in b)))) for b in bins]
    n_obs = np.bincount(code_u[code_u >= 0], minlength=m)[::-1].tolist()
    base = {"names": names, "event_time": [float(b[0]) for b in bins],
            "event_time_high": [float(b[-1]) for b in bins], "n_obs": n_obs,
            "n_units": n_units, "dropped": dropped}
    if not names:
        return {**base, "coef": np.zeros(0), "scores": None, "cluster": None, "df": 0,
                "n": 0, "n_clusters": 0, "vcov": np.zeros((0, 0)),
                "notes": ["Pre-trend test skipped: small_cells='exclude' leaves no lead "
                          f"resting on {k_min} or more treated units."]}
    leads = {name: (np.isin(e_panel, b) & on).astype(float)
             for name, b in zip(names, bins, strict=True)}
    mask = np.zeros(panel.n_obs, dtype=bool)
    mask[u_rows] = True
    k = len(names)
    design = build_design(panel, outcome, leads, controls=fs.controls,
                          fixed_effects=fixed_effects, cluster=cluster, weights=weights,
                          rows=mask)
    try:
        fit = fit_absorbed(design, protect=tuple(names))
    except EstimationError:
        raise EstimationError(
            "A pre-trend lead is collinear with the fixed effects among the untreated "
            "observations, so it cannot be tested. Without never-treated units the unit and "
            "period effects already span a linear trend in event time, so leads reaching "
            "back to the earliest pre-periods are not identified (with a single cohort each "
            "lead is a period dummy). Start the window later (fewer pre-periods), or add "
            "never-treated units."
        ) from None
    V, g, df = fit.vcov()
    factor = small_sample_factor(design.n_obs, fit.n_params, g)
    scores = (fit.scores() @ fit.bread)[:, :k] * np.sqrt(factor)
    notes = []
    if design.n_singletons:
        notes.append(f"Pre-trend regression: {design.n_singletons} singleton observation(s) "
                     "dropped (reghdfe).")
    return {**base, "coef": fit.coef[:k], "scores": scores,
            "cluster": cluster_labels(panel, cluster)[0][design.rows], "df": int(df), "n": design.n_obs, "n_clusters": g, "notes": notes,
            "vcov": V[:k, :k]}


def _small_warnings(fs: FirstStage, Q: np.ndarray, names: list[str],
                    keep: np.ndarray) -> list[str]:
    notes = []
    eff_n = 1.0 / np.asarray(Q.multiply(Q).sum(0)).ravel()
    small = [f"{n} ({v:.1f})" for n, v in zip(names, eff_n, strict=True) if v < MIN_EFFECTIVE_N]
    if small:
        msg = (f"{len(small)} term(s) rest on fewer than {MIN_EFFECTIVE_N} effective treated "
               f"observations (1/Σw²), e.g. {examples(small)}: their estimates are fragile and "
               "their standard errors may be biased downward. Stata did_imputation suppresses "
               "them by default (minn(30)); they are reported here.")
        warn(msg, SmallCohortWarning)
        notes.append(msg)
    t = keep  # the treated rows the averages use
    cell = _pair_codes(fs.cohort[t], fs.period[t])
    # distinct (cell, cluster) pairs, counted per cell
    pairs = np.unique(cell.astype(np.int64) * (int(fs.cluster.max()) + 1) + fs.cluster[t])
    per_cell = np.bincount(pairs // (int(fs.cluster.max()) + 1), minlength=int(cell.max()) + 1)
    single_cells = np.flatnonzero(per_cell == 1)
    if single_cells.size:
        rep = np.unique(cell, return_index=True)[1][single_cells]  # a row of each such cell
        single = [f"cohort {g:g} in {int(tt)}"
                  for g, tt in zip(fs.cohort[t][rep], fs.period[t][rep], strict=True)]
        msg = (f"{len(single)} cohort-period cell(s) of treated observations lie in a single "
               f"cluster, e.g. {examples(single)}: their residual τ̂ − τ̃ is zero by "
               "construction, so the standard errors ignore their noise and may be too small.")
        warn(msg, SmallCohortWarning)
        notes.append(msg)
    return notes
