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

from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .entropy import EntropyIndex, entropy_index
from .errors import DataDroppedWarning, DidZonesWarning, SpecificationError, warn
from .validation import Choice, Real, as_tuple, check_choice, check_columns, examples

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

Scale = Literal["levels", "fraction", "percent"]
SCALES: tuple[str, ...] = ("levels", "fraction", "percent")
#: Quantile definitions accepted by :func:`winsorize` (those of :func:`numpy.quantile`).
#: ``"averaged_inverted_cdf"`` is the definition of Stata's ``_pctile``/``summarize, detail``.
QUANTILE_METHODS: tuple[str, ...] = (
    "linear",
    "averaged_inverted_cdf",
    "inverted_cdf",
    "lower",
    "higher",
    "nearest",
    "midpoint",
    "hazen",
    "weibull",
    "median_unbiased",
    "normal_unbiased",
)

ArrayLike = pd.Series | np.ndarray | Sequence[float] | float


# --------------------------------------------------------------------------- input handling
class _Inputs:
    """Float arrays of equal length plus the index to wrap results in (if any was a Series)."""

    def __init__(self, values: dict[str, object], caller: str) -> None:
        self.caller = caller
        self.index: pd.Index | None = None
        # column names of the Series given, for messages ("'gdp' (column 'Gdpct01')")
        self.columns = {k: v.name for k, v in values.items()
                        if isinstance(v, pd.Series) and v.name is not None and v.name != k}
        self.scalar = all(np.ndim(v) == 0 and not isinstance(v, pd.Series) for v in values.values())
        arrays: dict[str, np.ndarray] = {}
        for name, v in values.items():
            if isinstance(v, pd.Series):
                if self.index is None:
                    self.index = v.index
                elif not v.index.equals(self.index):
                    raise SpecificationError(
                        f"{caller}: {name!r} has a different index from the other inputs. "
                        "Pass columns of one DataFrame (or arrays of equal length)."
                    )
            arrays[name] = _to_float(v, name, caller)
        n = {a.size for a in arrays.values() if a.ndim}
        if len(n) > 1:
            sizes = {k: int(a.size) for k, a in arrays.items()}
            raise SpecificationError(
                f"{caller}: inputs have different lengths {sizes}. Pass columns of one table."
            )
        size = n.pop() if n else 1
        self.arrays = {k: np.broadcast_to(a, (size,)).astype(float) for k, a in arrays.items()}
        self.size = size

    def check_nonnegative(self) -> None:
        for name, a in self.arrays.items():
            bad = np.isinf(a) | (a < 0)
            if bad.any():
                raise SpecificationError(
                    f"{self.caller}: {name!r} has {int(bad.sum())} negative or infinite "
                    f"value(s) (e.g. {examples(a[bad])} at rows {examples(self.labels(bad))}). "
                    "Sector output and employment must be finite and >= 0; fix or set these "
                    "values to NaN first."
                )

    def labels(self, mask: np.ndarray) -> np.ndarray:
        idx = self.index if self.index is not None else pd.RangeIndex(self.size)
        return np.asarray(idx[mask])

    def undefined(self, mask: np.ndarray, what: str, outcome: str) -> None:
        """Warn that ``outcome`` is NaN in the rows of ``mask`` (reason ``what``)."""
        if mask.any():
            warn(
                f"{self.caller}: {int(mask.sum())} of {self.size} row(s) have {what}; "
                f"{outcome} is set to NaN there (rows {examples(self.labels(mask))}).",
                DataDroppedWarning)

    def wrap(self, values: np.ndarray, name: str):
        if self.index is not None:
            return pd.Series(values, index=self.index, name=name)
        if self.scalar:
            return float(values[0])
        return values


def _to_float(v: object, name: str, caller: str) -> np.ndarray:
    if isinstance(v, pd.Series):
        if not (pd.api.types.is_numeric_dtype(v) or pd.api.types.is_bool_dtype(v)):
            raise SpecificationError(
                f"{caller}: {name!r} is not numeric (dtype {v.dtype}). Convert it first, e.g. "
                "pd.to_numeric(column, errors='coerce')."
            )
        return v.to_numpy(dtype=float, na_value=np.nan)
    try:
        a = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise SpecificationError(
            f"{caller}: {name!r} must be numeric (a Series, array or number); got "
            f"{type(v).__name__}."
        ) from None
    if a.ndim > 1:
        raise SpecificationError(f"{caller}: {name!r} must be one-dimensional; got shape {a.shape}.")
    return np.atleast_1d(a) if a.ndim else a


def _check_tol(tol: float) -> float:
    return _TOL("tol", tol)


_TOL = Real(0.0, 1.0, closed="neither")


def _shares(inp: _Inputs, names: tuple[str, str, str], scale: str, tol: float):
    """Output shares s1, s2, s3 normalised by their sum (NaN where the total is 0)."""
    y = np.column_stack([inp.arrays[n] for n in names])
    total = y.sum(axis=1)
    if scale != "levels":
        target = 1.0 if scale == "fraction" else 100.0
        off = np.abs(total - target) > tol * target  # NaN totals compare False
        if off.any():
            other = "percent" if scale == "fraction" else "fraction"
            other_target = 100.0 if scale == "fraction" else 1.0
            looks_other = np.nanmedian(np.abs(total[off] - other_target)) <= tol * other_target
            if looks_other:
                fix = (
                    f" They look like {other}: use scale={other!r}"
                    + (" (or divide by 100)." if scale == "fraction" else ".")
                )
            else:
                fix = (
                    " Check that the three sectors are complete, raise tol, or pass levels "
                    "with scale='levels' to normalise by the sum without this check."
                )
            raise SpecificationError(
                f"{inp.caller}: shares given with scale={scale!r} must sum to {target:g} "
                f"within tol={tol:g} (x {target:g}); {int(off.sum())} of {inp.size} row(s) do "
                f"not, e.g. sums {examples(np.round(total[off], 6))} at rows "
                f"{examples(inp.labels(off))}.{fix}"
            )
    zero = total == 0
    inp.undefined(zero, "zero total output (primary + secondary + tertiary = 0)", "the shares")
    with np.errstate(invalid="ignore", divide="ignore"):
        s = y / np.where(zero, np.nan, total)[:, None]
    return s[:, 0], s[:, 1], s[:, 2]


