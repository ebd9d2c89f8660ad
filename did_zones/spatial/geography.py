"""Prefecture geography: the bundled seat coordinates and great-circle distances.

``data/prefecture_geography.csv`` holds one point (the seat city, WGS-84 degrees) for each
of the 337 prefecture-level units of the registry's universe (provenance in
``data/README.md``). :func:`load_geography` reads it; :func:`great_circle_km` and
:func:`distance_matrix` turn coordinates into distances.

Distances are haversine great-circle distances on a sphere of radius
:data:`EARTH_RADIUS_KM` = 6371.0088 km, the mean Earth radius ``(2a + b) / 3`` of the
WGS-84 ellipsoid (IUGG). Against the ellipsoidal (Vincenty) distance the sphere errs by
at most about 0.5 %, far below the imprecision of putting a prefecture at one point.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from .._resources import bundled_file
from ..errors import SpecificationError
from ..validation import examples

__all__ = ["EARTH_RADIUS_KM", "load_geography", "great_circle_km", "distance_matrix",
           "unit_vectors", "chord_to_km", "km_to_chord", "resolve_coordinates"]

#: Mean Earth radius in km (IUGG, from the WGS-84 ellipsoid), used by every distance here.
EARTH_RADIUS_KM = 6371.0088

_FILE = "prefecture_geography.csv"


@lru_cache(maxsize=1)
def _geography() -> pd.DataFrame:
    return pd.read_csv(bundled_file(_FILE), encoding="utf-8",
                       dtype={"code": np.int64, "source_code": np.int64,
                              "longitude": float, "latitude": float})


def load_geography() -> pd.DataFrame:
    """Coordinates of the seats of the 337 prefecture-level units.

    Returns
    -------
    pandas.DataFrame
        A fresh copy, one row per unit: ``code`` (GB/T 2260, int, as ``city_code`` of the
        registry and the simulator), ``name_zh``, ``longitude`` and ``latitude`` (WGS-84
        degrees) and ``source_code`` (the code under which the source lists the unit).

    Notes
    -----
    Source: the ``adcodes.csv`` table of the MIT-licensed ``cpca`` package (0.5.5); see
    ``data/README.md``.

    Examples
    --------
    >>> geo = load_geography()
    >>> geo.shape
    (337, 5)
    >>> geo.loc[geo["code"] == 330100, "name_zh"].item()
    '杭州市'
    """
    return _geography().copy()


def great_circle_km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray | float:
    """Great-circle (haversine) distance in km between points given in degrees.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : float or array-like
        Longitudes and latitudes in degrees; arrays broadcast against each other.

    Returns
    -------
    float or numpy.ndarray
        ``2 R asin(sqrt(sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2)))`` with
        ``R = 6371.0088`` km (:data:`EARTH_RADIUS_KM`).

    Examples
    --------
    >>> from did_zones.spatial.geography import great_circle_km
    >>> round(float(great_circle_km(0.0, 0.0, 1.0, 0.0)), 4)  # one degree of the equator
    111.1951
    """
    lam1, phi1, lam2, phi2 = (np.radians(np.asarray(v, dtype=float))
                              for v in (lon1, lat1, lon2, lat2))
    h = (np.sin((phi2 - phi1) / 2.0) ** 2
         + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2.0) ** 2)
    out = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(out) if out.ndim == 0 else out


def distance_matrix(longitude: Any, latitude: Any) -> np.ndarray:
    """Pairwise great-circle distances in km (``n × n``, zero diagonal).

    Parameters
    ----------
    longitude, latitude : array-like
        Degrees, one value per point.

    Returns
    -------
    numpy.ndarray
        Symmetric ``(n, n)`` matrix of :func:`great_circle_km` distances.
    """
    lon = np.asarray(longitude, dtype=float)
    lat = np.asarray(latitude, dtype=float)
    d = great_circle_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    d = np.asarray(d)
    np.fill_diagonal(d, 0.0)
    return d


def unit_vectors(longitude: Any, latitude: Any) -> np.ndarray:
    """Points on the unit sphere (``n × 3``): Euclidean (chord) order is great-circle order."""
    lam = np.radians(np.asarray(longitude, dtype=float))
    phi = np.radians(np.asarray(latitude, dtype=float))
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def chord_to_km(chord: Any) -> np.ndarray:
    """Great-circle km from the chord length between unit vectors."""
    c = np.clip(np.asarray(chord, dtype=float) / 2.0, 0.0, 1.0)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(c)


def km_to_chord(km: Any) -> np.ndarray:
    """Chord length between unit vectors ``km`` apart along the great circle."""
    angle = np.minimum(np.asarray(km, dtype=float) / EARTH_RADIUS_KM, np.pi)
    return 2.0 * np.sin(angle / 2.0)


def resolve_coordinates(units: Any, coordinates: pd.DataFrame | None = None,
                        ) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Ids, longitudes and latitudes of ``units`` (checked).

    Parameters
    ----------
    units : Panel, sequence of ids or None
        A :class:`~did_zones.Panel` (its ``units``), a list of ids, or None for every unit
        of ``coordinates`` (default: the 337 prefectures).
    coordinates : pandas.DataFrame, optional
        Columns ``id`` (or ``code``), ``longitude`` and ``latitude`` in degrees, for data
        that are not Chinese prefectures. Default: :func:`load_geography`.

    Returns
    -------
    ids : pandas.Index
    longitude, latitude : numpy.ndarray

    Raises
    ------
    SpecificationError
        Unknown ids, repeated ids, missing columns, or missing/out-of-range coordinates.
    """
    if coordinates is None:
        geo = _geography()
        table_ids = pd.Index(geo["code"].to_numpy())
        lon, lat = geo["longitude"].to_numpy(), geo["latitude"].to_numpy()
        source = "the bundled prefecture geography (337 GB/T 2260 codes)"
    else:
        if not isinstance(coordinates, pd.DataFrame):
            raise SpecificationError(
                "coordinates must be a DataFrame with columns 'id', 'longitude' and "
                f"'latitude' (degrees); got {type(coordinates).__name__}.")
        key = "id" if "id" in coordinates.columns else "code" if "code" in \
            coordinates.columns else None
        missing = [c for c in ("longitude", "latitude") if c not in coordinates.columns]
        if key is None or missing:
            need = (["id"] if key is None else []) + missing
            raise SpecificationError(
                f"coordinates lacks column(s) {need}; it needs 'id' (or 'code'), "
                f"'longitude' and 'latitude' (degrees). Got columns "
                f"{examples(coordinates.columns)}.")
        table_ids = pd.Index(coordinates[key].to_numpy())
        if table_ids.has_duplicates:
            dup = table_ids[table_ids.duplicated()]
            raise SpecificationError(
                f"coordinates repeats {dup.size} id(s), e.g. {examples(dup)}; give one "
                "point per unit.")
        lon = pd.to_numeric(coordinates["longitude"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(coordinates["latitude"], errors="coerce").to_numpy(float)
        source = "coordinates"
    if units is None:
        ids = table_ids
    else:
        ids = pd.Index(getattr(units, "units", units))
        if ids.has_duplicates:
            dup = ids[ids.duplicated()]
            raise SpecificationError(
                f"units repeats {dup.size} id(s), e.g. {examples(dup)}; list each unit once.")
        if coordinates is None and not pd.api.types.is_numeric_dtype(ids.dtype):
            # prefecture codes given as strings ("330100") are matched as numbers
            as_num = pd.to_numeric(pd.Series(ids), errors="coerce")
            if as_num.notna().all():
                lookup = pd.Index(as_num.astype(np.int64))
                pos = table_ids.get_indexer(lookup)
                if (pos >= 0).all():
                    return ids, lon[pos], lat[pos]
    pos = table_ids.get_indexer(ids)
    unknown = ids[pos < 0]
    if unknown.size:
        raise SpecificationError(
            f"{unknown.size} of {ids.size} unit(s) have no coordinates in {source}, e.g. "
            f"{examples(unknown)}. Use 6-digit prefecture codes (the registry's city_code), "
            "or pass coordinates=DataFrame(id, longitude, latitude) for other units.")
    lon, lat = lon[pos], lat[pos]
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 360))
    if bad.any():
        raise SpecificationError(
            f"{int(bad.sum())} unit(s) have missing or out-of-range coordinates, e.g. "
            f"{examples(ids[bad])}. Give longitude and latitude in degrees for every unit.")
    return ids, lon, lat
