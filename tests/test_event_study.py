"""event_study: against pyfixest (frozen, tests/reference/twfe_pyfixest.csv), hand-computable
panels, noiseless truths, the known contamination of pooled leads and lags, invariances and
every warning / error on its message."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import mpdta_panel
from scipy import stats

from did_zones import build_panel, event_study, twfe
from did_zones.errors import (
    DataDroppedWarning,
    EstimationError,
    InferenceWarning,
    PanelError,
    SmallCohortWarning,
    SpecificationError,
)

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
RTOL_EST, RTOL_SE = 1e-6, 1e-4


def quiet(*args, **kwargs):
    """event_study with the warnings of small hand panels silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        warnings.simplefilter("ignore", SmallCohortWarning)
        warnings.simplefilter("ignore", DataDroppedWarning)
        return event_study(*args, **kwargs)


def reference(case: str) -> pd.DataFrame:
    ref = pd.read_csv(REF / "twfe_pyfixest.csv")
    out = ref[ref["case"] == case].set_index("term")
    assert len(out), case
    return out


def term(name: str) -> str:
    """pyfixest dummy name e_m3 / e_p0 -> did_zones term e-3 / e+0."""
    return f"e-{name[3:]}" if name.startswith("e_m") else f"e+{name[3:]}"


def sim_frame():
    return pd.read_csv(REF / "twfe_sim_data.csv")


def sim_panel(df=None):
    return build_panel(sim_frame() if df is None else df, unit="unit", time="year",
                       cohort="cohort")


# ------------------------------------------------------------------ peer references

CASES = [
    ("es_mpdta", "mpdta", {}),
    ("es_sim", "sim", {"controls": "x1"}),
    ("es_sim_bin", "sim", {"window": (-3, 3), "bin_endpoints": True}),
    ("es_sim_never_window", "sim", {"window": (-3, 3), "control": "never"}),
    ("es_sim_notyet_window", "sim", {"window": (-3, 3), "control": "not_yet"}),
    ("es_sim_bin_weights_province", "sim", {"window": (-3, 3), "bin_endpoints": True,
                                            "controls": "x1", "weights": "w",
                                            "cluster": "province"}),
    ("es_sim_nonever", "nonever", {"control": "not_yet"}),
]


@pytest.mark.parametrize(("case", "data", "options"), CASES, ids=[c[0] for c in CASES])
def test_matches_pyfixest(case, data, options):
    if data == "mpdta":
        panel = mpdta_panel()
    elif data == "sim":
        panel = sim_panel()
    else:
        df = sim_frame()
        panel = sim_panel(df[df["cohort"] > 0])
    res = quiet(panel, "lemp" if data == "mpdta" else "y", **options)
    ref = reference(case)

    coefs = ref.drop(index=["pretrend_F", "pretrend_chi2"])
    dropped = coefs.index[coefs["estimate"].isna()]
    kept = coefs.index[coefs["estimate"].notna()]
    ours = [term(t) if t.startswith("e_") else t for t in kept]
    assert res.terms == ours  # same terms, same order, same collinear drops
    assert res.extra["dropped_terms"] == tuple(term(t) for t in dropped)
    np.testing.assert_allclose(res.estimate[ours], coefs.loc[kept, "estimate"], rtol=RTOL_EST)
    np.testing.assert_allclose(res.std_error[ours], coefs.loc[kept, "std_error"],
                               rtol=RTOL_SE)
    assert res.n_obs == ref["n_obs"].iloc[0]
    assert res.n_clusters == ref["n_clusters"].iloc[0]

    # joint pre-trend test: F = W / q with (q, G - 1) degrees of freedom (Stata's test);
    # pyfixest's own p-value is chi2(q) on W
    test = res.extra["pretrend_test"]
    f_ref, chi_ref = ref.loc["pretrend_F"], ref.loc["pretrend_chi2"]
    q = int(chi_ref["df"])
    assert test.df == (q, int(f_ref["df"])) and test.distribution == "F"
    np.testing.assert_allclose(test.statistic, f_ref["estimate"], rtol=RTOL_SE)
    np.testing.assert_allclose(test.statistic * q, chi_ref["estimate"], rtol=RTOL_SE)
    np.testing.assert_allclose(stats.chi2.sf(test.statistic * q, q), chi_ref["p_value"],
                               rtol=RTOL_SE)
    np.testing.assert_allclose(test.p_value, stats.f.sf(f_ref["estimate"], q, f_ref["df"]),
                               rtol=RTOL_SE)
    assert res.stats["pretrend_F"] == test.statistic
    leads = res.keys.index[res.keys["role"] == "lead"]
    again = res.wald_test(list(leads))
    assert (again.statistic, again.p_value) == (test.statistic, test.p_value)


