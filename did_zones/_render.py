"""Where result types meet their presentation, without importing it.

Numerical modules (``result.py``, ``estimators/``, ``mechanism/``, ``robustness/`` ...) never
import :mod:`did_zones.tables`, :mod:`did_zones.plots` or :mod:`did_zones.report`. Yet every
public result has ``summary()`` (text) and ``to_table()`` (a :class:`~did_zones.tables.Table`).
This neutral module joins the two: the presentation layer registers one renderer per
(result type, kind) when it is imported, and the result methods call :func:`render`, which
loads the presentation layer by module name the first time nothing is registered. The arrow
of imports thus points from presentation to numerics only; numerics name the presentation
layer as data (a module path), never as an import.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any, Literal, TypeVar

__all__ = ["register", "render", "Kind"]

Kind = Literal["summary", "table", "verdict"]
KINDS: tuple[str, ...] = ("summary", "table", "verdict")

#: Module that registers the renderers when imported (the presentation layer).
PRESENTATION = "did_zones.tables"

# (dotted class name, kind) -> renderer. Keyed by name, not by class, so that registering
# does not import the numerical module that defines the class.
_RENDERERS: dict[tuple[str, str], Callable[..., Any]] = {}

F = TypeVar("F", bound=Callable[..., Any])


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register(cls: type | str, kind: Kind) -> Callable[[F], F]:
    """Decorator: ``fn(obj, **options)`` renders instances of ``cls`` as ``kind``.

    Parameters
    ----------
    cls : type or str
        The result type, or its dotted name (``"did_zones.result.Result"``), so that the
        presentation layer can register without importing the numerical module.
        Subclasses inherit the renderer unless they register their own.
    kind : {"summary", "table", "verdict"}
        ``"summary"`` returns printable text; ``"table"`` a :class:`~did_zones.tables.Table`;
        ``"verdict"`` one sentence.

    Returns
    -------
    callable
        The decorator, which returns ``fn`` unchanged.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}; got {kind!r}.")

    def decorate(fn: F) -> F:
        _RENDERERS[(cls if isinstance(cls, str) else _name(cls), kind)] = fn
        return fn

    return decorate


def _lookup(cls: type, kind: str) -> Callable[..., Any] | None:
    for base in cls.__mro__:
        fn = _RENDERERS.get((_name(base), kind))
        if fn is not None:
            return fn
    return None


def render(obj: Any, kind: Kind, **options: Any) -> Any:
    """Render ``obj`` as ``kind`` with the renderer registered for its type.

    Parameters
    ----------
    obj : object
        A result.
    kind : {"summary", "table", "verdict"}
        What to produce.
    **options
        Passed to the renderer (e.g. ``alpha``).

    Returns
    -------
    str or Table

    Raises
    ------
    NotImplementedError
        No renderer is registered for the type, even after loading the presentation layer.
    """
    fn = _lookup(type(obj), kind)
    if fn is None:  # the presentation layer registers itself on import
        import_module(PRESENTATION)
        fn = _lookup(type(obj), kind)
    if fn is None:
        raise NotImplementedError(
            f"No {kind} renderer is registered for {type(obj).__name__}; register one with "
            "did_zones._render.register in the presentation layer.")
    return fn(obj, **options)
