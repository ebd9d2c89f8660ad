"""Real CSMAR files as they arrive: encodings, descriptive header rows, footers, cut files.

Synthetic CSMAR-like files are built here (no licensed data); the tests at the end re-encode
the licensed extracts found by ``csmar_files()`` (tests/conftest.py) into ``tmp_path`` and
skip where they are absent.
"""

from __future__ import annotations

import codecs
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import csmar_files

from did_zones.cre import CREData, read_cre
from did_zones.errors import DataDroppedWarning, PanelError

HEADER = ["Sgnyea", "Ctnm_en", "Ctnm_id", "Prvcnm_id", "Prvcnm_en", "Gdpct01", "Gdpct04",
          "GDP_TerInd"]
NAMES_EN = ["Statistical Year", "City Name", "City Code", "Province Code", "Province Name",
            "GDP", "Share of Tertiary Industry", "Value Added of Tertiary Industry"]
NAMES_ZH = ["统计年度", "城市名称", "城市代码", "省份代码", "省份名称", "地区生产总值",
            "第三产业占GDP比重", "第三产业增加值"]
UNITS = ["没有单位", "没有单位", "没有单位", "没有单位", "没有单位", "亿元", "%", "万元"]
ZJ, SD = ("330000", "Zhejiang (province)"), ("370000", "Shandong (province)")
ROWS = [
    ["2019", "Hangzhou(city)", "330100", *ZJ, "15373.0500", "66.1700", "101722800.0000"],
    ["2019", "Ji’ning(city)", "370800", *SD, "4930.5800", "48.5300", "23928300.0000"],
    ["2019", "Jinan(city)", "370100", *SD, "9443.3700", "61.9300", "58482800.0000"],
    ["2018", "Jinan(city)", "370100", *SD, "7856.5600", "60.5205", "47548300.0000"],
    ["2019", "Beijing", "110000", "110000", "Beijing", "35371.2800", "83.5200",
     "295425000.0000"],
    ["2019", "Handan (city)", "130400", "130000", "Hebei (province)", "3486.0000", "50.6000",
     "17639200.0000"],
]
ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le-bom",
             "utf-16-be-bom", "utf-16-le"]


def _line(fields: list[str], quoted: bool) -> str:
    return ",".join(f'"{f}"' if quoted else f for f in fields)


def _text(rows=ROWS, *, before=(), after=(), footer=(), quoted=True, newline="\r\n",
          header=HEADER) -> str:
    """A CSMAR-like export: every field quoted, CRLF line ends, as CSMAR writes it."""
    lines = [*before, header, *after, *rows]
    body = newline.join(_line(f, quoted) for f in lines) + newline
    return body + "".join(f + newline for f in footer)


def _encode(text: str, encoding: str) -> bytes:
    if encoding.endswith("-bom"):  # UTF-16 with the byte-order mark of the given order
        codec = encoding[:-4]
        bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
        return bom + text.encode(codec)
    return text.encode(encoding)


def _file(tmp_path: Path, content: str | bytes, name: str = "CRE_Gdpct.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8-sig"))
    return path


def _read(*paths, **kwargs) -> CREData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDroppedWarning)
        return read_cre(*paths, **kwargs)


def _check_values(cre: CREData) -> None:
    d = cre.data.set_index(["city_code", "year"])
    assert len(d) == len(ROWS)
    hz = d.loc[(330100, 2019)]
    assert hz["gdp"] == 15373.05
    assert hz["s3"] == pytest.approx(0.6617, rel=1e-12)
    assert hz["va3"] == pytest.approx(10172.28, rel=1e-12)
    assert d.loc[(370800, 2019), "city_en"] == "Ji’ning(city)"
    assert d.loc[(110000, 2019), "gdp"] == 35371.28
    assert d.loc[(130400, 2019), "va3"] == pytest.approx(1763.92, rel=1e-12)


@pytest.fixture
def reference(tmp_path) -> CREData:
    return _read(_file(tmp_path, _text(), "reference.csv"))


# --------------------------------------------------------------------------- encodings
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("with_names", [False, True], ids=["ascii_names", "chinese_rows"])
def test_every_encoding_reads_like_utf8(tmp_path, reference, encoding, with_names):
    # without the Chinese rows the only non-ASCII character is the ’ of Ji’ning, as in the
    # real extracts: GBK gives the detector two bytes to go on
    after = (NAMES_ZH, UNITS) if with_names else ()
    cre = _read(_file(tmp_path, _encode(_text(after=after), encoding)))
    _check_values(cre)
    pd.testing.assert_frame_equal(cre.data, reference.data)
    detected = [n for n in cre.notes if "was decoded as such" in n]
    if encoding.startswith("utf-8"):
        assert detected == []
    else:
        label = "GB18030" if encoding.startswith("gb") else "UTF-16"
        assert detected[0].startswith(f"CRE_Gdpct: the file is encoded in {label}")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_ends_and_unquoted_fields(tmp_path, reference, newline):
    cre = _read(_file(tmp_path, _text(quoted=False, newline=newline)))
    pd.testing.assert_frame_equal(cre.data, reference.data)


