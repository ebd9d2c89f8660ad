"""did_zones: staggered difference-in-differences for policy pilots.

Built around China's cross-border e-commerce comprehensive pilot zones (165 zones, seven
batches, 2015-2022): the zone registry, city-year panels with the real timing, industrial-
structure outcomes, TWFE and event studies, the heterogeneity-robust staggered estimators,
diagnostics, robustness checks, mechanism tests, tables and figures.

Public names are imported lazily, so ``import did_zones`` stays fast.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    # data and panels
    "build_panel": "panel",
    "Panel": "panel",
    "load_zones": "registry",
    "zone_cohorts": "registry",
    "load_cities": "registry",
    "county_level_prefectures": "registry",
    "simulate_pilot_panel": "simulate",
    "simulate_ddd_panel": "_simddd",
    "SimulatedPanel": "simulate",
    "SimulationTruth": "simulate",
    "read_cre": "cre",
    "zone_panel": "zone_timing",
    # outcomes
    "advancement": "outcomes",
    "hierarchy_index": "outcomes",
    "theil_index": "outcomes",
    "tertiary_share": "outcomes",
    "structure_outcomes": "outcomes",
    "winsorize": "outcomes",
    "trade_intensity": "outcomes",
    "per_capita": "outcomes",
    "patents_per_10k": "outcomes",
    "rd_share": "outcomes",
    "development_share": "outcomes",
    "entropy_index": "outcomes",
    "EntropyIndex": "outcomes",
    # results
    "Result": "result",
    "HypothesisTest": "result",
    "BaconDecomposition": "decomposition",
    "TwfeWeights": "decomposition",
    # estimators: every entry of did_zones.estimators.registry.REGISTRY (see __getattr__)
    "aggregate": "estimators.aggregate",
    # synthetic control and synthetic DiD (one or a few treated units)
    "synthdid": "synthetic",
    "synthetic_control": "synthetic",
    # mechanism tests
    "mediation": "mechanism",
    "moderation": "mechanism",
    "MediationResult": "mechanism",
    "causal_mediation": "mechanism",
    # robustness checks
    "rerun": "robustness",
    "placebo": "robustness",
    "placebo_assignments": "robustness",
    "conley_taber": "robustness",
    "few_treated_inference": "robustness",
    "randomization_p_values": "robustness",
    "match": "robustness",
    "psm_did": "robustness",
    "MatchResult": "robustness",
    "variations": "robustness",
    "honest_did": "robustness",
    "HonestResult": "robustness",
    "pretrend_power": "robustness",
    "PretrendPower": "robustness",
    "heterogeneity": "robustness",
    "wild_bootstrap": "robustness",
    # spatial: geography, weight matrices, spatial panel models and spatial DiD (not in the
    # estimator registry: they take a weight matrix), ring spillover DiD
    "spatial_panel": "spatial",
    "spatial_did": "spatial",
    "ring_did": "spatial",
    "SpatialWeights": "spatial",
    "load_geography": "spatial",
    "inverse_distance": "spatial",
    "knn": "spatial",
    "distance_band": "spatial",
    "economic_distance": "spatial",
    "adjacency": "spatial",
    # tables
    "regression_table": "tables",
    "Table": "tables",
    "summary_stats": "tables",
    "balance_table": "tables",
    "adoption_table": "tables",
    "comparison_table": "tables",
    "mediation_table": "tables",
    "robustness_table": "tables",
    # errors
    "DidZonesError": "errors",
    "PanelError": "errors",
    "SpecificationError": "errors",
    "EstimationError": "errors",
    "DidZonesWarning": "errors",
    "DataDroppedWarning": "errors",
    "SmallCohortWarning": "errors",
    "InferenceWarning": "errors",
    "DidZonesDeprecationWarning": "errors",
}

# subpackages reachable as attributes (``dz.robustness.rerun``) without an explicit import
_SUBPACKAGES = ("estimators", "mechanism", "plots", "resample", "robustness", "spatial")



def _estimators() -> dict:
    from .estimators.registry import REGISTRY

    return REGISTRY


__all__ = sorted([*_EXPORTS, *_estimators()]) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return import_module(f".{name}", __name__)
    spec = _estimators().get(name)
    if spec is not None:  # an estimator: the registry says where it lives
        value = spec.function
    else:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'did_zones' has no attribute {name!r}")
        value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *_estimators()})
