"""Synthetic DiD, synthetic control and DiD in R synthdid's framework (did_zones.synthetic).

References: R synthdid's printed numbers on California Proposition 99 (Arkhangelsky et al.
2021, Table 1; the package README / vignette), diff-diff 3.13.0 ``SyntheticDiD`` frozen under
``tests/reference/`` (see ``synthdid_reference.md``), hand-computable panels and simulations
with known truth.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import data_file, reference_file

import did_zones as dz
from did_zones.errors import DataDroppedWarning, PanelError, SpecificationError
from did_zones.synthetic._solver import collapsed, noise_level, sparsify, sum_normalize
from did_zones.tables.zh_notes import translate_note, untranslated

Y_COL = "PacksPerCapita"


@pytest.fixture(scope="module")
def prop99_frame() -> pd.DataFrame:
    return pd.read_csv(data_file("prop99/california_prop99.csv"))


@pytest.fixture(scope="module")
def prop99(prop99_frame):
    return dz.build_panel(prop99_frame, unit="State", time="Year", treatment="treated")


@pytest.fixture(scope="module")
def sdid(prop99):
    return dz.synthdid(prop99, Y_COL, se=None)


@pytest.fixture(scope="module")
def three(prop99_frame):
    """California, Georgia and Utah treated from 1989 (the diff-diff reference design)."""
    g = prop99_frame["State"].isin(["California", "Georgia", "Utah"]).map({True: 1989,
                                                                          False: 0})
    return dz.build_panel(prop99_frame.assign(g=g), unit="State", time="Year", cohort="g")


@pytest.fixture(scope="module")
def diffdiff() -> pd.DataFrame:
    return pd.read_csv(reference_file("synthdid_prop99_diffdiff.csv"))


# --------------------------------------------------------------- Proposition 99 (R, paper)
# R synthdid prints -15.60383 (summary), sc_estimate -19.6197, did_estimate -27.3491;
# Arkhangelsky et al. (2021, Table 1): -15.6, -19.6, -27.3.
@pytest.mark.parametrize("method, printed, digits", [("sdid", -15.60383, 5),
                                                      ("sc", -19.6197, 4),
                                                      ("did", -27.3491, 4)])
def test_prop99_estimates_match_r_synthdid(prop99, method, printed, digits):
    res = dz.synthdid(prop99, Y_COL, method=method, se=None)
    est = float(res.estimate["ATT"])
    assert round(est, digits) == printed
    assert round(est, 1) == {"sdid": -15.6, "sc": -19.6, "did": -27.3}[method]
    assert res.primary == "ATT" and res.terms == ["ATT"]


def test_prop99_unit_weights_match_r_and_diffdiff(sdid):
    w = sdid.extra["unit_weights"]
    # R synthdid summary(tau.hat)$controls, printed to three digits
    r_printed = {"Nevada": 0.124, "New Hampshire": 0.105, "Connecticut": 0.078,
                 "Delaware": 0.070, "Colorado": 0.058, "Illinois": 0.053, "Nebraska": 0.048,
                 "Montana": 0.045, "Utah": 0.042, "New Mexico": 0.041, "Minnesota": 0.039,
                 "Wisconsin": 0.037, "West Virginia": 0.034, "North Carolina": 0.033,
                 "Idaho": 0.031, "Ohio": 0.031, "Maine": 0.028, "Iowa": 0.026}
    for state, value in r_printed.items():
        assert round(float(w[state]), 3) == value, state
    assert list(w.sort_values(ascending=False).index[:5]) == list(r_printed)[:5]
    ref = pd.read_csv(reference_file("synthdid_prop99_weights.csv"))
    unit = ref[ref["kind"] == "unit"].set_index("name")["weight"]
    np.testing.assert_allclose(w.reindex(unit.index).to_numpy(), unit.to_numpy(), atol=1e-10)
    assert set(w.index) == set(unit.index) and w.size == 38
    assert abs(w.sum() - 1) < 1e-12 and (w >= 0).all()


def test_prop99_time_weights_and_effective_sizes(sdid):
    lam = sdid.extra["time_weights"]
    assert {y: round(float(lam[y]), 3) for y in (1986, 1987, 1988)} == {
        1986: 0.366, 1987: 0.206, 1988: 0.427}  # R: periods 1988 .427, 1986 .366, 1987 .206
    ref = pd.read_csv(reference_file("synthdid_prop99_weights.csv"))
    t = ref[ref["kind"] == "time"]
    np.testing.assert_allclose(lam.reindex(t["name"].astype(int)).to_numpy(),
                               t["weight"].to_numpy(), atol=1e-10)
    # R: N0.effective 16.388, T0.effective 2.783
    assert round(sdid.stats["effective_donors"], 3) == 16.388
    assert round(sdid.stats["effective_periods"], 3) == 2.783


def test_prop99_placebo_se_matches_diffdiff_draw_for_draw(prop99, diffdiff):
    ref = diffdiff[diffdiff["design"] == "california"].set_index("seed")
    for seed in (1, 2):
        res = dz.synthdid(prop99, Y_COL, se="placebo", n_reps=200, seed=seed)
        np.testing.assert_allclose(res.estimate["ATT"], ref.loc[seed, "att"], rtol=1e-9)
        np.testing.assert_allclose(res.std_error["ATT"], ref.loc[seed, "se"], rtol=1e-8)
        assert res.extra["replicates"].shape == (200, 1)
        assert res.inference["ATT"] == "placebo variance (200 permutations of the donors), normal"


@pytest.mark.slow
def test_prop99_placebo_se_against_r_printed_within_monte_carlo_bound(prop99):
    """R (set.seed(12345), 200 permutations) prints the CI (-32.01, 0.80): SE 8.37. Our SE of
    400 permutations estimates the same quantity; a 200-draw SE varies around it with
    standard deviation about SE·sqrt((kurtosis − 1) / (4·200)) (delta method), estimated from
    our draws. R's value must lie within 3 of those standard deviations."""
    res = dz.synthdid(prop99, Y_COL, se="placebo", n_reps=400, seed=11)
    draws = res.extra["replicates"][:, 0]
    se = float(res.std_error["ATT"])
    z = (draws - draws.mean()) / draws.std()
    kurt = float(np.mean(z ** 4))
    sd_of_se = se * np.sqrt((kurt - 1) / (4 * 200))
    r_se = (0.80 + 32.01) / (2 * 1.96)
    assert abs(r_se - se) < 3 * sd_of_se, (r_se, se, sd_of_se)


