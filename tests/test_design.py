"""The design layer (``did_zones.design``): absorber strategies, the sample, the absorbed fit.

Every strategy of :class:`Absorber` is checked against the others and against least squares
on dense dummies (``numpy.linalg.lstsq``) on small panels, to 1e-10.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from did_zones import build_panel
from did_zones.design import (
    Absorber,
    build_design,
    fit_absorbed,
    usable_sample,
)
from did_zones.errors import DataDroppedWarning, EstimationError, SpecificationError

TOL = 1e-10


# ------------------------------------------------------------------ dense references


def _dummies(codes):
    """Dense dummies of every dimension (the first full, later ones minus one level)."""
    cols = [np.eye(int(codes[0].max()) + 1)[codes[0]]]
    cols += [np.eye(int(c.max()) + 1)[c][:, 1:] for c in codes[1:]]
    return np.column_stack(cols)


def _dense_residual(codes, V, w=None):
    D = _dummies(codes)
    sw = np.sqrt(np.ones(len(V)) if w is None else w)[:, None]
    beta = np.linalg.lstsq(D * sw, V * sw, rcond=None)[0]
    return V - D @ beta


def _panels():
    """Small designs: (name, codes, weights, strategies that apply)."""
    rng = np.random.default_rng(7)
    n_u, n_t = 30, 6
    unit = np.repeat(np.arange(n_u), n_t)
    year = np.tile(np.arange(n_t), n_u)
    order = rng.permutation(unit.size)
    province = rng.integers(0, 5, n_u)
    out = [
        ("balanced", [unit, year], None, ("balanced", "exact", "alternating")),
        ("balanced shuffled", [unit[order], year[order]], None,
         ("balanced", "exact", "alternating")),
        ("balanced unit weights", [unit, year], rng.uniform(0.5, 2.0, n_u)[unit],
         ("balanced", "exact", "alternating")),
        ("balanced period weights", [unit, year], rng.uniform(0.5, 2.0, n_t)[year],
         ("balanced", "exact", "alternating")),
    ]
    keep = rng.uniform(size=unit.size) > 0.25
    u, t = unit[keep], year[keep]
    out += [
        ("unbalanced", [u, t], None, ("exact", "alternating")),
        ("unbalanced weighted", [u, t], rng.uniform(0.5, 2.0, u.size), ("exact", "alternating")),
        ("row weights on a full grid", [unit, year], rng.uniform(0.5, 2.0, unit.size),
         ("exact", "alternating")),
    ]
    prov_year = province[u] * n_t + t
    out.append(("province x year", [u, t, prov_year], None, ("exact", "alternating")))
    out.append(("province x year weighted", [u, t, prov_year], rng.uniform(0.5, 2, u.size),
                ("exact", "alternating")))
    # singletons: units seen once, one period seen once
    su = np.concatenate([u, [n_u, n_u + 1]])
    st = np.concatenate([t, [0, n_t]])
    out.append(("singletons", [su, st], None, ("exact", "alternating")))
    return out


PANELS = _panels()


@pytest.mark.parametrize("name, codes, w, strategies", PANELS, ids=[p[0] for p in PANELS])
def test_strategies_agree_with_dense_least_squares(name, codes, w, strategies):
    rng = np.random.default_rng(11)
    V = rng.normal(size=(codes[0].size, 3)) * [1.0, 10.0, 1e3]
    ref = _dense_residual(codes, V, w)
    for strategy in strategies:
        fe = Absorber(codes, weights=w, strategy=strategy)
        assert fe.strategy == strategy
        got = fe.residualize(V)
        np.testing.assert_allclose(got, ref, atol=TOL * np.abs(V).max(), err_msg=strategy)
        one = fe.residualize(V[:, 1])  # one column, same answer
        np.testing.assert_allclose(one, ref[:, 1], atol=TOL * np.abs(V).max())
    # the automatic choice is one of them and gives the same projection
    auto = Absorber(codes, weights=w)
    assert auto.strategy in strategies
    np.testing.assert_allclose(auto.residualize(V), ref, atol=TOL * np.abs(V).max())


@pytest.mark.parametrize("name, codes, w, strategies", PANELS, ids=[p[0] for p in PANELS])
def test_effects_reproduce_the_fitted_values(name, codes, w, strategies):
    rng = np.random.default_rng(3)
    V = rng.normal(size=(codes[0].size, 2))
    for strategy in strategies:
        fe = Absorber(codes, weights=w, strategy=strategy)
        resid, effects = fe.components(V)
        np.testing.assert_allclose(V - resid, fe.fitted(effects), atol=TOL, err_msg=strategy)
        # later dimensions are normalised to a weighted mean of zero
        ww = np.ones(V.shape[0]) if w is None else w
        for k in range(1, len(codes)):
            np.testing.assert_allclose(ww @ effects[k][fe.codes[k]], 0.0, atol=1e-8)


def test_exact_solve_recovers_effects_that_predict():
    """The exact solve's effects, fitted on some rows, predict the others (imputation)."""
    rng = np.random.default_rng(5)
    n_u, n_t = 20, 5
    unit = np.repeat(np.arange(n_u), n_t)
    year = np.tile(np.arange(n_t), n_u)
    alpha, lam = rng.normal(size=n_u), rng.normal(size=n_t)
    y = alpha[unit] + lam[year]  # exactly two-way: the fit is perfect
    fit_rows = ~((unit < 5) & (year >= 3))  # hold out some cells
    fe = Absorber([unit[fit_rows], year[fit_rows]], strategy="exact")
    effects = fe.solve(fe.group_sums(y[fit_rows]))
    pred = effects[0][unit, 0] + effects[1][year, 0]
    np.testing.assert_allclose(pred, y, atol=1e-12)
    # the normal equations hold: D'D γ = D'y
    for g, c in zip(fe.gram(effects), fe.group_sums(y[fit_rows]), strict=True):
        np.testing.assert_allclose(g, c, atol=1e-10)


