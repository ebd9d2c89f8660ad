"""Robustness checks on an existing result: each is one call that re-uses the result's spec.

- :func:`rerun`: the result's specification estimated again on another panel.
- :func:`conley_taber`: Conley & Taber (2011) interval for a TWFE coefficient with few
  treated units, from the control units' residual paths.
- :func:`placebo`: in-space, in-time and mixed placebo tests (Frisch–Waugh–Lovell fast path
  for TWFE-type results; joblib or Dask for the rest).
- :func:`match` / :func:`psm_did`: propensity-score matching and DiD on the matched sample.
- :func:`variations`: sample trims, windows, timing rules, leave-one-cohort-out and other
  policies in one table.
- :func:`honest_did`: Rambachan & Roth (2023) sensitivity of event-study results.
- :func:`pretrend_power`: Roth (2022) power of the pre-trend test.
- :func:`heterogeneity`: effects by group with the test of equal effects.
- :func:`wild_bootstrap`: wild cluster bootstrap test and interval (Stata ``boottest``).
- :func:`few_treated_inference`: the result with randomization, wild bootstrap or
  Conley–Taber inference for the terms that rest on few treated units.
"""

from __future__ import annotations

from .conley_taber import conley_taber
from .few_treated import few_treated_inference
from .heterogeneity import heterogeneity
from .honest import HonestResult, honest_did
from .placebo import placebo, placebo_assignments, randomization_p_values
from .power import PretrendPower, pretrend_power
from .psm import MatchResult, match, psm_did
from .rerun import rerun
from .variations import variations
from .wild_bootstrap import wild_bootstrap

__all__ = [
    "HonestResult", "MatchResult", "PretrendPower", "conley_taber", "few_treated_inference", "heterogeneity", "honest_did", "match",
    "placebo", "placebo_assignments", "pretrend_power", "psm_did", "randomization_p_values",
    "rerun", "variations", "wild_bootstrap",
]
