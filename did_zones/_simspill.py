"""The simulator's spatial spillover channel (``simulate_pilot_panel(spillover=...)``).

An untreated city-year gets an additive ISU effect set by the ring of distance (great-circle
km between prefecture seats, :mod:`did_zones.spatial.geography`) in which its nearest city
treated by that year lies. No random draw is made, so every other column of a draw is the
same with or without the channel. The rings follow :func:`did_zones.ring_did`: interior rings
``[lo, hi)``, the outermost ``[lo, hi]``, the first starting at 0 km.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .errors import SpecificationError

__all__ = ["parse_spillover", "spillover_effects", "truth_tables"]

#: Outer edge (km) of the single ring used when ``spillover`` is a number.
DEFAULT_RING_KM = 100.0


def parse_spillover(spillover: Any) -> dict[float, float] | None:
    """``{outer_km: effect}`` sorted by distance, or None (no channel).

    A number ``x`` is ``{100.0: x}``: every untreated city within 100 km of a treated city
    gains ``x``.
    """
    if spillover is None:
        return None
    if isinstance(spillover, Mapping):
        items = list(spillover.items())
    elif isinstance(spillover, (int, float, np.integer, np.floating)) and not isinstance(
            spillover, bool):
        items = [(DEFAULT_RING_KM, spillover)]
    else:
        raise SpecificationError(
            "spillover must be None, a number (the effect within 100 km of a treated city) "
            "or a mapping {outer_km: effect}, e.g. {50: 0.01, 100: 0.005}; got "
            f"{type(spillover).__name__}.")
    out: dict[float, float] = {}
    for key, value in items:
        ok_key = (isinstance(key, (int, float, np.integer, np.floating))
                  and not isinstance(key, bool) and np.isfinite(key) and key > 0)
        ok_val = (isinstance(value, (int, float, np.integer, np.floating))
                  and not isinstance(value, bool) and np.isfinite(value))
        if not (ok_key and ok_val):
            raise SpecificationError(
                "spillover maps ring outer edges in km (positive numbers) to effects (finite "
                f"numbers); got {key!r}: {value!r}. Example: {{50: 0.01, 100: 0.005}}.")
        out[float(key)] = float(value)
    if not out:
        raise SpecificationError("spillover is an empty mapping; give at least one ring, "
                                 "e.g. {100: 0.005}, or None.")
    return dict(sorted(out.items()))


def spillover_effects(codes: np.ndarray, cohort: np.ndarray, year: np.ndarray,
                      rings: dict[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per city × year: km to the nearest city treated by then (``inf`` before any),
    the ring index of untreated city-years within the rings (−1 otherwise) and the effect.

    ``cohort`` uses the simulator's coding (0 = never treated within the panel).
    """
    # imported here: the simulator without spillovers needs nothing spatial
    from .spatial.geography import distance_matrix, resolve_coordinates

    _, lon, lat = resolve_coordinates(pd.Index(codes))
    d = distance_matrix(lon, lat)
    treated = (cohort[:, None] > 0) & (year[None, :] >= cohort[:, None])  # cities x years
    # min over sources treated by t; 337 x 337 x years is small
    near = np.where(treated[None, :, :], d[:, :, None], np.inf).min(axis=1)
    edges = np.array([0.0, *rings])
    ring = np.searchsorted(edges, near, side="right") - 1
    ring = np.minimum(ring, edges.size - 2)  # the outer edge belongs to the last ring
    inside = ~treated & (near <= edges[-1])
    ring = np.where(inside, ring, -1)
    effect = np.where(inside, np.array(list(rings.values()))[np.maximum(ring, 0)], 0.0)
    return near, ring, effect


def truth_tables(codes: np.ndarray, year: np.ndarray, near: np.ndarray, ring: np.ndarray,
                 effect: np.ndarray, rings: dict[float, float]) -> dict[str, pd.DataFrame]:
    """``spillover`` (one row per ring) and ``exposure`` (one row per city-year) of the
    truth, over the cities kept in the panel (``codes`` and the arrays already subset)."""
    edges = [0.0, *rings]
    k = len(rings)
    labels = [f"spillover[{edges[j]:g}-{edges[j + 1]:g}km" + ("]" if j == k - 1 else ")")
              for j in range(k)]
    n_obs = np.array([(ring == j).sum() for j in range(k)], dtype=np.int64)
    n_units = np.array([(ring == j).any(axis=1).sum() for j in range(k)], dtype=np.int64)
    by_ring = pd.DataFrame({"ring": labels, "lower_km": edges[:-1], "upper_km": edges[1:],
                            "effect": list(rings.values()), "n_obs": n_obs,
                            "n_units": n_units})
    n_t = year.size
    names = np.array(labels + [None], dtype=object)
    exposure = pd.DataFrame({
        "city_code": np.repeat(codes, n_t).astype(np.int64),
        "year": np.tile(year, codes.size).astype(np.int64),
        "nearest_km": near.ravel(),
        "ring": names[ring.ravel()],
        "spillover": effect.ravel(),
    })
    return {"spillover": by_ring, "exposure": exposure}
