"""Event-study figure: several estimators overlaid, with confidence intervals."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import SpecificationError
from ..result import Result
from ..validation import check_alpha
from ._common import axes, check_language, heading, labels_of, text_context, word

__all__ = ["event_study_plot"]

_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<", ">")


def event_study_plot(
    results: Result | Mapping[str, Result],
    *,
    ax=None,
    reference: int | None = -1,
    alpha: float = 0.05,
    uniform: bool = False,
    labels: Mapping[str, str] | None = None,
    truth=None,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """Event-study coefficients by period relative to the pilot, several estimators overlaid.

    Each estimator's coefficients are drawn as markers with confidence-interval bars, dodged
    sideways so they do not overlap; a horizontal line marks zero, a dashed vertical line the
    last period before treatment, and a hollow marker at zero the omitted reference period.

    Parameters
    ----------
    results : Result or mapping of str to Result
        One event study, or several by name (e.g. ``{"TWFE": es, "Sun-Abraham": sa, "CS":
        dz.aggregate(cs, "event")}``). The terms with an ``event_time`` key are drawn; other
        terms (``"overall"``) are left out.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    reference : int or None
        The omitted reference period, drawn as a hollow marker at zero for every result that
        has no coefficient there; None draws none.
    alpha : float
        Intervals at level ``1 - alpha``.
    uniform : bool
        Uniform (sup-t) bands instead of pointwise intervals; every result needs the
        multiplier bootstrap (``n_boot``) run at this ``alpha``.
    labels : mapping, optional
        Legend names by result name (the mapping keys, or ``result.method`` for one result).
    truth : pandas.Series or pandas.DataFrame, optional
        Known true effects by event time (simulated data), drawn as a black line with
        crosses labelled "True effect" (真实效应): a Series indexed by event time, or a
        DataFrame with columns ``event_time`` and ``att`` (e.g. ``sim.truth.event_time``).
        Only event times inside the range of the drawn estimates are shown.
    title : str, optional
        Axes title; default "Event study" (事件研究).
    language : {"en", "zh"}
        Language of the axis labels and legend words; ``"zh"`` draws with a CJK font.
    font : str, optional
        CJK font family or font file to use (default: found automatically when a label
        holds Chinese characters).

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding ``ax``.

    Raises
    ------
    SpecificationError
        Not a Result (or a mapping of them), an empty mapping, a result without
        event-time terms, a ``truth`` that is not event time -> effect, ``uniform=True`` for a result without a uniform band, bad
        ``alpha`` or ``language``.

    Notes
    -----
    Presentation only: estimates and intervals are read from ``Result.tidy(alpha,
    uniform)``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> fig = event_study_plot({"TWFE": dz.event_study(panel, "isu"),
    ...                         "Sun-Abraham": dz.sun_abraham(panel, "isu")})
    >>> fig.savefig("event_study.png")  # doctest: +SKIP
    """
    check_language(language)
    check_alpha(alpha)
    if isinstance(results, Result):
        results = {results.method: results}
    if not isinstance(results, Mapping) or not results:
        raise SpecificationError(
            "results must be a Result or a non-empty mapping of names to Results; got "
            f"{type(results).__name__ if not isinstance(results, Mapping) else 'an empty mapping'}.")
    bad = [str(k) for k, v in results.items() if not isinstance(v, Result)]
    if bad:
        raise SpecificationError(f"results {bad[:5]} are not Results; pass event studies "
                                 "(event_study, sun_abraham, aggregate(..., 'event'), ...).")
    tables = {}
    for name, res in results.items():
        t = res.tidy(alpha, uniform)
        if "event_time" not in t.columns or t["event_time"].isna().all():
            raise SpecificationError(
                f"result {name!r} ({res.method}) has no event-time terms to draw. Pass an "
                "event study: event_study, sun_abraham, imputation(..., window=...) or "
                "aggregate(callaway_santanna(...), 'event').")
        tables[name] = t.loc[t["event_time"].notna()].sort_values("event_time")
    true = None if truth is None else _truth_series(truth)
    names = [labels_of(labels, n) for n in tables]
    ttl = heading(title, language, "event_title")
    with text_context([*names, ttl], font, language):
        fig, ax = axes(ax, (7.0, 4.2))
        _draw(ax, tables, names, reference, alpha, uniform, language, true)
        ax.set_title(ttl)
    return fig


def _truth_series(truth):
    """The true effects as a float Series indexed by integer event time."""
    import pandas as pd

    if isinstance(truth, pd.DataFrame):
        if not {"event_time", "att"} <= set(truth.columns):
            raise SpecificationError(
                "truth as a DataFrame needs columns 'event_time' and 'att' (e.g. "
                f"sim.truth.event_time); got columns {list(truth.columns)[:5]}.")
        truth = pd.Series(truth["att"].to_numpy(), index=truth["event_time"].to_numpy())
    if not isinstance(truth, pd.Series):
        raise SpecificationError("truth must be a pandas Series (event time -> true effect) "
                                 f"or a DataFrame with event_time and att; got "
                                 f"{type(truth).__name__}.")
    try:
        index = pd.Index(truth.index).astype(float)
        values = truth.to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        raise SpecificationError(f"truth must map numeric event times to numbers ({err}).") \
            from None
    out = pd.Series(values, index=index).sort_index()
    return out[np.isfinite(out.to_numpy()) & np.isfinite(out.index.to_numpy())]


def _draw(ax, tables, names, reference, alpha, uniform, language, true=None) -> None:
    from matplotlib.ticker import MaxNLocator

    k = len(tables)
    offsets = np.linspace(-0.3, 0.3, k) if k > 1 else np.zeros(1)
    colors = [f"C{i % 10}" for i in range(k)]
    missing_ref = []
    for i, ((_, t), name) in enumerate(zip(tables.items(), names, strict=True)):
        x = t["event_time"].to_numpy(float) + offsets[i]
        y = t["estimate"].to_numpy(float)
        err = np.vstack([y - t["conf_low"].to_numpy(float), t["conf_high"].to_numpy(float) - y])
        ax.errorbar(x, y, yerr=err, fmt=_MARKERS[i % len(_MARKERS)], color=colors[i],
                    ms=5, capsize=2.5, lw=1.2, label=name)
        if reference is not None and not (t["event_time"] == reference).any():
            missing_ref.append(reference + offsets[i])
    if true is not None:
        lo = min(float(t["event_time"].min()) for t in tables.values())
        hi = max(float(t["event_time"].max()) for t in tables.values())
        shown = true[(true.index >= lo) & (true.index <= hi)]
        ax.plot(shown.index.to_numpy(), shown.to_numpy(), color="black", lw=1.3, ls="-",
                marker="x", ms=6, mew=1.4, zorder=4, label=word(language, "truth"),
                gid="true_effect")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.axvline(-0.5, color="0.4", lw=0.9, ls="--")
    if missing_ref:
        ax.plot(missing_ref, np.zeros(len(missing_ref)), ls="none", marker="o", ms=6,
                mfc="white", mec="0.2", label=word(language, "reference"), zorder=3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(word(language, "event_time"))
    level = 100 * (1 - alpha)
    ci = word(language, "uniform" if uniform else "ci", level=level)
    ax.set_ylabel(f"{word(language, 'estimate')} ({ci})")
    if k > 1 or missing_ref or true is not None:
        handles, names = ax.get_legend_handles_labels()
        ref = word(language, "reference")
        last = [i for i, n in enumerate(names) if n == ref]  # the reference marker goes last
        keep = [i for i in range(len(names)) if i not in last] + last
        ax.legend([handles[i] for i in keep], [names[i] for i in keep], frameon=False,
                  fontsize="small")
