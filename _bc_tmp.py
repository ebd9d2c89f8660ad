import numpy as np, pandas as pd
from did_zones.spatial import likelihood as lk
from did_zones.spatial.spectrum import Spectrum
from did_zones.spatial.models import _estimate
rng = np.random.default_rng(5)
n, t = 25, 5
w = np.zeros((n, n)); i = np.arange(n)
w[i, (i+1)%n] = w[i, (i-1)%n] = 1; w[i, (i+3)%n] = 1; w[(i+3)%n, i] = 1
w = w / w.sum(1, keepdims=True)
sp = Spectrum(w)
A = np.linalg.inv(np.eye(n) - 0.4*w)
out = {True: [], False: []}
for r in range(300):
    x = rng.normal(size=(t, n)) + rng.normal(size=n)
    y = (A @ (x + rng.normal(size=n)[:, None].T.T.reshape(n,1).T.reshape(n)*0 + rng.normal(size=(t, n)) + rng.normal(size=n) + rng.normal(size=(t,1)) ).T).T
    data = np.stack([y, x], axis=2)
    for bc in (True, False):
        f = _estimate(data, ["x"], sp, "sar", True, True, bc, "delta", 10, None)
        out[bc].append([f["estimate"][0], f["estimate"][1], f["sigma2"]])
for bc in out:
    print(bc, np.mean(out[bc], axis=0), np.std(out[bc], axis=0)/np.sqrt(300))
