"""Time did_zones against the Python peers on the same generated panels; write a Markdown table.

    python benchmarks/run_all.py --sizes 300x12,10000x10,100000x10 [--repeat 3]
        [--peers-dir /tmp/bench_peers] [--out benchmarks/RESULTS.md]

did_zones runs in this process (peak memory by tracemalloc); each peer runs in its own virtual
environment ``<peers-dir>/<name>/bin/python`` via ``benchmarks/peers/<name>_peer.py`` (peak
memory = the child's maxrss, which includes its interpreter and imports). Peers whose venv is
missing are skipped and listed. Times are the median of ``--repeat`` runs after one warm-up
run of did_zones (peers: the median includes their first, possibly JIT-compiling, run).
TWFE and Callaway-Sant'Anna overall ATT are checked against each peer (relative 1e-8).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_callaway_santanna import make_data  # noqa: E402

import did_zones as dz  # noqa: E402

PEERS = {"diff-diff": "diff_diff_peer.py", "pyfixest": "pyfixest_peer.py",
         "moderndid": "moderndid_peer.py", "csdid": "csdid_peer.py",
         "differences": "differences_peer.py", "linearmodels": "linearmodels_peer.py"}
TASKS = {"twfe": "TWFE, clustered by unit", "event_study": "event study",
         "cs_analytic": "Callaway-Sant'Anna, analytic", "cs_boot999": "Callaway-Sant'Anna, 999 draws",
         "sun_abraham": "Sun-Abraham", "bjs": "BJS imputation",
         "placebo1000": "1,000 in-space placebo draws (TWFE)",
         "mediation": "mediation, 999-draw bootstrap"}
CHECKED = ("twfe", "cs_analytic")
SMALL_ONLY = ("placebo1000", "mediation")


def generate(n_units: int, n_periods: int) -> pd.DataFrame:
    """The cs benchmark's panel (cohorts 4, 6, 8, 10, never), cut or extended to ``n_periods``."""
    df = make_data(n_units)
    if n_periods != 10:  # make_data has 10 periods; stretch the years, cohorts stay 4..10
        rng = np.random.default_rng(1)
        wide = pd.concat([df.assign(year=df["year"] + 10 * k) for k in range(2)])
        df = wide.loc[wide["year"] <= n_periods].sort_values(["unit", "year"], ignore_index=True)
        treated = (df["g"] > 0) & (df["year"] >= df["g"])
        df["y"] = df["y"].where(df["year"] <= 10, 0.1 * df["year"] + 0.5 * df["x"]
                                + treated * 0.3 + rng.normal(size=len(df)))
    df["d"] = ((df["g"] > 0) & (df["year"] >= df["g"])).astype(float)
    df["rel"] = np.where(df["g"] > 0, df["year"] - df["g"], -1)
    # a time-varying mediator moved by the pilot, for the mediation bootstrap
    df["m"] = df["x"] + 0.4 * df["d"] + np.random.default_rng(2).normal(size=len(df))
    return df


def did_zones_tasks(panel) -> dict:
    simple = lambda r: r.estimate.iloc[0]  # noqa: E731
    twfe = dz.twfe(panel, "y")
    return {
        "twfe": lambda: dz.twfe(panel, "y").estimate["treated"],
        "event_study": lambda: dz.event_study(panel, "y").estimate.iloc[0],
        "cs_analytic": lambda: simple(dz.aggregate(dz.callaway_santanna(panel, "y"), "simple")),
        "cs_boot999": lambda: simple(dz.aggregate(
            dz.callaway_santanna(panel, "y", n_boot=999, seed=1), "simple")),
        "sun_abraham": lambda: dz.sun_abraham(panel, "y").estimate.iloc[0],
        "bjs": lambda: dz.imputation(panel, "y").estimate.iloc[0],
        "placebo1000": lambda: dz.placebo(twfe, panel, n_draws=1000, seed=1,
                                          progress=False).statistic,
        "mediation": lambda: dz.mediation(panel, "y", "m", n_boot=999, seed=1,
                                          progress=False) and None,
    }


def time_in_process(fn, repeat: int) -> dict:
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        att = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"seconds": statistics.median(times), "att": att, "mem_mb": peak / 2**20}


def time_peer(python: Path, script: Path, path: str, task: str, repeat: int) -> dict | None:
    out = subprocess.run([str(python), str(script), path, task, str(repeat)],
                         capture_output=True, text=True, check=False, timeout=3600)
    if out.returncode == 3:
        return None
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1][:120]}
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"seconds": statistics.median(r["seconds"]), "att": r["att"],
            "mem_mb": r["maxrss_mb"], "version": r["version"]}


