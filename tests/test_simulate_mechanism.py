"""The simulator's founding mechanism (``simulate_pilot_panel(mechanism=...)``).

Checks: the default draw is untouched; the truth's path effects are the products of the
coefficients that were set (hand algebra) and add up to the ATT from the potential outcomes;
on noiseless draws every structural equation holds exactly; on noisy draws TWFE regressions
of each mediator on its parents recover the coefficients (Monte-Carlo bounds over seeds) and
a switched-off edge is estimated at zero; bad ``mechanism=`` input gives clear errors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from did_zones.errors import SpecificationError
from did_zones.simulate import simulate_pilot_panel

CHANNELS = ["imports", "exports", "consumption", "innovation"]
# the structural equations: mediator -> parents (besides city and year effects)
PARENTS = {
    "imports": ["ecom"], "exports": ["ecom"],
    "consumption": ["imports", "ecom"], "innovation": ["exports", "ecom"],
    "isu": ["ecom", "imports", "consumption", "exports", "innovation"],
}
DEFAULT = {
    "ecom->imports": 0.20, "ecom->exports": 0.30, "imports->consumption": 0.08,
    "exports->innovation": 0.40, "ecom->consumption": 0.0, "ecom->innovation": 0.0,
    "imports->isu": 0.01, "consumption->isu": 0.15, "exports->isu": 0.005,
    "innovation->isu": 0.04,
}


def _twoway(data: pd.DataFrame, values: np.ndarray) -> np.ndarray:
    """Residual after city and year means on the balanced panel (FWL for two-way FE)."""
    wide = (data[["city_code", "year"]].assign(v=values)
            .pivot(index="city_code", columns="year", values="v").to_numpy())
    return (wide - wide.mean(1, keepdims=True) - wide.mean(0, keepdims=True)
            + wide.mean()).ravel()


def _twfe(data: pd.DataFrame, outcome: str, regressors: list[str]) -> dict[str, float]:
    """OLS of ``outcome`` on ``regressors`` and ``treated`` with city and year effects."""
    cols = [*regressors, "treated"]
    x = np.column_stack([_twoway(data, data[c].to_numpy(float)) for c in cols])
    y = _twoway(data, data[outcome].to_numpy(float))
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    return dict(zip(cols, coef, strict=True))


@pytest.fixture(scope="module")
def sim():
    return simulate_pilot_panel(seed=3, effect="homogeneous", mechanism=True)


# --------------------------------------------------------------------------- the default
def test_without_mechanism_nothing_changes():
    plain = simulate_pilot_panel(seed=4)
    off = simulate_pilot_panel(seed=4, mechanism=None)
    pd.testing.assert_frame_equal(plain.data, off.data, check_exact=True)
    assert off.truth.mechanism is None and math.isnan(off.truth.demand_total)
    assert "mechanism" not in off.truth.params
    assert list(plain.data.columns)[-1] == "open"


@pytest.mark.parametrize("effect", ["homogeneous", "heterogeneous"])
def test_mechanism_adds_columns_and_leaves_the_other_draws(effect):
    plain = simulate_pilot_panel(seed=4, effect=effect)
    mech = simulate_pilot_panel(seed=4, effect=effect, mechanism=True)
    assert list(mech.data.columns) == list(plain.data.columns) + CHANNELS
    assert list(mech.untreated.columns) == list(plain.untreated.columns) + CHANNELS
    same = ["city_code", "year", "cohort", "treated", "lngdp_pc", "lnpop", "gov", "fin", "open"]
    pd.testing.assert_frame_equal(mech.data[same], plain.data[same], check_exact=True)
    pd.testing.assert_series_equal(mech.untreated["ecom"], plain.untreated["ecom"],
                                   check_exact=True)
    if effect == "homogeneous":  # h = D: the first stage is the same
        pd.testing.assert_series_equal(mech.data["ecom"], plain.data["ecom"], check_exact=True)
    assert mech.data[CHANNELS].notna().all().all()
    # the same seed gives the same mediators
    again = simulate_pilot_panel(seed=4, effect=effect, mechanism=True)
    pd.testing.assert_frame_equal(mech.data, again.data, check_exact=True)


# --------------------------------------------------------------------------- truth algebra
@pytest.mark.parametrize("effect", ["homogeneous", "heterogeneous"])
def test_truth_is_the_product_of_the_coefficients(effect):
    a, b, direct = 0.4, 0.03, 0.006
    k = dict(DEFAULT, **{"ecom->consumption": 0.05, "ecom->innovation": 0.1})
    sim = simulate_pilot_panel(seed=2, effect=effect, a=a, b=b, direct=direct, mechanism=k)
    t = sim.truth
    eff = t.mechanism.set_index("path")["effect"]
    c = k
    expected = {
        "D -> ecom -> isu": a * b,
        "D -> ecom -> imports -> isu": a * c["ecom->imports"] * c["imports->isu"],
        "D -> ecom -> imports -> consumption -> isu":
            a * c["ecom->imports"] * c["imports->consumption"] * c["consumption->isu"],
        "D -> ecom -> consumption -> isu": a * c["ecom->consumption"] * c["consumption->isu"],
        "D -> ecom -> exports -> isu": a * c["ecom->exports"] * c["exports->isu"],
        "D -> ecom -> exports -> innovation -> isu":
            a * c["ecom->exports"] * c["exports->innovation"] * c["innovation->isu"],
        "D -> ecom -> innovation -> isu": a * c["ecom->innovation"] * c["innovation->isu"],
    }
    assert set(eff.index) == set(expected) | {"D -> isu"}
    for path, value in expected.items():
        assert eff[path] == pytest.approx(value, rel=1e-12, abs=1e-15), path
    side = t.mechanism.set_index("path")["side"]
    assert side["D -> ecom -> isu"] == "common" and side["D -> isu"] == "direct"
    assert {side[p] for p in expected if "imports" in p or "consumption" in p} == {"demand"}
    assert {side[p] for p in expected if "exports" in p or "innovation" in p} == {"supply"}
    demand = sum(v for p, v in expected.items() if side[p] == "demand")
    supply = sum(v for p, v in expected.items() if side[p] == "supply")
    assert t.demand_total == pytest.approx(demand, rel=1e-12)
    assert t.supply_total == pytest.approx(supply, rel=1e-12)
    assert t.common_total == pytest.approx(a * b, rel=1e-12)
    # the first stage is static: a in every treated city-year, whatever the effect profile
    post = t.att_gt["time"] >= t.att_gt["cohort"]
    np.testing.assert_allclose(t.att_gt.loc[post, "att_ecom"], a, rtol=1e-12)
    assert t.a == pytest.approx(a, rel=1e-12)
    # the direct effect keeps the profile h: ATT of direct * h, from the potential outcomes
    data = sim.data
    gap = (data["isu"] - sim.untreated["isu"])[data["treated"] == 1]
    assert t.overall == pytest.approx(gap.mean(), rel=1e-12)
    assert t.total == t.overall
    assert t.mechanism["effect"].sum() == pytest.approx(t.overall, rel=1e-12)
    assert t.direct == pytest.approx(t.overall - demand - supply - a * b, abs=1e-12)
    if effect == "homogeneous":
        assert t.direct == pytest.approx(direct, rel=1e-12)
    # b and indirect: the total effect of ecom, as with ecom as the only mediator
    assert t.b == pytest.approx(b + (demand + supply) / a, rel=1e-12)
    assert t.indirect == pytest.approx(a * b + demand + supply, rel=1e-12)
    assert t.params["mechanism"] == k
    coef = t.coefficients.set_index(["source", "target"])["coefficient"]
    assert coef[("D", "ecom")] == a and coef[("ecom", "isu")] == b
    assert coef[("D", "isu")] == direct and coef[("ecom", "imports")] == 0.2


def test_mediators_move_by_their_paths(sim):
    """Effects of the pilot on each mediator, from the potential outcomes."""
    data, u = sim.data, sim.untreated
    treated = data["treated"] == 1
    gap = {m: (data[m] - u[m])[treated] for m in ["ecom", *CHANNELS]}
    np.testing.assert_allclose(gap["ecom"], 0.5, rtol=1e-12)
    np.testing.assert_allclose(gap["imports"], 0.5 * 0.2, rtol=1e-10)
    np.testing.assert_allclose(gap["exports"], 0.5 * 0.3, rtol=1e-10)
    np.testing.assert_allclose(gap["consumption"], 0.5 * 0.2 * 0.08, rtol=1e-9)
    np.testing.assert_allclose(gap["innovation"], 0.5 * 0.3 * 0.4, rtol=1e-9)
    for m in ["ecom", *CHANNELS]:
        assert (data[m] - u[m])[~treated].abs().max() < 1e-12


def test_effect_none_has_zero_effects_but_the_structure():
    sim = simulate_pilot_panel(seed=1, effect="none", mechanism=True)
    assert (sim.truth.mechanism["effect"] == 0).all() and sim.truth.overall == 0
    coef = sim.truth.coefficients.set_index(["source", "target"])["coefficient"]
    assert coef[("D", "ecom")] == 0.0 and coef[("ecom", "imports")] == 0.2


# --------------------------------------------------------------------------- structure
@pytest.mark.parametrize("effect", ["homogeneous", "heterogeneous"])
def test_noiseless_structural_equations_hold_exactly(effect):
    """noise=0: each equation's residual is city effect + year effect (+ direct effect)."""
    a, b = 0.5, 0.02
    sim = simulate_pilot_panel(seed=6, noise=0.0, effect=effect, mechanism=True)
    data = sim.data
    d = data["treated"].to_numpy(float)
    for node, parents in PARENTS.items():
        rest = data[node].to_numpy(float).copy()
        for p in parents:
            coef = b if (p, node) == ("ecom", "isu") else DEFAULT[f"{p}->{node}"]
            rest -= coef * data[p].to_numpy(float)
        if node == "isu":  # the direct effect, per unit of h
            rest -= (data["isu"] - sim.untreated["isu"]).to_numpy() - sim.truth.indirect * d
        np.testing.assert_allclose(_twoway(data, rest), 0.0, atol=1e-10)
    np.testing.assert_allclose(_twoway(data, data["ecom"].to_numpy() - a * d), 0.0, atol=1e-10)
    # (without noise the mediators vary within cities only through D: a regression could
    # not separate them, so the noisy Monte-Carlo test below checks the estimates)


