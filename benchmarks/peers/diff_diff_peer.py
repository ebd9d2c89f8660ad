"""diff-diff (``pip install diff-diff``): TWFE, Callaway-Sant'Anna, Sun-Abraham, imputation."""

from __future__ import annotations

import diff_diff as dd
from _common import main


def twfe(df):
    r = dd.TwoWayFixedEffects(cluster="unit").fit(df, outcome="y", treatment="d", unit="unit",
                                                  time="year")
    return r.att


def cs(n_boot):
    def run(df):
        m = dd.CallawaySantAnna(control_group="never_treated", estimation_method="dr",
                                n_bootstrap=n_boot, seed=1)
        return m.fit(df, outcome="y", unit="unit", time="year", first_treat="g").overall_att
    return run


def sun_abraham(df):
    r = dd.SunAbraham(control_group="never_treated", cluster="unit").fit(
        df, outcome="y", unit="unit", time="year", first_treat="g")
    return r.overall_att


def bjs(df):
    r = dd.ImputationDiD(cluster="unit").fit(df, outcome="y", unit="unit", time="year",
                                             first_treat="g")
    return r.overall_att


if __name__ == "__main__":
    main({"twfe": twfe, "cs_analytic": cs(0), "cs_boot999": cs(999),
          "sun_abraham": sun_abraham, "bjs": bjs}, dd.__version__)
