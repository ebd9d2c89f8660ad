"""Re-estimate a result's specification on another panel."""

from __future__ import annotations

from typing import Any

from ..errors import SpecificationError
from ..estimators.registry import REGISTRY
from ..panel import Panel
from ..result import Result

__all__ = ["rerun"]

# spec keys written by ``aggregate`` on top of the spec of the estimator it aggregates
_AGGREGATION_KEYS = ("aggregation", "window", "balance")


def rerun(result: Result, panel: Panel, outcome: str | None = None, **overrides: Any) -> Result:
    """Estimate ``result``'s specification again, on ``panel``.

    Parameters
    ----------
    result : Result
        A result of any estimator of the registry (``result.method`` names it and
        ``result.spec`` holds its options; :mod:`did_zones.estimators.registry`), including
        ``aggregate`` results of Callaway-Sant'Anna, which are re-aggregated the same way.
    panel : Panel
        The panel to estimate on: e.g. a placebo assignment, a sub-sample, a matched sample.
    outcome : str, optional
        Outcome column; defaults to ``result.outcome``.
    **overrides
        Options replacing those of ``result.spec`` (e.g. ``controls=("lnpop",)``). For an
        aggregated result, ``aggregation``, ``window`` and ``balance`` override the
        aggregation.

    Returns
    -------
    Result
        The new estimate, with the same terms where the panel allows them.

    Raises
    ------
    SpecificationError
        If ``result.method`` is not an estimator of the library, or an override is not one
        of its options.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1)
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.twfe(panel, "isu", controls=["lnpop"])
    >>> again = dz.robustness.rerun(res, panel.window(2012, 2021))
    >>> again.spec["controls"]
    ('lnpop',)
    """
    entry = REGISTRY.get(result.method)
    if entry is None:
        known = sorted(REGISTRY)
        raise SpecificationError(
            f"Cannot rerun a {result.method!r} result: it is not an estimator of the library "
            f"({', '.join(known)}). Call the function that made it directly, or register it "
            "(did_zones.estimators.register)."
        )
    estimator = entry.function
    accepted = set(entry.options)
    # the spec may also record derived facts (e.g. which standard errors were used)
    spec = {k: v for k, v in result.spec.items() if k in accepted or k in _AGGREGATION_KEYS}
    unknown = sorted(set(overrides) - set(spec))
    if unknown:
        raise SpecificationError(
            f"Unknown option(s) {unknown} for {result.method}; its options are "
            f"{sorted(spec)}."
        )
    spec.update(overrides)
    agg = {k: spec.pop(k) for k in _AGGREGATION_KEYS if k in spec} if (
        "aggregation" in spec and entry.aggregations) else None
    new = estimator(panel, outcome or result.outcome, **spec)
    if agg is None:
        return new
    from ..estimators.aggregate import aggregate

    window = agg.get("window")
    if window is not None and all(abs(float(w)) == float("inf") for w in window):
        window = None
    return aggregate(new, kind=agg["aggregation"], window=window, balance=agg.get("balance"))
