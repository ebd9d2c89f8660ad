"""Chinese renderings of the notes that numerical modules attach to results.

``Result.notes``, ``Panel.notes`` and the notes of the robustness and mechanism results are
English sentences written where the data were handled. Presentation translates them here:
:data:`CATALOGUE` pairs a regular expression for one English sentence (or clause) with a
Chinese template; numbers, code examples and option values are carried over from the match.
Patterns are applied in order, each anywhere in the note, so a note made of several
sentences is translated sentence by sentence. A sentence no pattern knows stays English;
:func:`untranslated` finds such leftovers (the tests use it on notes from many code paths).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["translate_note", "translate_notes", "untranslated", "CATALOGUE"]

_N = r"(\d+)"
_NUM = r"(-?[\d.]+(?:e[-+]?\d+)?|inf|nan)"
_LIST = r"(\[[^\]]*\])"  # a Python list or did_zones' examples(): [a, b, ... (3 more)]
_Q = r"('[^']*'|\"[^\"]*\")"  # a repr()'d string

Template = str | Callable[[re.Match], str]

_RULES_ZH = {"温忠麟 & 叶宝娟 (2014) revised procedure": "温忠麟、叶宝娟（2014）修正程序",
             "温忠麟 et al. (2004) procedure": "温忠麟等（2004）程序",
             "Baron & Kenny (1986) causal steps": "Baron & Kenny（1986）逐步检验"}
_CONCLUSION_ZH = {"full mediation": "完全中介效应", "partial mediation": "部分中介效应",
                  "suppression": "遮掩效应", "no mediation": "无中介效应",
                  "inconclusive": "证据不足"}


def _serial_head(m: re.Match) -> str:
    paths = "无" if m.group(5) == "none" else m.group(5).replace(", ", "、")
    return (f"链式中介（PROCESS 模型 6，{_RULES_ZH.get(m.group(1), m.group(1))}）：总间接效应为 "
            f"{m.group(2)}（{_CONCLUSION_ZH[m.group(3)]}，{m.group(4)} 水平）；显著路径：{paths}")


def _serial_sides(m: re.Match) -> str:
    parts = re.findall(r"(.+?) (\S+) \(p = (\S*)\)(?:, |$)", m.group(1))
    return "；分侧合计：" + "，".join(f"{n} {e}（p = {p}）" for n, e, p in parts)


_REASONS = {  # Callaway–Sant'Anna: why an ATT(g,t) cell was skipped
    "propensity score >= 0.999 (overlap fails)": "倾向得分 ≥ 0.999（共同支撑不满足）",
    "comparison units cannot fit the outcome regression (singular design)":
        "对照个体无法拟合结果回归（设计矩阵奇异）",
    "every comparison unit trimmed (propensity score >= trim)":
        "对照个体全部被截尾（倾向得分 ≥ trim）",
    "a treated or comparison group unobserved in one of the two periods":
        "处理组或对照组在两期之一未被观测到",
}
_COLLINEAR_WITH = {"fixed effects": "固定效应", "unit and period effects": "个体和时期效应"}
_OTHER = {"controls": "控制变量", "regressors": "回归变量"}


def _few_clusters(m: re.Match) -> str:
    of = f"（{m.group(3)}）" if m.group(3) else ""
    return (f"仅有 {m.group(1)} 个聚类{of}：聚类数少于 {m.group(4)} 时聚类稳健标准误和 p 值可能不"
            "可靠。请改用野聚类自助法（wild cluster bootstrap，Stata boottest / R "
            "fwildclusterboot）或随机化推断（did_zones.placebo）。")


def _control_dropped(m: re.Match) -> str:
    among = "在未处理观测中" if m.group(5) else ""
    return (f"控制变量 {m.group(1)} {among}与{_COLLINEAR_WITH[m.group(2)]}或其他"
            f"{_OTHER[m.group(3)]}共线，已删除。")


_VARIANCE_ZH = {"CRV1": "聚类稳健标准误 CRV1", "influence function": "影响函数标准误",
                "BJS imputation variance": "BJS 插补法方差", "two-stage GMM variance":
                "两阶段 GMM 方差", "analytic": "解析标准误"}
_WEIGHTS_ZH = {"Rademacher": "Rademacher", "Mammen": "Mammen", "Webb": "Webb",
               "Normal": "正态"}
_NO_VALID_ZH = {
    "the term rests on several cohorts and the estimator has no wild cluster bootstrap":
        "该项依赖多个批次，且该估计量不支持野聚类自助法",
    "the term rests on several cohorts and fewer than 6 treated clusters":
        "该项依赖多个批次，且处理聚类少于 6 个",
    "the estimator supports neither placebo nor wild cluster bootstrap":
        "该估计量既不支持安慰剂检验也不支持野聚类自助法",
}


def _variance_label(m: re.Match) -> str:
    what = (f"乘子自助法（{m.group(2)} 次抽取）" if m.group(2)
            else _VARIANCE_ZH[m.group(1)])
    where = "异方差稳健" if m.group(4) is None else f"按 {m.group(4)} 聚类（G = {m.group(5)}）"
    dist = f"t({m.group(7)}) 分布" if m.group(7) else "正态分布"
    band = "，sup-t 一致置信带" if m.group(8) else ""
    return f"{what}，{where}，{dist}{band}"


def _wild_label(m: re.Match) -> str:
    draws = (f"全部枚举 2^{m.group(3)} = {m.group(4)} 种符号组合" if m.group(3)
             else f"{m.group(5)} 次抽取")
    by = f"，按 {m.group(7)} 的 {m.group(6)} 个聚类" if m.group(6) else ""
    return f"野聚类自助法（wild cluster bootstrap，{m.group(1)}，{_WEIGHTS_ZH[m.group(2)]} 权重，{draws}{by}）"


_SMALL_ACTION = {  # estimators/_small_cells.small_cell_message, per small_cells policy
    "They are marked in keys['small_cell']; pass small_cells='exclude' or 'pool' to leave "
    "them out of the averages or pool them with neighbours":
        "已在 keys['small_cell'] 中标记；可设定 small_cells='exclude' 或 'pool'，将其排除出平均"
        "或与相邻项合并",
    "Cohorts below the threshold are left out of the averages (small_cells='exclude')":
        "低于阈值的批次已排除出平均（small_cells='exclude'）",
    "Small groups are pooled with their neighbours (small_cells='pool'); the terms listed "
    "still rest on too few units":
        "小组已与相邻组合并（small_cells='pool'）；所列各项依据的个体仍然过少",
}
_SMALL_HOW = {  # estimators/_small_cells.exclusion_note: what exclusion means, per estimator
    "their treated observations get zero weight in every average; their untreated "
    "observations stay in the first stage":
        "其处理组观测在各平均中的权重为零；其未处理观测仍用于第一阶段",
    "their treated observations leave the second stage (lead observations join the "
    "reference); the first stage is unchanged":
        "其处理组观测不进入第二阶段（提前期观测并入基期）；第一阶段不变",
    "they are not used as switchers (while not yet treated they remain comparison units)":
        "不作为转换者使用（尚未处理时仍作为对照个体）",
    "their ATT(g,t) get zero weight in every average, the overall ones included (the cells "
    "are still estimated and reported)":
        "其 ATT(g,t) 在各平均（包括总体平均）中的权重为零（这些单元仍会估计并报告）",
    "their CATTs are left out of every interaction-weighted average, the other cohorts' "
    "shares renormalised; the regression is unchanged":
        "其 CATT 不进入任何交互加权平均，其余批次的份额重新归一；回归本身不变",
}


def _small_cells(m: re.Match) -> str:
    action = _SMALL_ACTION.get(m.group(7), m.group(7))
    return (f"{m.group(1)}：{m.group(2)} 个项所依据的处理组个体少于 {m.group(3)} 个（项: 个体数）"
            f"——{m.group(4)}。其标准误不可靠，可能被低估数倍：处理组聚类为 {m.group(5)} 个时，"
            f"名义 5% 的聚类稳健检验有 {m.group(6)}% 的概率拒绝为真的原假设"
            f"（benchmarks/size_wild_bootstrap.py）。{action}；对这些项的推断请使用 "
            "few_treated_inference(result, panel)（限于该批次的随机化推断，或处理组聚类不少于 6 个时的"
            "野聚类自助法）。")


def _small_excluded(m: re.Match) -> str:
    how = _SMALL_HOW.get(m.group(6), m.group(6))
    return (f"{m.group(1)}：small_cells='exclude' 排除了处理组个体少于 {m.group(3)} 个的 "
            f"{m.group(2)} 个批次 {m.group(4)}（{m.group(5)} 个个体）：{how}。")


def _fmt(template: str) -> Callable[[re.Match], str]:
    return lambda m: template.format(None, *m.groups())


_RAW: list[tuple[str, Template]] = [
    # ---------------------------------------------------------------- panel, zone_panel
    (rf"{_N} unit\(s\) first treated after (\S+) \(cohorts {_LIST}\) are never-treated "
     r"within the sample\.", "{1} 个个体首次试点晚于样本末期 {2}（批次 {3}），在样本期内按从未试点处理。"),
    (rf"{_N} unit\(s\) \({_N} rows\) are treated from the first period (\S+) on "
     rf"\(always-treated; no untreated period to compare\), e\.g\. {_LIST}\.",
     "{1} 个个体（{2} 行）自首期 {3} 起即已试点（始终处理，没有可比较的未处理时期），例如 {4}。"),
    (rf"Unbalanced panel: {_N} of {_N} units are not observed in all {_N} periods "
     rf"\({_N} unit-periods missing\), e\.g\. {_LIST}\.",
     "非平衡面板：{2} 个个体中有 {1} 个未在全部 {3} 期被观测到（缺失 {4} 个个体-时期），例如 {5}。"),
    (rf"Unbalanced panel: {_N} unit-periods missing\.", "非平衡面板：缺失 {1} 个个体-时期。"),
    (r"No never-treated units: estimators need control='not_yet'\.",
     "没有从未试点的个体：估计量需设定 control='not_yet'。"),
    (rf"{_N} unit\(s\) of the cohort mapping are not in the data, e\.g\. {_LIST}\.",
     "批次映射中有 {1} 个个体不在数据中，例如 {2}。"),
    (rf"{_N} unit\(s\) not in the cohort mapping are never-treated\.",
     "{1} 个不在批次映射中的个体按从未试点处理。"),
    (rf"Treatment of {_N} unit\(s\) ends after the last observed period \(revoked pilot "
     rf"zones, e\.g\. {_LIST}\): absorbing within the panel\.",
     "{1} 个个体的处理在最后观测期之后才结束（综试区被撤销，例如 {2}）：在面板内仍视为持续处理。"),
    (rf"Treatment switches off inside the panel for {_N} unit\(s\), e\.g\. (.+?): only dcdh "
     r"estimates with this panel \(DID_M with leavers\); every other estimator refuses it\.",
     "面板内有 {1} 个个体的处理中途结束（例如 {2}）：只有 dcdh 可用此面板估计（含退出者的 DID_M），"
     "其他估计量均拒绝该面板。"),
    (rf"Pilot timing from the zone registry: timing={_Q}, county_level={_Q}, batches "
     rf"{_LIST}\.", "试点时间取自综试区名录：timing={1}，county_level={2}，批次 {3}。"),
    (rf"county_level='drop': {_N} prefecture\(s\) containing a county-level zone or new area "
     rf"\({_N} rows\) were dropped from the panel: (.+?)\.$",
     "county_level='drop'：{1} 个含县级综试区或新区的地级市（{2} 行）已从面板中删除：{3}。"),
    (rf"county_level='parent': {_N} prefecture\(s\) are treated through a county-level zone or "
     r"new area inside them: (.+?)\.$",
     "county_level='parent'：{1} 个地级市因辖内县级综试区或新区而视为试点：{2}。"),
    (rf"{_N} unit code\(s\) in {_Q} are not current prefecture-level codes, e\.g\. {_LIST}; "
     r"they are never-treated\. Check for old codes \(莱芜 371200 is now part of 济南 370100\) "
     r"and county or district codes \(see did_zones\.load_cities\(\)\)\.",
     "{2} 中有 {1} 个代码不是现行地级行政区代码，例如 {3}；按从未试点处理。请检查旧代码"
     "（莱芜 371200 现属济南 370100）以及县、区代码（见 did_zones.load_cities()）。"),
    (r"Cluster resample: (\d+) (units|clusters of '[^']*') drawn with replacement "
     rf"\({_N} units, relabelled 0\.\.{_N}\)\.",
     lambda m: (f"聚类重抽样：有放回地抽取 {m.group(1)} 个"
                f"{'个体' if m.group(2) == 'units' else m.group(2)[12:] + ' 的聚类'}"
                f"（{m.group(3)} 个个体，重新编号为 0..{m.group(4)}）。")),
    (rf"Dropped {_N} always-treated cit\(ies\) \(cohort at or before the first year (\S+)\): "
     rf"{_LIST}\. Start the panel earlier, or pass always_treated='keep'\.",
     "删除 {1} 个始终处理的城市（批次不晚于首年 {2}）：{3}。可让面板更早开始，或设定 "
     "always_treated='keep'。"),
    # ------------------------------------------------------ estimation sample (design)
    (rf"{_N} row\(s\) of {_N} dropped for missing values in {_LIST} \({_N} unit\(s\) "
     rf"affected, e\.g\. {_LIST}\)\.",
     "因 {3} 存在缺失值，删除 {2} 行中的 {1} 行（涉及 {4} 个个体，例如 {5}）。"),
    (rf"{_N} row\(s\) of {_N} dropped for missing fixed-effect or cluster values in {_LIST} "
     rf"\({_N} unit\(s\) affected, e\.g\. {_LIST}\)\.",
     "因 {3} 的固定效应或聚类变量缺失，删除 {2} 行中的 {1} 行（涉及 {4} 个个体，例如 {5}）。"),
    (rf"{_N} row\(s\) of {_N} dropped for missing values in {_LIST} \(rows {_LIST}\)\.",
     "因 {3} 存在缺失值，删除 {2} 行中的 {1} 行（行 {4}）。"),
    (rf"{_N} singleton observation\(s\) \(alone in a group of the fixed effects {_LIST}; "
     rf"{_N} unit\(s\), e\.g\. {_LIST}\) dropped, as reghdfe does: they are fitted perfectly "
     r"and carry no information about the coefficients\.",
     "删除 {1} 个单例观测（在固定效应 {2} 的分组中只有一个观测；涉及 {3} 个个体，例如 {4}），"
     "与 reghdfe 相同：它们被完全拟合，不含系数的信息。"),
    (rf"{_N} regressor\(s\) dropped as collinear with the fixed effects or earlier regressors: "
     rf"{_LIST}\.", "{1} 个回归变量与固定效应或前面的回归变量共线，已删除：{2}。"),
    (rf"Control\(s\) {_LIST} dropped: collinear with the (fixed effects|unit and period "
     r"effects) or the other (controls|regressors)(( among untreated observations)?)\.",
     _control_dropped),
    (rf"{_N} control\(s\) dropped as collinear with the fixed effects or the event-time terms: "
     rf"{_LIST}\.", "{1} 个控制变量与固定效应或事件时间项共线，已删除：{2}。"),
    (r" ?Remove them from controls\.", "请从控制变量中移除。"),
    (rf"Only {_N} clusters( of {_Q})?: cluster-robust standard errors and p-values may be "
     rf"unreliable with fewer than {_N}\. Use a wild cluster bootstrap \(Stata boottest / R "
     r"fwildclusterboot\) or randomization inference \(did_zones\.placebo\)\.",
     _few_clusters),
    # -------------------------------------------------------------- event study (TWFE)
    (rf"{_N} row\(s\) of treated units with event time outside the window (-?\d+)\.\.(-?\d+) "
     rf"dropped \({_N} unit\(s\), e\.g\. {_LIST}; control={_Q}\)\.",
     "删除处理组个体中事件时间在窗口 {2}..{3} 之外的 {1} 行（{4} 个个体，例如 {5}；control={6}）。"),
    (rf" ?{_N} row\(s\) before the window are kept as not-yet-treated comparisons "
     r"\(control='not_yet'\)\.", "窗口之前的 {1} 行作为尚未处理的对照保留（control='not_yet'）。"),
    (rf"{_N} row\(s\) of treated units before the window (-?\d+)\.\.(-?\d+) are kept as "
     r"not-yet-treated comparisons \(control='not_yet'\)\.",
     "处理组个体在窗口 {2}..{3} 之前的 {1} 行作为尚未处理的对照保留（control='not_yet'）。"),
    (r" ?Use bin_endpoints=True to pool them into the end periods instead\.",
     "也可设定 bin_endpoints=True，将其归并到两端的期数。"),
    (rf"{_N} event-time term\(s\) not identified \(collinear with the fixed effects and the "
     rf"other terms\) and dropped: {_LIST}\.",
     "{1} 个事件时间项无法识别（与固定效应及其他项共线），已删除：{2}。"),
    (r" ?Without never-treated units, effects at horizons beyond the spread of adoption dates "
     r"are not identified \(Borusyak, Jaravel & Spiess 2024\)\.",
     "没有从未试点个体时，超出试点时间跨度的期数上的效应无法识别（Borusyak, Jaravel & Spiess 2024）。"),
    (rf"{_N} event-time coefficient\(s\) rest on fewer than {_N} treated units \(term: units\) "
     r"— (.+?)\. They are fragile; consider a narrower window or bin_endpoints=True\.",
     "{1} 个事件时间系数所依据的处理组个体少于 {2} 个（项: 个体数）——{3}。这些系数不稳健；"
     "可考虑缩小窗口或设定 bin_endpoints=True。"),
    (r"No never-treated units: event time \(period − cohort\) is collinear with the unit and "
     r"period effects, so a second reference period is needed\. The earliest lead e(\S+) is "
     r"normalised to 0 together with e(\S+?); pass reference=\((\S+), k\) to choose another\.",
     "没有从未试点个体：事件时间（时期 − 批次）与个体和时期效应共线，需要第二个基期。最早的"
     "提前项 e{1} 与 e{2} 一同标准化为 0；可传入 reference=({3}, k) 另选。"),
    # ------------------------------------------------------------- Callaway–Sant'Anna
    (rf"{_N} unit\(s\) of cohorts treated by the first period \+ anticipation \((\S+) \+ "
     rf"{_N}\) have no pre-treatment period and are dropped, e\.g\. {_LIST}\.",
     "{1} 个个体所在批次不晚于首期 + 预期期（{2} + {3}）即已试点，没有处理前时期，已删除，例如 {4}。"),
    (rf"Unbalanced panel: {_N} unit\(s\) not observed in all {_N} periods dropped \({_N} "
     rf"rows\), e\.g\. {_LIST}, as R did balances panels; pass allow_unbalanced=True to keep "
     r"them\.",
     "非平衡面板：删除未在全部 {2} 期被观测到的 {1} 个个体（{3} 行），例如 {4}，与 R did "
     "平衡面板的做法相同；设定 allow_unbalanced=True 可保留。"),
    (rf"Unbalanced panel kept \(allow_unbalanced=True\): {_N} units, {_N} rows; cells use the "
     r"repeated cross-section estimators with unit-level influence functions \(R did's "
     r"allow_unbalanced_panel=TRUE\)\.",
     "保留非平衡面板（allow_unbalanced=True）：{1} 个个体，{2} 行；各单元使用重复截面估计量与"
     "个体层面的影响函数（同 R did 的 allow_unbalanced_panel=TRUE）。"),
    (rf"Collinear covariate\(s\) dropped: {_LIST} \(constant, or a linear combination of the "
     r"intercept and the covariates listed before them\)\.",
     "删除共线协变量 {1}（常数，或为截距与排在其前的协变量的线性组合）。"),
    (rf"Groups with fewer than {_N} units \(covariates \+ 5, R did's check; cohort: units\) "
     r"— (.+?)\. The ATT\(g,t\) fits that use them rest on very few units\.",
     "个体数少于 {1} 的组（协变量个数 + 5，R did 的检查；批次: 个体数）——{2}。使用这些组的 "
     "ATT(g,t) 拟合只依赖极少数个体。"),
    (r" ?The never-treated group is tiny: consider control='not_yet'\.",
     "从未试点组很小：可考虑 control='not_yet'。"),
    (rf"Propensity-score trimming \(trim=([^)]+)\): {_N} comparison observation\(s\) in {_N} "
     r"ATT\(g,t\) cell\(s\) had a score >= (\S+) and got zero weight \(DRDID's convention\)\.",
     "倾向得分截尾（trim={1}）：{3} 个 ATT(g,t) 单元中有 {2} 个对照观测的得分 ≥ {4}，权重设为零"
     "（同 DRDID 的约定）。"),
    (r"(\d+) for (" + "|".join(re.escape(k) for k in _REASONS) + r"), e\.g\. ",
     lambda m: f"{m.group(1)} 个因{_REASONS[m.group(2)]}，例如 "),
    (rf"{_N} of {_N} ATT\(g,t\) cell\(s\) skipped \(R did reports NA\): (.+?)\. Aggregations "
     r"use the estimated cells\.",
     "{2} 个 ATT(g,t) 单元中有 {1} 个被跳过（R did 报告为 NA）：{3}。加总只使用已估计的单元。"),
    (rf"No never-treated units: periods >= {_NUM} \(last cohort {_NUM} minus anticipation\) "
     rf"dropped \({_N} rows\) and cohort {_NUM} serves as the comparison group \(as R did\)\.",
     "没有从未试点个体：删除时期 ≥ {1} 的数据（最后一批 {2} 减去预期期；{3} 行），以批次 {4} "
     "作为对照组（同 R did）。"),
    (rf"No never-treated units: periods >= {_NUM} dropped \({_N} rows\) and cohort {_NUM} "
     r"serves as the comparison group \(as R etwfe\)\.",
     "没有从未试点个体：删除时期 ≥ {1} 的数据（{2} 行），以批次 {3} 作为对照组（同 R etwfe）。"),
    (r"DML-DiD assumptions: \(1\) conditional parallel trends: given the controls, the "
     r"treated cohort's untreated outcome would have moved like the comparison group's; "
     r"\(2\) overlap: every unit has a propensity of belonging to the cohort strictly between "
     r"0 and 1 given its controls; \(3\) no anticipation before the first treated period "
     r"\(beyond anticipation=\); \(4\) the learners converge fast enough: the product of the "
     r"outcome-regression and propensity errors is o\(n\^-1/2\), e\.g\. each o\(n\^-1/4\)\.",
     "DML-DiD 识别假设：(1) 条件平行趋势：给定控制变量，处理批次未受处理时的结果变化与对照组相同；"
     "(2) 共同支撑（重叠）：给定控制变量，每个个体属于该批次的倾向得分严格介于 0 和 1 之间；"
     "(3) 无预期效应：首个处理期之前（anticipation= 设定之外）不受影响；(4) 机器学习估计量收敛足够快："
     "结果回归与倾向得分误差之积为 o(n^-1/2)，例如各自为 o(n^-1/4)。"),
    (rf"DML-DiD: {_N} ATT\(g,t\) skipped with fewer treated or comparison (units|rows) than "
     rf"n_folds={_N} \(treated/comparison, e\.g\. (.+?)\): a cross-fitting fold would lack one group\. Lower "
     r"n_folds or pool small cohorts\.",
     lambda m: (f"DML-DiD：{m.group(1)} 个 ATT(g,t) 因处理组或对照组"
                f"{'个体' if m.group(2) == 'units' else '观测'}少于 n_folds={m.group(3)} 而跳过"
                f"（处理/对照，例如 {m.group(4)}）：交叉拟合的某一折会缺少一组。"
                "请减小 n_folds 或合并小批次。")),
    (rf"DML-DiD: propensity scores outside \[{_NUM}, {_NUM}\] were clipped in {_N} "
     r"comparison\(s\) \(clipped/(units|rows): (.+?)\): weak overlap or perfect separation by the "
     r"controls\. Check overlap, drop controls that nearly determine the cohort, or raise "
     r"trimming_threshold\.",
     lambda m: (f"DML-DiD：{m.group(3)} 个比较中倾向得分超出 [{m.group(1)}, {m.group(2)}] 而被截断"
                f"（截断数/{'个体数' if m.group(4) == 'units' else '观测数'}：{m.group(5)}）："
                "重叠性弱或控制变量完全分离处理状态。请检查共同支撑、去掉几乎决定批次的控制变量，或提高 "
                "trimming_threshold。")),
    (r"No pre-treatment ATT\(g,t\) to test parallel trends on\.",
     "没有处理前的 ATT(g,t)，无法进行平行趋势检验。"),
    (r"Pre-test of parallel trends not reported: the variance of the pre-treatment ATT\(g,t\) "
     r"is singular\.", "未报告平行趋势预检验：处理前 ATT(g,t) 的方差矩阵奇异。"),
    (r"(\d+) cohorts have too few treated units for the (\d+) basis functions and are left "
     r"out of continuous_did: (.+?)\. Lower degree or num_knots to keep them\.",
     lambda m: (f"{m.group(1)} 个批次的处理组个体过少，不足以估计 {m.group(2)} 个基函数，"
                f"未纳入 continuous_did："
                + re.sub(r" \((\d+) units\)", r"（\1 个个体）", m.group(3))
                + "。降低 degree 或 num_knots 可保留它们。")),
    (r"No uniform band: no term has a positive bootstrap standard error\.",
     "无一致置信带：没有任何项的自助法标准误为正。"),
    (r"No uniform band: the bootstrap distribution is degenerate\.",
     "无一致置信带：自助法分布退化。"),
    (rf"The bootstrap sup-t critical value \({_NUM}\) is below the pointwise one \({_NUM}\); "
     r"the uniform band uses the pointwise value \(as R did\)\.",
     "自助法 sup-t 临界值（{1}）低于逐点临界值（{2}）；一致置信带改用逐点临界值（同 R did）。"),
    (rf"The uniform critical value is {_NUM} \(>= 7\): too large to be reliable; cohorts are "
     r"probably tiny or outcomes barely vary\. Prefer pointwise intervals\.",
     "一致临界值为 {1}（≥ 7）：过大而不可靠，可能是批次过小或结果变量几乎不变。建议使用逐点置信区间。"),
    (rf"{_N} ATT\(g,t\) cell\(s\) could not be estimated and are left out of the aggregation "
     r"\(R's na\.rm = TRUE\)\.", "{1} 个 ATT(g,t) 单元无法估计，未纳入加总（同 R 的 na.rm = TRUE）。"),
    # -------------------------------------------------------------------- Sun–Abraham
    (rf"window (\([^)]*\)): {_N} row\(s\) of treated units outside relative periods "
     r"(-?\d+)\.\.(-?\d+) dropped \(bin_endpoints=False\)\.",
     "窗口 {1}：删除处理组个体中相对时期在 {3}..{4} 之外的 {2} 行（bin_endpoints=False）。"),
    (rf"{_N} cohort\(s\) {_LIST} never observed at the reference period\(s\) {_LIST} dropped "
     rf"\({_N} rows, {_N} units, e\.g\. {_LIST}\): their effects cannot be normalised\.",
     "{1} 个批次 {2} 在基期 {3} 从未被观测到，已删除（{4} 行，{5} 个个体，例如 {6}）：其效应无法标准化。"),
    (rf"{_N} cohort × relative-period effect\(s\) not identified \(collinear with the unit and "
     rf"period effects\) and left out of the averages, \(cohort, relative period\) {_LIST}\.",
     "{1} 个批次 × 相对时期效应无法识别（与个体和时期效应共线），未纳入平均，(批次, 相对时期) {2}。"),
    (rf"control='last': cohort {_NUM} \({_N} units\) serves as the comparison group; its "
     rf"treatment period {_NUM} and later \({_N} rows\) are dropped so that it is untreated "
     r"throughout\.",
     "control='last'：以批次 {1}（{2} 个个体）作为对照组；删除其处理期 {3} 及之后的数据（{4} 行），"
     "使其在样本中始终未受处理。"),
    (r" ?Consider control='last' \(the last-treated cohort as comparison\)\.",
     "可考虑 control='last'（以最后一批试点作为对照组）。"),
    (rf" and never-treated units \({_N}\)", " 及从未试点个体（{1}）"),
    (rf"never-treated units \({_N}\)", "从未试点个体（{1}）"),
    (rf"last-treated cohort {_NUM} \({_N} units\)", "最后一批试点 {1}（{2} 个个体）"),
    (rf"The comparison group \((.+?)\) has only {_N} unit\(s\) in the estimation sample: "
     r"every effect is measured against them\.",
     "对照组（{1}）在估计样本中只有 {2} 个个体：所有效应都相对于它们度量。"),
    # ------------------------------------------- small cells (staggered estimators)
    (rf"([^:\s][^:]*): {_N} term\(s\) rest on fewer than {_N} treated units \(term: units\) "
     rf"— (.+?)\. Their standard errors are unreliable and can be understated several-fold: "
     rf"with {_N} treated clusters? a nominal 5% cluster-robust test rejects a true null "
     rf"{_N}% of the time \(benchmarks/size_wild_bootstrap\.py\)\. (.+?); for their "
     r"inference use few_treated_inference\(result, panel\) \(randomization restricted to the "
     r"cohort, or the wild cluster bootstrap from 6 treated clusters\)\.",
     _small_cells),
    (rf"([^:\s][^:]*): small_cells='exclude' leaves out {_N} cohort\(s\) with fewer than "
     rf"{_N} treated units, {_LIST} \({_N} unit\(s\)\): ([^.]+)\.", _small_excluded),
    (rf" ?{_N} term\(s\) dropped for resting on fewer than {_N} treated units: {_LIST}\.",
     "依据的处理组个体少于 {2} 个的 {1} 个项已删除：{3}。"),
    (rf"([^:\s][^:]*): small_cells='pool' pooled adjacent event times until each term rests on "
     rf"at least {_N} treated units \(or its block has no more\): {_N} pooled term\(s\), "
     rf"{_LIST}\.",
     "{1}：small_cells='pool' 将相邻事件时间合并，直至每项依据的处理组个体不少于 {2} 个"
     "（或其所在区段已无更多个体）：合并后的项 {3} 个，{4}。"),
    (rf"Pre-trend test skipped: small_cells='exclude' leaves no lead resting on {_N} or more "
     r"treated units\.",
     "未进行预趋势检验：small_cells='exclude' 之后没有依据 {1} 个及以上处理组个体的提前项。"),
    # --------------------------------------------------------------------- imputation
    (r"(\d+) whose unit, period or other fixed effect has no untreated observation",
     "{1} 个所在个体、时期或其他固定效应没有未处理观测"),
    (r"(\d+) whose fixed effects are not connected through untreated observations",
     "{1} 个的固定效应未通过未处理观测相连"),
    (rf"{_N} treated observation\(s\) dropped because Y\(0\) cannot be imputed for them "
     rf"\((.+?); {_N} unit\(s\), e\.g\. {_LIST}\)\. Typical causes: periods after the last "
     r"cohort is treated when there are no never-treated units, or units treated from "
     r"\(first period \+ anticipation\)\.",
     "删除 {1} 个无法插补 Y(0) 的处理组观测（{2}；涉及 {3} 个个体，例如 {4}）。常见原因：没有"
     "从未试点个体时最后一批试点之后的时期，或自（首期 + 预期期）起即已试点的个体。"),
    (rf"{_N} term\(s\) rest on fewer than {_N} effective treated observations \(1/Σw²\), "
     rf"e\.g\. {_LIST}: their estimates are fragile and their standard errors may be biased "
     r"downward\. Stata did_imputation suppresses them by default \(minn\(30\)\); they are "
     r"reported here\.",
     "{1} 个项所依据的有效处理组观测少于 {2} 个（1/Σw²），例如 {3}：其估计值不稳健，标准误可能"
     "偏小。Stata 的 did_imputation 默认不报告这些项（minn(30)），此处予以报告。"),
    (rf"{_N} cohort-period cell\(s\) of treated observations lie in a single cluster, e\.g\. "
     r"(\[.*?\]): their residual τ̂ − τ̃ is zero by construction, so the standard errors "
     r"ignore their noise and may be too small\.",
     "{1} 个批次-时期单元的处理组观测只位于一个聚类中，例如 {2}：其残差 τ̂ − τ̃ 按构造为零，"
     "标准误忽略了这部分噪声，可能偏小。"),
    (rf"Pre-trend regression: {_N} singleton observation\(s\) dropped \(reghdfe\)\.",
     "预趋势回归：删除 {1} 个单例观测（同 reghdfe）。"),
    (rf"{_N} treated observation\(s\) at event times outside horizons left out of the second "
     r"stage\.", "{1} 个处理组观测的事件时间不在 horizons 之内，未纳入第二阶段。"),
    # --------------------------------------------------------------------------- dCDH
    (rf"Controls {_LIST}: outcome changes net of θ̂'ΔX, θ̂ from first differences of {_N} "
     r"not-yet-treated unit-periods with period effects\.",
     "控制变量 {1}：结果变量的变化扣除 θ̂'ΔX，θ̂ 由 {2} 个尚未处理的个体-时期的一阶差分（含时期效应）估计。"),
    (rf"{_N} of {_N} bootstrap draws could not compute every term \(no switchers or "
     r"comparison units in a resampled cell\) and were left out\.",
     "{2} 次自助抽样中有 {1} 次无法计算全部项（重抽样的单元中没有转换者或对照个体），已剔除。"),
    (rf"(\S+): {_N} cohort cell\(s\) skipped for lack of comparison units \(untreated units "
     rf"observed in both periods\): cohorts {_LIST} \({_N} switcher\(s\)\); they are not in "
     r"the average\.",
     "{1}：{2} 个批次单元因缺少对照个体（两期均被观测到的未处理个体）被跳过：批次 {3}（{4} 个转换者）；"
     "未计入平均。"),
    (rf"(\S+): {_N} cohort\(s\) {_LIST} \({_N} unit\(s\)\) have no unit with the outcome "
     rf"observed in both periods {_LIST}; they are not in the average\.",
     "{1}：{2} 个批次 {3}（{4} 个个体）没有在两期 {5} 均观测到结果变量的个体；未计入平均。"),
    (rf"{_N} cell\(s\) rest on a single comparison unit, e\.g\. {_LIST}: their DID is "
     r"fragile\. Consider fewer dynamic effects or placebos\.",
     "{1} 个单元只依赖一个对照个体，例如 {2}：其 DID 不稳健。可考虑减少动态效应或安慰剂项。"),
    # ---------------------------------------------------------- Bacon, TWFE weights
    (r"The Bacon decomposition is descriptive: it has no standard errors\. "
     r"Use twfe\(\) for inference on the TWFE coefficient\.",
     "Goodman-Bacon 分解是描述性的，没有标准误。对 TWFE 系数的推断请使用 twfe()。"),
    (rf"{_N} unit\(s\) have a cohort that is not an observed period \(e\.g\. {_LIST}\); they "
     r"are treated from the next observed period on, as in the regression\.",
     "{1} 个个体的批次不是观测到的时期（例如 {2}）；与回归一致，自下一个观测时期起视为已试点。"),
    (r"TWFE weights are design quantities without standard errors; use "
     r"twfe\(\) for inference on the coefficient\.",
     "TWFE 权重是设计量，没有标准误；对系数的推断请使用 twfe()。"),
    # -------------------------------------------------------------------- robustness
    (r"Covariances across variations are not estimated \(vcov is diagonal\)\.",
     "不估计各稳健性检验之间的协方差（vcov 为对角矩阵）。"),
    (rf"Term {_Q} of (\S+); p-values of every row use the baseline's reference distribution "
     r"\((the normal distribution|t with \d+ df)\); each row's own df is in keys\.",
     lambda m: (f"{m.group(2)} 的 {m.group(1)} 项；各行 p 值均使用基准回归的参考分布（"
                + ("正态分布" if m.group(3) == "the normal distribution"
                   else f"自由度为 {m.group(3).split()[2]} 的 t 分布")
                + "）；各行自身的自由度见 keys。")),
    (rf"Variation {_Q} skipped: its estimate has no term {_Q}\.",
     "稳健性检验 {1} 已跳过：其估计结果中没有 {2} 项。"),
    (rf"Variation {_Q} skipped: it could not be estimated \((.*)\)$",
     "稳健性检验 {1} 已跳过：无法估计（{2}）"),
    (rf"Variation {_Q} skipped: ", "稳健性检验 {1} 已跳过："),
    (r"no unit of the panel is among the (.+?)\.$", "面板中没有个体属于 {1}。"),
    (r"no unit of the panel is a pilot prefecture of the registry; check unit_codes\.",
     "面板中没有个体是名录中的试点地级市；请检查 unit_codes。"),
    (rf"timing {_Q} gives the panel's own cohorts \(the baseline\)\.",
     "时间规则 {1} 得到的正是面板自身的批次（即基准回归）。"),
    (r"(\S+) takes no time-varying controls=\.", "{1} 不接受时变的 controls=。"),
    (rf"column {_Q} already exists in the panel\.", "面板中已有变量 {1}。"),
    (r"the (.+?) DiD term is constant in the panel \((all|no) unit-periods treated\)\.",
     lambda m: (f"{m.group(1)} 的 DiD 项在面板中为常数（"
                f"{'全部' if m.group(2) == 'all' else '没有'}个体-时期受处理）。")),
    (r"Split samples: the equality test assumes independent groups \(block-diagonal vcov, "
     r"chi-square\)\.", "分样本回归：相等性检验假设各组相互独立（分块对角的协方差矩阵，卡方检验）。"),
    (r"Interaction regression: one TWFE model with D x group for every group; the equality "
     r"test uses its joint clustered vcov\.",
     "交互项回归：一个含各组 D × 组别交互项的 TWFE 模型；相等性检验使用其联合聚类协方差矩阵。"),
    (rf"{_N} treated unit\(s\) have no group and were left out: {_LIST}\.",
     "{1} 个处理组个体没有分组，已剔除：{2}。"),
    (rf"{_N} never-treated unit\(s\) without a group serve as controls for every group\.",
     "{1} 个没有分组的从未试点个体作为各组共同的对照。"),
    (rf" \({_N} treated, {_N} never-treated\)", "（{1} 个处理组个体，{2} 个从未试点个体）"),
    (rf"{_N} group\(s\) without treated or without never-treated units skipped: (.+)\.$",
     "{1} 个组缺少处理组个体或从未试点个体，已跳过：{2}。"),
    (rf"The groups share {_N} control unit\(s\), so they are not independent and the test is "
     r"approximate; use approach='interaction' \(twfe\) for the joint vcov\.",
     "各组共享 {1} 个对照个体，并不相互独立，检验是近似的；如需联合协方差矩阵，请使用 "
     "approach='interaction'（twfe）。"),
    (r"Only one group could be estimated: no equality test\.", "只有一个组可以估计：不进行相等性检验。"),
    (r"With cluster='unit' the groups share no cluster, so the block-diagonal vcov is the "
     r"right joint vcov\.", "cluster='unit' 时各组没有共同的聚类，分块对角的协方差矩阵即为正确的联合协方差矩阵。"),
    (r"The robust sets are not nested in M \(numerical tolerance of the grid\)\.",
     "稳健置信集关于 M 不是嵌套的（网格的数值容差所致）。"),
    (rf"{_N} term\(s\) without an event time left out: {_LIST}\.",
     "{1} 个没有事件时间的项被剔除：{2}。"),
    (rf"The reference event time {_NUM} \(normalised to 0\) left out\.",
     "基期事件时间 {1}（标准化为 0）被剔除。"),
    (rf"The robust set at Mbar={_NUM} reaches the end of the theta grid (\[[^\]]*\]); its "
     r"length is not reliable\. Widen grid_bounds\.",
     "Mbar={1} 处的稳健置信集达到 theta 网格的端点 {2}；其长度不可靠。请扩大 grid_bounds。"),
    (rf"{_N} term\(s\) neither pre \(< {_NUM}\) nor post \(>= 0\) were left out: {_LIST}\.",
     "{1} 个既非处理前（< {2}）也非处理后（≥ 0）的项被剔除：{3}。"),
    (rf"No linear trend gives power {_NUM}: the pre-test already rejects with probability "
     rf"{_NUM} under parallel trends\.",
     "没有线性趋势能使检验功效达到 {1}：在平行趋势下预检验的拒绝概率已达 {2}。"),
    (rf"(.+?): the pre-test passes with probability {_NUM}, so the means after pre-testing "
     r"are not reported \(NaN\)\.", "{1}：预检验通过的概率为 {2}，因此不报告预检验后的均值（NaN）。"),
    (r"Standard errors after matching treat the matching weights as fixed \(the propensity "
     r"score and the matching are not re-estimated\)\.",
     "匹配后的标准误将匹配权重视为固定（不重新估计倾向得分和匹配）。"),
    (rf"{_N} never-treated control\(s\) with missing covariates left out of the donor pool, "
     rf"e\.g\. {_LIST}\.", "{1} 个协变量缺失的从未试点对照个体未纳入对照池，例如 {2}。"),
    (rf"{_N} (treated unit\(s\)|treated unit-period\(s\)) without a match \({_N} off the "
     rf"common support, {_N} without a control within the caliper or bandwidth\); they get "
     r"weight 0 and leave the matched sample\.",
     lambda m: (f"{m.group(1)} 个处理组{'个体' if m.group(2).startswith('treated unit(') else '个体-时期'}"
                f"未匹配成功（{m.group(3)} 个在共同支撑之外，{m.group(4)} 个在卡尺或带宽内没有对照）；"
                "其权重为 0，退出匹配样本。")),
    (rf"Matching covariates: unit means over the common pre-treatment periods {_N}-{_N}\.",
     "匹配协变量：各个体在共同处理前时期 {1}-{2} 的均值。"),
    (rf"Matching covariates: values in period {_N}\.", "匹配协变量：时期 {1} 的取值。"),
    (rf"Period {_N} has no treated or no control unit with covariates; its units are not "
     r"matched\.", "时期 {1} 没有协变量完整的处理组或对照组个体；该期个体不参与匹配。"),
    (rf"Period {_N} is on or after the first treatment \({_N}\): covariates may respond to "
     r"treatment\.", "时期 {1} 不早于首次试点（{2}）：协变量可能受政策影响。"),
    (rf"{_N} of {_N} placebo draw\(s\) could not be estimated and were left out of the "
     rf"p-values \(draws {_LIST}; first error: (.*)\)\. Many failures mean the estimator needs "
     r"features the placebo assignments lack \(e\.g\. never-treated units\)\.",
     "{2} 次安慰剂抽取中有 {1} 次无法估计，未计入 p 值（抽取 {3}；首个错误：{4}）。失败较多说明"
     "估计量需要安慰剂分配所缺少的特征（例如从未试点个体）。"),
    # --------------------------------------------------------------------- mechanism
    (rf"{_N} row\(s\) of {_N} dropped so that the three equations share one sample "
     rf"\(missing values: (\{{[^}}]*\}}); {_N} unit\(s\) affected, e\.g\. {_LIST}\)\.",
     "删除 {2} 行中的 {1} 行，使三个方程使用同一样本（缺失值：{3}；涉及 {4} 个个体，例如 {5}）。"),
    (r"Causal reading rests on sequential ignorability \(Imai, Keele & Tingley 2010\): given "
     r"the controls and fixed effects, \(i\) the treatment is as good as random for both the "
     r"mediator and the outcome, and \(ii\) the mediator is as good as random among units with "
     r"the same treatment, i\.e\. no unmeasured confounder of M and Y, even one caused by the "
     r"treatment\. \(ii\) cannot be tested or guaranteed by the design: see the sensitivity "
     r"analysis over rho \(extra\['sensitivity'\], extra\['rho_at_zero'\]\)\.",
     "因果解读依赖序贯可忽略性假设（Imai, Keele & Tingley 2010）：给定控制变量和固定效应，"
     "(i) 处理对中介变量和结果变量而言近似随机；(ii) 在处理状态相同的个体之间，中介变量近似随机，"
     "即不存在同时影响 M 和 Y 的未观测混杂因素（即使该因素由处理引起）。(ii) 无法由研究设计检验或"
     "保证：见对 rho 的敏感性分析（extra['sensitivity']、extra['rho_at_zero']）。"),
    (r"The total effect is exactly zero, so the proportion mediated is undefined \(NaN\)\.",
     "总效应恰好为零，中介效应占比无定义（NaN）。"),
    (rf"The moderator {_Q} is constant within units: its main effect is absorbed by the unit "
     r"fixed effects and not estimated\.",
     "调节变量 {1} 在个体内不随时间变化：其主效应被个体固定效应吸收，不予估计。"),
    (rf"{_Q} centered at its sample mean (\S+?): 'treated' is the effect at the mean of the "
     r"moderator\.", "{1} 以样本均值 {2} 中心化：'treated' 为调节变量取均值时的效应。"),
    (r"Moderation \(D x Z\) describes heterogeneity of the effect across Z, not a mechanism: "
     r"it does not show that the effect runs through Z \(调节效应是异质性, 不是机制; 江艇 2022\)\.",
     "调节效应（D × Z）刻画的是效应在 Z 上的异质性，而不是机制：它不能说明效应通过 Z 传导（江艇 2022）。"),
    # ------------------------------------------------------- mediation verdicts (report)
    (r"The pilot does not move (.+?) significantly at the ([\d.]+%) level, so the data give "
     r"no support to this channel\.", "试点政策对 {1} 的影响在 {2} 水平上不显著，数据不支持这一渠道。"),
    (r"The pilot moves (.+?) \(same design as the main effect\), which is consistent with the "
     r"channel; whether (.+?) in turn raises (.+?) is not tested by this design and rests on "
     r"theory\.",
     "试点政策显著影响 {1}（与主效应相同的识别设计），与该渠道一致；{2} 是否进而提高 {3}，"
     "本设计并未检验，需依据理论论证。"),
    (r" ?In a chain, the links between the mediators \((.+?)\) and from the mediators to "
     r"(\S+) are not identified by this design: each mediator is itself an outcome of the "
     r"pilot\.",
     "在链式结构中，中介变量之间的联系（{1}）以及中介变量对 {2} 的作用均不能由本设计识别："
     "每个中介变量本身都是政策的结果。"),
    (r"Serial mediation \(PROCESS model 6, (.+?)\): total indirect effect (\S+) \((full "
     r"mediation|partial mediation|suppression|no mediation|inconclusive)\) at the ([\d.]+%) "
     r"level; significant paths: (.+?)(?=; side totals|; difference|\. Causal|$)",
     _serial_head),
    (r"; side totals: (.+?)(?=; difference|\. Causal|$)", _serial_sides),
    (r"; difference (.+?) (\S+) \(p = (\S*)\)", "；差异 {1}：{2}（p = {3}）"),
    (r"\. Causal only if nothing unobserved drives the mediators and the outcome\.",
     "。仅当不存在同时影响中介变量与结果变量的未观测因素时，才可作因果解读。"),
    # ------------------------------------------------ inference labels (inference_labels)
    (r"(CRV1|influence function|BJS imputation variance|two-stage GMM variance|analytic|"
     r"multiplier bootstrap \(([\d,]+) draws\)), (clustered by (\S+) \(G = ([\d,]+)\)|"
     r"heteroskedasticity-robust), (t\(([\d,]+)\)|normal)(, uniform band by sup-t)?",
     _variance_label),
    (r"ML sandwich, clustered by (\S+) \(G = ([\d,]+)\), normal(?:; effects by simulation "
     r"\(([\d,]+) draws\))?",
     lambda m: f"极大似然三明治标准误，按 {m.group(1)} 聚类（G = {m.group(2)}），正态分布" + (
         f"；效应标准误由模拟得到（{m.group(3)} 次抽取）" if m.group(3) else "")),
    (r"ML information matrix, homoskedastic, normal(?:; effects by simulation \(([\d,]+) "
     r"draws\))?",
     lambda m: "极大似然信息矩阵标准误，同方差，正态分布" + (
         f"；效应标准误由模拟得到（{m.group(1)} 次抽取）" if m.group(1) else "")),
    (r"wild cluster bootstrap \((WCR|WCU), (Rademacher|Mammen|Webb|Normal), (?:2\^(\d+) = "
     r"([\d,]+) enumerated|([\d,]+) draws)(?:, ([\d,]+) clusters by (\S+))?\)", _wild_label),
    (r"randomization inference, cohort (\S+) \(exact, ([\d,]+) assignments\)",
     "随机化推断，{1} 批次（精确：全部 {2} 种分配）"),
    (r"randomization inference, cohort (\S+) \(([\d,]+) random draws of ([\d,]+) "
     r"assignments\)", "随机化推断，{1} 批次（从 {3} 种分配中随机抽取 {2} 次）"),
    (r"randomization inference, treated cohorts \(exact, ([\d,]+) assignments\)",
     "随机化推断，全部处理批次（精确：全部 {1} 种分配）"),
    (r"randomization inference, treated cohorts \(([\d,]+) random draws of ([\d,]+) "
     r"assignments\)", "随机化推断，全部处理批次（从 {2} 种分配中随机抽取 {1} 次）"),
    (r"randomization inference, all units \(([\d,]+) draws\)",
     "随机化推断，全部个体（{1} 次抽取）"),
    (r"Conley–Taber \((exact|asymptotic), ([\d,]+) assignments (enumerated|drawn)\)",
     lambda m: (f"Conley–Taber 推断（{'精确法' if m.group(1) == 'exact' else '渐近法'}，"
                f"{m.group(2)} 种分配，{'全部枚举' if m.group(3) == 'enumerated' else '随机抽取'}）")),
    (r"placebo variance \(([\d,]+) permutations of the donors\), normal",
     "安慰剂方差（对照单位随机置换 {1} 次），正态分布"),
    (r"fixed-weights jackknife, normal", "固定权重刀切法方差，正态分布"),
    (r"unit bootstrap \(([\d,]+) draws\), normal", "按个体自助法（{1} 次抽取），正态分布"),
    (r"no variance \(se=None\)", "未计算方差（se=None）"),
    (r"no standard error \(in-space placebo ranks\)", "无标准误（空间安慰剂排序推断）"),
    (r"in-space placebo, rank of the post/pre RMSPE ratio \(([\d,]+) placebos\)",
     "空间安慰剂检验：事后/事前 RMSPE 比值排序（{1} 个安慰剂）"),
    (r"Jackknife variance not defined: a cohort's synthetic control puts all its weight on "
     r"one donor \(R synthdid returns NA\)\.",
     "刀切法方差无定义：某批次的合成控制把全部权重放在一个对照单位上（R synthdid 返回 NA）。"),
    (r"no valid few-treated inference \((.+?)\)",
     lambda m: f"无有效的少数处理单位推断（{_NO_VALID_ZH.get(m.group(1), m.group(1))}）"),
    (r"with (\d+) treated clusters? a nominal 5% cluster-robust test rejects a true null "
     r"(\d+)% of the time \(benchmarks/size_wild_bootstrap\.py\)",
     "在 {1} 个处理聚类时，名义水平 5% 的聚类稳健检验拒绝真实原假设的比例为 {2}%"
     "（benchmarks/size_wild_bootstrap.py）"),
    (r"few_treated_inference: (\d+) term\(s\) carry a few-treated test instead of the "
     r"analytic inference — (.+?)(?:; (\d+) placebo run\(s\), one per term, of (\d+) "
     r"re-estimations in all)?\.",
     lambda m: (f"few_treated_inference：{m.group(1)} 项改用少数处理单位检验代替解析推断——"
                f"{m.group(2)}" + (f"；共 {m.group(3)} 次安慰剂检验（每项一次），合计 "
                                   f"{m.group(4)} 次重新估计" if m.group(3) else "") + "。")),
    # ------------------------------------------------------------- entropy_index
    (rf"entropy_index: {_N} of {_N} row\(s\) have a missing indicator \(per indicator: "
     rf"(\{{[^}}]*\}}); rows {_LIST}\); left out, their index is NaN\.",
     "entropy_index：{2} 行中有 {1} 行存在缺失指标（各指标缺失数：{3}；行 {4}），已剔除，其指数为 NaN。"),
    (rf"entropy_index: indicator\(s\) {_LIST} constant(?: in (\S+))?; normalised to 0 with "
     r"weight 0\.",
     lambda m: (f"entropy_index：指标 {m.group(1)} "
                + (f"在 {m.group(2)} 中" if m.group(2) else "")
                + "为常数，标准化值取 0，权重为 0。")),
    # ------------------------------------------------- spatial weights and ring_did
    (rf"{_N} of {_N} unit\(s\) have no neighbour under this weight matrix \((\w+)\), e\.g\. "
     rf"{_LIST}; their rows are zero, so their spatial lag is 0\.",
     "在该空间权重矩阵（{3}）下，{2} 个单位中有 {1} 个没有邻居，例如 {4}；其所在行全为零，"
     "空间滞后为 0。"),
    (rf"The weight matrix was restricted to the panel's {_N} units \({_N} dropped\)"
     r"(, rows standardised again)?\.",
     lambda m: (f"空间权重矩阵已限定为面板的 {m.group(1)} 个单位（删除 {m.group(2)} 个）"
                + ("，并重新行标准化。" if m.group(3) else "。"))),
    (rf"Dropped {_N} row\(s\) with a missing outcome or cluster \({_N} unit\(s\), e\.g\. "
     rf"{_LIST}\)\.",
     "删除 {1} 行结果变量或聚类变量缺失的观测（涉及 {2} 个个体，例如 {3}）。"),
    (rf"Dropped {_N} treated or exposed observation\(s\) whose Y\(0\) cannot be imputed: "
     rf"their unit or period has no clean observation \({_N} unit\(s\), e\.g\. {_LIST}\)\.",
     "删除 {1} 个无法插补 Y(0) 的处理或溢出暴露观测：其个体或时期没有既未处理也未暴露的"
     "观测（涉及 {2} 个个体，例如 {3}）。"),
    (rf"{_N} term\(s\) have no observation and are left out: (.+)\.$",
     "{1} 个估计项没有观测，未予报告：{2}。"),
    # ---------------------------------------------------------------- stacked_did
    (rf"{_N} cohort\(s\) dropped because their window (-?\d+)\.\.(-?\d+) does not fit in "
     rf"the observed periods (\d+)\.\.(\d+) \(trimming, Wing et al\. 2024\): {_LIST}\.",
     "{1} 个批次的事件窗口 {2}..{3} 超出观测期 {4}..{5}，已删除（截尾，Wing 等 2024）：{6}。"),
    (rf"{_N} cohort\(s\) have no clean control unit for the window (-?\d+)\.\.(-?\d+) "
     rf"\(control={_Q}, {_N} never-treated unit\(s\)\) and are dropped: {_LIST}\.",
     "{1} 个批次在窗口 {2}..{3} 内没有干净对照个体（control={4}，从未试点个体 {5} 个），"
     "已删除：{6}。"),
    (r" ?Use control='not_yet' or a shorter window\.",
     "可改用 control='not_yet' 或缩短窗口。"),
    (r" ?Use a shorter window \(smaller b\)\.", "可缩短窗口（减小 b）。"),
    (rf"{_N} stacked row\(s\) with missing {_Q} or controls dropped\.",
     "删除 {1} 行结果变量 {2} 或控制变量缺失的堆叠观测。"),
    (rf"{_N} event-time term\(s\) not identified in the stacked regression and dropped: "
     rf"{_LIST}\.", "{1} 个事件时间项在堆叠回归中无法识别，已删除：{2}。"),
    # ----------------------------------------------------------- triple_difference
    (rf"{_N} row\(s\) with missing group {_Q} dropped\.",
     "删除 {1} 行分组变量 {2} 缺失的观测。"),
    (rf"{_N} row\(s\) with missing {_Q} or {_Q} dropped\.",
     "删除 {1} 行 {2} 或 {3} 缺失的观测。"),
    (rf"Unbalanced panel: {_N} unit\(s\) not observed \(with finite outcome, group and "
     rf"covariates\) in all {_N} periods dropped \({_N} rows\), e\.g\. {_LIST}; "
     r"triple_difference uses balanced panels \(as R triplediff's panel estimator\)\.",
     "非平衡面板：删除未在全部 {2} 期被观测到（结果变量、分组变量和协变量均有限）的 {1} 个个体"
     "（{3} 行），例如 {4}；triple_difference 使用平衡面板（同 R triplediff 的面板估计量）。"),
    (rf"{_N} unit\(s\) enabled by the first period (\S+) have no pre-period and are "
     rf"dropped, e\.g\. {_LIST}\.",
     "{1} 个个体在首期 {2} 即已试点，没有处理前时期，已删除，例如 {3}。"),
    (rf"{_N} ATT\(g,t\) cell\(s\) have no comparison cohort with both groups and are not "
     rf"estimated, e\.g\. {_LIST}\.",
     "{1} 个 ATT(g,t) 单元没有同时包含两个组的对照批次，未予估计，例如 {2}。"),
    (r"Naive DDD: naive three-way fixed-effects DDD \(unit, period×group and period×cohort "
     r"effects\); biased under staggered adoption with effects that vary over time or "
     r"covariate-dependent trends \(Ortiz-Villavicencio & Sant'Anna 2025\)\.",
     "朴素三重差分：三维固定效应 DDD 回归（个体、时期×组别、时期×批次固定效应）；在交错采用且"
     "效应随时间变化或趋势依赖协变量时有偏（Ortiz-Villavicencio 与 Sant'Anna 2025）。"),
    (r"triple-difference aggregate \((\w+)\)", "三重差分聚合（{1}）"),
    # ---------------------------------------------------------------- generic clauses
    (r" ?They were dropped\.", "已删除。"),
    (r" ?Dropped\.", "已删除。"),
    (r" ?Kept\.", "已保留。"),
    (r", \.\.\. \((\d+) more\)\]", ", ...（另 {1} 项）]"),
]

CATALOGUE: tuple[tuple[re.Pattern, Callable[[re.Match], str]], ...] = tuple(
    (re.compile(p), t if callable(t) else _fmt(t)) for p, t in _RAW)


def translate_note(note: str) -> str:
    """The Chinese rendering of one note (parts no pattern knows stay as they are)."""
    out = str(note)
    for pattern, template in CATALOGUE:
        out = pattern.sub(template, out)
    return out


def translate_notes(notes: Iterable[str]) -> tuple[str, ...]:
    """:func:`translate_note` over several notes."""
    return tuple(translate_note(n) for n in notes)


# Latin script that may stay in a Chinese note: proper names, options, code, units
_PROPER = re.compile(
    r"Callaway[–-]Sant'Anna|Sun[–-]Abraham|Borusyak, Jaravel & Spiess|Borusyak[–-]Jaravel[–-]"
    r"Spiess|de Chaisemartin[–-]D'Haultf(?:œ|oe)uille|Goodman-Bacon|Imai, Keele & Tingley|"
    r"Gardner|HonestDiD|Stata|reghdfe|did_imputation|R did|DRDID|wild cluster bootstrap|"
    r"Baron & Kenny|Roth|TWFE|did2s|dCDH|BJS|CATT|ATT|DID|ACME|ADE|"
    # place names (Title Case runs: "Yanbian Korean Autonomous Prefecture", "Xi'an New Area")
    r"\b[A-Z][\w'’]*(?:[ -][A-Z][\w'’]*)*")
_CODE = re.compile(r"'[^']*'|\"[^\"]*\"|\[[^\]]*\]|\{[^}]*\}|\w+\([^)]*\)|\w+=\S+")
_ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}")


def untranslated(text: str) -> list[str]:
    """English phrases (three or more words in a row) left in ``text`` once proper names,
    quoted strings, lists and ``option=value`` code are set aside; ``[]`` when none."""
    rest = _CODE.sub(" ", _PROPER.sub(" ", str(text)))
    return _ENGLISH.findall(rest)
