"""The CI script runs the README's two commands, each from a fresh clone in a fresh virtual
environment, the main job first and without the test extra; the two stay in step."""

import configparser
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / ".ci" / "run"


def readme_commands() -> list[str]:
    """The README's set-up commands: lines starting ``pip install`` in its shell blocks, in
    order (read the way ``bare-machine`` reads them)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    seen: list[str] = []
    for block in re.findall(r"```(?:bash|sh|console)?\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("pip install") and line not in seen:
                seen.append(line)
    return seen


def ci_commands() -> list[str]:
    text = CI.read_text(encoding="utf-8")
    return [re.search(rf"^README_COMMAND_{k}='(.*)'$", text, re.M).group(1) for k in (1, 2)]


def test_readme_has_exactly_the_two_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    one, two = commands
    assert one.startswith("pip install . ") and "did-zones demo --out" in one
    assert "[test]" not in one  # the main job needs no test extra
    assert two == 'pip install ".[test]" && pytest'


def test_ci_runs_the_readme_commands_verbatim():
    assert ci_commands() == readme_commands()


def test_ci_runs_each_command_in_its_own_fresh_clone_and_venv():
    text = CI.read_text(encoding="utf-8")
    body = text[text.index("fresh_clone()"):]
    fn = body[:body.index("\n}\n")]
    assert "git clone" in fn and "python3 -m venv" in fn
    one = text.index('fresh_clone "$WORK/one"')
    two = text.index('fresh_clone "$WORK/two"')
    run_one = text.index('eval "$README_COMMAND_1"')
    run_two = text.index('eval "$README_COMMAND_2"')
    assert one < run_one < two < run_two  # command 1 first, each after its own clone
    assert text.count('eval "$README_COMMAND_') == 2
    # the demo's output is checked: report.html and every figure it references
    assert "report.html" in text[run_one:two] and "figures/" in text[run_one:two]
    # a test that skips for missing data fails in CI
    assert "DID_ZONES_STRICT_SKIPS=1" in text[two:run_two]


def test_ci_installs_the_system_tools_but_no_cjk_font():
    text = CI.read_text(encoding="utf-8")
    packages = re.search(r"APT_PACKAGES=\(([^)]*)\)", text).group(1).split()
    assert set(packages) >= {"chromium", "chromium-driver", "texlive-latex-base",
                             "texlive-latex-recommended"}
    # figures in Chinese must render with the font the package ships, not a system one
    assert not any("cjk" in p or "font" in p for p in packages)
    assert "DEBIAN_FRONTEND=noninteractive" in text and "--no-install-recommends" in text
    assert text.index("apt_install ||") < text.index('fresh_clone "$WORK/one"')


def test_ci_script_is_valid_bash():
    proc = subprocess.run(["bash", "-n", str(CI)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert CI.stat().st_mode & 0o111, ".ci/run is not executable"


def _extra(name: str) -> list[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return [ln.strip() for ln in cfg["options.extras_require"][name].splitlines() if ln.strip()]


def _requires() -> list[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return [ln.strip() for ln in cfg["options"]["install_requires"].splitlines() if ln.strip()]


def test_main_job_dependencies_are_runtime_dependencies():
    """README command 1 installs no extra, so what the demo imports must be required."""
    names = {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in _requires()}
    assert {"numpy", "pandas", "scipy", "statsmodels", "matplotlib", "joblib",
            "python-docx", "linearmodels"} <= names


def test_test_extra_has_what_the_tests_import():
    names = {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in _extra("test")}
    assert {"pytest", "selenium", "hypothesis", "dask"} <= names
