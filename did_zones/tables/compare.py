"""Estimator comparison (TWFE vs Callaway-Sant'Anna vs Sun-Abraham vs BJS ...), mediation and
robustness tables. Reads only ``tidy()``, ``glance()``, ``primary``, ``spec`` and ``notes``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..estimands import ESTIMANDS
from ..result import Result
from ..validation import check_alpha, check_choice, examples
from ._mediation_text import serial_notes
from ._table import Table
from .estimand_labels import estimand_label, unavailable_reason
from .formatting import (
    NotesMode,
    check_digits,
    check_notes,
    check_stars,
    data_notes,
    fmt_int,
    label,
    star_legend,
    words,
)
from .names import estimator_name, variation_label
from .regression import (
    SE_KINDS,
    as_results,
    coef_cells,
    inference_notes,
    regression_table,
    result_notes,
)

__all__ = ["comparison_table", "mediation_table", "robustness_table"]


def _event_rows(tidy: pd.DataFrame, primary: str | None) -> dict[float, pd.Series]:
    """event time -> tidy row; where several terms share an event time (e.g. dCDH's DID_M
    and effect_0) the one that is not the headline term wins, else the first."""
    if "event_time" not in tidy.columns:
        return {}
    out: dict[float, pd.Series] = {}
    et = pd.to_numeric(tidy["event_time"], errors="coerce")
    named = (tidy["estimand"].notna().to_numpy() if "estimand" in tidy.columns
             else np.zeros(len(tidy), bool))
    for k in np.flatnonzero(np.isfinite(et.to_numpy(dtype=float)) & ~named):
        e, row = float(et.iloc[k]), tidy.iloc[k]
        if e not in out or (out[e]["term"] == primary and row["term"] != primary):
            out[e] = row
    return out


def comparison_table(
    results: Sequence[Result] | Mapping[str, Result | Sequence[Result]],
    *,
    term_map: str | Mapping[str, str] | None = None,
    event_times: str | Sequence[float] | None = None,
    labels: Mapping[str, str] | None = None,
    stars: Sequence[float] | None = (0.1, 0.05, 0.01),
    se: str = "std_error",
    digits: int = 3,
    language: str = "en",
    title: str | None = None,
    alpha: float = 0.05,
    notes: NotesMode = "all",
) -> Table:
    """Compare estimators: each one's headline effect and, optionally, event-time effects.

    Parameters
    ----------
    results : mapping str -> Result or sequence of Result (or sequence of Result)
        Estimator display name -> result(s), one column each (a sequence is named by
        ``Result.method``; in Chinese by the estimator's Chinese name, e.g.
        "Sun–Abraham 交互加权估计"). Several results in one column (e.g. an estimator's
        simple and event-time aggregations) pool their named estimands; the first gives
        the event-time terms, observations and notes.
    term_map : None, "primary" or mapping str -> str
        None / ``"primary"`` (default): one row per named estimand
        (:mod:`did_zones.estimands`, read from ``keys["estimand"]``), like with like,
        "—" where an estimator does not give it, with a footnote saying why. A mapping
        from column name to term instead shows those terms in one row "Selected term".
    event_times : None, "all", "none" or sequence of numbers
        Event-time rows, matched on ``keys["event_time"]``. None (default): every event time
        of any result, shown when every result has event-time terms, else none. ``"all"``:
        every event time of any result. ``"none"`` or ``()``: headline only. A sequence:
        those event times.
    labels : mapping str -> str, optional
        Display names (columns, outcome, title).
    stars, se, digits, alpha, notes
        As in :func:`regression_table`.
    language : {"en", "zh"}
    title : str, optional
        Caption (default "Estimator comparison" / "估计量比较").

    Returns
    -------
    Table
        Rows: one per named estimand (simple ATT, event-average ATT over e = a..b,
        instantaneous effect, ..., TWFE coefficient), the event-time effects ``e = ...``,
        each with its uncertainty below, then observations. Notes: star legend,
        uncertainty, why a cell is "—", each result's notes.

    Raises
    ------
    SpecificationError
        Empty input, a term_map naming unknown columns or terms, an event time that no
        result has, bad options.
    """
    pooled: dict[str, list[Result]] = {}
    if isinstance(results, Mapping):
        pooled = {str(k): list(v) if isinstance(v, Sequence) and not isinstance(v, str)
                  else [v] for k, v in results.items()}
        as_results({f"{k} ({i + 1})": r for k, rs in pooled.items()
                    for i, r in enumerate(rs)}, "results")
        results = {k: rs[0] for k, rs in pooled.items() if rs}
    named = as_results(results, "results")
    if not isinstance(results, Mapping):
        named = {}
        for r in results:  # type: ignore[union-attr]
            base = estimator_name(r.method, "zh") if language == "zh" else r.method
            name, k = base, 2
            while name in named:
                name, k = f"{base} ({k})", k + 1
            named[name] = r
    se = check_choice("se", se, SE_KINDS)
    digits, star_cuts, alpha = check_digits(digits), check_stars(stars), check_alpha(alpha)
    w = words(language)
    mode = check_notes(notes)
    tidies = {k: r.tidy(alpha=alpha) for k, r in named.items()}
    by_term = term_map is not None and term_map != "primary"
    heads = _headline_terms(named, tidies, term_map) if by_term else {k: None for k in named}
    events = {k: _event_rows(tidies[k], heads[k]) for k in named}
    times = _select_times(events, event_times)

    cols = list(named)
    body: list[list[str]] = []
    dash_notes: list[str] = []
    if by_term:
        top, bottom = [_SELECTED[language]], [""]
        for k in cols:
            row = (tidies[k].loc[tidies[k]["term"] == heads[k]].iloc[0]
                   if heads[k] is not None else None)
            a, b = (coef_cells(row, se=se, digits=digits, stars=star_cuts)
                    if row is not None else ("", ""))
            top.append(a)
            bottom.append(b)
        body += [top, bottom]
    else:
        more = {k: [r.tidy(alpha=alpha) for r in pooled.get(k, [])[1:]] for k in cols}
        found = {k: _estimand_rows([tidies[k], *more[k]]) for k in cols}
        for key in _estimand_order(found):
            name = estimand_label(key[0], *(math.nan if v is None else v for v in key[1:]),
                                  language=language)
            top, bottom, missing = [name], [""], {}
            for k in cols:
                row = found[k].get(key)
                if row is None:
                    reason = unavailable_reason(named[k].method, key[0], language)
                    missing.setdefault(reason, []).append(label(k, labels))
                    top.append("—")
                    bottom.append("")
                else:
                    a, b = coef_cells(row, se=se, digits=digits, stars=star_cuts)
                    top.append(a)
                    bottom.append(b)
            body += [top, bottom]
            sep = "、" if language == "zh" else ", "
            dash_notes += [(f"—（{name}）{sep.join(ks)}：{why}。" if language == "zh"
                            else f"— ({name}) {sep.join(ks)}: {why}.")
                           for why, ks in missing.items()]
    for e in times:
        top, bottom = [w["event"].format(fmt_int(e) if float(e).is_integer() else e)], [""]
        for k in cols:
            row = events[k].get(e)
            a, b = (coef_cells(row, se=se, digits=digits, stars=star_cuts)
                    if row is not None else ("", ""))
            top.append(a)
            bottom.append(b)
        body += [top, bottom]
    n_coef = len(body)
    body.append([w["n_obs"]] + [fmt_int(r.n_obs) for r in named.values()])

    lines = []
    if star_cuts:
        lines.append(star_legend(star_cuts) + ".")
    lines.append(w["se_" + se].format(level=f"{100 * (1 - alpha):g}") +
                 ("。" if language == "zh" else "."))
    if any(c == "" for row in body[:n_coef:2] for c in row[1:]):
        lines.append(w["missing"])
    lines += dash_notes
    lines += inference_notes({k: pd.concat([tidies[k], *(r.tidy(alpha=alpha) for r in
                                                         pooled.get(k, [])[1:])])
                              for k in cols}, language)
    lines += result_notes(named, mode, language)
    outcomes = {label(r.outcome, labels) for r in named.values()}
    header = ("",) + tuple(label(r.outcome, labels) for r in named.values())
    data = pd.DataFrame(body, columns=[w["estimand"], *(label(k, labels) for k in cols)])
    return Table(data, title=w["comparison_title"] if title is None else title,
                 notes=tuple(lines), header_rows=(header,) if len(outcomes) > 1 else (),
                 rules=(n_coef,))


_SELECTED = {"en": "Selected term", "zh": "所选项"}


def _estimand_rows(tidies: Sequence[pd.DataFrame]) -> dict[tuple, pd.Series]:
    """(estimand, e_min, e_max) -> tidy row, over a column's results (first wins)."""
    out: dict[tuple, pd.Series] = {}
    for tidy in tidies:
        if "estimand" not in tidy.columns:
            continue
        for _, row in tidy.loc[tidy["estimand"].notna()].iterrows():
            key = (str(row["estimand"]), _window_end(row.get("e_min")),
                   _window_end(row.get("e_max")))
            out.setdefault(key, row)
    return out