# --------------------------------------------------------------------------- outcomes
def advancement(tertiary: ArrayLike, secondary: ArrayLike) -> ArrayLike:
    """Advancement of the industrial structure, TS = Y3 / Y2 (产业结构高级化).

    Parameters
    ----------
    tertiary, secondary : pandas.Series, array-like or float
        Tertiary and secondary value added (any unit) or their shares of GDP (fractions or
        percent): the ratio does not depend on the unit. Series must share one index.

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        TS, named ``"ts"`` when a Series is returned (same index as the input).

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric values; inputs of different lengths.

    Warns
    -----
    DataDroppedWarning
        Rows with zero secondary output get NaN; the warning counts them.

    Notes
    -----
    TS rises when output moves from industry to services (Gan, Zheng and Yu 2011). It is a
    ratio, so it diverges for service-heavy cities and its changes are not comparable across
    levels; ISU (:func:`hierarchy_index`) is bounded.

    References
    ----------
    Gan, C., Zheng, R. and Yu, D. (2011). 中国产业结构变迁对经济增长和波动的影响. 经济研究, 46(5).

    Examples
    --------
    >>> from did_zones.outcomes import advancement
    >>> advancement(60.0, 40.0)
    1.5
    """
    inp = _Inputs({"tertiary": tertiary, "secondary": secondary}, "advancement")
    inp.check_nonnegative()
    y3, y2 = inp.arrays["tertiary"], inp.arrays["secondary"]
    zero = y2 == 0
    inp.undefined(zero, "zero secondary output", "TS")
    with np.errstate(invalid="ignore", divide="ignore"):
        ts = y3 / np.where(zero, np.nan, y2)
    return inp.wrap(ts, "ts")


def hierarchy_index(
    primary: ArrayLike,
    secondary: ArrayLike,
    tertiary: ArrayLike,
    *,
    scale: Scale = "levels",
    tol: float = 0.02,
) -> ArrayLike:
    """Hierarchy index of the industrial structure, ISU = 1·s1 + 2·s2 + 3·s3 (产业结构层次系数).

    Parameters
    ----------
    primary, secondary, tertiary : pandas.Series, array-like or float
        Sector value added, or sector shares of GDP (see ``scale``). Series must share one index.
    scale : {"levels", "fraction", "percent"}, default "levels"
        What the inputs are. ``"levels"``: amounts in any common unit, turned into shares by
        dividing by their sum. ``"fraction"``: shares that must sum to 1 within ``tol``;
        ``"percent"``: shares that must sum to 100 within ``100 * tol``. Shares are normalised
        by their sum too, so small rounding errors do not move the index.
    tol : float, default 0.02
        Allowed relative deviation of the sum of given shares from 1 (or 100).

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        ISU in [1, 3], named ``"isu"`` when a Series is returned.

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric values; given shares that do not sum to 1 (or 100)
        within ``tol`` (the message suggests the other ``scale`` when the sums fit it); an
        unknown ``scale``.

    Warns
    -----
    DataDroppedWarning
        Rows whose three sectors sum to zero get NaN.

    Notes
    -----
    ISU weights each sector's share by its rank, so it rises as output moves up from primary
    to secondary to tertiary; it equals ``2 + s3 - s1``. Bounded in [1, 3].

    References
    ----------
    Xu, M. and Jiang, Y. (2015). 中国产业结构升级能缩小城乡消费差距吗. 数量经济技术经济研究, 32(3).

    Examples
    --------
    >>> from did_zones.outcomes import hierarchy_index
    >>> hierarchy_index(10.0, 40.0, 50.0)
    2.4
    >>> hierarchy_index(0.1, 0.4, 0.5, scale="fraction")
    2.4
    """
    check_choice("scale", scale, SCALES)
    tol = _check_tol(tol)
    names = ("primary", "secondary", "tertiary")
    inp = _Inputs(dict(zip(names, (primary, secondary, tertiary), strict=True)), "hierarchy_index")
    inp.check_nonnegative()
    s1, s2, s3 = _shares(inp, names, scale, tol)
    return inp.wrap(s1 + 2.0 * s2 + 3.0 * s3, "isu")


def tertiary_share(
    primary: ArrayLike,
    secondary: ArrayLike,
    tertiary: ArrayLike,
    *,
    scale: Scale = "levels",
    tol: float = 0.02,
) -> ArrayLike:
    """Tertiary share of output, s3 = Y3 / (Y1 + Y2 + Y3), as a fraction.

    Parameters
    ----------
    primary, secondary, tertiary : pandas.Series, array-like or float
        Sector value added, or sector shares of GDP (see ``scale``).
    scale : {"levels", "fraction", "percent"}, default "levels"
        As in :func:`hierarchy_index`.
    tol : float, default 0.02
        As in :func:`hierarchy_index`.

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        s3 in [0, 1], named ``"s3"`` when a Series is returned.

    Raises
    ------
    SpecificationError
        As :func:`hierarchy_index`.

    Warns
    -----
    DataDroppedWarning
        Rows whose three sectors sum to zero get NaN.

    Examples
    --------
    >>> from did_zones.outcomes import tertiary_share
    >>> tertiary_share(10.0, 40.0, 50.0)
    0.5
    """
    check_choice("scale", scale, SCALES)
    tol = _check_tol(tol)
    names = ("primary", "secondary", "tertiary")
    inp = _Inputs(dict(zip(names, (primary, secondary, tertiary), strict=True)), "tertiary_share")
    inp.check_nonnegative()
    return inp.wrap(_shares(inp, names, scale, tol)[2], "s3")


