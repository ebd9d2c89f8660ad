"""Figures of a pilot-policy study (matplotlib, imported only when a figure is drawn).

Every function reads only what results publish (``tidy()``, ``glance()``, ``keys``,
``details``), draws on ``ax`` (or a new figure) and returns the
:class:`matplotlib.figure.Figure`. Labels may be Chinese: they are drawn with an installed CJK
font, or else with the subset of Noto Sans CJK SC bundled with the package (SIL Open Font
License), while Latin text stays in DejaVu Sans. Every function takes ``font=`` (a family name
or a font file) to choose another font; characters that no font of a figure has are named in
one :class:`FontWarning`.

================================  =====================================================
:func:`event_study_plot`          event-study coefficients, several estimators overlaid
:func:`placebo_plot`              distribution of placebo estimates, real estimate marked
:func:`in_time_plot`              in-time placebo estimates by shift of the pilot dates
:func:`bacon_plot`                Goodman-Bacon scatter of 2×2 estimates against weights
:func:`twfe_weights_plot`         dCDH weights of the TWFE coefficient by event time
:func:`honest_plot`               HonestDiD robust intervals over M̄ (M) and the original
:func:`adoption_plot`             unit × period grid of pilot status by batch (panelview)
:func:`mediation_diagram`         path diagram D → M → Y with a, b, c′ (c) and stars
:func:`synthetic_plot`            treated vs synthetic path and their gap (SC, SDID)
:func:`synthetic_weights_plot`    donor weights ω and SDID's pre-period weights λ
:func:`placebo_gaps_plot`         treated gap over the donors' placebo gaps (Abadie)
:func:`dose_response_plot`        ATT(d) / ACRT(d) of a continuous-dose DiD with its band
================================  =====================================================

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import did_zones as dz
>>> sim = dz.simulate_pilot_panel(seed=1)
>>> panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
>>> fig = dz.plots.event_study_plot(dz.event_study(panel, "isu"), language="zh")
>>> fig.savefig("event_study.pdf")  # doctest: +SKIP
"""

from __future__ import annotations

from .adoption import adoption_plot
from .diagnostics import bacon_plot, twfe_weights_plot
from .dose import dose_response_plot
from .event import event_study_plot
from .fonts import FontWarning, cjk_rc, find_cjk_font, has_cjk, use_cjk_font
from .mediation import mediation_diagram
from .placebo import in_time_plot, placebo_plot
from .sensitivity import honest_plot
from .synthetic import placebo_gaps_plot, synthetic_plot, synthetic_weights_plot

__all__ = [
    "event_study_plot", "placebo_plot", "in_time_plot", "bacon_plot", "twfe_weights_plot",
    "honest_plot", "adoption_plot", "mediation_diagram", "synthetic_plot",
    "synthetic_weights_plot", "placebo_gaps_plot", "dose_response_plot",
    "FontWarning", "find_cjk_font", "use_cjk_font", "cjk_rc", "has_cjk",
]
