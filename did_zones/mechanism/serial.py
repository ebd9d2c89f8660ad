"""Serial (chain) mediation: Hayes PROCESS model 6 and its branched (DAG) form.

Numerics only. With mediators in topological order ``M_1, ..., M_J`` and ``anc(j)`` the
ancestors of ``M_j`` in the mediator graph, the equations (TWFE, one common sample) are

    M_j = a_j D + Σ_{k ∈ anc(j)} d_jk M_k + X'γ_j + FE + e_j,
    Y   = c' D + Σ_j b_j M_j + X'γ_Y + FE + e_Y,        Y = c D + X'γ + FE + e.

A path ``D → M_{i1} → ... → M_{ik} → Y`` (each step from an ancestor to a descendant) has
the specific indirect effect ``a_{i1} · d_{i2 i1} · ... · d_{ik i(k-1)} · b_{ik}``; their
sum is the total indirect effect and ``c = c' + Σ paths`` exactly (omitted-variable algebra
of OLS on one sample). One chain ``[M_1, M_2]`` gives Hayes' model 6 with the paths
``a1 b1``, ``a2 b2`` and ``a1 d21 b2``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from ..design import Absorber, FESpec, resolve_codes
from ..errors import SpecificationError
from ..inference import sandwich_vcov
from ..panel import Panel
from ..result import Result

__all__ = ["Graph", "build_graph", "joint_vcov", "serial_statistic"]

COMMON = "common"
MIXED = "mixed"


@dataclass(frozen=True)
class Graph:
    """The mediator graph (internal): order, ancestors, paths and their sides."""

    order: tuple[str, ...]
    ancestors: dict[str, tuple[str, ...]]
    chains: dict[str, tuple[str, ...]]
    paths: tuple[tuple[str, ...], ...]
    sides: tuple[str, ...]  # side of each path
    side_names: tuple[str, ...]  # sides with a total (chain names + "common" when used)

    @property
    def labels(self) -> list[str]:
        return [" -> ".join(p) for p in self.paths]

    @property
    def params(self) -> list[str]:
        """Names of the parameter vector θ: per mediator a and d, then c', the b, c."""
        out = []
        for m in self.order:
            out.append(f"a[{m}]")
            out += [f"d[{k} -> {m}]" for k in self.ancestors[m]]
        return out + ["c'"] + [f"b[{m}]" for m in self.order] + ["c"]

    @property
    def differences(self) -> list[tuple[str, str]]:
        named = [s for s in self.chains if s in self.side_names]
        return list(combinations(named, 2)) if len(self.chains) > 1 else []

    @property
    def quantities(self) -> list[str]:
        """Names of the derived quantities: paths, total indirect, side totals, differences."""
        out = [f"path[{lab}]" for lab in self.labels] + ["total indirect"]
        if len(self.chains) > 1:
            out += [f"side[{s}]" for s in self.side_names]
            out += [f"diff[{s} - {t}]" for s, t in self.differences]
        return out


