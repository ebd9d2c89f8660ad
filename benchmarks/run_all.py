"""Time did_zones against the Python peers on the same generated panels; write a Markdown table.

    python benchmarks/run_all.py [--sizes 300x12,10000x10,100000x10,1000000x10] [--repeat 3]
        [--peers-dir /tmp/bench_peers] [--out benchmarks/RESULTS.md]

did_zones runs in this process (peak memory by tracemalloc); each peer runs in its own virtual
environment ``<peers-dir>/<name>/bin/python`` via ``benchmarks/peers/<name>_peer.py`` (peak
memory = the child's VmHWM, which includes its interpreter and imports). Peers whose venv is
missing are skipped and listed; create them with ``python benchmarks/run_all.py --setup``.
Times are the median of ``--repeat`` runs (one run for panels of 5 million rows or more)
after one warm-up run of did_zones (peers: the median includes their first, possibly
JIT-compiling, run). Point estimates and analytic standard errors of TWFE and
Callaway-Sant'Anna are compared with every peer (relative 1e-8); differences are listed.
Panels of 5 million rows or more run only TWFE and Callaway-Sant'Anna (the acceptance
targets), and the placebo and mediation lines run only on panels of at most 1,000 units.
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
         "cs_analytic": "Callaway-Sant'Anna, analytic",
         "cs_analytic_e2e": "Callaway-Sant'Anna, analytic, from the DataFrame (build_panel + fit)", "cs_boot999": "Callaway-Sant'Anna, 999 draws",
         "sun_abraham": "Sun-Abraham", "bjs": "BJS imputation",
         "placebo1000": "1,000 in-space placebo draws (TWFE)",
         "placebo1000_dask": "1,000 placebo draws on a Dask LocalCluster (2 workers)",
         "mediation": "mediation (stepwise), 999-draw bootstrap"}
CHECKED = ("twfe", "event_study", "cs_analytic")
SMALL_ONLY = ("placebo1000", "placebo1000_dask", "mediation")
LARGE_TASKS = ("twfe", "cs_analytic", "cs_analytic_e2e", "cs_boot999")
LARGE_ROWS = 5_000_000


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


def did_zones_tasks(df, panel, client=None) -> dict:
    """Each task returns its estimate, or (estimate, standard error) where peers are checked."""
    def first(r):
        return r.estimate.iloc[0], r.std_error.iloc[0]

    def twfe():
        r = dz.twfe(panel, "y")
        return r.estimate["treated"], r.std_error["treated"]

    def placebo(**kw):
        return dz.placebo(dz.twfe(panel, "y"), panel, n_draws=1000, seed=1, progress=False,
                          **kw).p_value

    return {
        "twfe": twfe,
        "event_study": lambda: first(dz.event_study(panel, "y")),
        "cs_analytic": lambda: first(dz.aggregate(dz.callaway_santanna(panel, "y"), "simple")),
        "cs_analytic_e2e": lambda: first(dz.aggregate(dz.callaway_santanna(
            dz.build_panel(df, "unit", "year", cohort="g"), "y"), "simple")),
        "cs_boot999": lambda: dz.aggregate(
            dz.callaway_santanna(panel, "y", n_boot=999, seed=1), "simple").estimate.iloc[0],
        "sun_abraham": lambda: dz.sun_abraham(panel, "y").estimate.iloc[0],
        "bjs": lambda: dz.imputation(panel, "y").estimate.iloc[0],
        "placebo1000": placebo,
        "placebo1000_dask": lambda: placebo(client=client),
        "mediation": lambda: dz.mediation(panel, "y", "m", method="stepwise", n_boot=999,
                                          seed=1, progress=False).indirect["estimate"].iloc[0],
    }


def time_in_process(fn, repeat: int) -> dict:
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    att, se = out if isinstance(out, tuple) else (out, None)
    return {"seconds": statistics.median(times), "att": att, "se": se, "mem_mb": peak / 2**20}


def time_peer(python: Path, script: Path, path: str, task: str, repeat: int) -> dict | None:
    out = subprocess.run([str(python), str(script), path, task, str(repeat)],
                         capture_output=True, text=True, check=False, timeout=3600)
    if out.returncode == 3:
        return None
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or [f"exit code {out.returncode}"])[-1]
        if out.returncode < 0:
            last = f"killed by signal {-out.returncode} (out of memory?)"
        return {"error": last[:120]}
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"seconds": statistics.median(r["seconds"]), "att": r["att"], "se": r.get("se"),
            "mem_mb": r["maxrss_mb"], "version": r["version"]}


def _compare(label: str, name: str, ours: dict, theirs: dict) -> list[str]:
    out = []
    for key in ("att", "se"):
        a, b = ours.get(key), theirs.get(key)
        if a is None or b is None:
            continue
        rel = abs(a - b) / max(abs(a), 1e-300)
        what = "estimate" if key == "att" else "standard error"
        line = f"{label}, {what}: did_zones {a:.12g} vs {name} {b:.12g} (rel {rel:.1e})"
        if rel > 1e-8:
            out.append(("MISMATCH " + line) + NOTES.get((name, key), ""))
        else:
            out.append(line)
    return out


NOTES = {("linearmodels", "se"): (" -- linearmodels' default clustered covariance counts the "
                                  "absorbed unit effects in its degrees of freedom and has no "
                                  "G/(G-1); see benchmarks/peers/linearmodels_peer.py")}


def _dask_client():
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        return None
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return Client(cluster)


def run(sizes, repeat, peers_dir: Path, log) -> tuple[list, dict, list]:
    available = {n: peers_dir / n / "bin" / "python" for n in PEERS}
    own_only = ("cs_analytic_e2e",)  # peers' own timing of cs_analytic already starts from df
    missing = [n for n, p in available.items() if not p.exists()]
    available = {n: p for n, p in available.items() if p.exists()}
    here = Path(__file__).parent / "peers"
    rows, versions, checks = [], {}, []
    client = _dask_client() if any(n <= 1000 for n, _ in sizes) else None
    try:
        for n_units, n_periods in sizes:
            df = generate(n_units, n_periods)
            panel = dz.build_panel(df, "unit", "year", cohort="g")
            tasks = did_zones_tasks(df, panel, client)
            large = n_units * n_periods >= LARGE_ROWS
            reps = 1 if large else repeat
            with tempfile.TemporaryDirectory() as tmp:
                path = str(Path(tmp) / "panel.npz")
                np.savez(path, **{c: df[c].to_numpy() for c in ("unit", "year", "g", "x", "y",
                                                                "d", "rel")})
                for task in TASKS:
                    if (task in SMALL_ONLY and n_units > 1000) or (large and task not in
                                                                   LARGE_TASKS):
                        continue
                    if task == "placebo1000_dask" and client is None:
                        continue
                    res = {"did_zones": time_in_process(tasks[task], reps)}
                    for name, python in available.items():
                        if task in own_only:
                            peer = next((v for (sz, t, v, _) in rows[::-1]
                                         if sz == (n_units, n_periods) and t == "cs_analytic"),
                                        {})
                            if name in peer:
                                res[name] = peer[name]
                            continue
                        r = time_peer(python, here / PEERS[name], path, task, reps)
                        if r is None:
                            continue
                        res[name] = r
                        versions.setdefault(name, r.get("version"))
                        if task in CHECKED and "att" in r:
                            checks += _compare(f"{n_units:,}x{n_periods} {TASKS[task]}", name,
                                               res["did_zones"], r)
                    log(f"{n_units}x{n_periods} {task}: " + ", ".join(
                        f"{k} {v.get('seconds', float('nan')):.3f}s" for k, v in res.items()))
                    rows.append(((n_units, n_periods), task, res, reps))
    finally:
        if client is not None:
            client.close()
    return rows, versions, checks + [f"peer {n}: venv not found, skipped" for n in missing]


def markdown(rows, versions, notes, repeat, sizes_arg: str) -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    peers = ", ".join(f"{k} {v}" for k, v in versions.items())
    shown = [p for p in PEERS if any(p in res for _, _, res, _ in rows)]
    out = [f"# Benchmark results ({date.today().isoformat()})", "",
           f"Regenerate: `python benchmarks/run_all.py --sizes {sizes_arg} --repeat {repeat}` "
           "(peers' venvs: `python benchmarks/run_all.py --setup`).", "",
           f"Machine: {os.cpu_count()} CPU ({cpu}), {mem:.0f} GiB RAM, Python "
           f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
           f"did_zones {dz.__version__}; peers: {peers}.", "",
           f"Seconds = median of {repeat} runs (1 run at {LARGE_ROWS:,} rows or more). "
           "Cells: seconds / peak MiB. Memory: did_zones = tracemalloc peak of one call "
           "(arrays it allocates); peers = the child process's peak resident memory (VmHWM: "
           "includes its interpreter, imports and the panel, so not comparable below "
           "~300 MB). "
           "'Speed-up' = fastest peer's time / did_zones' time (> 1: did_zones faster). "
           "'—' = the peer has no such estimator. Before timing, the harness writes and "
           "frees 16 GiB once (`--pretouch`: this VM backs fresh memory lazily). "
           "Panels: cohorts first treated in periods "
           "4, 6, 8, 10 and never-treated units in equal shares, balanced, one "
           "covariate (unused).", ""]
    for size in dict.fromkeys(sz for sz, _, _, _ in rows):
        n, t = size
        out += [f"## {n:,} units × {t} periods ({n * t:,} rows)", "",
                "| task | did_zones | " + " | ".join(shown) + " | speed-up |",
                "| --- | ---: | " + " | ".join("---:" for _ in shown) + " | ---: |"]
        for sz, task, res, _ in rows:
            if sz != size:
                continue
            ours = res["did_zones"]
            cells, peer_times = [], []
            for p in shown:
                r = res.get(p)
                if r is None:
                    cells.append("—")
                elif "error" in r:
                    cells.append(f"failed: {r['error'][:50]}")
                else:
                    cells.append(f"{r['seconds']:.3f} / {r['mem_mb']:.0f}")
                    peer_times.append(r["seconds"])
            ratio = f"{min(peer_times) / ours['seconds']:.1f}×" if peer_times else "—"
            out.append(f"| {TASKS[task]} | {ours['seconds']:.3f} / {ours['mem_mb']:.0f} | "
                       + " | ".join(cells) + f" | {ratio} |")
        out.append("")
    out += ["## Agreement (point estimates and analytic standard errors)", ""]
    out += [f"- {m}" for m in notes]
    return "\n".join(out) + "\n"


PEER_PACKAGES = {"diff-diff": "diff-diff==3.13.0", "pyfixest": "pyfixest==0.60.0",
                 "moderndid": "moderndid==0.2.0", "csdid": "csdid==0.4.3",
                 "differences": "differences==0.3.0", "linearmodels": "linearmodels==7.1"}


def setup_peers(peers_dir: Path) -> None:
    """One virtual environment per peer (they pin conflicting dependencies)."""
    for name, req in PEER_PACKAGES.items():
        venv = peers_dir / name
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", req], check=True)
        print(f"{name}: {venv}")


def pretouch(gib: float) -> None:
    """Write ``gib`` GiB once and free it, before any timing.

    On a virtual machine whose memory the host backs lazily (this project's machine), the
    first write to each page is ~15× slower than later ones (16 GiB: ~45 s once, then normal
    speed). Without this step whichever process first needs fresh pages (did_zones runs
    before the peers at every size) pays that cost inside its timings. Capped at 70% of RAM.
    """
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    n_bytes = int(min(gib * 2**30, 0.7 * total))
    t0 = time.perf_counter()
    # in a child process, so this process's own peak memory (inherited by the peers'
    # processes on Linux) stays small
    subprocess.run([sys.executable, "-c", f"import numpy; numpy.ones({n_bytes // 8})"],
                   check=True)
    print(f"pre-touched {n_bytes / 2**30:.1f} GiB in {time.perf_counter() - t0:.1f} s",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300x12,10000x10,100000x10,1000000x10")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peers-dir", default="/tmp/bench_peers")
    parser.add_argument("--out", default=str(Path(__file__).parent / "RESULTS.md"))
    parser.add_argument("--pretouch", type=float, default=16.0,
                        help="GiB of memory to write once before timing (0: skip); see pretouch")
    parser.add_argument("--setup", action="store_true",
                        help="create the peers' virtual environments and exit")
    args = parser.parse_args()
    if args.setup:
        setup_peers(Path(args.peers_dir))
        return
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.sizes.split(",")]
    if args.pretouch > 0:
        pretouch(args.pretouch)
    warnings.simplefilter("ignore")
    rows, versions, notes = run(sizes, args.repeat, Path(args.peers_dir),
                                lambda s: print(s, flush=True))
    for m in notes:
        print("CHECK:", m)
    Path(args.out).write_text(markdown(rows, versions, notes, args.repeat, args.sizes))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
