"""Number formatting, significance stars and the words of the two table languages.

Shared by the table builders; formatting only, no statistic is computed here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np

from ..errors import SpecificationError
from ..validation import Integer, check_choice
from ..vocabulary import LANGUAGES

__all__ = ["LANGUAGES", "NOTES", "words", "fmt_num", "fmt_int", "stars_for", "star_legend",
           "check_stars", "check_digits", "check_notes", "data_notes", "label", "fmt_p_value"]

#: what a table does with the data-handling notes of its results (see :func:`data_notes`)
NOTES = ("all", "short", "none")
NotesMode = Literal["all", "short", "none"]

_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "yes": "Yes", "no": "No", "n_obs": "Observations", "n_units": "Units",
        "r2": "R²", "r2_within": "Within R²", "controls": "Controls", "cluster": "Clusters",
        "fe": "{} FE", "unit": "Unit", "time": "Time", "cohort": "Cohort",
        "sub_experiment": "Sub-experiment", "event_time": "Event time",
        "se_std_error": "Standard errors in parentheses",
        "se_statistic": "t statistics in parentheses",
        "se_conf_int": "{level}% confidence intervals in brackets",
        "clustered": "clustered by {}", "robust": "heteroskedasticity-robust",
        "star": "{stars} p<{p}", "none": "None",
        "variable": "Variable", "mean": "Mean", "sd": "SD", "min": "Min", "p50": "Median",
        "max": "Max", "N": "N", "treated": "Ever treated", "control": "Never treated",
        "all": "All", "cohort_col": "Cohort (first pilot year)", "batch": "Batch",
        "units": "Units", "share": "Share of units (%)", "never": "Never treated",
        "first_period": "First period", "last_period": "Last period", "total": "Total",
        "obs": "Observations",
        "covariate": "Covariate", "before": "Before matching", "after": "After matching",
        "mean_treated": "Mean (treated)", "mean_control": "Mean (control)",
        "std_diff": "Std. diff. (%)", "var_ratio": "Variance ratio",
        "reduction": "Reduction (%)",
        "overall": "Overall effect", "event": "e = {}", "estimator": "Estimator", "estimand": "Estimand",
        "missing": "Blank cells: the estimator does not report that term.",
        "summary_title": "Summary statistics", "adoption_title": "Adoption by cohort",
        "balance_title": "Covariate balance before and after matching",
        "comparison_title": "Estimator comparison",
        "dropped": "{cols}: {note}",
        "short_notes": "{n} data-handling note(s) not shown (see Result.notes, or the "
                       "report's warnings section).",
        "se": "SE",
    },
    "zh": {
        "yes": "是", "no": "否", "n_obs": "观测值", "n_units": "个体数",
        "r2": "R²", "r2_within": "组内 R²", "controls": "控制变量", "cluster": "聚类",
        "fe": "{}固定效应", "unit": "城市", "time": "年份", "cohort": "批次",
        "sub_experiment": "子实验", "event_time": "事件时间",
        "se_std_error": "括号内为标准误", "se_statistic": "括号内为 t 统计量",
        "se_conf_int": "方括号内为 {level}% 置信区间",
        "clustered": "标准误聚类到{}层面", "robust": "异方差稳健标准误",
        "se_std_error_clustered": "括号内为聚类到{}层面的稳健标准误",
        "se_std_error_robust": "括号内为异方差稳健标准误",
        "star": "{stars} p<{p}", "none": "无",
        "variable": "变量", "mean": "均值", "sd": "标准差", "min": "最小值", "p50": "中位数",
        "max": "最大值", "N": "样本量", "treated": "处理组", "control": "对照组",
        "all": "全样本", "cohort_col": "批次（首次试点年份）", "batch": "批次",
        "units": "城市数", "share": "占比（%）", "never": "从未试点",
        "first_period": "首期", "last_period": "末期", "total": "合计", "obs": "观测值",
        "covariate": "协变量", "before": "匹配前", "after": "匹配后",
        "mean_treated": "均值（处理组）", "mean_control": "均值（对照组）",
        "std_diff": "标准化偏差（%）", "var_ratio": "方差比", "reduction": "偏差降幅（%）",
        "overall": "总体效应", "event": "e = {}", "estimator": "估计量", "estimand": "估计对象",
        "missing": "空白单元格：该估计量不报告此项。",
        "summary_title": "描述性统计", "adoption_title": "各批次试点城市",
        "balance_title": "匹配前后协变量平衡性", "comparison_title": "估计量比较",
        "dropped": "{cols}：{note}",
        "short_notes": "另有 {n} 条数据处理说明未列出（见 Result.notes 或报告的“警告与删除的数据”一节）。",
        "se": "标准误",
    },
}


def words(language: str) -> Mapping[str, str]:
    """The vocabulary of ``language`` (``"en"`` or ``"zh"``), checked."""
    return _WORDS[check_choice("language", language, LANGUAGES)]


def check_notes(notes: object) -> str:
    """Check a ``notes=`` option: ``"all"``, ``"short"`` or ``"none"``."""
    return check_choice("notes", notes, NOTES)


def data_notes(notes: Iterable[str], mode: str, language: str) -> list[str]:
    """The data-handling notes a table prints under ``notes=mode``.

    ``"all"``: every note (translated to Chinese when ``language="zh"``); ``"short"``: one
    line counting them (none when there are none); ``"none"``: nothing. Legends (stars, the
    kind of standard error) are not data-handling notes and are not passed here.
    """
    notes = list(notes)
    if mode == "none" or not notes:
        return []
    if mode == "short":
        return [words(language)["short_notes"].format(n=len(notes))]
    if language == "zh":
        from .zh_notes import translate_note

        return [translate_note(n) for n in notes]
    return notes


def check_digits(digits: object) -> int:
    """Check a number of decimal places."""
    return Integer(0, 12)("digits", digits)


def check_stars(stars: Sequence[float] | None) -> tuple[float, ...]:
    """Star thresholds, sorted from the loosest (one star) to the strictest."""
    if stars is None:
        return ()
    try:
        values = [float(s) for s in stars]
    except (TypeError, ValueError):
        raise SpecificationError(
            f"stars must be a sequence of p-value thresholds such as (0.1, 0.05, 0.01); "
            f"got {stars!r}.") from None
    if any(not 0 < v < 1 for v in values) or len(set(values)) != len(values):
        raise SpecificationError(
            f"stars must be distinct p-value thresholds strictly between 0 and 1, such as "
            f"(0.1, 0.05, 0.01); got {tuple(stars)!r}.")
    return tuple(sorted(values, reverse=True))


def stars_for(p: float, stars: tuple[float, ...]) -> str:
    """``"*"`` per threshold that ``p`` falls strictly below (NaN: none)."""
    if p is None or not math.isfinite(p):
        return ""
    return "*" * sum(p < s for s in stars)


def star_legend(stars: tuple[float, ...]) -> str:
    """``"* p<0.1, ** p<0.05, *** p<0.01"``."""
    return ", ".join(f"{'*' * (k + 1)} p<{s:g}" for k, s in enumerate(stars))


def fmt_num(x: object, digits: int) -> str:
    """A number with ``digits`` decimals; ``""`` for missing; integers stay integers."""
    if x is None:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        if math.isnan(x):
            return ""
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        s = f"{float(x):.{digits}f}"
        # "-0.000" reads as a negative number; a rounded zero has no sign
        return s[1:] if s.startswith("-") and float(s) == 0 else s
    return str(x)


def fmt_int(x: object) -> str:
    """A count as an integer string (``""`` when missing)."""
    if x is None or (isinstance(x, (float, np.floating)) and math.isnan(x)):
        return ""
    return str(int(x))


def label(name: object, labels: Mapping[str, str] | None) -> str:
    """The display label of ``name`` (itself when not in ``labels``)."""
    key = str(name)
    return str(labels[key]) if labels and key in labels else key


def fmt_p_value(p: object, n_draws: int | None = None, digits: int = 3, *,
                prefix: bool = True) -> str:
    """A p-value as a careful author prints it: never ``p = 0``.

    Parameters
    ----------
    p : float
        The p-value (NaN or None: ``""``).
    n_draws : int, optional
        Number of draws behind a randomization (placebo, permutation, bootstrap) p-value.
        When no draw was as extreme as the estimate (``p * n_draws < 0.5``), the p-value is
        only known to be below ``1/(n_draws + 1)``, printed rounded up: ``"p < 0.002"`` for
        500 draws.
    digits : int
        Decimals. An analytic p-value that rounds to zero prints as ``"p < 0.001"``
        (``digits=3``).
    prefix : bool
        Start with ``"p "`` (for a sentence or a figure label); ``False`` gives a table cell
        such as ``"0.026"`` or ``"< 0.002"``.

    Returns
    -------
    str

    Examples
    --------
    >>> fmt_p_value(0.0, n_draws=500)
    'p < 0.002'
    >>> fmt_p_value(0.02632)
    'p = 0.026'
    >>> fmt_p_value(1e-9, prefix=False)
    '< 0.001'
    """
    digits = check_digits(digits)
    if p is None or not isinstance(p, (int, float, np.integer, np.floating)) or not (
            math.isfinite(float(p))):
        return ""
    p = float(p)
    step = 10.0 ** -digits
    bound = None
    if n_draws is not None and int(n_draws) > 0 and p * int(n_draws) < 0.5:
        # rounded up to the printed precision, so the bound stays a true upper bound
        bound = max(math.ceil(round(1.0 / (int(n_draws) + 1) / step, 9)) * step, step)
    elif round(p, digits) <= 0:
        bound = step
    if bound is not None:
        text = f"< {bound:.{digits}f}"
        return f"p {text}" if prefix else text
    text = f"{min(p, 1.0):.{digits}f}"
    return f"p = {text}" if prefix else text
