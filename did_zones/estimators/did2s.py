"""Two-stage difference-in-differences of Gardner (2022), as R ``did2s``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import pandas as pd
from scipy import sparse

from .._provenance import records_panel
from ..design import FESpec, check_panel_outcome, few_clusters_note
from ..errors import EstimationError, SpecificationError
from ..estimands import tag
from ..panel import Panel
from ..result import Result
from ..validation import Window, as_tuple, check_alpha, check_outcome_varies, examples
from ._imputation_core import (
    FirstStage,
    LinearTerm,
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

__all__ = ["did2s", "did2s_terms"]


class Did2sExtra(TypedDict):
    """The ``extra`` mapping of a :func:`did2s` result (documented in its Returns)."""

    first_stage_coef: dict[str, float]
    n_unidentified: int


@records_panel
def did2s(
    panel: Panel,
    outcome: str,
    *,
    window: tuple[int, int] | None = None,
    horizons: str | Sequence[int] | None = None,
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | None = "unit",
    weights: str | None = None,
    anticipation: int = 0,
    alpha: float = 0.05,
    min_cohort_size: int = DEFAULT_MIN_COHORT_SIZE,
    small_cells: SmallCells = "flag",
) -> Result:
    """Two-stage difference-in-differences (Gardner 2022) with the GMM variance.

    Stage 1 fits unit and period effects (plus further absorbed effects and controls) on
    the untreated observations and residualises the outcome of every observation,
    ``Ỹ_it = Y_it − Ŷ_it(0)``. Stage 2 regresses ``Ỹ`` on the treatment indicator
    (static) or on event-time dummies, without intercept. Standard errors are the GMM
    sandwich over both stages (Gardner 2022; Butts & Gardner's R ``did2s``), so they
    account for the estimated first stage. Replicates R
    ``did2s(data, yname, first_stage = ~ X | unit + time, second_stage = ~ i(treat),
    treatment, cluster_var)`` and pyfixest's ``did2s``.

    **Comparison group: not-yet-treated by construction; there is no ``control=`` option.**
    The first stage uses every untreated observation: never-treated units
    *and* the pre-treatment rows of units treated later (their unit effects need them). So the package default ``control="never"`` of
    :func:`~did_zones.callaway_santanna`, :func:`~did_zones.event_study` and
    :func:`~did_zones.sun_abraham` cannot apply here; compare with those estimators run
    with ``control="not_yet"``.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`.
    outcome : str
        Outcome column.
    window : (int, int), optional
        Event study over event times ``lo..hi``: a dummy for each of them except the
        reference ``−1 − anticipation`` (R ``second_stage = ~ i(rel_year, ref = -1)`` on
        the window): leads from the untreated observations of treated units, lags from
        the treated observations; untreated observations at event times outside the
        window join the reference, treated ones outside it are left out of stage 2. Every
        event time of the window but the reference must be observed. Default None (and
        ``horizons=None``): static, one term ``"overall"`` (R ``second_stage = ~
        i(treat)``).
    horizons : "all" or sequence of int, optional
        The specialist form of the event study, instead of ``window``: ``"all"``: dummies
        for every observed event time except the reference (R ``~ i(rel_year, ref =
        c(-1, Inf))``); a sequence: dummies for those event times only, which may leave
        gaps (the untreated observations in a gap join the reference, so a non-contiguous
        set is a different regression, not a selection of the window's terms).
    controls : str or sequence of str
        Time-varying controls of the first stage (R ``first_stage = ~ X | unit + time``).
    fixed_effects : sequence of str or tuple
        Absorbed effects of the first stage (roles, columns, or tuples for interactions).
    cluster : str or None
        One cluster variable (default the unit); None: each observation is its own
        cluster (heteroskedasticity-robust).
    weights : str, optional
        Column of positive observation weights, used in both stages and the variance.
    anticipation : int
        Observations with ``t ≥ cohort − anticipation`` are treated (excluded from stage 1).
    alpha : float
        Significance level stored in ``spec``.
    min_cohort_size : int, default 5
        A term resting on fewer distinct treated units than this is *small*: its standard
        error is unreliable. 1 turns the marks off.
    small_cells : {"flag", "exclude", "pool"}, default "flag"
        ``"flag"``: mark small terms (``keys["small_cell"]``) and warn. ``"exclude"``: the
        treated observations of cohorts with fewer than ``min_cohort_size`` units leave the
        second stage (their lead observations join the reference; the first stage is
        unchanged), then event times still resting on fewer units are dropped.
        ``"pool"``: adjacent event times (leads and lags apart) share one second-stage
        dummy until each rests on ``min_cohort_size`` units, term ``"ATT(e=4..5)"``.

    Returns
    -------
    Result
        Static: term ``"overall"`` (primary). Event time: terms ``"ATT(e=h)"`` (leads
        included; ``"ATT(e=a..b)"`` when pooled) with keys ``event_time`` (lower end of a
        pooled range), ``event_time_high``, ``n_obs``, ``n_treated_units`` (distinct units
        of the rows behind the dummy; for ``"overall"`` every treated unit of stage 2) and
        ``small_cell``. ``df`` is None (normal
        inference). ``influence`` holds per-cluster scores (``vcov = ψ'ψ / G²``).
        ``extra`` (:class:`Did2sExtra`): ``first_stage_coef``, ``n_unidentified``.

    Raises
    ------
    SpecificationError
        Bad options, ``window`` or ``horizons`` holding an event time not observed, both
        given, two-way clustering.
    EstimationError
        No untreated or no treated observations; controls collinear with the fixed
        effects among untreated observations only.

    Warns
    -----
    DataDroppedWarning
        Rows with missing values; treated observations whose ``Y(0)`` cannot be imputed;
        collinear controls.
    SmallCohortWarning
        Terms resting on fewer than ``min_cohort_size`` treated units (one warning listing
        them, also in ``notes``).
    InferenceWarning
        Fewer than 30 clusters.

    Notes
    -----
    Point estimates equal :func:`imputation`'s for the same weights (the static
    coefficient is the ω-weighted mean of ``τ̂_it`` over treated observations, an
    event-time coefficient the mean at that event time); a lead coefficient is the mean
    first-stage residual at that event time.

    Variance (GMM, as R ``did2s``): with ``X₂`` the stage-2 regressors, ``Z`` the stage-1
    design (fixed-effect dummies and controls), ``Z₀`` its untreated rows and ``Ω`` the
    weights, ``V = (X₂'ΩX₂)⁻¹ [Σ_c W_c W_c'] (X₂'ΩX₂)⁻¹`` with
    ``W_c = X₂c'Ω u₂c − X₂'ΩZ (Z₀'ΩZ₀)⁻ Z₀c'Ω u₁c`` (``u₁``, ``u₂`` the stage-1 and
    stage-2 residuals). No small-sample factor (R ``did2s``, pyfixest). The product
    ``X₂'ΩZ(Z₀'ΩZ₀)⁻Z₀'`` is computed without dummy matrices (see
    :mod:`._imputation_core`).

    Small cohorts: with ``small_cells="exclude"`` only stage 2 changes (rows of small
    cohorts get no dummy), so the GMM variance keeps the first-stage correction from
    every untreated observation; the result equals ``did2s`` on the panel with those
    cohorts recoded as never-treated and their treated rows deleted. A pooled term is one
    dummy for the bin: its coefficient is the ``ω``-weighted mean of ``τ̂_it`` over the
    bin's treated observations, equal to :func:`imputation`'s pooled term.

    References
    ----------
    Gardner, J. (2022). Two-stage differences in differences. arXiv:2207.05943.
    Butts, K. & Gardner, J. (2022). did2s: Two-stage difference-in-differences.
    R Journal 14(3), 162–173.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> static = dz.did2s(panel, "isu")
    >>> bjs = dz.imputation(panel, "isu")
    >>> abs(static["overall"] - bjs["overall"]) < 1e-10
    True
    """
    check_panel_outcome(panel, outcome)
    check_outcome_varies(panel.column(outcome), outcome)
    check_alpha(alpha)
    anticipation = check_count("anticipation", anticipation)
    min_cohort_size, small_cells = check_small_cells(min_cohort_size, small_cells)
    cluster = check_single_cluster(cluster)
    horizons = _check_horizons(horizons)
    window = Window()("window", window)
    if window is not None:
        if horizons is not None:
            raise SpecificationError(
                f"Give window=(lo, hi) or horizons=, not both; got window={window!r} and "
                f"horizons={horizons!r}.")
        ref = -1 - anticipation
        horizons = tuple(h for h in range(window[0], window[1] + 1) if h != ref)
        if not horizons:
            raise SpecificationError(
                f"window {window} holds only the reference period e = {ref}; widen it, "
                "e.g. window=(-3, 3).")
    controls = as_tuple(controls)
    codes, labels = cluster_labels(panel, cluster)
    fs = first_stage(panel, outcome, controls=controls, fixed_effects=fixed_effects,
                     cluster=cluster, weights=weights, anticipation=anticipation,
                     cluster_codes=codes)
    notes = list(panel.notes) + list(fs.notes)

    code, names, event_times = _second_stage_design(fs, horizons, anticipation)
    outside = int((~fs.untreated & (code < 0)).sum())
    if outside:
        notes.append(f"{outside} treated observation(s) at event times outside "
                     "horizons left out of the second stage.")
    code, names, ranges, small_notes = _small_cells(fs, panel.unit_id[fs.rows], code,
                                                     event_times, min_cohort_size,
                                                     small_cells)
    event_times = [float(r[0]) for r in ranges]
    in_stage2 = fs.untreated | (code >= 0)
    # the stage-2 dummies are disjoint, so X₂'ΩX₂ is diagonal: weighted counts
    k = len(names)
    on = np.flatnonzero(code >= 0)
    w = fs.weights
    counts = np.bincount(code[on], weights=w[on], minlength=k)
    beta = np.bincount(code[on], weights=w[on] * fs.resid[on], minlength=k) / counts
    u2 = fs.resid[on] - beta[code[on]]

    # -- GMM scores by cluster: stage-2 moment minus the first-stage correction
    u = fs.untreated
    cl_codes, cl = np.unique(fs.cluster, return_inverse=True)
    G = int(cl_codes.size)
    Q = sparse.csr_matrix((w[on], (on, code[on])), shape=(fs.n_obs, k))  # Ω X₂
    Wc = np.bincount(cl[on] * k + code[on], weights=w[on] * u2, minlength=G * k).reshape(G, k)
    Wc -= fs.imputation_map(Q).cluster_sums(w[u] * fs.resid[u], cl[u], G)
    psi_c = Wc / counts  # (X₂'ΩX₂)⁻¹ W_c
    V = psi_c.T @ psi_c
    n_clusters = G
    if cluster is not None:
        notes += list(few_clusters_note(n_clusters, cluster))

    keys = pd.DataFrame({
        "cohort": np.nan, "time": np.nan, "event_time": event_times,
        "event_time_high": [float(r[-1]) for r in ranges],
        "n_obs": np.bincount(code[on], minlength=k).tolist(),
    })
    if horizons is None:  # static: one effect over every treated observation
        keys = tag(keys, 0, "simple_att")
    n_units_term = units_per_column(Q, panel.unit_id[fs.rows])
    keys = mark_small(keys, n_units_term, min_cohort_size)
    notes += small_notes
    message = warn_small_cells(
        "did2s", {n: int(u) for n, u, f in zip(names, n_units_term, keys["small_cell"],
                                                strict=True) if f},
        min_cohort_size, small_cells)
    if message:
        notes.append(message)
    spec = {"window": window, "horizons": None if window is not None else horizons,
            "controls": controls, "fixed_effects": tuple(fixed_effects),
            "cluster": cluster, "weights": weights, "anticipation": anticipation,
            "alpha": alpha, "min_cohort_size": min_cohort_size, "small_cells": small_cells}
    return Result.create(
        beta, V, names, keys=keys, method="did2s", outcome=outcome, spec=spec,
        n_obs=int(in_stage2.sum()), n_units=int(np.unique(panel.unit_id[fs.rows]).size),
        n_clusters=n_clusters if cluster is not None else None, df=None,
        primary="overall" if horizons is None else None,
        influence=psi_c * n_clusters, influence_index=labels[cl_codes],
        notes=tuple(notes),
        stats={"n_treated": int((~fs.untreated).sum()), "n_untreated": int(u.sum()),
               "n_unidentified": fs.n_unidentified},
        extra={"first_stage_coef": dict(zip(fs.controls, fs.coef.tolist(), strict=True)),
               "n_unidentified": fs.n_unidentified},
    )


def did2s_terms(result: Result, panel: Panel, terms: Sequence[str],
                cluster: str) -> list[LinearTerm]:
    """Terms of a :func:`did2s` result as linear maps of the outcome (the wild cluster
    bootstrap's input; :class:`~._imputation_core.LinearTerm`), with the result's first
    stage rebuilt from its spec (once) and the variance clustered by ``cluster``.

    Supported: ``"overall"`` and the event-time terms of treated observations (``e ≥
    −anticipation``; pooled ranges and ``small_cells="exclude"`` as in the result). A
    lead is the mean first-stage residual of untreated rows that also enter the first
    stage, so shifting it is not a change of treated outcomes only: it is refused
    (:class:`SpecificationError`).
    """
    spec = result.spec
    ant = spec.get("anticipation", 0)
    for term in terms:
        e = result.keys["event_time"].get(term)
        if term != "overall" and not (e >= -ant):
            raise SpecificationError(
                f"wild_bootstrap tests the did2s terms that average treated observations "
                f"('overall' and ATT(e=h) with h >= {-ant}); {term!r} is a lead: its "
                "observations are untreated and also fit the first stage, so there is no "
                "restricted model that moves it alone. Test pre-trends with "
                "wild_bootstrap on an event_study result (e.g. term=['e-3', 'e-2'])."
            )
    fs = first_stage(panel, result.outcome, controls=spec.get("controls", ()),
                     fixed_effects=spec.get("fixed_effects", ("unit", "time")),
                     cluster=cluster, weights=spec.get("weights"), anticipation=ant)
    unit = panel.unit_id[fs.rows]
    return [linear_term(fs, term, term_rows(fs, result, unit, term), "did2s")
            for term in terms]


def _small_cells(fs: FirstStage, unit: np.ndarray, code: np.ndarray, event_times, k: int,
                 policy: str):
    """Stage-2 columns after the small-cell rule: the column of every used row (−1: none),
    term names, the event times behind each term and notes.

    ``"exclude"``: the rows of cohorts with fewer than ``k`` treated units lose their
    dummy (treated rows leave stage 2, lead rows join the reference), then terms resting
    on fewer than ``k`` units are dropped. ``"pool"``: adjacent event times (pre and post
    apart) share one dummy until each rests on ``k`` units.
    """
    static = len(event_times) == 1 and not np.isfinite(event_times[0])
    m = len(event_times)
    notes: list[str] = []
    if policy == "exclude":
        small, n_small, rows = small_cohort_rows(fs, unit, k)
        code = np.where(rows, -1, code)
        group = term_groups("exclude", event_times, unit_sets(code, unit, m), k)
        ok = group >= 0
        if not ok.any():
            raise EstimationError(
                f"Every term of the second stage rests on fewer than min_cohort_size={k} "
                "treated units once the small cohorts are left out, so small_cells='exclude' "
                "leaves nothing to estimate. Use small_cells='flag' or 'pool', or a smaller "
                "min_cohort_size.")
        labels = ["overall" if static else f"ATT(e={range_label([h])})" for h in event_times]
        dropped = [lab for lab, o in zip(labels, ok, strict=True) if not o]
        if small.size or dropped:
            notes.append(exclusion_note(
                "did2s", small, n_small, k,
                "their treated observations leave the second stage (lead observations join "
                "the reference); the first stage is unchanged", dropped))
    elif policy == "pool" and not static:
        group = term_groups("pool", event_times, unit_sets(code, unit, m), k)
    else:
        group = np.arange(m)
    n_terms = int(group.max()) + 1
    ranges = [[h for h, g in zip(event_times, group, strict=True) if g == j]
              for j in range(n_terms)]
    code = np.where(code >= 0, group[np.maximum(code, 0)], -1)
    names = ["overall"] if static else [f"ATT(e={range_label(r)})" for r in ranges]
    pooled = [n for n, r in zip(names, ranges, strict=True) if len(r) > 1]
    if pooled:
        notes.append(pooling_note("did2s", pooled, k))
    return code, names, ranges, notes


def _check_horizons(horizons):
    if horizons is None or (isinstance(horizons, str) and horizons == "all"):
        return horizons
    if isinstance(horizons, str):
        raise SpecificationError(
            f"horizons must be None (static), 'all' or a sequence of event times; got "
            f"{horizons!r}."
        )
    if isinstance(horizons, int | np.integer) and not isinstance(horizons, bool):
        horizons = (horizons,)
    try:
        vals = list(horizons)
    except TypeError:
        raise SpecificationError(
            f"horizons must be None (static), 'all' or a sequence of event times; got "
            f"{horizons!r}."
        ) from None
    bad = [h for h in vals if isinstance(h, bool) or not isinstance(h, int | np.integer)]
    if bad or not vals:
        raise SpecificationError(
            f"horizons must be a non-empty sequence of integer event times; got {horizons!r}."
        )
    return tuple(sorted({int(h) for h in vals}))


def _second_stage_design(fs: FirstStage, horizons, anticipation: int):
    """Stage-2 column of every used row (−1: no dummy), term names, event times."""
    treated = ~fs.untreated
    if horizons is None:
        return np.where(treated, 0, -1).astype(np.intp), ["overall"], [np.nan]
    e = fs.event_time
    finite = np.isfinite(e)
    observed = np.unique(e[finite]).astype(int)
    if horizons == "all":
        ref = -1 - anticipation
        hs = [int(h) for h in observed if h != ref]
        if not hs:
            raise EstimationError("No event time besides the reference period is observed.")
    else:
        missing = sorted(set(horizons) - set(observed.tolist()))
        if missing:
            raise SpecificationError(
                f"horizons {missing} are not observed (event times in the sample: "
                f"{examples(observed, 12)}). Narrow the window (or drop them from horizons)."
            )
        hs = list(horizons)
    lookup = np.full(observed.size, -1, dtype=np.intp)
    pos = {h: j for j, h in enumerate(hs)}
    for i, h in enumerate(observed):  # a loop over event times, not rows
        lookup[i] = pos.get(int(h), -1)
    code = np.full(fs.n_obs, -1, dtype=np.intp)
    code[finite] = lookup[np.searchsorted(observed, e[finite].astype(int))]
    return code, [f"ATT(e={h})" for h in hs], [float(h) for h in hs]