@pytest.mark.parametrize("se", ["placebo", "jackknife", "bootstrap"])
def test_three_treated_variances_match_diffdiff(three, diffdiff, se):
    ref = diffdiff[(diffdiff["design"] == "three") & (diffdiff["se_method"] == se)].iloc[0]
    res = dz.synthdid(three, Y_COL, se=se, n_reps=200, seed=1)
    np.testing.assert_allclose(res.estimate["ATT"], ref["att"], rtol=1e-9)
    np.testing.assert_allclose(res.std_error["ATT"], ref["se"], rtol=1e-8)


def test_counterfactual_gap_averages_to_the_estimate(prop99, three):
    for panel in (prop99, three):
        for method in ("sdid", "sc", "did"):
            res = dz.synthdid(panel, Y_COL, method=method, se=None)
            cf = res.extra["counterfactual"]
            assert abs(cf.loc[cf["post"], "gap"].mean() - res.estimate["ATT"]) < 1e-10
            np.testing.assert_allclose(cf["treated"] - cf["synthetic"], cf["gap"], atol=1e-12)
    assert list(cf.index[:2]) == [1970, 1971] and cf.loc[1989, "post"]


def test_did_weights_are_uniform_and_estimate_is_four_means(prop99_frame, prop99):
    res = dz.synthdid(prop99, Y_COL, method="did", se=None)
    assert np.allclose(res.extra["unit_weights"], 1 / 38, atol=0, rtol=1e-14)
    assert np.allclose(res.extra["time_weights"], 1 / 19, atol=0, rtol=1e-14)
    df = prop99_frame
    tr, post = df["State"] == "California", df["Year"] >= 1989
    y = df[Y_COL]
    four = (y[tr & post].mean() - y[tr & ~post].mean()) - (y[~tr & post].mean()
                                                          - y[~tr & ~post].mean())
    assert abs(res.estimate["ATT"] - four) < 1e-10


