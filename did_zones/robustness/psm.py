"""Propensity-score matching before difference-in-differences (PSM-DiD).

:func:`match` estimates the propensity of being an (ever-)pilot city from covariates (logit),
matches every treated unit to never-treated units (nearest neighbour 1:k with an optional
caliper, with or without replacement, or kernel matching) and returns a frozen
:class:`MatchResult`: matching weights, the matched :class:`~did_zones.panel.Panel` carrying
them as a column, the propensity scores and a balance table. :func:`psm_did` then re-estimates
an existing result's specification on the matched sample with the matching weights.

Conventions follow Stata's ``psmatch2`` / ``pstest`` (Leuven & Sianesi 2003), the tools behind
most published PSM-DiD studies of Chinese pilot policies.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd

from .._provenance import check_result_panel
from .._render import render
from ..errors import DataDroppedWarning, EstimationError, SpecificationError, warn
from ..panel import Panel
from ..result import Result
from ..validation import (
    FLAG,
    PANEL,
    Choice,
    Integer,
    Real,
    ResultArg,
    as_tuple,
    check,
    check_choice,
    check_columns,
    examples,
)

__all__ = ["MatchResult", "match", "psm_did", "KERNELS", "METHODS"]

Method = Literal["nearest", "kernel"]
Kernel = Literal["epanechnikov", "normal", "biweight", "uniform", "tricube"]
METHODS: tuple[str, ...] = ("nearest", "kernel")
KERNELS: tuple[str, ...] = ("epanechnikov", "normal", "biweight", "uniform", "tricube")
_BALANCE_COLUMNS = ["mean_treated", "mean_control", "std_diff", "var_ratio"]


@dataclass(frozen=True, eq=False)
class MatchResult:
    """Outcome of propensity-score matching (immutable).

    Attributes
    ----------
    weights : pandas.Series
        Matching weight per unit (``period="each"``: per unit and period, MultiIndex
        ``(unit, time)``): 1 for matched treated units, the sum of their matching weights for
        controls, 0 for unmatched treated units, unused controls and not-yet-treated units.
    panel : Panel
        The matched sample: units (or unit-periods) with positive weight, with the weights
        in column ``weight_column``, ready for an estimator's ``weights=``.
    weight_column : str
        Name of the weight column in ``panel.data``.
    pscore : pandas.Series
        Estimated propensity score of every unit (or unit-period) used in the logit.
    balance : pandas.DataFrame
        One row per covariate: ``mean_treated``, ``mean_control``, ``std_diff`` (%) and
        ``var_ratio``, each ``_before`` and ``_after`` matching, and ``reduction`` (% fall of
        the absolute standardized difference).
    matches : pandas.DataFrame
        One row per treated-control pair with positive weight: ``treated``, ``control``,
        ``weight`` (of the control for that treated unit; each treated unit's weights sum to
        1), ``distance`` (absolute pscore difference) and, for ``period="each"``, ``time``.
    n_unmatched : int
        Treated units (``period="each"``: treated unit-periods) left without a match, off
        the common support or outside the caliper / bandwidth.
    spec : mapping
        The options used.
    notes : tuple of str
        What happened: drops, unmatched units, the variance caveat.
    logit : object
        The fitted statsmodels ``LogitResults`` (one per period for ``period="each"``, in a
        dict keyed by period).
    """

    weights: pd.Series
    panel: Panel
    weight_column: str
    pscore: pd.Series
    balance: pd.DataFrame
    matches: pd.DataFrame
    n_unmatched: int
    spec: Mapping[str, Any]
    notes: tuple[str, ...] = ()
    logit: Any = field(default=None, repr=False)

    def tidy(self) -> pd.DataFrame:
        """Balance table in long form: covariate, sample (``before``/``after``),
        mean_treated, mean_control, std_diff, var_ratio."""
        parts = []
        for sample in ("before", "after"):
            part = self.balance[[f"{c}_{sample}" for c in _BALANCE_COLUMNS]].copy()
            part.columns = _BALANCE_COLUMNS
            part.insert(0, "sample", sample)
            parts.append(part.rename_axis("covariate").reset_index())
        return pd.concat(parts, ignore_index=True)

    def glance(self) -> pd.DataFrame:
        """One row: method, period, k, caliper, n_treated_matched, n_unmatched,
        n_controls_used, the largest absolute standardized difference (%) before and after
        matching, notes (their count)."""
        n_t = int(self.matches["treated"].nunique()) if len(self.matches) else 0
        n_c = int(self.matches["control"].nunique()) if len(self.matches) else 0
        return pd.DataFrame([{
            "method": self.spec["method"], "period": str(self.spec["period"]),
            "k": self.spec["k"], "caliper": self.spec["caliper"],
            "n_treated_matched": n_t, "n_unmatched": self.n_unmatched,
            "n_controls_used": n_c,
            "max_abs_std_diff_before": float(self.balance["std_diff_before"].abs().max()),
            "max_abs_std_diff_after": float(self.balance["std_diff_after"].abs().max()),
            "notes": len(self.notes)}])

    def summary(self) -> str:
        """Plain-text summary: matching counts, the balance table and the notes (rendered by
        :mod:`did_zones.tables`)."""
        return render(self, "summary")

    def to_table(self, **options: Any):
        """The balance table: :func:`did_zones.tables.balance_table` of this result."""
        return render(self, "table", **options)

    def __repr__(self) -> str:
        n_t = int((self.matches["treated"].nunique()) if len(self.matches) else 0)
        return (f"MatchResult({self.spec['method']}, {n_t} treated matched, "
                f"{self.n_unmatched} unmatched; max |std diff| after = "
                f"{self.balance['std_diff_after'].abs().max():.3g}%)")


class PsmDidExtra(TypedDict):
    """What :func:`psm_did` adds to the ``extra`` mapping of the estimator it re-runs (whose
    own keys, e.g. :class:`~did_zones.estimators.twfe.TwfeExtra`, stay): ``match``, the
    :class:`MatchResult`."""

    match: MatchResult


# ============================================================================= public
def match(
    panel: Panel,
    covariates: str | Sequence[str],
    *,
    period: Literal["pre", "each"] | int = "pre",
    method: Method = "nearest",
    k: int = 1,
    caliper: float | None = None,
    replacement: bool = True,
    kernel: Kernel = "epanechnikov",
    bandwidth: float = 0.06,
    common_support: bool = True,
    seed: int | None = None,
    weight_column: str = "psm_weight",
) -> MatchResult:
    """Match pilot units to never-treated units on the propensity score.

    Parameters
    ----------
    panel : Panel
        The panel. Treated units are the ever-treated ones (finite cohort); the donor pool is
        the never-treated units. Not-yet-treated units are neither (their later treatment
        makes them poor controls for a whole-panel DiD) and get weight 0.
    covariates : str or sequence of str
        Numeric columns of ``panel.data`` entering the logit (with a constant).
    period : {"pre", "each"} or int, default "pre"
        ``"pre"``: one cross-section of unit means of the covariates over the panel's common
        pre-treatment periods (those before the earliest cohort, when no unit is treated);
        missing years are skipped in a unit's mean. An int: the covariates of that period
        (e.g. the year before the first batch). ``"each"``: period-by-period matching
        (逐期匹配): a logit and a matching in every period, weights per unit-period.
    method : {"nearest", "kernel"}, default "nearest"
        Nearest-neighbour or kernel matching.
    k : int, default 1
        Neighbours per treated unit (``"nearest"``).
    caliper : float, optional
        Largest allowed absolute difference of propensity scores (``psmatch2``'s convention,
        on the probability scale, not in standard-deviation units; for Austin's rule pass
        e.g. ``0.2 * sd`` yourself). Neighbours beyond it are not used; a treated unit with
        none is unmatched.
    replacement : bool, default True
        Whether a control may serve several treated units (``"nearest"``). Without
        replacement, treated units pick greedily in random order when ``seed`` is given, else
        in descending order of the score (hardest to match first).
    kernel : {"epanechnikov", "normal", "biweight", "uniform", "tricube"}
        Kernel of ``"kernel"`` matching.
    bandwidth : float, default 0.06
        Kernel bandwidth on the probability scale (``psmatch2``'s default).
    common_support : bool, default True
        Leave treated units whose score lies outside the controls' range unmatched
        (``psmatch2, common``).
    seed : int, optional
        Seed of the random order of matching without replacement.
    weight_column : str, default "psm_weight"
        Name of the weight column added to the matched panel.

    Returns
    -------
    MatchResult

    Raises
    ------
    SpecificationError
        Unknown or non-numeric covariates, bad option values, options that do not apply
        (``caliper`` with kernel matching), missing covariates of treated units, a constant
        or collinear covariate, a period not in the panel, an existing ``weight_column``.
    EstimationError
        No treated or no never-treated units, perfect separation in the logit, or no
        treated unit matched.

    Warns
    -----
    DataDroppedWarning
        Controls dropped for missing covariates.

    Notes
    -----
    Weights: treated unit ``i`` with ``k_i`` matched controls gives each ``1/k_i``; a
    control's weight is the sum over the treated units it serves (with replacement and
    ``k_i = k``: its match count divided by ``k``). Kernel matching gives control ``j`` the
    weight ``Σ_i K((p_j − p_i)/h) / Σ_l K((p_l − p_i)/h)``. Distance ties are broken by the
    order of the units' labels.

    Balance (``pstest``): the standardized difference is
    ``100 (x̄_T − x̄_C) / sqrt((s²_T + s²_C) / 2)`` with the *before-matching* variances in
    the denominator both before and after, so that its fall reflects the means only; the
    variance ratio is ``s²_T / s²_C``; after matching, means and variances are weighted by
    the matching weights (variances with the reliability-weight correction
    ``Σw − Σw²/Σw``, which is ``n − 1`` under unit weights).

    Standard errors of a DiD on the matched sample treat the weights as fixed: they ignore
    the estimation of the score and the matching (Abadie & Imbens 2016).

    References
    ----------
    Rosenbaum, P. R. & Rubin, D. B. (1985). Constructing a control group using multivariate
    matched sampling methods. The American Statistician 39(1), 33-38.
    Leuven, E. & Sianesi, B. (2003). PSMATCH2. Statistical Software Components S432001.
    Heckman, J., Ichimura, H. & Todd, P. (1997). Matching as an econometric evaluation
    estimator. Review of Economic Studies 64(4), 605-654.

    Examples
    --------
    >>> import did_zones as dz
    >>> from did_zones.robustness.psm import match
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> m = match(panel, ["lngdp_pc", "lnpop"], caliper=0.05)
    >>> bool((m.balance["std_diff_after"].abs() < m.balance["std_diff_before"].abs()).all())
    True
    """
    covariates = _check_inputs(panel, covariates, period, method, k, caliper, replacement,
                               kernel, bandwidth, weight_column)
    spec = {"covariates": covariates, "period": period, "method": method, "k": int(k),
            "caliper": caliper, "replacement": bool(replacement), "kernel": kernel,
            "bandwidth": float(bandwidth), "common_support": bool(common_support),
            "seed": seed, "weight_column": weight_column}
    opts = _Options(method, int(k), caliper, bool(replacement), kernel, float(bandwidth),
                    bool(common_support), seed)
    cross, notes = _cross_section(panel, covariates, period)
    if period == "each":
        return _match_each(panel, cross, covariates, opts, spec, notes)
    fit = _match_sample(cross, covariates, opts)
    weights = pd.Series(0.0, index=panel.units, name="weight")
    weights[fit.units] = fit.weights
    notes += _unmatched_notes(fit, "treated unit(s)")
    balance = _balance(fit, cross, covariates)  # raises when no treated unit matched
    keep = weights.index[weights.to_numpy() > 0]
    matched = panel.drop_units(panel.units.difference(keep)) if len(keep) < panel.n_units \
        else panel
    matched = matched.with_columns(
        {weight_column: weights.reindex(matched.units).to_numpy()[matched.unit_id]},
        notes=notes)
    return MatchResult(weights=weights, panel=matched, weight_column=weight_column,
                       pscore=pd.Series(fit.pscore, index=fit.units, name="pscore"),
                       balance=balance, matches=fit.matches,
                       n_unmatched=fit.n_unmatched, spec=spec, notes=notes + _VAR_NOTE,
                       logit=fit.logit)


def psm_did(result: Result, panel: Panel, covariates: str | Sequence[str],
            **match_options: Any) -> Result:
    """Re-estimate ``result``'s specification on the propensity-score-matched sample.

    Parameters
    ----------
    result : Result
        A result of an estimator that accepts ``weights=`` (every one but ``dcdh``),
        including ``aggregate`` results of Callaway-Sant'Anna.
    panel : Panel
        The panel ``result`` was estimated on (checked with :attr:`Panel.fingerprint`); it
        is matched, and the result re-estimated on the matched sample.
    covariates : str or sequence of str
        Matching covariates, as in :func:`match`.
    **match_options
        Options of :func:`match`.

    Returns
    -------
    Result
        The estimate on the matched sample weighted by the matching weights. Its notes start
        with the matching notes; ``extra["match"]`` holds the :class:`MatchResult`.

    Raises
    ------
    SpecificationError
        The estimator does not accept weights, ``result`` already uses weights, or
        Callaway-Sant'Anna with ``period="each"`` (it needs weights constant within units),
        ``result`` estimated on another panel than ``panel``; and every error of
        :func:`match`.

    Notes
    -----
    Standard errors treat the matching weights as fixed (see :func:`match`).

    Examples
    --------
    >>> import did_zones as dz
    >>> from did_zones.robustness.psm import psm_did
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = psm_did(dz.twfe(panel, "isu"), panel, ["lngdp_pc", "lnpop"], k=2)
    >>> res.spec["weights"]
    'psm_weight'
    """
    from ..estimators.registry import REGISTRY
    from .rerun import rerun

    ResultArg()("result", result)
    if isinstance(panel, Panel):
        check_result_panel(result, panel)
    entry = REGISTRY.get(result.method)
    if entry is None or not entry.accepts("weights"):
        weighted = ", ".join(n for n, s in REGISTRY.items()
                             if s.family != "diagnostic" and s.accepts("weights"))
        raise SpecificationError(
            f"{result.method!r} does not accept weights=, so it cannot use the matching "
            f"weights. Use an estimator that does ({weighted}), or estimate on "
            "match(...).panel unweighted."
        )
    if result.spec.get("weights") is not None:
        raise SpecificationError(
            f"The result already uses weights {result.spec['weights']!r}. Re-estimate it "
            "without weights, or multiply them into the matching weights yourself "
            "(match(...).panel) and call the estimator directly."
        )
    if match_options.get("period") == "each" and result.method == "callaway_santanna":
        raise SpecificationError(
            "callaway_santanna needs weights constant within units, but period='each' "
            "matches period by period. Use period='pre' or a single period (an int)."
        )
    m = match(panel, covariates, **match_options)
    new = rerun(result, m.panel, weights=m.weight_column)
    return replace(new, notes=m.notes + new.notes,
                   spec={**new.spec, "psm": dict(m.spec)},
                   extra={**new.extra, "match": m})


# ============================================================================= checks
_VAR_NOTE = ("Standard errors after matching treat the matching weights as fixed (the "
             "propensity score and the matching are not re-estimated).",)


@dataclass(frozen=True)
class _Options:
    method: str
    k: int
    caliper: float | None
    replacement: bool
    kernel: str
    bandwidth: float
    common_support: bool
    seed: int | None


def _check_inputs(panel, covariates, period, method, k, caliper, replacement, kernel,
                  bandwidth, weight_column) -> tuple[str, ...]:
    PANEL("panel", panel)
    covariates = as_tuple(covariates)
    if not covariates:
        raise SpecificationError("No covariates given: pass the columns to match on, "
                                 "e.g. covariates=['lngdp_pc', 'lnpop'].")
    check_columns(panel.data, covariates, what="Covariate")
    for c in covariates:
        panel.column(c)  # raises on non-numeric columns
    check({"method": Choice(METHODS), "kernel": Choice(KERNELS), "k": Integer(min=1),
           "caliper": Real(0, None, closed="right", allow_none=True),
           "bandwidth": Real(0, None, closed="right"), "replacement": FLAG},
          method=method, kernel=kernel, k=k, caliper=caliper, bandwidth=bandwidth,
          replacement=replacement)
    if isinstance(period, str):
        check_choice("period", period, ("pre", "each"))
    elif isinstance(period, (bool, np.bool_)) or not isinstance(period, (int, np.integer)):
        raise SpecificationError(
            f"period must be 'pre', 'each' or an int period of the panel; got {period!r}.")
    elif int(period) not in set(panel.periods.tolist()):
        raise SpecificationError(
            f"period {period} is not in the panel, which covers "
            f"{panel.periods.min()}..{panel.periods.max()}.")
    if method == "kernel" and caliper is not None:
        raise SpecificationError(
            "caliper applies to nearest-neighbour matching; kernel matching is limited by "
            "bandwidth (and kernel). Drop caliper= or use method='nearest'.")
    if method == "kernel" and not replacement:
        raise SpecificationError(
            "Kernel matching uses every control for every treated unit (with replacement); "
            "replacement=False applies to method='nearest' only.")
    if weight_column in panel.data.columns:
        raise SpecificationError(
            f"Column {weight_column!r} already exists in the panel; choose another "
            "weight_column=.")
    return covariates


# ============================================================================= samples
def _cross_section(panel: Panel, covariates, period) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The matching sample: treated and never-treated units (or unit-periods) with their
    covariates and a 0/1 ``_d``; controls with missing covariates dropped (noted)."""
    treated_unit = np.isfinite(panel.cohort)
    if not treated_unit.any():
        raise EstimationError("No treated units in the panel: there is nothing to match.")
    if treated_unit.all():
        raise EstimationError(
            "No never-treated units in the panel: matching needs a pool of never-treated "
            "controls. Extend the panel with never-pilot units or keep the cohorts after the "
            "window as never-treated (Panel.window).")
    rows = pd.DataFrame({c: panel.column(c) for c in covariates})
    rows["_unit"] = panel.units[panel.unit_id]
    rows["_time"] = panel.time_values
    notes: tuple[str, ...] = ()
    if period == "pre":
        first = panel.cohorts.min()
        pre = rows[rows["_time"] < first]
        cross = pre.groupby("_unit", sort=True)[list(covariates)].mean()
        cross = cross.reindex(panel.units)
        notes += (f"Matching covariates: unit means over the common pre-treatment periods "
                  f"{int(pre['_time'].min())}-{int(first) - 1}.",)
    elif period == "each":
        cross = rows.set_index(["_unit", "_time"])[list(covariates)]
    else:
        cross = rows[rows["_time"] == int(period)].set_index("_unit")[list(covariates)]
        cross = cross.reindex(panel.units)
        notes += (f"Matching covariates: values in period {int(period)}.",)
        if int(period) >= panel.cohorts.min():
            notes += (f"Period {int(period)} is on or after the first treatment "
                      f"({int(panel.cohorts.min())}): covariates may respond to treatment.",)
    unit_of = cross.index.get_level_values(0)
    cohort = panel.unit_cohort.reindex(unit_of).to_numpy()
    d = np.isfinite(cohort)
    cross = cross.assign(_d=d.astype(float))
    missing = cross[list(covariates)].isna().any(axis=1).to_numpy()
    bad_t = missing & d
    if bad_t.any():
        what = "unit-period(s)" if period == "each" else "treated unit(s)"
        raise SpecificationError(
            f"{int(bad_t.sum())} {what} have missing covariates {list(covariates)}, e.g. "
            f"{examples(cross.index[bad_t])}; treated units cannot be matched without them. "
            "Impute the covariates, choose other ones, or drop these units first "
            "(Panel.drop_units).")
    bad_c = missing & ~d
    if bad_c.any():
        msg = (f"{int(bad_c.sum())} never-treated control(s) with missing covariates left out "
               f"of the donor pool, e.g. {examples(cross.index[bad_c])}.")
        warn(msg, DataDroppedWarning)
        notes += (msg,)
    cross = cross[~missing]
    if not (cross["_d"] == 0).any():
        raise EstimationError("No never-treated unit has complete covariates: there is no "
                              "donor pool. Impute the covariates or choose other ones.")
    return cross, notes


