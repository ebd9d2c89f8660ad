"""Argument checks shared by the public entry points (validate at the door)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import EstimationError, SpecificationError


def examples(values: Iterable, k: int = 5) -> str:
    """Format up to ``k`` examples of ``values`` for an error message."""
    values = list(values)
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:k])
    more = f", ... ({len(values) - k} more)" if len(values) > k else ""
    return f"[{shown}{more}]"


def check_columns(data: pd.DataFrame, columns: Iterable[str | None], what: str = "Column",
                  renamed: Mapping[str, str] | None = None) -> None:
    """Raise ``SpecificationError`` naming any missing column, with a did-you-mean hint.

    ``renamed`` maps old column names to current ones: a frame that still uses the old name
    of a required column gets a message telling it to rename it.
    """
    available = [str(c) for c in data.columns]
    for col in columns:
        if col is None:
            continue
        if col not in data.columns:
            if col in [n for n in data.index.names if n is not None]:
                raise SpecificationError(
                    f"{what} {col!r} not found in the data: it is a level of the index, not a "
                    f"column. Move the index into columns first, e.g. df.reset_index().")
            old = [o for o, new in (renamed or {}).items() if new == col and o in data.columns]
            if old:
                raise SpecificationError(
                    f"{what} {col!r} not found in the data. {old[0]!r} is its old name: "
                    f"did you mean {col!r}? Rename the column, e.g. "
                    f"df.rename(columns={{{old[0]!r}: {col!r}}}).")
            close = difflib.get_close_matches(str(col), available, n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SpecificationError(
                f"{what} {col!r} not found in the data.{hint} "
                f"Available columns: {examples(available, 12)}."
            )


def unknown_key_message(key: object, available: Sequence[str], what: str = "term",
                        k: int = 10) -> str:
    """Message for a name that is not among ``available``: up to ``k`` of them, their count
    and a did-you-mean hint."""
    available = [str(a) for a in available]
    close = difflib.get_close_matches(str(key), available, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return (f"No {what} {key!r} in this result.{hint} It has {len(available)} {what}(s): "
            f"{examples(available, k)}.")


def check_choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``; otherwise raise a clear error."""
    if value not in allowed:
        opts = ", ".join(repr(a) for a in allowed)
        raise SpecificationError(f"{name} must be one of {opts}; got {value!r}.")
    return value  # type: ignore[return-value]


def as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Normalise a column argument given as None, a string or a sequence of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def check_alpha(alpha: float) -> float:
    """Check a significance level."""
    if not 0.0 < float(alpha) < 1.0:
        raise SpecificationError(f"alpha must lie strictly between 0 and 1; got {alpha!r}.")
    return float(alpha)


def check_outcome_varies(values: np.ndarray, outcome: str) -> None:
    """Raise ``EstimationError`` when the outcome takes a single value on its finite rows.

    Every estimator refuses a constant outcome the same way: the effects would all be 0
    with standard errors of 0, which reads as a precise null (or, divided, as significant).
    "Constant" is relative to the size of the values (a spread within a few ulps).
    """
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    if y.size and np.ptp(y) <= 4 * np.finfo(float).eps * np.abs(y).max():
        raise EstimationError(
            f"Outcome {outcome!r} is constant: all {y.size} row(s) with a value equal "
            f"{y[0]:g}, so there is no variation to estimate an effect from (every "
            "estimate would be 0 with a standard error of 0). Check the column (e.g. a merge "
            "that filled a default) or choose another outcome."
        )


def check_weights(panel, name: str, rows: np.ndarray | None = None) -> np.ndarray:
    """Return weights column ``name`` of ``panel`` after checking it is positive and finite.

    One rule for every estimator: zero, negative, missing (NaN) and infinite weights are
    rejected, never dropped or used silently. ``rows`` (a boolean mask) limits the check to
    the rows an estimator uses.

    Raises
    ------
    SpecificationError
        Counting each kind of bad value, with up to five example units.
    """
    w = panel.column(name)
    use = np.ones(w.size, dtype=bool) if rows is None else rows
    kinds = {"zero": w == 0, "negative": w < 0, "missing": np.isnan(w),
             "infinite": np.isinf(w)}
    bad = use & ~(np.isfinite(w) & (w > 0))
    if bad.any():
        counts = ", ".join(f"{int((m & use).sum())} {k}" for k, m in kinds.items()
                           if (m & use).any())
        units = panel.units[np.unique(panel.unit_id[bad])]
        raise SpecificationError(
            f"Weights {name!r} must be positive and finite; {int(bad.sum())} row(s) are not "
            f"({counts}), e.g. units {examples(units)}. Every estimator rejects zero, "
            "negative, missing and infinite weights: drop those rows before build_panel, "
            f"e.g. df[df[{name!r}] > 0]."
        )
    return w