def theil_index(
    output: Sequence[ArrayLike], employment: Sequence[ArrayLike], *, sectors: int = 3
) -> ArrayLike:
    """Theil index of the industrial structure (rationalization, 产业结构合理化).

    ``TL = Σ_i (Y_i / Y) · ln[(Y_i / L_i) / (Y / L)]`` over the sectors ``i``, with
    ``Y = Σ Y_i`` and ``L = Σ L_i``.

    Parameters
    ----------
    output : sequence of Series or array-like
        Sector output ``(Y1, Y2, Y3)``: value added in any common unit, or shares of GDP.
    employment : sequence of Series or array-like
        Sector employment ``(L1, L2, L3)``: persons in any common unit, or employment shares
        (fractions or percent).
    sectors : {3, 2}, default 3
        ``3``: primary, secondary and tertiary. ``2``: secondary and tertiary only, with ``Y``
        and ``L`` their sums; give either the three sectors (the primary is ignored) or just
        ``(Y2, Y3)`` and ``(L2, L3)``.

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        TL >= 0, named ``"tl3"`` or ``"tl2"`` when a Series is returned.

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric values; a wrong number of sectors; different
        lengths.

    Warns
    -----
    DataDroppedWarning
        TL is NaN, and counted, in rows with zero total output or employment, or with
        positive output in a sector that employs nobody (the index is infinite there).

    Notes
    -----
    Direction: ``TL = 0`` when every sector's labour productivity equals the economy's
    (output shares equal employment shares: a balanced, "rational" structure); larger values
    mean a less rational structure. ``TL`` is the Kullback-Leibler divergence of employment
    shares from output shares, so it is >= 0, and invariant to the units of output and of
    employment (shares and levels give the same value). Some data vendors and papers publish
    ``1 / TL`` so that larger is better: check the direction before comparing.

    A sector with zero output contributes 0 (the limit of ``w ln w``).

    City-yearbook employment covers urban units only: its primary share is tiny (about 0.6%
    against an output share near 11%), so the primary term dominates the 3-sector index.
    ``sectors=2`` avoids that.

    References
    ----------
    Gan, C., Zheng, R. and Yu, D. (2011). 中国产业结构变迁对经济增长和波动的影响. 经济研究, 46(5).

    Examples
    --------
    >>> from did_zones.outcomes import theil_index
    >>> theil_index((10.0, 40.0, 50.0), (10.0, 40.0, 50.0))
    0.0
    >>> round(theil_index((10.0, 40.0, 50.0), (30.0, 40.0, 30.0)), 6)
    0.145552
    """
    Choice((2, 3))("sectors", sectors)
    output, employment = _sector_tuple(output, "output"), _sector_tuple(employment, "employment")
    if len(output) != len(employment):
        raise SpecificationError(
            f"theil_index: output has {len(output)} sectors but employment has "
            f"{len(employment)}; give the same sectors for both."
        )
    if len(output) not in (sectors, 3):
        need = "3" if sectors == 3 else "2 (secondary, tertiary) or 3"
        raise SpecificationError(
            f"theil_index: sectors={sectors} needs {need} output and employment series; got "
            f"{len(output)}."
        )
    if len(output) == 3 and sectors == 2:
        output, employment = output[1:], employment[1:]
    k = len(output)
    names = [f"output[{i}]" for i in range(k)] + [f"employment[{i}]" for i in range(k)]
    inp = _Inputs(dict(zip(names, (*output, *employment), strict=True)), "theil_index")
    inp.check_nonnegative()
    y = np.column_stack([inp.arrays[n] for n in names[:k]])
    lab = np.column_stack([inp.arrays[n] for n in names[k:]])
    return inp.wrap(_theil(inp, y, lab), f"tl{sectors}")


def _sector_tuple(value, what: str) -> tuple:
    if isinstance(value, (pd.Series, np.ndarray, str, bytes)) or not isinstance(value, Sequence):
        raise SpecificationError(
            f"theil_index: {what} must be a tuple of sector series, e.g. "
            f"{what}=(df['y1'], df['y2'], df['y3']); got {type(value).__name__}."
        )
    return tuple(value)


def _theil(inp: _Inputs, y: np.ndarray, lab: np.ndarray) -> np.ndarray:
    big_y = y.sum(axis=1, keepdims=True)
    big_l = lab.sum(axis=1, keepdims=True)
    empty = ((big_y == 0) | (big_l == 0)).ravel()
    nobody = ((y > 0) & (lab == 0)).any(axis=1) & ~empty
    inp.undefined(empty, "zero total output or employment", "TL")
    inp.undefined(nobody, "positive output in a sector with zero employment", "TL")
    with np.errstate(invalid="ignore", divide="ignore"):
        w = y / big_y
        share_l = lab / big_l
        term = np.where(y > 0, w * np.log(w / share_l), 0.0)
    tl = term.sum(axis=1)
    tl[empty | nobody] = np.nan
    missing = np.isnan(y).any(axis=1) | np.isnan(lab).any(axis=1)
    tl[missing] = np.nan
    # rounding can leave -1e-17 for a perfectly balanced row; TL is a divergence, >= 0
    return np.where(tl < 0, 0.0, tl)


