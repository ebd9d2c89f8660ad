"""did_zones.plots: every figure renders (Agg) on simulator results and saves PNG and PDF,
draws exactly what tidy()/glance() report, honours ax=, renders Chinese labels without
missing glyphs when a CJK font is installed, warns with install advice when none is, and
stays out of ``import did_zones``."""

import subprocess
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import quiet
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy import stats  # noqa: E402

import did_zones as dz  # noqa: E402
from did_zones import plots  # noqa: E402
from did_zones.errors import DidZonesWarning, SpecificationError  # noqa: E402
from did_zones.plots import fonts as _fonts  # noqa: E402


@pytest.fixture(scope="module")
def sim():
    s = dz.simulate_pilot_panel(seed=7, effect="homogeneous")
    panel = dz.build_panel(s.data, unit="city_code", time="year", cohort="cohort")
    return s, panel


@pytest.fixture(scope="module")
def res(sim):
    s, panel = sim
    es = quiet(dz.event_study, panel, "isu")
    tw = quiet(dz.twfe, panel, "isu")
    return {
        "es": es,
        "sa": quiet(dz.sun_abraham, panel, "isu"),
        "cs": quiet(dz.aggregate, quiet(dz.callaway_santanna, panel, "isu", n_boot=99, seed=1),
                    "event"),
        "twfe": tw,
        "placebo": quiet(dz.placebo, tw, panel, n_draws=49, seed=3),
        "in_time": quiet(dz.placebo, tw, panel, kind="in_time", shift=[1, 2, 3]),
        "bacon": quiet(dz.bacon_decomposition, panel, "isu"),
        "weights": quiet(dz.twfe_weights, panel, "isu"),
        "honest": quiet(dz.honest_did, es, restriction="smoothness", m_values=[0, 0.005, 0.01]),
        "mediation": quiet(dz.mediation, panel, "isu", ["ecom", "fin"], method="stepwise",
                           n_boot=49, seed=1),
        "channel": quiet(dz.mediation, panel, "isu", "ecom"),
    }


def _calls(res, panel, **kw):
    """(name, callable drawing the figure with extra keywords)."""
    return {
        "event": lambda **k: plots.event_study_plot(
            {"TWFE": res["es"], "Sun-Abraham": res["sa"], "CS": res["cs"]}, **kw, **k),
        "placebo": lambda **k: plots.placebo_plot(res["placebo"], **kw, **k),
        "in_time": lambda **k: plots.in_time_plot(res["in_time"], **kw, **k),
        "bacon": lambda **k: plots.bacon_plot(res["bacon"], **kw, **k),
        "weights": lambda **k: plots.twfe_weights_plot(res["weights"], **kw, **k),
        "honest": lambda **k: plots.honest_plot(res["honest"], **kw, **k),
        "adoption": lambda **k: plots.adoption_plot(panel, **kw, **k),
        "mediation": lambda **k: plots.mediation_diagram(res["mediation"], **kw, **k),
    }


NAMES = ["event", "placebo", "in_time", "bacon", "weights", "honest", "adoption", "mediation"]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# ------------------------------------------------------------------ rendering
@pytest.mark.parametrize("name", NAMES)
def test_renders_and_saves_png_and_pdf(name, res, sim, tmp_path):
    fig = _calls(res, sim[1])[name]()
    assert isinstance(fig, Figure)
    fig.savefig(tmp_path / "f.png", dpi=60)
    fig.savefig(tmp_path / "f.pdf")
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "f.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("name", NAMES)
def test_ax_is_honoured(name, res, sim):
    fig, axs = plt.subplots(1, 2)
    out = _calls(res, sim[1])[name](ax=axs[1], title="panel B")
    assert out is fig
    assert axs[1].get_title() == "panel B" and axs[0].get_title() == ""
    assert not axs[0].has_data()


def test_ax_must_be_axes(res):
    with pytest.raises(SpecificationError, match="ax must be a matplotlib Axes"):
        plots.bacon_plot(res["bacon"], ax="left")


