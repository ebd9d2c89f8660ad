"""The main job on the bundled default data: ``did-zones demo --out DIR``.

The demo is the study report (:mod:`did_zones.report`) run with a built-in configuration on
the calibrated simulated city-year panel with the real pilot-zone timing, plus one section
only a simulation can have: every estimator's event-time estimates beside the true effects.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from .validation import check_choice

__all__ = ["CHAINS", "covered", "demo_config", "event_time_comparison", "mechanism_items",
           "mechanism_vs_truth", "run_demo"]

OUTCOME = "isu"
CONTROLS = ("lngdp_pc", "lnpop")
WINDOW = (-4, 5)
# moderate sizes keep the demo under a minute on two cores; the report says so
N_DRAWS = 500
N_BOOT = 199
# the founding mechanism: e-commerce, then the demand side and the supply side
CHAINS = MappingProxyType({"demand": ("ecom", "imports", "consumption"),
                           "supply": ("ecom", "exports", "innovation")})


_TITLE = {
    "en": "did_zones demo: cross-border e-commerce pilot zones and industrial structure "
          "(simulated panel, known truth)",
    "zh": "did_zones 演示：跨境电子商务综合试验区与产业结构（模拟面板，真值已知）",
}
_LABELS = {
    "en": {"isu": "Hierarchy index (ISU)", "ts": "Advancement (TS)",
           "ecom": "E-commerce activity", "lngdp_pc": "log GDP per capita",
           "lnpop": "log population", "imports": "CBEC imports", "exports": "CBEC exports",
           "consumption": "Consumption upgrading", "innovation": "Innovation"},
    "zh": {"isu": "产业结构层次系数（ISU）", "ts": "产业结构高级化（TS）",
           "ecom": "跨境电商活动", "lngdp_pc": "人均 GDP 对数", "lnpop": "人口对数",
           "imports": "跨境电商进口", "exports": "跨境电商出口", "consumption": "消费升级",
           "innovation": "技术创新"},
}


N_SYNTH = 100  # placebo replications of the demo's synthetic DiD


def demo_config(seed: int = 0, language: str = "en"):
    """The built-in study of the demo.

    Parameters
    ----------
    seed : int
        Seed of the simulated panel and of every random step.
    language : {"en", "zh"}
        Language of the report (``study.language``), its title and variable labels.

    Returns
    -------
    StudyConfig
        Outcomes ``isu`` (primary) and ``ts``, controls, the simulator's two-sided mechanism
        (``data.simulate.mechanism = true``) tested by branched serial mediation
        (:data:`CHAINS`), every estimator, and the whole robustness battery with moderate
        draw counts.
    """
    from .report import parse_config

    check_choice("language", language, tuple(_TITLE))
    return parse_config({
        "data": {"simulate": {"seed": seed, "effect": "heterogeneous", "mechanism": True},
                 "unit": "city_code",
                 "time": "year", "cohort": "cohort"},
        "study": {
            "title": _TITLE[language], "language": language,
            "outcomes": [OUTCOME, "ts"], "controls": list(CONTROLS),
            "event_window": list(WINDOW), "seed": seed, "labels": dict(_LABELS[language]),
        },
        "robustness": {
            "placebo": {"kind": "in_space", "n_draws": N_DRAWS},
            "psm": {"covariates": list(CONTROLS), "k": 1, "caliper": 0.05},
            "variations": True,
            "honest": {"restriction": "relative_magnitude", "m_values": [0, 0.5, 1]},
            "pretrend_power": True,
            "heterogeneity": ["region"],
        },
        "mechanism": {"method": "serial", "n_boot": N_BOOT,
                      "chains": {side: list(chain) for side, chain in CHAINS.items()}},
        # spillovers: a spatial Durbin DiD on inverse-distance weights (within 300 km) and
        # ring spillovers; the simulated panel has none, so both should find about zero
        "spatial": {"weights": "inverse_distance", "cutoff_km": 300.0, "model": "sdm",
                    "rings": [0, 50, 100, 200]},
        # batch 1 is 杭州 alone: synthetic DiD and synthetic control against never-treated
        "synthetic": {"units": [330100], "methods": ["sdid", "sc"], "se": "placebo",
                      "n_reps": N_SYNTH},
    })


def _compared() -> dict[str, tuple[str, ...]]:
    """Estimator name in the truth table -> the study results of OUTCOME it reads (the keys
    the report stores them under, from the estimator registry): the first gives the
    event-time effects, all give their named estimands (keys["estimand"])."""
    from .estimators.registry import REGISTRY

    out = {}
    for name, spec in REGISTRY.items():
        if spec.window is None and not spec.through_aggregations:
            continue  # no event-time results in a study
        out[spec.label("en")] = (
            spec.event_key, *((f"{name}_static",) if spec.report_static else ()),
            *((f"{name}_simple",) if spec.through_aggregations else ()),
            f"{spec.event_key}_event_average")
    return out


def _true_estimand(truth, estimand: str, e_min: float, e_max: float) -> float:
    """The simulator's truth of one named estimand (NaN where it has none)."""
    cells = truth.att_gt.loc[truth.att_gt["event_time"] >= 0]
    by_e = truth.event_time.set_index("event_time")["att"]
    if estimand == "simple_att":
        if pd.isna(e_min):
            return float(truth.overall)  # every treated city-year
        cells = cells.loc[cells["event_time"].between(e_min, e_max)]
        return float((cells["att"] * cells["n_units"]).sum() / cells["n_units"].sum())
    if estimand == "event_average":
        return float(by_e.reindex(range(int(e_min), int(e_max) + 1)).mean())
    if estimand == "instantaneous":
        return float(by_e.get(0, float("nan")))
    return float("nan")


