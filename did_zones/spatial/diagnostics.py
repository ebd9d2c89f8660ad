"""Spatial diagnostics of panel residuals: Moran's I and the (robust) LM tests for a
spatial lag or a spatial error in the fixed-effects model (numerics only).

Moran's I (Cliff & Ord 1981) of residuals ``e`` per period, ``I_t = n/S₀ · e_t'We_t /
e_t'e_t``, and pooled over periods with ``I_T ⊗ W``; p-values from the normal
approximation under normality (``E I = −1/(N − 1)``, Cliff–Ord variance with ``S₀``,
``S₁``, ``S₂``; R ``spdep::moran.test(randomisation = FALSE)``), two-sided.

LM tests on the non-spatial fixed-effects (within) OLS model, in the panel form of Anselin
(1988), Anselin, Le Gallo & Jayet (2008) and Elhorst (2014, sec. 3.5; his
``LMsarsem_panel``): with ``e`` the within residuals, ``σ² = e'e/N``, ``T_W =
tr(WW + W'W)`` and ``J = [(WX̃β̂)'M(WX̃β̂) + T·T_W·σ²]/σ²`` (``M`` annihilates
``X̃`` and the fixed effects)::

    LM_lag  = (e'(I⊗W)ỹ/σ²)² / J
    LM_err  = (e'(I⊗W)e/σ²)² / (T·T_W)
    RLM_lag = (e'Wỹ/σ² − e'We/σ²)² / (J − T·T_W)
    RLM_err = (e'We/σ² − T·T_W/J · e'Wỹ/σ²)² / (T·T_W·(1 − T·T_W/J))

each χ²(1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..result import HypothesisTest
from .spectrum import Spectrum

__all__ = ["moran_residuals", "lm_tests"]


def _moments(n: int, s0: float, s1: float, s2: float) -> tuple[float, float]:
    mean = -1.0 / (n - 1)
    var = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - mean * mean
    return mean, var


def moran_residuals(resid: np.ndarray, spectrum: Spectrum, periods) -> pd.DataFrame:
    """Moran's I of ``resid`` (``(T, n)``) per period and pooled (last row, ``"pooled"``).

    Columns: ``period, moran_i, expected, variance, statistic, p_value``.
    """
    w = spectrum.sparse
    t, n = resid.shape
    s0 = float(w.sum())
    sym = w + w.T
    s1 = 0.5 * float(sym.multiply(sym).sum())
    s2 = float(((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel())
                ** 2).sum())
    e = resid - resid.mean(axis=1, keepdims=True)
    we = spectrum.lag(e)
    num = (e * we).sum(axis=1)
    den = (e * e).sum(axis=1)
    i_t = n / s0 * num / den
    mean_t, var_t = _moments(n, s0, s1, s2)
    pooled = (t * n) / (t * s0) * num.sum() / den.sum()
    mean_p, var_p = _moments(t * n, t * s0, t * s1, t * s2)
    i_all = np.append(i_t, pooled)
    means = np.append(np.full(t, mean_t), mean_p)
    variances = np.append(np.full(t, var_t), var_p)
    z = (i_all - means) / np.sqrt(variances)
    return pd.DataFrame({
        "period": [*list(periods), "pooled"], "moran_i": i_all, "expected": means,
        "variance": variances, "statistic": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
    })


def lm_tests(y: np.ndarray, x: np.ndarray, wy: np.ndarray, spectrum: Spectrum,
             demean) -> dict[str, HypothesisTest]:
    """The four LM tests on the within OLS of ``y`` (``(T, n)``) on ``x`` (``(T·n, k)``);
    ``wy`` is the spatial lag of the demeaned outcome (``(T, n)``), ``demean`` the within
    transformation of ``(T, n)`` arrays (the fixed effects are part of ``M``)."""
    t, n = y.shape
    yv, wyv = y.reshape(-1), wy.reshape(-1)
    beta, *_ = np.linalg.lstsq(x, yv, rcond=None)
    e = yv - x @ beta
    nobs = yv.size
    sigma2 = float(e @ e) / nobs
    we = spectrum.lag(e.reshape(t, n)).reshape(-1)
    w = spectrum.sparse
    t_w = float((w @ w).diagonal().sum() + w.multiply(w).sum())
    wxb = demean(spectrum.lag((x @ beta).reshape(t, n))).reshape(-1)
    coef, *_ = np.linalg.lstsq(x, wxb, rcond=None)
    m_wxb = wxb - x @ coef
    j = (wxb @ m_wxb + t * t_w * sigma2) / sigma2
    lag = float(e @ wyv) / sigma2
    err = float(e @ we) / sigma2
    tt = t * t_w
    values = {
        "lm_lag": lag * lag / j,
        "lm_error": err * err / tt,
        "robust_lm_lag": (lag - err) ** 2 / (j - tt),
        "robust_lm_error": (err - tt / j * lag) ** 2 / (tt * (1 - tt / j)),
    }
    names = {"lm_lag": "LM spatial lag", "lm_error": "LM spatial error",
             "robust_lm_lag": "robust LM spatial lag",
             "robust_lm_error": "robust LM spatial error"}
    return {key: HypothesisTest(name=names[key], statistic=float(v),
                                p_value=float(stats.chi2.sf(v, 1)), df=1.0,
                                distribution="chi2")
            for key, v in values.items()}