def build_graph(mediators: Sequence[str] | None,
                chains: Mapping[str, Sequence[str]] | None) -> Graph:
    """Check the mediator list or chains and build the graph.

    A plain list is one chain. In ``chains`` consecutive names are edges; a mediator shared
    by several chains (e.g. the head ``ecom``) joins them. The graph must be acyclic.
    """
    if chains is None:
        chains = {"chain": list(mediators or [])}
    if not isinstance(chains, Mapping) or not chains:
        raise SpecificationError(
            "chains must be a non-empty mapping of side name -> list of mediators, e.g. "
            "{'demand': ['ecom', 'imports'], 'supply': ['ecom', 'exports']}; "
            f"got {chains!r}.")
    clean: dict[str, tuple[str, ...]] = {}
    for name, chain in chains.items():
        seq = [chain] if isinstance(chain, str) else list(chain or [])
        if not isinstance(name, str) or not seq or not all(isinstance(m, str) for m in seq):
            raise SpecificationError(
                f"Chain {name!r} must be a non-empty list of mediator column names; got "
                f"{chain!r}.")
        if len(set(seq)) < len(seq):
            raise SpecificationError(f"Chain {name!r} lists a mediator twice: {seq}.")
        if name in (COMMON, MIXED):
            raise SpecificationError(
                f"Chain name {name!r} is reserved for paths through shared mediators; "
                "rename the chain.")
        clean[name] = tuple(seq)
    first_seen = list(dict.fromkeys(m for c in clean.values() for m in c))
    parents: dict[str, set[str]] = {m: set() for m in first_seen}
    for c in clean.values():
        for u, v in zip(c[:-1], c[1:], strict=True):
            parents[v].add(u)
    order: list[str] = []  # Kahn's algorithm, ties broken by first appearance
    left = dict.fromkeys(first_seen)
    while left:
        ready = [m for m in left if parents[m] <= set(order)]
        if not ready:
            raise SpecificationError(
                f"The chains form a cycle among {sorted(left)}: a mediator cannot come "
                f"both before and after another. Chains: {dict(clean)}.")
        order.append(ready[0])
        del left[ready[0]]
    ancestors: dict[str, tuple[str, ...]] = {}
    for m in order:
        anc = set(parents[m])
        for p in parents[m]:
            anc |= set(ancestors[p])
        ancestors[m] = tuple(k for k in order if k in anc)
    ending: dict[str, list[tuple[str, ...]]] = {}
    for m in order:
        ending[m] = [(m,)] + [p + (m,) for k in ancestors[m] for p in ending[k]]
    paths = sorted((p for m in order for p in ending[m]),
                   key=lambda p: (len(p), [order.index(x) for x in p]))
    member = {m: {n for n, c in clean.items() if m in c} for m in order}
    sides = []
    for p in paths:
        own = {next(iter(member[m])) for m in p if len(member[m]) == 1}
        sides.append(COMMON if not own else own.pop() if len(own) == 1 else MIXED)
    if len(clean) == 1:  # one chain: every mediator is on it
        sides = [next(iter(clean))] * len(paths)
    side_names = tuple([n for n in clean if n in sides]
                       + [s for s in (COMMON, MIXED) if s in sides])
    return Graph(tuple(order), ancestors, clean, tuple(paths), tuple(sides), side_names)


# ------------------------------------------------------------------ derived quantities


def _index(graph: Graph) -> dict[str, int]:
    return {p: i for i, p in enumerate(graph.params)}


def _factors(graph: Graph) -> list[list[int]]:
    """Per path, the indices in θ of its factors a, d..., b."""
    idx = _index(graph)
    out = []
    for p in graph.paths:
        f = [idx[f"a[{p[0]}]"]]
        f += [idx[f"d[{u} -> {v}]"] for u, v in zip(p[:-1], p[1:], strict=True)]
        out.append(f + [idx[f"b[{p[-1]}]"]])
    return out


def _aggregation(graph: Graph) -> np.ndarray:
    """Linear map from the path effects to all derived quantities."""
    n = len(graph.paths)
    rows = [np.eye(n), np.ones((1, n))]
    if len(graph.chains) > 1:
        side = {s: np.array([float(x == s) for x in graph.sides]) for s in graph.side_names}
        rows.append(np.vstack([side[s] for s in graph.side_names]))
        if graph.differences:
            rows.append(np.vstack([side[s] - side[t] for s, t in graph.differences]))
    return np.vstack(rows)


def derive(graph: Graph, theta: np.ndarray) -> np.ndarray:
    """Paths, total indirect effect, side totals and side differences from θ."""
    effects = np.array([np.prod(theta[f]) for f in _factors(graph)])
    return _aggregation(graph) @ effects


