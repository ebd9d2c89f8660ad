"""Freeze statsmodels' quasi-Bayesian mediation output on a simulated cross-section.

Writes ``ikt_sim_data.csv`` (the data) and ``ikt_statsmodels.csv`` (statsmodels
``Mediation(...).fit(method="parametric")`` summaries with the sd of the draws) next to
this folder. Run from the repository root: ``python tests/reference/generate/ikt_statsmodels.py``.
See ``tests/reference/README.md`` ("Causal mediation") for versions and date.

Design: n = 400, D ~ Bernoulli(0.5), X ~ N(0, 1), M = 1 + 2·D + 0.3·X + N(0, 1),
Y = 0.5 + 0.3·D + 0.3·M − 0.2·X + N(0, 3²). statsmodels draws the potential mediators
under t = 0 and t = 1 with independent noise (R ``mediation`` and did_zones reuse one
draw, so it cancels): that adds b²·2σ_M²/n to the variance of its ACME draws. With a = 2
and σ_Y = 3 the term a²·Var(b) dominates and the extra term is about 0.5% of the ACME
variance (0.25% of its sd), far below the Monte Carlo error of the comparison.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.mediation import Mediation

OUT = Path(__file__).resolve().parents[1]
N_REP = 4000


def simulate(seed: int = 20261128, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = (rng.uniform(size=n) < 0.5).astype(float)
    x = rng.normal(size=n)
    m = 1 + 2 * d + 0.3 * x + rng.normal(size=n)
    y = 0.5 + 0.3 * d + 0.3 * m - 0.2 * x + 3 * rng.normal(size=n)
    return pd.DataFrame({"y": y, "m": m, "d": d, "x": x})


def run(df: pd.DataFrame, cov_type: str, seed: int) -> pd.DataFrame:
    n = len(df)
    exog_y = np.column_stack([np.ones(n), df["d"], df["m"], df["x"]])
    exog_m = np.column_stack([np.ones(n), df["d"], df["x"]])
    kw = {} if cov_type == "nonrobust" else {"cov_type": cov_type}
    med = Mediation(sm.OLS(df["y"].to_numpy(), exog_y), sm.OLS(df["m"].to_numpy(), exog_m),
                    exposure=(1, 1), mediator=2, outcome_fit_kwargs=kw,
                    mediator_fit_kwargs=kw)
    res = med.fit(method="parametric", n_rep=N_REP, rng=np.random.default_rng(seed))
    smry = res.summary(alpha=0.05)
    rows = {"ACME": ("ACME (average)", res.ACME_avg), "ADE": ("ADE (average)", res.ADE_avg),
            "total": ("Total effect", res.total_effect),
            "prop_mediated": ("Prop. mediated (average)", res.prop_med_avg)}
    out = []
    for term, (label, draws) in rows.items():
        r = smry.loc[label]
        out.append({"cov_type": cov_type, "term": term, "estimate": r["Estimate"],
                    "conf_low": r["Lower CI bound"], "conf_high": r["Upper CI bound"],
                    "p_value": r["P-value"], "sd": float(np.std(draws, ddof=1)),
                    "n_rep": N_REP})
    return pd.DataFrame(out)


if __name__ == "__main__":
    data = simulate()
    data.to_csv(OUT / "ikt_sim_data.csv", index=False, float_format="%.17g")
    table = pd.concat([run(data, "nonrobust", 1), run(data, "HC1", 2)], ignore_index=True)
    table.to_csv(OUT / "ikt_statsmodels.csv", index=False, float_format="%.17g")
    print("statsmodels", statsmodels.__version__, "numpy", np.__version__)
    print(table)
