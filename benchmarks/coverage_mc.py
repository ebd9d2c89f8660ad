"""Monte-Carlo coverage of the demo's truth comparison (issue #15).

For each seed, simulate the demo panel (``demo_config(seed)``: ``simulate_pilot_panel(seed=s,
effect="heterogeneous")``), run the demo's estimators on the demo outcome exactly as the
study report does (``report.steps.main_results``, ``_event_results``, ``_estimands``), build
the truth comparison with :func:`did_zones.demo.event_time_comparison` and ask
:func:`did_zones.demo.covered` whether each 95% interval covers the same estimand of the
truth. Placebo, bootstrap, mechanism and figure steps are skipped: only the estimates and
their standard errors enter the comparison.

Usage::

    python benchmarks/coverage_mc.py --seeds 0-39 --out tests/reference/coverage_mc.csv

The CSV has one row per (seed, estimator, estimand) with the estimate, standard error,
truth and ``covered`` (0/1). A summary (coverage per estimator x estimand, overall coverage,
distribution of the number of covered cells per seed) is printed.
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd


def one_seed(seed: int) -> pd.DataFrame:
    """Long frame (estimator, estimand, estimate, std_error, truth, covered) of one seed."""
    from did_zones.demo import OUTCOME, covered, demo_config, event_time_comparison
    from did_zones.report.runner import _Run, load_panel
    from did_zones.report.steps import _estimands, _event_results, main_results

    config = demo_config(seed)
    config = replace(config, study=replace(config.study, outcomes=(OUTCOME,)))
    run = _Run(config, progress=False)
    panel, run.sim = load_panel(config)
    run.results["__panel__"] = panel
    main_results(run)
    event, static = _event_results(run, OUTCOME)
    _estimands(run, OUTCOME, event, static)
    results = {key.rpartition(":")[0]: res for key, res in run.results.items()
               if key.endswith(f":{OUTCOME}")}
    table = event_time_comparison(results, run.sim.truth)
    cov = covered(table)
    rows = []
    for estimand in cov.index:
        for name in cov.columns:
            if pd.isna(cov.loc[estimand, name]):
                continue
            rows.append({"seed": seed, "estimator": name, "estimand": estimand,
                         "estimate": table.loc[estimand, name],
                         "std_error": table.loc[estimand, f"{name} se"],
                         "truth": table.loc[estimand, "truth"],
                         "covered": int(cov.loc[estimand, name])})
    return pd.DataFrame(rows)


def summarise(frame: pd.DataFrame) -> str:
    """Coverage per cell, overall, and the per-seed count of covered cells."""
    n_seeds = frame["seed"].nunique()
    cells = frame.groupby(["estimator", "estimand"])
    by_cell = cells["covered"].agg(["mean", "size"])
    z = (frame["estimate"] - frame["truth"]) / frame["std_error"]
    by_cell["mean_z"] = z.groupby([frame["estimator"], frame["estimand"]]).mean()
    by_cell["sd_z"] = z.groupby([frame["estimator"], frame["estimand"]]).std()
    per_seed = frame.groupby("seed")["covered"].agg(["sum", "size"])
    q = np.percentile(per_seed["sum"], [0, 5, 10, 50])
    lines = [f"seeds: {n_seeds}; cells per seed: {sorted(per_seed['size'].unique())}",
             "coverage per (estimator, estimand) with mean and sd of (estimate - truth) / se:",
             by_cell.round(3).to_string(),
             f"overall coverage: {frame['covered'].mean():.3f} of {len(frame)} intervals",
             "covered cells per seed (count: seeds):",
             per_seed["sum"].value_counts().sort_index().to_string(),
             f"min / 5th / 10th percentile / median: {q[0]:g} / {q[1]:g} / {q[2]:g} / "
             f"{q[3]:g}"]
    return "\n".join(lines)


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-39", help="'a-b' or comma-separated")
    parser.add_argument("--out", default=None, help="CSV of every (seed, cell)")
    args = parser.parse_args()
    frames = []
    start = time.perf_counter()
    for seed in _seeds(args.seeds):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frames.append(one_seed(seed))
        print(f"seed {seed}: {frames[-1]['covered'].sum()}/{len(frames[-1])} covered "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)
    frame = pd.concat(frames, ignore_index=True)
    print(f"total {time.perf_counter() - start:.0f} s")
    print(summarise(frame))
    if args.out:
        frame.to_csv(args.out, index=False, float_format="%.10g")


if __name__ == "__main__":
    main()
