"""Text and tables for every result type: the renderers behind ``summary()`` / ``to_table()``.

The result classes live in numerical modules that never import this package; their
``summary()``, ``to_table()`` (and ``MediationResult.verdict``) call
:func:`did_zones._render.render`, which finds the functions registered here. Registration is
by dotted class name, so importing :mod:`did_zones.tables` does not import the estimators.
Every renderer reads the result's ``tidy()``, ``glance()``, ``spec`` and ``notes`` (and the
tables a result carries); none computes a statistic.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .._render import register
from . import _mediation_text
from ._summary import summary_text
from ._table import Table
from .compare import mediation_table
from .descriptive import balance_table
from .regression import regression_table

__all__: list[str] = []

_RESULT = "did_zones.result.Result"
_TEST = "did_zones.result.HypothesisTest"
_MEDIATION = "did_zones.mechanism.result.MediationResult"
_MATCH = "did_zones.robustness.psm.MatchResult"
_HONEST = "did_zones.robustness.honest.HonestResult"
_POWER = "did_zones.robustness.power.PretrendPower"
_BACON = "did_zones.decomposition.BaconDecomposition"
_WEIGHTS = "did_zones.decomposition.TwfeWeights"
_DRAWS = "did_zones.resample.BootstrapDraws"


def _g(v: Any) -> str:
    """A number in the short general format; blank for missing."""
    if v is None:
        return ""
    try:
        return "" if v != v else f"{v:.6g}"  # NaN -> blank
    except (TypeError, ValueError):
        return str(v)


def _frame_text(df: pd.DataFrame, digits: int = 6) -> str:
    return df.to_string(index=False, float_format=lambda v: f"{v:.{digits}g}", na_rep="")


def _integral(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Periods and cohorts held as floats (NaN/inf allowed) shown as integers."""
    out = df.copy()
    for c in columns:
        v = out[c]
        finite = v.map(lambda x: isinstance(x, float) and math.isfinite(x))
        if finite.any() and (v[finite] % 1 == 0).all():
            out[c] = [int(x) if f else x for x, f in zip(v, finite, strict=True)]
    return out


def _notes(notes: tuple[str, ...], bullet: str = "  - ") -> list[str]:
    return ["", "Notes:"] + [f"{bullet}{n}" for n in notes] if notes else []


# ------------------------------------------------------------------------- Result
register(_RESULT, "summary")(summary_text)


@register(_RESULT, "table")
def _result_table(result: Any, **options: Any) -> Table:
    from dataclasses import replace

    from .zh_notes import translate_note

    table = regression_table([result], **options)
    base = result.glance().iloc[0]["inference"]
    line = (f"推断方法：{translate_note(base)}。" if options.get("language") == "zh"
            else f"Inference: {base}.")
    return replace(table, notes=(*table.notes, line))


# ------------------------------------------------------------------ HypothesisTest
@register(_TEST, "summary")
def _test_summary(test: Any) -> str:
    g = test.glance().iloc[0]
    df = "" if g["df1"] is None else (
        f", df = {_g(g['df1'])}" + ("" if g["df2"] is None else f", {_g(g['df2'])}"))
    return (f"{g['test']}: {g['distribution']} statistic = {_g(g['statistic'])}{df}, "
            f"p = {_g(g['p_value'])}")


@register(_TEST, "table")
def _test_table(test: Any, digits: int = 3, title: str | None = None) -> Table:
    t = test.tidy()
    t["df"] = t["df"].map(lambda d: ", ".join(_g(x) for x in d) if isinstance(d, tuple)
                          else _g(d))
    return Table.from_frame(t, title=title if title is not None else test.name, digits=digits)


# ----------------------------------------------------------------- MediationResult
register(_MEDIATION, "summary")(_mediation_text.summary)
register(_MEDIATION, "verdict")(_mediation_text.verdict)


@register(_MEDIATION, "table")
def _mediation_table(res: Any, **options: Any) -> Table:
    return mediation_table(res, **options)


