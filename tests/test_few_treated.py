"""Result.inference / Result.with_inference and few_treated_inference.

References: the replaced p-values equal direct calls of placebo / wild_bootstrap /
conley_taber (the same test, exactly); the exact randomization p-value is recomputed by
brute force (the result re-estimated with the single-city cohort moved to each unit of the
pool in turn, the real assignment counted).
"""

from __future__ import annotations

import pickle
import re
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import SpecificationError
from did_zones.tables.zh_notes import translate_note, untranslated

pytestmark = pytest.mark.filterwarnings("ignore::did_zones.errors.InferenceWarning")

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def panel():
    """40 cities × 2010–2017: city 0 alone in cohort 2015, cities 1–3 in 2013, 4–11 in
    2014, 28 never treated; provinces of 5 cities (treated cities in provinces 0–2)."""
    rng = np.random.default_rng(17)
    n, years = 40, np.arange(2010, 2018)
    df = pd.DataFrame({"city": np.repeat(np.arange(n), years.size),
                       "year": np.tile(years, n)})
    df["pilot"] = np.select([df["city"] == 0, df["city"] <= 3, df["city"] <= 11],
                            [2015, 2013, 2014], 0)
    df["prov"] = df["city"] // 5
    unit_fe = rng.normal(size=n)[df["city"]]
    treated = (df["pilot"] > 0) & (df["year"] >= df["pilot"])
    df["y"] = unit_fe + 0.1 * (df["year"] - 2010) + rng.normal(size=len(df)) + 0.3 * treated
    return dz.build_panel(df, unit="city", time="year", cohort="pilot")


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


@pytest.fixture(scope="module")
def cs_cohort(panel):
    """Callaway–Sant'Anna by cohort with the small-cell marks set by hand."""
    res = _quiet(dz.aggregate, _quiet(dz.callaway_santanna, panel, "y"), kind="cohort")
    keys = res.keys.copy()
    n = [np.nan, 3, 8, 1]  # overall, 2013, 2014, 2015
    assert list(keys.index) == ["overall", "ATT(g=2013)", "ATT(g=2014)", "ATT(g=2015)"]
    keys["n_treated_units"] = pd.array([pd.NA, 3, 8, 1], dtype="Int64")
    keys["small_cell"] = np.isfinite(n) & (np.asarray(n) < 5)
    return replace(res, keys=keys)


# ------------------------------------------------------------------ labels


def test_variance_labels(panel):
    twfe = dz.twfe(panel, "y")
    assert set(twfe.inference) == {"CRV1, clustered by unit (G = 40), t(39)"}
    prov = dz.twfe(panel, "y", cluster="prov")
    assert prov.inference["treated"] == "CRV1, clustered by prov (G = 8), t(7)"
    cs = _quiet(dz.callaway_santanna, panel, "y")
    assert cs.inference.iloc[0] == "influence function, clustered by unit (G = 40), normal"
    boot = _quiet(dz.callaway_santanna, panel, "y", n_boot=99, seed=1)
    assert boot.inference.iloc[0] == ("multiplier bootstrap (99 draws), clustered by unit "
                                      "(G = 40), normal, uniform band by sup-t")
    imp = _quiet(dz.imputation, panel, "y")
    assert imp.inference.iloc[0] == ("BJS imputation variance, clustered by unit (G = 40), "
                                     "normal")
    assert twfe.glance().iloc[0]["inference"] == twfe.variance_label
    assert twfe.glance().iloc[0]["n_inference_replaced"] == 0


def test_labels_translate_to_chinese(panel):
    for label in ["CRV1, clustered by unit (G = 337), t(336)",
                  "influence function, clustered by unit (G = 337), normal",
                  "randomization inference, cohort 2015 (exact, 233 assignments)",
                  "wild cluster bootstrap (WCR, Rademacher, 2^6 = 64 enumerated, 6 "
                  "clusters by prov)",
                  "Conley–Taber (exact, 40 assignments enumerated)",
                  "no valid few-treated inference (the term rests on several cohorts and "
                  "the estimator has no wild cluster bootstrap)"]:
        zh = translate_note(label)
        assert CJK.search(zh) and untranslated(zh) == [], (label, zh)


# ------------------------------------------------------------------ with_inference


