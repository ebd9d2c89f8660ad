"""Every script in examples/ runs to completion (figures off-screen, outputs in a temp dir) and
prints or writes what it promises: the key numbers against the simulator's truth (tolerances
stated with each check), the tables' headers and the files written.

The simulated examples are seeded, so their numbers are fixed; the tolerances say how far an
estimate may sit from the truth before the example would be teaching something wrong (in
standard errors, as printed beside it). The real-city examples (02, 08) need the licensed
CSMAR extracts; without them they print where they looked and exit 0, which is checked too.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import csmar_dir

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
NUM = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


def _num(pattern: str, text: str, group: int = 1) -> float:
    m = re.search(pattern, text, flags=re.M)
    assert m, f"not printed: {pattern!r}"
    return float(m.group(group))


def _rows(text: str, header: str) -> list[list[str]]:
    """Whitespace-split rows of the table whose header line contains ``header``."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if header in ln)
    out = []
    for ln in lines[start + 1:]:
        if not ln.strip():
            break
        out.append(ln.split())
    return out


def _missing_data(out: str) -> bool:
    return out.startswith("CRE files not found")


# ------------------------------------------------------------------ one check per example


def check_01(out: str, tmp: Path) -> None:
    import did_zones as dz

    batches = _rows(out, "batch")
    assert [r[0] for r in batches] == [str(b) for b in range(1, 9)]  # eight batches
    assert sum(int(r[1]) for r in batches) == len(dz.load_zones()) == 181
    n = int(_num(r"^(\d+) prefectures treated; first treated year by batch timing:", out))
    assert n == dz.zone_cohorts(timing="approval_year", county_level="parent").size
    assert "cohort  n_units  n_obs  first_period  last_period  share_units" in out
    never = next(r for r in _rows(out, "first_period  last_period") if r[1] == "never")
    assert never[4:6] == ["2010", "2021"]  # the simulator's 12 years
    assert "Pilot timing from the zone registry: timing='next_year'" in out


def check_02(out: str, tmp: Path) -> None:
    if _missing_data(out):
        return
    m = re.search(r"^(\d+) prefectures x (\d+) years, balanced: (True|False)$", out, re.M)
    assert m and int(m.group(1)) > 280 and int(m.group(2)) >= 10
    means = _rows(out, "is_ts  is_isu  is_tl3")[1:]  # after the "year" label line
    assert len(means) == int(m.group(2))
    # ISU lies in [1, 3] by construction; the yearly means near 2.2-2.4 (calibration.md)
    assert all(2.0 < float(r[2]) < 2.6 for r in means)


def check_03(out: str, tmp: Path) -> None:
    m = re.search(rf"^truth: a = {NUM}, b = {NUM}, indirect = {NUM}, direct = {NUM}$", out,
                  re.M)
    assert m
    a_true = float(m.group(1))
    assert float(m.group(3)) == pytest.approx(a_true * float(m.group(2)), abs=5e-5)
    # the channel test's first stage D -> M: within 3 standard errors of the true a
    a, se = (_num(rf"first stage D -> M\s+ecom\s+a\s+{NUM}\s+{NUM}", out, g) for g in (1, 2))
    assert abs(a - a_true) < 3 * se
    assert "Mediation analysis (channel)  outcome: isu   mediator(s): ecom" in out
    assert "Conclusion: partial mediation" in out  # the stepwise procedure's verdict
    both = _rows(out, "a         b  estimate  std_error  conf_low  conf_high")
    assert [r[0] for r in both] == ["mediator", "ecom", "fin", "total"]
    assert float(both[1][5]) > 0  # the e-commerce channel's bootstrap interval excludes 0
    assert "By the causal mediation (Imai, Keele & Tingley 2010)" in out
    assert "treated:lnpop" in out  # the moderation table


def check_04(out: str, tmp: Path) -> None:
    est = _num(rf"^main TWFE estimate: {NUM} \(true overall ATT {NUM}\)", out, 1)
    truth = _num(rf"^main TWFE estimate: {NUM} \(true overall ATT {NUM}\)", out, 2)
    se = float(next(r for r in _rows(out, "term  estimate  std_error  p_value")
                    if r[1] == "baseline")[3])
    assert abs(est - truth) < 3 * se  # 3 SE of the baseline row (0.0042)
    assert "HypothesisTest('in-space placebo: twfe treated'" in out
    assert "HypothesisTest('in-time placebo (shift 2): twfe treated'" in out
    assert _num(r"^PSM-DiD: " + NUM, out) > 0
    terms = " ".join(" ".join(r[1:-3]) for r in _rows(out, "term  estimate  std_error"))
    assert "baseline" in terms and "leave out cohort 2020" in terms
    assert "HonestDiD sensitivity: relative_magnitude" in out and "breakdown Mbar:" in out
    assert "equal effects across region groups" in out


