"""Chinese (CJK) fonts for figures: a system font when there is one, else the bundled one.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: a label such as "试点城市"
renders as empty boxes with only a "Glyph ... missing" warning. Every plot function of
:mod:`did_zones.plots` draws Chinese with an installed CJK font (Noto Sans CJK, Source Han,
WenQuanYi, SimHei, Microsoft YaHei, PingFang, ...) when one is present, and otherwise with the
subset of Noto Sans CJK SC shipped with the package (GB2312 plus every character of the
package's own words and city names; SIL Open Font License 1.1). Latin text stays in DejaVu
Sans: matplotlib picks each glyph from the first font of the family list that has it.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import DidZonesWarning, SpecificationError, warn

__all__ = ["FontWarning", "CJK_FAMILIES", "BUNDLED_FAMILY", "has_cjk", "find_cjk_font",
           "bundled_font", "font_families", "resolve_font", "is_font_path", "cjk_rc",
           "use_cjk_font", "pass_on", "missing_glyph_message", "missing_glyphs_reported",
           "INSTALL_ADVICE"]


class FontWarning(DidZonesWarning):
    """Characters of a figure are missing from its fonts; the message names them and the fix."""


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
#: Family name of the font subset bundled with the package (``data/fonts/``).
BUNDLED_FAMILY = "Noto Sans CJK SC DZ Subset"
_BUNDLED_FILE = "fonts/NotoSansCJKsc-DZSubset-Regular.otf"
#: The Latin font of every figure (shipped with matplotlib).
LATIN_FAMILY = "DejaVu Sans"
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# any other family whose name says it covers Chinese
_FAMILY_PATTERN = re.compile(r"CJK|Source Han|WenQuanYi|YaHei|SimHei|SimSun|PingFang|Heiti|"
                             r"Songti|Hiragino Sans GB|Noto Sans SC|Noto Serif SC", re.I)
# font files worth registering when matplotlib's font cache predates their installation
_FILE_PATTERN = re.compile(r"notosanscjk|notoserifcjk|notosanssc|notoserifsc|sourcehan|wqy|"
                           r"wenquanyi|simhei|simsun|msyh|pingfang|hiragino", re.I)
_CJK = re.compile("[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31bf\u3400-\u4dbf"
                  "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
                  "\U00020000-\U0003134f]")
# matplotlib's message for a character no font of the family list has (matplotlib >= 3.6)
_GLYPH_MISSING = re.compile(r"^Glyph (\d+) \(.*\) missing from font\(s\) (.*?)\.?$", re.S)

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
    """Family name of the font that draws Chinese: an installed CJK font, else the bundled one.

    Searches matplotlib's font manager for the families of :data:`CJK_FAMILIES` (Noto Sans/
    Serif CJK, Source Han, WenQuanYi, SimHei, Microsoft YaHei, PingFang, ...), then for any
    family whose name marks it as CJK. When matplotlib's font cache was built before the font
    was installed, the system font folders are scanned for CJK font files, which are
    registered. When no system font is found, the subset of Noto Sans CJK SC bundled with the
    package is registered and its family :data:`BUNDLED_FAMILY` returned. The system search
    is cached; ``refresh=True`` searches again.

    Parameters
    ----------
    refresh : bool
        Ignore the cached answer.

    Returns
    -------
    str or None
        A font family name usable in ``rcParams["font.family"]``; None only when no CJK font
        is installed and the bundled font is missing too (a broken install).

    Examples
    --------
    >>> name = find_cjk_font()
    >>> isinstance(name, str)
    True
    """
    family = _system_cjk_font(refresh)
    return family if family is not None else bundled_font()


def _system_cjk_font(refresh: bool = False) -> str | None:
    """The best installed CJK family (never the bundled subset), or None; cached."""
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
    names = {f.name for f in manager.ttflist} - {BUNDLED_FAMILY}
    for name in CJK_FAMILIES:
        if name in names:
            return name
    others = sorted(n for n in names if _FAMILY_PATTERN.search(n))
    return others[0] if others else None


def bundled_font() -> str | None:
    """Register the CJK font subset shipped with the package; return its family name.

    The font is Noto Sans CJK SC Regular cut down to GB2312, Latin-1, punctuation, full-width
    forms, the mathematical symbols of the figures and every character of the package's words
    and registry (SIL Open Font License 1.1; see ``did_zones/data/fonts/README.md``). Its family
    name, :data:`BUNDLED_FAMILY`, differs from the full font's, so it never replaces an
    installed Noto Sans CJK.

    Returns
    -------
    str or None
        :data:`BUNDLED_FAMILY`, or None when the font file is missing (a broken install).

    Examples
    --------
    >>> bundled_font()
    'Noto Sans CJK SC DZ Subset'
    """
    from matplotlib import font_manager

    from .._resources import bundled_file

    if any(f.name == BUNDLED_FAMILY for f in font_manager.fontManager.ttflist):
        return BUNDLED_FAMILY
    try:
        path = bundled_file(_BUNDLED_FILE)
    except FileNotFoundError:
        return None
    font_manager.fontManager.addfont(str(path))
    return BUNDLED_FAMILY


def is_font_path(font: str) -> bool:
    """True when ``font`` names a font file (a path) rather than a family."""
    return ("/" in font or os.path.sep in font
            or os.path.splitext(font)[1].lower() in _FONT_SUFFIXES)


def resolve_font(font: str) -> str:
    """Family name of ``font``: a font file (registered with matplotlib) or a family name.

    Parameters
    ----------
    font : str
        An installed family name (``"Noto Serif CJK SC"``, ``"SimSun"``) or the path of a
        ``.ttf`` / ``.otf`` / ``.ttc`` file.

    Returns
    -------
    str
        The family name matplotlib knows the font by.

    Raises
    ------
    SpecificationError
        The file does not exist or is not a font, or no installed font has that family name
        (the message lists similar names).

    Examples
    --------
    >>> resolve_font("DejaVu Sans")
    'DejaVu Sans'
    """
    from matplotlib import font_manager

    if not isinstance(font, str) or not font:
        raise SpecificationError(f"font must be a family name or the path of a font file; "
                                 f"got {font!r}.")
    if is_font_path(font):
        path = os.path.expanduser(font)
        if not os.path.isfile(path):
            raise SpecificationError(f"font file {font!r} does not exist. Pass the path of an "
                                     "installed .ttf/.otf/.ttc file, or a family name.")
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError) as exc:
            raise SpecificationError(f"font file {font!r} is not a readable font ({exc}). "
                                     "Pass a .ttf/.otf/.ttc file, or a family name.") from exc
    if font == BUNDLED_FAMILY:
        bundled_font()
    names = {f.name for f in font_manager.fontManager.ttflist}
    if font not in names:
        close = sorted(n for n in names if font.lower() in n.lower())[:5]
        raise SpecificationError(
            f"font family {font!r} is not installed"
            + (f" (similar: {close})" if close else "") + ". Pass an installed family name or "
            "the path of a font file (.ttf/.otf/.ttc).")
    return font


def font_families(font: str | None = None) -> list[str]:
    """The font fallback list of a figure with Chinese text.

    Matplotlib (>= 3.6) takes each glyph from the first family of the list that has it. With
    no ``font``, the list is ``["DejaVu Sans", <CJK family>]``: Latin letters, digits and
    symbols in matplotlib's usual DejaVu Sans, Chinese in the CJK font of
    :func:`find_cjk_font`. A ``font`` chosen by the user comes first, so it draws every
    character it has.

    Parameters
    ----------
    font : str, optional
        A font family name or the path of a font file.

    Returns
    -------
    list of str
        Family names; without a CJK font (a broken install) only ``["DejaVu Sans"]``.

    Raises
    ------
    SpecificationError
        ``font`` is not an installed family or a readable font file.

    Examples
    --------
    >>> font_families()[0]
    'DejaVu Sans'
    """
    families = [resolve_font(font)] if font is not None else []
    for family in (LATIN_FAMILY, find_cjk_font()):
        if family is not None and family not in families:
            families.append(family)
    return families


def cjk_rc(font: str | None = None) -> dict[str, Any]:
    """rcParams that draw text with a CJK font.

    Parameters
    ----------
    font : str, optional
        A font family name or the path of a font file, tried first for every character;
        default: DejaVu Sans for Latin text and :func:`find_cjk_font` for Chinese.

    Returns
    -------
    dict
        ``font.family``, the fallback list of :func:`font_families`. Use as
        ``matplotlib.rcParams.update(cjk_rc())`` to switch every later figure.

    Warns
    -----
    FontWarning
        No CJK font is installed and the bundled one is missing (a broken install); the
        dict is then empty.

    Examples
    --------
    >>> cjk_rc()["font.family"][0]
    'DejaVu Sans'
    """
    families = font_families(font)
    if font is None and len(families) == 1:
        warn("The figure has Chinese (CJK) labels, but no font with Chinese glyphs is "
             "installed and the font bundled with did_zones is missing (reinstall did_zones), "
             "so they would show as empty boxes. " + INSTALL_ADVICE, FontWarning)
        return {}
    return {"font.family": families}


@contextlib.contextmanager
def use_cjk_font(font: str | None = None) -> Iterator[str | None]:
    """Context in which new figures draw text with a CJK font.

    Text created inside keeps the font when saved later. Yields the family that draws
    Chinese: ``font`` when given, else :func:`find_cjk_font` (None, with a
    :class:`FontWarning`, when there is none).

    Parameters
    ----------
    font : str, optional
        A font family name or the path of a font file; default :func:`find_cjk_font`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> with use_cjk_font() as family:
    ...     fig, ax = plt.subplots()
    ...     _ = ax.set_title("试点城市")
    >>> family in CJK_FAMILIES + (BUNDLED_FAMILY,)
    True
    """
    import matplotlib

    rc = cjk_rc(font)
    with matplotlib.rc_context(rc):
        if not rc:
            yield None
        else:
            yield rc["font.family"][0] if font is not None else rc["font.family"][-1]


def pass_on(records: Iterable[warnings.WarningMessage], font: str | None = None) -> None:
    """Re-issue warnings caught while drawing, matplotlib's missing-glyph ones as one.

    Every "Glyph ... missing from font(s) ..." warning of matplotlib becomes a single
    :class:`FontWarning` naming how many characters are missing, up to five of them, the
    fonts searched and the fix. Other warnings are re-issued unchanged.

    Parameters
    ----------
    records : iterable of warnings.WarningMessage
        Warnings recorded by ``warnings.catch_warnings(record=True)``.
    font : str, optional
        The font the caller asked for (named in the advice).
    """
    missing: dict[int, None] = {}
    fonts = ""
    told = False
    for rec in records:
        match = _GLYPH_MISSING.match(str(rec.message))
        if match:
            missing[int(match.group(1))] = None
            fonts = match.group(2)
            continue
        told = told or issubclass(rec.category, FontWarning)
        warnings.warn_explicit(rec.message, rec.category, rec.filename, rec.lineno,
                               source=rec.source)
    if missing and not told:  # "no CJK font at all" already said it
        warn(missing_glyph_message(list(missing), fonts, font), FontWarning)


def missing_glyph_message(codes: list[int], fonts: str, font: str | None = None) -> str:
    """The text of the :class:`FontWarning` about characters no font of a figure has."""
    shown = ", ".join(f"{chr(c)!r} (U+{c:04X})" for c in codes[:5])
    more = f" and {len(codes) - 5} more" if len(codes) > 5 else ""
    one = len(codes) == 1
    what = "character is" if one else "characters are"
    boxes = "shows as an empty box" if one else "show as empty boxes"
    where = f" ({fonts})" if fonts else ""
    chosen = f"font={font!r} lacks {'it' if one else 'them'} too. " if font is not None else ""
    return (f"{len(codes)} {what} missing from the figure's fonts{where} and {boxes}: "
            f"{shown}{more}. {chosen}Pass font= a family name or the path of a font file that "
            f"has {'it' if one else 'them'} (e.g. font='/path/to/font.otf'; in a study file, "
            "study.font).")


@contextlib.contextmanager
def missing_glyphs_reported() -> Iterator[None]:
    """Context that silences matplotlib's "Glyph ... missing" warnings while saving figures.

    For figures of :mod:`did_zones.plots`, whose missing characters were already reported in
    one :class:`FontWarning` when they were drawn; other warnings pass.

    Examples
    --------
    >>> with missing_glyphs_reported():
    ...     pass
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ \(.*\) missing from font",
                                category=UserWarning)
        yield
