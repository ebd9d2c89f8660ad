"""Reference values for did_zones.robustness.power on the He & Wang (2017) event study.

Inputs: the event-study coefficients and covariance matrix that the R package ``pretrends``
ships as ``HeAndWangResults`` (README example). The .rda file is binary; the same numbers are
published as CSV in the author's Shiny app repository jonathandroth/PretrendsPower
(``example_beta.csv``, ``example_sigma.csv``, ordered t = -4, -3, -2, 0, 1, 2, 3, -1 with the
reference row/column zero). They are copied below.

Outputs (written next to this folder):

* ``pretrends_hewang_inputs.csv``  t, beta, and the 7×7 covariance (columns s_-4 ... s_3);
* ``pretrends_hewang_readme.csv``  the numbers printed in the pretrends README (R, by hand);
* ``pretrends_hewang_quadrature.csv``  the same quantities computed here independently of
  did_zones by nested adaptive Gauss-Kronrod quadrature (scipy.integrate.quad, 1e-13
  tolerances) of the trivariate normal density over the "no significant lead" box, slopes
  by Brent's method on that quadrature (xtol 1e-15), post-period conditional means by the
  regression formula E[b_post | pass] = d_post + S_post,pre S_pre^-1 (E[b_pre | pass] - d_pre)
  (pretrends' meanBetaPost_NIS), not the Tallis formula did_zones uses.

Run from the repository root: ``python tests/reference/generate/pretrends_hewang.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import integrate, optimize, stats

OUT = Path(__file__).resolve().parents[1]
T = np.array([-4, -3, -2, 0, 1, 2, 3])
BETA = np.array([-0.089428663, -0.08939153, -0.06860359, 0.093080245, 0.187747315,
                 0.180679962, 0.097278193])
SIGMA = np.array([
    [0.0149547979235649, 0.00814208388328552, 0.0047602360136807, 0.00264218007214367,
     0.00321049452759326, 0.00244478415697813, 0.00155121809802949],
    [0.00814208388328552, 0.0103735625743866, 0.00499750673770905, 0.00314226211048663,
     0.00363793992437422, 0.00321422982960939, 0.00211047730408609],
    [0.0047602360136807, 0.00499750673770905, 0.00602407334372401, 0.00146472698543221,
     0.00213220552541316, 0.00191951938904822, 0.000647532287985086],
    [0.00264218007214367, 0.00314226211048663, 0.00146472698543221, 0.00561735080555081,
     0.00345605378970504, 0.00273053580895066, 0.00225659506395459],
    [0.00321049452759326, 0.00363793992437422, 0.00213220552541316, 0.00345605378970504,
     0.0103573063388467, 0.00627497583627701, 0.00503531005233526],
    [0.00244478415697813, 0.00321422982960939, 0.00191951938904822, 0.00273053580895066,
     0.00627497583627701, 0.011508721858263, 0.0115978047251701],
    [0.00155121809802949, 0.00211047730408609, 0.000647532287985086, 0.00225659506395459,
     0.00503531005233526, 0.0115978047251701, 0.024637384340167],
])
REF, C = -1, 1.96
PRE = np.arange(3)
POST = np.arange(3, 7)
EPS = {"epsabs": 1e-13, "epsrel": 1e-13, "limit": 200}

# numbers printed in the pretrends README (commit 0b92b34, He & Wang example)
README = {
    "slope50": 0.06991527, "power": 0.4997363, "bayes_factor": 0.5671215,
    "likelihood_ratio": 0.8589346,
    "se": [0.12228981, 0.10185069, 0.07761490, 0.07494899, 0.10177085, 0.10727871, 0.15696300],
    "delta": [-0.20974582, -0.13983055, -0.06991527, 0.06991527, 0.13983055, 0.20974582,
              0.27966110],
    "mean_after_pretest": [-0.12249504, -0.07515163, -0.03060731, 0.09017188, 0.16447429,
                           0.22994584, 0.29190725],
}


def box_moments(mu):
    """P(pass) and E[X_k 1{pass}] for X ~ N(mu, S_pre), by nested quadrature."""
    S = SIGMA[np.ix_(PRE, PRE)]
    se = np.sqrt(np.diag(S))
    h = C * se

    def cond(i, given_idx, given_val):
        # mean and sd of X_i given X_given = given_val
        g = list(given_idx)
        Sgg = S[np.ix_(g, g)]
        w = np.linalg.solve(Sgg, S[g, i])
        m = mu[i] + w @ (np.asarray(given_val) - mu[g])
        v = S[i, i] - S[i, g] @ w
        return m, np.sqrt(v)

    def inner(x1, x2, power):
        m, s = cond(2, [0, 1], [x1, x2])
        a, b = (-h[2] - m) / s, (h[2] - m) / s
        p = stats.norm.cdf(b) - stats.norm.cdf(a)
        if power == 0:
            return p
        # E[X3 1{|X3|<h3} | x1, x2] = m p + s (phi(a) - phi(b))
        return m * p + s * (stats.norm.pdf(a) - stats.norm.pdf(b))

    def middle(x1, f):
        m, s = cond(1, [0], [x1])
        return integrate.quad(lambda x2: stats.norm.pdf(x2, m, s) * f(x1, x2),
                              -h[1], h[1], **EPS)[0]

    def outer(f):
        return integrate.quad(lambda x1: stats.norm.pdf(x1, mu[0], se[0]) * middle(x1, f),
                              -h[0], h[0], **EPS)[0]

    p = outer(lambda x1, x2: inner(x1, x2, 0))
    m1 = outer(lambda x1, x2: x1 * inner(x1, x2, 0))
    m2 = outer(lambda x1, x2: x2 * inner(x1, x2, 0))
    m3 = outer(lambda x1, x2: inner(x1, x2, 1))
    return p, np.array([m1, m2, m3])


def power_at(g):
    p, _ = box_moments(g * (T[PRE] - REF))
    return 1 - p


def hypothesis(name, g, p0):
    delta = g * (T - REF)
    p, m = box_moments(delta[PRE])
    mean_pre = m / p
    S = SIGMA
    mean_post = delta[POST] + S[np.ix_(POST, PRE)] @ np.linalg.solve(
        S[np.ix_(PRE, PRE)], mean_pre - delta[PRE])
    Sp = S[np.ix_(PRE, PRE)]
    lr = np.exp(stats.multivariate_normal(delta[PRE], Sp).logpdf(BETA[PRE])
                - stats.multivariate_normal(np.zeros(3), Sp).logpdf(BETA[PRE]))
    rows = [{"hypothesis": name, "quantity": q, "event_time": np.nan, "value": v}
            for q, v in (("slope", g), ("power", 1 - p), ("bayes_factor", p / p0),
                         ("likelihood_ratio", lr))]
    for t, v in zip(T, np.concatenate([mean_pre, mean_post]), strict=True):
        rows.append({"hypothesis": name, "quantity": "mean_after_pretest",
                     "event_time": t, "value": v})
    return rows


def main():
    inputs = pd.DataFrame({"t": T, "beta": BETA})
    for j, t in enumerate(T):
        inputs[f"s_{t}"] = SIGMA[:, j]
    inputs.to_csv(OUT / "pretrends_hewang_inputs.csv", index=False, float_format="%.17g")

    rows = [{"quantity": k, "event_time": np.nan, "value": v} for k, v in README.items()
            if not isinstance(v, list)]
    for k in ("se", "delta", "mean_after_pretest"):
        rows += [{"quantity": k, "event_time": t, "value": v}
                 for t, v in zip(T, README[k], strict=True)]
    pd.DataFrame(rows).to_csv(OUT / "pretrends_hewang_readme.csv", index=False)

    p0, _ = box_moments(np.zeros(3))
    rows = [{"hypothesis": "size", "quantity": "power", "event_time": np.nan,
             "value": 1 - p0}]
    for target in (0.5, 0.8):
        g = optimize.brentq(lambda g, target=target: power_at(g) - target, 0.0, 1.0,
                            xtol=1e-15, rtol=1e-15)
        rows += hypothesis(f"power {target:g}", g, p0)
    rows += hypothesis("slope", README["slope50"], p0)
    pd.DataFrame(rows).to_csv(OUT / "pretrends_hewang_quadrature.csv", index=False,
                              float_format="%.17g")


if __name__ == "__main__":
    main()
