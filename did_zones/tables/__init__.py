"""Tables from results: regression, summary statistics, balance, adoption, comparisons.

Every builder returns a :class:`Table` (display strings plus title and notes) that writes
text, Markdown, LaTeX (booktabs), HTML, CSV and Word (.docx). Tables read only ``tidy()``,
``glance()``, ``spec`` and ``notes`` of results (or a panel's ``describe()``); they format and
never compute an estimate, a standard error or a test. Importing the package also registers
the renderers behind every result's ``summary()`` and ``to_table()`` (see
:mod:`did_zones._render`).
"""

from __future__ import annotations

from ._escape import html_escape, latex_escape, markdown_escape
from ._summary import summary_text
from ._table import Table
from .compare import comparison_table, mediation_table, robustness_table
from .descriptive import adoption_table, balance_table, summary_stats
from .regression import regression_table

# the renderers behind every result's summary() / to_table() (registered on import)
from . import _results  # noqa: E402,F401  isort: skip

__all__ = [
    "Table",
    "regression_table",
    "summary_stats",
    "balance_table",
    "adoption_table",
    "comparison_table",
    "mediation_table",
    "robustness_table",
    "summary_text",
    "latex_escape",
    "html_escape",
    "markdown_escape",
]
