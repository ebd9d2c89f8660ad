"""Freeze pyfixest values for did_zones.iv_did.

Writes tests/reference/iv_sim_data.csv (a simulated unbalanced staggered panel with an
endogenous e-commerce index ``x``, a control ``w``, a second instrument ``z2``, unit weights
``pop`` and a province) and tests/reference/iv_pyfixest.csv (2SLS estimates, standard
errors, N, G and first-stage F statistics from pyfixest's feols IV syntax
``y ~ exog | fe | endog ~ instruments``, which mimics R fixest: CRV1 with the small-sample
factor G/(G-1)(N-1)/(N-K), fixed effects nested in the cluster not counted in K).

Run in the peers' own venv, never the library's:

    python -m venv /tmp/peers_iv && /tmp/peers_iv/bin/pip install pyfixest==0.60.0
    /tmp/peers_iv/bin/python tests/reference/generate/iv_pyfixest.py
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

FIXEF_TOL = 1e-12  # demeaning tolerance: tighter than the default so digits are stable
OUT = Path(__file__).resolve().parents[1]  # tests/reference


def simulate() -> pd.DataFrame:
    """60 cities x 2010-2017, cohorts 2012/2014/2016/never; x = e-commerce index moved by
    the pilot (d) and by a shock u that also moves y (so OLS is biased); y = 0.8 x + ..."""
    rng = np.random.default_rng(20261206)
    n, years = 60, np.arange(2010, 2018)
    cohort = rng.choice([2012, 2014, 2016, 0], size=n, p=[0.25, 0.25, 0.2, 0.3])
    df = pd.DataFrame({"unit": np.repeat(np.arange(1, n + 1), years.size),
                       "year": np.tile(years, n)})
    u_idx = df["unit"].to_numpy() - 1
    t_idx = df["year"].to_numpy() - 2010
    g = cohort[u_idx]
    d = ((g > 0) & (df["year"].to_numpy() >= g)).astype(float)
    a, lam = rng.normal(size=n)[u_idx], rng.normal(size=years.size)[t_idx]
    df["cohort"] = g
    df["province"] = (np.arange(n) // 5)[u_idx]
    df["pop"] = rng.uniform(0.5, 2.0, size=n)[u_idx]
    df["w"] = rng.normal(size=len(df)) + 0.5 * a
    df["z2"] = d * rng.normal(1.0, 0.4, size=n)[u_idx] + 0.3 * rng.normal(size=len(df))
    shock = rng.normal(size=len(df))
    df["x"] = (a + lam + 1.5 * d + 0.5 * df["z2"] + 0.4 * df["w"] + 0.7 * shock
               + rng.normal(scale=0.5, size=len(df)))
    df["y"] = (2 * a - lam + 0.8 * df["x"] + 0.3 * df["w"] + shock
               + rng.normal(scale=0.5, size=len(df)))
    keep = rng.random(len(df)) > 0.05  # unbalanced
    return df.loc[keep].reset_index(drop=True)


def feols(*args, **kwargs):
    return pf.feols(*args, fixef_tol=FIXEF_TOL, **kwargs)


def record(rows, case, fit, names):
    coef, se = fit.coef(), fit.se()
    G = np.atleast_1d(np.asarray(fit._G if fit._is_clustered else [], dtype=float))
    n_clusters = int(G.min()) if G.size else 0  # 0: not clustered
    for name in names:
        rows.append({"case": case, "term": name, "estimate": coef[name],
                     "std_error": se[name], "n_obs": fit._N, "n_clusters": n_clusters})


def first_stage_f(rows, case, fit):
    """pyfixest's first-stage F of the excluded instruments (IV_Diag), frozen as term
    ``first_stage_F`` (estimate = F)."""
    fit.IV_Diag()
    rows.append({"case": case, "term": "first_stage_F", "estimate": float(fit._f_stat_1st_stage),
                 "std_error": np.nan, "n_obs": fit._N, "n_clusters": 0})


def main() -> None:
    rows: list[dict] = []
    sim = simulate()
    sim.to_csv(OUT / "iv_sim_data.csv", index=False, float_format="%.17g")
    g = sim["cohort"]
    sim["d"] = ((g > 0) & (sim["year"] >= g)).astype(float)

    crv = {"CRV1": "unit"}
    fit = feols("y ~ 1 | unit + year | x ~ d", data=sim, vcov=crv)
    record(rows, "iv_sim_nocontrols", fit, ["x"])
    first_stage_f(rows, "iv_sim_nocontrols", fit)
    fit = feols("y ~ w | unit + year | x ~ d", data=sim, vcov=crv)
    record(rows, "iv_sim", fit, ["x", "w"])
    first_stage_f(rows, "iv_sim", fit)
    fit = feols("y ~ w | unit + year | x ~ d", data=sim, vcov="hetero")
    record(rows, "iv_sim_hc1", fit, ["x", "w"])
    fit = feols("y ~ w | unit + year | x ~ d", data=sim, vcov={"CRV1": "province"})
    record(rows, "iv_sim_province", fit, ["x", "w"])
    fit = feols("y ~ w | unit + year | x ~ d", data=sim, vcov={"CRV1": "unit+year"})
    record(rows, "iv_sim_twoway", fit, ["x", "w"])
    fit = feols("y ~ w | unit + year | x ~ d", data=sim, vcov=crv, weights="pop")
    record(rows, "iv_sim_weights", fit, ["x", "w"])
    fit = feols("y ~ w | unit + year | x ~ d + z2", data=sim, vcov=crv)
    record(rows, "iv_sim_overid", fit, ["x", "w"])
    # the first stage and the reduced form as plain feols (reghdfe) regressions
    fit = feols("x ~ d + w | unit + year", data=sim, vcov=crv)
    record(rows, "first_stage", fit, ["d", "w"])
    fit = feols("y ~ d + w | unit + year", data=sim, vcov=crv)
    record(rows, "reduced_form", fit, ["d", "w"])

    out = pd.DataFrame(rows)
    out.to_csv(OUT / "iv_pyfixest.csv", index=False, float_format="%.17g")
    print(out.to_string())


if __name__ == "__main__":
    main()
