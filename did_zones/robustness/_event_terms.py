"""The check shared by the tools that read an event-study result's leads and lags
(:func:`~did_zones.honest_did`, :func:`~did_zones.pretrend_power`)."""

from __future__ import annotations

import numpy as np

from ..errors import SpecificationError
from ..result import Result
from ..validation import examples

_AGGREGATE_HINT = 'Aggregate by event time first: dz.aggregate(res, kind="event").'


def require_event_terms(result: Result, who: str) -> None:
    """Refuse a result that is not one coefficient per event time.

    An unaggregated ATT(g,t) result (e.g. :func:`callaway_santanna` before
    :func:`aggregate`) has several cells per event time, one per cohort; a result
    aggregated by cohort or calendar time has none. Both get the same message, naming
    ``who`` and suggesting ``aggregate(res, kind="event")``.
    """
    if "event_time_high" in result.keys.columns:  # small_cells="pool"
        lo = result.keys["event_time"].to_numpy(dtype=float)
        hi = result.keys["event_time_high"].to_numpy(dtype=float)
        pooled = [t for t, a, b in zip(result.terms, lo, hi, strict=True) if b > a]
        if pooled:
            raise SpecificationError(
                f"{who} needs one coefficient per event time; this {result.method!r} result "
                f"pools event times (small_cells='pool'): {examples(pooled)}. Use the "
                "result with small_cells='flag' or 'exclude'.")
    agg = result.spec.get("aggregation")
    if agg is not None and agg != "event":
        raise SpecificationError(
            f"{who} needs one coefficient per event time; this {result.method!r} result is "
            f"aggregated as {agg!r}. {_AGGREGATE_HINT}")
    if agg is None and "event_time" in result.keys.columns:
        e = result.keys["event_time"].to_numpy(dtype=float)
        finite = np.isfinite(e)
        values, counts = np.unique(e[finite], return_counts=True)
        if (counts > 1).any():
            e0 = values[np.argmax(counts > 1)]
            cells = [t for t, v in zip(result.terms, e, strict=True) if v == e0]
            raise SpecificationError(
                f"{who} needs one coefficient per event time; this {result.method!r} result "
                f"holds {int(finite.sum())} ATT(g,t) cells, several per event time (e.g. "
                f"{len(cells)} at event time {int(e0)}: {examples(cells)}). {_AGGREGATE_HINT}")
