"""Tests of did_zones.tables.

Golden files: ``tests/golden/tables/regression.{txt,md,tex}`` hold the regression table of two
TWFE fits on ``simulate_pilot_panel(seed=1)`` and are compared exactly. After an intended
change of layout (or of the simulator), regenerate them with::

    DID_ZONES_UPDATE_GOLDEN=1 python -m pytest tests/test_tables.py -k golden

and review the diff before committing.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import SpecificationError
from did_zones.estimands import event_average
from did_zones.result import Result
from did_zones.tables import (
    Table,
    adoption_table,
    balance_table,
    comparison_table,
    latex_escape,
    mediation_table,
    regression_table,
    robustness_table,
    summary_stats,
    summary_text,
)
from did_zones.tables.formatting import stars_for

GOLDEN = Path(__file__).parent / "golden" / "tables"
UPDATE = os.environ.get("DID_ZONES_UPDATE_GOLDEN") == "1"
NASTY = {"treated": "<script>alert(1)</script>", "isu": "50% & \\_x"}
LABELS = {"treated": "Pilot zone", "isu": "ISU", "province": "Province"}
# Debian packages providing each TeX engine (CI installs the pdflatex ones)
TEX_PACKAGES = {"pdflatex": "texlive-latex-base texlive-latex-recommended",
                "xelatex": "texlive-xetex texlive-latex-recommended",
                "lualatex": "texlive-luatex texlive-latex-recommended"}


@pytest.fixture(scope="module")
def fits(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r1 = dz.twfe(panel, "isu")
        r2 = dz.twfe(panel, "isu", controls=["lngdp_pc", "gov"],
                     fixed_effects=("unit", "time", ("province", "time")))
    return r1, r2


@pytest.fixture(scope="module")
def main_table(fits):
    return regression_table(list(fits), labels=LABELS, title="Pilot zones and ISU")


def _made(estimates, ses, terms=None, **kw) -> Result:
    """A Result with a diagonal vcov (normal inference): p-values known in closed form."""
    terms = terms or [f"x{k}" for k in range(len(estimates))]
    kw.setdefault("method", "hand")
    kw.setdefault("outcome", "y")
    kw.setdefault("spec", {})
    kw.setdefault("n_obs", 100)
    kw.setdefault("n_units", 10)
    return Result.create(estimates, np.diag(np.square(ses)), terms, **kw)


# ------------------------------------------------------------------ golden files
@pytest.mark.parametrize("fmt,method", [("txt", "to_text"), ("md", "to_markdown"),
                                        ("tex", "to_latex")])
def test_golden(main_table, fmt, method):
    text = getattr(main_table, method)()
    path = GOLDEN / f"regression.{fmt}"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"{path} is missing; create it with DID_ZONES_UPDATE_GOLDEN=1.")
    assert text == path.read_text(encoding="utf-8")


def test_cells_are_tidy_values(main_table, fits):
    """Every number in the table is the tidy()/glance() value, rounded."""
    data = main_table.data
    for j, r in enumerate(fits, start=1):
        row = r.tidy().set_index("term").loc["treated"]
        assert data.iloc[0, j] == f"{row['estimate']:.3f}***"
        assert data.iloc[1, j] == f"({row['std_error']:.3f})"
        facts = dict(zip(data.iloc[:, 0], data.iloc[:, j], strict=True))
        assert facts["Observations"] == str(r.n_obs)
        assert facts["R²"] == f"{r.glance()['r2'].iloc[0]:.3f}"
        assert facts["Clusters"] == f"{r.n_clusters} (Unit)"
    facts = {row[0]: row[1:] for row in data.to_numpy().tolist()}
    assert facts["Unit FE"] == ["Yes", "Yes"]
    assert facts["Province × Time FE"] == ["No", "Yes"]
    assert facts["Controls"] == ["No", "Yes"]
    # controls are summarised by their row, not listed as coefficients
    assert "gov" not in set(data.iloc[:, 0])
    # the singleton drop of model (2) is printed under the table
    assert any(n.startswith("(2): 48 singleton") for n in main_table.notes)
    assert main_table.notes[0] == "* p<0.1, ** p<0.05, *** p<0.01."


# ------------------------------------------------------------------ stars and SEs
def test_stars_by_hand():
    # normal inference: z = 1.5, 1.7, 2.0, 2.6 -> p = 0.134, 0.089, 0.046, 0.0093
    r = _made([1.5, 1.7, 2.0, 2.6, -2.6], [1.0] * 5)
    t = regression_table([r], rows=())
    top = t.data.iloc[::2, 1].tolist()
    assert top == ["1.500", "1.700*", "2.000**", "2.600***", "-2.600***"]
    assert t.data.iloc[1::2, 1].tolist() == ["(1.000)"] * 5
    # thresholds are strict inequalities
    assert stars_for(0.05, (0.1, 0.05, 0.01)) == "*"
    assert stars_for(0.0499, (0.1, 0.05, 0.01)) == "**"
    assert stars_for(float("nan"), (0.1, 0.05, 0.01)) == ""
    # other thresholds, in any order, and none
    t2 = regression_table([r], rows=(), stars=(0.01, 0.05))
    assert t2.data.iloc[::2, 1].tolist() == ["1.500", "1.700", "2.000*", "2.600**",
                                             "-2.600**"]
    assert t2.notes[0] == "* p<0.05, ** p<0.01."
    t3 = regression_table([r], rows=(), stars=None)
    assert t3.data.iloc[6, 1] == "2.600"
    assert not t3.notes[0].startswith("*")


def test_statistic_and_conf_int():
    r = _made([0.6, -0.25], [0.2, 0.5])
    t = regression_table([r], rows=(), se="statistic", digits=2)
    assert t.data.iloc[1, 1] == "(3.00)" and t.data.iloc[3, 1] == "(-0.50)"
    assert t.notes[1] == "t statistics in parentheses."
    t = regression_table([r], rows=(), se="conf_int", alpha=0.1)
    z = 1.6448536269514722
    assert t.data.iloc[1, 1] == f"[{0.6 - z * 0.2:.3f}, {0.6 + z * 0.2:.3f}]"
    assert t.notes[1] == "90% confidence intervals in brackets."


def test_terms_order_and_mapping_columns(fits):
    r1, r2 = fits
    t = regression_table({"Base": r1, "Full": r2}, terms=["gov", "treated"], rows=("n_obs",))
    assert list(t.data.columns) == ["", "Base", "Full"]
    assert t.data.iloc[:, 0].tolist() == ["gov", "", "treated", "", "Observations"]
    assert t.data.iloc[0, 1] == "" and t.data.iloc[0, 2] != ""


def test_language_zh(fits):
    labels = {"treated": "试点政策", "isu": "产业结构层次系数", "unit": "城市"}
    t = regression_table(list(fits), labels=labels, language="zh")
    first = t.data.iloc[:, 0].tolist()
    assert first[0] == "试点政策"
    for word in ("城市固定效应", "年份固定效应", "控制变量", "聚类", "观测值"):
        assert word in first
    cells = set(t.data.iloc[:, 1:].to_numpy().ravel())
    assert {"是", "否"} <= cells and "337 (城市)" in cells
    assert t.header_rows[0][1] == "产业结构层次系数"
    assert "括号内为聚类到城市层面的稳健标准误。" in t.notes
    text = t.to_text()
    # CJK characters count as two columns: the rules are as wide as the widest line
    widths = [sum(2 if ord(c) > 0x2E80 else 1 for c in line) for line in text.splitlines()
              if line and not line.startswith(("*", "括号", "(2)"))]
    assert max(widths) == len(text.splitlines()[0])


# ------------------------------------------------------------------ escaping
class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.cells.append(data)


def test_escaping_html_markdown(fits):
    t = regression_table(list(fits), labels=NASTY, title=NASTY["treated"])
    html = t.to_html()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    parser = _Text()
    parser.feed(html)
    assert "script" not in parser.tags
    assert NASTY["treated"] in parser.cells and NASTY["isu"] in parser.cells
    assert 'class="did-zones-table"' in html and "style=" not in html and "on" + "load" \
        not in html
    md = t.to_markdown()
    assert "<script>" not in md and "\\<script\\>alert(1)\\</script\\>" in md
    assert "50% & \\\\\\_x" in md


def test_latex_escape_all_specials():
    s = "& % $ # _ { } ~ ^ \\ < > |"
    assert latex_escape(s) == (r"\& \% \$ \# \_ \{ \} \textasciitilde{} \textasciicircum{} "
                               r"\textbackslash{} \textless{} \textgreater{} \textbar{}")
    assert latex_escape("50% & \\_x") == r"50\% \& \textbackslash{}\_x"


def _engines():
    return [e for e in ("pdflatex", "xelatex", "lualatex") if shutil.which(e)]


def _compile(tex_body: str, tmp_path: Path, engine: str) -> str:
    doc = ("\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
           + tex_body + "\\end{document}\n")
    (tmp_path / "t.tex").write_text(doc, encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    log = (tmp_path / "t.log").read_text(errors="replace")
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "t.pdf").stat().st_size > 0
    return log


@pytest.mark.parametrize("engine", ["pdflatex", "xelatex", "lualatex"])
def test_latex_compiles(main_table, fits, tmp_path, engine):
    if not shutil.which(engine):
        pytest.skip(f"{engine} not found; install it (Debian: apt-get install "
                    f"{TEX_PACKAGES[engine]}) to compile the LaTeX tables")
    nasty = regression_table(list(fits), labels=NASTY, title="50% & \\_x <script>")
    body = main_table.to_latex() + nasty.to_latex() + nasty.to_latex(float_env=False)
    log = _compile(body, tmp_path, engine)
    assert "Missing character" not in log
    if engine == "pdflatex":
        # the escaped label is typeset as the literal characters
        text = subprocess.run(["pdftotext", "t.pdf", "-"], cwd=tmp_path, capture_output=True,
                              text=True).stdout if shutil.which("pdftotext") else None
        if text is not None:
            assert "50% & \\_x" in text and "<script>alert(1)</script>" in text


def test_latex_math_symbols_in_notes_compile(tmp_path):
    """Estimator notes carry Greek letters, signs and accents (Σw², τ̂ − τ̃, ≥): set in math
    mode they compile under pdflatex (they broke a comparison table before)."""
    assert latex_escape("τ̂ − τ̃") == r"\ensuremath{\hat{\tau}} \ensuremath{-} \ensuremath{\tilde{\tau}}"
    if not shutil.which("pdflatex"):
        pytest.skip("pdflatex not found; install TeX (Debian: apt-get install "
                    f"{TEX_PACKAGES['pdflatex']}) to compile the LaTeX tables")
    from did_zones.tables import Table

    frame = pd.DataFrame({"term": ["ρ ≥ 0.5"], "value": ["x̄ ± 1·σ"]})
    table = Table(frame, title="Σw² → ∞", notes=("τ̂ − τ̃ ≠ 0; α, β, Δ, ψ ≤ χ ≈ π",))
    log = _compile(table.to_latex(), tmp_path, "pdflatex")
    assert "Missing character" not in log


# ------------------------------------------------------------------ other writers
def test_docx_holds_numbers(main_table, tmp_path):
    import docx

    path = tmp_path / "t.docx"
    main_table.to_docx(path)
    doc = docx.Document(str(path))
    assert len(doc.tables) == 1
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    expected = [list(r) for r in main_table.header_rows] + [list(main_table.data.columns)] \
        + main_table.data.to_numpy().tolist()
    assert cells == expected
    flat = {c for row in cells for c in row}
    assert {"4044", "3996", "0.953"} <= flat
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "Pilot zones and ISU"
    assert main_table.notes[0] in paragraphs


def test_csv_and_save(main_table, tmp_path):
    rows = list(csv.reader(io.StringIO(main_table.to_csv())))
    assert rows[1] == list(main_table.data.columns)
    assert rows[2:] == main_table.data.to_numpy().tolist()
    for suffix in (".txt", ".md", ".tex", ".html", ".csv", ".docx"):
        path = main_table.save(tmp_path / f"t{suffix}")
        assert path.stat().st_size > 0
    assert (tmp_path / "t.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "t.md").read_text(encoding="utf-8") == main_table.to_markdown()
    with pytest.raises(SpecificationError, match="suffix '.pdf'"):
        main_table.save(tmp_path / "t.pdf")


def test_from_frame_and_caller_frame_unchanged():
    df = pd.DataFrame({"a": [1.23456, np.nan], "n": [3, 4], "s": ["x", "y"]})
    before = df.copy()
    t = Table.from_frame(df, title="T", notes=["n1"], digits=2)
    assert t.data.to_numpy().tolist() == [["1.23", "3", "x"], ["", "4", "y"]]
    pd.testing.assert_frame_equal(df, before)
    cells = pd.DataFrame({"": ["r"], "c": ["1"]})
    t2 = Table(cells)
    cells.iloc[0, 1] = "changed"
    assert t2.data.iloc[0, 1] == "1"
    with pytest.raises(SpecificationError, match="one cell per column"):
        Table(pd.DataFrame({"": ["r"], "c": ["1"]}), header_rows=(("a",),))


def test_summary_text_still_importable(fits):
    assert summary_text(fits[0]).startswith("twfe  outcome: isu")
    assert fits[0].summary() == summary_text(fits[0])


# ------------------------------------------------------------------ descriptive
def test_summary_stats(panel, sim):
    data = sim.data
    before = data.copy()
    t = summary_stats(panel, ["isu", "gov"], by="treated", labels={"isu": "ISU"})
    pd.testing.assert_frame_equal(data, before)
    rows = {(k // 3, r[0]): r[1:] for k, r in enumerate(t.data.to_numpy().tolist())}
    ever = data["cohort"] > 0
    for block, mask in ((0, np.ones(len(data), bool)), (1, ever), (2, ~ever)):
        x = data.loc[mask, "isu"].to_numpy()
        assert rows[(block, "ISU")] == [str(x.size), f"{x.mean():.3f}", f"{x.std(ddof=1):.3f}",
                                        f"{x.min():.3f}", f"{np.median(x):.3f}",
                                        f"{x.max():.3f}"]
    assert [r[0] for r in t.data.to_numpy()[::3]] == ["All", "Ever treated", "Never treated"]
    # a frame, split by a column; missing values are not counted
    df = pd.DataFrame({"y": [1.0, 2.0, np.nan, 4.0], "g": ["a", "a", "b", "b"]})
    t = summary_stats(df, "y", by="g", digits=1, language="zh")
    assert t.data.iloc[1].tolist() == ["y", "3", "2.3", "1.5", "1.0", "2.0", "4.0"]
    assert t.data.iloc[5].tolist() == ["y", "1", "4.0", "", "4.0", "4.0", "4.0"]
    with pytest.raises(SpecificationError, match="Did you mean 'isu'"):
        summary_stats(panel, ["isuu"])
    with pytest.raises(SpecificationError, match="not numeric.*'city'"):
        summary_stats(panel, ["isu", "city"])
    with pytest.raises(SpecificationError, match="columns is empty"):
        summary_stats(panel, [])


def test_adoption_table(panel):
    t = adoption_table(panel, batch="batch")
    desc = panel.describe()
    body = t.data.to_numpy().tolist()
    assert [r[0] for r in body] == ["2015", "2016", "2018", "2019", "2020", "Never treated",
                                    "Total"]
    assert [int(r[2]) for r in body[:-1]] == desc["n_units"].tolist()
    assert body[-1][2] == str(panel.n_units) and body[-1][4] == str(panel.n_obs)
    assert body[0][1] == "1"
    zh = adoption_table(panel, language="zh")
    assert zh.data.iloc[-2, 0] == "从未试点" and zh.data.columns[1] == "城市数"
    with pytest.raises(SpecificationError, match="needs a Panel"):
        adoption_table(panel.data)


def test_balance_table(panel):
    m = dz.match(panel, ["lngdp_pc", "gov"], seed=1)
    t = balance_table(m, labels={"gov": "Government size"})
    b = m.balance
    assert t.data.iloc[1, 0] == "Government size"
    assert t.data.iloc[0, 1:].tolist() == [
        f"{b.loc['lngdp_pc', c]:.3f}" for c in
        [f"{s}_{w}" for w in ("before", "after") for s in
         ("mean_treated", "mean_control", "std_diff", "var_ratio")] + ["reduction"]]
    assert t.header_rows[0][1] == "Before matching" and t.header_rows[0][5] == "After matching"
    assert t.notes == m.notes
    assert 'colspan="4">Before matching' in t.to_html()
    with pytest.raises(SpecificationError, match="lacks"):
        balance_table(pd.DataFrame({"x": [1.0]}))


# ------------------------------------------------------------------ comparisons
def test_comparison_table(panel, fits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = dz.aggregate(dz.callaway_santanna(panel, "isu"), kind="event", window=(-2, 2))
        es = dz.event_study(panel, "isu", window=(-2, 2))
        d2 = dz.did2s(panel, "isu", horizons=[-2, 0, 1, 2])
    # one row per named estimand, like with like; "—" with a footnote saying why
    t = comparison_table({"TWFE": fits[0], "CS": cs, "did2s": d2})
    assert t.data.iloc[:, 0].tolist() == ["Event-average ATT, e = 0..2", "",
                                          "TWFE coefficient", "", "Observations"]
    ov = cs.tidy().set_index("term").loc["overall"]
    assert t.data.iloc[0, 2] == f"{ov['estimate']:.3f}***"
    assert t.data.iloc[1, 2] == f"({ov['std_error']:.3f})"
    assert t.data.iloc[0, 1] == "—" and t.data.iloc[2, 2] == "—"
    assert ("— (Event-average ATT, e = 0..2) TWFE: TWFE has no event-time average: it "
            "estimates one coefficient.") in t.notes
    assert not any("term_map" in n for n in t.notes)
    # several results in one column pool their estimands (did2s' event average)
    pooled = comparison_table({"CS": cs, "did2s": [d2, event_average(d2, (0, 2))]})
    assert pooled.data.iloc[0, 2] == (
        f"{event_average(d2, (0, 2))['event_average']:.3f}***")
    # event-time rows: all event-study results -> automatic
    ev = comparison_table({"ES": es, "CS": cs, "did2s": d2})
    labels = ev.data.iloc[:, 0].tolist()
    assert labels[::2][:-1] == ["Event-average ATT, e = 0..2", "e = -2", "e = -1", "e = 0",
                                "e = 1", "e = 2"]
    e1 = cs.tidy().query("event_time == 1").iloc[0]
    assert ev.data.iloc[labels.index("e = 1"), 2].startswith(f"{e1['estimate']:.3f}")
    assert ev.data.iloc[labels.index("e = -1"), 1] == ""  # reference period
    chosen = comparison_table({"ES": es, "CS": cs}, event_times=[0, 2], term_map={"ES": "e+0"})
    assert chosen.data.iloc[:, 0].tolist()[::2] == ["Selected term", "e = 0", "e = 2",
                                                    "Observations"]
    with pytest.raises(SpecificationError, match="event time.*in none of the results"):
        comparison_table({"ES": es}, event_times=[9])
    with pytest.raises(SpecificationError, match="not among the results"):
        comparison_table({"ES": es}, term_map={"XX": "e+0"})
    with pytest.raises(SpecificationError, match="Term 'nope' is not in the result 'ES'"):
        comparison_table({"ES": es}, term_map={"ES": "nope"})


def test_mediation_and_robustness_tables(panel, fits):
    med = dz.mediation(panel, "isu", "ecom", controls=["gov"], method="stepwise",
                       n_boot=None, stepwise_rule="wen2004")
    t = mediation_table(med, labels={"ecom": "E-commerce"})
    assert t.header_rows[0][1:] == ("isu", "E-commerce", "isu")
    c = med.outcome_model.tidy().set_index("term").loc["ecom"]
    row = t.data.iloc[:, 0].tolist().index("E-commerce")
    assert t.data.iloc[row, 3].startswith(f"{c['estimate']:.3f}")
    assert t.notes[-1] == f"stepwise: {med.conclusion}." or f"stepwise: {med.conclusion}." \
        in t.notes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        var = dz.variations(fits[0], panel)
    rt = robustness_table(var)
    assert rt.data.iloc[0, 0] == "baseline"
    assert rt.data.iloc[0, 1] == regression_table([fits[0]], rows=()).data.iloc[0, 1]
    with pytest.raises(SpecificationError, match="MediationResult"):
        mediation_table(fits[0])


# ------------------------------------------------------------------ bad inputs
def test_bad_inputs(fits):
    r = list(fits)
    with pytest.raises(SpecificationError, match="results is empty"):
        regression_table([])
    with pytest.raises(SpecificationError, match="results is empty"):
        comparison_table({})
    with pytest.raises(SpecificationError, match=r"1 term\(s\) in terms are in none.*'tretaed'"):
        regression_table(r, terms=["treated", "tretaed"])
    with pytest.raises(SpecificationError, match=r"Unknown row\(s\) \['aic'\]; rows may be"):
        regression_table(r, rows=("n_obs", "aic"))
    with pytest.raises(SpecificationError, match="not did_zones Result"):
        regression_table([r[0], "model"])
    with pytest.raises(SpecificationError, match="se must be one of"):
        regression_table(r, se="robust")
    with pytest.raises(SpecificationError, match="stars must be distinct"):
        regression_table(r, stars=(0.1, 5))
    with pytest.raises(SpecificationError, match="language must be one of 'en', 'zh'"):
        regression_table(r, language="fr")
    with pytest.raises(SpecificationError, match="digits must be an integer"):
        regression_table(r, digits=2.5)
    with pytest.raises(SpecificationError, match="Table data must be a pandas DataFrame"):
        Table([["a"]])


# ------------------------------------------------------------------ one writer signature
WRITERS = [("to_text", ".txt"), ("to_markdown", ".md"), ("to_latex", ".tex"),
           ("to_html", ".html"), ("to_csv", ".csv")]


@pytest.mark.parametrize(("method", "suffix"), WRITERS)
def test_text_writers_return_text_and_write_path(main_table, tmp_path, method, suffix):
    writer = getattr(main_table, method)
    text = writer()
    assert isinstance(text, str) and text.endswith("\n")
    assert list(tmp_path.iterdir()) == []  # nothing written without a path
    path = tmp_path / f"t{suffix}"
    assert writer(path) == text  # keyword or positional, same text returned
    assert writer(path=str(path)) == text
    encoding = "utf-8-sig" if method == "to_csv" else "utf-8"
    with open(path, encoding=encoding, newline="") as f:
        assert f.read() == text
    assert main_table.save(tmp_path / f"s{suffix}").read_bytes() == path.read_bytes()


def test_writer_path_keeps_format_options(main_table, tmp_path):
    bare = main_table.to_latex(tmp_path / "t.tex", float_env=False)
    assert bare.startswith("%") and r"\begin{table}" not in bare
    assert (tmp_path / "t.tex").read_text(encoding="utf-8") == bare
    html = main_table.to_html(tmp_path / "t.html", classes="x")
    assert html.startswith('<table class="x">')
    assert (tmp_path / "t.html").read_text(encoding="utf-8") == html


def test_writers_write_chinese_as_utf8(fits, tmp_path):
    table = regression_table(list(fits), labels={"treated": "试点政策"}, language="zh")
    for method, suffix in WRITERS[:4]:
        getattr(table, method)(tmp_path / f"t{suffix}")
        assert "试点政策" in (tmp_path / f"t{suffix}").read_bytes().decode("utf-8")


def test_docx_returns_bytes_with_and_without_path(main_table, tmp_path):
    import docx

    content = main_table.to_docx()
    assert isinstance(content, bytes) and content.startswith(b"PK")  # a zip archive
    assert list(tmp_path.iterdir()) == []
    doc = docx.Document(io.BytesIO(content))
    assert doc.paragraphs[0].text == "Pilot zones and ISU" and len(doc.tables) == 1
    path = tmp_path / "t.docx"
    written = main_table.to_docx(path)
    assert isinstance(written, bytes) and path.read_bytes() == written
    assert [c.text for c in docx.Document(str(path)).tables[0].rows[-1].cells] == \
        main_table.data.iloc[-1].tolist()


def test_fixed_effect_rows_of_etwfe_and_stacked():
    """etwfe's option names one effect (cohort or unit) and the period effects come with it;
    stacked DiD absorbs sub-experiment effects: the FE rows say what each model absorbed."""
    import warnings

    import did_zones as dz

    sim = dz.simulate_pilot_panel(seed=1)
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {"ETWFE": dz.aggregate(dz.etwfe(panel, "isu"), "simple"),
                  "Stacked": dz.stacked_did(panel, "isu", window=(-2, 1)),
                  "TWFE": dz.twfe(panel, "isu")}
    for language, words in (("en", ("Cohort FE", "Time FE", "Sub-experiment × Unit FE",
                                     "Sub-experiment × Event time FE", "Unit FE")),
                            ("zh", ("批次固定效应", "年份固定效应", "子实验 × 城市固定效应",
                                    "子实验 × 事件时间固定效应", "城市固定效应"))):
        data = dz.tables.regression_table(models, language=language).data
        facts = {row[0]: row[1:] for row in data.to_numpy().tolist()}
        yes, no = ("Yes", "No") if language == "en" else ("是", "否")
        assert facts[words[0]] == [yes, no, no]
        assert facts[words[1]] == [yes, no, yes]
        assert facts[words[2]] == [no, yes, no]
        assert facts[words[3]] == [no, yes, no]
        assert facts[words[4]] == [no, no, yes]
        assert not any(len(k) <= 4 and k.endswith("FE") for k in facts)  # no per-letter rows
