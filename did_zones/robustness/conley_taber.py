"""Conley & Taber (2011) inference for a TWFE DiD coefficient when few units are treated.

With ``N1`` treated units fixed and ``N0`` control units growing, the TWFE coefficient is
not consistent: ``α̂ − α`` converges to a weighted sum of the treated units' errors,
``W = Σ_{j≤N1} Σ_t w_jt η_jt / Σ w²`` with ``w`` the treatment residualised on the fixed
effects (and controls). Its distribution is estimated from the control units' residual
paths: the treated units' weight paths are applied to the residual paths of other units.

Two procedures (``method``):

``"asymptotic"`` (Conley & Taber's Proposition 1)
    Residuals ``η̂`` of the unrestricted TWFE fit; for every assignment ``ℓ = (ℓ_1..ℓ_N1)``
    of distinct control units to the treated units' paths,
    ``W_ℓ = Σ_j Σ_t w_jt η̂_{ℓ_j t} / Σ_all w²``; ``Γ̂`` is their empirical distribution
    and the interval is ``[α̂ − Γ̂⁻¹(1 − a/2), α̂ − Γ̂⁻¹(a/2)]`` (inverse-ECDF quantiles).
``"exact"`` (test inversion with the null imposed)
    For a candidate ``α0`` the residuals are those of ``y − α0·D`` on the fixed effects
    (and controls): ``u(α0) = ŷ − α0·w`` for every unit, treated included. The real
    statistic ``T_0(α0) = Σ_j Σ_t w_jt u_{j t}(α0)`` is ranked among ``T_π(α0)`` over the
    assignments ``π`` of the treated paths to distinct units of the whole panel (the real
    one included). Equal-tailed p-value ``min(1, 2·min(#{T_π ≤ T_0}, #{T_π ≥ T_0}) / M)``;
    the interval is ``{α0 : p(α0) > a}``, computed exactly: every ``T_π − T_0`` is linear
    in ``α0``, so the p-value only changes where two lines cross.

Both enumerate all assignments when there are at most ``max_assignments`` of them, and
draw ``max_assignments`` at random (seeded) otherwise.
"""

from __future__ import annotations

import warnings
from itertools import permutations
from math import perm
from typing import Literal

import numpy as np

from .._provenance import check_result_panel
from ..design import Absorber, build_design
from ..errors import EstimationError, InferenceWarning, SpecificationError, warn
from ..panel import Panel
from ..result import HypothesisTest, Result
from ..validation import ALPHA, PANEL, SEED, Choice, Integer, Real, ResultArg, check

__all__ = ["conley_taber"]

CTMethod = Literal["exact", "asymptotic"]
METHODS: tuple[str, ...] = ("exact", "asymptotic")

#: share of treated among all units above which the procedure is warned about
TREATED_SHARE_WARN = 0.1

EXCHANGEABILITY_NOTE = (
    "Conley–Taber assumes the units' error paths are exchangeable (identically "
    "distributed across units, independent of treatment). Cities of different sizes "
    "violate this: the outcome of a small city is noisier, so if the treated city is "
    "smaller than the typical control the interval is too narrow (over-rejection), if "
    "it is larger the interval is too wide. Compare units of similar size, or use a "
    "heteroskedasticity correction (Ferman & Pinto 2019)."
)


