"""The benchmark harness (benchmarks/run_all.py) still runs and reports what it measured.

Timings are not asserted (speed lives in benchmarks/RESULTS.md); this guards the harness
itself: every did_zones task runs on a small panel, the table has one row per task, missing
peers are listed, and the agreement check flags differences above 1e-8.
"""

import importlib
import sys

import numpy as np
from conftest import repository_file

BENCH = repository_file("benchmarks/run_all.py").parent
sys.path.insert(0, str(BENCH))
run_all = importlib.import_module("run_all")


def test_harness_runs_every_task_without_peers(tmp_path):
    logged = []
    rows, versions, notes = run_all.run([(60, 10)], 1, tmp_path / "no_peers", logged.append)
    tasks = [task for _, task, _, _ in rows]
    expected = [t for t in run_all.TASKS if t != "placebo1000_dask"]
    assert [t for t in tasks if t != "placebo1000_dask"] == expected
    for _, task, res, reps in rows:
        assert set(res) == {"did_zones"} and reps == 1
        ours = res["did_zones"]
        assert ours["seconds"] > 0 and ours["mem_mb"] > 0
        assert np.isfinite(ours["att"])
        if task in run_all.CHECKED:
            assert ours["se"] > 0
    assert versions == {}
    assert notes == [f"peer {p}: venv not found, skipped" for p in run_all.PEERS]
    md = run_all.markdown(rows, versions, notes, 1, "60x10")
    assert "## 60 units × 10 periods (600 rows)" in md
    for task in tasks:
        assert f"| {run_all.TASKS[task]} |" in md
    assert len(logged) == len(rows)


def test_agreement_check_flags_differences_above_1e_8():
    ours = {"att": 0.5, "se": 0.1}
    same = run_all._compare("x", "pyfixest", ours, {"att": 0.5 * (1 + 1e-12), "se": 0.1})
    assert len(same) == 2 and not any(s.startswith("MISMATCH") for s in same)
    off = run_all._compare("x", "linearmodels", ours, {"att": 0.5, "se": 0.105})
    assert not off[0].startswith("MISMATCH") and off[1].startswith("MISMATCH")
    assert "degrees of freedom" in off[1]  # the documented reason travels with the flag
    assert run_all._compare("x", "csdid", ours, {"att": 0.5, "se": None})[0].endswith(
        "(rel 0.0e+00)")


def test_large_panels_run_only_the_acceptance_tasks():
    assert set(run_all.LARGE_TASKS) <= set(run_all.TASKS)
    assert {"twfe", "cs_analytic", "cs_boot999"} <= set(run_all.LARGE_TASKS)
    assert set(run_all.PEER_PACKAGES) == set(run_all.PEERS)
