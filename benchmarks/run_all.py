"""Time did_zones and the Python peers the same way on the same panels; write a Markdown table.

    python benchmarks/run_all.py [--sizes 300x12,10000x10,100000x10,1000000x10] [--repeat 5]
        [--peers-dir /tmp/bench_peers] [--out benchmarks/RESULTS.md] [--mem-budget-gb 8]

Every tool, did_zones included, runs in its own fresh process (``benchmarks/peers/
<tool>_peer.py``; peers in their virtual environments ``<peers-dir>/<name>/bin/python``,
did_zones with this interpreter) on the same panel (an ``.npz`` of columns). In that process
the first call is timed on its own (the "cold" column: caches, lazy imports, JIT) and
discarded, then ``--repeat`` calls are timed: the table gives their best and median (one
warm call for panels of 5 million rows or more). ``--threads`` (default 1) caps the BLAS /
OpenMP threads of every timed process alike. Peak memory is each process's VmHWM (its
interpreter, imports and the panel included). Peers whose venv is missing are skipped and
listed; create them with ``python benchmarks/run_all.py --setup``. A peer is not run at a
size where its memory measured at the previous size, scaled by the rows, would exceed
``--mem-budget-gb`` (the table says so). Point estimates and analytic standard errors of
TWFE, the event study, Callaway-Sant'Anna, ETWFE, stacked DiD and triple differences are
compared with every peer (relative 1e-8);
differences are listed. Panels of 5 million rows or more run only TWFE, the event study,
Sun-Abraham and Callaway-Sant'Anna, and the placebo and mediation lines run only on panels
of at most 1,000 units.
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
         "differences": "differences_peer.py", "linearmodels": "linearmodels_peer.py",
         "wildboottest": "wildboottest_peer.py"}
TASKS = {"twfe": "TWFE, clustered by unit", "event_study": "event study",
         "cs_analytic": "Callaway-Sant'Anna, analytic",
         "cs_analytic_e2e": "Callaway-Sant'Anna, analytic, from the DataFrame (build_panel + fit)", "cs_boot999": "Callaway-Sant'Anna, 999 draws",
         "sun_abraham": "Sun-Abraham", "bjs": "BJS imputation",
         "etwfe": "ETWFE (Wooldridge), unit and period effects, simple ATT",
         "stacked": "stacked DiD, window (-2, 2), never-treated controls, pooled regression",
         "ddd": "triple differences (DR, never-enabled comparisons, simple ATT with P(S=g,Q=1) "
                "weights)",
         "ddd_reg": "triple differences (outcome regression, otherwise as ddd)",
         "dml": "DML-DiD ATT(g,t), control x, OLS outcome / logit propensity learners, 5 folds, "
                "simple ATT",
         "placebo1000": "1,000 in-space placebo draws (TWFE)",
         "placebo1000_dask": "1,000 placebo draws on a Dask LocalCluster (2 workers)",
         "mediation": "mediation (stepwise), 999-draw bootstrap",
         "wcb_unit": "wild cluster bootstrap, TWFE, 9,999 WCR draws, clusters = units",
         "wcb_prov": "wild cluster bootstrap, TWFE, 9,999 WCR draws, province clusters "
                     "(30 of 10 units at ≤ 1,000 units, else 1,000)",
         "wcb_prov10": "wild cluster bootstrap, TWFE, 10 clusters: all 1,024 sign vectors",
         "continuous": "continuous-dose DiD (CGBS 2024), cubic B-spline, no interior knots, "
                       "never-treated comparisons: ATT^o and the dose curves"}
WCB = ("wcb_unit", "wcb_prov", "wcb_prov10")
CHECKED = ("twfe", "event_study", "cs_analytic", "etwfe", "stacked", "continuous", "ddd",
           "ddd_reg")
SMALL_ONLY = ("placebo1000", "placebo1000_dask", "mediation", "wcb_unit", "wcb_prov10")
LARGE_TASKS = ("twfe", "event_study", "sun_abraham", "cs_analytic", "cs_analytic_e2e",
               "cs_boot999")
COLUMNS = ("unit", "year", "g", "x", "y", "d", "rel", "m", "prov", "prov10", "dose",
           "grp")
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
    # province-like clusters of consecutive units (cohorts are drawn at random per unit):
    # 30 at up to 1,000 units, else 1,000; and 10 (full enumeration of the wild bootstrap)
    n_prov = 30 if n_units <= 1000 else 1000
    df["prov"] = df["unit"].to_numpy() * n_prov // n_units
    df["prov10"] = df["unit"].to_numpy() * 10 // n_units
    # a time-invariant treatment intensity for the continuous-dose task: lognormal for
    # treated units, 0 for never-treated ones (its own stream: no other column changes)
    unit_dose = np.random.default_rng(3).lognormal(0.0, 0.5, n_units)
    df["dose"] = np.where(df["g"] > 0, unit_dose[df["unit"].to_numpy()], 0.0)
    # a time-invariant 0/1 eligibility partition for triple differences (both values in
    # every cohort: cohorts are drawn per unit independently of the unit code)
    df["grp"] = (df["unit"].to_numpy() % 2).astype(np.int64)
    return df


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def time_child(python: Path, script: Path, path: str, task: str, repeat: int,
               timeout: float, threads: int = 0) -> dict | None:
    """Run one tool's task in a fresh process (see ``peers/_common.py``); None: no such task.

    Returns ``best`` and ``median`` of the warm calls, ``cold`` (the first call), ``mem_mb``
    (the process's VmHWM), ``att``, ``se`` and ``version``; or ``{"error": ...}``.
    ``threads`` > 0 caps the BLAS / OpenMP threads of the child (0: the library defaults).
    """
    env = dict(os.environ)
    if threads > 0:
        env.update(dict.fromkeys(BLAS_THREADS, str(threads)))
    try:
        out = subprocess.run([str(python), str(script), path, task, str(repeat)],
                             capture_output=True, text=True, check=False, timeout=timeout,
                             env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"not run to the end: over the {timeout:.0f} s time limit"}
    if out.returncode == 3:
        return None
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or [f"exit code {out.returncode}"])[-1]
        if out.returncode < 0:
            last = f"killed by signal {-out.returncode} (out of memory?)"
        return {"error": last[:120]}
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"best": min(r["seconds"]), "median": statistics.median(r["seconds"]),
            "cold": r["cold"], "att": r["att"], "se": r.get("se"), "mem_mb": r["maxrss_mb"],
            "version": r["version"], "test": r.get("test")}


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


def _compare_tests(label: str, name: str, ours: dict, theirs: dict) -> list[str]:
    """Bootstrap p-values: equal when both enumerate all 2^G sign vectors; otherwise two
    independent sets of random draws, whose p-values differ by Monte-Carlo noise with
    standard error sqrt(p1(1-p1)/B1 + p2(1-p2)/B2); flagged beyond 3 s.e."""
    a, b = ours.get("test") or {}, theirs.get("test") or {}
    if "p" not in a or "p" not in b:
        return []
    p1, p2, b1, b2 = a["p"], b["p"], a["draws"], b["draws"]
    diff = p2 - p1
    if label.endswith("all 1,024 sign vectors"):
        line = (f"{label}: p-value did_zones {p1:.6f} vs {name} {p2:.6f} "
                f"(difference {diff:.1e}; full enumeration, must be equal)")
        if abs(diff) <= 1e-12:
            return [line]
        strict = a.get("p_strict")
        if strict is not None and abs(p2 - strict) <= 1e-12:
            return [line + f" -- equal to did_zones' p with ties left out ({strict:.6f}): "
                    f"{name} does not count the {round((p1 - strict) * b1)} draws whose "
                    "|t*| equals |t| (under WCR the all-ones and all-minus-ones sign vectors "
                    "reproduce the sample; rounding decides their side)"]
        return ["MISMATCH " + line]
    se = float(np.sqrt(p1 * (1 - p1) / b1 + p2 * (1 - p2) / b2))
    z = abs(diff) / se if se > 0 else (0.0 if diff == 0 else np.inf)
    line = (f"{label}: p-value did_zones {p1:.4f} vs {name} {p2:.4f} (difference "
            f"{diff:+.4f}, Monte-Carlo s.e. {se:.4f}, {z:.1f} s.e.; independent random draws)")
    return [line if z <= 3 else "MISMATCH " + line]


# runs known to need far more memory than their rows suggest (measured 2026-11-29)
KNOWN_LIMITS = {("pyfixest", "bjs"): (1000, "not run above 1,000 units: pyfixest's did2s "
                                            "took 23 GB and 93 s at 10,000 × 10"),
                ("pyfixest", "wcb_prov"): (1000, "not run above 1,000 units: its "
                                                 "wildboottest() materialises every fixed "
                                                 "effect as a dummy column (1,000,000 × "
                                                 "100,009 dense at 100,000 × 10)")}


def _too_big(rows: list, tool: str, task: str, size: tuple, budget_mb: float) -> str | None:
    """Why ``tool`` should not run ``task`` at ``size``: a known limit, or its peak memory at
    the largest smaller size measured, less that at the smallest (interpreter, imports),
    scaled by the number of rows, exceeds the budget."""
    limit = KNOWN_LIMITS.get((tool, task))
    if limit and size[0] > limit[0]:
        return limit[1]
    n_rows = size[0] * size[1]
    prior = sorted((sz[0] * sz[1], res[tool]["mem_mb"]) for sz, t, res, _ in rows
                   if t == task and "mem_mb" in res.get(tool, {}) and sz[0] * sz[1] < n_rows)
    if not prior:
        return None
    base = prior[0][1] if len(prior) > 1 else 0.0
    rows_then, mem_then = prior[-1]
    if len(prior) == 1 and rows_then < 10_000:
        return None  # a peak on so few rows is the interpreter and imports: nothing to scale
    expected = base + (mem_then - base) * n_rows / rows_then
    if expected <= budget_mb:
        return None
    return (f"not run: ~{expected / 1024:.0f} GiB expected ({mem_then:.0f} MiB at "
            f"{rows_then:,} rows, scaled) exceeds the {budget_mb / 1024:.0f} GiB budget")


def run(sizes, repeat, peers_dir: Path, log, *, mem_budget_gb: float = 8.0,
        timeout: float = 1800.0, threads: int = 1,
        tasks: tuple[str, ...] | None = None) -> tuple[list, dict, list]:
    """Time every task on every size: did_zones first, then each peer, each in a fresh
    process. Returns rows ``(size, task, {tool: result}, repeat)``, the peers' versions and
    the agreement notes."""
    here = Path(__file__).parent / "peers"
    available = {n: peers_dir / n / "bin" / "python" for n in PEERS}
    missing = [n for n, p in available.items() if not p.exists()]
    tools = {"did_zones": (Path(sys.executable), here / "did_zones_peer.py")}
    tools.update({n: (p, here / PEERS[n]) for n, p in available.items() if p.exists()})
    own_only = ("cs_analytic_e2e",)  # peers' own timing of cs_analytic already starts from df
    budget = mem_budget_gb * 1024
    rows, versions, checks = [], {}, []
    for n_units, n_periods in sizes:
        size = (n_units, n_periods)
        df = generate(n_units, n_periods)
        large = n_units * n_periods >= LARGE_ROWS
        reps = 1 if large else repeat
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "panel.npz")
            np.savez(path, **{c: df[c].to_numpy() for c in COLUMNS})
            del df
            for task in TASKS:
                if tasks is not None and task not in tasks:
                    continue
                if (task in SMALL_ONLY and n_units > 1000) or (large and task not in
                                                               LARGE_TASKS):
                    continue
                res: dict = {}
                for name, (python, script) in tools.items():
                    if name != "did_zones" and task in own_only:
                        peer = next((v for (sz, t, v, _) in rows[::-1]
                                     if sz == size and t == "cs_analytic"), {})
                        if name in peer:
                            res[name] = peer[name]
                        continue
                    why = _too_big(rows, name, task, size, budget)
                    if why:
                        res[name] = {"error": why}
                        continue
                    r = time_child(python, script, path, task, reps, timeout, threads)
                    if r is None:
                        continue
                    res[name] = r
                    if name != "did_zones":
                        versions.setdefault(name, r.get("version"))
                        if task in CHECKED and "att" in r and "att" in res.get("did_zones", {}):
                            checks += _compare(f"{n_units:,}x{n_periods} {TASKS[task]}", name,
                                               res["did_zones"], r)
                        if task in WCB and "best" in r and "best" in res.get("did_zones", {}):
                            checks += _compare_tests(f"{n_units:,}x{n_periods} {TASKS[task]}",
                                                     name, res["did_zones"], r)
                if "did_zones" not in res:
                    continue  # did_zones skipped it (e.g. no dask here): no row
                log(f"{n_units}x{n_periods} {task}: " + ", ".join(
                    f"{k} {v['best']:.3f}s" if "best" in v else f"{k} {v['error'][:40]}"
                    for k, v in res.items()))
                rows.append((size, task, res, reps))
    return rows, versions, checks + [f"peer {n}: venv not found, skipped" for n in missing]


def _ratio(peers: list[float], ours: float) -> str:
    return f"{min(peers) / ours:.1f}×" if peers and ours > 0 else "—"


def markdown(rows, versions, notes, repeat, sizes_arg: str, context: str = "",
             tasks_arg: str | None = None) -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    peers = ", ".join(f"{k} {v}" for k, v in versions.items())
    out = [f"# Benchmark results ({date.today().isoformat()})", "",
           f"Regenerate: `python benchmarks/run_all.py --sizes {sizes_arg} --repeat {repeat}"
           + (f" --tasks {tasks_arg}" if tasks_arg else "") + "` "
           "(peers' venvs: `python benchmarks/run_all.py --setup`).", "",
           f"Machine: {os.cpu_count()} CPU ({cpu}), {mem:.0f} GiB RAM, Python "
           f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
           f"did_zones {dz.__version__}; peers: {peers}." + (f" {context}" if context else ""),
           "",
           "How: every tool, did_zones included, runs each task in its own fresh process on "
           "the same panel. The first call is timed apart (**cold**: caches, lazy imports, "
           f"JIT compilation) and discarded; then {repeat} calls are timed (1 at "
           f"{LARGE_ROWS:,} rows or more): **best** and **median**. **Peak** = the process's "
           "peak resident memory (VmHWM, MiB: interpreter, imports and the panel included). "
           "**Speed-up** (did_zones rows) = the fastest peer's time / did_zones' time, warm "
           "best to best, median to median, cold to cold (> 1: did_zones faster). did_zones "
           "imports its estimators lazily, so its cold call also imports them (scipy.stats "
           "among them, 0.3-2 s here), which the peers pay at `import`, before the timer. "
           "A task a tool does not have is left out. Panels: cohorts first treated in periods 4, 6, "
           "8, 10 and never-treated units in equal shares, balanced, one covariate (unused).",
           ""]
    for size in dict.fromkeys(sz for sz, _, _, _ in rows):
        n, t = size
        out += [f"## {n:,} units × {t} periods ({n * t:,} rows)", "",
                "| task | tool | best (s) | median (s) | cold (s) | peak (MiB) | speed-up "
                "(best / median / cold) |",
                "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
        for sz, task, res, _ in rows:
            if sz != size:
                continue
            ours = res["did_zones"]
            ok = {k: v for k, v in res.items() if k != "did_zones" and "best" in v}
            speed = " / ".join(_ratio([v[m] for v in ok.values()], ours.get(m, 0))
                               for m in ("best", "median", "cold")) if "best" in ours else "—"
            for name, r in res.items():
                label = TASKS[task] if name == "did_zones" else ""
                if "best" not in r:
                    out.append(f"| {label} | {name} | {r['error']} | | | | |")
                    continue
                out.append(f"| {label} | {name} | {r['best']:.3f} | {r['median']:.3f} | "
                           f"{r['cold']:.3f} | {r['mem_mb']:.0f} | "
                           f"{speed if name == 'did_zones' else ''} |")
        out.append("")
    out += ["## Agreement (point estimates, analytic standard errors, bootstrap p-values)",
            ""]
    out += [f"- {m}" for m in notes]
    return "\n".join(out) + "\n"


# pyfixest's Feols.wildboottest imports the wildboottest package: installed with it
PEER_PACKAGES = {"diff-diff": "diff-diff==3.13.0",
                 "pyfixest": "pyfixest==0.60.0 wildboottest==0.3.2",
                 "wildboottest": "wildboottest==0.3.2",
                 "moderndid": "moderndid==0.2.0", "csdid": "csdid==0.4.3",
                 "differences": "differences==0.3.0", "linearmodels": "linearmodels==7.1"}


def setup_peers(peers_dir: Path) -> None:
    """One virtual environment per peer (they pin conflicting dependencies)."""
    for name, req in PEER_PACKAGES.items():
        venv = peers_dir / name
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *req.split()], check=True)
        print(f"{name}: {venv}")


def merge_section(path: Path, key: str, text: str) -> None:
    """Put ``text`` (a run of ``--tasks key``) into ``path`` between markers, replacing the
    section of an earlier run of the same tasks or appending one; headings one level
    down, so a full run's results above stay as they are."""
    start, end = f"<!-- run_all --tasks {key} -->", f"<!-- end of run_all --tasks {key} -->"
    lines = [("#" + ln if ln.startswith("#") else ln) for ln in text.rstrip().splitlines()]
    lines[0] = lines[0].replace("Benchmark results", f"Benchmark results, tasks {key}", 1)
    block = "\n".join([start, *lines, end]) + "\n"
    old = path.read_text() if path.exists() else ""
    if start in old and end in old:
        new = old[:old.index(start)] + block + old[old.index(end) + len(end) + 1:]
    else:
        new = old.rstrip() + "\n\n" + block if old else block
    path.write_text(new)


def pretouch(gib: float) -> None:
    """Write ``gib`` GiB once and free it, before any timing.

    On a virtual machine whose memory the host backs lazily (this project's machine), the
    first write to each page is ~15× slower than later ones (16 GiB: ~45 s once, then normal
    speed). Without this step whichever process first needs fresh pages pays that cost inside
    its timings. Capped at half the memory available now (other work may share the machine).
    """
    avail = next((int(ln.split()[1]) * 1024 for ln in open("/proc/meminfo")
                  if ln.startswith("MemAvailable:")),
                 os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    n_bytes = int(min(gib * 2**30, 0.5 * avail))
    t0 = time.perf_counter()
    # in a child process, so this process's own peak memory stays small
    subprocess.run([sys.executable, "-c", f"import numpy; numpy.ones({n_bytes // 8})"],
                   check=True)
    print(f"pre-touched {n_bytes / 2**30:.1f} GiB in {time.perf_counter() - t0:.1f} s",
          flush=True)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min) / {five:.1f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300x12,10000x10,100000x10,1000000x10")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peers-dir", default="/tmp/bench_peers")
    parser.add_argument("--out", default=str(Path(__file__).parent / "RESULTS.md"))
    parser.add_argument("--mem-budget-gb", type=float, default=8.0,
                        help="skip a peer whose expected peak memory exceeds this")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds one tool may take for one task (cold + warm calls)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads of every timed process (0: their defaults)")
    parser.add_argument("--pretouch", type=float, default=8.0,
                        help="GiB of memory to write once before timing (0: skip); see pretouch")
    parser.add_argument("--tasks", default=None,
                        help="comma-separated tasks to run (e.g. wcb_unit,wcb_prov,wcb_prov10);"
                        " their tables go into --out as a section of their own, replacing "
                        "that of an earlier run of the same tasks")
    parser.add_argument("--setup", action="store_true",
                        help="create the peers' virtual environments and exit")
    args = parser.parse_args()
    if args.setup:
        setup_peers(Path(args.peers_dir))
        return
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.sizes.split(",")]
    tasks = None if args.tasks is None else tuple(args.tasks.split(","))
    unknown = [t for t in tasks or () if t not in TASKS]
    if unknown:
        parser.error(f"unknown task(s) {unknown}; tasks: {', '.join(TASKS)}")
    if args.pretouch > 0:
        pretouch(args.pretouch)
    warnings.simplefilter("ignore")
    load_before, t0 = _load(), time.perf_counter()
    rows, versions, notes = run(sizes, args.repeat, Path(args.peers_dir),
                                lambda s: print(s, flush=True),
                                mem_budget_gb=args.mem_budget_gb, timeout=args.timeout,
                                threads=args.threads, tasks=tasks)
    threads = (f"Every timed process ran with {args.threads} BLAS/OpenMP thread(s) "
               f"({', '.join(BLAS_THREADS)}={args.threads}): on CPUs shared with other work, "
               "multi-threaded BLAS made single calls vary up to 10×. " if args.threads > 0
               else "BLAS/OpenMP threads: each library's default. ")
    minutes = (time.perf_counter() - t0) / 60
    context = threads + (
        f"Load average (other work on the {os.cpu_count()} CPUs): {load_before} at the start, "
        f"{_load()} at the end of the {minutes:.0f}-minute run; timings under load vary by up "
        "to 2× between runs, so compare rows of one run.")
    for m in notes:
        print("CHECK:", m)
    text = markdown(rows, versions, notes, args.repeat, args.sizes, context, args.tasks)
    if tasks is None:
        Path(args.out).write_text(text)
    else:
        merge_section(Path(args.out), args.tasks, text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
