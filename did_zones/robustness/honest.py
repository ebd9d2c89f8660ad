"""HonestDiD sensitivity of event-study results (Rambachan & Roth 2023).

:func:`honest_did` takes the event-time coefficients and their covariance from any event-study
:class:`~did_zones.result.Result` and returns confidence sets for a post-treatment target that
stay valid when parallel trends fails by a bounded amount: relative magnitudes Δ^RM(M̄) (post
violations at most M̄ times the largest pre-period one; ARP conditional-least-favourable hybrid
test inverted over a grid) or smoothness Δ^SD(M) (second differences of the violation at most M;
fixed-length confidence intervals), and the breakdown value of M̄ or M.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._render import render
from ..errors import InferenceWarning, SpecificationError, warn
from ..result import Result
from ..validation import ALPHA, Choice, Integer, check, examples
from ._event_terms import require_event_terms
from ._honest_rm import rm_accept
from ._honest_sd import flci

__all__ = ["honest_did", "HonestResult"]

Restriction = Literal["relative_magnitude", "smoothness"]
_METHODS = {"relative_magnitude": ("C-LF", "conditional"), "smoothness": ("FLCI",)}


@dataclass(frozen=True, eq=False)
class HonestResult:
    """Robust confidence sets over a grid of M̄ (or M), with the breakdown value.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per value: ``restriction``, ``m``, ``conf_low``, ``conf_high``, ``method``.
    original : mapping
        ``conf_low``, ``conf_high``, ``estimate``, ``std_error`` of the usual interval for
        the target (parallel trends exact).
    breakdown : float
        Largest M̄ (M) at which the robust set excludes 0 (``nan`` when even the smallest
        value tried does not exclude 0; ``inf`` when 0 stays excluded up to the search limit).
    target : pandas.Series
        The weights ``l`` on the post-period coefficients, indexed by event time.
    spec : mapping
        Options that produced the result.
    notes : tuple of str
        What was done to the input (terms dropped, grid warnings).
    """

    table: pd.DataFrame
    original: Mapping[str, float]
    breakdown: float
    target: pd.Series
    spec: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def tidy(self) -> pd.DataFrame:
        """One row per value of M̄ / M: term, restriction, m, conf_low, conf_high, method."""
        out = self.table.copy()
        out.insert(0, "term", self.spec.get("term", "target"))
        return out.reset_index(drop=True)

    def glance(self) -> pd.DataFrame:
        """One row: restriction, method, target, breakdown, original interval, sizes, alpha.

        ``target`` is the term of the target parameter θ = l'τ (``"e+0"``: the effect at
        one event time; ``"average"``: the mean over the post periods; ``"l'tau"``: the
        caller's weights); ``target_first`` / ``target_last`` are the first and last event
        times with a nonzero weight.
        """
        weighted = self.target.index[self.target.to_numpy() != 0]
        return pd.DataFrame([{
            "restriction": self.spec["restriction"], "method": self.spec["method"],
            "target": self.spec.get("term", "target"),
            "target_first": int(weighted.min()) if len(weighted) else None,
            "target_last": int(weighted.max()) if len(weighted) else None,
            "breakdown": self.breakdown, "original_low": self.original["conf_low"],
            "original_high": self.original["conf_high"], "n_pre": self.spec["n_pre"],
            "n_post": self.spec["n_post"], "alpha": self.spec["alpha"],
            "notes": len(self.notes)}])

    def summary(self) -> str:
        """Plain-text table of the robust sets (rendered by :mod:`did_zones.tables`)."""
        return render(self, "summary")

    def to_table(self, **options: Any):
        """The robust sets as a :class:`did_zones.tables.Table`."""
        return render(self, "table", **options)

    def __repr__(self) -> str:
        return (f"HonestResult({self.spec['restriction']}, {len(self.table)} value(s), "
                f"breakdown={self.breakdown:.4g})")


def honest_did(
    result: Result,
    *,
    restriction: Restriction = "relative_magnitude",
    m_values: Sequence[float] | None = None,
    target: str | int | Sequence[float] = "first",
    reference: int = -1,
    alpha: float = 0.05,
    method: str | None = None,
    grid_points: int = 1000,
    grid_bounds: tuple[float, float] | None = None,
    fold_quantile: Literal["exact", "simulated"] = "exact",
) -> HonestResult:
    """Sensitivity of an event-study result to violations of parallel trends (HonestDiD).

    Parameters
    ----------
    result : Result
        Event-study result with ``keys["event_time"]``: :func:`~did_zones.event_study`,
        :func:`~did_zones.sun_abraham`, :func:`~did_zones.did2s`, or
        ``aggregate(callaway_santanna(..., base_period="universal"), "event")`` or
        ``aggregate(etwfe(..., control="never"), "event")``.
    restriction : {"relative_magnitude", "smoothness"}
        Δ^RM(M̄): each post-period change of the violation δ is at most M̄ times the largest
        pre-period change. Δ^SD(M): ``|δ_{t+1} − 2δ_t + δ_{t−1}| ≤ M``.
    m_values : sequence of float, optional
        Grid of M̄ (default 0, 2/9, ..., 2: ten values as HonestDiD) or M (default ten values
        from 0 to the largest absolute pre-period second difference plus its 1 − α one-sided
        margin, ``max_j |Δ²β_j| + z_{1−α} se_j``).
    target : "first", "average", int or sequence of float
        Parameter ``θ = l'τ``: the first post period (event time 0, default), the average
        over event times ≥ 0, one event time, or the weights ``l`` on the post periods.
    reference : int
        Event time normalised to 0 in ``result`` (default -1). Pre periods are the event
        times below it, post periods those above it.
    alpha : float
        1 − coverage.
    method : str, optional
        Relative magnitudes: "C-LF" (default, conditional-least-favourable hybrid) or
        "conditional". Smoothness: "FLCI" (default).
    grid_points : int
        Relative magnitudes: number of θ values tested (HonestDiD's ``gridPoints``).
    grid_bounds : (float, float), optional
        Relative magnitudes: θ range; default HonestDiD's ``±20 sd(θ̂)`` around 0.
    fold_quantile : {"exact", "simulated"}
        Smoothness: folded-normal critical value solved exactly (default) or HonestDiD's
        simulated quantile (10⁶ draws of R's generator, seed 0) to reproduce its digits.

    Returns
    -------
    HonestResult

    Raises
    ------
    SpecificationError
        Not an event-study result (or one whose leads are not comparable: imputation
        pre-trend terms, dCDH placebos, Callaway–Sant'Anna with a varying base period), no
        pre or post period, gaps in event time, invalid options.

    Warns
    -----
    InferenceWarning
        The accepted set of the relative-magnitude test touches the θ grid's end.

    Notes
    -----
    β = τ + δ with τ_pre = 0; δ_ref = 0. Relative magnitudes: union over the location s and
    sign of the largest pre-period change of the ARP tests (HonestDiD
    ``computeConditionalCS_DeltaRM``, post-period moments only, κ = α/10, least-favourable
    critical value from 1,000 draws of R's generator with seed 0); the set's ends are the
    extreme accepted grid points. Smoothness: the affine estimator minimising
    ``sd · cv_α(max bias / sd)`` (HonestDiD ``findOptimalFLCI``, solved as one convex
    program). Breakdown: the largest M̄ / M whose set excludes 0, located on ``m_values``
    and refined by bisection (for relative magnitudes with the test of θ = 0 itself).

    References
    ----------
    Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. Review
    of Economic Studies 90(5), 2555–2591.
    Andrews, I., Roth, J. and Pakes, A. (2023). Inference for linear conditional moment
    inequalities. Review of Economic Studies 90(6), 2763–2791.

    Examples
    --------
    >>> import warnings
    >>> from did_zones import build_panel, event_study, simulate_pilot_panel
    >>> from did_zones.robustness.honest import honest_did
    >>> sim = simulate_pilot_panel(seed=1)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     panel = build_panel(sim.data, "city_code", "year", cohort="cohort")
    ...     res = event_study(panel, "isu", window=(-4, 3))
    >>> h = honest_did(res, m_values=[0.5, 1.0])
    >>> list(h.tidy().columns)
    ['term', 'restriction', 'm', 'conf_low', 'conf_high', 'method']
    """
    v = check({"restriction": Choice(tuple(_METHODS)), "alpha": ALPHA,
               "fold_quantile": Choice(("exact", "simulated")), "grid_points": Integer(min=3)},
              restriction=restriction, alpha=alpha, fold_quantile=fold_quantile,
              grid_points=grid_points)
    alpha = v["alpha"]
    method = _METHODS[restriction][0] if method is None else method
    Choice(_METHODS[restriction])("method", method)
    beta, sigma, pre_e, post_e, notes = _extract(result, reference)
    K, T = pre_e.size, post_e.size
    l_vec, term = _target(target, post_e)
    m_grid = _m_values(m_values, restriction, beta, sigma, K, alpha)

    sd_theta = float(np.sqrt(l_vec @ sigma[K:, K:] @ l_vec))
    theta_hat = float(l_vec @ beta[K:])
    z = stats.norm.ppf(1 - alpha / 2)
    original = {"estimate": theta_hat, "std_error": sd_theta,
                "conf_low": theta_hat - z * sd_theta, "conf_high": theta_hat + z * sd_theta}

    if restriction == "smoothness":
        def interval(m: float) -> tuple[float, float]:
            f = flci(beta, sigma, K, l_vec, m, alpha, simulated=fold_quantile == "simulated")
            return f.conf_low, f.conf_high

        def excludes_zero(m: float) -> bool:
            lo, hi = interval(m)
            return lo > 0 or hi < 0
    else:
        hybrid = method == "C-LF"
        lo_b, hi_b = (-20 * sd_theta, 20 * sd_theta) if grid_bounds is None else grid_bounds
        if not lo_b < hi_b:
            raise SpecificationError(f"grid_bounds must be (low, high); got {grid_bounds!r}.")
        grid = np.linspace(lo_b, hi_b, int(grid_points))

        def interval(m: float) -> tuple[float, float]:
            acc = rm_accept(beta, sigma, K, l_vec, m, grid, alpha, hybrid)
            if not acc.any():
                return np.nan, np.nan
            if acc[0] or acc[-1]:
                msg = (f"The robust set at Mbar={m:g} reaches the end of the theta grid "
                       f"[{lo_b:.4g}, {hi_b:.4g}]; its length is not reliable. Widen "
                       "grid_bounds.")
                warn(msg, InferenceWarning)
                notes.append(msg)
            return float(grid[acc].min()), float(grid[acc].max())

        def excludes_zero(m: float) -> bool:
            return not rm_accept(beta, sigma, K, l_vec, m, np.zeros(1), alpha, hybrid)[0]

    rows = []
    for m in m_grid:
        lo, hi = interval(m)
        rows.append({"restriction": restriction, "m": m, "conf_low": lo, "conf_high": hi,
                     "method": method})
    table = pd.DataFrame(rows)
    if not _nested(table):
        notes.append("The robust sets are not nested in M (numerical tolerance of the grid).")
    breakdown = _breakdown(excludes_zero, m_grid)
    spec = {"restriction": restriction, "method": method, "target": target, "term": term,
            "reference": reference, "alpha": alpha, "grid_points": int(grid_points),
            "grid_bounds": grid_bounds, "fold_quantile": fold_quantile, "n_pre": K,
            "n_post": T, "result_method": result.method, "pre_event_times": tuple(pre_e),
            "post_event_times": tuple(post_e)}
    return HonestResult(table=table, original=original, breakdown=breakdown,
                        target=pd.Series(l_vec, index=pd.Index(post_e, name="event_time"),
                                         name="l"),
                        spec=spec, notes=tuple(dict.fromkeys(notes)))


# --------------------------------------------------------------------------- inputs


def _extract(result: Result, reference: int):
    if not isinstance(result, Result):
        raise SpecificationError(
            f"honest_did needs a did_zones Result; got {type(result).__name__}.")
    Integer()("reference", reference)
    from ..estimators.registry import REGISTRY

    method = result.method
    entry = REGISTRY.get(method)
    if entry is not None and "honest_did" in entry.refuses:  # why, in its registry entry
        raise SpecificationError(entry.refuses["honest_did"])
    if method == "continuous_did":
        spec = result.spec
        if spec.get("aggregation") != "event" or spec.get("target") != "level":
            raise SpecificationError(
                "honest_did bounds an event study: estimate continuous_did with "
                "aggregation='event' (target='level', the binarised ATT^o(e)) and "
                "base_period='universal'.")
        if spec.get("base_period") != "universal":
            raise SpecificationError(
                "continuous_did pre-period ATT^o(e) with base_period='varying' are short "
                "differences, not comparable with the post-period long differences from "
                "g − 1. Re-estimate with base_period='universal'.")
    require_event_terms(result, "honest_did")
    if method in ("callaway_santanna", "dml_did"):
        if result.spec.get("base_period") != "universal":
            name = "Callaway-Sant'Anna" if method == "callaway_santanna" else "DML-DiD"
            raise SpecificationError(
                f"{name} pre-period estimates with base_period='varying' are "
                "short differences, not comparable with the post-period long differences "
                "(as HonestDiD's honest_did.AGGTEobj). Re-estimate with "
                "base_period='universal' and aggregate(..., 'event').")
    if "event_time" not in result.keys.columns:
        raise SpecificationError(
            f"honest_did needs an event-study result (keys with 'event_time'); "
            f"{method!r} has none. Use event_study or sun_abraham.")
    et = result.keys["event_time"].to_numpy(dtype=float)
    keep = np.isfinite(et) & (et != reference)
    notes = []
    if (~np.isfinite(et)).any():
        dropped = [t for t, k in zip(result.terms, np.isfinite(et), strict=True) if not k]
        notes.append(f"{len(dropped)} term(s) without an event time left out: "
                     f"{examples(dropped)}.")
    if (et == reference).any():
        notes.append(f"The reference event time {reference} (normalised to 0) left out.")
    e = et[keep]
    if e.size == 0:
        raise SpecificationError(
            f"honest_did needs an event-study result; {method!r} has no event-time terms.")
    if np.any(e != np.round(e)) or len(np.unique(e)) != e.size:
        raise SpecificationError("Event times must be distinct integers; got "
                                 f"{examples(e)}.")
    order = np.argsort(e)
    idx = np.flatnonzero(keep)[order]
    e = e[order].astype(int)
    pre_e, post_e = e[e < reference], e[e > reference]
    if pre_e.size == 0 or post_e.size == 0:
        raise SpecificationError(
            f"honest_did needs pre periods (event time < {reference}) and post periods; "
            f"got event times {examples(e, 12)}. Estimate leads (e.g. window=(-5, 3)).")
    full = np.arange(pre_e.min(), post_e.max() + 1)
    missing = sorted(set(full) - set(e) - {reference})
    if missing:
        raise SpecificationError(
            f"Event times must be consecutive around the reference; missing "
            f"{examples(missing)}. Re-estimate without gaps (or bin the endpoints).")
    beta = result.estimate.to_numpy()[idx]
    sigma = result.vcov.to_numpy()[np.ix_(idx, idx)]
    return beta, sigma, pre_e, post_e, notes


def _target(target, post_e: np.ndarray) -> tuple[np.ndarray, str]:
    T = post_e.size
    nonneg = post_e >= 0
    if isinstance(target, str):
        Choice(("first", "average"))("target", target)
        if not nonneg.any():
            raise SpecificationError("No post period at event time >= 0 for the target.")
        l_vec = np.zeros(T)
        if target == "first":
            l_vec[np.flatnonzero(nonneg)[0]] = 1.0
            return l_vec, f"e{post_e[nonneg][0]:+d}"
        l_vec[nonneg] = 1.0 / nonneg.sum()
        return l_vec, "average"
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if target not in post_e:
            raise SpecificationError(
                f"target event time {target} is not a post period; choose one of "
                f"{examples(post_e, 12)}.")
        l_vec = (post_e == target).astype(float)
        return l_vec, f"e{int(target):+d}"
    l_vec = np.asarray(target, dtype=float).reshape(-1)
    if l_vec.size != T or not np.isfinite(l_vec).all() or not np.any(l_vec != 0):
        raise SpecificationError(
            f"target weights must be {T} finite numbers (post event times "
            f"{examples(post_e, 12)}), not all zero; got {l_vec.size}.")
    return l_vec, "l'tau"


def _m_values(m_values, restriction, beta, sigma, K, alpha) -> np.ndarray:
    if m_values is not None:
        m = np.asarray(m_values, dtype=float).reshape(-1)
        if m.size == 0 or not np.isfinite(m).all() or (m < 0).any():
            raise SpecificationError(
                f"m_values must be non-negative finite numbers; got {examples(m)}.")
        return m
    if restriction == "relative_magnitude":
        return np.linspace(0.0, 2.0, 10)
    pre = np.r_[beta[:K], 0.0]  # δ_ref = 0 closes the pre-period path
    V = np.zeros((K + 1, K + 1))
    V[:K, :K] = sigma[:K, :K]
    if K + 1 < 3:
        return np.linspace(0.0, 3 * float(np.sqrt(sigma[0, 0])), 10)
    D2 = np.zeros((K - 1, K + 1))
    for j in range(K - 1):
        D2[j, j:j + 3] = (1.0, -2.0, 1.0)
    se = np.sqrt(np.diag(D2 @ V @ D2.T))
    top = float(np.max(np.abs(D2 @ pre) + stats.norm.ppf(1 - alpha) * se))
    return np.linspace(0.0, top, 10)


def _nested(table: pd.DataFrame) -> bool:
    t = table.sort_values("m")
    lo, hi = t["conf_low"].to_numpy(), t["conf_high"].to_numpy()
    ok = np.isfinite(lo) & np.isfinite(hi)
    lo, hi = lo[ok], hi[ok]
    tol = 1e-9 * max(1.0, np.nanmax(np.abs(np.r_[lo, hi, 0.0])))
    return bool(np.all(np.diff(lo) <= tol) and np.all(np.diff(hi) >= -tol))


def _breakdown(excludes_zero, m_grid: np.ndarray, rel_tol: float = 1e-4) -> float:
    """Largest m whose set excludes 0: first change on the grid, then bisection."""
    ms = np.unique(m_grid)
    flags = [excludes_zero(m) for m in ms]
    if not flags[0]:
        return float("nan") if ms[0] == 0 else _bisect(excludes_zero, 0.0, ms[0], rel_tol)
    if all(flags):
        lo = ms[-1]
        hi = 2 * lo if lo > 0 else 1.0
        for _ in range(20):  # extend the search up to 2^20 × the grid's top
            if not excludes_zero(hi):
                return _bisect(excludes_zero, lo, hi, rel_tol)
            lo, hi = hi, 2 * hi
        return float("inf")
    j = flags.index(False)
    return _bisect(excludes_zero, ms[j - 1], ms[j], rel_tol)


def _bisect(excludes_zero, lo: float, hi: float, rel_tol: float) -> float:
    if lo == 0 and not excludes_zero(0.0):
        return float("nan")
    while hi - lo > rel_tol * max(hi, 1e-12):
        mid = 0.5 * (lo + hi)
        if excludes_zero(mid):
            lo = mid
        else:
            hi = mid
    return float(lo)
