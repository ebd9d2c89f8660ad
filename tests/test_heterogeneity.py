"""heterogeneity: split = direct reruns, interaction = dummy regression, Wald by hand, sims."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import did_zones as dz
from did_zones.errors import SpecificationError
from did_zones.registry import load_cities
from did_zones.robustness.heterogeneity import heterogeneity
from did_zones.robustness.rerun import rerun

pytestmark = pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")


@pytest.fixture(scope="module")
def sim_panel():
    sim = dz.simulate_pilot_panel(seed=4)
    return dz.build_panel(sim.data.drop(columns="batch"), unit="city_code", time="year",
                          cohort="cohort")


def region_panel(seed, effects, n_years=8):
    """All 337 prefectures, cohorts 2014/2016 or never, region-specific effects."""
    rng = np.random.default_rng(seed)
    cities = load_cities()
    n = len(cities)
    cohort = rng.choice([2014.0, 2016.0, np.inf], size=n, p=[0.25, 0.25, 0.5])
    years = np.arange(2010, 2010 + n_years)
    unit = np.repeat(cities["city_code"].to_numpy(), n_years)
    year = np.tile(years, n)
    g = np.repeat(cohort, n_years)
    tau = np.repeat(cities["region"].map(effects).to_numpy(), n_years)
    y = (np.repeat(rng.normal(size=n), n_years) + 0.1 * (year - 2010)
         + tau * (year >= g) + rng.normal(size=n * n_years))
    df = pd.DataFrame({"city": unit, "year": year, "y": y,
                       "cohort": np.where(np.isfinite(g), g, 0)})
    return dz.build_panel(df, unit="city", time="year", cohort="cohort")


def test_split_equals_direct_reruns(sim_panel):
    res = dz.twfe(sim_panel, "isu", controls=["lnpop"])
    het = heterogeneity(res, sim_panel, "coastal", approach="split")
    groups = het.extra["groups"]
    for g in ("coastal", "inland"):
        sub = sim_panel.drop_units(groups.index[groups != g])
        direct = rerun(res, sub)
        assert abs(het[f"group: {g}"] - direct["treated"]) < 1e-12
        np.testing.assert_allclose(het.vcov.loc[f"group: {g}", f"group: {g}"],
                                   direct.vcov.loc["treated", "treated"], rtol=1e-12)
        assert het.keys.loc[f"group: {g}", "n_units"] == direct.n_units
    assert het.vcov.iloc[0, 1] == 0.0
    assert any("independent" in n for n in het.notes)
    # any estimator: Callaway-Sant'Anna simple aggregation
    agg = dz.aggregate(dz.callaway_santanna(sim_panel, "isu"), kind="simple")
    het_cs = heterogeneity(agg, sim_panel, "region")
    sub = sim_panel.drop_units(het_cs.extra["groups"].index[het_cs.extra["groups"] != "east"])
    assert abs(het_cs["group: east"] - rerun(agg, sub)[agg.primary]) < 1e-12


def test_interaction_equals_dummy_regression_and_wald_by_hand(sim_panel):
    res = dz.twfe(sim_panel, "isu", controls=["lnpop"])
    het = heterogeneity(res, sim_panel, "region", approach="interaction")
    df = sim_panel.data
    groups = het.extra["groups"].reindex(df["city_code"]).to_numpy()
    d = sim_panel.treated.astype(float)
    names = [t.removeprefix("group: ") for t in het.terms]
    X = pd.DataFrame({f"D_{g}": d * (groups == g) for g in names})
    X["lnpop"] = df["lnpop"].to_numpy()
    fe = pd.get_dummies(df[["city_code", "year"]].astype(str), drop_first=True, dtype=float)
    Z = sm.add_constant(pd.concat([X, fe], axis=1))
    ols = sm.OLS(df["isu"].to_numpy(), Z).fit(
        cov_type="cluster", cov_kwds={"groups": df["city_code"].to_numpy()})
    cols = [f"D_{g}" for g in names]
    np.testing.assert_allclose(het.estimate.to_numpy(), ols.params[cols].to_numpy(),
                               rtol=1e-8)
    # statsmodels counts every dummy in K; reghdfe does not count the unit effects nested
    # in the unit clusters: rescale (N - K_sm) / (N - K_twfe)
    fit = het.extra["results"]
    N, K_sm = len(df), Z.shape[1]
    K_tw = len(fit.terms) + fit.stats["n_fe_params"]
    V_sm = ols.cov_params().loc[cols, cols].to_numpy() * (N - K_sm) / (N - K_tw)
    np.testing.assert_allclose(het.vcov.to_numpy(), V_sm, rtol=1e-6)
    # Wald / F by hand
    b, V = het.estimate.to_numpy(), het.vcov.to_numpy()
    R = np.hstack([-np.ones((3, 1)), np.eye(3)])
    w = (R @ b) @ np.linalg.solve(R @ V @ R.T, R @ b)
    eq = het.extra["equality_test"]
    np.testing.assert_allclose(eq.statistic, w / 3, rtol=1e-10)
    np.testing.assert_allclose(eq.p_value, stats.f.sf(w / 3, 3, fit.df), rtol=1e-10)


def test_split_wald_by_hand(sim_panel):
    res = dz.twfe(sim_panel, "isu")
    het = heterogeneity(res, sim_panel, "region")
    b, se = het.estimate.to_numpy(), het.std_error.to_numpy()
    R = np.hstack([-np.ones((3, 1)), np.eye(3)])
    V = np.diag(se**2)
    w = (R @ b) @ np.linalg.solve(R @ V @ R.T, R @ b)
    eq = het.extra["equality_test"]
    assert eq.distribution == "chi2" and eq.df == 3
    np.testing.assert_allclose(eq.statistic, w, rtol=1e-10)


def test_different_effects_rejected():
    panel = region_panel(1, {"east": 1.0, "central": 0.0, "west": 0.0, "northeast": -1.0})
    res = dz.twfe(panel, "y")
    for approach in ("split", "interaction"):
        het = heterogeneity(res, panel, "region", approach=approach)
        assert het.extra["equality_test"].p_value < 1e-6
        truth = np.array([0.0, 1.0, -1.0, 0.0])  # central, east, northeast, west
        z = (het.estimate.to_numpy() - truth) / het.std_error.to_numpy()
        assert np.all(np.abs(z) < 4)


@pytest.mark.slow
def test_equal_effects_uniform_p():
    p = np.array([heterogeneity(dz.twfe(panel := region_panel(s, dict.fromkeys(
        ["east", "central", "west", "northeast"], 0.5)), "y"), panel, "region",
        approach="interaction").extra["equality_test"].p_value for s in range(100)])
    # 100 draws: rejections at 5% ~ Binomial(100, 0.05) (P(X > 12) < 0.001), and the
    # p-values pass a Kolmogorov-Smirnov test of uniformity at 0.1%
    assert (p < 0.05).sum() <= 12
    assert stats.kstest(p, "uniform").pvalue > 0.001


def test_batch_shared_controls_and_skips(sim_panel):
    res = dz.twfe(sim_panel, "isu")
    het = heterogeneity(res, sim_panel, "batch", approach="interaction")
    assert any("serve as controls for every group" in n for n in het.notes)
    tier = heterogeneity(res, sim_panel, "city_tier")
    assert any("skipped" in n and "municipality" in n for n in tier.notes)
    assert "group: municipality" not in tier.terms


def test_user_column_mapping_and_data_untouched(sim_panel):
    before = sim_panel.data.copy()
    res = dz.twfe(sim_panel, "isu")
    by_col = heterogeneity(res, sim_panel, "region")  # the data's own region column
    mapping = dict(zip(sim_panel.units, by_col.extra["groups"], strict=True))
    by_map = heterogeneity(res, sim_panel, mapping)
    np.testing.assert_allclose(by_col.estimate.to_numpy(), by_map.estimate.to_numpy(),
                               rtol=0, atol=0)
    pd.testing.assert_frame_equal(sim_panel.data, before)


def test_bad_inputs(sim_panel):
    res = dz.twfe(sim_panel, "isu")
    with pytest.raises(SpecificationError, match="neither a column of the panel"):
        heterogeneity(res, sim_panel, "continent")
    with pytest.raises(SpecificationError, match="approach must be one of"):
        heterogeneity(res, sim_panel, "region", approach="pooled")
    with pytest.raises(SpecificationError, match="not constant within units"):
        heterogeneity(res, sim_panel, "isu")
    cs = dz.aggregate(dz.callaway_santanna(sim_panel, "isu"), kind="simple")
    with pytest.raises(SpecificationError, match="needs a twfe result"):
        heterogeneity(cs, sim_panel, "region", approach="interaction")
    with pytest.raises(SpecificationError, match="Term 'nope' is not in the result"):
        heterogeneity(res, sim_panel, "region", term="nope")
    df = sim_panel.data.assign(city_code=sim_panel.data["city_code"] + 7)
    odd = dz.build_panel(df, unit="city_code", time="year", cohort="cohort")
    with pytest.raises(SpecificationError, match="not prefecture codes"):
        heterogeneity(dz.twfe(odd, "isu"), odd, "coastal")
