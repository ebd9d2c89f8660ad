"""From a Panel to the units × periods outcome matrix of the synthetic estimators, with the
checks at the door: a balanced panel without missing outcomes, never-treated donors, and
treated units with pre-periods."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..design import check_panel_outcome
from ..errors import PanelError, SpecificationError
from ..panel import Panel
from ..validation import check_outcome_varies, examples

__all__ = ["SyntheticData", "synthetic_data"]


@dataclass(frozen=True)
class SyntheticData:
    """The outcome matrix ``Y`` (units × periods, rows in ``panel.units`` order), the
    periods, and per unit its cohort (``inf``: donor) restricted to the analysed units.

    ``treated`` / ``donors`` index the rows of ``Y``; ``cohort[treated]`` are finite.
    Units treated but not analysed (outside ``treated=``) are in neither.
    """

    Y: np.ndarray
    units: pd.Index
    periods: np.ndarray
    cohort: np.ndarray
    treated: np.ndarray
    donors: np.ndarray

    @property
    def cohorts(self) -> np.ndarray:
        """Sorted distinct cohorts of the analysed treated units."""
        return np.unique(self.cohort[self.treated])


def _wide(panel: Panel, outcome: str) -> np.ndarray:
    y = panel.column(outcome)
    bad = ~np.isfinite(y)
    if bad.any():
        who = pd.unique(panel.units[panel.unit_id[bad]])
        raise PanelError(
            f"Outcome {outcome!r} is missing (or not finite) in {int(bad.sum())} row(s) of "
            f"{who.size} unit(s), e.g. {examples(who)}. Synthetic control and synthetic DiD "
            "need every unit's whole path: drop these units (panel.drop_units([...])) or "
            "fill the gaps before building the panel.")
    if not panel.is_balanced:
        counts = np.bincount(panel.unit_id, minlength=panel.n_units)
        short = panel.units[counts < panel.n_periods]
        raise PanelError(
            f"The panel is unbalanced: {short.size} of {panel.n_units} unit(s) lack some of "
            f"the {panel.n_periods} periods ({panel.n_units * panel.n_periods - panel.n_obs} "
            f"unit-period rows missing), e.g. {examples(short)}. Synthetic control and "
            "synthetic DiD need a balanced panel: drop these units (panel.drop_units([...])) "
            "or restrict the years (panel.window(start, end)).")
    Y = np.empty((panel.n_units, panel.n_periods))
    Y[panel.unit_id, panel.period_id] = y
    return Y


def _has(index: pd.Index, label) -> bool:
    try:
        return label in index and isinstance(index.get_loc(label), (int, np.integer))
    except (TypeError, ValueError, KeyError):
        return False


def _select(panel: Panel, treated: Iterable | None) -> np.ndarray:
    """Rows of the treated units analysed (all ever-treated units when ``treated`` is None)."""
    ever = np.flatnonzero(np.isfinite(panel.cohort))
    if treated is None:
        return ever
    if isinstance(treated, (str, bytes)) or np.ndim(treated) == 0:
        wanted = [treated]
    else:
        wanted = list(treated)
    if not wanted:
        raise SpecificationError("treated is empty; pass unit labels, or None for every "
                                 "treated unit.")
    # label by label: a label of another type (330100.0, "330100") is looked up as given
    pos = np.array([panel.units.get_loc(w) if _has(panel.units, w) else -1 for w in wanted])
    unknown = [w for w, p in zip(wanted, pos, strict=True) if p < 0]
    if unknown:
        raise SpecificationError(
            f"treated names {len(unknown)} unit(s) not in the panel, e.g. "
            f"{examples(unknown)}. Use labels of the panel's unit column "
            f"{panel.unit!r} (e.g. {examples(panel.units[ever][:3])}).")
    never = [w for w, p in zip(wanted, pos, strict=True) if not np.isfinite(panel.cohort[p])]
    if never:
        raise SpecificationError(
            f"treated names {len(never)} never-treated unit(s), e.g. {examples(never)}: "
            "they have no pilot date in the panel. Name pilot units only (finite cohort).")
    return np.unique(pos)


def synthetic_data(panel: Panel, outcome: str, treated: Iterable | None) -> SyntheticData:
    """Check the panel and return its outcome matrix with the treated and donor rows.

    Raises
    ------
    PanelError
        Missing outcomes, an unbalanced panel, no never-treated unit, a treated unit
        without a pre-period or post-period, treatment that switches off.
    SpecificationError
        Unknown column or unit labels.
    """
    check_panel_outcome(panel, outcome)
    panel.require_absorbing()
    check_outcome_varies(panel.column(outcome), outcome)
    Y = _wide(panel, outcome)
    rows = _select(panel, treated)
    donors = np.flatnonzero(panel.never_treated)
    if donors.size == 0:
        raise PanelError(
            f"No never-treated units in the panel ({panel.n_units} units, all with a pilot "
            "date): synthetic control and synthetic DiD build the comparison from units "
            "never treated. Add never-pilot units, or end the panel before the last cohort "
            "(panel.window(end=...)) so that its units count as never treated.")
    if rows.size == 0:
        raise PanelError("No treated unit in the panel: every unit is never treated. Give "
                         "the pilot dates (build_panel(cohort=...)).")
    periods = np.asarray(panel.periods)
    g = panel.cohort[rows]
    no_pre = rows[g <= periods[0]]
    no_post = rows[g > periods[-1]]
    for bad, what in ((no_pre, f"no period before their pilot (first period {periods[0]})"),
                      (no_post, f"no period from their pilot on (last period {periods[-1]})")):
        if bad.size:
            raise PanelError(
                f"{bad.size} treated unit(s) have {what}, e.g. "
                f"{examples(panel.units[bad])}. Leave them out with treated=[...] or "
                "panel.drop_units([...]).")
    cohort = np.full(panel.n_units, np.inf)
    cohort[rows] = g
    return SyntheticData(Y=Y, units=panel.units, periods=periods, cohort=cohort,
                         treated=rows, donors=donors)
