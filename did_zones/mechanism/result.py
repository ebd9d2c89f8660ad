"""The frozen result of :func:`did_zones.mechanism`: composed Results and tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from .._render import render
from ..result import HypothesisTest, Result

__all__ = ["MediationResult", "MediationExtra", "TIDY_COLUMNS"]

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                "conf_high", "quantity", "mediator"]


class MediationExtra(TypedDict, total=False):
    """The ``extra`` mapping of a :class:`MediationResult`, by method.

    ``method="stepwise"``: ``labels`` (names of the bootstrap statistics' columns),
    ``cov_a`` (joint covariance of the first-stage coefficients ``a_j``), ``cov_b``
    (covariance of the outcome model's ``b_j``), ``n_dropped`` (rows left out of the
    common sample). ``method="causal"``: ``conclusions`` (per mediator). The channel test
    has none. ``method="serial"``: ``labels`` (bootstrap columns: θ then the derived
    quantities), ``vcov`` (joint covariance of θ = the ``a``, ``d``, ``c'``, ``b`` and ``c``
    coefficients, a DataFrame), ``ancestors`` (per mediator, the mediators in its equation),
    ``chains`` (side name -> mediators), ``n_dropped``.
    """

    labels: list[str]
    cov_a: Any
    cov_b: Any
    n_dropped: int
    conclusions: dict[str, str]
    vcov: Any
    ancestors: dict[str, tuple[str, ...]]
    chains: dict[str, tuple[str, ...]]


#: The keys each mediation method puts in ``MediationResult.extra``.
MEDIATION_EXTRA_KEYS: dict[str, frozenset[str]] = {
    "channel": frozenset(),
    "stepwise": frozenset({"labels", "cov_a", "cov_b", "n_dropped"}),
    "causal": frozenset({"conclusions"}),
    "serial": frozenset({"labels", "vcov", "ancestors", "chains", "n_dropped"}),
}


@dataclass(frozen=True, eq=False)
class MediationResult:
    """A mechanism analysis: the total effect, first stages, direct and indirect effects.

    Attributes
    ----------
    total : Result
        D → Y (``c``), with the design of the analysis.
    first_stage : dict str -> Result
        D → M_j (``a_j``) per mediator, same design and rows as ``total``.
    outcome_model : Result or None
        Y on D and all mediators (``c'`` = term ``"treated"``, ``b_j`` = the mediator
        terms); None for the channel test.
    indirect : pandas.DataFrame or None
        One row per mediator (``a*b``) and, with an outcome model, a row ``"total"`` (Σ a_j
        b_j): columns ``a``, ``b``, ``estimate``, ``std_error`` (Sobel; multivariate delta
        method for the total), ``statistic``, ``p_value`` (normal), ``boot_std_error``,
        ``conf_low``, ``conf_high`` (bootstrap interval of kind ``interval``, else normal),
        ``interval``, ``share`` (``a·b / c``), ``conclusion``. For ``method="causal"``:
        ACME, ADE, total and proportion mediated per mediator.
    tests : tuple of HypothesisTest
        Sobel, Aroian, Goodman and bootstrap tests of each ``a·b`` (and of the total), or
        the first-stage t tests for the channel test.
    steps : pandas.DataFrame or None
        The decision sequence (step, mediator, test, statistic, p_value, decision).
    conclusion : str
        ``"full mediation"``, ``"partial mediation"``, ``"suppression"``, ``"no
        mediation"`` or ``"inconclusive"``.
    share_mediated : float
        ``a·b / c`` (``|a·b / c'|`` under suppression); NaN when not defined.
    method : str
        ``"channel"``, ``"stepwise"``, ``"causal"`` or ``"serial"``.
    spec : mapping
        The options that produced the analysis (incl. the seed).
    notes : tuple of str
        What happened to the data (common-sample drops, ...).
    bootstrap : BootstrapDraws or None
        Cluster-bootstrap draws of ``statistic_labels`` (``extra["labels"]`` names them).
    causal : mapping str -> Result
        Per mediator, the :func:`causal_mediation` Result (``method="causal"`` only).
    paths : pandas.DataFrame or None
        Serial mediation only: one row per specific indirect effect (``kind="path"``, label
        ``"m1 -> m2"``), the total indirect effect, the side totals and side differences:
        columns ``path``, ``kind``, ``side``, ``estimate``, ``std_error`` (delta method),
        ``statistic``, ``p_value`` (normal), ``conf_low``, ``conf_high`` (bootstrap interval
        of kind ``interval``, else normal), ``interval``, ``boot_std_error``,
        ``boot_p_value``, ``conclusion`` (decision sequence, paths and total only).
    extra : mapping
        Typed by :class:`MediationExtra` (keys per method in ``MEDIATION_EXTRA_KEYS``):
        e.g. ``labels`` of the bootstrap columns, ``cov_a``.
    """

    total: Result
    first_stage: Mapping[str, Result]
    outcome_model: Result | None
    indirect: pd.DataFrame | None
    tests: tuple[HypothesisTest, ...]
    steps: pd.DataFrame | None
    conclusion: str
    share_mediated: float
    method: str
    spec: Mapping[str, Any]
    notes: tuple[str, ...] = ()
    bootstrap: Any = None
    causal: Mapping[str, Result] = field(default_factory=dict)
    paths: pd.DataFrame | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def mediators(self) -> list[str]:
        """Mediator names, in order."""
        return list(self.first_stage) or list(self.causal)

    @property
    def alpha(self) -> float:
        return float(self.spec.get("alpha", 0.05))

    # ------------------------------------------------------------------ views
    def tidy(self) -> pd.DataFrame:
        """One row per quantity, with the standard columns plus ``quantity``, ``mediator``.

        Rows: the total effect ``c``; per mediator ``a``; then (with an outcome model)
        ``b`` per mediator, the direct effect ``c'``, ``a*b`` per mediator, the total
        indirect effect ``sum(a*b)`` and the share mediated (estimate only). Serial
        mediation adds ``d`` per link (mediator ``"k -> j"``), ``path`` per specific
        indirect effect (mediator = the path label), ``side`` totals and ``difference``
        rows. For the causal method the ACME / ADE / total / proportion rows of each mediator.
        """
        rows = [_primary_row(self.total, None, "c", "total effect", None, self.alpha)]
        for m, res in self.first_stage.items():
            rows.append(_primary_row(res, None, "a", "first stage D -> M", m,
                                     self.alpha))
        if self.outcome_model is not None:
            for m in self.first_stage:
                rows.append(_primary_row(self.outcome_model, m, "b", "mediator effect M -> Y",
                                         m, self.alpha))
            rows.append(_primary_row(self.outcome_model, "treated", "c'", "direct effect",
                                     None, self.alpha))
        for m, anc in self.extra.get("ancestors", {}).items():
            for k in anc:
                rows.append(_primary_row(self.first_stage[m], k, "d",
                                         "serial link M_k -> M_j | D", f"{k} -> {m}",
                                         self.alpha))
        if self.paths is not None:
            for _, r in self.paths.iterrows():
                term, quantity = {
                    "path": ("path", "specific indirect effect"),
                    "total indirect": ("sum(a*b)", "total indirect effect"),
                    "side total": ("side", "side total indirect effect"),
                    "difference": ("difference", "difference of side totals")}[r["kind"]]
                rows.append({"term": term, "estimate": r["estimate"],
                             "std_error": r["std_error"], "statistic": r["statistic"],
                             "p_value": r["p_value"], "conf_low": r["conf_low"],
                             "conf_high": r["conf_high"], "quantity": quantity,
                             "mediator": None if r["kind"] == "total indirect"
                             else r["path"]})
        if self.indirect is not None and self.method != "causal":
            for m, r in self.indirect.iterrows():
                total = m == "total"
                rows.append({
                    "term": "sum(a*b)" if total else "a*b",
                    "estimate": r["estimate"], "std_error": r["std_error"],
                    "statistic": r["statistic"], "p_value": r["p_value"],
                    "conf_low": r["conf_low"], "conf_high": r["conf_high"],
                    "quantity": "total indirect effect" if total else "indirect effect",
                    "mediator": None if total else m,
                })
        for m, res in self.causal.items():
            # simulation percentile intervals and p-values (R mediation's convention)
            t = res.extra["intervals"]
            for _, r in t.iterrows():
                row = {c: r[c] for c in ("term", "estimate", "std_error", "p_value",
                                         "conf_low", "conf_high")}
                row.update(statistic=np.nan, quantity=f"causal mediation {r['term']}",
                           mediator=m)
                rows.append(row)
        if np.isfinite(self.share_mediated):
            rows.append({"term": "share", "estimate": self.share_mediated,
                         "quantity": "share mediated", "mediator": None})
        return pd.DataFrame(rows, columns=TIDY_COLUMNS)

    def glance(self) -> pd.DataFrame:
        """One row of analysis-level facts: method, outcome, mediators, conclusion,
        share_mediated, n_obs, n_units, n_clusters, alpha, n_tests, notes (their count)."""
        total = self.total
        return pd.DataFrame([{
            "method": self.method, "outcome": total.outcome,
            "mediators": ", ".join(self.mediators), "conclusion": self.conclusion,
            "share_mediated": self.share_mediated, "n_obs": total.n_obs,
            "n_units": total.n_units, "n_clusters": total.n_clusters, "alpha": self.alpha,
            "n_tests": len(self.tests), "notes": len(self.notes)}])

    @property
    def verdict(self) -> str:
        """One plain-language sentence: what the analysis shows, and what it does not
        (rendered by :mod:`did_zones.tables`)."""
        return render(self, "verdict")

    def summary(self) -> str:
        """Plain-text report: the quantities, the decision steps, the verdict and caveat
        (rendered by :mod:`did_zones.tables`)."""
        return render(self, "summary")

    def to_table(self, **options: Any):
        """The stepwise regressions side by side: :func:`did_zones.tables.mediation_table`."""
        return render(self, "table", **options)

    def __repr__(self) -> str:
        return (f"MediationResult({self.method}, outcome={self.total.outcome!r}, "
                f"mediators={self.mediators}, conclusion={self.conclusion!r})")


def _primary_row(res: Result, term: str, label: str, quantity: str, mediator, alpha) -> dict:
    t = res.tidy(alpha)
    if term is None:  # the headline term (staggered estimators: "overall", ...)
        term = res.primary if res.primary in res.terms else res.terms[0]
    r = t.loc[t["term"] == term].iloc[0]
    row = {c: r[c] for c in TIDY_COLUMNS[1:7]}
    row.update(term=label, quantity=quantity, mediator=mediator)
    return row
