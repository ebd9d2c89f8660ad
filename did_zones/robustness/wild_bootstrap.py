"""Wild cluster bootstrap tests and test-inversion intervals (Stata ``boottest``).

``wild_bootstrap(result, panel, term)`` tests ``β_term = null`` with the wild cluster
bootstrap of Cameron, Gelbach & Miller (2008) in the conventions of ``boottest``
(Roodman, MacKinnon, Nielsen & Webb 2019) and R ``fwildclusterboot``: the null imposed
(WCR) by default, Rademacher weights, all ``2^G`` sign vectors when ``2^G <= n_boot``,
a symmetric two-sided p-value and a confidence interval by inverting the test.

The fast algorithm. Let ``x̃`` be the tested regressor and ``u`` the residuals that are
resampled, both net of the fixed effects and the other regressors ``Z`` (Frisch–Waugh–
Lovell; ``M`` the weighted residual maker of ``[FE, Z]``). A draw multiplies ``u`` by
``v_g`` in cluster ``g``; its estimate and its cluster scores are linear in ``v``:

- ``β* − centre = Σ_g v_g a_g / D`` with ``a_g = Σ_{i∈g} w_i x̃_i u_i`` and ``D = x̃'Wx̃``;
- ``s*_h = Σ_g C_hg v_g − (β* − centre) d_h`` with ``C_hg = Σ_{i∈h} w_i x̃_i [M(u ∘ 1_g)]_i``
  and ``d_h = Σ_{i∈h} w_i x̃_i²``.

So the data enter only through ``a`` (G), ``d`` (G) and ``C`` (G × G), computed once, and
all draws are one ``(B × G) @ (G × G)`` product per block of draws: no ``n × B`` matrix.
``C`` comes from cluster × level sums when the fixed effects are one dimension nested in
the clusters plus at most one other (unit and period effects with unit or province
clusters; :func:`_fast_C`, MacKinnon 2023), otherwise from the design layer's
:class:`~did_zones.design.Absorber` applied to the ``2G`` columns ``u ∘ 1_g``
(:func:`_general_C`); the dummies are never materialised. Two-way clustering keeps the
scores of every cell of the intersection and sums them per dimension; draws by another
partition (``bootcluster``: coarser, finer or crossing the variance clusters) keep the
scores of every cell of the common refinement of the two, always through the general
path; the event study's
``"overall"`` is tested after reparametrising the regression so that it is one
coefficient; several terms give a joint Wald test (:mod:`._wild_wald`); did2s and
imputation terms, linear maps of the outcome rather than regressions, give the same
sums from the estimators' own maps (:mod:`._wild_linear`); a mediation equation is
bootstrapped on the mediation's common sample (:mod:`._wild_equations`). Under WCR the
restricted residuals are linear in the null value ``θ`` (``u(θ) = M y − θ x̃``), so are
``a``, ``C``, the numerator and the scores; every draw keeps five numbers (the two
coefficients of its numerator and the three of its sum of squared scores) and the
p-value at any ``θ`` costs ``O(B)``: the interval is found by bisection on the p-value
function with the same draws, as ``boottest`` does.

Ties. The p-value is the share of draws with ``|t*| >= |t|`` (ties counted as
exceedances), a draw counting as tied when ``|t*| >= |t| (1 − 1e-9)``: under WCR with
full enumeration the all-ones and all-minus-ones draws reproduce the sample, so their
``|t*|`` equals ``|t|`` up to rounding, and counting them keeps the rule deterministic.
``details["p_value_strict"]`` gives the share with ``|t*| > |t| (1 + 1e-9)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from .._provenance import check_result_panel
from ..design import build_design, fit_absorbed, refactorize, resolve_codes
from ..errors import EstimationError, SpecificationError
from ..panel import Panel
from ..result import HypothesisTest, Result
from ..validation import (
    FLAG,
    Choice,
    Integer,
    Real,
    Seed,
    as_tuple,
    check_alpha,
    unknown_key_message,
)
from ._wild_core import TIE_RTOL, Stats, all_moments, cluster_stats
from ._wild_equations import equation_and_panel
from ._wild_linear import (
    LEAD_DESIGNS,
    LINEAR_TERMS,
    is_lead,
    lead_rows,
    linear_stats,
    linear_term,
    linear_terms,
    linear_wald,
)

__all__ = ["wild_bootstrap", "WILD_WEIGHTS"]

WildWeights = Literal["rademacher", "mammen", "webb", "normal"]
WILD_WEIGHTS: tuple[str, ...] = get_args(WildWeights)

_BISECT_RTOL = 1e-12   # interval bounds to this fraction of max(|β̂|, se)
TIE_RULE = ("two-sided symmetric: p = share of draws with |t*| >= |t|, ties (|t*| >= "
            "|t|(1 - 1e-9)) counted as exceedances")
WALD_TIE_RULE = ("p = share of draws with W* >= W, ties (W* >= W(1 - 1e-9)) counted as "
                 "exceedances")


# ----------------------------------------------------------------- p-value and interval


def _abs_t(st: Stats, m: np.ndarray, theta: float) -> tuple[np.ndarray, float]:
    """|t*| of every draw and |t| of the sample for the null ``β = θ``."""
    if st.impose_null:
        num = m[0] - theta * m[1]
        q = m[2] - 2 * theta * m[3] + theta**2 * m[4]
    else:  # WCU: draws centred on β̂, the same for every θ
        num, q = m[0], m[2]
    with np.errstate(divide="ignore", invalid="ignore"):
        tb = np.abs(num) * st.D / np.sqrt(st.factor * np.maximum(q, 0.0))
    tb = np.where(np.isnan(tb), np.inf, tb)  # 0/0: a degenerate draw counts as extreme
    return tb, abs(st.beta - theta) / st.se


def _p_value(st: Stats, m: np.ndarray, theta: float) -> float:
    tb, t = _abs_t(st, m, theta)
    return float(np.mean(tb >= t * (1 - TIE_RTOL)))


def _bound(st: Stats, m: np.ndarray, alpha: float, side: int) -> float:
    """The interval's end on ``side`` (−1 lower, +1 upper): bracket by doubling steps of
    ``se`` away from β̂, then bisect ``p(θ) > alpha``."""
    inside = st.beta
    step = st.se
    outside = None
    for _ in range(64):
        trial = st.beta + side * step
        if _p_value(st, m, trial) <= alpha:
            outside = trial
            break
        inside, step = trial, 2 * step
    if outside is None:
        return side * np.inf
    # relative to the bound too: far ends (few bootstrap clusters) cannot be bisected to
    # 1e-12 of β̂ in floating point; stop also when the midpoint no longer moves
    tol = _BISECT_RTOL * max(abs(st.beta), st.se, abs(outside), 1e-300)
    while abs(outside - inside) > tol:
        mid = 0.5 * (inside + outside)
        if mid in (inside, outside):
            break
        if _p_value(st, m, mid) > alpha:
            inside = mid
        else:
            outside = mid
    return 0.5 * (inside + outside)


# ----------------------------------------------------------------- public entry


def _twfe_design(result: Result, panel: Panel, cluster: tuple[str, ...]):
    spec = result.spec
    treatment = spec.get("treatment")
    d = panel.treated.astype(float) if treatment is None else panel.column(treatment)
    return build_design(panel, result.outcome, {"treated": d},
                        controls=as_tuple(spec.get("controls", ())),
                        fixed_effects=tuple(spec.get("fixed_effects", ())),
                        cluster=cluster, weights=spec.get("weights"))


def _event_study_design(result: Result, panel: Panel, cluster: tuple[str, ...]):
    from ..estimators.event_study import event_study_design

    return event_study_design(panel, result.outcome, **{**result.spec, "cluster": cluster})


def _sun_abraham_design(result: Result, panel: Panel, cluster: tuple[str, ...]):
    from ..estimators.sun_abraham import sun_abraham_design

    return sun_abraham_design(panel, result.outcome, **{**result.spec, "cluster": cluster})


# how the regression of each estimator whose registry entry lists "wild_bootstrap" among
# its tests is rebuilt from a result (spec + panel); a test checks the two agree
DESIGNS = {"twfe": _twfe_design, "event_study": _event_study_design,
           "sun_abraham": _sun_abraham_design}


def _refit(result: Result, panel: Panel, cluster: tuple[str, ...]):
    """The result's design rebuilt from its spec (the fixed effects absorbed once)."""
    with warnings.catch_warnings():  # the real fit has already reported every drop
        warnings.simplefilter("ignore")
        builder, expected = DESIGNS.get(result.method), result.n_obs
        if builder is None:  # the lead regression of an imputation result
            builder, expected = LEAD_DESIGNS[result.method], lead_rows(result)
        fit = fit_absorbed(builder(result, panel, cluster), warn=False)
    if expected is not None and fit.design.n_obs != expected:
        raise SpecificationError(
            f"The {result.method} result used {expected} rows but its specification "
            f"rebuilt on this panel uses {fit.design.n_obs}: the result was estimated on "
            "another sample (e.g. an equation of dz.mediation, fitted on the rows where "
            "the outcome, every mediator and control are observed). Pass the "
            "MediationResult with equation=..., or re-estimate on the panel you pass."
        )
    return fit


