"""Results remember their panel: estimators stamp it, robustness checks compare it.

:func:`records_panel` wraps every estimator so that the :class:`~did_zones.Result` it
returns carries :attr:`Panel.fingerprint <did_zones.Panel.fingerprint>` (and the panel's
size, for messages). :func:`check_result_panel` is called at the public entry of every
function taking ``(result, panel)`` whose answer is only meaningful on the result's own
panel (placebo, psm_did, variations, heterogeneity). Their internal re-estimations on new
panels (windows, dropped units, placebo cohorts) go through :func:`did_zones.rerun`, which
is meant for other panels and does not check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from .errors import SpecificationError
from .panel import Panel
from .result import Result

__all__ = ["records_panel", "check_result_panel"]

F = TypeVar("F", bound=Callable[..., Result])


def records_panel(estimator: F) -> F:
    """Decorate an estimator ``estimator(panel, outcome, **options) -> Result`` so that its
    result records the panel's fingerprint and size.

    The signature seen by :func:`inspect.signature` (and by :func:`did_zones.rerun`) is the
    estimator's own.
    """

    @functools.wraps(estimator)
    def wrapper(*args, **kwargs):
        result = estimator(*args, **kwargs)
        panel = args[0] if args else kwargs.get("panel")
        # Result, and the diagnostic types (BaconDecomposition, TwfeWeights)
        if hasattr(result, "panel_fingerprint") and isinstance(panel, Panel):
            result = replace(result, panel_fingerprint=panel.fingerprint,
                             panel_shape=(panel.n_units, panel.n_periods))
        return result

    return wrapper  # type: ignore[return-value]


def _describe(shape: tuple[int, int] | None, fingerprint: str) -> str:
    size = f"{shape[0]} units × {shape[1]} periods, " if shape else ""
    return f"{size}fingerprint {fingerprint[:8]}…"


def check_result_panel(result: Result, panel: Panel) -> None:
    """Raise unless ``panel`` is the panel ``result`` was estimated on.

    Results without a fingerprint (built by hand) pass.

    Raises
    ------
    SpecificationError
        The fingerprints differ; the message gives both panels' sizes and fingerprints.
    """
    mine = result.panel_fingerprint
    if mine is None or mine == panel.fingerprint:
        return
    raise SpecificationError(
        f"The result was estimated on a different panel "
        f"({_describe(result.panel_shape, mine)}) than the panel passed "
        f"({_describe((panel.n_units, panel.n_periods), panel.fingerprint)}). Pass the panel "
        "the result came from; to estimate the same specification on another panel, use "
        "did_zones.rerun(result, panel)."
    )
