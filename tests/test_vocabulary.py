"""One name per concept (did_zones.vocabulary): the deprecated names of the event window keep
working for one release, with a DidZonesDeprecationWarning naming the replacement and the
same numbers; the control Literal is declared once; cluster defaults to "unit" everywhere."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest

import did_zones as dz
from did_zones.errors import DidZonesDeprecationWarning, DidZonesWarning

PACKAGE = Path(dz.__file__).resolve().parent


@pytest.fixture(scope="module")
def panel():
    sim = dz.simulate_pilot_panel(seed=4)
    return dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")


def _deprecated(fn, *args, **kwargs):
    """Call ``fn`` and return its result and the deprecation messages it issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fn(*args, **kwargs)
    return res, [str(w.message) for w in caught
                 if issubclass(w.category, DidZonesDeprecationWarning)]


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DidZonesWarning)
        res, messages = _deprecated(fn, *args, **kwargs)
    assert messages == [], messages
    return res


def _same(a: dz.Result, b: dz.Result):
    assert a.terms == b.terms
    np.testing.assert_array_equal(a.estimate.to_numpy(), b.estimate.to_numpy())
    np.testing.assert_array_equal(a.vcov.to_numpy(), b.vcov.to_numpy())
    assert dict(a.spec) == dict(b.spec)


def test_warning_class():
    assert dz.DidZonesDeprecationWarning is DidZonesDeprecationWarning
    assert issubclass(DidZonesDeprecationWarning, DidZonesWarning)
    assert issubclass(DidZonesDeprecationWarning, FutureWarning)  # shown by default


CASES = [
    # (estimator, deprecated options, new options, text naming the replacement)
    ("dcdh", {"placebo": 2, "dynamic": 3}, {"window": (-3, 3)},
     "placebo=2, dynamic=3 is deprecated and will be removed in the next release. Use "
     "window=(-3, 3); the numbers are the same."),
    ("dcdh", {"placebo": 1}, {"window": (-2, 0)}, "Use window=(-2, 0);"),
    ("dcdh", {"dynamic": 2}, {"window": (-1, 2)}, "Use window=(-1, 2);"),
    ("imputation", {"horizons": [0, 1, 2], "pretrends": 2}, {"window": (-2, 2)},
     "horizons=[0, 1, 2], pretrends=2 is deprecated and will be removed in the next release. "
     "Use window=(-2, 2); the numbers are the same."),
    ("imputation", {"pretrends": 3}, {"window": (-3, None)}, "Use window=(-3, None);"),
    ("imputation", {"horizons": [1, 2, 3]}, {"window": (1, 3)}, "Use window=(1, 3);"),
    ("imputation", {"pretrends": 1, "anticipation": 1}, {"window": (-2, None),
                                                         "anticipation": 1},
     "Use window=(-2, None);"),
]


@pytest.mark.parametrize("name, old, new, message", CASES)
def test_deprecated_names_warn_and_give_identical_numbers(panel, name, old, new, message):
    fn = getattr(dz, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dz.SmallCohortWarning)
        warnings.simplefilter("ignore", dz.InferenceWarning)
        res, messages = _deprecated(fn, panel, "isu", **old)
    assert len(messages) == 1 and message in messages[0], messages
    _same(res, _quiet(fn, panel, "isu", **new))


def test_imputation_horizons_with_gaps_are_a_selection_of_the_window(panel):
    res, messages = _deprecated(_quiet_warnings, dz.imputation, panel, "isu",
                                horizons=[0, 2, 4], pretrends=1)
    assert len(messages) == 1
    assert "Use window=(-1, 4), then select the terms you need" in messages[0]
    assert res.spec["horizons"] == (0, 2, 4) and res.spec["pretrends"] == 1
    full = _quiet(dz.imputation, panel, "isu", window=(-1, 4))
    terms = ["overall", "ATT(e=0)", "ATT(e=2)", "ATT(e=4)", "pre(e=-1)"]
    assert res.terms == terms
    np.testing.assert_allclose(res.estimate[terms], full.estimate[terms], rtol=1e-12)
    np.testing.assert_allclose(res.vcov.loc[terms, terms], full.vcov.loc[terms, terms],
                               rtol=1e-10)
    # rerun replays the call as it was made (warning again)
    again, messages = _deprecated(_quiet_warnings, dz.robustness.rerun, res, panel)
    assert len(messages) == 1
    _same(again, res)


def _quiet_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dz.SmallCohortWarning)
        warnings.simplefilter("ignore", dz.InferenceWarning)
        return fn(*args, **kwargs)


def test_did2s_window_is_the_contiguous_horizons(panel):
    a = _quiet(dz.did2s, panel, "isu", window=(-3, 2))
    b = _quiet(dz.did2s, panel, "isu", horizons=[-3, -2, 0, 1, 2])  # not deprecated
    assert a.terms == b.terms == ["ATT(e=-3)", "ATT(e=-2)", "ATT(e=0)", "ATT(e=1)",
                                  "ATT(e=2)"]
    np.testing.assert_array_equal(a.vcov.to_numpy(), b.vcov.to_numpy())
    assert a.spec["window"] == (-3, 2) and a.spec["horizons"] is None
    with pytest.raises(dz.SpecificationError, match=r"Give window=\(lo, hi\) or horizons=, "
                       "not both"):
        dz.did2s(panel, "isu", window=(-1, 2), horizons=[0])
    with pytest.raises(dz.SpecificationError, match="holds only the reference period e = -1"):
        dz.did2s(panel, "isu", window=(-1, -1))


def test_callaway_santanna_cluster_unit_is_the_default_and_none(panel):
    default = _quiet(dz.callaway_santanna, panel, "isu")
    none = _quiet(dz.callaway_santanna, panel, "isu", cluster=None)
    unit = _quiet(dz.callaway_santanna, panel, "isu", cluster="unit")
    for res in (none, unit):
        np.testing.assert_array_equal(res.vcov.to_numpy(), default.vcov.to_numpy())
        assert res.n_clusters == default.n_clusters
    assert default.spec["cluster"] == "unit"


def test_control_literal_declared_once():
    declared = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(
                    getattr(t, "id", None) == "Control" for t in node.targets):
                declared.append(path.relative_to(PACKAGE).as_posix())
    assert declared == ["vocabulary.py"]
