"""The main job on the bundled default data: ``did-zones demo --out DIR``.

Simulates the calibrated city-year panel with the real pilot-zone timing and known truth,
runs every estimator of the library on it and writes the panel, tidy result tables and a
Markdown report comparing each estimate with the truth.
"""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path

import pandas as pd

from .errors import SpecificationError

__all__ = ["event_time_comparison", "run_demo"]

OUTCOME = "isu"
CONTROLS = ("lngdp_pc", "lnpop")


WINDOW = (-4, 5)


def _estimate_all(panel) -> dict:
    """Every estimator on the panel: name -> Result (event-time where the method has it)."""
    import did_zones as est

    lo, hi = WINDOW
    cs = est.callaway_santanna(panel, OUTCOME, control="not_yet")
    return {
        "TWFE": est.twfe(panel, OUTCOME, controls=CONTROLS),
        "Event study (TWFE)": est.event_study(panel, OUTCOME, window=WINDOW),
        "Callaway-Sant'Anna ATT(g,t)": cs,
        "Callaway-Sant'Anna simple": est.aggregate(cs, kind="simple"),
        "Callaway-Sant'Anna event": est.aggregate(cs, kind="event", window=WINDOW),
        "Sun-Abraham": est.sun_abraham(panel, OUTCOME, window=WINDOW),
        "Imputation (BJS)": est.imputation(panel, OUTCOME, horizons=list(range(hi + 1)),
                                           pretrends=-lo),
        "did2s (Gardner)": est.did2s(panel, OUTCOME,
                                    horizons=[*range(lo, -1), *range(hi + 1)]),
        "DID_M (dCDH)": est.dcdh(panel, OUTCOME, dynamic=hi, placebo=-lo - 1),
        "Bacon decomposition": est.bacon_decomposition(panel, OUTCOME),
        "TWFE weights (dCDH 2020)": est.twfe_weights(panel, OUTCOME),
    }


# estimator name in the comparison -> (result name, overall term)
_COMPARED = {
    "TWFE event study": ("Event study (TWFE)", None),
    "Callaway-Sant'Anna": ("Callaway-Sant'Anna event", None),
    "Sun-Abraham": ("Sun-Abraham", "overall"),
    "BJS imputation": ("Imputation (BJS)", "overall"),
    "did2s": ("did2s (Gardner)", None),
    "dCDH": ("DID_M (dCDH)", "DID_M"),
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


def _format_comparison(table: pd.DataFrame) -> str:
    names = [c for c in table.columns if c != "truth" and not c.endswith(" se")]
    header = "| e | truth | " + " | ".join(names) + " |"
    lines = [header, "|" + "---|" * (len(names) + 2)]
    for e, row in table.iterrows():
        cells = [f"{row['truth']:.4f}"]
        for n in names:
            est, se = row[n], row[f"{n} se"]
            cells.append("" if pd.isna(est) else f"{est:.4f} ({se:.4f})")
        lines.append(f"| {e} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_demo(out: Path, seed: int = 0, overwrite: bool = False) -> Path:
    """Run the demo study and write its outputs to ``out``.

    Parameters
    ----------
    out : pathlib.Path
        Output folder. It must not exist unless ``overwrite`` is True.
    seed : int
        Seed of the simulated panel.
    overwrite : bool
        Replace an existing folder.

    Returns
    -------
    pathlib.Path
        The path of the Markdown report.

    Raises
    ------
    SpecificationError
        If ``out`` exists and ``overwrite`` is False.
    """
    from .panel import build_panel
    from .simulate import simulate_pilot_panel
    from .tables import summary_text

    out = Path(out)
    if out.exists():
        if not overwrite:
            raise SpecificationError(
                f"Output folder {str(out)!r} already exists. Choose another --out, or pass "
                "--overwrite to replace it."
            )
        shutil.rmtree(out)
    (out / "tables").mkdir(parents=True)

    print(f"[1/3] simulating the calibrated panel (seed {seed})", file=sys.stderr)
    sim = simulate_pilot_panel(seed=seed)
    sim.data.to_csv(out / "panel.csv", index=False)
    panel = build_panel(sim.data, unit="city_code", time="year", cohort="cohort")

    print("[2/3] estimating", file=sys.stderr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = _estimate_all(panel)
    comparison = event_time_comparison(results, sim.truth)
    comparison.to_csv(out / "tables" / "estimates_vs_truth.csv")
    for name, res in results.items():
        res.tidy().to_csv(out / "tables" / f"{_slug(name)}.csv", index=False)

    print("[3/3] writing the report", file=sys.stderr)
    lines = [
        "# did_zones demo: pilot zones and the industrial-structure hierarchy index",
        "",
        f"Simulated panel: {panel!r}. Outcome `{OUTCOME}`; true effects are known.",
        "",
        "## Adoption table",
        "",
        panel.describe().to_markdown(index=False) if _has_tabulate() else
        "```\n" + panel.describe().to_string(index=False) + "\n```",
        "",
        "## Estimates against the truth",
        "",
        "Estimate (standard error) by event time e; `truth` is the sample ATT of the "
        "simulated potential outcomes. Reference period e = -1 (TWFE event study, "
        "Sun-Abraham, did2s; CS uses the varying base period and BJS's pre-period terms are "
        "its pre-trend test coefficients); dCDH placebos compare e with e = -1 at the same "
        "distance. Overall row (truth: ATT over all treated city-years): static TWFE "
        "coefficient with controls, CS simple aggregation, SA and BJS averages over treated "
        "cells, and dCDH's DID_M (instantaneous effects only).",
        "",
        _format_comparison(comparison),
        "",
    ]
    for name, res in results.items():
        lines += [f"## {name}", "", "```", summary_text(res), "```", ""]
    if caught:
        lines += ["## Warnings raised", ""] + [f"- {w.message}" for w in caught] + [""]
    report = out / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    (out / "versions.json").write_text(json.dumps(_versions(seed), indent=2))
    print(f"wrote {report}", file=sys.stderr)
    return report


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def _versions(seed: int) -> dict:
    import numpy
    import scipy
    import statsmodels

    from . import __version__

    return {"did_zones": __version__, "python": sys.version.split()[0],
            "numpy": numpy.__version__, "pandas": pd.__version__, "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__, "seed": seed}
