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
# Greek letters and mathematical signs that estimator notes use (Σ, τ, ρ, ≥, −, ...): the
# default pdflatex fonts have no glyphs for them as text, so they are set in math mode
_LATEX.update({ch: "\\ensuremath{\\" + name + "}" for ch, name in {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon", "θ": "theta",
    "λ": "lambda", "μ": "mu", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Δ": "Delta", "Σ": "Sigma", "Θ": "Theta",
    "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega", "≥": "geq", "≤": "leq", "≠": "neq",
    "≈": "approx", "±": "pm", "→": "rightarrow", "←": "leftarrow", "·": "cdot",
    "∞": "infty", "√": "surd", "∑": "sum", "∈": "in", "′": "prime",
}.items()})
_LATEX.update({"−": r"\ensuremath{-}", "³": r"\textsuperscript{3}", "¹": r"\textsuperscript{1}",
               "†": r"\ensuremath{\dagger}"})
# a letter with a combining hat / tilde / bar (τ̂, β̃, ȳ) becomes the math accent
_ACCENTS = {"\u0302": "hat", "\u0303": "tilde", "\u0304": "bar"}
_LATEX_RE = re.compile("(?P<acc>[A-Za-zα-ωΑ-Ω][\u0302\u0303\u0304])|"
                       + "|".join(re.escape(k) for k in _LATEX))


def _latex_sub(m: re.Match) -> str:
    acc = m.group("acc")
    if acc is None:
        return _LATEX[m.group(0)]
    base = _LATEX.get(acc[0], acc[0])
    if base.startswith(r"\ensuremath{"):
        base = base[len(r"\ensuremath{"):-1]
    return "\\ensuremath{\\" + _ACCENTS[acc[1]] + "{" + base + "}}"

_MARKDOWN = {
    "\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]",
    "|": "\\|", "<": "\\<", ">": "\\>",
}
_MARKDOWN_RE = re.compile("|".join(re.escape(k) for k in _MARKDOWN))
# a number followed by significance stars is left as it is: an unpaired run of stars in a
# table cell cannot open emphasis, and "0.017***" stays readable in the .md file
_STARRED_NUMBER = re.compile(r"^[-+]?[0-9.,]+\*+$")


def latex_escape(text: object) -> str:
    """Escape ``text`` for LaTeX body text.

    The ten special characters and ``< > |`` are escaped; Greek letters, mathematical signs
    and accented letters (``τ̂``) are set in math mode so that pdflatex prints them.
    """
    return _LATEX_RE.sub(_latex_sub, str(text))


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
