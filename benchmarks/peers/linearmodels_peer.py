"""linearmodels (``pip install linearmodels``): ``PanelOLS`` with entity and time effects.

All fits are clustered by entity (``cov_type="clustered", cluster_entity=True``), with the
package's default small-sample scaling: ``fit`` defaults to ``debiased=True`` and, with two
absorbed effects, counts their N + T - 1 levels in the degrees of freedom, so the clustered
variance is scaled by n / (n - k - (N + T - 1)), without G / (G - 1).
pyfixest's CRV1 (and did_zones) scale by G / (G - 1) * (n - 1) / (n - k - T), the unit effects
being nested in the clusters. The standard errors differ by that ratio (1.0539 at 2,000 x 10);
point estimates are unaffected.

- twfe: ``y ~ d + EntityEffects + TimeEffects``, the coefficient on d.
- event_study: y on one dummy per value of ``rel`` except -1 (never-treated units have
  rel = -1, the reference, as in pyfixest's ``i(rel, ref=-1)``), dummies in ascending order of
  rel; the first coefficient (the lowest rel), as the pyfixest peer reports.
- placebo1000: the naive in-space placebo loop: 1,000 times, shuffle the unit -> cohort
  assignment across units (``numpy.random.default_rng(1)``), rebuild d = (g > 0) & (year >= g)
  and refit the clustered TWFE; the mean of the 1,000 coefficients.
"""

from __future__ import annotations

from importlib.metadata import version

import numpy as np
import pandas as pd
from _common import main
from linearmodels import PanelOLS


def fit(y, x):
    return PanelOLS(y, x, entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True)


def twfe(df):
    panel = df.set_index(["unit", "year"])
    r = PanelOLS.from_formula("y ~ d + EntityEffects + TimeEffects", data=panel).fit(
        cov_type="clustered", cluster_entity=True)
    return r.params["d"], r.std_errors["d"]


def event_study(df):
    panel = df.set_index(["unit", "year"])
    rel = panel["rel"].to_numpy()
    levels = [v for v in np.unique(rel) if v != -1]
    x = pd.DataFrame({f"rel{v}": (rel == v).astype(float) for v in levels}, index=panel.index)
    r = fit(panel["y"], x)
    return r.params.iloc[0], r.std_errors.iloc[0]


def placebo1000(df):
    panel = df.set_index(["unit", "year"])
    units, codes = np.unique(df["unit"].to_numpy(), return_inverse=True)
    g_unit = np.zeros(len(units), dtype=df["g"].dtype)
    g_unit[codes] = df["g"].to_numpy()
    year = df["year"].to_numpy()
    rng = np.random.default_rng(1)
    coefs = []
    for _ in range(1000):
        g = rng.permutation(g_unit)[codes]
        x = pd.DataFrame({"d": ((g > 0) & (year >= g)).astype(float)}, index=panel.index)
        coefs.append(fit(panel["y"], x).params["d"])
    return float(np.mean(coefs))


if __name__ == "__main__":
    main({"twfe": twfe, "event_study": event_study, "placebo1000": placebo1000},
         version("linearmodels"))
