"""Weight-matrix builders: inverse distance, k nearest neighbours, distance bands, economic
distance and user adjacency.

Every builder returns a :class:`~did_zones.spatial.SpatialWeights` labelled by the unit ids,
with ``kind`` and ``params`` recording how it was built and ``notes`` on isolated units.
``units`` is a :class:`~did_zones.Panel` (its ``units``), a list of ids or None (all 337
prefecture-level units of the bundled geography); ``coordinates`` a DataFrame with columns
``id``, ``longitude``, ``latitude`` for units that are not Chinese prefectures. Distances
are great-circle km (haversine, R = 6371.0088 km; :mod:`did_zones.spatial.geography`).

Why numpy/scipy rather than libpysal. The matrices here are dense ``n × n`` (n is a few
hundred cities; 3,000 units is 72 MB) or come from ``scipy.spatial.cKDTree`` on 3-D unit
vectors, whose Euclidean (chord) order is exactly the great-circle order, so k nearest
neighbours and distance bands are exact on the sphere. ``import libpysal`` pulls
geopandas, shapely and pyproj and takes about 1.5-1.8 s (measured, libpysal 4.14, 2
CPUs), longer than building any matrix here; libpysal stays an optional dependency (the
test extra) for interoperation (:meth:`SpatialWeights.to_libpysal`,
:meth:`SpatialWeights.from_libpysal`) and for the cross-checks in the tests
(``KNN(..., distance_metric="arc")`` and ``DistanceBand`` give the same neighbours).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..errors import DidZonesWarning, SpecificationError, warn
from ..validation import examples
from .geography import (
    distance_matrix,
    great_circle_km,
    km_to_chord,
    resolve_coordinates,
    unit_vectors,
)
from .weights import SpatialWeights

__all__ = ["inverse_distance", "knn", "distance_band", "economic_distance", "adjacency"]

EconomicKind = Literal["inverse_gap", "gap_times_distance"]
ECONOMIC_KINDS = ("inverse_gap", "gap_times_distance")


# ------------------------------------------------------------------------ helpers


def _real(name: str, value: Any, *, positive: bool = False, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or (value <= 0 if positive else value < 0):
        need = "a positive" if positive else "a non-negative"
        raise SpecificationError(f"{name} must be {need} finite number; got {value!r}.")
    return float(value)


def _finish(ids: pd.Index, m: np.ndarray, kind: str, params: dict,
            row_standardize: bool) -> SpatialWeights:
    """The SpatialWeights, with a warning and a note when some units have no neighbour."""
    np.fill_diagonal(m, 0.0)
    out = SpatialWeights(ids=ids, matrix=m, kind=kind, params=params)
    iso = out.isolates
    if iso.size:
        note = (f"{iso.size} of {out.n} unit(s) have no neighbour under this weight matrix "
                f"({kind}), e.g. {examples(iso)}; their rows are zero, so their spatial lag "
                "is 0.")
        warn(note + " Widen the cut-off (or raise k) to give them neighbours.", DidZonesWarning)
        out = SpatialWeights(ids=ids, matrix=m, kind=kind, params=params, notes=(note,))
    return out.row_standardize() if row_standardize else out


def _check_distinct_points(ids: pd.Index, d: np.ndarray) -> None:
    same = (d == 0) & ~np.eye(d.shape[0], dtype=bool)
    if same.any():
        rows = ids[same.any(axis=1)]
        raise SpecificationError(
            f"{rows.size} unit(s) share their coordinates with another unit, e.g. "
            f"{examples(rows)}: their inverse distance is infinite. Give distinct points, or "
            "use knn or distance_band.")


# ------------------------------------------------------------------------ builders


def inverse_distance(units: Any = None, *, power: float = 1.0, cutoff_km: float | None = None,
                     coordinates: pd.DataFrame | None = None,
                     row_standardize: bool = True) -> SpatialWeights:
    """Inverse-distance weights ``w_ij = d_ij^(−power)`` (great-circle km).

    Parameters
    ----------
    units : Panel, sequence of ids or None
        The units (rows and columns, in this order); None: every unit with coordinates.
    power : float, default 1.0
        Distance decay (1: inverse distance; 2: inverse squared distance, the gravity form).
        Must be positive.
    cutoff_km : float, optional
        Weights of pairs farther apart than this are 0 (``d_ij <= cutoff_km`` kept).
    coordinates : pandas.DataFrame, optional
        ``id``, ``longitude``, ``latitude`` (degrees). Default: the bundled prefecture seats.
    row_standardize : bool, default True
        Divide each row by its sum (the usual choice of spatial DiD papers).

    Returns
    -------
    SpatialWeights
        ``kind="inverse_distance"``, ``params`` with ``power`` and ``cutoff_km``. Before
        standardisation the matrix is symmetric.

    Raises
    ------
    SpecificationError
        Unknown ids, missing coordinates, a non-positive power or cut-off, two units at
        the same point.

    Warns
    -----
    DidZonesWarning
        Units with no neighbour within ``cutoff_km`` (zero rows), counted with examples.

    Examples
    --------
    >>> w = inverse_distance([110000, 120000, 310000], row_standardize=False)
    >>> round(float(1 / w.matrix[0, 1]), 1)  # Beijing - Tianjin seats, km
    113.8
    """
    power = _real("power", power, positive=True)
    cutoff = _real("cutoff_km", cutoff_km, positive=True, allow_none=True)
    ids, lon, lat = resolve_coordinates(units, coordinates)
    d = distance_matrix(lon, lat)
    _check_distinct_points(ids, d)
    with np.errstate(divide="ignore"):
        m = np.where(d > 0, d, np.inf) ** (-power)
    if cutoff is not None:
        m[d > cutoff] = 0.0
    return _finish(ids, m, "inverse_distance", {"power": power, "cutoff_km": cutoff},
                   row_standardize)


def knn(units: Any = None, k: int = 5, *, coordinates: pd.DataFrame | None = None,
        row_standardize: bool = True) -> SpatialWeights:
    """k-nearest-neighbour weights (great-circle): ``w_ij = 1`` for the ``k`` closest ``j``.

    Parameters
    ----------
    units : Panel, sequence of ids or None
        The units; None: every unit with coordinates.
    k : int, default 5
        Neighbours per unit, ``1 <= k < n``.
    coordinates : pandas.DataFrame, optional
        ``id``, ``longitude``, ``latitude``; default the bundled prefecture seats.
    row_standardize : bool, default True
        Rows sum to one (each neighbour weighs ``1/k``).

    Returns
    -------
    SpatialWeights
        ``kind="knn"``, ``params={"k": k}``; not symmetric in general.

    Raises
    ------
    SpecificationError
        ``k`` not an integer in ``1..n-1``; unknown ids; missing coordinates.

    Notes
    -----
    Neighbours are found with :class:`scipy.spatial.cKDTree` on unit vectors (chord order
    is great-circle order, so the result is exact on the sphere). Ties at the ``k``-th
    distance (two cities equally far, e.g. at the same point) are broken by the tree's
    order, as libpysal's ``KNN`` (which uses the same tree) does; the matrix then depends on
    which tied neighbour was kept.

    Examples
    --------
    >>> w = knn(k=4)
    >>> w.n, float(w.matrix.sum(axis=1).max())
    (337, 1.0)
    """
    ids, lon, lat = resolve_coordinates(units, coordinates)
    n = ids.size
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < n:
        raise SpecificationError(
            f"k must be an integer from 1 to the number of units minus one ({n - 1}); got "
            f"{k!r}. Use fewer neighbours or more units.")
    k = int(k)
    xyz = unit_vectors(lon, lat)
    _, nb = cKDTree(xyz).query(xyz, k=k + 1)
    # drop each unit itself (usually the first hit; with another unit at the same point it
    # may come second, then the extra neighbour at the end is dropped instead)
    own = nb == np.arange(n)[:, None]
    own[~own.any(axis=1), -1] = True
    cols = nb[~own].reshape(n, k)
    m = np.zeros((n, n))
    m[np.repeat(np.arange(n), k), cols.ravel()] = 1.0
    return _finish(ids, m, "knn", {"k": k}, row_standardize)


def distance_band(units: Any = None, *, upper_km: float, lower_km: float = 0.0,
                  binary: bool = True, power: float = 1.0,
                  coordinates: pd.DataFrame | None = None,
                  row_standardize: bool = True) -> SpatialWeights:
    """Distance-band weights: neighbours at ``lower_km <= d_ij <= upper_km``.

    Parameters
    ----------
    units : Panel, sequence of ids or None
        The units; None: every unit with coordinates.
    upper_km : float
        Outer edge of the band (included), km.
    lower_km : float, default 0.0
        Inner edge (included), km: a ring ``[lower, upper]`` when positive.
    binary : bool, default True
        ``w_ij = 1`` in the band; False: ``d_ij^(−power)`` in the band.
    power : float, default 1.0
        Distance decay when ``binary=False``.
    coordinates : pandas.DataFrame, optional
        ``id``, ``longitude``, ``latitude``; default the bundled prefecture seats.
    row_standardize : bool, default True
        Rows sum to one.

    Returns
    -------
    SpatialWeights
        ``kind="distance_band"``; symmetric before standardisation.

    Raises
    ------
    SpecificationError
        A band with ``upper_km <= lower_km`` or negative edges; unknown ids.

    Warns
    -----
    DidZonesWarning
        Units without a neighbour in the band.

    Notes
    -----
    Pairs are found with :meth:`scipy.spatial.cKDTree.sparse_distance_matrix` on unit
    vectors (chord ``2 sin(d / 2R)`` for ``d`` km), then their great-circle distances are
    computed exactly, so the band edges are exact. Equal to libpysal's
    ``DistanceBand(..., threshold=upper_km)`` with arc distances when ``lower_km=0``.
    """
    upper = _real("upper_km", upper_km, positive=True)
    lower = _real("lower_km", lower_km)
    if lower >= upper:
        raise SpecificationError(
            f"lower_km must be below upper_km; got lower_km={lower_km!r}, upper_km="
            f"{upper_km!r}.")
    power = _real("power", power, positive=True)
    ids, lon, lat = resolve_coordinates(units, coordinates)
    n = ids.size
    xyz = unit_vectors(lon, lat)
    tree = cKDTree(xyz)
    # the chord bound is padded by a hair; the exact haversine distance decides below
    pairs = tree.query_pairs(float(km_to_chord(upper)) * (1 + 1e-9) + 1e-15,
                             output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.asarray(great_circle_km(lon[i], lat[i], lon[j], lat[j]), dtype=float).reshape(-1)
    keep = (d <= upper) & (d >= lower)
    i, j, d = i[keep], j[keep], d[keep]
    if not binary and (d == 0).any():
        _check_distinct_points(ids, distance_matrix(lon, lat))
    value = np.ones_like(d) if binary else d ** (-power)
    m = np.zeros((n, n))
    m[i, j] = value
    m[j, i] = value
    params = {"upper_km": upper, "lower_km": lower, "binary": bool(binary)}
    if not binary:
        params["power"] = power
    return _finish(ids, m, "distance_band", params, row_standardize)


def economic_distance(values: Any, *, coordinates: pd.DataFrame | None = None,
                      kind: EconomicKind = "inverse_gap", power: float = 1.0,
                      row_standardize: bool = True) -> SpatialWeights:
    """Economic-distance weights from a per-unit indicator (e.g. mean GDP per capita).

    Parameters
    ----------
    values : pandas.Series
        One value per unit, indexed by unit id (e.g. each city's mean GDP per capita over
        the sample years: ``df.groupby("city_code")["gdp_pc"].mean()``).
    coordinates : pandas.DataFrame, optional
        For ``kind="gap_times_distance"``: ``id``, ``longitude``, ``latitude``; default the
        bundled prefecture seats.
    kind : {"inverse_gap", "gap_times_distance"}, default "inverse_gap"
        ``"inverse_gap"``: ``w_ij = 1 / |x_i − x_j|``. ``"gap_times_distance"``:
        ``w_ij = 1 / (|x_i − x_j| · d_ij^power)``, the economic-geographic nested matrix of
        Chinese studies (inverse gap times inverse great-circle distance).
    power : float, default 1.0
        Decay of the geographic part (``"gap_times_distance"`` only).
    row_standardize : bool, default True
        Rows sum to one.

    Returns
    -------
    SpatialWeights
        ``kind="economic_distance"``, ``params={"kind": ..., "power": ...}``; symmetric
        before standardisation.

    Raises
    ------
    SpecificationError
        ``values`` not a Series of finite numbers with unique ids; two units with the same
        value (an infinite weight); unknown ``kind``.
    """
    if kind not in ECONOMIC_KINDS:
        raise SpecificationError(
            f"kind must be one of {', '.join(repr(k) for k in ECONOMIC_KINDS)}; got {kind!r}.")
    if not isinstance(values, pd.Series):
        raise SpecificationError(
            "values must be a pandas Series indexed by unit id (e.g. "
            "df.groupby('city_code')['gdp_pc'].mean()); got " f"{type(values).__name__}.")
    ids = pd.Index(values.index)
    if ids.has_duplicates:
        dup = ids[ids.duplicated()]
        raise SpecificationError(
            f"values repeats {dup.size} unit id(s), e.g. {examples(dup)}; give one value per "
            "unit (e.g. the mean over years).")
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(x)
    if bad.any():
        raise SpecificationError(
            f"values has {int(bad.sum())} missing or non-numeric value(s), e.g. for "
            f"{examples(ids[bad])}. Drop those units or fill the values.")
    gap = np.abs(x[:, None] - x[None, :])
    same = (gap == 0) & ~np.eye(ids.size, dtype=bool)
    if same.any():
        rows = ids[same.any(axis=1)]
        raise SpecificationError(
            f"{rows.size} unit(s) have the same value as another unit, e.g. {examples(rows)}: "
            "1/|x_i - x_j| is infinite. Use a finer indicator (e.g. a mean over years).")
    params: dict[str, Any] = {"kind": kind}
    with np.errstate(divide="ignore"):
        m = 1.0 / np.where(gap > 0, gap, np.inf)
    if kind == "gap_times_distance":
        power = _real("power", power, positive=True)
        _, lon, lat = resolve_coordinates(ids, coordinates)
        d = distance_matrix(lon, lat)
        _check_distinct_points(ids, d)
        with np.errstate(divide="ignore"):
            m = m * np.where(d > 0, d, np.inf) ** (-power)
        params["power"] = power
    return _finish(ids, m, "economic_distance", params, row_standardize)


def adjacency(links: Any, *, units: Any = None, symmetric: bool = True,
              row_standardize: bool = True) -> SpatialWeights:
    """Weights from user-supplied neighbour pairs or a square 0/1 (or weighted) matrix.

    Parameters
    ----------
    links : pandas.DataFrame or sequence of pairs
        Either a square DataFrame labelled by unit ids on both axes (``links.loc[i, j]`` the
        weight of ``j`` for ``i``), or pairs: a two- or three-column DataFrame (``i``,
        ``j``[, weight]) or a list of ``(i, j)`` tuples (e.g. prefectures sharing a border).
    units : Panel, sequence of ids, optional
        The units of the matrix (units without a pair become isolates). Default: the ids in
        ``links``, sorted.
    symmetric : bool, default True
        For pairs: also link ``j`` to ``i`` (borders are mutual).
    row_standardize : bool, default True
        Rows sum to one.

    Returns
    -------
    SpatialWeights
        ``kind="adjacency"``.

    Raises
    ------
    SpecificationError
        Pairs naming ids outside ``units``, a unit paired with itself, negative or missing
        weights, a malformed frame.

    Examples
    --------
    >>> w = adjacency([(1, 2), (2, 3)])
    >>> w.to_frame().astype(float).values.tolist()
    [[0.0, 1.0, 0.0], [0.5, 0.0, 0.5], [0.0, 1.0, 0.0]]
    """
    if (isinstance(links, pd.DataFrame) and len(links.index) > 0
            and set(links.columns) == set(links.index)):
        w = SpatialWeights.from_frame(links, kind="adjacency")
        if units is not None:
            w = w.subset(pd.Index(getattr(units, "units", units)), restandardize=False)
        return _finish(w.ids, np.array(w.matrix), "adjacency", {"source": "matrix"},
                       row_standardize)
    if isinstance(links, pd.DataFrame):
        if links.shape[1] not in (2, 3):
            raise SpecificationError(
                "links must be a square DataFrame labelled by unit ids, or pairs with two "
                f"columns (i, j) or three (i, j, weight); got {links.shape[1]} columns.")
        a, b = links.iloc[:, 0].to_numpy(), links.iloc[:, 1].to_numpy()
        wt = (pd.to_numeric(links.iloc[:, 2], errors="coerce").to_numpy(float)
              if links.shape[1] == 3 else np.ones(len(links)))
    else:
        try:
            pairs = [tuple(p) for p in links]
            ok = all(len(p) == 2 for p in pairs)
        except TypeError:
            ok = False
        if not ok:
            raise SpecificationError(
                "links must be a square DataFrame, a pair DataFrame or a sequence of (i, j) "
                f"pairs; got {type(links).__name__}.")
        a = np.array([p[0] for p in pairs], dtype=object)
        b = np.array([p[1] for p in pairs], dtype=object)
        wt = np.ones(len(pairs))
    a, b = pd.Index(a).infer_objects(), pd.Index(b).infer_objects()
    bad = ~np.isfinite(wt) | (wt < 0)
    if bad.any():
        raise SpecificationError(
            f"links has {int(bad.sum())} missing or negative weight(s); weights are "
            "non-negative numbers.")
    self_pairs = a == b
    if np.asarray(self_pairs).any():
        raise SpecificationError(
            f"links pairs {int(np.asarray(self_pairs).sum())} unit(s) with themselves, e.g. "
            f"{examples(a[self_pairs])}. A unit is not its own neighbour: drop those pairs.")
    ids = (pd.Index(getattr(units, "units", units)) if units is not None
           else a.append(b).unique().sort_values())
    ia, ib = ids.get_indexer(a), ids.get_indexer(b)
    outside = a[ia < 0].append(b[ib < 0]).unique()
    if outside.size:
        raise SpecificationError(
            f"{outside.size} id(s) in links are not among the units, e.g. "
            f"{examples(outside)}. Use the same ids as the panel (or leave units=None).")
    m = np.zeros((ids.size, ids.size))
    m[ia, ib] = wt
    if symmetric:
        m[ib, ia] = wt
    return _finish(ids, m, "adjacency", {"source": "pairs", "symmetric": bool(symmetric)},
                   row_standardize)