def test_import_did_zones_does_not_import_matplotlib():
    code = ("import sys, did_zones as dz; dz.plots.event_study_plot; "
            "import did_zones.plots; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# -------------------------------------------------------- what is drawn
def test_event_study_draws_tidy_values(res):
    fig = plots.event_study_plot({"TWFE": res["es"], "CS": res["cs"]}, alpha=0.1)
    ax = fig.axes[0]
    bars = ax.containers
    assert len(bars) == 2
    for cont, r, off in zip(bars, (res["es"], res["cs"]), (-0.3, 0.3), strict=True):
        t = r.tidy(0.1).dropna(subset=["event_time"]).sort_values("event_time")
        x, y = cont.lines[0].get_data()
        np.testing.assert_array_equal(y, t["estimate"].to_numpy())
        np.testing.assert_allclose(x, t["event_time"].to_numpy() + off, rtol=0, atol=1e-12)
        seg = cont.lines[2][0].get_segments()
        np.testing.assert_allclose([s[0][1] for s in seg], t["conf_low"], rtol=1e-12)
        np.testing.assert_allclose([s[1][1] for s in seg], t["conf_high"], rtol=1e-12)
    # the event study omits e = -1, CS estimates it: one reference marker, at TWFE's offset
    ref = [ln for ln in ax.lines if ln.get_label() == "Reference period"]
    assert len(ref) == 1 and list(ref[0].get_xdata()) == [-1.3]
    assert "90% CI" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["TWFE", "CS",
                                                                   "Reference period"]


def test_event_study_uniform_band_and_labels(res):
    fig = plots.event_study_plot(res["cs"], uniform=True,
                                 labels={"callaway_santanna": "C&S"}, reference=None)
    ax = fig.axes[0]
    t = res["cs"].tidy(uniform=True).dropna(subset=["event_time"]).sort_values("event_time")
    seg = ax.containers[0].lines[2][0].get_segments()
    np.testing.assert_allclose([s[1][1] for s in seg], t["conf_high"], rtol=1e-12)
    assert "uniform band" in ax.get_ylabel()
    assert ax.containers[0].get_label() == "C&S"
    assert ax.get_legend() is None  # one result, no reference marker
    assert not [ln for ln in ax.lines if ln.get_label() == "Reference period"]


def test_placebo_marks_estimate_and_p_values(res):
    test = res["placebo"]
    ax = plots.placebo_plot(test, bins=10, kde=False).axes[0]
    actual = [ln for ln in ax.lines if ln.get_label().startswith("Actual estimate")]
    assert actual[0].get_xdata()[0] == test.details["estimate"]
    text = "\n".join(t.get_text() for t in ax.texts)
    from did_zones.tables.formatting import fmt_p_value

    n = int(np.isfinite(test.details["draws"]).sum())
    p_text = fmt_p_value(test.details["p_two_sided"], n_draws=n)
    assert f"p (two-sided) {p_text[1:].strip()}" in text  # "= 0.04" or "< 0.02"
    assert "= 0\n" not in text + "\n"
    assert f"{np.isfinite(test.details['draws']).sum()} draws" in text
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 10
    kde = plots.placebo_plot(test).axes[0]
    assert any(ln.get_label() == "Kernel density" for ln in kde.lines)


def test_in_time_plot_values(res):
    test = res["in_time"]
    ax = plots.in_time_plot(test).axes[0]
    table = test.details["table"]
    x, y = ax.containers[0].lines[0].get_data()
    np.testing.assert_array_equal(x, table["shift"].to_numpy(float))
    np.testing.assert_array_equal(y, table["estimate"].to_numpy())
    assert test.distribution == "t" and test.df == 336  # 337 clustered cities
    crit = stats.t.ppf(0.975, 336)
    seg = ax.containers[0].lines[2][0].get_segments()
    np.testing.assert_allclose([s[1][1] - s[0][1] for s in seg],
                               2 * crit * table["std_error"].to_numpy(), rtol=1e-9)
    star = [ln for ln in ax.lines if ln.get_label().startswith("Actual estimate")][0]
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (0, test.details["estimate"])


def test_bacon_scatter_points(res):
    ax = plots.bacon_plot(res["bacon"]).axes[0]
    t = res["bacon"].tidy()
    pts = np.vstack([c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)])
    cells = t.loc[t["term"] != "twfe"]
    assert pts.shape[0] == len(cells)
    np.testing.assert_allclose(np.sort(pts[:, 0]), np.sort(cells["weight"]), rtol=1e-12)
    np.testing.assert_allclose(np.sort(pts[:, 1]), np.sort(cells["estimate"]), rtol=1e-12)
    twfe_line = [ln for ln in ax.lines if ln.get_label().startswith("TWFE")]
    assert twfe_line[0].get_ydata()[0] == res["bacon"].estimate["twfe"]
    labels = [x.get_text() for x in ax.get_legend().get_texts()]
    g = res["bacon"].glance().iloc[0]
    assert f"Treated vs Never Treated (Weight {g['weight_treated_vs_never']:.3g}" in labels[2]


