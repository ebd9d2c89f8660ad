"""A triple-difference version of the pilot-panel simulator (:func:`simulate_ddd_panel`).

Each prefecture of :func:`~did_zones.simulate_pilot_panel` (real pilot timing, the untreated
ISU path of the calibrated simulator) is split into two sectors, ``grp = 1`` (eligible, e.g.
export-oriented industries) and ``grp = 0``. Trends differ by state and by sector, so that
plain DiD fails both across states and within states while the triple difference holds, and
the effect grows with exposure and differs by cohort, the case where the three-way
fixed-effects regression is biased (Ortiz-Villavicencio & Sant'Anna 2025).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import SpecificationError

__all__ = ["simulate_ddd_panel", "SimulatedDDD"]


@dataclass(frozen=True)
class SimulatedDDD:
    """A simulated city × sector × year panel with its true effects.

    Attributes
    ----------
    data : pandas.DataFrame
        ``unit`` (city_code·10 + grp), ``city_code``, ``grp`` (0/1), ``year``, ``cohort``
        (0 = never), ``y``, ``y0`` (the untreated outcome), ``lngdp_pc``.
    att_gt : pandas.DataFrame
        True ATT(g,t) of the eligible sector: ``cohort``, ``time``, ``event_time``, ``att``
        (every treated eligible unit of cohort g has exactly this effect at t).
    att_event : pandas.Series
        True ATT(e), e ≥ 0, averaging the cohorts observed at e with weights ∝ cohort size
        (the weights of :func:`did_zones.aggregate` and of both ``cohort_weights``).
    overall : float
        Mean of ``att_event`` (the estimand of ``triple_difference``'s ``"overall"``).
    simple : float
        Cohort-size-weighted mean of every post-treatment ATT(g,t) (``extra["simple"]``).
    """

    data: pd.DataFrame
    att_gt: pd.DataFrame
    att_event: pd.Series
    overall: float
    simple: float


def simulate_ddd_panel(
    seed: int | None = 0,
    years: tuple[int, int] = (2010, 2021),
    *,
    effect: float = 0.03,
    growth: float = 0.5,
    cohort_spread: float = 0.5,
    state_trend: float = 0.004,
    group_trend: float = 0.003,
    noise: float = 0.01,
) -> SimulatedDDD:
    """Simulate a pilot panel with an eligibility partition for triple differences.

    ``y_iqt = ISU_it(0) + a_iq + state_trend·1{pilot city}·(t − t0) + group_trend·q·(t − t0)
    + τ_{g, t−g}·q·1{t ≥ g} + ε_iqt`` with ``τ_{g,e} = effect·m_g·(1 + growth·e)`` and
    ``m_g`` falling linearly from ``1 + cohort_spread`` (first cohort) to
    ``1 − cohort_spread`` (last). Pilot cities trend differently from the others and the
    eligible sector differently from the ineligible one (both plain DiDs are biased), but
    the eligible–ineligible gap in trends is the same in every state: DDD parallel trends
    hold.

    Parameters
    ----------
    seed : int or None
        Seed of :func:`numpy.random.default_rng` (also passed to
        :func:`~did_zones.simulate_pilot_panel` for the city panel).
    years : (int, int)
        First and last year, as in :func:`~did_zones.simulate_pilot_panel`.
    effect, growth, cohort_spread : float
        Effect size, growth per year of exposure, and spread of the cohort multipliers.
    state_trend, group_trend : float
        Extra yearly trend of pilot cities and of the eligible sector.
    noise : float
        Sd of the sector-year shocks (sector levels have sd ``5·noise``).

    Returns
    -------
    SimulatedDDD

    Raises
    ------
    SpecificationError
        A negative ``noise`` or ``growth <= -1``.

    Examples
    --------
    >>> from did_zones import simulate_ddd_panel
    >>> sim = simulate_ddd_panel(seed=1)
    >>> sorted(sim.data["grp"].unique().tolist()), round(sim.overall, 4) > 0
    ([0, 1], True)
    """
    import warnings

    from .simulate import simulate_pilot_panel

    if not np.isfinite(noise) or noise < 0:
        raise SpecificationError(f"noise must be a non-negative number; got {noise!r}.")
    if not growth > -1:
        raise SpecificationError(f"growth must exceed -1; got {growth!r}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        city = simulate_pilot_panel(seed=seed, years=years, effect="none").data
    rng = np.random.default_rng(None if seed is None else [seed, 7])
    n_c = city["city_code"].nunique()
    yrs = np.sort(city["year"].unique())
    T = yrs.size
    isu0 = city["isu"].to_numpy().reshape(n_c, T)
    g_city = city["cohort"].to_numpy().reshape(n_c, T)[:, 0].astype(float)
    codes = city["city_code"].to_numpy().reshape(n_c, T)[:, 0]
    lngdp = city["lngdp_pc"].to_numpy().reshape(n_c, T)
    cohorts = np.unique(g_city[g_city > 0])
    span = max(cohorts.max() - cohorts.min(), 1.0) if cohorts.size else 1.0
    mult = {g: 1 + cohort_spread - 2 * cohort_spread * (g - cohorts.min()) / span
            for g in cohorts}
    # units: city × sector, sorted by city then sector
    q = np.tile([0, 1], n_c)
    g_u = np.repeat(g_city, 2)
    trend = (yrs - yrs[0])[None, :]
    pilot = (g_u > 0)[:, None]
    level = rng.normal(0.0, 5 * noise, size=(2 * n_c, 1))
    y0 = (np.repeat(isu0, 2, axis=0) + level + state_trend * pilot * trend
          + group_trend * q[:, None] * trend + rng.normal(0.0, noise, size=(2 * n_c, T)))
    e = yrs[None, :] - g_u[:, None]
    on = (g_u[:, None] > 0) & (e >= 0) & (q[:, None] == 1)
    m_u = np.array([mult.get(g, 0.0) for g in g_u])[:, None]
    tau = np.where(on, effect * m_u * (1 + growth * np.maximum(e, 0)), 0.0)
    data = pd.DataFrame({
        "unit": np.repeat(codes * 10, 2).repeat(T) + np.repeat(q, T),
        "city_code": np.repeat(codes, 2).repeat(T), "grp": np.repeat(q, T),
        "year": np.tile(yrs, 2 * n_c), "cohort": np.repeat(g_u, T).astype(int),
        "y": (y0 + tau).ravel(), "y0": y0.ravel(),
        "lngdp_pc": np.repeat(lngdp, 2, axis=0).ravel()})
    # the truth: ATT(g,t), and ATT(e) weighted by cohort size (cities per cohort)
    rows = [(g, t, t - g, effect * mult[g] * (1 + growth * (t - g)))
            for g in cohorts for t in yrs if t >= g]
    att_gt = pd.DataFrame(rows, columns=["cohort", "time", "event_time", "att"])
    size = pd.Series(g_city[g_city > 0]).value_counts()
    att_gt["w"] = att_gt["cohort"].map(size).astype(float)
    ev = att_gt.groupby("event_time").apply(
        lambda d: float(np.sum(d["att"] * d["w"]) / d["w"].sum()), include_groups=False)
    simple = float(np.sum(att_gt["att"] * att_gt["w"]) / att_gt["w"].sum())
    return SimulatedDDD(data=data, att_gt=att_gt.drop(columns="w"),
                        att_event=ev.rename("att"), overall=float(ev.mean()), simple=simple)
