"""pyfixest (``pip install pyfixest``): TWFE and event study with absorbed fixed effects."""

from __future__ import annotations

from importlib.metadata import version

import pyfixest as pf
from _common import main


def twfe(df):
    fit = pf.feols("y ~ d | unit + year", data=df, vcov={"CRV1": "unit"})
    return fit.coef()["d"], fit.se()["d"]


def event_study(df):
    # never-treated units get rel = -1 (the reference), as in a dummy-per-horizon regression
    fit = pf.feols("y ~ i(rel, ref=-1) | unit + year", data=df, vcov={"CRV1": "unit"})
    return fit.coef().iloc[0], fit.se().iloc[0]


def bjs(df):
    d = df.assign(g2=df["g"].where(df["g"] > 0, 0))
    fit = pf.did2s(d, yname="y", first_stage="~ 0 | unit + year", second_stage="~ d",
                   treatment="d", cluster="unit")
    return fit.coef()["d"]


if __name__ == "__main__":
    main({"twfe": twfe, "event_study": event_study, "bjs": bjs}, version("pyfixest"))
