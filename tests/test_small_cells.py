"""The small-cell rule (did_zones/estimators/_small_cells.py) in Callaway–Sant'Anna, its
aggregations and Sun–Abraham: marks, the warning, ``small_cells="exclude"`` and ``"pool"``.

References are independent of the code under test: the pooling rule by hand, unit counts
by hand on a tiny panel, aggregated estimates as weighted averages of the flag fit's
ATT(g,t) / CATTs with weights written here, and their standard errors from the
delta-method influence function written here in its own form
(``∂f/∂θ_k ψ_k + Σ_g ∂f/∂p_g (1{G = g} − p_g)``), not R's ``wif`` expression the module uses.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import quiet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import did_zones as dz
from did_zones.errors import DidZonesError, SmallCohortWarning, SpecificationError
from did_zones.estimators._small_cells import pool_adjacent, range_label
from did_zones.tables.zh_notes import translate_note, untranslated

SIZES = {2013: 1, 2014: 2, 2015: 6}  # treated cohorts: units
N_NEVER = 8
YEARS = range(2010, 2018)


def tiny_frame(seed: int = 0, sizes=SIZES, n_never=N_NEVER, years=YEARS) -> pd.DataFrame:
    """Cohorts of 1, 2 and 6 units plus never-treated units; heterogeneous effects."""
    rng = np.random.default_rng(seed)
    cohorts = [g for g, n in sizes.items() for _ in range(n)] + [0] * n_never
    years = np.asarray(list(years))
    n = len(cohorts)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), years.size),
                       "year": np.tile(years, n),
                       "g": np.repeat(cohorts, years.size)})
    e = df["year"] - df["g"]
    treated = (df["g"] > 0) & (e >= 0)
    df["y"] = (np.repeat(rng.normal(size=n), years.size) + 0.1 * df["year"]
               + np.where(treated, 1.0 + 0.3 * e + 0.1 * (df["g"] - 2013), 0.0)
               + rng.normal(scale=0.3, size=len(df)))
    return df


@pytest.fixture(scope="module")
def tiny():
    return dz.build_panel(tiny_frame(), "unit", "year", cohort="g")


@pytest.fixture(scope="module")
def cs(tiny):
    return quiet(dz.callaway_santanna, tiny, "y")


# ------------------------------------------------------------------ pool_adjacent by hand


@pytest.mark.parametrize("labels, members, sizes, blocks, expected", [
    # nothing small: unchanged
    ([0, 1, 2], [{"a"}, {"b"}, {"c"}], {"a": 5, "b": 9, "c": 5}, None, [0, 1, 2]),
    # units 6 6 2 1 6: the 1 joins its larger neighbour (6 -> 7), then the 2 joins the 7
    ([0, 1, 2, 3, 4], [{0}, {1}, {2}, {3}, {4}], dict(enumerate([6, 6, 2, 1, 6])), None,
     [0, 1, 2, 2, 2]),
    # a tie between neighbours goes to the later one
    ([0, 1, 2], [{0}, {1}, {2}], {0: 6, 1: 2, 2: 6}, None, [0, 1, 1]),
    # never across blocks (pre / post): each small label pools inside its own block
    ([-2, -1, 0, 1], [{0}, {1}, {2}, {3}], {0: 1, 1: 6, 2: 1, 3: 6}, [0, 0, 1, 1],
     [0, 0, 1, 1]),
    # a lone small label in its block stays alone (and the rule terminates)
    ([-1, 0, 1], [{0}, {1}, {2}], {0: 1, 1: 6, 2: 6}, [0, 1, 1], [0, 1, 2]),
    # shared cohorts count once: e=4 and e=5 rest on cohort A only (1 unit), e=3 on A and B
    ([3, 4, 5], [{"A", "B"}, {"A"}, {"A"}], {"A": 1, "B": 6}, None, [0, 0, 0]),
    # a block whose units together stay below k ends as one group
    ([0, 1, 2], [{0}, {1}, {2}], {0: 1, 1: 1, 2: 1}, None, [0, 0, 0]),
    ([], [], {}, None, []),
])
def test_pool_adjacent_rules(labels, members, sizes, blocks, expected):
    got = pool_adjacent(labels, members, sizes, 5, blocks)
    assert got.tolist() == expected


def test_range_label():
    assert range_label([4, 5]) == "4..5"
    assert range_label([2015.0, 2016.0, 2017.0]) == "2015..2017"
    assert range_label([-3.0]) == "-3"


# --------------------------------------------------------------------- options and errors


def test_options_validated_with_clear_errors(tiny):
    with pytest.raises(SpecificationError, match="min_cohort_size"):
        dz.callaway_santanna(tiny, "y", min_cohort_size=0)
    with pytest.raises(SpecificationError, match="small_cells"):
        dz.callaway_santanna(tiny, "y", small_cells="drop")
    with pytest.raises(SpecificationError, match="small_cells"):
        dz.sun_abraham(tiny, "y", small_cells="pooled")
    cs = quiet(dz.callaway_santanna, tiny, "y")
    with pytest.raises(SpecificationError, match="min_cohort_size"):
        dz.aggregate(cs, "event", min_cohort_size=1.5)
    # exclude with every cohort small: the error names the cohorts and the fix
    with pytest.raises(SpecificationError, match=r"every cohort has fewer than 7 units "
                       r"\(cohort: units — 2013: 1, 2014: 2, 2015: 6\)\. Use "
                       r"small_cells='flag' or 'pool'"):
        quiet(dz.aggregate, cs, "event", small_cells="exclude", min_cohort_size=7)
    with pytest.raises(SpecificationError, match="every treated cohort has fewer than 7"):
        quiet(dz.sun_abraham, tiny, "y", small_cells="exclude", min_cohort_size=7)


def test_spec_records_the_policy_and_aggregate_inherits_it(tiny, cs):
    assert cs.spec["min_cohort_size"] == 5 and cs.spec["small_cells"] == "flag"
    ex = quiet(dz.callaway_santanna, tiny, "y", small_cells="exclude", min_cohort_size=2)
    assert ex.spec["small_cells"] == "exclude" and ex.spec["min_cohort_size"] == 2
    # the ATT(g,t) themselves do not depend on the policy; only the marks follow k
    pd.testing.assert_series_equal(ex.estimate, cs.estimate)
    assert ex.keys["small_cell"].sum() == (ex.keys["cohort"] == 2013).sum()
    a = quiet(dz.aggregate, ex, "event")
    b = quiet(dz.aggregate, cs, "event", small_cells="exclude", min_cohort_size=2)
    pd.testing.assert_series_equal(a.estimate, b.estimate)
    assert a.spec["small_cells"] == "exclude" and a.spec["min_cohort_size"] == 2
    # re-aggregating with another policy does not need re-estimating
    c = quiet(dz.aggregate, ex, "event", small_cells="flag")
    pd.testing.assert_series_equal(c.estimate, quiet(dz.aggregate, cs, "event").estimate)
    # rerun carries the aggregation's policy through the estimator's spec
    again = quiet(dz.rerun, a, tiny)
    pd.testing.assert_series_equal(again.estimate, a.estimate)
    sa = quiet(dz.sun_abraham, tiny, "y", small_cells="pool")
    assert sa.spec["small_cells"] == "pool" and sa.spec["min_cohort_size"] == 5


# --------------------------------------------------------------- marks and unit counts


def _hand_units(cells: list[tuple[int, int]]) -> int:
    """Units behind a set of (cohort, time) cells: the distinct cohorts' sizes."""
    return sum(SIZES[g] for g in {g for g, _ in cells})


