"""dcdh with treatment that switches off (leavers): DID_M with its DID_{-,t} cells, the
dynamic effects after the first switch, and the one absorbing check every other estimator
and robustness tool makes.

References: a hand-computed 5-unit panel; the official Python port of did_multiplegt_dyn
and diff-diff 3.13.0 (``drop_larger_lower=False``) on a frozen 300 × 8 panel with leavers
and restarts (tests/reference/dcdh_leavers_*.csv, see dcdh_reference.md); the influence
function against the numerical derivative of the hand formula in the unit weights.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import did_zones as dz
from did_zones import build_panel, dcdh
from did_zones.errors import (
    InferenceWarning,
    PanelError,
    SmallCohortWarning,
    SpecificationError,
)
from did_zones.estimators.registry import estimator_names, get_estimator

REF = Path(__file__).resolve().parent / "reference"


def quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        warnings.simplefilter("ignore", SmallCohortWarning)
        return dcdh(*args, **kwargs)


# ------------------------------------------------------------------------ hand panel
# unit 0: joins 2, leaves 4;  unit 1: joins 3;  unit 2: joins 2, leaves 3, rejoins 4;
# units 3, 4: never treated.  Periods 1..4.
HAND_D = {0: [0, 1, 1, 0], 1: [0, 0, 1, 1], 2: [0, 1, 0, 1], 3: [0, 0, 0, 0], 4: [0, 0, 0, 0]}
HAND_Y = {0: [1.0, 4.0, 6.0, 5.0], 1: [2.0, 3.0, 7.0, 9.0], 2: [0.0, 2.0, 1.0, 5.0],
          3: [1.0, 2.0, 4.0, 5.0], 4: [3.0, 3.0, 4.0, 7.0]}


@pytest.fixture
def hand():
    rows = [(u, t + 1, HAND_D[u][t], HAND_Y[u][t]) for u in HAND_D for t in range(4)]
    df = pd.DataFrame(rows, columns=["unit", "year", "d", "y"])
    return df, build_panel(df, unit="unit", time="year", treatment="d", switch_off="keep")


def test_hand_panel_did_m(hand):
    _, panel = hand
    assert panel.switches_off
    assert panel.treatment_end.tolist() == [4, np.inf, 3, np.inf, np.inf]
    assert panel.treatment_restart.tolist() == [np.inf, np.inf, 4, np.inf, np.inf]
    res = quiet(panel, "y")
    # t = 2: joiners {0, 2} ΔY = 3, 2; stable untreated {1, 3, 4} ΔY = 1, 1, 0
    did_2 = (3 + 2) / 2 - (1 + 1 + 0) / 3
    # t = 3: joiner {1} ΔY = 4 against stable untreated {3, 4} ΔY = 2, 1;
    #        leaver {2} ΔY = -1 against stable treated {0} ΔY = 2 (DID_- = 2 - (-1))
    did_3_join = 4 - (2 + 1) / 2
    did_3_leave = 2 - (-1)
    # t = 4: joiner {2} (restart) ΔY = 4 against stable untreated {3, 4} ΔY = 1, 3;
    #        leaver {0} ΔY = -1 against stable treated {1} ΔY = 2
    did_4_join = 4 - (1 + 3) / 2
    did_4_leave = 2 - (-1)
    n_s = 2 + 1 + 1 + 1 + 1
    expected = (2 * did_2 + did_3_join + did_3_leave + did_4_join + did_4_leave) / n_s
    assert res.estimate["DID_M"] == pytest.approx(expected, rel=1e-12)
    split = res.extra["joiners_leavers"]
    assert split.loc["joiners", "estimate"] == pytest.approx(
        (2 * did_2 + did_3_join + did_4_join) / 4, rel=1e-12)
    assert split.loc["leavers", "estimate"] == pytest.approx(
        (did_3_leave + did_4_leave) / 2, rel=1e-12)
    assert split["n_switchers"].tolist() == [4, 2]
    cells = res.extra["cells"]
    did_m = cells[cells["term"] == "DID_M"]
    assert did_m["side"].tolist() == ["joiners"] * 3 + ["leavers"] * 2
    assert did_m["did"].tolist() == pytest.approx(
        [did_2, did_3_join, did_4_join, did_3_leave, did_4_leave], rel=1e-12)


def test_hand_panel_dynamic_effects_follow_the_first_switch(hand):
    _, panel = hand
    res = quiet(panel, "y", window=(-1, 2))
    # effect_e: switchers of cohort F against units untreated through F + e, whatever the
    # switchers' treatment does after F (did_multiplegt_dyn's first-switch effects).
    # cohort 2 = {0, 2}, cohort 3 = {1}; never = {3, 4}
    y = {u: dict(zip(range(1, 5), v, strict=True)) for u, v in HAND_Y.items()}

    def diff(units, end, start):
        return np.mean([y[u][end] - y[u][start] for u in units])

    e0 = (2 * (diff([0, 2], 2, 1) - diff([1, 3, 4], 2, 1))
          + (diff([1], 3, 2) - diff([3, 4], 3, 2))) / 3
    e1 = (2 * (diff([0, 2], 3, 1) - diff([3, 4], 3, 1))
          + (diff([1], 4, 2) - diff([3, 4], 4, 2))) / 3
    e2 = diff([0, 2], 4, 1) - diff([3, 4], 4, 1)
    assert res.estimate[["effect_0", "effect_1", "effect_2"]].tolist() == pytest.approx(
        [e0, e1, e2], rel=1e-12)
    # with leavers and restarts DID_M is no longer effect_0
    assert res.estimate["DID_M"] != pytest.approx(res.estimate["effect_0"])
    assert np.isnan(res.extra["std_error_dyn"]["DID_M"])


# ----------------------------------------------------------------- frozen peers
@pytest.fixture(scope="module")
def leavers_panel():
    df = pd.read_csv(REF / "dcdh_leavers_data.csv")
    return build_panel(df, unit="unit", time="year", treatment="D", switch_off="keep")


def test_matches_did_multiplegt_dyn_and_diff_diff(leavers_panel):
    res = dcdh(leavers_panel, "y", window=(-3, 3))
    dyn = pd.read_csv(REF / "dcdh_leavers_dyn.csv").set_index("term")
    np.testing.assert_allclose(res.estimate[dyn.index], dyn["estimate"], rtol=1e-6)
    np.testing.assert_allclose(res.extra["std_error_dyn"][dyn.index], dyn["std_error"],
                               rtol=1e-4)
    peer = pd.read_csv(REF / "dcdh_leavers_diffdiff.csv").set_index("term")["estimate"]
    terms = [t for t in peer.index if t in res.estimate.index]
    assert len(terms) == 7
    np.testing.assert_allclose(res.estimate[terms], peer[terms], rtol=1e-6)
    split = res.extra["joiners_leavers"]["estimate"]
    np.testing.assert_allclose(split, peer[["joiners", "leavers"]], rtol=1e-6)
    # DID_M is the switcher-weighted average of its two sides
    n = res.extra["joiners_leavers"]["n_switchers"]
    assert res.estimate["DID_M"] == pytest.approx((split * n).sum() / n.sum(), rel=1e-12)


def _did_m_weighted(Y, D, w):
    """DID_M of the 2020 paper with unit weights ``w``: joiners and leavers (the test's
    own formula, written from the paper)."""
    num, n_s = 0.0, 0.0
    for t in range(1, Y.shape[1]):
        dy = Y[:, t] - Y[:, t - 1]
        prev, cur = D[:, t - 1], D[:, t]
        for sw, stable, sign in (((prev == 0) & (cur == 1), (prev == 0) & (cur == 0), 1.0),
                                 ((prev == 1) & (cur == 0), (prev == 1) & (cur == 1), -1.0)):
            n1, n0 = w[sw].sum(), w[stable].sum()
            if n1 > 0 and n0 > 0:
                gap = (w[sw] @ dy[sw]) / n1 - (w[stable] @ dy[stable]) / n0
                num += n1 * sign * gap
                n_s += n1
    return num / n_s


def test_influence_function_is_the_derivative_in_unit_weights(leavers_panel):
    res = dcdh(leavers_panel, "y")
    df = leavers_panel.data
    Y = df.pivot(index="unit", columns="year", values="y").to_numpy()
    D = df.pivot(index="unit", columns="year", values="D").to_numpy()
    n = Y.shape[0]
    ones = np.ones(n)
    assert _did_m_weighted(Y, D, ones) == pytest.approx(res.estimate["DID_M"], rel=1e-12)
    h = 1e-6
    psi = np.empty(n)
    for i in range(n):  # a test: the derivative unit by unit
        up, down = ones.copy(), ones.copy()
        up[i] += h
        down[i] -= h
        psi[i] = n * (_did_m_weighted(Y, D, up) - _did_m_weighted(Y, D, down)) / (2 * h)
    np.testing.assert_allclose(res.influence[:, 0], psi, rtol=1e-5, atol=1e-7)
    se = np.sqrt((psi ** 2).sum()) / n
    assert res.std_error["DID_M"] == pytest.approx(se, rel=1e-4)


def test_bootstrap_runs_on_leavers_and_is_seeded(leavers_panel):
    a = dcdh(leavers_panel, "y", n_boot=199, seed=3)
    b = dcdh(leavers_panel, "y", n_boot=199, seed=3)
    assert np.isfinite(a.extra["bootstrap_draws"]).all()
    np.testing.assert_array_equal(a.extra["bootstrap_draws"], b.extra["bootstrap_draws"])
    assert a.estimate.equals(dcdh(leavers_panel, "y").estimate)


def test_absorbing_panel_is_unchanged_by_the_leaver_machinery(leavers_panel):
    # the same rows with treatment kept on: no leaver cell, no joiners_leavers table
    df = leavers_panel.data
    g = df[df["D"] == 1].groupby("unit")["year"].min()
    kept = build_panel(df.drop(columns="D"), unit="unit", time="year", cohort=g)
    assert not kept.switches_off
    res = dcdh(kept, "y", window=(-2, 3))
    assert "joiners_leavers" not in res.extra
    assert (res.extra["cells"]["side"] == "joiners").all()
    assert res.estimate["DID_M"] == pytest.approx(res.estimate["effect_0"], rel=1e-12)


def test_controls_with_switch_off_are_refused(leavers_panel):
    panel = leavers_panel.with_columns({"x": np.arange(leavers_panel.n_obs, dtype=float)})
    with pytest.raises(SpecificationError, match=r"controls=\['x'\] with treatment that "
                       r"switches off \(68 unit\(s\)\) are not supported"):
        dcdh(panel, "y", controls="x")


# ---------------------------------------------------- every other tool refuses the panel
REFUSAL = r"Treatment switches off inside this panel for \d+ unit\(s\).*only dcdh"


@pytest.mark.parametrize("name", [n for n in estimator_names() if n != "dcdh"])
def test_every_other_estimator_refuses(hand, name):
    _, panel = hand
    panel = panel.with_columns({"m": np.arange(panel.n_obs, dtype=float)})
    extra = {"iv_did": {"endogenous": "m"}, "continuous_did": {"dose": "m"},
             "triple_difference": {"group": "m"},
             "dml_did": {"controls": "m"}}.get(name, {})
    with pytest.raises(PanelError, match=REFUSAL):
        get_estimator(name)(panel, "y", **extra)


def test_robustness_and_mechanism_tools_refuse(hand):
    _, panel = hand
    res = quiet(panel, "y")
    panel_m = panel.with_columns({"m": np.arange(panel.n_obs, dtype=float)})
    calls = [
        lambda: dz.placebo(res, panel, n_draws=10, seed=1),
        lambda: dz.few_treated_inference(res, panel),
        lambda: dz.mediation(panel_m, "y", "m"),
        lambda: dz.bacon_decomposition(panel, "y"),
        lambda: dz.twfe_weights(panel, "y"),
    ]
    for call in calls:
        with pytest.raises(PanelError, match=REFUSAL):
            call()


def test_refusal_message_names_units_periods_and_the_ways_out(hand):
    _, panel = hand
    with pytest.raises(PanelError) as err:
        dz.twfe(panel, "y")
    msg = str(err.value)
    assert "for 2 unit(s), e.g. ['0 (untreated from 4)', '2 (untreated in 3)']" in msg
    assert "zone_cohorts(revoked='keep')" in msg and "panel.window(end=2)" in msg


# ------------------------------------------------------------------------ the panel
def test_treatment_column_switch_off_needs_the_option(hand):
    df, _ = hand
    with pytest.raises(PanelError, match=r"switches off \(1 then 0\) for 2 unit\(s\) \(2 rows\)"
                       r".*pass switch_off='keep'"):
        build_panel(df, unit="unit", time="year", treatment="d")
    twice = pd.DataFrame({"unit": [1] * 5 + [2] * 5, "year": list(range(1, 6)) * 2,
                          "d": [0, 1, 0, 1, 0] + [0] * 5, "y": np.arange(10.0)})
    with pytest.raises(PanelError, match=r"switches off twice for 1 unit\(s\), e\.g\. \[1\]"):
        build_panel(twice, unit="unit", time="year", treatment="d", switch_off="keep")
    with pytest.raises(SpecificationError, match="switch_off must be one of"):
        build_panel(df, unit="unit", time="year", treatment="d", switch_off="yes")


def test_subset_window_and_fingerprint_keep_the_switch_offs(hand):
    df, panel = hand
    assert (panel.treated == df["d"].astype(bool).to_numpy()).all()
    sub = panel.subset(panel.time_values >= 1)
    assert sub.switches_off and sub.fingerprint == panel.fingerprint
    short = panel.window(end=3)  # unit 0 leaves in 4: absorbing within 1..3
    assert short.treatment_end.tolist() == [np.inf, np.inf, 3, np.inf, np.inf]
    absorbing = build_panel(df, unit="unit", time="year",
                            cohort=panel.unit_cohort.rename(None).to_dict())
    assert not absorbing.switches_off
    assert absorbing.fingerprint != panel.fingerprint
    assert panel.unit_cohort.attrs == {"treatment_end": {0: 4, 2: 3},
                                       "treatment_restart": {2: 4}}
    assert "treatment switches off for 2" in repr(panel)


def test_window_starting_after_a_spell_uses_the_restart(hand):
    _, panel = hand
    with pytest.warns(dz.errors.DataDroppedWarning, match=r"2 unit\(s\)"):
        late = panel.window(start=3)
    # unit 0 (treated 2-3) and unit 1 (from 3) are treated in 3: always-treated, dropped;
    # unit 2 (treated 2, off 3, on 4) is untreated in 3 and joins in 4
    assert late.unit_cohort.to_dict() == {2: 4.0, 3: np.inf, 4: np.inf}
    assert not late.switches_off


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(1, 3)),
                min_size=1, max_size=8),
       st.integers(0, 8))
def test_treatment_path_round_trip(spells, n_never):
    """Any path 0..0 1..1 [0..0 [1..1]] survives build_panel: Panel.treated is the column."""
    T = 9
    rows = []
    for u, (g, length, gap) in enumerate(spells):
        d = np.zeros(T, dtype=int)
        d[g:] = 1
        end = g + length
        if end < T:
            d[end:] = 0
            if u % 2 and end + gap < T:
                d[end + gap:] = 1
        rows += [(u, t, int(d[t]), float(u + t)) for t in range(T)]
    rows += [(100 + k, t, 0, 0.0) for k in range(n_never) for t in range(T)]
    df = pd.DataFrame(rows, columns=["unit", "year", "d", "y"])
    before = df.copy()
    panel = build_panel(df, unit="unit", time="year", treatment="d", switch_off="keep")
    pd.testing.assert_frame_equal(df, before)
    np.testing.assert_array_equal(panel.treated, df["d"].to_numpy().astype(bool))
    wide = panel.treated_at(panel.periods)
    np.testing.assert_array_equal(wide[panel.unit_id, panel.period_id], panel.treated)
    again = build_panel(df.drop(columns="d"), unit="unit", time="year",
                        cohort=panel.unit_cohort)
    np.testing.assert_array_equal(again.treated, panel.treated)
    assert again.fingerprint == panel.fingerprint