def jacobian(graph: Graph, theta: np.ndarray) -> np.ndarray:
    """Analytic Jacobian of :func:`derive` with respect to θ."""
    factors = _factors(graph)
    J = np.zeros((len(factors), theta.size))
    for r, f in enumerate(factors):
        for pos, i in enumerate(f):
            J[r, i] += np.prod(theta[f[:pos] + f[pos + 1:]])
    return _aggregation(graph) @ J


# ------------------------------------------------------------------ joint covariance


def joint_vcov(panel: Panel, graph: Graph, first_stage: Mapping[str, Result],
               outcome_model: Result, outcome: str, fixed_effects: Sequence[FESpec],
               cluster) -> np.ndarray:
    """Cluster-robust covariance of θ across all equations (stacked scores).

    The mediator equations and the outcome equation share rows and clusters; stacking their
    scores in one sandwich gives the cross-equation covariances (as Stata ``suest`` /
    ``sem, vce(cluster)``). Each equation's block is scaled by its own finite-sample factor,
    so the diagonal blocks equal every equation's own :func:`did_zones.twfe` covariance.
    ``c`` (its own regression) gets its own variance and no covariances (NaN-free zeros).
    """
    rows = np.flatnonzero(outcome_model.extra["sample"])
    eqs = [(m, first_stage[m]) for m in graph.order] + [(outcome, outcome_model)]

    def col(term):
        return (panel.treated if term == "treated" else panel.column(term))[rows].astype(float)

    names = list(dict.fromkeys(t for _, r in eqs for t in r.terms))
    ys = [name for name, _ in eqs]
    raw = np.column_stack([col(t) for t in names] + [panel.column(y)[rows] for y in ys])
    codes = [resolve_codes(panel, s)[rows] for s in fixed_effects] or \
        [np.zeros(rows.size, dtype=np.int64)]
    W = Absorber.from_codes(codes).residualize(raw)
    pos = {t: i for i, t in enumerate(names)}
    scores, breads, sizes = [], [], []
    for j, (_, res) in enumerate(eqs):
        X = W[:, [pos[t] for t in res.terms]]
        y = W[:, len(names) + j]
        bread = np.linalg.inv(X.T @ X)
        e = y - X @ (bread @ (X.T @ y))
        scores.append(X * e[:, None])
        breads.append(bread)
        sizes.append(X.shape[1])
    clusters = None
    if cluster is not None:
        specs = (cluster,) if isinstance(cluster, str) else tuple(cluster)
        cl = [resolve_codes(panel, s, what="Cluster")[rows] for s in specs]
        clusters = cl[0] if len(cl) == 1 else np.column_stack(cl)
    big = np.zeros((sum(sizes), sum(sizes)))
    start = np.cumsum([0] + sizes)
    for j, b in enumerate(breads):
        big[start[j]:start[j + 1], start[j]:start[j + 1]] = b
    V, _ = sandwich_vcov(np.concatenate(scores, axis=1), big, clusters, n_obs=rows.size,
                         n_params=1, small_sample=False)
    # finite-sample factor of each equation: its own variance over the unscaled one
    f = np.array([res.vcov.loc["treated", "treated"] / V[start[j], start[j]]
                  for j, (_, res) in enumerate(eqs)])
    scale = np.sqrt(np.repeat(f, sizes))
    V = V * np.outer(scale, scale)
    # θ: per mediator a and d (the first 1 + |anc| terms), then c', the b, then c
    take = []
    for j, (m, res) in enumerate(eqs[:-1]):
        take += [start[j] + res.terms.index(t) for t in ("treated", *graph.ancestors[m])]
    om = outcome_model.terms
    take += [start[-2] + om.index(t) for t in ("treated", *graph.order)]
    k = len(take)
    out = np.zeros((k + 1, k + 1))
    out[:k, :k] = V[np.ix_(take, take)]
    return out


