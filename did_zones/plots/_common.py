"""Shared pieces of the plot functions: lazy matplotlib, axes, words in two languages, stars."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

import numpy as np

from ..errors import SpecificationError
from ..validation import Choice, Integer
from ..vocabulary import LANGUAGES
from . import fonts as _fonts

# the figures drawn inside the current text_context (None outside one)
_FIGURES: ContextVar[list | None] = ContextVar("did_zones_plot_figures", default=None)

#: Fixed words of the figures, by language.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "event_time": "Periods relative to the pilot", "estimate": "Estimate",
        "reference": "Reference period", "ci": "{level:g}% CI", "uniform": "{level:g}% uniform band",
        "event_title": "Event study", "placebo_title": "Placebo test ({kind})",
        "density": "Density", "placebo_estimates": "Placebo estimates",
        "draws": "Placebo draws", "kde": "Kernel density", "actual": "Actual estimate",
        "p_two": "p (two-sided)", "p_left": "p (left)", "p_right": "p (right)",
        "n_draws": "{n} draws", "n_failed": "{n} failed", "shift": "Pilot dates moved back (periods)",
        "in_time_title": "In-time placebo", "placebo": "Placebo estimate",
        "bacon_title": "Goodman-Bacon decomposition", "weight": "Weight",
        "dd_estimate": "2x2 DiD estimate", "twfe": "TWFE = {value}",
        "weights_title": "TWFE weights on cohort-period effects", "cell_weight": "Weight W_gt",
        "cohort": "Cohort {value}", "negative": "{n} negative weight(s), sum {value}",
        "honest_title": "HonestDiD sensitivity", "original": "Original",
        "dose": "Dose d", "dose_att": "ATT(d): effect at dose d",
        "dose_acrt": "ACRT(d): marginal effect of the dose", "dose_overall": "Average over treated units",
        "m_rm": "M̄ (relative magnitude)", "m_sd": "M (smoothness)",
        "robust_ci": "Robust {level:g}% CI", "breakdown": "Breakdown {name} = {value}",
        "adoption_title": "Pilot adoption by unit and period", "period": "Period",
        "units": "Units (n = {n})", "never": "Never treated", "not_yet": "Not yet treated",
        "missing": "Not observed", "pilot": "Pilot {value}", "showing": "{k} of {n} units shown",
        "treatment": "Pilot (D)", "stars": "* p<0.1, ** p<0.05, *** p<0.01",
        "indirect": "Indirect", "share": "share mediated {value}",
        "mediation_title": "Mediation paths", "truth": "True effect",
        "serial_paths": "significant paths", "side_totals": "side totals",
        "common_side": "common",
        "target_e": "θ = effect at e = {e}", "target_average": "θ = average of e = {lo}..{hi}",
        "target_weights": "θ = weighted post-period effects l'τ", "off_axis": "beyond the axis",
        "n_units": "n = {n}",
    },
    "zh": {
        "event_time": "相对试点年份", "estimate": "估计值", "reference": "基期",
        "ci": "{level:g}% 置信区间", "uniform": "{level:g}% 一致置信带", "event_title": "事件研究",
        "placebo_title": "安慰剂检验（{kind}）", "density": "密度",
        "placebo_estimates": "安慰剂估计值", "draws": "安慰剂抽样", "kde": "核密度",
        "actual": "真实估计值", "p_two": "p（双侧）", "p_left": "p（左侧）",
        "p_right": "p（右侧）", "n_draws": "{n} 次抽样", "n_failed": "{n} 次失败",
        "shift": "试点时间前移期数", "in_time_title": "时间安慰剂检验", "placebo": "安慰剂估计值",
        "bacon_title": "Goodman-Bacon 分解", "weight": "权重", "dd_estimate": "2×2 DID 估计值",
        "twfe": "TWFE = {value}", "weights_title": "TWFE 系数对各批次-年份效应的权重",
        "cell_weight": "权重 W_gt", "cohort": "{value} 批", "negative": "负权重 {n} 个，合计 {value}",
        "honest_title": "HonestDiD 敏感性分析", "original": "原始区间",
        "dose": "处理强度 d", "dose_att": "ATT(d)：强度 d 处的效应",
        "dose_acrt": "ACRT(d)：强度的边际效应", "dose_overall": "处理组平均",
        "m_rm": "M̄（相对幅度）", "m_sd": "M（平滑度）", "robust_ci": "稳健 {level:g}% 置信区间",
        "breakdown": "临界值 {name} = {value}", "adoption_title": "试点批次时间分布",
        "period": "年份", "units": "城市（n = {n}）", "never": "从未试点", "not_yet": "尚未试点",
        "missing": "无观测", "pilot": "{value} 年试点", "showing": "显示 {k}/{n} 个单位",
        "treatment": "试点（D）", "stars": "* p<0.1, ** p<0.05, *** p<0.01",
        "indirect": "间接效应", "share": "中介占比 {value}", "mediation_title": "中介效应路径",
        "truth": "真实效应", "serial_paths": "显著路径", "side_totals": "分侧合计",
        "common_side": "共同",
        "target_e": "θ = e = {e} 期效应", "target_average": "θ = e = {lo}..{hi} 期效应均值",
        "target_weights": "θ = 事后各期效应加权 l'τ", "off_axis": "超出坐标轴",
        "n_units": "{n} 个",
    },
}

BACON_TYPES_ZH = {
    "Earlier vs Later Treated": "早试点 vs 晚试点", "Later vs Earlier Treated": "晚试点 vs 早试点",
    "Treated vs Never Treated": "试点 vs 从未试点", "Both Treated": "均为试点",
    "Within": "组内",
}
KINDS = {"en": {"in_space": "in space", "mixed": "mixed", "in_time": "in time"},
         "zh": {"in_space": "空间", "mixed": "混合", "in_time": "时间"}}


def check_language(language: str) -> None:
    Choice(LANGUAGES)("language", language)


def word(language: str, key: str, **fmt: Any) -> str:
    text = WORDS[language][key]
    return text.format(**fmt) if fmt else text


def pyplot():
    """matplotlib.pyplot, imported on first use (``import did_zones`` never imports it)."""
    import matplotlib.pyplot as plt  # a runtime dependency, imported lazily for start-up speed

    return plt


def axes(ax, figsize: tuple[float, float]):
    """(figure, axes): the caller's axes, or a new figure of ``figsize`` inches."""
    if ax is None:
        fig, ax = pyplot().subplots(figsize=figsize, layout="constrained")
        return _drawn(fig), ax
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if not isinstance(ax, Axes):
        raise SpecificationError(f"ax must be a matplotlib Axes; got {type(ax).__name__}.")
    fig = ax.figure
    while not isinstance(fig, Figure):  # a SubFigure: climb to the figure that saves
        fig = fig.figure
    return _drawn(fig), ax


