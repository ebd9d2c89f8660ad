"""The full study on real prefecture data: did a pilot zone upgrade the city's industry?

Run: ``python examples/08_real_city_study.py [DATA_DIR]``. ``DATA_DIR`` holds the CSMAR CRE
exports ``CRE_Gdpct.csv`` and ``CRE_Eplwagct.csv`` (default: ``../shared/data`` beside the
repository). When they are absent the script says so and exits with status 0.

Steps: read and tidy the exports, build the structure outcomes, merge the real pilot-zone
timing, then the main TWFE estimate, the event study with its pre-trend test, the
heterogeneity-robust estimators, the Goodman-Bacon decomposition, placebo tests and
heterogeneity by region. The data are licensed CSMAR extracts: nothing is written.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import did_zones as dz

here = Path(__file__).resolve().parent
data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parents[1] / "shared" / "data"
gdp, emp = data_dir / "CRE_Gdpct.csv", data_dir / "CRE_Eplwagct.csv"
if not (gdp.exists() and emp.exists()):
    print(f"CRE files not found in {data_dir}: nothing to do. Pass the folder holding "
          "CRE_Gdpct.csv and CRE_Eplwagct.csv as the first argument to run the study.")
    sys.exit(0)

warnings.simplefilter("ignore", dz.DidZonesWarning)  # every drop is counted in the notes
pd.set_option("display.width", 120)
OUTCOME, CONTROLS, WINDOW = "is_isu", ["lngdp_pc", "lnpop"], (-4, 3)

# 1. Data: 2010-2019 (the 2020-2021 files cover fewer cities), outcomes and controls.
cre = dz.read_cre(gdp, emp, years=(2010, 2019))
df = dz.structure_outcomes(cre.data, primary="va1", secondary="va2", tertiary="va3",
                           emp_primary="emp_s1", emp_secondary="emp_s2", emp_tertiary="emp_s3",
                           prefix="is_")
df["lngdp_pc"] = np.log(df["gdp_per_capita"])
df["lnpop"] = np.log(df["pop"])
# Units abolished since (巢湖 341400, 2011) have no current region or flags: leave them out.
current = df["city_code"].isin(dz.load_cities()["city_code"])
print(f"left out {(~current).sum()} row(s) of codes that are no longer prefectures: "
      f"{sorted(df.loc[~current, 'city_code'].unique())}")
df = df[current]
# Cities are treated from the year after approval (batch 1 in March 2015 -> 2016, ...).
panel = dz.zone_panel(df, unit="city_code", time="year", timing="next_year",
                      county_level="drop")
print(f"{panel.n_units} prefectures x {panel.n_periods} years")
print(panel.describe().to_string(index=False))
print("\n".join(cre.notes + panel.notes), "\n")

# 2. The main estimate and the event study with its pre-trend test.
main = dz.twfe(panel, OUTCOME, controls=CONTROLS)
print(main.summary(), "\n")
es = dz.event_study(panel, OUTCOME, window=WINDOW, controls=CONTROLS)
print(es.tidy()[["term", "estimate", "std_error", "p_value"]].round(4).to_string(index=False))
print("pre-trend test:", es.extra["pretrend_test"], "\n")

# 3. Heterogeneity-robust estimators of the overall effect (rows with missing data dropped
#    and counted by each estimator).
cs = dz.callaway_santanna(panel, OUTCOME)
robust = {
    "TWFE": (main, "treated"),
    "Callaway-Sant'Anna": (dz.aggregate(cs, kind="simple"), "overall"),
    "Sun-Abraham": (dz.sun_abraham(panel, OUTCOME, window=WINDOW), "overall"),
    "BJS imputation": (dz.imputation(panel, OUTCOME, window=WINDOW), "overall"),
    "did2s (Gardner)": (dz.did2s(panel, OUTCOME), "overall"),
}
rows = [(name, res.estimate[t], res.std_error[t], res.p_value[t], res.n_obs)
        for name, (res, t) in robust.items()]
print(pd.DataFrame(rows, columns=["estimator", "estimate", "std_error", "p_value", "n_obs"])
      .round(4).to_string(index=False), "\n")

# 4. Why the estimators may differ: the Goodman-Bacon decomposition of the plain TWFE. It
#    needs a balanced panel, so cities with a missing outcome in any year are left out.
complete = panel.data.groupby(panel.unit)[OUTCOME].count() == panel.n_periods
balanced = panel.drop_units(complete.index[~complete])
print(f"Bacon decomposition on the {balanced.n_units} cities observed in every year:")
bacon = dz.bacon_decomposition(balanced, OUTCOME)
print(bacon.extra["by_type"].round(4).to_string(index=False), "\n")

# 5. Placebos: 500 random reassignments of the pilot cities, and a fake date two years early
#    (a significant in-time placebo says the estimate may carry a pre-existing trend).
space = dz.placebo(main, panel, kind="in_space", n_draws=500, seed=1)
print(space, "\n", dz.placebo(main, panel, kind="in_time", shift=2), "\n")

# 6. Heterogeneity by region (east / central / west / northeast) with the equality test.
het = dz.heterogeneity(main, panel, "region", approach="interaction")
print(het.tidy()[["term", "estimate", "std_error"]].round(4).to_string(index=False))
print(het.extra["equality_test"])
