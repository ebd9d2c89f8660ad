"""``Result.extra`` is typed: each estimator declares its keys once (a ``TypedDict`` in its
module) and puts exactly those keys in its results: every required key, optional keys only
in the branches that make them (bootstrap, controls), nothing undeclared."""

from __future__ import annotations

import pytest
from conftest import quiet as _quiet

import did_zones as dz
from did_zones.estimators.aggregate import AggregateExtra
from did_zones.estimators.callaway_santanna import CallawaySantAnnaExtra
from did_zones.estimators.continuous import ContinuousDidExtra
from did_zones.estimators.dcdh import DcdhExtra
from did_zones.estimators.did2s import Did2sExtra
from did_zones.estimators.dml import DmlAggregateExtra, DmlDidExtra
from did_zones.estimators.etwfe import EtwfeAggregateExtra, EtwfeExtra
from did_zones.estimators.event_study import EventStudyExtra
from did_zones.estimators.imputation import ImputationExtra
from did_zones.estimators.iv_did import IvDidExtra
from did_zones.estimators.stacked import StackedExtra
from did_zones.estimators.sun_abraham import SunAbrahamExtra
from did_zones.estimators.triple import TripleDifferenceExtra
from did_zones.estimators.twfe import TwfeExtra
from did_zones.mechanism.causal import CausalMediationExtra
from did_zones.mechanism.moderation import ModerationExtra
from did_zones.robustness.heterogeneity import HeterogeneityExtra
from did_zones.robustness.psm import PsmDidExtra
from did_zones.robustness.variations import VariationsExtra
from did_zones.spatial.models import SpatialPanelExtra
from did_zones.spatial.rings import RingDidExtra
from did_zones.synthetic import SynthdidExtra, SyntheticControlExtra


def _ring(p):
    """A row-standardised ring over the panel's units (two neighbours each)."""
    import numpy as np
    import pandas as pd

    n = p.n_units
    w = np.zeros((n, n))
    i = np.arange(n)
    w[i, (i + 1) % n] = w[i, (i - 1) % n] = 0.5
    return pd.DataFrame(w, index=p.units, columns=p.units)


def _contdid():
    """A two-period continuous-dose panel (the small panel has no dose)."""
    import numpy as np
    import pandas as pd

    dose = np.r_[np.zeros(10), np.linspace(1, 2, 20)]
    df = pd.DataFrame({"u": np.repeat(np.arange(30), 2), "t": np.tile([1, 2], 30),
                       "g": np.repeat(np.where(dose > 0, 2, 0), 2), "dose": np.repeat(dose, 2)})
    df["y"] = np.sin(np.arange(60)) + (df.t == 2) * df.dose ** 2
    return dz.continuous_did(dz.build_panel(df, "u", "t", cohort="g"), "y", dose="dose")


def _ddd(two=False, naive=False, **kw):
    """A triple-difference panel (the small panel has no eligibility group)."""
    data = dz.simulate_ddd_panel(seed=2).data
    if two:
        data = data[data["year"].isin([2019, 2020]) & data["cohort"].isin([0, 2020])]
    panel = dz.build_panel(data, "unit", "year", cohort="cohort")
    return _quiet(dz.triple_difference, panel, "y", group="grp", method="reg", naive=naive,
                  **kw)


def _dml(p):
    return _quiet(dz.dml_did, p, "isu", controls=["lngdp_pc", "lnpop"], learner="linear",
                  n_folds=2)


def _cs(p, **kw):
    return _quiet(dz.callaway_santanna, p, "isu", **kw)


