"""Spatial tools: prefecture geography, weight matrices, spatial panel models and spatial DiD,
ring spillover DiD.

Numerics only; figures live in :mod:`did_zones.plots`.
"""

from __future__ import annotations

from .builders import adjacency, distance_band, economic_distance, inverse_distance, knn
from .did import spatial_did
from .geography import EARTH_RADIUS_KM, distance_matrix, great_circle_km, load_geography
from .models import spatial_panel
from .rings import RingDidExtra, nearest_treated_km, ring_did
from .weights import SpatialWeights, as_weights

__all__ = ["SpatialWeights", "as_weights", "load_geography", "great_circle_km",
           "distance_matrix", "EARTH_RADIUS_KM", "inverse_distance", "knn", "distance_band",
           "economic_distance", "adjacency", "ring_did", "RingDidExtra", "nearest_treated_km",
           "spatial_panel", "spatial_did"]