def test_marks_and_counts_on_the_tiny_panel(cs):
    k = cs.keys
    assert k["n_treated_units"].tolist() == [SIZES[int(g)] for g in k["cohort"]]
    assert k["small_cell"].tolist() == [SIZES[int(g)] < 5 for g in k["cohort"]]
    cells = list(zip(k["cohort"].astype(int), k["time"].astype(int), strict=True))

    ev = quiet(dz.aggregate, cs, "event")
    for term, e, n, small in zip(ev.terms, ev.keys["event_time"], ev.keys["n_treated_units"],
                                 ev.keys["small_cell"], strict=True):
        if term == "overall":
            assert n == 9 and not small  # every cohort's post cells
            continue
        hand = _hand_units([c for c in cells if c[1] - c[0] == e])
        assert n == hand and small == (hand < 5), term
    # cohort 2015 is observed e = -4..2; e = 3 rests on 2013 and 2014 (3), e = 4 on 2013 (1)
    assert ev.keys.set_index(pd.Index(ev.terms))["n_treated_units"].to_dict()["ATT(e=3)"] == 3
    assert ev.keys.set_index(pd.Index(ev.terms)).loc["ATT(e=4)", "small_cell"]

    grp = quiet(dz.aggregate, cs, "cohort")
    assert grp.keys["n_treated_units"].tolist() == [9, 1, 2, 6]
    assert grp.keys["small_cell"].tolist() == [False, True, True, False]
    cal = quiet(dz.aggregate, cs, "calendar")  # cohorts treated by t
    hand = [9] + [sum(n for g, n in SIZES.items() if g <= t) for t in range(2013, 2018)]
    assert cal.keys["n_treated_units"].tolist() == hand
    simple = quiet(dz.aggregate, cs, "simple")
    assert simple.keys["n_treated_units"].tolist() == [9]


