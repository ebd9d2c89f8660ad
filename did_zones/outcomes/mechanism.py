"""Mechanism variables from city data: trade, consumption, innovation (issue #18)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import DidZonesWarning, SpecificationError, warn
from ..validation import check_choice, examples
from ._inputs import _TOL, ArrayLike, _flag, _Inputs, _to_float

# --------------------------------------------------------------------------- mechanism variables
#: Money units accepted by the mechanism builders -> multiplier to one unit of the currency.
#: ``10k`` is 万 (10^4), ``100m`` is 亿 (10^8): the units of the city yearbooks.
MONEY_UNITS: dict[str, tuple[str, float]] = {
    "cny": ("cny", 1.0), "cny_10k": ("cny", 1e4), "cny_100m": ("cny", 1e8),
    "usd": ("usd", 1.0), "usd_10k": ("usd", 1e4), "usd_100m": ("usd", 1e8),
}
#: Population units: persons or 万人 (10,000 persons).
POPULATION_UNITS: dict[str, float] = {"persons": 1.0, "10k": 1e4}
#: Log conventions of the builders: ``"log"`` = ln(x), ``"log1p"`` = ln(1 + x), None = level.
LOGS: tuple[str | None, ...] = ("log", "log1p", None)
TRADE_FLOWS: tuple[str, ...] = ("imports", "exports", "total")

Log = Literal["log", "log1p"] | None


def _named(inp: _Inputs, name: str) -> str:
    col = inp.columns.get(name)
    return f"{name!r} (column {col!r})" if col is not None else repr(name)


def _check_positive(inp: _Inputs, name: str, what: str) -> None:
    """Denominators (GDP, population, totals) must be finite and > 0 where present."""
    a = inp.arrays[name]
    bad = np.isinf(a) | (a <= 0)
    if bad.any():
        raise SpecificationError(
            f"{inp.caller}: {_named(inp, name)} has {int(bad.sum())} zero, negative or infinite "
            f"value(s) (e.g. {examples(a[bad])} at rows {examples(inp.labels(bad))}). "
            f"{what} must be finite and > 0; set these values to NaN first if they are "
            "unknown.")


def _check_amounts(inp: _Inputs, names: Sequence[str]) -> None:
    for name in names:
        a = inp.arrays[name]
        bad = np.isinf(a) | (a < 0)
        if bad.any():
            raise SpecificationError(
                f"{inp.caller}: {_named(inp, name)} has {int(bad.sum())} negative or infinite "
                f"value(s) (e.g. {examples(a[bad])} at rows {examples(inp.labels(bad))}). Amounts and "
                "counts must be finite and >= 0; fix them or set them to NaN first.")


def _money(unit: str, name: str, caller: str, currency: str | None = None) -> tuple[str, float]:
    check_choice(name, unit, tuple(MONEY_UNITS))
    cur, factor = MONEY_UNITS[unit]
    if currency is not None and cur != currency:
        raise SpecificationError(
            f"{caller}: {name}={unit!r} is not in {currency.upper()}; use one of "
            f"{examples([u for u, (c, _) in MONEY_UNITS.items() if c == currency])}.")
    return cur, factor


def _plausible(inp: _Inputs, x: np.ndarray, ceiling: float, what: str, fix: str) -> None:
    """Warn when the median ratio is beyond any city's (a unit slip gives x10^4 errors)."""
    finite = x[np.isfinite(x)]
    if finite.size and np.median(finite) > ceiling:
        warn(f"{inp.caller}: the median {what} ratio is {np.median(finite):.4g}, above "
             f"{ceiling:g}, which no city reaches: check {fix}.", DidZonesWarning)


def _apply_log(inp: _Inputs, x: np.ndarray, log: str | None, outcome: str) -> np.ndarray:
    check_choice("log", "none" if log is None else log, ("log", "log1p", "none"))
    if log is None:
        return x
    if log == "log1p":
        return np.log1p(x)
    zero = x == 0
    inp.undefined(zero, "a zero value (its log is -inf; use log='log1p' or log=None)", outcome)
    with np.errstate(divide="ignore"):
        return np.log(np.where(zero, np.nan, x))


