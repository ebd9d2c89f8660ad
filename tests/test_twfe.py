"""twfe: against pyfixest (frozen, tests/reference/twfe_pyfixest.csv), linearmodels PanelOLS,
hand-computable 2x2 panels, noiseless truths, the known staggered bias, invariances and every
warning / error on its message."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import mpdta_panel

from did_zones import build_panel, twfe
from did_zones.design import fe_dof, resolve_codes
from did_zones.errors import (
    DataDroppedWarning,
    EstimationError,
    InferenceWarning,
    SpecificationError,
)

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
RTOL_EST, RTOL_SE = 1e-6, 1e-4


def quiet(*args, **kwargs):
    """twfe with the few-cluster warning of tiny hand panels silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        return twfe(*args, **kwargs)


def reference(case: str) -> pd.DataFrame:
    ref = pd.read_csv(REF / "twfe_pyfixest.csv")
    out = ref[ref["case"] == case].set_index("term")
    assert len(out), case
    return out


def sim_panel():
    """The frozen unbalanced panel (singleton unit, missing outcomes) behind the references."""
    sim = pd.read_csv(REF / "twfe_sim_data.csv")
    return build_panel(sim, unit="unit", time="year", cohort="cohort")


def fit_sim(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        warnings.simplefilter("ignore", InferenceWarning)
        return twfe(sim_panel(), "y", **kwargs)


def check_against(res, case, mapping):
    ref = reference(case)
    for ours, theirs in mapping.items():
        np.testing.assert_allclose(res.estimate[ours], ref.loc[theirs, "estimate"],
                                   rtol=RTOL_EST)
        np.testing.assert_allclose(res.std_error[ours], ref.loc[theirs, "std_error"],
                                   rtol=RTOL_SE)
    assert res.n_obs == ref["n_obs"].iloc[0]
    g = int(ref["n_clusters"].iloc[0])
    assert res.n_clusters == (g if g else None)


# ------------------------------------------------------------------ peer references

def test_mpdta_matches_pyfixest():
    res = twfe(mpdta_panel(), "lemp")
    check_against(res, "twfe_mpdta", {"treated": "d"})
    assert res.df == 499  # t inference with G - 1 degrees of freedom, as reghdfe
    assert res.primary == "treated"
    assert res.stats["n_fe_params"] == 5  # period effects + constant; unit nested in cluster


SIM_CASES = [
    ("twfe_sim", {}),
    ("twfe_sim_hc1", {"cluster": None}),
    ("twfe_sim_twoway", {"cluster": ("unit", "year")}),
    ("twfe_sim_weights", {"weights": "w"}),
    ("twfe_sim_province", {"cluster": "province"}),
]


@pytest.mark.parametrize(("case", "options"), SIM_CASES, ids=[c for c, _ in SIM_CASES])
def test_simulated_unbalanced_panel_matches_pyfixest(case, options):
    res = fit_sim(controls=["x1", "x2"], **options)
    check_against(res, case, {"treated": "d", "x1": "x1", "x2": "x2"})
    assert res.extra["n_singletons"] == 1  # unit 90 is observed once
    assert any("singleton" in n for n in res.notes)
    assert any("missing values in ['y']" in n for n in res.notes)


def test_province_by_year_effects_with_exact_fixed_effect_count():
    """province x year effects: the sandwich equals pyfixest's; K counts the exact rank of
    the fixed effects not nested in the unit clusters (pyfixest/reghdfe count the redundant
    year effects too), so the frozen k_fixef="none" value is rescaled by that count."""
    panel = sim_panel()
    res = fit_sim(controls=["x1"], fixed_effects=("unit", "time", ("province", "time")))
    ref = reference("twfe_sim_provyear_kfe_none")

    # the fixed-effect count, checked against a dense rank computation
    rows = res.extra["sample"]
    codes = [resolve_codes(panel, s)[rows] for s in ("unit", "time", ("province", "time"))]
    dummies = [np.eye(c.max() + 1)[c] for c in codes]
    rank_all = np.linalg.matrix_rank(np.hstack(dummies))
    rank_unit = np.linalg.matrix_rank(dummies[0])
    k_fe = rank_all - rank_unit + 1  # unit effects nested in the clusters: the constant only
    assert res.stats["n_fe_params"] == k_fe == 9 * 8 - 9 + 1

    n, k = res.n_obs, 2
    scale = np.sqrt((n - k) / (n - k - k_fe))  # ours (N-1)/(N-K) over pyfixest's (N-1)/(N-k)
    for ours, theirs in {"treated": "d", "x1": "x1"}.items():
        np.testing.assert_allclose(res.estimate[ours], ref.loc[theirs, "estimate"],
                                   rtol=RTOL_EST)
        np.testing.assert_allclose(res.std_error[ours], ref.loc[theirs, "std_error"] * scale,
                                   rtol=RTOL_SE)


def test_matches_linearmodels_panelols():
    """Second reference: linearmodels PanelOLS with entity and time effects, clustered by
    entity. Its small-sample factor G/(G-1)(N-1)/(N-k) counts only the k regressors
    (auto_df=False, count_effects=False), ours also the T period effects (reghdfe)."""
    from linearmodels import PanelOLS

    res = fit_sim(controls=["x1", "x2"])
    sim = pd.read_csv(REF / "twfe_sim_data.csv").dropna(subset=["y"])
    sim = sim[sim.groupby("unit")["y"].transform("size") > 1]  # reghdfe's singleton drop
    g = sim["cohort"]
    sim["treated"] = ((g > 0) & (sim["year"] >= g)).astype(float)
    df = sim.set_index(["unit", "year"])
    lm = PanelOLS(df["y"], df[["treated", "x1", "x2"]], entity_effects=True,
                  time_effects=True).fit(cov_type="clustered", cluster_entity=True,
                                         auto_df=False, count_effects=False, debiased=True,
                                         group_debias=True)
    assert lm.nobs == res.n_obs
    n, k = res.n_obs, 3
    scale = np.sqrt((n - k) / (n - k - res.stats["n_fe_params"]))
    np.testing.assert_allclose(res.estimate.to_numpy(), lm.params.to_numpy(), rtol=RTOL_EST)
    np.testing.assert_allclose(res.std_error.to_numpy(), lm.std_errors.to_numpy() * scale,
                               rtol=RTOL_SE)


# ------------------------------------------------------------------ fixed-effect counts

def test_fe_dof_follows_reghdfe_rules():
    unit = np.repeat(np.arange(6), 4)
    period = np.tile(np.arange(4), 6)
    province = unit // 2
    # no clustering: rank U + T - 1
    assert fe_dof([unit, period]) == 6 + 4 - 1
    # unit effects nested in unit or province clusters: T period effects incl. constant
    assert fe_dof([unit, period], [unit]) == 4
    assert fe_dof([unit, period], [province]) == 4
    # absorb(unit) with unit clusters: just the constant, as xtreg, fe
    assert fe_dof([unit], [unit]) == 1
    # period clusters: the period effects are nested, unit effects counted
    assert fe_dof([unit, period], [period]) == 6
    # a disconnected design: two mobility groups lose one more parameter
    u2 = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    t2 = np.array([0, 1, 0, 1, 2, 3, 2, 3])
    dense = np.hstack([np.eye(4)[u2], np.eye(4)[t2]])
    assert fe_dof([u2, t2]) == np.linalg.matrix_rank(dense) == 6


# ------------------------------------------------------------------ hand and truth

def two_by_two(values):
    """Two units x two periods per group; values[(treated, post)] = list of outcomes."""
    rows = []
    for (tr, post), ys in values.items():
        for j, y in enumerate(ys):
            rows.append({"unit": f"{'T' if tr else 'C'}{j}", "year": 2015 + post,
                         "g": 2016 if tr else 0, "y": y})
    return pd.DataFrame(rows)


def test_two_by_two_is_difference_of_four_means():
    vals = {(1, 0): [1.0, 2.5, 0.7], (1, 1): [4.0, 3.1, 2.2],
            (0, 0): [0.3, -1.2, 5.0], (0, 1): [1.1, 0.4, 4.5]}
    panel = build_panel(two_by_two(vals), unit="unit", time="year", cohort="g")
    res = quiet(panel, "y")
    m = {k: np.mean(v) for k, v in vals.items()}
    did = (m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0])
    assert abs(res["treated"] - did) < 1e-12
    assert res.n_obs == 12 and res.n_units == 6 and res.n_clusters == 6

    # clustered SE by hand. Net of unit and period effects D is -1/4 (treated, pre),
    # +1/4 (treated, post), +1/4 (control, pre), -1/4 (control, post); the residuals are
    # -+ r_i / 2 with r_i = dy_i - mean dy of the unit's group, so a unit's score is
    # +- r_i / 4 and the bread is 1 / (12 / 16).
    dy = {k: np.subtract(vals[k, 1], vals[k, 0]) for k in (1, 0)}
    r = np.concatenate([dy[1] - dy[1].mean(), dy[0] - dy[0].mean()])
    scores = r / 4
    bread = 16 / 12
    n, g, k = 12, 6, 1 + 2  # K = treated + 2 period effects (incl. constant), as reghdfe
    v = g / (g - 1) * (n - 1) / (n - k) * bread**2 * (scores**2).sum()
    np.testing.assert_allclose(res.std_error["treated"], np.sqrt(v), rtol=1e-12)