def event_time_comparison(results: dict, truth) -> pd.DataFrame:
    """Estimates (standard errors) by event time and by named estimand beside the truth.

    Parameters
    ----------
    results : dict
        Study results of the demo outcome, keyed by their study name without the outcome
        (``"sun_abraham"``, ``"did2s_static"``, ...).
    truth : SimulationTruth
        ``simulate_pilot_panel(...).truth``.

    Returns
    -------
    pandas.DataFrame
        One row per event time in the demo window, then one per named estimand
        (index ``"simple_att"``, ``"simple_att e=0..5"``, ``"event_average e=0..5"``,
        ``"instantaneous"``); columns ``truth`` (the same estimand of the simulated
        potential outcomes) and, per estimator, ``<name>`` and ``<name> se``.
    """
    from .estimands import event_average

    lo, hi = WINDOW
    if "event_study" in results and "event_study_event_average" not in results:
        results = {**results, "event_study_event_average": event_average(
            results["event_study"], (0, hi))}
    true = truth.event_time.set_index("event_time")["att"]
    rows: dict[str, float] = {str(e): float(true.get(e, float("nan")))
                              for e in range(lo, hi + 1)}
    cells: dict[str, dict[str, tuple[float, float]]] = {}
    for label, names in _compared().items():
        got = [results[n] for n in names if n in results]
        if not got:
            continue
        col: dict[str, tuple[float, float]] = {}
        res = got[0]
        keys = res.keys
        is_event = keys["event_time"].notna()
        if "estimand" in keys.columns:
            is_event &= keys["estimand"].isna()
        if "kind" in keys.columns:
            is_event &= keys["kind"] != "pretrend"
        for term in keys.index[is_event]:
            e = int(keys.loc[term, "event_time"])
            if lo <= e <= hi and str(e) not in col:
                col[str(e)] = (res.estimate[term], res.std_error[term])
        for r in got:
            if "estimand" not in r.keys.columns:
                continue
            for term, k in r.keys.loc[r.keys["estimand"].notna()].iterrows():
                if k["estimand"] == "twfe_coefficient":
                    continue
                window = "" if pd.isna(k["e_min"]) else f" e={k['e_min']:g}..{k['e_max']:g}"
                name = f"{k['estimand']}{window}"
                rows.setdefault(name, _true_estimand(truth, k["estimand"], k["e_min"],
                                                     k["e_max"]))
                col.setdefault(name, (r.estimate[term], r.std_error[term]))
        cells[label] = col
    order = [str(e) for e in range(lo, hi + 1)] + sorted(
        (r for r in rows if not r.lstrip("-").isdigit()),
        key=lambda r: (["simple_att", "event_average", "instantaneous"].index(
            r.split(" ")[0]), r))
    table = pd.DataFrame(index=pd.Index(order, name="event_time"))
    table["truth"] = [rows[r] for r in order]
    for label, col in cells.items():
        table[label] = [col.get(r, (float("nan"),) * 2)[0] for r in order]
        table[f"{label} se"] = [col.get(r, (float("nan"),) * 2)[1] for r in order]
    return table