# ============================================================================= core
@dataclass(frozen=True)
class _Fit:
    units: pd.Index          # labels of the sample rows (treated and controls)
    pscore: np.ndarray
    weights: np.ndarray      # per sample row
    matches: pd.DataFrame
    n_unmatched: int
    n_off_support: int
    logit: Any


def _logit(d: np.ndarray, X: np.ndarray, covariates, where: str = ""):
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        PerfectSeparationError,
        PerfectSeparationWarning,
    )

    # The logit is fitted on centred and scaled covariates: the scores do not depend on
    # units, but Newton and the rank check do in floating point (GDP in yuan ~1e9, or
    # shares x 1e-15, failed). "Constant" is judged relative to the covariate's level.
    mean, sd = X.mean(axis=0), X.std(axis=0)
    flat = ~(sd > 1e-10 * np.abs(mean))
    const = [c for c, f in zip(covariates, flat, strict=True) if f]
    if const:
        raise SpecificationError(
            f"Covariate(s) {const} are constant in the matching sample{where}; they cannot "
            "enter the logit. Remove them from covariates=.")
    Zs = np.column_stack([np.ones(d.size), (X - mean) / sd])
    if np.linalg.matrix_rank(Zs) < Zs.shape[1]:
        raise SpecificationError(
            f"The covariates {list(covariates)} are collinear in the matching sample{where}. "
            "Remove redundant ones.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            fit_s = sm.Logit(d, Zs).fit(disp=0, method="newton", maxiter=100)
        except (PerfectSeparationWarning, PerfectSeparationError) as exc:
            raise EstimationError(
                f"The covariates separate treated and control units perfectly{where}, so "
                "the propensity score is 0 or 1 and there is no overlap. Use fewer or "
                "coarser covariates.") from exc
        # the reported logit is on the covariates' own scale: the same fit, coefficients
        # mapped back exactly (b_j / sd_j, intercept b_0 - sum b_j mean_j / sd_j), its
        # standard errors from the information matrix at those coefficients (no iteration)
        b = np.asarray(fit_s.params)
        start = np.r_[b[0] - np.sum(b[1:] * mean / sd), b[1:] / sd]
        warnings.simplefilter("ignore")
        fit = sm.Logit(d, np.column_stack([np.ones(d.size), X])).fit(
            disp=0, method="newton", maxiter=0, start_params=start)
    fit.mle_retvals["converged"] = fit_s.mle_retvals["converged"]
    return fit, fit_s.predict(Zs)


def _match_sample(cross: pd.DataFrame, covariates, opts: _Options, where: str = "") -> _Fit:
    d = cross["_d"].to_numpy() == 1
    fit, p = _logit(d.astype(float), cross[list(covariates)].to_numpy(float), covariates,
                    where)
    pt, pc = p[d], p[~d]
    on = np.ones(pt.size, dtype=bool)
    if opts.common_support:
        on = (pt >= pc.min()) & (pt <= pc.max())
    if opts.method == "kernel":
        W = _kernel_weights(pt, pc, opts)
    elif opts.replacement:
        W = _nn_with_replacement(pt, pc, opts)
    else:
        W = _nn_without_replacement(pt, pc, opts)
    W[~on] = 0.0
    matched = W.sum(axis=1) > 0
    w = np.zeros(p.size)
    w[np.flatnonzero(d)[matched]] = 1.0
    w[~d] = W.sum(axis=0)
    ti, cj = np.nonzero(W)
    units = cross.index
    matches = pd.DataFrame({"treated": units[d][ti], "control": units[~d][cj],
                            "weight": W[ti, cj], "distance": np.abs(pt[ti] - pc[cj])})
    return _Fit(units, p, w, matches, int((~matched).sum()), int((~on).sum()), fit)


def _nn_with_replacement(pt, pc, opts: _Options) -> np.ndarray:
    dist = np.abs(pt[:, None] - pc[None, :])
    k = min(opts.k, pc.size)
    # stable sort: equal distances go to the control listed first (by unit label)
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
    ok = np.ones(nearest.shape, dtype=bool)
    if opts.caliper is not None:
        ok = np.take_along_axis(dist, nearest, axis=1) <= opts.caliper
    n = ok.sum(axis=1, keepdims=True)
    W = np.zeros_like(dist)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.put_along_axis(W, nearest, np.where(ok, 1.0 / n, 0.0), axis=1)
    return W


def _nn_without_replacement(pt, pc, opts: _Options) -> np.ndarray:
    if opts.seed is not None:
        order = np.random.default_rng(opts.seed).permutation(pt.size)
    else:
        order = np.argsort(-pt, kind="stable")
    W = np.zeros((pt.size, pc.size))
    free = np.ones(pc.size, dtype=bool)
    # greedy matching is sequential by nature: each choice shrinks the pool of the next
    for i in order:
        dist = np.where(free, np.abs(pc - pt[i]), np.inf)
        pick = np.argsort(dist, kind="stable")[:opts.k]
        pick = pick[np.isfinite(dist[pick])]
        if opts.caliper is not None:
            pick = pick[dist[pick] <= opts.caliper]
        if pick.size:
            W[i, pick] = 1.0 / pick.size
            free[pick] = False
    return W


def _kernel_weights(pt, pc, opts: _Options) -> np.ndarray:
    u = (pc[None, :] - pt[:, None]) / opts.bandwidth
    a = np.abs(u)
    inside = a < 1
    K = {
        "epanechnikov": lambda: np.where(inside, 0.75 * (1 - u ** 2), 0.0),
        "normal": lambda: np.exp(-0.5 * u ** 2) / np.sqrt(2 * np.pi),
        "biweight": lambda: np.where(inside, 15 / 16 * (1 - u ** 2) ** 2, 0.0),
        "uniform": lambda: np.where(inside, 0.5, 0.0),
        "tricube": lambda: np.where(inside, 70 / 81 * (1 - a ** 3) ** 3, 0.0),
    }[opts.kernel]()
    total = K.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, K / total, 0.0)


