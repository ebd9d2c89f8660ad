"""Spatial weight matrices: one checked object, aligned to a panel's units.

:class:`SpatialWeights` is what every spatial tool of did_zones takes (the spatial panel
models, spatial DiD, the ring spillover estimator): a square matrix ``W`` whose rows and
columns are labelled by unit ids, with a zero diagonal and non-negative weights, and a note
of how it was built. Builders (inverse distance, k nearest neighbours, distance bands,
economic distance, adjacency) live in :mod:`did_zones.spatial.builders`; a user's own
matrix arrives through :meth:`SpatialWeights.from_frame` or :func:`as_weights`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecificationError
from ..validation import examples

__all__ = ["SpatialWeights", "as_weights"]


@dataclass(frozen=True, eq=False)
class SpatialWeights:
    """A checked spatial weight matrix with labelled rows and columns (immutable).

    Build one with a builder (:func:`~did_zones.spatial.inverse_distance`,
    :func:`~did_zones.spatial.knn`, ...) or :meth:`from_frame`; do not call the constructor
    with unchecked arrays.

    Attributes
    ----------
    ids : pandas.Index
        Unit ids, in the order of the rows and columns of :attr:`matrix` (unique).
    matrix : numpy.ndarray
        ``(n, n)`` float weights, read-only: finite, non-negative, zero diagonal.
    kind : str
        How it was built, e.g. ``"inverse_distance"``, ``"knn"``, ``"user"``.
    row_standardized : bool
        True when every non-empty row sums to one.
    params : dict
        The builder's parameters (power, cut-off, k, ...), for reports and provenance.
    notes : tuple of str
        What happened while building (isolated units, a cut-off that left rows empty, ...).
    """

    ids: pd.Index
    matrix: np.ndarray
    kind: str = "user"
    row_standardized: bool = False
    params: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        m = np.array(self.matrix, dtype=float)
        m.setflags(write=False)
        object.__setattr__(self, "matrix", m)
        object.__setattr__(self, "ids", pd.Index(self.ids))
        _check(self.ids, m)

    # ------------------------------------------------------------------ sizes
    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.ids.size)

    @property
    def isolates(self) -> pd.Index:
        """Ids of units without neighbours (an all-zero row)."""
        return self.ids[~(self.matrix > 0).any(axis=1)]

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, kind: str = "user") -> SpatialWeights:
        """A weight matrix from a square DataFrame labelled by unit ids on both axes.

        Parameters
        ----------
        frame : pandas.DataFrame
            ``frame.loc[i, j]`` is the weight of unit ``j`` in unit ``i``'s neighbourhood;
            the columns must hold the same ids as the index (any order: they are aligned).
        kind : str
            Label of the matrix, default ``"user"``.

        Returns
        -------
        SpatialWeights
            As given (not row-standardised; see :meth:`row_standardize`).

        Raises
        ------
        SpecificationError
            Not square, ids that differ between the axes or repeat, missing, negative or
            non-finite weights, a non-zero diagonal.
        """
        if not isinstance(frame, pd.DataFrame):
            raise SpecificationError(
                f"weights must be a SpatialWeights or a square DataFrame labelled by unit ids; "
                f"got {type(frame).__name__}.")
        if frame.shape[0] != frame.shape[1]:
            raise SpecificationError(
                f"The weight matrix must be square; got {frame.shape[0]} rows and "
                f"{frame.shape[1]} columns.")
        rows, cols = pd.Index(frame.index), pd.Index(frame.columns)
        if rows.has_duplicates:
            raise SpecificationError(
                f"The weight matrix repeats {int(rows.duplicated().sum())} row id(s), e.g. "
                f"{examples(rows[rows.duplicated()])}; give each unit one row and column.")
        if not cols.equals(rows):
            if set(cols) != set(rows):
                missing = rows.difference(cols)
                extra = cols.difference(rows)
                raise SpecificationError(
                    "The weight matrix's columns must hold the ids of its rows: "
                    f"{len(missing)} row id(s) have no column (e.g. {examples(missing)}), "
                    f"{len(extra)} column(s) no row (e.g. {examples(extra)}). Label both axes "
                    "by the same unit ids (e.g. city codes of the same type).")
            frame = frame.loc[:, rows]
        values = frame.to_numpy(dtype=float, na_value=np.nan)
        sums = values.sum(axis=1)
        standardized = bool(np.allclose(sums[sums > 0], 1.0, atol=1e-12))
        return cls(ids=rows, matrix=values, kind=kind, row_standardized=standardized)

    # ------------------------------------------------------------- new objects
    def row_standardize(self) -> SpatialWeights:
        """Rows divided by their sums (rows of isolated units stay zero)."""
        sums = self.matrix.sum(axis=1, keepdims=True)
        m = np.divide(self.matrix, sums, out=np.zeros_like(self.matrix), where=sums > 0)
        return replace(self, matrix=m, row_standardized=True)

    def subset(self, ids: Any, *, restandardize: bool | None = None) -> SpatialWeights:
        """The matrix among ``ids`` only, in that order.

        Parameters
        ----------
        ids : array-like
            Unit ids, all in :attr:`ids`.
        restandardize : bool, optional
            Row-standardise again after dropping units (default: when this matrix is
            row-standardised, so its rows keep summing to one).

        Raises
        ------
        SpecificationError
            Ids that are not in the matrix (counted, with examples).
        """
        ids = pd.Index(ids)
        missing = ids.difference(self.ids)
        if len(missing):
            raise SpecificationError(
                f"{len(missing)} unit(s) are not in the weight matrix, e.g. "
                f"{examples(missing)}. Build the matrix over these units (or drop them from "
                "the panel).")
        pos = self.ids.get_indexer(ids)
        out = replace(self, ids=ids, matrix=self.matrix[np.ix_(pos, pos)])
        if restandardize is None:
            restandardize = self.row_standardized
        return out.row_standardize() if restandardize else out

    def align(self, panel: Any) -> SpatialWeights:
        """The matrix in the order of ``panel.units`` (a :class:`~did_zones.Panel`).

        Units of the matrix outside the panel are dropped (and a row-standardised matrix
        standardised again, noted); every panel unit must be in the matrix.

        Raises
        ------
        SpecificationError
            Panel units missing from the matrix (counted, with examples and the fix).
        """
        units = pd.Index(panel.units)
        out = self.subset(units)
        dropped = self.n - units.size
        if dropped:
            note = (f"The weight matrix was restricted to the panel's {units.size} units "
                    f"({dropped} dropped)" + (", rows standardised again." if
                                                 self.row_standardized else "."))
            out = replace(out, notes=out.notes + (note,))
        return out

    # ---------------------------------------------------------------- libpysal
    def to_libpysal(self) -> Any:
        """The matrix as a :class:`libpysal.weights.W` (ids in :attr:`ids` order).

        libpysal is imported only here (it pulls geopandas, shapely and pyproj; about
        1.5 s); install it with ``pip install libpysal`` (it is in did_zones' test extra).

        Returns
        -------
        libpysal.weights.W
            Same weights, ``id_order`` equal to :attr:`ids`; isolates keep an empty
            neighbour list.

        Raises
        ------
        ImportError
            libpysal is not installed (the message says how to install it).
        """
        weights_mod = _libpysal_weights()
        ids = self.ids.tolist()
        rows, cols = np.nonzero(self.matrix)
        neighbors: dict = {i: [] for i in ids}
        values: dict = {i: [] for i in ids}
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            neighbors[ids[r]].append(ids[c])
            values[ids[r]].append(float(self.matrix[r, c]))
        return weights_mod.W(neighbors, values, id_order=ids, silence_warnings=True)

    @classmethod
    def from_libpysal(cls, w: Any, *, kind: str = "libpysal") -> SpatialWeights:
        """A :class:`SpatialWeights` from a :class:`libpysal.weights.W`.

        Parameters
        ----------
        w : libpysal.weights.W
            Any libpysal weights object (its current ``transform`` is kept).
        kind : str
            Label of the result, default ``"libpysal"``.

        Returns
        -------
        SpatialWeights
            Rows and columns in ``w.id_order``.

        Raises
        ------
        SpecificationError
            ``w`` is not a libpysal weights object.
        """
        if not (hasattr(w, "sparse") and hasattr(w, "id_order")):
            raise SpecificationError(
                f"from_libpysal needs a libpysal.weights.W; got {type(w).__name__}.")
        m = np.asarray(w.sparse.toarray(), dtype=float)
        ids = pd.Index(list(w.id_order))
        sums = m.sum(axis=1)
        standardized = bool(np.allclose(sums[sums > 0], 1.0, atol=1e-12))
        return cls(ids=ids, matrix=m, kind=kind, row_standardized=standardized,
                   params={"transform": getattr(w, "transform", None)})

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a square DataFrame labelled by :attr:`ids`."""
        return pd.DataFrame(self.matrix, index=self.ids, columns=self.ids)

    def lag(self, values: Any) -> np.ndarray:
        """Spatial lag ``W x`` of per-unit values (vector or ``(n, k)`` array)."""
        x = np.asarray(values, dtype=float)
        if x.shape[0] != self.n:
            raise SpecificationError(
                f"lag needs one value per unit of the matrix ({self.n}); got {x.shape[0]}.")
        return self.matrix @ x

    def __repr__(self) -> str:
        nz = int((self.matrix > 0).sum())
        std = ", row-standardised" if self.row_standardized else ""
        return (f"SpatialWeights({self.kind}, {self.n} units, {nz} links, "
                f"{nz / max(self.n, 1):.1f} per unit{std})")


def as_weights(weights: Any, panel: Any | None = None) -> SpatialWeights:
    """A :class:`SpatialWeights` from what a user passes, aligned to ``panel`` if given.

    Parameters
    ----------
    weights : SpatialWeights or pandas.DataFrame
        The matrix, or a square DataFrame labelled by unit ids on both axes.
    panel : Panel, optional
        When given, the result is :meth:`SpatialWeights.align`-ed to its units.

    Returns
    -------
    SpatialWeights
    """
    if not isinstance(weights, SpatialWeights):
        weights = SpatialWeights.from_frame(weights)
    return weights if panel is None else weights.align(panel)


def _check(ids: pd.Index, m: np.ndarray) -> None:
    n = ids.size
    if m.shape != (n, n):
        raise SpecificationError(
            f"The weight matrix must be {n} x {n} (one row and column per id); got shape "
            f"{m.shape}.")
    if ids.has_duplicates:
        raise SpecificationError(
            f"The weight matrix repeats {int(ids.duplicated().sum())} id(s), e.g. "
            f"{examples(ids[ids.duplicated()])}.")
    bad = ~np.isfinite(m)
    if bad.any():
        rows = ids[bad.any(axis=1)]
        raise SpecificationError(
            f"The weight matrix has {int(bad.sum())} missing or infinite weight(s) in "
            f"{rows.size} row(s), e.g. {examples(rows)}. Fill absent links with 0.")
    neg = m < 0
    if neg.any():
        rows = ids[neg.any(axis=1)]
        raise SpecificationError(
            f"The weight matrix has {int(neg.sum())} negative weight(s) in {rows.size} "
            f"row(s), e.g. {examples(rows)}. Spatial weights are non-negative.")
    diag = np.diag(m) != 0
    if diag.any():
        raise SpecificationError(
            f"The weight matrix has {int(diag.sum())} non-zero diagonal element(s), e.g. for "
            f"{examples(ids[diag])}. A unit is not its own neighbour: set the diagonal to 0.")


def _libpysal_weights() -> Any:
    """``libpysal.weights``, imported lazily with an install hint."""
    try:
        from libpysal import weights as weights_mod
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "libpysal is needed to convert weights to or from libpysal: pip install libpysal "
            "(or pip install 'did_zones[test]').") from exc
    return weights_mod
