"""Moderation: D × Z with the design of the main effect (heterogeneity, not mechanism)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .._provenance import records_panel
from ..design import FESpec, check_panel_outcome
from ..errors import SpecificationError
from ..estimators.twfe import twfe_fit
from ..panel import Panel
from ..result import Result
from ..validation import (
    ColumnName,
    as_tuple,
    check_alpha,
    check_columns,
    check_outcome_varies,
)
from .text import MODERATION_LABEL

__all__ = ["moderation"]


@records_panel
def moderation(
    panel: Panel,
    outcome: str,
    moderator: str,
    *,
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | Sequence[str] | None = "unit",
    center: bool = True,
    alpha: float = 0.05,
) -> Result:
    """Does the effect of the pilot vary with a moderator Z? (D × Z, TWFE design)

    Estimates ``Y = β D + δ D·(Z − z̄) + θ Z + X'γ + FE + e`` with the fixed effects,
    clustering and controls of the main effect. When Z is constant within units and unit
    effects are absorbed, ``θ Z`` is absorbed too and left out (noted).

    Parameters
    ----------
    panel : Panel
    outcome : str
    moderator : str
        Numeric column Z (time-invariant, e.g. a 2014 characteristic, or time-varying).
    controls, fixed_effects, cluster, alpha
        As :func:`did_zones.twfe`.
    center : bool, default True
        Center Z at its mean over the estimation rows, so ``β`` is the effect at the mean
        of Z; otherwise ``β`` is the effect at Z = 0.

    Returns
    -------
    Result
        ``method="moderation"``; terms ``"treated"`` (β), ``"treated:<Z>"`` (δ), then
        ``<Z>`` when time-varying, then the controls. ``primary="treated:<Z>"``; ``notes``
        label the result as heterogeneity, not mechanism; ``extra["center"]`` is the value
        subtracted from Z.

    Raises
    ------
    SpecificationError
        Unknown or non-numeric moderator; a moderator that is the outcome, the treatment, a
        control, or constant.

    Notes
    -----
    Moderation describes heterogeneity of the effect across Z. It does not show that the
    effect runs through Z (江艇 2022, 中国工业经济 (5): 100–120).

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1, effect="homogeneous")
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.moderation(panel, "isu", "lnpop")
    >>> res.terms[:3]
    ['treated', 'treated:lnpop', 'lnpop']
    """
    check_panel_outcome(panel, outcome)
    check_outcome_varies(panel.column(outcome), outcome)
    check_alpha(alpha)
    controls = as_tuple(controls)
    ColumnName(allow_none=False)("moderator", moderator)
    check_columns(panel.data, [moderator, *controls], what="Column")
    if moderator == outcome or moderator in controls or moderator == "treated":
        raise SpecificationError(
            f"The moderator {moderator!r} must differ from the outcome, the treatment and "
            "the controls."
        )
    z = panel.column(moderator)
    ok = np.isfinite(z)
    if not ok.any() or np.ptp(z[ok]) == 0:
        raise SpecificationError(
            f"The moderator {moderator!r} is constant (or all missing), so the effect cannot "
            "vary with it."
        )
    lo = np.full(panel.n_units, np.inf)
    hi = np.full(panel.n_units, -np.inf)
    np.minimum.at(lo, panel.unit_id[ok], z[ok])
    np.maximum.at(hi, panel.unit_id[ok], z[ok])
    invariant = bool(np.all(hi[np.isfinite(hi)] == lo[np.isfinite(lo)]))
    fes = tuple(fixed_effects)
    absorbed = invariant and ("unit" in fes or panel.unit in fes)

    # the estimation rows: those twfe keeps for Y, Z and the controls
    usable = ok & np.isfinite(panel.column(outcome))
    for c in controls:
        usable &= np.isfinite(panel.column(c))
    zbar = float(z[usable].mean()) if center and usable.any() else 0.0
    inter = f"treated:{moderator}"
    d = panel.treated.astype(float)
    terms = {"treated": d, inter: d * (z - zbar)}  # arrays for the design, no new columns
    if not absorbed:
        terms[moderator] = z - zbar
    res = twfe_fit(panel, outcome, terms, controls=controls, fixed_effects=fes,
                   cluster=cluster, alpha=alpha)
    keys = res.keys.copy()
    keys.loc[inter, "role"] = "interaction"
    if moderator in keys.index:
        keys.loc[moderator, "role"] = "moderator"
    notes = list(res.notes)
    if absorbed:
        notes.append(f"The moderator {moderator!r} is constant within units: its main effect "
                     "is absorbed by the unit fixed effects and not estimated.")
    if center:
        notes.append(f"{moderator!r} centered at its sample mean {zbar:.6g}: 'treated' is "
                     "the effect at the mean of the moderator.")
    notes.append(MODERATION_LABEL)
    spec = dict(res.spec, moderator=moderator, center=center, controls=controls)
    return replace(res, method="moderation", keys=keys, primary=inter, notes=tuple(notes),
                   spec=spec, extra=dict(res.extra, center=zbar, time_invariant=invariant))
