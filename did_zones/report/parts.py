"""The pieces a study's steps build with: report items and sections, the report's sentences
in its two languages, and the study's panel read from ``[data]``.

:mod:`did_zones.report.steps` and :mod:`did_zones.report.runner` both import from here (and
the runner imports the steps), so the report has no import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .._textfile import read_table_file
from ..errors import PanelError, SpecificationError
from .config import StudyConfig

__all__ = ["Item", "Section", "TITLES", "TEXT", "text", "report_title", "load_panel",
           "frame_table", "unit_names"]


@dataclass(frozen=True)
class Item:
    """One element of a report section: a named table or figure, or a paragraph of text."""

    kind: str  # "table" | "figure" | "text" | "flag" (a sentence listed under Flags)
    value: str  # table/figure name, or the (unescaped) text


@dataclass(frozen=True)
class Section:
    """A report section: a key (used for anchors), a heading and its items."""

    key: str
    title: str
    items: tuple[Item, ...]


# section titles in the report's two languages
TITLES = {
    "en": {
        "adoption": "Adoption and data", "summary": "Summary statistics",
        "main": "Main results", "event": "Event study",
        "comparison": "Staggered-robust comparison", "few_treated": "Few treated cities",
        "bacon": "Bacon diagnostic",
        "mechanism": "Mechanism", "robustness": "Robustness",
        "heterogeneity": "Heterogeneity", "warnings": "Warnings and dropped data",
        "versions": "Versions and seeds", "spatial": "Spillovers: spatial DiD",
        "synthetic": "Single-city designs: synthetic control and synthetic DiD",
    },
    "zh": {
        "adoption": "试点批次与数据", "summary": "描述性统计", "main": "基准回归",
        "event": "事件研究", "comparison": "异质性稳健估计量比较",
        "few_treated": "处理城市很少时的推断", "bacon": "Bacon 分解诊断",
        "mechanism": "机制检验", "robustness": "稳健性检验", "heterogeneity": "异质性分析",
        "warnings": "警告与删除的数据", "versions": "版本与随机种子",
        "spatial": "空间溢出：空间双重差分", "synthetic": "单城市设计：合成控制与合成双重差分",
    },
}


# the report's own sentences in its two languages (numbers are formatted here, not upstream)
TEXT = {
    "en": {
        "source_sim": "simulated calibrated panel (seed {seed})",
        "source_file": "file {name}",
        "cohort_registry": "the pilot-zone registry (timing {timing}, county-level zones: "
                           "{county_level})",
        "cohort_column": "column {column}",
        "data": "Data: {source}; {units} units, {periods} periods, {obs} observations; "
                "treatment timing from {cohort}.",
        "main": "Two-way fixed effects (unit and period effects), standard errors clustered "
                "by {cluster}.",
        "event": "Event-time effects for e = {lo}..{hi}; the reference period is e = -1 "
                 "where the method normalises one.",
        "comparison": "Overall effects by estimator: TWFE (with controls if any) against the "
                      "heterogeneity-robust estimators.",
        "few_treated": "{estimator}: effects by cohort. Cohort(s) {cohorts} have fewer "
                       "than {limit} cities: their analytic (influence-function) standard "
                       "errors are estimated from those cities' own residuals and understate "
                       "the uncertainty — {why}. Their p-values and stars (marked †) come "
                       "from randomization inference restricted to the cohort: the cohort's "
                       "date is given in turn to each of its cities and the never-treated "
                       "ones, up to {n_draws} draws (exact when the assignments are fewer). "
                       "Wherever a staggered estimator marks a term as resting on too few "
                       "treated units, the tables above use the same inference (†).",
        "few_title": "{estimator} by cohort, few treated cities: {outcome}",
        "few_no_wcr": "WCR p: the wild cluster bootstrap needs a regression "
                      "({supported}); {estimator} has none. With "
                      "one treated cluster WCR cannot reject anyway (benchmarks/README.md).",
        "verdict": "{mediator}: {verdict} (conclusion: {conclusion}).",
        "mechanism": "Method {method!r}; bootstrap draws {n_boot}, seed {seed}.",
        "placebo": "Placebo ({kind}, {n} draws, seed {seed}): two-sided randomization "
                   "{p}.",
        "psm": "PSM-DiD estimate {est:.3f} (s.e. {se:.3f}); baseline {base:.3f}.",
        "equal_effects": "Test of equal effects: statistic {statistic:.3f}, {p}.",
        "effects_by": "Effects by {by}",
        "warnings_head": "Warnings raised while running the study (each once):",
        "notes_head": "Notes the results carry on dropped or adjusted data:",
        "none": "none",
        "versions_text": "Every random step draws from the seed shown; versions.json repeats "
                         "these with the full configuration.",
        "versions_title": "Versions and seeds",
        "title": "Staggered difference-in-differences study",
        "spatial": "Spatial DiD ({model}) with city and year fixed effects, quasi-maximum "
                   "likelihood with the Lee–Yu bias correction; weight matrix: {weights}. "
                   "The pilot's direct, indirect (spillover) and total effects follow LeSage "
                   "& Pace (2009): the mean diagonal and the mean row sum of (I − ρW)⁻¹ "
                   "times the coefficients.",
        "spatial_title": "Spatial DiD: {outcome}",
        "rings": "Ring spillover DiD (Butts 2021, imputation base): the effect on pilot "
                 "cities and on untreated cities within rings of {rings} km of a pilot "
                 "city, from the year that city's zone starts.",
        "rings_title": "Spillovers by distance ring: {outcome}",
        "synthetic": "Single-city designs for {units}: synthetic DiD (Arkhangelsky et al. "
                     "2021) and synthetic control (Abadie, Diamond & Hainmueller 2010) "
                     "against never-treated cities; standard errors: {se} ({n_reps} "
                     "replications); the synthetic control's p-value ranks its post/pre "
                     "RMSPE ratio among the placebos'.",
        "synthetic_title": "Single-city designs: {outcome}",
    },
    "zh": {
        "source_sim": "模拟的校准面板（随机种子 {seed}）",
        "source_file": "文件 {name}",
        "cohort_registry": "跨境电商综试区名录（时间规则 {timing}，县级综试区处理方式 "
                           "{county_level}）",
        "cohort_column": "变量 {column}",
        "data": "数据：{source}；{units} 个城市，{periods} 期，{obs} 个观测值；"
                "试点时间来自{cohort}。",
        "main": "双向固定效应模型（控制城市固定效应和年份固定效应），括号内为聚类到{cluster}"
                "层面的稳健标准误。",
        "event": "事件研究：事件时间 e = {lo}..{hi} 的动态效应；需要标准化的方法以 e = -1 "
                 "为基期。",
        "comparison": "各估计量的总体效应：双向固定效应 (TWFE，如有控制变量则加入) 与异质性"
                      "稳健估计量对比。",
        "few_treated": "{estimator}分批次效应。批次 {cohorts} 的城市数少于 {limit} 个："
                       "其解析（影响函数）标准误由这些城市自身的残差估计，低估了不确定性——"
                       "{why}。这些批次的 p 值和显著性星号（标 †）来自限定在该批次内的随机化"
                       "推断：把该批次的试点时间依次赋予该批次城市和从未试点城市，最多抽取 "
                       "{n_draws} 次（分配方式更少时全部枚举，为精确检验）。上文各表中凡被"
                       "多期估计量标记为处理单位过少的项，也使用同样的推断（标 †）。",
        "few_title": "{estimator}分批次效应（处理城市很少）：{outcome}",
        "few_no_wcr": "WCR p 值：野聚类自助法需要回归模型（{supported}），"
                      "{estimator}没有；且只有一个处理聚类时 WCR 无法拒绝原假设"
                      "（见 benchmarks/README.md）。",
        "verdict": "{mediator}：{verdict}（结论：{conclusion}）。",
        "mechanism": "中介效应检验方法 {method!r}；自助抽样 {n_boot} 次，随机种子 {seed}。",
        "placebo": "安慰剂检验（{kind}，抽取 {n} 次，随机种子 {seed}）：双侧随机化检验 "
                   "{p}。",
        "psm": "PSM-DID 估计值 {est:.3f}（标准误 {se:.3f}）；基准回归 {base:.3f}。",
        "equal_effects": "组间效应相等检验：统计量 {statistic:.3f}，{p}。",
        "effects_by": "按{by}分组的异质性分析",
        "warnings_head": "运行中出现的警告（每条一次）：",
        "notes_head": "估计结果附带的数据处理说明（删除或调整的数据）：",
        "none": "无",
        "versions_text": "所有随机步骤均使用下列随机种子；versions.json 另附完整配置。",
        "versions_title": "版本与随机种子",
        "title": "多期双重差分研究报告",
        "spatial": "空间双重差分（{model}），控制城市与年份固定效应，采用 Lee–Yu 偏差校正的拟"
                   "极大似然估计；空间权重矩阵：{weights}。试点的直接效应、间接（溢出）效应与"
                   "总效应按 LeSage & Pace (2009) 分解：(I − ρW)⁻¹ 乘以系数后对角元素的均值"
                   "与行和的均值。",
        "spatial_title": "空间双重差分：{outcome}",
        "rings": "距离环溢出双重差分（Butts 2021，插补法）：试点城市的效应，以及距试点城市 "
                 "{rings} 公里各环内未试点城市自该城市设立综试区当年起的溢出效应。",
        "rings_title": "按距离环的溢出效应：{outcome}",
        "synthetic": "单城市设计（{units}）：合成双重差分（Arkhangelsky 等 2021）与合成控制法"
                     "（Abadie、Diamond 与 Hainmueller 2010），以从未试点城市为对照；标准误："
                     "{se}（{n_reps} 次重复）；合成控制法的 p 值为其处理后/处理前 RMSPE 之比在"
                     "安慰剂中的排序。",
        "synthetic_title": "单城市设计：{outcome}",
    },
}
_CONCLUSIONS_ZH = {"full mediation": "完全中介效应", "partial mediation": "部分中介效应",
                   "suppression": "遮掩效应", "no mediation": "无中介效应",
                   "inconclusive": "证据不足"}


def text(run, key: str, **values) -> str:
    """Sentence ``key`` of the report in the study's language, filled with ``values``; in
    Chinese, notes-like English values (a mediation verdict) are translated."""
    lang = run.config.study.language
    if lang == "zh":
        from ..tables.zh_notes import translate_note

        if "verdict" in values:
            values["verdict"] = translate_note(values["verdict"])
        if "conclusion" in values:
            values["conclusion"] = _CONCLUSIONS_ZH.get(values["conclusion"],
                                                       values["conclusion"])
    return TEXT[lang][key].format(**values)


def report_title(config: StudyConfig) -> str:
    """The study's title; the default one in the study's language."""
    title = config.study.title
    if title == TEXT["en"]["title"]:
        return TEXT[config.study.language]["title"]
    return title


def load_panel(config: StudyConfig):
    """Build the study's Panel from ``config.data`` (file or simulator).

    Returns
    -------
    (Panel, DataFrame or None)
        The panel, and the simulator's output object when the data were simulated
        (``None`` otherwise) so that callers can reach the truth.

    Raises
    ------
    PanelError
        If the data file is empty (0 bytes), has a header but no data rows, is not UTF-8
        text or cannot be parsed (the message names the file).
    SpecificationError
        If a configured column is absent from the data.
    """
    from ..panel import build_panel
    from ..simulate import simulate_pilot_panel
    from ..zone_timing import zone_panel

    d = config.data
    sim = None
    if d.simulate is not None:
        sim = simulate_pilot_panel(**dict(d.simulate))
        frame = sim.data
    else:
        frame = _read_data(d.file)
    _check_columns(frame, config)
    if d.cohort == "registry":
        panel = zone_panel(frame, unit=d.unit, time=d.time, timing=d.timing,
                           county_level=d.county_level)
    else:
        panel = build_panel(frame, unit=d.unit, time=d.time, cohort=d.cohort)
    return panel, sim


def _read_data(path) -> pd.DataFrame:
    """Read ``data.file``; an empty or unreadable file is a PanelError naming the file."""
    name = path.name
    fix = ("Point data.file at the panel itself: a header line with the column names, then "
           "one row per unit and period.")
    if path.stat().st_size == 0:
        raise PanelError(f"data.file {name!r} is empty (0 bytes, 0 rows). {fix}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":  # any encoding; a cut file is refused (did_zones._textfile)
            frame = read_table_file(path)
        elif suffix == ".dta":
            frame = pd.read_stata(path)
        else:
            frame = pd.read_parquet(path)
    except pd.errors.EmptyDataError:  # only blank lines: no header either
        raise PanelError(f"data.file {name!r} has no header line and 0 rows. {fix}") from None
    except UnicodeDecodeError as exc:
        raise PanelError(
            f"data.file {name!r} is not UTF-8 text ({exc.reason} at byte {exc.start}). "
            "Save it as UTF-8 (in Excel: CSV UTF-8), or convert it, e.g. "
            f"iconv -f GBK -t UTF-8 {name} > utf8.csv.") from None
    except pd.errors.ParserError as exc:
        detail = " ".join(str(exc).split())
        raise PanelError(f"data.file {name!r} cannot be read as CSV: {detail}. Check the "
                         "separator (a comma) and the quoting of that line.") from None
    if len(frame) == 0:
        cols = ", ".join(map(str, frame.columns[:5])) + (", ..." if frame.shape[1] > 5 else "")
        raise PanelError(f"data.file {name!r} has a header line ({frame.shape[1]} columns: "
                         f"{cols}) but 0 data rows. {fix}")
    return frame


def _check_columns(frame: pd.DataFrame, config: StudyConfig) -> None:
    import difflib

    s, r = config.study, config.robustness
    wanted = {"data.unit": [config.data.unit], "data.time": [config.data.time],
              "study.outcomes": s.outcomes, "study.controls": s.controls,
              "study.mediators": s.mediators,
              "robustness.psm.covariates": (r.psm or {}).get("covariates", ())}
    for side, chain in (config.mechanism.chains or {}).items():
        wanted[f"mechanism.chains.{side}"] = chain
    if config.data.cohort != "registry":
        wanted["data.cohort"] = [config.data.cohort]
    if s.cluster != "unit":
        wanted["study.cluster"] = [s.cluster]
    for key, columns in wanted.items():
        for col in columns:
            if col not in frame.columns:
                close = difflib.get_close_matches(col, [str(c) for c in frame.columns], n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise SpecificationError(
                    f"{key}: column {col!r} not found in the data ({frame.shape[1]} columns, "
                    f"e.g. {', '.join(map(str, frame.columns[:5]))}).{hint} Fix the name in "
                    "the study file.")


def frame_table(df: pd.DataFrame, title: str, notes=(), run=None, legend=()):
    """A DataFrame as a did_zones Table (for tables without a dedicated builder); with
    ``run``, its column names and category cells in the study's language and its
    data-handling ``notes`` as ``study.notes`` asks (``legend`` lines always stay)."""
    from ..tables import Table
    from ..tables.formatting import data_notes
    from ..tables.names import column_name

    notes = [n for n in notes if n]
    if run is not None:
        lang = run.config.study.language  # human labels, never internal column names
        df = df.rename(columns=lambda c: column_name(c, lang))
        df = df.apply(lambda col: col.map(lambda v: column_name(v, lang)
                                          if isinstance(v, str) else v))
        notes = data_notes(notes, run.config.study.notes, lang)
    return Table.from_frame(df, title=title, notes=[*notes, *(n for n in legend if n)])


def unit_names(panel, units, language: str, columns: int = 2) -> dict:
    """Unit id -> a display name from the data's name columns (the simulated panel's ``city``
    and ``name_en``: the report's language first, with ``columns=2`` the other beside it);
    ``{}`` without them."""
    cols = [c for c in (("city", "name_en", "name") if language == "zh" else
                        ("name_en", "city", "name")) if c in panel.data.columns]
    if not cols:
        return {}
    data = panel.data[panel.data[panel.unit].isin(list(units))]
    first = data.drop_duplicates(panel.unit).set_index(panel.unit)
    return {u: " ".join(dict.fromkeys(str(first.at[u, c]) for c in cols[:columns]))
            for u in first.index}
