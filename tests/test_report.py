"""The study report: config parsing and validation, the run, the files, escaping, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from did_zones.errors import SpecificationError
from did_zones.report import load_config, parse_config
from did_zones.report.config import ESTIMATORS

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "study.toml"


def _minimal(**sections) -> dict:
    raw = {"data": {"simulate": {"seed": 1}}, "study": {"outcomes": ["isu"]}}
    for name, value in sections.items():
        raw[name] = {**raw.get(name, {}), **value}
    return raw


# ---------------------------------------------------------------- config


def test_example_config_parses():
    cfg = load_config(EXAMPLE)
    assert cfg.data.simulate["seed"] == 1 and cfg.data.file is None
    assert cfg.study.outcomes == ("isu", "ts")
    assert cfg.study.controls == ("lngdp_pc", "lnpop")
    assert cfg.study.estimators == ESTIMATORS
    assert cfg.study.event_window == (-4, 5)
    assert cfg.study.labels["isu"] == "Hierarchy index (ISU)"
    assert cfg.robustness.placebo == {"kind": "in_space", "n_draws": 500, "shift": 2}
    assert cfg.robustness.honest["m_values"] == (0.0, 0.5, 1.0)
    assert cfg.robustness.heterogeneity == ("region",)
    assert cfg.mechanism.method == "stepwise" and cfg.mechanism.n_boot == 499
    echoed = json.loads(json.dumps(cfg.to_dict()))
    assert echoed["study"]["outcomes"] == ["isu", "ts"]
    with pytest.raises(AttributeError):
        cfg.study.seed = 2  # frozen


def test_defaults_and_data_file(tmp_path):
    (tmp_path / "d.csv").write_text("city_code,year,cohort,isu\n1,2010,2015,2.1\n")
    (tmp_path / "s.toml").write_text('[data]\nfile = "d.csv"\n[study]\noutcomes = "isu"\n')
    cfg = load_config(tmp_path / "s.toml")
    assert cfg.data.file == (tmp_path / "d.csv").resolve()
    assert cfg.study.outcomes == ("isu",) and cfg.study.language == "en"
    assert cfg.robustness.placebo is None and not cfg.robustness.variations
    placebo_on = parse_config(_minimal(robustness={"placebo": True}))
    assert placebo_on.robustness.placebo["n_draws"] == 500


@pytest.mark.parametrize("raw, message", [
    (_minimal(study={"estimators": ["twfe", "sun_abraham", "csdid"]}),
     r"study\.estimators\[2\]: unknown estimator 'csdid'\. Use one of 'twfe', .*; "
     r"did you mean 'callaway_santanna'\?"),
    (_minimal(study={"estimators": ["sunabraham"]}),
     r"study\.estimators\[0\]: .*did you mean 'sun_abraham'\?"),
    (_minimal(study={"outcome": ["isu"]}),
     r"study\.outcome: unknown key\. Allowed keys here: .* Did you mean 'outcomes'\?"),
    ({**_minimal(), "robustnes": {}},
     r"robustnes: unknown key\. .*Did you mean 'robustness'\?"),
    (_minimal(robustness={"placebo": {"kind": "in_space", "draws": 10}}),
     r"robustness\.placebo\.draws: unknown key\. .*Did you mean 'n_draws'\?"),
    (_minimal(robustness={"placebo": {"n_draws": "500"}}),
     r"robustness\.placebo\.n_draws: expected an integer; got str '500'\. "
     r"Write e\.g\. n_draws = 1\."),
    (_minimal(robustness={"placebo": {"n_draws": 0}}),
     r"robustness\.placebo\.n_draws: expected a positive integer; got 0"),
    (_minimal(robustness={"placebo": {"kind": "in_spaces"}}),
     r"robustness\.placebo\.kind: unknown value 'in_spaces'.*did you mean 'in_space'\?"),
    (_minimal(robustness={"variations": "yes"}),
     r"robustness\.variations: expected true or false; got str 'yes'"),
    (_minimal(robustness={"honest": {"m_values": 1}}),
     r"robustness\.honest\.m_values: expected a list of numbers; got int 1"),
    (_minimal(robustness={"honest": {"m_values": [0, "x"]}}),
     r"robustness\.honest\.m_values\[1\]: expected a number; got str 'x'"),
    (_minimal(robustness={"psm": {"k": 2}}),
     r"robustness\.psm\.covariates is missing"),
    (_minimal(robustness={"heterogeneity": [1]}),
     r"robustness\.heterogeneity\[0\]: expected a string; got int 1"),
    (_minimal(study={"language": "de"}),
     r"study\.language: unknown value 'de'\. Use one of 'en', 'zh'"),
    (_minimal(study={"event_window": [2, 5]}),
     r"study\.event_window: expected \[first lead < 0, last lag >= 0\]; got \[2, 5\]"),
    (_minimal(study={"event_window": [-4]}),
     r"study\.event_window: expected a list of two integers"),
    (_minimal(study={"seed": True}), r"study\.seed: expected an integer; got bool True"),
    (_minimal(study={"labels": {"isu": 3}}),
     r"study\.labels\.isu: expected a string; got int 3"),
    (_minimal(study={"labels": ["isu"]}), r"study\.labels: expected a table"),
    (_minimal(study={"outcomes": []}), r"study\.outcomes is empty"),
    ({"data": {"simulate": {"seed": 1}}, "study": {}}, r"study\.outcomes is missing"),
    ({"study": {"outcomes": ["isu"]}}, r"Section \[data\] is missing"),
    ({"data": {}, "study": {"outcomes": ["isu"]}}, r"data: give exactly one of data\.file"),
    (_minimal(data={"simulate": {"seed": 1, "effect": "big"}}),
     r"data\.simulate\.effect: unknown value 'big'\. Use one of 'none', 'homogeneous', "
     r"'heterogeneous'"),
    (_minimal(data={"timing": "later"}), r"data\.timing: unknown value 'later'"),
    (_minimal(mechanism={"method": "sobel"}), r"mechanism\.method: unknown value 'sobel'"),
    (_minimal(mechanism={"n_boot": -1}), r"mechanism\.n_boot: expected an integer >= 0"),
], ids=lambda v: "" if isinstance(v, dict) else v[:40])
def test_config_errors_name_key_and_fix(raw, message):
    with pytest.raises(SpecificationError, match=message):
        parse_config(raw)


def test_file_errors(tmp_path):
    with pytest.raises(SpecificationError, match=r"Study file '.*nope\.toml' not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[study\noutcomes = 1")
    with pytest.raises(SpecificationError, match=r"bad\.toml is not valid TOML: .*Fix the"):
        load_config(bad)
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(SpecificationError, match=r"data\.file: unsupported file type "
                                                 r"'\.xlsx'\. Use one of \.csv"):
        parse_config({"data": {"file": "x.xlsx"}, "study": {"outcomes": ["y"]}}, tmp_path)
    with pytest.raises(SpecificationError, match=r"data\.file: '.*missing\.csv' not found\. "
                                                 r"Paths are relative"):
        parse_config({"data": {"file": "missing.csv"}, "study": {"outcomes": ["y"]}},
                     tmp_path)


def test_config_is_never_evaluated(tmp_path):
    """A string that looks like code stays a string (TOML is data)."""
    cfg = parse_config(_minimal(study={"title": "__import__('os').system('false')"}))
    assert cfg.study.title == "__import__('os').system('false')"
