"""Fixed-effects spatial panel models and spatial DiD (did_zones.spatial.models / did).

References:

* R ``splm::spml`` on Munnell's Produc with the ``usaww`` contiguity matrix,
  ``log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp``, ``model = "within"`` (individual
  effects), ``lag = TRUE`` / ``spatial.error = "b"``: printed ``summary()`` output (splm
  1.x, the printed digits) in a public R Markdown rendering of these examples (GitHub,
  found by the exact string "Spatial panel fixed effects lag model"; frozen below as
  ``SPLM_*``). The same numbers come out of ``spreg.Panel_FE_Lag`` / ``Panel_FE_Error``
  (checked live to 1e-6 when spreg is installed).
* Two-way effects: the direct-approach ML is the full ML with unit and period dummies;
  checked against a brute-force dummy-variable likelihood (``slogdet``, no within
  transformation, no eigenvalues) maximised independently.
* Effects: a hand computation of ``(I − ρW)⁻¹(βI + θW)`` with ``numpy.linalg.inv``.
* A spatial DiD simulation with known direct and spillover effects.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar

import did_zones as dz
from did_zones.errors import EstimationError, PanelError, SpecificationError
from did_zones.spatial.effects import effect_scalars, effects
from did_zones.spatial.spectrum import Spectrum

DATA = Path(__file__).parent / "data" / "produc"
_INSTALL = "spreg and libpysal cross-checks: install them with pip install '.[test]'"
X = ["lpcap", "lpc", "lemp", "unemp"]

# splm::spml(fm, Produc, listw, model="within", lag=TRUE, spatial.error="none")
SPLM_LAG = {"rho": (0.274689, 0.023516),
            "lpcap": (-0.0465819, 0.0254425), "lpc": (0.1874325, 0.0230441),
            "lemp": (0.6250902, 0.0297044), "unemp": (-0.0044816, 0.0008653)}
# splm::spml(fm, Produc, listw, model="within", lag=FALSE, spatial.error="b")
SPLM_ERROR = {"lambda": (0.557401, 0.033075),
              "lpcap": (0.0051438, 0.0250109), "lpc": (0.2053026, 0.0231427),
              "lemp": (0.7822540, 0.0278057), "unemp": (-0.0022317, 0.0010709)}


@pytest.fixture(scope="module")
def produc():
    df = pd.read_csv(DATA / "Produc.csv")
    for c in ("gsp", "pcap", "pc", "emp"):
        df["l" + c] = np.log(df[c])
    w = pd.read_csv(DATA / "usaww.csv", index_col=0)
    return dz.build_panel(df, unit="state", time="year", cohort={}), w, df


def _digits(value: float) -> float:
    """Half a unit of the last printed digit."""
    text = f"{value:.7f}".rstrip("0")
    return 0.5 * 10.0 ** -(len(text.split(".")[1]))


@pytest.mark.parametrize("model, ref", [("sar", SPLM_LAG), ("sem", SPLM_ERROR)])
def test_produc_matches_splm_printed(produc, model, ref):
    panel, w, _ = produc
    res = dz.spatial_panel(panel, "lgsp", w, X, model=model, fixed_effects=("unit",),
                           bias_correction=False)
    for term, (est, se) in ref.items():
        assert res.estimate[term] == pytest.approx(est, abs=max(_digits(est), 6e-7))
        assert res.std_error[term] == pytest.approx(se, abs=max(_digits(se), 6e-7))


def _spreg_long(df, w):
    order = pd.MultiIndex.from_product([sorted(df["year"].unique()), list(w.index)])
    long = df.set_index(["year", "state"]).loc[order]
    return long[["lgsp"]].to_numpy(), long[X].to_numpy()


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_produc_matches_spreg(produc, model):
    spreg = pytest.importorskip("spreg", reason=_INSTALL)
    libpysal = pytest.importorskip("libpysal", reason=_INSTALL)
    import warnings

    panel, w, df = produc
    y, x = _spreg_long(df, w)
    ww = libpysal.weights.full2W(w.to_numpy(), ids=list(w.index))
    ww.transform = "r"
    cls = spreg.Panel_FE_Lag if model == "sar" else spreg.Panel_FE_Error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = cls(y, x, ww, epsilon=1e-12)
    res = dz.spatial_panel(panel, "lgsp", w, X, model=model, fixed_effects=("unit",),
                           bias_correction=False)
    terms = [*X, "rho" if model == "sar" else "lambda"]
    np.testing.assert_allclose(res.estimate[terms], ref.betas.ravel(), rtol=1e-6)
    np.testing.assert_allclose(res.std_error[terms], np.sqrt(np.diag(ref.vm)), rtol=1e-4)


def _dummy_ml(panel, w, model):
    """Brute force: ML with unit and period dummies, log|I − ρW| by slogdet."""
    df = panel.data
    n, t = panel.n_units, panel.n_periods
    wm = w.loc[panel.units, panel.units].to_numpy()
    y = np.log(df["gsp"].to_numpy()).reshape(n, t).T  # rows sorted unit, time
    xs = [df[c].to_numpy().reshape(n, t).T for c in X]
    d_unit = np.kron(np.ones((t, 1)), np.eye(n))
    d_time = np.kron(np.eye(t), np.ones((n, 1)))[:, 1:]
    x = np.column_stack([np.column_stack([v.ravel() for v in xs]), d_unit, d_time])
    wy = (y @ wm.T).ravel()
    wx = np.kron(np.eye(t), wm) @ x

    def sse(r):
        if model == "sar":
            yy, xx = y.ravel() - r * wy, x
        else:
            yy, xx = y.ravel() - r * wy, x - r * wx
        b, *_ = np.linalg.lstsq(xx, yy, rcond=None)
        e = yy - xx @ b
        return e @ e, b

    def negll(r):
        return n * t / 2 * np.log(sse(r)[0]) - t * np.linalg.slogdet(np.eye(n) - r * wm)[1]

    r = minimize_scalar(negll, bounds=(-0.9, 0.95), method="bounded",
                        options={"xatol": 1e-11}).x
    return r, sse(r)[1][:len(X)]


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_two_way_matches_dummy_variable_ml(produc, model):
    panel, w, _ = produc
    res = dz.spatial_panel(panel, "lgsp", w, X, model=model, bias_correction=False)
    rho, beta = _dummy_ml(panel, w, model)
    name = "rho" if model == "sar" else "lambda"
    assert res.estimate[name] == pytest.approx(rho, abs=1e-7)
    np.testing.assert_allclose(res.estimate[X], beta, rtol=1e-6, atol=1e-9)


def test_effects_match_hand_computation(produc):
    panel, w, _ = produc
    wm = w.loc[panel.units, panel.units].to_numpy()
    n = wm.shape[0]
    for model in ("sar", "sdm"):
        res = dz.spatial_panel(panel, "lgsp", w, X, model=model)
        rho = res.estimate["rho"]
        inv = np.linalg.inv(np.eye(n) - rho * wm)
        for v in X:
            theta = res.estimate[f"W*{v}"] if model == "sdm" else 0.0
            s = inv @ (res.estimate[v] * np.eye(n) + theta * wm)
            direct, total = np.trace(s) / n, s.sum() / n
            assert res.estimate[f"direct: {v}"] == pytest.approx(direct, abs=1e-10)
            assert res.estimate[f"indirect: {v}"] == pytest.approx(total - direct,
                                                                   abs=1e-10)
            assert res.estimate[f"total: {v}"] == pytest.approx(total, abs=1e-10)
            # row-standardised W: total = (β + θ)/(1 − ρ)
            assert total == pytest.approx((res.estimate[v] + theta) / (1 - rho), abs=1e-10)


def test_effects_jacobian_matches_finite_differences(produc):
    _, w, _ = produc
    spectrum = Spectrum(w.to_numpy())
    rho, h = 0.31, 1e-6
    vals, derivs = effect_scalars(spectrum, rho)
    up, _ = effect_scalars(spectrum, rho + h)
    down, _ = effect_scalars(spectrum, rho - h)
    np.testing.assert_allclose(derivs, (up - down) / (2 * h), rtol=1e-7)
    beta, theta = np.array([0.5, -1.0]), np.array([0.2, 0.3])
    eff = effects(beta, theta, vals)
    assert eff.shape == (2, 3)


def test_delta_and_simulation_standard_errors_agree(produc):
    panel, w, _ = produc
    delta = dz.spatial_panel(panel, "lgsp", w, X, model="sdm")
    sim = dz.spatial_panel(panel, "lgsp", w, X, model="sdm", effects_se="simulation",
                           n_sim=4000, seed=11)
    assert sim.spec["seed"] == 11
    eff = [f"{k}: {v}" for k in ("direct", "indirect", "total") for v in X]
    ratio = sim.std_error[eff] / delta.std_error[eff]
    # MC error of a standard deviation from 4,000 draws is 1.1%; the delta method is
    # first order: within 6% (5 MC standard errors)
    assert np.all(np.abs(ratio - 1) < 0.06), ratio
    # the parameters keep the analytic variance
    np.testing.assert_allclose(sim.std_error[X], delta.std_error[X], rtol=1e-12)
    again = dz.spatial_panel(panel, "lgsp", w, X, model="sdm", effects_se="simulation",
                             n_sim=4000, seed=11)
    np.testing.assert_array_equal(again.vcov.to_numpy(), sim.vcov.to_numpy())


def test_slx_is_ols_with_lagged_regressors(produc):
    panel, w, df = produc
    res = dz.spatial_panel(panel, "lgsp", w, X, model="slx")
    wm = w.loc[panel.units, panel.units].to_numpy()
    n, t = panel.n_units, panel.n_periods
    xs = np.column_stack([df[c].to_numpy().reshape(n, t).T.ravel() for c in X])
    wx = np.column_stack([(df[c].to_numpy().reshape(n, t).T @ wm.T).ravel() for c in X])
    d = np.column_stack([np.kron(np.ones((t, 1)), np.eye(n)),
                         np.kron(np.eye(t), np.ones((n, 1)))[:, 1:]])
    design = np.column_stack([xs, wx, d])
    y = np.log(df["gsp"].to_numpy()).reshape(n, t).T.ravel()
    b, *_ = np.linalg.lstsq(design, y, rcond=None)
    e = y - design @ b
    v = e @ e / (n * t - design.shape[1]) * np.linalg.inv(design.T @ design)
    terms = [*X, *(f"W*{c}" for c in X)]
    np.testing.assert_allclose(res.estimate[terms], b[:8], rtol=1e-8)
    np.testing.assert_allclose(res.std_error[terms], np.sqrt(np.diag(v))[:8], rtol=1e-8)
    np.testing.assert_allclose(res.estimate[[f"indirect: {c}" for c in X]], b[4:8],
                               rtol=1e-12)


def test_lm_tests_match_spreg_cross_section_on_block_diagonal_w(produc):
    spreg = pytest.importorskip("spreg", reason=_INSTALL)
    libpysal = pytest.importorskip("libpysal", reason=_INSTALL)
    panel, w, df = produc
    res = dz.spatial_panel(panel, "lgsp", w, X, model="sar", fixed_effects=())
    t = panel.n_periods
    big = np.kron(np.eye(t), w.to_numpy())
    ww = libpysal.weights.full2W(big)
    y, x = _spreg_long(df, w)
    ols = spreg.OLS(y, x, w=ww, spat_diag=True)
    lm = res.extra["lm_tests"]
    for key, ref in (("lm_lag", ols.lm_lag), ("lm_error", ols.lm_error),
                     ("robust_lm_lag", ols.rlm_lag), ("robust_lm_error", ols.rlm_error)):
        assert lm[key].statistic == pytest.approx(ref[0], rel=1e-6)
        assert lm[key].p_value == pytest.approx(ref[1], rel=1e-6, abs=1e-300)


def test_moran_of_residuals_by_hand(produc):
    panel, w, _ = produc
    res = dz.spatial_panel(panel, "lgsp", w, X, model="sem")
    e = res.extra["residuals"]
    wm = w.loc[panel.units, panel.units].to_numpy()
    n = wm.shape[0]
    moran = res.extra["moran"]
    z = e[3] - e[3].mean()
    by_hand = n / wm.sum() * (z @ wm @ z) / (z @ z)
    assert moran["moran_i"].iloc[3] == pytest.approx(by_hand, rel=1e-12)
    assert moran["period"].iloc[-1] == "pooled"
    assert moran["expected"].iloc[0] == pytest.approx(-1 / (n - 1))
    # residuals of the fitted SEM carry little spatial correlation; OLS residuals a lot
    assert abs(moran["moran_i"].iloc[-1]) < 0.1


def test_result_shape_and_extra(produc):
    panel, w, _ = produc
    res = dz.spatial_panel(panel, "lgsp", w, X, model="sdm")
    tidy = res.tidy()
    assert list(tidy["term"][:9]) == [*X, *(f"W*{v}" for v in X), "rho"]
    assert "direct: lemp" in set(tidy["term"]) and "total: unemp" in set(tidy["term"])
    assert res.keys.loc["indirect: lpc", "kind"] == "indirect"
    v = res.vcov.to_numpy()
    np.testing.assert_allclose(v, v.T, atol=1e-14)
    from did_zones.spatial.models import SpatialPanelExtra

    assert set(res.extra) == set(SpatialPanelExtra.__required_keys__)
    assert res.extra["interval"][1] == pytest.approx(1.0)
    assert "ML information matrix" in res.inference.iloc[0]
    assert res.summary()


def test_bias_correction_unit_effects_scales_sigma2(produc):
    panel, w, _ = produc
    raw = dz.spatial_panel(panel, "lgsp", w, X, model="sar", fixed_effects=("unit",),
                           bias_correction=False)
    bc = dz.spatial_panel(panel, "lgsp", w, X, model="sar", fixed_effects=("unit",))
    t = panel.n_periods
    # unit effects only: ρ and β unchanged, σ² scaled by T/(T − 1) (Lee & Yu 2010)
    # (the same maximiser, reached by Brent search on a rescaled objective: 1e-8)
    np.testing.assert_allclose(bc.estimate[[*X, "rho"]], raw.estimate[[*X, "rho"]],
                               rtol=1e-8)
    assert bc.stats["sigma2"] == pytest.approx(raw.stats["sigma2"] * t / (t - 1), rel=1e-8)


# ---------------------------------------------------------------- spatial DiD simulation
def _ring_knn(n: int, rng) -> np.ndarray:
    xy = rng.uniform(size=(n, 2))
    d = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    idx = np.argsort(d, axis=1)[:, :5]
    w = np.zeros((n, n))
    w[np.repeat(np.arange(n), 5), idx.ravel()] = 0.2
    return w


def _did_panel(n, t, rho, beta, theta, w, inv, rng):
    cohort = rng.choice([4.0, 6.0, 8.0, np.inf], size=n)
    d = (np.arange(t)[:, None] >= cohort[None, :]).astype(float)
    rhs = (beta * d + theta * d @ w.T + rng.normal(size=n) + rng.normal(size=(t, 1))
           + rng.normal(size=(t, n)))
    y = rhs @ inv.T
    df = pd.DataFrame({"unit": np.tile(np.arange(n), t), "year": np.repeat(np.arange(t), n),
                       "y": y.ravel()})
    return dz.build_panel(df, unit="unit", time="year",
                          cohort={u: int(c) for u, c in enumerate(cohort) if np.isfinite(c)})


@pytest.mark.slow
@pytest.mark.parametrize("rho, theta", [(0.3, 0.5), (0.0, 0.0)])
def test_spatial_did_recovers_spillover(rho, theta):
    """SDM DGP on 300 units x 10 periods, 100 draws. With a spillover the mean indirect
    estimate is within 4 Monte-Carlo standard errors of the truth; without one the 5% test
    of the indirect effect rejects at most 5% + 3 binomial standard errors (11.5%)."""
    rng = np.random.default_rng(2024)
    n, t, beta, reps = 300, 10, 1.0, 100
    w = _ring_knn(n, rng)
    inv = np.linalg.inv(np.eye(n) - rho * w)
    s = inv @ (beta * np.eye(n) + theta * w)
    true_direct, true_total = np.trace(s) / n, s.sum() / n
    true_indirect = true_total - true_direct
    wf = pd.DataFrame(w)
    ind, dirs, reject, covered = [], [], 0, 0
    for _ in range(reps):
        res = dz.spatial_did(_did_panel(n, t, rho, beta, theta, w, inv, rng), "y", wf)
        ind.append(res.estimate["indirect: treated"])
        dirs.append(res.estimate["direct: treated"])
        reject += res.p_value["indirect: treated"] < 0.05
        lo, hi = res.conf_int().loc["indirect: treated"]
        covered += lo <= true_indirect <= hi
    ind, dirs = np.array(ind), np.array(dirs)
    assert abs(ind.mean() - true_indirect) < 4 * ind.std(ddof=1) / np.sqrt(reps)
    assert abs(dirs.mean() - true_direct) < 4 * dirs.std(ddof=1) / np.sqrt(reps)
    if theta == 0 and rho == 0:
        assert reject / reps <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)
    else:
        assert covered / reps >= 0.95 - 3 * np.sqrt(0.05 * 0.95 / reps)


def test_spatial_did_terms_and_primary():
    rng = np.random.default_rng(3)
    n, t = 60, 6
    w = _ring_knn(n, rng)
    panel = _did_panel(n, t, 0.2, 1.0, 0.5, w, np.linalg.inv(np.eye(n) - 0.2 * w), rng)
    panel = panel.with_columns({"z": rng.normal(size=panel.n_obs)})
    res = dz.spatial_did(panel, "y", pd.DataFrame(w), controls=["z"])
    assert res.primary == "direct: treated"
    assert res.method == "spatial_did"
    assert res.terms[:5] == ["treated", "z", "W*treated", "W*z", "rho"]
    assert {"direct: treated", "indirect: treated", "total: treated"} <= set(res.terms)
    sar = dz.spatial_did(panel, "y", pd.DataFrame(w), model="sar")
    assert "W*treated" not in sar.terms
    # a user column named "treated" does not clash
    clash = panel.with_columns({"treated": np.zeros(panel.n_obs)})
    again = dz.spatial_did(clash, "y", pd.DataFrame(w), controls=["z"])
    np.testing.assert_allclose(again.estimate.to_numpy(), res.estimate.to_numpy(),
                               rtol=1e-12)
    assert again.terms == res.terms


def test_caller_frame_untouched(produc):
    panel, w, df = produc
    before = df.copy()
    w_before = w.copy()
    dz.spatial_panel(panel, "lgsp", w, X, model="sar")
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_frame_equal(w, w_before)


# -------------------------------------------------------------------------- bad input
def test_weights_not_covering_units(produc):
    panel, w, _ = produc
    with pytest.raises(SpecificationError, match=r"1 unit\(s\) are not in the weight matrix"):
        dz.spatial_panel(panel, "lgsp", w.drop(index="OHIO", columns="OHIO"), X)


def test_unbalanced_panel(produc):
    _, w, df = produc
    short = df.drop(index=[3, 40])
    panel = dz.build_panel(short, unit="state", time="year", cohort={})
    with pytest.raises(PanelError, match=r"balanced panel: 2 unit-period\(s\) of 48 units"):
        dz.spatial_panel(panel, "lgsp", w, X)


def test_collinear_regressors(produc):
    panel, w, _ = produc
    p2 = panel.with_columns({"twice": 2 * panel.column("lemp"),
                             "region_x": panel.column("region")})
    with pytest.raises(SpecificationError, match=r"collinear.*'twice'"):
        dz.spatial_panel(p2, "lgsp", w, [*X, "twice"], model="sar")
    with pytest.raises(SpecificationError, match=r"collinear.*unit effects.*'region_x'"):
        dz.spatial_panel(p2, "lgsp", w, [*X, "region_x"], model="sar")


def test_rho_at_boundary(produc):
    panel, w, _ = produc
    # an outcome constant across units within each period: ỹ = Wỹ, likelihood rises to ρ = 1
    year = panel.data["year"].to_numpy(dtype=float)
    p2 = panel.with_columns({"common": np.sin(year)})
    with pytest.raises(EstimationError, match="boundary of its admissible interval"):
        dz.spatial_panel(p2, "common", w, X, model="sar", fixed_effects=("unit",))


def test_bad_options(produc):
    panel, w, _ = produc
    with pytest.raises(SpecificationError, match="model"):
        dz.spatial_panel(panel, "lgsp", w, X, model="sac")
    with pytest.raises(SpecificationError, match="fixed_effects"):
        dz.spatial_panel(panel, "lgsp", w, X, fixed_effects=("state",))
    with pytest.raises(SpecificationError, match="at least one regressor"):
        dz.spatial_panel(panel, "lgsp", w, [])
    with pytest.raises(SpecificationError, match="square DataFrame"):
        dz.spatial_panel(panel, "lgsp", w.to_numpy(), X)


def _helmert(m: int) -> np.ndarray:
    """``F_{m,m−1}``: orthonormal eigenvectors of ``I − 11'/m`` for eigenvalue 1."""
    vals, vecs = np.linalg.eigh(np.eye(m) - np.ones((m, m)) / m)
    return vecs[:, vals > 0.5]


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_bias_corrected_two_way_is_lee_yu_transformation_approach(produc, model):
    """Lee & Yu (2010): transform y, X by F_T (unit effects) and F_n (period effects),
    W* = F_n'WF_n, then ML on (n − 1)(T − 1) observations with log|I − ρW*| (slogdet)."""
    panel, w, df = produc
    res = dz.spatial_panel(panel, "lgsp", w, X, model=model)
    n, t = panel.n_units, panel.n_periods
    wm = w.loc[panel.units, panel.units].to_numpy()
    ft, fn = _helmert(t), _helmert(n)
    y = np.log(df["gsp"].to_numpy()).reshape(n, t)  # (n, T)
    xs = [df[c].to_numpy().reshape(n, t) for c in X]
    ys = (fn.T @ y @ ft).T.ravel()  # (T−1)(n−1), period-major
    wstar = fn.T @ wm @ fn
    wys = (fn.T @ wm @ y @ ft).T.ravel()
    xst = np.column_stack([(fn.T @ v @ ft).T.ravel() for v in xs])
    wxst = np.column_stack([(fn.T @ wm @ v @ ft).T.ravel() for v in xs])
    m = (n - 1) * (t - 1)

    def fit(r):
        yy, xx = (ys - r * wys, xst) if model == "sar" else (ys - r * wys, xst - r * wxst)
        b, *_ = np.linalg.lstsq(xx, yy, rcond=None)
        e = yy - xx @ b
        return e @ e, b

    def negll(r):
        return m / 2 * np.log(fit(r)[0]) - (t - 1) * np.linalg.slogdet(
            np.eye(n - 1) - r * wstar)[1]

    r = minimize_scalar(negll, bounds=(-0.9, 0.95), method="bounded",
                        options={"xatol": 1e-11}).x
    sse, b = fit(r)
    name = "rho" if model == "sar" else "lambda"
    assert res.estimate[name] == pytest.approx(r, abs=1e-7)
    np.testing.assert_allclose(res.estimate[X], b, rtol=1e-6, atol=1e-9)
    assert res.stats["sigma2"] == pytest.approx(sse / m, rel=1e-6)


