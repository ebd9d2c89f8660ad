"""Freeze DoubleML's outputs for tests/test_dml.py (see PROVENANCE.md).

    python tests/reference/dml/make_reference.py

Writes the example data (``make_did_SZ2020`` panel and cross-section, ``make_did_CS2021``)
and, for each call of ``tests/dml_cases.py``, the fold ids did_zones draws from its seed and
DoubleML's estimates and standard errors on those same splits with ``LinearRegression`` /
``LogisticRegression(C=1, max_iter=1000)`` learners.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # tests/

import doubleml as dml  # noqa: E402
from dml_cases import (  # noqa: E402
    AGGREGATIONS,
    MULTI,
    TWO_PERIOD,
    X_COLS,
    cs2021_panel,
    splits,
    sz_cross_section,
    sz_panel,
)
from doubleml.did import DoubleMLDIDMulti  # noqa: E402
from doubleml.did.datasets import make_did_CS2021, make_did_SZ2020  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402

import did_zones as dz  # noqa: E402

N_FOLDS, SEED = 5, 20260101


def learners():
    return LinearRegression(), LogisticRegression(C=1.0, max_iter=1000)


def two_period(name, opts, panel_df, cs_df):
    cs = opts["data_type"] == "cross_section"
    panel = sz_cross_section(cs_df) if cs else sz_panel(panel_df)
    ours = dz.dml_did(panel, "y", controls=X_COLS, learner="linear", n_folds=N_FOLDS,
                      seed=SEED, **opts)
    folds = ours.extra["folds"][ours.terms[0]]
    df = cs_df if cs else panel_df
    data = dml.DoubleMLDIDData(df, "y", "d", t_col="t" if cs else None, x_cols=X_COLS)
    g, m = learners()
    kw = {"score": opts["score"], "n_folds": N_FOLDS,
          "in_sample_normalization": opts.get("in_sample_normalization", True)}
    if opts["score"] == "experimental":
        m = None
    cls = dml.DoubleMLDIDCS if cs else dml.DoubleMLDID
    model = cls(data, g, m, draw_sample_splitting=False, **kw)
    model.set_sample_splitting(splits(folds, N_FOLDS))
    model.fit()
    return {"folds": folds.tolist(), "coef": float(model.coef[0]), "se": float(model.se[0]),
            "ours_coef": float(ours.estimate.iloc[0])}


def multi(name, opts, df):
    panel = cs2021_panel(df)
    ours = dz.dml_did(panel, "y", controls=X_COLS, learner="linear", n_folds=N_FOLDS,
                      seed=SEED, **opts)
    data = dml.DoubleMLPanelData(df, "y", "d", "t", "id", x_cols=X_COLS)
    g, m = learners()
    model = DoubleMLDIDMulti(
        data, g, m, n_folds=N_FOLDS,
        control_group={"never": "never_treated", "not_yet": "not_yet_treated"}[opts["control"]],
        gt_combinations="universal" if opts.get("base_period") == "universal" else "standard",
        panel=opts.get("data_type", "panel") == "panel")
    cells = {}
    for sub in model.modellist:
        label = f"ATT({sub.g_value:g},{sub.t_value_eval:g})"
        sub.set_sample_splitting(splits(ours.extra["folds"][label], N_FOLDS))
        cells[label] = {"base": float(sub.t_value_pre)}
    model.fit()
    for sub, coef, se in zip(model.modellist, model.coef, model.se, strict=True):
        label = f"ATT({sub.g_value:g},{sub.t_value_eval:g})"
        cells[label].update(coef=float(coef), se=float(se),
                            folds=ours.extra["folds"][label].tolist())
    aggs = {}
    for ours_kind, kind in AGGREGATIONS.items():
        agg = model.aggregate(kind)
        fw, ov = agg.aggregated_frameworks, agg.overall_aggregated_framework
        aggs[ours_kind] = {"names": list(agg.aggregation_names),
                           "coef": fw.thetas.tolist(), "se": fw.ses.tolist(),
                           "overall_coef": float(ov.thetas[0]), "overall_se": float(ov.ses[0])}
    return {"cells": cells, "aggregations": aggs}


def main():
    np.random.seed(SEED)
    panel_df = make_did_SZ2020(n_obs=500, dgp_type=1, return_type="DataFrame",
                               random_state=SEED)
    cs_df = make_did_SZ2020(n_obs=1000, dgp_type=1, cross_sectional_data=True,
                            return_type="DataFrame", random_state=SEED)
    multi_df = make_did_CS2021(n_obs=500, dgp_type=1, time_type="float",
                               random_state=SEED)
    panel_df.to_csv(HERE / "sz2020_panel.csv", index=False)
    cs_df.to_csv(HERE / "sz2020_cross_section.csv", index=False)
    multi_df[["id", "t", "d", "y", *X_COLS]].to_csv(HERE / "cs2021_panel.csv", index=False)
    # read back what the tests read (CSV round trip of the floats)
    panel_df = pd.read_csv(HERE / "sz2020_panel.csv")
    cs_df = pd.read_csv(HERE / "sz2020_cross_section.csv")
    multi_df = pd.read_csv(HERE / "cs2021_panel.csv")
    out = {"doubleml": dml.__version__, "seed": SEED, "n_folds": N_FOLDS, "cases": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, opts in TWO_PERIOD.items():
            out["cases"][name] = two_period(name, opts, panel_df, cs_df)
        for name, opts in MULTI.items():
            out["cases"][name] = multi(name, opts, multi_df)
    (HERE / "doubleml_reference.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