def theta_from(graph: Graph, first_stage: Mapping[str, Result], outcome_model: Result,
               total: Result) -> np.ndarray:
    """θ (in :attr:`Graph.params` order) from the fitted equations."""
    vals = []
    for m in graph.order:
        r = first_stage[m]
        vals += [r["treated"]] + [r[k] for k in graph.ancestors[m]]
    vals += [outcome_model["treated"]] + [outcome_model[m] for m in graph.order]
    return np.array(vals + [total["treated"]], dtype=float)


# ------------------------------------------------------------------ bootstrap statistic


def serial_statistic(outcome: str, graph: Graph, controls: Sequence[str],
                     fixed_effects: Sequence[FESpec]) -> Callable[[Panel], np.ndarray]:
    """The bootstrap statistic ``(θ, derived quantities)`` on a (resampled) panel.

    One within transformation of ``[Y, M, X, D]`` per draw, then one small least-squares
    solve per equation (Frisch–Waugh–Lovell), as :func:`indirect.equations_statistic`.
    """
    order, controls = list(graph.order), list(controls)
    cols = [outcome, *order, *controls]
    J = len(order)

    def statistic(panel: Panel) -> np.ndarray:
        V = np.column_stack([panel.column(c) for c in cols] + [panel.treated.astype(float)])
        ok = np.isfinite(V).all(axis=1)
        codes = [resolve_codes(panel, s)[ok] for s in fixed_effects] or \
            [np.zeros(int(ok.sum()), dtype=np.int64)]
        W = Absorber.from_codes(codes).residualize(V[ok])
        y, M, X, d = W[:, 0], W[:, 1:1 + J], W[:, 1 + J:-1], W[:, -1:]
        theta = []
        for j, m in enumerate(order):
            anc = [order.index(k) for k in graph.ancestors[m]]
            coef = np.linalg.lstsq(np.column_stack([d, M[:, anc], X]), M[:, j],
                                   rcond=None)[0]
            theta += list(coef[:1 + len(anc)])
        coef = np.linalg.lstsq(np.column_stack([d, M, X]), y, rcond=None)[0]
        theta += list(coef[:1 + J])
        theta.append(np.linalg.lstsq(np.column_stack([d, X]), y, rcond=None)[0][0])
        theta = np.asarray(theta)
        return np.concatenate([theta, derive(graph, theta)])

    return statistic


# ------------------------------------------------------------------ the analysis


