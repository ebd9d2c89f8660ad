"""Seeded, batched parallel evaluation of many draws (bootstrap, placebo, jackknife).

One engine for every resampling routine of the package:

- Reproducibility: draw ``b`` takes its randomness from child ``b`` of one
  :class:`numpy.random.SeedSequence` (:func:`seed_sequence`, then ``.spawn(n)``), so a draw
  does not depend on how the draws are split between workers.
- Batching: the draws are cut into contiguous batches (20 in process, ``4 × workers`` in
  parallel) and each batch is one task; results are stored by draw index, so the order of
  completion never matters.
- Execution: in process, on joblib workers (``n_jobs``, ``backend``) or on a Dask cluster
  (``client``; the large shared object is scattered once to every worker). With ``n_jobs``
  the first batch runs in process and is timed: when all draws would take less than
  ``PARALLEL_AFTER`` seconds in process, the rest run in process too (starting workers would
  cost more than it saves), and a note says so.
- A one-line progress report on stderr (no dependency), switched on automatically when the
  first batch predicts a run longer than two seconds.

A batch function has the signature ``batch(shared, lo, children, count) -> (values,
failed)``: it evaluates draws ``lo .. lo + count - 1`` (with ``children`` the seed children
of those draws, or None for deterministic draws such as the jackknife) and returns a
``(count, k)`` float array and a list of ``(draw index, message)`` for failed draws. It must
be a picklable top-level function for process workers.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .errors import DidZonesWarning, SpecificationError

__all__ = ["seed_sequence", "check_n_jobs", "quiet", "run_batches"]

PROGRESS_AFTER = 2.0  # seconds of estimated run time above which progress is shown
# Seconds of estimated in-process run time below which n_jobs > 1 is not worth it: starting
# loky workers and sending them the panel costs ~1-5 s (measured: a 0.4 s mediation
# bootstrap took 5.5 s with n_jobs=2 on 2 cores). Below this, parallel at best saves a
# few seconds and at worst loses many, so the draws run in process.
PARALLEL_AFTER = 5.0

BatchFn = Callable[[Any, int, "Sequence[np.random.SeedSequence] | None", int],
                   "tuple[np.ndarray, list[tuple[int, str]]]"]


# ------------------------------------------------------------------------ seeds
def seed_sequence(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    """A fresh :class:`~numpy.random.SeedSequence` from an int, a SeedSequence or None.

    A SeedSequence passed in is copied (same entropy, spawn key and pool size), so its
    children are the same however often the caller's object has spawned before. None draws
    fresh entropy (recorded in ``.entropy``).

    Raises
    ------
    SpecificationError
        A negative int, a bool or any other type.
    """
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key,
                                      pool_size=seed.pool_size)
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
                        and seed >= 0):
        return np.random.SeedSequence(None if seed is None else int(seed))
    raise SpecificationError(
        f"seed must be a non-negative int, a numpy SeedSequence or None; got {seed!r}."
    )


def check_n_jobs(n_jobs, client) -> None:
    """Validate ``n_jobs`` (ignored when a Dask ``client`` is given)."""
    if client is None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer))
                           or n_jobs == 0):
        raise SpecificationError(
            f"n_jobs must be a non-zero int (1 = sequential, -1 = all cores); got {n_jobs!r}."
        )


# ------------------------------------------------------------------------ warnings
_quiet_lock = threading.Lock()
_quiet_state: dict = {"depth": 0, "saved": None}


@contextmanager
def quiet():
    """Silence did_zones warnings inside draws; reference-counted so threads may nest."""
    with _quiet_lock:
        if _quiet_state["depth"] == 0:
            _quiet_state["saved"] = warnings.filters[:]
            warnings.filterwarnings("ignore", category=DidZonesWarning)
        _quiet_state["depth"] += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_state["depth"] -= 1
            if _quiet_state["depth"] == 0:
                warnings.filters[:] = _quiet_state["saved"]
                # invalidate the warning registries, as catch_warnings does
                getattr(warnings, "_filters_mutated", lambda: None)()


# ------------------------------------------------------------------------ progress
class Progress:
    """One stderr line, redrawn at most every quarter second (no dependency)."""

    def __init__(self, total: int, label: str, enabled: bool):
        self.total, self.label, self.enabled = total, label, enabled
        self.done, self.start, self.last = 0, time.perf_counter(), 0.0

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 0.25 and self.done < self.total:
            return
        self.last = now
        spent = now - self.start
        left = spent / self.done * (self.total - self.done) if self.done else float("nan")
        sys.stderr.write(f"\r{self.label}: {self.done}/{self.total} "
                         f"({100 * self.done / self.total:.0f}%), {spent:.1f} s, "
                         f"~{left:.0f} s left ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# ------------------------------------------------------------------------ engine
def run_batches(
    batch: BatchFn,
    shared: Any,
    n_draws: int,
    k: int,
    children: Sequence[np.random.SeedSequence] | None = None,
    *,
    n_jobs: int = 1,
    backend: str | None = None,
    client=None,
    progress: bool | None = None,
    label: str = "draws",
    notes: list[str] | None = None,
) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Evaluate ``n_draws`` draws in batches, in process, on joblib workers or on Dask.

    Parameters
    ----------
    batch : callable
        ``batch(shared, lo, children, count) -> (values, failed)``, see the module notes.
    shared : object
        Passed to every batch (e.g. the panel); scattered once to the workers of a Dask
        ``client``. Must be picklable for process workers.
    n_draws : int
        Number of draws (>= 1).
    k : int
        Length of the statistic of one draw (columns of the returned array).
    children : sequence of SeedSequence, optional
        Seed child of every draw (``len == n_draws``); a batch receives its slice.
    n_jobs, backend : int, str
        joblib workers (1 = in process, -1 = all cores) and backend (loky by default).
        Ignored when ``client`` is given.
    client : dask.distributed.Client, optional
        Run the batches on this Dask cluster.
    progress : bool or None
        Progress line on stderr; None shows it when the first batch predicts a run longer
        than two seconds.
    label : str
        Name shown on the progress line.
    notes : list of str, optional
        Receives a note when ``n_jobs`` was not used because the draws are quick.

    Returns
    -------
    values : (n_draws, k) numpy.ndarray
        NaN where a draw failed.
    failed : list of (int, str)
        Failed draws and their messages, in draw order.

    Raises
    ------
    SpecificationError
        ``client`` is not a Dask client.
    """
    if client is not None:
        if not (hasattr(client, "submit") and hasattr(client, "scatter")):
            raise SpecificationError(
                f"client must be a dask.distributed.Client; got {type(client).__name__}."
            )
        workers = max(1, sum(client.nthreads().values()))
    else:
        import joblib

        workers = joblib.effective_n_jobs(n_jobs)
    bar = Progress(n_draws, label, bool(progress))
    n_batches = min(n_draws, 20 if workers == 1 else 4 * workers)
    bounds = np.linspace(0, n_draws, n_batches + 1).astype(int)
    batches = list(zip(bounds[:-1], bounds[1:], strict=True))  # strictly increasing

    def args(lo, hi):
        return (int(lo), None if children is None else children[lo:hi], int(hi - lo))

    if client is not None:
        results = _dask_results(client, batch, shared, batches, args)
    elif workers == 1:
        results = (batch(shared, *args(lo, hi)) for lo, hi in batches)
    else:
        results = _adaptive_results(batch, shared, batches, args, n_jobs, backend, n_draws,
                                    label, notes)
    values = np.full((n_draws, k), np.nan)
    failed: list[tuple[int, str]] = []
    try:
        with quiet():
            for i, ((lo, hi), (vals, fails)) in enumerate(zip(batches, results, strict=True)):
                values[lo:hi] = vals
                failed += fails
                if i == 0 and progress is None:  # decide from the first batch's time
                    spent = time.perf_counter() - bar.start
                    bar.enabled = spent * len(batches) / min(workers, len(batches)) > (
                        PROGRESS_AFTER)
                bar.update(hi - lo)
    finally:
        bar.close()
    return values, failed