def test_with_inference_wild_bootstrap_enumerated(panel):
    res = dz.twfe(panel, "y", cluster="prov")
    test = dz.wild_bootstrap(res, panel, n_boot=999)
    assert test.details["enumerated"] and test.details["n_boot"] == 2**8
    new = res.with_inference({"treated": test})
    assert new.inference["treated"] == ("wild cluster bootstrap (WCR, Rademacher, 2^8 = 256 "
                                        "enumerated, 8 clusters by prov)")
    assert new.p_value["treated"] == test.p_value
    assert np.isnan(new.statistic["treated"])
    ci = new.conf_int()
    assert (ci.loc["treated", "conf_low"], ci.loc["treated", "conf_high"]) == \
        test.details["conf_int"]
    # another level than the test's, or a uniform band: no interval
    assert new.conf_int(alpha=0.1).loc["treated"].isna().all()
    # the estimate, standard error and vcov are untouched; the input result too
    pd.testing.assert_series_equal(new.estimate, res.estimate)
    pd.testing.assert_series_equal(new.std_error, res.std_error)
    assert res.inference_overrides == {} and np.isfinite(res.statistic["treated"])
    tidy = new.tidy()
    assert tidy.loc[0, "inference"] == new.inference["treated"]
    assert bool(tidy.loc[0, "inference_replaced"])
    assert new.glance().iloc[0]["n_inference_replaced"] == 1
    back = pickle.loads(pickle.dumps(new))  # results travel to joblib workers
    assert back.p_value["treated"] == test.p_value and back.inference.equals(new.inference)
    text = new.summary()
    assert "treated †" in text and new.inference["treated"] in text
    assert "inference: CRV1, clustered by prov (G = 8), t(7)" in text


def test_with_inference_keeps_other_terms(panel):
    es = dz.event_study(panel, "y", window=(-2, 3))
    test = dz.wild_bootstrap(es, panel, "e+3", n_boot=999, seed=3)
    new = es.with_inference({"e+3": test})
    others = [t for t in es.terms if t != "e+3"]
    pd.testing.assert_series_equal(new.p_value[others], es.p_value[others])
    pd.testing.assert_series_equal(new.statistic[others], es.statistic[others])
    pd.testing.assert_frame_equal(new.conf_int().loc[others], es.conf_int().loc[others])
    assert (new.inference[others] == es.variance_label).all()
    # a later replacement of another term keeps the first
    placebo = dz.placebo(es, panel, term="e+2", n_draws=49, seed=1)
    both = new.with_inference({"e+2": placebo})
    assert both.p_value["e+3"] == test.p_value and both.p_value["e+2"] == placebo.p_value
    assert both.conf_int().loc["e+2"].isna().all()  # randomization: no interval
    # a result whose estimate changed drops the stale override
    moved = replace(new, estimate=new.estimate + 1.0)
    assert np.isfinite(moved.statistic["e+3"]) and moved.inference["e+3"] == es.variance_label


def test_with_inference_errors(panel):
    res = dz.twfe(panel, "y")
    test = dz.wild_bootstrap(res, panel, n_boot=99, seed=1)
    with pytest.raises(SpecificationError, match="mapping term -> HypothesisTest"):
        res.with_inference([test])
    with pytest.raises(SpecificationError, match="tretaed"):
        res.with_inference({"tretaed": test})
    es = dz.event_study(panel, "y", window=(-2, 3))
    t2 = dz.wild_bootstrap(es, panel, "e+2", n_boot=99, seed=1)
    with pytest.raises(SpecificationError, match="tests term 'e\\+2'"):
        es.with_inference({"e+3": t2})
    other = dz.twfe(panel, "y", cluster="prov")
    with pytest.raises(SpecificationError, match="another result"):
        dz.event_study(panel, "y", window=(-2, 3)).with_inference(
            {"e+2": replace(t2, details={**t2.details, "estimate": 5.0})})
    assert other.with_inference({}).inference_overrides == {}


# ------------------------------------------------------------------ few_treated_inference