def test_synthetic_control_equals_synthdid_sc_and_placebo_ranks(prop99_frame, prop99):
    res = dz.synthetic_control(prop99, Y_COL)
    sc = dz.synthdid(prop99, Y_COL, method="sc", se=None)
    assert abs(res.estimate["ATT"] - sc.estimate["ATT"]) < 1e-10
    np.testing.assert_allclose(res.extra["unit_weights"], sc.extra["unit_weights"], atol=1e-12)
    ratios = res.extra["rmspe_ratios"]
    cal = ratios.loc["California"]
    placebo = ratios[ratios["role"] == "placebo"]
    assert len(placebo) == 38 and res.extra["placebo_gaps"].shape == (31, 38)
    # rank p-value by hand: (1 + placebos with a ratio at least California's) / 39
    p = (1 + int((placebo["ratio"] >= cal["ratio"]).sum())) / 39
    assert abs(res.p_value["ATT"] - p) < 1e-15 and abs(cal["p_value"] - p) < 1e-15
    assert np.isnan(res.std_error["ATT"])
    assert res.inference["ATT"].startswith("in-space placebo, rank of the post/pre RMSPE")
    # RMSPEs by hand from the counterfactual
    gap = res.extra["counterfactual"]["gap"]
    pre, post = gap.index < 1989, gap.index >= 1989
    assert abs(cal["pre_rmspe"] - np.sqrt(np.mean(gap[pre] ** 2))) < 1e-12
    assert abs(cal["post_rmspe"] - np.sqrt(np.mean(gap[post] ** 2))) < 1e-12
    # a placebo gap is an SC of that donor on the other donors: rebuild it independently
    donors = prop99_frame[prop99_frame["State"] != "California"]
    nevada = dz.build_panel(donors.assign(g=np.where(donors["State"] == "Nevada", 1989, 0)),
                            unit="State", time="Year", cohort="g")
    alone = dz.synthdid(nevada, Y_COL, method="sc", se=None)
    np.testing.assert_allclose(res.extra["placebo_gaps"]["Nevada"],
                               alone.extra["counterfactual"]["gap"], atol=1e-9)


def test_rmspe_ratio_p_value_is_translated(prop99):
    res = dz.synthetic_control(prop99, Y_COL, placebos=False)
    assert np.isnan(res.p_value["ATT"]) and res.extra["placebo_gaps"].shape == (31, 0)
    for text in (dz.synthetic_control(prop99, Y_COL).inference["ATT"],
                 res.variance_label,
                 dz.synthdid(prop99, Y_COL, se=None).variance_label,
                 "fixed-weights jackknife, normal", "unit bootstrap (200 draws), normal",
                 "Jackknife variance not defined: a cohort's synthetic control puts all its "
                 "weight on one donor (R synthdid returns NA)."):
        zh = translate_note(text)
        assert zh != text and untranslated(zh) == [], (text, zh)


# ------------------------------------------------------------------- hand-computable cases
def _frame(Y: np.ndarray, cohort: dict, start: int = 2001) -> pd.DataFrame:
    n, t = Y.shape
    return pd.DataFrame({"unit": np.repeat(np.arange(1, n + 1), t),
                         "year": np.tile(np.arange(start, start + t), n),
                         "y": Y.ravel(),
                         "g": np.repeat([cohort.get(i + 1, 0) for i in range(n)], t)})


def test_one_pre_period_gives_uniform_weights_and_four_means():
    rng = np.random.default_rng(3)
    Y = rng.normal(size=(6, 4)) + np.arange(4)
    panel = dz.build_panel(_frame(Y, {6: 2002}), unit="unit", time="year", cohort="g")
    for method in ("sdid", "did"):
        res = dz.synthdid(panel, "y", method=method, se=None)
        assert np.allclose(res.extra["unit_weights"], 0.2, rtol=1e-14, atol=0)
        assert res.extra["time_weights"].tolist() == [1.0]
        four = (Y[5, 1:].mean() - Y[5, 0]) - (Y[:5, 1:].mean() - Y[:5, 0].mean())
        assert abs(res.estimate["ATT"] - four) < 1e-12