def test_one_warning_listing_the_small_terms_also_in_notes(tiny):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cs = dz.callaway_santanna(tiny, "y")
    small = [w for w in caught if issubclass(w.category, SmallCohortWarning)]
    assert len(small) == 1
    msg = str(small[0].message)
    assert msg.startswith("Callaway–Sant'Anna: 14 term(s) rest on fewer than 5 treated units "
                          "(term: units) — ATT(2013,2011): 1,")
    assert "with 1 treated cluster a nominal 5% cluster-robust test rejects a true null 78%" \
        in msg
    assert msg in cs.notes
    with pytest.warns(SmallCohortWarning, match=r"aggregate \(event\): 2 term\(s\) rest on "
                      r"fewer than 5 treated units \(term: units\) — ATT\(e=3\): 3, "
                      r"ATT\(e=4\): 1\."):
        ev = dz.aggregate(cs, "event")
    assert any(n.startswith("Callaway–Sant'Anna aggregate (event): 2 term(s)") for n in ev.notes)
    with pytest.warns(SmallCohortWarning, match=r"Sun–Abraham: 2 term\(s\) rest on fewer "
                      r"than 5 treated units \(term: units\) — e\+3: 3, e\+4: 1\."):
        sa = dz.sun_abraham(tiny, "y")
    assert sa.keys["small_cell"].tolist() == [t in ("e+3", "e+4") for t in sa.terms]
    assert sa.keys["n_treated_units"].tolist() == sa.keys["n_units"].tolist()
    # every new note has a Chinese rendering
    notes = set(cs.notes) | set(ev.notes) | set(sa.notes)
    for policy in ("exclude", "pool"):
        for kind in ("event", "cohort", "calendar", "simple"):
            notes |= set(quiet(dz.aggregate, cs, kind, small_cells=policy).notes)
        notes |= set(quiet(dz.sun_abraham, tiny, "y", small_cells=policy).notes)
    ours = [n for n in notes if "small_cell" in n or "rest on fewer" in n]
    assert len(ours) >= 8
    assert any("small_cells='pool' pooled adjacent event times" in n for n in ours)
    for note in ours:
        assert untranslated(translate_note(note)) == [], note


def test_min_cohort_size_one_turns_the_marks_off(tiny):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cs = dz.callaway_santanna(tiny, "y", min_cohort_size=1)
        ev = dz.aggregate(cs, "event")
    assert not any("rest on fewer" in str(w.message) for w in caught)
    assert not cs.keys["small_cell"].any() and not ev.keys["small_cell"].any()


