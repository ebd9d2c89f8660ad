"""Monte Carlo of ``dml_did`` on the library's simulator with confounded, nonlinear trends.

    python benchmarks/coverage_dml.py [--reps 200] [--trees 100]

Data: :func:`did_zones.simulate_pilot_panel` (seed r, years 2017-2018, homogeneous effect:
ATT(2018, 2018) = 0.015 ISU exactly, ``truth.att_gt``) plus 20 unit-level noise controls
``w0..w19`` and a trend that depends nonlinearly on the first-year GDP per capita ``z``
(standardised): ``isu += 0.02 (|z| + sin 2z) (year − 2017)``. Pilots are selected on GDP,
so parallel trends hold only conditionally on ``z``: the unconditional Callaway-Sant'Anna
ATT is biased. ``dml_did(controls=[z, w0..w19])`` with random forests (``--trees``,
``min_samples_leaf=5``) and 5 folds estimates ATT(2018, 2018); the table gives its bias,
the Monte-Carlo standard error of the bias, the coverage of the 95% interval and the mean
ratio of standard error to the Monte-Carlo sd, next to the unconditional estimate.

Output of ``python benchmarks/coverage_dml.py --reps 200 --trees 100`` (2 CPUs, 2026-12-07):

           bias  mc_se_of_bias  coverage95  se_over_sd
    dml  0.0004         0.0005       0.915      0.9162
    cs   0.0150         0.0005       0.350      0.9971
    200 replications in 1181 s

DML's bias is within one Monte-Carlo standard error of zero (the true ATT is 0.015); its
95% intervals cover 91.5% (MC se 2 points), the standard error being 8% below the sampling
sd with 22 treated units and forests of 100 trees (DoubleML's plug-in variance ignores the
finite-sample noise of the nuisances). The unconditional Callaway-Sant'Anna estimate is
biased by 0.015 (100% of the effect) and covers 35%.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import did_zones as dz

YEARS = (2017, 2018)
CELL = "ATT(2018,2018)"
N_NOISE = 20


def make_panel(seed: int) -> tuple[dz.Panel, float, list[str]]:
    """The simulated panel with the nonlinear confounded trend, the true ATT of CELL and the
    controls."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = dz.simulate_pilot_panel(seed=seed, years=YEARS, effect="homogeneous")
    df = sim.data
    first = df.groupby("city_code")["lngdp_pc"].transform("first")
    z = ((first - first.mean()) / first.std()).to_numpy()
    units = df["city_code"].unique()
    noise = pd.DataFrame(np.random.default_rng(seed + 10_000).normal(size=(units.size, N_NOISE)),
                         index=units, columns=[f"w{j}" for j in range(N_NOISE)])
    trend = 0.02 * (np.abs(z) + np.sin(2 * z)) * (df["year"].to_numpy() - YEARS[0])
    df = df.assign(z=z, isu=df["isu"] + trend).join(noise, on="city_code")
    truth = sim.truth.att_gt
    att = float(truth.loc[(truth["cohort"] == 2018) & (truth["time"] == 2018), "att"].iloc[0])
    panel = dz.build_panel(df, unit="city_code", time="year", cohort="cohort")
    return panel, att, ["z", *noise.columns]


def draw(seed: int, trees: int = 100) -> dict:
    """One replication: DML and unconditional CS estimates of CELL."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    panel, att, controls = make_panel(seed)
    rf = {"n_estimators": trees, "min_samples_leaf": 5, "random_state": seed}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = dz.dml_did(panel, "isu", controls=controls, seed=seed,
                         ml_g=RandomForestRegressor(max_features=1.0, **rf),
                         ml_m=RandomForestClassifier(max_features="sqrt", **rf))
        cs = dz.callaway_santanna(panel, "isu")
    return {"truth": att, "dml": res.estimate[CELL], "dml_se": res.std_error[CELL],
            "cs": cs.estimate[CELL], "cs_se": cs.std_error[CELL]}


def summarise(draws: pd.DataFrame) -> pd.DataFrame:
    rows = {}
    for name in ("dml", "cs"):
        err = draws[name] - draws["truth"]
        cover = (err.abs() <= 1.96 * draws[f"{name}_se"]).mean()
        rows[name] = {"bias": err.mean(), "mc_se_of_bias": err.std() / np.sqrt(len(err)),
                      "coverage95": cover, "se_over_sd": draws[f"{name}_se"].mean() / err.std()}
    return pd.DataFrame(rows).T


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--trees", type=int, default=100)
    args = ap.parse_args()
    t0 = time.perf_counter()
    draws = pd.DataFrame([draw(r, args.trees) for r in range(args.reps)])
    print(summarise(draws).round(4).to_string())
    print(f"{args.reps} replications in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
