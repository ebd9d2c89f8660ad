"""The test suite is self-contained: the bundled datasets are present with their documented
shapes, tests find data only through the helpers in conftest.py, and every skip either goes
through the missing-data helper or says how to install what is missing."""

from __future__ import annotations

import ast
import os
import re

import numpy as np
import pandas as pd
import pytest
from conftest import (
    CSMAR_ENV,
    DATA_DIR,
    REPO_ROOT,
    STRICT_ENV,
    TESTS_DIR,
    csmar_dir,
    csmar_files,
    data_file,
    reference_file,
)

# file -> (rows, columns) as documented in tests/data/README.md
SHAPES = {
    "mpdta.csv": (2500, ["year", "countyreal", "lpop", "lemp", "first.treat", "treat"]),
    "prop99/california_prop99.csv": (1209, ["State", "Year", "PacksPerCapita", "treated"]),
    "produc/Produc.csv": (816, ["state", "year", "region", "pcap", "hwy", "water", "util", "pc",
                                "gsp", "emp", "unemp"]),
    "registry/pilot_zones.csv": (181, [
        "batch", "approval_date", "date_kind", "document", "zone_zh", "zone_en", "zone_type",
        "prefecture_zh", "prefecture_en", "province_zh", "province_en", "zone_code",
        "prefecture_code", "sources_agree", "note", "revoked_date", "revoked_by"]),
    "registry/prefecture_universe.csv": (337, ["code", "name_zh", "unit_type", "province_code",
                                               "province_zh", "region_nbs"]),
}
SKIP_CALLS = {"skip", "skipif", "importorskip"}
# a string naming the sibling data folder, or a path climbing out of the repository
SHARED_STRING = re.compile(r"(^|[/\\])shared([/\\]|$)|/work/")
ABOVE_REPO = re.compile(r"parents\[\s*[2-9]\s*\]|parents\[\s*1\s*\]\.parent\b|"
                        r"\.parent\.parent\.parent\b|\bROOT\.parent\b")


def _test_sources() -> dict[str, str]:
    skip = {"conftest.py", "test_test_data.py"}
    return {p.name: p.read_text(encoding="utf-8")
            for p in sorted(TESTS_DIR.glob("*.py")) if p.name not in skip}


# --------------------------------------------------------------------------- bundled data
@pytest.mark.parametrize("name", list(SHAPES))
def test_bundled_dataset_shape(name):
    rows, columns = SHAPES[name]
    df = pd.read_csv(data_file(name))
    assert df.shape == (rows, len(columns))
    assert list(df.columns) == columns


def test_mpdta_is_the_balanced_county_panel():
    df = pd.read_csv(data_file("mpdta.csv"))
    assert df["countyreal"].nunique() == 500
    assert sorted(df["year"].unique()) == [2003, 2004, 2005, 2006, 2007]
    assert not df.duplicated(["countyreal", "year"]).any()
    assert set(df["first.treat"]) == {0, 2004, 2006, 2007}
    assert (df.groupby("countyreal")["first.treat"].first() == 0).sum() == 309
    assert ((df["first.treat"] > 0) == (df["treat"] == 1)).all()


def test_prop99_and_produc_panels():
    prop99 = pd.read_csv(data_file("prop99/california_prop99.csv"))
    assert prop99["State"].nunique() == 39
    assert (prop99["Year"].min(), prop99["Year"].max()) == (1970, 2000)
    treated = prop99[prop99["treated"] == 1]
    assert set(treated["State"]) == {"California"} and treated["Year"].min() == 1989
    produc = pd.read_csv(data_file("produc/Produc.csv"))
    assert produc["state"].nunique() == 48
    assert (produc["year"].min(), produc["year"].max()) == (1970, 1986)
    w = pd.read_csv(data_file("produc/usaww.csv"), index_col=0)
    assert w.shape == (48, 48)
    assert list(w.index) == list(w.columns) == list(produc["state"].unique())
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_registry_reference_has_eight_batches():
    zones = pd.read_csv(data_file("registry/pilot_zones.csv"))
    sizes = {1: 1, 2: 12, 3: 22, 4: 24, 5: 46, 6: 27, 7: 33, 8: 16}
    assert zones.groupby("batch").size().to_dict() == sizes
    assert zones["revoked_date"].notna().sum() == 3


def test_every_bundled_file_is_documented():
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    files = sorted(p.relative_to(DATA_DIR).as_posix() for p in DATA_DIR.rglob("*")
                   if p.is_file() and p.name != "README.md")
    assert files == sorted([*SHAPES, "produc/usaww.csv"])
    assert [name for name in files if f"`{name}`" not in readme] == []