def structure_outcomes(
    data: pd.DataFrame,
    *,
    primary: str,
    secondary: str,
    tertiary: str,
    emp_primary: str | None = None,
    emp_secondary: str | None = None,
    emp_tertiary: str | None = None,
    scale: Scale = "levels",
    tol: float = 0.02,
    prefix: str = "",
) -> pd.DataFrame:
    """Add the industrial-structure outcomes to a copy of a city-year table.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per city and year. Not modified.
    primary, secondary, tertiary : str
        Columns of sector value added or output shares (see ``scale``).
    emp_primary, emp_secondary, emp_tertiary : str, optional
        Columns of sector employment (levels or shares). With all three, ``tl3`` is added;
        with the secondary and tertiary ones, ``tl2``.
    scale : {"levels", "fraction", "percent"}, default "levels"
        What the output columns hold, as in :func:`hierarchy_index` (used for ``isu`` and
        ``s3``; ``ts`` and the Theil indexes do not depend on it).
    tol : float, default 0.02
        Tolerance of the share-sum check, as in :func:`hierarchy_index`.
    prefix : str, default ""
        Prefix of the new column names, e.g. ``"va_"`` gives ``va_ts``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with columns ``ts`` (:func:`advancement`), ``isu``
        (:func:`hierarchy_index`), ``s3`` (:func:`tertiary_share`) and, when employment is
        given, ``tl3`` / ``tl2`` (:func:`theil_index`).

    Raises
    ------
    SpecificationError
        A missing column (with a did-you-mean hint), an output column that already exists
        (use ``prefix``), ``emp_primary`` without the other two, or any error of the outcome
        functions.

    Warns
    -----
    DataDroppedWarning
        Rows where an outcome is undefined (zero denominators), counted per outcome.

    Examples
    --------
    >>> import pandas as pd
    >>> from did_zones.outcomes import structure_outcomes
    >>> df = pd.DataFrame({"va1": [10.0], "va2": [40.0], "va3": [50.0],
    ...                    "l1": [30.0], "l2": [40.0], "l3": [30.0]})
    >>> out = structure_outcomes(df, primary="va1", secondary="va2", tertiary="va3",
    ...                          emp_primary="l1", emp_secondary="l2", emp_tertiary="l3")
    >>> out[["ts", "isu", "s3"]].round(4).to_dict("records")
    [{'ts': 1.25, 'isu': 2.4, 's3': 0.5}]
    """
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    check_choice("scale", scale, SCALES)
    emp = (emp_primary, emp_secondary, emp_tertiary)
    check_columns(data, [primary, secondary, tertiary, *emp])
    if emp_primary is not None and (emp_secondary is None or emp_tertiary is None):
        raise SpecificationError(
            "emp_primary needs emp_secondary and emp_tertiary too (the 3-sector Theil index); "
            "give all three, or only emp_secondary and emp_tertiary for the 2-sector index."
        )
    if (emp_secondary is None) != (emp_tertiary is None):
        raise SpecificationError(
            "Give both emp_secondary and emp_tertiary (the Theil index needs the employment of "
            "every sector it covers), or neither."
        )
    new = ["ts", "isu", "s3"]
    if emp_primary is not None:
        new.append("tl3")
    if emp_secondary is not None:
        new.append("tl2")
    new = [prefix + n for n in new]
    clash = [c for c in new if c in data.columns]
    if clash:
        raise SpecificationError(
            f"Column(s) {examples(clash)} already exist in the data. Pass prefix= (e.g. "
            "prefix='va_') or drop them first."
        )
    y = (data[primary], data[secondary], data[tertiary])
    out = data.copy()
    out[prefix + "ts"] = advancement(y[2], y[1]).to_numpy()
    out[prefix + "isu"] = hierarchy_index(*y, scale=scale, tol=tol).to_numpy()
    out[prefix + "s3"] = tertiary_share(*y, scale=scale, tol=tol).to_numpy()
    if emp_primary is not None:
        lab3 = (data[emp_primary], data[emp_secondary], data[emp_tertiary])
        out[prefix + "tl3"] = theil_index(y, lab3, sectors=3).to_numpy()
    if emp_secondary is not None:
        lab2 = (data[emp_secondary], data[emp_tertiary])
        out[prefix + "tl2"] = theil_index(y[1:], lab2, sectors=2).to_numpy()
    return out


# --------------------------------------------------------------------------- mechanism variables
#: Money units accepted by the mechanism builders -> multiplier to one unit of the currency.
#: ``10k`` is 万 (10^4), ``100m`` is 亿 (10^8): the units of the city yearbooks.
MONEY_UNITS: dict[str, tuple[str, float]] = {
    "cny": ("cny", 1.0), "cny_10k": ("cny", 1e4), "cny_100m": ("cny", 1e8),
    "usd": ("usd", 1.0), "usd_10k": ("usd", 1e4), "usd_100m": ("usd", 1e8),
}
#: Population units: persons or 万人 (10,000 persons).
POPULATION_UNITS: dict[str, float] = {"persons": 1.0, "10k": 1e4}
#: Log conventions of the builders: ``"log"`` = ln(x), ``"log1p"`` = ln(1 + x), None = level.
LOGS: tuple[str | None, ...] = ("log", "log1p", None)
TRADE_FLOWS: tuple[str, ...] = ("imports", "exports", "total")

Log = Literal["log", "log1p"] | None


def _named(inp: _Inputs, name: str) -> str:
    col = inp.columns.get(name)
    return f"{name!r} (column {col!r})" if col is not None else repr(name)


def _check_positive(inp: _Inputs, name: str, what: str) -> None:
    """Denominators (GDP, population, totals) must be finite and > 0 where present."""
    a = inp.arrays[name]
    bad = np.isinf(a) | (a <= 0)
    if bad.any():
        raise SpecificationError(
            f"{inp.caller}: {_named(inp, name)} has {int(bad.sum())} zero, negative or infinite "
            f"value(s) (e.g. {examples(a[bad])} at rows {examples(inp.labels(bad))}). "
            f"{what} must be finite and > 0; set these values to NaN first if they are "
            "unknown.")


def _check_amounts(inp: _Inputs, names: Sequence[str]) -> None:
    for name in names:
        a = inp.arrays[name]
        bad = np.isinf(a) | (a < 0)
        if bad.any():
            raise SpecificationError(
                f"{inp.caller}: {_named(inp, name)} has {int(bad.sum())} negative or infinite "
                f"value(s) (e.g. {examples(a[bad])} at rows {examples(inp.labels(bad))}). Amounts and "
                "counts must be finite and >= 0; fix them or set them to NaN first.")


def _money(unit: str, name: str, caller: str, currency: str | None = None) -> tuple[str, float]:
    check_choice(name, unit, tuple(MONEY_UNITS))
    cur, factor = MONEY_UNITS[unit]
    if currency is not None and cur != currency:
        raise SpecificationError(
            f"{caller}: {name}={unit!r} is not in {currency.upper()}; use one of "
            f"{examples([u for u, (c, _) in MONEY_UNITS.items() if c == currency])}.")
    return cur, factor


def _plausible(inp: _Inputs, x: np.ndarray, ceiling: float, what: str, fix: str) -> None:
    """Warn when the median ratio is beyond any city's (a unit slip gives x10^4 errors)."""
    finite = x[np.isfinite(x)]
    if finite.size and np.median(finite) > ceiling:
        warn(f"{inp.caller}: the median {what} ratio is {np.median(finite):.4g}, above "
             f"{ceiling:g}, which no city reaches: check {fix}.", DidZonesWarning)


def _apply_log(inp: _Inputs, x: np.ndarray, log: str | None, outcome: str) -> np.ndarray:
    check_choice("log", "none" if log is None else log, ("log", "log1p", "none"))
    if log is None:
        return x
    if log == "log1p":
        return np.log1p(x)
    zero = x == 0
    inp.undefined(zero, "a zero value (its log is -inf; use log='log1p' or log=None)", outcome)
    with np.errstate(divide="ignore"):
        return np.log(np.where(zero, np.nan, x))


