"""did_zones-only timings that used to sit in the test suite as timing asserts (not a test).

    python benchmarks/bench_scenarios.py [--repeat 5] [--only twfe,event_study,dcdh,read_cre]

Each scenario runs in its own fresh process, timed as ``run_all.py`` times every tool: the
first call apart ("cold"), then the best and median of ``--repeat`` calls, and the process's
peak resident memory. The former test thresholds are shown as targets, not asserted:

- ``twfe``: 100,000 units × 10 periods, cohorts 4, 6, 8 and never (tests/test_twfe.py's
  large panel); "a few seconds".
- ``event_study``: the same panel, ``overall=True`` (13 event-time terms;
  tests/test_event_study.py).
- ``dcdh``: 5,000 units × 20 periods, cohorts 5..18 and never, ``window=(-4, 5),
  n_boot=199`` (3 placebos, 5 dynamic effects; tests/test_dcdh.py); target < 10 s.
- ``read_cre``: ``read_cre`` of the two CSMAR CRE extracts (tests/test_cre.py); target
  < 5 s. Needs the licensed files (``DID_ZONES_CSMAR_DIR`` or ``../shared/data``);
  skipped without them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"twfe": "a few seconds", "event_study": "a few seconds", "dcdh": "< 10 s",
             "read_cre": "< 5 s"}


def _large_panel():
    import numpy as np
    import pandas as pd

    import did_zones as dz

    rng = np.random.default_rng(0)
    n, T = 100_000, 10
    g = rng.choice([4, 6, 8, 0], size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), T), "year": np.tile(np.arange(T), n),
                       "g": np.repeat(g, T)})
    df["y"] = rng.normal(size=len(df)) + ((df["g"] > 0) & (df["year"] >= df["g"]))
    return dz.build_panel(df, unit="unit", time="year", cohort="g")


def _dcdh_panel():
    import numpy as np
    import pandas as pd

    import did_zones as dz

    rng = np.random.default_rng(0)
    n, T = 5000, 20
    cohorts = rng.choice(np.r_[np.arange(5, 19), np.inf], size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), T), "year": np.tile(np.arange(T), n),
                       "g": np.repeat(np.where(np.isinf(cohorts), 0, cohorts), T)})
    df["y"] = rng.normal(size=len(df))
    return dz.build_panel(df, unit="unit", time="year", cohort="g")


def _csmar_files() -> tuple[Path, Path] | None:
    folder = Path(os.environ.get("DID_ZONES_CSMAR_DIR", "") or ROOT.parent / "shared" / "data")
    files = (folder / "CRE_Gdpct.csv", folder / "CRE_Eplwagct.csv")
    return files if all(f.is_file() for f in files) else None


def scenario(name: str):
    """(setup, call) for one scenario; setup runs untimed."""
    import did_zones as dz

    if name == "twfe":
        return _large_panel, lambda p: dz.twfe(p, "y")
    if name == "event_study":
        return _large_panel, lambda p: dz.event_study(p, "y", overall=True)
    if name == "dcdh":
        return _dcdh_panel, lambda p: dz.dcdh(p, "y", window=(-4, 5), n_boot=199, seed=0)
    if name == "read_cre":
        files = _csmar_files()
        if files is None:
            return None
        from did_zones.cre import read_cre
        return (lambda: files), lambda f: read_cre(*f)
    raise ValueError(name)


def child(name: str, repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    sc = scenario(name)
    if sc is None:
        print(json.dumps({"skip": "the CSMAR extracts are not available"}))
        return
    setup, call = sc
    arg = setup()
    t0 = time.perf_counter()
    call(arg)
    cold = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call(arg)
        times.append(time.perf_counter() - t0)
    hwm = next((int(ln.split()[1]) / 1024 for ln in open("/proc/self/status")
                if ln.startswith("VmHWM:")), float("nan"))
    print(json.dumps({"cold": cold, "seconds": times, "mem_mb": hwm}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.repeat)
        return
    print("| scenario | best (s) | median (s) | cold (s) | peak (MiB) | former test target |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name in args.only.split(","):
        out = subprocess.run([sys.executable, __file__, "--child", name, "--repeat",
                              str(args.repeat)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if "skip" in r:
            print(f"| {name} | skipped: {r['skip']} | | | | {SCENARIOS[name]} |")
            continue
        s = r["seconds"]
        print(f"| {name} | {min(s):.3f} | {statistics.median(s):.3f} | {r['cold']:.3f} | "
              f"{r['mem_mb']:.0f} | {SCENARIOS[name]} |", flush=True)


if __name__ == "__main__":
    main()
