"""triple_difference: reference values frozen from Python moderndid (the port of R triplediff)
and diff-diff's TripleDifference, hand-computed 2×2×2 designs, the naive three-way FE
regression, bad input and invariances. Provenance: tests/reference/ddd_reference.md."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import did_zones as dz
from did_zones.errors import PanelError, SpecificationError

REF = Path(__file__).parent / "reference"
COV = ["cov1", "cov2", "cov3", "cov4"]
pytestmark = pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")


@pytest.fixture(scope="module")
def ref_md():
    return pd.read_csv(REF / "ddd_moderndid.csv")


@pytest.fixture(scope="module")
def ref_dd():
    return pd.read_csv(REF / "ddd_diffdiff.csv")


@pytest.fixture(scope="module")
def panel_2p():
    d = pd.read_csv(REF / "ddd_2p_data.csv")
    d["g"] = np.where(d["state"] == 1, 2, 0)
    return dz.build_panel(d, "id", "time", cohort="g")


@pytest.fixture(scope="module")
def panel_mp():
    return dz.build_panel(pd.read_csv(REF / "ddd_mp_data.csv"), "id", "time", cohort="group")


def _sel(ref, design, cov, method, control="never"):
    return ref[(ref.design == design) & (ref.covariates == cov) & (ref.method == method)
               & (ref.control == control)]


GRID_2P = [(c, m) for c in (False, True) for m in ("dr", "ipw", "reg")]
GRID_MP = [(c, m, k) for c in (False, True) for m in ("dr", "ipw", "reg")
           for k in ("never", "not_yet")]


# ----------------------------------------------------------------- moderndid (R triplediff)


@pytest.mark.parametrize("cov,method", GRID_2P)
def test_two_period_matches_moderndid(panel_2p, ref_md, cov, method):
    r = dz.triple_difference(panel_2p, "y", group="partition", method=method,
                             covariates=COV if cov else ())
    ref = _sel(ref_md, "2p", cov, method).iloc[0]
    assert r.terms == ["ATT"] and r.extra["design"] == "two_period"
    np.testing.assert_allclose(r["ATT"], ref.estimate, rtol=1e-6)
    np.testing.assert_allclose(r.std_error["ATT"], ref.std_error, rtol=1e-4)
    comp = r.extra["did_components"].iloc[0]  # DDD = DiD(4v3) + DiD(4v2) − DiD(4v1)
    np.testing.assert_allclose(comp["S=g,Q=0"] + comp["S=c,Q=1"] - comp["S=c,Q=0"],
                               r["ATT"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("cov,method,control", GRID_MP)
def test_att_gt_and_cohort_aggregation_match_moderndid(panel_mp, ref_md, cov, method, control):
    r = dz.triple_difference(panel_mp, "y", group="partition", method=method, control=control,
                             covariates=COV if cov else ())
    ref = _sel(ref_md, "mp", cov, method, control)
    gt, rg = r.extra["att_gt"], ref[ref.kind == "gt"]
    np.testing.assert_array_equal(gt.keys["cohort"], rg.g)
    np.testing.assert_array_equal(gt.keys["time"], rg.t)
    np.testing.assert_allclose(gt.estimate, rg.estimate, rtol=1e-6, atol=1e-9)
    ok = rg.std_error.notna().to_numpy()  # the reference cells ATT(g, g−1) have none
    np.testing.assert_allclose(gt.std_error[ok], rg.std_error[ok], rtol=1e-4)
    if control == "not_yet":
        assert gt.extra["gmm_cells"] == ("ATT(2,2)",)  # comparisons: never and cohort 3
    coh, rc = r.extra["cohort"], ref[ref.kind == "group"]
    np.testing.assert_allclose(coh.estimate, rc.estimate, rtol=1e-6)
    np.testing.assert_allclose(coh.std_error, rc.std_error, rtol=1e-4)
    # event-time and simple summaries: identical point estimates
    ev = ref[ref.kind == "eventstudy"]
    np.testing.assert_allclose(r.estimate, ev.estimate, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(r.extra["simple"]["overall"],
                               ref[ref.kind == "simple"].estimate.iloc[0], rtol=1e-6)
    # moderndid 0.2 leaves the estimated-weight term out of these two summaries: the
    # weighted ATT(g,t) influence functions alone reproduce its standard errors
    for res, rr in ((r, ev), (r.extra["simple"], ref[ref.kind == "simple"])):
        W = res.extra["weights"].to_numpy()
        psi = gt.influence @ W.T
        se = np.sqrt((psi ** 2).sum(axis=0)) / psi.shape[0]
        ok = rr.std_error.notna().to_numpy()
        np.testing.assert_allclose(se[ok], rr.std_error[ok], rtol=1e-4)


def test_aggregate_influence_adds_r_triplediff_weight_term(panel_mp, ref_md):
    """Our simple summary = R triplediff's: moderndid's frozen ATT(g,t) influence functions
    plus the estimated-weight term of get_weight_influence, computed here by hand."""
    r = dz.triple_difference(panel_mp, "y", group="partition", covariates=COV)
    inf = pd.read_csv(REF / "ddd_mp_inf.csv")
    cols = [c for c in inf.columns if c.startswith("never:")]
    g = np.array([float(c.split(":")[1]) for c in cols])
    t = np.array([float(c.split(":")[2]) for c in cols])
    att = _sel(ref_md, "mp", True, "dr").query("kind == 'gt'").estimate.to_numpy()
    G = pd.read_csv(REF / "ddd_mp_data.csv").groupby("id")["group"].first().to_numpy()
    keep = t >= g
    pg = np.array([np.mean(G == v) for v in g])
    w = pg[keep] / pg[keep].sum()
    Z = np.column_stack([(G == v) - p for v, p in zip(g[keep], pg[keep], strict=True)])
    wif = Z / pg[keep].sum() - Z.sum(axis=1)[:, None] * pg[keep] / pg[keep].sum() ** 2
    psi = inf[cols].to_numpy()[:, keep] @ w + wif @ att[keep]
    se = np.sqrt(np.mean(psi ** 2) / psi.size)
    np.testing.assert_allclose(r.extra["simple"].std_error["overall"], se, rtol=1e-4)


# ------------------------------------------------------------------------------ diff-diff


@pytest.mark.parametrize("cov,method,control", GRID_MP)
def test_matches_diffdiff_with_eligible_cohort_weights(panel_mp, ref_dd, cov, method, control):
    """diff-diff 3.13 TripleDifference (staggered engine, base_period='universal'): the same
    ATT(g,t) and standard errors; its aggregations weight cohorts by P(S=g, Q=1)
    (cohort_weights='eligible') and include the estimated-weight term."""
    r = dz.triple_difference(panel_mp, "y", group="partition", method=method, control=control,
                             covariates=COV if cov else (), cohort_weights="eligible")
    ref = _sel(ref_dd, "mp", cov, method, control)
    gt = r.extra["att_gt"].tidy().set_index(["cohort", "time"])
    rg = ref[ref.kind == "gt"].set_index(["g", "t"])
    ours = gt.loc[list(rg.index)]
    np.testing.assert_allclose(ours.estimate, rg.estimate, rtol=1e-6)
    np.testing.assert_allclose(ours.std_error, rg.std_error, rtol=1e-4)
    np.testing.assert_allclose(r.extra["simple"]["overall"],
                               ref[ref.kind == "simple"].estimate.iloc[0], rtol=1e-6)
    np.testing.assert_allclose(r.extra["simple"].std_error["overall"],
                               ref[ref.kind == "simple"].std_error.iloc[0], rtol=1e-4)
    ev = ref[ref.kind == "eventstudy"]
    mine = r.tidy().set_index("event_time").loc[ev.e.to_numpy()]
    np.testing.assert_allclose(mine.estimate, ev.estimate, rtol=1e-6)
    np.testing.assert_allclose(mine.std_error, ev.std_error, rtol=1e-4)


@pytest.mark.parametrize("cov,method", GRID_2P)
def test_two_period_estimates_match_diffdiff(panel_2p, ref_dd, cov, method):
    """diff-diff's 2×2×2 mode gives the same point estimates (its standard errors use
    another variance, not compared)."""
    r = dz.triple_difference(panel_2p, "y", group="partition", method=method,
                             covariates=COV if cov else ())
    np.testing.assert_allclose(r["ATT"], _sel(ref_dd, "2p", cov, method).estimate.iloc[0],
                               rtol=1e-6)


# ------------------------------------------------------------------- hand computations


def _hand_frame(seed=0, n=40):
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n), 2)
    year = np.tile([2019, 2020], n)
    g = np.repeat(np.where(np.arange(n) < n // 2, 2020, 0), 2)
    q = np.repeat(np.arange(n) % 2, 2)
    y = rng.normal(size=2 * n) + 0.3 * year * q + 2.0 * ((g == 2020) & (q == 1) & (year == 2020))
    return pd.DataFrame({"unit": unit, "year": year, "g": g, "q": q, "y": y})


def test_two_period_is_the_difference_of_eight_means():
    df = _hand_frame()
    wide = df.pivot(index="unit", columns="year", values="y")
    first = df.groupby("unit")[["g", "q"]].first()
    dy = wide[2020] - wide[2019]
    m = {(s, q): dy[(first.g.gt(0) == s) & (first.q == q)].mean()
         for s in (True, False) for q in (0, 1)}
    hand = (m[True, 1] - m[True, 0]) - (m[False, 1] - m[False, 0])
    panel = dz.build_panel(df, "unit", "year", cohort="g")
    for method in ("dr", "ipw", "reg"):
        r = dz.triple_difference(panel, "y", group="q", method=method)
        assert abs(r["ATT"] - hand) < 1e-12
    naive = dz.triple_difference(panel, "y", group="q", naive=True)
    assert abs(naive.estimate.iloc[0] - hand) < 1e-10  # 2×2×2: the regression is the DDD
    assert naive.extra["design"] == "naive_3way_fe"
    assert any("biased under staggered adoption" in n for n in naive.notes)


def test_relabelling_group_flips_the_sign():
    panel = dz.build_panel(_hand_frame(3), "unit", "year", cohort="g")
    a = dz.triple_difference(panel, "y", group="q")
    flipped = panel.with_columns({"q2": 1 - panel.column("q")})
    b = dz.triple_difference(flipped, "y", group="q2")
    assert abs(a["ATT"] + b["ATT"]) < 1e-12
    np.testing.assert_allclose(a.std_error, b.std_error, rtol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), flip=st.booleans())
def test_property_row_order_and_group_relabelling(seed, flip):
    """Staggered design without covariates: shuffling rows changes nothing; relabelling the
    group 0 ↔ 1 flips the sign of every ATT(g,t) and summary (cohort weights are state
    shares, which do not depend on the group)."""
    sim = dz.simulate_ddd_panel(seed=seed % 50, noise=0.02)
    df = sim.data
    rng = np.random.default_rng(seed)
    shuffled = df.iloc[rng.permutation(len(df))].copy()
    if flip:
        shuffled["grp"] = 1 - shuffled["grp"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = dz.triple_difference(dz.build_panel(df, "unit", "year", cohort="cohort"), "y",
                                 group="grp", method="reg")
        b = dz.triple_difference(dz.build_panel(shuffled, "unit", "year", cohort="cohort"),
                                 "y", group="grp", method="reg")
    sign = -1.0 if flip else 1.0
    np.testing.assert_allclose(b.estimate, sign * a.estimate, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b.std_error, a.std_error, rtol=1e-9, atol=1e-12)


def test_caller_frame_is_not_modified_and_constant_shift_is_invariant():
    df = _hand_frame(5)
    before = df.copy()
    panel = dz.build_panel(df, "unit", "year", cohort="g")
    r = dz.triple_difference(panel, "y", group="q")
    pd.testing.assert_frame_equal(df, before)
    shifted = dz.build_panel(df.assign(y=df.y + 100.0), "unit", "year", cohort="g")
    assert abs(dz.triple_difference(shifted, "y", group="q")["ATT"] - r["ATT"]) < 1e-10


# --------------------------------------------------------------------------- bad input


def test_group_is_required_and_checked():
    df = _hand_frame()
    panel = dz.build_panel(df, "unit", "year", cohort="g")
    with pytest.raises(SpecificationError, match="needs group="):
        dz.triple_difference(panel, "y")
    with pytest.raises(SpecificationError, match="qq"):
        dz.triple_difference(panel, "y", group="qq")
    bad = dz.build_panel(df.assign(q=df.q * 2), "unit", "year", cohort="g")
    with pytest.raises(SpecificationError, match=r"must be 0/1.*40 row\(s\)"):
        dz.triple_difference(bad, "y", group="q")
    vary = df.copy()
    vary.loc[vary.year == 2020, "q"] = 1 - vary.loc[vary.year == 2020, "q"]
    with pytest.raises(SpecificationError, match=r"varies within 40 unit\(s\).*time-invariant"):
        dz.triple_difference(dz.build_panel(vary, "unit", "year", cohort="g"), "y", group="q")
    with pytest.raises(SpecificationError, match="method"):
        dz.triple_difference(panel, "y", group="q", method="ols")
    with pytest.raises(SpecificationError, match="window"):
        dz.triple_difference(panel, "y", group="q", window=(3, -3))


def test_empty_cell_is_named_with_counts():
    df = _hand_frame()
    df.loc[(df.g == 0), "q"] = 1  # no ineligible never-enabled unit
    with pytest.raises(PanelError, match=r"never states with q=0: 0.*both values"):
        dz.triple_difference(dz.build_panel(df, "unit", "year", cohort="g"), "y", group="q")
    no_never = _hand_frame().assign(g=2020)
    with pytest.raises(PanelError, match="No never-enabled units"):
        dz.triple_difference(dz.build_panel(no_never, "unit", "year", cohort="g"), "y",
                             group="q")


def test_registry_entry_and_aggregate_of_att_gt(panel_mp):
    spec = dz.estimators.registry.get_spec("triple_difference")
    assert spec.family == "staggered" and not spec.in_default_study and not spec.in_comparison
    assert dz.estimators.registry.aliases()["ddd"] == "triple_difference"
    r = dz.triple_difference(panel_mp, "y", group="partition")
    cal = dz.aggregate(r.extra["att_gt"], "calendar")
    assert cal.method == "triple_difference" and cal.terms[0] == "overall"
    with pytest.raises(SpecificationError, match="extra\\['att_gt'\\]"):
        dz.aggregate(r, "simple")
    win = dz.triple_difference(panel_mp, "y", group="partition", window=(-1, 1))
    assert win.keys["event_time"].dropna().min() == -1


# ------------------------------------------------------------------------ Monte Carlo


def test_monte_carlo_ddd_recovers_truth_and_naive_fe_is_biased():
    """20 draws of simulate_ddd_panel (state and sector trends, effects growing with
    exposure and differing by cohort). Bounds: the DDD mean error within 4 Monte-Carlo
    standard errors (sd/√20) of the truth; the naive three-way FE regression and the plain
    DiD on eligible units off by more than 5 Monte-Carlo standard errors and 5% of the
    truth. benchmarks/coverage_ddd.py runs the larger version with coverage."""
    R = 20
    ddd, naive, plain = [], [], []
    truth = None
    for seed in range(R):
        sim = dz.simulate_ddd_panel(seed=seed)
        panel = dz.build_panel(sim.data, "unit", "year", cohort="cohort")
        r = dz.triple_difference(panel, "y", group="grp", method="reg")
        ddd.append(r["overall"] - sim.overall)
        naive.append(dz.triple_difference(panel, "y", group="grp", naive=True).estimate.iloc[0]
                     - sim.simple)
        elig = dz.build_panel(sim.data[sim.data.grp == 1], "unit", "year", cohort="cohort")
        cs = dz.aggregate(dz.callaway_santanna(elig, "y", base_period="universal"), "event")
        plain.append(cs["overall"] - sim.overall)
        truth = sim
    for errors, biased, ref in ((ddd, False, truth.overall), (naive, True, truth.simple),
                                (plain, True, truth.overall)):
        e = np.asarray(errors)
        mc_se = e.std(ddof=1) / np.sqrt(R)
        if biased:
            assert abs(e.mean()) > 5 * mc_se and abs(e.mean()) > 0.05 * ref
        else:
            assert abs(e.mean()) < 4 * mc_se
    assert np.mean(naive) < 0  # down-weights the long, larger exposures


def test_closed_form_without_covariates_equals_the_drdid_kernels():
    """Without covariates the three kernels reduce to differences of means: the closed form
    used then gives the DRDID kernels' estimate and influence function to 1e-10."""
    from did_zones.estimators import triple

    rng = np.random.default_rng(7)
    n = 300
    S = rng.choice([3.0, 5.0, np.inf], size=n)
    Q = rng.integers(0, 2, size=n).astype(float)
    dy = rng.normal(size=n) + 0.5 * Q
    X = np.ones((n, 1))
    for method in ("dr", "ipw", "reg"):
        for c in (~np.isfinite(S), S == 5.0):
            a1, i1, m1, d1 = triple._ddd(dy, S, Q, X, 3.0, c, method, fast=True)
            a2, i2, m2, d2 = triple._ddd(dy, S, Q, X, 3.0, c, method, fast=False)
            assert abs(a1 - a2) < 1e-10 and np.array_equal(m1, m2)
            np.testing.assert_allclose(i1, i2, rtol=0, atol=1e-10)
            assert d1 == pytest.approx(d2, abs=1e-10)


