"""Inference shared by :func:`callaway_santanna` and :func:`aggregate`: variances from unit
influence functions (R ``did``'s ``V = ψᵀψ / n²``, cluster sums when clustered) and the
multiplier bootstrap with a sup-t critical value."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..inference import SE_TINY as _TINY
from ..inference import group_sums, multiplier_bootstrap, sup_t_critical_value
from ..inference import influence_vcov as _influence_vcov


def influence_vcov(psi: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """``ψᵀψ / n²`` with ``ψ`` the unit influence functions, summed within clusters first
    (:func:`did_zones.inference.influence_vcov`, without its block count)."""
    return _influence_vcov(psi, cluster)[0]


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
    crit, note = sup_t_critical_value(boot.draws, band & np.isfinite(se), alpha)
    return Bootstrap(se, crit, boot.draws, note)


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
