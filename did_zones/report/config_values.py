"""Checked readers of the study file's values: each names the dotted key, what was expected
and the fix when a value is wrong (shared by every section parser)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from ..errors import SpecificationError
from ..estimators.registry import aliases


def _enabled(t: Mapping, key: str) -> bool:
    """A check is on when its key holds a table or ``true``; ``false`` or absent is off."""
    return key in t and t[key] is not False


def _type(key: str, expected: str, value: Any, example: str) -> SpecificationError:
    return SpecificationError(f"{key}: expected {expected}; got {type(value).__name__} "
                              f"{value!r}. Write e.g. {example}.")


def _keys(t: Mapping, where: str, allowed: tuple[str, ...]) -> None:
    for key in t:
        if key not in allowed:
            dotted = f"{where}.{key}" if where else key
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SpecificationError(f"{dotted}: unknown key. Allowed keys here: "
                                     f"{', '.join(allowed)}.{hint}")


def _table(value: Any, key: str, allow_bool: bool = False) -> Mapping:
    if allow_bool and value is True:
        return {}
    if not isinstance(value, Mapping):
        raise _type(key, "a table", value, f"[{key}] with key = value lines")
    return value


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise _type(key, "a string", value, f'{key.rsplit(".", 1)[-1]} = "..."')
    return value


def _str_list(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _type(key, "a list of strings", value, f'{key.rsplit(".", 1)[-1]} = ["a", "b"]')
    return tuple(_str(v, f"{key}[{i}]") for i, v in enumerate(value))


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type(key, "an integer", value, f"{key.rsplit('.', 1)[-1]} = 1")
    return value


def _float(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _type(key, "a number", value, f"{key.rsplit('.', 1)[-1]} = 0.5")
    return float(value)


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise _type(key, "true or false", value, f"{key.rsplit('.', 1)[-1]} = true")
    return value


def _int_pair(value: Any, key: str) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise _type(key, "a list of two integers", value, f"{key.rsplit('.', 1)[-1]} = [-4, 5]")
    return (_int(value[0], f"{key}[0]"), _int(value[1], f"{key}[1]"))


def _choice(value: Any, key: str, allowed: tuple[str, ...], what: str = "value") -> str:
    value = _str(value, key)
    if value not in allowed:
        close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.5)
        alias = aliases().get(value.lower()) if what == "estimator" else None
        if alias in allowed:  # a name replicators know from Stata / R
            close = [alias]
        hint = f"; did you mean {close[0]!r}?" if close else "."
        raise SpecificationError(f"{key}: unknown {what} {value!r}. Use one of "
                                 f"{', '.join(repr(a) for a in allowed)}{hint}")
    return value