# --------------------------------------------------------------------- MatchResult
@register(_MATCH, "summary")
def _match_summary(m: Any) -> str:
    s, g = m.spec, m.glance().iloc[0]
    how = (f"nearest neighbour 1:{s['k']}, caliper {s['caliper']}, "
           f"{'with' if s['replacement'] else 'without'} replacement"
           if s["method"] == "nearest" else f"{s['kernel']} kernel, bandwidth {s['bandwidth']}")
    lines = [f"Propensity-score matching ({how}; period={s['period']!r})",
             f"treated matched: {g['n_treated_matched']}, unmatched: {g['n_unmatched']}, "
             f"controls used: {g['n_controls_used']}", "",
             m.balance.round(3).to_string(), ""]
    lines += [f"Note: {n}" for n in m.notes]
    return "\n".join(lines)


@register(_MATCH, "table")
def _match_table(m: Any, **options: Any) -> Table:
    return balance_table(m, **options)


# -------------------------------------------------------------------- HonestResult
@register(_HONEST, "summary")
def _honest_summary(h: Any) -> str:
    g = h.glance().iloc[0]
    name = "Mbar" if g["restriction"] == "relative_magnitude" else "M"
    lines = [f"HonestDiD sensitivity: {g['restriction']} ({g['method']}), "
             f"target {h.spec.get('term')}, alpha={g['alpha']}",
             f"original CI: [{g['original_low']:.6g}, {g['original_high']:.6g}]",
             f"{name:>10} {'conf_low':>12} {'conf_high':>12}"]
    for _, row in h.tidy().iterrows():
        lines.append(f"{row['m']:>10.4g} {row['conf_low']:>12.6g} {row['conf_high']:>12.6g}")
    lines.append(f"breakdown {name}: {g['breakdown']:.6g}")
    lines += [f"note: {n}" for n in h.notes]
    return "\n".join(lines)


@register(_HONEST, "table")
def _honest_table(h: Any, digits: int = 3, title: str | None = None) -> Table:
    g = h.glance().iloc[0]
    t = h.tidy()[["m", "conf_low", "conf_high"]]
    name = "Mbar" if g["restriction"] == "relative_magnitude" else "M"
    notes = (f"Original {100 * (1 - g['alpha']):g}% CI: [{_g(g['original_low'])}, "
             f"{_g(g['original_high'])}]; breakdown {name}: {_g(g['breakdown'])}.",
             *h.notes)
    return Table.from_frame(t.rename(columns={"m": name}), digits=digits, notes=notes,
                            title=title if title is not None else
                            f"HonestDiD ({g['restriction']}, {g['method']}), target "
                            f"{g['target']}")


# ------------------------------------------------------------------- PretrendPower
@register(_POWER, "summary")
def _power_summary(p: Any) -> str:
    g = p.glance().iloc[0]
    lines = [f"Pre-trend power (Roth 2022) of the {g['method']} event study: {g['n_pre']} "
             f"pre and {g['n_post']} post period(s), reference {g['reference']}",
             f"pre-test: some |t| > {_g(g['critical_value'])}; size under parallel trends "
             f"{_g(g['size'])}", "", _frame_text(p.tidy(), 4)]
    return "\n".join(lines + _notes(p.notes))


@register(_POWER, "table")
def _power_table(p: Any, digits: int = 3, title: str | None = None) -> Table:
    g = p.glance().iloc[0]
    return Table.from_frame(
        p.tidy(), digits=digits, notes=(f"Size of the pre-test: {_g(g['size'])}.", *p.notes),
        title=title if title is not None else "Power of the pre-trend test (Roth 2022)")


# ------------------------------------------------------- Bacon decomposition, weights
@register(_BACON, "summary")
def _bacon_summary(b: Any) -> str:
    g = b.glance().iloc[0]
    lines = [f"Goodman-Bacon decomposition  outcome: {g['outcome']}",
             f"observations: {g['n_obs']}   units: {g['n_units']}   comparisons: "
             f"{g['n_comparisons']}",
             f"TWFE coefficient: {_g(g['twfe'])}   decomposition error: "
             f"{_g(g['decomposition_error'])}", "", _frame_text(b.by_type)]
    return "\n".join(lines + _notes(b.notes))