def test_no_never_treated_adds_the_earliest_lead_as_reference_and_drops_unidentified():
    df = sim_frame()
    panel = sim_panel(df[df["cohort"] > 0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = event_study(panel, "y", control="not_yet")
    messages = [str(w.message) for w in caught]
    assert any("No never-treated units: event time (period − cohort) is collinear with the "
               "unit and period effects" in m and "earliest lead e-6 is normalised" in m
               for m in messages)
    assert any("1 event-time term(s) not identified" in m and "['e+5']" in m
               for m in messages)
    assert res.extra["reference"] == (-1, -6) and res.extra["extra_reference"] == -6
    # an explicit second reference is respected and raises no reference warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        explicit = event_study(panel, "y", reference=(-1, -6), control="not_yet")
    assert not any("second reference" in str(w.message) for w in caught)
    np.testing.assert_allclose(explicit.estimate, res.estimate, rtol=1e-12)


# ------------------------------------------------------------------ hand and truth

def test_two_by_two_is_difference_of_four_means_and_equals_twfe():
    vals = {(1, 0): [1.0, 2.5, 0.7], (1, 1): [4.0, 3.1, 2.2],
            (0, 0): [0.3, -1.2, 5.0], (0, 1): [1.1, 0.4, 4.5]}
    rows = [{"unit": f"{'T' if tr else 'C'}{j}", "year": 2015 + post,
             "g": 2016 if tr else 0, "y": y}
            for (tr, post), ys in vals.items() for j, y in enumerate(ys)]
    panel = build_panel(pd.DataFrame(rows), unit="unit", time="year", cohort="g")
    res = quiet(panel, "y")
    m = {k: np.mean(v) for k, v in vals.items()}
    did = (m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0])
    assert res.terms == ["e+0"]
    assert abs(res["e+0"] - did) < 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InferenceWarning)
        static = twfe(panel, "y")
    np.testing.assert_allclose(res.std_error["e+0"], static.std_error["treated"], rtol=1e-12)
    assert res.extra["pretrend_test"] is None and np.isnan(res.stats["pretrend_F"])


