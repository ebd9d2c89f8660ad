"""Adoption timeline: a panelview-style unit × period grid of treatment status by batch."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import SpecificationError
from ..panel import Panel
from ..validation import Choice
from ._common import axes, check_language, check_positive_int, heading, plain, text_context, word

__all__ = ["adoption_plot"]

_SORTS = ("cohort", "unit")
_MAX_TICK_LABELS = 60


def adoption_plot(
    panel: Panel,
    *,
    ax=None,
    sort: str = "cohort",
    max_units: int | None = None,
    unit_labels: Mapping | None = None,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """Treatment status of every unit in every period, pilots coloured by batch (panelview).

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure (taller with more units).
    sort : {"cohort", "unit"}
        Row order: by first pilot period (earliest batch on top, never-treated last; units
        in panel order within a batch), or the panel's unit order.
    max_units : int, optional
        Draw about this many rows, evenly spaced through the sorted units (so every batch
        keeps its share), plus one unit of any batch the spacing missed; the figure says how
        many of how many units are shown.
    unit_labels : mapping, optional
        Row labels by unit (e.g. city code → city name); default the unit labels. Rows are
        labelled when at most 60 are drawn.
    title : str, optional
        Axes title; default "Pilot adoption by unit and period" (试点批次时间分布).
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
        Not a Panel, unknown ``sort``, ``max_units < 1``, bad ``language``.

    Notes
    -----
    A cell is treated when the panel's own indicator (period ≥ first pilot period) is on;
    treated cells take the colour of the unit's batch (first pilot period), untreated cells
    of later pilots are light, never-treated units grey, unobserved unit-periods white. The
    legend gives each batch's number of units. Sorted by cohort, every batch keeps at
    least 2% of the height (rows of large batches are a little thinner), and a ``max_units`` subset always
    holds at least one unit of every batch, so a one-city batch stays visible.

    References
    ----------
    Mou, H., Liu, L. & Xu, Y. (2023). Panel data visualization in R (panelView) and Stata
    (panelview). Journal of Statistical Software 107(7).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> fig = adoption_plot(panel, max_units=120)
    """
    check_language(language)
    if not isinstance(panel, Panel):
        raise SpecificationError("adoption_plot needs a Panel from did_zones.build_panel; got "
                                 f"{type(panel).__name__}.")
    Choice(_SORTS)("sort", sort)
    check_positive_int("max_units", max_units, allow_none=True)
    n_units, n_periods = panel.n_units, panel.n_periods
    cohort = panel.cohort
    # status codes: 0 not observed, 1 never treated, 2 not yet treated, 3 + k treated batch k
    batches = np.unique(cohort[np.isfinite(cohort)])
    grid = np.zeros((n_units, n_periods), dtype=int)
    treated = np.asarray(panel.treated, dtype=bool)
    ucoh = cohort[panel.unit_id]
    code = np.where(~np.isfinite(ucoh), 1, 2)
    code = np.where(treated, 3 + np.searchsorted(batches, ucoh), code)
    grid[panel.unit_id, panel.period_id] = code
    order = np.lexsort((np.arange(n_units), cohort)) if sort == "cohort" else np.arange(n_units)
    if max_units is not None and max_units < n_units:
        order = order[_subset(cohort[order], int(max_units))]
    grid = grid[order]
    sizes = {float(b): int(np.count_nonzero(cohort == b)) for b in batches}
    shown = panel.units[order]
    names = [plain(unit_labels.get(u, u)) if unit_labels else plain(u) for u in shown]
    label_rows = len(order) <= _MAX_TICK_LABELS
    ttl = heading(title, language, "adoption_title")
    with text_context([ttl, *(names if label_rows else [])], font, language):
        height = 1.6 + 0.14 * len(order) if label_rows else 5.5
        fig, ax = axes(ax, (7.5, float(np.clip(height, 3.5, 11.0))))
        edges = (_row_edges(cohort[order]) if sort == "cohort"
                 else np.arange(len(order) + 1, dtype=float))
        _draw(ax, grid, batches, panel.periods, names, label_rows, language, edges, sizes)
        ax.set_title(ttl)
        if len(order) < n_units:
            ax.text(1.0, 1.0, word(language, "showing", k=len(order), n=n_units),
                    transform=ax.transAxes, ha="right", va="bottom", fontsize="small")
    return fig


def _subset(sorted_cohort: np.ndarray, k: int) -> np.ndarray:
    """About ``k`` evenly spaced positions that keep at least one unit of every cohort."""
    n = sorted_cohort.size
    picked = set(np.linspace(0, n - 1, k).round().astype(int).tolist())
    key = np.where(np.isfinite(sorted_cohort), sorted_cohort, np.inf)
    for value in np.unique(key):
        rows = np.flatnonzero(key == value)
        if not picked.intersection(rows.tolist()):
            picked.add(int(rows[rows.size // 2]))
    return np.array(sorted(picked))


def _row_edges(row_cohort: np.ndarray, min_share: float = 0.02) -> np.ndarray:
    """Row boundaries (top to bottom): every run of rows of one cohort at least
    ``min_share`` of the height, so a one-city cohort stays visible among hundreds."""
    key = np.where(np.isfinite(row_cohort), row_cohort, np.inf)
    n = key.size
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    lengths = np.diff(np.r_[starts, n])
    floor = min_share * n
    heights = np.empty(n)
    for start, length in zip(starts, lengths, strict=True):
        heights[start:start + length] = max(length, floor) / length
    heights *= n / heights.sum()  # keep the total: ticks and labels stay in row units
    return np.r_[0.0, np.cumsum(heights)]


def _draw(ax, grid, batches, periods, names, label_rows, language, edges, sizes) -> None:
    from matplotlib import colormaps
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    cmap_b = colormaps["viridis"].resampled(max(len(batches), 2))
    batch_colors = [cmap_b(i) for i in range(len(batches))]
    colors = ["white", "0.72", "#dfe9f5", *batch_colors]
    cmap = ListedColormap(colors)
    norm = BoundaryNorm(np.arange(len(colors) + 1) - 0.5, len(colors))
    x_edges = np.arange(len(periods) + 1) - 0.5
    ax.pcolormesh(x_edges, edges, grid, cmap=cmap, norm=norm, shading="flat",
                  gid="adoption_grid", rasterized=grid.size > 20000)
    ax.set_ylim(edges[-1], edges[0])
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_xticks(np.arange(len(periods)), [str(int(p)) for p in periods],
                  rotation=90 if len(periods) > 12 else 0)
    if label_rows:
        ax.set_yticks(0.5 * (edges[1:] + edges[:-1]), names, fontsize="x-small")
    else:
        ax.set_yticks([])
    ax.set_xlabel(word(language, "period"))
    ax.set_ylabel(word(language, "units", n=len(names)))
    present = set(np.unique(grid).tolist())
    handles = [Patch(color=batch_colors[k], label=f"{word(language, 'pilot', value=int(b))} "
                     f"({word(language, 'n_units', n=sizes[float(b)])})")
               for k, b in enumerate(batches) if 3 + k in present]
    handles += [Patch(facecolor=colors[2], edgecolor="0.6", lw=0.5,
                      label=word(language, "not_yet"))] if 2 in present else []
    handles += [Patch(color=colors[1], label=word(language, "never"))] if 1 in present else []
    handles += [Patch(facecolor="white", edgecolor="0.6", lw=0.5,
                      label=word(language, "missing"))] if 0 in present else []
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              fontsize="small")