def _adaptive_results(batch, shared, batches, args, n_jobs, backend, n_draws, label, notes):
    """The first batch in process, timed; the rest on workers only if worth starting them."""
    lo, hi = batches[0]
    start = time.perf_counter()
    yield batch(shared, *args(lo, hi))
    estimate = (time.perf_counter() - start) * n_draws / (hi - lo)
    if estimate >= PARALLEL_AFTER or len(batches) == 1:
        yield from _joblib_results(batch, shared, batches[1:], args, n_jobs, backend)
        return
    if notes is not None:
        notes.append(f"n_jobs={n_jobs} not used: the {n_draws} {label} take about "
                     f"{estimate:.1f} s in one process, less than starting workers costs; "
                     "they ran in process.")
    for lo, hi in batches[1:]:
        yield batch(shared, *args(lo, hi))


def _joblib_results(batch, shared, batches, args, n_jobs, backend):
    import joblib

    tasks = [joblib.delayed(batch)(shared, *args(lo, hi)) for lo, hi in batches]
    try:
        runner = joblib.Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")
    except TypeError:  # joblib < 1.3: no streaming, results arrive at the end
        runner = joblib.Parallel(n_jobs=n_jobs, backend=backend)
    return runner(tasks)


def _dask_results(client, batch, shared, batches, args):
    try:
        import dask.distributed  # noqa: F401  (only to fail early with a clear message)
    except ImportError:  # pragma: no cover - a Client cannot exist without it
        raise ImportError(
            "client= needs dask.distributed; install it with pip install 'dask[distributed]'."
        ) from None
    remote = client.scatter(_Box(shared), broadcast=True, hash=False)
    futures = [client.submit(_unbox_call, batch, remote, *args(lo, hi), pure=False)
               for lo, hi in batches]
    return (f.result() for f in futures)


class _Box:
    """Holds the shared object so Dask scatters it as one piece (never element-wise)."""

    def __init__(self, value):
        self.value = value


def _unbox_call(batch, box: _Box, lo, children, count):
    return batch(box.value, lo, children, count)