def _combination_weights(result: Result, term: str) -> pd.Series | None:
    """Weights of the coefficients that ``term`` averages (event study ``"overall"``;
    every Sun–Abraham term, from ``extra["catt"]`` with the shares held fixed), or None
    for a coefficient of the regression."""
    if result.method == "sun_abraham":
        catt = result.extra["catt"]
        names = result.extra["catt_vcov"].index
        if term == "overall":
            w = catt["overall_weight"].to_numpy()
        else:  # a relative period, or a pooled range of them (small_cells="pool")
            row = result.keys.loc[term]
            lo = float(row["event_time"])
            hi = float(row.get("event_time_high", lo))
            e = catt["event_time"].to_numpy()
            w = np.where((e >= lo) & (e <= hi), catt["share"].to_numpy(), 0.0)
        keep = w != 0
        return pd.Series(w[keep], index=names[keep])
    role = result.keys["role"].get(term) if "role" in result.keys else None
    if role != "average":
        return None
    weights = result.extra.get("overall_weights")
    if not isinstance(weights, pd.Series):
        raise SpecificationError(
            f"Term {term!r} is a combination of coefficients whose weights the result does "
            "not record; pass one of its coefficients instead."
        )
    return weights


def _reparametrise(fit, weights: pd.Series):
    """The same regression with ``a'β`` as one coefficient (``a`` = ``weights``).

    With ``j`` the term of largest weight, column ``j`` becomes ``x_j / a_j`` and every
    other term ``k`` of the combination ``x_k − x_j a_k / a_j``: the fitted values, the
    residuals and the cluster-robust t of ``a'β`` are unchanged, and ``a'β`` is now the
    coefficient of column ``j``.
    """
    from dataclasses import replace

    a = np.zeros(len(fit.names))
    for name, value in weights.items():
        a[fit.names.index(name)] = value
    j = int(np.argmax(np.abs(a)))
    X = fit.X_within.copy()
    xj = X[:, j].copy()
    for k in np.flatnonzero(a):
        if k != j:
            X[:, k] -= xj * (a[k] / a[j])
    X[:, j] = xj / a[j]
    coef = fit.coef.copy()
    coef[j] = a @ fit.coef
    return replace(fit, X_within=X, coef=coef), j