def test_identical_donors_give_uniform_weights_and_the_true_effect():
    rng = np.random.default_rng(4)
    path = rng.normal(size=10).cumsum()
    Y = np.tile(path, (6, 1))
    Y[5, 6:] += 1.75  # the treated unit: the donors' path, plus 1.75 from 2007
    panel = dz.build_panel(_frame(Y, {6: 2007}), unit="unit", time="year", cohort="g")
    for method in ("sdid", "sc", "did"):
        res = dz.synthdid(panel, "y", method=method, se=None)
        assert abs(res.estimate["ATT"] - 1.75) < 1e-12, method
        assert np.allclose(res.extra["unit_weights"], 0.2, rtol=1e-12, atol=0), method


def test_noiseless_staggered_two_way_panel_recovers_each_cohort_exactly():
    """y = α_i + β_t + τ_g·D: any simplex weights with SDID's intercepts give τ_g exactly."""
    rng = np.random.default_rng(5)
    n, t = 40, 12
    cohort = {i: g for i, g in zip(range(31, 41), [2005] * 4 + [2008] * 6, strict=True)}
    tau = {2005: 2.0, 2008: -1.0}
    Y = rng.normal(size=(n, 1)) * 3 + rng.normal(size=(1, t)).cumsum(axis=1)
    years = np.arange(2001, 2001 + t)
    for i, g in cohort.items():
        Y[i - 1, years >= g] += tau[g]
    panel = dz.build_panel(_frame(Y, cohort), unit="unit", time="year", cohort="g")
    res = dz.synthdid(panel, "y", se=None)
    assert res.terms == ["ATT", "ATT(g=2005)", "ATT(g=2008)"]
    assert abs(res.estimate["ATT(g=2005)"] - 2.0) < 1e-9
    assert abs(res.estimate["ATT(g=2008)"] + 1.0) < 1e-9
    w05, w08 = 4 * 8, 6 * 5  # treated unit-periods
    assert abs(res.estimate["ATT"] - (2.0 * w05 - 1.0 * w08) / (w05 + w08)) < 1e-9
    assert res.keys.loc["ATT(g=2008)", "n_pre"] == 7 and res.keys.loc["ATT(g=2008)",
                                                                       "n_treated"] == 6
    assert isinstance(res.extra["unit_weights"], pd.DataFrame)
    assert list(res.extra["unit_weights"].columns) == [2005.0, 2008.0]
    assert res.extra["counterfactual"].index.names == ["cohort", "period"]
    tw = res.extra["time_weights"]
    assert tw[2005.0].dropna().index.max() == 2004 and abs(tw[2008.0].sum() - 1) < 1e-12


@pytest.mark.slow
def test_staggered_sdid_recovers_a_constant_effect_in_monte_carlo():
    """Interactive fixed effects (two factors) + N(0, 1) noise, 3 cohorts of 4 treated units
    among 40 never-treated, τ = 1.5. Over 25 draws the mean estimate must lie within 3
    Monte-Carlo standard errors of τ (sd of the draws / sqrt(25))."""
    tau, n0, t = 1.5, 40, 12
    years = np.arange(2001, 2001 + t)
    cohorts = [2006] * 4 + [2008] * 4 + [2010] * 4
    est = []
    for seed in range(25):
        rng = np.random.default_rng(100 + seed)
        n = n0 + len(cohorts)
        loadings = rng.normal(size=(n, 2))
        loadings[n0:] += 0.5  # treated units load more on the factors: DiD is biased
        factors = rng.normal(size=(2, t)).cumsum(axis=1)
        Y = (rng.normal(size=(n, 1)) + np.arange(t) * 0.1 + loadings @ factors
             + rng.normal(size=(n, t)))
        g = np.r_[np.zeros(n0), cohorts]
        Y[n0:] += tau * (years[None, :] >= g[n0:, None])
        panel = dz.build_panel(_frame(Y, {i + 1: g[i] for i in range(n0, n)}), unit="unit",
                               time="year", cohort="g")
        est.append(dz.synthdid(panel, "y", se=None).estimate["ATT"])
    est = np.array(est)
    mc_se = est.std(ddof=1) / np.sqrt(est.size)
    assert abs(est.mean() - tau) < 3 * mc_se, (est.mean(), mc_se)


