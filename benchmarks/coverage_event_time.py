"""Coverage by event time, with and without the simulator's mechanism (issue #18 finding).

With the two-sided mechanism switched on, the demo's Monte-Carlo coverage fell from 0.938 to
0.919 (``coverage_mc.py``). This script localises the loss: Callaway–Sant'Anna event-time
effects (not-yet-treated controls, analytic influence-function SEs, normal critical values)
on ``simulate_pilot_panel(seed=s, effect="heterogeneous", mechanism=...)`` for each seed,
against ``truth.event_effects("isu")``. For each event time 0..5 it prints the mean and sd
of ``z = (estimate − truth) / se``, the coverage of the nominal 95% normal interval and the
coverage with the critical value of ``t(n_treated − 1)``, ``n_treated`` being the treated
cities behind the term.

Usage::

    python benchmarks/coverage_event_time.py --seeds 0-199

Result (2026-12-06, 200 seeds; MC standard error of a coverage near 0.95 is 0.015):

====  =======  ====================================  ====================================
e     treated  mechanism off: sd z / normal / t(n-1)  mechanism on: sd z / normal / t(n-1)
====  =======  ====================================  ====================================
0     105      0.964 / 0.960 / 0.965                 0.966 / 0.935 / 0.940
1     105      0.977 / 0.975 / 0.975                 0.995 / 0.960 / 0.960
2     59       1.095 / 0.930 / 0.930                 1.092 / 0.915 / 0.935
3     35       1.050 / 0.935 / 0.950                 1.068 / 0.945 / 0.950
4     13       1.122 / 0.935 / 0.960                 1.208 / 0.905 / 0.935
5     13       1.094 / 0.960 / 0.960                 1.177 / 0.895 / 0.930
====  =======  ====================================  ====================================

The estimates are unbiased (mean z within ±0.09 everywhere). The loss sits at e = 4, 5,
the terms that rest on the 13 cities of batches 1–2: their normal intervals use a variance
estimated from 13 treated units, and the mechanism's four mediators add serially correlated
noise to ISU, which widens the tails of ``z`` there (sd 1.12 → 1.21). With ``t(12)`` critical
values the two terms cover 0.935 / 0.930 (the t column). It is the few-treated problem of issue #17 (13 treated
cities are few for cluster-robust inference), not a bias of the estimators or of the truth;
``few_treated_inference`` and the wild cluster bootstrap are the tools for such terms.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
from scipy import stats


def one_seed(seed: int, mechanism: bool) -> pd.DataFrame:
    """Event-time effects 0..5 of one seed: estimate, se, truth, treated units."""
    import did_zones as dz

    sim = dz.simulate_pilot_panel(seed=seed, effect="heterogeneous", mechanism=mechanism)
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    event = dz.aggregate(dz.callaway_santanna(panel, "isu", control="not_yet"), "event")
    tidy = event.tidy().set_index("term")
    truth = sim.truth.event_effects("isu")
    terms = [f"ATT(e={e})" for e in range(6)]
    return pd.DataFrame({
        "seed": seed, "mechanism": mechanism, "e": range(6),
        "estimate": tidy.loc[terms, "estimate"].to_numpy(),
        "std_error": tidy.loc[terms, "std_error"].to_numpy(),
        "n_treated": tidy.loc[terms, "n_treated_units"].to_numpy(),
        "truth": truth.loc[list(range(6))].to_numpy(),
    })


def summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (mechanism, e): treated units, mean and sd of z, normal and t coverage."""
    z = (frame["estimate"] - frame["truth"]) / frame["std_error"]
    crit_t = stats.t.ppf(0.975, frame["n_treated"] - 1)
    frame = frame.assign(z=z, normal=(z.abs() <= stats.norm.ppf(0.975)),
                         t=(z.abs() <= crit_t))
    return frame.groupby(["mechanism", "e"]).agg(
        treated=("n_treated", "median"), mean_z=("z", "mean"), sd_z=("z", "std"),
        cover_normal=("normal", "mean"), cover_t=("t", "mean")).round(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-199", help="'a-b'")
    a, b = (int(v) for v in parser.parse_args().seeds.split("-"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pd.concat([one_seed(s, m) for m in (False, True) for s in range(a, b + 1)],
                          ignore_index=True)
    print(summarise(frame).to_string())
    assert np.isfinite(frame["std_error"]).all()


if __name__ == "__main__":
    main()
