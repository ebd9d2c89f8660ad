"""One result protocol: every public result type has tidy(), glance(), summary(), to_table().

Each type is built on small data; the checks are the protocol's shape: ``tidy()`` is a
DataFrame with the shared column names (term, estimate, std_error, statistic, p_value,
conf_low, conf_high) where they apply, ``glance()`` a one-row DataFrame, ``summary()`` text,
``to_table()`` a :class:`did_zones.tables.Table`; numbers that exist are not NaN.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import quiet as _quiet

import did_zones as dz
from did_zones import _render
from did_zones.resample import BootstrapDraws, cluster_bootstrap
from did_zones.tables import Table

SHARED = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


def _mean(p):
    return np.array([np.nanmean(p.column("isu"))])


BUILDERS = {
    "Result": lambda p: _quiet(dz.twfe, p, "isu"),
    "Result (event study)": lambda p: _quiet(dz.event_study, p, "isu", window=(-3, 2)),
    "HypothesisTest": lambda p: _quiet(dz.event_study, p, "isu", window=(-3, 2)).wald_test(
        ["e-3", "e-2"]),
    "MediationResult": lambda p: _quiet(dz.mediation, p, "isu", "ecom", method="stepwise",
                                        n_boot=19, seed=1),
    "MediationResult (channel)": lambda p: _quiet(dz.mediation, p, "isu", "ecom"),
    "MediationResult (serial)": lambda p: _quiet(dz.mediation, p, "isu", ["ecom", "open"],
                                                 method="serial", n_boot=19, seed=1),
    "MatchResult": lambda p: _quiet(dz.match, p, ["lngdp_pc"], seed=1),
    "HonestResult": lambda p: _quiet(dz.honest_did, _quiet(dz.event_study, p, "isu",
                                                           window=(-3, 2)),
                                     m_values=[0.0, 0.5]),
    "PretrendPower": lambda p: _quiet(dz.pretrend_power, _quiet(dz.event_study, p, "isu",
                                                                window=(-3, 2))),
    "BaconDecomposition": lambda p: _quiet(dz.bacon_decomposition, p, "isu"),
    "TwfeWeights": lambda p: _quiet(dz.twfe_weights, p, "isu"),
    "BootstrapDraws": lambda p: _quiet(cluster_bootstrap, p, _mean, n_boot=20, seed=3),
    "EntropyIndex": lambda p: dz.entropy_index(p, ["isu", "lngdp_pc", "ecom"], by="year"),
}
# what a term of each type is, and which of the shared columns its tidy() carries
COLUMNS = {
    "Result": SHARED, "Result (event study)": SHARED, "MediationResult": SHARED,
    "MediationResult (channel)": SHARED, "MediationResult (serial)": SHARED,
    "BootstrapDraws": SHARED,
    "HypothesisTest": ["statistic", "p_value"],
    "HonestResult": ["term", "conf_low", "conf_high"],
    "BaconDecomposition": ["term", "estimate"], "TwfeWeights": ["term", "estimate"],
    "MatchResult": [], "PretrendPower": [], "EntropyIndex": ["term", "estimate"],
}


# glance facts that always have a value where a type reports them
FACTS = ["method", "outcome", "n_obs", "n_units", "notes", "test", "statistic", "p_value",
         "distribution", "conclusion", "n_unmatched", "n_treated_matched", "restriction",
         "original_low", "original_high", "size", "critical_value", "twfe", "beta",
         "decomposition_error", "n_cells", "n_negative", "n_boot", "n_failed", "seed", "n_indicators"]


@pytest.fixture(scope="module")
def built(small):
    return {name: make(small) for name, make in BUILDERS.items()}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_protocol(built, name):
    res = built[name]
    tidy = res.tidy()
    assert isinstance(tidy, pd.DataFrame) and len(tidy) >= 1
    present = [c for c in SHARED if c in tidy.columns]
    assert present == COLUMNS[name], f"{name}: shared columns {present}"
    # in the shared order
    assert [c for c in tidy.columns if c in SHARED] == present
    glance = res.glance()
    assert isinstance(glance, pd.DataFrame) and len(glance) == 1
    assert glance.columns.is_unique and tidy.columns.is_unique
    text = res.summary()
    assert isinstance(text, str) and text.strip()
    table = res.to_table()
    assert isinstance(table, Table) and table.to_text().strip()


@pytest.mark.parametrize("name", list(BUILDERS))
def test_no_nan_where_values_exist(built, name):
    """Estimates exist for every term; variance columns of estimates are finite here."""
    tidy = built[name].tidy()
    if "estimate" in tidy:
        est = tidy["estimate"].to_numpy(float)
        assert np.isfinite(est).all(), f"{name}: NaN estimate"
    for col in ("std_error", "p_value", "conf_low", "conf_high"):
        if col in tidy and name.startswith(("Result", "BootstrapDraws")):
            assert np.isfinite(tidy[col].to_numpy(float)).all(), f"{name}: NaN {col}"
    g = built[name].glance().iloc[0]
    always = [c for c in FACTS if c in g.index]
    assert always, f"{name}: glance has none of the usual facts"
    assert not g[always].isna().any(), f"{name}: NaN in {g[always]}"


def test_diagnostics_have_no_variance(built):
    for name in ("BaconDecomposition", "TwfeWeights"):
        res = built[name]
        assert not hasattr(res, "vcov") and not hasattr(res, "std_error")
        assert res.method in {"bacon_decomposition", "twfe_weights"} and res.spec is not None
    assert built["BaconDecomposition"].twfe == pytest.approx(built["TwfeWeights"].beta,
                                                             rel=1e-9)


def test_summary_and_table_agree_with_the_numbers(built):
    res = built["Result"]
    assert res.summary() == dz.tables.summary_text(res)
    table, reg = res.to_table(), dz.regression_table([res])
    # the table of one result is its regression table with the inference it carries named
    assert table.data.equals(reg.data)
    assert table.notes == (*reg.notes, f"Inference: {res.variance_label}.")
    med = built["MediationResult"]
    assert med.verdict in med.summary()
    m = built["MatchResult"]
    assert m.to_table().to_text() == dz.balance_table(m).to_text()


def test_every_public_result_type_is_covered():
    """A public class with tidy() anywhere in the package appears in BUILDERS."""
    import importlib
    import pkgutil

    found = set()
    for info in pkgutil.walk_packages(dz.__path__, "did_zones."):
        if info.name.startswith(("did_zones.plots", "did_zones.report", "did_zones.__main__",
                                 "did_zones.cli")):
            continue
        mod = importlib.import_module(info.name)
        for cname, cls in inspect.getmembers(mod, inspect.isclass):
            if (cls.__module__ == info.name and not cname.startswith("_")
                    and hasattr(cls, "tidy")):
                found.add(cname)
    covered = {name.split(" ")[0] for name in BUILDERS}
    assert found <= covered, f"result types without a protocol test: {found - covered}"
    for cname in found:
        cls = next(getattr(importlib.import_module(m), cname) for m in
                   (f"did_zones.{p}" for p in ("result", "decomposition", "resample",
                                               "mechanism.result", "robustness.psm",
                                               "robustness.honest", "robustness.power",
                                               "entropy"))
                   if hasattr(importlib.import_module(m), cname))
        for method in ("tidy", "glance", "summary", "to_table"):
            assert callable(getattr(cls, method, None)), f"{cname}.{method} missing"


def test_renderer_missing_is_an_error():
    class Unknown:
        pass

    with pytest.raises(NotImplementedError, match="No summary renderer"):
        _render.render(Unknown(), "summary")
    with pytest.raises(ValueError, match="kind must be one of"):
        _render.register(Unknown, "poster")


def test_bootstrap_draws_tidy_matches_its_methods(built):
    b: BootstrapDraws = built["BootstrapDraws"]
    t = b.tidy()
    np.testing.assert_array_equal(t["std_error"], b.std_error())
    lo, hi = b.interval()
    np.testing.assert_array_equal(t["conf_low"], lo)
    np.testing.assert_array_equal(t["conf_high"], hi)


def test_rendering_loads_the_presentation_layer_on_first_use():
    """In a fresh process, estimating imports no presentation module; the first summary()
    loads :mod:`did_zones.tables` by name (through the registry) and renders."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, did_zones as dz\n"
        "r = dz.Result.create([1.0], np.eye(1), ['x'], method='m', outcome='y', spec={},"
        " n_obs=1, n_units=1)\n"
        "assert not any(m.startswith(('did_zones.tables', 'did_zones.plots', "
        "'did_zones.report')) for m in sys.modules)\n"
        "text = r.summary()\n"
        "assert 'did_zones.tables' in sys.modules and text.startswith('m  outcome: y')\n"
        "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(Path(__file__).parents[1]), check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_every_registered_renderer_names_a_class():
    """Renderers are registered by dotted name: each must name an existing class, so that a
    moved or renamed result type cannot silently lose its summary."""
    import importlib

    import did_zones.tables  # noqa: F401  (registers the renderers)

    names = {name for name, _ in _render._RENDERERS}
    assert len(names) >= 9
    for name in names:
        module, _, cls = name.rpartition(".")
        assert inspect.isclass(getattr(importlib.import_module(module), cls, None)), name