def test_auto_strategy_choice():
    unit = np.repeat(np.arange(50), 4)
    year = np.tile(np.arange(4), 50)
    assert Absorber([unit, year]).strategy == "balanced"
    assert Absorber([unit[1:], year[1:]]).strategy == "exact"
    assert Absorber([unit]).strategy == "alternating"  # one sweep of group means is exact
    many = np.arange(unit.size) % 97
    assert Absorber([unit[1:], many[1:] * 7 % 500]).strategy in ("exact", "alternating")
    with pytest.raises(ValueError, match="complete two-way grid"):
        Absorber([unit[1:], year[1:]], strategy="balanced")
    with pytest.raises(ValueError, match="strategy must be one of"):
        Absorber([unit, year], strategy="fast")


# ------------------------------------------------------------------ the absorbed fit


def _frame(seed=0, n_u=24, n_t=6):
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_u), n_t)
    year = np.tile(np.arange(2010, 2010 + n_t), n_u)
    cohort = np.where(np.arange(n_u) % 3 == 0, np.nan, 2012 + np.arange(n_u) % 3)
    df = pd.DataFrame({
        "unit": unit, "year": year, "cohort": cohort[unit],
        "province": (np.arange(n_u) % 4)[unit],
        "x": rng.normal(size=unit.size),
        "w": rng.uniform(0.5, 2.0, n_u)[unit],
    })
    treated = (df["year"] >= df["cohort"]).astype(float)
    df["y"] = 0.5 * treated + 0.3 * df["x"] + rng.normal(size=len(df)) + unit * 0.1
    return df


def _dense_coef(design):
    D = _dummies([c for c in design.fe_codes])
    Z = np.column_stack([design.X, D])
    sw = np.sqrt(np.ones(design.n_obs) if design.weights is None else design.weights)
    beta = np.linalg.lstsq(Z * sw[:, None], design.y * sw, rcond=None)[0]
    return beta[:design.X.shape[1]]


