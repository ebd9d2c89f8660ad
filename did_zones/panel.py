"""The validated staggered-adoption panel.

``build_panel`` is the door: it checks the user's city-year table once, copies and sorts
it, fixes the roles (unit, time, cohort = first treated period) and derives event time.
Every estimator takes the frozen :class:`Panel` it returns, so no estimator asks for
``unit=`` or ``time=`` again and the caller's DataFrame is never touched.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import FrozenInstanceError, dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataDroppedWarning, PanelError, SpecificationError, warn
from .validation import check_columns, examples

__all__ = ["Panel", "build_panel"]

NEVER = np.inf  # cohort code of never-treated units

_DROP_COLUMNS = ["reason", "n_rows", "n_units", "examples"]
_STATE_NOTES = ("Unbalanced panel:", "No never-treated units:",
                "Treatment switches off inside the panel", "Treatment of ")


def _cohort_label(g: float) -> int | float | str:
    """A cohort for display: ``inf`` as ``"never"``, integer-valued floats as ints."""
    if not np.isfinite(g):
        return "never"
    return int(g) if float(g).is_integer() else float(g)


# pandas 3 always copies on write: a shallow copy of a frame can be changed at will without
# touching the original. Earlier pandas shares the arrays, so they are made read-only instead.
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or bool(
    getattr(pd.options.mode, "copy_on_write", False) is True)


class _ReadOnlyFrame:
    """The ``data`` field of :class:`Panel`: set once, then handed out as shallow copies.

    A shallow copy costs microseconds (no data is copied), and under copy-on-write any change
    made to it, a new column, ``.loc`` assignment or in-place arithmetic, stays in the copy, so
    the panel's own rows never change after :func:`build_panel`. Before pandas 3 (without
    copy-on-write) the copy shares the column arrays, which are therefore made read-only:
    writing into them raises instead of changing the panel.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name
        self._slot = f"_{name}"

    def __get__(self, obj, objtype=None) -> pd.DataFrame:
        if obj is None:  # class access: tells dataclass the field has no default
            raise AttributeError(self._name)
        return obj.__dict__[self._slot].copy(deep=False)

    def __set__(self, obj, value: pd.DataFrame) -> None:
        if self._slot in obj.__dict__:
            raise FrozenInstanceError(f"cannot assign to field {self._name!r}")
        if not isinstance(value, pd.DataFrame):
            raise TypeError(f"Panel.{self._name} must be a DataFrame; got "
                            f"{type(value).__name__}.")
        if not _COPY_ON_WRITE:
            for arr in getattr(value._mgr, "arrays", ()):
                if isinstance(arr, np.ndarray):
                    arr.flags.writeable = False
        obj.__dict__[self._slot] = value


def _read_only(values: np.ndarray) -> np.ndarray:
    """``values`` itself when already read-only, else a read-only view of it (no copy)."""
    if not values.flags.writeable:
        return values
    view = values.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, eq=False)
