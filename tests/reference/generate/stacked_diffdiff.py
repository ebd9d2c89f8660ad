"""Freeze diff-diff 3.13.0 StackedDiD on a simulated staggered panel (tests/test_stacked.py).

Run from the repository root with the diff-diff venv:
    /tmp/bench_peers/diff-diff/bin/python tests/reference/generate/stacked_diffdiff.py
Writes tests/reference/stacked_sim_data.csv and tests/reference/stacked_diffdiff.csv.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from diff_diff import StackedDiD

OUT = Path(__file__).resolve().parents[1]
rng = np.random.default_rng(20261206)
n_units, years = 90, np.arange(2001, 2013)
# cohorts of unequal size (so the corrective weights matter), late adopters, never treated
cohort = np.repeat([2005, 2007, 2009, 2011, 0], [10, 25, 8, 12, 35])
unit = np.repeat(np.arange(1, n_units + 1), years.size)
year = np.tile(years, n_units)
g = np.repeat(cohort, years.size)
e = np.where(g > 0, year - g, -99)
alpha_i = np.repeat(rng.normal(0, 1, n_units), years.size)
lam_t = np.tile(0.1 * (years - 2000) + rng.normal(0, 0.2, years.size), n_units)
effect = np.where((g > 0) & (e >= 0), 0.5 + 0.2 * e + 0.05 * (g - 2005), 0.0)
y = alpha_i + lam_t + effect + rng.normal(0, 0.5, unit.size)
data = pd.DataFrame({"unit": unit, "year": year, "first_treat": g, "y": y})
data.to_csv(OUT / "stacked_sim_data.csv", index=False)

rows = []
for control in ("never_treated", "not_yet_treated"):
    for kpre, kpost in ((3, 2), (2, 3)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = StackedDiD(kappa_pre=kpre, kappa_post=kpost, control_group=control,
                             weighting="aggregate", cluster="unit",
                             vcov_type="hc1").fit(data, "y", "unit", "year", "first_treat")
        for h, d in sorted(res.event_study_effects.items()):
            rows.append({"control_group": control, "kappa_pre": kpre, "kappa_post": kpost,
                         "term": f"e{int(h):+d}", "event_time": int(h),
                         "estimate": d["effect"], "std_error": d["se"]})
        rows.append({"control_group": control, "kappa_pre": kpre, "kappa_post": kpost,
                     "term": "overall", "event_time": np.nan,
                     "estimate": res.overall_att, "std_error": res.overall_se})
        rows.append({"control_group": control, "kappa_pre": kpre, "kappa_post": kpost,
                     "term": "n_stacked_obs", "event_time": np.nan,
                     "estimate": res.n_stacked_obs, "std_error": np.nan})
pd.DataFrame(rows).to_csv(OUT / "stacked_diffdiff.csv", index=False, float_format="%.15g")