def staggered(effect, n_per=3, periods=range(1, 8), cohorts=(3, 5, 0), seed=0, noise=0.0,
              drop=0.0):
    """y = a_i + l_t + effect(g, e) * D (+ noise); optional random row drops (unbalanced)."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in cohorts:
        for j in range(n_per):
            a = rng.normal()
            for t in periods:
                d = g > 0 and t >= g
                rows.append({"unit": f"g{g}_{j}", "year": t, "g": g,
                             "x": rng.normal(),
                             "y": a + 0.3 * t**1.5 + (effect(g, t - g) if d else 0.0)
                             + noise * rng.normal()})
    df = pd.DataFrame(rows)
    if drop:
        df = df[rng.random(len(df)) > drop].reset_index(drop=True)
    return df


def test_noiseless_homogeneous_effect_is_recovered_exactly():
    df = staggered(lambda g, e: 1.75, drop=0.1)
    df["y"] += 0.8 * df["x"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        res = quiet(build_panel(df, unit="unit", time="year", cohort="g"), "y", controls="x")
    np.testing.assert_allclose(res.estimate[["treated", "x"]], [1.75, 0.8], rtol=1e-10)
    # residuals are rounding noise: the standard error is not identified (NaN, warned)
    assert np.isnan(res.std_error["treated"]) and np.isnan(res.p_value["treated"])
    assert any("numerically zero" in n for n in res.notes)


def test_heterogeneous_dynamic_effects_show_the_known_bias():
    """Effects growing with exposure (1 + e): TWFE uses already-treated units as controls
    and is biased downwards. Its estimand is exactly sum(D~ tau) / sum(D~ D) (Frisch-Waugh,
    D~ = D net of unit and period effects, computed here by dense least squares)."""
    effect = lambda g, e: 1.0 + e  # noqa: E731
    df = staggered(effect, periods=range(1, 9), cohorts=(3, 6, 0))
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y")

    d = panel.treated.astype(float)
    dummies = np.hstack([np.eye(panel.n_units)[panel.unit_id],
                         np.eye(panel.n_periods)[panel.period_id]])
    d_tilde = d - dummies @ np.linalg.lstsq(dummies, d, rcond=None)[0]
    tau = np.where(d > 0, 1.0 + np.nan_to_num(panel.event_time), 0.0)
    estimand = (d_tilde @ tau) / (d_tilde @ d)
    np.testing.assert_allclose(res["treated"], estimand, rtol=1e-10)

    att = tau[d > 0].mean()  # the average effect on the treated observations
    # documented gap: here the ATT is 3 and the TWFE coefficient 25/14, biased down by 17/14
    assert att == 3.0
    np.testing.assert_allclose(res["treated"], 25 / 14, rtol=1e-10)
    np.testing.assert_allclose(att - res["treated"], 17 / 14, rtol=1e-10)


# ------------------------------------------------------------------ invariances

def test_invariances_row_order_relabelling_constant():
    df = staggered(lambda g, e: 0.5 + 0.2 * e, n_per=12, noise=1.0, drop=0.05, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        base = quiet(build_panel(df, unit="unit", time="year", cohort="g"), "y", controls="x")
        shuffled = df.sample(frac=1.0, random_state=1)
        r1 = quiet(build_panel(shuffled, unit="unit", time="year", cohort="g"), "y",
                   controls="x")
        relabel = df.assign(unit=df["unit"].map(lambda s: f"city-{s[::-1]}"))
        r2 = quiet(build_panel(relabel, unit="unit", time="year", cohort="g"), "y",
                   controls="x")
        r3 = quiet(build_panel(df.assign(y=df["y"] + 1234.5), unit="unit", time="year",
                               cohort="g"), "y", controls="x")
    for r in (r1, r2, r3):
        np.testing.assert_allclose(r.estimate, base.estimate, rtol=1e-10)
        np.testing.assert_allclose(r.std_error, base.std_error, rtol=1e-8)


def test_callers_data_unchanged():
    df = staggered(lambda g, e: 1.0, noise=1.0)
    before = df.copy()
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    panel_before = panel.data.copy()
    quiet(panel, "y", controls="x")
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_frame_equal(panel.data, panel_before)


# ------------------------------------------------------------------ warnings and errors

def test_errors_and_warnings_on_their_messages():
    df = staggered(lambda g, e: 1.0, noise=1.0)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.raises(SpecificationError, match="panel must be a did_zones Panel"):
        twfe(df, "y")
    with pytest.raises(SpecificationError, match="Outcome column 'yy' not found.*'y'"):
        twfe(panel, "yy")
    with pytest.raises(SpecificationError, match="alpha must lie strictly between 0 and 1"):
        twfe(panel, "y", alpha=1.5)
    with pytest.raises(SpecificationError, match="cluster takes one or two column names"):
        twfe(panel, "y", cluster=("unit", "year", "g"))
    with pytest.raises(SpecificationError, match="outcome 'y' cannot also be a control"):
        twfe(panel, "y", controls="y")
    bad_w = build_panel(df.assign(w=np.where(df["unit"] == "g3_0", 0.0, 1.0)), unit="unit",
                        time="year", cohort="g")
    with pytest.raises(SpecificationError, match=r"Weights 'w' must be positive and finite; "
                       r"7 row\(s\) are not \(7 zero\)"):
        twfe(bad_w, "y", weights="w")

    with pytest.warns(InferenceWarning, match="Only 9 clusters"):
        res = twfe(panel, "y")
    assert any("Only 9 clusters" in n for n in res.notes)

    const = df.assign(c=2.0, z=df["x"] * 2)
    p2 = build_panel(const, unit="unit", time="year", cohort="g")
    with pytest.warns(DataDroppedWarning,
                      match=r"2 regressor\(s\) dropped as collinear .*\['c', 'z'\]"):
        res = quiet(p2, "y", controls=["x", "c", "z"])
    assert res.terms == ["treated", "x"]
    assert res.extra["dropped_controls"] == ("c", "z")

    miss = df.copy()
    miss.loc[[0, 5], "y"] = np.nan
    p3 = build_panel(miss, unit="unit", time="year", cohort="g")
    with pytest.warns(DataDroppedWarning,
                      match=r"2 row\(s\) of 63 dropped for missing values in \['y'\]"):
        res = quiet(p3, "y")
    assert res.n_obs == 61

    # everyone treated at the same date: treatment is absorbed by the period effects
    same = staggered(lambda g, e: 1.0, cohorts=(4,), noise=1.0)
    p4 = build_panel(same, unit="unit", time="year", cohort="g")
    with pytest.raises(EstimationError, match="'treated' is collinear with the fixed effects"):
        quiet(p4, "y")
    # treatment constant in the sample used
    p5 = build_panel(df.assign(dose=1.0), unit="unit", time="year", cohort="g")
    with pytest.raises(EstimationError, match=r"treatment 'dose' indicator is constant \(1\)"):
        quiet(p5, "y", treatment="dose")


def test_pooled_regression_without_fixed_effects_and_intensity_treatment():
    df = staggered(lambda g, e: 1.0, noise=1.0, n_per=10, seed=4)
    df["dose"] = np.where((df["g"] > 0) & (df["year"] >= df["g"]), 2.0, 0.0)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y", fixed_effects=(), treatment="dose")
    X = np.column_stack([np.ones(len(panel.data)), panel.data["dose"]])
    beta = np.linalg.lstsq(X, panel.data["y"].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(res["treated"], beta[1], rtol=1e-10)
    # intensity 2 = the binary coefficient halved
    binary = quiet(panel, "y")
    np.testing.assert_allclose(quiet(panel, "y", treatment="dose")["treated"],
                               binary["treated"] / 2, rtol=1e-10)


def test_large_panel_recovers_the_effect():
    """100,000 units x 10 periods (one million rows; timed in benchmarks/bench_scenarios.py)."""
    rng = np.random.default_rng(0)
    n, T = 100_000, 10
    g = rng.choice([4, 6, 8, 0], size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), T), "year": np.tile(np.arange(T), n),
                       "g": np.repeat(g, T)})
    df["y"] = rng.normal(size=len(df)) + ((df["g"] > 0) & (df["year"] >= df["g"]))
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = twfe(panel, "y")
    assert abs(res["treated"] - 1.0) < 5 * res.std_error["treated"]
