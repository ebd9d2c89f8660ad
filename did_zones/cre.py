"""Reader of the CSMAR China Regional Economy (CRE) city exports.

CSMAR's CRE database (国泰安 区域经济, compiled from the China City Statistical Yearbook and
provincial yearbooks) exports city tables as CSV files with a byte-order mark, every field
quoted, and coded column names. :func:`read_cre` reads the two tables the pilot-zone studies
use, ``CRE_Gdpct`` (GDP and industry structure) and ``CRE_Eplwagct`` (population, employment
and wages), renames the columns, converts percentages to fractions, keeps prefecture-level
units, handles the 莱芜 → 济南 merger of 2019 explicitly and merges the two tables on
``(city_code, year)``. CSMAR data are licensed: nothing of them ships with did_zones.

The files are read through :mod:`did_zones._textfile` (encoding detected, cut files refused);
the descriptive rows and footers CSMAR may add are skipped here, and noted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from typing import Literal

import numpy as np
import pandas as pd

from ._textfile import TextRecords, read_records
from .errors import DataDroppedWarning, PanelError, SpecificationError, warn
from .validation import check_choice, examples

__all__ = ["read_cre", "CREData", "LEGACY_CODES", "GDP_COLUMNS", "EMPLOYMENT_COLUMNS"]

MergeLaiwu = Literal["fold", "drop", "keep"]
MERGE_LAIWU: tuple[str, ...] = ("fold", "drop", "keep")

JINAN, LAIWU = 370100, 371200
MUNICIPALITIES = (110000, 120000, 310000, 500000)

#: Codes CSMAR keeps from before a unit became a prefecture-level city, mapped to the current
#: code (GB/T 2260): 儋州 (county-level code until it became prefecture-level in 2015),
#: 吐鲁番 (地区 → 市 2015), 哈密 (2016), 那曲 (2017).
LEGACY_CODES: dict[int, int] = {469003: 460400, 652100: 650400, 652200: 650500, 542400: 540600}

_KEYS = {
    "Sgnyea": "year",
    "Ctnm_id": "city_code",
    "Ctnm_en": "city_en",
    "Prvcnm_id": "province_code",
    "Prvcnm_en": "province_en",
}
_IGNORED = ("Cttyp_en",)  # CSMAR's city classification: unreliable (see the data README)

#: CRE_Gdpct column -> (name, divisor turning the published unit into the returned one)
GDP_COLUMNS: dict[str, tuple[str, float]] = {
    "Gdpct01": ("gdp", 1.0),  # 100 million CNY
    "Gdpct02": ("s1", 100.0),  # % -> fraction
    "Gdpct03": ("s2", 100.0),
    "Gdpct04": ("s3", 100.0),
    "GDP_PerCapita": ("gdp_per_capita", 1.0),  # CNY
    "GDPYoY": ("gdp_growth", 100.0),  # % -> fraction
    "GDP_PrimInd": ("va1", 1e4),  # 10,000 CNY -> 100 million CNY
    "GDP_SecInd": ("va2", 1e4),
    "GDP_TerInd": ("va3", 1e4),
}
#: CRE_Eplwagct column -> (name, divisor)
EMPLOYMENT_COLUMNS: dict[str, tuple[str, float]] = {
    "Eect01": ("pop", 1.0),  # 10,000 persons
    "Eect02": ("pop_nonrural", 1.0),
    "Eect03": ("pop_growth", 1000.0),  # per mille -> fraction
    "Eect04": ("pop_density", 1.0),  # persons per km2
    "Eect05": ("emp", 1.0),  # 10,000 persons
    "Eect06": ("emp_individual", 1.0),
    "Eect08": ("emp_s1", 100.0),  # % -> fraction
    "Eect09": ("emp_s2", 100.0),
    "Eect10": ("emp_s3", 100.0),
    "Eect11": ("employees", 1.0),  # 10,000 persons
    "Eect12": ("wage_bill", 1e4),  # 10,000 CNY -> 100 million CNY
    "Eect13": ("wage", 1.0),  # CNY per year
}
_ORDER = ["city_code", "year", "city_en", "province_code", "province_en"] + [
    name for name, _ in (*GDP_COLUMNS.values(), *EMPLOYMENT_COLUMNS.values())
]
_ADDITIVE = ("gdp", "va1", "va2", "va3", "pop", "pop_nonrural", "emp", "emp_individual",
             "employees", "wage_bill")
_UNFOLDABLE = ("gdp_growth", "pop_growth")
_DROP_COLUMNS = ["reason", "n_rows", "n_units", "examples"]


@dataclass(frozen=True, eq=False)
class CREData:
    """City-year data read from CSMAR CRE exports, with a record of what was done to them.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per city and year, sorted by ``city_code`` then ``year``; see
        :func:`read_cre` for the columns.
    notes : tuple of str
        What happened: recoded legacy codes, the 莱芜 choice, rows dropped, parse problems.
    dropped : pandas.DataFrame
        One row per reason rows were dropped (``reason``, ``n_rows``, ``n_units``,
        ``examples``), as ``Panel.dropped``.
    """

    data: pd.DataFrame
    notes: tuple[str, ...] = ()
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_DROP_COLUMNS))

    def __repr__(self) -> str:
        d = self.data
        span = f"{d['year'].min()}-{d['year'].max()}" if len(d) else "empty"
        return (
            f"CREData({len(d)} city-years, {d['city_code'].nunique()} cities, {span}; "
            f"{len(self.notes)} notes)"
        )


def read_cre(
    gdp_path: str | PathLike | None = None,
    employment_path: str | PathLike | None = None,
    *,
    years: tuple[int, int] | None = None,
    merge_laiwu: MergeLaiwu = "fold",
    prefecture_only: bool = True,
    recode_legacy: bool = True,
) -> CREData:
    """Read CSMAR China Regional Economy city exports into a tidy city-year table.

    Parameters
    ----------
    gdp_path : str or path, optional
        The ``CRE_Gdpct.csv`` export (GDP and industry structure).
    employment_path : str or path, optional
        The ``CRE_Eplwagct.csv`` export (population, employment, wages). Give one or both;
        both are merged on ``(city_code, year)`` (outer join: a city-year in either file is
        kept, with missing values for the other file's columns).
    years : (int, int), optional
        First and last year to keep, inclusive, e.g. ``(2010, 2019)``. Default: all.
    merge_laiwu : {"fold", "drop", "keep"}, default "fold"
        莱芜 (371200) was merged into 济南 (370100) in January 2019, so it has rows up to 2018
        only, and 济南's rows from 2019 include it. ``"fold"``: add 莱芜 into 济南 for the years
        in which both have rows, so that 济南 is the same territory in every year (see Notes);
        ``"drop"``: drop 莱芜's rows (济南 changes territory in 2019); ``"keep"``: keep 莱芜 as
        a unit of its own (the panel is unbalanced). What was done is recorded in ``notes``.
    prefecture_only : bool, default True
        Keep prefecture-level units only: codes ending in ``00``, without province totals
        (``xx0000`` other than the four municipalities) and without the groups of
        province-administered county-level units (``xx90xx``, e.g. 429000). Dropped rows are
        counted by reason in ``dropped`` and ``notes`` and reported by a
        :class:`~did_zones.errors.DataDroppedWarning` (e.g. 421002 沙市区, Chongqing districts).
    recode_legacy : bool, default True
        Map the codes CSMAR keeps from before a unit became a prefecture-level city to the
        current code (:data:`LEGACY_CODES`: 469003 → 460400 儋州, 652100 → 650400 吐鲁番,
        652200 → 650500 哈密, 542400 → 540600 那曲), so that the data join the pilot registry
        and :func:`~did_zones.load_cities`. Noted.

    Returns
    -------
    CREData
        ``data`` with one row per city and year, sorted, with columns (units in brackets):

        ==================  ==========================================================
        ``city_code``       6-digit code (int); municipalities use the province code
        ``year``            int
        ``city_en``         CSMAR's English name (stripped of spaces)
        ``province_code``   int
        ``province_en``     CSMAR's English province name
        ``gdp``             GDP, nominal [100 million CNY] (``Gdpct01``)
        ``s1, s2, s3``      sector shares of GDP [fraction] (``Gdpct02-04`` / 100)
        ``gdp_per_capita``  [CNY] (``GDP_PerCapita``)
        ``gdp_growth``      real GDP growth [fraction] (``GDPYoY`` / 100)
        ``va1, va2, va3``   sector value added [100 million CNY] (``GDP_PrimInd`` ... / 1e4)
        ``pop``             year-end household-registered population [10,000] (``Eect01``)
        ``pop_nonrural``    non-rural population [10,000] (``Eect02``)
        ``pop_growth``      natural growth rate [fraction] (``Eect03`` / 1000)
        ``pop_density``     [persons per km²] (``Eect04``)
        ``emp``             employed persons (urban units) [10,000] (``Eect05``)
        ``emp_individual``  urban individual workers [10,000] (``Eect06``)
        ``emp_s1..emp_s3``  sector shares of employment [fraction] (``Eect08-10`` / 100)
        ``employees``       annual average number of employees [10,000] (``Eect11``)
        ``wage_bill``       total wage bill [100 million CNY] (``Eect12`` / 1e4)
        ``wage``            average wage of employees [CNY] (``Eect13``)
        ==================  ==========================================================

        Columns of a file not given are absent. ``notes`` and ``dropped`` record what was done.

    Raises
    ------
    SpecificationError
        No path given; a file that is not a CRE export of the expected table (the message
        lists the missing columns); bad ``years`` or ``merge_laiwu``.
    PanelError
        A file with duplicate ``(Ctnm_id, Sgnyea)`` rows or unreadable codes or years (the
        message gives the lines); a file that is empty, has no data rows, cannot be decoded
        (re-save it as UTF-8) or is cut: a quoted field never closed, a row with fewer
        fields than the header, a last line without a line break whose last field is empty
        or breaks its column's pattern (re-export it). A cut file is never read with
        missing values in place of the lost ones.

    Warns
    -----
    DataDroppedWarning
        Rows dropped (non-prefecture codes, and 莱芜 under ``merge_laiwu="drop"``), counted by
        reason with examples.

    Notes
    -----
    Folding 莱芜 into 济南 (``merge_laiwu="fold"``), in each year up to 2018 in which both have
    a row:

    * additive variables are summed: ``gdp``, ``va1..va3``, ``pop``, ``pop_nonrural``,
      ``emp``, ``emp_individual``, ``employees``, ``wage_bill``;
    * shares and ratios are recomputed from the parts: ``s1..s3`` weighted by GDP,
      ``emp_s1..emp_s3`` weighted by ``emp``, ``wage`` weighted by ``employees``,
      ``gdp_per_capita`` as total GDP over the sum of each city's implied population
      (GDP / GDP per capita), ``pop_density`` as total population over the sum of implied
      areas (population / density);
    * ``gdp_growth`` and ``pop_growth`` are set to NaN (the growth of the merged territory
      cannot be recovered from the published rates);
    * a result is NaN when a part it needs is missing for either city; the count of such cells
      is noted. 莱芜 rows in years without a 济南 row are dropped (noted).

    Files as they arrive: the encoding is detected (UTF-8 with or without BOM, GB18030/GBK,
    UTF-16 with BOM; see :func:`did_zones._textfile.decode_bytes`) and noted when it is not
    UTF-8. Up to three descriptive rows that CSMAR may write under (or above) the row of
    column codes, with field names in English or Chinese or units (``统计年度``,
    ``没有单位``, ``万元``), are skipped: rows whose year, code and values are not numbers.
    Footer rows (``数据来源：CSMAR``, notes, rows of empty fields) at the end, rows without a
    ``Ctnm_id`` and without a year, are skipped too. Both are counted in ``notes`` with their
    lines; a row with a year but no code is an error, not a footer.

    Units were read from the CSMAR description files where given (GDP, value added, per
    capita) and otherwise inferred from the magnitudes (e.g. 杭州 2019 population 795.37 =
    10,000 persons; wage bill / employees = average wage).

    The spot checks of the shared copy: 杭州 (330100) 2019 GDP 15373.05 and 北京 (110000)
    35371.28 (100 million CNY) match the published values.

    See Also
    --------
    did_zones.structure_outcomes : TS, ISU, s3 and the Theil indexes from these columns (pass
        ``prefix=``, e.g. ``"va_"``, since ``s3`` is already a column here).
    did_zones.zone_panel : the Panel with the pilot timing, ``zone_panel(cre.data,
        "city_code", "year")``.

    Examples
    --------
    >>> import io
    >>> from did_zones.cre import read_cre
    >>> gdp = io.StringIO(
    ...     '\\ufeff"Sgnyea","Ctnm_en","Ctnm_id","Gdpct01","Gdpct04"\\n'
    ...     '"2019","Hangzhou(city)","330100","15373.05","66.17"\\n'
    ...     '"2019","Jingzhou(city)","421000","2516.48",""\\n'
    ... )
    >>> cre = read_cre(gdp)  # or read_cre("CRE_Gdpct.csv", "CRE_Eplwagct.csv")
    >>> cre.data[["city_code", "year", "gdp", "s3"]].round(4).to_dict("records")[0]
    {'city_code': 330100, 'year': 2019, 'gdp': 15373.05, 's3': 0.6617}
    """
    if gdp_path is None and employment_path is None:
        raise SpecificationError(
            "Give gdp_path (the CSMAR CRE_Gdpct.csv export) and/or employment_path "
            "(CRE_Eplwagct.csv)."
        )
    check_choice("merge_laiwu", merge_laiwu, MERGE_LAIWU)
    span = _check_years(years)
    notes: list[str] = []
    frames = []
    if gdp_path is not None:
        frames.append(_read_table(gdp_path, GDP_COLUMNS, "CRE_Gdpct", "gdp_path", span, notes))
    if employment_path is not None:
        frames.append(_read_table(employment_path, EMPLOYMENT_COLUMNS, "CRE_Eplwagct",
                                  "employment_path", span, notes))
    df = frames[0]
    if len(frames) == 2:
        df = frames[0].merge(frames[1], on=["city_code", "year"], how="outer",
                             suffixes=("", "_emp"))
        for col in ("city_en", "province_code", "province_en"):
            if col + "_emp" in df.columns:
                df[col] = df[col].fillna(df.pop(col + "_emp"))
    if "province_code" in df.columns and not df["province_code"].isna().any():
        df["province_code"] = df["province_code"].astype(np.int64)

    drops: list[dict] = []
    if recode_legacy:
        df = _recode_legacy(df, notes, drops)
    if prefecture_only:
        df = _prefecture_rows(df, drops)
    df = _laiwu(df, merge_laiwu, notes, drops)
    if prefecture_only:
        _note_outside_universe(df, notes)

    df = df.sort_values(["city_code", "year"], kind="mergesort").reset_index(drop=True)
    df = df[[c for c in _ORDER if c in df.columns]]
    dropped = pd.DataFrame(drops, columns=_DROP_COLUMNS)
    if drops:
        lines = "; ".join(f"{d['n_rows']} row(s) of {d['n_units']} code(s), {d['reason']}, "
                          f"e.g. {d['examples']}" for d in drops)
        msg = f"read_cre dropped {int(dropped['n_rows'].sum())} city-year row(s): {lines}."
        warn(msg, DataDroppedWarning)
        notes.extend(
            f"Dropped {d['n_rows']} row(s) of {d['n_units']} code(s): {d['reason']} "
            f"(e.g. {d['examples']})." for d in drops
        )
    return CREData(data=df, notes=tuple(notes), dropped=dropped)


# --------------------------------------------------------------------------- reading
def _check_years(years) -> tuple[int, int] | None:
    if years is None:
        return None
    msg = (
        "years must be a pair (first, last) of integer years, inclusive, e.g. (2010, 2019); "
        f"got {years!r}."
    )
    if isinstance(years, (str, bytes)) or not hasattr(years, "__len__") or len(years) != 2:
        raise SpecificationError(msg)
    first, last = years
    ok = all(isinstance(y, (int, np.integer)) and not isinstance(y, bool) for y in years)
    if not ok or first > last:
        raise SpecificationError(msg)
    return int(first), int(last)


def _read_table(path, columns: dict, table: str, arg: str, span, notes: list[str]) -> pd.DataFrame:
    raw, line = _raw_table(path, columns, table, arg, notes)
    unknown = [c for c in raw.columns if c not in columns and c not in _KEYS and c not in _IGNORED]
    if unknown:
        notes.append(f"{table}: column(s) {examples(unknown)} are not known and were ignored.")
    values = [c for c in columns if c in raw.columns]

    out = pd.DataFrame(index=raw.index)
    for src, name in _KEYS.items():
        if src in raw.columns:
            out[name] = raw[src].str.strip().replace("", np.nan)
    for key, label in (("city_code", "Ctnm_id"), ("year", "Sgnyea"), ("province_code",
                                                                      "Prvcnm_id")):
        if key not in out.columns:
            continue
        num = pd.to_numeric(out[key], errors="coerce")
        bad = num.isna() | (num % 1 != 0)
        if key == "province_code":
            bad &= out[key].notna()
        if bad.any():
            raise PanelError(
                f"{arg}: column {label!r} must hold integer codes; {int(bad.sum())} row(s) do "
                f"not, e.g. {examples(out.loc[bad, key].unique())} (line(s) "
                f"{examples(line[bad.to_numpy()])} of {str(path)!r}). Each row of a CRE export "
                "is one city-year: correct or delete these rows, or re-export the file."
            )
        out[key] = num.astype("Int64" if key == "province_code" else np.int64)
    if span is not None:
        out = out[(out["year"] >= span[0]) & (out["year"] <= span[1])]
        raw = raw.loc[out.index]
    for src in values:
        name, divisor = columns[src]
        text = raw[src].str.strip()
        num = pd.to_numeric(text.replace("", np.nan), errors="coerce")
        unreadable = num.isna() & text.ne("")
        if unreadable.any():
            notes.append(
                f"{table}: {int(unreadable.sum())} value(s) of {src} ({name}) could not be read "
                f"as numbers and are missing, e.g. {examples(text[unreadable].unique())}."
            )
        out[name] = num.to_numpy(dtype=float) / divisor
    dup = out.duplicated(["city_code", "year"], keep=False)
    if dup.any():
        pairs = out.loc[dup, ["city_code", "year"]].drop_duplicates()
        raise PanelError(
            f"{arg}: {int(dup.sum())} rows share a (Ctnm_id, Sgnyea) pair with another row, "
            f"e.g. {examples([tuple(p) for p in pairs.itertuples(index=False)])}. A CRE export "
            "has one row per city and year; check the file."
        )
    return out.reset_index(drop=True)


def _raw_table(path, columns: dict, table: str, arg: str,
               notes: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The export's data rows as strings, with the line each came from; descriptive rows,
    footer rows and blank lines skipped and noted."""
    try:
        rec = read_records(path)
    except PanelError as exc:
        raise PanelError(f"{arg}: {exc}") from None
    name = f"{str(path)!r}"
    if rec.detected:
        notes.append(f"{table}: the file is encoded in {rec.encoding_label()} (not UTF-8) and "
                     "was decoded as such.")
    header, rows, lines = _find_header(rec)
    above = [rec.header_line, *rec.lines][: len(rec.rows) - len(rows)]
    header = [str(c).strip().lstrip("\ufeff") for c in header]
    missing = [c for c in ("Sgnyea", "Ctnm_id") if c not in header]
    values = [c for c in columns if c in header]
    if missing or not values:
        need = missing + ([] if values else [f"any of {list(columns)}"])
        raise SpecificationError(
            f"{arg}: {name} is not a CSMAR {table} export: missing column(s) "
            f"{need}. Found {examples(header, 10)}."
        )
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise SpecificationError(f"{arg}: {name} names column(s) {examples(twice)} more than "
                                 "once. Keep one of each, or re-export the file.")
    year, code = header.index("Sgnyea"), header.index("Ctnm_id")
    value_at = [header.index(c) for c in values]

    def number(row: list[str], i: int) -> bool:
        return i < len(row) and _is_number(row[i])

    def label_row(row: list[str]) -> bool:  # names or units, not data
        return not (number(row, year) or number(row, code)
                    or any(number(row, i) for i in value_at))

    first = 0
    while first < min(3, len(rows)) and label_row(rows[first]):
        first += 1
    last = len(rows)
    while last > first and not number(rows[last - 1], year) and not (
            code < len(rows[last - 1]) and rows[last - 1][code].strip()):
        last -= 1
    if above:
        notes.append(f"{table}: skipped {len(above)} row(s) above the column codes (line(s) "
                     f"{examples(above)}).")
    for what, at, skipped in (
        ("descriptive row(s) (field names or units) under the column codes",
         lines[:first], rows[:first]),
        ("footer row(s) at the end of the file (a source line, a note)",
         lines[last:], rows[last:]),
    ):
        if at:
            shown = [next((f.strip() for f in r if f.strip()), "") for r in skipped]
            notes.append(f"{table}: skipped {len(at)} {what}: line(s) {examples(at)}, "
                         f"e.g. {examples(shown)}.")
    if rec.blank_lines:
        notes.append(f"{table}: skipped {len(rec.blank_lines)} blank line(s) (separators "
                     f"only): {examples(rec.blank_lines)}.")
    rows, lines = rows[first:last], lines[first:last]
    if not rows:
        raise PanelError(
            f"{arg}: {name} has the column codes but no data rows"
            + (f" (only {first} descriptive row(s))" if first else "")
            + ". Re-export the table from CSMAR with its rows (check the years and cities "
            "selected)."
        )
    width = len(header)
    for row in rows:  # read_records refused values beyond the header; drop empty extras
        del row[width:]
        row.extend([""] * (width - len(row)))
    raw = pd.DataFrame(rows, columns=header, dtype=str)
    return raw, np.asarray(lines)


def _find_header(rec: TextRecords) -> tuple[list[str], list[list[str]], list[int]]:
    """The row of CSMAR column codes: the first, or one of the next three when the export
    puts descriptive rows (Chinese names, units) above it."""
    def codes(row: list[str]) -> bool:
        cells = {c.strip().lstrip("\ufeff") for c in row}
        return {"Sgnyea", "Ctnm_id"} <= cells

    if not codes(rec.header):
        for i, row in enumerate(rec.rows[:3]):
            if codes(row):
                return row, rec.rows[i + 1:], rec.lines[i + 1:]
    return rec.header, rec.rows, rec.lines


def _is_number(text: str) -> bool:
    try:
        return np.isfinite(float(text))
    except ValueError:
        return False


# --------------------------------------------------------------------------- codes
def _label(df: pd.DataFrame, codes) -> list[str]:
    if "city_en" not in df.columns:
        return [str(c) for c in codes]
    names = df.drop_duplicates("city_code").set_index("city_code")["city_en"]
    labels = []
    for c in codes:
        name = names.get(c)
        labels.append(f"{c} {name}" if isinstance(name, str) else str(c))
    return labels


def _recode_legacy(df: pd.DataFrame, notes: list[str], drops: list[dict]) -> pd.DataFrame:
    legacy = df["city_code"].isin(list(LEGACY_CODES)).to_numpy()
    if not legacy.any():
        return df
    df = df.copy()
    old = df.loc[legacy, "city_code"]
    counts = old.value_counts().sort_index()
    df.loc[legacy, "city_code"] = old.map(LEGACY_CODES).to_numpy()
    # a year with both the legacy and the current code: keep the current-code row
    clash = legacy & df.duplicated(["city_code", "year"], keep=False).to_numpy()
    if clash.any():
        drops.append({"reason": "legacy code duplicating a current-code row",
                      "n_rows": int(clash.sum()),
                      "n_units": int(old[clash[legacy]].nunique()),
                      "examples": examples(old[clash[legacy]].unique())})
        df = df.loc[~clash]
    notes.append(
        "Legacy codes recoded to current prefecture codes: "
        + "; ".join(f"{o} -> {LEGACY_CODES[o]} ({n} rows)" for o, n in counts.items())
        + "."
    )
    return df


def _prefecture_rows(df: pd.DataFrame, drops: list[dict]) -> pd.DataFrame:
    code = df["city_code"].to_numpy()
    reasons = [
        ("district or county code (not ending in 00)", code % 100 != 0),
        ("group of province-administered county-level units (xx90xx)",
         (code % 100 == 0) & ((code // 100) % 100 == 90)),
        ("province total (xx0000, not a municipality)",
         (code % 10000 == 0) & ~np.isin(code, MUNICIPALITIES)),
    ]
    keep = np.ones(len(df), dtype=bool)
    for reason, mask in reasons:
        mask = mask & keep
        if mask.any():
            codes = np.unique(code[mask])
            drops.append({"reason": reason, "n_rows": int(mask.sum()),
                          "n_units": int(codes.size),
                          "examples": examples(_label(df, codes))})
            keep &= ~mask
    return df.loc[keep]


def _note_outside_universe(df: pd.DataFrame, notes: list[str]) -> None:
    from .registry import load_cities

    outside = ~df["city_code"].isin(load_cities()["city_code"])
    if outside.any():
        spans = df.loc[outside].groupby("city_code")["year"].agg(["min", "max"])
        labels = [f"{lab} ({lo}-{hi})" for lab, lo, hi in
                  zip(_label(df, spans.index), spans["min"], spans["max"], strict=True)]
        notes.append(
            f"{len(spans)} prefecture-level code(s) ({int(outside.sum())} rows) are not in the "
            f"current universe (units abolished or merged since), kept: {examples(labels)}."
        )


# --------------------------------------------------------------------------- 莱芜
def _laiwu(df: pd.DataFrame, how: str, notes: list[str], drops: list[dict]) -> pd.DataFrame:
    is_l = (df["city_code"] == LAIWU).to_numpy()
    if not is_l.any():
        return df
    yrs = df.loc[is_l, "year"]
    span = f"{yrs.min()}-{yrs.max()}"
    if how == "keep":
        notes.append(
            f"莱芜 (371200) kept as a unit of its own: {int(is_l.sum())} rows, {span}. It was "
            "merged into 济南 (370100) in 2019, so it has no later rows and 济南's rows from "
            "2019 include it; use merge_laiwu='fold' for a constant territory."
        )
        return df
    if how == "drop":
        drops.append({"reason": "莱芜 371200 (merge_laiwu='drop')", "n_rows": int(is_l.sum()),
                      "n_units": 1, "examples": examples(_label(df, [LAIWU]))})
        notes.append(
            f"莱芜 (371200) dropped ({int(is_l.sum())} rows, {span}); 济南 (370100) covers "
            "莱芜 from 2019 only, so its territory changes in 2019."
        )
        return df.loc[~is_l]
    return _fold(df, is_l, notes, drops)


def _fold(df: pd.DataFrame, is_l: np.ndarray, notes: list[str], drops: list[dict]) -> pd.DataFrame:
    df = df.copy()
    is_j = (df["city_code"] == JINAN).to_numpy()
    lai = df.loc[is_l].set_index("year")
    jin = df.loc[is_j].set_index("year")
    both = lai.index.intersection(jin.index)
    orphan = lai.index.difference(jin.index)
    j, lw = jin.loc[both], lai.loc[both]
    new = pd.DataFrame(index=both)
    present = set(df.columns)
    for col in _ADDITIVE:
        if col in present:
            new[col] = j[col] + lw[col]  # NaN if either part is missing
    if "gdp" in present:
        for s in ("s1", "s2", "s3"):
            if s in present:
                new[s] = (j[s] * j["gdp"] + lw[s] * lw["gdp"]) / new["gdp"]
        if "gdp_per_capita" in present:
            implied = j["gdp"] / j["gdp_per_capita"] + lw["gdp"] / lw["gdp_per_capita"]
            new["gdp_per_capita"] = new["gdp"] / implied
    if "emp" in present:
        for s in ("emp_s1", "emp_s2", "emp_s3"):
            if s in present:
                new[s] = (j[s] * j["emp"] + lw[s] * lw["emp"]) / new["emp"]
    if "pop_density" in present and "pop" in present:
        area = j["pop"] / j["pop_density"] + lw["pop"] / lw["pop_density"]
        new["pop_density"] = new["pop"] / area
    if "wage" in present and "employees" in present:
        new["wage"] = (j["wage"] * j["employees"] + lw["wage"] * lw["employees"]) / new[
            "employees"
        ]
    for col in _UNFOLDABLE:
        if col in present:
            new[col] = np.nan
    recomputed = [c for c in new.columns if c not in _UNFOLDABLE]
    lost = int((new[recomputed].isna() & j[recomputed].notna()).sum().sum())

    rows = np.flatnonzero(is_j)[jin.index.get_indexer(both)]
    df.iloc[rows, [df.columns.get_loc(c) for c in new.columns]] = new.to_numpy()
    df = df.loc[~is_l]
    yr = f"{both.min()}-{both.max()}" if len(both) else "no year"
    note = (
        f"莱芜 (371200) folded into 济南 (370100) in {len(both)} year(s) ({yr}): "
        f"{', '.join(c for c in _ADDITIVE if c in present)} summed; "
        f"{', '.join(c for c in recomputed if c not in _ADDITIVE) or 'no ratio'} recomputed "
        "from the parts; "
        f"{', '.join(c for c in _UNFOLDABLE if c in present) or 'no growth rate'} set to NaN. "
        f"{lost} value(s) that 济南 had became NaN because a part was missing."
    )
    if len(orphan):
        note += (
            f" {len(orphan)} 莱芜 row(s) in years without a 济南 row were dropped "
            f"({examples(orphan)})."
        )
        drops.append({"reason": "莱芜 371200 in a year without a 济南 row (merge_laiwu='fold')",
                      "n_rows": len(orphan), "n_units": 1, "examples": examples(list(orphan))})
    notes.append(note)
    return df
