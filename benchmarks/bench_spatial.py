"""Time spatial DiD (fixed-effects SAR and SDM) in did_zones against PySAL spreg.

    python benchmarks/bench_spatial.py [--sizes 337x12,3000x10] [--repeat 3] [--k 6]

Panels: ``n`` units at uniform random coordinates, ``W`` the row-standardised ``k``-nearest
-neighbour matrix (sparse: ``k`` links per unit), staggered adoption (cohorts at 1/3, 1/2,
2/3 of the periods and never), outcome from the SDM ``y = (I − 0.3W)⁻¹(D + 0.5WD + α + μ +
ε)``. Each tool runs in its own fresh process with this interpreter (``--worker`` mode):
the first call is timed on its own (``cold``: imports, eigenvalues, caches) and discarded,
then ``--repeat`` calls are timed (best and median).

Tasks:

* ``did_zones sar-2fe`` / ``sdm-2fe``: :func:`did_zones.spatial_did`, two-way fixed
  effects, Lee–Yu bias correction, delta-method effects (the package's defaults);
* ``did_zones sar-1fe``: unit effects, no bias correction — the model of
  ``spreg.Panel_FE_Lag``; its estimates are compared with spreg's (relative 1e-6);
* ``spreg sar-1fe``: ``spreg.Panel_FE_Lag(y, [D], w)`` (unit effects only: spreg has no
  period effects and no SDM; it computes ``log|I − ρW|`` from dense eigenvalues).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


def make_panel(n: int, t: int, k: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Columns of the panel (rows unit-major) and ``W`` as sparse triplets."""
    from scipy import sparse
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    xy = rng.uniform(size=(n, 2))
    _, idx = cKDTree(xy).query(xy, k=k + 1)
    rows = np.repeat(np.arange(n), k)
    cols = idx[:, 1:].ravel()
    w = sparse.csr_matrix((np.full(n * k, 1.0 / k), (rows, cols)), shape=(n, n))
    cohort = rng.choice([t // 3, t // 2, 2 * t // 3, 10_000], size=n).astype(float)
    d = (np.arange(t)[:, None] >= cohort[None, :]).astype(float)  # (T, n)
    rhs = (d + 0.5 * (w @ d.T).T + rng.normal(size=n) + rng.normal(size=(t, 1))
           + rng.normal(size=(t, n)))
    a = sparse.identity(n, format="csc") - 0.3 * w.tocsc()
    from scipy.sparse.linalg import splu

    y = splu(a).solve(rhs.T).T  # (T, n)
    return {"unit": np.repeat(np.arange(n), t), "year": np.tile(np.arange(t), n),
            "y": y.T.ravel(), "g": np.repeat(cohort, t), "w_rows": rows, "w_cols": cols,
            "w_vals": np.full(n * k, 1.0 / k)}


def _weights(z):
    from scipy import sparse

    n = int(z["unit"].max()) + 1
    return sparse.csr_matrix((z["w_vals"], (z["w_rows"], z["w_cols"])), shape=(n, n))


def _did_zones(task: str):
    import pandas as pd

    import did_zones as dz

    def setup(z):
        df = pd.DataFrame({c: z[c] for c in ("unit", "year", "y")})
        g = z["g"][::int(z["year"].max()) + 1]
        cohort = {u: int(c) for u, c in enumerate(g) if c < 10_000}
        panel = dz.build_panel(df, unit="unit", time="year", cohort=cohort)
        w = dz.SpatialWeights(ids=panel.units, matrix=_weights(z).toarray(), kind="knn",
                              row_standardized=True)
        return panel, w

    opts = {"sar-2fe": dict(model="sar"), "sdm-2fe": dict(model="sdm"),
            "sar-1fe": dict(model="sar", fixed_effects=("unit",), bias_correction=False)}

    def run(arg):
        panel, w = arg
        res = dz.spatial_did(panel, "y", w, **opts[task])
        return {"rho": float(res.estimate["rho"]), "treated": float(res.estimate["treated"]),
                "direct": float(res.estimate["direct: treated"]),
                "indirect": float(res.estimate["indirect: treated"])}

    return setup, run, "did_zones " + dz.__version__


def _spreg(task: str):
    import libpysal
    import spreg

    if task != "sar-1fe":
        return None

    def setup(z):
        n = int(z["unit"].max()) + 1
        t = int(z["year"].max()) + 1
        w = libpysal.weights.WSP(_weights(z)).to_W(silence_warnings=True)
        w.transform = "r"
        y = z["y"].reshape(n, t).T.reshape(-1, 1)  # period-major (spreg's long format)
        d = (np.tile(np.arange(t), n) >= z["g"]).astype(float).reshape(n, t).T.reshape(-1, 1)
        return y, d, w

    def run(arg):
        y, d, w = arg
        m = spreg.Panel_FE_Lag(y, d, w)
        return {"rho": float(m.betas[-1, 0]), "treated": float(m.betas[0, 0])}

    return setup, run, "spreg " + spreg.__version__


def worker(tool: str, task: str, path: str, repeat: int) -> None:
    warnings.simplefilter("ignore")
    made = {"did_zones": _did_zones, "spreg": _spreg}[tool](task)
    if made is None:
        print(json.dumps({"skip": True}))
        return
    setup, run, version = made
    with np.load(path) as z:
        arg = setup({k: z[k] for k in z.files})
    t1 = time.perf_counter()
    out = run(arg)
    cold = time.perf_counter() - t1  # the first fit (eigenvalues, caches); imports excluded
    seconds = []
    for _ in range(repeat):
        s = time.perf_counter()
        run(arg)
        seconds.append(time.perf_counter() - s)
    print(json.dumps({"cold": cold, "seconds": seconds, "out": out, "version": version}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="337x12,3000x10")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("--worker", nargs=4, metavar=("TOOL", "TASK", "PANEL", "REPEAT"))
    args = ap.parse_args()
    if args.worker:
        tool, task, path, repeat = args.worker
        worker(tool, task, path, int(repeat))
        return
    lines = ["| units x periods | tool | task | cold s | best s | median s | rho | "
             "treated |", "|---|---|---|---|---|---|---|---|"]
    # the workers import this checkout's did_zones, not an installed one
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            n, t = (int(v) for v in size.split("x"))
            path = str(Path(tmp) / f"panel_{n}x{t}.npz")
            np.savez(path, **make_panel(n, t, args.k))
            found = {}
            for tool, task in (("did_zones", "sar-2fe"), ("did_zones", "sdm-2fe"),
                               ("did_zones", "sar-1fe"), ("spreg", "sar-1fe")):
                proc = subprocess.run([sys.executable, __file__, "--worker", tool, task,
                                       path, str(args.repeat)], capture_output=True,
                                      text=True, env=env)
                if proc.returncode:
                    raise RuntimeError(f"{tool} {task} failed:\n{proc.stderr}")
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                if r.get("skip"):
                    continue
                found[(tool, task)] = r["out"]
                lines.append(
                    f"| {n:,} x {t} | {r['version']} | {task} | {r['cold']:.2f} | "
                    f"{min(r['seconds']):.2f} | {statistics.median(r['seconds']):.2f} | "
                    f"{r['out']['rho']:.6f} | {r['out']['treated']:.6f} |")
            a, b = found[("did_zones", "sar-1fe")], found[("spreg", "sar-1fe")]
            for key in ("rho", "treated"):
                if not np.isclose(a[key], b[key], rtol=1e-6, atol=0):
                    lines.append(f"| {n:,} x {t} | DIFFERENCE | {key} | {a[key]} vs "
                                 f"{b[key]} | | | | |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
