"""Freeze peer-software values for did_zones.dcdh on mpdta -> tests/reference/dcdh_mpdta.csv.

Run with the peers' own virtual environment, never the library's:

    python -m venv /tmp/peers2 && /tmp/peers2/bin/pip install moderndid==0.2.0
    /tmp/peers2/bin/python tests/reference/generate/dcdh_mpdta.py

Two calls, both on /work/shared/data/mpdta.csv (500 counties, 2003-2007, outcome lemp):

1. ``moderndid.did_multiplegt`` (the Python port of Stata/R did_multiplegt_dyn):
   effects=4, placebo=2, treatment D = 1{first.treat > 0 and year >= first.treat}.
   Horizon l -> term effect_{l-1}; placebo -l -> placebo_l. Standard errors are
   did_multiplegt_dyn's design-based ones (did_zones: ``extra["std_error_dyn"]``).
2. ``moderndid.att_gt`` (control_group="notyettreated", base_period="universal",
   est_method="reg", analytic SEs) + ``aggte(type="dynamic")``: event time e -> effect_e,
   e = -2 -> placebo_1. Its analytic standard errors are the i.i.d.-unit influence-function
   ones that did_zones.dcdh reports.
"""

from pathlib import Path

import moderndid as md
import pandas as pd

ROOT = Path(__file__).resolve().parents[3]  # the repository root
DATA = ROOT.parent / "shared" / "data" / "mpdta.csv"

df = pd.read_csv(DATA)
df["D"] = ((df["first.treat"] > 0) & (df["year"] >= df["first.treat"])).astype(int)
rows = []

dyn = md.did_multiplegt(data=df, yname="lemp", tname="year", idname="countyreal", dname="D",
                        effects=4, placebo=2)
for h, est, se, n in zip(dyn.effects.horizons, dyn.effects.estimates, dyn.effects.std_errors,
                         dyn.effects.n_switchers, strict=True):
    rows.append(("did_multiplegt", f"effect_{int(h) - 1}", est, se, int(n)))
for h, est, se, n in zip(dyn.placebos.horizons, dyn.placebos.estimates,
                         dyn.placebos.std_errors, dyn.placebos.n_switchers, strict=True):
    rows.append(("did_multiplegt", f"placebo_{int(-h)}", est, se, int(n)))

mp = md.att_gt(data=df, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
               control_group="notyettreated", base_period="universal", est_method="reg",
               boot=False, cband=False)
ag = md.aggte(mp, type="dynamic", boot=False, cband=False)
for e, est, se in zip(ag.event_times, ag.att_by_event, ag.se_by_event, strict=True):
    if e >= 0:
        rows.append(("aggte_notyet", f"effect_{int(e)}", est, se, -1))
    elif e == -2:
        rows.append(("aggte_notyet", "placebo_1", est, se, -1))

out = pd.DataFrame(rows, columns=["source", "term", "estimate", "std_error", "n_switchers"])
out.to_csv(ROOT / "tests" / "reference" / "dcdh_mpdta.csv", index=False, float_format="%.12g")
print(out.to_string())
