"""``[study.options.<estimator>]``: an estimator's own options in a study file (the group of
``triple_difference``, dml_did's learner, stacked_did's weighting), checked at the door and
passed to the estimator's calls."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import did_zones as dz
from did_zones.errors import SpecificationError
from did_zones.report import parse_config, run_study


def _cfg(tmp_path, options, estimators=("twfe", "triple_difference", "stacked_did")):
    sim = dz.simulate_ddd_panel(seed=4)
    sim.data.drop(columns=["y0"]).to_csv(tmp_path / "ddd.csv", index=False)
    return parse_config({
        "data": {"file": "ddd.csv", "unit": "unit", "time": "year", "cohort": "cohort"},
        "study": {"outcomes": ["y"], "estimators": list(estimators),
                  "aggregations": ["simple", "event"], "event_window": [-2, 2],
                  "options": options}}, base_dir=tmp_path)


def test_options_reach_the_estimators(tmp_path):
    cfg = _cfg(tmp_path, {"triple_difference": {"group": "grp", "method": "reg"},
                          "stacked_did": {"weighting": "none"}})
    assert dict(cfg.study.options["triple_difference"]) == {"group": "grp", "method": "reg"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_study(cfg, progress=False)
        panel = dz.build_panel(dz.simulate_ddd_panel(seed=4).data, "unit", "year",
                               cohort="cohort")
        ddd = dz.triple_difference(panel, "y", group="grp", method="reg", control="never",
                                   window=(-2, 2))
        stacked = dz.stacked_did(panel, "y", window=(-2, 2), weighting="none")
    got = out.results["triple_difference:y"]
    assert got.spec["method"] == "reg" and got.spec["group"] == "grp"
    assert got.terms == ddd.terms
    np.testing.assert_allclose(got.estimate.to_numpy(), ddd.estimate.to_numpy(), rtol=1e-12)
    s = out.results["stacked_did:y"]
    assert s.spec["weighting"] == "none"
    np.testing.assert_allclose(s.estimate.to_numpy(), stacked.estimate.to_numpy(),
                               rtol=1e-12)


@pytest.mark.parametrize(("options", "message"), [
    ({"dml_did": {"learner": "linear"}}, r"study\.options\.dml_did: 'dml_did' is not in "
                                         r"study\.estimators"),
    ({"triple_difference": {"grup": "grp"}}, r"study\.options\.triple_difference\.grup: "
                                             r"unknown key.*Did you mean 'group'\?"),
    ({"triple_difference": {"control": "never"}}, r"set by the study.*study\.control"),
    ({"triple_difference": {"cluster": "province"}}, r"use study\.cluster"),
    ({"stacked_did": {"window": [-3, 3]}}, r"use study\.event_window"),
    ({"triple_difference": {"group": {"a": 1}}}, r"expected a number, string, boolean"),
    ({"triple_difference": "grp"}, r"study\.options\.triple_difference: expected a table"),
])
def test_bad_options_name_the_key_and_the_fix(tmp_path, options, message):
    with pytest.raises(SpecificationError, match=message):
        _cfg(tmp_path, options)


def test_listed_without_its_group_says_how(tmp_path):
    cfg = _cfg(tmp_path, {}, estimators=("twfe", "triple_difference"))
    with pytest.raises(SpecificationError, match="group"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_study(cfg, progress=False)


def test_open_figures_elsewhere_are_not_a_study_note(tmp_path):
    """A notebook with many figures open (or the report's own figures, held until written)
    makes matplotlib warn about the open-figure count; that is not a note about the study."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = _cfg(tmp_path, {"triple_difference": {"group": "grp"}},
               estimators=("twfe", "triple_difference"))
    opened = [plt.figure() for _ in range(20 - len(plt.get_fignums()))]  # the next warns
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = run_study(cfg, progress=False)
    finally:
        for fig in opened:
            plt.close(fig)
        for fig in out.figures.values():
            plt.close(fig)
    assert out.figures and not any("figures have been opened" in w for w in out.warnings)