def _drawn(fig):
    """Note ``fig`` for the glyph check of the enclosing :func:`text_context`."""
    figures = _FIGURES.get()
    if figures is not None and all(f is not fig for f in figures):
        figures.append(fig)
    return fig


@contextmanager
def text_context(texts: Iterable[Any], font: str | None = None,
                 language: str = "en") -> Iterator[None]:
    """The shared drawing path of every plot function: fonts in, glyph warnings out.

    Inside, new text uses the CJK fallback list of :func:`_fonts.cjk_rc` when ``font`` is
    given, the figure's words are Chinese or any of ``texts`` holds CJK characters. The
    figures set up inside (by :func:`axes`) are laid out once before leaving, so that every
    character is looked up in the fonts now; matplotlib's "Glyph ... missing" warnings are
    caught and become one :class:`~did_zones.plots.FontWarning` naming the characters
    (:func:`_fonts.pass_on`). Other warnings pass through unchanged.

    Parameters
    ----------
    texts : iterable
        The caller's labels (checked for CJK characters).
    font : str, optional
        A font family or font file, tried first for every character.
    language : str
        ``"zh"`` always draws with the CJK font list.
    """
    need = font is not None or language == "zh" or _fonts.has_cjk(list(texts))
    figures: list = []
    token = _FIGURES.set(figures)
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with _fonts.use_cjk_font(font) if need else nullcontext():
                yield
                for fig in figures:  # inside the fonts: tick labels made now keep them
                    fig.draw_without_rendering()
    finally:
        _FIGURES.reset(token)
        _fonts.pass_on(caught, font)


def stars(p: float) -> str:
    """Significance stars at 10/5/1% (presentation of a given p-value)."""
    if p is None or not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def fmt(value: float, digits: int = 3) -> str:
    """A number for a figure label: ``digits`` significant digits, ``nan`` as a dash."""
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.{digits}g}"


def plain(text: Any) -> str:
    """A user's string drawn literally: ``$`` would otherwise start matplotlib mathtext."""
    return str(text).replace("$", r"\$")


def heading(title: str | None, language: str, key: str, **fmt: Any) -> str:
    """The axes title: the caller's ``title`` drawn literally, else the default ``key``."""
    return word(language, key, **fmt) if title is None else plain(title)


def check_positive_int(name: str, value: Any, allow_none: bool = False) -> None:
    """Raise unless ``value`` is an integer >= 1 (not a bool), or None when allowed."""
    Integer(min=1, allow_none=allow_none)(name, value)


def labels_of(labels, name: str) -> str:
    return plain(labels.get(name, name)) if labels else plain(name)