def _exchange_rate(exchange_rate, year, inp: _Inputs) -> np.ndarray:
    """CNY per USD for each row, from a number, a row-aligned series or a {year: rate} map."""
    caller = inp.caller
    if exchange_rate is None:
        raise SpecificationError(
            f"{caller}: trade is in USD and GDP in CNY, so an exchange rate is needed. Pass "
            "exchange_rate= in CNY per USD: a number (e.g. 6.8985, the 2019 annual average "
            "central parity), a {year: rate} mapping with year=, or a series aligned with the "
            "rows. The yearbooks' own conversion uses the annual average rate (中国统计年鉴, "
            "table 人民币汇率).")
    if isinstance(exchange_rate, Mapping):
        if year is None:
            raise SpecificationError(
                f"{caller}: exchange_rate is a {{year: rate}} mapping; pass year= (the year of "
                "each row, e.g. df['year']).")
        years = pd.Series(_to_float(year, "year", caller))
        if years.size != inp.size:
            raise SpecificationError(
                f"{caller}: year has {years.size} values but the inputs have {inp.size} rows.")
        rates = {float(k): v for k, v in exchange_rate.items()}
        missing = sorted({y for y in years.dropna().unique() if y not in rates})
        if missing:
            raise SpecificationError(
                f"{caller}: exchange_rate has no rate for year(s) "
                f"{examples([int(y) for y in missing])}; add them to the mapping.")
        rate = years.map(rates).to_numpy(dtype=float)
    else:
        rate = _to_float(exchange_rate, "exchange_rate", caller)
        if rate.ndim and rate.size != inp.size:
            raise SpecificationError(
                f"{caller}: exchange_rate has {rate.size} values but the inputs have "
                f"{inp.size} rows; give one rate per row, a number, or a {{year: rate}} "
                "mapping with year=.")
        rate = np.broadcast_to(rate, (inp.size,)).astype(float)
    bad = ~np.isfinite(rate) | (rate <= 0)
    if bad.any():
        raise SpecificationError(
            f"{caller}: exchange_rate must be finite and > 0 (CNY per USD, about 6-8 since "
            f"2005); {int(bad.sum())} row(s) are not (e.g. {examples(rate[bad])}).")
    return rate


def trade_intensity(
    trade: ArrayLike,
    gdp: ArrayLike,
    *,
    trade_unit: str = "usd_10k",
    gdp_unit: str = "cny_100m",
    exchange_rate: float | ArrayLike | Mapping[int, float] | None = None,
    year: ArrayLike | None = None,
    log: Log = "log",
    name: str = "trade_gdp",
) -> ArrayLike:
    """Trade (imports, exports or both) relative to GDP, in logs: the trade channel.

    ``log(trade × rate × unit_t / (gdp × unit_g))``: trade converted to CNY at the
    exchange rate, divided by GDP, then logged (see ``log``).

    Parameters
    ----------
    trade : pandas.Series, array-like or float
        Imports, exports or their sum (for total trade, add the two columns first). City
        yearbook field: 货物进口额 / 货物出口额 (万美元); with cross-border e-commerce data
        (海关 跨境电商进出口额) the same applies.
    gdp : pandas.Series, array-like or float
        GDP, e.g. CSMAR CRE ``Gdpct01`` (地区生产总值, 亿元).
    trade_unit : str, default "usd_10k"
        Unit of ``trade``: one of :data:`MONEY_UNITS` (``"usd_10k"`` = 万美元, the yearbook
        unit; ``"cny_10k"`` = 万元 when already in yuan).
    gdp_unit : {"cny", "cny_10k", "cny_100m"}, default "cny_100m"
        Unit of ``gdp`` (``"cny_100m"`` = 亿元, CSMAR ``Gdpct01``).
    exchange_rate : float, array-like, Series or mapping {year: rate}, optional
        CNY per USD (e.g. the annual average central parity, 中国统计年鉴 人民币汇率). Required
        when ``trade_unit`` is in USD (there is no default: the rate moved from 8.19 in 2005
        to 6.14 in 2014 and 6.90 in 2019, so a wrong guess shifts the variable by up to 30%);
        refused when both are in CNY. A number for every row, one value per row, or a mapping
        with ``year``.
    year : array-like or Series, optional
        Year of each row, needed with a mapping ``exchange_rate``.
    log : {"log", "log1p", None}, default "log"
        ``"log"``: ln(ratio), the usual form (rows with zero trade become NaN and are
        counted); ``"log1p"``: ln(1 + ratio), defined at zero and close to the ratio itself
        for small ratios; None: the ratio as a fraction.
    name : str, default "trade_gdp"
        Name of the returned Series (e.g. ``"ln_import_gdp"``).

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        The (logged) trade/GDP ratio, a pure number (units cancel).

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric trade; GDP that is zero, negative or infinite; USD
        trade without ``exchange_rate`` (or CNY trade with one); a mapping without ``year`` or
        without a rate for some year; unknown units or ``log``.

    Warns
    -----
    DataDroppedWarning
        With ``log="log"``, rows with zero trade (NaN there, counted).
    DidZonesWarning
        A median trade/GDP ratio above 5 (no city trades five times its GDP): a unit slip.

    Notes
    -----
    Openness as trade over GDP (外贸依存度) is the standard measure of the trade channel of the
    pilot zones (imports for the demand side, exports for the supply side). Papers differ on
    the log: ln(ratio) when trade is positive for every city, ln(1 + ratio) when zeros occur;
    state the choice. Missing inputs give missing output, silently.

    Examples
    --------
    >>> from did_zones.outcomes import trade_intensity
    >>> # 50,000 x 10k USD of imports at 7 CNY/USD against GDP of 1,000 x 100m CNY: ratio 0.035
    >>> round(trade_intensity(50_000.0, 1_000.0, exchange_rate=7.0, log=None), 12)
    0.035
    >>> round(trade_intensity(50_000.0, 1_000.0, exchange_rate={2019: 7.0}, year=[2019]), 6)
    -3.352407
    """
    caller = "trade_intensity"
    t_cur, t_factor = _money(trade_unit, "trade_unit", caller)
    _, g_factor = _money(gdp_unit, "gdp_unit", caller, currency="cny")
    inp = _Inputs({"trade": trade, "gdp": gdp}, caller)
    _check_amounts(inp, ["trade"])
    _check_positive(inp, "gdp", "GDP")
    if t_cur == "usd":
        if year is not None and not isinstance(exchange_rate, Mapping):
            raise SpecificationError(
                f"{caller}: year= is only used with a {{year: rate}} mapping exchange_rate.")
        rate = _exchange_rate(exchange_rate, year, inp)
    else:
        if exchange_rate is not None:
            raise SpecificationError(
                f"{caller}: trade_unit={trade_unit!r} is already in CNY; drop exchange_rate "
                "(or give trade_unit='usd_10k' if the trade figures are in USD).")
        rate = 1.0
    ratio = inp.arrays["trade"] * rate * t_factor / (inp.arrays["gdp"] * g_factor)
    _plausible(inp, ratio, 5.0, "trade / GDP", "trade_unit and gdp_unit (万美元 is 'usd_10k', "
               "亿元 is 'cny_100m')")
    return inp.wrap(_apply_log(inp, ratio, log, name), name)


