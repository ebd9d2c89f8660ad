"""Extended TWFE (did_zones.estimators.etwfe) against R etwfe, statsmodels and known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from conftest import quiet as _quiet

import did_zones as dz
from did_zones.errors import SpecificationError
from did_zones.estimators.etwfe import etwfe_aggregate

DATA = "tests/data/mpdta.csv"

# R etwfe 0.6.2 inst/tinytest/test_emfx.R (see tests/reference/etwfe_reference.md)
SIMPLE = (-0.0506270331228907, 0.0124972546529842)
CALENDAR = ([-0.0212480022225509, -0.0818499992698648, -0.0442655912990223,
             -0.0524323095862384],
            [0.0217240109737018, 0.0273693827216135, 0.0173733625406716, 0.015015825012757])
GROUP = ([-0.0876269608795944, -0.0212783329358987, -0.0459545277368072],
         [0.0230474099815232, 0.0185912208081438, 0.0179714452432232])
EVENT = ([-0.0332122037837542, -0.0573456479257483, -0.137870386660852, -0.10953945536511],
         [0.0133659635774059, 0.0171496442892364, 0.0307883597041053, 0.0323152785480507])
# cgroup = "never", window = c(2, 3); e = -1 is the reference (0, no SE) and is not a term here
EVENT_NEVER = ([0.0234649547538384, -0.0211467366918433, -0.0533558653415615,
                -0.141080104628566, -0.107544274673025],
               [0.0145314904277398, 0.0113935648352396, 0.0157744281621729,
                0.0322891808795742, 0.0329231688783015])
EVENT_POIS = ([-25.3497484355494, 1.09175116997388, -75.1246321552693, -101.823979344829],
              [15.8862762958862, 40.2952222352926, 23.1541376499351, 27.0877431076141])




@pytest.fixture(scope="module")
def mpdta():
    df = pd.read_csv(DATA)
    df["emp"] = np.exp(df["lemp"])
    return df


@pytest.fixture(scope="module")
def panel(mpdta):
    return _quiet(dz.build_panel, mpdta, unit="countyreal", time="year", cohort="first.treat")


@pytest.fixture(scope="module")
def fit(panel):
    return _quiet(dz.etwfe, panel, "lemp", controls="lpop")


def _check(res, terms, ref):
    est, se = ref
    np.testing.assert_allclose(res.estimate[terms].to_numpy(), est, rtol=1e-6)
    np.testing.assert_allclose(res.std_error[terms].to_numpy(), se, rtol=1e-4)


def test_simple_matches_r_etwfe(fit):
    agg = dz.aggregate(fit, "simple")
    assert agg.terms == ["overall"]
    _check(agg, ["overall"], ([SIMPLE[0]], [SIMPLE[1]]))


def test_event_group_calendar_match_r_etwfe(fit):
    _check(dz.aggregate(fit, "event"), [f"ATT(e={e})" for e in range(4)], EVENT)
    _check(dz.aggregate(fit, "cohort"), [f"ATT(g={g})" for g in (2004, 2006, 2007)], GROUP)
    _check(dz.aggregate(fit, "calendar"), [f"ATT(t={t})" for t in range(2004, 2008)],
           CALENDAR)


def test_never_treated_comparison_matches_r_etwfe(panel):
    res = _quiet(dz.etwfe, panel, "lemp", controls="lpop", control="never")
    agg = etwfe_aggregate(res, "event", window=(-2, 3))
    _check(agg, ["ATT(e=-2)"] + [f"ATT(e={e})" for e in range(4)], EVENT_NEVER)


def test_poisson_matches_r_etwfe(panel):
    res = _quiet(dz.etwfe, panel, "emp", controls="lpop", family="poisson")
    _check(dz.aggregate(res, "event"), [f"ATT(e={e})" for e in range(4)], EVENT_POIS)


def _dummy_frame(df, controls):
    """Explicit cell dummies (and cell × cohort-demeaned controls) on mpdta-like data."""
    d = df.rename(columns={"first.treat": "g"}).copy()
    d["D"] = (d["year"] >= d["g"]) & (d["g"] > 0)
    cells = sorted(set(zip(d.loc[d.D, "g"], d.loc[d.D, "year"], strict=True)))
    terms = []
    for g, t in cells:
        d[f"c{g}_{t}"] = ((d.g == g) & (d.year == t)).astype(float)
        terms.append(f"c{g}_{t}")
        for x in controls:
            d[f"{x}{g}_{t}"] = d[f"c{g}_{t}"] * (d[x] - d.groupby("g")[x].transform("mean"))
            terms.append(f"{x}{g}_{t}")
    return d, cells, terms


@pytest.mark.parametrize("controls", [(), ("lpop",)])
def test_cells_match_statsmodels_dummies(mpdta, panel, controls):
    d, cells, terms = _dummy_frame(mpdta, controls)
    slopes = "".join(f" + {x} + C(g):{x} + C(year):{x}" for x in controls)
    ols = smf.ols(f"lemp ~ {' + '.join(terms)} + C(g) + C(year){slopes}", d).fit()
    res = _quiet(dz.etwfe, panel, "lemp", controls=controls)
    for g, t in cells:
        rows = (d.g == g) & (d.year == t)
        want = ols.params[f"c{g}_{t}"] + sum(
            ols.params[f"{x}{g}_{t}"] * d.loc[rows, f"{x}{g}_{t}"].mean() for x in controls)
        assert res.estimate[f"ATT({g},{t})"] == pytest.approx(want, abs=1e-8)
    # the regression coefficients themselves
    coef = res.extra["coefficients"]
    for g, t in cells:
        assert coef[f"ATT({g},{t})"] == pytest.approx(ols.params[f"c{g}_{t}"], abs=1e-8)


def _count_panel(seed=7, n=60, years=range(2001, 2007)):
    rng = np.random.default_rng(seed)
    units = np.arange(n)
    cohort = rng.choice([2003, 2005, 0], size=n)
    df = pd.DataFrame([(i, t) for i in units for t in years], columns=["id", "year"])
    df["g"] = cohort[df["id"]]
    df["x"] = rng.normal(size=len(df)) + 0.3 * (df["g"] == 2003)
    a = rng.normal(scale=0.3, size=n)[df["id"]]
    treat = (df["g"] > 0) & (df["year"] >= df["g"])
    mu = np.exp(1.0 + a + 0.05 * (df["year"] - 2001) + 0.2 * df["x"] + 0.4 * treat)
    df["y"] = rng.poisson(mu)
    return df


def test_poisson_matches_statsmodels_glm_and_hand_att():
    df = _count_panel()
    panel = _quiet(dz.build_panel, df, unit="id", time="year", cohort="g")
    res = _quiet(dz.etwfe, panel, "y", controls="x", family="poisson")
    d = df.copy()
    d["xdm"] = d["x"] - d.groupby("g")["x"].transform("mean")
    treated = (d.g > 0) & (d.year >= d.g)
    cells = sorted(set(zip(d.loc[treated, "g"], d.loc[treated, "year"], strict=True)))
    cols = {}
    for g, t in cells:
        c = ((d.g == g) & (d.year == t)).astype(float).to_numpy()
        cols[f"c{g}_{t}"], cols[f"x{g}_{t}"] = c, c * d["xdm"].to_numpy()
    base = pd.get_dummies(d[["g", "year"]].astype(str), drop_first=True).astype(float)
    slopes = {"x": d["x"]}
    for g in (2003, 2005):
        slopes[f"xg{g}"] = d["x"] * (d.g == g)
    for t in range(2002, 2007):
        slopes[f"xt{t}"] = d["x"] * (d.year == t)
    X = pd.concat([pd.DataFrame(cols), base, pd.DataFrame(slopes)], axis=1)
    X = sm.add_constant(X)
    glm = sm.GLM(d["y"], X, family=sm.families.Poisson()).fit(tol=1e-13)
    coef = res.extra["coefficients"]
    for g, t in cells:
        assert coef[f"ATT({g},{t})"] == pytest.approx(glm.params[f"c{g}_{t}"], abs=1e-6)
        assert coef[f"ATT({g},{t}):x_dm"] == pytest.approx(glm.params[f"x{g}_{t}"], abs=1e-6)
    eta = X.to_numpy() @ glm.params.to_numpy()
    for g, t in cells:
        rows = ((d.g == g) & (d.year == t)).to_numpy()
        shift = glm.params[f"c{g}_{t}"] + glm.params[f"x{g}_{t}"] * d["xdm"].to_numpy()[rows]
        want = np.mean(np.exp(eta[rows]) - np.exp(eta[rows] - shift))
        assert res.estimate[f"ATT({g},{t})"] == pytest.approx(want, rel=1e-6)
    # simple aggregation: the average over all treated rows
    eff = np.zeros(len(d))
    for g, t in cells:
        rows = ((d.g == g) & (d.year == t)).to_numpy()
        shift = glm.params[f"c{g}_{t}"] + glm.params[f"x{g}_{t}"] * d["xdm"].to_numpy()[rows]
        eff[rows] = np.exp(eta[rows]) - np.exp(eta[rows] - shift)
    simple = dz.aggregate(res, "simple")
    assert simple.estimate["overall"] == pytest.approx(eff[treated.to_numpy()].mean(), rel=1e-6)


@pytest.mark.parametrize("control", ["not_yet", "never"])
@pytest.mark.parametrize("fixed_effects", ["cohort", "unit"])
def test_recovers_noiseless_truth(control, fixed_effects):
    sim = dz.simulate_pilot_panel(seed=3, effect="heterogeneous", noise=0)
    panel = _quiet(dz.build_panel, sim.data, unit="city_code", time="year", cohort="cohort")
    res = _quiet(dz.etwfe, panel, "isu", control=control, fixed_effects=fixed_effects)
    truth = sim.truth.att_gt.set_index(["cohort", "time"])["att"]
    keys = res.keys
    want = truth.reindex(list(zip(keys["cohort"], keys["time"], strict=True))).to_numpy()
    assert not np.isnan(want).any()
    np.testing.assert_allclose(res.estimate.to_numpy(), want, atol=1e-8)


def test_aggregate_dispatch_and_weights(fit):
    agg = dz.aggregate(fit, "event", window=(0, 1))
    assert agg.terms == ["overall", "ATT(e=0)", "ATT(e=1)"]
    n = fit.extra["cell_counts"]
    e0 = fit.keys["event_time"].to_numpy() == 0
    want = (fit.estimate[e0] * n[e0]).sum() / n[e0].sum()
    assert agg.estimate["ATT(e=0)"] == pytest.approx(want, abs=1e-12)
    assert agg.estimate["overall"] == pytest.approx(
        agg.estimate[["ATT(e=0)", "ATT(e=1)"]].mean(), abs=1e-12)
    w = agg.extra["weights"].to_numpy()
    np.testing.assert_allclose(agg.vcov.to_numpy(), w @ fit.vcov.to_numpy() @ w.T,
                               atol=1e-14)


def test_does_not_modify_input(mpdta):
    before = mpdta.copy()
    panel = _quiet(dz.build_panel, mpdta, unit="countyreal", time="year", cohort="first.treat")
    _quiet(dz.etwfe, panel, "lemp", controls="lpop")
    pd.testing.assert_frame_equal(mpdta, before)


def test_errors(mpdta, panel):
    treated_only = mpdta[mpdta["first.treat"] > 0]
    p2 = _quiet(dz.build_panel, treated_only, unit="countyreal", time="year",
                cohort="first.treat")
    with pytest.raises(SpecificationError, match="No never-treated units in the panel"):
        dz.etwfe(p2, "lemp", control="never")
    with pytest.raises(SpecificationError, match="family"):
        dz.etwfe(panel, "lemp", family="logit")
    df = mpdta.copy()
    df["size_by_cohort"] = df["first.treat"] * 2.0
    p3 = _quiet(dz.build_panel, df, unit="countyreal", time="year", cohort="first.treat")
    with pytest.raises(SpecificationError, match="constant within every cohort"):
        dz.etwfe(p3, "lemp", controls="size_by_cohort")
    df["y_neg"] = df["lemp"] - 20.0
    p4 = _quiet(dz.build_panel, df, unit="countyreal", time="year", cohort="first.treat")
    with pytest.raises(SpecificationError, match="non-negative outcome; 'y_neg' has 2500"):
        dz.etwfe(p4, "y_neg", family="poisson")
    with pytest.raises(SpecificationError, match="etwfe_aggregate needs a Result from etwfe"):
        etwfe_aggregate(_quiet(dz.twfe, panel, "lemp"), "simple")


def test_not_yet_without_never_treated_drops_late_periods(mpdta):
    treated_only = mpdta[mpdta["first.treat"] > 0]
    p2 = _quiet(dz.build_panel, treated_only, unit="countyreal", time="year",
                cohort="first.treat")
    res = _quiet(dz.etwfe, p2, "lemp")
    assert res.keys["time"].max() < 2007 and (res.keys["cohort"] < 2007).all()
    assert any("periods >= 2007 dropped" in n for n in res.notes)
    from did_zones.tables.zh_notes import translate_note
    n_late = int((treated_only["year"] >= 2007).sum())
    note = next(n for n in res.notes if "etwfe" in n)
    assert note == (f"No never-treated units: periods >= 2007 dropped ({n_late} rows) and "
                    "cohort 2007 serves as the comparison group (as R etwfe).")
    assert translate_note(note) == (f"没有从未试点个体：删除时期 ≥ 2007 的数据（{n_late} 行），"
                                    "以批次 2007 作为对照组（同 R etwfe）。")


def test_missing_values_are_dropped_counted_and_match_the_trimmed_panel(mpdta):
    df = mpdta.copy()
    df.loc[[3, 10, 11], "lemp"] = np.nan
    panel = _quiet(dz.build_panel, df, unit="countyreal", time="year", cohort="first.treat")
    with pytest.warns(dz.errors.DataDroppedWarning, match="3 row"):
        res = dz.etwfe(panel, "lemp", controls="lpop")
    assert res.n_obs == 2497 and any("3 row(s) of 2500 dropped" in n for n in res.notes)
    trimmed = _quiet(dz.build_panel, df.dropna(subset=["lemp"]), unit="countyreal",
                     time="year", cohort="first.treat")
    ref = _quiet(dz.etwfe, trimmed, "lemp", controls="lpop")
    np.testing.assert_allclose(res.estimate.to_numpy(), ref.estimate.to_numpy(), atol=1e-12)


def test_more_errors(panel):
    with pytest.raises(SpecificationError, match="lpopp"):
        dz.etwfe(panel, "lemp", controls="lpopp")
    with pytest.raises(SpecificationError, match="control must be one of"):
        dz.etwfe(panel, "lemp", control="never_treated")
    with pytest.raises(SpecificationError, match="one cluster variable"):
        dz.etwfe(panel, "emp", family="poisson", cluster=("unit", "time"))


def test_never_design_equals_callaway_santanna_without_controls(panel):
    """Balanced panel, no controls: the never-treated ETWFE cell is the 2x2 DiD against
    period g-1, i.e. Callaway-Sant'Anna's post ATT(g,t) (Wooldridge 2021, sec. 6)."""
    et = _quiet(dz.etwfe, panel, "lemp", control="never")
    cs = _quiet(dz.callaway_santanna, panel, "lemp", control="never")
    post = et.keys["event_time"].to_numpy() >= 0
    for term in np.asarray(et.terms)[post]:
        assert et.estimate[term] == pytest.approx(cs.estimate[term], abs=1e-10)


# ----------------------------------------------------------------- downstream tools


def test_never_event_leads_feed_honest_did_as_callaway_santanna_universal(panel):
    """control='never', no controls: ETWFE's event aggregation is CS's with a universal base
    (every cell against g - 1), so its pre-trend test and HonestDiD bounds are CS's."""
    et = dz.aggregate(_quiet(dz.etwfe, panel, "lemp", control="never"), "event")
    cs = dz.aggregate(_quiet(dz.callaway_santanna, panel, "lemp", control="never",
                             base_period="universal"), "event")
    terms = [t for t in et.terms if t != "overall"]
    assert set(terms) <= set(cs.terms)
    np.testing.assert_allclose(et.estimate[terms], cs.estimate[terms], rtol=1e-9)
    leads = [t for t in terms if et.keys.set_index(pd.Index(et.terms)).at[t, "event_time"] < 0]
    test = et.extra["pretrend_test"]
    by_hand = et.wald_test(leads)
    assert test.statistic == pytest.approx(by_hand.statistic, rel=1e-12)
    assert len(leads) == 3  # e = -4, -3, -2 (e = -1 is the omitted reference)
    from did_zones.diagnostics import pretrend_test

    assert pretrend_test(et) is test
    # HonestDiD reads the same leads and lags as from CS (whose HonestDiD is checked against
    # R HonestDiD in test_honest*); the variances are etwfe's own (clustered regression)
    h = dz.honest_did(et, m_values=[0.5, 1.0])
    assert h.spec["pre_event_times"] == (-4, -3, -2)
    assert h.spec["post_event_times"] == (0, 1, 2, 3)
    assert h.original["estimate"] == pytest.approx(et.estimate["ATT(e=0)"], rel=1e-12)
    assert h.original["std_error"] == pytest.approx(et.std_error["ATT(e=0)"], rel=1e-12)
    width = (h.table["conf_high"] - h.table["conf_low"]).to_numpy()
    assert width[0] > h.original["conf_high"] - h.original["conf_low"] and width[1] > width[0]


