"""The steps of a study, each filling named results, tables, figures and one report section.

``STEPS`` lists ``(progress label, function, enabled)``; :func:`~did_zones.report.runner.run_study`
runs the enabled ones in order. Numbers come from the library's estimators; tables from
:mod:`did_zones.tables`; figures from :mod:`did_zones.plots`.
"""

from __future__ import annotations

import pandas as pd

from ..estimators.registry import REGISTRY
from .designs import spatial, synthetic
from .parts import Item, load_panel, text, unit_names
from .parts import frame_table as _frame

# ---------------------------------------------------------------- helpers


def _label(run, name: str) -> str:
    return run.config.study.labels.get(name, name)


def _name(run, key: str) -> str:
    from ..tables.names import estimator_name

    return estimator_name(key, run.config.study.language)


def _cluster(run):
    return run.config.study.cluster


def _cluster_label(run) -> str:
    from ..tables.formatting import words

    cl = _cluster(run)
    if run.config.study.language == "en":
        return cl
    if cl in run.config.study.labels:
        return _label(run, cl)
    return words(run.config.study.language).get(cl, cl) if cl in ("unit", "time") else cl


def _primary(run) -> str:
    return run.config.study.outcomes[0]


# ------------------------------------------------------------------- flags
# numbers and thresholds from did_zones.diagnostics; report/flags.py words them; each flag
# sits next to its number as Item("flag", sentence) and the writer lists them on top


def _flag(run, flag, **kw) -> list:
    from .flags import flag_sentence

    if flag is None:
        return []
    return [Item("flag", flag_sentence(flag, run.config.study.language, **kw))]


def _small_cohort_items(run, panel) -> list:
    from ..diagnostics import small_cohort_flag

    flag = small_cohort_flag(panel, run.config.study.flags)
    if flag is None:
        return []
    units = [u for us in flag.details["cohorts"]["units"] for u in us]
    return _flag(run, flag, names=unit_names(panel, units, run.config.study.language))


def _pretrend_items(run, y: str, label: str) -> list:
    from ..diagnostics import pretrend_flag

    tested = {spec.label(run.config.study.language): run.results[f"{spec.event_key}:{y}"]
              for spec in REGISTRY.values()
              if (spec.window is not None or spec.through_aggregations)
              and f"{spec.event_key}:{y}" in run.results}
    return _flag(run, pretrend_flag(tested, thresholds=run.config.study.flags), subject=label)


def _bacon_items(run, y: str, res) -> list:
    twfe_weights = REGISTRY["twfe_weights"].function

    from ..diagnostics import bacon_flag, negative_weight_flag

    s = run.config.study
    weights = twfe_weights(run.results["__panel__"], y, controls=s.controls or None)
    run.results[f"twfe_weights:{y}"] = weights
    label = _label(run, y)
    return (_flag(run, bacon_flag(res, run.config.study.flags), subject=label)
            + _flag(run, negative_weight_flag(weights, run.config.study.flags),
                            subject=label))


# ------------------------------------------------------------------- steps


def data(run) -> None:
    from ..plots import adoption_plot
    from ..tables import adoption_table, summary_stats

    cfg = run.config
    panel, sim = load_panel(cfg)
    run.results["__panel__"] = panel
    run.sim = sim
    s = cfg.study
    source = (text(run, "source_sim", seed=cfg.data.simulate['seed'])
              if sim is not None else text(run, "source_file", name=cfg.data.file.name))
    if sim is not None:
        run.seeds["simulate"] = int(cfg.data.simulate["seed"])
    cohort = (text(run, "cohort_registry", timing=cfg.data.timing,
                   county_level=cfg.data.county_level) if cfg.data.cohort == "registry"
              else text(run, "cohort_column", column=cfg.data.cohort))
    lang = s.language
    run.section(
        "adoption", Item("text", text(run, "data", source=source, units=panel.n_units,
                                      periods=panel.n_periods, obs=panel.n_obs,
                                      cohort=cohort)),
        run.table("adoption", adoption_table(panel, labels=dict(s.labels), language=lang,
                                             notes=s.notes)),
        *_small_cohort_items(run, panel),
        run.figure("adoption", adoption_plot(panel, language=lang, font=s.font)))
    columns = list(dict.fromkeys([*s.outcomes, *s.controls,
                                  *cfg.mechanism.mediators(s)]))
    stats = summary_stats(panel, columns, by="treated", labels=dict(s.labels), language=lang)
    run.section("summary", run.table("summary", stats))


