"""Two-group, two-period DiD kernels behind :func:`callaway_santanna` (one ATT(g,t) cell).

Each kernel follows the R package ``DRDID`` (Sant'Anna & Zhao 2020), the estimators R ``did``'s
``att_gt`` calls for one cell, line for line in its conventions:

* panel data (balanced): ``drdid_panel`` (doubly robust, logit propensity score, OLS outcome
  regression on the comparison units), ``std_ipw_did_panel`` (normalised / Hajek IPW) and
  ``reg_did_panel`` (outcome regression);
* repeated cross-sections, which R ``did`` uses for unbalanced panels: ``drdid_rc`` (the
  locally efficient DR estimator), ``std_ipw_did_rc`` and ``reg_did_rc``.

Weights are normalised to mean one within the cell; propensity scores are capped at
``1 - 1e-6`` and comparison observations with a score at or above ``trim`` get zero weight.
The influence function returned is DRDID's (``att − θ ≈ mean(inf)`` over the cell's
observations); the caller rescales it by ``n / n_cell`` and places it in the unit rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_PS_CAP = 1 - 1e-6  # DRDID: pmin(ps, 1 - 1e-6), "do not divide by zero"
_OVERLAP = 0.999  # R did: a preliminary logit with a score >= 0.999 flags the cell (NA)
_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class CellFit:
    """One cell's estimate, influence function and what went wrong (if anything)."""

    att: float
    inf: np.ndarray | None
    n_trimmed: int = 0
    problem: str | None = None  # "overlap", "singular", "trimmed", "empty"


def failed(problem: str) -> CellFit:
    return CellFit(np.nan, None, 0, problem)


# ------------------------------------------------------------------------ nuisance fits


def logit(D: np.ndarray, X: np.ndarray, w: np.ndarray | None = None,
          max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, bool]:
    """Weighted logit by Newton-Raphson (= IRLS), to full convergence.

    Returns the fitted probabilities, ``(Xᵀ diag(w p (1−p)) X)⁻¹`` (glm's unscaled vcov)
    and whether Newton converged. Written here rather than via statsmodels because a cell
    fit is a few small matrix products and this avoids per-cell model-object overhead.
    """
    n, k = X.shape
    w = np.ones(n) if w is None else w
    if k == 1 and np.all(X[:, 0] == X[0, 0]):
        # intercept only: the MLE is the weighted share, in closed form
        p = np.full(n, np.sum(w * D) / np.sum(w))
        info = np.array([[np.sum(w * p * (1 - p) * X[:, 0] ** 2)]])
        return p, _inv(info), True
    beta = np.zeros(k)
    mean = np.sum(w * D) / np.sum(w)
    if 0 < mean < 1:
        # start from the intercept-only fit when the first column is the constant
        beta[0] = np.log(mean / (1 - mean)) / X[0, 0] if X[0, 0] != 0 else 0.0
    converged = False
    for _ in range(max_iter):
        eta = X @ beta
        p = _expit(eta)
        grad = X.T @ (w * (D - p))
        info = (X * (w * p * (1 - p))[:, None]).T @ X
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if not np.all(np.isfinite(beta)):
            break
        if np.max(np.abs(step)) <= 1e-11 * (1 + np.max(np.abs(beta))):
            converged = True
            break
    p = _expit(X @ beta)
    info = (X * (w * p * (1 - p))[:, None]).T @ X
    return p, _inv(info), converged


def _expit(eta: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * eta))  # stable for large |eta|


