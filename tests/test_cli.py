"""The did-zones command line."""

import subprocess
import sys

import pandas as pd
import pytest

from did_zones.cli import build_parser, main
from did_zones.registry import zone_cohorts


def test_cohorts_csv_equals_library(tmp_path):
    out = tmp_path / "c.csv"
    assert main(["cohorts", "--timing", "half_year", "--county-level", "drop",
                 "--out", str(out)]) == 0
    got = pd.read_csv(out).set_index("city_code")["cohort"]
    expected = zone_cohorts(timing="half_year", county_level="drop")
    pd.testing.assert_series_equal(got, expected, check_dtype=False, check_names=False)


def test_zones_prints_selected_batches(capsys):
    assert main(["zones", "--batch", "1"]) == 0
    out = capsys.readouterr().out
    assert "Hangzhou" in out and "国函〔2015〕44号" in out and "Tianjin" not in out


def test_cities_and_simulate(tmp_path):
    cities = tmp_path / "cities.csv"
    assert main(["cities", "--out", str(cities)]) == 0
    assert len(pd.read_csv(cities)) == 337
    panel = tmp_path / "panel.csv"
    assert main(["simulate", "--out", str(panel), "--seed", "3", "--start", "2012",
                 "--end", "2019", "--effect", "none"]) == 0
    df = pd.read_csv(panel)
    assert df["year"].min() == 2012 and df["year"].max() == 2019
    assert len(df) == df["city_code"].nunique() * 8


def test_bad_option_exits_with_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["cohorts", "--timing", "someday"])
    assert exc.value.code == 2
    assert "invalid choice: 'someday'" in capsys.readouterr().err


def test_python_dash_m_runs():
    run = subprocess.run([sys.executable, "-m", "did_zones", "--version"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.startswith("did_zones ")
