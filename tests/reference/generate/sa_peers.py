"""Freeze peer values for did_zones.sun_abraham -> sa_sim_data.csv, sa_pyfixest.csv, sa_diffdiff.csv.

Run each part in its peer's own virtual environment, never the library's:

    python -m venv /tmp/peers5 && /tmp/peers5/bin/pip install pyfixest==0.60.0
    /tmp/peers5/bin/python tests/reference/generate/sa_peers.py pyfixest
    python -m venv /tmp/peers && /tmp/peers/bin/pip install diff-diff==3.13.0
    /tmp/peers/bin/python tests/reference/generate/sa_peers.py diffdiff

``pyfixest`` (run first: it also writes the simulated panel):

* ``mpdta``: pyfixest's own saturated event study,
  ``pf.event_study(mpdta, yname="lemp", idname="countyreal", tname="year",
  gname="first.treat", estimator="saturated", cluster="countyreal")``: every CATT
  coefficient with its CRV1 standard error, ``fit.aggregate()`` (the IW event-time
  estimates with cohort shares treated as fixed) and the overall ATT by fixest's
  ``aggregate(x, "att")`` rule below (pyfixest's ``aggregate`` offers only periods).
* Simulated unbalanced panel (``sa_sim_data.csv``: missing outcomes, a singleton unit, two
  time-varying controls, weights, provinces; cohorts 2012/2014/2016/2018 and never-treated,
  heterogeneous dynamic effects). The cohort × relative-period dummies are built here and
  fitted with ``pf.feols("y ~ <dummies> [+ x1 + x2] | unit + year", vcov={"CRV1": ...},
  weights=..., fixef_rm="singleton")`` (fixest/reghdfe conventions). The IW aggregation is
  fixest's ``aggregate.fixest`` rule: within each relative period the coefficients are
  averaged with shares ∝ the (weighted) count of their dummy in the estimation sample,
  shares fixed, variance ``s'Vs``; ``att`` pools every post-treatment dummy the same way.
  Scenarios: ``base`` (never-treated comparisons, cluster unit), ``controls`` (+ x1 x2,
  weights w, cluster province), ``last`` (last-treated cohort 2018 as comparison on years
  < 2018; never-treated kept), ``bin`` (relative periods binned at -3 and +3), ``drop``
  (treated rows outside -3..3 removed), ``refs`` (references -1 and -4), ``hc1``
  (``vcov="hetero"``). The fixed effects are demeaned to ``fixef_tol=1e-13`` (pyfixest's
  default 1e-8 leaves ~1e-6 relative errors on this unbalanced panel). Two-way
  clustering is not frozen: with 10 years the CGM matrix is not positive semi-definite;
  pyfixest reports NaN standard errors there while did_zones (as reghdfe) clips negative
  eigenvalues, so the two cannot agree.
  The joint pre-trend statistic is pyfixest's ``wald_test(R, distribution="chi2")``
  ``W = (Rb)'(RVR')⁻¹(Rb)`` of the fixed-share lead combinations (kind ``pretrend_wald``;
  ``event_time`` holds the number of leads q).

``diffdiff``: ``diff_diff.SunAbraham().fit(data, outcome, unit, time, first_treat)`` on
mpdta (``lemp``, never-treated control, unit clusters) and on the simulated panel: scenario
``base_balanced`` (its balanced subpanel of units observed in all ten years with an outcome)
and ``base_unbalanced`` (rows with an outcome, the singleton unit removed: diff-diff rejects
missing outcomes and keeps singletons in N, while fixest / reghdfe / did_zones drop them):
event-time effects, the overall ATT and the cohort effects with their standard errors.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1]  # tests/reference
MPDTA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mpdta.csv"
SIM = OUT / "sa_sim_data.csv"
COLUMNS = ["source", "scenario", "kind", "cohort", "event_time", "estimate", "std_error",
           "n_obs", "n_clusters"]


def simulate() -> pd.DataFrame:
    rng = np.random.default_rng(20261128)
    n, years = 150, np.arange(2010, 2020)
    cohort = rng.choice([2012, 2014, 2016, 2018, 0], size=n, p=[0.2, 0.2, 0.2, 0.15, 0.25])
    province = rng.integers(0, 12, size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(1, n + 1), years.size),
                       "year": np.tile(years, n)})
    u = df["unit"].to_numpy() - 1
    df["cohort"] = cohort[u]
    df["province"] = province[u]
    g = df["cohort"].to_numpy()
    e = np.where(g > 0, df["year"] - g, 0)
    treated = (g > 0) & (df["year"].to_numpy() >= g)
    df["x1"] = rng.normal(size=len(df)) + 0.05 * (df["year"] - 2010) * province[u] / 12
    df["x2"] = rng.normal(size=len(df)) + 0.4 * treated
    df["w"] = rng.uniform(0.5, 2.0, size=n)[u]
    effect = np.where(treated, (0.5 + 0.2 * e) * (1 + (g - 2012) / 6), 0.0)
    df["y"] = (rng.normal(size=n)[u] + 0.2 * (df["year"] - 2010)
               + rng.normal(scale=0.3, size=12)[province[u]] * (df["year"] - 2010)
               + effect + 0.5 * df["x1"] - 0.3 * df["x2"] + rng.normal(size=len(df)))
    keep = rng.random(len(df)) > 0.06
    keep &= ~((df["unit"] == n) & (df["year"] != 2015))  # a singleton unit
    df = df.loc[keep].reset_index(drop=True)
    df.loc[[7, 120, 640], "y"] = np.nan
    return df


def cell_dummies(df, cohort="cohort", refs=(-1,), window=None, bin_ends=False,
                 comparison=()):
    """Cohort x relative-period dummies; comparison cohorts (and 0 = never) get none."""
    g = df[cohort].to_numpy(dtype=float)
    treated = (g > 0) & ~np.isin(g, comparison)
    e = np.where(treated, df["year"].to_numpy() - g, np.nan)
    out = df.copy()
    if window is not None:
        lo, hi = window
        if bin_ends:
            e = np.where(treated, np.clip(e, lo, hi), np.nan)
        else:
            out = out.loc[~(treated & ((e < lo) | (e > hi)))].copy()
            g = out[cohort].to_numpy(dtype=float)
            treated = (g > 0) & ~np.isin(g, comparison)
            e = np.where(treated, out["year"].to_numpy() - g, np.nan)
    cells = sorted({(int(a), int(b)) for a, b in zip(g[treated], e[treated], strict=True)
                    if b not in refs})
    names = []
    for a, b in cells:
        name = f"d_{a}_{'m' if b < 0 else 'p'}{abs(b)}"
        out[name] = ((g == a) & (e == b)).astype(float)
        names.append(name)
    return out, cells, names


def combine(coefnames, names, count, sel):
    """fixest's aggregate(): weights of the selected dummies ∝ their counts, summing to 1."""
    s = np.zeros(len(coefnames))
    tot = sum(count[names[i]] for i in sel)
    for i in sel:
        s[coefnames.index(names[i])] = count[names[i]] / tot
    return s


