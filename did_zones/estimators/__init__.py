"""Estimators: each a function ``estimator(panel, outcome, **options) -> Result``.

A new estimator is a new module here plus one line in ``REGISTRY``.
"""

from __future__ import annotations

from importlib import import_module

# name -> module defining a function of the same name
REGISTRY = {
    "twfe": "twfe",
    "event_study": "event_study",
    "callaway_santanna": "callaway_santanna",
    "sun_abraham": "sun_abraham",
    "imputation": "imputation",
    "did2s": "did2s",
    "dcdh": "dcdh",
}


def get_estimator(name: str):
    """Return the estimator function registered under ``name``."""
    from .._checks import check_choice

    check_choice("estimator", name, sorted(REGISTRY))
    return getattr(import_module(f".{REGISTRY[name]}", __name__), name)