def test_unit_relabelling_and_row_order_do_not_change_anything(prop99_frame, sdid):
    codes = {s: f"S{i:02d}" for i, s in enumerate(sorted(prop99_frame["State"].unique())[::-1])}
    shuffled = prop99_frame.sample(frac=1, random_state=1).assign(
        State=lambda d: d["State"].map(codes))
    panel = dz.build_panel(shuffled, unit="State", time="Year", treatment="treated")
    res = dz.synthdid(panel, Y_COL, se=None)
    assert abs(res.estimate["ATT"] - sdid.estimate["ATT"]) < 1e-9
    w = res.extra["unit_weights"]
    back = sdid.extra["unit_weights"].rename(index=codes)
    np.testing.assert_allclose(w.reindex(back.index), back, atol=1e-9)


def test_user_frame_is_never_modified(prop99_frame):
    df = prop99_frame.copy()
    before = df.copy()
    panel = dz.build_panel(df, unit="State", time="Year", treatment="treated")
    dz.synthdid(panel, Y_COL, se="placebo", n_reps=5, seed=1)
    dz.synthetic_control(panel, Y_COL, placebos=False)
    pd.testing.assert_frame_equal(df, before)


def test_treated_selects_units_and_others_are_left_out(three):
    res = dz.synthdid(three, Y_COL, treated="California", se=None)
    assert res.stats["n_treated"] == 1 and res.stats["n_donors"] == 36
    assert "Georgia" not in res.extra["unit_weights"].index
    assert res.spec["treated"] == ["California"]
    sc = dz.synthetic_control(three, Y_COL, treated=["California", "Utah"], placebos=False)
    assert sc.terms == ["ATT", "ATT(California)", "ATT(Utah)"]
    each = sc.estimate[["ATT(California)", "ATT(Utah)"]]
    assert abs(sc.estimate["ATT"] - each.mean()) < 1e-12  # same post length: plain mean


# ---------------------------------------------------------------------------- bad input
def test_no_never_treated_unit_is_refused():
    Y = np.arange(20.0).reshape(4, 5) + np.random.default_rng(0).normal(size=(4, 5))
    panel = dz.build_panel(_frame(Y, {1: 2003, 2: 2003, 3: 2004, 4: 2004}), unit="unit",
                           time="year", cohort="g")
    with pytest.raises(PanelError, match="No never-treated units in the panel"):
        dz.synthdid(panel, "y")
    with pytest.raises(PanelError, match="No never-treated units"):
        dz.synthetic_control(panel, "y")


