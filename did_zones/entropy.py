"""The entropy-weight method (熵值法): a composite index of several indicators.

Chinese papers on the pilot zones measure internet / e-commerce development, digital economy
or consumption upgrading as a composite of several city indicators, weighted by the entropy
method. For indicators ``j = 1..m`` over rows ``i = 1..n`` (city-years, pooled or within a
year):

1. min-max normalisation, ``x'_ij = (x_ij - min_j) / (max_j - min_j)`` for a positive
   indicator and ``(max_j - x_ij) / (max_j - min_j)`` for a negative one;
2. proportions ``p_ij = z_ij / Σ_i z_ij`` with ``z_ij = x'_ij + shift`` (the usual small
   shift that keeps ``ln p`` finite; with ``shift=0``, ``0 · ln 0`` is taken as 0);
3. entropy ``e_j = -k Σ_i p_ij ln p_ij`` with ``k = 1 / ln n``, so ``0 <= e_j <= 1``;
4. redundancy (divergence) ``d_j = 1 - e_j``;
5. weights ``w_j = d_j / Σ_j d_j``;
6. index ``S_i = Σ_j w_j x'_ij`` in [0, 1].

The weights are data-driven: an indicator that varies more across rows (lower entropy) gets
more weight. They depend on the sample (pooled or by year), so state which.

This module is numerical: it returns numbers and notes; text and tables come from
:mod:`did_zones.tables`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from ._render import render
from .errors import DataDroppedWarning, SpecificationError, warn
from .validation import Real, as_tuple, check_choice, check_columns, examples

__all__ = ["entropy_index", "EntropyIndex", "DIRECTIONS"]

Direction = Literal["positive", "negative"]
DIRECTIONS: tuple[str, ...] = ("positive", "negative")
MISSING: tuple[str, ...] = ("raise", "drop")
NORMALIZE: tuple[str, ...] = ("minmax", "share")
_SHIFT = Real(0.0, 1.0, closed="left")


@dataclass(frozen=True, eq=False)
class EntropyIndex:
    """An entropy-weight composite index and its weights (immutable).

    Returned by :func:`did_zones.entropy_index`.

    Attributes
    ----------
    values : pandas.Series
        The index per row, in [0, 1], with the input's index (NaN in rows left out for
        missing indicators). Add it to a panel with
        ``panel.with_columns({name: res.values})`` when it was computed on ``panel.data``.
    weights : pandas.Series or pandas.DataFrame
        ``w_j`` per indicator (a Series indexed by indicator, summing to 1); with ``by``, a
        DataFrame with one row per group (index = group) and one column per indicator.
    entropy, redundancy : pandas.Series or pandas.DataFrame
        ``e_j`` and ``d_j = 1 - e_j``, shaped like ``weights``.
    normalized : pandas.DataFrame
        ``x'_ij`` (min-max normalised, negative indicators reversed), one column per
        indicator, the input's index.
    indicators : tuple of str
        Indicator columns, in order.
    directions : mapping
        ``indicator -> "positive" | "negative"``.
    shift : float
        The shift added to ``x'`` before the proportions.
    by : str or None
        Column whose groups got their own weights (None: pooled).
    name : str
        Name of the index (of ``values``).
    n_obs : int
        Rows that entered the computation.
    n_dropped : int
        Rows left out for missing indicators (``missing="drop"``).
    normalize : str
        ``"minmax"`` or ``"share"`` (see :func:`entropy_index`).
    notes : tuple of str
        What happened to the data (constant indicators, dropped rows).
    """

    values: pd.Series
    weights: pd.Series | pd.DataFrame
    entropy: pd.Series | pd.DataFrame
    redundancy: pd.Series | pd.DataFrame
    normalized: pd.DataFrame
    indicators: tuple[str, ...]
    directions: Mapping[str, str]
    shift: float
    by: str | None
    name: str
    n_obs: int
    n_dropped: int = 0
    normalize: str = "minmax"
    notes: tuple[str, ...] = field(default=())

    method: ClassVar[str] = "entropy_index"

    def tidy(self) -> pd.DataFrame:
        """One row per indicator (per group with ``by``): ``term`` (the indicator),
        ``estimate`` (its weight), ``entropy``, ``redundancy``, ``direction`` and, with
        ``by``, the group column. No variance columns: the weights are descriptive."""
        def frame(w, e, d, group=None):
            out = pd.DataFrame({"term": list(self.indicators),
                                "estimate": np.asarray(w, dtype=float),
                                "entropy": np.asarray(e, dtype=float),
                                "redundancy": np.asarray(d, dtype=float),
                                "direction": [self.directions[c] for c in self.indicators]})
            if group is not None:
                out.insert(0, self.by, group)
            return out

        if self.by is None:
            return frame(self.weights, self.entropy, self.redundancy)
        parts = [frame(self.weights.loc[g], self.entropy.loc[g], self.redundancy.loc[g], g)
                 for g in self.weights.index]
        return pd.concat(parts, ignore_index=True)

    def glance(self) -> pd.DataFrame:
        """One row: method, name, n_obs, n_indicators, n_groups, by, normalize, shift,
        n_dropped, notes (their count)."""
        n_groups = 1 if self.by is None else len(self.weights)
        return pd.DataFrame([{"method": self.method, "name": self.name, "n_obs": self.n_obs,
                              "n_indicators": len(self.indicators), "n_groups": n_groups,
                              "by": self.by or "", "normalize": self.normalize,
                              "shift": self.shift,
                              "n_dropped": self.n_dropped, "notes": len(self.notes)}])

    def summary(self) -> str:
        """Plain-text summary (rendered by :mod:`did_zones.tables`)."""
        return render(self, "summary")

    def to_table(self):
        """The weights as a :class:`did_zones.tables.Table`."""
        return render(self, "table")

    def __repr__(self) -> str:
        how = "pooled" if self.by is None else f"by {self.by!r}"
        return (f"EntropyIndex({self.name!r}: {len(self.indicators)} indicators, "
                f"{self.n_obs} rows, weights {how})")


def entropy_index(
    data,
    indicators: Sequence[str],
    *,
    directions: Mapping[str, str] | Sequence[str] | str | None = None,
    by: str | None = None,
    shift: float = 1e-4,
    missing: Literal["raise", "drop"] = "raise",
    normalize: Literal["minmax", "share"] = "minmax",
    name: str = "entropy_index",
) -> EntropyIndex:
    """Composite index of several indicators by the entropy-weight method (熵值法).

    Parameters
    ----------
    data : pandas.DataFrame or did_zones.Panel
        One row per city-year (a Panel's ``data`` is used; the result's ``values`` then
        follow the panel's rows). Not modified.
    indicators : sequence of str
        Numeric columns to combine (at least two).
    directions : mapping, sequence or str, optional
        ``"positive"`` (more is better: the default for every indicator) or ``"negative"``
        (reversed in the normalisation): one string for all, a sequence in the order of
        ``indicators``, or a mapping ``{indicator: direction}`` (unnamed ones positive).
    by : str, optional
        Column (e.g. ``"year"``) within whose groups normalisation, entropy and weights are
        computed separately (year-by-year weights). Default: pooled over all rows, which
        keeps the index comparable across years (the usual choice for a panel DiD).
    shift : float, default 1e-4
        Added to the normalised values before the proportions ``p_ij`` so that ``ln p`` is
        finite (the 0.0001 平移 of the literature). ``0`` uses the limit ``0 · ln 0 = 0``.
        The index itself is ``Σ w_j x'_ij`` on the unshifted ``x'``, so it lies in [0, 1].
    missing : {"raise", "drop"}, default "raise"
        Rows with a missing indicator: an error that counts them per indicator
        (``"raise"``), or left out of the computation with a NaN index, counted in a
        :class:`~did_zones.errors.DataDroppedWarning` and the notes (``"drop"``).
    normalize : {"minmax", "share"}, default "minmax"
        ``"minmax"``: the steps above, the form of the Chinese applied literature.
        ``"share"``: the classic decision-analysis form (Zeleny 1982; Xu 2004): proportions
        of the raw values, ``p_ij = x_ij / Σ_i x_ij`` (indicators must be >= 0, all positive
        in direction, no shift), and the index ``Σ_j w_j x_ij / max_i x_ij``.
    name : str, default "entropy_index"
        Name of the index.

    Returns
    -------
    EntropyIndex
        ``values`` (the index), ``weights``, ``entropy``, ``redundancy``, ``normalized``;
        ``tidy()`` gives the weights one row per indicator.

    Raises
    ------
    SpecificationError
        Missing or non-numeric columns, fewer than two indicators, an unknown direction,
        infinite values, missing values with ``missing="raise"`` (counted per indicator), a
        group with fewer than two rows, or every indicator constant (no weights exist).

    Warns
    -----
    DataDroppedWarning
        Rows left out for missing values (``missing="drop"``), and indicators constant over
        the sample (or within a group): their normalised value is set to 0 and their weight
        to 0 (``e_j = 1``, as for uniform proportions).

    Notes
    -----
    The index is invariant to positive rescaling of an indicator (a change of units) and,
    with ``by=None``, depends on every row of the sample: adding cities or years moves the
    weights. ``x'`` rests on the sample minimum and maximum, so one outlier compresses an
    indicator; winsorize first (:func:`did_zones.winsorize`) when the tails are wild.

    References
    ----------
    Xu, X. (2004). A note on the subjective and objective integrated approach to determine
    attribute weights. European Journal of Operational Research, 156(2), 530-532.
    Zou, Z., Yun, Y. and Sun, J. (2006). Entropy method for determination of weight of
    evaluating indicators in fuzzy synthetic evaluation for water quality assessment.
    Journal of Environmental Sciences, 18(5), 1020-1023.
    赵涛, 张智, 梁上坤 (2020). 数字经济、创业活跃度与高质量发展. 管理世界, 36(10).

    Examples
    --------
    >>> import pandas as pd
    >>> from did_zones import entropy_index
    >>> df = pd.DataFrame({"users": [1.0, 2.0, 3.0, 4.0], "ecom": [2.0, 2.0, 2.0, 10.0]})
    >>> res = entropy_index(df, ["users", "ecom"], shift=0)
    >>> res.weights.round(4).to_dict()
    {'users': 0.2129, 'ecom': 0.7871}
    >>> res.values.round(4).tolist()
    [0.0, 0.071, 0.1419, 1.0]
    """
    frame = _frame(data)
    cols = as_tuple(indicators)
    if len(cols) < 2:
        raise SpecificationError(
            f"entropy_index needs at least two indicators; got {list(cols)}. A single "
            "indicator needs no weights: use it (or its min-max normalisation) directly.")
    if len(set(cols)) != len(cols):
        dup = sorted({c for c in cols if cols.count(c) > 1})
        raise SpecificationError(f"entropy_index: indicator(s) {dup} are listed twice.")
    check_columns(frame, [*cols, by])
    if by is not None and by in cols:
        raise SpecificationError(f"entropy_index: {by!r} is both an indicator and by.")
    check_choice("missing", missing, MISSING)
    check_choice("normalize", normalize, NORMALIZE)
    shift = 0.0 if normalize == "share" else _SHIFT("shift", shift)
    dirs = _directions(directions, cols)
    x = _matrix(frame, cols)
    if normalize == "share":
        neg = [c for c in cols if dirs[c] == "negative"]
        if neg:
            raise SpecificationError(
                f"entropy_index: normalize='share' takes positive indicators only; {neg} are "
                "negative. Use normalize='minmax', or invert them first (e.g. 1 / x).")
        below = (x < 0).any(axis=0)
        if below.any():
            raise SpecificationError(
                f"entropy_index: normalize='share' needs values >= 0; indicator(s) "
                f"{[c for c, b in zip(cols, below, strict=True) if b]} have negative values. "
                "Use normalize='minmax'.")
    bad_rows = np.isnan(x).any(axis=1)
    notes: list[str] = []
    if bad_rows.any():
        per = {c: int(np.isnan(x[:, j]).sum()) for j, c in enumerate(cols)
               if np.isnan(x[:, j]).any()}
        labels = np.asarray(frame.index[bad_rows])
        what = (f"entropy_index: {int(bad_rows.sum())} of {len(frame)} row(s) have a missing "
                f"indicator (per indicator: {per}; rows {examples(labels)})")
        if missing == "raise":
            raise SpecificationError(
                f"{what}. Fill or drop them first, or pass missing='drop' to leave those rows "
                "out (their index is NaN).")
        msg = f"{what}; left out, their index is NaN."
        warn(msg, DataDroppedWarning)
        notes.append(msg)
    keep = ~bad_rows
    if by is None:
        groups = np.zeros(len(frame), dtype=np.intp)
        labels_g = [None]
    else:
        codes, uniques = pd.factorize(frame[by], sort=True)
        if (codes < 0).any():
            raise SpecificationError(
                f"entropy_index: by column {by!r} has {int((codes < 0).sum())} missing "
                "value(s); fill or drop those rows.")
        groups, labels_g = codes, list(uniques)
    sign = np.array([1.0 if dirs[c] == "positive" else -1.0 for c in cols])
    norm = np.full(x.shape, np.nan)
    w_rows, e_rows, const_notes = [], [], []
    for g, label in enumerate(labels_g):  # one pass per year: vectorised within
        rows = np.flatnonzero((groups == g) & keep)
        where = "" if label is None else f" in {by}={label!r}"
        if rows.size < 2:
            raise SpecificationError(
                f"entropy_index: {rows.size} usable row(s){where}; the entropy needs at least "
                "two (k = 1/ln n). Pool the groups (by=None) or drop that group.")
        z, e, w, const = _weights(x[rows], sign, shift, normalize)
        if const.all():
            raise SpecificationError(
                f"entropy_index: every indicator is constant{where}, so no weights exist. "
                "Check the data or the grouping.")
        if const.any():
            names = [c for c, k in zip(cols, const, strict=True) if k]
            const_notes.append(
                f"entropy_index: indicator(s) {names} constant{where}; normalised to 0 with "
                "weight 0.")
        norm[rows] = z
        w_rows.append(w)
        e_rows.append(e)
    for msg in const_notes:
        warn(msg, DataDroppedWarning)
    notes.extend(const_notes)
    index = np.where(keep, np.nansum(norm * np.vstack(w_rows)[groups], axis=1), np.nan)
    values = pd.Series(index, index=frame.index, name=name)
    if by is None:
        weights = pd.Series(w_rows[0], index=list(cols), name="weight")
        ent = pd.Series(e_rows[0], index=list(cols), name="entropy")
        red = (1.0 - ent).rename("redundancy")
    else:
        gi = pd.Index(labels_g, name=by)
        weights = pd.DataFrame(np.vstack(w_rows), index=gi, columns=list(cols))
        ent = pd.DataFrame(np.vstack(e_rows), index=gi, columns=list(cols))
        red = 1.0 - ent
    return EntropyIndex(values=values, weights=weights, entropy=ent, redundancy=red,
                        normalized=pd.DataFrame(norm, index=frame.index, columns=list(cols)),
                        indicators=cols, directions=dirs, shift=shift, by=by, name=name,
                        n_obs=int(keep.sum()), n_dropped=int(bad_rows.sum()),
                        normalize=normalize, notes=tuple(notes))


def _weights(x: np.ndarray, sign: np.ndarray, shift: float, normalize: str = "minmax"):
    """Normalised values, entropies, weights and the constant-indicator mask of one block."""
    n = x.shape[0]
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = hi - lo
    const = span == 0
    if normalize == "share":
        z = x / np.where(hi > 0, hi, 1.0)  # for the index only
        z[:, const] = 0.0
        s = x
    else:
        safe = np.where(const, 1.0, span)
        z = np.where(sign > 0, (x - lo) / safe, (hi - x) / safe)
        z[:, const] = 0.0
        s = z + shift
    tot = s.sum(axis=0)
    # a constant indicator (or, with shift=0, any column summing to 0) has uniform p: e = 1
    uniform = const | (tot == 0)
    p = np.where(uniform, 1.0 / n, s / np.where(tot == 0, 1.0, tot))
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    e = np.clip(e, 0.0, 1.0) + 0.0  # rounding can leave 1 + 1e-16; no -0.0
    d = 1.0 - e
    d[uniform] = 0.0
    w = d / d.sum() if d.sum() > 0 else np.zeros_like(d)
    return z, e, w, const


def _frame(data) -> pd.DataFrame:
    from .panel import Panel  # here: the panel module is not needed to weigh a DataFrame

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Panel):
        return data.data
    raise SpecificationError(
        f"entropy_index: data must be a pandas DataFrame or a did_zones Panel; got "
        f"{type(data).__name__}.")


def _directions(directions, cols: tuple[str, ...]) -> dict[str, str]:
    if directions is None:
        return dict.fromkeys(cols, "positive")
    if isinstance(directions, str):
        check_choice("directions", directions, DIRECTIONS)
        return dict.fromkeys(cols, directions)
    if isinstance(directions, Mapping):
        unknown = [k for k in directions if k not in cols]
        if unknown:
            raise SpecificationError(
                f"entropy_index: directions names {unknown}, which are not among the "
                f"indicators {list(cols)}.")
        out = dict.fromkeys(cols, "positive")
        for k, v in directions.items():
            out[k] = check_choice(f"directions[{k!r}]", v, DIRECTIONS)
        return out
    seq = list(directions)
    if len(seq) != len(cols):
        raise SpecificationError(
            f"entropy_index: directions has {len(seq)} entries for {len(cols)} indicators; "
            "give one per indicator, or a mapping {indicator: direction}.")
    return {c: check_choice(f"directions[{c!r}]", v, DIRECTIONS)
            for c, v in zip(cols, seq, strict=True)}


def _matrix(frame: pd.DataFrame, cols: tuple[str, ...]) -> np.ndarray:
    out = np.empty((len(frame), len(cols)))
    for j, c in enumerate(cols):
        v = frame[c]
        if not pd.api.types.is_numeric_dtype(v) or pd.api.types.is_bool_dtype(v):
            raise SpecificationError(
                f"entropy_index: indicator {c!r} is not numeric (dtype {v.dtype}). Convert it "
                "first, e.g. pd.to_numeric(df[col], errors='coerce').")
        a = v.to_numpy(dtype=float, na_value=np.nan)
        inf = np.isinf(a)
        if inf.any():
            raise SpecificationError(
                f"entropy_index: indicator {c!r} has {int(inf.sum())} infinite value(s) (rows "
                f"{examples(np.asarray(frame.index[inf]))}); set them to NaN or fix them.")
        out[:, j] = a
    return out
