"""Freeze diff-diff SpilloverDiD values for did_zones.ring_did.

Reads  tests/reference/ring_sim_data.csv  (generate/ring_sim_data.py)
Writes tests/reference/ring_diffdiff.csv  rings, term, estimate, std_error

Run in the peers' own venv, never the library's:

    python -m venv /tmp/peers && /tmp/peers/bin/pip install diff-diff==3.13.0
    /tmp/peers/bin/python tests/reference/generate/ring_diffdiff.py

diff-diff's SpilloverDiD (Butts 2021 rings on Gardner's two-stage DiD): stage 1 fits unit
and year effects on the untreated-and-unexposed rows, stage 2 regresses the residualised
outcome on D_it and the ring indicators (1 - D_it) * Ring_k,it. The indicators are
mutually exclusive, so each coefficient is the mean of the residualised outcome over its
rows: the point estimates did_zones computes as averages of imputed effects. Its standard
errors use Gardner's GMM correction (cluster = city), not BJS's variance, so only the
point estimates and counts are compared.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from diff_diff import SpilloverDiD

HERE = Path(__file__).resolve().parents[1]
df = pd.read_csv(HERE / "ring_sim_data.csv")
df["first_treat"] = df["cohort"].astype(float).where(df["cohort"] > 0, np.inf)

rows = []
for rings in ([0, 50, 100, 200], [0, 100, 300]):
    est = SpilloverDiD(rings=rings, conley_coords=("latitude", "longitude"),
                       cluster="city_code")
    res = est.fit(df, outcome="isu", unit="city_code", time="year", first_treat="first_treat")
    tag = "-".join(str(r) for r in rings)
    rows.append({"rings": tag, "term": "treated", "estimate": res.att, "std_error": res.se})
    for label, r in res.spillover_effects.iterrows():
        rows.append({"rings": tag, "term": str(label), "estimate": r["coef"],
                     "std_error": r["se"]})
pd.DataFrame(rows).to_csv(HERE / "ring_diffdiff.csv", index=False, float_format="%.15g")
print(pd.DataFrame(rows))
