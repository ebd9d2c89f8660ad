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

# 5. The founding mechanism in full: the simulator with its demand and supply channels, and
#    chain (serial) mediation with the two sides (Hayes PROCESS model 6, 链式中介).
full = dz.simulate_pilot_panel(seed=5, effect="homogeneous", mechanism=True)
fpanel = dz.build_panel(full.data, unit="city_code", time="year", cohort="cohort")
chains = {"demand": ["ecom", "imports", "consumption"],
          "supply": ["ecom", "exports", "innovation"]}
serial = dz.mediation(fpanel, "isu", method="serial", chains=chains)
paths = serial.paths.set_index("path")
truth = full.truth.mechanism.query("side != 'direct'").assign(
    path=lambda t: t["path"].str.removeprefix("D -> ").str.removesuffix(" -> isu"))
truth = truth.set_index("path")["effect"]
# paths through an edge the simulator does not have (e.g. D -> imports) are truly 0
truth = truth.reindex(paths.index[paths["kind"] == "path"], fill_value=0.0)
t = full.truth
truth["total indirect"] = truth.sum()
truth["demand"], truth["supply"], truth["common"] = t.demand_total, t.supply_total, \
    t.common_total
truth["demand - supply"] = t.demand_total - t.supply_total
shown = paths[["side", "estimate", "std_error", "p_value"]].join(truth.rename("truth"))
print(shown.round(4).to_string())  # one draw: estimates scatter around the truth by ~1 s.e.
print(serial.verdict)

# 6. Mechanism variables from city data: an entropy-weight (熵值法) e-commerce index.
index = dz.entropy_index(full.data[full.data["year"] == 2019],
                         ["ecom", "imports", "exports"])
print(index.weights.round(3))