def test_not_yet_event_has_no_leads_and_honest_did_says_why(fit):
    ev = dz.aggregate(fit, "event")
    assert ev.extra["pretrend_test"] is None
    with pytest.raises(SpecificationError, match="pre periods"):
        dz.honest_did(ev)


def test_placebo_equals_imputation_placebo(panel):
    """Gaussian not-yet ETWFE = BJS imputation (Wooldridge 2021; Borusyak et al. 2024), so
    the in-space placebo distributions agree draw by draw; cohort fixed effects follow the
    placebo assignment even though the data carry the real cohort column."""
    et = dz.aggregate(_quiet(dz.etwfe, panel, "lemp"), "simple")
    bjs = _quiet(dz.imputation, panel, "lemp")
    assert et.estimate["overall"] == pytest.approx(bjs.estimate["overall"], rel=1e-9)
    a = _quiet(dz.robustness.placebo, et, panel, n_draws=40, seed=7)
    b = _quiet(dz.robustness.placebo, bjs, panel, n_draws=40, seed=7)
    np.testing.assert_allclose(a.details["draws"], b.details["draws"], rtol=1e-8,
                               atol=1e-12)
    assert a.p_value == b.p_value


def test_variations_rerun_the_aggregation(panel):
    et = dz.aggregate(_quiet(dz.etwfe, panel, "lemp", controls="lpop"), "simple")
    again = dz.robustness.rerun(et, panel.window(2004, 2006))
    direct = dz.aggregate(_quiet(dz.etwfe, panel.window(2004, 2006), "lemp",
                                 controls="lpop"), "simple")
    assert again.estimate["overall"] == pytest.approx(direct.estimate["overall"], rel=1e-12)


def test_balance_is_refused_for_etwfe(fit):
    with pytest.raises(SpecificationError, match="balance"):
        dz.aggregate(fit, "event", balance=2)


@pytest.mark.parametrize("test", ["psm", "wild_bootstrap", "placebo_fast"])
def test_refusals_have_reasons(test):
    from did_zones.estimators.registry import get_spec

    spec = get_spec("etwfe")
    assert not spec.supports(test) and "etwfe" in spec.refuses[test]