def _estimand_order(found: Mapping[str, Mapping[tuple, pd.Series]]) -> list[tuple]:
    """The estimand rows in vocabulary order, then by window (no window first)."""
    keys = {key for rows in found.values() for key in rows}
    rank = {e: i for i, e in enumerate(ESTIMANDS)}
    return sorted(keys, key=lambda t: (rank.get(t[0], len(rank)), t[1] is not None,
                                       t[1] or 0, t[2] or 0))


def _window_end(v: Any) -> float | None:
    """An end of an estimand's event window; None where it has none (NaN would not be
    equal to itself as part of a row key)."""
    return float(v) if _is_finite(v) or (v is not None and v == math.inf) else None


def _is_finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _headline_terms(named: Mapping[str, Result], tidies: Mapping[str, pd.DataFrame],
                    term_map: str | Mapping[str, str] | None) -> dict[str, str | None]:
    heads = {k: r.primary for k, r in named.items()}
    if term_map is None or term_map == "primary":
        pass
    elif isinstance(term_map, Mapping):
        unknown = [k for k in term_map if k not in named]
        if unknown:
            raise SpecificationError(
                f"term_map names {len(unknown)} column(s) not among the results: "
                f"{examples(unknown)}. Columns: {examples(list(named))}.")
        heads.update({k: str(v) for k, v in term_map.items()})
    else:
        raise SpecificationError(
            f"term_map must be None, 'primary' or a mapping column -> term; got {term_map!r}.")
    for k, t in heads.items():
        if t is not None and t not in set(tidies[k]["term"]):
            raise SpecificationError(
                f"Term {t!r} is not in the result {k!r}; its terms are "
                f"{examples(list(tidies[k]['term']))}. Fix term_map.")
    return heads


