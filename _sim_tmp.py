import numpy as np, pandas as pd, time, warnings
import did_zones as dz
from did_zones.spatial.spectrum import Spectrum

def knn_w(n, k, rng):
    xy = rng.uniform(size=(n, 2))
    d = ((xy[:, None, :] - xy[None, :, :])**2).sum(-1); np.fill_diagonal(d, np.inf)
    idx = np.argsort(d, axis=1)[:, :k]
    w = np.zeros((n, n)); w[np.repeat(np.arange(n), k), idx.ravel()] = 1.0 / k
    return w

def sim(n, t, rho, beta, theta, rng, w):
    cohort = rng.choice([4, 6, 8, np.inf], size=n)
    d = (np.arange(t)[:, None] >= cohort[None, :]).astype(float)  # (T, n)
    alpha = rng.normal(size=n); mu = rng.normal(size=t)
    a = np.linalg.inv(np.eye(n) - rho * w)
    y = np.empty((t, n))
    for s in range(t):
        y[s] = a @ (beta * d[s] + theta * w @ d[s] + alpha + mu[s] + rng.normal(size=n))
    df = pd.DataFrame({"unit": np.tile(np.arange(n), t), "year": np.repeat(np.arange(t), n), "y": y.ravel()})
    coh = {u: int(c) for u, c in enumerate(cohort) if np.isfinite(c)}
    return dz.build_panel(df, unit="unit", time="year", cohort=coh)

rng = np.random.default_rng(0)
n, t = 300, 10
w = knn_w(n, 6, rng)
rho, beta, theta = 0.3, 1.0, 0.5
A = np.linalg.inv(np.eye(n) - rho*w); S = A @ (beta*np.eye(n) + theta*w)
tdir = np.trace(S)/n; ttot = S.sum()/n
print("truth", tdir, ttot - tdir, ttot)
W = pd.DataFrame(w)
t0 = time.time()
p = sim(n, t, rho, beta, theta, rng, w)
r = dz.spatial_did(p, "y", W)
print(time.time() - t0)
print(r.tidy()[["term","estimate","std_error"]].to_string())
t0 = time.time()
r2 = dz.spatial_did(p, "y", W, effects_se="simulation", n_sim=2000, seed=1)
print(time.time() - t0)
print(pd.DataFrame({"delta": r.std_error, "sim": r2.std_error}).to_string())
print(r.extra["lm_tests"]); print(r.extra["moran"].tail(2))
