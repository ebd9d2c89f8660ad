"""Placebo (randomization) tests of a difference-in-differences result.

Following 陈强, 齐霁 & 颜冠鹏 (2025) and Stata's ``didplacebo``: the real estimate is
compared with the estimates obtained under fake treatment assignments that keep the design
of the real one -- reassigned units (in space), earlier dates (in time), or both (mixed).
Every draw re-uses the result's own specification (:func:`~did_zones.robustness.rerun`),
so the test works for every estimator of the library; TWFE-type results take an exact
Frisch–Waugh–Lovell shortcut (:mod:`._fwl`). ``restrict="cohort"`` restricts in-space
draws to the treated cohort and the never-treated units and enumerates them when they are
few (exact p-values for single-city cohorts).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import combinations
from math import comb
from typing import Literal

import numpy as np
import pandas as pd

from .._parallel import check_n_jobs, quiet, run_batches, seed_sequence
from .._provenance import check_result_panel
from ..errors import EstimationError, PanelError, SpecificationError
from ..inference import warn_failed_draws
from ..panel import Panel
from ..result import HypothesisTest, Result
from ..validation import (
    FLAG,
    PANEL,
    Boolean,
    Choice,
    Integer,
    ResultArg,
    check,
    check_columns,
    examples,
)
from ._fwl import fwl_draws, fwl_plan
from .rerun import rerun

__all__ = ["placebo", "placebo_assignments"]

_POSITIVE = Integer(min=1)

PlaceboKind = Literal["in_space", "in_time", "mixed"]
KINDS: tuple[str, ...] = ("in_space", "in_time", "mixed")


# ------------------------------------------------------------------------ assignments
def _dates(panel: Panel) -> np.ndarray:
    """Admissible placebo dates: every observed period after the first (a pre-period left)."""
    return panel.periods[1:].astype(float)


def _assign(kind: str, child: np.random.SeedSequence, cohort: np.ndarray, dates: np.ndarray,
            restricted: bool, pool: np.ndarray | None = None) -> np.ndarray:
    """The placebo cohort of every unit in one draw (depends only on ``child``).

    ``pool`` (in-space only): positions of the units whose cohorts are permuted among
    themselves; the other units keep their real cohort.
    """
    rng = np.random.default_rng(child)
    n = cohort.size
    if kind == "in_space":
        if pool is None:
            return cohort[rng.permutation(n)]
        out = cohort.copy()
        out[pool] = cohort[pool][rng.permutation(pool.size)]
        return out
    treated = np.isfinite(cohort)
    out = np.full(n, np.inf)
    if restricted:
        real, sizes = np.unique(cohort[treated], return_counts=True)
        fake = np.sort(rng.choice(dates, size=real.size, replace=False))
        units = rng.permutation(n)[: int(treated.sum())]
        out[units] = np.repeat(fake, sizes)
    else:
        units = rng.choice(n, size=int(treated.sum()), replace=False)
        out[units] = rng.choice(dates, size=units.size, replace=True)
    return out


def _cohort_pool(panel: Panel, cohort: float | None) -> np.ndarray:
    """Positions of the units a cohort-restricted placebo moves: the tested cohort's units
    (every treated unit when ``cohort`` is None) and the never-treated units."""
    g = panel.cohort
    moved = np.isfinite(g) if cohort is None else (g == cohort)
    return np.flatnonzero(moved | ~np.isfinite(g))


def n_cohort_assignments(cohort: np.ndarray, pool: np.ndarray) -> int:
    """Distinct assignments of the pool's cohorts to the pool's units (cohort sizes kept):
    the multinomial ``P! / (n_1!·…·n_K!·n_never!)``."""
    _, sizes = np.unique(cohort[pool], return_counts=True)
    total, left = 1, int(pool.size)
    for k in sizes[:-1] if sizes.size else ():
        total *= comb(left, int(k))
        left -= int(k)
    return total


def enumerate_cohort_assignments(cohort: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Every distinct assignment of the pool's cohorts to the pool's units, one per row
    (units in the order of ``cohort``; units outside the pool keep theirs). The real
    assignment is one of the rows."""
    labels, sizes = np.unique(cohort[pool], return_counts=True)  # inf (never) sorts last
    rows: list[np.ndarray] = []

    def fill(free: tuple[int, ...], k: int, current: np.ndarray) -> None:
        if k == labels.size - 1:  # the last label takes every remaining unit
            out = current.copy()
            out[list(free)] = labels[k]
            rows.append(out)
            return
        for chosen in combinations(free, int(sizes[k])):
            out = current.copy()
            out[list(chosen)] = labels[k]
            fill(tuple(u for u in free if u not in chosen), k + 1, out)

    fill(tuple(int(u) for u in pool), 0, cohort.astype(float).copy())
    return np.stack(rows)


