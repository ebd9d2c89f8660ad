"""Joint (Wald) wild cluster bootstrap tests of ``β_1 = r`` for several coefficients.

The one-coefficient algorithm of :mod:`.wild_bootstrap` with ``q`` tested columns ``X̃_1``
(net of the fixed effects and the other regressors ``Z``): a draw's deviation is
``δ* = D⁻¹ Σ_g v_g a_g`` (``D = X̃_1'WX̃_1``, ``a_g = Σ_{i∈g} w_i x̃_i u_i``), its scores in
cell ``h`` are ``s*_h = Σ_g C_hg v_g − d_h δ*`` (``C_hg`` a q-vector, ``d_h = Σ_{i∈h} w x̃ x̃'``),
and its Wald statistic ``δ*' V*⁻¹ δ*`` with ``V* = c D⁻¹ (Σ_P ± Σ_p s*_p s*_p') D⁻¹``. The
statistic reported is ``W / q`` (an F statistic, as Stata ``test`` and ``boottest``); the
p-value is the share of draws with ``W* >= W`` (ties counted, as the one-coefficient test).
No interval is computed (the confidence set of several coefficients is not an interval).
"""

from __future__ import annotations

import numpy as np

from ..inference import small_sample_factor
from ._wild_core import (
    TIE_RTOL,
    _fast_C,
    _general_C,
    _indicator,
    _partitions,
    draw_blocks,
    fast_path_applies,
    quadratic_forms,
)


def wald_draws(fit, cols: list[int], clusters, boot, impose_null: bool,
               null: np.ndarray, kind: str, n_boot: int, enumerate_: bool, seq,
               n_params: int) -> tuple[float, float, float, int]:
    """``(F, p, p_strict, draws used)`` of the joint test ``β[cols] = null``."""
    d_ = fit.design
    n = d_.n_obs
    w = np.ones(n) if d_.weights is None else d_.weights
    cells, boot_of_cell, parts = _partitions(clusters, boot)
    cl = boot_of_cell[cells]
    G = int(cl.max()) + 1
    H = _indicator(cells)
    Hb = _indicator(cl, G)
    Xw = fit.X_within
    others = [k for k in range(Xw.shape[1]) if k not in cols]
    Z = Xw[:, others]
    if Z.shape[1]:
        ZtW = (Z * w[:, None]).T
        Zproj = np.linalg.solve(ZtW @ Z, ZtW)

        def m_z(V):
            return V - Z @ (Zproj @ V)
    else:
        def m_z(V):
            return V
    X1 = m_z(Xw[:, cols])                                   # (n, q)
    q = X1.shape[1]
    WX = X1 * w[:, None]
    D = WX.T @ X1
    Dinv = np.linalg.inv(D)
    beta = fit.coef[cols]
    u = m_z(fit.y_within) - X1 @ null if impose_null else fit.resid
    A = np.asarray(Hb @ (WX * u[:, None]))                  # (G, q)
    zeros = np.zeros(n)
    C = np.empty((H.shape[0], G, q))                         # (F, G, q)
    for k in range(q):
        Ck = None
        if fast_path_applies(clusters, boot):
            Ck = _fast_C(d_.fe_codes, w, cl, G, X1[:, k], u, zeros, Z)
        if Ck is None:
            Ck = _general_C(d_.fe_codes, d_.weights, H, cl, G, WX[:, k], u, zeros, m_z)
        C[:, :, k] = Ck[:, :G]
    d = _cell_gram(H, WX, X1)                                # (F, q, q)
    g_min = min(int(c.max()) + 1 for c in clusters)
    factor = small_sample_factor(n, n_params, g_min)

    def wald(delta: np.ndarray, S: np.ndarray) -> np.ndarray:
        """Per draw ``δ' V⁻¹ δ`` from deviations (b, q) and cell scores (b, F, q)."""
        meat = np.zeros((delta.shape[0], q, q))
        for sign, P in parts:
            SP = np.stack([(P @ S[:, :, k].T).T for k in range(q)], axis=2)  # (b, p, q)
            meat += sign * np.einsum("bpk,bpl->bkl", SP, SP)
        V = factor * Dinv @ meat @ Dinv
        return quadratic_forms(V, delta)

    s_obs = np.asarray(H @ (WX * fit.resid[:, None]))
    W = float(wald((beta - null)[None, :], s_obs[None])[0])
    # δ* is the deviation from the null (WCR) or from β̂ (WCU): the same formula
    Wb = []
    for _lo, _hi, V in draw_blocks(kind, n_boot, enumerate_, seq, G):
        delta = V @ A @ Dinv                                 # (b, q)
        S = np.einsum("bg,hgk->bhk", V, C) - np.einsum("hkl,bl->bhk", d, delta)
        Wb.append(wald(delta, S))
    Wb = np.concatenate(Wb)
    p = float(np.mean(Wb >= W * (1 - TIE_RTOL)))
    p_strict = float(np.mean(Wb > W * (1 + TIE_RTOL)))
    return W / q, p, p_strict, int(Wb.size)


def _cell_gram(H, WX: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Per cell ``Σ_{i∈h} w x̃_i x̃_i'`` (F, q, q)."""
    q = X.shape[1]
    outer = (WX[:, :, None] * X[:, None, :]).reshape(X.shape[0], q * q)
    return np.asarray(H @ outer).reshape(-1, q, q)
