"""Freeze peer values for did_zones.callaway_santanna / aggregate on mpdta -> cs_mpdta.csv.

Run with the peers' own virtual environments, never the library's:

    python -m venv /tmp/peers2 && /tmp/peers2/bin/pip install moderndid==0.2.0
    /tmp/peers2/bin/python tests/reference/generate/cs_mpdta.py

moderndid's ``att_gt`` / ``aggte`` are a line-by-line Python port of R ``did`` (and its
``DRDID`` cell estimators). Every call uses analytic standard errors (boot=False, cband=False).
Scenarios (column ``scenario``), all on /work/shared/data/mpdta.csv, outcome ``lemp``:

* ``main``: control_group never/notyet x est_method dr/ipw/reg x xformla none/~lpop,
  base_period="varying": every ATT(g,t), the four aggregations, dynamic with balance_e=1
  and with min_e=-2, max_e=2, and the Wald pre-test.
* ``universal``: notyettreated, dr, ~lpop, base_period="universal": ATT(g,t) + dynamic.
* ``anticipation``: anticipation=1, nevertreated dr (no covariates) and notyettreated reg
  ~lpop: ATT(g,t) + dynamic.
* ``weights`` (see ``_unit_inputs`` for the aggte inputs): weightsname ``w`` = 1 + (countyreal mod 5) / 4, nevertreated dr ~lpop:
  ATT(g,t) + dynamic + group.
* ``unbalanced``: moderndid 0.2.0 classifies the panel as unbalanced but then takes its
  balanced-panel path and fails; ``_route_unbalanced`` below sends it down its own
  repeated cross-section path the way R ``did``'s ``pre_process_did`` does for
  ``allow_unbalanced_panel=TRUE`` (``panel <- FALSE``, ``.rowid`` = the unit id, covariates
  per row). No estimator code is changed (see also ``_unit_inputs``). Rows with countyreal mod 7 == 0 and year == 2005, and countyreal mod 11 ==
  0 and year == 2003 removed; allow_unbalanced_panel=True; nevertreated x dr/ipw/reg x
  none/~lpop, plus notyettreated dr ~lpop: ATT(g,t) + simple + dynamic.
* ``nonever``: what R ``did`` computes for mpdta without its never-treated counties,
  notyettreated dr (no covariates): ATT(g,t) + dynamic (see the comment at the call).
"""

import importlib
from pathlib import Path

import moderndid as md
import numpy as np
import pandas as pd
import polars as pl

ROOT = Path(__file__).resolve().parents[3]  # the repository root
DATA = ROOT.parent / "shared" / "data" / "mpdta.csv"
OUT = ROOT / "tests" / "reference" / "cs_mpdta.csv"

_att_gt_module = importlib.import_module("moderndid.did.att_gt")
_compute = _att_gt_module.compute_att_gt


_LAST = {}


def _route_unbalanced(dp, n_jobs=1):
    _LAST["dp"] = dp
    if dp.config.data_format.name == "UNBALANCED_PANEL":
        dp.config.panel = False
        dp.data = dp.data.with_columns(pl.col(dp.config.idname).alias(".rowid"))
        xf = dp.config.xformla
        cols = [] if xf in (None, "~1") else [v.strip() for v in xf.lstrip("~").split("+")]
        dp.covariates_matrix = np.column_stack(
            [np.ones(len(dp.data))] + [dp.data[c].to_numpy() for c in cols])
    return _compute(dp, n_jobs=n_jobs)


_att_gt_module.compute_att_gt = _route_unbalanced

df = pd.read_csv(DATA)
df["w"] = 1 + (df["countyreal"] % 5) / 4
rows = []
CTRL = {"never": "nevertreated", "not_yet": "notyettreated"}


def add(scenario, control, method, cov, kind, term, cohort, time, e, est, se):
    rows.append((scenario, control, method, cov, kind, term, cohort, time, e, est, se))


def _unit_inputs(mp, kw):
    """Give aggte the unit-level cohorts and weights R uses, in influence-function row order.

    moderndid 0.2.0 passes no sampling weights to aggte when ``weightsname`` is set (its
    time-invariant table keeps them as ``weights`` only), so cohort shares ignore them; R
    uses ``.w``. On the unbalanced route the influence-function rows are sorted by unit id
    (as in R) while its unit table is in order of first appearance. Both are set here from
    moderndid's own preprocessed unit table; no estimate is touched.
    """
    dp = _LAST["dp"]
    tid = dp.time_invariant_data
    if kw.get("allow_unbalanced_panel"):
        tid = tid.sort("countyreal")
    if kw.get("allow_unbalanced_panel") or kw.get("weightsname"):
        mp = mp._replace(G=tid["first.treat"].to_numpy(), weights_ind=tid["weights"].to_numpy())
    return mp


