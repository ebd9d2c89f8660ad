"""wild_bootstrap(..., bootcluster=...): which clusters the draws are by.

Reference: the enumerated wild cluster bootstrap done the slow way, independently of the
library's bootstrap machinery. For every sign vector over the bootstrap clusters the
outcome y* = ŷ + û ∘ v is built (ŷ, û from least squares with the city and year dummies
materialised: restricted to β = θ under WCR, unrestricted under WCU), written into a copy
of the data, and ``dz.twfe`` is refitted on it; t* = (β* − centre) / SE* with the
refit's own cluster-robust SE (one- or two-way, its own small-sample factor). The p-value
is the share of |t*| >= |t| (1 − 1e-9), the library's tie rule.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import EstimationError, SpecificationError

wb = importlib.import_module("did_zones.robustness.wild_bootstrap")
core = importlib.import_module("did_zones.robustness._wild_core")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    """16 cities × 6 years; 4 provinces of 4 cities, 2 regions of 2 provinces, 2 blocks of
    3 years; cohorts 2012, 2013, 2014 and never, spread over the provinces."""
    rng = np.random.default_rng(17)
    city = np.repeat(np.arange(16), 6)
    year = np.tile(np.arange(2010, 2016), 16)
    cohort = np.array([2012, 2013, 2014, np.nan] * 4)[city]
    prov = city // 4
    shock = rng.normal(size=(4, 6))[prov, year - 2010]  # province × year shocks
    d = (year >= cohort).astype(float)
    y = 0.3 * d + 0.2 * city / 16 + 0.05 * (year - 2010) + shock + rng.normal(size=city.size)
    return pd.DataFrame({"city": city, "year": year, "cohort": cohort, "y": y,
                         "province": [f"P{p}" for p in prov], "region": prov // 2,
                         "block": (year - 2010) // 3, "d": d})


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def _fit(df, cluster):
    panel = _quiet(dz.build_panel, df, unit="city", time="year", cohort="cohort")
    return panel, _quiet(dz.twfe, panel, "y", cluster=cluster)


def _brute_force(df, cluster, boot_codes, theta, impose_null):
    """(sorted |t*| over all 2^G sign vectors, |t|, p) by refitting ``dz.twfe``."""
    _, res = _fit(df, cluster)
    beta, se = res.estimate["treated"], res.std_error["treated"]
    dummies = pd.concat([pd.get_dummies(df["city"], drop_first=True, dtype=float),
                         pd.get_dummies(df["year"], drop_first=True, dtype=float)], axis=1)
    Z = np.column_stack([np.ones(len(df)), dummies.to_numpy()])
    y, d = df["y"].to_numpy(), df["d"].to_numpy()
    if impose_null:  # least squares of y − θ d on the dummies
        target = y - theta * d
        fitted = Z @ np.linalg.lstsq(Z, target, rcond=None)[0] + theta * d
        centre = theta
    else:
        X = np.column_stack([d, Z])
        fitted = X @ np.linalg.lstsq(X, y, rcond=None)[0]
        centre = beta
    u = y - fitted
    G = int(boot_codes.max()) + 1
    tstar = []
    for k in range(2**G):
        v = ((k >> np.arange(G)) & 1) * 2.0 - 1.0
        star = df.assign(y=fitted + u * v[boot_codes])
        _, r = _fit(star, cluster)
        tstar.append(abs(r.estimate["treated"] - centre) / r.std_error["treated"])
    # a draw whose refit has no SE (a negative two-way variance, or 0/0 when the draw
    # leaves nothing to vary) counts as extreme: the library's documented rule
    tstar = np.sort(np.where(np.isnan(tstar), np.inf, tstar))
    t = abs(beta - theta) / se
    return tstar, t, float(np.mean(tstar >= t * (1 - 1e-9)))


def _library_tstar(res, panel, cluster, bootcluster, theta, impose_null):
    """The library's |t*| of every enumerated draw (its internal sufficient statistics)."""
    cl_spec = (cluster,) if isinstance(cluster, str) else tuple(cluster)
    fit = wb._refit(res, panel, cl_spec)
    boot, G, _ = wb._boot_clusters(fit, panel, cl_spec, bootcluster)
    st = core.cluster_stats(fit, fit.names.index("treated"), fit.design.clusters, boot,
                            impose_null)
    m = core.all_moments(st, "rademacher", 2**G, True, np.random.SeedSequence(0))
    tb, _ = wb._abs_t(st, m, theta)
    return np.sort(tb)


def _codes(df, cols):
    cols = [cols] if isinstance(cols, str) else list(cols)
    return pd.factorize(pd.Series(list(zip(*(df[c] for c in cols), strict=True))))[0]


