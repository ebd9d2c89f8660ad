"""LeSage & Pace (2009) direct, indirect and total effects, with delta-method and simulated
standard errors (numerics only).

For a regressor with coefficient ``β`` and spatial-lag coefficient ``θ`` (0 in the SAR
model) the matrix of partial derivatives ``∂y/∂x'`` is ``S = (I − ρW)⁻¹(βI + θW)``. With
``A = (I − ρW)⁻¹``:

* direct = ``tr(S)/n = β·a + θ·b``, ``a = tr(A)/n``, ``b = tr(AW)/n``;
* total = ``1'S1/n = β·c + θ·d``, ``c = 1'A1/n``, ``d = 1'AW1/n``
  (``c = d = 1/(1 − ρ)`` for a row-standardised ``W``);
* indirect = total − direct.

Delta method: the Jacobian is analytic, ``∂A/∂ρ = AWA``, so
``a' = tr(AWA)/n``, ``b' = tr(AWAW)/n``, ``c' = 1'AWA1/n``, ``d' = 1'AWAW1/n``.
Simulation (LeSage & Pace 2009, sec. 4.2; R ``spatialreg::impacts(R=)``): draws of
``(β, θ, ρ)`` from the estimated asymptotic normal distribution, draws with ``ρ`` outside
the admissible interval redrawn, the four scalars evaluated exactly per draw from the
eigen-decomposition ``W = V diag(ω) V⁻¹`` (``O(n)`` per draw).
"""

from __future__ import annotations

import numpy as np

from .spectrum import Spectrum

__all__ = ["effect_scalars", "effects", "effects_jacobian", "simulate_effects"]


def effect_scalars(spectrum: Spectrum, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b, c, d)`` and their derivatives in ``ρ`` at ``rho`` (dense inverse)."""
    n = spectrum.n
    a_mat = spectrum.inverse(rho)
    aw = np.asarray((spectrum.sparse.T @ a_mat.T).T)  # A W
    one_a = a_mat.sum(axis=0)  # 1'A
    a_one = a_mat.sum(axis=1)  # A 1
    one_aw = aw.sum(axis=0)  # 1'AW
    values = np.array([np.trace(a_mat), np.trace(aw), one_a.sum(), one_aw.sum()]) / n
    aw_one = aw.sum(axis=1)
    derivs = np.array([
        np.sum(a_mat * aw.T),  # tr(A·AW)
        np.sum(aw * aw.T),  # tr(AW·AW)
        one_aw @ a_one,  # 1'AW·A1
        one_aw @ aw_one,  # 1'AW·AW1
    ]) / n
    return values, derivs


def effects(beta: np.ndarray, theta: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``(k, 3)`` array of direct, indirect, total effects."""
    a, b, c, d = values
    direct = beta * a + theta * b
    total = beta * c + theta * d
    return np.column_stack([direct, total - direct, total])


def effects_jacobian(beta: np.ndarray, theta: np.ndarray, values: np.ndarray,
                     derivs: np.ndarray, durbin: bool) -> np.ndarray:
    """Jacobian of the stacked effects (direct₁..ₖ, indirect₁..ₖ, total₁..ₖ) with respect
    to ``(β₁..ₖ, θ₁..ₖ if durbin, ρ)``."""
    k = beta.size
    a, b, c, d = values
    da, db, dc, dd = derivs
    eye = np.eye(k)
    cols = 2 * k + 1 if durbin else k + 1
    jac = np.zeros((3 * k, cols))
    jac[:k, :k] = a * eye
    jac[2 * k:, :k] = c * eye
    if durbin:
        jac[:k, k:2 * k] = b * eye
        jac[2 * k:, k:2 * k] = d * eye
    jac[:k, -1] = beta * da + theta * db
    jac[2 * k:, -1] = beta * dc + theta * dd
    jac[k:2 * k] = jac[2 * k:] - jac[:k]
    return jac


def simulate_effects(mean: np.ndarray, vcov: np.ndarray, spectrum: Spectrum, k: int,
                     durbin: bool, n_sim: int, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``(n_sim, p)`` parameter draws and ``(n_sim, 3k)`` simulated effects (direct,
    indirect, total blocks)."""
    lo, hi = spectrum.interval
    draws = np.empty((0, mean.size))
    while draws.shape[0] < n_sim:
        new = rng.multivariate_normal(mean, vcov, size=n_sim, method="eigh")
        ok = (new[:, -1] > lo) & (new[:, -1] < hi)
        draws = np.vstack([draws, new[ok]])
    draws = draws[:n_sim]
    beta = draws[:, :k]
    theta = draws[:, k:2 * k] if durbin else np.zeros_like(beta)
    rho = draws[:, -1]
    omega, p, q = spectrum.decomposition
    n = spectrum.n
    inv = 1.0 / (1.0 - rho[:, None] * omega[None, :])  # (n_sim, n)
    pq = p * q
    a = inv.sum(axis=1).real / n
    b = (inv * omega).sum(axis=1).real / n
    c = (inv @ pq).real / n
    d = (inv @ (pq * omega)).real / n
    direct = beta * a[:, None] + theta * b[:, None]
    total = beta * c[:, None] + theta * d[:, None]
    return draws, np.hstack([direct, total - direct, total])
