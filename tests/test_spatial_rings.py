"""Ring spillover DiD (did_zones.ring_did) and the simulator's spillover channel.

References: a difference of four means on a hand-made panel; a brute-force computation of
the exposure, the imputation and BJS's variance (dense dummies, pseudo-inverse, loops);
the imputation estimator itself when no unit is exposed; diff-diff 3.13.0
``SpilloverDiD`` point estimates frozen in tests/reference/ring_diffdiff.csv; the
simulator's known spillovers (noiseless: exact; noisy: Monte-Carlo bounds).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import reference_file

import did_zones as dz
from did_zones.errors import (
    DataDroppedWarning,
    DidZonesWarning,
    EstimationError,
    SpecificationError,
)
from did_zones.spatial import distance_matrix, nearest_treated_km
from did_zones.spatial.rings import RingDidExtra
from did_zones.tables.zh_notes import translate_note, untranslated

SPILL = {50: 0.01, 100: 0.005, 200: 0.002}
RINGS = (0, 50, 100, 200)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def hand_km(lon1, lat1, lon2, lat2, r=6371.0088):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * r * math.asin(math.sqrt(a))


# ------------------------------------------------------------------- by hand
def test_difference_of_means_by_hand():
    # T treated in period 2; N 0.3 degrees (about 33 km) away; F1, F2 far away
    coords = pd.DataFrame({"id": ["T", "N", "F1", "F2"], "longitude": [0.0, 0.3, 20.0, 25.0],
                           "latitude": [0.0, 0.0, 0.0, 5.0]})
    y = {"T": (1.0, 4.0), "N": (2.0, 3.5), "F1": (0.0, 1.0), "F2": (3.0, 3.5)}
    df = pd.DataFrame([{"id": u, "t": t + 1, "y": v[t], "g": 2 if u == "T" else 0}
                       for u, v in y.items() for t in (0, 1)])
    panel = dz.build_panel(df, unit="id", time="t", cohort="g")
    res = quiet(dz.ring_did, panel, "y", rings=(0, 50, 100), coordinates=coords)
    far = np.mean([1.0 - 0.0, 3.5 - 3.0])
    assert res.estimate["treated"] == pytest.approx((4.0 - 1.0) - far, abs=1e-12)
    assert res.estimate["spillover[0-50km)"] == pytest.approx((3.5 - 2.0) - far, abs=1e-12)
    assert res.terms == ["treated", "spillover[0-50km)"]  # the empty ring is left out
    ex = res.extra["exposure"].set_index(["id", "t"])
    assert ex.loc[("N", 2), "status"] == "exposed" and ex.loc[("N", 1), "status"] == "clean"
    assert ex.loc[("N", 2), "nearest_km"] == pytest.approx(hand_km(0, 0, 0.3, 0), rel=1e-12)
    assert set(RingDidExtra.__annotations__) == set(res.extra)


def _random_panel(seed=0, n=36, periods=7):
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(100, 120, n), rng.uniform(22, 40, n)
    cohort = rng.choice([3, 4, 6, 0], size=n, p=[0.15, 0.15, 0.15, 0.55])
    rows = []
    for i in range(n):
        a = rng.normal()
        for t in range(1, periods + 1):
            rows.append({"id": i, "t": t, "g": cohort[i],
                         "y": a + 0.3 * t + rng.normal() + (t >= cohort[i] > 0) * 1.0})
    coords = pd.DataFrame({"id": range(n), "longitude": lon, "latitude": lat})
    return pd.DataFrame(rows), coords


def _brute_force(df, coords, rings):
    """Exposure, imputation and BJS variance written out with loops and dense algebra."""
    units = sorted(df["id"].unique())
    periods = sorted(df["t"].unique())
    xy = coords.set_index("id").loc[units]
    g = df.groupby("id")["g"].first().reindex(units).replace(0, np.inf).to_numpy()
    n = len(units)
    D = np.array([[hand_km(xy.longitude.iloc[i], xy.latitude.iloc[i], xy.longitude.iloc[j],
                           xy.latitude.iloc[j]) for j in range(n)] for i in range(n)])
    outer = rings[-1]
    recs = []
    for _, r in df.iterrows():
        i, t = units.index(r["id"]), r["t"]
        if t >= g[i]:
            status, ring = "treated", -1
        else:
            src = [j for j in range(n) if j != i and g[j] <= t]
            d = min((D[i, j] for j in src), default=np.inf)
            if d <= outer:
                status = "exposed"
                ring = min(int(np.searchsorted(rings, d, side="right")) - 1, len(rings) - 2)
            else:
                status, ring = "clean", -1
        recs.append((i, periods.index(t), t, g[i], status, ring, r["y"]))
    rec = pd.DataFrame(recs, columns=["i", "p", "t", "g", "status", "ring", "y"])
    clean = rec[rec.status == "clean"]
    target = rec[rec.status != "clean"].reset_index(drop=True)

    def dummies(frame):
        Z = np.zeros((len(frame), n + len(periods) - 1))
        Z[np.arange(len(frame)), frame.i.to_numpy()] = 1
        later = frame.p.to_numpy() > 0
        Z[np.flatnonzero(later), n + frame.p.to_numpy()[later] - 1] = 1
        return Z

    Z0, Z1 = dummies(clean), dummies(target)
    pinv = np.linalg.pinv(Z0.T @ Z0)
    beta = pinv @ Z0.T @ clean.y.to_numpy()
    e0 = clean.y.to_numpy() - Z0 @ beta
    tau = target.y.to_numpy() - Z1 @ beta
    # terms: treated, then each ring
    names, cols = [], []
    tr = (target.status == "treated").to_numpy()
    names.append("treated")
    cols.append(tr / tr.sum())
    for k in range(len(rings) - 1):
        m = ((target.status == "exposed") & (target.ring == k)).to_numpy()
        if m.any():
            names.append(f"ring{k}")
            cols.append(m / m.sum())
    est, psi = [], []
    cell = [(s, k, gg if s == "treated" else -1, p) for s, k, gg, p in
            zip(target.status, target.ring, target.g, target.p, strict=True)]
    for w in cols:
        v0 = -Z0 @ pinv @ Z1.T @ w
        est.append(w @ tau)
        tilde = {}
        for c in set(cell):
            idx = [r for r in range(len(target)) if cell[r] == c]
            num = den = 0.0
            for cl in set(target.i[idx]):
                sub = [r for r in idx if target.i[r] == cl]
                a, b = w[sub].sum(), (w[sub] * tau[sub]).sum()
                num, den = num + a * b, den + a * a
            tilde[c] = num / den if den > 0 else 0.0
        score = np.zeros(n)
        for r in range(len(target)):
            score[target.i[r]] += w[r] * (tau[r] - tilde[cell[r]])
        for r, i in enumerate(clean.i):
            score[i] += v0[r] * e0[r]
        psi.append(score)
    psi = np.array(psi).T
    return names, np.array(est), psi.T @ psi


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_brute_force_exposure_imputation_and_variance(seed):
    df, coords = _random_panel(seed)
    rings = (0.0, 120.0, 250.0)
    names, est, V = _brute_force(df, coords, np.array(rings))
    panel = dz.build_panel(df, unit="id", time="t", cohort="g")
    res = quiet(dz.ring_did, panel, "y", rings=rings, coordinates=coords)
    assert res.stats["n_unidentified"] == 0 and res.stats["n_exposed"] > 10
    assert len(res.terms) == len(names)
    np.testing.assert_allclose(res.estimate.to_numpy(), est, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res.vcov.to_numpy(), V, rtol=1e-9, atol=1e-15)


def test_no_exposure_is_the_imputation_estimator(sim_panel):
    res = quiet(dz.ring_did, sim_panel, "isu", rings=(0, 1e-6), event=True)
    imp = quiet(dz.imputation, sim_panel, "isu")
    assert res.estimate["treated"] == pytest.approx(imp.estimate["overall"], rel=1e-12)
    assert res.vcov.loc["treated", "treated"] == pytest.approx(
        imp.vcov.loc["overall", "overall"], rel=1e-10)
    for h in range(3):
        assert res.estimate[f"treated(e={h})"] == pytest.approx(
            imp.estimate[f"ATT(e={h})"], rel=1e-12)
        assert res.std_error[f"treated(e={h})"] == pytest.approx(
            imp.std_error[f"ATT(e={h})"], rel=1e-10)


# --------------------------------------------------------------- peers
def test_point_estimates_match_diff_diff_spillover_did():
    data = pd.read_csv(reference_file("ring_sim_data.csv"))
    ref = pd.read_csv(reference_file("ring_diffdiff.csv"))
    panel = dz.build_panel(data, unit="city_code", time="year", cohort="cohort")
    coords = data.drop_duplicates("city_code").rename(columns={"city_code": "id"})
    for tag, part in ref.groupby("rings", sort=False):
        rings = tuple(float(r) for r in tag.split("-"))
        res = quiet(dz.ring_did, panel, "isu", rings=rings,
                    coordinates=coords[["id", "longitude", "latitude"]])
        geo = quiet(dz.ring_did, panel, "isu", rings=rings)  # bundled seats: same points
        assert len(res.terms) == len(part)
        np.testing.assert_allclose(res.estimate.to_numpy(), part["estimate"].to_numpy(),
                                   rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(geo.estimate.to_numpy(), res.estimate.to_numpy(),
                                   rtol=1e-9)
        # standard errors differ by construction (Gardner's GMM vs BJS): same magnitude
        ratio = res.std_error.to_numpy() / part["std_error"].to_numpy()
        assert np.all((ratio > 0.9) & (ratio < 1.1))


# ----------------------------------------------------------- simulator truth
@pytest.fixture(scope="module")
def sim_panel():
    sim = dz.simulate_pilot_panel(seed=1)
    return dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")


def test_noiseless_simulator_recovers_the_spillovers_exactly():
    sim = dz.simulate_pilot_panel(seed=4, noise=0, spillover=SPILL)
    panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
    res = quiet(dz.ring_did, panel, "isu", rings=RINGS)
    truth = [sim.truth.overall, *SPILL.values()]
    np.testing.assert_allclose(res.estimate.to_numpy(), truth, rtol=0, atol=1e-12)
    ev = quiet(dz.ring_did, panel, "isu", rings=RINGS, event=True)
    spill = ev.keys[(ev.keys["kind"] == "spillover") & ev.keys["event_time"].notna()]
    for ring, effect in zip(("spillover[0-50km)", "spillover[50-100km)",
                             "spillover[100-200km]"), SPILL.values(), strict=True):
        terms = spill.index[spill["ring"] == ring]
        np.testing.assert_allclose(ev.estimate[terms], effect, atol=1e-12)
    # the exposure of the result is the simulator's
    exp = res.extra["exposure"]
    truth_exp = sim.truth.exposure
    np.testing.assert_array_equal(exp["ring"].fillna("-").to_numpy(),
                                  truth_exp["ring"].fillna("-").to_numpy())
    np.testing.assert_allclose(exp["nearest_km"], truth_exp["nearest_km"], rtol=1e-9)
    counts = sim.truth.spillover.set_index("ring")["n_obs"]
    assert res.keys.loc[counts.index, "n_obs"].tolist() == counts.tolist()


def _draws(seeds, spillover):
    out = []
    for seed in seeds:
        sim = dz.simulate_pilot_panel(seed=seed, spillover=spillover)
        panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
        res = quiet(dz.ring_did, panel, "isu", rings=RINGS)
        truth = [sim.truth.overall, *((spillover or dict.fromkeys(SPILL, 0.0)).values())]
        out.append(np.r_[res.estimate.to_numpy() - truth, res.std_error.to_numpy()])
    a = np.array(out)
    return a[:, :4], a[:, 4:]


def test_monte_carlo_recovery_and_level():
    """Known spillovers: mean error within 4 Monte-Carlo s.e. of 0 and 95% intervals cover
    at least 87% of the time (the innermost ring rests on about 27 cities; its simulated
    coverage is about 0.93). No spillover: the 5% tests of each ring reject at most 12% of
    the time (binomial sd of a 5% rate over 150 draws: 1.8 points)."""
    err, se = _draws(range(1000, 1100), SPILL)  # 100 draws with known spillovers
    mcse = err.std(axis=0, ddof=1) / np.sqrt(len(err))
    assert np.all(np.abs(err.mean(axis=0)) <= 4 * mcse), (err.mean(axis=0), mcse)
    cover = (np.abs(err / se) < 1.959964).mean(axis=0)
    assert np.all(cover >= 0.87), cover
    err0, se0 = _draws(range(2000, 2150), None)  # 150 draws without spillovers
    reject = (np.abs(err0 / se0) > 1.959964).mean(axis=0)
    assert np.all(reject[1:] <= 0.12), reject
    assert np.all(np.abs(err0.mean(axis=0)) <= 4 * err0.std(axis=0, ddof=1) / np.sqrt(150))


# ------------------------------------------------------------------ options
def test_event_terms_average_to_the_static_terms(sim_panel):
    res = quiet(dz.ring_did, sim_panel, "isu", event=True)
    keys = res.keys
    for term in ["treated", "spillover[0-50km)", "spillover[50-100km)",
                 "spillover[100-200km]"]:
        kind_ring = (keys["kind"] == "treated") if term == "treated" else (keys["ring"] == term)
        ev = keys.index[kind_ring & keys["event_time"].notna()]
        w = keys.loc[ev, "n_obs"].to_numpy(float)
        assert (w @ res.estimate[ev].to_numpy()) / w.sum() == pytest.approx(
            res.estimate[term], rel=1e-12)
        assert w.sum() == keys.loc[term, "n_obs"]


def test_distance_matrix_and_invariances(sim_panel):
    base = quiet(dz.ring_did, sim_panel, "isu")
    geo = dz.load_geography().set_index("code").loc[list(sim_panel.units)]
    km = pd.DataFrame(distance_matrix(geo["longitude"], geo["latitude"]),
                      index=sim_panel.units, columns=sim_panel.units)
    by_matrix = quiet(dz.ring_did, sim_panel, "isu", distances=km.iloc[::-1, ::-1])
    np.testing.assert_allclose(by_matrix.estimate, base.estimate, rtol=1e-10)
    np.testing.assert_allclose(by_matrix.vcov, base.vcov, rtol=1e-8, atol=1e-18)
    data = sim_panel.data
    shuffled = data.sample(frac=1.0, random_state=3).assign(isu=lambda d: d["isu"] + 5.0)
    before = shuffled.copy()
    p2 = dz.build_panel(shuffled, unit="city_code", time="year", cohort="cohort")
    moved = quiet(dz.ring_did, p2, "isu")
    np.testing.assert_allclose(moved.estimate, base.estimate, rtol=1e-8)
    np.testing.assert_allclose(moved.std_error, base.std_error, rtol=1e-7)
    pd.testing.assert_frame_equal(shuffled, before)
    near = nearest_treated_km(sim_panel)
    assert near.shape == (sim_panel.n_units, sim_panel.n_periods)
    assert np.isinf(near.iloc[:, 0]).all()  # nobody is treated in 2010


def test_missing_outcomes_and_empty_rings_warn_and_translate(sim_panel):
    data = sim_panel.data
    data.loc[data.index[::40], "isu"] = np.nan
    panel = dz.build_panel(data, unit="city_code", time="year", cohort="cohort")
    with pytest.warns(DataDroppedWarning, match=r"Dropped \d+ row\(s\) with a missing outcome"):
        res = quiet_except(dz.ring_did, DataDroppedWarning, panel, "isu")
    with pytest.warns(DidZonesWarning, match=r"1 term\(s\) have no observation"):
        res2 = quiet_except(dz.ring_did, DidZonesWarning, sim_panel, "isu",
                            rings=(0, 1, 60))
    assert res2.terms == ["treated", "spillover[1-60km]"]
    for note in res.notes + res2.notes:
        assert untranslated(translate_note(note)) == [], note


def quiet_except(fn, category, *args, **kwargs):
    """Run ``fn`` silencing every warning but ``category``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", category)
        return fn(*args, **kwargs)


