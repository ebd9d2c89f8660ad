"""Escaping of cell text for LaTeX, HTML and Markdown.

Every string that reaches a writer is escaped, so a label such as ``<script>alert(1)</script>``
or ``50% & \\_x`` appears literally in the output and never becomes markup or code.
"""

from __future__ import annotations

import html
import re

__all__ = ["latex_escape", "html_escape", "markdown_escape"]

# one pass over the string, so a replacement is never escaped again
_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # in the default OT1 font encoding < > | print as other glyphs
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    # two characters the tables print that pdflatex's default setup may lack
    "²": r"\textsuperscript{2}",
    "×": r"\ensuremath{\times}",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX))

_MARKDOWN = {
    "\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]",
    "|": "\\|", "<": "\\<", ">": "\\>",
}
_MARKDOWN_RE = re.compile("|".join(re.escape(k) for k in _MARKDOWN))
# a number followed by significance stars is left as it is: an unpaired run of stars in a
# table cell cannot open emphasis, and "0.017***" stays readable in the .md file
_STARRED_NUMBER = re.compile(r"^[-+]?[0-9.,]+\*+$")


def latex_escape(text: object) -> str:
    """Escape ``text`` for LaTeX body text (the ten special characters and ``< > |``)."""
    return _LATEX_RE.sub(lambda m: _LATEX[m.group(0)], str(text))


def html_escape(text: object) -> str:
    """Escape ``text`` for HTML text and attribute values (``& < > " '``)."""
    return html.escape(str(text), quote=True)


def markdown_escape(text: object) -> str:
    """Escape ``text`` for a Markdown (GitHub / pandoc pipe) table cell.

    Markdown punctuation is backslash-escaped, ``<`` and ``>`` too (so no raw HTML passes
    through a renderer), and line breaks become spaces.
    """
    s = " ".join(str(text).splitlines())
    if _STARRED_NUMBER.match(s):
        return s
    return _MARKDOWN_RE.sub(lambda m: _MARKDOWN[m.group(0)], s)
