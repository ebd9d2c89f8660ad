"""Prefecture geography and the weight-matrix builders (did_zones.spatial.geography,
did_zones.spatial.builders, SpatialWeights.to_libpysal / from_libpysal).

References: a hand haversine (math module, scalar) on a few points; libpysal 4.14's
``KNN(..., distance_metric="arc")`` and ``DistanceBand`` on the 337 prefecture seats.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import did_zones as dz
from did_zones.errors import DidZonesWarning, SpecificationError
from did_zones.spatial import (
    EARTH_RADIUS_KM,
    SpatialWeights,
    adjacency,
    distance_band,
    distance_matrix,
    economic_distance,
    great_circle_km,
    inverse_distance,
    knn,
    load_geography,
)
from did_zones.tables.zh_notes import translate_note, untranslated

R = 6371.0088

# four points: A at the origin, B one degree east, C two degrees north, D far away
POINTS = pd.DataFrame({"id": ["A", "B", "C", "D"], "longitude": [0.0, 1.0, 0.0, 10.0],
                       "latitude": [0.0, 0.0, 2.0, 10.0]})


def hand_km(lon1, lat1, lon2, lat2):
    """Haversine written out with the math module, one pair at a time."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(math.sqrt(a))


def hand_matrix(points=POINTS):
    xy = points[["longitude", "latitude"]].to_numpy()
    n = len(xy)
    return np.array([[hand_km(*xy[i], *xy[j]) for j in range(n)] for i in range(n)])


# ------------------------------------------------------------------- geography
def test_radius_and_one_degree_of_the_equator():
    assert EARTH_RADIUS_KM == 6371.0088
    assert great_circle_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(R * math.pi / 180, rel=1e-12)


def test_great_circle_matches_hand_haversine():
    d = distance_matrix(POINTS["longitude"], POINTS["latitude"])
    np.testing.assert_allclose(d, hand_matrix(), rtol=1e-12, atol=1e-9)
    assert np.array_equal(d, d.T) and np.all(np.diag(d) == 0)
    # Beijing - Shanghai seats: about 1,068 km
    geo = load_geography().set_index("code")
    bj, sh = geo.loc[110000], geo.loc[310000]
    assert great_circle_km(bj.longitude, bj.latitude, sh.longitude, sh.latitude) == \
        pytest.approx(hand_km(bj.longitude, bj.latitude, sh.longitude, sh.latitude), rel=1e-12)


def test_load_geography_is_fresh_and_covers_the_universe():
    geo = load_geography()
    assert geo.shape == (337, 5)
    assert list(geo.columns) == ["code", "name_zh", "longitude", "latitude", "source_code"]
    assert set(geo["code"]) == set(dz.load_cities()["city_code"])
    assert geo["longitude"].between(73, 136).all() and geo["latitude"].between(15, 54).all()  # 三沙 at 16.8°N
    geo.loc[0, "longitude"] = 0.0
    assert load_geography().loc[0, "longitude"] != 0.0


# ------------------------------------------------------------- hand computations
def test_inverse_distance_by_hand():
    d = hand_matrix()
    w = inverse_distance(coordinates=POINTS, row_standardize=False)
    expect = np.where(np.eye(4, dtype=bool), 0.0, 1.0 / np.where(d > 0, d, 1.0))
    np.testing.assert_allclose(w.matrix, expect, rtol=1e-12)
    assert list(w.ids) == ["A", "B", "C", "D"] and w.kind == "inverse_distance"
    with pytest.warns(DidZonesWarning, match="no neighbour"):  # D is alone
        w2 = inverse_distance(coordinates=POINTS, power=2.0, cutoff_km=300.0)
    raw = np.where((d <= 300) & (d > 0), 1.0 / np.where(d > 0, d, 1.0) ** 2, 0.0)
    rows = raw.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(w2.matrix, np.divide(raw, rows, out=np.zeros_like(raw),
                                                    where=rows > 0), rtol=1e-12)
    assert w2.params == {"power": 2.0, "cutoff_km": 300.0} and w2.row_standardized


