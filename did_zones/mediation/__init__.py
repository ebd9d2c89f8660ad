"""Mechanism tests: is the effect of the pilot carried by a mediator?

:func:`mediation` (channel test, stepwise procedures with Sobel / Aroian / Goodman and
cluster-bootstrap tests of a·b, causal mediation), :func:`moderation` (D × Z
heterogeneity, not a mechanism), :func:`causal_mediation` (Imai, Keele & Tingley 2010)
and the frozen :class:`MediationResult`.
"""

from __future__ import annotations

from .causal import causal_mediation
from .core import mediation
from .moderation import moderation
from .result import MediationResult

__all__ = ["mediation", "moderation", "MediationResult", "causal_mediation"]


# ``did_zones.mediation`` names both this subpackage and the function: importing the
# subpackage sets the package attribute ``did_zones.mediation`` to this module, so the
# module is made callable (forwarding to the function) and ``dz.mediation(...)`` works
# whatever was imported first.
import sys as _sys  # noqa: E402
import types as _types  # noqa: E402


class _CallableModule(_types.ModuleType):
    def __call__(self, *args, **kwargs):
        return mediation(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
