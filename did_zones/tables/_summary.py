"""Plain-text summary of one Result (``Result.summary``). Reads only tidy() and glance().

This module formats; it never computes a statistic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..result import Result

__all__ = ["summary_text"]


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
    cols = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    table = tidy[cols].rename(columns={"conf_low": f"[{level}% low", "conf_high": "high]"})
    lines.append(table.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
    if result.notes:
        lines += ["", "Notes:"] + [f"  - {n}" for n in result.notes]
    return "\n".join(lines)