def run_pyfixest():
    import pyfixest as pf

    rows = []
    # -- mpdta: pyfixest's saturated event study
    mp = pd.read_csv(MPDTA)
    mp["first.treat"] = mp["first.treat"].astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.event_study(mp, yname="lemp", idname="countyreal", tname="year",
                             gname="first.treat", estimator="saturated", cluster="countyreal")
    tid = fit.tidy()
    G = int(np.min(fit._G))
    for name, r in tid.iterrows():
        parts = name.split("::")
        e, g = float(parts[1].split(":")[0]), int(parts[2])
        rows.append(("pyfixest", "mpdta", "catt", g, e, r["Estimate"], r["Std. Error"],
                     fit._N, G))
    agg = fit.aggregate()
    for e, r in agg.iterrows():
        rows.append(("pyfixest", "mpdta", "event", np.nan, float(e), r["Estimate"],
                     r["Std. Error"], fit._N, G))
    # the overall ATT by fixest's rule (pyfixest's aggregate() offers only "period")
    cn = list(fit._coefnames)
    cells = [(float(n.split("::")[1].split(":")[0]), int(n.split("::")[2])) for n in cn]
    used = fit._data
    count = {n: float(((used["rel_time"] == e) & (used["first_treated_period"] == g)).sum())
             for n, (e, g) in zip(cn, cells, strict=True)}
    s = combine(cn, cn, count, [i for i, (e, _) in enumerate(cells) if e >= 0])
    rows.append(("pyfixest", "mpdta", "overall", np.nan, np.nan, float(s @ fit.coef().to_numpy()),
                 float(np.sqrt(s @ fit._vcov @ s)), fit._N, G))

    # -- simulated panel: explicit dummies + feols
    sim = simulate()
    sim.to_csv(SIM, index=False, float_format="%.12g")
    scenarios = {
        "base": dict(vcov={"CRV1": "unit"}),
        "controls": dict(vcov={"CRV1": "province"}, controls=("x1", "x2"), weights="w"),
        "last": dict(vcov={"CRV1": "unit"}, last=2018),
        "bin": dict(vcov={"CRV1": "unit"}, window=(-3, 3), bin_ends=True),
        "drop": dict(vcov={"CRV1": "unit"}, window=(-3, 3)),
        "refs": dict(vcov={"CRV1": "unit"}, refs=(-4, -1)),
        "hc1": dict(vcov="hetero"),
    }
    for scen, kw in scenarios.items():
        data = sim
        comparison = ()
        if "last" in kw:
            data = sim[sim["year"] < kw["last"]]
            comparison = (kw["last"],)
        data, cells, names = cell_dummies(data, refs=kw.get("refs", (-1,)),
                                          window=kw.get("window"),
                                          bin_ends=kw.get("bin_ends", False),
                                          comparison=comparison)
        rhs = " + ".join(names + list(kw.get("controls", ())))
        fit = pf.feols(f"y ~ {rhs} | unit + year", data=data, vcov=kw["vcov"],
                       weights=kw.get("weights"), fixef_rm="singleton",
                       fixef_tol=1e-13, fixef_maxiter=100_000)
        coef, se, V = fit.coef(), fit.se(), fit._vcov
        cn = list(fit._coefnames)
        G = int(np.min(fit._G)) if fit._is_clustered else 0  # 0: HC1
        for (g, e), name in zip(cells, names, strict=True):
            rows.append(("pyfixest", scen, "catt", g, e, coef[name], se[name], fit._N, G))
        # fixest aggregate(): shares = (weighted) dummy counts in the estimation sample
        used = fit._data
        wts = used[kw["weights"]].to_numpy() if kw.get("weights") else np.ones(len(used))
        count = {n: float((used[n].to_numpy() * wts).sum()) for n in names}
        lead_R = []
        for e in sorted({c[1] for c in cells}):
            s = combine(cn, names, count, [i for i, c in enumerate(cells) if c[1] == e])
            rows.append(("pyfixest", scen, "event", np.nan, e, float(s @ coef.to_numpy()),
                         float(np.sqrt(s @ V @ s)), fit._N, G))
            if e < 0:
                lead_R.append(s)
        s = combine(cn, names, count, [i for i, c in enumerate(cells) if c[1] >= 0])
        rows.append(("pyfixest", scen, "overall", np.nan, np.nan, float(s @ coef.to_numpy()),
                     float(np.sqrt(s @ V @ s)), fit._N, G))
        wt = fit.wald_test(R=np.array(lead_R), distribution="chi2")
        rows.append(("pyfixest", scen, "pretrend_wald", np.nan, len(lead_R),
                     float(wt["statistic"]), np.nan, fit._N, G))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.to_csv(OUT / "sa_pyfixest.csv", index=False, float_format="%.12g")
    print(out.groupby(["scenario", "kind"]).size().to_string())


