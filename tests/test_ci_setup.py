"""The CI script: system packages first, the README's test command last, and the test extra
declares what the browser test imports."""

import configparser
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / ".ci" / "run"


def _readme_test_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^pip install \"\.\[test\]\".*$", text, re.M)
    assert len(commands) == 1, commands
    return commands[0]


def test_ci_ends_with_the_readme_test_command():
    lines = [ln for ln in CI.read_text().splitlines() if ln.strip()]
    assert lines[-1] == _readme_test_command() == 'pip install ".[test]" && pytest'


def test_ci_installs_the_system_packages_the_tests_need():
    text = CI.read_text()
    packages = re.search(r"APT_PACKAGES=\(([^)]*)\)", text).group(1).split()
    assert set(packages) >= {"chromium", "chromium-driver", "fonts-noto-cjk",
                             "texlive-latex-base", "texlive-latex-recommended"}
    assert "DEBIAN_FRONTEND=noninteractive" in text and "--no-install-recommends" in text
    assert text.index("apt_install ||") < text.index("python3 -m venv")


def test_ci_script_is_valid_bash():
    proc = subprocess.run(["bash", "-n", str(CI)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert CI.stat().st_mode & 0o111, ".ci/run is not executable"


def test_test_extra_has_the_browser_driver():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    extra = [ln.strip() for ln in cfg["options.extras_require"]["test"].splitlines()]
    assert any(re.match(r"selenium\b", ln) for ln in extra), extra
