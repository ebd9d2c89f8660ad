"""The founding mechanism in the simulator: e-commerce, trade, consumption and innovation.

Used by :func:`did_zones.simulate.simulate_pilot_panel` when ``mechanism=`` is given. The
structural model is a static linear recursive system (a DAG) on top of the simulator's
e-commerce index ``ecom``::

    D -> ecom -> imports -> consumption -> isu      (demand side)
         ecom -> exports -> innovation  -> isu      (supply side)
         ecom -> isu,  D -> isu                     (common and direct)

plus the skip edges imports -> isu, exports -> isu, ecom -> consumption and
ecom -> innovation. Every mediator is ``city effect + year effect + sum of coefficient *
parent + AR(1) noise``; its noise is drawn from a random stream of its own (a child of the
seed), so the rest of the panel is the same draw with or without the mechanism.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import SpecificationError
from .validation import did_you_mean

#: The new mediators in topological order, each with its side of the mechanism.
CHANNELS: tuple[str, ...] = ("imports", "exports", "consumption", "innovation")
SIDES: dict[str, str] = {
    "ecom": "common", "imports": "demand", "consumption": "demand",
    "exports": "supply", "innovation": "supply",
}
OUTCOME = "isu"

#: Default structural coefficients of the edges set through ``mechanism=`` (the edges
#: D -> ecom, ecom -> isu and D -> isu are the simulator's ``a``, ``b`` and ``direct``).
DEFAULT_MECHANISM: Mapping[str, float] = {
    "ecom->imports": 0.20,
    "ecom->exports": 0.30,
    "imports->consumption": 0.08,
    "exports->innovation": 0.40,
    "ecom->consumption": 0.0,
    "ecom->innovation": 0.0,
    "imports->isu": 0.01,
    "consumption->isu": 0.15,
    "exports->isu": 0.005,
    "innovation->isu": 0.04,
}
_RESERVED = {"d->ecom": "a", "ecom->isu": "b", "d->isu": "direct"}
_SIDE_KEYS = {"demand": ("imports", "consumption"), "supply": ("exports", "innovation")}


@dataclass(frozen=True)
class _Level:
    """Untreated level of a mediator: year-mean path ``mean + trend * (year - 2010)``, sd of
    the city effect, its loading on the (standardized) pilot index, sd and autocorrelation
    of the AR(1) shock."""

    mean: float
    trend: float
    between: float
    sel: float
    sd: float
    rho: float


# Plausible levels for Chinese prefectures around 2010-2020 (not fitted to data; see the
# Notes of simulate_pilot_panel): imports and exports are log customs trade / GDP (about 6%
# and 10% in 2010, falling), consumption is log retail sales of consumer goods per capita
# (yuan, about 12,000 in 2010, +9% a year), innovation is log patents granted per 10,000
# people (about 4 in 2010, +12% a year).
_LEVELS: Mapping[str, _Level] = {
    "imports": _Level(-2.9, -0.03, 1.4, 0.4, 0.25, 0.6),
    "exports": _Level(-2.3, -0.02, 1.2, 0.4, 0.20, 0.6),
    "consumption": _Level(9.4, 0.09, 0.5, 0.5, 0.04, 0.6),
    "innovation": _Level(1.4, 0.12, 1.0, 0.5, 0.20, 0.6),
}


def _edge(key: str) -> tuple[str, str]:
    source, target = key.split("->")
    return source, target


def parse_mechanism(mechanism: object) -> dict[str, float] | None:
    """Structural coefficients of the mechanism edges from the ``mechanism=`` argument.

    None or False: no mechanism. True: :data:`DEFAULT_MECHANISM`. A mapping: edge keys
    ``"source->target"`` with a real coefficient (0 switches the edge off) and channel or
    side keys (``"imports"``, ..., ``"demand"``, ``"supply"``) with True/False; False sets
    every edge into and out of the channel's mediators to 0.
    """
    if mechanism is None or mechanism is False:
        return None
    if mechanism is True:
        return dict(DEFAULT_MECHANISM)
    if not isinstance(mechanism, Mapping):
        raise SpecificationError(
            "mechanism must be None, True (the default path coefficients) or a mapping of "
            "edge -> coefficient and channel -> True/False, e.g. {'ecom->exports': 0.3, "
            f"'demand': False}}; got {type(mechanism).__name__}."
        )
    edges = dict(DEFAULT_MECHANISM)
    explicit: dict[str, float] = {}
    off: list[str] = []
    switches = (*CHANNELS, *_SIDE_KEYS)
    for raw, value in mechanism.items():
        if not isinstance(raw, str):
            raise SpecificationError(
                f"mechanism keys must be strings (an edge like 'ecom->imports' or a channel "
                f"like 'imports'); got {raw!r}."
            )
        key = raw.replace(" ", "")
        if "->" in key:
            key = "->".join(part.lower() if part.lower() in ("d", OUTCOME) else part
                            for part in key.split("->"))
            if key.lower() in _RESERVED:
                name = _RESERVED[key.lower()]
                raise SpecificationError(
                    f"The edge {raw!r} is set by the argument {name}=, not in mechanism. "
                    f"Pass {name}=<value> to simulate_pilot_panel."
                )
            if key not in DEFAULT_MECHANISM:
                raise SpecificationError(
                    f"mechanism has no edge {raw!r}. Edges: {', '.join(DEFAULT_MECHANISM)} "
                    f"(D->ecom, ecom->isu and D->isu are a=, b= and direct=)."
                    + did_you_mean(key, DEFAULT_MECHANISM)
                )
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                                  np.floating)) \
                    or not math.isfinite(float(value)):
                raise SpecificationError(
                    f"mechanism[{raw!r}] must be a finite number (the path coefficient; 0 "
                    f"switches the edge off); got {value!r}."
                )
            explicit[key] = float(value)
        elif key in switches:
            if not isinstance(value, (bool, np.bool_)):
                raise SpecificationError(
                    f"mechanism[{raw!r}] switches a channel on or off and must be True or "
                    f"False; got {value!r}. Set path coefficients on edges, e.g. "
                    "{'ecom->imports': 0.2}."
                )
            if not value:
                off.extend(_SIDE_KEYS.get(key, (key,)))
        else:
            raise SpecificationError(
                f"mechanism has no key {raw!r}. Use an edge ({', '.join(DEFAULT_MECHANISM)}) "
                f"or a channel ({', '.join(switches)})." + did_you_mean(key, (*switches,
                                                                         *DEFAULT_MECHANISM))
            )
    edges.update(explicit)
    for key in edges:
        if set(_edge(key)) & set(off):
            if explicit.get(key, 0.0) != 0.0:
                raise SpecificationError(
                    f"mechanism sets {key!r} to {explicit[key]} but switches off the channel "
                    f"{_off_names(key, off)}. Drop one of the two."
                )
            edges[key] = 0.0
    return edges


def _off_names(key: str, off: list[str]) -> str:
    """The switched-off channel(s) an edge touches, quoted."""
    return ", ".join(repr(c) for c in _edge(key) if c in off)


def _parents(edges: Mapping[str, float], node: str) -> list[tuple[str, float]]:
    return [(_edge(k)[0], v) for k, v in edges.items() if _edge(k)[1] == node]


def _ar1(rng: np.random.Generator, shape: tuple[int, int], rho: float) -> np.ndarray:
    """Stationary AR(1) with unit marginal variance (a short loop over years)."""
    z = rng.standard_normal(shape)
    out = np.empty(shape)
    out[:, 0] = z[:, 0]
    scale = math.sqrt(1.0 - rho**2)
    for t in range(1, shape[1]):
        out[:, t] = rho * out[:, t - 1] + scale * z[:, t]
    return out


def _twoway(x: np.ndarray) -> np.ndarray:
    """Residual of x after city and year means (the within variation)."""
    return x - x.mean(1, keepdims=True) - x.mean(0, keepdims=True) + x.mean()


@dataclass(frozen=True)
class Channels:
    """The mediators in both worlds and their contribution to the outcome."""

    untreated: dict[str, np.ndarray]
    observed: dict[str, np.ndarray]
    y0: np.ndarray  # untreated contribution to ISU (within variation only)
    effect: np.ndarray  # contribution of the pilot to ISU(1) - ISU(0), city-year


def draw_channels(edges: Mapping[str, float], ecom0: np.ndarray, ecom1: np.ndarray,
                  pilot: np.ndarray, year: np.ndarray, noise: float,
                  rng: np.random.Generator) -> Channels:
    """Draw the four mediators given untreated and observed ``ecom`` (cities x years)."""
    n, n_t = ecom0.shape
    k = (year - 2010)[None, :]
    world0: dict[str, np.ndarray] = {"ecom": ecom0}
    world1: dict[str, np.ndarray] = {"ecom": ecom1}
    for name in CHANNELS:  # fixed draw order
        lev = _LEVELS[name]
        own = rng.standard_normal(n)
        city = lev.between * (lev.sel * pilot + math.sqrt(1.0 - lev.sel**2) * own)
        shock = noise * lev.sd * _ar1(rng, (n, n_t), lev.rho)
        base = city[:, None] + shock
        parents = _parents(edges, name)
        m0 = base + sum(coef * world0[p] for p, coef in parents)
        # year effects: the year means of the untreated mediator follow its level path
        shift = (lev.mean + lev.trend * k) - m0.mean(axis=0, keepdims=True)
        world0[name] = m0 + shift
        # same order of operations as world0: untreated city-years are exactly equal
        world1[name] = (base + sum(coef * world1[p] for p, coef in parents)) + shift
    into_y = _parents(edges, OUTCOME)
    y0 = np.zeros((n, n_t))
    effect = np.zeros((n, n_t))
    for p, coef in into_y:
        y0 += coef * _twoway(world0[p])
        effect += coef * (world1[p] - world0[p])
    return Channels(untreated={c: world0[c] for c in CHANNELS},
                    observed={c: world1[c] for c in CHANNELS}, y0=y0, effect=effect)


def paths(edges: Mapping[str, float]) -> list[tuple[str, ...]]:
    """Every directed path from ``ecom`` to the outcome through the mediators."""
    out: list[tuple[str, ...]] = []

    def walk(path: tuple[str, ...]) -> None:
        for key in edges:
            source, target = _edge(key)
            if source == path[-1]:
                if target == OUTCOME:
                    out.append((*path, target))
                else:
                    walk((*path, target))

    walk(("ecom",))
    return out


def truth_tables(edges: Mapping[str, float], a_att: float, a_coef: float, b: float,
                 direct_att: float, direct_coef: float) -> dict:
    """Specific indirect effects, side totals and the structural coefficients.

    ``a_att``: mean effect of the pilot on ``ecom`` over treated city-years; every path
    through ``ecom`` has effect ``a_att * product of its coefficients``.
    """
    full = {**edges, "ecom->isu": float(b)}
    rows = []
    for path in paths(full):
        product = math.prod(full[f"{s}->{t}"] for s, t in zip(path[:-1], path[1:], strict=True))
        sides = {SIDES[m] for m in path[1:-1]} - {"common"}
        rows.append({"path": " -> ".join(("D", *path)),
                     "side": sides.pop() if sides else "common",
                     "effect": a_att * product, "product": product})
    rows.append({"path": f"D -> {OUTCOME}", "side": "direct", "effect": direct_att,
                 "product": float("nan")})
    table = pd.DataFrame(rows, columns=["path", "side", "effect", "product"])
    # a path's "product" is the product of its coefficients after D -> ecom (so that
    # effect = a_att * product); the direct row's effect is the ATT of direct * h
    by_side = table.groupby("side")["effect"].sum()
    coefficients = pd.DataFrame(
        [("D", "ecom", float(a_coef)), ("ecom", OUTCOME, float(b)),
         ("D", OUTCOME, float(direct_coef))]
        + [(*_edge(k), float(v)) for k, v in edges.items()],
        columns=["source", "target", "coefficient"],
    )
    b_total = float(table.loc[table["side"] != "direct", "product"].sum())
    return {
        "mechanism": table, "coefficients": coefficients,
        "demand_total": float(by_side.get("demand", 0.0)),
        "supply_total": float(by_side.get("supply", 0.0)),
        "common_total": float(by_side.get("common", 0.0)),
        "b_total": b_total,
    }