BOOTCLUSTER_RULES = ("max", "min", "intersection")


def _boot_clusters(fit, panel: Panel, cl_spec: tuple[str, ...], bootcluster):
    """What the draws are by: ``(boot, G, label)`` with ``boot`` a dimension of the
    variance clusters or a code per used row (any other partition), ``G`` the number of
    bootstrap clusters and ``label`` for ``details["bootcluster"]``.

    ``"max"`` / ``"min"``: the variance dimension with the most / fewest clusters (the
    first on a tie; ``fwildclusterboot``'s ``bootcluster``); a variance cluster's name:
    that dimension; ``"intersection"``: the cells of the two-way partition; another
    column (or a tuple of columns: their intersection): its values on the rows used.
    """
    d_ = fit.design
    counts = d_.cluster_counts
    if min(counts) < 2:
        raise EstimationError(
            f"The wild cluster bootstrap needs at least two clusters; {cl_spec!r} has "
            f"{min(counts)} in the {d_.n_obs} rows used."
        )
    if isinstance(bootcluster, str) and bootcluster in BOOTCLUSTER_RULES + cl_spec:
        if bootcluster in cl_spec:
            k = cl_spec.index(bootcluster)
        elif bootcluster == "min":
            k = int(np.argmin(counts))
        elif bootcluster == "max" or len(cl_spec) == 1:  # one-way: the intersection is it
            k = int(np.argmax(counts))
        else:
            from ._wild_core import _combine

            inter = _combine(*d_.clusters)
            return inter, int(inter.max()) + 1, cl_spec
        return k, counts[k], cl_spec[k]
    if not isinstance(bootcluster, str | tuple | list) or isinstance(bootcluster, list | tuple) \
            and not all(isinstance(c, str) for c in bootcluster):
        raise SpecificationError(
            f"bootcluster must be 'max', 'min', 'intersection', a column name or a tuple of "
            f"column names; got {bootcluster!r}."
        )
    label = bootcluster if isinstance(bootcluster, str) else tuple(bootcluster)
    codes = resolve_codes(panel, label, what="Bootstrap cluster")[d_.rows]
    if (codes < 0).any():
        raise SpecificationError(
            f"bootcluster {label!r} is missing on {int((codes < 0).sum())} of the "
            f"{d_.n_obs} rows of the regression; fill it in or pick a complete column "
            "(the bootstrap must use the result's own rows)."
        )
    codes = refactorize(codes)
    G = int(codes.max()) + 1
    if G < 2:
        raise EstimationError(
            f"bootcluster {label!r} has one value on the {d_.n_obs} rows used; the draws "
            "need at least two bootstrap clusters."
        )
    return codes, G, label


