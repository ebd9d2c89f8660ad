"""Which inference a number carries, in words: the one place where it is worded.

A :class:`~did_zones.result.Result` reports, per term, the inference behind its p-value and
interval (:attr:`Result.inference <did_zones.result.Result.inference>`): the estimator's
own variance (:func:`variance_label`, derived from ``method``, ``spec``, ``df`` and
``n_clusters``) or a test that replaced it (:func:`test_label`, from a
:class:`~did_zones.result.HypothesisTest` of :func:`~did_zones.wild_bootstrap`,
:func:`~did_zones.placebo`, :func:`~did_zones.conley_taber`). The labels are English;
the presentation layer translates them (``did_zones.tables.zh_notes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["variance_label", "test_label", "NO_VALID", "no_valid_label"]

#: label of a term for which no valid few-treated inference exists
NO_VALID = "no valid few-treated inference"

# estimators whose analytic variance is not the generic sandwich of one regression
_VARIANCE_NAMES = {"imputation": "BJS imputation variance",
                   "ring_did": "BJS imputation variance",
                   "did2s": "two-stage GMM variance"}


# fixed-effects spatial panel models: inverse information matrix, no clustering
_SPATIAL = ("spatial_panel", "spatial_did")


def _count(n: float) -> str:
    return f"{int(n):,}"


def _clustering(spec: Mapping[str, Any], n_clusters: int | None) -> str:
    cluster = spec.get("cluster")
    if not cluster:
        return "heteroskedasticity-robust"
    names = [cluster] if isinstance(cluster, str) else [str(c) for c in cluster]
    g = f" (G = {_count(n_clusters)})" if n_clusters is not None else ""
    return f"clustered by {' and '.join(names)}{g}"


def variance_label(method: str, spec: Mapping[str, Any], df: int | None,
                   n_clusters: int | None, uniform: bool = False) -> str:
    """The estimator's own inference, e.g. ``"CRV1, clustered by unit (G = 337), t(336)"``.

    Parameters
    ----------
    method : str
        ``Result.method``.
    spec : mapping
        ``Result.spec`` (``cluster``, ``se``, ``n_boot`` are read).
    df : int or None
        ``Result.df``: t with ``df`` degrees of freedom, else normal.
    n_clusters : int or None
        ``Result.n_clusters``.
    uniform : bool
        Add that a uniform (sup-t) band is available.

    Returns
    -------
    str
    """
    if method in ("synthdid", "synthetic_control"):
        return _synthetic_label(method, spec)
    if method in _SPATIAL:
        sim = (f"; effects by simulation ({_count(spec['n_sim'])} draws)"
               if spec.get("effects_se") == "simulation" else "")
        if spec.get("cluster"):
            return f"ML sandwich, {_clustering(spec, n_clusters)}, normal{sim}"
        return f"ML information matrix, homoskedastic, normal{sim}"
    where = _clustering(spec, n_clusters)
    dist = f"t({_count(df)})" if df else "normal"
    if spec.get("se") == "bootstrap" and spec.get("n_boot"):
        what = f"multiplier bootstrap ({_count(spec['n_boot'])} draws)"
    elif spec.get("se") == "influence":
        what = "influence function"
    elif method in _VARIANCE_NAMES:
        what = _VARIANCE_NAMES[method]
    elif spec.get("cluster"):
        what = "CRV1"
    else:
        what = "analytic"
    band = ", uniform band by sup-t" if uniform else ""
    return f"{what}, {where}, {dist}{band}"


def _synthetic_label(method: str, spec: Mapping[str, Any]) -> str:
    """The variance of :func:`~did_zones.synthdid` (R synthdid's vcov methods) or the
    absence of one (:func:`~did_zones.synthetic_control`: placebo ranks only)."""
    if method == "synthetic_control":
        return "no standard error (in-space placebo ranks)"
    se, n = spec.get("se"), _count(spec.get("n_reps") or 0)
    if se == "placebo":
        return f"placebo variance ({n} permutations of the donors), normal"
    if se == "jackknife":
        return "fixed-weights jackknife, normal"
    if se == "bootstrap":
        return f"unit bootstrap ({n} draws), normal"
    return "no variance (se=None)"


def _cohort(value: Any) -> str:
    if value is None:
        return "treated cohorts"
    v = float(value)
    return f"cohort {int(v) if v.is_integer() else v:g}"


def test_label(test: Any) -> str:
    """The inference a :class:`~did_zones.result.HypothesisTest` gives a term, e.g.
    ``"wild cluster bootstrap (WCR, Rademacher, 2^6 = 64 enumerated)"`` or
    ``"randomization inference, cohort 2015 (exact, 233 assignments)"``.

    Parameters
    ----------
    test : HypothesisTest
        A test of one term by :func:`~did_zones.wild_bootstrap`,
        :func:`~did_zones.placebo` (in space) or :func:`~did_zones.conley_taber`; other
        tests are named by their ``name``.

    Returns
    -------
    str
    """
    d = test.details
    if test.distribution == "wild_bootstrap" and "bootstrap" in d:
        w = str(d.get("weights", "")).capitalize()
        n, g = d.get("n_boot"), d.get("n_clusters")
        draws = (f"2^{g} = {_count(n)} enumerated" if d.get("enumerated")
                 else f"{_count(n)} draws")
        by = d.get("bootcluster")
        g_txt = f", {_count(g)} clusters by {by}" if g is not None and by else ""
        return f"wild cluster bootstrap ({d['bootstrap']}, {w}, {draws}{g_txt})"
    if test.distribution == "randomization" and str(test.name).startswith("Conley"):
        n = d.get("n_assignments")
        how = "enumerated" if d.get("enumerated") else "drawn"
        return f"Conley–Taber ({d.get('method')}, {_count(n)} assignments {how})"
    if test.distribution == "randomization" and d.get("kind") == "in_space":
        if d.get("restrict") == "cohort":
            if d.get("exact"):
                how = f"exact, {_count(d['n_assignments'])} assignments"
            else:
                how = (f"{_count(d['n_draws'])} random draws of "
                       f"{_count(d['n_assignments'])} assignments")
            return f"randomization inference, {_cohort(d.get('cohort'))} ({how})"
        return f"randomization inference, all units ({_count(d['n_draws'])} draws)"
    return str(test.name)


def no_valid_label(reason: str) -> str:
    """``"no valid few-treated inference (reason)"``."""
    return f"{NO_VALID} ({reason})"


def finite_or_nan(value: Any) -> float:
    """A float, NaN for None."""
    return float("nan") if value is None else float(value) if np.ndim(value) == 0 \
        else float("nan")
