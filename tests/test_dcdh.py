"""dcdh: DID_M, placebos and dynamic effects against hand computations, known truths and
peer software (moderndid's did_multiplegt and aggte, frozen in tests/reference)."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import data_file

from did_zones import build_panel, dcdh
from did_zones.errors import (
    EstimationError,
    InferenceWarning,
    SmallCohortWarning,
    SpecificationError,
)
from did_zones.inference import influence_vcov

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference" / "dcdh_mpdta.csv"


def quiet(*args, **kwargs):
    """dcdh with the few-cluster and small-cell warnings of tiny hand panels silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        warnings.simplefilter("ignore", SmallCohortWarning)
        return dcdh(*args, **kwargs)


def make_frame(cohorts, n_periods, outcome, first=1):
    """Long frame from a per-unit cohort list (np.inf = never) and y = outcome(unit, t)."""
    rows = []
    for u, g in enumerate(cohorts):
        for t in range(first, first + n_periods):
            rows.append({"unit": u, "year": t, "g": g, "y": outcome(u, t, g)})
    df = pd.DataFrame(rows)
    df["g"] = df["g"].replace(np.inf, 0)
    return df


def simulated(n_units=400, n_periods=8, seed=0, effect=None, noise=1.0, never_share=0.3):
    """Staggered panel: unit and period effects, cohort-specific trends-free outcome."""
    rng = np.random.default_rng(seed)
    choices = np.array([3, 4, 5, 6, np.inf])
    probs = np.array([0.7 / 4] * 4 + [never_share])
    cohorts = rng.choice(choices, size=n_units, p=probs / probs.sum())
    alpha = rng.normal(size=n_units)
    lam = rng.normal(size=n_periods + 1)
    eps = noise * rng.normal(size=(n_units, n_periods + 1))
    effect = effect or (lambda g, e: 0.0)

    def y(u, t, g):
        treated = t >= g
        return alpha[u] + lam[t] + (effect(g, t - g) if treated else 0.0) + eps[u, t]

    return make_frame(cohorts, n_periods, y), cohorts


# --------------------------------------------------------------------------- (a) 2 x 2


def test_two_by_two_is_difference_of_four_means():
    rng = np.random.default_rng(1)
    y = rng.normal(size=(7, 2)) * 3 + 10
    df = pd.DataFrame({"unit": np.repeat(np.arange(7), 2), "year": [2015, 2016] * 7,
                       "y": y.reshape(-1)})
    panel = build_panel(df, unit="unit", time="year", cohort={0: 2016, 1: 2016, 2: 2016})
    res = quiet(panel, "y")
    expected = ((y[:3, 1].mean() - y[:3, 0].mean()) - (y[3:, 1].mean() - y[3:, 0].mean()))
    assert abs(res["DID_M"] - expected) < 1e-12
    assert res.terms == ["DID_M"]
    assert res.primary == "DID_M"
    assert res.n_obs == 14 and res.n_units == 7
    # two-sample influence function of a difference in mean changes, by hand
    d = y[:, 1] - y[:, 0]
    var = (((d[:3] - d[:3].mean()) ** 2).sum() / 9 + ((d[3:] - d[3:].mean()) ** 2).sum() / 16)
    assert res.std_error["DID_M"] == pytest.approx(np.sqrt(var), rel=1e-12)


# ----------------------------------------------------------------- (b) tiny staggered


@pytest.fixture(scope="module")
def tiny():
    # 6 units x 4 periods: units 0-1 adopt in 2, unit 2 in 3, unit 3 in 4, units 4-5 never
    Y = np.array([
        [1.0, 4.0, 6.0, 7.0],
        [2.0, 3.0, 9.0, 8.0],
        [0.0, 2.0, 7.0, 5.0],
        [5.0, 4.0, 4.0, 10.0],
        [3.0, 5.0, 4.0, 6.0],
        [1.0, 1.0, 3.0, 2.0],
    ])
    cohorts = [2, 2, 3, 4, np.inf, np.inf]
    df = make_frame(cohorts, 4, lambda u, t, g: Y[u, t - 1])
    return df, Y