def _validate(result, panel, term, alpha, method, max_assignments, null, seed) -> str:
    check({"result": ResultArg(), "panel": PANEL}, result=result, panel=panel)
    check_result_panel(result, panel)
    if result.method != "twfe":
        raise SpecificationError(
            f"conley_taber needs a TWFE result (did_zones.twfe: one treatment dummy with "
            f"unit and time effects); got a {result.method!r} result. Re-estimate with "
            "dz.twfe(panel, outcome).")
    check({"alpha": ALPHA, "method": Choice(METHODS), "max_assignments": Integer(min=1),
           "null": Real(), "seed": SEED}, alpha=alpha, method=method,
          max_assignments=max_assignments, null=null, seed=seed)
    term = result.primary if term is None else term
    if term != "treated":
        raise SpecificationError(
            f"conley_taber tests the treatment coefficient 'treated'; got term {term!r}.")
    spec = result.spec
    if spec.get("treatment") is not None:
        raise SpecificationError(
            f"The result uses its own treatment column {spec['treatment']!r}; conley_taber "
            "needs the panel's absorbing indicator (twfe without treatment=).")
    if spec.get("weights") is not None:
        raise SpecificationError(
            "conley_taber does not support weighted TWFE results (weights="
            f"{spec['weights']!r}); re-estimate without weights.")
    if "unit" not in tuple(spec.get("fixed_effects", ())):
        raise SpecificationError(
            "conley_taber needs unit fixed effects (each unit's residual path must be "
            f"demeaned); the result absorbs {list(spec.get('fixed_effects', ()))}.")
    return term


def _residualised(result: Result, panel: Panel):
    """Balanced unit × period arrays of ŷ (outcome) and w (treatment), both net of FE and
    controls, and the unit codes that are treated within the sample."""
    spec = result.spec
    with warnings.catch_warnings():  # the real fit has already reported every drop
        warnings.simplefilter("ignore")
        design = build_design(panel, result.outcome, {"treated": panel.treated.astype(float)},
                              controls=spec.get("controls", ()),
                              fixed_effects=spec["fixed_effects"], cluster=None)
    fe = Absorber(design.fe_codes)
    both = fe.residualize(np.column_stack([design.y, design.X]))
    y_t, X_t = both[:, 0], both[:, 1:]
    if X_t.shape[1] > 1:  # partial the controls out of y and the treatment (FWL)
        C = X_t[:, 1:]
        coef = np.linalg.lstsq(C, np.column_stack([y_t, X_t[:, 0]]), rcond=None)[0]
        y_t = y_t - C @ coef[:, 0]
        d_t = X_t[:, 0] - C @ coef[:, 1]
    else:
        d_t = X_t[:, 0]
    unit = panel.unit_id[design.rows]
    t_codes = panel.period_id[design.rows]
    units, u_idx = np.unique(unit, return_inverse=True)
    n_u, n_t = units.size, panel.periods.size
    if design.n_obs != n_u * n_t or np.bincount(u_idx, minlength=n_u).min() != n_t:
        raise SpecificationError(
            f"conley_taber needs a balanced sample (every unit in every period): the "
            f"result's sample has {design.n_obs} rows for {n_u} units × {n_t} periods. "
            "Balance the panel first (e.g. drop units with missing years).")
    Y = np.zeros((n_u, n_t))
    Wt = np.zeros((n_u, n_t))
    Y[u_idx, t_codes] = y_t
    Wt[u_idx, t_codes] = d_t
    D = np.zeros((n_u, n_t))
    D[u_idx, t_codes] = design.X[:, 0]
    treated = D.max(axis=1) > 0
    return Y, Wt, treated, units


