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

__all__ = ["demo_config", "event_time_comparison", "run_demo"]

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


# estimator name in the comparison -> (result name, overall term)
_COMPARED = {
    "TWFE event study": ("Event study (TWFE)", None),
    "Callaway-Sant'Anna": ("Callaway-Sant'Anna event", None),
    "Sun-Abraham": ("Sun-Abraham", "overall"),
    "BJS imputation": ("Imputation (BJS)", "overall"),
    "did2s": ("did2s (Gardner)", None),
    "dCDH": ("DID_M (dCDH)", "DID_M"),
}

# names event_time_comparison reads -> names in the study output
_STUDY_NAMES = {
    "TWFE": f"twfe_controls:{OUTCOME}",
    "Event study (TWFE)": f"event_study:{OUTCOME}",
    "Callaway-Sant'Anna simple": f"callaway_santanna_simple:{OUTCOME}",
    "Callaway-Sant'Anna event": f"callaway_santanna_event:{OUTCOME}",
    "Sun-Abraham": f"sun_abraham:{OUTCOME}",
    "Imputation (BJS)": f"imputation:{OUTCOME}",
    "did2s (Gardner)": f"did2s:{OUTCOME}",
    "DID_M (dCDH)": f"dcdh:{OUTCOME}",
}


def event_time_comparison(results: dict, truth) -> pd.DataFrame:
    """Estimates (standard errors) by event time beside the simulator's true effects.

    Parameters
    ----------
    results : dict
        Output of the demo's estimation step (name -> Result).
    truth : SimulationTruth
        ``simulate_pilot_panel(...).truth``.

    Returns
    -------
    pandas.DataFrame
        One row per event time in the demo window plus an ``overall`` row; columns
        ``truth`` and, per estimator, ``<name>`` and ``<name> se``. The overall truth is the
        ATT over all treated city-years; each estimator's overall term has its own weighting
        (noted in the report), and the TWFE row holds the static TWFE coefficient.
    """
    lo, hi = WINDOW
    index = [str(e) for e in range(lo, hi + 1)] + ["overall"]
    true = truth.event_time.set_index("event_time")["att"]
    table = pd.DataFrame(index=pd.Index(index, name="event_time"))
    table["truth"] = [float(true.get(e, float("nan"))) for e in range(lo, hi + 1)] + [
        float(truth.overall)]
    for label, (name, overall) in _COMPARED.items():
        res = results[name]
        keys = res.keys
        is_event = keys["event_time"].notna()
        if name == "DID_M (dCDH)":
            is_event &= keys.index.str.startswith(("effect_", "placebo_"))
        est = pd.Series(res.estimate[is_event].to_numpy(), keys.loc[is_event, "event_time"])
        se = pd.Series(res.std_error[is_event].to_numpy(), keys.loc[is_event, "event_time"])
        col = [est.get(e, float("nan")) for e in range(lo, hi + 1)]
        col_se = [se.get(e, float("nan")) for e in range(lo, hi + 1)]
        static = {"Event study (TWFE)": ("TWFE", "treated"),
                  "Callaway-Sant'Anna event": ("Callaway-Sant'Anna simple", "overall")}
        if name in static:
            other, term = static[name]
            col.append(results[other].estimate[term])
            col_se.append(results[other].std_error[term])
        elif overall is None:
            col.append(float("nan"))
            col_se.append(float("nan"))
        else:
            col.append(res.estimate[overall])
            col_se.append(res.std_error[overall])
        table[label] = col
        table[f"{label} se"] = col_se
    return table


def _display(table: pd.DataFrame) -> pd.DataFrame:
    """Estimate (standard error) strings by event time, beside the truth."""
    names = [c for c in table.columns if c != "truth" and not c.endswith(" se")]
    out = pd.DataFrame({"e": table.index, "truth": [f"{v:.4f}" for v in table["truth"]]})
    for n in names:
        out[n] = ["" if pd.isna(est) else f"{est:.4f} ({se:.4f})"
                  for est, se in zip(table[n], table[f"{n} se"], strict=True)]
    return out


TRUTH_TEXT = (
    "Estimate (standard error) by event time e; truth is the sample ATT of the simulated "
    "potential outcomes. Reference period e = -1 (TWFE event study, Sun-Abraham, did2s; CS "
    "uses the varying base period and BJS's pre-period terms are its pre-trend test "
    "coefficients); dCDH placebos compare e with e = -1 at the same distance. Overall row "
    "(truth: ATT over all treated city-years): static TWFE coefficient with controls, CS "
    "simple aggregation, SA and BJS averages over treated cells, and dCDH's DID_M "
    "(instantaneous effects only). Full-precision numbers: tables/estimates_vs_truth_values.csv.")


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
    results = {name: output.results[key] for name, key in _STUDY_NAMES.items()}
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
    sections[0] = replace(sections[0], items=(Item("text", note), *sections[0].items))
    output = replace(output, sections=tuple(sections),
                     tables=MappingProxyType({**output.tables, "estimates_vs_truth": table}),
                     results=MappingProxyType({**output.results, "truth": sim.truth}))
    values = {"tables/estimates_vs_truth_values.csv": comparison.to_csv()}
    return write_report(output, out, overwrite=overwrite, progress=progress,
                        extra_files=values)