@register(_BACON, "table")
def _bacon_table(b: Any, digits: int = 3, title: str | None = None) -> Table:
    return Table.from_frame(
        b.by_type, digits=digits, notes=b.notes,
        title=title if title is not None else
        f"Goodman-Bacon decomposition: {b.outcome} (TWFE = {_g(b.twfe)})")


@register(_WEIGHTS, "summary")
def _weights_summary(w: Any) -> str:
    g = w.glance().iloc[0]
    lines = [f"TWFE weights (de Chaisemartin & D'Haultfoeuille 2020)  outcome: "
             f"{g['outcome'] or '(none)'}",
             f"observations: {g['n_obs']}   units: {g['n_units']}   treated cells: "
             f"{g['n_cells']}",
             f"beta: {_g(g['beta'])}   positive weights: {g['n_positive']} (sum "
             f"{_g(g['sum_positive'])})   negative weights: {g['n_negative']} (sum "
             f"{_g(g['sum_negative'])})",
             f"sigma_fe: {_g(g['sigma_fe'])}   sigma_fe_opposite: "
             f"{_g(g['sigma_fe_opposite'])}", "",
             _frame_text(w.weights.drop(columns="term"))]
    return "\n".join(lines + _notes(w.notes))


@register(_WEIGHTS, "table")
def _weights_table(w: Any, digits: int = 3, title: str | None = None) -> Table:
    cols = ["cohort", "time", "event_time", "weight", "share", "w", "n_units"]
    return Table.from_frame(
        _integral(w.weights[cols], ["cohort", "time", "event_time"]), digits=digits,
        notes=w.notes,
        title=title if title is not None else f"Weights of the TWFE coefficient: "
        f"{w.outcome or '(no outcome)'}")


# ------------------------------------------------------------------ BootstrapDraws
@register(_DRAWS, "summary")
def _draws_summary(d: Any) -> str:
    g = d.glance().iloc[0]
    lines = [f"Cluster bootstrap: {g['n_boot']} draws of {g['n_clusters']} {g['cluster']!r} "
             f"clusters, seed {g['seed']}, {g['n_failed']} failed", "",
             _frame_text(d.tidy())]
    return "\n".join(lines)


@register(_DRAWS, "table")
def _draws_table(d: Any, digits: int = 3, title: str | None = None) -> Table:
    g = d.glance().iloc[0]
    return Table.from_frame(
        d.tidy(), digits=digits,
        notes=(f"{g['n_boot']} draws of {g['n_clusters']} clusters ({g['cluster']}), seed "
               f"{g['seed']}; {g['n_failed']} failed.",),
        title=title if title is not None else "Cluster bootstrap")


# ------------------------------------------------------------------- EntropyIndex
_ENTROPY = "did_zones.entropy.EntropyIndex"


@register(_ENTROPY, "summary")
def _entropy_summary(r: Any) -> str:
    g = r.glance().iloc[0]
    how = "pooled over all rows" if not g["by"] else f"by {g['by']} ({g['n_groups']} groups)"
    lines = [f"Entropy-weight index {g['name']!r}: {g['n_indicators']} indicators, "
             f"{g['n_obs']} rows, weights {how}, shift {_g(g['shift'])}", "",
             _frame_text(r.tidy().rename(columns={"term": "indicator", "estimate": "weight"}))]
    return "\n".join(lines + _notes(r.notes))


@register(_ENTROPY, "table")
def _entropy_table(r: Any, digits: int = 4, title: str | None = None) -> Table:
    tidy = r.tidy().rename(columns={"term": "indicator", "estimate": "weight"})
    return Table.from_frame(
        tidy, digits=digits, notes=r.notes,
        title=title if title is not None else f"Entropy weights of {r.name}")