def _select_times(events: Mapping[str, Mapping[float, pd.Series]],
                  event_times: str | Sequence[float] | None) -> list[float]:
    every = sorted({e for ev in events.values() for e in ev})
    if event_times is None:
        return every if all(events.values()) else []
    if isinstance(event_times, str):
        check_choice("event_times", event_times, ("all", "none"))
        return every if event_times == "all" else []
    try:
        wanted = [float(e) for e in event_times]
    except (TypeError, ValueError):
        raise SpecificationError(
            f"event_times must be None, 'all', 'none' or a sequence of numbers; got "
            f"{event_times!r}.") from None
    missing = [e for e in wanted if e not in every]
    if missing:
        raise SpecificationError(
            f"{len(missing)} event time(s) are in none of the results: {examples(missing)}. "
            f"Available: {examples(every, 20)}.")
    return wanted


def mediation_table(mediation_result: Any, *, labels: Mapping[str, str] | None = None,
                    **options: Any) -> Table:
    """The stepwise regressions of a mediation analysis side by side.

    Columns: the total effect (D → Y), each first stage (D → M) and the outcome model
    (Y on D and the mediators), by :func:`regression_table`; the notes add the
    analysis' conclusion and notes.

    Parameters
    ----------
    mediation_result : MediationResult
        From :func:`did_zones.mediation`.
    labels : mapping str -> str, optional
    **options
        Passed to :func:`regression_table` (``stars``, ``se``, ``digits``, ``language``,
        ``title``, ``notes``, ...). ``notes`` applies to the analysis' own notes too; its
        conclusion is always printed.

    Returns
    -------
    Table

    Raises
    ------
    SpecificationError
        Not a MediationResult.
    """
    total = getattr(mediation_result, "total", None)
    if not isinstance(total, Result):
        raise SpecificationError(
            f"mediation_table needs a MediationResult from did_zones.mediation; got "
            f"{type(mediation_result).__name__}.")
    models = [total, *mediation_result.first_stage.values()]
    if mediation_result.outcome_model is not None:
        models.append(mediation_result.outcome_model)
    table = regression_table(models, labels=labels, **options)
    language, mode = options.get("language", "en"), options.get("notes", "all")
    model_notes = list(dict.fromkeys(n for m in models for n in m.notes))
    own = [n for n in mediation_result.notes if n not in table.notes]
    if language == "zh":
        extra = [f"{_MEDIATION_ZH.get(mediation_result.method, mediation_result.method)}："
                 f"{_MEDIATION_ZH.get(mediation_result.conclusion, mediation_result.conclusion)}。"]
    else:
        extra = [f"{mediation_result.method}: {mediation_result.conclusion}."]
    extra += serial_notes(mediation_result, language, options.get("digits", 3))
    if mode == "short":  # one count for the models' and the analysis' notes together
        notes = [n for n in table.notes if n not in data_notes(model_notes, "short", language)]
        extra += data_notes(dict.fromkeys([*model_notes, *own]), "short", language)
        table = Table(table.data, title=table.title, notes=tuple(notes),
                      header_rows=table.header_rows, rules=table.rules)
    else:
        extra += data_notes(own, mode, language)
    return Table(table.data, title=table.title, notes=table.notes + tuple(extra),
                 header_rows=table.header_rows, rules=table.rules)