def main_results(run) -> None:
    twfe = REGISTRY["twfe"].function

    from ..tables import regression_table

    s, panel = run.config.study, run.results["__panel__"]
    models = {}
    for y in s.outcomes:
        models[f"twfe:{y}"] = twfe(panel, y, cluster=_cluster(run))
        if s.controls:
            models[f"twfe_controls:{y}"] = twfe(panel, y, controls=s.controls,
                                                   cluster=_cluster(run))
    run.results.update(models)
    table = regression_table(list(models.values()), labels=dict(s.labels),
                             language=s.language, notes=s.notes)
    run.section("main", Item("text", text(run, "main", cluster=_cluster_label(run))),
                run.table("main", table))


def _event_specs(run):
    """Registry entries of the study's estimators that give event-time results."""
    return [REGISTRY[name] for name in run.config.study.estimators
            if REGISTRY[name].window is not None or REGISTRY[name].through_aggregations]


def _event_results(run, y: str) -> tuple[dict, dict]:
    """Every configured estimator on outcome ``y``, as its registry entry asks to report it
    (:meth:`~did_zones.estimators.registry.EstimatorSpec.report`): registry name ->
    event-time Result, and registry name -> the static result shown next to it."""
    s, panel = run.config.study, run.results["__panel__"]
    out: dict = {}
    static: dict = {"twfe": run.results.get(f"twfe_controls:{y}", run.results[f"twfe:{y}"])}
    for spec in _event_specs(run):
        got = _with_few_treated(run, spec.report(
            panel, y, s.event_window, control=s.control, cluster=_cluster(run),
            aggregations=s.aggregations, controls=tuple(s.controls),
            options=s.options.get(spec.name)))
        for key, res in got["results"].items():
            if res is not got["event"] or spec.through_aggregations:
                run.results[f"{key}:{y}"] = res
        if got["event"] is not None:
            out[spec.name] = got["event"]
        if got["static"] is not None:
            static[spec.name] = got["static"]
    for name, res in out.items():
        run.results[f"{REGISTRY[name].event_key}:{y}"] = res
    return out, static


# -------------------------------------------------------------- few treated units
# Terms an estimator marks as resting on few treated units (keys["small_cell"]) carry the
# p-value of few_treated_inference in every table (a † and a note say which and why).
FEW_TREATED_N_BOOT = 9999


def _few_treated_draws(run) -> int:
    """Randomization draws of the few-treated tests: the placebo's, else 999 (exact
    enumeration whenever a cohort's assignments are at most this many)."""
    p = run.config.robustness.placebo
    return int(p["n_draws"]) if p is not None and p.get("n_draws") else 999


def _few_treated(run, res):
    """``res`` with few-treated inference for its small terms; itself when none is marked."""
    from ..robustness import few_treated_inference

    keys = res.keys
    if "small_cell" not in keys.columns or not keys["small_cell"].fillna(False).astype(
            bool).any():
        return res
    run.seeds["few_treated"] = run.config.study.seed
    return few_treated_inference(res, run.results["__panel__"],
                                 n_draws=_few_treated_draws(run),
                                 n_boot=FEW_TREATED_N_BOOT, seed=run.config.study.seed)


def _with_few_treated(run, got: dict) -> dict:
    """An estimator's report results with :func:`_few_treated` applied to the event-time
    and cohort results the tables show (not to the ATT(g,t) cells, which none shows)."""
    shown = {id(got["event"]), id(got["static"])}
    new = {}
    for key, res in got["results"].items():
        new[key] = _few_treated(run, res) if (id(res) in shown or key.endswith("_cohort")) \
            else res
    swap = {id(old): new[k] for k, old in got["results"].items()}
    return {"event": swap.get(id(got["event"]), got["event"]),
            "static": swap.get(id(got["static"]), got["static"]), "results": new}


