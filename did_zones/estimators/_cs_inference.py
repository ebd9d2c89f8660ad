"""Inference shared by :func:`callaway_santanna` and :func:`aggregate`: variances from unit
influence functions (R ``did``'s ``V = ψᵀψ / n²``, cluster sums when clustered) and the
multiplier bootstrap with a sup-t critical value."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..errors import InferenceWarning, warn
from ..inference import group_sums, multiplier_bootstrap

_TINY = np.sqrt(np.finfo(float).eps) * 10  # R did: standard errors below this are NA


def influence_vcov(psi: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """``ψᵀψ / n²`` with ``ψ`` the unit influence functions, summed within clusters first."""
    n = psi.shape[0]
    if cluster is not None:
        psi = group_sums(psi, cluster)
    return psi.T @ psi / n**2


@dataclass(frozen=True)
class Bootstrap:
    std_error: np.ndarray  # NaN where the bootstrap distribution is degenerate
    crit_value: float | None
    draws: np.ndarray
    note: str | None


def bootstrap(psi: np.ndarray, n_boot: int, seed: int, cluster: np.ndarray | None,
              kind: str, alpha: float, band: np.ndarray | None = None) -> Bootstrap:
    """Multiplier bootstrap of the unit influence functions ``psi`` (n × k).

    One multiplier per unit, or per cluster: the cluster totals of ``ψ`` are bootstrapped
    (rescaled by ``G / n`` so that the shared routine's ``1/√G`` scaling gives draws of
    ``√G (θ* − θ̂)``), hence the bootstrap variance estimates the same ``Σ_c S_c S_cᵀ / n²``
    as the analytic clustered variance. R ``did``'s ``mboot`` averages ``ψ`` within clusters
    instead; the two agree when clusters have equal sizes (e.g. clustering on the unit).
    ``band`` selects the columns entering the sup-t critical value (default: all).
    """
    n, k = psi.shape
    if cluster is None:
        rows = psi
    else:
        sums = group_sums(psi, cluster)
        rows = sums * (sums.shape[0] / n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        boot = multiplier_bootstrap(rows, int(n_boot), seed=seed, weights=kind, alpha=alpha)
    se = np.where(boot.std_error > _TINY, boot.std_error, np.nan)
    band = np.ones(k, dtype=bool) if band is None else band
    crit, note = sup_t_crit(boot.draws, band & np.isfinite(se), alpha)
    return Bootstrap(se, crit, boot.draws, note)


def sup_t_crit(draws: np.ndarray, cols: np.ndarray, alpha: float) -> tuple[float | None, str | None]:
    """Sup-t critical value over ``cols`` (R ``did``'s ``mboot``), with R's fallbacks."""
    if not cols.any():
        return None, "No uniform band: no term has a positive bootstrap standard error."
    d = draws[:, cols]
    q75, q25 = np.quantile(d, [0.75, 0.25], axis=0)
    sigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    ok = sigma > _TINY
    if not ok.any():
        return None, "No uniform band: the bootstrap distribution is degenerate."
    tmax = np.max(np.abs(d[:, ok]) / sigma[ok], axis=1)
    crit = float(np.quantile(tmax[np.isfinite(tmax)], 1 - alpha))
    z = float(stats.norm.ppf(1 - alpha / 2))
    if crit < z:
        # R did: a simultaneous band narrower than the pointwise one is reported pointwise
        return z, (f"The bootstrap sup-t critical value ({crit:.3f}) is below the pointwise "
                   f"one ({z:.3f}); the uniform band uses the pointwise value (as R did).")
    if crit >= 7:
        warn(
            f"The uniform critical value is {crit:.2f} (>= 7): too large to be reliable; "
            "cohorts are probably tiny or outcomes barely vary. Prefer pointwise intervals.",
            InferenceWarning)
    return crit, None


def bootstrap_vcov(vcov: np.ndarray, se_boot: np.ndarray) -> np.ndarray:
    """Keep the analytic correlations, put the bootstrap standard errors on the diagonal
    (where a term's bootstrap distribution is degenerate, its analytic variance stays)."""
    se_a = np.sqrt(np.clip(np.diag(vcov), 0, None))
    se = np.where(np.isfinite(se_boot), se_boot, se_a)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(se_a > 0, se / se_a, 0.0)
    return vcov * np.outer(scale, scale)


def new_seed(seed: int | None) -> int:
    """The seed actually used (drawn from fresh entropy when None), to record in the spec."""
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    return int(seed)
