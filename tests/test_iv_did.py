"""iv_did: against a hand-computed 2SLS with dense unit and year dummies (numpy lstsq),
linearmodels IV2SLS with the dummies as exogenous regressors, the documented small-sample
ratio to linearmodels' covariance, a known structural coefficient (Monte Carlo), the exact
Wald ratio, every error path on its message, and the caller's data left unchanged. Also the
reconciliation of twfe with linearmodels PanelOLS."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from did_zones import build_panel, twfe
from did_zones.errors import (
    DataDroppedWarning,
    EstimationError,
    InferenceWarning,
    SpecificationError,
)
from did_zones.estimators.iv_did import IvDidExtra, iv_did, ivreghdfe_factor

EXACT = 1e-10  # agreement of two computations of the same number


# ------------------------------------------------------------------------- data

def simulate(n_units=40, n_years=6, beta=0.8, pi=1.0, rho=0.7, seed=0, drop=5,
             strong=True):
    """Staggered pilot panel: z = post-pilot indicator, x endogenous (shares the shock u
    with y, so OLS is biased upwards by rho), y = unit + year + beta x + 0.3 w + u + e.
    ``drop`` random rows are removed (an unbalanced panel), ``strong=False`` gives a
    weak first stage."""
    rng = np.random.default_rng(seed)
    units = np.repeat(np.arange(n_units), n_years)
    years = np.tile(2010 + np.arange(n_years), n_units)
    cohort_of = rng.choice([2012, 2013, 2014, 0], size=n_units, p=[.25, .25, .2, .3])
    cohort = cohort_of[units]
    z = ((cohort > 0) & (years >= cohort)).astype(float)
    a, lam = rng.normal(size=n_units)[units], rng.normal(size=n_years)[years - 2010]
    w = rng.normal(size=units.size) + 0.5 * a
    u = rng.normal(size=units.size)
    x = a + lam + (pi if strong else 0.05) * z + 0.4 * w + rho * u + rng.normal(
        scale=0.5, size=units.size)
    y = 2 * a - lam + beta * x + 0.3 * w + u + rng.normal(scale=0.5, size=units.size)
    df = pd.DataFrame({"unit": units, "year": years, "cohort": cohort, "y": y, "x": x,
                       "w": w, "z2": z * rng.normal(1, 0.3, size=n_units)[units],
                       "pop": rng.uniform(0.5, 2.0, size=n_units)[units],
                       "prov": units // 5, "size": rng.normal(size=n_units)[units]})
    if drop:
        df = df.drop(index=rng.choice(df.index, size=drop, replace=False))
    return df.reset_index(drop=True)


def make_panel(df):
    return build_panel(df, unit="unit", time="year", cohort="cohort")


def run(panel, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        return iv_did(panel, *args, **kwargs)


def dummies(df):
    """Unit dummies (all) and year dummies (first dropped): the fixed-effect columns."""
    U = pd.get_dummies(df["unit"], prefix="u", dtype=float)
    T = pd.get_dummies(df["year"], prefix="t", dtype=float).iloc[:, 1:]
    return pd.concat([U, T], axis=1)


def dense_2sls(df, y, endog, exog, instr, weights=None):
    """2SLS by hand: X̂ = P_Z X with Z = [instruments, exog, dummies], β = lstsq(X̂, y)."""
    D = dummies(df).to_numpy()
    X = np.column_stack([df[endog].to_numpy(), df[exog].to_numpy(), D])
    Z = np.column_stack([df[instr].to_numpy(), df[exog].to_numpy(), D])
    yv = df[y].to_numpy()
    sw = np.ones(len(df)) if weights is None else np.sqrt(df[weights].to_numpy())
    Xw, Zw, yw = X * sw[:, None], Z * sw[:, None], yv * sw
    Xhat = Zw @ np.linalg.lstsq(Zw, Xw, rcond=None)[0]
    beta = np.linalg.lstsq(Xhat, yw, rcond=None)[0]
    return beta, X, Xhat, yv - X @ beta, sw


@pytest.fixture(scope="module")
def sim():
    df = simulate()
    df["treated_ind"] = ((df["cohort"] > 0) & (df["year"] >= df["cohort"])).astype(float)
    return df


@pytest.fixture(scope="module")
def ipanel(sim):
    return make_panel(sim.drop(columns="treated_ind"))


# ------------------------------------------------------------- (1) hand 2SLS

@pytest.mark.parametrize("weights", [None, "pop"])
def test_equals_hand_2sls_with_dense_dummies(sim, ipanel, weights):
    res = run(ipanel, "y", "x", controls=["w"], weights=weights)
    beta, *_ = dense_2sls(sim, "y", ["x"], ["w"], ["treated_ind"], weights)
    np.testing.assert_allclose(res.estimate.to_numpy(), beta[:2], rtol=EXACT, atol=0)
    assert res.terms == ["x", "w"] and res.primary == "x"
    assert res.n_obs == len(sim)


def test_two_endogenous_two_instruments_equal_hand_2sls(sim, ipanel):
    df = sim.assign(x2=sim["w"] ** 2 + 0.5 * sim["z2"])
    res = run(make_panel(df.drop(columns="treated_ind")), "y", ["x", "x2"],
              instruments=["treated", "z2"])
    beta, *_ = dense_2sls(df, "y", ["x", "x2"], [], ["treated_ind", "z2"])
    np.testing.assert_allclose(res.estimate.to_numpy(), beta[:2], rtol=EXACT, atol=0)
    assert set(res.extra["first_stage"]) == {"x", "x2"}
    assert res.stats["first_stage_f"] == min(
        t.statistic for t in res.extra["first_stage_f"].values())


# ---------------------------------------------------- (2) linearmodels, dummies

def lm_dense(df, cov_type="clustered", weights=None, **cov):
    from linearmodels.iv import IV2SLS

    exog = pd.concat([df[["w"]], dummies(df)], axis=1)
    model = IV2SLS(df["y"], exog, df[["x"]], df[["treated_ind"]],
                   weights=None if weights is None else df[weights])
    return model.fit(cov_type=cov_type, debiased=True, **cov), exog.shape[1] + 1


@pytest.mark.parametrize("weights", [None, "pop"])
def test_equals_linearmodels_with_dummies(sim, ipanel, weights):
    res = run(ipanel, "y", "x", controls=["w"], weights=weights)
    lm, _ = lm_dense(sim, clusters=sim["unit"].to_numpy(), weights=weights)
    np.testing.assert_allclose(res.estimate.to_numpy(), lm.params[["x", "w"]].to_numpy(),
                               rtol=EXACT, atol=0)


# ------------------------------------------------------------ (3) the variance

@pytest.mark.parametrize("weights", [None, "pop"])
def test_se_is_linearmodels_clustered_se_times_documented_ratio(sim, ipanel, weights):
    """linearmodels' debiased CRV1 divides by N − k_lm (its columns: here the dummies too);
    ivreghdfe by N − k − K_fe with K_fe = T (unit effects nested in unit clusters)."""
    res = run(ipanel, "y", "x", controls=["w"], weights=weights)
    lm, k_all = lm_dense(sim, clusters=sim["unit"].to_numpy(), weights=weights)
    n, k, T = len(sim), 2, sim["year"].nunique()
    assert res.stats["n_fe_params"] == T
    ratio = (n - k_all) / (n - k - T)
    np.testing.assert_allclose(res.std_error.to_numpy(),
                               lm.std_errors[["x", "w"]].to_numpy() * np.sqrt(ratio),
                               rtol=EXACT, atol=0)
    # the internal path: linearmodels on the absorbed arrays, times ivreghdfe_factor
    inner = res.extra["linearmodels"]
    np.testing.assert_allclose(
        res.vcov.to_numpy(),
        inner.cov.loc[["x", "w"], ["x", "w"]].to_numpy() * ivreghdfe_factor(n, k, T),
        rtol=EXACT, atol=0)
    np.testing.assert_allclose(inner.params[["x", "w"]].to_numpy(), res.estimate.to_numpy(),
                               rtol=EXACT, atol=0)
    assert res.df == res.n_clusters - 1 == sim["unit"].nunique() - 1


def test_se_equals_hand_crv1_with_reghdfe_factor(sim, ipanel):
    res = run(ipanel, "y", "x", controls=["w"])
    beta, X, Xhat, e, _ = dense_2sls(sim, "y", ["x"], ["w"], ["treated_ind"])
    bread = np.linalg.pinv(Xhat.T @ Xhat)
    S = pd.DataFrame(Xhat * e[:, None]).groupby(sim["unit"].to_numpy()).sum().to_numpy()
    n, G, K = len(sim), sim["unit"].nunique(), 2 + sim["year"].nunique()
    V = G / (G - 1) * (n - 1) / (n - K) * bread @ S.T @ S @ bread
    np.testing.assert_allclose(res.vcov.to_numpy(), V[:2, :2], rtol=1e-8, atol=0)


def test_hc1_equals_linearmodels_robust_with_dummies(sim, ipanel):
    """Without clustering every fixed effect counts: N/(N − k − U − T + 1) is exactly
    linearmodels' N/(N − k_lm) with the dummies as columns."""
    res = run(ipanel, "y", "x", controls=["w"], cluster=None)
    lm, k_all = lm_dense(sim, cov_type="robust")
    assert res.stats["n_fe_params"] + 2 == k_all
    np.testing.assert_allclose(res.std_error.to_numpy(), lm.std_errors[["x", "w"]].to_numpy(),
                               rtol=EXACT, atol=0)
    assert res.df == len(sim) - k_all and res.n_clusters is None


