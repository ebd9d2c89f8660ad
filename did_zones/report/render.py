"""Write a :class:`~did_zones.report.runner.StudyOutput` to a folder.

``DIR/report.html`` (self-contained page, figures as relative ``figures/*.png``),
``DIR/report.md``, ``DIR/tables/<name>.tex|.docx|.csv|.md``, ``DIR/figures/<name>.png|.pdf``
and ``DIR/versions.json``. Every user-supplied string is escaped with :func:`html.escape`
here; tables escape their own cells (HTML and LaTeX) in :mod:`did_zones.tables`.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
from pathlib import Path

from ..errors import SpecificationError
from .runner import StudyOutput, report_title, versions
from .templates import CSS, PAGE

__all__ = ["check_folder", "prepare_folder", "write_report", "slug"]

MARKER = "versions.json"  # a folder holding this was written by did-zones


def slug(name: str) -> str:
    """A safe file stem: lowercase ASCII letters, digits and underscores."""
    out = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return out or "item"


def check_folder(out: str | Path, overwrite: bool = False) -> None:
    """Raise unless ``out`` may be written: absent, or an earlier report with ``overwrite``.

    Raises
    ------
    SpecificationError
        If the folder exists and ``overwrite`` is False, if it exists and does not look like
        a report folder (so replacing it could destroy other files), or if it is a file.
    """
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise SpecificationError(f"Output path {str(out)!r} is a file. Choose a folder "
                                 "name for --out.")
    if not overwrite:
        raise SpecificationError(f"Output folder {str(out)!r} already exists. Choose "
                                 "another --out, or pass --overwrite to replace it.")
    contents = list(out.iterdir())
    if contents and not (out / MARKER).exists():
        examples = ", ".join(sorted(p.name for p in contents)[:5])
        raise SpecificationError(
            f"Output folder {str(out)!r} holds {len(contents)} entries ({examples}) and "
            f"no {MARKER}, so it was not written by did-zones; --overwrite only replaces "
            "report folders. Choose another --out, or empty the folder yourself.")


def prepare_folder(out: str | Path, overwrite: bool = False) -> Path:
    """Create the output folder, refusing to replace an existing one silently.

    Parameters
    ----------
    out : str or pathlib.Path
        The folder to create.
    overwrite : bool
        Replace an existing folder that an earlier run wrote (it holds ``versions.json``)
        or an empty one.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    SpecificationError
        If the folder exists and ``overwrite`` is False, if it exists and does not look like
        a report folder (so replacing it could destroy other files), or if it is a file.
    """
    out = Path(out)
    check_folder(out, overwrite)
    if out.exists():
        shutil.rmtree(out)
    (out / "tables").mkdir(parents=True)
    (out / "figures").mkdir()
    return out


def write_report(output: StudyOutput, out: str | Path, *, overwrite: bool = False,
                 progress: bool = True) -> Path:
    """Write the report, tables, figures and versions of a study.

    Parameters
    ----------
    output : StudyOutput
        From :func:`~did_zones.report.run_study`.
    out : str or pathlib.Path
        Output folder (see :func:`prepare_folder`).
    overwrite : bool
        Replace an earlier report folder.
    progress : bool
        Print what was written on stderr.

    Returns
    -------
    pathlib.Path
        The path of ``report.html``.
    """
    out = prepare_folder(out, overwrite)
    table_files = _write_tables(output, out)
    figure_files = _write_figures(output, out)
    (out / "report.html").write_text(_html(output, table_files, figure_files),
                                     encoding="utf-8")
    (out / "report.md").write_text(_markdown(output, table_files, figure_files),
                                   encoding="utf-8")
    payload = {"did_zones": versions()["did_zones"], "versions": versions(),
               "seeds": {"study": output.config.study.seed, **output.seeds},
               "config": output.config.to_dict()}
    (out / MARKER).write_text(json.dumps(payload, indent=2, ensure_ascii=False),
                              encoding="utf-8")
    if progress:
        print(f"wrote {out / 'report.html'}, report.md, {len(table_files)} tables and "
              f"{len(figure_files)} figures", file=sys.stderr)
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


def _write_tables(output: StudyOutput, out: Path) -> dict[str, str]:
    stems = _unique(output.tables)
    for name, table in output.tables.items():
        base = out / "tables" / stems[name]
        base.with_suffix(".tex").write_text(table.to_latex(), encoding="utf-8")
        base.with_suffix(".md").write_text(table.to_markdown(), encoding="utf-8")
        base.with_suffix(".csv").write_text(table.to_csv(), encoding="utf-8")
        table.to_docx(base.with_suffix(".docx"))
    return stems


def _write_figures(output: StudyOutput, out: Path) -> dict[str, str]:
    import matplotlib.pyplot as plt

    from ..plots._fonts import missing_glyphs_reported

    stems = _unique(output.figures)
    for name, fig in output.figures.items():
        base = out / "figures" / stems[name]
        with missing_glyphs_reported():  # said once, as a FontWarning, when it was drawn
            fig.savefig(base.with_suffix(".png"), dpi=150, bbox_inches="tight")
            fig.savefig(base.with_suffix(".pdf"), bbox_inches="tight")
        plt.close(fig)
    return stems


def _caption(fig, name: str) -> str:
    title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    if not title and fig.axes:
        title = fig.axes[0].get_title()
    return title or name


# -------------------------------------------------------------------- HTML


def _html(output: StudyOutput, tables: dict, figures: dict) -> str:
    e = html.escape
    cfg = output.config
    toc, body = [], []
    for sec in output.sections:
        toc.append(f'<li><a href="#{slug(sec.key)}">{e(sec.title)}</a></li>')
        parts = [f'<section id="{slug(sec.key)}">', f"<h2>{e(sec.title)}</h2>"]
        for item in sec.items:
            if item.kind == "text":
                parts.append(f"<p>{e(item.value)}</p>")
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
                       toc="\n".join(toc), body="\n".join(body))


# ---------------------------------------------------------------- Markdown


def _markdown(output: StudyOutput, tables: dict, figures: dict) -> str:
    cfg = output.config
    lines = [f"# {report_title(cfg)}", ""]
    for sec in output.sections:
        lines += [f"## {sec.title}", ""]
        for item in sec.items:
            if item.kind == "text":
                lines += [item.value, ""]
            elif item.kind == "table":
                lines += [output.tables[item.value].to_markdown().rstrip(), ""]
            else:
                stem = figures[item.value]
                cap = _caption(output.figures[item.value], item.value)
                lines += [f"![{cap}](figures/{stem}.png)", ""]
    return "\n".join(lines)
