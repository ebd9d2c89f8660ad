"""Freeze pyfixest did2s values (a port of R did2s, incl. its GMM variance).

Writes tests/reference/did2s_pyfixest.csv from mpdta and tests/reference/bjs_sim_data.csv
(written by bjs_diffdiff.py; run that first).

Run in the peers' own venv, never the library's:

    python -m venv /tmp/peers5 && /tmp/peers5/bin/pip install pyfixest==0.60.0
    /tmp/peers5/bin/python tests/reference/generate/did2s_pyfixest.py

One documented adjustment: pyfixest 0.60's did2s fits its first stage with feols'
default ``fixef_rm="singleton"``, which drops units with a single untreated row (mpdta's
cohort 2004, first observed 2003) and then fails on the length mismatch. R fixest's feols
keeps singletons (as R did2s and Stata did_imputation's ``keepsing`` do), so the first
stage here is fitted with ``fixef_rm="none"`` by wrapping the ``feols`` that did2s calls;
no estimator code is changed. Likewise the first-stage tolerances are tightened
(``fixef_tol=1e-14`` for the demeaning, ``atol = btol = 1e-14`` for the lsqr that
recovers the fixed effects; defaults 1e-8 and 1e-6) so the imputed Y(0) of the
unbalanced simulated panel is exact to ~1e-12 rather than ~1e-6.

Event-time dummies are built here from ``year - cohort`` (never-treated: all zero), so
``second_stage = "~ e_m4 + ... + e_p3"`` is R's ``~ i(rel_year, ref = c(-1, Inf))``.
"""

import functools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf
import pyfixest.did.did2s  # noqa: F401  (module looked up in sys.modules below)
from pyfixest.estimation.models.feols_ import Feols

OUT = Path(__file__).resolve().parents[1]  # tests/reference
MPDTA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mpdta.csv"

_mod = sys.modules["pyfixest.did.did2s"]
_mod.feols = functools.partial(_mod.feols, fixef_rm="none", fixef_tol=1e-14)
Feols.fixef = functools.partialmethod(Feols.fixef, atol=1e-14, btol=1e-14)


def prepare(df, cohort, anticipation=0, ref=-1):
    df = df.copy()
    g = df[cohort].to_numpy(dtype=float)
    e = np.where(g > 0, df["year"].to_numpy() - g, np.nan)
    df["treat"] = ((g > 0) & (e >= -anticipation)).astype(int)
    names = []
    for k in sorted(int(v) for v in np.unique(e[np.isfinite(e)])):
        if k == ref - anticipation:
            continue
        name = f"e_m{-k}" if k < 0 else f"e_p{k}"
        df[name] = (e == k).astype(float)
        names.append((name, k))
    return df, names


def fit(df, y, first, second, cluster, weights=None):
    return pf.did2s(df, yname=y, first_stage=first, second_stage=second, treatment="treat",
                    cluster=cluster, weights=weights)


def record(rows, data, case, res, terms):
    coef, se = res.coef(), res.se()
    for name, term in terms:
        rows.append({"data": data, "case": case, "term": term, "estimate": coef[name],
                     "std_error": se[name], "n_obs": res._N})


def run_case(rows, data, case, df, y, cohort, cluster, *, controls="0", weights=None,
             anticipation=0, keep=None):
    d, dummies = prepare(df, cohort, anticipation)
    first = f"~ {controls} | unit_id + year"
    static = fit(d, y, first, "~ i(treat, ref=0)", cluster, weights)
    record(rows, data, case, static, [("treat::True", "overall")])
    if keep is not None:  # horizons subset: treated rows at other event times left out
        g = d[cohort].to_numpy(dtype=float)
        e = np.where(g > 0, d["year"].to_numpy() - g, np.nan)
        out = (d["treat"] == 1).to_numpy() & ~np.isin(e, keep)
        d = d.loc[~out].reset_index(drop=True)
        dummies = [(n, k) for n, k in dummies if k in keep]
    es = fit(d, y, first, "~ " + " + ".join(n for n, _ in dummies), cluster, weights)
    record(rows, data, case + ("_subset" if keep is not None else "_event"), es,
           [(n, f"ATT(e={k})") for n, k in dummies])


def main() -> None:
    rows = []
    mp = pd.read_csv(MPDTA).rename(columns={"countyreal": "unit_id"})
    mp["w"] = 1 + (mp["unit_id"] % 5) / 4
    run_case(rows, "mpdta", "basic", mp, "lemp", "first.treat", "unit_id")
    run_case(rows, "mpdta", "weights", mp, "lemp", "first.treat", "unit_id", weights="w")
    run_case(rows, "mpdta", "horizons", mp, "lemp", "first.treat", "unit_id",
             keep=[-3, -2, 0, 1, 2])
    sim = pd.read_csv(OUT / "bjs_sim_data.csv").rename(columns={"unit": "unit_id"})
    run_case(rows, "sim", "basic", sim, "y", "cohort", "unit_id")
    run_case(rows, "sim", "x1_w_province", sim, "y", "cohort", "province", controls="x1",
             weights="w")
    pd.DataFrame(rows).to_csv(OUT / "did2s_pyfixest.csv", index=False, float_format="%.12g")


if __name__ == "__main__":
    main()
