"""Quasi-maximum likelihood of the fixed-effects spatial panel models (numerics only).

Arrays are period-major: ``y`` is ``(T, n)``, ``X`` is ``(T, n, k)``; ``W`` acts on the
unit axis. The fixed effects are removed by the within transformation (the "direct
approach" of Lee & Yu 2010, as Elhorst 2003/2014 and R ``splm::spml``): the spatial lag is
formed first, then demeaned like every other variable.

The concentrated log-likelihoods (``σ²`` and ``β`` profiled out; ``N = nT``):

* lag (SAR, SDM): ``ℓ(ρ) = −N/2·log SSE(ρ) + T·log|I − ρW|`` with
  ``SSE(ρ) = e₀'e₀ − 2ρe₀'e₁ + ρ²e₁'e₁`` (``e₀``, ``e₁`` the OLS residuals of ``ỹ`` and
  ``(Wy)~`` on ``X̃``: Anselin 1988);
* error (SEM): ``ℓ(λ) = −N/2·log SSE(λ) + T·log|I − λW|`` with ``SSE(λ)`` from the OLS of
  ``ỹ − λ(Wy)~`` on ``X̃ − λ(WX)~``.

With ``bias_correction`` the likelihood is Lee & Yu's (2010) transformation approach: the
same sums of squares (the orthonormal transformations ``F_{T,T−1}``, ``F_{n,n−1}`` preserve
them), ``N = (n − 1)(T − 1)`` observations (``n − 1`` only with period effects, ``T − 1``
only with unit effects) and ``log|I − ρW| − log(1 − ρ)`` with period effects
(:class:`Counts`).

Both are maximised over the admissible interval ``(1/ω_min, 1/ω_max)`` with
:func:`scipy.optimize.minimize_scalar` (bounded Brent, ``xatol`` 1e-10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from ..errors import EstimationError
from .spectrum import Spectrum

__all__ = ["within", "Counts", "LagFit", "fit_lag", "fit_error", "information_lag",
           "information_error", "bias_correct"]

_EDGE = 1e-7  # distance kept from the ends of the admissible interval


def within(a: np.ndarray, unit: bool, time: bool) -> np.ndarray:
    """Demean ``a`` (``(T, n, ...)``) over periods (unit effects) and/or over units
    (period effects); both: ``a − ā_i − ā_t + ā``."""
    out = a
    if unit:
        out = out - out.mean(axis=0, keepdims=True)
    if time:
        out = out - out.mean(axis=1, keepdims=True)
    return out


@dataclass(frozen=True)
class LagFit:
    """A fitted spatial panel model (direct approach, before any bias correction)."""

    rho: float  # the spatial parameter (ρ of the lag model, λ of the error model)
    beta: np.ndarray
    sigma2: float
    residuals: np.ndarray  # (T, n)
    log_likelihood: float
    at_bound: bool


def _ols(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return coef


def _maximise(objective, spectrum: Spectrum, what: str) -> tuple[float, bool]:
    lo, hi = spectrum.interval
    lo = max(lo, -1e3) + _EDGE
    hi = min(hi, 1e3) - _EDGE
    res = minimize_scalar(lambda r: -objective(r), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-10, "maxiter": 500})
    if not np.isfinite(res.fun):
        raise EstimationError(f"The likelihood of the {what} model is not finite on the "
                              f"admissible interval ({lo:.4g}, {hi:.4g}).")
    at_bound = min(res.x - lo, hi - res.x) < 1e-5 * (hi - lo)
    return float(res.x), bool(at_bound)


@dataclass(frozen=True)
class Counts:
    """What the likelihood counts: ``t``/``n`` periods and units (``T``, ``n`` in the
    direct approach; ``T − 1`` / ``n − 1`` in Lee & Yu's transformation approach), and
    whether ``log(1 − ρ)`` is taken off the log-determinant (the period effects'
    transformation ``F_n``: ``|I − ρW*| = |I − ρW|/(1 − ρ)`` for row-standardised ``W``)."""

    t: float
    n: float
    drop_one: bool = False

    def jacobian(self, spectrum: Spectrum, r: float) -> float:
        ld = spectrum.log_det(r) - (np.log1p(-r) if self.drop_one else 0.0)
        return self.t * ld


def fit_lag(y: np.ndarray, wy: np.ndarray, x: np.ndarray, spectrum: Spectrum,
            counts: Counts) -> LagFit:
    """ML of ``ỹ = ρ(Wy)~ + X̃β + ε`` (demeaned inputs; ``x`` is ``(T·n, k)``)."""
    yv, wyv = y.reshape(-1), wy.reshape(-1)
    b0, b1 = _ols(x, yv), _ols(x, wyv)
    e0, e1 = yv - x @ b0, wyv - x @ b1
    s00, s01, s11 = e0 @ e0, e0 @ e1, e1 @ e1
    m = counts.t * counts.n

    def loglik(r: float) -> float:
        return (-m / 2 * np.log(s00 - 2 * r * s01 + r * r * s11)
                + counts.jacobian(spectrum, r))

    rho, at_bound = _maximise(loglik, spectrum, "spatial lag")
    beta = b0 - rho * b1
    resid = yv - rho * wyv - x @ beta
    return _finish(rho, beta, resid, y.shape[0], spectrum, at_bound, counts)


def fit_error(y: np.ndarray, wy: np.ndarray, x: np.ndarray, wx: np.ndarray,
              spectrum: Spectrum, counts: Counts) -> LagFit:
    """ML of ``ỹ = X̃β + u``, ``u = λWu + ε`` (demeaned inputs, ``x``/``wx`` ``(T·n, k)``)."""
    yv, wyv = y.reshape(-1), wy.reshape(-1)
    m = counts.t * counts.n

    def sse(lam: float) -> tuple[float, np.ndarray, np.ndarray]:
        ys, xs = yv - lam * wyv, x - lam * wx
        b = _ols(xs, ys)
        e = ys - xs @ b
        return float(e @ e), b, e

    def loglik(lam: float) -> float:
        return -m / 2 * np.log(sse(lam)[0]) + counts.jacobian(spectrum, lam)

    lam, at_bound = _maximise(loglik, spectrum, "spatial error")
    _, beta, resid = sse(lam)
    return _finish(lam, beta, resid, y.shape[0], spectrum, at_bound, counts)


def _finish(rho, beta, resid, t, spectrum, at_bound, counts: Counts) -> LagFit:
    m = counts.t * counts.n
    sigma2 = float(resid @ resid) / m
    ll = -m / 2 * np.log(2 * np.pi * sigma2) - m / 2 + counts.jacobian(spectrum, rho)
    return LagFit(rho=rho, beta=beta, sigma2=sigma2, residuals=resid.reshape(t, -1),
                  log_likelihood=float(ll), at_bound=at_bound)


def _traces(spectrum: Spectrum, rho: float) -> tuple[np.ndarray, float, float, float]:
    """``G = W(I − ρW)⁻¹`` and ``tr G``, ``tr GG``, ``tr G'G``."""
    g = np.asarray(spectrum.sparse @ spectrum.inverse(rho))
    return g, float(np.trace(g)), float(np.sum(g * g.T)), float(np.sum(g * g))


def information_lag(x: np.ndarray, beta: np.ndarray, rho: float, sigma2: float,
                    spectrum: Spectrum, t_eff: float, n_eff: float) -> np.ndarray:
    """Information matrix of ``(β, ρ, σ²)`` of the lag model (Elhorst 2014 eq. 3.x, as
    ``splm``): ``t_eff``/``n_eff`` are the periods and units that count (``T``, ``n``
    without bias correction; ``T − 1`` / ``n − 1`` with it, as ``splm``'s ``LeeYu``)."""
    n = spectrum.n
    g, tr_g, tr_gg, tr_gtg = _traces(spectrum, rho)
    xb = (x @ beta).reshape(-1, n)
    gxb = (xb @ g.T).reshape(-1)
    k = x.shape[1]
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = x.T @ x / sigma2
    info[:k, k] = info[k, :k] = x.T @ gxb / sigma2
    info[k, k] = t_eff * (tr_gg + tr_gtg) + gxb @ gxb / sigma2
    info[k, k + 1] = info[k + 1, k] = t_eff * tr_g / sigma2
    info[k + 1, k + 1] = n_eff * t_eff / (2 * sigma2 ** 2)
    return info


def information_error(xs: np.ndarray, rho: float, sigma2: float, spectrum: Spectrum,
                      t_eff: float, n_eff: float) -> np.ndarray:
    """Information matrix of ``(β, λ, σ²)`` of the error model; ``xs = X̃ − λ(WX)~``."""
    _, tr_g, tr_gg, tr_gtg = _traces(spectrum, rho)
    k = xs.shape[1]
    info = np.zeros((k + 2, k + 2))
    info[:k, :k] = xs.T @ xs / sigma2
    info[k, k] = t_eff * (tr_gg + tr_gtg)
    info[k, k + 1] = info[k + 1, k] = t_eff * tr_g / sigma2
    info[k + 1, k + 1] = n_eff * t_eff / (2 * sigma2 ** 2)
    return info


def bias_correct(theta: np.ndarray, info: np.ndarray, spectrum: Spectrum, n: int, t: int,
                 unit: bool, time: bool) -> np.ndarray:
    """Lee & Yu (2010) bias correction of ``θ = (β, ρ, σ²)`` from the direct approach.

    Used when the transformation approach is not exact: period effects with a ``W`` that
    is not row-standardised.

    Unit effects bias only ``σ²`` (by ``−σ²/T``): ``σ²`` is scaled by ``T/(T − 1)``
    (Elhorst 2014, sec. 3.4; the ``ρ`` and ``β`` that maximise the transformed likelihood
    are those of the direct approach). Period effects bias all of ``θ`` by ``−B/n`` with
    ``B = Σ⁻¹a``, ``Σ = I(θ)/(nT)`` the information per observation and
    ``a = (0', 1'G1/n, 1/(2σ²))'`` (``1'G1/n = 1/(1 − ρ)`` for row-standardised ``W``):
    ``θ ← θ + Σ⁻¹a/n = θ + T·I(θ)⁻¹a``.
    """
    out = np.array(theta, dtype=float)
    k = out.size - 2
    if time:
        g = np.asarray(spectrum.sparse @ spectrum.inverse(out[k]))
        a = np.zeros(out.size)
        a[k] = g.sum() / n
        a[k + 1] = 1.0 / (2 * out[k + 1])
        out = out + t * np.linalg.solve(info, a)
    if unit:
        out[k + 1] *= t / (t - 1)
    return out
