"""Display names of the named estimands (:mod:`did_zones.estimands`) and, in one place, the
plain-words reasons an estimator cannot give one (the footnote under a "—" cell)."""

from __future__ import annotations

import math

__all__ = ["estimand_label", "unavailable_reason"]

_NAMES = {
    "en": {
        "simple_att": "Simple ATT (all treated cell-periods, R did's aggte simple)",
        "simple_att_window": "Simple ATT (treated cell-periods with e = {a}..{b})",
        "event_average": "Event-average ATT, e = {a}..{b}",
        "instantaneous": "Instantaneous effect (DID_M)",
        "cohort_average": "Cohort-average ATT",
        "calendar_average": "Calendar-average ATT",
        "twfe_coefficient": "TWFE coefficient",
    },
    "zh": {
        "simple_att": "简单平均处理效应 (ATT)",
        "simple_att_window": "简单平均处理效应 (ATT，e = {a}..{b} 的处理单元-时期)",
        "event_average": "事件期平均处理效应 (e = {a}..{b})",
        "instantaneous": "即期效应 (DID_M)",
        "cohort_average": "批次平均处理效应",
        "calendar_average": "日历期平均处理效应",
        "twfe_coefficient": "双向固定效应系数",
    },
}


def _e(v: float) -> str:
    return "∞" if math.isinf(v) else f"{int(v)}" if float(v).is_integer() else f"{v:g}"


def estimand_label(estimand: str, e_min: float = math.nan, e_max: float = math.nan,
                   language: str = "en") -> str:
    """Display name of an estimand, with its event window where it has one."""
    names = _NAMES["zh" if language == "zh" else "en"]
    windowed = not (math.isnan(e_min) or math.isnan(e_max))
    if estimand == "simple_att" and windowed:
        return names["simple_att_window"].format(a=_e(e_min), b=_e(e_max))
    if estimand == "event_average":
        return names["event_average"].format(a=_e(e_min) if windowed else "0",
                                             b=_e(e_max) if windowed else "H")
    return names.get(estimand, estimand)


# (method, estimand) -> reason; method None: any estimator without a more specific line
_REASONS = {
    "en": {
        ("twfe", "simple_att"): "TWFE estimates one coefficient, a variance-weighted mix of "
                                "the effects, not the average over treated cell-periods",
        ("twfe", "event_average"): "TWFE has no event-time average: it estimates one "
                                   "coefficient",
        ("twfe", "instantaneous"): "TWFE estimates one coefficient, not the effect at e = 0",
        ("event_study", "simple_att"): "the event study was run without overall=True",
        ("event_study", "event_average"): "the event study has no post-treatment "
                                          "coefficients over that window",
        ("callaway_santanna", "simple_att"): "the simple aggregation was not run",
        ("callaway_santanna", "event_average"): "the event-time aggregation was not run",
        ("sun_abraham", "simple_att"): "Sun-Abraham averages only the cells inside its event "
                                       "window (see the row for that window)",
        ("imputation", "event_average"): "BJS imputation gives event-time effects only with "
                                         "window=; none cover that window",
        ("did2s", "simple_att"): "did2s gives a simple ATT only in its static form (without "
                                 "window=), over all treated cell-periods",
        ("did2s", "event_average"): "did2s gives event-time effects only with window=; "
                                    "none cover that window",
        ("dcdh", "simple_att"): "dCDH estimates the effect of switching at each horizon, not "
                                "an average over all treated cell-periods",
        ("dcdh", "event_average"): "dCDH's DID_M is the instantaneous effect; its dynamic "
                                   "effects were not requested",
        (None, "instantaneous"): "the instantaneous effect is its e = 0 term (event-study "
                                 "table)",
        (None, "twfe_coefficient"): "not a two-way fixed-effects regression",
        (None, "cohort_average"): "no aggregation by cohort was run",
        (None, "calendar_average"): "no aggregation by calendar period was run",
        (None, "simple_att"): "not estimated over that set of treated cell-periods",
        (None, "event_average"): "no event-time effects over that window",
    },
    "zh": {
        ("twfe", "simple_att"): "双向固定效应只估计一个系数（各效应的方差加权组合），"
                                "不是处理单元-时期的平均",
        ("twfe", "event_average"): "双向固定效应只估计一个系数，没有事件期平均",
        ("twfe", "instantaneous"): "双向固定效应只估计一个系数，不是 e = 0 的效应",
        ("event_study", "simple_att"): "事件研究未设 overall=True",
        ("event_study", "event_average"): "事件研究在该窗口内没有处理后系数",
        ("callaway_santanna", "simple_att"): "未做简单加总",
        ("callaway_santanna", "event_average"): "未做事件期加总",
        ("sun_abraham", "simple_att"): "Sun–Abraham 只平均事件窗口内的单元-时期（见该窗口一行）",
        ("imputation", "event_average"): "插补估计仅在设定 window= 时给出事件期效应；该窗口内没有",
        ("did2s", "simple_att"): "did2s 仅在静态形式（不设 window=）下给出全部处理单元-时期的简单平均处理效应",
        ("did2s", "event_average"): "did2s 仅在设定 window= 时给出事件期效应；该窗口内没有",
        ("dcdh", "simple_att"): "dCDH 估计各期限的转换效应，不是全部处理单元-时期的平均",
        ("dcdh", "event_average"): "dCDH 的 DID_M 是即期效应；未估计其动态效应",
        (None, "instantaneous"): "即期效应即其 e = 0 项（见事件研究表）",
        (None, "twfe_coefficient"): "不是双向固定效应回归",
        (None, "cohort_average"): "未按批次加总",
        (None, "calendar_average"): "未按日历期加总",
        (None, "simple_att"): "未在该组处理单元-时期上估计",
        (None, "event_average"): "该窗口内没有事件期效应",
    },
}


def unavailable_reason(method: str, estimand: str, language: str = "en") -> str:
    """Why ``method`` gives no ``estimand`` here, in plain words."""
    reasons = _REASONS["zh" if language == "zh" else "en"]
    return reasons.get((method, estimand), reasons.get((None, estimand), ""))