def _exchange_rate(exchange_rate, year, inp: _Inputs) -> np.ndarray:
    """CNY per USD for each row, from a number, a row-aligned series or a {year: rate} map."""
    caller = inp.caller
    if exchange_rate is None:
        raise SpecificationError(
            f"{caller}: trade is in USD and GDP in CNY, so an exchange rate is needed. Pass "
            "exchange_rate= in CNY per USD: a number (e.g. 6.8985, the 2019 annual average "
            "central parity), a {year: rate} mapping with year=, or a series aligned with the "
            "rows. The yearbooks' own conversion uses the annual average rate (中国统计年鉴, "
            "table 人民币汇率).")
    if isinstance(exchange_rate, Mapping):
        if year is None:
            raise SpecificationError(
                f"{caller}: exchange_rate is a {{year: rate}} mapping; pass year= (the year of "
                "each row, e.g. df['year']).")
        years = pd.Series(_to_float(year, "year", caller))
        if years.size != inp.size:
            raise SpecificationError(
                f"{caller}: year has {years.size} values but the inputs have {inp.size} rows.")
        rates = {float(k): v for k, v in exchange_rate.items()}
        missing = sorted({y for y in years.dropna().unique() if y not in rates})
        if missing:
            raise SpecificationError(
                f"{caller}: exchange_rate has no rate for year(s) "
                f"{examples([int(y) for y in missing])}; add them to the mapping.")
        rate = years.map(rates).to_numpy(dtype=float)
    else:
        rate = _to_float(exchange_rate, "exchange_rate", caller)
        if rate.ndim and rate.size != inp.size:
            raise SpecificationError(
                f"{caller}: exchange_rate has {rate.size} values but the inputs have "
                f"{inp.size} rows; give one rate per row, a number, or a {{year: rate}} "
                "mapping with year=.")
        rate = np.broadcast_to(rate, (inp.size,)).astype(float)
    bad = ~np.isfinite(rate) | (rate <= 0)
    if bad.any():
        raise SpecificationError(
            f"{caller}: exchange_rate must be finite and > 0 (CNY per USD, about 6-8 since "
            f"2005); {int(bad.sum())} row(s) are not (e.g. {examples(rate[bad])}).")
    return rate


def trade_intensity(
    trade: ArrayLike,
    gdp: ArrayLike,
    *,
    trade_unit: str = "usd_10k",
    gdp_unit: str = "cny_100m",
    exchange_rate: float | ArrayLike | Mapping[int, float] | None = None,
    year: ArrayLike | None = None,
    log: Log = "log",
    name: str = "trade_gdp",
) -> ArrayLike:
    """Trade (imports, exports or both) relative to GDP, in logs: the trade channel.

    ``log(trade × rate × unit_t / (gdp × unit_g))``: trade converted to CNY at the
    exchange rate, divided by GDP, then logged (see ``log``).

    Parameters
    ----------
    trade : pandas.Series, array-like or float
        Imports, exports or their sum (for total trade, add the two columns first). City
        yearbook field: 货物进口额 / 货物出口额 (万美元); with cross-border e-commerce data
        (海关 跨境电商进出口额) the same applies.
    gdp : pandas.Series, array-like or float
        GDP, e.g. CSMAR CRE ``Gdpct01`` (地区生产总值, 亿元).
    trade_unit : str, default "usd_10k"
        Unit of ``trade``: one of :data:`MONEY_UNITS` (``"usd_10k"`` = 万美元, the yearbook
        unit; ``"cny_10k"`` = 万元 when already in yuan).
    gdp_unit : {"cny", "cny_10k", "cny_100m"}, default "cny_100m"
        Unit of ``gdp`` (``"cny_100m"`` = 亿元, CSMAR ``Gdpct01``).
    exchange_rate : float, array-like, Series or mapping {year: rate}, optional
        CNY per USD (e.g. the annual average central parity, 中国统计年鉴 人民币汇率). Required
        when ``trade_unit`` is in USD (there is no default: the rate moved from 8.19 in 2005
        to 6.14 in 2014 and 6.90 in 2019, so a wrong guess shifts the variable by up to 30%);
        refused when both are in CNY. A number for every row, one value per row, or a mapping
        with ``year``.
    year : array-like or Series, optional
        Year of each row, needed with a mapping ``exchange_rate``.
    log : {"log", "log1p", None}, default "log"
        ``"log"``: ln(ratio), the usual form (rows with zero trade become NaN and are
        counted); ``"log1p"``: ln(1 + ratio), defined at zero and close to the ratio itself
        for small ratios; None: the ratio as a fraction.
    name : str, default "trade_gdp"
        Name of the returned Series (e.g. ``"ln_import_gdp"``).

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        The (logged) trade/GDP ratio, a pure number (units cancel).

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric trade; GDP that is zero, negative or infinite; USD
        trade without ``exchange_rate`` (or CNY trade with one); a mapping without ``year`` or
        without a rate for some year; unknown units or ``log``.

    Warns
    -----
    DataDroppedWarning
        With ``log="log"``, rows with zero trade (NaN there, counted).
    DidZonesWarning
        A median trade/GDP ratio above 5 (no city trades five times its GDP): a unit slip.

    Notes
    -----
    Openness as trade over GDP (外贸依存度) is the standard measure of the trade channel of the
    pilot zones (imports for the demand side, exports for the supply side). Papers differ on
    the log: ln(ratio) when trade is positive for every city, ln(1 + ratio) when zeros occur;
    state the choice. Missing inputs give missing output, silently.

    Examples
    --------
    >>> from did_zones.outcomes import trade_intensity
    >>> # 50,000 x 10k USD of imports at 7 CNY/USD against GDP of 1,000 x 100m CNY: ratio 0.035
    >>> round(trade_intensity(50_000.0, 1_000.0, exchange_rate=7.0, log=None), 12)
    0.035
    >>> round(trade_intensity(50_000.0, 1_000.0, exchange_rate={2019: 7.0}, year=[2019]), 6)
    -3.352407
    """
    caller = "trade_intensity"
    t_cur, t_factor = _money(trade_unit, "trade_unit", caller)
    _, g_factor = _money(gdp_unit, "gdp_unit", caller, currency="cny")
    inp = _Inputs({"trade": trade, "gdp": gdp}, caller)
    _check_amounts(inp, ["trade"])
    _check_positive(inp, "gdp", "GDP")
    if t_cur == "usd":
        if year is not None and not isinstance(exchange_rate, Mapping):
            raise SpecificationError(
                f"{caller}: year= is only used with a {{year: rate}} mapping exchange_rate.")
        rate = _exchange_rate(exchange_rate, year, inp)
    else:
        if exchange_rate is not None:
            raise SpecificationError(
                f"{caller}: trade_unit={trade_unit!r} is already in CNY; drop exchange_rate "
                "(or give trade_unit='usd_10k' if the trade figures are in USD).")
        rate = 1.0
    ratio = inp.arrays["trade"] * rate * t_factor / (inp.arrays["gdp"] * g_factor)
    _plausible(inp, ratio, 5.0, "trade / GDP", "trade_unit and gdp_unit (万美元 is 'usd_10k', "
               "亿元 is 'cny_100m')")
    return inp.wrap(_apply_log(inp, ratio, log, name), name)


