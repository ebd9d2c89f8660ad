"""Regression tables: several models side by side, as Stata's esttab or R's modelsummary.

Reads only ``tidy()``, ``glance()``, ``spec`` and ``notes`` of each :class:`Result`; never
computes a statistic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import pandas as pd

from ..errors import SpecificationError
from ..result import Result
from ..validation import check_alpha, check_choice, examples
from ._table import Table
from .formatting import (
    NotesMode,
    check_digits,
    check_notes,
    check_stars,
    data_notes,
    fmt_int,
    fmt_num,
    label,
    star_legend,
    stars_for,
    words,
)

__all__ = ["regression_table", "coef_cells", "inference_notes", "ROWS", "SE_KINDS", "MARK"]

#: marks an estimate whose p-value (and stars) come from a test replacing the analytic
#: inference (Result.with_inference; tidy()["inference_replaced"])
MARK = "†"

SEKind = Literal["std_error", "statistic", "conf_int"]
SE_KINDS = ("std_error", "statistic", "conf_int")
#: statistics rows a regression table can carry, in display order
ROWS = ("fixed_effects", "controls", "cluster", "n_obs", "n_units", "r2", "r2_within")


def as_results(results: Sequence[Result] | Mapping[str, Result],
               what: str = "results") -> dict[str, Result]:
    """Check ``results`` and name its columns: mapping keys, else ``(1)``, ``(2)``, ..."""
    if isinstance(results, Result):
        results = [results]
    if isinstance(results, Mapping):
        named = {str(k): v for k, v in results.items()}
    elif isinstance(results, Sequence) and not isinstance(results, str):
        named = {f"({k + 1})": r for k, r in enumerate(results)}
    else:
        raise SpecificationError(
            f"{what} must be a list of Result objects or a mapping name -> Result; got "
            f"{type(results).__name__}.")
    if not named:
        raise SpecificationError(f"{what} is empty; give at least one Result.")
    bad = [k for k, v in named.items() if not isinstance(v, Result)]
    if bad:
        raise SpecificationError(
            f"{len(bad)} of the {what} are not did_zones Result objects: {examples(bad)} "
            f"(got {type(named[bad[0]]).__name__}). Pass estimator outputs such as "
            f"did_zones.twfe(...).")
    return named


def coef_cells(row: pd.Series, *, se: str, digits: int, stars: tuple[float, ...]
               ) -> tuple[str, str]:
    """The estimate with stars and the parenthesised uncertainty of one tidy row."""
    top = fmt_num(row["estimate"], digits)
    if top:
        top += stars_for(row["p_value"], stars)
        if bool(row.get("inference_replaced", False)):
            top += MARK
    if se == "conf_int":
        lo, hi = fmt_num(row["conf_low"], digits), fmt_num(row["conf_high"], digits)
        bottom = f"[{lo}, {hi}]" if lo and hi else ""
    else:
        value = fmt_num(row[se], digits)
        bottom = f"({value})" if value else ""
    return top, bottom


def _absorbed(r: Result) -> list | None:
    """The fixed effects a result absorbed (tuples for interactions), or None when its spec
    does not say: ``spec["absorbed"]`` when the estimator's ``fixed_effects`` option is not
    the list itself (etwfe's ``"cohort"`` plus period effects, stacked DiD's
    sub-experiment effects), else ``spec["fixed_effects"]``."""
    fe = r.spec.get("absorbed", r.spec.get("fixed_effects"))
    if fe is None and "fixed_effects" not in r.spec:
        return None
    fe = (fe,) if isinstance(fe, str) else fe or ()
    return [tuple(f) if isinstance(f, (tuple, list)) else f for f in fe]


def _fe_name(fe: object, labels: Mapping[str, str] | None, w: Mapping[str, str]) -> str:
    parts = fe if isinstance(fe, (tuple, list)) else (fe,)
    shown = [label(p, labels) if labels and str(p) in labels else w.get(str(p), str(p))
             for p in parts]
    return w["fe"].format(" × ".join(shown))


def _default_terms(tidies: Mapping[str, pd.DataFrame]) -> list[str]:
    """Union of terms in order of appearance, without control coefficients (shown as the
    Controls row) when the results mark them with ``role == "control"``."""
    terms: list[str] = []
    for t in tidies.values():
        keep = t["role"] != "control" if "role" in t.columns else slice(None)
        for term in t.loc[keep, "term"]:
            if term not in terms:
                terms.append(term)
    if not terms:
        for t in tidies.values():
            terms += [x for x in t["term"] if x not in terms]
    return terms


def regression_table(
    results: Sequence[Result] | Mapping[str, Result],
    *,
    terms: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    stars: Sequence[float] | None = (0.1, 0.05, 0.01),
    se: SEKind = "std_error",
    digits: int = 3,
    rows: Sequence[str] = ("fixed_effects", "controls", "cluster", "n_obs", "r2"),
    language: str = "en",
    title: str | None = None,
    alpha: float = 0.05,
    notes: NotesMode = "all",
) -> Table:
    """Models side by side: coefficients with stars, uncertainty below, model facts.

    Parameters
    ----------
    results : sequence of Result or mapping str -> Result
        The models, one column each. Column headers are the mapping keys, else ``(1)``,
        ``(2)``, ...; the (labelled) outcome of each model is printed above them.
    terms : sequence of str, optional
        Terms to show, in order. Default: every term of any model except those marked as
        controls (``keys["role"] == "control"``), which the Controls row summarises.
    labels : mapping str -> str, optional
        Display text for terms, outcomes, fixed effects and cluster variables (any language).
    stars : sequence of float or None
        p-value thresholds; ``(0.1, 0.05, 0.01)`` prints ``*``, ``**``, ``***`` for
        p < 0.1, 0.05, 0.01 (a strict inequality). ``None`` or ``()``: no stars.
    se : {"std_error", "statistic", "conf_int"}
        What goes below each estimate: the standard error or the t statistic in parentheses,
        or the ``1 - alpha`` confidence interval in brackets.
    digits : int
        Decimals of estimates, uncertainty and R².
    rows : sequence of str
        Model-facts rows, from ``"fixed_effects"``, ``"controls"``, ``"cluster"``,
        ``"n_obs"``, ``"n_units"``, ``"r2"``, ``"r2_within"``. A row is left out when no
        model reports it.
    language : {"en", "zh"}
        Words of the table (Yes/No or 是/否, Observations or 观测值, ...). In Chinese the
        data-handling notes of the models are translated as well.
    title : str, optional
        Caption.
    alpha : float
        Level of the intervals when ``se="conf_int"``.
    notes : {"all", "short", "none"}
        The models' data-handling notes (``Result.notes``: dropped rows, singletons, few
        clusters, ...): ``"all"`` prints each distinct note once, prefixed with the columns
        it concerns; ``"short"`` prints one line counting them; ``"none"`` leaves them out.
        The legend (stars, kind of standard error) is always printed.

    Returns
    -------
    Table
        Notes: the star legend, the kind of uncertainty and its clustering, and every
        model's notes on dropped data, prefixed with the columns they concern.

    Raises
    ------
    SpecificationError
        Empty or non-Result input, a term in ``terms`` that no model has, an unknown row,
        bad ``stars``, ``se``, ``digits``, ``language`` or ``notes``.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> t = dz.regression_table([dz.twfe(panel, "isu"), dz.twfe(panel, "ts")])
    >>> print(t.to_text())  # doctest: +SKIP
    """
    named = as_results(results)
    se = check_choice("se", se, SE_KINDS)
    digits = check_digits(digits)
    star_cuts = check_stars(stars)
    alpha = check_alpha(alpha)
    w = words(language)
    notes = check_notes(notes)
    rows = [rows] if isinstance(rows, str) else list(rows)
    unknown_rows = [r for r in rows if r not in ROWS]
    if unknown_rows:
        raise SpecificationError(
            f"Unknown row(s) {examples(unknown_rows)}; rows may be any of {', '.join(ROWS)}.")
    tidies = {k: r.tidy(alpha=alpha) for k, r in named.items()}
    glances = {k: r.glance().iloc[0] for k, r in named.items()}
    if terms is None:
        terms = _default_terms(tidies)
    else:
        terms = [terms] if isinstance(terms, str) else [str(t) for t in terms]
        known = {t for td in tidies.values() for t in td["term"]}
        missing = [t for t in terms if t not in known]
        if missing:
            raise SpecificationError(
                f"{len(missing)} term(s) in terms are in none of the models: "
                f"{examples(missing)}. Available: {examples(sorted(known), 12)}.")
    cols = list(named)
    body: list[list[str]] = []
    for term in terms:
        top, bottom = [label(term, labels)], [""]
        for k in cols:
            hit = tidies[k].loc[tidies[k]["term"] == term]
            a, b = coef_cells(hit.iloc[0], se=se, digits=digits, stars=star_cuts) \
                if len(hit) else ("", "")
            top.append(a)
            bottom.append(b)
        body += [top, bottom]
    n_coef = len(body)
    body += _fact_rows(named, glances, rows, labels, w, digits)
    header = ("",) + tuple(label(named[k].outcome, labels) for k in cols)
    lines = (_notes(named, se, star_cuts, alpha, labels, w) + inference_notes(tidies, language)
             + result_notes(named, notes, language))
    data = pd.DataFrame(body, columns=["", *cols])
    return Table(data, title=title or "", notes=tuple(lines), header_rows=(header,),
                 rules=(n_coef,) if 0 < n_coef < len(body) else ())


def _fact_rows(named: Mapping[str, Result], glances: Mapping[str, pd.Series],
               rows: Sequence[str], labels: Mapping[str, str] | None,
               w: Mapping[str, str], digits: int) -> list[list[str]]:
    out: list[list[str]] = []
    for row in ROWS:  # fixed display order
        if row not in rows:
            continue
        if row == "fixed_effects":
            have = {k: _absorbed(r) for k, r in named.items()}
            fes: list = []
            for effects in have.values():
                fes.extend(fe for fe in effects or () if fe not in fes)
            for fe in fes:
                cells = ["" if effects is None else w["yes"] if fe in effects else w["no"]
                         for effects in have.values()]
                out.append([_fe_name(fe, labels, w), *cells])
        elif row == "controls":
            if any("controls" in r.spec for r in named.values()):
                out.append([w["controls"]] + [
                    "" if "controls" not in r.spec else
                    (w["yes"] if r.spec["controls"] else w["no"]) for r in named.values()])
        elif row == "cluster":
            if any(r.spec.get("cluster") for r in named.values()):
                cells = []
                for r in named.values():
                    cl = r.spec.get("cluster")
                    if not cl or r.n_clusters is None:
                        cells.append("")
                        continue
                    names = [cl] if isinstance(cl, str) else list(cl)
                    cells.append(f"{fmt_int(r.n_clusters)} "
                                 f"({', '.join(_cluster_name(c, labels, w) for c in names)})")
                out.append([w["cluster"], *cells])
        else:
            key = row
            values = [g.get(key) for g in glances.values()]
            if all(v is None or (isinstance(v, float) and v != v) for v in values):
                continue
            fmt = fmt_int if key in ("n_obs", "n_units") else (lambda v: fmt_num(v, digits))
            out.append([w[key]] + [fmt(v) for v in values])
    return out


def _cluster_name(c: str, labels: Mapping[str, str] | None, w: Mapping[str, str]) -> str:
    if labels and c in labels:
        return labels[c]
    return w.get(c, c) if c in ("unit", "time", "cohort") else c


def _notes(named: Mapping[str, Result], se: str, star_cuts: tuple[float, ...], alpha: float,
           labels: Mapping[str, str] | None, w: Mapping[str, str]) -> list[str]:
    """The legend: stars, what is in parentheses and how it is clustered."""
    notes = []
    if star_cuts:
        notes.append(star_legend(star_cuts) + ".")
    what = w["se_" + se].format(level=f"{100 * (1 - alpha):g}")
    kinds = []
    for r in named.values():
        cl = r.spec.get("cluster", "__absent__")
        if cl == "__absent__":
            continue
        if cl:
            names = [cl] if isinstance(cl, str) else list(cl)
            kinds.append(("clustered", ", ".join(_cluster_name(c, labels, w) for c in names)))
        else:
            kinds.append(("robust", ""))
    zh = "se_std_error_robust" in w
    if kinds and len(set(kinds)) == 1 and len(kinds) == len(named):
        kind, where = kinds[0]
        if zh and se == "std_error":
            # as Chinese journals write it: 括号内为聚类到城市层面的稳健标准误
            what = w["se_std_error_" + kind].format(where)
        elif zh:
            what += "（" + w[kind].format(where) + "）"
        else:
            what += "; " + w[kind].format(where)
    notes.append(what + ("。" if zh else "."))
    return notes


def result_notes(named: Mapping[str, Result], mode: str, language: str) -> list[str]:
    """Each distinct data-handling note of the results once, with the columns it concerns,
    under ``notes=mode`` (see :func:`~did_zones.tables.formatting.data_notes`)."""
    by_note: dict[str, list[str]] = {}
    for k, r in named.items():
        for n in r.notes:
            by_note.setdefault(n, []).append(k)
    shown = data_notes(by_note, mode, language)
    if mode != "all":
        return shown
    w = words(language)
    sep = "、" if language == "zh" else ", "
    return [w["dropped"].format(cols=sep.join(ks), note=n)
            for ks, n in zip(by_note.values(), shown, strict=True)]


def inference_notes(tidies: Mapping[str, pd.DataFrame], language: str = "en") -> list[str]:
    """The notes under a table for its marked estimates (:data:`MARK`): which test each
    p-value comes from and, where the terms record ``n_treated_units``, why the analytic
    standard error is not used (the measured size of a cluster-robust test with that many
    treated clusters). ``tidies``: column name -> ``Result.tidy()``."""
    from ..estimators import understatement
    from .zh_notes import translate_note

    zh = language == "zh"
    by_label: dict[str, list[str]] = {}
    units: list[int] = []
    several = len(tidies) > 1
    for col, t in tidies.items():
        if "inference_replaced" not in t.columns:
            continue
        marked = t.loc[t["inference_replaced"].astype(bool)]
        for _, row in marked.iterrows():
            name = f"{col} {row['term']}" if several else str(row["term"])
            by_label.setdefault(str(row["inference"]), []).append(name)
            n = row.get("n_treated_units")
            if n is not None and not pd.isna(n):
                units.append(int(n))
    sep = "、" if zh else ", "
    lines = [(f"{MARK} {sep.join(terms)}：p 值与显著性星号来自{translate_note(lab)}，"
              "不报告解析 t 统计量。") if zh else
             (f"{MARK} {sep.join(terms)}: p-value and stars from {lab}; no analytic t "
              "statistic is shown.") for lab, terms in by_label.items()]
    if units:
        lo, hi = min(units), max(units)
        span = f"{lo}" if lo == hi else f"{lo}–{hi}"
        clause = understatement(lo)
        lines.append(
            f"{MARK} 这些估计值仅依赖 {span} 个处理单位，其括号内的解析标准误低估了不确定性："
            f"{translate_note(clause)}。" if zh else
            f"{MARK} These estimates rest on {span} treated unit(s), so the analytic "
            f"standard errors in parentheses understate their uncertainty: {clause}.")
    return lines
