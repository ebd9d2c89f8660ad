"""The report's flags: one sentence per crossed threshold, in English or Chinese.

The numbers and thresholds come from :mod:`did_zones.diagnostics`; this module only words
them. A step puts the sentence next to the number it is about as an ``Item("flag", text)``;
the writer (:mod:`did_zones.report.render`) repeats every flag, linked to it, in the
"Flags" summary under the report's title.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..diagnostics import Flag
from ..tables.formatting import fmt_p_value

__all__ = ["FLAG_HEAD", "NO_FLAGS", "flag_sentence"]

FLAG_HEAD = {"en": "Flags", "zh": "需要注意的问题"}
NO_FLAGS = {"en": "No check crossed its threshold (pre-trend tests, Bacon weights, TWFE "
                  "weights, cohort sizes, placebo).",
            "zh": "各项检查（事前趋势检验、Bacon 分解权重、TWFE 权重、批次规模、安慰剂检验）均未超过阈值。"}

_EN = {
    "pretrend": "Flag: for {subject}, the joint test that all pre-period coefficients are "
                "zero rejects at the {alpha:.0%} level ({tests}), so parallel trends are in "
                "doubt and the effects should be read with the HonestDiD bounds.",
    "bacon": "Flag: for {subject}, {share:.1%} of the TWFE weight falls on comparisons of "
             "later- with earlier-treated units (above the {limit:.0%} threshold), so the "
             "TWFE coefficient is biased when effects change over time.",
    "negative_weights": "Flag: for {subject}, {n} of {cells} cohort-period cells carry "
                        "negative TWFE weights (sum {total:.3f}), so the TWFE coefficient is "
                        "not a weighted average of the cell effects.",
    "small_cohort": "Flag: treated cohort(s) with fewer than {limit} units ({cohorts}) make "
                    "their cohort-specific estimates rest on very few cities.",
    "placebo": "Flag: the placebo {p} is above {limit:g}, so the estimate is not unusual "
               "among the placebo assignments.",
    "unit": "unit", "units": "units",
}
_ZH = {
    "pretrend": "提示：{subject}的事前系数联合为零检验在 {alpha:.0%} 水平上被拒绝（{tests}），"
                "平行趋势假设存疑，应结合 HonestDiD 敏感性分析解读处理效应。",
    "bacon": "提示：{subject}的 TWFE 权重中有 {share:.1%} 来自晚试点组与早试点组的比较"
             "（超过 {limit:.0%} 的阈值），处理效应随时间变化时 TWFE 系数有偏。",
    "negative_weights": "提示：{subject}的 {cells} 个批次-年份单元中有 {n} 个的 TWFE 权重为负"
                        "（合计 {total:.3f}），TWFE 系数不是各单元效应的加权平均。",
    "small_cohort": "提示：城市数少于 {limit} 个的试点批次（{cohorts}）的批次效应估计仅依赖"
                    "极少数城市。",
    "placebo": "提示：安慰剂检验 {p} 大于 {limit:g}，真实估计值在安慰剂分配中并不罕见。",
    "unit": "个城市", "units": "个城市",
}
_WORDS = {"en": _EN, "zh": _ZH}


def _cohorts(flag: Flag, language: str, names: Mapping | None) -> str:
    w = _WORDS[language]
    parts = []
    for _, row in flag.details["cohorts"].iterrows():
        g = row["cohort"]
        g = str(int(g)) if float(g).is_integer() else str(g)
        n = int(row["n_units"])
        who = [str(names.get(u, u)) if names else str(u) for u in row["units"][:5]]
        more = ", ..." if len(row["units"]) > 5 else ""
        if language == "zh":
            parts.append(f"{g} 年批次：{n} {w['unit']}，{'、'.join(who)}{more}")
        else:
            parts.append(f"cohort {g}: {n} {w['unit'] if n == 1 else w['units']}, "
                         f"{', '.join(who)}{more}")
    return ("；" if language == "zh" else "; ").join(parts)


def flag_sentence(flag: Flag, language: str = "en", *, subject: str = "",
                  names: Mapping | None = None, n_draws: int | None = None) -> str:
    """The one sentence that reports ``flag``.

    Parameters
    ----------
    flag : did_zones.diagnostics.Flag
    language : {"en", "zh"}
    subject : str
        What the flag is about (an outcome's label).
    names : mapping, optional
        Unit id -> display name, for small cohorts.
    n_draws : int, optional
        Draws behind a placebo p-value.
    """
    w = _WORDS[language]
    if flag.kind == "pretrend":
        tests = ", ".join(f"{name} {fmt_p_value(p)}"
                          for name, p in flag.details["p_values"].items())
        return w["pretrend"].format(subject=subject, alpha=flag.threshold, tests=tests)
    if flag.kind == "bacon":
        return w["bacon"].format(subject=subject, share=flag.value, limit=flag.threshold)
    if flag.kind == "negative_weights":
        return w["negative_weights"].format(subject=subject, n=flag.details["n_negative"],
                                            cells=flag.details["n_cells"], total=flag.value)
    if flag.kind == "small_cohort":
        return w["small_cohort"].format(limit=int(flag.threshold),
                                        cohorts=_cohorts(flag, language, names))
    if flag.kind == "placebo":
        return w["placebo"].format(p=fmt_p_value(flag.value, n_draws), limit=flag.threshold)
    raise ValueError(f"unknown flag kind {flag.kind!r}")
