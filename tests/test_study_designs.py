"""The study file's design sections [spatial] and [synthetic]: parsing and checks."""

import pytest

from did_zones.errors import SpecificationError
from did_zones.report import parse_config

BASE = {"data": {"simulate": {"seed": 1}}, "study": {"outcomes": ["isu", "ts"]}}


def parse(**sections):
    return parse_config({**BASE, **sections})


def test_absent_sections_are_none_and_defaults_are_documented():
    cfg = parse()
    assert cfg.spatial is None and cfg.synthetic is None
    cfg = parse(spatial=True, synthetic=True)
    assert cfg.spatial.weights == "inverse_distance" and cfg.spatial.model == "sdm"
    assert cfg.spatial.power == 1.0 and cfg.spatial.rings == ()
    assert cfg.synthetic.methods == ("sdid", "sc") and cfg.synthetic.se == "placebo"
    assert cfg.synthetic.units == () and cfg.synthetic.n_reps == 200
    assert parse(spatial=False).spatial is None


def test_full_sections_round_trip_to_dict(tmp_path):
    (tmp_path / "W.csv").write_text("id,1,2\n1,0,1\n2,1,0\n")
    cfg = parse_config({**BASE,
                        "spatial": {"weights": "file", "file": "W.csv", "model": "sar",
                                    "rings": [0, 50, 100], "outcomes": ["ts"]},
                        "synthetic": {"units": [330100], "methods": ["sdid"],
                                      "se": "placebo", "n_reps": 50}},
                       base_dir=tmp_path)
    assert cfg.spatial.file == (tmp_path / "W.csv").resolve()
    assert cfg.spatial.rings == (0.0, 50.0, 100.0) and cfg.spatial.outcomes == ("ts",)
    assert cfg.synthetic.units == (330100,) and cfg.synthetic.n_reps == 50
    d = cfg.to_dict()
    assert d["spatial"]["model"] == "sar" and d["synthetic"]["methods"] == ["sdid"]


@pytest.mark.parametrize(("sections", "message"), [
    ({"spatial": {"weights": "kn"}},
     r"spatial\.weights: unknown weight matrix 'kn'.*did you mean 'knn'\?"),
    ({"spatial": {"weights": "distance_band"}}, r"needs spatial\.upper_km"),
    ({"spatial": {"weights": "economic_distance"}}, r"needs spatial\.economic"),
    ({"spatial": {"weights": "file"}}, r"needs spatial\.file"),
    ({"spatial": {"file": "nowhere.csv"}}, r"spatial\.file: '.*nowhere\.csv' not found"),
    ({"spatial": {"weights": "knn", "file": "W.csv"}}, r"spatial\.file is only read with"),
    ({"spatial": {"k": 0}}, r"k must be a positive integer"),
    ({"spatial": {"rings": [0, 50, 40]}}, r"spatial\.rings: expected at least two increasing"),
    ({"spatial": {"rings": "0-50"}}, r"spatial\.rings: expected a list of distances"),
    ({"spatial": {"model": "sdem"}}, r"spatial\.model: unknown model 'sdem'"),
    ({"spatial": {"modle": "sar"}}, r"spatial\.modle: unknown key.*Did you mean 'model'\?"),
    ({"spatial": {"outcomes": ["gdp"]}}, r"spatial\.outcomes: \['gdp'\] are not study outcomes"),
    ({"synthetic": {"methods": ["sdd"]}}, r"synthetic\.methods\[0\]: unknown method 'sdd'"),
    ({"synthetic": {"methods": []}}, r"synthetic\.methods: give at least one"),
    ({"synthetic": {"n_reps": 1}}, r"synthetic\.n_reps: expected an integer >= 2"),
    ({"synthetic": {"units": [1.5]}}, r"synthetic\.units\[0\]: expected a unit id"),
    ({"synthetic": {"se": "hc1"}}, r"synthetic\.se: unknown standard error 'hc1'"),
    ({"spatial": 3}, r"spatial: expected a table"),
])
def test_bad_sections_name_the_key_and_the_fix(sections, message):
    with pytest.raises(SpecificationError, match=message):
        parse(**sections)


def test_simulated_spillover_reaches_the_simulator():
    cfg = parse_config({"data": {"simulate": {"seed": 1, "spillover": {"50": 0.01,
                                                                          "100": 0.005}}},
                        "study": {"outcomes": ["isu"]}})
    assert dict(cfg.data.simulate["spillover"]) == {50.0: 0.01, 100.0: 0.005}
    assert parse_config({"data": {"simulate": {"spillover": 0.02}},
                         "study": {"outcomes": ["isu"]}}).data.simulate["spillover"] == 0.02
    from did_zones.report.parts import load_panel

    panel, sim = load_panel(cfg)
    assert sim.truth.spillover["effect"].tolist() == [0.01, 0.005]
    for bad, message in (({"x": 0.01}, r"data\.simulate\.spillover: the keys are ring outer"),
                         ({"50": "big"}, r"data\.simulate\.spillover: spillover maps ring"),
                         ("big", r"data\.simulate\.spillover: spillover must be None")):
        with pytest.raises(SpecificationError, match=message):
            parse_config({"data": {"simulate": {"spillover": bad}},
                          "study": {"outcomes": ["isu"]}})