def test_bias_correction_falls_back_to_the_analytic_formula(produc):
    """A W that is not row-standardised: Lee & Yu's analytic correction of the direct
    estimates (period effects), σ² scaled by T/(T − 1) (unit effects)."""
    panel, w, _ = produc
    sym = (w + w.T) / 2  # symmetric, rows no longer sum to one
    raw = dz.spatial_panel(panel, "lgsp", sym, X, model="sar", bias_correction=False)
    bc = dz.spatial_panel(panel, "lgsp", sym, X, model="sar")
    assert bc.estimate["rho"] != raw.estimate["rho"]
    assert bc.stats["sigma2"] > raw.stats["sigma2"]


@pytest.mark.slow
def test_spatial_did_on_the_pilot_simulator_holds_its_level_and_sees_a_spillover():
    """dz.simulate_pilot_panel, the library's own simulator (337 cities, the real pilot
    timing, AR(1) errors), weights = binary distance band within 100 km, row-standardised.
    Without a spillover the SDM's indirect effect of the pilot, with spatial_did's default
    unit-clustered sandwich, is rejected at 5% in at most 0.05 + 3·sqrt(0.05·0.95/100) =
    0.115 of 100 draws (measured 0.03; with the information matrix, cluster=None, 0.26:
    it ignores the serial correlation); with the simulator's ring spillover
    (+0.01 for untreated cities within 100 km of a pilot city) the indirect effect is
    positive on average, more than four Monte-Carlo standard errors above zero. (The ring
    spillover is not an SDM, so its size is not the SDM's indirect effect: the ring
    estimator recovers it exactly, tests/test_spatial_rings.py.)"""
    import warnings

    W = None
    reject, indirect = [], []
    for s in range(100):
        for spill in (None, {100: 0.01}):
            sim = dz.simulate_pilot_panel(seed=500 + s, spillover=spill)
            panel = dz.build_panel(sim.data, unit="city_code", time="year",
                                   cohort="cohort")
            if W is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    W = dz.distance_band(panel, upper_km=100)
            res = dz.spatial_did(panel, "isu", W, model="sdm")
            if spill is None:
                reject.append(res.p_value["indirect: treated"] < 0.05)
            else:
                indirect.append(res.estimate["indirect: treated"])
    assert np.mean(reject) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 100)
    indirect = np.asarray(indirect)
    assert indirect.mean() > 4 * indirect.std(ddof=1) / np.sqrt(indirect.size)


