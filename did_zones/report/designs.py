"""The study steps of the designs beyond staggered DiD: spillovers and single-city designs.

``spatial`` runs the spatial DiD of ``[spatial]`` (and its ring spillover DiD) on the study's
panel with the weight matrix the section asks for; ``synthetic`` runs synthetic DiD and
synthetic control for the treated units of ``[synthetic]``. Numbers come from
:mod:`did_zones.spatial` and :mod:`did_zones.synthetic`, tables from :mod:`did_zones.tables`,
figures from :mod:`did_zones.plots`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from .parts import Item, frame_table, text, unit_names

__all__ = ["spatial", "synthetic", "weights_for"]


def _lang(run) -> str:
    return run.config.study.language


def _outcomes(run, section) -> tuple[str, ...]:
    return section.outcomes or (run.config.study.outcomes[0],)


# ------------------------------------------------------------------ spillovers


def weights_for(cfg, panel, data: pd.DataFrame | None = None):
    """The :class:`~did_zones.spatial.SpatialWeights` that ``[spatial]`` asks for, over the
    panel's units (prefecture coordinates, or the square CSV of ``spatial.file``)."""
    from ..spatial import SpatialWeights, builders

    if cfg.weights == "file":
        frame = pd.read_csv(cfg.file, index_col=0)
        frame.columns = _like(pd.Index(frame.columns), frame.index)
        return SpatialWeights.from_frame(frame, kind="file").align(panel)
    if cfg.weights == "inverse_distance":
        return builders.inverse_distance(panel, power=cfg.power, cutoff_km=cfg.cutoff_km)
    if cfg.weights == "knn":
        return builders.knn(panel, k=cfg.k)
    if cfg.weights == "distance_band":
        return builders.distance_band(panel, upper_km=cfg.upper_km, lower_km=cfg.lower_km)
    frame = panel.data if data is None else data
    if cfg.economic not in frame.columns:
        raise SpecificationError(
            f"spatial.economic: column {cfg.economic!r} is not in the data; name the column "
            "whose city means define the economic distance (e.g. \"lngdp_pc\").")
    values = frame.groupby(panel.unit)[cfg.economic].mean()
    return builders.economic_distance(values.reindex(panel.units))


def _like(labels: pd.Index, ids: pd.Index) -> pd.Index:
    """CSV header labels (text) as the type of the row ids (e.g. integer city codes)."""
    if pd.api.types.is_integer_dtype(ids):
        converted = pd.to_numeric(labels, errors="coerce")
        if not np.isnan(np.asarray(converted, dtype=float)).any():
            return pd.Index(converted.astype(np.int64))
    return labels


def spatial(run) -> None:
    """Spatial DiD (and the ring spillover DiD) of ``[spatial]``."""
    from .. import ring_did, spatial_did

    cfg, s = run.config.spatial, run.config.study
    panel = run.results["__panel__"]
    lang = _lang(run)
    W = weights_for(cfg, panel)
    items = [Item("text", text(run, "spatial", model=cfg.model.upper(), weights=_describe(W)))]
    for y in _outcomes(run, cfg):
        res = spatial_did(panel, y, W, model=cfg.model, controls=s.controls)
        run.results[f"spatial_did:{y}"] = res
        items.append(run.table(f"spatial_did_{y}", res.to_table(
            title=text(run, "spatial_title", outcome=s.labels.get(y, y)), language=lang)))
        if cfg.rings:
            rings = ring_did(panel, y, rings=cfg.rings)
            run.results[f"ring_did:{y}"] = rings
            items.append(Item("text", text(run, "rings", rings=_ring_words(cfg.rings))))
            items.append(run.table(f"ring_did_{y}", rings.to_table(
                title=text(run, "rings_title", outcome=s.labels.get(y, y)), language=lang)))
    run.section("spatial", *items)


def _describe(W) -> str:
    params = ", ".join(f"{k}={v}" for k, v in W.params.items() if v is not None)
    return f"{W.kind}" + (f" ({params})" if params else "") + (
        ", row-standardised" if W.row_standardized else "")


def _ring_words(edges) -> str:
    return ", ".join(f"{a:g}–{b:g}" for a, b in zip(edges[:-1], edges[1:], strict=True))


# ----------------------------------------------------------- single-city designs

_METHODS = {"en": {"sdid": "Synthetic DiD", "sc": "Synthetic control", "did": "DiD"},
            "zh": {"sdid": "合成双重差分", "sc": "合成控制法", "did": "双重差分"}}


def _named_units(panel, units, language: str) -> str:
    """The treated units by name (when the data carry name columns) and id."""
    names = unit_names(panel, units, language, columns=1)
    return ", ".join(f"{names[u]} ({u})" if u in names else str(u) for u in units)


def synthetic(run) -> None:
    """Synthetic DiD and synthetic control for the treated units of ``[synthetic]``."""
    from .. import synthdid, synthetic_control
    from ..plots import placebo_gaps_plot, synthetic_plot, synthetic_weights_plot

    cfg, s = run.config.synthetic, run.config.study
    panel = run.results["__panel__"]
    lang = _lang(run)
    units = _treated_units(cfg, panel)
    names = _named_units(panel, units, lang)
    run.seeds["synthetic"] = s.seed
    items = [Item("text", text(run, "synthetic", units=names, se=cfg.se,
                               n_reps=cfg.n_reps))]
    for y in _outcomes(run, cfg):
        rows = []
        for method in cfg.methods:
            if method == "sc":
                res = synthetic_control(panel, y, treated=list(units))
            else:
                res = synthdid(panel, y, method=method, treated=list(units),
                               se=None if cfg.se == "none" else cfg.se, n_reps=cfg.n_reps,
                               seed=s.seed)
            run.results[f"synthetic_{method}:{y}"] = res
            term = res.primary
            rows.append({"method": _METHODS[lang][method], "estimate": res.estimate[term],
                         "std_error": res.std_error[term], "p_value": res.p_value[term]})
        table = pd.DataFrame(rows)
        items.append(run.table(f"synthetic_{y}", frame_table(
            table, text(run, "synthetic_title", outcome=s.labels.get(y, y)), run=run)))
        main = run.results[f"synthetic_{cfg.methods[0]}:{y}"]
        items.append(run.figure(f"synthetic_{y}", synthetic_plot(main, language=lang,
                                                                  font=s.font)))
        items.append(run.figure(f"synthetic_weights_{y}", synthetic_weights_plot(
            main, language=lang, font=s.font)))
        if "sc" in cfg.methods:
            sc = run.results[f"synthetic_sc:{y}"]
            items.append(run.figure(f"synthetic_placebos_{y}", placebo_gaps_plot(
                sc, language=lang, font=s.font)))
    run.section("synthetic", *items)


def _treated_units(cfg, panel) -> tuple:
    """``synthetic.units``, checked against the panel, or the earliest cohort's units."""
    treated = pd.Index(panel.units[np.isfinite(panel.cohort)])
    if cfg.units:
        units = pd.Index(cfg.units)
        missing = units.difference(treated)
        if len(missing):
            raise SpecificationError(
                f"synthetic.units: {list(missing)} are not treated units of the panel (a "
                f"unit needs a pilot date); e.g. {list(treated[:3])}.")
        return tuple(units)
    if treated.empty:
        raise SpecificationError("synthetic: the panel has no treated unit.")
    first = np.nanmin(np.where(np.isfinite(panel.cohort), panel.cohort, np.nan))
    return tuple(panel.units[panel.cohort == first])