def _small_cohort_table(run, small, ri, wcr, name: str):
    """Cohort | cities | ATT (stars from the inference used, † where replaced) | analytic
    SE | randomization p | WCR p; the notes say which inference the marked numbers carry."""
    from ..tables.formatting import check_stars, fmt_num, fmt_p_value, star_legend
    from ..tables.regression import coef_cells, inference_notes

    lang = run.config.study.language
    tidy = ri.tidy().set_index("term")
    sizes = run.results["__panel__"].unit_cohort
    cuts = check_stars((0.1, 0.05, 0.01))
    zh = lang == "zh"
    cols = (["批次", "城市数", "ATT", "解析标准误", "随机化推断 p 值", "WCR p 值"] if zh else
            ["Cohort", "Cities", "ATT", "Analytic SE", "Randomization p", "WCR p"])
    rows = []
    for term, row in tidy.iterrows():
        g = row.get("cohort")
        if g is None or pd.isna(g):
            continue
        top, _ = coef_cells(pd.Series({**row.to_dict(), "term": term}), se="std_error",
                            digits=3, stars=cuts)
        r_p = ri.p_value[term] if term in small else None
        w_p = wcr.p_value[term] if wcr is not None and term in small else None
        n_draws = (ri.inference_overrides[term]["test"].details.get("n_draws")
                   if r_p is not None else None)
        rows.append([f"{int(g)}" if float(g).is_integer() else f"{g}",
                     int((sizes == g).sum()), top, fmt_num(row["std_error"], 3),
                     "" if r_p is None else fmt_p_value(r_p, n_draws, prefix=False),
                     "" if w_p is None else fmt_p_value(w_p, prefix=False)])
    notes = [star_legend(cuts) + ("。" if zh else ".")]
    notes += inference_notes({"": ri.tidy()}, lang)
    if wcr is None:
        sep = "、" if lang == "zh" else ", "
        supported = sep.join(n for n, spec in REGISTRY.items() if spec.supports("wild_bootstrap"))
        notes.append(text(run, "few_no_wcr", estimator=name, supported=supported))
    title = text(run, "few_title", estimator=name, outcome=_label(run, _primary(run)))
    return _frame(pd.DataFrame(rows, columns=cols), title, (), None, legend=notes)


def few_treated(run) -> None:
    """The effects by cohort (Callaway–Sant'Anna) with the small cohorts' randomization
    (and, where the estimator has one, WCR) p-values: the single-city cohort's valid
    inference, in its own section."""
    from ..diagnostics import THRESHOLDS, small_cohorts
    from ..estimators import understatement
    from ..estimators.aggregate import aggregate
    from ..robustness import few_treated_inference
    from ..tables.zh_notes import translate_note

    s, panel = run.config.study, run.results["__panel__"]
    y = _primary(run)
    # the study's estimator with a by-cohort aggregation (Callaway–Sant'Anna)
    # (randomization inference re-estimates it on placebo assignments: it must support them)
    spec = next((REGISTRY[n] for n in s.estimators if REGISTRY[n].through_aggregations
                 and "cohort" in REGISTRY[n].aggregations and REGISTRY[n].supports("placebo")
                 and f"{n}:{y}" in run.results), None)
    if spec is None:
        return
    limit = int(s.flags.get("min_cohort_units", THRESHOLDS["min_cohort_units"]))
    small = small_cohorts(panel, limit)
    if small.empty:
        return
    key = f"{spec.name}_cohort:{y}"
    if key not in run.results:
        run.results[key] = aggregate(run.results[f"{spec.name}:{y}"], kind="cohort")
    res = run.results[key]
    terms = [t for t in res.terms if res.keys.at[t, "cohort"] in set(small["cohort"])]
    n_draws = _few_treated_draws(run)
    run.seeds["few_treated"] = s.seed
    ri = few_treated_inference(res, panel, terms=terms, method="randomization",
                               n_draws=n_draws, seed=s.seed)
    wcr = None
    if spec.supports("wild_bootstrap"):
        wcr = few_treated_inference(res, panel, terms=terms, method="wild_bootstrap",
                                    n_boot=FEW_TREATED_N_BOOT, seed=s.seed)
    run.results[f"few_treated_cohort:{y}"] = ri
    fewest = int(small["n_units"].min())
    clause = understatement(fewest)
    cohorts = ", ".join(str(int(g)) for g in small["cohort"])
    name = spec.label(s.language)
    intro = text(run, "few_treated", limit=limit, cohorts=cohorts, n_draws=n_draws,
                 estimator=name, why=translate_note(clause) if s.language == "zh" else clause)
    run.section("few_treated", Item("text", intro),
                run.table(f"few_treated_{y}", _small_cohort_table(run, set(terms), ri, wcr,
                                                                  name)))