def _inv(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


def singular(X: np.ndarray, w: np.ndarray | None = None) -> bool:
    """R ``did``'s check: ``rcond(XᵀX) < eps`` on the regression sample."""
    if X.shape[0] == 0:
        return True
    xtx = X.T @ (X if w is None else X * w[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.linalg.cond(xtx, 1)
    return not np.isfinite(cond) or 1 / cond < _EPS


def overlap_violated(D: np.ndarray, X: np.ndarray) -> bool:
    """R ``did``'s preliminary, unweighted logit: any score ``>= 0.999`` flags the cell."""
    p, _, _ = logit(D, X)
    return bool(np.max(p) >= _OVERLAP)


def _wls(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    xw = X * w[:, None]
    return np.linalg.solve(xw.T @ X, xw.T @ y)


# ---------------------------------------------------------------------------- panel


@dataclass(frozen=True)
class PanelDesign:
    """What a panel cell needs besides the outcome change, shared by cells with the same
    treated group, comparison group and covariate period (e.g. all post cells of a cohort)."""

    D: np.ndarray          # 1 treated, 0 comparison
    X: np.ndarray          # with intercept
    w: np.ndarray          # normalised to mean 1
    ps: np.ndarray | None  # capped propensity score
    keep: np.ndarray | None  # trimming mask (True = kept)
    alr_ps: np.ndarray | None  # asymptotic linear representation of the logit coefficients
    xpx_inv: np.ndarray | None  # (Σ w (1−D) x xᵀ / n)⁻¹
    problem: str | None = None


def panel_design(method: str, D: np.ndarray, X: np.ndarray, w: np.ndarray, trim: float,
                 raw_w: bool) -> PanelDesign:
    """Fit the nuisance models of one cell (propensity score and / or the OLS design)."""
    n = D.size
    w = w / w.mean()
    ps = keep = alr_ps = xpx_inv = None
    if method in ("dr", "ipw"):
        # R did's pre-check runs an unweighted logit; with weights that is a second fit
        if raw_w and overlap_violated(D, X):
            return PanelDesign(D, X, w, None, None, None, None, "overlap")
        p, hinv, _ = logit(D, X, w)
        if not raw_w and np.max(p) >= _OVERLAP:
            return PanelDesign(D, X, w, None, None, None, None, "overlap")
        ps = np.minimum(p, _PS_CAP)
        keep = np.ones(n, dtype=bool)
        keep[D == 0] = ps[D == 0] < trim
        alr_ps = (w * (D - ps))[:, None] * X @ (hinv * n)
    if method in ("dr", "reg"):
        c = D == 0
        if singular(X[c]):
            return PanelDesign(D, X, w, None, None, None, None, "singular")
        w0 = w * (1 - D)
        xpx_inv = _inv((X * w0[:, None]).T @ X / n)
    return PanelDesign(D, X, w, ps, keep, alr_ps, xpx_inv)


def panel_cell(method: str, des: PanelDesign, dy: np.ndarray) -> CellFit:
    """ATT and influence function of one panel cell (DRDID's panel estimators)."""
    if des.problem:
        return failed(des.problem)
    if method == "reg":
        return _reg_panel(des, dy)
    n_trim = int(np.sum(~des.keep))
    fit = _dr_panel(des, dy) if method == "dr" else _ipw_panel(des, dy)
    return CellFit(fit.att, fit.inf, n_trim, fit.problem)


def _ols_part(des: PanelDesign, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w0 = des.w * (1 - des.D)
    beta = des.xpx_inv @ ((des.X * w0[:, None]).T @ dy) / des.D.size
    fitted = des.X @ beta
    alr = (w0 * (dy - fitted))[:, None] * des.X @ des.xpx_inv
    return fitted, alr


def _dr_panel(des: PanelDesign, dy: np.ndarray) -> CellFit:
    D, X, w, ps = des.D, des.X, des.w, des.ps
    fitted, alr_ols = _ols_part(des, dy)
    w_t = des.keep * w * D
    w_c = des.keep * w * ps * (1 - D) / (1 - ps)
    if w_c.sum() <= 0:
        return failed("trimmed")
    m_t, m_c = w_t.mean(), w_c.mean()
    resid = dy - fitted
    eta_t = np.mean(w_t * resid) / m_t
    eta_c = np.mean(w_c * resid) / m_c
    inf_t = (w_t * (resid - eta_t) - alr_ols @ np.mean(w_t[:, None] * X, axis=0)) / m_t
    m2 = np.mean((w_c * (resid - eta_c))[:, None] * X, axis=0)
    m3 = np.mean(w_c[:, None] * X, axis=0)
    inf_c = (w_c * (resid - eta_c) + des.alr_ps @ m2 - alr_ols @ m3) / m_c
    return CellFit(float(eta_t - eta_c), inf_t - inf_c)


def _ipw_panel(des: PanelDesign, dy: np.ndarray) -> CellFit:
    D, X, w, ps = des.D, des.X, des.w, des.ps
    w_t = des.keep * w * D
    w_c = des.keep * w * ps * (1 - D) / (1 - ps)
    if w_c.sum() <= 0:
        return failed("trimmed")
    m_t, m_c = w_t.mean(), w_c.mean()
    att_t = np.mean(w_t * dy) / m_t
    att_c = np.mean(w_c * dy) / m_c
    inf_t = w_t * (dy - att_t) / m_t
    m2 = np.mean((w_c * (dy - att_c))[:, None] * X, axis=0)
    inf_c = (w_c * (dy - att_c) + des.alr_ps @ m2) / m_c
    return CellFit(float(att_t - att_c), inf_t - inf_c)


def _reg_panel(des: PanelDesign, dy: np.ndarray) -> CellFit:
    D, X, w = des.D, des.X, des.w
    fitted, alr_ols = _ols_part(des, dy)
    w_t = w * D
    m_t = w_t.mean()
    eta_t = np.mean(w_t * dy) / m_t
    eta_c = np.mean(w_t * fitted) / m_t
    inf_t = w_t * (dy - eta_t) / m_t
    inf_c = (w_t * (fitted - eta_c) + alr_ols @ np.mean(w_t[:, None] * X, axis=0)) / m_t
    return CellFit(float(eta_t - eta_c), inf_t - inf_c)


# ----------------------------------------------------------- repeated cross-sections


def rc_cell(method: str, y: np.ndarray, post: np.ndarray, D: np.ndarray, X: np.ndarray,
            w: np.ndarray, trim: float, raw_w: bool) -> CellFit:
    """ATT and per-observation influence function of one cell from repeated cross-sections
    (DRDID's ``drdid_rc`` / ``std_ipw_did_rc`` / ``reg_did_rc``)."""
    n = D.size
    t1, t0 = post == 1, post == 0
    if not ((D == 1) & t1).any() or not ((D == 1) & t0).any() \
            or not ((D == 0) & t1).any() or not ((D == 0) & t0).any():
        return failed("empty")
    w = w / w.mean()
    ps = keep = None
    if method in ("dr", "ipw"):
        if raw_w and overlap_violated(D, X):
            return failed("overlap")
        p, hinv, _ = logit(D, X, w)
        if not raw_w and np.max(p) >= _OVERLAP:
            return failed("overlap")
        ps = np.minimum(p, _PS_CAP)
        keep = np.ones(n, dtype=bool)
        keep[D == 0] = ps[D == 0] < trim
        alr_ps = (w * (D - ps))[:, None] * X @ (hinv * n)
    groups = [(D == 0) & t0, (D == 0) & t1] + ([(D == 1) & t0, (D == 1) & t1]
                                                if method == "dr" else [])
    if method in ("dr", "reg") and any(singular(X[s]) for s in groups):
        return failed("singular")
    ols = [_ols_rc(y, X, w, s) for s in groups] if method != "ipw" else []
    if method == "reg":
        return _reg_rc(y, post, D, X, w, ols)
    n_trim = int(np.sum(~keep))
    if not (keep & (D == 0)).any():
        return failed("trimmed")
    if method == "ipw":
        fit = _ipw_rc(y, post, D, X, w, ps, keep, alr_ps)
    else:
        fit = _dr_rc(y, post, D, X, w, ps, keep, alr_ps, ols)
    return CellFit(fit.att, fit.inf, n_trim, fit.problem)


def _ols_rc(y, X, w, subset):
    """OLS on ``subset``; fitted values for every row and the asymptotic linear
    representation of the coefficients (rows outside the subset are zero)."""
    n = y.size
    ws = w * subset
    beta = _wls(y[subset], X[subset], w[subset])
    fitted = X @ beta
    xpx = (X * ws[:, None]).T @ X / n
    alr = (ws * (y - fitted))[:, None] * X @ _inv(xpx)
    return fitted, alr


def _cmean(a: np.ndarray, X: np.ndarray) -> np.ndarray:
    return np.mean(a[:, None] * X, axis=0)


def _reg_rc(y, post, D, X, w, ols) -> CellFit:
    (f_pre, alr_pre), (f_post, alr_post) = ols
    w_tpre = w * D * (1 - post)
    w_tpost = w * D * post
    w_c = w * D
    eta_tpre = np.mean(w_tpre * y) / w_tpre.mean()
    eta_tpost = np.mean(w_tpost * y) / w_tpost.mean()
    eta_c = np.mean(w_c * (f_post - f_pre)) / w_c.mean()
    att = (eta_tpost - eta_tpre) - eta_c
    inf_t = w_tpost * (y - eta_tpost) / w_tpost.mean() - w_tpre * (y - eta_tpre) / w_tpre.mean()
    m = _cmean(w_c, X)
    inf_c = (w_c * (f_post - f_pre - eta_c) + alr_post @ m - alr_pre @ m) / w_c.mean()
    return CellFit(float(att), inf_t - inf_c)


def _ipw_rc(y, post, D, X, w, ps, keep, alr_ps) -> CellFit:
    odds = ps / (1 - ps)
    w_tpre = keep * w * D * (1 - post)
    w_tpost = keep * w * D * post
    w_cpre = keep * w * odds * (1 - D) * (1 - post)
    w_cpost = keep * w * odds * (1 - D) * post
    if w_cpre.sum() <= 0 or w_cpost.sum() <= 0:
        return failed("trimmed")
    a = {}
    for name, ww in (("tpre", w_tpre), ("tpost", w_tpost), ("cpre", w_cpre), ("cpost", w_cpost)):
        a[name] = np.mean(ww * y) / ww.mean()
    att = (a["tpost"] - a["tpre"]) - (a["cpost"] - a["cpre"])
    inf_t = w_tpost * (y - a["tpost"]) / w_tpost.mean() - w_tpre * (y - a["tpre"]) / w_tpre.mean()
    inf_c = w_cpost * (y - a["cpost"]) / w_cpost.mean() - w_cpre * (y - a["cpre"]) / w_cpre.mean()
    m2_pre = _cmean(w_cpre * (y - a["cpre"]), X) / w_cpre.mean()
    m2_post = _cmean(w_cpost * (y - a["cpost"]), X) / w_cpost.mean()
    inf_c = inf_c + alr_ps @ (m2_post - m2_pre)
    return CellFit(float(att), inf_t - inf_c)


def _dr_rc(y, post, D, X, w, ps, keep, alr_ps, ols) -> CellFit:
    (fc_pre, alr_c_pre), (fc_post, alr_c_post), (ft_pre, alr_t_pre), (ft_post, alr_t_post) = ols
    fc = post * fc_post + (1 - post) * fc_pre
    odds = ps / (1 - ps)
    w_tpre = keep * w * D * (1 - post)
    w_tpost = keep * w * D * post
    w_cpre = keep * w * odds * (1 - D) * (1 - post)
    w_cpost = keep * w * odds * (1 - D) * post
    if w_cpre.sum() <= 0 or w_cpost.sum() <= 0:
        return failed("trimmed")
    w_d = keep * w * D
    w_dt1 = w_tpost
    w_dt0 = w_tpre
    r = y - fc
    eta_tpre = w_tpre * r / w_tpre.mean()
    eta_tpost = w_tpost * r / w_tpost.mean()
    eta_cpre = w_cpre * r / w_cpre.mean()
    eta_cpost = w_cpost * r / w_cpost.mean()
    eta_d_post = w_d * (ft_post - fc_post) / w_d.mean()
    eta_dt1_post = w_dt1 * (ft_post - fc_post) / w_dt1.mean()
    eta_d_pre = w_d * (ft_pre - fc_pre) / w_d.mean()
    eta_dt0_pre = w_dt0 * (ft_pre - fc_pre) / w_dt0.mean()
    att_tpre, att_tpost = eta_tpre.mean(), eta_tpost.mean()
    att_cpre, att_cpost = eta_cpre.mean(), eta_cpost.mean()
    att_d_post, att_dt1_post = eta_d_post.mean(), eta_dt1_post.mean()
    att_d_pre, att_dt0_pre = eta_d_pre.mean(), eta_dt0_pre.mean()
    att = ((att_tpost - att_tpre) - (att_cpost - att_cpre)
           + (att_d_post - att_dt1_post) - (att_d_pre - att_dt0_pre))

    # treated component
    inf_tpre = eta_tpre - w_tpre * att_tpre / w_tpre.mean()
    inf_tpost = eta_tpost - w_tpost * att_tpost / w_tpost.mean()
    m1_post = -_cmean(w_tpost * post, X) / w_tpost.mean()
    m1_pre = -_cmean(w_tpre * (1 - post), X) / w_tpre.mean()
    # DRDID adds the two outcome-regression terms (inf.treat.or.post + inf.treat.or.pre) and
    # does the same for the comparison component below; reproduced as R did computes it.
    inf_t = inf_tpost - inf_tpre + alr_c_post @ m1_post + alr_c_pre @ m1_pre
    # comparison component
    inf_cpre = eta_cpre - w_cpre * att_cpre / w_cpre.mean()
    inf_cpost = eta_cpost - w_cpost * att_cpost / w_cpost.mean()
    m2_pre = _cmean(w_cpre * (r - att_cpre), X) / w_cpre.mean()
    m2_post = _cmean(w_cpost * (r - att_cpost), X) / w_cpost.mean()
    m3_post = -_cmean(w_cpost * post, X) / w_cpost.mean()
    m3_pre = -_cmean(w_cpre * (1 - post), X) / w_cpre.mean()
    inf_c = (inf_cpost - inf_cpre + alr_ps @ (m2_post - m2_pre)
             + alr_c_post @ m3_post + alr_c_pre @ m3_pre)
    # local-efficiency adjustment terms
    inf_eff = ((eta_d_post - w_d * att_d_post / w_d.mean())
               - (eta_dt1_post - w_dt1 * att_dt1_post / w_dt1.mean())
               - (eta_d_pre - w_d * att_d_pre / w_d.mean())
               + (eta_dt0_pre - w_dt0 * att_dt0_pre / w_dt0.mean()))
    mom_post = _cmean(w_d / w_d.mean() - w_dt1 / w_dt1.mean(), X)
    mom_pre = _cmean(w_d / w_d.mean() - w_dt0 / w_dt0.mean(), X)
    inf_or = (alr_t_post - alr_c_post) @ mom_post - (alr_t_pre - alr_c_pre) @ mom_pre
    return CellFit(float(att), inf_t - inf_c + inf_eff + inf_or)
