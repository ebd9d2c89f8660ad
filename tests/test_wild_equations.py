"""Wild cluster bootstrap of the equations of a mediation analysis
(robustness._wild_equations).

References: (1) the same regression fitted by ``dz.twfe`` on the common sample (rows
with a missing value dropped from the DataFrame) and bootstrapped directly: identical
numbers; (2) a brute-force enumeration of the first stage, the restricted fit by numpy
``lstsq`` on unit and year dummies and ``dz.twfe`` re-run on every ``y*``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import SpecificationError

G = 8


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n_city, years = 3 * G, np.arange(2013, 2019)
    city = np.repeat(np.arange(n_city), years.size)
    year = np.tile(years, n_city)
    cohort = np.array([2015.0, 2016.0, 2017.0, np.nan])[rng.integers(0, 4, n_city)][city]
    prov = (np.arange(n_city) % G)[city]
    d = np.nan_to_num(year >= cohort, nan=False).astype(float)
    m = 0.5 * d + rng.normal(size=n_city)[city] + 0.2 * rng.normal(size=G)[prov] \
        + rng.normal(size=city.size)
    y = 0.3 * d + 0.6 * m + rng.normal(size=n_city)[city] + rng.normal(size=city.size)
    m[[3, 40, 77]] = np.nan  # rows outside the common sample
    return pd.DataFrame({"city": city, "year": year, "cohort": cohort,
                         "province": [f"P{p}" for p in prov], "m": m, "y": y})


def _quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


def _panel(df):
    return _quiet(dz.build_panel, df, unit="city", time="year", cohort="cohort")


@pytest.fixture(scope="module")
def med(frame):
    return _quiet(dz.mediation, _panel(frame), "y", "m", method="stepwise",
                  cluster="province", n_boot=99, seed=1)


@pytest.mark.parametrize(("equation", "outcome", "controls", "term"), [
    ("total", "y", (), "treated"),
    ("first_stage:m", "m", (), "treated"),
    ("outcome", "y", ("m",), "treated"),
    ("outcome", "y", ("m",), "m"),
])
@pytest.mark.parametrize("impose_null", [True, False])
def test_equals_twfe_on_the_common_sample(frame, med, equation, outcome, controls, term,
                                          impose_null):
    common = _panel(frame.dropna(subset=["m", "y"]))
    direct = _quiet(dz.twfe, common, outcome, controls=controls, cluster="province")
    ref = dz.wild_bootstrap(direct, common, term, null=0.1, impose_null=impose_null,
                            n_boot=999, seed=2)
    got = dz.wild_bootstrap(med, _panel(frame), term, equation=equation, null=0.1,
                            impose_null=impose_null, n_boot=999, seed=2)
    assert got.details["enumerated"] and got.details["n_boot"] == 2**G
    assert got.p_value == ref.p_value
    assert got.statistic == pytest.approx(ref.statistic, rel=1e-12)
    np.testing.assert_allclose(got.details["conf_int"], ref.details["conf_int"], rtol=1e-12)
    # and the equation's own t
    eq = {"total": med.total, "outcome": med.outcome_model}.get(equation,
                                                                med.first_stage["m"])
    assert got.statistic == pytest.approx(
        (eq.estimate[term] - 0.1) / eq.std_error[term], rel=1e-10)


@pytest.mark.slow
def test_first_stage_matches_brute_force(frame, med):
    """WCR of a = 0.2 in the first stage: the restricted fit (m − 0.2·D on unit and year
    dummies, lstsq) and dz.twfe re-run on every one of the 2^G sign vectors."""
    theta = 0.2
    df = frame.dropna(subset=["m", "y"]).reset_index(drop=True)
    D = (df.year >= df.cohort).to_numpy(float)
    Z = np.column_stack([pd.get_dummies(df.city).to_numpy(float),
                         pd.get_dummies(df.year).to_numpy(float)[:, 1:]])
    target = df.m.to_numpy() - theta * D
    fitted = Z @ np.linalg.lstsq(Z, target, rcond=None)[0] + theta * D
    resid = df.m.to_numpy() - fitted
    g = np.searchsorted(np.unique(df.province), df.province.to_numpy())
    t_ref = np.empty(2**G)
    for k in range(2**G):
        v = ((k >> np.arange(G)) & 1) * 2.0 - 1.0
        star = _quiet(dz.twfe, _panel(df.assign(m=fitted + v[g] * resid)), "m",
                      cluster="province")
        t_ref[k] = (star.estimate["treated"] - theta) / star.std_error["treated"]
    eq = med.first_stage["m"]
    t_obs = (eq.estimate["treated"] - theta) / eq.std_error["treated"]
    got = dz.wild_bootstrap(med, _panel(frame), equation="first_stage:m", null=theta)
    assert got.p_value == float(np.mean(np.abs(t_ref) >= abs(t_obs) * (1 - 1e-9)))
    assert 0.0 < got.p_value < 1.0
    # the draws themselves: the package's t* of every sign vector
    import importlib

    wb = importlib.import_module("did_zones.robustness.wild_bootstrap")
    core = importlib.import_module("did_zones.robustness._wild_core")
    common = _panel(df)
    direct = _quiet(dz.twfe, common, "m", cluster="province")
    st, _, _, _ = wb._regression(direct, common, "treated", ("province",), True)
    m = core.all_moments(st, "rademacher", 2**G, True, np.random.SeedSequence(0))
    t_fast = (m[0] - theta * m[1]) * st.D / np.sqrt(
        st.factor * (m[2] - 2 * theta * m[3] + theta**2 * m[4]))
    np.testing.assert_allclose(t_fast, t_ref, rtol=1e-9, atol=1e-9)


def test_errors(frame, med):
    panel = _panel(frame)
    with pytest.raises(SpecificationError, match="needs the equation to test; got no "
                       "equation. Pass equation= one of \\['total', 'first_stage:m', "
                       "'outcome'\\]"):
        dz.wild_bootstrap(med, panel)
    with pytest.raises(SpecificationError, match="got equation='first_stage:x'"):
        dz.wild_bootstrap(med, panel, equation="first_stage:x")
    with pytest.raises(SpecificationError, match="equation= selects an equation of a "
                       "mediation result; got a 'twfe' result"):
        dz.wild_bootstrap(med.total, panel, equation="total")
    # an equation alone on the full panel would silently use other rows: refused
    with pytest.raises(SpecificationError, match="used 141 rows but its specification "
                       "rebuilt on this panel uses 144"):
        dz.wild_bootstrap(med.total, panel)


def test_channel_equations_of_another_estimator(frame):
    """method='channel' with estimator='imputation': an equation is the imputation
    result on the common sample, bootstrapped with its own variance (one effect and a
    joint test); the total equation passed alone with the full panel (which has rows
    where only the mediator is missing) is refused (the rebuilt estimate differs)."""
    panel = _panel(frame)
    med = _quiet(dz.mediation, panel, "y", "m", method="channel", estimator="imputation",
                 cluster="province", estimator_options={"window": (0, 2)})
    common = _panel(frame.dropna(subset=["m", "y"]))
    direct = _quiet(dz.imputation, common, "m", cluster="province", window=(0, 2))
    for term in ("ATT(e=1)", ["ATT(e=0)", "ATT(e=2)"]):
        got = dz.wild_bootstrap(med, panel, term, equation="first_stage:m")
        ref = dz.wild_bootstrap(direct, common, term)
        assert got.p_value == ref.p_value
        assert got.statistic == pytest.approx(ref.statistic, rel=1e-12)
    with pytest.raises(SpecificationError, match="rebuilt on this panel is .* not the "
                       "result's .*: the result was estimated on another sample"):
        dz.wild_bootstrap(med.total, panel, "ATT(e=1)")
    with pytest.raises(SpecificationError, match="rebuilt on this panel is"):
        dz.wild_bootstrap(med.total, panel, ["ATT(e=0)", "ATT(e=2)"])
