"""Freeze diff-diff's Goodman-Bacon decomposition for tests/test_bacon.py.

Run in the peers venv (never in the did_zones environment):

    python -m venv /tmp/peers && /tmp/peers/bin/pip install diff-diff==3.13.0
    /tmp/peers/bin/python tests/reference/generate/bacon_diffdiff.py

Writes tests/reference/bacon_sim_data.csv (a simulated balanced staggered panel, drawn
here with numpy's default_rng(2026)) and tests/reference/bacon_diffdiff.csv (one row per
2x2 comparison, plus one "twfe" row per scenario).
"""

from pathlib import Path

import diff_diff
import numpy as np
import pandas as pd
from diff_diff import BaconDecomposition, SurveyDesign

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "tests" / "reference"
MPDTA = ROOT.parent / "shared" / "data" / "mpdta.csv"
TYPES = {"earlier_vs_later": "Earlier vs Later Treated",
         "later_vs_earlier": "Later vs Earlier Treated",
         "treated_vs_never": "Treated vs Never Treated"}


def simulate() -> pd.DataFrame:
    """300 units x periods 1..10; cohorts 3, 5, 6, 8 and never; dynamic, cohort-specific
    effects; a unit weight w (constant within unit)."""
    rng = np.random.default_rng(2026)
    n, T = 300, 10
    cohorts = rng.choice([3, 5, 6, 8, 0], size=n, p=[0.2, 0.15, 0.2, 0.15, 0.3])
    alpha = rng.normal(size=n)
    lam = np.cumsum(rng.normal(0.2, 0.3, size=T))
    w = np.round(rng.uniform(0.5, 3.0, size=n), 3)
    rows = []
    for i in range(n):
        g = cohorts[i]
        for t in range(1, T + 1):
            e = t - g
            tau = (1.0 + 0.3 * e + 0.1 * g) if (g > 0 and e >= 0) else 0.0
            rows.append((i + 1, t, g, w[i], alpha[i] + lam[t - 1] + tau + rng.normal()))
    return pd.DataFrame(rows, columns=["unit", "year", "first_treat", "w", "y"])


def decompose(df, outcome, unit, time, first_treat, scenario, survey=None) -> list[dict]:
    res = BaconDecomposition(weights="exact").fit(df, outcome=outcome, unit=unit, time=time,
                                                  first_treat=first_treat,
                                                  survey_design=survey)
    rows = [{"scenario": scenario, "type": "TWFE", "cohort": np.nan,
             "control_cohort": np.nan, "estimate": res.twfe_estimate, "weight": np.nan}]
    for c in res.comparisons:
        control = np.inf if c.control_group == "never_treated" else float(c.control_group)
        rows.append({"scenario": scenario, "type": TYPES[c.comparison_type],
                     "cohort": float(c.treated_group), "control_cohort": control,
                     "estimate": c.estimate, "weight": c.weight})
    return rows


def main() -> None:
    mpdta = pd.read_csv(MPDTA)
    sim = simulate()
    sim.to_csv(OUT / "bacon_sim_data.csv", index=False, float_format="%.17g")
    rows = []
    rows += decompose(mpdta, "lemp", "countyreal", "year", "first.treat", "mpdta")
    rows += decompose(sim, "y", "unit", "year", "first_treat", "sim")
    rows += decompose(sim, "y", "unit", "year", "first_treat", "sim_weighted",
                      survey=SurveyDesign(weights="w"))
    out = pd.DataFrame(rows)
    out.to_csv(OUT / "bacon_diffdiff.csv", index=False, float_format="%.17g")
    print(f"diff-diff {diff_diff.__version__}: {len(out)} rows written")
    print(out.to_string())


if __name__ == "__main__":
    main()