def test_cluster_options(sim_panel):
    by_unit = quiet(dz.ring_did, sim_panel, "isu")
    rows = quiet(dz.ring_did, sim_panel, "isu", cluster=None)
    prov = quiet(dz.ring_did, sim_panel, "isu", cluster="province")
    np.testing.assert_allclose(rows.estimate, by_unit.estimate, rtol=1e-12)
    np.testing.assert_allclose(prov.estimate, by_unit.estimate, rtol=1e-12)
    assert rows.n_clusters is None and len(rows.influence_index) == rows.n_obs
    assert prov.n_clusters == sim_panel.data["province"].nunique()
    # the influence functions reproduce the variance: V = ψ'ψ / G²
    for res in (by_unit, rows, prov):
        g = res.influence.shape[0]
        np.testing.assert_allclose(res.influence.T @ res.influence / g**2, res.vcov,
                                   rtol=1e-12)


def test_timing(sim_panel):
    """337 x 12 well under a second (measured about 0.02 s after import)."""
    import time

    t0 = time.perf_counter()
    quiet(dz.ring_did, sim_panel, "isu", event=True)
    assert time.perf_counter() - t0 < 2.0


@pytest.mark.parametrize("kwargs, error, message", [
    ({"rings": (10, 50)}, SpecificationError, "rings must be increasing distances in km "
                                              "starting at 0"),
    ({"rings": (0, 50, 40)}, SpecificationError, "rings must be increasing"),
    ({"rings": 50}, SpecificationError, "rings must be increasing"),
    ({"base": "cs"}, SpecificationError, "base must be one of 'imputation'"),
    ({"event": "yes"}, SpecificationError, "event must be True or False"),
    ({"cluster": ("unit", "year")}, SpecificationError, "cluster takes one column name"),
    ({"rings": (0, 5000)}, EstimationError, "No treated or exposed observation has an "
                                            "identified Y"),
    ({"distances": np.zeros((3, 3))}, SpecificationError, r"distances must be 337 x 337"),
    ({"distances": np.zeros((337, 337)), "coordinates": pd.DataFrame()},
     SpecificationError, "Give distances or coordinates, not both"),
    ({"distances": pd.DataFrame([[0.0]], index=[110000], columns=[110000])},
     SpecificationError, r"The distance matrix lacks 336 panel unit\(s\)"),
    ({"distances": -np.ones((337, 337))}, SpecificationError, "missing or negative"),
])
def test_bad_options_are_clear_errors(sim_panel, kwargs, error, message):
    with pytest.raises(error, match=message):
        quiet(dz.ring_did, sim_panel, "isu", **kwargs)