def covered(table: pd.DataFrame, z: float = 1.959963984540054) -> pd.DataFrame:
    """Per named-estimand row and estimator: does the 95% interval cover the truth?
    (NaN where the estimator gives no number.)"""
    rows = [r for r in table.index if not str(r).lstrip("-").isdigit()]
    names = [c for c in table.columns if c != "truth" and not c.endswith(" se")]
    out = pd.DataFrame(index=rows, columns=names, dtype=float)
    for r in rows:
        for n in names:
            est, se = table.loc[r, n], table.loc[r, f"{n} se"]
            if pd.notna(est) and pd.notna(se):
                out.loc[r, n] = float(abs(est - table.loc[r, "truth"]) <= z * se)
    return out


_ONE_HEADERS = {"en": ("Quantity", "Estimate", "Truth"), "zh": ("参数", "估计值", "真实值")}
_ONE_ROWS = {"en": ("a (pilot -> mediator)", "b (mediator -> outcome)", "a·b (indirect effect)",
                    "share mediated"),
             "zh": ("a（试点 → 中介变量）", "b（中介变量 → 结果）", "a·b（间接效应）", "中介效应占比")}
_MECH_HEADERS = {"en": ("Path / quantity", "Side", "Estimate", "95% CI", "Truth"),
                 "zh": ("路径 / 参数", "所属侧", "估计值", "95% 置信区间", "真实值")}
_SIDES = {"en": {"demand": "demand", "supply": "supply", "common": "common",
                 "mixed": "mixed", "direct": "direct", "total": "all"},
          "zh": {"demand": "需求侧", "supply": "供给侧", "common": "共同（电商）",
                 "mixed": "跨侧", "direct": "直接效应", "total": "全部"}}
_MECH_ROWS = {"en": {"side": "{side} side total", "difference": "difference demand − supply",
                     "total": "total indirect effect", "direct": "direct effect c′ (D → {y})"},
              "zh": {"side": "{side}合计", "difference": "需求侧 − 供给侧之差",
                     "total": "总间接效应", "direct": "直接效应 c′（D → {y}）"}}


