"""Aggregation of :func:`did_zones.dml_did` group-time effects as
``DoubleMLDIDMulti.aggregate``: fixed cohort-share weights, the unit scores of each
repetition combined linearly, repetitions combined by the median."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..estimands import tag
from ..result import Result
from . import _dml_core as core
from ._windows import event_window

__all__ = ["dml_aggregate", "DmlAggregateExtra"]


class DmlAggregateExtra(TypedDict):
    """The ``extra`` mapping of a :func:`dml_aggregate` result."""

    assumptions: str
    weights: Any
    kind: str


_ESTIMAND = {"simple": "simple_att", "event": "event_average", "cohort": "cohort_average",
             "calendar": "calendar_average"}


def dml_aggregate(result: Result, kind: str = "simple", *,
                  window: Sequence[float] | None = None) -> Result:
    """Aggregate DML ATT(g,t) as ``DoubleMLDIDMulti.aggregate``.

    Parameters
    ----------
    result : Result
        From :func:`dml_did`.
    kind : {"simple", "event", "cohort", "calendar"}
        DoubleML's ``"eventstudy"`` (one term per event time, pre-periods included, weights
        ∝ cohort share; ``"overall"``: the mean of the ``e ≥ 0`` terms), ``"group"``
        (per cohort, the mean of its post cells; overall weighted by cohort shares),
        ``"time"`` (per period, share-weighted over the cohorts treated by then; overall:
        their mean). ``"simple"``: the share-weighted mean of all post cells.
    window : (lo, hi), optional
        Event times kept (``kind="event"``; either end may be None).

    Returns
    -------
    Result
        ``"overall"`` then ``"ATT(e=k)"`` / ``"ATT(g=k)"`` / ``"ATT(t=k)"`` terms (keys
        ``event_time`` / ``cohort`` / ``time``, ``n_cells``). The weights are fixed
        (DoubleML does not add the estimated-share term of R ``did``); the scores of each
        repetition are combined linearly and repetitions by the median. ``influence``
        (one repetition) holds the aggregated unit scores. ``extra``
        (:class:`DmlAggregateExtra`): ``assumptions``, ``weights`` (terms × cells),
        ``kind``.

    Raises
    ------
    SpecificationError
        Not a dml_did result, unknown kind, bad window, nothing to aggregate.
    """
    if not isinstance(result, Result) or result.method != "dml_did" \
            or "rep_influence" not in result.extra:
        raise SpecificationError("dml_aggregate needs a Result of did_zones.dml_did; got "
                                 f"{getattr(result, 'method', type(result).__name__)!r}.")
    from ..validation import check_choice

    kind = check_choice("kind", kind, tuple(_ESTIMAND))
    keys = result.keys
    g = keys["cohort"].to_numpy(float)
    t = keys["time"].to_numpy(float)
    e = t - g
    lo, hi = event_window(window)
    post = t >= g
    share = result.extra["cohort_share"]
    pg = share.reindex(g).to_numpy(float)
    rows: list[np.ndarray] = []
    levels: np.ndarray
    if kind == "simple":
        sel = post & (e <= hi)
        if not sel.any():
            raise SpecificationError("No post-treatment ATT(g,t) to aggregate.")
        rows = [np.where(sel, pg, 0.0) / pg[sel].sum()]
        levels = np.array([])
        overall = None
    elif kind == "event":
        sel_all = (e >= lo) & (e <= hi)
        levels = np.unique(e[sel_all])
        for v in levels:
            s = sel_all & (e == v)
            rows.append(np.where(s, pg, 0.0) / pg[s].sum())
        if not (levels >= 0).any():
            raise SpecificationError("No event time e >= 0 to aggregate (check window=).")
        overall = (levels >= 0) / (levels >= 0).sum()
    elif kind == "cohort":
        levels = np.unique(g[post & (e <= hi)])
        if levels.size == 0:
            raise SpecificationError("No cohort has a post-treatment ATT(g,t) to aggregate.")
        for v in levels:
            s = post & (g == v) & (e <= hi)
            rows.append(s / s.sum())
        w = share.reindex(levels).to_numpy(float)
        overall = w / w.sum()
    else:
        levels = np.unique(t[post])
        if levels.size == 0:
            raise SpecificationError("No post-treatment ATT(g,t) to aggregate.")
        for v in levels:
            s = post & (t == v)
            rows.append(np.where(s, pg, 0.0) / pg[s].sum())
        overall = np.full(levels.size, 1.0 / levels.size)
    W = np.vstack(rows)
    if overall is not None:
        W = np.vstack([overall @ W, W])
    rep_theta = result.extra["rep_estimates"].to_numpy() if hasattr(
        result.extra["rep_estimates"], "to_numpy") else np.asarray(result.extra["rep_estimates"])
    rep_psi = np.asarray(result.extra["rep_influence"])
    n = rep_psi.shape[0]
    agg_theta = W @ rep_theta                                   # terms × reps
    agg_psi = np.einsum("nkr,jk->njr", rep_psi, W)              # units × terms × reps
    agg_se = np.sqrt((agg_psi**2).sum(axis=0)) / n              # terms × reps
    est, se = core.median_combine(agg_theta, agg_se)
    vcov = core.rep_vcov(agg_psi, se, n)
    label = {"event": "e", "cohort": "g", "calendar": "t"}.get(kind, "")
    names = ["overall"] + [f"ATT({label}={_fmt(v)})" for v in levels]
    out_keys = pd.DataFrame({
        "cohort": np.r_[np.nan, levels] if kind == "cohort" else np.nan,
        "time": np.r_[np.nan, levels] if kind == "calendar" else np.nan,
        "event_time": np.r_[np.nan, levels] if kind == "event" else np.nan,
        "n_cells": (W != 0).sum(axis=1)}, index=range(len(names)))
    if kind == "event":
        post_e = levels[levels >= 0]
        out_keys = tag(out_keys, 0, "event_average", post_e.min(), post_e.max())
    elif kind == "simple":
        out_keys = tag(out_keys, 0, "simple_att", 0.0, hi if np.isfinite(hi) else np.nan)
    else:
        out_keys = tag(out_keys, 0, _ESTIMAND[kind])
    spec = {**result.spec, "aggregation": kind, "window": (lo, hi)}
    single = rep_psi.shape[2] == 1
    return Result.create(
        est, vcov, names, keys=out_keys, method="dml_did", outcome=result.outcome, spec=spec,
        n_obs=result.n_obs, n_units=result.n_units, n_clusters=None, df=None,
        primary="overall", notes=result.notes,
        influence=agg_psi[:, :, 0] if single else None,
        influence_index=result.influence_index if single else None,
        extra={"assumptions": result.extra["assumptions"],
               "weights": pd.DataFrame(W, index=names, columns=result.terms), "kind": kind},
        panel_fingerprint=result.panel_fingerprint, panel_shape=result.panel_shape)


def _fmt(v: float) -> str:
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"