@pytest.mark.parametrize("control", ["never", "not_yet"])
def test_varying_base_period_matches_moderndid(panel_mp, ref_md, control):
    r = dz.triple_difference(panel_mp, "y", group="partition", covariates=COV,
                             control=control, base_period="varying")
    ref = _sel(ref_md, "mp_varying", True, "dr", control)
    gt = r.extra["att_gt"]
    np.testing.assert_array_equal(gt.keys["cohort"], ref.g)
    np.testing.assert_array_equal(gt.keys["time"], ref.t)
    np.testing.assert_allclose(gt.estimate, ref.estimate, rtol=1e-6)
    np.testing.assert_allclose(gt.std_error, ref.std_error, rtol=1e-4)


def test_bootstrap_against_analytic_within_monte_carlo_bounds(panel_mp):
    """999 multiplier draws: each bootstrap standard error within 15% of the analytic one
    (the IQR-based bootstrap SE has a Monte-Carlo relative sd of about 3.5% at B = 999, so
    the bound is 4 sd); the sup-t critical value of the event-time band lies between the
    pointwise 1.96 and the Bonferroni value; a seed reproduces the draws."""
    a = dz.triple_difference(panel_mp, "y", group="partition", covariates=COV)
    b = dz.triple_difference(panel_mp, "y", group="partition", covariates=COV, n_boot=999,
                             seed=11)
    ok = a.std_error.to_numpy() > 0
    ratio = b.std_error.to_numpy()[ok] / a.std_error.to_numpy()[ok]
    assert np.all(np.abs(ratio - 1) < 0.15), ratio
    k = int(b.keys["event_time"].notna().sum())  # the band's terms (e = -1 included)
    from scipy import stats
    assert 1.959 < b.crit_value < stats.norm.ppf(1 - 0.025 / k) + 0.05
    assert b.spec["seed"] == 11 and b.spec["n_boot"] == 999
    c = dz.triple_difference(panel_mp, "y", group="partition", covariates=COV, n_boot=999,
                             seed=11)
    np.testing.assert_array_equal(b.std_error, c.std_error)