def test_auto_randomization_equals_placebo_and_brute_force(panel, cs_cohort):
    new = dz.few_treated_inference(cs_cohort, panel, n_draws=199, seed=5)
    direct = dz.placebo(cs_cohort, panel, term="ATT(g=2015)", restrict="cohort",
                        cohort=2015, n_draws=199, seed=5)
    assert new.p_value["ATT(g=2015)"] == direct.p_value
    assert new.inference["ATT(g=2015)"] == ("randomization inference, cohort 2015 (exact, 29 "
                                            "assignments)")
    assert np.isnan(new.statistic["ATT(g=2015)"])
    assert new.conf_int().loc["ATT(g=2015)"].isna().all()
    # brute force: cohort 2015 moved to each of the 29 pool units (the real one included)
    g = panel.cohort
    pool = np.flatnonzero((g == 2015) | ~np.isfinite(g))
    draws = []
    for u in pool:
        fake = np.where(g == 2015, np.inf, g)
        fake[u] = 2015.0
        p = replace(panel, cohort=fake)
        draws.append(_quiet(dz.aggregate, _quiet(dz.callaway_santanna, p, "y"),
                            kind="cohort").estimate["ATT(g=2015)"])
    theta = cs_cohort.estimate["ATT(g=2015)"]
    expected = np.mean(np.abs(draws) >= abs(theta) * (1 - 1e-12))
    assert new.p_value["ATT(g=2015)"] == pytest.approx(expected, abs=1e-12)
    # ATT(g=2013): 3 cities of 31 in the pool, 4,495 assignments > 199: random draws
    direct13 = dz.placebo(cs_cohort, panel, term="ATT(g=2013)", restrict="cohort",
                          cohort=2013, n_draws=199, seed=5)
    assert new.p_value["ATT(g=2013)"] == direct13.p_value
    assert new.inference["ATT(g=2013)"] == ("randomization inference, cohort 2013 (199 "
                                            "random draws of 4,495 assignments)")
    # unmarked terms untouched
    for t in ("overall", "ATT(g=2014)"):
        assert new.p_value[t] == cs_cohort.p_value[t]
        assert new.statistic[t] == cs_cohort.statistic[t]
    note = new.notes[-1]
    assert note.startswith("few_treated_inference: 2 term(s)") and "227 re-estimations" in note
    zh = translate_note(note)
    assert CJK.search(zh) and untranslated(zh) == [], zh


def test_auto_wild_bootstrap_and_no_valid(panel):
    es = dz.event_study(panel, "y", window=(-2, 3))
    keys = es.keys.copy()
    keys["small_cell"] = keys.index.isin(["e+3", "e-2"])
    marked = replace(es, keys=keys)
    new = dz.few_treated_inference(marked, panel, n_boot=999, seed=3)
    # e+3 rests on cohorts 2013 and 2014: 11 treated cities, 11 clusters -> WCR
    direct = dz.wild_bootstrap(es, panel, "e+3", n_boot=999, seed=3)
    assert new.p_value["e+3"] == direct.p_value
    assert tuple(new.conf_int().loc["e+3"]) == direct.details["conf_int"]
    assert new.inference["e+3"] == ("wild cluster bootstrap (WCR, Rademacher, 999 draws, "
                                    "40 clusters by unit)")
    # e-2 rests on all three cohorts too (12 cities): WCR as well
    assert new.inference["e-2"].startswith("wild cluster bootstrap (WCR")
    # clustered by province, the treated cities sit in 3 provinces: no valid inference
    prov = dz.event_study(panel, "y", window=(-2, 3), cluster="prov")
    keys = prov.keys.copy()
    keys["small_cell"] = keys.index == "e+3"
    out = dz.few_treated_inference(replace(prov, keys=keys), panel)
    assert out.inference["e+3"] == ("no valid few-treated inference (the term rests on "
                                    "several cohorts and fewer than 6 treated clusters)")
    assert np.isnan(out.p_value["e+3"]) and np.isnan(out.statistic["e+3"])


def test_cs_event_term_on_several_cohorts_has_no_valid_inference(panel):
    ev = _quiet(dz.aggregate, _quiet(dz.callaway_santanna, panel, "y"), kind="event")
    out = dz.few_treated_inference(ev, panel, terms=["ATT(e=3)", "ATT(e=4)"], n_draws=99,
                                   seed=2)
    assert out.inference["ATT(e=3)"] == (
        "no valid few-treated inference (the term rests on several cohorts and the "
        "estimator has no wild cluster bootstrap)")
    # e=4 is only observed for cohort 2013: its randomization test
    direct = dz.placebo(ev, panel, term="ATT(e=4)", restrict="cohort", cohort=2013,
                        n_draws=99, seed=2)
    assert out.p_value["ATT(e=4)"] == direct.p_value


