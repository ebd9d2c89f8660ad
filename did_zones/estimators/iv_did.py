"""IV difference-in-differences: the pilot zone instruments a mediator (Stata ``ivreghdfe``).

The fixed effects are absorbed from every variable with the library's absorber (the
Frisch–Waugh–Lovell theorem makes 2SLS on the absorbed data exact), the 2SLS itself is
``linearmodels.iv.IV2SLS`` on the absorbed arrays, and its covariance is converted to
``ivreghdfe``'s small-sample convention (see :func:`iv_did`, Notes). First stage, reduced
form and the OLS comparison are absorbed least-squares fits of :mod:`did_zones.design`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from scipy import stats

from .._provenance import records_panel
from ..design import (
    AbsorbedFit,
    Design,
    FESpec,
    build_design,
    check_panel_outcome,
    count_distinct,
    few_clusters_note,
    fit_absorbed,
)
from ..errors import DataDroppedWarning, InferenceWarning, SpecificationError, warn
from ..inference import NOISE_TOL, outcome_scale, rounding_vcov, sandwich_vcov
from ..panel import Panel
from ..result import HypothesisTest, Result
from ..validation import (
    ALPHA,
    OPTIONAL_COLUMN,
    PANEL,
    Columns,
    check_columns,
    check_outcome_varies,
    validated,
)

__all__ = ["iv_did", "IvDidExtra", "WEAK_F", "ivreghdfe_factor"]

#: First-stage F below which the instrument is called weak (Staiger & Stock 1997).
WEAK_F = 10.0
#: The default instrument: the panel's policy indicator ``time >= cohort``.
POLICY = "treated"
_ABSORBED_TOL = 1e-10  # as design.ols: within sum of squares below this share of the raw


class IvDidExtra(TypedDict):
    """The ``extra`` mapping of an :func:`iv_did` result (documented in its Returns)."""

    first_stage: dict[str, Result]
    first_stage_f: dict[str, HypothesisTest]
    reduced_form: Result
    ols: Result
    anderson_rubin: HypothesisTest
    linearmodels: Any
    instruments: tuple[str, ...]
    dropped_controls: tuple[str, ...]
    n_singletons: int
    fixed_effects: tuple[str, ...]
    cluster: tuple[str, ...]
    sample: Any


@records_panel
@validated(panel=PANEL, endogenous=Columns(), controls=Columns(),
           weights=OPTIONAL_COLUMN, alpha=ALPHA)
def iv_did(
    panel: Panel,
    outcome: str,
    endogenous: str | Sequence[str],
    *,
    instruments: str | Sequence[str] | None = None,
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | Sequence[str] | None = "unit",
    weights: str | None = None,
    alpha: float = 0.05,
) -> Result:
    """Two-stage least squares with absorbed fixed effects: the pilot zone as instrument.

    Estimates ``y_it = α_i + λ_t + β·x_it + W_it'γ + ε_it`` where the endogenous ``x``
    (e.g. cross-border e-commerce volume) is instrumented by ``z`` (by default the
    post-pilot indicator ``D_it = 1[t ≥ first pilot year of i]``) through the first stage
    ``x_it = μ_i + τ_t + π·z_it + W_it'δ + v_it``, as Stata ``ivreghdfe y W (x = z),
    absorb(unit year) cluster(unit)`` and R ``fixest::feols(y ~ W | unit + year | x ~ z,
    cluster = ~unit)``.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`.
    outcome : str
        Outcome column ``y``.
    endogenous : str or sequence of str
        Endogenous regressor column(s) ``x`` (the mechanism variable).
    instruments : str or sequence of str, optional
        Excluded instrument columns ``z``. Default: the panel's policy indicator
        ``time >= cohort`` (:attr:`Panel.treated`), term ``"treated"``. In a list, the
        name ``"treated"`` means that indicator unless the data have a column of that
        name, so further instruments can be added to it, e.g.
        ``instruments=("treated", "distance_x_post")``. At least as
        many instruments as endogenous regressors are needed.
    controls : str or sequence of str
        Exogenous control columns ``W`` (included instruments). Controls collinear with
        the fixed effects or the instruments are dropped with a warning naming them.
    fixed_effects : sequence of str or tuple
        Absorbed effects, as in :func:`did_zones.twfe` (roles ``"unit"``, ``"time"``,
        ``"cohort"``, columns, tuples for interactions); ``()`` gives an intercept only.
    cluster : str, pair of str, or None
        Cluster variable(s), as in :func:`did_zones.twfe`; None gives HC1 errors.
    weights : str, optional
        Column of positive analytic weights (Stata ``[aweight=w]``).
    alpha : float
        Significance level stored in ``spec``.

    Returns
    -------
    Result
        Terms: the endogenous regressor(s) (the first is ``primary``), then the kept
        controls. ``df`` is ``G − 1`` when clustered (``N − K`` for HC1), as ivreghdfe.
        ``stats``: ``first_stage_f`` (the smallest over endogenous regressors),
        ``first_stage_p_value``, ``ar_f`` and ``ar_p_value`` (Anderson–Rubin test of
        ``β = 0``), ``n_instruments``, ``n_endogenous``, ``n_obs``, ``n_fe_params``
        (the fixed-effect parameters counted in ``K``).
        ``extra`` (typed by :class:`IvDidExtra`):

        - ``first_stage``: dict endogenous name → :class:`Result` of its first stage
          (instruments, then controls; clustered as the 2SLS);
        - ``first_stage_f``: dict endogenous name → :class:`HypothesisTest` (the
          cluster-robust Wald F of the excluded instruments, ``F(L, df)``);
        - ``reduced_form``: :class:`Result` of ``y`` on the instruments and controls;
        - ``ols``: :class:`Result` of ``y`` on the endogenous regressors and controls
          (the TWFE-OLS comparison, ``reghdfe``);
        - ``anderson_rubin``: :class:`HypothesisTest` of ``β = 0`` (the reduced-form Wald
          F of the instruments; valid however weak the instruments are);
        - ``linearmodels``: the ``linearmodels`` ``IVResults`` of the 2SLS on the absorbed
          arrays (its covariance follows linearmodels' convention, not this Result's);
        - ``instruments``, ``dropped_controls``, ``n_singletons``, ``fixed_effects``,
          ``cluster``, ``sample`` (boolean mask of the panel rows used).

    Raises
    ------
    SpecificationError
        Unknown columns (with a did-you-mean hint); a column given in two roles; fewer
        instruments than endogenous regressors; an instrument or endogenous regressor
        that is constant, or that the fixed effects absorb; bad ``alpha``, weights or
        cluster specifications.
    EstimationError
        Fewer than 2 clusters; no observation left.

    Warns
    -----
    InferenceWarning
        First-stage F below 10 (weak instrument); fewer than 30 clusters.
    DataDroppedWarning
        Rows with missing values and singletons (one estimation sample for all the
        equations, counted in ``notes``); collinear controls.

    Notes
    -----
    Estimand: under the exclusion restriction, instrument relevance and (with
    heterogeneous effects) monotonicity, ``β`` is a LATE-type structural coefficient: the
    effect of ``x`` on ``y`` for the variation in ``x`` that the pilot zones induce,
    weighted by how strongly each unit's ``x`` responds (Imbens & Angrist 1994; Angrist &
    Pischke 2009, ch. 4). With one instrument and one endogenous regressor it is the
    Wald ratio of the reduced form to the first stage, ``β = ρ / π``, each a TWFE DiD
    coefficient, so the staggered-adoption caveats of :func:`did_zones.twfe` (negative
    weights under heterogeneous timing effects) apply to numerator and denominator.

    **The exclusion restriction**: the pilot zone must affect the outcome *only* through
    the endogenous variable. In the mechanism setting this is a strong assumption and
    usually doubtful: a cross-border e-commerce pilot zone also brings customs and tax
    facilitation, logistics investment, financing and publicity, any of which can move
    the outcome directly. If it fails, ``β`` mixes the mechanism with every other channel
    and is not the effect of ``x`` (in :func:`did_zones.simulate_pilot_panel`, with a
    direct pilot effect ``direct`` and first-stage effect ``a``, 2SLS centres on
    ``b + direct/a``, not ``b``: 0.03 instead of 0.02 at the defaults, see the tests);
    a mediation analysis that does not assume it
    (:mod:`did_zones.mechanism`) or a bound on the direct effect is then the honest
    report. The restriction cannot be tested with a single instrument; with more
    instruments than endogenous regressors an over-identification test only checks that
    the instruments agree with each other.

    Computation: the fixed effects are absorbed from ``y``, ``x``, ``z`` and ``W`` with
    the library's absorber (weighted if ``weights``), and 2SLS runs on the absorbed
    arrays in ``linearmodels.iv.IV2SLS`` (FWL: identical coefficients to 2SLS with the
    dummies, and identical scores, so only the small-sample factor differs).

    Variance (ivreghdfe's convention, which ``absorb()`` sets to ``small``): CRV1
    ``V = c·(X̂'X̂)⁻¹ (Σ_g s_g s_g') (X̂'X̂)⁻¹`` with scores ``s_g = Σ_{i∈g} x̂_i e_i`` and
    ``c = G/(G−1)·(N−1)/(N−K)``, ``K = k + K_fe``: ``k`` the endogenous regressors and
    kept controls, ``K_fe`` the fixed-effect parameters not nested within the cluster
    variable, counted by the same rule as :func:`did_zones.twfe` (reghdfe's ``df_a``,
    ``did_zones.design.fe_dof``): ``T`` for unit and year effects with unit clusters. linearmodels'
    ``debiased=True`` on the absorbed arrays uses ``c_lm = G/(G−1)·(N−1)/(N−k)`` (it
    sees only the ``k`` columns), so ``V = V_lm · (N−k)/(N−k−K_fe)``
    (:func:`ivreghdfe_factor`); HC1 (``cluster=None``): ``N/(N−k)`` becomes
    ``N/(N−K)`` with every fixed effect counted, the same ratio. Two-way clustering
    uses the smallest cluster count in every term (reghdfe, fixest), which linearmodels
    does not offer, so the sandwich is computed by
    :func:`did_zones.inference.sandwich_vcov` from the same scores. This is also R
    ``fixest``'s default (``ssc(fixef.K = "nested")``): the tests match frozen pyfixest
    0.60.0 values for one-way, province, two-way, HC1, weighted and over-identified fits
    to 1e-10 (``tests/reference/iv_reference.md``).

    First-stage F: the Wald statistic of the excluded instruments in the first stage,
    with the same clustered variance and factor (``K`` = instruments + controls +
    ``K_fe``), divided by their number ``L``. With a single endogenous regressor the
    Kleibergen–Paap rk Wald statistic reduces to this robust Wald statistic of the
    first-stage coefficients (Kleibergen & Paap 2006), and ivreghdfe scales its reported
    KP F with this same factor (``K`` = all instruments + ``df_a``, read from
    ``ivreghdfe.ado``; not checked against a Stata run, since the tests need no Stata). With several
    endogenous regressors each gets its own equation's F; the smallest is in
    ``stats["first_stage_f"]``. That is *not* the Kleibergen–Paap statistic (which tests
    the rank of the whole first-stage matrix and is not computed here): separate Fs can all
    be large while the instruments are jointly weak (use Sanderson–Windmeijer F, e.g.
    ``ivreg2``'s ``first`` output). Below 10 a warning is issued. The Stock–Yogo (2005)
    critical values (e.g. 16.38 for 10% maximal size with one instrument) are derived for
    i.i.d. errors; with clustered errors no critical values of that kind exist, and the
    rule of thumb is only a guide (Andrews, Stock & Sun 2019, who recommend the
    Anderson–Rubin test, reported here, for weak-instrument-robust inference).

    References
    ----------
    Angrist, J. D. & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*, ch. 4.
    Princeton University Press.
    Imbens, G. W. & Angrist, J. D. (1994). Identification and estimation of local average
    treatment effects. Econometrica 62(2), 467–475.
    Correia, S. (2016). Linear models with high-dimensional fixed effects: an efficient and
    feasible estimator. Working paper (``reghdfe``); Correia, S. (2018). ``ivreghdfe``:
    instrumental-variable regressions with multiple fixed effects (GitHub
    sergiocorreia/ivreghdfe, built on Baum, Schaffer & Stillman's ``ivreg2``).
    Kleibergen, F. & Paap, R. (2006). Generalized reduced rank tests using the singular
    value decomposition. J. Econometrics 133(1), 97–126.
    Stock, J. H. & Yogo, M. (2005). Testing for weak instruments in linear IV regression.
    In *Identification and Inference for Econometric Models*, 80–108.
    Andrews, I., Stock, J. H. & Sun, L. (2019). Weak instruments in instrumental variables
    regression: theory and practice. Annu. Rev. Econ. 11, 727–753.

    Examples
    --------
    The simulator's e-commerce index ``ecom`` instrumented by the pilot zones (its ISU
    also has a direct pilot effect, so the exclusion restriction fails there on purpose):

    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = iv_did(panel, "isu", "ecom", controls=["lngdp_pc"], cluster="province")
    >>> res.terms
    ['ecom', 'lngdp_pc']
    >>> res.stats["first_stage_f"] > 10
    True
    >>> fs, rf = res.extra["first_stage"]["ecom"], res.extra["reduced_form"]
    >>> bool(abs(rf["treated"] / fs["treated"] - res["ecom"]) < 1e-10)
    True
    """
    endog, instr, z_values = _check_arguments(panel, outcome, endogenous, instruments,
                                              controls)
    regressors = {name: panel.column(name) for name in endog}
    regressors.update(zip(instr, z_values, strict=True))
    design = build_design(panel, outcome, regressors, controls=controls,
                          fixed_effects=fixed_effects, cluster=cluster, weights=weights)
    notes = list(panel.notes) + list(design.notes)
    notes += few_clusters_note(design.cluster_counts or None, design.cluster_names)

    reduced, first, ols, kept, more_notes = _fit_equations(design, endog, instr, controls)
    notes += more_notes
    coef, V, lm_res, fe_k, g, df, floor = _two_sls(design, outcome, reduced, first, endog,
                                                   instr, kept)
    tests = {name: _wald_f(fs, instr, f"first stage of {name!r}: excluded instruments = 0")
             for name, fs in first.items()}
    ar = _wald_f(reduced, instr, "Anderson-Rubin: structural coefficient(s) = 0")
    weakest = min(tests, key=lambda n: tests[n].statistic)
    notes += _weak_notes(tests, ar)

    sample = np.zeros(panel.n_obs, dtype=bool)
    sample[design.rows] = True
    spec = {"endogenous": endog, "instruments": None if instruments is None else instr,
            "controls": controls, "fixed_effects": tuple(fixed_effects), "cluster": cluster,
            "weights": weights, "alpha": alpha}
    common = {"n_obs": design.n_obs, "spec": spec,
              "n_units": count_distinct(panel.unit_id[design.rows], panel.n_units),
              "panel_fingerprint": panel.fingerprint,
              "panel_shape": (panel.n_units, panel.n_periods)}
    return Result.create(
        coef, V, endog + kept, keys=_keys(len(endog), len(kept), "endogenous"),
        variance_floor=floor, method="iv_did", outcome=outcome, n_clusters=g, df=df,
        primary=endog[0], notes=tuple(notes), **common,
        stats={"first_stage_f": tests[weakest].statistic,
               "first_stage_p_value": tests[weakest].p_value,
               "ar_f": ar.statistic, "ar_p_value": ar.p_value,
               "n_instruments": len(instr), "n_endogenous": len(endog),
               "n_obs": design.n_obs, "n_fe_params": fe_k},
        extra={"first_stage": {n: _ols_result(f, "iv_did_first_stage", n, len(instr),
                                              "instrument", common)
                               for n, f in first.items()},
               "first_stage_f": tests,
               "reduced_form": _ols_result(reduced, "iv_did_reduced_form", outcome,
                                           len(instr), "instrument", common),
               "ols": _ols_result(ols, "iv_did_ols", outcome, len(endog), "endogenous",
                                  common),
               "anderson_rubin": ar, "linearmodels": lm_res, "instruments": instr,
               "dropped_controls": tuple(c for c in controls if c not in kept),
               "n_singletons": design.n_singletons, "fixed_effects": design.fe_names,
               "cluster": design.cluster_names, "sample": sample},
    )


def ivreghdfe_factor(n_obs: int, n_regressors: int, n_fe_params: int) -> float:
    """Ratio of ivreghdfe's small-sample factor to linearmodels' ``debiased=True`` one.

    ``(N − k) / (N − k − K_fe)``: linearmodels, run on absorbed data, divides by
    ``N − k`` (its ``k`` columns); ivreghdfe (and reghdfe) by ``N − k − K_fe``. Multiply
    a linearmodels covariance by it (standard errors by its square root).
    """
    return (n_obs - n_regressors) / (n_obs - n_regressors - n_fe_params)


# ------------------------------------------------------------------------- checks

def _names(value, what: str) -> tuple[str, ...]:
    """Column names (checked by :class:`~did_zones.validation.Columns`), at least one."""
    names = Columns()(what, value)
    if not names:
        raise SpecificationError(
            f"{what} must be a column name or a non-empty sequence of column names; "
            f"got {value!r}.")
    return names


def _check_arguments(panel, outcome, endogenous, instruments, controls):
    """Validate at the door; return the names and the instruments' values."""
    check_panel_outcome(panel, outcome)
    endog = _names(endogenous, "endogenous")
    check_columns(panel.data, endog, what="Endogenous column")
    instr = (POLICY,) if instruments is None else _names(instruments, "instruments")
    check_columns(panel.data, [n for n in instr if n != POLICY], what="Instrument column")
    check_columns(panel.data, controls, what="Control column")
    roles = [("outcome", (outcome,)), ("endogenous", endog), ("instruments", instr),
             ("controls", controls)]
    seen: dict[str, str] = {}
    for role, cols in roles:
        for c in cols:
            if c in seen:
                raise SpecificationError(
                    f"Column {c!r} is given both as {seen[c]} and as {role}; each column "
                    f"plays one role. Remove it from {role}.")
            seen[c] = role
    if len(instr) < len(endog):
        raise SpecificationError(
            f"2SLS needs at least as many instruments as endogenous regressors; got "
            f"{len(instr)} instrument(s) {list(instr)} for {len(endog)} endogenous "
            f"{list(endog)}. Add instruments, e.g. instruments=['treated', 'other_iv'], or "
            "instrument fewer variables.")
    check_outcome_varies(panel.column(outcome), outcome)
    for name in endog:
        _check_not_constant(panel.column(name), f"Endogenous regressor {name!r}",
                            "there is no variation for the instruments to explain")
    z_values = []
    for name in instr:
        policy = instruments is None or (name == POLICY and POLICY not in panel.data.columns)
        z = panel.treated.astype(float) if policy else panel.column(name)
        what = ("The policy indicator 'treated' (time >= cohort)" if policy
                else f"Instrument {name!r}")
        _check_not_constant(z, what, "it cannot move the endogenous regressor")
        z_values.append(z)
    return endog, instr, z_values


def _check_not_constant(values: np.ndarray, what: str, why: str) -> None:
    v = values[np.isfinite(values)]
    if v.size and np.ptp(v) == 0:
        raise SpecificationError(
            f"{what} is constant ({v[0]:g}) on its {v.size} non-missing rows, so {why}. "
            "Choose a variable that varies across units and years (for the policy "
            "indicator: a panel with both pilot and not-yet/never-pilot city-years).")


def _check_instruments_kept(reduced: AbsorbedFit, instr, design: Design) -> None:
    lost = [n for n in instr if n in reduced.dropped]
    if lost:
        raise SpecificationError(
            f"Instrument(s) {lost} do not vary once the fixed effects "
            f"{list(design.fe_names)} are absorbed (or are collinear with the instruments "
            "before them), so they carry no identifying variation. A time-invariant city "
            "characteristic is absorbed by the unit effects and a shock common to all cities "
            "by the year effects; interact it with time or with a cross-section variable "
            "(e.g. distance x post).")


def _check_endogenous_varies(fs: AbsorbedFit, name: str, design: Design) -> None:
    x = _col(design, name)
    w = np.ones(x.size) if design.weights is None else design.weights
    within = float(w @ fs.y_within**2)
    if within <= _ABSORBED_TOL * float(w @ x**2):
        raise SpecificationError(
            f"Endogenous regressor {name!r} does not vary once the fixed effects "
            f"{list(design.fe_names)} are absorbed (e.g. it is a city characteristic or a "
            "national series), so its effect is not identified in this design. Use a "
            "variable that changes within cities over time.")


# ------------------------------------------------------------------------- fits

def _fit_equations(design: Design, endog, instr, controls):
    """Reduced form, first stage(s) and OLS on the common sample.

    The reduced form goes first: it decides which controls are kept (collinear ones
    dropped, with a warning) and refuses absorbed instruments; the other equations use the
    kept controls.
    """
    notes = []
    reduced = fit_absorbed(_sub(design, design.y, instr + controls), warn=False)
    _check_instruments_kept(reduced, instr, design)
    kept = tuple(n for n in reduced.names if n not in instr)
    dropped = [n for n in controls if n not in kept]
    if dropped:
        msg = (f"Control(s) {dropped} dropped: collinear with the fixed effects, the "
               "instruments or the other controls. Remove them from controls.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    first = {}
    for name in endog:
        fs = fit_absorbed(_sub(design, _col(design, name), instr + kept), warn=False)
        _check_endogenous_varies(fs, name, design)
        first[name] = fs
    ols = fit_absorbed(_sub(design, design.y, endog + kept), protect=endog)
    return reduced, first, ols, kept, notes


def _col(design: Design, name: str) -> np.ndarray:
    return design.X[:, design.names.index(name)]


def _sub(design: Design, y: np.ndarray, x_names) -> Design:
    """The design of one equation on the common sample (same rows, fixed effects, clusters
    and weights): outcome ``y``, regressors ``x_names`` (columns of the full design)."""
    cols = [design.names.index(n) for n in x_names]
    return replace(design, y=y, X=np.ascontiguousarray(design.X[:, cols]),
                   names=tuple(x_names))


def _within(fit: AbsorbedFit, names) -> np.ndarray:
    return fit.X_within[:, [fit.names.index(n) for n in names]]


def _two_sls(design, outcome, reduced, first, endog, instr, kept):
    """2SLS on the absorbed arrays with linearmodels; covariance in ivreghdfe's convention.

    Returns the coefficients, their covariance, the linearmodels results, ``K_fe``, the
    cluster count, the degrees of freedom and the variance floor.
    """
    from linearmodels.iv import IV2SLS

    names = list(endog) + list(kept)
    X = np.column_stack([first[n].y_within for n in endog])
    W = _within(reduced, kept) if kept else None
    model = IV2SLS(pd.Series(reduced.y_within, name=outcome),
                   None if W is None else pd.DataFrame(W, columns=list(kept)),
                   pd.DataFrame(X, columns=list(endog)),
                   pd.DataFrame(_within(reduced, instr), columns=list(instr)),
                   weights=design.weights)
    if len(design.clusters) == 1:
        res = model.fit(cov_type="clustered", clusters=design.clusters[0], debiased=True)
    else:
        res = model.fit(cov_type="robust", debiased=True)
    coef = res.params[names].to_numpy()

    n, k, fe_k = design.n_obs, len(names), first[endog[0]].fe_dof
    xhat_w, bread, e = _projection(design, reduced, X if W is None else np.hstack([X, W]),
                                   coef)
    clusters = None
    if design.clusters:
        clusters = (design.clusters[0] if len(design.clusters) == 1
                    else np.column_stack(design.clusters))
    if len(design.clusters) == 2:  # min-G convention: the library's sandwich
        V, g = sandwich_vcov(xhat_w * e[:, None], bread, clusters, n_obs=n,
                             n_params=k + fe_k, cluster_names=design.cluster_names)
    else:
        V = res.cov.loc[names, names].to_numpy() * ivreghdfe_factor(n, k, fe_k)
        g = design.n_clusters
    floor = rounding_vcov(xhat_w, bread, clusters, NOISE_TOL * outcome_scale(design.y),
                          n_obs=n, n_params=k + fe_k)
    df = (g - 1) if g is not None else n - k - fe_k
    return coef, V, res, fe_k, g, int(df), floor


def _projection(design, reduced, X, coef):
    """``w_i x̂_i`` (first-stage fitted regressors times weights), the bread
    ``(X̂'WX̂)⁻¹`` and the structural residuals ``e = ỹ − X̃β`` on the absorbed arrays."""
    Z = reduced.X_within  # instruments and kept controls, absorbed
    w = np.ones(design.n_obs) if design.weights is None else design.weights
    sw = np.sqrt(w)[:, None]
    xhat = Z @ np.linalg.lstsq(Z * sw, X * sw, rcond=None)[0]
    xhat_w = xhat * w[:, None]
    return xhat_w, np.linalg.inv(xhat.T @ xhat_w), reduced.y_within - X @ coef


def _wald_f(fit: AbsorbedFit, instr, name: str) -> HypothesisTest:
    """Cluster-robust Wald F that the coefficients of ``instr`` in ``fit`` are zero."""
    V, g, df = fit.vcov()
    idx = [fit.names.index(n) for n in instr]
    b = fit.coef[idx]
    Vb = V[np.ix_(idx, idx)]
    L = len(idx)
    F = float(b @ np.linalg.solve(Vb, b)) / L
    p = float(stats.f.sf(F, L, df))
    return HypothesisTest(name=name, statistic=F, p_value=p, df=(float(L), float(df)),
                          distribution="F",
                          details={"instruments": tuple(instr), "coefficients": b,
                                   "vcov": Vb, "n_clusters": g})


def _weak_notes(tests: dict[str, HypothesisTest], ar: HypothesisTest) -> list[str]:
    notes = []
    for name, t in tests.items():
        if t.statistic < WEAK_F:
            msg = (
                f"Weak instrument: the first-stage F for {name!r} is {t.statistic:.2f}, below "
                f"{WEAK_F:g} (Staiger-Stock rule of thumb). 2SLS is then biased towards OLS "
                "and its t-test over-rejects; use the Anderson-Rubin test "
                f"(stats['ar_p_value'] = {ar.p_value:.3g}) for inference on the effect. The "
                "Stock-Yogo critical values (16.38 for 10% maximal size with one instrument) "
                "assume i.i.d. errors, so with clustered errors they are only a guide.")
            warn(msg, InferenceWarning)
            notes.append(msg)
    return notes


# ------------------------------------------------------------------------- results

def _keys(n_first: int, n_controls: int, role: str) -> pd.DataFrame:
    return pd.DataFrame({"cohort": np.nan, "time": np.nan, "event_time": np.nan,
                         "role": [role] * n_first + ["control"] * n_controls})


def _ols_result(fit: AbsorbedFit, method: str, outcome: str, n_first: int, role: str,
                common: dict) -> Result:
    V, g, df = fit.vcov()
    return Result.create(
        fit.coef, V, fit.names, keys=_keys(n_first, len(fit.names) - n_first, role),
        variance_floor=fit.variance_floor(), method=method, outcome=outcome,
        n_clusters=g, df=df, primary=fit.names[0], **common,
        stats={"r2": fit.stats["r2"], "r2_within": fit.stats["r2_within"],
               "n_obs": fit.design.n_obs, "n_fe_params": fit.fe_dof})

