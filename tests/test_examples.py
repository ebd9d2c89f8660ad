"""Every script in examples/ runs to completion (figures off-screen, outputs in a temp dir)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import csmar_dir

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "default"}
    # the real-city examples take the folder of the licensed CSMAR extracts as argument; they
    # print a note and exit 0 when the files are absent
    args = [str(csmar_dir())] if "CRE_Gdpct" in script.read_text(encoding="utf-8") else []
    proc = subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    assert proc.stdout.strip(), f"{script.name} printed nothing"
    assert "Traceback" not in proc.stderr