# ---------------------------------------------------- exact references for exclude / pool


def _hand_aggregate(cs, cells: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Size-weighted mean of the ATT(g,t) in ``cells`` (bool over cs.terms) with its
    influence function from the delta method written out here: the weights
    ``p_g = mean(1{G = g})`` are estimated, so
    ``ψ = Σ_k (p_k/P) ψ_k + Σ_g (1{G = g} − p_g) Σ_{k in g} (θ_k − f)/P``."""
    theta = cs.estimate.to_numpy()[cells]
    g = cs.keys["cohort"].to_numpy()[cells]
    G = cs.extra["unit_cohort"]
    p = {c: np.mean(G == c) for c in np.unique(g)}
    pk = np.array([p[c] for c in g])
    P = pk.sum()
    f = pk @ theta / P
    psi = np.asarray(cs.influence)[:, cells] @ (pk / P)
    for c in p:
        psi = psi + ((G == c) - p[c]) * (theta[g == c] - f).sum() / P
    n = psi.size
    return f, np.sqrt(psi @ psi) / n, psi


def test_exclude_event_equals_hand_weighted_average_and_if(cs):
    ex = quiet(dz.aggregate, cs, "event", small_cells="exclude")
    e_cell = (cs.keys["time"] - cs.keys["cohort"]).to_numpy()
    big = cs.keys["cohort"].to_numpy() == 2015  # the only cohort with >= 5 units
    assert ex.terms == ["overall"] + [f"ATT(e={e})" for e in range(-4, 3)]
    psis = {}
    for term, e in zip(ex.terms[1:], ex.keys["event_time"][1:], strict=True):
        f, se, psis[e] = _hand_aggregate(cs, big & (e_cell == e))
        assert ex.estimate[term] == pytest.approx(f, abs=1e-12)
        assert ex.std_error[term] == pytest.approx(se, rel=1e-10)
    # overall: plain mean of the post event times left (R's dynamic overall)
    post = [e for e in psis if e >= 0]
    o_psi = np.mean([psis[e] for e in post], axis=0)
    o_est = np.mean([ex.estimate[f"ATT(e={int(e)})"] for e in post])
    assert ex.estimate["overall"] == pytest.approx(o_est, abs=1e-12)
    assert ex.std_error["overall"] == pytest.approx(np.sqrt(o_psi @ o_psi) / o_psi.size,
                                                    rel=1e-10)
    # weights: zero on every cell of the small cohorts, rows sum to one
    W = ex.extra["weights"]
    small_cols = [t for t, g in zip(cs.terms, cs.keys["cohort"], strict=True) if g != 2015]
    assert (W[small_cols].to_numpy() == 0).all()
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-12)
    assert not ex.keys["small_cell"].any()
    note = [n for n in ex.notes if "small_cells='exclude' leaves out" in n]
    assert note == ["Callaway–Sant'Anna aggregate (event): small_cells='exclude' leaves out 2 "
                    "cohort(s) with fewer than 5 treated units, [2013, 2014] (3 unit(s)): their "
                    "ATT(g,t) get zero weight in every average, the overall ones included (the "
                    "cells are still estimated and reported). 2 term(s) dropped for resting on "
                    "fewer than 5 treated units: [ATT(e=3), ATT(e=4)]."]


@pytest.mark.parametrize("kind", ["simple", "calendar", "cohort"])
def test_exclude_other_kinds_equal_hand_values(cs, kind):
    ex = quiet(dz.aggregate, cs, kind, small_cells="exclude")
    g = cs.keys["cohort"].to_numpy()
    t = cs.keys["time"].to_numpy()
    big, post = g == 2015, t >= g
    if kind == "simple":
        f, se, _ = _hand_aggregate(cs, big & post)
        assert ex.estimate["overall"] == pytest.approx(f, abs=1e-12)
        assert ex.std_error["overall"] == pytest.approx(se, rel=1e-10)
    elif kind == "calendar":
        assert ex.terms == ["overall", "ATT(t=2015)", "ATT(t=2016)", "ATT(t=2017)"]
        for year in (2015, 2016, 2017):
            f, se, _ = _hand_aggregate(cs, big & post & (t == year))
            assert ex.estimate[f"ATT(t={year})"] == pytest.approx(f, abs=1e-12)
            assert ex.std_error[f"ATT(t={year})"] == pytest.approx(se, rel=1e-10)
    else:  # the only cohort left is its own overall
        assert ex.terms == ["overall", "ATT(g=2015)"]
        theta = cs.estimate.to_numpy()[big & post]
        psi = np.asarray(cs.influence)[:, big & post].mean(axis=1)
        assert ex.estimate["ATT(g=2015)"] == pytest.approx(theta.mean(), abs=1e-12)
        assert ex.std_error["ATT(g=2015)"] == pytest.approx(np.sqrt(psi @ psi) / psi.size,
                                                            rel=1e-10)
        assert ex.estimate["overall"] == pytest.approx(theta.mean(), abs=1e-12)


def test_pool_event_calendar_cohort_equal_hand_values(cs):
    g = cs.keys["cohort"].to_numpy()
    t = cs.keys["time"].to_numpy()
    e = t - g
    flag = quiet(dz.aggregate, cs, "event")
    ev = quiet(dz.aggregate, cs, "event", small_cells="pool")
    # e=4 (1 unit) joins e=3 (3 units, the larger neighbour), still < 5: joins e=2 (9 units)
    assert ev.terms == ["overall"] + [f"ATT(e={v})" for v in range(-4, 2)] + ["ATT(e=2..4)"]
    kt = ev.keys.set_index(pd.Index(ev.terms))
    assert kt.loc["ATT(e=2..4)", "event_time"] == 2 and kt.loc["ATT(e=2..4)",
                                                                 "event_time_high"] == 4
    assert kt.loc["ATT(e=2..4)", "n_treated_units"] == 9
    assert kt.loc["ATT(e=2..4)", "n_cells"] == 6
    f, se, _ = _hand_aggregate(cs, (e >= 2) & (e <= 4))
    assert ev.estimate["ATT(e=2..4)"] == pytest.approx(f, abs=1e-12)
    assert ev.std_error["ATT(e=2..4)"] == pytest.approx(se, rel=1e-10)
    # unpooled terms and the overall are those of the flag aggregation
    for term in ev.terms[:-1]:
        assert ev.estimate[term] == flag.estimate[term]
        assert ev.std_error[term] == pytest.approx(flag.std_error[term], rel=1e-12)

    cal = quiet(dz.aggregate, cs, "calendar", small_cells="pool")
    # t=2013 (1 unit) joins t=2014 (3), still < 5: joins t=2015 (9)
    assert cal.terms == ["overall", "ATT(t=2013..2015)", "ATT(t=2016)", "ATT(t=2017)"]
    f, se, _ = _hand_aggregate(cs, (t >= g) & (t <= 2015))
    assert cal.estimate["ATT(t=2013..2015)"] == pytest.approx(f, abs=1e-12)
    assert cal.std_error["ATT(t=2013..2015)"] == pytest.approx(se, rel=1e-10)
    assert cal.keys["time_high"].tolist()[1:] == [2015, 2016, 2017]

    grp = quiet(dz.aggregate, cs, "cohort", small_cells="pool")
    # 2013 (1) joins 2014 (2), still < 5: joins 2015 (6): one pooled cohort term
    assert grp.terms == ["overall", "ATT(g=2013..2015)"]
    gflag = quiet(dz.aggregate, cs, "cohort")
    # size-weighted mean of the cohort terms = the overall (same weights)
    sizes = np.array([SIZES[c] for c in (2013, 2014, 2015)], dtype=float)
    hand = sizes @ gflag.estimate[["ATT(g=2013)", "ATT(g=2014)", "ATT(g=2015)"]].to_numpy() \
        / sizes.sum()
    assert grp.estimate["ATT(g=2013..2015)"] == pytest.approx(hand, abs=1e-12)
    assert grp.std_error["ATT(g=2013..2015)"] == pytest.approx(gflag.std_error["overall"],
                                                                rel=1e-10)
    assert grp.keys["cohort_high"].tolist()[1:] == [2015]


def _sa_hand(sa, cells: np.ndarray) -> tuple[float, float]:
    """IW average of the CATTs in ``cells`` with observation shares over them, and its
    fixed-share standard error ``sqrt(a' V(δ) a)``."""
    catt = sa.extra["catt"]
    m = catt["n_obs"].to_numpy(float) * cells
    a = m / m.sum()
    V = sa.extra["catt_vcov"].to_numpy()
    return float(a @ catt["estimate"].to_numpy()), float(np.sqrt(a @ V @ a))


def _share_se_by_unit(sa, cells: np.ndarray, flag_catt) -> float:
    """The shares' part of the variance with unit clusters and one row per unit and
    relative period: unit i of cohort g at relative period e moves the average by
    (δ_ge − θ)/N; summed within the unit, squared, summed."""
    catt = flag_catt
    m = catt["n_obs"].to_numpy(float) * cells
    theta = m @ catt["estimate"].to_numpy() / m.sum()
    # every unit of cohort g sits in each of its cells once: its sum is Σ_e (δ_ge − θ)/N
    per_cohort = {}
    for c in np.unique(catt["cohort"][cells]):
        sel = cells & (catt["cohort"].to_numpy() == c)
        per_cohort[c] = ((catt["estimate"].to_numpy()[sel] - theta) / m.sum()).sum()
    units = {c: catt["n_units"].to_numpy()[catt["cohort"].to_numpy() == c].max()
             for c in per_cohort}
    return float(np.sqrt(sum(units[c] * per_cohort[c] ** 2 for c in per_cohort)))


@pytest.mark.parametrize("share_variance", ["fixed", "estimated"])
def test_sun_abraham_exclude_and_pool_equal_hand_iw_averages(tiny, share_variance):
    flag = quiet(dz.sun_abraham, tiny, "y", share_variance=share_variance)
    catt = flag.extra["catt"]
    g, e = catt["cohort"].to_numpy(), catt["event_time"].to_numpy()
    vfix = flag.extra["vcov_fixed_shares"]
    ex = quiet(dz.sun_abraham, tiny, "y", small_cells="exclude", share_variance=share_variance)
    assert ex.terms == ["overall"] + [f"e{v:+d}" for v in (-5, -4, -3, -2, 0, 1, 2)]
    for term, ev in zip(ex.terms, ex.keys["event_time"], strict=True):
        cells = (g == 2015) & ((e >= 0) if term == "overall" else (e == ev))
        est, se_fixed = _sa_hand(flag, cells)
        assert ex.estimate[term] == pytest.approx(est, abs=1e-12)
        if share_variance == "fixed":
            assert ex.std_error[term] == pytest.approx(se_fixed, rel=1e-10)
        else:
            share = _share_se_by_unit(flag, cells, catt)
            assert ex.std_error[term] == pytest.approx(np.hypot(se_fixed, share), rel=1e-10)
    assert ex.extra["catt"]["overall_weight"][g != 2015].eq(0).all()
    assert ("Sun–Abraham: small_cells='exclude' leaves out 2 cohort(s) with fewer than 5 "
            "treated units, [2013, 2014] (3 unit(s)): their CATTs are left out of every "
            "interaction-weighted average, the other cohorts' shares renormalised; the "
            "regression is unchanged. 2 term(s) dropped for resting on fewer than 5 treated "
            "units: [e+3, e+4].") in ex.notes

    pool = quiet(dz.sun_abraham, tiny, "y", small_cells="pool", share_variance=share_variance)
    assert pool.terms[-1] == "e+2..+4"
    kt = pool.keys.set_index(pd.Index(pool.terms))
    assert (kt.loc["e+2..+4", "event_time"], kt.loc["e+2..+4", "event_time_high"]) == (2, 4)
    assert kt.loc["e+2..+4", "n_treated_units"] == 9 and not kt.loc["e+2..+4", "small_cell"]
    cells = (e >= 2) & (e <= 4)
    est, se_fixed = _sa_hand(flag, cells)
    assert pool.estimate["e+2..+4"] == pytest.approx(est, abs=1e-12)
    if share_variance == "fixed":
        assert pool.std_error["e+2..+4"] == pytest.approx(se_fixed, rel=1e-10)
    else:
        share = _share_se_by_unit(flag, cells, catt)
        assert pool.std_error["e+2..+4"] == pytest.approx(np.hypot(se_fixed, share), rel=1e-10)
    # the terms not pooled and the overall ATT are the flag ones
    for term in pool.terms[:-1]:
        assert pool.estimate[term] == flag.estimate[term]
        assert pool.std_error[term] == pytest.approx(flag.std_error[term], rel=1e-12)
    np.testing.assert_allclose(vfix.loc["overall", "overall"],
                               pool.extra["vcov_fixed_shares"].loc["overall", "overall"],
                               rtol=1e-12)


def test_cs_pool_and_sa_pool_agree_on_the_simple_design(tiny, cs):
    # balanced, never-treated, no covariates, reference -1: CATT(g,e) = ATT(g,g+e)
    # (universal base), and the IW shares are the cohort sizes
    cs_u = quiet(dz.callaway_santanna, tiny, "y", base_period="universal")
    a = quiet(dz.aggregate, cs_u, "event", small_cells="pool")
    b = quiet(dz.sun_abraham, tiny, "y", small_cells="pool")
    np.testing.assert_allclose(a.estimate["ATT(e=2..4)"], b.estimate["e+2..+4"], atol=1e-10)


# ------------------------------------------------------------------- defaults unchanged


def test_policies_agree_when_no_cohort_is_small():
    panel = dz.build_panel(tiny_frame(1, sizes={2013: 5, 2014: 6, 2015: 7}), "unit", "year",
                           cohort="g")
    cs = quiet(dz.callaway_santanna, panel, "y")
    assert not cs.keys["small_cell"].any()
    for kind in ("simple", "event", "cohort", "calendar"):
        ref = quiet(dz.aggregate, cs, kind)
        for policy in ("exclude", "pool"):
            other = quiet(dz.aggregate, cs, kind, small_cells=policy)
            pd.testing.assert_series_equal(other.estimate, ref.estimate)
            np.testing.assert_array_equal(other.vcov.to_numpy(), ref.vcov.to_numpy())
    ref = quiet(dz.sun_abraham, panel, "y")
    for policy in ("exclude", "pool"):
        other = quiet(dz.sun_abraham, panel, "y", small_cells=policy)
        pd.testing.assert_series_equal(other.estimate, ref.estimate)
        np.testing.assert_array_equal(other.vcov.to_numpy(), ref.vcov.to_numpy())


# ------------------------------------------------------------------ the simulated panel


def test_simulated_single_city_event_time_is_marked():
    sim = dz.simulate_pilot_panel(seed=0, effect="heterogeneous", timing="next_year")
    panel = quiet(dz.build_panel, sim.data, unit="city_code", time="year", cohort="cohort")
    cs = quiet(dz.callaway_santanna, panel, "isu")
    ev = quiet(dz.aggregate, cs, "event")
    one = ev.keys["n_treated_units"].to_numpy() == 1
    assert [t for t, o in zip(ev.terms, one, strict=True) if o] == ["ATT(e=5)"]  # Hangzhou
    assert ev.keys["small_cell"][one].all()
    assert (ev.keys["small_cell"] == (ev.keys["n_treated_units"] < 5)).all()
    ex = quiet(dz.aggregate, cs, "event", small_cells="exclude")
    assert "ATT(e=5)" not in ex.terms and not ex.keys["small_cell"].any()
    pool = quiet(dz.aggregate, cs, "event", small_cells="pool")
    assert not pool.keys["small_cell"].any()
    assert pool.keys["n_treated_units"].min() >= 5
    sa = quiet(dz.sun_abraham, panel, "isu")
    assert sa.keys.set_index(pd.Index(sa.terms)).loc["e+5", "small_cell"]


# ------------------------------------------------------------------- property test


@st.composite
def small_panels(draw):
    n_cohorts = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 7), min_size=n_cohorts, max_size=n_cohorts))
    starts = draw(st.lists(st.integers(2012, 2016), min_size=n_cohorts, max_size=n_cohorts,
                           unique=True))
    n_never = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**16))
    return tiny_frame(seed, sizes=dict(zip(starts, sizes, strict=True)), n_never=n_never,
                      years=range(2010, 2017))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=small_panels(), k=st.integers(1, 8))
