"""Checks that a careful reader runs on a staggered design, returned as numbers.

Each function reads results the estimators already produced (their joint tests, weights and
decompositions) or the panel, and says whether a threshold is crossed. Nothing here formats
text: the report (:mod:`did_zones.report`) turns a :class:`Flag` into a sentence.

The thresholds live in :data:`THRESHOLDS`, the one place that sets them:

``pretrend_alpha`` (0.05)
    A joint pre-trend test (all pre-period coefficients zero) that rejects below this level
    is flagged.
``forbidden_weight`` (0.10)
    A Goodman-Bacon decomposition putting more than this share of the TWFE weight on
    "Later vs Earlier Treated" comparisons (already-treated units as controls) is flagged.
``negative_weight`` (0.0)
    TWFE weights (de Chaisemartin & D'Haultfœuille 2020) summing to less than minus this
    amount over the negatively weighted cohort-period cells are flagged (0: any negative
    weight).
``min_cohort_units`` (5)
    A treated cohort with fewer units than this is flagged (the same cut-off as the
    estimators' ``SmallCohortWarning``).
``placebo_p`` (0.10)
    A placebo (randomization) p-value above this is flagged: the estimate is not unusual
    among the placebo assignments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["THRESHOLDS", "Flag", "pretrend_test", "pretrend_flag", "forbidden_share",
           "bacon_flag", "negative_weight_flag", "small_cohorts", "small_cohort_flag",
           "placebo_flag"]

THRESHOLDS: Mapping[str, float] = MappingProxyType({
    "pretrend_alpha": 0.05,
    "forbidden_weight": 0.10,
    "negative_weight": 0.0,
    "min_cohort_units": 5,
    "placebo_p": 0.10,
})

FORBIDDEN = "Later vs Earlier Treated"


@dataclass(frozen=True)
class Flag:
    """A crossed threshold.

    Attributes
    ----------
    kind : str
        ``"pretrend"``, ``"bacon"``, ``"negative_weights"``, ``"small_cohort"`` or
        ``"placebo"``.
    value : float
        The number judged (the smallest rejecting p-value, the forbidden weight share, the
        sum of negative weights, the smallest cohort size, the placebo p-value).
    threshold : float
        The threshold it crossed.
    details : mapping
        The numbers behind it, e.g. ``{"p_values": {name: p}}`` for pre-trends or
        ``{"cohorts": DataFrame}`` for small cohorts.
    """

    kind: str
    value: float
    threshold: float
    details: Mapping[str, Any] = field(default_factory=dict)


def _threshold(name: str, thresholds: Mapping[str, float] | None) -> float:
    return float((thresholds or {}).get(name, THRESHOLDS[name]))


def pretrend_test(result) -> Any:
    """The joint pre-trend test of an event-time result, or None.

    The estimator's own test (``extra["pretrend_test"]``: TWFE event study, Sun-Abraham,
    BJS imputation) when it has one; otherwise (an event-time aggregation of
    Callaway-Sant'Anna, dCDH with placebos) the Wald test that every pre-period term
    (``keys["event_time"] < 0``) with a standard error is zero, from the result's vcov.

    Notes
    -----
    For Callaway-Sant'Anna pass the event-time aggregation: the raw result's pre-test pools
    every pre-period ATT(g,t), and a one-unit cohort makes that vcov nearly singular.
    """
    extra = getattr(result, "extra", None) or {}
    test = extra.get("pretrend_test") if hasattr(extra, "get") else None
    if test is not None:
        return test
    keys = getattr(result, "keys", None)
    if keys is None or "event_time" not in keys.columns:
        return None
    et = pd.to_numeric(keys["event_time"], errors="coerce").to_numpy(dtype=float)
    se = result.std_error.to_numpy(dtype=float)
    leads = [t for t, e, s in zip(result.terms, et, se, strict=True)
             if np.isfinite(e) and e < 0 and np.isfinite(s) and s > 0]
    if not leads:
        return None
    return result.wald_test(leads, name=f"pre-trend: all {len(leads)} pre-period term(s) = 0")


def pretrend_flag(results: Mapping[str, Any],
                  thresholds: Mapping[str, float] | None = None) -> Flag | None:
    """Flag the joint pre-trend tests of ``results`` (name -> result) that reject.

    Returns
    -------
    Flag or None
        ``details["p_values"]``: name -> p-value of every rejecting test;
        ``details["tested"]``: name -> p-value of every test run.
    """
    alpha = _threshold("pretrend_alpha", thresholds)
    tested = {}
    for name, res in results.items():
        test = pretrend_test(res)
        if test is not None and np.isfinite(test.p_value):
            tested[name] = float(test.p_value)
    bad = {k: p for k, p in tested.items() if p < alpha}
    if not bad:
        return None
    return Flag("pretrend", min(bad.values()), alpha,
                MappingProxyType({"p_values": bad, "tested": tested}))


def forbidden_share(bacon_result) -> float:
    """Share of the TWFE weight on "Later vs Earlier Treated" comparisons (0 when none), from
    the ``by_type`` table of a :class:`~did_zones.BaconDecomposition`."""
    by_type = bacon_result.by_type
    rows = by_type[by_type["type"] == FORBIDDEN]
    return float(rows["weight"].sum()) if len(rows) else 0.0


def bacon_flag(bacon_result, thresholds: Mapping[str, float] | None = None) -> Flag | None:
    """Flag a Goodman-Bacon decomposition with too much weight on forbidden comparisons."""
    limit = _threshold("forbidden_weight", thresholds)
    share = forbidden_share(bacon_result)
    return Flag("bacon", share, limit) if share > limit else None


def negative_weight_flag(weights_result,
                         thresholds: Mapping[str, float] | None = None) -> Flag | None:
    """Flag negative TWFE weights (the :class:`~did_zones.TwfeWeights` of
    :func:`did_zones.twfe_weights`).

    ``value`` is the sum of the negative cohort-period weights; ``details`` has
    ``n_negative`` and ``n_cells``.
    """
    limit = _threshold("negative_weight", thresholds)
    stats = weights_result.stats
    total = float(stats["sum_negative"])
    if int(stats["n_negative"]) == 0 or total >= -limit:
        return None
    return Flag("negative_weights", total, -limit,
                MappingProxyType({"n_negative": int(stats["n_negative"]),
                                  "n_cells": int(stats["n_cells"])}))


def small_cohorts(panel, min_units: int | None = None) -> pd.DataFrame:
    """Treated cohorts with fewer than ``min_units`` units.

    Returns
    -------
    pandas.DataFrame
        Columns ``cohort``, ``n_units`` and ``units`` (a tuple of unit ids), one row per small
        cohort, sorted by cohort.
    """
    limit = int(THRESHOLDS["min_cohort_units"] if min_units is None else min_units)
    uc = panel.unit_cohort
    uc = uc[np.isfinite(uc.to_numpy(dtype=float))]
    rows = [{"cohort": g, "n_units": len(units), "units": tuple(units.index)}
            for g, units in uc.groupby(uc, sort=True) if len(units) < limit]
    return pd.DataFrame(rows, columns=["cohort", "n_units", "units"])


def small_cohort_flag(panel, thresholds: Mapping[str, float] | None = None) -> Flag | None:
    """Flag treated cohorts smaller than ``min_cohort_units`` (``details["cohorts"]``)."""
    limit = _threshold("min_cohort_units", thresholds)
    small = small_cohorts(panel, int(limit))
    if small.empty:
        return None
    return Flag("small_cohort", float(small["n_units"].min()), limit,
                MappingProxyType({"cohorts": small}))


def placebo_flag(test, thresholds: Mapping[str, float] | None = None) -> Flag | None:
    """Flag a placebo test whose p-value is above ``placebo_p``."""
    limit = _threshold("placebo_p", thresholds)
    p = float(test.p_value)
    return Flag("placebo", p, limit) if np.isfinite(p) and p > limit else None
