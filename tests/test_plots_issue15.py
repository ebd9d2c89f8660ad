"""Issue #15 (figures): truth line, placebo p-values and layout, HonestDiD target and
breakdown, every cohort in the adoption figure, mechanism estimates beside the truth."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import did_zones as dz  # noqa: E402
from did_zones.plots import (  # noqa: E402
    adoption_plot,
    event_study_plot,
    honest_plot,
    placebo_plot,
)
from did_zones.result import HypothesisTest  # noqa: E402


@pytest.fixture(scope="module")
def sim():
    return dz.simulate_pilot_panel(seed=0, effect="heterogeneous")


@pytest.fixture(scope="module")
def es(panel):
    return dz.event_study(panel, "isu", window=(-4, 5))


def _close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


# ------------------------------------------------------------------ truth line


@pytest.mark.parametrize("language, label", [("en", "True effect"), ("zh", "真实效应")])
def test_truth_line_holds_the_true_effects(sim, es, language, label):
    fig = event_study_plot(es, truth=sim.truth.event_time, language=language)
    ax = fig.axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "true_effect")
    assert line.get_label() == label
    x, y = line.get_data()
    true = sim.truth.event_time.set_index("event_time")["att"]
    np.testing.assert_array_equal(x, np.arange(-4, 6))
    np.testing.assert_allclose(y, true.loc[-4:5].to_numpy(), rtol=1e-12)
    assert label in [t.get_text() for t in ax.get_legend().get_texts()]
    _close(fig)


def test_truth_series_and_errors(sim, es):
    series = sim.truth.event_effects("isu")
    fig = event_study_plot(es, truth=series)
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "true_effect")
    np.testing.assert_allclose(line.get_ydata(), series.loc[-4:5].to_numpy())
    _close(fig)
    assert sim.truth.event_effects("ts") is None
    with pytest.raises(dz.SpecificationError, match="event_time' and 'att'"):
        event_study_plot(es, truth=pd.DataFrame({"e": [0], "y": [1.0]}))
    with pytest.raises(dz.SpecificationError, match="truth must be a pandas Series"):
        event_study_plot(es, truth=[0.1, 0.2])


# ------------------------------------------------------------------ placebo


def _placebo_test(estimate: float, n: int = 500) -> HypothesisTest:
    draws = np.random.default_rng(3).normal(0.0, 0.005, n)
    p = {"p_two_sided": float(np.mean(np.abs(draws) >= abs(estimate))),
         "p_left": float(np.mean(draws <= estimate)),
         "p_right": float(np.mean(draws >= estimate))}
    return HypothesisTest(name="placebo", statistic=estimate, p_value=p["p_two_sided"],
                          df=None, distribution="placebo", details={"draws": draws, "estimate": estimate, "kind": "in_space",
                                   **p})


@pytest.mark.parametrize("estimate", [0.02855, 0.0, -0.03])
def test_placebo_text_never_zero_and_clear_of_the_line(estimate):
    fig = placebo_plot(_placebo_test(estimate))
    ax = fig.axes[0]
    fig.canvas.draw()
    texts = [t for t in ax.texts if t.get_gid() == "p_values"]
    assert len(texts) == 1
    body = texts[0].get_text()
    assert "= 0\n" not in body + "\n" and "= 0.0\n" not in body + "\n"
    if estimate == 0.02855:
        assert "p (two-sided) < 0.002" in body and "p (right) < 0.002" in body
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "actual_estimate")
    x_display = ax.transData.transform((line.get_xdata()[0], 0.0))[0]
    renderer = fig.canvas.get_renderer()
    boxes = [texts[0].get_window_extent(renderer)]
    boxes += [t.get_window_extent(renderer) for t in ax.get_legend().get_texts()]
    boxes.append(ax.get_legend().get_window_extent(renderer))
    for box in boxes:
        assert not box.x0 <= x_display <= box.x1, (box, x_display)
    _close(fig)


def test_placebo_real_test_prints_bound(panel):
    test = dz.placebo(dz.twfe(panel, "isu"), panel, n_draws=99, seed=7)
    fig = placebo_plot(test)
    body = next(t for t in fig.axes[0].texts if t.get_gid() == "p_values").get_text()
    assert "p (two-sided) < 0.01" in body
    _close(fig)


# ------------------------------------------------------------------ HonestDiD


def test_honest_names_target_and_breakdown(es):
    h = dz.honest_did(es, restriction="relative_magnitude", m_values=[0, 0.5, 1])
    g = h.glance().iloc[0]
    assert g["target"] == "e+0" and g["target_first"] == 0 and g["target_last"] == 0
    fig = honest_plot(h)
    ax = fig.axes[0]
    assert "θ = effect at e = 0" in ax.get_title()
    assert ax.get_xlim()[1] < 1.5  # not stretched to the breakdown value
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    if h.breakdown > 1.5:
        assert any(t.startswith(f"Breakdown M̄ = {h.breakdown:.3g}") for t in legend)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "Original" and len(labels) >= 5
    _close(fig)


def test_honest_average_target_and_line_inside_the_grid(es):
    h = dz.honest_did(es, restriction="relative_magnitude",
                      m_values=[0, 0.5, 1, 1.5, 2, 2.5, 3], target="average")
    fig = honest_plot(h)
    ax = fig.axes[0]
    assert "θ = average of e = 0..5" in ax.get_title()
    if np.isfinite(h.breakdown) and h.breakdown <= 3:
        line = next(ln for ln in ax.get_lines() if ln.get_gid() == "breakdown")
        assert line.get_xdata()[0] == pytest.approx(h.breakdown)
    _close(fig)


def test_report_honest_table_names_target_and_breakdown(es):
    from types import SimpleNamespace

    from did_zones.report.steps import _honest_table

    h = dz.honest_did(es, restriction="relative_magnitude", m_values=[0, 0.5, 1])
    run = SimpleNamespace(config=SimpleNamespace(study=SimpleNamespace(
        language="en", notes="all")))
    table = _honest_table(run, h)
    text = table.to_markdown() if hasattr(table, "to_markdown") else str(table)
    assert "θ = effect at e = 0" in text
    assert "breakdown M̄" in text
    assert f"{h.breakdown:.3f}" in text


# ------------------------------------------------------------------ adoption


@pytest.mark.parametrize("max_units", [None, 40, 7])
def test_adoption_shows_every_cohort(panel, max_units):
    fig = adoption_plot(panel, max_units=max_units)
    ax = fig.axes[0]
    mesh = next(c for c in ax.collections if c.get_gid() == "adoption_grid")
    codes = np.asarray(mesh.get_array()).reshape(-1, panel.n_periods)
    batches = np.unique(panel.cohort[np.isfinite(panel.cohort)])
    present = set(np.unique(codes).tolist())
    for k in range(len(batches)):
        assert 3 + k in present  # a treated cell of every batch is drawn
    # the one-city 2015 batch is at least 2% of the height and labelled with its size
    rows = codes.max(axis=1) == 3 + int(np.flatnonzero(batches == 2015)[0])
    lo, hi = ax.get_ylim()
    edges = mesh.get_coordinates()[:, 0, 1]
    height = np.diff(edges)[rows].sum() / abs(lo - hi)
    assert height >= 0.018  # 2% before the total is rescaled
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Pilot 2015 (n = 1)" in legend
    # its colour is in the rendered image
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    colour = (np.array(mesh.cmap(3 + int(np.flatnonzero(batches == 2015)[0]))[:3]) * 255)
    assert (np.abs(image.astype(int) - colour.round().astype(int)).max(axis=-1) <= 2).sum() > 50
    _close(fig)


# ------------------------------------------------------------------ mechanism vs truth


@pytest.mark.parametrize("language", ["en", "zh"])
def test_mechanism_truth_values_are_the_simulators(sim, panel, language):
    from did_zones.demo import mechanism_vs_truth

    res = dz.mediation(panel, "isu", "ecom", method="stepwise", controls=["lngdp_pc"],
                       n_boot=9, seed=1)
    table = mechanism_vs_truth(res, sim.truth, language=language)
    truth_col = table.columns[2]
    assert table.columns[0] == ("Quantity" if language == "en" else "参数")
    t = sim.truth
    np.testing.assert_allclose(table[truth_col].to_numpy(),
                               [t.a, t.b, t.indirect, t.indirect / t.overall], rtol=1e-12)
    assert t.b == t.params["b"]  # the simulator's own parameter, not an estimate
    assert t.share_mediated == pytest.approx(2 / 3, abs=0.01)
    est = res.tidy().set_index("term")["estimate"]
    np.testing.assert_allclose(table[table.columns[1]].to_numpy(),
                               est[["a", "b", "a*b", "share"]].to_numpy(), rtol=1e-12)
