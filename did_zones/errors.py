"""Exceptions and warnings raised by did_zones.

Every message states the fact, then the fix, with examples where they help.
"""

from __future__ import annotations

__all__ = [
    "DidZonesError",
    "PanelError",
    "SpecificationError",
    "EstimationError",
    "DidZonesWarning",
    "DataDroppedWarning",
    "SmallCohortWarning",
    "InferenceWarning",
]


class DidZonesError(Exception):
    """Base class of every error raised by did_zones."""


class PanelError(DidZonesError, ValueError):
    """The data cannot form a valid staggered-adoption panel."""


class SpecificationError(DidZonesError, ValueError):
    """Options are invalid or contradict each other."""


class EstimationError(DidZonesError, RuntimeError):
    """A numerical failure: singular design, empty cell, no comparison units."""


class DidZonesWarning(UserWarning):
    """Base class of every warning issued by did_zones."""


class DataDroppedWarning(DidZonesWarning):
    """Rows or units were dropped; the message says how many and which."""


class SmallCohortWarning(DidZonesWarning):
    """A cohort or cell is so small that its estimate is fragile."""


class InferenceWarning(DidZonesWarning):
    """Inference may be unreliable (few clusters, extreme propensity scores, ...)."""