CASES = [
    # (variance cluster, bootcluster, columns the draws are by in the brute force)
    (("province", "block"), "max", "province"),
    (("province", "block"), "min", "block"),
    (("province", "block"), "block", "block"),
    (("province", "block"), "intersection", ("province", "block")),
    (("province", "block"), "region", "region"),            # coarser than province, crossing
    (("province", "block"), ("region", "block"), ("region", "block")),
    ("province", "max", "province"),
    ("province", "intersection", "province"),
    ("province", "region", "region"),                      # draws coarser than the variance
    ("region", "province", "province"),                    # finer: subcluster bootstrap
    ("province", "block", "block"),                        # crossing the variance clusters
]


@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize("cluster,bootcluster,by", CASES)
def test_bootcluster_matches_brute_force(data, cluster, bootcluster, by, impose_null):
    theta = -0.5  # intermediate p-values in every case
    panel, res = _fit(data, cluster)
    test = _quiet(dz.wild_bootstrap, res, panel, null=theta, impose_null=impose_null,
                  bootcluster=bootcluster)
    codes = _codes(data, by)
    G = int(codes.max()) + 1
    tstar, t, p = _brute_force(data, cluster, codes, theta, impose_null)
    assert test.details["enumerated"] and test.details["n_boot"] == 2**G
    assert test.details["n_clusters"] == G
    expected = by if isinstance(by, str) else tuple(by)
    assert test.details["bootcluster"] == expected
    assert test.p_value == p
    assert abs(test.statistic) == pytest.approx(t, rel=1e-9)
    lib = _library_tstar(res, panel, cluster, bootcluster, theta, impose_null)
    finite = np.isfinite(tstar)
    assert (finite == (lib < 1e12)).all()  # 0/0 draws: rounding gives ~1e15 or inf
    np.testing.assert_allclose(lib[finite], tstar[finite], rtol=1e-9,
                               atol=1e-9 * max(t, 1.0))  # WCU: t* = 0 at v = ±1


def test_default_is_max_and_one_way_intersection_is_the_cluster(data):
    panel, res = _fit(data, ("province", "block"))
    default = _quiet(dz.wild_bootstrap, res, panel)
    by_max = _quiet(dz.wild_bootstrap, res, panel, bootcluster="max")
    assert default.details["bootcluster"] == "province" == by_max.details["bootcluster"]
    assert default.p_value == by_max.p_value
    assert default.details["conf_int"] == by_max.details["conf_int"]
    panel1, res1 = _fit(data, "province")
    a = _quiet(dz.wild_bootstrap, res1, panel1)
    b = _quiet(dz.wild_bootstrap, res1, panel1, bootcluster="intersection")
    c = _quiet(dz.wild_bootstrap, res1, panel1, bootcluster="province")
    assert a.p_value == b.p_value == c.p_value
    assert a.details["conf_int"] == b.details["conf_int"] == c.details["conf_int"]


def test_same_partition_by_another_name_gives_the_same_test(data):
    """Draws by a column equal to the variance cluster ('prov2' = 'province') take the
    general path; the fast path must give the same p-value and interval."""
    df = data.assign(prov2=data["province"].str.lower())
    panel, res = _fit(df, "province")
    fast = _quiet(dz.wild_bootstrap, res, panel, n_boot=999, seed=3)
    general = _quiet(dz.wild_bootstrap, res, panel, n_boot=999, seed=3, bootcluster="prov2")
    assert fast.p_value == general.p_value
    np.testing.assert_allclose(general.details["conf_int"], fast.details["conf_int"],
                               rtol=1e-9)


def test_joint_test_takes_bootcluster(data):
    """A joint (Wald) test of two leads with draws by the province × block cells: enumerated
    over the 8 cells, recorded; the same test by "max" is enumerated over 4 provinces."""
    panel = _quiet(dz.build_panel, data, unit="city", time="year", cohort="cohort")
    es = _quiet(dz.event_study, panel, "y", cluster=("province", "block"))
    leads = [t for t in es.estimate.index if t.startswith("e-")][:2]
    test = _quiet(dz.wild_bootstrap, es, panel, leads, bootcluster="intersection")
    assert test.details["bootcluster"] == ("province", "block")
    assert test.details["enumerated"] and test.details["n_boot"] == 2**8
    by_max = _quiet(dz.wild_bootstrap, es, panel, leads)
    assert by_max.details["bootcluster"] == "province" and by_max.details["n_boot"] == 2**4
    assert by_max.statistic == test.statistic  # the sample's Wald F does not depend on it


def test_bad_bootcluster(data):
    panel, res = _fit(data.assign(part=np.where(data["city"] < 3, np.nan, data["region"]),
                                  one=1), "province")
    with pytest.raises(SpecificationError, match="bootcluster must be"):
        dz.wild_bootstrap(res, panel, bootcluster=3)
    with pytest.raises(SpecificationError, match="not_there"):
        dz.wild_bootstrap(res, panel, bootcluster="not_there")
    with pytest.raises(SpecificationError, match="missing on 18 of the 96 rows"):
        dz.wild_bootstrap(res, panel, bootcluster="part")
    with pytest.raises(EstimationError, match="one value"):
        dz.wild_bootstrap(res, panel, bootcluster="one")
