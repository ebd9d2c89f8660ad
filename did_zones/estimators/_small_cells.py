"""Estimates that rest on few treated units: the threshold, the marks, the warning, pooling.

One rule for the staggered estimators (Callaway–Sant'Anna and its aggregations,
Sun–Abraham, BJS imputation, did2s, dCDH). A term *rests on* the distinct treated units
whose outcomes identify it (a cohort's units; for an event time, the units of every cohort
observed at that event time). When that number is below ``min_cohort_size`` (default
:data:`DEFAULT_MIN_COHORT_SIZE`, the report's ``diagnostics.THRESHOLDS["min_cohort_units"]``)
the term's cluster-robust or influence-function standard error is unreliable: with one
treated unit its variance is estimated from that unit's own residuals, which the fit has
pulled towards zero, and a nominal 5% test rejects a true null most of the time.

``small_cells`` says what the aggregations do with such terms:

``"flag"`` (default)
    Estimate everything; mark the terms (``keys["small_cell"]``, ``keys["n_treated_units"]``)
    and warn.
``"exclude"``
    Leave the cohorts smaller than ``min_cohort_size`` out of every average (zero weight),
    then drop the event times (periods) that still rest on fewer units.
``"pool"``
    Merge each small group with a neighbour along the aggregation's own axis (event time,
    cohort or period; :func:`pool_adjacent`) until every pooled group rests on at least
    ``min_cohort_size`` units; a pooled term is named by its range (``"ATT(e=4..5)"``).

The functions here hold the rule; the estimators apply it to their own cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd

from ..errors import SmallCohortWarning, warn
from ..validation import Choice, Integer

__all__ = [
    "DEFAULT_MIN_COHORT_SIZE", "SMALL_CELLS", "SmallCells", "CRV1_REJECTION",
    "check_small_cells", "understatement", "small_cell_message", "warn_small_cells",
    "mark_small", "pool_adjacent", "range_label", "exclusion_note", "pooling_note",
]

SmallCells = Literal["flag", "exclude", "pool"]
SMALL_CELLS: tuple[str, ...] = get_args(SmallCells)
DEFAULT_MIN_COHORT_SIZE = 5

# Rejection rate of a nominal 5% cluster-robust (CRV1) t-test of a true null with this many
# treated clusters of 50 (1,000 replications; benchmarks/size_wild_bootstrap.py, RESULTS in
# benchmarks/README.md): how badly the standard error is understated, in the one number a
# reader can act on.
CRV1_REJECTION: Mapping[int, float] = {1: 0.777, 3: 0.19, 6: 0.117}


def check_small_cells(min_cohort_size: int, small_cells: str) -> tuple[int, str]:
    """Validate the two options (clear :class:`~did_zones.errors.SpecificationError`)."""
    k = Integer(min=1, hint="Use 5 (the default) or more; 1 turns the marks off.")(
        "min_cohort_size", min_cohort_size)
    policy = Choice(SMALL_CELLS)("small_cells", small_cells)
    return int(k), str(policy)


def understatement(n_units: int) -> str:
    """How far a nominal 5% test can be off with ``n_units`` treated units, as a clause."""
    known = sorted(CRV1_REJECTION)
    near = max((n for n in known if n <= max(int(n_units), 1)), default=known[0])
    rate = CRV1_REJECTION[near]
    return (f"with {near} treated cluster{'s' if near > 1 else ''} a nominal 5% "
            f"cluster-robust test rejects a true null {rate:.0%} of the time "
            "(benchmarks/size_wild_bootstrap.py)")


def small_cell_message(estimator: str, counts: Mapping[str, int], k: int,
                       policy: str) -> str:
    """The warning for terms resting on fewer than ``k`` treated units (term → units)."""
    items = list(counts.items())
    shown = ", ".join(f"{term}: {n}" for term, n in items[:6])
    if len(items) > 6:
        shown += f", ... ({len(items) - 6} more)"
    fewest = min(n for _, n in items)
    action = {
        "flag": ("They are marked in keys['small_cell']; pass small_cells='exclude' or "
                 "'pool' to leave them out of the averages or pool them with neighbours"),
        "exclude": "Cohorts below the threshold are left out of the averages "
                   "(small_cells='exclude')",
        "pool": "Small groups are pooled with their neighbours (small_cells='pool'); "
                "the terms listed still rest on too few units",
    }[policy]
    return (f"{estimator}: {len(items)} term(s) rest on fewer than {k} treated units "
            f"(term: units) — {shown}. Their standard errors are unreliable and can be "
            f"understated several-fold: {understatement(fewest)}. {action}; for their "
            "inference use few_treated_inference(result, panel) (randomization restricted to the "
            "cohort, or the wild cluster bootstrap from 6 treated clusters).")


def warn_small_cells(estimator: str, counts: Mapping[str, int], k: int,
                     policy: str) -> str | None:
    """Warn (:class:`~did_zones.errors.SmallCohortWarning`) about the small terms in
    ``counts`` (term → units, already filtered) and return the message for ``notes``."""
    if not counts:
        return None
    message = small_cell_message(estimator, counts, k, policy)
    warn(message, SmallCohortWarning)
    return message


def mark_small(keys: pd.DataFrame, n_treated_units: Sequence[float] | np.ndarray,
               k: int) -> pd.DataFrame:
    """``keys`` with ``n_treated_units`` and ``small_cell`` (units < ``k``; False where the
    count is unknown, e.g. NaN for an average over every term)."""
    out = keys.copy()
    n = np.asarray(n_treated_units, dtype=float)
    out["n_treated_units"] = pd.array([int(v) if np.isfinite(v) else pd.NA for v in n],
                                      dtype="Int64")
    out["small_cell"] = np.isfinite(n) & (n < k)
    return out


def pool_adjacent(labels: Sequence[float], members: Sequence[Iterable], sizes: Mapping,
                  k: int, blocks: Sequence | None = None) -> np.ndarray:
    """Group ids that pool adjacent labels until each group rests on at least ``k`` units.

    Parameters
    ----------
    labels : sequence of numbers
        The aggregation axis (event times, cohorts or periods), sorted ascending.
    members : sequence of iterables
        For each label, the cohorts (or any unit groups) that identify it.
    sizes : mapping
        Units of each cohort in ``members``; a group rests on the sum over the distinct
        cohorts of its labels.
    k : int
        Threshold.
    blocks : sequence, optional
        A block id per label; labels are only pooled within a block (e.g. pre- and
        post-treatment event times are never pooled together).

    Returns
    -------
    numpy.ndarray
        One group id per label (0, 1, ... in label order). The rule, applied until no
        group changes: the smallest group below ``k`` (the earliest on ties) merges with
        the adjacent group in its block that rests on more units (the later on ties). A
        block whose units all together stay below ``k`` ends as one group.
    """
    n = len(labels)
    block = np.zeros(n, dtype=int) if blocks is None else pd.factorize(pd.Index(blocks))[0]
    groups: list[list[int]] = [[i] for i in range(n)]

    def units(group: list[int]) -> int:
        cohorts = set().union(*(set(members[i]) for i in group))
        return int(sum(sizes[c] for c in cohorts))

    while True:
        counts = [units(g) for g in groups]
        order = sorted(range(len(groups)), key=lambda j: (counts[j], j))
        merged = False
        for j in order:
            if counts[j] >= k:
                break  # every later group in ``order`` is large enough too
            neighbours = [m for m in (j - 1, j + 1) if 0 <= m < len(groups)
                          and block[groups[m][0]] == block[groups[j][0]]]
            if not neighbours:
                continue  # alone in its block: stays small
            m = max(neighbours, key=lambda m: (counts[m], m))
            lo, hi = sorted((j, m))
            groups[lo:hi + 1] = [groups[lo] + groups[hi]]
            merged = True
            break
        if not merged:  # no small group has a neighbour left to merge with
            break
    out = np.empty(n, dtype=int)
    for g, members_ in enumerate(groups):
        out[members_] = g
    return out


def range_label(values: Sequence[float]) -> str:
    """``"4"`` for one value, ``"4..5"`` for a pooled range (integers shown without .0)."""
    vals = [int(v) if float(v).is_integer() else v for v in values]
    lo, hi = min(vals), max(vals)
    return f"{lo}" if lo == hi else f"{lo}..{hi}"


def exclusion_note(estimator: str, cohorts: Sequence, n_units: int, k: int, how: str,
                   dropped: Sequence[str] = ()) -> str:
    """The note of ``small_cells="exclude"``: which cohorts (and units) were left out, how
    (``how``: a clause of the estimator), and which terms were dropped as a consequence."""
    shown = ", ".join(f"{float(c):g}" for c in list(cohorts)[:6])
    if len(cohorts) > 6:
        shown += f", ... ({len(cohorts) - 6} more)"
    note = (f"{estimator}: small_cells='exclude' leaves out {len(cohorts)} cohort(s) with "
            f"fewer than {k} treated units, [{shown}] ({n_units} unit(s)): {how}.")
    if dropped:
        names = ", ".join(str(d) for d in list(dropped)[:6])
        if len(dropped) > 6:
            names += f", ... ({len(dropped) - 6} more)"
        note += (f" {len(dropped)} term(s) dropped for resting on fewer than {k} treated "
                 f"units: [{names}].")
    return note


def pooling_note(estimator: str, pooled: Sequence[str], k: int) -> str:
    """The note of ``small_cells="pool"`` naming the pooled terms."""
    names = ", ".join(str(p) for p in list(pooled)[:6])
    if len(pooled) > 6:
        names += f", ... ({len(pooled) - 6} more)"
    return (f"{estimator}: small_cells='pool' pooled adjacent event times until each term "
            f"rests on at least {k} treated units (or its block has no more): "
            f"{len(pooled)} pooled term(s), [{names}].")
