"""Effects by group (heterogeneity): one row per group, laid out like the other tables.

Estimate with significance stars, its standard error in parentheses, the p-value (never
printed as 0, see :func:`~did_zones.tables.formatting.fmt_p_value`) and the group's sizes.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ._table import Table
from .formatting import check_stars, fmt_int, fmt_num, fmt_p_value, star_legend, stars_for, words
from .names import column_name

__all__ = ["group_effects_table"]


def group_effects_table(result, *, title: str = "", language: str = "en", digits: int = 3,
                        stars=(0.1, 0.05, 0.01), notes: Iterable[str] = ()) -> Table:
    """Effects by group from ``result.tidy()`` (terms ``group: <value>``).

    Parameters
    ----------
    result : Result
        From :func:`did_zones.heterogeneity`.
    title : str
    language : {"en", "zh"}
    digits : int
    stars : sequence of float
    notes : iterable of str
        Printed under the table, after the star and standard-error legends.

    Returns
    -------
    Table
    """
    thresholds = check_stars(stars)
    w = words(language)
    tidy = result.tidy()
    rows = []
    for _, r in tidy.iterrows():
        term = str(r["term"])
        group = term.split(": ", 1)[1] if term.startswith("group: ") else term
        row = {column_name("group", language): column_name(group, language),
               column_name("estimate", language):
                   fmt_num(r["estimate"], digits) + stars_for(r["p_value"], thresholds),
               column_name("std_error", language):
                   f"({fmt_num(r['std_error'], digits)})" if pd.notna(r["std_error"]) else "",
               column_name("p_value", language): fmt_p_value(r["p_value"], digits=digits,
                                                             prefix=False)}
        for col in ("n_units", "n_treated_units"):
            if col in tidy.columns:
                row[column_name(col, language)] = fmt_int(r[col])
        rows.append(row)
    end = "。" if language == "zh" else "."
    legend = [star_legend(thresholds) + end if thresholds else "", w["se_std_error"] + end]
    return Table(pd.DataFrame(rows), title=title,
                 notes=[*(n for n in legend if n), *(n for n in notes if n)])
