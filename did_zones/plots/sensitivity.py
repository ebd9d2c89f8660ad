"""HonestDiD sensitivity figure: robust confidence sets over M̄ (or M) beside the original."""

from __future__ import annotations

import numpy as np

from ..errors import SpecificationError
from ._common import axes, check_language, fmt, heading, text_context, word

__all__ = ["honest_plot", "target_label"]


def honest_plot(
    honest_result,
    *,
    ax=None,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """Robust confidence intervals over the sensitivity parameter, beside the original CI.

    Parameters
    ----------
    honest_result : HonestResult
        From :func:`did_zones.honest_did`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    title : str, optional
        Axes title; default "HonestDiD sensitivity: θ = effect at e = 0" (the target).
    language : {"en", "zh"}
        Language of the labels; ``"zh"`` draws with a CJK font.
    font : str, optional
        CJK font family or font file (default: found automatically when needed).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SpecificationError
        Not a HonestResult, bad ``language``.

    Notes
    -----
    As in R ``HonestDiD::createSensitivityPlot``: the original interval (parallel trends
    exact; ``glance()`` columns ``original_low`` / ``original_high``) is drawn left of the
    robust intervals (``tidy()``: ``m``, ``conf_low``, ``conf_high``); a dotted line marks the
    breakdown value, the largest M̄ (M) whose robust set still excludes zero, or, when it lies
    far beyond the grid, an arrow at the right edge gives it (the axis spans the grid only).
    The default title names the target parameter θ (``glance()`` ``target``).

    References
    ----------
    Rambachan, A. & Roth, J. (2023). A more credible approach to parallel trends. Review of
    Economic Studies 90(5), 2555-2591.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> honest = dz.honest_did(dz.event_study(panel, "isu"), restriction="smoothness")
    >>> fig = honest_plot(honest)
    """
    check_language(language)
    from ..robustness.honest import HonestResult

    if not isinstance(honest_result, HonestResult):
        raise SpecificationError("honest_plot needs the HonestResult of did_zones.honest_did; "
                                 f"got {type(honest_result).__name__}.")
    t = honest_result.tidy()
    g = honest_result.glance().iloc[0]
    rm = g["restriction"] == "relative_magnitude"
    name = "M̄" if rm else "M"
    m = t["m"].to_numpy(float)
    span = float(np.ptp(m)) if m.size > 1 else (abs(float(m[0])) or 1.0)
    step = float(np.min(np.diff(np.unique(m)))) if np.unique(m).size > 1 else 0.5 * span
    x0 = float(m.min()) - max(step, 0.15 * span)
    lo, hi = t["conf_low"].to_numpy(float), t["conf_high"].to_numpy(float)
    level = 100 * (1 - float(g["alpha"]))
    target = target_label(g, language)
    default = f"{word(language, 'honest_title')}: {target}"
    ttl = default if title is None else heading(title, language, "honest_title")
    with text_context([ttl], font, language):
        fig, ax = axes(ax, (8.4, 4.2))
        ax.vlines(m, lo, hi, color="C0", lw=2.2, label=f"{word(language, 'robust_ci', level=level)}"
                  f" ({g['method']})")
        ax.vlines([x0], [g["original_low"]], [g["original_high"]], color="C3", lw=2.6,
                  label=word(language, "original"))
        estimate = honest_result.original.get("estimate")
        if estimate is not None and np.isfinite(estimate):
            ax.plot([x0], [estimate], marker="o", color="C3", ms=5)
        ax.axhline(0, color="0.3", lw=0.8)
        pad = 0.5 * max(step, 0.15 * span)
        b = float(g["breakdown"])
        right = float(m.max()) + pad
        if np.isfinite(b) and right < b <= float(m.max()) + 0.5 * span:
            right = b + pad  # near the grid: widen a little to show the line
        _breakdown(ax, b, name, right, language)
        _ticks(ax, x0, m, right, language)
        ax.set_xlabel(word(language, "m_rm" if rm else "m_sd"))
        ax.set_ylabel(word(language, "estimate"))
        ax.set_title(ttl)
        # right of the axes: the intervals fill the plot, "best" would cover some of them
        ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  borderaxespad=0.0)
    return fig


def target_label(glance_row, language: str) -> str:
    """Words for the target parameter θ from ``HonestResult.glance()`` (e.g. θ = effect at
    e = 0)."""
    term, first, last = glance_row["target"], glance_row["target_first"], \
        glance_row["target_last"]
    if isinstance(term, str) and term.startswith("e") and term[1:].lstrip("+-").isdigit():
        return word(language, "target_e", e=int(term[1:]))
    if term == "average" and first is not None and last is not None:
        return word(language, "target_average", lo=int(first), hi=int(last))
    return word(language, "target_weights")


def _breakdown(ax, b: float, name: str, right: float, language: str) -> None:
    """The breakdown value: a labelled line inside the grid, an arrow at the edge beyond it."""
    if np.isnan(b):
        return
    text = word(language, "breakdown", name=name, value="∞" if np.isinf(b) else fmt(b))
    if b <= right:
        ax.axvline(b, color="0.35", ls=":", lw=1.2, label=text, gid="breakdown")
        return
    # far beyond the grid: an arrow along the bottom spine and a legend entry, instead of
    # stretching the axis
    ax.annotate("", xy=(1.0, 0.0), xytext=(0.86, 0.0), xycoords="axes fraction",
                arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1.4}, gid="breakdown",
                annotation_clip=False)
    ax.plot([], [], ls="none", marker=r"$\rightarrow$", ms=10, color="0.3",
            label=f"{text} ({word(language, 'off_axis')})")


def _ticks(ax, x0: float, m: np.ndarray, right: float, language: str) -> None:
    """"Original" under the red interval, then evenly spaced ticks across the M grid."""
    from matplotlib.ticker import MaxNLocator

    values = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(float(m.min()),
                                                                        float(m.max()))
    values = values[(values >= m.min() - 1e-12) & (values <= right)]
    ax.set_xticks(np.concatenate([[x0], values]),
                  [word(language, "original")] + [fmt(v, 3) for v in values])
    ax.set_xlim(x0 - 0.5 * (float(m.min()) - x0), right)