def _boot_dimension(fit, cl_spec: tuple[str, ...]) -> tuple[int, int]:
    """The variance dimension with the most clusters and its count (``bootcluster="max"``;
    kept for callers that need no other choice)."""
    boot, G, _ = _boot_clusters(fit, None, cl_spec, "max")
    return boot, G


def _joint(result: Result, panel: Panel, terms: list[str], null, cl_spec, weights: str,
           n_boot: int, impose_null: bool, seed, bootcluster="max") -> HypothesisTest:
    """The joint (Wald) test of several coefficients (:mod:`._wild_wald`)."""
    from ._wild_wald import wald_draws

    unknown = [t for t in terms if t not in result.estimate.index]
    if unknown or len(terms) < 2 or len(set(terms)) < len(terms):
        what = (unknown_key_message(unknown[0], list(result.estimate.index)) if unknown
                else f"A joint test needs at least two distinct terms; got {terms}.")
        raise SpecificationError(what)
    combos = [t for t in terms if _combination_weights(result, t) is not None]
    if combos:
        raise SpecificationError(
            f"Term(s) {combos} are combinations of coefficients; a joint test takes "
            "coefficients of the regression (e.g. the leads 'e-3', 'e-2')."
        )
    q = len(terms)
    r = np.broadcast_to(np.asarray(null, dtype=float), (q,)).copy() if np.ndim(null) == 0 \
        else np.asarray(null, dtype=float)
    if r.shape != (q,) or not np.isfinite(r).all():
        raise SpecificationError(
            f"null must be a number or {q} finite numbers (one per term); got {null!r}."
        )
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    if result.method in LINEAR_TERMS and not is_lead(result, terms[0]):
        _own_clusters(result, cl_spec, bootcluster)
        F, p, p_strict, used, G, enumerate_ = _linear_joint(
            result, panel, terms, cl_spec, impose_null, r, weights, n_boot, seq)
        boot, boot_label = 0, cl_spec[0]
    else:
        fit = _refit(result, panel, cl_spec)
        missing = [t for t in terms if t not in fit.names]
        if missing:
            raise SpecificationError(
                f"Term(s) {missing} have no coefficient in the refitted regression "
                f"(collinear or not observed); terms: {list(fit.names)}."
            )
        boot, G, boot_label = _boot_clusters(fit, panel, cl_spec, bootcluster)
        enumerate_ = weights == "rademacher" and 2**G <= n_boot
        F, p, p_strict, used = wald_draws(fit, [fit.names.index(t) for t in terms],
                                          fit.design.clusters, boot, impose_null, r,
                                          weights, n_boot, enumerate_, seq, fit.n_params)
    kind = "WCR" if impose_null else "WCU"
    details: dict[str, Any] = {
        "terms": tuple(terms), "null": tuple(r), "conf_int": None, "weights": weights,
        "bootstrap": kind, "n_boot": used, "enumerated": bool(enumerate_),
        "tie_rule": WALD_TIE_RULE,
        "p_value_strict": p_strict, "n_clusters": G,
        "cluster": cl_spec if len(cl_spec) == 2 else cl_spec[0],
        "bootcluster": boot_label, "seed": None if enumerate_ else seq.entropy,
    }
    return HypothesisTest(
        name=f"wild cluster bootstrap ({kind}, {weights}): {q} restrictions",
        statistic=F, p_value=p, df=None, distribution="wild_bootstrap", details=details)


def _regression(result: Result, panel: Panel, term: str, cl_spec, impose_null,
                bootcluster="max"):
    """Sums of a coefficient (or combination) of a regression-type result."""
    combo = _combination_weights(result, term)
    fit = _refit(result, panel, cl_spec)
    missing = [t for t in (combo.index if combo is not None else [term]) if t not in fit.names]
    if missing:  # dropped as collinear in the result too
        raise SpecificationError(
            f"Term(s) {missing} have no coefficient in the refitted regression (collinear "
            f"or not observed); terms: {list(fit.names)}."
        )
    if combo is None:
        j = fit.names.index(term)
    else:
        fit, j = _reparametrise(fit, combo)
    boot, G, boot_label = _boot_clusters(fit, panel, cl_spec, bootcluster)
    st = cluster_stats(fit, j, fit.design.clusters, boot, impose_null=bool(impose_null))
    return st, boot, G, boot_label


