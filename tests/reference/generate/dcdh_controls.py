"""Freeze did_multiplegt_dyn values with a time-varying control for did_zones.dcdh.

Writes tests/reference/dcdh_sim_data.csv (a simulated staggered panel: 300 units x 8
years, cohorts 3-6 and never, covariate x whose trend differs across units and jumps at
adoption) and tests/reference/dcdh_sim_dyn.csv (the peer's estimates and SEs).

Run in the peers' own venv, never the library's (py-did-multiplegt-dyn 0.1.9 needs
polars < 2):

    python -m venv /tmp/peers3 && /tmp/peers3/bin/pip install "polars<2" py-did-multiplegt-dyn==0.1.9
    /tmp/peers3/bin/python tests/reference/generate/dcdh_controls.py

Call: ``DidMultiplegtDyn(df, outcome="y", group="unit", time="year", treatment="D",
effects=3, placebo=2, controls=None | ["x"]).fit()``; Effect_l -> effect_{l-1},
Placebo_l -> placebo_l.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
from did_multiplegt_dyn import DidMultiplegtDyn

OUT = Path(__file__).resolve().parents[1]  # tests/reference

rng = np.random.default_rng(5)
n, T = 300, 8
cohort = rng.choice([3, 4, 5, 6, 0], size=n, p=[0.2] * 5)
df = pd.DataFrame({"unit": np.repeat(np.arange(n), T), "year": np.tile(np.arange(1, T + 1), n)})
df["g"] = np.repeat(cohort, T)
treated = (df.g > 0) & (df.year >= df.g)
df["D"] = treated.astype(int)
df["x"] = rng.normal(size=len(df)) + 0.3 * df.year * (df.g % 2) + 0.5 * treated
df["y"] = (rng.normal(size=n)[df.unit] + 0.2 * df.year + (1 + 0.3 * (df.year - df.g)) * treated
           + 0.6 * df.x + rng.normal(size=len(df)))
df.to_csv(OUT / "dcdh_sim_data.csv", index=False, float_format="%.15g")
data = pd.read_csv(OUT / "dcdh_sim_data.csv")  # estimate on exactly the stored digits

rows = []
for label, controls in (("none", None), ("x", ["x"])):
    fit = DidMultiplegtDyn(df=pl.from_pandas(data), outcome="y", group="unit", time="year",
                           treatment="D", effects=3, placebo=2, controls=controls)
    fit.fit()
    res = fit.result["did_multiplegt_dyn"]
    for table, prefix in ((res["Effects"], "effect"), (res["Placebos"], "placebo")):
        for name, row in table.iterrows():
            lag = int(str(name).split("_")[1])
            term = f"effect_{lag - 1}" if prefix == "effect" else f"placebo_{lag}"
            rows.append((label, term, row["Estimate"], row["SE"], int(row["Switchers"])))
out = pd.DataFrame(rows, columns=["controls", "term", "estimate", "std_error", "n_switchers"])
out.to_csv(OUT / "dcdh_sim_dyn.csv", index=False, float_format="%.12g")
print(out.to_string())
