"""Write a :class:`~did_zones.report.runner.StudyOutput` to a folder.

``DIR/report.html`` (self-contained page, figures as relative ``figures/*.png``),
``DIR/report.md``, ``DIR/tables/<name>.tex|.docx|.csv|.md``, ``DIR/figures/<name>.png|.pdf``,
``DIR/versions.json`` and the manifest ``DIR/.did_zones_manifest.json`` listing all of them
(see :mod:`did_zones.report.folder`). Every user-supplied string is escaped here: with
:func:`html.escape` in the page and with backslashes in the Markdown; tables escape their own
cells (HTML, LaTeX, Markdown) in :mod:`did_zones.tables`.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from .folder import check_folder, prepare_folder, protected_paths, write_manifest
from .runner import StudyOutput, report_title, versions
from .templates import CSS, PAGE

__all__ = ["check_folder", "prepare_folder", "write_report", "slug", "markdown_text"]

VERSIONS = "versions.json"  # documented; no longer what marks a report folder
FOLDERS = ("tables", "figures")
TABLE_FORMATS = ("tex", "md", "csv", "docx")
FIGURE_FORMATS = ("png", "pdf")


def slug(name: str) -> str:
    """A safe file stem: lowercase ASCII letters, digits and underscores."""
    out = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return out or "item"


def write_report(output: StudyOutput, out: str | Path, *, overwrite: bool = False,
                 progress: bool = True, extra_files: Mapping[str, str] | None = None) -> Path:
    """Write the report, tables, figures and versions of a study, and their manifest.

    Parameters
    ----------
    output : StudyOutput
        From :func:`~did_zones.report.run_study`.
    out : str or pathlib.Path
        Output folder: absent, empty, or (with ``overwrite``) an earlier report folder.
    overwrite : bool
        Replace an earlier report written to ``out``: only the files its manifest lists
        are removed; files the user added to the folder stay.
    progress : bool
        Print what was written on stderr.
    extra_files : mapping of str to str, optional
        More text files to write and record, relative path (``/``-separated, e.g.
        ``"tables/values.csv"``) -> content.

    Returns
    -------
    pathlib.Path
        The path of ``report.html``.

    Raises
    ------
    SpecificationError
        If ``out`` may not be written (see :func:`~did_zones.report.check_folder`): it is
        the current, home or root folder, holds the study's own files, is a non-empty
        folder that no earlier report wrote, or an earlier report without ``overwrite``.

    Notes
    -----
    **The manifest.** Everything written is recorded in ``out/.did_zones_manifest.json``: the
    did_zones version, the UTC time, the folders (``tables``, ``figures``) and every file as
    ``{"path", "size", "sha256"}`` (paths relative to ``out``), plus a ``signature``: the
    SHA-256 of a fixed did_zones tag followed by the canonical JSON of the other fields. A
    hand-made or edited manifest does not validate. With ``overwrite``, the writer first
    removes exactly the files a valid manifest lists (refusing if one of them was changed
    since), the manifest, then the listed folders left empty; nothing else is touched. A
    folder holding a file named ``versions.json`` is no longer taken for a report folder.
    If writing fails half-way, the manifest still lists what was written, so that a later
    ``overwrite`` can replace it.
    """
    out = Path(out)
    tables = _unique(output.tables)
    figures = _unique(output.figures)
    extra = dict(extra_files or {})
    planned = (["report.html", "report.md", VERSIONS]
               + [f"tables/{stem}.{ext}" for stem in tables.values() for ext in TABLE_FORMATS]
               + [f"figures/{stem}.{ext}" for stem in figures.values()
                  for ext in FIGURE_FORMATS] + list(extra))
    prepare_folder(out, overwrite, protect=protected_paths(output.config), planned=planned,
                   folders=FOLDERS)
    written: list[str] = []
    try:
        _write_tables(output, out, tables, written)
        _write_figures(output, out, figures, written)
        _write_text(out, "report.html", _html(output, tables, figures), written)
        _write_text(out, "report.md", _markdown(output, tables, figures), written)
        payload = {"did_zones": versions()["did_zones"], "versions": versions(),
                   "seeds": {"study": output.config.study.seed, **output.seeds},
                   "config": output.config.to_dict()}
        _write_text(out, VERSIONS, json.dumps(payload, indent=2, ensure_ascii=False), written)
        for rel, content in extra.items():
            _write_text(out, rel, content, written)
    finally:  # a half-written report stays replaceable with overwrite
        write_manifest(out, written, FOLDERS)
    if progress:
        print(f"wrote {out / 'report.html'}, report.md, {len(tables)} tables and "
              f"{len(figures)} figures", file=sys.stderr)
    return out / "report.html"


# ------------------------------------------------------------------- files


def _unique(names) -> dict[str, str]:
    stems: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        stem, i = slug(name), 2
        while stem in used:
            stem, i = f"{slug(name)}_{i}", i + 1
        used.add(stem)
        stems[name] = stem
    return stems


def _write_text(out: Path, rel: str, content: str, written: list[str]) -> None:
    written.append(rel)  # recorded first: a half-written file is still the writer's
    (out / rel).write_text(content, encoding="utf-8")


def _write_tables(output: StudyOutput, out: Path, stems: dict[str, str],
                  written: list[str]) -> None:
    for name, table in output.tables.items():
        rel = f"tables/{stems[name]}"
        _write_text(out, f"{rel}.tex", table.to_latex(), written)
        _write_text(out, f"{rel}.md", table.to_markdown(), written)
        _write_text(out, f"{rel}.csv", table.to_csv(), written)
        written.append(f"{rel}.docx")
        table.to_docx(out / f"{rel}.docx")


def _write_figures(output: StudyOutput, out: Path, stems: dict[str, str],
                   written: list[str]) -> None:
    import matplotlib.pyplot as plt

    from ..plots.fonts import missing_glyphs_reported

    for name, fig in output.figures.items():
        rel = f"figures/{stems[name]}"
        written += [f"{rel}.png", f"{rel}.pdf"]
        with missing_glyphs_reported():  # said once, as a FontWarning, when it was drawn
            fig.savefig(out / f"{rel}.png", dpi=150, bbox_inches="tight")
            fig.savefig(out / f"{rel}.pdf", bbox_inches="tight")
        plt.close(fig)


def _caption(fig, name: str) -> str:
    title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    if not title and fig.axes:
        title = fig.axes[0].get_title()
    return title or name


# -------------------------------------------------------------------- HTML


def _flags(output: StudyOutput) -> list[tuple[str, str, str]]:
    """Every flag of the report in order: (anchor, section key, sentence)."""
    out = []
    for sec in output.sections:
        for item in sec.items:
            if item.kind == "flag":
                out.append((f"flag-{len(out) + 1}", sec.key, item.value))
    return out


def _html_flags(output: StudyOutput, flags) -> str:
    from .flags import FLAG_HEAD, NO_FLAGS

    e = html.escape
    lang = output.config.study.language
    rows = [f'<li><a href="#{a}">{e(t)}</a></li>' for a, _, t in flags]
    body = (f'<ul>{"".join(rows)}</ul>' if rows else f"<p>{e(NO_FLAGS[lang])}</p>")
    return (f'<section id="flags" class="flags"><h2>{e(FLAG_HEAD[lang])}</h2>'
            f"{body}</section>")


def _html(output: StudyOutput, tables: dict, figures: dict) -> str:
    e = html.escape
    cfg = output.config
    flags = iter(_flags(output))
    toc, body = [], []
    for sec in output.sections:
        toc.append(f'<li><a href="#{slug(sec.key)}">{e(sec.title)}</a></li>')
        parts = [f'<section id="{slug(sec.key)}">', f"<h2>{e(sec.title)}</h2>"]
        for item in sec.items:
            if item.kind == "text":
                parts.append(f"<p>{e(item.value)}</p>")
            elif item.kind == "flag":
                parts.append(f'<p class="flag" id="{next(flags)[0]}">{e(item.value)}</p>')
            elif item.kind == "table":
                stem = tables[item.value]
                parts.append('<div class="table-wrap">'
                             + output.tables[item.value].to_html() + "</div>")
                parts.append('<p class="files">' + " · ".join(
                    f'<a href="tables/{stem}.{ext}">{stem}.{ext}</a>'
                    for ext in ("tex", "docx", "csv", "md")) + "</p>")
            else:
                stem = figures[item.value]
                cap = e(_caption(output.figures[item.value], item.value))
                parts.append(f'<figure><img src="figures/{stem}.png" alt="{cap}">'
                             f'<figcaption>{cap} (<a href="figures/{stem}.pdf">PDF</a>)'
                             "</figcaption></figure>")
        parts.append("</section>")
        body.append("\n".join(parts))
    zh = cfg.study.language == "zh"
    meta = (f"did_zones {versions()['did_zones']} · {'随机种子' if zh else 'study seed'} "
            f"{cfg.study.seed}" + (f" · {'配置文件' if zh else 'config'} {cfg.source.name}"
                                   if cfg.source else
                                   (" · 内置配置" if zh else " · built-in config")))
    return PAGE.format(lang="zh-CN" if cfg.study.language == "zh" else "en",
                       title=e(report_title(cfg)), css=CSS, meta=e(meta),
                       toc="\n".join(toc), flags=_html_flags(output, _flags(output)),
                       body="\n".join(body))


# ---------------------------------------------------------------- Markdown


# characters with a meaning inline in CommonMark, GitHub Markdown or pandoc: emphasis, code,
# links and images, raw HTML and entities, pipe tables, strikethrough, math, attributes
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|#~&$!{}^])")
# at the start of a line: list items, ordered lists, setext underlines
_MD_LINE_START = re.compile(r"^([-+=]|\d+[.)])")


def markdown_text(text: object) -> str:
    r"""``text`` as literal Markdown: a title, heading, paragraph or image alt text.

    Line breaks and runs of white space become one space; every character that could start
    emphasis, code, a link or image, raw HTML, an entity, a table cell, strikethrough or math
    is backslash-escaped, and so is a list or heading marker at the start. Any CommonMark
    renderer then shows the string as it was typed.

    Parameters
    ----------
    text : object
        A user string (a title, label or warning).

    Returns
    -------
    str

    Examples
    --------
    >>> print(markdown_text("*Big* <b>[zones]</b> | #1"))
    \*Big\* \<b\>\[zones\]\</b\> \| \#1
    >>> print(markdown_text("2015. A year"))
    2015\. A year
    """
    s = _MD_INLINE.sub(r"\\\1", " ".join(str(text).split()))
    m = _MD_LINE_START.match(s)
    if m:  # escape the marker's last character: "-" -> "\-", "2015." -> "2015\."
        s = s[:m.end() - 1] + "\\" + s[m.end() - 1:]
    return s


def _markdown(output: StudyOutput, tables: dict, figures: dict) -> str:
    e = markdown_text
    cfg = output.config
    lines = [f"# {e(report_title(cfg))}", ""]
    from .flags import FLAG_HEAD, NO_FLAGS

    lang = cfg.study.language
    flags = _flags(output)
    lines += [f"## {e(FLAG_HEAD[lang])}", ""]
    lines += [f"- [{e(t)}](#{a})" for a, _, t in flags] or [e(NO_FLAGS[lang])]
    lines.append("")
    anchors = iter(flags)
    for sec in output.sections:
        lines += [f"## {e(sec.title)}", ""]
        for item in sec.items:
            if item.kind == "text":
                lines += [e(item.value), ""]
            elif item.kind == "flag":  # an HTML anchor: the summary links to it
                lines += [f'<a id="{next(anchors)[0]}"></a>**{e(item.value)}**', ""]
            elif item.kind == "table":
                lines += [output.tables[item.value].to_markdown().rstrip(), ""]
            else:
                stem = figures[item.value]
                cap = e(_caption(output.figures[item.value], item.value))
                lines += [f"![{cap}](figures/{stem}.png)", ""]
    return "\n".join(lines)