def _estimands(run, y: str, event: dict, static: dict) -> dict:
    """Registry name -> the results whose named estimands the comparison shows: each
    estimator's own headline terms plus the average of its effects over e = 0..hi."""
    from ..errors import SpecificationError
    from ..estimands import event_average

    hi = run.config.study.event_window[1]
    columns: dict = {"twfe": [static["twfe"]]}
    for name, res in event.items():
        parts = [res] + ([static[name]] if name in static else [])
        if not any("estimand" in r.keys.columns and r.keys["estimand"].eq(
                "event_average").any() for r in parts):
            try:
                avg = event_average(res, (0, hi))
            except SpecificationError:  # no effect at some e in 0..hi: shown as "—"
                avg = None
            if avg is not None:
                run.results[f"{REGISTRY[name].event_key}_event_average:{y}"] = avg
                parts.append(avg)
        columns[name] = parts
    return columns


def _shown(run, results: dict) -> dict:
    """Results keyed by the estimators' display names in the study's language."""
    lang = run.config.study.language
    return {REGISTRY[k].label(lang): v for k, v in results.items()}


def estimators(run) -> None:
    from ..plots import event_study_plot
    from ..tables import comparison_table

    s = run.config.study
    event_items, comparison_items = [], []
    for y in s.outcomes:
        event, static = _event_results(run, y)
        columns = _estimands(run, y, event, static)
        models = {k: v for k, v in columns.items() if REGISTRY[k].in_comparison}
        event, models, columns = _shown(run, event), _shown(run, models), _shown(run, columns)
        label = _label(run, y)
        if event:
            truth = run.sim.truth.event_effects(y) if run.sim is not None else None
            event_items.append(run.figure(f"event_study_{y}",
                                          event_study_plot(
                event, title=label, language=s.language, font=s.font, truth=truth)))
            pooled = {k: [v, *columns.get(k, [])[1:]] for k, v in event.items()}
            event_items.append(run.table(f"event_study_{y}", comparison_table(
                pooled, event_times="all", labels=dict(s.labels), language=s.language,
                title=label, notes=s.notes)))
        event_items += _pretrend_items(run, y, label)
        comparison_items.append(run.table(f"comparison_{y}", comparison_table(
            models, event_times="none", labels=dict(s.labels), language=s.language,
            title=label, notes=s.notes)))
    lo, hi = s.event_window
    run.section("event", Item("text", text(run, "event", lo=lo, hi=hi)), *event_items)
    run.section("comparison", Item("text", text(run, "comparison")), *comparison_items)
    few_treated(run)


def bacon(run) -> None:
    bacon_decomposition = REGISTRY["bacon_decomposition"].function

    from ..plots import bacon_plot

    s, panel = run.config.study, run.results["__panel__"]
    items = []
    for y in s.outcomes:
        res = bacon_decomposition(panel, y)
        run.results[f"bacon:{y}"] = res
        by_type = pd.DataFrame(res.by_type).reset_index(drop=True)
        items.append(run.figure(f"bacon_{y}", bacon_plot(res, language=s.language,
                                                           font=s.font)))
        items.append(run.table(f"bacon_{y}", _frame(
            by_type, f"{_name(run, 'bacon')}: {_label(run, y)}", res.notes, run)))
        items += _bacon_items(run, y, res)
    run.section("bacon", *items)


def mechanism(run) -> None:
    from ..mechanism import mediation
    from ..plots import mediation_diagram
    from ..tables import mediation_table

    cfg = run.config
    s, m, panel = cfg.study, cfg.mechanism, run.results["__panel__"]
    y = _primary(run)
    items = []
    run.seeds["mechanism"] = s.seed
    if m.method == "serial":
        items = _serial_items(run, panel, y)
    for med in (s.mediators if m.method != "serial" else ()):
        res = mediation(panel, y, med, method=m.method, controls=s.controls,
                           cluster=_cluster(run), n_boot=m.n_boot or None, seed=s.seed)
        run.results[f"mediation:{med}"] = res
        items.append(Item("text", text(run, "verdict", mediator=_label(run, med),
                                       verdict=res.verdict, conclusion=res.conclusion)))
        items.append(run.table(f"mediation_{med}", mediation_table(
            res, labels=dict(s.labels), language=s.language, notes=s.notes)))
        items.append(run.figure(f"mediation_{med}", mediation_diagram(
            res, labels=dict(s.labels), language=s.language, font=s.font)))
    run.section("mechanism", Item("text", text(run, "mechanism", method=m.method,
                                               n_boot=m.n_boot, seed=s.seed)), *items)