def test_no_csmar_extract_in_the_repository():
    found = []
    for folder, dirs, files in os.walk(REPO_ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in {"build", "dist"}
                   and not d.endswith(".egg-info")]
        found += [os.path.join(folder, f) for f in files if re.match(r"CRE_.*\.csv$", f)]
    assert found == []


# --------------------------------------------------------------------------- the helpers
def test_missing_bundled_file_skips_or_fails_in_strict_mode(monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"bundled test dataset tests/data/nope\.csv"):
        data_file("nope.csv")
    with pytest.raises(pytest.skip.Exception, match=r"frozen reference file"):
        reference_file("nope.csv")
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=rf"tests/data/nope\.csv.*{STRICT_ENV}=1"):
        data_file("nope.csv")
    assert data_file("mpdta.csv") == DATA_DIR / "mpdta.csv"


def test_csmar_folder_and_message(monkeypatch, tmp_path):
    monkeypatch.delenv(CSMAR_ENV, raising=False)
    monkeypatch.delenv(STRICT_ENV, raising=False)
    assert csmar_dir() == REPO_ROOT.parent / "shared" / "data"
    monkeypatch.setenv(CSMAR_ENV, str(tmp_path))
    assert csmar_dir() == tmp_path
    message = (r"licensed CSMAR CRE extract not in the repository; put CRE_Gdpct\.csv and "
               rf"CRE_Eplwagct\.csv in \.\./shared/data or set {CSMAR_ENV}")
    with pytest.raises(pytest.skip.Exception, match=message):
        csmar_files()
    (tmp_path / "CRE_Gdpct.csv").write_text("x\n")
    (tmp_path / "CRE_Eplwagct.csv").write_text("x\n")
    assert csmar_files() == (tmp_path / "CRE_Gdpct.csv", tmp_path / "CRE_Eplwagct.csv")


def test_csmar_strict_mode_fails_only_when_the_folder_was_given(monkeypatch, tmp_path):
    monkeypatch.setenv(STRICT_ENV, "1")
    monkeypatch.setenv(CSMAR_ENV, str(tmp_path / "empty"))
    with pytest.raises(pytest.fail.Exception, match="licensed CSMAR CRE extract"):
        csmar_files()
    # a machine without the licensed data (CI) cannot have it: the default folder still skips
    monkeypatch.delenv(CSMAR_ENV)
    if not all((csmar_dir() / n).is_file() for n in ("CRE_Gdpct.csv", "CRE_Eplwagct.csv")):
        with pytest.raises(pytest.skip.Exception, match="licensed CSMAR CRE extract"):
            csmar_files()


# --------------------------------------------------------------------------- test sources
def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_no_test_reads_the_shared_folder_directly():
    offences = []
    for name, source in _test_sources().items():
        tree = ast.parse(source)
        docs = _docstring_nodes(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docs and SHARED_STRING.search(node.value)):
                offences.append(f"{name}:{node.lineno}: {node.value!r}")
        for m in ABOVE_REPO.finditer(source):
            offences.append(f"{name}:{source.count(chr(10), 0, m.start()) + 1}: {m.group()}")
    assert offences == [], "use data_file() / csmar_files() from conftest.py:\n" + \
        "\n".join(offences)


def _module_strings(tree: ast.Module) -> dict[str, str]:
    out = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            out.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return out


def _text(node: ast.AST | None, names: dict[str, str]) -> str:
    """The literal text of a reason: constants, f-string parts and module-level constants."""
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id, "")
    if isinstance(node, ast.FormattedValue):
        return _text(node.value, names)
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v, names) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left, names) + _text(node.right, names)
    return ""


def _skip_calls(tree: ast.Module):
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SKIP_CALLS):
            continue
        owner = node.func.value
        on_pytest = (isinstance(owner, ast.Name) and owner.id == "pytest") or (
            isinstance(owner, ast.Attribute) and owner.attr == "mark"
            and isinstance(owner.value, ast.Name) and owner.value.id == "pytest")
        if on_pytest:
            yield node


def test_every_other_skip_says_how_to_install_what_is_missing():
    """Data skips go through conftest.skip_missing_data (strict mode fails them); any other
    skip is for a missing tool or package and its reason names the install command."""
    offences = []
    for name, source in _test_sources().items():
        tree = ast.parse(source)
        names = _module_strings(tree)
        for call in _skip_calls(tree):
            reason = next((k.value for k in call.keywords if k.arg in {"reason", "msg"}), None)
            if reason is None and call.func.attr == "skip" and call.args:
                reason = call.args[0]
            if "install" not in _text(reason, names).lower():
                offences.append(f"{name}:{call.lineno}: pytest.{call.func.attr}")
    assert offences == [], "\n".join(offences)