def placebo_assignments(
    panel: Panel,
    *,
    kind: Literal["in_space", "mixed"] = "in_space",
    n_draws: int = 500,
    restricted: bool = True,
    seed: int | np.random.SeedSequence | None = None,
    restrict: Literal["cohort"] | None = None,
    cohort: float | None = None,
) -> np.ndarray:
    """The placebo cohorts that :func:`placebo` uses, one row per draw.

    Parameters
    ----------
    panel : Panel
    kind : {"in_space", "mixed"}
    n_draws : int
    restricted : bool
        Mixed placebos only; see :func:`placebo`.
    seed : int, SeedSequence or None
        Draw ``b`` uses child ``b`` of ``SeedSequence(seed)``.
    restrict, cohort
        In-space only; see :func:`placebo`. When the distinct assignments number at most
        ``n_draws`` they are all returned (the real one excluded), as :func:`placebo` uses
        them.

    Returns
    -------
    (n_draws, n_units) numpy.ndarray
        First placebo-treated period of every unit (``inf`` = never treated), units in the
        order of ``panel.units`` (fewer rows when a restricted design is enumerated).

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> fake = placebo_assignments(panel, n_draws=3, seed=1)
    >>> fake.shape == (3, panel.n_units)
    True
    """
    Choice(("in_space", "mixed"))("kind", kind)
    _check_count("n_draws", n_draws)
    pool, _, exact = _check_restrict(restrict, cohort, kind, panel, n_draws)
    if exact:
        every = enumerate_cohort_assignments(panel.cohort, pool)
        return every[~np.all(every == panel.cohort, axis=1)]
    children = seed_sequence(seed).spawn(int(n_draws))
    dates = _dates(panel)
    return np.stack([_assign(kind, c, panel.cohort, dates, bool(restricted), pool)
                     for c in children])


def _in_time_sample(panel: Panel, shift: int) -> tuple[np.ndarray, pd.Series, int, int]:
    """Rows kept, placebo cohorts, rows dropped as post-treatment, units without pre-period."""
    first = panel.periods.min()
    post = panel.treated  # rows of ever-treated units at or after their real date
    fake = panel.cohort - shift
    no_pre = np.isfinite(fake) & (fake <= first)
    keep = ~post & ~no_pre[panel.unit_id]
    present = np.bincount(panel.unit_id[keep], minlength=panel.n_units) > 0
    cohort = pd.Series(fake, index=panel.units)[present]
    return keep, cohort, int(post.sum()), int(no_pre.sum())


# ------------------------------------------------------------------------ draws
@dataclass(frozen=True, eq=False)
class _Job:
    """Everything a worker needs (pickled once per batch, scattered once to Dask)."""

    result: Result
    panel: Panel
    term: str
    kind: str
    restricted: bool
    overrides: dict
    shifts: tuple[int, ...] = ()
    pool: np.ndarray | None = None


class _NoTerm(Exception):
    pass


def _estimate(job: _Job, panel: Panel) -> Result:
    res = rerun(job.result, panel, **job.overrides)
    if job.term not in res.estimate.index:
        raise _NoTerm(f"term {job.term!r} not estimated on this placebo sample "
                      f"(terms: {examples(res.terms)})")
    return res


