"""Callaway & Sant'Anna (2021): group-time average treatment effects ATT(g,t).

Every cell compares the outcome change of cohort ``g`` between a base period and ``t`` with
that of a comparison group (never-treated, or not-yet-treated units), by outcome regression,
inverse probability weighting or the doubly robust estimator of Sant'Anna & Zhao (2020), as R
``did::att_gt`` does. Without covariates all cells are closed-form ratios of cohort sums,
computed together from the units × periods outcome matrix; with covariates each cell fits its
logit / least squares, sharing fits between cells with the same design.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd
from scipy import stats

from .._provenance import records_panel
from ..design import usable_sample
from ..errors import (
    DataDroppedWarning,
    EstimationError,
    InferenceWarning,
    PanelError,
    SmallCohortWarning,
    SpecificationError,
    warn,
)
from ..inference import SE_TINY as _TINY  # R did: standard errors below this are NA
from ..inference import check_clusters
from ..panel import Panel
from ..result import HypothesisTest, Result
from ..validation import (
    ALPHA,
    COUNT,
    N_BOOT,
    OPTIONAL_COLUMN,
    PANEL,
    Boolean,
    Choice,
    ColumnName,
    Columns,
    Real,
    Seed,
    check,
    check_columns,
    check_outcome_varies,
    examples,
)
from ..vocabulary import Control
from . import _cs_cells as cells_mod
from ._cs_inference import bootstrap, bootstrap_vcov, influence_vcov, new_seed
from ._small_cells import (
    DEFAULT_MIN_COHORT_SIZE,
    SmallCells,
    check_small_cells,
    mark_small,
    warn_small_cells,
)

__all__ = ["callaway_santanna"]

Method = Literal["dr", "ipw", "reg"]
BasePeriod = Literal["varying", "universal"]
BootWeights = Literal["rademacher", "mammen"]

_REASONS = {
    "no_control": "no comparison units",
    "overlap": "propensity score >= 0.999 (overlap fails)",
    "singular": "comparison units cannot fit the outcome regression (singular design)",
    "trimmed": "every comparison unit trimmed (propensity score >= trim)",
    "empty": "a treated or comparison group unobserved in one of the two periods",
}


class _CallawaySantAnnaKeys(TypedDict):
    pretrend_test: Any
    cohort_share: Any
    unit_cohort: Any
    unit_weights: Any
    cluster: Any
    periods: Any
    reference_cell: Any
    covariates: tuple[str, ...]
    estimator: str
    skipped_cells: Any


class CallawaySantAnnaExtra(_CallawaySantAnnaKeys, total=False):
    """The ``extra`` mapping of a :func:`callaway_santanna` result (documented in its
    Returns); ``vcov_analytic`` and ``bootstrap_draws`` only with the bootstrap."""

    vcov_analytic: Any
    bootstrap_draws: Any


@records_panel
def callaway_santanna(
    panel: Panel,
    outcome: str,
    *,
    control: Control = "never",
    method: Method = "dr",
    covariates: str | Sequence[str] = (),
    anticipation: int = 0,
    base_period: BasePeriod = "varying",
    cluster: str | None = "unit",
    weights: str | None = None,
    n_boot: int | None = None,
    boot_weights: BootWeights = "rademacher",
    seed: int | None = None,
    alpha: float = 0.05,
    trim: float = 0.995,
    allow_unbalanced: bool | None = None,
    min_cohort_size: int = DEFAULT_MIN_COHORT_SIZE,
    small_cells: SmallCells = "flag",
) -> Result:
    """Group-time average treatment effects of Callaway & Sant'Anna (2021).

    Parameters
    ----------
    panel : Panel
        From :func:`~did_zones.build_panel`; cohorts are first treated periods, never-treated
        units have cohort ``inf``.
    outcome : str
        Outcome column.
    control : {"never", "not_yet"}
        Comparison group: never-treated units (default, as R ``did``'s
        ``control_group="nevertreated"`` and every did_zones estimator), or units not yet
        treated by ``max(t, base) + anticipation`` (never-treated included, cohort ``g``
        excluded). A panel without never-treated units needs ``control="not_yet"``.
    method : {"dr", "ipw", "reg"}
        Doubly robust (DRDID ``drdid_panel``; ``drdid_rc`` for unbalanced panels), normalised
        inverse probability weighting (``std_ipw_did_*``) or outcome regression
        (``reg_did_*``). Identical without covariates.
    covariates : str or sequence of str
        Pre-treatment covariates for the propensity score and the outcome regression,
        taken in the earlier of the two periods of each cell (R ``did``'s convention);
        unbalanced panels use each row's own values. Collinear ones are dropped. They
        are centred and scaled internally, so the results do not depend on their units
        (GDP in yuan or in 100 million yuan give the same estimates); a covariate counts
        as constant when its standard deviation is below 1e-10 of its mean.
    anticipation : int
        Periods of anticipation ``δ``: post cells use the base period ``g − 1 − δ``.
    base_period : {"varying", "universal"}
        "varying": pre-treatment cells compare ``t`` with ``t − 1``; "universal": every
        cell uses ``g − 1 − δ``, whose own cell is reported as 0.
    cluster : str or None
        ``"unit"`` (default, as every did_zones estimator; ``None`` is the same here): the
        unit influence functions give the variance, i.e. standard errors clustered by unit
        (R ``did``'s default). A column constant within units (e.g. province): influence
        functions are summed within clusters for the variance and the bootstrap draws one
        multiplier per cluster.
    weights : str, optional
        Sampling weights, constant within units.
    n_boot : int, optional
        Multiplier-bootstrap draws; gives bootstrap standard errors and the sup-t critical
        value of a uniform band (``Result.conf_int(uniform=True)``).
    boot_weights : {"rademacher", "mammen"}
        Multiplier distribution.
    seed : int, optional
        Bootstrap seed; when None a fresh one is drawn and recorded in ``spec``.
    alpha : float
        Level of the uniform band.
    trim : float
        Comparison units with propensity score at or above ``trim`` get zero weight
        (DRDID's ``trim.level``).
    allow_unbalanced : bool, optional
        None (default, R's ``allow_unbalanced_panel=FALSE``): an unbalanced panel is
        balanced by dropping units not observed in every period, with a warning and a note.
        False: the same without the warning. True: keep every row and use the repeated
        cross-section estimators with unit-level influence functions.
    min_cohort_size : int
        Threshold of the small-cell rule (default 5): an ATT(g,t) resting on fewer treated
        units is marked ``keys["small_cell"]`` and listed in one
        :class:`~did_zones.errors.SmallCohortWarning` (and ``notes``). 1 turns the marks
        off.
    small_cells : {"flag", "exclude", "pool"}
        What :func:`~did_zones.aggregate` does by default with cohorts below
        ``min_cohort_size`` (recorded in ``spec``; the ATT(g,t) themselves are always all
        estimated): ``"flag"`` marks them, ``"exclude"`` gives them zero weight, ``"pool"``
        pools small terms with their neighbours. See :func:`~did_zones.aggregate`.

    Returns
    -------
    Result
        Terms ``"ATT(g,t)"`` with keys ``cohort``, ``time``, ``event_time``,
        ``base_period``, ``post``, ``n_treated``, ``n_control``, ``n_treated_units`` (the
        treated units the cell rests on: its cohort's units observed in its two periods,
        i.e. ``n_treated``) and ``small_cell`` (``n_treated_units < min_cohort_size``).
        ``influence`` holds the
        unit influence functions (``vcov = ψᵀψ/n²``, cluster sums when clustered);
        ``extra`` (:class:`CallawaySantAnnaExtra`) holds the pre-test (``"pretrend_test"``),
        cohort shares
        (``"cohort_share"``), per-unit cohorts / weights / clusters for
        :func:`~did_zones.aggregate`, skipped cells and, with ``n_boot``, the analytic
        variance and the bootstrap draws.

    Raises
    ------
    SpecificationError
        Invalid options, unknown columns, weights or clusters varying within units.
    PanelError
        No never-treated units with ``control="never"``; no cohort left to estimate.
    EstimationError
        No cell could be estimated.

    Notes
    -----
    ATT(g,t) = E[Y_t − Y_b | G = g] − E[Y_t − Y_b | C], with base ``b = g − 1 − δ`` for
    ``t ≥ g − δ`` (and for every ``t`` under "universal"), else ``b = t − 1``. Cells where
    estimation fails (no comparison units, overlap, singular regressions, everything
    trimmed) are skipped and counted in ``notes`` (R ``did`` returns NA there).
    Inference is normal (``df`` None): analytic standard errors are
    ``sqrt(diag(ψᵀψ))/n`` without small-sample factors (R ``did``); with ``n_boot`` the
    standard errors are the bootstrap interquartile-range ones of R ``did`` and ``vcov``
    keeps the analytic correlations (``extra["vcov_analytic"]`` is the analytic one).
    The pre-test is R's Wald test ``b' V⁻¹ b ~ χ²(q)`` on the pre-treatment cells
    (``t < g``) with positive variance, using the analytic variance (clustered when
    ``cluster`` is given). When the panel has no never-treated units and
    ``control="not_yet"``, periods from ``max(g) − δ`` on are dropped and the last cohort
    serves as comparison (as R ``did``).

    Small cohorts: an ATT(g,t) of a cohort of one or a few units has an influence-function
    standard error estimated from those units' own deviations, and it is understated:
    the shared rule of :mod:`did_zones.estimators._small_cells` quotes the rejection rate
    of a nominal 5% cluster-robust test measured with 1, 3 and 6 treated clusters
    (``CRV1_REJECTION``: 78%, 19% and 12%) in the warning. For such cells use
    :func:`~did_zones.few_treated_inference` (randomization inference restricted to the
    cohort, :func:`~did_zones.placebo` with ``restrict="cohort"``; Conley–Taber and the
    wild bootstrap take regression results only). R
    ``did``'s own check (a group smaller than the number of covariates + 5) is kept as a
    separate warning about the fits: for treated cohorts with covariates, and for the
    never-treated group.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
    periods. Journal of Econometrics 225(2), 200–230.
    Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
    estimators. Journal of Econometrics 219(1), 101–122.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from did_zones import build_panel, callaway_santanna
    >>> df = pd.DataFrame({"unit": np.repeat(np.arange(12), 3), "year": np.tile([1, 2, 3], 12)})
    >>> df["g"] = np.where(df["unit"] < 6, 3, 0)
    >>> df["y"] = df["unit"] + df["year"] + 2.0 * ((df["g"] == 3) & (df["year"] == 3))
    >>> res = callaway_santanna(build_panel(df, "unit", "year", cohort="g"), "y")
    >>> res.estimate.round(6).to_dict()
    {'ATT(3,2)': 0.0, 'ATT(3,3)': 2.0}
    """
    opts = _validate(panel, outcome, control, method, covariates, anticipation, base_period,
                     cluster, weights, n_boot, boot_weights, seed, alpha, trim, allow_unbalanced,
                     min_cohort_size, small_cells)
    data = _prepare(panel, outcome, opts)
    plan = _plan(data, opts)
    if not plan:
        raise PanelError("No ATT(g,t) cell to estimate: every cohort lacks a pre-treatment "
                         "period or there is only one period.")
    if data.balanced:
        est = _estimate_balanced(data, plan, opts)
    else:
        est = _estimate_unbalanced(data, plan, opts)
    return _assemble(panel, outcome, data, plan, est, opts)


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class _Opts:
    control: str
    method: str
    covariates: tuple[str, ...]
    anticipation: int
    base_period: str
    cluster: str | None
    weights: str | None
    n_boot: int | None
    boot_weights: str
    seed: int | None
    alpha: float
    trim: float
    allow_unbalanced: bool | None
    min_cohort_size: int = DEFAULT_MIN_COHORT_SIZE
    small_cells: str = "flag"


def _validate(panel, outcome, control, method, covariates, anticipation, base_period, cluster,
              weights, n_boot, boot_weights, seed, alpha, trim, allow_unbalanced,
              min_cohort_size=DEFAULT_MIN_COHORT_SIZE, small_cells="flag") -> _Opts:
    from .registry import REGISTRY  # the control values it accepts are declared there

    v = check({"panel": PANEL, "outcome": ColumnName(allow_none=False),
               "control": Choice(REGISTRY["callaway_santanna"].controls),
               "method": Choice(("dr", "ipw", "reg")),
               "base_period": Choice(("varying", "universal")),
               "boot_weights": Choice(("rademacher", "mammen")), "covariates": Columns(),
               "anticipation": COUNT, "n_boot": N_BOOT, "seed": Seed(), "alpha": ALPHA,
               "trim": Real(0.0, 1.0, closed="right"),
               "allow_unbalanced": Boolean(allow_none=True),
               "cluster": OPTIONAL_COLUMN, "weights": OPTIONAL_COLUMN},
              panel=panel, outcome=outcome, control=control, method=method,
              base_period=base_period, boot_weights=boot_weights, covariates=covariates,
              anticipation=anticipation, n_boot=n_boot, seed=seed, alpha=alpha, trim=trim,
              allow_unbalanced=allow_unbalanced, cluster=cluster, weights=weights)
    covariates, alpha = v["covariates"], v["alpha"]
    if outcome in covariates:
        raise SpecificationError(f"The outcome {outcome!r} cannot also be a covariate.")
    if cluster == "unit":  # the unit influence functions are already clustered by unit
        cluster = None
    check_columns(panel.data, (outcome,) + covariates + (cluster, weights))
    check_outcome_varies(panel.column(outcome), outcome)
    k, policy = check_small_cells(min_cohort_size, small_cells)
    return _Opts(control, method, covariates, v["anticipation"], base_period, cluster, weights,
                 v["n_boot"], boot_weights, seed, alpha, v["trim"], allow_unbalanced, k, policy)


# ------------------------------------------------------------------------------ data


@dataclass
class _Data:
    units: pd.Index            # kept unit labels, influence-function row order
    periods: np.ndarray        # kept periods (sorted)
    cohort: np.ndarray         # per kept unit (inf = never / comparison)
    w: np.ndarray              # per unit sampling weights (ones when none)
    cluster: np.ndarray | None  # per unit cluster codes
    n_clusters: int | None
    cov_names: tuple[str, ...]
    balanced: bool
    Y: np.ndarray | None = None        # units × periods (balanced)
    X: np.ndarray | None = None        # units × periods × k covariates (balanced)
    row_unit: np.ndarray | None = None  # rows (unbalanced)
    row_period: np.ndarray | None = None
    row_y: np.ndarray | None = None
    row_X: np.ndarray | None = None
    n_obs: int = 0
    notes: list[str] = field(default_factory=list)


def _prepare(panel: Panel, outcome: str, o: _Opts) -> _Data:
    sample = usable_sample(panel, outcome, o.covariates, weights=o.weights, cluster=o.cluster)
    notes: list[str] = list(sample.notes)
    mask, w_row, clus_codes = sample.mask, sample.weights, sample.cluster
    uid = panel.unit_id

    # units and periods left; cohorts without a pre-period (g <= first period + δ)
    cohort = panel.cohort
    rows = np.flatnonzero(mask)
    pid = panel.period_id
    periods = _present_periods(panel, rows)
    first = periods[0]
    early = np.isfinite(cohort) & (cohort <= first + o.anticipation)
    early_rows = early[_take(uid, rows)]
    if early_rows.any():
        bad = np.unique(_take(uid, rows)[early_rows])
        msg = (f"{bad.size} unit(s) of cohorts treated by the first period + anticipation "
               f"({first} + {o.anticipation}) have no pre-treatment period and are dropped, "
               f"e.g. {examples(panel.units[bad])}.")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
        rows = rows[~early_rows]
    if rows.size == 0:
        raise PanelError("No units left after dropping cohorts without a pre-treatment period.")
    cohort = cohort.copy()

    # no never-treated units
    present = _present(_take(uid, rows), panel.n_units)
    has_never = (~np.isfinite(cohort[present])).any()
    if not has_never:
        if o.control == "never":
            raise PanelError(
                "No never-treated units in the panel. Use control='not_yet', or add "
                "never-pilot units.")
        last = cohort[present].max()
        cut = last - o.anticipation
        tv = panel.time_values[rows]
        n_before = rows.size
        rows = rows[tv < cut]
        cohort[cohort == last] = np.inf
        notes.append(
            f"No never-treated units: periods >= {cut:g} (last cohort {last:g} minus "
            f"anticipation) dropped ({n_before - rows.size} rows) and cohort {last:g} "
            "serves as the comparison group (as R did).")
        if _present_periods(panel, rows).size < 2:
            raise PanelError(
                f"No never-treated units and fewer than two periods before the last cohort "
                f"({last:g}): nothing to compare. Add never-pilot units.")

    # balance
    periods = _present_periods(panel, rows)
    units_present = np.flatnonzero(_present(_take(uid, rows), panel.n_units))
    per_unit = np.bincount(_take(uid, rows), minlength=panel.n_units)
    complete = per_unit == periods.size
    balanced = bool(complete[units_present].all())
    if not balanced and o.allow_unbalanced is not True:
        drop = units_present[~complete[units_present]]
        n_rows = int(per_unit[drop].sum())
        msg = (f"Unbalanced panel: {drop.size} unit(s) not observed in all {periods.size} "
               f"periods dropped ({n_rows} rows), e.g. {examples(panel.units[drop])}, as R "
               "did balances panels; pass allow_unbalanced=True to keep them.")
        if o.allow_unbalanced is None:
            warn(msg, DataDroppedWarning)
        notes.append(msg)
        rows = rows[complete[_take(uid, rows)]]
        if rows.size == 0:
            raise PanelError("No unit is observed in every period; pass allow_unbalanced=True.")
        periods = _present_periods(panel, rows)
        balanced = True

    kept = np.flatnonzero(_present(_take(uid, rows), panel.n_units))
    new_code = np.full(panel.n_units, -1)
    new_code[kept] = np.arange(kept.size)
    ru = new_code[_take(uid, rows)]
    w_unit = np.ones(kept.size)
    if o.weights:
        w_unit[ru] = w_row[rows]
    clus = None
    n_clusters = None
    if clus_codes is not None:
        c = np.zeros(kept.size)
        c[ru] = clus_codes[rows]
        clus = pd.factorize(c, sort=True)[0]
        n_clusters = int(clus.max()) + 1
    y_rows = panel.column(outcome)[rows]
    cov_names, X_rows = _covariate_matrix(panel, o.covariates, rows, notes)

    data = _Data(units=panel.units[kept], periods=periods, cohort=cohort[kept], w=w_unit,
                 cluster=clus, n_clusters=n_clusters, cov_names=cov_names, balanced=balanced,
                 n_obs=int(rows.size), notes=notes)
    if balanced:
        # rows run by unit then period and every kept unit has every period: the units ×
        # periods matrix is the rows' values, reshaped (no scatter)
        data.Y = y_rows.reshape(kept.size, periods.size)
        if cov_names:
            data.X = X_rows.reshape(kept.size, periods.size, len(cov_names))
    else:
        pmap = np.full(panel.n_periods, -1)
        pmap[np.searchsorted(panel.periods, periods)] = np.arange(periods.size)
        rp = pmap[_take(pid, rows)]
        data.row_unit, data.row_period, data.row_y, data.row_X = ru, rp, y_rows, X_rows
        data.notes.append(
            f"Unbalanced panel kept (allow_unbalanced=True): {kept.size} units, {rows.size} "
            "rows; cells use the repeated cross-section estimators with unit-level influence "
            "functions (R did's allow_unbalanced_panel=TRUE).")
    _warn_small_cohorts(data, o)
    return data


def _present(codes: np.ndarray, size: int) -> np.ndarray:
    """Mask of the codes that occur (a bincount, cheaper than np.unique on many rows)."""
    return np.bincount(codes, minlength=size) > 0


def _present_periods(panel: Panel, rows: np.ndarray) -> np.ndarray:
    return panel.periods[_present(_take(panel.period_id, rows), panel.n_periods)]


def _take(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` for increasing row numbers; ``values`` itself (no copy) when they
    are all the rows, the usual case."""
    return values if rows.size == values.size else values[rows]


def _covariate_matrix(panel: Panel, covariates: tuple[str, ...], rows: np.ndarray,
                      notes: list[str]) -> tuple[tuple[str, ...], np.ndarray | None]:
    if not covariates:
        return (), None
    X = np.column_stack([panel.column(c)[rows] for c in covariates])
    # Covariates are centred and scaled once here. ATT(g,t) and its influence function are
    # invariant to an affine map of each covariate (the logit's scores and the OLS fitted
    # values do not change), but the Newton steps, R did's rcond(X'X) check and the
    # collinearity test below are not, in floating point: GDP in yuan (~1e9) made every
    # cell "singular" and a share times 1e-15 looked constant. No covariate coefficient is
    # reported, so nothing needs mapping back.
    X, constant = _standardize(X)
    keep: list[int] = []
    basis = np.ones((X.shape[0], 1))
    for j in range(X.shape[1]):
        if constant[j]:
            continue
        cand = np.column_stack([basis, X[:, j]])
        coef, *_ = np.linalg.lstsq(basis, X[:, j], rcond=None)
        resid = X[:, j] - basis @ coef
        if np.linalg.norm(resid) > 1e-9 * np.linalg.norm(X[:, j]):
            keep.append(j)
            basis = cand
    dropped = [covariates[j] for j in range(len(covariates)) if j not in keep]
    if dropped:
        msg = (f"Collinear covariate(s) dropped: {dropped} (constant, or a linear combination "
               "of the intercept and the covariates listed before them).")
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    names = tuple(covariates[j] for j in keep)
    return names, (X[:, keep] if keep else None)


def _standardize(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale each column; flag columns constant relative to their level
    (standard deviation at most 1e-10 times the absolute mean, or zero)."""
    mean = X.mean(axis=0)
    sd = X.std(axis=0)
    constant = ~(sd > 1e-10 * np.abs(mean))
    return (X - mean) / np.where(constant, 1.0, sd), constant


def _warn_small_cohorts(data: _Data, o: _Opts) -> None:
    """R did's check: groups with fewer than (number of covariates + 5) units. Treated
    cohorts below ``min_cohort_size`` are the small-cell rule's (marks and one warning on
    their standard errors, in :func:`_assemble`); this warning says what is distinct: with
    covariates, the cells' propensity-score and outcome-regression fits rest on few units,
    and a tiny never-treated group is every cell's comparison group."""
    need = len(data.cov_names) + 5  # R did: fewer than (number of covariates + 5) units
    values, counts = np.unique(data.cohort, return_counts=True)
    never = ~np.isfinite(values)
    small = [(v, c) for v, c, nv in zip(values, counts, never, strict=True)
             if c < need and (nv or data.cov_names)]
    if not small:
        return
    shown = ", ".join(f"{'never' if not np.isfinite(v) else f'{v:g}'}: {c}" for v, c in small)
    hint = (" The never-treated group is tiny: consider control='not_yet'."
            if any(not np.isfinite(v) for v, _ in small) and o.control == "never" else "")
    warn(
        f"Groups with fewer than {need} units (covariates + 5, R did's check; cohort: units) "
        f"— {shown}. The ATT(g,t) fits that use them rest on very few units.{hint}",
        SmallCohortWarning)


# ------------------------------------------------------------------------------ cells


@dataclass(frozen=True)
class _Cell:
    g: float
    ti: int     # index of t
    bi: int     # index of the base period
    post: bool
    ref: bool   # the universal base period's own cell (0 by construction)
    ctrl: tuple[float, ...]  # cohorts forming the comparison group

    @property
    def xi(self) -> int:  # covariates come from the earlier of the two periods
        return min(self.ti, self.bi)


def _plan(data: _Data, o: _Opts) -> list[_Cell]:
    periods = data.periods
    cohorts = np.unique(data.cohort)
    groups = cohorts[np.isfinite(cohorts)]
    delta = o.anticipation
    out: list[_Cell] = []
    start = 1 if o.base_period == "varying" else 0
    for g in groups:
        pre = np.flatnonzero(periods + delta < g)
        if pre.size == 0:
            continue
        gb = int(pre[-1])
        for ti in range(start, periods.size):
            t = periods[ti]
            post = bool(g <= t)
            if o.base_period == "universal" or post:
                bi = gb
            else:
                bi = ti - 1
            ref = o.base_period == "universal" and ti == bi
            horizon = periods[max(ti, bi)] + delta
            if o.control == "never":
                ctrl = tuple(c for c in cohorts if not np.isfinite(c))
            else:
                ctrl = tuple(c for c in cohorts if not np.isfinite(c) or (c > horizon and c != g))
            out.append(_Cell(float(g), ti, bi, post, ref, ctrl))
    return out


@dataclass
class _Estimates:
    att: np.ndarray
    psi: np.ndarray
    ok: np.ndarray        # estimated (or reference) cells
    reason: list[str | None]
    n_treated: np.ndarray
    n_control: np.ndarray
    n_trimmed: np.ndarray


def _estimate_balanced(data: _Data, plan: list[_Cell], o: _Opts) -> _Estimates:
    n = data.units.size
    K = len(plan)
    codes_vals = np.unique(data.cohort)
    code = np.searchsorted(codes_vals, data.cohort)
    counts = np.bincount(code, minlength=codes_vals.size)
    raw_w = o.weights is not None
    est = _Estimates(np.zeros(K), np.zeros((n, K)), np.zeros(K, bool), [None] * K,
                     np.zeros(K, int), np.zeros(K, int), np.zeros(K, int))
    for k, c in enumerate(plan):
        gi = np.searchsorted(codes_vals, c.g)
        ci = np.searchsorted(codes_vals, np.asarray(c.ctrl))
        est.n_treated[k] = counts[gi]
        est.n_control[k] = counts[ci].sum()
    if data.X is None:
        _closed_form(data, plan, code, codes_vals, est, o)
        return est
    Y, X, W = data.Y, data.X, data.w
    designs: dict = defaultdict(list)
    for k, c in enumerate(plan):
        if c.ref:
            est.ok[k] = True
        elif est.n_control[k] == 0:
            est.reason[k] = "no_control"
        else:
            designs[(c.g, c.ctrl, c.xi)].append(k)
    for (g, ctrl, xi), ks in designs.items():
        member = np.isin(data.cohort, (g,) + ctrl)
        idx = np.flatnonzero(member)
        D = (data.cohort[idx] == g).astype(float)
        Xc = np.column_stack([np.ones(idx.size), X[idx, xi, :]])
        des = cells_mod.panel_design(o.method, D, Xc, W[idx], o.trim, raw_w)
        for k in ks:
            c = plan[k]
            fit = cells_mod.panel_cell(o.method, des, Y[idx, c.ti] - Y[idx, c.bi])
            _store(est, k, fit, idx, n / idx.size)
    return est


def _store(est: _Estimates, k: int, fit, idx: np.ndarray, scale: float) -> None:
    if fit.problem or not np.isfinite(fit.att):
        est.reason[k] = fit.problem or "trimmed"
        return
    est.att[k] = fit.att
    est.psi[idx, k] = fit.inf * scale
    est.ok[k] = True
    est.n_trimmed[k] = fit.n_trimmed


def _closed_form(data: _Data, plan: list[_Cell], code: np.ndarray, vals: np.ndarray,
                 est: _Estimates, o: _Opts) -> None:
    """All cells at once without covariates: every estimator is the difference of the
    weighted mean outcome changes, and its influence function is
    ``n w_i (ΔY_i − μ_T) / W_T`` for treated and ``−n w_i (ΔY_i − μ_C) / W_C`` for
    comparison units."""
    Y, W = data.Y, data.w
    n, T = Y.shape
    C = vals.size
    S = np.empty((C, T))
    WY = Y * W[:, None]
    for t in range(T):  # a loop over periods; bincount is vectorised over units
        S[:, t] = np.bincount(code, weights=WY[:, t], minlength=C)
    Nw = np.bincount(code, weights=W, minlength=C)
    Nc = np.bincount(code, minlength=C).astype(float)
    K = len(plan)
    A = np.zeros((C, K))
    M = np.zeros((C, K))
    ti = np.array([c.ti for c in plan])
    bi = np.array([c.bi for c in plan])
    for k, c in enumerate(plan):
        if c.ref:
            est.ok[k] = True
            continue
        g = np.searchsorted(vals, c.g)
        ctrl = np.searchsorted(vals, np.asarray(c.ctrl))
        if ctrl.size == 0 or Nc[ctrl].sum() == 0:
            est.reason[k] = "no_control"
            continue
        nt, nc = Nw[g], Nw[ctrl].sum()
        if o.method in ("dr", "ipw"):
            # intercept-only logit: the score is the treated share (unweighted for R's check)
            if Nc[g] / (Nc[g] + Nc[ctrl].sum()) >= 0.999:
                est.reason[k] = "overlap"
                continue
            if min(nt / (nt + nc), 1 - 1e-6) >= o.trim:
                est.reason[k] = "trimmed"
                est.n_trimmed[k] = int(Nc[ctrl].sum())
                continue
        ds = S[:, c.ti] - S[:, c.bi]
        mu_t = ds[g] / nt
        mu_c = ds[ctrl].sum() / nc
        est.att[k] = mu_t - mu_c
        A[g, k], A[ctrl, k] = n / nt, -n / nc
        M[g, k], M[ctrl, k] = mu_t, mu_c
        est.ok[k] = True
    # built in place, in blocks of units so temporaries stay small (~16 MB) however large
    # n is; np.take gathers columns ~3x faster than fancy indexing (a ±1 matrix product
    # is faster still on an idle machine but slower when BLAS threads compete for cores)
    psi = np.empty((n, K))
    step = max(1, 2**21 // max(K, 1))
    for lo in range(0, n, step):
        rows, cb = slice(lo, lo + step), code[lo:lo + step]
        Yb, block = Y[rows], psi[rows]
        np.take(Yb, ti, axis=1, out=block)
        block -= np.take(Yb, bi, axis=1)
        block -= M[cb]
        block *= A[cb]
        if o.weights is not None:
            block *= W[rows, None]
    est.psi = psi


def _estimate_unbalanced(data: _Data, plan: list[_Cell], o: _Opts) -> _Estimates:
    n = data.units.size
    K = len(plan)
    ru, rp, y = data.row_unit, data.row_period, data.row_y
    rcoh = data.cohort[ru]
    k_cov = len(data.cov_names)
    Xr = np.ones((ru.size, 1 + k_cov))
    if k_cov:
        Xr[:, 1:] = data.row_X
    wr = data.w[ru]
    by_period = [np.flatnonzero(rp == p) for p in range(data.periods.size)]
    raw_w = o.weights is not None
    est = _Estimates(np.zeros(K), np.zeros((n, K)), np.zeros(K, bool), [None] * K,
                     np.zeros(K, int), np.zeros(K, int), np.zeros(K, int))
    for k, c in enumerate(plan):
        rows = np.concatenate([by_period[c.ti], by_period[c.bi]])
        treated = rcoh[rows] == c.g
        comp = np.isin(rcoh[rows], np.asarray(c.ctrl))
        rows = rows[treated | comp]
        D = (rcoh[rows] == c.g).astype(float)
        est.n_treated[k] = np.unique(ru[rows][D == 1]).size
        est.n_control[k] = np.unique(ru[rows][D == 0]).size
        if c.ref:
            est.ok[k] = True
            continue
        if est.n_control[k] == 0:
            est.reason[k] = "no_control"
            continue
        post = (rp[rows] == c.ti).astype(float)
        fit = cells_mod.rc_cell(o.method, y[rows], post, D, Xr[rows], wr[rows], o.trim, raw_w)
        if fit.problem or not np.isfinite(fit.att):
            est.reason[k] = fit.problem or "trimmed"
            continue
        est.att[k] = fit.att
        est.psi[:, k] = np.bincount(ru[rows], weights=fit.inf * (n / rows.size), minlength=n)
        est.ok[k] = True
        est.n_trimmed[k] = fit.n_trimmed
    return est


# --------------------------------------------------------------------------- assembly


def _fmt(v: float) -> str:
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"


def _assemble(panel: Panel, outcome: str, data: _Data, plan: list[_Cell], est: _Estimates,
              o: _Opts) -> Result:
    notes = list(panel.notes) + data.notes
    skipped = [k for k in range(len(plan)) if not est.ok[k]]
    if skipped:
        notes.append(_skip_note(plan, est, skipped, data.periods))
        warn(notes[-1], SmallCohortWarning)
    if len(skipped) == len(plan):
        raise EstimationError("No ATT(g,t) cell could be estimated. " + notes[-1])
    n_trim = int(est.n_trimmed[est.ok].sum())
    if n_trim:
        cells_trim = int((est.n_trimmed[est.ok] > 0).sum())
        msg = (f"Propensity-score trimming (trim={o.trim:g}): {n_trim} comparison "
               f"observation(s) in {cells_trim} ATT(g,t) cell(s) had a score >= {o.trim:g} and "
               "got zero weight (DRDID's convention).")
        notes.append(msg)
        warn(msg, InferenceWarning)

    keep = np.flatnonzero(est.ok)
    cells = [plan[k] for k in keep]
    per = data.periods
    terms = [f"ATT({_fmt(c.g)},{_fmt(per[c.ti])})" for c in cells]
    att = est.att[keep]
    psi = est.psi if keep.size == len(plan) else est.psi[:, keep]
    n = data.units.size
    if data.cluster is not None:  # first: its error names the cluster variable
        notes += check_clusters(data.n_clusters, o.cluster)
    vcov_a = influence_vcov(psi, data.cluster)

    keys = pd.DataFrame({
        "cohort": [c.g for c in cells],
        "time": [float(per[c.ti]) for c in cells],
        "event_time": [float(per[c.ti] - c.g) for c in cells],
        "base_period": [float(per[c.bi]) for c in cells],
        "post": [c.post for c in cells],
        "n_treated": est.n_treated[keep],
        "n_control": est.n_control[keep],
    })
    keys = mark_small(keys, keys["n_treated"].to_numpy(float), o.min_cohort_size)
    small = keys["small_cell"].to_numpy()
    msg = warn_small_cells("Callaway–Sant'Anna", dict(zip(
        np.asarray(terms)[small].tolist(), keys["n_treated"].to_numpy()[small].tolist(),
        strict=True)), o.min_cohort_size, o.small_cells)
    if msg:
        notes.append(msg)
    pre_test, pre_note = _pretrend(att, vcov_a, keys, terms)
    if pre_note:
        notes.append(pre_note)

    cohorts_used = np.unique(keys["cohort"])
    share = pd.Series([np.mean(data.w * (data.cohort == g)) for g in cohorts_used],
                      index=pd.Index(cohorts_used, name="cohort"), name="cohort_share")
    extra: dict = {
        "pretrend_test": pre_test,
        "cohort_share": share,
        "unit_cohort": data.cohort.copy(),
        "unit_weights": data.w.copy(),
        "cluster": None if data.cluster is None else data.cluster.copy(),
        "periods": data.periods.copy(),
        "reference_cell": np.array([c.ref for c in cells]),
        "covariates": data.cov_names,
        "estimator": "panel" if data.balanced else "unbalanced",
        "skipped_cells": pd.DataFrame({
            "cohort": [plan[k].g for k in skipped],
            "time": [float(per[plan[k].ti]) for k in skipped],
            "reason": [_REASONS[est.reason[k]] for k in skipped],
        }),
    }
    vcov = vcov_a
    crit = None
    seed_used = new_seed(o.seed) if o.n_boot else o.seed
    if o.n_boot:
        boot = bootstrap(psi, o.n_boot, seed_used, data.cluster, o.boot_weights, o.alpha)
        vcov = bootstrap_vcov(vcov_a, boot.std_error)
        crit = boot.crit_value
        labels = pd.Index(terms, name="term")
        extra["vcov_analytic"] = pd.DataFrame(vcov_a, index=labels, columns=labels)
        extra["bootstrap_draws"] = boot.draws
        if boot.note:
            notes.append(boot.note)
    spec = {
        "control": o.control, "method": o.method, "covariates": o.covariates,
        "anticipation": o.anticipation, "base_period": o.base_period,
        "cluster": "unit" if o.cluster is None else o.cluster,
        "weights": o.weights, "n_boot": o.n_boot, "boot_weights": o.boot_weights,
        "seed": seed_used, "alpha": o.alpha, "trim": o.trim,
        "allow_unbalanced": o.allow_unbalanced,
        "min_cohort_size": o.min_cohort_size, "small_cells": o.small_cells,
        "se": "bootstrap" if o.n_boot else "influence",
    }
    return Result.create(
        att, vcov, terms, keys=keys, method="callaway_santanna", outcome=outcome, spec=spec,
        n_obs=data.n_obs, n_units=n,
        n_clusters=data.n_clusters if data.cluster is not None else n,
        df=None, primary=None, influence=psi, influence_index=data.units.copy(),
        crit_value=crit, notes=tuple(dict.fromkeys(notes)), extra=extra,
    )


def _skip_note(plan: list[_Cell], est: _Estimates, skipped: list[int], per) -> str:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for k in skipped:
        c = plan[k]
        by_reason[est.reason[k]].append(f"({_fmt(c.g)},{_fmt(per[c.ti])})")
    parts = [f"{len(v)} for {_REASONS[r]}, e.g. {', '.join(v[:5])}" for r, v in by_reason.items()]
    return (f"{len(skipped)} of {len(plan)} ATT(g,t) cell(s) skipped (R did reports NA): "
            + "; ".join(parts) + ". Aggregations use the estimated cells.")


def _pretrend(att, vcov, keys, terms) -> tuple[HypothesisTest | None, str | None]:
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    pre = np.flatnonzero((keys["time"].to_numpy() < keys["cohort"].to_numpy()) & (se > _TINY))
    if pre.size == 0:
        return None, "No pre-treatment ATT(g,t) to test parallel trends on."
    V = vcov[np.ix_(pre, pre)]
    with np.errstate(divide="ignore"):
        rcond = 1 / np.linalg.cond(V, 1)
    if not rcond > np.finfo(float).eps:
        return None, ("Pre-test of parallel trends not reported: the variance of the "
                      "pre-treatment ATT(g,t) is singular.")
    b = att[pre]
    w = float(b @ np.linalg.solve(V, b))
    test = HypothesisTest(
        "pre-trend: all pre-treatment ATT(g,t) = 0", w, float(stats.chi2.sf(w, pre.size)),
        int(pre.size), "chi2", {"terms": [terms[i] for i in pre]})
    return test, None
