"""Sphinx configuration of the did_zones documentation.

Build:  sphinx-build -W --keep-going -b html docs docs/_build/html
Run the examples in the pages:  sphinx-build -W -b doctest docs docs/_build/doctest
No network is used at build time (no intersphinx). Formulas are typeset by MathJax in the
reader's browser.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures off-screen, in the html and in the doctest builder

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))  # apigen
sys.path.insert(0, str(ROOT))  # did_zones from the checkout when it is not installed

import apigen  # noqa: E402

import did_zones  # noqa: E402

apigen.write(DOCS)

project = "did_zones"
author = "did_zones developers"
copyright = "2026, did_zones developers"
release = did_zones.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",  # the tutorial's figures (matplotlib is a dependency)
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# api_lists.rst is included by api.rst, not a page of its own
exclude_patterns = ["_build", "api_lists.rst", "Thumbs.db", ".DS_Store"]
language = "en"

# --- autodoc / autosummary / numpydoc ---
autosummary_generate = ["api_lists.rst"]  # the generated lists (excluded as a page)
templates_path = ["_templates"]  # class pages document their public methods
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # autosummary lists members
numpydoc_class_members_toctree = False

# --- MyST ---
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

# --- doctest: every example in the pages runs ---
doctest_global_setup = """
import warnings
import numpy as np
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import did_zones as dz
pd.set_option("display.width", 100)
pd.set_option("display.max_columns", 20)
warnings.simplefilter("ignore", dz.DidZonesWarning)
# docstring examples are written for their module's namespace (doctest-modules style)
from did_zones import *
from did_zones.plots import *
from did_zones.robustness import *
import importlib
for _name in ("did_zones.plots.fonts", "did_zones.plots._fonts"):  # public name, older name
    try:
        _fonts = importlib.import_module(_name)
    except ImportError:
        continue
    globals().update({_n: getattr(_fonts, _n) for _n in _fonts.__all__})
    break
"""
doctest_global_cleanup = """
import matplotlib.pyplot as plt
plt.close("all")
"""
# the same flags pytest's doctest would need for printed floats and frames
import doctest  # noqa: E402

doctest_default_flags = (doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
                         | doctest.IGNORE_EXCEPTION_DETAIL | doctest.DONT_ACCEPT_TRUE_FOR_1)
doctest_test_doctest_blocks = "default"

# --- figures (plot directive): PNG only, no source links ---
plot_formats = [("png", 110)]
plot_html_show_formats = False
plot_html_show_source_link = False
plot_include_source = False

# --- HTML ---
html_theme = "pydata_sphinx_theme"
html_title = f"did_zones {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_show_sourcelink = False

# no network at build time
os.environ.setdefault("MPLBACKEND", "Agg")
