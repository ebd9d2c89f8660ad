"""Dose-response figure of a continuous-treatment DiD: ATT(d) or ACRT(d) with its band."""

from __future__ import annotations

from ..errors import SpecificationError
from ..validation import check_alpha
from ._common import axes, check_language, heading, text_context, word

__all__ = ["dose_response_plot"]


def dose_response_plot(result, *, parameter: str = "att", alpha: float = 0.05,
                       ax=None, title: str | None = None,
                       language: str = "en", font: str | None = None):
    """ATT(d) or ACRT(d) over the dose grid, with pointwise confidence band and average.

    Parameters
    ----------
    result : Result
        From :func:`did_zones.continuous_did`.
    parameter : {"att", "acrt"}
        The level effect ATT(d) or its derivative ACRT(d).
    alpha : float
        Pointwise band at level ``1 - alpha``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default a new figure.
    title : str, optional
        Axes title; default names the parameter.
    language : {"en", "zh"}
        Language of the labels.
    font : str, optional
        CJK font family or font file (default: found automatically when needed).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SpecificationError
        Not a continuous_did result, bad ``alpha``, or ``parameter`` not "att" / "acrt".

    Notes
    -----
    Reads ``tidy()``: the rows whose ``parameter`` is ``att`` (``acrt``) give the curve and
    its pointwise band (``conf_low``, ``conf_high``); the dashed line is ``att_overall``
    (``acrt_overall``), the average over the treated units' doses.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd, did_zones as dz
    >>> d = np.r_[np.zeros(30), np.linspace(1, 2, 40)]
    >>> df = pd.DataFrame({"u": np.repeat(np.arange(70), 2), "t": np.tile([1, 2], 70),
    ...                    "g": np.repeat(np.where(d > 0, 2, 0), 2), "dose": np.repeat(d, 2)})
    >>> df["y"] = np.cos(np.arange(140)) + (df.t == 2) * df.dose ** 2
    >>> res = dz.continuous_did(dz.build_panel(df, "u", "t", cohort="g"), "y", dose="dose")
    >>> fig = dose_response_plot(res, parameter="acrt")
    """
    check_language(language)
    check_alpha(alpha)
    if getattr(result, "method", None) != "continuous_did":
        raise SpecificationError("dose_response_plot needs a Result of did_zones."
                                 f"continuous_did; got {getattr(result, 'method', type(result))!r}.")
    if parameter not in ("att", "acrt"):
        raise SpecificationError(f"parameter must be one of 'att', 'acrt'; got {parameter!r}.")
    tidy = result.tidy(alpha=alpha)
    curve = tidy[tidy["parameter"] == parameter].sort_values("dose")
    overall = tidy.loc[tidy["parameter"] == f"{parameter}_overall", "estimate"]
    ttl = heading(title, language, f"dose_{parameter}")
    with text_context([ttl], font, language):
        fig, ax = axes(ax, (6.4, 4.0))
        ax.fill_between(curve["dose"], curve["conf_low"], curve["conf_high"], color="C0",
                        alpha=0.2, lw=0, label=word(language, "ci", level=100 * (1 - alpha)))
        ax.plot(curve["dose"], curve["estimate"], color="C0", lw=2)
        if len(overall):
            ax.axhline(float(overall.iloc[0]), color="C3", ls="--", lw=1.2,
                       label=word(language, "dose_overall"))
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set_xlabel(word(language, "dose"))
        ax.set_ylabel(word(language, "estimate"))
        ax.set_title(ttl)
        ax.legend(frameon=False, fontsize="small")
    return fig