def test_property_exclude_and_pool_never_raise_raw_errors(df, k):
    before = df.copy(deep=True)
    panel = dz.build_panel(df, "unit", "year", cohort="g")
    try:
        cs = quiet(dz.callaway_santanna, panel, "y", min_cohort_size=k)
    except DidZonesError:
        return
    for policy in ("flag", "exclude", "pool"):
        for kind in ("simple", "event", "cohort", "calendar"):
            try:
                agg = quiet(dz.aggregate, cs, kind, small_cells=policy)
            except DidZonesError:
                continue
            np.testing.assert_allclose(agg.extra["weights"].sum(axis=1), 1.0, atol=1e-12)
            assert np.isfinite(agg.estimate).all()
            if policy == "exclude":
                assert not agg.keys["small_cell"].any()
        try:
            sa = quiet(dz.sun_abraham, panel, "y", small_cells=policy, min_cohort_size=k)
        except DidZonesError:
            continue
        catt = sa.extra["catt"]
        if "overall" in sa.terms:
            assert catt["overall_weight"].sum() == pytest.approx(1.0, abs=1e-12)
        if policy != "exclude":  # every cell in exactly one term: shares sum to 1 per term
            n_terms = len(sa.terms) - ("overall" in sa.terms)
            assert catt["share"].sum() == pytest.approx(n_terms, abs=1e-9)
    pd.testing.assert_frame_equal(df, before)


