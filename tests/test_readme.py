"""The README's Python blocks run as written (in a temporary folder, figures on Agg)."""

import re
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"),
                    re.S)


def test_readme_has_a_quick_start():
    assert BLOCKS and "dz.plots." in BLOCKS[0] and "import did_zones as dz" in BLOCKS[0]


@pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")
@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_python_block_runs(code, tmp_path, monkeypatch, capsys):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert "Cohort" in out or "cohort" in out
    # the Quick start writes its figure and table where it says
    if "savefig" in code:
        assert (tmp_path / "event_study.png").stat().st_size > 10_000
        assert (tmp_path / "main.tex").read_text(encoding="utf-8").count("\\toprule") == 1
