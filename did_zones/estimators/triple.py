"""Triple differences (DDD) of Ortiz-Villavicencio & Sant'Anna (2025).

Units belong to a treatment-enabling "state" ``S`` (the panel's cohort: the period a zone
city's policy starts, ``inf`` for never) and to a time-invariant eligibility partition
``Q ∈ {0, 1}`` (``group=``: e.g. export-oriented industries). The effect on the eligible
units of an enabling state is identified by a combination of three two-group DiDs, each
estimated by outcome regression, IPW or doubly robust (Sant'Anna & Zhao 2020) kernels:

``DDD = DiD(S=g,Q=1 vs S=g,Q=0) + DiD(S=g,Q=1 vs S=c,Q=1) − DiD(S=g,Q=1 vs S=c,Q=0)``.

With staggered adoption each ATT(g,t) is such a DDD against the never-enabled states, or
(``control="not_yet"``) against each not-yet-enabled cohort, the comparisons being pooled
with the optimal GMM weights of the paper (eq. 4.11-4.12), as R ``triplediff`` and Python
``moderndid`` do. ATT(g,t) are aggregated with :func:`did_zones.aggregate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..design import Design, fit_absorbed, refactorize, require_unit_constant, usable_sample
from ..errors import DataDroppedWarning, EstimationError, PanelError, SpecificationError, warn
from ..estimands import tag
from ..panel import Panel
from ..result import Result
from ..validation import (
    ALPHA,
    N_BOOT,
    OPTIONAL_COLUMN,
    PANEL,
    Choice,
    ColumnName,
    Columns,
    Seed,
    check,
    check_columns,
    check_outcome_varies,
    examples,
)
from ..vocabulary import Control
from . import _cs_cells as cells_mod
from ._cs_inference import influence_vcov
from ._windows import event_window

__all__ = ["triple_difference", "TripleDifferenceExtra"]

Method = Literal["dr", "ipw", "reg"]
BasePeriod = Literal["universal", "varying"]
CohortWeights = Literal["state", "eligible"]
_TRIM = 0.995  # R triplediff / moderndid: comparison units with a score >= 0.995 get weight 0
_CELLS = {4: "S=g,Q=1", 3: "S=g,Q=0", 2: "S=c,Q=1", 1: "S=c,Q=0"}
NAIVE_LABEL = ("naive three-way fixed-effects DDD (unit, period×group and period×cohort "
               "effects); biased under staggered adoption with effects that vary over time "
               "or covariate-dependent trends (Ortiz-Villavicencio & Sant'Anna 2025)")


class _TripleDifferenceKeys(TypedDict):
    group: str
    design: str


class TripleDifferenceExtra(_TripleDifferenceKeys, total=False):
    """The ``extra`` mapping of a :func:`triple_difference` result (see its Returns).

    Every result has ``group``, ``design``, ``did_components`` and ``cell_counts``; the
    staggered design adds ``att_gt``, ``simple`` and ``cohort`` and the aggregation's
    ``weights``, ``kind``, ``cohort_share``; ATT(g,t) results carry ``cohort_share``,
    ``unit_cohort``, ``unit_weights``, ``cluster``, ``gmm_cells`` (what
    :func:`did_zones.aggregate` reads); with ``n_boot`` the summaries add
    ``vcov_analytic`` and ``bootstrap_draws``; the naive regression has ``design`` and
    ``group`` only.
    """

    did_components: Any
    cell_counts: Any
    att_gt: Any
    simple: Any
    cohort: Any
    weights: Any
    kind: str
    cohort_share: Any
    unit_cohort: Any
    unit_weights: Any
    cluster: Any
    gmm_cells: Any
    vcov_analytic: Any
    bootstrap_draws: Any


@dataclass
class _Data:
    units: pd.Index
    periods: np.ndarray
    S: np.ndarray           # cohort per unit (inf = never enabled)
    Q: np.ndarray           # 0/1 per unit
    Y: np.ndarray           # units × periods
    X: np.ndarray           # units × k, intercept first (first-period values)
    cluster: np.ndarray | None
    n_clusters: int | None
    notes: list[str]
    n_obs: int


@records_panel
def triple_difference(
    panel: Panel,
    outcome: str,
    *,
    group: str | None = None,
    covariates: str | Sequence[str] = (),
    method: Method = "dr",
    control: Control = "never",
    base_period: BasePeriod = "universal",
    window: tuple[int | None, int | None] | None = None,
    cohort_weights: CohortWeights = "state",
    naive: bool = False,
    n_boot: int | None = None,
    seed: int | None = None,
    cluster: str | None = "unit",
    alpha: float = 0.05,
) -> Result:
    """Triple differences (DDD) with staggered adoption (Ortiz-Villavicencio & Sant'Anna 2025).

    Parameters
    ----------
    panel : Panel
        From :func:`~did_zones.build_panel`; its cohort is the period the unit's "state"
        (a zone city) is enabled, never-enabled units have cohort ``inf``.
    outcome : str
        Outcome column.
    group : str
        Required. A 0/1 column, constant within each unit: eligibility ``Q`` (1 = the part
        of the state the policy reaches, e.g. export-oriented industries or cities with many
        e-commerce firms).
    covariates : str or sequence of str
        Pre-treatment covariates of the propensity-score / outcome-regression models, taken
        at each unit's first period (the paper's time-invariant ``X``).
    method : {"dr", "ipw", "reg"}
        Doubly robust (default), normalised IPW or outcome regression kernels for each of
        the three DiDs.
    control : {"never", "not_yet"}
        Comparison states: never enabled, or also not yet enabled (cohorts ``c > max(t, b)``;
        several comparison cohorts are pooled by GMM).
    base_period : {"universal", "varying"}
        ``"universal"`` (default, as R ``triplediff``): every cell of cohort ``g`` compares
        with ``g − 1``, and ATT(g, g−1) = 0 is the reference. ``"varying"``: pre-periods
        compare ``t`` with ``t − 1``.
    window : (min_e, max_e), optional
        Event times kept in the event-time aggregation (either end may be None).
    cohort_weights : {"state", "eligible"}
        Cohort weights of the aggregations: ``"state"`` (default, R ``triplediff`` and
        ``moderndid``): ``P(S = g)``, the share of all units in cohort ``g``;
        ``"eligible"`` (diff-diff's ``TripleDifference``): ``P(S = g, Q = 1)``, the share of
        the eligible units the ATT(g,t) are about.
    naive : bool
        Return instead the naive three-way fixed-effects regression
        ``y_it = α_i + λ_{t,Q} + μ_{t,S} + β·D_it·Q_i + ε`` (``D_it = 1{t ≥ S_i}``),
        clustered as ``cluster`` (CRV1, t with G − 1 df; ``covariates`` are not used: the
        unit effects absorb time-invariant ones): the usual "pilot-paper" DDD, a labelled
        comparison that is biased under staggered adoption with dynamic effects.
    n_boot : int, optional
        Multiplier-bootstrap draws for the three summaries (standard errors and a uniform
        sup-t band over the event-time terms, ``Result.crit_value``), as
        :func:`did_zones.aggregate`; None (default): analytic standard errors only.
    seed : int, optional
        Bootstrap seed (stored in ``spec``).
    cluster : "unit", a column name, or None
        Cluster variable of the influence-function variance (constant within units);
        "unit" and None give the unit-level variance (R ``triplediff``'s analytic one).
    alpha : float
        Significance level stored in ``spec``.

    Returns
    -------
    Result
        Two-period design (two periods, one cohort enabled in the second): term ``"ATT"``.
        Staggered design: the event-time aggregation — ``"overall"`` (mean of the
        ``e ≥ 0`` terms, primary) and ``"ATT(e=k)"`` with keys ``event_time`` — as
        :func:`did_zones.aggregate` returns it, so event-study plots, tables and
        :func:`~did_zones.honest_did` read it. ``extra`` (:class:`TripleDifferenceExtra`):
        ``att_gt`` (the ATT(g,t) Result; ``dz.aggregate(res.extra["att_gt"], "calendar")``
        gives other summaries), ``simple`` and ``cohort`` (the other aggregations),
        ``did_components`` (per cell and comparison cohort the three DiDs), ``cell_counts``
        (units per S×Q cell), ``group``, ``design``.

    Raises
    ------
    SpecificationError
        ``group`` missing, not 0/1, varying within a unit; bad options.
    PanelError
        An S×Q cell is empty (e.g. no eligible never-enabled unit), no comparison states.

    Notes
    -----
    Each DiD is Sant'Anna & Zhao's (2020) panel estimator on the units of the treated cell
    ``(S=g, Q=1)`` and one comparison cell, its influence function rescaled by
    ``n_cell / n_pair``; the DDD influence function is ``IF_3 + IF_2 − IF_1`` (rescaled
    again by ``n / n_cell``). Analytic standard errors follow the reference: two-period
    design ``sd(IF)/sqrt(n)`` (``ddof = 1``, R ``triplediff``'s ``ddd`` panel estimator);
    ATT(g,t) ``sqrt(Σ IF²)/n``, except GMM-pooled not-yet cells, whose standard error is the
    paper's ``sqrt(1 / (n · 1'Ω⁻¹1))`` (Ω the covariance of the comparison-specific
    influence functions; the covariances with other cells are scaled to keep their
    correlation; with a ``cluster`` column every standard error comes from the clustered
    influence functions). Aggregations weight cells by the state shares ``P(S = g)`` and, as R
    ``did`` and R ``triplediff``'s ``agg_ddd``, include the estimated-weight term in the
    influence function; Python ``moderndid`` 0.2 omits it for the simple and event-time
    summaries (point estimates identical; tests/reference/ddd_reference.md).

    References
    ----------
    Ortiz-Villavicencio, M. and Sant'Anna, P. H. C. (2025). Better understanding triple
    differences estimators. arXiv:2505.09942.
    Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
    estimators. Journal of Econometrics 219(1), 101–122.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from did_zones import build_panel, triple_difference
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(16), 2), "year": np.tile([1, 2], 16)})
    >>> df["g"] = np.where(df["unit"] < 8, 2, 0)
    >>> df["q"] = df["unit"] % 2
    >>> df["y"] = df["unit"] + df["year"] * (1 + df["q"]) + 3.0 * ((df["g"] == 2) & (df["q"] == 1) & (df["year"] == 2))
    >>> res = triple_difference(build_panel(df, "unit", "year", cohort="g"), "y", group="q")
    >>> round(res["ATT"], 6)
    3.0
    """
    from .registry import REGISTRY  # the control values it accepts are declared there

    v = check({"panel": PANEL, "outcome": ColumnName(allow_none=False),
               "group": ColumnName(allow_none=True), "covariates": Columns(),
               "method": Choice(("dr", "ipw", "reg")),
               "control": Choice(REGISTRY["triple_difference"].controls),
               "base_period": Choice(("universal", "varying")), "alpha": ALPHA,
               "cohort_weights": Choice(("state", "eligible")), "cluster": OPTIONAL_COLUMN,
               "n_boot": N_BOOT, "seed": Seed()},
              panel=panel, outcome=outcome, group=group, covariates=covariates,
              method=method, control=control, base_period=base_period, alpha=alpha,
              cohort_weights=cohort_weights, cluster=cluster, n_boot=n_boot, seed=seed)
    covariates = v["covariates"]
    if group is None:
        raise SpecificationError(
            "triple_difference needs group=: a 0/1 column marking the eligible part of each "
            "state (e.g. group='export_oriented'), constant within each unit.")
    if not isinstance(naive, bool):
        raise SpecificationError(f"naive must be True or False; got {naive!r}.")
    if outcome in covariates or group in covariates or group == outcome:
        raise SpecificationError(
            f"outcome {outcome!r}, group {group!r} and covariates {list(covariates)} must be "
            "different columns.")
    check_columns(panel.data, (outcome, group) + covariates
                  + ((cluster,) if cluster not in (None, "unit") else ()))
    check_outcome_varies(panel.column(outcome), outcome)
    min_e, max_e = event_window(window)
    spec = {"group": group, "covariates": covariates, "method": method, "control": control,
            "base_period": base_period, "window": window,
            "cohort_weights": cohort_weights, "naive": naive, "n_boot": n_boot, "seed": seed,
            "cluster": cluster, "alpha": alpha}
    q_row = _group_column(panel, group)
    if naive:
        return _naive(panel, outcome, q_row, group, cluster, spec)
    data = _prepare(panel, outcome, q_row, group, covariates,
                    None if cluster == "unit" else cluster, control)
    if data.periods.size == 2 and np.unique(data.S[np.isfinite(data.S)]).size == 1 \
            and data.S[np.isfinite(data.S)][0] == data.periods[1]:
        return _two_period(panel, outcome, data, method, spec)
    gt = _att_gt(panel, outcome, data, method, control, base_period, spec)
    from .aggregate import aggregate

    boot = {"n_boot": n_boot or 0, "seed": seed, "alpha": alpha}
    event = aggregate(gt, "event", window=None if window is None else (min_e, max_e), **boot)
    simple = aggregate(gt, "simple", **boot)
    cohort = aggregate(gt, "cohort", **boot)
    extra = {**event.extra, "att_gt": gt, "simple": simple, "cohort": cohort,
             "group": group, "design": "staggered",
             "did_components": gt.extra["did_components"],
             "cell_counts": gt.extra["cell_counts"]}
    used = {k: event.spec[k] for k in ("n_boot", "seed", "se")}  # the seed actually drawn
    return replace(event, spec={**event.spec, **spec, **used}, extra=extra)


# ------------------------------------------------------------------------------ input


def _group_column(panel: Panel, group: str) -> np.ndarray:
    """The 0/1 eligibility per panel row, checked: numeric 0/1 (NaN allowed, dropped
    later with the row), constant within units."""
    raw = panel.data[group]
    vals = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad_type = raw.notna().to_numpy() & ~np.isfinite(vals)
    bad = bad_type | (np.isfinite(vals) & (vals != 0) & (vals != 1))
    if bad.any():
        shown = examples(pd.unique(raw[bad]))
        raise SpecificationError(
            f"group {group!r} must be 0/1 (1 = eligible); {int(bad.sum())} row(s) hold other "
            f"values, e.g. {shown}. Recode it, e.g. (df[{group!r}] == 'yes').astype(int).")
    require_unit_constant(panel, vals, np.isfinite(vals), "group", group,
                          fix="the eligibility partition must be time-invariant (use its "
                              "base-year value for every period).")
    return vals


def _prepare(panel: Panel, outcome: str, q_row: np.ndarray, group: str, covariates,
             cluster, control) -> _Data:
    sample = usable_sample(panel, outcome, covariates, cluster=cluster)
    notes = list(panel.notes) + list(sample.notes)
    mask = sample.mask & np.isfinite(q_row)
    n_q_missing = int((sample.mask & ~np.isfinite(q_row)).sum())
    if n_q_missing:
        msg = f"{n_q_missing} row(s) with missing group {group!r} dropped."
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    uid, pid = panel.unit_id, panel.period_id
    rows = np.flatnonzero(mask)
    periods_present = np.bincount(pid[rows], minlength=panel.n_periods) > 0
    periods = panel.periods[periods_present]
    per_unit = np.bincount(uid[rows], minlength=panel.n_units)
    present = per_unit > 0
    complete = per_unit == periods.size
    if (present & ~complete).any():
        drop = np.flatnonzero(present & ~complete)
        msg = (f"Unbalanced panel: {drop.size} unit(s) not observed (with finite outcome, "
               f"group and covariates) in all {periods.size} periods dropped "
               f"({int(per_unit[drop].sum())} rows), e.g. {examples(panel.units[drop])}; "
               "triple_difference uses balanced panels (as R triplediff's panel estimator).")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
        rows = rows[complete[uid[rows]]]
    kept = np.flatnonzero(complete)
    if kept.size == 0:
        raise PanelError(f"No unit is observed with finite {outcome!r} and {group!r} in every "
                         "period; triple_difference needs a balanced panel.")
    S = panel.cohort[kept].astype(float)
    first = periods[0]
    early = np.isfinite(S) & (S <= first)
    if early.any():
        msg = (f"{int(early.sum())} unit(s) enabled by the first period {first:g} have no "
               f"pre-period and are dropped, e.g. {examples(panel.units[kept[early]])}.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
        keep_u = np.zeros(panel.n_units, dtype=bool)
        keep_u[kept[~early]] = True
        rows = rows[keep_u[uid[rows]]]
        kept, S = kept[~early], S[~early]
    T = periods.size
    # rows run by unit then period: the balanced rows reshape into units × periods
    Y = panel.column(outcome)[rows].reshape(kept.size, T)
    Q = q_row[rows].reshape(kept.size, T)[:, 0]
    X = np.ones((kept.size, 1))
    if covariates:
        Xc = np.column_stack([panel.column(c)[rows].reshape(kept.size, T)[:, 0]
                              for c in covariates])
        X = np.column_stack([X, Xc])
    clus, n_cl = None, None
    if sample.cluster is not None:
        clus = pd.factorize(sample.cluster[rows].reshape(kept.size, T)[:, 0], sort=True)[0]
        n_cl = int(clus.max()) + 1
    _check_cells(S, Q, panel.units[kept], group, control)
    return _Data(units=panel.units[kept], periods=periods, S=S, Q=Q, Y=Y, X=X,
                 cluster=clus, n_clusters=n_cl, notes=notes, n_obs=int(rows.size))


def _check_cells(S, Q, units, group, control) -> None:
    enabled = np.isfinite(S)
    if not enabled.any():
        raise PanelError("No enabled (treated) state in the panel: triple_difference needs "
                         "units with a cohort.")
    if not (~enabled).any() and control == "never":
        raise PanelError(
            "No never-enabled units in the panel. Use control='not_yet', or add never-pilot "
            "units.")
    counts = {(s, q): int(((enabled if s == "enabled" else ~enabled) & (Q == q)).sum())
              for s in ("enabled", "never") for q in (1, 0)}
    empty = [k for k, n in counts.items() if n == 0 and not (k[0] == "never"
                                                             and control == "not_yet")]
    if empty:
        shown = ", ".join(f"{s} states with {group}={q}: {n}" for (s, q), n in counts.items())
        raise PanelError(
            f"An S×Q cell of the triple difference is empty ({shown}); every cell needs "
            f"units. Check that {group!r} takes both values among enabled and comparison "
            "states, or use a plain DiD (callaway_santanna) on the eligible units.")


# ----------------------------------------------------------------------- the kernels


_SIGN = np.array([0.0, 1.0, -1.0, -1.0, 1.0])  # by subgroup code: + S=g,Q=1 and S=c,Q=0


def _ddd(dy, S, Q, X, g, c, method, fast=True) -> tuple[float, np.ndarray, np.ndarray, dict]:
    """DDD of cohort ``g`` against comparison cohort(s) ``c`` (a boolean unit mask) for the
    outcome change ``dy``: estimate, influence function on the cell's units (scaled to the
    cell: ``att − θ ≈ mean``), the cell's unit mask, the three DiDs."""
    in_cell = (S == g) | c
    sg = np.where(S == g, 3, 1) + Q            # 4: S=g,Q=1; 3: S=g,Q=0; 2: c,Q=1; 1: c,Q=0
    sg = sg[in_cell].astype(int)
    dy_c, X_c = dy[in_cell], X[in_cell]
    n_cell = sg.size
    if fast and X.shape[1] == 1:
        out = _ddd_means(dy_c, sg, method)
        if out is not None:
            return out[0], out[1], in_cell, out[2]
    inf = np.zeros(n_cell)
    att = 0.0
    dids = {}
    for comp, sign in ((3, 1.0), (2, 1.0), (1, -1.0)):
        pair = (sg == 4) | (sg == comp)
        D = (sg[pair] == 4).astype(float)
        des = cells_mod.panel_design(method, D, X_c[pair], np.ones(D.size), _TRIM, raw_w=False)
        fit = cells_mod.panel_cell(method, des, dy_c[pair])
        if fit.inf is None or not np.isfinite(fit.att):
            raise EstimationError(
                f"The DiD of S={g:g},Q=1 against {_CELLS[comp]} could not be estimated "
                f"({fit.problem}: {cells_mod_reason(fit.problem)}). Use fewer covariates or "
                "method='reg'.")
        att += sign * fit.att
        inf[pair] += sign * fit.inf * (n_cell / D.size)
        dids[_CELLS[comp]] = fit.att
    return att, inf, in_cell, dids


