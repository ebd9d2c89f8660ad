"""Freeze the de Chaisemartin & D'Haultfoeuille (2020) TWFE weights of two peers on mpdta.

Run each peer in its own venv (never in the did_zones environment):

    python -m venv /tmp/peers_tww && /tmp/peers_tww/bin/pip install twowayfeweights==0.1.0
    /tmp/peers_tww/bin/python tests/reference/generate/twfe_weights_peers.py twowayfeweights
    # diff-diff 3.13.0 lives in /tmp/peers (see bacon_diffdiff.py)
    /tmp/peers/bin/python tests/reference/generate/twfe_weights_peers.py diff_diff

Writes tests/reference/twfe_weights_<peer>_summary.csv (one row per scenario) and
tests/reference/twfe_weights_<peer>_cells.csv (the weights of the treated (g,t) cells).
"""

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "tests" / "reference"
MPDTA = ROOT.parent / "shared" / "data" / "mpdta.csv"


def mpdta_variants() -> dict[str, pd.DataFrame]:
    """mpdta plus the derived columns of every scenario (recomputed in the tests)."""
    mp = pd.read_csv(MPDTA)
    mp["D"] = ((mp["first.treat"] > 0) & (mp["year"] >= mp["first.treat"])).astype(int)
    # a unit weight and a time-varying control, both deterministic
    mp["w"] = 1 + (mp["countyreal"] % 5) / 4
    mp["x"] = (mp["lpop"] * (mp["year"] - 2005) / 10
               + ((mp["countyreal"] % 7) - 3) * (mp["year"] - 2003) ** 2 / 50)
    drop = (((mp["countyreal"] % 7 == 0) & (mp["year"] == 2005))
            | ((mp["countyreal"] % 11 == 0) & (mp["year"] == 2003)))
    return {"mpdta": mp, "unbalanced": mp.loc[~drop].reset_index(drop=True)}


def treated_only(wdf: pd.DataFrame, data: pd.DataFrame, group: str) -> pd.DataFrame:
    """Keep the treated (g,t) cells, the only ones that carry a weight in Theorem 1."""
    d = data.groupby([group, "year"], as_index=False)["D"].mean()
    d.columns = ["group", "time", "D"]
    out = wdf.merge(d, on=["group", "time"], how="left", validate="one_to_one")
    return out.loc[out["D"] > 0].drop(columns="D")


# scenario -> (data, group column, controls, weights)
SCENARIOS = {
    "plain": ("mpdta", "countyreal", None, None),
    "weights": ("mpdta", "countyreal", None, "w"),
    "controls": ("mpdta", "countyreal", ["x"], None),
    "controls_weights": ("mpdta", "countyreal", ["x"], "w"),
    "unbalanced": ("unbalanced", "countyreal", None, None),
    "cohort_groups": ("mpdta", "first.treat", None, None),
}


def run_twowayfeweights():
    import twowayfeweights as tw

    data = mpdta_variants()
    summary, cells = [], []
    for name, (which, group, controls, weights) in SCENARIOS.items():
        r = tw.twowayfeweights(data[which], Y="lemp", G=group, T="year", D="D", type="feTR",
                               summary_measures=True, controls=controls, weights=weights)
        summary.append({"scenario": name, "beta": r.beta, "nr_plus": r.nr_plus,
                        "nr_minus": r.nr_minus, "sum_plus": r.sum_plus,
                        "sum_minus": r.sum_minus, "tot_cells": r.tot_cells,
                        "sensibility": r.sensibility, "sensibility2": r.sensibility2})
        wdf = treated_only(r.weights.rename(columns={"Group_TWFE": "group",
                                                     "Time_TWFE": "time"}), data[which], group)
        wdf.insert(0, "scenario", name)
        cells.append(wdf[["scenario", "group", "time", "weight"]])
    return pd.DataFrame(summary), pd.concat(cells, ignore_index=True), tw.__version__


def run_diff_diff():
    import diff_diff as dd

    data = mpdta_variants()
    summary, cells = [], []
    for name in ("plain", "unbalanced"):  # diff-diff's helper has no controls / aweights
        which, group, _, _ = SCENARIOS[name]
        r = dd.twowayfeweights(data[which], outcome="lemp", unit=group, time="year",
                               treatment="D")
        summary.append({"scenario": name, "beta_fe": r.beta_fe, "sigma_fe": r.sigma_fe,
                        "fraction_negative": r.fraction_negative})
        wdf = treated_only(r.weights.rename(columns={group: "group", "year": "time"}),
                           data[which], group)
        wdf.insert(0, "scenario", name)
        cells.append(wdf[["scenario", "group", "time", "weight"]])
    return pd.DataFrame(summary), pd.concat(cells, ignore_index=True), dd.__version__


def main() -> None:
    peer = sys.argv[1]
    summary, cells, version = {"twowayfeweights": run_twowayfeweights,
                               "diff_diff": run_diff_diff}[peer]()
    summary.to_csv(OUT / f"twfe_weights_{peer}_summary.csv", index=False, float_format="%.17g")
    cells.to_csv(OUT / f"twfe_weights_{peer}_cells.csv", index=False, float_format="%.17g")
    print(f"{peer} {version}")
    print(summary.to_string())


if __name__ == "__main__":
    main()
