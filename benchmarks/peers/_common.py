"""Shared by the peer scripts (did_zones' own included): read the panel, time a task, print
one JSON line.

Each script runs in its tool's own virtual environment (did_zones: the library's), as

    <venv>/bin/python benchmarks/peers/<tool>_peer.py PANEL.npz TASK REPEAT

so that every tool is timed the same way, in a fresh process: the first call is timed on its
own (``cold``: imports done inside it, caches, JIT compilation) and discarded, then ``REPEAT``
calls are timed (``seconds``; the harness reports their best and median). It prints
``{"cold": float, "seconds": [...], "att": float | null, "se": float | null,
"maxrss_mb": float, "version": str}``. A task is a function of the DataFrame returning its
estimate or ``(estimate, standard error)``, or a dict describing a test (``p``, ``t``,
``draws``, ``how``: printed as ``"test"``); or a pair ``(setup, run)``, where ``setup(df)``
runs once, untimed, and ``run`` takes what it returns (did_zones' tasks that start from a
Panel). The panel is an ``.npz`` of columns (unit, year, g, x, y, d, rel) so that no pandas
pickle crosses environments. Exit code 3 with ``{"skip": reason}`` when the tool has no such
task.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd


def read_panel(path: str) -> pd.DataFrame:
    with np.load(path) as z:
        return pd.DataFrame({k: z[k] for k in z.files})


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB: ``VmHWM`` of its own address space
    (``ru_maxrss`` would include the parent's peak, which Linux carries across fork/exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(tasks: dict, version: str) -> None:
    path, task, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if task not in tasks:
        print(json.dumps({"skip": f"no {task} in this peer"}))
        sys.exit(3)
    warnings.simplefilter("ignore")
    df = read_panel(path)
    setup, run = tasks[task] if isinstance(tasks[task], tuple) else (None, tasks[task])
    arg = df if setup is None else setup(df)
    t0 = time.perf_counter()
    out = run(arg)
    cold = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run(arg)
        times.append(time.perf_counter() - t0)
    extra = out if isinstance(out, dict) else None  # a test: p-value, statistic, draws...
    if extra is not None:
        att, se = None, None
    else:
        att, se = out if isinstance(out, tuple) else (out, None)
    rss = peak_rss_mb()
    print(json.dumps({"cold": cold, "seconds": times,
                      "att": None if att is None else float(att),
                      "se": None if se is None else float(se), "maxrss_mb": rss,
                      "version": version, "test": extra}))