def per_capita(
    amount: ArrayLike,
    population: ArrayLike,
    *,
    amount_unit: str = "cny_10k",
    population_unit: str = "10k",
    log: Log = "log",
    name: str = "per_capita",
) -> ArrayLike:
    """An amount per person in yuan, in logs: retail sales per capita (consumption upgrading).

    ``log(amount × unit_a / (population × unit_p))``.

    Parameters
    ----------
    amount : pandas.Series, array-like or float
        For consumption upgrading, retail sales of consumer goods (社会消费品零售总额, 万元,
        中国城市统计年鉴); any CNY amount otherwise.
    population : pandas.Series, array-like or float
        Population, e.g. CSMAR CRE ``Eect01`` (年末总人口, 万人; household-registered).
    amount_unit : {"cny", "cny_10k", "cny_100m"}, default "cny_10k"
        Unit of ``amount``.
    population_unit : {"persons", "10k"}, default "10k"
        Unit of ``population`` (``"10k"`` = 万人).
    log : {"log", "log1p", None}, default "log"
        ``"log"``: ln(yuan per person), the usual form; ``"log1p"``: ln(1 + ·); None: yuan
        per person.
    name : str, default "per_capita"
        Name of the returned Series (e.g. ``"ln_retail_pc"``).

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        The (logged) amount per person, in yuan.

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric amounts; population zero, negative or infinite;
        unknown units or ``log``.

    Warns
    -----
    DataDroppedWarning
        With ``log="log"``, rows with a zero amount.

    Notes
    -----
    The denominator matters: ``Eect01`` is the household-registered (户籍) population, which
    overstates per-capita sales in cities with many migrants relative to the resident (常住)
    population behind ``GDP_PerCapita``. Use one consistently.

    Examples
    --------
    >>> from did_zones.outcomes import per_capita
    >>> # 40,000,000 x 10k CNY of retail sales over 1,000 x 10k persons: 40,000 yuan each
    >>> per_capita(40_000_000.0, 1_000.0, log=None)
    40000.0
    """
    caller = "per_capita"
    _, a_factor = _money(amount_unit, "amount_unit", caller, currency="cny")
    check_choice("population_unit", population_unit, tuple(POPULATION_UNITS))
    inp = _Inputs({"amount": amount, "population": population}, caller)
    _check_amounts(inp, ["amount"])
    _check_positive(inp, "population", "Population")
    x = inp.arrays["amount"] * a_factor / (inp.arrays["population"]
                                           * POPULATION_UNITS[population_unit])
    return inp.wrap(_apply_log(inp, x, log, name), name)


