"""The :class:`Table` type: cells as display strings, and its writers.

A ``Table`` holds the final layout (every cell already a string), so each writer only arranges
and escapes text: plain text, Markdown, LaTeX (booktabs), HTML, CSV and Word (.docx).

Every writer has the same shape, ``to_<format>(path=None, **format_options)``: it returns the
content (``str``; ``bytes`` for Word) and, when ``path`` is given, also writes it to that file.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import pandas as pd

from ..errors import SpecificationError
from ._escape import html_escape, latex_escape, markdown_escape
from .formatting import check_digits, fmt_num

__all__ = ["Table"]

_SUFFIXES = {".txt": "to_text", ".md": "to_markdown", ".tex": "to_latex", ".html": "to_html",
             ".htm": "to_html", ".csv": "to_csv", ".docx": "to_docx"}


def _write(path: str | PathLike[str] | None, text: str, encoding: str = "utf-8") -> str:
    """Write ``text`` to ``path`` (when given) and return it unchanged."""
    if path is not None:
        # newline="" keeps the writer's own "\n" line ends on every platform
        with open(path, "w", encoding=encoding, newline="") as f:
            f.write(text)
    return text


def _width(text: str) -> int:
    """Display width in a monospaced terminal: CJK characters take two cells."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, align: str) -> str:
    gap = width - _width(text)
    if align == "l":
        return text + " " * gap
    if align == "r":
        return " " * gap + text
    left = gap // 2
    return " " * left + text + " " * (gap - left)


def _spans(row: Sequence[str]) -> list[tuple[str, int, int]]:
    """Merge adjacent equal non-empty header cells: (text, first column, number of columns)."""
    out: list[tuple[str, int, int]] = []
    for j, text in enumerate(row):
        if out and text and out[-1][0] == text and out[-1][1] + out[-1][2] == j:
            out[-1] = (text, out[-1][1], out[-1][2] + 1)
        else:
            out.append((text, j, 1))
    return out