def test_no_clean_observation_is_an_error(sim_panel):
    # the outcome is missing before the first pilot: every remaining untreated row is
    # within 20,000 km of a treated city
    data = sim_panel.data
    data.loc[data["year"] < 2015, "isu"] = np.nan
    panel = dz.build_panel(data, unit="city_code", time="year", cohort="cohort")
    with pytest.raises(EstimationError, match="No clean comparison observation: every "
                                              "untreated observation lies within 20000 km"):
        quiet(dz.ring_did, panel, "isu", rings=(0, 20000))


def test_units_without_coordinates_are_an_error():
    df, _ = _random_panel(0)
    panel = dz.build_panel(df, unit="id", time="t", cohort="g")
    with pytest.raises(SpecificationError, match=r"36 of 36 unit\(s\) have no coordinates"):
        dz.ring_did(panel, "y")


# --------------------------------------------------------------- simulator
def test_simulator_spillover_channel():
    base = dz.simulate_pilot_panel(seed=5)
    sim = dz.simulate_pilot_panel(seed=5, spillover=SPILL)
    # no new draw: every other column is the same, ISU moves by the true spillover
    same = [c for c in base.data.columns if c not in ("isu", "s1", "s2", "s3", "ts", "tl",
                                                       "tl2")]
    pd.testing.assert_frame_equal(base.data[same], sim.data[same])
    np.testing.assert_allclose(sim.data["isu"] - base.data["isu"],
                               sim.truth.exposure["spillover"], atol=1e-12)
    pd.testing.assert_frame_equal(base.untreated, sim.untreated)
    assert sim.truth.overall == base.truth.overall
    assert base.truth.spillover is None and base.truth.exposure is None
    assert "spillover" not in base.truth.params and sim.truth.params["spillover"] == SPILL
    tab = sim.truth.spillover
    assert tab["ring"].tolist() == ["spillover[0-50km)", "spillover[50-100km)",
                                    "spillover[100-200km]"]
    exposed = sim.truth.exposure.merge(sim.data[["city_code", "year", "treated"]])
    assert (exposed.loc[exposed["treated"] == 1, "spillover"] == 0).all()
    one = dz.simulate_pilot_panel(seed=5, spillover=0.004)
    assert one.truth.spillover["upper_km"].tolist() == [100.0]
    assert set(one.truth.exposure["spillover"].round(12)) == {0.0, 0.004}


@pytest.mark.parametrize("value, message", [
    ("big", "spillover must be None, a number"),
    ({-5: 0.1}, "spillover maps ring outer edges"),
    ({50: float("nan")}, "spillover maps ring outer edges"),
    ({}, "spillover is an empty mapping"),
])
def test_simulator_spillover_errors(value, message):
    with pytest.raises(SpecificationError, match=message):
        dz.simulate_pilot_panel(seed=0, spillover=value)