N_SEEDS = 24


@pytest.fixture(scope="module")
def monte_carlo():
    """TWFE estimates of every structural equation over seeds, with imports -> consumption
    switched off in a second design."""
    rows = []
    for seed in range(N_SEEDS):
        for design, mech in (("on", True), ("off", {"imports->consumption": 0.0})):
            data = simulate_pilot_panel(seed=100 + seed, effect="homogeneous",
                                        mechanism=mech).data
            rows.append({"design": design, "eq": "ecom", "term": "treated",
                         "estimate": _twfe(data, "ecom", [])["treated"]})
            for node, parents in PARENTS.items():
                for term, value in _twfe(data, node, parents).items():
                    rows.append({"design": design, "eq": node, "term": term,
                                 "estimate": value})
    return pd.DataFrame(rows)


def _bound_check(est: pd.Series, truth: float) -> None:
    """Mean over seeds within 4 Monte-Carlo standard errors of the truth (the seeds are
    independent draws, so the mean's sd is sd / sqrt(R)); 4 se: a false failure about
    once in 16,000 runs per check."""
    se = est.std(ddof=1) / math.sqrt(len(est))
    assert abs(est.mean() - truth) < 4.0 * se, (est.mean(), truth, se)


def test_twfe_recovers_the_path_coefficients(monte_carlo):
    on = monte_carlo[monte_carlo["design"] == "on"].groupby(["eq", "term"])["estimate"]
    _bound_check(on.get_group(("ecom", "treated")), 0.5)
    for node, parents in PARENTS.items():
        for p in parents:
            truth = 0.02 if (p, node) == ("ecom", "isu") else DEFAULT[f"{p}->{node}"]
            _bound_check(on.get_group((node, p)), truth)
        # no edge from D into the mediators; D -> isu is direct = 0.005 (homogeneous)
        _bound_check(on.get_group((node, "treated")), 0.005 if node == "isu" else 0.0)
    # the estimates are informative: the Monte-Carlo sd is small beside the coefficients
    sd = on.get_group(("consumption", "imports")).std()
    assert sd < 0.08 / 4