@pytest.mark.parametrize("fes", [("unit", "year"), ("unit", "year", ("province", "year"))])
@pytest.mark.parametrize("weights", [None, "w"])
@pytest.mark.parametrize("unbalanced", [False, True])
def test_fit_absorbed_matches_dense_dummies(fes, weights, unbalanced):
    df = _frame()
    if unbalanced:
        df = df.drop(index=[1, 8, 15, 40, 77]).reset_index(drop=True)
    panel = build_panel(df, unit="unit", time="year", cohort="cohort")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        design = build_design(panel, "y", {"treated": panel.treated.astype(float)},
                              controls=["x"], fixed_effects=fes, weights=weights)
    fit = fit_absorbed(design)
    dense = _dense_coef(design)
    np.testing.assert_allclose(fit.coef, dense, rtol=TOL, atol=TOL)
    V = fit.vcov()[0]
    balanced = Absorber(design.fe_codes, weights=design.weights).is_balanced()
    assert balanced == (not unbalanced and len(fes) == 2)
    strategies = ["exact", "alternating"] + (["balanced"] if balanced else [])
    for strategy in strategies:
        other = fit_absorbed(design, strategy=strategy)
        np.testing.assert_allclose(other.coef, dense, rtol=TOL, atol=TOL)
        np.testing.assert_allclose(other.vcov()[0], V, rtol=1e-9, atol=1e-14)


# ------------------------------------------------------------------ the sample


def test_sample_counts_every_drop():
    df = _frame()
    df.loc[[0, 1, 2], "y"] = np.nan          # 3 missing outcomes (unit 0)
    df.loc[[2, 13], "x"] = np.nan            # one overlaps: 1 more row
    df.loc[[20], "province"] = np.nan        # missing fixed-effect value
    # unit 99 observed once: a singleton of the unit effects
    extra = df.iloc[[30]].assign(unit=99, cohort=np.nan)
    df = pd.concat([df, extra], ignore_index=True)
    panel = build_panel(df, unit="unit", time="year", cohort="cohort")
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        design = build_design(panel, "y", {}, controls=["x"],
                              fixed_effects=("unit", ("province", "year")))
    msgs = [str(w.message) for w in ws if issubclass(w.category, DataDroppedWarning)]
    assert len(msgs) == 3
    assert msgs[0].startswith(f"4 row(s) of {panel.n_obs} dropped for missing values in "
                              "['y', 'x']")
    assert msgs[1].startswith(f"1 row(s) of {panel.n_obs - 4} dropped for missing "
                              "fixed-effect or cluster values in ['province#year']")
    assert msgs[2].startswith("1 singleton observation(s)")
    assert "1 unit(s), e.g. [99]" in msgs[2]
    assert design.n_obs == panel.n_obs - 6
    assert design.n_singletons == 1
    assert design.notes == tuple(msgs)


def test_sample_refuses_what_it_cannot_drop():
    df = _frame()
    panel = build_panel(df, unit="unit", time="year", cohort="cohort")
    with pytest.raises(SpecificationError, match="Did you mean 'x'"):
        build_design(panel, "y", {}, controls=["xx"])
    df.loc[:, "y"] = np.nan
    with pytest.raises(EstimationError, match="No observation is left"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_design(build_panel(df, unit="unit", time="year", cohort="cohort"), "y", {})


def test_usable_sample():
    df = _frame()
    df.loc[[5, 6], "x"] = np.nan
    panel = build_panel(df, unit="unit", time="year", cohort="cohort")
    with pytest.warns(DataDroppedWarning, match=r"2 row\(s\) of 144 dropped"):
        s = usable_sample(panel, "y", ["x"], weights="w", cluster="province")
    assert s.mask.sum() == panel.n_obs - 2
    assert s.notes and s.notes[0].startswith("2 row(s)")
    np.testing.assert_array_equal(s.weights, panel.column("w"))
    assert set(np.unique(s.cluster)) == {0.0, 1.0, 2.0, 3.0}
    df2 = _frame()
    df2.loc[[3], "province"] = np.nan
    with pytest.raises(SpecificationError, match=r"cluster 'province' is missing in 1 row"):
        usable_sample(build_panel(df2, unit="unit", time="year", cohort="cohort"), "y",
                      cluster="province")
    df3 = _frame()
    df3.loc[[3], "w"] = 9.0
    with pytest.raises(SpecificationError, match="weights 'w' varies within 1 unit"):
        usable_sample(build_panel(df3, unit="unit", time="year", cohort="cohort"), "y",
                      weights="w")


def test_arrays_for_controls_and_clusters_match_columns():
    """Design builders pass derived terms as arrays: same design as through columns."""
    df = _frame()
    df.loc[[4], "x"] = np.nan
    panel = build_panel(df, unit="unit", time="year", cohort="cohort")
    d = {"treated": panel.treated.astype(float)}
    with warnings.catch_warnings(record=True) as by_name:
        warnings.simplefilter("always")
        a = build_design(panel, "y", d, controls=["x"], cluster="province")
    with warnings.catch_warnings(record=True) as by_array:
        warnings.simplefilter("always")
        b = build_design(panel, "y", d, controls={"x": panel.column("x").copy()},
                         cluster={"province": panel.data["province"].to_numpy()})
    assert [str(w.message) for w in by_name] == [str(w.message) for w in by_array]
    assert a.names == b.names and a.cluster_names == b.cluster_names
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.clusters[0], b.clusters[0])
    fa, fb = fit_absorbed(a), fit_absorbed(b)
    np.testing.assert_array_equal(fa.coef, fb.coef)
    np.testing.assert_array_equal(fa.vcov()[0], fb.vcov()[0])


