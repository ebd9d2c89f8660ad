"""Reading user CSV files: encoding detection, truncation checks, trailing note lines.

One way into the package for every CSV file a user hands over (CSMAR exports through
:func:`did_zones.read_cre`, the study file of a report). Files from Chinese sources come in
UTF-8 (with or without a byte-order mark), GBK/GB18030 (what Excel writes on a Chinese
Windows) or UTF-16; downloads get cut. This module decodes the bytes, parses the records with
the standard :mod:`csv` module, and refuses a file that is cut, with a
:class:`~did_zones.errors.PanelError` naming the file, the line and the fix, instead of letting a
cut row be read as missing values.

:func:`read_table_file` returns a DataFrame as :func:`pandas.read_csv` would;
:func:`read_records` returns the checked records themselves, for readers that need the line
numbers (the CSMAR reader skips descriptive header rows and footers by line).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from dataclasses import dataclass
from os import PathLike, fspath
from typing import IO, Any

import pandas as pd

from .errors import DataDroppedWarning, PanelError, SpecificationError, warn
from .validation import examples

__all__ = ["TextRecords", "decode_bytes", "is_note_line", "read_records", "read_table_file"]

Source = str | PathLike | IO[str] | IO[bytes]

#: Byte-order marks, longest first (the UTF-32-LE mark begins with the UTF-16-LE one):
#: mark, codec of the bytes after it, the name returned, the name in messages.
_BOMS: tuple[tuple[bytes, str, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16", "UTF-16"),
)
#: Signatures of files that are not text at all, with what they are.
_BINARY = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)"),
    (b"PAR1", "a Parquet file"),
)
_GB = {"gb18030", "gbk", "gb2312", "cp936", "hz"}
_SAVE_AS_UTF8 = ("Re-save it as UTF-8 text (Excel: Save As > 'CSV UTF-8 (Comma delimited)'; "
                 "WPS/LibreOffice: CSV with character set UTF-8) and read it again.")
_REEXPORT = ("Re-export the file (or download it again): a cut file must not be read, its "
             "last values would be wrong or missing.")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DECIMAL = re.compile(r"^[+-]?\d*\.(\d+)$")


@dataclass(frozen=True)
class TextRecords:
    """The checked records of a CSV file.

    Attributes
    ----------
    name : str
        The file as named in messages (its path, or ``"<buffer>"``).
    encoding : str
        The codec the bytes were decoded with (``"utf-8"``, ``"utf-8-sig"``, ``"gb18030"``,
        ``"utf-16"``, ...), or ``"text"`` for a text buffer.
    header : list of str
        The first non-blank record.
    rows : list of list of str
        The other non-blank records, as strings; none is shorter than the header unless it
        is a note line (see :func:`is_note_line`) at the end of the file.
    lines : list of int
        The physical line (1-based) on which each row starts, for messages.
    text : str
        The decoded text.
    header_line : int
        The line of the header (after any empty lines at the top).
    blank_lines : tuple of int
        Lines between the header and the end of the file that hold nothing but separators
        or spaces (e.g. ``,,,,``), dropped; empty lines are not counted.
    """

    name: str
    encoding: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    text: str
    header_line: int = 1
    blank_lines: tuple[int, ...] = ()

    @property
    def detected(self) -> bool:
        """True when the file was not UTF-8 and its encoding was detected."""
        return self.encoding not in ("utf-8", "utf-8-sig", "text")

    def encoding_label(self) -> str:
        """The encoding for messages, e.g. ``"GB18030"`` or ``"UTF-16"``."""
        return {"utf-8-sig": "UTF-8 (with BOM)", "text": "text"}.get(
            self.encoding, self.encoding.upper().replace("_", "-"))


# --------------------------------------------------------------------------- decoding
def _name(source: Any) -> str:
    if isinstance(source, (str, PathLike)):
        return str(fspath(source))
    return str(getattr(source, "name", "<buffer>"))


def _line_of(data: bytes, pos: int, encoding: str) -> int:
    """1-based line of byte ``pos`` (counted on the bytes that decode before it)."""
    head = data[:pos].decode(encoding, errors="replace")
    return head.count("\n") + 1


def _cut_character(data: bytes, encoding: str) -> bool:
    """True when ``data`` decodes in ``encoding`` except for an incomplete last character."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return decoder.getstate()[0] != b""


def _truncated_character(name: str, data: bytes, label: str, encoding: str) -> PanelError:
    return PanelError(
        f"{name!r} ends in the middle of a {label} character (line "
        f"{_line_of(data, len(data), encoding)}): the file is cut. {_REEXPORT}"
    )