def test_isolates_warn_with_count_and_examples_and_note_translates():
    with pytest.warns(DidZonesWarning, match=r"1 of 4 unit\(s\) have no neighbour .*\['D'\]"):
        w = inverse_distance(coordinates=POINTS, cutoff_km=300.0)
    assert list(w.isolates) == ["D"]
    assert np.all(w.matrix[3] == 0)
    (note,) = w.notes
    assert untranslated(translate_note(note)) == []


def test_knn_by_hand():
    d = hand_matrix()
    w = knn(k=2, coordinates=POINTS, row_standardize=False)
    for i in range(4):
        order = [j for j in np.argsort(d[i], kind="stable") if j != i][:2]
        assert set(np.flatnonzero(w.matrix[i])) == set(order)
    assert np.all(w.matrix.sum(axis=1) == 2)
    ws = knn(k=2, coordinates=POINTS)
    np.testing.assert_allclose(ws.matrix.sum(axis=1), 1.0, rtol=0, atol=1e-15)


def test_knn_ties_are_broken_by_the_tree_and_keep_k_neighbours():
    # B and C are both exactly one degree from A: with k=1 one of them is kept
    pts = pd.DataFrame({"id": [1, 2, 3], "longitude": [0.0, 1.0, 0.0],
                        "latitude": [0.0, 0.0, 1.0]})
    w = knn(k=1, coordinates=pts, row_standardize=False)
    assert w.matrix[0].sum() == 1 and w.matrix[0, 1] + w.matrix[0, 2] == 1


def test_distance_band_by_hand():
    d = hand_matrix()
    with pytest.warns(DidZonesWarning, match="no neighbour"):
        w = distance_band(coordinates=POINTS, upper_km=200.0, lower_km=120.0,
                          row_standardize=False)
    expect = ((d >= 120) & (d <= 200)).astype(float)
    np.fill_diagonal(expect, 0)
    np.testing.assert_array_equal(w.matrix, expect)
    w2 = distance_band(coordinates=POINTS, upper_km=2000.0, binary=False, power=1.5,
                       row_standardize=False)
    expect2 = np.where((d <= 2000) & (d > 0), np.where(d > 0, d, 1.0) ** -1.5, 0.0)
    np.testing.assert_allclose(w2.matrix, expect2, rtol=1e-12)


def test_economic_distance_by_hand():
    x = pd.Series([1.0, 2.0, 4.0, 7.0], index=["A", "B", "C", "D"])
    w = economic_distance(x, row_standardize=False)
    gap = np.abs(x.to_numpy()[:, None] - x.to_numpy()[None, :])
    expect = np.where(gap > 0, 1.0 / np.where(gap > 0, gap, 1.0), 0.0)
    np.testing.assert_allclose(w.matrix, expect, rtol=1e-15)
    w2 = economic_distance(x, coordinates=POINTS, kind="gap_times_distance",
                           row_standardize=False)
    d = hand_matrix()
    np.testing.assert_allclose(w2.matrix, expect / np.where(d > 0, d, 1.0), rtol=1e-12)
    assert w2.params == {"kind": "gap_times_distance", "power": 1.0}
    # prefecture codes: geography by default
    y = pd.Series([1.0, 3.0], index=[110000, 310000])
    w3 = economic_distance(y, kind="gap_times_distance", row_standardize=False)
    geo = load_geography().set_index("code")
    km = hand_km(geo.loc[110000, "longitude"], geo.loc[110000, "latitude"],
                 geo.loc[310000, "longitude"], geo.loc[310000, "latitude"])
    assert w3.matrix[0, 1] == pytest.approx(1 / (2 * km), rel=1e-12)


