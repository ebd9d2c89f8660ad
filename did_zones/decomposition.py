"""Result types of the TWFE diagnostics: decompositions, not estimates with a variance.

:func:`~did_zones.bacon_decomposition` and :func:`~did_zones.twfe_weights` split the
two-way fixed-effects coefficient into parts (2×2 comparisons, cohort × period weights).
Those parts have no sampling variance of their own, so they are not :class:`~did_zones.Result`
objects (which would carry an all-NaN vcov): they get the two small frozen types below, with
the same result protocol (``tidy``, ``glance``, ``summary``, ``to_table``) and the ``method`` /
``spec`` / ``outcome`` that :func:`~did_zones.rerun` needs to estimate them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from ._render import render
from .validation import unknown_key_message

__all__ = ["BaconDecomposition", "TwfeWeights"]


class _Decomposition:
    """What the two diagnostic types share: terms, item access, the protocol methods."""

    estimate: pd.Series
    keys: pd.DataFrame
    method: ClassVar[str]
    outcome: str
    n_obs: int
    n_units: int
    stats: Mapping[str, Any]
    notes: tuple[str, ...]

    @property
    def terms(self) -> list[str]:
        """Term names, in order."""
        return list(self.estimate.index)

    def __getitem__(self, term: str) -> float:
        """The value of ``term`` (e.g. ``res["twfe"]``)."""
        if term not in self.estimate.index:
            raise KeyError(unknown_key_message(term, self.terms))
        return float(self.estimate[term])

    def tidy(self) -> pd.DataFrame:
        """One row per term: ``term``, ``estimate``, then the ``keys`` columns.

        No ``std_error`` / ``statistic`` / ``p_value`` / ``conf_low`` / ``conf_high``
        columns: the parts of a decomposition have no sampling variance.
        """
        out = pd.DataFrame({"term": self.estimate.index, "estimate": self.estimate.to_numpy()})
        keys = self.keys.reset_index(drop=True)
        return pd.concat([out, keys[[c for c in keys.columns if c not in out]]], axis=1)

    def glance(self) -> pd.DataFrame:
        """One row: method, outcome, n_obs, n_units, notes (their count), then ``stats``."""
        row: dict[str, Any] = {"method": self.method, "outcome": self.outcome,
                               "n_obs": self.n_obs, "n_units": self.n_units,
                               "notes": len(self.notes)}
        row.update(dict(self.stats))
        return pd.DataFrame([row])

    def summary(self) -> str:
        """Plain-text summary (rendered by :mod:`did_zones.tables`)."""
        return render(self, "summary")

    def to_table(self):
        """The result as a :class:`did_zones.tables.Table`."""
        return render(self, "table")


@dataclass(frozen=True, eq=False)
class BaconDecomposition(_Decomposition):
    """Goodman-Bacon (2021) decomposition of the TWFE coefficient (immutable).

    Returned by :func:`did_zones.bacon_decomposition`.

    Attributes
    ----------
    estimate : pandas.Series
        Indexed by term: ``"twfe"`` (the TWFE coefficient β), then one ``"2x2:<g>v<k>"`` per
        comparison (``k`` = ``never`` for the never-treated) holding its 2×2 estimate and,
        with controls, ``"within"``.
    keys : pandas.DataFrame
        One row per term (index = term): ``type``, ``cohort`` (the treated group),
        ``control_cohort`` (``inf`` = never treated), ``weight``, ``window_start`` /
        ``window_end`` (periods of the 2×2 subsample), ``n_treated`` / ``n_control``
        (units), ``time`` and ``event_time`` (NaN).
    comparisons : pandas.DataFrame
        The comparisons as a table: ``term, type, cohort, control_cohort, estimate,
        weight, window_start, window_end, n_treated, n_control``.
    by_type : pandas.DataFrame
        Per comparison type: ``type``, total ``weight``, weighted-average ``estimate``,
        ``n_comparisons``.
    outcome : str
        Outcome column.
    spec : mapping
        ``weights`` and ``controls``: the options, enough to :func:`~did_zones.rerun` it.
    n_obs, n_units : int
        Rows and units used.
    stats : mapping
        ``twfe``, ``weight_sum``, ``decomposition_error`` (``|β − Σ s·β̂_2x2|``), ``var_d``
        (the residualised treatment variance), ``n_comparisons`` and, per comparison type
        ``x``, ``weight_x`` and ``estimate_x``; with controls also ``omega``.
    dropped_controls : tuple of str
        Controls dropped as collinear with the unit and period effects.
    notes : tuple of str
        What happened to the data.
    panel_fingerprint : str or None
        Fingerprint of the panel it was computed on.
    panel_shape : (int, int) or None
        Units and periods of that panel.
    """

    estimate: pd.Series
    keys: pd.DataFrame
    comparisons: pd.DataFrame
    by_type: pd.DataFrame
    outcome: str
    spec: Mapping[str, Any]
    n_obs: int
    n_units: int
    stats: Mapping[str, Any] = field(default_factory=dict)
    dropped_controls: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    panel_fingerprint: str | None = None
    panel_shape: tuple[int, int] | None = None

    method: ClassVar[str] = "bacon_decomposition"
    #: The headline term (the TWFE coefficient).
    primary: ClassVar[str] = "twfe"

    @property
    def twfe(self) -> float:
        """The TWFE coefficient β that the comparisons decompose."""
        return float(self.estimate["twfe"])

    def __repr__(self) -> str:
        return (f"BaconDecomposition(outcome={self.outcome!r}, twfe={self.twfe:.6g}, "
                f"{len(self.comparisons)} comparison(s))")


@dataclass(frozen=True, eq=False)
class TwfeWeights(_Decomposition):
    """de Chaisemartin & D'Haultfœuille (2020) weights of the TWFE coefficient (immutable).

    Returned by :func:`did_zones.twfe_weights`.

    Attributes
    ----------
    estimate : pandas.Series
        Indexed by term: ``"twfe"`` (β; only with an outcome), then one
        ``"w:<cohort>:<period>"`` per treated cohort × period cell holding its weight
        ``W_gt`` (the weights sum to one).
    keys : pandas.DataFrame
        One row per term: ``kind`` (``"twfe"`` or ``"weight"``), ``cohort``, ``time``,
        ``event_time``, ``n_units``, ``share`` (``N_gt/N_1``), ``w`` (``W_gt/share``),
        ``n_negative_units``.
    weights : pandas.DataFrame
        The cell table: ``term, cohort, time, event_time, weight, share, w, n_units,
        n_negative_units``.
    unit_weights : pandas.DataFrame
        One row per treated unit-period: ``unit, time, cohort, weight, w``.
    outcome : str
        Outcome column (``""`` without one).
    spec : mapping
        ``controls`` and ``weights``: the options, enough to :func:`~did_zones.rerun` it.
    n_obs, n_units : int
        Rows and units used.
    stats : mapping
        ``beta``, ``n_cells``, ``n_positive``, ``n_negative``, ``share_positive``,
        ``share_negative``, ``sum_positive``, ``sum_negative``, ``n_unit_cells``,
        ``n_positive_unit_cells``, ``n_negative_unit_cells``,
        ``share_negative_unit_cells``, ``sum_negative_unit_cells``, ``sigma_w``,
        ``sigma_fe``, ``sigma_fe_stata``, ``sigma_fe_opposite`` (see
        :func:`~did_zones.twfe_weights`).
    primary : str or None
        ``"twfe"`` with an outcome, else None.
    dropped_controls : tuple of str
        Controls dropped as collinear with the fixed effects.
    notes : tuple of str
        What happened to the data.
    panel_fingerprint : str or None
        Fingerprint of the panel it was computed on.
    panel_shape : (int, int) or None
        Units and periods of that panel.
    """

    estimate: pd.Series
    keys: pd.DataFrame
    weights: pd.DataFrame
    unit_weights: pd.DataFrame
    outcome: str
    spec: Mapping[str, Any]
    n_obs: int
    n_units: int
    stats: Mapping[str, Any] = field(default_factory=dict)
    primary: str | None = None
    dropped_controls: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    panel_fingerprint: str | None = None
    panel_shape: tuple[int, int] | None = None

    method: ClassVar[str] = "twfe_weights"

    @property
    def beta(self) -> float:
        """The TWFE coefficient (NaN without an outcome)."""
        return float(self.stats["beta"])

    def __repr__(self) -> str:
        return (f"TwfeWeights(outcome={self.outcome!r}, beta={self.beta:.6g}, "
                f"{int(self.stats['n_cells'])} cell(s), {int(self.stats['n_negative'])} "
                "negative)")