def _draw_batch(job: _Job, lo: int, children, count: int):
    """Slow path: re-estimate the result on ``count`` placebo assignments."""
    values = np.full((count, 1), np.nan)
    failed: list[tuple[int, str]] = []
    dates = _dates(job.panel)
    with quiet():
        for j in range(count):
            child = children[j]
            cohort = child.copy() if isinstance(child, np.ndarray) else _assign(
                job.kind, child, job.panel.cohort, dates, job.restricted, job.pool)
            cohort.setflags(write=False)
            try:
                res = _estimate(job, replace(job.panel, cohort=cohort))
            except (EstimationError, PanelError, _NoTerm) as exc:
                failed.append((lo + j, str(exc)))
                continue
            values[j, 0] = res.estimate[job.term]
    return values, failed


def _shift_batch(job: _Job, lo: int, children, count: int):
    """In-time placebos ``lo .. lo + count - 1``: estimate, standard error, p-value, rows."""
    values = np.full((count, 4), np.nan)
    failed: list[tuple[int, str]] = []
    with quiet():
        for j in range(count):
            keep, cohort, _, _ = _in_time_sample(job.panel, job.shifts[lo + j])
            try:
                new = job.panel.subset(keep, cohort=cohort)
                res = _estimate(job, new)
            except (EstimationError, PanelError, _NoTerm) as exc:
                failed.append((lo + j, str(exc)))
                continue
            values[j] = (res.estimate[job.term], res.std_error[job.term],
                         res.p_value[job.term], res.n_obs)
    return values, failed


# ------------------------------------------------------------------------ p-values
def randomization_p_values(draws: np.ndarray, estimate: float) -> dict[str, float]:
    """Left, right and two-sided randomization p-values of ``estimate`` among ``draws``.

    ``p_left = #(d ≤ θ̂)/B``, ``p_right = #(d ≥ θ̂)/B``, ``p_two_sided = #(|d| ≥ |θ̂|)/B``
    over the ``B`` non-NaN placebo draws (``didplacebo``'s shares, the real estimate not
    counted), and the same counts as ``(# + 1)/(B + 1)`` (the real assignment counted as a
    draw: exact level under the null, never 0; Phipson & Smyth 2010) under ``*_plus1``.
    """
    d = np.asarray(draws, dtype=float)
    d = d[~np.isnan(d)]
    B = d.size
    counts = {"p_left": np.count_nonzero(d <= estimate),
              "p_right": np.count_nonzero(d >= estimate),
              "p_two_sided": np.count_nonzero(np.abs(d) >= abs(estimate))}
    out = {k: (c / B if B else np.nan) for k, c in counts.items()}
    out.update({f"{k}_plus1": (c + 1) / (B + 1) for k, c in counts.items()})
    return out


# ------------------------------------------------------------------------ checks
def _check_count(name: str, value) -> int:
    return _POSITIVE(name, value)


def _check_shifts(shift, panel: Panel) -> tuple[int, ...]:
    shifts = (1,) if shift is None else (shift,) if not isinstance(shift, list | tuple) \
        else tuple(shift)
    if not shifts or not all(not isinstance(k, bool) and isinstance(k, int | np.integer)
                             and k >= 1 for k in shifts):
        raise SpecificationError(
            f"shift must be a positive integer or a list of them (periods to move every "
            f"cohort back), e.g. 1 or [1, 2, 3]; got {shift!r}."
        )
    first = panel.periods.min()
    latest = panel.cohorts.max() if panel.cohorts.size else None
    if latest is None or latest - 1 <= first:
        raise SpecificationError(
            f"An in-time placebo needs a treated unit with at least two untreated periods; "
            f"every cohort ({examples(panel.cohorts)}) starts right after the first period "
            f"{first}, so no pre-period is left after moving the date back. Use an in-space "
            "placebo (kind='in_space') instead."
        )
    too_far = [int(k) for k in shifts if latest - k <= first]
    if too_far:
        raise SpecificationError(
            f"shift {too_far} leaves no pre-period: moving the latest cohort {int(latest)} "
            f"back that far reaches the first period {first}. Use shifts up to "
            f"{int(latest - first - 1)}."
        )
    return tuple(int(k) for k in shifts)


