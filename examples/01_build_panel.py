"""Build a staggered-adoption city-year panel with the real pilot-zone timing.

Run: ``python examples/01_build_panel.py``. Uses the bundled simulated panel (no data needed).
"""

import did_zones as dz

# The registry: 181 zones in eight batches (2015-2025), and the cohorts they imply (by default
# batches 1-7; zone_cohorts(batches="all") adds the 2025 batch).
zones = dz.load_zones()
print(zones.groupby("batch").size().rename("zones").to_string(), "\n")

cohorts = dz.zone_cohorts(timing="approval_year", county_level="parent")
print(f"{cohorts.size} prefectures treated; first treated year by batch timing:")
print(cohorts.value_counts().sort_index().to_string(), "\n")

# A city-year table: here the calibrated simulator (337 prefectures x 2010-2021).
sim = dz.simulate_pilot_panel(seed=1)
city_year = sim.data.drop(columns=["cohort", "batch", "treated"])

# One call merges the registry timing onto the user's table and validates the panel.
panel = dz.zone_panel(city_year, unit="city_code", time="year", timing="next_year")
print(panel.describe().to_string(), "\n")
print("\n".join(panel.notes))

# The same by hand: any unit -> first-treated-year mapping works as `cohort`.
same = dz.build_panel(city_year, unit="city_code", time="year",
                      cohort=dz.zone_cohorts(timing="next_year"))
assert (same.cohort == panel.cohort).all()
