"""Tests of the entropy-weight index (did_zones.entropy_index, 熵值法).

A 4 x 3 example worked by hand (p, e, d, w written out), the published example of Xu (2004),
a brute-force loop implementation for the shifted and grouped variants, property tests
(hypothesis) and real CSMAR rows."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import csmar_files
from hypothesis import given
from hypothesis import strategies as st

import did_zones as dz
from did_zones.entropy import EntropyIndex
from did_zones.errors import DataDroppedWarning, SpecificationError


@pytest.fixture
def four() -> pd.DataFrame:
    """4 rows x 3 indicators; c is a negative indicator."""
    return pd.DataFrame({"a": [1.0, 2.0, 3.0, 5.0], "b": [10.0, 30.0, 20.0, 10.0],
                         "c": [5.0, 4.0, 2.0, 1.0]}, index=[101, 102, 103, 104])


def _plogp(ps):
    return sum(p * math.log(p) for p in ps if p > 0)


def test_hand_worked_4x3(four):
    """shift=0. Normalised x' (c reversed: (5 - c) / 4):
        a: (0, 1/4, 2/4, 1)   sum 7/4  -> p = (0, 1/7, 2/7, 4/7)
        b: (0, 1, 1/2, 0)     sum 3/2  -> p = (0, 2/3, 1/3, 0)
        c: (0, 1/4, 3/4, 1)   sum 2    -> p = (0, 1/8, 3/8, 1/2)
    e_j = -(1 / ln 4) Σ p ln p; d_j = 1 - e_j; w_j = d_j / Σ d."""
    res = dz.entropy_index(four, ["a", "b", "c"], directions={"c": "negative"}, shift=0.0)
    k = 1 / math.log(4)
    e = {"a": -k * _plogp([1 / 7, 2 / 7, 4 / 7]),
         "b": -k * _plogp([2 / 3, 1 / 3]),
         "c": -k * _plogp([1 / 8, 3 / 8, 1 / 2])}
    # the same numbers, written out
    assert e["a"] == pytest.approx(0.689392, abs=5e-7)
    assert e["b"] == pytest.approx(0.459148, abs=5e-7)
    assert e["c"] == pytest.approx(0.702820, abs=5e-7)
    d = {j: 1 - v for j, v in e.items()}
    w = {j: v / sum(d.values()) for j, v in d.items()}
    assert w["a"] == pytest.approx(0.270414, abs=5e-7)
    assert w["b"] == pytest.approx(0.470863, abs=5e-7)
    assert w["c"] == pytest.approx(0.258724, abs=5e-7)
    for j in "abc":
        assert res.entropy[j] == pytest.approx(e[j], rel=1e-12)
        assert res.redundancy[j] == pytest.approx(d[j], rel=1e-12)
        assert res.weights[j] == pytest.approx(w[j], rel=1e-12)
    xn = {"a": [0, 0.25, 0.5, 1], "b": [0, 1, 0.5, 0], "c": [0, 0.25, 0.75, 1]}
    index = [sum(w[j] * xn[j][i] for j in "abc") for i in range(4)]
    np.testing.assert_allclose(res.values.to_numpy(), index, rtol=1e-12, atol=1e-15)
    assert res.values.index.equals(four.index) and res.values.name == "entropy_index"
    np.testing.assert_allclose(res.normalized.to_numpy(), np.column_stack(
        [xn[j] for j in "abc"]), rtol=0, atol=1e-15)
    tidy = res.tidy()
    assert list(tidy["term"]) == ["a", "b", "c"]
    np.testing.assert_allclose(tidy["estimate"], [w[j] for j in "abc"], rtol=1e-12)
    assert list(tidy["direction"]) == ["positive", "positive", "negative"]


def _brute(x: np.ndarray, neg: list[bool], shift: float):
    """Loop-by-loop reference: min-max, shift, p, e, w, index."""
    n, m = x.shape
    xn = np.zeros((n, m))
    for j in range(m):
        lo, hi = min(x[:, j]), max(x[:, j])
        for i in range(n):
            xn[i, j] = (hi - x[i, j]) / (hi - lo) if neg[j] else (x[i, j] - lo) / (hi - lo)
    e = []
    for j in range(m):
        col = [xn[i, j] + shift for i in range(n)]
        s = sum(col)
        e.append(-sum((c / s) * math.log(c / s) for c in col if c > 0) / math.log(n))
    d = [1 - v for v in e]
    w = [v / sum(d) for v in d]
    return w, [sum(w[j] * xn[i, j] for j in range(m)) for i in range(n)]


def test_default_shift_matches_brute_force(four):
    res = dz.entropy_index(four, ["a", "b", "c"], directions=["positive", "positive",
                                                                "negative"])
    assert res.shift == 1e-4
    w, idx = _brute(four.to_numpy(), [False, False, True], 1e-4)
    np.testing.assert_allclose(res.weights.to_numpy(), w, rtol=1e-12)
    np.testing.assert_allclose(res.values.to_numpy(), idx, rtol=1e-12, atol=1e-15)


def test_published_example_xu_2004():
    """Xu (2004, EJOR 156(2), 530-532): the classic form, proportions of the raw values;
    published weights 0.4630, 0.3992, 0.1378, 0.0000."""
    m = pd.DataFrame([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9],
                      [68, 70, 60, 29]], columns=["x1", "x2", "x3", "x4"], dtype=float)
    res = dz.entropy_index(m, list(m.columns), normalize="share")
    np.testing.assert_array_equal(res.weights.round(4).to_numpy(),
                                  [0.4630, 0.3992, 0.1378, 0.0000])
    # and by hand: p = x / column sum
    p = m / m.sum()
    e = -(p * np.log(p)).sum() / math.log(4)
    np.testing.assert_allclose(res.entropy.to_numpy(), e.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(res.values.to_numpy(),
                               (m / m.max() * res.weights).sum(axis=1).to_numpy(), rtol=1e-12)
    assert res.shift == 0.0 and res.glance()["normalize"].iloc[0] == "share"
    with pytest.raises(SpecificationError, match=r"normalize='share' takes positive indicators "
                       r"only; \['x1'\] are negative"):
        dz.entropy_index(m, list(m.columns), normalize="share", directions={"x1": "negative"})
    with pytest.raises(SpecificationError, match=r"needs values >= 0; indicator\(s\) \['x2'\]"):
        dz.entropy_index(m.assign(x2=m["x2"] - 20), list(m.columns), normalize="share")


def test_by_year_equals_separate_pooled_fits():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"year": np.repeat([2018, 2019, 2020], 6),
                       "u": rng.gamma(2.0, size=18), "v": rng.normal(size=18),
                       "w": rng.uniform(size=18)})
    df = df.sample(frac=1.0, random_state=1)  # rows out of order
    res = dz.entropy_index(df, ["u", "v", "w"], by="year", directions={"v": "negative"})
    assert isinstance(res.weights, pd.DataFrame) and list(res.weights.index) == [2018, 2019, 2020]
    for year, part in df.groupby("year"):
        one = dz.entropy_index(part, ["u", "v", "w"], directions={"v": "negative"})
        np.testing.assert_allclose(res.weights.loc[year].to_numpy(), one.weights.to_numpy(),
                                   rtol=1e-12)
        np.testing.assert_allclose(res.values.loc[part.index].to_numpy(),
                                   one.values.to_numpy(), rtol=1e-12)
    tidy = res.tidy()
    assert list(tidy.columns[:2]) == ["year", "term"] and len(tidy) == 9
    assert res.glance()["n_groups"].iloc[0] == 3


def test_missing_values_raise_or_drop_with_counts(four):
    df = four.copy()
    df.loc[101, "a"] = np.nan
    df.loc[103, ["a", "b"]] = np.nan
    with pytest.raises(SpecificationError, match=r"entropy_index: 2 of 4 row\(s\) have a "
                       r"missing indicator \(per indicator: \{'a': 2, 'b': 1\}; rows "
                       r"\[101, 103\]\)\. Fill or drop them first, or pass missing='drop'"):
        dz.entropy_index(df, ["a", "b", "c"])
    with pytest.warns(DataDroppedWarning, match=r"2 of 4 row\(s\) have a missing indicator"):
        res = dz.entropy_index(df, ["a", "b", "c"], missing="drop")
    assert res.n_obs == 2 and res.n_dropped == 2 and len(res.notes) == 1
    assert res.values.isna().tolist() == [True, False, True, False]
    ref = dz.entropy_index(four.loc[[102, 104]], ["a", "b", "c"])
    np.testing.assert_allclose(res.weights.to_numpy(), ref.weights.to_numpy(), rtol=1e-12)


def test_constant_indicator_gets_weight_zero(four):
    df = four.assign(k=3.0)
    with pytest.warns(DataDroppedWarning, match=r"indicator\(s\) \['k'\] constant; normalised "
                      r"to 0 with weight 0"):
        res = dz.entropy_index(df, ["a", "b", "k"])
    assert res.weights["k"] == 0.0 and res.entropy["k"] == 1.0
    ref = dz.entropy_index(df, ["a", "b"])
    np.testing.assert_allclose(res.weights[["a", "b"]].to_numpy(), ref.weights.to_numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(res.values.to_numpy(), ref.values.to_numpy(), rtol=1e-12)
    with pytest.raises(SpecificationError, match=r"every indicator is constant in year=2019"):
        dz.entropy_index(pd.DataFrame({"year": [2019, 2019], "a": [1.0, 1.0],
                                       "b": [2.0, 2.0]}), ["a", "b"], by="year")


def test_notes_have_chinese_renderings(four):
    from did_zones.tables.zh_notes import translate_note, untranslated

    df = four.copy()
    df.loc[101, "a"] = np.nan
    df["k"] = 1.0
    df["year"] = 2019
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = dz.entropy_index(df, ["a", "b", "k"], missing="drop", by="year")
    assert len(res.notes) == 2
    zh = [translate_note(n) for n in res.notes]
    assert zh[0].startswith("entropy_index：4 行中有 1 行存在缺失指标")
    assert zh[1] == "entropy_index：指标 ['k'] 在 year=2019 中为常数，标准化值取 0，权重为 0。"
    assert all(untranslated(z) == [] for z in zh)


def test_argument_errors(four):
    with pytest.raises(SpecificationError, match=r"needs at least two indicators"):
        dz.entropy_index(four, ["a"])
    with pytest.raises(SpecificationError, match=r"Column 'z' not found in the data"):
        dz.entropy_index(four, ["a", "z"])
    with pytest.raises(SpecificationError, match=r"listed twice"):
        dz.entropy_index(four, ["a", "a"])
    with pytest.raises(SpecificationError, match=r"directions has 2 entries for 3 indicators"):
        dz.entropy_index(four, ["a", "b", "c"], directions=["positive", "negative"])
    with pytest.raises(SpecificationError, match=r"not among the indicators"):
        dz.entropy_index(four, ["a", "b"], directions={"c": "negative"})
    with pytest.raises(SpecificationError, match=r"must be one of 'positive', 'negative'"):
        dz.entropy_index(four, ["a", "b"], directions="neg")
    with pytest.raises(SpecificationError, match=r"shift"):
        dz.entropy_index(four, ["a", "b"], shift=-0.1)
    with pytest.raises(SpecificationError, match=r"'a' has 1 infinite value"):
        dz.entropy_index(four.assign(a=[1.0, np.inf, 2.0, 3.0]), ["a", "b"])
    with pytest.raises(SpecificationError, match=r"'a' is not numeric"):
        dz.entropy_index(four.assign(a=list("wxyz")), ["a", "b"])
    with pytest.raises(SpecificationError, match=r"1 usable row\(s\) in g=2"):
        dz.entropy_index(four.assign(g=[1, 1, 1, 2]), ["a", "b"], by="g")
    with pytest.raises(SpecificationError, match=r"data must be a pandas DataFrame or a "
                       r"did_zones Panel"):
        dz.entropy_index(four.to_numpy(), ["a", "b"])
    with pytest.raises(SpecificationError, match=r"missing must be one of"):
        dz.entropy_index(four, ["a", "b"], missing="ignore")


def test_panel_input_and_with_columns():
    df = pd.DataFrame({"city": [2, 2, 1, 1, 3, 3], "year": [2016, 2015, 2016, 2015, 2015, 2016],
                       "x": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0], "z": [3.0, 1.0, 2.0, 2.5, 1.0, 9.0]})
    before = df.copy()
    panel = dz.build_panel(df, unit="city", time="year", cohort={1: 2016})
    res = dz.entropy_index(panel, ["x", "z"], name="ecom_idx")
    q = panel.with_columns({"ecom_idx": res.values})
    ref = dz.entropy_index(panel.data, ["x", "z"])
    np.testing.assert_allclose(q.data["ecom_idx"].to_numpy(), ref.values.to_numpy(), rtol=1e-12)
    # row by row against the caller's frame (the panel sorts its rows)
    direct = dz.entropy_index(df, ["x", "z"])
    merged = q.data.merge(df.assign(direct=direct.values), on=["city", "year"])
    np.testing.assert_allclose(merged["ecom_idx"], merged["direct"], rtol=1e-12)
    pd.testing.assert_frame_equal(df, before)


def test_protocol_and_text(four):
    res = dz.entropy_index(four, ["a", "b", "c"], directions={"c": "negative"})
    assert isinstance(res, EntropyIndex) and "3 indicators" in repr(res)
    g = res.glance().iloc[0]
    assert g["method"] == "entropy_index" and g["n_obs"] == 4 and g["n_indicators"] == 3
    text = res.summary()
    assert "Entropy-weight index 'entropy_index'" in text and "weight" in text
    table = res.to_table()
    assert "Entropy weights of entropy_index" in table.to_text()


def test_real_csmar_rows():
    """2019 rows of five pilot cities: tertiary share (Gdpct04), GDP per capita
    (GDP_PerCapita) and average wage (Eect13), weights checked against the brute force; 郑州
    lacks Gdpct04 in 2019, which the default refuses with a count."""
    gdp_path, emp_path = csmar_files()
    gdp = pd.read_csv(gdp_path)
    emp = pd.read_csv(emp_path)
    codes = [330100, 110000, 440300, 210200, 510100, 410100]  # 杭州 北京 深圳 大连 成都 郑州
    rows = gdp.merge(emp[["Sgnyea", "Ctnm_id", "Eect13"]], on=["Sgnyea", "Ctnm_id"])
    rows = rows[(rows["Sgnyea"] == 2019) & rows["Ctnm_id"].isin(codes)].set_index("Ctnm_id")
    assert len(rows) == 6 and rows.loc[330100, "Gdpct04"] == 66.17
    cols = ["Gdpct04", "GDP_PerCapita", "Eect13"]
    with pytest.raises(SpecificationError, match=r"1 of 6 row\(s\) have a missing indicator "
                       r"\(per indicator: \{'Gdpct04': 1\}; rows \[410100\]\)"):
        dz.entropy_index(rows, cols)
    rows = rows.drop(index=410100)
    res = dz.entropy_index(rows, cols)
    w, idx = _brute(rows[cols].to_numpy(float), [False, False, False], 1e-4)
    np.testing.assert_allclose(res.weights.to_numpy(), w, rtol=1e-12)
    np.testing.assert_allclose(res.values.to_numpy(), idx, rtol=1e-12, atol=1e-15)
    # 北京 has the highest tertiary share and wage, 深圳 the highest GDP per capita
    assert res.normalized.loc[110000, "Gdpct04"] == 1.0 == res.normalized.loc[440300,
                                                                              "GDP_PerCapita"]
    x = rows.loc[330100, "Gdpct04"]
    lo, hi = rows["Gdpct04"].min(), rows["Gdpct04"].max()  # 大连 53.4633, 北京 83.5
    assert res.normalized.loc[330100, "Gdpct04"] == pytest.approx((x - lo) / (hi - lo),
                                                                  rel=1e-12)
    assert (lo, hi) == (53.4633, 83.5)


# ------------------------------------------------------------------ properties
_matrix = st.integers(3, 12).flatmap(lambda n: st.lists(
    st.tuples(*[st.floats(-1e3, 1e3, allow_nan=False) for _ in range(3)]),
    min_size=n, max_size=n))


@given(rows=_matrix, scale=st.floats(1e-3, 1e3), neg=st.lists(st.booleans(), min_size=3,
                                                                max_size=3))
def test_properties(rows, scale, neg):
    df = pd.DataFrame(rows, columns=["a", "b", "c"])
    spans = df.max() - df.min()
    if (spans <= 1e-9 * (1 + df.abs().max())).any():
        return  # near-constant columns are covered by test_constant_indicator_gets_weight_zero
    dirs = ["negative" if k else "positive" for k in neg]
    res = dz.entropy_index(df, ["a", "b", "c"], directions=dirs)
    w = res.weights.to_numpy()
    assert (w >= 0).all() and abs(w.sum() - 1) < 1e-12
    v = res.values.to_numpy()
    assert (v >= -1e-15).all() and (v <= 1 + 1e-12).all()
    # a change of units of one indicator changes nothing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaled = dz.entropy_index(df.assign(b=df["b"] * scale), ["a", "b", "c"],
                                  directions=dirs)
    np.testing.assert_allclose(scaled.weights.to_numpy(), w, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(scaled.values.to_numpy(), v, rtol=1e-9, atol=1e-12)
    # row order does not matter
    perm = df.iloc[::-1]
    rev = dz.entropy_index(perm, ["a", "b", "c"], directions=dirs)
    np.testing.assert_allclose(rev.values.loc[df.index].to_numpy(), v, rtol=1e-12, atol=1e-15)
