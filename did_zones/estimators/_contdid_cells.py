"""The (g,t) cells of the continuous-treatment DiD and their aggregations.

Internal to :mod:`did_zones.estimators.continuous`. For each cohort ``g`` and period ``t``
the cell compares the dose-``d`` units of cohort ``g`` with a comparison group (never
treated, or also not yet treated) on ``ΔY = Y_t − Y_b`` with base period ``b = g − 1`` for
``t ≥ g`` and ``b = t − 1`` before (the "varying" base period of R ``did`` / ``contdid`` and
diff-diff). Every quantity is linear in the cell's spline coefficients, so the unit
influence functions are carried as an ``n × K`` matrix of coefficient perturbations plus
one column per scalar summary; the curves are products with the fixed basis at the grid.

Influence functions here are on the *sum* scale (``estimate − θ ≈ Σ_i ψ_i``), as diff-diff
writes them; the public function rescales them to the library's mean scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Cell", "fit_cells", "dose_weights", "event_weights", "combine"]


@dataclass(frozen=True)
class Cell:
    """One estimated (g,t) cell."""

    cohort: float
    time: float
    base: float
    n_treated: int
    n_control: int
    beta: np.ndarray          # spline coefficients of ATT(d | g,t)
    att: float                # ATT^o(g,t): mean ΔY of the treated minus the comparison mean
    acrt: float               # ACRT^o(g,t): mean of ATT'(D) over the cohort's doses
    treated: np.ndarray       # unit positions
    control: np.ndarray
    pert_t: np.ndarray        # n_t × K coefficient perturbations of the treated units
    pert_c: np.ndarray        # n_c × K ... of the comparison units
    if_att_t: np.ndarray      # n_t: ATT^o(g,t) influence of the treated units
    if_att_c: np.ndarray      # n_c
    dpsi_bar: np.ndarray      # K: mean basis derivative over the cohort's doses
    if_acrt_dose: np.ndarray  # n_t: (ACRT(D_i | g,t) − ACRT^o(g,t)) / n_t, the sampling of
                              # the doses in ACRT^o (left out by default, as diff-diff)


def fit_cells(Y: np.ndarray, periods: np.ndarray, cohort: np.ndarray, dose: np.ndarray,
              basis, dbasis, control: str, min_treated: int, base_period: str = "varying"):
    """Estimate every (g,t) cell; returns the cells and the cohorts skipped as too small.

    ``Y`` is units × periods; ``cohort`` per unit (``inf``: never treated); ``basis`` and
    ``dbasis`` map doses to the basis and its derivative. ``base_period="universal"``
    compares every period with ``g − 1`` (the cell ``t = g − 1`` is then zero).
    """
    cells: list[Cell] = []
    small: list[tuple[float, int]] = []
    never = ~np.isfinite(cohort)
    pos = {float(p): j for j, p in enumerate(periods)}
    for g in np.unique(cohort[~never]):
        tr = np.flatnonzero(cohort == g)
        n_t = tr.size
        if n_t < min_treated:
            small.append((float(g), int(n_t)))
            continue
        psi = basis(dose[tr])
        bread = np.linalg.pinv(psi.T @ psi / n_t)  # the Gram is full rank (checked before)
        psi_bar = psi.mean(axis=0)
        dpsi = dbasis(dose[tr])
        dpsi_bar = dpsi.mean(axis=0)
        h = psi @ bread.T / n_t  # row i: bread ψ_i / n_t (bread is symmetric)
        for j, t in enumerate(periods):
            if t >= g or base_period == "universal":
                base = g - 1
            else:
                base = periods[j - 1] if j > 0 else None
            if base is None or float(base) not in pos:
                continue
            b = pos[float(base)]
            if control == "never":
                ctl = np.flatnonzero(never)
            else:
                ctl = np.flatnonzero(never | ((cohort > t) & (cohort != g)))
            if ctl.size == 0:
                continue
            dy_t = Y[tr, j] - Y[tr, b]
            dy_c = Y[ctl, j] - Y[ctl, b]
            mu0 = dy_c.mean()
            target = dy_t - mu0
            beta = bread @ (psi.T @ target) / n_t
            resid = target - psi @ beta
            ec = dy_c - mu0
            slopes = dpsi @ beta
            cells.append(Cell(
                cohort=float(g), time=float(t), base=float(base), n_treated=n_t,
                n_control=int(ctl.size), beta=beta, att=float(dy_t.mean() - mu0),
                acrt=float(slopes.mean()), treated=tr, control=ctl,
                pert_t=h * resid[:, None],
                pert_c=-np.outer(ec, bread @ psi_bar) / ctl.size,
                if_att_t=(dy_t - dy_t.mean()) / n_t, if_att_c=-ec / ctl.size,
                dpsi_bar=dpsi_bar, if_acrt_dose=(slopes - slopes.mean()) / n_t))
    return cells, small


def dose_weights(cells: list[Cell]) -> np.ndarray:
    """Weights of the post-treatment cells in ATT(d), ACRT(d), ATT^o, ACRT^o: the cohort's
    share of treated units, split equally over its post-treatment cells (R ``contdid``,
    diff-diff); zero for pre-treatment cells."""
    g = np.array([c.cohort for c in cells])
    post = np.array([c.time >= c.cohort for c in cells])
    w = np.zeros(len(cells))
    if not post.any():
        return w
    cohorts, first = np.unique(g[post], return_index=True)
    size = np.array([cells[i].n_treated for i in np.flatnonzero(post)[first]], dtype=float)
    n_post = np.array([np.sum(post & (g == c)) for c in cohorts], dtype=float)
    share = dict(zip(cohorts, size / size.sum() / n_post, strict=True))
    w[post] = [share[v] for v in g[post]]
    return w


def event_weights(cells: list[Cell]) -> tuple[np.ndarray, np.ndarray]:
    """Event times ``e = t − g`` and the ``len(e) × cells`` weights of ATT^o(e) / ACRT^o(e):
    the cells at ``e`` weighted by their treated units (diff-diff's event study)."""
    e = np.array([c.time - c.cohort for c in cells])
    n = np.array([c.n_treated for c in cells], dtype=float)
    events = np.unique(e)
    W = (e[None, :] == events[:, None]) * n[None, :]
    return events, W / W.sum(axis=1, keepdims=True)


def combine(cells: list[Cell], W: np.ndarray, n_units: int, n_basis: int,
            with_pert: bool = True, dose_sampling: bool = False):
    """Aggregate the cells with weights ``W`` (terms × cells).

    Returns the weighted coefficients (terms × K), ATT^o and ACRT^o per term and their
    sum-scale influence functions: the coefficient perturbations (terms × n × K, only
    with ``with_pert``: the curves need them, the event-time scalars do not) and the
    ``n × terms`` influence functions of ATT^o and ACRT^o (with ``dose_sampling``,
    ACRT^o's includes the sampling of the treated doses it averages over).
    """
    k = W.shape[0]
    beta = np.zeros((k, n_basis))
    att = np.zeros(k)
    acrt = np.zeros(k)
    pert = np.zeros((k if with_pert else 0, n_units, n_basis))
    if_att = np.zeros((n_units, k))
    if_acrt = np.zeros((n_units, k))
    for j, c in enumerate(cells):
        w = W[:, j]
        rows = np.flatnonzero(w)
        if rows.size == 0:
            continue
        beta[rows] += w[rows, None] * c.beta
        att[rows] += w[rows] * c.att
        acrt[rows] += w[rows] * c.acrt
        for r in rows if with_pert else ():
            pert[r, c.treated] += w[r] * c.pert_t
            pert[r, c.control] += w[r] * c.pert_c
        if_att[c.treated[:, None], rows] += np.outer(c.if_att_t, w[rows])
        if_att[c.control[:, None], rows] += np.outer(c.if_att_c, w[rows])
        slope_t = c.pert_t @ c.dpsi_bar + (c.if_acrt_dose if dose_sampling else 0.0)
        if_acrt[c.treated[:, None], rows] += np.outer(slope_t, w[rows])
        if_acrt[c.control[:, None], rows] += np.outer(c.pert_c @ c.dpsi_bar, w[rows])
    return beta, att, acrt, pert, if_att, if_acrt