def test_cluster_sandwich_of_slx_is_the_cluster_robust_ols_variance(produc):
    """SLX is OLS on the within-transformed data: its unit-clustered sandwich equals
    statsmodels' cluster-robust covariance (no small-sample factor) times G/(G − 1)."""
    import statsmodels.api as sm

    from did_zones.spatial import likelihood as lk

    panel, w, _ = produc
    names = ["lpcap", "lpc", "lemp", "unemp"]
    res = dz.spatial_panel(panel, "lgsp", w, names, model="slx", cluster="unit")
    t, n = panel.n_periods, panel.n_units
    data = panel.data.sort_values([panel.time, panel.unit])
    y = data["lgsp"].to_numpy().reshape(t, n)
    x = np.stack([data[c].to_numpy().reshape(t, n) for c in names], axis=2)
    wmat = dz.SpatialWeights.from_frame(w).align(panel).matrix
    wx = np.einsum("ij,tjk->tik", wmat, x)
    xt = lk.within(np.concatenate([x, wx], axis=2), True, True).reshape(t * n, -1)
    yt = lk.within(y, True, True).reshape(-1)
    groups = np.tile(np.arange(n), t)
    ols = sm.OLS(yt, xt).fit(cov_type="cluster",
                             cov_kwds={"groups": groups, "use_correction": False})
    cols = [*names, *(f"W*{v}" for v in names)]
    np.testing.assert_allclose(res.estimate[cols], ols.params, rtol=1e-8)
    np.testing.assert_allclose(res.vcov.loc[cols, cols], ols.cov_params() * n / (n - 1),
                               rtol=1e-8)
    assert res.n_clusters == 48
    assert "ML sandwich, clustered by unit (G = 48), normal" in res.inference.iloc[0]


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_scores_sum_to_zero_at_the_maximum(produc, model):
    """The score contributions behind the sandwich add up to the gradient of the
    log-likelihood, zero at its maximum (unit effects, no bias correction: the MLE)."""
    from did_zones.spatial import models as sm_models

    panel, w, _ = produc
    names = ["lpcap", "lpc", "lemp", "unemp"]
    res = dz.spatial_panel(panel, "lgsp", w, names, model=model, fixed_effects=("unit",),
                           bias_correction=False, cluster="unit")
    base = dz.spatial_panel(panel, "lgsp", w, names, model=model, fixed_effects=("unit",),
                            bias_correction=False)
    np.testing.assert_allclose(res.estimate, base.estimate, rtol=1e-12)
    t, n = panel.n_periods, panel.n_units
    data = panel.data.sort_values([panel.time, panel.unit])
    from did_zones.spatial import likelihood as lk
    from did_zones.spatial.spectrum import spectrum_of

    wmat = dz.SpatialWeights.from_frame(w).align(panel).matrix
    spectrum = spectrum_of(wmat, "eigen")
    y_raw = data["lgsp"].to_numpy().reshape(t, n)
    x_raw = np.stack([data[c].to_numpy().reshape(t, n) for c in names], axis=2)
    y = lk.within(y_raw, True, False)
    wy = lk.within(y_raw @ wmat.T, True, False)
    x = lk.within(x_raw, True, False).reshape(t * n, -1)
    wxs = lk.within(np.einsum("ij,tjk->tik", wmat, x_raw), True, False).reshape(t * n, -1)
    beta = base.estimate[names].to_numpy()
    rho = float(base.estimate["rho" if model == "sar" else "lambda"])
    sigma2 = base.stats["sigma2"]
    if model == "sar":
        e = y.reshape(-1) - rho * wy.reshape(-1) - x @ beta
        s = sm_models._scores(x, wy, e.reshape(t, n), None, beta, rho, sigma2, spectrum,
                              t, n, False)
    else:
        e = y.reshape(-1) - rho * wy.reshape(-1) - (x - rho * wxs) @ beta
        wu = wy.reshape(-1) - wxs @ beta
        s = sm_models._scores(x, wy, e.reshape(t, n), wu, beta, rho, sigma2, spectrum,
                              t, n, True, x - rho * wxs)
    total = s.sum(axis=0)
    scale = np.abs(s).sum(axis=0)
    assert np.all(np.abs(total) <= 1e-6 * scale), total / scale