def patents_per_10k(
    patents: ArrayLike,
    population: ArrayLike,
    *,
    population_unit: str = "10k",
    log: Log = "log1p",
    name: str = "patents_10k",
) -> ArrayLike:
    """Patents (granted or applied) per 10,000 people, in logs: the innovation channel.

    ``log1p(patents / (population × unit_p / 10^4))``.

    Parameters
    ----------
    patents : pandas.Series, array-like or float
        Patent counts (件): grants (专利授权数) or applications (专利申请数), from the CNIPA
        city tables, city statistical bulletins or CSMAR's regional innovation tables.
        Invention patents alone (发明专利) are the stricter measure.
    population : pandas.Series, array-like or float
        Population, e.g. CSMAR CRE ``Eect01`` (年末总人口, 万人).
    population_unit : {"persons", "10k"}, default "10k"
        Unit of ``population``.
    log : {"log1p", "log", None}, default "log1p"
        ``"log1p"``: ln(1 + patents per 10k), the usual form because small cities have
        years with no grants; ``"log"``: ln(·) (zeros become NaN, counted); None: the count
        per 10,000 people.
    name : str, default "patents_10k"
        Name of the returned Series.

    Returns
    -------
    pandas.Series, numpy.ndarray or float

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric counts; population zero, negative or infinite;
        unknown ``population_unit`` or ``log``.

    Warns
    -----
    DataDroppedWarning
        With ``log="log"``, rows with no patents.

    Examples
    --------
    >>> from did_zones.outcomes import patents_per_10k
    >>> patents_per_10k(3_000.0, 1_000.0, log=None)  # 3,000 grants, 10 million people
    3.0
    >>> round(patents_per_10k(3_000.0, 1_000.0), 12)  # ln(1 + 3)
    1.38629436112
    """
    caller = "patents_per_10k"
    check_choice("population_unit", population_unit, tuple(POPULATION_UNITS))
    inp = _Inputs({"patents": patents, "population": population}, caller)
    _check_amounts(inp, ["patents"])
    _check_positive(inp, "population", "Population")
    persons = inp.arrays["population"] * POPULATION_UNITS[population_unit]
    x = inp.arrays["patents"] / (persons / 1e4)
    return inp.wrap(_apply_log(inp, x, log, name), name)


def rd_share(
    rd: ArrayLike,
    gdp: ArrayLike,
    *,
    rd_unit: str = "cny_10k",
    gdp_unit: str = "cny_100m",
    percent: bool = False,
    name: str = "rd_gdp",
) -> ArrayLike:
    """R&D (or science and technology) expenditure as a share of GDP.

    ``rd × unit_r / (gdp × unit_g)``, a fraction (or percent).

    Parameters
    ----------
    rd : pandas.Series, array-like or float
        R&D expenditure (R&D 经费内部支出, 万元; city statistical bulletins, provincial
        science and technology yearbooks) or, where cities lack it, the budget's science and
        technology expenditure (科学技术支出, 万元, 中国城市统计年鉴), the common proxy: say
        which.
    gdp : pandas.Series, array-like or float
        GDP, e.g. CSMAR CRE ``Gdpct01`` (亿元).
    rd_unit, gdp_unit : {"cny", "cny_10k", "cny_100m"}
        Units (defaults: 万元 and 亿元).
    percent : bool, default False
        Return percent (R&D intensity as published, e.g. 2.4) instead of a fraction.
    name : str, default "rd_gdp"
        Name of the returned Series.

    Returns
    -------
    pandas.Series, numpy.ndarray or float

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric expenditure; GDP zero, negative or infinite;
        unknown units.

    Warns
    -----
    DidZonesWarning
        A median share above 0.2 (no city spends a fifth of its GDP on R&D): a unit slip.

    Examples
    --------
    >>> from did_zones.outcomes import rd_share
    >>> rd_share(24_000.0, 100.0)  # 2.4 x 100m CNY of R&D against GDP of 100 x 100m CNY
    0.024
    >>> round(rd_share(24_000.0, 100.0, percent=True), 12)
    2.4
    """
    caller = "rd_share"
    _, r_factor = _money(rd_unit, "rd_unit", caller, currency="cny")
    _, g_factor = _money(gdp_unit, "gdp_unit", caller, currency="cny")
    _flag(caller, "percent", percent)
    inp = _Inputs({"rd": rd, "gdp": gdp}, caller)
    _check_amounts(inp, ["rd"])
    _check_positive(inp, "gdp", "GDP")
    x = inp.arrays["rd"] * r_factor / (inp.arrays["gdp"] * g_factor)
    _plausible(inp, x, 0.2, "R&D / GDP", "rd_unit and gdp_unit (万元 is 'cny_10k', 亿元 is "
               "'cny_100m')")
    return inp.wrap(x * 100.0 if percent else x, name)


