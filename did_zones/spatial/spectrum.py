"""What the spatial likelihood needs from a weight matrix ``W``, computed once.

:class:`Spectrum` holds the eigenvalues of ``W`` (for ``log|I − ρW|`` and the admissible
interval of ``ρ``) or, for large sparse matrices, a sparse LU factorisation per evaluation,
and the dense inverse ``(I − ρW)⁻¹`` at the estimate for the traces of the information
matrix and the LeSage–Pace effects.

Why not ``spreg``'s or ``libpysal``'s routines: the panel likelihood evaluates
``log|I − ρW|`` at many ``ρ`` for one ``W``; eigenvalues computed once make every
evaluation ``O(n)``, and the same eigen-decomposition gives the simulated effects in
``O(n)`` per draw. ``spreg`` recomputes per call and does not expose the decomposition.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import splu

__all__ = ["Spectrum", "DENSE_LIMIT", "spectrum_of"]

#: above this many units the log-determinant uses a sparse LU per evaluation
#: (when W is sparse) instead of eigenvalues
DENSE_LIMIT = 1500


@dataclass(eq=False)
class Spectrum:
    """Eigen information of one weight matrix ``W`` (dense, ``n × n``).

    Parameters
    ----------
    matrix : numpy.ndarray
        ``W``.
    logdet : {"auto", "eigen", "lu"}
        ``"eigen"``: eigenvalues once, then ``Σ log|1 − ρω|``; ``"lu"``: sparse LU of
        ``I − ρW`` at each evaluation; ``"auto"``: eigen up to :data:`DENSE_LIMIT` units
        or when ``W`` is dense, LU above.
    """

    matrix: np.ndarray
    logdet: str = "auto"
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return int(self.matrix.shape[0])

    @cached_property
    def sparse(self) -> sparse.csr_matrix:
        return sparse.csr_matrix(self.matrix)

    @cached_property
    def method(self) -> str:
        if self.logdet != "auto":
            return self.logdet
        density = self.sparse.nnz / max(self.n * self.n, 1)
        return "lu" if self.n > DENSE_LIMIT and density < 0.05 else "eigen"

    @cached_property
    def similar(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(S, s)`` with ``S = diag(s) W diag(s)⁻¹`` symmetric, when ``W = D⁻¹C`` with
        ``C`` symmetric (a row-standardised symmetric matrix: ``s = √d``) or ``W`` is
        symmetric (``s = 1``); else None."""
        w = self.matrix
        if np.allclose(w, w.T, rtol=0, atol=1e-14):
            return w, np.ones(self.n)
        sums = w.sum(axis=1)
        for d in ((w > 0).sum(axis=1).astype(float), 1.0 / np.where(sums > 0, sums, 1.0)):
            c = d[:, None] * w
            if (d > 0).all() and np.allclose(c, c.T, rtol=1e-10, atol=1e-14):
                s = np.sqrt(d)
                sym = s[:, None] * w / s[None, :]
                return (sym + sym.T) / 2, s
        return None

    @cached_property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of ``W`` (real when ``W`` is similar to a symmetric matrix)."""
        if self.similar is not None:
            return np.linalg.eigvalsh(self.similar[0])
        values = np.linalg.eigvals(self.matrix)
        return values.real if np.abs(values.imag).max(initial=0) < 1e-10 else values

    @cached_property
    def decomposition(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(ω, p, q)`` with ``W = V diag(ω) V⁻¹``, ``p = 1'V``, ``q = V⁻¹1``, so that
        ``1'(I − ρW)⁻¹W^j 1 = Σ p_i q_i ω_i^j / (1 − ρω_i)``."""
        ones = np.ones(self.n)
        if self.similar is not None:
            sym, s = self.similar
            omega, u = np.linalg.eigh(sym)  # W = diag(s)⁻¹ U Ω U' diag(s)
            return omega, (ones / s) @ u, u.T @ s
        omega, v = np.linalg.eig(self.matrix)
        return omega, ones @ v, np.linalg.solve(v, ones)

    @cached_property
    def interval(self) -> tuple[float, float]:
        """Admissible ``ρ``: ``(1/ω_min, 1/ω_max)`` over the real eigenvalues."""
        if self.method == "lu" and "eigenvalues" not in self.__dict__:
            from scipy.sparse.linalg import eigs

            w = self.sparse.astype(float)
            big = eigs(w, k=1, which="LR", return_eigenvectors=False, tol=1e-8).real[0]
            small = eigs(w, k=1, which="SR", return_eigenvectors=False, tol=1e-8).real[0]
        else:
            ev = self.eigenvalues
            real = ev.real[np.abs(ev.imag) < 1e-10] if np.iscomplexobj(ev) else ev
            big, small = float(real.max()), float(real.min())
        lo = 1.0 / small if small < 0 else -np.inf
        hi = 1.0 / big if big > 0 else np.inf
        return float(lo), float(hi)

    def log_det(self, rho: float) -> float:
        """``log|I − ρW|``."""
        if self.method == "lu":
            lu = splu((sparse.identity(self.n, format="csc") - rho * self.sparse).tocsc())
            return float(np.log(np.abs(lu.U.diagonal())).sum())
        return float(np.log(np.abs(1.0 - rho * self.eigenvalues)).sum())

    def inverse(self, rho: float) -> np.ndarray:
        """Dense ``(I − ρW)⁻¹`` (cached per ``ρ``)."""
        key = ("inv", float(rho))
        if key not in self._cache:
            self._cache.clear()
            self._cache[key] = np.linalg.solve(np.eye(self.n) - rho * self.matrix,
                                               np.eye(self.n))
        return self._cache[key]

    def lag(self, values: np.ndarray) -> np.ndarray:
        """``W`` applied to the last axis of ``values`` (``(..., n)``): per period."""
        return np.asarray(self.sparse @ values.reshape(-1, self.n).T).T.reshape(values.shape)


_SPECTRA: dict[tuple[str, str], Spectrum] = {}
_KEEP = 4  # matrices whose eigenvalues are kept between calls


def spectrum_of(matrix: np.ndarray, logdet: str = "auto") -> Spectrum:
    """The :class:`Spectrum` of ``matrix``, reused while the same matrix comes back
    (simulations, robustness loops and benchmarks refit with one ``W``: the eigenvalues
    are computed once). Keyed by a hash of the matrix's bytes."""
    m = np.ascontiguousarray(matrix, dtype=float)
    key = (hashlib.blake2b(m.tobytes(), digest_size=16).hexdigest()
           + str(m.shape), logdet)
    if key not in _SPECTRA:
        if len(_SPECTRA) >= _KEEP:
            _SPECTRA.pop(next(iter(_SPECTRA)))
        _SPECTRA[key] = Spectrum(m, logdet=logdet)
    return _SPECTRA[key]
