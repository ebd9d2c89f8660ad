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

__all__ = ["run_demo"]

OUTCOME = "isu"
CONTROLS = ("lngdp_pc", "lnpop")


def _estimate_all(panel) -> dict:
    """Every estimator on the panel: name -> Result (event-time where the method has it)."""
    from . import estimators as est
    from .estimators.aggregate import aggregate
    from .estimators.bacon import bacon_decomposition

    cs = est.get_estimator("callaway_santanna")(panel, OUTCOME, control="not_yet")
    return {
        "TWFE": est.get_estimator("twfe")(panel, OUTCOME, controls=CONTROLS),
        "Event study (TWFE)": est.get_estimator("event_study")(panel, OUTCOME, window=(-5, 5)),
        "Callaway-Sant'Anna ATT(g,t)": cs,
        "Callaway-Sant'Anna simple": aggregate(cs, kind="simple"),
        "Callaway-Sant'Anna event": aggregate(cs, kind="event"),
        "Sun-Abraham": est.get_estimator("sun_abraham")(panel, OUTCOME),
        "Imputation (BJS)": est.get_estimator("imputation")(panel, OUTCOME, horizons=True),
        "did2s (Gardner)": est.get_estimator("did2s")(panel, OUTCOME, horizons=True),
        "DID_M (dCDH)": est.get_estimator("dcdh")(panel, OUTCOME, placebo=1),
        "Bacon decomposition": bacon_decomposition(panel, OUTCOME),
    }


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
        "## Truth: event-time effects",
        "",
        "```",
        sim.truth.event_time.to_string(index=False),
        "```",
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
