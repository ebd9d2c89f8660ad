"""The design layer: the estimation sample, the fixed-effect absorber, the absorbed OLS fit.

Every regression-based estimator, the mechanism tests and the fast placebo path build
their sample and absorb their fixed effects here:

- :mod:`.sample` -- :func:`build_design` (usable rows, weights, clusters, missing values,
  singleton groups; every drop warned and noted) and :func:`usable_sample` (the unit-level
  sample of Callaway–Sant'Anna);
- :mod:`.absorb` -- :class:`Absorber`, one fixed-effect projection with three strategies
  (balanced closed form, exact two-block solve, alternating projections);
- :mod:`.ols` -- :func:`fit_absorbed` and :class:`AbsorbedFit` (CRV1 / HC1 variance with
  reghdfe's small-sample factor, :func:`fe_dof`);
- :mod:`.collapsed` -- :func:`collapsed_design`: the same fit for cohort × period
  indicators with unit and period effects on a balanced panel, from cohort × period sums
  instead of the n × k matrix (the event study and Sun–Abraham at a million units).
"""

from .absorb import EXACT_AUTO_LEVELS, Absorber, Strategy, dense_codes
from .collapsed import CollapsedDesign, CollapsedFit, collapsed_design
from .ols import AbsorbedFit, fe_dof, fit_absorbed
from .sample import (
    FE_ROLES,
    Design,
    FESpec,
    Sample,
    build_design,
    check_panel_outcome,
    count_distinct,
    few_clusters_note,
    refactorize,
    require_unit_constant,
    resolve_codes,
    usable_rows,
    usable_sample,
)

__all__ = [
    "require_unit_constant",
    "Absorber",
    "AbsorbedFit",
    "CollapsedDesign",
    "CollapsedFit",
    "Design",
    "EXACT_AUTO_LEVELS",
    "FESpec",
    "FE_ROLES",
    "Sample",
    "Strategy",
    "build_design",
    "check_panel_outcome",
    "collapsed_design",
    "count_distinct",
    "dense_codes",
    "fe_dof",
    "few_clusters_note",
    "fit_absorbed",
    "refactorize",
    "resolve_codes",
    "usable_rows",
    "usable_sample",
]
