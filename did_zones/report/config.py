"""The study configuration: a small TOML file read into a frozen :class:`StudyConfig`.

The file is plain data read with the standard library's ``tomllib`` (or the ``tomli``
backport on Python 3.10); nothing in it is evaluated. Every key is checked at the door: an
unknown key or a value of the wrong type raises :class:`~did_zones.errors.SpecificationError`
naming the full dotted key, what was expected and the fix.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import SpecificationError
from ..estimators.registry import default_study_estimators, study_estimators
from ..vocabulary import AGGREGATIONS, LANGUAGES
from .config_designs import (
    SpatialConfig,
    SyntheticConfig,
    parse_spatial,
    parse_synthetic,
    table_or_none,
)
from .config_values import (
    _bool,
    _choice,
    _enabled,
    _float,
    _int,
    _int_pair,
    _keys,
    _str,
    _str_list,
    _table,
    _type,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "DataConfig",
    "StudySpec",
    "RobustnessConfig",
    "MechanismConfig",
    "StudyConfig",
    "load_config",
    "parse_config",
    "DATA_SUFFIXES",
]

# the estimators a study can run are the registry's (did_zones.estimators.registry), read
# when a file is parsed so that a registered estimator is accepted; ESTIMATORS (module
# attribute, see __getattr__) is the current list
DATA_SUFFIXES = (".csv", ".parquet", ".pq", ".dta")
_EFFECTS = ("none", "homogeneous", "heterogeneous")
_TIMINGS = ("approval_year", "next_year", "half_year")
_COUNTY = ("parent", "drop")
_PLACEBO_KINDS = ("in_space", "in_time", "mixed")
_RESTRICTIONS = ("relative_magnitude", "smoothness")
_MECHANISM = ("channel", "stepwise", "causal", "serial")
_INTERVALS = ("percentile", "bc", "bca")
_SERIAL_TESTS = ("stepwise", "channel")
_PSM_METHODS = ("nearest", "kernel")


@dataclass(frozen=True)
class DataConfig:
    """``[data]``: where the panel comes from and which columns hold its roles."""

    file: Path | None = None
    simulate: Mapping[str, Any] | None = None
    unit: str = "city_code"
    time: str = "year"
    cohort: str = "cohort"
    timing: str = "approval_year"
    county_level: str = "parent"


@dataclass(frozen=True)
class StudySpec:
    """``[study]``: outcomes, specification and presentation.

    ``font`` (``study.font``) is the font of every figure: an installed family name, or the
    absolute path of a font file (a relative path in the file is resolved against the study
    file's folder). ``None`` draws Chinese with an installed CJK font or the bundled one.
    """

    outcomes: tuple[str, ...]
    controls: tuple[str, ...] = ()
    mediators: tuple[str, ...] = ()
    cluster: str = "unit"
    estimators: tuple[str, ...] = field(default_factory=default_study_estimators)
    aggregations: tuple[str, ...] = ("simple", "event")
    control: str = "never"
    event_window: tuple[int, int] = (-4, 5)
    language: str = "en"
    notes: str = "all"  # data-handling notes under tables: "all" | "short" | "none"
    title: str = "Staggered difference-in-differences study"
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    seed: int = 0
    font: str | None = None  # family name or absolute font-file path for every figure
    # thresholds of the report's flags (did_zones.diagnostics.THRESHOLDS keys); empty: defaults
    flags: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    # [study.options.<estimator>]: an estimator's own keyword arguments (triple_difference's
    # group, dml_did's learner, stacked_did's weighting, ...)
    options: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class RobustnessConfig:
    """``[robustness]``: which checks run; ``None`` / ``False`` / empty means skipped."""

    placebo: Mapping[str, Any] | None = None
    psm: Mapping[str, Any] | None = None
    variations: bool = False
    honest: Mapping[str, Any] | None = None
    pretrend_power: bool = False
    heterogeneity: tuple[str, ...] = ()


@dataclass(frozen=True)
class MechanismConfig:
    """``[mechanism]``: how each mediator in ``study.mediators`` is tested.

    With ``method = "serial"`` the mediators form chains: ``chains`` maps a side name to its
    mediators in causal order (``[mechanism.chains] demand = ["ecom", "imports",
    "consumption"]``); without a ``[mechanism.chains]`` table ``study.mediators`` is one
    chain. ``interval`` is the bootstrap interval of every indirect effect and
    ``serial_test`` the serial variant (``"stepwise"``: every path; ``"channel"``: D → M_j
    only), as in :func:`did_zones.mediation`.
    """

    method: str = "channel"
    n_boot: int = 499
    chains: Mapping[str, tuple[str, ...]] | None = None
    interval: str = "bc"
    serial_test: str = "stepwise"

    def mediators(self, study: StudySpec) -> tuple[str, ...]:
        """The mediator columns the mechanism step uses (chain order, each once)."""
        if self.chains:
            return tuple(dict.fromkeys(m for c in self.chains.values() for m in c))
        return tuple(study.mediators)


@dataclass(frozen=True)
class StudyConfig:
    """A validated study description.

    Attributes
    ----------
    data, study, robustness, mechanism
        The four main sections of the file.
    source : pathlib.Path or None
        The TOML file it was read from (``None`` for a built-in config).
    spatial, synthetic : SpatialConfig or SyntheticConfig, optional
        The design sections ``[spatial]`` (spillovers: weight matrix, spatial DiD model,
        rings) and ``[synthetic]`` (single-city designs); None when absent
        (:mod:`did_zones.report.config_designs`).
    """

    data: DataConfig
    study: StudySpec
    robustness: RobustnessConfig = field(default_factory=RobustnessConfig)
    mechanism: MechanismConfig = field(default_factory=MechanismConfig)
    source: Path | None = None
    spatial: SpatialConfig | None = None
    synthetic: SyntheticConfig | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary of the configuration (for ``versions.json``)."""
        return _plain({f.name: getattr(self, f.name) for f in fields(self)})


def _plain(value):
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


# ------------------------------------------------------------------- readers


def load_config(path: str | Path) -> StudyConfig:
    """Read and validate a study TOML file.

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file. A data ``file`` inside it is taken relative to the file's folder.

    Returns
    -------
    StudyConfig

    Raises
    ------
    SpecificationError
        If the file is missing, is not valid TOML, or holds an unknown key or a value of
        the wrong type (the message names the dotted key and the fix).

    Examples
    --------
    >>> from did_zones.report import load_config
    >>> load_config("examples/study.toml").study.outcomes  # doctest: +SKIP
    ('isu', 'ts')
    """
    path = Path(path)
    if not path.is_file():
        raise SpecificationError(f"Study file {str(path)!r} not found. Check the path, or "
                                 "start from examples/study.toml.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecificationError(f"{path.name} is not valid TOML: {exc}. Fix the syntax "
                                 "(strings in double quotes, lists in [ ]).") from None
    return parse_config(raw, base_dir=path.parent, source=path)


def parse_config(raw: Mapping[str, Any], base_dir: str | Path = ".",
                 source: Path | None = None) -> StudyConfig:
    """Validate a parsed TOML mapping into a :class:`StudyConfig`.

    Parameters
    ----------
    raw : mapping
        The parsed file (``tomllib.loads``) or an equivalent dictionary.
    base_dir : str or pathlib.Path
        Folder against which a relative ``data.file`` or ``study.font`` path is resolved.
    source : pathlib.Path, optional
        Recorded as :attr:`StudyConfig.source`.

    Returns
    -------
    StudyConfig

    Raises
    ------
    SpecificationError
        On an unknown key, a missing required key or a wrong type or value.
    """
    _keys(raw, "", ("data", "study", "robustness", "mechanism", "spatial", "synthetic"))
    for name in ("data", "study"):
        if name not in raw:
            raise SpecificationError(f"Section [{name}] is missing. Add it; see "
                                     "examples/study.toml.")
    data = _data(_table(raw["data"], "data"), Path(base_dir))
    study = _study(_table(raw["study"], "study"), Path(base_dir))
    robustness = _robustness(_table(raw.get("robustness", {}), "robustness"))
    mechanism = _mechanism(_table(raw.get("mechanism", {}), "mechanism"), study)
    spatial = table_or_none(raw, "spatial")
    synthetic = table_or_none(raw, "synthetic")
    for section, value in (("spatial", spatial), ("synthetic", synthetic)):
        unknown = [y for y in (value or {}).get("outcomes", []) if y not in study.outcomes]
        if unknown:
            raise SpecificationError(
                f"{section}.outcomes: {unknown} are not study outcomes "
                f"({list(study.outcomes)}); list them in study.outcomes first.")
    return StudyConfig(
        data=data, study=study, robustness=robustness, mechanism=mechanism, source=source,
        spatial=None if spatial is None else parse_spatial(spatial, Path(base_dir)),
        synthetic=None if synthetic is None else parse_synthetic(synthetic))


# ------------------------------------------------------------------ sections


def _data(t: Mapping, base: Path) -> DataConfig:
    _keys(t, "data", ("file", "simulate", "unit", "time", "cohort", "timing",
                      "county_level"))
    if ("file" in t) == ("simulate" in t):
        raise SpecificationError(
            "data: give exactly one of data.file (a CSV/Parquet/Stata path) or data.simulate "
            "(e.g. simulate = {seed = 1, effect = \"heterogeneous\"}).")
    file = simulate = None
    if "file" in t:
        name = _str(t["file"], "data.file")
        file = (base / name).resolve()
        if file.suffix.lower() not in DATA_SUFFIXES:
            raise SpecificationError(
                f"data.file: unsupported file type {file.suffix!r}. Use one of "
                f"{', '.join(DATA_SUFFIXES)} (save Excel sheets as CSV).")
        if not file.is_file():
            raise SpecificationError(
                f"data.file: {str(file)!r} not found. Paths are relative to the study "
                "file's folder; fix the path.")
    else:
        s = _table(t["simulate"], "data.simulate")
        _keys(s, "data.simulate", ("seed", "effect", "years", "timing", "county_level",
                                   "mechanism", "spillover"))
        sim: dict[str, Any] = {"seed": _int(s.get("seed", 0), "data.simulate.seed")}
        if "effect" in s:
            sim["effect"] = _choice(s["effect"], "data.simulate.effect", _EFFECTS)
        if "years" in s:
            sim["years"] = _int_pair(s["years"], "data.simulate.years")
        if "timing" in s:
            sim["timing"] = _choice(s["timing"], "data.simulate.timing", _TIMINGS)
        if "county_level" in s:
            sim["county_level"] = _choice(s["county_level"], "data.simulate.county_level",
                                          _COUNTY)
        if "mechanism" in s:
            sim["mechanism"] = _sim_mechanism(s["mechanism"])
        if "spillover" in s:
            sim["spillover"] = _sim_spillover(s["spillover"])
        simulate = MappingProxyType(sim)
    return DataConfig(
        file=file, simulate=simulate,
        unit=_str(t.get("unit", "city_code"), "data.unit"),
        time=_str(t.get("time", "year"), "data.time"),
        cohort=_str(t.get("cohort", "cohort"), "data.cohort"),
        timing=_choice(t.get("timing", "approval_year"), "data.timing", _TIMINGS),
        county_level=_choice(t.get("county_level", "parent"), "data.county_level", _COUNTY),
    )


def _study(t: Mapping, base: Path) -> StudySpec:
    _keys(t, "study", ("outcomes", "controls", "mediators", "cluster", "estimators",
                       "aggregations", "control", "event_window", "language", "title",
                       "labels", "seed", "notes", "font", "flags", "options"))
    if "outcomes" not in t:
        raise SpecificationError('study.outcomes is missing. Add e.g. outcomes = ["isu"].')
    outcomes = _str_list(t["outcomes"], "study.outcomes")
    if not outcomes:
        raise SpecificationError('study.outcomes is empty. List at least one outcome '
                                 'column, e.g. outcomes = ["isu"].')
    known = study_estimators()
    estimators = _str_list(t.get("estimators", list(default_study_estimators())),
                           "study.estimators")
    for i, name in enumerate(estimators):
        _choice(name, f"study.estimators[{i}]", known, what="estimator")
    aggregations = _str_list(t.get("aggregations", ["simple", "event"]), "study.aggregations")
    for i, name in enumerate(aggregations):
        _choice(name, f"study.aggregations[{i}]", AGGREGATIONS, what="aggregation")
    window = _int_pair(t.get("event_window", [-4, 5]), "study.event_window")
    if not window[0] < 0 <= window[1]:
        raise SpecificationError(
            f"study.event_window: expected [first lead < 0, last lag >= 0]; got "
            f"{list(window)}. Use e.g. event_window = [-4, 5].")
    labels = _table(t.get("labels", {}), "study.labels")
    clean = {}
    for key, value in labels.items():
        clean[key] = _str(value, f"study.labels.{key}")
    return StudySpec(
        outcomes=outcomes,
        controls=_str_list(t.get("controls", []), "study.controls"),
        mediators=_str_list(t.get("mediators", []), "study.mediators"),
        cluster=_str(t.get("cluster", "unit"), "study.cluster"),
        estimators=estimators,
        aggregations=aggregations,
        control=_choice(t.get("control", "never"), "study.control", ("never", "not_yet")),
        event_window=window,
        language=_choice(t.get("language", "en"), "study.language", LANGUAGES),
        notes=_choice(t.get("notes", "all"), "study.notes", ("all", "short", "none")),
        title=_str(t.get("title", StudySpec.title), "study.title"),
        labels=MappingProxyType(clean),
        seed=_int(t.get("seed", 0), "study.seed"),
        font=_font(t["font"], base) if "font" in t else None,
        flags=_flags(t.get("flags", {})),
        options=_options(t.get("options", {}), estimators),
    )


# options a study sets for every estimator (study.control, study.cluster, study.controls)
_STUDY_WIDE = {"control": "study.control", "cluster": "study.cluster"}


def _options(value: Any, estimators: tuple[str, ...]) -> Mapping[str, Mapping[str, Any]]:
    """``[study.options.<estimator>]``: keyword arguments of a listed estimator, each an
    option of its function (scalars, or lists read as tuples)."""
    from ..estimators.registry import get_spec

    table = _table(value, "study.options")
    out: dict[str, Mapping[str, Any]] = {}
    for name, raw in table.items():
        where = f"study.options.{name}"
        if name not in estimators:
            raise SpecificationError(
                f"{where}: {name!r} is not in study.estimators {list(estimators)}. Add it "
                "there, or remove its options.")
        spec = get_spec(name)
        own = _table(raw, where)
        fixed = set(_STUDY_WIDE) | ({"controls"} if spec.study_controls else set())
        if spec.window is not None:  # the study's event_window sets these
            fixed |= set(spec.window((-1, 0)))
        settable = sorted(spec.options - fixed)
        clean: dict[str, Any] = {}
        for key, v in own.items():
            if key in fixed:
                raise SpecificationError(
                    f"{where}.{key}: set by the study for every estimator; use "
                    f"{_STUDY_WIDE.get(key, 'study.controls' if key == 'controls' else 'study.event_window')} "
                    "instead.")
            _keys({key: v}, where, tuple(settable))
            if isinstance(v, list):
                v = tuple(v)
            if isinstance(v, Mapping) or (isinstance(v, tuple)
                                          and any(isinstance(x, Mapping | list) for x in v)):
                raise SpecificationError(
                    f"{where}.{key}: expected a number, string, boolean or a list of them; "
                    f"got {v!r}.")
            clean[key] = v
        out[name] = MappingProxyType(clean)
    return MappingProxyType(out)


def _flags(value: Any) -> Mapping[str, float]:
    """``study.flags``: thresholds of the report's flags, each checked for its range."""
    from ..diagnostics import THRESHOLDS

    table = _table(value, "study.flags")
    _keys(table, "study.flags", tuple(THRESHOLDS))
    out: dict[str, float] = {}
    for key, raw in table.items():
        where = f"study.flags.{key}"
        if key == "min_cohort_units":
            number = float(_int(raw, where))
            ok, want = number >= 1, "an integer >= 1"
        elif key == "negative_weight":
            number = _float(raw, where)
            ok, want = number >= 0, "a number >= 0 (0 flags any negative weight)"
        else:
            number = _float(raw, where)
            ok, want = 0 < number < 1, "a share strictly between 0 and 1"
        if not ok:
            raise SpecificationError(f"{where} must be {want}; got {raw!r}. Use e.g. "
                                     f"{key} = {THRESHOLDS[key]:g}.")
        out[key] = number
    return MappingProxyType(out)


def _font(value: Any, base: Path) -> str:
    """``study.font``: an installed family name, or a font file relative to the study file."""
    from ..plots import fonts as _fonts

    font = _str(value, "study.font")
    if _fonts.is_font_path(font):
        path = (base / Path(font).expanduser()).resolve()
        if not path.is_file():
            raise SpecificationError(
                f"study.font: font file {str(path)!r} not found. Paths are relative to the "
                "study file's folder; give an existing .ttf/.otf/.ttc file, or an installed "
                "family name such as font = \"Noto Sans CJK SC\".")
        font = str(path)
    try:
        _fonts.resolve_font(font)
    except SpecificationError as exc:
        raise SpecificationError(f"study.font: {exc} Or remove study.font: Chinese is then "
                                 "drawn with an installed CJK font or the bundled one.") from None
    return font


def _robustness(t: Mapping) -> RobustnessConfig:
    _keys(t, "robustness", ("placebo", "psm", "variations", "honest", "pretrend_power",
                            "heterogeneity"))
    placebo = psm = honest = None
    if _enabled(t, "placebo"):
        p = _table(t["placebo"], "robustness.placebo", allow_bool=True)
        _keys(p, "robustness.placebo", ("kind", "n_draws", "shift"))
        n_draws = _int(p.get("n_draws", 500), "robustness.placebo.n_draws")
        if n_draws < 1:
            raise SpecificationError(f"robustness.placebo.n_draws: expected a positive "
                                     f"integer; got {n_draws}. Use e.g. n_draws = 500.")
        placebo = MappingProxyType({
            "kind": _choice(p.get("kind", "in_space"), "robustness.placebo.kind",
                            _PLACEBO_KINDS),
            "n_draws": n_draws,
            "shift": _int(p.get("shift", 2), "robustness.placebo.shift"),
        })
    if _enabled(t, "psm"):
        p = _table(t["psm"], "robustness.psm")
        _keys(p, "robustness.psm", ("covariates", "k", "caliper", "method", "replacement"))
        if "covariates" not in p:
            raise SpecificationError('robustness.psm.covariates is missing. Add e.g. '
                                     'covariates = ["lngdp_pc", "lnpop"].')
        options: dict[str, Any] = {
            "covariates": _str_list(p["covariates"], "robustness.psm.covariates"),
            "k": _int(p.get("k", 1), "robustness.psm.k"),
            "method": _choice(p.get("method", "nearest"), "robustness.psm.method",
                              _PSM_METHODS),
            "replacement": _bool(p.get("replacement", True), "robustness.psm.replacement"),
        }
        if "caliper" in p:
            options["caliper"] = _float(p["caliper"], "robustness.psm.caliper")
        psm = MappingProxyType(options)
    if _enabled(t, "honest"):
        p = _table(t["honest"], "robustness.honest", allow_bool=True)
        _keys(p, "robustness.honest", ("restriction", "m_values"))
        m_values = p.get("m_values")
        if m_values is not None:
            if not isinstance(m_values, list):
                raise _type("robustness.honest.m_values", "a list of numbers", m_values,
                            "m_values = [0, 0.5, 1]")
            m_values = tuple(_float(v, f"robustness.honest.m_values[{i}]")
                             for i, v in enumerate(m_values))
        honest = MappingProxyType({
            "restriction": _choice(p.get("restriction", "relative_magnitude"),
                                   "robustness.honest.restriction", _RESTRICTIONS),
            "m_values": m_values,
        })
    return RobustnessConfig(
        placebo=placebo, psm=psm, honest=honest,
        variations=_bool(t.get("variations", False), "robustness.variations"),
        pretrend_power=_bool(t.get("pretrend_power", False), "robustness.pretrend_power"),
        heterogeneity=_str_list(t.get("heterogeneity", []), "robustness.heterogeneity"),
    )


def _sim_mechanism(value: Any) -> bool | Mapping[str, Any]:
    """``data.simulate.mechanism``: true / false, or a table of edge coefficients and channel
    switches (checked here by the simulator's own parser, so errors come at the door)."""
    from .._simchain import parse_mechanism

    where = "data.simulate.mechanism"
    if isinstance(value, bool):
        return value
    if not isinstance(value, Mapping):
        raise _type(where, "true, false or a table", value,
                    'mechanism = true, or mechanism = { "ecom->imports" = 0.2, '
                    "supply = false }")
    try:
        parse_mechanism(dict(value))
    except SpecificationError as exc:
        raise SpecificationError(f"{where}: {exc}") from None
    return MappingProxyType(dict(value))


def _sim_spillover(value: Any) -> float | Mapping[float, float]:
    """``data.simulate.spillover``: a number (the effect within 100 km of a pilot city) or a
    table ring outer edge in km -> effect (TOML keys are text: ``{ "50" = 0.01 }``), checked
    by the simulator's own parser."""
    from .._simspill import parse_spillover

    where = "data.simulate.spillover"
    if isinstance(value, Mapping):
        try:
            value = {float(k): v for k, v in value.items()}
        except ValueError:
            raise SpecificationError(
                f"{where}: the keys are ring outer edges in km; got {list(value)}. Write "
                'e.g. spillover = { "50" = 0.01, "100" = 0.005 }.') from None
    try:
        parse_spillover(value)
    except SpecificationError as exc:
        raise SpecificationError(f"{where}: {exc}") from None
    return MappingProxyType(value) if isinstance(value, Mapping) else value


def _mechanism(t: Mapping, study: StudySpec | None = None) -> MechanismConfig:
    _keys(t, "mechanism", ("method", "n_boot", "chains", "interval", "serial_test"))
    n_boot = _int(t.get("n_boot", 499), "mechanism.n_boot")
    if n_boot < 0:
        raise SpecificationError(f"mechanism.n_boot: expected an integer >= 0; got {n_boot}."
                                 " Use e.g. n_boot = 499 (0 skips the bootstrap).")
    method = _choice(t.get("method", "channel"), "mechanism.method", _MECHANISM)
    serial_only = [k for k in ("chains", "serial_test") if k in t]
    if method != "serial" and serial_only:
        raise SpecificationError(
            f"mechanism.{serial_only[0]}: only used with method = \"serial\" (chain "
            f"mediation); the method is {method!r}. Set method = \"serial\" or remove "
            f"mechanism.{serial_only[0]}.")
    chains = None
    if "chains" in t:
        chains = _chains(t["chains"], study)
    elif method == "serial" and study is not None and not study.mediators:
        raise SpecificationError(
            'mechanism: method = "serial" needs its chain(s). Add [mechanism.chains] with '
            'one list per side, e.g. demand = ["ecom", "imports", "consumption"] and '
            'supply = ["ecom", "exports", "innovation"], or list one chain in causal order '
            'as study.mediators.')
    return MechanismConfig(
        method=method, n_boot=n_boot, chains=chains,
        interval=_choice(t.get("interval", "bc"), "mechanism.interval", _INTERVALS),
        serial_test=_choice(t.get("serial_test", "stepwise"), "mechanism.serial_test",
                            _SERIAL_TESTS))


def _chains(value: Any, study: StudySpec | None) -> Mapping[str, tuple[str, ...]]:
    """``[mechanism.chains]``: side name -> mediators in causal order; the graph they make
    is checked (no repeat within a chain, no cycle, no reserved side name) here."""
    from ..mechanism.serial import build_graph

    table = _table(value, "mechanism.chains")
    if not table:
        raise SpecificationError(
            'mechanism.chains is empty. List one chain per side, e.g. demand = ["ecom", '
            '"imports", "consumption"] and supply = ["ecom", "exports", "innovation"].')
    chains = {}
    for name, chain in table.items():
        where = f"mechanism.chains.{name}"
        chains[name] = _str_list(chain, where)
        if not chains[name]:
            raise SpecificationError(f"{where} is empty. List its mediator columns in causal "
                                     'order, e.g. ["ecom", "imports", "consumption"].')
    try:
        build_graph(None, chains)
    except SpecificationError as exc:
        raise SpecificationError(f"mechanism.chains: {exc}") from None
    if study is not None and study.mediators:
        listed = set(m for c in chains.values() for m in c)
        extra = [m for m in study.mediators if m not in listed]
        if extra:
            raise SpecificationError(
                f"study.mediators lists {', '.join(map(repr, extra))}, which no chain in "
                "[mechanism.chains] holds. With chains the mechanism uses the chains' "
                "mediators: add the column to a chain or remove it from study.mediators.")
    return MappingProxyType(chains)


# ------------------------------------------------------------------- checkers


def __getattr__(name: str):
    if name == "ESTIMATORS":  # the registry's study estimators, as of now
        return study_estimators()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