def test_switched_off_edge_is_estimated_at_zero(monte_carlo):
    off = monte_carlo[monte_carlo["design"] == "off"].groupby(["eq", "term"])["estimate"]
    _bound_check(off.get_group(("consumption", "imports")), 0.0)
    _bound_check(off.get_group(("isu", "consumption")), 0.15)  # the other edges stay


def test_switches():
    sim = simulate_pilot_panel(seed=2, mechanism={"demand": False})
    t = sim.truth
    assert t.demand_total == 0.0 and t.supply_total > 0
    coef = t.coefficients.set_index(["source", "target"])["coefficient"]
    for edge in [("ecom", "imports"), ("imports", "consumption"), ("imports", "isu"),
                 ("consumption", "isu"), ("ecom", "consumption")]:
        assert coef[edge] == 0.0
    assert coef[("ecom", "exports")] == 0.3
    # the switched-off mediators are still in the data, unmoved by the pilot
    assert (sim.data["imports"] == sim.untreated["imports"]).all()
    one = simulate_pilot_panel(seed=2, mechanism={"innovation": False, "exports": True})
    c1 = one.truth.coefficients.set_index(["source", "target"])["coefficient"]
    assert c1[("exports", "innovation")] == 0.0 and c1[("innovation", "isu")] == 0.0
    assert c1[("exports", "isu")] == 0.005
    assert one.truth.supply_total == pytest.approx(0.5 * 0.3 * 0.005, rel=1e-12)
    spaced = simulate_pilot_panel(seed=2, mechanism={" ecom -> ISU ".replace("ISU", "imports"):
                                                     0.25})
    assert spaced.truth.params["mechanism"]["ecom->imports"] == 0.25


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "mechanism, match",
    [
        ("yes", r"mechanism must be None, True .* got str"),
        ({"ecom->import": 0.2}, r"no edge 'ecom->import'.*Did you mean 'ecom->imports'"),
        ({"D->ecom": 0.2}, r"set by the argument a="),
        ({"ecom -> isu": 0.2}, r"set by the argument b="),
        ({"d->isu": 0.2}, r"set by the argument direct="),
        ({"import": False}, r"no key 'import'.*Did you mean 'imports'"),
        ({"imports": 0}, r"must be True or False; got 0"),
        ({"ecom->imports": "0.2"}, r"must be a finite number .* got '0.2'"),
        ({"ecom->imports": float("nan")}, r"must be a finite number"),
        ({"ecom->imports": True}, r"must be a finite number"),
        ({1: True}, r"keys must be strings"),
        ({"demand": False, "imports->isu": 0.02},
         r"sets 'imports->isu' to 0.02 but switches off the channel 'imports'"),
    ],
)
def test_bad_mechanism(mechanism, match):
    with pytest.raises(SpecificationError, match=match):
        simulate_pilot_panel(seed=0, mechanism=mechanism)