def test_tiny_panel_did_m_by_hand(tiny):
    df, Y = tiny
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y", window=(-2, 1))
    # t=2: joiners {0,1}, stable untreated {2,3,4,5}
    did2 = ((4 - 1) + (3 - 2)) / 2 - ((2 - 0) + (4 - 5) + (5 - 3) + (1 - 1)) / 4
    # t=3: joiner {2}, stable untreated {3,4,5}
    did3 = (7 - 2) - ((4 - 4) + (4 - 5) + (3 - 1)) / 3
    # t=4: joiner {3}, stable untreated {4,5}
    did4 = (10 - 4) - ((6 - 4) + (2 - 3)) / 2
    did_m = (2 * did2 + 1 * did3 + 1 * did4) / 4
    assert abs(res["DID_M"] - did_m) < 1e-12
    assert abs(res["effect_0"] - did_m) < 1e-12
    # effect_1: cohort 2 (Y3 - Y1) vs units untreated at 3 {3,4,5}; cohort 3 (Y4 - Y2) vs {4,5}
    c2 = ((6 - 1) + (9 - 2)) / 2 - ((4 - 5) + (4 - 3) + (3 - 1)) / 3
    c3 = (5 - 2) - ((6 - 5) + (2 - 1)) / 2
    assert abs(res["effect_1"] - (2 * c2 + c3) / 3) < 1e-12
    # placebo_1: cohort 3 (Y1 - Y2) vs units untreated at 3 {3,4,5};
    #            cohort 4 (Y2 - Y3) vs units untreated at 4 {4,5}
    p3 = (0 - 2) - ((5 - 4) + (3 - 5) + (1 - 1)) / 3
    p4 = (4 - 4) - ((5 - 4) + (1 - 3)) / 2
    assert abs(res["placebo_1"] - (p3 + p4) / 2) < 1e-12
    keys = res.keys
    assert keys.loc["placebo_1", "event_time"] == -2
    assert keys.loc["effect_1", "event_time"] == 1
    assert keys.loc["DID_M", "n_switchers"] == 4
    assert keys.loc["effect_1", "n_switchers"] == 3
    cells = res.extra["cells"]
    assert cells.query("term == 'DID_M'")["weight"].tolist() == [0.5, 0.25, 0.25]


def test_tiny_panel_influence_function_by_hand(tiny):
    df, Y = tiny
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y")
    theta = res["DID_M"]
    d = Y[:, 1:] - Y[:, :-1]  # changes into t = 2, 3, 4
    cells = [([0, 1], [2, 3, 4, 5], 0), ([2], [3, 4, 5], 1), ([3], [4, 5], 2)]
    psi = np.zeros(6)
    for joiners, stable, j in cells:
        m0 = d[stable, j].mean()
        for i in joiners:
            psi[i] += d[i, j] - m0 - theta
        for i in stable:
            psi[i] -= len(joiners) / len(stable) * (d[i, j] - m0)
    psi *= 6 / 4
    np.testing.assert_allclose(res.influence[:, 0], psi, rtol=1e-12, atol=1e-14)
    assert res.std_error["DID_M"] == pytest.approx(np.sqrt((psi ** 2).sum()) / 6, rel=1e-12)


# ------------------------------------------------------------------- (c) known truth


def test_homogeneous_noiseless_effect_is_exact():
    df, _ = simulated(n_units=60, noise=0.0, effect=lambda g, e: 2.5)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = dcdh(panel, "y", window=(-3, 2))
    for term in ("DID_M", "effect_0", "effect_1", "effect_2"):
        assert abs(res[term] - 2.5) < 1e-10
    for term in ("placebo_1", "placebo_2"):
        assert abs(res[term]) < 1e-10


