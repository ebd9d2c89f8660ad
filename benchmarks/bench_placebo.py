"""Timing of 1,000 in-space placebo draws (not a test).

    python benchmarks/bench_placebo.py [--draws 1000] [--slow-draws 100] [--naive-draws 50]
                                       [--cs-draws 200] [--simulated]

Panel: the real city panel when ``/work/shared/data/CRE_Gdpct.csv`` and
``CRE_Eplwagct.csv`` exist (``read_cre`` 2010-2021 -> ``structure_outcomes`` ->
``zone_panel(county_level="drop")``, outcome ISU, as ``examples/02_real_city_panel.py``);
otherwise, or with ``--simulated``, ``simulate_pilot_panel(seed=1)`` with 40 cities dropped
(297 cities x 12 years). Outcome ISU, TWFE with city and year effects, clustered by city.

Timed (one run each after a warm-up; the slow ones on fewer draws, extrapolated linearly
to ``--draws`` and marked ``*``):

- TWFE, FWL fast path: ``placebo(res, panel, n_draws=draws)``;
- TWFE, slow path: ``placebo(..., fast=False)`` (re-estimates ``twfe`` on every draw);
- naive loop: ``linearmodels.PanelOLS`` with entity and time effects, clustered by entity,
  refitted on a permuted treatment column each draw;
- Callaway-Sant'Anna (simple aggregation), slow path, ``n_jobs`` 1 and 2.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import did_zones as dz
from did_zones.robustness.placebo import placebo, placebo_assignments

DATA = Path("/work/shared/data")


def real_panel():
    gdp, emp = DATA / "CRE_Gdpct.csv", DATA / "CRE_Eplwagct.csv"
    if not (gdp.exists() and emp.exists()):
        return None
    cre = dz.read_cre(gdp, emp, years=(2010, 2021))
    df = dz.structure_outcomes(cre.data, primary="va1", secondary="va2", tertiary="va3",
                               emp_primary="emp_s1", emp_secondary="emp_s2",
                               emp_tertiary="emp_s3", prefix="is_")
    df = df.loc[df["is_isu"].notna()]
    return dz.zone_panel(df, unit="city_code", time="year", county_level="drop"), "is_isu"


def simulated_panel():
    sim = dz.simulate_pilot_panel(seed=1)
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    drop = np.random.default_rng(0).choice(panel.units[panel.never_treated], 40, replace=False)
    return panel.drop_units(drop), "isu"


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def naive_loop(panel, outcome: str, n: int, seed: int) -> float:
    from linearmodels import PanelOLS

    df = panel.data.set_index([panel.unit, panel.time])
    y = df[outcome]
    cohorts = placebo_assignments(panel, n_draws=n, seed=seed)
    t = panel.time_values

    def run():
        for b in range(n):
            d = pd.DataFrame({"d": (t >= cohorts[b][panel.unit_id]).astype(float)},
                             index=df.index)
            PanelOLS(y, d, entity_effects=True, time_effects=True).fit(
                cov_type="clustered", cluster_entity=True)
    return timed(run)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--slow-draws", type=int, default=100)
    parser.add_argument("--naive-draws", type=int, default=50)
    parser.add_argument("--cs-draws", type=int, default=200)
    parser.add_argument("--simulated", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    built = None if args.simulated else real_panel()
    source = "real CRE city panel" if built else "simulated (297 cities)"
    panel, outcome = built or simulated_panel()
    print(f"{source}: {panel}")
    res = dz.twfe(panel, outcome)
    placebo(res, panel, n_draws=20, seed=0)  # warm up imports
    rows = []

    def add(what, n, seconds):
        scale = args.draws / n
        rows.append((what, n, seconds, seconds * scale, "*" if scale != 1 else ""))

    sec, fast = timed(lambda: placebo(res, panel, n_draws=args.draws, seed=1))
    add("TWFE, FWL fast path", args.draws, sec)
    sec, slow = timed(lambda: placebo(res, panel, n_draws=args.slow_draws, seed=1, fast=False))
    add("TWFE, slow path (rerun twfe), n_jobs=1", args.slow_draws, sec)
    same = np.max(np.abs(fast.details["draws"][:args.slow_draws] - slow.details["draws"]))
    add("naive loop: linearmodels PanelOLS", args.naive_draws,
        naive_loop(panel, outcome, args.naive_draws, 1))
    cs = dz.aggregate(dz.callaway_santanna(panel, outcome), kind="simple")
    for n_jobs in (1, 2):
        sec, _ = timed(lambda n_jobs=n_jobs: placebo(cs, panel, n_draws=args.cs_draws, seed=1,
                                                     n_jobs=n_jobs, progress=False))
        add(f"Callaway-Sant'Anna (simple), slow path, n_jobs={n_jobs}", args.cs_draws, sec)

    print(f"\n| method | draws timed | seconds | seconds for {args.draws} draws |")
    print("| --- | ---: | ---: | ---: |")
    for what, n, sec, total, star in rows:
        print(f"| {what} | {n} | {sec:.3f} | {total:.2f}{star} |")
    print(f"\n* extrapolated linearly from the draws timed. Fast vs slow path, first "
          f"{args.slow_draws} draws: max |difference| = {same:.1e}. TWFE estimate "
          f"{fast.statistic:.4f}, in-space two-sided p = {fast.p_value:.3f}.")


if __name__ == "__main__":
    main()