def test_wild_bootstrap_averages_the_pooled_and_kept_cells(tiny):
    # the wild bootstrap's t of a Sun–Abraham term holds the shares fixed: it must use the
    # pooled range's (or the kept cohorts') cells, so its statistic is the fixed-share t
    for policy, term in (("pool", "e+2..+4"), ("exclude", "overall"), ("exclude", "e+2")):
        sa = quiet(dz.sun_abraham, tiny, "y", small_cells=policy)
        test = quiet(dz.wild_bootstrap, sa, tiny, term, n_boot=99, seed=1)
        v = sa.extra["vcov_fixed_shares"].loc[term, term]
        assert test.statistic == pytest.approx(sa.estimate[term] / np.sqrt(v), rel=1e-10)


def test_event_average_refuses_pooled_terms(tiny, cs):
    sa = quiet(dz.sun_abraham, tiny, "y", small_cells="pool")
    ev = quiet(dz.aggregate, cs, "event", small_cells="pool")
    for res, term in ((sa, "e+2..+4"), (ev, "ATT(e=2..4)")):
        with pytest.raises(SpecificationError, match=re.escape(f"['{term}'] pool several event "
                                                                   "times (small_cells='pool')")):
            dz.estimands.event_average(res)
        with pytest.raises(SpecificationError, match=r"honest_did needs one coefficient per "
                           r"event time; .* pools event times \(small_cells='pool'\)"):
            dz.honest_did(res)
    flag = quiet(dz.sun_abraham, tiny, "y")
    assert np.isfinite(dz.estimands.event_average(flag).estimate.iloc[0])
