"""Chinese (CJK) fonts for figures: find one, use it, or say how to install one.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: a label such as "试点城市"
renders as empty boxes with only a "Glyph ... missing" warning. Every plot function of
:mod:`did_zones.plots` checks its labels and, when one holds CJK characters, draws the figure
with an installed CJK font, or warns with :class:`FontWarning` saying how to install one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import DidZonesWarning, SpecificationError

__all__ = ["FontWarning", "CJK_FAMILIES", "has_cjk", "find_cjk_font", "cjk_rc", "use_cjk_font",
           "INSTALL_ADVICE"]


class FontWarning(DidZonesWarning):
    """No font with Chinese (CJK) glyphs is installed; the message says how to install one."""


#: Family names searched, in order of preference (simplified-Chinese variants first).
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "Noto Serif CJK SC", "Noto Serif SC", "Source Han Serif SC", "Source Han Serif CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
    "Hiragino Sans GB", "Heiti SC", "STHeiti", "SimSun", "Songti SC",
    "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Sans CJK KR", "Noto Sans CJK HK",
    "Noto Serif CJK TC", "Noto Serif CJK JP", "Noto Serif CJK KR",
    "Source Han Sans", "Source Han Serif", "PingFang TC", "Microsoft JhengHei",
)
# any other family whose name says it covers Chinese
_FAMILY_PATTERN = re.compile(r"CJK|Source Han|WenQuanYi|YaHei|SimHei|SimSun|PingFang|Heiti|"
                             r"Songti|Hiragino Sans GB|Noto Sans SC|Noto Serif SC", re.I)
# font files worth registering when matplotlib's font cache predates their installation
_FILE_PATTERN = re.compile(r"notosanscjk|notoserifcjk|notosanssc|notoserifsc|sourcehan|wqy|"
                           r"wenquanyi|simhei|simsun|msyh|pingfang|hiragino", re.I)
_CJK = re.compile("[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31bf\u3400-\u4dbf"
                  "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")

INSTALL_ADVICE = (
    "Install one and rerun: Debian/Ubuntu `sudo apt-get install fonts-noto-cjk` (Fedora "
    "`sudo dnf install google-noto-sans-cjk-fonts`, macOS and Windows ship PingFang / "
    "Microsoft YaHei); or `conda install -c conda-forge font-ttf-noto-cjk`; or pass "
    "font='/path/to/NotoSansCJK-Regular.ttc' (any .ttf/.otf/.ttc file with Chinese glyphs). "
    "If the font is installed but not found, delete matplotlib's font cache "
    "(matplotlib.get_cachedir()) and restart Python."
)

_found: dict[str, str | None] = {}


def has_cjk(texts: str | Iterable[Any] | None) -> bool:
    """True when any of ``texts`` (strings, or anything turned into one) holds a CJK character.

    Examples
    --------
    >>> has_cjk(["Event time", "估计值"]), has_cjk("Estimate")
    (True, False)
    """
    if texts is None:
        return False
    if isinstance(texts, str):
        return bool(_CJK.search(texts))
    return any(_CJK.search(str(t)) for t in texts if t is not None)


def find_cjk_font(refresh: bool = False) -> str | None:
    """Family name of an installed font with Chinese glyphs, or None when there is none.

    Searches matplotlib's font manager for the families of :data:`CJK_FAMILIES` (Noto Sans/
    Serif CJK, Source Han, WenQuanYi, SimHei, Microsoft YaHei, PingFang, ...), then for any
    family whose name marks it as CJK. When matplotlib's font cache was built before the font
    was installed, the system font folders are scanned for CJK font files, which are
    registered. The answer is cached; ``refresh=True`` searches again.

    Parameters
    ----------
    refresh : bool
        Ignore the cached answer.

    Returns
    -------
    str or None
        A font family name usable in ``rcParams["font.family"]``.

    Examples
    --------
    >>> name = find_cjk_font()
    >>> name is None or isinstance(name, str)
    True
    """
    if not refresh and "family" in _found:
        return _found["family"]
    from matplotlib import font_manager

    family = _search(font_manager.fontManager)
    if family is None:
        for path in font_manager.findSystemFonts():
            if _FILE_PATTERN.search(os.path.basename(path)):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # unreadable file: skip it
                    continue
        family = _search(font_manager.fontManager)
    _found["family"] = family
    return family


def _search(manager) -> str | None:
    names = {f.name for f in manager.ttflist}
    for name in CJK_FAMILIES:
        if name in names:
            return name
    others = sorted(n for n in names if _FAMILY_PATTERN.search(n))
    return others[0] if others else None


def _family_of(font: str) -> str:
    """Family name of ``font``: a path to a font file (registered) or a family name."""
    from matplotlib import font_manager

    if os.path.sep in font or os.path.splitext(font)[1].lower() in (".ttf", ".otf", ".ttc"):
        if not os.path.isfile(font):
            raise SpecificationError(f"font file {font!r} does not exist. Pass the path of an "
                                     "installed .ttf/.otf/.ttc file, or a family name.")
        font_manager.fontManager.addfont(font)
        return font_manager.FontProperties(fname=font).get_name()
    names = {f.name for f in font_manager.fontManager.ttflist}
    if font not in names:
        close = sorted(n for n in names if font.lower() in n.lower())[:5]
        raise SpecificationError(
            f"font family {font!r} is not installed"
            + (f" (similar: {close})" if close else "") + ". Pass an installed family name or "
            "the path of a font file. " + INSTALL_ADVICE)
    return font


def cjk_rc(font: str | None = None) -> dict[str, Any]:
    """rcParams that draw text with a CJK font (empty dict, with a warning, when none exists).

    Parameters
    ----------
    font : str, optional
        A font family name or the path of a font file; default :func:`find_cjk_font`.

    Returns
    -------
    dict
        ``font.family`` (the CJK family first, DejaVu Sans as fallback) and
        ``axes.unicode_minus = False`` (CJK fonts often lack U+2212). Use as
        ``matplotlib.rcParams.update(cjk_rc())`` to switch every later figure.

    Warns
    -----
    FontWarning
        No CJK font is installed (the message says how to install one).

    Examples
    --------
    >>> rc = cjk_rc()  # doctest: +SKIP
    >>> rc["axes.unicode_minus"]  # doctest: +SKIP
    False
    """
    import warnings

    family = _family_of(font) if font is not None else find_cjk_font()
    if family is None:
        warnings.warn("The figure has Chinese (CJK) labels, but no font with Chinese glyphs "
                      "is installed, so they would show as empty boxes. " + INSTALL_ADVICE,
                      FontWarning, stacklevel=3)
        return {}
    return {"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False}


@contextmanager
def use_cjk_font(font: str | None = None) -> Iterator[str | None]:
    """Context in which new figures draw text with a CJK font.

    Text created inside keeps the font when saved later. Yields the family name (None, with
    a :class:`FontWarning`, when no CJK font is installed).

    Parameters
    ----------
    font : str, optional
        A font family name or the path of a font file; default :func:`find_cjk_font`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> with use_cjk_font():  # doctest: +SKIP
    ...     fig, ax = plt.subplots()
    ...     ax.set_title("试点城市")
    """
    import matplotlib

    rc = cjk_rc(font)
    with matplotlib.rc_context(rc):
        yield rc["font.family"][0] if rc else None
