"""Effects by group (region, coastal, batch, city tier, any unit-level column) and their equality.

Split-sample reruns of a result's specification per group work for any estimator; for TWFE an
interaction regression (treatment × group dummies in one model with the same fixed effects
and clusters) gives a joint vcov, hence an exact Wald test of equal effects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd

from .._provenance import check_result_panel
from ..errors import SpecificationError
from ..panel import Panel
from ..result import Result
from ..validation import PANEL, Choice, ResultArg, check, examples
from .rerun import rerun

__all__ = ["heterogeneity", "BUILTIN_GROUPS"]

Approach = Literal["split", "interaction"]
APPROACHES: tuple[str, ...] = ("split", "interaction")
#: groupings looked up from the bundled registry (``cohort`` from the panel itself)
BUILTIN_GROUPS: tuple[str, ...] = ("region", "coastal", "batch", "city_tier", "cohort")


class HeterogeneityExtra(TypedDict):
    """The ``extra`` mapping of a :func:`heterogeneity` result (documented in its Returns)."""

    results: Any
    groups: Any
    equality_test: Any


def heterogeneity(
    result: Result,
    panel: Panel,
    by: str | Mapping,
    *,
    approach: Approach = "split",
    term: str | None = None,
    test: bool = True,
) -> Result:
    """Estimate ``result``'s effect separately by group and test that the effects are equal.

    Parameters
    ----------
    result : Result
        A result of any estimator of the library (its spec is re-used).
    panel : Panel
        The panel ``result`` was estimated on.
    by : str or mapping
        A unit-level column of ``panel.data`` (constant within unit), a mapping unit → group,
        or a built-in grouping of prefecture codes (used when no column of that name
        exists): ``"region"`` (NBS east / central / west / northeast), ``"coastal"``
        (coastal / inland), ``"batch"`` (pilot-zone batch of the prefecture's first zone),
        ``"city_tier"`` (municipality / sub_provincial / provincial_capital / other, in that
        order of precedence), or ``"cohort"`` (the panel's first treated period; always the
        panel role, even when the data hold a column of that name).
    approach : {"split", "interaction"}
        ``"split"``: rerun the specification on each group's units (any estimator).
        ``"interaction"``: one TWFE regression with ``D × 1{group}`` for every group, the
        same fixed effects, controls, weights and clusters (``result.method == "twfe"``).
    term : str, optional
        The term compared across groups (default ``result.primary``).
    test : bool
        Compute the Wald test of equal effects (``extra["equality_test"]``).

    Returns
    -------
    Result
        Method ``"heterogeneity"``, terms ``"group: <name>"``; keys ``group``, ``n_units``,
        ``n_treated_units``. ``extra`` (:class:`HeterogeneityExtra`): ``equality_test`` (:class:`HypothesisTest` or None),
        ``groups`` (unit → group Series used), ``results`` (split: the per-group Results;
        interaction: the TWFE Result). ``df`` is None for split (normal inference) and the
        TWFE ``df`` for interaction.

    Raises
    ------
    SpecificationError
        Unknown ``by`` or ``approach``, a column not constant within units, units that are
        not prefecture codes for a registry grouping, ``approach="interaction"`` with a
        non-TWFE result, an unknown ``term``, fewer than one estimable group, or a result
        estimated on another panel than ``panel`` (see :attr:`Panel.fingerprint`).

    Notes
    -----
    Never-treated units whose group is missing (e.g. for ``"batch"``) are controls shared
    by every group; treated units whose group is missing are left out (noted). A group is
    skipped (noted) when it has no treated unit or no never-treated control.

    Equality test: ``R b = 0`` with ``R`` the differences from the first group. With
    ``"interaction"`` it uses the joint clustered vcov of the one regression (F with the
    TWFE ``df``, as Stata ``test``). With ``"split"`` it assumes independent samples
    (block-diagonal vcov, chi-square): right when the groups share no cluster, e.g. with
    ``cluster="unit"`` and no shared controls; otherwise approximate (noted).

    Examples
    --------
    >>> import did_zones as dz
    >>> from did_zones.robustness.heterogeneity import heterogeneity
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.twfe(panel, "isu")
    >>> het = heterogeneity(res, panel, "coastal", approach="interaction")
    >>> het.terms
    ['group: coastal', 'group: inland']
    """
    check({"result": ResultArg(), "panel": PANEL, "approach": Choice(APPROACHES)},
          result=result, panel=panel, approach=approach)
    check_result_panel(result, panel)
    if approach == "interaction" and result.method != "twfe":
        raise SpecificationError(
            f"approach='interaction' needs a twfe result; got {result.method!r}. Use "
            "approach='split' (any estimator)."
        )
    term = result.primary if term is None else term
    if term is None or term not in result.estimate.index:
        raise SpecificationError(
            f"Term {term!r} is not in the result; pass term= one of {result.terms[:10]}."
        )
    groups = _unit_groups(panel, by)
    label = by if isinstance(by, str) else "mapping"
    plan = _plan(panel, groups)
    if not plan["keep"]:
        raise SpecificationError(
            f"No group of {label!r} has both treated and never-treated units "
            f"({'; '.join(plan['notes'])}). Choose a coarser grouping."
        )
    fit = _split if approach == "split" else _interaction
    est, V, keys, extra, n_obs, df, notes = fit(result, panel, plan, term)
    notes = plan["notes"] + notes
    out = Result.create(
        est, V, [f"group: {g}" for g in plan["keep"]], keys=keys, method="heterogeneity",
        outcome=result.outcome,
        spec={"by": label, "approach": approach, "term": term, "base_method": result.method,
              "base_spec": dict(result.spec)},
        n_obs=n_obs,
        n_units=int(sum(plan["members"][g].size for g in plan["keep"]) + plan["n_shared"]),
        n_clusters=extra.pop("n_clusters"), df=df, notes=tuple(notes),
        extra={**extra, "groups": groups},
        panel_fingerprint=panel.fingerprint, panel_shape=(panel.n_units, panel.n_periods),
    )
    eq = None
    if test and len(plan["keep"]) >= 2:
        k = len(plan["keep"])
        R = np.hstack([-np.ones((k - 1, 1)), np.eye(k - 1)])
        eq = out.wald_test(R=R, name=f"equal effects across {label} groups")
    elif test:
        notes.append("Only one group could be estimated: no equality test.")
    return replace(out, extra={**out.extra, "equality_test": eq}, notes=tuple(notes))


# --------------------------------------------------------------------------- groups
def _unit_groups(panel: Panel, by) -> pd.Series:
    """unit label → group label (object; NaN where unknown)."""
    if isinstance(by, Mapping):
        return pd.Series(dict(by), dtype=object).reindex(panel.units).rename("group")
    if not isinstance(by, str):
        raise SpecificationError(
            f"by must be a column name, one of {BUILTIN_GROUPS}, or a mapping unit -> "
            f"group; got {type(by).__name__}."
        )
    if by == "cohort":  # the panel's role, never a column of that name
        values = [int(g) if np.isfinite(g) else np.nan for g in panel.cohort]
        return pd.Series(values, index=panel.units, dtype=object, name="group")
    if by in panel.data.columns:
        col = panel.data[by]
        n_values = col.groupby(panel.unit_id).nunique(dropna=False)
        bad = np.flatnonzero(n_values.to_numpy() > 1)
        if bad.size:
            raise SpecificationError(
                f"Column {by!r} is not constant within units: {bad.size} unit(s) change "
                f"value, e.g. {examples(panel.units[bad])}. Group by a unit-level column."
            )
        first = col.groupby(panel.unit_id).first()
        return pd.Series(first.to_numpy(dtype=object), index=panel.units, name="group")
    if by not in BUILTIN_GROUPS:
        raise SpecificationError(
            f"by={by!r} is neither a column of the panel nor a built-in grouping "
            f"({', '.join(BUILTIN_GROUPS)})."
        )
    return _registry_groups(panel, by)


def _registry_groups(panel: Panel, by: str) -> pd.Series:
    from ..registry import WHOLE_ISLAND, load_cities, load_zones

    cities = load_cities().set_index("city_code")
    codes = pd.to_numeric(pd.Series(panel.units), errors="coerce")
    unknown = ~codes.isin(cities.index)
    if unknown.any():
        raise SpecificationError(
            f"by={by!r} looks groups up in the prefecture registry, but {int(unknown.sum())} "
            f"of {panel.n_units} units are not prefecture codes (GB/T 2260, e.g. 330100), "
            f"e.g. {examples(panel.units[unknown.to_numpy()])}. Build the panel with "
            "prefecture codes as units, or pass a column or mapping."
        )
    c = cities.loc[codes.astype(np.int64)]
    if by == "region":
        values = c["region"].to_numpy(dtype=object)
    elif by == "coastal":
        values = np.where(c["coastal"], "coastal", "inland").astype(object)
    elif by == "city_tier":
        values = np.select([c["municipality"], c["sub_provincial"], c["provincial_capital"]],
                           ["municipality", "sub_provincial", "provincial_capital"],
                           "other").astype(object)
    else:  # batch: the first zone's batch; never-treated units are shared controls
        zones = load_zones()
        first = zones.sort_values(["batch", "approval_date"]).groupby("city_code")[
            "batch"].first()
        # a province-wide zone (海南全岛) is the first zone of the units it alone treats
        island = pd.Series({u: first[code] for code, units in WHOLE_ISLAND.items()
                            if code in first.index for u in units if u not in first.index},
                           dtype="int64")
        first = pd.concat([first, island])
        values = codes.map(first).to_numpy(dtype=object)
        values[~np.isfinite(panel.cohort)] = np.nan
        values = np.array([v if pd.isna(v) else int(v) for v in values], dtype=object)
    return pd.Series(values, index=panel.units, name="group")


def _plan(panel: Panel, groups: pd.Series) -> dict:
    treated = np.isfinite(panel.cohort)
    missing = groups.isna().to_numpy()
    notes = []
    lost = panel.units[missing & treated]
    if lost.size:
        notes.append(f"{lost.size} treated unit(s) have no group and were left out: "
                     f"{examples(lost)}.")
    shared = panel.units[missing & ~treated]
    if shared.size:
        notes.append(f"{shared.size} never-treated unit(s) without a group serve as controls "
                     "for every group.")
    labels = sorted(pd.unique(groups[~missing]), key=lambda v: (str(type(v)), v))
    keep, members, skipped = [], {}, []
    for g in labels:
        mask = (groups == g).to_numpy() & ~missing
        n_tr = int((mask & treated).sum())
        n_ctrl = int((mask & ~treated).sum()) + shared.size
        if n_tr == 0 or n_ctrl == 0:
            skipped.append(f"{g} ({n_tr} treated, {n_ctrl} never-treated)")
            continue
        keep.append(g)
        members[g] = panel.units[mask]
    if skipped:
        notes.append(f"{len(skipped)} group(s) without treated or without never-treated units "
                     f"skipped: {', '.join(skipped[:5])}.")
    return {"keep": keep, "members": members, "shared": shared, "n_shared": int(shared.size),
            "treated": pd.Series(treated, index=panel.units), "notes": notes}


# --------------------------------------------------------------------------- estimators
def _split(result, panel, plan, term):
    est, var, rows, fits, n_obs = [], [], [], {}, 0
    cl = set()
    for g in plan["keep"]:
        units = plan["members"][g].append(plan["shared"])
        sub = panel.drop_units(panel.units.difference(units))
        r = rerun(result, sub)
        if term not in r.estimate.index:
            raise SpecificationError(
                f"Term {term!r} could not be estimated in group {g!r}; pass another term=."
            )
        fits[g] = r
        est.append(r[term])
        var.append(float(r.vcov.loc[term, term]))
        rows.append({"group": g, "n_units": r.n_units,
                     "n_treated_units": int(plan["treated"][plan["members"][g]].sum())})
        n_obs += r.n_obs
        cl.add(r.n_clusters)
    notes = ["Split samples: the equality test assumes independent groups (block-diagonal "
             "vcov, chi-square)."]
    cluster = result.spec.get("cluster")
    if plan["n_shared"]:
        notes.append(f"The groups share {plan['n_shared']} control unit(s), so they are not "
                     "independent and the test is approximate; use approach='interaction' "
                     "(twfe) for the joint vcov.")
    elif cluster == "unit":
        notes.append("With cluster='unit' the groups share no cluster, so the block-diagonal "
                     "vcov is the right joint vcov.")
    n_clusters = None if None in cl else int(sum(cl))
    return (np.array(est), np.diag(var), pd.DataFrame(rows),
            {"results": fits, "n_clusters": n_clusters}, n_obs, None, notes)


def _interaction(result, panel, plan, term):
    from ..estimators.twfe import twfe

    if term != "treated":
        raise SpecificationError(
            f"approach='interaction' compares the treatment term 'treated'; got term={term!r}."
        )
    spec = dict(result.spec)
    keep_units = pd.Index(np.concatenate([plan["members"][g] for g in plan["keep"]]
                                         + [plan["shared"]]))
    sub = panel if keep_units.size == panel.n_units else panel.drop_units(
        panel.units.difference(keep_units))
    d = sub.treated.astype(float) if spec.get("treatment") is None else sub.column(
        spec["treatment"])
    row_units = sub.units[sub.unit_id]
    taken = set(sub.data.columns)
    split = {}
    for i, g in enumerate(plan["keep"]):
        name = f"_dz_het_{i}"
        while name in taken:
            name += "_"
        split[name] = d * np.isin(row_units, plan["members"][g])
    aug = sub.with_columns(split)
    names = list(split)
    controls = tuple(spec.get("controls", ()))
    fit = twfe(aug, result.outcome, treatment=names[0], controls=controls + tuple(names[1:]),
               fixed_effects=spec.get("fixed_effects", ("unit", "time")),
               cluster=spec.get("cluster", "unit"), weights=spec.get("weights"),
               alpha=spec.get("alpha", 0.05))
    terms = ["treated"] + names[1:]
    missing = [t for t in terms if t not in fit.estimate.index]
    if missing:
        raise SpecificationError(f"Group interaction(s) {missing} were collinear with the "
                                 "fixed effects; use a coarser grouping.")
    rows = [{"group": g, "n_units": int(plan["members"][g].size) + plan["n_shared"],
             "n_treated_units": int(plan["treated"][plan["members"][g]].sum())}
            for g in plan["keep"]]
    notes = ["Interaction regression: one TWFE model with D x group for every group; the "
             "equality test uses its joint clustered vcov."]
    return (fit.estimate[terms].to_numpy(), fit.vcov.loc[terms, terms].to_numpy(),
            pd.DataFrame(rows), {"results": fit, "n_clusters": fit.n_clusters}, fit.n_obs,
            fit.df, notes)