def _own_clusters(result: Result, cl_spec, bootcluster) -> None:
    """did2s / imputation effects: the draws are by the (one) variance cluster."""
    if not (bootcluster in ("max", "min", "intersection") or bootcluster == cl_spec[0]
            or tuple(np.atleast_1d(bootcluster)) == cl_spec):
        raise SpecificationError(
            f"bootcluster={bootcluster!r} is available for regression results; the "
            f"{result.method} effects are bootstrapped by their variance cluster "
            f"{cl_spec[0]!r}. Drop bootcluster= (or pass cluster= to change both)."
        )


def _linear(result: Result, panel: Panel, term: str, cl_spec, impose_null):
    """Sums of a did2s / imputation term (:mod:`._wild_linear`)."""
    lt = linear_term(result, panel, term, cl_spec)
    if lt.n_clusters < 2:
        raise EstimationError(
            f"The wild cluster bootstrap needs at least two clusters; {cl_spec!r} has "
            f"{lt.n_clusters} in the {lt.y.size} rows used."
        )
    st = linear_stats(lt, bool(impose_null))
    _same_estimate(result, term, st.beta, st.se)
    return st, 0, lt.n_clusters


def _same_estimate(result: Result, term: str, beta: float, se: float) -> None:
    """Raise unless the term rebuilt from the spec is the result's (same sample)."""
    if abs(beta - result.estimate[term]) > 1e-8 * (abs(beta) + se):
        raise SpecificationError(
            f"The {result.method} term {term!r} rebuilt on this panel is {beta:.6g}, "
            f"not the result's {result.estimate[term]:.6g}: the result was estimated on "
            "another sample (e.g. an equation of dz.mediation). Pass the MediationResult "
            "with equation=..., or re-estimate on the panel you pass."
        )


def _linear_joint(result, panel, terms, cl_spec, impose_null, r, weights, n_boot, seq):
    """The joint test of several did2s / imputation effects (:func:`._wild_linear.linear_wald`)."""
    lts = linear_terms(result, panel, terms, cl_spec)
    overlap = (np.sum([lt.x > 0 for lt in lts], axis=0) > 1).sum()
    if overlap:
        raise SpecificationError(
            f"Terms {terms} share {int(overlap)} treated observation(s) (e.g. 'overall' "
            "and an ATT(e=h)); a joint test takes effects over disjoint observations, "
            "e.g. the ATT(e=h) of different h."
        )
    G = lts[0].n_clusters
    if G < 2:
        raise EstimationError(
            f"The wild cluster bootstrap needs at least two clusters; {cl_spec!r} has {G}.")
    for term, lt in zip(terms, lts, strict=True):
        beta, s = lt.apply(lt.y[:, None])
        _same_estimate(result, term, float(beta[0]), float(np.sqrt(np.sum(s**2))))
    enumerate_ = weights == "rademacher" and 2**G <= n_boot
    F, p, p_strict, used = linear_wald(lts, bool(impose_null), r, weights, n_boot,
                                       enumerate_, seq)
    return F, p, p_strict, used, G, enumerate_