def test_adjacency_pairs_and_matrix():
    w = adjacency([("a", "b"), ("b", "c")], row_standardize=False)
    np.testing.assert_array_equal(w.matrix, [[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    with pytest.warns(DidZonesWarning, match=r"2 of 4 unit\(s\) have no neighbour"):
        w2 = adjacency(pd.DataFrame({"i": ["a", "b"], "j": ["b", "c"], "w": [2.0, 3.0]}),
                       symmetric=False, row_standardize=False, units=["a", "b", "c", "d"])
    np.testing.assert_array_equal(w2.matrix[:3, :3], [[0, 2, 0], [0, 0, 3], [0, 0, 0]])
    frame = w.to_frame()
    w3 = adjacency(frame)
    np.testing.assert_allclose(w3.matrix, [[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]])
    assert w3.kind == "adjacency"


# ------------------------------------------------------------------ libpysal
libpysal = pytest.importorskip("libpysal", reason="pip install libpysal (test extra)")


@pytest.fixture(scope="module")
def seats():
    return load_geography()


@pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected")
def test_knn_equals_libpysal_arc_knn(seats):
    from libpysal.weights import KNN

    pts = seats[["longitude", "latitude"]].to_numpy()
    for k in (1, 5, 8):
        ref = SpatialWeights.from_libpysal(KNN(pts, k=k, distance_metric="arc", radius=R,
                                               ids=seats["code"].tolist()))
        ours = knn(k=k)
        assert ref.ids.equals(ours.ids)
        np.testing.assert_array_equal(ref.matrix > 0, ours.matrix > 0)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in power")  # libpysal's own
def test_distance_band_equals_libpysal(seats):
    from libpysal.weights import DistanceBand

    pts = seats[["longitude", "latitude"]].to_numpy()
    ids = seats["code"].tolist()
    ref = SpatialWeights.from_libpysal(DistanceBand(pts, threshold=150, distance_metric="arc",
                                                    radius=R, ids=ids, silence_warnings=True))
    with pytest.warns(DidZonesWarning, match="no neighbour"):
        ours = distance_band(upper_km=150.0, row_standardize=False)
    np.testing.assert_array_equal(ref.matrix, ours.matrix)
    ref2 = SpatialWeights.from_libpysal(DistanceBand(pts, threshold=400, binary=False,
                                                     alpha=-1.0, distance_metric="arc",
                                                     radius=R, ids=ids,
                                                     silence_warnings=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DidZonesWarning)
        ours2 = distance_band(upper_km=400.0, binary=False, row_standardize=False)
    # libpysal's arc distance differs from haversine in the last digits
    np.testing.assert_allclose(ours2.matrix, ref2.matrix, rtol=1e-9)
    with pytest.warns(DidZonesWarning, match=r"2 of 337 unit\(s\) have no neighbour"):
        inv = inverse_distance(cutoff_km=400.0, row_standardize=False)
    np.testing.assert_allclose(inv.matrix, ours2.matrix, rtol=1e-12)


def test_libpysal_round_trip():
    w = knn(k=4)
    lw = w.to_libpysal()
    assert list(lw.id_order) == w.ids.tolist()
    np.testing.assert_array_equal(lw.sparse.toarray(), w.matrix)
    back = SpatialWeights.from_libpysal(lw)
    assert back.ids.equals(w.ids) and back.row_standardized
    np.testing.assert_array_equal(back.matrix, w.matrix)
    with pytest.raises(SpecificationError, match="needs a libpysal.weights.W"):
        SpatialWeights.from_libpysal(np.eye(2))


# ------------------------------------------------------------ panels and errors
@pytest.fixture(scope="module")
def panel():
    sim = dz.simulate_pilot_panel(seed=3)
    return dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")


def test_builders_align_with_a_panel(panel):
    w = knn(panel, k=3)
    assert w.ids.equals(pd.Index(panel.units))
    full = knn(k=3)
    # the same neighbours as the full matrix, reordered to the panel
    np.testing.assert_array_equal(full.subset(panel.units, restandardize=False).matrix,
                                  w.matrix)
    assert dz.spatial.as_weights(full, panel).ids.equals(pd.Index(panel.units))
    codes_as_text = [str(c) for c in panel.units[:5]]
    assert knn(codes_as_text, k=2).n == 5


@pytest.mark.parametrize("call, message", [
    (lambda: knn([110000, 999999], k=1), r"1 of 2 unit\(s\) have no coordinates .*999999"),
    (lambda: knn(k=337), r"k must be an integer from 1 to .*336"),
    (lambda: knn(k=0), "k must be an integer"),
    (lambda: knn(k=2.5), "k must be an integer"),
    (lambda: inverse_distance(power=-1.0), "power must be a positive finite number"),
    (lambda: inverse_distance(cutoff_km=0), "cutoff_km must be a positive"),
    (lambda: distance_band(upper_km=50.0, lower_km=80.0), "lower_km must be below upper_km"),
    (lambda: knn(coordinates=POINTS.assign(latitude=[0.0, np.nan, 1.0, 2.0]), k=1),
     r"1 unit\(s\) have missing or out-of-range coordinates, e.g. \['B'\]"),
    (lambda: knn(coordinates=POINTS.drop(columns="latitude"), k=1),
     r"coordinates lacks column\(s\) \['latitude'\]"),
    (lambda: knn([110000, 110000], k=1), r"units repeats 1 id\(s\)"),
    (lambda: inverse_distance(coordinates=POINTS.assign(longitude=[0.0, 0.0, 0.0, 10.0],
                                                        latitude=[0.0, 0.0, 2.0, 10.0])),
     "share their coordinates"),
    (lambda: economic_distance([1, 2]), "values must be a pandas Series"),
    (lambda: economic_distance(pd.Series([1.0, 1.0], index=[1, 2])), "same value"),
    (lambda: economic_distance(pd.Series([1.0, 2.0]), kind="gravity"), "kind must be one of"),
    (lambda: adjacency([(1, 1)]), "with themselves"),
    (lambda: adjacency([(1, 2)], units=[1, 3]), r"1 id\(s\) in links are not among the units"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(SpecificationError, match=message):
        call()


# ---------------------------------------------------------- property tests
coords = st.lists(st.tuples(st.floats(70, 135), st.floats(18, 53)), min_size=3, max_size=12,
                  unique=True)


def _frame(xy):
    return pd.DataFrame({"id": range(len(xy)), "longitude": [p[0] for p in xy],
                         "latitude": [p[1] for p in xy]})


def _distinct(xy):
    d = distance_matrix([p[0] for p in xy], [p[1] for p in xy])
    return (d + np.eye(len(xy))).min() > 1e-3


@given(coords, st.floats(0.5, 3.0))
def test_inverse_distance_symmetric_and_rows_sum_to_one(xy, power):
    if not _distinct(xy):
        return
    raw = inverse_distance(coordinates=_frame(xy), power=power, row_standardize=False)
    np.testing.assert_allclose(raw.matrix, raw.matrix.T, rtol=1e-12)
    std = inverse_distance(coordinates=_frame(xy), power=power)
    np.testing.assert_allclose(std.matrix.sum(axis=1), 1.0, rtol=1e-12)


@given(coords, st.randoms(use_true_random=False))
def test_builders_invariant_to_unit_order(xy, rnd):
    if not _distinct(xy):
        return
    frame = _frame(xy)
    order = list(frame["id"])
    rnd.shuffle(order)
    k = min(2, len(xy) - 1)
    for build in (lambda u: inverse_distance(u, coordinates=frame),
                  lambda u: distance_band(u, coordinates=frame, upper_km=5000.0,
                                          row_standardize=False)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DidZonesWarning)
            a, b = build(None), build(order)
        np.testing.assert_allclose(a.subset(order, restandardize=False).matrix, b.matrix,
                                   rtol=1e-12)
    # kNN: the same neighbour sets whatever the order (when the k-th distance is not tied)
    d = distance_matrix(frame["longitude"], frame["latitude"]) + np.diag([np.inf] * len(xy))
    srt = np.sort(d, axis=1)
    if k < len(xy) - 1 and np.any(np.isclose(srt[:, k - 1], srt[:, k], rtol=1e-9)):
        return
    a, b = knn(None, k=k, coordinates=frame), knn(order, k=k, coordinates=frame)
    np.testing.assert_array_equal(a.subset(order, restandardize=False).matrix, b.matrix)
