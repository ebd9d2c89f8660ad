"""The README's main command: ``did-zones demo --out DIR`` on the simulated default panel."""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import reference_file

import did_zones as dz
from did_zones.demo import WINDOW, run_demo

pytestmark = pytest.mark.filterwarnings("ignore::did_zones.errors.DidZonesWarning")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    report = run_demo(out, seed=3)
    return out, report


SECTIONS = ("Adoption and data", "Summary statistics", "Main results", "Event study",
            "Estimates against the truth", "Staggered-robust comparison", "Few treated cities",
            "Bacon diagnostic",
            "Mechanism", "Robustness", "Heterogeneity", "Spillovers: spatial DiD",
            "Single-city designs: synthetic control and synthetic DiD",
            "Warnings and dropped data", "Versions and seeds")


def test_writes_report_tables_and_versions(demo):
    out, report = demo
    assert report == out / "report.html"
    page = report.read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", md, re.M)
    assert headings == ["Flags", *SECTIONS]  # the Flags summary opens the report
    assert re.findall(r"<h2>(.+?)</h2>", page) == ["Flags", *SECTIONS]
    assert page.index('<section id="flags"') < page.index(f"<h2>{SECTIONS[0]}</h2>")
    assert "500 placebo draws and 199 bootstrap draws" in page  # demo sizes are stated
    tables = {p.stem for p in (out / "tables").glob("*.csv")}
    assert {"estimates_vs_truth", "estimates_vs_truth_values", "main", "comparison_isu",
            "event_study_isu", "psm_balance", "variations", "honest"} <= tables
    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert {"adoption.png", "event_study_isu.png", "placebo.png", "honest.png",
            "bacon_isu.png", "mediation_serial.png"} <= figures
    versions = json.loads((out / "versions.json").read_text())
    assert versions["seeds"]["simulate"] == 3 and versions["did_zones"] == dz.__version__
    assert versions["config"]["robustness"]["placebo"]["n_draws"] == 500
    from did_zones.report.folder import MANIFEST, read_manifest

    listed = {e["path"] for e in read_manifest(out)["files"]}
    assert "tables/estimates_vs_truth_values.csv" in listed  # written through the writer
    assert listed == {p.relative_to(out).as_posix() for p in out.rglob("*")
                      if p.is_file()} - {MANIFEST}