def run_diffdiff():
    from diff_diff import SunAbraham

    rows = []
    mp = pd.read_csv(MPDTA)
    sim = pd.read_csv(SIM)
    full = sim.dropna(subset=["y"])
    per_unit = full.groupby("unit")["year"].transform("size")
    balanced = full[per_unit == full["year"].nunique()]
    # diff-diff needs finite outcomes and keeps singleton units (counted in N); give it the
    # estimation sample of fixest / reghdfe: rows with an outcome, units with two rows or more
    unbalanced = full[per_unit > 1]
    cases = [("mpdta", mp, "lemp", "countyreal", "first.treat"),
             ("base_balanced", balanced, "y", "unit", "cohort"),
             ("base_unbalanced", unbalanced, "y", "unit", "cohort")]
    for scen, data, y, unit, g in cases:
        res = SunAbraham().fit(data, outcome=y, unit=unit, time="year", first_treat=g)
        n_obs, n_cl = res.n_obs, data[unit].nunique()
        for e, d in sorted(res.event_study_effects.items()):
            rows.append(("diffdiff", scen, "event", np.nan, float(e), d["effect"], d["se"],
                         n_obs, n_cl))
        rows.append(("diffdiff", scen, "overall", np.nan, np.nan, res.overall_att,
                     res.overall_se, n_obs, n_cl))
        for (c, e), d in sorted(res.cohort_effects.items()):
            rows.append(("diffdiff", scen, "catt", int(c), float(e), d["effect"], d["se"],
                         n_obs, n_cl))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.to_csv(OUT / "sa_diffdiff.csv", index=False, float_format="%.12g")
    print(out.groupby(["scenario", "kind"]).size().to_string())


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "pyfixest"
    {"pyfixest": run_pyfixest, "diffdiff": run_diffdiff}[which]()
