"""Shared input handling of the outcome builders: aligned float arrays, labels, units."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import DataDroppedWarning, SpecificationError, warn
from ..validation import Real, examples

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


def _flag(caller: str, name: str, value: object) -> bool:
    """A True/False option of a builder (``percent=``), refused when anything else."""
    if not isinstance(value, (bool, np.bool_)):
        raise SpecificationError(f"{caller}: {name} must be True or False; got {value!r}.")
    return bool(value)


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
