"""One call from a city-year table to a Panel with the pilot-zone timing.

:func:`zone_panel` merges a user's prefecture-year frame with the first treated years of the
bundled registry (:func:`~did_zones.registry.zone_cohorts`) and builds the
:class:`~did_zones.panel.Panel`, making the coding choices visible in ``Panel.notes``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from .errors import DataDroppedWarning, PanelError, SpecificationError, warn
from .panel import Panel, build_panel
from .validation import check_choice, check_columns, examples

__all__ = ["zone_panel"]

_BUILD_OPTIONS = ("always_treated", "late_cohorts")


def zone_panel(
    data: pd.DataFrame,
    unit: str,
    time: str,
    *,
    timing: str = "approval_year",
    county_level: str = "parent",
    batches: Iterable[int] | str | None = None,
    extra: pd.DataFrame | None = None,
    revoked: str = "keep",
    **build_panel_options,
) -> Panel:
    """Build a Panel of prefecture-years with the cross-border e-commerce pilot timing.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per prefecture and year (e.g. from :func:`did_zones.read_cre`). Not modified.
    unit : str
        Column of prefecture codes (GB/T 2260, current vintage; municipalities use the
        provincial code, e.g. 110000). Integers, integer-valued floats or strings such as
        ``"330100"`` are accepted; in the panel the column holds int codes.
    time : str
        Column of integer years.
    timing : {"approval_year", "next_year", "half_year"}, default "approval_year"
        When a zone starts to count as treated, see :func:`~did_zones.zone_cohorts`.
    county_level : {"parent", "drop"}, default "parent"
        How zones below prefecture level (义乌, 珲春, 绥芬河, 满洲里, 阿拉山口, 延吉, 同江,
        二连浩特, and 雄安新区) are coded. ``"parent"``: they treat their parent prefecture from their
        approval. ``"drop"``: the parent prefectures are removed from the panel (they are
        partially treated, so they are neither clean treated units nor clean controls), with
        a :class:`~did_zones.errors.DataDroppedWarning` naming them.
    batches : iterable of int or "all", optional
        Batches that count as treatment (default: batches 1-7, plus any batch in
        ``extra``; ``"all"`` adds the 2025 batch 8). Prefectures of other batches are coded
        never-treated.
    extra : pandas.DataFrame, optional
        More zones, as in :func:`~did_zones.zone_cohorts`.
    revoked : {"keep", "end"}, default "keep"
        Revoked zones (海口, 三亚, 阿拉山口, 2025) keep their prefecture treated (``"keep"``)
        or end its treatment (``"end"``), as in :func:`~did_zones.zone_cohorts`. Under
        ``"end"`` a switch-off inside the panel is refused by
        :func:`~did_zones.build_panel`: no estimator handles it.
    **build_panel_options
        ``always_treated`` and ``late_cohorts``, passed to :func:`~did_zones.build_panel`.

    Returns
    -------
    Panel
        ``Panel.notes`` starts with the timing choices; ``Panel.dropped`` lists the parents
        dropped under ``county_level="drop"`` (reason ``"county-level zone parent"``) and any
        always-treated units.

    Raises
    ------
    SpecificationError
        A missing column, an unknown option value (``timing``, ``county_level``, ``batches``,
        ``extra``, ``revoked``), or ``cohort=``/``treatment=``/unknown keywords in ``build_panel_options``.
    PanelError
        Unit codes that cannot be read as integers, a panel left empty after dropping the
        county-level parents, and every error of :func:`~did_zones.build_panel`.

    Warns
    -----
    DataDroppedWarning
        Parents of county-level zones dropped (``county_level="drop"``), and always-treated
        units dropped by :func:`~did_zones.build_panel`.

    Notes
    -----
    Prefectures not in any selected batch are never-treated. Cohorts after the last year of
    the data become never-treated within the sample (``late_cohorts="never"``, noted). Unit
    codes that are not current prefecture-level codes (old codes such as 莱芜 371200, or
    county codes) are kept as never-treated units and listed in the notes: check them.

    Examples
    --------
    >>> import pandas as pd
    >>> from did_zones.zone_timing import zone_panel
    >>> df = pd.DataFrame({"city_code": [330100, 330200, 140100] * 3,
    ...                    "year": [2014] * 3 + [2015] * 3 + [2016] * 3,
    ...                    "y": [1.0, 2.0, 3.0, 2.0, 2.0, 3.0, 3.0, 4.0, 3.0]})
    >>> panel = zone_panel(df, "city_code", "year")  # Hangzhou 2015, Ningbo 2016, Taiyuan 2019
    >>> panel.unit_cohort.to_dict()
    {140100: inf, 330100: 2015.0, 330200: 2016.0}
    >>> panel.notes[0]
    "Pilot timing from the zone registry: timing='approval_year', county_level='parent', batches [1, 2, 3, 4, 5, 6, 7]."
    """
    from .registry import COUNTY_LEVELS, TIMINGS, load_cities, load_zones, zone_cohorts

    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    check_choice("timing", timing, TIMINGS)
    check_choice("county_level", county_level, COUNTY_LEVELS)
    _check_options(build_panel_options)
    check_columns(data, [unit, time])

    df = data.copy()
    df[unit] = _prefecture_codes(df[unit], unit)
    cohorts = zone_cohorts(timing=timing, county_level=county_level, batches=batches,
                           extra=extra, revoked=revoked)
    parents = list(cohorts.attrs["county_level_prefectures"])
    cities = load_cities().set_index("city_code")
    names = cities["name_en"]
    zones = load_zones()
    county_zones = (
        zones[zones["county_level"]].groupby("city_code")["zone_en"].agg(", ".join)
    )

    head = [
        f"Pilot timing from the zone registry: timing={timing!r}, county_level="
        f"{county_level!r}, batches {list(cohorts.attrs['batches'])}."
    ]
    drops = pd.DataFrame(columns=["reason", "n_rows", "n_units", "examples"])
    codes = df[unit]
    present = [p for p in parents if (codes == p).any()]
    labels = [_label(p, names, county_zones) for p in present]
    if county_level == "drop" and present:
        rows = codes.isin(present).to_numpy()
        msg = (
            f"county_level='drop': {len(present)} prefecture(s) containing a county-level "
            f"zone or new area ({int(rows.sum())} rows) were dropped from the panel: "
            f"{'; '.join(labels)}."
        )
        warn(msg, DataDroppedWarning)
        head.append(msg)
        drops = pd.DataFrame(
            [{"reason": "county-level zone parent", "n_rows": int(rows.sum()),
              "n_units": len(present), "examples": examples(present)}]
        )
        df = df.loc[~rows]
        if df.empty:
            raise PanelError(
                "No rows are left after dropping the parents of county-level zones "
                f"({examples(present)}). Use county_level='parent' or add other prefectures."
            )
    elif present:
        head.append(
            f"county_level='parent': {len(present)} prefecture(s) are treated through a "
            f"county-level zone or new area inside them: {'; '.join(labels)}."
        )

    unknown = pd.Index(codes.dropna().unique()).difference(cities.index)
    tail = []
    if len(unknown):
        tail.append(
            f"{len(unknown)} unit code(s) in {unit!r} are not current prefecture-level codes, "
            f"e.g. {examples(unknown.sort_values())}; they are never-treated. Check for old "
            "codes (莱芜 371200 is now part of 济南 370100) and county or district codes "
            "(see did_zones.load_cities())."
        )

    panel = build_panel(df, unit=unit, time=time, cohort=cohorts, **build_panel_options)
    dropped = pd.concat([f for f in (drops, panel.dropped) if len(f)] or [drops],
                        ignore_index=True)
    return replace(panel, notes=tuple(head) + panel.notes + tuple(tail), dropped=dropped)


def _check_options(options: dict) -> None:
    for key in ("cohort", "treatment"):
        if key in options:
            raise SpecificationError(
                f"zone_panel takes the timing from the pilot-zone registry; {key}= is not "
                "allowed. For your own timing use build_panel(data, unit, time, "
                f"{key}=...)."
            )
    unknown = sorted(set(options) - set(_BUILD_OPTIONS))
    if unknown:
        raise SpecificationError(
            f"Unknown option(s) {examples(unknown)}. zone_panel passes only "
            f"{examples(_BUILD_OPTIONS)} to build_panel."
        )


def _prefecture_codes(values: pd.Series, unit: str) -> pd.Series:
    """Unit codes as int64 (Int64 when some are missing, for build_panel to report)."""
    if pd.api.types.is_bool_dtype(values):
        raise PanelError(f"Unit column {unit!r} holds booleans, not prefecture codes.")
    if pd.api.types.is_integer_dtype(values) and not values.isna().any():
        return values.astype(np.int64)
    raw = values.str.strip() if pd.api.types.is_string_dtype(values) else values
    num = pd.to_numeric(raw, errors="coerce")
    arr = num.to_numpy(dtype=float, na_value=np.nan)
    integral = np.zeros(arr.size, dtype=bool)
    finite = np.isfinite(arr)
    integral[finite] = arr[finite] % 1 == 0
    bad = values.notna().to_numpy() & ~integral
    if bad.any():
        raise PanelError(
            f"Unit column {unit!r} must hold prefecture codes (6-digit GB/T 2260, e.g. "
            f"330100); {int(bad.sum())} row(s) cannot be read as integer codes, e.g. "
            f"{examples(values[bad].unique())}. Map names to codes first (see "
            "did_zones.load_cities())."
        )
    if num.isna().any():
        return num.astype("Int64")
    return num.astype(np.int64)


def _label(code: int, names: pd.Series, county_zones: pd.Series) -> str:
    name = names.get(code, "?")
    zone = county_zones.get(code)
    return f"{code} {name}" + (f" ({zone})" if zone else "")
