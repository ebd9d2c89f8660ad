"""Write the API reference lists from the package's ``__all__`` (run by ``conf.py``).

The reference pages are never hand-listed: every public name of ``did_zones`` (and of the
public subpackages below) gets an autosummary entry, grouped by the module that defines it.
A name added to or removed from ``__all__`` follows at the next build.
"""

from __future__ import annotations

import importlib
from pathlib import Path

# (module whose __all__ is documented, heading, text under the heading)
MODULES = [
    ("did_zones", "did_zones", "The top-level namespace: ``import did_zones as dz``."),
    ("did_zones.plots", "did_zones.plots", "Figures drawn from results (matplotlib)."),
    ("did_zones.report", "did_zones.report", "The study file and the report folder."),
    ("did_zones.spatial", "did_zones.spatial",
     "Prefecture geography, spatial weight matrices and spatial spillover estimators."),
    ("did_zones.estimands", "did_zones.estimands", "The estimand vocabulary."),
    ("did_zones.diagnostics", "did_zones.diagnostics", "The report's flag checks."),
]

# top-level names grouped by the first matching module prefix of where they are defined
GROUPS = [
    ("Panels, registry and data", ("did_zones.panel", "did_zones.registry",
                                   "did_zones.simulate", "did_zones._simddd", "did_zones.cre",
                                   "did_zones.zone_timing")),
    ("Outcomes and mechanism variables", ("did_zones.outcomes", "did_zones.entropy")),
    ("Estimators", ("did_zones.estimators", "did_zones.design")),
    ("Synthetic control and synthetic DiD", ("did_zones.synthetic",)),
    ("Spatial: geography, weights and spillovers", ("did_zones.spatial",)),
    ("Results", ("did_zones.result", "did_zones.decomposition")),
    ("Mechanism", ("did_zones.mechanism",)),
    ("Robustness", ("did_zones.robustness",)),
    ("Tables", ("did_zones.tables",)),
    ("Errors and warnings", ("did_zones.errors",)),
]
OTHER = "Other public names"


def public_names(module_name: str) -> list[str]:
    """``module.__all__`` without dunder names such as ``__version__``."""
    module = importlib.import_module(module_name)
    return [n for n in module.__all__ if not (n.startswith("__") and n.endswith("__"))]


def _defined_in(module_name: str, name: str) -> str:
    value = getattr(importlib.import_module(module_name), name)
    return getattr(value, "__module__", None) or module_name


def _block(module_name: str, names: list[str]) -> list[str]:
    lines = [f".. currentmodule:: {module_name}", "", ".. autosummary::",
             "   :toctree: generated", ""]
    lines += [f"   {n}" for n in names]
    return lines + [""]


def grouped(module_name: str = "did_zones") -> dict[str, list[str]]:
    """The public names of ``module_name`` by group (top level) or in one group."""
    names = public_names(module_name)
    if module_name != "did_zones":
        # a name also exported at the top level is documented there once (Sphinx refuses
        # two descriptions of one object)
        top = set(public_names("did_zones"))
        return {"": [n for n in names if n not in top]}
    out: dict[str, list[str]] = {}
    for name in names:
        where = _defined_in(module_name, name)
        title = next((t for t, prefixes in GROUPS
                      if any(where == p or where.startswith(p + ".") for p in prefixes)), OTHER)
        out.setdefault(title, []).append(name)
    order = [t for t, _ in GROUPS] + [OTHER]
    return {t: out[t] for t in order if t in out}


def render() -> str:
    """The reST included by ``api.rst``."""
    lines: list[str] = []
    for module_name, heading, text in MODULES:
        lines += [heading, "-" * len(heading), "", text, ""]
        for title, names in grouped(module_name).items():
            if title:
                lines += [title, "~" * len(title), ""]
            lines += _block(module_name, names)
    return "\n".join(lines)


def write(docs_dir: Path) -> Path:
    """Write ``api_lists.rst`` beside ``api.rst`` if its content changed."""
    path = Path(docs_dir) / "api_lists.rst"
    text = render()
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path