class Panel:
    """A validated staggered-adoption panel (immutable).

    Build one with :func:`build_panel`; do not call the constructor directly.

    Immutable in fact, not only by convention: fields cannot be reassigned, the arrays are
    read-only, and :attr:`data` returns a shallow copy of the panel's own frame, so changing
    what it returns (``panel.data["y"] = 0``, ``panel.data.loc[0, "y"] = 1``) never changes
    the panel or the estimates made from it. To change the data, build a new panel.

    Attributes
    ----------
    data : pandas.DataFrame
        The user's rows, sorted by unit then time, with a fresh RangeIndex. Each access
        returns a new shallow copy (cheap: no rows are copied); changes made to it stay in
        that copy.
    unit, time : str
        Names of the unit and time columns in ``data``.
    units : pandas.Index
        Unit labels; position ``i`` is unit code ``i``.
    periods : numpy.ndarray
        Sorted distinct integer periods observed.
    unit_id, period_id : numpy.ndarray
        Per-row integer codes into ``units`` and ``periods``.
    cohort : numpy.ndarray
        Per-unit first treated period (float); never-treated units are ``inf``.
    dropped : pandas.DataFrame
        One row per reason rows were dropped while building (reason, n_rows, n_units,
        examples). Empty when nothing was dropped.
    notes : tuple of str
        What happened to the data (drops, recodings, imbalance), for printing under tables.
    treatment_end, treatment_restart : numpy.ndarray or None
        Per-unit first untreated period after the first treatment spell, and the period in
        which treatment starts again (``inf``: never within the panel), for panels whose
        treatment switches off (a revoked pilot zone under
        ``zone_cohorts(revoked="end")``, or a 0/1 column with ``switch_off="keep"``).
        Both None for the usual absorbing panel. Only :func:`~did_zones.dcdh` accepts a
        panel whose treatment switches off; see :attr:`switches_off`.
    """

    data: pd.DataFrame = _ReadOnlyFrame()  # type: ignore[assignment]
    unit: str
    time: str
    units: pd.Index
    periods: np.ndarray
    unit_id: np.ndarray
    period_id: np.ndarray
    cohort: np.ndarray
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_DROP_COLUMNS))
    notes: tuple[str, ...] = ()
    treatment_end: np.ndarray | None = None
    treatment_restart: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("periods", "unit_id", "period_id", "cohort"):
            object.__setattr__(self, name, _read_only(np.asarray(getattr(self, name))))
        if (self.treatment_end is None) != (self.treatment_restart is None):
            raise ValueError("treatment_end and treatment_restart come together.")
        for name in ("treatment_end", "treatment_restart"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _read_only(np.asarray(getattr(self, name),
                                                                     dtype=float)))

    # ------------------------------------------------------------ identity
    @cached_property
    def fingerprint(self) -> str:
        """A short hash identifying this panel's units, periods, rows and cohorts.

        Every estimator stores it in :attr:`Result.panel_fingerprint`; the robustness checks
        that take ``(result, panel)`` compare the two, so a result is never tested against
        draws from another panel. It covers the shape, the unit labels, the periods, each
        row's unit and period codes and each unit's cohort, not the values of other
        columns: a panel rebuilt from the same rows with more columns has the same
        fingerprint. Computed once (a few milliseconds per million rows) and cached.

        Returns
        -------
        str
            32 hexadecimal digits (BLAKE2b, 16 bytes).

        Examples
        --------
        >>> import pandas as pd
        >>> from did_zones import build_panel
        >>> df = pd.DataFrame({"city": [1, 1, 2, 2], "year": [2015, 2016] * 2, "y": 0.0})
        >>> a = build_panel(df, unit="city", time="year", cohort={1: 2016})
        >>> b = build_panel(df.assign(x=1.0), unit="city", time="year", cohort={1: 2016})
        >>> a.fingerprint == b.fingerprint
        True
        >>> a.fingerprint == build_panel(df, unit="city", time="year", cohort={2: 2016}).fingerprint
        False
        """
        h = hashlib.blake2b(digest_size=16)
        h.update(np.array([self.n_obs, self.n_units, self.n_periods], dtype="<i8").tobytes())
        h.update(pd.util.hash_array(self.units.to_numpy()).tobytes())
        h.update(np.asarray(self.periods, dtype="<i8").tobytes())
        # the codes in the narrowest type that holds them: fewer bytes to hash
        h.update(self.unit_id.astype(np.min_scalar_type(max(self.n_units - 1, 0))).tobytes())
        h.update(self.period_id.astype(np.min_scalar_type(max(self.n_periods - 1, 0))).tobytes())
        h.update(np.asarray(self.cohort, dtype="<f8").tobytes())
        if self.switches_off:
            h.update(b"switch-off")
            h.update(np.asarray(self.treatment_end, dtype="<f8").tobytes())
            h.update(np.asarray(self.treatment_restart, dtype="<f8").tobytes())
        return h.hexdigest()

    # ------------------------------------------------------------------ sizes
    @property
    def n_obs(self) -> int:
        """Number of unit-period rows."""
        return int(self.unit_id.size)

    @property
    def n_units(self) -> int:
        """Number of units."""
        return int(self.units.size)

    @property
    def n_periods(self) -> int:
        """Number of distinct periods."""
        return int(self.periods.size)

    @property
    def is_balanced(self) -> bool:
        """True when every unit is observed in every period."""
        return self.n_obs == self.n_units * self.n_periods

    # ------------------------------------------------------- derived per row
    @property
    def time_values(self) -> np.ndarray:
        """Per-row period (int64)."""
        return self.periods[self.period_id]

    @property
    def row_cohort(self) -> np.ndarray:
        """Per-row cohort (float, ``inf`` for never-treated)."""
        return self.cohort[self.unit_id]

    @property
    def event_time(self) -> np.ndarray:
        """Per-row periods since first treatment (float; NaN for never-treated units)."""
        g = self.row_cohort
        with np.errstate(invalid="ignore"):
            e = self.time_values - g
        e[~np.isfinite(g)] = np.nan
        return e

    @property
    def treated(self) -> np.ndarray:
        """Per-row treatment indicator (bool): ``time >= cohort``, and, where treatment
        switches off, not in ``treatment_end <= time < treatment_restart``."""
        t = self.time_values
        on = t >= self.row_cohort
        if self.switches_off:
            uid = self.unit_id
            on &= ~((t >= self.treatment_end[uid]) & (t < self.treatment_restart[uid]))
        return on

    def treated_at(self, periods: Iterable[int]) -> np.ndarray:
        """Treatment status of every unit in ``periods``, observed or not.

        Parameters
        ----------
        periods : iterable of int
            Calendar periods.

        Returns
        -------
        numpy.ndarray
            Boolean, one row per unit (in :attr:`units` order), one column per period; the
            same rule as :attr:`treated`.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"city": [1] * 4, "year": [1, 2, 3, 4], "d": [0, 1, 0, 0]})
        >>> p = build_panel(df, unit="city", time="year", treatment="d", switch_off="keep")
        >>> p.treated_at([1, 2, 3, 4]).astype(int).tolist()
        [[0, 1, 0, 0]]
        """
        p = np.asarray(list(periods), dtype=float)[None, :]
        on = p >= self.cohort[:, None]
        if self.switches_off:
            on &= ~((p >= self.treatment_end[:, None]) & (p < self.treatment_restart[:, None]))
        return on

    @property
    def switches_off(self) -> bool:
        """True when some unit's treatment switches off inside the panel.

        Such a panel comes from ``zone_cohorts(revoked="end")`` with a revocation inside its
        years, or from a 0/1 treatment column with ``build_panel(..., switch_off="keep")``.
        Only :func:`~did_zones.dcdh` estimates with it; every other estimator assumes
        treatment stays on once started and refuses it (:meth:`require_absorbing`).
        """
        return self.treatment_end is not None

    def require_absorbing(self) -> None:
        """Raise :class:`~did_zones.errors.PanelError` when treatment switches off.

        The one check behind every estimator and robustness tool that assumes staggered,
        absorbing treatment (all but :func:`~did_zones.dcdh`).

        Raises
        ------
        PanelError
            Naming the units whose treatment ends, their periods and the ways out.
        """
        if not self.switches_off:
            return
        off = np.isfinite(self.treatment_end)
        end, restart = self.treatment_end[off], self.treatment_restart[off]
        labels = [f"{u} (untreated " + (f"from {int(e)})" if not np.isfinite(r) else
                                        f"in {int(e)})" if r == e + 1 else
                                        f"{int(e)}-{int(r) - 1})")
                  for u, e, r in zip(self.units[off], end, restart, strict=True)]
        first_end = int(end.min())
        raise PanelError(
            f"Treatment switches off inside this panel for {int(off.sum())} unit(s), e.g. "
            f"{examples(labels)}. This estimator assumes treatment stays on once started; "
            "only dcdh estimates with treatment that switches off (DID_M with leavers). Use "
            "dcdh, keep these units treated (zone_cohorts(revoked='keep')), end the panel "
            f"before {first_end} (panel.window(end={first_end - 1})), or drop these units "
            "(panel.drop_units(...))."
        )

    # ------------------------------------------------------ derived per unit
    @property
    def unit_cohort(self) -> pd.Series:
        """Series unit → first treated period (``inf`` for never-treated).

        When treatment switches off, ``attrs["treatment_end"]`` and
        ``attrs["treatment_restart"]`` map units to those periods (as
        :func:`~did_zones.zone_cohorts` writes them), so a panel rebuilt from this Series
        keeps its switch-offs.
        """
        s = pd.Series(self.cohort, index=self.units, name="cohort")
        if self.switches_off:
            s.attrs = {name: {u: int(v) for u, v in zip(self.units, values, strict=True)
                              if np.isfinite(v)}
                       for name, values in (("treatment_end", self.treatment_end),
                                            ("treatment_restart", self.treatment_restart))}
        return s

    @property
    def cohorts(self) -> np.ndarray:
        """Sorted distinct first-treatment periods of ever-treated units."""
        return np.unique(self.cohort[np.isfinite(self.cohort)])

    @property
    def never_treated(self) -> np.ndarray:
        """Per-unit mask of never-treated units."""
        return ~np.isfinite(self.cohort)

    # ----------------------------------------------------------- accessors
    def column(self, name: str) -> np.ndarray:
        """Return column ``name`` as a float array aligned with the panel rows.

        Raises
        ------
        SpecificationError
            If the column does not exist or is not numeric.
        """
        check_columns(self.data, [name])
        values = self.data[name]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            raise SpecificationError(
                f"Column {name!r} is not numeric (dtype {values.dtype}). Convert it first, "
                f"e.g. pd.to_numeric(df[{name!r}], errors='coerce')."
            )
        return values.to_numpy(dtype=float, na_value=np.nan)

    def describe(self) -> pd.DataFrame:
        """Adoption table: one row per cohort (never-treated last).

        A table to read: the ``cohort`` column shows integer periods and ``"never"``. The
        numbers themselves stay on the panel (:attr:`cohort`, :attr:`unit_cohort` and
        :attr:`row_cohort` are floats with ``inf`` for never-treated units).

        Returns
        -------
        pandas.DataFrame
            Columns ``cohort`` (object: first treated period as an int, ``"never"`` for
            never-treated units), ``n_units``, ``n_obs``, ``first_period``, ``last_period``
            (observed), ``share_units``.

        Examples
        --------
        >>> import pandas as pd
        >>> from did_zones import build_panel
        >>> df = pd.DataFrame({"city": [1, 1, 2, 2], "year": [2015, 2016] * 2, "y": 0.0})
        >>> build_panel(df, unit="city", time="year", cohort={1: 2016}).describe()
          cohort  n_units  n_obs  first_period  last_period  share_units
        0   2016        1      2          2015         2016          0.5
        1  never        1      2          2015         2016          0.5
        """
        t = self.time_values
        g = self.row_cohort
        rows = pd.DataFrame({"cohort": g, "unit": self.unit_id, "t": t})
        out = rows.groupby("cohort", sort=True).agg(
            n_units=("unit", "nunique"),
            n_obs=("unit", "size"),
            first_period=("t", "min"),
            last_period=("t", "max"),
        )
        out["share_units"] = out["n_units"] / self.n_units
        out = out.reset_index()
        out["cohort"] = pd.Series([_cohort_label(g) for g in out["cohort"]], dtype=object)
        return out

    # ------------------------------------------------------- new panels
    def window(self, start: int | None = None, end: int | None = None) -> Panel:
        """Return a new panel restricted to periods ``start``..``end`` (inclusive).

        Cohorts after ``end`` become never-treated and units treated at or before
        ``start`` are dropped as always-treated, exactly as :func:`build_panel` would.
        """
        t = self.data[self.time]
        keep = np.ones(len(t), dtype=bool)
        if start is not None:
            keep &= (t >= start).to_numpy()
        if end is not None:
            keep &= (t <= end).to_numpy()
        if not keep.any():
            raise PanelError(
                f"No rows fall in the window {start}..{end}; the panel covers "
                f"{self.periods.min()}..{self.periods.max()}."
            )
        # units with no row left in the window are simply outside it, not unmatched keys
        return self.subset(keep)

    def drop_units(self, units: Iterable) -> Panel:
        """Return a new panel without ``units`` (labels); unknown labels raise an error."""
        units = list(units)
        unknown = pd.Index(units).difference(self.units)
        if len(unknown):
            raise PanelError(
                f"{len(unknown)} unit(s) to drop are not in the panel: {examples(unknown)}."
            )
        keep = ~self.data[self.unit].isin(units).to_numpy()
        if not keep.any():
            raise PanelError("Dropping these units leaves an empty panel.")
        return self._rebuild(self.data.loc[keep], self.unit_cohort.drop(units))

    def with_cohort(self, cohort: Mapping | pd.Series) -> Panel:
        """Return a new panel with first-treatment periods taken from ``cohort``.

        Units missing from the mapping become never-treated. The new timing replaces the
        old one entirely: treatment switches off only where ``cohort`` says so in its
        ``attrs`` (as a Series of ``zone_cohorts(revoked="end")`` or
        :attr:`unit_cohort` does).
        """
        return self._rebuild(self.data, cohort)

    def subset(self, rows: Any, *, cohort: Mapping | pd.Series | None = None,
               notes: Iterable[str] = ()) -> Panel:
        """Return a new panel with only the rows where ``rows`` is True.

        Units left without rows leave the panel; every remaining unit keeps its cohort
        unless ``cohort`` gives new ones. The panel-state notes are recomputed as
        :func:`build_panel` would.

        Parameters
        ----------
        rows : array-like of bool
            One flag per panel row (length :attr:`n_obs`).
        cohort : mapping or Series, optional
            Unit -> first-treatment period for the kept units (as in :meth:`with_cohort`;
            units missing from it become never-treated). Default: the current cohorts.
        notes : iterable of str
            Notes appended to the new panel's notes (why rows were dropped).

        Returns
        -------
        Panel

        Raises
        ------
        SpecificationError
            ``rows`` is not a boolean array of length :attr:`n_obs`.
        PanelError
            No row is kept.
        """
        rows = np.asarray(rows)
        if rows.dtype != bool or rows.shape != (self.n_obs,):
            raise SpecificationError(
                f"rows must be a boolean array with one flag per panel row ({self.n_obs}); got "
                f"dtype {rows.dtype} and shape {rows.shape}.")
        if not rows.any():
            raise PanelError("The subset keeps no row of the panel.")
        data = self.data.loc[rows]
        if cohort is None:
            cohort = self.unit_cohort
            cohort = cohort[cohort.index.isin(data[self.unit].unique())]
        new = self._rebuild(data, cohort)
        return replace(new, notes=new.notes + tuple(notes))

    def with_columns(self, columns: Mapping[str, Any], *, overwrite: bool = False,
                     notes: Iterable[str] = ()) -> Panel:
        """Return a new panel with columns added (or, with ``overwrite``, replaced).

        The one way derived variables (a concurrent-policy dummy, a treatment split by group,
        matching weights, an outcome masked to a common sample) reach the estimators, which
        take column names. Units, periods, rows and cohorts are unchanged, and so is the
        :attr:`fingerprint` (it does not cover other columns). The user's DataFrame is never
        touched.

        Parameters
        ----------
        columns : mapping of str to array-like
            Name -> values aligned with the panel's rows (length :attr:`n_obs`).
        overwrite : bool, default False
            Allow replacing existing columns other than the unit, time and cohort roles.
        notes : iterable of str
            Notes appended to the panel's notes (what was derived and why).

        Returns
        -------
        Panel

        Raises
        ------
        SpecificationError
            A column of the wrong length, a name that exists (without ``overwrite``) or a
            role column.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"city": [1, 1, 2, 2], "year": [2015, 2016] * 2,
        ...                    "y": [1.0, 2.0, 3.0, 5.0]})
        >>> p = build_panel(df, unit="city", time="year", cohort={1: 2016})
        >>> q = p.with_columns({"z": [0, 1, 0, 0]})
        >>> list(q.data.columns), "z" in p.data.columns
        (['city', 'year', 'y', 'z'], False)
        """
        roles = {self.unit, self.time}
        data = self.data
        for name, values in columns.items():
            values = np.asarray(values)
            if values.shape != (self.n_obs,):
                raise SpecificationError(
                    f"Column {name!r} has shape {values.shape}; a panel column needs one value "
                    f"per row ({self.n_obs}).")
            if name in roles:
                raise SpecificationError(
                    f"Column {name!r} is the panel's unit or time column and cannot be "
                    "replaced; build a new panel with build_panel instead.")
            if name in data.columns and not overwrite:
                raise SpecificationError(
                    f"Column {name!r} is already in the panel. Choose another name, or pass "
                    "overwrite=True to replace it.")
            data[name] = values
        return replace(self, data=data, notes=self.notes + tuple(notes))

    def _rebuild(self, data: pd.DataFrame, cohort) -> Panel:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # a Series passes as it is: its attrs may carry the end of treatment
            cohort = cohort if isinstance(cohort, pd.Series) else pd.Series(cohort)
            new = build_panel(data, unit=self.unit, time=self.time, cohort=cohort)
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        # notes describing the state of the old panel (imbalance, no never-treated) are
        # recomputed by build_panel; keep the history of what was done, once each
        history = tuple(n for n in self.notes if not n.startswith(_STATE_NOTES))
        notes = tuple(dict.fromkeys(history + new.notes))
        return replace(new, notes=notes, dropped=_concat_drops(self.dropped, new.dropped))

    def __repr__(self) -> str:
        n_cohorts = self.cohorts.size
        n_never = int(self.never_treated.sum())
        bal = "balanced" if self.is_balanced else "unbalanced"
        return (
            f"Panel({self.n_units} units x {self.n_periods} periods "
            f"[{self.periods.min()}-{self.periods.max()}], {self.n_obs} rows, {bal}; "
            f"{n_cohorts} cohorts, {n_never} never-treated units"
            + (f", treatment switches off for {int(np.isfinite(self.treatment_end).sum())}"
               if self.switches_off else "") + ")"
        )