def test_twfe_weights_points(res):
    ax = plots.twfe_weights_plot(res["weights"]).axes[0]
    pts = np.vstack([c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)])
    t = res["weights"].tidy()
    assert pts.shape[0] == (t["kind"] == "weight").sum()
    np.testing.assert_allclose(np.sort(pts[:, 1]), np.sort(t.loc[t["kind"] == "weight",
                                                                 "estimate"]), rtol=1e-12)


def test_honest_intervals(res):
    h = res["honest"]
    ax = plots.honest_plot(h).axes[0]
    lc = [c for c in ax.collections if isinstance(c, LineCollection)]
    robust = np.array([[s[0][1], s[1][1]] for s in lc[0].get_segments()])
    np.testing.assert_allclose(robust, h.tidy()[["conf_low", "conf_high"]], rtol=1e-12)
    orig = lc[1].get_segments()[0]
    g = h.glance().iloc[0]
    assert (orig[0][1], orig[1][1]) == (g["original_low"], g["original_high"])
    assert orig[0][0] == -0.005  # one grid step left of the smallest M
    assert ax.get_xticklabels()[0].get_text() == "Original"


def test_adoption_grid(sim):
    s, panel = sim
    ax = plots.adoption_plot(panel).axes[0]
    grid = _adoption_grid(ax, panel.n_periods)
    assert grid.shape == (panel.n_units, panel.n_periods)
    cohorts = np.sort(panel.cohort)  # rows sorted by cohort, never-treated last
    batches = panel.cohorts
    for row in (0, 40, panel.n_units - 1):
        g = cohorts[row]
        expect = np.where(~np.isfinite(g), 1,
                          np.where(panel.periods >= g, 3 + np.searchsorted(batches, g), 2))
        np.testing.assert_array_equal(grid[row], expect)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    sizes = [int((panel.cohort == b).sum()) for b in batches]
    assert legend == [f"Pilot {int(b)} (n = {n})" for b, n in zip(batches, sizes, strict=True)] \
        + ["Not yet treated", "Never treated"]


def _adoption_grid(ax, n_periods):
    mesh = next(c for c in ax.collections if c.get_gid() == "adoption_grid")
    return np.asarray(mesh.get_array()).reshape(-1, n_periods)


def test_adoption_subsample_labels_and_missing(sim):
    s, panel = sim
    data = s.data.iloc[3:].copy()  # the first unit loses three years: unbalanced
    before = data.copy()
    p2 = quiet(dz.build_panel, data, unit="city_code", time="year", cohort="cohort")
    names = dict(zip(s.data["city_code"], s.data["name_en"], strict=True))
    ax = plots.adoption_plot(p2, max_units=30, sort="unit", unit_labels=names).axes[0]
    grid = _adoption_grid(ax, p2.n_periods)
    k = grid.shape[0]  # 30 evenly spaced, plus one unit of any batch they missed
    assert 30 <= k <= 30 + len(p2.cohorts) and (grid[0, :3] == 0).all()
    assert ax.get_yticklabels()[0].get_text() == names[p2.units[0]]
    assert any(t.get_text() == f"{k} of 337 units shown" for t in ax.texts)
    assert "Not observed" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert data.equals(before)


def test_mediation_diagram_labels(res):
    med = res["mediation"]
    t = med.tidy()
    ax = plots.mediation_diagram(med, labels={"isu": "Upgrading"}).axes[0]
    texts = [x.get_text() for x in ax.texts]
    a1 = t.loc[(t["term"] == "a") & (t["mediator"] == "ecom")].iloc[0]
    stars = "***" if a1["p_value"] < 0.01 else "**" if a1["p_value"] < 0.05 else \
        "*" if a1["p_value"] < 0.1 else ""
    assert f"a1 = {a1['estimate']:.3g}{stars}" in texts
    assert {"Pilot (D)", "Upgrading", "ecom", "fin"} <= set(texts)
    c = t.loc[t["term"] == "c"].iloc[0]
    assert any(x.startswith("c′ = ") and f"(c = {c['estimate']:.3g}***)" in x for x in texts)
    assert any("share mediated" in x and "* p<0.1" in x for x in texts)


