"""The report writer owns its output folder, and the command line reports user errors in one
line: the manifest, what --overwrite may remove, the refused folders, the exit codes, --debug,
and Markdown escaping in report.md."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import did_zones
from did_zones.cli import main
from did_zones.errors import SpecificationError
from did_zones.report import check_folder, prepare_folder
from did_zones.report.folder import (
    MANIFEST,
    ManifestError,
    _signature,
    read_manifest,
    write_manifest,
)
from did_zones.report.render import markdown_text

pytestmark = pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")

STUDY = ('[data]\nfile="panel.csv"\n[study]\noutcomes=["isu"]\nestimators=["twfe"]\n')
FAST_SIM = ('[data]\nsimulate = {{seed = 1, years = [2014, 2019]}}\n[study]\n'
            'outcomes = ["isu"]\nestimators = [{estimators}]\n')


def _fake_report(out: Path) -> list[str]:
    """What the writer does, without a study: prepare, write, record."""
    files = {"report.html": "<html></html>", "report.md": "# r\n", "versions.json": "{}",
             "tables/main.csv": "a,b\n1,2\n", "figures/adoption.png": "png"}
    prepare_folder(out, planned=list(files))
    for rel, text in files.items():
        (out / rel).write_text(text, encoding="utf-8")
    write_manifest(out, files, ("tables", "figures"))
    return sorted(files)


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("did-zones: error: "), err
    return lines[0]


# --------------------------------------------------------------- the manifest


def test_manifest_lists_every_file_with_size_hash_and_signature(tmp_path):
    out = tmp_path / "out"
    files = _fake_report(out)
    manifest = read_manifest(out)
    assert manifest["did_zones"] == did_zones.__version__ and manifest["created"]
    assert [e["path"] for e in manifest["files"]] == files
    for entry in manifest["files"]:
        data = (out / entry["path"]).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["folders"] == ["figures", "tables"]
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["signature"])


def test_overwrite_removes_only_listed_files(tmp_path):
    out = tmp_path / "out"
    _fake_report(out)
    (out / "my_notes.txt").write_text("keep")
    (out / "tables" / "my_table.csv").write_text("keep")
    (out / "figures" / "adoption.png").unlink()  # a listed file already gone is fine
    prepare_folder(out, overwrite=True, planned=["report.html"])
    assert _tree(out) == {"my_notes.txt", "tables", "tables/my_table.csv", "figures"}
    assert (out / "my_notes.txt").read_text() == "keep"


def test_overwrite_removes_empty_listed_folders_then_recreates_them(tmp_path):
    out = tmp_path / "out"
    _fake_report(out)
    (out / "keep.txt").write_text("x")
    prepare_folder(out, overwrite=True, folders=())
    assert _tree(out) == {"keep.txt"}


@pytest.mark.parametrize("forge", ["hand_made", "edited_entry", "added_entry", "not_json",
                                   "escaping_path", "extra_field"])
def test_forged_or_edited_manifest_is_refused(tmp_path, forge):
    out = tmp_path / "out"
    _fake_report(out)
    (out / "thesis.tex").write_text("precious")
    path = out / MANIFEST
    data = json.loads(path.read_text())
    if forge == "hand_made":
        data["signature"] = "0" * 64
    elif forge == "edited_entry":
        data["files"][0]["path"] = "thesis.tex"
    elif forge == "added_entry":
        data["files"].append({"path": "thesis.tex", "size": 8, "sha256": "0" * 64})
    elif forge == "escaping_path":  # even correctly signed, a path may not leave the folder
        data["files"].append({"path": "../outside.txt", "size": 1, "sha256": "0" * 64})
        data["signature"] = _signature({k: v for k, v in data.items() if k != "signature"})
    elif forge == "extra_field":
        data["note"] = "hi"
    path.write_text("{not json" if forge == "not_json" else json.dumps(data))
    with pytest.raises(ManifestError):
        read_manifest(out)
    with pytest.raises(SpecificationError, match=r"holds a did_zones manifest that does not "
                                                 r"validate \(.*\).*Choose a new folder"):
        prepare_folder(out, overwrite=True)
    assert (out / "thesis.tex").read_text() == "precious"
    assert (out / "report.html").exists()


def test_versions_json_alone_is_no_longer_a_guard(tmp_path):
    out = tmp_path / "project"
    out.mkdir()
    (out / "versions.json").write_text("{}")
    (out / "analysis.py").write_text("precious")
    with pytest.raises(SpecificationError,
                       match=r"holds 2 entries \(analysis\.py, versions\.json\) and no "
                             r"did_zones manifest \(\.did_zones_manifest\.json\), so "
                             r"did-zones did not write it.*Choose a new folder for --out"):
        prepare_folder(out, overwrite=True)
    assert _tree(out) == {"versions.json", "analysis.py"}


def test_changed_listed_file_is_refused_not_deleted(tmp_path):
    out = tmp_path / "out"
    _fake_report(out)
    (out / "report.md").write_text("# my edits\n")
    with pytest.raises(SpecificationError, match=r"1 entry \(report\.md\) written by "
                                                 r"did-zones was changed since, and "
                                                 r"--overwrite would delete it\. Move it out"):
        prepare_folder(out, overwrite=True)
    assert (out / "report.md").read_text() == "# my edits\n"


def test_linked_listed_file_is_refused(tmp_path):
    out = tmp_path / "out"
    _fake_report(out)
    outside = tmp_path / "thesis.tex"
    outside.write_text("precious")
    (out / "report.md").unlink()
    (out / "report.md").symlink_to(outside)
    with pytest.raises(SpecificationError, match=r"\(report\.md\) written by did-zones was "
                                                 r"changed since"):
        prepare_folder(out, overwrite=True)
    assert outside.read_text() == "precious"


def test_planned_file_may_not_replace_a_user_file(tmp_path):
    out = tmp_path / "out"
    _fake_report(out)
    (out / "tables" / "summary.csv").write_text("mine")
    with pytest.raises(SpecificationError, match=r"holds 1 entry \(tables/summary\.csv\) "
                                                 r"that did-zones did not write"):
        prepare_folder(out, overwrite=True, planned=["report.html", "tables/summary.csv"])
    assert (out / "tables" / "summary.csv").read_text() == "mine"
    assert (out / "report.html").exists()  # nothing removed before the refusal


# ------------------------------------------------------------ refused folders


def test_existing_report_needs_overwrite(tmp_path):
    out = tmp_path / "out"
    _fake_report(out)
    with pytest.raises(SpecificationError, match=r"'.*out' already exists\. Choose another "
                                                 r"--out, or pass --overwrite"):
        check_folder(out)
    check_folder(out, overwrite=True)


def test_empty_existing_folder_may_be_used(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    check_folder(out)
    assert prepare_folder(out) == out and _tree(out) == {"tables", "figures"}


def test_refuses_current_folder_and_its_ancestors(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(SpecificationError, match=r"^--out \. is the current folder; write the "
                                                 r"report to a new folder such as --out "
                                                 r"report/\.$"):
        check_folder(".", overwrite=True)
    with pytest.raises(SpecificationError, match=r"--out \.\. holds the current folder"):
        check_folder("..", overwrite=True)
    check_folder("report")  # a new folder inside it is fine


def test_refuses_home_and_root(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecificationError, match=r"is your home folder; write the report"):
        check_folder(home, overwrite=True)
    with pytest.raises(SpecificationError, match=r"is the root of the filesystem"):
        check_folder(Path(os.path.abspath(os.sep)), overwrite=True)


def test_refuses_folders_holding_the_studys_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    study, data = project / "study.toml", project / "data" / "panel.csv"
    protect = {study: "study file", data: "data file"}
    with pytest.raises(SpecificationError, match=r"--out project holds the study file "
                                                 r"study\.toml; write the report to a new "
                                                 r"folder"):
        check_folder("project", overwrite=True, protect=protect)
    with pytest.raises(SpecificationError, match=r"--out project/data holds the data file "
                                                 r"panel\.csv"):
        check_folder("project/data", overwrite=True, protect=protect)
    with pytest.raises(SpecificationError, match=r"holds the study file project/study\.toml"):
        check_folder(tmp_path, overwrite=True, protect=protect)
    check_folder("project/report", protect=protect)


def test_refuses_a_file_and_a_path_below_a_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(SpecificationError, match=r"'.*afile' is a file\. Choose a folder"):
        check_folder(tmp_path / "afile", overwrite=True)
    with pytest.raises(SpecificationError, match=r"'.*afile' is a file, so no folder can be "
                                                 r"made below it"):
        check_folder(tmp_path / "afile" / "sub")


# ------------------------------------------------------------- the command line


def _write_project(folder: Path) -> None:
    """The scenario of issue #14: a project folder holding its data, study and versions.json."""
    import did_zones as dz

    dz.simulate_pilot_panel(seed=0, years=(2014, 2019)).data.to_csv(folder / "panel.csv",
                                                                    index=False)
    (folder / "versions.json").write_text("{}\n")
    (folder / "study.toml").write_text(STUDY)


