"""Synthetic DiD by cohort, its aggregation, and its three variances (R ``synthdid`` vcov).

A cohort ``g`` is one block in R's sense: its treated units against every never-treated
unit, over the periods before ``g`` (pre) and from ``g`` on (post). The overall ATT
averages the cohorts' estimates weighted by their treated unit-periods ``N1_g·T1_g``
(Arkhangelsky et al. 2021, appendix; diff-diff's staggered SDID); with one cohort it is R's
estimate. The variances follow R's Algorithms 2-4 and extend them to several cohorts by
resampling the whole design at once, so one draw gives every cohort's and the overall
estimate, and the draws give their joint covariance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EstimationError
from ._solver import (
    SdidOptions,
    WeightFit,
    default_options,
    fit_block,
    fit_blocks,
    sum_normalize,
)

__all__ = ["CohortFit", "fit_cohorts", "overall", "placebo_draws", "bootstrap_draws",
           "jackknife_values", "replicate_vcov", "jackknife_vcov"]


@dataclass(frozen=True)
class CohortFit:
    """One cohort's block: rows of ``Y`` (donors then treated), pre-periods, options, fit."""

    cohort: float
    donors: np.ndarray
    treated: np.ndarray
    t0: int
    opts: SdidOptions
    fit: WeightFit
    noise: float


def fit_cohorts(Y: np.ndarray, periods: np.ndarray, cohort: np.ndarray, treated: np.ndarray,
                donors: np.ndarray, method: str, max_iter: int, sparse: bool
                ) -> list[CohortFit]:
    """One fit per cohort of the treated rows, in cohort order."""
    from ._solver import noise_level

    out = []
    for g in np.unique(cohort[treated]):
        tr = treated[cohort[treated] == g]
        t0 = int(np.sum(periods < g))
        block = Y[np.concatenate([donors, tr])]
        opts, omega, lambda_ = default_options(block, donors.size, t0, method,
                                               max_iter=max_iter, sparse=sparse)
        fit = fit_block(block, donors.size, t0, opts, omega, lambda_)
        out.append(CohortFit(float(g), donors, tr, t0, opts, fit,
                             noise_level(block[:donors.size, :t0])))
    return out


def cohort_weights(n_treated: np.ndarray, n_post: np.ndarray) -> np.ndarray:
    """Weights of the cohorts in the overall ATT: shares of treated unit-periods."""
    w = np.asarray(n_treated, float) * np.asarray(n_post, float)
    return w / w.sum()


def overall(taus: np.ndarray, n_treated: np.ndarray, n_post: np.ndarray) -> float:
    """The overall ATT from the cohorts' estimates (cohorts without treated units skipped)."""
    keep = np.asarray(n_treated) > 0
    return float(cohort_weights(np.asarray(n_treated)[keep], np.asarray(n_post)[keep])
                 @ np.asarray(taus)[keep])


def _vector(taus: list[float], n_treated: list[int], n_post: list[int]) -> np.ndarray:
    """``[ATT, ATT(g1), ...]`` (just ``[ATT]`` with one cohort)."""
    att = overall(np.array(taus), np.array(n_treated), np.array(n_post))
    return np.array([att] if len(taus) == 1 else [att, *taus])


def estimates(fits: list[CohortFit], n_periods: int) -> np.ndarray:
    """``[ATT, ATT(g1), ...]`` of the original fits."""
    return _vector([f.fit.estimate for f in fits], [f.treated.size for f in fits],
                   [n_periods - f.t0 for f in fits])


def _refit(Y: np.ndarray, f: CohortFit, donor_pos: list[np.ndarray],
           treated_rows: list[np.ndarray]) -> np.ndarray:
    """Re-estimate cohort ``f`` once per draw, on the donors at positions ``donor_pos[r]``
    (of ``f.donors``) and the rows ``treated_rows[r]``, starting from (or, when ``f.opts``
    says so, keeping) the original weights, the original tuning held fixed (R's ``opts``).
    All draws are solved together (:func:`fit_blocks`)."""
    blocks = [Y[np.concatenate([f.donors[d], t])]
              for d, t in zip(donor_pos, treated_rows, strict=True)]
    omegas = [sum_normalize(f.fit.omega[d]) for d in donor_pos]
    fits = fit_blocks(blocks, [d.size for d in donor_pos], f.t0, f.opts, omegas,
                      [f.fit.lambda_] * len(blocks))
    return np.array([w.estimate for w in fits])


def _stack(taus: np.ndarray, sizes: np.ndarray, n_post: np.ndarray) -> np.ndarray:
    """Rows ``[ATT, ATT(g)...]`` from draws × cohorts estimates and treated counts."""
    w = sizes * n_post
    att = (taus * w).sum(axis=1) / w.sum(axis=1)
    return att[:, None] if taus.shape[1] == 1 else np.column_stack([att, taus])