def _match_each(panel, cross, covariates, opts, spec, notes) -> MatchResult:
    times = cross.index.get_level_values(1).to_numpy()
    fits, w_parts, p_parts, m_parts, logits = [], [], [], [], {}
    n_unmatched = n_off = 0
    for t in np.unique(times):  # one logit per period: a handful of periods
        sub = cross[times == t]
        if not ((sub["_d"] == 1).any() and (sub["_d"] == 0).any()):
            notes += (f"Period {int(t)} has no treated or no control unit with covariates; "
                      "its units are not matched.",)
            continue
        fit = _match_sample(sub, covariates, opts, where=f" of period {int(t)}")
        fits.append((sub, fit))
        w_parts.append(pd.Series(fit.weights, index=sub.index))
        p_parts.append(pd.Series(fit.pscore, index=sub.index))
        m_parts.append(fit.matches.assign(
            time=int(t), treated=fit.matches["treated"].map(lambda x: x[0]),
            control=fit.matches["control"].map(lambda x: x[0])))
        n_unmatched += fit.n_unmatched
        n_off += fit.n_off_support
        logits[int(t)] = fit.logit
    if not fits:
        raise EstimationError("No period has both treated and control units to match.")
    index = pd.MultiIndex.from_arrays([panel.units[panel.unit_id], panel.time_values],
                                      names=[panel.unit, panel.time])
    weights = pd.concat(w_parts).reindex(index).fillna(0.0).rename("weight")
    pscore = pd.concat(p_parts).rename("pscore")
    pscore.index.names = index.names
    agg = _Fit(cross.index, np.zeros(0), np.zeros(0), pd.DataFrame(), n_unmatched, n_off, None)
    notes += _unmatched_notes(agg, "treated unit-period(s)")
    w_row = weights.to_numpy()
    keep = w_row > 0
    if not keep.any():
        raise EstimationError("No treated unit-period found a match. Widen the caliper or "
                              "bandwidth, or set common_support=False.")
    matched = panel.with_columns({spec["weight_column"]: w_row}).subset(keep, notes=notes)
    balance = _balance_from(
        cross, covariates, pd.concat(w_parts).reindex(cross.index).to_numpy())
    matches = pd.concat(m_parts, ignore_index=True)
    return MatchResult(weights=weights, panel=matched, weight_column=spec["weight_column"],
                       pscore=pscore, balance=balance, matches=matches,
                       n_unmatched=n_unmatched, spec=spec, notes=notes + _VAR_NOTE,
                       logit=logits)


