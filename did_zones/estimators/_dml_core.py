"""Numerical core of :func:`did_zones.dml_did`: learners, sample splits, cross-fitting and
the orthogonal scores of one 2×2 comparison (Chang 2020; Sant'Anna & Zhao 2020, as DoubleML's
``DoubleMLDID`` / ``DoubleMLDIDCS``).

Conventions follow DoubleML 0.11 so that, with the same sample splits and deterministic
learners, the estimates and standard errors coincide with its ``DoubleMLDID``,
``DoubleMLDIDCS`` and ``DoubleMLDIDMulti``: the linear score ``ψ = ψ_a θ + ψ_b`` solved as
``θ = −mean(ψ_b) / mean(ψ_a)``; the variance ``mean(ψ²) / J² / n`` with ``J = mean(ψ_a)``;
propensities clipped to ``[c, 1 − c]``; splits stratified on the treatment indicator (and on
the period for repeated cross-sections); repetitions combined by the median.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import EstimationError, SpecificationError

LEARNERS = ("lasso", "random_forest", "gradient_boosting", "linear")


def _logistic_cv_kwargs() -> dict[str, Any]:
    """L1-penalised LogisticRegressionCV settings valid across scikit-learn versions (1.8
    renamed ``penalty`` to ``l1_ratios`` and warns on its defaults)."""
    from sklearn.linear_model import LogisticRegressionCV

    params = inspect.signature(LogisticRegressionCV).parameters
    kw: dict[str, Any] = {"Cs": 10, "cv": 5, "solver": "liblinear", "max_iter": 1000,
                          "scoring": "neg_log_loss"}
    if "use_legacy_attributes" in params:  # scikit-learn >= 1.8
        kw.update(l1_ratios=(1.0,), use_legacy_attributes=False)
    else:
        kw["penalty"] = "l1"
    return kw


def default_learners(name: str, seed: int) -> tuple[Any, Any]:
    """The (outcome regression, propensity classifier) of a ``learner=`` shortcut.

    ``"lasso"``: standardised controls, ``LassoCV(cv=5)`` and an L1 logistic regression
    with ``Cs=10`` chosen by 5-fold log-loss. ``"random_forest"``: 500 trees,
    ``min_samples_leaf=5``, ``max_features=1.0`` (regression) / ``"sqrt"`` (classification),
    ``random_state=seed``. ``"gradient_boosting"``: histogram gradient boosting, 200
    iterations, learning rate 0.05, ``max_leaf_nodes=15``, ``min_samples_leaf=20``, no early
    stopping, ``random_state=seed``. ``"linear"``: ``LinearRegression`` and
    ``LogisticRegression(C=1)`` (a ridge logit: an unpenalised one diverges under separation).
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "lasso":
        from sklearn.linear_model import LassoCV, LogisticRegressionCV

        return (make_pipeline(StandardScaler(), LassoCV(cv=5, max_iter=10000)),
                make_pipeline(StandardScaler(), LogisticRegressionCV(**_logistic_cv_kwargs())))
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        common = {"n_estimators": 500, "min_samples_leaf": 5, "random_state": seed}
        return (RandomForestRegressor(max_features=1.0, **common),
                RandomForestClassifier(max_features="sqrt", **common))
    if name == "gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        common = {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15,
                  "min_samples_leaf": 20, "early_stopping": False, "random_state": seed}
        return HistGradientBoostingRegressor(**common), HistGradientBoostingClassifier(**common)
    from sklearn.linear_model import LinearRegression, LogisticRegression

    return LinearRegression(), LogisticRegression(C=1.0, max_iter=1000)


def check_learner(name: str, learner: Any, classifier: bool) -> Any:
    """A scikit-learn style estimator with ``fit`` and ``predict`` (``predict_proba`` for
    the propensity), cloned so the caller's object is never fitted."""
    need = ("fit", "predict_proba") if classifier else ("fit", "predict")
    missing = [m for m in need if not callable(getattr(learner, m, None))]
    if missing:
        role = "a classifier for P(D = 1 | X)" if classifier else "a regressor for E[ΔY | X, D = 0]"
        raise SpecificationError(
            f"{name} must be {role} with {' and '.join(need)} methods (scikit-learn API); "
            f"{type(learner).__name__} lacks {', '.join(missing)}. Pass e.g. "
            + ("sklearn.linear_model.LogisticRegression()" if classifier
               else "sklearn.linear_model.LassoCV()") + ", or use learner='lasso'.")
    from sklearn.base import clone

    try:
        return clone(learner)
    except TypeError as exc:
        raise SpecificationError(
            f"{name} ({type(learner).__name__}) cannot be cloned by sklearn.base.clone "
            f"({exc}); it needs get_params/set_params (derive it from sklearn.base."
            "BaseEstimator).") from None


