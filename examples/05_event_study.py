"""Event study: leads and lags of the pilot, the pre-trend test, and the truth beside them.

Run: ``python examples/05_event_study.py``. Uses the calibrated simulator with the real zone
timing, whose true event-time effects are known; then a panel whose parallel trends fail
(richer cities trend up faster) to show the pre-trend test rejecting.
"""

import warnings

import did_zones as dz

warnings.simplefilter("ignore", dz.DidZonesWarning)  # small cohorts etc. are noted in results

sim = dz.simulate_pilot_panel(seed=3)
panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")

# 1. Dynamic TWFE with four leads and five lags; e = -1 is the reference period.
es = dz.event_study(panel, "isu", window=(-4, 5), controls=["lngdp_pc", "lnpop"], overall=True)
print(es.summary(), "\n")

# The coefficients beside the simulator's true effects (truth is 0 before adoption).
table = es.tidy()[["term", "estimate", "std_error", "conf_low", "conf_high"]]
table["event_time"] = es.keys["event_time"].to_numpy()
truth = sim.truth.event_time.set_index("event_time")["att"]
table = table[table["event_time"].notna()].copy()
table["truth"] = [float(truth.get(e, 0.0)) for e in table["event_time"]]
print(table.round(4).to_string(index=False), "\n")

# 2. The pre-trend test: all leads jointly zero (F test, as reghdfe's `test`).
pre = es.extra["pretrend_test"]
print("pre-trend test:", pre)
print(f"F = {es.stats['pretrend_F']:.3f}, p = {es.stats['pretrend_p']:.3f}\n")

# Any other set of terms: are the first three lags jointly zero?
print("lags 0-2 jointly zero:", es.wald_test(["e+0", "e+1", "e+2"]), "\n")

# 3. Binned endpoints keep every city-year: earlier / later event times pool into -4 / +5.
binned = dz.event_study(panel, "isu", window=(-4, 5), bin_endpoints=True)
print(binned.tidy()[["term", "estimate", "std_error"]].round(4).to_string(index=False), "\n")

# 4. When parallel trends fail, the leads pick it up.
bad = dz.simulate_pilot_panel(seed=3, level_trend=0.01)
bad_panel = dz.build_panel(bad.data, unit="city_code", time="year", cohort="cohort")
bad_es = dz.event_study(bad_panel, "isu", window=(-4, 5))
print("pre-trend test with diverging trends:", bad_es.extra["pretrend_test"])

# The simulated divergence is a linear trend proportional to 2010 log GDP per capita, so a
# control for (2010 level) x (years since 2010) restores the comparison.
df = bad.data.copy()
base = df[df["year"] == 2010].set_index("city_code")["lngdp_pc"]
df["base_trend"] = df["city_code"].map(base) * (df["year"] - 2010)
fixed = dz.build_panel(df, unit="city_code", time="year", cohort="cohort")
print("with the baseline-level trend as a control:",
      dz.event_study(fixed, "isu", window=(-4, 5), controls=["base_trend"]).extra["pretrend_test"])
