"""Rebuild the bundled CJK font subset of the figures and its licence file.

Reads the Simplified-Chinese face of Noto Sans CJK Regular (the Debian/Ubuntu package
``fonts-noto-cjk``), keeps the characters the figures can need and writes

* ``NotoSansCJKsc-DZSubset-Regular.otf`` — family renamed to "Noto Sans CJK SC DZ Subset", so
  that it never shadows a user's full Noto Sans CJK installation;
* ``OFL.txt`` — the copyright notice and the SIL Open Font License 1.1 text, taken from the
  package's ``copyright`` file.

Kept characters: every GB2312 character (found by decoding every GB2312 byte pair), ASCII and
Latin-1, general punctuation, CJK symbols and punctuation, half- and full-width forms, Greek,
the mathematical symbols and arrows of the figures, and every character of the package's own
sources and data (``did_zones/**/*.py``, ``data/*.csv``, ``data/*.md``) — the registry's city
names include characters outside GB2312 such as 亳 and 儋.

Run from anywhere (output is byte-for-byte reproducible for the same input font and fontTools)::

    python data/fonts/make_subset.py [--source /path/to/NotoSansCJK-Regular.ttc]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
LICENCE_SOURCE = Path("/usr/share/doc/fonts-noto-cjk/copyright")
FACE = "Noto Sans CJK SC"
FAMILY = "Noto Sans CJK SC DZ Subset"  # the OFL Reserved Font Name is "Source": not used
POSTSCRIPT = "NotoSansCJKscDZSubset-Regular"
OUTPUT = HERE / "NotoSansCJKsc-DZSubset-Regular.otf"
COPYRIGHT = ("Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name "
             "'Source'.")

# (first, last) code points kept whole; characters the font lacks are skipped by the subsetter
BLOCKS = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement
    (0x0100, 0x017F),  # Latin extended-A (pinyin tone vowels ā é ǐ ...)
    (0x01CD, 0x01DC),  # pinyin vowels with caron
    (0x0300, 0x036F),  # combining diacritics (M̄ is M + U+0304)
    (0x0370, 0x03FF),  # Greek
    (0x2000, 0x206F),  # general punctuation (– — ‘ ’ “ ” … ′ ″ ‰)
    (0x2070, 0x209F),  # superscripts and subscripts
    (0x2100, 0x214F),  # letterlike symbols (℃ №)
    (0x2150, 0x218F),  # number forms (Ⅰ Ⅱ Ⅲ)
    (0x2190, 0x21FF),  # arrows (→)
    (0x2200, 0x22FF),  # mathematical operators (− ≤ ≥ ≠ ≈ ± ∞ √ ∑)
    (0x2460, 0x24FF),  # enclosed alphanumerics (① ②)
    (0x25A0, 0x25FF),  # geometric shapes (■ ● ▲)
    (0x3000, 0x303F),  # CJK symbols and punctuation (、 。 《 》 〔 〕)
    (0x3200, 0x32FF),  # enclosed CJK letters
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms (（ ） ， ： ％)
)
EXTRA = "×÷±·•°"


def gb2312() -> set[str]:
    """Every character of GB2312, found by decoding each two-byte code with Python's codec."""
    chars = set()
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:  # unassigned code point
                continue
    return chars


def package_chars() -> set[str]:
    """Every printable character of the package's sources and bundled data files."""
    files = [*sorted((ROOT / "did_zones").rglob("*.py")), *sorted((ROOT / "data").glob("*.csv")),
             *sorted((ROOT / "data").glob("*.md"))]
    chars = set()
    for path in files:
        chars.update(c for c in path.read_text(encoding="utf-8") if c.isprintable())
    return chars


def wanted() -> set[str]:
    chars = gb2312() | package_chars() | set(EXTRA)
    for first, last in BLOCKS:
        chars.update(map(chr, range(first, last + 1)))
    return chars


def _face(source: Path) -> TTFont:
    """The Simplified-Chinese face of a .ttc collection (or the single face of an .otf)."""
    index = 0
    if source.suffix.lower() in (".ttc", ".otc"):
        from fontTools.ttLib import TTCollection

        names = [f["name"].getDebugName(1) for f in TTCollection(str(source), lazy=True).fonts]
        index = names.index(FACE)
    return TTFont(str(source), fontNumber=index, recalcTimestamp=False, lazy=False)


def _rename(font: TTFont) -> None:
    """New family, full and PostScript names (name table and CFF), old version kept."""
    name = font["name"]
    version = name.getDebugName(5) or ""
    new = {1: FAMILY, 2: "Regular", 3: f"{version};{POSTSCRIPT}", 4: FAMILY, 6: POSTSCRIPT,
           16: FAMILY, 17: "Regular"}
    for record in name.names:
        if record.nameID in new:
            record.string = new[record.nameID]
    name.names = [r for r in name.names if r.nameID not in (16, 17, 21, 22)]
    name.setName(f"{version}; did_zones subset of {FACE}", 5, 3, 1, 0x409)
    name.setName(f"Subset of {FACE} Regular for the figures of did_zones (GB2312 and the "
                 "package's own words).", 10, 3, 1, 0x409)
    cff = font["CFF "].cff
    cff.fontNames = [POSTSCRIPT]
    top = cff.topDictIndex[0]
    top.FullName = FAMILY
    top.FamilyName = FAMILY
    if hasattr(top, "CIDFontName"):
        top.CIDFontName = POSTSCRIPT


def build(source: Path = SOURCE, output: Path = OUTPUT) -> Path:
    """Write the subset font to ``output`` and return its path."""
    font = _face(source)
    cmap = font.getBestCmap()
    keep = sorted(ord(c) for c in wanted() if ord(c) in cmap)
    options = subset.Options()
    options.layout_features = ["kern", "palt", "halt", "ccmp", "mark", "mkmk"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    options.name_languages = [0x0409]
    options.notdef_outline = True
    options.recalc_timestamp = False
    sub = subset.Subsetter(options)
    sub.populate(unicodes=keep)
    sub.subset(font)
    _rename(font)
    output.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(output))
    return output


def write_licence(source: Path = LICENCE_SOURCE, output: Path = HERE / "OFL.txt") -> Path:
    """``OFL.txt``: the font's copyright notice and the OFL 1.1 text of the Debian package."""
    text = source.read_text(encoding="utf-8")
    match = re.search(r"^License: SIL-1\.1\n((?: .*\n)+)", text, re.M)
    if match is None:
        raise SystemExit(f"no 'License: SIL-1.1' paragraph in {source}")
    body = [line[1:] for line in match.group(1).splitlines()]
    body = ["" if line == "." else line for line in body]
    output.write_text(COPYRIGHT + "\n\n" + "\n".join(body).strip() + "\n", encoding="utf-8")
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE,
                        help="Noto Sans CJK Regular (.ttc collection or the SC .otf)")
    parser.add_argument("--licence", type=Path, default=LICENCE_SOURCE,
                        help="Debian copyright file holding the OFL 1.1 text")
    args = parser.parse_args()
    out = build(args.source)
    font = TTFont(str(out))
    print(f"{out.name}: {out.stat().st_size / 2**20:.2f} MiB, "
          f"{len(font.getBestCmap())} characters, {len(font.getGlyphOrder())} glyphs")
    print(write_licence(args.licence).name)


if __name__ == "__main__":
    main()