def run(scenario, data, control, method, cov, aggs=(), **kw):
    xf = "~lpop" if cov == "lpop" else None
    mp = md.att_gt(data=data, yname="lemp", tname="year", idname="countyreal",
                   gname="first.treat", xformla=xf, control_group=CTRL[control],
                   est_method=method, boot=False, cband=False, **kw)
    mp = _unit_inputs(mp, kw)
    for g, t, a, s in zip(mp.groups, mp.times, mp.att_gt, mp.se_gt, strict=True):
        add(scenario, control, method, cov, "att_gt", f"ATT({int(g)},{int(t)})", g, t, t - g,
            a, s)
    if scenario == "main":
        add(scenario, control, method, cov, "pretrend", "wald", np.nan, np.nan, np.nan,
            mp.wald_stat, np.nan)
        add(scenario, control, method, cov, "pretrend", "p_value", np.nan, np.nan, np.nan,
            mp.wald_pvalue, np.nan)
    for kind, akw in aggs:
        ag = md.aggte(mp, boot=False, cband=False, **akw)
        add(scenario, control, method, cov, kind, "overall", np.nan, np.nan, np.nan,
            ag.overall_att, ag.overall_se)
        if ag.event_times is None:
            continue
        for v, a, s in zip(ag.event_times, ag.att_by_event, ag.se_by_event, strict=True):
            if kind.startswith("event"):
                add(scenario, control, method, cov, kind, f"ATT(e={int(v)})", np.nan, np.nan,
                    v, a, s)
            elif kind == "cohort":
                add(scenario, control, method, cov, kind, f"ATT(g={int(v)})", v, np.nan,
                    np.nan, a, s)
            else:
                add(scenario, control, method, cov, kind, f"ATT(t={int(v)})", np.nan, v,
                    np.nan, a, s)


ALL = (("simple", {"type": "simple"}), ("event", {"type": "dynamic"}),
       ("cohort", {"type": "group"}), ("calendar", {"type": "calendar"}),
       ("event_balance1", {"type": "dynamic", "balance_e": 1}),
       ("event_window", {"type": "dynamic", "min_e": -2, "max_e": 2}))
EVENT = (("event", {"type": "dynamic"}),)

for control in ("never", "not_yet"):
    for method in ("dr", "ipw", "reg"):
        for cov in ("none", "lpop"):
            run("main", df, control, method, cov, ALL)
run("universal", df, "not_yet", "dr", "lpop", EVENT, base_period="universal")
run("anticipation", df, "never", "dr", "none", EVENT, anticipation=1)
run("anticipation", df, "not_yet", "reg", "lpop", EVENT, anticipation=1)
run("weights", df, "never", "dr", "lpop", EVENT + (("cohort", {"type": "group"}),),
    weightsname="w")
unb = df[~(((df["countyreal"] % 7 == 0) & (df["year"] == 2005))
           | ((df["countyreal"] % 11 == 0) & (df["year"] == 2003)))].reset_index(drop=True)
for method in ("dr", "ipw", "reg"):
    for cov in ("none", "lpop"):
        run("unbalanced", unb, "never", method, cov,
            (("simple", {"type": "simple"}),) + EVENT, allow_unbalanced_panel=True)
run("unbalanced", unb, "not_yet", "dr", "lpop", (("simple", {"type": "simple"}),) + EVENT,
    allow_unbalanced_panel=True)
# R did (pre_process_did) without never-treated units and control_group="notyettreated":
# keep periods < max(g) - anticipation and drop the last cohort from the groups, so that it
# only serves as comparison. moderndid 0.2.0 keeps computing ATT(g,t) for that last cohort,
# so R's behaviour is reproduced on the input: years < 2007, cohort 2007 coded 0.
nonever = df[(df["first.treat"] > 0) & (df["year"] < 2007)].copy()
nonever.loc[nonever["first.treat"] == 2007, "first.treat"] = 0
run("nonever", nonever.reset_index(drop=True), "not_yet", "dr", "none", EVENT)

out = pd.DataFrame(rows, columns=["scenario", "control", "method", "covariates", "kind", "term",
                                  "cohort", "time", "event_time", "estimate", "std_error"])
out.to_csv(OUT, index=False, float_format="%.12g")
print(out.groupby(["scenario", "kind"]).size().to_string())
