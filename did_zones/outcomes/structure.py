"""Industrial-structure outcomes: advancement (TS), hierarchy (ISU), tertiary share, Theil."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..validation import Choice, check_choice, check_columns, examples
from ._inputs import SCALES, ArrayLike, Scale, _check_tol, _Inputs, _shares


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