def _small_sim(seed=4, n_cities=60):
    data = dz.simulate_ddd_panel(seed=seed).data
    keep = np.sort(data["city_code"].unique())[:n_cities]
    return data[data["city_code"].isin(keep)].reset_index(drop=True)


def test_naive_three_way_fe_equals_least_squares_with_dummies():
    """The naive regression against numpy least squares with explicit unit, period×group
    and period×cohort dummies (coefficient to 1e-8), clustered SE against the CRV1 sandwich
    with Stata's G/(G−1)·(N−1)/(N−K) (K without the unit effects nested in the clusters, plus the constant)."""
    df = _small_sim()
    panel = dz.build_panel(df, "unit", "year", cohort="cohort")
    res = dz.triple_difference(panel, "y", group="grp", naive=True)
    d = ((df.cohort > 0) & (df.year >= df.cohort)).astype(float) * df.grp
    X = pd.concat([d.rename("ddd"),
                   pd.get_dummies(df.unit, prefix="u", dtype=float),
                   pd.get_dummies(df.year.astype(str) + "_" + df.grp.astype(str), dtype=float,
                                  drop_first=True),
                   pd.get_dummies(df.year.astype(str) + "c" + df.cohort.astype(str),
                                  dtype=float, drop_first=True)], axis=1).to_numpy()
    beta, *_ = np.linalg.lstsq(X, df.y.to_numpy(), rcond=None)
    assert abs(res.estimate.iloc[0] - beta[0]) < 1e-8
    # reghdfe: the unit effects are nested in the unit clusters and not counted in K, but
    # for the constant they absorb; with three sets of effects the count of the others may
    # keep redundancies (reghdfe's conservative rule), at most the cohort levels
    exact = np.linalg.matrix_rank(X) - df.unit.nunique() + 1
    K = res.stats["n_fe_params"] + 1
    assert exact <= K <= exact + df.cohort.nunique() - 1
    e = df.y.to_numpy() - X @ beta
    XtX_inv = np.linalg.pinv(X.T @ X)
    codes = pd.factorize(df.unit)[0]
    S = np.zeros((codes.max() + 1, X.shape[1]))
    np.add.at(S, codes, X * e[:, None])
    G, N = S.shape[0], X.shape[0]
    V = XtX_inv @ (S.T @ S) @ XtX_inv * G / (G - 1) * (N - 1) / (N - K)
    np.testing.assert_allclose(res.std_error.iloc[0], np.sqrt(V[0, 0]), rtol=1e-6)


