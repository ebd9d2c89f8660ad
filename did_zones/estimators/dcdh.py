"""de Chaisemartin & D'Haultfœuille: DID_M, its placebos and the DID_ℓ event-study effects.

For a staggered, absorbing, binary treatment every switcher is a *joiner*: DID_M averages,
over the periods ``t`` where some units start treatment, the difference between the
outcome change of those joiners and that of the units still untreated at ``t``
(de Chaisemartin & D'Haultfœuille 2020). Where treatment switches off (a revoked pilot
zone), DID_M adds the *leavers*: units treated at ``t−1`` and not at ``t`` against units
treated at both; it is the one estimator of did_zones that accepts such a panel. The dynamic effects and placebos are the long
differences of de Chaisemartin & D'Haultfœuille (2024), as in Stata/R
``did_multiplegt_dyn``. Everything is a ratio of cell sums, so the influence function,
the clustered variance and the unit (cluster) bootstrap are all exact and vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..design import usable_rows
from ..errors import (
    EstimationError,
    SmallCohortWarning,
    SpecificationError,
    deprecated,
    warn,
)
from ..estimands import tag
from ..inference import (
    NOISE_TOL,
    check_clusters,
    group_sums,
    influence_floor,
    influence_vcov,
    outcome_scale,
)
from ..panel import Panel
from ..result import Result
from ..validation import (
    ALPHA,
    COUNT,
    N_BOOT,
    PanelArg,
    Seed,
    Window,
    as_tuple,
    check,
    check_columns,
    check_outcome_varies,
    examples,
)
from ._small_cells import (
    DEFAULT_MIN_COHORT_SIZE,
    SmallCells,
    check_small_cells,
    exclusion_note,
    mark_small,
    pool_adjacent,
    pooling_note,
    range_label,
    warn_small_cells,
)

__all__ = ["dcdh"]

_BLOCK = 128  # bootstrap draws per block: results depend only on the seed, not on chunking


@dataclass(frozen=True)
class _Term:
    name: str
    kind: str  # "DID_M", "effect" or "placebo"
    lag: int  # e for effects (event time), k for placebos, 0 for DID_M

    @property
    def event_time(self) -> int:
        return -1 - self.lag if self.kind == "placebo" else self.lag

    def periods(self, c: float) -> tuple[float, float, float]:
        """(end, start, control horizon) of the difference used for cohort ``c``.

        The difference is ``Y[end] - Y[start]``; comparison units are those still
        untreated at ``horizon`` (first treated after it).
        """
        if self.kind == "placebo":
            return c - 1 - self.lag, c - 1, c - 1 + self.lag
        return c + self.lag, c - 1, c + self.lag


@dataclass
class _Cells:
    """Cell-level design: one column per (term, cohort) cell, one row per unit."""

    term: np.ndarray  # (C,) term index of each cell
    cohort: np.ndarray  # (C,)
    end: np.ndarray  # (C,) calendar period of the later outcome
    start: np.ndarray  # (C,) calendar period of the earlier outcome
    J: np.ndarray  # (n, C) switcher indicator (outcome change observed)
    S: np.ndarray  # (n, C) comparison indicator (outcome change observed)
    D: np.ndarray  # (n, C) outcome change (0 where not observed)
    X: np.ndarray | None  # (n, C, p) change of the controls (0 where not observed)
    leavers: np.ndarray  # (C,) True for DID_M's leaver cells (1 -> 0), whose D is -ΔY


class _DcdhKeys(TypedDict):
    cells: Any


class DcdhExtra(_DcdhKeys, total=False):
    """The ``extra`` mapping of a :func:`dcdh` result (documented in its Returns):
    ``std_error_dyn`` without controls and clusters, ``joiners_leavers`` when treatment
    switches off, ``control_coefficients`` with controls, ``vcov_analytic`` and ``bootstrap_draws`` with the bootstrap."""

    std_error_dyn: Any
    joiners_leavers: Any
    control_coefficients: Any
    vcov_analytic: Any
    bootstrap_draws: Any


@records_panel
def dcdh(
    panel: Panel,
    outcome: str,
    *,
    window: tuple[int, int] | None = None,
    controls: str | Sequence[str] = (),
    cluster: str | None = "unit",
    n_boot: int | None = None,
    seed: int | np.random.SeedSequence | None = None,
    alpha: float = 0.05,
    placebo: int | None = None,
    dynamic: int | None = None,
    min_cohort_size: int = DEFAULT_MIN_COHORT_SIZE,
    small_cells: SmallCells = "flag",
) -> Result:
    r"""de Chaisemartin & D'Haultfœuille's DID_M estimator, placebos and dynamic effects.

    **Comparison group: not-yet-treated by construction; there is no ``control=`` option.**
    Each switching cohort is compared with every unit not yet treated at
    the periods compared, never-treated units included (DID_M's definition). So the package default ``control="never"`` of
    :func:`~did_zones.callaway_santanna`, :func:`~did_zones.event_study` and
    :func:`~did_zones.sun_abraham` cannot apply here; compare with those estimators run
    with ``control="not_yet"``.

    Parameters
    ----------
    panel : Panel
        Panel from :func:`did_zones.build_panel`. Each unit is a dCDH "group"
        (``N_{g,t} = 1``). Treatment may switch off once and on again once
        (:attr:`Panel.switches_off`, e.g. ``zone_cohorts(revoked="end")`` past a
        revocation): ``DID_M`` then includes the leavers (see Notes).
    outcome : str
        Outcome column.
    window : (int, int), optional
        Event times ``lo..hi`` (``lo <= -1 <= 0 <= hi``) relative to adoption; ``-1`` is
        the base of every term. ``hi = L >= 1`` adds the dynamic effects ``effect_0 ..
        effect_L`` (``effect_0`` is the instantaneous effect and equals ``DID_M``;
        ``did_multiplegt_dyn``'s ``effects(L + 1)``); ``lo <= -2`` adds the placebos
        ``placebo_1 .. placebo_k`` at event times ``-2 .. lo`` (``k = -1 - lo``,
        ``placebo(k)``). Default None, i.e. ``(-1, 0)``: ``DID_M`` alone.
    controls : str or sequence of str, default ()
        Time-varying covariates. As in ``did_multiplegt`` (``controls()``), outcome
        changes are replaced by their residuals ``ΔY − θ̂'ΔX``, where ``θ̂`` comes from a
        regression of first differences ``ΔY_{i,t}`` on ``ΔX_{i,t}`` and period effects
        among not-yet-treated unit-periods; the estimation of ``θ̂`` enters the influence
        function and the bootstrap.
    cluster : str or None, default "unit"
        ``"unit"`` (or None) treats units as independent; a column name (constant
        within unit, e.g. province) sums influence functions within clusters and
        resamples whole clusters in the bootstrap.
    n_boot : int, optional
        If given, standard errors, the variance matrix and the sup-t critical value come
        from a bootstrap that resamples units (clusters) with replacement, as
        ``did_multiplegt``'s ``breps()``. The analytic variance stays in
        ``extra["vcov_analytic"]``.
    seed : int or SeedSequence, optional
        Seed of the bootstrap; the draws depend only on it.
    alpha : float, default 0.05
        Level of the bootstrap uniform band.
    placebo, dynamic : int, optional
        Deprecated: ``placebo=k, dynamic=L`` is ``window=(-1 - k, L)``.
    min_cohort_size : int, default 5
        A term resting on fewer distinct switchers than this is *small*: its standard
        error is unreliable. 1 turns the marks off.
    small_cells : {"flag", "exclude", "pool"}, default "flag"
        ``"flag"``: mark small terms (``keys["small_cell"]``) and warn. ``"exclude"``:
        cohorts with fewer than ``min_cohort_size`` units are not used as switchers in
        any term (they remain comparison units while not yet treated); effects and
        placebos still resting on fewer switchers are dropped (``DID_M`` is kept,
        marked). ``"pool"``: adjacent effects (and, apart, adjacent placebos) are pooled
        into their switcher-weighted average until each rests on ``min_cohort_size``
        switchers, named by the range: ``"effect_4..5"``, ``"placebo_2..3"``.

    Returns
    -------
    Result
        Terms ``DID_M``, then ``effect_0 .. effect_L``, then ``placebo_1 .. placebo_k``.
        ``keys`` has ``event_time`` (0 for DID_M, ℓ for ``effect_ℓ``, −1−k for
        ``placebo_k``; the lower end for a pooled term), ``event_time_high`` (the upper
        end), ``base_event_time`` (−1 for every term: all are changes
        relative to the last period before treatment), ``n_switchers`` (switcher cells,
        the denominator of the term's weights), ``n_cells``, ``n_treated_units``
        (distinct switchers) and ``small_cell``.
        ``extra`` is typed by :class:`DcdhExtra`; ``extra["cells"]`` lists every (term,
        cohort) cell with its sizes, its DID, its weight, whether it was used and its
        ``side`` (``"joiners"``, or ``"leavers"`` for DID_M's leaver cells; DID_M's cells
        are per period ``t``, given in ``cohort`` and ``time``). When treatment switches
        off, ``extra["joiners_leavers"]`` splits ``DID_M`` into ``DID_+`` (joiners) and
        ``DID_−`` (leavers): estimate, analytic standard error, switchers, cells. ``influence`` holds the per-unit influence
        functions. ``primary = "DID_M"``.

    Raises
    ------
    SpecificationError
        Invalid options (negative counts, unknown columns, cluster varying within unit,
        ``small_cells`` or ``min_cohort_size`` out of range).
    EstimationError
        No period has both switchers and stable untreated units observed before and
        after; a requested placebo or dynamic effect cannot be computed from the data
        (the message gives the largest feasible number).

    Warns
    -----
    SmallCohortWarning
        Terms resting on fewer than ``min_cohort_size`` switchers (one warning listing
        them, also in ``notes``); cells resting on a single comparison unit.

    Notes
    -----
    **Estimand.** With groups ``g`` (units), ``N_{1,0,t}`` joiners (untreated at
    ``t−1``, treated at ``t``) and ``N_{0,0,t}`` stable untreated units at ``t``,

    .. math::

        DID_{+,t} = \frac{1}{N_{1,0,t}}\sum_{g\ \mathrm{joins\ at}\ t} (Y_{g,t}-Y_{g,t-1})
                  - \frac{1}{N_{0,0,t}}\sum_{g\ \mathrm{stable\ untreated}} (Y_{g,t}-Y_{g,t-1}),
        \qquad
        DID_M = \sum_t \frac{N_{1,0,t}}{N_S} DID_{+,t},

    ``N_S = Σ_t N_{1,0,t}`` over the periods used. ``DID_M`` estimates the average effect
    of starting treatment on the switchers at the period they switch.

    **Treatment that switches off** (:attr:`Panel.switches_off`; a revoked zone under
    ``zone_cohorts(revoked="end")``, or a 0/1 column with ``build_panel(...,
    switch_off="keep")``). With ``N_{0,1,t}`` leavers (treated at ``t−1``, untreated at
    ``t``) and ``N_{1,1,t}`` stable treated units, the paper's

    .. math::

        DID_{-,t} = \frac{1}{N_{1,1,t}}\sum_{g\ \mathrm{stable\ treated}} (Y_{g,t}-Y_{g,t-1})
                  - \frac{1}{N_{0,1,t}}\sum_{g\ \mathrm{leaves\ at}\ t} (Y_{g,t}-Y_{g,t-1}),
        \qquad
        DID_M = \sum_t \Big(\frac{N_{1,0,t}}{N_S} DID_{+,t}
                + \frac{N_{0,1,t}}{N_S} DID_{-,t}\Big),

    ``N_S = Σ_t (N_{1,0,t} + N_{0,1,t})``. Joiners, leavers and stable units are defined by
    the treatment in ``t−1`` and ``t`` only, as in the paper: a unit that left earlier is a
    stable untreated comparison, and one that starts again is a joiner. Each ``DID_{−,t}``
    cell is the cell DID of ``−ΔY``, so the influence function, the clustered variance and
    the bootstrap below apply unchanged. ``extra["joiners_leavers"]`` reports the two
    sides. The dynamic effects and placebos stay those of ``did_multiplegt_dyn``: the
    effect ``ℓ`` periods after the *first* switch, whatever the treatment does afterwards
    (a unit that left still counts as a switcher, never as a comparison unit), so
    ``effect_0`` differs from ``DID_M`` and ``extra["std_error_dyn"]`` has no ``DID_M``
    entry (NaN). Controls are refused with a switch-off: the leavers' comparison would need
    its own first stage among treated units. Checked against the official Python port of
    ``did_multiplegt_dyn`` (effects, placebos, design-based SEs) and diff-diff 3.13.0
    ``ChaisemartinDHaultfoeuille(drop_larger_lower=False)`` (DID_M, DID_+, DID_−); that
    package's default drops every unit that switches more than once.
    A period ``t`` with joiners but no stable untreated unit observed at ``t−1`` and
    ``t`` is skipped (as ``did_multiplegt`` does) and listed in ``notes``; its joiners
    leave ``N_S``. Outcome changes are taken between calendar periods ``t−1`` and ``t``;
    a unit missing either row is left out of that cell (never bridged over a gap).

    **Dynamic effects** (de Chaisemartin & D'Haultfœuille 2024, ``DID_ℓ`` with
    ``ℓ = e + 1``): ``effect_e`` compares ``Y_{g,F_g+e} − Y_{g,F_g−1}`` of the switchers
    (``F_g`` = first treated period) with the same change of units not yet treated at
    ``F_g+e``, averaging over switchers with equal weights. ``effect_0 = DID_M`` when treatment stays on.
    In staggered designs ``effect_e`` equals Callaway & Sant'Anna's event-study
    aggregation with not-yet-treated controls.

    **Placebos** follow ``did_multiplegt_dyn``: ``placebo_k`` compares
    ``Y_{g,F_g−1−k} − Y_{g,F_g−1}`` of the switchers with that of units not yet treated at
    ``F_g−1+k`` (the comparison group of ``effect_{k−1}``), over cohorts with
    ``F_g−1+k`` inside the sample. ``placebo_1`` is therefore the paper's
    ``DID_M^{pl}`` (joiners at ``t`` vs units untreated at ``t−2, t−1, t``) with the
    opposite sign: the paper writes ``Y_{t−1} − Y_{t−2}``, here every term is a change
    relative to period −1, so effects and placebos draw one event-study line.

    **Analytic variance.** Units are i.i.d. draws (clusters when ``cluster`` is a
    column). For a term with cells ``c`` (one per cohort), switcher indicator ``J_{ic}``,
    comparison indicator ``S_{ic}``, outcome change ``d_{ic}``, comparison mean
    ``m_{0c}`` and ``N_k = Σ_c N_{1c}``, the estimate is a smooth function of cell sums
    and its influence function is exactly

    .. math::

        ψ_i = \frac{n}{N_k}\sum_c\Big[J_{ic}(d_{ic} - m_{0c} - \hat θ_k)
              - \frac{N_{1c}}{N_{0c}} S_{ic}(d_{ic} - m_{0c})\Big]

    (the ``− θ̂_k`` part carries the randomness of the weights ``N_{1c}/N_k``), so that
    ``V̂ = Σ_g (Σ_{i∈g} ψ_i)(Σ_{i∈g} ψ_i)' / n²`` with no small-sample factor and normal
    critical values (R ``did``'s convention). It coincides with the analytic standard
    error of R ``did``/``moderndid`` ``aggte(type="dynamic")`` with not-yet-treated
    controls. ``did_multiplegt_dyn`` instead prints a design-based, conservative
    variance (outcome changes demeaned within cohorts, ``n/(n−1)`` factors, no weight
    term); its standard errors are reported in ``extra["std_error_dyn"]`` (no controls,
    unit clustering) for replicators.

    **Controls.** The first stage regresses first differences ``ΔY_{i,t}`` on ``ΔX_{i,t}``
    and period dummies over unit-periods not yet treated at ``t`` (both periods observed);
    every outcome change used by a term (first or long difference) is then net of
    ``θ̂'`` times the same change of the controls, which reproduces
    ``did_multiplegt_dyn``'s point estimates with ``controls()``. The influence function
    adds ``−ḡ_k' ψ^θ_i``, with ``ḡ_k`` the weighted switcher-minus-comparison mean change of
    the controls and ``ψ^θ_i = n (X̃'X̃)⁻¹ Σ_t x̃_{it} ê_{it}`` (``X̃``: ``ΔX`` demeaned by
    period) the influence function of ``θ̂``.

    **Unbalanced panels.** The cohort comes from the Panel (e.g. the official pilot list),
    not from observed treatment, so a unit with a missing year before adoption still
    counts as a switcher in the cells whose two periods it has. ``did_multiplegt_dyn``
    infers switch dates from observed treatment and drops switchers with a gap before
    their first switch, so on unbalanced panels dynamic effects can differ from it;
    ``DID_M`` (first differences only) and everything on balanced panels coincide.

    **Small cohorts.** A term's ``n_treated_units`` is the number of distinct switchers
    in its used cells (``DID_M``: the joiners; ``effect_ℓ`` / ``placebo_k``: the
    switchers of the cohorts observed at that lag). ``small_cells="exclude"`` removes
    the small cohorts from the switcher side only: before they switch they remain
    not-yet-treated comparison units, because their untreated outcome changes are valid
    comparisons under parallel trends and dropping them would change the comparison
    group, hence the estimand, of the other cohorts (as the imputation estimators keep
    their untreated observations in the first stage). For effects and ``DID_M`` this equals
    ``dcdh`` on the panel with those cohorts recoded as never-treated and their treated
    rows deleted. A pooled term ``θ = Σ_ℓ N_ℓ θ_ℓ / Σ_ℓ N_ℓ`` is the ratio of the
    union of its cells' sums, so its influence function (with the randomness of the
    weights ``N_ℓ/N``), clustered variance and bootstrap are exact. The existing warning
    on cells with a single *comparison* unit is a different fact and stays.

    **Bootstrap.** ``n_boot`` draws multinomial counts per unit (cluster); every cell
    sum becomes a matrix product of the count matrix with per-unit sums, so each draw
    recomputes the estimator exactly (cells without switchers or comparison units in a
    draw drop out, as in the estimator). Standard errors are the standard deviations
    of the draws; the uniform critical value is the ``1 − alpha`` quantile of
    ``max_k |θ*_k − θ̂_k| / se_k``.

    References
    ----------
    de Chaisemartin, C. & D'Haultfœuille, X. (2020). Two-way fixed effects estimators with
    heterogeneous treatment effects. *American Economic Review* 110(9), 2964–2996.

    de Chaisemartin, C. & D'Haultfœuille, X. (2024). Difference-in-differences estimators
    of intertemporal treatment effects. *Review of Economics and Statistics* 106(6).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from did_zones import build_panel, dcdh
    >>> df = pd.DataFrame({"unit": np.repeat([1, 2, 3], 3), "year": [1, 2, 3] * 3,
    ...                    "y": [0., 1., 5., 0., 1., 2., 0., 1., 2.]})
    >>> panel = build_panel(df, unit="unit", time="year", cohort={1: 3, 2: 0, 3: 0})
    >>> res = dcdh(panel, "y", window=(-2, 0))
    >>> res.estimate.round(6).to_dict()
    {'DID_M': 3.0, 'placebo_1': 0.0}
    """
    v = check({"panel": PanelArg(switch_off=True), "n_boot": N_BOOT, "seed": Seed(sequence=True), "alpha": ALPHA},
              panel=panel, n_boot=n_boot, seed=seed, alpha=alpha)
    n_boot, alpha = v["n_boot"], v["alpha"]
    min_cohort_size, small_cells = check_small_cells(min_cohort_size, small_cells)
    placebo, dynamic = _window(window, placebo, dynamic)
    controls = as_tuple(controls)
    if outcome in controls:
        raise SpecificationError(f"The outcome {outcome!r} cannot also be a control.")
    check_columns(panel.data, (outcome,) + controls)
    if controls and panel.switches_off:
        n_off = int(np.isfinite(panel.treatment_end).sum())
        raise SpecificationError(
            f"controls={list(controls)} with treatment that switches off ({n_off} unit(s)) "
            "are not supported: the leavers' comparison (units treated in both periods) "
            "would need its own first stage among treated units, which dcdh does not "
            "estimate. Drop the controls, or keep the units treated "
            "(zone_cohorts(revoked='keep')) or end the panel before the switch-off.")
    check_outcome_varies(panel.column(outcome), outcome)
    cluster_codes, cluster_labels = _cluster_codes(panel, cluster)

    mask, drop_notes = usable_rows(panel, (outcome,) + controls)
    notes: list[str] = list(drop_notes)
    if not mask.any():
        raise EstimationError(f"No row has a finite {outcome!r}; nothing to estimate.")

    Y, Xw, p0 = _wide(panel, outcome, controls, mask)
    terms = [_Term("DID_M", "DID_M", 0)]
    terms += [_Term(f"effect_{e}", "effect", e) for e in range(dynamic + 1)] if dynamic else []
    terms += [_Term(f"placebo_{k}", "placebo", k) for k in range(1, placebo + 1)]

    status = panel.treated_at(range(p0, p0 + Y.shape[1]))
    cells = _build_cells(terms, panel.cohort, Y, Xw, p0, status)
    n1 = cells.J.sum(axis=0)
    n0 = cells.S.sum(axis=0)
    used = (n1 > 0) & (n0 > 0)
    _check_feasible(terms, cells, used, n1, dynamic, placebo, outcome)
    notes += _skip_notes(terms, cells, used, n1, n0, panel.cohort, status, p0)
    _warn_small(terms, cells, used, n0)
    has_rows = np.bincount(panel.unit_id[mask], minlength=panel.n_units) > 0
    terms, cells, ranges, small_notes = _small_cell_rule(
        terms, cells, panel.cohort, has_rows, min_cohort_size, small_cells)
    notes += small_notes
    n1 = cells.J.sum(axis=0)
    n0 = cells.S.sum(axis=0)
    used = (n1 > 0) & (n0 > 0)

    n_units = panel.n_units
    n_terms = len(terms)
    d_raw = cells.D
    theta_ctrl = ctrl_psi = None
    if controls:
        theta_ctrl, ctrl_psi, ctrl_note = _control_fit(panel.cohort, Y, Xw, p0, controls,
                                                       n_units)
        notes.append(ctrl_note)
        cells.D = d_raw - np.einsum("ncp,p->nc", cells.X, theta_ctrl)

    est, psi, cell_did, weights = _estimate(cells, used, n_terms, n_units)
    if controls:
        psi = psi - ctrl_psi @ _control_gradient(cells, used, weights, n_terms).T

    vcov, n_clusters = influence_vcov(psi, cluster_codes, cluster)
    notes += check_clusters(n_clusters, cluster)

    scale = outcome_scale(Y)
    extra: dict = {"cells": _cell_table(terms, cells, used, n1, n0, cell_did, weights)}
    if panel.switches_off:
        extra["joiners_leavers"] = _joiners_leavers(cells, used, n_units, cluster_codes,
                                                    cluster)
    if not controls and cluster_codes is None:
        se_dyn = _dyn_std_error(cells, used, n_terms)
        se_dyn[se_dyn <= NOISE_TOL * scale] = np.nan  # not identified (flag_unidentified)
        if panel.switches_off:  # DID_M is not one of did_multiplegt_dyn's effects then
            se_dyn[0] = np.nan
        extra["std_error_dyn"] = pd.Series(
            se_dyn,
            index=pd.Index([t.name for t in terms], name="term"), name="std_error_dyn")
    if theta_ctrl is not None:
        extra["control_coefficients"] = pd.Series(theta_ctrl, index=list(controls))
    crit = None
    vcov_used = vcov
    if n_boot is not None:
        moments = _first_stage_moments(panel.cohort, Y, Xw, p0) if controls else None
        draws, n_failed = _bootstrap(cells, d_raw, used, n_terms, cluster_codes, n_boot,
                                     seed, moments)
        vcov_used, crit, boot_note = _boot_summary(draws, est, alpha, n_failed)
        extra["vcov_analytic"] = pd.DataFrame(vcov, index=[t.name for t in terms],
                                              columns=[t.name for t in terms])
        extra["bootstrap_draws"] = draws
        if boot_note:
            notes.append(boot_note)

    keys = pd.DataFrame({
        "cohort": np.nan,
        "time": np.nan,
        "event_time": [float(r[0]) for r in ranges],
        "event_time_high": [float(r[1]) for r in ranges],
        "base_event_time": -1,
        "n_switchers": [int(n1[(cells.term == k) & used].sum()) for k in range(len(terms))],
        "n_cells": [int(((cells.term == k) & used).sum()) for k in range(len(terms))],
    })
    keys = tag(keys, [k for k, t in enumerate(terms) if t.name == "DID_M"], "instantaneous")
    n_units_term = [len(u) for u in _switcher_sets(cells, used, n_terms)]
    keys = mark_small(keys, n_units_term, min_cohort_size)
    message = warn_small_cells(
        "dcdh", {t.name: n for t, n, f in zip(terms, n_units_term, keys["small_cell"],
                                              strict=True) if f},
        min_cohort_size, small_cells)
    if message:
        notes.append(message)
    rows_used = _rows_used(cells, used, Y.shape[1], p0)
    used_units = (cells.J | cells.S)[:, used].any(axis=1)
    spec = {"window": (-1 - placebo, dynamic), "controls": controls, "cluster": cluster,
            "n_boot": n_boot, "seed": seed, "alpha": alpha,
            "min_cohort_size": min_cohort_size, "small_cells": small_cells,
            "se": "bootstrap" if n_boot is not None else "influence"}
    return Result.create(
        est, vcov_used, [t.name for t in terms], keys=keys,
        variance_floor=influence_floor(n_terms, scale), method="dcdh", outcome=outcome, spec=spec,
        n_obs=int(rows_used), n_units=int(used_units.sum()),
        n_clusters=int(n_clusters), df=None, primary="DID_M",
        influence=psi, influence_index=panel.units.copy(),
        crit_value=crit, notes=tuple(panel.notes) + tuple(notes), extra=extra,
    )


# ----------------------------------------------------------------------------- checks


def _window(window, placebo, dynamic) -> tuple[int, int]:
    """The numbers of placebos and of dynamic effects of ``window`` (or of the deprecated
    ``placebo`` / ``dynamic``)."""
    old = {k: v for k, v in (("placebo", placebo), ("dynamic", dynamic)) if v is not None}
    if old:
        if window is not None:
            raise SpecificationError(
                f"Give window=(lo, hi) only; {' and '.join(old)} (deprecated) cannot be "
                "combined with it.")
        placebo = _check_count("placebo", 0 if placebo is None else placebo)
        dynamic = _check_count("dynamic", 0 if dynamic is None else dynamic)
        deprecated(", ".join(f"{k}={v!r}" for k, v in old.items()),
                   f"window=({-1 - placebo}, {dynamic})")
        return placebo, dynamic
    lo, hi = Window(lo_max=-1, hi_min=0)("window", (-1, 0) if window is None else window)
    return -1 - lo, hi


def _check_count(name: str, value) -> int:
    return COUNT(name, value)


def _cluster_codes(panel: Panel, cluster) -> tuple[np.ndarray | None, pd.Index | None]:
    if cluster is None or cluster == "unit" or cluster == panel.unit:
        return None, None
    if not isinstance(cluster, str):
        raise SpecificationError(
            f"cluster must be 'unit' or the name of a column; got {cluster!r}."
        )
    check_columns(panel.data, [cluster])
    values = panel.data[cluster]
    if values.isna().any():
        raise SpecificationError(
            f"The cluster column {cluster!r} has {int(values.isna().sum())} missing "
            "value(s); fill or drop those rows first."
        )
    codes, labels = pd.factorize(values, sort=True)
    per_unit = np.full(panel.n_units, -1)
    per_unit[panel.unit_id] = codes
    bad_rows = per_unit[panel.unit_id] != codes
    varies = np.bincount(panel.unit_id[bad_rows], minlength=panel.n_units) > 0
    if varies.any():
        raise SpecificationError(
            f"The cluster column {cluster!r} is not constant within unit for "
            f"{int(varies.sum())} unit(s), e.g. {examples(panel.units[varies])}. dcdh "
            "clusters whole units: use a unit-level variable such as the province."
        )
    return per_unit, pd.Index(labels)


def _check_feasible(terms, cells, used, n1, dynamic, placebo, outcome) -> None:
    has = np.array([used[cells.term == k].any() for k in range(len(terms))])
    if not has[0]:
        raise EstimationError(
            f"No period has both switchers (units first treated then) and stable "
            f"untreated units with {outcome!r} observed in that period and the one "
            "before, so DID_M cannot be computed. Check that the panel has untreated "
            "comparison units (never-treated or treated later) around the adoption dates."
        )
    for kind in ("effect", "placebo"):
        idx = [k for k, t in enumerate(terms) if t.kind == kind]
        if not idx or has[idx].all():
            continue
        first_bad = next(k for k in idx if not has[k])
        feasible = [terms[k].lag for k in idx if has[k] and k < first_bad]
        best = max(feasible) if feasible else 0
        if kind == "placebo":
            lag = terms[first_bad].lag
            when = "at adoption" if lag == 1 else f"{lag - 1} period(s) after adoption"
            reason = (
                f"no cohort has its outcome observed {lag + 1} period(s) before adoption "
                f"with units still untreated {when} to compare with"
            )
        else:
            reason = (
                f"no cohort is observed {terms[first_bad].lag} period(s) after adoption "
                "with units still untreated then to compare with"
            )
        lo, hi = -1 - placebo, dynamic
        if kind == "placebo":
            asked, fix = f"lo={lo} (placebo_1..placebo_{placebo})", f"lo={-1 - best}"
            widest = (-1 - best, hi)
        else:
            asked, fix = f"hi={hi} (effect_0..effect_{dynamic})", f"hi={best}"
            widest = (lo, best)
        raise EstimationError(
            f"window {asked} requested but {terms[first_bad].name} cannot be "
            f"estimated: {reason}. The widest feasible window has {fix}: "
            f"window={widest}."
        )


def _skip_notes(terms, cells, used, n1, n0, cohort, status, p0) -> list[str]:
    notes = []
    sizes = pd.Series(cohort).value_counts()
    before, after = status[:, cells.start - p0], status[:, cells.end - p0]
    # switchers each cell would have with every outcome observed
    size = np.where(cells.leavers, (before & ~after).sum(axis=0),
                    sizes.reindex(cells.cohort).fillna(0).to_numpy())
    is_did_m = np.array([terms[k].kind == "DID_M" for k in cells.term], dtype=bool)
    size = np.where(is_did_m & ~cells.leavers, (~before & after).sum(axis=0), size)
    for k, term in enumerate(terms):
        for leave in (False, True):
            side = (cells.term == k) & (cells.leavers == leave)
            unseen = side & (n1 == 0)
            if unseen.any():
                periods = [f"{int(b)}->{int(e)}" for b, e in
                           zip(cells.start[unseen], cells.end[unseen], strict=True)]
                who = (f"leavers at {examples(cells.end[unseen].astype(int))}" if leave else
                       f"{int(unseen.sum())} cohort(s) {examples(cells.cohort[unseen].astype(int))}")
                notes.append(
                    f"{term.name}: {who} ({int(size[unseen].sum())} unit(s)) have no unit with "
                    f"the outcome observed in both periods {examples(periods)}; they are not "
                    "in the average."
                )
            sel = side & ~used & (n1 > 0)
            if not sel.any():
                continue
            if leave:
                notes.append(
                    f"{term.name}: {int(sel.sum())} leaver cell(s) skipped for lack of "
                    "comparison units (units treated in both periods, observed): periods "
                    f"{examples(cells.end[sel].astype(int))} ({int(n1[sel].sum())} "
                    "leaver(s)); they are not in the average."
                )
                continue
            notes.append(
                f"{term.name}: {int(sel.sum())} cohort cell(s) skipped for lack of comparison "
                f"units (untreated units observed in both periods): cohorts "
                f"{examples(cells.cohort[sel].astype(int))} ({int(n1[sel].sum())} "
                "switcher(s)); they are not in the average."
            )
    return notes


def _warn_small(terms, cells, used, n0) -> None:
    small = used & (n0 < 2)
    if small.any():
        desc = [f"{terms[cells.term[c]].name}/"
                f"{'leavers' if cells.leavers[c] else 'cohort'} {int(cells.cohort[c])}"
                for c in np.flatnonzero(small)]
        warn(
            f"{len(desc)} cell(s) rest on a single comparison unit, e.g. {examples(desc)}: "
            "their DID is fragile. Consider fewer dynamic effects or placebos.",
            SmallCohortWarning)


# ------------------------------------------------------------------ small cohorts


def _switcher_sets(cells: _Cells, used, n_terms: int) -> list[set]:
    """The distinct switchers (unit indices) of every term's used cells."""
    out = []
    for k in range(n_terms):  # a loop over terms, not units
        sel = (cells.term == k) & used
        out.append(set(np.flatnonzero(cells.J[:, sel].any(axis=1)).tolist()))
    return out


def _small_cell_rule(terms, cells: _Cells, cohort, has_rows, k: int, policy: str):
    """Terms and cells after the small-cell rule, the event-time range of every term and
    notes.

    ``"exclude"``: cohorts with fewer than ``k`` units (with an observed outcome) are not
    switchers in any cell (they remain comparison units while not yet treated); effects
    and placebos then resting on fewer than ``k`` switchers are dropped (``DID_M`` is kept
    and marked). ``"pool"``: adjacent effects (and, apart, adjacent placebos) become one
    term whose cells are the union of theirs, i.e. the switcher-weighted average of the
    pooled ``effect_ℓ``.
    """
    ranges = [(t.event_time, t.event_time) for t in terms]
    notes: list[str] = []
    if policy == "flag":
        return terms, cells, ranges, notes
    def used() -> np.ndarray:
        return (cells.J.sum(axis=0) > 0) & (cells.S.sum(axis=0) > 0)

    if policy == "exclude":
        sizes = pd.Series(cohort[has_rows & np.isfinite(cohort)]).value_counts()
        small = np.sort(sizes.index[sizes < k].to_numpy(dtype=float))
        cells.J = cells.J & ~np.isin(cohort, small)[:, None]
        sets = _switcher_sets(cells, used(), len(terms))
        if not sets[0]:
            raise EstimationError(
                f"Every switching cohort has fewer than min_cohort_size={k} units, so "
                "small_cells='exclude' leaves no switcher for DID_M. Use small_cells='flag' "
                "or 'pool', or a smaller min_cohort_size.")
        keep = [j == 0 or len(u) >= k for j, u in enumerate(sets)]
        dropped = [t.name for t, kp in zip(terms, keep, strict=True) if not kp]
        if small.size or dropped:
            notes.append(exclusion_note(
                "dcdh", small, int(sizes[sizes < k].sum()), k,
                "they are not used as switchers (while not yet treated they remain "
                "comparison units)", dropped))
        new_index = np.where(keep, np.cumsum(keep) - 1, -1)
        terms = [t for t, kp in zip(terms, keep, strict=True) if kp]
        ranges = [r for r, kp in zip(ranges, keep, strict=True) if kp]
        return terms, _relabel(cells, new_index), ranges, notes
    # pool: effects and placebos separately, along event time
    sets = _switcher_sets(cells, used(), len(terms))
    new_terms, new_ranges = [terms[0]], [ranges[0]]
    new_index = np.zeros(len(terms), dtype=int)
    pooled = []
    for kind in ("placebo", "effect"):
        idx = sorted((j for j, t in enumerate(terms) if t.kind == kind),
                     key=lambda j: terms[j].event_time)
        if not idx:
            continue
        everyone = set().union(*(sets[j] for j in idx))
        group = pool_adjacent([terms[j].event_time for j in idx], [sets[j] for j in idx],
                              dict.fromkeys(everyone, 1), k)
        order = []  # effects by lag, placebos by lag (as the unpooled terms)
        for g in range(int(group.max()) + 1):
            members = [idx[i] for i in np.flatnonzero(group == g)]
            lags = sorted(terms[j].lag for j in members)
            events = sorted(terms[j].event_time for j in members)
            name = f"{kind}_{range_label(lags)}"
            if len(members) > 1:
                pooled.append(name)
            order.append((lags[0], members, _Term(name, kind, lags[0]),
                          (events[0], events[-1])))
        for _, members, term, rng in sorted(order, key=lambda o: o[0]):
            new_index[members] = len(new_terms)
            new_terms.append(term)
            new_ranges.append(rng)
    # keep the original order: DID_M, effects, placebos
    kinds = {"DID_M": 0, "effect": 1, "placebo": 2}
    perm = sorted(range(len(new_terms)), key=lambda j: (kinds[new_terms[j].kind], j))
    where = np.empty(len(perm), dtype=int)
    where[perm] = np.arange(len(perm))
    new_terms = [new_terms[j] for j in perm]
    new_ranges = [new_ranges[j] for j in perm]
    if pooled:
        notes.append(pooling_note("dcdh", pooled, k))
    return new_terms, _relabel(cells, where[new_index]), new_ranges, notes


def _relabel(cells: _Cells, new_index: np.ndarray) -> _Cells:
    """``cells`` with term ``j`` renamed ``new_index[j]`` (−1: its cells are removed)."""
    term = new_index[cells.term]
    keep = term >= 0
    return _Cells(term=term[keep], cohort=cells.cohort[keep], end=cells.end[keep],
                  start=cells.start[keep], J=cells.J[:, keep], S=cells.S[:, keep],
                  D=cells.D[:, keep], X=None if cells.X is None else cells.X[:, keep],
                  leavers=cells.leavers[keep])


# ------------------------------------------------------------------------ design


def _wide(panel: Panel, outcome: str, controls: tuple[str, ...], mask: np.ndarray):
    """Unit × calendar-period matrices of the outcome (and controls), NaN where absent."""
    t = panel.time_values
    p0 = int(panel.periods.min())
    width = int(panel.periods.max()) - p0 + 1
    Y = np.full((panel.n_units, width), np.nan)
    rows = np.flatnonzero(mask)
    u, c = panel.unit_id[rows], t[rows] - p0
    Y[u, c] = panel.column(outcome)[rows]
    Xw = None
    if controls:
        Xw = np.full((panel.n_units, width, len(controls)), np.nan)
        for j, name in enumerate(controls):
            Xw[u, c, j] = panel.column(name)[rows]
    return Y, Xw, p0


def _build_cells(terms, cohort, Y, Xw, p0, status) -> _Cells:
    """One cell per (term, cohort); ``DID_M``'s cells are per period: the joiners at ``t``
    against units untreated at ``t−1`` and ``t`` and, where treatment switches off, the
    leavers at ``t`` against units treated at both (``status``: unit × period treatment)."""
    width = Y.shape[1]
    finite = np.isfinite(cohort)
    cohorts = np.unique(cohort[finite])
    # (term, cohort or period, end, start, leavers)
    cols: list[tuple[int, float, int, int, bool]] = []
    for k, term in enumerate(terms):
        if term.kind == "DID_M":
            prev, cur = status[:, :-1], status[:, 1:]
            for j in np.flatnonzero((~prev & cur).any(axis=0)):
                cols.append((k, p0 + j + 1, p0 + j + 1, p0 + j, False))
            for j in np.flatnonzero((prev & ~cur).any(axis=0)):
                cols.append((k, p0 + j + 1, p0 + j + 1, p0 + j, True))
            continue
        for c in cohorts:
            end, start, horizon = term.periods(c)
            if min(end, start) < p0 or max(end, start, horizon) >= p0 + width:
                continue  # outside the sample: not a cell
            cols.append((k, c, int(end), int(start), False))
    cols.sort(key=lambda col: (col[0], col[4], col[1]))
    n = Y.shape[0]
    C = len(cols)
    J = np.zeros((n, C), dtype=bool)
    S = np.zeros((n, C), dtype=bool)
    D = np.zeros((n, C))
    X = None if Xw is None else np.zeros((n, C, Xw.shape[2]))
    for j, (k, c, end, start, leave) in enumerate(cols):
        diff = Y[:, end - p0] - Y[:, start - p0]
        ok = np.isfinite(diff)
        if terms[k].kind == "DID_M":
            before, after = status[:, start - p0], status[:, end - p0]
            if leave:  # DID_{-,t}: stable treated minus leavers, i.e. the DID of -ΔY
                J[:, j] = ok & before & ~after
                S[:, j] = ok & before & after
                diff = -diff
            else:
                J[:, j] = ok & ~before & after
                S[:, j] = ok & ~before & ~after
        else:
            _, _, horizon = terms[k].periods(c)
            J[:, j] = ok & (cohort == c)
            S[:, j] = ok & (cohort > horizon)
        D[ok, j] = diff[ok]
        if X is not None:
            dx = Xw[:, end - p0, :] - Xw[:, start - p0, :]
            X[ok, j, :] = dx[ok]
    arr = np.array([col[:4] for col in cols], dtype=float).reshape(C, 4)
    return _Cells(term=arr[:, 0].astype(int), cohort=arr[:, 1], end=arr[:, 2].astype(int),
                  start=arr[:, 3].astype(int), J=J, S=S, D=D, X=X,
                  leavers=np.array([col[4] for col in cols], dtype=bool))


# ---------------------------------------------------------------------- estimation


def _estimate(cells: _Cells, used, n_terms, n_units):
    """Point estimates, per-unit influence functions, cell DIDs and cell weights."""
    J = cells.J.astype(float)
    S = cells.S.astype(float)
    n1, n0 = J.sum(axis=0), S.sum(axis=0)
    a, b = (J * cells.D).sum(axis=0), (S * cells.D).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m0 = a / n1, b / n0
    did = np.where(used, m1 - m0, np.nan)
    w_n1 = np.where(used, n1, 0.0)
    total = np.bincount(cells.term, weights=w_n1, minlength=n_terms)
    weights = w_n1 / total[cells.term]
    est = np.bincount(cells.term, weights=np.where(used, weights * np.nan_to_num(did), 0.0),
                      minlength=n_terms)
    theta_c = est[cells.term]
    m0u = np.where(used, m0, 0.0)
    ratio = np.where(used, n1 / np.where(n0 > 0, n0, 1.0), 0.0)
    contrib = J * (cells.D - m0u - theta_c) - ratio * S * (cells.D - m0u)
    contrib[:, ~used] = 0.0
    scale = np.where(used, n_units / total[cells.term], 0.0)
    psi = (contrib * scale) @ _term_indicator(cells.term, n_terms)
    return est, psi, did, np.where(used, weights, 0.0)


def _term_indicator(term: np.ndarray, n_terms: int) -> np.ndarray:
    ind = np.zeros((term.size, n_terms))
    ind[np.arange(term.size), term] = 1.0
    return ind


def _dyn_std_error(cells: _Cells, used, n_terms) -> np.ndarray:
    """``did_multiplegt_dyn``'s design-based standard error (no controls, unit level).

    Switchers' changes are demeaned within their cohort and comparison units' within
    the cell, each scaled by ``sqrt(m/(m−1))`` for a group of ``m`` units; a group of one
    is demeaned with the pooled cell mean instead (scaled with the pooled count), as
    ``did_multiplegt_dyn`` does. There is no term for the randomness of the weights.
    """
    J = cells.J.astype(float)
    S = cells.S.astype(float)
    n1, n0 = J.sum(axis=0), S.sum(axis=0)
    nu = n1 + n0
    with np.errstate(invalid="ignore", divide="ignore"):
        m1 = (J * cells.D).sum(axis=0) / n1
        m0 = (S * cells.D).sum(axis=0) / n0
        mu = ((J + S) * cells.D).sum(axis=0) / nu
        fu = np.sqrt(nu / (nu - 1))
        e1 = np.where(n1 > 1, m1, mu)
        e0 = np.where(n0 > 1, m0, mu)
        f1 = np.where(n1 > 1, np.sqrt(n1 / (n1 - 1)), fu)
        f0 = np.where(n0 > 1, np.sqrt(n0 / (n0 - 1)), fu)
    # cells without switchers or comparison units have infinite or NaN factors: zero them
    # before multiplying (inf × 0 would warn), the cells are unused
    f1, f0, e1, e0 = (np.where(used, v, 0.0) for v in (f1, f0, e1, e0))
    total = np.bincount(cells.term, weights=np.where(used, n1, 0.0), minlength=n_terms)
    ratio = np.where(used, n1 / np.where(n0 > 0, n0, 1.0), 0.0)
    contrib = J * f1 * (cells.D - e1) - ratio * S * f0 * (cells.D - e0)
    contrib[:, ~used] = 0.0
    scale = np.where(used, 1.0 / total[cells.term], 0.0)
    u = (contrib * scale) @ _term_indicator(cells.term, n_terms)
    return np.sqrt((u**2).sum(axis=0))


def _joiners_leavers(cells: _Cells, used, n_units, cluster_codes, cluster) -> pd.DataFrame:
    """``DID_M`` split into its joiners' part ``DID_+`` (the ``N_{1,0,t}``-weighted average
    of ``DID_{+,t}``) and its leavers' part ``DID_−``, with analytic standard errors;
    ``DID_M`` is their average weighted by ``n_switchers``."""
    only = np.full(int(cells.term.max()) + 1, -1)
    only[0] = 0
    part = _relabel(cells, only)  # DID_M's cells, then term 0 = joiners, 1 = leavers
    part.term = part.leavers.astype(int)
    ok = used[cells.term == 0]
    est, psi, _, _ = _estimate(part, ok, 2, n_units)
    vcov, _ = influence_vcov(psi, cluster_codes, cluster)
    n_sw = np.array([part.J[:, ok & (part.term == k)].sum() for k in (0, 1)])
    has = n_sw > 0
    return pd.DataFrame({
        "estimate": np.where(has, est, np.nan),
        "std_error": np.where(has, np.sqrt(np.clip(np.diag(vcov), 0, None)), np.nan),
        "n_switchers": n_sw.astype(int),
        "n_cells": [int((ok & (part.term == k)).sum()) for k in (0, 1)],
    }, index=pd.Index(["joiners", "leavers"], name="side"))


def _cell_table(terms, cells, used, n1, n0, did, weights) -> pd.DataFrame:
    return pd.DataFrame({
        "term": [terms[k].name for k in cells.term],
        "cohort": cells.cohort,
        "time": cells.end,
        "base_time": cells.start,
        "n_switchers": n1.astype(int),
        "n_controls": n0.astype(int),
        "did": did,
        "weight": weights,
        "used": used,
        "side": np.where(cells.leavers, "leavers", "joiners"),
    })


def _rows_used(cells: _Cells, used, width: int, p0: int) -> int:
    n = cells.J.shape[0]
    hit = np.zeros((n, width), dtype=bool)
    for j in np.flatnonzero(used):  # a loop over cells (cohorts × terms), not units
        members = cells.J[:, j] | cells.S[:, j]
        hit[members, cells.end[j] - p0] = True
        hit[members, cells.start[j] - p0] = True
    return int(hit.sum())


# ------------------------------------------------------------------------ controls


def _first_differences(cohort, Y, Xw, p0):
    """First-stage sample: (unit, period) first differences of not-yet-treated units."""
    dY = Y[:, 1:] - Y[:, :-1]
    dX = Xw[:, 1:, :] - Xw[:, :-1, :]
    period = p0 + np.arange(1, Y.shape[1])
    ok = np.isfinite(dY) & np.isfinite(dX).all(axis=2) & (cohort[:, None] > period[None, :])
    uu, jj = np.nonzero(ok)
    return uu, jj, dY[uu, jj], dX[uu, jj, :]


def _control_fit(cohort, Y, Xw, p0, controls, n_units):
    """θ̂ from ΔY on ΔX and period effects among not-yet-treated unit-periods.

    Returns θ̂, its per-unit influence function ``n (X̃'X̃)⁻¹ Σ_t x̃_it ê_it`` (X̃: ΔX
    demeaned within period, Frisch–Waugh–Lovell) and a note.
    """
    uu, jj, dy, dx = _first_differences(cohort, Y, Xw, p0)
    if uu.size == 0:
        raise EstimationError(
            "No not-yet-treated unit has the outcome and controls observed in two "
            "consecutive periods, so the control coefficients cannot be estimated."
        )
    counts = np.bincount(jj, minlength=Y.shape[1] - 1).astype(float)
    safe = np.where(counts > 0, counts, 1.0)
    y_t = dy - (np.bincount(jj, weights=dy, minlength=counts.size) / safe)[jj]
    x_t = dx - group_sums(dx, jj)[np.searchsorted(np.unique(jj), jj)] / counts[jj][:, None]
    xtx = x_t.T @ x_t
    scale = np.sqrt(np.clip(np.diag(xtx), 0, None))
    rank = np.linalg.matrix_rank(xtx) if (scale > 0).all() else 0
    if rank < len(controls):
        flat = [c for c, s in zip(controls, scale, strict=True) if s <= 1e-12 * max(1, scale.max())]
        hint = (f" {examples(flat)} do(es) not change over time among untreated units."
                if flat else " They are collinear once period effects are removed.")
        raise SpecificationError(
            f"The controls {list(controls)} cannot be separated from period effects in "
            f"first differences (rank {rank} of {len(controls)}).{hint} Drop them."
        )
    theta = np.linalg.solve(xtx, x_t.T @ y_t)
    resid = y_t - x_t @ theta
    score = group_sums(x_t * resid[:, None], uu)
    per_unit = np.zeros((n_units, len(controls)))
    per_unit[np.unique(uu)] = score
    psi = n_units * per_unit @ np.linalg.inv(xtx).T
    note = (f"Controls {list(controls)}: outcome changes net of θ̂'ΔX, θ̂ from first "
            f"differences of {uu.size} not-yet-treated unit-periods with period effects.")
    return theta, psi, note


def _control_gradient(cells: _Cells, used, weights, n_terms):
    """Per term, the weighted switcher-minus-comparison mean of ΔX (dθ_k/dθ̂ = −this)."""
    J = cells.J.astype(float)
    S = cells.S.astype(float)
    n1, n0 = J.sum(axis=0), S.sum(axis=0)
    mx1 = np.einsum("nc,ncp->cp", J, cells.X) / np.where(n1 > 0, n1, 1.0)[:, None]
    mx0 = np.einsum("nc,ncp->cp", S, cells.X) / np.where(n0 > 0, n0, 1.0)[:, None]
    gap = np.where(used[:, None], (mx1 - mx0) * weights[:, None], 0.0)
    return _term_indicator(cells.term, n_terms).T @ gap


# ----------------------------------------------------------------------- bootstrap


def _first_stage_moments(cohort, Y, Xw, p0):
    """Per-unit normal-equation pieces ``Σ_t z z'`` and ``Σ_t z ΔY`` of the first stage,
    ``z = (ΔX, period dummies)``, so a resample's θ̂* is one batched solve."""
    uu, jj, dy, dx = _first_differences(cohort, Y, Xw, p0)
    n, p = Y.shape[0], dx.shape[1]
    k = p + Y.shape[1] - 1
    z = np.zeros((uu.size, k))
    z[:, :p] = dx
    z[np.arange(uu.size), p + jj] = 1.0
    outer = (z[:, :, None] * z[:, None, :]).reshape(uu.size, k * k)
    P = np.zeros((n, k * k))
    q = np.zeros((n, k))
    have = np.unique(uu)
    P[have] = group_sums(outer, uu)
    q[have] = group_sums(z * dy[:, None], uu)
    return P, q, p, k


def _bootstrap(cells, d_raw, used, n_terms, cluster_codes, n_boot, seed, moments):
    """Draws of the estimates from resampling units (clusters) with replacement.

    Every cell sum of a resample is ``counts @ per-unit sums``; with controls the first
    stage is re-estimated in each resample from its weighted normal equations.
    """
    J = np.where(used, cells.J, False).astype(float)
    S = np.where(used, cells.S, False).astype(float)
    C = J.shape[1]
    blocks = [J, S, J * d_raw, S * d_raw]
    p = 0
    if moments is not None:
        P, q, p, k = moments
        n = J.shape[0]
        blocks += [(J[:, :, None] * cells.X).reshape(n, C * p),
                   (S[:, :, None] * cells.X).reshape(n, C * p), P, q]
    M = np.concatenate(blocks, axis=1)
    if cluster_codes is not None:
        M = group_sums(M, cluster_codes)
    n_blocks = M.shape[0]
    ind = _term_indicator(cells.term, n_terms)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    n_chunks = -(-n_boot // _BLOCK)
    draws = np.empty((n_boot, n_terms))
    probs = np.full(n_blocks, 1.0 / n_blocks)
    for b, child in enumerate(ss.spawn(n_chunks)):
        lo, hi = b * _BLOCK, min((b + 1) * _BLOCK, n_boot)
        W = np.random.default_rng(child).multinomial(n_blocks, probs, size=hi - lo)
        sums = W.astype(float) @ M
        n1, n0, a, bb = (sums[:, i * C:(i + 1) * C] for i in range(4))
        if moments is not None:
            off = 4 * C
            jx = sums[:, off:off + C * p].reshape(-1, C, p)
            sx = sums[:, off + C * p:off + 2 * C * p].reshape(-1, C, p)
            off += 2 * C * p
            zz = sums[:, off:off + k * k].reshape(-1, k, k)
            zy = sums[:, off + k * k:]
            theta = np.einsum("bij,bj->bi", np.linalg.pinv(zz, hermitian=True), zy)[:, :p]
            a = a - np.einsum("bcp,bp->bc", jx, theta)
            bb = bb - np.einsum("bcp,bp->bc", sx, theta)
        ok = (n1 > 0) & (n0 > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            part = np.where(ok, a - n1 * bb / np.where(n0 > 0, n0, 1.0), 0.0)
            draws[lo:hi] = (part @ ind) / (np.where(ok, n1, 0.0) @ ind)
    n_failed = int((~np.isfinite(draws)).any(axis=1).sum())
    return draws, n_failed


def _boot_summary(draws, est, alpha, n_failed):
    good = np.isfinite(draws).all(axis=1)
    if good.sum() < 2:
        raise EstimationError(
            "Fewer than two bootstrap draws could compute every term (resamples without "
            "switchers or comparison units). Use the analytic standard errors (n_boot=None)."
        )
    d = draws[good]
    vcov = np.cov(d, rowvar=False).reshape(est.size, est.size)
    se = np.sqrt(np.diag(vcov))
    ok = se > 0
    tmax = np.max(np.abs(d[:, ok] - est[ok]) / se[ok], axis=1) if ok.any() else np.zeros(1)
    crit = float(np.quantile(tmax, 1 - alpha))
    note = ""
    if n_failed:
        note = (f"{n_failed} of {draws.shape[0]} bootstrap draws could not compute every "
                "term (no switchers or comparison units in a resampled cell) and were left out.")
    return vcov, crit, note
