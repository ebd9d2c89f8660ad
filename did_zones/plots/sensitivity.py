"""HonestDiD sensitivity figure: robust confidence sets over M̄ (or M) beside the original."""

from __future__ import annotations

import numpy as np

from ..errors import SpecificationError
from ._common import axes, check_language, fmt, heading, text_context, word

__all__ = ["honest_plot"]


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
        Axes title; default "HonestDiD sensitivity".
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
    breakdown value, the largest M̄ (M) whose robust set still excludes zero.

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
    step = float(np.min(np.diff(np.unique(m)))) if np.unique(m).size > 1 else \
        (abs(m[0]) or 1.0) * 0.5
    x0 = float(m.min()) - step
    lo, hi = t["conf_low"].to_numpy(float), t["conf_high"].to_numpy(float)
    level = 100 * (1 - float(g["alpha"]))
    ttl = heading(title, language, "honest_title")
    with text_context([ttl], font, language):
        fig, ax = axes(ax, (6.4, 4.2))
        ax.vlines(m, lo, hi, color="C0", lw=2.2, label=f"{word(language, 'robust_ci', level=level)}"
                  f" ({g['method']})")
        ax.vlines([x0], [g["original_low"]], [g["original_high"]], color="C3", lw=2.6,
                  label=word(language, "original"))
        estimate = honest_result.original.get("estimate")
        if estimate is not None and np.isfinite(estimate):
            ax.plot([x0], [estimate], marker="o", color="C3", ms=5)
        ax.axhline(0, color="0.3", lw=0.8)
        b = float(g["breakdown"])
        if np.isfinite(b):
            ax.axvline(b, color="0.4", ls=":", lw=1.1,
                       label=word(language, "breakdown", name=name, value=fmt(b)))
        ticks = np.concatenate([[x0], m])
        if ticks.size <= 12:
            ax.set_xticks(ticks, [word(language, "original")] + [fmt(v, 2) for v in m],
                          rotation=45 if ticks.size > 6 else 0)
        ax.set_xlabel(word(language, "m_rm" if rm else "m_sd"))
        ax.set_ylabel(word(language, "estimate"))
        ax.set_title(ttl)
        ax.legend(frameon=False, fontsize="small")
    return fig
