"""did_zones.continuous_did: Callaway, Goodman-Bacon & Sant'Anna (2024), two periods."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import EstimationError, PanelError, SpecificationError

REF = Path(__file__).parent / "reference"


def _panel(dose: np.ndarray, dy_fn, seed: int = 0, noise: float = 0.0):
    """Two periods; units with dose > 0 treated in period 2. ΔY = dy_fn(dose) (+ noise)."""
    rng = np.random.default_rng(seed)
    n = dose.size
    level = rng.normal(0, 1, n)
    y1 = level
    y2 = level + 0.3 + dy_fn(dose) * (dose > 0) + noise * rng.normal(0, 1, n)
    df = pd.DataFrame({"u": np.repeat(np.arange(n), 2), "t": np.tile([2020, 2021], n),
                       "g": np.repeat(np.where(dose > 0, 2021, 0), 2),
                       "dose": np.repeat(dose, 2), "y": np.c_[y1, y2].ravel()})
    return df, dz.build_panel(df, "u", "t", cohort="g")


@pytest.mark.parametrize("degree,knots", [(3, 0), (2, 2), (1, 0)])
def test_matches_diffdiff(degree, knots):
    data = pd.read_csv(REF / "contdid_sim_data.csv")
    ref = pd.read_csv(REF / "contdid_diffdiff.csv")
    ref = ref[ref.spec == f"degree{degree}_knots{knots}"]
    panel = dz.build_panel(data, "unit", "period", cohort="first_treat")
    res = dz.continuous_did(panel, "y", dose="dose", degree=degree, num_knots=knots)
    assert list(res.keys["parameter"]) == list(ref["parameter"])
    np.testing.assert_allclose(res.keys["dose"], ref["dose"], rtol=1e-12)
    np.testing.assert_allclose(res.estimate.to_numpy(), ref["estimate"], rtol=1e-6, atol=1e-9)
    # diff-diff's analytic (influence-function) standard errors: the same convention
    np.testing.assert_allclose(np.sqrt(np.diag(res.vcov)), ref["std_error"], rtol=1e-4)
    assert res.primary == "att_overall"


def test_linear_basis_is_ols_by_hand():
    """Degree 1, no knots: ATT(d) = a + b d from OLS of ΔY − mean_{D=0} ΔY on d."""
    rng = np.random.default_rng(3)
    dose = np.r_[np.zeros(30), rng.uniform(0.5, 3.0, 40)]
    df, panel = _panel(dose, lambda d: 1.0 + 0.8 * d, seed=3, noise=1.0)
    res = dz.continuous_did(panel, "y", dose="dose", degree=1, dose_grid=[1.0, 2.0])
    wide = df.pivot(index="u", columns="t", values="y")
    dy = (wide[2021] - wide[2020]).to_numpy()
    tr = dose > 0
    target = dy[tr] - dy[~tr].mean()
    x = dose[tr]
    b = np.sum((x - x.mean()) * (target - target.mean())) / np.sum((x - x.mean()) ** 2)
    a = target.mean() - b * x.mean()
    est = res.estimate
    np.testing.assert_allclose(est[["att_d_000", "att_d_001"]], [a + b, a + 2 * b], rtol=1e-10)
    np.testing.assert_allclose(est[["acrt_d_000", "acrt_d_001", "acrt_overall"]], b, rtol=1e-10)
    np.testing.assert_allclose(est["att_overall"], dy[tr].mean() - dy[~tr].mean(), rtol=1e-10)
    # ATT^o's variance: two-sample variance of means with 1/n (not 1/(n-1)) variances
    var = dy[tr].var() / tr.sum() + dy[~tr].var() / (~tr).sum()
    np.testing.assert_allclose(res.vcov.loc["att_overall", "att_overall"], var, rtol=1e-10)


def test_noiseless_cubic_truth():
    """ΔY exactly cubic in the dose: the cubic basis recovers ATT(d) and ACRT(d) exactly."""
    dose = np.r_[np.zeros(25), np.linspace(0.5, 2.5, 50)]
    truth = lambda d: 0.5 + d - 0.4 * d ** 2 + 0.1 * d ** 3  # noqa: E731
    deriv = lambda d: 1 - 0.8 * d + 0.3 * d ** 2  # noqa: E731
    _, panel = _panel(dose, truth, seed=1)
    grid = np.array([0.7, 1.3, 2.2])
    res = dz.continuous_did(panel, "y", dose="dose", dose_grid=grid)
    est = res.estimate
    np.testing.assert_allclose(est[[f"att_d_{i:03d}" for i in range(3)]], truth(grid),
                               rtol=1e-10)
    np.testing.assert_allclose(est[[f"acrt_d_{i:03d}" for i in range(3)]], deriv(grid),
                               rtol=1e-10)
    d1 = dose[dose > 0]
    np.testing.assert_allclose(est["att_overall"], truth(d1).mean(), rtol=1e-10)
    np.testing.assert_allclose(est["acrt_overall"], deriv(d1).mean(), rtol=1e-10)
    assert set(res.extra) == set(dz.estimators.continuous.ContinuousDidExtra.__required_keys__)


def test_invariances_and_no_mutation():
    rng = np.random.default_rng(5)
    dose = np.r_[np.zeros(20), rng.uniform(1, 2, 30)]
    df, panel = _panel(dose, lambda d: d ** 2, seed=5, noise=0.3)
    before = df.copy()
    base = dz.continuous_did(panel, "y", dose="dose")
    pd.testing.assert_frame_equal(df, before)
    shuffled = df.sample(frac=1, random_state=1).assign(y=lambda f: f.y + 7.0)
    other = dz.continuous_did(dz.build_panel(shuffled, "u", "t", cohort="g"), "y", dose="dose")
    np.testing.assert_allclose(other.estimate, base.estimate, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(other.vcov, base.vcov, rtol=1e-9, atol=1e-14)


def test_registry_and_refusals():
    spec = dz.estimators.get_spec("continuous_did")
    assert spec.family == "mechanism" and not spec.in_default_study
    assert spec.labels["zh"] and not spec.tests
    assert dz.continuous_did is spec.function


def test_errors():
    rng = np.random.default_rng(2)
    dose = np.r_[np.zeros(10), rng.uniform(1, 2, 10)]
    df, panel = _panel(dose, lambda d: d, seed=2)
    with pytest.raises(SpecificationError, match="degree must be an integer >= 1"):
        dz.continuous_did(panel, "y", dose="dose", degree=0)
    with pytest.raises(SpecificationError, match="num_knots must be an integer >= 0"):
        dz.continuous_did(panel, "y", dose="dose", num_knots=-1)
    with pytest.raises(SpecificationError, match="dose_grid must lie within the treated"):
        dz.continuous_did(panel, "y", dose="dose", dose_grid=[5.0])
    with pytest.raises(EstimationError, match="10 treated units for 11 basis functions"):
        dz.continuous_did(panel, "y", dose="dose", num_knots=7)
    bad = df.assign(dose=np.where(df.g > 0, df.dose, 1.0))
    with pytest.raises(PanelError, match="never-treated units a dose of 0; 10 units"):
        dz.continuous_did(dz.build_panel(bad, "u", "t", cohort="g"), "y", dose="dose")
    varying = df.assign(dose=df.dose + (df.t == 2021) * (df.g > 0))
    with pytest.raises(PanelError, match="constant within unit; it changes for 10 units"):
        dz.continuous_did(dz.build_panel(varying, "u", "t", cohort="g"), "y", dose="dose")
    # a third period is no longer an error: the staggered design (one cohort, two post
    # periods) is tests/test_continuous_staggered.py's
    unbalanced = df[~((df.u == 3) & (df.t == 2021))]
    with pytest.raises(PanelError, match="balanced panel; 39 rows for 20 units"):
        dz.continuous_did(dz.build_panel(unbalanced, "u", "t", cohort="g"), "y", dose="dose")
    missing = df.assign(y=np.where(df.u == 3, np.nan, df.y))
    with pytest.raises(PanelError, match="'y' is missing or infinite in 2 rows"):
        dz.continuous_did(dz.build_panel(missing, "u", "t", cohort="g"), "y", dose="dose")
    treated_only = df[df.g > 0]
    with pytest.raises(EstimationError, match="No never-treated"):
        dz.continuous_did(dz.build_panel(treated_only, "u", "t", cohort="g"), "y",
                          dose="dose")


@pytest.mark.parametrize("parameter,language", [("att", "en"), ("acrt", "zh")])
def test_dose_response_plot_draws_tidy(parameter, language):
    import matplotlib

    matplotlib.use("Agg")
    data = pd.read_csv(REF / "contdid_sim_data.csv")
    panel = dz.build_panel(data, "unit", "period", cohort="first_treat")
    res = dz.continuous_did(panel, "y", dose="dose")
    fig = dz.plots.dose_response_plot(res, parameter=parameter, alpha=0.1, language=language)
    ax = fig.axes[0]
    tidy = res.tidy(alpha=0.1)
    rows = tidy[tidy["parameter"] == parameter]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), rows["estimate"], rtol=1e-12)
    np.testing.assert_allclose(ax.lines[1].get_ydata()[0],
                               res.estimate[f"{parameter}_overall"], rtol=1e-12)
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    np.testing.assert_allclose([band.min(), band.max()],
                               [rows["conf_low"].min(), rows["conf_high"].max()], rtol=1e-12)
    matplotlib.pyplot.close(fig)
    with pytest.raises(SpecificationError, match="parameter must be one of 'att', 'acrt'"):
        dz.plots.dose_response_plot(res, parameter="level")
    with pytest.raises(SpecificationError, match="needs a Result of did_zones.continuous_did"):
        dz.plots.dose_response_plot(dz.twfe(panel, "y"))