def _validate(result, panel, kind, n_draws, restricted, fast, term, progress) -> str:
    from ..estimators.registry import REGISTRY

    check({"result": ResultArg(), "panel": PANEL}, result=result, panel=panel)
    check_result_panel(result, panel)
    if result.method not in REGISTRY or not REGISTRY[result.method].supports("placebo"):
        known = sorted(n for n, s in REGISTRY.items() if s.supports("placebo"))
        raise SpecificationError(
            f"A placebo test re-estimates the result, so it needs an estimator of the library "
            f"({', '.join(known)}); got a {result.method!r} result.")
    check({"kind": Choice(KINDS), "n_draws": _POSITIVE, "restricted": FLAG,
           "fast": Boolean(allow_none=True), "progress": Boolean(allow_none=True)},
          kind=kind, n_draws=n_draws, restricted=restricted, fast=fast, progress=progress)
    check_columns(panel.data, [result.outcome], what="Outcome column")
    term = result.primary if term is None else term
    if term is None:
        raise SpecificationError(
            f"The {result.method} result has no primary term; name the coefficient to test, "
            f"e.g. term={result.terms[0]!r} (terms: {examples(result.terms)}), or aggregate "
            "it first.")
    if term not in result.estimate.index:
        raise SpecificationError(
            f"Unknown term {term!r}; the result's terms are {examples(result.terms, 12)}.")
    if not np.isfinite(panel.cohort).any():
        raise PanelError("The panel has no treated unit, so there is no assignment to "
                         "permute. Check the cohorts given to build_panel.")
    if kind == "in_space" and np.unique(panel.cohort).size < 2:
        raise SpecificationError(
            "Every unit has the same cohort, so permuting cohorts across units changes "
            "nothing. Use kind='mixed' (random dates) or kind='in_time'.")
    return term