def _concat_drops(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    frames = [f for f in (a, b) if len(f)]
    if not frames:
        return pd.DataFrame(columns=_DROP_COLUMNS)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------- build


def build_panel(
    data: pd.DataFrame,
    unit: str,
    time: str,
    cohort: str | Mapping | pd.Series | None = None,
    treatment: str | None = None,
    *,
    always_treated: str = "drop",
    late_cohorts: str = "never",
    switch_off: str | None = None,
) -> Panel:
    """Validate a long unit-period table and fix its staggered-adoption roles.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table, one row per unit and period. It is copied, never modified.
    unit, time : str
        Columns identifying units (e.g. city code) and integer periods (e.g. year).
        Dates (datetime64, ``datetime.date``), pandas Periods and ISO date text
        ("2015-03-07") in the time column are read as their calendar year, and numbers
        written as text ("2015") as numbers; ``Panel.notes`` records the conversion.
    cohort : str, mapping or pandas.Series, optional
        First treated period per unit: either a column of ``data`` (constant within unit)
        or a mapping unit → period, as pilot lists arrive (e.g. :func:`zone_cohorts`).
        Units absent from a mapping are never-treated. Never-treated may be coded
        0, NaN or ``inf``. Cohorts given as dates, Periods or ISO date text are read as
        their calendar year (a pilot from 1 July 2015 is cohort 2015), and a missing
        date (NaT) means never-treated; the conversion is noted in ``Panel.notes``.
        A Series from ``zone_cohorts(revoked="end")`` carries the periods in which
        treatment ends and restarts (``attrs["treatment_end"]``,
        ``attrs["treatment_restart"]``): see ``switch_off``.
    treatment : str, optional
        A 0/1 column from which the first treated period is derived (give either
        ``cohort`` or ``treatment``). It may switch off once and on again once (0→1→0→1)
        under ``switch_off="keep"``.
    always_treated : {"drop", "error"}
        Units whose cohort is at or before the first observed period have no untreated
        period; they are dropped with a :class:`DataDroppedWarning` (default) or raise.
    late_cohorts : {"never", "error"}
        Cohorts after the last observed period are treated as never-treated within the
        sample (default, noted) or raise.
    switch_off : {"keep", "error"}, optional
        What to do when treatment switches off inside the panel: ``"keep"`` records it
        (:attr:`Panel.switches_off`, :attr:`Panel.treatment_end`; only
        :func:`~did_zones.dcdh` estimates with such a panel, every other estimator refuses
        it with a message), ``"error"`` refuses it. Default: ``"keep"`` for a cohort Series
        carrying ``attrs["treatment_end"]`` (``zone_cohorts(revoked="end")`` already asked
        for the switch-off), ``"error"`` for a treatment column (a 0/1 column going back to
        0 is more often a coding error than a policy ending). A switch-off after the last
        observed period changes nothing (noted); a unit whose first spell ended before the
        first period starts at its restart, if any.

    Returns
    -------
    Panel

    Raises
    ------
    SpecificationError
        Missing columns (with a did-you-mean hint) or contradictory roles.
    PanelError
        No rows, a column name used twice, missing role values, non-integer time, duplicate unit-periods, a cohort not constant
        within a unit, treatment that switches off inside the panel under
        ``switch_off="error"`` (the default for a 0/1 column), a 0/1 column that switches
        off twice, non-integer cohorts.

    Notes
    -----
    Unbalanced panels are kept; the imbalance is recorded in ``Panel.notes``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"city": [1, 1, 2, 2], "year": [2015, 2016] * 2, "y": [1., 2., 1., 1.]})
    >>> panel = build_panel(df, unit="city", time="year", cohort={1: 2016})
    >>> panel.describe()[["cohort", "n_units"]].to_dict("list")
    {'cohort': [2016, 'never'], 'n_units': [1, 1]}
    """
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    if always_treated not in ("drop", "error"):
        raise SpecificationError(
            f"always_treated must be one of 'drop', 'error'; got {always_treated!r}."
        )
    if late_cohorts not in ("never", "error"):
        raise SpecificationError(
            f"late_cohorts must be one of 'never', 'error'; got {late_cohorts!r}."
        )
    if switch_off not in (None, "keep", "error"):
        raise SpecificationError(
            f"switch_off must be one of 'keep', 'error' (or None); got {switch_off!r}."
        )
    if cohort is None and treatment is None:
        raise SpecificationError(
            "No treatment timing given. Pass cohort= (a column or a mapping unit -> first "
            "treated period, e.g. did_zones.zone_cohorts()) or treatment= (a 0/1 column)."
        )
    if cohort is not None and treatment is not None:
        raise SpecificationError("Give either cohort= or treatment=, not both.")
    if unit == time:
        raise SpecificationError(f"unit and time must be different columns; both are {unit!r}.")
    cohort_col = cohort if isinstance(cohort, str) else None
    _check_column_names(data)
    check_columns(data, [unit, time, cohort_col, treatment])
    if len(data) == 0:
        raise PanelError(
            "data has no rows. Pass the long unit-period table (one row per unit and "
            "period); check any filter applied before build_panel."
        )

    notes: list[str] = []
    drops: list[dict] = []
    # Under copy-on-write a shallow copy is already independent of the caller's frame (a
    # change to either copies the changed column first); without it the arrays are copied,
    # since the Panel makes its arrays read-only and must not freeze the caller's.
    df = data.copy(deep=not _COPY_ON_WRITE)

    # -- missing role values
    roles = [c for c in (unit, time, cohort_col, treatment) if c is not None]
    for col in (unit, time) + ((treatment,) if treatment else ()):
        miss = df[col].isna().to_numpy()
        if miss.any():
            raise PanelError(
                f"{int(miss.sum())} row(s) have a missing value in role column {col!r} "
                f"(e.g. rows {examples(df.index[miss])}). Drop or fill them first, e.g. "
                f"df.dropna(subset={roles!r})."
            )

    # -- integer time (dates, pandas Periods and date strings become their year, noted)
    tcol, time_note = _as_years(df[time], f"Time column {time!r}")
    if time_note:
        notes.append(time_note + ".")
    # int64 periods are valid as they are (and replacing the column would make pandas
    # re-consolidate the whole frame); anything else is checked and converted
    if tcol.dtype != np.int64 or time_note:
        tnum = pd.to_numeric(tcol, errors="coerce")
        bad = tnum.isna().to_numpy() | ~np.isfinite(
            tnum.to_numpy(dtype=float, na_value=np.nan))
        if not bad.any():
            frac = tnum.to_numpy(dtype=float) % 1 != 0
            bad = frac
        if bad.any():
            raise PanelError(
                f"Time column {time!r} must hold integer periods; {int(bad.sum())} row(s) "
                f"do not, e.g. {examples(tcol[bad].unique())}. Convert it, e.g. to the year."
            )
        df[time] = tnum.to_numpy(dtype=float).astype(np.int64)

    # -- duplicates and order, from integer codes (O(n) for the usual dense years)
    units, ucode = _factorize_sorted(df[unit])
    t = df[time].to_numpy()
    tcode = t - t.min()
    n_t = int(tcode.max()) + 1
    key = ucode.astype(np.int64, copy=False) * n_t + tcode
    # rows already in strict unit-period order (the usual layout) have no duplicates and
    # need no sort: one vectorised comparison instead of counting and sorting
    in_order = bool((key[1:] > key[:-1]).all())
    if in_order:
        dup = np.zeros(0, dtype=bool)
    elif units.size * n_t <= 4 * len(key) + 1_000_000:
        counts = np.bincount(key, minlength=units.size * n_t)
        dup = counts[key] > 1
    else:  # sparse periods: sort the keys instead
        _, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
        dup = counts[inv] > 1
    if dup.any():
        pairs = df.loc[dup, [unit, time]].drop_duplicates().itertuples(index=False)
        raise PanelError(
            f"{int(dup.sum())} rows share a unit-period with another row "
            f"({len(df.loc[dup, [unit, time]].drop_duplicates())} duplicated {unit}-{time} "
            f"pairs, e.g. {examples([tuple(p) for p in pairs])}). Keep one row per unit and "
            f"period, e.g. df.drop_duplicates([{unit!r}, {time!r}]) or aggregate them."
            + (" The time column holds dates, read as their year: aggregate sub-annual "
               "rows to one row per year first." if time_note else "")
        )
    if not in_order:
        order = np.argsort(key, kind="stable")
        df = df.take(order)
        ucode, t = ucode[order], t[order]
    if not _is_fresh_index(df.index):
        df = df.reset_index(drop=True)
    unit_id = ucode

    # -- first treated period per unit
    end_unit = restart_unit = np.full(units.size, NEVER)
    if treatment is not None:
        g_unit, end_unit, restart_unit = _spells_from_treatment(
            df, unit, treatment, unit_id, t, switch_off or "error")
    elif cohort_col is not None:
        g_unit = _cohort_from_column(df, unit, cohort_col, unit_id, units.size, notes)
    else:
        g_unit = _cohort_from_mapping(cohort, units, unit, notes)
        end_unit, restart_unit = _spells_from_attrs(cohort, units)
        beyond = np.isfinite(end_unit) & (end_unit > t.max())
        if beyond.any():
            notes.append(
                f"Treatment of {int(beyond.sum())} unit(s) ends after the last observed "
                f"period (revoked pilot zones, e.g. {examples(units[beyond])}): absorbing "
                "within the panel.")
    finite = np.isfinite(g_unit)
    fractional = np.zeros_like(finite)
    fractional[finite] = g_unit[finite] % 1 != 0  # inf % 1 would warn
    if fractional.any():
        bad_units = units[fractional]
        raise PanelError(
            f"Cohorts (first treated periods) must be integers; {len(bad_units)} unit(s) "
            f"have a fractional one, e.g. {examples(bad_units)}."
        )

    # Dropping always-treated units can shorten the sample (when they alone were observed in
    # its first or last periods), so the two codings are repeated until nothing changes.
    while True:
        first, last = int(t.min()), int(t.max())
        g_unit, end_unit, restart_unit = _fit_spells(g_unit, end_unit, restart_unit,
                                                     first, last)
        # -- cohorts after the sample: never treated within it
        late = np.isfinite(g_unit) & (g_unit > last)
        if late.any():
            if late_cohorts == "error":
                raise PanelError(
                    f"{int(late.sum())} unit(s) are first treated after the last period "
                    f"{last}, e.g. {examples(units[late])}. Use late_cohorts='never' to code "
                    "them as never-treated within the sample."
                )
            notes.append(
                f"{int(late.sum())} unit(s) first treated after {last} (cohorts "
                f"{examples(np.unique(g_unit[late]).astype(int))}) are never-treated within "
                "the sample."
            )
            g_unit = np.where(late, NEVER, g_unit)
            end_unit = np.where(late, NEVER, end_unit)
            restart_unit = np.where(late, NEVER, restart_unit)

        # -- always-treated units
        always = g_unit <= first
        if not always.any():
            break
        n_rows = int(always[unit_id].sum())
        msg = (
            f"{int(always.sum())} unit(s) ({n_rows} rows) are treated from the first period "
            f"{first} on (always-treated; no untreated period to compare), e.g. "
            f"{examples(units[always])}."
        )
        if always_treated == "error":
            raise PanelError(msg + " Drop them, or use always_treated='drop'.")
        warn(msg + " They were dropped.", DataDroppedWarning)
        notes.append(msg + " Dropped.")
        drops.append({"reason": "always treated", "n_rows": n_rows,
                      "n_units": int(always.sum()), "examples": examples(units[always])})
        keep_rows = ~always[unit_id]
        df = df.loc[keep_rows].reset_index(drop=True)
        g_unit, end_unit, restart_unit = (a[~always] for a in (g_unit, end_unit,
                                                                restart_unit))
        units, unit_id = _factorize_sorted(df[unit])
        t = df[time].to_numpy()
        if units.size == 0:
            raise PanelError("Every unit is always-treated; nothing is left to compare.")

    periods, period_id = _integer_codes(t)
    n_obs, n_units, n_periods = len(df), units.size, periods.size
    if n_obs != n_units * n_periods:
        per_unit = np.bincount(unit_id, minlength=n_units)
        short = units[per_unit < n_periods]
        notes.append(
            f"Unbalanced panel: {len(short)} of {n_units} units are not observed in all "
            f"{n_periods} periods ({n_units * n_periods - n_obs} unit-periods missing), e.g. "
            f"{examples(short)}. Kept."
        )
    if not (~np.isfinite(g_unit)).any():
        notes.append("No never-treated units: estimators need control='not_yet'.")

    switching = np.isfinite(end_unit).any()
    if switching:
        _switch_off_notes(units, end_unit, restart_unit, switch_off, notes)
    for arr in (unit_id, period_id, g_unit, periods):
        arr.setflags(write=False)
    dropped = pd.DataFrame(drops, columns=_DROP_COLUMNS)
    return Panel(
        data=df,
        unit=unit,
        time=time,
        units=units,
        periods=periods,
        unit_id=unit_id,
        period_id=period_id,
        cohort=g_unit,
        dropped=dropped,
        notes=tuple(notes),
        treatment_end=end_unit if switching else None,
        treatment_restart=restart_unit if switching else None,
    )


def _unit_starts(unit_id: np.ndarray) -> np.ndarray:
    """First row of each unit, for rows sorted by unit with codes 0..N−1 all present."""
    return np.flatnonzero(np.r_[True, unit_id[1:] != unit_id[:-1]])


def _is_fresh_index(index: pd.Index) -> bool:
    """True for an unnamed ``RangeIndex`` 0, 1, ..., n − 1 (``reset_index`` would keep it)."""
    return (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
            and index.name is None)


def _integer_codes(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct integer periods and each row's code: O(n) for a compact range."""
    lo = int(t.min())
    span = int(t.max()) - lo + 1
    if span > 4 * t.size + 1_000_000:
        return np.unique(t, return_inverse=True)
    shifted = t - lo
    present = np.bincount(shifted, minlength=span) > 0
    if present.all():  # every period in the range observed: the shift is the code
        return np.arange(lo, lo + span, dtype=t.dtype), shifted.astype(np.intp, copy=False)
    code = np.cumsum(present) - 1
    return np.flatnonzero(present) + lo, code[shifted].astype(np.intp, copy=False)


def _factorize_sorted(values: pd.Series) -> tuple[pd.Index, np.ndarray]:
    """Sorted distinct values and each row's code into them (``pd.factorize(sort=True)``).

    Integer columns, the usual unit codes, take an O(n) path without hashing: rows already
    grouped in increasing order (the usual layout) are coded by counting changes, a compact
    range by counting values.
    """
    v = values.to_numpy()
    if v.dtype.kind in "iu" and v.size > 1:
        if (v[1:] >= v[:-1]).all():
            change = v[1:] != v[:-1]
            codes = np.empty(v.size, dtype=np.intp)
            codes[0] = 0
            np.cumsum(change, out=codes[1:])
            uniques = v[np.r_[True, change]]
            return pd.Index(uniques, name=values.name), codes
        if v.dtype != np.uint64:  # int64 holds every other integer type's values
            uniques, codes = _integer_codes(v.astype(np.int64, copy=False))
            return pd.Index(uniques.astype(v.dtype), name=values.name), codes
    codes, uniques = pd.factorize(values, sort=True)
    return pd.Index(uniques, name=values.name), codes.astype(np.intp)


def _never_to_inf(values: np.ndarray) -> np.ndarray:
    values = values.astype(float)
    return np.where(np.isnan(values) | (values == 0), NEVER, values)


def _check_column_names(data: pd.DataFrame) -> None:
    dup = data.columns[data.columns.duplicated()].unique()
    if len(dup):
        raise PanelError(
            f"data has {len(dup)} column name(s) used more than once, e.g. {examples(dup)}; "
            "a column name must identify one column. Rename or drop the copies, e.g. "
            "df.loc[:, ~df.columns.duplicated()]."
        )


def _as_years(values: pd.Series, what: str) -> tuple[pd.Series, str]:
    """Dates, pandas Periods and date strings as their calendar year (float, NaN where
    missing), with a note saying so; anything else is returned as it is with no note.

    Numbers written as text ("2015") are returned as numbers, noted too. Text that is
    neither numbers nor ISO dates is returned unchanged: the caller's numeric check
    reports it.
    """
    kind = None
    if isinstance(values.dtype, pd.PeriodDtype):
        kind, years = f"pandas Periods (freq {values.dtype.freq.freqstr})", values.dt.year
    elif pd.api.types.is_datetime64_any_dtype(values.dtype):
        kind, years = "dates", values.dt.year
    elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        present = values.dropna()
        inferred = pd.api.types.infer_dtype(present, skipna=True)
        if inferred == "period" or (len(present) and all(isinstance(v, pd.Period)
                                                          for v in present)):
            kind = "pandas Periods"
            years = values.map(lambda p: p.year, na_action="ignore")
        elif inferred in ("datetime", "datetime64", "date"):
            kind, years = "dates", pd.to_datetime(values).dt.year
        elif inferred in ("string", "mixed") and len(present):
            num = pd.to_numeric(present, errors="coerce")
            if num.notna().all():
                return (pd.to_numeric(values, errors="coerce"),
                        f"{what} holds text; read as numbers (e.g. {present.iloc[0]!r})")
            dates = pd.to_datetime(present.astype(str), errors="coerce", format="ISO8601")
            if dates.notna().all():
                kind = "date text (ISO 8601)"
                years = pd.Series(np.nan, index=values.index)
                years[present.index] = dates.dt.year.to_numpy(dtype=float)
    if kind is None:
        return values, ""
    years = pd.Series(pd.to_numeric(years).to_numpy(dtype=float, na_value=np.nan),
                      index=values.index, name=values.name)
    years[values.isna().to_numpy()] = np.nan  # pandas gives the year of NaT Periods as -1
    return years, f"{what} holds {kind}; each is read as its calendar year"


def _dated_cohort_note(note: str, years: pd.Series, raw: pd.Series, labels) -> str:
    """Complete the note of a cohort given as dates: mid-year dates and missing ones."""
    missing = years.isna().to_numpy()
    when = pd.Series([_first_instant(v) for v in raw.astype(object)], dtype=object)
    mid = np.array([w is not None and (w.month, w.day) != (1, 1) for w in when])
    out = note
    if mid.any():
        out += (f" ({int(mid.sum())} unit(s) dated after 1 January, e.g. "
                f"{examples(pd.Index(labels)[mid])}, count as treated from that whole year)")
    if missing.any():
        out += (f"; {int(missing.sum())} unit(s) with a missing date (NaT) are "
                "never-treated")
    return out + "."


def _first_instant(value) -> pd.Timestamp | None:
    """The first instant of a date, Period or ISO date text; None when missing or invalid."""
    if isinstance(value, pd.Period):
        return value.start_time
    try:
        when = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(when) else when


def _cohort_from_column(df, unit, col, unit_id, n_units, notes) -> np.ndarray:
    values, note = _as_years(df[col], f"Cohort column {col!r}")
    starts = _unit_starts(unit_id)  # rows are sorted by unit: reduce each unit's block
    if note:
        if "text; read as numbers" in note:
            notes.append(note + ".")
        else:
            notes.append(_dated_cohort_note(note, values.iloc[starts],
                                            df[col].iloc[starts], _labels(df, unit)))
    if values.dtype.kind in "iu":
        # integers have no NaN, so the never-treated recoding can wait until there is one
        # value per unit
        g = values.to_numpy()
        g_min = _never_to_inf(np.minimum.reduceat(g, starts))
        g_max = _never_to_inf(np.maximum.reduceat(g, starts))
    else:
        raw = pd.to_numeric(values, errors="coerce")
        nonnum = raw.isna() & df[col].notna()
        if nonnum.any():
            raise PanelError(
                f"Cohort column {col!r} must hold periods (numbers; 0/NaN/inf = never "
                f"treated); {int(nonnum.sum())} row(s) do not, e.g. "
                f"{examples(df.loc[nonnum, col].unique())}."
            )
        g = _never_to_inf(raw.to_numpy(dtype=float, na_value=np.nan))
        g_min = np.minimum.reduceat(g, starts)
        g_max = np.maximum.reduceat(g, starts)
    varies = g_min != g_max
    if varies.any():
        bad = _labels(df, unit)[varies]
        raise PanelError(
            f"Cohort column {col!r} is not constant within unit for {int(varies.sum())} "
            f"unit(s), e.g. {examples(bad)}. A cohort is the first treated period, the same "
            "in every row of a unit; for a 0/1 treatment column use treatment= instead."
        )
    return g_min


def _labels(df: pd.DataFrame, unit: str) -> pd.Index:
    return pd.Index(pd.factorize(df[unit], sort=True)[1])


def _spells_from_treatment(df, unit, col, unit_id, t, switch_off: str):
    """First treated period, first untreated period after it and restart, per unit, of a
    0/1 column (``inf`` where none). A second switch-off is refused; so is any switch-off
    under ``switch_off="error"``."""
    d = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isin(d, (0.0, 1.0))
    if bad.any():
        raise PanelError(
            f"Treatment column {col!r} must be 0/1; {int(bad.sum())} row(s) are not, e.g. "
            f"{examples(df.loc[bad, col].unique())}."
        )
    starts = _unit_starts(unit_id)
    tf = t.astype(float)
    on = d == 1

    def first(mask: np.ndarray) -> np.ndarray:  # per unit, the first period where mask holds
        return np.minimum.reduceat(np.where(mask, tf, np.inf), starts)

    g = first(on)
    end = first(~on & (tf > g[unit_id]))
    restart = first(on & (tf > end[unit_id]))
    twice = np.isfinite(first(~on & (tf > restart[unit_id])))
    off = np.isfinite(end)
    if not off.any():
        return g, end, restart
    labels = _labels(df, unit)
    n_rows = int((~on & (tf > g[unit_id])).sum())
    if switch_off == "error":
        raise PanelError(
            f"Treatment {col!r} switches off (1 then 0) for {int(off.sum())} unit(s) "
            f"({n_rows} rows), e.g. {examples(labels[off])}. Staggered adoption needs "
            "treatment that stays on: check the coding or drop these units; if the policy "
            "really ended, pass switch_off='keep' (only dcdh estimates with it)."
        )
    if twice.any():
        raise PanelError(
            f"Treatment {col!r} switches off twice for {int(twice.sum())} unit(s), e.g. "
            f"{examples(labels[twice])}. A panel holds one interruption per unit (0→1→0→1); "
            "drop these units or end the panel before their second switch-off."
        )
    return g, end, restart


def _spells_from_attrs(mapping, units: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit end and restart of treatment from a cohort Series' ``attrs`` (as
    ``zone_cohorts(revoked="end")`` writes them; ``inf`` where absent)."""
    attrs = mapping.attrs if isinstance(mapping, pd.Series) else {}
    out = []
    for name in ("treatment_end", "treatment_restart"):
        values = attrs.get(name) or {}
        out.append(pd.Series(values, dtype=float).reindex(units).fillna(NEVER)
                   .to_numpy(dtype=float))
    return out[0], out[1]


def _fit_spells(g, end, restart, first: int, last: int):
    """Spells seen through the window ``first..last``: a spell ended before ``first``
    leaves the restart as the first treated period; an end (restart) after ``last`` is
    none."""
    before = end <= first
    g = np.where(before, restart, g)
    end = np.where(before, NEVER, end)
    restart = np.where(before, NEVER, restart)
    after = end > last
    end = np.where(after, NEVER, end)
    restart = np.where(after | (restart > last), NEVER, restart)
    return g, end, restart


def _switch_off_notes(units: pd.Index, end: np.ndarray, restart: np.ndarray,
                      switch_off: str | None, notes: list[str]) -> None:
    """Refuse (``switch_off="error"``) or note the switch-offs inside the panel."""
    off = np.isfinite(end)
    labels = [f"{u} (untreated from {int(e)}" + (f", again treated from {int(r)})"
                                                 if np.isfinite(r) else ")")
              for u, e, r in zip(units[off], end[off], restart[off], strict=True)]
    if switch_off == "error":
        raise PanelError(
            f"Treatment switches off inside the panel for {int(off.sum())} unit(s) whose "
            f"pilot zone was revoked: {examples(labels)}. Only dcdh handles treatment that "
            "switches off: pass switch_off='keep' to estimate with it, use "
            "zone_cohorts(revoked='keep') to keep them treated, end the panel before "
            f"{int(end[off].min())}, or drop these units."
        )
    notes.append(
        f"Treatment switches off inside the panel for {int(off.sum())} unit(s), e.g. "
        f"{examples(labels)}: only dcdh estimates with this panel (DID_M with leavers); "
        "every other estimator refuses it."
    )

def _cohort_from_mapping(mapping, units: pd.Index, unit: str, notes: list[str]) -> np.ndarray:
    s = pd.Series(mapping) if not isinstance(mapping, pd.Series) else mapping
    if s.index.has_duplicates:
        dups = s.index[s.index.duplicated()].unique()
        raise PanelError(
            f"The cohort mapping lists {len(dups)} unit(s) more than once, e.g. "
            f"{examples(dups)}. Keep one first treated period per unit (the earliest)."
        )
    years, note = _as_years(s, "The cohort mapping")
    if note:
        notes.append(note + "." if "text; read as numbers" in note
                     else _dated_cohort_note(note, years, s, s.index))
    values = pd.to_numeric(years, errors="coerce")
    if values.isna().any() and s[values.isna()].notna().any():
        raise PanelError(
            f"The cohort mapping must give periods; e.g. {examples(s[values.isna()].unique())}."
        )
    s = pd.Series(_never_to_inf(values.to_numpy(dtype=float, na_value=np.nan)), index=s.index)
    matched = units.isin(s.index)
    if not matched.any() and len(s):
        raise PanelError(
            f"No unit of column {unit!r} appears in the cohort mapping (units look like "
            f"{examples(units[:3])}, mapping keys like {examples(s.index[:3])}). Make the "
            "key types agree, e.g. df[unit].astype(int)."
        )
    outside = s.index.difference(units)
    if len(outside):
        notes.append(
            f"{len(outside)} unit(s) of the cohort mapping are not in the data, e.g. "
            f"{examples(outside)}."
        )
    n_absent = int((~matched).sum())
    if n_absent:
        notes.append(f"{n_absent} unit(s) not in the cohort mapping are never-treated.")
    return s.reindex(units).fillna(NEVER).to_numpy(dtype=float)
