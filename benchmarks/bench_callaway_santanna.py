"""Timing of callaway_santanna / aggregate on a large simulated panel (not a test).

    python benchmarks/bench_callaway_santanna.py [--units 100000] [--repeat 3]
        [--peer-python /tmp/peers/bin/python]

Panel: ``units`` units x 10 periods, cohorts 4, 6, 8, 10 and never-treated (equal shares),
y = unit effect + trend + effect after treatment + noise. Timed: the doubly robust ATT(g,t)
without covariates (analytic), the same with a 999-draw multiplier bootstrap, the event-time
aggregation, and the analytic fit with one covariate; then the peak memory of the analytic
fit at units/10 and units (tracemalloc), as a multiple of the panel's size. ``--peer-python`` points at a separate
virtual environment with diff-diff installed (never the library's own environment); the same
panel is then timed with ``diff_diff.CallawaySantAnna`` for comparison.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from did_zones import aggregate, build_panel, callaway_santanna


def make_data(n_units: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = 10
    g = rng.choice([0, 4, 6, 8, 10], size=n_units)
    unit = np.repeat(np.arange(n_units), T)
    year = np.tile(np.arange(1, T + 1), n_units)
    gg = np.repeat(g, T)
    x = np.repeat(rng.normal(size=n_units) + 0.3 * (g > 0), T)
    treated = (gg > 0) & (year >= gg)
    y = (np.repeat(rng.normal(size=n_units), T) + 0.1 * year + 0.5 * x
         + treated * (0.2 + 0.05 * (year - gg)) + rng.normal(size=n_units * T))
    return pd.DataFrame({"unit": unit, "year": year, "g": gg, "x": x, "y": y})


def peak_memory(fn) -> float:
    """Peak bytes allocated (Python and numpy, via tracemalloc) while ``fn`` runs."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


PEER = r"""
import sys, time, warnings
import pandas as pd
import diff_diff as dd
warnings.simplefilter("ignore")
df = pd.read_parquet(sys.argv[1]) if sys.argv[1].endswith(".parquet") else pd.read_pickle(sys.argv[1])
repeat = int(sys.argv[2])
def run(n_boot):
    m = dd.CallawaySantAnna(control_group="never_treated", estimation_method="dr",
                            n_bootstrap=n_boot, seed=1)
    m.fit(df, outcome="y", unit="unit", time="year", first_treat="g")
for n_boot in (0, 999):
    best = min((lambda t0: (run(n_boot), time.perf_counter() - t0)[1])(time.perf_counter())
               for _ in range(repeat))
    print(f"diff-diff {dd.__version__} dr, no covariates, n_bootstrap={n_boot}: {best:.3f} s")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-python", default=None,
                        help="python of a separate venv with diff-diff installed")
    args = parser.parse_args()

    df = make_data(args.units)
    panel = build_panel(df, "unit", "year", cohort="g")
    print(f"{panel!r}; numpy {np.__version__}, pandas {pd.__version__}")
    r = callaway_santanna(panel, "y")  # warm-up
    timings = {
        "dr, no covariates, analytic": lambda: callaway_santanna(panel, "y"),
        "dr, no covariates, n_boot=999": lambda: callaway_santanna(panel, "y", n_boot=999,
                                                                   seed=1),
        "aggregate(kind='event'), analytic": lambda: aggregate(r, "event"),
        "dr, covariate x, analytic": lambda: callaway_santanna(panel, "y", covariates="x"),
    }
    for label, fn in timings.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            print(f"did_zones {label}: {best_of(fn, args.repeat):.3f} s")

    print("peak memory of callaway_santanna(panel, 'y') (analytic) relative to the data:")
    for n in (args.units // 10, args.units):
        small = build_panel(make_data(n), "unit", "year", cohort="g")
        data_bytes = small.data.memory_usage(deep=True).sum()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peak = peak_memory(lambda p=small: callaway_santanna(p, "y"))
        print(f"  {n:>9,} units: peak {peak / 2**20:8.1f} MiB = {peak / data_bytes:5.2f} x "
              f"the panel's {data_bytes / 2**20:.1f} MiB")

    if args.peer_python:
        if not Path(args.peer_python).exists():
            print(f"peer python {args.peer_python} not found; comparison skipped")
            return
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "panel.pkl")
            df.to_pickle(path)
            out = subprocess.run([args.peer_python, "-c", PEER, path, str(args.repeat)],
                                 capture_output=True, text=True, check=False)
            print(out.stdout.strip() or f"diff-diff run failed:\n{out.stderr[-2000:]}")


if __name__ == "__main__":
    sys.exit(main())