def _assignments(n_pool: int, k: int, limit: int, rng) -> tuple[np.ndarray, bool]:
    """Ordered k-tuples of distinct pool indices: all of them, or ``limit`` random ones."""
    total = perm(n_pool, k)
    if total <= limit:
        return np.array(list(permutations(range(n_pool), k)), dtype=np.int64).reshape(-1, k), True
    picks = np.empty((limit, k), dtype=np.int64)
    if k > 8:  # many treated: random keys sorted, in chunks of at most ~4M cells
        step = max(1, 4_000_000 // n_pool)
        for lo in range(0, limit, step):
            hi = min(limit, lo + step)
            picks[lo:hi] = np.argsort(rng.random((hi - lo, n_pool)), axis=1)[:, :k]
        return picks, False
    # few treated: sequential draws without replacement, O(limit·k²) and no limit × pool
    # matrix: the j-th pick is a rank among the units left, mapped past earlier picks
    for j in range(k):
        v = rng.integers(0, n_pool - j, size=limit)
        earlier = np.sort(picks[:, :j], axis=1)
        for c in range(j):
            v += v >= earlier[:, c]
        picks[:, j] = v
    return picks, False


def _quantile(values: np.ndarray, q: float) -> float:
    """Inverse ECDF: the smallest value whose empirical CDF is at least ``q``."""
    s = np.sort(values)
    i = int(np.ceil(q * s.size - 1e-12)) - 1
    return float(s[min(max(i, 0), s.size - 1)])


def _asymptotic(Y, Wt, treated, alpha, null, estimate, denom, limit, rng):
    resid = Y - estimate * Wt  # unrestricted residuals: unit-demeaned by the unit effects
    tr, co = np.flatnonzero(treated), np.flatnonzero(~treated)
    C = Wt[tr] @ resid[co].T  # (N1, N0): treated path j applied to control ℓ
    idx, exact = _assignments(co.size, tr.size, limit, rng)
    draws = C[np.arange(tr.size), idx].sum(axis=1) / denom
    lo, hi = _quantile(draws, alpha / 2), _quantile(draws, 1 - alpha / 2)
    dev = estimate - null
    p = min(1.0, 2 * min(np.mean(draws <= dev), np.mean(draws >= dev)))
    return (estimate - hi, estimate - lo), float(p), draws, exact


def _exact(Y, Wt, treated, alpha, null, limit, rng):
    tr = np.flatnonzero(treated)
    n = Y.shape[0]
    A_u = Wt[tr] @ Y.T   # (N1, N): path j applied to unit u's ŷ
    B_u = Wt[tr] @ Wt.T  # (N1, N): path j applied to unit u's w
    idx, exact = _assignments(n, tr.size, limit, rng)
    pick = np.arange(tr.size)
    A, B = A_u[pick, idx].sum(axis=1), B_u[pick, idx].sum(axis=1)
    A0, B0 = A_u[pick, tr].sum(), B_u[pick, tr].sum()
    real = (idx == tr).all(axis=1)
    if exact:  # the real assignment is one of the enumerated ones: drop it, count it once
        A, B = A[~real], B[~real]
    # T_π(a) − T_0(a) = dA − a·dB
    dA, dB = A - A0, B - B0
    M = dA.size + 1

    scale = 1e-12 * max(abs(B0), 1e-300)
    neg, pos = dB < -scale, dB > scale
    zero = ~(neg | pos)
    r_neg, r_pos = np.sort(dA[neg] / dB[neg]), np.sort(dA[pos] / dB[pos])
    z_ge, z_le = int((dA[zero] >= 0).sum()), int((dA[zero] <= 0).sum())

    def p_value(a: np.ndarray) -> np.ndarray:
        # dA − a·dB ≥ 0  ⇔  a ≥ r (dB < 0)  or  a ≤ r (dB > 0); O(log M) per point
        neg_le = np.searchsorted(r_neg, a, "right")
        neg_ge = r_neg.size - np.searchsorted(r_neg, a, "left")
        pos_le = np.searchsorted(r_pos, a, "right")
        pos_ge = r_pos.size - np.searchsorted(r_pos, a, "left")
        n_ge = 1 + neg_le + pos_ge + z_ge
        n_le = 1 + neg_ge + pos_le + z_le
        return np.minimum(1.0, 2 * np.minimum(n_ge, n_le) / M)

    roots = np.unique(np.concatenate([r_neg, r_pos]))
    conf = _invert(roots, p_value, alpha)
    p = float(p_value(np.array([null]))[0])
    return conf, p, M, exact


def _invert(roots: np.ndarray, p_value, alpha: float) -> tuple[float, float]:
    """Hull of {a : p(a) > alpha}: p is constant between consecutive roots."""
    if roots.size == 0:
        return (-np.inf, np.inf)
    mids = (roots[1:] + roots[:-1]) / 2
    span = max(1.0, float(roots[-1] - roots[0]))
    cand = np.concatenate([[roots[0] - span], roots, mids, [roots[-1] + span]])
    order = np.argsort(cand)
    cand = cand[order]
    ok = p_value(cand) > alpha
    if not ok.any():
        return (np.nan, np.nan)
    first, last = np.flatnonzero(ok)[[0, -1]]
    is_root = np.isin(cand, roots)
    # an accepted midpoint means the open piece reaches the neighbouring root
    low = -np.inf if first == 0 else cand[first] if is_root[first] else cand[first - 1]
    high = np.inf if last == cand.size - 1 else cand[last] if is_root[last] \
        else cand[last + 1]
    return (float(low), float(high))


def conley_taber(
    result: Result,
    panel: Panel,
    term: str | None = None,
    *,
    alpha: float = 0.05,
    method: CTMethod = "exact",
    null: float = 0.0,
    max_assignments: int = 200_000,
    seed: int | None = None,
) -> HypothesisTest:
    """Conley–Taber (2011) test and confidence interval for a TWFE DiD coefficient.

    For designs with few treated units (one pilot city, a handful of cities in a cohort)
    among many controls, where cluster-robust standard errors are far too small.

    Parameters
    ----------
    result : Result
        A :func:`did_zones.twfe` result (the panel's treatment indicator, unit effects,
        no weights), estimated on ``panel``; the sample must be balanced.
    panel : Panel
        The panel the result was estimated on.
    term : str, optional
        Must be ``"treated"`` (the default, the result's primary term).
    alpha : float
        One minus the confidence level.
    method : {"exact", "asymptotic"}
        ``"exact"``: test inversion with the null imposed, the real assignment ranked among
        all assignments of the treated paths to distinct units (exact under exchangeable
        errors and no controls). ``"asymptotic"``: Conley & Taber's Proposition 1,
        quantiles of the distribution built from the control units' residuals (valid as
        the number of controls grows). See the module notes.
    null : float
        Value of the coefficient tested by ``p_value``.
    max_assignments : int
        Enumerate every assignment when there are at most this many (one treated city of
        50: 49 or 50), otherwise draw this many at random.
    seed : int, optional
        Seed of the random assignments (unused when they are enumerated).

    Returns
    -------
    HypothesisTest
        ``statistic``: the estimate; ``p_value`` of ``coefficient = null``;
        ``distribution = "randomization"``. ``details``: ``conf_int`` (low, high; also
        as ``conf_low`` / ``conf_high``, so :meth:`~HypothesisTest.glance` shows them),
        ``estimate``, ``term``, ``method``, ``alpha``, ``null``, ``n_treated``,
        ``n_control``, ``n_assignments``, ``enumerated`` (all assignments used),
        ``draws`` (``"asymptotic"``: the ``W_ℓ``), ``note`` (the exchangeability
        assumption and what it means for cities of different sizes).

    Raises
    ------
    SpecificationError
        ``result`` is not a TWFE result with the panel's treatment indicator, unit effects
        and no weights; unknown ``term`` or ``method``; bad ``alpha``; unbalanced sample;
        no control unit (``"asymptotic"``: fewer control units than treated ones).
    EstimationError
        No treated unit in the sample.

    Warns
    -----
    InferenceWarning
        More than a tenth of the units are treated (the procedure is built for few treated
        units; use cluster-robust or wild bootstrap inference), or too few assignments for
        a bounded interval at this ``alpha``.

    Notes
    -----
    Model ``y_it = α·D_it + X_it'β + θ_i + γ_t + η_it`` with the error paths
    ``(η_i1..η_iT)`` i.i.d. across units and independent of ``D`` and ``X``. ``w`` is the
    treatment residualised on the fixed effects and controls, so
    ``α̂ − α = Σ_it w_it η_it / Σ_it w_it²`` exactly; as ``N0 → ∞`` the controls' weights
    vanish and only the treated units' terms remain. With one treated city among 50 the
    exact method has 50 assignments, so its p-value is a multiple of 1/50 and a 95%
    interval needs the real statistic outside the central 47 (see ``details``).

    Coverage in finite samples: the exact interval covers at least ``1 − alpha`` up to
    the grid of ``1/M`` (1 of 50: 0.96). The asymptotic interval relies on ``N0 → ∞``; with
    ``N0 = 49`` controls its 95% interval covers about 0.92 (the real ``W`` lies beyond
    the 48th of 49 control draws with probability 2/50 on each side) -- 0.90 in the
    package's Monte Carlo, against 0.245 for the cluster-robust interval.

    References
    ----------
    Conley, T. G. & Taber, C. R. (2011). Inference with "difference in differences" with
    a small number of policy changes. Rev. Econ. Stat. 93(1), 113–125.
    Ferman, B. & Pinto, C. (2019). Inference in differences-in-differences with few
    treated groups and heteroskedasticity. Rev. Econ. Stat. 101(3), 452–467.

    Examples
    --------
    One pilot city among 40, eight years:

    >>> import numpy as np, pandas as pd
    >>> import did_zones as dz
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"city": np.repeat(np.arange(40), 8),
    ...                    "year": np.tile(np.arange(2010, 2018), 40)})
    >>> df["pilot"] = np.where(df["city"] == 0, 2015, 0)
    >>> df["y"] = rng.normal(size=len(df)) + 0.5 * ((df["city"] == 0) & (df["year"] >= 2015))
    >>> panel = dz.build_panel(df, unit="city", time="year", cohort="pilot")
    >>> res = dz.twfe(panel, "y")
    >>> ct = dz.conley_taber(res, panel)
    >>> ct.details["n_treated"], ct.details["n_control"], ct.details["n_assignments"]
    (1, 39, 40)
    >>> low, high = ct.details["conf_int"]
    >>> bool(low < res.estimate["treated"] < high)
    True
    """
    term = _validate(result, panel, term, alpha, method, max_assignments, null, seed)
    Y, Wt, treated, units = _residualised(result, panel)
    n1, n0 = int(treated.sum()), int((~treated).sum())
    if n1 == 0:
        raise EstimationError("No unit is treated in the result's sample, so there is no "
                              "treated path to compare. Check the cohorts.")
    if n0 == 0 or (method == "asymptotic" and n0 < n1):
        raise SpecificationError(
            f"conley_taber estimates the error distribution from the control units, but "
            f"the sample has {n0} control unit(s) (never treated within the sample) for "
            f"{n1} treated. Add never-treated units, or use wild_bootstrap/placebo.")
    if n1 > TREATED_SHARE_WARN * (n1 + n0):
        warn(
            f"conley_taber: {n1} treated of {n1 + n0} units. The procedure is built for few "
            f"treated units among many controls; with more than {TREATED_SHARE_WARN:.0%} "
            "treated the controls' residuals no longer describe the estimator's error well. "
            "Prefer cluster-robust or wild cluster bootstrap inference.",
            InferenceWarning)
    denom = float((Wt * Wt).sum())
    estimate = float((Wt * Y).sum() / denom)
    rng = np.random.default_rng(seed)
    draws = None
    if method == "asymptotic":
        conf, p, draws, enumerated = _asymptotic(Y, Wt, treated, alpha, null, estimate,
                                                 denom, int(max_assignments), rng)
        n_assign = int(draws.size)
    else:
        conf, p, n_assign, enumerated = _exact(Y, Wt, treated, alpha, null,
                                               int(max_assignments), rng)
    if not np.all(np.isfinite(conf)):
        warn(
            f"conley_taber: {n_assign} assignments are too few for a bounded "
            f"{1 - alpha:.0%} interval (the real statistic can never be extreme enough); "
            f"the interval is {conf}. Add control units or raise alpha.",
            InferenceWarning)
    if draws is not None:
        draws.setflags(write=False)
    details = {
        "conf_int": conf, "conf_low": conf[0], "conf_high": conf[1], "estimate": estimate, "term": term, "method": method,
        "alpha": float(alpha), "null": float(null), "n_treated": n1, "n_control": n0,
        "treated_units": tuple(panel.units[units[treated]].tolist()),
        "n_assignments": n_assign, "enumerated": bool(enumerated), "draws": draws,
        "seed": seed, "note": EXCHANGEABILITY_NOTE,
    }
    return HypothesisTest(name=f"Conley–Taber ({method}): twfe {term}", statistic=estimate,
                          p_value=p, df=None, distribution="randomization", details=details)