def _unmatched_notes(fit: _Fit, what: str) -> tuple[str, ...]:
    if fit.n_unmatched == 0:
        return ()
    return (f"{fit.n_unmatched} {what} without a match ({fit.n_off_support} off the common "
            f"support, {fit.n_unmatched - fit.n_off_support} without a control within the "
            "caliper or bandwidth); they get weight 0 and leave the matched sample.",)


# ============================================================================= balance
def _balance(fit: _Fit, cross: pd.DataFrame, covariates) -> pd.DataFrame:
    if not (fit.weights[cross["_d"].to_numpy() == 1] > 0).any():
        raise EstimationError("No treated unit found a match. Widen the caliper or "
                              "bandwidth, or set common_support=False.")
    return _balance_from(cross, covariates, fit.weights)


def _wvar(x: np.ndarray, w: np.ndarray) -> float:
    sw = w.sum()
    m = (w * x).sum() / sw
    denom = sw - (w ** 2).sum() / sw
    # a single matched control has no variance: report NaN rather than divide by zero
    return float((w * (x - m) ** 2).sum() / denom) if denom > 0 else np.nan


def _balance_from(cross: pd.DataFrame, covariates, w: np.ndarray) -> pd.DataFrame:
    d = cross["_d"].to_numpy() == 1
    out = {}
    for c in covariates:
        x = cross[c].to_numpy(float)
        xt, xc = x[d], x[~d]
        vt, vc = xt.var(ddof=1), xc.var(ddof=1)
        scale = np.sqrt((vt + vc) / 2)
        wt, wc = w[d], w[~d]
        mt_a = np.average(xt, weights=wt)
        mc_a = np.average(xc, weights=wc)
        before = 100 * (xt.mean() - xc.mean()) / scale
        after = 100 * (mt_a - mc_a) / scale
        out[c] = {
            "mean_treated_before": xt.mean(), "mean_control_before": xc.mean(),
            "std_diff_before": before, "var_ratio_before": vt / vc,
            "mean_treated_after": mt_a, "mean_control_after": mc_a,
            "std_diff_after": after,
            "var_ratio_after": _wvar(xt[wt > 0], wt[wt > 0]) / _wvar(xc[wc > 0], wc[wc > 0]),
            "reduction": 100 * (1 - abs(after) / abs(before)) if before != 0 else np.nan,
        }
    return pd.DataFrame.from_dict(out, orient="index").rename_axis("covariate")
