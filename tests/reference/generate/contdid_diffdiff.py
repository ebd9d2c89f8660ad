"""Freeze diff-diff values for did_zones.continuous_did.

Writes
  tests/reference/contdid_sim_data.csv   a simulated two-period continuous-dose panel
  tests/reference/contdid_diffdiff.csv   diff-diff 3.13.0 ContinuousDiD: ATT^o, ACRT^o and
                                         ATT(d), ACRT(d) on the default dose grid, with
                                         analytic standard errors

Run in the peers' own venv, never the library's:

    python -m venv /tmp/peers && /tmp/peers/bin/pip install diff-diff==3.13.0
    /tmp/peers/bin/python tests/reference/generate/contdid_diffdiff.py
"""

from pathlib import Path

import numpy as np
import pandas as pd
from diff_diff import ContinuousDiD

OUT = Path(__file__).resolve().parents[1]  # tests/reference


def simulate() -> pd.DataFrame:
    """200 units, periods 1 and 2; 140 treated in period 2 with dose ~ lognormal, 60 never."""
    rng = np.random.default_rng(20241)
    n, n_treated = 200, 140
    dose = np.r_[rng.lognormal(0.0, 0.5, n_treated), np.zeros(n - n_treated)]
    alpha = rng.normal(0, 1, n)
    rows = []
    for t in (1, 2):
        effect = (t == 2) * (1.0 + 2.0 * np.log1p(dose)) * (dose > 0)
        y = alpha + 0.5 * t + effect + rng.normal(0, 0.5, n)
        rows.append(pd.DataFrame({"unit": np.arange(n), "period": t, "y": y, "dose": dose,
                                  "first_treat": np.where(dose > 0, 2, 0)}))
    return pd.concat(rows, ignore_index=True).sort_values(["unit", "period"])


def main() -> None:
    data = simulate()
    data.to_csv(OUT / "contdid_sim_data.csv", index=False, float_format="%.17g")
    out = []
    for degree, num_knots in ((3, 0), (2, 2), (1, 0)):
        fit = ContinuousDiD(degree=degree, num_knots=num_knots).fit(
            data, "y", "unit", "period", "first_treat", "dose")
        spec = f"degree{degree}_knots{num_knots}"
        out.append({"spec": spec, "parameter": "att_overall", "dose": np.nan,
                    "estimate": fit.overall_att, "std_error": fit.overall_att_se})
        out.append({"spec": spec, "parameter": "acrt_overall", "dose": np.nan,
                    "estimate": fit.overall_acrt, "std_error": fit.overall_acrt_se})
        for name, curve in (("att", fit.dose_response_att), ("acrt", fit.dose_response_acrt)):
            for d, e, s in zip(curve.dose_grid, curve.effects, curve.se, strict=True):
                out.append({"spec": spec, "parameter": name, "dose": d, "estimate": e,
                            "std_error": s})
    pd.DataFrame(out).to_csv(OUT / "contdid_diffdiff.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
