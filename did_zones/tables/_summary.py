"""Plain-text summary of one Result (``Result.summary``). Reads only tidy() and glance().

This module formats; it never computes a statistic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..result import Result

__all__ = ["summary_text", "MARK"]

#: marks a term whose p-value comes from a test that replaced the analytic inference
MARK = "†"


def summary_text(result: Result, alpha: float = 0.05) -> str:
    """Plain-text summary of one result: header facts, the coefficient table, the notes."""
    tidy = result.tidy(alpha=alpha)
    g = result.glance().iloc[0]
    level = int(round(100 * (1 - alpha)))
    lines = [
        f"{g['method']}  outcome: {g['outcome']}",
        f"observations: {g['n_obs']}   units: {g['n_units']}"
        + (f"   clusters: {g['n_clusters']}" if g["n_clusters"] is not None else ""),
        "",
    ]
    lines.insert(2, f"inference: {g['inference']}")
    cols = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    table = tidy[cols].rename(columns={"conf_low": f"[{level}% low", "conf_high": "high]"})
    replaced = tidy["inference_replaced"].to_numpy(dtype=bool)
    if replaced.any():  # the marker of the tables, with the test named below
        table["term"] = [f"{t} {MARK}" if r else t for t, r in zip(table["term"], replaced,
                                                                    strict=True)]
    lines.append(table.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    if replaced.any():
        lines += ["", f"{MARK} p-value and interval from a test replacing the analytic "
                      "inference (no t statistic shown):"]
        lines += [f"  {t}: {lab}" for t, lab in zip(tidy.loc[replaced, "term"],
                                                    tidy.loc[replaced, "inference"],
                                                    strict=True)]
    if result.notes:
        lines += ["", "Notes:"] + [f"  - {n}" for n in result.notes]
    return "\n".join(lines)
