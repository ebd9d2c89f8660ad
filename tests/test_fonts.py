"""did_zones.plots.fonts and the bundled CJK font: Chinese figures render on a machine with no
CJK font installed (every character of every text resolves to a font that has it, Latin in
DejaVu Sans and Chinese in the bundled subset), the subset covers the package's words and the
registry's names, ``study.font`` is validated and reaches every figure of a report, and
matplotlib's missing-glyph warnings become one FontWarning."""

import ast
import importlib
import re
import shutil
import warnings
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from conftest import quiet
from matplotlib import cbook, font_manager  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import did_zones as dz  # noqa: E402
from did_zones import plots  # noqa: E402
from did_zones._resources import bundled_file  # noqa: E402
from did_zones.errors import DataDroppedWarning, SpecificationError  # noqa: E402
from did_zones.plots import _common  # noqa: E402
from did_zones.plots import fonts as _fonts  # noqa: E402
from did_zones.report import load_config, parse_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FONT = "fonts/NotoSansCJKsc-DZSubset-Regular.otf"
RARE = "\U00020000"  # CJK Extension B: in no GB2312 font subset
CITIES = ("亳州市", "儋州市", "衢州市", "漯河市", "泸州市")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def bare(monkeypatch):
    """A machine without a system CJK font: only the bundled subset is found."""
    monkeypatch.setattr(_fonts, "_system_cjk_font", lambda refresh=False: None)
    assert _fonts.find_cjk_font() == _fonts.BUNDLED_FAMILY


@pytest.fixture(scope="module")
def res():
    s = dz.simulate_pilot_panel(seed=7, effect="homogeneous")
    panel = dz.build_panel(s.data, unit="city_code", time="year", cohort="cohort")
    es = quiet(dz.event_study, panel, "isu")
    tw = quiet(dz.twfe, panel, "isu")
    return {
        "panel": panel, "sim": s, "es": es,
        "sa": quiet(dz.sun_abraham, panel, "isu"),
        "placebo": quiet(dz.placebo, tw, panel, n_draws=19, seed=3),
        "in_time": quiet(dz.placebo, tw, panel, kind="in_time", shift=[1, 2]),
        "bacon": quiet(dz.bacon_decomposition, panel, "isu"),
        "weights": quiet(dz.twfe_weights, panel, "isu"),
        "smooth": quiet(dz.honest_did, es, restriction="smoothness", m_values=[0, 0.01]),
        "relative": quiet(dz.honest_did, es, restriction="relative_magnitude",
                          m_values=[0, 1]),
        "mediation": quiet(dz.mediation, panel, "isu", ["ecom", "fin"], method="stepwise",
                           n_boot=19, seed=1),
        "channel": quiet(dz.mediation, panel, "isu", "ecom"),
    }


def _zh_figures(res, **kw):
    """Every figure of did_zones.plots in Chinese, with Chinese user labels too."""
    panel, sim = res["panel"], res["sim"]
    names = dict(zip(sim.data["city_code"], sim.data["city"], strict=True))
    return [
        plots.event_study_plot({"双重差分": res["es"], "孙-亚伯拉罕": res["sa"]},
                               title="事件研究图 −1", language="zh", **kw),
        plots.placebo_plot(res["placebo"], language="zh", **kw),
        plots.in_time_plot(res["in_time"], language="zh", **kw),
        plots.bacon_plot(res["bacon"], language="zh", **kw),
        plots.twfe_weights_plot(res["weights"], language="zh", **kw),
        plots.honest_plot(res["smooth"], language="zh", **kw),
        plots.honest_plot(res["relative"], language="zh", **kw),
        plots.adoption_plot(panel, max_units=40, unit_labels=names, language="zh", **kw),
        plots.mediation_diagram(res["mediation"], language="zh", labels={
            "isu": "产业结构升级", "ecom": "电子商务", "fin": "金融发展"}, **kw),
        plots.mediation_diagram(res["channel"], language="zh", **kw),
    ]


# ------------------------------------------------ matplotlib's per-glyph font fallback
def _font_path(family: str, text: Text) -> str:
    prop = font_manager.FontProperties(family=family, style=text.get_style(),
                                       weight=text.get_weight(), stretch=text.get_stretch())
    return font_manager.findfont(prop, fallback_to_default=False)


def _charmap(path) -> set[int]:
    return set(FT2Font(str(path), face_index=getattr(path, "face_index", 0)).get_charmap())


