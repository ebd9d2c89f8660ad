"""Freeze diff-diff SyntheticDiD values on California Proposition 99 for did_zones.synthdid.

Writes
  tests/reference/synthdid_prop99_weights.csv    unit and time weights of SDID (diff-diff)
  tests/reference/synthdid_prop99_diffdiff.csv   ATT and SEs: one treated unit (placebo,
                                                 seeds 1 and 2) and three treated units
                                                 (California, Georgia, Utah: placebo,
                                                 jackknife, bootstrap with seed 1)

Run in the peers' own venv, never the library's:

    python -m venv /tmp/peers && /tmp/peers/bin/pip install diff-diff==3.13.0
    /tmp/peers/bin/python tests/reference/generate/synthdid_diffdiff.py

diff-diff's SyntheticDiD follows R synthdid (Frank-Wolfe with R's defaults and the
sparsification; vcov placebo / jackknife / bootstrap as R's Algorithms 4 / 3 / 2), drawing
with numpy's default_rng(seed).
"""

from pathlib import Path

import diff_diff as dd
import pandas as pd

HERE = Path(__file__).resolve().parents[1]  # tests/reference
DATA = HERE.parent / "data" / "prop99" / "california_prop99.csv"
POST = list(range(1989, 2001))


def fit(df, variance, seed=None):
    m = dd.SyntheticDiD(variance_method=variance, n_bootstrap=200, seed=seed)
    return m.fit(df, outcome="PacksPerCapita", treatment="ever", unit="State", time="Year",
                 post_periods=POST)


def main() -> None:
    df = pd.read_csv(DATA)
    df["ever"] = (df["State"] == "California").astype(int)
    rows = []
    for seed in (1, 2):
        r = fit(df, "placebo", seed)
        rows.append({"design": "california", "se_method": "placebo", "seed": seed,
                     "att": r.att, "se": r.se})
    uw = r.get_unit_weights_df().rename(columns={"unit": "name"})
    uw.insert(0, "kind", "unit")
    tw = r.get_time_weights_df()
    tw = tw.rename(columns={tw.columns[0]: "name"})
    tw.insert(0, "kind", "time")
    pd.concat([uw, tw]).to_csv(HERE / "synthdid_prop99_weights.csv", index=False,
                               float_format="%.15g")
    three = df.assign(ever=df["State"].isin(["California", "Georgia", "Utah"]).astype(int))
    for variance in ("placebo", "jackknife", "bootstrap"):
        r = fit(three, variance, 1)
        rows.append({"design": "three", "se_method": variance, "seed": 1, "att": r.att,
                     "se": r.se})
    pd.DataFrame(rows).to_csv(HERE / "synthdid_prop99_diffdiff.csv", index=False,
                              float_format="%.15g")


if __name__ == "__main__":
    main()