def test_bom_in_utf8_file_and_text_buffer(tmp_path, reference):
    import io

    with_bom = _read(_file(tmp_path, b"\xef\xbb\xbf" + _text().encode("utf-8")))
    pd.testing.assert_frame_equal(with_bom.data, reference.data)
    buffer = _read(io.StringIO("\ufeff" + _text()))
    pd.testing.assert_frame_equal(buffer.data, reference.data)
    binary = _read(io.BytesIO(_text().encode("gbk")))
    pd.testing.assert_frame_equal(binary.data, reference.data)


def test_undecodable_file_refused_with_fix(tmp_path):
    rng = np.random.default_rng(1)
    junk = _file(tmp_path, rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(PanelError, match=r"gdp_path: '.*CRE_Gdpct\.csv' could not be read as "
                       r"text: .* Re-save it as UTF-8 text \(Excel: Save As > 'CSV UTF-8"):
        read_cre(junk)
    xlsx = _file(tmp_path, b"PK\x03\x04" + bytes(100), "CRE_Gdpct.xlsx")
    with pytest.raises(PanelError, match=r"'.*CRE_Gdpct\.xlsx' is an Excel workbook \(\.xlsx\)"
                       r" or another zip archive, not a CSV text file\. Save it as CSV\."):
        read_cre(xlsx)


# --------------------------------------------------------------------------- header rows
@pytest.mark.parametrize(("after", "n"), [((NAMES_ZH, UNITS), 2),
                                          ((NAMES_EN, NAMES_ZH, UNITS), 3),
                                          ((NAMES_ZH,), 1)])
def test_descriptive_header_rows_skipped_and_noted(tmp_path, reference, after, n):
    cre = _read(_file(tmp_path, _text(after=after)))
    _check_values(cre)
    pd.testing.assert_frame_equal(cre.data, reference.data)
    lines = ", ".join(str(i) for i in range(2, 2 + n))
    shown = ", ".join(repr(row[0]) for row in after)
    assert (f"CRE_Gdpct: skipped {n} descriptive row(s) (field names or units) under the "
            f"column codes: line(s) [{lines}], e.g. [{shown}].") in cre.notes


def test_unit_row_with_empty_keys_skipped(tmp_path, reference):
    units = ["", "", "", "", "", "亿元", "%", "万元"]
    cre = _read(_file(tmp_path, _text(after=(NAMES_ZH, units))))
    pd.testing.assert_frame_equal(cre.data, reference.data)
    assert any("skipped 2 descriptive row(s)" in n for n in cre.notes)


def test_descriptive_rows_above_the_codes(tmp_path, reference):
    cre = _read(_file(tmp_path, _text(before=(NAMES_ZH,), after=(UNITS,))))
    pd.testing.assert_frame_equal(cre.data, reference.data)
    assert "CRE_Gdpct: skipped 1 row(s) above the column codes (line(s) [1])." in cre.notes
    assert any(n.startswith("CRE_Gdpct: skipped 1 descriptive row(s)") and "line(s) [3]" in n
               for n in cre.notes)


def test_label_rows_beyond_three_still_refused_with_lines(tmp_path):
    extra = ["城市"] * len(HEADER)
    path = _file(tmp_path, _text(after=(NAMES_EN, NAMES_ZH, UNITS, extra)))
    with pytest.raises(PanelError, match=r"gdp_path: column 'Ctnm_id' must hold integer "
                       r"codes; 1 row\(s\) do not, e\.g\. \['城市'\] \(line\(s\) \[5\] of "
                       r"'.*CRE_Gdpct\.csv'\)\. Each row of a CRE export is one city-year: "
                       r"correct or delete these rows, or re-export the file\."):
        read_cre(path)


# --------------------------------------------------------------------------- footers
@pytest.mark.parametrize("footer", [
    ('"数据来源：CSMAR"',),
    ("数据来源：CSMAR国泰安数据库",),
    ('"数据来源：CSMAR"' + ',""' * 7,),
    (",,,,,,,", "注：本表数据来自中国城市统计年鉴", ""),
])
def test_footer_rows_dropped_and_counted(tmp_path, reference, footer):
    cre = _read(_file(tmp_path, _text(footer=footer)))
    _check_values(cre)
    pd.testing.assert_frame_equal(cre.data, reference.data)
    texts = [f.split(",")[0].strip('"') for f in footer if f.strip(",")]
    first = len(ROWS) + 2
    note = next(n for n in cre.notes if "footer row(s)" in n)
    assert note.startswith(f"CRE_Gdpct: skipped {len(texts)} footer row(s) at the end of the "
                           "file (a source line, a note): line(s) [")
    assert f"e.g. {texts!r}." in note
    blank = [n for n in cre.notes if "blank line(s)" in n]
    if footer[0] == ",,,,,,,":
        assert blank == [f"CRE_Gdpct: skipped 1 blank line(s) (separators only): [{first}]."]
    else:
        assert blank == []


def test_footer_in_gbk_with_unit_rows(tmp_path, reference):
    text = _text(after=(NAMES_ZH, UNITS), footer=("数据来源：CSMAR",))
    cre = _read(_file(tmp_path, text.encode("gbk")))
    pd.testing.assert_frame_equal(cre.data, reference.data)
    assert sum("skipped" in n for n in cre.notes) == 2


def test_trailing_row_with_year_but_no_code_refused(tmp_path):
    path = _file(tmp_path, _text(footer=('"2019","Somewhere","","","","1","2","3"',)))
    with pytest.raises(PanelError, match=r"column 'Ctnm_id' must hold integer codes; 1 row\(s\) "
                       r"do not, e\.g\. \[nan\] \(line\(s\) \[8\]"):
        read_cre(path)


# --------------------------------------------------------------------------- cut files
def _cut(text: str, keep: str) -> str:
    """``text`` cut just after the last occurrence of ``keep``."""
    return text[: text.rindex(keep) + len(keep)]


def test_cut_mid_field_quoted_refused(tmp_path):
    path = _file(tmp_path, _cut(_text(), '"Hebei (province)","34'))
    with pytest.raises(PanelError, match=r"gdp_path: '.*CRE_Gdpct\.csv' is cut \(or holds a "
                       r"stray quote\): the quoted field that starts on line 7 is never closed, "
                       r"the file ends inside it\. Re-export the file \(or download it again\)"):
        read_cre(path)


def test_stray_quote_refused_with_its_line(tmp_path):
    text = _text().replace('"Jinan(city)","370100","370000"', '"Jinan(city)","370100,"370000"',
                           1)
    with pytest.raises(PanelError, match=r"gdp_path: '.*CRE_Gdpct\.csv' is malformed at line 4 "
                       r"\(',' expected after '\"'\): a quote inside a quoted field must be "
                       r"doubled"):
        read_cre(_file(tmp_path, text))
    opened = _text(quoted=False).replace("Jinan(city)", '"Jinan(city)', 1)  # never closed
    with pytest.raises(PanelError, match=r"is cut \(or holds a stray quote\): the quoted field "
                       r"that starts on line 4 is never closed"):
        read_cre(_file(tmp_path, opened))


@pytest.mark.parametrize(("keep", "k"), [('"Hebei (province)","3486.0000"', 6),
                                         ('"Hebei (province)","3486.0000",', 7),
                                         ('"2019"', 1)])
def test_cut_at_field_boundary_refused(tmp_path, keep, k):
    path = _file(tmp_path, _cut(_text(), keep))
    with pytest.raises(PanelError, match=rf"'.*CRE_Gdpct\.csv' is cut or malformed: the last "
                       rf"line \(7, without a line break at its end\) has {k} field\(s\) where "
                       r"the header has 8 \("):
        read_cre(path)


def test_cut_before_last_field_refused(tmp_path):
    path = _file(tmp_path, _cut(_text(), '"50.6000",'))
    with pytest.raises(PanelError, match=r"looks cut: the last line \(7\) has no line break at "
                       r"its end and its last field is empty \('GDP_TerInd'\)\. Re-export the "
                       r"file .* If the file is complete, end it with a line break\."):
        read_cre(path)


def test_reported_case_unquoted_gdp_cut_to_153(tmp_path):
    # the report: an unquoted export cut inside Gdpct01 read as GDP 153 with NaN after it
    rows = [*ROWS[1:], ROWS[0]]
    path = _file(tmp_path, _cut(_text(rows, quoted=False), "Zhejiang (province),153"))
    with pytest.raises(PanelError, match=r"is cut or malformed: the last line \(7, without a "
                       r"line break at its end\) has 6 field\(s\) where the header has 8 "
                       r"\(\['Gdpct04', 'GDP_TerInd'\] are missing; the line reads \['330000', "
                       r"'Zhejiang \(province\)', '153'\], \.\.\.\)\."):
        read_cre(path)


def test_unquoted_last_value_cut_refused_by_its_column_pattern(tmp_path):
    path = _file(tmp_path, _cut(_text(quoted=False), "50.6000,17639"))
    with pytest.raises(PanelError, match=r"looks cut: the last line \(7\) has no line break at "
                       r"its end and its last value '17639' does not have the 4 decimals of "
                       r"the column \('GDP_TerInd'\)"):
        read_cre(path)
    complete = _read(_file(tmp_path, _text(quoted=False).rstrip("\r\n")))
    _check_values(complete)


def test_short_row_inside_the_file_refused(tmp_path):
    text = _text().replace('"Jinan(city)","370100","370000","Shandong (province)","9443.3700",'
                           '"61.9300","58482800.0000"', '"Jinan(city)","370100"', 1)
    with pytest.raises(PanelError, match=r"is cut or malformed: line 4 has 3 field\(s\) where "
                       r"the header has 8"):
        read_cre(_file(tmp_path, text))


def test_long_row_refused(tmp_path):
    text = _text().replace('"Beijing","110000"', '"Beijing","110000","x"', 1)
    with pytest.raises(PanelError, match=r"line 6 has 9 fields where the header has 8 \(extra "
                       r"\['295425000\.0000'\]\)"):
        read_cre(_file(tmp_path, text))


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_cut_inside_a_character_refused(tmp_path, encoding):
    data = _encode(_text(footer=("数据来源：国泰安",)), encoding)
    unit = 2 if encoding == "utf-16" else 1  # cut one byte into the last character
    cut = data.rstrip(b"\r\n\x00")[: -unit * 2 + 1] if encoding == "utf-16" \
        else data.rstrip(b"\r\n")[:-1]
    label = {"utf-8": "UTF-8", "gbk": "GB18030/GBK", "utf-16": "UTF-16"}[encoding]
    with pytest.raises(PanelError, match=rf"ends in the middle of a {label} character \(line "
                       r"8\): the file is cut\."):
        read_cre(_file(tmp_path, cut))


# --------------------------------------------------------------------------- empty files
def test_zero_byte_header_only_and_blank_files(tmp_path):
    with pytest.raises(PanelError, match=r"gdp_path: '.*CRE_Gdpct\.csv' is empty \(0 bytes\): "
                       r"there is nothing to read\. Re-export the file"):
        read_cre(_file(tmp_path, b""))
    with pytest.raises(PanelError, match=r"gdp_path: '.*CRE_Gdpct\.csv' has the column codes "
                       r"but no data rows\. Re-export the table from CSMAR with its rows"):
        read_cre(_file(tmp_path, _text([])))
    with pytest.raises(PanelError, match=r"has the column codes but no data rows \(only 2 "
                       r"descriptive row\(s\)\)"):
        read_cre(_file(tmp_path, _text([], after=(NAMES_ZH, UNITS))))
    with pytest.raises(PanelError, match=r"employment_path: '.*CRE_Gdpct\.csv' holds only "
                       r"blank lines"):
        read_cre(employment_path=_file(tmp_path, "\r\n \r\n"))


# --------------------------------------------------------------------------- licensed data
@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16", "utf-16-be-bom"])
def test_shared_extracts_read_identically_in_other_encodings(tmp_path, encoding):
    originals = csmar_files()
    copies = []
    for path in originals:
        text = path.read_bytes().decode("utf-8-sig")
        copies.append(_file(tmp_path, _encode(text, encoding), path.name))
    want, got = _read(*originals), _read(*copies)
    pd.testing.assert_frame_equal(got.data, want.data)
    pd.testing.assert_frame_equal(got.dropped, want.dropped)
    detected = [n for n in got.notes if n not in want.notes]
    assert len(detected) == 2 and all(re.search(r"encoded in (GB18030|UTF-16)", n)
                                      for n in detected)
    assert [n for n in got.notes if n not in detected] == list(want.notes)


def test_shared_extract_with_descriptive_rows_and_footer(tmp_path):
    (gdp,) = csmar_files("CRE_Gdpct.csv")
    lines = gdp.read_bytes().decode("utf-8-sig").split("\r\n")
    n = len(lines[0].split(","))
    zh = ",".join(f'"{x}"' for x in ["统计年度", "城市名称", "城市代码"] + ["指标"] * (n - 3))
    unit = ",".join(['"没有单位"'] * n)
    text = "\r\n".join([lines[0], zh, unit, *lines[1:]]) + "数据来源：CSMAR\r\n"
    got = _read(_file(tmp_path, text.encode("gb18030")))
    want = _read(gdp)
    pd.testing.assert_frame_equal(got.data, want.data)
    assert got.data.set_index(["city_code", "year"]).loc[(330100, 2019), "gdp"] == 15373.05


def test_shared_extract_cut_is_refused(tmp_path):
    (gdp,) = csmar_files("CRE_Gdpct.csv")
    data = gdp.read_bytes()
    for cut in (len(data) - 10, len(data) - 2 - len(b'"18118798.1044"'), len(data) // 2):
        with pytest.raises(PanelError, match=r"cut"):
            read_cre(_file(tmp_path, data[:cut]))
