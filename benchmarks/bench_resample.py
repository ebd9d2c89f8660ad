"""Timing of the cluster bootstrap (not a test).

    python benchmarks/bench_resample.py [--n-boot 999] [--repeat 3]

Panel: ``simulate_pilot_panel(seed=1)`` (337 prefecture-level cities x 12 years). Timed: one
``resample_panel`` call, one ``twfe`` call, and ``cluster_bootstrap`` of the TWFE
coefficient with ``n_boot`` draws at ``n_jobs`` = 1 and 2 (loky), best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import did_zones as dz
from did_zones.resample import cluster_bootstrap, cluster_draws, resample_panel


def twfe_coef(panel):
    return dz.twfe(panel, "isu")["treated"]


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-boot", type=int, default=999)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sim = dz.simulate_pilot_panel(seed=1)
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    drawn = cluster_draws(panel.n_units, 1, seed=0)[0]
    twfe_coef(panel)  # warm up imports
    per_resample = best(lambda: [resample_panel(panel, drawn) for _ in range(100)],
                        args.repeat) / 100
    per_twfe = best(lambda: [twfe_coef(panel) for _ in range(100)], args.repeat) / 100
    print(f"panel: {panel}")
    print(f"resample_panel: {per_resample * 1e3:.2f} ms; twfe: {per_twfe * 1e3:.2f} ms per call")
    draws = {}
    for n_jobs in (1, 2):
        def run(n_jobs=n_jobs):
            draws[n_jobs] = cluster_bootstrap(panel, twfe_coef, n_boot=args.n_boot, seed=1,
                                              n_jobs=n_jobs, progress=False).draws
        print(f"cluster_bootstrap(n_boot={args.n_boot}, n_jobs={n_jobs}): "
              f"{best(run, args.repeat):.2f} s")
    print("identical draws for n_jobs 1 and 2:", np.array_equal(draws[1], draws[2]))


if __name__ == "__main__":
    main()
