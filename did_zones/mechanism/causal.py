"""Causal mediation analysis of Imai, Keele & Tingley (2010) for linear models.

Two linear models on one common sample,

    mediator:  M = α + a·D + X'γ (+ fixed effects) + ε2,
    outcome:   Y = β + c'·D + b·M + X'δ (+ fixed effects) + ε3,

give the average causal mediation effect ACME = a·b, the average direct effect ADE = c' and
the total effect a·b + c' (identical for t = 0 and t = 1: there is no D × M interaction).
Uncertainty comes from the quasi-Bayesian Monte Carlo of Imai, Keele & Tingley (2010,
section "Parametric inference"): both models' coefficients are drawn from N(θ̂, V̂) with the
(cluster-)robust V̂, independently across the two models as in R ``mediation`` and
statsmodels ``Mediation``. The sensitivity analysis over ρ = corr(ε2, ε3) uses the closed
form of Imai, Keele & Yamamoto (2010, Theorem 2).

Numerics only; presentation reads ``Result.tidy()`` and the DataFrames in ``extra``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..design import (
    FESpec,
    build_design,
    few_clusters_note,
    fit_absorbed,
)
from ..errors import DataDroppedWarning, EstimationError, SpecificationError, warn
from ..inference import sandwich_vcov
from ..panel import Panel
from ..result import Result
from ..validation import (
    ALPHA,
    SEED,
    Choice,
    Integer,
    as_tuple,
    check,
    check_columns,
    examples,
)

__all__ = ["causal_mediation", "DEFAULT_RHO", "TERMS"]

TERMS = ("ACME", "ADE", "total", "prop_mediated")
DEFAULT_RHO = np.round(np.arange(-0.95, 0.951, 0.05), 2)
VCOV_TYPES = ("robust", "classical")

ASSUMPTION = (
    "Causal reading rests on sequential ignorability (Imai, Keele & Tingley 2010): given "
    "the controls and fixed effects, (i) the treatment is as good as random for both the "
    "mediator and the outcome, and (ii) the mediator is as good as random among units with "
    "the same treatment, i.e. no unmeasured confounder of M and Y, even one caused by the "
    "treatment. (ii) cannot be tested or guaranteed by the design: see the sensitivity "
    "analysis over rho (extra['sensitivity'], extra['rho_at_zero'])."
)

_QUANTITIES = {
    "ACME": "average causal mediation effect (a*b)",
    "ADE": "average direct effect (c')",
    "total": "total effect (a*b + c')",
    "prop_mediated": "proportion mediated (ACME / total)",
}


@dataclass(frozen=True)
class LinearFits:
    """The two fitted models on their common sample (internal).

    ``theta_m`` = (a,), ``theta_y`` = (c', b); ``e2``/``e3`` are the residuals of the
    mediator and outcome models (net of controls and fixed effects).
    """

    a: float
    var_a: float
    theta_y: np.ndarray
    V_y: np.ndarray
    e2: np.ndarray
    e3: np.ndarray
    r2_m: float
    r2_y: float
    n_obs: int
    n_units: int
    n_clusters: int | None
    notes: tuple[str, ...]
    models: dict


def causal_mediation(
    data: Panel | pd.DataFrame,
    outcome: str,
    mediator: str,
    *,
    treatment: str = "treated",
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | Sequence[str] | None = "unit",
    n_sims: int = 1000,
    seed: int | None = None,
    rho: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.05,
    vcov: str = "robust",
) -> Result:
    """Average causal mediation and direct effects (Imai, Keele & Tingley 2010), linear models.

    Parameters
    ----------
    data : Panel or pandas.DataFrame
        A :class:`~did_zones.Panel` (the two models absorb ``fixed_effects`` and cluster as
        :func:`did_zones.twfe`), or a DataFrame holding a cross-section (one row per unit;
        then ``fixed_effects=()`` is required and each model has an intercept).
    outcome, mediator : str
        Outcome ``Y`` and mediator ``M`` columns.
    treatment : str, default "treated"
        With a Panel, ``"treated"`` is the panel's absorbing indicator ``D_it``; another
        name is a 0/1 column. With a DataFrame, a 0/1 column.
    controls : str or sequence of str
        Numeric controls ``X`` entering both models.
    fixed_effects : sequence of str or tuple
        Absorbed effects (Panel only), as in :func:`did_zones.twfe`.
    cluster : str, pair of str, or None
        Cluster variable(s) for the CRV1 variance (Stata ``reghdfe`` factor); None gives
        HC1 (``vcov="robust"``) or the classical OLS variance (``vcov="classical"``).
        With a DataFrame, a column name or None.
    n_sims : int, default 1000
        Monte Carlo draws of the coefficients.
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`. None draws fresh entropy, which is stored
        in ``Result.spec["seed"]`` so the run can be repeated.
    rho : sequence of float, optional
        Values of ρ = corr(ε2, ε3) in (−1, 1) for the sensitivity analysis; default
        ``DEFAULT_RHO`` = −0.95, −0.90, ..., 0.95.
    alpha : float, default 0.05
        Level of the percentile intervals.
    vcov : {"robust", "classical"}, default "robust"
        ``"robust"``: CRV1 with ``cluster``, else HC1. ``"classical"``: ``s²(X'X)⁻¹``, the
        default of R ``mediation`` and statsmodels ``Mediation`` (DataFrame with
        ``cluster=None`` only).

    Returns
    -------
    Result
        ``method="causal_mediation"``, terms ``"ACME"`` (primary), ``"ADE"``, ``"total"``,
        ``"prop_mediated"``. ``estimate``: the analytic values a·b, c', a·b + c' and
        a·b / (a·b + c') from the least-squares fits. ``vcov``: covariance of the
        simulated draws (so ``std_error`` = their sd). ``df=None``. ``keys``: columns
        ``quantity`` and ``sim_center`` (mean of the draws; median for prop_mediated, as R
        ``mediation`` and statsmodels report). ``extra``:

        * ``intervals`` — DataFrame (term, estimate, sim_center, std_error, conf_low,
          conf_high, p_value): percentile intervals of the draws (numpy's linear quantile =
          R's type 7) and the simulation p-value ``min(1, 2·min(#draws > 0, #draws < 0) /
          n_sims)`` (1 if the estimate is 0), as R ``mediation``.
        * ``sensitivity`` — DataFrame over ρ: rho, acme, conf_low, conf_high, ade,
          ade_conf_low, ade_conf_high, r2star_prod (ρ²), r2tilde_prod
          (ρ²(1 − R²_M)(1 − R²_Y)).
        * ``rho_at_zero`` — the ρ at which the ACME is zero; ``r2star_prod_at_zero``,
          ``r2tilde_prod_at_zero`` — the same on the R² scales.
        * ``draws`` — DataFrame of the ``n_sims`` simulated ACME, ADE, total,
          prop_mediated.
        * ``mediator_model``, ``outcome_model`` — dicts with ``coef`` (Series) and ``vcov``
          (DataFrame) of the regressors (treatment, mediator, kept controls).
        * ``analytic`` — dict a, b, c_prime, sigma_m, sigma_y (residual sds, divisor n),
          rho_tilde; ``mediator``, ``treatment``, ``assumption``.

        ``stats``: ``r2_mediator``, ``r2_outcome`` (with the fixed effects), ``n_sims``.

    Raises
    ------
    SpecificationError
        Unknown columns; a mediator that is the outcome, the treatment or a control, is
        constant, equals the outcome, or is missing for whole units; a treatment that is
        not 0/1 or never varies; fixed effects with a DataFrame; bad ``n_sims``, ``rho``,
        ``alpha``, ``vcov``, ``seed``.
    EstimationError
        The treatment or the mediator is collinear with the fixed effects and controls.

    Warns
    -----
    DataDroppedWarning
        Rows with a missing outcome, mediator, treatment, control or cluster value are
        dropped from both models (one common sample), counted in ``Result.notes``.

    Notes
    -----
    Estimands. Under sequential ignorability (Imai, Keele & Yamamoto 2010, Assumption 1):
    (i) {Y(t', m), M(t)} ⫫ D | X and (ii) Y(t', m) ⫫ M(t) | D = t, X, the ACME
    δ(t) = E[Y(t, M(1)) − Y(t, M(0))] and ADE ζ(t) = E[Y(1, M(t)) − Y(0, M(t))] are
    identified, and with the two linear models above δ(0) = δ(1) = a·b, ζ(0) = ζ(1) = c'
    (Imai, Keele & Yamamoto 2010, Theorem 2). (ii) is strong: no unmeasured confounder of
    the mediator and the outcome, and no observed one affected by the treatment. In a
    staggered panel D is the pilot indicator and the FE regressions carry the usual TWFE
    caveats (see :func:`did_zones.twfe`); the mediator is itself a post-treatment outcome
    (江艇 2022), which is why the channel test is the library's default.

    Point estimates. R ``mediation`` and statsmodels report the mean of the simulated
    draws (median for the proportion mediated); here the estimate is the analytic value
    from the fits, which those means approach as ``n_sims`` grows (for ACME
    E[a_s·b_s] = a·b exactly because the two models are drawn independently). The
    simulation centres are in ``keys["sim_center"]``. The draws of a and (c', b) are
    independent normals with the (clustered) variances of each model; statsmodels also
    adds simulated mediator noise, which cancels in R's linear case and here.

    Sensitivity. With ρ = corr(ε2, ε3) ≠ 0 (Imai, Keele & Yamamoto 2010, Theorem 2;
    Imai, Keele & Tingley 2010, eq. for the linear structural equation model)::

        ACME(ρ) = a·σ1/σ2·{ρ̃ − ρ·√((1 − ρ̃²)/(1 − ρ²))}
                = a·{b − ρ·σ3 / (σ2·√(1 − ρ²))},

    where σ2, σ3 are the residual sds of the mediator and outcome models, ε1 = ε3 + b·ε2
    the residual of Y on D and the controls (the total-effect regression), σ1 its sd and
    ρ̃ = corr(ε1, ε2). So ACME(0) = a·b, ACME(ρ) = 0 exactly at ``rho_at_zero`` = ρ̃, and
    ACME(ρ) is strictly monotone in ρ (decreasing if a > 0, increasing if a < 0). The
    second line is the first with b = ρ̃σ1/σ2 and σ3 = σ1√(1 − ρ̃²), exact for the
    least-squares fits (Frisch–Waugh–Lovell). ADE(ρ) = total − ACME(ρ). R ``medsens``
    reaches the same point values by iterated SUR; it gives normal intervals from the SUR
    variance, while here the intervals are percentiles of a_s·{b_s − ρσ3/(σ2√(1 − ρ²))}
    over the same draws as the main analysis, treating σ3/σ2 as known (so the interval at
    ρ = 0 is the ACME interval). The R² parameters (Imai, Keele & Yamamoto 2010,
    section 5.2) are ``R²*_M·R²*_Y = ρ²`` and ``R̃²_M·R̃²_Y = ρ²(1 − R²_M)(1 − R²_Y)``.

    References
    ----------
    Imai, K., Keele, L. & Tingley, D. (2010). A general approach to causal mediation
    analysis. Psychological Methods 15(4), 309–334.
    Imai, K., Keele, L. & Yamamoto, T. (2010). Identification, inference and sensitivity
    analysis for causal mediation effects. Statistical Science 25(1), 51–71.
    Tingley, D., Yamamoto, T., Hirose, K., Keele, L. & Imai, K. (2014). mediation: R
    package for causal mediation analysis. J. Stat. Softw. 59(5).

    Examples
    --------
    >>> import did_zones as dz
    >>> from did_zones.mechanism.causal import causal_mediation
    >>> sim = dz.simulate_pilot_panel(seed=1, effect="homogeneous")
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = causal_mediation(panel, "isu", "ecom", n_sims=500, seed=1)
    >>> res.terms
    ['ACME', 'ADE', 'total', 'prop_mediated']
    >>> bool(abs(res["ACME"] + res["ADE"] - res["total"]) < 1e-12)
    True
    """
    v = check({"alpha": ALPHA, "vcov": Choice(VCOV_TYPES), "n_sims": _N_SIMS, "seed": SEED},
              alpha=alpha, vcov=vcov, n_sims=n_sims, seed=seed)
    n_sims = v["n_sims"]
    rho_grid = _check_rho(rho)
    seed = int(np.random.SeedSequence().entropy) if v["seed"] is None else v["seed"]
    controls = as_tuple(controls)
    if isinstance(data, Panel):
        if vcov == "classical":
            raise SpecificationError(
                "vcov='classical' is offered for cross-sections only (to replicate R "
                "mediation / statsmodels). With a Panel use vcov='robust' (CRV1 or HC1)."
            )
        fits = _panel_fit(data, outcome, mediator, treatment, controls,
                          tuple(fixed_effects), cluster)
    elif isinstance(data, pd.DataFrame):
        if tuple(fixed_effects):
            raise SpecificationError(
                f"A DataFrame is treated as a cross-section, which has no fixed effects; got "
                f"fixed_effects={tuple(fixed_effects)!r}. Pass fixed_effects=() (and "
                "cluster=None or a cluster column), or build a Panel with "
                "did_zones.build_panel to absorb unit and period effects."
            )
        fits = cross_section_fit(data, outcome, mediator, treatment, controls, cluster, vcov)
    else:
        raise SpecificationError(
            f"data must be a did_zones Panel or a pandas DataFrame; got {type(data).__name__}."
        )

    rng = np.random.default_rng(seed)
    draws = _simulate(fits, n_sims, rng)
    return _assemble(fits, draws, rho_grid, outcome=outcome, mediator=mediator, spec={
        "treatment": treatment, "mediator": mediator, "controls": controls,
        "fixed_effects": tuple(fixed_effects), "cluster": cluster, "n_sims": n_sims,
        "seed": seed, "rho": tuple(float(r) for r in rho_grid), "alpha": alpha,
        "vcov": vcov, "data": "panel" if isinstance(data, Panel) else "cross_section",
    })


# ------------------------------------------------------------------------ checks


_N_SIMS = Integer(min=2, hint="Use 1000 or more for intervals.")


def _check_rho(rho) -> np.ndarray:
    if rho is None:
        return DEFAULT_RHO.copy()
    arr = np.atleast_1d(np.asarray(rho, dtype=float))
    bad = arr[~(np.isfinite(arr) & (np.abs(arr) < 1))]
    if arr.ndim != 1 or arr.size == 0 or bad.size:
        raise SpecificationError(
            f"rho must be a non-empty list of correlations strictly between -1 and 1; "
            f"{bad.size} value(s) are not, e.g. {examples(bad)}."
        )
    return arr


def check_mediator_values(m: np.ndarray, y: np.ndarray, d: np.ndarray, mediator: str,
                          outcome: str) -> None:
    """Shared value checks: constant mediator, mediator = outcome, mediator = treatment."""
    ok = np.isfinite(m)
    if not ok.any():
        raise SpecificationError(f"The mediator {mediator!r} has no non-missing value.")
    if np.ptp(m[ok]) == 0:
        raise SpecificationError(
            f"The mediator {mediator!r} is constant ({m[ok][0]:g}) in every row, so the "
            "treatment cannot move it. Check the column."
        )
    both = ok & np.isfinite(d)
    if both.any() and np.array_equal(m[both], d[both]):
        raise SpecificationError(
            f"The mediator {mediator!r} is the treatment indicator itself. A mediator must "
            "be a different variable that the treatment moves."
        )
    check_not_outcome(m, y, ok, mediator, outcome)


def check_not_outcome(m: np.ndarray, y: np.ndarray, ok: np.ndarray, mediator: str,
                      outcome: str) -> None:
    """Raise if the mediator is (an exact linear function of) the outcome on rows ``ok``."""
    both = ok & np.isfinite(y)
    if both.sum() > 2 and np.ptp(y[both]) > 0:
        r = np.corrcoef(m[both], y[both])[0, 1]
        if abs(r) > 1 - 1e-10:
            raise SpecificationError(
                f"The mediator {mediator!r} is identical to (or an exact linear function "
                f"of) the outcome {outcome!r} (correlation {r:.12g}), so b and c' are not "
                "identified. Use a mediator measured separately from the outcome."
            )


def check_roles(outcome, mediator, treatment, controls) -> None:
    """Names: strings, mediator distinct from outcome, treatment and controls."""
    for what, v in (("outcome", outcome), ("mediator", mediator), ("treatment", treatment)):
        if not isinstance(v, str):
            raise SpecificationError(f"{what} must be a column name; got {v!r}.")
    if mediator == outcome:
        raise SpecificationError(
            f"The mediator {mediator!r} is the outcome. A mediator is a different variable "
            "through which the treatment acts on the outcome."
        )
    if mediator == treatment:
        raise SpecificationError(
            f"The mediator {mediator!r} is the treatment. A mediator is a different "
            "variable that the treatment moves."
        )
    for name in (outcome, mediator, treatment):
        if name in controls:
            raise SpecificationError(
                f"{name!r} is both a model variable and a control; remove it from controls."
            )


def check_binary(d: np.ndarray, treatment: str) -> None:
    """The treatment must be 0/1 and take both values on the sample."""
    vals = np.unique(d[np.isfinite(d)])
    if not np.isin(vals, (0.0, 1.0)).all():
        odd = vals[~np.isin(vals, (0.0, 1.0))]
        raise SpecificationError(
            f"The treatment {treatment!r} must be coded 0/1 (the ACME compares t = 1 with "
            f"t = 0); it has {odd.size} other value(s), e.g. {examples(odd)}. Recode it, "
            "e.g. (x > 0).astype(int)."
        )
    if vals.size < 2:
        raise SpecificationError(
            f"The treatment {treatment!r} takes only the value {vals[0]:g} (or is all "
            "missing), so there is no comparison. Check the sample."
        )


# ------------------------------------------------------------------------ panel


def _panel_fit(panel: Panel, outcome, mediator, treatment, controls, fixed_effects,
               cluster) -> LinearFits:
    check_roles(outcome, mediator, treatment, controls)
    own = treatment != "treated"
    check_columns(panel.data, [outcome], what="Outcome column")
    check_columns(panel.data, [mediator], what="Mediator column")
    check_columns(panel.data, controls, what="Control column")
    if own:
        check_columns(panel.data, [treatment], what="Treatment column")
        d = panel.column(treatment)
    else:
        d = panel.treated.astype(float)
    check_binary(d, treatment)
    m = panel.column(mediator)
    y = panel.column(outcome)
    seen = np.bincount(panel.unit_id[np.isfinite(m)], minlength=panel.n_units)
    absent = np.flatnonzero(seen == 0)
    if absent.size:
        raise SpecificationError(
            f"The mediator {mediator!r} is missing for whole units: {absent.size} of "
            f"{panel.n_units} units have no value, e.g. {examples(panel.units[absent])}. "
            "Drop them first (panel.drop_units([...])) or fill the mediator."
        )
    check_mediator_values(m, y, d, mediator, outcome)

    # outcome model first: its sample (Y, M, D, X, FE, clusters all present, no
    # singletons) is the common sample, reused for the mediator model
    out_design = build_design(panel, outcome, {"treated": d, mediator: m},
                              controls=controls, fixed_effects=fixed_effects,
                              cluster=cluster)
    rows = np.zeros(panel.n_obs, dtype=bool)
    rows[out_design.rows] = True
    med_design = build_design(panel, mediator, {"treated": d}, controls=controls,
                              fixed_effects=fixed_effects, cluster=cluster, rows=rows)
    try:
        out_fit = fit_absorbed(out_design, protect=("treated", mediator))
    except EstimationError as err:
        if not str(err).startswith(repr(mediator)):
            raise
        raise EstimationError(
            f"The mediator {mediator!r} is collinear with the treatment, the fixed effects "
            f"{list(out_design.fe_names)} and the controls (after absorbing them it is an "
            "exact function of the treatment), so b and c' are not identified. A mediator "
            "needs variation of its own beyond the treatment."
        ) from None
    med_fit = fit_absorbed(med_design, protect=("treated",))
    V_y, n_clusters, _ = out_fit.vcov()
    V_m, _, _ = med_fit.vcov()
    notes = tuple(panel.notes) + out_design.notes
    dropped = sorted(set(out_fit.dropped) | set(med_fit.dropped))
    if dropped:
        notes += (f"Control(s) {dropped} dropped: collinear with the fixed effects or the "
                  "other regressors.",)
    notes += few_clusters_note(out_design.cluster_counts or None, out_design.cluster_names)
    return LinearFits(
        a=float(med_fit.coef[0]), var_a=float(V_m[0, 0]),
        theta_y=np.asarray(out_fit.coef[:2], dtype=float), V_y=V_y[:2, :2],
        e2=med_fit.resid, e3=out_fit.resid,
        r2_m=float(med_fit.stats["r2"]), r2_y=float(out_fit.stats["r2"]),
        n_obs=out_design.n_obs,
        n_units=int(np.unique(panel.unit_id[out_design.rows]).size),
        n_clusters=n_clusters, notes=notes,
        models={"mediator_model": _table(med_fit.names, med_fit.coef, V_m),
                "outcome_model": _table(out_fit.names, out_fit.coef, V_y)},
    )


def _table(names, coef, V) -> dict:
    idx = pd.Index(list(names), name="term")
    return {"coef": pd.Series(np.asarray(coef, dtype=float), index=idx, name="estimate"),
            "vcov": pd.DataFrame(np.asarray(V, dtype=float), index=idx, columns=idx)}


# ---------------------------------------------------------------- cross-section


def cross_section_fit(df: pd.DataFrame, outcome, mediator, treatment, controls, cluster,
                      vcov) -> LinearFits:
    """OLS of both models with an intercept on the rows where every variable is present."""
    check_roles(outcome, mediator, treatment, controls)
    if cluster is not None and not isinstance(cluster, str):
        raise SpecificationError(
            f"With a DataFrame, cluster is one column name or None; got {cluster!r}."
        )
    if cluster is not None and vcov == "classical":
        raise SpecificationError(
            "vcov='classical' ignores clustering; pass cluster=None, or vcov='robust' for "
            "cluster-robust (CRV1) errors."
        )
    check_columns(df, [outcome], what="Outcome column")
    check_columns(df, [mediator], what="Mediator column")
    check_columns(df, [treatment], what="Treatment column")
    check_columns(df, controls, what="Control column")
    check_columns(df, [cluster], what="Cluster column")
    names = [outcome, mediator, treatment, *controls]
    num = {}
    for c in names:
        col = df[c]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise SpecificationError(
                f"Column {c!r} must be numeric; it has dtype {col.dtype}. Convert it "
                "(e.g. with pd.to_numeric) or create dummies for a categorical control."
            )
        num[c] = col.to_numpy(dtype=float, na_value=np.nan)
    y, m, d = num[outcome], num[mediator], num[treatment]
    check_binary(d, treatment)
    check_mediator_values(m, y, d, mediator, outcome)
    ok = np.logical_and.reduce([np.isfinite(v) for v in num.values()])
    if cluster is not None:
        ok &= df[cluster].notna().to_numpy()
    notes: tuple[str, ...] = ()
    if not ok.all():
        bad = [c for c in names if not np.isfinite(num[c]).all()]
        if cluster is not None and df[cluster].isna().any():
            bad.append(cluster)
        lost = np.flatnonzero(~ok)
        msg = (f"{lost.size} row(s) of {ok.size} dropped for missing values in {bad} "
               f"(rows {examples(df.index[lost])}).")
        warn(msg, DataDroppedWarning)
        notes = (msg,)
    y, m, d = y[ok], m[ok], d[ok]
    check_binary(d, treatment)
    X_c = np.column_stack([num[c][ok] for c in controls]) if controls else np.empty(
        (ok.sum(), 0))
    n = int(ok.sum())
    X_y = np.column_stack([np.ones(n), d, m, X_c])
    X_m = np.column_stack([np.ones(n), d, X_c])
    groups = df[cluster].to_numpy()[ok] if cluster is not None else None
    names_y = ["(intercept)", "treated", mediator, *controls]
    fit_y = _ols(X_y, y, groups, vcov, names_y, cluster)
    fit_m = _ols(X_m, m, groups, vcov, ["(intercept)", "treated", *controls], cluster)
    n_clusters = fit_y["n_clusters"]
    notes += few_clusters_note(n_clusters, cluster)
    return LinearFits(
        a=float(fit_m["coef"][1]), var_a=float(fit_m["V"][1, 1]),
        theta_y=fit_y["coef"][1:3].copy(), V_y=fit_y["V"][1:3, 1:3].copy(),
        e2=fit_m["resid"], e3=fit_y["resid"], r2_m=fit_m["r2"], r2_y=fit_y["r2"],
        n_obs=n, n_units=n if n_clusters is None else n_clusters, n_clusters=n_clusters,
        notes=notes,
        models={"mediator_model": _table(fit_m["names"], fit_m["coef"], fit_m["V"]),
                "outcome_model": _table(names_y, fit_y["coef"], fit_y["V"])},
    )


def _ols(X: np.ndarray, y: np.ndarray, groups, vcov: str, names,
         cluster: str | None = None) -> dict:
    """Least squares with classical, HC1 or CRV1 variance; rank-deficiency is an error."""
    n, k = X.shape
    rank = np.linalg.matrix_rank(X)
    if rank < k:
        raise EstimationError(
            f"The regressors {names} are collinear (rank {rank} of {k}), so the model is "
            "not identified. Remove the redundant control(s)."
        )
    if n <= k:
        raise EstimationError(f"{n} observation(s) for {k} parameters: too few to estimate.")
    bread = np.linalg.inv(X.T @ X)
    coef = bread @ (X.T @ y)
    resid = y - X @ coef
    if vcov == "classical":
        V = (resid @ resid / (n - k)) * bread
        g = None
    else:
        V, g = sandwich_vcov(X * resid[:, None], bread, groups, n_obs=n, n_params=k,
                             cluster_names=None if cluster is None else (cluster,))
    tss = float(((y - y.mean()) ** 2).sum())
    return {"coef": coef, "V": V, "resid": resid, "n_clusters": g, "names": names,
            "r2": 1 - float(resid @ resid) / tss if tss > 0 else np.nan}


# ------------------------------------------------------------------- simulation


def _simulate(fits: LinearFits, n_sims: int, rng: np.random.Generator) -> np.ndarray:
    """``n_sims × 4`` draws of ACME, ADE, total, prop_mediated.

    Draw order (fixed, so a seed reproduces the draws): ``n_sims`` standard normals for
    a, then ``n_sims`` pairs for (c', b) from :meth:`Generator.multivariate_normal`.
    """
    a_s = fits.a + np.sqrt(fits.var_a) * rng.standard_normal(n_sims)
    cb = rng.multivariate_normal(fits.theta_y, fits.V_y, size=n_sims)
    acme = a_s * cb[:, 1]
    ade = cb[:, 0]
    total = acme + ade
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = acme / total
    return np.column_stack([acme, ade, total, prop, a_s, cb[:, 1]])


def _pvalue(x: np.ndarray, est: float) -> float:
    """R ``mediation``'s simulation p-value."""
    if est == 0:
        return 1.0
    return float(min(1.0, 2 * min((x > 0).sum(), (x < 0).sum()) / x.size))


def _assemble(fits: LinearFits, sims: np.ndarray, rho_grid: np.ndarray, *, outcome,
              mediator, spec) -> Result:
    alpha = spec["alpha"]
    q = [alpha / 2, 1 - alpha / 2]
    a = fits.a
    c_prime, b = (float(v) for v in fits.theta_y)
    total = a * b + c_prime
    est = np.array([a * b, c_prime, total, a * b / total if total != 0 else np.nan])
    draws = sims[:, :4]
    center = np.r_[draws[:, :3].mean(0), np.median(draws[:, 3])]
    V = np.cov(draws, rowvar=False)
    lo, hi = np.quantile(draws, q, axis=0)
    se = np.sqrt(np.diag(V))
    intervals = pd.DataFrame({
        "term": list(TERMS), "estimate": est, "sim_center": center, "std_error": se,
        "conf_low": lo, "conf_high": hi,
        "p_value": [_pvalue(draws[:, j], est[j]) for j in range(4)],
    })

    # sensitivity (Imai, Keele & Yamamoto 2010, Theorem 2): closed form over rho
    e2, e3 = fits.e2, fits.e3
    e1 = e3 + b * e2
    sigma_m = float(np.sqrt(e2 @ e2 / e2.size))
    sigma_y = float(np.sqrt(e3 @ e3 / e3.size))
    rho_tilde = float(e1 @ e2 / np.sqrt((e1 @ e1) * (e2 @ e2)))
    k = rho_grid * sigma_y / (sigma_m * np.sqrt(1 - rho_grid**2))
    a_s, b_s, c_s = sims[:, 4], sims[:, 5], sims[:, 1]
    acme_rho = a_s[:, None] * (b_s[:, None] - k[None, :])
    ade_rho = c_s[:, None] + a_s[:, None] * k[None, :]
    (alo, ahi), (dlo, dhi) = (np.quantile(x, q, axis=0) for x in (acme_rho, ade_rho))
    shrink = (1 - fits.r2_m) * (1 - fits.r2_y)
    sensitivity = pd.DataFrame({
        "rho": rho_grid, "acme": a * (b - k), "conf_low": alo, "conf_high": ahi,
        "ade": c_prime + a * k, "ade_conf_low": dlo, "ade_conf_high": dhi,
        "r2star_prod": rho_grid**2, "r2tilde_prod": rho_grid**2 * shrink,
    })

    keys = pd.DataFrame({"quantity": [_QUANTITIES[t] for t in TERMS],
                         "sim_center": center})
    notes = fits.notes + (ASSUMPTION,)
    if not np.isfinite(est[3]):
        notes += ("The total effect is exactly zero, so the proportion mediated is "
                  "undefined (NaN).",)
    return Result.create(
        est, V, TERMS, keys=keys, method="causal_mediation", outcome=outcome, spec=spec,
        n_obs=fits.n_obs, n_units=fits.n_units, n_clusters=fits.n_clusters, df=None,
        primary="ACME", notes=notes,
        stats={"r2_mediator": fits.r2_m, "r2_outcome": fits.r2_y, "n_sims": draws.shape[0]},
        extra={
            "intervals": intervals,
            "sensitivity": sensitivity,
            "rho_at_zero": rho_tilde,
            "r2star_prod_at_zero": rho_tilde**2,
            "r2tilde_prod_at_zero": rho_tilde**2 * shrink,
            "draws": pd.DataFrame(draws, columns=list(TERMS)),
            "analytic": {"a": a, "b": b, "c_prime": c_prime, "sigma_m": sigma_m,
                         "sigma_y": sigma_y, "rho_tilde": rho_tilde},
            "mediator": mediator, "treatment": spec["treatment"],
            "assumption": ASSUMPTION,
            **fits.models,
        },
    )