def _resolve(figs) -> dict[str, str]:
    """character -> the family matplotlib draws it with: the first of the text's family list
    whose font has the glyph. Fails on a character that no family of its list has."""
    maps: dict = {}
    used: dict[str, str] = {}
    for fig in figs:
        for text in fig.findobj(Text):
            s = text.get_text()
            if not s or not text.get_visible() or cbook.is_math_text(s):
                continue
            families = text.get_fontfamily()
            paths = [_font_path(f, text) for f in families]
            for ch in set(s) - {"\n"}:
                for family, path in zip(families, paths, strict=True):
                    if path not in maps:
                        maps[path] = _charmap(path)
                    if ord(ch) in maps[path]:
                        used.setdefault(ch, family)
                        break
                else:
                    pytest.fail(f"{ch!r} (U+{ord(ch):04X}) of {s!r} is in none of {families}")
    return used


def test_chinese_figures_on_a_machine_without_cjk_fonts(res, bare, tmp_path):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        figs = _zh_figures(res)
        for i, fig in enumerate(figs):
            fig.savefig(tmp_path / f"{i}.png", dpi=50)
            fig.savefig(tmp_path / f"{i}.pdf")
    assert [str(r.message) for r in rec] == []
    used = _resolve(figs)
    # Latin text in DejaVu Sans, Chinese in the bundled subset, and both are used
    assert used["相"] == used["试"] == used["（"] == _fonts.BUNDLED_FAMILY
    assert used["e"] == used["0"] == used["M"] == used["−"] == "DejaVu Sans"
    assert "\u0304" in used  # M̄ of the relative-magnitude sensitivity plot
    for fig in figs:
        for text in fig.findobj(Text):
            if _fonts.has_cjk(text.get_text()):
                assert text.get_fontfamily() == ["DejaVu Sans", _fonts.BUNDLED_FAMILY]
    # the PDF embeds the subset, not a system font
    pdf = (tmp_path / "0.pdf").read_bytes()
    assert b"NotoSansCJKscDZSubset" in pdf and b"NotoSansCJKsc-Regular" not in pdf


def test_system_font_is_preferred_and_never_shadowed(monkeypatch):
    """An installed CJK family wins over the bundled subset. The "installed" font is simulated
    (the subset's file listed under the full font's family name), so the test needs no system
    font and runs on any machine."""
    import dataclasses

    from matplotlib import font_manager

    assert _fonts.bundled_font() == _fonts.BUNDLED_FAMILY  # registered ...
    entry = next(f for f in font_manager.fontManager.ttflist if f.name == _fonts.BUNDLED_FAMILY)
    fake = dataclasses.replace(entry, name="Noto Sans CJK SC")
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [f for f in font_manager.fontManager.ttflist
                         if f.name != "Noto Sans CJK SC"] + [fake])
    try:
        assert _fonts._system_cjk_font(refresh=True) == "Noto Sans CJK SC"
        assert _fonts.find_cjk_font() == "Noto Sans CJK SC"  # ... but not chosen over it
        assert _fonts.cjk_rc()["font.family"] == ["DejaVu Sans", "Noto Sans CJK SC"]
    finally:
        monkeypatch.undo()
        _fonts._system_cjk_font(refresh=True)  # forget the simulated font
    assert "Source" not in _fonts.BUNDLED_FAMILY and _fonts.BUNDLED_FAMILY != "Noto Sans CJK SC"


def test_a_chosen_font_comes_first(res, bare):
    path = bundled_file(FONT)
    ax = plots.honest_plot(res["smooth"], language="zh", font=str(path)).axes[0]
    assert ax.xaxis.label.get_fontfamily() == [_fonts.BUNDLED_FAMILY, "DejaVu Sans"]
    ax = plots.bacon_plot(res["bacon"], language="zh", font="DejaVu Sans").axes[0]
    assert ax.xaxis.label.get_fontfamily() == ["DejaVu Sans", _fonts.BUNDLED_FAMILY]


def test_every_plot_function_takes_font():
    import inspect

    for name in plots.__all__:
        fn = getattr(plots, name)
        if name.endswith(("_plot", "_diagram")):
            param = inspect.signature(fn).parameters["font"]
            assert param.default is None and param.kind is param.KEYWORD_ONLY, name
            assert "font : str, optional" in fn.__doc__, name


# ------------------------------------------------------------- the bundled font itself
def _bundled_cmap() -> set[int]:
    return _charmap(bundled_file(FONT))


