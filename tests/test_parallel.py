"""did_zones._parallel.run_batches: quick draws stay in process whatever n_jobs (issue #14:
a 0.4 s mediation bootstrap took 5.5 s with n_jobs=2 on 2 cores, all of it starting
workers); slow draws go to the workers; the draws never depend on where they ran."""

from __future__ import annotations

import os

import numpy as np

from did_zones import _parallel
from did_zones._parallel import run_batches, seed_sequence


def _draws(shared, lo, children, count):
    values = np.array([[np.random.default_rng(c).normal() + shared, os.getpid()]
                       for c in children])
    return values, []


def test_quick_draws_run_in_process_and_say_so():
    children = seed_sequence(1).spawn(40)
    notes: list[str] = []
    values, failed = run_batches(_draws, 0.0, 40, 2, children, n_jobs=2, notes=notes,
                                 label="bootstrap draws")
    assert not failed and (values[:, 1] == os.getpid()).all()
    assert len(notes) == 1 and notes[0].startswith(
        "n_jobs=2 not used: the 40 bootstrap draws take about 0.0 s in one process")


def test_slow_draws_use_workers_with_the_same_draws(monkeypatch):
    children = seed_sequence(1).spawn(40)
    serial, _ = run_batches(_draws, 0.0, 40, 2, children, n_jobs=1)
    monkeypatch.setattr(_parallel, "PARALLEL_AFTER", 0.0)  # every run counts as slow
    notes: list[str] = []
    values, _ = run_batches(_draws, 0.0, 40, 2, children, n_jobs=2, notes=notes)
    np.testing.assert_array_equal(values[:, 0], serial[:, 0])
    assert not notes
    assert (values[:, 1] != os.getpid()).any()  # the later batches ran on workers
