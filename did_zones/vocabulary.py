"""The option vocabulary shared by the estimators: one name and one set of values per concept.

Each concept an estimator option expresses is declared here once, as a ``typing.Literal`` (for
signatures and the documentation) and as a tuple of its values (for the checks at the door):

=================  ==========================================================================
argument           values
=================  ==========================================================================
``control``        :data:`CONTROLS`: ``"never"`` (never-treated units), ``"not_yet"`` (units
                   not yet treated, never-treated included), ``"last"`` (the last-treated
                   cohort before its adoption). Each estimator accepts a subset, declared in
                   its registry entry (:attr:`EstimatorSpec.controls
                   <did_zones.estimators.registry.EstimatorSpec.controls>`).
``cluster``        a panel role (``"unit"``, the default everywhere, or ``"time"``), a column,
                   or ``None``; estimators that allow it take a pair for two-way clustering.
``window``         ``(lo, hi)``: the event times ``e = t − cohort`` an event study reports,
                   ``lo <= hi`` integers (:data:`Window`); what each estimator does at the
                   reference period is said in its docstring.
``aggregation``    :data:`AGGREGATIONS` of Callaway–Sant'Anna's ``aggregate``.
``language``       :data:`LANGUAGES` of tables, figures and reports.
=================  ==========================================================================

Estimator-specific options (Callaway–Sant'Anna's ``method``, Sun–Abraham's
``share_variance``, ...) keep their own ``Literal`` next to their estimator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

__all__ = [
    "Control", "CONTROLS", "Cluster", "Window", "Aggregation", "AGGREGATIONS", "Language",
    "LANGUAGES", "DEFAULT_CLUSTER", "SHARED_OPTIONS",
]

Control = Literal["never", "not_yet", "last"]
CONTROLS: tuple[str, ...] = get_args(Control)

Aggregation = Literal["simple", "event", "cohort", "calendar"]
AGGREGATIONS: tuple[str, ...] = get_args(Aggregation)

Language = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = get_args(Language)

Cluster = str | Sequence[str] | None
Window = tuple[int, int]

DEFAULT_CLUSTER = "unit"

# the arguments whose name and meaning are the same in every estimator that takes them
SHARED_OPTIONS: tuple[str, ...] = (
    "control", "controls", "covariates", "cluster", "weights", "window", "reference",
    "anticipation", "fixed_effects", "alpha", "seed", "n_boot",
)
