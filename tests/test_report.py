"""The study report: config parsing and validation, the run, the files, escaping, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from did_zones.errors import SpecificationError
from did_zones.estimators.registry import default_study_estimators
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
    assert cfg.study.estimators == default_study_estimators()
    assert set(cfg.study.estimators) < set(ESTIMATORS)  # etwfe, stacked_did when listed
    assert cfg.study.event_window == (-4, 5)
    assert cfg.study.labels["isu"] == "Hierarchy index (ISU)"
    assert cfg.robustness.placebo == {"kind": "in_space", "n_draws": 500, "shift": 2}
    assert cfg.robustness.honest["m_values"] == (0.0, 0.5, 1.0)
    assert cfg.robustness.heterogeneity == ("region",)
    assert cfg.mechanism.method == "serial" and cfg.mechanism.n_boot == 499
    assert cfg.mechanism.chains == {"demand": ("ecom", "imports", "consumption"),
                                    "supply": ("ecom", "exports", "innovation")}
    assert cfg.data.simulate["mechanism"] is True
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


# ------------------------------------------------------------------- the run

SCRIPT = "<script>alert(1)</script>"
AMP = "50% & \\_x"
SECTIONS = ("Adoption and data", "Summary statistics", "Main results", "Event study",
            "Staggered-robust comparison", "Bacon diagnostic", "Mechanism", "Robustness",
            "Heterogeneity", "Warnings and dropped data", "Versions and seeds")


def _small_study(**study) -> dict:
    return {
        "data": {"simulate": {"seed": 2, "effect": "homogeneous"}},
        "study": {"title": f"{SCRIPT} study", "outcomes": ["isu"],
                  "controls": ["lngdp_pc"], "mediators": ["ecom"],
                  "estimators": ["twfe", "event_study", "callaway_santanna", "sun_abraham"],
                  "event_window": [-3, 3], "seed": 5,
                  "labels": {"isu": SCRIPT, "lngdp_pc": AMP}, **study},
        "robustness": {"placebo": {"n_draws": 40}, "psm": {"covariates": ["lngdp_pc"]},
                       "variations": True, "honest": {"m_values": [0, 1]},
                       "pretrend_power": True, "heterogeneity": ["region"]},
        "mechanism": {"method": "channel", "n_boot": 0},
    }


@pytest.fixture(scope="module")
def small_report(tmp_path_factory):
    from did_zones.report import run

    out = tmp_path_factory.mktemp("study") / "out"
    html = run(parse_config(_small_study()), out, progress=False)
    return out, html


def test_run_writes_every_file_and_section(small_report):
    out, html = small_report
    assert html == out / "report.html"
    page = html.read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in page, title
        assert f"\n## {title}\n" in md, title
    for stem in ("main", "summary", "adoption", "comparison_isu", "event_study_isu",
                 "bacon_isu", "psm_balance", "variations", "honest", "pretrend_power",
                 "heterogeneity_region", "mediation_ecom", "versions"):
        for ext in ("tex", "docx", "csv", "md"):
            assert (out / "tables" / f"{stem}.{ext}").stat().st_size > 0, (stem, ext)
    pngs = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert pngs == ["adoption.png", "bacon_isu.png", "event_study_isu.png", "honest.png",
                    "mediation_ecom.png", "placebo.png", "placebo_in_time.png"]
    for name in pngs:  # every figure shown, as a relative file, with its PDF beside it
        assert f'<img src="figures/{name}"' in page and f"](figures/{name})" in md
        assert (out / "figures" / name).with_suffix(".pdf").exists()
    assert "http://" not in page and "https://" not in page  # nothing fetched
    warned = page.split("<h2>Warnings and dropped data</h2>")[1].split("</section>")[0]
    assert "SmallCohortWarning: " in warned  # warnings are reported, not swallowed
    versions = json.loads((out / "versions.json").read_text(encoding="utf-8"))
    assert {"did_zones", "numpy", "pandas", "scipy", "statsmodels",
            "matplotlib"} <= set(versions["versions"])
    assert versions["seeds"] == {"study": 5, "simulate": 2, "placebo": 5, "psm": 5,
                                 "mechanism": 5, "few_treated": 5}
    assert versions["config"]["robustness"]["placebo"]["n_draws"] == 40


def test_user_strings_escaped_in_html(small_report):
    out, _ = small_report
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()  # the page has no script at all
    assert "&lt;script&gt;alert(1)&lt;/script&gt; study</title>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.split("<h2>Main results</h2>")[1]
    assert "50% &amp; \\_x" in page


def test_user_strings_escaped_in_markdown(small_report):
    from did_zones.report.render import markdown_text

    out, _ = small_report
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith(f"# {markdown_text(SCRIPT + ' study')}\n")
    assert "\\<script\\>alert(1)\\</script\\>" in md
    assert "<script" not in md.replace("\\<script", "")  # every one escaped


def test_manifest_lists_exactly_what_was_written(small_report):
    from did_zones.report.folder import MANIFEST, read_manifest

    out, _ = small_report
    manifest = read_manifest(out)
    written = {p.relative_to(out).as_posix() for p in out.rglob("*")} - {MANIFEST}
    assert {e["path"] for e in manifest["files"]} | set(manifest["folders"]) == written


def test_user_strings_escaped_in_latex(small_report):
    from did_zones.tables import latex_escape

    out, _ = small_report
    tex = (out / "tables" / "main.tex").read_text(encoding="utf-8")
    assert "<script>" not in tex and latex_escape(SCRIPT) in tex
    summary = (out / "tables" / "summary.tex").read_text(encoding="utf-8")
    assert latex_escape(AMP) in summary and AMP not in summary
    assert latex_escape(AMP) == "50\\% \\& \\textbackslash{}\\_x"


def test_existing_folder_is_not_overwritten(small_report, tmp_path):
    from did_zones.report import run

    out, _ = small_report
    config = parse_config(_small_study())
    with pytest.raises(SpecificationError, match=r"already exists\. Choose another --out, "
                                                 r"or pass --overwrite"):
        run(config, out, progress=False)
    other = tmp_path / "thesis"
    other.mkdir()
    (other / "chapter1.tex").write_text("precious")
    with pytest.raises(SpecificationError, match=r"holds 1 entry \(chapter1\.tex\) and no "
                                                 r"did_zones manifest .*Choose a new folder"):
        run(config, other, overwrite=True, progress=False)
    assert (other / "chapter1.tex").read_text() == "precious"


def test_missing_column_names_key():
    from did_zones.report import run_study

    with pytest.raises(SpecificationError, match=r"study\.controls: column 'lngdp' not found "
                                                 r"in the data .*Did you mean 'lngdp_pc'\?"):
        run_study(parse_config(_small_study(controls=["lngdp"])), progress=False)


@pytest.mark.slow
def test_command_line_run_and_errors(tmp_path):
    import did_zones as dz

    dz.simulate_pilot_panel(seed=4).data.drop(columns="cohort").to_csv(
        tmp_path / "panel.csv", index=False)
    (tmp_path / "study.toml").write_text(
        '[data]\nfile = "panel.csv"\nunit = "city_code"\ntime = "year"\n'
        'cohort = "registry"\ntiming = "next_year"\n'
        '[study]\noutcomes = ["isu"]\nestimators = ["twfe", "event_study"]\n'
        'language = "zh"\n[study.labels]\nisu = "产业结构高级化"\n'
        '[robustness]\nplacebo = { n_draws = 30 }\n', encoding="utf-8")
    cmd = [sys.executable, "-m", "did_zones", "run", "study.toml", "--out", "out"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^\[1/\d\] data: reading panel\.csv$", proc.stderr, re.M)
    assert re.search(r"^\[\d/\d\] robustness: placebo 30 draws \.\.\.$", proc.stderr, re.M)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "<h2>基准回归</h2>" in page
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    (tmp_path / "bad.toml").write_text('[data]\nfile = "panel.csv"\n[study]\n'
                                       'outcomes = ["isu"]\nestimators = ["csdid"]\n')
    bad = subprocess.run([sys.executable, "-m", "did_zones", "run", "bad.toml", "--out",
                          "o2"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert bad.returncode == 2
    assert "study.estimators[0]: unknown estimator 'csdid'" in bad.stderr
    assert not (tmp_path / "o2").exists()
