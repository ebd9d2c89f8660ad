"""Synthetic control and synthetic DiD figures: the treated and synthetic paths with their gap,
the donor and period weights, and the in-space placebo gaps (Abadie et al. 2010, figure 4)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..result import Result
from ._common import axes, check_language, check_positive_int, fmt, plain, pyplot, text_context

__all__ = ["synthetic_plot", "synthetic_weights_plot", "placebo_gaps_plot"]

_WORDS = {
    "en": {"paths_title": "Treated and synthetic paths", "treated": "Treated",
           "synthetic": "Synthetic", "gap": "Gap (treated − synthetic)", "period": "Period",
           "outcome": "{outcome}", "start": "Pilot starts", "att": "ATT = {value}",
           "weights_title": "Donor weights", "weight": "Weight", "time_weights":
           "Pre-period weights λ", "shown": "{k} of {n} donors with weight > 0",
           "placebo_title": "In-space placebo gaps", "placebos": "Placebos ({n})",
           "dropped": "{n} placebo(s) with pre-period MSPE > {k}× the treated unit's hidden",
           "p_value": "RMSPE ratio rank p = {value}"},
    "zh": {"paths_title": "处理单位与合成控制路径", "treated": "处理单位",
           "synthetic": "合成控制", "gap": "差距（处理 − 合成）", "period": "年份",
           "outcome": "{outcome}", "start": "试点开始", "att": "ATT = {value}",
           "weights_title": "对照单位权重", "weight": "权重", "time_weights": "事前期权重 λ",
           "shown": "权重 > 0 的对照单位：显示 {k}/{n} 个", "placebo_title": "空间安慰剂差距",
           "placebos": "安慰剂（{n} 个）",
           "dropped": "已隐藏事前 MSPE 超过处理单位 {k} 倍的安慰剂 {n} 个",
           "p_value": "RMSPE 比值排序 p = {value}"},
}


def _w(language: str, key: str, **values: Any) -> str:
    text = _WORDS[language][key]
    return text.format(**values) if values else text


def _begin(result: Any, needs: str, language: str) -> str:
    """Check the language and that ``result`` is a synthetic result carrying
    ``extra[needs]``; return what ``which`` selects in it: a treated unit
    (synthetic_control) or a cohort (synthdid)."""
    check_language(language)
    if not isinstance(result, Result) or result.method not in ("synthdid",
                                                               "synthetic_control"):
        raise SpecificationError(
            "result must come from did_zones.synthdid or did_zones.synthetic_control; got "
            f"{getattr(result, 'method', type(result).__name__)!r}.")
    if needs not in result.extra:
        raise SpecificationError(f"This result has no extra[{needs!r}].")
    return "unit" if result.method == "synthetic_control" else "cohort"


def _pick(frame: pd.DataFrame | pd.Series, which: Any, what: str):
    """One cohort's (or treated unit's) slice of a frame indexed by (key, period), and the
    key (None for a frame of one): the first when ``which`` is None."""
    if not isinstance(frame.index, pd.MultiIndex):
        return frame, None
    keys = list(frame.index.get_level_values(0).unique())
    which = keys[0] if which is None else which
    if which not in keys:
        raise SpecificationError(f"which={which!r} is not a {what} of the result; choose one "
                                 f"of {keys[:10]}.")
    return frame.xs(which, level=0), which


def _title(title: str | None, words: str, what: str, key: Any, language: str) -> str:
    """The figure's title: the caller's, else the default words with the cohort or unit
    drawn (`` (cohort 2015)`` / ``（2015 批）``) when the result has several."""
    if title is not None:
        return plain(title)
    if key is None:
        return _w(language, words)
    k = f"{int(key)}" if isinstance(key, float) and float(key).is_integer() else str(key)
    if language == "zh":
        return _w(language, words) + (f"（{k} 批）" if what == "cohort" else f"（{k}）")
    return _w(language, words) + f" ({what} {k})"


def synthetic_plot(
    result: Result,
    *,
    which: Any = None,
    ax=None,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """The treated (mean) path against its synthetic control, and their gap.

    Parameters
    ----------
    result : Result
        From :func:`did_zones.synthdid` or :func:`did_zones.synthetic_control`; reads
        ``extra["counterfactual"]``.
    which : optional
        The cohort (synthdid) or treated unit (synthetic_control) to draw when the result
        has several; default the first (named in the title).
    ax : matplotlib.axes.Axes or pair of Axes, optional
        Axes for the paths and the gap; default a new figure with both. One Axes: the paths
        only, the post-period gap shaded between them.
    title : str, optional
        Title; default "Treated and synthetic paths" (处理单位与合成控制路径).
    language : {"en", "zh"}
        Language of the labels.
    font : str, optional
        CJK font family or font file.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SpecificationError
        Not a synthetic result, or an unknown ``which``.

    Notes
    -----
    For SDID the synthetic path is the ω-weighted donors shifted by the λ-weighted
    pre-period gap (R ``synthdid_plot``), so the mean post-period gap is the estimate; for
    SC it is the ω-weighted donors.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.synthdid(panel, "isu", treated=330100, se=None)
    >>> fig = dz.plots.synthetic_plot(res)
    """
    what = _begin(result, "counterfactual", language)
    cf, key = _pick(result.extra["counterfactual"], which, what)
    periods = cf.index.to_numpy()
    start = periods[cf["post"].to_numpy(bool)].min()
    ttl = _title(title, "paths_title", what, key, language)
    with text_context([ttl], font, language):
        if ax is None:
            fig, (a1, a2) = pyplot().subplots(2, 1, figsize=(7.2, 5.6), sharex=True,
                                              height_ratios=(2, 1), layout="constrained")
            axes(a1, (0, 0))
        elif isinstance(ax, (tuple, list)):
            fig, a1 = axes(ax[0], (0, 0))
            a2 = ax[1]
        else:
            fig, a1 = axes(ax, (0, 0))
            a2 = None
        a1.plot(periods, cf["treated"], color="C3", lw=2, label=_w(language, "treated"))
        a1.plot(periods, cf["synthetic"], color="C0", lw=2, ls="--",
                label=_w(language, "synthetic"))
        post = cf["post"].to_numpy(bool)
        if a2 is None:
            a1.fill_between(periods[post], cf["treated"][post], cf["synthetic"][post],
                            color="C3", alpha=0.15, lw=0)
        for a in (a1, a2):
            if a is not None:
                a.axvline(start - 0.5, color="0.4", lw=0.9, ls=":")
        a1.set_ylabel(plain(result.outcome))
        att = float(cf["gap"][post].mean())
        a1.legend(frameon=False, fontsize="small",
                  title=_w(language, "att", value=fmt(att, 4)), title_fontsize="small")
        a1.set_title(ttl)
        if a2 is not None:
            a2.bar(periods, cf["gap"], color=np.where(post, "C3", "0.6"), width=0.7)
            a2.axhline(0, color="0.3", lw=0.8)
            a2.set_ylabel(_w(language, "gap"), fontsize="small")
            a2.set_xlabel(_w(language, "period"))
        else:
            a1.set_xlabel(_w(language, "period"))
    return fig


def synthetic_weights_plot(
    result: Result,
    *,
    which: Any = None,
    top: int = 20,
    unit_labels: dict | None = None,
    ax=None,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """The donor weights ω (largest first) and, for SDID, the pre-period weights λ.

    Parameters
    ----------
    result : Result
        From :func:`did_zones.synthdid` or :func:`did_zones.synthetic_control`.
    which : optional
        Cohort (synthdid) or treated unit (synthetic_control) when there are several;
        default the first (named in the title).
    top : int
        Draw at most this many donors (those with the largest weights).
    unit_labels : mapping, optional
        Donor labels (e.g. city code → name).
    ax : matplotlib.axes.Axes, optional
        Axes for the donor weights; default a new figure (with a second panel for λ when
        the result has time weights).
    title : str, optional
        Title; default "Donor weights" (对照单位权重).
    language : {"en", "zh"}
        Language of the labels.
    font : str, optional
        CJK font family or font file.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.synthdid(panel, "isu", treated=330100, se=None)
    >>> fig = dz.plots.synthetic_weights_plot(res, top=10)
    """
    what = _begin(result, "unit_weights", language)
    check_positive_int("top", top)
    w = result.extra["unit_weights"]
    key = None
    if isinstance(w, pd.DataFrame):
        key = w.columns[0] if which is None else which
        if key not in w.columns:
            raise SpecificationError(f"which={which!r} is not a {what} of the result; choose "
                                     f"one of {list(w.columns)[:10]}.")
        w = w[key]
    lam = result.extra.get("time_weights")
    if isinstance(lam, pd.DataFrame):
        lam = lam[key].dropna()
    has_lam = lam is not None and float(np.sum(lam)) > 0 and result.spec.get("method") == "sdid"
    positive = w[w > 0].sort_values(ascending=False)
    shown = positive.iloc[:top][::-1]
    labels = [plain(unit_labels.get(u, u)) if unit_labels else plain(u) for u in shown.index]
    ttl = _title(title, "weights_title", what, key, language)
    with text_context([ttl, *labels], font, language):
        if ax is None and has_lam:
            fig, (a1, a2) = pyplot().subplots(1, 2, figsize=(9.0, 0.28 * len(shown) + 1.6),
                                              width_ratios=(3, 2), layout="constrained")
            axes(a1, (0, 0))
        else:
            fig, a1 = axes(ax, (6.0, 0.28 * len(shown) + 1.6))
            a2 = None
        a1.barh(np.arange(len(shown)), shown.to_numpy(), color="C0")
        a1.set_yticks(np.arange(len(shown)), labels, fontsize="small")
        a1.set_xlabel(_w(language, "weight"))
        a1.set_title(ttl)
        a1.text(1.0, 0.0, _w(language, "shown", k=len(shown), n=positive.size),
                transform=a1.transAxes, ha="right", va="bottom", fontsize="x-small")
        if a2 is not None:
            a2.bar(lam.index.to_numpy(), lam.to_numpy(), color="C1", width=0.7)
            a2.set_xlabel(_w(language, "period"))
            a2.set_title(_w(language, "time_weights"))
    return fig


def placebo_gaps_plot(
    result: Result,
    *,
    which: Any = None,
    max_pre_mspe_ratio: float | None = None,
    ax=None,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """The treated unit's gap drawn over the placebo gaps of every donor (Abadie, Diamond &
    Hainmueller 2010, figures 4-7).

    Parameters
    ----------
    result : Result
        From :func:`did_zones.synthetic_control` with ``placebos=True``.
    which : optional
        The treated unit when the result has several; default the first (named in the
        title).
    max_pre_mspe_ratio : float, optional
        Hide placebos whose pre-period MSPE exceeds this multiple of the treated unit's
        (Abadie et al. use 20, 5 and 2); the number hidden is printed. The p-value printed
        is the result's (all placebos).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    title : str, optional
        Title; default "In-space placebo gaps" (空间安慰剂差距).
    language : {"en", "zh"}
        Language of the labels.
    font : str, optional
        CJK font family or font file.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SpecificationError
        Not a synthetic_control result, or one without placebos.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data.query("city_code < 340000"), unit="city_code",
    ...                        time="year", cohort="cohort")
    >>> res = dz.synthetic_control(panel, "isu", treated=330100)
    >>> fig = dz.plots.placebo_gaps_plot(res, max_pre_mspe_ratio=5)
    """
    _begin(result, "counterfactual", language)
    if result.method != "synthetic_control" or result.extra["placebo_gaps"].shape[1] == 0:
        raise SpecificationError("placebo_gaps_plot needs a synthetic_control result with "
                                 "placebos (did_zones.synthetic_control(..., placebos=True)).")
    cf, key = _pick(result.extra["counterfactual"], which, "unit")
    ratios = result.extra["rmspe_ratios"]
    treated = ratios[ratios["role"] == "treated"]
    if key is not None:
        treated = treated.loc[[key]]
    g = float(treated["cohort"].iloc[0])
    gaps = result.extra["placebo_gaps"]
    if isinstance(gaps.index, pd.MultiIndex):
        gaps = gaps.xs(g, level=0)
    placebo = ratios[(ratios["role"] == "placebo") & (ratios["cohort"] == g)]
    hidden = 0
    if max_pre_mspe_ratio is not None:
        limit = float(max_pre_mspe_ratio) * float(treated["pre_rmspe"].iloc[0]) ** 2
        keep = (placebo["pre_rmspe"] ** 2 <= limit).to_numpy()
        hidden = int((~keep).sum())
        gaps = gaps.loc[:, keep]
    periods = gaps.index.to_numpy()
    ttl = _title(title, "placebo_title", "unit", key, language)
    with text_context([ttl], font, language):
        fig, a = axes(ax, (7.2, 4.4))
        a.plot(periods, gaps.to_numpy(), color="0.7", lw=0.8)
        a.plot([], [], color="0.7", lw=0.8, label=_w(language, "placebos", n=gaps.shape[1]))
        a.plot(cf.index.to_numpy(), cf["gap"].to_numpy(), color="k", lw=2.2,
               label=_w(language, "treated"))
        a.axhline(0, color="0.3", lw=0.8, ls="--")
        a.axvline(g - 0.5, color="0.4", lw=0.9, ls=":")
        a.set_xlabel(_w(language, "period"))
        a.set_ylabel(_w(language, "gap"))
        a.set_title(ttl)
        lines = [_w(language, "p_value", value=fmt(float(treated["p_value"].iloc[0]), 3))]
        if hidden:
            lines.append(_w(language, "dropped", n=hidden, k=fmt(max_pre_mspe_ratio)))
        a.legend(frameon=False, fontsize="small", loc="lower left",
                 title="\n".join(lines), title_fontsize="x-small")
    return fig
