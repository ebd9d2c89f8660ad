"""Aggregations of Callaway & Sant'Anna ATT(g,t): simple, event time, cohort, calendar time.

A port of the conventions of R ``did::aggte``: weights proportional to cohort shares
``P(G = g)``, whose estimation enters the influence function (``wif``), and the same
selection of cells for each summary. The result is an ordinary :class:`~did_zones.Result`
whose influence functions can be aggregated or tested further.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..estimands import tag
from ..inference import check_clusters
from ..result import Result
from ..validation import ALPHA, Choice, Integer, Seed, validated
from ..vocabulary import AGGREGATIONS, Aggregation
from ._cs_inference import bootstrap, bootstrap_vcov, influence_vcov, new_seed
from ._small_cells import (
    DEFAULT_MIN_COHORT_SIZE,
    SmallCells,
    check_small_cells,
    exclusion_note,
    mark_small,
    pool_adjacent,
    pooling_note,
    range_label,
    warn_small_cells,
)
from ._windows import event_window

_EXCLUDED = ("their ATT(g,t) get zero weight in every average, the overall ones included (the "
             "cells are still estimated and reported)")

__all__ = ["aggregate"]

Kind = Aggregation  # the kinds of aggregation (did_zones.vocabulary.AGGREGATIONS)


class _AggregateKeys(TypedDict):
    weights: Any
    kind: str
    cohort_share: Any


class AggregateExtra(_AggregateKeys, total=False):
    """The ``extra`` mapping of an :func:`aggregate` result: ``weights`` (documented in its
    Returns), ``kind`` (the aggregation), ``cohort_share`` (of the input result), and
    ``vcov_analytic`` / ``bootstrap_draws`` only with the bootstrap."""

    vcov_analytic: Any
    bootstrap_draws: Any


@validated(kind=Choice(AGGREGATIONS), balance=Integer(min=0, allow_none=True), seed=Seed(),
           alpha=ALPHA)
def aggregate(
    result: Result,
    kind: Kind = "simple",
    *,
    window: Sequence[float] | None = None,
    balance: int | None = None,
    n_boot: int | None = None,
    seed: int | None = None,
    alpha: float = 0.05,
    min_cohort_size: int | None = None,
    small_cells: SmallCells | None = None,
) -> Result:
    """Aggregate group-time effects into an overall, event-time, cohort or calendar summary.

    Parameters
    ----------
    result : Result
        From :func:`~did_zones.callaway_santanna`.
    kind : {"simple", "event", "cohort", "calendar"}
        ``"simple"``: post-treatment ATT(g,t) averaged with weights ∝ cohort size.
        ``"event"``: one term per event time ``e = t − g``, averaging the cohorts observed at
        ``e`` with weights ∝ cohort size; ``"overall"`` averages the ``e ≥ 0`` terms.
        ``"cohort"``: per cohort, the mean of its post-treatment ATT(g,t); ``"overall"``
        weights cohorts by size. ``"calendar"``: per period, the size-weighted mean of the
        cohorts treated by then; ``"overall"`` averages the periods.
    window : (min_e, max_e), optional
        Event times kept (R's ``min_e``, ``max_e``). ``max_e`` also limits the
        post-treatment cells of ``"simple"`` and ``"cohort"`` (as R; ``min_e`` has no
        effect there). Either end may be None.
    balance : int, optional
        ``"event"`` only (R's ``balance_e``): keep cohorts observed for at least ``balance``
        periods after treatment, and event times from ``balance − (T_max − T_min)`` to
        ``balance``.
    n_boot : int, optional
        Multiplier-bootstrap draws (standard errors and a uniform band over the per-e /
        per-g / per-t terms). None inherits ``n_boot`` (and, when ``seed`` is None, the seed
        and multiplier distribution) from ``result`` — R's ``aggte`` inherits ``bstrap``;
        0 forces analytic standard errors.
    seed : int, optional
        Bootstrap seed.
    alpha : float
        Level of the uniform band.
    min_cohort_size : int, optional
        Threshold of the small-cell rule; None (default) takes the one recorded in
        ``result.spec`` (:func:`~did_zones.callaway_santanna`'s ``min_cohort_size``, 5).
    small_cells : {"flag", "exclude", "pool"}, optional
        What to do with terms resting on fewer than ``min_cohort_size`` treated units;
        None (default) takes ``result.spec["small_cells"]`` ("flag"), so a result can be
        re-aggregated under another policy without re-estimating. ``"flag"``: estimate
        everything, mark and warn. ``"exclude"``: cohorts smaller than
        ``min_cohort_size`` get zero weight in every term and every overall average; terms
        left without cells (or resting on fewer units) are dropped. ``"pool"``: adjacent
        small terms are merged along the aggregation's axis — event times (never across
        e < 0 / e >= 0), cohorts, or periods — until each rests on ``min_cohort_size``
        units; ``"simple"`` and every ``"overall"`` term are unchanged. See Notes.

    Returns
    -------
    Result
        Primary term ``"overall"`` first, then ``"ATT(e=k)"``, ``"ATT(g=k)"`` or
        ``"ATT(t=k)"`` terms with keys ``event_time``, ``cohort`` or ``time`` and
        ``n_cells``, ``n_treated_units`` (the treated units the term rests on: the units of
        the cohorts with non-zero weight in it — for ``"overall"`` all of them) and
        ``small_cell`` (``n_treated_units < min_cohort_size``). A pooled term is named by
        its range (``"ATT(e=4..5)"``, ``"ATT(g=2015..2016)"``, ``"ATT(t=2016..2017)"``)
        and its keys hold the lower end in ``event_time`` / ``cohort`` / ``time`` and the
        upper end in ``event_time_high`` / ``cohort_high`` / ``time_high`` (these columns
        exist with ``small_cells="pool"`` only). ``influence`` holds the aggregated unit
        influence functions; ``extra["weights"]`` (:class:`AggregateExtra`) the weight of
        each ATT(g,t) cell in each term (without the estimated-weight correction, which
        only enters the influence function).

    Raises
    ------
    SpecificationError
        ``result`` is not a Callaway–Sant'Anna result, invalid options, or nothing left to
        aggregate (e.g. a window without post-treatment event times).

    Notes
    -----
    Cohort shares are ``p_g = mean_i(w_i 1{G_i = g})`` over the units of ``result``
    (sampling weights ``w``). A weighted mean ``Σ_k p_{g_k} θ_k / Σ_k p_{g_k}`` has the
    influence function ``Σ_k (p_k/Σp) ψ_k + Σ_k θ_k ω_k`` with
    ``ω_k = (w 1{G = g_k} − p_k)/Σp − p_k Σ_j (w 1{G = g_j} − p_j)/(Σp)²`` (R ``did``'s
    ``wif``); the overall event-time and calendar summaries are plain means of their terms
    and get no such term (as R). Cells the estimator skipped are left out (R's
    ``na.rm = TRUE``). Standard errors: ``sqrt(Σ ψ²)/n`` (cluster sums when clustered),
    normal inference, or the bootstrap as in :func:`callaway_santanna`.

    Small cohorts (:mod:`did_zones.estimators._small_cells`; the warning quotes how far a
    nominal 5% cluster-robust test is off with 1, 3 or 6 treated clusters): a cohort's
    size is its number of units in ``result`` (unweighted). With ``"exclude"`` the cells
    of cohorts below ``min_cohort_size`` are removed before the weights are formed, so the
    shares ``p_g``, the weights and the estimated-weight term of the influence function
    are those of the remaining cohorts (exactly as if the small cohorts' cells had not
    been estimated). With ``"pool"`` a pooled event-time or calendar term is the
    size-weighted mean of all the ATT(g,t) in its range, ``Σ_k p_{g_k} θ_k / Σ_k p_{g_k}``
    (a cohort observed at two pooled event times counts twice, as in R's per-e weights),
    and a pooled cohort term is the size-weighted mean of its cohorts' terms; both carry
    the estimated-weight term above. The overall summaries are computed from the unpooled
    terms, so pooling changes the display of the per-term estimates, never the overall
    number.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
    periods. Journal of Econometrics 225(2), 200–230, Section 3.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from did_zones import build_panel, callaway_santanna, aggregate
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(12), 3), "year": np.tile([1, 2, 3], 12)})
    >>> df["g"] = np.where(df["unit"] < 6, 2, 0)
    >>> df["y"] = df["unit"] + df["year"] + ((df["g"] == 2) & (df["year"] >= 2)) * df["year"]
    >>> res = callaway_santanna(build_panel(df, "unit", "year", cohort="g"), "y")
    >>> aggregate(res, "event").estimate.round(6).to_dict()
    {'overall': 2.5, 'ATT(e=0)': 2.0, 'ATT(e=1)': 3.0}
    """
    if isinstance(result, Result) and result.method == "etwfe":
        from .etwfe import etwfe_aggregate  # regression-based cells: delta method, not IFs

        if balance is not None:
            raise SpecificationError(
                f"balance={balance!r} applies to Callaway-Sant'Anna results; etwfe's event "
                "aggregation averages the cells it has. Restrict the event times with "
                "window=(lo, hi), or balance the panel first (Panel.window / drop_units).")
        return etwfe_aggregate(result, kind, window=window)
    if isinstance(result, Result) and result.method == "dml_did":
        from .dml import dml_aggregate  # DoubleML's fixed-weight aggregation of DML cells

        return dml_aggregate(result, kind, window=window)
    if not isinstance(result, Result) \
            or result.method not in ("callaway_santanna", "triple_difference"):
        raise SpecificationError(
            "aggregate needs a Result from callaway_santanna; got "
            f"{getattr(result, 'method', type(result).__name__)!r} (or the ATT(g,t) of "
            "triple_difference, result.extra['att_gt']).")
    if "unit_cohort" not in result.extra:
        raise SpecificationError(
            "aggregate needs group-time effects ATT(g,t); this result is already an "
            "aggregation. Pass the ATT(g,t) result (for triple_difference: "
            "result.extra['att_gt']).")
    min_e, max_e = event_window(window)
    if balance is not None and kind != "event":
        raise SpecificationError(f"balance applies to kind='event' only; got kind={kind!r}.")
    n_boot, seed, boot_kind = _boot_options(result, n_boot, seed)
    k, policy = check_small_cells(
        result.spec.get("min_cohort_size", DEFAULT_MIN_COHORT_SIZE)
        if min_cohort_size is None else min_cohort_size,
        result.spec.get("small_cells", "flag") if small_cells is None else small_cells)

    cells = _Cells.from_result(result)
    small_notes: list[str] = []

    def build_terms():
        if kind == "event":
            return _event(cells, balance, min_e, max_e)
        build = {"simple": _simple, "cohort": _cohort, "calendar": _calendar}[kind]
        return build(cells, max_e)

    source = (f"Callaway–Sant'Anna aggregate ({kind})" if result.method == "callaway_santanna"
              else f"triple-difference aggregate ({kind})")
    if policy == "exclude" and (cells.size < k).any():
        before = build_terms()[0]
        small = _exclude_cohorts(cells, k)
        names, keys, W, wif_sets, overall = build_terms()
        # every term left rests on >= k units (each of its cohorts does): the terms dropped
        # are those left without cells
        lost = [n for n in before if n not in names]
        small_notes.append(exclusion_note(source, cells.cohorts[small].tolist(),
                                          int(cells.size[small].sum()), k, _EXCLUDED, lost))
    else:
        names, keys, W, wif_sets, overall = build_terms()
    est, psi, W = _combine(cells, W, wif_sets, overall)
    if overall is not None:
        names = ["overall"] + names
        head = pd.DataFrame({"cohort": [np.nan], "time": [np.nan], "event_time": [np.nan],
                             "n_cells": [int((W[0] != 0).sum())]})
        keys = pd.concat([head, keys], ignore_index=True)
    keys = _tag_overall(keys, kind, min_e, max_e) if names[0] == "overall" else keys
    if policy == "pool" and kind != "simple":
        names, keys, est, psi, W = _pool(cells, k, kind, names, keys, est, psi, W)
        pooled = [n for n in names if ".." in n]
        if pooled and kind == "event":
            small_notes.append(pooling_note(source, pooled, k))
    keys = mark_small(keys, cells.units_of(W), k)
    small = keys["small_cell"].to_numpy()
    msg = warn_small_cells(
        source,
        dict(zip(np.asarray(names)[small].tolist(),
                 keys["n_treated_units"].to_numpy()[small].tolist(), strict=True)),
        k, policy)
    small_notes += [msg] if msg else []

    notes = list(result.notes)
    skipped = result.extra.get("skipped_cells")
    if skipped is not None and len(skipped):
        notes.append(f"{len(skipped)} ATT(g,t) cell(s) could not be estimated and are left out "
                     "of the aggregation (R's na.rm = TRUE).")
    cluster = result.extra.get("cluster")
    vcov_a = influence_vcov(psi, cluster)
    vcov, crit = vcov_a, None
    notes += [n for n in small_notes if n]
    extra: dict = {"weights": pd.DataFrame(W, index=names, columns=result.terms),
                   "kind": kind, "cohort_share": result.extra["cohort_share"]}
    if n_boot:
        band = np.array([n != "overall" for n in names])
        boot = bootstrap(psi, n_boot, seed, cluster, boot_kind, alpha,
                         band=band if band.any() else None)
        vcov = bootstrap_vcov(vcov_a, boot.std_error)
        crit = boot.crit_value if band.any() else None
        labels = pd.Index(names, name="term")
        extra["vcov_analytic"] = pd.DataFrame(vcov_a, index=labels, columns=labels)
        extra["bootstrap_draws"] = boot.draws
        if boot.note:
            notes.append(boot.note)
    if cluster is not None:
        check_clusters(result.n_clusters, result.spec.get("cluster"))
    spec = dict(result.spec)
    spec.update({"aggregation": kind, "window": (min_e, max_e), "balance": balance,
                 "n_boot": n_boot or None, "seed": seed, "alpha": alpha,
                 "min_cohort_size": k, "small_cells": policy,
                 "se": "bootstrap" if n_boot else "influence"})
    return Result.create(
        est, vcov, names, keys=keys, method=result.method, outcome=result.outcome,
        spec=spec, n_obs=result.n_obs, n_units=result.n_units, n_clusters=result.n_clusters,
        df=None, primary="overall", influence=psi, influence_index=result.influence_index,
        crit_value=crit, notes=tuple(dict.fromkeys(notes)), extra=extra,
        panel_fingerprint=result.panel_fingerprint, panel_shape=result.panel_shape,
    )


# --------------------------------------------------------------------------- options


def _tag_overall(keys: pd.DataFrame, kind: str, min_e: float, max_e: float) -> pd.DataFrame:
    """Name the estimand of the "overall" term (row 0)."""
    if kind == "event":  # equal-weighted mean of ATT(e) over the post event times shown
        et = keys["event_time"].to_numpy(dtype=float)[1:]
        post = et[et >= 0]
        return tag(keys, 0, "event_average", post.min(), post.max())
    if kind == "simple":
        return tag(keys, 0, "simple_att", 0 if np.isfinite(max_e) else np.nan,
                   max_e if np.isfinite(max_e) else np.nan)
    return tag(keys, 0, "cohort_average" if kind == "cohort" else "calendar_average")


def _boot_options(result: Result, n_boot, seed) -> tuple[int, int | None, str]:
    spec = result.spec
    kind = spec.get("boot_weights", "rademacher")
    if n_boot is None:
        n_boot = spec.get("n_boot") or 0
        if n_boot and seed is None:
            seed = spec.get("seed")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) \
            or n_boot < 0 or n_boot == 1:
        raise SpecificationError(
            f"n_boot must be None, 0 (analytic) or an integer of at least 2; got {n_boot!r}.")
    return int(n_boot), (new_seed(seed) if n_boot else seed), kind


# ----------------------------------------------------------------------------- cells


class _Cells:
    """The ATT(g,t) of a result with R aggte's bookkeeping (positions of t and g in the
    sorted union of periods and cohorts, cohort shares, per-unit cohort indicators)."""

    def __init__(self, att, psi, g, t, share, unit_cohort, unit_w):
        self.att, self.psi, self.g, self.t = att, psi, g, t
        union = np.unique(np.concatenate([t, g]))
        self.gpos = np.searchsorted(union, g) + 1.0
        self.tpos = np.searchsorted(union, t) + 1.0
        self.union = union
        self.cohorts = np.unique(g)
        self.pgg = share.reindex(self.cohorts).to_numpy(dtype=float)
        self.gidx = np.searchsorted(self.cohorts, g)
        self.pg = self.pgg[self.gidx]
        # w_i 1{G_i = g} − p_g, one column per cohort: the estimated-weight terms
        onehot = unit_cohort[:, None] == self.cohorts[None, :]
        self.Z = unit_w[:, None] * onehot - self.pgg
        self.size = onehot.sum(axis=0).astype(float)  # units per cohort (unweighted)
        self.use = np.ones(self.att.size, dtype=bool)  # cells allowed in the averages

    def units_of(self, W: np.ndarray) -> np.ndarray:
        """Treated units each row of ``W`` rests on: the units of the cohorts with a
        non-zero weight in it."""
        by_cohort = np.zeros((W.shape[0], self.cohorts.size), dtype=bool)
        rows, cols = np.nonzero(W)
        by_cohort[rows, self.gidx[cols]] = True
        return by_cohort @ self.size

    @classmethod
    def from_result(cls, r: Result) -> _Cells:
        keys = r.keys
        ex = r.extra
        return cls(r.estimate.to_numpy(), np.asarray(r.influence), keys["cohort"].to_numpy(float),
                   keys["time"].to_numpy(float), ex["cohort_share"], ex["unit_cohort"],
                   ex["unit_weights"])

    @property
    def k(self) -> int:
        return self.att.size


def _weights_row(c: _Cells, sel: np.ndarray, pg: bool = True) -> np.ndarray:
    w = np.zeros(c.k)
    if pg:
        w[sel] = c.pg[sel] / c.pg[sel].sum()
    else:
        w[sel] = 1.0 / sel.sum()
    return w


def _fmt(v: float) -> str:
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"


def _simple(c: _Cells, max_e: float):
    keep = (c.gpos <= c.tpos) & (c.tpos <= c.gpos + max_e) & c.use
    if not keep.any():
        raise SpecificationError("No post-treatment ATT(g,t) to aggregate.")
    W = _weights_row(c, keep)[None, :]
    keys = pd.DataFrame({"cohort": [np.nan], "time": [np.nan], "event_time": [np.nan],
                         "n_cells": [int(keep.sum())]})
    return ["overall"], keys, W, [keep], None


def _event(c: _Cells, balance, min_e: float, max_e: float):
    e = c.t - c.g
    eseq = np.unique(e)
    include = np.ones(c.k, dtype=bool)
    if balance is not None:
        t_max, t_min = c.t.max(), c.union.min()
        eseq = eseq[(eseq <= balance) & (eseq >= balance - t_max + t_min)]
        include = (t_max - c.g) >= balance
    eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
    sets = [(e == v) & include & c.use for v in eseq]
    eseq = np.array([v for v, s in zip(eseq, sets, strict=True) if s.any()])
    sets = [s for s in sets if s.any()]
    if not (eseq >= 0).any():
        raise SpecificationError(
            "No event time e >= 0 left to aggregate (check window= and balance=).")
    W = np.vstack([_weights_row(c, s) for s in sets])
    names = [f"ATT(e={_fmt(v)})" for v in eseq]
    keys = pd.DataFrame({"cohort": np.nan, "time": np.nan, "event_time": eseq.astype(float),
                         "n_cells": [int(s.sum()) for s in sets]})
    return names, keys, W, sets, ("mean", eseq >= 0)


def _cohort(c: _Cells, max_e: float):
    rows, names, n_cells, groups = [], [], [], []
    for gi, g in enumerate(c.cohorts):
        sel = (c.gidx == gi) & (c.gpos <= c.tpos) & (c.tpos <= c.gpos + max_e) & c.use
        if sel.any():  # cohorts without estimated post cells drop out (R's na.rm)
            rows.append(_weights_row(c, sel, pg=False))
            names.append(f"ATT(g={_fmt(g)})")
            n_cells.append(int(sel.sum()))
            groups.append(gi)
    if not rows:
        raise SpecificationError("No cohort has a post-treatment ATT(g,t) to aggregate.")
    keys = pd.DataFrame({"cohort": c.cohorts[groups], "time": np.nan, "event_time": np.nan,
                         "n_cells": n_cells})
    return names, keys, np.vstack(rows), [None] * len(rows), ("cohorts", np.array(groups))


def _calendar(c: _Cells, max_e: float):
    times = np.unique(c.t)
    times = times[times >= c.g[c.use].min()] if c.use.any() else times[:0]
    sets = [(c.t == t) & (c.g <= t) & c.use for t in times]
    times = np.array([t for t, s in zip(times, sets, strict=True) if s.any()])
    sets = [s for s in sets if s.any()]
    if not sets:
        raise SpecificationError("No post-treatment ATT(g,t) to aggregate.")
    W = np.vstack([_weights_row(c, s) for s in sets])
    names = [f"ATT(t={_fmt(t)})" for t in times]
    keys = pd.DataFrame({"cohort": np.nan, "time": times, "event_time": np.nan,
                         "n_cells": [int(s.sum()) for s in sets]})
    return names, keys, W, sets, ("mean", np.ones(times.size, dtype=bool))


# ------------------------------------------------------------------------ small cells


def _exclude_cohorts(c: _Cells, k: int) -> np.ndarray:
    """Give the cells of cohorts with fewer than ``k`` units zero weight (``c.use``); the
    mask of those cohorts. Every remaining term then rests on at least ``k`` units (each of
    its cohorts does), so no further term needs dropping for its size."""
    small = c.size < k
    if small.all():
        shown = ", ".join(f"{_fmt(g)}: {int(n)}" for g, n in zip(c.cohorts, c.size,
                                                                  strict=True))
        raise SpecificationError(
            f"small_cells='exclude' leaves nothing to aggregate: every cohort has fewer than "
            f"{k} units (cohort: units — {shown}). Use small_cells='flag' or 'pool', or a "
            "smaller min_cohort_size.")
    c.use = ~small[c.gidx]
    return small


def _pool(c: _Cells, k: int, kind: str, names, keys, est, psi, W):
    """Pool adjacent per-term rows (row 0, "overall", stays) until each rests on ``k``
    units; exact estimates, influence functions and weights of the pooled terms."""
    axis = {"event": "event_time", "cohort": "cohort", "calendar": "time"}[kind]
    labels = keys[axis].to_numpy(dtype=float)[1:]
    rows = W[1:]
    members = [set(c.gidx[np.flatnonzero(r)].tolist()) for r in rows]
    sizes = dict(enumerate(c.size.tolist()))
    blocks = (labels >= 0) if kind == "event" else None
    gid = pool_adjacent(labels, members, sizes, k, blocks)
    out_names, out_keys = [names[0]], [keys.iloc[[0]]]
    out_est, out_psi, out_w = [est[:1]], [psi[:, :1]], [W[:1]]
    prefix = {"event": "e", "cohort": "g", "calendar": "t"}[kind]
    for g in range(int(gid.max()) + 1 if gid.size else 0):
        js = np.flatnonzero(gid == g)
        key = keys.iloc[[1 + js[0]]].copy()
        key[axis + "_high"] = labels[js[-1]]
        if js.size == 1:
            out_names.append(names[1 + js[0]])
            out_est.append(est[1 + js]), out_psi.append(psi[:, 1 + js])
            out_w.append(W[1 + js])
        else:
            if kind == "cohort":  # size-weighted mean of the cohorts' terms
                gs = np.searchsorted(c.cohorts, labels[js])
                share = c.pgg[gs] / c.pgg[gs].sum()
                e_j = share @ est[1 + js]
                p_j = psi[:, 1 + js] @ share + _wif(c, est[1 + js], c.pgg[gs], gs)
                w_j = share @ W[1 + js]
            else:  # size-weighted mean of every ATT(g,t) in the range
                sel = (W[1 + js] != 0).any(axis=0)
                w_j = _weights_row(c, sel)
                e_j = w_j @ c.att
                p_j = c.psi @ w_j + _wif(c, c.att[sel], c.pg[sel], c.gidx[sel])
            out_names.append(f"ATT({prefix}={range_label(labels[js])})")
            out_est.append([e_j]), out_psi.append(p_j[:, None]), out_w.append(w_j[None, :])
            key["n_cells"] = int((w_j != 0).sum())
        out_keys.append(key)
    keys = pd.concat(out_keys, ignore_index=True)
    keys.loc[0, axis + "_high"] = np.nan
    return (out_names, keys, np.concatenate([np.ravel(e) for e in out_est]),
            np.column_stack(out_psi), np.vstack(out_w))


# ------------------------------------------------------------------------ combination


def _wif(c: _Cells, theta: np.ndarray, pg: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``Σ_k θ_k ω_k``: the estimated-weight part of a size-weighted mean's influence
    function (R did's ``wif``), for cells (or cohorts) whose cohort columns are ``cols``."""
    z = c.Z[:, cols]
    s = pg.sum()
    return z @ theta / s - z.sum(axis=1) * (pg @ theta) / s**2


def _combine(c: _Cells, W, sets, overall):
    est = W @ c.att
    psi = c.psi @ W.T
    for j, sel in enumerate(sets):
        if sel is not None:
            psi[:, j] += _wif(c, c.att[sel], c.pg[sel], c.gidx[sel])
    if overall is None:  # "simple": the single term is already the overall one
        return est, psi, W
    how, which = overall
    if how == "mean":
        o_est = est[which].mean()
        o_psi = psi[:, which].mean(axis=1)
        o_w = W[which].mean(axis=0)
    else:  # cohorts weighted by their shares, with the estimated-weight term
        share = c.pgg[which] / c.pgg[which].sum()
        o_est = est @ share
        o_psi = psi @ share + _wif(c, est, c.pgg[which], which)
        o_w = share @ W
    return (np.concatenate([[o_est], est]), np.column_stack([o_psi, psi]),
            np.vstack([o_w, W]))
