"""The bundled pilot-zone registry and the prefecture universe.

China's cross-border e-commerce comprehensive pilot zones (跨境电子商务综合试验区) were designated
in seven batches, 2015-2022 (165 zones), and an eighth in 2025 (国函〔2025〕40号: the whole of
Hainan Island and 15 cities/regions, 16 places; the same reply revoked 海口, 三亚 and 阿拉山口).
This module reads the bundled lists
(``did_zones/data/pilot_zones.csv`` and ``did_zones/data/prefecture_universe.csv``; provenance in
``did_zones/data/README.md``) and turns them into the first treated year of every prefecture,
with the coding choices that matter made explicit:

* ``timing`` -- when a late-year approval starts to count (approval year, next year, or a
  half-year rule);
* ``county_level`` -- whether a county-level designee (义乌, 珲春, 绥芬河, 满洲里, 阿拉山口, 延吉,
  同江, 二连浩特) or a new area (雄安 in 保定) treats its parent prefecture;
* ``batches`` -- the sample of batches (default 1-7, the batches of the published studies);
* ``revoked`` -- whether a revoked zone keeps its prefecture treated (absorbing treatment) or
  ends its treatment.

Public functions: :func:`load_zones`, :func:`zone_cohorts`, :func:`county_level_prefectures`,
:func:`load_cities`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from ._resources import bundled_file
from .errors import SpecificationError
from .validation import check_choice, check_columns, examples

__all__ = [
    "Timing",
    "CountyLevel",
    "Revoked",
    "TIMINGS",
    "COUNTY_LEVELS",
    "REVOCATIONS",
    "DEFAULT_BATCHES",
    "WHOLE_ISLAND",
    "load_zones",
    "load_cities",
    "zone_cohorts",
    "county_level_prefectures",
]

Timing = Literal["approval_year", "next_year", "half_year"]
CountyLevel = Literal["parent", "drop"]
TIMINGS: tuple[str, ...] = ("approval_year", "next_year", "half_year")
COUNTY_LEVELS: tuple[str, ...] = ("parent", "drop")
Revoked = Literal["keep", "end"]
REVOCATIONS: tuple[str, ...] = ("keep", "end")
#: The batches ``zone_cohorts`` uses unless told otherwise: 1-7 (2015-2022), the sample of the
#: published studies. Batch 8 (2025) is bundled but used only when asked for.
DEFAULT_BATCHES: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
#: Province-wide zones and the prefecture-level units they treat. 海南全岛 (batch 8, code
#: 460000) covers the island: 海口, 三亚, 儋州; not 三沙 (460300, the South China Sea islands).
#: The province-administered county-level units of Hainan (五指山, 琼海, ...) are not
#: prefecture-level units and have no row in the universe.
WHOLE_ISLAND: dict[int, tuple[int, ...]] = {460000: (460100, 460200, 460400)}

_ZONES_FILE = "pilot_zones.csv"
_CITIES_FILE = "prefecture_universe.csv"
_EXTRA_REQUIRED = ("city_code", "approval_date", "batch")
# The unit code is called ``city_code`` everywhere (registry, cohorts, simulator, readers); the
# bundled CSV files keep their own headers and are renamed on load. Old names get a hint.
_RENAMED = {"prefecture_code": "city_code", "code": "city_code"}
_ZONE_COLUMNS = [
    "batch",
    "approval_date",
    "date_kind",
    "document",
    "zone_zh",
    "zone_en",
    "zone_type",
    "county_level",
    "prefecture_zh",
    "prefecture_en",
    "city_code",
    "province_zh",
    "province_en",
    "region",
    "zone_code",
    "sources_agree",
    "note",
    "revoked",
    "revoked_date",
    "revoked_by",
]
_CITY_FLAGS = ("municipality", "provincial_capital", "sub_provincial", "coastal")


# --------------------------------------------------------------------------- reading the files
def _read_package_csv(name: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(bundled_file(name), encoding="utf-8", **kwargs)


@lru_cache(maxsize=1)
def _cities() -> pd.DataFrame:
    """Parsed prefecture universe (cached; callers receive copies)."""
    cities = _read_package_csv(
        _CITIES_FILE,
        dtype={"code": np.int64, "province_code": np.int64, **dict.fromkeys(_CITY_FLAGS, bool)},
        keep_default_na=False,
    ).rename(columns={"code": "city_code"})
    return cities.sort_values("city_code", kind="stable").reset_index(drop=True)


@lru_cache(maxsize=1)
def _zones() -> pd.DataFrame:
    """Parsed zone registry with derived columns (cached; callers receive copies)."""
    zones = _read_package_csv(
        _ZONES_FILE,
        dtype={"batch": np.int64, "prefecture_code": np.int64, "zone_code": "Int64"},
        parse_dates=["approval_date", "revoked_date"],
    ).rename(columns={"prefecture_code": "city_code"})
    zones["note"] = zones["note"].fillna("")
    zones["revoked_by"] = zones["revoked_by"].fillna("")
    zones["revoked"] = zones["revoked_date"].notna().to_numpy()
    # A zone sits below prefecture level when it has its own (county) code or none at all
    # (雄安新区 has no GB/T 2260 code): then it is not the whole prefecture it is coded to.
    own = zones["zone_code"]
    zones["county_level"] = (own.isna() | (own != zones["city_code"])).astype(bool)
    cities = _cities()
    region = cities.set_index("city_code")["region"]
    # a province-wide zone (海南全岛, 460000) takes its province's region
    by_province = cities.drop_duplicates("province_code").set_index("province_code")["region"]
    zones["region"] = zones["city_code"].map(region).fillna(zones["city_code"].map(by_province))
    return zones[_ZONE_COLUMNS]


# --------------------------------------------------------------------------- public loaders
def load_zones() -> pd.DataFrame:
    """Return the bundled registry of the 181 cross-border e-commerce pilot zones.

    One row per designated zone of batches 1-8 (State Council replies 国函〔2015〕44号 to
    国函〔2025〕40号): 165 zones in batches 1-7 (2015-2022) and the 16 places of batch 8
    (published 2025-04-25: 海南全岛, the whole of Hainan Island, and 15 cities/regions). The
    same 2025 reply revoked three earlier zones (海口, 三亚, 阿拉山口), flagged in ``revoked``.
    The frame is a fresh copy: modifying it never affects later calls.

    Returns
    -------
    pandas.DataFrame
        181 rows, in registry order (by batch, then the order of the official list), with columns

        ``batch`` : int
            Batch number, 1-8.
        ``approval_date`` : datetime64
            Date of the State Council reply (批复).
        ``date_kind`` : str
            ``"signed"`` (signing date) or ``"published"`` (gov.cn publication date, when the
            signing day was not found: batch 6, 2022-02-08, and batch 8, 2025-04-25).
        ``document`` : str
            The reply's document number, e.g. ``"国函〔2015〕44号"``.
        ``zone_zh``, ``zone_en`` : str
            The designated place.
        ``zone_type`` : str
            ``"prefecture-level city"``, ``"municipality"``, ``"county-level city"``,
            ``"state-level new area"``, ``"autonomous prefecture"``, ``"prefecture (diqu)"``
            or ``"province-wide region"`` (海南全岛).
        ``county_level`` : bool
            True when the zone lies below prefecture level inside ``city_code``: a
            county-level city (义乌, 珲春, 绥芬河, 满洲里, 阿拉山口, 延吉, 同江, 二连浩特) or a new area
            (雄安新区 in 保定). Derived from the codes: the zone has its own code different from
            its prefecture's, or no code at all.
        ``prefecture_zh``, ``prefecture_en`` : str
            Name of the prefecture-level unit the zone belongs to.
        ``city_code`` : int
            Its code (GB/T 2260, current vintage; municipalities use the provincial code, e.g.
            110000): the unit code of :func:`load_cities`, :func:`zone_cohorts` and the
            simulator. The bundled file calls this column ``prefecture_code``. The
            whole-island zone carries the provincial code 460000, which is not a
            prefecture-level unit: :func:`zone_cohorts` expands it to the units it treats
            (:data:`WHOLE_ISLAND`).
        ``province_zh``, ``province_en`` : str
            Province.
        ``region`` : str
            NBS region of the prefecture: ``"east"``, ``"central"``, ``"west"``,
            ``"northeast"``.
        ``zone_code`` : Int64
            The zone's own code (missing for 雄安新区, which has none).
        ``sources_agree`` : str
            ``"yes"`` when two or more independent sources agree, ``"unchecked"`` when one
            source or none was found (among others 10 of the 16 batch-8 places and the three
            revocations rest on the English translation of the reply only). Keep it visible in
            robustness checks.
        ``note`` : str
            Caveats (empty string when none).
        ``revoked`` : bool
            True for a zone revoked later (海口, 三亚, 阿拉山口, by 国函〔2025〕40号).
        ``revoked_date`` : datetime64
            Date of the revocation (NaT when in force): 2025-04-25, the publication date of
            国函〔2025〕40号.
        ``revoked_by`` : str
            The revoking document (empty string when in force).

    See Also
    --------
    zone_cohorts : first treated year per prefecture.
    load_cities : the prefecture universe.

    Notes
    -----
    Provenance and coding hazards are documented in ``did_zones/data/README.md``. The signing
    date of 国函〔2025〕40号 was not found: batch 8 and the revocations carry its publication
    date (``date_kind = "published"``). :func:`zone_cohorts` uses batches 1-7 unless asked for
    batch 8.

    Examples
    --------
    >>> from did_zones.registry import load_zones
    >>> zones = load_zones()
    >>> len(zones)
    181
    >>> zones.groupby("batch").size().tolist()
    [1, 12, 22, 24, 46, 27, 33, 16]
    >>> zones.loc[zones["county_level"], "zone_en"].tolist()[:2]
    ['Yiwu', 'Hunchun']
    >>> zones.loc[zones["revoked"], "zone_en"].tolist()
    ['Haikou', 'Sanya', 'Alashankou']
    """
    return _zones().copy(deep=True)


def load_cities() -> pd.DataFrame:
    """Return the universe of 337 prefecture-level units (incl. the 4 municipalities).

    Returns
    -------
    pandas.DataFrame
        337 rows sorted by ``city_code``, a fresh copy, with columns

        ``city_code`` : int
            GB/T 2260 code, current vintage (municipalities: provincial code, e.g. 110000).
            The same name as in :func:`load_zones`, :func:`zone_cohorts` and the simulator
            (the bundled file calls it ``code``).
        ``name_zh``, ``name_en`` : str
            Name; English names follow the zone registry where the unit is a zone's parent and
            Hanyu Pinyin or the established English exonym otherwise (Hohhot, Shigatse, ...).
            Names that would coincide carry the province, e.g. ``"Suzhou (Anhui)"``.
        ``unit_type`` : str
            ``"municipality"``, ``"prefecture-level city"``, ``"autonomous prefecture"``,
            ``"prefecture (diqu)"`` or ``"league"`` (盟).
        ``province_code``, ``province_zh``, ``province_en`` : int, str, str
            Province (municipalities are their own province).
        ``region`` : str
            NBS region, 2011 definition: ``"east"``, ``"central"``, ``"west"``,
            ``"northeast"``.
        ``municipality`` : bool
            Beijing, Tianjin, Shanghai, Chongqing (4).
        ``provincial_capital`` : bool
            Capital of a province or autonomous region (27). Municipalities are *not* flagged:
            they are provincial-level units themselves, use ``municipality``.
        ``sub_provincial`` : bool
            The 15 sub-provincial cities (副省级城市): Harbin, Changchun, Shenyang, Dalian,
            Jinan, Qingdao, Nanjing, Hangzhou, Ningbo, Xiamen, Wuhan, Guangzhou, Shenzhen,
            Chengdu, Xi'an.
        ``coastal`` : bool
            The unit lies in a coastal provincial-level unit: Liaoning, Hebei, Tianjin,
            Shandong, Jiangsu, Shanghai, Zhejiang, Fujian, Guangdong, Guangxi, Hainan. This is
            a province-level definition (inland prefectures of coastal provinces count as
            coastal); it excludes Hong Kong, Macao and Taiwan, which are not in the universe.

    Examples
    --------
    >>> from did_zones.registry import load_cities
    >>> cities = load_cities()
    >>> len(cities), int(cities["sub_provincial"].sum()), int(cities["provincial_capital"].sum())
    (337, 15, 27)
    """
    return _cities().copy(deep=True)


# --------------------------------------------------------------------------- cohorts
def zone_cohorts(
    timing: Timing = "approval_year",
    county_level: CountyLevel = "parent",
    batches: Iterable[int] | Literal["all"] | None = None,
    extra: pd.DataFrame | None = None,
    revoked: Revoked = "keep",
) -> pd.Series:
    """Return the first treated year (cohort) of every pilot prefecture.

    Parameters
    ----------
    timing : {"approval_year", "next_year", "half_year"}, default "approval_year"
        When a zone starts to count as treated. ``"approval_year"``: the calendar year of the
        approval date. ``"next_year"``: the following year (the first full year of exposure).
        ``"half_year"``: the approval year if approved on or before 30 June, else the next
        year. Batch 4 (15 Dec 2019) and batch 7 (14 Nov 2022) are the cases where this matters.
    county_level : {"parent", "drop"}, default "parent"
        How a zone below prefecture level (county-level city or new area, see
        ``load_zones()["county_level"]``) is coded. ``"parent"``: it treats its parent
        prefecture. ``"drop"``: it treats nothing; its parent is then treated only by its own
        designation, if any (金华 from batch 6; 保定 and 博尔塔拉州 from batch 8). The parents
        are partially treated either way: list them with :func:`county_level_prefectures` and
        exclude them from the panel when using ``"drop"``, as published studies usually do.
    batches : iterable of int or "all", optional
        Batches to use. Default (None): batches 1-7 (:data:`DEFAULT_BATCHES`, the 2015-2022
        sample of the published studies, unchanged since the registry held seven batches)
        plus every batch in ``extra``. ``"all"`` or ``range(1, 9)`` adds the 2025 batch 8.
    extra : pandas.DataFrame, optional
        More zones in the registry's form, appended before computing. Required columns:
        ``city_code`` (current GB/T 2260 code of the prefecture-level unit, see
        :func:`load_cities`), ``approval_date`` (a date or a string such as ``"2025-04-25"``)
        and ``batch`` (int). Optional: ``county_level`` (bool), or ``zone_code`` from which it
        is derived as in :func:`load_zones` (a zone without either column counts as a whole
        prefecture). Other columns are ignored. Not modified. Zones in ``extra`` are never
        revoked.
    revoked : {"keep", "end"}, default "keep"
        What a revoked zone (海口, 三亚, 阿拉山口; revoked by 国函〔2025〕40号) does to its
        prefecture. ``"keep"``: the prefecture stays treated (absorbing treatment, what every
        staggered estimator assumes; the cohorts are those of a registry without
        revocations). ``"end"``: its treatment ends at the revocation unless another selected
        zone keeps it treated; the first untreated period is recorded in
        ``attrs["treatment_end"]`` (a period is untreated when the zone was not in force in it
        under ``timing``: ``"approval_year"`` counts the revocation year as treated,
        ``"next_year"`` does not, ``"half_year"`` counts it when revoked after 30 June). The
        cohorts are the same under both choices.

    Returns
    -------
    pandas.Series
        Name ``"cohort"``, int values (first treated year), index ``"city_code"`` (int),
        sorted by code. One entry per prefecture treated by a selected zone; when several zones
        lie in one prefecture the earliest counts (延边州: 珲春 batch 4, before 延吉 batch 7;
        海口: batch 3, before the whole-island zone of batch 8). ``Series.attrs`` records the
        choices and what they did:

        ``timing``, ``county_level``, ``revoked`` : str
            The options.
        ``batches`` : tuple of int
            The batches used.
        ``county_level_prefectures`` : tuple of int
            The parents of selected county-level zones.
        ``whole_island`` : dict
            For a selected province-wide zone (code -> dict): ``treats`` (the prefecture codes
            it treats, :data:`WHOLE_ISLAND`) and ``already_treated`` (code -> the earlier
            cohort kept, e.g. 海口 2018, 三亚 2020). Empty when none is selected.
        ``revocations`` : dict
            Prefecture code -> year of the revocation, for every prefecture treated by a
            selected zone that was revoked.
        ``treatment_end`` : dict
            Under ``revoked="end"``: prefecture code -> first untreated period, for the
            prefectures whose treatment actually switches off (empty under ``"keep"``).
            :func:`~did_zones.build_panel` records a switch-off that falls inside the panel
            (:attr:`~did_zones.Panel.switches_off`): only :func:`~did_zones.dcdh` estimates
            with such a panel (DID_M with leavers); every other estimator refuses it.
        ``treatment_restart`` : dict
            Under ``revoked="end"``: prefecture code -> period in which a later zone treats a
            switched-off prefecture again (e.g. 博尔塔拉州 under ``timing="next_year"``:
            阿拉山口 ends in 2025, the prefecture's own batch-8 zone counts from 2026).

    Raises
    ------
    SpecificationError
        If an option is not one of its allowed values, ``batches`` names a batch that does not
        exist, or ``extra`` lacks a required column or holds unusable values (a column under
        the old name ``prefecture_code`` is refused with a hint to rename it ``city_code``).

    See Also
    --------
    county_level_prefectures : the prefectures to exclude under ``county_level="drop"``.
    load_zones : the registry itself.

    Notes
    -----
    A prefecture absent from the result is never treated by the selected batches; code it as
    never-treated (or, if its cohort falls after the panel's last year, as not yet treated).

    The revocations matter only for panels that run into 2025. With batch 8 selected,
    海口 and 三亚 stay treated through the whole-island zone, and 博尔塔拉州 through its own
    batch-8 designation: under ``timing="approval_year"`` no prefecture switches off. Without
    batch 8 (the default) and ``revoked="end"``, 海口, 三亚 and (under
    ``county_level="parent"``) 博尔塔拉州 switch off. Under ``timing="next_year"`` the revoked
    zones count through 2024 and batch 8 from 2026: with batch 8 the three prefectures are
    untreated in 2025 only (``treatment_end`` 2025, ``treatment_restart`` 2026).

    Examples
    --------
    >>> from did_zones.registry import zone_cohorts, county_level_prefectures
    >>> cohorts = zone_cohorts()
    >>> int(cohorts[330100])  # Hangzhou, batch 1
    2015
    >>> int(zone_cohorts(timing="next_year")[130100])  # Shijiazhuang, batch 4 (Dec 2019)
    2020
    >>> int(cohorts[330700])  # Jinhua, treated through Yiwu (batch 3)
    2018
    >>> dropped = zone_cohorts(county_level="drop", batches=[1, 2, 3, 4, 5])
    >>> 330700 in dropped.index
    False
    >>> 330700 in county_level_prefectures()
    True
    >>> every = zone_cohorts(batches="all")
    >>> int(every[460400]), int(every[460100])  # Danzhou (whole island 2025), Haikou (2018)
    (2025, 2018)
    >>> 460300 in every.index  # Sansha is not on the island
    False
    >>> zone_cohorts(revoked="end").attrs["treatment_end"]
    {460100: 2026, 460200: 2026, 652700: 2026}
    >>> zone_cohorts(batches="all", revoked="end").attrs["treatment_end"]
    {}
    """
    check_choice("timing", timing, TIMINGS)
    check_choice("county_level", county_level, COUNTY_LEVELS)
    check_choice("revoked", revoked, REVOCATIONS)
    zones = _selected_zones(batches, extra)
    parents = _parents(zones)
    if county_level == "drop":
        zones = zones[~zones["county_level"].to_numpy()]
    zones, island = _expand_whole_island(zones)
    start = _period(zones["approval_date"], timing, start=True)
    end = _period(zones["revoked_date"], timing, start=False)
    codes = zones["city_code"].to_numpy(dtype=np.int64)
    cohort = (
        pd.Series(start, index=codes).groupby(level=0).min().sort_index().astype(np.int64)
    )
    cohort.index.name = "city_code"
    cohort.name = "cohort"
    for info in island.values():
        # a unit treated before the whole-island zone keeps its earliest (first) treatment
        first_island = _period(pd.Series([info.pop("approval_date")]), timing, start=True)[0]
        info["already_treated"] = {
            c: int(cohort[c]) for c in info.pop("earlier") if cohort[c] < first_island
        }
    revoked_rows = zones["revoked_date"].notna().to_numpy()
    revocations = {
        int(c): int(y)
        for c, y in zip(codes[revoked_rows], zones["revoked_date"].dt.year[revoked_rows],
                        strict=True)
    }
    ends, restarts = ({}, {}) if revoked == "keep" else _switch_offs(
        codes, start, end, sorted(revocations))
    cohort.attrs = {
        "timing": timing,
        "county_level": county_level,
        "revoked": revoked,
        "batches": tuple(int(b) for b in np.unique(zones["batch"])),
        "county_level_prefectures": tuple(int(c) for c in parents),
        "whole_island": island,
        "revocations": dict(sorted(revocations.items())),
        "treatment_end": ends,
        "treatment_restart": restarts,
    }
    return cohort


def county_level_prefectures(
    batches: Iterable[int] | None = None, extra: pd.DataFrame | None = None
) -> pd.Index:
    """Return the prefectures that contain a county-level zone or new area.

    These prefectures are partially treated from the county-level zone's approval: under
    ``zone_cohorts(county_level="drop")`` they should normally be excluded from the panel (or
    studied separately) rather than serve as controls.

    Parameters
    ----------
    batches : iterable of int or "all", optional
        Batches to consider, as in :func:`zone_cohorts` (default: batches 1-7 and those in
        ``extra``).
    extra : pandas.DataFrame, optional
        More zones, as in :func:`zone_cohorts`.

    Returns
    -------
    pandas.Index
        Sorted int prefecture codes, named ``"city_code"``. For batches 1-7: 保定
        (雄安), 呼伦贝尔 (满洲里), 延边州 (珲春, 延吉), 佳木斯 (同江), 牡丹江 (绥芬河),
        金华 (义乌), 博尔塔拉州 (阿拉山口); batch 8 adds 锡林郭勒盟 (二连浩特).

    Raises
    ------
    SpecificationError
        As :func:`zone_cohorts`, for bad ``batches`` or ``extra``.

    Examples
    --------
    >>> from did_zones.registry import county_level_prefectures
    >>> county_level_prefectures().tolist()
    [130600, 150700, 222400, 230800, 231000, 330700, 652700]
    >>> county_level_prefectures(batches=[8]).tolist()
    [152500]
    >>> import pandas as pd
    >>> panel = pd.DataFrame({"city": [330100, 330700], "y": [1.0, 2.0]})
    >>> panel[~panel["city"].isin(county_level_prefectures())]["city"].tolist()
    [330100]
    """
    return _parents(_selected_zones(batches, extra))


# --------------------------------------------------------------------------- helpers
def _period(dates: pd.Series, timing: str, *, start: bool) -> np.ndarray:
    """First treated period of an approval (``start``) or first untreated period of a
    revocation (``start=False``; ``inf`` where the date is missing), under ``timing``."""
    missing = dates.isna().to_numpy()
    year = dates.dt.year.to_numpy(dtype=float, na_value=np.nan).copy()
    if timing == "half_year":  # in force for more than half of the year counts
        year = year + (dates.dt.month.to_numpy(dtype=float, na_value=np.nan) > 6)
    elif (timing == "next_year") == start:  # next_year starts late, approval_year ends late
        year = year + 1
    year[missing] = np.inf
    return year.astype(np.int64) if start else year


def _expand_whole_island(zones: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Replace each province-wide zone by one row per prefecture-level unit it treats."""
    island = zones["city_code"].isin(list(WHOLE_ISLAND)).to_numpy()
    if not island.any():
        return zones, {}
    rows = zones[island]
    treats = [WHOLE_ISLAND[int(c)] for c in rows["city_code"]]
    expanded = rows.loc[rows.index.repeat([len(t) for t in treats])].copy()
    expanded["city_code"] = np.concatenate(treats).astype(np.int64)
    others = set(zones.loc[~island, "city_code"].tolist())
    info = {
        int(code): {"treats": WHOLE_ISLAND[int(code)],
                    "earlier": [c for c in WHOLE_ISLAND[int(code)] if c in others],
                    "approval_date": rows.loc[rows["city_code"] == code, "approval_date"].min()}
        for code in np.unique(rows["city_code"])
    }
    return pd.concat([zones[~island], expanded], ignore_index=True), info


def _switch_offs(codes: np.ndarray, start: np.ndarray, end: np.ndarray,
                 revoked: list[int]) -> tuple[dict, dict]:
    """First untreated period (and any restart) of the prefectures of revoked zones.

    A prefecture's zones are spells ``[start, end)``; the spells are merged in order of their
    start and the treatment ends at the first gap (or never, when a zone in force covers it).
    Only the few prefectures of revoked zones are visited.
    """
    ends: dict[int, int] = {}
    restarts: dict[int, int] = {}
    for code in revoked:
        mine = codes == code
        order = np.argsort(start[mine], kind="stable")
        s, e = start[mine][order], end[mine][order]
        covered = e[0]
        for s_i, e_i in zip(s[1:], e[1:], strict=True):
            if s_i > covered:  # a gap: switched off, then on again
                restarts[code] = int(s_i)
                break
            covered = max(covered, e_i)
        if np.isfinite(covered):
            ends[code] = int(covered)
    return ends, restarts


def _parents(zones: pd.DataFrame) -> pd.Index:
    codes = np.unique(zones.loc[zones["county_level"].to_numpy(), "city_code"])
    return pd.Index(codes.astype(np.int64), name="city_code")


def _selected_zones(batches: Iterable[int] | str | None,
                    extra: pd.DataFrame | None) -> pd.DataFrame:
    """Registry rows (and validated ``extra`` rows) of the selected batches.

    ``None`` selects :data:`DEFAULT_BATCHES` and every ``extra`` row; ``"all"`` every row.
    """
    cols = ["city_code", "approval_date", "batch", "county_level", "revoked_date"]
    zones = _zones()[cols]
    if batches is None:  # the default sample: registry batches 1-7, every extra row
        zones = zones[zones["batch"].isin(DEFAULT_BATCHES).to_numpy()]
    if extra is not None:
        zones = pd.concat([zones, _validate_extra(extra)], ignore_index=True)
    if batches is None or (isinstance(batches, str) and batches == "all"):
        return zones.reset_index(drop=True)
    wanted = _validate_batches(batches, np.unique(zones["batch"]))
    return zones[zones["batch"].isin(wanted).to_numpy()].reset_index(drop=True)


def _validate_batches(batches: Iterable[int], available: np.ndarray) -> list[int]:
    if isinstance(batches, (str, bytes)) or not isinstance(batches, Iterable):
        raise SpecificationError(
            "batches must be an iterable of batch numbers such as [1, 2, 3] or 'all'; "
            f"got {batches!r}."
        )
    values = list(batches)
    if not values:
        raise SpecificationError(
            "batches is empty. Pass None for all batches, or at least one batch number, "
            f"e.g. [1, 2]. Available: {examples(available, 10)}."
        )
    bad = [
        b for b in values if isinstance(b, bool) or not isinstance(b, (int, np.integer))
    ]
    if bad:
        raise SpecificationError(
            f"batches must hold integers; got {len(bad)} other value(s): {examples(bad)}. "
            "Use e.g. batches=[1, 2, 3]."
        )
    unknown = sorted(set(int(b) for b in values) - set(int(a) for a in available))
    if unknown:
        raise SpecificationError(
            f"batches {examples(unknown)} not found. Available batches: "
            f"{examples(available, 10)}. Add a batch with extra=DataFrame(...)."
        )
    return [int(b) for b in values]


def _validate_extra(extra: pd.DataFrame) -> pd.DataFrame:
    """Check a user's extra zones and return them in the internal form (a new frame)."""
    if not isinstance(extra, pd.DataFrame):
        raise SpecificationError(
            "extra must be a pandas DataFrame with columns 'city_code', "
            f"'approval_date', 'batch'; got {type(extra).__name__}."
        )
    check_columns(extra, _EXTRA_REQUIRED, what="extra column", renamed=_RENAMED)
    n = len(extra)
    code = pd.to_numeric(extra["city_code"], errors="coerce")
    bad = extra["city_code"][code.isna() | (code % 1 != 0)]
    if len(bad):
        raise SpecificationError(
            f"extra['city_code'] must hold integer codes; {len(bad)} of {n} rows do not: "
            f"{examples(bad)}. Use 6-digit GB/T 2260 codes such as 460400."
        )
    code = code.astype(np.int64)
    known = set(_cities()["city_code"])
    unknown = code[~code.isin(known)]
    if len(unknown):
        raise SpecificationError(
            f"extra['city_code'] has {len(unknown)} code(s) not in the prefecture "
            f"universe: {examples(unknown.unique())}. Use the current prefecture-level code "
            "(see load_cities(); e.g. 莱芜 371200 is now 济南 370100, a county-level city maps "
            "to its prefecture)."
        )
    date = pd.to_datetime(extra["approval_date"], errors="coerce")
    bad = extra["approval_date"][date.isna()]
    if len(bad):
        raise SpecificationError(
            f"extra['approval_date'] must hold dates; {len(bad)} of {n} rows cannot be read: "
            f"{examples(bad)}. Use e.g. '2025-04-15'."
        )
    if isinstance(date.dtype, pd.DatetimeTZDtype):
        date = date.dt.tz_localize(None)
    batch = pd.to_numeric(extra["batch"], errors="coerce")
    bad = extra["batch"][batch.isna() | (batch % 1 != 0)]
    if len(bad):
        raise SpecificationError(
            f"extra['batch'] must hold integers; {len(bad)} of {n} rows do not: "
            f"{examples(bad)}. Use e.g. 8 for the 2025 batch."
        )
    if "county_level" in extra.columns:
        flag = extra["county_level"]
        if flag.isna().any() or not flag.isin([True, False]).all():
            bad = flag[flag.isna() | ~flag.isin([True, False])]
            raise SpecificationError(
                f"extra['county_level'] must hold True/False; {len(bad)} of {n} rows do not: "
                f"{examples(bad)}."
            )
        county = flag.astype(bool).to_numpy()
    elif "zone_code" in extra.columns:
        own = pd.to_numeric(extra["zone_code"], errors="coerce")
        county = (own.isna() | (own != code)).to_numpy()
    else:
        county = np.zeros(n, dtype=bool)
    return pd.DataFrame(
        {
            "city_code": code.to_numpy(),
            "approval_date": date.to_numpy(),
            "batch": batch.astype(np.int64).to_numpy(),
            "county_level": county,
            "revoked_date": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
        }
    )
