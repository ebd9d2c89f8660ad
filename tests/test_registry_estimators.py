"""The estimator registry (did_zones.estimators.registry): one entry per estimator, read by the
top-level names, rerun, the re-estimating checks, the study config and the report.

A toy estimator registered at run time shows that one registry entry is all a new estimator
needs: ``dz.<name>``, ``rerun``, ``study.estimators`` and the report then work with it.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import warnings
from pathlib import Path

import numpy as np
import pytest

import did_zones as dz
from did_zones.errors import SpecificationError
from did_zones.estimators import REGISTRY, EstimatorSpec, register, unregister, window_arg
from did_zones.estimators.registry import TESTS, get_spec, study_estimators
from did_zones.report import parse_config
from did_zones.robustness import rerun
from did_zones.vocabulary import CONTROLS

PACKAGE = Path(dz.__file__).resolve().parent
pytestmark = pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")


# ------------------------------------------------------------------ a toy estimator


def toy_did(panel, outcome, *, window=(-3, 3), controls=(), cluster="unit", weights=None,
            alpha=0.05):
    """A toy estimator: an event study with binned endpoints, under its own name."""
    res = dz.event_study(panel, outcome, window=window, bin_endpoints=True,
                         controls=controls, cluster=cluster, weights=weights, alpha=alpha)
    return dataclasses.replace(res, method="toy_did")


TOY = EstimatorSpec(
    "toy_did", toy_did.__module__, "staggered", window=window_arg,
    tests=("placebo", "psm", "variations"), labels={"en": "Toy DiD", "zh": "玩具估计"},
    aliases=("toydid",))


@pytest.fixture
def toy():
    register(TOY)
    try:
        yield TOY
    finally:
        unregister("toy_did")


@pytest.fixture(scope="module")
def panel():
    sim = dz.simulate_pilot_panel(seed=4)
    return dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")


def test_registered_toy_is_a_top_level_name(toy, panel):
    assert dz.toy_did is toy_did and "toy_did" in dir(dz)
    assert dz.estimators.get_estimator("toy_did") is toy_did
    assert toy.options == {"window", "controls", "cluster", "weights", "alpha"}
    assert toy.accepts("weights") and not toy.accepts("control", "never")
    res = dz.toy_did(panel, "isu")
    assert res.method == "toy_did" and res.terms[0] == "e-3"


def test_unregistered_toy_is_gone(toy):
    unregister("toy_did")
    try:
        assert "toy_did" not in dir(dz)
        with pytest.raises(AttributeError):
            dz.toy_did  # noqa: B018
    finally:
        register(TOY)


def test_rerun_accepts_the_toy(toy, panel):
    res = dz.toy_did(panel, "isu", window=(-2, 2))
    again = rerun(res, panel)
    assert again.terms == res.terms
    np.testing.assert_allclose(again.estimate, res.estimate, rtol=1e-12, atol=0)
    wider = rerun(res, panel, window=(-3, 3))
    assert wider.terms == dz.toy_did(panel, "isu", window=(-3, 3)).terms
    with pytest.raises(SpecificationError, match=r"Unknown option\(s\) \['n_boot'\] for toy"):
        rerun(res, panel, n_boot=9)


def test_study_config_accepts_the_toy(toy):
    raw = {"data": {"simulate": {"seed": 1}},
           "study": {"outcomes": ["isu"], "estimators": ["twfe", "toy_did"]}}
    assert parse_config(raw).study.estimators == ("twfe", "toy_did")
    assert "toy_did" in parse_config({**raw, "study": {"outcomes": ["isu"]}}).study.estimators
    raw["study"]["estimators"] = ["toydid"]  # its alias gets a did-you-mean
    with pytest.raises(SpecificationError, match="did you mean 'toy_did'"):
        parse_config(raw)


def test_study_config_refuses_it_once_unregistered():
    raw = {"data": {"simulate": {"seed": 1}},
           "study": {"outcomes": ["isu"], "estimators": ["toy_did"]}}
    with pytest.raises(SpecificationError, match=r"study.estimators\[0\]: unknown estimator "
                       r"'toy_did'"):
        parse_config(raw)


def test_report_compares_the_toy(toy):
    from did_zones.report import run_study

    raw = {"data": {"simulate": {"seed": 2, "effect": "homogeneous"}},
           "study": {"outcomes": ["isu"], "estimators": ["twfe", "event_study", "toy_did"],
                     "event_window": [-2, 2]}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_study(parse_config(raw), progress=False)
    toy_res = out.results["toy_did:isu"]
    assert toy_res.method == "toy_did" and toy_res.spec["window"] == (-2, 2)
    direct = toy_did(out.panel, "isu", window=(-2, 2))
    np.testing.assert_allclose(toy_res.estimate, direct.estimate, rtol=1e-12)
    assert any("Toy DiD" in str(c) for c in out.tables["comparison_isu"].data.columns)
    assert any("Toy DiD" in str(c) for c in out.tables["event_study_isu"].data.columns)
    # the TWFE event study stays out of the comparison of overall effects
    assert not any("TWFE event study" in str(c)
                   for c in out.tables["comparison_isu"].data.columns)


def test_psm_and_variations_read_the_registry(toy, panel):
    res = dz.toy_did(panel, "isu")
    matched = dz.psm_did(res, panel, ["lngdp_pc", "lnpop"], k=2)
    assert matched.method == "toy_did" and matched.spec["weights"] == "psm_weight"
    with pytest.raises(SpecificationError, match="'dcdh' does not accept weights=.*"
                       r"\(twfe, event_study, .*toy_did\)"):
        dz.psm_did(dz.dcdh(panel, "isu"), panel, ["lngdp_pc"])


# ------------------------------------------------------------------ the entries


def test_every_public_estimator_is_registered_once():
    from did_zones.estimators.registry import default_study_estimators

    assert set(default_study_estimators()) == {"twfe", "event_study", "callaway_santanna",
                                               "sun_abraham", "imputation", "did2s", "dcdh"}
    assert {"stacked_did", "etwfe"} <= set(study_estimators())  # run when listed
    assert {"bacon_decomposition", "twfe_weights"} <= set(REGISTRY)
    assert REGISTRY["bacon_decomposition"].family == "diagnostic"
    for name, spec in REGISTRY.items():
        fn = spec.function
        assert getattr(dz, name) is fn
        assert list(inspect.signature(fn).parameters)[:2] == ["panel", "outcome"], name
        assert spec.label("en") and spec.label("zh") != spec.name, name


def test_shared_vocabulary_and_defaults():
    for name, spec in REGISTRY.items():
        params = inspect.signature(spec.function).parameters
        if "cluster" in params and spec.family != "diagnostic":
            assert params["cluster"].default == "unit", name  # one default everywhere
        if spec.controls:
            assert "control" in params and params["control"].default == spec.controls[0]
            assert set(spec.controls) <= set(CONTROLS)
        else:
            assert "control" not in params, name
        if spec.window is not None:
            assert "window" in params, name  # one name for the event window
        for old in ("horizons", "pretrends", "placebo", "dynamic"):
            if old in params and name != "did2s":  # did2s keeps horizons= (gaps)
                assert params[old].default is None, (name, old)  # deprecated


@pytest.mark.parametrize("name, bad", [("event_study", "last"), ("callaway_santanna", "last"),
                                       ("sun_abraham", "not_yet")])
def test_each_estimator_accepts_the_control_values_its_entry_declares(panel, name, bad):
    assert bad in CONTROLS and bad not in REGISTRY[name].controls
    allowed = ", ".join(repr(v) for v in REGISTRY[name].controls)
    with pytest.raises(SpecificationError, match=f"control must be one of {allowed}; "
                       f"got '{bad}'"):
        REGISTRY[name].function(panel, "isu", control=bad)


def test_event_window_adapter_gives_the_report_calls():
    assert REGISTRY["twfe"].event_options((-2, 3)) is None
    assert REGISTRY["dcdh"].event_options((-4, 5)) == {"window": (-4, 5), "cluster": "unit"}
    assert REGISTRY["event_study"].event_options((-4, 5), control="not_yet", cluster="x") == {
        "window": (-4, 5), "control": "not_yet", "cluster": "x"}
    # Sun-Abraham has no not-yet-treated comparison: it keeps its own
    assert "control" not in REGISTRY["sun_abraham"].event_options((-4, 5), control="not_yet")
    assert REGISTRY["callaway_santanna"].through_aggregations
    assert REGISTRY["callaway_santanna"].aggregations == ("simple", "event", "cohort",
                                                          "calendar")


def test_tests_and_refusals_are_declared():
    assert REGISTRY["twfe"].supports("placebo_fast")
    assert not REGISTRY["dcdh"].supports("honest_did")
    assert "HonestDiD does not apply" in REGISTRY["dcdh"].refuses["honest_did"]
    with pytest.raises(SpecificationError, match="test must be one of"):
        REGISTRY["twfe"].supports("honest")
    assert set(TESTS) >= {t for s in REGISTRY.values() for t in s.tests}


def test_spec_and_register_errors():
    with pytest.raises(SpecificationError, match=r"EstimatorSpec 'x': family \['model'\] not "
                       "among 'regression', 'staggered', 'mechanism', 'diagnostic'"):
        EstimatorSpec("x", "m", "model")
    with pytest.raises(SpecificationError, match=r"controls \['not-yet'\] not among"):
        EstimatorSpec("x", "m", "staggered", controls=("not-yet",))
    with pytest.raises(SpecificationError, match="already registered"):
        register(REGISTRY["twfe"])
    with pytest.raises(SpecificationError, match="public name of did_zones that is not an "
                       "estimator"):
        register(EstimatorSpec("placebo", "m", "staggered"))
    with pytest.raises(SpecificationError, match="estimator must be one of .*; got 'twef'. "
                       "Did you mean 'twfe'?"):
        get_spec("twef")


def test_rerun_refuses_an_unregistered_method(panel):
    fake = dz.Result.create([1.0], np.eye(1), ["x"], method="my_method", outcome="isu",
                            spec={}, n_obs=1, n_units=1)
    with pytest.raises(SpecificationError, match="Cannot rerun a 'my_method' result.*"
                       "register it"):
        rerun(fake, panel)


# ------------------------------------------------------------------ the seams


def _code(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def test_no_getattr_on_the_package_and_no_dz_imports_inside():
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__init__.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(_code(path)):
            if isinstance(node, ast.Import):
                assert all(a.name != "did_zones" for a in node.names), path
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr"
                    and getattr(node.args[0], "id", None) in ("did_zones", "dz")):
                raise AssertionError(f"getattr on the package in {path}")


def test_report_has_no_import_cycle():
    def imports(name):
        mods = set()
        for node in ast.walk(_code(PACKAGE / "report" / f"{name}.py")):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                mods.add(node.module)
        return mods

    assert "runner" not in imports("steps") and "runner" not in imports("parts")
    assert "steps" not in imports("parts")


def test_report_steps_have_no_chain_over_estimator_names():
    source = (PACKAGE / "report" / "steps.py").read_text(encoding="utf-8")
    for name in ("sun_abraham", "imputation", "did2s", "dcdh", "callaway_santanna"):
        assert f'"{name}"' not in source, name
