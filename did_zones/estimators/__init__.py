"""Estimators: each a function ``estimator(panel, outcome, **options) -> Result``.

A new estimator is a new module here plus one entry in :data:`REGISTRY`
(:mod:`did_zones.estimators.registry`, which declares every estimator once).
"""

from __future__ import annotations

from ._small_cells import CRV1_REJECTION, DEFAULT_MIN_COHORT_SIZE, understatement
from .registry import (
    REGISTRY,
    EstimatorSpec,
    estimator_names,
    get_estimator,
    get_spec,
    register,
    study_estimators,
    unregister,
    window_arg,
)

__all__ = ["CRV1_REJECTION", "DEFAULT_MIN_COHORT_SIZE", "understatement", "REGISTRY", "EstimatorSpec", "estimator_names", "get_estimator", "get_spec",
           "register", "study_estimators", "unregister", "window_arg"]
