"""Synthetic DiD timings: did_zones against diff-diff, each in its own fresh process.

    python benchmarks/bench_synthetic.py [--peers-dir /tmp/bench_peers] [--repeat 1]
                                         [--out benchmarks/RESULTS_synthetic.md]

Panels:

- California Proposition 99 (``tests/data/prop99/``): 39 states × 31 years, one treated;
- a simulated 1,000 units × 30 periods: 50 treated from period 21, 950 never treated,
  outcome = unit effect + trend + two factors (the treated load more on them) + N(0, 1)
  noise + 1.0 after treatment.

Tasks (run by ``benchmarks/peers/did_zones_peer.py`` and ``diff_diff_peer.py``, timed as
``benchmarks/run_all.py`` times every peer: the first call apart as ``cold``, then ``--repeat``
calls): ``sdid_placebo200`` — SDID with R synthdid's defaults and the placebo variance, 200
permutations, seed 1 (both tools draw the same permutations with numpy's ``default_rng(1)``,
so their standard errors agree to 1e-10); ``sdid_point`` — did_zones' point estimate and
weights alone (diff-diff always computes a variance). The ATT and SE of both tools are
printed and compared.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from run_all import time_child  # noqa: E402

HERE = Path(__file__).resolve().parent
PROP99 = HERE.parent / "tests" / "data" / "prop99" / "california_prop99.csv"


def prop99() -> pd.DataFrame:
    df = pd.read_csv(PROP99)
    codes = {s: i for i, s in enumerate(sorted(df["State"].unique()))}
    return pd.DataFrame({"unit": df["State"].map(codes).to_numpy(), "year": df["Year"],
                         "y": df["PacksPerCapita"].astype(float),
                         "g": np.where(df["State"] == "California", 1989, 0)})


def simulated(n_units: int = 1000, n_periods: int = 30, n_treated: int = 50,
              seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = np.arange(1, n_periods + 1)
    load = rng.normal(size=(n_units, 2))
    load[-n_treated:] += 0.5
    factors = rng.normal(size=(2, n_periods)).cumsum(axis=1)
    Y = (rng.normal(size=(n_units, 1)) + 0.05 * years + load @ factors
         + rng.normal(size=(n_units, n_periods)))
    g = np.zeros(n_units)
    g[-n_treated:] = 21
    Y += 1.0 * ((years[None, :] >= g[:, None]) & (g[:, None] > 0))
    return pd.DataFrame({"unit": np.repeat(np.arange(n_units), n_periods),
                         "year": np.tile(years, n_units), "y": Y.ravel(),
                         "g": np.repeat(g, n_periods)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peers-dir", type=Path, default=Path("/tmp/bench_peers"))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    tools = {"did_zones": (Path(sys.executable), HERE / "peers" / "did_zones_peer.py"),
             "diff-diff": (args.peers_dir / "diff-diff" / "bin" / "python",
                           HERE / "peers" / "diff_diff_peer.py")}
    lines = ["| panel | task | tool | warm best (s) | cold (s) | ATT | SE |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, df in (("Prop 99 (39 × 31)", prop99()),
                         ("simulated 1,000 × 30", simulated())):
            path = str(Path(tmp) / "panel.npz")
            np.savez(path, **{c: df[c].to_numpy() for c in df.columns})
            for task in ("sdid_point", "sdid_placebo200"):
                for tool, (python, script) in tools.items():
                    if not python.exists():
                        print(f"{tool}: no venv at {python}, skipped")
                        continue
                    r = time_child(python, script, path, task, args.repeat, args.timeout,
                                   threads=1)
                    if r is None:
                        continue
                    if "error" in r:
                        row = f"| {name} | {task} | {tool} | {r['error']} | | | |"
                    else:
                        se = "—" if r["se"] is None or not np.isfinite(r["se"]) \
                            else f"{r['se']:.10g}"
                        row = (f"| {name} | {task} | {tool} {r['version']} | {r['best']:.2f} "
                               f"| {r['cold']:.2f} | {r['att']:.10g} | {se} |")
                    print(row, flush=True)
                    lines.append(row)
    if args.out:
        args.out.write_text("# Synthetic DiD timings\n\n" + "\n".join(lines) + "\n",
                            encoding="utf-8")


if __name__ == "__main__":
    main()