def test_heterogeneous_effects_recover_switcher_weighted_truth():
    def effect(g, e):
        return 0.5 * g + 1.0 * e + 0.1 * g * e

    df, cohorts = simulated(n_units=80, noise=0.0, effect=effect)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = dcdh(panel, "y", window=(-2, 2))
    last = 8
    finite = cohorts[np.isfinite(cohorts)]
    never = np.isinf(cohorts).any()
    for e in range(3):
        # switchers whose period g+e is in the sample and has a not-yet-treated comparison
        ok = [g for g in finite if g + e <= last and (never or (cohorts > g + e).any())]
        truth = np.mean([effect(g, e) for g in ok])
        assert abs(res[f"effect_{e}"] - truth) < 1e-10
    assert abs(res["DID_M"] - np.mean([effect(g, 0) for g in finite])) < 1e-10
    assert abs(res["placebo_1"]) < 1e-10


# ------------------------------------------------------------------- (d) peer values


@pytest.fixture(scope="module")
def mpdta():
    df = pd.read_csv(data_file("mpdta.csv"))
    return df, build_panel(df, unit="countyreal", time="year", cohort="first.treat")


def test_mpdta_matches_did_multiplegt_and_aggte(mpdta):
    _, panel = mpdta
    ref = pd.read_csv(REFERENCE)
    res = dcdh(panel, "lemp", window=(-3, 3))
    dyn = ref[ref.source == "did_multiplegt"].set_index("term")
    cs = ref[ref.source == "aggte_notyet"].set_index("term")
    for term, row in dyn.iterrows():
        assert res[term] == pytest.approx(row.estimate, rel=1e-6)
        assert res.extra["std_error_dyn"][term] == pytest.approx(row.std_error, rel=1e-4)
        assert res.keys.loc[term, "n_switchers"] == row.n_switchers
    for term, row in cs.iterrows():
        assert res[term] == pytest.approx(row.estimate, rel=1e-6)
        assert res.std_error[term] == pytest.approx(row.std_error, rel=1e-4)
    assert res["DID_M"] == pytest.approx(dyn.loc["effect_0", "estimate"], rel=1e-6)
    assert res.n_units == 500 and res.n_clusters == 500


def test_simulated_panel_matches_did_multiplegt_dyn():
    data = pd.read_csv(ROOT / "tests" / "reference" / "dcdh_sim_data.csv")
    ref = pd.read_csv(ROOT / "tests" / "reference" / "dcdh_sim_dyn.csv")
    panel = build_panel(data, unit="unit", time="year", cohort="g")
    for label, controls in (("none", ()), ("x", ("x",))):
        res = dcdh(panel, "y", window=(-3, 2), controls=controls)
        for _, row in ref[ref.controls == label].iterrows():
            assert res[row.term] == pytest.approx(row.estimate, rel=1e-6)
            assert res.keys.loc[row.term, "n_switchers"] == row.n_switchers
            if not controls:
                assert res.extra["std_error_dyn"][row.term] == pytest.approx(row.std_error,
                                                                            rel=1e-4)


# ------------------------------------------------------------------- (e) invariances


def test_invariances_and_caller_frame_untouched():
    df, _ = simulated(n_units=120, seed=3)
    before = df.copy()
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    base = dcdh(panel, "y", window=(-3, 2))
    pd.testing.assert_frame_equal(df, before)

    shuffled = df.sample(frac=1.0, random_state=5)
    shuffled["unit"] = "c" + (shuffled["unit"] * 7 % 1009).astype(str)  # relabel units
    shuffled["y"] = shuffled["y"] + 100.0 + shuffled["year"] * 0.3  # constant + period shock
    res = dcdh(build_panel(shuffled, unit="unit", time="year", cohort="g"), "y",
               window=(-3, 2))
    np.testing.assert_allclose(res.estimate, base.estimate, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.std_error, base.std_error, rtol=1e-9)

    unit_fe = df.assign(y=df["y"] + df["unit"] ** 2)  # unit fixed effects difference out
    res = dcdh(build_panel(unit_fe, unit="unit", time="year", cohort="g"), "y",
               window=(-3, 2))
    np.testing.assert_allclose(res.estimate, base.estimate, rtol=1e-9, atol=1e-12)

    scaled = df.assign(y=df["y"] * -3.0)
    res = dcdh(build_panel(scaled, unit="unit", time="year", cohort="g"), "y",
               window=(-3, 2))
    np.testing.assert_allclose(res.estimate, -3.0 * base.estimate, rtol=1e-9)
    np.testing.assert_allclose(res.std_error, 3.0 * base.std_error, rtol=1e-9)


