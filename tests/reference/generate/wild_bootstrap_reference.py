"""Freeze wild cluster bootstrap references from ``wildboottest`` 0.3.2 (boottest's algorithm).

Run in a separate environment (never imported by the tests)::

    python3 -m venv /tmp/wcb-ref && /tmp/wcb-ref/bin/pip install wildboottest==0.3.2 pyfixest
    /tmp/wcb-ref/bin/python tests/reference/generate/wild_bootstrap_reference.py

Writes ``tests/reference/wild_bootstrap_data.csv`` (a 36-city panel in 10 provinces of
unequal size, 7 years, three treated provinces), ``tests/reference/wild_bootstrap.csv`` and
``tests/reference/wild_bootstrap_nulls.csv`` (t and p-values for the nonzero nulls
``NULLS``, as Stata ``boottest d=0.04``).

Every case is the regression ``y ~ 1 + d + x1`` (``plain``) or the same with city and year
dummies materialised (``dummies``), clustered by province (G = 10), Rademacher weights with
``B = 9999`` so that wildboottest enumerates all 2^10 = 1024 sign vectors (deterministic).
For each case the script records

- ``t_stat`` and wildboottest's own ``p_value`` (share of ``|t*| > |t|``, strict);
- ``p_value_ties``: the same bootstrap statistics ``t_boot`` with ties counted
  (``|t*| >= |t| (1 - 1e-9)``; with enumeration the all-ones and all-minus-ones draws
  reproduce the sample under WCR and tie exactly, up to rounding);
- ``conf_low`` / ``conf_high``: the test-inversion interval, computed here by bisection on
  wildboottest's p-value function (ties counted) over the null value ``θ`` (testing
  ``β = θ`` is testing 0 in the regression of ``y − θ d``), to 1e-10 in θ: the interval is
  ``{θ : p(θ) > alpha}``.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import wildboottest
from wildboottest.wildboottest import WildboottestCL

OUT = Path(__file__).resolve().parents[1]
TIE = 1e-9
NULLS = (0.04, 0.5, -1.0)  # nonzero nulls (boottest d=0.04), in wild_bootstrap_nulls.csv


def make_data() -> pd.DataFrame:
    rng = np.random.default_rng(20261206)
    sizes = [1, 2, 3, 3, 4, 4, 4, 5, 5, 5]  # cities per province: 36 cities
    prov = np.repeat(np.arange(10), sizes)
    cohort_by_prov = {0: 2016, 3: 2017, 7: 2018}  # three treated provinces
    rows = []
    city_fe = rng.normal(0, 1, prov.size)
    prov_shock = rng.normal(0, 0.5, (10, 7))
    for c, p in enumerate(prov):
        cohort = cohort_by_prov.get(p, np.nan)
        for t, year in enumerate(range(2014, 2021)):
            d = float(np.isfinite(cohort) and year >= cohort)
            x1 = rng.normal()
            y = city_fe[c] + 0.1 * t + 0.3 * d + 0.5 * x1 + prov_shock[p, t] + rng.normal(0, 1)
            rows.append({"city": 1000 + c, "province": f"P{p:02d}", "year": year,
                         "cohort": cohort, "d": d, "x1": x1, "y": y})
    return pd.DataFrame(rows)


def design(data: pd.DataFrame, kind: str) -> tuple[np.ndarray, list[str]]:
    X = pd.DataFrame({"const": 1.0, "d": data["d"], "x1": data["x1"]})
    if kind == "dummies":
        X = pd.concat([X, pd.get_dummies(data["city"], prefix="c", drop_first=True,
                                         dtype=float),
                       pd.get_dummies(data["year"], prefix="y", drop_first=True, dtype=float)],
                      axis=1)
    return X.to_numpy(float), list(X.columns)


def run(X, y, cluster, impose_null):
    R = np.zeros(X.shape[1])
    R[1] = 1.0
    boot = WildboottestCL(X=X, Y=y, cluster=cluster, R=R, B=9999, seed=1, parallel=False)
    boot.get_scores(bootstrap_type="11", impose_null=impose_null, adj=True, cluster_adj=True)
    boot.get_weights(weights_type="rademacher")
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    t = float(np.ravel(boot.t_stat)[0])
    tb = np.abs(np.ravel(boot.t_boot))
    return t, float(boot.pvalue), float(np.mean(tb >= abs(t) * (1 - TIE))), tb.size, \
        bool(boot.full_enumeration)


def p_at(X, y, cluster, impose_null, theta):
    return run(X, y - theta * X[:, 1], cluster, impose_null)[2]


def bound(X, y, cluster, impose_null, inside, outside, alpha):
    """Bisection between a null value inside the interval (p > alpha) and one outside."""
    for _ in range(200):
        mid = 0.5 * (inside + outside)
        if abs(outside - inside) < 1e-10:
            break
        if p_at(X, y, cluster, impose_null, mid) > alpha:
            inside = mid
        else:
            outside = mid
    return 0.5 * (inside + outside)


def main() -> None:
    data = make_data()
    data.to_csv(OUT / "wild_bootstrap_data.csv", index=False)
    cluster = pd.factorize(data["province"], sort=True)[0]
    y = data["y"].to_numpy(float)
    rows = []
    for kind in ("plain", "dummies"):
        X, _ = design(data, kind)
        beta = np.linalg.lstsq(X, y, rcond=None)[0][1]
        for impose_null in (True, False):
            t, p, p_ties, B, enum = run(X, y, cluster, impose_null)
            se = beta / t
            for alpha in (0.05, 0.10):
                lo = bound(X, y, cluster, impose_null, beta, beta - 20 * abs(se), alpha)
                hi = bound(X, y, cluster, impose_null, beta, beta + 20 * abs(se), alpha)
                rows.append({"case": kind, "impose_null": impose_null, "alpha": alpha,
                             "estimate": beta, "t_stat": t, "p_value": p,
                             "p_value_ties": p_ties, "n_boot": B, "enumerated": enum,
                             "conf_low": lo, "conf_high": hi})
    out = pd.DataFrame(rows)
    out.to_csv(OUT / "wild_bootstrap.csv", index=False, float_format="%.12g")
    print(out.to_string())
    nulls = []  # boottest d = θ: the test of 0 in the regression of y − θ d
    for kind in ("plain", "dummies"):
        X, _ = design(data, kind)
        for theta in NULLS:
            for impose_null in (True, False):
                t, p, p_ties, B, enum = run(X, y - theta * X[:, 1], cluster, impose_null)
                nulls.append({"case": kind, "null": theta, "impose_null": impose_null,
                              "t_stat": t, "p_value": p, "p_value_ties": p_ties,
                              "n_boot": B, "enumerated": enum})
    nulls = pd.DataFrame(nulls)
    nulls.to_csv(OUT / "wild_bootstrap_nulls.csv", index=False, float_format="%.12g")
    print(nulls.to_string())
    print("wildboottest", getattr(wildboottest, "__version__", "0.3.2"),
          datetime.date.today().isoformat())


if __name__ == "__main__":
    main()
