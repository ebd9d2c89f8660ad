"""The study file's founding mechanism (issue #18 item 4): ``[mechanism]`` with chains and
sides, ``data.simulate.mechanism``, the study's serial step and its Chinese report."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import did_zones as dz
from did_zones.errors import SpecificationError
from did_zones.report import parse_config
from did_zones.tables.zh_notes import untranslated

CHAINS = {"demand": ["ecom", "imports", "consumption"],
          "supply": ["ecom", "exports", "innovation"]}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _raw(mechanism=None, simulate=None, **study) -> dict:
    return {"data": {"simulate": {"seed": 4, "effect": "homogeneous", "mechanism": True,
                                  **(simulate or {})}},
            "study": {"outcomes": ["isu"], "estimators": ["twfe"], **study},
            "mechanism": {"method": "serial", "n_boot": 19, "chains": CHAINS,
                          **(mechanism or {})}}


# ------------------------------------------------------------------ parsing


def test_serial_section_is_parsed():
    cfg = parse_config(_raw(mechanism={"interval": "percentile", "serial_test": "channel"}))
    m = cfg.mechanism
    assert m.method == "serial" and m.n_boot == 19
    assert m.chains == {"demand": ("ecom", "imports", "consumption"),
                        "supply": ("ecom", "exports", "innovation")}
    assert m.interval == "percentile" and m.serial_test == "channel"
    # each mediator once, in the chains' order: the columns the step and the summary use
    assert m.mediators(cfg.study) == ("ecom", "imports", "consumption", "exports",
                                      "innovation")
    assert cfg.data.simulate["mechanism"] is True
    d = cfg.to_dict()  # versions.json echoes the chains
    assert d["mechanism"]["chains"]["supply"] == ["ecom", "exports", "innovation"]
    table = parse_config(_raw(simulate={"mechanism": {"ecom->imports": 0.3,
                                                      "supply": False}}))
    assert dict(table.data.simulate["mechanism"]) == {"ecom->imports": 0.3, "supply": False}


def test_old_configs_keep_working():
    raw = {"data": {"simulate": {"seed": 1}},
           "study": {"outcomes": ["isu"], "mediators": ["ecom"]},
           "mechanism": {"method": "stepwise", "n_boot": 99}}
    m = parse_config(raw).mechanism
    assert (m.method, m.n_boot, m.chains, m.interval, m.serial_test) == (
        "stepwise", 99, None, "bc", "stepwise")
    cfg = parse_config({"data": {"simulate": {"seed": 1}},
                        "study": {"outcomes": ["isu"], "mediators": ["ecom"]}})
    assert cfg.mechanism.method == "channel" and cfg.mechanism.mediators(cfg.study) == ("ecom",)
    assert "mechanism" not in cfg.data.simulate
    # serial without chains: study.mediators is one chain
    one = parse_config({"data": {"simulate": {"seed": 1}},
                        "study": {"outcomes": ["isu"], "mediators": ["ecom", "imports"]},
                        "mechanism": {"method": "serial"}})
    assert one.mechanism.chains is None
    assert one.mechanism.mediators(one.study) == ("ecom", "imports")


@pytest.mark.parametrize("raw, message", [
    (_raw(mechanism={"method": "stepwise"}),
     r"mechanism\.chains: only used with method = \"serial\" .* the method is 'stepwise'"),
    ({"data": {"simulate": {"seed": 1}}, "study": {"outcomes": ["isu"]},
      "mechanism": {"method": "serial"}},
     r"method = \"serial\" needs its chain\(s\)\. Add \[mechanism\.chains\]"),
    (_raw(mechanism={"chains": {}}), r"mechanism\.chains is empty"),
    (_raw(mechanism={"chains": {"demand": []}}), r"mechanism\.chains\.demand is empty"),
    (_raw(mechanism={"chains": {"demand": ["ecom", 3]}}),
     r"mechanism\.chains\.demand\[1\]: expected a string; got int 3"),
    (_raw(mechanism={"chains": ["ecom", "imports"]}), r"mechanism\.chains: expected a table"),
    (_raw(mechanism={"chains": {"a": ["ecom", "imports"], "b": ["imports", "ecom"]}}),
     r"mechanism\.chains: The chains form a cycle"),
    (_raw(mechanism={"chains": {"common": ["ecom", "imports"]}}),
     r"mechanism\.chains: Chain name 'common' is reserved"),
    (_raw(mechanism={"chains": {"d": ["ecom", "imports", "ecom"]}}),
     r"mechanism\.chains: Chain 'd' lists a mediator twice"),
    (_raw(mediators=["ecom", "theil"]),
     r"study\.mediators lists 'theil', which no chain in \[mechanism\.chains\] holds"),
    (_raw(mechanism={"interval": "normal"}),
     r"mechanism\.interval: unknown value 'normal'\. Use one of 'percentile', 'bc', 'bca'"),
    (_raw(mechanism={"serial_test": "sobel"}),
     r"mechanism\.serial_test: unknown value 'sobel'"),
    (_raw(mechanism={"chain": CHAINS}),
     r"mechanism\.chain: unknown key\. .* Did you mean 'chains'\?"),
    (_raw(simulate={"mechanism": 1}),
     r"data\.simulate\.mechanism: expected true, false or a table; got int 1"),
    (_raw(simulate={"mechanism": {"ecom->import": 0.2}}),
     r"data\.simulate\.mechanism: mechanism has no edge 'ecom->import'"),
    (_raw(simulate={"mechanism": {"supply": "no"}}),
     r"data\.simulate\.mechanism: mechanism\['supply'\] switches a channel on or off"),
], ids=lambda v: "" if isinstance(v, dict) else v[:40])
def test_bad_mechanism_sections(raw, message):
    with pytest.raises(SpecificationError, match=message):
        parse_config(raw)


def test_unknown_chain_column_is_named_with_a_fix():
    from did_zones.report.parts import load_panel

    cfg = parse_config(_raw(mechanism={"chains": {"demand": ["ecom", "importz"]}}))
    with pytest.raises(SpecificationError,
                       match=r"mechanism\.chains\.demand: column 'importz' not found in the "
                             r"data \(\d+ columns.*Did you mean 'imports'\?"):
        load_panel(cfg)


def test_simulate_mechanism_reaches_the_simulator():
    from did_zones.report.parts import load_panel

    panel, sim = load_panel(parse_config(_raw()))
    direct = dz.simulate_pilot_panel(seed=4, effect="homogeneous", mechanism=True)
    assert sim.data.equals(direct.data)
    assert {"imports", "exports", "consumption", "innovation"} <= set(panel.data.columns)
    # the default coefficients, by hand: a = 0.5 in every treated city-year;
    # supply = a (0.3·0.4·0.04 + 0.3·0.005), demand = a (0.2·0.08·0.15 + 0.2·0.01)
    assert sim.truth.supply_total == pytest.approx(0.5 * (0.3 * 0.4 * 0.04 + 0.3 * 0.005),
                                                   rel=1e-12)
    assert sim.truth.demand_total == pytest.approx(0.5 * (0.2 * 0.08 * 0.15 + 0.2 * 0.01),
                                                   rel=1e-12)
    _, off = load_panel(parse_config(_raw(simulate={"mechanism": {"supply": False}})))
    assert off.truth.supply_total == 0.0
    assert off.truth.demand_total == pytest.approx(sim.truth.demand_total, rel=1e-12)


# ------------------------------------------------------------------ the study step


def _close(out) -> None:
    import matplotlib.pyplot as plt

    for fig in out.figures.values():  # the study's figures are closed when written
        plt.close(fig)


@pytest.fixture(scope="module")
def serial_study():
    from did_zones.report import run_study

    cfg = parse_config(_raw(controls=["lngdp_pc"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_study(cfg, progress=False)
    yield out
    _close(out)


def test_study_runs_the_branched_serial_mediation(serial_study):
    out = serial_study
    res = out.results["mediation:serial"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = dz.mediation(out.panel, "isu", method="serial", chains=CHAINS,
                              controls=["lngdp_pc"], n_boot=19, seed=0, progress=False)
    np.testing.assert_allclose(res.paths["estimate"], direct.paths["estimate"], rtol=1e-12)
    np.testing.assert_allclose(res.paths["conf_low"], direct.paths["conf_low"], rtol=1e-12)
    assert list(res.paths.loc[res.paths["kind"] == "side total", "side"]) == [
        "demand", "supply", "common"]
    assert {"mediation_serial"} <= set(out.tables) and "mediation_serial" in out.figures
    assert out.seeds["mechanism"] == 0
    mech = next(s for s in out.sections if s.key == "mechanism")
    assert [i.kind for i in mech.items] == ["text", "text", "table", "figure"]
    assert mech.items[1].value.startswith("ecom → imports → consumption | ecom → exports")
    # the summary statistics describe every mediator of the chains
    summary = out.tables["summary"].to_csv()
    for col in ("imports", "exports", "consumption", "innovation"):
        assert col in summary


def test_branched_diagram_keeps_labels_apart(serial_study):
    """Every arrow tag and box of the 5-mediator diagram is drawn without overlapping
    another tag (the labels on top of each other that issue #18 reported)."""
    fig = serial_study.figures["mediation_serial"]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    tags = [t for t in ax.texts if re.fullmatch(r"[abd]\d+", t.get_text())]
    assert sorted(t.get_text() for t in tags) == sorted(
        [f"a{j}" for j in range(1, 6)] + [f"b{j}" for j in range(1, 6)]
        + ["d21", "d31", "d32", "d41", "d51", "d54"])
    boxes = [t.get_window_extent(renderer) for t in tags]
    boxes += [t.get_window_extent(renderer) for t in ax.texts if "(M" in t.get_text()]
    for i, b1 in enumerate(boxes):
        for b2 in boxes[i + 1:]:
            assert not b1.overlaps(b2)
    key = "\n".join(t.get_text() for t in ax.texts)
    for term, sym in (("a", "a1"), ("b", "b5"), ("d", "d54")):
        assert f"{sym} = " in key, (term, sym)


def test_zh_mechanism_section_is_chinese():
    from did_zones.demo import mechanism_vs_truth
    from did_zones.report import run_study

    labels = {"isu": "产业结构层次系数", "ecom": "跨境电商", "imports": "跨境电商进口",
              "exports": "跨境电商出口", "consumption": "消费升级", "innovation": "技术创新",
              "lngdp_pc": "人均 GDP 对数"}
    cfg = parse_config(_raw(controls=["lngdp_pc"], language="zh", labels=labels))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_study(cfg, progress=False)
    _close(out)
    mech = next(s for s in out.sections if s.key == "mechanism")
    assert mech.title == "机制检验"
    for item in mech.items:
        if item.kind == "text":
            assert CJK.search(item.value) and not untranslated(item.value), item.value
    table = out.tables["mediation_serial"]
    for n in table.notes:
        if not n.startswith("*"):
            assert CJK.search(n) and not untranslated(n), n
    frame = mechanism_vs_truth(out.results["mediation:serial"], out.simulation.truth,
                               language="zh", labels=labels)
    assert list(frame.columns) == ["路径 / 参数", "所属侧", "估计值", "95% 置信区间", "真实值"]
    for cell in [*frame.iloc[:, 0], *frame.iloc[:, 1]]:
        assert not untranslated(cell), cell
    assert "需求侧合计" in set(frame.iloc[:, 0]) and "需求侧 − 供给侧之差" in set(frame.iloc[:, 0])