def test_mediation_causal_shows_acme(res, sim):
    med = quiet(dz.mediation, sim[1], "isu", "ecom", method="causal", n_boot=50, seed=1)
    t = med.tidy()
    ax = plots.mediation_diagram(med).axes[0]
    acme = t.loc[t["term"] == "ACME"].iloc[0]
    assert any(x.get_text().startswith(f"ACME = {acme['estimate']:.3g}") for x in ax.texts)


def test_finds_font_missing_from_a_stale_cache(monkeypatch):
    from matplotlib import font_manager

    real = font_manager.fontManager
    if not any(_fonts._FILE_PATTERN.search(p) for p in font_manager.findSystemFonts()):
        pytest.skip("no CJK font file installed; install one (Debian: apt-get install "
                    "fonts-noto-cjk) to check the Chinese figure labels")

    class Stale:  # a font cache written before the CJK fonts were installed
        ttflist = [f for f in real.ttflist if not _fonts._FAMILY_PATTERN.search(f.name)]
        added: list = []

        def addfont(self, path):
            self.added.append(path)
            real.addfont(path)
            self.ttflist = real.ttflist

    stale = Stale()
    monkeypatch.setattr(font_manager, "fontManager", stale)
    monkeypatch.setattr(_fonts, "_found", {})
    family = _fonts.find_cjk_font()
    assert family in _fonts.CJK_FAMILIES and stale.added
    assert all(_fonts._FILE_PATTERN.search(p) for p in stale.added)


def test_mediation_channel_has_only_a_and_c(res):
    ax = plots.mediation_diagram(res["channel"]).axes[0]
    texts = [x.get_text() for x in ax.texts]
    assert any(x.startswith("a = ") for x in texts)
    assert not any(x.startswith(("b = ", "c′")) for x in texts)
    assert any(x.startswith("c = ") for x in texts)


# ----------------------------------------------------------------- fonts
def _glyph_warnings(figs, tmp_path):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for i, fig in enumerate(figs):
            fig.savefig(tmp_path / f"{i}.png", dpi=50)
            fig.savefig(tmp_path / f"{i}.pdf")
    return [str(r.message) for r in rec if "missing from font" in str(r.message)]


def test_chinese_labels_have_no_missing_glyphs(res, sim, tmp_path):
    if _fonts.find_cjk_font() is None:
        pytest.skip("no CJK font installed; install one (Debian: apt-get install "
                    "fonts-noto-cjk) to check the Chinese figure labels")
    s, panel = sim
    calls = _calls(res, panel, language="zh")
    figs = [calls[n]() for n in NAMES]
    figs.append(plots.event_study_plot({"双重差分": res["es"], "孙-亚伯拉罕": res["sa"]},
                                       title="事件研究图 −1"))
    names = dict(zip(s.data["city_code"], s.data["city"], strict=True))
    figs.append(plots.adoption_plot(panel, max_units=40, unit_labels=names))
    figs.append(plots.mediation_diagram(res["mediation"], labels={"isu": "产业结构升级",
                                                                   "ecom": "电子商务"}))
    assert _glyph_warnings(figs, tmp_path) == []
    # Chinese words were drawn, in the CJK font (after DejaVu Sans, which keeps Latin text)
    ax = figs[0].axes[0]
    assert ax.get_xlabel() == "相对试点年份"
    assert ax.xaxis.label.get_fontfamily() == ["DejaVu Sans", _fonts.find_cjk_font()]


def test_no_cjk_font_warns_with_install_advice(res, monkeypatch, tmp_path):
    monkeypatch.setattr(_fonts, "find_cjk_font", lambda refresh=False: None)
    with pytest.warns(plots.FontWarning, match=r"apt-get install fonts-noto-cjk") as rec:
        fig = plots.bacon_plot(res["bacon"], language="zh")
    assert issubclass(rec[0].category, DidZonesWarning)
    assert "font=" in str(rec[0].message) and "conda" in str(rec[0].message)
    # ... and without the font the glyphs are indeed missing (the check above is live)
    assert _glyph_warnings([fig], tmp_path)


