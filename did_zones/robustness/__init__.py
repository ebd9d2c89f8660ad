"""Robustness checks on an existing result: each is one call that re-uses the result's spec.

:func:`rerun` re-estimates a :class:`~did_zones.result.Result` on another panel (a placebo
assignment, a trimmed sample, a matched sample) with the same options.
"""

from __future__ import annotations

from .rerun import rerun

__all__ = ["rerun"]
