"""Validation at the door: argument constraints declared once, checked at public entry points.

Every public function states what its arguments may be with the constraint types of this
module and checks them before any work, with one wording for each kind of mistake:

* :class:`Choice` -- one of a few lowercase strings, with a did-you-mean hint;
* :class:`Integer`, :class:`Real` (and :data:`PROBABILITY`, :data:`ALPHA`) -- numbers in a
  range, booleans refused;
* :class:`Boolean`, :class:`ColumnName`, :class:`Columns`, :class:`PanelArg`,
  :class:`Seed`, :class:`Window` -- the shapes the estimators share.

Apply them with the :func:`validated` decorator (``@validated(alpha=ALPHA, n_boot=N_BOOT)``:
each named argument is checked, and replaced by its normalised value, before the body runs)
or with :func:`check` inside a function. Checks of the *data* (a column's values, a file's
content) stay next to the code that reads them; a few shared ones live here too
(:func:`check_columns`, :func:`check_weights`, :func:`check_outcome_varies`).

Examples
--------
>>> from did_zones.validation import Choice, Integer, check
>>> check({"kind": Choice(("simple", "event")), "n_draws": Integer(min=1)},
...       kind="event", n_draws=99)
{'kind': 'event', 'n_draws': 99}
>>> check({"kind": Choice(("simple", "event"))}, kind="evnt")
Traceback (most recent call last):
...
did_zones.errors.SpecificationError: kind must be one of 'simple', 'event'; got 'evnt'. Did you mean 'event'?
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import EstimationError, SpecificationError

__all__ = [
    "Constraint", "Choice", "Integer", "Real", "Boolean", "ColumnName", "Columns",
    "PanelArg", "ResultArg", "Seed", "Window", "check", "validated",
    "ALPHA", "PROBABILITY", "N_BOOT", "COUNT", "SEED", "PANEL", "OPTIONAL_COLUMN", "FLAG",
    "check_choice", "check_alpha", "check_columns", "check_weights", "check_outcome_varies",
    "as_tuple", "examples", "unknown_key_message", "did_you_mean",
]


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


def did_you_mean(value: object, allowed: Iterable[object], cutoff: float = 0.6) -> str:
    """`` Did you mean 'x'?`` for the closest of ``allowed`` to ``value`` (or ``""``)."""
    allowed = [str(a) for a in allowed]
    close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=cutoff)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``; otherwise raise a clear error.

    The message lists the allowed values and, for a near miss, suggests the closest one.
    """
    return Choice(tuple(allowed))(name, value)


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


# ================================================================ constraint types