def run(sizes, repeat, peers_dir: Path, log) -> tuple[list, dict, list]:
    available = {n: peers_dir / n / "bin" / "python" for n in PEERS}
    missing = [n for n, p in available.items() if not p.exists()]
    available = {n: p for n, p in available.items() if p.exists()}
    here = Path(__file__).parent / "peers"
    rows, versions, mismatches = [], {}, []
    for n_units, n_periods in sizes:
        df = generate(n_units, n_periods)
        panel = dz.build_panel(df, "unit", "year", cohort="g")
        tasks = did_zones_tasks(panel)
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "panel.npz")
            np.savez(path, **{c: df[c].to_numpy() for c in ("unit", "year", "g", "x", "y",
                                                            "d", "rel")})
            for task in TASKS:
                if task in SMALL_ONLY and n_units > 1000:
                    continue
                res = {"did_zones": time_in_process(tasks[task], repeat)}
                for name, python in available.items():
                    r = time_peer(python, here / PEERS[name], path, task, repeat)
                    if r is not None:
                        res[name] = r
                        versions.setdefault(name, r.get("version"))
                        if task in CHECKED and "att" in r:
                            ours, theirs = res["did_zones"]["att"], r["att"]
                            rel = abs(ours - theirs) / max(abs(ours), 1e-300)
                            if rel > 1e-8:
                                mismatches.append(f"{n_units}x{n_periods} {TASKS[task]}: "
                                                  f"did_zones {ours:.12g} vs {name} "
                                                  f"{theirs:.12g} (rel {rel:.1e})")
                log(f"{n_units}x{n_periods} {task}: " + ", ".join(
                    f"{k} {v.get('seconds', float('nan')):.3f}s" for k, v in res.items()))
                rows.append(((n_units, n_periods), task, res))
    return rows, versions, mismatches + [f"peer {n}: venv not found, skipped" for n in missing]


def markdown(rows, versions, notes, repeat) -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    peers = ", ".join(f"{k} {v}" for k, v in versions.items())
    out = [f"# Benchmark results ({date.today().isoformat()})", "",
           "Regenerate: `python benchmarks/run_all.py --sizes 300x12,10000x10 --repeat 3`.", "",
           f"Machine: {os.cpu_count()} CPU ({cpu}), {mem:.0f} GiB RAM, Python "
           f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
           f"did_zones {dz.__version__}; peers: {peers}.", "",
           f"Seconds = median of {repeat} runs. Ratio = did_zones time / fastest peer's time "
           "(< 1: did_zones faster). Memory: did_zones = tracemalloc peak of one call; peers = "
           "the child process's maxrss (includes interpreter and imports, so not comparable "
           "below ~100 MB). '—' = the peer has no such estimator.", "",
           "| panel | task | did_zones s | did_zones MiB | "
           + " | ".join(f"{p} s | {p} MiB" for p in PEERS) + " | ratio to fastest peer |",
           "| --- | --- | ---: | ---: | " + " | ".join("---: | ---:" for _ in PEERS) + " | ---: |"]
    for (n, t), task, res in rows:
        ours = res["did_zones"]
        cells, peer_times = [], []
        for p in PEERS:
            r = res.get(p)
            if r is None:
                cells.append("— | —")
            elif "error" in r:
                cells.append(f"failed | {r['error'][:40]}")
            else:
                cells.append(f"{r['seconds']:.3f} | {r['mem_mb']:.0f}")
                peer_times.append(r["seconds"])
        ratio = f"{ours['seconds'] / min(peer_times):.2f}" if peer_times else "—"
        out.append(f"| {n:,}×{t} | {TASKS[task]} | {ours['seconds']:.3f} | "
                   f"{ours['mem_mb']:.1f} | " + " | ".join(cells) + f" | {ratio} |")
    out += ["", "## Agreement and notes", ""]
    out += [f"- {m}" for m in notes] or ["- TWFE and CS overall ATT agree with every peer "
                                         "to 1e-8 relative."]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300x12,10000x10")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peers-dir", default="/tmp/bench_peers")
    parser.add_argument("--out", default=str(Path(__file__).parent / "RESULTS.md"))
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.sizes.split(",")]
    warnings.simplefilter("ignore")
    rows, versions, notes = run(sizes, args.repeat, Path(args.peers_dir),
                                lambda s: print(s, flush=True))
    for m in notes:
        print("MISMATCH/NOTE:", m)
    Path(args.out).write_text(markdown(rows, versions, notes, args.repeat))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
