"""pyfixest (``pip install pyfixest``): TWFE and event study with absorbed fixed effects.

``wcb_*``: ``feols("y ~ d | unit + year", vcov={"CRV1": cluster})`` then
``Feols.wildboottest(param="d", reps=9999, seed=1)`` (9,999 WCR Rademacher draws). The
wrapper needs the ``wildboottest`` package in the same environment and hands it the model
with every fixed effect as a dummy column (``_model_matrix_one_hot``): fine at 300 × 12,
impossible at 100,000 units (the harness does not run it there). Returns ``(p-value, t)``;
no interval.
"""

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


def wcb(cluster):
    def run(df):
        fit = pf.feols("y ~ d | unit + year", data=df, vcov={"CRV1": cluster})
        out = fit.wildboottest(param="d", reps=9999, seed=1)
        return {"p": float(out["Pr(>|t|)"]), "t": float(out["t value"]),
                "draws": min(9999, 2 ** int(df[cluster].nunique())),
                "how": "fixed effects as dummies (wildboottest inside)"}
    return run


if __name__ == "__main__":
    main({"twfe": twfe, "event_study": event_study, "bjs": bjs, "wcb_unit": wcb("unit"),
          "wcb_prov": wcb("prov"), "wcb_prov10": wcb("prov10")}, version("pyfixest"))
