"""The robustness battery referees ask for, each one call on an existing result.

Run: ``python examples/04_robustness.py``. Uses the calibrated simulator with the real zone
timing (337 prefectures, 2010-2021).
"""

import warnings

import did_zones as dz

warnings.simplefilter("ignore", dz.DidZonesWarning)  # small cohorts etc. are noted in results

sim = dz.simulate_pilot_panel(seed=1)
panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
main = dz.twfe(panel, "isu", controls=["lngdp_pc", "lnpop"])
print(f"main TWFE estimate: {main['treated']:.4f} (true overall ATT {sim.truth.overall:.4f})\n")

# 1. Placebo tests: 1,000 in-space permutations (Frisch-Waugh-Lovell fast path) and in-time.
space = dz.placebo(main, panel, kind="in_space", n_draws=1000, seed=1)
print(space, "left/right p:", space.details["p_left"], space.details["p_right"])
print(dz.placebo(main, panel, kind="in_time", shift=2), "\n")

# 2. PSM-DiD: match on pre-period covariates, then the same TWFE on the matched sample.
matched = dz.match(panel, ["lngdp_pc", "lnpop"], k=2, caliper=0.05)
print(matched.balance[["std_diff_before", "std_diff_after"]].round(1))
print("PSM-DiD:", round(dz.psm_did(main, panel, ["lngdp_pc", "lnpop"], k=2,
                                   caliper=0.05)["treated"], 4), "\n")

# 3. Sample and specification variations in one table.
print(dz.variations(main, panel, windows=[(2012, 2021)]).tidy()[
    ["term", "estimate", "std_error", "p_value"]].round(4), "\n")

# 4. Event study, HonestDiD sensitivity and the power of the pre-trend test.
es = dz.event_study(panel, "isu", window=(-4, 3))
print(dz.honest_did(es, restriction="relative_magnitude", m_values=[0, 0.5, 1]).summary())
print(dz.pretrend_power(es).table[["hypothesis", "slope", "bias_post"]], "\n")

# 5. Heterogeneity by NBS region, with the test of equal effects.
het = dz.heterogeneity(main, panel, "region", approach="interaction")
print(het.tidy()[["term", "estimate", "std_error"]].round(4))
print(het.extra["equality_test"])