def _undecodable(name: str, data: bytes, why: str) -> PanelError:
    return PanelError(
        f"{name!r} could not be read as text: {why}. did_zones reads CSV files in UTF-8 "
        f"(with or without BOM), GB18030/GBK and UTF-16. {_SAVE_AS_UTF8}"
    )


def _utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` when the NUL bytes sit where UTF-16 puts them for
    ASCII characters (every second byte), else None."""
    head = data[:4096]
    half = max(1, len(head) // 2)
    odd, even = head[1::2].count(0) / half, head[0::2].count(0) / half
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def _detected_encodings(data: bytes) -> list[str]:
    """Encodings charset-normalizer finds plausible for ``data``, most plausible first.

    In a file that is mostly ASCII (CSMAR exports: English names, numbers) the few other
    bytes cannot tell the code pages apart, and charset-normalizer ranks an arbitrary one of
    the equally clean candidates first (a GBK ``’`` reads as clean cp1250). A tie that
    includes GB18030, GBK or GB2312 is broken towards GB18030 (the superset of GBK, the
    ANSI code page of Chinese Windows, where these files come from).
    """
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return []
    best = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= best + 0.01]
    order = [m.encoding for m in matches]
    if any(_GB & {m.encoding, *m.could_be_from_charset} for m in tied):
        order.insert(0, "gb18030")
    return list(dict.fromkeys(order))


def decode_bytes(data: bytes, name: str = "<buffer>") -> tuple[str, str]:
    """Decode the bytes of a text file whose encoding is not declared.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str, default "<buffer>"
        The file as named in messages.

    Returns
    -------
    text : str
        The decoded text, without byte-order mark.
    encoding : str
        The Python codec used: ``"utf-8-sig"``, ``"utf-16"`` or ``"utf-32"`` when the file
        starts with that byte-order mark, ``"utf-8"`` when the bytes are valid UTF-8, else
        the encoding detected by charset-normalizer (``"gb18030"`` for GBK and GB18030).

    Raises
    ------
    PanelError
        An empty file; a file that ends in the middle of a multi-byte character (cut); a
        binary file (an Excel workbook, a Parquet file); bytes that decode in no encoding.

    Notes
    -----
    The order is: byte-order mark, strict UTF-8, then the candidates of
    charset-normalizer (:func:`charset_normalizer.from_bytes`), each decoded strictly over
    the whole file; ties between equally clean candidates go to GB18030 (see
    :func:`_detected_encodings`).
    """
    if not data:
        raise PanelError(f"{name!r} is empty (0 bytes): there is nothing to read. {_REEXPORT}")
    for signature, what in _BINARY:
        if data.startswith(signature):
            raise PanelError(f"{name!r} is {what}, not a CSV text file. Save it as CSV. "
                             f"{_SAVE_AS_UTF8}")
    for bom, codec, returned, label in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            try:
                text = body.decode(codec)
            except UnicodeDecodeError as exc:
                if _cut_character(body, codec):
                    raise _truncated_character(name, body, label, codec) from None
                raise _undecodable(name, data, f"it starts with a {label} byte-order mark but "
                                   f"byte {exc.start + len(bom)} (line "
                                   f"{_line_of(body, exc.start, codec)}) is not {label}") \
                    from None
            return text.lstrip("\ufeff"), returned
    wide = _utf16_without_bom(data)
    if wide:
        try:
            return data.decode(wide), wide
        except UnicodeDecodeError:
            if _cut_character(data, wide):
                raise _truncated_character(name, data, "UTF-16", wide) from None
    elif b"\x00" not in data:  # text files hold no NUL byte, except in UTF-16 and UTF-32
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            if _cut_character(data, "utf-8"):
                raise _truncated_character(name, data, "UTF-8", "utf-8") from None
        if _cut_character(data, "gb18030"):
            raise _truncated_character(name, data, "GB18030/GBK", "gb18030")
    for encoding in _detected_encodings(data):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if "\x00" not in text:
            return text, encoding
    raise _undecodable(name, data, "its bytes are neither UTF-8, GB18030/GBK, UTF-16 nor "
                       "another text encoding (is it a binary file?)")


def _read_source(source: Source) -> tuple[str, str, str]:
    name = _name(source)
    if hasattr(source, "read"):
        content = source.read()
        if isinstance(content, str):
            if not content:
                raise PanelError(f"{name!r} is empty: there is nothing to read. {_REEXPORT}")
            return content.lstrip("\ufeff"), "text", name
        data = bytes(content)
    else:
        with open(fspath(source), "rb") as handle:
            data = handle.read()
    text, encoding = decode_bytes(data, name)
    return text, encoding, name


# --------------------------------------------------------------------------- records
def is_note_line(record: list[str]) -> bool:
    """True for a record that holds at most one non-empty field, in first place, and that is
    not a number: a footer (``数据来源：CSMAR``), a note or an empty row of separators."""
    rest = any(f.strip() for f in record[1:])
    first = record[0].strip() if record else ""
    return not rest and not _NUMBER.match(first)


_Parsed = tuple[list[list[str]], list[int], list[int]]


def _records(text: str, name: str) -> _Parsed:
    """Records that hold something, the line each starts on, and the lines holding only
    separators or spaces.

    The reader is strict: a quote left open at the end of the file (a cut inside a quoted
    field) or text after a closing quote (``"a"b``: a quote inside a quoted field not
    doubled) is refused with its line, instead of being read into a wrong field.
    """
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(iter(lines), strict=True)
    records: list[list[str]] = []
    starts: list[int] = []
    blank: list[int] = []
    start = 1
    old = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # a stray quote is reported below, not as "field larger"
    try:
        for record in reader:
            if any(f.strip() for f in record):
                records.append(record)
                starts.append(start)
            elif record and records:
                blank.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise PanelError(
                f"{name!r} is cut (or holds a stray quote): the quoted field that starts on "
                f"line {start} is never closed, the file ends inside it. {_REEXPORT}"
            ) from None
        raise PanelError(
            f"{name!r} is malformed at line {reader.line_num} ({exc}): a quote inside a quoted "
            "field must be doubled (\"\"). Correct the line or re-export the file."
        ) from None
    finally:
        csv.field_size_limit(old)
    return records, starts, blank


def _column_pattern(values: list[str]) -> tuple[str, int] | None:
    """A fixed pattern shared by every value of a column: ``("decimals", d)`` when all are
    numbers with ``d`` decimals, ``("width", w)`` when all have ``w`` characters."""
    values = [v.strip() for v in values if v.strip()]
    if len(values) < 5:
        return None
    decimals = {len(m.group(1)) if (m := _DECIMAL.match(v)) else -1 for v in values}
    if len(decimals) == 1 and -1 not in decimals:
        return "decimals", decimals.pop()
    widths = {len(v) for v in values}
    if len(widths) == 1:
        return "width", widths.pop()
    return None


def _check_complete(records: list[list[str]], starts: list[int], text: str, name: str) -> None:
    """Refuse rows shorter than the header (except note lines at the end), rows with values
    beyond the header's columns (empty trailing fields pass), and a last line without a line
    break whose last field is empty or breaks its column's pattern."""
    width = len(records[0])
    end = len(records)
    while end > 1 and is_note_line(records[end - 1]) and len(records[end - 1]) <= width:
        end -= 1
    broken = text.rstrip(" \t\x1a") == text.rstrip(" \t\x1a\r\n")
    cut_last = broken and end == len(records) and end > 1
    for i in range(1, end):
        k = len(records[i])
        if any(v.strip() for v in records[i][width:]):
            # pandas would shift such a row (its first value becoming the row's index)
            raise PanelError(
                f"{name!r} is malformed: line {starts[i]} has {k} fields where the header has "
                f"{width} (extra {examples(records[i][width:])}). A field holds an unquoted "
                "separator, or the header lost a column: re-export the file."
            )
        if k < width:
            where = (f"the last line ({starts[i]}, without a line break at its end)"
                     if cut_last and i == end - 1 else f"line {starts[i]}")
            raise PanelError(
                f"{name!r} is cut or malformed: {where} has {k} field(s) where the header has "
                f"{width} ({examples(records[0][k:])} are missing; the line reads "
                f"{examples(records[i][-3:], 3)}, ...). {_REEXPORT}"
            )
    if not cut_last:
        return
    last, value = records[-1], records[-1][-1]
    column = records[0][len(last) - 1] if len(last) <= width else f"field {len(last)}"
    if not value.strip():
        why = "its last field is empty"
    else:
        pattern = _column_pattern([r[len(last) - 1] for r in records[max(1, end - 201):-1]
                                   if len(r) >= len(last)])
        if pattern is None:
            return
        kind, size = pattern
        m = _DECIMAL.match(value.strip())
        if kind == "decimals" and (m is None or len(m.group(1)) != size):
            why = f"its last value {value!r} does not have the {size} decimals of the column"
        elif kind == "width" and len(value.strip()) != size:
            why = f"its last value {value!r} does not have the {size} characters of the column"
        else:
            return
    raise PanelError(
        f"{name!r} looks cut: the last line ({starts[-1]}) has no line break at its end and "
        f"{why} ({column!r}). {_REEXPORT} If the file is complete, end it with a line break."
    )


def read_records(source: Source) -> TextRecords:
    """Decode a CSV file and return its records, refusing a file that is cut.

    Parameters
    ----------
    source : str, path or file-like
        A path, or an open file (binary: decoded here; text: used as is).

    Returns
    -------
    TextRecords
        The header, the rows (blank lines removed) with their line numbers, and the
        encoding used.

    Raises
    ------
    PanelError
        The file is empty or holds only blank lines; it cannot be decoded (see
        :func:`decode_bytes`); it is cut: a quoted field never closed, a row shorter than
        the header, a row with values beyond the header's columns, a last line without a line break whose last field is empty or breaks
        the pattern of its column (same number of decimals, or same width, in every other
        row). Note lines at the end (see :func:`is_note_line`) may be short.
    FileNotFoundError
        No file at ``source``.

    Notes
    -----
    A cut that falls exactly at the end of a line cannot be seen: the file just has fewer
    rows. A cut inside the last value of an integer column of varying width (``91651`` cut
    to ``916``) cannot be told from a complete value either, when the file has no line
    break at its end anywhere else to compare with: CSMAR, Excel, pandas and R all end
    their CSV files with a line break, so a missing one is checked as closely as the
    column allows.
    """
    text, encoding, name = _read_source(source)
    records, starts, blank = _records(text, name)
    if not records:
        raise PanelError(f"{name!r} holds only blank lines: there is nothing to read. "
                         f"{_REEXPORT}")
    _check_complete(records, starts, text, name)
    return TextRecords(name=name, encoding=encoding, header=records[0], rows=records[1:],
                       lines=starts[1:], text=text, header_line=starts[0],
                       blank_lines=tuple(blank))


def read_table_file(source: Source, **read_csv_options: Any) -> pd.DataFrame:
    """Read a user's CSV file into a DataFrame, whatever its encoding, refusing a cut file.

    The entry point for every CSV file a user gives did_zones (e.g. ``data.file`` of a
    study). The result is what :func:`pandas.read_csv` returns for the same file saved in
    UTF-8 without its trailing note lines.

    Parameters
    ----------
    source : str, path or file-like
        The CSV file.
    **read_csv_options
        Passed to :func:`pandas.read_csv` (e.g. ``dtype=str``), except ``encoding``: the
        encoding is detected.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    PanelError
        See :func:`read_records`; also a file pandas cannot parse (e.g. a row with more
        fields than the header), naming the file.
    SpecificationError
        ``encoding`` given.

    Warns
    -----
    DataDroppedWarning
        Note lines at the end of the file (a source line, a remark, a row of empty fields)
        were dropped; the warning counts them and shows them.

    Examples
    --------
    >>> import io
    >>> from did_zones._textfile import read_table_file
    >>> raw = "city_code,year,gdp\\n330100,2019,15373.05\\n".encode("gb18030")
    >>> read_table_file(io.BytesIO(raw)).to_dict("records")
    [{'city_code': 330100, 'year': 2019, 'gdp': 15373.05}]
    """
    if "encoding" in read_csv_options:
        raise SpecificationError("read_table_file detects the encoding; do not pass "
                                 "encoding=.")
    records = read_records(source)
    lines = io.StringIO(records.text, newline="").readlines()
    n = len(records.rows)
    while n and is_note_line(records.rows[n - 1]):
        n -= 1
    text = records.text
    if n < len(records.rows):
        notes = records.rows[n:]
        text = "".join(lines[:records.lines[n] - 1])
        warn(f"{records.name!r}: dropped {len(notes)} note line(s) at the end of the file "
             f"(from line {records.lines[n]}), e.g. {examples([r[0] for r in notes])}.",
             DataDroppedWarning)
    # rows may end in empty extra fields (a separator after the last value): never take the
    # first column as the index for them
    read_csv_options.setdefault("index_col", False)
    try:
        return pd.read_csv(io.StringIO(text), **read_csv_options)
    except pd.errors.ParserError as exc:
        raise PanelError(f"{records.name!r} could not be parsed as CSV: {str(exc).strip()}. "
                         "Check the "
                         "line named (a stray separator or quote) or re-export the file.") \
            from None