def test_two_way_clusters_use_the_smallest_count(sim, ipanel):
    res = run(ipanel, "y", "x", controls=["w"], cluster=("unit", "year"))
    _, _, Xhat, e, _ = dense_2sls(sim, "y", ["x"], ["w"], ["treated_ind"])
    bread = np.linalg.pinv(Xhat.T @ Xhat)
    s = pd.DataFrame(Xhat * e[:, None])

    def meat(keys):
        S = s.groupby(keys).sum().to_numpy()
        return S.T @ S

    u, t = sim["unit"].to_numpy(), sim["year"].to_numpy()
    n, G = len(sim), min(sim["unit"].nunique(), sim["year"].nunique())
    K = 2 + 1  # unit and year effects both nested in a cluster: only the constant counts
    assert res.stats["n_fe_params"] == 1
    M = meat(u) + meat(t) - meat(u * 10_000 + t)
    V = G / (G - 1) * (n - 1) / (n - K) * bread @ M @ bread
    np.testing.assert_allclose(res.vcov.to_numpy(), V[:2, :2], rtol=1e-8, atol=0)
    assert res.df == G - 1


def test_first_stage_f_is_the_clustered_wald_of_the_instrument(ipanel):
    """One instrument: F = t² of the first-stage coefficient with the same CRV1 (the
    Kleibergen–Paap rk Wald F for one endogenous regressor); AR = reduced-form t²."""
    res = run(ipanel, "y", "x", controls=["w"])
    fs, rf = res.extra["first_stage"]["x"], res.extra["reduced_form"]
    assert res.stats["first_stage_f"] == pytest.approx(
        (fs["treated"] / fs.std_error["treated"]) ** 2, rel=1e-12)
    assert res.stats["ar_f"] == pytest.approx(
        (rf["treated"] / rf.std_error["treated"]) ** 2, rel=1e-12)
    test = res.extra["first_stage_f"]["x"]
    assert test.df == (1.0, float(res.n_clusters - 1)) and test.distribution == "F"
    assert res.stats["first_stage_f"] > 10
    assert fs.terms == ["treated", "w"] and rf.terms == ["treated", "w"]
    assert res.extra["ols"].terms == ["x", "w"]


