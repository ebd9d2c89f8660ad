"""Freeze diff-diff values for did_zones.imputation and did_zones.did2s.

Writes
  tests/reference/bjs_sim_data.csv   a simulated unbalanced staggered panel (numpy only)
  tests/reference/bjs_diffdiff.csv   diff-diff ImputationDiD (Borusyak-Jaravel-Spiess)
  tests/reference/did2s_diffdiff.csv diff-diff TwoStageDiD (Gardner two-stage, GMM variance)

Run in the peers' own venv, never the library's:

    python -m venv /tmp/peers && /tmp/peers/bin/pip install diff-diff==3.13.0
    /tmp/peers/bin/python tests/reference/generate/bjs_diffdiff.py

diff-diff's ImputationDiD computes BJS Theorem 3 with the auxiliary average tau-tilde by
cohort x event time, grouped by unit (Stata did_imputation groups by cluster: the same
with unit clusters, the only clustering used here). Its TwoStageDiD computes the GMM
sandwich of R did2s.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from diff_diff import ImputationDiD, TwoStageDiD

OUT = Path(__file__).resolve().parents[1]  # tests/reference
MPDTA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mpdta.csv"


def simulate() -> pd.DataFrame:
    """Staggered panel: 150 units x 2010-2019, cohorts 2011/2014/2016/2018 + never.

    Heterogeneous dynamic effects, a time-varying control x1 related to treatment timing,
    a province column, positive weights, 4% of rows removed (never a cohort-2011 unit's
    only untreated row, 2010, so every treated row stays imputable).
    """
    rng = np.random.default_rng(20261128)
    n, years = 150, np.arange(2010, 2020)
    cohort = rng.choice([2011, 2014, 2016, 2018, 0], size=n, p=[0.1, 0.2, 0.2, 0.2, 0.3])
    province = rng.integers(1, 13, size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(1, n + 1), years.size),
                       "year": np.tile(years, n)})
    u = df["unit"].to_numpy() - 1
    df["cohort"] = cohort[u]
    df["province"] = province[u]
    g = df["cohort"].to_numpy()
    t = df["year"].to_numpy()
    e = np.where(g > 0, t - g, -99)
    treated = (g > 0) & (t >= g)
    df["x1"] = (rng.normal(size=len(df)) + 0.1 * (t - 2010) * (g > 0)
                + 0.3 * np.where(g > 0, (2019 - g) / 8, 0))
    df["w"] = rng.uniform(0.5, 2.0, size=n)[u]
    unit_gain = rng.normal(1.0, 0.3, size=n)[u]
    effect = np.where(treated, (0.5 + 0.2 * e) * (1 + (2018 - g) / 10) * unit_gain, 0.0)
    df["y"] = (rng.normal(size=n)[u] + 0.15 * (t - 2010) + rng.normal(scale=0.2, size=10)[t - 2010]
               + effect + 0.5 * df["x1"] + rng.normal(size=len(df)))
    keep = rng.random(len(df)) > 0.04
    keep |= (g == 2011) & (t == 2010)
    return df.loc[keep].reset_index(drop=True)


def add(rows, data, estimator, case, names, att, se):
    for term, a, s in zip(names, att, se, strict=True):
        if not np.isfinite(a):  # horizons whose Y(0) is not imputable (anticipation1)
            continue
        rows.append({"data": data, "estimator": estimator, "case": case, "term": term,
                     "estimate": float(a), "std_error": float(s)})


def run(rows, data_name, df, outcome, unit, time, cohort, cases):
    for case, kwargs, cov in cases:
        for name, cls, table in (("imputation", ImputationDiD, "bjs"),
                                 ("did2s", TwoStageDiD, "did2s")):
            res = cls(**kwargs).fit(df, outcome=outcome, unit=unit, time=time,
                                    first_treat=cohort, covariates=cov)
            add(rows[table], data_name, name, case, ["overall"], [res.overall_att],
                [res.overall_se])
            es = res.aggregate("event_study")
            keep = ~np.asarray(es.is_reference)
            add(rows[table], data_name, name, case,
                [f"ATT(e={int(h)})" for h in np.asarray(es.event_time)[keep]],
                np.asarray(es.att)[keep], np.asarray(es.se)[keep])


def main() -> None:
    sim = simulate()
    sim.to_csv(OUT / "bjs_sim_data.csv", index=False)
    rows = {"bjs": [], "did2s": []}
    mp = pd.read_csv(MPDTA)
    run(rows, "mpdta", mp, "lemp", "countyreal", "year", "first.treat", [
        ("basic", {}, None),
        ("anticipation1", {"anticipation": 1}, None),
    ])
    run(rows, "sim", sim, "y", "unit", "year", "cohort", [
        ("basic", {}, None),
        ("x1", {}, ["x1"]),
    ])
    pd.DataFrame(rows["bjs"]).to_csv(OUT / "bjs_diffdiff.csv", index=False, float_format="%.12g")
    pd.DataFrame(rows["did2s"]).to_csv(OUT / "did2s_diffdiff.csv", index=False,
                                       float_format="%.12g")


if __name__ == "__main__":
    main()
