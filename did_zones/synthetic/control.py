"""Synthetic control (Abadie, Diamond & Hainmueller 2010) with in-space placebo inference."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from .._provenance import records_panel
from ..estimands import tag
from ..panel import Panel
from ..result import HypothesisTest, Result
from ..validation import PANEL, Boolean, Integer, validated
from ._matrix import synthetic_data
from ._solver import default_options, fit_block, fit_blocks_default

__all__ = ["synthetic_control", "SyntheticControlExtra", "placebo_label"]


class SyntheticControlExtra(TypedDict):
    """The ``extra`` mapping of a :func:`synthetic_control` result (see its Returns)."""

    unit_weights: Any
    counterfactual: pd.DataFrame
    placebo_gaps: pd.DataFrame
    rmspe_ratios: pd.DataFrame


def placebo_label(n_placebos: int) -> str:
    """The inference label of a treated unit's term."""
    return f"in-space placebo, rank of the post/pre RMSPE ratio ({n_placebos:,} placebos)"


def _sc_path(Y: np.ndarray, donors: np.ndarray, target: np.ndarray, t0: int,
             max_iter: int, sparse: bool) -> tuple[np.ndarray, np.ndarray]:
    """Donor weights fitting ``target``'s pre-period path and the synthetic path."""
    block = np.vstack([Y[donors], target[None, :]])
    opts, omega, lambda_ = default_options(block, donors.size, t0, "sc", max_iter=max_iter,
                                           sparse=sparse)
    fit = fit_block(block, donors.size, t0, opts, omega, lambda_)
    return fit.omega, fit.omega @ Y[donors]


def _rmspe(gap: np.ndarray, t0: int) -> tuple[float, float]:
    return (float(np.sqrt(np.mean(gap[:t0] ** 2))), float(np.sqrt(np.mean(gap[t0:] ** 2))))


def _placebos(Y: np.ndarray, donors: np.ndarray, t0: int, max_iter: int, sparse: bool
              ) -> np.ndarray:
    """Gap paths (donors × periods) of each donor against the other donors."""
    others = [np.delete(donors, k) for k in range(donors.size)]
    blocks = [Y[np.append(o, j)] for o, j in zip(others, donors, strict=True)]
    fits = fit_blocks_default(blocks, donors.size - 1, t0, "sc", max_iter=max_iter,
                              sparse=sparse)
    return np.vstack([Y[j] - f.omega @ Y[o] for f, o, j in zip(fits, others, donors,
                                                              strict=True)])


