"""study.flags: the report's flag thresholds set from the study file (defaults in
did_zones.diagnostics.THRESHOLDS), checked for their keys and ranges, and used."""

import re

import pytest

from did_zones.diagnostics import THRESHOLDS
from did_zones.errors import SpecificationError
from did_zones.report import load_config, run_study

STUDY = ('[data]\nsimulate = {{seed = 1, years = [2014, 2019]}}\n[study]\n'
         'outcomes = ["isu"]\nestimators = ["twfe"]\n{flags}')


def _config(tmp_path, flags: str):
    path = tmp_path / "study.toml"
    path.write_text(STUDY.format(flags=flags), encoding="utf-8")
    return load_config(path)


def test_defaults_are_the_diagnostics_thresholds(tmp_path):
    assert dict(_config(tmp_path, "").study.flags) == {}
    assert dict(THRESHOLDS) == {"pretrend_alpha": 0.05, "forbidden_weight": 0.10,
                                "negative_weight": 0.0, "min_cohort_units": 5,
                                "placebo_p": 0.10}


def test_thresholds_are_read(tmp_path):
    cfg = _config(tmp_path, "flags = {pretrend_alpha = 0.01, min_cohort_units = 2, "
                            "negative_weight = 0.05}\n")
    assert dict(cfg.study.flags) == {"pretrend_alpha": 0.01, "min_cohort_units": 2.0,
                                     "negative_weight": 0.05}


@pytest.mark.parametrize("flags, message", [
    ("flags = {pretrend_alfa = 0.01}",
     r"study\.flags\.pretrend_alfa: unknown key\. .*Did you mean 'pretrend_alpha'\?"),
    ("flags = {placebo_p = 1.5}",
     r"study\.flags\.placebo_p must be a share strictly between 0 and 1; got 1\.5\. "
     r"Use e\.g\. placebo_p = 0\.1\."),
    ("flags = {min_cohort_units = 0}", r"study\.flags\.min_cohort_units must be an integer >= 1"),
    ("flags = {min_cohort_units = 2.5}", r"study\.flags\.min_cohort_units"),
    ("flags = {negative_weight = -1}", r"study\.flags\.negative_weight must be a number >= 0"),
    ("flags = 3", r"study\.flags"),
])
def test_bad_thresholds_are_refused(tmp_path, flags, message):
    with pytest.raises(SpecificationError, match=message):
        _config(tmp_path, flags + "\n")


@pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")
def test_the_small_cohort_flag_follows_the_threshold(tmp_path):
    """The simulated panel's 2015 cohort is one city: flagged under the default (5 units),
    not when the threshold is 1 unit; a threshold of 13 also catches the 12-city 2016 batch."""
    def flags_of(cfg):
        out = run_study(cfg)
        return [i.value for s in out.sections for i in s.items if i.kind == "flag"]

    default = flags_of(_config(tmp_path, ""))
    assert any(re.search(r"fewer than 5 units \(cohort 2015: 1 unit", t) for t in default)
    assert not any("fewer than" in t for t in flags_of(
        _config(tmp_path, "flags = {min_cohort_units = 1}\n")))
    wide = [t for t in flags_of(_config(tmp_path, "flags = {min_cohort_units = 13}\n"))
            if "fewer than" in t]
    assert len(wide) == 1 and "fewer than 13 units" in wide[0] and "2016: 12 units" in wide[0]