def stratified_folds(strata: np.ndarray, n_folds: int, rng: np.random.Generator) -> np.ndarray:
    """Fold id (0..K−1) of each observation: within each stratum a random permutation is
    dealt round-robin to the folds, so every fold holds each stratum in proportion
    (up to one observation)."""
    n = strata.size
    order = rng.permutation(n)
    # stable sort by stratum keeps the random order within each stratum
    order = order[np.argsort(strata[order], kind="stable")]
    first = np.r_[0, np.flatnonzero(np.diff(strata[order])) + 1]
    start = np.repeat(first, np.diff(np.r_[first, n]))
    rank = np.arange(n) - start
    # offset each stratum's deal so that small strata do not all start in fold 0
    offset = np.repeat(rng.integers(n_folds, size=first.size), np.diff(np.r_[first, n]))
    folds = np.empty(n, dtype=np.int64)
    folds[order] = (rank + offset) % n_folds
    return folds


def _fast_kind(learner) -> str | None:
    """``"ols"`` / ``"logit"`` for a plain LinearRegression / an L2 (or unpenalised)
    LogisticRegression with ``tol <= 1e-8``, whose fits have closed-form / Newton solutions computed here without
    scikit-learn's per-call validation (the learners of the benchmarks and reference tests;
    scikit-learn's own fit is the fallback, e.g. when Newton does not converge)."""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    if type(learner) is LinearRegression:
        prm = learner.get_params()
        return "ols" if prm["fit_intercept"] and not prm["positive"] else None
    if type(learner) is LogisticRegression:
        prm = learner.get_params()
        l2 = prm.get("l1_ratio") in (0, 0.0, None) and prm.get("penalty") in (
            "deprecated", "l2", None)
        # only when asked for a converged fit (tol <= 1e-8): at the default tol=1e-4 lbfgs
        # stops ~1e-4 away from the optimum, and results must equal scikit-learn's
        if (l2 and prm["fit_intercept"] and prm["class_weight"] is None and prm["tol"] <= 1e-8
                and prm["solver"] in ("lbfgs", "newton-cg", "newton-cholesky")):
            return "logit"
    return None


def _ols(X, y, train, test):
    A = np.column_stack([np.ones(int(train.sum())), X[train]])
    beta = np.linalg.lstsq(A, y[train], rcond=None)[0]
    return beta[0] + X[test] @ beta[1:]


def _logit(X, y, train, test, C: float):
    """Penalised logit ``min C Σ loss + ½‖w‖²`` (intercept unpenalised) by Newton's method;
    None when it does not converge (the caller then uses scikit-learn)."""
    A = np.column_stack([np.ones(int(train.sum())), X[train]])
    t = y[train]
    k = A.shape[1]
    pen = np.full(k, 0.0 if not np.isfinite(C) else 1.0 / C)
    pen[0] = 0.0
    beta = np.zeros(k)
    for _ in range(100):
        eta = A @ beta
        p = 0.5 * (1.0 + np.tanh(0.5 * eta))  # the logistic function without overflow
        grad = A.T @ (p - t) + pen * beta
        if np.max(np.abs(grad)) < 1e-10 * max(1.0, t.size):
            break
        H = (A * (p * (1 - p))[:, None]).T @ A + np.diag(pen)
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            return None
        beta = beta - step
        if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 1e6:
            return None
    else:
        return None
    if not np.isfinite(C) and np.max(np.abs(A @ beta)) > 30:
        return None  # (quasi-)separation: the unpenalised MLE does not exist
    return 0.5 * (1.0 + np.tanh(0.5 * (beta[0] + X[test] @ beta[1:])))


