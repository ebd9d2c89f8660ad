"""Run a study described by a :class:`~did_zones.report.config.StudyConfig`.

:func:`run_study` estimates everything the configuration asks for and returns a frozen
:class:`StudyOutput`: named results, tables and figures arranged in report sections. Nothing is
written to disk here (see :mod:`did_zones.report.render`).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from .config import StudyConfig
from .parts import (  # noqa: F401  (re-exported: the runner's public names since 0.1)
    TEXT,
    TITLES,
    Item,
    Section,
    _check_columns,
    _read_data,
    load_panel,
    report_title,
    text,
)
from .steps import STEPS, _frame

__all__ = ["Item", "Section", "StudyOutput", "run_study", "load_panel", "text", "report_title"]


@dataclass(frozen=True)
class StudyOutput:
    """Everything a study produced.

    Attributes
    ----------
    config : StudyConfig
    panel : Panel
    results : mapping
        Name -> Result, HypothesisTest, MatchResult, HonestResult, PretrendPower or
        MediationResult.
    tables : mapping
        Name -> :class:`did_zones.tables.Table`.
    figures : mapping
        Name -> matplotlib Figure.
    sections : tuple of Section
        The report layout, in order.
    warnings : tuple of str
        Every warning raised while running, once each.
    seeds : mapping
        Seed used by each random step.
    simulation : SimulatedPanel or None
        The simulator's output (with its ``truth``) when the data were simulated.
    """

    config: StudyConfig
    panel: Any
    results: Mapping[str, Any]
    tables: Mapping[str, Any]
    figures: Mapping[str, Any]
    sections: tuple[Section, ...]
    warnings: tuple[str, ...] = ()
    seeds: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    simulation: Any = None


# ------------------------------------------------------------------ the study


class _Run:
    """Mutable scratchpad while the study runs; frozen into a StudyOutput at the end."""

    def __init__(self, config: StudyConfig, progress: bool):
        self.config = config
        self.progress = progress
        self.results: dict[str, Any] = {}
        self.tables: dict[str, Any] = {}
        self.figures: dict[str, Any] = {}
        self.sections: list[Section] = []
        self.seeds: dict[str, int] = {}
        self.words = TITLES[config.study.language]
        self.sim = None

    def say(self, step: int, total: int, text: str) -> None:
        if self.progress:
            print(f"[{step}/{total}] {text}", file=sys.stderr, flush=True)

    def section(self, key: str, *items: Item) -> None:
        if items:
            self.sections.append(Section(key, self.words[key], tuple(items)))

    def table(self, name: str, table) -> Item:
        self.tables[name] = table
        return Item("table", name)

    def figure(self, name: str, fig) -> Item:
        self.figures[name] = fig
        return Item("figure", name)


def run_study(config: StudyConfig, *, progress: bool = True) -> StudyOutput:
    """Run every step of a study.

    Parameters
    ----------
    config : StudyConfig
        A validated configuration (:func:`~did_zones.report.load_config`).
    progress : bool
        Print one line per step (``[3/9] placebo: 500 draws ...``) on stderr.

    Returns
    -------
    StudyOutput

    Raises
    ------
    SpecificationError
        If a configured column is absent from the data.
    """
    run = _Run(config, progress)
    steps: list[tuple[str, Callable]] = [(label(config), fn) for label, fn, on in STEPS
                                         if on(config)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # the report holds its figures open until it writes them, and a notebook may hold
        # more: matplotlib's open-figure count is not a note about the study
        warnings.filterwarnings("ignore", message=r"More than \d+ figures have been opened",
                                category=RuntimeWarning)
        for i, (text, fn) in enumerate(steps, start=1):
            run.say(i, len(steps), text)
            fn(run)
    seen: dict[str, None] = {}
    for w in caught:
        seen.setdefault(f"{w.category.__name__}: {w.message}", None)
    _closing_sections(run, tuple(seen))
    return StudyOutput(
        config=config, panel=run.results.get("__panel__"),
        results=MappingProxyType({k: v for k, v in run.results.items() if k != "__panel__"}),
        tables=MappingProxyType(run.tables), figures=MappingProxyType(run.figures),
        sections=tuple(run.sections), warnings=tuple(seen),
        seeds=MappingProxyType(run.seeds), simulation=run.sim)


def versions() -> dict[str, str]:
    """Versions of Python, did_zones and the packages behind the numbers and figures."""
    import platform
    from importlib import metadata

    from .. import __version__

    out = {"python": platform.python_version(), "did_zones": __version__}
    for name in ("numpy", "pandas", "scipy", "statsmodels", "joblib",
                 "matplotlib", "python-docx"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _closing_sections(run: _Run, caught: tuple[str, ...]) -> None:
    zh = run.config.study.language == "zh"
    if zh:
        from ..tables.zh_notes import translate_note
    else:
        def translate_note(note: str) -> str:
            return note
    notes: dict[str, None] = {}
    for name, res in run.results.items():
        for note in getattr(res, "notes", ()) or ():
            notes.setdefault(f"{name}{'：' if zh else ': '}{translate_note(note)}", None)
    # every note and warning stays here whatever study.notes says: tables point to it
    items = [Item("text", text(run, "warnings_head"))]
    items += [Item("text", translate_note(w)) for w in caught] or [
        Item("text", text(run, "none"))]
    items.append(Item("text", text(run, "notes_head")))
    items += [Item("text", n) for n in notes] or [Item("text", text(run, "none"))]
    run.section("warnings", *items)
    rows = [("package", k, v) for k, v in versions().items()]
    rows += [("seed", k, str(v)) for k, v in {"study": run.config.study.seed,
                                              **run.seeds}.items()]
    frame = pd.DataFrame(rows, columns=["kind", "name", "value"])
    run.section("versions", Item("text", text(run, "versions_text")),
                run.table("versions", _frame(frame, text(run, "versions_title"), run=run)))
