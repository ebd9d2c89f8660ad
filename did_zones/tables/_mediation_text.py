"""Words for mediation results: the summary report and the one-sentence verdict.

Presentation only: reads ``MediationResult.tidy()``, ``steps``, ``tests`` and
``conclusion``; computes no statistic. Registered as the ``summary`` and ``verdict``
renderers of :class:`~did_zones.mechanism.MediationResult` (see :mod:`did_zones._render`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..mechanism.result import MediationResult

__all__ = ["summary", "verdict", "serial_notes", "CHANNEL_CAVEAT", "STEPWISE_CAVEAT",
           "SERIAL_CAVEAT"]

CHANNEL_CAVEAT = (
    "Why the channel test is the default: the mediator is itself an outcome of the pilot "
    "(a post-treatment variable). D -> M is identified with the same design as D -> Y, but "
    "regressing Y on D and M is not causal without further assumptions (sequential "
    "ignorability), so M -> Y must be argued from theory and prior evidence. "
    "为何默认渠道检验: 中介变量是政策的结果变量; 用与主效应相同的设计识别 D 对 M 的影响, "
    "M 对 Y 的作用依据理论与已有文献论证, 不把 Y 对 D 和 M 的回归当作因果 "
    "(江艇 2022, 中国工业经济 (5): 100-120)."
)
STEPWISE_CAVEAT = (
    "Caveat: b and c' come from regressing Y on D and the post-treatment mediator M; they "
    "are causal only if nothing unobserved drives both M and Y (sequential ignorability; "
    "Imai, Keele & Tingley 2010). 逐步回归法的 b 与 c' 需要序贯可忽略性假设 (江艇 2022)."
)
SERIAL_CAVEAT = (
    "Caveat: every link of a chain (d: M_k -> M_j, b: M -> Y) comes from regressing a "
    "post-treatment variable on others; the specific indirect effects are causal only if "
    "nothing unobserved drives the mediators and the outcome (sequential ignorability for "
    "every mediator). The DiD design identifies D -> M_j (method='serial', "
    "serial_test='channel'). 链式中介效应的 d 与 b 路径需要对每个中介变量成立的序贯可忽略性假设; "
    "双重差分设计只识别政策对各中介变量的影响 (江艇 2022)."
)
_SERIAL_TERMS = ("path", "side", "difference")
_RULES = {"wen2014": "温忠麟 & 叶宝娟 (2014) revised procedure",
          "wen2004": "温忠麟 et al. (2004) procedure",
          "baron_kenny": "Baron & Kenny (1986) causal steps"}


def _fmt(v) -> str:
    try:
        return "" if v != v else f"{v:.4g}"  # NaN -> blank
    except TypeError:
        return "" if v is None else str(v)


def verdict(res: MediationResult) -> str:
    """One plain-language sentence on the analysis."""
    t = res.tidy()
    mediators = ", ".join(res.mediators)
    level = f"{100 * res.alpha:g}%"
    if res.method == "channel":
        a = t[t["quantity"].str.startswith("first stage")]
        moved = [m for m, p in zip(a["mediator"], a["p_value"], strict=True) if p < res.alpha]
        chain = ""
        if res.spec.get("serial_test") == "channel":
            chain = (f" In a chain, the links between the mediators "
                     f"({'; '.join(_links(res.spec['chains']))}) and from the mediators to "
                     f"{res.total.outcome} are not identified by this design: each mediator "
                     "is itself an outcome of the pilot.")
        if not moved:
            return (f"The pilot does not move {mediators} significantly at the {level} level, "
                    "so the data give no support to this channel." + chain)
        return (f"The pilot moves {', '.join(moved)} (same design as the main effect), which "
                f"is consistent with the channel; whether {', '.join(moved)} in turn raises "
                f"{res.total.outcome} is not tested by this design and rests on theory."
                + chain)
    if res.method == "serial":
        return _serial_verdict(res, t, level)
    share = res.share_mediated
    share_txt = f" (share {share:.1%})" if share == share else ""
    what = {
        "full mediation": f"the effect runs entirely through {mediators}{share_txt}",
        "partial mediation": f"part of the effect runs through {mediators}{share_txt}",
        "suppression": (f"{mediators} masks part of the effect: the indirect and direct effects "
                        f"have opposite signs (suppression, 遮掩效应{share_txt})"),
        "no mediation": f"no significant indirect effect through {mediators}",
        "inconclusive": f"the evidence on {mediators} is inconclusive",
    }[res.conclusion]
    how = ("causal mediation (Imai, Keele & Tingley 2010)" if res.method == "causal"
           else _RULES[res.spec["stepwise_rule"]])
    return (f"By the {how}, {what} at the {level} level, assuming no unobserved confounding "
            "of the mediator and the outcome.")


def _links(chains) -> list[str]:
    return list(dict.fromkeys(f"{u} -> {v}" for c in chains.values()
                              for u, v in zip(c[:-1], c[1:], strict=True)))


def _serial_verdict(res: MediationResult, t, level: str) -> str:
    """Serial mediation: the total indirect effect, the significant paths, the sides."""
    paths = res.paths  # labels and decisions only; the numbers come from tidy()
    ok = ("full mediation", "partial mediation", "suppression")
    sig = [p for p, k, c in zip(paths["path"], paths["kind"], paths["conclusion"],
                                strict=True) if k == "path" and c in ok]
    tot = t[t["term"] == "sum(a*b)"].iloc[0]
    text = (f"Serial mediation (PROCESS model 6, {_RULES[res.spec['stepwise_rule']]}): total "
            f"indirect effect {_fmt(tot['estimate'])} ({res.conclusion}) at the {level} "
            f"level; significant paths: {', '.join(sig) if sig else 'none'}")
    sides = t[t["term"] == "side"]
    if len(sides):
        text += "; side totals: " + ", ".join(
            f"{m} {_fmt(e)} (p = {_fmt(p)})"
            for m, e, p in zip(sides["mediator"], sides["estimate"], sides["p_value"],
                               strict=True))
    for _, r in t[t["term"] == "difference"].iterrows():
        text += f"; difference {r['mediator']} {_fmt(r['estimate'])} (p = {_fmt(r['p_value'])})"
    return text + ". Causal only if nothing unobserved drives the mediators and the outcome."


def serial_notes(res: MediationResult, language: str = "en", digits: int = 3) -> list[str]:
    """Table notes of a serial analysis: every path, the side totals and differences as
    ``estimate (std. error)``, with stars of the decision's p-value."""
    if res.method != "serial":
        return []
    t = res.tidy()
    t = t[t["term"].isin(_SERIAL_TERMS + ("sum(a*b)",))]

    def cell(r):
        p = r["p_value"]
        star = "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""
        return f"{r['estimate']:.{digits}f}{star} ({r['std_error']:.{digits}f})"

    words = {"en": {"path": "Specific indirect effects", "side": "side totals",
                    "difference": "differences", "sum(a*b)": "total indirect effect"},
             "zh": {"path": "特定路径间接效应", "side": "分侧合计", "difference": "差异检验",
                    "sum(a*b)": "总间接效应"}}[language]
    sep, colon = ("；", "：") if language == "zh" else ("; ", ": ")
    out = []
    for term in ("path", "sum(a*b)", "side", "difference"):
        rows = t[t["term"] == term]
        if len(rows):
            body = sep.join(cell(r) if term == "sum(a*b)" else f"{r['mediator']} {cell(r)}"
                            for _, r in rows.iterrows())
            out.append(f"{words[term]}{colon}{body}")
    return out


