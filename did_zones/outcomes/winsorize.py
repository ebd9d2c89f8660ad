"""Winsorizing outcome and control columns, by group, with Stata's quantile conventions."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..validation import as_tuple, check_choice, check_columns, examples
from ._inputs import QUANTILE_METHODS


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
