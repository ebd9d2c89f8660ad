"""Tests of did_zones.resample: whole-cluster resamples, reproducible parallel draws, intervals.

Monte-Carlo bounds: the standard deviation of a bootstrap standard error from B draws is
about ``se * sqrt((kurtosis - 1) / (4 B))`` (``se / sqrt(2 B)`` for near-normal draws);
bounds are stated at 4.5 of those (seeded, so every run is the same).
"""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import did_zones as dz
from did_zones import _parallel
from did_zones.errors import EstimationError, InferenceWarning, SpecificationError
from did_zones.resample import (
    BootstrapDraws,
    bootstrap_interval,
    cluster_bootstrap,
    cluster_draws,
    jackknife_clusters,
    resample_panel,
)

NORMAL = NormalDist()


# ------------------------------------------------------------------------ fixtures
def tiny_frame() -> pd.DataFrame:
    """Six cities x 4 years in three provinces; city 'c' is treated from 2012; city 'f'
    misses 2013 (unbalanced)."""
    cities = list("abcdef")
    rows = [(c, t) for c in cities for t in range(2010, 2014) if not (c == "f" and t == 2013)]
    df = pd.DataFrame(rows, columns=["city", "year"])
    df["province"] = df["city"].map({"a": "P1", "b": "P1", "c": "P2", "d": "P2",
                                     "e": "P3", "f": "P3"})
    rng = np.random.default_rng(7)
    df["y"] = rng.normal(size=len(df)) + np.arange(len(df)) * 0.1
    df["cohort"] = np.where(df["city"] == "c", 2012, 0)
    return df


@pytest.fixture()
def tiny():
    return dz.build_panel(tiny_frame(), unit="city", time="year", cohort="cohort")


def mean_of_unit_means(panel):
    y = panel.column("y" if "y" in panel.data else "isu")
    sums = np.bincount(panel.unit_id, weights=y, minlength=panel.n_units)
    return np.mean(sums / np.bincount(panel.unit_id, minlength=panel.n_units))


def twfe_coef(panel):
    return dz.twfe(panel, "isu")["treated"]


# ------------------------------------------------------------------------ resample_panel
def test_unit_resample_has_whole_units_copied_as_drawn(tiny):
    drawn = np.array([2, 2, 0, 5, 2])
    new = resample_panel(tiny, drawn)
    sizes = np.bincount(tiny.unit_id, minlength=tiny.n_units)
    assert new.n_units == 5
    assert new.n_obs == int(sizes[drawn].sum()) == 4 * 4 + 3
    assert list(new.units) == [0, 1, 2, 3, 4]  # copies are distinct units
    np.testing.assert_array_equal(new.data["city"].to_numpy(), new.unit_id)
    np.testing.assert_array_equal(new.cohort, tiny.cohort[drawn])
    old = tiny.data.drop(columns="city")
    for j, u in enumerate(drawn):
        mine = new.data.loc[new.unit_id == j].drop(columns="city").reset_index(drop=True)
        theirs = old.loc[tiny.unit_id == u].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, theirs)
    # every original unit appears as often as drawn, with all its rows each time
    np.testing.assert_array_equal(new.data.groupby("city").size().to_numpy(), sizes[drawn])
    np.testing.assert_array_equal(new.time_values, new.data["year"].to_numpy())


def test_province_resample_keeps_provinces_together(tiny):
    # provinces sorted: P1 = 0 (a, b), P2 = 1 (c, d), P3 = 2 (e, f; f misses a year)
    new = resample_panel(tiny, np.array([2, 0, 2]), cluster="province")
    assert new.n_units == 6
    assert new.n_obs == 7 + 8 + 7
    np.testing.assert_array_equal(new.data["province"].to_numpy(),
                                  np.repeat([0, 1, 2], [7, 8, 7]))
    np.testing.assert_array_equal(new.data.groupby("city")["y"].first().to_numpy(),
                                  tiny.data.groupby("city")["y"].first()[list("efabef")])
    np.testing.assert_array_equal(np.isfinite(new.cohort), [False] * 6)
    assert "No never-treated units" not in " ".join(new.notes)