def _ddd_means(dy, sg, method):
    """Without covariates every kernel is a difference of means: DDD = m4 − m3 − m2 + m1 and
    the influence function (each DiD's, rescaled by n_cell / n_pair, summed) is
    ``±(dy − m_s) · n_cell / n_s`` by subgroup. None when IPW/DR would trim (the general
    kernels then say why)."""
    n = np.bincount(sg, minlength=5).astype(float)
    m = np.bincount(sg, weights=dy, minlength=5) / np.where(n > 0, n, 1.0)
    if method != "reg" and any(n[4] / (n[4] + n[k]) >= _TRIM for k in (1, 2, 3)):
        return None
    att = m[4] - m[3] - m[2] + m[1]
    inf = _SIGN[sg] * (dy - m[sg]) * (sg.size / n[sg])
    dids = {_CELLS[k]: float(m[4] - m[k]) for k in (3, 2, 1)}
    return float(att), inf, dids


def cells_mod_reason(problem: str | None) -> str:
    return {"overlap": "propensity score >= 0.999, overlap fails",
            "singular": "singular outcome regression",
            "trimmed": "every comparison unit trimmed"}.get(problem or "", "numerical failure")


# ----------------------------------------------------------------- two-period design


def _two_period(panel, outcome, data: _Data, method, spec) -> Result:
    dy = data.Y[:, 1] - data.Y[:, 0]
    g = data.periods[1]
    att, inf, cell, dids = _ddd(dy, data.S, data.Q, data.X, g, ~np.isfinite(data.S), method)
    n = dy.size
    psi = np.zeros((n, 1))
    psi[cell, 0] = inf * (n / cell.sum())
    # R triplediff / moderndid ddd_panel: sd(IF) / sqrt(n), ddof = 1
    if data.cluster is None:
        V = np.array([[np.var(psi[:, 0], ddof=1) / n]])
    else:
        V = influence_vcov(psi, data.cluster)
    keys = tag(pd.DataFrame({"cohort": [float(g)], "time": [float(g)], "event_time": [0.0]}),
               0, "simple_att", 0, 0)
    comps = pd.DataFrame([{"cohort": float(g), "time": float(g), "comparison": "never",
                           **dids, "ddd": att}])
    extra = {"group": spec["group"], "design": "two_period", "did_components": comps,
             "cell_counts": _counts(data)}
    return Result.create(
        [att], V, ["ATT"], keys=keys, method="triple_difference", outcome=outcome,
        spec={**spec, "se": "influence"}, n_obs=data.n_obs, n_units=n,
        n_clusters=data.n_clusters, df=None, primary="ATT", influence=psi,
        influence_index=data.units, notes=tuple(dict.fromkeys(data.notes)), extra=extra)


