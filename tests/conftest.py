"""Where the tests find their data, and what happens when a dataset is missing.

Two kinds of data:

* Public datasets and reference facts are part of the repository: ``tests/data/`` (inputs
  copied from public sources, documented in ``tests/data/README.md``; read with
  :func:`data_file`) and ``tests/reference/`` (frozen outputs of peer software; read with
  :func:`reference_file`). A missing one means a broken checkout.
* The licensed CSMAR CRE extracts never enter the repository. :func:`csmar_files` looks for
  them in ``<repository root>/../shared/data`` or in the folder named by the environment
  variable ``DID_ZONES_CSMAR_DIR``.

Skip policy: every test that lacks a dataset stops through :func:`skip_missing_data`. With
``DID_ZONES_STRICT_SKIPS=1`` (CI sets it) a missing bundled file fails the test instead of
skipping it. A missing CSMAR extract fails in strict mode only when ``DID_ZONES_CSMAR_DIR`` is
set (the caller said where the files are); otherwise it skips, because a fresh machine cannot
have licensed data. Skips for a missing system tool or optional package are not data skips:
they stay skips, and their message says how to install what is missing.

Test modules import these helpers with ``from conftest import data_file`` (the tests folder is
on ``sys.path`` under pytest's default import mode).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import HealthCheck, settings

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
DATA_DIR = TESTS_DIR / "data"
REFERENCE_DIR = TESTS_DIR / "reference"

STRICT_ENV = "DID_ZONES_STRICT_SKIPS"
CSMAR_ENV = "DID_ZONES_CSMAR_DIR"
CSMAR_DEFAULT_DIR = REPO_ROOT.parent / "shared" / "data"
CSMAR_FILES = ("CRE_Gdpct.csv", "CRE_Eplwagct.csv")


def strict_skips() -> bool:
    """True when ``DID_ZONES_STRICT_SKIPS`` asks for missing data to fail the test."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def skip_missing_data(reason: str, *, strict: bool | None = None) -> NoReturn:
    """Skip the current test for a missing dataset, or fail it in strict mode."""
    if strict is None:
        strict = strict_skips()
    if strict:
        pytest.fail(f"{reason} [{STRICT_ENV}=1 turns this data skip into a failure]",
                    pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def _in_repository(path: Path, what: str) -> Path:
    if not path.is_file():
        rel = path.relative_to(REPO_ROOT).as_posix()
        skip_missing_data(f"{what} {rel} is missing from this checkout; it belongs to the "
                          f"repository (restore it with `git checkout -- {rel}`)")
    return path


def repository_file(relpath: str) -> Path:
    """Path of a file the repository holds outside ``tests/`` (e.g. ``"benchmarks/run_all.py"``)."""
    return _in_repository(REPO_ROOT / relpath, "repository file")


def data_file(name: str) -> Path:
    """Path of a dataset bundled under ``tests/data/`` (e.g. ``"mpdta.csv"``)."""
    return _in_repository(DATA_DIR / name, "bundled test dataset")


def reference_file(name: str) -> Path:
    """Path of a frozen peer-software output under ``tests/reference/``."""
    return _in_repository(REFERENCE_DIR / name, "frozen reference file")


def csmar_dir() -> Path:
    """The folder holding the CSMAR extracts: ``$DID_ZONES_CSMAR_DIR`` or ``../shared/data``."""
    override = os.environ.get(CSMAR_ENV, "").strip()
    return Path(override).expanduser() if override else CSMAR_DEFAULT_DIR


def csmar_files(*names: str) -> tuple[Path, ...]:
    """Paths of licensed CSMAR CRE extracts (default: GDP and employment files).

    Skips the test, with the message saying where to put the files, when any is absent.
    """
    names = names or CSMAR_FILES
    folder = csmar_dir()
    paths = tuple(folder / name for name in names)
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        skip_missing_data(
            "licensed CSMAR CRE extract not in the repository; put "
            f"{' and '.join(names)} in ../shared/data or set {CSMAR_ENV} "
            f"(looked in {folder}; missing: {', '.join(missing)})",
            strict=strict_skips() and bool(os.environ.get(CSMAR_ENV, "").strip()),
        )
    return paths


# Hypothesis profiles for the property tests (tests/test_properties.py). "ci" is the default:
# a fixed seed and no example database, so every run tries the same examples, and few enough
# of them that the file stays under a minute on 2 CPUs. "deep" is for local bug hunting:
# HYPOTHESIS_PROFILE=deep pytest tests/test_properties.py (several minutes; it keeps found
# examples in .hypothesis/ and replays them first). No deadline in either: the first call of
# an estimator pays for imports. The data-too-large and too-slow health checks are off
# because the panels are drawn as a whole (up to 400 rows from one seed), by design.
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=40, derandomize=True, database=None,
                          deadline=None, suppress_health_check=_HEALTH, print_blob=True)
settings.register_profile("deep", max_examples=400, deadline=None,
                          suppress_health_check=_HEALTH, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ---------------------------------------------------------------------- shared fixtures
# Module-scoped, as each test module had them: a module that defines its own ``sim`` (another
# seed or options) gets ``panel`` built from that one.
@pytest.fixture(scope="module")
def sim():
    """The calibrated simulated panel with seed 1 (337 prefectures, 2010-2021)."""
    import did_zones as dz

    return dz.simulate_pilot_panel(seed=1)


@pytest.fixture(scope="module")
def panel(sim):
    """``sim`` as a Panel with its own cohort column."""
    import did_zones as dz

    return dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")


@pytest.fixture(scope="module")
def small(sim):
    """A quarter of the simulated prefectures (every fourth): enough for every method, fast."""
    import did_zones as dz

    data = sim.data
    keep = data["city_code"].drop_duplicates().iloc[::4]
    return dz.build_panel(data[data["city_code"].isin(keep)], unit="city_code", time="year",
                          cohort="cohort")


def quiet(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with every warning silenced (for tests about other things)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def sim_panel(panel):
    """The seed-1 simulated Panel (``panel``), under the name several modules use."""
    return panel


def read_mpdta():
    """R did's ``mpdta`` (tests/data/mpdta.csv, provenance in tests/data/README.md)."""
    import pandas as pd

    return pd.read_csv(data_file("mpdta.csv"))


@pytest.fixture(scope="module")
def mpdta():
    """``mpdta`` with two derived columns the estimator tests share: weights ``w`` (1 to 2,
    constant within county) and a cluster ``state`` (county code // 1000)."""
    df = read_mpdta()
    df["w"] = 1 + (df["countyreal"] % 5) / 4
    df["state"] = df["countyreal"] // 1000
    return df


def mpdta_panel():
    """``mpdta`` as a Panel (county, year, first.treat)."""
    import did_zones as dz

    return dz.build_panel(read_mpdta(), unit="countyreal", time="year", cohort="first.treat")
