"""The estimator registry: one :class:`EstimatorSpec` per estimator, declared once.

Everything that needs to know which estimators exist reads this registry: the top-level
names of ``did_zones`` (``dz.twfe``), :func:`did_zones.robustness.rerun` and the
re-estimating robustness checks (placebo, PSM-DiD, variations), the study configuration
(``study.estimators``) and the study report (its event-study figure and comparison table).
A new estimator is its own module in ``did_zones/estimators/`` plus one entry in
:data:`REGISTRY` (see ``docs/developer/adding_an_estimator.md``); :func:`register` adds one
at run time.

Each entry declares:

* ``name``, ``module`` and the function, imported on first use (``import did_zones`` stays
  fast);
* ``family``: ``"regression"`` (TWFE-type regressions), ``"staggered"``
  (heterogeneity-robust estimators), ``"mechanism"`` (estimators of a channel that need
  more than an outcome, e.g. the endogenous variable of an IV-DiD: not run by a study's
  estimator loop) or ``"diagnostic"`` (decompositions that are not estimates of an effect:
  not in studies or comparisons);
* its option vocabulary: the values of the shared ``control`` argument it accepts
  (:data:`did_zones.vocabulary.CONTROLS`; ``()`` when it has no ``control=``); the other
  options are read from the function's signature, so they are never declared twice;
* its event-window adapter: how a common ``window=(lo, hi)`` request maps to its
  arguments (``None``: no event-time results);
* the aggregations it supports (Callaway–Sant'Anna's ``aggregate`` kinds) and the tests
  that apply to its results, or the reason one does not apply;
* how a report shows it: its display labels, whether it is shown through its aggregations,
  whether the comparison table shows it, and whether the report adds its static estimate.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from types import MappingProxyType
from typing import Any, Literal

from ..errors import SpecificationError
from ..vocabulary import AGGREGATIONS, CONTROLS, SHARED_OPTIONS

__all__ = [
    "EstimatorSpec", "REGISTRY", "register", "unregister", "get_spec", "get_estimator",
    "estimator_names", "study_estimators", "default_study_estimators", "aliases", "specs",
    "window_arg", "Family",
    "TESTS",
]

Family = Literal["regression", "staggered", "mechanism", "diagnostic"]
FAMILIES: tuple[str, ...] = ("regression", "staggered", "mechanism", "diagnostic")

# the checks that take a result of an estimator; a spec lists those that apply to it
TESTS: tuple[str, ...] = (
    "pretrend",        # a pre-trend Wald / F test in the result (extra["pretrend_test"])
    "placebo",         # robustness.placebo (re-estimates on placebo assignments)
    "placebo_fast",    # ... with the Frisch-Waugh-Lovell fast path
    "honest_did",      # HonestDiD sensitivity of its event-time terms
    "pretrend_power",  # Roth (2022) power of its pre-trend test
    "psm",             # PSM-DiD (re-estimates with matching weights)
    "variations",      # robustness.variations (sample trims, timing rules, ...)
    "wild_bootstrap",  # robustness.wild_bootstrap (wild cluster bootstrap, boottest)
)


def window_arg(window: tuple[int, int]) -> dict[str, Any]:
    """The event-window adapter of estimators that take ``window=(lo, hi)`` as it is."""
    return {"window": (int(window[0]), int(window[1]))}


@dataclass(frozen=True)
class EstimatorSpec:
    """The declaration of one estimator.

    Parameters
    ----------
    name : str
        The public name: ``dz.<name>``, ``Result.method``, ``study.estimators`` entries.
    module : str
        The module defining the function, absolute (``"did_zones.estimators.twfe"``) or
        relative to ``did_zones`` (``".estimators.twfe"``).
    family : {"regression", "staggered", "mechanism", "diagnostic"}
        Mechanism estimators and diagnostics are not run as estimators of a study.
    function_name : str, optional
        The function's name in ``module`` when it differs from ``name``.
    controls : tuple of str
        The values of the shared ``control`` argument the estimator accepts, the first being
        its default; ``()`` when it takes no ``control=`` (e.g. the imputation estimators,
        whose comparison group is not-yet-treated by construction).
    window : callable, optional
        The event-window adapter: ``window((lo, hi))`` returns the keyword arguments that
        make the estimator report event times ``lo..hi`` (:func:`window_arg` for those
        taking ``window=`` itself). ``None``: no event-time results from the estimator
        itself.
    aggregations : tuple of str
        Kinds of :func:`did_zones.aggregate` its results support.
    tests : tuple of str
        Checks (:data:`TESTS`) that apply to its results.
    refuses : mapping, optional
        Check name -> why it does not apply (the error message's explanation).
    labels : mapping
        Display name by language (``{"en": ..., "zh": ...}``).
    aliases : tuple of str
        Names replicators know it by (Stata / R commands) that the study file maps to it.
    through_aggregations : bool
        The report shows it through its aggregations (the ``"event"`` one in the event
        study, the ``"simple"`` one in the comparison).
    in_comparison : bool
        The report's comparison of overall effects shows it.
    report_static : bool
        The report also runs it without the window for its static (overall) estimate.
    in_default_study : bool
        A study that lists no ``study.estimators`` runs it (the estimators of the first
        rounds); later additions set False and run when listed.
    study_controls : bool
        The report passes the study's ``controls`` to it (estimators that need them, e.g.
        ``dml_did``); the others keep their unconditional specification.
    """

    name: str
    module: str
    family: str
    function_name: str | None = None
    controls: tuple[str, ...] = ()
    window: Callable[[tuple[int, int]], dict[str, Any]] | None = None
    aggregations: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    refuses: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    aliases: tuple[str, ...] = ()
    through_aggregations: bool = False
    in_comparison: bool = True
    report_static: bool = False
    in_default_study: bool = True
    study_controls: bool = False

    def __post_init__(self):
        # plain membership tests: the registry is read by ``import did_zones``, which must
        # not import numpy or pandas
        for what, values, allowed in (("family", (self.family,), FAMILIES),
                                      ("controls", self.controls, CONTROLS),
                                      ("aggregations", self.aggregations, AGGREGATIONS),
                                      ("tests", (*self.tests, *self.refuses), TESTS)):
            bad = [v for v in values if v not in allowed]
            if bad:
                raise SpecificationError(
                    f"EstimatorSpec {self.name!r}: {what} {bad} not among "
                    f"{', '.join(map(repr, allowed))}.")
        if self.window is not None and not callable(self.window):
            raise SpecificationError(f"EstimatorSpec {self.name!r}: window must be a "
                                     "callable adapter (e.g. window_arg) or None.")
        object.__setattr__(self, "refuses", MappingProxyType(dict(self.refuses)))
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))

    # ------------------------------------------------------------ the function

    @property
    def function(self) -> Callable:
        """The estimator function, imported on first use."""
        module = self.module
        if module.startswith("."):
            module = "did_zones" + module
        return getattr(import_module(module), self.function_name or self.name)

    @property
    def options(self) -> frozenset[str]:
        """Every keyword option of the function (its signature without panel and outcome)."""
        params = inspect.signature(self.function).parameters
        return frozenset(params) - {"panel", "outcome"}

    @property
    def shared_options(self) -> frozenset[str]:
        """The options of the shared vocabulary (:data:`did_zones.vocabulary.SHARED_OPTIONS`)
        the estimator takes."""
        return self.options & frozenset(SHARED_OPTIONS)

    def accepts(self, option: str, value: Any = None) -> bool:
        """Whether the estimator takes ``option`` (and, for ``control``, the ``value``)."""
        if option == "control":
            return bool(self.controls) and (value is None or value in self.controls)
        return option in self.options

    def supports(self, test: str) -> bool:
        """Whether check ``test`` (one of :data:`TESTS`) applies to its results."""
        from ..validation import check_choice

        return check_choice("test", test, TESTS) in self.tests

    def label(self, language: str = "en") -> str:
        """Display name in ``language`` (the name itself when none is declared)."""
        return self.labels.get(language) or self.labels.get("en") or self.name

    # ------------------------------------------------------ calls for a study

    def common_options(self, *, control: str | None = None,
                       cluster: Any = "unit", controls: Any = (),
                       options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Keyword arguments for the study-wide ``control`` and ``cluster``: ``control`` only
        if the estimator accepts that value (others keep their own comparison group),
        ``cluster`` if it takes one; the study's ``controls`` when ``study_controls``; then
        the estimator's own ``options`` (``[study.options.<name>]``, e.g. the ``group`` of
        ``triple_difference``)."""
        out: dict[str, Any] = dict(options or {})
        if self.study_controls and controls:
            out["controls"] = controls
        if control is not None and self.accepts("control", control):
            out["control"] = control
        if "cluster" in self.options:
            out["cluster"] = cluster
        return out

    def event_options(self, window: tuple[int, int], **common: Any) -> dict[str, Any] | None:
        """Keyword arguments of its event-study call for ``window=(lo, hi)``, or ``None`` if
        it has no event-window adapter."""
        if self.window is None:
            return None
        return {**self.common_options(**common), **self.window(window)}

    def report(self, panel, outcome: str, window: tuple[int, int], *,
               control: str | None = None, cluster: Any = "unit",
               aggregations: tuple[str, ...] = (), controls: Any = (),
               options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run the estimator as the study report shows it (``options``: its own keyword
        arguments from ``[study.options.<name>]``).

        Returns
        -------
        dict
            ``"event"``: its event-time result for ``window`` (or None); ``"static"``: its
            overall estimate shown next to the event-time one (or None); ``"results"``:
            every result computed, by the key the report stores it under (without the
            ``":outcome"`` suffix).
        """
        common = {"control": control, "cluster": cluster, "controls": controls,
                  "options": options}
        out: dict[str, Any] = {"event": None, "static": None, "results": {}}
        if self.through_aggregations:
            from .aggregate import aggregate

            base = self.function(panel, outcome, **self.common_options(**common))
            out["results"][self.name] = base
            for kind in aggregations:
                if kind not in self.aggregations:
                    continue
                agg = aggregate(base, kind=kind, window=window if kind == "event" else None)
                out["results"][f"{self.name}_{kind}"] = agg
                if kind == "event":
                    out["event"] = agg
                elif kind == "simple":
                    out["static"] = agg
            return out
        options = self.event_options(window, **common)
        if options is None:
            return out
        out["event"] = out["results"][self.name] = self.function(panel, outcome, **options)
        if self.report_static:
            static = self.function(panel, outcome, **self.common_options(**common))
            out["static"] = out["results"][f"{self.name}_static"] = static
        return out

    @property
    def event_key(self) -> str:
        """The report's results key (before ``":outcome"``) of its event-time result."""
        return f"{self.name}_event" if self.through_aggregations else self.name


# ---------------------------------------------------------------- adapters


_HONEST_IMPUTATION = (
    "imputation (Borusyak-Jaravel-Spiess) pre-trend terms come from a separate regression on "
    "untreated observations and are not leads comparable with its horizons, so HonestDiD "
    "does not apply. Use event_study, sun_abraham or aggregate(callaway_santanna(..., "
    "base_period='universal'), 'event').")
_HONEST_DCDH = (
    "dcdh placebos are long differences with their own switcher/control sets at each lag, "
    "not leads of one event-study regression; HonestDiD does not apply. Use event_study, "
    "sun_abraham or aggregate(callaway_santanna(..., base_period='universal'), 'event').")

_REFUSE_STACKED_PSM = (
    "stacked_did already weights its sub-experiments (corrective Q weights); PSM-DiD "
    "matching weights on the original panel are not defined for the stacked sample.")
_REFUSE_STACKED_WILD = (
    "the wild cluster bootstrap refits a Design of the original panel; the stacked sample "
    "repeats units across sub-experiments, which that path does not build.")
_REFUSE_STACKED_FAST = (
    "the Frisch-Waugh-Lovell fast placebo path re-uses the panel's regression; the stacked "
    "sample is rebuilt for each placebo assignment, so use the ordinary placebo.")
_NO_ETWFE_WEIGHTS = (
    "etwfe takes no weights=, so PSM-DiD's matching weights cannot enter it; estimate etwfe "
    "on match(...).panel unweighted, or use callaway_santanna / imputation for PSM-DiD.")
_NO_ETWFE_WILD = (
    "the wild cluster bootstrap re-solves linear maps of the TWFE-type designs; etwfe's "
    "aggregated cells (and its Poisson family) are not among them. Use imputation (the "
    "same estimates as etwfe's gaussian not-yet design) for a wild bootstrap.")
_NO_ETWFE_FAST = (
    "the Frisch-Waugh-Lovell fast placebo path re-uses a TWFE regression with one treatment "
    "regressor; etwfe's cohort x period cells change with every placebo assignment.")

_NO_DML_WEIGHTS = (
    "dml_did takes no weights=, so PSM-DiD's matching weights cannot enter it; its "
    "propensity score already reweights the comparison units (doubly robust score).")
_NO_DML_WILD = (
    "the wild cluster bootstrap re-solves linear maps of the TWFE-type designs; dml_did's "
    "cross-fitted learners are not linear in the outcome. Its standard errors come from the "
    "orthogonal scores (DoubleML's convention).")
_NO_DML_FAST = (
    "the Frisch-Waugh-Lovell fast placebo path re-uses a TWFE regression; every dml_did "
    "placebo refits its cross-fitted learners (placebo re-estimates, slowly).")

_ALL_TESTS = ("pretrend", "placebo", "honest_did", "pretrend_power", "psm", "variations")

_NO_CONTDID_RERUN = (
    "continuous_did's effect is a function of the dose: the re-estimating checks (placebo, "
    "PSM-DiD, variations, the wild cluster bootstrap) re-assign or re-weight a binary "
    "treatment and would leave the dose behind; use its multiplier bootstrap (n_boot=) and "
    "the pre-period terms of aggregation='eventstudy'.")
_NO_CONTDID_PRETREND = (
    "continuous_did reports no pre-trend test of its own (so no power of one); with "
    "staggered timing, aggregation='event' gives pre-period ATT^o(e) terms (e < 0): test "
    "them jointly with Result.wald_test.")
# honest_did is not refused: on aggregation='event', target='level',
# base_period='universal' (long differences from g - 1 before and after treatment, the
# same requirement as for Callaway-Sant'Anna) the ATT^o(e) are an event study with a
# reference period and a joint vcov, which is what HonestDiD bounds; honest_did refuses
# the other specs itself, saying why (did_zones.robustness.honest).
_NO_CONTDID = {"pretrend": _NO_CONTDID_PRETREND, "pretrend_power": _NO_CONTDID_PRETREND,
               **{t: _NO_CONTDID_RERUN for t in ("placebo", "placebo_fast", "psm",
                                                 "variations", "wild_bootstrap")}}

_NO_DDD_RERUN = (
    "triple_difference is not yet wired into the re-estimating robustness checks (placebo, "
    "PSM, wild bootstrap, variations), which re-assign the treatment but not the "
    "eligibility group; run them on callaway_santanna or twfe.")
_NO_DDD_PRETREND = (
    "triple_difference stores no pre-trend Wald test; test its pre-period event-time terms "
    "with Result.wald_test or use honest_did.")

_BUILTIN = (
    EstimatorSpec(
        "twfe", ".estimators.twfe", "regression",
        window=None,
        tests=("placebo", "placebo_fast", "psm", "variations", "wild_bootstrap"),
        labels={"en": "TWFE", "zh": "双向固定效应 (TWFE)"},
        aliases=("reghdfe",)),
    EstimatorSpec(
        "event_study", ".estimators.event_study", "regression",
        controls=("never", "not_yet"), window=window_arg,
        tests=(*_ALL_TESTS, "placebo_fast", "wild_bootstrap"),
        labels={"en": "TWFE event study", "zh": "事件研究 (TWFE)"},
        aliases=("eventdd",), in_comparison=False),
    EstimatorSpec(
        "callaway_santanna", ".estimators.callaway_santanna", "staggered",
        controls=("never", "not_yet"), aggregations=AGGREGATIONS, tests=_ALL_TESTS,
        labels={"en": "Callaway-Sant'Anna", "zh": "Callaway–Sant'Anna 异质性稳健估计"},
        aliases=("csdid", "att_gt", "cs", "did"), through_aggregations=True),
    EstimatorSpec(
        "sun_abraham", ".estimators.sun_abraham", "staggered",
        controls=("never", "last"), window=window_arg, tests=(*_ALL_TESTS, "wild_bootstrap"),
        labels={"en": "Sun-Abraham", "zh": "Sun–Abraham 交互加权估计"},
        aliases=("sunab", "eventstudyinteract", "sa")),
    EstimatorSpec(
        "imputation", ".estimators.imputation", "staggered",
        window=window_arg,
        tests=("pretrend", "placebo", "psm", "variations", "wild_bootstrap"),
        refuses={"honest_did": _HONEST_IMPUTATION},
        labels={"en": "BJS imputation", "zh": "Borusyak–Jaravel–Spiess 插补估计"},
        aliases=("did_imputation", "didimputation", "bjs")),
    EstimatorSpec(
        "did2s", ".estimators.did2s", "staggered",
        window=window_arg,
        tests=("placebo", "honest_did", "psm", "variations", "wild_bootstrap"),
        labels={"en": "did2s", "zh": "Gardner did2s 两阶段估计"},
        aliases=("gardner",), report_static=True),
    EstimatorSpec(
        "dcdh", ".estimators.dcdh", "staggered",
        window=window_arg, tests=("placebo", "variations"),
        refuses={"honest_did": _HONEST_DCDH},
        labels={"en": "dCDH", "zh": "de Chaisemartin–D'Haultfœuille 估计量"},
        aliases=("did_multiplegt", "did_multiplegt_dyn", "didmultiplegtdyn")),
    EstimatorSpec(
        "stacked_did", ".estimators.stacked", "staggered",
        controls=("never", "not_yet"), window=window_arg,
        tests=("pretrend", "placebo", "honest_did", "pretrend_power", "variations"),
        refuses={"psm": _REFUSE_STACKED_PSM, "wild_bootstrap": _REFUSE_STACKED_WILD,
                 "placebo_fast": _REFUSE_STACKED_FAST},
        labels={"en": "Stacked DiD (Wing et al.)", "zh": "堆叠双重差分 (Stacked DiD)"},
        aliases=("stackedev", "stacked"), in_comparison=False, in_default_study=False),
    EstimatorSpec(
        "etwfe", ".estimators.etwfe", "staggered",
        controls=("not_yet", "never"), aggregations=AGGREGATIONS,
        tests=("pretrend", "placebo", "honest_did", "pretrend_power", "variations"),
        refuses={"psm": _NO_ETWFE_WEIGHTS, "wild_bootstrap": _NO_ETWFE_WILD,
                 "placebo_fast": _NO_ETWFE_FAST},
        labels={"en": "Extended TWFE (Wooldridge)", "zh": "扩展双向固定效应 (Wooldridge ETWFE)"},
        aliases=("jwdid", "wooldridge"), through_aggregations=True, in_default_study=False),
    EstimatorSpec(
        "triple_difference", ".estimators.triple", "staggered",
        controls=("never", "not_yet"), window=window_arg,
        tests=("honest_did", "pretrend_power"),
        refuses={"pretrend": _NO_DDD_PRETREND, "placebo": _NO_DDD_RERUN,
                 "placebo_fast": _NO_DDD_RERUN, "psm": _NO_DDD_RERUN,
                 "variations": _NO_DDD_RERUN, "wild_bootstrap": _NO_DDD_RERUN},
        labels={"en": "Triple differences (Ortiz-Villavicencio & Sant'Anna)",
                "zh": "三重差分 (Ortiz-Villavicencio & Sant'Anna)"},
        aliases=("ddd", "triplediff"), in_comparison=False, in_default_study=False),
    EstimatorSpec(
        "dml_did", ".estimators.dml", "staggered",
        controls=("never", "not_yet"), aggregations=AGGREGATIONS,
        tests=("pretrend", "placebo", "honest_did", "pretrend_power", "variations"),
        refuses={"placebo_fast": _NO_DML_FAST, "psm": _NO_DML_WEIGHTS,
                 "wild_bootstrap": _NO_DML_WILD},
        labels={"en": "DML-DiD (Chang 2020)", "zh": "双重机器学习双重差分 (DML-DiD)"},
        aliases=("doubleml", "dml", "ddml"), through_aggregations=True, in_comparison=False,
        in_default_study=False, study_controls=True),
    EstimatorSpec(
        "iv_did", ".estimators.iv_did", "mechanism",
        window=None, tests=("variations",), in_comparison=False,
        labels={"en": "IV-DiD (2SLS)", "zh": "工具变量双重差分 (2SLS)"},
        aliases=("ivreghdfe",)),
    EstimatorSpec(
        "continuous_did", ".estimators.continuous", "mechanism",
        controls=("never", "not_yet"), window=None, tests=(), in_comparison=False, in_default_study=False,
        refuses=_NO_CONTDID,
        labels={"en": "Continuous DiD (Callaway, Goodman-Bacon & Sant'Anna)",
                "zh": "连续处理强度双重差分 (Callaway, Goodman-Bacon & Sant'Anna)"},
        aliases=("contdid",)),
    EstimatorSpec(
        "bacon_decomposition", ".estimators.bacon", "diagnostic",
        labels={"en": "Goodman-Bacon decomposition", "zh": "Goodman-Bacon 分解"},
        aliases=("bacondecomp",)),
    EstimatorSpec(
        "twfe_weights", ".estimators.twfe_weights", "diagnostic",
        labels={"en": "TWFE weights (dCDH 2020)", "zh": "TWFE 权重诊断 (dCDH 2020)"},
        aliases=("twowayfeweights",)),
)

# name -> EstimatorSpec, in the order studies and reports list them
REGISTRY: dict[str, EstimatorSpec] = {spec.name: spec for spec in _BUILTIN}


def register(spec: EstimatorSpec, *, replace: bool = False) -> EstimatorSpec:
    """Add ``spec`` to the registry (at run time; built-in estimators are listed above).

    Parameters
    ----------
    spec : EstimatorSpec
        The declaration; its function must take ``(panel, outcome, **options)`` and return
        a :class:`~did_zones.Result` whose ``method`` is ``spec.name``.
    replace : bool
        Replace an entry of the same name instead of refusing it.

    Returns
    -------
    EstimatorSpec
        ``spec``, so that the call can decorate an assignment.

    Raises
    ------
    SpecificationError
        If the name is taken (and ``replace`` is False) or is a public name of
        ``did_zones`` that is not an estimator.
    """
    if not isinstance(spec, EstimatorSpec):
        raise SpecificationError(f"register takes an EstimatorSpec; got {type(spec).__name__}.")
    if spec.name in REGISTRY and not replace:
        raise SpecificationError(f"An estimator {spec.name!r} is already registered. Pass "
                                 "replace=True to replace it, or choose another name.")
    package = _package()
    if spec.name in package._EXPORTS and spec.name not in REGISTRY:
        raise SpecificationError(f"{spec.name!r} is a public name of did_zones that is not "
                                 "an estimator; choose another name.")
    REGISTRY[spec.name] = spec
    package.__dict__.pop(spec.name, None)  # a cached dz.<name> of a replaced entry
    return spec


def unregister(name: str) -> EstimatorSpec:
    """Remove the entry ``name`` (e.g. a toy estimator registered by a test) and return it."""
    spec = get_spec(name)
    del REGISTRY[name]
    _package().__dict__.pop(name, None)
    return spec


def _package():
    """The ``did_zones`` package module (its lazy top-level names cache estimators)."""
    return import_module("..", __package__)


def get_spec(name: str) -> EstimatorSpec:
    """The registry entry ``name``, or a SpecificationError listing the estimators with a
    did-you-mean hint."""
    from ..validation import check_choice

    return REGISTRY[check_choice("estimator", name, tuple(REGISTRY))]


def get_estimator(name: str) -> Callable:
    """The estimator function registered under ``name``."""
    return get_spec(name).function


def estimator_names(family: str | tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Registered names, optionally of one family (or several)."""
    families = (family,) if isinstance(family, str) else family
    return tuple(n for n, s in REGISTRY.items() if families is None or s.family in families)


def study_estimators() -> tuple[str, ...]:
    """The estimators a study can run (the regression and staggered families)."""
    return estimator_names(("regression", "staggered"))


def default_study_estimators() -> tuple[str, ...]:
    """The estimators a study runs when ``study.estimators`` is not given."""
    return tuple(n for n in study_estimators() if REGISTRY[n].in_default_study)


def aliases() -> dict[str, str]:
    """Replicators' names (Stata / R commands) -> registered estimator name."""
    return {alias: name for name, spec in REGISTRY.items() for alias in spec.aliases}


def specs() -> Iterator[EstimatorSpec]:
    """The registered entries, in order."""
    return iter(tuple(REGISTRY.values()))
