"""The benchmark harness (benchmarks/run_all.py) still runs and reports what it measured.

Timings are not asserted (speed lives in benchmarks/RESULTS.md); this guards the harness
itself: every did_zones task runs on a small panel in its own process, the table has one row
per task and tool with best, median, cold and peak columns, missing peers are listed, a peer
over the memory budget is not run (and the table says why), and the agreement check flags
differences above 1e-8.
"""

import importlib
import sys

import numpy as np
from conftest import repository_file

BENCH = repository_file("benchmarks/run_all.py").parent
sys.path.insert(0, str(BENCH))
run_all = importlib.import_module("run_all")


def test_harness_runs_every_task_without_peers(tmp_path):
    """did_zones runs in its own fresh process like a peer: cold first call apart, then the
    best and median of the warm calls, and its process's peak memory."""
    logged = []
    rows, versions, notes = run_all.run([(60, 10)], 2, tmp_path / "no_peers", logged.append)
    tasks = [task for _, task, _, _ in rows]
    expected = [t for t in run_all.TASKS if t != "placebo1000_dask"]
    assert [t for t in tasks if t != "placebo1000_dask"] == expected
    for _, task, res, reps in rows:
        assert set(res) == {"did_zones"} and reps == 2
        ours = res["did_zones"]
        assert set(ours) == {"best", "median", "cold", "mem_mb", "att", "se", "version",
                             "test"}
        assert 0 < ours["best"] <= ours["median"] and ours["cold"] > 0 and ours["mem_mb"] > 0
        if task.startswith("wcb_"):  # the wild bootstrap tasks report a test, no ATT
            assert 0 <= ours["test"]["p"] <= 1 and np.isfinite(ours["test"]["t"])
            assert ours["test"]["draws"] >= 1024
            continue
        assert ours["test"] is None
        assert np.isfinite(ours["att"])
        if task in run_all.CHECKED:
            assert ours["se"] > 0
    assert versions == {}
    assert notes == [f"peer {p}: venv not found, skipped" for p in run_all.PEERS]
    md = run_all.markdown(rows, versions, notes, 2, "60x10", "Load average: 1.0.")
    assert "## 60 units × 10 periods (600 rows)" in md and "Load average: 1.0." in md
    assert ("| task | tool | best (s) | median (s) | cold (s) | peak (MiB) | speed-up "
            "(best / median / cold) |") in md
    for task in tasks:
        assert f"| {run_all.TASKS[task]} | did_zones |" in md
    assert len(logged) == len(rows)


def test_table_shows_peers_speed_ups_and_runs_not_made():
    ours = {"best": 0.1, "median": 0.2, "cold": 1.0, "mem_mb": 100.0, "att": 0.3, "se": 0.01}
    peer = {"best": 0.3, "median": 0.5, "cold": 4.0, "mem_mb": 300.0, "att": 0.3, "se": 0.01}
    rows = [((100, 10), "cs_analytic", {"did_zones": ours, "diff-diff": peer}, 5),
            ((100, 10), "sun_abraham", {"did_zones": ours, "diff-diff": {
                "error": "not run: ~20 GiB expected"}}, 5)]
    md = run_all.markdown(rows, {"diff-diff": "3.13.0"}, [], 5, "100x10")
    assert ("| Callaway-Sant'Anna, analytic | did_zones | 0.100 | 0.200 | 1.000 | 100 | "
            "3.0× / 2.5× / 4.0× |") in md
    assert "|  | diff-diff | 0.300 | 0.500 | 4.000 | 300 |  |" in md
    assert "|  | diff-diff | not run: ~20 GiB expected | | | | |" in md


def test_memory_budget_skips_a_peer_at_the_next_size():
    rows = [((1000, 10), "sun_abraham", {"diff-diff": {"mem_mb": 2000.0}}, 5)]
    why = run_all._too_big(rows, "diff-diff", "sun_abraham", (10_000, 10), 8 * 1024)
    assert why.startswith("not run: ~20 GiB expected (2000 MiB at 10,000 rows")
    assert run_all._too_big(rows, "diff-diff", "sun_abraham", (2000, 10), 8 * 1024) is None
    assert run_all._too_big(rows, "pyfixest", "sun_abraham", (10_000, 10), 8 * 1024) is None
    # with two sizes measured, the smaller one's memory is the fixed part (interpreter)
    rows.insert(0, ((100, 10), "sun_abraham", {"diff-diff": {"mem_mb": 200.0}}, 5))
    why = run_all._too_big(rows, "diff-diff", "sun_abraham", (10_000, 10), 8 * 1024)
    assert why.startswith("not run: ~18 GiB expected")
    assert run_all._too_big(rows, "pyfixest", "bjs", (10_000, 10), 8 * 1024).startswith(
        "not run above 1,000 units")


def test_agreement_check_flags_differences_above_1e_8():
    ours = {"att": 0.5, "se": 0.1}
    same = run_all._compare("x", "pyfixest", ours, {"att": 0.5 * (1 + 1e-12), "se": 0.1})
    assert len(same) == 2 and not any(s.startswith("MISMATCH") for s in same)
    off = run_all._compare("x", "linearmodels", ours, {"att": 0.5, "se": 0.105})
    assert not off[0].startswith("MISMATCH") and off[1].startswith("MISMATCH")
    assert "degrees of freedom" in off[1]  # the documented reason travels with the flag
    assert run_all._compare("x", "csdid", ours, {"att": 0.5, "se": None})[0].endswith(
        "(rel 0.0e+00)")


def test_new_estimators_are_checked_against_the_peers():
    """Issue #20: ETWFE and stacked DiD are timed against diff-diff and their estimates and
    standard errors compared (the harness test above runs did_zones' side of both)."""
    assert {"etwfe", "stacked"} <= set(run_all.CHECKED) <= set(run_all.TASKS)
    peer = (BENCH / "peers" / "diff_diff_peer.py").read_text()
    assert '"etwfe": etwfe, "stacked": stacked' in peer


def test_large_panels_run_only_the_acceptance_tasks():
    assert set(run_all.LARGE_TASKS) <= set(run_all.TASKS)
    assert {"twfe", "cs_analytic", "cs_analytic_e2e", "cs_boot999", "event_study",
            "sun_abraham"} <= set(run_all.LARGE_TASKS)
    assert set(run_all.PEER_PACKAGES) == set(run_all.PEERS)
