"""R's default normal generator (Mersenne-Twister + inversion) for HonestDiD-identical draws.

HonestDiD simulates two critical values with ``set.seed(0)``: the folded-normal quantile of
the FLCI (``rnorm(1e6)``) and the least-favourable critical value of the hybrid test
(``mvtnorm::rmvnorm(1000, sigma)``, eigen square root). Reproducing R's stream bit for bit
makes those numbers identical; numpy's own seeding of MT19937 differs from R's, so the state
is built here with R's scrambling (``RNG_Init``: 50 LCG steps, then 625 words, position 624)
and normals use R's inversion with 2^27 + 1 precision bits.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import ndtri

__all__ = ["r_rnorm", "r_rmvnorm"]

_BIG = 134217728.0  # 2**27, R's norm_rand INVERSION
_I2_32M1 = 2.328306437080797e-10


@lru_cache(maxsize=4)
def _r_rnorm_cached(n: int, seed: int) -> np.ndarray:
    s = seed & 0xFFFFFFFF
    for _ in range(50):
        s = (69069 * s + 1) & 0xFFFFFFFF
    words = np.empty(625, dtype=np.uint32)
    for j in range(625):
        s = (69069 * s + 1) & 0xFFFFFFFF
        words[j] = s
    bg = np.random.MT19937()
    bg.state = {"bit_generator": "MT19937", "state": {"key": words[1:], "pos": 624}}
    u = bg.random_raw(2 * n).astype(np.float64) * 2.3283064365386963e-10
    u = np.where(u <= 0.0, 0.5 * _I2_32M1, np.where(1.0 - u <= 0.0, 1.0 - 0.5 * _I2_32M1, u))
    v = np.floor(_BIG * u[0::2]) + u[1::2]
    out = ndtri(v / _BIG)
    out.setflags(write=False)
    return out


def r_rnorm(n: int, seed: int = 0) -> np.ndarray:
    """``set.seed(seed); rnorm(n)`` of R (default RNG kinds)."""
    return _r_rnorm_cached(int(n), int(seed))


def r_rmvnorm(n: int, sigma: np.ndarray, seed: int = 0) -> np.ndarray:
    """``set.seed(seed); mvtnorm::rmvnorm(n, sigma = sigma)`` (method "eigen")."""
    sigma = np.asarray(sigma, dtype=float)
    p = sigma.shape[0]
    vals, vecs = np.linalg.eigh(sigma)
    root = (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T
    return r_rnorm(n * p, seed).reshape(n, p) @ root
