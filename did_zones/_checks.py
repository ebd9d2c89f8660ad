"""Transition alias of :mod:`did_zones.validation` (the module's former name).

Modules of the package import :mod:`did_zones.validation`; this alias keeps imports written
against the old name (branches in flight) working until they are rewritten.
"""

from .validation import *  # noqa: F401,F403
from .validation import __all__  # noqa: F401
