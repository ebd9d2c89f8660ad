"""Exceptions and warnings raised by did_zones.

Every message states the fact, then the fix, with examples where they help.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings

__all__ = [
    "DidZonesError",
    "PanelError",
    "SpecificationError",
    "EstimationError",
    "DidZonesWarning",
    "DataDroppedWarning",
    "SmallCohortWarning",
    "InferenceWarning",
    "DidZonesDeprecationWarning",
    "warn",
    "deprecated",
]

# every module of the package lives under this folder; frames from it are "inside"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


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


class DidZonesDeprecationWarning(DidZonesWarning, FutureWarning):
    """An argument name or value is deprecated; the message names its replacement.

    Old names keep working, with the same numbers, for one release. A
    :class:`FutureWarning` (shown by default, unlike :class:`DeprecationWarning`) so that
    users of scripts and notebooks see it.
    """


def _user_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` called in :func:`warn` that names the first
    frame outside the did_zones package: the user's line, however deep the warning is raised.

    Frames of the standard library's ``contextlib`` (a ``with`` block of did_zones) count as
    inside. When every frame is inside (the command line), the outermost frame is named.
    """
    skip = (_PACKAGE_DIR, os.path.abspath(contextlib.__file__))
    frame = sys._getframe(2)  # the function that called warn()
    level = 2
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(skip):
        frame = frame.f_back
        level += 1
    return level


def warn(message: str, category: type[Warning] = DidZonesWarning) -> None:
    """Issue a did_zones warning attributed to the user's code.

    Every warning of the package goes through here, so that it points at the line of the
    caller outside did_zones (e.g. the script line calling ``callaway_santanna``), not at
    the internal helper that noticed the problem, whatever the depth of the call.

    Parameters
    ----------
    message : str
        The fact, how many and which, and the fix.
    category : type of Warning
        A :class:`DidZonesWarning` subclass.
    """
    warnings.warn(message, category, stacklevel=_user_stacklevel())


def deprecated(old: str, new: str, removal: str = "the next release") -> None:
    """Warn that argument ``old`` is deprecated in favour of ``new`` (both as the user would
    write them, e.g. ``"placebo=2, dynamic=3"`` and ``"window=(-3, 3)"``).

    Parameters
    ----------
    old, new : str
        The deprecated spelling and its replacement; the message says they give identical
        numbers.
    removal : str
        When the old name stops working.
    """
    warn(f"{old} is deprecated and will be removed in {removal}. Use {new}; the numbers are "
         "the same.", DidZonesDeprecationWarning)