def test_unbalanced_panel_and_missing_outcomes_are_refused(prop99_frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        short = dz.build_panel(prop99_frame.drop(index=[5, 6]), unit="State", time="Year",
                               treatment="treated")
    with pytest.raises(PanelError, match=r"unbalanced: 2 of 39 unit\(s\) .*\(2 unit-period rows missing\)"):
        dz.synthdid(short, Y_COL)
    gap = prop99_frame.copy()
    gap.loc[gap.index[:3], Y_COL] = np.nan
    panel = dz.build_panel(gap, unit="State", time="Year", treatment="treated")
    with pytest.raises(PanelError, match=r"missing \(or not finite\) in 3 row\(s\)"):
        dz.synthetic_control(panel, Y_COL)


def test_a_treated_unit_without_pre_periods_is_dropped_by_build_panel(prop99_frame):
    """A unit treated from the first year has no pre-period: build_panel drops it (counted,
    warned) and synthdid runs on the rest."""
    df = prop99_frame.copy()
    df.loc[df["State"] == "Utah", "treated"] = 1
    with pytest.warns(DataDroppedWarning):
        panel = dz.build_panel(df, unit="State", time="Year", treatment="treated")
    res = dz.synthdid(panel, Y_COL, se=None)
    assert res.stats["n_treated"] == 1 and res.stats["n_donors"] == 37


def test_variance_errors_name_the_fix(prop99, three):
    for se in ("jackknife", "bootstrap"):
        with pytest.raises(SpecificationError, match=r"one treated unit.*se='placebo'"):
            dz.synthdid(prop99, Y_COL, se=se)
    Y = np.random.default_rng(1).normal(size=(4, 6)).cumsum(axis=1)
    panel = dz.build_panel(_frame(Y, {3: 2004, 4: 2004}), unit="unit", time="year",
                           cohort="g")
    with pytest.raises(SpecificationError, match="needs more donors .* 2 donors and 2 treated"):
        dz.synthdid(panel, "y", se="placebo")
    with pytest.raises(SpecificationError, match="method must be one of"):
        dz.synthdid(three, Y_COL, method="synth")
    with pytest.raises(SpecificationError, match="not in the panel"):
        dz.synthdid(three, Y_COL, treated="Atlantis")
    with pytest.raises(SpecificationError, match=r"1 unit\(s\) not in the panel, e.g. \[5\]"):
        dz.synthdid(three, Y_COL, treated=["California", 5])
    with pytest.raises(SpecificationError, match="treated is empty"):
        dz.synthdid(three, Y_COL, treated=[])
    with pytest.raises(SpecificationError, match="never-treated unit"):
        dz.synthetic_control(three, Y_COL, treated="Nevada")


# ------------------------------------------------------------------------------ solver parts
def test_solver_helpers_follow_r():
    assert np.allclose(sparsify(np.array([0.5, 0.1, 0.3, 0.1])), [0.625, 0, 0.375, 0])
    assert np.allclose(sum_normalize(np.zeros(4)), 0.25)
    Y = np.arange(12.0).reshape(3, 4)
    c = collapsed(Y, 2, 2)
    assert c.tolist() == [[0, 1, 2.5], [4, 5, 6.5], [8, 9, 10.5]]
    Z = np.random.default_rng(2).normal(size=(3, 5))
    d = [Z[i, j + 1] - Z[i, j] for i in range(3) for j in range(4)]
    assert abs(noise_level(Z) - np.std(d, ddof=1)) < 1e-14
    assert noise_level(Z[:, :1]) == 0.0  # one pre-period: no difference


def test_plots_draw(prop99, three):
    import matplotlib

    matplotlib.use("Agg")
    res = dz.synthdid(prop99, Y_COL, se=None)
    fig = dz.plots.synthetic_plot(res, language="zh")
    assert len(fig.axes) == 2
    fig = dz.plots.synthetic_weights_plot(res, top=5)
    assert len(fig.axes[0].patches) == 5 and len(fig.axes) == 2
    sc = dz.synthetic_control(prop99, Y_COL)
    fig = dz.plots.placebo_gaps_plot(sc, max_pre_mspe_ratio=5)
    assert len(fig.axes[0].lines) >= 30
    two = dz.synthetic_control(three, Y_COL, treated=["California", "Utah"])
    fig = dz.plots.placebo_gaps_plot(two)  # the first treated unit, named in the title
    assert fig.axes[0].get_title() == "In-space placebo gaps (unit California)"
    fig = dz.plots.synthetic_plot(two, which="Utah")
    assert fig.axes[0].get_title() == "Treated and synthetic paths (unit Utah)"
    with pytest.raises(SpecificationError, match="which='Ohio' is not a unit of the result"):
        dz.plots.synthetic_weights_plot(two, which="Ohio")
    with pytest.raises(SpecificationError, match="placebos"):
        dz.plots.placebo_gaps_plot(res)
    with pytest.raises(SpecificationError, match="synthdid or did_zones.synthetic_control"):
        dz.plots.synthetic_plot(dz.twfe(prop99, Y_COL))
