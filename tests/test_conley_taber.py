"""Tests of did_zones.robustness.conley_taber (and the cohort-restricted placebo).

Hand-computable panel: 1 treated unit, 6 controls, 4 periods; the fixed effects are
partialled out with explicit dummies (numpy least squares), independently of the package.

Monte-Carlo bounds (seeded, so every run is the same): 200 simulated panels of 50 units ×
8 periods with i.i.d. unit-level AR(1) errors and a true effect of 1. The exact method
with one treated unit of 50 covers with probability 1 − 2/50 = 0.96 by construction
(equal-tailed, 50 assignments); with three treated units it is exact to the grid. The
Monte-Carlo standard error of a coverage near 0.95 over 200 draws is 0.0154, so we require
coverage in [0.90, 0.995] (3 SE below; above, the rate of a useless infinite interval).
The asymptotic method (Proposition 1) with N0 = 49 controls covers only about
1 − 2·2/50 = 0.92 by construction (the real W exceeds the 48th of 49 control draws with
probability 2/50 on each side); SE 0.019, so its bound is [0.85, 0.99].
Measured (seed as in the test): exact 0.970 (1 treated) and 0.945 (3 treated);
asymptotic 0.900 and 0.915; the cluster-robust t interval of the same fits 0.245 and 0.785.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import InferenceWarning, SpecificationError
from did_zones.robustness.conley_taber import conley_taber


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _frame(n_units: int, n_periods: int, cohorts: dict[int, int], rng, effect=0.0,
           rho=0.5) -> pd.DataFrame:
    """Balanced panel; ``cohorts`` maps unit -> first treated period index."""
    u = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(n_periods), n_units)
    g = np.array([cohorts.get(i, -1) for i in range(n_units)])
    e = np.empty((n_units, n_periods))
    e[:, 0] = rng.normal(size=n_units)
    for s in range(1, n_periods):
        e[:, s] = rho * e[:, s - 1] + rng.normal(size=n_units)
    d = (g[u] >= 0) & (t >= g[u])
    y = rng.normal(size=n_units)[u] + 0.3 * t + effect * d + e.ravel()
    cohort = np.where(g[u] >= 0, 2000 + g[u], 0)
    return pd.DataFrame({"u": u, "t": 2000 + t, "g": cohort, "y": y})


def _fit(df, **kw):
    panel = dz.build_panel(df, "u", "t", cohort="g")
    return panel, _quiet(dz.twfe, panel, "y", **kw)


# ------------------------------------------------------------------------ (a) by hand
def _hand(df):
    """FE-residualised y and D as unit × period arrays, by explicit dummies."""
    U = pd.get_dummies(df["u"]).to_numpy(float)
    T = pd.get_dummies(df["t"]).to_numpy(float)[:, 1:]
    Z = np.column_stack([U, T])
    d = ((df["g"] > 0) & (df["t"] >= df["g"])).to_numpy(float)
    y = df["y"].to_numpy()
    res = lambda v: v - Z @ np.linalg.lstsq(Z, v, rcond=None)[0]  # noqa: E731
    n_u, n_t = df["u"].nunique(), df["t"].nunique()
    return res(y).reshape(n_u, n_t), res(d).reshape(n_u, n_t)


@pytest.fixture
def tiny():
    df = _frame(7, 4, {0: 2}, np.random.default_rng(3), effect=1.0)
    return df, *_fit(df)


def test_asymptotic_interval_by_hand(tiny):
    df, panel, res = tiny
    yh, w = _hand(df)
    alpha_hat = (w * yh).sum() / (w * w).sum()
    assert res.estimate["treated"] == pytest.approx(alpha_hat, rel=1e-10)
    eta = yh - alpha_hat * w
    W = np.array([w[0] @ eta[c] for c in range(1, 7)]) / (w * w).sum()
    # 6 draws: the inverse-ECDF 2.5% and 97.5% quantiles are the min and the max
    ct = _quiet(conley_taber, res, panel, method="asymptotic")
    assert ct.details["conf_int"] == pytest.approx((alpha_hat - W.max(), alpha_hat - W.min()),
                                                   rel=1e-10)
    assert np.sort(ct.details["draws"]) == pytest.approx(np.sort(W), rel=1e-10)
    assert ct.details["n_treated"] == 1 and ct.details["n_control"] == 6
    assert ct.details["n_assignments"] == 6 and ct.details["enumerated"]
    assert ct.statistic == pytest.approx(alpha_hat, rel=1e-10)
    # p-value of 0: equal-tailed share of draws beyond alpha_hat
    p = min(1.0, 2 * min(np.mean(W <= alpha_hat), np.mean(W >= alpha_hat)))
    assert ct.p_value == pytest.approx(p)
    assert "exchangeable" in ct.details["note"] and "size" in ct.details["note"]
    row = ct.glance().iloc[0]
    assert (row.conf_low, row.conf_high) == ct.details["conf_int"]


def _hand_p(yh, w, a):
    """Exact-method p-value at a by brute force over the 7 units."""
    T = np.array([w[0] @ (yh[u] - a * w[u]) for u in range(7)])
    ge, le = (T >= T[0] - 1e-12).sum(), (T <= T[0] + 1e-12).sum()
    return min(1.0, 2 * min(ge, le) / 7)


def test_exact_interval_by_hand(tiny):
    df, panel, res = tiny
    yh, w = _hand(df)
    ct = _quiet(conley_taber, res, panel, method="exact", alpha=0.3)
    low, high = ct.details["conf_int"]
    assert np.isfinite(low) and np.isfinite(high) and low < res.estimate["treated"] < high
    assert ct.details["n_assignments"] == 7
    # the endpoints are crossings T_u(a) = T_0(a): a = (A_u − A_0)/(B_u − B_0)
    A = np.array([w[0] @ yh[u] for u in range(7)])
    B = np.array([w[0] @ w[u] for u in range(7)])
    roots = (A[1:] - A[0]) / (B[1:] - B[0])
    assert np.min(np.abs(roots - low)) < 1e-9 and np.min(np.abs(roots - high)) < 1e-9
    eps = 1e-7 * (high - low)
    for a in np.linspace(low + eps, high - eps, 41):
        assert _hand_p(yh, w, a) > 0.3
    assert _hand_p(yh, w, low - eps) <= 0.3 and _hand_p(yh, w, high + eps) <= 0.3
    assert ct.p_value == pytest.approx(_hand_p(yh, w, 0.0))


def test_exact_interval_unbounded_with_too_few_assignments(tiny):
    _, panel, res = tiny
    with pytest.warns(InferenceWarning) as caught:
        ct = conley_taber(res, panel)
    messages = [str(w.message) for w in caught]
    assert any("too few for a bounded 95% interval" in m for m in messages)
    assert any("1 treated of 7 units" in m for m in messages)
    assert ct.details["conf_int"] == (-np.inf, np.inf)


def test_random_assignments_are_seeded():
    df = _frame(30, 5, {0: 2, 1: 3, 2: 3, 3: 4}, np.random.default_rng(1))
    panel, res = _fit(df)
    a = _quiet(conley_taber, res, panel, max_assignments=500, seed=4)
    b = _quiet(conley_taber, res, panel, max_assignments=500, seed=4)
    assert a.details["conf_int"] == b.details["conf_int"] and not a.details["enumerated"]
    assert a.details["n_assignments"] == 501  # the real one counted once


@pytest.mark.parametrize("method", ["exact", "asymptotic"])
def test_interval_shifts_with_the_effect_and_ignores_constants(method):
    df = _frame(25, 6, {0: 3, 1: 4}, np.random.default_rng(8), effect=0.5)
    d = (df["g"] > 0) & (df["t"] >= df["g"])
    def ct(frame):
        panel, res = _fit(frame)
        return _quiet(conley_taber, res, panel, method=method)

    base = ct(df)
    shifted = ct(df.assign(y=df["y"] + 2.0 * d + 7.0))
    assert np.allclose(np.array(shifted.details["conf_int"]) - 2.0, base.details["conf_int"],
                       rtol=0, atol=1e-9)
    # unit labels and row order do not matter
    perm = df.assign(u=(df["u"] * 7) % 25).sample(frac=1, random_state=1)
    again = ct(perm)
    assert np.allclose(again.details["conf_int"], base.details["conf_int"], rtol=0, atol=1e-9)


def test_random_assignments_are_uniform_distinct_tuples():
    """Drawn tuples: distinct units, uniform over the 7·6·5 = 210 ordered tuples (chi-square
    p-value > 0.001 over 200,000 draws; measured 0.67 with this seed)."""
    from scipy import stats

    from did_zones.robustness.conley_taber import _assignments

    picks, enumerated = _assignments(7, 3, 200_000, np.random.default_rng(0))
    assert enumerated  # 210 <= limit: every tuple once
    assert len({tuple(r) for r in picks}) == 210
    picks, enumerated = _assignments(7, 3, 200, np.random.default_rng(0))
    assert not enumerated
    rng = np.random.default_rng(0)
    draws = np.concatenate([_assignments(7, 3, 200, rng)[0] for _ in range(1000)])
    s = np.sort(draws, axis=1)
    assert (s[:, 1:] != s[:, :-1]).all() and draws.min() == 0 and draws.max() == 6
    codes = draws @ np.array([49, 7, 1])
    counts = np.unique(codes, return_counts=True)[1]
    assert counts.size == 210 and stats.chisquare(counts).pvalue > 0.001
    many, _ = _assignments(20, 10, 50, np.random.default_rng(1))  # the many-treated branch
    assert many.shape == (50, 10) and all(len(set(r)) == 10 for r in many)


# ------------------------------------------------------------------------ (b) coverage
@pytest.mark.slow
@pytest.mark.parametrize("n_treated", [1, 3])
@pytest.mark.parametrize("method", ["exact", "asymptotic"])
def test_coverage_near_nominal(n_treated, method):
    rng = np.random.default_rng(100 + n_treated)
    cover = 0
    reps = 200
    for _ in range(reps):
        cohorts = {i: 3 + i for i in range(n_treated)}  # staggered: periods 3, 4, 5
        df = _frame(50, 8, cohorts, rng, effect=1.0)
        panel, res = _fit(df)
        ct = _quiet(conley_taber, res, panel, method=method, max_assignments=4000, seed=1)
        low, high = ct.details["conf_int"]
        cover += low <= 1.0 <= high
    low_bound, high_bound = (0.90, 0.995) if method == "exact" else (0.85, 0.99)
    assert low_bound <= cover / reps <= high_bound


@pytest.mark.slow
@pytest.mark.parametrize("n_treated", [1, 3, 6])
def test_size_of_the_exact_test(n_treated):
    """500 panels with no effect. The exact test's level is 2/50 = 0.04 (1 treated) or
    0.05 to the grid; Binomial(500, 0.05) has its central 99.8% in [0.024, 0.080], so we
    require [0.02, 0.08]. The cluster-robust t test over-rejects (measured 0.78, 0.19,
    0.10; the asymptotic CT test 0.080, 0.066, 0.088; exact 0.054, 0.052, 0.056)."""
    rng = np.random.default_rng(200 + n_treated)
    reps, rej, crv = 500, 0, 0
    for _ in range(reps):
        df = _frame(50, 8, {i: 3 + i % 3 for i in range(n_treated)}, rng, effect=0.0)
        panel, res = _fit(df)
        ct = _quiet(conley_taber, res, panel, max_assignments=4000, seed=1)
        rej += ct.p_value <= 0.05
        crv += res.p_value["treated"] <= 0.05
    assert 0.02 <= rej / reps <= 0.08
    if n_treated < 6:
        assert crv / reps > 0.15


# ------------------------------------------------------------------------ (d) errors
def test_error_paths(tiny):
    df, panel, res = tiny
    es = _quiet(dz.event_study, panel, "y")
    with pytest.raises(SpecificationError, match="needs a TWFE result"):
        conley_taber(es, panel)
    with pytest.raises(SpecificationError, match="method must be one of"):
        conley_taber(res, panel, method="bootstrap")
    with pytest.raises(SpecificationError, match="seed"):
        conley_taber(res, panel, seed="x")
    with pytest.raises(SpecificationError, match="tests the treatment coefficient"):
        conley_taber(res, panel, term="x")
    with pytest.raises(SpecificationError, match="needs unit fixed effects"):
        conley_taber(_quiet(dz.twfe, panel, "y", fixed_effects=("time",)), panel)
    # every unit treated at some date: no control unit
    every = _frame(6, 5, {i: 1 + i % 3 for i in range(6)}, np.random.default_rng(0))
    p2, r2 = _fit(every)
    with pytest.raises(SpecificationError, match="has 0 control unit"):
        conley_taber(r2, p2)
    # unbalanced sample
    p3, r3 = _fit(df.iloc[1:])
    with pytest.raises(SpecificationError, match="needs a balanced sample"):
        conley_taber(r3, p3)


def test_warns_when_many_units_are_treated():
    df = _frame(20, 5, {i: 2 + i % 3 for i in range(6)}, np.random.default_rng(0))
    panel, res = _fit(df)
    with pytest.warns(InferenceWarning, match="6 treated of 20 units"):
        conley_taber(res, panel, method="asymptotic")


def test_docstring_examples_run():
    import doctest
    import importlib

    module = importlib.import_module("did_zones.robustness.conley_taber")
    failures, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted >= 8 and failures == 0


# ------------------------------------------------------------------------ (c) restricted RI
def _staggered(rng):
    """12 cities × 6 years: city 0 in cohort 2003 alone, cities 1-2 in 2004, 9 never."""
    df = pd.DataFrame({"u": np.repeat(np.arange(12), 6), "t": np.tile(np.arange(2000, 2006), 12)})
    df["g"] = np.select([df["u"] == 0, df["u"] < 3], [2003, 2004], 0)
    df["y"] = rng.normal(size=len(df)) + 0.8 * ((df["g"] > 0) & (df["t"] >= df["g"]))
    return df


def _brute(df, moves):
    """Re-estimate the TWFE coefficient for every assignment in ``moves`` (unit -> cohort)."""
    out = []
    for move in moves:
        g = df["u"].map(move).fillna(df["u"].map(df.groupby("u")["g"].first()))
        p = dz.build_panel(df.assign(g=g.astype(int)), "u", "t", cohort="g")
        out.append(_quiet(dz.twfe, p, "y").estimate["treated"])
    return np.array(out)


@pytest.mark.parametrize("fast", [None, False])
def test_cohort_restricted_p_value_equals_brute_force(fast):
    from did_zones.robustness.placebo import placebo

    df = _staggered(np.random.default_rng(5))
    panel, res = _fit(df)
    test = _quiet(placebo, res, panel, restrict="cohort", cohort=2003, fast=fast)
    # pool: city 0 and the 9 never-treated cities -> 10 assignments, the real one included
    pool = [0, *range(3, 12)]
    moves = [{**{u: 0 for u in pool}, v: 2003} for v in pool]
    est = _brute(df, moves)
    theta = res.estimate["treated"]
    assert est[0] == pytest.approx(theta, rel=1e-10)
    assert test.details["exact"] and test.details["n_assignments"] == 10
    assert np.sort(test.details["draws"]) == pytest.approx(np.sort(est[1:]), rel=1e-8)
    p = np.mean(np.abs(est) >= abs(theta) - 1e-12)
    assert test.p_value == pytest.approx(p, abs=1e-15)
    assert test.details["p_two_sided_plus1"] == test.p_value


def test_cohort_restricted_enumerates_every_cohort():
    from itertools import permutations

    from did_zones.robustness.placebo import (
        _cohort_pool,
        enumerate_cohort_assignments,
        n_cohort_assignments,
    )

    df = _staggered(np.random.default_rng(5))
    panel, _ = _fit(df)
    pool = _cohort_pool(panel, None)  # every unit: the treated ones and the never-treated
    rows = enumerate_cohort_assignments(panel.cohort, pool)
    # brute force: distinct images of the cohort vector under all placements of 3 units
    brute = set()
    for a, b, c in permutations(range(12), 3):
        g = np.full(12, np.inf)
        g[a], g[b], g[c] = 2003, 2004, 2004
        brute.add(tuple(g))
    assert {tuple(r) for r in rows} == brute and len(rows) == len(brute)
    assert n_cohort_assignments(panel.cohort, pool) == 12 * 55 == len(rows)
    assert (rows == panel.cohort).all(axis=1).sum() == 1


def test_cohort_restricted_draws_when_too_many():
    from did_zones.robustness.placebo import placebo

    df = _staggered(np.random.default_rng(5))
    panel, res = _fit(df)
    test = _quiet(placebo, res, panel, restrict="cohort", n_draws=100, seed=3)
    assert not test.details["exact"] and test.details["n_assignments"] == 660
    assert test.p_value == test.details["p_two_sided"] and test.details["draws"].size == 100
    # the cohort sizes are kept in every draw: sizes are fixed by construction
    again = _quiet(placebo, res, panel, restrict="cohort", n_draws=100, seed=3)
    assert np.array_equal(test.details["draws"], again.details["draws"])
    # placebo_assignments gives the same assignments: cohort sizes kept in every draw
    from did_zones.robustness.placebo import placebo_assignments

    fake = placebo_assignments(panel, n_draws=100, seed=3, restrict="cohort")
    for row in fake:
        assert (row == 2003).sum() == 1 and (row == 2004).sum() == 2
    only = placebo_assignments(panel, restrict="cohort", cohort=2003)  # 9 + 1 - 1 rows
    assert only.shape == (9, 12) and (only == 2004).sum(axis=1).tolist() == [2] * 9
    assert (only[:, 1:3] == 2004).all()  # the other cohort keeps its units


def test_cohort_restricted_errors():
    from did_zones.robustness.placebo import placebo

    df = _staggered(np.random.default_rng(5))
    panel, res = _fit(df)
    with pytest.raises(SpecificationError, match="needs kind='in_space'"):
        placebo(res, panel, kind="mixed", restrict="cohort")
    with pytest.raises(SpecificationError, match="cohort 2010 is not a cohort of the panel"):
        placebo(res, panel, restrict="cohort", cohort=2010)
    with pytest.raises(SpecificationError, match="is for restrict='cohort' only"):
        placebo(res, panel, cohort=2003)
    with pytest.raises(SpecificationError, match="restrict must be one of"):
        placebo(res, panel, restrict="cohorts")


def test_single_city_cohort_of_callaway_santanna():
    """The issue's case: batch 1 (2015) is one city; CS's analytic p-value of its cell is
    astronomically small, the exact cohort-restricted randomization p-value is not."""
    from did_zones.robustness.placebo import placebo

    sim = dz.simulate_pilot_panel(seed=1)
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    cs = _quiet(dz.callaway_santanna, panel, "isu")
    term = "ATT(2015,2019)"
    test = _quiet(placebo, cs, panel, restrict="cohort", cohort=2015, term=term)
    n_never = int(np.isinf(panel.cohort).sum())
    assert test.details["exact"] and test.details["n_assignments"] == n_never + 1
    assert cs.p_value[term] < 1e-10 and test.p_value > 0.05  # measured 1e-40 and 0.32
    assert test.p_value * (n_never + 1) == pytest.approx(round(test.p_value * (n_never + 1)))
