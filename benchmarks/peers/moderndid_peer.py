"""moderndid (``pip install moderndid``): Callaway-Sant'Anna ``att_gt`` + ``aggte``."""

from __future__ import annotations

from importlib.metadata import version

import moderndid as md
from _common import main


def cs(boot):
    def run(df):
        r = md.att_gt(df, yname="y", tname="year", idname="unit", gname="g", est_method="dr",
                      control_group="nevertreated", boot=boot, biters=999, random_state=1,
                      cband=boot)
        agg = md.aggte(r, type="simple")
        return agg.overall_att, agg.overall_se
    return run


if __name__ == "__main__":
    main({"cs_analytic": cs(False), "cs_boot999": cs(True)}, version("moderndid"))