def test_unbalanced_rows_are_left_out_of_their_cells_only():
    df, _ = simulated(n_units=150, seed=4)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    full = dcdh(panel, "y", window=(-1, 1))
    # dropping a never-treated unit's year 5 row removes it from the cells using year 5
    unit = int(df.loc[df["g"] == 0, "unit"].iloc[0])
    holed = df[~((df["unit"] == unit) & (df["year"] == 5))]
    res = dcdh(build_panel(holed, unit="unit", time="year", cohort="g"), "y", window=(-1, 1))
    cells = res.extra["cells"].set_index(["term", "cohort"])
    ref_cells = full.extra["cells"].set_index(["term", "cohort"])
    uses_5 = (cells["time"] == 5) | (cells["base_time"] == 5)
    assert (cells.loc[uses_5, "n_controls"] == ref_cells.loc[uses_5, "n_controls"] - 1).all()
    assert (cells.loc[~uses_5, "n_controls"] == ref_cells.loc[~uses_5, "n_controls"]).all()
    # and a missing outcome value behaves exactly like a missing row
    nan_frame = df.copy()
    nan_frame.loc[(df["unit"] == unit) & (df["year"] == 5), "y"] = np.nan
    with pytest.warns(Warning, match="1 row"):
        res_nan = dcdh(build_panel(nan_frame, unit="unit", time="year", cohort="g"), "y",
                       window=(-1, 1))
    np.testing.assert_allclose(res_nan.estimate, res.estimate, rtol=1e-12)
    assert any("dropped for missing values" in n for n in res_nan.notes)


# ------------------------------------------------------------------ clustering, bootstrap


def test_cluster_sums_of_the_influence_function():
    df, _ = simulated(n_units=300, seed=6)
    df["province"] = df["unit"] % 37
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    by_unit = dcdh(panel, "y", window=(-2, 1))
    by_prov = dcdh(panel, "y", window=(-2, 1), cluster="province")
    np.testing.assert_allclose(by_prov.estimate, by_unit.estimate, rtol=1e-12)
    prov = df.groupby("unit")["province"].first().reindex(by_prov.influence_index)
    V, G = influence_vcov(by_prov.influence, prov.to_numpy())
    np.testing.assert_allclose(by_prov.vcov.to_numpy(), V, rtol=1e-12)
    assert by_prov.n_clusters == G == 37
    # clustering on a unit-level identifier is the unit default
    df["same"] = df["unit"] + 1000
    same = dcdh(build_panel(df, unit="unit", time="year", cohort="g"), "y",
                window=(-2, 1), cluster="same")
    np.testing.assert_allclose(same.vcov.to_numpy(), by_unit.vcov.to_numpy(), rtol=1e-12)


def _expand(df, counts, block_of_unit):
    """Resampled frame: each unit repeated as often as its block (unit or cluster) drawn."""
    pieces = []
    for blk, k in enumerate(counts):
        for copy in range(int(k)):
            units = np.flatnonzero(block_of_unit == blk)
            part = df[df["unit"].isin(units)].copy()
            part["unit"] = part["unit"].astype(str) + f"_{blk}_{copy}"
            pieces.append(part)
    return pd.concat(pieces, ignore_index=True)


