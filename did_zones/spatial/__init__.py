"""Spatial tools: prefecture geography, weight matrices, spatial panel models and spatial DiD,
ring spillover DiD.

Numerics only; figures live in :mod:`did_zones.plots`.
"""

from __future__ import annotations

from .did import spatial_did
from .models import spatial_panel
from .weights import SpatialWeights, as_weights

__all__ = ["SpatialWeights", "as_weights", "spatial_did", "spatial_panel"]