def run_serial(panel: Panel, outcome: str, graph: Graph, spec: dict, *, controls,
               fixed_effects, cluster, alpha):
    """Fit the equations, the delta-method and bootstrap inference, and the decisions."""
    import pandas as pd
    from scipy import stats

    from ..result import HypothesisTest
    from . import indirect as ind
    from .result import MediationResult
    from .stepwise import decide, fit_equations, steps_frame

    eq = fit_equations(panel, outcome, list(graph.order), controls=controls,
                       fixed_effects=fixed_effects, cluster=cluster, alpha=alpha,
                       parents=graph.ancestors)
    om, total = eq.outcome_model, eq.total
    theta = theta_from(graph, eq.first_stage, om, total)
    V = joint_vcov(eq.panel, graph, eq.first_stage, om, outcome, fixed_effects, cluster)
    V[-1, -1] = float(total.vcov.loc["treated", "treated"])
    est = derive(graph, theta)
    G = jacobian(graph, theta)
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", G, V, G), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, est / se, np.nan)
    p = 2 * stats.norm.sf(np.abs(z))
    zc = stats.norm.ppf(1 - alpha / 2)
    names = graph.quantities
    n_par = theta.size
    labels = graph.params + names

    draws, lo, hi = None, None, None
    if spec["n_boot"]:
        from ..resample import cluster_bootstrap, jackknife_clusters

        specs = (cluster,) if isinstance(cluster, str) else tuple(cluster or ())
        unit = specs[0] if specs else "unit"
        statistic = serial_statistic(outcome, graph, controls, fixed_effects)
        draws = cluster_bootstrap(eq.panel, statistic, n_boot=spec["n_boot"],
                                  seed=spec["seed"], cluster=unit, n_jobs=spec["n_jobs"],
                                  progress=spec.get("progress"))
        jack = None
        if spec["interval"] == "bca":
            jack = jackknife_clusters(eq.panel, statistic, cluster=unit,
                                      n_jobs=spec["n_jobs"])
        lo, hi = (np.asarray(x) for x in draws.interval(kind=spec["interval"], alpha=alpha,
                                                        jackknife=jack))

    kinds = (["path"] * len(graph.paths) + ["total indirect"]
             + ["side total"] * (len(names) - len(graph.paths) - 1 - len(graph.differences))
             + ["difference"] * len(graph.differences))
    sides = list(graph.sides) + [None]
    sides += [n[5:-1] for n in names if n.startswith("side[")]
    sides += [f"{s} - {t}" for s, t in graph.differences]
    table = pd.DataFrame({
        "path": [n[5:-1] if n.startswith(("path[", "side[", "diff[")) else n for n in names],
        "kind": kinds, "side": sides, "estimate": est, "std_error": se, "statistic": z,
        "p_value": p, "conf_low": est - zc * se, "conf_high": est + zc * se,
        "interval": "normal", "boot_std_error": np.nan, "boot_p_value": np.nan})
    tests, boot_rows = [], {}
    for i, name in enumerate(names):
        tests.append(HypothesisTest(f"delta method: {name} = 0", float(z[i]), float(p[i]),
                                    None, "normal", details={"estimate": float(est[i]),
                                                             "std_error": float(se[i])}))
        if draws is not None:
            j = n_par + i
            bt = ind.bootstrap_test(f"bootstrap ({spec['interval']}): {name} = 0",
                                    float(draws.estimate[j]), draws, j, spec["interval"],
                                    alpha, (lo[j], hi[j]))
            tests.append(bt)
            table.loc[i, ["conf_low", "conf_high", "interval", "boot_std_error",
                          "boot_p_value"]] = [lo[j], hi[j], spec["interval"],
                                              bt.details["std_error"], bt.p_value]
            boot_rows[name] = (bt.details["estimate"], bt.statistic, bt.p_value,
                               bt.details["excludes_zero"])
    c = (total["treated"], float(total.statistic["treated"]), float(total.p_value["treated"]))
    cp = (om["treated"], float(om.statistic["treated"]), float(om.p_value["treated"]))
    rule, steps, conclusions = spec["stepwise_rule"], [], {}
    k_total = len(graph.paths)
    for i, name in enumerate(names[:k_total + 1]):
        lab = table.loc[i, "path"]
        rows, concl, _ = decide(rule, mediator=lab, alpha=alpha, c=c, a=None, b=None,
                                c_prime=cp, sobel=(est[i], z[i], p[i]),
                                boot=boot_rows.get(name))
        for r in rows:  # the test is of this path (or the total), not of a sum of a*b
            r["test"] = r["test"].replace("sum(a*b)", "indirect effect")
        steps += rows
        conclusions[lab] = concl
    table["conclusion"] = table["path"].map(conclusions)
    share = est[k_total] / c[0] if c[0] != 0 else float("nan")
    concl_total = conclusions["total indirect"]
    if concl_total == "suppression":
        share = abs(est[k_total] / cp[0])
    elif concl_total in ("no mediation", "inconclusive"):
        share = float("nan")
    keys = {m: r for m, r in eq.first_stage.items()}
    return MediationResult(
        total=total, first_stage=keys, outcome_model=om, indirect=None, tests=tuple(tests),
        steps=steps_frame(steps), conclusion=concl_total, share_mediated=float(share),
        method="serial", spec=spec, notes=tuple(eq.notes), bootstrap=draws,
        paths=table,
        extra={"labels": labels, "vcov": pd.DataFrame(V, index=graph.params,
                                                      columns=graph.params),
               "ancestors": dict(graph.ancestors), "chains": dict(graph.chains),
               "n_dropped": eq.n_dropped})
