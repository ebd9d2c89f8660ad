"""The main job on the bundled default data: ``did-zones demo --out DIR``.

The demo is the study report (:mod:`did_zones.report`) run with a built-in configuration on
the calibrated simulated city-year panel with the real pilot-zone timing, plus one section
only a simulation can have: every estimator's event-time estimates beside the true effects.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd

__all__ = ["covered", "demo_config", "event_time_comparison", "run_demo"]

OUTCOME = "isu"
CONTROLS = ("lngdp_pc", "lnpop")
WINDOW = (-4, 5)
# moderate sizes keep the demo under a minute on two cores; the report says so
N_DRAWS = 500
N_BOOT = 199


def demo_config(seed: int = 0):
    """The built-in study of the demo.

    Parameters
    ----------
    seed : int
        Seed of the simulated panel and of every random step.

    Returns
    -------
    StudyConfig
        Outcomes ``isu`` (primary) and ``ts``, controls, the e-commerce mediator, every
        estimator, and the whole robustness battery with moderate draw counts.
    """
    from .report import parse_config

    return parse_config({
        "data": {"simulate": {"seed": seed, "effect": "heterogeneous"}, "unit": "city_code",
                 "time": "year", "cohort": "cohort"},
        "study": {
            "title": "did_zones demo: cross-border e-commerce pilot zones and industrial "
                     "structure (simulated panel, known truth)",
            "outcomes": [OUTCOME, "ts"], "controls": list(CONTROLS), "mediators": ["ecom"],
            "event_window": list(WINDOW), "seed": seed,
            "labels": {"isu": "Hierarchy index (ISU)", "ts": "Advancement (TS)",
                       "ecom": "E-commerce activity", "lngdp_pc": "log GDP per capita",
                       "lnpop": "log population"},
        },
        "robustness": {
            "placebo": {"kind": "in_space", "n_draws": N_DRAWS},
            "psm": {"covariates": list(CONTROLS), "k": 1, "caliper": 0.05},
            "variations": True,
            "honest": {"restriction": "relative_magnitude", "m_values": [0, 0.5, 1]},
            "pretrend_power": True,
            "heterogeneity": ["region"],
        },
        "mechanism": {"method": "stepwise", "n_boot": N_BOOT},
    })


def _compared() -> dict[str, tuple[str, ...]]:
    """Estimator name in the truth table -> the study results of OUTCOME it reads (the keys
    the report stores them under, from the estimator registry): the first gives the
    event-time effects, all give their named estimands (keys["estimand"])."""
    from .estimators.registry import REGISTRY

    out = {}
    for name, spec in REGISTRY.items():
        if spec.window is None and not spec.through_aggregations:
            continue  # no event-time results in a study
        out[spec.label("en")] = (
            spec.event_key, *((f"{name}_static",) if spec.report_static else ()),
            *((f"{name}_simple",) if spec.through_aggregations else ()),
            f"{spec.event_key}_event_average")
    return out


def _true_estimand(truth, estimand: str, e_min: float, e_max: float) -> float:
    """The simulator's truth of one named estimand (NaN where it has none)."""
    cells = truth.att_gt.loc[truth.att_gt["event_time"] >= 0]
    by_e = truth.event_time.set_index("event_time")["att"]
    if estimand == "simple_att":
        if pd.isna(e_min):
            return float(truth.overall)  # every treated city-year
        cells = cells.loc[cells["event_time"].between(e_min, e_max)]
        return float((cells["att"] * cells["n_units"]).sum() / cells["n_units"].sum())
    if estimand == "event_average":
        return float(by_e.reindex(range(int(e_min), int(e_max) + 1)).mean())
    if estimand == "instantaneous":
        return float(by_e.get(0, float("nan")))
    return float("nan")