def mechanism_vs_truth(result, truth, language: str = "en",
                       labels=None) -> pd.DataFrame:
    """Mediation estimates beside the simulator's truth.

    A serial analysis gives every specific indirect effect, the side totals and their
    difference; a one-mediator analysis (stepwise, the demo before the chains) gives a, b,
    a·b and the share mediated.

    Parameters
    ----------
    result : MediationResult
        ``did_zones.mediation(panel, "isu", method="serial", chains=CHAINS, ...)`` on the
        panel simulated with ``mechanism=True``, or ``did_zones.mediation(panel, "isu",
        "ecom", method="stepwise", ...)`` with one mediator.
    truth : SimulationTruth
        ``simulate_pilot_panel(...).truth``. One mediator: its ``a``, ``b``, ``indirect``
        and ``share_mediated`` (``indirect / overall``) are exact by construction. Serial:
        from ``simulate_pilot_panel(..., mechanism=True)``, ``truth.mechanism`` holds the
        effect of every path from the pilot ``D`` to ``isu`` (mean over treated city-years,
        exact by construction), ``demand_total`` / ``supply_total`` / ``common_total`` the
        sums by side and ``direct`` the effect that bypasses every mediator.
    language : {"en", "zh"}
        Language of the headers and row names.
    labels : mapping, optional
        Display names of the columns (``ecom``, ``imports``, ..., ``isu``).

    Returns
    -------
    pandas.DataFrame
        One mediator: four rows (a, b, a·b, share mediated), columns quantity, estimate,
        truth. Serial: one row per estimated path (``D → ecom → imports → consumption →
        isu``, ...), then
        the side totals, the difference demand − supply, the total indirect effect and the
        direct effect; columns path, side, estimate, 95% interval (the bootstrap interval
        of the analysis, else the delta-method one) and truth. A path the simulator does
        not have (e.g. ``D → imports → isu``: the pilot moves imports only through
        e-commerce) has truth 0.
    """
    if result.method != "serial":
        est = result.tidy().set_index("term")["estimate"]
        quantity, estimate, true = _ONE_HEADERS[language]
        return pd.DataFrame({
            quantity: list(_ONE_ROWS[language]),
            estimate: [float(est["a"]), float(est["b"]), float(est["a*b"]),
                       float(est["share"])],
            true: [truth.a, truth.b, truth.indirect, truth.share_mediated]})
    labels = dict(labels or {})
    name = labels.get
    y = result.total.outcome
    true = {tuple(p.split(" -> ")[1:-1]): e for p, e in
            zip(truth.mechanism["path"], truth.mechanism["effect"], strict=True)}
    sides, rows_text = _SIDES[language], _MECH_ROWS[language]
    rows = []

    def ci(r) -> str:
        return f"[{r['conf_low']:.4f}, {r['conf_high']:.4f}]"

    paths = result.paths
    for _, r in paths.loc[paths["kind"] == "path"].iterrows():
        chain = tuple(r["path"].split(" -> "))
        label = " → ".join(["D", *(name(m, m) for m in chain), name(y, y)])
        rows.append((label, sides.get(r["side"], r["side"]), r["estimate"], ci(r),
                     float(true.get(chain, 0.0))))
    totals = {"demand": truth.demand_total, "supply": truth.supply_total,
              "common": truth.common_total}
    for _, r in paths.loc[paths["kind"] == "side total"].iterrows():
        side = sides.get(r["side"], r["side"])
        rows.append((rows_text["side"].format(side=side), side, r["estimate"], ci(r),
                     float(totals.get(r["side"], float("nan")))))
    for _, r in paths.loc[paths["kind"] == "difference"].iterrows():
        a, _, b = r["path"].partition(" - ")
        rows.append((rows_text["difference"], f"{sides.get(a, a)} − {sides.get(b, b)}",
                     r["estimate"], ci(r),
                     float(totals.get(a, float("nan")) - totals.get(b, float("nan")))))
    tot = paths.loc[paths["kind"] == "total indirect"].iloc[0]
    rows.append((rows_text["total"], sides["total"], tot["estimate"], ci(tot),
                 float(truth.total - truth.direct)))
    direct = result.tidy().set_index("term").loc["c'"]
    rows.append((rows_text["direct"].format(y=name(y, y)), sides["direct"],
                 float(direct["estimate"]), ci(direct), float(truth.direct)))
    return pd.DataFrame(rows, columns=list(_MECH_HEADERS[language]))


_DISPLAY_HEADS = {"en": ("e / estimand", "truth"), "zh": ("e / 估计目标", "真值")}


