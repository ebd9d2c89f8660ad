"""differences (``pip install differences``): Callaway-Sant'Anna ``ATTgt`` + simple aggregation.

Doubly robust (``est_method="dr"``), never-treated comparison group, no covariates; the overall
ATT of ``aggregate("simple")``. The package wants the panel indexed by (entity, time) and
never-treated units coded NaN in the cohort column (it refuses 0s), so the task recodes g = 0
to NaN and sets the index inside the timed call. ``boot_iterations=999`` (``random_state=1``)
in both ``fit`` and ``aggregate`` for the bootstrap task; 0 (analytic standard errors)
otherwise.
"""

from __future__ import annotations

from importlib.metadata import version

from _common import main
from differences import ATTgt


def cs(n_boot):
    def run(df):
        panel = df.assign(g=df["g"].where(df["g"] > 0)).set_index(["unit", "year"])
        m = ATTgt(data=panel, cohort_column="g")
        m.fit("y", est_method="dr", control_group="never_treated", boot_iterations=n_boot,
              random_state=1, progress_bar=False)
        out = m.aggregate("simple", boot_iterations=n_boot, random_state=1)
        se = out[("SimpleAggregation", "analytic", "std_error")].iloc[0] if not n_boot else None
        return out[("SimpleAggregation", "", "ATT")].iloc[0], se
    return run


if __name__ == "__main__":
    main({"cs_analytic": cs(0), "cs_boot999": cs(999)}, version("differences"))
