"""Shared by the peer scripts: read the panel, time a task, print one JSON line.

Each peer script runs in that peer's own virtual environment (never did_zones'), as

    <venv>/bin/python benchmarks/peers/<peer>.py PANEL.npz TASK REPEAT

and prints ``{"seconds": [...], "att": float | null, "se": float | null, "maxrss_mb": float,
"version": str}``. A task returns its estimate, or ``(estimate, standard error)``.
The panel is an ``.npz`` of columns (unit, year, g, x, y, d, rel) so that no pandas pickle
crosses environments. Exit code 3 with ``{"skip": reason}`` when the peer has no such task.
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
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = tasks[task](df)
        times.append(time.perf_counter() - t0)
    att, se = out if isinstance(out, tuple) else (out, None)
    rss = peak_rss_mb()
    print(json.dumps({"seconds": times, "att": None if att is None else float(att),
                      "se": None if se is None else float(se), "maxrss_mb": rss,
                      "version": version}))