@pytest.mark.parametrize("with_controls", [False, True])
@pytest.mark.parametrize("clustered", [False, True])
def test_bootstrap_draw_is_the_estimator_on_the_resample(with_controls, clustered):
    df, _ = simulated(n_units=60, seed=7)
    rng = np.random.default_rng(9)
    df["x"] = rng.normal(size=len(df)) + 0.2 * df["year"]
    df["prov"] = df["unit"] % 12
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    opts = {"window": (-2, 1), "controls": ("x",) if with_controls else (),
            "cluster": "prov" if clustered else "unit"}
    res = quiet(panel, "y", n_boot=5, seed=2024, **opts)
    again = quiet(panel, "y", n_boot=5, seed=2024, **opts)
    np.testing.assert_array_equal(res.extra["bootstrap_draws"], again.extra["bootstrap_draws"])
    # reproduce the first block of counts and rerun the estimator on the resampled panel
    block_of_unit = (np.arange(60) % 12) if clustered else np.arange(60)
    n_blocks = 12 if clustered else 60
    child = np.random.SeedSequence(2024).spawn(1)[0]
    counts = np.random.default_rng(child).multinomial(n_blocks, np.full(n_blocks, 1 / n_blocks),
                                                      size=5)
    for b in range(2):
        resampled = _expand(df, counts[b], block_of_unit)
        direct = quiet(build_panel(resampled, unit="unit", time="year", cohort="g"), "y",
                       window=(-2, 1), controls=opts["controls"])
        np.testing.assert_allclose(res.extra["bootstrap_draws"][b], direct.estimate.to_numpy(),
                                   rtol=1e-9, atol=1e-12)


def test_bootstrap_se_agrees_with_analytic_within_monte_carlo_error():
    df, _ = simulated(n_units=800, seed=11)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = dcdh(panel, "y", window=(-1, 1), n_boot=2000, seed=1)
    analytic = np.sqrt(np.diag(res.extra["vcov_analytic"].to_numpy()))
    # the bootstrap SD of 2000 draws has a relative Monte Carlo error of about 1.6%;
    # 8% is five of those
    np.testing.assert_allclose(res.std_error.to_numpy(), analytic, rtol=0.08)
    assert res.spec["se"] == "bootstrap" and res.crit_value > 1.96
    assert res.conf_int(uniform=True).shape == (3, 2)


# --------------------------------------------------------------------------- controls


def test_controls_remove_a_confounding_covariate_exactly():
    rng = np.random.default_rng(12)
    df, cohorts = simulated(n_units=90, noise=0.0, effect=lambda g, e: 1.5, seed=12)
    g = df["g"].replace(0, np.inf)
    # the covariate trends up after adoption: ignoring it biases the DID
    df["x"] = rng.normal(size=len(df)) + np.where(df["year"] >= g, df["year"] - g + 1.0, 0.0)
    df["y"] = df["y"] + 0.8 * df["x"]
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    naive = dcdh(panel, "y", window=(-1, 1))
    assert abs(naive["DID_M"] - 1.5) > 0.1
    res = dcdh(panel, "y", window=(-2, 1), controls="x")
    assert abs(res.extra["control_coefficients"]["x"] - 0.8) < 1e-10
    for term in ("DID_M", "effect_0", "effect_1"):
        assert abs(res[term] - 1.5) < 1e-10
    assert abs(res["placebo_1"]) < 1e-10
    assert any("Controls ['x']" in n for n in res.notes)


def test_controls_influence_function_matches_the_bootstrap():
    df, _ = simulated(n_units=800, seed=13)
    rng = np.random.default_rng(13)
    df["x"] = rng.normal(size=len(df)) + 0.5 * rng.normal(size=df["unit"].max() + 1)[df["unit"]]
    df["y"] = df["y"] + 0.7 * df["x"]
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = dcdh(panel, "y", window=(-1, 1), controls=["x"], n_boot=2000, seed=3)
    analytic = np.sqrt(np.diag(res.extra["vcov_analytic"].to_numpy()))
    # same Monte Carlo bound as above; ignoring the first stage would change the SE
    # only slightly here, so this checks the assembly, the exact pieces are tested above
    np.testing.assert_allclose(res.std_error.to_numpy(), analytic, rtol=0.08)


