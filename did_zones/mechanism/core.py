"""The public entry :func:`mediation`: checks at the door, then one of three methods."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..design import FESpec, check_panel_outcome
from ..errors import SpecificationError
from ..estimators import REGISTRY, get_estimator
from ..panel import Panel
from ..result import HypothesisTest, Result
from ..validation import ALPHA, Choice, as_tuple, check, check_columns, examples
from . import indirect as ind
from .causal import check_not_outcome
from .result import MediationResult
from .stepwise import common_sample, decide, fit_equations, steps_frame

__all__ = ["mediation", "METHODS", "RULES", "INTERVALS"]

Method = Literal["channel", "stepwise", "causal", "serial"]
SerialTest = Literal["stepwise", "channel"]
Rule = Literal["wen2014", "wen2004", "baron_kenny"]
Interval = Literal["percentile", "bc", "bca"]
METHODS: tuple[str, ...] = ("channel", "stepwise", "causal", "serial")
SERIAL_TESTS: tuple[str, ...] = ("stepwise", "channel")
RULES: tuple[str, ...] = ("wen2014", "wen2004", "baron_kenny")
INTERVALS: tuple[str, ...] = ("percentile", "bc", "bca")


def mediation(
    panel: Panel,
    outcome: str,
    mediator: str | Sequence[str] | None = None,
    *,
    method: Method = "channel",
    chains: Mapping[str, Sequence[str]] | None = None,
    serial_test: SerialTest = "stepwise",
    stepwise_rule: Rule = "wen2014",
    estimator: str = "twfe",
    controls: str | Sequence[str] = (),
    fixed_effects: Sequence[FESpec] = ("unit", "time"),
    cluster: str | Sequence[str] | None = "unit",
    n_boot: int | None = 999,
    seed: int | None = None,
    n_jobs: int = 1,
    progress: bool | None = None,
    alpha: float = 0.05,
    interval: Interval = "bc",
    estimator_options: Mapping[str, Any] | None = None,
) -> MediationResult:
    r"""Is the effect of the pilot carried by a mediator? Channel, stepwise, causal or serial.

    Parameters
    ----------
    panel : Panel
        From :func:`did_zones.build_panel`. The treatment is the panel's indicator
        ``time >= cohort``.
    outcome : str
        Outcome column ``Y``.
    mediator : str or sequence of str, optional
        Mediator column(s) ``M``; several are treated as parallel mediators, except with
        ``method="serial"`` where the list is one chain ``M_1 → M_2 → ...`` (in causal
        order). Leave out when ``chains`` is given.
    method : {"channel", "stepwise", "causal", "serial"}, default "channel"
        ``"channel"``: D → Y and D → M with the same design, nothing more (江艇 2022).
        ``"stepwise"``: the three equations, the ``stepwise_rule`` decision sequence and
        the tests of ``a·b``. ``"causal"``: Imai, Keele & Tingley (2010) ACME / ADE per
        mediator via :func:`did_zones.mechanism.causal_mediation`. ``"serial"``: chain
        mediation (链式中介; Hayes PROCESS model 6 and its branched form, see Notes):
        every specific indirect effect, their sum, side totals and their differences.
    chains : mapping str -> sequence of str, optional
        ``method="serial"`` only: named chains that may share mediators, e.g.
        ``{"demand": ["ecom", "imports", "consumption"], "supply": ["ecom", "exports",
        "innovation"]}``. Consecutive names are links of the mediator graph (a DAG; a
        cycle is an error). The chain names are the sides: a path's side is the chain of
        its mediators that belong to one chain only; paths through shared mediators only
        (``ecom → Y``) are ``"common"``.
    serial_test : {"stepwise", "channel"}, default "stepwise"
        ``method="serial"`` only. ``"stepwise"``: the regressions of the chain and the tests
        of every path. ``"channel"``: the channel test of every mediator of the chain
        (D → M_j with the main design and ``estimator``, as ``method="channel"``): it shows
        whether the pilot moves each link, not the indirect effects (see Notes).
    stepwise_rule : {"wen2014", "wen2004", "baron_kenny"}, default "wen2014"
        温忠麟–叶宝娟 (2014), 温忠麟等 (2004) or Baron & Kenny (1986).
    estimator : str, default "twfe"
        Any registry estimator for the channel test (its primary term is used, e.g.
        ``"overall"``); the stepwise and causal methods need ``"twfe"``.
    controls : str or sequence of str
        Control columns, in every equation.
    fixed_effects : sequence of str or tuple
        Absorbed effects (as :func:`did_zones.twfe`).
    cluster : str, pair of str or None
        Cluster variable(s) of the variances; the bootstrap resamples its clusters (one
        name, or ``"unit"`` when None).
    n_boot : int or None, default 999
        Cluster-bootstrap draws of ``a·b`` (stepwise); simulation draws (``n_sims``) for the
        causal method. ``None`` or 0: no bootstrap (not allowed with ``"wen2014"``).
    seed : int, optional
        Seed of the bootstrap / simulations; stored in ``spec``.
    n_jobs : int
        Parallel workers of the bootstrap; results do not depend on it.
    progress : bool, optional
        Progress bar of the bootstrap (None: automatic for long runs).
    alpha : float
        Significance level of every decision and interval.
    interval : {"percentile", "bc", "bca"}, default "bc"
        Bootstrap interval used to decide on ``a·b`` (bias-corrected by default:
        MacKinnon, Lockwood & Williams 2004).
    estimator_options : mapping, optional
        Extra keyword arguments of the estimator (channel) or of ``causal_mediation``.

    Returns
    -------
    MediationResult

    Raises
    ------
    SpecificationError
        Unknown columns or options; a mediator that is constant, varies only between units
        (absorbed by unit effects), is missing for whole units, equals the outcome or the
        treatment (or is perfectly collinear with the outcome), or is also a control; a
        non-TWFE estimator for the stepwise or causal methods; two-way clusters for the
        bootstrap; ``"wen2014"`` without the bootstrap.
    EstimationError
        Mediators collinear with the treatment or each other in the outcome equation.

    Notes
    -----
    With linear models on one sample ``c = c' + Σ_j a_j b_j`` exactly. The channel test is
    the default because the mediator is itself an outcome of the pilot: the regression of
    Y on D and M conditions on a post-treatment variable and is causal only under
    sequential ignorability (Imai et al. 2010; 江艇 2022). The channel test identifies
    D → M with the same design as D → Y and leaves M → Y to theory and prior evidence.
    The channel conclusion is ``"no mediation"`` when no first stage is significant and
    ``"inconclusive"`` otherwise (the design cannot establish M → Y).

    **Serial mediation.** With the mediators in causal order ``M_1, ..., M_J`` and
    ``anc(j)`` the mediators before ``M_j`` in its chain(s) (all of them for one chain:
    Hayes' model 6), one TWFE regression per equation on one common sample:

    .. math::

        M_j = a_j D + \sum_{k \in anc(j)} d_{jk} M_k + X'\gamma_j + \alpha_i + \lambda_t
        + e_j, \qquad Y = c' D + \sum_j b_j M_j + X'\gamma_Y + \alpha_i + \lambda_t + e_Y.

    The specific indirect effect of the path ``D → M_{i_1} → ... → M_{i_k} → Y`` is
    ``a_{i_1} d_{i_2 i_1} ... d_{i_k i_{k-1}} b_{i_k}`` (two mediators: ``a_1 b_1``,
    ``a_2 b_2`` and ``a_1 d_21 b_2``); their sum is the total indirect effect and
    ``c = c' + Σ paths`` exactly. Side totals add the paths of each side; ``"common"``
    collects the paths through shared mediators only. Standard errors: delta method with
    the joint cluster-robust covariance of all coefficients (stacked scores, each
    equation with its own finite-sample factor); bootstrap intervals from the same cluster
    bootstrap as the stepwise method. Every path and the total go through the
    ``stepwise_rule`` decision sequence from the test of the indirect effect (Taylor,
    MacKinnon & Tein 2008 test the three-path effect by its product and the bootstrap).
    The serial reading needs sequential ignorability for every mediator, which the DiD
    design does not give; ``serial_test="channel"`` reports only what the design
    identifies: D → M_j for every link. It does not identify M_k → M_j nor M → Y.

    References
    ----------
    Baron, R. M. & Kenny, D. A. (1986). J. Pers. Soc. Psychol. 51(6), 1173–1182.
    温忠麟, 张雷, 侯杰泰, 刘红云 (2004). 中介效应检验程序及其应用. 心理学报 36(5), 614–620.
    温忠麟, 叶宝娟 (2014). 中介效应分析: 方法和模型发展. 心理科学进展 22(5), 731–745.
    MacKinnon, D. P., Lockwood, C. M. & Williams, J. (2004). Multivar. Behav. Res. 39(1).
    Imai, K., Keele, L. & Tingley, D. (2010). Psychol. Methods 15(4), 309–334.
    江艇 (2022). 因果推断经验研究中的中介效应与调节效应. 中国工业经济 (5), 100–120.
    Hayes, A. F. (2013; 3rd ed. 2022). *Introduction to Mediation, Moderation, and
    Conditional Process Analysis*. Guilford (PROCESS model 6).
    Taylor, A. B., MacKinnon, D. P. & Tein, J.-Y. (2008). Tests of the three-path mediated
    effect. Organ. Res. Methods 11(2), 241–269.

    Examples
    --------
    >>> import did_zones as dz
    >>> sim = dz.simulate_pilot_panel(seed=1, effect="homogeneous")
    >>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    >>> res = dz.mediation(panel, "isu", "ecom", method="stepwise", n_boot=99, seed=1)
    >>> c, cp, ab = res.total["treated"], res.outcome_model["treated"], res.indirect.loc["ecom", "estimate"]
    >>> bool(abs(c - cp - ab) < 1e-10)
    True
    >>> ser = dz.mediation(panel, "isu", ["ecom", "open"], method="serial", n_boot=0,
    ...                    stepwise_rule="wen2004")
    >>> list(ser.paths["path"][:3])
    ['ecom', 'open', 'ecom -> open']
    """
    check({"method": Choice(METHODS), "serial_test": Choice(SERIAL_TESTS)},
          method=method, serial_test=serial_test)
    graph = None
    if method == "serial":
        from .serial import build_graph

        if chains is not None and mediator is not None:
            raise SpecificationError(
                "Give the mediators either as a list (one chain) or as chains=, not both.")
        if chains is None and (mediator is None or isinstance(mediator, str)):
            raise SpecificationError(
                "method='serial' needs a chain of at least two mediators in causal order, "
                f"e.g. ['ecom', 'imports'], or chains={{...}}; got {mediator!r}. With one "
                "mediator use method='stepwise'.")
        graph = build_graph(mediator, chains)
        mediator = list(graph.order)
    elif chains is not None:
        raise SpecificationError(
            f"chains= belongs to method='serial'; got method={method!r}.")
    if mediator is None:
        raise SpecificationError("mediator is required: a column name or a list of them.")
    mediators = _check_inputs(panel, outcome, mediator, controls, fixed_effects)
    check({"method": Choice(METHODS), "stepwise_rule": Choice(RULES),
           "estimator": Choice(sorted(n for n, s in REGISTRY.items() if s.family != "diagnostic")),
           "interval": Choice(INTERVALS), "alpha": ALPHA},
          method=method, stepwise_rule=stepwise_rule, estimator=estimator, interval=interval,
          alpha=alpha)
    controls = as_tuple(controls)
    fixed_effects = tuple(fixed_effects)
    if n_boot is not None and (not isinstance(n_boot, int | np.integer) or
                               (n_boot != 0 and n_boot < 2)):
        raise SpecificationError(f"n_boot must be an integer >= 2, or 0/None; got {n_boot!r}.")
    n_boot = int(n_boot or 0)
    serial_channel = method == "serial" and serial_test == "channel"
    if method != "channel" and not serial_channel and estimator != "twfe":
        raise SpecificationError(
            f"method={method!r} needs estimator='twfe'; got {estimator!r}. The stepwise and "
            "causal methods regress Y on D and M in one linear equation, and the identity "
            "c = c' + a*b holds only for linear models on one sample; the staggered "
            "estimators have no version conditional on a mediator. Use method='channel' "
            f"with estimator={estimator!r} to estimate D -> M with that design."
        )
    if method in ("stepwise", "serial") and not serial_channel and \
            stepwise_rule == "wen2014" and n_boot == 0:
        raise SpecificationError(
            "stepwise_rule='wen2014' tests a*b by the cluster bootstrap; give n_boot >= 2 "
            "(e.g. 999), or use stepwise_rule='wen2004' (Sobel test)."
        )
    if method in ("stepwise", "serial") and not serial_channel and n_boot and \
            len(as_tuple(cluster)) > 1:
        raise SpecificationError(
            f"The cluster bootstrap resamples one cluster variable; got {cluster!r}. Give "
            "one name (e.g. cluster='unit'), or n_boot=0 with stepwise_rule='wen2004'."
        )
    spec = {"outcome": outcome, "mediators": tuple(mediators), "method": method,
            "stepwise_rule": stepwise_rule, "estimator": estimator, "controls": controls,
            "fixed_effects": fixed_effects, "cluster": cluster, "n_boot": n_boot,
            "seed": seed, "n_jobs": n_jobs, "progress": progress, "alpha": alpha,
            "interval": interval,
            "estimator_options": dict(estimator_options or {})}
    if method == "serial":
        spec.update(chains={k: list(v) for k, v in graph.chains.items()},
                    serial_test=serial_test)
    common = {"controls": controls, "fixed_effects": fixed_effects, "cluster": cluster,
              "alpha": alpha}
    if method == "serial" and serial_test == "stepwise":
        from .serial import run_serial

        return run_serial(panel, outcome, graph, spec, **common)
    if method == "channel" or serial_channel:
        return _channel(panel, outcome, mediators, estimator, estimator_options, spec,
                        **common)
    if method == "stepwise":
        return _stepwise(panel, outcome, mediators, spec, **common)
    return _causal(panel, outcome, mediators, spec, **common)


# ------------------------------------------------------------------------ checks


def _check_inputs(panel, outcome, mediator, controls, fixed_effects) -> list[str]:
    check_panel_outcome(panel, outcome)
    mediators = [mediator] if isinstance(mediator, str) else list(mediator)
    if not mediators or not all(isinstance(m, str) for m in mediators):
        raise SpecificationError(
            f"mediator must be a column name or a list of them; got {mediator!r}."
        )
    if len(set(mediators)) < len(mediators):
        raise SpecificationError(f"mediator lists a column twice: {mediators}.")
    controls = as_tuple(controls)
    check_columns(panel.data, mediators, what="Mediator column")
    check_columns(panel.data, controls, what="Control column")
    y = panel.column(outcome)
    d = panel.treated.astype(float)
    unit_based = "unit" in tuple(fixed_effects) or panel.unit in tuple(fixed_effects)
    for m in mediators:
        if m == outcome:
            raise SpecificationError(
                f"The mediator {m!r} is the outcome. A mediator is a different variable "
                "through which the pilot acts on the outcome."
            )
        if m in controls:
            raise SpecificationError(
                f"The mediator {m!r} is also listed in controls; remove it from controls."
            )
        x = panel.column(m)
        ok = np.isfinite(x)
        n_seen = np.bincount(panel.unit_id[ok], minlength=panel.n_units)
        absent = np.flatnonzero(n_seen == 0)
        if absent.size:
            raise SpecificationError(
                f"The mediator {m!r} is missing for whole units: {absent.size} of "
                f"{panel.n_units} units have no value, e.g. "
                f"{examples(panel.units[absent])}. Drop them first "
                "(panel.drop_units([...])) or fill the mediator."
            )
        if np.ptp(x[ok]) == 0:
            raise SpecificationError(
                f"The mediator {m!r} is constant ({x[ok][0]:g}) in every row, so the pilot "
                "cannot move it. Check the column."
            )
        if m == "treated" or np.array_equal(x[ok], d[ok]):
            raise SpecificationError(
                f"The mediator {m!r} is the treatment indicator itself. A mediator must be "
                "a different variable that the treatment moves."
            )
        check_not_outcome(x, y, ok, m, outcome)
        if unit_based:
            lo = np.full(panel.n_units, np.inf)
            hi = np.full(panel.n_units, -np.inf)
            np.minimum.at(lo, panel.unit_id[ok], x[ok])
            np.maximum.at(hi, panel.unit_id[ok], x[ok])
            if np.all(hi == lo):
                raise SpecificationError(
                    f"The mediator {m!r} never changes within a unit, so the unit fixed "
                    "effects absorb it and the pilot cannot move it. Use a time-varying "
                    "mediator, or study heterogeneity with did_zones.moderation."
                )
    return mediators


def _estimate_test(res: Result, term: str, label: str) -> HypothesisTest:
    z = float(res.statistic[term])
    return HypothesisTest(label, z, float(res.p_value[term]), res.df,
                          "t" if res.df else "normal",
                          details={"estimate": res[term],
                                   "std_error": float(res.std_error[term])})


def _etp(res: Result, term: str | None = None) -> tuple[float, float, float]:
    term = term or (res.primary if res.primary in res.terms else res.terms[0])
    return res[term], float(res.statistic[term]), float(res.p_value[term])


# ------------------------------------------------------------------------ channel


def _channel(panel, outcome, mediators, estimator, options, spec, *, controls,
             fixed_effects, cluster, alpha) -> MediationResult:
    if estimator == "twfe":
        eq = fit_equations(panel, outcome, mediators, controls=controls,
                           fixed_effects=fixed_effects, cluster=cluster, alpha=alpha,
                           outcome_equation=False)
        total, first, notes = eq.total, eq.first_stage, eq.notes
    else:
        masked, notes, _ = common_sample(panel, outcome, mediators, controls)
        fn = get_estimator(estimator)
        kwargs = _estimator_kwargs(fn, estimator, controls, fixed_effects, cluster, alpha)
        kwargs.update(options or {})
        total = _headline(fn(masked, outcome, **kwargs))
        first = {m: _headline(fn(masked, m, **kwargs)) for m in mediators}
    rows = []
    c = _etp(total)
    rows.append({"step": 1, "mediator": None, "test": "c: D -> Y", "statistic": c[1],
                 "p_value": c[2], "decision": _sig_text(c[2], alpha)})
    tests = []
    for m, res in first.items():
        term = res.primary if res.primary in res.terms else res.terms[0]
        a = _etp(res)
        rows.append({"step": 2, "mediator": m, "test": "a: D -> M", "statistic": a[1],
                     "p_value": a[2], "decision": _sig_text(a[2], alpha)})
        tests.append(_estimate_test(res, term, f"channel: effect of the pilot on {m} = 0"))
    any_sig = any(t.p_value < alpha for t in tests)
    return MediationResult(
        total=total, first_stage=first, outcome_model=None, indirect=None,
        tests=tuple(tests), steps=steps_frame(rows),
        conclusion="inconclusive" if any_sig else "no mediation",
        share_mediated=float("nan"), method="channel", spec=spec, notes=tuple(notes),
    )


def _headline(res: Result) -> Result:
    """Results without a headline term (ATT(g,t) cells) are aggregated to "overall"."""
    if res.primary in res.terms:
        return res
    from ..estimators.aggregate import aggregate

    return aggregate(res, "simple")


def _sig_text(p: float, alpha: float) -> str:
    return "significant" if p < alpha else "not significant"


def _estimator_kwargs(fn, name, controls, fixed_effects, cluster, alpha) -> dict:
    params = inspect.signature(fn).parameters
    kwargs: dict[str, Any] = {}
    if controls:
        key = "controls" if "controls" in params else "covariates"
        if key not in params:
            raise SpecificationError(f"Estimator {name!r} takes no controls; drop controls.")
        kwargs[key] = controls
    if "fixed_effects" in params:
        kwargs["fixed_effects"] = fixed_effects
    elif fixed_effects != ("unit", "time"):
        raise SpecificationError(
            f"Estimator {name!r} fixes its own comparisons and takes no fixed_effects; "
            "leave fixed_effects at ('unit', 'time')."
        )
    if "cluster" in params:
        default = params["cluster"].default
        # estimators that cluster by unit when given None (R did's convention)
        if not (default is None and cluster == "unit"):
            kwargs["cluster"] = cluster
    if "alpha" in params:
        kwargs["alpha"] = alpha
    return kwargs


# ------------------------------------------------------------------------ stepwise


def _stepwise(panel, outcome, mediators, spec, *, controls, fixed_effects, cluster,
              alpha) -> MediationResult:
    eq = fit_equations(panel, outcome, mediators, controls=controls,
                       fixed_effects=fixed_effects, cluster=cluster, alpha=alpha)
    om, k = eq.outcome_model, len(mediators)
    a = np.array([eq.first_stage[m]["treated"] for m in mediators])
    s_a = np.array([eq.first_stage[m].std_error["treated"] for m in mediators])
    b = om.estimate[mediators].to_numpy()
    s_b = om.std_error[mediators].to_numpy()
    ab = a * b
    c = _etp(eq.total, "treated")
    cp = _etp(om, "treated")
    cov_a = (ind.first_stage_covariance(eq.panel, mediators, eq.first_stage, controls,
                                        fixed_effects, cluster) if k > 1
             else np.diag(s_a**2))
    cov_b = om.vcov.loc[mediators, mediators].to_numpy()

    draws, boot_ci, labels = _bootstrap(eq.panel, outcome, mediators, spec, controls,
                                        fixed_effects, cluster, alpha)
    tests, records = [], []
    for j, m in enumerate(mediators):
        z = ind.z_tests(a[j], b[j], s_a[j], s_b[j])
        for name in ind.Z_TESTS:
            se, zz, p = z[name]
            tests.append(HypothesisTest(f"{name.capitalize()}: a*b = 0 [{m}]", zz, p, None,
                                        "normal", details={"estimate": ab[j],
                                                           "std_error": se}))
        records.append({"mediator": m, "a": a[j], "b": b[j], "estimate": ab[j],
                        "std_error": z["sobel"][0], "statistic": z["sobel"][1],
                        "p_value": z["sobel"][2]})
    se_tot = ind.delta_total(a, b, cov_a, cov_b)
    z_tot = ab.sum() / se_tot if se_tot > 0 else np.nan
    p_tot = float(2 * stats.norm.sf(abs(z_tot)))
    records.append({"mediator": "total", "a": np.nan, "b": np.nan, "estimate": ab.sum(),
                    "std_error": se_tot, "statistic": z_tot, "p_value": p_tot})
    if k > 1:
        tests.append(HypothesisTest("delta method: sum(a*b) = 0", z_tot, p_tot, None,
                                    "normal", details={"estimate": ab.sum(),
                                                       "std_error": se_tot}))
    table = pd.DataFrame(records).set_index("mediator")
    zc = stats.norm.ppf(1 - alpha / 2)
    table["boot_std_error"] = np.nan
    table["conf_low"] = table["estimate"] - zc * table["std_error"]
    table["conf_high"] = table["estimate"] + zc * table["std_error"]
    table["interval"] = "normal"
    boot_rows: dict[str, tuple] = {}
    if draws is not None:
        names = [f"a*b[{m}]" for m in mediators] + ["sum(a*b)"]
        for key, lab in zip([*mediators, "total"], names, strict=True):
            i = labels.index(lab)
            lo, hi = boot_ci[0][i], boot_ci[1][i]
            bt = ind.bootstrap_test(f"bootstrap ({spec['interval']}): {lab} = 0",
                                    float(draws.estimate[i]), draws, i, spec["interval"],
                                    alpha, (lo, hi))
            if key != "total" or k > 1:
                tests.append(bt)
            table.loc[key, ["boot_std_error", "conf_low", "conf_high", "interval"]] = [
                bt.details["std_error"], lo, hi, spec["interval"]]
            boot_rows[key] = (bt.details["estimate"], bt.statistic, bt.p_value,
                              bt.details["excludes_zero"])
    table["share"] = table["estimate"] / c[0]

    rule, all_steps, conclusions, shares = spec["stepwise_rule"], [], {}, {}
    for j, m in enumerate(mediators):
        rows, concl, share = decide(
            rule, mediator=m, alpha=alpha, c=c,
            a=_etp(eq.first_stage[m], "treated"), b=_etp(om, m), c_prime=cp,
            sobel=(ab[j],) + tuple(records[j][x] for x in ("statistic", "p_value")),
            boot=boot_rows.get(m))
        all_steps += rows
        conclusions[m], shares[m] = concl, share
    if k > 1:
        rows, concl, share = decide(
            rule, mediator="total", alpha=alpha, c=c, a=None, b=None, c_prime=cp,
            sobel=(ab.sum(), z_tot, p_tot), boot=boot_rows.get("total"))
        all_steps += rows
        conclusions["total"], shares["total"] = concl, share
    else:
        conclusions["total"], shares["total"] = conclusions[mediators[0]], shares[mediators[0]]
    table["conclusion"] = pd.Series(conclusions)
    return MediationResult(
        total=eq.total, first_stage=eq.first_stage, outcome_model=om, indirect=table,
        tests=tuple(tests), steps=steps_frame(all_steps), conclusion=conclusions["total"],
        share_mediated=float(shares["total"]), method="stepwise", spec=spec,
        notes=tuple(eq.notes), bootstrap=draws,
        extra={"labels": labels, "cov_a": cov_a, "cov_b": cov_b,
               "n_dropped": eq.n_dropped},
    )


def _bootstrap(panel, outcome, mediators, spec, controls, fixed_effects, cluster, alpha):
    labels = ind.statistic_labels(mediators)
    if not spec["n_boot"]:
        return None, None, labels
    specs = as_tuple(cluster)
    unit = specs[0] if specs else "unit"
    from ..resample import cluster_bootstrap, jackknife_clusters

    statistic = ind.equations_statistic(outcome, mediators, controls, fixed_effects)
    draws = cluster_bootstrap(panel, statistic, n_boot=spec["n_boot"], seed=spec["seed"],
                              cluster=unit, n_jobs=spec["n_jobs"],
                              progress=spec.get("progress"))
    jack = None
    if spec["interval"] == "bca":
        jack = jackknife_clusters(panel, statistic, cluster=unit, n_jobs=spec["n_jobs"])
    lo, hi = draws.interval(kind=spec["interval"], alpha=alpha, jackknife=jack)
    return draws, (np.asarray(lo), np.asarray(hi)), labels


# ------------------------------------------------------------------------ causal


def _causal(panel, outcome, mediators, spec, *, controls, fixed_effects, cluster,
            alpha) -> MediationResult:
    from .causal import causal_mediation

    eq = fit_equations(panel, outcome, mediators, controls=controls,
                       fixed_effects=fixed_effects, cluster=cluster, alpha=alpha)
    options = dict(spec["estimator_options"])
    results = {}
    for m in mediators:
        kw = {"controls": controls, "fixed_effects": fixed_effects, "cluster": cluster,
              "seed": spec["seed"], "alpha": alpha}
        if spec["n_boot"]:
            kw["n_sims"] = spec["n_boot"]
        kw.update(options)
        results[m] = causal_mediation(eq.panel, outcome, m, **kw)
    rows, concl = [], {}
    for m, res in results.items():
        ci = res.extra["intervals"].set_index("term")  # percentile intervals of the draws
        acme_sig = ci.loc["ACME", "conf_low"] > 0 or ci.loc["ACME", "conf_high"] < 0
        ade_sig = ci.loc["ADE", "conf_low"] > 0 or ci.loc["ADE", "conf_high"] < 0
        if not acme_sig:
            concl[m] = "no mediation"
        elif not ade_sig:
            concl[m] = "full mediation"
        elif np.sign(res["ACME"]) == np.sign(res["ADE"]):
            concl[m] = "partial mediation"
        else:
            concl[m] = "suppression"
        for term, r in ci.iterrows():
            rows.append({"mediator": m, "term": term, "estimate": r["estimate"],
                         "std_error": r["std_error"], "p_value": r["p_value"],
                         "conf_low": r["conf_low"], "conf_high": r["conf_high"],
                         "rho_at_zero": res.extra["rho_at_zero"]})
    table = pd.DataFrame(rows)
    first = mediators[0]
    share = results[first]["prop_mediated"] if "prop_mediated" in results[first].terms \
        else float("nan")
    return MediationResult(
        total=eq.total, first_stage=eq.first_stage, outcome_model=eq.outcome_model,
        indirect=table, tests=(), steps=None,
        conclusion=concl[first] if len(mediators) == 1 else (
            "inconclusive" if len(set(concl.values())) > 1 else concl[first]),
        share_mediated=float(share) if len(mediators) == 1 else float("nan"),
        method="causal", spec=spec, notes=tuple(eq.notes), causal=results,
        extra={"conclusions": concl},
    )