def test_bundled_font_file_names_and_licence():
    path = bundled_file(FONT)
    assert path.stat().st_size < 4 * 2**20
    font = FT2Font(str(path))
    assert font.family_name == _fonts.BUNDLED_FAMILY
    assert "Source" not in font.family_name and "Source" not in font.postscript_name
    licence = bundled_file("fonts/OFL.txt").read_text(encoding="utf-8")
    assert licence.startswith("Copyright 2014-2021 Adobe")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Reserved Font Name" in licence
    readme = bundled_file("fonts/README.md").read_text(encoding="utf-8")
    assert "make_subset.py" in readme and "OFL" in readme


def test_bundled_font_covers_gb2312_and_symbols():
    cmap = _bundled_cmap()
    gb = set()
    for lead in range(0xB0, 0xF8):  # the 6763 hanzi of GB2312 levels 1 and 2
        for trail in range(0xA1, 0xFF):
            try:
                gb.add(ord(bytes((lead, trail)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    assert len(gb) == 6763 and gb <= cmap
    assert {ord(c) for c in "，。、（）：；《》〔〕“”—…×≤≥±°·\u0304\u2212"} <= cmap
    assert set(range(0x20, 0x7F)) <= cmap


def _zh_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _zh_strings(v)
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _zh_strings(v)


def test_bundled_font_covers_the_words_and_the_registry():
    cmap = _bundled_cmap()
    fmt = importlib.import_module("did_zones.tables.formatting")
    texts = [*_zh_strings(_common.WORDS["zh"]), *_zh_strings(_common.BACON_TYPES_ZH),
             *_zh_strings(_common.KINDS["zh"])]
    for value in vars(fmt).values():  # every vocabulary of the tables with a "zh" entry
        if isinstance(value, Mapping) and "zh" in value:
            texts.extend(_zh_strings(value["zh"]))
    for frame in (dz.load_zones(), dz.load_cities()):
        for column in frame.columns:
            if column.endswith("_zh"):
                texts.extend(frame[column].dropna().astype(str))
    assert len(texts) > 400
    missing = {c for t in texts for c in t if ord(c) not in cmap and not c.isspace()}
    assert missing == set()
    assert all(ord(c) in cmap for c in "".join(CITIES))  # 亳 儋: outside GB2312


def test_bundled_font_covers_every_cjk_character_of_the_package():
    cmap = _bundled_cmap()
    files = [*(ROOT / "did_zones").rglob("*.py"), *(ROOT / "data").glob("*.csv")]
    missing = {}
    for path in files:
        for ch in set(_fonts._CJK.findall(path.read_text(encoding="utf-8"))):
            if ord(ch) not in cmap:
                missing.setdefault(ch, path.name)
    assert missing == {}, ("rebuild the subset: python data/fonts/make_subset.py", missing)


# ------------------------------------------------------ missing glyphs: one FontWarning
def test_missing_glyphs_become_one_font_warning(res, bare, tmp_path):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fig = plots.honest_plot(res["smooth"], language="zh",
                                title=f"敏感性 {RARE} {RARE}\U00020001")
    assert [r.category for r in rec] == [plots.FontWarning]
    msg = str(rec[0].message)
    assert msg.startswith("2 characters are missing from the figure's fonts")
    assert f"'{RARE}' (U+20000)" in msg and "(U+20001)" in msg and "font=" in msg
    assert _fonts.BUNDLED_FAMILY in msg
    assert rec[0].filename == __file__  # points at the caller
    # the report saves it without repeating matplotlib's raw warnings
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with _fonts.missing_glyphs_reported():
            fig.savefig(tmp_path / "f.png", dpi=50)
    assert rec == []


def test_many_missing_glyphs_show_five(res, bare):
    rare = "".join(chr(0x20000 + i) for i in range(7))
    with pytest.warns(plots.FontWarning) as rec:
        plots.bacon_plot(res["bacon"], language="zh", title=rare, font=str(bundled_file(FONT)))
    assert len(rec) == 1
    msg = str(rec[0].message)
    assert msg.startswith("7 characters are missing") and "and 2 more" in msg
    assert len(re.findall(r"\(U\+2000\d\)", msg)) == 5
    assert "lacks them too" in msg


def test_other_warnings_pass_through_unchanged():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with _common.text_context(["试点"], None, "zh"):
            fig, ax = _common.axes(None, (3, 2))
            warnings.warn("3 rows dropped", DataDroppedWarning, stacklevel=1)
            ax.set_title(f"x {RARE}")
    kinds = [r.category for r in rec]
    assert kinds == [DataDroppedWarning, plots.FontWarning]
    assert str(rec[0].message) == "3 rows dropped" and rec[0].filename == __file__


def test_english_figure_draws_no_warning(res):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.event_study_plot(res["es"])


# ------------------------------------------------------------------------ study.font
def _study(tmp_path, font, language="zh"):
    body = (f'[data]\nsimulate = {{seed = 2, effect = "homogeneous"}}\n[study]\n'
            f'outcomes = ["isu"]\nmediators = ["ecom"]\nestimators = ["twfe", "event_study"]\n'
            f'event_window = [-3, 3]\nlanguage = "{language}"\nfont = {font}\n'
            "[robustness]\nplacebo = {n_draws = 9}\nhonest = {m_values = [0, 1]}\n"
            '[mechanism]\nmethod = "channel"\nn_boot = 0\n')
    (tmp_path / "study.toml").write_text(body, encoding="utf-8")
    return tmp_path / "study.toml"


def test_study_font_path_is_resolved_and_reaches_every_figure(tmp_path, bare):
    from did_zones.report import run_study

    (tmp_path / "fonts").mkdir()
    shutil.copy(bundled_file(FONT), tmp_path / "fonts" / "mine.otf")
    cfg = load_config(_study(tmp_path, '"fonts/mine.otf"'))
    assert cfg.study.font == str((tmp_path / "fonts" / "mine.otf").resolve())
    assert cfg.to_dict()["study"]["font"] == cfg.study.font
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_study(cfg, progress=False)
    assert set(out.figures) == {"adoption", "event_study_isu", "bacon_isu", "mediation_ecom",
                                "placebo", "placebo_in_time", "honest"}
    for name, fig in out.figures.items():
        ax = fig.axes[0]
        assert ax.title.get_fontfamily()[0] == _fonts.BUNDLED_FAMILY, name
        assert ax.xaxis.label.get_fontfamily()[0] == _fonts.BUNDLED_FAMILY, name


def test_study_font_family_and_default(tmp_path):
    cfg = load_config(_study(tmp_path, '"DejaVu Sans"'))
    assert cfg.study.font == "DejaVu Sans"
    raw = {"data": {"simulate": {"seed": 1}}, "study": {"outcomes": ["isu"]}}
    assert parse_config(raw).study.font is None


def test_every_figure_of_the_report_gets_the_font():
    """Each call of a did_zones.plots function in the report's steps passes font=."""
    tree = ast.parse((ROOT / "did_zones" / "report" / "steps.py").read_text(encoding="utf-8"))
    public = {n for n in plots.__all__ if n.endswith(("_plot", "_diagram"))}
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Name)
             and (node.func.id in public or node.func.id == "plot")]
    assert len(calls) >= 7
    for call in calls:
        assert "font" in {k.arg for k in call.keywords}, ast.unparse(call)


@pytest.mark.parametrize("font, message", [
    ('"fonts/none.otf"', r"study\.font: font file '.*none\.otf' not found\. Paths are "
                         r"relative to the study file's folder"),
    ('"No Such Family"', r"study\.font: font family 'No Such Family' is not installed.*"
                         r"Or remove study\.font"),
    ("3", r"study\.font: expected"),
    ('"bad.ttf"', r"study\.font: font file '.*bad\.ttf' is not a readable font"),
])
def test_study_font_errors(tmp_path, font, message):
    (tmp_path / "bad.ttf").write_text("not a font")
    with pytest.raises(SpecificationError, match=message):
        load_config(_study(tmp_path, font))


def test_render_saves_without_raw_glyph_warnings(tmp_path, bare):
    from types import SimpleNamespace

    from did_zones.report.render import _write_figures

    with pytest.warns(plots.FontWarning):
        with _common.text_context([], None, "zh"):
            fig, ax = _common.axes(None, (3, 2))
            ax.set_title(f"试点 {RARE}")
    (tmp_path / "figures").mkdir()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        written: list[str] = []
        _write_figures(SimpleNamespace(figures={"f": fig}), tmp_path, {"f": "f"}, written)
    assert rec == [] and (tmp_path / "figures" / "f.png").exists()
    assert written == ["figures/f.png", "figures/f.pdf"]