def test_cluster_sums_influence_functions_within_clusters():
    df = _small_sim(5)
    panel = dz.build_panel(df, "unit", "year", cohort="cohort")
    for control in ("never", "not_yet"):
        a = dz.triple_difference(panel, "y", group="grp", control=control)
        b = dz.triple_difference(panel, "y", group="grp", control=control, cluster="city_code")
        gt = a.extra["att_gt"]
        city = df.groupby("unit")["city_code"].first().loc[gt.influence_index].to_numpy()
        psi = b.extra["att_gt"].influence
        S = pd.DataFrame(psi).groupby(city).sum().to_numpy()
        V = S.T @ S / psi.shape[0] ** 2
        np.testing.assert_allclose(b.extra["att_gt"].std_error, np.sqrt(np.diag(V)),
                                   rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-12)
        assert b.n_clusters == np.unique(city).size


def test_missing_group_rows_are_dropped_with_a_count():
    df = _small_sim(6, 30)
    df.loc[df.index[:3], "grp"] = np.nan  # three rows of the first unit
    panel = dz.build_panel(df, "unit", "year", cohort="cohort")
    with pytest.warns(dz.DataDroppedWarning, match=r"3 row\(s\) with missing group 'grp'"):
        res = dz.triple_difference(panel, "y", group="grp", method="reg")
    assert any("not observed (with finite outcome, group and covariates)" in n
               for n in res.notes)
    assert res.extra["att_gt"].n_units == df.unit.nunique() - 1
    with pytest.raises(SpecificationError, match="cohort_weights"):
        dz.triple_difference(panel, "y", group="grp", cohort_weights="treated")
