"""A calibrated simulator of the pilot-zone city panel with known true effects.

:func:`simulate_pilot_panel` draws a prefecture-year panel on the real universe of 337
prefecture-level units with the real pilot timing (:func:`~did_zones.registry.zone_cohorts`),
industrial-structure outcomes whose moments follow the China City Statistical Yearbook
(``calibration.md``: levels, between/within spread, a nonlinear common trend, AR(1) residuals,
selection of pilots on levels), covariates like the literature's controls and an e-commerce
mediator. Treatment effects are set by the caller and known exactly: every draw also returns
the untreated potential outcomes, and the truth is computed from them.

The model, in brief (``i`` city, ``t`` year, ``d`` = 1 from the city's cohort on)::

    ecom_it(d) = ecom_it(0) + a * h_it * d                               mediator
    ISU_it(d)  = ISU_it(0) + b * (ecom_it(d) - ecom_it(0)) + c * h_it * d
    ISU_it(0)  = 2 - r_it + s3base_it * (1 + r_it)                         shares
                 + b * (ecom_it(0) - mean_i ecom_it(0)) + level trend
    h_it       = effect profile, 0 before treatment (see ``effect``)

where ``r = s1 / (s1 + s2)`` is not moved by the mediator or the pilot: they move output into
services from agriculture and industry in proportion to their sizes, so every shift of ISU
is an exact shift of ``s3`` by ``shift / (1 + r)``, ``s1 + s2 + s3 = 1`` and the shares stay
in (0, 1).

With ``mechanism=`` four more mediators carry the study's two-sided mechanism
(``ecom -> imports -> consumption`` and ``ecom -> exports -> innovation``, then ISU), drawn
from a child random stream; see the Notes of :func:`simulate_pilot_panel` and
``did_zones/_simchain.py``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from typing import Literal

import numpy as np
import pandas as pd

from . import _simchain, _simspill
from ._simchain import DEFAULT_MECHANISM
from .errors import DataDroppedWarning, SpecificationError, warn
from .registry import (
    COUNTY_LEVELS,
    DEFAULT_BATCHES,
    TIMINGS,
    CountyLevel,
    Timing,
    load_cities,
    load_zones,
)
from .registry import zone_cohorts as _zone_cohorts
from .validation import Choice, Real, check, examples

__all__ = ["simulate_pilot_panel", "SimulatedPanel", "SimulationTruth", "EFFECTS",
           "DEFAULT_MECHANISM"]

Effect = Literal["none", "homogeneous", "heterogeneous"]
EFFECTS: tuple[str, ...] = ("none", "homogeneous", "heterogeneous")

#: Default multiplier of the effect by batch under ``effect="heterogeneous"``: early, larger
#: and more connected zones gain more.
DEFAULT_BATCH_EFFECTS: Mapping[int, float] = {
    1: 1.6, 2: 1.4, 3: 1.2, 4: 1.0, 5: 0.8, 6: 0.7, 7: 0.6,
}

_YEAR_RANGE = (2000, 2035)

# ----------------------------------------------------------------------------------------
# Calibration constants. Chosen so that a draw reproduces calibration.md (see the table in
# the docstring of simulate_pilot_panel and tests/test_simulate.py); not user options.
# ----------------------------------------------------------------------------------------
# Year means of the tertiary share s3 and the primary share s1 over 2010-2021 (nonlinear:
# flat to 2012, steep to 2018, the 2019 census jump, a dip in 2021). ISU = 2 + s3 - s1.
_S3_PATH = np.array(
    [0.356, 0.357, 0.364, 0.379, 0.395, 0.418, 0.434, 0.446, 0.456, 0.484, 0.491, 0.483]
)
_S1_PATH = np.array(
    [0.128, 0.127, 0.127, 0.126, 0.125, 0.125, 0.124, 0.123, 0.122, 0.120, 0.121, 0.120]
)
_PATH_START = 2010
_S3_CEILING = 0.80
_S3_SLOPE_AFTER = 0.006  # yearly change of the s3 mean after 2021 (extension, not calibrated)
_S1_SLOPE_AFTER = -0.001
# log GDP per capita: yearly growth of the mean (nominal), 2011-2021
_GDP_GROWTH = np.array([0.14, 0.10, 0.08, 0.07, 0.05, 0.06, 0.08, 0.07, 0.05, 0.02, 0.09])
_GDP_MEAN_2010 = 10.26
_GDP_GROWTH_OUTSIDE = 0.06
_ECOM_GROWTH = 0.15  # yearly growth of the e-commerce index

# Selection: the pilot index is the standardized sum of a mean by the batch of the
# prefecture's own (prefecture-level) designation (0 = none) and a bonus for capitals,
# sub-provincial cities and municipalities. It is fixed by the registry, not drawn.
_DEV_MEAN = {0: 0.0, 1: 2.4, 2: 2.4, 3: 2.1, 4: 1.5, 5: 0.9, 6: 0.6, 7: 0.4}
_DEV_FLAG = 0.5  # extra development of capitals, sub-provincial cities and municipalities


@dataclass(frozen=True)
class _Cal:
    """Calibration constants. ``*_level``: sd of a city effect; ``*_sel`` and ``*_load``:
    its loadings on the (standardized) pilot index and on the common unobserved development
    factor; ``*_sd``: stationary sd of the AR(1) error; ``rho``: its autocorrelation."""

    # output shares (logit scale): s3 and r = s1 / (s1 + s2)
    s3_level: float = 0.23
    s3_sel: float = 0.33
    s3_load: float = 0.30
    s3_skew: float = 0.70
    r_level: float = 0.80
    r_sel: float = -0.48
    r_load: float = 0.25
    rho: float = 0.78
    s3_sd: float = 0.18
    r_sd: float = 0.3
    r_corr: float = 0.6  # correlation of the s3 and r innovations
    s3_slope: float = 0.0  # sd of city-specific logit-s3 trends, per year
    # covariates
    gdp_level: float = 0.53
    gdp_sel: float = 0.58
    gdp_load: float = 0.50
    gdp_sd: float = 0.17
    gdp_rho: float = 0.85
    gdp_slope: float = 0.025  # sd of city-specific growth rates
    pop_level: float = 0.77
    pop_sel: float = 0.35
    pop_load: float = 0.20
    pop_mean: float = 5.80
    pop_sd: float = 0.15
    pop_rho: float = 0.6
    gov_level: float = 0.45  # logit of fiscal spending / GDP
    gov_mean: float = -1.35
    gov_sel: float = -0.40
    gov_load: float = -0.40
    gov_sd: float = 0.08
    fin_level: float = 0.40  # log of loans / GDP
    fin_mean: float = -0.05
    fin_sel: float = 0.40
    fin_load: float = 0.40
    fin_sd: float = 0.06
    open_level: float = 1.00  # log of trade / GDP
    open_mean: float = -2.6
    open_sel: float = 0.40
    open_load: float = 0.40
    open_coastal: float = 0.8
    open_sd: float = 0.15
    # e-commerce index (mediator), in between-city sd units
    ecom_sel: float = 0.50
    ecom_load: float = 0.50
    ecom_sd: float = 0.25
    ecom_rho: float = 0.6
    # urban-unit employment shares for the Theil index
    l1_mean: float = -5.15  # logit of the primary employment share
    l1_level: float = 0.9
    l1_load: float = 0.8  # loading on the output logit-r city effect (standardized)
    l1_sd: float = 0.6
    l1_rho: float = 0.6
    m_shift: float = 0.25  # logit tertiary fraction of non-primary employment vs output
    m_level: float = 0.30
    m_sd: float = 0.10


_CAL = _Cal()


# ----------------------------------------------------------------------------------------
# Result containers
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SimulationTruth:
    """True effects of a simulated panel (exact by construction).

    Attributes
    ----------
    att_gt : pandas.DataFrame
        One row per treated cohort and year of the panel: ``cohort``, ``time``,
        ``event_time`` (time - cohort), ``n_units``, ``att`` (true ATT(g, t) of the main
        outcome ``isu``: the mean over the cohort's units of ISU(1) - ISU(0); 0 before
        treatment) and ``att_ecom`` (the same for the mediator). ``s3`` has the same effect
        in share units divided by ``1 + r`` city by city, so only ``isu`` has a simple truth.
    event_time : pandas.DataFrame
        ``event_time``, ``att``, ``att_ecom``, ``n_cohorts``, ``n_units``: the cohort-size
        weighted mean of ATT(g, g + e) over the cohorts observed at event time ``e``
        (Callaway-Sant'Anna "dynamic" aggregation).
    overall : float
        Callaway-Sant'Anna "simple" ATT: post-treatment cells (t >= g) weighted by cohort
        size, i.e. the mean effect over all treated city-years.
    a : float
        Effect of the pilot on the mediator ``ecom``, aggregated like ``overall``.
    b : float
        Effect of one unit of ``ecom`` on ``isu`` (the same for natural and pilot-induced
        variation of the mediator). With ``mechanism=`` it is the *total* effect of ``ecom``
        (the argument ``b`` plus every path through imports, exports, consumption and
        innovation), the coefficient a regression of ``isu`` on ``ecom`` alone identifies.
    indirect : float
        ``a * b``: the part of ``overall`` that runs through the mediator.
    direct : float
        The rest: ``overall - indirect`` (exactly, up to rounding). With ``mechanism=`` it is
        also the direct effect ``D -> isu`` (no other edge leaves ``D``).
    params : dict
        Every parameter of the draw, including ``seed``, the cohort coding and the effect
        settings (and ``mechanism``, the structural coefficients, when it is set).
    mechanism : pandas.DataFrame or None
        Only with ``mechanism=``: one row per path from the pilot ``D`` to ``isu``, columns
        ``path`` (e.g. ``"D -> ecom -> imports -> consumption -> isu"``), ``side``
        (``"common"`` for ``D -> ecom -> isu``, ``"demand"`` through imports/consumption,
        ``"supply"`` through exports/innovation, ``"direct"`` for ``D -> isu``), ``effect``
        (the specific effect: mean over treated city-years, ISU units) and ``product`` (the
        product of the path's coefficients after ``D -> ecom``, so ``effect = a *
        product``; NaN on the direct row). The effects sum to ``overall``.
    coefficients : pandas.DataFrame or None
        Only with ``mechanism=``: every structural edge, columns ``source``, ``target``,
        ``coefficient`` (``D -> ecom`` per treated city-year, ``D -> isu`` per unit of the
        effect profile ``h``).
    demand_total, supply_total, common_total : float
        Sums of ``mechanism.effect`` over the demand-side paths, the supply-side paths and
        the path ``D -> ecom -> isu`` (NaN without ``mechanism=``).
    spillover : pandas.DataFrame or None
        Only with ``spillover=``: one row per ring, ``ring`` (the term name of
        :func:`~did_zones.ring_did`, e.g. ``"spillover[0-50km)"``), ``lower_km``,
        ``upper_km``, ``effect`` (the true ISU spillover on every untreated city-year in
        the ring), ``n_obs`` and ``n_units`` (exposed city-years and cities).
    exposure : pandas.DataFrame or None
        Only with ``spillover=``: one row per city-year (aligned with ``data``):
        ``city_code``, ``year``, ``nearest_km`` (km to the nearest city treated by that
        year, ``inf`` before any), ``ring`` (None when treated or outside the rings) and
        ``spillover`` (the true effect of that city-year, 0 when not exposed).
    """

    att_gt: pd.DataFrame
    event_time: pd.DataFrame
    overall: float
    a: float
    b: float
    indirect: float
    direct: float
    params: dict = field(default_factory=dict)
    mechanism: pd.DataFrame | None = None
    coefficients: pd.DataFrame | None = None
    demand_total: float = float("nan")
    supply_total: float = float("nan")
    common_total: float = float("nan")
    spillover: pd.DataFrame | None = None
    exposure: pd.DataFrame | None = None

    @property
    def total(self) -> float:
        """The total effect on ``isu`` over treated city-years: the same as ``overall``."""
        return self.overall

    @property
    def share_mediated(self) -> float:
        """True share of ``overall`` that runs through the mediator: ``indirect / overall``."""
        return self.indirect / self.overall if self.overall else float("nan")

    def event_effects(self, outcome: str) -> pd.Series | None:
        """True effects by event time of ``outcome`` (``"isu"`` or ``"ecom"``), else None.

        The other outcomes have no simple truth (their effects are nonlinear in the share
        shift, city by city), so None says "not known".
        """
        column = {"isu": "att", "ecom": "att_ecom"}.get(outcome)
        if column is None:
            return None
        et = self.event_time
        return pd.Series(et[column].to_numpy(float),
                         index=pd.Index(et["event_time"].to_numpy(), name="event_time"),
                         name=outcome)

    def __repr__(self) -> str:
        return (
            f"SimulationTruth(overall={self.overall:.6g}, a={self.a:.6g}, b={self.b:.6g}, "
            f"indirect={self.indirect:.6g}, direct={self.direct:.6g}, "
            f"att_gt=<{len(self.att_gt)} cells>, effect={self.params.get('effect')!r})"
        )


@dataclass(frozen=True, eq=False)
class SimulatedPanel:
    """A simulated prefecture-year panel with its true effects.

    Attributes
    ----------
    data : pandas.DataFrame
        The observed long panel, one row per city and year (sorted by ``city_code``, ``year``):
        ``city_code``, ``city``, ``name_en``, ``province``, ``region``, ``year``, ``batch``
        (earliest batch of a zone treating the city under the chosen coding, 0 if none),
        ``cohort`` (first treated year, 0 = never treated within the panel), ``treated``
        (0/1), outcomes ``isu``, ``s1``, ``s2``, ``s3``, ``ts``, ``tl``, ``tl2``, the
        mediator ``ecom`` and covariates ``lngdp_pc``, ``lnpop``, ``gov``, ``fin``,
        ``open``. Ready for ``to_csv``.
    truth : SimulationTruth
        The true effects.
    untreated : pandas.DataFrame
        The untreated potential outcomes of every city-year (``city_code``, ``year``, ``isu``,
        ``s1``, ``s2``, ``s3``, ``ts``, ``tl``, ``tl2``, ``ecom``), aligned row by row with
        ``data``: ``data["isu"] - untreated["isu"]`` is each city-year's effect.
    """

    data: pd.DataFrame
    truth: SimulationTruth
    untreated: pd.DataFrame

    def to_csv(self, path: str | PathLike[str], **kwargs) -> None:
        """Write :attr:`data` to a CSV file (no index column).

        Parameters
        ----------
        path : str or path-like
            Destination file.
        **kwargs
            Passed on to :meth:`pandas.DataFrame.to_csv`.
        """
        kwargs.setdefault("index", False)
        self.data.to_csv(path, **kwargs)

    def __repr__(self) -> str:
        years = self.data["year"]
        n_units = self.data["city_code"].nunique()
        return (
            f"SimulatedPanel({n_units} cities x {years.nunique()} years "
            f"({years.min()}-{years.max()}), {int(self.data['treated'].sum())} treated "
            f"city-years, truth={self.truth!r})"
        )


# ----------------------------------------------------------------------------------------
# Public entry point
# ----------------------------------------------------------------------------------------
def simulate_pilot_panel(
    seed: int | None = 0,
    years: tuple[int, int] = (2010, 2021),
    effect: Effect = "heterogeneous",
    *,
    timing: Timing = "approval_year",
    county_level: CountyLevel = "parent",
    a: float = 0.5,
    b: float = 0.02,
    direct: float = 0.005,
    growth: float = 0.2,
    batch_effects: Mapping[int, float] | None = None,
    effect_sd: float = 0.25,
    level_trend: float = 0.0,
    noise: float = 1.0,
    always_treated: Literal["drop", "keep"] = "drop",
    mechanism: bool | Mapping[str, float | bool] | None = None,
    spillover: float | Mapping[float, float] | None = None,
) -> SimulatedPanel:
    """Simulate the pilot-zone city panel with known true effects.

    Parameters
    ----------
    seed : int or None, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same panel. Draws
        are made in a fixed order, so for one seed the untreated outcomes do not depend on
        ``effect``, the effect sizes, ``timing`` or ``county_level``.
    years : (int, int), default (2010, 2021)
        First and last year, inclusive, within 2000-2035. The common trend is calibrated for
        2010-2021; before 2010 it is held flat and after 2021 it is extended linearly.
    effect : {"none", "homogeneous", "heterogeneous"}, default "heterogeneous"
        Effect profile ``h`` (0 before treatment). ``"none"``: no effect. ``"homogeneous"``:
        ``h = 1`` in every treated city-year (constant over cohorts, exposure and cities).
        ``"heterogeneous"``: ``h = batch_effects[batch] * (1 + growth * e) * u_i`` at event
        time ``e >= 0``, with ``u_i`` a city factor drawn log-normally with mean 1 and sd
        about ``effect_sd``: effects differ by batch, grow with exposure and vary across
        cities.
    timing, county_level : str
        Cohort coding of the pilot list, as in :func:`~did_zones.registry.zone_cohorts`.
        Cohorts after the last year are never treated within the panel (``cohort = 0``).
    a : float, default 0.5
        Effect of the pilot on the e-commerce index ``ecom`` per unit of ``h`` (index units:
        ``ecom`` has a between-city sd of about 1).
    b : float, default 0.02
        Effect of one unit of ``ecom`` on ISU, for any change of ``ecom``.
    direct : float, default 0.005
        Direct effect on ISU per unit of ``h`` (not through ``ecom``). The total effect per
        unit of ``h`` is ``a * b + direct`` = 0.015 ISU by default, about a tenth of ISU's
        between-city sd and half its residual sd; with the default heterogeneity the
        overall ATT is about 0.02.
    growth : float, default 0.2
        Growth of the effect per year of exposure (heterogeneous effects only).
    batch_effects : mapping of int to float, optional
        Effect multiplier of each batch (heterogeneous effects only); default
        ``{1: 1.6, 2: 1.4, 3: 1.2, 4: 1.0, 5: 0.8, 6: 0.7, 7: 0.6}``. Must cover every batch
        that treats a city in the panel.
    effect_sd : float, default 0.25
        Dispersion of the city factor ``u_i`` (heterogeneous effects only); 0 makes effects
        identical within a batch.
    level_trend : float, default 0.0
        Level-dependent trend: extra ISU per year per between-city sd of 2010 log GDP per
        capita. Positive values make richer cities (the pilots) trend up faster, so parallel
        trends hold only conditionally on ``lngdp_pc`` in the first year.
    noise : float, default 1.0
        Scale of every time-varying idiosyncratic shock (outcomes, mediator, covariates,
        employment). ``noise=0`` leaves city levels, selection and common trends but no
        shocks.
    always_treated : {"drop", "keep"}, default "drop"
        Cities whose cohort is at or before the first year (only with ``years`` starting in
        2015 or later) are dropped with a :class:`~did_zones.errors.DataDroppedWarning`, or
        kept.
    mechanism : bool or mapping, optional
        The study's two-sided mechanism (see Notes). None (default) or False: no new
        channels, the panel is exactly the one drawn without this option. True: add the
        mediators ``imports``, ``exports``, ``consumption`` and ``innovation`` with the
        default path coefficients (:data:`DEFAULT_MECHANISM`, listed in Notes). A mapping
        changes them: edge keys ``"source->target"`` with a number (0 switches the edge
        off), e.g. ``{"exports->innovation": 0.6}``, and channel keys ``"imports"``,
        ``"consumption"``, ``"exports"``, ``"innovation"`` or sides ``"demand"``,
        ``"supply"`` with True/False (False sets every edge into and out of the channel to
        0: the mediator stays in the data, unmoved by the pilot and without effect). The
        edges ``D->ecom``, ``ecom->isu`` and ``D->isu`` are ``a``, ``b`` and ``direct``.
    spillover : float or mapping, optional
        Spatial spillover on ISU (see Notes). None (default): none, the panel is exactly
        the one drawn without this option. A mapping ``{outer_km: effect}`` sets rings
        ``[0, k1), [k1, k2), ..., [k_{m-1}, k_m]`` (great-circle km between prefecture
        seats) and the effect on an untreated city-year whose nearest city treated by that
        year lies in each; a number ``x`` is ``{100: x}``.

    Returns
    -------
    SimulatedPanel
        ``.data`` (the observed panel), ``.truth`` (:class:`SimulationTruth`) and
        ``.untreated`` (the untreated potential outcomes).

    Raises
    ------
    SpecificationError
        If an option is invalid, ``batch_effects`` lacks a batch, ``mechanism`` names an
        unknown edge or channel (or switches off a channel it also sets an edge of), or the
        chosen effects are so large that a share would leave (0, 1).

    Notes
    -----
    *Outcomes.* ``s1, s2, s3`` are primary, secondary and tertiary output shares;
    ``isu = s1 + 2 s2 + 3 s3`` (hierarchy index, the main outcome); ``ts = s3 / s2``;
    ``tl`` is the three-sector Theil index ``sum_k s_k ln(s_k / l_k)`` against simulated
    urban-unit employment shares ``l_k`` (0 = balanced, larger = less rational) and ``tl2``
    its secondary/tertiary variant. Employment is not affected by the pilot, so ``tl``
    moves with the output shares only.

    *Levels and trends.* City effects load on a latent development factor whose mean rises
    with the earliness of the city's own prefecture-level designation (and for capitals,
    sub-provincial cities and municipalities): pilot cities are more service-oriented,
    richer and larger. Year means of ``s3`` and ``s1`` are matched exactly to a path that
    is flat to 2012, steep to 2018 and jumps in 2019 (the 2018 economic census revision).
    The common trend enters ISU additively (city effect + year effect + stationary AR(1)
    error, the split between ``s3`` and ``s1`` by a logit year shift of ``r``), so parallel
    trends hold exactly in expectation for ``isu`` (unless ``level_trend`` is set): every
    robust estimator recovers the truth on noiseless draws and is unbiased on noisy ones.
    The other outcomes (``s3``, ``ts``, ``tl``) are nonlinear in it, so parallel trends hold
    for them only approximately.
    Idiosyncratic errors are AR(1) (rho = 0.75; after removing city and year means over ten
    years that reads as about 0.55, the calibration target). The mediator ``ecom`` enters
    ISU as ``b * (ecom - mean_t ecom)``, so it does not shift year means.

    *Covariates* (not affected by the pilot): ``lngdp_pc`` (log GDP per capita),
    ``lnpop`` (log population, 10^4), ``gov`` (fiscal spending / GDP), ``fin`` (loans /
    GDP), ``open`` (trade / GDP).

    *Truth.* Because ``r`` is held fixed, ``ISU(1) - ISU(0) = (a b + c) h`` exactly and the
    mediator decomposition is linear: ``overall = indirect + direct``. The truth is
    computed from the simulated potential outcomes, so it is exact for every draw, noisy or
    not.

    *Moments* of default draws over 2010-2019 (mean over seeds 0-19), simulated / target
    from ``calibration.md`` ("resid": sd after city and year fixed effects; "AR(1)": pooled
    slope of that residual on its lag; "sel.": standardized difference in 2014 between the
    56 prefectures with a batch 1-4 designation of their own and the rest):

    ========  =============  ===========  ===========  ===========  ===========  ===========  ===========
    variable  mean           sd           between      within       resid        AR(1)        sel.
    ========  =============  ===========  ===========  ===========  ===========  ===========  ===========
    isu       2.285 / 2.284  .149 / .146  .138 / .132  .056 / .061  .031 / .031  .53 / .55    1.58 / 1.63
    s1        .125 / .124    .080 / .082  .078 / .079  .018 / .019  .018 / .017  .52 / .51
    s2        .465 / .468    .099 / .110  .082 / .098  .055 / .053  .035 / .036  .52 / .61
    s3        .410 / .408    .098 / .100  .083 / .085  .052 / .054  .028 / .028  .53 / .61    1.38 / 1.18
    ts        .971 / .987    .500 / .578  .413 / .510  .280 / .289  .197 / .193  .64 / .58
    tl        .271 / .277    .202 / .209  .183 / .201  .087 / .088  .087 / .087  .44 / .41    -1.01 / -1.06
    lngdp_pc  10.65 / 10.64  .600 / .591  .546 / .535  .249 / .241  .126 / .124  .68 / .76    1.42 / 1.35
    lnpop     5.822 / 5.821  .787 / .766  .778 / .769  .123 / .144  .122 / .139  .38 / .35    0.85 / 0.91
    ========  =============  ===========  ===========  ===========  ===========  ===========  ===========

    The year means of ``isu`` rise from 2.228 (2010) to 2.368 (2019); ``s3`` from 0.356 to
    0.488. ``gov``, ``fin``, ``open`` and ``ecom`` are not calibrated (plausible levels,
    correlated with development; ``open`` is higher in coastal provinces).

    *Mechanism* (``mechanism=``). The pilot ``D`` raises cross-border e-commerce, which
    upgrades industry from the demand side (imports -> consumption upgrading) and the
    supply side (exports -> innovation). Structural equations, each with a city effect
    ``alpha``, a year effect ``lambda`` and an AR(1) shock ``e`` (rho 0.6) drawn from a
    random stream of its own (a child of ``seed``: every other column keeps its draw)::

        ecom        = alpha + lambda + a D + e                    (the existing index)
        imports     = alpha + lambda + k1 ecom + e                 log imports / GDP
        exports     = alpha + lambda + k2 ecom + e                 log exports / GDP
        consumption = alpha + lambda + k3 imports + k5 ecom + e    log retail sales p.c.
        innovation  = alpha + lambda + k4 exports + k6 ecom + e    log patents / 10^4 people
        isu         = alpha + lambda + b ecom + g1 imports + g2 consumption
                      + g3 exports + g4 innovation + direct h + e

    Defaults: ``ecom->imports`` k1 = 0.20, ``ecom->exports`` k2 = 0.30,
    ``imports->consumption`` k3 = 0.08, ``exports->innovation`` k4 = 0.40,
    ``ecom->consumption`` k5 = 0, ``ecom->innovation`` k6 = 0, ``imports->isu``
    g1 = 0.01, ``consumption->isu`` g2 = 0.15, ``exports->isu`` g3 = 0.005,
    ``innovation->isu`` g4 = 0.04. With ``a = 0.5`` the pilot raises import intensity by
    about 10% and export intensity by about 15% (exports dominate China's cross-border
    e-commerce), retail sales per capita by 0.8% and patents per capita by 6%; per
    treated city-year the paths add 0.0022 ISU on the demand side and 0.00315 on the supply
    side beside 0.010 through ``ecom -> isu`` and the direct 0.005: the supply side is the
    larger, the direct and common parts remain. These magnitudes are chosen, not
    estimated (no moment of trade, retail or patent data was fitted; ``calibration.md``
    covers the shares and controls only). The mediators' year means follow plausible paths
    (import and export intensity about 6% and 10% of GDP in 2010 and falling, retail sales
    per capita about 12,000 yuan in 2010 rising 9% a year, patents per 10^4 people about 4
    rising 12% a year); their city effects (between-city sd about 1.4, 1.2, 0.5, 1.0 in
    logs) load on the pilot selection index. In ``isu`` the new mediators enter through
    their within-city variation (their city and year means are absorbed in ``alpha`` and
    ``lambda``), so its city and year means are those of the draw without ``mechanism``;
    its residual sd after city and year effects rises from about .031 to .033 (2010-2019, seeds 0-9).

    Two simplifications make the truth exactly what a fixed-effects mediation regression
    identifies. The first stage is static: ``ecom`` rises by ``a`` in every treated
    city-year whatever ``effect`` says (with ``effect="none"``, by 0), while the effect
    profile ``h`` (heterogeneous, growing with exposure) stays on the direct effect
    ``direct * h``. And the pilot reaches the mediators only through ``ecom`` (no edge
    ``D -> imports``; no edge between the sides). Then a TWFE regression of each equation
    on its parents and ``D`` recovers the coefficients (``D -> ecom`` is a constant
    effect, the mediators' remaining variation is their own noise), and every specific
    indirect effect is ``a`` times the product of the coefficients on its path, for every
    treated city-year alike. Only the direct (and so the total) effect varies with ``h``;
    its truth is the mean over treated city-years, which a TWFE coefficient on ``D``
    estimates with the usual bias under heterogeneous, dynamic effects
    (``effect="homogeneous"`` removes it).

    *Spillover* (``spillover=``). From the year a city is treated, untreated cities nearby
    gain: in year ``t`` an untreated city (never treated, or before its own pilot) whose
    nearest city treated by ``t`` lies in ring ``k`` gets ``ISU += effect_k`` (through
    ``s3``, like the treatment effect). No draw is made, so all other columns are those of
    the draw without spillovers; treated city-years get no spillover, so ``att_gt``,
    ``overall`` and the rest of the truth are unchanged. ``truth.spillover`` (by ring)
    and ``truth.exposure`` (by city-year) hold the truth; :func:`~did_zones.ring_did` with
    the same ring edges estimates it. ``untreated`` stays the world without any pilot, so
    ``data["isu"] - untreated["isu"]`` is the treatment effect plus the spillover.

    *Mechanism truth.* ``truth.mechanism`` lists every path from ``D`` to ``isu`` with its
    ``side`` and ``effect`` (the mean over treated city-years of the part of ISU(1) - ISU(0)
    that runs along the path); ``truth.demand_total``, ``truth.supply_total`` and
    ``truth.common_total`` add them up by side; ``truth.direct`` is ``D -> isu`` and
    ``truth.total`` (= ``overall``) their sum. ``truth.coefficients`` lists every edge.
    ``truth.b`` becomes the total effect of ``ecom`` (``b`` plus all the paths through the
    new mediators), so ``truth.indirect = a * truth.b`` stays the target of a mediation
    with ``ecom`` as the only mediator.

    Examples
    --------
    >>> from did_zones.simulate import simulate_pilot_panel
    >>> sim = simulate_pilot_panel(seed=1)
    >>> sim.data.shape
    (4044, 22)
    >>> sorted(sim.data.loc[sim.data["cohort"] > 0, "cohort"].unique().tolist())
    [2015, 2016, 2018, 2019, 2020]
    >>> effect = sim.data["isu"] - sim.untreated["isu"]
    >>> bool(abs(effect[sim.data["treated"] == 1].mean() - sim.truth.overall) < 1e-12)
    True
    >>> simulate_pilot_panel(effect="none").truth.overall
    0.0

    The two-sided mechanism:

    >>> sim = simulate_pilot_panel(seed=1, mechanism=True)
    >>> sim.data.columns[-4:].tolist()
    ['imports', 'exports', 'consumption', 'innovation']
    >>> t = sim.truth
    >>> round(t.demand_total, 6), round(t.supply_total, 6), round(t.common_total, 6)
    (0.0022, 0.00315, 0.01)
    >>> bool(abs(t.mechanism["effect"].sum() - t.total) < 1e-12)
    True
    >>> off = simulate_pilot_panel(seed=1, mechanism={"demand": False})
    >>> off.truth.demand_total
    0.0
    """
    check({"effect": Choice(EFFECTS), "timing": Choice(TIMINGS),
           "county_level": Choice(COUNTY_LEVELS), "always_treated": Choice(("drop", "keep")),
           "a": _REAL, "b": _REAL, "direct": _REAL, "growth": _REAL, "level_trend": _REAL,
           "noise": _NONNEGATIVE, "effect_sd": _NONNEGATIVE},
          effect=effect, timing=timing, county_level=county_level,
          always_treated=always_treated, a=a, b=b, direct=direct, growth=growth,
          level_trend=level_trend, noise=noise, effect_sd=effect_sd)
    first, last = _check_years(years)
    batch_effects = _check_batch_effects(batch_effects)
    edges = _simchain.parse_mechanism(mechanism)
    spill_rings = _simspill.parse_spillover(spillover)

    rng = np.random.default_rng(seed)
    cities = load_cities()
    year = np.arange(first, last + 1)
    n_units = len(cities)

    coding = _coding(cities["city_code"].to_numpy(), timing, county_level, last)
    draws = _draw(rng, cities, coding["group"], len(year), noise)
    world = _untreated(draws, year, level_trend)

    # effect profile h (cities x years)
    cohort = coding["cohort"]
    treated = (cohort[:, None] > 0) & (year[None, :] >= cohort[:, None])
    if effect == "none":
        h = np.zeros((n_units, len(year)))
    elif effect == "homogeneous":
        h = treated.astype(float)
    else:
        missing = sorted(set(coding["batch"][cohort > 0].tolist()) - set(batch_effects))
        if missing:
            raise SpecificationError(
                f"batch_effects has no multiplier for batch(es) {examples(missing)}, which "
                f"treat cities in {first}-{last}. Give a value for every batch, e.g. "
                f"{dict(DEFAULT_BATCH_EFFECTS)}."
            )
        scale = pd.Series(coding["batch"]).map(batch_effects).fillna(0.0).to_numpy(float)
        # city factor: log-normal with mean 1 and sd effect_sd
        sigma = math.sqrt(math.log1p(effect_sd**2))
        u = np.exp(sigma * draws["u_z"] - sigma**2 / 2.0)
        exposure = year[None, :] - cohort[:, None]
        h = np.where(treated, (scale * u)[:, None] * (1.0 + growth * exposure), 0.0)
    if edges is None:
        a_it = a * h
    else:  # the mechanism's first stage is static: a in every treated city-year
        a_it = a * treated if effect != "none" else np.zeros_like(h)
    direct_it = direct * h
    tau = b * a_it + direct_it
    channels = None
    if edges is not None:
        # a child stream: the draws above are the same with or without the mechanism
        child = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
        channels = _simchain.draw_channels(
            edges, world["ecom"], world["ecom"] + a_it, _pilot_index(cities, coding["group"]),
            year, noise, child)
        tau = tau + channels.effect
    tau_own = tau
    if spill_rings is not None:  # deterministic: no draw, the other columns are unchanged
        near, ring, spill = _simspill.spillover_effects(
            cities["city_code"].to_numpy(), cohort, year, spill_rings)
        tau = tau + spill
    untreated, observed = _worlds(world, b, a_it, tau,
                                  None if channels is None else channels.y0)
    outcomes = list(_OUTCOMES)
    if channels is not None:
        untreated.update(channels.untreated)
        observed.update(channels.observed)
        outcomes += list(_simchain.CHANNELS)

    keep = np.ones(n_units, dtype=bool)
    if always_treated == "drop":
        always = (cohort > 0) & (cohort <= first)
        if always.any():
            names = cities.loc[always, "name_en"]
            warn(
                f"Dropped {int(always.sum())} always-treated cit(ies) (cohort at or before "
                f"the first year {first}): {examples(names)}. Start the panel earlier, or pass "
                "always_treated='keep'.",
                DataDroppedWarning)
            keep = ~always

    params = {
        "seed": seed, "years": (first, last), "effect": effect, "timing": timing,
        "county_level": county_level, "a": a, "b": b, "direct": direct, "growth": growth,
        "batch_effects": dict(batch_effects), "effect_sd": effect_sd,
        "level_trend": level_trend, "noise": noise, "always_treated": always_treated,
    }
    if edges is not None:
        params["mechanism"] = dict(edges)
    if spill_rings is not None:
        params["spillover"] = dict(spill_rings)
    truth = _truth(cohort[keep], year, tau_own[keep], a_it[keep], direct_it[keep], b, params)
    if spill_rings is not None:
        truth = dataclasses.replace(truth, **_simspill.truth_tables(
            cities["city_code"].to_numpy()[keep], year, near[keep], ring[keep], spill[keep],
            spill_rings))
    if edges is not None:
        tables = _simchain.truth_tables(edges, truth.a, a if effect != "none" else 0.0, b,
                                        truth.direct, direct)
        b_total = tables.pop("b_total")
        truth = dataclasses.replace(truth, b=b_total, indirect=truth.a * b_total, **tables)
    data = _frame(cities[keep], year, coding, keep, observed, world, treated, outcomes)
    potential = _frame_untreated(cities["city_code"].to_numpy(), year, untreated, keep,
                                 outcomes)
    return SimulatedPanel(data=data, truth=truth, untreated=potential)


# ----------------------------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------------------------
def _check_years(years: object) -> tuple[int, int]:
    try:
        first, last = years  # type: ignore[misc]
        ok = all(isinstance(y, (int, np.integer)) and not isinstance(y, bool)
                 for y in (first, last))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SpecificationError(
            f"years must be a pair of integers (first, last), e.g. (2010, 2021); got {years!r}."
        )
    lo, hi = _YEAR_RANGE
    if not lo <= first < last <= hi:
        raise SpecificationError(
            f"years must satisfy {lo} <= first < last <= {hi}; got ({first}, {last}). The "
            "common trend is calibrated for 2010-2021."
        )
    return int(first), int(last)


_REAL = Real()
_NONNEGATIVE = Real(min=0.0)


def _check_real(name: str, value: object, nonnegative: bool = False) -> None:
    (_NONNEGATIVE if nonnegative else _REAL)(name, value)


def _check_batch_effects(batch_effects: Mapping[int, float] | None) -> dict[int, float]:
    if batch_effects is None:
        return dict(DEFAULT_BATCH_EFFECTS)
    if not isinstance(batch_effects, Mapping):
        raise SpecificationError(
            "batch_effects must be a mapping batch -> multiplier, e.g. {1: 1.5, 2: 1.2, ...}; "
            f"got {type(batch_effects).__name__}."
        )
    out = {}
    for key, value in batch_effects.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
            raise SpecificationError(
                f"batch_effects keys must be batch numbers (int); got {key!r}."
            )
        _check_real(f"batch_effects[{key}]", value)
        out[int(key)] = float(value)
    return out


# ----------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------
def _coding(codes: np.ndarray, timing: str, county_level: str, last: int) -> dict:
    """Cohort (0 = never within the panel), batch of the treating zone, selection group."""
    cohorts = _zone_cohorts(timing=timing, county_level=county_level)
    cohort = pd.Series(codes).map(cohorts).fillna(0).to_numpy(dtype=np.int64)
    cohort[cohort > last] = 0
    zones = load_zones()
    # the simulator's world is the default sample of zone_cohorts: batches 1-7
    zones = zones[zones["batch"].isin(DEFAULT_BATCHES).to_numpy()]
    used = zones if county_level == "parent" else zones[~zones["county_level"]]
    first_batch = used.groupby("city_code")["batch"].min()
    batch = pd.Series(codes).map(first_batch).fillna(0).to_numpy(dtype=np.int64)
    # Selection depends on the world, not on the coding: the batch of the prefecture's own
    # designation as a whole (county-level designees leave their parent unselected).
    own = zones[~zones["county_level"]].groupby("city_code")["batch"].min()
    group = pd.Series(codes).map(own).fillna(0).to_numpy(dtype=np.int64)
    return {"cohort": cohort, "batch": batch, "group": group}


def _ar1(
    rng: np.random.Generator,
    shape: tuple[int, int],
    rho: float,
    sd: float,
    noise: float,
    corr_with: np.ndarray | None = None,
    corr: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Stationary AR(1) errors (units x years) with marginal sd ``noise * sd``.

    Returns the errors and their standard-normal innovations; ``corr_with`` gives the
    innovations of another process to correlate with (correlation ``corr``).
    """
    z = rng.standard_normal(shape)
    if corr_with is not None:
        z = corr * corr_with + math.sqrt(1.0 - corr**2) * z
    out = np.empty(shape)
    out[:, 0] = z[:, 0]
    scale = math.sqrt(1.0 - rho**2)
    for t in range(1, shape[1]):  # a short loop over years, vectorized over cities
        out[:, t] = rho * out[:, t - 1] + scale * z[:, t]
    return noise * sd * out, z


def _standardize(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pilot_index(cities: pd.DataFrame, group: np.ndarray) -> np.ndarray:
    """Selection index: known before the draw (designation batch and city rank),
    standardized."""
    flag = (cities["provincial_capital"] | cities["sub_provincial"] | cities["municipality"]).to_numpy()
    return _standardize(pd.Series(group).map(_DEV_MEAN).to_numpy(float) + _DEV_FLAG * flag)


def _draw(rng: np.random.Generator, cities: pd.DataFrame, group: np.ndarray,
          n_years: int, noise: float) -> dict[str, np.ndarray]:
    """All random draws, in a fixed order (so a seed fixes the untreated world)."""
    cal = _CAL
    n = len(cities)
    shape = (n, n_years)
    pilot = _pilot_index(cities, group)
    common = rng.standard_normal(n)  # unobserved development shared by all city effects

    def level(sel: float, load: float, skew: float = 0.0) -> np.ndarray:
        """Unit-variance city effect: ``sel`` on the pilot index, ``load`` on ``common``;
        ``skew`` > 0 gives the own part a long right tail (log-normal shape)."""
        own = rng.standard_normal(n)
        if skew > 0:
            own = _standardize(np.exp(skew * own))
        return sel * pilot + load * common + math.sqrt(1.0 - sel**2 - load**2) * own

    d: dict[str, np.ndarray] = {}
    d["s3_city"] = cal.s3_level * level(cal.s3_sel, cal.s3_load, cal.s3_skew)
    d["r_city"] = cal.r_level * level(cal.r_sel, cal.r_load)
    d["s3_slope"] = cal.s3_slope * rng.standard_normal(n)
    d["s3_err"], z3 = _ar1(rng, shape, cal.rho, cal.s3_sd, noise)
    d["r_err"], _ = _ar1(rng, shape, cal.rho, cal.r_sd, noise, corr_with=z3, corr=cal.r_corr)
    d["gdp_city"] = cal.gdp_level * level(cal.gdp_sel, cal.gdp_load)
    d["gdp_err"], _ = _ar1(rng, shape, cal.gdp_rho, cal.gdp_sd, noise)
    d["gdp_slope"] = cal.gdp_slope * rng.standard_normal(n)
    d["pop_city"] = cal.pop_level * level(cal.pop_sel, cal.pop_load)
    d["pop_err"], _ = _ar1(rng, shape, cal.pop_rho, cal.pop_sd, noise)
    d["gov_city"] = cal.gov_level * level(cal.gov_sel, cal.gov_load)
    d["gov_err"], _ = _ar1(rng, shape, cal.rho, cal.gov_sd, noise)
    d["fin_city"] = cal.fin_level * level(cal.fin_sel, cal.fin_load)
    d["fin_err"], _ = _ar1(rng, shape, cal.rho, cal.fin_sd, noise)
    coastal = cities["coastal"].to_numpy(dtype=float)
    d["open_city"] = cal.open_level * level(cal.open_sel, cal.open_load) + cal.open_coastal * coastal
    d["open_err"], _ = _ar1(rng, shape, cal.rho, cal.open_sd, noise)
    d["ecom_city"] = level(cal.ecom_sel, cal.ecom_load)
    d["ecom_err"], _ = _ar1(rng, shape, cal.ecom_rho, cal.ecom_sd, noise)
    r_std = _standardize(d["r_city"])
    d["l1_city"] = cal.l1_level * (
        cal.l1_load * r_std + math.sqrt(1.0 - cal.l1_load**2) * rng.standard_normal(n)
    )
    d["l1_err"], _ = _ar1(rng, shape, cal.l1_rho, cal.l1_sd, noise)
    d["m_city"] = cal.m_level * rng.standard_normal(n)
    d["m_err"], _ = _ar1(rng, shape, cal.rho, cal.m_sd, noise)
    d["u_z"] = rng.standard_normal(n)  # city factor of heterogeneous effects
    return d


def _share_paths(year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Target year means of s3 and s1: the calibrated path, flat before, linear after."""
    k = year - _PATH_START
    last = len(_S3_PATH) - 1
    idx = np.clip(k, 0, last)
    after = np.maximum(k - last, 0)
    return (_S3_PATH[idx] + _S3_SLOPE_AFTER * after, _S1_PATH[idx] + _S1_SLOPE_AFTER * after)


def _gdp_path(year: np.ndarray) -> np.ndarray:
    """Year mean of log GDP per capita: calibrated growth 2011-2021, 6% a year outside."""
    full = np.arange(min(year.min(), _PATH_START), max(year.max(), _PATH_START) + 1)
    growth = np.full(len(full), _GDP_GROWTH_OUTSIDE)
    k = full - _PATH_START
    inside = (k >= 1) & (k <= len(_GDP_GROWTH))
    growth[inside] = _GDP_GROWTH[k[inside] - 1]
    level = np.cumsum(growth)
    level = level - level[full == _PATH_START] + _GDP_MEAN_2010
    return level[np.searchsorted(full, year)]


def _match_s1(latent: np.ndarray, room: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Year shifts g_t with mean_i room_it * p/(1 + p) = target_t, p = expit(latent + g_t).

    Given ISU, ``s1 = r (3 - ISU) / (1 + r)``; Newton's method, vectorized over years.
    """
    shift = np.zeros(latent.shape[1])
    for _ in range(50):
        p = _expit(latent + shift)
        gap = (room * p / (1.0 + p)).mean(axis=0) - target
        if np.max(np.abs(gap)) < 1e-13:
            break
        shift -= gap / (room * p * (1.0 - p) / (1.0 + p) ** 2).mean(axis=0)
    return shift


def _untreated(d: dict[str, np.ndarray], year: np.ndarray, level_trend: float) -> dict:
    """Untreated world: base shares, mediator, employment shares and covariates."""
    cal = _CAL
    t = (year - year[0])[None, :]
    s3_target, s1_target = _share_paths(year)
    latent3 = d["s3_city"][:, None] + d["s3_slope"][:, None] * t + d["s3_err"]
    # the base tertiary share is kept below a ceiling: no prefecture's services share
    # comes near 1 (Beijing, the highest, is about 0.84 in 2020)
    # City-level shares without year shifts (stationary over years for each city):
    # ISU = s1 + 2 s2 + 3 s3 = 2 - r + s3 (1 + r) with r = s1 / (s1 + s2).
    s3_base = _S3_CEILING * _expit(latent3)
    latent_r = d["r_city"][:, None] + d["r_err"]
    r_base = _expit(latent_r)
    isu_base = 2.0 - r_base + s3_base * (1.0 + r_base)
    # The common trend is added to ISU in levels, so that untreated ISU is exactly additive
    # (city effect + year effect + stationary error): parallel trends hold in the main
    # outcome. Year means of ISU, s3 and s1 match the calibrated paths exactly; the split of
    # ISU between s3 and s1 follows a logit year shift of r.
    isu = isu_base + (2.0 + s3_target - s1_target - isu_base.mean(axis=0))[None, :]
    r = _expit(latent_r + _match_s1(latent_r, 3.0 - isu, s1_target))
    s3 = (isu - 2.0 + r) / (1.0 + r)

    k = (year - _PATH_START)[None, :]
    lngdp = (_gdp_path(year)[None, :] + d["gdp_city"][:, None]
             + d["gdp_slope"][:, None] * (k + _PATH_START - 2015) + d["gdp_err"])
    out = {
        "s3": s3,
        "r": r,
        "ecom": d["ecom_city"][:, None] + _ECOM_GROWTH * k + d["ecom_err"],
        "lngdp_pc": lngdp,
        "lnpop": cal.pop_mean + 0.005 * k + d["pop_city"][:, None] + d["pop_err"],
        "gov": _expit(cal.gov_mean + 0.01 * k + d["gov_city"][:, None] + d["gov_err"]),
        "fin": np.exp(cal.fin_mean + 0.03 * k + d["fin_city"][:, None] + d["fin_err"]),
        "open": np.exp(cal.open_mean - 0.03 * k + d["open_city"][:, None] + d["open_err"]),
        "l1": _expit(cal.l1_mean + d["l1_city"][:, None] + d["l1_err"]),
    }
    # tertiary fraction of non-primary employment, tied to the output structure
    q = s3 / (1.0 - r * (1.0 - s3))  # s3 / (s2 + s3)
    out["m"] = _expit(np.log(q / (1.0 - q)) + cal.m_shift + d["m_city"][:, None] + d["m_err"])
    # level-dependent trend: ISU per year per sd of first-year log GDP per capita
    out["trend"] = level_trend * _standardize(lngdp[:, 0])[:, None] * t
    return out


def _outcomes(s3: np.ndarray, r: np.ndarray, ecom: np.ndarray, l1: np.ndarray,
              m: np.ndarray) -> dict[str, np.ndarray]:
    """Shares, ISU, TS and Theil indices from the tertiary share and r = s1 / (s1 + s2)."""
    s1 = r * (1.0 - s3)
    s2 = (1.0 - r) * (1.0 - s3)
    l2 = (1.0 - l1) * (1.0 - m)
    l3 = (1.0 - l1) * m
    tl = s1 * np.log(s1 / l1) + s2 * np.log(s2 / l2) + s3 * np.log(s3 / l3)
    v = s2 + s3  # secondary/tertiary variant: shares renormalised within the two sectors
    tl2 = (s2 / v) * np.log((s2 / v) / (1.0 - m)) + (s3 / v) * np.log((s3 / v) / m)
    return {
        "isu": s1 + 2.0 * s2 + 3.0 * s3,
        "s1": s1, "s2": s2, "s3": s3, "ts": s3 / s2, "tl": tl, "tl2": tl2, "ecom": ecom,
    }


def _worlds(w: dict, b: float, a_it: np.ndarray, tau: np.ndarray,
            channels_y0: np.ndarray | None = None) -> tuple[dict, dict]:
    """Untreated and observed outcomes. ISU shifts move s3 by shift / (1 + r) at fixed r.

    ``channels_y0``: the untreated contribution of the mechanism's mediators to ISU.
    """
    r = w["r"]
    mediated = b * (w["ecom"] - w["ecom"].mean(axis=0)) + w["trend"]
    if channels_y0 is not None:
        mediated = mediated + channels_y0
    s3_0 = w["s3"] + mediated / (1.0 + r)
    s3_1 = s3_0 + tau / (1.0 + r)
    bad = ~((s3_0 > 0) & (s3_0 < 1) & (s3_1 > 0) & (s3_1 < 1))
    if bad.any():
        raise SpecificationError(
            f"The chosen effects push the tertiary share outside (0, 1) in {int(bad.sum())} "
            "city-year(s). Use smaller a, b, direct, growth, batch_effects, level_trend or "
            "mechanism coefficients."
        )
    untreated = _outcomes(s3_0, r, w["ecom"], w["l1"], w["m"])
    observed = _outcomes(s3_1, r, w["ecom"] + a_it, w["l1"], w["m"])
    return untreated, observed


def _truth(cohort: np.ndarray, year: np.ndarray, tau: np.ndarray, a_it: np.ndarray,
           direct_it: np.ndarray, b: float, params: dict) -> SimulationTruth:
    """Exact ATT(g, t), event-time and overall effects from the unit-level effects."""
    groups = np.unique(cohort[cohort > 0])
    member = (cohort[:, None] == groups[None, :]).astype(float)  # units x cohorts
    size = member.sum(axis=0)
    att = (member.T @ tau) / size[:, None]  # cohorts x years
    att_m = (member.T @ a_it) / size[:, None]
    n_g, n_t = len(groups), len(year)
    att_gt = pd.DataFrame(
        {
            "cohort": np.repeat(groups, n_t).astype(np.int64),
            "time": np.tile(year, n_g).astype(np.int64),
            "event_time": (np.tile(year, n_g) - np.repeat(groups, n_t)).astype(np.int64),
            "n_units": np.repeat(size, n_t).astype(np.int64),
            "att": att.ravel(),
            "att_ecom": att_m.ravel(),
        }
    )
    weighted = att_gt.assign(
        w_att=att_gt["att"] * att_gt["n_units"], w_m=att_gt["att_ecom"] * att_gt["n_units"]
    )
    by_e = weighted.groupby("event_time").agg(
        n_cohorts=("cohort", "size"), n_units=("n_units", "sum"),
        w_att=("w_att", "sum"), w_m=("w_m", "sum"),
    )
    event_time = pd.DataFrame(
        {
            "event_time": by_e.index.to_numpy(dtype=np.int64),
            "att": (by_e["w_att"] / by_e["n_units"]).to_numpy(),
            "att_ecom": (by_e["w_m"] / by_e["n_units"]).to_numpy(),
            "n_cohorts": by_e["n_cohorts"].to_numpy(dtype=np.int64),
            "n_units": by_e["n_units"].to_numpy(dtype=np.int64),
        }
    )
    post = (cohort[:, None] > 0) & (year[None, :] >= cohort[:, None])
    if post.any():
        overall = float(tau[post].mean())
        a_att = float(a_it[post].mean())
        direct_att = float(direct_it[post].mean())
    else:  # no treated city-year in the panel: the ATT is undefined
        overall = a_att = direct_att = float("nan")
    return SimulationTruth(
        att_gt=att_gt, event_time=event_time, overall=overall, a=a_att, b=float(b),
        indirect=a_att * float(b), direct=direct_att, params=params,
    )


_OUTCOMES = ["isu", "s1", "s2", "s3", "ts", "tl", "tl2", "ecom"]
_COVARIATES = ["lngdp_pc", "lnpop", "gov", "fin", "open"]


def _frame(cities: pd.DataFrame, year: np.ndarray, coding: dict, keep: np.ndarray,
           observed: dict, world: dict, treated: np.ndarray,
           outcomes: list[str]) -> pd.DataFrame:
    n, n_t = int(keep.sum()), len(year)
    rep = lambda x: np.repeat(np.asarray(x), n_t)  # noqa: E731
    cols: dict[str, np.ndarray] = {
        "city_code": rep(cities["city_code"]).astype(np.int64),
        "city": rep(cities["name_zh"]),
        "name_en": rep(cities["name_en"]),
        "province": rep(cities["province_zh"]),
        "region": rep(cities["region"]),
        "year": np.tile(year, n).astype(np.int64),
        "batch": rep(coding["batch"][keep]).astype(np.int64),
        "cohort": rep(coding["cohort"][keep]).astype(np.int64),
        "treated": treated[keep].ravel().astype(np.int64),
    }
    cols.update({k: observed[k][keep].ravel() for k in _OUTCOMES})
    cols.update({k: world[k][keep].ravel() for k in _COVARIATES})
    cols.update({k: observed[k][keep].ravel() for k in outcomes if k not in _OUTCOMES})
    return pd.DataFrame(cols)


def _frame_untreated(codes: np.ndarray, year: np.ndarray, untreated: dict,
                     keep: np.ndarray, outcomes: list[str]) -> pd.DataFrame:
    n_t = len(year)
    cols = {"city_code": np.repeat(codes[keep], n_t).astype(np.int64),
            "year": np.tile(year, int(keep.sum())).astype(np.int64)}
    cols.update({k: untreated[k][keep].ravel() for k in outcomes})
    return pd.DataFrame(cols)
