"""Synthetic difference-in-differences (Arkhangelsky et al. 2021; R ``synthdid``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..errors import SpecificationError
from ..estimands import tag
from ..panel import Panel
from ..result import Result
from ..validation import PANEL, SEED, Boolean, Choice, Integer, validated
from . import _sdid
from ._matrix import synthetic_data

__all__ = ["synthdid", "SynthdidExtra", "cohort_term"]

SdidMethod = Literal["sdid", "sc", "did"]
SdidSe = Literal["placebo", "jackknife", "bootstrap"]
METHODS: tuple[str, ...] = ("sdid", "sc", "did")
SE_METHODS: tuple[str, ...] = ("placebo", "jackknife", "bootstrap")


class _SynthdidKeys(TypedDict):
    unit_weights: Any
    time_weights: Any
    counterfactual: pd.DataFrame
    cohorts: pd.DataFrame


class SynthdidExtra(_SynthdidKeys, total=False):
    """The ``extra`` mapping of a :func:`synthdid` result (documented in its Returns);
    ``replicates`` only with a variance (``se`` not None)."""

    replicates: np.ndarray


def cohort_term(g: float) -> str:
    """``"ATT(g=2016)"``: the term of one cohort."""
    return f"ATT(g={int(g) if float(g).is_integer() else g:g})"


def _counterfactual(Y: np.ndarray, periods: np.ndarray, f: _sdid.CohortFit) -> pd.DataFrame:
    """Treated mean, the synthetic path (ω-weighted donors shifted by the λ-weighted pre-period
    gap, R's ``synthdid_plot``) and their gap, by period; the gap's post-period mean is the
    cohort's estimate."""
    treated = Y[f.treated].mean(axis=0)
    donors = f.fit.omega @ Y[f.donors]
    lam = f.fit.lambda_
    shift = lam @ (treated[:f.t0] - donors[:f.t0])
    synth = donors + shift
    return pd.DataFrame({"treated": treated, "synthetic": synth, "gap": treated - synth,
                         "post": periods >= f.cohort},
                        index=pd.Index(periods, name="period"))


def _frames(data, fits: list[_sdid.CohortFit]) -> tuple[Any, Any, pd.DataFrame]:
    """unit weights, time weights and counterfactual: Series / period-indexed frame with one
    cohort; a frame with a column per cohort / a (cohort, period) index with several."""
    donors = data.units[fits[0].donors]
    uw = {f.cohort: pd.Series(f.fit.omega, index=donors) for f in fits}
    tw = {f.cohort: pd.Series(f.fit.lambda_, index=pd.Index(data.periods[:f.t0]))
          for f in fits}
    cf = {f.cohort: _counterfactual(data.Y, data.periods, f) for f in fits}
    if len(fits) == 1:
        g = fits[0].cohort
        return (uw[g].rename("weight").rename_axis("unit"),
                tw[g].rename("weight").rename_axis("period"), cf[g])
    unit_w = pd.DataFrame(uw).rename_axis(index="unit", columns="cohort")
    time_w = pd.DataFrame(tw).reindex(data.periods).rename_axis(index="period",
                                                                 columns="cohort")
    counter = pd.concat(cf, names=["cohort", "period"])
    return unit_w, time_w, counter


@records_panel
@validated(panel=PANEL, method=Choice(METHODS), se=Choice(SE_METHODS, allow_none=True),
           n_reps=Integer(min=2), seed=SEED, max_iter=Integer(min=1), sparsify=Boolean())
def synthdid(
    panel: Panel,
    outcome: str,
    *,
    method: SdidMethod = "sdid",
    se: SdidSe | None = "placebo",
    n_reps: int = 200,
    seed: int | None = None,
    treated: Iterable | None = None,
    max_iter: int = 10_000,
    sparsify: bool = True,
) -> Result:
    """Synthetic difference-in-differences, synthetic control or DiD in R ``synthdid``'s
    framework, for one or a few treated units, one cohort or several (staggered).

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`; balanced, without missing outcomes. Treated
        units are those with a pilot date (finite cohort); donors are the never-treated.
    outcome : str
        Outcome column.
    method : {"sdid", "sc", "did"}
        ``"sdid"``: unit and time weights with a unit intercept (R ``synthdid_estimate``);
        ``"sc"``: synthetic control, unit weights without intercept and no time weights
        (R ``sc_estimate``); ``"did"``: uniform weights, plain DiD (R ``did_estimate``).
    se : {"placebo", "jackknife", "bootstrap"} or None
        Variance (R ``vcov(method=...)``): ``"placebo"`` (in-space, Algorithm 4; works with
        one treated unit; needs more donors than treated units), ``"jackknife"`` (fixed
        weights, Algorithm 3) and ``"bootstrap"`` (units drawn with replacement, weights
        re-estimated, Algorithm 2) need at least two treated units in every cohort.
        None: no variance.
    n_reps : int
        Placebo permutations or bootstrap draws (R ``replications``).
    seed : int, optional
        Seed of the draws (stored in ``spec``).
    treated : unit label or sequence, optional
        Analyse only these treated units (e.g. ``treated=330100`` for 杭州 alone); the
        other treated units are left out, not used as donors.
    max_iter : int
        Frank-Wolfe iterations of the second pass (R ``max.iter``).
    sparsify : bool
        R's two-pass scheme: 100 iterations, weights at or below a quarter of the largest set
        to 0, then iterations from there (R ``sparsify = sparsify_function``).

    Returns
    -------
    Result
        Term ``"ATT"`` (primary); with several cohorts also ``"ATT(g=...)"`` per cohort.
        ``keys``: ``cohort``, ``n_treated``, ``n_donors``, ``n_pre``, ``n_post``,
        ``weight`` (the cohort's share of treated unit-periods). ``df`` None (normal
        intervals, R's ``1.96·se``). ``stats``: ``n_treated``, ``n_donors``, ``n_cohorts``,
        and, with one cohort, ``effective_donors`` ``1/Σω²`` and ``effective_periods``
        ``1/Σλ²`` (R's ``N0.effective``, ``T0.effective``).
        ``extra`` (typed by :class:`SynthdidExtra`): ``unit_weights`` (Series by donor;
        with several cohorts a DataFrame donor × cohort), ``time_weights`` (Series by
        pre-period; DataFrame period × cohort), ``counterfactual`` (DataFrame by period:
        ``treated`` mean, ``synthetic``, ``gap``, ``post``; index (cohort, period) with
        several cohorts), ``cohorts`` (per cohort: estimate, sizes, weight,
        ``zeta_omega``, ``zeta_lambda``, ``noise_level``) and, with ``se``,
        ``replicates`` (the placebo / bootstrap draws or the jackknife's leave-one-out
        values, one column per term).

    Raises
    ------
    SpecificationError
        Bad options; ``se="jackknife"`` or ``"bootstrap"`` with a cohort of one treated
        unit; ``se="placebo"`` with no more donors than treated units.
    PanelError
        Unbalanced panel, missing outcomes, no never-treated unit, a treated unit without
        pre-periods.

    Notes
    -----
    Estimand: the ATT over treated unit-periods. For a cohort, ``τ̂ = (−ω, 1/N1)' Y (−λ,
    1/T1)`` with ``ω`` on the simplex minimising ``ζ_ω² T0 ‖ω‖² + ‖ω0 + Y_co,pre'ω −
    ȳ_tr,pre‖²`` and ``λ`` minimising ``ζ_λ² N0 ‖λ‖² + ‖λ0 + Y_co,pre λ − ȳ_co,post‖²``
    (Frank-Wolfe; R's defaults ``ζ_ω = (N1·T1)^{1/4}σ``, ``ζ_λ = 10⁻⁶σ``, ``σ`` the standard
    deviation of the donors' pre-period first differences, stop below a decrease of
    ``(10⁻⁵σ)²``). Several cohorts: each against the never-treated over its own
    pre-periods, then averaged with weights ``N1_g·T1_g``. The variance draws resample the
    whole design (all cohorts at once) and keep the tuning of the original fit, as R.

    References
    ----------
    Arkhangelsky, D., Athey, S., Hirshberg, D. A., Imbens, G. W. & Wager, S. (2021).
    Synthetic difference-in-differences. American Economic Review 111(12), 4088–4118.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.synthdid(panel, "isu", treated=330100, n_reps=50, seed=1)
    >>> res.terms
    ['ATT']
    >>> round(float(res.extra["unit_weights"].sum()), 10)
    1.0
    """
    data = synthetic_data(panel, outcome, treated)
    fits = _sdid.fit_cohorts(data.Y, data.periods, data.cohort, data.treated, data.donors,
                             method, max_iter, sparsify)
    est = _sdid.estimates(fits, data.periods.size)
    vcov, reps, notes = _variance(data, fits, se, n_reps, seed, est.size)

    n_tr = np.array([f.treated.size for f in fits])
    n_post = np.array([data.periods.size - f.t0 for f in fits])
    weight = _sdid.cohort_weights(n_tr, n_post)
    table = pd.DataFrame({
        "estimate": [f.fit.estimate for f in fits], "n_treated": n_tr,
        "n_donors": data.donors.size, "n_pre": [f.t0 for f in fits], "n_post": n_post,
        "weight": weight, "zeta_omega": [f.opts.zeta_omega for f in fits],
        "zeta_lambda": [f.opts.zeta_lambda for f in fits],
        "noise_level": [f.noise for f in fits]},
        index=pd.Index([f.cohort for f in fits], name="cohort"))
    cohorts = [f.cohort for f in fits]
    terms = ["ATT"] + ([cohort_term(g) for g in cohorts] if len(fits) > 1 else [])
    if len(fits) == 1:
        keys = pd.DataFrame({"cohort": cohorts, "n_treated": n_tr, "n_pre": [fits[0].t0],
                             "n_post": n_post, "weight": [1.0]})
    else:
        keys = pd.DataFrame({"cohort": [np.nan, *cohorts], "n_treated": [n_tr.sum(), *n_tr],
                             "n_pre": [np.nan, *[f.t0 for f in fits]],
                             "n_post": [np.nan, *n_post], "weight": [1.0, *weight]})
    keys.insert(1, "time", np.nan)
    keys.insert(2, "event_time", np.nan)
    keys.insert(4, "n_donors", data.donors.size)
    keys = tag(keys, 0, "simple_att")
    unit_w, time_w, counter = _frames(data, fits)
    extra: dict[str, Any] = {"unit_weights": unit_w, "time_weights": time_w,
                             "counterfactual": counter, "cohorts": table}
    if reps is not None:
        extra["replicates"] = reps
    stats: dict[str, Any] = {"n_treated": int(n_tr.sum()), "n_donors": int(data.donors.size),
                             "n_cohorts": len(fits)}
    if len(fits) == 1:
        stats["effective_donors"] = float(1.0 / np.sum(fits[0].fit.omega ** 2))
        lam = fits[0].fit.lambda_
        stats["effective_periods"] = float(1.0 / np.sum(lam ** 2)) if lam.any() else np.nan
    spec = {"method": method, "se": se, "n_reps": n_reps, "seed": seed,
            "treated": None if treated is None else list(data.units[data.treated]),
            "max_iter": max_iter, "sparsify": sparsify}
    rows = np.concatenate([data.donors, data.treated]).size
    return Result.create(
        est, vcov, terms, keys=keys, method="synthdid", outcome=outcome, spec=spec,
        n_obs=rows * data.periods.size, n_units=rows, primary="ATT",
        notes=tuple(panel.notes) + notes, stats=stats, extra=extra)


def _variance(data, fits, se, n_reps, seed, k) -> tuple[np.ndarray, np.ndarray | None,
                                                         tuple[str, ...]]:
    """(vcov, replicates, notes) for ``se``; a NaN vcov for None."""
    nan = np.full((k, k), np.nan)
    if se is None:
        return nan, None, ()
    n_tr = sum(f.treated.size for f in fits)
    n0 = data.donors.size
    if se == "placebo":
        if n0 <= n_tr:
            raise SpecificationError(
                f"se='placebo' needs more donors (never-treated units) than treated units; "
                f"the panel has {n0} donors and {n_tr} treated units. Use se='jackknife' or "
                "se='bootstrap' (several treated units per cohort), or restrict treated=.")
        rng = np.random.default_rng(seed)
        reps = _sdid.placebo_draws(data.Y, fits, n_reps, rng)
        return _sdid.replicate_vcov(reps), reps, ()
    small = [f for f in fits if f.treated.size < 2]
    if small:
        what = ", ".join(f"{f.cohort:g} ({data.units[f.treated[0]]})" for f in small[:5])
        one = "There is one treated unit" if n_tr == 1 else \
            f"{len(small)} cohort(s) have a single treated unit: {what}"
        raise SpecificationError(
            f"se={se!r} is undefined with a single treated unit in a cohort (R synthdid "
            f"returns NA). {one}. Use se='placebo' (in-space placebo, R's method for one "
            "treated unit), or leave such units out with treated=[...].")
    if se == "bootstrap":
        rng = np.random.default_rng(seed)
        reps = _sdid.bootstrap_draws(data.Y, fits, n_reps, rng)
        return _sdid.replicate_vcov(reps), reps, ()
    values = _sdid.jackknife_values(data.Y, fits)
    if values is None:
        return nan, None, ("Jackknife variance not defined: a cohort's synthetic control "
                           "puts all its weight on one donor (R synthdid returns NA).",)
    return _sdid.jackknife_vcov(values), values, ()
