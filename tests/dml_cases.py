"""Shared by tests/test_dml.py and tests/reference/dml/make_reference.py: DoubleML's example
data as did_zones panels, and the calls whose DoubleML outputs are frozen."""

from __future__ import annotations

import numpy as np
import pandas as pd

import did_zones as dz

X_COLS = ["Z1", "Z2", "Z3", "Z4"]

# name -> options of dml_did for the two-period cases (DoubleMLDID / DoubleMLDIDCS)
TWO_PERIOD = {
    "panel_obs": {"data_type": "panel", "score": "observational"},
    "panel_obs_raw": {"data_type": "panel", "score": "observational",
                      "in_sample_normalization": False},
    "panel_exp": {"data_type": "panel", "score": "experimental"},
    "cs_obs": {"data_type": "cross_section", "score": "observational"},
    "cs_exp": {"data_type": "cross_section", "score": "experimental"},
}
# name -> options of dml_did for the staggered cases (DoubleMLDIDMulti)
MULTI = {
    "multi_never": {"control": "never"},
    "multi_notyet": {"control": "not_yet"},
    "multi_universal": {"control": "never", "base_period": "universal"},
    "multi_cross_section": {"control": "never", "data_type": "cross_section"},
}
AGGREGATIONS = {"event": "eventstudy", "cohort": "group", "calendar": "time"}


def sz_panel(df: pd.DataFrame) -> dz.Panel:
    """make_did_SZ2020 panel output (y = Y1 − Y0, d) as a two-period panel: Y0 = 0, Y1 = y."""
    n = len(df)
    long = pd.DataFrame({
        "id": np.repeat(np.arange(n), 2), "t": np.tile([0, 1], n),
        "g": np.repeat(np.where(df["d"].to_numpy() == 1, 1, 0), 2),
        "y": np.column_stack([np.zeros(n), df["y"].to_numpy()]).ravel()})
    for c in X_COLS:
        long[c] = np.repeat(df[c].to_numpy(), 2)
    return dz.build_panel(long, unit="id", time="t", cohort="g")


def sz_cross_section(df: pd.DataFrame) -> dz.Panel:
    """make_did_SZ2020 cross-section output: every row its own unit, cohort 1 when d = 1."""
    long = df.assign(id=np.arange(len(df)), g=np.where(df["d"] == 1, 1, 0),
                     t=df["t"].astype(int))
    return dz.build_panel(long, unit="id", time="t", cohort="g")


def cs2021_panel(df: pd.DataFrame) -> dz.Panel:
    """make_did_CS2021 (float time) as a panel: never-treated (d = inf) coded 0."""
    long = df[["id", "t", "y", *X_COLS]].copy()
    long["g"] = np.where(np.isfinite(df["d"]), df["d"], 0).astype(int)
    return dz.build_panel(long, unit="id", time="t", cohort="g")


def splits(folds: np.ndarray, n_folds: int) -> list:
    """DoubleML's ``all_smpls`` (per repetition a list of (train, test)) from fold ids."""
    out = []
    for f in np.atleast_2d(folds):
        idx = np.arange(f.size)
        out.append([(idx[f != k], idx[f == k]) for k in range(n_folds)])
    return out
