"""did_zones itself, timed exactly as the peers are (see ``_common``): its own fresh process,
the first call timed apart as ``cold``, then ``REPEAT`` timed calls.

Run with the library's interpreter: ``python benchmarks/peers/did_zones_peer.py PANEL.npz TASK
REPEAT``. Tasks whose name says so start from the DataFrame (``cs_analytic_e2e``:
``build_panel`` inside the timed call, as every peer's call starts from its DataFrame); the
others start from a :class:`~did_zones.Panel` built once, untimed, in ``setup``.
"""

from __future__ import annotations

import atexit
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # a checkout's did_zones first

from _common import main  # noqa: E402

import did_zones as dz  # noqa: E402


def panel_of(df):
    return dz.build_panel(df, "unit", "year", cohort="g")


def first(r):
    return r.estimate.iloc[0], r.std_error.iloc[0]


def twfe(panel):
    r = dz.twfe(panel, "y")
    return r.estimate["treated"], r.std_error["treated"]


def cs_e2e(df):
    return first(dz.aggregate(dz.callaway_santanna(panel_of(df), "y"), "simple"))


def placebo(client=None):
    def run(panel):
        return dz.placebo(dz.twfe(panel, "y"), panel, n_draws=1000, seed=1, progress=False,
                          client=client).p_value
    return run


def dask_setup(df):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise SystemExit(3) from None
    client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=None))
    atexit.register(client.close)
    panel = panel_of(df)
    return panel, placebo(client)


def wcb(cluster):
    """``twfe(panel, "y", cluster=...)`` then ``wild_bootstrap``: 9,999 WCR Rademacher
    draws (all 2^G sign vectors when 2^G <= 9,999), seed 1, p-value and the test-inversion
    interval (the peers compute no interval)."""
    def run(panel):
        res = dz.twfe(panel, "y", treatment="d", cluster=cluster)
        test = dz.wild_bootstrap(res, panel, n_boot=9999, seed=1)
        return {"p": test.p_value, "t": test.statistic, "draws": test.details["n_boot"],
                "p_strict": test.details["p_value_strict"],  # ties left out
                "how": "absorbed unit and year effects; p-value and interval"}
    return run


def sdid(se):
    """``synthdid(panel, "y")``: R synthdid's defaults; ``se="placebo"`` with 200 permutations
    and seed 1 (diff-diff draws the same permutations), or the point estimate alone."""
    def run(panel):
        res = dz.synthdid(panel, "y", se=se, n_reps=200, seed=1)
        return res.estimate["ATT"], res.std_error["ATT"]
    return run


def stacked(panel):
    """``stacked_did``, window (-2, 2), never-treated clean controls, corrective weights,
    Wing et al.'s pooled regression (diff-diff's ``StackedDiD``): the ``overall`` average of
    the post coefficients and its unit-clustered standard error."""
    res = dz.stacked_did(panel, "y", window=(-2, 2), control="never", regression="pooled")
    return res.estimate["overall"], res.std_error["overall"]


def ddd(panel, method):
    """``triple_difference`` (never-enabled comparisons, universal base period), its simple
    ATT weighted by eligible cohort sizes as diff-diff (``cohort_weights="eligible"``); the
    event-time and cohort summaries are computed too."""
    res = dz.triple_difference(panel, "y", group="grp", method=method,
                               cohort_weights="eligible")
    simple = res.extra["simple"]
    return simple.estimate["overall"], simple.std_error["overall"]


def continuous(panel):
    """``continuous_did``: cubic B-spline, no interior knots, never-treated comparisons,
    the default dose grid; ATT^o and its influence-function standard error (diff-diff's
    ``ContinuousDiD`` with the same options)."""
    res = dz.continuous_did(panel, "y", dose="dose", degree=3, num_knots=0, control="never")
    return res.estimate["att_overall"], res.std_error["att_overall"]


def dml(panel):
    """``dml_did`` with the learners of diff-diff's defaults: OLS outcome regression and an
    unpenalised logit fitted to convergence (``C=inf, tol=1e-10``: Newton's method), control ``x``, 5 folds, never-treated comparisons, Chang's
    p-hat normalisation; the simple (share-weighted post-cell) ATT."""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    res = dz.dml_did(panel, "y", controls="x", ml_g=LinearRegression(),
                     ml_m=LogisticRegression(C=float("inf"), tol=1e-10, max_iter=1000), n_folds=5,
                     seed=1, in_sample_normalization=False)
    return first(dz.aggregate(res, "simple"))


TASKS = {
    "twfe": (panel_of, twfe),
    "continuous": (panel_of, continuous),
    "event_study": (panel_of, lambda p: first(dz.event_study(p, "y"))),
    "cs_analytic": (panel_of, lambda p: first(dz.aggregate(dz.callaway_santanna(p, "y"),
                                                            "simple"))),
    "cs_analytic_e2e": cs_e2e,
    "cs_boot999": (panel_of, lambda p: dz.aggregate(
        dz.callaway_santanna(p, "y", n_boot=999, seed=1), "simple").estimate.iloc[0]),
    "sun_abraham": (panel_of, lambda p: dz.sun_abraham(p, "y").estimate.iloc[0]),
    "bjs": (panel_of, lambda p: dz.imputation(p, "y").estimate.iloc[0]),
    "placebo1000": (panel_of, placebo()),
    "placebo1000_dask": (dask_setup, lambda pr: pr[1](pr[0])),
    "mediation": (panel_of, lambda p: dz.mediation(
        p, "y", "m", method="stepwise", n_boot=999, seed=1,
        progress=False).indirect["estimate"].iloc[0]),
    "wcb_unit": (panel_of, wcb("unit")),
    "wcb_prov": (panel_of, wcb("prov")),
    "wcb_prov10": (panel_of, wcb("prov10")),
    # unit and period effects, as diff-diff's WooldridgeDiD (the default cohort effects give
    # the same ATTs on a balanced panel, other residuals and so other standard errors)
    "etwfe": (panel_of, lambda p: first(dz.aggregate(dz.etwfe(p, "y", fixed_effects="unit"),
                                                     "simple"))),
    "stacked": (panel_of, lambda p: stacked(p)),
    "ddd": (panel_of, lambda p: ddd(p, "dr")),
    "ddd_reg": (panel_of, lambda p: ddd(p, "reg")),
    "dml": (panel_of, dml),
    "sdid_point": (panel_of, sdid(None)),
    "sdid_placebo200": (panel_of, sdid("placebo")),
}

if __name__ == "__main__":
    main(TASKS, dz.__version__)
