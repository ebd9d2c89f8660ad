"""Replace the analytic inference of the terms that rest on few treated units.

A cluster-robust (or influence-function) standard error of a term identified by one or a
handful of treated units is estimated from those units' own residuals, which the fit pulls
towards zero: a nominal 5% test rejects a true null most of the time with one treated
cluster (benchmarks/README.md, "Size with few treated clusters"). The number of clusters
overall does not help; the number of *treated* clusters is what counts.
:func:`few_treated_inference` gives each such term a test whose level does not rest on that
standard error -- randomization inference restricted to the term's cohort
(:func:`~did_zones.placebo` with ``restrict="cohort"``), the wild cluster bootstrap with
the null imposed (:func:`~did_zones.wild_bootstrap`) or Conley–Taber
(:func:`~did_zones.conley_taber`) -- and returns the result with those tests' p-values and
intervals (:meth:`Result.with_inference <did_zones.result.Result.with_inference>`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from .._provenance import check_result_panel
from ..errors import SpecificationError
from ..inference_labels import no_valid_label
from ..panel import Panel
from ..result import HypothesisTest, Result
from ..validation import PANEL, SEED, Choice, Integer, ResultArg, check, examples
from .conley_taber import conley_taber
from .placebo import placebo
from .wild_bootstrap import wild_bootstrap

__all__ = ["few_treated_inference", "MIN_WILD_CLUSTERS", "FEW_TREATED_METHODS"]

FewTreatedMethod = Literal["auto", "randomization", "wild_bootstrap", "conley_taber"]
FEW_TREATED_METHODS: tuple[str, ...] = ("auto", "randomization", "wild_bootstrap",
                                        "conley_taber")

#: treated clusters from which "auto" uses the wild cluster bootstrap (WCR holds its level
#: with 6 treated clusters of 50 and under-rejects with fewer; benchmarks/README.md)
MIN_WILD_CLUSTERS = 6

# reasons of a "no valid few-treated inference" label (translated in tables/zh_notes.py)
_SEVERAL_NO_WILD = ("the term rests on several cohorts and the estimator has no wild "
                    "cluster bootstrap")
_SEVERAL_FEW = (f"the term rests on several cohorts and fewer than {MIN_WILD_CLUSTERS} "
                "treated clusters")
_NEITHER = "the estimator supports neither placebo nor wild cluster bootstrap"


def _supports(method: str, test: str) -> bool:
    from ..estimators.registry import REGISTRY

    return method in REGISTRY and REGISTRY[method].supports(test)


def _key(result: Result, term: str, column: str) -> float:
    keys = result.keys
    if column not in keys.columns:
        return np.nan
    value = keys.at[term, column]
    return np.nan if pd.isna(value) else float(value)


def _cohorts_of(result: Result, panel: Panel, term: str) -> tuple[float, ...]:
    """The cohorts whose units identify ``term``: its own cohort; for an event time, every
    cohort observed at that event time; otherwise (an average) every treated cohort."""
    g = _key(result, term, "cohort")
    if np.isfinite(g):
        return (g,)
    e = _key(result, term, "event_time")
    cohorts = panel.cohorts.astype(float)
    if np.isfinite(e):
        seen = np.isin(cohorts + e, panel.periods.astype(float))
        return tuple(cohorts[seen])
    return tuple(cohorts)


def _units(result: Result, panel: Panel, term: str, cohorts: tuple[float, ...]) -> int:
    n = _key(result, term, "n_treated_units")
    if np.isfinite(n):
        return int(n)
    return int(np.isin(panel.cohort, cohorts).sum())


def _treated_clusters(result: Result, panel: Panel, cohorts: tuple[float, ...]) -> int:
    """Distinct clusters (of the result's clustering; the fewest over two dimensions)
    among the units of ``cohorts``."""
    rows = np.isin(panel.cohort[panel.unit_id], cohorts)
    cluster = result.spec.get("cluster") or "unit"
    names = [cluster] if isinstance(cluster, str) else list(cluster)
    counts = []
    for name in names:
        if name in ("unit", panel.unit) or name not in panel.data.columns:
            counts.append(int(np.unique(panel.unit_id[rows]).size))
        else:
            counts.append(int(pd.unique(panel.data[name].to_numpy()[rows]).size))
    return min(counts)


def _no_valid(term: str, estimate: float, reason: str) -> HypothesisTest:
    return HypothesisTest(name=no_valid_label(reason), statistic=np.nan, p_value=np.nan,
                          df=None, distribution="none",
                          details={"term": term, "estimate": estimate, "reason": reason})


def _select(result: Result, terms, min_cohort_size) -> list[str]:
    if terms is not None:
        terms = [terms] if isinstance(terms, str) else [str(t) for t in terms]
        unknown = [t for t in terms if t not in result.estimate.index]
        if unknown:
            raise SpecificationError(
                f"Unknown term(s) {examples(unknown)}; the result's terms are "
                f"{examples(result.terms, 12)}.")
        return list(dict.fromkeys(terms))
    keys = result.keys
    if min_cohort_size is not None:
        if "n_treated_units" not in keys.columns:
            raise SpecificationError(
                f"min_cohort_size={min_cohort_size} needs the number of treated units per "
                f"term (keys['n_treated_units']), which this {result.method!r} result does "
                "not record. Name the terms instead: terms=['ATT(g=2015)'].")
        n = pd.to_numeric(keys["n_treated_units"], errors="coerce").to_numpy(dtype=float)
        return list(keys.index[np.isfinite(n) & (n < min_cohort_size)])
    if "small_cell" not in keys.columns:
        return []
    return list(keys.index[keys["small_cell"].fillna(False).astype(bool)])


def _test(result: Result, panel: Panel, term: str, method: str, *, n_boot: int,
          n_draws: int, seed) -> HypothesisTest:
    estimate = float(result.estimate[term])
    cohorts = _cohorts_of(result, panel, term)
    if method == "auto":
        if len(cohorts) == 1 and _supports(result.method, "placebo"):
            method = "randomization"
        elif not _supports(result.method, "wild_bootstrap"):
            return _no_valid(term, estimate, _NEITHER if len(cohorts) == 1
                             else _SEVERAL_NO_WILD)
        elif _treated_clusters(result, panel, cohorts) >= MIN_WILD_CLUSTERS:
            method = "wild_bootstrap"
        else:
            return _no_valid(term, estimate, _SEVERAL_FEW)
    if method == "randomization":
        cohort = cohorts[0] if len(cohorts) == 1 else None
        return placebo(result, panel, kind="in_space", term=term, restrict="cohort",
                       cohort=cohort, n_draws=n_draws, seed=seed, progress=False)
    if method == "wild_bootstrap":
        return wild_bootstrap(result, panel, term, n_boot=n_boot, seed=seed)
    return conley_taber(result, panel, term, seed=seed)


def few_treated_inference(
    result: Result,
    panel: Panel,
    *,
    terms: str | Sequence[str] | None = None,
    method: FewTreatedMethod = "auto",
    n_boot: int = 9999,
    n_draws: int = 999,
    seed: int | None = None,
    min_cohort_size: int | None = None,
) -> Result:
    """The result with valid inference for the terms that rest on few treated units.

    Parameters
    ----------
    result : Result
        A result of an estimator of the library, estimated on ``panel``.
    panel : Panel
        The panel the result was estimated on (checked by fingerprint).
    terms : str or sequence of str, optional
        Terms whose inference to replace. Default: the terms the estimator marked as small
        (``keys["small_cell"]``, set by the staggered estimators' ``min_cohort_size``); a
        result without that column has none, and is returned unchanged.
    method : {"auto", "randomization", "wild_bootstrap", "conley_taber"}
        ``"auto"``: per term, randomization inference restricted to its cohort when it
        rests on one cohort (:func:`~did_zones.placebo` with ``restrict="cohort"``; exact
        when the assignments can be enumerated), else the wild cluster bootstrap (WCR,
        :func:`~did_zones.wild_bootstrap`) when the estimator supports it and the term
        rests on at least :data:`MIN_WILD_CLUSTERS` (6) treated clusters, else no test:
        the term is labelled ``"no valid few-treated inference (...)"`` with a NaN
        p-value. ``"randomization"``: the cohort-restricted placebo for every term (a term
        resting on several cohorts moves every treated unit). ``"wild_bootstrap"``: WCR
        for every term. ``"conley_taber"``: Conley & Taber (2011), TWFE results only.
    n_boot : int
        Wild bootstrap draws (all ``2^G`` sign vectors when ``2^G <= n_boot``).
    n_draws : int
        Randomization draws when the assignments of a cohort number more than this
        (otherwise all are enumerated and the p-value is exact).
    seed : int, optional
        Seed of every test (each test is called with it, so a direct call with the same
        seed reproduces it).
    min_cohort_size : int, optional
        Select the terms resting on fewer treated units than this
        (``keys["n_treated_units"]``) instead of the estimator's own marks.

    Returns
    -------
    Result
        ``result.with_inference(tests)``: for the replaced terms ``p_value`` and
        ``conf_int`` come from the tests (NaN bounds for randomization inference, which
        gives no interval), ``statistic`` is NaN, ``inference`` names the test; the tests
        themselves are in ``inference_overrides[term]["test"]``. One note records the
        terms and the cost (placebo runs and draws).

    Raises
    ------
    SpecificationError
        Not a result of the library, a panel other than the result's, unknown ``terms`` or
        ``method``, ``min_cohort_size`` on a result without ``n_treated_units``, an
        explicit method the estimator does not support (``wild_bootstrap`` on
        Callaway–Sant'Anna, ``conley_taber`` on anything but TWFE), and every error of the
        test it runs.

    Notes
    -----
    Cost: :func:`~did_zones.placebo` tests one term per run, so randomization inference
    runs one placebo per replaced term (re-estimating the result once per assignment; the
    TWFE and event-study fast path makes that cheap). With one treated city among ``N``
    never-treated the cohort-restricted design has ``N + 1`` assignments: enumerated when
    ``n_draws`` is at least ``N``, and the exact p-value is ``#(|θ_b| ≥ |θ̂|)/(N + 1)``
    with the real assignment counted, never below ``1/(N + 1)``.

    Which test at how many treated clusters (size of a nominal 5% test, 1,000
    replications, 50 clusters; benchmarks/README.md): with 1 treated cluster the
    cluster-robust t-test rejects 78% of the time, WCR almost never (it cannot reject),
    randomization inference and Conley–Taber hold their level; with 3, CRV1 rejects 19%,
    WCR under-rejects; from 6 on, WCR holds its level.

    References
    ----------
    Conley, T. G. & Taber, C. R. (2011). Inference with "difference in differences" with a
    small number of policy changes. Rev. Econ. Stat. 93(1), 113–125.
    MacKinnon, J. G. & Webb, M. D. (2017). Wild bootstrap inference for wildly different
    cluster sizes. J. Appl. Econometrics 32(2), 233–254.
    MacKinnon, J. G. & Webb, M. D. (2020). Randomization inference for
    difference-in-differences with few treated clusters. J. Econometrics 218(2), 435–450.

    Examples
    --------
    One pilot city (cohort 2015) among 40:

    >>> import numpy as np, pandas as pd
    >>> import did_zones as dz
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"city": np.repeat(np.arange(40), 8),
    ...                    "year": np.tile(np.arange(2010, 2018), 40)})
    >>> df["pilot"] = np.select([df["city"] == 0, df["city"] < 10], [2015, 2013], 0)
    >>> df["y"] = rng.normal(size=len(df))
    >>> panel = dz.build_panel(df, unit="city", time="year", cohort="pilot")
    >>> res = dz.aggregate(dz.callaway_santanna(panel, "y"), kind="cohort")
    >>> new = dz.few_treated_inference(res, panel, terms=["ATT(g=2015)"])
    >>> new.inference["ATT(g=2015)"]
    'randomization inference, cohort 2015 (exact, 31 assignments)'
    >>> bool(np.isnan(new.statistic["ATT(g=2015)"]))
    True
    >>> bool(new.p_value["ATT(g=2013)"] == res.p_value["ATT(g=2013)"])
    True
    """
    check({"result": ResultArg(), "panel": PANEL, "seed": SEED}, result=result, panel=panel,
          seed=seed)
    check_result_panel(result, panel)
    method = Choice(FEW_TREATED_METHODS)("method", method)
    n_boot = Integer(min=99)("n_boot", n_boot)
    n_draws = Integer(min=1)("n_draws", n_draws)
    if min_cohort_size is not None:
        min_cohort_size = Integer(min=1)("min_cohort_size", min_cohort_size)
    if method == "wild_bootstrap" and not _supports(result.method, "wild_bootstrap"):
        raise SpecificationError(
            f"method='wild_bootstrap': the {result.method!r} estimator has no wild cluster "
            "bootstrap; use method='randomization' or 'auto'.")
    if method == "randomization" and not _supports(result.method, "placebo"):
        raise SpecificationError(
            f"method='randomization' re-estimates the result on placebo assignments, which "
            f"the {result.method!r} result does not support; use method='wild_bootstrap'.")
    if method == "conley_taber" and result.method != "twfe":
        raise SpecificationError(
            f"method='conley_taber' needs a TWFE result (dz.twfe); got a {result.method!r} "
            "result. Use method='randomization' or 'auto'.")
    chosen = _select(result, terms, min_cohort_size)
    if not chosen:
        return result
    tests = {t: _test(result, panel, t, method, n_boot=n_boot, n_draws=n_draws, seed=seed)
             for t in chosen}
    runs = [t for t in tests.values() if t.distribution == "randomization"
            and t.details.get("kind") == "in_space"]
    cost = (f"; {len(runs)} placebo run(s), one per term, of "
            f"{sum(int(t.details['n_draws']) for t in runs)} re-estimations in all"
            if runs else "")
    note = (f"few_treated_inference: {len(tests)} term(s) carry a few-treated test instead "
            f"of the analytic inference — {', '.join(tests)}{cost}.")
    out = result.with_inference(tests)
    return replace(out, notes=(*out.notes, note))
