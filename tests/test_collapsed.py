"""The collapsed cohort × period path (did_zones.design.collapsed) against the dense
n × k design it replaces: the event study and Sun–Abraham give the same numbers (1e-10)
either way, and the path is taken exactly where its module notes say it applies."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.design import collapsed as cp

# the modules (did_zones.estimators exports the functions under the same names)
es_mod = importlib.import_module("did_zones.estimators.event_study")
sa_mod = importlib.import_module("did_zones.estimators.sun_abraham")


def _frame(n_units: int, n_periods: int, cohorts, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(cohorts, size=n_units)
    unit = np.repeat(np.arange(n_units), n_periods)
    year = np.tile(np.arange(2001, 2001 + n_periods), n_units)
    gg = np.repeat(g, n_periods)
    treated = (gg > 0) & (year >= gg)
    y = (np.repeat(rng.normal(size=n_units), n_periods) + 0.1 * year
         + treated * (0.5 + 0.2 * (year - gg)) + rng.normal(size=unit.size))
    return pd.DataFrame({"unit": unit, "year": year, "g": gg, "y": 50.0 + y,
                         "x": rng.normal(size=unit.size), "w": np.repeat(
                             rng.uniform(1, 2, n_units), n_periods)})


PANELS = {
    "never-treated": (60, 8, [0, 2004, 2006, 2007]),
    "no never-treated": (45, 7, [2003, 2005, 2007]),
    "one cohort": (30, 6, [0, 2004]),
    "many cohorts": (90, 10, [0, 2002, 2003, 2005, 2006, 2008, 2010]),
}


def _dense(monkeypatch):
    for mod in (es_mod, sa_mod):
        assert hasattr(mod, "collapsed_design")
        monkeypatch.setattr(mod, "collapsed_design", lambda *a, **k: None)


def _run(fn, panel, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(panel, "y", **kw)


def _same(a: dz.Result, b: dz.Result) -> None:
    assert list(a.estimate.index) == list(b.estimate.index)
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.vcov.to_numpy(), b.vcov.to_numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(a.std_error, b.std_error, rtol=1e-10, atol=1e-14)
    pd.testing.assert_frame_equal(a.keys, b.keys)
    assert a.n_obs == b.n_obs and a.n_clusters == b.n_clusters and a.df == b.df
    assert a.notes == b.notes
    for key in ("r2", "r2_within", "pretrend_F", "pretrend_p", "n_fe_params", "n_catt"):
        if key in a.stats:
            np.testing.assert_allclose(a.stats[key], b.stats[key], rtol=1e-9)


CASES = [
    (dz.event_study, {}),
    (dz.event_study, {"cluster": None}),
    (dz.event_study, {"overall": True}),
    (dz.event_study, {"window": (-3, 2), "bin_endpoints": True}),
    (dz.event_study, {"reference": (-1, -3)}),
    (dz.event_study, {"cluster": "unit", "fixed_effects": ("time", "unit")}),
    (dz.sun_abraham, {}),
    (dz.sun_abraham, {"cluster": None}),
    (dz.sun_abraham, {"share_variance": "fixed"}),
    (dz.sun_abraham, {"window": (-2, 2), "bin_endpoints": True}),
]


@pytest.mark.parametrize("shape", list(PANELS))
@pytest.mark.parametrize("fn,kw", CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_collapsed_equals_dense(shape, fn, kw, monkeypatch):
    n, t, cohorts = PANELS[shape]
    panel = dz.build_panel(_frame(n, t, cohorts, seed=len(shape)), "unit", "year", cohort="g")
    if fn is dz.sun_abraham and not np.isinf(panel.cohort).any():
        kw = {**kw, "control": "last"}  # (rows dropped: the dense path either way)
    try:
        fast = _run(fn, panel, **kw)
    except dz.errors.DidZonesError as err:  # an option the panel cannot take fails alike
        _dense(monkeypatch)
        with pytest.raises(type(err), match=str(err)[:40].replace("(", r"\(")
                           .replace(")", r"\)").replace("[", r"\[").replace("+", r"\+")):
            _run(fn, panel, **kw)
        return
    _dense(monkeypatch)
    calls = []
    monkeypatch.setattr(cp.CollapsedDesign, "fit", lambda self: calls.append(1))
    _same(fast, _run(fn, panel, **kw))
    assert calls == []  # the dense path, truly


def test_the_path_is_taken_where_it_applies(monkeypatch):
    panel = dz.build_panel(_frame(40, 6, [0, 2003, 2005], seed=3), "unit", "year", cohort="g")
    calls = []
    real = cp.CollapsedDesign.fit

    def spy(self):
        calls.append(self.n_obs)
        return real(self)

    monkeypatch.setattr(cp.CollapsedDesign, "fit", spy)
    for fn in (dz.event_study, dz.sun_abraham):
        for kw in ({}, {"cluster": None}, {"cluster": "unit"}):
            calls.clear()
            _run(fn, panel, **kw)
            assert calls == [panel.n_obs], (fn.__name__, kw)
        # not applicable: the dense path
        unbalanced = dz.build_panel(panel.data.drop(index=[7]), "unit", "year", cohort="g")
        missing = dz.build_panel(panel.data.assign(y=panel.data["y"].where(
            panel.data.index != 3)), "unit", "year", cohort="g")
        for p, kw in ((panel, {"controls": "x"}), (panel, {"weights": "w"}),
                      (panel, {"cluster": "g"}), (panel, {"window": (-2, 1)}),
                      (unbalanced, {}), (missing, {})):
            calls.clear()
            _run(fn, p, **kw)
            assert calls == [], (fn.__name__, kw)


def test_dense_fallbacks_agree_with_the_collapsed_numbers_nearby(monkeypatch):
    """Weights, controls and an unbalanced panel take the dense path, unchanged: a weight of
    one everywhere gives the collapsed numbers."""
    panel = dz.build_panel(_frame(50, 7, [0, 2003, 2005], seed=4).assign(one=1.0),
                           "unit", "year", cohort="g")
    for fn in (dz.event_study, dz.sun_abraham):
        _same(_run(fn, panel), _run(fn, panel, weights="one"))


def test_collapsed_design_refuses_regressors_that_are_not_cohort_period_functions():
    panel = dz.build_panel(_frame(20, 5, [0, 2003], seed=5), "unit", "year", cohort="g")
    col = np.where(np.isfinite(panel.event_time), 0, -1)
    rows = np.ones(panel.n_obs, dtype=bool)
    assert cp.collapsed_design(panel, "y", col, ["a"], rows=rows) is not None
    col[0] = 0 if col[0] < 0 else -1  # one unit's row differs from its cohort's
    assert cp.collapsed_design(panel, "y", col, ["a"], rows=rows) is None
