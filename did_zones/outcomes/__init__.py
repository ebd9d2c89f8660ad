"""Outcomes and mechanism variables: industrial structure, trade, consumption, innovation.

The outcomes of the pilot-zone literature, computed from sector value added (or output shares)
and sector employment of a city-year table, vectorised over rows:

=========  ====================================  ==========================================
name       formula                               reading
=========  ====================================  ==========================================
``ts``     TS  = Y3 / Y2                         advancement (高级化): services vs industry
``isu``    ISU = 1·s1 + 2·s2 + 3·s3              hierarchy index (层次系数), in [1, 3]
``s3``     s3  = Y3 / (Y1 + Y2 + Y3)             tertiary share of output
``tl3``    TL  = Σ_i (Y_i/Y)·ln[(Y_i/L_i)/(Y/L)]  Theil rationalization (合理化), 3 sectors
``tl2``    the same over secondary + tertiary    for urban-unit employment (city yearbooks)
=========  ====================================  ==========================================

The mediators of the pilot-zone mechanism (issue #18), from city-yearbook fields with the
units as arguments (万元 ``"cny_10k"``, 亿元 ``"cny_100m"``, 万美元 ``"usd_10k"``, 万人 ``"10k"``):

=========================  ==============================================================
builder                    variable
=========================  ==============================================================
:func:`trade_intensity`    imports, exports or total trade over GDP (log), with a stated
                           exchange rate for USD trade
:func:`per_capita`         retail sales of consumer goods per capita (log)
:func:`development_share`  share of development-and-enjoyment consumption
:func:`patents_per_10k`    patents granted or applied per 10,000 people (log1p)
:func:`rd_share`           R&D (or S&T) expenditure over GDP
:func:`entropy_index`      entropy-weight composite (熵值法), in :mod:`did_zones.entropy`
=========================  ==============================================================

Conventions on bad input, per case (the caller's data are never modified):

* negative or infinite sector values, non-numeric input, inputs of different lengths or
  indexes: :class:`~did_zones.errors.SpecificationError` naming the count and examples;
* shares (``scale="fraction"`` or ``"percent"``) whose sum is off by more than ``tol``:
  :class:`~did_zones.errors.SpecificationError` (a wrong ``scale`` is suggested when the sums
  look like the other one);
* a zero denominator (no secondary output for TS, no output at all, output in a sector with zero
  employment for TL): the outcome is NaN in that row, counted and reported by a
  :class:`~did_zones.errors.DataDroppedWarning`;
* missing input: the outcome is missing in that row, silently (missing in, missing out; the
  estimators count rows lost to missing outcomes).
"""


from __future__ import annotations

from ..entropy import EntropyIndex, entropy_index
from ._inputs import QUANTILE_METHODS, SCALES
from .mechanism import (
    MONEY_UNITS,
    POPULATION_UNITS,
    development_share,
    patents_per_10k,
    per_capita,
    rd_share,
    trade_intensity,
)
from .structure import (
    advancement,
    hierarchy_index,
    structure_outcomes,
    tertiary_share,
    theil_index,
)
from .winsorize import winsorize

__all__ = [
    "advancement",
    "hierarchy_index",
    "tertiary_share",
    "theil_index",
    "structure_outcomes",
    "winsorize",
    "trade_intensity",
    "per_capita",
    "patents_per_10k",
    "rd_share",
    "development_share",
    "entropy_index",
    "EntropyIndex",
    "SCALES",
    "MONEY_UNITS",
    "POPULATION_UNITS",
    "QUANTILE_METHODS",
]
