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
    "warn",
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