# words of a mediation analysis' method and conclusion in Chinese papers
_MEDIATION_ZH = {
    "channel": "渠道检验", "stepwise": "逐步回归法中介效应检验", "causal": "因果中介分析",
    "serial": "链式中介效应检验",
    "full mediation": "完全中介效应", "partial mediation": "部分中介效应",
    "suppression": "遮掩效应", "no mediation": "无中介效应", "inconclusive": "证据不足",
}


def robustness_table(variations_result: Result, *, labels: Mapping[str, str] | None = None,
                     stars: Sequence[float] | None = (0.1, 0.05, 0.01), digits: int = 3,
                     language: str = "en", title: str | None = None,
                     notes: NotesMode = "all") -> Table:
    """One row per variation of :func:`did_zones.variations`: estimate, uncertainty, sample.

    Parameters
    ----------
    variations_result : Result
        From :func:`did_zones.variations` (terms are the variations; ``keys`` carry
        ``n_obs``, ``n_units`` and ``dropped_units`` where known).
    labels : mapping str -> str, optional
        Display names of the variations.
    stars, digits, language, title, notes
        As in :func:`regression_table`.

    Returns
    -------
    Table

    Raises
    ------
    SpecificationError
        Not a Result, or a bad option.
    """
    if not isinstance(variations_result, Result):
        raise SpecificationError(
            f"robustness_table needs the Result of did_zones.variations; got "
            f"{type(variations_result).__name__}.")
    w = words(language)
    digits, star_cuts, mode = check_digits(digits), check_stars(stars), check_notes(notes)
    tidy = variations_result.tidy()
    body = []
    for _, row in tidy.iterrows():
        a, b = coef_cells(row, se="std_error", digits=digits, stars=star_cuts)
        name = (labels[row["term"]] if labels and row["term"] in labels
                else variation_label(row["term"], language))
        body.append([name, a, b,
                     fmt_int(row["n_obs"]) if "n_obs" in row else "",
                     fmt_int(row["n_units"]) if "n_units" in row else ""])
    cols = ["", label(variations_result.outcome, labels), "", w["n_obs"], w["n_units"]]
    cols[2] = w["se"]
    lines = ([star_legend(star_cuts) + "."] if star_cuts else []) + data_notes(
        variations_result.notes, mode, language)
    return Table(pd.DataFrame(body, columns=cols), title=title or "", notes=tuple(lines))