@dataclass(frozen=True, eq=False)
class Table:
    """A finished table: display strings, a title and the notes printed under it.

    Attributes
    ----------
    data : pandas.DataFrame
        The body, one row per display row, every cell a string. The column labels are the
        lowest header row; the first column is the stub (row labels).
    title : str
        Caption.
    notes : tuple of str
        Printed under the table: star legend, standard-error type, dropped data.
    header_rows : tuple of tuple of str
        Further header rows printed above the column labels, each with one cell per column
        (e.g. the outcome of each model above ``(1)``, ``(2)``).
    rules : tuple of int
        Body row positions above which a horizontal rule is drawn (``\\midrule``), e.g.
        between the coefficients and the statistics block.

    Examples
    --------
    >>> import pandas as pd
    >>> from did_zones.tables import Table
    >>> t = Table(pd.DataFrame({"": ["a"], "(1)": ["1.000"]}), title="T", notes=("n",))
    >>> print(t.to_text(), end="")
    T
    =========
         (1)
    ---------
    a   1.000
    =========
    n
    """

    data: pd.DataFrame
    title: str = ""
    notes: tuple[str, ...] = ()
    header_rows: tuple[tuple[str, ...], ...] = ()
    rules: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.data, pd.DataFrame):
            raise SpecificationError(
                f"Table data must be a pandas DataFrame of cell strings; got "
                f"{type(self.data).__name__}. Use Table.from_frame(df) to format numbers.")
        if self.data.shape[1] == 0:
            raise SpecificationError("Table data has no columns; give at least one column.")
        # own copy of the cells as strings: the caller's frame is never touched or shared
        data = self.data.astype(object).where(self.data.notna(), "").astype(str)
        data.columns = [str(c) for c in self.data.columns]
        data = data.reset_index(drop=True)
        header_rows = tuple(tuple(str(c) for c in row) for row in self.header_rows)
        bad = [k for k, row in enumerate(header_rows) if len(row) != data.shape[1]]
        if bad:
            raise SpecificationError(
                f"header_rows must have one cell per column ({data.shape[1]}); rows {bad} "
                f"do not.")
        rules = tuple(sorted({int(r) for r in self.rules if 0 < int(r) < len(data)}))
        notes = (self.notes,) if isinstance(self.notes, str) else tuple(self.notes)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "title", str(self.title or ""))
        object.__setattr__(self, "notes", tuple(str(n) for n in notes))
        object.__setattr__(self, "header_rows", header_rows)
        object.__setattr__(self, "rules", rules)

    # ----------------------------------------------------------------- building
    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, title: str = "", notes: Iterable[str] = (),
                   digits: int = 3, index: bool = False) -> Table:
        """A table from any DataFrame, numbers shown with ``digits`` decimals.

        Parameters
        ----------
        df : pandas.DataFrame
            The values; not modified.
        title : str
            Caption.
        notes : iterable of str
            Lines printed under the table.
        digits : int
            Decimals of floating-point cells (integers stay integers; missing is blank).
        index : bool
            Keep the index as the first column.

        Returns
        -------
        Table
        """
        digits = check_digits(digits)
        if not isinstance(df, pd.DataFrame):
            raise SpecificationError(
                f"from_frame needs a pandas DataFrame; got {type(df).__name__}.")
        frame = df.reset_index() if index else df
        cells = pd.DataFrame({str(c): [fmt_num(v, digits) for v in frame[c].tolist()]
                              for c in frame.columns}, columns=[str(c) for c in frame.columns])
        return cls(cells, title=title, notes=tuple(notes))

    # ------------------------------------------------------------------ helpers
    def _header(self) -> list[list[str]]:
        return [list(r) for r in self.header_rows] + [list(self.data.columns)]

    def _body(self) -> list[list[str]]:
        return self.data.to_numpy().tolist()

    def _flat_header(self) -> list[str]:
        rows = self._header()
        return [" ".join(r[j] for r in rows if r[j]) for j in range(self.data.shape[1])]

    # ------------------------------------------------------------------ writers
    def to_text(self, path: str | PathLike[str] | None = None) -> str:
        """Plain text with aligned columns (CJK characters count double width).

        Equal adjacent cells of ``header_rows`` are centred once over the columns they span.

        Parameters
        ----------
        path : str or os.PathLike, optional
            Also write the text to this file (UTF-8). Without it nothing is written.

        Returns
        -------
        str
            The table as text, ending in a newline.

        Examples
        --------
        >>> import pandas as pd
        >>> from did_zones.tables import Table
        >>> t = Table(pd.DataFrame({"": ["a"], "(1)": ["1.000"]}))
        >>> t.to_text().splitlines()[3]
        'a   1.000'
        """
        body = self._body()
        columns = list(self.data.columns)
        ncol = self.data.shape[1]
        widths = [max(_width(r[j]) for r in [columns, *body]) for j in range(ncol)]
        spans = [_spans(r) for r in self.header_rows]
        for row in spans:
            for text, j, n in row:
                room = sum(widths[j:j + n]) + 3 * (n - 1)
                widths[j + n - 1] += max(0, _width(text) - room)
        total = sum(widths) + 3 * (ncol - 1)
        align = ["l"] + ["c"] * (ncol - 1)

        def line(cells: Sequence[tuple[str, int, int]]) -> str:
            parts = []
            for text, j, n in cells:
                room = sum(widths[j:j + n]) + 3 * (n - 1)
                parts.append(_pad(text, room, align[j] if n == 1 else "c"))
            return "   ".join(parts).rstrip()

        def plain(cells: Sequence[str]) -> list[tuple[str, int, int]]:
            return [(c, j, 1) for j, c in enumerate(cells)]

        out = [self.title] if self.title else []
        out += ["=" * total] + [line(r) for r in spans] + [line(plain(columns))]
        out.append("-" * total)
        for k, row in enumerate(body):
            if k in self.rules:
                out.append("-" * total)
            out.append(line(plain(row)))
        out.append("=" * total)
        out += list(self.notes)
        return _write(path, "\n".join(out) + "\n")

    def to_markdown(self, path: str | PathLike[str] | None = None) -> str:
        """A pipe table (GitHub / pandoc), every cell escaped; title and notes around it.

        Parameters
        ----------
        path : str or os.PathLike, optional
            Also write the text to this file (UTF-8). Without it nothing is written.

        Returns
        -------
        str
            The Markdown text, ending in a newline.
        """
        def row(cells: Sequence[str]) -> str:
            return "| " + " | ".join(markdown_escape(c) for c in cells) + " |"

        out = [f"**{markdown_escape(self.title)}**", ""] if self.title else []
        out.append(row(self._flat_header()))
        out.append("|" + "|".join([":---"] + [":---:"] * (self.data.shape[1] - 1)) + "|")
        out += [row(r) for r in self._body()]
        if self.notes:
            out.append("")
            out += [markdown_escape(n) + "  " for n in self.notes]
        return _write(path, "\n".join(out).rstrip() + "\n")

    def to_latex(self, path: str | PathLike[str] | None = None, *,
                 float_env: bool = True) -> str:
        """LaTeX with booktabs rules (``\\toprule``, ``\\midrule``, ``\\bottomrule``).

        Every cell, the title and the notes are escaped. Needs ``\\usepackage{booktabs}``;
        Chinese text needs a CJK-capable setup (e.g. xelatex with ``ctex``).

        Parameters
        ----------
        path : str or os.PathLike, optional
            Also write the text to this file (UTF-8). Without it nothing is written.
        float_env : bool
            Wrap in a ``table`` float with ``\\caption`` and the notes below the tabular;
            False gives the bare ``tabular`` (the notes as ``%`` comments).

        Returns
        -------
        str
            The LaTeX source, ending in a newline.
        """
        ncol = self.data.shape[1]

        def row(cells: Sequence[str]) -> str:
            return " & ".join(latex_escape(c) for c in cells) + r" \\"

        tab = [r"\begin{tabular}{l" + "c" * (ncol - 1) + "}", r"\toprule"]
        for spans in map(_spans, self.header_rows):
            cells = [latex_escape(t) if n == 1 else
                     r"\multicolumn{" + str(n) + "}{c}{" + latex_escape(t) + "}"
                     for t, _, n in spans]
            tab.append(" & ".join(cells) + r" \\")
            rules = [r"\cmidrule(lr){" + f"{j + 1}-{j + n}" + "}" for t, j, n in spans
                     if n > 1 and t]
            if rules:
                tab.append(" ".join(rules))
        tab += [row(self.data.columns), r"\midrule"]
        for k, r in enumerate(self._body()):
            if k in self.rules:
                tab.append(r"\midrule")
            tab.append(row(r))
        tab += [r"\bottomrule", r"\end{tabular}"]
        if not float_env:
            comments = [f"% {' '.join(n.splitlines())}" for n in (self.title, *self.notes) if n]
            return _write(path, "\n".join(comments + tab) + "\n")
        out = [r"\begin{table}[htbp]", r"\centering"]
        if self.title:
            out.append(r"\caption{" + latex_escape(self.title) + "}")
        out += tab
        if self.notes:
            out.append(r"\par\smallskip")
            out += [r"{\footnotesize " + latex_escape(n) + r"\par}" for n in self.notes]
        out.append(r"\end{table}")
        return _write(path, "\n".join(out) + "\n")

    def to_html(self, path: str | PathLike[str] | None = None, *,
                classes: str = "did-zones-table") -> str:
        """An HTML ``<table>`` (escaped with :func:`html.escape`; no inline script or style).

        Rows above which a rule belongs carry ``class="rule"``; the notes sit in ``<tfoot>``.

        Parameters
        ----------
        path : str or os.PathLike, optional
            Also write the fragment to this file (UTF-8). Without it nothing is written.
        classes : str
            Value of the ``class`` attribute of ``<table>``.

        Returns
        -------
        str
            The ``<table>`` element (a fragment, not a full page), ending in a newline.
        """
        esc = html_escape
        out = [f'<table class="{esc(classes)}">']
        if self.title:
            out.append(f"<caption>{esc(self.title)}</caption>")
        out.append("<thead>")
        for spans in map(_spans, self.header_rows):
            out.append("<tr>" + "".join(
                f'<th scope="col">{esc(t)}</th>' if n == 1 else
                f'<th scope="colgroup" colspan="{n}">{esc(t)}</th>' for t, _, n in spans)
                + "</tr>")
        out.append("<tr>" + "".join(f'<th scope="col">{esc(c)}</th>'
                                    for c in self.data.columns) + "</tr>")
        out += ["</thead>", "<tbody>"]
        for k, r in enumerate(self._body()):
            tag = '<tr class="rule">' if k in self.rules else "<tr>"
            cells = [f'<th scope="row">{esc(r[0])}</th>'] + [f"<td>{esc(c)}</td>" for c in r[1:]]
            out.append(tag + "".join(cells) + "</tr>")
        out.append("</tbody>")
        if self.notes:
            n = self.data.shape[1]
            out.append("<tfoot>" + "".join(f'<tr><td colspan="{n}">{esc(x)}</td></tr>'
                                           for x in self.notes) + "</tfoot>")
        out.append("</table>")
        return _write(path, "\n".join(out) + "\n")

    def to_csv(self, path: str | PathLike[str] | None = None) -> str:
        """The header rows and the body as CSV (no title or notes).

        Parameters
        ----------
        path : str or os.PathLike, optional
            Also write the text to this file: UTF-8 with a byte-order mark, so that Excel
            shows Chinese labels correctly. Without it nothing is written.

        Returns
        -------
        str
            The CSV text (without the byte-order mark).
        """
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerows(self._header() + self._body())
        return _write(path, buf.getvalue(), encoding="utf-8-sig")

    def to_docx(self, path: str | PathLike[str] | None = None) -> bytes:
        """A Word document holding the title, a real Word table and the notes.

        Needs ``python-docx``. Chinese text is set in an East-Asian font (SimSun).

        Parameters
        ----------
        path : str or os.PathLike, optional
            Also write the document to this file. Without it nothing is written.

        Returns
        -------
        bytes
            The ``.docx`` file's content, with or without ``path`` (a ``.docx`` is a binary
            zip archive, so bytes take the place of the text the other writers return). Open
            it with ``docx.Document(io.BytesIO(content))`` to edit it further.
        """
        from docx import Document
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn
        from docx.shared import Pt

        doc = Document()
        style = doc.styles["Normal"]
        style.font.name = "Times New Roman"
        style.font.size = Pt(10.5)
        style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")
        if self.title:
            p = doc.add_paragraph()
            p.add_run(self.title).bold = True
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        header, body = self._header(), self._body()
        table = doc.add_table(rows=len(header) + len(body), cols=self.data.shape[1])
        for i, cells in enumerate(header + body):
            for j, text in enumerate(cells):
                cell = table.cell(i, j)
                cell.text = text
                par = cell.paragraphs[0]
                if j > 0:
                    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
                if i < len(header):
                    for run in par.runs:
                        run.bold = True
        for note in self.notes:
            p = doc.add_paragraph()
            p.add_run(note).font.size = Pt(9)
        buf = io.BytesIO()
        doc.save(buf)
        content = buf.getvalue()
        if path is not None:
            Path(path).write_bytes(content)
        return content

    def save(self, path: str | PathLike[str]) -> Path:
        """Write the table in the format given by the suffix of ``path``.

        Same as calling the matching writer with ``path`` and its default options.

        Parameters
        ----------
        path : str or os.PathLike
            Ends in ``.txt``, ``.md``, ``.tex``, ``.html``/``.htm``, ``.csv`` or ``.docx``.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        SpecificationError
            If the suffix names no known format.
        """
        path = Path(path)
        method = _SUFFIXES.get(path.suffix.lower())
        if method is None:
            raise SpecificationError(
                f"Cannot tell the format from the suffix {path.suffix!r} of {str(path)!r}; "
                f"use one of {', '.join(sorted(_SUFFIXES))}.")
        getattr(self, method)(path)
        return path

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.to_html()
