"""The equations of a mediation analysis, for the wild cluster bootstrap.

Every equation of :func:`did_zones.mediation` (the total effect, each first stage, the
outcome model) is an ordinary estimator result fitted on the *common sample*: the rows
where the outcome, every mediator and every control are observed. The panel it was
fitted on is the user's panel with the other rows masked
(:func:`did_zones.mechanism.stepwise.common_sample`), so bootstrapping an equation
needs that masked panel; :func:`equation_and_panel` rebuilds it from the mediation's
spec and picks the equation.
"""

from __future__ import annotations

import warnings

from ..errors import SpecificationError
from ..panel import Panel

__all__ = ["equation_and_panel"]


def _choices(med) -> list[str]:
    out = ["total", *(f"first_stage:{m}" for m in med.first_stage)]
    return out + (["outcome"] if med.outcome_model is not None else [])


def equation_and_panel(med, panel: Panel, equation: str | None):
    """``(Result, masked panel)`` of ``equation`` (``"total"``, ``"first_stage:<m>"`` or
    ``"outcome"``) of the MediationResult ``med``."""
    from ..mechanism.stepwise import common_sample

    choices = _choices(med)
    if equation is None or equation not in choices:
        got = "no equation" if equation is None else f"equation={equation!r}"
        raise SpecificationError(
            f"wild_bootstrap of a mediation result needs the equation to test; got {got}. "
            f"Pass equation= one of {choices} (and term=, e.g. term='ecom' in the outcome "
            "equation for b)."
        )
    if equation == "total":
        res = med.total
    elif equation == "outcome":
        res = med.outcome_model
    else:
        res = med.first_stage[equation.split(":", 1)[1]]
    spec = med.spec
    with warnings.catch_warnings():  # the mediation has already reported the drops
        warnings.simplefilter("ignore")
        masked = common_sample(panel, spec["outcome"], tuple(spec["mediators"]),
                               tuple(spec.get("controls", ())))[0]
    return res, masked
