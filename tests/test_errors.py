"""did_zones.errors: the hierarchy and warn(), which points every warning at the user's line."""

import warnings

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import (
    DataDroppedWarning,
    DidZonesWarning,
    SmallCohortWarning,
    warn,
)


def small_panel_frame() -> pd.DataFrame:
    """Two units per cohort (2013, 2015) and four never-treated: small-cohort warnings."""
    rng = np.random.default_rng(0)
    cohorts = [2013, 2013, 2015, 2015, 0, 0, 0, 0]
    rows = [{"unit": i, "year": t, "g": g, "y": rng.normal()}
            for i, g in enumerate(cohorts) for t in range(2010, 2018)]
    return pd.DataFrame(rows)


def _ours(caught, category):
    return [w for w in caught if issubclass(w.category, category)]


def test_warning_from_callaway_santanna_points_at_the_callers_line():
    panel = dz.build_panel(small_panel_frame(), unit="unit", time="year", cohort="g")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dz.callaway_santanna(panel, "y")
    found = _ours(caught, SmallCohortWarning)
    assert found, [str(w.message) for w in caught]
    assert {w.filename for w in _ours(caught, DidZonesWarning)} == {__file__}


def test_warning_from_build_panel_points_at_the_callers_line():
    df = small_panel_frame()
    df.loc[df["unit"] == 0, "g"] = 2005  # treated before the first year: always treated
    with pytest.warns(DataDroppedWarning, match="always") as caught:
        dz.build_panel(df, unit="unit", time="year", cohort="g")
    assert {w.filename for w in _ours(caught, DidZonesWarning)} == {__file__}


def test_warn_from_user_code_names_the_calling_line():
    with pytest.warns(DataDroppedWarning, match="3 rows") as caught:
        warn("3 rows dropped.", DataDroppedWarning)
    assert caught[0].filename == __file__


def test_warn_defaults_to_the_base_warning():
    with pytest.warns(DidZonesWarning, match="note") as caught:
        warn("note")
    assert caught[0].category is DidZonesWarning


def test_no_stacklevel_left_in_the_numerical_modules():
    """Every warning of the package goes through errors.warn (no hand-counted levels); the
    figures' font module only passes other libraries' warnings on (warn_explicit)."""
    from pathlib import Path

    root = Path(dz.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "errors.py"
                 and "warnings.warn(" in p.read_text(encoding="utf-8")]
    assert offenders == []