def _fit_predict(learner, X, y, train, test, proba: bool, kind: str | None = None):
    from sklearn.base import clone

    if kind == "ols" and not proba:
        return _ols(X, y, train, test)
    if kind == "logit" and proba:
        out = _logit(X, y, train, test, float(learner.C))
        if out is not None:
            return out

    model = clone(learner)
    model.fit(X[train], y[train])
    if proba:
        p = model.predict_proba(X[test])
        classes = list(getattr(model, "classes_", [0, 1]))
        return np.asarray(p)[:, classes.index(1)]
    return np.asarray(model.predict(X[test]), dtype=float).reshape(-1)


def cross_fit(learner, X, y, fit_rows: np.ndarray, folds: np.ndarray, n_folds: int,
              proba: bool = False, what: str = "") -> np.ndarray:
    """Out-of-fold predictions for every observation: fold ``k`` is predicted by the learner
    fitted on the ``fit_rows`` outside fold ``k``."""
    out = np.empty(y.size)
    kind = _fast_kind(learner)
    for k in range(n_folds):
        test = folds == k
        train = fit_rows & ~test
        if proba and np.unique(y[train]).size < 2:
            raise EstimationError(
                f"{what}: a training fold holds only one treatment status "
                f"({int(train.sum())} observations), so the propensity cannot be learned. "
                "Use fewer folds (n_folds=) or a cell with more treated and comparison units.")
        if not proba and train.sum() < 2:
            raise EstimationError(
                f"{what}: a training fold holds {int(train.sum())} comparison observation(s) "
                "for the outcome regression. Use fewer folds (n_folds=).")
        out[test] = _fit_predict(learner, X, y, train, test, proba, kind)
    if not np.all(np.isfinite(out)):
        raise EstimationError(f"{what}: the learner returned non-finite predictions "
                              f"({int((~np.isfinite(out)).sum())} of {out.size}).")
    return out


@dataclass(frozen=True)
class CellFit:
    """One 2×2 comparison: the estimate and the scaled score ``ψ / J`` of each repetition."""

    theta: np.ndarray          # (n_rep,)
    scaled_psi: np.ndarray     # (n, n_rep): ψ_i / J, so that se = sqrt(Σ ψ²) / n
    se: np.ndarray             # (n_rep,)
    folds: np.ndarray          # (n_rep, n) fold ids
    n_clipped: np.ndarray      # (n_rep,) propensities clipped


def score_panel(dy, d, g0, g1, m, score: str, normalize: bool):
    """``(ψ_a, ψ_b)`` of the panel DiD score on outcome changes ``dy`` (DoubleMLDID):
    observational (doubly robust, Sant'Anna & Zhao 2020 / Chang 2020) or experimental."""
    p = d.mean()
    resid = dy - g0
    if score == "observational":
        if normalize:
            w_a = d / p
            ipw = (1.0 - d) * m / (1.0 - m)
            w_r = d / p - ipw / ipw.mean()
        else:
            w_a = d / p
            w_r = (d - m) / (p * (1.0 - m))
        b1 = 0.0
    else:
        w_a = np.ones_like(dy)
        if normalize:
            w_g0, w_g1 = d / p - 1.0, 1.0 - d / p
            w_r = d / p - (1.0 - d) / (1.0 - d).mean()
        else:
            w_g0, w_g1 = d / p - 1.0, 1.0 - d / p
            w_r = (d - p) / (p * (1.0 - p))
        b1 = w_g0 * g0 + w_g1 * g1
    return -w_a, b1 + w_r * resid


def score_cross_section(y, d, t, g, m, score: str, normalize: bool):
    """``(ψ_a, ψ_b)`` of the repeated cross-section DiD score (DoubleMLDIDCS);
    ``g[(a, b)]`` is the prediction of E[Y | X, D = a, T = b]."""
    p, lam = d.mean(), t.mean()
    cells = {(1, 1): d * t, (1, 0): d * (1 - t), (0, 1): (1 - d) * t, (0, 0): (1 - d) * (1 - t)}
    sign = {(1, 1): 1.0, (1, 0): -1.0, (0, 1): -1.0, (0, 0): 1.0}
    if score == "observational":
        w_a = d / p if normalize else d / p
        odds = m / (1.0 - m)
    else:
        w_a = np.ones_like(y)
    b = np.zeros_like(y)
    for key, ind in cells.items():
        b = b + sign[key] * w_a * g[key]
        a_, t_ = key
        if score == "observational" and a_ == 0:
            raw = ind * odds
            w = raw / raw.mean() if normalize else raw / (p * (lam if t_ else 1 - lam))
        elif score == "observational":
            w = ind / ind.mean() if normalize else ind / (p * (lam if t_ else 1 - lam))
        else:
            share = (p if a_ else 1 - p) * (lam if t_ else 1 - lam)
            w = ind / ind.mean() if normalize else ind / share
        b = b + sign[key] * w * (y - g[key])
    return -w_a, b