# ------------------------------------------------------------------------ public
def placebo(
    result: Result,
    panel: Panel,
    *,
    kind: PlaceboKind = "in_space",
    n_draws: int = 500,
    shift: int | list[int] | None = None,
    restricted: bool = True,
    seed: int | np.random.SeedSequence | None = None,
    n_jobs: int = 1,
    backend: str | None = None,
    client=None,
    progress: bool | None = None,
    fast: bool | None = None,
    term: str | None = None,
    restrict: Literal["cohort"] | None = None,
    cohort: float | None = None,
) -> HypothesisTest:
    """Placebo test of a result: in space, in time, or mixed (random units and dates).

    Parameters
    ----------
    result : Result
        A result of any estimator of the library, estimated on ``panel``.
    panel : Panel
        The panel the result was estimated on.
    kind : {"in_space", "in_time", "mixed"}
        ``"in_space"``: each draw permutes the units' cohorts (never-treated included)
        across units, so every cohort keeps its size. ``"in_time"``: every cohort's date
        moves back by ``shift`` periods, on the sample without post-treatment rows (see
        Notes); deterministic, no draws. ``"mixed"``: random units and random dates (see
        ``restricted``).
    n_draws : int
        Placebo draws (``in_space``, ``mixed``); default 500.
    shift : int or list of int, optional
        ``in_time`` only: periods to move the dates back (default 1); a list runs one
        placebo per shift.
    restricted : bool
        ``mixed`` only. True (default): keep the cohort structure -- as many cohorts as the
        real design with the same sizes ``N_1..N_G`` (in chronological order), at ``G``
        distinct dates drawn without replacement, units drawn at random. False: as many
        placebo-treated units as really treated, each with its own date drawn uniformly.
        Dates are drawn from the observed periods after the first one (so every
        placebo-treated unit has a pre-period and a treated period).
    seed : int, SeedSequence or None
        Draw ``b`` uses child ``b`` of ``SeedSequence(seed)``; None draws fresh entropy,
        recorded in ``details["seed"]``.
    n_jobs, backend, client, progress
        Parallel execution of the slow path, as :func:`did_zones.resample.cluster_bootstrap`
        (joblib workers and backend, a Dask client, the progress line). The results do not
        depend on them.
    fast : bool or None
        Use the Frisch–Waugh–Lovell fast path (``twfe`` without a treatment column;
        ``event_study`` without a trimmed window). None uses it when it applies; True
        raises when it does not; False always re-estimates.
    term : str, optional
        Coefficient to test; default ``result.primary`` (any term of an event study).
    restrict : {"cohort"} or None
        ``in_space`` only. ``"cohort"``: randomization inference restricted to the treated
        cohort(s) -- only the units of the tested cohort (``cohort``; every treated unit
        when None) and the never-treated units exchange their exact dates, cohort sizes
        kept; the other cohorts keep their real dates. When the number ``M`` of distinct
        assignments (the multinomial ``P!/(n_g!·n_never!)`` over the pool of ``P`` units;
        one treated city among 50: 50) is at most ``n_draws``, all of them are enumerated
        and the p-value is exact (see Returns); otherwise ``n_draws`` random assignments
        of the same scheme are drawn.
    cohort : float, optional
        With ``restrict="cohort"``: the cohort (first treated period) whose units move,
        e.g. 2015 for batch 1 (杭州 alone).

    Returns
    -------
    HypothesisTest
        ``statistic``: the real estimate; ``distribution = "randomization"`` and
        ``p_value = details["p_two_sided"]`` for ``in_space`` / ``mixed``. For
        ``in_time``: ``statistic`` is the placebo estimate's own t statistic (of the shift
        with the smallest p-value; the real estimate stays in ``details["estimate"]``),
        ``distribution`` is ``"t"`` (or ``"normal"``) and ``p_value`` is the
        placebo estimate's own p-value (with several shifts, Bonferroni: ``min(1, K·min
        p_k)``). ``details``: ``draws`` (placebo estimates, for plotting), ``p_left``,
        ``p_right``, ``p_two_sided`` and their ``*_plus1`` versions, ``estimate``, ``term``,
        ``kind``, ``n_draws``, ``n_failed``, ``failed`` (first messages), ``seed``,
        ``spawn_key``, ``fast_path``, ``n_slow`` (draws re-estimated by the slow path),
        ``shift``, ``restricted``; for ``in_time`` also ``table`` (per shift: estimate,
        std_error, p_value, n_obs, n_rows_dropped, n_units_dropped).
        With ``restrict="cohort"`` also ``restrict``, ``cohort``, ``n_assignments`` (M)
        and ``exact``; when ``exact`` the draws are the ``M − 1`` assignments other than
        the real one, ``n_draws = M − 1``, and ``p_value = p_two_sided_plus1 =
        #(|d| ≥ |θ̂|, real included)/M``: the exact randomization p-value.

    Raises
    ------
    SpecificationError
        Unknown ``kind`` or ``term``, ``n_draws < 1``, bad ``shift`` (not positive, or so
        large that no cohort keeps a pre-period), ``fast=True`` where the fast path does
        not apply, an in-space permutation that cannot change anything, or ``result``
        estimated on another panel than ``panel`` (see :attr:`Panel.fingerprint`);
        ``restrict="cohort"`` with another kind than ``in_space``, an unknown ``cohort``,
        ``cohort`` without ``restrict``, or a pool with a single cohort.
    PanelError
        No treated unit.

    Warns
    -----
    InferenceWarning
        Draws that failed (e.g. an estimator with no comparison group), recorded as NaN,
        counted in ``n_failed`` and left out of the p-values.

    Notes
    -----
    p-values (``didplacebo``'s definitions): with ``B`` valid draws ``d_b`` and the real
    estimate ``θ̂``, ``p_two_sided = #(|d_b| ≥ |θ̂|)/B``, ``p_left = #(d_b ≤ θ̂)/B``,
    ``p_right = #(d_b ≥ θ̂)/B``; the real assignment is not counted. The ``*_plus1``
    versions, ``(# + 1)/(B + 1)``, count it (exact size under the sharp null).

    In-time rows: every row of an ever-treated unit at or after its real first treated
    period is dropped (post-treatment observations), and every unit whose moved date falls
    at or before the panel's first period loses all its rows (no pre-period). Never-treated
    units keep every row. Both counts are in ``details["table"]``. The sample is then
    unbalanced, so an estimator that would balance it by dropping units (Callaway–Sant'Anna
    with ``allow_unbalanced`` None/False would drop every treated unit) runs with
    ``allow_unbalanced=True``.

    Options changed in the draws are listed in ``details["overrides"]``: the estimator's own
    bootstrap is switched off (``n_boot=None``; only point estimates are used).

    Reproducibility: assignment ``b`` depends only on child ``b`` of the seed, and results
    are stored by draw index, so they are identical for any ``n_jobs``, backend or Dask
    client. The fast path computes the same estimates as re-estimation (to rounding,
    ~1e-12): its draws equal the slow path's, and any draw whose regression would differ in
    form (a missing or extra event-time indicator, a collinear term) is re-estimated.

    References
    ----------
    陈强, 齐霁, 颜冠鹏 (2025). 双重差分法的安慰剂检验. 管理世界 41(2), 181–220.
    Chen, Q., Qi, J. & Yan, G. Stata command ``didplacebo``.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.twfe(panel, "isu")
    >>> test = placebo(res, panel, n_draws=199, seed=7)
    >>> test.details["draws"].shape, test.details["fast_path"]
    ((199,), True)
    """
    term = _validate(result, panel, kind, n_draws, restricted, fast, term, progress)
    check_n_jobs(n_jobs, client)
    ss = seed_sequence(seed)
    if kind != "in_time" and shift is not None:
        raise SpecificationError(f"shift is for kind='in_time' only; got kind={kind!r}.")
    pool, n_assign, exact = _check_restrict(restrict, cohort, kind, panel, n_draws)
    overrides = {"n_boot": None} if result.spec.get("n_boot") else {}
    estimate = float(result.estimate[term])
    job = _Job(result, panel, term, kind, bool(restricted), overrides, pool=pool)
    run = {"n_jobs": n_jobs, "backend": backend, "client": client, "progress": progress}
    if kind == "in_time":
        if fast:
            raise SpecificationError(
                "fast=True: in-time placebos change the sample, so the fast path does not "
                "apply; use fast=None.")
        if "allow_unbalanced" in result.spec and not result.spec["allow_unbalanced"]:
            # balancing would drop every treated unit (they lose their post-treatment rows)
            job = replace(job, overrides={**overrides, "allow_unbalanced": True})
        return _in_time(job, _check_shifts(shift, panel), estimate, run)

    plan, why = (None, "fast=False") if fast is False else fwl_plan(result, panel, term)
    if fast and plan is None:
        raise SpecificationError(f"fast=True, but the fast path does not apply: {why}. "
                                 "Use fast=None to re-estimate every draw.")
    if exact:  # every distinct assignment but the real one
        every = enumerate_cohort_assignments(panel.cohort, pool)
        real = np.all(every == panel.cohort, axis=1)
        children = list(every[~real])
        n_draws = len(children)
    else:
        children = ss.spawn(int(n_draws))
    label = f"placebo ({kind})"
    if plan is not None:
        dates = _dates(panel)
        cohorts = np.stack(children) if exact else np.stack(
            [_assign(kind, c, panel.cohort, dates, bool(restricted), pool) for c in children])
        values, redo = fwl_draws(plan, cohorts)
        slow_idx = np.flatnonzero(redo)
    else:
        values = np.full(int(n_draws), np.nan)
        slow_idx = np.arange(int(n_draws))
    failed: list[tuple[int, str]] = []
    if slow_idx.size:
        vals, fails = run_batches(_draw_batch, job, slow_idx.size, 1,
                                  [children[i] for i in slow_idx], label=label, **run)
        values[slow_idx] = vals[:, 0]
        failed = [(int(slow_idx[i]), msg) for i, msg in fails]
    _warn_failed(failed, int(n_draws))
    values.setflags(write=False)
    p = randomization_p_values(values, estimate)
    details = {"draws": values, **p, "estimate": estimate, "term": term, "kind": kind,
               "n_draws": int(n_draws), "n_failed": len(failed),
               "failed": tuple(failed[:5]), "seed": None if exact else ss.entropy,
               "spawn_key": () if exact else tuple(ss.spawn_key),
               "fast_path": plan is not None,
               "n_slow": int(slow_idx.size), "shift": None, "overrides": dict(overrides),
               "restricted": bool(restricted) if kind == "mixed" else None}
    what = kind.replace("_", "-") + ("" if kind != "mixed" else
                                      " restricted" if restricted else " unrestricted")
    p_value = p["p_two_sided"]
    if restrict is not None:
        details.update({"restrict": restrict, "cohort": cohort, "n_assignments": n_assign,
                        "exact": exact})
        what += " cohort-restricted" + (" exact" if exact else "")
        if exact:  # the real assignment counted once among all M: the exact p-value
            p_value = p["p_two_sided_plus1"]
    return HypothesisTest(name=f"{what} placebo: {result.method} {term}",
                          statistic=estimate, p_value=p_value, df=None,
                          distribution="randomization", details=details)