class Constraint:
    """A rule one argument must satisfy.

    Calling a constraint with ``(name, value)`` returns the value, normalised (e.g. an
    integer-valued NumPy scalar becomes an ``int``), or raises
    :class:`~did_zones.errors.SpecificationError` naming the argument, what it must be,
    what it got and, where one helps, the fix.
    """

    def __call__(self, name: str, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fail(self, name: str, expected: str, value: Any, fix: str = "") -> SpecificationError:
        return SpecificationError(f"{name} must be {expected}; got {value!r}.{fix}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_)


class Choice(Constraint):
    """One of a fixed set of values (lowercase strings declared as a ``typing.Literal``).

    Parameters
    ----------
    values : sequence
        The allowed values, in the order the message lists them.
    allow_none : bool
        Also accept ``None``.
    """

    def __init__(self, values: Sequence[Any], allow_none: bool = False):
        self.values = tuple(values)
        self.allow_none = allow_none

    def __call__(self, name: str, value: Any) -> Any:
        if value is None and self.allow_none:
            return None
        try:
            ok = value in self.values
        except TypeError:  # an unhashable or array-like value
            ok = False
        if not ok or isinstance(value, bool | np.bool_) and not any(
                isinstance(v, bool) for v in self.values):
            opts = ", ".join(repr(a) for a in self.values)
            hint = did_you_mean(value, self.values, 0.5) if isinstance(value, str) else ""
            none = " or None" if self.allow_none else ""
            raise SpecificationError(f"{name} must be one of {opts}{none}; got {value!r}.{hint}")
        return value


class Integer(Constraint):
    """An integer (never a bool), optionally bounded: ``min <= value <= max``.

    Parameters
    ----------
    min, max : int, optional
        Inclusive bounds.
    allow_none : bool
        Also accept ``None`` (e.g. ``n_boot=None`` for no bootstrap).
    hint : str
        Advice appended to the message (e.g. ``"Use 1000 or more for intervals."``).
    """

    def __init__(self, min: int | None = None, max: int | None = None,
                 allow_none: bool = False, hint: str = ""):
        self.min, self.max, self.allow_none, self.hint = min, max, allow_none, hint

    def describe(self) -> str:
        """What the argument must be, as the error message words it."""
        if self.min == 0 and self.max is None:
            what = "a non-negative integer"
        elif self.min == 1 and self.max is None:
            what = "a positive integer"
        elif self.min is not None and self.max is None:
            what = f"an integer of at least {self.min}"
        elif self.min is None and self.max is not None:
            what = f"an integer of at most {self.max}"
        elif self.min is not None:
            what = f"an integer between {self.min} and {self.max}"
        else:
            what = "an integer"
        return ("None or " + what) if self.allow_none else what

    def __call__(self, name: str, value: Any) -> Any:
        if value is None and self.allow_none:
            return None
        if not _is_int(value) or (self.min is not None and value < self.min) or (
                self.max is not None and value > self.max):
            raise self._fail(name, self.describe(), value, f" {self.hint}" if self.hint else "")
        return int(value)


class Real(Constraint):
    """A finite real number (never a bool), optionally bounded.

    Parameters
    ----------
    min, max : float, optional
        Bounds.
    closed : {"both", "left", "right", "neither"}
        Which bounds are attained (``"neither"``: ``min < value < max``).
    allow_none : bool
        Also accept ``None``.
    hint : str
        Advice appended to the message.
    """

    def __init__(self, min: float | None = None, max: float | None = None,
                 closed: str = "both", allow_none: bool = False, hint: str = ""):
        Choice(("both", "left", "right", "neither"))("closed", closed)
        self.min, self.max, self.closed, self.allow_none = min, max, closed, allow_none
        self.hint = hint

    def describe(self) -> str:
        """What the argument must do, as the error message words it ("lie in (0, 1]")."""
        lo_in = self.closed in ("both", "left")
        hi_in = self.closed in ("both", "right")
        if self.min is not None and self.max is not None:
            if not lo_in and not hi_in:
                what = f"lie strictly between {self.min:g} and {self.max:g}"
            else:
                what = (f"lie in {'[' if lo_in else '('}{self.min:g}, {self.max:g}"
                        f"{']' if hi_in else ')'}")
        elif self.min is not None:
            what = f"be a finite number {'>=' if lo_in else '>'} {self.min:g}"
        elif self.max is not None:
            what = f"be a finite number {'<=' if hi_in else '<'} {self.max:g}"
        else:
            what = "be a finite number"
        return ("be None or " + what.removeprefix("be ")) if self.allow_none else what

    def __call__(self, name: str, value: Any) -> Any:
        if value is None and self.allow_none:
            return None
        hint = f" {self.hint}" if self.hint else ""
        if not _is_real(value):
            none = "None or " if self.allow_none else ""
            raise SpecificationError(f"{name} must be {none}a real number; got {value!r}.{hint}")
        ok = math.isfinite(value)
        if ok and self.min is not None:
            ok = value >= self.min if self.closed in ("both", "left") else value > self.min
        if ok and self.max is not None:
            ok = value <= self.max if self.closed in ("both", "right") else value < self.max
        if not ok:
            raise SpecificationError(f"{name} must {self.describe()}; got {value!r}.{hint}")
        return float(value)


class Boolean(Constraint):
    """``True`` or ``False`` (NumPy booleans too); ``allow_none`` adds ``None``."""

    def __init__(self, allow_none: bool = False):
        self.allow_none = allow_none

    def __call__(self, name: str, value: Any) -> Any:
        if value is None and self.allow_none:
            return None
        if not isinstance(value, bool | np.bool_):
            raise self._fail(name, "None, True or False" if self.allow_none
                             else "True or False", value)
        return bool(value)


class ColumnName(Constraint):
    """One column name (a string); ``allow_none`` (default) accepts ``None``.

    Whether the column exists is checked against the data with :func:`check_columns`.
    """

    def __init__(self, allow_none: bool = True):
        self.allow_none = allow_none

    def __call__(self, name: str, value: Any) -> Any:
        if value is None and self.allow_none:
            return None
        if not isinstance(value, str):
            raise self._fail(name, "a column name or None" if self.allow_none
                             else "a column name", value)
        return value


class Columns(Constraint):
    """Column names given as ``None``, one string or a sequence of strings; normalised to a
    tuple, each name at most once."""

    def __call__(self, name: str, value: Any) -> Any:
        cols = as_tuple(value)
        if not all(isinstance(c, str) for c in cols):
            raise self._fail(name, "a column name or a list of column names", value)
        twice = sorted({c for c in cols if cols.count(c) > 1})
        if twice:
            raise SpecificationError(f"{name} lists a column twice: {list(cols)} ({twice[0]!r}). "
                                     "List each column once.")
        return cols


def _is_instance(value: Any, module: str, cls: str) -> bool:
    """``isinstance(value, <module>.<cls>)`` without importing ``module``.

    The panel and result modules import this one; looking their classes up in
    ``sys.modules`` keeps the import graph acyclic. If the module was never imported, no
    instance of its class can exist.
    """
    loaded = sys.modules.get(f"{__package__}.{module}")
    target = getattr(loaded, cls, None)
    return target is not None and isinstance(value, target)


class PanelArg(Constraint):
    """A :class:`did_zones.Panel` (from :func:`did_zones.build_panel`).

    Its treatment must stay on once started (:meth:`did_zones.Panel.require_absorbing`)
    unless ``switch_off=True``: the one absorbing-treatment check of every estimator and
    robustness tool but :func:`did_zones.dcdh`.
    """

    def __init__(self, switch_off: bool = False):
        self.switch_off = switch_off

    def __call__(self, name: str, value: Any) -> Any:
        if not _is_instance(value, "panel", "Panel"):
            raise SpecificationError(f"{name} must be a did_zones Panel (from build_panel); "
                                     f"got {type(value).__name__}.")
        if not self.switch_off:
            value.require_absorbing()
        return value


class ResultArg(Constraint):
    """A :class:`did_zones.Result` (the output of an estimator)."""

    def __call__(self, name: str, value: Any) -> Any:
        if not _is_instance(value, "result", "Result"):
            raise SpecificationError(f"{name} must be a did_zones Result; got "
                                     f"{type(value).__name__}.")
        return value


class Seed(Constraint):
    """A random seed: ``None`` (a fresh one), a non-negative integer or, with
    ``sequence=True``, a :class:`numpy.random.SeedSequence`."""

    def __init__(self, sequence: bool = False, allow_none: bool = True):
        self.sequence, self.allow_none = sequence, allow_none

    def __call__(self, name: str, value: Any) -> Any:
        if value is None and self.allow_none:
            return None
        if self.sequence and isinstance(value, np.random.SeedSequence):
            return value
        what = "an integer" + (" or a SeedSequence" if self.sequence else "")
        if not _is_int(value):
            raise self._fail(name, ("None or " if self.allow_none else "") + what, value)
        if value < 0:
            raise self._fail(name, "a non-negative integer" + (
                " (or None)" if self.allow_none else ""), value)
        return int(value)


class Window(Constraint):
    """An event window ``(lo, hi)``: two integers (event times) with ``lo <= hi``.

    Parameters
    ----------
    allow_none : bool
        Accept ``None`` for the whole window (the estimator's default).
    open_ends : bool
        Accept ``None`` at either end (unbounded on that side).
    lo_max, hi_min : int, optional
        Require ``lo <= lo_max`` and ``hi >= hi_min`` (e.g. ``dcdh``: ``lo <= -1``,
        ``hi >= 0``).
    example : tuple
        The example the message shows.
    hint : str
        Text after the example (e.g. ``", or None for every event time"``).
    """

    def __init__(self, allow_none: bool = True, open_ends: bool = False,
                 lo_max: int | None = None, hi_min: int | None = None,
                 example: tuple = (-4, 5), hint: str = ""):
        self.allow_none, self.open_ends = allow_none, open_ends
        self.lo_max, self.hi_min = lo_max, hi_min
        self.example, self.hint = example, hint

    def __call__(self, name: str, value: Any) -> Any:
        if value is None and self.allow_none:
            return None
        ends = "integers or None" if self.open_ends else "integers"
        expected = f"a pair of {ends} (lo, hi) with lo <= hi, e.g. {self.example}"
        if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray) \
                or len(value) != 2:
            raise self._fail(name, expected + self.hint, value)
        lo, hi = value
        for v in (lo, hi):
            if not (_is_int(v) or (v is None and self.open_ends)):
                raise self._fail(name, expected + self.hint, value)
        if lo is not None and hi is not None and lo > hi:
            raise self._fail(name, expected + self.hint, value)
        if self.lo_max is not None and (lo is None or lo > self.lo_max):
            raise self._fail(name, f"{expected}, and lo <= {self.lo_max}", value)
        if self.hi_min is not None and (hi is None or hi < self.hi_min):
            raise self._fail(name, f"{expected}, and hi >= {self.hi_min}", value)
        return (None if lo is None else int(lo), None if hi is None else int(hi))


# the constraints most entry points share
ALPHA = Real(0.0, 1.0, closed="neither")
PROBABILITY = Real(0.0, 1.0)
N_BOOT = Integer(min=2, allow_none=True)
COUNT = Integer(min=0)
SEED = Seed()
PANEL = PanelArg()
OPTIONAL_COLUMN = ColumnName()
FLAG = Boolean()


def check(constraints: Mapping[str, Constraint], **values: Any) -> dict[str, Any]:
    """Check ``values`` against ``constraints`` (argument name -> constraint).

    Parameters
    ----------
    constraints : mapping
        Name -> :class:`Constraint`; names without a value in ``values`` are skipped.
    **values
        The arguments to check.

    Returns
    -------
    dict
        The checked values, normalised, in the order of ``values``.

    Raises
    ------
    SpecificationError
        At the first value that breaks its constraint.
    """
    out = {}
    for name, value in values.items():
        rule = constraints.get(name)
        out[name] = value if rule is None else rule(name, value)
    return out


def validated(**constraints: Constraint) -> Callable:
    """Decorator checking a function's arguments at the door.

    Each keyword names an argument of the decorated function and gives its constraint;
    the argument is checked (and replaced by its normalised value) before the body runs.
    The signature is kept, so ``inspect.signature`` and the documentation see the
    function's own.

    Examples
    --------
    >>> from did_zones.validation import ALPHA, validated
    >>> @validated(alpha=ALPHA)
    ... def level(alpha=0.05):
    ...     return alpha
    >>> level(0.1)
    0.1
    >>> level(1.5)
    Traceback (most recent call last):
    ...
    did_zones.errors.SpecificationError: alpha must lie strictly between 0 and 1; got 1.5.
    """
    def decorate(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        unknown = sorted(set(constraints) - set(sig.parameters))
        if unknown:  # a programming error of the package, caught at import
            raise TypeError(f"validated: {fn.__name__} has no argument(s) {unknown}")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError:
                return fn(*args, **kwargs)  # Python's own error for a wrong call
            for name, value in bound.arguments.items():
                rule = constraints.get(name)
                if rule is not None:
                    bound.arguments[name] = rule(name, value)
            return fn(*bound.args, **bound.kwargs)

        wrapper.__validated__ = dict(constraints)  # type: ignore[attr-defined]
        return wrapper
    return decorate
