"""sun_abraham: cohort-specific effects and interaction-weighted event-time estimates against
Callaway-Sant'Anna (exact identity), hand-computable panels, noiseless truths, peer software
frozen under tests/reference (pyfixest 0.60.0 and diff-diff 3.13.0; see sa_reference.md),
the closed-form share variance of Stata eventstudyinteract and a brute-force unit-level
computation of the share covariance; invariances, warnings and every error path."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import reference_file

from did_zones import build_panel, callaway_santanna, sun_abraham
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


def quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sun_abraham(*args, **kwargs)


def quiet_panel(df, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_panel(df, *args, **kwargs)


def reference(name):
    return pd.read_csv(reference_file(name))


@pytest.fixture(scope="module")
def sim():
    return reference("sa_sim_data.csv")


@pytest.fixture(scope="module")
def panels(mpdta, sim):
    full = sim.dropna(subset=["y"])
    per_unit = full.groupby("unit")["year"].transform("size")
    return {
        "mpdta": quiet_panel(mpdta, "countyreal", "year", cohort="first.treat"),
        "sim": quiet_panel(sim, "unit", "year", cohort="cohort"),
        "balanced": quiet_panel(full[per_unit == full["year"].nunique()], "unit", "year",
                                cohort="cohort"),
    }


def catt_of(res, cohort, e):
    c = res.extra["catt"]
    row = c[(c["cohort"] == cohort) & (c["event_time"] == e)]
    assert len(row) == 1, (cohort, e)
    return row.iloc[0]


def staggered(seed=0, n=40, periods=range(1, 9), cohorts=(3, 5, 7), p=(0.25, 0.25, 0.2),
              drop=0.0, noise=0.0):
    """Panel with y = unit + period effects + tau(g, e) (+ noise), tau heterogeneous."""
    rng = np.random.default_rng(seed)
    periods = np.asarray(periods)
    g = rng.choice(list(cohorts) + [0], size=n, p=list(p) + [1 - sum(p)])
    df = pd.DataFrame({"unit": np.repeat(np.arange(n), periods.size),
                       "year": np.tile(periods, n), "g": np.repeat(g, periods.size)})
    e = df["year"] - df["g"]
    df["tau"] = np.where((df["g"] > 0) & (e >= 0), (1 + 0.5 * e) * (1 + df["g"] / 4), 0.0)
    df["y"] = (np.repeat(rng.normal(size=n), periods.size) + rng.normal(size=periods.size)[
        df["year"] - periods[0]] + df["tau"] + noise * rng.normal(size=len(df)))
    df["x"] = rng.normal(size=len(df))
    if drop:
        df = df[rng.random(len(df)) > drop].reset_index(drop=True)
    return df


# --------------------------------------------------------------------- exact identities


@pytest.mark.parametrize("name", ["mpdta", "balanced"])
def test_catt_equals_callaway_santanna_universal(panels, name):
    panel = panels[name]
    y = "lemp" if name == "mpdta" else "y"
    res = quiet(panel, y)
    cs = callaway_santanna(panel, y, control="never", base_period="universal")
    att = {(k["cohort"], k["time"]): v for (_, k), v in zip(cs.keys.iterrows(), cs.estimate,
                                                           strict=True)}
    catt = res.extra["catt"]
    assert len(catt) == sum(1 for (g, t) in att if t != g - 1)
    for row in catt.itertuples():
        assert row.estimate == pytest.approx(att[(row.cohort, row.cohort + row.event_time)],
                                             rel=1e-10, abs=1e-12)


def test_two_by_two_is_difference_of_four_means():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"unit": np.repeat(np.arange(8), 2), "year": np.tile([2019, 2020], 8)})
    df["g"] = np.where(df["unit"] < 3, 2020, 0)
    df["y"] = rng.normal(size=len(df))
    res = quiet(build_panel(df, "unit", "year", cohort="g"), "y", cluster=None)
    m = df.groupby([df["g"] > 0, "year"])["y"].mean()
    did = (m[(True, 2020)] - m[(True, 2019)]) - (m[(False, 2020)] - m[(False, 2019)])
    assert res.terms == ["overall", "e+0"]
    assert res["e+0"] == pytest.approx(did, rel=1e-12, abs=1e-12)
    assert res["overall"] == pytest.approx(did, rel=1e-12, abs=1e-12)
    assert catt_of(res, 2020, 0)["estimate"] == pytest.approx(did, rel=1e-12)
    assert res.keys.loc["e+0", "n_units"] == 3
    assert res.extra["pretrend_test"] is None


@pytest.mark.parametrize("drop", [0.0, 0.08])
def test_noiseless_heterogeneous_dynamic_effects_recovered(drop):
    df = staggered(seed=1, drop=drop)
    res = quiet(build_panel(df, "unit", "year", cohort="g"), "y")
    treated = df[df["g"] > 0].assign(e=lambda d: d["year"] - d["g"])
    for row in res.extra["catt"].itertuples():
        true = 0.0 if row.event_time < 0 else (1 + 0.5 * row.event_time) * (1 + row.cohort / 4)
        assert row.estimate == pytest.approx(true, abs=1e-9)
    # IW: cohort shares among the rows observed at e; overall: mean effect of treated rows
    cells = treated[treated["e"] != -1].groupby(["e", "g"]).agg(n=("tau", "size"),
                                                                tau=("tau", "mean"))
    for e, grp in cells.groupby(level="e"):
        share = grp["n"] / grp["n"].sum()
        assert res[f"e{e:+d}"] == pytest.approx(float((share * grp["tau"]).sum()), abs=1e-9)
        assert res.keys.loc[f"e{e:+d}", "n_units"] == grp["n"].sum()
        shares = res.extra["shares"].loc[e].dropna()
        np.testing.assert_allclose(shares.to_numpy(), share.to_numpy(), rtol=1e-12)
    post = treated[treated["e"] >= 0]
    assert res["overall"] == pytest.approx(post["tau"].mean(), abs=1e-9)


def test_noiseless_last_treated_control():
    df = staggered(seed=2, cohorts=(3, 5, 7), p=(0.3, 0.3, 0.4))  # no never-treated
    assert (df["g"] > 0).all()
    res = quiet(build_panel(df, "unit", "year", cohort="g"), "y", control="last")
    assert res.extra["comparison"].startswith("last-treated cohort 7")
    catt = res.extra["catt"]
    assert set(catt["cohort"]) == {3.0, 5.0}
    assert (catt["cohort"] + catt["event_time"]).max() == 6  # years >= 7 dropped
    for row in catt.itertuples():
        true = 0.0 if row.event_time < 0 else (1 + 0.5 * row.event_time) * (1 + row.cohort / 4)
        assert row.estimate == pytest.approx(true, abs=1e-9)
    assert any("control='last'" in n and "dropped" in n for n in res.notes)


# ------------------------------------------------------------------------- peer values


PYFIXEST_OPTS = {
    "mpdta": ("mpdta", "lemp", {}),
    "base": ("sim", "y", {}),
    "controls": ("sim", "y", {"controls": ["x1", "x2"], "weights": "w", "cluster": "province"}),
    "last": ("sim", "y", {"control": "last"}),
    "bin": ("sim", "y", {"window": (-3, 3), "bin_endpoints": True}),
    "drop": ("sim", "y", {"window": (-3, 3)}),
    "refs": ("sim", "y", {"reference": (-4, -1)}),
    "hc1": ("sim", "y", {"cluster": None}),
    "base_balanced": ("balanced", "y", {}),
    "base_unbalanced": ("sim", "y", {}),
}


def compare(res, sel):
    """Every frozen row against the result: estimates rtol 1e-6, standard errors rtol 1e-4."""
    assert len(sel) > 0
    for row in sel.itertuples():
        if row.kind == "catt":
            c = catt_of(res, row.cohort, row.event_time)
            est, se = c["estimate"], c["std_error"]
        elif row.kind == "event":
            term = f"e{int(row.event_time):+d}"
            est, se = res[term], res.std_error[term]
        elif row.kind == "overall":
            est, se = res["overall"], res.std_error["overall"]
        else:  # pyfixest's chi-square Wald statistic = q * our F statistic
            test = res.extra["pretrend_test"]
            assert test.df[0] == row.event_time
            assert test.statistic * test.df[0] == pytest.approx(row.estimate, rel=1e-4)
            continue
        assert est == pytest.approx(row.estimate, rel=1e-6, abs=1e-10), row
        assert se == pytest.approx(row.std_error, rel=1e-4), row
    assert res.n_obs == sel["n_obs"].iloc[0]
    assert (res.n_clusters or 0) == sel["n_clusters"].iloc[0]


@pytest.mark.parametrize("scenario", ["mpdta", "base", "controls", "last", "bin", "drop",
                                      "refs", "hc1"])
def test_matches_pyfixest(panels, scenario):
    ref = reference("sa_pyfixest.csv")
    name, y, kw = PYFIXEST_OPTS[scenario]
    res = quiet(panels[name], y, share_variance="fixed", **kw)
    sel = ref[ref["scenario"] == scenario]
    compare(res, sel)
    # every term and every CATT of the result has its peer value
    assert len(res.extra["catt"]) == (sel["kind"] == "catt").sum()
    assert len(res.terms) == sel["kind"].isin(["event", "overall"]).sum()


@pytest.mark.parametrize("scenario", ["mpdta", "base_balanced", "base_unbalanced"])
def test_matches_diff_diff(panels, scenario):
    ref = reference("sa_diffdiff.csv")
    name, y, kw = PYFIXEST_OPTS[scenario]
    res = quiet(panels[name], y, share_variance="fixed", **kw)
    compare(res, ref[ref["scenario"] == scenario])


def test_binned_endpoints_flagged(panels):
    res = quiet(panels["sim"], "y", window=(-3, 3), bin_endpoints=True)
    binned = res.keys["binned"]
    assert binned[["e-3", "e+3"]].all() and not binned.drop(["e-3", "e+3"]).any()
    catt = res.extra["catt"]
    pooled = catt[catt["event_time"] == -3]
    assert (pooled["n_obs"] > pooled["n_units"]).any()  # units with several rows at e <= -3
    assert (catt.loc[catt["event_time"].between(-2, 2), "n_obs"]
            == catt.loc[catt["event_time"].between(-2, 2), "n_units"]).all()


# ---------------------------------------------------------------------- share variance


def share_part_closed_form(res):
    """Stata eventstudyinteract's addition per term: δ'(diag π − ππ')δ / N_e."""
    catt = res.extra["catt"]
    out = {}
    for e, grp in catt.groupby("event_time"):
        d, p = grp["estimate"].to_numpy(), grp["share"].to_numpy()
        n_e = res.keys.loc[f"e{e:+d}", "n_units"]
        out[f"e{e:+d}"] = (p @ d**2 - (p @ d) ** 2) / n_e
    return pd.Series(out)


@pytest.mark.parametrize("cluster", ["unit", None])
@pytest.mark.parametrize("name", ["mpdta", "balanced"])
def test_estimated_share_variance_matches_eventstudyinteract(panels, name, cluster):
    y = "lemp" if name == "mpdta" else "y"
    est = quiet(panels[name], y, cluster=cluster)
    fixed = quiet(panels[name], y, cluster=cluster, share_variance="fixed")
    pd.testing.assert_series_equal(est.estimate, fixed.estimate)
    pd.testing.assert_frame_equal(est.extra["vcov_fixed_shares"], fixed.vcov)
    add = share_part_closed_form(est)
    var_est = pd.Series(np.diag(est.vcov), index=est.terms)[add.index]
    var_fixed = pd.Series(np.diag(fixed.vcov), index=fixed.terms)[add.index]
    np.testing.assert_allclose(var_est - var_fixed, add, rtol=1e-10, atol=1e-16)
    assert (add[est.keys.loc[add.index, "n_cohorts"] == 1] == 0).all()


@pytest.mark.parametrize("cluster, weights", [("countyreal", None), ("state", None),
                                              (None, None), (("state", "year"), None),
                                              ("state", "w")])
def test_share_covariance_brute_force(mpdta, panels, cluster, weights):
    """Share part of the full term covariance, rebuilt row by row and summed within clusters
    (rows when unclustered; Cameron-Gelbach-Miller V1 + V2 - V12 for two-way)."""
    res = quiet(panels["mpdta"], "lemp", cluster=cluster, weights=weights)
    catt = res.extra["catt"].set_index(["cohort", "event_time"])
    theta = res.estimate
    df = mpdta[mpdta["first.treat"] > 0].rename(columns={"first.treat": "g"})
    w = df[weights] if weights else pd.Series(1.0, index=df.index)
    e_all = df["year"] - df["g"]
    total = {f"e{e:+d}": w[e_all == e].sum() for e in catt.index.get_level_values(1)}
    total["overall"] = w[e_all >= 0].sum()
    phi = []
    for r in df.itertuples():
        row = np.zeros(len(res.terms))
        e = r.year - r.g
        if e != -1:
            delta = catt.loc[(r.g, e), "estimate"]
            j = res.terms.index(f"e{e:+d}")
            row[j] = w[r.Index] * (delta - theta.iloc[j]) / total[res.terms[j]]
            if e >= 0:
                row[0] = w[r.Index] * (delta - theta["overall"]) / total["overall"]
        phi.append(row)
    phi = pd.DataFrame(phi, index=df.index)

    def meat(by):
        S = phi.groupby([df[c] for c in by]).sum().to_numpy()
        return S.T @ S

    if cluster is None:
        brute = phi.to_numpy().T @ phi.to_numpy()
    elif isinstance(cluster, str):
        brute = meat([cluster])
    else:
        brute = meat([cluster[0]]) + meat([cluster[1]]) - meat(list(cluster))
        vals, vecs = np.linalg.eigh(brute)
        brute = (vecs * np.clip(vals, 0, None)) @ vecs.T if (vals < 0).any() else brute
    diff = res.vcov.to_numpy() - res.extra["vcov_fixed_shares"].to_numpy()
    np.testing.assert_allclose(diff, brute, rtol=1e-9, atol=1e-15)
    assert np.abs(brute[0, 1:]).max() > 0  # the overall ATT shares units with the e-terms


def test_pretrend_test(panels):
    res = quiet(panels["mpdta"], "lemp")
    test = res.extra["pretrend_test"]
    leads = ["e-4", "e-3", "e-2"]
    manual = res.wald_test(leads)
    assert test.statistic == pytest.approx(manual.statistic, rel=1e-12)
    assert test.df == (3, res.n_clusters - 1) and test.distribution == "F"
    assert res.df == 499 and res.n_clusters == 500 and res.primary == "overall"


# ----------------------------------------------------------------------- invariances


@pytest.mark.parametrize("share_variance", ["estimated", "fixed"])
def test_invariances(share_variance):
    df = staggered(seed=4, n=60, drop=0.05, noise=1.0)
    kw = {"share_variance": share_variance, "controls": "x"}
    base = quiet(build_panel(df, "unit", "year", cohort="g"), "y", **kw)
    shuffled = df.sample(frac=1.0, random_state=9)
    relabelled = df.assign(unit=df["unit"].map(lambda u: f"city-{(u * 37) % 101:03d}"))
    shifted = df.assign(y=df["y"] + 1000.0)
    for other in (shuffled, relabelled, shifted):
        res = quiet(build_panel(other, "unit", "year", cohort="g"), "y", **kw)
        assert res.terms == base.terms
        np.testing.assert_allclose(res.estimate, base.estimate, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(res.std_error, base.std_error, rtol=1e-8, atol=1e-12)
        assert res.n_obs == base.n_obs and res.n_units == base.n_units


def test_caller_data_untouched(mpdta, panels):
    before = mpdta.copy()
    panel = panels["mpdta"]
    data_before = panel.data.copy()
    quiet(panel, "lemp", window=(-2, 2), bin_endpoints=True, cluster="state")
    pd.testing.assert_frame_equal(mpdta, before)
    pd.testing.assert_frame_equal(panel.data, data_before)


# ------------------------------------------------------------------ result structure


def test_result_structure(panels):
    res = quiet(panels["mpdta"], "lemp")
    assert res.terms == ["overall", "e-4", "e-3", "e-2", "e+0", "e+1", "e+2", "e+3"]
    keys = res.keys
    assert keys["event_time"].iloc[1:].tolist() == [-4, -3, -2, 0, 1, 2, 3]
    assert keys["n_units"].tolist() == [191, 131, 171, 171, 191, 60, 20, 20]
    assert keys["n_cohorts"].tolist() == [3, 1, 2, 2, 3, 2, 1, 1]
    assert keys["post"].tolist() == [True, False, False, False, True, True, True, True]
    tidy = res.tidy()
    assert {"term", "estimate", "std_error", "event_time", "n_units"} <= set(tidy.columns)
    catt = res.extra["catt"]
    assert list(catt.columns) == ["cohort", "event_time", "estimate", "std_error", "n_units",
                                  "n_obs", "share", "overall_weight"]
    assert catt.groupby("event_time")["share"].sum().to_numpy() == pytest.approx(1.0)
    assert catt["overall_weight"].sum() == pytest.approx(1.0)
    assert res.extra["catt_vcov"].shape == (12, 12)
    assert res.extra["reference"] == (-1,)
    assert res.method == "sun_abraham" and res.spec["share_variance"] == "estimated"


# -------------------------------------------------------------------- data problems


def test_no_never_treated_error():
    df = staggered(seed=2, p=(0.3, 0.3, 0.4))
    with pytest.raises(PanelError, match=r"No never-treated units in the panel\. Use "
                                         r"control='last'"):
        quiet(build_panel(df, "unit", "year", cohort="g"), "y")


def test_last_needs_two_cohorts():
    df = staggered(seed=2, cohorts=(5,), p=(0.5,))
    with pytest.raises(PanelError, match=r"control='last' needs at least two treated cohorts"
                                         r".*the panel has 1\. Use control='never'\."):
        quiet(build_panel(df, "unit", "year", cohort="g"), "y", control="last")


def test_small_cohort_warning():
    df = staggered(seed=5, n=30)
    df.loc[df["unit"].isin([0, 1]), "g"] = 8  # a two-unit cohort, alone at e = -7
    panel = quiet_panel(df, "unit", "year", cohort="g")
    # the small-cell rule marks the terms resting on few units (not the cohort as such)
    with pytest.warns(SmallCohortWarning, match=r"Sun–Abraham: 1 term\(s\) rest on fewer "
                      r"than 5 treated units \(term: units\) — e-7: 2\."):
        res = sun_abraham(panel, "y", cluster=None)
    assert res.keys["small_cell"].tolist() == [t == "e-7" for t in res.terms]


def test_tiny_never_treated_group_suggests_last():
    df = staggered(seed=6, n=40, p=(0.3, 0.3, 0.35))
    never = df.loc[df["g"] == 0, "unit"].unique()
    df = df[~df["unit"].isin(never[3:])]
    panel = quiet_panel(df, "unit", "year", cohort="g")
    with pytest.warns(SmallCohortWarning, match=r"comparison group \(never-treated units "
                                                r"\(3\)\) has only 3 unit\(s\).*Consider "
                                                r"control='last'"):
        sun_abraham(panel, "y", cluster=None)


@pytest.mark.filterwarnings("ignore::did_zones.errors.DataDroppedWarning")
def test_few_clusters_warning(panels):
    with pytest.warns(InferenceWarning, match=r"Only 12 clusters"):
        res = sun_abraham(panels["sim"], "y", cluster="province")
    assert any(n.startswith("Only 12 clusters") for n in res.notes)
    assert res.df == 11


def test_unanchored_cohort_dropped():
    df = staggered(seed=7, n=50)
    df = df[~((df["g"] == 5) & (df["year"] == 4))]  # cohort 5 never seen at e = -1
    panel = quiet_panel(df, "unit", "year", cohort="g")
    with pytest.warns(DataDroppedWarning, match=r"1 cohort\(s\) \[5\.0\] never observed at "
                                                r"the reference period\(s\) \[-1\] dropped"):
        res = sun_abraham(panel, "y", cluster=None)
    assert 5.0 not in set(res.extra["catt"]["cohort"])
    assert any("never observed at the reference" in n for n in res.notes)


def test_no_cohort_at_reference():
    panel = build_panel(staggered(seed=7), "unit", "year", cohort="g")
    with pytest.raises(PanelError, match=r"No treated cohort is observed at the reference "
                                         r"period\(s\) \[-7\]"):
        quiet(panel, "y", reference=-7)


def test_unidentified_cell_dropped():
    df = staggered(seed=8, n=30, cohorts=(3,), p=(0.5,))
    df = df[~((df["g"] == 0) & (df["year"] == 4))]  # only cohort 3 (at e = 1) in year 4
    panel = quiet_panel(df, "unit", "year", cohort="g")
    with pytest.warns(DataDroppedWarning, match=r"1 cohort × relative-period effect\(s\) not "
                                                r"identified .*\[\(3\.0, 1\)\]"):
        res = sun_abraham(panel, "y", cluster=None)
    assert res.extra["dropped_cells"] == ((3.0, 1),)
    assert "e+1" not in res.terms


@pytest.mark.filterwarnings("ignore::did_zones.errors.SmallCohortWarning")
def test_collinear_control_dropped():
    df = staggered(seed=9).assign(c=lambda d: d["unit"] % 3)  # time-invariant
    panel = build_panel(df, "unit", "year", cohort="g")
    with pytest.warns(DataDroppedWarning, match=r"Control\(s\) \['c'\] dropped: collinear"):
        res = sun_abraham(panel, "y", controls=["x", "c"], cluster=None)
    assert res.extra["dropped_controls"] == ("c",)
    assert list(res.extra["controls"].index) == ["x"]


def test_missing_outcome_rows_counted():
    df = staggered(seed=10)
    df.loc[[3, 50], "y"] = np.nan
    panel = build_panel(df, "unit", "year", cohort="g")
    with pytest.warns(DataDroppedWarning, match=r"2 row\(s\) of 320 dropped for missing values"):
        res = sun_abraham(panel, "y", cluster=None)
    assert res.n_obs == 318


def test_window_drop_notes(panels):
    res = quiet(panels["sim"], "y", window=(-3, 3))
    assert any(n.startswith("window (-3, 3):") and "dropped (bin_endpoints=False)" in n
               for n in res.notes)
    assert res.keys["event_time"].dropna().between(-3, 3).all()


# ---------------------------------------------------------------------- bad options


@pytest.mark.parametrize("kwargs, message", [
    ({"control": "not_yet"}, "control must be one of 'never', 'last'; got 'not_yet'."),
    ({"share_variance": "delta"},
     "share_variance must be one of 'estimated', 'fixed'; got 'delta'."),
    ({"reference": 0}, "reference periods must be negative (pre-treatment) relative periods; "
                       "got [0]."),
    ({"reference": "-1"}, "reference must be an integer relative period or a sequence of "
                          "them, e.g. -1 or (-1, -5); got '-1'."),
    ({"reference": ()}, "reference must be an integer relative period"),
    ({"reference": True}, "reference must be an integer relative period"),
    ({"window": (3, -3)}, "window must be a pair of integers (lo, hi) with lo <= hi, e.g. "
                          "(-4, 4); got (3, -3)."),
    ({"window": (-3.0, 3)}, "window must be a pair of integers"),
    ({"window": (-4, -2)}, "reference period(s) [-1] lie outside window (-4, -2); widen the "
                           "window or change reference."),
    ({"bin_endpoints": True}, "bin_endpoints=True needs a window, e.g. window=(-4, 4)"),
    ({"bin_endpoints": "yes"}, "bin_endpoints must be True or False; got 'yes'."),
    ({"alpha": 1.5}, "alpha must lie strictly between 0 and 1; got 1.5."),
    ({"weights": 3}, "weights must be a column name or None; got 3."),
    ({"controls": ["xx"]}, "Column 'xx' not found in the data. Did you mean 'x'?"),
    ({"cluster": ("unit", "year", "g")}, "cluster takes one or two column names"),
])
def test_bad_options(kwargs, message):
    panel = build_panel(staggered(seed=11), "unit", "year", cohort="g")
    with pytest.raises(SpecificationError) as err:
        quiet(panel, "y", **kwargs)
    assert str(err.value).startswith(message)


def test_bad_panel_and_outcome():
    df = staggered(seed=11)
    with pytest.raises(SpecificationError, match="panel must be a did_zones Panel"):
        sun_abraham(df, "y")
    panel = build_panel(df, "unit", "year", cohort="g")
    with pytest.raises(SpecificationError, match="outcome must be a column name; got 3"):
        sun_abraham(panel, 3)
    with pytest.raises(SpecificationError, match="Outcome column 'yy' not found"):
        sun_abraham(panel, "yy")


def test_no_effect_to_estimate():
    panel = build_panel(staggered(seed=12), "unit", "year", cohort="g")
    with pytest.raises(EstimationError, match=r"No treated observation outside the reference "
                                              r"period\(s\) \[-1\]"):
        quiet(panel, "y", window=(-1, -1))