def test_missing_period_is_recoded(tiny):
    f = tiny.units.get_loc("f")
    new = resample_panel(tiny, np.array([f, f]))
    np.testing.assert_array_equal(new.periods, [2010, 2011, 2012])
    np.testing.assert_array_equal(new.time_values, new.data["year"].to_numpy())
    assert new.is_balanced


def test_resample_matches_build_panel_and_twfe(sim_panel):
    drawn = cluster_draws(sim_panel.n_units, 1, seed=11)[0]
    new = resample_panel(sim_panel, drawn)
    # the same panel built the slow way: copies stacked with new labels, validated again
    parts = [sim_panel.data.loc[sim_panel.unit_id == u].assign(city_code=j)
             for j, u in enumerate(drawn)]
    ref = dz.build_panel(pd.concat(parts), unit="city_code", time="year", cohort="cohort")
    for name in ("unit_id", "period_id", "cohort", "periods"):
        np.testing.assert_array_equal(getattr(new, name), getattr(ref, name))
    pd.testing.assert_frame_equal(new.data, ref.data)
    a, b = dz.twfe(new, "isu"), dz.twfe(ref, "isu")
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-12)
    np.testing.assert_allclose(a.std_error, b.std_error, rtol=1e-12)


def test_resample_leaves_the_panel_alone(tiny):
    before = tiny.data.copy()
    resample_panel(tiny, np.array([0, 0, 1]), cluster="province")
    pd.testing.assert_frame_equal(tiny.data, before)


@pytest.mark.parametrize("drawn, match", [
    (np.array([0, 6]), r"1 cluster code\(s\) lie outside 0..5 \(there are 6 clusters\)"),
    (np.array([-1]), "outside 0..5"),
    (np.array([0.0, 1.0]), "integer cluster codes; got shape \\(2,\\) and dtype float64"),
    (np.array([[0, 1]]), "1-D array"),
    (np.array([], dtype=int), "non-empty"),
])
def test_resample_bad_codes(tiny, drawn, match):
    with pytest.raises(SpecificationError, match=match):
        resample_panel(tiny, drawn)


def test_bad_cluster_columns(tiny):
    with pytest.raises(SpecificationError, match="Cluster column 'provnce' not found.*"
                                                 "Did you mean 'province'"):
        resample_panel(tiny, np.array([0]), cluster="provnce")
    df = tiny_frame()
    df.loc[df.index[1], "province"] = "P9"
    df.loc[df.index[5], "province"] = None
    varying = dz.build_panel(df, unit="city", time="year", cohort="cohort")
    with pytest.raises(SpecificationError, match=r"missing in 1 row\(s\) of 1 unit\(s\)"):
        cluster_bootstrap(varying, mean_of_unit_means, cluster="province")
    df.loc[df.index[5], "province"] = "P1"
    varying = dz.build_panel(df, unit="city", time="year", cohort="cohort")
    with pytest.raises(SpecificationError, match=r"not constant within unit for 1 unit\(s\), "
                                                 r"e.g. \['a'\]"):
        cluster_bootstrap(varying, mean_of_unit_means, cluster="province")


