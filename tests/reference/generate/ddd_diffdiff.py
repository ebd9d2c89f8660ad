"""Peer values for did_zones.triple_difference from diff-diff's TripleDifference (3.13).

Run: /tmp/bench_peers/diff-diff/bin/python tests/reference/generate/ddd_diffdiff.py
Uses the frozen moderndid data (ddd_2p_data.csv, ddd_mp_data.csv); writes ddd_diffdiff.csv.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from diff_diff import TripleDifference

warnings.filterwarnings("ignore")
OUT = Path(__file__).resolve().parents[1]
COV = ["cov1", "cov2", "cov3", "cov4"]
rows = []
d2 = pd.read_csv(OUT / "ddd_2p_data.csv")
d2["post"] = (d2["time"] == 2).astype(int)
for cov in (False, True):
    for m in ("dr", "ipw", "reg"):
        r = TripleDifference(estimation_method=m).fit(
            d2, "y", group="state", partition="partition", post="post",
            covariates=COV if cov else None)
        rows.append({"design": "2p", "covariates": cov, "method": m, "control": "never",
                     "kind": "att", "g": np.nan, "t": np.nan, "e": np.nan,
                     "estimate": r.att, "std_error": r.se})
dm = pd.read_csv(OUT / "ddd_mp_data.csv")
for cov in (False, True):
    for m in ("dr", "ipw", "reg"):
        for ctl in ("never", "not_yet"):
            est = TripleDifference(estimation_method=m, base_period="universal",
                                   control_group=ctl + "_treated")
            r = est.fit(dm, "y", unit="id", time="time", first_treat="group",
                        partition="partition", covariates=COV if cov else None,
                        aggregate="all")
            base = {"design": "mp", "covariates": cov, "method": m, "control": ctl}
            for (g, t), v in sorted(r.group_time_effects.items()):
                rows.append({**base, "kind": "gt", "g": g, "t": t, "e": t - g,
                             "estimate": v["effect"], "std_error": v["se"]})
            rows.append({**base, "kind": "simple", "g": np.nan, "t": np.nan, "e": np.nan,
                         "estimate": r.overall_att, "std_error": r.overall_se})
            for e, v in sorted((r.event_study_effects or {}).items()):
                rows.append({**base, "kind": "eventstudy", "g": np.nan, "t": np.nan, "e": e,
                             "estimate": v["effect"], "std_error": v["se"]})
            for g, v in sorted((r.group_effects or {}).items()):
                rows.append({**base, "kind": "group", "g": g, "t": np.nan, "e": np.nan,
                             "estimate": v["effect"], "std_error": v["se"]})
pd.DataFrame(rows).to_csv(OUT / "ddd_diffdiff.csv", index=False, float_format="%.17g")
print(pd.DataFrame(rows).to_string())
