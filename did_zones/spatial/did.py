"""Spatial difference-in-differences (空间双重差分): the policy dummy and its spatial lag in a
fixed-effects spatial panel model (:func:`spatial_did`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from .._provenance import records_panel
from ..design import check_panel_outcome
from ..errors import SpecificationError
from ..panel import Panel
from ..result import Result
from ..validation import as_tuple
from .models import Model, spatial_panel

__all__ = ["spatial_did"]

TREATED = "treated"


@records_panel
def spatial_did(
    panel: Panel,
    outcome: str,
    weights: Any,
    *,
    model: Model = "sdm",
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[str] = ("unit", "time"),
    bias_correction: bool = True,
    effects_se: Literal["delta", "simulation"] = "delta",
    n_sim: int = 1000,
    seed: int | None = None,
    logdet: Literal["auto", "eigen", "lu"] = "auto",
    alpha: float = 0.05,
    cluster: str | None = "unit",
) -> Result:
    """Spatial difference-in-differences: the treatment, its spatial lag ``W·D`` and the
    LeSage–Pace decomposition into direct, indirect (spillover) and total effects.

    Fits :func:`spatial_panel` with the panel's absorbing treatment ``D_it = 1{t ≥ g_i}``
    (term ``"treated"``) and the ``controls`` as regressors; the SDM and SLX add ``W·D``
    (``"W*treated"``, the spillover onto neighbours) and ``W·controls``. The usual
    specification of Chinese pilot-policy papers is the two-way fixed-effects SDM.

    Parameters
    ----------
    panel : Panel
        A balanced panel from :func:`did_zones.build_panel` whose treatment is absorbing.
    outcome : str
        Outcome column.
    weights : SpatialWeights or pandas.DataFrame
        Weight matrix over the panel's units (see :func:`spatial_panel`).
    model : {"sdm", "sar", "sem", "slx"}
        Specification (default ``"sdm"``).
    controls : str or sequence of str
        Numeric control columns.
    fixed_effects, bias_correction, effects_se, n_sim, seed, logdet, alpha
        As in :func:`spatial_panel`.
    cluster : str or None, default "unit"
        Cluster-robust sandwich by unit (or by a unit-level column such as the province),
        as DiD standard errors are: city panels have serially correlated errors, which the
        information matrix (``cluster=None``, splm's and spreg's convention) ignores (see
        :func:`spatial_panel`).

    Returns
    -------
    Result
        As :func:`spatial_panel` with ``method="spatial_did"`` and primary term
        ``"direct: treated"`` (the average effect of a unit's own treatment, feedback
        through neighbours included); ``"indirect: treated"`` is the average spillover
        (LeSage & Pace's indirect effect), ``"total: treated"`` their sum. ``extra`` as
        :class:`~did_zones.spatial.models.SpatialPanelExtra`.

    Raises
    ------
    PanelError
        Unbalanced panel, or treatment that switches off.
    SpecificationError
        A control named ``"treated"``, and everything :func:`spatial_panel` refuses.

    Notes
    -----
    Estimand: under the SDM ``y = ρWy + βD + θWD + Xγ + α + μ + ε``, the direct effect
    ``tr[(I − ρW)⁻¹(βI + θW)]/n`` is the average change of a unit's outcome when it alone
    is treated, the indirect effect the average change of the others'. Identification
    rests on parallel trends in the spatial model and on ``W`` being exogenous. With
    staggered adoption and heterogeneous effects the two-way fixed-effects weighting
    problems of :func:`~did_zones.twfe` apply here too; the ring estimator (Butts 2021)
    is the design-based alternative.

    References
    ----------
    LeSage, J. & Pace, R. K. (2009). Introduction to Spatial Econometrics. CRC Press.
    Delgado, M. S. & Florax, R. J. G. M. (2015). Difference-in-differences techniques for
    spatial data: local autocorrelation and spatial interaction. Econ. Letters 137,
    123–126.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import did_zones as dz
    >>> rng = np.random.default_rng(1)
    >>> n, t = 40, 6
    >>> w = np.zeros((n, n)); i = np.arange(n)
    >>> w[i, (i + 1) % n] = w[i, (i - 1) % n] = 0.5
    >>> df = pd.DataFrame({"unit": np.repeat(i, t), "year": np.tile(np.arange(t), n)})
    >>> cohort = {u: 3 for u in range(0, n, 4)}
    >>> df["y"] = rng.normal(size=n * t) + df["unit"].map(cohort).le(df["year"])
    >>> panel = dz.build_panel(df, unit="unit", time="year", cohort=cohort)
    >>> res = dz.spatial_did(panel, "y", pd.DataFrame(w))
    >>> res.primary
    'direct: treated'
    >>> res.terms[:3]
    ['treated', 'W*treated', 'rho']
    """
    check_panel_outcome(panel, outcome)
    controls = as_tuple(controls)
    if TREATED in controls:
        raise SpecificationError(
            "'treated' is the panel's treatment term; rename the control column.")
    panel.require_absorbing()
    column = TREATED
    while column in panel.data.columns:  # never clash with a user column
        column = f"_{column}"
    augmented = panel.with_columns({column: panel.treated.astype(float)})
    if np.ptp(augmented.column(column)) == 0:
        raise SpecificationError(
            "The treatment does not vary in this panel (every unit-period has the same "
            "value): no treated, or no untreated, observations.")
    res = spatial_panel(augmented, outcome, weights, [column, *controls], model=model,
                        fixed_effects=fixed_effects, bias_correction=bias_correction,
                        effects_se=effects_se, n_sim=n_sim, seed=seed, logdet=logdet,
                        alpha=alpha, cluster=cluster)
    rename = {} if column == TREATED else {
        t: t.replace(column, TREATED) for t in res.terms if column in t}
    estimate, vcov, keys = res.estimate, res.vcov, res.keys
    if rename:
        estimate = estimate.rename(index=rename)
        vcov = vcov.rename(index=rename, columns=rename)
        keys = keys.rename(index=rename).replace({"variable": {column: TREATED}})
    spec = {**res.spec, "regressors": None, "treatment": TREATED, "controls": controls}
    return replace(res, estimate=estimate, vcov=vcov, keys=keys, method="spatial_did",
                   spec=spec, primary=f"direct: {TREATED}")