def per_capita(
    amount: ArrayLike,
    population: ArrayLike,
    *,
    amount_unit: str = "cny_10k",
    population_unit: str = "10k",
    log: Log = "log",
    name: str = "per_capita",
) -> ArrayLike:
    """An amount per person in yuan, in logs: retail sales per capita (consumption upgrading).

    ``log(amount × unit_a / (population × unit_p))``.

    Parameters
    ----------
    amount : pandas.Series, array-like or float
        For consumption upgrading, retail sales of consumer goods (社会消费品零售总额, 万元,
        中国城市统计年鉴); any CNY amount otherwise.
    population : pandas.Series, array-like or float
        Population, e.g. CSMAR CRE ``Eect01`` (年末总人口, 万人; household-registered).
    amount_unit : {"cny", "cny_10k", "cny_100m"}, default "cny_10k"
        Unit of ``amount``.
    population_unit : {"persons", "10k"}, default "10k"
        Unit of ``population`` (``"10k"`` = 万人).
    log : {"log", "log1p", None}, default "log"
        ``"log"``: ln(yuan per person), the usual form; ``"log1p"``: ln(1 + ·); None: yuan
        per person.
    name : str, default "per_capita"
        Name of the returned Series (e.g. ``"ln_retail_pc"``).

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        The (logged) amount per person, in yuan.

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric amounts; population zero, negative or infinite;
        unknown units or ``log``.

    Warns
    -----
    DataDroppedWarning
        With ``log="log"``, rows with a zero amount.

    Notes
    -----
    The denominator matters: ``Eect01`` is the household-registered (户籍) population, which
    overstates per-capita sales in cities with many migrants relative to the resident (常住)
    population behind ``GDP_PerCapita``. Use one consistently.

    Examples
    --------
    >>> from did_zones.outcomes import per_capita
    >>> # 40,000,000 x 10k CNY of retail sales over 1,000 x 10k persons: 40,000 yuan each
    >>> per_capita(40_000_000.0, 1_000.0, log=None)
    40000.0
    """
    caller = "per_capita"
    _, a_factor = _money(amount_unit, "amount_unit", caller, currency="cny")
    check_choice("population_unit", population_unit, tuple(POPULATION_UNITS))
    inp = _Inputs({"amount": amount, "population": population}, caller)
    _check_amounts(inp, ["amount"])
    _check_positive(inp, "population", "Population")
    x = inp.arrays["amount"] * a_factor / (inp.arrays["population"]
                                           * POPULATION_UNITS[population_unit])
    return inp.wrap(_apply_log(inp, x, log, name), name)


def patents_per_10k(
    patents: ArrayLike,
    population: ArrayLike,
    *,
    population_unit: str = "10k",
    log: Log = "log1p",
    name: str = "patents_10k",
) -> ArrayLike:
    """Patents (granted or applied) per 10,000 people, in logs: the innovation channel.

    ``log1p(patents / (population × unit_p / 10^4))``.

    Parameters
    ----------
    patents : pandas.Series, array-like or float
        Patent counts (件): grants (专利授权数) or applications (专利申请数), from the CNIPA
        city tables, city statistical bulletins or CSMAR's regional innovation tables.
        Invention patents alone (发明专利) are the stricter measure.
    population : pandas.Series, array-like or float
        Population, e.g. CSMAR CRE ``Eect01`` (年末总人口, 万人).
    population_unit : {"persons", "10k"}, default "10k"
        Unit of ``population``.
    log : {"log1p", "log", None}, default "log1p"
        ``"log1p"``: ln(1 + patents per 10k), the usual form because small cities have
        years with no grants; ``"log"``: ln(·) (zeros become NaN, counted); None: the count
        per 10,000 people.
    name : str, default "patents_10k"
        Name of the returned Series.

    Returns
    -------
    pandas.Series, numpy.ndarray or float

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric counts; population zero, negative or infinite;
        unknown ``population_unit`` or ``log``.

    Warns
    -----
    DataDroppedWarning
        With ``log="log"``, rows with no patents.

    Examples
    --------
    >>> from did_zones.outcomes import patents_per_10k
    >>> patents_per_10k(3_000.0, 1_000.0, log=None)  # 3,000 grants, 10 million people
    3.0
    >>> round(patents_per_10k(3_000.0, 1_000.0), 12)  # ln(1 + 3)
    1.38629436112
    """
    caller = "patents_per_10k"
    check_choice("population_unit", population_unit, tuple(POPULATION_UNITS))
    inp = _Inputs({"patents": patents, "population": population}, caller)
    _check_amounts(inp, ["patents"])
    _check_positive(inp, "population", "Population")
    persons = inp.arrays["population"] * POPULATION_UNITS[population_unit]
    x = inp.arrays["patents"] / (persons / 1e4)
    return inp.wrap(_apply_log(inp, x, log, name), name)


