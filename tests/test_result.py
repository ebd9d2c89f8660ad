"""The Result and HypothesisTest types: inference arithmetic and tidy views."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from did_zones.errors import SpecificationError
from did_zones.result import HypothesisTest, Result


def make(df=None, crit=None):
    keys = pd.DataFrame({"event_time": [-1, 0, 1]})
    V = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.02], [0.0, 0.02, 0.16]])
    return Result.create([0.1, 0.5, -0.3], V, ["e=-1", "e=0", "e=1"], keys=keys,
                         method="test", outcome="y", spec={"alpha": 0.05}, n_obs=100,
                         n_units=20, n_clusters=20, df=df, primary="e=0",
                         crit_value=crit, notes=("3 rows dropped",), stats={"r2": 0.5})


def test_normal_inference_by_hand():
    r = make()
    np.testing.assert_allclose(r.std_error, [0.2, 0.3, 0.4], rtol=1e-15)
    np.testing.assert_allclose(r.statistic, [0.5, 5 / 3, -0.75], rtol=1e-15)
    np.testing.assert_allclose(r.p_value, 2 * stats.norm.sf([0.5, 5 / 3, 0.75]), rtol=1e-14)
    ci = r.conf_int(0.1)
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(ci["conf_low"], [0.1 - z * 0.2, 0.5 - z * 0.3, -0.3 - z * 0.4])


def test_t_inference_uses_df():
    r = make(df=19)
    np.testing.assert_allclose(r.p_value, 2 * stats.t.sf([0.5, 5 / 3, 0.75], 19), rtol=1e-14)
    np.testing.assert_allclose(r.critical_value(0.05), stats.t.ppf(0.975, 19), rtol=1e-14)


def test_uniform_band_needs_bootstrap():
    with pytest.raises(SpecificationError, match="needs the multiplier bootstrap"):
        make().conf_int(uniform=True)
    r = make(crit=2.5)
    np.testing.assert_allclose(r.conf_int(uniform=True)["conf_high"], [0.6, 1.25, 0.7])
    with pytest.raises(SpecificationError, match="re-estimate with alpha=0.1"):
        r.conf_int(alpha=0.1, uniform=True)


def test_wald_chi2_and_f_by_hand():
    r = make()
    b = np.array([0.1, 0.5])
    V = np.array([[0.04, 0.01], [0.01, 0.09]])
    w = b @ np.linalg.solve(V, b)
    test = r.wald_test(["e=-1", "e=0"])
    assert isinstance(test, HypothesisTest)
    np.testing.assert_allclose(test.statistic, w, rtol=1e-12)
    np.testing.assert_allclose(test.p_value, stats.chi2.sf(w, 2), rtol=1e-12)
    tf = make(df=19).wald_test(["e=-1", "e=0"])
    np.testing.assert_allclose(tf.statistic, w / 2, rtol=1e-12)
    np.testing.assert_allclose(tf.p_value, stats.f.sf(w / 2, 2, 19), rtol=1e-12)
    assert tf.df == (2, 19) and tf.distribution == "F"
    # a linear restriction: e=0 equals -e=1
    R = np.array([[0.0, 1.0, 1.0]])
    t2 = r.wald_test(R=R)
    np.testing.assert_allclose(t2.statistic, 0.2**2 / (0.09 + 0.16 + 2 * 0.02), rtol=1e-12)
    with pytest.raises(SpecificationError, match="Unknown term"):
        r.wald_test(["e=5"])


def test_tidy_glance_and_immutability():
    r = make()
    t = r.tidy()
    assert list(t.columns[:7]) == ["term", "estimate", "std_error", "statistic", "p_value",
                                   "conf_low", "conf_high"]
    assert t["event_time"].tolist() == [-1, 0, 1]
    g = r.glance()
    assert g.loc[0, "n_obs"] == 100 and g.loc[0, "r2"] == 0.5
    assert r["e=0"] == 0.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.method = "other"
    text = r.summary()
    assert "e=0" in text and "3 rows dropped" in text


# ------------------------------------------------------------------ result["term"]
def test_getitem_returns_the_estimate():
    assert make()["e=0"] == 0.5


def test_getitem_unknown_term_lists_terms_and_suggests():
    with pytest.raises(KeyError, match=r"^No term 'e=2' in this result\. Did you mean "
                                       r"'e=1'\? It has 3 term\(s\): \['e=-1', 'e=0', "
                                       r"'e=1'\]\.$"):
        make()["e=2"]
    with pytest.raises(KeyError, match=r"No term 'overall' in this result\. It has 3"):
        make()["overall"]


def test_getitem_many_terms_shows_ten_and_the_count():
    names = [f"ATT(2015,{t})" for t in range(2001, 2031)]
    r = Result.create(np.zeros(30), np.eye(30), names, method="callaway_santanna",
                      outcome="y", spec={}, n_obs=30, n_units=30)
    with pytest.raises(KeyError) as info:
        r["overall"]
    text = str(info.value)
    assert "It has 30 term(s): ['ATT(2015,2001)'," in text
    assert "'ATT(2015,2010)', ... (20 more)]" in text and "'ATT(2015,2011)'" not in text
    assert "use did_zones.aggregate(result, kind='simple')" in text


def test_zero_or_unidentified_std_error_gives_nan_statistic_p_value_and_interval():
    V = np.diag([0.25, 0.0, np.nan])
    V[2, 0] = V[0, 2] = np.nan
    res = Result.create([1.0, 2.0, 3.0], V, ["a", "b", "c"], method="m", outcome="y",
                        spec={}, n_obs=10, n_units=5)
    t = res.tidy().set_index("term")
    numbers = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    assert np.isfinite(t.loc["a", numbers].astype(float)).all()
    for term in ("b", "c"):
        assert t.loc[term, ["statistic", "p_value", "conf_low", "conf_high"]].isna().all()
    # a joint test leaves out restrictions on terms without variance, and says so
    test = res.wald_test(["a", "c"])
    assert "1 restriction(s) on terms without variance left out" in test.name
    assert test.df == 1 and test.statistic == pytest.approx(4.0)


def test_create_with_a_variance_floor_flags_terms_at_or_below_it():
    with pytest.warns(UserWarning, match="numerically zero.*'b'"):
        res = Result.create([1.0, 2.0], np.diag([1.0, 1e-20]), ["a", "b"], method="m",
                            outcome="y", spec={}, n_obs=10, n_units=5,
                            variance_floor=np.array([1e-18, 1e-18]), notes=("kept",))
    assert np.isnan(res.std_error["b"]) and res.std_error["a"] == 1.0
    assert res.notes[0] == "kept" and "numerically zero" in res.notes[1]
