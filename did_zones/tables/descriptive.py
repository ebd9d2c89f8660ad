"""Descriptive tables: summary statistics, covariate balance, adoption by cohort.

Summary statistics are the one place where a table aggregates data (count, mean, standard
deviation, quantiles of raw columns, by pandas); balance and adoption tables only lay out
what :func:`did_zones.match` and :meth:`Panel.describe` computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..panel import Panel
from ..validation import check_columns, examples
from ._table import Table
from .formatting import (
    NotesMode,
    check_digits,
    check_notes,
    data_notes,
    fmt_int,
    fmt_num,
    label,
    words,
)

__all__ = ["summary_stats", "balance_table", "adoption_table"]

_STATS = ("N", "mean", "sd", "min", "p50", "max")
_BALANCE = ("mean_treated", "mean_control", "std_diff", "var_ratio")


def _fmt_period(x: float) -> str:
    return fmt_int(x) if float(x).is_integer() else fmt_num(x, 2)


def summary_stats(
    panel_or_frame: Panel | pd.DataFrame,
    columns: str | Sequence[str],
    *,
    by: str | None = None,
    labels: Mapping[str, str] | None = None,
    digits: int = 3,
    language: str = "en",
    title: str | None = None,
) -> Table:
    """Summary statistics (N, mean, sd, min, median, max) of numeric columns.

    Parameters
    ----------
    panel_or_frame : Panel or pandas.DataFrame
        The data; not modified.
    columns : str or sequence of str
        Numeric columns, one row each.
    by : str, optional
        Split into blocks. With a :class:`Panel`, ``"treated"`` splits ever-treated units
        (a finite cohort) from never-treated ones; otherwise (or with a DataFrame) ``by``
        names a column whose values form the blocks. The full sample comes first.
    labels : mapping str -> str, optional
        Display names of the columns and of the ``by`` values.
    digits : int
        Decimals.
    language : {"en", "zh"}
        Words of the header.
    title : str, optional
        Caption (default "Summary statistics" / "描述性统计").

    Returns
    -------
    Table
        N counts the non-missing values of each column; sd uses ``n - 1``.

    Raises
    ------
    SpecificationError
        Missing or non-numeric columns, an unknown ``by``, no columns.
    """
    w = words(language)
    digits = check_digits(digits)
    columns = [columns] if isinstance(columns, str) else list(columns)
    if not columns:
        raise SpecificationError("columns is empty; name at least one numeric column.")
    is_panel = isinstance(panel_or_frame, Panel)
    if not is_panel and not isinstance(panel_or_frame, pd.DataFrame):
        raise SpecificationError(
            f"summary_stats needs a Panel or a DataFrame; got {type(panel_or_frame).__name__}.")
    frame = panel_or_frame.data if is_panel else panel_or_frame
    check_columns(frame, columns)
    non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c])
                   or pd.api.types.is_bool_dtype(frame[c])]
    if non_numeric:
        raise SpecificationError(
            f"{len(non_numeric)} column(s) are not numeric: {examples(non_numeric)}. Summary "
            f"statistics need numbers; convert them or leave them out.")
    blocks: list[tuple[str, np.ndarray]] = [(w["all"], np.ones(len(frame), dtype=bool))]
    if by is not None:
        if is_panel and by == "treated":
            ever = np.isfinite(panel_or_frame.row_cohort)
            blocks += [(w["treated"], ever), (w["control"], ~ever)]
        else:
            check_columns(frame, [by], "Column in by")
            values = frame[by].to_numpy()
            for v in pd.unique(frame[by].dropna()):
                blocks.append((f"{label(by, labels)} = {label(v, labels)}", values == v))
    sub = frame[columns]
    body: list[list[str]] = []
    rules: list[int] = []
    for name, mask in blocks:
        part = sub.loc[mask]
        stats = pd.DataFrame({"N": part.count(), "mean": part.mean(), "sd": part.std(ddof=1),
                              "min": part.min(), "p50": part.median(), "max": part.max()})
        if by is not None:
            if body:
                rules.append(len(body))
            body.append([name] + [""] * len(_STATS))
        for col in columns:
            s = stats.loc[col]
            body.append([label(col, labels), fmt_int(s["N"])]
                        + [fmt_num(float(s[k]), digits) for k in _STATS[1:]])
    header = [w["variable"]] + [w[k] for k in _STATS]
    data = pd.DataFrame(body, columns=header)
    return Table(data, title=w["summary_title"] if title is None else title, rules=tuple(rules))


def balance_table(
    match_result_or_frame: object,
    *,
    labels: Mapping[str, str] | None = None,
    digits: int = 3,
    language: str = "en",
    title: str | None = None,
    notes: NotesMode = "all",
) -> Table:
    """Covariate balance before and after matching.

    Parameters
    ----------
    match_result_or_frame : MatchResult or pandas.DataFrame
        The output of :func:`did_zones.match` (its ``balance`` and ``notes`` are used), or a
        frame with the same columns: ``mean_treated``, ``mean_control``, ``std_diff`` (%),
        ``var_ratio``, each with suffix ``_before`` and ``_after``, and optionally
        ``reduction``; one row per covariate (index).
    labels : mapping str -> str, optional
        Display names of the covariates.
    digits : int
        Decimals.
    language : {"en", "zh"}
    title : str, optional
    notes : {"all", "short", "none"}
        The matching's notes: all (translated in Chinese), one line counting them, or none
        (as in :func:`regression_table`).

    Returns
    -------
    Table
        Two header rows: before / after matching over means of treated and controls, the
        standardized difference (%) and the variance ratio; then the reduction (%) of the
        absolute standardized difference. Notes: those of the matching.

    Raises
    ------
    SpecificationError
        Input without the balance columns.
    """
    w = words(language)
    digits = check_digits(digits)
    balance = getattr(match_result_or_frame, "balance", match_result_or_frame)
    lines = tuple(data_notes(getattr(match_result_or_frame, "notes", ()), check_notes(notes),
                             language))
    if not isinstance(balance, pd.DataFrame):
        raise SpecificationError(
            f"balance_table needs a MatchResult from did_zones.match or a balance DataFrame; "
            f"got {type(match_result_or_frame).__name__}.")
    need = [f"{c}_{s}" for s in ("before", "after") for c in _BALANCE]
    missing = [c for c in need if c not in balance.columns]
    if missing:
        raise SpecificationError(
            f"The balance frame lacks {len(missing)} column(s): {examples(missing)}. Pass "
            f"did_zones.match(...) or its .balance.")
    has_red = "reduction" in balance.columns
    body = []
    for cov, row in balance.iterrows():
        cells = [label(cov, labels)] + [fmt_num(row[c], digits) for c in need]
        if has_red:
            cells.append(fmt_num(row["reduction"], digits))
        body.append(cells)
    stats = [w[c] for c in _BALANCE]
    cols = [w["covariate"], *stats, *[f"{s} " for s in stats]]
    # the second block's labels carry a trailing space so the column labels stay unique
    top = ("",) + (w["before"],) * 4 + (w["after"],) * 4
    if has_red:
        cols.append(w["reduction"])
        top += ("",)
    data = pd.DataFrame(body, columns=cols)
    data.columns = [c.rstrip() for c in cols]
    return Table(data, title=w["balance_title"] if title is None else title, notes=lines,
                 header_rows=(top,))


def adoption_table(
    panel: Panel,
    *,
    batch: str | None = None,
    labels: Mapping[str, str] | None = None,
    language: str = "en",
    title: str | None = None,
    notes: NotesMode = "all",
) -> Table:
    """Adoption by cohort: first pilot period, units, share, observations, periods observed.

    Parameters
    ----------
    panel : Panel
        Read through :meth:`Panel.describe`.
    batch : str, optional
        A unit-level column (e.g. the zone batch) whose distinct values are listed per
        cohort.
    labels : mapping str -> str, optional
        Display names of ``batch`` values.
    language : {"en", "zh"}
    title : str, optional
    notes : {"all", "short", "none"}
        The panel's notes (``Panel.notes``: coding choices, drops, imbalance): all
        (translated in Chinese), one line counting them, or none.

    Returns
    -------
    Table
        One row per cohort, never-treated last, then the total.

    Raises
    ------
    SpecificationError
        Not a Panel, or an unknown ``batch`` column.
    """
    w = words(language)
    mode = check_notes(notes)
    if not isinstance(panel, Panel):
        raise SpecificationError(
            f"adoption_table needs a Panel from did_zones.build_panel; got "
            f"{type(panel).__name__}.")
    desc = panel.describe()
    batches: dict[float, str] = {}
    if batch is not None:
        check_columns(panel.data, [batch], "Column in batch")
        by = pd.DataFrame({"g": panel.row_cohort, "b": panel.data[batch].to_numpy()})
        for g, part in by.groupby("g", sort=True):
            vals = [label(v, labels) for v in sorted(pd.unique(part["b"].dropna()))]
            batches[g] = ", ".join(vals)
    body = []
    for _, r in desc.iterrows():
        g = np.inf if r["cohort"] == "never" else r["cohort"]  # describe() shows "never"
        cells = [w["never"] if not np.isfinite(g) else _fmt_period(g)]
        if batch is not None:
            cells.append(batches.get(g, ""))
        cells += [fmt_int(r["n_units"]), fmt_num(100 * r["share_units"], 1),
                  fmt_int(r["n_obs"]), _fmt_period(r["first_period"]),
                  _fmt_period(r["last_period"])]
        body.append(cells)
    total = [w["total"]] + ([""] if batch is not None else []) + [
        fmt_int(desc["n_units"].sum()), fmt_num(100.0, 1), fmt_int(desc["n_obs"].sum()),
        _fmt_period(desc["first_period"].min()), _fmt_period(desc["last_period"].max())]
    body.append(total)
    cols = [w["cohort_col"]] + ([w["batch"]] if batch is not None else []) + [
        w["units"], w["share"], w["obs"], w["first_period"], w["last_period"]]
    return Table(pd.DataFrame(body, columns=cols),
                 title=w["adoption_title"] if title is None else title,
                 notes=tuple(data_notes(panel.notes, mode, language)),
                 rules=(len(body) - 1,))
