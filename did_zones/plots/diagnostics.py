"""Diagnostics of the TWFE coefficient: the Goodman-Bacon scatter and the dCDH weights."""

from __future__ import annotations

import numpy as np

from ..decomposition import BaconDecomposition, TwfeWeights
from ..errors import SpecificationError
from ..estimators.bacon import BOTH, EARLY_LATE, LATE_EARLY, TREATED_NEVER, TYPES, WITHIN
from ._common import BACON_TYPES_ZH, axes, check_language, fmt, heading, text_context, word

__all__ = ["bacon_plot", "twfe_weights_plot"]

_STYLE = {EARLY_LATE: ("C0", "o"), LATE_EARLY: ("C3", "^"), TREATED_NEVER: ("C2", "s"),
          BOTH: ("C4", "D"), WITHIN: ("C7", "P")}
_GLANCE = {EARLY_LATE: "earlier_vs_later", LATE_EARLY: "later_vs_earlier",
           BOTH: "both_treated", TREATED_NEVER: "treated_vs_never", WITHIN: "within"}


def _check(result, kind: type, fn: str) -> None:
    if not isinstance(result, kind):
        got = getattr(result, "method", type(result).__name__)
        raise SpecificationError(f"{fn} needs the {kind.__name__} of did_zones.{kind.method}; "
                                 f"got {got!r}.")


def bacon_plot(
    result: BaconDecomposition,
    *,
    ax=None,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """Goodman-Bacon scatter: every 2×2 DiD estimate against its weight, by comparison type.

    Parameters
    ----------
    result : BaconDecomposition
        From :func:`did_zones.bacon_decomposition`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    title : str, optional
        Axes title; default "Goodman-Bacon decomposition".
    language : {"en", "zh"}
        Language of the labels and comparison types; ``"zh"`` draws with a CJK font.
    font : str, optional
        CJK font family or font file (default: found automatically when needed).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SpecificationError
        Not a Goodman-Bacon decomposition, bad ``language``.

    Notes
    -----
    The legend gives each type's total weight and weighted-average estimate as reported
    by the decomposition (``glance()`` columns ``weight_<type>``, ``estimate_<type>``); the
    horizontal line is the TWFE coefficient (term ``"twfe"``), their weighted average.
    Estimates far from the line with large weights drive the TWFE coefficient; "later vs
    earlier treated" comparisons use already-treated units as controls.

    References
    ----------
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
    Journal of Econometrics 225(2), 254-277.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> fig = bacon_plot(dz.bacon_decomposition(panel, "isu"))
    """
    check_language(language)
    _check(result, BaconDecomposition, "bacon_plot")
    t = result.tidy()
    g = result.glance().iloc[0]
    twfe = float(t.loc[t["term"] == "twfe", "estimate"].iloc[0])
    cells = t.loc[t["term"] != "twfe"]
    ttl = heading(title, language, "bacon_title")
    with text_context([ttl], font, language):
        fig, ax = axes(ax, (6.4, 4.4))
        for kind in TYPES:
            rows = cells.loc[cells["type"] == kind]
            if rows.empty:
                continue
            color, marker = _STYLE[kind]
            name = BACON_TYPES_ZH[kind] if language == "zh" else kind
            key = _GLANCE[kind]
            if f"weight_{key}" in g:
                name += (f" ({word(language, 'weight')} {fmt(g[f'weight_{key}'])}, "
                         f"β = {fmt(g[f'estimate_{key}'])})")
            ax.scatter(rows["weight"], rows["estimate"], s=36, color=color, marker=marker,
                       alpha=0.8, edgecolor="white", lw=0.5, label=name)
        ax.axhline(twfe, color="0.2", lw=1.1, ls="--",
                   label=word(language, "twfe", value=fmt(twfe, 4)))
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set_xlabel(word(language, "weight"))
        ax.set_ylabel(word(language, "dd_estimate"))
        ax.set_title(ttl)
        ax.legend(frameon=False, fontsize="small")
    return fig


def twfe_weights_plot(
    result: TwfeWeights,
    *,
    ax=None,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """Weights of the TWFE coefficient on each cohort × period effect, by event time.

    Parameters
    ----------
    result : TwfeWeights
        From :func:`did_zones.twfe_weights`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    title : str, optional
        Axes title.
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
        Not a ``twfe_weights`` result, bad ``language``.

    Notes
    -----
    One marker per treated cohort × period cell (``keys``: ``cohort``, ``event_time``),
    height = its weight ``W_gt``; negative weights (hollow markers) are the cells whose
    effects enter β with the wrong sign. The count and sum of negative weights are those of
    ``glance()`` (``n_negative``, ``sum_negative``).

    References
    ----------
    de Chaisemartin, C. & D'Haultfœuille, X. (2020). Two-way fixed effects estimators with
    heterogeneous treatment effects. American Economic Review 110(9), 2964-2996.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> fig = twfe_weights_plot(dz.twfe_weights(panel, "isu"))
    """
    check_language(language)
    _check(result, TwfeWeights, "twfe_weights_plot")
    t = result.tidy()
    g = result.glance().iloc[0]
    cells = t.loc[t["kind"] == "weight"]
    ttl = heading(title, language, "weights_title")
    with text_context([ttl], font, language):
        fig, ax = axes(ax, (6.8, 4.2))
        cohorts = np.unique(cells["cohort"].to_numpy(float))
        for i, c in enumerate(cohorts):
            rows = cells.loc[cells["cohort"] == c]
            w = rows["estimate"].to_numpy(float)
            x = rows["event_time"].to_numpy(float)
            color = f"C{i % 10}"
            ax.plot(x, w, color=color, lw=0.8, alpha=0.6)
            neg = w < 0
            ax.scatter(x[~neg], w[~neg], color=color, s=26,
                       label=word(language, "cohort", value=int(c)))
            ax.scatter(x[neg], w[neg], facecolor="white", edgecolor=color, s=26, lw=1.2)
        ax.axhline(0, color="0.3", lw=0.8)
        if "n_negative" in g and g["n_negative"]:
            ax.text(0.98, 0.97, word(language, "negative", n=int(g["n_negative"]),
                                     value=fmt(g["sum_negative"])),
                    transform=ax.transAxes, ha="right", va="top", fontsize="small")
        ax.set_xlabel(word(language, "event_time"))
        ax.set_ylabel(word(language, "cell_weight"))
        ax.set_title(ttl)
        ax.legend(frameon=False, fontsize="small", ncol=2)
    return fig
