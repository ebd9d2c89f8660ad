"""Wild cluster bootstrap of estimators that are linear in the outcome (did2s, imputation).

:mod:`.wild_bootstrap` reduces every draw of a regression to the sums ``a``, ``d`` and
``C`` of its module notes. The imputation estimators are not one regression, but the
same reduction holds for any estimate ``β = ℓ'y`` whose variance is ``Σ_c s_c(y)²``
with cluster scores ``s_c`` linear in ``y`` (Gardner's GMM variance of did2s; the
variance of Borusyak, Jaravel & Spiess with its τ̃ cohort × period averages, which are
themselves linear in ``y``). With the bootstrap outcome ``y* = ŷ_R + v ∘ û_R``
(``v`` constant within clusters), ``ℓ'ŷ_R`` the centre and ``s(ŷ_R) = 0``:

- ``β* − centre = Σ_g v_g a_g`` with ``a_g = ℓ'(û_R ∘ 1_g)``;
- ``s*_h = Σ_g C_hg v_g`` with ``C_hg = s_h(û_R ∘ 1_g)``.

So :class:`~._wild_core.Stats` with ``D = 1``, ``d = 0`` and factor 1 (neither
estimator has a small-sample factor) carries them, and the draws, the p-value and the
test inversion of :mod:`.wild_bootstrap` apply unchanged. ``a`` and ``C`` come from the
estimator's own linear maps (:meth:`~did_zones.estimators._imputation_core.LinearTerm.apply`:
first stage by the exact absorber solve, then the term's weighted mean and scores)
applied to the ``2G`` sparse columns ``û ∘ 1_g`` in blocks, in parameter space (the
first stage's effects are solved for, never evaluated on the ``n × G`` rows): no dummy
matrix, no loop over rows.

The bootstrap model (:attr:`LinearTerm.fitted`): ``Ŷ(0)`` (first stage on untreated
rows) plus, on the term's treated rows ``T``, the treatment effect of the estimator's
variance model (did2s: the term's coefficient; imputation: the ω-weighted mean ``τ̂`` of
the cohort × period cell). WCR under ``β = θ`` shifts the effects on ``T`` by
``θ − β̂`` (the estimator applied to ``y − θ·1_T`` with the term's effect fixed at
zero), so ``û_R(θ) = û + (β̂ − θ)·1_T`` is linear in ``θ``; WCU resamples ``û`` and
centres on ``β̂``.

Lead terms of BJS imputation (``"pre(e=k)"``, Test 1) are coefficients of an ordinary
regression on the untreated rows with CRV1 variance: :data:`LEAD_DESIGNS` rebuilds it and
:mod:`.wild_bootstrap` bootstraps it as a regression (one lead or a joint test).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from ..errors import SpecificationError
from ._wild_core import TIE_RTOL, Stats, draw_blocks, quadratic_forms

__all__ = ["LINEAR_TERMS", "LEAD_DESIGNS", "is_lead", "lead_rows", "linear_term",
           "linear_terms", "linear_stats", "linear_wald"]

_CELLS = 20_000_000  # first-stage levels × columns of û ∘ 1_g solved at once


def _did2s(result, panel, terms, cluster):
    from ..estimators.did2s import did2s_terms

    return did2s_terms(result, panel, terms, cluster)


def _imputation(result, panel, terms, cluster):
    from ..estimators.imputation import imputation_terms

    return imputation_terms(result, panel, terms, cluster)


def _imputation_leads(result, panel, cluster):
    from ..estimators.imputation import pretrend_design

    return pretrend_design(result, panel, cluster)


# estimators whose terms are linear maps of the outcome (no regression to rebuild)
LINEAR_TERMS = {"did2s": _did2s, "imputation": _imputation}
# ... and the regression behind their lead terms, where they have one (BJS Test 1: the
# leads fitted on the untreated rows), bootstrapped as a regression
LEAD_DESIGNS = {"imputation": _imputation_leads}


def is_lead(result, term: str) -> bool:
    """``term`` is a coefficient of the result's lead regression (LEAD_DESIGNS)."""
    return (result.method in LEAD_DESIGNS and "kind" in result.keys
            and result.keys["kind"].get(term) == "pretrend")


def lead_rows(result) -> int:
    """Rows of the lead regression as the result fitted it."""
    return int(result.extra["pretrend_test"].details["n_obs"])


def linear_terms(result, panel, terms, cl_spec: tuple[str, ...]) -> list:
    """The :class:`LinearTerm` of every term (one first stage, drops already reported)."""
    if len(cl_spec) != 1:
        raise SpecificationError(
            f"The {result.method} variance takes one cluster variable; got {cl_spec!r}. "
            "Pass one column, e.g. cluster='province'."
        )
    with warnings.catch_warnings():  # the real fit has already reported every drop
        warnings.simplefilter("ignore")
        return LINEAR_TERMS[result.method](result, panel, list(terms), cl_spec[0])