def solve(psi_a: np.ndarray, psi_b: np.ndarray, n_total: int):
    """θ, the scaled score over ``n_total`` observations (zeros outside the cell) and the
    DoubleML standard error ``sqrt(mean(ψ²) / J²  / n)``."""
    n = psi_a.size
    theta = -psi_b.sum() / psi_a.sum()
    psi = psi_a * theta + psi_b
    J = psi_a.sum() / n_total
    scaled = psi / J
    se = np.sqrt((scaled**2).sum()) / n_total
    return theta, scaled, se, n


def fit_cell(X, y, d, t, *, panel: bool, score: str, normalize: bool, ml_g, ml_m,
             n_folds: int, n_rep: int, clip: float, rngs, what: str, n_total: int,
             folds: np.ndarray | None = None) -> tuple[CellFit, np.ndarray]:
    """Cross-fit the nuisances and solve the score of one comparison.

    ``y`` is the outcome change (panel) or the level (cross-section, with period indicator
    ``t``); ``d`` the treated-cohort indicator; ``n_total`` the number of observations of
    the whole sample (the score is zero outside the cell, as DoubleMLDIDMulti). Returns the fit and, per repetition, the
    clipped propensities.
    """
    n = y.size
    strata = d if panel else d + 2 * t
    thetas, scaled, ses, all_folds, clipped, props = [], [], [], [], [], []
    for r in range(n_rep):
        f = stratified_folds(strata, n_folds, rngs[r]) if folds is None else folds[r]
        all_folds.append(f)
        m = None
        if score == "observational":
            raw = cross_fit(ml_m, X, d, np.ones(n, dtype=bool), f, n_folds, proba=True,
                            what=what)
            m = np.clip(raw, clip, 1.0 - clip)
            clipped.append(int(((raw < clip) | (raw > 1.0 - clip)).sum()))
            props.append(raw)
        else:
            clipped.append(0)
        if panel:
            g0 = cross_fit(ml_g, X, y, d == 0, f, n_folds, what=what)
            g1 = (cross_fit(ml_g, X, y, d == 1, f, n_folds, what=what)
                  if score == "experimental" else None)
            psi_a, psi_b = score_panel(y, d, g0, g1, m, score, normalize)
        else:
            g = {(a, b): cross_fit(ml_g, X, y, (d == a) & (t == b), f, n_folds, what=what)
                 for a in (1, 0) for b in (1, 0)}
            psi_a, psi_b = score_cross_section(y, d, t, g, m, score, normalize)
        th, sc, se, _ = solve(psi_a, psi_b, n_total)
        thetas.append(th), scaled.append(sc), ses.append(se)
    fit = CellFit(np.array(thetas), np.column_stack(scaled), np.array(ses),
                  np.vstack(all_folds), np.array(clipped))
    return fit, (np.column_stack(props) if props else np.empty((n, 0)))


def median_combine(thetas: np.ndarray, ses: np.ndarray):
    """DoubleML's aggregation over repetitions (rows: terms, columns: repetitions): the
    median estimate and the standard error backed out of the median upper 95% bound."""
    theta = np.median(thetas, axis=1)
    upper = np.median(thetas + 1.96 * ses, axis=1)
    return theta, (upper - theta) / 1.96


def rep_vcov(rep_psi: np.ndarray, se: np.ndarray, n: int) -> np.ndarray:
    """``ψᵀψ/n²`` (one repetition); with several, the repetitions' mean correlation
    rescaled to the median-combined standard errors."""
    covs = np.einsum("nkr,nlr->rkl", rep_psi, rep_psi) / n**2
    if covs.shape[0] == 1:
        return covs[0]
    cov = covs.mean(axis=0)
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(np.outer(sd, sd) > 0, cov / np.outer(sd, sd), 0.0)
    np.fill_diagonal(corr, 1.0)
    return corr * np.outer(se, se)
