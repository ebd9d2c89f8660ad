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

from ..errors import SpecificationError
from .config import StudyConfig

__all__ = ["Item", "Section", "StudyOutput", "run_study", "load_panel"]


@dataclass(frozen=True)
class Item:
    """One element of a report section: a named table or figure, or a paragraph of text."""

    kind: str  # "table" | "figure" | "text"
    value: str  # table/figure name, or the (unescaped) text


@dataclass(frozen=True)
class Section:
    """A report section: a key (used for anchors), a heading and its items."""

    key: str
    title: str
    items: tuple[Item, ...]


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


# section titles in the report's two languages
TITLES = {
    "en": {
        "adoption": "Adoption and data", "summary": "Summary statistics",
        "main": "Main results", "event": "Event study",
        "comparison": "Staggered-robust comparison", "bacon": "Bacon diagnostic",
        "mechanism": "Mechanism", "robustness": "Robustness",
        "heterogeneity": "Heterogeneity", "warnings": "Warnings and dropped data",
        "versions": "Versions and seeds",
    },
    "zh": {
        "adoption": "试点批次与数据", "summary": "描述性统计", "main": "基准回归",
        "event": "事件研究", "comparison": "异质性稳健估计量比较", "bacon": "Bacon 分解诊断",
        "mechanism": "机制检验", "robustness": "稳健性检验", "heterogeneity": "异质性分析",
        "warnings": "警告与删除的数据", "versions": "版本与随机种子",
    },
}


def load_panel(config: StudyConfig):
    """Build the study's Panel from ``config.data`` (file or simulator).

    Returns
    -------
    (Panel, DataFrame or None)
        The panel, and the simulator's output object when the data were simulated
        (``None`` otherwise) so that callers can reach the truth.
    """
    from ..panel import build_panel
    from ..simulate import simulate_pilot_panel
    from ..zone_panel import zone_panel

    d = config.data
    sim = None
    if d.simulate is not None:
        sim = simulate_pilot_panel(**dict(d.simulate))
        frame = sim.data
    else:
        suffix = d.file.suffix.lower()
        if suffix == ".csv":
            frame = pd.read_csv(d.file)
        elif suffix == ".dta":
            frame = pd.read_stata(d.file)
        else:
            frame = pd.read_parquet(d.file)
    _check_columns(frame, config)
    if d.cohort == "registry":
        panel = zone_panel(frame, unit=d.unit, time=d.time, timing=d.timing,
                           county_level=d.county_level)
    else:
        panel = build_panel(frame, unit=d.unit, time=d.time, cohort=d.cohort)
    return panel, sim


def _check_columns(frame: pd.DataFrame, config: StudyConfig) -> None:
    import difflib

    s, r = config.study, config.robustness
    wanted = {"data.unit": [config.data.unit], "data.time": [config.data.time],
              "study.outcomes": s.outcomes, "study.controls": s.controls,
              "study.mediators": s.mediators,
              "robustness.psm.covariates": (r.psm or {}).get("covariates", ())}
    if config.data.cohort != "registry":
        wanted["data.cohort"] = [config.data.cohort]
    if s.cluster != "unit":
        wanted["study.cluster"] = [s.cluster]
    for key, columns in wanted.items():
        for col in columns:
            if col not in frame.columns:
                close = difflib.get_close_matches(col, [str(c) for c in frame.columns], n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise SpecificationError(
                    f"{key}: column {col!r} not found in the data ({frame.shape[1]} columns, "
                    f"e.g. {', '.join(map(str, frame.columns[:5]))}).{hint} Fix the name in "
                    "the study file.")


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
    from .steps import STEPS

    run = _Run(config, progress)
    steps: list[tuple[str, Callable]] = [(label(config), fn) for label, fn, on in STEPS
                                         if on(config)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
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
    for name in ("numpy", "pandas", "scipy", "statsmodels", "linearmodels", "joblib",
                 "matplotlib", "python-docx"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _closing_sections(run: _Run, caught: tuple[str, ...]) -> None:
    from .steps import _frame

    notes: dict[str, None] = {}
    for name, res in run.results.items():
        for note in getattr(res, "notes", ()) or ():
            notes.setdefault(f"{name}: {note}", None)
    items = [Item("text", "Warnings raised while running the study (each once):")]
    items += [Item("text", w) for w in caught] or [Item("text", "none")]
    items.append(Item("text", "Notes the results carry on dropped or adjusted data:"))
    items += [Item("text", n) for n in notes] or [Item("text", "none")]
    run.section("warnings", *items)
    rows = [("package", k, v) for k, v in versions().items()]
    rows += [("seed", k, str(v)) for k, v in {"study": run.config.study.seed,
                                              **run.seeds}.items()]
    frame = pd.DataFrame(rows, columns=["kind", "name", "value"])
    run.section("versions", Item("text", "Every random step draws from the seed shown; "
                                         "versions.json repeats these with the full "
                                         "configuration."),
                run.table("versions", _frame(frame, "Versions and seeds")))