def linear_term(result, panel, term: str, cl_spec: tuple[str, ...]):
    """The :class:`LinearTerm` of one term."""
    return linear_terms(result, panel, [term], cl_spec)[0]


def linear_stats(lt, impose_null: bool) -> Stats:
    """The sums of :mod:`._wild_core` for a :class:`LinearTerm` (module notes)."""
    G = lt.n_clusters
    beta_, s = lt.apply(lt.y[:, None])
    beta = float(beta_[0])
    se = float(np.sqrt(np.sum(s**2)))
    u = lt.y - lt.fitted
    if impose_null:  # û_R(θ) = (û + β̂·1_T) − θ·1_T
        u0, u1 = u + beta * lt.x, lt.x
    else:
        u0, u1 = u, None
    a0, C0 = _columns(lt, u0)
    if u1 is None:
        a1, C1 = np.zeros(G), np.zeros((G, G))
    else:
        a1, C1 = _columns(lt, u1)
    return Stats(beta, se, 1.0, np.zeros(G), a0, a1, C0, C1, 1.0, bool(impose_null),
                 ((1.0, sparse.identity(G, format="csr")),))


def _columns(lt, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a_g = ℓ'(u ∘ 1_g)`` (G,) and ``C_hg = s_h(u ∘ 1_g)`` (G × G): the sparse
    columns ``u ∘ 1_g`` through the estimator's maps, in blocks whose first-stage effects
    (levels × block) stay below :data:`_CELLS` entries."""
    cl, G = lt.cluster, lt.n_clusters
    n = cl.size
    a = np.empty(G)
    C = np.empty((G, G))
    rows = np.arange(n)
    step = max(1, _CELLS // max(lt.n_levels, G, 1))
    for lo in range(0, G, step):
        hi = min(G, lo + step)
        inside = (cl >= lo) & (cl < hi)
        U = sparse.csc_matrix((u[inside], (rows[inside], cl[inside] - lo)),
                              shape=(n, hi - lo))
        a[lo:hi], C[:, lo:hi] = lt.apply(U)
    return a, C


def linear_wald(lts: list, impose_null: bool, null: np.ndarray, kind: str, n_boot: int,
                enumerate_: bool, seq) -> tuple[float, float, float, int]:
    """``(F, p, p_strict, draws used)`` of the joint test ``β_k = null_k`` of several
    terms with disjoint treated rows (:mod:`._wild_wald`'s algebra with ``D = I``).

    The bootstrap model is the union of the terms' models (each term's maps read only the
    untreated rows and its own treated rows); WCR shifts every term's effects to its
    null. A draw's deviation is ``δ* = Σ_g v_g a_g`` (``q``-vectors), its scores
    ``S*_h = Σ_g v_g C_hg`` and its Wald statistic ``δ*'(S*'S*)⁻¹δ*`` (the estimators'
    own joint variance, no small-sample factor).
    """
    y = lts[0].y
    fitted = lts[0].fitted.copy()  # treated rows of no term keep y: no term reads them
    for lt in lts[1:]:
        on = lt.x > 0
        fitted[on] = lt.fitted[on]
    u = y - fitted
    beta = np.empty(len(lts))
    S = np.empty((lts[0].n_clusters, len(lts)))
    for k, lt in enumerate(lts):
        b, s = lt.apply(y[:, None])
        beta[k], S[:, k] = b[0], s[:, 0]
    if impose_null:
        u = u + sum((beta[k] - null[k]) * lt.x for k, lt in enumerate(lts))
    G, q = lts[0].n_clusters, len(lts)
    A = np.empty((G, q))
    C = np.empty((G, G, q))
    for k, lt in enumerate(lts):
        A[:, k], C[:, :, k] = _columns(lt, u)

    def wald(delta: np.ndarray, scores: np.ndarray) -> np.ndarray:
        V = np.einsum("bhk,bhl->bkl", scores, scores)
        return quadratic_forms(V, delta)

    W = float(wald((beta - null)[None, :], S[None])[0])
    Wb = np.concatenate([wald(V @ A, np.einsum("bg,hgk->bhk", V, C))
                         for _lo, _hi, V in draw_blocks(kind, n_boot, enumerate_, seq, G)])
    p = float(np.mean(Wb >= W * (1 - TIE_RTOL)))
    p_strict = float(np.mean(Wb > W * (1 + TIE_RTOL)))
    return W / q, p, p_strict, int(Wb.size)
