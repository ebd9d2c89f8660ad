"""Tests of did_zones.did2s (Gardner 2022 two-stage DiD; R did2s's GMM variance).

References: pyfixest 0.60.0 did2s (frozen, tests/reference/did2s_pyfixest.csv), diff-diff
3.13.0 TwoStageDiD (did2s_diffdiff.csv), a dense implementation of the GMM sandwich
written out below, the imputation estimator (identical point estimates), hand-computable
panels and noiseless truths. See tests/reference/bjs_reference.md.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import data_file, quiet

import did_zones as dz
from did_zones.errors import DataDroppedWarning, InferenceWarning, SpecificationError

REF = Path(__file__).parent / "reference"
RTOL_EST, RTOL_SE = 1e-6, 1e-4


@pytest.fixture(scope="module")
def mpdta_df() -> pd.DataFrame:
    path = data_file("mpdta.csv")
    df = pd.read_csv(path)
    df["w"] = 1 + (df["countyreal"] % 5) / 4
    return df


@pytest.fixture(scope="module")
def mpdta(mpdta_df) -> dz.Panel:
    return dz.build_panel(mpdta_df, unit="countyreal", time="year", cohort="first.treat")


@pytest.fixture(scope="module")
def sim_df() -> pd.DataFrame:
    return pd.read_csv(REF / "bjs_sim_data.csv")


@pytest.fixture(scope="module")
def sim(sim_df) -> dz.Panel:
    return dz.build_panel(sim_df, unit="unit", time="year", cohort="cohort")


def dense_did2s(df, y, cohort, *, controls=(), weights=None, cluster="unit", horizons=None,
                extra_fe=None, unit="unit", time="year"):
    """R did2s's GMM sandwich with dense dummy matrices and a pseudo-inverse.

    Independent of the library: Z = [unit, period, (extra FE) dummies, controls] on all
    rows, Z₀ its untreated rows; ỹ = y − Zβ̂₀; stage 2 ỹ on X₂ (treated dummy or event
    dummies) by WLS; V = B⁻¹ Σ_c W_c W_c' B⁻¹ with
    W_c = X₂c'Ωu₂c − X₂'ΩZ (Z₀'ΩZ₀)⁺ Z₀c'Ωu₁c.
    """
    d = df.reset_index(drop=True)
    g = d[cohort].to_numpy(dtype=float)
    g = np.where(g == 0, np.inf, g)
    t = d[time].to_numpy()
    treated = t >= g
    e = np.where(np.isfinite(g), t - g, np.nan)
    om = np.ones(len(d)) if weights is None else d[weights].to_numpy(dtype=float)
    blocks = [pd.get_dummies(d[unit]).to_numpy(float), pd.get_dummies(d[time]).to_numpy(float)]
    if extra_fe is not None:
        blocks.append(pd.get_dummies(d[extra_fe[0]].astype(str) + "_" + d[extra_fe[1]].astype(str))
                      .to_numpy(float))
    blocks += [d[[c]].to_numpy(float) for c in controls]
    Z = np.hstack(blocks)
    Y = d[y].to_numpy(float)
    Z0 = Z * (~treated)[:, None]
    A = np.linalg.pinv(Z0.T @ (Z0 * om[:, None]))
    beta1 = A @ (Z0.T @ (om * Y))
    u1 = Y - Z @ beta1
    if horizons is None:
        X2, names = treated.astype(float)[:, None], ["overall"]
    else:
        X2 = np.column_stack([(e == h).astype(float) for h in horizons])
        names = [f"ATT(e={h})" for h in horizons]
    B = np.linalg.inv(X2.T @ (X2 * om[:, None]))
    beta2 = B @ (X2.T @ (om * u1))
    u2 = u1 - X2 @ beta2
    corr = (X2.T @ (Z * om[:, None])) @ A  # X₂'ΩZ (Z₀'ΩZ₀)⁺
    rows = (X2 * (om * u2)[:, None]) - (Z0 * (om * u1)[:, None]) @ corr.T
    cl = np.arange(len(d)) if cluster is None else d[cluster].to_numpy()
    Wc = pd.DataFrame(rows).groupby(cl).sum().to_numpy()
    V = B @ (Wc.T @ Wc) @ B
    return pd.Series(beta2, index=names), pd.DataFrame(V, index=names, columns=names)


# ----------------------------------------------------------------- peer references


def test_matches_pyfixest(mpdta, sim):
    ref = pd.read_csv(REF / "did2s_pyfixest.csv")
    calls = {
        ("mpdta", "basic"): (mpdta, "lemp", {}),
        ("mpdta", "weights"): (mpdta, "lemp", {"weights": "w"}),
        ("mpdta", "horizons"): (mpdta, "lemp", {}),
        ("sim", "basic"): (sim, "y", {}),
        ("sim", "x1_w_province"): (sim, "y", {"controls": ["x1"], "weights": "w",
                                              "cluster": "province"}),
    }
    for (data, case), grp in ref.groupby(["data", "case"]):
        base = case.removesuffix("_event").removesuffix("_subset")
        panel, y, kw = calls[(data, base)]
        if case.endswith("_event"):
            res = quiet(dz.did2s, panel, y, horizons="all", **kw)
        elif case.endswith("_subset"):
            res = quiet(dz.did2s, panel, y, horizons=[-3, -2, 0, 1, 2], **kw)
        else:
            res = quiet(dz.did2s, panel, y, **kw)
        g = grp.set_index("term")
        assert res.terms == list(g.index), (data, case)
        np.testing.assert_allclose(res.estimate, g["estimate"], rtol=RTOL_EST)
        np.testing.assert_allclose(res.std_error, g["std_error"], rtol=RTOL_SE)
        assert res.n_obs == int(g["n_obs"].iloc[0])


def test_matches_diffdiff(mpdta, sim):
    ref = pd.read_csv(REF / "did2s_diffdiff.csv")
    panels = {"mpdta": (mpdta, "lemp"), "sim": (sim, "y")}
    options = {"basic": {}, "anticipation1": {"anticipation": 1}, "x1": {"controls": ["x1"]}}
    for (data, case), grp in ref.groupby(["data", "case"]):
        panel, y = panels[data]
        static = quiet(dz.did2s, panel, y, **options[case])
        event = quiet(dz.did2s, panel, y, horizons="all", **options[case])
        est = pd.concat([static.estimate, event.estimate])
        se = pd.concat([static.std_error, event.std_error])
        g = grp.set_index("term")
        np.testing.assert_allclose(est[g.index], g["estimate"], rtol=RTOL_EST)
        np.testing.assert_allclose(se[g.index], g["std_error"], rtol=RTOL_SE)


@pytest.mark.parametrize("kw", [
    {"cluster": None, "weights": "w", "controls": ["x1"]},
    {"extra_fe": ("province", "year"), "horizons": [-2, 0, 1, 2, 3]},
])
def test_matches_dense_gmm(sim, sim_df, kw):
    kw = dict(kw)
    extra = kw.pop("extra_fe", None)
    fe = ("unit", "time", ("province", "time")) if extra else ("unit", "time")
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        res = dz.did2s(sim, "y", fixed_effects=fe, **kw)
    sample = sim_df
    if extra:  # treated rows in province × year cells without untreated rows are dropped
        treated = (sim_df["cohort"] > 0) & (sim_df["year"] >= sim_df["cohort"])
        has0 = sim_df[~treated].groupby(["province", "year"]).size()
        cell = pd.MultiIndex.from_frame(sim_df[["province", "year"]])
        sample = sim_df[~treated | cell.isin(has0.index)]
        assert any(issubclass(w.category, DataDroppedWarning) for w in ws)
        assert res.stats["n_unidentified"] == len(sim_df) - len(sample)
        # rows at event times outside horizons leave stage 2 (dummies would be all zero)
        e = sample["year"] - sample["cohort"]
        tr = (sample["cohort"] > 0) & (sample["year"] >= sample["cohort"])
        sample = sample[~tr | e.isin(kw["horizons"])]
    est, V = dense_did2s(sample, "y", "cohort", controls=kw.get("controls", ()),
                         weights=kw.get("weights"), cluster=kw.get("cluster", "unit"),
                         horizons=kw.get("horizons"), extra_fe=extra)
    np.testing.assert_allclose(res.estimate[est.index], est, rtol=1e-9)
    np.testing.assert_allclose(res.vcov.loc[est.index, est.index], V, rtol=1e-8)


# ------------------------------------------------------------ equivalence with BJS


@pytest.mark.parametrize("kw", [
    {},
    {"controls": ["x1"], "weights": "w", "cluster": "province"},
    {"fixed_effects": ("unit", "time", ("province", "time"))},
    {"anticipation": 1},
])
def test_point_estimates_equal_imputation(sim, kw):
    bjs = quiet(dz.imputation, sim, "y", **kw)
    static = quiet(dz.did2s, sim, "y", **kw)
    assert abs(static["overall"] - bjs["overall"]) < 1e-10
    event = quiet(dz.did2s, sim, "y", horizons="all", **kw)
    post = [t for t in bjs.terms if t.startswith("ATT")]
    np.testing.assert_allclose(event.estimate[post], bjs.estimate[post], rtol=0, atol=1e-10)


# ------------------------------------------------------------------- exact answers


def test_two_by_two_is_difference_of_four_means():
    rng = np.random.default_rng(11)
    n = 7
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), 2), "year": np.tile([2020, 2021], n),
                       "y": rng.normal(size=2 * n)})
    panel = dz.build_panel(df, unit="unit", time="year", cohort={0: 2021, 1: 2021, 2: 2021})
    m = df.assign(tr=df["unit"] < 3).groupby(["tr", "year"])["y"].mean()
    truth = (m[True, 2021] - m[True, 2020]) - (m[False, 2021] - m[False, 2020])
    assert abs(quiet(dz.did2s, panel, "y")["overall"] - truth) < 1e-12
    assert abs(quiet(dz.did2s, panel, "y", horizons=[0])["ATT(e=0)"] - truth) < 1e-12


def test_noiseless_truth_and_zero_leads():
    rng = np.random.default_rng(2)
    n, years = 50, np.arange(2010, 2019)
    cohort = rng.choice([2012, 2014, 2016, 0], size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), years.size), "year": np.tile(years, n)})
    g = cohort[df["unit"]]
    df["cohort"] = g
    e = np.where(g > 0, df["year"] - g, -99)
    df["tau"] = np.where(e >= 0, (2.0 - 0.3 * e) * (g - 2010) / 2, 0.0)
    df["y"] = rng.normal(size=n)[df["unit"]] + 0.4 * (df["year"] - 2010) ** 1.5 + df["tau"]
    panel = dz.build_panel(df, unit="unit", time="year", cohort="cohort")
    res = quiet(dz.did2s, panel, "y", horizons="all")
    tr = df[(df["cohort"] > 0) & (df["year"] >= df["cohort"])]
    truth = tr.groupby(tr["year"] - tr["cohort"])["tau"].mean()
    for h, v in truth.items():
        assert abs(res[f"ATT(e={h})"] - v) < 1e-10
    leads = [t for t in res.terms if res.keys.loc[t, "event_time"] < 0]
    assert leads and np.all(np.abs(res.estimate[leads]) < 1e-10)
    # no noise: first-stage residuals vanish, so the leads are exactly zero with zero
    # variance (lags keep the spread of effects across cohorts in their stage-2 residuals)
    assert np.all(res.std_error[leads] < 1e-12)
    assert abs(quiet(dz.did2s, panel, "y")["overall"] - tr["tau"].mean()) < 1e-10


# ---------------------------------------------------------------------- invariances


def test_invariances(sim_df):
    kw = {"controls": ["x1"], "weights": "w", "horizons": "all"}
    base = quiet(dz.did2s, dz.build_panel(sim_df, unit="unit", time="year", cohort="cohort"),
                 "y", **kw)
    frames = [sim_df.sample(frac=1.0, random_state=8),
              sim_df.assign(unit=sim_df["unit"].map(lambda u: f"c{999 - u}")),
              sim_df.assign(y=sim_df["y"] - 50.0),
              sim_df.assign(w=sim_df["w"] / 3.0)]
    for frame in frames:
        res = quiet(dz.did2s, dz.build_panel(frame, unit="unit", time="year", cohort="cohort"),
                    "y", **kw)
        np.testing.assert_allclose(res.estimate, base.estimate, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(res.std_error, base.std_error, rtol=1e-8)


def test_caller_frame_unchanged(sim_df):
    before = sim_df.copy(deep=True)
    panel = dz.build_panel(sim_df, unit="unit", time="year", cohort="cohort")
    quiet(dz.did2s, panel, "y", controls=["x1"], horizons="all")
    pd.testing.assert_frame_equal(sim_df, before)


# ------------------------------------------------------------- structure and errors


def test_result_structure(sim):
    res = quiet(dz.did2s, sim, "y", horizons=[-2, 0, 1], cluster="province")
    assert res.method == "did2s" and res.df is None and res.primary is None
    assert res.terms == ["ATT(e=-2)", "ATT(e=0)", "ATT(e=1)"]
    assert res.keys["event_time"].tolist() == [-2.0, 0.0, 1.0]
    assert res.n_clusters == 12
    psi = res.influence
    np.testing.assert_allclose(psi.T @ psi / psi.shape[0] ** 2, res.vcov.to_numpy(), rtol=1e-12)
    assert any("outside horizons left out of the second stage" in n for n in res.notes)
    static = quiet(dz.did2s, sim, "y")
    assert static.primary == "overall" and static.terms == ["overall"]
    assert static.keys.loc["overall", "n_obs"] == static.stats["n_treated"]


def test_warnings(sim):
    with pytest.warns(InferenceWarning, match="Only 12 clusters"):
        dz.did2s(sim, "y", cluster="province")


def test_errors(sim, sim_df):
    cases = [
        ({"horizons": "dynamic"}, "horizons must be None \\(static\\), 'all' or a sequence"),
        ({"horizons": [0, 30]}, r"horizons \[30\] are not observed"),
        ({"horizons": [0.5]}, "non-empty sequence of integer event times"),
        ({"cluster": ["unit", "province"]}, "Two-way clustering is not available"),
        ({"anticipation": -1}, "anticipation must be a non-negative integer"),
        ({"weights": "nope"}, "Column 'nope' not found"),
    ]
    for kw, msg in cases:
        with pytest.raises(SpecificationError, match=msg):
            quiet(dz.did2s, sim, "y", **kw)
    with pytest.raises(SpecificationError, match="panel must be a did_zones Panel"):
        dz.did2s(sim_df, "y")
