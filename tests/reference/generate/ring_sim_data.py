"""Write tests/reference/ring_sim_data.csv: a simulated pilot panel with known spillovers.

Run in the library's own venv (it uses did_zones itself, only to draw the data; the
reference numbers come from diff-diff, generate/ring_diffdiff.py):

    python tests/reference/generate/ring_sim_data.py

Columns: city_code, year, cohort (0 = never), isu (12 significant digits), longitude,
latitude (the bundled prefecture seats). Truth of the draw: spillovers 0.01 / 0.005 / 0.002
in the rings [0-50km), [50-100km), [100-200km].
"""

from pathlib import Path

import did_zones as dz
from did_zones.spatial import load_geography

OUT = Path(__file__).resolve().parents[1] / "ring_sim_data.csv"

sim = dz.simulate_pilot_panel(seed=7, spillover={50: 0.01, 100: 0.005, 200: 0.002})
geo = load_geography()[["code", "longitude", "latitude"]].rename(columns={"code": "city_code"})
df = sim.data[["city_code", "year", "cohort", "isu"]].merge(geo, on="city_code", how="left")
df.to_csv(OUT, index=False, float_format="%.12g")