def development_share(
    total: ArrayLike,
    *,
    transport: ArrayLike,
    education: ArrayLike,
    health: ArrayLike,
    household: ArrayLike | None = None,
    other: ArrayLike | None = None,
    percent: bool = False,
    tol: float = 1e-6,
    name: str = "dev_share",
) -> ArrayLike:
    """Share of development-and-enjoyment consumption in total consumption expenditure.

    ``(transport + education + health [+ household] [+ other]) / total``, the consumption-
    upgrading measure of 发展型/享受型消费 in the Chinese literature.

    Parameters
    ----------
    total : pandas.Series, array-like or float
        Consumption expenditure per capita (人均消费支出) of urban (城镇) or all residents,
        from the household survey (statistical yearbooks and bulletins).
    transport : pandas.Series, array-like or float
        Transport and communication (交通通信).
    education : pandas.Series, array-like or float
        Education, culture and recreation (教育文化娱乐).
    health : pandas.Series, array-like or float
        Health care and medical services (医疗保健).
    household : pandas.Series, array-like or float, optional
        Household articles and services (生活用品及服务, formerly 家庭设备用品及服务).
    other : pandas.Series, array-like or float, optional
        Other goods and services (其他用品和服务).
    percent : bool, default False
        Return percent instead of a fraction.
    tol : float, default 1e-6
        Allowed relative excess of the categories' sum over ``total`` (rounding).
    name : str, default "dev_share"
        Name of the returned Series.

    Returns
    -------
    pandas.Series, numpy.ndarray or float
        The share, in [0, 1] (or [0, 100]).

    Raises
    ------
    SpecificationError
        Negative, infinite or non-numeric values; ``total`` zero or negative; categories
        summing to more than ``total`` (with the count of rows).

    Notes
    -----
    The National Bureau of Statistics splits consumption into eight categories (since 2013):
    food, tobacco and liquor; clothing; housing; household articles and services; transport
    and communication; education, culture and recreation; health care; other. Food,
    clothing and housing are subsistence consumption (生存型); the rest is development and
    enjoyment consumption (发展享受型). Two definitions are in use: the narrow one, the
    three development categories (transport and communication, education/culture/
    recreation, health care: the required arguments), and the broad one, all five non-
    subsistence categories (add ``household`` and ``other``), which equals one minus the
    subsistence share. State which one a table uses.

    References
    ----------
    石明明, 江舟, 周小焱 (2019). 消费升级还是消费降级. 中国工业经济, (7).
    National Bureau of Statistics of China, 居民收支与生活状况调查 (household survey): the
    eight-category classification of consumption expenditure.

    Examples
    --------
    >>> from did_zones.outcomes import development_share
    >>> round(development_share(30_000.0, transport=4_000.0, education=3_500.0,
    ...                         health=2_500.0), 12)
    0.333333333333
    """
    caller = "development_share"
    _flag(caller, "percent", percent)
    tol = _TOL("tol", tol)
    parts = {"transport": transport, "education": education, "health": health}
    if household is not None:
        parts["household"] = household
    if other is not None:
        parts["other"] = other
    inp = _Inputs({"total": total, **parts}, caller)
    _check_amounts(inp, list(parts))
    _check_positive(inp, "total", "Total consumption expenditure")
    num = np.sum([inp.arrays[p] for p in parts], axis=0)
    t = inp.arrays["total"]
    over = num > t * (1.0 + tol)
    if over.any():
        raise SpecificationError(
            f"{caller}: the categories sum to more than total in {int(over.sum())} of "
            f"{inp.size} row(s) (rows {examples(inp.labels(over))}). Check that total and the "
            "categories share one unit and population (per capita, urban or all residents).")
    x = num / t
    return inp.wrap(x * 100.0 if percent else x, name)
