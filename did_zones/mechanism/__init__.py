"""Mechanism tests: is the effect of the pilot carried by a mediator?

:func:`mediation` (channel test, stepwise procedures with Sobel / Aroian / Goodman and
cluster-bootstrap tests of a·b, serial (chain) mediation over a graph of mediators,
causal mediation), :func:`moderation` (D × Z
heterogeneity, not a mechanism), :func:`causal_mediation` (Imai, Keele & Tingley 2010)
and the frozen :class:`MediationResult`.
"""

from __future__ import annotations

from .causal import causal_mediation
from .core import mediation
from .moderation import moderation
from .result import MediationResult

__all__ = ["mediation", "moderation", "MediationResult", "causal_mediation"]

