"""Stacked difference-in-differences with clean controls (Cengiz et al. 2019) and the
corrective weights of Wing, Freedman & Hollingsworth (2024).

One sub-experiment per adoption cohort ``g``: the cohort's units and the clean controls
(never treated, or not treated before the end of the window), observed at event times
``a..b``; the sub-experiments are stacked and one event-study regression is fitted with
sub-experiment × unit and sub-experiment × period effects (or Wing et al.'s pooled
specification), reference period −1, clustered on the original unit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..design import Design, check_panel_outcome, few_clusters_note, fit_absorbed, refactorize
from ..errors import DataDroppedWarning, EstimationError, PanelError, SpecificationError, warn
from ..panel import Panel
from ..result import Result
from ..validation import (
    as_tuple,
    check_alpha,
    check_choice,
    check_columns,
    check_outcome_varies,
    examples,
)
from ..vocabulary import Control

__all__ = ["stacked_did", "StackedExtra"]

Weighting = Literal["corrective", "none"]
Regression = Literal["fixed_effects", "pooled"]
_WEIGHTINGS = ("corrective", "none")
_REGRESSIONS = ("fixed_effects", "pooled")


class StackedExtra(TypedDict):
    """The ``extra`` mapping of a :func:`stacked_did` result (see its Returns)."""

    reference: tuple[int, ...]
    window: tuple[int, int]
    cohorts: tuple[float, ...]
    trimmed_cohorts: tuple[float, ...]
    no_control_cohorts: tuple[float, ...]
    sub_experiments: Any
    q_weights: Any
    overall_weights: Any
    n_stacked: int
    pretrend_test: Any
    dropped_terms: tuple[str, ...]
    dropped_controls: tuple[str, ...]


@dataclass(frozen=True)
class _Stack:
    rows: np.ndarray     # panel row of each stacked row (repeats across sub-experiments)
    sub: np.ndarray      # sub-experiment index
    event: np.ndarray    # event time (period − the sub-experiment's cohort), int
    D: np.ndarray        # 1 for the sub-experiment's treated cohort
    cohorts: np.ndarray  # cohort of each sub-experiment
    trimmed: tuple
    no_control: tuple
    notes: tuple[str, ...]


@records_panel
def stacked_did(
    panel: Panel,
    outcome: str,
    *,
    window: tuple[int, int] = (-3, 3),
    control: Control = "never",
    weighting: Weighting = "corrective",
    regression: Regression = "fixed_effects",
    controls: str | tuple[str, ...] | list[str] = (),
    cluster: str | None = "unit",
    alpha: float = 0.05,
) -> Result:
    """Stacked DiD event study with clean controls and corrective weights.

    For each adoption cohort ``g`` a sub-experiment holds the cohort's units and its clean
    controls, observed at periods ``g + a .. g + b``; the sub-experiments are stacked and

    ``y_sdt = α_sd + λ_st + Σ_{e ≠ −1} δ_e D_sd 1{t − g_s = e} + X'γ + ε``

    is fitted by weighted least squares (sub-experiment × unit and sub-experiment × period
    effects absorbed), the weights being Wing, Freedman & Hollingsworth's (2024) corrective
    ``Q`` (treated 1; a control of sub-experiment ``s`` at event time ``e``:
    ``(N^D_se / N^D_e) / (N^C_se / N^C_e)``, the sub-experiment's shares of the stacked
    treated and control observations), so that ``δ_e`` is the trimmed aggregate
    ``ATT(e) = Σ_s (N^D_s / N^D) ATT_s(e)``.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel` (integer periods: event time is period − cohort).
    outcome : str
        Outcome column.
    window : (int, int)
        Event times ``a..b`` with ``a <= -1 < 0 <= b`` (Wing et al.'s ``κ_pre = −a``,
        ``κ_post = b``). Cohorts whose window ``g + a .. g + b`` is not inside the
        observed periods are dropped (trimming) and named in ``notes``.
    control : {"never", "not_yet"}
        Clean controls of cohort ``g``: never-treated units, or ("not_yet") units first
        treated after ``g + b`` (untreated through the whole window) and never-treated
        ones. Cohorts without a clean control are dropped with a warning.
    weighting : {"corrective", "none"}
        ``"corrective"`` (default): the Q weights above. ``"none"``: the unweighted stacked
        regression of Cengiz et al. (2019), which weights sub-experiments by their
        treated-control variance and is biased for the aggregate ATT when effects differ
        across cohorts and sub-experiments differ in their control shares; a labelled
        comparison.
    regression : {"fixed_effects", "pooled"}
        ``"fixed_effects"`` (default): sub-experiment × unit and sub-experiment × period
        effects. ``"pooled"``: Wing et al.'s equation ``y = α0 + α1 D + Σ λ_e +
        Σ δ_e D 1{e}`` (their replication code and diff-diff's ``StackedDiD``). On a
        balanced panel both give the same ``δ_e``; the standard errors differ (residuals
        and parameter counts).
    controls : str or sequence of str
        Time-varying numeric controls (one coefficient across the stack).
    cluster : "unit", a column name, or None
        Cluster variable; the default clusters on the original unit id, which appears in
        several sub-experiments. None gives HC1 errors.
    alpha : float
        Significance level stored in ``spec``.

    Returns
    -------
    Result
        Terms ``"e-3"``, ``"e-2"``, ``"e+0"``, ... (the names of
        :func:`did_zones.event_study`; −1 is the reference), the kept controls, and
        ``"overall"``: the equally weighted average of the post-period coefficients
        ``e = 0..b`` (primary). ``keys``: ``event_time``, ``n_units``, ``n_obs``,
        ``n_cohorts``, ``post``, ``binned``, ``role``. ``extra`` (:class:`StackedExtra`):
        ``cohorts`` (the sub-experiments kept), ``trimmed_cohorts``, ``no_control_cohorts``,
        ``sub_experiments`` (per cohort: treated and control units and the control weight),
        ``q_weights`` (per stacked row), ``n_stacked``, ``pretrend_test``, ...

    Raises
    ------
    SpecificationError
        A window without −1 or 0, or bad options.
    PanelError
        No treated cohort fills the window; no cohort has a clean control.

    Notes
    -----
    Variance: CRV1 clustered on the original unit, Stata ``reghdfe``'s factor
    ``G/(G−1)·(N−1)/(N−K)`` (sub-experiment × unit effects are nested in units and not
    counted in ``K``); with ``regression="pooled"`` this is diff-diff's ``vcov_type="hc1"``.
    ``df`` is ``G − 1``.

    References
    ----------
    Cengiz, D., Dube, A., Lindner, A. and Zipperer, B. (2019). The effect of minimum wages
    on low-wage jobs. Quarterly Journal of Economics 134(3), 1405–1454.
    Wing, C., Freedman, S. M. and Hollingsworth, A. (2024). Stacked difference-in-differences.
    NBER Working Paper 32054.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from did_zones import build_panel, stacked_did
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(30), 6), "year": np.tile(np.arange(1, 7), 30)})
    >>> df["g"] = np.select([df["unit"] < 6, df["unit"] < 12], [3, 4], 0)
    >>> on = (df["g"] > 0) & (df["year"] >= df["g"])
    >>> df["y"] = df["unit"] + 0.5 * df["year"] + np.where(on, 2.0, 0.0)
    >>> res = stacked_did(build_panel(df, "unit", "year", cohort="g"), "y", window=(-2, 1))
    >>> (res.estimate.round(6) + 0.0).to_dict()
    {'e-2': 0.0, 'e+0': 2.0, 'e+1': 2.0, 'overall': 2.0}
    """
    check_panel_outcome(panel, outcome)
    check_outcome_varies(panel.column(outcome), outcome)
    check_alpha(alpha)
    from .registry import REGISTRY  # the control values it accepts are declared there

    check_choice("control", control, REGISTRY["stacked_did"].controls)
    check_choice("weighting", weighting, _WEIGHTINGS)
    check_choice("regression", regression, _REGRESSIONS)
    a, b = _check_window(window)
    controls = as_tuple(controls)
    check_columns(panel.data, [outcome, *controls])
    if cluster is not None and cluster != "unit":
        check_columns(panel.data, [cluster])
    spec = {"window": (a, b), "control": control, "weighting": weighting,
            "regression": regression, "controls": controls, "cluster": cluster,
            "alpha": alpha,
            # the effects absorbed, for tables (not an option: rerun leaves it out)
            "absorbed": ((("sub_experiment", "unit"), ("sub_experiment", "event_time"))
                         if regression == "fixed_effects" else ("event_time",))}

    st = _stack(panel, a, b, control)
    y = panel.column(outcome)[st.rows]
    Xc = np.column_stack([panel.column(c)[st.rows] for c in controls]) if controls \
        else np.empty((st.rows.size, 0))
    ok = np.isfinite(y) & np.isfinite(Xc).all(axis=1)
    notes = list(panel.notes) + list(st.notes)
    if not ok.all():
        notes.append(f"{int((~ok).sum())} stacked row(s) with missing {outcome!r} or "
                     "controls dropped.")
        st = replace(st, rows=st.rows[ok], sub=st.sub[ok], event=st.event[ok], D=st.D[ok])
        y, Xc = y[ok], Xc[ok]

    q = q_weights(st.sub, st.event, st.D) if weighting == "corrective" else None
    ev = np.arange(a, b + 1)
    terms_e = ev[ev != -1]
    names = [f"e{int(e):+d}" for e in terms_e]
    e_code = st.event - a
    ind = np.zeros((st.rows.size, terms_e.size))
    has = (st.D == 1) & (st.event != -1)
    ind[np.flatnonzero(has), np.searchsorted(terms_e, st.event[has])] = 1.0
    unit = panel.unit_id[st.rows]
    if regression == "fixed_effects":
        n_e = b - a + 1
        fe = (refactorize(st.sub * panel.n_units + unit), refactorize(st.sub * n_e + e_code))
        fe_names = ("sub_experiment#unit", "sub_experiment#event_time")
        X, xnames = np.column_stack([ind, Xc]), names + list(controls)
    else:
        fe = (refactorize(e_code),)
        fe_names = ("event_time",)
        X = np.column_stack([st.D.astype(float), ind, Xc])
        xnames = ["treated"] + names + list(controls)
    if cluster is None:
        clusters, cl_names = (), ()
    else:
        lab = unit if cluster == "unit" else \
            pd.factorize(panel.data[cluster].to_numpy()[st.rows], sort=True)[0]
        clusters, cl_names = (refactorize(np.asarray(lab, dtype=np.int64)),), (cluster,)
    design = Design(rows=st.rows, y=y, X=np.ascontiguousarray(X), names=tuple(xnames),
                    fe_codes=fe, fe_names=fe_names, clusters=clusters, cluster_names=cl_names,
                    weights=q)
    fit = fit_absorbed(design, warn=False)
    dropped_terms = tuple(n for n in fit.dropped if n in names)
    if len(dropped_terms) == len(names):
        raise EstimationError("No event-time effect of the stacked regression is identified.")
    if dropped_terms:
        msg = (f"{len(dropped_terms)} event-time term(s) not identified in the stacked "
               f"regression and dropped: {list(dropped_terms)}.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    V, n_clusters, df = fit.vcov()
    F = fit.variance_floor()
    notes += list(few_clusters_note(design.cluster_counts or None, design.cluster_names))
    return _assemble(panel, outcome, spec, st, fit, V, F, n_clusters, df, names, terms_e,
                     controls, q, dropped_terms, notes)


def _check_window(window) -> tuple[int, int]:
    ok = isinstance(window, tuple | list) and len(window) == 2 and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in window)
    if not ok:
        raise SpecificationError(f"window must be a pair of integers (a, b), e.g. (-3, 3); "
                                 f"got {window!r}.")
    a, b = int(window[0]), int(window[1])
    if not a <= -1 < 0 <= b:
        raise SpecificationError(
            f"window {(a, b)} must contain the reference period -1 and event time 0 "
            f"(a <= -1 and b >= 0); e.g. window=({min(a, -1)}, {max(b, 0)}).")
    return a, b


def _narrower(cohorts: np.ndarray, a: int, b: int, tmin: int, tmax: int) -> str:
    """The widest window inside (a, b) that one cohort fills, as a hint (every cohort of a
    panel has a pre-period and a treated period, so each fills some window around -1, 0)."""
    lo = np.maximum(a, tmin - cohorts).astype(int)
    hi = np.minimum(b, tmax - cohorts).astype(int)
    k = int(np.argmax(hi - lo))
    n_fit = int(((cohorts + lo[k] >= tmin) & (cohorts + hi[k] <= tmax)).sum())
    return (f"Use a narrower window, e.g. window=({lo[k]}, {hi[k]}) "
            f"({n_fit} of {cohorts.size} cohort(s) fill it).")


def _stack(panel: Panel, a: int, b: int, control: str) -> _Stack:
    g_unit = panel.cohort
    cohorts = panel.cohorts
    if cohorts.size == 0:
        raise PanelError("No treated unit in the panel: there is no cohort to stack.")
    t = panel.time_values
    tmin, tmax = int(panel.periods.min()), int(panel.periods.max())
    fits = (cohorts + a >= tmin) & (cohorts + b <= tmax)
    trimmed = tuple(float(g) for g in cohorts[~fits])
    if not fits.any():
        raise PanelError(
            f"No cohort fills the window {(a, b)}: the {cohorts.size} cohort(s) "
            f"({examples(cohorts.astype(int))}) need periods g{a:+d}..g{b:+d} inside the "
            f"observed {tmin}..{tmax}. {_narrower(cohorts, a, b, tmin, tmax)}")
    notes: list[str] = []
    if trimmed:
        notes.append(
            f"{len(trimmed)} cohort(s) dropped because their window {a}..{b} does not fit in "
            f"the observed periods {tmin}..{tmax} (trimming, Wing et al. 2024): "
            f"{examples(np.array(trimmed).astype(int))}.")
    kept_g, no_ctrl, pieces = [], [], []
    row_g = g_unit[panel.unit_id]
    for g in cohorts[fits]:  # a loop over cohorts, not rows
        clean = ~np.isfinite(row_g) if control == "never" else row_g > g + b
        in_win = (t >= g + a) & (t <= g + b)
        if not (clean & in_win).any():
            no_ctrl.append(float(g))
            continue
        r = np.flatnonzero(in_win & (clean | (row_g == g)))
        pieces.append((r, len(kept_g), (t[r] - g).astype(np.int64), (row_g[r] == g)))
        kept_g.append(float(g))
    if no_ctrl:
        n_never = int((~np.isfinite(g_unit)).sum())
        msg = (f"{len(no_ctrl)} cohort(s) have no clean control unit for the window {a}..{b} "
               f"(control={control!r}, {n_never} never-treated unit(s)) and are dropped: "
               f"{examples(np.array(no_ctrl).astype(int))}."
               + (" Use control='not_yet' or a shorter window." if control == "never"
                  else " Use a shorter window (smaller b)."))
        if not kept_g:
            raise PanelError(
                f"No cohort has a clean control unit: {msg} Add never-treated units or "
                "choose control='not_yet' / a shorter window.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    return _Stack(
        rows=np.concatenate([p[0] for p in pieces]),
        sub=np.concatenate([np.full(p[0].size, p[1], dtype=np.int64) for p in pieces]),
        event=np.concatenate([p[2] for p in pieces]),
        D=np.concatenate([p[3] for p in pieces]).astype(np.int64),
        cohorts=np.array(kept_g), trimmed=trimmed, no_control=tuple(no_ctrl),
        notes=tuple(notes))


def q_weights(sub: np.ndarray, event: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Wing, Freedman & Hollingsworth's (2024) corrective weights of a stacked sample.

    Parameters
    ----------
    sub, event, D : ndarray
        Per stacked row: sub-experiment code (0..S−1), event time, treated indicator (0/1).

    Returns
    -------
    ndarray
        1 for treated rows; for a control row of sub-experiment ``s`` at event time ``e``,
        ``(N^D_se / N^D_e) / (N^C_se / N^C_e)`` with ``N`` counting stacked rows (on a
        balanced panel, the sub-experiment's shares of treated and control units).
    """
    e = event - event.min()
    S, E = int(sub.max()) + 1, int(e.max()) + 1
    cell = sub * E + e
    nT = np.bincount(cell, weights=D == 1, minlength=S * E).reshape(S, E)
    nC = np.bincount(cell, weights=D == 0, minlength=S * E).reshape(S, E)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = (nT / nT.sum(axis=0)) / (nC / nC.sum(axis=0))
    out = np.ones(sub.size)
    c = D == 0
    out[c] = q[sub[c], e[c]]
    return out


def _assemble(panel, outcome, spec, st, fit, V, F, n_clusters, df, names, terms_e,
              controls, q, dropped_terms, notes) -> Result:
    keep_idx = [fit.names.index(n) for n in fit.names if n != "treated"]
    kept = [fit.names[i] for i in keep_idx]
    est = fit.coef[keep_idx]
    V = V[np.ix_(keep_idx, keep_idx)]
    F = F[np.ix_(keep_idx, keep_idx)]
    term_kept = [n for n in kept if n in names]
    e_kept = np.array([terms_e[names.index(n)] for n in term_kept], dtype=float)
    ctrl_kept = [n for n in kept if n not in names]
    unit = panel.unit_id[st.rows]
    tr = st.D == 1
    n_obs, n_units, n_coh = [], [], []
    for e in e_kept:  # a loop over event times
        m = tr & (st.event == e)
        n_obs.append(int(m.sum()))
        n_units.append(int(np.unique(unit[m]).size))
        n_coh.append(int(np.unique(st.sub[m]).size))
    nc = len(ctrl_kept)

    def ints(v, extra):
        return pd.array(list(v) + [pd.NA] * nc + extra, dtype="Int64")

    post = e_kept >= 0
    w = np.zeros(len(kept))
    w[:len(term_kept)][post] = 1.0 / post.sum()
    est = np.append(est, w @ est)
    Vw = V @ w
    V = np.block([[V, Vw[:, None]], [Vw[None, :], np.array([[w @ Vw]])]])
    Fw = F @ w
    F = np.block([[F, Fw[:, None]], [Fw[None, :], np.array([[w @ Fw]])]])
    post_rows = tr & (st.event >= 0)
    keys = pd.DataFrame({
        "cohort": np.nan, "time": np.nan,
        "event_time": np.concatenate([e_kept, np.full(nc, np.nan), [np.nan]]),
        "n_units": ints(n_units, [int(np.unique(unit[post_rows]).size)]),
        "n_obs": ints(n_obs, [int(post_rows.sum())]),
        "n_cohorts": ints(n_coh, [int(st.cohorts.size)]),
        "post": np.concatenate([post, np.zeros(nc, bool), [True]]),
        "binned": False,
        "role": ["lead" if e < 0 else "lag" for e in e_kept] + ["control"] * nc + ["average"],
    })
    sub_tab = pd.DataFrame({
        "cohort": st.cohorts,
        "n_treated": np.bincount(st.sub, weights=tr, minlength=st.cohorts.size).astype(int),
        "n_control": np.bincount(st.sub, weights=~tr, minlength=st.cohorts.size).astype(int),
    })
    units_t = [np.unique(unit[tr & (st.sub == s)]).size for s in range(st.cohorts.size)]
    units_c = [np.unique(unit[~tr & (st.sub == s)]).size for s in range(st.cohorts.size)]
    sub_tab["treated_units"], sub_tab["control_units"] = units_t, units_c
    if q is not None:
        sub_tab["control_weight"] = [float(q[~tr & (st.sub == s)].mean())
                                     for s in range(st.cohorts.size)]
    post_names = np.array(term_kept)[post]
    stats = {"r2": fit.stats.get("r2", np.nan), "r2_within": fit.stats.get("r2_within", np.nan),
             "n_fe_params": fit.fe_dof, "pretrend_F": np.nan, "pretrend_p": np.nan}
    extra = {
        "reference": (-1,), "window": spec["window"],
        "cohorts": tuple(float(g) for g in st.cohorts), "trimmed_cohorts": st.trimmed,
        "no_control_cohorts": st.no_control, "sub_experiments": sub_tab,
        "q_weights": q, "overall_weights": pd.Series(np.full(post_names.size,
                                                              1.0 / post_names.size),
                                                      index=post_names, name="weight"),
        "n_stacked": int(st.rows.size), "pretrend_test": None,
        "dropped_terms": dropped_terms,
        "dropped_controls": tuple(n for n in fit.dropped if n in controls),
    }
    res = Result.create(
        est, V, kept + ["overall"], keys=keys, variance_floor=F, method="stacked_did",
        outcome=outcome, spec=spec, n_obs=int(st.rows.size),
        n_units=int(np.unique(unit).size), n_clusters=n_clusters, df=df, primary="overall",
        notes=tuple(dict.fromkeys(notes)), stats=stats, extra=extra)
    leads = [n for n, e in zip(term_kept, e_kept, strict=True) if e < 0]
    if leads:
        test = res.wald_test(leads, name=f"pre-trend: all {len(leads)} lead(s) = 0")
        res = replace(res, stats={**stats, "pretrend_F": test.statistic,
                                  "pretrend_p": test.p_value},
                      extra={**extra, "pretrend_test": test})
    return res