def _display(table: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """Estimate (standard error) strings by event time, beside the truth."""
    names = [c for c in table.columns if c != "truth" and not c.endswith(" se")]
    row_head, truth_head = _DISPLAY_HEADS[language]
    out = pd.DataFrame({row_head: [_row_label(r, language) for r in table.index],
                        truth_head: [f"{v:.4f}" for v in table["truth"]]})
    for n in names:
        out[n] = ["—" if pd.isna(est) else f"{est:.4f} ({se:.4f})"
                  for est, se in zip(table[n], table[f"{n} se"], strict=True)]
    return out


def _row_label(row: str, language: str = "en") -> str:
    from .tables.estimand_labels import estimand_label

    if row.lstrip("-").isdigit():
        return f"e = {row}"
    name, _, window = row.partition(" e=")
    a, _, b = window.partition("..")
    return estimand_label(name, float(a) if a else float("nan"),
                          float(b) if b else float("nan"), language=language)


_DESIGN_TRUTH = {
    "en": {"spatial": "Against the truth: the simulated panel has no spillover, so the true "
                      "indirect effect of the pilot and every ring's spillover are 0 (estimated "
                      "indirect effect {indirect:.4f}, s.e. {indirect_se:.4f}).",
           "synthetic": "Against the truth: Hangzhou's true effect, averaged over its treated years "
                        "{first}–{last}, is {truth:.4f} (synthetic DiD {estimate:.4f}, s.e. "
                        "{se:.4f})."},
    "zh": {"spatial": "与真值对照：模拟面板没有空间溢出，试点的真实间接效应与各距离环的溢出均为 0"
                      "（间接效应估计值 {indirect:.4f}，标准误 {indirect_se:.4f}）。",
           "synthetic": "与真值对照：杭州在处理年份 {first}–{last} 的平均真实效应为 {truth:.4f}"
                        "（合成双重差分 {estimate:.4f}，标准误 {se:.4f}）。"},
}


def design_truth_items(output, language: str = "en") -> dict:
    """The demo's truth beside the spillover and single-city estimates (section key ->
    items): no spillover in the simulated panel; 杭州's mean effect over its treated years."""
    from .report import Item

    truth, words = output.simulation.truth, _DESIGN_TRUTH[language]
    out: dict[str, tuple] = {}
    sdm = output.results.get(f"spatial_did:{OUTCOME}")
    if sdm is not None:
        term = "indirect: treated"
        out["spatial"] = (Item("text", words["spatial"].format(
            indirect=sdm.estimate[term], indirect_se=sdm.std_error[term])),)
    sdid = output.results.get(f"synthetic_sdid:{OUTCOME}")
    if sdid is not None:
        gt = truth.att_gt
        post = gt[(gt["cohort"] == 2015) & (gt["time"] >= 2015)]
        out["synthetic"] = (Item("text", words["synthetic"].format(
            first=int(post["time"].min()), last=int(post["time"].max()),
            truth=float(post["att"].mean()), estimate=sdid.estimate[sdid.primary],
            se=sdid.std_error[sdid.primary])),)
    return out


TRUTH_TEXT_ZH = (
    "按事件时间 e、再按具名估计目标列出估计值（标准误）；每个数都与模拟潜在结果的同一估计目标"
    "对照：简单 ATT 对照全部处理城市-年份的平均效应（或估计量所平均的窗口内的城市-年份），"
    "事件平均 ATT 对照同一组 e 上真实 ATT(e) 的平均，即时效应（dCDH 的 DID_M）对照真实 ATT(0)。"
    "参照期 e = -1（TWFE 事件研究、Sun-Abraham、did2s；CS 使用变动基期，BJS 的处理前各项是其"
    "预趋势检验系数）；dCDH 安慰剂以同样距离与 e = -1 比较。TWFE 系数在真值中没有对应（其权重"
    "取决于设计），故未列出。\u2014：该估计量不给出此估计目标（原因见稳健估计量比较一节）。只有"
    "产业结构层次系数（ISU）有已知真值：模拟器设定的是对 ISU 的效应，其他结果变量（如 TS）是各"
    "产业份额的非线性函数，模拟器不计算其真实效应。全精度数值见 "
    "tables/estimates_vs_truth_values.csv。")
_NOTE = {
    "en": "Demo sizes: {n_draws} placebo draws and {n_boot} bootstrap draws of the indirect "
          "effects (moderate, so that the demo runs in under a minute; use more in a paper).",
    "zh": "演示规模：安慰剂抽样 {n_draws} 次，间接效应自助抽样 {n_boot} 次（适中，使演示在一分钟"
          "内完成；论文中请用更多次数）。",
}
_TRUTH_TITLES = {
    "en": ("Estimates against the truth",
           "Estimates against the truth: hierarchy index (ISU)"),
    "zh": ("估计值与真值对照", "估计值与真值对照：产业结构层次系数（ISU）"),
}

TRUTH_TEXT = (
    "Estimate (standard error) by event time e, then by named estimand; each number is "
    "set against the same estimand of the simulated potential outcomes: the simple ATT "
    "against the mean effect over all treated city-years (or over those with e in the "
    "window the estimator averages), the event-average ATT against the mean of the true "
    "ATT(e) over the same e, the instantaneous effect (dCDH's DID_M) against the true "
    "ATT(0). Reference period e = -1 (TWFE event study, Sun-Abraham, did2s; CS uses the "
    "varying base period and BJS's pre-period terms are its pre-trend test coefficients); "
    "dCDH placebos compare e with e = -1 at the same distance. The TWFE coefficient has no "
    "counterpart in the truth (its weights depend on the design) and is left out. "
    "\u2014: the estimator does not give that estimand (see the staggered-robust "
    "comparison for why). Only the hierarchy index (ISU) has a known truth: the simulator "
    "sets the effects on ISU, and the other outcomes (e.g. TS) are nonlinear functions of "
    "the sector shares whose true effects it does not compute. Full-precision numbers: "
    "tables/estimates_vs_truth_values.csv.")


MECHANISM_TEXT = {
    "en": "The founding mechanism against the simulator's truth. The panel is simulated with "
          "the two-sided mechanism switched on: the pilot raises e-commerce activity, which "
          "acts on the hierarchy index directly and through the demand side (CBEC imports → "
          "consumption upgrading) and the supply side (CBEC exports → innovation). Each "
          "estimated specific indirect effect (a·d…·b, branched serial mediation with the "
          "demo's controls) is set beside its true value, the mean over treated city-years "
          "of the product of the simulated path coefficients; a path the simulator does not "
          "have (the pilot reaches the side mediators only through e-commerce) has truth 0. "
          "Then the side totals, their difference (demand − supply), the total indirect "
          "effect and the direct effect c′. Intervals: {n_boot} cluster-bootstrap draws "
          "({interval}).",
    "zh": "创始机制与模拟真值对照。面板数据在开启双侧机制的情形下模拟：试点提高跨境电商活动，"
          "后者既直接作用于产业结构层次系数，也经需求侧（跨境电商进口 → 消费升级）和供给侧"
          "（跨境电商出口 → 技术创新）发挥作用。每条路径的特定间接效应（a·d…·b，含控制变量的"
          "分支链式中介）与其真值并列，真值为模拟路径系数之积在处理城市-年份上的均值；模拟中"
          "不存在的路径（试点只通过跨境电商影响两侧中介变量）真值为 0。其后为两侧合计、二者之差"
          "（需求侧 − 供给侧）、总间接效应和直接效应 c′。置信区间：城市整群自助抽样 {n_boot} "
          "次（{interval}）。",
}
_INTERVAL_NAMES = {"en": {"bc": "bias-corrected", "percentile": "percentile", "bca": "BCa"},
                   "zh": {"bc": "偏差校正法", "percentile": "百分位法", "bca": "BCa 法"}}
_MECH_TITLE = {"en": "Mechanism against the truth: demand side and supply side",
               "zh": "机制检验与真值对照：需求侧与供给侧"}


def mechanism_items(output, language: str = "en"):
    """The demo's additions to the Mechanism section: text, the table and its name.

    Parameters
    ----------
    output : StudyOutput
        The demo study's output (``mediation:serial`` in its results, the simulation with
        its truth).
    language : {"en", "zh"}

    Returns
    -------
    (tuple of Item, Table, DataFrame)
        The items to append, the table ``mechanism_vs_truth`` and its full-precision frame.
    """
    from .report import Item
    from .tables import Table

    cfg = output.config
    res = output.results["mediation:serial"]
    frame = mechanism_vs_truth(res, output.simulation.truth, language,
                               labels=dict(cfg.study.labels))
    shown = frame.copy()
    for col in (frame.columns[2], frame.columns[4]):
        shown[col] = [f"{v:.4f}" for v in frame[col]]
    text = MECHANISM_TEXT[language].format(
        n_boot=cfg.mechanism.n_boot,
        interval=_INTERVAL_NAMES[language].get(cfg.mechanism.interval, cfg.mechanism.interval))
    table = Table.from_frame(shown, title=_MECH_TITLE[language])
    return (Item("text", text), Item("table", "mechanism_vs_truth")), table, frame


def run_demo(out: Path, seed: int = 0, overwrite: bool = False,
             progress: bool = True, language: str = "en") -> Path:
    """Run the demo study and write its report to ``out``.

    Parameters
    ----------
    out : pathlib.Path
        Output folder: absent, empty, or with ``overwrite`` a folder an earlier report
        wrote (see :func:`did_zones.report.write_report` for the manifest).
    seed : int
        Seed of the simulated panel and of every random step.
    overwrite : bool
        Replace an earlier report: only the files its manifest lists are removed.
    progress : bool
        Progress lines on stderr.
    language : {"en", "zh"}
        Language of the report: its text, tables, notes and figure labels (Chinese:
        ``"zh"``, figures drawn with the bundled CJK font).

    Returns
    -------
    pathlib.Path
        The path of ``report.html`` (``report.md`` sits beside it).

    Raises
    ------
    SpecificationError
        If ``out`` may not be written (see :func:`did_zones.report.check_folder`): an
        earlier report without ``overwrite``, a non-empty folder no report wrote, the
        current, home or root folder. Checked before the study runs.
    """
    from .report import Item, Section, check_folder, run_study, write_report
    from .tables import Table

    out = Path(out)
    config = demo_config(seed, language)  # checks the language before anything runs
    check_folder(out, overwrite)
    output = run_study(config, progress=progress)
    results = {key.rpartition(":")[0]: res for key, res in output.results.items()
               if key.endswith(f":{OUTCOME}")}
    sim = output.simulation
    comparison = event_time_comparison(results, sim.truth)
    section_title, table_title = _TRUTH_TITLES[language]
    table = Table.from_frame(_display(comparison, language), title=table_title)
    note = _NOTE[language].format(n_draws=N_DRAWS, n_boot=N_BOOT)
    truth_text = TRUTH_TEXT_ZH if language == "zh" else TRUTH_TEXT
    truth = Section("truth", section_title,
                    (Item("text", truth_text), Item("table", "estimates_vs_truth")))
    sections = list(output.sections)
    at = next((i + 1 for i, s in enumerate(sections) if s.key == "event"), len(sections))
    sections.insert(at, truth)
    mech_item, mech_table, mech = mechanism_items(output, language)
    design_truth = design_truth_items(output, language)
    sections = [replace(s, items=(*s.items, *mech_item)) if s.key == "mechanism" else
                replace(s, items=(*s.items, *design_truth[s.key])) if s.key in design_truth
                else s for s in sections]
    sections[0] = replace(sections[0], items=(Item("text", note), *sections[0].items))
    output = replace(output, sections=tuple(sections),
                     tables=MappingProxyType({**output.tables, "estimates_vs_truth": table,
                                              "mechanism_vs_truth": mech_table}),
                     results=MappingProxyType({**output.results, "truth": sim.truth}))
    values = {"tables/estimates_vs_truth_values.csv": comparison.to_csv(),
              "tables/mechanism_vs_truth_values.csv": mech.to_csv(index=False)}
    return write_report(output, out, overwrite=overwrite, progress=progress,
                        extra_files=values)
