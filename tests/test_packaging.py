"""The built wheel works from any directory, bundled data included.

Builds a wheel, installs it (without dependencies) into a fresh virtual environment that
borrows the current environment's dependencies through a .pth file, and runs a snippet
there from an unrelated folder.
"""

import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SNIPPET = r"""
import did_zones as dz, pathlib, sys
here = pathlib.Path(dz.__file__).resolve()
assert str(here).startswith(sys.argv[1]), here
zones = dz.load_zones()
assert len(zones) == 181, len(zones)
assert len(dz.load_cities()) == 337
coh = dz.zone_cohorts()
assert coh.loc[330100] == 2015
sim = dz.simulate_pilot_panel(seed=1)
panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
from did_zones._resources import bundled_file
font = bundled_file("fonts/NotoSansCJKsc-DZSubset-Regular.otf")
assert str(font.resolve()).startswith(sys.argv[1]) and font.stat().st_size > 10**6, font
assert bundled_file("fonts/OFL.txt").is_file()
print("OK", panel.n_units, panel.n_periods)
"""


@pytest.mark.slow
def test_wheel_installs_and_runs_in_fresh_venv(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(ROOT)],
        check=True, cwd=tmp_path,
    )
    (wheel,) = wheels.glob("did_zones-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    # dependencies come from the current environment, appended after the venv's own path
    deps = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    Path(purelib, "borrowed_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", purelib,
         str(wheel)],
        check=True,
    )
    run = subprocess.run([str(py), "-c", SNIPPET, str(venv.resolve())], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[0] == "OK" and run.stdout.split()[2] == "12"
    cli = subprocess.run([str(py), "-m", "did_zones", "cohorts", "--timing", "next_year"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    assert "330100" in cli.stdout and "2016" in cli.stdout


def test_public_names_stay_functions_after_every_submodule_is_imported():
    """A public name that is also a submodule's name would be replaced by the module as soon
    as anything imports that submodule (``dz.zone_panel`` once was)."""
    import importlib
    import inspect
    import pkgutil

    import did_zones as dz

    for info in pkgutil.walk_packages(dz.__path__, "did_zones."):
        if not info.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(info.name)
    for name in dz.__all__:
        if name != "__version__":
            assert not inspect.ismodule(getattr(dz, name)), name


def test_setup_cfg_lists_every_subpackage():
    """setup.cfg names packages by hand; a new subpackage missing there leaves the wheel."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    listed = set(cfg["options"]["packages"].split())
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "did_zones").rglob("__init__.py")}
    assert found <= listed, f"add to setup.cfg packages: {sorted(found - listed)}"