def test_single_city_cohort_carries_its_exact_randomization_p_value(demo):
    """Issue #17: Hangzhou alone (cohort 2015) no longer gets an analytic t in the tens; its
    p-value is the exact cohort-restricted randomization p-value, recomputed here."""
    out, _ = demo
    md = (out / "report.md").read_text(encoding="utf-8")
    part = md.split("## Few treated cities")[1].split("\n## ")[0]
    sim = dz.simulate_pilot_panel(seed=3, effect="heterogeneous", mechanism=True)
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    res = dz.aggregate(dz.callaway_santanna(panel, "isu"), kind="cohort")
    test = dz.placebo(res, panel, term="ATT(g=2015)", restrict="cohort", cohort=2015,
                      n_draws=500, seed=3)
    assert test.details["exact"] and test.details["n_assignments"] == \
        int(np.isinf(panel.cohort).sum()) + 1
    row = next(line for line in part.splitlines() if line.startswith("| 2015 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    stars = "\\*" * sum(test.p_value < c for c in (0.1, 0.05, 0.01))  # escaped in Markdown
    assert cells[1] == "1" and cells[2] == f"{res.estimate['ATT(g=2015)']:.3f}{stars}†"
    assert cells[4] == f"{test.p_value:.3f}"
    n = test.details["n_assignments"]
    assert (f"† ATT(g=2015): p-value and stars from randomization inference, cohort 2015 "
            f"(exact, {n} assignments)") in part
    assert "t statistic" in part and "understate" in part


def test_comparison_holds_the_estimators_numbers(demo):
    """The comparison table is a re-layout of the results, not new numbers."""
    out, _ = demo
    table = pd.read_csv(out / "tables" / "estimates_vs_truth_values.csv",
                        index_col="event_time")
    sim = dz.simulate_pilot_panel(seed=3, mechanism=True)  # the demo panel
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    true = sim.truth.event_time.set_index("event_time")["att"]
    lo, hi = WINDOW
    np.testing.assert_allclose(table.loc[[str(e) for e in range(lo, hi + 1)], "truth"],
                               true.loc[lo:hi].to_numpy(), rtol=1e-12)
    # each estimand against the same estimand of the truth
    assert table.loc["simple_att", "truth"] == pytest.approx(sim.truth.overall, rel=1e-12)
    assert table.loc["event_average e=0..5", "truth"] == pytest.approx(
        true.loc[0:hi].mean(), rel=1e-12)
    assert table.loc["instantaneous", "truth"] == pytest.approx(true.loc[0], rel=1e-12)
    cs = dz.aggregate(dz.callaway_santanna(panel, "isu"), kind="event")  # study default: never
    assert table.loc["2", "Callaway-Sant'Anna"] == pytest.approx(cs.estimate["ATT(e=2)"],
                                                                 rel=1e-12)
    cs_simple = dz.aggregate(dz.callaway_santanna(panel, "isu"), kind="simple")
    assert table.loc["simple_att", "Callaway-Sant'Anna"] == pytest.approx(
        cs_simple.estimate["overall"], rel=1e-12)
    sa = dz.sun_abraham(panel, "isu", window=WINDOW)
    assert table.loc["simple_att e=0..5", "Sun-Abraham se"] == pytest.approx(
        sa.std_error["overall"], rel=1e-12)
    dcdh = dz.dcdh(panel, "isu", window=(lo, hi))
    assert table.loc["instantaneous", "dCDH"] == pytest.approx(dcdh.estimate["DID_M"],
                                                               rel=1e-12)
    assert table.loc["event_average e=0..5", "dCDH"] == pytest.approx(
        dcdh.estimate[[f"effect_{e}" for e in range(hi + 1)]].mean(), rel=1e-12)
    # the TWFE coefficient has no truth and is left out; no estimand mixes with another
    assert "twfe_coefficient" not in table.index
    assert np.isnan(table.loc["simple_att", "dCDH"])
    # the reference period has no coefficient where the method normalises it
    assert np.isnan(table.loc["-1", "Sun-Abraham"]) and np.isnan(table.loc["-1", "did2s"])


# 5th percentile of the number of covered cells per seed in tests/reference/coverage_mc.csv
MIN_COVERED = 5


def test_truth_intervals_cover_at_the_monte_carlo_rate(demo):
    """Every estimator's 95% intervals cover the same estimand of the truth as often as a
    correct interval should.

    Monte-Carlo check (``benchmarks/coverage_mc.py --seeds 0-199``, frozen in
    ``tests/reference/coverage_mc.csv``, provenance in its README): the demo's estimators on
    200 seeds of the demo panel (with the simulator's two-sided mechanism switched on since
    issue #18), 11 (estimator, estimand) cells per seed. Overall coverage 0.919; per cell
    0.875 (BJS event average) to 0.945 (CS simple ATT, Sun-Abraham simple ATT e=0..5).
    Covered cells per seed: 11 in 152 seeds, 10 in 12, 9 in 7, 8 in 8, 7 in 7, fewer in 14
    (misses come together because the cells share one panel). The bound is the 5th
    percentile of that count, 5 of 11: the intervals fall below it in about one seed in
    twenty of the MC (8 of 200). At the demo's seed (3) the frozen run covers 10 (dCDH's
    instantaneous effect misses, z = 2.22); this test also checks that the demo report's
    numbers at that seed are the frozen ones, so the bound applies to them.

    Why coverage fell from 0.938 (before the mechanism) to 0.919: the event averages over
    e = 0..5 include the terms at e = 4, 5, which rest on the 13 cities of batches 1-2, and
    the mechanism's mediators add serially correlated noise to ISU; normal intervals from 13
    treated units undercover there (0.905 / 0.895 at e = 4, 5; 0.935 / 0.930 with t(12)
    critical values), the estimates are unbiased (benchmarks/coverage_event_time.py, its
    table in benchmarks/README.md).
    """
    from did_zones.demo import covered

    out, _ = demo
    table = pd.read_csv(out / "tables" / "estimates_vs_truth_values.csv",
                        index_col="event_time")
    cov = covered(table)
    cells = cov.stack().dropna()  # (estimand, estimator) with a number
    assert len(cells) == 11
    assert int(cells.sum()) >= MIN_COVERED
    mc = pd.read_csv(reference_file("coverage_mc.csv"))
    mc = mc.loc[mc["seed"] == 3].set_index(["estimand", "estimator"])
    assert set(mc.index) == set(cells.index)
    for (estimand, name), row in mc.iterrows():
        assert table.loc[estimand, name] == pytest.approx(row["estimate"], rel=1e-6)
        assert table.loc[estimand, f"{name} se"] == pytest.approx(row["std_error"], rel=1e-4)
        assert table.loc[estimand, "truth"] == pytest.approx(row["truth"], rel=1e-6)
        assert cells[(estimand, name)] == row["covered"]
    counts = pd.read_csv(reference_file("coverage_mc.csv")).groupby(
        "seed")["covered"].sum()
    assert len(counts) == 200 and np.percentile(counts, 5) == MIN_COVERED


def test_mechanism_section_sets_every_path_beside_its_truth(demo):
    """Issue #18: the demo simulates the two-sided mechanism and runs the branched serial
    mediation; its Mechanism section has the path diagram and every specific indirect
    effect, the side totals and demand − supply beside the truth."""
    from did_zones.demo import CHAINS

    out, report = demo
    page = report.read_text(encoding="utf-8")
    mech = page.split("<h2>Mechanism</h2>")[1].split("</section>")[0]
    assert '<img src="figures/mediation_serial.png"' in mech
    assert (out / "figures" / "mediation_serial.pdf").exists()
    assert "Mechanism against the truth: demand side and supply side" in mech
    assert "mechanism_vs_truth.csv" in mech
    values = pd.read_csv(out / "tables" / "mechanism_vs_truth_values.csv")
    quantity, side, est, ci, truth = values.columns
    # 13 paths of the branched graph (5 one-mediator, 6 two-mediator, 2 three-mediator),
    # then 3 side totals, the difference, the total indirect and the direct effect
    assert len(values) == 13 + 3 + 1 + 1 + 1
    sim = dz.simulate_pilot_panel(seed=3, effect="heterogeneous", mechanism=True)
    t = sim.truth
    # by hand from the default path coefficients: a = 0.5 in every treated city-year
    a = 0.5
    by_hand = {
        "D → E-commerce activity → Hierarchy index (ISU)": a * 0.02,
        "D → E-commerce activity → CBEC imports → Hierarchy index (ISU)": a * 0.2 * 0.01,
        "D → E-commerce activity → CBEC imports → Consumption upgrading → "
        "Hierarchy index (ISU)": a * 0.2 * 0.08 * 0.15,
        "D → E-commerce activity → CBEC exports → Hierarchy index (ISU)": a * 0.3 * 0.005,
        "D → E-commerce activity → CBEC exports → Innovation → Hierarchy index (ISU)":
            a * 0.3 * 0.4 * 0.04,
        "D → CBEC imports → Hierarchy index (ISU)": 0.0,  # no D -> imports edge
        "demand side total": a * (0.2 * 0.01 + 0.2 * 0.08 * 0.15),
        "supply side total": a * (0.3 * 0.005 + 0.3 * 0.4 * 0.04),
        "common side total": a * 0.02,
        "difference demand − supply": a * (0.2 * 0.01 + 0.2 * 0.08 * 0.15
                                           - 0.3 * 0.005 - 0.3 * 0.4 * 0.04),
    }
    got = values.set_index(quantity)[truth]
    for row, value in by_hand.items():
        assert got[row] == pytest.approx(value, rel=1e-12, abs=1e-15), row
    assert got["total indirect effect"] == pytest.approx(t.total - t.direct, rel=1e-12)
    assert got["direct effect c′ (D → Hierarchy index (ISU))"] == pytest.approx(t.direct,
                                                                                rel=1e-12)
    assert values[truth].iloc[:13].sum() == pytest.approx(t.total - t.direct, rel=1e-12)
    # the estimates are those of the library's serial mediation on the same panel
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    res = dz.mediation(panel, "isu", method="serial", chains={k: list(v) for k, v in
                                                               CHAINS.items()},
                       controls=["lngdp_pc", "lnpop"], n_boot=199, seed=3, progress=False)
    np.testing.assert_allclose(values[est].iloc[:13],
                               res.paths.loc[res.paths["kind"] == "path", "estimate"],
                               rtol=1e-10)
    side = res.paths.set_index("path")
    assert values.set_index(quantity).loc["difference demand − supply", est] == \
        pytest.approx(side.loc["demand - supply", "estimate"], rel=1e-10)
    lo = side.loc["demand - supply", "conf_low"]
    assert f"[{lo:.4f}, " in values.set_index(quantity).loc["difference demand − supply", ci]


def test_spillover_and_single_city_sections_set_the_truth_beside(demo):
    """Issue #19: the demo runs a spatial Durbin DiD with ring spillovers (the simulated
    panel has no spillover: truth 0) and synthetic DiD / synthetic control for 杭州 (batch 1,
    one city), each with the truth beside it and the classic figures."""
    import re

    out, report = demo
    page = report.read_text(encoding="utf-8")
    spatial = page.split("<h2>Spillovers: spatial DiD</h2>")[1].split("</section>")[0]
    assert "Spatial DiD (SDM)" in spatial and "spillover[0-50km)" in spatial
    m = re.search(r"estimated indirect effect (-?[\d.]+), s\.e\. ([\d.]+)\)", spatial)
    assert m is not None and abs(float(m.group(1))) < 1.96 * float(m.group(2))
    synth = page.split("<h2>Single-city designs: synthetic control and synthetic DiD</h2>")[1]
    synth = synth.split("</section>")[0]
    assert "Hangzhou (330100)" in synth
    m = re.search(r"averaged over its treated years 2015–(\d+), is ([\d.]+) \(synthetic DiD "
                  r"(-?[\d.]+), s\.e\. ([\d.]+)\)", synth)
    assert m is not None
    truth, est, se = (float(m.group(i)) for i in (2, 3, 4))
    assert abs(est - truth) < 2.58 * se  # one draw: the placebo interval covers the truth
    for name in ("synthetic_isu", "synthetic_weights_isu", "synthetic_placebos_isu"):
        assert f'<img src="figures/{name}.png"' in synth
        assert (out / "figures" / f"{name}.pdf").exists()


def test_existing_folder_is_not_overwritten(demo, tmp_path):
    out, _ = demo
    with pytest.raises(dz.SpecificationError, match="already exists.*--overwrite"):
        run_demo(out)
    target = tmp_path / "again"
    target.mkdir()
    (target / "old.txt").write_text("x")
    with pytest.raises(dz.SpecificationError, match=r"no did_zones manifest"):
        run_demo(target, seed=1, overwrite=True)  # not a report folder: left alone
    assert (target / "old.txt").exists()


@pytest.mark.slow
def test_command_line(tmp_path):
    out = tmp_path / "cli"
    # run outside the source tree so the installed package (with its data) is imported
    proc = subprocess.run([sys.executable, "-m", "did_zones", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "[1/9] data: simulating the calibrated panel" in proc.stderr
    assert "wrote" in proc.stderr and (out / "report.html").exists()
    again = subprocess.run([sys.executable, "-m", "did_zones", "demo", "--out", str(out),
                            "--overwrite"], capture_output=True, text=True, timeout=300,
                           cwd=tmp_path)
    assert again.returncode == 0, again.stderr


@pytest.mark.slow
def test_demo_in_chinese_from_the_command_line(demo, tmp_path):
    """``did_zones demo --language zh``: the same study and numbers, written in Chinese
    (sections, the truth comparison, the mechanism section, the notes)."""
    import re

    out = tmp_path / "zh"
    proc = subprocess.run([sys.executable, "-m", "did_zones", "demo", "--out", str(out),
                           "--seed", "3", "--language", "zh"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    heads = re.findall(r"<h2>([^<]*)</h2>", page)
    assert "估计值与真值对照" in heads and "机制检验" in heads and "处理城市很少时的推断" in heads
    assert len(heads) == len(SECTIONS) + 1  # + the reader's checklist, as in English
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "演示规模：安慰剂抽样 500 次" in md
    assert "| e / 估计目标 | 真值 |" in md
    # no English sentence is left outside the tables' estimator names
    prose = [line for line in md.splitlines() if not line.startswith("|")]
    english = [line for line in prose if re.search(r"[A-Za-z]{3,} [a-z]{3,} [a-z]{3,} [a-z]{3,}",
                                                   line)]
    assert english == []
    # the numbers are the English demo's: the same estimates, whatever the language
    en = pd.read_csv(demo[0] / "tables" / "estimates_vs_truth_values.csv", index_col=0)
    zh = pd.read_csv(out / "tables" / "estimates_vs_truth_values.csv", index_col=0)
    pd.testing.assert_frame_equal(en, zh)
    with pytest.raises(dz.SpecificationError, match="language must be one of"):
        run_demo(tmp_path / "fr", language="fr")
    assert not (tmp_path / "fr").exists()
