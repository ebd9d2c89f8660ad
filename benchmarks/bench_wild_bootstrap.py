"""Time ``wild_bootstrap`` (9,999 WCR draws and the test-inversion interval) on TWFE,
did2s and BJS imputation fits.

    python benchmarks/bench_wild_bootstrap.py [--repeat 3] [--peer-python /tmp/wcb-ref/bin/python]

Panels: 300 cities × 12 years clustered by city, and 100,000 units × 10 years in 1,000
clusters of 100 units (unit and year effects absorbed); did2s and imputation (static
``"overall"``) on the 300 × 12 panel clustered by city and by 30 groups of 10 cities, and
on 10,000 × 10 in 100 clusters and 100,000 × 10 in 1,000. ``--peer-python`` also times
``wildboottest`` (city and year dummies materialised; it has no absorption) and pyfixest's
``Feols.wildboottest`` on the 300 × 12 panel, in that interpreter's own environment
(``python3 -m venv /tmp/wcb-ref && /tmp/wcb-ref/bin/pip install wildboottest pyfixest``);
their p-values use other random draws, so they agree with ours only within Monte-Carlo
error (about 0.005 at p = 0.5 with 9,999 draws).
"""

from __future__ import annotations

import argparse
import inspect
import subprocess
import time
import warnings

import numpy as np
import pandas as pd

import did_zones as dz


def panel(units, years, n_clusters, seed=0):
    """Staggered panel: cohorts 2013, 2015, 2017 and never (equal shares), effect 0.1."""
    rng = np.random.default_rng(seed)
    city = np.repeat(np.arange(units), years)
    year = np.tile(np.arange(2010, 2010 + years), units)
    coh = rng.choice([2013, 2015, 2017, np.nan], units)
    df = pd.DataFrame({"city": city, "year": year, "cohort": coh[city]})
    df["cl"] = city if n_clusters is None else city % n_clusters
    df["y"] = rng.normal(size=len(df)) + 0.1 * (df.year >= df.cohort)
    df["d"] = (df.year >= df.cohort).astype(float)
    return df


PEER = '''
import time, numpy as np, pandas as pd, statsmodels.api as sm, pyfixest as pf
from wildboottest.wildboottest import wildboottest
df = panel(300, 12, None)
X = pd.concat([pd.DataFrame({"d": df.d, "const": 1.0}),
               pd.get_dummies(df.city, prefix="c", drop_first=True, dtype=float),
               pd.get_dummies(df.year, prefix="t", drop_first=True, dtype=float)], axis=1)
t0 = time.perf_counter()
out = wildboottest(sm.OLS(df.y, X), param="d", cluster=df.cl, B=9999, seed=1,
                   parallel=False, show=False)
print(f"| wildboottest 0.3.2 (dummies), 300 x 12 | {time.perf_counter() - t0:.2f} s | "
      f"p = {float(out['p-value'].iloc[0]):.4f} |")
t0 = time.perf_counter()
fit = pf.feols("y ~ d | city + year", data=df, vcov={"CRV1": "cl"})
wb = fit.wildboottest(param="d", reps=9999, seed=1)
print(f"| pyfixest {pf.__version__} wildboottest, 300 x 12 | {time.perf_counter() - t0:.2f} s | "
      f"p = {float(wb['Pr(>|t|)']):.4f} |")
'''


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-python", default=None)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print("| call | time (best) | p-value |\n| --- | --- | --- |")
    for units, years, n_cl in ((300, 12, None), (100_000, 10, 1000)):
        df = panel(units, years, n_cl)
        p = dz.build_panel(df.drop(columns="d"), unit="city", time="year", cohort="cohort")
        res = dz.twfe(p, "y", cluster="cl")
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            test = dz.wild_bootstrap(res, p, seed=1)
            times.append(time.perf_counter() - t0)
        print(f"| did_zones wild_bootstrap (WCR + CI), {units:,} x {years}, "
              f"G = {test.details['n_clusters']} | {min(times):.2f} s | p = {test.p_value:.4f} |")
    for units, years, n_cl in ((300, 12, None), (300, 12, 30), (10_000, 10, 100),
                               (100_000, 10, 1000)):
        df = panel(units, years, n_cl)
        p = dz.build_panel(df.drop(columns="d"), unit="city", time="year", cohort="cohort")
        for name in ("did2s", "imputation"):
            res = getattr(dz, name)(p, "y", cluster="cl")
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                test = dz.wild_bootstrap(res, p, seed=1)
                times.append(time.perf_counter() - t0)
            print(f"| did_zones wild_bootstrap {name} (WCR + CI), {units:,} x {years}, "
                  f"G = {test.details['n_clusters']} | {min(times):.2f} s | "
                  f"p = {test.p_value:.4f} |")
    if args.peer_python:
        code = inspect.getsource(panel) + PEER
        print(subprocess.run([args.peer_python, "-c", code], capture_output=True, text=True,
                             check=True).stdout, end="")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
