"""The three equations on one common sample, and the stepwise decision sequences.

``fit_equations`` runs :func:`did_zones.twfe` three times (Y on D; each M on D; Y on D
and all M) on the same rows. ``decide`` walks the Baron–Kenny (1986), 温忠麟等 (2004) or
温忠麟–叶宝娟 (2014) sequence and returns the steps and the conclusion. Decisions are
numbers and labels only; sentences live in :mod:`did_zones.tables`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..design import FESpec
from ..errors import DataDroppedWarning, EstimationError, warn
from ..estimators.twfe import twfe
from ..panel import Panel
from ..result import Result
from ..validation import examples

__all__ = ["Equations", "common_sample", "fit_equations", "decide", "CONCLUSIONS"]

CONCLUSIONS = ("full mediation", "partial mediation", "suppression", "no mediation",
               "inconclusive")
STEP_COLUMNS = ["step", "mediator", "test", "statistic", "p_value", "decision"]


@dataclass(frozen=True, eq=False)
class Equations:
    """Fits of the three equations on one sample (internal)."""

    panel: Panel  # the panel with rows outside the common sample masked (NaN)
    total: Result
    first_stage: dict[str, Result]
    outcome_model: Result
    notes: tuple[str, ...]
    n_dropped: int


def common_sample(panel: Panel, outcome: str, mediators: Sequence[str],
                  controls: Sequence[str]) -> tuple[Panel, tuple[str, ...], int]:
    """Mask every row where Y, a mediator or a control is missing, in a copy of the panel.

    Returns the masked panel (outcome and mediators set to NaN outside the common sample,
    so every regression drops the same rows, singletons included), the note, the count.
    """
    cols = [outcome, *mediators, *controls]
    finite = {c: np.isfinite(panel.column(c)) for c in cols}
    keep = np.logical_and.reduce(list(finite.values()))
    n_drop = int((~keep).sum())
    if n_drop == 0:
        return panel, (), 0
    by_col = {c: int((~f).sum()) for c, f in finite.items() if (~f).any()}
    units = panel.units[np.unique(panel.unit_id[~keep])]
    note = (f"{n_drop} row(s) of {panel.n_obs} dropped so that the three equations share one "
            f"sample (missing values: {by_col}; {len(units)} unit(s) affected, e.g. "
            f"{examples(units)}).")
    warn(note, DataDroppedWarning)
    masked = {c: np.where(keep, panel.column(c).astype(float), np.nan)
              for c in (outcome, *mediators)}
    return panel.with_columns(masked, overwrite=True), (note,), n_drop


def _clean_notes(result: Result, ours: tuple[str, ...], panel_notes: tuple[str, ...]) -> Result:
    """Replace twfe's note on the masked rows by ours (it would blame the outcome)."""
    kept = tuple(n for n in result.notes
                 if n not in panel_notes and "dropped for missing values in" not in n)
    return replace(result, notes=tuple(panel_notes) + ours + kept)


def fit_equations(panel: Panel, outcome: str, mediators: Sequence[str], *,
                  controls: Sequence[str], fixed_effects: Sequence[FESpec],
                  cluster, alpha: float, outcome_equation: bool = True,
                  parents: Mapping[str, Sequence[str]] | None = None) -> Equations:
    """Y = cD, M_j = a_j D and (optionally) Y = c'D + Σ b_j M_j by TWFE on one sample.

    ``parents`` (serial mediation) adds, per mediator, the earlier mediators to its
    equation: ``M_j = a_j D + Σ_k d_jk M_k``; their coefficients must be identified.
    """
    parents = parents or {}
    masked, note, n_drop = common_sample(panel, outcome, mediators, controls)
    opts = {"fixed_effects": fixed_effects, "cluster": cluster, "alpha": alpha}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        total = twfe(masked, outcome, controls=controls, **opts)
        first = {m: twfe(masked, m, controls=(*parents.get(m, ()), *controls), **opts)
                 for m in mediators}
        out = None
        if outcome_equation:
            out = twfe(masked, outcome, controls=(*mediators, *controls), **opts)
    seen = set()
    for w in caught:  # three fits repeat the same warnings: pass each on once
        text = str(w.message)
        if text in seen or "dropped for missing values in" in text:
            continue
        seen.add(text)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    lost = [f"{k} -> {m}" for m, r in first.items() for k in parents.get(m, ())
            if k in r.extra["dropped_controls"]]
    if lost:
        raise EstimationError(
            f"Serial link(s) {lost} are collinear with the treatment, the fixed effects or "
            "the other mediators in the mediator equations, so d is not identified. Drop the "
            "redundant mediator or use mediators that vary within units over time."
        )
    if out is not None:
        lost = [m for m in mediators if m in out.extra["dropped_controls"]]
        if lost:
            raise EstimationError(
                f"Mediator(s) {lost} are collinear with the treatment, the fixed effects or "
                "the other mediators in the outcome equation, so b is not identified. Drop "
                "the redundant mediator or use a mediator that varies within units over time."
            )
        keys = out.keys.copy()
        keys.loc[list(mediators), "role"] = "mediator"
        out = replace(_clean_notes(out, note, tuple(panel.notes)), keys=keys)
    total = _clean_notes(total, note, tuple(panel.notes))
    first = {m: _clean_notes(r, note, tuple(panel.notes)) for m, r in first.items()}
    return Equations(panel=masked, total=total, first_stage=first, outcome_model=out,
                     notes=note, n_dropped=n_drop)


# ------------------------------------------------------------------------ decisions


def _row(step, mediator, test, statistic, p_value, decision) -> dict:
    return {"step": step, "mediator": mediator, "test": test, "statistic": statistic,
            "p_value": p_value, "decision": decision}