def summary(res: MediationResult) -> str:
    """Plain-text report: header, quantities, decision steps, tests, verdict, caveats."""
    level = int(round(100 * (1 - res.alpha)))
    total = res.total
    lines = [
        f"Mediation analysis ({res.method})  outcome: {total.outcome}   mediator(s): "
        f"{', '.join(res.mediators)}",
        f"estimator: {res.spec.get('estimator')}   observations: {total.n_obs}   units: "
        f"{total.n_units}" + (f"   clusters: {total.n_clusters}" if total.n_clusters else ""),
        "",
    ]
    t = res.tidy()
    cols = ["quantity", "mediator", "term", "estimate", "std_error", "p_value",
            "conf_low", "conf_high"]
    serial = t[t["term"].isin(_SERIAL_TERMS)]
    t = t[~t["term"].isin(_SERIAL_TERMS)]
    table = t[cols].rename(columns={"conf_low": f"[{level}% low", "conf_high": "high]"})
    table["mediator"] = table["mediator"].fillna("")
    lines.append(table.to_string(index=False, float_format=lambda v: f"{v:.6g}",
                                 na_rep=""))
    if len(serial):
        lines += ["", "Specific indirect effects, side totals and differences (std_error: "
                  "delta method):"]
        st = serial[["term", "mediator", "estimate", "std_error", "p_value", "conf_low",
                     "conf_high"]].rename(columns={"mediator": "path",
                                                   "conf_low": f"[{level}% low",
                                                   "conf_high": "high]"})
        lines.append(st.to_string(index=False, float_format=lambda v: f"{v:.6g}",
                                  na_rep=""))
    if res.steps is not None and len(res.steps):
        lines += ["", "Decision steps" + (f" ({_RULES[res.spec['stepwise_rule']]})"
                                          if res.method in ("stepwise", "serial")
                                          else "") + ":"]
        steps = res.steps.copy()
        steps["mediator"] = steps["mediator"].fillna("")
        lines.append(steps.to_string(index=False, float_format=lambda v: f"{v:.4g}",
                                     na_rep=""))
    if res.tests:
        lines += ["", "Tests:"]
        for test in res.tests:
            lines.append(f"  {test.name}: statistic {_fmt(test.statistic)}, "
                         f"p = {_fmt(test.p_value)}")
    if res.bootstrap is not None:
        b = res.bootstrap
        lines.append(f"  (cluster bootstrap: {b.draws.shape[0]} draws of {b.n_clusters} "
                     f"{b.cluster} clusters, seed {b.seed}, {b.n_failed} failed; interval "
                     f"{res.spec.get('interval')})")
    for m, c in res.causal.items():
        lines.append(f"  sensitivity [{m}]: the ACME is zero at rho = "
                     f"{_fmt(c.extra['rho_at_zero'])} (error correlation of the two equations)")
    lines += ["", f"Conclusion: {res.conclusion}", f"Verdict: {res.verdict}", ""]
    lines.append(CHANNEL_CAVEAT if res.method == "channel" else
                 SERIAL_CAVEAT if res.method == "serial" else STEPWISE_CAVEAT)
    if res.notes:
        lines += ["", "Notes:"] + [f"  - {n}" for n in res.notes]
    return "\n".join(lines)