def test_overwrite_of_the_project_folder_is_refused_by_the_command(tmp_path):
    _write_project(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    proc = subprocess.run([sys.executable, "-m", "did_zones", "run", "study.toml", "--out",
                           ".", "--overwrite"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 2
    assert _one_error_line(proc.stderr) == (
        "did-zones: error: --out . holds the study file study.toml; write the report to a "
        "new folder such as --out report/.")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_overwrite_of_the_data_folder_is_refused(tmp_path, monkeypatch, capsys):
    _write_project(tmp_path)
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "study.toml").write_text(STUDY.replace('"panel.csv"', '"../panel.csv"'))
    monkeypatch.chdir(tmp_path / "cfg")
    assert main(["run", "study.toml", "--out", "..", "--overwrite", "--quiet"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "--out .. holds the data file panel.csv" in line
    assert (tmp_path / "panel.csv").exists() and (tmp_path / "cfg" / "study.toml").exists()


def test_second_run_replaces_the_report_and_keeps_user_files(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("first.toml").write_text(FAST_SIM.format(estimators='"twfe", "event_study"'))
    Path("second.toml").write_text(FAST_SIM.format(estimators='"twfe"'))
    assert main(["run", "first.toml", "--out", "rep", "--quiet"]) == 0
    first = read_manifest("rep")
    assert "figures/event_study_isu.png" in {e["path"] for e in first["files"]}
    # the manifest lists every file and folder the writer made, and nothing else
    listed = {e["path"] for e in first["files"]} | set(first["folders"]) | {MANIFEST}
    assert _tree(Path("rep")) == listed
    Path("rep/my_notes.md").write_text("referee comments")
    Path("rep/figures/my_sketch.png").write_bytes(b"mine")
    assert main(["run", "second.toml", "--out", "rep", "--quiet"]) == 2
    assert "pass --overwrite" in _one_error_line(capsys.readouterr().err)
    assert main(["run", "second.toml", "--out", "rep", "--quiet", "--overwrite"]) == 0
    second = read_manifest("rep")
    files = {e["path"] for e in second["files"]}
    assert "figures/event_study_isu.png" not in files
    assert not Path("rep/figures/event_study_isu.png").exists()  # the old report's file
    assert Path("rep/my_notes.md").read_text() == "referee comments"
    assert Path("rep/figures/my_sketch.png").read_bytes() == b"mine"
    assert _tree(Path("rep")) == files | set(second["folders"]) | {
        MANIFEST, "my_notes.md", "figures/my_sketch.png"}


def test_forged_manifest_is_refused_by_the_command(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("s.toml").write_text(FAST_SIM.format(estimators='"twfe"'))
    Path("out").mkdir()
    Path("out/thesis.tex").write_text("precious")
    body = {"format": "did_zones report manifest", "schema": 1, "did_zones": "0.1.0",
            "created": "2024-01-01T00:00:00+00:00", "folders": [],
            "files": [{"path": "thesis.tex", "size": 8, "sha256": "0" * 64}]}
    Path("out", MANIFEST).write_text(json.dumps({**body, "signature": "f" * 64}))
    assert main(["run", "s.toml", "--out", "out", "--overwrite", "--quiet"]) == 2
    assert "does not validate" in _one_error_line(capsys.readouterr().err)
    assert Path("out/thesis.tex").read_text() == "precious"


def _user_error_cases(tmp: Path) -> dict[str, tuple[list[str], str]]:
    (tmp / "empty.csv").write_bytes(b"")
    (tmp / "header.csv").write_text("city_code,year,cohort,isu\n")
    # a UTF-8 byte-order mark in front of bytes that are not UTF-8: no encoding can be right
    (tmp / "latin.csv").write_bytes(b"\xef\xbb\xbfcity_code,year\n1,\xff\xfe\n")
    for name in ("empty", "header", "latin"):
        (tmp / f"{name}.toml").write_text(STUDY.replace("panel", name))
    (tmp / "bad.toml").write_text("[study\noutcomes = 1\n")
    (tmp / "afile").write_text("x")
    (tmp / "sim.toml").write_text(FAST_SIM.format(estimators='"twfe"'))
    return {
        "zero_byte_csv": (["run", "empty.toml", "--out", "o"],
                          r"data\.file 'empty\.csv' is empty \(0 bytes, 0 rows\)\. Point "),
        "header_only_csv": (["run", "header.toml", "--out", "o"],
                            r"data\.file 'header\.csv' has a header line \(4 columns: "
                            r"city_code, year, cohort, isu\) but 0 data rows\."),
        "not_utf8_csv": (["run", "latin.toml", "--out", "o"],
                         r"'.*latin\.csv'.* is not UTF-8\. .*Re-save it as UTF-8"),
        "out_below_a_file": (["run", "sim.toml", "--out", "afile/sub"],
                             r"--out afile/sub: '.*afile' is a file, so no folder can be "
                             r"made below it"),
        "bad_toml": (["run", "bad.toml", "--out", "o"], r"bad\.toml is not valid TOML: "),
        "missing_study_file": (["run", "nope.toml", "--out", "o"],
                               r"Study file 'nope\.toml' not found\."),
        "csv_into_missing_folder": (["simulate", "--out", "nodir/p.csv"],
                                    r"--out nodir/p\.csv: '.*nodir' does not exist\."),
        "demo_below_a_file": (["demo", "--out", "afile/sub"], r"'.*afile' is a file"),
    }


@pytest.mark.parametrize("case", ["zero_byte_csv", "header_only_csv", "not_utf8_csv",
                                  "out_below_a_file", "bad_toml", "missing_study_file",
                                  "csv_into_missing_folder", "demo_below_a_file"])
def test_user_errors_exit_2_with_one_line(tmp_path, monkeypatch, capsys, case):
    monkeypatch.chdir(tmp_path)
    argv, message = _user_error_cases(tmp_path)[case]
    quiet = ["--quiet"] if argv[0] == "run" else []
    assert main(argv + quiet) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert re.search(message, line), line
    assert not (tmp_path / "o").exists()


def test_user_error_in_a_real_process_has_no_traceback(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "s.toml").write_text(STUDY.replace("panel", "empty"))
    proc = subprocess.run([sys.executable, "-m", "did_zones", "run", "s.toml", "--out", "o",
                           "--quiet"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 2
    assert "'empty.csv' is empty" in _one_error_line(proc.stderr)


@pytest.mark.parametrize("argv", [["--debug", "run", "nope.toml", "--out", "o"],
                                  ["run", "nope.toml", "--out", "o", "--debug"]])
def test_debug_shows_the_traceback_of_a_user_error(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "SpecificationError: Study file 'nope.toml' not found" in err
    assert err.splitlines()[-1].startswith("did-zones: error: Study file 'nope.toml'")


def _boom(*args, **kwargs):
    raise RuntimeError("boom\nsecond line")


def test_unexpected_error_is_reported_as_a_bug(monkeypatch, capsys):
    monkeypatch.setattr("did_zones.registry.load_cities", _boom)
    assert main(["cities"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines() == [
        "did-zones: error: unexpected RuntimeError: boom second line",
        f"did-zones: this is a bug in did_zones {did_zones.__version__}; please report it "
        "with the command you ran and the output of the same command with --debug "
        "(did-zones --debug ...)."]
    assert main(["--debug", "cities"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and "_boom" in err
    assert f"this is a bug in did_zones {did_zones.__version__}" in err


def test_interrupt_exits_130(monkeypatch, capsys):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("did_zones.registry.load_cities", interrupt)
    assert main(["cities"]) == 130
    assert capsys.readouterr().err == "did-zones: interrupted\n"


# ------------------------------------------------------------------ Markdown

NASTY = ["*bold* _it_ **x**", "# not a heading", "[link](http://x.y) ![img](a.png)",
         "a | b | c", "<script>alert(1)</script>", "&amp; &lt;b&gt; &#65;", "`code`",
         "~~gone~~ $x^2$ {#id}", "1. first", "2015) second", "- item", "+ item", "= under",
         "> quote", "back\\slash \\*", "two\nlines\n\n# heading"]


def _unescape(md: str) -> str:
    """CommonMark's reading of backslash escapes: any ASCII punctuation after a backslash."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md)


@pytest.mark.parametrize("text", NASTY)
def test_markdown_text_is_literal(text):
    md = markdown_text(text)
    assert "\n" not in md
    assert _unescape(md) == " ".join(text.split())
    bare = re.sub(r"\\[!-/:-@\[-`{-~]", "", md)  # what is left unescaped
    assert not re.search(r"[\\`*_\[\]<>|#~&$]", bare), md
    assert not re.match(r"[-+=>#]|\d+[.)]", bare)  # no block marker at the start


def test_report_markdown_escapes_title_headings_and_alt_text(tmp_path):
    from types import MappingProxyType

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from did_zones.report import Item, Section, StudyOutput, parse_config, write_report

    title = "Zones *#1* [draft] | <script>alert(1)</script> & 50%"
    config = parse_config({"data": {"simulate": {"seed": 1}},
                           "study": {"outcomes": ["isu"], "title": title}})
    fig, ax = plt.subplots()
    ax.set_title("Effect on <b>*ISU*</b> | [e]")
    output = StudyOutput(
        config=config, panel=None, results=MappingProxyType({}),
        tables=MappingProxyType({}), figures=MappingProxyType({"event": fig}),
        sections=(Section("main", "Main | *results* <i>", (
            Item("text", "1. Label <b>x</b> *y*"), Item("figure", "event"))),))
    write_report(output, tmp_path / "out", progress=False)
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    lines = md.splitlines()
    assert lines[0] == ("# Zones \\*\\#1\\* \\[draft\\] \\| \\<script\\>alert(1)\\</script\\> "
                        "\\& 50%")
    assert "## Main \\| \\*results\\* \\<i\\>" in lines
    assert "1\\. Label \\<b\\>x\\</b\\> \\*y\\*" in lines
    assert "![Effect on \\<b\\>\\*ISU\\*\\</b\\> \\| \\[e\\]](figures/event.png)" in lines
    assert "<script" not in md.replace("\\<script", "")
    assert _unescape(lines[0][2:]) == title
    manifest = read_manifest(tmp_path / "out")
    assert {e["path"] for e in manifest["files"]} == {
        "report.html", "report.md", "versions.json", "figures/event.png", "figures/event.pdf"}


def test_study_data_in_gbk_reads_like_utf8(tmp_path):
    """data.file goes through the package's one CSV reader: a GBK copy (as Excel saves it on
    a Chinese Windows) reads exactly like the UTF-8 file."""
    from did_zones.report.runner import _read_data

    text = "city_code,year,城市,isu\n330100,2019,杭州市,2.41\n110000,2019,北京市,2.73\n"
    (tmp_path / "u.csv").write_text(text, encoding="utf-8")
    (tmp_path / "g.csv").write_bytes(text.encode("gbk"))
    utf8, gbk = _read_data(tmp_path / "u.csv"), _read_data(tmp_path / "g.csv")
    pd.testing.assert_frame_equal(gbk, utf8)
    assert list(utf8["城市"]) == ["杭州市", "北京市"] and utf8["isu"].tolist() == [2.41, 2.73]
