"""Mediation path diagram: D → M → Y with a, b, c′ (and c), stars and the indirect effect."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import SpecificationError
from ._common import (
    axes,
    check_language,
    check_positive_int,
    fmt,
    heading,
    plain,
    stars,
    text_context,
    word,
)

__all__ = ["mediation_diagram"]

_BOX = {"boxstyle": "round,pad=0.5", "fc": "#f3f6fa", "ec": "0.35", "lw": 1.0}


def mediation_diagram(
    mediation_result,
    *,
    ax=None,
    labels: Mapping[str, str] | None = None,
    digits: int = 3,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """Path diagram of a mechanism analysis: D → M → Y with a, b, c′ (c) and stars.

    Parameters
    ----------
    mediation_result : MediationResult
        From :func:`did_zones.mediation` (any method). The channel test has only ``a`` and
        ``c`` paths; stepwise and causal analyses add ``b``, ``c′`` and the indirect effect.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (its frame is switched off); default a new figure.
    labels : mapping, optional
        Box names by variable: ``"treated"`` for the pilot dummy, the outcome and mediator
        column names (e.g. ``{"treated": "试点", "isu": "产业结构升级", "ecom": "电子商务"}``).
    digits : int
        Significant digits of the coefficients.
    title : str, optional
        Axes title; default "Mediation paths" (中介效应路径).
    language : {"en", "zh"}
        Language of the fixed words; ``"zh"`` draws with a CJK font.
    font : str, optional
        CJK font family or font file (default: found automatically when needed).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SpecificationError
        Not a MediationResult, ``digits < 1``, bad ``language``.

    Notes
    -----
    A serial analysis (``method="serial"``) is drawn as a graph: mediators placed left to
    right by their depth in the chain(s), the links ``d`` between them, ``a`` and ``b`` on
    every arrow, and under the figure the significant specific indirect effects, the side
    totals and their differences. With several chains (the branched demand/supply form) or
    more than three mediators, every chain gets its own row (mediators shared by chains in
    the middle), the mediators are numbered M1, M2, ... in their boxes, the arrows carry
    their symbols (a1, b2, d21, ...) and a key under the graph gives every coefficient with
    its stars, one column each for the a, d and b paths, so that no two labels overlap. Coefficients and p-values are read from ``MediationResult.tidy()`` (rows ``c``, ``a``,
    ``b``, ``c'``, ``a*b`` / ``ACME``, ``sum(a*b)``, ``share``); stars mark p < 0.1 (``*``),
    0.05 (``**``) and 0.01 (``***``). The direct arrow D → Y shows ``c′`` with the total effect ``c``
    in parentheses when there is an outcome model, else ``c``.

    References
    ----------
    Baron, R. M. & Kenny, D. A. (1986). The moderator-mediator variable distinction.
    Journal of Personality and Social Psychology 51(6), 1173-1182.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=7, effect="homogeneous")
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> med = dz.mediation(panel, "isu", "ecom", method="stepwise", n_boot=99, seed=1)
    >>> fig = mediation_diagram(med, labels={"isu": "Industrial upgrading"})
    """
    check_language(language)
    from ..mechanism.result import MediationResult

    if not isinstance(mediation_result, MediationResult):
        raise SpecificationError("mediation_diagram needs the MediationResult of "
                                 f"did_zones.mediation; got {type(mediation_result).__name__}.")
    check_positive_int("digits", digits)
    t = mediation_result.tidy()
    mediators = list(mediation_result.mediators)
    outcome = mediation_result.total.outcome
    name = (lambda v: plain(labels.get(v, v))) if labels else plain
    box_d = name("treated") if labels and "treated" in labels else word(language, "treatment")
    box_y, box_m = name(outcome), [name(m) for m in mediators]
    ttl = heading(title, language, "mediation_title")
    chains = dict(mediation_result.extra.get("chains") or {}) \
        if mediation_result.method == "serial" else {}
    branched = bool(chains) and (len(chains) > 1 or len(mediators) > 3)
    with text_context([ttl, box_d, box_y, *box_m], font, language):
        size = (10.0, 7.0) if branched else (7.0, 3.2 + 0.5 * max(len(mediators) - 1, 0))
        fig, ax = axes(ax, size)
        if branched:
            _draw_branched(ax, t, mediators, chains, (box_d, box_y, box_m), int(digits),
                           language)
        elif (t["term"] == "d").any():
            _draw_serial(ax, t, mediators, (box_d, box_y, box_m), int(digits), language)
        else:
            _draw(ax, t, mediators, (box_d, box_y, box_m), int(digits), language)
        ax.set_title(ttl)
    return fig


def _row(t, term: str, mediator=None):
    rows = t.loc[(t["term"] == term) & ((t["mediator"] == mediator) if mediator is not None
                                        else t["mediator"].isna())]
    return None if rows.empty else rows.iloc[0]


def _coef(row, symbol: str, digits: int) -> str:
    return f"{symbol} = {fmt(row['estimate'], digits)}{stars(row['p_value'])}"


def _draw(ax, t, mediators, boxes, digits, language) -> None:
    box_d, box_y, box_m = boxes
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    d_xy, y_xy = (0.12, 0.2), (0.88, 0.2)
    k = len(mediators)
    m_y = np.linspace(0.82, 0.58, k) if k > 1 else np.array([0.78])
    m_x = np.full(k, 0.5)
    arrow = {"arrowstyle": "-|>", "color": "0.25", "lw": 1.2, "shrinkA": 22, "shrinkB": 22}
    for j, med in enumerate(mediators):
        a, b = _row(t, "a", med), _row(t, "b", med)
        ax.annotate("", xy=(m_x[j], m_y[j]), xytext=d_xy, arrowprops=arrow)
        ax.annotate("", xy=y_xy, xytext=(m_x[j], m_y[j]), arrowprops=arrow)
        if a is not None:
            ax.text((d_xy[0] + m_x[j]) / 2 - 0.03, (d_xy[1] + m_y[j]) / 2 + 0.02,
                    _coef(a, f"a{_sub(j, k)}", digits), ha="right", va="bottom",
                    fontsize="small")
        if b is not None:
            ax.text((y_xy[0] + m_x[j]) / 2 + 0.03, (y_xy[1] + m_y[j]) / 2 + 0.02,
                    _coef(b, f"b{_sub(j, k)}", digits), ha="left", va="bottom",
                    fontsize="small")
        ax.text(m_x[j], m_y[j], box_m[j], ha="center", va="center", bbox=_BOX, zorder=3)
    ax.annotate("", xy=y_xy, xytext=d_xy, arrowprops=arrow)
    c, direct = _row(t, "c"), _row(t, "c'")
    path = _coef(direct, "c′", digits) + f"  ({_coef(c, 'c', digits)})" if direct is not None \
        else _coef(c, "c", digits)
    ax.text(0.5, d_xy[1] - 0.04, path, ha="center", va="top", fontsize="small")
    ax.text(*d_xy, box_d, ha="center", va="center", bbox=_BOX, zorder=3)
    ax.text(*y_xy, box_y, ha="center", va="center", bbox=_BOX, zorder=3)
    foot = _indirect(t, mediators, digits, language)
    foot.append(word(language, "stars"))
    ax.text(0.5, 0.0, "\n".join(foot), ha="center", va="bottom", fontsize="x-small",
            color="0.3")


def _sub(j: int, k: int) -> str:
    return str(j + 1) if k > 1 else ""


def _indirect(t, mediators, digits, language) -> list[str]:
    parts = []
    for j, med in enumerate(mediators):
        row = _row(t, "a*b", med)
        row = _row(t, "ACME", med) if row is None else row
        if row is not None:
            sym = "a·b" if row["term"] == "a*b" else "ACME"
            ci = f" [{fmt(row['conf_low'], digits)}, {fmt(row['conf_high'], digits)}]"
            parts.append(f"{sym}{_sub(j, len(mediators))} = {fmt(row['estimate'], digits)}"
                         f"{stars(row['p_value'])}{ci}")
    total = _row(t, "sum(a*b)")
    if total is not None and len(mediators) > 1:
        parts.append(f"Σa·b = {fmt(total['estimate'], digits)}{stars(total['p_value'])}")
    share = _row(t, "share")
    if share is not None:
        parts.append(word(language, "share", value=f"{100 * share['estimate']:.1f}%"))
    return ["; ".join(parts)] if parts else []


def _draw_serial(ax, t, mediators, boxes, digits, language) -> None:
    """Serial / branched chains: mediators by depth (x) and order within a depth (y)."""
    box_d, box_y, box_m = boxes
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    links = [tuple(lab.split(" -> ")) for lab in t.loc[t["term"] == "d", "mediator"]]
    depth = dict.fromkeys(mediators, 0)
    for m in mediators:  # mediators come in causal order
        for k, j in links:
            if j == m:
                depth[m] = max(depth[m], depth[k] + 1)
    n_depth = max(depth.values()) + 1
    xs = np.linspace(0.3, 0.7, n_depth) if n_depth > 1 else np.array([0.5])
    pos = {}
    for lev in range(n_depth):
        here = [m for m in mediators if depth[m] == lev]
        ys = np.linspace(0.88, 0.5, len(here)) if len(here) > 1 else np.array([0.7])
        pos.update({m: (xs[lev], y) for m, y in zip(here, ys, strict=True)})
    d_xy, y_xy = (0.07, 0.22), (0.93, 0.22)
    arrow = {"arrowstyle": "-|>", "color": "0.35", "lw": 0.9, "shrinkA": 16, "shrinkB": 16}
    small = {"fontsize": "x-small", "ha": "center", "va": "center",
             "bbox": {"fc": "white", "ec": "none", "alpha": 0.8, "pad": 0.5}}

    def label(p0, p1, text, w=0.5):
        ax.text(p0[0] + w * (p1[0] - p0[0]), p0[1] + w * (p1[1] - p0[1]), text, **small)

    for j, med in enumerate(mediators):
        a, b = _row(t, "a", med), _row(t, "b", med)
        ax.annotate("", xy=pos[med], xytext=d_xy, arrowprops=arrow)
        ax.annotate("", xy=y_xy, xytext=pos[med], arrowprops=arrow)
        if a is not None:
            label(d_xy, pos[med], _coef(a, f"a{j + 1}", digits), 0.55)
        if b is not None:
            label(pos[med], y_xy, _coef(b, f"b{j + 1}", digits), 0.45)
        ax.text(*pos[med], box_m[j], ha="center", va="center", bbox=_BOX, zorder=3,
                fontsize="small")
    for k, j in links:
        row = _row(t, "d", f"{k} -> {j}")
        ax.annotate("", xy=pos[j], xytext=pos[k], arrowprops={**arrow, "color": "0.1"})
        sym = f"d{mediators.index(j) + 1}{mediators.index(k) + 1}"
        label(pos[k], pos[j], _coef(row, sym, digits))
    ax.annotate("", xy=y_xy, xytext=d_xy, arrowprops=arrow)
    c, direct = _row(t, "c"), _row(t, "c'")
    ax.text(0.5, d_xy[1] - 0.05, _coef(direct, "c′", digits) + f"  ({_coef(c, 'c', digits)})",
            ha="center", va="top", fontsize="small")
    ax.text(*d_xy, box_d, ha="center", va="center", bbox=_BOX, zorder=3)
    ax.text(*y_xy, box_y, ha="center", va="center", bbox=_BOX, zorder=3)
    foot = _serial_foot(t, digits, language)
    ax.text(0.5, 0.0, "\n".join(foot), ha="center", va="bottom", fontsize="x-small",
            color="0.3", wrap=True)


def _branched_positions(mediators, links, chains) -> dict:
    """Mediator -> (x, y): x by depth in the graph, y by chain (shared mediators between
    the chains' rows; several mediators in one place are spread vertically)."""
    depth = dict.fromkeys(mediators, 0)
    for m in mediators:  # mediators come in causal order
        for k, j in links:
            if j == m:
                depth[m] = max(depth[m], depth[k] + 1)
    n_depth = max(depth.values()) + 1
    xs = np.linspace(0.3, 0.75, n_depth) if n_depth > 1 else np.array([0.5])
    names = list(chains)
    rows = np.linspace(0.88, 0.12, len(names)) if len(names) > 1 else np.array([0.8])
    member = {m: [i for i, n in enumerate(names) if m in chains[n]] for m in mediators}
    spot = {}
    for m in mediators:
        rows_of = member[m]
        y = 0.5 if len(rows_of) != 1 else float(rows[rows_of[0]])
        spot.setdefault((depth[m], y), []).append(m)
    pos = {}
    for (lev, y), here in spot.items():
        offsets = (np.arange(len(here)) - (len(here) - 1) / 2) * 0.14
        for m, dy in zip(here, offsets, strict=True):
            pos[m] = (float(xs[lev]), y + float(dy))
    return pos


def _draw_branched(ax, t, mediators, chains, boxes, digits, language) -> None:
    """Several chains (or many mediators): one row per chain, symbols on the arrows and
    the coefficients in a key below, so that labels never collide."""
    box_d, box_y, box_m = boxes
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    links = [tuple(lab.split(" -> ")) for lab in t.loc[t["term"] == "d", "mediator"]]
    pos = _branched_positions(mediators, links, chains)
    d_xy, y_xy = (0.05, 0.5), (0.95, 0.5)
    num = {m: j + 1 for j, m in enumerate(mediators)}
    # boxes first: every arrow is clipped at the edges of the boxes it joins
    box = {"D": ax.text(*d_xy, box_d, ha="center", va="center", bbox=_BOX, zorder=3),
           "Y": ax.text(*y_xy, box_y, ha="center", va="center", bbox=_BOX, zorder=3)}
    for j, med in enumerate(mediators):
        box[med] = ax.text(*pos[med], f"{box_m[j]} (M{num[med]})", ha="center",
                           va="center", bbox=_BOX, zorder=3, fontsize="small")
    where = {"D": d_xy, "Y": y_xy, **pos}
    tag = {"fontsize": "x-small", "ha": "center", "va": "center", "color": "0.1",
           "bbox": {"fc": "white", "ec": "0.7", "lw": 0.5, "boxstyle": "round,pad=0.15"},
           "zorder": 4}

    def link(u, v, text, w, dark=False):
        ax.annotate("", xy=where[v], xytext=where[u], arrowprops={
            "arrowstyle": "-|>", "color": "0.1" if dark else "0.45",
            "lw": 1.3 if dark else 0.9, "shrinkA": 1, "shrinkB": 1,
            "patchA": box[u].get_bbox_patch(), "patchB": box[v].get_bbox_patch()})
        (x0, y0), (x1, y1) = where[u], where[v]
        lift = 0.035 if abs(y1 - y0) < 0.05 else 0.0  # a flat arrow: its tag sits above
        ax.text(x0 + w * (x1 - x0), y0 + w * (y1 - y0) + lift, text, **tag)

    keys = {"a": [], "d": [], "b": []}
    for med in mediators:
        j = num[med]
        a, b = _row(t, "a", med), _row(t, "b", med)
        # tags near the mediator: arrows from D fan out there, arrows into Y converge later
        link("D", med, f"a{j}", 0.72 if abs(pos[med][1] - 0.5) > 0.05 else 0.5)
        link(med, "Y", f"b{j}", 0.3 if abs(pos[med][1] - 0.5) > 0.05 else 0.5)
        if a is not None:
            keys["a"].append(_coef(a, f"a{j}", digits))
        if b is not None:
            keys["b"].append(_coef(b, f"b{j}", digits))
    for k, j in links:
        sym = f"d{num[j]}{num[k]}"
        link(k, j, sym, 0.5, dark=True)
        row = _row(t, "d", f"{k} -> {j}")
        if row is not None:
            keys["d"].append(_coef(row, sym, digits))
    # the direct effect runs under the graph, clear of every mediator
    low = min(y for _, y in pos.values()) - 0.13
    ax.plot([d_xy[0], d_xy[0], y_xy[0]], [d_xy[1] - 0.05, low, low], color="0.45", lw=0.9)
    ax.annotate("", xy=(y_xy[0], y_xy[1] - 0.05), xytext=(y_xy[0], low),
                arrowprops={"arrowstyle": "-|>", "color": "0.45", "lw": 0.9, "shrinkA": 0,
                            "shrinkB": 0})
    c, direct = _row(t, "c"), _row(t, "c'")
    ax.text(0.5, low, _coef(direct, "c′", digits) + f"  ({_coef(c, 'c', digits)})",
            **{**tag, "fontsize": "small"})
    top, line = low - 0.08, 0.045
    heads = {"a": "D → M", "d": "M → M", "b": "M → Y"}
    for x, key in zip((0.17, 0.5, 0.83), ("a", "d", "b"), strict=True):
        ax.text(x, top, heads[key], ha="center", va="top", fontsize="x-small",
                fontweight="bold")
        ax.text(x, top - line, "\n".join(keys[key]), ha="center", va="top",
                fontsize="x-small")
    bottom = top - line * (2 + max(len(v) for v in keys.values()))
    foot = _serial_foot(t, digits, language)
    ax.text(0.5, bottom, "\n".join(foot), ha="center", va="top", fontsize="x-small",
            color="0.3", wrap=True)
    ax.set_ylim(bottom - line * (1.2 * len(foot) + 1), 1.0)


def _serial_foot(t, digits, language) -> list[str]:
    """Significant specific indirect effects, the total, side totals and differences."""
    sig = t[(t["term"] == "path") & (t["p_value"] < 0.05)]
    side_word = {"common": word(language, "common_side")}
    foot = []
    if len(sig):
        foot.append(word(language, "serial_paths") + ": " + "; ".join(
            f"{r['mediator'].replace(' -> ', '→')} {fmt(r['estimate'], digits)}"
            f"{stars(r['p_value'])}" for _, r in sig.iterrows()))
    total = _row(t, "sum(a*b)")
    sides = t[t["term"].isin(["side", "difference"])]
    parts = [f"Σ = {fmt(total['estimate'], digits)}{stars(total['p_value'])}"] \
        if total is not None else []
    parts += [f"{side_word.get(r['mediator'], r['mediator'])} "
              f"{fmt(r['estimate'], digits)}{stars(r['p_value'])}"
              for _, r in sides.iterrows()]
    if parts:
        key = "side_totals" if len(sides) else "indirect"
        foot.append(word(language, key) + ": " + "; ".join(parts))
    foot.append(word(language, "stars"))
    return foot
