"""Static two-way fixed-effects difference-in-differences (Stata ``reghdfe``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..design import (
    FESpec,
    build_design,
    check_panel_outcome,
    count_distinct,
    few_clusters_note,
    fit_absorbed,
)
from ..errors import EstimationError
from ..estimands import tag
from ..panel import Panel
from ..result import Result
from ..validation import as_tuple, check_alpha, check_outcome_varies

__all__ = ["twfe", "twfe_fit"]


@records_panel
def twfe(
    panel: Panel,
    outcome: str,
    *,
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | Sequence[str] | None = "unit",
    weights: str | None = None,
    treatment: str | None = None,
    alpha: float = 0.05,
) -> Result:
    """Two-way fixed-effects (TWFE) difference-in-differences regression.

    Estimates ``y_it = α_i + λ_t + β·D_it + X_it'γ + ε_it`` with the unit and period effects
    (and any further ones) absorbed, as Stata ``reghdfe y D X, absorb(unit time)
    vce(cluster unit)`` and R ``fixest::feols(y ~ D + X | unit + time, cluster = ~unit)``.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`.
    outcome : str
        Outcome column.
    controls : str or sequence of str
        Numeric control columns. Controls collinear with the fixed effects (e.g. a
        time-invariant city characteristic) are dropped with a warning naming them.
    fixed_effects : sequence of str or tuple
        Absorbed effects: panel roles ``"unit"``, ``"time"``, ``"cohort"`` or columns; a
        tuple is an interaction, e.g. ``("unit", "time", ("province", "time"))`` adds
        province × year effects. ``()`` fits a pooled regression with an intercept.
    cluster : str, pair of str, or None
        Cluster variable (a role or column); two names give two-way clustering (Cameron,
        Gelbach & Miller 2011); None gives heteroskedasticity-robust HC1 errors.
    weights : str, optional
        Column of positive analytic weights (Stata ``[aweight=w]``).
    treatment : str, optional
        Treatment column. Default: the panel's absorbing indicator ``time >= cohort``.
        Any numeric column (e.g. a treatment intensity) may be given; its coefficient is
        still reported under the term ``"treated"``.
    alpha : float
        Significance level stored in ``spec`` (intervals: ``Result.conf_int(alpha)``).

    Returns
    -------
    Result
        Terms ``"treated"`` (primary) then the kept controls. ``df`` is ``G − 1`` with
        clustering (``N − K`` for HC1) so p-values and intervals use the t distribution,
        as Stata. ``stats``: ``r2`` (with the fixed effects), ``r2_within``, ``n_obs``,
        ``n_fe_params`` (the fixed-effect parameters counted in ``K``).
        ``extra``: ``dropped_controls``, ``n_singletons``, ``fixed_effects``,
        ``cluster``, ``sample`` (boolean mask of the panel rows used, Stata's
        ``e(sample)``).

    Raises
    ------
    SpecificationError
        Unknown columns (with a did-you-mean hint), bad ``alpha``, non-positive weights,
        more than two cluster variables.
    EstimationError
        The treatment does not vary after absorbing the fixed effects (e.g. all units
        treated at the same date and no untreated comparison).

    Warns
    -----
    DataDroppedWarning
        Rows with missing outcome, controls, weights, fixed-effect or cluster values, and
        singleton groups, are dropped (counted in ``Result.notes``); collinear controls.
    InferenceWarning
        Fewer than 30 clusters.

    Notes
    -----
    Estimand: with staggered adoption and heterogeneous effects β is a weighted average
    of cohort-period effects with possibly negative weights (de Chaisemartin &
    D'Haultfœuille 2020; see :func:`did_zones.twfe_weights`) and of all 2×2 comparisons
    (Goodman-Bacon 2021; :func:`did_zones.bacon_decomposition`). Use the
    heterogeneity-robust estimators for causal effects.

    Variance: CRV1 ``V = c·(X̃'X̃)⁻¹ (Σ_g s_g s_g') (X̃'X̃)⁻¹`` with Stata's
    ``c = G/(G−1)·(N−1)/(N−K)``; ``K`` counts the regressors and the absorbed effects not
    nested in a cluster variable, as reghdfe (unit effects nested in unit clusters are
    not counted, period effects are: ``K = k + T``). Two-way clustering uses the smaller
    cluster count in every term and ``G_min − 1`` degrees of freedom. HC1 uses
    ``N/(N−K)`` with all fixed effects counted. Singletons are dropped first (reghdfe).

    References
    ----------
    Correia, S. (2016). Linear models with high-dimensional fixed effects: an efficient
    and feasible estimator. Working paper (``reghdfe``).
    Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2011). Robust inference with
    multiway clustering. J. Bus. Econ. Stat. 29(2), 238–249.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.twfe(panel, "isu", controls=["lngdp_pc"], cluster="province")
    >>> res.terms
    ['treated', 'lngdp_pc']
    >>> res.df == res.n_clusters - 1
    True
    """
    check_panel_outcome(panel, outcome)
    check_outcome_varies(panel.column(outcome), outcome)
    check_alpha(alpha)
    if treatment is None:
        d = panel.treated.astype(float)
    else:
        d = panel.column(treatment)
    return twfe_fit(panel, outcome, {"treated": d}, controls=as_tuple(controls),
                    fixed_effects=fixed_effects, cluster=cluster, weights=weights,
                    treatment=treatment, alpha=alpha)


def twfe_fit(panel: Panel, outcome: str, regressors: Mapping[str, np.ndarray], *,
             controls: tuple[str, ...] = (), fixed_effects: Sequence[FESpec] = ("unit", "time"),
             cluster: str | Sequence[str] | None = "unit", weights: str | None = None,
             treatment: str | None = None, alpha: float = 0.05) -> Result:
    """The TWFE regression on regressors given as arrays (the first is the treatment).

    :func:`twfe` after its checks; design builders that add terms of their own (the
    moderation's ``D × Z``) pass them here as arrays aligned with the panel rows instead of
    adding columns to the panel.

    Parameters
    ----------
    panel : Panel
    outcome : str
    regressors : mapping str -> array
        Terms aligned with the panel rows; the first is the protected treatment term
        (an error, not a drop, if collinear) and the result's primary term.
    controls, fixed_effects, cluster, weights, treatment, alpha
        As :func:`twfe` (already checked by the caller).

    Returns
    -------
    Result
        As :func:`twfe`, without the panel's fingerprint (the public entry stamps it).
    """
    first = next(iter(regressors))
    design = build_design(panel, outcome, regressors, controls=controls,
                          fixed_effects=fixed_effects, cluster=cluster, weights=weights)
    if np.ptp(design.X[:, 0]) == 0:
        what = "treated" if treatment is None else f"treatment {treatment!r}"
        raise EstimationError(
            f"The {what} indicator is constant ({design.X[0, 0]:g}) in the {design.n_obs} "
            "rows used, so there is nothing to compare. Check the cohorts and the sample."
        )
    fit = fit_absorbed(design, protect=(first,))
    V, n_clusters, df = fit.vcov()
    notes = tuple(panel.notes) + design.notes
    if fit.dropped:
        notes += (f"Control(s) {list(fit.dropped)} dropped: collinear with the fixed "
                  "effects or the other regressors.",)
    notes += few_clusters_note(design.cluster_counts or None, design.cluster_names)

    n_units = count_distinct(panel.unit_id[design.rows], panel.n_units)
    sample = np.zeros(panel.n_obs, dtype=bool)
    sample[design.rows] = True
    keys = pd.DataFrame({
        "cohort": np.nan, "time": np.nan, "event_time": np.nan,
        "role": ["treatment"] + ["control"] * (len(fit.names) - 1),
    })
    keys = tag(keys, 0, "twfe_coefficient")
    spec = {
        "controls": controls, "fixed_effects": tuple(fixed_effects), "cluster": cluster,
        "weights": weights, "treatment": treatment, "alpha": alpha,
    }
    return Result.create(
        fit.coef, V, fit.names, keys=keys, variance_floor=fit.variance_floor(),
        method="twfe", outcome=outcome, spec=spec,
        n_obs=design.n_obs, n_units=n_units, n_clusters=n_clusters, df=df,
        primary=first, notes=notes,
        stats={"r2": fit.stats["r2"], "r2_within": fit.stats["r2_within"],
               "n_obs": design.n_obs, "n_fe_params": fit.fe_dof},
        extra={"dropped_controls": fit.dropped, "n_singletons": design.n_singletons,
               "fixed_effects": design.fe_names, "cluster": design.cluster_names,
               "sample": sample},
    )
