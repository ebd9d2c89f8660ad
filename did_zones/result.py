"""The one result type of did_zones, and the one test type.

Every estimator and every aggregation returns a frozen :class:`Result`; every test returns a
frozen :class:`HypothesisTest`. Both follow the result protocol of the package: ``tidy()``
(one row per term), ``glance()`` (one row of model-level facts), ``summary()`` (text) and
``to_table()`` (a :class:`~did_zones.tables.Table`). The last two are rendered by
:mod:`did_zones.tables`, which reads only ``tidy()`` and ``glance()``, through the neutral
registry :mod:`did_zones._render`: this module never imports the presentation layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._render import render
from .errors import SpecificationError
from .validation import check_alpha, unknown_key_message

__all__ = ["Result", "HypothesisTest"]


# methods whose results hold cells that did_zones.aggregate turns into an "overall" term
_AGGREGATES_TO_OVERALL = ("callaway_santanna",)


class _UnknownTerm(KeyError):
    """KeyError whose message prints as text (KeyError would show it quoted, as a key)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, eq=False)
class HypothesisTest:
    """Outcome of a hypothesis test.

    Attributes
    ----------
    name : str
        What was tested, e.g. ``"pre-trend: all leads = 0"``.
    statistic : float
        Test statistic.
    p_value : float
        p-value.
    df : float or tuple of float or None
        Degrees of freedom (a pair for F tests).
    distribution : str
        ``"chi2"``, ``"F"``, ``"normal"``, ``"t"``, ``"randomization"`` or
        ``"wild_bootstrap"``.
    details : mapping
        Anything else worth keeping (e.g. the placebo distribution, the restriction matrix).
    """

    name: str
    statistic: float
    p_value: float
    df: float | tuple[float, float] | None = None
    distribution: str = "chi2"
    details: Mapping[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """One-row DataFrame: test, statistic, df, p_value, distribution."""
        return pd.DataFrame([{
            "test": self.name, "statistic": self.statistic, "df": self.df,
            "p_value": self.p_value, "distribution": self.distribution,
        }])

    def glance(self) -> pd.DataFrame:
        """One row: test, statistic, p_value, distribution, ``df1``/``df2`` (numerator and
        denominator degrees of freedom; ``df2`` only for F tests), and the scalar
        ``details`` (numbers and strings; arrays and tables stay in ``details``)."""
        df1, df2 = (self.df if isinstance(self.df, tuple) else (self.df, None))
        row: dict[str, Any] = {"test": self.name, "statistic": self.statistic,
                               "p_value": self.p_value, "distribution": self.distribution,
                               "df1": df1, "df2": df2}
        row.update({k: v for k, v in self.details.items()
                    if isinstance(v, (int, float, str, np.number)) and k not in row})
        return pd.DataFrame([row])

    def summary(self) -> str:
        """One line of text: the test, its statistic, degrees of freedom and p-value."""
        return render(self, "summary")

    def to_table(self, **options: Any):
        """The test as a one-row :class:`did_zones.tables.Table`."""
        return render(self, "table", **options)

    def __repr__(self) -> str:
        df = f", df={self.df}" if self.df is not None else ""
        return (f"HypothesisTest({self.name!r}: {self.distribution} statistic="
                f"{self.statistic:.4g}{df}, p={self.p_value:.4g})")


@dataclass(frozen=True, eq=False)
class Result:
    """Estimates with their uncertainty, their provenance and what happened to the data.

    Build with :meth:`Result.create`. ``estimate`` and ``vcov`` are labelled by term.

    Attributes
    ----------
    estimate : pandas.Series
        Point estimates, indexed by term name.
    vcov : pandas.DataFrame
        Variance-covariance matrix of the estimates (terms × terms).
    keys : pandas.DataFrame
        One row per term (index = term) with ``cohort``, ``time`` and ``event_time`` where
        meaningful, and method-specific columns such as ``n_units``. Nothing needs to parse
        term names.
    method : str
        Estimator name, e.g. ``"callaway_santanna"``.
    outcome : str
        Outcome column.
    spec : mapping
        The options that produced the result (incl. the seed), enough to rerun it.
    n_obs, n_units : int
        Rows and units used.
    n_clusters : int or None
        Number of clusters behind the variance, where clustered.
    df : int or None
        Degrees of freedom for t/F inference (Stata's convention: clusters − 1); ``None``
        means normal/chi-square inference (R ``did``'s convention).
    primary : str or None
        The headline term (e.g. ``"treated"`` or ``"overall"``), used by robustness tables.
    influence : numpy.ndarray or None
        Influence functions, ``n × k``, with ``estimate − θ ≈ mean(influence)``, so that
        ``vcov = influence.T @ influence / n**2`` (the R ``did`` convention). Rows follow
        ``influence_index``.
    influence_index : pandas.Index or None
        Unit (or cluster) labels of the influence-function rows.
    crit_value : float or None
        Critical value of the uniform (sup-t) band from the multiplier bootstrap.
    notes : tuple of str
        What happened to the data and to the estimation (drops, warnings).
    stats : mapping
        Scalar fit statistics for :meth:`glance` (e.g. ``r2_within``).
    extra : mapping
        Method-specific payload (e.g. cell sizes for aggregation, tests, weights). Its keys
        are declared once per estimator, as a ``TypedDict`` in the estimator's module
        (:class:`~did_zones.estimators.twfe.TwfeExtra`,
        :class:`~did_zones.estimators.event_study.EventStudyExtra`,
        :class:`~did_zones.estimators.callaway_santanna.CallawaySantAnnaExtra`, ...) and
        documented in its Returns; a test checks that each estimator puts exactly those
        keys in its results.
    panel_fingerprint : str or None
        :attr:`Panel.fingerprint <did_zones.Panel.fingerprint>` of the panel the result was
        estimated on (aggregations keep their input's). The robustness checks taking
        ``(result, panel)`` compare it with the panel they are given. None for results
        built by hand.
    panel_shape : (int, int) or None
        Units and periods of that panel, for messages.
    inference_overrides : mapping
        Terms whose inference was replaced by a test (:meth:`with_inference`): term ->
        ``{"p_value", "conf_low", "conf_high", "alpha", "estimate", "label", "test"}``.
        For those terms ``p_value`` and ``conf_int`` come from the test, ``statistic`` is
        NaN and :attr:`inference` names the test. An entry applies only while the term's
        estimate is the one it was computed for (a result rebuilt with other estimates
        drops it).
    """

    estimate: pd.Series
    vcov: pd.DataFrame
    keys: pd.DataFrame
    method: str
    outcome: str
    spec: Mapping[str, Any]
    n_obs: int
    n_units: int
    n_clusters: int | None = None
    df: int | None = None
    primary: str | None = None
    influence: np.ndarray | None = None
    influence_index: pd.Index | None = None
    crit_value: float | None = None
    notes: tuple[str, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    panel_fingerprint: str | None = None
    panel_shape: tuple[int, int] | None = None
    inference_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    # ------------------------------------------------------------ construction
    @classmethod
    def create(
        cls,
        estimate: Sequence[float] | np.ndarray,
        vcov: np.ndarray,
        terms: Sequence[str],
        *,
        keys: pd.DataFrame | None = None,
        variance_floor: np.ndarray | None = None,
        **kwargs: Any,
    ) -> Result:
        """Build a Result from arrays, labelling them with ``terms``.

        ``variance_floor`` (k × k or k, from :func:`did_zones.inference.rounding_vcov` or
        :func:`~did_zones.inference.influence_floor`) is the variance rounding noise alone
        could produce; terms at or below it get a NaN variance and one
        :class:`~did_zones.errors.InferenceWarning`, also added to ``notes``
        (:func:`did_zones.inference.flag_unidentified`).
        """
        terms = [str(t) for t in terms]
        index = pd.Index(terms, name="term")
        est = np.asarray(estimate, dtype=float).reshape(-1)
        cov = np.asarray(vcov, dtype=float).reshape(est.size, est.size)
        if variance_floor is not None:
            from .inference import flag_unidentified

            cov, flagged = flag_unidentified(cov, variance_floor, terms)
            if flagged:
                kwargs["notes"] = tuple(kwargs.get("notes", ())) + flagged
        if keys is None:
            keys = pd.DataFrame(index=index)
        else:
            keys = keys.copy()
            keys.index = index
        return cls(
            estimate=pd.Series(est, index=index, name="estimate"),
            vcov=pd.DataFrame(cov, index=index, columns=index),
            keys=keys,
            **kwargs,
        )

    # ------------------------------------------------------------- inference
    @property
    def terms(self) -> list[str]:
        """Term names, in order."""
        return list(self.estimate.index)

    @property
    def std_error(self) -> pd.Series:
        """Standard errors (square roots of the vcov diagonal); NaN where the variance is
        not identified (see :func:`did_zones.inference.flag_unidentified`)."""
        return pd.Series(np.sqrt(np.clip(np.diag(self.vcov.to_numpy()), 0, None)),
                         index=self.estimate.index, name="std_error")

    def _usable_se(self) -> pd.Series:
        """The standard errors that support inference: NaN where 0 or NaN. One rule for
        the statistic, the p-value and the interval: a term without sampling variance is
        neither infinitely significant nor known exactly."""
        se = self.std_error
        return se.where(se > 0)

    def _replaced(self) -> dict[str, Mapping[str, Any]]:
        """The overrides that apply: terms present with the estimate they were made for."""
        out = {}
        for term, o in self.inference_overrides.items():
            if term in self.estimate.index and float(self.estimate[term]) == o["estimate"]:
                out[term] = o
        return out

    @property
    def statistic(self) -> pd.Series:
        """t (or z) statistics against zero; NaN where the standard error is 0 or NaN, and
        for terms whose inference was replaced by a test (:meth:`with_inference`): their
        analytic standard error is not trusted, so no analytic t is shown."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (self.estimate / self._usable_se()).rename("statistic")
        replaced = list(self._replaced())
        if replaced:
            out[replaced] = np.nan
        return out

    @property
    def p_value(self) -> pd.Series:
        """Two-sided p-values (t with ``df`` degrees of freedom, normal when ``df`` is None);
        the test's p-value for terms whose inference was replaced (:meth:`with_inference`)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.abs((self.estimate / self._usable_se()).to_numpy())
        p = 2 * (stats.t.sf(z, self.df) if self.df else stats.norm.sf(z))
        out = pd.Series(p, index=self.estimate.index, name="p_value")
        for term, o in self._replaced().items():
            out[term] = o["p_value"]
        return out

    @property
    def inference(self) -> pd.Series:
        """Which inference each term's p-value and interval carry, in words (one label per
        term): the estimator's own (e.g. ``"CRV1, clustered by unit (G = 337), t(336)"``,
        ``"influence function, clustered by unit (G = 337), normal"``) or the test that
        replaced it (e.g. ``"randomization inference, cohort 2015 (exact, 50
        assignments)"``). Worded by :mod:`did_zones.inference_labels`."""
        out = pd.Series(self.variance_label, index=self.estimate.index, name="inference",
                        dtype=object)
        for term, o in self._replaced().items():
            out[term] = o["label"]
        return out

    @property
    def variance_label(self) -> str:
        """The estimator's own inference in words (the label of every term not replaced)."""
        from .inference_labels import variance_label

        return variance_label(self.method, self.spec, self.df, self.n_clusters,
                              uniform=self.crit_value is not None)

    def with_inference(self, tests: Mapping[str, HypothesisTest]) -> Result:
        """A copy whose listed terms carry the inference of a test instead of the analytic one.

        Parameters
        ----------
        tests : mapping str -> HypothesisTest
            Term -> a test of that term (e.g. :func:`~did_zones.wild_bootstrap`,
            :func:`~did_zones.placebo` with ``restrict="cohort"``,
            :func:`~did_zones.conley_taber`). A test with a NaN p-value marks a term without
            valid inference.

        Returns
        -------
        Result
            The same estimates, standard errors and vcov; for the listed terms ``p_value``
            is the test's, ``conf_int`` its ``details["conf_int"]`` (NaN bounds when it has
            none, or at another ``alpha`` than the test's), ``statistic`` is NaN and
            :attr:`inference` names the test. Earlier replacements of other terms are kept.

        Raises
        ------
        SpecificationError
            Not a mapping of tests, an unknown term, or a test of another term or another
            estimate (``details["term"]`` / ``details["estimate"]`` disagree).

        Examples
        --------
        >>> import did_zones as dz
        >>> sim = dz.simulate_pilot_panel(seed=1)
        >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
        >>> res = dz.twfe(panel, "isu")
        >>> test = dz.placebo(res, panel, n_draws=99, seed=1)
        >>> new = res.with_inference({"treated": test})
        >>> bool(new.p_value["treated"] == test.p_value), new.inference["treated"]
        (True, 'randomization inference, all units (99 draws)')
        """
        from .inference_labels import test_label

        if not isinstance(tests, Mapping) or not all(
                isinstance(t, HypothesisTest) for t in tests.values()):
            raise SpecificationError(
                "tests must be a mapping term -> HypothesisTest, e.g. {'ATT(g=2015)': "
                "dz.placebo(res, panel, term='ATT(g=2015)', restrict='cohort', "
                f"cohort=2015)}}; got {type(tests).__name__}.")
        overrides = dict(self.inference_overrides)
        for term, test in tests.items():
            if term not in self.estimate.index:
                raise SpecificationError(unknown_key_message(str(term), self.terms))
            d = test.details
            if d.get("term") not in (None, term):
                raise SpecificationError(
                    f"The test given for {term!r} tests term {d['term']!r}; pass each test "
                    "under the term it tests.")
            est = float(self.estimate[term])
            other = d.get("estimate")
            if other is not None and not np.isclose(float(other), est, rtol=1e-6,
                                                     atol=1e-12 * max(1.0, abs(est))):
                raise SpecificationError(
                    f"The test given for {term!r} was computed for the estimate {other:.6g}, "
                    f"but the result's is {est:.6g}: it belongs to another result. Run the "
                    "test on this result.")
            conf = d.get("conf_int")
            low, high = (float(conf[0]), float(conf[1])) if conf is not None \
                else (np.nan, np.nan)
            overrides[term] = {"p_value": float(test.p_value), "conf_low": low,
                               "conf_high": high,
                               "alpha": float(d.get("alpha", self.spec.get("alpha", 0.05))),
                               "estimate": est, "label": test_label(test), "test": test}
        # a plain dict: a result must pickle (joblib workers of placebo, users' caches)
        return replace(self, inference_overrides=overrides)

    def critical_value(self, alpha: float = 0.05, uniform: bool = False) -> float:
        """Critical value for pointwise (t or normal) or uniform (sup-t) intervals."""
        check_alpha(alpha)
        if uniform:
            if self.crit_value is None:
                raise SpecificationError(
                    "No uniform band is available for this result: it needs the multiplier "
                    "bootstrap. Re-estimate with n_boot=999 (and a seed)."
                )
            if not np.isclose(alpha, self.spec.get("alpha", 0.05)):
                raise SpecificationError(
                    f"The uniform band was computed for alpha={self.spec.get('alpha', 0.05)}; "
                    f"re-estimate with alpha={alpha} to get another level."
                )
            return float(self.crit_value)
        q = 1 - alpha / 2
        return float(stats.t.ppf(q, self.df) if self.df else stats.norm.ppf(q))

    def conf_int(self, alpha: float = 0.05, uniform: bool = False) -> pd.DataFrame:
        """Confidence intervals (``conf_low``, ``conf_high``), pointwise or uniform; NaN
        where the standard error is 0 or NaN (as the statistic and p-value). Terms whose
        inference was replaced (:meth:`with_inference`) get the test's interval at the
        test's level, NaN otherwise (and in a uniform band)."""
        c = self.critical_value(alpha, uniform)
        se = self._usable_se()
        out = pd.DataFrame({"conf_low": self.estimate - c * se,
                            "conf_high": self.estimate + c * se})
        for term, o in self._replaced().items():  # the test's interval, at its own level
            same = not uniform and np.isclose(alpha, o["alpha"])
            out.loc[term] = (o["conf_low"], o["conf_high"]) if same else (np.nan, np.nan)
        return out

    def wald_test(
        self,
        terms: Sequence[str] | None = None,
        R: np.ndarray | None = None,
        q: np.ndarray | None = None,
        name: str | None = None,
    ) -> HypothesisTest:
        """Wald test of ``R β = q`` (default: the listed ``terms`` are jointly zero).

        Uses chi-square with rank(R) degrees of freedom when ``df`` is None, else
        F(rank, df) with the statistic divided by the rank (Stata's ``test``).
        """
        b = self.estimate.to_numpy()
        V = self.vcov.to_numpy()
        if R is None:
            terms = self.terms if terms is None else list(terms)
            unknown = [t for t in terms if t not in self.estimate.index]
            if unknown:
                raise SpecificationError(
                    f"Unknown term(s) {unknown}; available: {self.terms[:10]}..."
                )
            idx = [self.terms.index(t) for t in terms]
            R = np.zeros((len(idx), b.size))
            R[np.arange(len(idx)), idx] = 1.0
        R = np.atleast_2d(np.asarray(R, dtype=float))
        if R.shape[1] != b.size:
            raise SpecificationError(f"R must have {b.size} columns; got {R.shape[1]}.")
        q = np.zeros(R.shape[0]) if q is None else np.asarray(q, dtype=float).reshape(-1)
        label = name or f"Wald: {R.shape[0]} restriction(s)"
        # restrictions on terms whose variance is not identified (NaN) cannot be tested:
        # they are left out, as directions without variance are (pinv), and named
        unknown = ~np.isfinite(np.diag(V))
        touch = (R[:, unknown] != 0).any(axis=1) if unknown.any() else np.zeros(len(R), bool)
        if touch.any():
            label += f" ({int(touch.sum())} restriction(s) on terms without variance left out)"
            R, q = R[~touch], q[~touch]
        if unknown.any():  # no restriction left touches them: 0 instead of NaN × 0
            V = np.where(unknown[:, None] | unknown[None, :], 0.0, V)
            b = np.where(unknown, 0.0, b)
        diff = R @ b - q
        middle = R @ V @ R.T
        rank = int(np.linalg.matrix_rank(middle)) if R.size else 0
        w = float(diff @ np.linalg.pinv(middle) @ diff) if R.size else float("nan")
        if rank == 0:  # the restricted terms have no variance: nothing to test
            return HypothesisTest(label, float("nan"), float("nan"),
                                  (0, self.df) if self.df else 0, "F" if self.df else "chi2")
        if self.df:
            f = w / rank
            return HypothesisTest(label, f, float(stats.f.sf(f, rank, self.df)),
                                  (rank, self.df), "F")
        return HypothesisTest(label, w, float(stats.chi2.sf(w, rank)), rank, "chi2")

    # ------------------------------------------------------------ tidy views
    def tidy(self, alpha: float = 0.05, uniform: bool = False) -> pd.DataFrame:
        """One row per term: term, estimate, std_error, statistic, p_value, conf_low,
        conf_high, ``inference`` (its label, :attr:`inference`), ``inference_replaced``
        (True where a test replaced the analytic inference, :meth:`with_inference`), then
        the ``keys`` columns (cohort, time, event_time, ...)."""
        ci = self.conf_int(alpha, uniform)
        out = pd.DataFrame({
            "term": self.estimate.index,
            "estimate": self.estimate.to_numpy(),
            "std_error": self.std_error.to_numpy(),
            "statistic": self.statistic.to_numpy(),
            "p_value": self.p_value.to_numpy(),
            "conf_low": ci["conf_low"].to_numpy(),
            "conf_high": ci["conf_high"].to_numpy(),
            "inference": self.inference.to_numpy(),
            "inference_replaced": self.estimate.index.isin(list(self._replaced())),
        })
        keys = self.keys.reset_index(drop=True)
        extra_cols = [c for c in keys.columns if c not in out.columns]
        return pd.concat([out, keys[extra_cols]], axis=1)

    def glance(self) -> pd.DataFrame:
        """One row of model-level facts: method, outcome, n_obs, n_units, n_clusters,
        notes (their count), ``inference`` (the estimator's own, :attr:`variance_label`),
        ``n_inference_replaced`` (terms whose inference a test replaced), and the fit
        statistics in ``stats``."""
        row = {"method": self.method, "outcome": self.outcome, "n_obs": self.n_obs,
               "n_units": self.n_units, "n_clusters": self.n_clusters,
               "notes": len(self.notes), "inference": self.variance_label,
               "n_inference_replaced": len(self._replaced())}
        row.update(dict(self.stats))
        return pd.DataFrame([row])

    def summary(self, alpha: float = 0.05) -> str:
        """Plain-text summary table (rendered by :mod:`did_zones.tables`)."""
        return render(self, "summary", alpha=alpha)

    def to_table(self, **options: Any):
        """The result as a :class:`did_zones.tables.Table`:
        :func:`~did_zones.tables.regression_table` of this one result (``options`` are
        its options: ``stars``, ``se``, ``digits``, ``language``, ...)."""
        return render(self, "table", **options)

    def __getitem__(self, term: str) -> float:
        """The point estimate of ``term``, e.g. ``result["overall"]``.

        Raises
        ------
        KeyError
            If the result has no such term; the message lists the terms it has (up to ten,
            with their count) and the closest name.
        """
        if term not in self.estimate.index:
            message = unknown_key_message(term, self.terms)
            if term == "overall" and self.method in _AGGREGATES_TO_OVERALL:
                message += (" Estimates per cell have no overall term: use "
                            "did_zones.aggregate(result, kind='simple').")
            raise _UnknownTerm(message)
        return float(self.estimate[term])

    def __repr__(self) -> str:
        head = self.primary if self.primary in self.estimate.index else self.terms[0]
        return (f"Result({self.method}, outcome={self.outcome!r}, {len(self.terms)} term(s); "
                f"{head}={self.estimate[head]:.6g} (se {self.std_error[head]:.4g}))")
