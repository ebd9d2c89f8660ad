"""Chinese tables and report: estimator names, legends, the translated data-handling notes,
and the ``notes=`` option of the table builders."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import quiet as _quiet

import did_zones as dz
from did_zones.errors import SpecificationError
from did_zones.estimators import REGISTRY, get_estimator
from did_zones.tables import (
    adoption_table,
    balance_table,
    comparison_table,
    regression_table,
    robustness_table,
)
from did_zones.tables.names import ESTIMATOR_NAMES, estimator_name
from did_zones.tables.zh_notes import translate_note, untranslated

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def sim():
    return dz.simulate_pilot_panel(seed=3)


# ------------------------------------------------------------------- exact strings
@pytest.mark.parametrize("english, chinese", [
    ("174 unit(s) not in the cohort mapping are never-treated.",
     "174 个不在批次映射中的个体按从未试点处理。"),
    ("No never-treated units: estimators need control='not_yet'.",
     "没有从未试点的个体：估计量需设定 control='not_yet'。"),
    ("window (-4, 5): 510 row(s) of treated units outside relative periods -4..5 dropped "
     "(bin_endpoints=False).",
     "窗口 (-4, 5)：删除处理组个体中相对时期在 -4..5 之外的 510 行（bin_endpoints=False）。"),
    ("1 treated observation(s) at event times outside horizons left out of the second stage.",
     "1 个处理组观测的事件时间不在 horizons 之内，未纳入第二阶段。"),
    ("Only 12 clusters of 'province': cluster-robust standard errors and p-values may be "
     "unreliable with fewer than 30. Use a wild cluster bootstrap (Stata boottest / R "
     "fwildclusterboot) or randomization inference (did_zones.placebo).",
     "仅有 12 个聚类（'province'）：聚类数少于 30 时聚类稳健标准误和 p 值可能不可靠。请改用野聚类"
     "自助法（wild cluster bootstrap，Stata boottest / R fwildclusterboot）或随机化推断"
     "（did_zones.placebo）。"),
    ("Only 6 clusters: cluster-robust standard errors and p-values may be unreliable with "
     "fewer than 30. Use a wild cluster bootstrap (Stata boottest / R fwildclusterboot) or "
     "randomization inference (did_zones.placebo).",
     "仅有 6 个聚类：聚类数少于 30 时聚类稳健标准误和 p 值可能不可靠。请改用野聚类"
     "自助法（wild cluster bootstrap，Stata boottest / R fwildclusterboot）或随机化推断"
     "（did_zones.placebo）。"),
    ("Control(s) ['gov'] dropped: collinear with the fixed effects or the other regressors. "
     "Remove them from controls.",
     "控制变量 ['gov'] 与固定效应或其他回归变量共线，已删除。请从控制变量中移除。"),
    ("3 unit(s) (36 rows) are treated from the first period 2010 on (always-treated; no "
     "untreated period to compare), e.g. [1, 2, 3]. Dropped.",
     "3 个个体（36 行）自首期 2010 起即已试点（始终处理，没有可比较的未处理时期），例如 "
     "[1, 2, 3]。已删除。"),
])
def test_known_notes_translate_exactly(english, chinese):
    assert translate_note(english) == chinese
    assert untranslated(chinese) == []


def test_unknown_note_is_detected():
    assert translate_note("A sentence nobody wrote a pattern for.") == (
        "A sentence nobody wrote a pattern for.")
    assert untranslated("A sentence nobody wrote a pattern for.") != []
    # proper names, options and examples may stay in Latin script
    assert untranslated("Sun–Abraham 交互加权估计：control='last'，例如 ['cohort 2015 in 2016']") == []


# ---------------------------------------------- every note from many code paths
def _notes_from_many_paths(sim, panel) -> dict[str, tuple[str, ...]]:
    data = sim.data
    notes: dict[str, tuple[str, ...]] = {}
    # panels: a partial cohort mapping, always-treated units, missing rows, late cohorts
    codes = data["city_code"].unique()
    mapping = data.groupby("city_code")["cohort"].first().iloc[: len(codes) // 2]
    mapping = pd.concat([mapping, pd.Series([2016.0], index=[999999])])
    unbalanced = data.drop(index=data.index[::97])
    early = data.assign(cohort=np.where(data["city_code"].isin(codes[:3]), 2005.0,
                                        data["cohort"]))
    late = data.assign(cohort=np.where(data["city_code"].isin(codes[-3:]), 2030.0,
                                       data["cohort"]))
    notes["mapping"] = _quiet(dz.build_panel, unbalanced, unit="city_code", time="year",
                              cohort=mapping).notes
    notes["always"] = _quiet(dz.build_panel, early, unit="city_code", time="year",
                             cohort="cohort", always_treated="drop").notes
    notes["late"] = _quiet(dz.build_panel, late, unit="city_code", time="year",
                           cohort="cohort", late_cohorts="never").notes
    notes["zone_panel"] = _quiet(dz.zone_panel, data.drop(columns="cohort"),
                                 unit="city_code", time="year").notes
    holes = data.copy()
    holes.loc[holes.index[::50], "isu"] = np.nan
    holey = dz.build_panel(holes, unit="city_code", time="year", cohort="cohort")
    few = dz.build_panel(data[data["city_code"].isin(codes[::12])], unit="city_code",
                         time="year", cohort="cohort")
    # every estimator of the registry, on a complete, a holey and a few-cluster panel
    needs = {"iv_did": {"endogenous": "ecom"},  # estimators with a required option
             "continuous_did": {"dose": "ecom"},
             "dml_did": {"controls": ["lngdp_pc", "lnpop"], "learner": "linear"}}
    for name in REGISTRY:
        fn = get_estimator(name)
        for tag, p in (("", panel), (":holes", holey), (":few", few)):
            try:
                notes[name + tag] = _quiet(fn, p, "isu", **needs.get(name, {})).notes
            except dz.DidZonesError:
                pass
    ddd = dz.simulate_ddd_panel(seed=3).data
    ddd.loc[ddd.index[::41], "y"] = np.nan  # missing outcomes: an unbalanced panel
    ddd_panel = dz.build_panel(ddd, unit="unit", time="year", cohort="cohort")
    notes["triple_difference"] = _quiet(dz.triple_difference, ddd_panel, "y",
                                        group="grp").notes
    notes["triple_difference_naive"] = _quiet(dz.triple_difference, ddd_panel, "y",
                                              group="grp", naive=True).notes
    notes["event_window"] = _quiet(dz.event_study, panel, "isu", window=(-3, 3)).notes
    notes["sun_abraham_window"] = _quiet(dz.sun_abraham, panel, "isu", window=(-3, 3)).notes
    notes["imputation_h"] = _quiet(dz.imputation, panel, "isu", window=(-3, 2)).notes
    notes["did2s_h"] = _quiet(dz.did2s, panel, "isu", horizons=[0, 1]).notes
    notes["twfe_controls"] = _quiet(dz.twfe, holey, "isu", controls=["lngdp_pc"]).notes
    cs = _quiet(dz.callaway_santanna, panel, "isu")
    notes["aggregate"] = _quiet(dz.aggregate, cs, kind="event").notes
    notes["bacon"] = _quiet(dz.bacon_decomposition, panel, "isu").notes
    main = _quiet(dz.twfe, panel, "isu")
    es = _quiet(dz.event_study, panel, "isu", window=(-4, 4))
    notes["variations"] = _quiet(dz.variations, main, panel).notes
    notes["honest"] = _quiet(dz.honest_did, es).notes
    notes["power"] = _quiet(dz.pretrend_power, es).notes
    matched = _quiet(dz.match, panel, ["lngdp_pc"], seed=1)
    notes["match"] = matched.notes
    notes["psm_did"] = _quiet(dz.psm_did, main, panel, ["lngdp_pc"], seed=1).notes
    notes["heterogeneity"] = _quiet(dz.heterogeneity, main, panel, "region").notes
    notes["mediation"] = _quiet(dz.mediation, holey, "isu", "ecom", method="channel").notes
    return notes


def test_every_note_of_many_code_paths_is_translated(sim, panel):
    notes = _notes_from_many_paths(sim, panel)
    seen = {n for ns in notes.values() for n in ns}
    assert len(seen) >= 15  # the paths above do produce notes
    left = {}
    for note in seen:
        zh = translate_note(note)
        if not CJK.search(zh) or untranslated(zh):
            left[note] = untranslated(zh)
    assert not left, left


# ------------------------------------------------------------- tables in Chinese
def test_estimator_names_cover_the_registry():
    assert set(REGISTRY) <= set(ESTIMATOR_NAMES)
    assert estimator_name("sun_abraham", "zh") == "Sun–Abraham 交互加权估计"
    assert estimator_name("twfe", "zh") == "双向固定效应 (TWFE)"
    assert estimator_name("twfe") == "TWFE"
    for name in REGISTRY:
        assert CJK.search(estimator_name(name, "zh"))


def test_comparison_table_in_chinese(panel):
    results = [_quiet(dz.twfe, panel, "isu"),
               _quiet(dz.sun_abraham, panel, "isu", window=(-3, 3)),
               _quiet(dz.did2s, panel, "isu")]
    t = comparison_table(results, event_times="none", language="zh")
    assert list(t.data.columns) == ["估计对象", "双向固定效应 (TWFE)", "Sun–Abraham 交互加权估计",
                                    "Gardner did2s 两阶段估计"]
    # one row per named estimand (first column, every other row holds the standard errors)
    assert t.data.iloc[::2, 0].tolist() == ["简单平均处理效应 (ATT)",
                                            "简单平均处理效应 (ATT，e = 0..3 的处理单元-时期)",
                                            "双向固定效应系数", "观测值"]
    assert t.data.iloc[0, 1] == "—" and t.data.iloc[0, 2] == "—" and t.data.iloc[2, 1] == "—"
    # each "—" has a footnote in Chinese saying why
    assert ("—（简单平均处理效应 (ATT)）双向固定效应 (TWFE)：双向固定效应只估计一个系数"
            "（各效应的方差加权组合），不是处理单元-时期的平均。") in t.notes
    assert ("—（简单平均处理效应 (ATT)）Sun–Abraham 交互加权估计：Sun–Abraham 只平均事件窗口内"
            "的单元-时期（见该窗口一行）。") in t.notes
    assert ("—（双向固定效应系数）Sun–Abraham 交互加权估计、Gardner did2s 两阶段估计："
            "不是双向固定效应回归。") in t.notes
    assert sum(n.startswith("—（") for n in t.notes) == 5
    assert t.title == "估计量比较"
    assert "括号内为标准误。" in t.notes
    assert any(re.fullmatch(r"Sun–Abraham 交互加权估计：窗口 \(-3, 3\)：删除处理组个体中相对时期"
                            r"在 -3\.\.3 之外的 \d+ 行（bin_endpoints=False）。", n)
               for n in t.notes), t.notes
    for n in t.notes:
        assert CJK.search(n) or n.startswith("*"), n
        assert untranslated(n) == [], n
    en = comparison_table(results, event_times="none")
    assert list(en.data.columns)[1:] == ["twfe", "sun_abraham", "did2s"]


def test_comparison_table_zh_footnotes_of_missing_estimands(panel):
    """Every "—" of the Chinese comparison table is explained in Chinese, one footnote per
    (estimand, reason), naming the estimators it applies to."""
    cs = dz.aggregate(_quiet(dz.callaway_santanna, panel, "isu"), kind="event",
                      window=(-2, 2))
    t = comparison_table({"twfe": _quiet(dz.twfe, panel, "isu"), "callaway_santanna": cs,
                          "dcdh": _quiet(dz.dcdh, panel, "isu")},
                         event_times="none", language="zh")
    assert t.data.iloc[::2, 0].tolist() == ["事件期平均处理效应 (e = 0..2)", "即期效应 (DID_M)",
                                            "双向固定效应系数", "观测值"]
    dashes = [n for n in t.notes if n.startswith("—")]
    assert dashes == [
        "—（事件期平均处理效应 (e = 0..2)）twfe：双向固定效应只估计一个系数，没有事件期平均。",
        "—（事件期平均处理效应 (e = 0..2)）dcdh：dCDH 的 DID_M 是即期效应；未估计其动态效应。",
        "—（即期效应 (DID_M)）twfe：双向固定效应只估计一个系数，不是 e = 0 的效应。",
        "—（即期效应 (DID_M)）callaway_santanna：即期效应即其 e = 0 项（见事件研究表）。",
        "—（双向固定效应系数）callaway_santanna、dcdh：不是双向固定效应回归。"]
    for n in dashes:
        assert untranslated(n) == [], n


def test_regression_table_zh_legend_and_notes(panel, sim):
    few = dz.build_panel(sim.data[sim.data["city_code"].isin(
        sim.data["city_code"].unique()[::12])], unit="city_code", time="year",
        cohort="cohort")
    r = _quiet(dz.twfe, few, "isu")
    t = regression_table([r], language="zh")
    assert "括号内为聚类到城市层面的稳健标准误。" in t.notes
    assert any(n.startswith("(1)：仅有 ") for n in t.notes)
    assert "年份固定效应" in t.data.iloc[:, 0].tolist()
    conf = regression_table([r], language="zh", se="conf_int")
    assert "方括号内为 95% 置信区间（标准误聚类到城市层面）。" in conf.notes
    en = regression_table([r])
    assert "Standard errors in parentheses; clustered by Unit." in en.notes
    assert any(n.startswith("(1): Only ") for n in en.notes)


# ------------------------------------------------------------------ notes= option
def test_notes_option_all_short_none(panel, sim):
    few = dz.build_panel(sim.data[sim.data["city_code"].isin(
        sim.data["city_code"].unique()[::12])], unit="city_code", time="year",
        cohort="cohort")
    results = [_quiet(dz.twfe, few, "isu"), _quiet(dz.event_study, few, "isu")]
    n_data = len({n for r in results for n in r.notes})
    assert n_data >= 2
    full = regression_table(results)
    legend = full.notes[:2]
    assert legend[0].startswith("* p<0.1") and legend[1].startswith("Standard errors")
    assert len(full.notes) == 2 + n_data
    short = regression_table(results, notes="short")
    assert short.notes == legend + (
        f"{n_data} data-handling note(s) not shown (see Result.notes, or the report's "
        "warnings section).",)
    assert regression_table(results, notes="none").notes == legend
    zh = regression_table(results, notes="short", language="zh")
    assert zh.notes[-1] == f"另有 {n_data} 条数据处理说明未列出（见 Result.notes 或报告的“警告与删除的数据”一节）。"
    comp = comparison_table(dict(zip(("a", "b"), results, strict=True)), notes="none")
    assert not any(n.startswith(("a:", "b:", "a, b:")) for n in comp.notes)
    assert comparison_table(dict(zip(("a", "b"), results, strict=True)),
                            notes="short").notes[-1].startswith(f"{n_data} data-handling")
    # a table without data-handling notes prints no count line
    clean = regression_table([_quiet(dz.twfe, panel, "isu")], notes="short")
    assert len(clean.notes) == 2


def test_notes_option_on_descriptive_and_robustness_tables(sim, panel):
    data = sim.data
    codes = data["city_code"].unique()
    p = _quiet(dz.build_panel, data.drop(index=data.index[::97]), unit="city_code",
               time="year", cohort=data.groupby("city_code")["cohort"].first()
               .iloc[: len(codes) // 2])
    assert len(p.notes) >= 2
    assert adoption_table(p).notes == p.notes
    assert adoption_table(p, notes="none").notes == ()
    assert adoption_table(p, notes="short", language="zh").notes == (
        f"另有 {len(p.notes)} 条数据处理说明未列出（见 Result.notes 或报告的“警告与删除的数据”一节）。",)
    zh = adoption_table(p, language="zh")
    assert all(CJK.search(n) and not untranslated(n) for n in zh.notes), zh.notes
    matched = _quiet(dz.match, panel, ["lngdp_pc"], seed=1)
    assert balance_table(matched).notes == tuple(matched.notes)
    assert balance_table(matched, notes="none").notes == ()
    var = _quiet(dz.variations, _quiet(dz.twfe, panel, "isu"), panel)
    assert robustness_table(var, notes="none").notes == ("* p<0.1, ** p<0.05, *** p<0.01.",)
    zh_var = robustness_table(var, language="zh")
    assert zh_var.data.columns[2] == "标准误"
    assert all(CJK.search(n) for n in zh_var.notes[1:])


@pytest.mark.parametrize("builder", ["regression", "comparison", "adoption", "balance",
                                     "robustness"])
def test_notes_option_is_checked(builder, panel):
    r = _quiet(dz.twfe, panel, "isu")
    call = {"regression": lambda: regression_table([r], notes="brief"),
            "comparison": lambda: comparison_table([r], notes="brief"),
            "adoption": lambda: adoption_table(panel, notes="brief"),
            "balance": lambda: balance_table(_quiet(dz.match, panel, ["lngdp_pc"], seed=1),
                                             notes="brief"),
            "robustness": lambda: robustness_table(_quiet(dz.variations, r, panel),
                                                   notes="brief")}[builder]
    with pytest.raises(SpecificationError,
                       match=r"notes must be one of 'all', 'short', 'none'; got 'brief'\."):
        call()


# ------------------------------------------------------------------ the study report
def _study(**study):
    from did_zones.report.config import parse_config

    raw = {"data": {"simulate": {"seed": 1}},
           "study": {"outcomes": ["isu"], "estimators": ["twfe", "event_study",
                                                         "callaway_santanna", "sun_abraham",
                                                         "did2s"], **study}}
    return parse_config(raw)


def test_study_notes_key_is_parsed_and_checked():
    assert _study().study.notes == "all"
    assert _study(notes="short").study.notes == "short"
    with pytest.raises(SpecificationError, match=r"study\.notes: unknown value 'some'\. "
                                                 r"Use one of 'all', 'short', 'none'"):
        _study(notes="some")


@pytest.fixture(scope="module")
def zh_report(tmp_path_factory):
    from did_zones.report import run_study, write_report

    out = run_study(_study(language="zh"), progress=False)
    path = write_report(out, tmp_path_factory.mktemp("zh") / "out", progress=False)
    return out, path.read_text(encoding="utf-8")


def test_zh_report_names_estimators_and_translates_notes(zh_report):
    out, page = zh_report
    for name in ("双向固定效应 (TWFE)", "事件研究 (TWFE)", "Callaway–Sant&#x27;Anna 异质性稳健估计",
                 "Sun–Abraham 交互加权估计", "Gardner did2s 两阶段估计"):
        assert name in page, name
    assert "<h1>多期双重差分研究报告</h1>" in page
    assert "括号内为聚类到城市层面的稳健标准误。" in page
    assert "Goodman-Bacon 分解" in page
    # every note under a table and every line of the warnings section is Chinese
    for table in out.tables.values():
        for n in table.notes:
            if n.startswith("*"):
                continue
            assert CJK.search(n) and not untranslated(n), n
    warnings_section = next(s for s in out.sections if s.key == "warnings")
    for item in warnings_section.items:
        assert CJK.search(item.value) and not untranslated(item.value), item.value


def test_study_notes_short_in_report():
    from did_zones.report import run_study

    out = run_study(_study(notes="none", estimators=["twfe", "sun_abraham"]),
                    progress=False)
    comparison = out.tables["comparison_isu"]
    assert not any(n.startswith("Sun-Abraham:") for n in comparison.notes)
    warnings_section = next(s for s in out.sections if s.key == "warnings")
    assert any("sun_abraham:isu: window" in i.value for i in warnings_section.items)


def test_robustness_table_rows_in_chinese():
    """The rows of the variations table are named in Chinese in zh mode (the terms stay the
    English keys in tidy() and in English tables); unknown labels pass through unchanged."""
    from did_zones.tables.names import variation_label

    zh = {"baseline": "基准回归", "drop: municipalities": "剔除直辖市",
          "drop: provincial_capitals": "剔除省会城市", "drop: sub_provincial": "剔除副省级城市",
          "drop: county_level_zones": "剔除县级试点所在城市", "drop: coastal": "剔除沿海城市",
          "window: 2012-2021": "样本期 2012–2021", "timing: next_year": "试点时间：批复次年",
          "timing: half_year": "试点时间：半年规则", "leave out cohort 2016": "剔除 2016 年批次",
          "control: 低碳城市": "控制其他政策：低碳城市", "drop: 低碳城市 cities": "剔除低碳城市试点城市",
          "something new": "something new"}
    assert {k: variation_label(k, "zh") for k in zh} == zh
    assert all(variation_label(k, "en") == k for k in zh)