def _serial_items(run, panel, y: str) -> list:
    """Chain mediation (``method = "serial"``): one analysis of every chain together, its
    verdict, table and path diagram; the result is ``mediation:serial``."""
    from ..mechanism import mediation
    from ..plots import mediation_diagram
    from ..tables import mediation_table

    s, m = run.config.study, run.config.mechanism
    chains = ({k: list(v) for k, v in m.chains.items()} if m.chains
              else {"chain": list(s.mediators)})
    res = mediation(panel, y, method="serial", chains=chains, serial_test=m.serial_test,
                    controls=s.controls, cluster=_cluster(run), n_boot=m.n_boot or None,
                    seed=s.seed, interval=m.interval, progress=False)
    run.results["mediation:serial"] = res
    sides = " | ".join(" → ".join(_label(run, v) for v in c) for c in chains.values())
    return [Item("text", text(run, "verdict", mediator=sides, verdict=res.verdict,
                              conclusion=res.conclusion)),
            run.table("mediation_serial", mediation_table(
                res, labels=dict(s.labels), language=s.language, notes=s.notes)),
            run.figure("mediation_serial", mediation_diagram(
                res, labels=dict(s.labels), language=s.language, font=s.font))]


def _main(run):
    y = _primary(run)
    return run.results.get(f"twfe_controls:{y}", run.results[f"twfe:{y}"])


def _event(run):
    event_study = REGISTRY["event_study"].function

    y = _primary(run)
    key = f"event_study:{y}"
    if key not in run.results:
        run.results[key] = event_study(run.results["__panel__"], y,
                                          window=run.config.study.event_window,
                                          cluster=_cluster(run))
    return run.results[key]


def robustness(run) -> None:
    from .. import robustness as rb
    from ..diagnostics import placebo_flag
    from ..plots import honest_plot, in_time_plot, placebo_plot
    from ..tables import balance_table, robustness_table
    from ..tables.formatting import fmt_p_value

    cfg = run.config
    r, s, panel = cfg.robustness, cfg.study, run.results["__panel__"]
    main = _main(run)
    lang = s.language
    items = []
    if r.placebo is not None:
        p = r.placebo
        run.seeds["placebo"] = s.seed
        test = rb.placebo(main, panel, kind=p["kind"], n_draws=p["n_draws"], seed=s.seed,
                          shift=p["shift"] if p["kind"] == "in_time" else None,
                          progress=False)
        run.results["placebo"] = test
        n_draws = test.details.get("n_draws")
        plot = in_time_plot if p["kind"] == "in_time" else placebo_plot
        items.append(Item("text", text(run, "placebo", kind=p["kind"], n=p["n_draws"],
                                       seed=s.seed, p=fmt_p_value(test.p_value, n_draws))))
        items += _flag(run, placebo_flag(test, run.config.study.flags), n_draws=n_draws)
        items.append(run.figure("placebo", plot(test, language=lang, font=s.font)))
        if p["kind"] != "in_time":
            in_time = rb.placebo(main, panel, kind="in_time", shift=p["shift"])
            run.results["placebo_in_time"] = in_time
            items.append(run.figure("placebo_in_time", in_time_plot(in_time, language=lang,
                                                                    font=s.font)))
    if r.psm is not None:
        opts = dict(r.psm)
        covariates = opts.pop("covariates")
        run.seeds["psm"] = s.seed
        matched = rb.match(panel, covariates, seed=s.seed, **opts)
        run.results["psm_match"] = matched
        psm = rb.psm_did(main, panel, covariates, seed=s.seed, **opts)
        run.results["psm_did"] = psm
        items.append(Item("text", text(run, "psm", est=psm.estimate[psm.primary],
                                       se=psm.std_error[psm.primary],
                                       base=main.estimate[main.primary])))
        items.append(run.table("psm_balance", balance_table(matched, labels=dict(s.labels),
                                                           language=lang, notes=s.notes)))
    if r.variations:
        var = rb.variations(main, panel)
        run.results["variations"] = var
        items.append(run.table("variations", robustness_table(
            var, labels=dict(s.labels), language=lang, notes=s.notes)))
    if r.honest is not None:
        h = rb.honest_did(_event(run), restriction=r.honest["restriction"],
                          m_values=r.honest["m_values"])
        run.results["honest"] = h
        items.append(run.figure("honest", honest_plot(h, language=lang, font=s.font)))
        items.append(run.table("honest", _honest_table(run, h)))
    if r.pretrend_power:
        pp = rb.pretrend_power(_event(run))
        run.results["pretrend_power"] = pp
        items.append(run.table("pretrend_power", _frame(
            pp.table, _name(run, "pretrend_power"), pp.notes, run)))
    run.section("robustness", *items)


