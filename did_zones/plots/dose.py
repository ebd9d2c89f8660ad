"""Dose-response figure of a continuous-treatment DiD: ATT(d) or ACRT(d) with its band."""

from __future__ import annotations

from ..errors import SpecificationError
from ..validation import check_alpha
from ._common import axes, check_language, heading, text_context, word

__all__ = ["dose_response_plot"]


def dose_response_plot(result, *, parameter: str = "att", alpha: float = 0.05,
                       band: str = "pointwise", ax=None, title: str | None = None,
                       language: str = "en", font: str | None = None):
    """ATT(d) or ACRT(d) over the dose grid, with pointwise confidence band and average.

    Parameters
    ----------
    result : Result
        From :func:`did_zones.continuous_did`.
    parameter : {"att", "acrt"}
        The level effect ATT(d) or its derivative ACRT(d).
    alpha : float
        Band at level ``1 - alpha`` (for ``band="uniform"``: the ``alpha`` of the
        estimation).
    band : {"pointwise", "uniform"}
        Pointwise intervals, or the uniform (sup-t) band over the dose grid, which needs
        the multiplier bootstrap (``continuous_did(..., n_boot=999, seed=...)``).
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
        Not a continuous_did result (with dose curves), bad ``alpha``, ``parameter`` not
        "att" / "acrt", ``band`` not "pointwise" / "uniform", or a uniform band without
        the bootstrap or at another ``alpha``.

    Notes
    -----
    Reads ``tidy()``: the rows whose ``parameter`` is ``att`` (``acrt``) give the curve and
    its pointwise band (``conf_low``, ``conf_high``) or uniform band (``uniform_low``,
    ``uniform_high``); the dashed line is ``att_overall``
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
    if band not in ("pointwise", "uniform"):
        raise SpecificationError(f"band must be one of 'pointwise', 'uniform'; got {band!r}.")
    tidy = result.tidy(alpha=alpha)
    curve = tidy[tidy["parameter"] == parameter].sort_values("dose")
    if curve.empty:
        raise SpecificationError(
            "dose_response_plot needs the dose curves: estimate with aggregation='dose'.")
    low, high = "conf_low", "conf_high"
    if band == "uniform":
        if "uniform_low" not in curve.columns:
            raise SpecificationError(
                "A uniform band needs n_boot: re-estimate with continuous_did(..., "
                "n_boot=999, seed=1).")
        if abs(alpha - result.spec.get("alpha", 0.05)) > 1e-12:
            raise SpecificationError(
                f"The uniform band was computed for alpha={result.spec.get('alpha')}; "
                f"re-estimate with alpha={alpha}.")
        low, high = "uniform_low", "uniform_high"
    overall = tidy.loc[tidy["parameter"] == f"{parameter}_overall", "estimate"]
    ttl = heading(title, language, f"dose_{parameter}")
    with text_context([ttl], font, language):
        fig, ax = axes(ax, (6.4, 4.0))
        label = word(language, "ci" if band == "pointwise" else "uniform",
                     level=100 * (1 - alpha))
        ax.fill_between(curve["dose"], curve[low], curve[high], color="C0",
                        alpha=0.2, lw=0, label=label)
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