# name -> (typed mapping, callable, the optional keys this call must produce)
CASES = {
    "twfe": (TwfeExtra, lambda p: _quiet(dz.twfe, p, "isu"), set()),
    "etwfe": (EtwfeExtra, lambda p: _quiet(dz.etwfe, p, "isu"), set()),
    "etwfe_aggregate": (EtwfeAggregateExtra,
                        lambda p: _quiet(dz.aggregate, _quiet(dz.etwfe, p, "isu"), "event"),
                        set()),
    "event_study": (EventStudyExtra,
                    lambda p: _quiet(dz.event_study, p, "isu", window=(-3, 2)), set()),
    "sun_abraham": (SunAbrahamExtra, lambda p: _quiet(dz.sun_abraham, p, "isu"), set()),
    "callaway_santanna": (CallawaySantAnnaExtra, lambda p: _cs(p), set()),
    "callaway_santanna_boot": (CallawaySantAnnaExtra, lambda p: _cs(p, n_boot=19, seed=1),
                               {"vcov_analytic", "bootstrap_draws"}),
    "aggregate": (AggregateExtra, lambda p: _quiet(dz.aggregate, _cs(p), "simple"), set()),
    "aggregate_boot": (AggregateExtra,
                       lambda p: _quiet(dz.aggregate, _cs(p), "event", n_boot=19, seed=1),
                       {"vcov_analytic", "bootstrap_draws"}),
    "imputation": (ImputationExtra, lambda p: _quiet(dz.imputation, p, "isu"), set()),
    "did2s": (Did2sExtra, lambda p: _quiet(dz.did2s, p, "isu"), set()),
    "dcdh": (DcdhExtra, lambda p: _quiet(dz.dcdh, p, "isu"), {"std_error_dyn"}),
    "dcdh_controls_boot": (DcdhExtra,
                           lambda p: _quiet(dz.dcdh, p, "isu", controls=["lnpop"], n_boot=9,
                                            seed=1),
                           {"control_coefficients", "vcov_analytic", "bootstrap_draws"}),
    "stacked_did": (StackedExtra,
                    lambda p: _quiet(dz.stacked_did, p, "isu", window=(-2, 1)), set()),
    "continuous_did": (ContinuousDidExtra, lambda p: _contdid(), set()),
    "triple_difference": (TripleDifferenceExtra, lambda p: _ddd(),
                          {"did_components", "cell_counts", "att_gt", "simple", "cohort",
                           "weights", "kind", "cohort_share"}),
    "triple_difference_boot": (TripleDifferenceExtra, lambda p: _ddd(n_boot=19),
                               {"did_components", "cell_counts", "att_gt", "simple",
                                "cohort", "weights", "kind", "cohort_share", "vcov_analytic",
                                "bootstrap_draws"}),
    "triple_difference_att_gt": (TripleDifferenceExtra, lambda p: _ddd().extra["att_gt"],
                                 {"did_components", "cell_counts", "cohort_share",
                                  "unit_cohort", "unit_weights", "cluster", "gmm_cells"}),
    "triple_difference_2p": (TripleDifferenceExtra, lambda p: _ddd(two=True),
                             {"did_components", "cell_counts"}),
    "triple_difference_naive": (TripleDifferenceExtra, lambda p: _ddd(naive=True), set()),
    "dml_did": (DmlDidExtra, lambda p: _dml(p), set()),
    "dml_aggregate": (DmlAggregateExtra, lambda p: _quiet(dz.aggregate, _dml(p), "event"),
                      set()),
    "iv_did": (IvDidExtra, lambda p: _quiet(dz.iv_did, p, "isu", "ecom"), set()),
    "causal_mediation": (CausalMediationExtra,
                         lambda p: _quiet(dz.causal_mediation, p, "isu", "ecom", n_sims=50,
                                          seed=1), set()),
    "moderation": (ModerationExtra,
                   lambda p: _quiet(dz.moderation, p, "isu", "lngdp_pc"), set()),
    "heterogeneity": (HeterogeneityExtra,
                      lambda p: _quiet(dz.heterogeneity, _quiet(dz.twfe, p, "isu"), p,
                                       "region"), set()),
    "spatial_did": (SpatialPanelExtra,
                    lambda p: _quiet(dz.spatial_did, p, "isu", _ring(p)), set()),
    "spatial_panel_slx": (SpatialPanelExtra,
                          lambda p: _quiet(dz.spatial_panel, p, "isu", _ring(p),
                                           ["lngdp_pc"], model="slx"), set()),
    "variations": (VariationsExtra,
                   lambda p: _quiet(dz.variations, _quiet(dz.twfe, p, "isu"), p), set()),
    "synthdid": (SynthdidExtra, lambda p: _quiet(dz.synthdid, p, "isu", se=None), set()),
    "synthdid_placebo": (SynthdidExtra,
                         lambda p: _quiet(dz.synthdid, p, "isu", n_reps=3, seed=1),
                         {"replicates"}),
    "synthetic_control": (SyntheticControlExtra,
                          lambda p: _quiet(dz.synthetic_control, p, "isu", placebos=False),
                          set()),
    "ring_did": (RingDidExtra, lambda p: _quiet(dz.ring_did, p, "isu", event=True), set()),
}


