"""The documentation sources cover the package, checked without building the site: every
public name is in the API reference, every estimator has its page and a crosswalk row, every
example script is shown, and the getting-started page gives the README's two commands."""

import importlib.util
import re
from pathlib import Path

import pytest

import did_zones

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# estimators and checks that have a page in docs/estimators/ (file stem -> public functions)
ESTIMATOR_PAGES = {
    "twfe": ["twfe"],
    "event_study": ["event_study"],
    "callaway_santanna": ["callaway_santanna", "aggregate"],
    "sun_abraham": ["sun_abraham"],
    "imputation": ["imputation"],
    "did2s": ["did2s"],
    "dcdh": ["dcdh"],
    "iv_did": ["iv_did"],
    "continuous_did": ["continuous_did"],
    "triple_difference": ["triple_difference"],
    "dml_did": ["dml_did"],
    "bacon_decomposition": ["bacon_decomposition"],
    "twfe_weights": ["twfe_weights"],
    "honest_did": ["honest_did"],
    "placebo": ["placebo"],
    "psm_did": ["match", "psm_did"],
    "mediation": ["mediation", "causal_mediation"],
    "moderation": ["moderation"],
    "heterogeneity": ["heterogeneity"],
    "pretrend_power": ["pretrend_power"],
    "wild_bootstrap": ["wild_bootstrap"],
    "synthetic": ["synthdid", "synthetic_control"],
}

# Stata / R commands the crosswalk must name (issue #16)
CROSSWALK_COMMANDS = ["reghdfe", "csdid", "did::att_gt", "eventstudyinteract", "fixest::sunab",
                      "did_imputation", "did2s", "did_multiplegt", "bacondecomp", "honestdid",
                      "didplacebo", "psmatch2", "sgmediation", "medeff", "boottest"]


def _apigen():
    spec = importlib.util.spec_from_file_location("apigen", DOCS / "apigen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _public_names() -> list[str]:
    return [n for n in did_zones.__all__ if not (n.startswith("__") and n.endswith("__"))]


def test_api_reference_lists_every_public_name():
    apigen = _apigen()
    api = (DOCS / "api.rst").read_text(encoding="utf-8")
    assert ".. include:: api_lists.rst" in api  # the generated lists are what the page shows
    text = apigen.render()
    listed = set(re.findall(r"^   (\w+)$", text, re.M))
    missing = [n for n in _public_names() if n not in listed]
    assert not missing, f"public names missing from the API reference: {missing}"
    # the subpackages documented beside the top level are covered the same way
    for module_name, _, _ in apigen.MODULES:
        for name in apigen.public_names(module_name):
            assert name in listed, f"{module_name}.{name} is not in the API reference"


def test_api_groups_leave_nothing_unplaced():
    """Each top-level name falls in a named group; 'Other' is only a safety net."""
    groups = _apigen().grouped("did_zones")
    assert sorted(n for names in groups.values() for n in names) == sorted(_public_names())
    assert "Other public names" not in groups, groups.get("Other public names")


@pytest.mark.parametrize("page", sorted(ESTIMATOR_PAGES))
def test_every_estimator_has_a_page(page):
    path = DOCS / "estimators" / f"{page}.md"
    assert path.is_file(), f"missing docs/estimators/{page}.md"
    text = path.read_text(encoding="utf-8")
    for function in ESTIMATOR_PAGES[page]:
        assert hasattr(did_zones, function), function
        assert f"did_zones.{function}" in text, f"{page}.md does not link {function}"
    # a formula or a stated procedure, the conventions, the command it matches, an example
    for heading in ("## Conventions", "## Matches", "## Example"):
        assert heading in text, f"{page}.md has no '{heading}' section"
    assert "```{doctest}" in text, f"{page}.md has no executed example"
    index = (DOCS / "estimators" / "index.md").read_text(encoding="utf-8")
    assert re.search(rf"^{page}$", index, re.M), f"{page} is not in the estimators toctree"


def test_crosswalk_has_a_row_per_estimator_and_the_commands():
    text = (DOCS / "crosswalk.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for functions in ESTIMATOR_PAGES.values():
        for function in functions:
            assert any(f"did_zones.{function}`" in row for row in rows), \
                f"no crosswalk row for {function}"
    for command in CROSSWALK_COMMANDS:
        assert command in text, f"the crosswalk does not name {command}"
    boottest = next(row for row in rows if "boottest" in row)
    assert "did_zones.wild_bootstrap" in boottest


def test_every_example_script_is_shown():
    page = (DOCS / "examples" / "index.md").read_text(encoding="utf-8")
    for script in sorted((ROOT / "examples").glob("*.py")):
        assert f"examples/{script.name}" in page, f"{script.name} is not on the examples page"


def test_getting_started_gives_the_readme_commands_verbatim():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(# 1\..*?)```", readme, re.S).group(1)
    page = (DOCS / "getting_started.md").read_text(encoding="utf-8")
    assert block in page
    zh = (DOCS / "zh" / "workflow.md").read_text(encoding="utf-8")
    for line in block.splitlines():
        if line.startswith("pip install"):
            assert line in zh


def test_every_page_is_in_a_toctree():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for entry in ("getting_started", "tutorial", "estimators/index", "guides/few_treated",
                  "crosswalk",
                  "examples/index", "zh/workflow", "api", "developer/index"):
        assert re.search(rf"^{re.escape(entry)}$", index, re.M), entry


def test_tutorial_is_executed_and_checked_against_the_truth():
    text = (DOCS / "tutorial.rst").read_text(encoding="utf-8")
    assert text.count(".. doctest::") >= 10
    assert text.count("sim.truth") >= 4  # estimates compared with the simulator's truth
    for call in ("simulate_pilot_panel", "build_panel", "dz.twfe", "event_study",
                 "callaway_santanna", "aggregate", "sun_abraham", "imputation",
                 "bacon_decomposition", "placebo", "honest_did", "mediation",
                 "regression_table", "report import run"):
        assert call in text, call
    # the CSMAR section is shown, not run: the licensed files are not available to the build
    csmar = text[text.index("11. The same study on your own CSMAR files"):]
    assert "dz.read_cre(" in csmar and ".. code-block:: python" in csmar
    assert ">>> " not in csmar
