"""Ring spillover difference-in-differences (Butts 2021/2023) on an imputation base.

The pilot of city ``j`` may move the outcome of untreated cities near ``j``. Butts
("Difference-in-Differences Estimation with Spatial Spillovers", arXiv:2105.03737) splits
untreated observations by their distance to the nearest treated unit: those within the
rings are *exposed* (their change identifies the spillover on the untreated), those beyond
the outermost ring are the clean comparison group. Under parallel trends and no
spillovers beyond the outer ring, comparing treated and exposed observations with the
clean ones identifies the effect on the treated and the spillover in each ring.

With staggered adoption the exposure changes over time: an untreated city is in ring
``k`` in year ``t`` when its nearest unit treated by ``t`` lies in ring ``k``. The base
here is the imputation estimator of Borusyak, Jaravel & Spiess (2024): unit and period
effects are fitted on the untreated-and-unexposed observations only, ``Y(0)`` is imputed
for every treated and exposed observation, and the estimates are averages of
``τ̂_it = Y_it − Ŷ_it(0)`` — robust to heterogeneous, dynamic effects (no forbidden
comparisons). Its variance is BJS's (Theorem 3) for each average.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from .._provenance import records_panel
from ..design import Absorber, check_panel_outcome, few_clusters_note, resolve_codes
from ..errors import DataDroppedWarning, DidZonesWarning, EstimationError, SpecificationError, warn
from ..panel import Panel
from ..result import Result
from ..validation import check_alpha, check_outcome_varies, examples
from .geography import chord_to_km, resolve_coordinates, unit_vectors

__all__ = ["ring_did", "RingDidExtra", "ring_labels", "nearest_treated_km"]

Base = Literal["imputation"]
BASES = ("imputation",)
_CONSISTENCY_TOL = 1e-7


class RingDidExtra(TypedDict):
    """The ``extra`` mapping of a :func:`ring_did` result (documented in its Returns)."""

    rings: tuple[float, ...]
    exposure: Any
    effects: Any
    n_unidentified: int


# ------------------------------------------------------------------------ rings


def _check_rings(rings: Any) -> tuple[float, ...]:
    try:
        edges = tuple(float(r) for r in rings)
    except (TypeError, ValueError):
        edges = ()
    ok = (len(edges) >= 2 and all(np.isfinite(edges)) and edges[0] == 0.0
          and bool(np.all(np.diff(edges) > 0)))
    if not ok:
        raise SpecificationError(
            "rings must be increasing distances in km starting at 0, e.g. (0, 50, 100, 200) "
            f"for the rings [0-50km), [50-100km), [100-200km]; got {rings!r}.")
    return edges


def ring_labels(rings: Sequence[float]) -> list[str]:
    """Term names of the rings: ``"spillover[0-50km)"``, ..., the last closed ``"...]"``.

    Interior rings are half-open ``[lo, hi)``; the outermost includes its edge, so a unit
    exactly at the outer edge is exposed (diff-diff's convention).
    """
    k = len(rings) - 1
    return [f"spillover[{rings[j]:g}-{rings[j + 1]:g}km" + ("]" if j == k - 1 else ")")
            for j in range(k)]


# ------------------------------------------------------------------ distances


def _distance_source(panel: Panel, distances: Any, coordinates: Any):
    """A function cohort-sources -> km from every panel unit to its nearest source."""
    units = pd.Index(panel.units)
    if distances is not None:
        if coordinates is not None:
            raise SpecificationError(
                "Give distances or coordinates, not both (distances are used as given).")
        if isinstance(distances, pd.DataFrame):
            rows, cols = pd.Index(distances.index), pd.Index(distances.columns)
            miss = units.difference(rows).append(units.difference(cols)).unique()
            if miss.size:
                raise SpecificationError(
                    f"The distance matrix lacks {miss.size} panel unit(s) on its rows or "
                    f"columns, e.g. {examples(miss)}. Label both axes by the panel's unit ids.")
            d = distances.loc[units, units].to_numpy(dtype=float, na_value=np.nan)
        else:
            d = np.asarray(distances, dtype=float)
            if d.shape != (units.size, units.size):
                raise SpecificationError(
                    f"distances must be {units.size} x {units.size} (the panel's units, in "
                    f"panel.units order) or a square DataFrame labelled by unit ids; got "
                    f"shape {d.shape}.")
        bad = np.isnan(d) | (d < 0)
        if bad.any():
            raise SpecificationError(
                f"distances has {int(bad.sum())} missing or negative value(s), e.g. in the "
                f"rows of {examples(units[bad.any(axis=1)])}. Give km >= 0 (inf for "
                "unreachable).")
        return (lambda src: d[:, src].min(axis=1)), "matrix"
    ids, lon, lat = resolve_coordinates(units, coordinates)
    xyz = unit_vectors(lon, lat)

    def nearest(src: np.ndarray) -> np.ndarray:
        # chord order is great-circle order on the unit sphere: the tree's nearest
        # source is the great-circle nearest, its chord converted exactly to km
        chord, _ = cKDTree(xyz[src]).query(xyz, k=1)
        return chord_to_km(chord)

    return nearest, "coordinates" if coordinates is not None else "prefecture_geography"


def nearest_treated_km(panel: Panel, *, distances: Any = None,
                       coordinates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distance from each unit to the nearest unit treated by each period (km).

    Parameters
    ----------
    panel : Panel
        Units, periods and cohorts.
    distances : pandas.DataFrame or numpy.ndarray, optional
        Square km matrix (labelled by unit ids, or in ``panel.units`` order).
    coordinates : pandas.DataFrame, optional
        ``id``, ``longitude``, ``latitude``; default: the bundled prefecture seats.

    Returns
    -------
    pandas.DataFrame
        Units × periods, km (``inf`` before any unit is treated; 0 from a unit's own
        treatment on).
    """
    near, _ = _nearest_matrix(panel, _distance_source(panel, distances, coordinates)[0])
    return pd.DataFrame(near, index=pd.Index(panel.units, name=panel.unit),
                        columns=pd.Index(panel.periods, name=panel.time))


def _nearest_matrix(panel: Panel, nearest) -> tuple[np.ndarray, np.ndarray]:
    """(units × periods) km to the nearest unit treated by then, and (units × cohorts) the
    running minimum over cohorts (to find when exposure starts)."""
    n = panel.n_units
    cohort = np.asarray(panel.cohort, dtype=float)
    groups = np.unique(cohort[np.isfinite(cohort)])
    by_g = np.full((n, groups.size), np.inf)
    for k, g in enumerate(groups):  # one tree (or column block) per cohort, not per unit
        src = np.flatnonzero(cohort == g)
        d = np.array(nearest(src), dtype=float)
        # a unit is its own nearest source once treated; its rows from then on are treated
        # (not exposed), and before then only earlier cohorts count, so this never
        # enters an exposure
        d[src] = 0.0
        by_g[:, k] = d
    run = np.minimum.accumulate(by_g, axis=1) if groups.size else by_g
    idx = np.searchsorted(groups, panel.periods, side="right") - 1
    near = np.full((n, panel.n_periods), np.inf)
    on = idx >= 0
    near[:, on] = run[:, idx[on]]
    return near, run


# --------------------------------------------------------------------- estimator


@records_panel
def ring_did(
    panel: Panel,
    outcome: str,
    *,
    rings: Sequence[float] = (0, 50, 100, 200),
    distances: Any = None,
    coordinates: pd.DataFrame | None = None,
    base: Base = "imputation",
    event: bool = False,
    cluster: str | None = "unit",
    alpha: float = 0.05,
) -> Result:
    """Ring spillover DiD (Butts 2021): effect on the treated and spillovers by distance.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel` (absorbing staggered treatment). Units are
        prefecture codes (``city_code``) unless ``distances`` or ``coordinates`` is given.
    outcome : str
        Outcome column.
    rings : sequence of float, default (0, 50, 100, 200)
        Ring edges in km, starting at 0: rings ``[0-50km)``, ``[50-100km)``,
        ``[100-200km]`` (the outermost includes its edge). Untreated observations farther
        than the last edge from every treated unit are the clean comparison group.
    distances : pandas.DataFrame or numpy.ndarray, optional
        Square matrix of km between units (labelled by unit ids on both axes, or in
        ``panel.units`` order), e.g. travel distances. ``inf`` marks unreachable pairs.
    coordinates : pandas.DataFrame, optional
        ``id``, ``longitude``, ``latitude`` (degrees) for units that are not prefectures;
        great-circle km. Default: the bundled prefecture seats
        (:func:`~did_zones.spatial.load_geography`).
    base : {"imputation"}, default "imputation"
        The staggered-robust base estimator (Borusyak–Jaravel–Spiess imputation).
    event : bool, default False
        Also report event-time terms: ``"treated(e=h)"`` (``h = t − cohort``) and
        ``"spillover[...](e=h)"`` with ``h = t −`` the first period the unit was within the
        outermost ring of a treated unit.
    cluster : str or None, default "unit"
        One cluster variable (role or column); None: each observation its own cluster.
    alpha : float, default 0.05
        Significance level stored in ``spec``.

    Returns
    -------
    Result
        Terms ``"treated"`` (primary: the mean of ``τ̂_it`` over treated observations) and
        one ``"spillover[lo-hi km)"`` per ring (the mean over untreated observations whose
        nearest treated unit lies in the ring), then with ``event=True`` the event-time
        terms. ``keys``: ``kind`` (treated / spillover), ``ring`` (label, None for treated
        terms), ``lower_km``, ``upper_km``, ``event_time`` (NaN for static terms),
        ``n_obs`` and ``n_units`` behind each term. ``df`` is None (normal inference).
        ``influence``: per-cluster scores times the number of clusters.
        ``extra`` (:class:`RingDidExtra`): ``rings`` (the edges), ``exposure`` (one row per
        panel row: unit, time, ``nearest_km``, ``status`` treated / exposed / clean,
        ``ring``, ``exposure_start``), ``effects`` (one row per treated or exposed
        observation used: unit, time, status, ring, ``y0_hat``, ``effect``) and
        ``n_unidentified``.

    Raises
    ------
    SpecificationError
        Bad rings, units without coordinates, a distance matrix that does not match,
        an unknown base, two-way clustering.
    PanelError
        Treatment that switches off.
    EstimationError
        No treated units, no clean comparison observations, or no treated or exposed
        observation whose ``Y(0)`` is identified.

    Warns
    -----
    DataDroppedWarning
        Rows with a missing outcome; treated or exposed observations whose ``Y(0)`` cannot
        be imputed (their unit or period has no clean observation).
    DidZonesWarning
        Rings without exposed observations (their term is left out).
    InferenceWarning
        Fewer than 30 clusters.

    Notes
    -----
    Estimands (Butts 2023, Sections 2-5, staggered timing): ``"treated"`` is the mean over
    treated observations of ``Y_it − Y_it(0, 0)``, the total effect on the treated (their
    own treatment plus any spillover from treated neighbours); ``"spillover[ring]"`` is the
    mean over untreated observations in the ring of ``Y_it(0, h) − Y_it(0, 0)``, the
    spillover on the untreated. Identification: parallel trends of ``Y(0, 0)`` and no
    spillover beyond the outermost ring (Butts's Assumption 5: the clean units are far
    away). A ring that is too narrow leaves spillovers in the comparison group and biases
    both terms; widen the rings and compare.

    Exposure is time-varying: in period ``t`` the distance of unit ``i`` is that to its
    nearest *other* unit with ``cohort <= t``; the observation is *treated* if
    ``t >= cohort_i``, else *exposed* in ring ``k`` if that distance lies in ring ``k``,
    else *clean*. First stage: ``Y_it = α_i + λ_t + ε`` by least squares on the clean
    observations (never-treated and not-yet-treated units alike), solved exactly.
    Variance (BJS Theorem 3, no leave-out, as Stata ``did_imputation``): each term is
    ``Σ v_it Y_it`` with ``v = w`` on its own observations and ``v = −Z₀(Z₀'Z₀)⁻Z₁'w``
    on the clean ones; ``V̂ = Σ_c (Σ_{it∈c} v_it ε̃_it)²`` with the first-stage residual
    on clean observations and ``τ̂_it − τ̃`` on the others, ``τ̃`` the BJS-weighted mean
    of ``τ̂`` in the observation's cell: cohort × period for treated observations (Stata's
    default ``avgeffectsby(Ei t)``), ring × period for exposed ones (cells by exposure
    start would hold a handful of cities and understate the variance). Normal critical
    values. On the simulator (200 draws, rings 0/50/100/200 km, the innermost ring with
    about 27 cities) the 95% intervals cover 93-97% of the time.

    Point estimates equal those of diff-diff's ``SpilloverDiD`` (Gardner two-stage with
    ring indicators, whose stage-2 coefficients are these group means); its standard
    errors use Gardner's GMM correction instead of BJS's, so they differ slightly.

    References
    ----------
    Butts, K. (2023). Difference-in-Differences Estimation with Spatial Spillovers.
    arXiv:2105.03737 (first version 2021).

    Borusyak, K., Jaravel, X. & Spiess, J. (2024). Revisiting event-study designs: robust
    and efficient estimation. Review of Economic Studies 91(6), 3253-3285.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1, spillover={50: 0.01, 100: 0.005})
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.ring_did(panel, "isu", rings=(0, 50, 100, 200))
    >>> res.terms
    ['treated', 'spillover[0-50km)', 'spillover[50-100km)', 'spillover[100-200km]']
    """
    check_panel_outcome(panel, outcome)
    panel.require_absorbing()
    check_alpha(alpha)
    edges = _check_rings(rings)
    if base not in BASES:
        raise SpecificationError(
            f"base must be one of {', '.join(repr(b) for b in BASES)}; got {base!r}.")
    if not isinstance(event, (bool, np.bool_)):
        raise SpecificationError(f"event must be True or False; got {event!r}.")
    if cluster is not None and not isinstance(cluster, str):
        raise SpecificationError(
            f"cluster takes one column name (or a role such as 'unit'), or None; got "
            f"{cluster!r}. Two-way clustering is not available for the imputation variance.")
    if not np.isfinite(panel.cohort).any():
        raise EstimationError("No treated unit in the panel: there is no spillover to "
                              "estimate. Check the cohort column.")
    y_all = panel.column(outcome)
    check_outcome_varies(y_all[np.isfinite(y_all)], outcome)

    nearest, source = _distance_source(panel, distances, coordinates)
    near, run = _nearest_matrix(panel, nearest)
    ex = _exposure(panel, near, run, edges)
    notes = list(panel.notes)

    ok = np.isfinite(y_all)
    if cluster is not None:
        cl_all = resolve_codes(panel, cluster, what="Cluster")
        ok &= cl_all >= 0
    else:
        cl_all = np.arange(panel.n_obs)
    if not ok.all():
        bad = ~ok
        units_bad = pd.Index(panel.units[np.unique(panel.unit_id[bad])])
        msg = (f"Dropped {int(bad.sum())} row(s) with a missing outcome or cluster "
               f"({units_bad.size} unit(s), e.g. {examples(units_bad)}).")
        warn(msg, DataDroppedWarning)
        notes.append(msg)

    clean = ok & (ex["status"] == 0)
    target = ok & (ex["status"] > 0)
    if not clean.any():
        raise EstimationError(
            f"No clean comparison observation: every untreated observation lies within "
            f"{edges[-1]:g} km of a treated unit. Use a smaller outer ring, or add periods "
            "before the first treatment.")
    fs = _first_stage(panel, y_all, clean, target)
    if fs["n_unidentified"]:
        lost = ~fs["identified"]
        rows = np.flatnonzero(target)[lost]
        units_lost = pd.Index(panel.units[np.unique(panel.unit_id[rows])])
        msg = (f"Dropped {int(lost.sum())} treated or exposed observation(s) whose Y(0) "
               f"cannot be imputed: their unit or period has no clean observation "
               f"({units_lost.size} unit(s), e.g. {examples(units_lost)}).")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
        target_rows = np.flatnonzero(target)[fs["identified"]]
    else:
        target_rows = np.flatnonzero(target)
    if target_rows.size == 0:
        raise EstimationError(
            "No treated or exposed observation has an identified Y(0): the periods with "
            "treated or exposed observations have no clean (untreated, unexposed) "
            f"observation. Use a smaller outer ring than {edges[-1]:g} km, or add units far "
            "from every treated unit.")
    tau = y_all[target_rows] - fs["y0_target"][fs["identified"]]

    W, terms, keys, dropped_terms = _term_weights(panel, ex, target_rows, edges, event)
    if dropped_terms:
        msg = (f"{len(dropped_terms)} term(s) have no observation and are left out: "
               f"{examples(dropped_terms)}.")
        warn(msg, DidZonesWarning)
        notes.append(msg)
    estimate = np.asarray(W.T @ tau).ravel()

    clean_rows = np.flatnonzero(clean)
    cl_codes, cl = np.unique(np.concatenate([cl_all[target_rows], cl_all[clean_rows]]),
                             return_inverse=True)
    cl_t, cl_0 = cl[:target_rows.size], cl[target_rows.size:]
    psi = _scores(fs, W, tau, ex["cell"][target_rows], panel.unit_id[target_rows],
                  panel.period_id[target_rows], cl_t, cl_0, cl_codes.size)
    V = psi.T @ psi
    n_clusters = int(cl_codes.size)
    if cluster is not None:
        notes += list(few_clusters_note(n_clusters, cluster))
    labels = _cluster_index(panel, cluster, cl_codes)

    status_t = ex["status"][target_rows]
    unit_t = panel.unit_id[target_rows]
    keys["n_obs"] = np.asarray((W > 0).sum(axis=0)).ravel().astype(np.int64)
    C = sparse.csc_matrix(W)
    keys["n_units"] = [int(np.unique(unit_t[C.indices[C.indptr[j]:C.indptr[j + 1]]]).size)
                       for j in range(C.shape[1])]
    ring_of = ex["ring"]
    ring_names = np.array(ring_labels(edges) + [None], dtype=object)
    exposure = pd.DataFrame({
        panel.unit: panel.units[panel.unit_id],
        panel.time: panel.time_values,
        "nearest_km": ex["nearest_km"],
        "status": np.array(["clean", "treated", "exposed"])[ex["status"]],
        "ring": ring_names[np.where(ex["status"] == 2, ring_of, -1)],
        "exposure_start": ex["start"],
    })
    effects = pd.DataFrame({
        panel.unit: panel.units[unit_t],
        panel.time: panel.time_values[target_rows],
        "status": np.where(status_t == 1, "treated", "exposed"),
        "ring": ring_names[np.where(status_t == 2, ring_of[target_rows], -1)],
        "y0_hat": fs["y0_target"][fs["identified"]],
        "effect": tau,
    })
    spec = {"rings": edges, "distances": source, "base": base, "event": bool(event),
            "cluster": cluster, "alpha": alpha}
    used = np.concatenate([target_rows, clean_rows])
    return Result.create(
        estimate, V, terms, keys=keys, method="ring_did", outcome=outcome, spec=spec,
        n_obs=int(used.size), n_units=int(np.unique(panel.unit_id[used]).size),
        n_clusters=n_clusters if cluster is not None else None, df=None, primary="treated",
        influence=psi * n_clusters, influence_index=labels, notes=tuple(notes),
        stats={"n_treated": int((status_t == 1).sum()),
               "n_exposed": int((status_t == 2).sum()), "n_clean": int(clean_rows.size),
               "n_unidentified": int(fs["n_unidentified"])},
        extra=RingDidExtra(rings=edges, exposure=exposure, effects=effects,
                           n_unidentified=int(fs["n_unidentified"])),
    )


# ----------------------------------------------------------------- the pieces


def _exposure(panel: Panel, near: np.ndarray, run: np.ndarray, edges) -> dict:
    """Per panel row: status (0 clean, 1 treated, 2 exposed), ring, nearest km, exposure
    start (first period within the outer ring of a unit treated by then) and the cell
    code of BJS's τ̃ averages."""
    uid, pid = panel.unit_id, panel.period_id
    d = near[uid, pid]
    treated = panel.treated
    outer = edges[-1]
    exposed = ~treated & (d <= outer)
    ring = np.searchsorted(np.asarray(edges), d, side="right") - 1
    ring = np.where(exposed, np.minimum(ring, len(edges) - 2), -1)
    status = np.where(treated, 1, np.where(exposed, 2, 0))
    # exposure start per unit: the first cohort whose units (with the earlier ones) come
    # within the outer ring; periods are compared with it
    cohort = np.asarray(panel.cohort, dtype=float)
    groups = np.unique(cohort[np.isfinite(cohort)])
    within = run <= outer
    first = np.where(within.any(axis=1), groups[np.argmax(within, axis=1)] if groups.size
                     else np.inf, np.inf)
    start = first[uid]
    # cells of BJS's τ̃: cohort × period for treated rows (Stata's avgeffectsby(Ei t));
    # ring × period for exposed rows: cohort-by-onset cells hold a handful of cities each,
    # and τ̃ fitted in such small cells soaks up the noise it should leave to the variance
    # (simulated coverage of the innermost ring: 0.90 with ring × onset × period cells,
    # 0.93 with ring × period, tests/test_spatial_rings.py)
    onset = np.where(status == 1, panel.row_cohort, -1.0)
    key = pd.MultiIndex.from_arrays([status, ring, onset, pid])
    cell = pd.factorize(key)[0]
    t = panel.time_values.astype(float)
    return {"status": status, "ring": ring, "nearest_km": d, "start": np.where(
        np.isfinite(start), start, np.nan), "cell": cell,
        "event_treated": t - panel.row_cohort, "event_spill": t - start}


def _first_stage(panel: Panel, y: np.ndarray, clean: np.ndarray, target: np.ndarray) -> dict:
    """Unit and period effects on the clean rows (exact solve) and Ŷ(0) for the target
    rows whose unit and period both have clean rows."""
    u0, p0 = panel.unit_id[clean], panel.period_id[clean]
    absorber = Absorber([u0, p0], strategy="exact")
    resid, (alpha_u, beta_p) = absorber.components(y[clean])
    lev_u, lev_p = np.unique(u0), np.unique(p0)
    ut, pt = panel.unit_id[target], panel.period_id[target]
    iu = np.minimum(np.searchsorted(lev_u, ut), lev_u.size - 1)
    ip = np.minimum(np.searchsorted(lev_p, pt), lev_p.size - 1)
    identified = (lev_u[iu] == ut) & (lev_p[ip] == pt)
    y0 = np.where(identified, alpha_u[iu] + beta_p[ip], np.nan)
    return {"absorber": absorber, "resid": resid, "lev_u": lev_u, "lev_p": lev_p,
            "iu": iu[identified], "ip": ip[identified], "identified": identified,
            "y0_target": y0, "n_unidentified": int((~identified).sum())}


def _term_weights(panel: Panel, ex: dict, rows: np.ndarray, edges, event: bool):
    """Sparse ``n_target × m`` weights (each column sums to one over its rows), the term
    names and their keys; terms without rows are dropped (returned by name)."""
    status, ring = ex["status"][rows], ex["ring"][rows]
    names_ring = ring_labels(edges)
    k = len(names_ring)
    col = np.where(status == 1, 0, ring + 1)
    specs = [("treated", "treated", None, np.nan)] + [
        (names_ring[j], "spillover", j, np.nan) for j in range(k)]
    cols = [col]
    if event:
        e_t = ex["event_treated"][rows]
        e_s = ex["event_spill"][rows]
        e = np.where(status == 1, e_t, e_s).astype(np.int64)
        kinds = np.where(status == 1, 0, ring + 1)
        pairs, code = np.unique(np.column_stack([kinds, e]), axis=0, return_inverse=True)
        code = np.asarray(code).ravel()
        base = len(specs)
        for kk, h in pairs.tolist():
            if kk == 0:
                specs.append((f"treated(e={h})", "treated", None, float(h)))
            else:
                specs.append((f"{names_ring[kk - 1]}(e={h})", "spillover", kk - 1, float(h)))
        cols.append(base + code)
    r = np.concatenate([np.arange(rows.size)] * len(cols))
    c = np.concatenate(cols)
    counts = np.bincount(c, minlength=len(specs))
    keep = counts > 0
    dropped = [specs[j][0] for j in np.flatnonzero(~keep)]
    new = np.cumsum(keep) - 1
    W = sparse.csr_matrix((1.0 / counts[c], (r, new[c])), shape=(rows.size, int(keep.sum())))
    specs = [s for s, kp in zip(specs, keep, strict=True) if kp]
    lower = [np.nan if s[2] is None else edges[s[2]] for s in specs]
    upper = [np.nan if s[2] is None else edges[s[2] + 1] for s in specs]
    keys = pd.DataFrame({
        "kind": [s[1] for s in specs],
        "ring": [None if s[2] is None else names_ring[s[2]] for s in specs],
        "lower_km": lower, "upper_km": upper,
        "event_time": [s[3] for s in specs],
    })
    return W, [s[0] for s in specs], keys, dropped


def _scores(fs: dict, W: sparse.csr_matrix, tau: np.ndarray, cell: np.ndarray,
            unit: np.ndarray, period: np.ndarray, cl_t: np.ndarray, cl_0: np.ndarray,
            n_cl: int) -> np.ndarray:
    """Per-cluster BJS scores (``n_cl × m``) of every term."""
    absorber: Absorber = fs["absorber"]
    m = W.shape[1]
    # imputation weights of the clean rows: v₀ = −Z₀(Z₀'Z₀)⁻Z₁'w
    Du = sparse.csr_matrix((np.ones(unit.size), (fs["iu"], np.arange(unit.size))),
                           shape=(fs["lev_u"].size, unit.size))
    Dp = sparse.csr_matrix((np.ones(unit.size), (fs["ip"], np.arange(unit.size))),
                           shape=(fs["lev_p"].size, unit.size))
    c = [np.asarray((Du @ W).todense()), np.asarray((Dp @ W).todense())]
    gam = absorber.solve(c)
    err = absorber.solve_residual(c, gam)
    if err > _CONSISTENCY_TOL:
        raise EstimationError(
            "Y(0) of some treated or exposed observations is not identified by the clean "
            f"observations (relative imputation residual {err:.2g}): the clean "
            "observations do not connect every unit and period. Use narrower rings.")
    v0 = -absorber.fitted(gam)                                   # n₀ × m
    # τ̃ per (cell, term): Σ_c a_cg b_cg / Σ_c a_cg², a = Σ v, b = Σ v τ̂ over the cell ∩ c
    n1 = tau.size
    pair, pair_code = np.unique(np.column_stack([cl_t, cell]), axis=0, return_inverse=True)
    pair_code = np.asarray(pair_code).ravel()
    P = sparse.csr_matrix((np.ones(n1), (pair_code, np.arange(n1))), shape=(pair.shape[0], n1))
    A = np.asarray((P @ W).todense())
    B = np.asarray((P @ W.multiply(tau[:, None])).todense())
    cells, cell_of_pair = np.unique(pair[:, 1], return_inverse=True)
    C = sparse.csr_matrix((np.ones(pair.shape[0]), (np.asarray(cell_of_pair).ravel(),
                                                    np.arange(pair.shape[0]))),
                          shape=(cells.size, pair.shape[0]))
    num = C @ (A * B)
    den = C @ (A * A)
    tilde = np.divide(num, den, out=np.zeros_like(num), where=den > 0)  # cells × m
    row_cell = np.searchsorted(cells, cell)
    eps = tau[:, None] - tilde[row_cell]                           # n1 × m
    Wd = W.toarray()
    G1 = sparse.csr_matrix((np.ones(n1), (cl_t, np.arange(n1))), shape=(n_cl, n1))
    G0 = sparse.csr_matrix((np.ones(cl_0.size), (cl_0, np.arange(cl_0.size))),
                           shape=(n_cl, cl_0.size))
    psi = G1 @ (Wd * eps) + G0 @ (v0 * fs["resid"][:, None])
    return np.asarray(psi).reshape(n_cl, m)


def _cluster_index(panel: Panel, cluster: str | None, codes: np.ndarray) -> pd.Index:
    if cluster is None:
        return pd.RangeIndex(panel.n_obs, name="row")[codes]
    if cluster in ("unit", panel.unit):
        return pd.Index(panel.units, name=panel.unit)[codes]
    if cluster in ("time", panel.time):
        return pd.Index(panel.periods, name=panel.time)[codes]
    labels = pd.Index(pd.factorize(panel.data[cluster], sort=True)[1], name=cluster)
    return labels[codes]
