"""N-day retention and weekly signup cohorts, optionally by segment.

Definitions (UTC calendar days; the signup day is day 0):

* a user is **retained on day N** when they have at least one event on day N after
  their signup day (classic "N-day retention"); with ``period="week"``, **in week W**
  when they have an event on one of days ``7W .. 7W+6``;
* users count only when that day (or the whole week) lies within the data read: a user
  who signed up 10 days before the last day is *not eligible* for day 30, so recent
  cohorts are never shown as having churned (cells with no eligible user are empty);
* the population is the users who signed up within the reported days (earlier signups
  have no observed day 0); users without ``signup_at`` are left out (a note counts them);
* a **cohort** is the ISO week (Monday to Sunday, UTC) of the signup, labelled by its
  Monday.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphkit.engagement.eventlog import ActivityLog, day_labels
from graphkit.engagement.settings import DEFAULT_DAYS, DEFAULT_WEEKS, Period
from graphkit.errors import ConfigError, InsufficientData, ParameterError

# 1970-01-01 was a Thursday: day numbers + 3 count from a Monday.
_MONDAY_OFFSET = 3


@dataclass(frozen=True)
class RetentionTable:
    """Retention per group (cohort and/or segment) and offset (day N or week W).

    Attributes
    ----------
    table : DataFrame
        Long form, one row per group and offset: the group columns (``segment`` and/or
        ``cohort``), ``users`` (group size), ``day`` or ``week``, ``eligible``,
        ``retained``, ``retention`` (retained / eligible; NaN without eligible users).
    wide : DataFrame
        One row per group: group columns, ``users``, then one column per offset
        (``day_1``, ``day_7`` … or ``week_0``, ``week_1`` …) holding the retention —
        the cohort table, ready for a heatmap.
    groups : tuple of str
        The group columns, in order.
    period : {"day", "week"}
    offsets : tuple of int
    segment : str or None
        What users were segmented by.
    notes : tuple of str
    """

    table: pd.DataFrame
    wide: pd.DataFrame
    groups: tuple[str, ...]
    period: Period
    offsets: tuple[int, ...]
    segment: str | None
    notes: tuple[str, ...] = ()

    @property
    def eligible_wide(self) -> pd.DataFrame:
        """Like ``wide``, with the number of eligible users of each cell instead of the
        retention (the denominator each cell was computed from)."""
        return _wide(self.table, list(self.groups), self.period, values="eligible")


def cohort_label(signup_day: np.ndarray) -> np.ndarray:
    """The Monday (day number) of each signup day's ISO week.

    >>> cohort_label(np.array([20454, 20457, 20458])).tolist()  # Thu 1 Jan, Sun 4, Mon 5
    [20451, 20451, 20458]
    """
    days = np.asarray(signup_day, dtype=np.int64)
    return days - (days + _MONDAY_OFFSET) % 7


def retention_table(
    log: ActivityLog,
    *,
    days: Sequence[int] = DEFAULT_DAYS,
    period: Period = "day",
    weeks: int = DEFAULT_WEEKS,
    segment: pd.Series | None = None,
    cohorts: bool = True,
) -> RetentionTable:
    """N-day (or weekly) retention by signup cohort and/or segment.

    Parameters
    ----------
    log : ActivityLog
    days : sequence of int
        The days N (≥ 0) for ``period="day"``.
    period : {"day", "week"}
        ``"week"`` reports weeks ``0 .. weeks - 1`` instead of single days.
    weeks : int
        Number of weeks for ``period="week"``.
    segment : Series, optional
        Segment label per ``user_id`` (see :func:`~graphkit.engagement.segments.segment_users`).
    cohorts : bool
        Split groups by weekly signup cohort. With ``segment`` and ``cohorts=False``
        every cohort is pooled per segment; with neither, one row ``all``.

    Returns
    -------
    RetentionTable

    Raises
    ------
    ConfigError
        If ``days`` is empty or negative, ``period`` unknown, ``weeks`` < 1.
    InsufficientData
        If the reported days hold no event, or no user signed up within them.
    """
    offsets = _offsets(days, period, weeks)
    log.require_events()
    span = 7 if period == "week" else 1
    notes: list[str] = []
    users = log.users
    signup = users["signup_day"].to_numpy()
    unknown = int(np.isnan(signup).sum())
    if unknown:
        notes.append(f"{unknown} user(s) without signup_at are not in any cohort")
    with np.errstate(invalid="ignore"):
        in_window = (signup >= log.first_day) & (signup <= log.last_day)
    before = int((signup < log.first_day).sum())
    if before:
        notes.append(
            f"{before} user(s) signed up before {day_labels([log.first_day])[0]}: "
            "their first days are outside the window, so they are not in a cohort"
        )
    codes = np.flatnonzero(in_window)
    if codes.size == 0:
        raise InsufficientData(
            f"no user signed up between {day_labels([log.first_day])[0]} and "
            f"{day_labels([log.last_day])[0]}",
            hint="widen the since/until period: retention follows users from their signup day",
        )
    start = signup[codes].astype(np.int64)
    groups = pd.DataFrame(index=pd.Index(codes, name="user"))
    group_columns: list[str] = []
    if segment is not None:
        labels = segment.reindex(users["user_id"].to_numpy()[codes])
        if isinstance(labels.dtype, pd.CategoricalDtype) and labels.isna().any():
            labels = labels.cat.add_categories("unknown").fillna("unknown")
        groups["segment"] = labels.to_numpy()
        group_columns.append("segment")
    if cohorts or segment is None:
        if cohorts:
            groups["cohort"] = day_labels(cohort_label(start))
        else:
            groups["cohort"] = "all"
        group_columns.append("cohort")

    active = _active_offsets(log, codes, start, span)
    rows = []
    for offset in offsets:
        first = offset * span
        eligible = start + first + span - 1 <= log.last_day
        retained = eligible & np.isin(codes, active.get(offset, np.empty(0, dtype=np.int64)))
        frame = groups.copy()
        frame["eligible"] = eligible
        frame["retained"] = retained
        per_group = frame.groupby(group_columns, observed=True, sort=True).agg(
            users=("eligible", "size"), eligible=("eligible", "sum"), retained=("retained", "sum")
        )
        per_group[period] = offset
        rows.append(per_group.reset_index())
    table = pd.concat(rows, ignore_index=True)
    table["retention"] = table["retained"] / table["eligible"].where(table["eligible"] > 0)
    table = table[[*group_columns, "users", period, "eligible", "retained", "retention"]]
    table = table.sort_values([*group_columns, period], kind="mergesort").reset_index(drop=True)
    wide = _wide(table, group_columns, period)
    not_eligible = [o for o in offsets if table.loc[table[period] == o, "eligible"].sum() == 0]
    if not_eligible:
        unit = "day" if period == "day" else "week"
        notes.append(
            f"no user has been around long enough to observe {unit}(s) "
            f"{', '.join(map(str, not_eligible))}: those columns are empty"
        )
    return RetentionTable(
        table=table,
        wide=wide,
        groups=tuple(group_columns),
        period=period,
        offsets=offsets,
        segment=None if segment is None else str(segment.name),
        notes=tuple(notes),
    )


def _offsets(days: Sequence[int], period: Period, weeks: int) -> tuple[int, ...]:
    if period == "week":
        if weeks < 1:
            raise ParameterError("weeks", f"must be at least 1, got {weeks}")
        return tuple(range(weeks))
    if period != "day":
        raise ParameterError("period", f"must be day or week, got {period!r}")
    offsets = tuple(sorted({int(d) for d in days}))
    if not offsets:
        raise ConfigError("give at least one retention day", hint="e.g. days 1 and 7")
    if offsets[0] < 0:
        raise ConfigError(f"retention days must be >= 0, got {offsets[0]}")
    return offsets


def _active_offsets(
    log: ActivityLog, codes: np.ndarray, start: np.ndarray, span: int
) -> dict[int, np.ndarray]:
    """For each offset (day or week after signup), the users active in it."""
    n_users = len(log.users)
    start_of = np.zeros(n_users, dtype=np.int64)
    start_of[codes] = start
    member = np.zeros(n_users, dtype=bool)
    member[codes] = True
    user = log.user_days["user"].to_numpy()
    day = log.user_days["day"].to_numpy()
    keep = member[user] & (day <= log.last_day)
    user, day = user[keep], day[keep]
    offset = day - start_of[user]
    after = offset >= 0
    # One integer per distinct (offset, user), sorted by offset: split at each new offset.
    pairs = np.sort((offset[after] // span) * n_users + user[after])
    # Distinct values by sorting (np.unique hashes integers: 20x slower on 1M pairs).
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    k, users = pairs // n_users, pairs % n_users
    bounds = np.flatnonzero(np.diff(k)) + 1
    return {
        int(part_k[0]): part_users
        for part_k, part_users in zip(np.split(k, bounds), np.split(users, bounds), strict=True)
        if len(part_k)
    }


def _wide(
    table: pd.DataFrame, groups: list[str], period: str, values: str = "retention"
) -> pd.DataFrame:
    sizes = table.groupby(groups, observed=True, sort=False)["users"].first()
    pivot = table.pivot_table(
        index=groups, columns=period, values=values, observed=True, dropna=False, sort=False
    )
    pivot.columns = [f"{period}_{c}" for c in pivot.columns]
    wide = pd.concat([sizes, pivot], axis=1).reset_index()
    return wide
