"""Tests of did_zones._textfile: decoding user CSV files and refusing cut ones.

The CSMAR-specific behaviour (descriptive rows, footers, the licensed extracts) is tested in
test_cre_files.py; here the generic reader that the report's ``data.file`` is meant to use.
"""

from __future__ import annotations

import codecs
import io
import re

import pandas as pd
import pytest

from did_zones._textfile import decode_bytes, read_records, read_table_file
from did_zones.errors import DataDroppedWarning, PanelError, SpecificationError

TEXT = "城市代码,年份,城市,gdp\n330100,2019,杭州,15373.05\n370100,2019,济南,9443.37\n"
FRAME = pd.DataFrame({"城市代码": [330100, 370100], "年份": [2019, 2019],
                      "城市": ["杭州", "济南"], "gdp": [15373.05, 9443.37]})


@pytest.mark.parametrize(("data", "codec"), [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("gbk"), "gb18030"),
    (TEXT.encode("gb18030"), "gb18030"),
    (TEXT.encode("utf-16"), "utf-16"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
    (TEXT.encode("utf-16-le"), "utf-16-le"),
    (TEXT.encode("utf-16-be"), "utf-16-be"),
    (TEXT.encode("utf-32"), "utf-32"),
])
def test_decode_bytes(data, codec):
    assert decode_bytes(data) == (TEXT, codec)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_read_table_file_equals_pandas_on_utf8(tmp_path, encoding):
    path = tmp_path / "panel.csv"
    path.write_bytes(TEXT.encode(encoding))
    pd.testing.assert_frame_equal(read_table_file(path), FRAME)
    pd.testing.assert_frame_equal(read_table_file(path, dtype={"城市代码": str}),
                                  FRAME.astype({"城市代码": str}))


def test_read_table_file_drops_note_lines_with_a_warning():
    raw = (TEXT + "\n数据来源：CSMAR\n,,,\n").encode("gbk")
    with pytest.warns(DataDroppedWarning, match=r"'<buffer>': dropped 1 note line\(s\) at the "
                      r"end of the file \(from line 5\), e\.g\. \['数据来源：CSMAR'\]\."):
        frame = read_table_file(io.BytesIO(raw))
    pd.testing.assert_frame_equal(frame, FRAME)


def test_read_table_file_refusals(tmp_path):
    with pytest.raises(SpecificationError, match=r"read_table_file detects the encoding; do not "
                       r"pass encoding="):
        read_table_file(io.BytesIO(TEXT.encode()), encoding="gbk")
    with pytest.raises(PanelError, match=r"'<buffer>' is malformed: line 4 has 5 fields where "
                       r"the header has 4 \(extra \['5'\]\)\. A field holds an unquoted "
                       r"separator, or the header lost a column: re-export the file\."):
        read_table_file(io.StringIO(TEXT + "1,2,3,4,5\n"))
    cut = TEXT[: TEXT.rindex("济") + 1]  # the last row loses its gdp
    with pytest.raises(PanelError, match=r"'<buffer>' is cut or malformed: the last line \(3, "
                       r"without a line break at its end\) has 3 field\(s\) where the header "
                       r"has 4 \(\['gdp'\] are missing"):
        read_table_file(io.StringIO(cut))


def test_records_keep_line_numbers_and_blank_lines():
    rec = read_records(io.StringIO('a,b\r\n\r\n"1","x\r\ny"\r\n , \r\n2,z\r\n'))
    assert rec.header == ["a", "b"] and rec.rows == [["1", "x\r\ny"], ["2", "z"]]
    assert rec.lines == [3, 6] and rec.blank_lines == (5,) and rec.encoding == "text"


def test_complete_file_without_final_line_break_is_read():
    rec = read_records(io.StringIO(TEXT.rstrip("\n")))
    assert rec.rows[-1] == ["370100", "2019", "济南", "9443.37"]


@pytest.mark.parametrize(("text", "message"), [
    ("a,b\n1,2\n3", r"the last line \(3, without a line break at its end\) has 1 field\(s\)"),
    ("a,b\n1,2\n3,", r"the last line \(3\) has no line break at its end and its last field is "
                     r"empty \('b'\)"),
    ('a,b\n1,"2\n', r"the quoted field that starts on line 2 is never closed"),
    ("a,b\n1\n3,4\n", r"line 2 has 1 field\(s\) where the header has 2"),
    ("a,b\n" + "".join(f"{i},1.25\n" for i in range(6)) + "9,1.2",
     r"its last value '1\.2' does not have the 2 decimals of the column \('b'\)"),
    ("a,b\n" + "".join(f"{i},{330100 + i}\n" for i in range(6)) + "9,3301",
     r"its last value '3301' does not have the 6 characters of the column \('b'\)"),
    ("", r"is empty"),
    ("\n \n", r"holds only blank lines"),
])
def test_cut_or_empty_files_refused(text, message):
    with pytest.raises(PanelError, match=message):
        read_records(io.BytesIO(text.encode("utf-8")))


def test_decode_bytes_refusals():
    with pytest.raises(PanelError, match=r"'x\.csv' is empty \(0 bytes\)"):
        decode_bytes(b"", "x.csv")
    with pytest.raises(PanelError, match=r"'x\.xls' is an old Excel workbook \(\.xls\), not a "
                       r"CSV text file"):
        decode_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(50), "x.xls")
    with pytest.raises(PanelError, match=r"'x' could not be read as text: it starts with a "
                       r"UTF-8 byte-order mark but byte 5 \(line 1\) is not UTF-8\. .*Re-save it as UTF-8"):
        decode_bytes(codecs.BOM_UTF8 + b"ab\xff,cd\n", "x")
    with pytest.raises(PanelError, match=r"ends in the middle of a UTF-16 character \(line 2\)"):
        decode_bytes("a,b\n1,2".encode("utf-16")[:-1])


@pytest.mark.parametrize("raw, line, extra", [
    (b"a,b\n1,2,3\n4,5,6\n", 2, "['3']"),   # every row long: pandas would index by column a
    (b"a,b\n1,2,3\n4,5\n", 2, "['3']"),     # read as {a: 2, b: 3}, {a: 5, b: NaN} before
    (b"a,b\n1,2\n3,4,5\n", 3, "['5']"),
])
def test_rows_with_values_beyond_the_header_are_refused(raw, line, extra):
    with pytest.raises(PanelError, match=rf"'<buffer>' is malformed: line {line} has 3 "
                                         rf"fields where the header has 2 \(extra "
                                         rf"{re.escape(extra)}\)"):
        read_table_file(io.BytesIO(raw))


def test_empty_trailing_fields_read_in_their_columns():
    """A separator after the last value of every row (as some exports write) is not data:
    the values stay in their columns and the index is the row number."""
    frame = read_table_file(io.BytesIO(b"a,b\n1,2,\n4,5,\n"))
    assert frame.to_dict("records") == [{"a": 1, "b": 2}, {"a": 4, "b": 5}]
    assert list(frame.index) == [0, 1]