def wild_bootstrap(
    result: Result,
    panel: Panel,
    term: str | Sequence[str] | None = None,
    *,
    null: float | Sequence[float] = 0.0,
    weights: WildWeights = "rademacher",
    n_boot: int = 9999,
    impose_null: bool = True,
    cluster: str | None = None,
    seed: int | np.random.SeedSequence | None = None,
    alpha: float | None = None,
    equation: str | None = None,
    bootcluster: str | tuple[str, ...] = "max",
) -> HypothesisTest:
    """Wild cluster bootstrap test of ``β_term = null``, with its test-inversion interval.

    Parameters
    ----------
    result : Result or MediationResult
        A :func:`did_zones.twfe`, :func:`did_zones.event_study`,
        :func:`did_zones.sun_abraham`, :func:`did_zones.did2s` or
        :func:`did_zones.imputation` result (other estimators are not supported yet), or
        a :func:`did_zones.mediation` result with ``equation``.
        Sun–Abraham terms are tested as combinations of its cohort × period
        coefficients with the cohort shares held fixed (``statistic`` is then the t of
        ``extra["vcov_fixed_shares"]``). did2s and imputation: ``"overall"`` and the
        effects ``"ATT(e=h)"`` of treated observations (a joint test of effects over
        disjoint observations, e.g. several ``ATT(e=h)``), each draw's variance the
        estimator's own (Notes); imputation's leads ``"pre(e=k)"`` as coefficients of
        its pre-trend regression (BJS Test 1, one or jointly); did2s leads are refused.
    panel : Panel
        The panel ``result`` was estimated on (checked by fingerprint); the design is
        rebuilt from ``result.spec``.
    term : str, optional
        Coefficient to test; default the result's primary term (``"treated"``; the event
        study's ``"overall"`` or ``"e+0"``). The event study's ``"overall"`` is tested as
        the combination ``a'β`` with the weights of ``extra["overall_weights"]``
        (the regression reparametrised so that it is one coefficient). A list of two or
        more coefficients gives the joint (Wald) test that all equal ``null`` (e.g. the
        event study's leads: a bootstrap pre-trend test); its ``statistic`` is the
        Wald F (``W / q``, as Stata ``test``), ``details["conf_int"]`` is None.
    null : float or sequence of float
        Value of the coefficient under the null hypothesis (a joint test: one value for
        all terms or one per term).
    weights : {"rademacher", "mammen", "webb", "normal"}
        Distribution of the cluster multipliers (Webb's six-point distribution for few
        clusters).
    n_boot : int
        Number of draws (at least 99). With Rademacher weights and ``2^G <= n_boot`` all
        ``2^G`` sign vectors are used instead (deterministic; ``details["enumerated"]``).
    impose_null : bool
        True (default): WCR, residuals of the regression with the null imposed. False:
        WCU, unrestricted residuals and draws centred on the estimate.
    cluster : str or pair of str, optional
        Cluster variable(s) of the variance and the bootstrap; default the result's own.
        With two (two-way clustering, Cameron, Gelbach & Miller 2011) the variance of
        every draw is two-way, with the result's factor (the smaller ``G`` in every
        term); the draws are by ``bootcluster``.
    seed : int or SeedSequence, optional
        Seed of the draws (recorded in ``details["seed"]``); unused when enumerating.
    alpha : float, optional
        Level of the interval; default the result's ``spec["alpha"]`` (0.05).
    equation : str, optional
        With a MediationResult only: the equation to test, ``"total"`` (Y on D),
        ``"first_stage:<mediator>"`` (M on D) or ``"outcome"`` (Y on D and the
        mediators; ``term="<mediator>"`` tests ``b``). It is bootstrapped on the
        mediation's common sample (rows where the outcome, every mediator and control
        are observed), which is rebuilt from ``panel``.
    bootcluster : str or tuple of str
        Which clusters the draws are by (one multiplier per bootstrap cluster), as Stata
        ``boottest``'s ``bootcluster()`` and R ``fwildclusterboot``'s ``bootcluster``:
        ``"max"`` (default; ``fwildclusterboot``'s default): the variance cluster
        dimension with the most clusters; ``"min"``: the one with the fewest (favoured
        by the simulations of MacKinnon, Nielsen & Webb 2017); a name among the variance
        clusters: that dimension; ``"intersection"``: the cells of the two-way partition
        (e.g. province × year; ``boottest``'s default with two-way clustering, so pass
        it to reproduce ``boottest``); any other column, or a tuple of columns (their
        intersection): its values, coarser than the variance clusters (draws by
        province, variance by city), finer (the subcluster bootstrap of MacKinnon & Webb
        2018) or crossing them. The keywords win over columns of the same name. The
        variance of every draw stays the ``cluster`` variance; only the multipliers
        change. The number of bootstrap clusters decides enumeration (``2^G <=
        n_boot``). One-way clustering with the draws by its own clusters is the fast
        path; every other choice absorbs ``2G`` columns once (``n × 2G`` work).

    Returns
    -------
    HypothesisTest
        ``statistic``: the cluster-robust t of the sample for ``β = null`` (CRV1 with the
        result's small-sample factor, so it equals ``(estimate − null) / std_error``);
        ``p_value``: the bootstrap p-value; ``distribution = "wild_bootstrap"``.
        ``details``: ``conf_int`` (test inversion at ``alpha``; also as ``conf_low``,
        ``conf_high``, so :meth:`~did_zones.HypothesisTest.glance` shows it), ``estimate``,
        ``std_error``, ``term``, ``null``, ``weights``, ``bootstrap`` ("WCR"/"WCU"),
        ``n_boot`` (draws used), ``enumerated``, ``tie_rule``, ``p_value_strict``,
        ``n_clusters`` (bootstrap clusters), ``cluster``, ``bootcluster`` (the column,
        or the tuple of columns whose intersection the draws are by),
        ``small_sample_factor``, ``alpha``, ``seed``.

    Raises
    ------
    SpecificationError
        Unsupported result type, unknown term (with a did-you-mean hint), unknown
        weights, ``n_boot`` below 99, a non-boolean ``impose_null``, a bad ``null`` or
        ``seed``, more than two cluster variables (more than one for did2s and
        imputation), a panel other than the result's, a result whose spec rebuilt on
        ``panel`` gives another sample (a mediation equation passed alone), a missing or
        unknown ``equation`` (or one given with another result), a did2s lead, a joint
        test of did2s / imputation effects that share observations (``"overall"`` with
        an ``"ATT(e=h)"``) or that mixes effects and leads, a ``bootcluster`` that is neither a
        keyword nor column(s), a ``bootcluster`` column missing on rows of the regression,
        a ``bootcluster`` other than the variance cluster for did2s / imputation effects.
    EstimationError
        Fewer than two clusters (variance or bootstrap).

    Notes
    -----
    The p-value is the share of draws with ``|t*| >= |t|``, ties counted (module notes);
    the t statistics of the draws use the same small-sample factor ``G/(G−1)·(N−1)/(N−K)``
    as the sample's (``K`` as the result counts it), so it cancels in the p-value. The
    interval is ``{θ : p(θ) > alpha}`` found by bracketing then bisection from the
    estimate outwards on the same draws; an end is infinite when no ``θ`` within
    ``2^64`` standard errors is rejected (possible with few clusters under WCR). Cost:
    the fixed effects are absorbed from ``2G`` columns once (``n × 2G`` work, in
    column chunks); each draw costs ``O(F·G)`` (``F`` cells of the finest cluster
    partition). A two-way variance of a draw that comes out negative makes its ``|t*|``
    infinite (counted as exceeding), where the result's own variance is made positive
    semi-definite by eigenvalue clipping.

    did2s and imputation (:mod:`._wild_linear`): the term is ``ℓ'y`` and its variance
    ``Σ_c s_c(y)²`` with scores linear in ``y``, so a draw's estimate and variance are
    linear and quadratic in ``v`` as for a regression. The variance of every draw is the
    estimator's own, recomputed on ``y*``: for did2s Gardner's GMM variance (stage-2
    residual ``τ̂ − β`` on the term's treated rows minus the first-stage correction),
    for imputation Borusyak, Jaravel & Spiess's conservative variance with Stata's
    ``τ̃`` cohort × period averages (themselves linear in ``y``); neither has a
    small-sample factor. The bootstrap model is ``Ŷ(0)`` (first stage) plus, on the
    term's treated rows, the term's effect (did2s) or the ω-weighted cell mean of ``τ̂``
    (imputation); WCR shifts these effects by ``θ − β̂``. Cost: the estimator's linear
    maps applied once to ``G`` sparse columns (``2G`` under WCR), in parameter space,
    then as above. Imputation leads: the pre-trend regression (leads on the untreated
    rows, CRV1 with reghdfe's factor, as the result) bootstrapped as a regression, so
    a joint test of the leads is a bootstrap version of ``extra["pretrend_test"]``
    (same F).

    References
    ----------
    Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2008). Bootstrap-based improvements
    for inference with clustered errors. Rev. Econ. Stat. 90(3), 414–427.
    Roodman, D., MacKinnon, J. G., Nielsen, M. Ø. & Webb, M. D. (2019). Fast and wild:
    bootstrap inference in Stata using boottest. Stata J. 19(1), 4–60.
    MacKinnon, J. G., Nielsen, M. Ø. & Webb, M. D. (2023). Cluster-robust inference: a
    guide to empirical practice. J. Econometrics 232(2), 272–299.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.twfe(panel, "isu", cluster="province")
    >>> test = dz.wild_bootstrap(res, panel, n_boot=999, seed=1)
    >>> 0 <= test.p_value <= 1
    True
    >>> gardner = dz.did2s(panel, "isu", cluster="province")
    >>> dz.wild_bootstrap(gardner, panel, n_boot=999, seed=1).details["n_clusters"]
    31
    >>> med = dz.mediation(panel, "isu", "ecom", method="channel", cluster="province")
    >>> a = dz.wild_bootstrap(med, panel, equation="first_stage:ecom", n_boot=999, seed=1)
    >>> a.details["term"]
    'treated'
    """
    from ..estimators.registry import REGISTRY
    from ..mechanism.result import MediationResult

    if isinstance(result, MediationResult):  # one of its equations, on its common sample
        eq, masked = equation_and_panel(result, panel, equation)
        return wild_bootstrap(eq, masked, term, null=null, weights=weights, n_boot=n_boot,
                              impose_null=impose_null, cluster=cluster, seed=seed,
                              alpha=alpha, bootcluster=bootcluster)
    if equation is not None:
        raise SpecificationError(
            f"equation= selects an equation of a mediation result; got a "
            f"{getattr(result, 'method', type(result).__name__)!r} result. Drop equation=."
        )
    supported = sorted(n for n, spec in REGISTRY.items() if spec.supports("wild_bootstrap"))
    if not isinstance(result, Result) or result.method not in supported:
        what = getattr(result, "method", type(result).__name__)
        raise SpecificationError(
            f"wild_bootstrap supports {', '.join(supported)} results so far; got a {what!r} "
            "result. Re-estimate the specification with one of those to bootstrap it."
        )
    check_result_panel(result, panel)
    Choice(WILD_WEIGHTS)("weights", weights)
    n_boot = Integer(min=99, hint="Use 999 or more (boottest's default is 999).")(
        "n_boot", n_boot)
    impose_null = FLAG("impose_null", impose_null)
    joint = term is not None and not isinstance(term, str)
    if not joint:
        null = Real()("null", null)
    seed = Seed(sequence=True)("seed", seed)
    alpha = check_alpha(result.spec.get("alpha", 0.05) if alpha is None else alpha)
    cl_spec = as_tuple(result.spec.get("cluster") if cluster is None else cluster)
    if len(cl_spec) not in (1, 2):
        raise SpecificationError(
            f"wild_bootstrap needs one or two cluster variables; got {cl_spec or None!r}. "
            "Pass cluster='province' (or another column)."
        )
    if joint and result.method in LINEAR_TERMS and len({is_lead(result, t) for t in term}) > 1:
        raise SpecificationError(
            f"A joint test of {result.method} terms takes either effects (ATT(e=h)) or "
            f"pre-trend leads (pre(e=k)), which come from different regressions; got "
            f"{list(term)}."
        )
    if joint:
        return _joint(result, panel, list(term), null, cl_spec, weights, n_boot,
                      impose_null, seed, bootcluster)
    term = result.primary if term is None else term
    if term not in result.estimate.index:
        raise SpecificationError(unknown_key_message(term, list(result.estimate.index)))
    if result.method in LINEAR_TERMS and not is_lead(result, term):  # :mod:`._wild_linear`
        _own_clusters(result, cl_spec, bootcluster)
        st, boot, G = _linear(result, panel, term, cl_spec, impose_null)
        boot_label = cl_spec[0]
    else:
        st, boot, G, boot_label = _regression(result, panel, term, cl_spec, impose_null,
                                              bootcluster)
    enumerate_ = weights == "rademacher" and 2**G <= n_boot
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    m = all_moments(st, weights, n_boot, enumerate_, seq)
    tb, t_abs = _abs_t(st, m, null)
    p = float(np.mean(tb >= t_abs * (1 - TIE_RTOL)))
    p_strict = float(np.mean(tb > t_abs * (1 + TIE_RTOL)))
    conf = (_bound(st, m, alpha, -1), _bound(st, m, alpha, +1))
    details: dict[str, Any] = {
        "term": term, "null": null, "estimate": st.beta, "std_error": st.se,
        "conf_int": conf, "conf_low": conf[0], "conf_high": conf[1], "alpha": alpha,
        "weights": weights,
        "bootstrap": "WCR" if impose_null else "WCU", "n_boot": int(m.shape[1]),
        "enumerated": bool(enumerate_), "tie_rule": TIE_RULE, "p_value_strict": p_strict,
        "n_clusters": G, "cluster": cl_spec if len(cl_spec) == 2 else cl_spec[0],
        "bootcluster": boot_label, "small_sample_factor": st.factor,
        "seed": None if enumerate_ else seq.entropy,
    }
    kind = "WCR" if impose_null else "WCU"
    return HypothesisTest(
        name=f"wild cluster bootstrap ({kind}, {weights}): {term} = {null:g}",
        statistic=(st.beta - null) / st.se, p_value=p, df=None,
        distribution="wild_bootstrap", details=details)