def test_explicit_methods(panel):
    res = dz.twfe(panel, "y")
    ct = dz.few_treated_inference(res, panel, terms="treated", method="conley_taber", seed=1)
    direct = dz.conley_taber(res, panel, seed=1)
    assert ct.p_value["treated"] == direct.p_value
    assert tuple(ct.conf_int().loc["treated"]) == direct.details["conf_int"]
    n = direct.details["n_assignments"]
    how = "enumerated" if direct.details["enumerated"] else "drawn"
    assert ct.inference["treated"] == f"Conley–Taber (exact, {n:,} assignments {how})"
    ri = dz.few_treated_inference(res, panel, terms="treated", method="randomization",
                                  n_draws=99, seed=4)
    direct = dz.placebo(res, panel, restrict="cohort", n_draws=99, seed=4)
    assert ri.p_value["treated"] == direct.p_value
    assert ri.inference["treated"].startswith("randomization inference, treated cohorts")
    wb = dz.few_treated_inference(res, panel, terms="treated", method="wild_bootstrap",
                                  n_boot=199, seed=4)
    assert wb.p_value["treated"] == dz.wild_bootstrap(res, panel, n_boot=199, seed=4).p_value


def test_selection_by_min_cohort_size_and_unmarked_results(panel, cs_cohort):
    by_size = dz.few_treated_inference(cs_cohort, panel, min_cohort_size=2, n_draws=99,
                                       seed=5)
    assert list(by_size.inference_overrides) == ["ATT(g=2015)"]
    twfe = dz.twfe(panel, "y")
    assert dz.few_treated_inference(twfe, panel) is twfe  # no marks: nothing to replace


def test_errors(panel, cs_cohort):
    with pytest.raises(SpecificationError, match="no wild cluster bootstrap"):
        dz.few_treated_inference(cs_cohort, panel, method="wild_bootstrap")
    with pytest.raises(SpecificationError, match="needs a TWFE result"):
        dz.few_treated_inference(cs_cohort, panel, method="conley_taber")
    with pytest.raises(SpecificationError, match="method must be one of"):
        dz.few_treated_inference(cs_cohort, panel, method="bootstrap")
    with pytest.raises(SpecificationError, match="Unknown term"):
        dz.few_treated_inference(cs_cohort, panel, terms=["ATT(g=2016)"])
    with pytest.raises(SpecificationError, match="n_treated_units"):
        dz.few_treated_inference(dz.twfe(panel, "y"), panel, min_cohort_size=5)
    with pytest.raises(SpecificationError, match="n_draws"):
        dz.few_treated_inference(cs_cohort, panel, n_draws=0)
    other = dz.build_panel(panel.data[panel.data["city"] != 39], unit="city",
                           time="year", cohort="pilot")
    with pytest.raises(SpecificationError, match="panel"):
        dz.few_treated_inference(cs_cohort, other)


# ------------------------------------------------------------------ tables


def test_tables_mark_replaced_terms(panel, cs_cohort):
    new = dz.few_treated_inference(cs_cohort, panel, n_draws=99, seed=5)
    t = dz.regression_table([new])
    cells = dict(zip(t.data.iloc[:, 0], t.data.iloc[:, 1], strict=False))
    assert cells["ATT(g=2015)"].endswith("†") and not cells["ATT(g=2014)"].endswith("†")
    notes = "\n".join(t.notes)
    assert ("† ATT(g=2015): p-value and stars from randomization inference, cohort 2015 "
            "(exact, 29 assignments); no analytic t statistic is shown.") in notes
    assert ("† These estimates rest on 1–3 treated unit(s), so the analytic standard errors "
            "in parentheses understate their uncertainty: with 1 treated cluster a nominal "
            "5% cluster-robust test rejects a true null 78% of the time") in notes
    zh = dz.regression_table([new], language="zh")
    marked = [n for n in zh.notes if n.startswith("†")]
    assert len(marked) == 3
    for n in marked:
        assert CJK.search(n) and untranslated(n) == [], n
    one = new.to_table()
    assert one.notes[-1] == "Inference: influence function, clustered by unit (G = 40), normal."
    cmp = dz.comparison_table({"CS": new}, event_times="none")
    assert any(n.startswith("† ATT(g=2015)") for n in cmp.notes)


