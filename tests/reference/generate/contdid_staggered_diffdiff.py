"""Freeze diff-diff values for the staggered design of did_zones.continuous_did.

Writes
  tests/reference/contdid_stag_data.csv      diff-diff's own continuous DGP
                                             (generate_continuous_did_data), 3 cohorts
  tests/reference/contdid_stag_diffdiff.csv  diff-diff 3.13.0 ContinuousDiD on it: ATT^o,
                                             ACRT^o, ATT(d), ACRT(d) (dose aggregation) and
                                             the binarised event study ATT^o(e), analytic SEs

Run in the peers' own venv, never the library's:

    /tmp/bench_peers/diff-diff/bin/python tests/reference/generate/contdid_staggered_diffdiff.py
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from diff_diff import ContinuousDiD
from diff_diff.prep_dgp import generate_continuous_did_data

OUT = Path(__file__).resolve().parents[1]  # tests/reference


def main() -> None:
    data = generate_continuous_did_data(
        n_units=300, n_periods=6, cohort_periods=[3, 4, 5], never_treated_frac=0.3,
        dose_distribution="lognormal", att_function="quadratic", seed=20251)
    data = data[["unit", "period", "outcome", "first_treat", "dose"]]
    data.to_csv(OUT / "contdid_stag_data.csv", index=False, float_format="%.17g")
    out = []
    runs = [(c, d, k, "varying") for c in ("never_treated", "not_yet_treated")
            for d, k in ((3, 0), (2, 1))] + [("never_treated", 3, 0, "universal")]
    for control, degree, num_knots, base in runs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = ContinuousDiD(degree=degree, num_knots=num_knots,
                                    control_group=control, base_period=base).fit(
                    data, "outcome", "unit", "period", "first_treat", "dose",
                    aggregate="eventstudy")
            spec = f"{control}_degree{degree}_knots{num_knots}"
            spec += "_universal" if base == "universal" else ""
            out.append({"spec": spec, "parameter": "att_overall", "dose": np.nan,
                        "event_time": np.nan, "estimate": fit.overall_att,
                        "std_error": fit.overall_att_se})
            out.append({"spec": spec, "parameter": "acrt_overall", "dose": np.nan,
                        "event_time": np.nan, "estimate": fit.overall_acrt,
                        "std_error": fit.overall_acrt_se})
            for name, curve in (("att", fit.dose_response_att),
                                ("acrt", fit.dose_response_acrt)):
                for d, e, s in zip(curve.dose_grid, curve.effects, curve.se, strict=True):
                    out.append({"spec": spec, "parameter": name, "dose": d,
                                "event_time": np.nan, "estimate": e, "std_error": s})
            for e, info in sorted(fit.event_study_effects.items()):
                out.append({"spec": spec, "parameter": "att_event", "dose": np.nan,
                            "event_time": e, "estimate": info["effect"],
                            "std_error": info["se"]})
    pd.DataFrame(out).to_csv(OUT / "contdid_stag_diffdiff.csv", index=False,
                             float_format="%.17g")


if __name__ == "__main__":
    main()