def test_ols_comparison_is_twfe(ipanel):
    res = run(ipanel, "y", "x", controls=["w"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        tw = twfe(ipanel, "y", treatment="x", controls=["w"])
    np.testing.assert_allclose(res.extra["ols"].estimate.to_numpy(), tw.estimate.to_numpy(),
                               rtol=EXACT)
    np.testing.assert_allclose(res.extra["ols"].std_error.to_numpy(),
                               tw.std_error.to_numpy(), rtol=EXACT)


# ---------------------------------------------------------- (4) known truth

def test_recovers_the_structural_coefficient_monte_carlo():
    """β = 0.8 with the shock u shared by x and y, so OLS is biased upwards (by about 0.66
    here). 200 panels of 60 × 8 with π = 2 (first-stage F: median about 180, minimum about
    90): the mean 2SLS estimate must lie within 4 Monte-Carlo standard errors
    (4·sd/√200 ≈ 0.028; sd ≈ 0.10) of β. The 2SLS finite-sample bias, of order
    (OLS bias)/F ≈ 0.004, is well inside that bound. The OLS mean must lie far outside it
    (measured: 2SLS mean 0.798, OLS mean 1.463)."""
    beta, reps = 0.8, 200
    iv, ols = [], []
    for seed in range(reps):
        df = simulate(n_units=60, n_years=8, beta=beta, pi=2.0, seed=1000 + seed, drop=0)
        res = run(make_panel(df), "y", "x", controls=["w"])
        iv.append(res["x"])
        ols.append(res.extra["ols"]["x"])
    iv, ols = np.array(iv), np.array(ols)
    bound = 4 * iv.std(ddof=1) / np.sqrt(reps)
    assert abs(iv.mean() - beta) < bound
    assert ols.mean() - beta > 10 * bound


def test_simulator_exclusion_restriction_holds_and_fails():
    """simulate_pilot_panel: ecom = ecom(0) + a·h·d, ISU = ISU(0) + b·(ecom − ecom(0)) +
    direct·h·d. The reduced form moves by (a·b + direct)·h and the first stage by a·h, so
    the Wald ratio estimates b + direct/a (heterogeneous h included: both are the same TWFE
    average of h). With direct = 0 (exclusion holds) the mean over 40 seeds is within 4
    Monte-Carlo standard errors of b = 0.02 (measured: 0.0198, bound ≈ 0.0011); with the
    default direct = 0.005 it is within the bound of b + direct/a = 0.03 (measured 0.0298)
    and far from b: the exclusion restriction fails and 2SLS picks up the direct channel."""
    import did_zones as dz

    a, b = 0.5, 0.02
    for direct in (0.0, 0.005):
        est = []
        for seed in range(40):
            sim = dz.simulate_pilot_panel(seed=seed, a=a, b=b, direct=direct, noise=0.25)
            panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
            est.append(run(panel, "isu", "ecom")["ecom"])
        est = np.array(est)
        bound = 4 * est.std(ddof=1) / np.sqrt(est.size)
        assert abs(est.mean() - (b + direct / a)) < bound
        if direct:
            assert est.mean() - b > 5 * bound


# -------------------------------------------------------- (5) the Wald ratio

@pytest.mark.parametrize("controls", [(), ("w",)])
def test_just_identified_is_reduced_form_over_first_stage(ipanel, controls):
    res = run(ipanel, "y", "x", controls=controls)
    fs, rf = res.extra["first_stage"]["x"], res.extra["reduced_form"]
    assert res["x"] == pytest.approx(rf["treated"] / fs["treated"], rel=1e-12, abs=0)


# ------------------------------------------------------------ (6) error paths

@pytest.mark.parametrize("kwargs, message", [
    ({"endogenous": "xx"}, "Endogenous column 'xx' not found in the data. Did you mean 'x'?"),
    ({"endogenous": "x", "instruments": "z_2"},
     "Instrument column 'z_2' not found in the data. Did you mean 'z2'?"),
    ({"endogenous": "x", "controls": ["ww"]},
     "Control column 'ww' not found in the data. Did you mean 'w'?"),
    ({"endogenous": ["x", "w"]},
     "2SLS needs at least as many instruments as endogenous regressors; got 1 "
     "instrument(s) ['treated'] for 2 endogenous ['x', 'w']."),
    ({"endogenous": "x", "instruments": "x"},
     "Column 'x' is given both as endogenous and as instruments; each column plays one "
     "role."),
    ({"endogenous": "y"}, "Column 'y' is given both as outcome and as endogenous"),
    ({"endogenous": "x", "instruments": ["z2", "z2"]},
     "instruments lists a column twice: ['z2', 'z2'] ('z2'). List each column once."),
    ({"endogenous": "x", "controls": ["w", 3]},
     "controls must be a column name or a list of column names; got ['w', 3]."),
    ({"endogenous": "x", "weights": 2}, "weights must be a column name or None; got 2."),
    ({"endogenous": []}, "endogenous must be a column name or a non-empty sequence"),
    ({"endogenous": "x", "alpha": 1.5}, "alpha must lie strictly between 0 and 1"),
    ({"endogenous": "x", "instruments": "one"},
     "Instrument 'one' is constant (1) on its 235 non-missing rows, so it cannot move the "
     "endogenous regressor."),
    ({"endogenous": "one"}, "Endogenous regressor 'one' is constant (1)"),
    ({"endogenous": "x", "instruments": "size"},
     "Instrument(s) ['size'] do not vary once the fixed effects ['unit', 'time'] are "
     "absorbed"),
    ({"endogenous": "size"},
     "Endogenous regressor 'size' does not vary once the fixed effects ['unit', 'time'] "
     "are absorbed"),
])
def test_errors(sim, kwargs, message):
    panel = make_panel(sim.drop(columns="treated_ind").assign(one=1.0))
    kwargs = dict(kwargs)
    endog = kwargs.pop("endogenous")
    with pytest.raises(SpecificationError, match=re.escape(message)):
        run(panel, "y", endog, **kwargs)


def test_error_policy_indicator_constant(ipanel):
    pre = ipanel.window(end=2011)  # before the first pilot: nobody is treated
    with pytest.raises(SpecificationError, match=re.escape(
            "The policy indicator 'treated' (time >= cohort) is constant (0)")):
        run(pre, "y", "x")


def test_error_not_a_panel(sim):
    with pytest.raises(SpecificationError, match="panel must be a did_zones Panel"):
        iv_did(sim, "y", "x")


def test_error_one_cluster(sim):
    panel = make_panel(sim.drop(columns="treated_ind").assign(c=1))
    with pytest.raises(EstimationError, match="1 cluster"):
        run(panel, "y", "x", cluster="c")


def test_weak_instrument_warns_with_the_stock_yogo_caveat():
    panel = make_panel(simulate(strong=False, seed=3))
    with pytest.warns(InferenceWarning, match=r"Weak instrument: the first-stage F for 'x' "
                      r"is \d+\.\d\d, below 10") as record:
        res = iv_did(panel, "y", "x")
    text = " ".join(str(r.message) for r in record)
    assert "Stock-Yogo" in text and "Anderson-Rubin" in text
    assert res.stats["first_stage_f"] < 10
    assert any(n.startswith("Weak instrument") for n in res.notes)


def test_collinear_control_is_dropped_with_a_warning(sim):
    panel = make_panel(sim.drop(columns="treated_ind"))
    with pytest.warns(DataDroppedWarning, match=re.escape("Control(s) ['size'] dropped")):
        res = run(panel, "y", "x", controls=["w", "size"])
    assert res.terms == ["x", "w"] and res.extra["dropped_controls"] == ("size",)


# ------------------------------------------------------ (7) data unchanged

def test_callers_data_unchanged(sim):
    df = sim.drop(columns="treated_ind")
    before = df.copy(deep=True)
    panel = make_panel(df)
    panel_before = panel.data.copy(deep=True)
    res = run(panel, "y", "x", controls=["w"], weights="pop", instruments=["treated", "z2"])
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_frame_equal(panel.data, panel_before)
    assert res.extra["sample"].sum() == res.n_obs == len(df)
    assert res.panel_fingerprint == panel.fingerprint


def test_missing_values_give_one_sample_for_every_equation(sim):
    df = sim.drop(columns="treated_ind").copy()
    df.loc[[3, 50], "x"] = np.nan
    df.loc[[7], "y"] = np.nan
    with pytest.warns(DataDroppedWarning, match="3 row"):
        res = run(make_panel(df), "y", "x")
    for r in (res.extra["first_stage"]["x"], res.extra["reduced_form"], res.extra["ols"]):
        assert r.n_obs == res.n_obs == len(df) - 3


# --------------------------------------- twfe against linearmodels PanelOLS

def test_twfe_reconciles_with_panelols_default_convention(sim, ipanel):
    """PanelOLS(entity_effects, time_effects) clustered by entity with debiased=True and
    group_debias=True (G/(G−1)·(N−1)/N) and its default auto_df (both effects counted,
    n/(n − k − (U + T − 1))) uses G/(G−1)·(N−1)/(N − k − (U + T − 1)), every fixed effect
    counted (fixest's fixef.K = "full"); reghdfe/twfe G/(G−1)·(N−1)/(N − k − T), the unit
    effects nested in the unit clusters not counted. Point estimates agree to 1e-10;
    standard errors after the square root of (N − k − U − T + 1)/(N − k − T)."""
    from linearmodels import PanelOLS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        res = twfe(ipanel, "y", controls=["x", "w"])
    df = sim.set_index(["unit", "year"])
    lm = PanelOLS(df["y"], df[["treated_ind", "x", "w"]], entity_effects=True,
                  time_effects=True).fit(cov_type="clustered", cluster_entity=True,
                                         debiased=True, group_debias=True)
    n, k = len(sim), 3
    U, T = sim["unit"].nunique(), sim["year"].nunique()
    assert res.stats["n_fe_params"] == T
    np.testing.assert_allclose(res.estimate.to_numpy(), lm.params.to_numpy(), rtol=EXACT,
                               atol=0)
    ratio = (n - k - (U + T - 1)) / (n - k - T)
    np.testing.assert_allclose(res.std_error.to_numpy(),
                               lm.std_errors.to_numpy() * np.sqrt(ratio), rtol=EXACT, atol=0)


# ------------------------------------------------------------- spec and roles

def test_default_instrument_is_the_panels_indicator_even_with_a_treated_column(sim, ipanel):
    df = sim.drop(columns="treated_ind").assign(treated=np.random.default_rng(1).normal(
        size=len(sim)))
    res = run(make_panel(df), "y", "x", controls=["w"])
    base = run(ipanel, "y", "x", controls=["w"])
    np.testing.assert_allclose(res.estimate.to_numpy(), base.estimate.to_numpy(), rtol=EXACT)
    explicit = run(make_panel(df), "y", "x", controls=["w"], instruments="treated")
    assert abs(explicit["x"] - base["x"]) > 1e-3  # a named column is the column


def test_spec_reruns_to_the_same_result(ipanel):
    res = run(ipanel, "y", "x", controls=["w"], weights="pop", cluster="prov")
    again = run(ipanel, "y", **res.spec)
    pd.testing.assert_series_equal(res.estimate, again.estimate)
    pd.testing.assert_frame_equal(res.vcov, again.vcov)
    assert res.method == "iv_did" and list(res.keys["role"]) == ["endogenous", "control"]
    assert res.spec["instruments"] is None


# --------------------------------------------- frozen peer: pyfixest (fixest)

PEER_CASES = {
    "iv_sim_nocontrols": {},
    "iv_sim": {"controls": ["w"]},
    "iv_sim_hc1": {"controls": ["w"], "cluster": None},
    "iv_sim_province": {"controls": ["w"], "cluster": "province"},
    "iv_sim_twoway": {"controls": ["w"], "cluster": ("unit", "year")},
    "iv_sim_weights": {"controls": ["w"], "weights": "pop"},
    "iv_sim_overid": {"controls": ["w"], "instruments": ["treated", "z2"]},
}


@pytest.fixture(scope="module")
def peer():
    from conftest import reference_file

    data = pd.read_csv(reference_file("iv_sim_data.csv"))
    ref = pd.read_csv(reference_file("iv_pyfixest.csv"))
    return build_panel(data, unit="unit", time="year", cohort="cohort"), ref


@pytest.mark.parametrize("case", sorted(PEER_CASES))
def test_matches_pyfixest_iv(peer, case):
    """pyfixest 0.60.0 feols("y ~ w | unit + year | x ~ d"), frozen (iv_reference.md):
    the fixest/ivreghdfe convention, so estimates and standard errors agree exactly."""
    panel, ref = peer
    res = run(panel, "y", "x", **PEER_CASES[case])
    rows = ref[(ref["case"] == case) & ref["term"].isin(["x", "w"])].set_index("term")
    np.testing.assert_allclose(res.estimate[rows.index], rows["estimate"], rtol=EXACT)
    np.testing.assert_allclose(res.std_error[rows.index], rows["std_error"], rtol=EXACT)
    assert res.n_obs == rows["n_obs"].iloc[0]
    assert (res.n_clusters or 0) == rows["n_clusters"].iloc[0]
    f = ref[(ref["case"] == case) & (ref["term"] == "first_stage_F")]
    if len(f):
        assert res.stats["first_stage_f"] == pytest.approx(f["estimate"].iloc[0], rel=EXACT)


@pytest.mark.parametrize("part", ["first_stage", "reduced_form"])
def test_first_stage_and_reduced_form_match_pyfixest(peer, part):
    panel, ref = peer
    res = run(panel, "y", "x", controls=["w"])
    fit = res.extra["first_stage"]["x"] if part == "first_stage" else res.extra[part]
    rows = ref[ref["case"] == part]
    np.testing.assert_allclose(fit.estimate.to_numpy(), rows["estimate"], rtol=EXACT)
    np.testing.assert_allclose(fit.std_error.to_numpy(), rows["std_error"], rtol=EXACT)


def test_extra_has_exactly_the_declared_keys(ipanel):
    res = run(ipanel, "y", "x", controls=["w"])
    assert set(res.extra) == set(IvDidExtra.__required_keys__)
    assert not IvDidExtra.__optional_keys__
