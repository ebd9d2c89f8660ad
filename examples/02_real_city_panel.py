"""Real city data: CSMAR CRE exports -> industrial-structure outcomes -> zone panel.

Run: ``python examples/02_real_city_panel.py [DATA_DIR]``. ``DATA_DIR`` holds
``CRE_Gdpct.csv`` and ``CRE_Eplwagct.csv`` (default: ``../shared/data`` beside the repository).
Exits with a message when the files are absent.
"""

import sys
from pathlib import Path

import did_zones as dz

here = Path(__file__).resolve().parent
data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else here.parents[1] / "shared" / "data"
gdp, emp = data_dir / "CRE_Gdpct.csv", data_dir / "CRE_Eplwagct.csv"
if not (gdp.exists() and emp.exists()):
    print(f"CRE files not found in {data_dir}; pass the folder holding CRE_Gdpct.csv and "
          "CRE_Eplwagct.csv as the first argument.")
    sys.exit(0)

cre = dz.read_cre(gdp, emp, years=(2010, 2019))
df = cre.data
# Advancement TS, hierarchy index ISU, tertiary share and the Theil rationalization index
# from sector value added and sector employment shares (a copy: `df` is not modified).
df = dz.structure_outcomes(df, primary="va1", secondary="va2", tertiary="va3",
                           emp_primary="emp_s1", emp_secondary="emp_s2", emp_tertiary="emp_s3",
                           prefix="is_")
panel = dz.zone_panel(df, unit="city_code", time="year", county_level="drop")
print(panel.describe().to_string())
print(f"\n{panel.n_units} prefectures x {panel.n_periods} years, balanced: {panel.is_balanced}")
print(df.groupby("year")[["is_ts", "is_isu", "is_tl3"]].mean().round(3).to_string())