def test_docstring_examples_run():
    import doctest

    from did_zones.design import absorb, ols, sample

    for module in (absorb, ols, sample):
        assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0


def test_nothing_imports_the_old_private_design_modules():
    """The design step lives in did_zones.design; no module reaches into its privates."""
    import ast
    from pathlib import Path

    import did_zones

    root = Path(did_zones.__file__).parent
    for path in root.rglob("*.py"):
        if "design" in path.relative_to(root).parts[:1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                assert not mod.endswith(("_design", "estimators._fe", "._fe")), path
                if mod.split(".")[-1] in {"design", "absorb", "ols", "sample"} and \
                        "design" in mod:
                    private = [a.name for a in node.names if a.name.startswith("_")]
                    assert not private, (path, private)


def test_auto_exact_falls_back_when_the_normal_equations_fail(monkeypatch):
    """If the exact solve misses (here: a pseudo-inverse told to drop real eigenvalues),
    the automatic choice notices and uses alternating projections."""
    from did_zones.design import absorb

    name, codes, w, _ = next(p for p in PANELS if p[0] == "unbalanced weighted")
    V = np.random.default_rng(2).normal(size=(codes[0].size, 2))
    ref = _dense_residual(codes, V, w)
    monkeypatch.setattr(absorb, "_PINV_RTOL", 0.9)
    forced = Absorber(codes, weights=w, strategy="exact").residualize(V)
    assert np.abs(forced - ref).max() > 1e-3  # the broken solve is visibly wrong
    auto = Absorber(codes, weights=w)
    assert auto.strategy == "exact"
    np.testing.assert_allclose(auto.residualize(V), ref, atol=TOL)


def test_cohort_role_follows_a_reassigned_panel_not_a_data_column():
    """``"cohort"`` is the panel's cohort even when the data carry a column of that name:
    a placebo panel (``subset(..., cohort=)``) keeps the original data, and cohort fixed
    effects must follow the new assignment (found with etwfe's in-space placebo)."""
    from did_zones.design.sample import resolve_codes

    df = pd.DataFrame({"u": np.repeat(np.arange(6), 3), "t": np.tile([1, 2, 3], 6)})
    df["cohort"] = np.where(df["u"] < 2, 2, 0)
    df["y"] = np.arange(len(df), dtype=float)
    panel = build_panel(df, "u", "t", cohort="cohort")
    moved = panel.subset(np.ones(panel.n_obs, bool), cohort={4: 3, 5: 3})
    codes = resolve_codes(moved, "cohort")
    expected = np.unique(moved.row_cohort, return_inverse=True)[1]
    np.testing.assert_array_equal(codes, expected)
    u = df["u"].to_numpy()
    assert codes[u == 0][0] == codes[u == 2][0]  # both never treated now (data: 2 and 0)
    assert codes[u == 0][0] != codes[u == 4][0]
    assert df["cohort"].tolist() == [2] * 6 + [0] * 12  # the caller's frame untouched
