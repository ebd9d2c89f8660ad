"""wildboottest (``pip install wildboottest``, the Python port of Stata's ``boottest``):
the wild cluster bootstrap of a TWFE coefficient, 9,999 WCR Rademacher draws, seed 1.

wildboottest takes a statsmodels ``OLS`` and has no absorption: unit dummies at 100,000
units (a 1,000,000 × 100,010 dense matrix) are impossible. So the unit effects are removed
by demeaning every column within units first and the year effects enter as dummies
(``y − ȳ_unit`` on ``[d, year dummies] − unit means``): by Frisch–Waugh–Lovell the
estimate, the residuals and the cluster scores are those of the TWFE regression, and
because the units are nested in every cluster used here (units, provinces, the 1,000
clusters of 100 units) a draw ``û ∘ v`` is constant in sign within a unit, so demeaning
the bootstrap outcome changes nothing: the draws, and so the p-value, are those of the
full dummy regression. The reported t differs from reghdfe's by the small-sample factor
(statsmodels counts 1 + (T − 1) regressors, not the absorbed unit effects); the p-value
does not depend on it. The demeaning is inside the timed call. No confidence interval
(wildboottest 0.3.2 does not invert the test). Returns ``(p-value, t)``.
"""

from __future__ import annotations

from importlib.metadata import version

import numpy as np
import pandas as pd
import statsmodels.api as sm
from _common import main
from wildboottest.wildboottest import wildboottest

B = 9999


def _demeaned(df: pd.DataFrame):
    unit = pd.factorize(df["unit"])[0]
    year = pd.factorize(df["year"], sort=True)[0]
    T = int(year.max()) + 1
    X = np.zeros((len(df), T))
    X[np.arange(len(df)), year] = 1.0  # year dummies; the first year's column becomes d
    X[:, 0] = df["d"].to_numpy()
    y = df["y"].to_numpy().astype(float)
    counts = np.bincount(unit)

    def within(v):
        return v - (np.bincount(unit, weights=v) / counts)[unit]

    Xd = np.column_stack([within(X[:, k]) for k in range(T)])
    names = ["d"] + [f"t{k}" for k in range(1, T)]
    return pd.Series(within(y), name="y"), pd.DataFrame(Xd, columns=names)


def wcb(cluster: str):
    def run(df):
        y, X = _demeaned(df)
        out = wildboottest(sm.OLS(y, X), param="d", cluster=df[cluster].to_numpy(), B=B,
                           seed=1, parallel=False, show=False)
        p, t = float(np.ravel(out["p-value"].iloc[0])[0]), float(np.ravel(out["statistic"].iloc[0])[0])
        return {"p": p, "t": t,
                "draws": min(B, 2 ** int(df[cluster].nunique())),
                "how": "unit effects by demeaning, year dummies"}
    return run


if __name__ == "__main__":
    main({"wcb_unit": wcb("unit"), "wcb_prov": wcb("prov"), "wcb_prov10": wcb("prov10")},
         version("wildboottest"))
