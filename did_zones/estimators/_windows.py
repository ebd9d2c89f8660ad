"""The event-time window of the aggregations (Callaway-Sant'Anna, etwfe, dml_did)."""

from __future__ import annotations

import numpy as np

from ..errors import SpecificationError


def event_window(window) -> tuple[float, float]:
    """``(lo, hi)`` event times of an aggregation's ``window`` (None ends: unbounded),
    checked: a pair of numbers with lo <= hi."""
    if window is None:
        return -np.inf, np.inf
    try:
        lo, hi = window
    except (TypeError, ValueError):
        raise SpecificationError(
            f"window must be a pair (min_e, max_e), e.g. (-4, 5); got {window!r}.") from None
    lo = -np.inf if lo is None else lo
    hi = np.inf if hi is None else hi
    if not all(isinstance(v, (int, float, np.integer, np.floating))
               and not isinstance(v, bool) for v in (lo, hi)) or lo > hi:
        raise SpecificationError(
            f"window must be a pair (min_e, max_e) of numbers with min_e <= max_e; "
            f"got {window!r}.")
    return float(lo), float(hi)
