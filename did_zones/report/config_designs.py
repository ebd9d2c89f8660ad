"""The study file's design sections beyond staggered DiD: ``[spatial]`` and ``[synthetic]``.

``[spatial]`` asks for spillovers: a weight matrix (built from the prefecture coordinates, or
read from a square CSV labelled by unit ids), a spatial DiD model and, optionally, the ring
spillover DiD of Butts (2021). ``[synthetic]`` asks for single-city designs: synthetic control
and synthetic DiD for the listed treated units. Both are checked at the door like every other
section (unknown keys, wrong types and values name the dotted key and the fix).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SpecificationError
from .config_values import _choice, _float, _int, _keys, _str, _str_list, _table, _type

__all__ = ["SpatialConfig", "SyntheticConfig", "parse_spatial", "parse_synthetic",
           "WEIGHT_KINDS", "SPATIAL_MODELS", "SYNTHETIC_METHODS", "SYNTHETIC_SE"]

WEIGHT_KINDS = ("inverse_distance", "knn", "distance_band", "economic_distance", "file")
SPATIAL_MODELS = ("sdm", "sar", "sem", "slx")
SYNTHETIC_METHODS = ("sdid", "sc", "did")
SYNTHETIC_SE = ("placebo", "jackknife", "bootstrap", "none")


@dataclass(frozen=True)
class SpatialConfig:
    """``[spatial]``: the weight matrix, the spatial DiD model and the rings.

    ``weights`` names the builder (``"inverse_distance"``, ``"knn"``, ``"distance_band"``,
    ``"economic_distance"``) applied to the prefecture coordinates of the panel's units, or
    ``"file"`` with ``file`` a square CSV (first column and header: unit ids).
    ``power``/``cutoff_km`` (inverse distance), ``k`` (nearest neighbours), ``upper_km``/
    ``lower_km`` (distance band) and ``economic`` (the column whose unit means define economic
    distance) parameterise the builder. ``model`` is the spatial DiD model; ``rings`` (km, the
    ring edges, e.g. ``[0, 50, 100, 200]``) adds the ring spillover DiD; ``outcomes`` defaults
    to the study's primary outcome.
    """

    weights: str = "inverse_distance"
    file: Path | None = None
    power: float = 1.0
    cutoff_km: float | None = None
    k: int = 5
    upper_km: float | None = None
    lower_km: float = 0.0
    economic: str | None = None
    model: str = "sdm"
    rings: tuple[float, ...] = ()
    outcomes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SyntheticConfig:
    """``[synthetic]``: single-city designs for the listed treated ``units`` (default: the
    units of the earliest cohort, e.g. 杭州 alone in batch 1), estimated by each of
    ``methods`` (``"sdid"``, ``"sc"``, ``"did"`` as R ``synthdid``) with standard errors
    ``se`` (``"placebo"`` for one treated unit) from ``n_reps`` replications."""

    units: tuple[Any, ...] = ()
    methods: tuple[str, ...] = ("sdid", "sc")
    se: str = "placebo"
    n_reps: int = 200
    outcomes: tuple[str, ...] = ()


def parse_spatial(t: Mapping, base: Path) -> SpatialConfig:
    """Check ``[spatial]`` and return its :class:`SpatialConfig`."""
    where = "spatial"
    _keys(t, where, ("weights", "file", "power", "cutoff_km", "k", "upper_km", "lower_km",
                     "economic", "model", "rings", "outcomes"))
    kind = _choice(t.get("weights", "file" if "file" in t else "inverse_distance"),
                   f"{where}.weights", WEIGHT_KINDS, what="weight matrix")
    file = None
    if kind == "file":
        if "file" not in t:
            raise SpecificationError(
                'spatial.weights = "file" needs spatial.file, a square CSV whose first column '
                'and header hold the unit ids, e.g. file = "W.csv".')
        file = (base / _str(t["file"], f"{where}.file")).resolve()
        if not file.is_file():
            raise SpecificationError(f"spatial.file: {str(file)!r} not found. Give a path "
                                     "relative to the study file.")
    elif "file" in t:
        raise SpecificationError(
            f'spatial.file is only read with weights = "file"; weights is {kind!r}. Remove '
            'spatial.file or set weights = "file".')
    k = _int(t.get("k", 5), f"{where}.k")
    power = _float(t.get("power", 1.0), f"{where}.power")
    if k < 1 or power <= 0:
        raise SpecificationError(
            f"spatial: k must be a positive integer and power a positive number; got k = {k}, "
            f"power = {power}.")
    upper = t.get("upper_km")
    if kind == "distance_band" and upper is None:
        raise SpecificationError('spatial.weights = "distance_band" needs spatial.upper_km, '
                                 "the outer edge of the band in km, e.g. upper_km = 300.")
    economic = t.get("economic")
    if kind == "economic_distance" and economic is None:
        raise SpecificationError(
            'spatial.weights = "economic_distance" needs spatial.economic, the column whose '
            'city means define the economic distance, e.g. economic = "lngdp_pc".')
    rings = t.get("rings", [])
    if not isinstance(rings, list):
        raise _type(f"{where}.rings", "a list of distances in km", rings,
                    "rings = [0, 50, 100, 200]")
    rings = tuple(_float(r, f"{where}.rings[{i}]") for i, r in enumerate(rings))
    if rings and (len(rings) < 2 or any(b <= a for a, b in zip(rings, rings[1:], strict=False))
                  or rings[0] < 0):
        raise SpecificationError(
            f"spatial.rings: expected at least two increasing distances from 0 km (the edges "
            f"of the rings); got {list(rings)}. Write e.g. rings = [0, 50, 100, 200].")
    return SpatialConfig(
        weights=kind, file=file, power=power,
        cutoff_km=(None if t.get("cutoff_km") is None
                   else _float(t["cutoff_km"], f"{where}.cutoff_km")),
        k=k, upper_km=None if upper is None else _float(upper, f"{where}.upper_km"),
        lower_km=_float(t.get("lower_km", 0.0), f"{where}.lower_km"),
        economic=None if economic is None else _str(economic, f"{where}.economic"),
        model=_choice(t.get("model", "sdm"), f"{where}.model", SPATIAL_MODELS, what="model"),
        rings=rings, outcomes=_str_list(t.get("outcomes", []), f"{where}.outcomes"))


def parse_synthetic(t: Mapping) -> SyntheticConfig:
    """Check ``[synthetic]`` and return its :class:`SyntheticConfig`."""
    where = "synthetic"
    _keys(t, where, ("units", "methods", "se", "n_reps", "outcomes"))
    units = t.get("units", [])
    if not isinstance(units, list):
        units = [units]
    for i, u in enumerate(units):
        if isinstance(u, bool) or not isinstance(u, (int, str)):
            raise _type(f"{where}.units[{i}]", "a unit id (integer or string)", u,
                        "units = [330100]")
    methods = t.get("methods", ["sdid", "sc"])
    methods = tuple(_choice(m, f"{where}.methods[{i}]", SYNTHETIC_METHODS, what="method")
                    for i, m in enumerate(methods if isinstance(methods, list) else [methods]))
    if not methods:
        raise SpecificationError('synthetic.methods: give at least one of "sdid", "sc", '
                                 '"did", e.g. methods = ["sdid", "sc"].')
    n_reps = _int(t.get("n_reps", 200), f"{where}.n_reps")
    if n_reps < 2:
        raise SpecificationError(f"synthetic.n_reps: expected an integer >= 2; got {n_reps}.")
    return SyntheticConfig(
        units=tuple(units), methods=methods,
        se=_choice(t.get("se", "placebo"), f"{where}.se", SYNTHETIC_SE,
                   what="standard error"),
        n_reps=n_reps, outcomes=_str_list(t.get("outcomes", []), f"{where}.outcomes"))


def table_or_none(raw: Mapping, key: str) -> Mapping | None:
    """The section ``key`` of the file, or None when absent or ``false``."""
    if key not in raw or raw[key] is False:
        return None
    return _table(raw[key], key, allow_bool=True)
