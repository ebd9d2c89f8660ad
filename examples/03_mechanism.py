"""Mechanism tests: is the pilot's effect on industrial structure carried by e-commerce?

Run: ``python examples/03_mechanism.py``. Uses the calibrated simulator, whose true channel
is known (pilot -> e-commerce index ``ecom`` -> structure index ``isu``).
"""

import did_zones as dz

sim = dz.simulate_pilot_panel(seed=7, effect="homogeneous")
panel = dz.build_panel(sim.data, unit="city_code", time="year", cohort="cohort")
truth = sim.truth
print(f"truth: a = {truth.a:.3f}, b = {truth.b:.3f}, indirect = {truth.indirect:.4f}, "
      f"direct = {truth.direct:.4f}\n")

# 1. The default: the channel test (D -> Y and D -> M with one design).
channel = dz.mediation(panel, "isu", "ecom", controls=["lngdp_pc"])
print(channel.summary(), "\n")

# The same channel with a heterogeneity-robust estimator.
robust = dz.mediation(panel, "isu", "ecom", estimator="imputation")
print(robust.tidy()[["quantity", "term", "estimate", "std_error", "p_value"]], "\n")

# 2. Stepwise: Wen & Ye (2014) with a bootstrap of a*b that resamples whole cities.
step = dz.mediation(panel, "isu", "ecom", method="stepwise", controls=["lngdp_pc"],
                    n_boot=299, seed=1)
print(step.summary(), "\n")

# 3. Two parallel mediators, and causal mediation with its sensitivity to rho.
both = dz.mediation(panel, "isu", ["ecom", "fin"], method="stepwise", n_boot=199, seed=1)
print(both.indirect[["a", "b", "estimate", "std_error", "conf_low", "conf_high"]], "\n")
causal = dz.mediation(panel, "isu", "ecom", method="causal", n_boot=500, seed=1)
print(causal.verdict, "\n")

# 4. Moderation beside it: heterogeneity, not mechanism.
print(dz.moderation(panel, "isu", "lnpop").summary())