def test_english_labels_need_no_font(res, monkeypatch):
    monkeypatch.setattr(_fonts, "find_cjk_font", lambda refresh=False: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", plots.FontWarning)
        plots.bacon_plot(res["bacon"])


def test_font_path_and_errors(res, tmp_path):
    from matplotlib import font_manager

    files = [f.fname for f in font_manager.fontManager.ttflist
             if f.name == _fonts.find_cjk_font()]
    if files:
        fig = plots.honest_plot(res["honest"], language="zh", font=files[0])
        assert _glyph_warnings([fig], tmp_path) == []
    with pytest.raises(SpecificationError, match="does not exist"):
        plots.honest_plot(res["honest"], font="/no/such/font.ttf")
    with pytest.raises(SpecificationError, match="is not installed"):
        plots.honest_plot(res["honest"], font="No Such Family")


def test_has_cjk_and_rc():
    assert plots.has_cjk(["Event time", "估计值"]) and not plots.has_cjk("Estimate (95% CI)")
    assert not plots.has_cjk(None) and plots.has_cjk("、")
    if _fonts.find_cjk_font() is not None:
        rc = plots.cjk_rc()
        assert rc["font.family"] == ["DejaVu Sans", _fonts.find_cjk_font()]
        with plots.use_cjk_font() as family:
            assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", family]
        assert family not in matplotlib.rcParams["font.family"]


# ---------------------------------------------------------------- errors
def test_errors(res, sim):
    s, panel = sim
    with pytest.raises(SpecificationError, match="non-empty mapping"):
        plots.event_study_plot({})
    with pytest.raises(SpecificationError, match="are not Results"):
        plots.event_study_plot({"a": res["bacon"], "b": 1})
    with pytest.raises(SpecificationError, match="no event-time terms"):
        plots.event_study_plot(res["twfe"])
    with pytest.raises(SpecificationError, match="uniform band"):
        plots.event_study_plot(res["es"], uniform=True)
    with pytest.raises(SpecificationError, match="language must be one of"):
        plots.event_study_plot(res["es"], language="fr")
    with pytest.raises(SpecificationError, match="Use in_time_plot"):
        plots.placebo_plot(res["in_time"])
    with pytest.raises(SpecificationError, match="Use placebo_plot"):
        plots.in_time_plot(res["placebo"])
    with pytest.raises(SpecificationError, match="HypothesisTest of did_zones.placebo"):
        plots.placebo_plot(res["twfe"].wald_test())
    with pytest.raises(SpecificationError, match="bins must be"):
        plots.placebo_plot(res["placebo"], bins=0)
    with pytest.raises(SpecificationError, match="did_zones.bacon_decomposition"):
        plots.bacon_plot(res["es"])
    with pytest.raises(SpecificationError, match="did_zones.twfe_weights"):
        plots.twfe_weights_plot(res["bacon"])
    with pytest.raises(SpecificationError, match="HonestResult"):
        plots.honest_plot(res["es"])
    with pytest.raises(SpecificationError, match="needs a Panel"):
        plots.adoption_plot(s.data)
    with pytest.raises(SpecificationError, match="sort must be one of"):
        plots.adoption_plot(panel, sort="name")
    with pytest.raises(SpecificationError, match="max_units must be"):
        plots.adoption_plot(panel, max_units=0)
    with pytest.raises(SpecificationError, match="MediationResult"):
        plots.mediation_diagram(res["es"])
    with pytest.raises(SpecificationError, match="digits must be"):
        plots.mediation_diagram(res["mediation"], digits=0)


def test_user_strings_drawn_literally(res, tmp_path):
    odd = r"<script>alert(1)</script> 50% & \_x costs $1 to $2"
    fig = plots.event_study_plot({odd: res["es"], "b": res["sa"]}, title=odd)
    ax = fig.axes[0]
    assert ax.get_title() == odd.replace("$", r"\$")  # no mathtext between the dollars
    assert ax.get_legend().get_texts()[0].get_text() == odd.replace("$", r"\$")
    fig.savefig(tmp_path / "odd.png", dpi=40)
    fig.savefig(tmp_path / "odd.pdf")
