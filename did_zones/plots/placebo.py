"""Placebo figures: the distribution of placebo estimates, and the in-time placebo path."""

from __future__ import annotations

import numpy as np

from ..errors import SpecificationError
from ..result import HypothesisTest
from ..validation import check_alpha
from ._common import (
    KINDS,
    axes,
    check_language,
    check_positive_int,
    fmt,
    heading,
    text_context,
    word,
)

try:  # the tables' p-value formatter; this fallback keeps its rule until it is there
    from ..tables._format import fmt_p_value
except ImportError:  # pragma: no cover - removed once tables/_format.py has it
    def fmt_p_value(p, n_draws=None, digits=3):
        """``p < 1/(B+1)`` when no draw of B was as extreme, else ``digits`` digits."""
        if p is None or not np.isfinite(p):
            return "–"
        if n_draws is not None and p <= 0:
            return f"p < {1 / (n_draws + 1):.{digits}g}"
        return f"{p:.{digits}g}"

__all__ = ["placebo_plot", "in_time_plot"]


def _check_test(test, in_time: bool) -> None:
    if not isinstance(test, HypothesisTest) or "draws" not in test.details \
            or "estimate" not in test.details:
        raise SpecificationError(
            "test must be the HypothesisTest of did_zones.placebo (with details 'draws' and "
            f"'estimate'); got {type(test).__name__}.")
    kind = test.details.get("kind")
    if in_time and kind != "in_time":
        raise SpecificationError(f"in_time_plot needs an in-time placebo (kind='in_time'); got "
                                 f"kind={kind!r}. Use placebo_plot for draws in space or mixed.")
    if not in_time and kind == "in_time":
        raise SpecificationError("placebo_plot draws a distribution of random placebo draws; "
                                 "an in-time placebo has one estimate per shift. Use "
                                 "in_time_plot(test).")


