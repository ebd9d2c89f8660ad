"""Frozen peer values for did_zones.triple_difference from Python ``moderndid`` (didtriple).

Run in the peer venv (never a dependency of did_zones):
    /tmp/bench_peers/moderndid/bin/python tests/reference/generate/ddd_moderndid.py
Writes tests/reference/ddd_2p_data.csv, ddd_mp_data.csv, ddd_moderndid.csv and the
influence-function matrix of the multi-period ATT(g,t) (ddd_mp_inf.csv, for the aggregation
convention check). See tests/reference/ddd_reference.md.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from moderndid import agg_ddd, ddd, gen_ddd_2periods, gen_ddd_mult_periods

warnings.filterwarnings("ignore")
OUT = Path(__file__).resolve().parents[1]
COV = ["cov1", "cov2", "cov3", "cov4"]
rows = []

d2 = gen_ddd_2periods(n=600, dgp_type=1, random_state=20251)["data"].to_pandas()
d2 = d2[["id", "state", "partition", "time", "y", *COV]]
d2.to_csv(OUT / "ddd_2p_data.csv", index=False, float_format="%.10g")
d2 = pd.read_csv(OUT / "ddd_2p_data.csv")  # the peers and the tests read the same numbers
for xf in (None, "~cov1+cov2+cov3+cov4"):
    for m in ("dr", "ipw", "reg"):
        r = ddd(d2, yname="y", tname="time", idname="id", gname="state", pname="partition",
                xformla=xf, est_method=m)
        rows.append({"design": "2p", "covariates": xf is not None, "method": m,
                     "control": "never", "kind": "att", "g": np.nan, "t": np.nan, "e": np.nan,
                     "estimate": r.att, "std_error": r.se})

dm = gen_ddd_mult_periods(n=900, dgp_type=1, random_state=20252)["data"].to_pandas()
dm = dm[["id", "group", "partition", "time", "y", *COV]]
dm.to_csv(OUT / "ddd_mp_data.csv", index=False, float_format="%.10g")
dm = pd.read_csv(OUT / "ddd_mp_data.csv")
inf_cols = {}
for xf in (None, "~cov1+cov2+cov3+cov4"):
    for m in ("dr", "ipw", "reg"):
        for cg in ("nevertreated", "notyettreated"):
            ctl = "never" if cg == "nevertreated" else "not_yet"
            r = ddd(dm, yname="y", tname="time", idname="id", gname="group", pname="partition",
                    xformla=xf, est_method=m, control_group=cg)
            base = {"design": "mp", "covariates": xf is not None, "method": m, "control": ctl}
            for a, s, g, t in zip(r.att, r.se, r.groups, r.times, strict=True):
                rows.append({**base, "kind": "gt", "g": g, "t": t, "e": t - g,
                             "estimate": a, "std_error": s})
            if xf is not None and m == "dr":
                for j, (g, t) in enumerate(zip(r.groups, r.times, strict=True)):
                    inf_cols[f"{ctl}:{g}:{t}"] = r.inf_func_mat[:, j]
            for kind in ("simple", "eventstudy", "group"):
                a = agg_ddd(r, type=kind, boot=False, cband=False)
                rows.append({**base, "kind": kind, "g": np.nan, "t": np.nan, "e": np.nan,
                             "estimate": a.overall_att, "std_error": a.overall_se})
                if a.egt is not None:
                    for v, est, se in zip(a.egt, a.att_egt, a.se_egt, strict=True):
                        rows.append({**base, "kind": kind, "g": v if kind == "group" else np.nan,
                                     "t": np.nan, "e": v if kind == "eventstudy" else np.nan,
                                     "estimate": est, "std_error": se})
# base_period="varying" (pre-periods against the period before), DR with covariates
for cg in ("nevertreated", "notyettreated"):
    ctl = "never" if cg == "nevertreated" else "not_yet"
    r = ddd(dm, yname="y", tname="time", idname="id", gname="group", pname="partition",
            xformla="~cov1+cov2+cov3+cov4", est_method="dr", control_group=cg,
            base_period="varying")
    for a, s, g, t in zip(r.att, r.se, r.groups, r.times, strict=True):
        rows.append({"design": "mp_varying", "covariates": True, "method": "dr",
                     "control": ctl, "kind": "gt", "g": g, "t": t, "e": t - g,
                     "estimate": a, "std_error": s})
pd.DataFrame(rows).to_csv(OUT / "ddd_moderndid.csv", index=False, float_format="%.17g")
pd.DataFrame(inf_cols).to_csv(OUT / "ddd_mp_inf.csv", index=False, float_format="%.12g")
print(pd.DataFrame(rows).to_string())
