"""Freeze peer values for did_zones.dcdh on a panel whose treatment switches off.

Writes tests/reference/dcdh_leavers_data.csv (a simulated balanced panel: 300 units x 8
years; first treated in 3-6 or never; 30% of the treated units leave 1-3 years later and a
third of those are treated again two years after leaving; effect 1 + 0.3 per treated year
while treated, 0.5 lingering after leaving) and one table of peer values per peer:

- ``--peer dyn``: tests/reference/dcdh_leavers_dyn.csv, the official Python port of Stata
  ``did_multiplegt_dyn`` (py-did-multiplegt-dyn 0.1.9, needs polars < 2):

      python -m venv /tmp/peers3 && /tmp/peers3/bin/pip install "polars<2" py-did-multiplegt-dyn==0.1.9
      /tmp/peers3/bin/python tests/reference/generate/dcdh_leavers.py --peer dyn

  ``DidMultiplegtDyn(df, outcome="y", group="unit", time="year", treatment="D", effects=4,
  placebo=2).fit()``; Effect_l -> effect_{l-1}, Placebo_l -> placebo_l.
- ``--peer diffdiff``: tests/reference/dcdh_leavers_diffdiff.csv, diff-diff 3.13.0:

      python -m venv /tmp/dd && /tmp/dd/bin/pip install diff-diff==3.13.0
      /tmp/dd/bin/python tests/reference/generate/dcdh_leavers.py --peer diffdiff

  ``ChaisemartinDHaultfoeuille(drop_larger_lower=False, twfe_diagnostic=False).fit(df, "y",
  unit="unit", time="year", treatment="D")``: ``overall_att`` (DID_M), ``joiners_att``
  (DID_+), ``leavers_att`` (DID_-); the same with ``L_max=4``: event-study effects 1..4
  and placebos.
  (Its default ``drop_larger_lower=True`` drops every unit that switches more than once.)
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1]  # tests/reference


def make_data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n, T = 300, 8
    g = rng.choice([3, 4, 5, 6, 0], size=n, p=[0.2] * 5).astype(float)
    g[g == 0] = np.inf
    leave = np.isfinite(g) & (rng.random(n) < 0.3)
    end = np.where(leave, g + rng.integers(1, 4, size=n), np.inf)
    again = leave & (rng.random(n) < 1 / 3)
    restart = np.where(again, end + 2, np.inf)
    unit = np.repeat(np.arange(n), T)
    year = np.tile(np.arange(1, T + 1), n)
    on = (year >= g[unit]) & ~((year >= end[unit]) & (year < restart[unit]))
    left = (year >= end[unit]) & ~on
    y = (rng.normal(size=n)[unit] + 0.2 * year + np.where(on, 1 + 0.3 * (year - g[unit]), 0)
         + 0.5 * left + rng.normal(size=n * T))
    df = pd.DataFrame({"unit": unit, "year": year, "D": on.astype(int), "y": y})
    df.to_csv(OUT / "dcdh_leavers_data.csv", index=False, float_format="%.15g")
    return pd.read_csv(OUT / "dcdh_leavers_data.csv")  # exactly the stored digits


def dyn(data: pd.DataFrame) -> pd.DataFrame:
    import polars as pl
    from did_multiplegt_dyn import DidMultiplegtDyn

    fit = DidMultiplegtDyn(df=pl.from_pandas(data), outcome="y", group="unit", time="year",
                           treatment="D", effects=4, placebo=2)
    fit.fit()
    res = fit.result["did_multiplegt_dyn"]
    rows = []
    for table, prefix in ((res["Effects"], "effect"), (res["Placebos"], "placebo")):
        for name, row in table.iterrows():
            lag = int(str(name).split("_")[1])
            term = f"effect_{lag - 1}" if prefix == "effect" else f"placebo_{lag}"
            rows.append((term, row["Estimate"], row["SE"], int(row["Switchers"])))
    return pd.DataFrame(rows, columns=["term", "estimate", "std_error", "n_switchers"])


def diffdiff(data: pd.DataFrame) -> pd.DataFrame:
    from diff_diff import ChaisemartinDHaultfoeuille

    def fit(**kwargs):
        return ChaisemartinDHaultfoeuille(drop_larger_lower=False, twfe_diagnostic=False).fit(
            data, "y", unit="unit", time="year", treatment="D", **kwargs)

    plain = fit()  # without L_max: overall_att is DID_M, with its joiners/leavers split
    rows = [("DID_M", plain.overall_att), ("joiners", plain.joiners_att),
            ("leavers", plain.leavers_att)]
    fit = fit(L_max=4)
    rows += [(f"effect_{h - 1}", v["effect"]) for h, v in fit.event_study_effects.items()]
    rows += [(f"placebo_{-h}", v["effect"]) for h, v in fit.placebo_event_study.items()
             if np.isfinite(v["effect"])]
    return pd.DataFrame(rows, columns=["term", "estimate"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", choices=("dyn", "diffdiff"), required=True)
    peer = parser.parse_args().peer
    data = make_data()
    table = dyn(data) if peer == "dyn" else diffdiff(data)
    table.to_csv(OUT / f"dcdh_leavers_{peer}.csv", index=False, float_format="%.12g")
    print(table.to_string())
