"""Sample and specification variations of one result, in one call.

:func:`variations` re-estimates a result's specification (via
:func:`~did_zones.robustness.rerun.rerun`) on trimmed samples, other windows, other timing
rules of the pilot registry, with one cohort left out each time, and with other pilot
policies controlled for or their cities dropped, and collects the headline coefficient of
every variation in one :class:`~did_zones.result.Result` (one term per variation).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from .._provenance import check_result_panel
from ..errors import DidZonesError, SpecificationError
from ..panel import Panel
from ..result import Result
from ..validation import PANEL, Choice, ResultArg, check, check_columns, examples

__all__ = ["variations", "DROPS"]

#: Sample trims of ``drop=`` and the registry flag (or list) behind each.
DROPS: tuple[str, ...] = ("municipalities", "provincial_capitals", "sub_provincial",
                          "county_level_zones", "coastal")
_FLAG = {"municipalities": "municipality", "provincial_capitals": "provincial_capital",
         "sub_provincial": "sub_provincial", "coastal": "coastal"}
_DEFAULT_DROPS = ("municipalities", "provincial_capitals", "sub_provincial",
                  "county_level_zones")


class VariationsExtra(TypedDict):
    """The ``extra`` mapping of a :func:`variations` result: ``results`` maps each term to
    its full Result."""

    results: dict[str, Any]


def variations(
    result: Result,
    panel: Panel,
    *,
    drop: Sequence[str] = _DEFAULT_DROPS,
    windows: Sequence[tuple[int | None, int | None]] | None = None,
    timing: Sequence[str] = ("approval_year", "next_year"),
    county_level: str = "parent",
    leave_one_cohort_out: bool = True,
    other_policies: Mapping[str, pd.DataFrame | Mapping | pd.Series] | None = None,
    unit_codes: str | None = None,
    term: str | None = None,
) -> Result:
    """Re-estimate ``result`` across sample and specification variations.

    Parameters
    ----------
    result : Result
        A result of any estimator of the library (see :func:`rerun`).
    panel : Panel
        The baseline panel (the one ``result`` was estimated on).
    drop : sequence of str
        Sample trims, each one variation: ``"municipalities"``, ``"provincial_capitals"``,
        ``"sub_provincial"``, ``"coastal"`` (flags of :func:`~did_zones.load_cities`) and
        ``"county_level_zones"`` (the prefectures of :func:`~did_zones.county_level_prefectures`).
    windows : sequence of (start, end), optional
        Periods kept, inclusive (``None`` leaves a side open), each through
        :meth:`Panel.window`.
    timing : sequence of str
        Timing rules of :func:`~did_zones.zone_cohorts` (``"approval_year"``,
        ``"next_year"``, ``"half_year"``): the panel's cohorts are re-derived from the
        registry for each. A rule that reproduces the panel's own cohorts is skipped (noted),
        as it is the baseline.
    county_level : {"parent", "drop"}, default "parent"
        County-level zone coding used when re-deriving cohorts for ``timing``.
    leave_one_cohort_out : bool, default True
        One variation per cohort, dropping its units.
    other_policies : mapping name -> DataFrame or mapping, optional
        Other pilot policies, either in the registry's form (a DataFrame with
        ``city_code``, ``approval_date``, ``batch``; first treated year = approval year)
        or a mapping prefecture code -> first treated year. Two variations each:
        ``"control: <name>"`` adds the policy's DiD term ``1{t >= first year}`` as a control
        (estimators with ``controls=``), ``"drop: <name> cities"`` drops its cities.
    unit_codes : str, optional
        Column of ``panel.data`` holding the prefecture code (GB/T 2260, as in the registry)
        of each unit; default: the unit labels themselves.
    term : str, optional
        The coefficient to collect; default ``result.primary``.

    Returns
    -------
    Result
        Method ``"variations"``, one term per variation in order (``"baseline"``,
        ``"drop: municipalities"``, ``"window: 2012-2021"``, ``"timing: next_year"``,
        ``"leave out cohort 2016"``, ``"control: <name>"``, ``"drop: <name> cities"``), with
        estimate and variance of ``term`` from each re-estimation. ``keys`` has
        ``variation``, ``kind``, ``n_obs``, ``n_units``, ``n_treated_units``,
        ``dropped_units`` (units fewer than the baseline panel) and ``df``.
        ``extra["results"]`` maps each term to its full Result.

    Raises
    ------
    SpecificationError
        Unknown ``drop`` or ``timing`` values, bad ``windows``, a missing ``unit_codes``
        column or one not constant within units, unit codes that are not integers, a policy
        in an unusable form, an unknown ``term``, a result without a primary term, or a
        result estimated on another panel than ``panel`` (see :attr:`Panel.fingerprint`).

    Notes
    -----
    The covariance matrix is diagonal: covariances across variations (which share most of
    their data) are not estimated, so do not test differences between rows with it.
    p-values use the baseline's degrees of freedom (``Result.df``); each variation's own is in
    ``keys["df"]``. A variation that cannot be estimated (e.g. leaving out the only treated
    cohort, a trim that matches no unit) is skipped and named in ``notes``.

    Examples
    --------
    >>> import did_zones as dz
    >>> from did_zones.robustness.variations import variations
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> table = variations(dz.twfe(panel, "isu"), panel, windows=[(2012, 2021)])
    >>> table.terms[:3]
    ['baseline', 'drop: municipalities', 'drop: provincial_capitals']
    >>> int(table.keys.loc["drop: municipalities", "dropped_units"])
    4
    """
    from .rerun import rerun

    drop, windows, timing = _check(result, panel, drop, windows, timing, county_level, term)
    term = term or result.primary
    codes = _unit_codes(panel, unit_codes)
    notes: list[str] = []
    todo: list[tuple[str, str, Any]] = [("baseline", "baseline", lambda: (panel, {}))]
    for name in drop:
        todo.append((f"drop: {name}", "drop", _drop_job(panel, codes, name)))
    for start, end in windows:
        lo = panel.periods.min() if start is None else start
        hi = panel.periods.max() if end is None else end
        label = f"window: {lo}-{hi}"
        todo.append((label, "window", lambda s=start, e=end: (panel.window(s, e), {})))
    for rule in timing:
        todo.append((f"timing: {rule}", "timing",
                     _timing_job(panel, codes, rule, county_level)))
    if leave_one_cohort_out:
        for g in panel.cohorts:
            gone = panel.units[panel.cohort == g]
            todo.append((f"leave out cohort {int(g)}", "leave_out_cohort",
                         lambda u=gone: (panel.drop_units(u), {})))
    for name, policy in (other_policies or {}).items():
        first = _policy_cohorts(name, policy)
        todo.append((f"control: {name}", "control",
                     _control_job(panel, codes, name, first, result)))
        todo.append((f"drop: {name} cities", "drop_policy",
                     _drop_units_job(panel, codes, first.index, f"{name} cities")))

    rows, results = [], {}
    for label, kind, job in todo:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # each variation's own drops are in its notes
                sub, overrides = job()
                res = rerun(result, sub, **overrides)
        except _Skip as exc:
            notes.append(f"Variation {label!r} skipped: {exc}")
            continue
        except DidZonesError as exc:
            if label == "baseline":
                raise
            notes.append(f"Variation {label!r} skipped: it could not be estimated ({exc})")
            continue
        if term not in res.estimate.index:
            notes.append(f"Variation {label!r} skipped: its estimate has no term {term!r}.")
            continue
        results[label] = res
        rows.append({"variation": label, "kind": kind, "estimate": res[term],
                     "variance": float(res.vcov.loc[term, term]), "n_obs": res.n_obs,
                     "n_units": res.n_units,
                     "n_treated_units": int(np.isfinite(sub.cohort).sum()),
                     "dropped_units": panel.n_units - sub.n_units, "df": res.df})
    table = pd.DataFrame(rows)
    base = results["baseline"]
    notes.insert(0, "Covariances across variations are not estimated (vcov is diagonal).")
    ref = "the normal distribution" if base.df is None else f"t with {base.df} df"
    notes.insert(1, f"Term {term!r} of {result.method}; p-values of every row use the "
                    f"baseline's reference distribution ({ref}); each row's own df is in keys.")
    keys = table[["variation", "kind", "n_obs", "n_units", "n_treated_units", "dropped_units",
                  "df"]]
    return Result.create(
        table["estimate"].to_numpy(), np.diag(table["variance"].to_numpy()),
        table["variation"].tolist(), keys=keys, method="variations", outcome=result.outcome,
        spec={"method": result.method, "term": term, "drop": drop, "windows": windows,
              "timing": timing, "county_level": county_level,
              "leave_one_cohort_out": bool(leave_one_cohort_out),
              "other_policies": tuple(other_policies or ()), "unit_codes": unit_codes,
              "result_spec": dict(result.spec)},
        n_obs=base.n_obs, n_units=base.n_units, n_clusters=base.n_clusters, df=base.df,
        primary="baseline", notes=tuple(notes), extra={"results": results},
        panel_fingerprint=panel.fingerprint, panel_shape=(panel.n_units, panel.n_periods))


# ============================================================================= checks
class _Skip(Exception):
    """A variation that does not apply to this panel (reason in the message)."""


def _check(result, panel, drop, windows, timing, county_level, term):
    from ..registry import COUNTY_LEVELS, TIMINGS

    check({"result": ResultArg(), "panel": PANEL}, result=result, panel=panel)
    check_result_panel(result, panel)
    drop = (drop,) if isinstance(drop, str) else tuple(drop or ())
    for d in drop:
        Choice(DROPS)("drop", d)
    timing = (timing,) if isinstance(timing, str) else tuple(timing or ())
    for t in timing:
        Choice(TIMINGS)("timing", t)
    Choice(COUNTY_LEVELS)("county_level", county_level)
    out = []
    for w in windows or ():
        ok = isinstance(w, (tuple, list)) and len(w) == 2 and all(
            v is None or (isinstance(v, (int, np.integer)) and not isinstance(v, bool))
            for v in w)
        if not ok or (w[0] is not None and w[1] is not None and w[0] > w[1]):
            raise SpecificationError(
                f"windows must be a list of (start, end) pairs of int periods (None for an "
                f"open side) with start <= end; got {w!r}. E.g. windows=[(2012, 2021)].")
        out.append((w[0], w[1]))
    if term is None and result.primary is None:
        raise SpecificationError(
            f"The {result.method} result has no primary term; choose one with term=, e.g. "
            f"term={result.terms[0]!r}.")
    if term is not None and term not in result.estimate.index:
        raise SpecificationError(
            f"Term {term!r} is not in the result; its terms are {examples(result.terms)}.")
    return drop, tuple(out), timing


def _unit_codes(panel: Panel, column: str | None) -> pd.Series:
    """Per-unit int prefecture code, indexed by unit label."""
    if column is None:
        raw = pd.Series(panel.units, index=panel.units)
        what = "unit labels"
    else:
        check_columns(panel.data, [column], what="unit_codes column")
        col = panel.data[column]
        per_unit = col.groupby(panel.unit_id).nunique(dropna=False)
        if (per_unit > 1).any():
            bad = panel.units[per_unit.index[per_unit.to_numpy() > 1]]
            raise SpecificationError(
                f"unit_codes column {column!r} is not constant within unit for "
                f"{len(bad)} unit(s), e.g. {examples(bad)}. Give one prefecture code per unit.")
        raw = pd.Series(col.groupby(panel.unit_id).first().to_numpy(), index=panel.units)
        what = f"column {column!r}"
    num = pd.to_numeric(raw, errors="coerce")
    bad = raw[num.isna() | (num % 1 != 0)]
    if len(bad):
        raise SpecificationError(
            f"Prefecture codes must be integers (GB/T 2260, e.g. 330100); {len(bad)} of the "
            f"{what} are not, e.g. {examples(bad.unique())}. Pass unit_codes= naming the "
            "column of prefecture codes.")
    return num.astype(np.int64)


def _policy_cohorts(name: str, policy) -> pd.Series:
    """Prefecture code -> first treated year of another policy."""
    from ..registry import _validate_extra

    if isinstance(policy, pd.DataFrame):
        zones = _validate_extra(policy)
        years = pd.Series(pd.DatetimeIndex(zones["approval_date"]).year.to_numpy(),
                          index=zones["city_code"].to_numpy())
        return years.groupby(level=0).min().astype(float)
    if isinstance(policy, (Mapping, pd.Series)):
        s = pd.Series(policy, dtype=object) if not isinstance(policy, pd.Series) else policy
        years = pd.to_numeric(s, errors="coerce")
        codes = pd.to_numeric(pd.Series(s.index), errors="coerce")
        if years.isna().any() or codes.isna().any() or len(s) == 0:
            raise SpecificationError(
                f"other_policies[{name!r}] must map prefecture codes to first treated years "
                f"(numbers); got e.g. {examples(list(s.items())[:3])}.")
        return pd.Series(years.to_numpy(float), index=codes.astype(np.int64).to_numpy())
    raise SpecificationError(
        f"other_policies[{name!r}] must be a DataFrame in the registry's form "
        "(city_code, approval_date, batch) or a mapping prefecture code -> first year; "
        f"got {type(policy).__name__}.")


# ============================================================================= jobs
def _drop_units_job(panel: Panel, codes: pd.Series, targets, what: str):
    def job():
        gone = codes.index[codes.isin(targets).to_numpy()]
        if len(gone) == 0:
            raise _Skip(f"no unit of the panel is among the {what}.")
        return panel.drop_units(gone), {}
    return job


def _drop_job(panel: Panel, codes: pd.Series, name: str):
    from ..registry import county_level_prefectures, load_cities

    if name == "county_level_zones":
        targets = county_level_prefectures()
        what = "prefectures with a county-level zone"
    else:
        cities = load_cities()
        targets = cities.loc[cities[_FLAG[name]].to_numpy(), "city_code"]
        what = name.replace("_", " ")
    return _drop_units_job(panel, codes, pd.Index(targets), what)


def _timing_job(panel: Panel, codes: pd.Series, rule: str, county_level: str):
    from ..registry import zone_cohorts

    def job():
        registry = zone_cohorts(timing=rule, county_level=county_level)
        found = codes.isin(registry.index).to_numpy()
        if not found.any():
            raise _Skip("no unit of the panel is a pilot prefecture of the registry; check "
                        "unit_codes.")
        # units the registry does not list keep the panel's cohort (a user's own pilots)
        cohort = panel.unit_cohort.copy()
        cohort[found] = registry.reindex(codes[found].to_numpy()).to_numpy(float)
        new = panel.with_cohort(cohort)
        if np.array_equal(new.cohort, panel.cohort) and new.units.equals(panel.units):
            raise _Skip(f"timing {rule!r} gives the panel's own cohorts (the baseline).")
        return new, {}
    return job


def _control_job(panel: Panel, codes: pd.Series, name: str, first: pd.Series,
                 result: Result):
    def job():
        from ..estimators.registry import REGISTRY

        entry = REGISTRY.get(result.method)
        if entry is None or not entry.accepts("controls"):
            raise _Skip(f"{result.method} takes no time-varying controls=.")
        column = "did_" + re.sub(r"\W+", "_", name).strip("_")
        if column in panel.data.columns:
            raise _Skip(f"column {column!r} already exists in the panel.")
        start = codes.map(first).to_numpy(float)[panel.unit_id]
        term = (panel.time_values >= start).astype(float)  # NaN start (not a pilot) -> 0
        if term.min() == term.max():
            raise _Skip(f"the {name} DiD term is constant in the panel "
                        f"({'all' if term[0] else 'no'} unit-periods treated).")
        controls = tuple(result.spec.get("controls", ())) + (column,)
        return panel.with_columns({column: term}), {"controls": controls}
    return job
