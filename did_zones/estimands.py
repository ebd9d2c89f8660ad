"""The named estimands of the library, declared once.

Every headline term of a :class:`~did_zones.result.Result` says which of these it is, in
``keys`` columns ``estimand`` and, for averages over event times, ``e_min`` / ``e_max``
(the window; NaN where the estimand has none). Display names (English, Chinese) and the
reasons an estimator cannot produce an estimand are presentation and live in
:mod:`did_zones.tables.estimand_labels`.

Crosswalk: ``simple_att`` is R did's ``aggte(type = "simple")`` and Stata
``did_imputation``'s default ``tau``; ``event_average`` is the ``overall.att`` of R did's
``aggte(type = "dynamic")`` (the equal-weighted mean of ATT(e) over e = a..b);
``cohort_average`` and ``calendar_average`` are ``aggte(type = "group")`` and
``aggte(type = "calendar")``; ``instantaneous`` is ``DID_M`` of de Chaisemartin and
D'Haultfoeuille (Stata ``did_multiplegt``); ``twfe_coefficient`` is the coefficient of the
treatment dummy in a two-way fixed-effects regression (Stata ``reghdfe``).
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd

from .errors import SpecificationError
from .validation import check_choice

__all__ = ["ESTIMANDS", "Estimand", "event_average", "tag"]

Estimand = Literal["simple_att", "event_average", "instantaneous", "cohort_average",
                   "calendar_average", "twfe_coefficient"]
ESTIMANDS: tuple[str, ...] = get_args(Estimand)


def tag(keys: pd.DataFrame, rows, estimand: Estimand, e_min: float = np.nan,
        e_max: float = np.nan) -> pd.DataFrame:
    """``keys`` with columns ``estimand``, ``e_min``, ``e_max`` set at positions ``rows``
    (other rows: None / NaN). Used by the estimators on their headline terms."""
    keys = keys.copy()
    if "estimand" not in keys.columns:
        keys["estimand"] = pd.Series([None] * len(keys), index=keys.index, dtype=object)
        keys["e_min"] = np.nan
        keys["e_max"] = np.nan
    at = np.atleast_1d(rows)
    keys.iloc[at, keys.columns.get_loc("estimand")] = estimand
    keys.iloc[at, keys.columns.get_loc("e_min")] = float(e_min)
    keys.iloc[at, keys.columns.get_loc("e_max")] = float(e_max)
    return keys


def event_average(result, window: tuple[int, int] | None = None):
    """The equal-weighted average of a result's event-time effects over ``e = a..b``.

    A linear combination of the result's own terms (estimate ``w'β``, variance
    ``w'Vw``, influence functions ``ψ w``): no re-estimation.

    Parameters
    ----------
    result : Result
        With one effect per event time in ``keys["event_time"]`` (event study,
        Sun-Abraham, BJS imputation, did2s and dCDH with ``window=(lo, hi)``). Terms that are already a named estimand (dCDH's DID_M) and pre-period
        terms are left out.
    window : (int, int), optional
        ``(a, b)``; default every event time ``e >= 0`` of the result. Every integer
        ``e`` in ``a..b`` must have a term.

    Returns
    -------
    Result
        One term ``"event_average"``, ``keys["estimand"] == "event_average"`` with
        ``e_min = a``, ``e_max = b``.

    Raises
    ------
    SpecificationError
        No event-time effects, an event time of the window without a term, or a term of
        the window pooling several event times (``small_cells="pool"``).

    Notes
    -----
    Estimand: ``(1 / (b - a + 1)) Σ_{e=a..b} ATT(e)``, the ``overall.att`` of R did's
    ``aggte(type = "dynamic")`` restricted to ``min_e = a, max_e = b``.
    """
    from .result import Result

    keys = result.keys
    if "event_time" not in keys.columns:
        raise SpecificationError(
            f"{result.method} has no event-time effects to average. Estimate it with "
            "event-time terms (window=(lo, hi)).")
    et = pd.to_numeric(keys["event_time"], errors="coerce").to_numpy(dtype=float)
    usable = np.isfinite(et)
    if "estimand" in keys.columns:
        usable &= keys["estimand"].isna().to_numpy()
    if "kind" in keys.columns:  # BJS: pre-trend coefficients are not effects
        usable &= keys["kind"].to_numpy() != "pretrend"
    post = usable & (et >= 0)
    if not post.any():
        raise SpecificationError(
            f"{result.method} has no event-time effect at e >= 0 to average.")
    a, b = (0, int(et[post].max())) if window is None else (int(window[0]), int(window[1]))
    if a > b:
        raise SpecificationError(f"window must be (a, b) with a <= b; got {window!r}.")
    wanted = np.arange(a, b + 1)
    if "event_time_high" in keys.columns:  # terms pooled over event times (small_cells="pool")
        high = pd.to_numeric(keys["event_time_high"], errors="coerce").to_numpy(dtype=float)
        pooled = usable & np.isfinite(high) & (high > et) & (high >= a) & (et <= b)
        if pooled.any():
            names = [str(n) for n in keys.index[pooled]]
            raise SpecificationError(
                f"{result.method}: {names} pool several event times (small_cells='pool'), "
                f"so the equal-weighted average over e = {a}..{b} has no term per event time. "
                "Average over a window without the pooled range, or estimate with "
                "small_cells='flag' or 'exclude'.")
    missing = [int(e) for e in wanted if not (usable & (et == e)).any()]
    if missing:
        raise SpecificationError(
            f"{result.method} has no effect at event time(s) {missing}; the average over "
            f"e = {a}..{b} needs one per event time. Use a window within the estimated "
            "event times.")
    w = np.zeros(len(et))
    for e in wanted:
        w[np.flatnonzero(usable & (et == e))[0]] = 1.0 / wanted.size
    est = float(w @ result.estimate.to_numpy())
    V = result.vcov.to_numpy()
    var = float(w[w != 0] @ V[np.ix_(w != 0, w != 0)] @ w[w != 0])
    influence = None if result.influence is None else np.asarray(result.influence) @ w
    out_keys = tag(pd.DataFrame({"cohort": [np.nan], "time": [np.nan],
                                 "event_time": [np.nan]}), 0, "event_average", a, b)
    spec = {**dict(result.spec), "estimand": "event_average", "estimand_window": (a, b)}
    return Result.create(
        [est], np.array([[var]]), ["event_average"], keys=out_keys, method=result.method,
        outcome=result.outcome, spec=spec, n_obs=result.n_obs, n_units=result.n_units,
        n_clusters=result.n_clusters, df=result.df, primary="event_average",
        influence=None if influence is None else influence[:, None],
        influence_index=result.influence_index, notes=result.notes,
        panel_fingerprint=result.panel_fingerprint, panel_shape=result.panel_shape)


def check_estimand(estimand: str) -> str:
    """``estimand`` if it is one of :data:`ESTIMANDS`, else a SpecificationError."""
    return check_choice("estimand", estimand, ESTIMANDS)