@records_panel
@validated(panel=PANEL, placebos=Boolean(), max_iter=Integer(min=1), sparsify=Boolean())
def synthetic_control(
    panel: Panel,
    outcome: str,
    *,
    treated: Iterable | None = None,
    placebos: bool = True,
    max_iter: int = 10_000,
    sparsify: bool = True,
) -> Result:
    """Synthetic control for one treated unit (or each of a few), with in-space placebos.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`; balanced, without missing outcomes. Donors are
        the never-treated units.
    outcome : str
        Outcome column.
    treated : unit label or sequence, optional
        The treated unit(s) to analyse (e.g. ``treated=330100``, 杭州); default every unit
        with a pilot date. Each gets its own synthetic control over the periods before its
        pilot.
    placebos : bool
        Run the in-space placebos (each donor treated in turn, its synthetic control built
        from the other donors), giving ``placebo_gaps``, the RMSPE ratios and the rank
        p-values.
    max_iter : int
        Frank-Wolfe iterations (see :func:`did_zones.synthdid`).
    sparsify : bool
        R synthdid's two-pass sparsification of the weights.

    Returns
    -------
    Result
        Term ``"ATT"`` (primary: the mean post-period gap over treated unit-periods); with
        several treated units also ``"ATT(<unit>)"`` per unit. No standard error (the
        vcov is NaN): the p-value of each treated unit's term is its in-space placebo rank
        p-value (:attr:`Result.inference` says so); with several units the pooled
        ``"ATT"`` has none. ``keys``: ``cohort``, ``unit``, ``n_pre``, ``n_post``,
        ``pre_rmspe``, ``post_rmspe``, ``rmspe_ratio``.
        ``extra`` (typed by :class:`SyntheticControlExtra`): ``unit_weights`` (Series by
        donor; DataFrame donor × treated unit with several), ``counterfactual`` (by period:
        ``treated``, ``synthetic``, ``gap``, ``post``; index (unit, period) with several),
        ``placebo_gaps`` (period × donor gap paths; index (cohort, period) with several
        cohorts; empty without placebos) and ``rmspe_ratios`` (one row per treated unit and
        placebo: ``cohort``, ``role``, ``pre_rmspe``, ``post_rmspe``, ``ratio``,
        ``p_value`` for the treated rows).

    Raises
    ------
    PanelError
        Unbalanced panel, missing outcomes, no never-treated unit, a treated unit without
        pre-periods.
    SpecificationError
        Unknown units in ``treated``.

    Notes
    -----
    The weights are those of R ``synthdid::sc_estimate``: the simplex weights minimising
    the pre-period squared gap of the outcome paths (no intercept; a ridge of ``10⁻⁶σ``
    keeps them unique), by Frank-Wolfe, so ``synthetic_control(...)`` and
    ``synthdid(..., method="sc")`` give the same ATT for one treated unit. Covariates and
    the V matrix of Abadie et al. are not used: the fit is to the whole pre-period path.
    Inference (Abadie et al. 2010, section 4): the ratio of post- to pre-period root mean
    squared prediction error of the treated unit is ranked among those of the placebos;
    ``p = (1 + #{placebos with a ratio ≥ the treated unit's}) / (1 + J)``.

    References
    ----------
    Abadie, A., Diamond, A. & Hainmueller, J. (2010). Synthetic control methods for
    comparative case studies: estimating the effect of California's tobacco control
    program. Journal of the American Statistical Association 105(490), 493–505.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.synthetic_control(panel, "isu", treated=330100, placebos=False)
    >>> res.terms
    ['ATT']
    """
    data = synthetic_data(panel, outcome, treated)
    Y, periods, donors = data.Y, data.periods, data.donors
    cohorts = data.cohorts
    t0_of = {g: int(np.sum(periods < g)) for g in cohorts}
    placebo_gaps = {g: (_placebos(Y, donors, t0_of[g], max_iter, sparsify) if placebos
                        else np.empty((0, periods.size))) for g in cohorts}
    placebo_ratio = {}
    for g, gaps in placebo_gaps.items():
        r = np.array([_rmspe(row, t0_of[g]) for row in gaps]).reshape(-1, 2)
        placebo_ratio[g] = r

    weights, counter, rows, ests, n_post, ratio_rows = {}, {}, [], [], [], []
    for i in data.treated:
        g = data.cohort[i]
        t0 = t0_of[g]
        omega, path = _sc_path(Y, donors, Y[i], t0, max_iter, sparsify)
        gap = Y[i] - path
        unit = data.units[i]
        weights[unit] = pd.Series(omega, index=data.units[donors])
        counter[unit] = pd.DataFrame({"treated": Y[i], "synthetic": path, "gap": gap,
                                      "post": periods >= g},
                                     index=pd.Index(periods, name="period"))
        pre, post = _rmspe(gap, t0)
        ratio = post / pre if pre > 0 else np.inf
        pr = placebo_ratio[g]
        with np.errstate(divide="ignore", invalid="ignore"):
            p_ratios = np.where(pr[:, 0] > 0, pr[:, 1] / pr[:, 0], np.inf)
        p = (1 + np.sum(p_ratios >= ratio)) / (1 + p_ratios.size) if placebos else np.nan
        ests.append(float(gap[t0:].mean()))
        n_post.append(periods.size - t0)
        rows.append({"cohort": g, "unit": unit, "n_pre": t0, "n_post": periods.size - t0,
                     "pre_rmspe": pre, "post_rmspe": post, "rmspe_ratio": ratio,
                     "p_value": p, "n_placebos": p_ratios.size})
        ratio_rows.append(pd.DataFrame({"cohort": g, "role": "treated", "pre_rmspe": pre,
                                        "post_rmspe": post, "ratio": ratio, "p_value": p},
                                       index=pd.Index([unit], name="unit")))
    for g in cohorts:
        pr = placebo_ratio[g]
        if pr.size:
            with np.errstate(divide="ignore", invalid="ignore"):
                rr = np.where(pr[:, 0] > 0, pr[:, 1] / pr[:, 0], np.inf)
            ratio_rows.append(pd.DataFrame({"cohort": g, "role": "placebo",
                                            "pre_rmspe": pr[:, 0], "post_rmspe": pr[:, 1],
                                            "ratio": rr, "p_value": np.nan},
                                           index=pd.Index(data.units[donors], name="unit")))
    return _result(panel, outcome, data, rows, ests, n_post, weights, counter, placebo_gaps,
                   ratio_rows, placebos, max_iter, sparsify, treated)