def _declared(typed) -> tuple[frozenset, frozenset]:
    return typed.__required_keys__, typed.__optional_keys__


@pytest.mark.parametrize("name", list(CASES))
def test_extra_keys_are_the_declared_ones(small, name):
    typed, make, optional = CASES[name]
    required, allowed = _declared(typed)
    keys = set(make(small).extra)
    assert keys == set(required) | optional, (
        f"{name}: undeclared {sorted(keys - required - allowed)}, missing "
        f"{sorted(set(required) - keys)}, optional {sorted(keys & allowed)}")
    assert optional <= allowed


@pytest.mark.parametrize("method", ["channel", "stepwise", "causal", "serial"])
def test_mediation_extra_keys(small, method):
    from did_zones.mechanism.result import MEDIATION_EXTRA_KEYS, MediationExtra

    kw = {"n_boot": 9, "seed": 1} if method in ("stepwise", "serial") else {}
    kw = {"n_boot": 50, "seed": 1} if method == "causal" else kw
    med = ["ecom", "open"] if method == "serial" else "ecom"
    res = _quiet(dz.mediation, small, "isu", med, method=method, **kw)
    assert set(res.extra) == MEDIATION_EXTRA_KEYS[method]
    assert MEDIATION_EXTRA_KEYS[method] <= MediationExtra.__optional_keys__


def test_psm_did_adds_only_match(small):
    main = _quiet(dz.twfe, small, "isu")
    res = _quiet(dz.psm_did, main, small, ["lngdp_pc"], seed=1)
    assert set(res.extra) == set(TwfeExtra.__required_keys__) | set(
        PsmDidExtra.__required_keys__)
    assert isinstance(res.extra["match"], dz.MatchResult)


def test_every_registered_estimator_declares_its_extra():
    """A new estimator declares the keys of its ``extra`` too: its module defines a
    ``TypedDict`` named ``<Something>Extra``, and this file checks its keys."""
    import dataclasses
    import inspect

    from did_zones.estimators import REGISTRY, get_estimator

    checked = {typed for typed, _, _ in CASES.values()}
    for name in REGISTRY:
        if REGISTRY[name].family == "diagnostic":  # own result types: typed fields, no extra
            assert not any(f.name == "extra" for f in dataclasses.fields(
                getattr(dz, {"bacon_decomposition": "BaconDecomposition",
                             "twfe_weights": "TwfeWeights"}[name])))
            continue
        module = inspect.getmodule(inspect.unwrap(get_estimator(name)))
        declared = [obj for attr, obj in vars(module).items()
                    if attr.endswith("Extra") and isinstance(obj, type)
                    and hasattr(obj, "__required_keys__") and obj.__module__ == module.__name__]
        assert declared, f"{module.__name__} declares no TypedDict for its results' extra"
        assert set(declared) & checked, f"{name}: add its extra keys to CASES"