def check_05(out: str, tmp: Path) -> None:
    table = _rows(out, "term  estimate  std_error  conf_low  conf_high  event_time  truth")
    assert [r[0] for r in table] == ["e-4", "e-3", "e-2", "e+0", "e+1", "e+2", "e+3", "e+4",
                                     "e+5"]
    for term, est, se, _, _, _, truth in table:  # every coefficient within 3 SE of truth
        assert abs(float(est) - float(truth)) < 3 * float(se), term
    p = _num(rf"^pre-trend test: HypothesisTest\('pre-trend: all 3 lead\(s\) = 0': F "
             rf"statistic={NUM}, df=\(3, \d+\), p={NUM}\)", out, 2)
    assert p > 0.05  # parallel trends hold in the simulator
    assert _num(r"lags 0-2 jointly zero: HypothesisTest.*p=" + NUM, out) < 0.001
    assert _num(r"^pre-trend test with diverging trends: HypothesisTest.*p=" + NUM, out) < 0.01
    assert _num(r"^with the baseline-level trend as a control: HypothesisTest.*p=" + NUM,
                out) > 0.05


def check_06(out: str, tmp: Path) -> None:
    overall = {" ".join(r[:-4]): [float(v) for v in r[-4:]]
               for r in _rows(out, "estimator  estimate  std_error  truth   error")}
    assert set(overall) == {"TWFE", "Callaway-Sant'Anna", "Sun-Abraham", "BJS imputation",
                            "did2s (Gardner)"}
    for name, (est, se, truth, err) in overall.items():
        assert err == pytest.approx(est - truth, abs=2e-4)
        assert abs(err) < 3 * se, name  # this draw: within 3 SE of the true ATT
    # without covariates CS (simple) and SA (overall) coincide, as do BJS and did2s
    assert overall["Callaway-Sant'Anna"][0] == overall["Sun-Abraham"][0]
    assert overall["BJS imputation"][0] == overall["did2s (Gardner)"][0]
    assert "Goodman-Bacon: TWFE = " in out
    assert re.search(r"^TWFE weights on ATT\(g,t\): \d+ of \d+ negative", out, re.M)
    mc = {" ".join(r[:-3]): float(r[-1]) for r in _rows(out, "mean      sd  t = mean")}
    for name in ("Callaway-Sant'Anna", "Sun-Abraham", "BJS imputation", "did2s (Gardner)"):
        assert abs(mc[name]) < 3, name  # unbiased over 100 draws: |t| < 3


def check_07(out: str, tmp: Path) -> None:
    written = {p.name for p in (tmp / "paper_tables").iterdir()}
    assert written == {"comparison.docx", "comparison.tex", "main.docx", "main.md",
                       "main.tex", "main.txt", "main_zh.docx", "summary.docx"}
    for name in written:
        assert (tmp / "paper_tables" / name).stat().st_size > 0, name
    assert "Pilot zone" in (tmp / "paper_tables" / "main.md").read_text(encoding="utf-8")
    assert "\\toprule" in (tmp / "paper_tables" / "main.tex").read_text(encoding="utf-8")
    assert re.search(r"^Pilot zone\s+\S+\*\*\*", out, re.M)  # English table
    assert re.search(r"^跨境电商综试区\s+\S+\*\*\*", out, re.M)  # Chinese table
    assert "Overall effect on ISU" in out
    assert f"wrote {', '.join(sorted(written))} to" in out


def check_08(out: str, tmp: Path) -> None:
    if _missing_data(out):
        return
    n = int(_num(r"^(\d+) prefectures x 10 years$", out))
    assert 280 < n < 340
    assert "cohort  n_units  n_obs  first_period  last_period  share_units" in out
    assert "pre-trend test: HypothesisTest('pre-trend: all 3 lead(s) = 0'" in out
    names = [" ".join(r[:-4]) for r in _rows(out, "estimator  estimate  std_error  p_value")]
    assert names == ["TWFE", "Callaway-Sant'Anna", "Sun-Abraham", "BJS imputation",
                     "did2s (Gardner)"]
    assert int(_num(r"^Bacon decomposition on the (\d+) cities", out)) <= n
    assert "equal effects across region groups" in out


CHECKS = {"01_build_panel": check_01, "02_real_city_panel": check_02,
          "03_mechanism": check_03, "04_robustness": check_04, "05_event_study": check_05,
          "06_staggered_comparison": check_06, "07_paper_tables": check_07,
          "08_real_city_study": check_08}


def test_every_example_has_an_output_check():
    assert len(EXAMPLES) >= 2
    assert {p.stem for p in EXAMPLES} == set(CHECKS)


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
    CHECKS[script.stem](proc.stdout, tmp_path)