def _result(panel, outcome, data, rows, ests, n_post, weights, counter, placebo_gaps,
            ratio_rows, placebos, max_iter, sparsify, treated) -> Result:
    """Assemble the Result (and the placebo rank tests as the terms' inference)."""
    n_post = np.array(n_post, float)
    att = float(n_post @ np.array(ests) / n_post.sum())
    one = len(rows) == 1
    unit_keys = pd.DataFrame(rows)
    if one:
        terms, est, keys = ["ATT"], [att], unit_keys
    else:
        terms = ["ATT"] + [f"ATT({r['unit']})" for r in rows]
        est = [att, *ests]
        pooled = {"cohort": np.nan, "unit": None, "n_pre": np.nan,
                  "n_post": float(n_post.sum()), "pre_rmspe": np.nan, "post_rmspe": np.nan,
                  "rmspe_ratio": np.nan, "p_value": np.nan, "n_placebos": 0}
        keys = pd.concat([pd.DataFrame([pooled]), unit_keys], ignore_index=True)
    keys = keys.drop(columns=["p_value", "n_placebos"])
    keys.insert(1, "time", np.nan)
    keys.insert(2, "event_time", np.nan)
    keys = tag(keys, 0, "simple_att")
    k = len(terms)
    cohorts = list(placebo_gaps)
    donors = data.units[data.donors]
    if len(cohorts) == 1:
        gaps = pd.DataFrame(placebo_gaps[cohorts[0]].T if placebos else
                            np.empty((data.periods.size, 0)),
                            index=pd.Index(data.periods, name="period"),
                            columns=donors if placebos else pd.Index([], name="unit"))
    else:
        gaps = pd.concat({g: pd.DataFrame(m.T if placebos else np.empty((data.periods.size,
                                                                          0)),
                                          index=pd.Index(data.periods, name="period"),
                                          columns=donors if placebos else None)
                          for g, m in placebo_gaps.items()}, names=["cohort", "period"])
    units = list(weights)
    extra = {
        "unit_weights": (weights[units[0]].rename("weight").rename_axis("unit") if one else
                         pd.DataFrame(weights).rename_axis(index="unit", columns="treated")),
        "counterfactual": (counter[units[0]] if one else
                           pd.concat(counter, names=["unit", "period"])),
        "placebo_gaps": gaps,
        "rmspe_ratios": pd.concat(ratio_rows),
    }
    spec = {"treated": None if treated is None else units, "placebos": placebos,
            "max_iter": max_iter, "sparsify": sparsify}
    n_units = data.donors.size + data.treated.size
    res = Result.create(
        est, np.full((k, k), np.nan), terms, keys=keys, method="synthetic_control",
        outcome=outcome, spec=spec, n_obs=n_units * data.periods.size, n_units=n_units,
        primary="ATT", notes=tuple(panel.notes),
        stats={"n_treated": len(rows), "n_donors": int(data.donors.size)}, extra=extra)
    if not placebos:
        return res
    tests = {}
    for term, r, e in zip(terms[-len(rows):], rows, est[-len(rows):], strict=True):
        tests[term] = HypothesisTest(
            name=placebo_label(r["n_placebos"]), statistic=float(r["rmspe_ratio"]),
            p_value=float(r["p_value"]), distribution="randomization",
            details={"term": term, "estimate": float(e), "n_placebos": r["n_placebos"],
                     "conf_int": None})
    return res.with_inference(tests)
