"""Synthetic control and synthetic difference-in-differences for one or a few treated units.

==============================  ==========================================================
:func:`synthdid`                SDID, SC and DiD in R ``synthdid``'s framework; staggered
                                cohorts averaged; placebo, jackknife, bootstrap variances
:func:`synthetic_control`       Abadie, Diamond & Hainmueller (2010): donor weights, the
                                counterfactual path, in-space placebos and RMSPE ratios
==============================  ==========================================================

Numerics only (numpy); the figures are in :mod:`did_zones.plots.synthetic`.
"""

from __future__ import annotations

from .control import SyntheticControlExtra, synthetic_control
from .synthdid import SynthdidExtra, synthdid

__all__ = ["synthdid", "synthetic_control", "SynthdidExtra", "SyntheticControlExtra"]
