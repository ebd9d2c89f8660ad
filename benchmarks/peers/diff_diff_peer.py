"""diff-diff (``pip install diff-diff``): Callaway-Sant'Anna, Sun-Abraham, imputation,
ETWFE (``WooldridgeDiD``), stacked DiD (``StackedDiD``), DML-DiD (``DMLDiD``), synthetic DiD,
continuous-dose DiD (``ContinuousDiD``).

No TWFE task: diff-diff's ``TwoWayFixedEffects.fit(data, outcome, treatment, post, unit)``
is the two-group design (unit effects and effects of the 0/1 ``post`` column, regressor
``treatment × post``); it has no calendar-period effects with a staggered treatment
indicator, so it does not estimate the staggered TWFE regression ``y ~ d | unit + year`` that
did_zones, pyfixest and linearmodels fit (its number differs by design, not by error).
"""

from __future__ import annotations

import diff_diff as dd
from _common import main


def cs(n_boot):
    def run(df):
        m = dd.CallawaySantAnna(control_group="never_treated", estimation_method="dr",
                                n_bootstrap=n_boot, seed=1)
        r = m.fit(df, outcome="y", unit="unit", time="year", first_treat="g")
        return r.overall_att, r.overall_se
    return run


def sun_abraham(df):
    r = dd.SunAbraham(control_group="never_treated", cluster="unit").fit(
        df, outcome="y", unit="unit", time="year", first_treat="g")
    return r.overall_att


def bjs(df):
    r = dd.ImputationDiD(cluster="unit").fit(df, outcome="y", unit="unit", time="year",
                                             first_treat="g")
    return r.overall_att


def etwfe(df):
    """``WooldridgeDiD`` (OLS, not-yet-treated comparisons, unit and period effects),
    clustered by unit: its overall ATT, the cell-size weighted average of the post ATT(g,t)
    (did_zones: ``aggregate(etwfe(panel, "y", fixed_effects="unit"), "simple")``)."""
    r = dd.WooldridgeDiD(control_group="not_yet_treated", cluster="unit").fit(
        df, outcome="y", unit="unit", time="year", cohort="g")
    return r.overall_att, r.overall_se


def stacked(df):
    """``StackedDiD``, window (-2, 2), never-treated clean controls, aggregate Q weights,
    clustered by unit: the average of the post event-time coefficients."""
    r = dd.StackedDiD(kappa_pre=2, kappa_post=2, control_group="never_treated",
                      cluster="unit").fit(df, outcome="y", unit="unit", time="year",
                                          first_treat="g")
    return r.overall_att, r.overall_se


def ddd(method):
    """``TripleDifference`` staggered engine (never-treated comparisons, universal base
    period), simple aggregation: its overall ATT and analytic SE."""
    def run(df):
        r = dd.TripleDifference(estimation_method=method, control_group="never_treated",
                                base_period="universal").fit(
            df, "y", unit="unit", time="year", first_treat="g", partition="grp",
            aggregate="simple")
        return r.overall_att, r.overall_se
    return run


def continuous(df):
    """``ContinuousDiD``: cubic B-spline, no interior knots, never-treated comparisons,
    analytic standard errors: ``overall_att`` (ATT^o) and its SE."""
    r = dd.ContinuousDiD(degree=3, num_knots=0, control_group="never_treated").fit(
        df, outcome="y", unit="unit", time="year", first_treat="g", dose="dose")
    return r.overall_att, r.overall_att_se


def dml(df):
    """``DMLDiD`` (Chang 2020 scores) with its default learners, OLS outcome regression
    (``"linear"``) and an unpenalised logit (``"logit"``), control ``x``, 5 folds,
    never-treated comparisons, seed 1: its overall ATT and standard error (did_zones:
    ``aggregate(dml_did(..., in_sample_normalization=False), "simple")``; the folds differ,
    so the estimates agree up to the cross-fitting noise, not to 1e-8)."""
    r = dd.DMLDiD(propensity_learner="logit", outcome_learner="linear", n_folds=5,
                  control_group="never_treated", seed=1).fit(
        df, outcome="y", unit="unit", time="year", first_treat="g", covariates=["x"])
    return r.overall_att, r.overall_se


def sdid_placebo(df):
    """``SyntheticDiD`` (R synthdid's defaults), placebo variance, 200 permutations, seed 1;
    one adoption date (the panels of benchmarks/bench_synthetic.py)."""
    g = df["g"].to_numpy()
    first = g[g > 0].min()
    data = df.assign(ever=(df["g"] > 0).astype(int))
    post = sorted(data.loc[data["year"] >= first, "year"].unique())
    r = dd.SyntheticDiD(variance_method="placebo", n_bootstrap=200, seed=1).fit(
        data, outcome="y", treatment="ever", unit="unit", time="year", post_periods=post)
    return r.att, r.se


if __name__ == "__main__":
    main({"cs_analytic": cs(0), "cs_boot999": cs(999),
          "sun_abraham": sun_abraham, "bjs": bjs,
          "etwfe": etwfe, "stacked": stacked, "dml": dml, "sdid_placebo200": sdid_placebo,
          "continuous": continuous, "ddd": ddd("dr"), "ddd_reg": ddd("reg")},
         dd.__version__)