def staggered(effect, n_per=6, periods=range(1, 9), cohorts=(3, 5, 6, 0), seed=0,
              noise=0.0, drop=0.0):
    """y = a_i + trend(t) + effect(g, e) 1{t >= g} + 0.8 x (+ noise); optional row drops."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in cohorts:
        for j in range(n_per):
            a = rng.normal()
            for t in periods:
                x = rng.normal()
                rows.append({"unit": f"g{g}_{j}", "year": t, "g": g, "x": x,
                             "y": a + 0.3 * t**1.5 + 0.8 * x
                             + (effect(g, t - g) if g > 0 and t >= g else 0.0)
                             + noise * rng.normal()})
    df = pd.DataFrame(rows)
    if drop:
        df = df[rng.random(len(df)) > drop].reset_index(drop=True)
    return df


def dynamic(g, e):
    """The same path in every cohort: 1 + 0.5 e."""
    return 1.0 + 0.5 * e


def test_noiseless_homogeneous_dynamic_effects_are_recovered_exactly():
    df = staggered(dynamic, drop=0.08)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y", controls="x")
    e = res.keys.loc[res.keys["role"] != "control", "event_time"]
    truth = np.where(e >= 0, 1.0 + 0.5 * e, 0.0)
    np.testing.assert_allclose(res.estimate[e.index], truth, atol=1e-10)
    np.testing.assert_allclose(res["x"], 0.8, rtol=1e-10)
    # without never-treated units (earliest lead normalised too) the truth is still exact
    nonever = build_panel(df[df["g"] > 0], unit="unit", time="year", cohort="g")
    res2 = quiet(nonever, "y", controls="x", control="not_yet")
    e2 = res2.keys.loc[res2.keys["role"] != "control", "event_time"]
    np.testing.assert_allclose(res2.estimate[e2.index], np.where(e2 >= 0, 1 + 0.5 * e2, 0.0),
                               atol=1e-10)


def test_binned_endpoints_recover_effects_constant_beyond_the_window():
    def capped(g, e):
        return 1.0 + 0.5 * min(e, 2)

    df = staggered(capped, periods=range(1, 11), cohorts=(3, 5, 7, 0))
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y", controls="x", window=(-3, 2), bin_endpoints=True)
    keys = res.keys[res.keys["role"] != "control"]
    assert list(keys["event_time"]) == [-3, -2, 0, 1, 2]
    assert list(keys["binned"]) == [True, False, False, False, True]
    truth = np.where(keys["event_time"] >= 0, 1 + 0.5 * np.minimum(keys["event_time"], 2), 0)
    np.testing.assert_allclose(res.estimate[keys.index], truth, atol=1e-10)

    # units and rows behind each coefficient, counted by hand (balanced, 6 units a cohort)
    e = panel.event_time
    for name, k in zip(keys.index, keys["event_time"], strict=True):
        hit = (e <= -3) if k == -3 else (e >= 2) if k == 2 else (e == k)
        assert keys.loc[name, "n_obs"] == hit.sum()
        assert keys.loc[name, "n_units"] == np.unique(panel.unit_id[hit]).size
        assert keys.loc[name, "n_cohorts"] == np.unique(panel.row_cohort[hit]).size
    assert res.extra["n_trimmed"] == 0


def test_heterogeneous_effects_contaminate_the_pooled_coefficients():
    """Cohort-specific effects (Sun & Abraham 2021): with no pre-trend at all the pooled
    leads are non-zero. On noiseless data every coefficient equals the regression of the
    true effects tau_it on the same design (Frisch-Waugh), computed here with dense
    dummies; the first lead is biased by a documented, non-zero amount."""
    def by_cohort(g, e):
        return {3: 3.0, 5: 1.0, 6: 0.0}[g] * (1 + e)

    df = staggered(by_cohort, cohorts=(3, 5, 6), n_per=4)  # no never-treated units
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y", controls="x", reference=(-1, -5), control="not_yet")
    lead_lag = res.keys.index[res.keys["role"] != "control"]

    e = panel.event_time
    names = list(lead_lag)
    D = np.column_stack([(e == k).astype(float) for k in res.keys.loc[names, "event_time"]])
    X = np.column_stack([D, panel.data["x"], np.eye(panel.n_units)[panel.unit_id],
                         np.eye(panel.n_periods)[panel.period_id]])
    g = panel.row_cohort
    tau = np.where(e >= 0, np.vectorize(lambda gg, ee: by_cohort(gg, ee) if ee >= 0 else 0.0)(
        g, e), 0.0)
    implied = np.linalg.lstsq(X, tau, rcond=None)[0][:len(names)]
    np.testing.assert_allclose(res.estimate[names], implied, atol=1e-9)
    # true leads are zero; the pooled estimate of e-2 is not
    assert abs(res["e-2"]) > 0.1
    np.testing.assert_allclose(res["e-2"], implied[names.index("e-2")], atol=1e-9)


def test_window_trimming_counts_and_control_conventions():
    df = staggered(dynamic, noise=1.0, seed=2)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    e = panel.event_time
    never = quiet(panel, "y", window=(-2, 1), control="never")
    notyet = quiet(panel, "y", window=(-2, 1), control="not_yet")
    n_out = int(((e < -2) | (e > 1)).sum())
    n_after = int((e > 1).sum())
    assert never.extra["n_trimmed"] == n_out and never.n_obs == panel.n_obs - n_out
    assert notyet.extra["n_trimmed"] == n_after and notyet.n_obs == panel.n_obs - n_after
    assert any(f"{n_out} row(s) of treated units with event time outside the window -2..1 "
               "dropped" in n for n in never.notes)
    n_before = int((e < -2).sum())
    assert any(f"{n_before} row(s) before the window are kept as not-yet-treated "
               "comparisons" in n for n in notyet.notes)
    assert never.terms == notyet.terms == ["e-2", "e+0", "e+1"]
    # without a window, the two conventions coincide
    a, b = quiet(panel, "y"), quiet(panel, "y", control="not_yet")
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-12)


def test_overall_average_of_post_terms():
    df = staggered(dynamic, noise=1.0, seed=5, drop=0.05)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = quiet(panel, "y", overall=True, window=(-3, 3), bin_endpoints=True)
    assert res.primary == "overall" and res.terms[-1] == "overall"
    post = res.keys.index[res.keys["role"] == "lag"]
    n = res.keys.loc[post, "n_obs"].to_numpy(float)
    a = n / n.sum()
    np.testing.assert_allclose(res.extra["overall_weights"].to_numpy(), a, rtol=1e-12)
    np.testing.assert_allclose(res["overall"], a @ res.estimate[post], rtol=1e-12)
    V = res.vcov.loc[post, post].to_numpy()
    np.testing.assert_allclose(res.std_error["overall"], np.sqrt(a @ V @ a), rtol=1e-12)
    # on noiseless data: the observation-weighted average of the true effects
    exact = quiet(build_panel(staggered(dynamic), unit="unit", time="year", cohort="g"),
                  "y", overall=True, controls="x")
    e = exact.keys.loc[exact.keys["role"] == "lag", ["event_time", "n_obs"]]
    truth = np.average(1 + 0.5 * e["event_time"], weights=e["n_obs"])
    np.testing.assert_allclose(exact["overall"], truth, rtol=1e-10)
    # the pre-trend test ignores the average term
    plain = quiet(panel, "y", window=(-3, 3), bin_endpoints=True)
    np.testing.assert_allclose(res.stats["pretrend_F"], plain.stats["pretrend_F"], rtol=1e-12)


# ------------------------------------------------------------------ invariances

def test_invariances_row_order_relabelling_constant():
    df = staggered(dynamic, noise=1.0, seed=3, drop=0.05)
    opts = {"controls": "x", "window": (-3, 3), "bin_endpoints": True}
    base = quiet(build_panel(df, unit="unit", time="year", cohort="g"), "y", **opts)
    variants = [
        df.sample(frac=1.0, random_state=4),
        df.assign(unit=df["unit"].map(lambda s: f"zone-{s[::-1]}")),
        df.assign(y=df["y"] - 987.25),
    ]
    for v in variants:
        r = quiet(build_panel(v, unit="unit", time="year", cohort="g"), "y", **opts)
        np.testing.assert_allclose(r.estimate, base.estimate, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(r.std_error, base.std_error, rtol=1e-8)
        np.testing.assert_allclose(r.stats["pretrend_F"], base.stats["pretrend_F"], rtol=1e-8)
        pd.testing.assert_frame_equal(r.keys, base.keys)


def test_callers_data_unchanged():
    df = staggered(dynamic, noise=1.0)
    before = df.copy()
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    data_before = panel.data.copy()
    quiet(panel, "y", controls="x", window=(-2, 2), overall=True)
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_frame_equal(panel.data, data_before)


# ------------------------------------------------------------------ warnings and errors

def test_option_errors_on_their_messages():
    df = staggered(dynamic, noise=1.0)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    cases = [
        ({"control": "never_treated"},
         "control must be one of 'never', 'not_yet'; got 'never_treated'."),
        ({"window": (3, -3)}, "window must be a pair of integers"),
        ({"window": (-3.0, 3)}, "window must be a pair of integers"),
        ({"bin_endpoints": True}, "bin_endpoints=True needs a window"),
        ({"bin_endpoints": "yes", "window": (-2, 2)}, "bin_endpoints must be True or False"),
        ({"reference": 1}, r"reference periods must be negative .*got \[1\]"),
        ({"reference": "-1"}, "reference must be a negative integer"),
        ({"reference": (-1, -4), "window": (-3, 3)},
         r"reference period\(s\) \[-4\] lie outside the window \(-3, 3\)"),
        ({"alpha": 0}, "alpha must lie strictly between 0 and 1"),
        ({"overall": True, "window": (-3, -1)}, "overall=True needs post-treatment terms"),
        ({"controls": "nope"}, "Column 'nope' not found"),
    ]
    for options, message in cases:
        with pytest.raises(SpecificationError, match=message):
            quiet(panel, "y", **options)
    with pytest.raises(SpecificationError, match="panel must be a did_zones Panel"):
        event_study(df, "y")
    with pytest.raises(SpecificationError, match="Outcome column 'Y' not found"):
        event_study(panel, "Y")


def test_default_control_is_never_as_in_callaway_santanna():
    import inspect

    import did_zones as dz
    from did_zones.report.config import StudySpec, load_config

    for fn in (dz.event_study, dz.callaway_santanna, dz.sun_abraham):
        assert inspect.signature(fn).parameters["control"].default == "never"
    # the study file's default and the shipped example say the same
    assert StudySpec.__dataclass_fields__["control"].default == "never"
    example = Path(__file__).resolve().parents[1] / "examples" / "study.toml"
    assert load_config(example).study.control == "never"
    df = staggered(dynamic, noise=1.0, seed=2)
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    default = quiet(panel, "y", window=(-2, 1))
    never = quiet(panel, "y", window=(-2, 1), control="never")
    np.testing.assert_array_equal(default.estimate, never.estimate)
    assert default.spec["control"] == "never"


def test_data_errors_on_their_messages():
    df = staggered(dynamic, noise=1.0)
    no_treated = build_panel(df.assign(g=0), unit="unit", time="year", cohort="g")
    with pytest.raises(PanelError, match="No treated unit in the panel"):
        quiet(no_treated, "y")
    nonever = build_panel(df[df["g"] > 0], unit="unit", time="year", cohort="g")
    with pytest.raises(PanelError, match="No never-treated units in the panel. Use "
                                         "control='not_yet', or add never-pilot units."):
        quiet(nonever, "y", control="never")
    gap = build_panel(df[~((df["g"] > 0) & (df["year"] == df["g"] - 1))], unit="unit",
                      time="year", cohort="g")
    with pytest.raises(EstimationError, match=r"Reference event time\(s\) \[-1\] not observed "
                                              r"for any treated unit.*reference=-2"):
        quiet(gap, "y")
    single = build_panel(df[df["g"] == 5], unit="unit", time="year", cohort="g")
    with pytest.raises(EstimationError, match="No event-time effect is identified"):
        quiet(single, "y", control="not_yet")
    late_start = df[(df["g"] > 0) & (df["year"] >= df["g"] - 1)]  # no lead but -1
    with pytest.raises(EstimationError, match="no lead other than the reference"):
        quiet(build_panel(late_start, unit="unit", time="year", cohort="g"), "y",
              control="not_yet")


def test_warnings_on_their_messages():
    df = staggered(dynamic, noise=1.0, n_per=3)
    panel = build_panel(df.assign(c=1.0), unit="unit", time="year", cohort="g")
    with pytest.warns(InferenceWarning, match="Only 12 clusters"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallCohortWarning)
            res = event_study(panel, "y")
    assert any("Only 12 clusters" in n for n in res.notes)
    with pytest.warns(SmallCohortWarning,
                      match=r"rest on fewer than 5 treated units \(term: units\) — e-5: 3, "):
        quiet_few = warnings.catch_warnings()
        with quiet_few:
            warnings.simplefilter("ignore", InferenceWarning)
            res = event_study(panel, "y")
    assert res.keys.loc["e-5", "n_units"] == 3
    with pytest.warns(DataDroppedWarning,
                      match=r"1 control\(s\) dropped as collinear .*\['c'\]"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InferenceWarning)
            warnings.simplefilter("ignore", SmallCohortWarning)
            res = event_study(panel, "y", controls=["x", "c"])
    assert res.extra["dropped_controls"] == ("c",)
    assert "c" not in res.terms and "x" in res.terms


def test_large_panel_overall_effect():
    """100,000 units x 10 periods with 13 event-time terms (timed in
    benchmarks/bench_scenarios.py)."""
    rng = np.random.default_rng(0)
    n, T = 100_000, 10
    g = rng.choice([4, 6, 8, 0], size=n)
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), T), "year": np.tile(np.arange(T), n),
                       "g": np.repeat(g, T)})
    df["y"] = rng.normal(size=len(df)) + ((df["g"] > 0) & (df["year"] >= df["g"]))
    panel = build_panel(df, unit="unit", time="year", cohort="g")
    res = event_study(panel, "y", overall=True)
    assert len(res.terms) == 14  # 13 event times and the overall average
    assert abs(res["overall"] - 1.0) < 5 * res.std_error["overall"]
