"""did_zones.validation: the constraint types, check() and @validated, each error path matched
on its message; did-you-mean hints."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

import did_zones as dz
from did_zones.errors import SpecificationError
from did_zones.validation import (
    ALPHA,
    COUNT,
    N_BOOT,
    PANEL,
    PROBABILITY,
    Boolean,
    Choice,
    ColumnName,
    Columns,
    Integer,
    Real,
    ResultArg,
    Seed,
    Window,
    check,
    check_choice,
    did_you_mean,
    validated,
)


def _raises(rule, value, message, name="x"):
    with pytest.raises(SpecificationError, match=message):
        rule(name, value)


# ---------------------------------------------------------------------------- Choice


def test_choice():
    rule = Choice(("never", "not_yet"))
    assert rule("control", "not_yet") == "not_yet"
    _raises(rule, "never_treated", r"^control must be one of 'never', 'not_yet'; got "
            r"'never_treated'\. Did you mean 'never'\?$", "control")
    _raises(rule, "xyz", r"^control must be one of 'never', 'not_yet'; got 'xyz'\.$", "control")
    _raises(rule, ["never"], r"got \['never'\]\.$", "control")  # unhashable: no TypeError
    _raises(rule, None, r"got None\.$")
    assert Choice(("a",), allow_none=True)("x", None) is None
    _raises(Choice(("a",), allow_none=True), "b", r"must be one of 'a' or None; got 'b'")
    _raises(Choice((0, 1)), True, r"must be one of 0, 1; got True")  # True == 1, still refused
    assert check_choice("kind", "event", ("simple", "event")) == "event"
    with pytest.raises(SpecificationError, match="Did you mean 'event'"):
        check_choice("kind", "evnet", ("simple", "event"))


def test_did_you_mean():
    assert did_you_mean("pilotyear", ["pilot_year", "city"]) == " Did you mean 'pilot_year'?"
    assert did_you_mean("zzz", ["pilot_year"]) == ""


# --------------------------------------------------------------------------- numbers


def test_integer():
    assert Integer()("k", np.int64(3)) == 3 and type(Integer()("k", np.int64(3))) is int
    _raises(Integer(), 1.0, r"^k must be an integer; got 1\.0\.$", "k")
    _raises(Integer(), True, r"^k must be an integer; got True\.$", "k")
    _raises(COUNT, -1, r"^anticipation must be a non-negative integer; got -1\.$",
            "anticipation")
    _raises(Integer(min=1), 0, r"^n_draws must be a positive integer; got 0\.$", "n_draws")
    _raises(N_BOOT, 1, r"^n_boot must be None or an integer of at least 2; got 1\.$", "n_boot")
    assert N_BOOT("n_boot", None) is None
    _raises(Integer(max=3), 4, r"must be an integer of at most 3; got 4")
    _raises(Integer(1, 3), 0, r"must be an integer between 1 and 3; got 0")
    _raises(Integer(min=2, hint="Use 1000 or more."), 1,
            r"^x must be an integer of at least 2; got 1\. Use 1000 or more\.$")


def test_real():
    assert ALPHA("alpha", 0.05) == 0.05
    for bad in (0, 1, 1.5, -0.1):
        _raises(ALPHA, bad, rf"^alpha must lie strictly between 0 and 1; got {bad}\.$",
                "alpha")
    _raises(ALPHA, "0.05", r"^alpha must be a real number; got '0\.05'\.$", "alpha")
    _raises(ALPHA, True, r"must be a real number; got True")
    _raises(ALPHA, float("nan"), r"lie strictly between 0 and 1; got nan")
    assert PROBABILITY("p", 1) == 1.0 and PROBABILITY("p", 0) == 0.0
    _raises(PROBABILITY, 1.01, r"^p must lie in \[0, 1\]; got 1\.01\.$", "p")
    _raises(Real(0, 1, closed="right"), 0, r"^trim must lie in \(0, 1\]; got 0\.$", "trim")
    _raises(Real(0, 1, closed="left"), 1, r"must lie in \[0, 1\); got 1")
    _raises(Real(min=0), -1.0, r"^noise must be a finite number >= 0; got -1\.0\.$", "noise")
    _raises(Real(min=0, closed="neither"), 0, r"must be a finite number > 0; got 0")
    _raises(Real(max=2), 3, r"must be a finite number <= 2; got 3")
    _raises(Real(), float("inf"), r"must be a finite number; got inf")
    _raises(Real(min=0, closed="right", allow_none=True), -1,
            r"^caliper must be None or a finite number > 0; got -1\.$", "caliper")
    assert Real(allow_none=True)("x", None) is None
    with pytest.raises(SpecificationError, match="closed must be one of"):
        Real(closed="open")


# ----------------------------------------------------------------------------- shapes


def test_boolean_and_columns():
    assert Boolean()("flag", np.bool_(True)) is True
    _raises(Boolean(), "yes", r"^flag must be True or False; got 'yes'\.$", "flag")
    _raises(Boolean(), 1, r"True or False; got 1")
    _raises(Boolean(allow_none=True), "yes", r"^x must be None, True or False; got 'yes'\.$")
    assert ColumnName()("weights", None) is None
    _raises(ColumnName(), 3, r"^weights must be a column name or None; got 3\.$", "weights")
    _raises(ColumnName(allow_none=False), None, r"^outcome must be a column name; got None",
            "outcome")
    assert Columns()("controls", None) == () and Columns()("controls", "x") == ("x",)
    assert Columns()("controls", ["x", "z"]) == ("x", "z")
    _raises(Columns(), ["x", 3], r"must be a column name or a list of column names")
    _raises(Columns(), ["x", "x"], r"^covariates lists a column twice: \['x', 'x'\] \('x'\)\. "
            "List each column once.$", "covariates")


def test_panel_result_and_seed():
    df = pd.DataFrame({"u": [1, 1, 2, 2], "t": [1, 2, 1, 2], "g": [2, 2, 0, 0],
                       "y": [0.0, 1.0, 0.0, 0.5]})
    panel = dz.build_panel(df, unit="u", time="t", cohort="g")
    assert PANEL("panel", panel) is panel
    _raises(PANEL, df, r"^panel must be a did_zones Panel \(from build_panel\); got "
            r"DataFrame\.$", "panel")
    _raises(ResultArg(), panel, r"^result must be a did_zones Result; got Panel\.$", "result")
    assert Seed()("seed", None) is None and Seed()("seed", np.int32(7)) == 7
    _raises(Seed(), "a", r"^seed must be None or an integer; got 'a'\.$", "seed")
    _raises(Seed(), -3, r"^seed must be a non-negative integer \(or None\); got -3\.$", "seed")
    ss = np.random.SeedSequence(1)
    assert Seed(sequence=True)("seed", ss) is ss
    _raises(Seed(), ss, r"None or an integer; got SeedSequence")
    _raises(Seed(allow_none=False), None, r"^seed must be an integer; got None\.$", "seed")


def test_window():
    assert Window()("window", None) is None
    assert Window()("window", [np.int64(-2), 3]) == (-2, 3)
    for bad in ((3, -3), (-3.0, 3), "(-1, 2)", (1, 2, 3), 4):
        _raises(Window(), bad, r"^window must be a pair of integers \(lo, hi\) with lo <= hi, "
                r"e\.g\. \(-4, 5\); got ", "window")
    _raises(Window(allow_none=False), None, r"got None")
    assert Window(open_ends=True)("w", (-2, None)) == (-2, None)
    _raises(Window(open_ends=True), (None, "a"), r"pair of integers or None")
    _raises(Window(lo_max=-1), (0, 2), r"and lo <= -1; got \(0, 2\)")
    _raises(Window(hi_min=0), (-3, -2), r"and hi >= 0; got \(-3, -2\)")
    _raises(Window(example=(-5, 5), hint=", or None for every event time"), (2, 1),
            r"e\.g\. \(-5, 5\), or None for every event time; got \(2, 1\)\.$")


# ------------------------------------------------------------------- applying them


def test_check_returns_normalised_values_in_order():
    out = check({"alpha": ALPHA, "n": COUNT}, n=np.int16(2), alpha=0.1, other="kept")
    assert out == {"n": 2, "alpha": 0.1, "other": "kept"} and list(out) == ["n", "alpha",
                                                                             "other"]
    with pytest.raises(SpecificationError, match="^n must be a non-negative integer"):
        check({"alpha": ALPHA, "n": COUNT}, alpha=0.1, n=-1)


def test_validated_decorator():
    @validated(alpha=ALPHA, kind=Choice(("simple", "event")))
    def f(result, kind="simple", *, alpha=0.05, **rest):
        """Doc."""
        return kind, alpha, rest

    assert f(None) == ("simple", 0.05, {})
    assert f(None, "event", alpha=np.float64(0.1), z=1) == ("event", 0.1, {"z": 1})
    assert type(f(None, alpha=np.float64(0.1))[1]) is float
    with pytest.raises(SpecificationError, match="kind must be one of 'simple', 'event'; got "
                       "'evnt'. Did you mean 'event'?"):
        f(None, "evnt")
    with pytest.raises(SpecificationError, match="alpha must lie strictly between 0 and 1"):
        f(None, alpha=2)
    with pytest.raises(TypeError):  # a wrong call keeps Python's own error
        f()
    assert list(inspect.signature(f).parameters) == ["result", "kind", "alpha", "rest"]
    assert f.__doc__ == "Doc." and f.__validated__["alpha"] is ALPHA
    with pytest.raises(TypeError, match=r"validated: g has no argument\(s\) \['beta'\]"):
        @validated(beta=ALPHA)
        def g(alpha):  # pragma: no cover
            return alpha


def test_validated_public_entry_point():
    # aggregate declares its constraints with @validated
    assert set(dz.aggregate.__validated__) == {"kind", "balance", "seed", "alpha"}
    assert "window" in inspect.signature(dz.aggregate).parameters



def test_panel_and_result_checks_need_no_import():
    """PanelArg / ResultArg look their classes up without importing panel / result (which
    import validation: no cycle), and still refuse look-alikes."""
    from did_zones.validation import PANEL, ResultArg

    class Panel:  # same name, other class
        pass

    with pytest.raises(dz.SpecificationError, match="panel must be a did_zones Panel"):
        PANEL("panel", Panel())
    with pytest.raises(dz.SpecificationError, match="result must be a did_zones Result"):
        ResultArg()("result", object())