def placebo_plot(
    test: HypothesisTest,
    *,
    ax=None,
    bins: int = 40,
    kde: bool = True,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """Distribution of placebo estimates with the real estimate marked and the p-values.

    Parameters
    ----------
    test : HypothesisTest
        From :func:`did_zones.placebo` with ``kind="in_space"`` or ``"mixed"``: its
        ``details["draws"]`` are drawn as a histogram (density scale), ``details["estimate"]``
        as a vertical line, and ``p_two_sided``, ``p_left``, ``p_right`` are printed.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    bins : int
        Histogram bins.
    kde : bool
        Overlay a Gaussian kernel density of the draws (Scott's bandwidth).
    title : str, optional
        Axes title; default "Placebo test (in space)" (安慰剂检验).
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
        Not a placebo test, an in-time placebo (use :func:`in_time_plot`), no valid draw,
        ``bins < 1``, bad ``language``.

    Notes
    -----
    Failed draws (NaN) are not drawn; their number is printed beside the p-values, which
    :func:`did_zones.placebo` computed without them. The kernel density is smoothing for the
    eye only; the p-values are the test's own. A p-value of 0 (no draw as extreme as the
    estimate) is printed as ``p < 1/(B+1)`` for ``B`` valid draws (``fmt_p_value``). The
    legend and the p-values are placed right of the axes, so they never cover the bars or
    the line of the actual estimate.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> test = dz.placebo(dz.twfe(panel, "isu"), panel, n_draws=199, seed=7)
    >>> fig = placebo_plot(test)
    """
    check_language(language)
    _check_test(test, in_time=False)
    check_positive_int("bins", bins)
    d = test.details
    draws = np.asarray(d["draws"], dtype=float)
    valid = draws[np.isfinite(draws)]
    if valid.size == 0:
        raise SpecificationError(f"all {draws.size} placebo draws failed (NaN): nothing to "
                                 "draw. See test.details['failed'] for the first errors.")
    estimate = float(d["estimate"])
    kind = KINDS[language].get(d.get("kind"), str(d.get("kind")))
    ttl = heading(title, language, "placebo_title", kind=kind)
    with text_context([ttl], font, language):
        fig, ax = axes(ax, (7.6, 4.2))
        ax.hist(valid, bins=int(bins), density=True, color="C0", alpha=0.45,
                edgecolor="white", lw=0.4, label=word(language, "draws"))
        if kde and np.ptp(valid) > 0 and valid.size > 1:
            from scipy.stats import gaussian_kde

            lo, hi = min(valid.min(), estimate), max(valid.max(), estimate)
            pad = 0.1 * (hi - lo)
            grid = np.linspace(lo - pad, hi + pad, 400)
            ax.plot(grid, gaussian_kde(valid)(grid), color="C0", lw=1.4,
                    label=word(language, "kde"))
        ax.axvline(estimate, color="C3", lw=1.8, gid="actual_estimate",
                   label=f"{word(language, 'actual')} = {fmt(estimate, 4)}")
        ax.axvline(0, color="0.4", lw=0.8, ls=":")
        n = valid.size
        lines = [_p_line(language, "p_two", d.get("p_two_sided", np.nan), n),
                 _p_line(language, "p_left", d.get("p_left", np.nan), n),
                 _p_line(language, "p_right", d.get("p_right", np.nan), n),
                 word(language, "n_draws", n=n)]
        failed = draws.size - valid.size
        if failed:
            lines[-1] += f" ({word(language, 'n_failed', n=failed)})"
        # legend and p-values sit right of the axes, clear of the bars and the red line
        ax.legend(frameon=False, fontsize="small", loc="upper left",
                  bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        ax.text(1.03, 0.0, "\n".join(lines), transform=ax.transAxes, va="bottom",
                ha="left", fontsize="small", gid="p_values",
                bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"})
        ax.set_xlabel(word(language, "placebo_estimates"))
        ax.set_ylabel(word(language, "density"))
        ax.set_title(ttl)
    return fig


def _p_line(language: str, key: str, p: float, n_draws: int) -> str:
    """``p (two-sided) = 0.04`` / ``p (two-sided) < 0.002``: never 0 after ``n_draws`` draws."""
    text = fmt_p_value(p, n_draws=n_draws).strip() or "–"
    if text[:1] in ("p", "P"):  # the formatter may or may not lead with "p"
        text = text[1:].strip()
    if text[:1] in ("<", ">", "=", "≤", "≥"):
        return f"{word(language, key)} {text}"
    return f"{word(language, key)} = {text}"


def in_time_plot(
    test: HypothesisTest,
    *,
    ax=None,
    alpha: float = 0.05,
    title: str | None = None,
    language: str = "en",
    font: str | None = None,
):
    """In-time placebo: the placebo estimate for each shift of the pilot dates, with CIs.

    Parameters
    ----------
    test : HypothesisTest
        From :func:`did_zones.placebo` with ``kind="in_time"`` (one or several ``shift``
        values); ``details["table"]`` holds the estimate and standard error per shift.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    alpha : float
        Interval level ``1 - alpha``.
    title : str, optional
        Axes title; default "In-time placebo" (时间安慰剂检验).
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
        Not an in-time placebo test, bad ``alpha`` or ``language``.

    Notes
    -----
    Bars are ``estimate ± c·std_error`` with ``c`` the ``1 - alpha/2`` quantile of the
    test's reference distribution (t with ``test.df`` degrees of freedom, else normal), the
    interval of the placebo regression itself. The real estimate is drawn at shift 0 as a
    star (no interval: the test does not keep its standard error).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> test = dz.placebo(dz.twfe(panel, "isu"), panel, kind="in_time", shift=[1, 2, 3])
    >>> fig = in_time_plot(test)
    """
    check_language(language)
    check_alpha(alpha)
    _check_test(test, in_time=True)
    from scipy import stats

    t = test.details["table"]
    df = test.df if isinstance(test.df, (int, float)) and test.df else None
    crit = float(stats.t.ppf(1 - alpha / 2, df) if df else stats.norm.ppf(1 - alpha / 2))
    shift = t["shift"].to_numpy(float)
    est = t["estimate"].to_numpy(float)
    half = crit * t["std_error"].to_numpy(float)
    ttl = heading(title, language, "in_time_title")
    with text_context([ttl], font, language):
        fig, ax = axes(ax, (6.4, 4.2))
        ax.errorbar(shift, est, yerr=half, fmt="o", color="C0", capsize=3, lw=1.2,
                    label=f"{word(language, 'placebo')} "
                          f"({word(language, 'ci', level=100 * (1 - alpha))})")
        estimate = float(test.details["estimate"])
        ax.plot([0], [estimate], marker="*", ms=12, color="C3", ls="none",
                label=f"{word(language, 'actual')} = {fmt(estimate, 4)}")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set_xticks(np.concatenate([[0], shift]).astype(int))
        ax.set_xlabel(word(language, "shift"))
        ax.set_ylabel(word(language, "estimate"))
        ax.set_title(ttl)
        ax.legend(frameon=False, fontsize="small")
    return fig