def test_controls_influence_function_is_the_derivative():
    """ψ_i = n · d θ / d w_i: weight a unit by (1 + h) by duplicating it when h = 1 is too
    coarse, so compare with a numerical derivative of an explicit weighted estimator."""
    df, _ = simulated(n_units=40, seed=14, n_periods=5)
    rng = np.random.default_rng(14)
    df["x"] = rng.normal(size=len(df))
    df["y"] = df["y"] + 0.4 * df["x"]
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y", controls="x")
    Y = df.pivot(index="unit", columns="year", values="y").to_numpy()
    X = df.pivot(index="unit", columns="year", values="x").to_numpy()
    G = panel.cohort  # cohort 6 lies after the last year: never treated in the sample
    years = np.arange(1, 6)

    def weighted(w):
        # first stage: weighted regression of ΔY on ΔX and year dummies, not-yet-treated
        rows, ys, xs, ws = [], [], [], []
        for j in range(1, 5):
            keep = G > years[j]
            for i in np.flatnonzero(keep):
                rows.append(j)
                ys.append(Y[i, j] - Y[i, j - 1])
                xs.append(X[i, j] - X[i, j - 1])
                ws.append(w[i])
        Z = np.column_stack([xs, np.eye(5)[rows][:, 1:]])
        W = np.array(ws)
        beta = np.linalg.solve(Z.T @ (Z * W[:, None]), Z.T @ (np.array(ys) * W))[0]
        Yt = Y - beta * X
        num = den = 0.0
        for c in np.unique(G[np.isfinite(G)]):
            j = int(c) - 1
            J, S = G == c, G > c
            if not S.any():
                continue
            d = Yt[:, j] - Yt[:, j - 1]
            n1 = w[J].sum()
            num += (w[J] * d[J]).sum() - n1 * (w[S] * d[S]).sum() / w[S].sum()
            den += n1
        return num / den

    n = len(G)
    base = weighted(np.ones(n))
    assert base == pytest.approx(res["DID_M"], abs=1e-12)
    h = 1e-6
    numeric = np.array([(weighted(np.ones(n) + h * np.eye(n)[i]) - base) / h * n
                        for i in range(n)])
    np.testing.assert_allclose(res.influence[:, 0], numeric, atol=1e-4)


# ------------------------------------------------------------ (f) notes and errors


def test_period_without_comparison_is_skipped_and_noted():
    # no never-treated units: the last cohort (4) has no untreated comparison at 4
    cohorts = [2, 2, 3, 3, 4, 4]
    df = make_frame(cohorts, 4, lambda u, t, g: u + t ** 2 + (3.0 if t >= g else 0.0))
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y")
    assert res["DID_M"] == pytest.approx(3.0, abs=1e-12)
    assert res.keys.loc["DID_M", "n_switchers"] == 4
    note = next(n for n in res.notes if n.startswith("DID_M:"))
    assert "1 cohort cell(s) skipped" in note and "[4]" in note and "2 switcher(s)" in note
    cells = res.extra["cells"]
    assert not cells.loc[cells.cohort == 4, "used"].any()