def _honest_table(run, h):
    """Robust intervals by M̄ (M), then a breakdown row; the title names the target θ."""
    from ..plots.sensitivity import target_label

    g = h.glance().iloc[0]
    lang = run.config.study.language
    target = target_label(g, lang)
    t = h.tidy().drop(columns="term")
    name = "M̄" if g["restriction"] == "relative_magnitude" else "M"
    row = {"restriction": ("breakdown " if lang == "en" else "临界值 ") + name,
           "m": g["breakdown"], "conf_low": float("nan"), "conf_high": float("nan"),
           "method": g["method"]}
    t = pd.concat([t, pd.DataFrame([row])], ignore_index=True)
    t.insert(0, "target", target)
    legend = ("Breakdown: the largest value at which the robust interval still excludes 0."
              if lang == "en" else "临界值：稳健置信区间仍不包含 0 的最大取值。")
    return _frame(t, f"{_name(run, 'honest')}: {target}", h.notes, run, legend=(legend,))


def heterogeneity(run) -> None:
    from ..robustness import heterogeneity as split_effects
    from ..tables.formatting import data_notes, fmt_p_value
    from ..tables.groups import group_effects_table

    cfg = run.config
    main, panel = _main(run), run.results["__panel__"]
    items = []
    for by in cfg.robustness.heterogeneity:
        het = split_effects(main, panel, by)
        run.results[f"heterogeneity:{by}"] = het
        test = het.extra.get("equality_test")
        note = (text(run, "equal_effects", statistic=test.statistic,
                     p=fmt_p_value(test.p_value)) if test is not None else "")
        lang = cfg.study.language
        items.append(run.table(f"heterogeneity_{by}", group_effects_table(
            het, title=text(run, "effects_by", by=_label(run, by)), language=lang,
            notes=[*data_notes(het.notes, cfg.study.notes, lang), note])))
    run.section("heterogeneity", *items)


def _n(cfg) -> str:
    return f"{len(cfg.study.outcomes)} outcome(s)"


STEPS = [
    (lambda c: "data: " + ("simulating the calibrated panel" if c.data.simulate is not None
                           else f"reading {c.data.file.name}"), data, lambda c: True),
    (lambda c: f"main results: TWFE on {_n(c)}", main_results, lambda c: True),
    (lambda c: f"estimators: {', '.join(c.study.estimators)}", estimators, lambda c: True),
    (lambda c: "Bacon decomposition", bacon, lambda c: True),
    (lambda c: f"mechanism: {len(c.mechanism.mediators(c.study))} mediator(s), "
               f"{c.mechanism.method}, {c.mechanism.n_boot} bootstrap draws ...", mechanism,
     lambda c: bool(c.mechanism.mediators(c.study))),
    (lambda c: "robustness" + (f": placebo {c.robustness.placebo['n_draws']} draws ..."
                               if c.robustness.placebo else ""), robustness,
     lambda c: any([c.robustness.placebo, c.robustness.psm, c.robustness.variations,
                    c.robustness.honest, c.robustness.pretrend_power])),
    (lambda c: f"heterogeneity by {', '.join(c.robustness.heterogeneity)}", heterogeneity,
     lambda c: bool(c.robustness.heterogeneity)),
    (lambda c: f"spillovers: spatial DiD ({c.spatial.model})"
               + (", rings" if c.spatial.rings else ""), spatial,
     lambda c: c.spatial is not None),
    (lambda c: f"single-city designs: {', '.join(c.synthetic.methods)}", synthetic,
     lambda c: c.synthetic is not None),
]