def rd_share(
    rd: ArrayLike,
    gdp: ArrayLike,
    *,
    rd_unit: str = "cny_10k",
    gdp_unit: str = "cny_100m",
    percent: bool = False,
    name: str = "rd_gdp",
) -> ArrayLike:
    """R&D (or science and technology) expenditure as a share of GDP.

    ``rd × unit_r / (gdp × unit_g)``, a fraction (or percent).

    Parameters
    ----------
    rd : pandas.Series, array-like or float
        R&D expenditure (R&D 经费内部支出, 万元; city statistical bulletins, provincial
        science and technology yearbooks) or, where cities lack it, the budget's science and
        technology expenditure (科学技术支出, 万元, 中国城市统计年鉴), the common proxy: say
        which.
    gdp : pandas.Series, array-like or float
        GDP, e.g. CSMAR CRE ``Gdpct01`` (亿元).
    rd_unit, gdp_unit : {"cny", "cny_10k", "cny_100m"}
        Units (defaults: 万元 and 亿元).
    percent : bool, default False
        Return percent (R&D intensity as published, e.g. 2.4) instead of a fraction.
    name : str, default "rd_gdp"
        Name of the returned Series.

    Returns
    -------
    pandas.Series, numpy.ndarray or float

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric expenditure; GDP zero, negative or infinite;
        unknown units.

    Warns
    -----
    DidZonesWarning
        A median share above 0.2 (no city spends a fifth of its GDP on R&D): a unit slip.

    Examples
    --------
    >>> from did_zones.outcomes import rd_share
    >>> rd_share(24_000.0, 100.0)  # 2.4 x 100m CNY of R&D against GDP of 100 x 100m CNY
    0.024
    >>> round(rd_share(24_000.0, 100.0, percent=True), 12)
    2.4
    """
    caller = "rd_share"
    _, r_factor = _money(rd_unit, "rd_unit", caller, currency="cny")
    _, g_factor = _money(gdp_unit, "gdp_unit", caller, currency="cny")
    if not isinstance(percent, (bool, np.bool_)):
        raise SpecificationError(f"{caller}: percent must be True or False; got {percent!r}.")
    inp = _Inputs({"rd": rd, "gdp": gdp}, caller)
    _check_amounts(inp, ["rd"])
    _check_positive(inp, "gdp", "GDP")
    x = inp.arrays["rd"] * r_factor / (inp.arrays["gdp"] * g_factor)
    _plausible(inp, x, 0.2, "R&D / GDP", "rd_unit and gdp_unit (万元 is 'cny_10k', 亿元 is "
               "'cny_100m')")
    return inp.wrap(x * 100.0 if percent else x, name)


def development_share(
    total: ArrayLike,
    *,
    transport: ArrayLike,
    education: ArrayLike,
    health: ArrayLike,
    household: ArrayLike | None = None,
    other: ArrayLike | None = None,
    percent: bool = False,
    tol: float = 1e-6,
    name: str = "dev_share",
) -> ArrayLike:
    """Share of development-and-enjoyment consumption in total consumption expenditure.

    ``(transport + education + health [+ household] [+ other]) / total``, the consumption-
    upgrading measure of 发展型/享受型消费 in the Chinese literature.

    Parameters
    ----------
    total : pandas.Series, array-like or float
        Consumption expenditure per capita (人均消费支出) of urban (城镇) or all residents,
        from the household survey (statistical yearbooks and bulletins).
    transport : pandas.Series, array-like or float
        Transport and communication (交通通信).
    education : pandas.Series, array-like or float
        Education, culture and recreation (教育文化娱乐).
    health : pandas.Series, array-like or float
        Health care and medical services (医疗保健).
    household : pandas.Series, array-like or float, optional
        Household articles and services (生活用品及服务, formerly 家庭设备用品及服务).
    other : pandas.Series, array-like or float, optional
        Other goods and services (其他用品和服务).
    percent : bool, default False
        Return percent instead of a fraction.
    tol : float, default 1e-6
        Allowed relative excess of the categories' sum over ``total`` (rounding).
    name : str, default "dev_share"
        Name of the returned Series.

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        The share, in [0, 1] (or [0, 100]).

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric values; ``total`` zero or negative; categories
        summing to more than ``total`` (with the count of rows).

    Notes
    -----
    The National Bureau of Statistics splits consumption into eight categories (since 2013):
    food, tobacco and liquor; clothing; housing; household articles and services; transport
    and communication; education, culture and recreation; health care; other. Food,
    clothing and housing are subsistence consumption (生存型); the rest is development and
    enjoyment consumption (发展享受型). Two definitions are in use: the narrow one, the
    three development categories (transport and communication, education/culture/
    recreation, health care: the required arguments), and the broad one, all five non-
    subsistence categories (add ``household`` and ``other``), which equals one minus the
    subsistence share. State which one a table uses.

    References
    ----------
    石明明, 江舟, 周小焱 (2019). 消费升级还是消费降级. 中国工业经济, (7).
    National Bureau of Statistics of China, 居民收支与生活状况调查 (household survey): the
    eight-category classification of consumption expenditure.

    Examples
    --------
    >>> from did_zones.outcomes import development_share
    >>> round(development_share(30_000.0, transport=4_000.0, education=3_500.0,
    ...                         health=2_500.0), 12)
    0.333333333333
    """
    caller = "development_share"
    if not isinstance(percent, (bool, np.bool_)):
        raise SpecificationError(f"{caller}: percent must be True or False; got {percent!r}.")
    tol = _TOL("tol", tol)
    parts = {"transport": transport, "education": education, "health": health}
    if household is not None:
        parts["household"] = household
    if other is not None:
        parts["other"] = other
    inp = _Inputs({"total": total, **parts}, caller)
    _check_amounts(inp, list(parts))
    _check_positive(inp, "total", "Total consumption expenditure")
    num = np.sum([inp.arrays[p] for p in parts], axis=0)
    t = inp.arrays["total"]
    over = num > t * (1.0 + tol)
    if over.any():
        raise SpecificationError(
            f"{caller}: the categories sum to more than total in {int(over.sum())} of "
            f"{inp.size} row(s) (rows {examples(inp.labels(over))}). Check that total and the "
            "categories share one unit and population (per capita, urban or all residents).")
    x = num / t
    return inp.wrap(x * 100.0 if percent else x, name)