def decide(rule: str, *, mediator: str, alpha: float, c: tuple[float, float, float],
           a: tuple[float, float, float] | None, b: tuple[float, float, float] | None,
           c_prime: tuple[float, float, float], sobel: tuple[float, float, float] | None,
           boot: tuple[float, float, float, bool] | None,
           ) -> tuple[list[dict], str, float]:
    """Walk one decision sequence.

    Parameters
    ----------
    rule : {"wen2014", "wen2004", "baron_kenny"}
    c, a, b, c_prime : (estimate, statistic, p_value)
        ``a`` and ``b`` None for the total indirect effect of several mediators (then the
        sequence starts at the test of the indirect effect itself).
    sobel : (estimate a·b, z, p) or None
    boot : (estimate a·b, z, p, interval excludes 0) or None

    Returns
    -------
    steps : list of dict (rows of ``MediationResult.steps``)
    conclusion : str, one of ``CONCLUSIONS``
    share : float
        ``a·b / c`` for mediation, ``|a·b / c'|`` for suppression, NaN otherwise.
    """
    rows: list[dict] = []
    sig = lambda t: t[2] < alpha  # noqa: E731
    ab = (sobel or boot)[0] if (sobel or boot) else a[0] * b[0]
    c_sig = sig(c)
    if rule == "wen2014":
        rows.append(_row(1, mediator, "c: D -> Y", c[1], c[2],
                         "significant: mediation framing" if c_sig else
                         "not significant: suppression framing; continue"))
        indirect_ok: bool | None = None
        if a is not None:
            both = sig(a) and sig(b)
            rows.append(_row(2, mediator, "a: D -> M", a[1], a[2],
                             "significant" if sig(a) else "not significant"))
            rows.append(_row(2, mediator, "b: M -> Y | D", b[1], b[2],
                             "significant" if sig(b) else "not significant"))
            if both:
                indirect_ok = True
                rows[-1]["decision"] += "; a and b significant: indirect effect significant"
        if indirect_ok is None:
            if boot is None:
                rows.append(_row(3, mediator, "bootstrap a*b", np.nan, np.nan,
                                 "no bootstrap: cannot decide"))
                return rows, "inconclusive", np.nan
            indirect_ok = boot[3]
            rows.append(_row(3, mediator, "bootstrap a*b (interval)", boot[1], boot[2],
                             "interval excludes 0: indirect effect significant" if boot[3]
                             else "interval covers 0: stop, no indirect effect"))
            if not indirect_ok:
                return rows, "no mediation", np.nan
        return _direct_and_signs(rows, mediator, 4, ab, c, c_prime, sig, rule)
    # wen2004 and baron_kenny stop when c is not significant
    rows.append(_row(1, mediator, "c: D -> Y", c[1], c[2],
                     "significant: continue" if c_sig else "not significant: stop"))
    if not c_sig:
        return rows, "no mediation", np.nan
    if a is None:  # total indirect effect of several mediators: test it directly
        test = boot if rule == "wen2014" or sobel is None else sobel
        ok = test[3] if len(test) == 4 else sig(test)
        rows.append(_row(2, mediator, "delta-method sum(a*b)", test[1], test[2],
                         "significant" if ok else "not significant: stop"))
        if not ok:
            return rows, "no mediation", np.nan
        return _direct_and_signs(rows, mediator, 3, ab, c, c_prime, sig, rule)
    rows.append(_row(2, mediator, "a: D -> M", a[1], a[2],
                     "significant" if sig(a) else "not significant"))
    rows.append(_row(2 if rule == "wen2004" else 3, mediator, "b: M -> Y | D", b[1], b[2],
                     "significant" if sig(b) else "not significant"))
    if sig(a) and sig(b):
        return _direct_and_signs(rows, mediator, 3 if rule == "wen2004" else 4, ab, c,
                                 c_prime, sig, rule)
    if rule == "baron_kenny":
        rows[-1]["decision"] += ": stop (a and b must both be significant)"
        return rows, "no mediation", np.nan
    ok = sig(sobel)
    rows.append(_row(4, mediator, "Sobel z of a*b", sobel[1], sobel[2],
                     "significant: indirect effect significant" if ok else
                     "not significant: stop, no indirect effect"))
    if not ok:
        return rows, "no mediation", np.nan
    return _direct_and_signs(rows, mediator, 5, ab, c, c_prime, sig, rule)


def _direct_and_signs(rows, mediator, step, ab, c, c_prime, sig, rule):
    """Test c' (full vs partial) and compare the signs of a·b and c' (suppression).

    Baron–Kenny's "|c'| < |c|" needs no separate test: with c = c' + a·b it holds exactly
    when a·b and c' have the same sign.
    """
    if not sig(c_prime):
        rows.append(_row(step, mediator, "c': D -> Y | M", c_prime[1], c_prime[2],
                         "not significant: only the indirect effect (full mediation)"))
        share = ab / c[0] if c[0] != 0 else np.nan
        return rows, "full mediation", share
    same = np.sign(ab) == np.sign(c_prime[0])
    rows.append(_row(step, mediator, "c': D -> Y | M", c_prime[1], c_prime[2],
                     "significant: direct effect remains"))
    rows.append(_row(step + 1, mediator, "sign(a*b) vs sign(c')", np.nan, np.nan,
                     "same sign: partial mediation, share a*b/c" if same else
                     "opposite signs: suppression (遮掩效应), share |a*b/c'|"))
    if same:
        return rows, "partial mediation", ab / c[0] if c[0] != 0 else np.nan
    return rows, "suppression", abs(ab / c_prime[0])


def steps_frame(rows: list[dict]) -> pd.DataFrame:
    """The decision sequence as a DataFrame with the standard columns."""
    return pd.DataFrame(rows, columns=STEP_COLUMNS)