def _counts(data: _Data) -> pd.DataFrame:
    lab = np.where(np.isfinite(data.S), data.S, np.inf)
    tab = pd.crosstab(pd.Series(lab, name="cohort"), pd.Series(data.Q.astype(int), name="group"))
    return tab.reindex(columns=[0, 1], fill_value=0)


# -------------------------------------------------------------------- staggered ATT(g,t)


def _att_gt(panel, outcome, data: _Data, method, control, base_period, spec) -> Result:
    S, Q, X, Y, periods = data.S, data.Q, data.X, data.Y, data.periods
    n, T = Y.shape
    never = ~np.isfinite(S)
    cohorts = np.unique(S[~never])
    att, psi_cols, g_out, t_out, gmm_se, comps = [], [], [], [], [], []
    notes = list(data.notes)
    skipped = []
    for g in cohorts:  # loops over cells, not rows
        pre = np.flatnonzero(periods < g)
        if pre.size == 0:
            continue
        b_univ = pre[-1]
        t_range = range(T) if base_period == "universal" else range(1, T)
        for ti in t_range:
            t = periods[ti]
            if base_period == "universal" or t >= g:
                b = b_univ
            else:
                b = ti - 1
            if b == ti:  # the reference cell ATT(g, g−1) = 0
                att.append(0.0), psi_cols.append(np.zeros(n)), gmm_se.append(np.nan)
                g_out.append(g), t_out.append(t)
                continue
            dy = Y[:, ti] - Y[:, b]
            if control == "never":
                ctrls = [np.inf] if never.any() else []
            else:
                top = max(t, periods[b])
                cand = np.unique(S[(S > top) & (S != g)])  # sorted, never (inf) last
                ctrls = [float(c) for c in cand]
            ctrls = [c for c in ctrls if _has_cells(S, Q, c)]
            if not ctrls:
                skipped.append((g, t))
                continue
            res = []
            for c in ctrls:
                cmask = never if not np.isfinite(c) else (S == c)
                a, inf, cell, dids = _ddd(dy, S, Q, X, g, cmask, method)
                res.append((a, inf, cell))
                comps.append({"cohort": float(g), "time": float(t),
                              "comparison": "never" if not np.isfinite(c) else f"{c:g}",
                              **dids, "ddd": a})
            col = np.zeros(n)
            if len(res) == 1:
                a, inf, cell = res[0]
                col[cell] = inf * (n / cell.sum())
                se = np.nan
            else:
                a, col, se = _gmm(res, n)
            att.append(a), psi_cols.append(col), gmm_se.append(se)
            g_out.append(g), t_out.append(t)
    if not att:
        raise PanelError("No ATT(g,t) cell could be estimated: no cohort has a pre-period "
                         "and a comparison state with both groups.")
    if skipped:
        msg = (f"{len(skipped)} ATT(g,t) cell(s) have no comparison cohort with both groups "
               f"and are not estimated, e.g. {examples([f'({g:g},{t:g})' for g, t in skipped])}.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    psi = np.column_stack(psi_cols)
    V = influence_vcov(psi, data.cluster)
    gmm_se = np.asarray(gmm_se)
    gmm = np.isfinite(gmm_se)
    if gmm.any() and data.cluster is None:
        # the reference reports the GMM standard error for pooled cells; rescale their rows
        # and columns so that the correlations from the influence functions are kept
        d = np.sqrt(np.diag(V))
        scale = np.ones(d.size)
        scale[gmm] = np.where(d[gmm] > 0, gmm_se[gmm] / np.where(d[gmm] > 0, d[gmm], 1), 1)
        V = V * np.outer(scale, scale)
    g_arr, t_arr = np.asarray(g_out, float), np.asarray(t_out, float)
    names = [f"ATT({g:g},{t:g})" for g, t in zip(g_arr, t_arr, strict=True)]
    keys = pd.DataFrame({"cohort": g_arr, "time": t_arr, "event_time": t_arr - g_arr,
                         "post": t_arr >= g_arr,
                         "n_treated_units": [int((S == g).sum()) for g in g_arr]})
    # the aggregations' cohort weights: P(S = g) (R triplediff) or P(S = g, Q = 1)
    counted = np.ones(n, dtype=bool) if spec["cohort_weights"] == "state" else Q == 1
    unit_cohort = np.where(never | ~counted, 0.0, S)
    share = pd.Series([float(np.mean(unit_cohort == g)) for g in cohorts], index=cohorts,
                      name="cohort_share")
    extra = {"group": spec["group"], "design": "staggered",
             "did_components": pd.DataFrame(comps), "cell_counts": _counts(data),
             "cohort_share": share, "unit_cohort": unit_cohort, "unit_weights": np.ones(n),
             "cluster": data.cluster,
             "gmm_cells": tuple(nm for nm, m in zip(names, gmm, strict=True) if m)}
    return Result.create(
        att, V, names, keys=keys, method="triple_difference", outcome=outcome,
        spec={**spec, "se": "influence", "n_boot": None}, n_obs=data.n_obs, n_units=n,
        n_clusters=data.n_clusters, df=None, primary=None, influence=psi,
        influence_index=data.units, notes=tuple(dict.fromkeys(notes)), extra=extra)


def _has_cells(S, Q, c) -> bool:
    m = ~np.isfinite(S) if not np.isfinite(c) else (S == c)
    return bool((m & (Q == 1)).any() and (m & (Q == 0)).any())


def _gmm(res, n) -> tuple[float, np.ndarray, float]:
    """Optimal GMM combination of the DDDs against several comparison cohorts (paper eq.
    4.11-4.12): weights ``Ω⁻¹1 / 1'Ω⁻¹1`` with Ω the sample covariance of the
    comparison-specific influence functions on the union of their units."""
    union = np.zeros(n, dtype=bool)
    for _, _, cell in res:
        union |= cell
    n_u = int(union.sum())
    pos = np.cumsum(union) - 1
    M = np.zeros((n_u, len(res)))
    for j, (_, inf, cell) in enumerate(res):
        M[pos[cell], j] = inf * (n_u / cell.sum())
    omega = np.atleast_2d(np.cov(M, rowvar=False))
    try:
        inv = np.linalg.inv(omega)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(omega)
    ones = np.ones(len(res))
    w = inv @ ones / (ones @ inv @ ones)
    a = float(w @ np.array([r[0] for r in res]))
    col = np.zeros(n)
    col[union] = (M @ w) * (n / n_u)
    se = float(np.sqrt(1.0 / (n * inv.sum())))
    return a, col, se


# -------------------------------------------------------------------- naive regression


def _naive(panel: Panel, outcome, q_row, group, cluster, spec) -> Result:
    y = panel.column(outcome)
    ok = np.isfinite(y) & np.isfinite(q_row)
    rows = np.flatnonzero(ok)
    notes = list(panel.notes)
    if (~ok).any():
        msg = f"{int((~ok).sum())} row(s) with missing {outcome!r} or {group!r} dropped."
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    S = panel.cohort[panel.unit_id[rows]]
    t = panel.time_values[rows]
    q = q_row[rows]
    D = (np.isfinite(S) & (t >= S)).astype(float)
    s_code = pd.factorize(np.where(np.isfinite(S), S, -1.0), sort=True)[0]
    pid = panel.period_id[rows]
    n_p = panel.n_periods
    fe = (refactorize(panel.unit_id[rows]), refactorize(pid * 2 + q.astype(np.int64)),
          refactorize(pid + n_p * s_code))
    if cluster is None:
        clusters, cl_names = (), ()
    else:
        lab = panel.unit_id[rows] if cluster == "unit" else \
            pd.factorize(panel.data[cluster].to_numpy()[rows], sort=True)[0]
        clusters, cl_names = (refactorize(np.asarray(lab, dtype=np.int64)),), (cluster,)
    name = "DDD (3-way FE)"
    design = Design(rows=rows, y=y[rows], X=(D * q)[:, None], names=(name,), fe_codes=fe,
                    fe_names=("unit", "period#group", "period#cohort"), clusters=clusters,
                    cluster_names=cl_names, weights=None)
    fit = fit_absorbed(design, warn=False)
    if name in fit.dropped:
        raise EstimationError("The naive DDD coefficient is not identified: D·group is "
                              "collinear with the fixed effects.")
    V, n_clusters, df = fit.vcov()
    notes.append("Naive DDD: " + NAIVE_LABEL + ".")
    keys = tag(pd.DataFrame({"cohort": [np.nan], "time": [np.nan], "event_time": [np.nan]}),
               0, "twfe_coefficient")
    return Result.create(
        fit.coef, V, [name], keys=keys, variance_floor=fit.variance_floor(),
        method="triple_difference", outcome=outcome,
        spec={**spec, "se": "regression",
              "absorbed": ("unit", ("time", group), ("time", "cohort"))},
        n_obs=int(rows.size), n_units=int(np.unique(panel.unit_id[rows]).size),
        n_clusters=n_clusters, df=df, primary=name, notes=tuple(dict.fromkeys(notes)),
        stats={"r2_within": fit.stats.get("r2_within", np.nan), "n_fe_params": fit.fe_dof},
        extra={"group": group, "design": "naive_3way_fe"})