def test_cohort_whose_periods_are_unobserved_is_noted():
    # year 3 is missing for everyone (a gap in the panel): cohorts 3 and 4 cannot be used
    df, _ = simulated(n_units=60, seed=8, n_periods=6)
    gap = df[df["year"] != 3]
    panel = build_panel(gap, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y")
    note = next(n for n in res.notes if n.startswith("DID_M:") and "no unit" in n)
    n34 = int(np.isin(panel.cohort, [3, 4]).sum())
    assert f"2 cohort(s) [3, 4] ({n34} unit(s))" in note and "['2->3', '3->4']" in note
    assert res.keys.loc["DID_M", "n_switchers"] == int(np.isin(panel.cohort, [5, 6]).sum())


def test_no_usable_switching_period_raises():
    # everyone adopts at the same date and nobody stays untreated
    df = make_frame([3, 3, 3], 4, lambda u, t, g: float(u * t))
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.raises(EstimationError, match="No period has both switchers"):
        quiet(panel, "y")


def test_infeasible_placebo_and_dynamic_give_the_largest_feasible_value(tiny):
    df, _ = tiny
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.raises(EstimationError, match=r"window lo=-4 \(placebo_1..placebo_3\) requested "
                       r"but placebo_2 cannot be estimated.*widest feasible window has lo=-2: "
                       r"window=\(-2, 0\)"):
        quiet(panel, "y", window=(-4, 0))
    with pytest.raises(EstimationError, match=r"window hi=3 \(effect_0..effect_3\) requested "
                       r"but effect_3 cannot be estimated.*widest feasible window has hi=2: "
                       r"window=\(-1, 2\)"):
        quiet(panel, "y", window=(-1, 3))


def test_placebo_without_two_pre_periods_raises():
    # adoption in the second period: no cohort has a period two before adoption
    df = make_frame([2, 2, np.inf, np.inf], 3, lambda u, t, g: float(u + t))
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.raises(EstimationError, match=r"window lo=-2 \(placebo_1..placebo_1\) requested but placebo_1 cannot be "
                                              r"estimated: no cohort has its outcome observed 2 period\(s\) before"):
        quiet(panel, "y", window=(-2, 0))


@pytest.mark.parametrize("kwargs, message", [
    ({"window": (0, 2)}, r"window must be a pair of integers \(lo, hi\) with lo <= hi, "
                         r"e.g. \(-4, 5\), and lo <= -1; got \(0, 2\)"),
    ({"window": (-2, -1)}, r"and hi >= 0; got \(-2, -1\)"),
    ({"window": (-2, 1.5)}, r"window must be a pair of integers"),
    ({"window": (-2, 1), "dynamic": 1}, r"Give window=\(lo, hi\) only; dynamic \(deprecated\)"),
    # the deprecated names keep their checks for one release
    ({"placebo": -1}, "placebo must be a non-negative integer; got -1"),
    ({"dynamic": 1.5}, "dynamic must be a non-negative integer; got 1.5"),
    ({"n_boot": 1}, "n_boot must be None or an integer of at least 2; got 1"),
    ({"alpha": 1.2}, "alpha must lie strictly between 0 and 1"),
    ({"controls": ["y"]}, "The outcome 'y' cannot also be a control"),
    ({"controls": ["yy"]}, "Column 'yy' not found"),
    ({"cluster": "prov"}, "The cluster column 'prov' is not constant within unit for 6 unit"),
    ({"cluster": 3}, "cluster must be 'unit' or the name of a column; got 3"),
    ({"controls": ["flat"]}, r"do\(es\) not change over time among untreated units"),
])
def test_option_errors(tiny, kwargs, message):
    df, _ = tiny
    df = df.assign(prov=df["year"] % 2, flat=df["unit"] * 1.0)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.raises(SpecificationError, match=message):
        quiet(panel, "y", **kwargs)


def test_not_a_panel_and_few_clusters_warning(tiny):
    df, _ = tiny
    with pytest.raises(SpecificationError, match="panel must be a did_zones Panel"):
        dcdh(df, "y")
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with pytest.warns(InferenceWarning, match="Only 6 clusters"):
        dcdh(panel, "y")


def test_single_comparison_unit_warns():
    df = make_frame([2, 3, np.inf], 3, lambda u, t, g: float(u * t + t))
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        with pytest.warns(SmallCohortWarning, match="single comparison unit"):
            dcdh(panel, "y")


# ------------------------------------------------------------------------------ speed


def test_large_panel_terms():
    """5,000 units x 20 periods, 199 bootstrap draws (timed in benchmarks/bench_scenarios.py)."""
    rng = np.random.default_rng(0)
    n, T = 5000, 20
    cohorts = rng.choice(np.r_[np.arange(5, 19), np.inf], size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), T), "year": np.tile(np.arange(T), n),
                       "g": np.repeat(np.where(np.isinf(cohorts), 0, cohorts), T)})
    df["y"] = rng.normal(size=len(df))
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = dcdh(panel, "y", window=(-4, 5), n_boot=199, seed=0)
    assert len(res.terms) == 10
    assert np.isfinite(res.estimate).all() and (res.std_error > 0).all()
