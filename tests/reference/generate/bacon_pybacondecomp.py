"""Freeze the covariate-adjusted Bacon decomposition of pybacondecomp (Stata bacondecomp).

Run in its own venv (never in the did_zones environment):

    python -m venv /tmp/peers_bacon && /tmp/peers_bacon/bin/pip install pybacondecomp==0.1.0
    /tmp/peers_bacon/bin/python tests/reference/generate/bacon_pybacondecomp.py

pybacondecomp 0.1.0 is a Python port of Stata's ``bacondecomp`` 1.0.5 (Goodman-Bacon,
Goldring & Nichols); with controls it reports, per pair of timing groups (or a timing group
and the never-treated), the combined between-group 2x2 and its weight, plus the "Within"
term. Writes tests/reference/bacon_pybacondecomp.csv.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pybacondecomp
from pybacondecomp import bacondecomp

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "tests" / "reference"
MPDTA = ROOT.parent / "shared" / "data" / "mpdta.csv"
TYPES = {"Timing groups": "Both Treated", "Never vs timing": "Treated vs Never Treated",
         "Within": "Within"}


def mpdta() -> pd.DataFrame:
    mp = pd.read_csv(MPDTA)
    mp["D"] = ((mp["first.treat"] > 0) & (mp["year"] >= mp["first.treat"])).astype(int)
    mp["x"] = (mp["lpop"] * (mp["year"] - 2005) / 10
               + ((mp["countyreal"] % 7) - 3) * (mp["year"] - 2003) ** 2 / 50)
    return mp


def sim() -> pd.DataFrame:
    df = pd.read_csv(OUT / "bacon_sim_data.csv")
    df["D"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(int)
    df["x"] = (np.sin(df["unit"]) * df["year"] / 5
               + ((df["unit"] % 4) - 1.5) * (df["year"] - 5) ** 2 / 20)
    df["x2"] = np.cos(df["unit"] * df["year"])
    return df


def decompose(df, y, unit, x, scenario) -> list[dict]:
    r = bacondecomp(df, y=y, tr="D", unit=unit, time="year", x=x, verbose=False)
    rows = [{"scenario": scenario, "type": "TWFE", "cohort": np.nan, "control_cohort": np.nan,
             "estimate": r.dd_estimate, "weight": np.nan}]
    for t in r.two_by_two.itertuples():
        within = t.type == "Within"
        rows.append({"scenario": scenario, "type": TYPES[t.type],
                     "cohort": np.nan if within else float(t.treated),
                     "control_cohort": np.nan if within else (
                         np.inf if t.control == "Never" else float(t.control)),
                     "estimate": t.estimate, "weight": t.weight})
    return rows


def main() -> None:
    rows = decompose(mpdta(), "lemp", "countyreal", ["x"], "mpdta_x")
    rows += decompose(sim(), "y", "unit", ["x"], "sim_x")
    rows += decompose(sim(), "y", "unit", ["x", "x2"], "sim_x_x2")
    out = pd.DataFrame(rows)
    out.to_csv(OUT / "bacon_pybacondecomp.csv", index=False, float_format="%.17g")
    print(f"pybacondecomp {getattr(pybacondecomp, '__version__', '0.1.0')}")
    print(out.to_string())


if __name__ == "__main__":
    main()
