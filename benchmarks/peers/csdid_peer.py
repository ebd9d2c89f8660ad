"""csdid (``pip install csdid``): Callaway-Sant'Anna ``ATTgt(...).fit()`` + ``aggte("simple")``.

Doubly robust, never-treated comparison group, no covariates; the overall ATT of the simple
aggregation. ``fit(bstrap=False)`` and ``aggte(bstrap=False)`` give analytic (influence
function) standard errors; the bootstrap task sets ``biters=999`` and ``cband=True`` in
``ATTgt`` and ``bstrap=True`` in both ``fit`` and ``aggte``. csdid draws its serial multipliers
from numpy's global state, hence ``np.random.seed(1)``. ``aggte`` always prints a summary
table, which is sent to a discarded buffer so that stdout holds only the JSON line.
"""

from __future__ import annotations

import contextlib
import io
from importlib.metadata import version

import numpy as np
from _common import main
from csdid.att_gt import ATTgt


def cs(boot):
    def run(df):
        np.random.seed(1)
        m = ATTgt(yname="y", tname="year", idname="unit", gname="g", data=df,
                  control_group="nevertreated", biters=999, cband=boot)
        m.fit(est_method="dr", bstrap=boot)
        with contextlib.redirect_stdout(io.StringIO()):
            m.aggte(typec="simple", bstrap=boot, biters=999)
        return m.atte["overall_att"], None if boot else m.atte["overall_se"]
    return run


if __name__ == "__main__":
    main({"cs_analytic": cs(False), "cs_boot999": cs(True)}, version("csdid"))