# ------------------------------------------------------------------ report


def test_report_gives_marked_terms_few_treated_inference(panel, cs_cohort):
    """The study report's hook: the shown event-time and cohort results get
    few_treated_inference for their marked terms; the ATT(g,t) cells are left alone."""
    from types import SimpleNamespace

    from did_zones.report.steps import _with_few_treated

    cells = _quiet(dz.callaway_santanna, panel, "y")
    event = _quiet(dz.aggregate, cells, kind="event")
    run = SimpleNamespace(
        config=SimpleNamespace(robustness=SimpleNamespace(placebo={"n_draws": 99}),
                               study=SimpleNamespace(seed=7)),
        results={"__panel__": panel}, seeds={})
    got = {"event": event, "static": None,
           "results": {"callaway_santanna": cells, "callaway_santanna_event": event,
                       "callaway_santanna_cohort": cs_cohort}}
    out = _with_few_treated(run, got)
    marked = set(event.keys.index[event.keys["small_cell"].astype(bool)]) \
        if "small_cell" in event.keys.columns else set()
    assert set(out["event"].inference_overrides) == marked
    assert out["results"]["callaway_santanna_event"] is out["event"]
    assert out["results"]["callaway_santanna"] is cells  # the ATT(g,t) cells: left alone
    unmarked = replace(event, keys=event.keys.drop(columns=["small_cell"], errors="ignore"))
    again = _with_few_treated(run, {"event": unmarked, "static": None,
                                    "results": {"callaway_santanna_event": unmarked}})
    assert again["event"] is unmarked  # nothing marked: the same object
    cohort = out["results"]["callaway_santanna_cohort"]
    direct = dz.placebo(cs_cohort, panel, term="ATT(g=2015)", restrict="cohort",
                        cohort=2015, n_draws=99, seed=7)
    assert cohort.p_value["ATT(g=2015)"] == direct.p_value
    assert set(cohort.inference_overrides) == {"ATT(g=2013)", "ATT(g=2015)"}
    assert run.seeds == {"few_treated": 7}


def test_study_report_marks_a_single_city_event_time():
    """End to end: the BJS imputation event study to e = 6 has ATT(e=6) resting on 杭州
    alone (marked by the estimator); the report's table shows it with † and without stars,
    its p-value the exact cohort-restricted randomization p-value."""
    from did_zones.report import run_study
    from did_zones.report.config import parse_config
    from did_zones.tables.regression import inference_notes

    cfg = parse_config({"data": {"simulate": {"seed": 1}},
                        "study": {"outcomes": ["isu"], "estimators": ["twfe", "imputation"],
                                  "event_window": [-2, 6]}})
    out = _quiet(run_study, cfg, progress=False)
    table = out.tables["event_study_isu"]
    row = table.data.index[table.data.iloc[:, 0] == "e = 6"][0]
    res = out.results["imputation:isu"]
    assert bool(res.keys.at["ATT(e=6)", "small_cell"])
    sim = dz.simulate_pilot_panel(seed=1)
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    plain = _quiet(dz.imputation, panel, "isu", window=(-2, 6))
    direct = dz.placebo(plain, panel, term="ATT(e=6)", restrict="cohort", cohort=2015,
                        n_draws=999, seed=cfg.study.seed)
    assert direct.details["exact"] and res.p_value["ATT(e=6)"] == direct.p_value
    stars = "*" * sum(direct.p_value < c for c in (0.1, 0.05, 0.01))
    assert table.data.iloc[row, 1] == f"{res.estimate['ATT(e=6)']:.3f}{stars}†"
    n = direct.details["n_assignments"]
    assert (f"† ATT(e=6): p-value and stars from randomization inference, cohort 2015 "
            f"(exact, {n} assignments); no analytic t statistic is shown.") in table.notes
    for note in inference_notes({"BJS": res.tidy()}, "zh"):
        assert CJK.search(note) and untranslated(note) == [], note