def _check_restrict(restrict, cohort, kind, panel: Panel, n_draws: int):
    """Pool of moved units, number of distinct assignments, enumerate or not."""
    if restrict is None:
        if cohort is not None:
            raise SpecificationError(
                f"cohort={cohort!r} is for restrict='cohort' only; add restrict='cohort'.")
        return None, None, False
    Choice(("cohort",))("restrict", restrict)
    if kind != "in_space":
        raise SpecificationError(
            f"restrict='cohort' reassigns the real dates among units, so it needs "
            f"kind='in_space'; got kind={kind!r}.")
    if cohort is not None and not np.isin(cohort, panel.cohorts):
        raise SpecificationError(
            f"cohort {cohort!r} is not a cohort of the panel; its cohorts are "
            f"{examples(panel.cohorts, 12)}.")
    pool = _cohort_pool(panel, cohort)
    if np.unique(panel.cohort[pool]).size < 2:
        raise SpecificationError(
            "The cohort-restricted pool has a single cohort (no never-treated unit to "
            "exchange dates with), so no assignment differs from the real one. Add "
            "never-treated units or drop restrict.")
    total = n_cohort_assignments(panel.cohort, pool)
    return pool, total, total <= int(n_draws)


def _in_time(job: _Job, shifts: tuple[int, ...], estimate: float, run: dict) -> HypothesisTest:
    vals, fails = run_batches(_shift_batch, replace(job, shifts=shifts), len(shifts), 4, None,
                              label="placebo (in_time)", **run)
    _warn_failed(fails, len(shifts))
    counts = [_in_time_sample(job.panel, k)[2:] for k in shifts]
    table = pd.DataFrame({
        "shift": shifts, "estimate": vals[:, 0], "std_error": vals[:, 1],
        "p_value": vals[:, 2], "n_obs": pd.array(
            [None if np.isnan(v) else int(v) for v in vals[:, 3]], dtype="Int64"),
        "n_rows_dropped": [c[0] for c in counts], "n_units_dropped": [c[1] for c in counts],
    })
    ok = np.isfinite(vals[:, 2])
    p = float(min(1.0, ok.sum() * vals[ok, 2].min())) if ok.any() else np.nan
    # the reported statistic is the placebo's own t of the shift with the smallest p-value
    t_stats = vals[:, 0] / vals[:, 1]
    statistic = float(t_stats[np.flatnonzero(ok)[np.argmin(vals[ok, 2])]]) if ok.any() \
        else np.nan
    draws = vals[:, 0].copy()
    draws.setflags(write=False)
    details = {"draws": draws, "table": table, "estimate": estimate, "term": job.term,
               "kind": "in_time", "n_draws": len(shifts), "n_failed": len(fails),
               "failed": tuple(fails[:5]), "seed": None, "spawn_key": (),
               "fast_path": False, "n_slow": len(shifts), "shift": shifts, "restricted": None,
               "overrides": dict(job.overrides)}
    dist = "t" if job.result.df else "normal"
    return HypothesisTest(
        name=f"in-time placebo (shift {', '.join(map(str, shifts))}): "
             f"{job.result.method} {job.term}",
        statistic=statistic, p_value=p, df=job.result.df, distribution=dist, details=details)


def _warn_failed(failed: list[tuple[int, str]], total: int) -> None:
    warn_failed_draws(failed, total, "placebo draw(s)", "were left out of the p-values",
                      "Many failures mean the estimator needs features the placebo "
                      "assignments lack (e.g. never-treated units).")
