"""Power of the pre-trends test against linear violations of parallel trends (Roth 2022).

A common reading of an event study is: "no pre-period coefficient is significant, so parallel
trends holds". Roth (2022) asks how likely that pre-test is to *detect* a violation that
matters. :func:`pretrend_power` computes, from an event-study :class:`~did_zones.result.Result`
alone (its coefficients and vcov),

* the slope ``γ`` of the linear trend ``δ_t = γ·(t − reference)`` against which the pre-test has
  50% / 80% power (the R package ``pretrends``'s ``slope_for_power``),
* the post-period bias ``δ_post`` such a trend implies,
* for each such trend (and for a slope the user hypothesises): the power, the Bayes factor,
  the likelihood ratio and the expected event-study coefficients conditional on passing the
  pre-test (``pretrends``'s ``df_power`` and ``meanAfterPretesting``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import SpecificationError
from ..result import Result
from ..validation import ALPHA, Integer, Real, ResultArg, check
from ._event_terms import require_event_terms

__all__ = ["PretrendPower", "pretrend_power"]

# below this pass probability the conditional means are numerically meaningless
_MIN_PASS = 1e-8


@dataclass(frozen=True, eq=False)
class PretrendPower:
    """Outcome of :func:`pretrend_power` (immutable).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per hypothesised trend: ``hypothesis`` (``"power 0.5"``, ``"power 0.8"``,
        ``"slope"``), ``target_power`` (NaN for a user slope), ``slope``, ``power``,
        ``bayes_factor``, ``likelihood_ratio``, ``bias_post`` (mean of ``δ_t`` over the
        post periods) and ``bias_post_conditional`` (mean over the post periods of
        ``E[β̂_t | pass]`` when ``β = δ``, i.e. the bias of the post coefficients among
        studies that pass the pre-test, with no true effect).
    trends : pandas.DataFrame
        Long table for event plots, one row per hypothesis and period (the reference
        period included, at 0): ``hypothesis``, ``term``, ``event_time``, ``period``
        (``"pre"``, ``"reference"`` or ``"post"``), ``estimate``, ``std_error``,
        ``delta`` (the hypothesised trend) and ``mean_after_pretest``.
    size : float
        Probability that the pre-test rejects under parallel trends (``δ = 0``).
    critical_value : float
        The pre-test rejects when some ``|β̂_t / σ_t|`` exceeds this value.
    reference : int
        Reference (omitted) event time, where the trend is 0.
    notes : tuple of str
        What was left out (terms outside pre and post, unattainable power targets).
    spec : mapping
        The options used (alpha, tolerance, seed, ...).
    """

    table: pd.DataFrame
    trends: pd.DataFrame
    size: float
    critical_value: float
    reference: int
    notes: tuple[str, ...] = ()
    spec: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """The summary table (a copy of :attr:`table`)."""
        return self.table.copy()

    def __repr__(self) -> str:
        rows = "; ".join(f"{h}: slope={s:.4g}" for h, s in
                         zip(self.table["hypothesis"], self.table["slope"], strict=True))
        return f"PretrendPower(size={self.size:.4g}; {rows})"


# --------------------------------------------------------------------------- numerics
class _Normal:
    """Box probabilities and truncated means of N(μ, Σ) for the "no significant lead" box.

    Box probabilities come from ``scipy.stats.multivariate_normal.cdf`` (Genz's randomized
    quasi-Monte Carlo; absolute error target ``tol``, a fixed seed so the result is a
    deterministic function of its inputs); one dimension uses the normal cdf and two
    dimensions scipy's exact bivariate algorithm.
    """

    def __init__(self, tol: float, seed: int) -> None:
        self.tol = tol
        self.seed = seed

    def box(self, mean: np.ndarray, cov: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
        """P(lo <= X <= hi) for X ~ N(mean, cov)."""
        d = mean.size
        if d == 0:
            return 1.0
        if d == 1:
            s = np.sqrt(cov[0, 0])
            return float(stats.norm.cdf((hi[0] - mean[0]) / s)
                         - stats.norm.cdf((lo[0] - mean[0]) / s))
        dist = stats.multivariate_normal(mean=mean, cov=cov, seed=self.seed,
                                         maxpts=max(10**6 * d, 10**7), abseps=self.tol,
                                         releps=0.0)
        return float(np.clip(dist.cdf(hi, lower_limit=lo), 0.0, 1.0))

    def truncated_mean(self, mean: np.ndarray, cov: np.ndarray, pre: np.ndarray,
                       half: np.ndarray) -> tuple[np.ndarray, float]:
        """E[X | |X_k| <= half_k for k in pre] and the probability of the box.

        Tallis (1961) / Manjunath & Wilhelm (2012): with Y = X − μ and the box
        [a, b] = [−half − μ_pre, half − μ_pre], E[Y_i | box] = Σ_k Σ_ik (F_k(a_k) − F_k(b_k))
        / P(box), where F_k(x) is the N(0, Σ_kk) density at x times the probability of the
        other pre coordinates' box given Y_k = x. It holds for every coordinate i, truncated
        or not, so the post coefficients' conditional means come out of the same sum.
        """
        S = cov[np.ix_(pre, pre)]
        a = -half - mean[pre]
        b = half - mean[pre]
        alpha = self.box(np.zeros(pre.size), S, a, b)
        if alpha < _MIN_PASS:
            return np.full(mean.size, np.nan), alpha
        grad = np.zeros(pre.size)
        for k in range(pre.size):  # 2·d lower-dimensional box probabilities
            rest = np.delete(np.arange(pre.size), k)
            s_kk = S[k, k]
            reg = S[rest, k] / s_kk
            cond = S[np.ix_(rest, rest)] - np.outer(reg, S[k, rest])
            for x, sign in ((a[k], 1.0), (b[k], -1.0)):
                dens = stats.norm.pdf(x, scale=np.sqrt(s_kk))
                if dens == 0.0:
                    continue
                p = self.box(reg * x, cond, a[rest], b[rest])
                grad[k] += sign * dens * p
        shift = cov[:, pre] @ grad / alpha
        return mean + shift, alpha


def _slope_for_power(target: float, t_pre: np.ndarray, cov_pre: np.ndarray,
                     half: np.ndarray, mvn: _Normal) -> float:
    """Smallest positive γ with P(reject | δ = γ t_pre) = target (power rises in |γ|)."""
    def gap(g: float) -> float:
        return 1.0 - mvn.box(g * t_pre, cov_pre, -half, half) - target

    se = np.sqrt(np.diag(cov_pre))
    # at this slope some lead sits 10 standard errors beyond its critical value: power ~ 1
    upper = float(np.min((half + 10 * se) / np.abs(t_pre)))
    if gap(0.0) >= 0:
        return np.nan
    return float(optimize.brentq(gap, 0.0, upper, xtol=1e-12 * upper, maxiter=500))


# --------------------------------------------------------------------------- public entry
def pretrend_power(
    result: Result,
    *,
    power: float | Sequence[float] = (0.5, 0.8),
    alpha: float = 0.05,
    reference: int = -1,
    slope: float | Sequence[float] | None = None,
    critical_value: float | None = None,
    tol: float = 1e-5,
    seed: int = 0,
) -> PretrendPower:
    """Power of the "no significant pre-period coefficient" test against linear trends.

    Parameters
    ----------
    result : Result
        An event-study result of any estimator: ``result.keys["event_time"]`` labels the
        terms; pre-periods are ``event_time < reference``, post-periods ``event_time >= 0``.
        Terms without an event time (e.g. ``"overall"``) or between the reference and 0 are
        left out (noted).
    power : float or sequence of float
        Target powers of the pre-test, each in (0, 1).
    alpha : float
        Level of each individual pre-period test: the pre-test rejects when some
        ``|β̂_t/σ_t| > z_{1−α/2}``.
    reference : int
        The omitted event time, where the hypothesised trend is 0.
    slope : float or sequence of float, optional
        Hypothesised slope(s) ``γ`` of a linear trend ``δ_t = γ·(t − reference)`` to
        evaluate as well (power, Bayes factor, likelihood ratio, conditional bias).
    critical_value : float, optional
        Override ``z_{1−α/2}``; the R package ``pretrends`` uses 1.96.
    tol : float
        Absolute error target of the multivariate normal probabilities (the cost grows
        quickly as it shrinks beyond three pre-periods; 1e-5 gives powers to 4-5 digits).
    seed : int
        Seed of the randomized quasi-Monte Carlo integration (results are deterministic).

    Returns
    -------
    PretrendPower
        ``table`` (one row per hypothesis), ``trends`` (event-plot data), ``size``.

    Raises
    ------
    SpecificationError
        If the result has no event-time terms before the reference period or none at or
        after 0, its pre-period vcov is not positive definite, or an option is out of range.

    Notes
    -----
    Under ``β̂ ~ N(β, Σ)`` with ``β = δ`` (no treatment effect, a trend ``δ``), the pre-test
    passes with probability ``P(|β̂_t| <= c σ_t for all pre t)`` (a box probability); power is
    one minus it. Power rises with ``|γ|`` (Anderson's theorem: the box is convex and
    symmetric), so the slope for a target power is found by Brent's method on
    ``[0, γ_max]``. When the target is at or below the size of the pre-test (many
    pre-periods), no slope attains it: the slope is NaN and a note says so.

    Bayes factor: ``P(pass | δ) / P(pass | 0)``; likelihood ratio:
    ``φ_Σpre(β̂_pre − δ_pre) / φ_Σpre(β̂_pre)`` (``pretrends``'s ``df_power``).
    The conditional means ``E[β̂ | pass]`` use the Tallis (1961) moment formula (exact up to
    the box probabilities' integration error ``tol``); their post entries are the expected
    bias of the post-period coefficients among samples that pass the pre-test, with no true
    effect. The normal critical value is used even when ``result.df`` is set (the
    asymptotic framework of Roth 2022).

    References
    ----------
    Roth, J. (2022). Pretest with caution: event-study estimates after testing for
    parallel trends. American Economic Review: Insights 4(3), 305–322.
    Tallis, G. M. (1961). The moment generating function of the truncated multi-normal
    distribution. J. R. Stat. Soc. B 23(1), 223–229.
    Manjunath, B. G. & Wilhelm, S. (2012). Moments calculation for the doubly truncated
    multivariate normal density. arXiv:1206.5387.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from did_zones.result import Result
    >>> from did_zones.robustness.power import pretrend_power
    >>> keys = pd.DataFrame({"event_time": [-3, -2, 0, 1]})
    >>> res = Result.create([0.0, 0.0, 0.1, 0.2], np.eye(4) * 0.01, ["e-3", "e-2", "e0", "e1"],
    ...                     keys=keys, method="event_study", outcome="y", spec={},
    ...                     n_obs=100, n_units=10)
    >>> out = pretrend_power(res, power=0.5)
    >>> round(float(out.table["power"].iloc[0]), 6)
    0.5
    """
    pre, post, notes = _split_terms(result, reference)
    check({"alpha": ALPHA, "critical_value": Real(0, None, closed="neither", allow_none=True),
           "tol": Real(0, 1e-2, closed="neither")},
          alpha=alpha, critical_value=critical_value, tol=tol)
    targets = _as_floats(power, "power")
    if any(not 0 < p < 1 for p in targets):
        raise SpecificationError(f"power values must lie strictly between 0 and 1; got {targets}.")
    slopes = [] if slope is None else _as_floats(slope, "slope")
    if any(not np.isfinite(s) for s in slopes):
        raise SpecificationError(f"slope values must be finite numbers; got {slopes}.")
    c = float(stats.norm.ppf(1 - alpha / 2)) if critical_value is None else float(critical_value)

    est = result.estimate.to_numpy()
    V = result.vcov.to_numpy()
    e = result.keys["event_time"].to_numpy(dtype=float)
    idx = np.concatenate([pre, post])
    b, S, t = est[idx], V[np.ix_(idx, idx)], e[idx] - reference
    ip = np.arange(pre.size)
    S_pre = S[np.ix_(ip, ip)]
    if not np.all(np.isfinite(S)) or np.any(np.linalg.eigvalsh(S_pre) <= 0):
        raise SpecificationError(
            f"The vcov of the {pre.size} pre-period coefficient(s) is not positive definite "
            "(or not finite), so the pre-test is not defined. Check the event-study result "
            "(e.g. a lead estimated from too few units) or narrow its window."
        )
    half = c * np.sqrt(np.diag(S_pre))
    mvn = _Normal(float(tol), int(seed))
    size = 1.0 - mvn.box(np.zeros(pre.size), S_pre, -half, half)

    hyps: list[tuple[str, float, float]] = []
    for p in targets:
        g = _slope_for_power(p, t[ip], S_pre, half, mvn)
        if np.isnan(g):
            notes.append(f"No linear trend gives power {p:g}: the pre-test already rejects "
                         f"with probability {size:.4g} under parallel trends.")
        hyps.append((f"power {p:g}", p, g))
    hyps += [("slope" if len(slopes) == 1 else f"slope {s:g}", np.nan, s) for s in slopes]

    rows, trend_frames = [], []
    log0 = stats.multivariate_normal(mean=np.zeros(pre.size), cov=S_pre).logpdf(b[ip])
    for name, target, g in hyps:
        delta = g * t
        if np.isnan(g):
            pw = bf = lr = np.nan
            cmean = np.full(t.size, np.nan)
        else:
            cmean, p_pass = mvn.truncated_mean(delta, S, ip, half)
            pw = 1.0 - p_pass
            if p_pass < _MIN_PASS:
                cmean = np.full(t.size, np.nan)
                notes.append(f"{name}: the pre-test passes with probability {p_pass:.2g}, so "
                             "the means after pre-testing are not reported (NaN).")
            bf = p_pass / (1.0 - size)
            lr = float(np.exp(stats.multivariate_normal(mean=delta[ip], cov=S_pre)
                              .logpdf(b[ip]) - log0))
        ipost = np.arange(pre.size, t.size)
        rows.append({"hypothesis": name, "target_power": target, "slope": g, "power": pw,
                     "bayes_factor": bf, "likelihood_ratio": lr,
                     "bias_post": float(np.mean(delta[ipost])),
                     "bias_post_conditional": float(np.mean(cmean[ipost]))})
        trend_frames.append(_trend_frame(name, result.terms, idx, e[idx], b, S, delta, cmean,
                                         pre.size, reference))
    spec = {"power": tuple(targets), "alpha": alpha, "reference": reference,
            "slope": tuple(slopes), "critical_value": c, "tol": tol, "seed": seed,
            "method": result.method}
    return PretrendPower(table=pd.DataFrame(rows), trends=pd.concat(trend_frames,
                                                                    ignore_index=True),
                         size=size, critical_value=c, reference=reference,
                         notes=tuple(notes), spec=spec)


# --------------------------------------------------------------------------- helpers
def _as_floats(value, name: str) -> list[float]:
    vals = [value] if np.isscalar(value) else list(value)
    try:
        return [float(v) for v in vals]
    except (TypeError, ValueError):
        raise SpecificationError(f"{name} must be a number or a sequence of numbers; "
                                 f"got {value!r}.") from None


def _split_terms(result: Result, reference) -> tuple[np.ndarray, np.ndarray, list[str]]:
    check({"result": ResultArg(), "reference": Integer()}, result=result, reference=reference)
    if reference >= 0:
        raise SpecificationError(f"reference must be a pre-period (negative) event time; "
                                 f"got {reference}.")
    require_event_terms(result, "pretrend_power")
    if "event_time" not in result.keys.columns:
        raise SpecificationError(
            f"The {result.method!r} result has no event_time in its keys, so it has no leads "
            "to test. Pass an event-study result (e.g. did_zones.event_study, or "
            "aggregate(..., kind='event'))."
        )
    e = result.keys["event_time"].to_numpy(dtype=float)
    pre = np.flatnonzero(np.isfinite(e) & (e < reference))
    post = np.flatnonzero(np.isfinite(e) & (e >= 0))
    if pre.size == 0 or post.size == 0:
        raise SpecificationError(
            f"The result has {pre.size} term(s) with event_time < {reference} (pre) and "
            f"{post.size} with event_time >= 0 (post); both are needed. Check `reference` "
            "or estimate leads and lags."
        )
    notes = []
    left = [result.terms[i] for i in range(e.size) if i not in set(pre) | set(post)]
    if left:
        notes.append(f"{len(left)} term(s) neither pre (< {reference}) nor post (>= 0) were "
                     f"left out: {left[:5]}.")
    return pre, post, notes


def _trend_frame(name, terms, idx, e, b, S, delta, cmean, n_pre, reference) -> pd.DataFrame:
    se = np.sqrt(np.diag(S))
    period = np.where(np.arange(idx.size) < n_pre, "pre", "post")
    frame = pd.DataFrame({
        "hypothesis": name, "term": [terms[i] for i in idx], "event_time": e,
        "period": period, "estimate": b, "std_error": se, "delta": delta,
        "mean_after_pretest": cmean,
    })
    ref = pd.DataFrame([{"hypothesis": name, "term": "(reference)",
                         "event_time": float(reference), "period": "reference",
                         "estimate": 0.0, "std_error": 0.0, "delta": 0.0,
                         "mean_after_pretest": 0.0}])
    return pd.concat([frame, ref], ignore_index=True).sort_values(
        "event_time", kind="stable").reset_index(drop=True)
