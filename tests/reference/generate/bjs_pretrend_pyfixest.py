"""Freeze pyfixest values for did_zones.imputation's pre-trend test (BJS Test 1).

Stata ``did_imputation ..., pretrends(k)`` regresses the outcome on dummies for event
times -1..-k (shifted by the anticipation) plus controls and the fixed effects, on the
untreated observations only, with ``reghdfe, cluster()`` (singletons dropped, CRV1 with
G/(G-1)(N-1)/(N-K), fixed effects nested in the cluster not counted), and tests the
leads jointly with ``test, df(e(df_r))``: F = W/k against F(k, G-1). pyfixest's feols
follows the same conventions (R fixest, reghdfe), so this script runs that regression and
computes the F statistic from its coefficients and CRV1 matrix.

Writes tests/reference/bjs_pretrend_pyfixest.csv (reads mpdta and
tests/reference/bjs_sim_data.csv, written by bjs_diffdiff.py; run that first).

    python -m venv /tmp/peers5 && /tmp/peers5/bin/pip install pyfixest==0.60.0
    /tmp/peers5/bin/python tests/reference/generate/bjs_pretrend_pyfixest.py
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf
from scipy import stats

OUT = Path(__file__).resolve().parents[1]  # tests/reference
MPDTA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mpdta.csv"


def pretrend(rows, data, case, df, y, cohort, k, *, anticipation=0, controls=(),
             cluster="unit_id", weights=None):
    g = df[cohort].to_numpy(dtype=float)
    t = df["year"].to_numpy()
    e = np.where(g > 0, t - g, np.nan)
    untreated = ~((g > 0) & (t >= g - anticipation))
    d = df.loc[untreated].copy()
    e0 = e[untreated]
    leads = []
    for j in range(1, k + 1):
        h = -anticipation - j
        name = f"lead{j}"
        d[name] = (e0 == h).astype(float)
        leads.append((name, h))
    rhs = " + ".join([n for n, _ in leads] + list(controls))
    vcov = "hetero" if cluster is None else {"CRV1": cluster}  # hetero: HC1
    fit = pf.feols(f"{y} ~ {rhs} | unit_id + year", data=d, vcov=vcov,
                   weights=weights, fixef_tol=1e-14)
    coef, V = fit.coef(), fit._vcov
    names = list(coef.index)
    idx = [names.index(n) for n, _ in leads]
    b = coef.to_numpy()[idx]
    Vk = V[np.ix_(idx, idx)]
    W = float(b @ np.linalg.solve(Vk, b))
    # denominator df: G - 1 with clusters (reghdfe e(df_r)), N - K with HC1
    df2 = int(np.min(np.asarray(fit._G))) - 1 if cluster is not None else int(fit._df_t)
    F = W / k
    p = float(stats.f.sf(F, k, df2))
    se = np.sqrt(np.diag(Vk))
    for (_name, h), bi, si in zip(leads, b, se, strict=True):
        rows.append({"data": data, "case": case, "term": f"pre(e={h})", "estimate": bi,
                     "std_error": si, "F": F, "p_value": p, "df1": k, "df2": df2,
                     "n_obs": fit._N})
    for j in range(k):  # the full lead covariance, for the joint test
        for i in range(k):
            rows.append({"data": data, "case": case, "term": f"vcov[{leads[j][1]},{leads[i][1]}]",
                         "estimate": Vk[j, i], "std_error": np.nan, "F": F, "p_value": p,
                         "df1": k, "df2": df2, "n_obs": fit._N})


def main() -> None:
    rows = []
    mp = pd.read_csv(MPDTA).rename(columns={"countyreal": "unit_id"})
    pretrend(rows, "mpdta", "k3", mp, "lemp", "first.treat", 3)
    sim = pd.read_csv(OUT / "bjs_sim_data.csv").rename(columns={"unit": "unit_id"})
    pretrend(rows, "sim", "k4_x1_w_province", sim, "y", "cohort", 4, controls=("x1",),
             cluster="province", weights="w")
    pretrend(rows, "sim", "k2_anticipation1", sim, "y", "cohort", 2, anticipation=1)
    pretrend(rows, "sim", "k3_hc1", sim, "y", "cohort", 3, cluster=None)
    pd.DataFrame(rows).to_csv(OUT / "bjs_pretrend_pyfixest.csv", index=False,
                              float_format="%.12g")


if __name__ == "__main__":
    main()
