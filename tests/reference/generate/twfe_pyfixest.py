"""Freeze pyfixest values for did_zones.twfe and did_zones.event_study.

Writes tests/reference/twfe_sim_data.csv (a simulated unbalanced staggered panel with a
singleton unit, missing outcomes, two time-varying controls, weights and a province) and
tests/reference/twfe_pyfixest.csv (estimates, standard errors, N, G and joint pre-trend
F statistics from pyfixest's feols, which mimics R fixest / Stata reghdfe: CRV1, small-sample
factor G/(G-1)(N-1)/(N-K) with fixed effects nested in the cluster not counted, singletons
removed).

Run in the peers' own venv, never the library's:

    python -m venv /tmp/peers5 && /tmp/peers5/bin/pip install pyfixest==0.60.0
    /tmp/peers5/bin/python tests/reference/generate/twfe_pyfixest.py

Event-time dummies are built here from ``year - cohort`` (never-treated: all zero), so the
regression is exactly ``feols("y ~ e_m5 + ... + e_p4 | unit + year")``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

FIXEF_TOL = 1e-12  # demeaning tolerance: tighter than the default so digits are stable

OUT = Path(__file__).resolve().parents[1]  # tests/reference
MPDTA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mpdta.csv"


def simulate() -> pd.DataFrame:
    rng = np.random.default_rng(20261128)
    n, years = 90, np.arange(2010, 2018)
    cohort = rng.choice([2012, 2014, 2016, 0], size=n, p=[0.25, 0.25, 0.2, 0.3])
    province = rng.integers(0, 9, size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(1, n + 1), years.size),
                       "year": np.tile(years, n)})
    u = df["unit"].to_numpy() - 1
    df["cohort"] = cohort[u]
    df["province"] = province[u]
    g = df["cohort"].to_numpy()
    e = np.where(g > 0, df["year"] - g, np.nan)
    treated = (g > 0) & (df["year"].to_numpy() >= g)
    df["x1"] = rng.normal(size=len(df)) + 0.05 * (df["year"] - 2010) * province[u] / 9
    df["x2"] = rng.normal(size=len(df)) + 0.4 * treated
    df["w"] = rng.uniform(0.5, 2.0, size=n)[u]
    effect = np.where(treated, (0.3 + 0.1 * np.nan_to_num(e)) * (1 + (g - 2012) / 4), 0.0)
    df["y"] = (rng.normal(size=n)[u] + 0.2 * (df["year"] - 2010)
               + rng.normal(scale=0.3, size=9)[province[u]] * (df["year"] - 2010)
               + effect + 0.5 * df["x1"] - 0.3 * df["x2"] + rng.normal(size=len(df)))
    # unbalanced: drop 6% of rows; unit 90 keeps a single row (a singleton)
    keep = rng.random(len(df)) > 0.06
    keep &= ~((df["unit"] == n) & (df["year"] != 2013))
    df = df.loc[keep].reset_index(drop=True)
    df.loc[[5, 77, 301], "y"] = np.nan  # missing outcomes
    return df


def dummies(df: pd.DataFrame, cohort: str, lo=None, hi=None, bin_ends=False, ref=(-1,)):
    """Event-time dummies e_m<k> / e_p<k>; returns the frame and the dummy names."""
    g = df[cohort].to_numpy(dtype=float)
    e = np.where(g > 0, df["year"].to_numpy() - g, np.nan)
    if bin_ends:
        e = np.where(np.isfinite(e), np.clip(e, lo, hi), np.nan)
    names = []
    out = df.copy()
    for k in sorted(int(v) for v in np.unique(e[np.isfinite(e)])):
        if k in ref:
            continue
        name = f"e_m{-k}" if k < 0 else f"e_p{k}"
        out[name] = (e == k).astype(float)
        names.append(name)
    return out, names


def feols(*args, **kwargs):
    return pf.feols(*args, fixef_tol=FIXEF_TOL, **kwargs)


def record(rows, case, fit, names, leads=()):
    coef = fit.coef()
    se = fit.se()
    G = np.atleast_1d(np.asarray(fit._G if fit._is_clustered else [], dtype=float))
    n_clusters = int(G.min()) if G.size else 0  # 0: not clustered
    for name in names:
        # a term pyfixest dropped as collinear is recorded with a missing estimate
        kept = name in coef.index
        rows.append({"case": case, "term": name,
                     "estimate": coef[name] if kept else np.nan,
                     "std_error": se[name] if kept else np.nan, "p_value": np.nan,
                     "df": np.nan, "n_obs": fit._N, "n_clusters": n_clusters})
    if leads:
        # joint pre-trend test on the lead terms. pyfixest's wald_test falls back to chi2
        # for any R other than the identity, so two rows are frozen: the F statistic W / q
        # with its denominator degrees of freedom G - 1 (Stata's `test` compares it with
        # F(q, G - 1)) and the chi-square statistic W with pyfixest's chi2(q) p-value
        names_all = list(coef.index)
        leads = [x for x in leads if x in names_all]
        R = np.zeros((len(leads), len(names_all)))
        R[np.arange(len(leads)), [names_all.index(x) for x in leads]] = 1.0
        fit.wald_test(R=R, distribution="chi2")
        common = {"case": case, "std_error": np.nan, "n_obs": fit._N, "n_clusters": n_clusters}
        rows.append({**common, "term": "pretrend_F", "estimate": float(fit._f_statistic),
                     "p_value": np.nan, "df": float(fit._dfd)})
        rows.append({**common, "term": "pretrend_chi2", "estimate": float(fit._wald_statistic),
                     "p_value": float(fit._p_value), "df": float(fit._dfn)})


def main() -> None:
    rows: list[dict] = []
    sim = simulate()
    sim.to_csv(OUT / "twfe_sim_data.csv", index=False)
    g = sim["cohort"]
    sim["d"] = ((g > 0) & (sim["year"] >= g)).astype(float)

    mp = pd.read_csv(MPDTA)
    ft = mp["first.treat"]
    mp["d"] = ((ft > 0) & (mp["year"] >= ft)).astype(float)
    fit = feols("lemp ~ d | countyreal + year", data=mp, vcov={"CRV1": "countyreal"})
    record(rows, "twfe_mpdta", fit, ["d"])

    crv = {"CRV1": "unit"}
    fit = feols("y ~ d + x1 + x2 | unit + year", data=sim, vcov=crv)
    record(rows, "twfe_sim", fit, ["d", "x1", "x2"])
    fit = feols("y ~ d + x1 + x2 | unit + year", data=sim, vcov="hetero")
    record(rows, "twfe_sim_hc1", fit, ["d", "x1", "x2"])
    fit = feols("y ~ d + x1 + x2 | unit + year", data=sim, vcov={"CRV1": "unit+year"})
    record(rows, "twfe_sim_twoway", fit, ["d", "x1", "x2"])
    fit = feols("y ~ d + x1 + x2 | unit + year", data=sim, vcov=crv, weights="w")
    record(rows, "twfe_sim_weights", fit, ["d", "x1", "x2"])
    fit = feols("y ~ d + x1 + x2 | unit + year", data=sim, vcov={"CRV1": "province"})
    record(rows, "twfe_sim_province", fit, ["d", "x1", "x2"])
    # extra province x year effects; k_fixef="none": (N-1)/(N-k) with k = 2 regressors, so
    # the test applies its own (exact-rank) fixed-effect count explicitly
    fit = feols("y ~ d + x1 | unit + year + province^year", data=sim, vcov=crv,
                   ssc=pf.ssc(k_fixef="none"))
    record(rows, "twfe_sim_provyear_kfe_none", fit, ["d", "x1"])

    es, names = dummies(mp, "first.treat")
    leads = [n for n in names if n.startswith("e_m")]
    fit = feols(f"lemp ~ {' + '.join(names)} | countyreal + year", data=es,
                   vcov={"CRV1": "countyreal"})
    record(rows, "es_mpdta", fit, names, leads)

    es, names = dummies(sim, "cohort")
    leads = [n for n in names if n.startswith("e_m")]
    fit = feols(f"y ~ {' + '.join(names)} + x1 | unit + year", data=es, vcov=crv)
    record(rows, "es_sim", fit, names + ["x1"], leads)

    es, names = dummies(sim, "cohort", -3, 3, bin_ends=True)
    leads = [n for n in names if n.startswith("e_m")]
    fit = feols(f"y ~ {' + '.join(names)} | unit + year", data=es, vcov=crv)
    record(rows, "es_sim_bin", fit, names, leads)

    # window -3..3 without binning: control="never" drops every treated-unit row outside
    # the window; control="not_yet" keeps rows before the window as not-yet-treated
    # comparisons (no dummy) and drops rows after it
    e = np.where(g > 0, sim["year"] - g, np.nan)
    for case, keep in (("es_sim_never_window", ~((e < -3) | (e > 3))),
                       ("es_sim_notyet_window", ~(e > 3))):
        es, names = dummies(sim.loc[keep].reset_index(drop=True), "cohort")
        # rows before the window (not_yet) get no dummy: they are comparisons
        names = [n for n in names if int(n[3:]) <= 3]
        leads = [n for n in names if n.startswith("e_m")]
        fit = feols(f"y ~ {' + '.join(names)} | unit + year", data=es, vcov=crv)
        record(rows, case, fit, names, leads)

    # weights and few (province) clusters with binned endpoints
    es, names = dummies(sim, "cohort", -3, 3, bin_ends=True)
    leads = [n for n in names if n.startswith("e_m")]
    fit = feols(f"y ~ {' + '.join(names)} + x1 | unit + year", data=es,
                vcov={"CRV1": "province"}, weights="w")
    record(rows, "es_sim_bin_weights_province", fit, names + ["x1"], leads)

    # no never-treated units: the full set of leads and lags is collinear with the unit and
    # period effects, so a second reference period is needed (here the earliest lead)
    nn = sim.loc[sim["cohort"] > 0].reset_index(drop=True)
    e_nn = nn["year"] - nn["cohort"]
    ref2 = (-1, int(e_nn.min()))
    es, names = dummies(nn, "cohort", ref=ref2)
    leads = [n for n in names if n.startswith("e_m")]
    fit = feols(f"y ~ {' + '.join(names)} | unit + year", data=es, vcov=crv)
    record(rows, "es_sim_nonever", fit, names, leads)

    out = pd.DataFrame(rows)
    out.to_csv(OUT / "twfe_pyfixest.csv", index=False, float_format="%.17g")
    print(out.to_string())


if __name__ == "__main__":
    main()