def test_too_large_coefficients_are_refused():
    with pytest.raises(SpecificationError, match="mechanism coefficients"):
        simulate_pilot_panel(seed=0, mechanism={"consumption->isu": 40.0})


def test_library_twfe_gives_the_same_regressions(sim):
    """dz.twfe (treatment= the first parent, controls = the other parents and D) equals
    the two-way within regression used above, equation by equation."""
    import did_zones as dz

    data = sim.data.assign(d=sim.data["treated"])
    panel = dz.build_panel(data, unit="city_code", time="year", cohort="cohort")
    for node, parents in PARENTS.items():
        res = dz.twfe(panel, node, treatment=parents[0], controls=[*parents[1:], "d"])
        ours = _twfe(sim.data, node, parents)
        got = res.estimate.to_numpy()
        want = [ours[p] for p in parents] + [ours["treated"]]
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)


def test_untreated_isu_keeps_its_city_and_year_means():
    """The new mediators enter isu through their within-city variation only."""
    plain = simulate_pilot_panel(seed=8)
    mech = simulate_pilot_panel(seed=8, mechanism=True)
    wide = [s.untreated.pivot(index="city_code", columns="year", values="isu").to_numpy()
            for s in (plain, mech)]
    np.testing.assert_allclose(wide[1].mean(axis=0), wide[0].mean(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(wide[1].mean(axis=1), wide[0].mean(axis=1), rtol=0, atol=1e-12)
    assert np.abs(wide[1] - wide[0]).max() > 1e-3  # but its within variation is new