def event_time_comparison(results: dict, truth) -> pd.DataFrame:
    """Estimates (standard errors) by event time and by named estimand beside the truth.

    Parameters
    ----------
    results : dict
        Study results of the demo outcome, keyed by their study name without the outcome
        (``"sun_abraham"``, ``"did2s_static"``, ...).
    truth : SimulationTruth
        ``simulate_pilot_panel(...).truth``.

    Returns
    -------
    pandas.DataFrame
        One row per event time in the demo window, then one per named estimand
        (index ``"simple_att"``, ``"simple_att e=0..5"``, ``"event_average e=0..5"``,
        ``"instantaneous"``); columns ``truth`` (the same estimand of the simulated
        potential outcomes) and, per estimator, ``<name>`` and ``<name> se``.
    """
    from .estimands import event_average

    lo, hi = WINDOW
    if "event_study" in results and "event_study_event_average" not in results:
        results = {**results, "event_study_event_average": event_average(
            results["event_study"], (0, hi))}
    true = truth.event_time.set_index("event_time")["att"]
    rows: dict[str, float] = {str(e): float(true.get(e, float("nan")))
                              for e in range(lo, hi + 1)}
    cells: dict[str, dict[str, tuple[float, float]]] = {}
    for label, names in _compared().items():
        got = [results[n] for n in names if n in results]
        if not got:
            continue
        col: dict[str, tuple[float, float]] = {}
        res = got[0]
        keys = res.keys
        is_event = keys["event_time"].notna()
        if "estimand" in keys.columns:
            is_event &= keys["estimand"].isna()
        if "kind" in keys.columns:
            is_event &= keys["kind"] != "pretrend"
        for term in keys.index[is_event]:
            e = int(keys.loc[term, "event_time"])
            if lo <= e <= hi and str(e) not in col:
                col[str(e)] = (res.estimate[term], res.std_error[term])
        for r in got:
            if "estimand" not in r.keys.columns:
                continue
            for term, k in r.keys.loc[r.keys["estimand"].notna()].iterrows():
                if k["estimand"] == "twfe_coefficient":
                    continue
                window = "" if pd.isna(k["e_min"]) else f" e={k['e_min']:g}..{k['e_max']:g}"
                name = f"{k['estimand']}{window}"
                rows.setdefault(name, _true_estimand(truth, k["estimand"], k["e_min"],
                                                     k["e_max"]))
                col.setdefault(name, (r.estimate[term], r.std_error[term]))
        cells[label] = col
    order = [str(e) for e in range(lo, hi + 1)] + sorted(
        (r for r in rows if not r.lstrip("-").isdigit()),
        key=lambda r: (["simple_att", "event_average", "instantaneous"].index(
            r.split(" ")[0]), r))
    table = pd.DataFrame(index=pd.Index(order, name="event_time"))
    table["truth"] = [rows[r] for r in order]
    for label, col in cells.items():
        table[label] = [col.get(r, (float("nan"),) * 2)[0] for r in order]
        table[f"{label} se"] = [col.get(r, (float("nan"),) * 2)[1] for r in order]
    return table


def covered(table: pd.DataFrame, z: float = 1.959963984540054) -> pd.DataFrame:
    """Per named-estimand row and estimator: does the 95% interval cover the truth?
    (NaN where the estimator gives no number.)"""
    rows = [r for r in table.index if not str(r).lstrip("-").isdigit()]
    names = [c for c in table.columns if c != "truth" and not c.endswith(" se")]
    out = pd.DataFrame(index=rows, columns=names, dtype=float)
    for r in rows:
        for n in names:
            est, se = table.loc[r, n], table.loc[r, f"{n} se"]
            if pd.notna(est) and pd.notna(se):
                out.loc[r, n] = float(abs(est - table.loc[r, "truth"]) <= z * se)
    return out


_MECH_HEADERS = {"en": ("Quantity", "Estimate", "Truth"), "zh": ("参数", "估计值", "真实值")}
_MECH_ROWS = {"en": ("a (pilot -> mediator)", "b (mediator -> outcome)", "a·b (indirect effect)",
                     "share mediated"),
              "zh": ("a（试点 → 中介变量）", "b（中介变量 → 结果）", "a·b（间接效应）", "中介效应占比")}


def mechanism_vs_truth(result, truth, language: str = "en") -> pd.DataFrame:
    """The mediation estimates a, b, a·b and the share mediated beside the simulator's truth.

    Parameters
    ----------
    result : MediationResult
        ``did_zones.mediation(panel, "isu", "ecom", ...)`` with one mediator.
    truth : SimulationTruth
        ``simulate_pilot_panel(...).truth``: its ``a``, ``b``, ``indirect`` and
        ``share_mediated`` (``indirect / overall``) are exact by construction.
    language : {"en", "zh"}
        Language of the headers and row names.

    Returns
    -------
    pandas.DataFrame
        Four rows (a, b, a·b, share mediated), columns quantity, estimate, truth.
    """
    est = result.tidy().set_index("term")["estimate"]
    quantity, estimate, true = _MECH_HEADERS[language]
    return pd.DataFrame({
        quantity: list(_MECH_ROWS[language]),
        estimate: [float(est["a"]), float(est["b"]), float(est["a*b"]), float(est["share"])],
        true: [truth.a, truth.b, truth.indirect, truth.share_mediated]})


def _display(table: pd.DataFrame) -> pd.DataFrame:
    """Estimate (standard error) strings by event time, beside the truth."""
    names = [c for c in table.columns if c != "truth" and not c.endswith(" se")]
    out = pd.DataFrame({"e / estimand": [_row_label(r) for r in table.index],
                        "truth": [f"{v:.4f}" for v in table["truth"]]})
    for n in names:
        out[n] = ["—" if pd.isna(est) else f"{est:.4f} ({se:.4f})"
                  for est, se in zip(table[n], table[f"{n} se"], strict=True)]
    return out


