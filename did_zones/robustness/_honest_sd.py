"""Fixed-length confidence intervals under Δ^SD(M) (Rambachan & Roth 2023, Section 4.1).

The affine estimator ``θ̂ = l_pre'β_pre + l'β_post`` is chosen to minimise the half-length
``h · cv_α(b / h)`` of the interval ``θ̂ ± h·cv_α(b/h)``, where ``h`` is its standard deviation,
``b`` its worst-case bias over Δ^SD(M) = {δ : |δ_{t+1} − 2δ_t + δ_{t−1}| ≤ M, δ_ref = 0} and
``cv_α(t)`` the 1 − α quantile of |N(t, 1)| (Armstrong & Kolesár 2018; Donoho 1994).

Pre-period weights are parametrised as in HonestDiD: ``l_pre = D w`` with ``(D w)_k = w_k −
w_{k−1}``; the bias is finite only when ``Σ w = Σ_s s·l_s`` (unbiased under linear trends), and
then equals ``M (c_l + Σ_k |Σ_{j≤k} w_j|)`` with ``c_l = Σ_{s=1}^{T} |Σ_{r=1}^{s} r·l_{T−s+r}|
− Σ_s s·l_s``. The half-length is jointly convex in (bias, sd) and increasing in both, so one
smooth problem in (U, w) with ``U ≥ |cumsum(w)|`` has a unique optimum; HonestDiD instead
bisects over ``h`` and simulates the folded-normal quantile (10⁶ draws), whence differences in
the last digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from ._honest_rng import r_rnorm

__all__ = ["flci", "folded_normal_quantile", "FLCI"]


@dataclass(frozen=True)
class FLCI:
    """One fixed-length interval: bounds, estimator weights, sd, worst-case bias."""

    conf_low: float
    conf_high: float
    estimate: float
    half_length: float
    std_error: float
    max_bias: float
    weights: np.ndarray  # (l_pre, l_post) applied to (β_pre, β_post)


def folded_normal_quantile(p: float, t: float) -> float:
    """Quantile ``p`` of |N(t, 1)| (solved exactly; HonestDiD simulates it)."""
    t = abs(float(t))

    def f(q: float) -> float:
        return stats.norm.cdf(q - t) - stats.norm.cdf(-q - t) - p

    return float(optimize.brentq(f, 0.0, t + 12.0, xtol=1e-14, rtol=1e-15))


def simulated_folded_normal_quantile(p: float, t: float) -> float:
    """HonestDiD's ``.qfoldednormal``: type-7 quantile of |Z + t| over R's
    ``set.seed(0); rnorm(1e6)``."""
    return float(np.quantile(np.abs(r_rnorm(1_000_000, 0) + t), p))


def _cv_derivative(q: float, t: float) -> float:
    a, b = stats.norm.pdf(q - t), stats.norm.pdf(q + t)
    return float((a - b) / (a + b))


def _matrices(sigma: np.ndarray, K: int, l_vec: np.ndarray):
    """Variance of the estimator as a quadratic in w: w'Aw + a'w + c0."""
    D = np.eye(K) - np.eye(K, k=-1)
    S_pre, S_pp, S_post = sigma[:K, :K], sigma[:K, K:], sigma[K:, K:]
    A = D.T @ S_pre @ D
    a = 2 * D.T @ S_pp @ l_vec
    c0 = float(l_vec @ S_post @ l_vec)
    return D, A, a, c0


def _bias_constant(l_vec: np.ndarray) -> float:
    T = l_vec.size
    s = np.arange(1, T + 1)
    parts = [abs(np.arange(1, k + 1) @ l_vec[T - k:]) for k in range(1, T + 1)]
    return float(sum(parts) - s @ l_vec)


def flci(beta: np.ndarray, sigma: np.ndarray, K: int, l_vec: np.ndarray, M: float,
         alpha: float, simulated: bool = False) -> FLCI:
    """Optimal FLCI for ``l'τ_post`` under Δ^SD(M); ``beta`` is (pre..., post...).

    ``simulated=True`` evaluates the final half-length with HonestDiD's simulated quantile
    (the weights stay the exact optimum)."""
    l_vec = np.asarray(l_vec, dtype=float)
    T = l_vec.size
    D, A, a, c0 = _matrices(sigma, K, l_vec)
    target = float(np.arange(1, T + 1) @ l_vec)
    z = stats.norm.ppf(1 - alpha / 2)

    def var(w: np.ndarray) -> float:
        return float(w @ A @ w + a @ w + c0)

    # minimum-variance w under Σw = target (closed form, KKT): the M = 0 solution
    kkt = np.block([[2 * A, np.ones((K, 1))], [np.ones((1, K)), np.zeros((1, 1))]])
    w_min = np.linalg.lstsq(kkt, np.append(-a, target), rcond=None)[0][:K]
    const = _bias_constant(l_vec)
    if M == 0:
        w = w_min
    else:
        C = np.tril(np.ones((K, K)))
        p = 1 - alpha

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            U, w = x[:K], x[K:]
            h = np.sqrt(max(var(w), 1e-300))
            b = M * (const + U.sum())
            t = b / h
            q = folded_normal_quantile(p, t)
            dq = _cv_derivative(q, t)
            f = h * q
            g_b, g_h = dq, q - t * dq
            grad = np.concatenate([np.full(K, M * g_b), g_h * (2 * A @ w + a) / (2 * h)])
            return f, grad

        cons = [
            {"type": "ineq", "fun": lambda x: x[:K] - C @ x[K:],
             "jac": lambda x: np.hstack([np.eye(K), -C])},
            {"type": "ineq", "fun": lambda x: x[:K] + C @ x[K:],
             "jac": lambda x: np.hstack([np.eye(K), C])},
            {"type": "eq", "fun": lambda x: np.array([x[K:].sum() - target]),
             "jac": lambda x: np.concatenate([np.zeros(K), np.ones(K)])[None, :]},
        ]
        best = None
        # two starts: the minimum-bias estimator (w = (0,…,0,target)) and minimum variance
        for w0 in (np.append(np.zeros(K - 1), target), w_min):
            x0 = np.concatenate([np.abs(C @ w0), w0])
            res = optimize.minimize(objective, x0, jac=True, method="SLSQP", constraints=cons,
                                    options={"ftol": 1e-15, "maxiter": 1000})
            if best is None or res.fun < best.fun:
                best = res
        w = best.x[K:]
    l_pre = D @ w
    sd = float(np.sqrt(var(w)))
    bias = float(M * (const + np.abs(np.tril(np.ones((K, K))) @ w).sum()))
    if simulated:
        half = sd * simulated_folded_normal_quantile(1 - alpha, bias / sd)
    else:
        half = sd * (z if M == 0 else folded_normal_quantile(1 - alpha, bias / sd))
    weights = np.concatenate([l_pre, l_vec])
    est = float(weights @ beta)
    return FLCI(est - half, est + half, est, half, sd, bias, weights)
