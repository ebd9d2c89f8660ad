"""Hypothesis strategies for staggered-adoption panels as users hand them to did_zones.

:func:`cases` draws a :class:`Case`: a long unit-period DataFrame plus the column roles and
the estimator options that go with it. The structure (sizes, codings, dtypes, names, kinds
of weights, clusters and outcomes) is drawn by hypothesis, so it shrinks towards the
simplest failing shape; the numbers are drawn from a numpy generator seeded by hypothesis
(fast for 400-row panels, and still reproducible).

Every knob is a named field of :class:`Case`, and :meth:`Case.code` prints a runnable
reproducer (the frame as literals, its dtypes and the ``build_panel`` call), which the
property tests attach to a failure with ``hypothesis.note``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from hypothesis import strategies as st

# ---------------------------------------------------------------- the knobs
COHORT_DESIGNS = ("staggered", "all_treated", "single_cohort", "with_always_treated")
NEVER_CODINGS = ("zero", "nan", "inf", "beyond_sample", "mapping_absent", "dates_nat")
UNIT_KINDS = ("int64", "int32", "float64", "str", "str_zh")
TIME_KINDS = ("int64", "int32", "float64", "dates")
INDEX_KINDS = ("range", "offset", "labels", "duplicated")
EXTRA_KINDS = ("none", "text_column", "duplicate_column")
NAME_SETS = {
    "ascii": dict(unit="unit", time="year", cohort="first_treat", y="y", w="w",
                  cl="province", x="x"),
    "zh": dict(unit="城市代码", time="年份", cohort="试点年份", y="产业结构升级", w="权重",
               cl="省份", x="人均GDP"),
    "spaces": dict(unit="city id", time="year ", cohort="pilot year", y="y (log)",
                   w="pop weight", cl="prov code", x="gdp pc"),
}
OUTCOME_KINDS = ("random", "constant", "with_nan", "huge")
WEIGHT_KINDS = ("none", "positive", "some_zero", "some_nan", "some_negative")
CLUSTER_KINDS = ("unit", "coarse", "single")
CONTROL_KINDS = ("never", "not_yet")


@dataclass
class Case:
    """One generated panel with its roles and options."""

    df: pd.DataFrame
    names: dict[str, str]
    cohort_arg: str | dict  # the cohort column name, or a mapping unit -> first period
    knobs: dict[str, object] = field(default_factory=dict)
    # unit label -> first treated period as build_panel must read it (inf: never treated)
    truth: dict = field(default_factory=dict)

    # ------------------------------------------------------------ roles
    @property
    def unit(self) -> str:
        return self.names["unit"]

    @property
    def time(self) -> str:
        return self.names["time"]

    @property
    def y(self) -> str:
        return self.names["y"]

    @property
    def weights(self) -> str | None:
        return None if self.knobs["weights"] == "none" else self.names["w"]

    @property
    def cluster(self) -> str | None:
        """The cluster column, or None for the default (clustering by unit)."""
        return None if self.knobs["cluster"] == "unit" else self.names["cl"]

    @property
    def controls(self) -> tuple[str, ...]:
        return (self.names["x"],) if self.knobs["covariate"] else ()

    @property
    def y_scale(self) -> float:
        """Largest absolute finite outcome (1 if none): the unit of estimates and errors."""
        y = self.df[self.y].to_numpy(dtype=float)
        y = np.abs(y[np.isfinite(y)])
        return float(y.max()) if y.size and y.max() > 0 else 1.0

    def build_kwargs(self) -> dict:
        return dict(unit=self.unit, time=self.time, cohort=self.cohort_arg)

    # ---------------------------------------------------- transformations
    def relabelled(self, seed: int) -> Case:
        """The same data with unit ids permuted among themselves and rows shuffled.

        Every row keeps its values (cohort, outcome, weight, cluster); only the label of
        each unit and the row order change, so every estimate must stay the same.
        """
        rng = np.random.default_rng(seed)
        ids = pd.unique(self.df[self.unit])
        perm = dict(zip(ids, rng.permutation(ids), strict=True))
        df = self.df.copy()
        df[self.unit] = df[self.unit].map(perm).astype(self.df[self.unit].dtype)
        df = df.sample(frac=1.0, random_state=int(rng.integers(2**31)))
        cohort = self.cohort_arg
        if isinstance(cohort, dict):
            cohort = {perm[u]: g for u, g in cohort.items()}
        truth = {perm[u]: g for u, g in self.truth.items()}
        return Case(df, self.names, cohort, dict(self.knobs), truth)

    # ------------------------------------------------------- reproducer
    def code(self, call: str = "") -> str:
        """Python source that rebuilds the frame and the panel (and runs ``call``)."""
        series = ",\n    ".join(
            f"pd.Series({_literal(self.df.iloc[:, j])}, dtype={str(t)!r})"
            for j, t in enumerate(self.df.dtypes))
        lines = [
            "import numpy as np, pandas as pd, did_zones as dz",
            "nan, inf = float('nan'), float('inf')",
            f"df = pd.concat([\n    {series}], axis=1)",
            f"df.columns = {list(self.df.columns)!r}",
            f"df.index = {list(self.df.index)!r}",
            f"panel = dz.build_panel(df, unit={self.unit!r}, time={self.time!r}, "
            f"cohort={self.cohort_arg!r})",
        ]
        if call:
            lines.append(call)
        return "\n".join(lines)

    def __repr__(self) -> str:  # what hypothesis prints for a falsifying example
        shape = f"{self.df[self.unit].nunique()} units, {len(self.df)} rows"
        return f"Case({shape}, {self.knobs})"


def _literal(col: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(col):
        return repr([None if pd.isna(v) else str(v.date()) for v in col])
    return repr(col.tolist())


# ------------------------------------------------------------------ strategy
@st.composite
def cases(draw, *, max_units: int = 40, max_periods: int = 10, exclude: dict | None = None):
    """A generated panel. ``exclude`` maps a knob name to values not to draw."""
    exclude = exclude or {}

    def pick(name, options, clean_weight=1):
        """One of ``options``; the first (the clean input) ``clean_weight`` times as likely."""
        allowed = [o for o in options if o not in exclude.get(name, ())]
        if allowed and allowed[0] == options[0]:
            allowed = [options[0]] * (clean_weight - 1) + allowed
        return draw(st.sampled_from(allowed), label=name)

    n_units = draw(st.integers(2, max_units), label="n_units")
    n_periods = draw(st.integers(2, max_periods), label="n_periods")
    start = draw(st.sampled_from([2001, 1990, 2015]), label="start")
    knobs = dict(
        design=pick("design", COHORT_DESIGNS),
        never=pick("never", NEVER_CODINGS),
        unit_kind=pick("unit_kind", UNIT_KINDS),
        time_kind=pick("time_kind", TIME_KINDS),
        names=pick("names", tuple(NAME_SETS)),
        # the clean choice of the knobs that can make a call fail about half the time, so
        # that most examples reach the estimation
        outcome=pick("outcome", OUTCOME_KINDS, 3),
        weights=pick("weights", WEIGHT_KINDS, 5),
        cluster=pick("cluster", CLUSTER_KINDS, 3),
        index=pick("index", INDEX_KINDS, 2),
        extra=pick("extra", EXTRA_KINDS, 3),
        control=pick("control", CONTROL_KINDS),
        covariate=draw(st.booleans(), label="covariate"),
        gap_share=draw(st.sampled_from([0.0, 0.0, 0.1, 0.3]), label="gap_share"),
    )
    seed = draw(st.integers(0, 2**32 - 1), label="value_seed")
    rng = np.random.default_rng(seed)
    names = NAME_SETS[knobs["names"]]
    periods = np.arange(start, start + n_periods)

    # -- cohorts per unit (float, inf = never treated)
    design = knobs["design"]
    inner = periods[1:]  # cohorts with at least one untreated period
    if design == "single_cohort":
        g0 = rng.choice(inner)
        cohort = np.where(rng.random(n_units) < 0.5, g0, np.inf)
    elif design == "all_treated":
        cohort = rng.choice(inner, size=n_units).astype(float)
    elif design == "with_always_treated":
        cohort = rng.choice(np.r_[periods[:1], inner, np.inf], size=n_units).astype(float)
    else:
        cohort = rng.choice(np.r_[inner, np.inf], size=n_units).astype(float)
    # keep both kinds where the design asks for them (at least one treated unit)
    if not np.isfinite(cohort).any():
        cohort[0] = rng.choice(inner)
    if design in ("staggered", "single_cohort") and n_units > 2 and np.isfinite(cohort).all():
        cohort[-1] = np.inf

    # -- unit ids
    codes = rng.choice(np.arange(100, 100 + 10 * n_units), size=n_units, replace=False)
    unit_kind = knobs["unit_kind"]
    if unit_kind == "str":
        ids = pd.Series([f"c{c}" for c in codes])  # pandas' default string dtype
    elif unit_kind == "str_zh":
        ids = pd.Series([f"城市{c}" for c in codes], dtype=object)
    else:
        ids = pd.Series(codes).astype(unit_kind)

    # -- rows (unbalanced: a share of rows removed, every unit keeps one)
    u_idx = np.repeat(np.arange(n_units), n_periods)
    t_val = np.tile(periods, n_units)
    keep = rng.random(u_idx.size) >= knobs["gap_share"]
    keep[np.r_[0, np.flatnonzero(np.diff(u_idx)) + 1]] = True
    u_idx, t_val = u_idx[keep], t_val[keep]
    n = u_idx.size

    # -- coding of never-treated units in the cohort column / mapping
    g_row = cohort[u_idx]
    never = knobs["never"]
    never_code = {"zero": 0.0, "nan": np.nan, "inf": np.inf,
                  "beyond_sample": float(periods[-1] + 1 + rng.integers(0, 5)),
                  "mapping_absent": np.nan, "dates_nat": np.nan}[never]
    g_unit = np.where(np.isfinite(cohort), cohort, never_code)
    g_col = g_unit[u_idx]

    # -- outcome
    effect = np.where(t_val >= g_row, 1.0 + 0.2 * (t_val - np.where(np.isfinite(g_row), g_row, 0)), 0.0)
    y = (rng.normal(size=n_units)[u_idx] + 0.1 * (t_val - start) + effect
         + rng.normal(size=n))
    x = rng.normal(size=n) + 0.3 * y
    kind = knobs["outcome"]
    if kind == "constant":
        y = np.full(n, 3.5)
    elif kind == "with_nan":
        y[rng.random(n) < 0.15] = np.nan
    elif kind == "huge":
        y = 1e9 * (y + 5.0)
        x = 1e9 * x

    # -- weights (per unit) and clusters
    w_unit = rng.uniform(0.5, 3.0, size=n_units)
    bad = rng.choice(n_units, size=max(1, n_units // 5), replace=False)
    wk = knobs["weights"]
    if wk == "some_zero":
        w_unit[bad] = 0.0
    elif wk == "some_nan":
        w_unit[bad] = np.nan
    elif wk == "some_negative":
        w_unit[bad] = -1.0
    ck = knobs["cluster"]
    if ck == "single":
        cl = np.zeros(n_units, dtype=np.int64)
    else:
        cl = rng.integers(0, max(2, n_units // 4), size=n_units)

    if knobs["time_kind"] == "dates":  # 1 July of each year: read as the year
        time_col = pd.Series(pd.to_datetime([f"{t}-07-01" for t in t_val]))
    else:
        time_col = pd.Series(t_val).astype(knobs["time_kind"])
    data = {
        names["unit"]: ids.iloc[u_idx].reset_index(drop=True),
        names["time"]: time_col,
        names["y"]: y,
        names["x"]: x,
        names["w"]: w_unit[u_idx],
        names["cl"]: cl[u_idx],
    }
    if never == "dates_nat":  # pilot dates within the year; NaT for never-treated
        data[names["cohort"]] = pd.Series(pd.to_datetime(
            [f"{int(g)}-03-15" if np.isfinite(g) else None for g in g_row]))
    elif never != "mapping_absent":
        data[names["cohort"]] = g_col
    df = pd.DataFrame(data)
    if knobs["extra"] == "text_column":
        df["note"] = [f"行{i}" for i in range(n)]
    elif knobs["extra"] == "duplicate_column":  # an unrelated name used twice
        df = pd.concat([df, pd.DataFrame({"dup": rng.random(n), "dup2": rng.random(n)})
                        .set_axis(["dup", "dup"], axis=1)], axis=1)
    # column order shuffled: estimators must not rely on it
    order = rng.permutation(df.shape[1])
    df = df.iloc[:, order]
    index = knobs["index"]
    if index == "offset":
        df.index = pd.RangeIndex(1000, 1000 + n)
    elif index == "labels":
        df.index = [f"r{i}" for i in range(n)]
    elif index == "duplicated":  # e.g. after pd.concat of yearly files
        df.index = np.arange(n) % max(1, n // 2)
    if never == "mapping_absent":
        cohort_arg = {ids.iloc[i]: _plain(cohort[i]) for i in range(n_units)
                      if np.isfinite(cohort[i])}
    else:
        cohort_arg = names["cohort"]
    # cohorts after the last period are never treated within the sample
    truth = {ids.iloc[i]: float(g) if g <= periods[-1] else np.inf
             for i, g in enumerate(cohort)}
    return Case(df=df, names=names, cohort_arg=cohort_arg, knobs=knobs, truth=truth)


def _plain(v):
    v = float(v)
    return int(v) if v.is_integer() else v