def placebo_draws(Y: np.ndarray, fits: list[CohortFit], n_reps: int,
                  rng: np.random.Generator) -> np.ndarray:
    """R ``placebo_se`` (Algorithm 4): each draw permutes the donors, gives the last ones the
    treated units' places (as many per cohort as it has treated units) and re-estimates.
    Returns ``n_reps × k`` draws of ``[ATT, ATT(g)...]``."""
    n0 = fits[0].donors.size
    sizes = np.array([f.treated.size for f in fits])
    n_post = np.array([Y.shape[1] - f.t0 for f in fits])
    n_placebo = n0 - sizes.sum()
    ends = n_placebo + np.cumsum([0, *sizes])
    perms = [rng.permutation(n0) for _ in range(n_reps)]
    keep = [p[:n_placebo] for p in perms]
    taus = np.column_stack([
        _refit(Y, f, keep, [f.donors[p[ends[k]:ends[k + 1]]] for p in perms])
        for k, f in enumerate(fits)])
    return _stack(taus, np.broadcast_to(sizes, taus.shape), n_post)


def bootstrap_draws(Y: np.ndarray, fits: list[CohortFit], n_reps: int,
                    rng: np.random.Generator) -> np.ndarray:
    """R ``bootstrap_sample`` (Algorithm 2): units drawn with replacement, weights
    re-estimated from the original ones; a draw without donors, or without a treated unit
    of some cohort, is drawn again (R's rule, per cohort)."""
    donors = fits[0].donors
    treated = np.concatenate([f.treated for f in fits])
    n0, n = donors.size, donors.size + treated.size
    cohort_of = np.concatenate([np.full(f.treated.size, k) for k, f in enumerate(fits)])
    n_post = np.array([Y.shape[1] - f.t0 for f in fits])
    draws, tries = [], 0
    while len(draws) < n_reps:
        tries += 1
        if tries > 100 * n_reps:
            raise EstimationError(
                f"The bootstrap found {len(draws)} usable draws in {tries - 1}: most draws "
                "lack donors or the treated units of some cohort. Use se='placebo' or "
                "se='jackknife'.")
        ind = np.sort(rng.integers(0, n, n))
        t_idx = ind[ind >= n0] - n0
        if ind[0] >= n0 or np.any(np.bincount(cohort_of[t_idx], minlength=len(fits)) == 0):
            continue
        draws.append(ind)
    d_pos = [ind[ind < n0] for ind in draws]
    t_idx = [ind[ind >= n0] - n0 for ind in draws]
    taus = np.column_stack([
        _refit(Y, f, d_pos, [treated[t[cohort_of[t] == k]] for t in t_idx])
        for k, f in enumerate(fits)])
    sizes = np.array([np.bincount(cohort_of[t], minlength=len(fits)) for t in t_idx])
    return _stack(taus, sizes, n_post)


def jackknife_values(Y: np.ndarray, fits: list[CohortFit]) -> np.ndarray | None:
    """R ``jackknife_se`` (Algorithm 3, weights fixed): ``[ATT, ATT(g)...]`` with each unit
    (donors, then treated units by cohort) left out in turn, as closed forms of the weights
    (a donor left out: the others' ω renormalised). None when some cohort has a single donor
    with positive weight (R returns NA)."""
    n0 = fits[0].donors.size
    n_post = np.array([Y.shape[1] - f.t0 for f in fits])
    sizes = np.array([f.treated.size for f in fits])
    k = len(fits)
    tau_minus_donor = np.empty((n0, k))
    tau_minus_treated = []
    for j, f in enumerate(fits):
        w, lam = f.fit.omega, f.fit.lambda_
        if np.count_nonzero(w) <= 1:
            return None
        # per unit: post mean minus the λ-weighted pre-period
        diff = Y[:, f.t0:].mean(axis=1) - Y[:, :f.t0] @ lam
        d_don, d_tr = diff[f.donors], diff[f.treated]
        synth = w @ d_don
        loo = (synth - w * d_don) / (1.0 - w)  # w < 1: at least two positive weights
        tau_minus_donor[:, j] = d_tr.mean() - loo
        tau_minus_treated.append((d_tr.sum() - d_tr) / (d_tr.size - 1) - synth)
    rows = [np.array([_vector(list(t), list(sizes), list(n_post)) for t in tau_minus_donor])]
    base = np.array([f.fit.estimate for f in fits])
    for j, t in enumerate(tau_minus_treated):
        for value in t:
            taus = base.copy()
            taus[j] = value
            s = sizes.copy()
            s[j] -= 1
            rows.append(_vector(list(taus), list(s), list(n_post))[None, :])
    return np.vstack(rows)


def replicate_vcov(draws: np.ndarray) -> np.ndarray:
    """Covariance of the draws with divisor ``B`` (R: ``sqrt((B-1)/B)·sd``)."""
    c = draws - draws.mean(axis=0)
    return c.T @ c / draws.shape[0]


def jackknife_vcov(values: np.ndarray) -> np.ndarray:
    """``(n-1)/n · Σ (u − ū)(u − ū)'`` (R ``jackknife``)."""
    n = values.shape[0]
    c = values - values.mean(axis=0)
    return (n - 1) / n * (c.T @ c)
