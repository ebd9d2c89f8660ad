"""Stacked DiD (Cengiz et al. 2019; Wing, Freedman & Hollingsworth 2024): diff-diff 3.13.0
reference, corrective weights by hand, the stacked regression against statsmodels WLS with
explicit dummies, the noiseless simulator's truth, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from conftest import quiet

import did_zones as dz
from did_zones.errors import PanelError, SpecificationError
from did_zones.estimators.stacked import q_weights

REF = Path(__file__).parent / "reference"


# ----------------------------------------------------------------- diff-diff reference


@pytest.fixture(scope="module")
def ref_panel():
    data = pd.read_csv(REF / "stacked_sim_data.csv")
    return dz.build_panel(data, "unit", "year", cohort="first_treat")


@pytest.mark.parametrize("control,peer", [("never", "never_treated"),
                                          ("not_yet", "not_yet_treated")])
@pytest.mark.parametrize("kpre,kpost", [(3, 2), (2, 3)])
@pytest.mark.parametrize("regression", ["pooled", "fixed_effects"])
def test_matches_diffdiff(ref_panel, control, peer, kpre, kpost, regression):
    ref = pd.read_csv(REF / "stacked_diffdiff.csv")
    ref = ref[(ref.control_group == peer) & (ref.kappa_pre == kpre)
              & (ref.kappa_post == kpost)].set_index("term")
    res = quiet(dz.stacked_did, ref_panel, "y", window=(-kpre, kpost), control=control,
                regression=regression)
    assert res.n_obs == ref.loc["n_stacked_obs", "estimate"]
    r = ref.drop(["n_stacked_obs", "e-1"])
    assert list(res.estimate.index) == list(r.index)
    np.testing.assert_allclose(res.estimate[r.index], r["estimate"], rtol=1e-6, atol=1e-10)
    if regression == "pooled":  # diff-diff's regression: D + event time + D × event time
        np.testing.assert_allclose(res.std_error[r.index], r["std_error"], rtol=1e-4)
    else:  # same δ_e; more parameters and other residuals: SEs differ by a few percent
        ratio = res.std_error[r.index] / r["std_error"]
        assert ((ratio > 0.9) & (ratio < 1.1)).all()
    assert res.extra["trimmed_cohorts"] == (2011.0,)
    assert res.keys.loc["e+0", "event_time"] == 0


# ----------------------------------------------------------------- hand-made panels


def _tiny(noise=0.0, seed=0):
    """Years 1..6; cohort 3: units 0-1, cohort 4: units 2-4, never: units 5-8."""
    rng = np.random.default_rng(seed)
    units, years = np.arange(9), np.arange(1, 7)
    df = pd.DataFrame({"unit": np.repeat(units, 6), "year": np.tile(years, 9)})
    g = np.select([df.unit < 2, df.unit < 5], [3, 4], 0)
    df["g"] = g
    on = (g > 0) & (df.year >= g)
    eff = np.where(g == 3, 1.0, 3.0) * (df.year - g + 1)
    df["y"] = (0.3 * df.unit + 0.2 * df.year ** 1.5 + np.where(on, eff, 0.0)
               + noise * rng.normal(size=len(df)))
    df["x"] = rng.normal(size=len(df))
    return df


def test_q_weights_by_hand():
    p = dz.build_panel(_tiny(), "unit", "year", cohort="g")
    # control="never", window (-1, 1): N^D = 2 + 3, N^C = 4 + 4
    res = quiet(dz.stacked_did, p, "y", window=(-1, 1), cluster=None)
    sub = res.extra["sub_experiments"].set_index("cohort")
    assert abs(sub.loc[3, "control_weight"] - (2 / 5) / (4 / 8)) < 1e-12
    assert abs(sub.loc[4, "control_weight"] - (3 / 5) / (4 / 8)) < 1e-12
    # control="not_yet", window (-1, 0): cohort 4 is a clean control of cohort 3 (4 > 3 + 0)
    res = quiet(dz.stacked_did, p, "y", window=(-1, 0), control="not_yet", cluster=None)
    sub = res.extra["sub_experiments"].set_index("cohort")
    assert list(sub["control_units"]) == [7, 4]
    assert abs(sub.loc[3, "control_weight"] - (2 / 5) / (7 / 11)) < 1e-12
    assert abs(sub.loc[4, "control_weight"] - (3 / 5) / (4 / 11)) < 1e-12
    q = res.extra["q_weights"]
    assert q.size == res.n_obs == (2 + 7 + 3 + 4) * 2
    assert set(np.round(q, 12)) == {1.0, round(22 / 35, 12), round(33 / 20, 12)}


def test_q_weights_per_event_time_cell():
    # an unbalanced stack: shares are counted per (sub-experiment, event time) cell
    sub = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1])
    event = np.array([-1, -1, 0, 0, -1, -1, -1, 0, 0])
    D = np.array([1, 0, 1, 0, 1, 0, 0, 1, 0])
    q = q_weights(sub, event, D)
    # e=-1: treated 1 + 1, controls 1 + 2; e=0: treated 1 + 1, controls 1 + 1
    expect = [1, (1 / 2) / (1 / 3), 1, (1 / 2) / (1 / 2), 1, (1 / 2) / (2 / 3),
              (1 / 2) / (2 / 3), 1, (1 / 2) / (1 / 2)]
    np.testing.assert_allclose(q, expect, rtol=0, atol=1e-12)


def _stack_by_hand(df, a, b):
    """The stacked data built with pandas merges (never-treated controls)."""
    parts = []
    for g in sorted(df.loc[df.g > 0, "g"].unique()):
        s = df[((df.g == g) | (df.g == 0)) & df.year.between(g + a, g + b)].copy()
        s["sub"], s["e"], s["D"] = g, s.year - g, (s.g == g).astype(float)
        parts.append(s)
    st = pd.concat(parts, ignore_index=True)
    nt = st[st.D == 1].groupby("sub").unit.nunique()
    nc = st[st.D == 0].groupby("sub").unit.nunique()
    qc = (nt / nt.sum()) / (nc / nc.sum())
    st["Q"] = np.where(st.D == 1, 1.0, st["sub"].map(qc))
    return st


@pytest.mark.parametrize("weighting", ["corrective", "none"])
def test_regression_against_statsmodels_wls(weighting):
    df = _tiny(noise=0.5, seed=3)
    p = dz.build_panel(df, "unit", "year", cohort="g")
    st = _stack_by_hand(df, -2, 2)
    w = st.Q.to_numpy() if weighting == "corrective" else np.ones(len(st))
    evs = [-2, 0, 1, 2]
    inter = pd.DataFrame({f"e{e:+d}": st.D * (st.e == e) for e in evs}).astype(float)
    su = pd.get_dummies(st["sub"].astype(str) + "_" + st.unit.astype(str), dtype=float)
    se = pd.get_dummies(st["sub"].astype(str) + "_" + st.e.astype(str), dtype=float)
    se = se.loc[:, ~se.columns.str.endswith("_-1")]  # one base period per sub-experiment
    X = pd.concat([inter, st[["x"]], su, se], axis=1)
    fit = sm.WLS(st.y, X, weights=w).fit()
    res = quiet(dz.stacked_did, p, "y", window=(-2, 2), controls="x", weighting=weighting)
    names = [f"e{e:+d}" for e in evs] + ["x"]
    np.testing.assert_allclose(res.estimate[names], fit.params[names], rtol=1e-8)
    post = ["e+0", "e+1", "e+2"]
    assert abs(res.estimate["overall"] - fit.params[post].mean()) < 1e-10

    # pooled: α0 + α1 D + λ_e + δ_e D 1{e}; no nested effects, so statsmodels' CR1 factor
    # G/(G−1)·(N−1)/(N−K) is reghdfe's
    ev = pd.get_dummies(st.e, prefix="lam", dtype=float).drop(columns="lam_-1")
    Xp = sm.add_constant(pd.concat([st[["D"]], ev, inter, st[["x"]]], axis=1))
    fp = sm.WLS(st.y, Xp, weights=w).fit(cov_type="cluster",
                                         cov_kwds={"groups": st.unit.to_numpy()})
    rp = quiet(dz.stacked_did, p, "y", window=(-2, 2), controls="x", weighting=weighting,
               regression="pooled")
    np.testing.assert_allclose(rp.estimate[names], fp.params[names], rtol=1e-8)
    np.testing.assert_allclose(rp.std_error[names], fp.bse[names], rtol=1e-8)


def test_noiseless_tiny_panel_recovers_weighted_att():
    df = _tiny()
    res = quiet(dz.stacked_did, dz.build_panel(df, "unit", "year", cohort="g"), "y",
                window=(-2, 2))
    # ATT_3(e) = 1·(e+1), ATT_4(e) = 3·(e+1); treated shares 2/5 and 3/5
    for e in (0, 1, 2):
        assert abs(res.estimate[f"e+{e}"] - (2 / 5 * (e + 1) + 3 / 5 * 3 * (e + 1))) < 1e-10
    assert abs(res.estimate["e-2"]) < 1e-10
    assert df.columns.tolist() == ["unit", "year", "g", "y", "x"]  # caller's frame intact


# ----------------------------------------------------------------- simulator truth


@pytest.mark.parametrize("window,control", [((-3, 2), "never"), ((-2, 1), "not_yet")])
def test_simulator_truth_and_unweighted_bias(window, control):
    sim = dz.simulate_pilot_panel(seed=3, effect="heterogeneous", noise=0.0)
    p = dz.build_panel(sim.data, "city_code", "year", cohort="cohort")
    att = sim.truth.att_gt.set_index(["cohort", "time"])["att"]
    res = quiet(dz.stacked_did, p, "isu", window=window, control=control)
    raw = quiet(dz.stacked_did, p, "isu", window=window, control=control, weighting="none")
    sub = res.extra["sub_experiments"]
    g = sub["cohort"].to_numpy()
    nd, nc = sub["treated_units"].to_numpy(), sub["control_units"].to_numpy()
    # the unweighted regression weights sub-experiment d by its treatment variance
    # N^D_d N^C_d / (N^D_d + N^C_d) (equal windows, balanced panel), not by N^D_d
    implicit = nd * nc / (nd + nc)
    biases = []
    for e in range(window[0], window[1] + 1):
        if e == -1:
            continue
        a = np.array([att[(gg, gg + e)] for gg in g])
        truth = nd @ a / nd.sum()  # the trimmed aggregate ATT(e)
        assert abs(res.estimate[f"e{e:+d}"] - truth) < 1e-10
        assert abs(raw.estimate[f"e{e:+d}"] - implicit @ a / implicit.sum()) < 1e-10
        biases.append(raw.estimate[f"e{e:+d}"] - truth)
    assert max(abs(b) for b in biases) > 1e-5  # the unweighted regression is off the target


# ----------------------------------------------------------------- bad input, registry


def test_window_without_reference():
    p = dz.build_panel(_tiny(), "unit", "year", cohort="g")
    with pytest.raises(SpecificationError, match=r"must contain the reference period -1.*"
                                                 r"window=\(-1, 3\)"):
        dz.stacked_did(p, "y", window=(0, 3))
    with pytest.raises(SpecificationError, match="pair of integers"):
        dz.stacked_did(p, "y", window=3)


def test_window_no_cohort_fills():
    p = dz.build_panel(_tiny(), "unit", "year", cohort="g")
    with pytest.raises(PanelError, match=r"No cohort fills the window \(-4, 2\): the 2 "
                                          r"cohort\(s\).*observed 1\.\.6.*narrower window"
                                          r", e\.g\. window=\(-3, 2\) \(1 of 2"):
        dz.stacked_did(p, "y", window=(-4, 2))
    assert quiet(dz.stacked_did, p, "y", window=(-3, 2)).extra["cohorts"] == (4.0,)


@pytest.mark.filterwarnings("ignore::did_zones.errors.InferenceWarning")
def test_no_clean_controls():
    df = _tiny()
    df = df[df.g > 0]
    p = dz.build_panel(df, "unit", "year", cohort="g")
    with pytest.raises(PanelError, match=r"No cohort has a clean control unit: 2 cohort\(s\).*"
                                          r"0 never-treated.*control='not_yet'"):
        dz.stacked_did(p, "y", window=(-1, 1))
    # not_yet: cohort 4 is clean for cohort 3 over -1..0, cohort 4 has no control: dropped
    with pytest.warns(dz.errors.DataDroppedWarning, match=r"1 cohort\(s\) have no clean"):
        res = dz.stacked_did(p, "y", window=(-1, 0), control="not_yet", cluster=None)
    assert res.extra["cohorts"] == (3.0,) and res.extra["no_control_cohorts"] == (4.0,)


def test_registry_entry():
    from did_zones.estimators.registry import REGISTRY, aliases, default_study_estimators

    spec = REGISTRY["stacked_did"]
    assert spec.family == "staggered" and not spec.in_default_study
    assert aliases()["stackedev"] == aliases()["stacked"] == "stacked_did"
    assert "stacked_did" not in default_study_estimators()
    assert spec.event_options((-2, 1), control="not_yet") == {
        "control": "not_yet", "cluster": "unit", "window": (-2, 1)}
    assert spec.window((-2, 1)) == {"window": (-2, 1)}
    assert spec.supports("honest_did") and not spec.supports("psm")
    assert dz.stacked_did is spec.function


def test_notes_translate_to_chinese():
    from did_zones.tables.zh_notes import translate_note, untranslated

    df = _tiny(noise=0.1)
    df.loc[df.index[::7], "y"] = np.nan
    notes = list(quiet(dz.stacked_did, dz.build_panel(df, "unit", "year", cohort="g"), "y",
                       window=(-2, 3)).notes)
    treated = df[df.g > 0]
    notes += quiet(dz.stacked_did, dz.build_panel(treated, "unit", "year", cohort="g"), "y",
                   window=(-1, 0), control="not_yet", cluster=None).notes
    assert any("trimming" in n for n in notes) and any("no clean control" in n for n in notes)
    assert any("stacked row(s) with missing" in n for n in notes)
    for n in notes:
        assert untranslated(translate_note(n)) == [], n


def test_option_errors():
    p = dz.build_panel(_tiny(), "unit", "year", cohort="g")
    with pytest.raises(SpecificationError, match="control must be one of 'never', 'not_yet'"):
        dz.stacked_did(p, "y", control="last")
    with pytest.raises(SpecificationError, match="weighting must be one of"):
        dz.stacked_did(p, "y", weighting="aggregate")
    with pytest.raises(SpecificationError, match="regression must be one of"):
        dz.stacked_did(p, "y", regression="ols")


def test_row_order_and_constant_invariance():
    df = _tiny(noise=0.4, seed=5)
    base = quiet(dz.stacked_did, dz.build_panel(df, "unit", "year", cohort="g"), "y",
                 window=(-2, 2))
    shuffled = df.sample(frac=1.0, random_state=2).assign(y=lambda d: d.y + 7.0)
    other = quiet(dz.stacked_did, dz.build_panel(shuffled, "unit", "year", cohort="g"), "y",
                  window=(-2, 2))
    np.testing.assert_allclose(other.estimate, base.estimate, rtol=0, atol=1e-10)
    np.testing.assert_allclose(other.std_error, base.std_error, rtol=1e-8)