# --------------------------------------------------------------------------- winsorizing
def winsorize(
    data: pd.DataFrame | pd.Series,
    columns: str | Sequence[str] | None = None,
    limits: tuple[float | None, float | None] = (0.01, 0.99),
    by: str | Sequence[str] | pd.Series | np.ndarray | None = None,
    *,
    method: str = "linear",
) -> pd.DataFrame | pd.Series:
    """Winsorize columns at quantiles, pooled or within groups (e.g. by year).

    Values below the ``limits[0]`` quantile are set to it, values above the ``limits[1]``
    quantile to that one. Missing values stay missing and do not enter the quantiles.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Not modified.
    columns : str or sequence of str
        Columns to winsorize (required for a DataFrame; must be None for a Series).
    limits : (float or None, float or None), default (0.01, 0.99)
        Lower and upper quantile levels, ``0 <= low < high <= 1``; None leaves that side alone.
    by : str, sequence of str, Series or array, optional
        Groups within which quantiles are computed, e.g. ``"year"``. For a DataFrame, column
        name(s); for a Series, labels aligned with it (a Series with the same index, or an
        array of the same length). Rows with a missing group label form a group of their own.
        Default: pooled quantiles.
    method : str, default "linear"
        Quantile definition of :func:`numpy.quantile`, one of :data:`QUANTILE_METHODS`.
        ``"linear"`` is R's type 7 and pandas' default; ``"averaged_inverted_cdf"`` is the
        definition of Stata's ``_pctile`` (R type 2), used by ``winsor2``.

    Returns
    -------
    pandas.DataFrame or pandas.Series
        A copy with the winsorized columns (as float).

    Raises
    ------
    SpecificationError
        Bad ``limits``, ``method`` or ``by``; missing or non-numeric columns; ``columns``
        missing for a DataFrame (or given for a Series).

    Examples
    --------
    >>> import pandas as pd
    >>> from did_zones.outcomes import winsorize
    >>> s = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0])
    >>> winsorize(s, limits=(None, 0.75)).tolist()
    [1.0, 2.0, 3.0, 4.0, 4.0]
    """
    check_choice("method", method, QUANTILE_METHODS)
    low, high = _check_limits(limits)
    if isinstance(data, pd.Series):
        if columns is not None:
            raise SpecificationError(
                "columns must be None when data is a Series (the Series itself is winsorized)."
            )
        groups = _series_groups(data, by)
        frame = data.to_frame(name="__value__")
        out = _winsorize_frame(frame, ["__value__"], low, high, groups, method)
        return out["__value__"].rename(data.name)
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(
            f"data must be a pandas DataFrame or Series; got {type(data).__name__}."
        )
    cols = as_tuple(columns)
    if not cols:
        numeric = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
        raise SpecificationError(
            "Name the columns to winsorize, e.g. columns=['ts', 'isu'] (numeric columns: "
            f"{examples(numeric, 8)})."
        )
    check_columns(data, cols)
    by_cols = as_tuple(by) if isinstance(by, (str, list, tuple)) else None
    if by is not None and by_cols is None:
        raise SpecificationError(
            "For a DataFrame, by must name column(s) of it, e.g. by='year'; got "
            f"{type(by).__name__}."
        )
    if by_cols:
        check_columns(data, by_cols)
        overlap = set(by_cols) & set(cols)
        if overlap:
            raise SpecificationError(
                f"Column(s) {examples(sorted(overlap))} are both winsorized and used as groups."
            )
    groups = _group_codes(data, by_cols) if by_cols else np.zeros(len(data), dtype=np.intp)
    return _winsorize_frame(data, list(cols), low, high, groups, method)


def _check_limits(limits) -> tuple[float | None, float | None]:
    msg = (
        "limits must be a pair (low, high) of quantile levels with 0 <= low < high <= 1 "
        f"(None to leave a side alone), e.g. (0.01, 0.99); got {limits!r}."
    )
    if isinstance(limits, (str, bytes)) or not isinstance(limits, Sequence) or len(limits) != 2:
        raise SpecificationError(msg)
    out = []
    for v in limits:
        if v is None:
            out.append(None)
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise SpecificationError(msg)
        if not 0.0 <= float(v) <= 1.0:
            raise SpecificationError(msg)
        out.append(float(v))
    low, high = out
    if low is not None and high is not None and not low < high:
        raise SpecificationError(msg)
    return low, high


def _group_codes(data: pd.DataFrame, by: tuple[Hashable, ...]) -> np.ndarray:
    return data.groupby(list(by), dropna=False, sort=False).ngroup().to_numpy()


def _series_groups(data: pd.Series, by) -> np.ndarray:
    if by is None:
        return np.zeros(len(data), dtype=np.intp)
    if isinstance(by, pd.Series):
        if not by.index.equals(data.index):
            raise SpecificationError(
                "by must have the same index as the Series to winsorize (e.g. "
                "df['year'] for df['ts'])."
            )
        labels = by
    else:
        if np.ndim(by) != 1 or len(by) != len(data):
            raise SpecificationError(
                "For a Series, by must be a Series with the same index or an array of the "
                f"same length ({len(data)}); got {type(by).__name__}."
            )
        labels = pd.Series(np.asarray(by), index=data.index)
    return pd.factorize(labels, use_na_sentinel=False)[0]


def _winsorize_frame(data, cols, low, high, groups, method) -> pd.DataFrame:
    out = data.copy()
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    blocks = np.split(order, bounds)
    levels = [q for q in (low, high) if q is not None]
    for col in cols:
        values = data[col]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise SpecificationError(
                f"Column {col!r} is not numeric (dtype {values.dtype}); it cannot be winsorized."
            )
        x = values.to_numpy(dtype=float, na_value=np.nan)
        lo_b = np.full(x.size, -np.inf)
        hi_b = np.full(x.size, np.inf)
        for rows in blocks:  # one pass per group (years), vectorised within
            v = x[rows]
            v = v[np.isfinite(v)]
            if v.size == 0 or not levels:
                continue
            q = np.quantile(v, levels, method=method)
            if low is not None:
                lo_b[rows] = q[0]
            if high is not None:
                hi_b[rows] = q[-1]
        out[col] = np.clip(x, lo_b, hi_b)
    return out