def _row_label(row: str) -> str:
    from .tables._estimands import estimand_label

    if row.lstrip("-").isdigit():
        return f"e = {row}"
    name, _, window = row.partition(" e=")
    a, _, b = window.partition("..")
    return estimand_label(name, float(a) if a else float("nan"),
                          float(b) if b else float("nan"))


TRUTH_TEXT = (
    "Estimate (standard error) by event time e, then by named estimand; each number is "
    "set against the same estimand of the simulated potential outcomes: the simple ATT "
    "against the mean effect over all treated city-years (or over those with e in the "
    "window the estimator averages), the event-average ATT against the mean of the true "
    "ATT(e) over the same e, the instantaneous effect (dCDH's DID_M) against the true "
    "ATT(0). Reference period e = -1 (TWFE event study, Sun-Abraham, did2s; CS uses the "
    "varying base period and BJS's pre-period terms are its pre-trend test coefficients); "
    "dCDH placebos compare e with e = -1 at the same distance. The TWFE coefficient has no "
    "counterpart in the truth (its weights depend on the design) and is left out. "
    "\u2014: the estimator does not give that estimand (see the staggered-robust "
    "comparison for why). Only the hierarchy index (ISU) has a known truth: the simulator "
    "sets the effects on ISU, and the other outcomes (e.g. TS) are nonlinear functions of "
    "the sector shares whose true effects it does not compute. Full-precision numbers: "
    "tables/estimates_vs_truth_values.csv.")


MECHANISM_TEXT = (
    "Mechanism estimates beside the simulator's truth: a is the pilot's effect on e-commerce "
    "activity (true value averaged over treated city-years), b the effect of e-commerce "
    "activity on the hierarchy index (a parameter of the simulation), a·b the indirect "
    "effect and the share mediated a·b / c (true: indirect / overall ATT).")


def run_demo(out: Path, seed: int = 0, overwrite: bool = False,
             progress: bool = True) -> Path:
    """Run the demo study and write its report to ``out``.

    Parameters
    ----------
    out : pathlib.Path
        Output folder: absent, empty, or with ``overwrite`` a folder an earlier report
        wrote (see :func:`did_zones.report.write_report` for the manifest).
    seed : int
        Seed of the simulated panel and of every random step.
    overwrite : bool
        Replace an earlier report: only the files its manifest lists are removed.
    progress : bool
        Progress lines on stderr.

    Returns
    -------
    pathlib.Path
        The path of ``report.html`` (``report.md`` sits beside it).

    Raises
    ------
    SpecificationError
        If ``out`` may not be written (see :func:`did_zones.report.check_folder`): an
        earlier report without ``overwrite``, a non-empty folder no report wrote, the
        current, home or root folder. Checked before the study runs.
    """
    from .report import Item, Section, check_folder, run_study, write_report
    from .report.steps import _frame

    out = Path(out)
    check_folder(out, overwrite)
    output = run_study(demo_config(seed), progress=progress)
    results = {key.rpartition(":")[0]: res for key, res in output.results.items()
               if key.endswith(f":{OUTCOME}")}
    sim = output.simulation
    comparison = event_time_comparison(results, sim.truth)
    table = _frame(_display(comparison), "Estimates against the truth: hierarchy index (ISU)")
    note = (f"Demo sizes: {N_DRAWS} placebo draws and {N_BOOT} bootstrap draws of a*b "
            "(moderate, so that the demo runs in under a minute; use more in a paper).")
    truth = Section("truth", "Estimates against the truth",
                    (Item("text", TRUTH_TEXT), Item("table", "estimates_vs_truth")))
    sections = list(output.sections)
    at = next((i + 1 for i, s in enumerate(sections) if s.key == "event"), len(sections))
    sections.insert(at, truth)
    mech = mechanism_vs_truth(output.results["mediation:ecom"], sim.truth)
    mech_table = _frame(mech.round(4), "Mechanism against the truth: e-commerce activity")
    mech_item = (Item("text", MECHANISM_TEXT), Item("table", "mechanism_vs_truth"))
    sections = [replace(s, items=(*s.items, *mech_item)) if s.key == "mechanism" else s
                for s in sections]
    sections[0] = replace(sections[0], items=(Item("text", note), *sections[0].items))
    output = replace(output, sections=tuple(sections),
                     tables=MappingProxyType({**output.tables, "estimates_vs_truth": table,
                                              "mechanism_vs_truth": mech_table}),
                     results=MappingProxyType({**output.results, "truth": sim.truth}))
    values = {"tables/estimates_vs_truth_values.csv": comparison.to_csv()}
    return write_report(output, out, overwrite=overwrite, progress=progress,
                        extra_files=values)