# ------------------------------------------------------------------------ draws
def test_draws_are_the_documented_seed_children(sim_panel):
    boot = cluster_bootstrap(sim_panel, mean_of_unit_means, n_boot=30, seed=4)
    children = np.random.SeedSequence(4).spawn(30)
    idx = np.stack([np.random.default_rng(c).integers(0, 337, 337) for c in children])
    np.testing.assert_array_equal(cluster_draws(337, 30, 4), idx)
    unit_means = (np.bincount(sim_panel.unit_id, weights=sim_panel.column("isu"))
                  / np.bincount(sim_panel.unit_id))
    np.testing.assert_allclose(boot.draws[:, 0], unit_means[idx].mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(boot.estimate, [unit_means.mean()], rtol=1e-12)
    assert (boot.seed, boot.n_failed, boot.cluster, boot.n_clusters) == (4, 0, "unit", 337)


def test_same_seed_same_draws_other_seed_other_draws(sim_panel):
    a = cluster_bootstrap(sim_panel, mean_of_unit_means, n_boot=20, seed=1)
    b = cluster_bootstrap(sim_panel, mean_of_unit_means, n_boot=20, seed=1)
    c = cluster_bootstrap(sim_panel, mean_of_unit_means, n_boot=20, seed=2)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert not np.any(a.draws == c.draws)
    # fresh entropy is recorded and reproduces the draws; a SeedSequence may be reused
    d = cluster_bootstrap(sim_panel, mean_of_unit_means, n_boot=20, seed=None)
    ss = np.random.SeedSequence(d.seed, spawn_key=d.spawn_key)
    e = cluster_bootstrap(sim_panel, mean_of_unit_means, n_boot=20, seed=ss)
    f = cluster_bootstrap(sim_panel, mean_of_unit_means, n_boot=20, seed=ss)
    np.testing.assert_array_equal(d.draws, e.draws)
    np.testing.assert_array_equal(e.draws, f.draws)


@pytest.mark.slow
def test_identical_for_any_workers_and_backend(sim_panel, monkeypatch):
    monkeypatch.setattr(_parallel, "PARALLEL_AFTER", 0.0)  # quick draws: workers anyway
    ref = cluster_bootstrap(sim_panel, twfe_coef, n_boot=41, seed=9)
    for kwargs in ({"n_jobs": 2}, {"n_jobs": 2, "backend": "threading"},
                   {"n_jobs": 3, "backend": "loky"}, {"n_jobs": -1}):
        other = cluster_bootstrap(sim_panel, twfe_coef, n_boot=41, seed=9, **kwargs)
        np.testing.assert_array_equal(other.draws, ref.draws, err_msg=str(kwargs))
    jk1 = jackknife_clusters(sim_panel, mean_of_unit_means, cluster="province")
    jk2 = jackknife_clusters(sim_panel, mean_of_unit_means, cluster="province", n_jobs=2)
    np.testing.assert_array_equal(jk1, jk2)


@pytest.mark.slow
def test_identical_on_a_dask_cluster(sim_panel):
    distributed = pytest.importorskip(
        "dask.distributed", reason="dask.distributed is not installed (pip install "
                                   "'dask[distributed]', part of the test extra)")
    ref = cluster_bootstrap(sim_panel, twfe_coef, n_boot=23, seed=5, cluster="province")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc, distributed.Client(lc) as c:
        other = cluster_bootstrap(sim_panel, twfe_coef, n_boot=23, seed=5,
                                  cluster="province", client=c)
    np.testing.assert_array_equal(other.draws, ref.draws)


# ------------------------------------------------------------------------ standard errors
def test_se_of_mean_of_unit_means_matches_ideal_bootstrap(sim_panel):
    m = (np.bincount(sim_panel.unit_id, weights=sim_panel.column("isu"))
         / np.bincount(sim_panel.unit_id))
    G, B = m.size, 4000
    # the ideal (B = infinity) bootstrap variance of a mean of G i.i.d. cluster values
    ideal = math.sqrt(np.sum((m - m.mean()) ** 2)) / G
    boot = cluster_bootstrap(sim_panel, mean_of_unit_means, n_boot=B, seed=2024)
    assert abs(boot.std_error()[0] / ideal - 1) < 4.5 / math.sqrt(2 * B)  # 5.0 %
    assert abs(boot.draws.mean() - m.mean()) < 4.5 * ideal / math.sqrt(B)
    assert abs(ideal / (m.std(ddof=1) / math.sqrt(G)) - math.sqrt((G - 1) / G)) < 1e-12


@pytest.mark.slow
def test_se_of_twfe_coefficient_close_to_clustered_se(sim_panel):
    """Bootstrap SE vs CRV1. Bound: 4.5 MC s.d. (B = 1999: 7.1 %) plus the CRV1 factor
    sqrt(G/(G-1) (N-1)/(N-K)) - 1 = 0.22 % by which the two differ at B = infinity."""
    B = 1999
    res = dz.twfe(sim_panel, "isu")
    boot = cluster_bootstrap(sim_panel, twfe_coef, n_boot=B, seed=77, n_jobs=2)
    ratio = boot.std_error()[0] / res.std_error["treated"]
    assert abs(ratio - 1) < 4.5 / math.sqrt(2 * B) + 0.0023
    assert boot.n_failed == 0


# ------------------------------------------------------------------------ failures, errors
def test_failed_draws_are_counted(tiny):
    treated = tiny.units.get_loc("c")
    B = 40

    def statistic(panel):
        if not panel.treated.any():
            raise EstimationError("no treated unit")
        return [panel.treated.mean(), 1.0]

    with pytest.warns(InferenceWarning, match=r"of 40 draws raised EstimationError and "
                                              r"were recorded as NaN.*no treated unit"):
        boot = cluster_bootstrap(tiny, statistic, n_boot=B, seed=3)
    bad = ~(cluster_draws(tiny.n_units, B, 3) == treated).any(axis=1)
    assert 0 < bad.sum() < B
    assert boot.n_failed == bad.sum()
    np.testing.assert_array_equal(np.isnan(boot.draws), np.column_stack([bad, bad]))
    np.testing.assert_allclose(boot.std_error(), np.std(boot.draws[~bad], 0, ddof=1),
                               rtol=1e-14)
    with pytest.warns(InferenceWarning, match=rf"NaN draws excluded.*\[{bad.sum()}, "):
        boot.interval()


def test_other_exceptions_propagate(tiny):
    def statistic(panel):
        if panel.data["y"].sum() != tiny.data["y"].sum():
            raise KeyError("boom")
        return 1.0
    with pytest.raises(KeyError, match="boom"):
        cluster_bootstrap(tiny, statistic, n_boot=5, seed=1)


def test_did_zones_warnings_inside_draws_are_silenced(tiny, monkeypatch):
    monkeypatch.setattr(_parallel, "PARALLEL_AFTER", 0.0)  # threads, not in process
    def statistic(panel):  # 6 clusters: twfe warns about few clusters on every panel
        return dz.twfe(panel, "y")["treated"] if panel.treated.any() else 0.0

    n_filters = len(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cluster_bootstrap(tiny, statistic, n_boot=10, seed=1)
        cluster_bootstrap(tiny, statistic, n_boot=10, seed=1, n_jobs=2, backend="threading")
    fews = [w for w in caught if issubclass(w.category, InferenceWarning)]
    assert len(fews) == 2  # the original panel of each run only, not the 20 draws
    assert len(warnings.filters) == n_filters


@pytest.mark.parametrize("kwargs, match", [
    ({"n_boot": 0}, "n_boot must be a positive integer; got 0"),
    ({"n_boot": 2.5}, "n_boot must be a positive integer"),
    ({"seed": -3}, "seed must be a non-negative int"),
    ({"n_jobs": 0}, "n_jobs must be a non-zero int"),
    ({"client": object()}, "client must be a dask.distributed.Client; got object"),
])
def test_bad_options(tiny, kwargs, match):
    with pytest.raises(SpecificationError, match=match):
        cluster_bootstrap(tiny, mean_of_unit_means, **{"n_boot": 3, **kwargs})


def test_bad_statistics(tiny):
    with pytest.raises(SpecificationError, match="statistic must be a function"):
        cluster_bootstrap(tiny, "mean")
    calls = []

    def grows(panel):
        calls.append(1)
        return np.zeros(len(calls))
    with pytest.raises(SpecificationError, match=r"returned shape \(2,\) on draw 0; it must "
                                                 r"return 1 value\(s\)"):
        cluster_bootstrap(tiny, grows, n_boot=3, seed=0)
    with pytest.raises(SpecificationError, match=r"returned shape \(2, 2\) on the original"):
        cluster_bootstrap(tiny, lambda p: np.zeros((2, 2)), n_boot=3)
    with pytest.raises(SpecificationError, match="return a number or a 1-D array of numbers"):
        cluster_bootstrap(tiny, lambda p: "x", n_boot=3)
    one = dz.build_panel(tiny_frame().assign(region="r"), unit="city", time="year",
                         cohort="cohort")
    with pytest.raises(SpecificationError, match="needs at least 2 clusters; 'region' has 1"):
        cluster_bootstrap(one, mean_of_unit_means, cluster="region")


# ------------------------------------------------------------------------ jackknife
def test_jackknife_of_a_mean_is_exact(tiny):
    m = (np.bincount(tiny.unit_id, weights=tiny.column("y")) / np.bincount(tiny.unit_id))
    jk = jackknife_clusters(tiny, mean_of_unit_means)
    np.testing.assert_allclose(jk[:, 0], (m.sum() - m) / (m.size - 1), rtol=1e-12)
    prov = jackknife_clusters(tiny, lambda p: [mean_of_unit_means(p), p.n_units],
                              cluster="province")
    np.testing.assert_allclose(prov[:, 0], [m[2:].mean(), m[[0, 1, 4, 5]].mean(),
                                            m[:4].mean()], rtol=1e-12)
    np.testing.assert_array_equal(prov[:, 1], [4, 4, 4])


# ------------------------------------------------------------------------ intervals
def test_percentile_interval_is_numpy_quantile():
    x = np.random.default_rng(0).gamma(2.0, size=(501, 2))
    low, high = bootstrap_interval(x, [1.0, 2.0], alpha=0.1)
    np.testing.assert_array_equal(low, np.quantile(x, 0.05, axis=0))
    np.testing.assert_array_equal(high, np.quantile(x, 0.95, axis=0))
    low, high = bootstrap_interval(np.arange(101.0), 50.0, alpha=0.1)
    np.testing.assert_array_equal([low[0], high[0]], [5.0, 95.0])


def test_bc_at_the_median_is_percentile_and_bca_without_acceleration_is_bc():
    x = np.random.default_rng(1).lognormal(size=999)
    med = np.median(x)  # one draw equals it: share = (499 + 0.5) / 999 = 1/2, z0 = 0
    np.testing.assert_allclose(bootstrap_interval(x, med, kind="bc"),
                               bootstrap_interval(x, med), rtol=1e-13)
    est = np.quantile(x, 0.3)
    symmetric = np.array([-1.0, 0.0, 1.0, -2.0, 2.0])  # a = 0
    np.testing.assert_array_equal(
        bootstrap_interval(x, est, kind="bca", jackknife=symmetric),
        bootstrap_interval(x, est, kind="bc"))
    assert bootstrap_interval(x, est, kind="bc")[0] < bootstrap_interval(x, est)[0]


def test_bca_by_hand():
    x = np.arange(1.0, 11.0)  # B = 10, estimate 4.5: 4 draws below, none tied
    jk = np.array([0.0, 1.0, 3.0])  # mean 4/3; deviations 4/3, 1/3, -5/3
    z0 = NORMAL.inv_cdf(0.4)
    a = (-20 / 9) / (6 * (42 / 9) ** 1.5)  # sum d^3 = -20/9, sum d^2 = 42/9
    assert z0 == pytest.approx(-0.2533471031357998, rel=1e-15)
    assert a == pytest.approx(-0.03673889284811711, rel=1e-14)
    z = NORMAL.inv_cdf(0.1)  # alpha = 0.2
    a1 = NORMAL.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    a2 = NORMAL.cdf(z0 + (z0 - z) / (1 - a * (z0 - z)))
    assert (a1, a2) == pytest.approx((0.03005595231602759, 0.7695697450912692), rel=1e-13)
    low, high = bootstrap_interval(x, 4.5, kind="bca", alpha=0.2, jackknife=jk)
    # linear interpolation on 1..10: the q-quantile is 1 + 9 q
    np.testing.assert_allclose([low[0], high[0]], [1 + 9 * a1, 1 + 9 * a2], rtol=1e-13)
    # a tie counts one half: estimate 5 -> (4 + 0.5) / 10 below
    bc = bootstrap_interval(x, 5.0, kind="bc", alpha=0.2)
    z0 = NORMAL.inv_cdf(0.45)
    np.testing.assert_allclose(bc, [[1 + 9 * NORMAL.cdf(2 * z0 + z)],
                                    [1 + 9 * NORMAL.cdf(2 * z0 - z)]], rtol=1e-13)


@pytest.mark.parametrize("method", ["BCa", "percentile"])
def test_intervals_match_scipy_bootstrap(method):
    """Same resamples fed to both: scipy's bootstrap distribution and its leave-one-out
    jackknife of the mean."""
    x = np.random.default_rng(5).exponential(size=40)
    res = stats.bootstrap((x,), np.mean, n_resamples=1999, method=method,
                          confidence_level=0.9, rng=np.random.default_rng(6))
    jk = (x.sum() - x) / (x.size - 1)
    kind = "bca" if method == "BCa" else "percentile"
    low, high = bootstrap_interval(res.bootstrap_distribution, x.mean(), kind=kind,
                                   alpha=0.1, jackknife=jk)
    np.testing.assert_allclose([low[0], high[0]], [res.confidence_interval.low,
                                                   res.confidence_interval.high], rtol=1e-12)


def test_interval_errors_and_undefined():
    x = np.arange(10.0)
    with pytest.raises(SpecificationError, match="kind must be one of 'percentile', 'bc', "
                                                 "'bca'; got 'BCa'"):
        bootstrap_interval(x, 1.0, kind="BCa")
    with pytest.raises(SpecificationError, match="kind='bca' needs jackknife="):
        bootstrap_interval(x, 1.0, kind="bca")
    with pytest.raises(SpecificationError, match=r"jackknife must be \(G, 1\)"):
        bootstrap_interval(x, 1.0, kind="bca", jackknife=np.zeros((3, 2)))
    with pytest.raises(SpecificationError, match=r"got shapes \(10,\) and \(2,\)"):
        bootstrap_interval(x, [1.0, 2.0])
    with pytest.raises(SpecificationError, match="alpha must lie strictly between 0 and 1"):
        bootstrap_interval(x, 1.0, alpha=1.5)
    with pytest.warns(InferenceWarning, match=r"bc interval is undefined for column\(s\) "
                                              r"\[0\]"):
        low, high = bootstrap_interval(x, 20.0, kind="bc")
    assert np.isnan(low[0]) and np.isnan(high[0])


# ------------------------------------------------------------------------ BootstrapDraws
def test_p_values_by_hand():
    draws = np.arange(-1.0, 9.0)[:, None]  # -1 .. 8, estimate 3.5
    boot = BootstrapDraws(draws=draws, estimate=np.array([3.5]), seed=0, n_failed=0,
                          cluster="unit", n_clusters=10)
    # centred: c = draws - 3.5 in -4.5 .. 4.5; #(c <= 3.5) = 9, #(c >= 3.5) = 2
    np.testing.assert_array_equal(boot.p_value(), [0.4])
    # percentile: #(draws <= 0) = 2 (-1, 0, ties in both tails), #(draws >= 0) = 9
    np.testing.assert_array_equal(boot.p_value(method="percentile"), [0.4])
    # H0: 3.5 -> centred: #(c <= 0) = 5 = #(c >= 0): p = 1
    np.testing.assert_array_equal(boot.p_value(null=3.5), [1.0])
    np.testing.assert_array_equal(boot.p_value(null=-5.0, method="percentile"), [0.0])
    np.testing.assert_allclose(boot.std_error(), [np.std(draws, ddof=1)], rtol=1e-15)
    np.testing.assert_array_equal(boot.interval(alpha=0.2),
                                  bootstrap_interval(draws, 3.5, alpha=0.2))
    assert "10 draws x 1 statistic(s), 10 clusters of 'unit', 0 failed" in repr(boot)
    with pytest.raises(SpecificationError, match="method must be one of 'centred'"):
        boot.p_value(method="basic")


def test_progress_line(tiny, capsys):
    cluster_bootstrap(tiny, mean_of_unit_means, n_boot=40, seed=0, progress=True)
    err = capsys.readouterr().err
    assert "cluster bootstrap: 40/40 (100%)" in err
    cluster_bootstrap(tiny, mean_of_unit_means, n_boot=40, seed=0, progress=False)
    cluster_bootstrap(tiny, mean_of_unit_means, n_boot=40, seed=0)  # fast: auto = off
    assert capsys.readouterr().err == ""


def test_docstring_examples_run():
    import doctest

    import did_zones.resample as module

    failures, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted >= 3 and failures == 0
