"""Shared inference: cluster-robust variances, influence functions, multiplier bootstrap.

Conventions
-----------
* Influence functions are ``n × k`` arrays ``ψ`` with ``θ̂ − θ ≈ mean(ψ)``, so
  ``V = ψᵀψ / n²`` (R ``did``). With clusters, ``ψ`` is summed within cluster first.
* Cluster-robust sandwich ``V = c · B (Σ_g s_g s_gᵀ) B`` with Stata's CRV1 factor
  ``c = G/(G−1) · (N−1)/(N−K)`` by default (``reghdfe, vce(cluster)``); two-way clustering
  follows Cameron, Gelbach & Miller (2011): ``V_1 + V_2 − V_12``, every term scaled with
  the smallest cluster count ``G_min`` (fixest's ``cluster.df="min"``, also reghdfe), with
  ``G_min − 1`` degrees of freedom; a non-PSD result is fixed by clipping eigenvalues.
* The multiplier bootstrap draws one weight per cluster (Rademacher or Mammen), in fixed
  blocks from a ``numpy.random.SeedSequence``, so results depend only on the seed.
* Cluster counts are judged in one place, :func:`check_clusters`: fewer than 2 clusters
  raise :class:`~did_zones.errors.EstimationError` (no variance, so no p-value, can be
  estimated); fewer than :data:`FEW_CLUSTERS` give one
  :class:`~did_zones.errors.InferenceWarning` naming the remedies. Every estimator calls it
  (the regression estimators through :func:`sandwich_vcov` and ``few_clusters_note``).
* Variances that are numerically zero are judged in one place, :func:`flag_unidentified`
  (called by :meth:`Result.create <did_zones.Result.create>` with the estimator's floor):
  a variance at or below the floor that rounding noise alone could produce is not
  identified, so its term's standard error, statistic, p-value and interval are NaN and
  one :class:`~did_zones.errors.InferenceWarning` names the terms. The floors come from
  :func:`rounding_vcov` (sandwich) and :func:`influence_floor` (influence functions), both
  relative to :data:`NOISE_TOL` times the outcome's scale (:func:`outcome_scale`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from .errors import EstimationError, InferenceWarning, SpecificationError, warn
from .validation import Choice, Integer

__all__ = [
    "FEW_CLUSTERS",
    "check_clusters",
    "group_sums",
    "cluster_meat",
    "sandwich_vcov",
    "influence_vcov",
    "NOISE_TOL",
    "outcome_scale",
    "rounding_vcov",
    "influence_floor",
    "flag_unidentified",
    "multiplier_bootstrap",
    "BootstrapResult",
    "sup_t_critical_value",
    "small_sample_factor",
    "warn_failed_draws",
    "SE_TINY",
]

#: Standard errors at or below this are treated as zero (R ``did``'s rule: reported as NA).
SE_TINY = np.sqrt(np.finfo(float).eps) * 10

#: Below this many clusters (in the smallest dimension of two-way clustering), cluster-robust
#: standard errors and p-values are flagged with an :class:`~did_zones.errors.InferenceWarning`.
#: Thirty is the usual rule of thumb (Cameron & Miller 2015; Angrist & Pischke 2009 say 42):
#: with fewer clusters, CRV1 t-tests over-reject, badly so when clusters differ in size.
#: Set ``did_zones.inference.FEW_CLUSTERS`` to change it for the session.
FEW_CLUSTERS = 30

#: Relative size of the residuals (or influence functions) that counts as rounding noise:
#: a variance that residuals of ``NOISE_TOL × scale`` of the outcome could produce, with no
#: cancellation at all, is not identified (see :func:`flag_unidentified`). Rounding in the
#: fits is of order 1e-16 to 1e-13 of the outcome's scale (the fixed-effect absorption
#: converges to 1e-13), so the margin is at least 1e4; real residuals would have to vary by
#: less than a billionth of the outcome's largest value to be flagged.
NOISE_TOL = 1e-9

_BLOCK = 128  # bootstrap draws per block: fixed so results never depend on chunking
_UNITS = 8192  # units per multiplier chunk (a multiple of 64): fixed for the same reason


def check_clusters(n_clusters: int | Sequence[int] | None,
                   name: str | Sequence[str] | None = None) -> tuple[str, ...]:
    """Refuse a variance from fewer than 2 clusters; warn below :data:`FEW_CLUSTERS`.

    The one judge of cluster counts in did_zones: every estimator calls it before it reports
    standard errors, so no p-value is printed that the number of clusters cannot justify.

    Parameters
    ----------
    n_clusters : int, sequence of int, or None
        Number of clusters; one count per dimension for two-way clustering (the smallest
        counts). None means no clustering (heteroskedasticity-robust errors): nothing to
        check.
    name : str or sequence of str, optional
        The cluster variable(s), matching ``n_clusters``, for the messages.

    Returns
    -------
    tuple of str
        The warning text as a one-element tuple, to add to ``Result.notes``, or ``()``.

    Raises
    ------
    EstimationError
        Fewer than 2 clusters: a cluster-robust variance is identically zero (or undefined),
        so a standard error or p-value would be meaningless.

    Warns
    -----
    InferenceWarning
        Fewer than :data:`FEW_CLUSTERS` clusters; the message names the count and the
        remedies (wild cluster bootstrap, randomization inference with
        :func:`did_zones.placebo`).

    Examples
    --------
    >>> from did_zones.inference import check_clusters
    >>> check_clusters(40, "province")
    ()
    >>> check_clusters(1, "country")
    Traceback (most recent call last):
    ...
    did_zones.errors.EstimationError: Only 1 cluster of 'country': ...
    """
    if n_clusters is None:
        return ()
    counts = [int(n_clusters)] if np.ndim(n_clusters) == 0 else [int(g) for g in n_clusters]
    names = [name] if name is None or isinstance(name, str) else list(name)
    if len(names) != len(counts):
        names = [None] * len(counts)
    j = int(np.argmin(counts))
    g, label = counts[j], names[j]
    of = f" of {label!r}" if label is not None else ""
    if g < 2:
        raise EstimationError(
            f"Only {g} cluster{'' if g == 1 else 's'}{of}: a cluster-robust variance needs at "
            "least 2 clusters, so no standard error or p-value can be reported. Cluster at a "
            "finer level, e.g. cluster='unit'."
        )
    if g >= FEW_CLUSTERS:
        return ()
    msg = (
        f"Only {g} clusters{of}: cluster-robust standard errors and p-values may be "
        f"unreliable with fewer than {FEW_CLUSTERS}. Use a wild cluster bootstrap (Stata "
        "boottest / R fwildclusterboot) or randomization inference (did_zones.placebo)."
    )
    warn(msg, InferenceWarning)
    return (msg,)


def _codes(groups) -> tuple[np.ndarray, int]:
    arr = np.asarray(groups)
    if arr.dtype.kind in "iu" and arr.size and arr.min() >= 0:
        # already dense codes 0..G-1 (the design's clusters): factorize(sort=True) would
        # return them unchanged, at ten times the cost of checking
        counts = np.bincount(arr)
        if counts.all():
            return arr, counts.size
    codes, uniques = pd.factorize(arr, sort=True)
    if (codes < 0).any():
        raise SpecificationError(
            f"The cluster variable has {int((codes < 0).sum())} missing value(s); fill or "
            "drop those rows before estimating."
        )
    return codes, len(uniques)


def group_sums(values: np.ndarray, groups) -> np.ndarray:
    """Sum the rows of ``values`` (n × k) within groups (vectorised ``rowsum``)."""
    codes, n_groups = _codes(groups)
    values = np.asarray(values, dtype=float)
    flat = values.reshape(values.shape[0], -1)
    if flat.shape[1] == 1:
        return np.bincount(codes, weights=flat[:, 0], minlength=n_groups)[:, None]
    # one pass over the rows for all columns
    return np.asarray(indicator(codes, n_groups).T @ flat)


def indicator(codes: np.ndarray, n_groups: int) -> sparse.csr_matrix:
    """The ``n × n_groups`` 0/1 matrix of integer group codes (one entry per row).

    Built directly in CSR form (no COO sort) with 32-bit indices when they fit, which
    scipy would otherwise copy down to.
    """
    n = codes.size
    itype = np.int32 if max(n, n_groups) < 2**31 - 1 else np.int64
    return sparse.csr_matrix((np.ones(n), codes.astype(itype), np.arange(n + 1, dtype=itype)),
                             shape=(n, n_groups), copy=False)


def cluster_meat(scores: np.ndarray, clusters) -> tuple[np.ndarray, int]:
    """``Σ_g s_g s_gᵀ`` for cluster sums ``s_g`` of the score rows, and the cluster count."""
    sums = group_sums(scores, clusters)
    return sums.T @ sums, sums.shape[0]


def sandwich_vcov(
    scores: np.ndarray,
    bread: np.ndarray,
    clusters: Sequence | np.ndarray | pd.DataFrame | None,
    *,
    n_obs: int,
    n_params: int,
    small_sample: bool = True,
    cluster_df: str = "min",
    cluster_names: Sequence[str] | None = None,
) -> tuple[np.ndarray, int | None]:
    """Cluster-robust (one- or two-way) or heteroskedasticity-robust sandwich variance.

    Parameters
    ----------
    scores : (n, k) array
        Per-observation scores ``x_i e_i`` (times weights, if any).
    bread : (k, k) array
        ``(XᵀX)⁻¹`` (weighted).
    clusters : array, DataFrame with 1 or 2 columns, or None
        Cluster labels; two columns give two-way clustering. None gives HC1.
    n_obs, n_params : int
        ``N`` and ``K`` for the finite-sample factor (``K`` counts only the parameters
        not nested within the clusters, as ``reghdfe`` does).
    small_sample : bool
        Apply Stata's factor ``G/(G−1)·(N−1)/(N−K)`` (HC1: ``N/(N−K)``).
    cluster_df : {"min", "conventional"}
        Two-way clustering: use the smallest ``G`` in every term's factor (``"min"``: the
        default of fixest and reghdfe) or each term's own ``G`` (``"conventional"``).
    cluster_names : sequence of str, optional
        Names of the cluster dimensions, for the error message.

    Returns
    -------
    vcov : (k, k) array
    n_clusters : int or None
        Smallest cluster count across dimensions (the ``df`` + 1 Stata uses), None for HC1.

    Raises
    ------
    EstimationError
        A dimension has fewer than 2 clusters (see :func:`check_clusters`; this function
        does not warn about few clusters, its callers do, once per estimate).
    """
    scores = np.asarray(scores, dtype=float)
    bread = np.asarray(bread, dtype=float)
    # V = c (S B)ᵀ(S B) with S the cluster sums: the same as c B (SᵀS) B, but each variance
    # is a sum of squares, so a variance that is zero in exact arithmetic comes out as
    # rounding of order 1e-32, not 1e-16 of the other variances (whose square root, 1e-8,
    # would pass for a standard error)
    if clusters is None:
        u = scores @ bread
        factor = small_sample_factor(n_obs, n_params) if small_sample else 1.0
        return factor * (u.T @ u), None
    dims = _cluster_dims(clusters)
    if len(dims) == 1:
        combos = [(dims[0], 1.0)]
    else:
        inter = pd.Series(list(zip(dims[0], dims[1], strict=True))).factorize()[0]
        combos = [(dims[0], 1.0), (dims[1], 1.0), (inter, -1.0)]
    sums = [group_sums(scores, labels) for labels, _ in combos]
    counts = [s.shape[0] for s in sums]
    g_min = min(counts[:len(dims)])
    if g_min < 2:
        check_clusters(counts[:len(dims)], cluster_names)
    V = np.zeros_like(bread)
    for (_, sign), s, g in zip(combos, sums, counts, strict=True):
        g_adj = g_min if cluster_df == "min" else g
        factor = small_sample_factor(n_obs, n_params, g_adj) if small_sample else 1.0
        u = s @ bread
        V += sign * factor * (u.T @ u)
    if len(dims) == 2:
        V = _psd_fix(V)
    return V, int(g_min)


def small_sample_factor(n_obs: int, n_params: int, n_clusters: int | None = None) -> float:
    """Stata's finite-sample factor: ``G/(G−1)·(N−1)/(N−K)`` (CRV1) or ``N/(N−K)`` (HC1).

    Parameters
    ----------
    n_obs, n_params : int
        ``N`` and ``K`` (regressors plus the fixed effects counted as ``reghdfe`` does).
    n_clusters : int, optional
        ``G``; None for the heteroskedasticity-robust (HC1) factor.
    """
    if n_clusters is None:
        return n_obs / (n_obs - n_params)
    return (n_clusters / (n_clusters - 1)) * ((n_obs - 1) / (n_obs - n_params))


def outcome_scale(y: np.ndarray) -> float:
    """The scale that rounding noise is relative to: the largest absolute finite outcome.

    The raw outcome (nothing absorbed): fixed effects and least squares round relative to
    the values they fit, the level included. 0 for an empty or all-zero outcome.
    """
    a = np.abs(np.asarray(y, dtype=float))
    a = a[np.isfinite(a)]
    return float(a.max()) if a.size else 0.0


def rounding_vcov(
    regressors: np.ndarray,
    bread: np.ndarray,
    clusters,
    tol: float,
    *,
    n_obs: int,
    n_params: int,
    small_sample: bool = True,
    cluster_df: str = "min",
) -> np.ndarray:
    """The variance floor of a sandwich: what residuals of rounding size alone could give.

    The sandwich of :func:`sandwich_vcov` with every residual replaced by ``tol`` in
    absolute value and no cancellation: the scores are ``|B x_i| · tol``, so the floor of
    coefficient ``j`` is ``c · Σ_g (Σ_{i∈g} |(B x_i)_j| · tol)²`` (one-way; two-way combines
    the dimensions as :func:`sandwich_vcov` does), with the same factor ``c``. A variance at
    or below it is not identified (:func:`flag_unidentified`). The off-diagonal entries are
    non-negative, so the floor of a linear combination ``a`` of the coefficients is at most
    ``|a|ᵀ F |a|``: aggregations propagate it with absolute weights.

    Parameters
    ----------
    regressors : (n, k) array
        The rows ``x_i`` whose products with the residuals are the scores (``w_i x̃_i``
        with weights).
    bread : (k, k) array
    clusters, n_obs, n_params, small_sample, cluster_df
        As in :func:`sandwich_vcov`.
    tol : float
        The size of a residual that is rounding noise: :data:`NOISE_TOL` times
        :func:`outcome_scale` of the outcome.

    Returns
    -------
    (k, k) array
    """
    loads = np.abs(np.asarray(regressors, dtype=float) @ bread) * tol
    F, _ = sandwich_vcov(loads, np.eye(loads.shape[1]), clusters, n_obs=n_obs,
                         n_params=n_params, small_sample=small_sample, cluster_df=cluster_df)
    return F


def influence_floor(n_terms: int, scale: float) -> np.ndarray:
    """The variance floor of influence-function variances: ``(NOISE_TOL · scale)²`` per term.

    A standard error at or below ``NOISE_TOL · scale`` (``scale`` from
    :func:`outcome_scale`), in particular exactly 0, is not identified: influence functions
    that are zero up to rounding (e.g. one switcher against one comparison unit).
    """
    return np.full(int(n_terms), (NOISE_TOL * float(scale)) ** 2)


def flag_unidentified(vcov: np.ndarray, floor, terms: Sequence[str]
                      ) -> tuple[np.ndarray, tuple[str, ...]]:
    """NaN the variances that are not identified: at or below their rounding floor.

    The one judge of numerically zero variances in did_zones ("never a p-value the design
    cannot justify"): a term whose variance is at most its floor (from
    :func:`rounding_vcov` or :func:`influence_floor`) gets NaN in its row and column of the
    variance, hence a NaN standard error, statistic, p-value and confidence interval, and
    one :class:`~did_zones.errors.InferenceWarning` names the terms (up to five).

    Parameters
    ----------
    vcov : (k, k) array
    floor : (k, k) or (k,) array
        Variance floors (the diagonal of a matrix is used). Terms never to flag (e.g. a
        reference cell that is 0 by construction) get a negative floor.
    terms : sequence of str

    Returns
    -------
    vcov : (k, k) array
        A copy with the rows and columns of the flagged terms NaN.
    notes : tuple of str
        The warning text as a one-element tuple, or ``()``.
    """
    V = np.array(vcov, dtype=float, copy=True)
    fl = np.asarray(floor, dtype=float)
    fl = np.diag(fl) if fl.ndim == 2 else np.broadcast_to(fl, (V.shape[0],))
    var = np.diag(V).copy()
    bad = np.isfinite(var) & (var <= fl)
    if not bad.any():
        return V, ()
    V[bad, :] = np.nan
    V[:, bad] = np.nan
    names = [str(terms[j]) for j in np.flatnonzero(bad)]
    shown = ", ".join(repr(t) for t in names[:5]) + (", ..." if len(names) > 5 else "")
    msg = (
        f"The standard error of {len(names)} term(s) is numerically zero and is reported as "
        f"NaN, with its statistic, p-value and confidence interval: {shown}. Its variance is "
        "not identified: the observations that identify the term are fitted exactly (e.g. "
        "a cell resting on one unit, or one treated unit against one comparison unit), or "
        "too few clusters leave the variance unidentified. Add units or clusters to that "
        "cell, use a coarser window, or use randomization inference (did_zones.placebo)."
    )
    warn(msg, InferenceWarning)
    return V, (msg,)


def _psd_fix(V: np.ndarray) -> np.ndarray:
    """Two-way CGM variance may be non-PSD; clip negative eigenvalues (as reghdfe does)."""
    w, Q = np.linalg.eigh((V + V.T) / 2)
    if (w >= 0).all():
        return V
    return (Q * np.clip(w, 0, None)) @ Q.T


def _cluster_dims(clusters) -> list[np.ndarray]:
    if isinstance(clusters, pd.DataFrame):
        if clusters.shape[1] not in (1, 2):
            raise SpecificationError("cluster takes one or two variables.")
        return [clusters.iloc[:, j].to_numpy() for j in range(clusters.shape[1])]
    arr = np.asarray(clusters)
    if arr.ndim == 2:
        if arr.shape[1] not in (1, 2):
            raise SpecificationError("cluster takes one or two variables.")
        return [arr[:, j] for j in range(arr.shape[1])]
    return [arr]


def influence_vcov(influence: np.ndarray, clusters=None,
                   cluster_name: str | None = None) -> tuple[np.ndarray, int]:
    """Variance from influence functions: ``ψᵀψ/n²``, or from cluster sums of ``ψ``.

    Returns the ``k × k`` variance and the number of independent blocks (units or clusters).
    No small-sample factor is applied (R ``did``'s convention).

    Raises
    ------
    EstimationError
        Fewer than 2 clusters (see :func:`check_clusters`; the caller warns about few).
    """
    psi = np.asarray(influence, dtype=float)
    n = psi.shape[0]
    if clusters is None:
        return psi.T @ psi / n**2, n
    sums = group_sums(psi, clusters)
    if sums.shape[0] < 2:
        check_clusters(sums.shape[0], cluster_name)
    return sums.T @ sums / n**2, sums.shape[0]


@dataclass(frozen=True)
class BootstrapResult:
    """Multiplier-bootstrap output.

    Attributes
    ----------
    std_error : ndarray (k,)
        Bootstrap standard errors (interquartile-range based, as R ``did``).
    crit_value : float
        Sup-t critical value for uniform bands at ``1 − alpha``.
    draws : ndarray (n_boot, k)
        Bootstrap draws of ``√G (θ* − θ̂)``.
    """

    std_error: np.ndarray
    crit_value: float
    draws: np.ndarray


def multiplier_bootstrap(
    influence: np.ndarray,
    n_boot: int = 999,
    *,
    seed: int | np.random.SeedSequence | None = None,
    clusters=None,
    weights: str = "rademacher",
    alpha: float = 0.05,
) -> BootstrapResult:
    """Multiplier bootstrap of influence functions with a sup-t uniform band.

    Follows Callaway & Sant'Anna (2021, Alg. 1) and R ``did``'s ``mboot``: one weight per
    cluster (per unit when ``clusters`` is None); cluster-mean influence functions; the
    standard error is the bootstrap interquartile range over ``z_.75 − z_.25``; the uniform
    critical value is the ``1 − alpha`` quantile of ``max_k |draw_k| / se_k``.

    Parameters
    ----------
    influence : (n, k) array
    n_boot : int
    seed : int or SeedSequence, optional
        Results are identical for a fixed seed, independent of how draws are blocked.
    clusters : array of length n, optional
    weights : {"rademacher", "mammen"}
    alpha : float
    """
    Choice(("rademacher", "mammen"))("weights", weights)
    n_boot = Integer(min=2)("n_boot", n_boot)
    psi = np.asarray(influence, dtype=float)
    if psi.ndim == 1:
        psi = psi[:, None]
    n = psi.shape[0]
    if clusters is None:
        block_psi = psi
    else:
        codes, g = _codes(clusters)
        sizes = np.bincount(codes, minlength=g).astype(float)
        block_psi = group_sums(psi, codes) / sizes[:, None]
    n_blocks = block_psi.shape[0]
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    n_chunks = -(-int(n_boot) // _BLOCK)
    scale = np.sqrt(n_blocks) if clusters is not None else np.sqrt(n)
    draws = np.empty((int(n_boot), psi.shape[1]))
    for c, child in enumerate(ss.spawn(n_chunks)):
        lo, hi = c * _BLOCK, min((c + 1) * _BLOCK, int(n_boot))
        draws[lo:hi] = _weighted_sums(np.random.default_rng(child), hi - lo, block_psi,
                                      weights) / scale
    sigma = _iqr_scale(draws, nan=True)
    ok = sigma > SE_TINY
    crit = _max_t_quantile(draws[:, ok], sigma[ok], alpha) if ok.any() else 0.0
    se = np.where(ok, sigma / scale, np.nan)
    return BootstrapResult(std_error=se, crit_value=crit, draws=draws)


def _iqr_scale(draws: np.ndarray, nan: bool = False) -> np.ndarray:
    """Bootstrap scale per column: interquartile range over ``z_.75 − z_.25`` (R ``did``)."""
    q75, q25 = (np.nanquantile if nan else np.quantile)(draws, [0.75, 0.25], axis=0)
    return (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))


def _max_t_quantile(draws: np.ndarray, sigma: np.ndarray, alpha: float,
                    finite_only: bool = False) -> float:
    """The ``1 − alpha`` quantile of ``max_k |draw_k| / sigma_k`` over the draws."""
    tmax = np.max(np.abs(draws) / sigma, axis=1)
    if finite_only:
        tmax = tmax[np.isfinite(tmax)]
    return float(np.quantile(tmax, 1 - alpha))


def sup_t_critical_value(draws: np.ndarray, cols: np.ndarray,
                         alpha: float) -> tuple[float | None, str | None]:
    """Sup-t critical value over the columns ``cols`` of bootstrap draws, with R ``did``'s
    fallbacks (``mboot``).

    Parameters
    ----------
    draws : ndarray (n_boot, k)
        Bootstrap draws (any common scale).
    cols : ndarray of bool (k,)
        Columns entering the band.
    alpha : float
        One minus the band's coverage.

    Returns
    -------
    crit : float or None
        The critical value; None when no column has a non-degenerate distribution. A value
        below the pointwise normal one is replaced by it (as R ``did`` does); a value of 7 or
        more warns that the band is unreliable.
    note : str or None
        Why the band is missing or pointwise.
    """
    if not cols.any():
        return None, "No uniform band: no term has a positive bootstrap standard error."
    d = draws[:, cols]
    sigma = _iqr_scale(d)
    ok = sigma > SE_TINY
    if not ok.any():
        return None, "No uniform band: the bootstrap distribution is degenerate."
    crit = _max_t_quantile(d[:, ok], sigma[ok], alpha, finite_only=True)
    z = float(stats.norm.ppf(1 - alpha / 2))
    if crit < z:
        return z, (f"The bootstrap sup-t critical value ({crit:.3f}) is below the pointwise "
                   f"one ({z:.3f}); the uniform band uses the pointwise value (as R did).")
    if crit >= 7:
        warn(
            f"The uniform critical value is {crit:.2f} (>= 7): too large to be reliable; "
            "cohorts are probably tiny or outcomes barely vary. Prefer pointwise intervals.",
            InferenceWarning)
    return crit, None


def warn_failed_draws(failed: Sequence[tuple[int, str]], total: int, what: str,
                      consequence: str, hint: str,
                      failure: str = "could not be estimated") -> None:
    """One :class:`InferenceWarning` for resampling draws that could not be estimated.

    ``failed`` lists ``(draw index, error message)``; the warning counts them against
    ``total``, says how they failed (``failure``), shows up to five indices and the first
    error, then ``consequence`` (what was done with them) and ``hint`` (what many failures
    mean).
    """
    if failed:
        from .validation import examples

        warn(f"{len(failed)} of {total} {what} {failure} and {consequence} "
             f"({what} {examples([i for i, _ in failed])}; first error: {failed[0][1]}). "
             f"{hint}", InferenceWarning)


def _weighted_sums(rng: np.random.Generator, n_draws: int, psi: np.ndarray,
                   kind: str) -> np.ndarray:
    """``V @ psi`` for an ``n_draws × n`` matrix ``V`` of multipliers drawn from ``rng``.

    Units are taken in chunks of ``_UNITS`` (memory stays ``O(n_draws × _UNITS)`` however
    many units there are), and each chunk's multipliers come from the generator's raw
    64-bit stream: Rademacher weights are its bits (64 per word, ``±1 = 2·bit − 1``, so
    ``V @ psi = 2·(bits @ psi) − Σψ``), Mammen weights compare a 53-bit uniform with
    ``p`` (the construction of ``Generator.random``). The stream layout depends only on the
    fixed constants ``_BLOCK`` and ``_UNITS``, so draws depend only on the seed.
    """
    n, k = psi.shape
    out = np.zeros((n_draws, k))
    for lo in range(0, n, _UNITS):
        part = psi[lo:lo + _UNITS]
        m = part.shape[0]
        if kind == "rademacher":
            raw = rng.bit_generator.random_raw((n_draws, -(-m // 64))).astype("<u8")
            bits = np.unpackbits(raw.view(np.uint8), axis=1, count=m, bitorder="little")
            out += bits.astype(float) @ part
        else:
            out += _mammen(rng.bit_generator.random_raw((n_draws, m))) @ part
    if kind == "rademacher":
        out = 2.0 * out - psi.sum(axis=0)
    return out


def _mammen(raw: np.ndarray) -> np.ndarray:
    """Mammen's two-point weights (mean 0, variance 1, skewness 1) from raw 64-bit draws."""
    s5 = np.sqrt(5.0)
    p = (s5 + 1) / (2 * s5)
    low, high = -(s5 - 1) / 2, (s5 + 1) / 2
    return np.where((raw >> np.uint64(11)) * 2.0**-53 < p, low, high)

