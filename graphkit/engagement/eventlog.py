"""A compact, aggregated view of the events table that every engagement metric reads.

Ten million raw events do not fit comfortably in memory as Python objects, and no
metric needs them one by one. :func:`summarise_events` reads events chunk by chunk (a
chunk is any frame with the store's event columns, e.g. one week from
``store.events(since=..., until=...)``) and keeps only:

* ``counts`` — one row per (user, UTC day, event name) with the number of events;
* ``sessions`` — one row per session with its start, end, length and event counts.

Days are UTC calendar days, numbered from 1970-01-01 (:func:`day_number`). A *session*
is identified by the pair (user, ``session_id``); events without a session id count in
daily metrics but belong to no session.

Session length rule: the ``value`` of the session's ``session`` event (seconds; the
largest one if there are several), else the time between its first and last event.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, DataError, InsufficientData

MS_PER_DAY = 86_400_000
EVENT_COLUMNS = ("user_id", "at", "event", "value", "session_id")
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class EventNames:
    """Which event names mean what. Defaults match ``graphkit simulate``'s events."""

    session: str = "session"
    view: str = "view"
    like: str = "like"
    click: str = "click"
    message: str = "message"

    def session_counts(self) -> dict[str, str]:
        """Session columns counted per event name: ``{column: event name}``."""
        return {
            "views": self.view,
            "likes": self.like,
            "clicks": self.click,
            "messages": self.message,
        }


def day_number(moment: datetime | date | pd.Timestamp) -> int:
    """The UTC calendar day of ``moment`` as days since 1970-01-01 (naive = UTC).

    >>> day_number(date(1970, 1, 2)), day_number(datetime(2026, 1, 1, 23, 59))
    (1, 20454)
    """
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment = aware.astimezone(UTC).date()
    elif isinstance(moment, pd.Timestamp):
        moment = moment.date()
    return (moment - _EPOCH).days


def day_start(day: int) -> datetime:
    """Midnight UTC at the start of day number ``day``."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=int(day))


def day_labels(days: np.ndarray | pd.Series | list[int]) -> list[str]:
    """ISO dates (``YYYY-MM-DD``) of day numbers."""
    values = np.asarray(days, dtype="int64").astype("datetime64[D]")
    return np.datetime_as_string(values, unit="D").tolist()


@dataclass(frozen=True)
class ActivityLog:
    """Events reduced to what engagement metrics need (see the module docstring).

    Attributes
    ----------
    users : DataFrame
        One row per known user, row position = the user's code: ``user_id``,
        ``signup_day`` (float day number, NaN when unknown) and every user property.
    counts : DataFrame
        ``user`` (code), ``day``, ``event`` (name), ``n`` (events), one row per
        (user, day, event), sorted by day, user, event.
    sessions : DataFrame
        ``user``, ``day`` (of the session's first event), ``start_ms``, ``end_ms``,
        ``length_s`` (see the length rule), ``events`` and ``views``, ``likes``,
        ``clicks``, ``messages`` (counts of the :class:`EventNames`).
    first_day, last_day : int
        The days reported on (inclusive). Data may reach further back (``data_first_day``)
        so trailing windows (WAU, MAU, anomaly baselines) are complete.
    data_first_day : int
        The first day that was read.
    names : EventNames
    notes : tuple of str
        What a reader should know (events before signup, days cut from the window...).
    has_sessions : bool
        False when the log was read without sessions (``sessions`` is then empty).
    """

    users: pd.DataFrame
    counts: pd.DataFrame
    sessions: pd.DataFrame
    first_day: int
    last_day: int
    data_first_day: int
    names: EventNames
    notes: tuple[str, ...]
    has_sessions: bool = True

    @property
    def days(self) -> np.ndarray:
        """Every reported day number, first to last."""
        return np.arange(self.first_day, self.last_day + 1, dtype=np.int64)

    @property
    def event_names(self) -> list[str]:
        """The event names seen, sorted."""
        return sorted(self.counts["event"].unique().tolist())

    @functools.cached_property
    def user_days(self) -> pd.DataFrame:
        """``user``, ``day``: one row per user and day with at least one event."""
        pairs = self.counts[["user", "day"]].drop_duplicates()
        return pairs.sort_values(["user", "day"], kind="mergesort").reset_index(drop=True)

    def require_sessions(self) -> None:
        """Raise ValueError when the log was read without sessions (a programming error)."""
        if not self.has_sessions:
            raise ValueError("this ActivityLog was read with sessions=False")

    def require_events(self) -> None:
        """Raise InsufficientData when the reported days hold no event at all."""
        reported = self.counts["day"].between(self.first_day, self.last_day)
        if not reported.any():
            raise InsufficientData(
                f"no events between {day_labels([self.first_day])[0]} and "
                f"{day_labels([self.last_day])[0]}",
                hint="widen --since/--until, or load a dataset with events.csv",
            )


def summarise_events(
    chunks: Iterable[pd.DataFrame],
    users: pd.DataFrame,
    *,
    first_day: int | None = None,
    last_day: int | None = None,
    data_first_day: int | None = None,
    names: EventNames | None = None,
    sessions: bool = True,
) -> ActivityLog:
    """Reduce event chunks to an :class:`ActivityLog`.

    Parameters
    ----------
    chunks : iterable of DataFrame
        Frames with columns ``user_id, at, event, value, session_id`` (``at`` a UTC
        datetime). Chunks must not share a UTC day (cut them at midnight).
    users : DataFrame
        ``user_id``, ``signup_at`` (UTC datetime or NaT) and properties, as
        ``store.users_table()`` returns.
    first_day, last_day : int, optional
        Days to report on (day numbers, inclusive). Default: the first and last day
        with an event; a requested range reaching past the data is cut to it (a note
        says so), because a day without data cannot be told from a day without users.
    data_first_day : int, optional
        The first day the chunks cover (for trailing windows); default ``first_day``.
    names : EventNames, optional
    sessions : bool
        Aggregate sessions too (retention and aha do not need them: faster).

    Returns
    -------
    ActivityLog

    Raises
    ------
    DataError
        If a chunk lacks a column.

    Example
    -------
    >>> signup = pd.Timestamp("2026-01-01", tz="UTC")
    >>> users = pd.DataFrame({"user_id": ["a"], "signup_at": [signup]})
    >>> events = pd.DataFrame({"user_id": ["a", "a"], "event": ["session", "view"],
    ...     "at": pd.to_datetime(["2026-01-01T10:00", "2026-01-01T10:01"], utc=True),
    ...     "value": [90.0, float("nan")], "session_id": ["s1", "s1"]})
    >>> log = summarise_events([events], users)
    >>> log.counts[["day", "event", "n"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'day': 20454, 'event': 'session', 'n': 1},
     {'day': 20454, 'event': 'view', 'n': 1}]
    >>> float(log.sessions["length_s"].iloc[0]), int(log.sessions["views"].iloc[0])
    (90.0, 1)
    """
    names = names or EventNames()
    users = _coded_users(users)
    reducer = _Reducer(pd.Index(users["user_id"]), names, sessions=sessions)
    for chunk in chunks:
        reducer.add(chunk)
    notes: list[str] = []
    if reducer.unknown_users:
        notes.append(
            f"{reducer.unknown_users} event(s) of users not in the users table were left out"
        )
    count_frame = reducer.counts()
    session_frame = reducer.sessions()
    data_days = count_frame["day"]
    data_first = int(data_days.min()) if len(data_days) else None
    data_last = int(data_days.max()) if len(data_days) else None
    first, last = _reported_range(first_day, last_day, data_first, data_last, notes)
    # History starts at the first day with data: earlier days would read as zero activity.
    if data_first is None:
        data_first_day = first
    elif data_first_day is None:
        data_first_day = min(first, data_first)
    else:
        data_first_day = max(data_first_day, data_first)
    notes.extend(_signup_notes(users, count_frame))
    return ActivityLog(
        users=users,
        counts=count_frame,
        sessions=session_frame,
        first_day=first,
        last_day=last,
        data_first_day=min(data_first_day, first),
        names=names,
        notes=tuple(notes),
        has_sessions=sessions,
    )


def _coded_users(users: pd.DataFrame) -> pd.DataFrame:
    if "user_id" not in users.columns:
        raise DataError("the users table has no user_id column")
    table = users.reset_index(drop=True).copy()
    table["user_id"] = table["user_id"].astype(str)
    if "signup_at" in table.columns:
        signup = pd.to_datetime(table["signup_at"], utc=True)
        table["signup_day"] = _epoch_ms(signup).astype("float64")
        table.loc[signup.isna(), "signup_day"] = np.nan
        table["signup_day"] = np.floor(table["signup_day"] / MS_PER_DAY)
        table = table.drop(columns="signup_at")
    else:
        table["signup_day"] = np.nan
    front = ["user_id", "signup_day"]
    return table[front + [c for c in table.columns if c not in front]]


def _epoch_ms(stamps: pd.Series) -> np.ndarray:
    """Milliseconds since the epoch (UTC) of a datetime Series; NaT gives a sentinel."""
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = pd.to_datetime(stamps, utc=True)
    naive = stamps.dt.tz_convert(None).to_numpy()
    return naive.astype("datetime64[ms]").astype(np.int64)


# One int64 key per (user, day, event): user in the top 29 bits, the day (offset so
# every four-digit year is positive) in the next 22, the event's code in the last 12.
_DAY_BASE = -800_000
_DAY_BITS, _EVENT_BITS = 22, 12
_MAX_USERS, _MAX_EVENT_NAMES = 2**29, 2**_EVENT_BITS
_SESSION_FLAGS = ("views", "likes", "clicks", "messages")


class _Reducer:
    """Accumulates chunk aggregates with NumPy: grouping strings at 10M rows is slow."""

    def __init__(self, user_index: pd.Index, names: EventNames, *, sessions: bool) -> None:
        if len(user_index) >= _MAX_USERS:
            raise DataError(f"{len(user_index)} users: at most {_MAX_USERS - 1} are supported")
        self.user_index = user_index
        self.names = names
        self.with_sessions = sessions
        self.vocabulary: dict[str, int] = {}
        self.unknown_users = 0
        self.keys: list[np.ndarray] = []
        self.counts_n: list[np.ndarray] = []
        self.session_parts: list[dict[str, np.ndarray]] = []

    def add(self, chunk: pd.DataFrame) -> None:
        missing = [c for c in EVENT_COLUMNS if c not in chunk.columns]
        if missing:
            raise DataError(
                f"events lack column(s) {', '.join(missing)}",
                expected="user_id, at, event, value, session_id",
            )
        if chunk.empty:
            return
        user = self.user_index.get_indexer(pd.Index(chunk["user_id"]))
        known = user >= 0
        if not known.all():
            self.unknown_users += int((~known).sum())
            chunk, user = chunk[known], user[known]
            if chunk.empty:
                return
        at_ms = _epoch_ms(chunk["at"])
        day = at_ms // MS_PER_DAY
        event = self._event_codes(chunk["event"])
        key = (
            (user.astype(np.int64) << (_DAY_BITS + _EVENT_BITS))
            | ((day - _DAY_BASE) << _EVENT_BITS)
            | event
        )
        unique, n = np.unique(key, return_counts=True)
        self.keys.append(unique)
        self.counts_n.append(n)
        if not self.with_sessions:
            return
        has = chunk["session_id"].notna().to_numpy()
        if has.any():
            self.session_parts.append(self._session_part(chunk, user, at_ms, event, has))

    def _event_codes(self, events: pd.Series) -> np.ndarray:
        codes, uniques = pd.factorize(events)
        mapping = np.empty(len(uniques), dtype=np.int64)
        for position, name in enumerate(uniques):
            mapping[position] = self.vocabulary.setdefault(str(name), len(self.vocabulary))
        if len(self.vocabulary) > _MAX_EVENT_NAMES:
            raise DataError(
                f"more than {_MAX_EVENT_NAMES} distinct event names",
                expected="a few event kinds (session, view, like, ...)",
                hint="put free text in another column; `event` names a kind of action",
            )
        return mapping[codes]

    def _session_part(
        self,
        chunk: pd.DataFrame,
        user: np.ndarray,
        at_ms: np.ndarray,
        event: np.ndarray,
        has: np.ndarray,
    ) -> dict[str, np.ndarray]:
        # A session is (user, session_id). Ids are numbered per chunk (factorize: fast)
        # and renumbered once over all chunks in sessions(), for sessions spanning chunks.
        codes, ids = pd.factorize(chunk["session_id"].to_numpy()[has])
        session_user = user[has].astype(np.int64)
        kind = event[has]
        value = pd.to_numeric(chunk["value"], errors="coerce").to_numpy(dtype=float)[has]
        part = {
            "key": session_user * max(len(ids), 1) + codes,
            "user": session_user,
            "session": codes,
            "start_ms": at_ms[has],
            "end_ms": at_ms[has],
            "session_value": np.where(kind == self._code(self.names.session), value, np.nan),
            "events": np.ones(int(has.sum()), dtype=np.int64),
        }
        for column, name in self.names.session_counts().items():
            part[column] = (kind == self._code(name)).astype(np.int64)
        reduced = _reduce_sessions(part)
        reduced["session"] = np.asarray(ids, dtype=object)[reduced["session"]]
        return reduced

    def _code(self, name: str) -> int:
        return self.vocabulary.get(name, -1)

    def counts(self) -> pd.DataFrame:
        """``user, day, event, n``, sorted by user, day, event."""
        keys = np.concatenate(self.keys) if self.keys else np.empty(0, dtype=np.int64)
        n = np.concatenate(self.counts_n) if self.counts_n else np.empty(0, dtype=np.int64)
        # Renumber events alphabetically, so the order never depends on which came first.
        names = sorted(self.vocabulary)
        renumber = np.empty(max(len(names), 1), dtype=np.int64)
        renumber[[self.vocabulary[name] for name in names]] = np.arange(len(names))
        event_mask = _MAX_EVENT_NAMES - 1
        keys = (keys & ~event_mask) | renumber[keys & event_mask]
        order = np.argsort(keys, kind="stable")
        keys, n = keys[order], n[order]
        if len(keys) and (keys[1:] == keys[:-1]).any():  # chunks sharing a day
            first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
            keys, n = keys[first], np.add.reduceat(n, first)
        event = pd.Categorical.from_codes(
            (keys & event_mask).astype(np.int32), categories=pd.Index(names)
        )
        return pd.DataFrame(
            {
                "user": (keys >> (_DAY_BITS + _EVENT_BITS)).astype(np.int32),
                "day": (((keys >> _EVENT_BITS) & (2**_DAY_BITS - 1)) + _DAY_BASE).astype(np.int32),
                "event": event,
                "n": n.astype(np.int64),
            }
        )

    def sessions(self) -> pd.DataFrame:
        """One row per session, by start time (ties by user, then the other columns)."""
        columns = ["user", "day", "start_ms", "end_ms", "length_s", "events", *_SESSION_FLAGS]
        if not self.session_parts:
            empty = pd.DataFrame({c: pd.Series(dtype=np.int64) for c in columns})
            return empty.astype({"length_s": float})
        parts = {
            c: np.concatenate([p[c] for p in self.session_parts]) for c in self.session_parts[0]
        }
        codes, ids = pd.factorize(parts["session"])
        parts["key"] = parts["user"] * max(len(ids), 1) + codes
        merged = _reduce_sessions(parts)
        span = (merged["end_ms"] - merged["start_ms"]) / 1000.0
        value = merged["session_value"]
        data = {
            "user": merged["user"].astype(np.int32),
            "day": (merged["start_ms"] // MS_PER_DAY).astype(np.int32),
            "start_ms": merged["start_ms"],
            "end_ms": merged["end_ms"],
            "length_s": np.where(np.isnan(value), span, value),
            "events": merged["events"],
            **{c: merged[c] for c in _SESSION_FLAGS},
        }
        # Sorted on every column (last key first), so the order never depends on how
        # a store broke ties between events of the same millisecond.
        order = np.lexsort([data[name] for name in reversed(("start_ms", "user", *data))])
        del merged
        return pd.DataFrame({name: values[order] for name, values in data.items()})


def _reduce_sessions(part: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows (or partial sessions) with equal ``key`` folded into one per session."""
    # Rows of one key agree on user and session, so an unstable (faster) sort is fine.
    order = np.argsort(part["key"])
    key = part["key"][order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.empty(0, int)
    out = {"key": key[first]}
    out.update({c: part[c][order[first]] for c in ("user", "session")})
    out["start_ms"] = np.minimum.reduceat(part["start_ms"][order], first)
    out["end_ms"] = np.maximum.reduceat(part["end_ms"][order], first)
    out["session_value"] = np.fmax.reduceat(part["session_value"][order], first)  # NaN-skipping
    for column in ("events", *_SESSION_FLAGS):
        out[column] = np.add.reduceat(part[column][order], first)
    return out


def _reported_range(
    first_day: int | None,
    last_day: int | None,
    data_first: int | None,
    data_last: int | None,
    notes: list[str],
) -> tuple[int, int]:
    if first_day is not None and last_day is not None and first_day > last_day:
        raise ConfigError("--since must be earlier than --until")
    if data_first is None or data_last is None:
        if first_day is None or last_day is None:
            today = day_number(datetime.now(UTC))
            return (first_day if first_day is not None else today,
                    last_day if last_day is not None else today)  # fmt: skip
        return first_day, last_day
    first = data_first if first_day is None else first_day
    last = data_last if last_day is None else last_day
    if last > data_last:
        notes.append(
            f"no events after {day_labels([data_last])[0]}: the series ends there "
            "(a day without data cannot be told from a day without users)"
        )
        last = max(data_last, first)
    if first < data_first and first_day is not None:
        notes.append(f"no events before {day_labels([data_first])[0]}: the series starts there")
        first = min(data_first, last)
    return first, last


def _signup_notes(users: pd.DataFrame, counts: pd.DataFrame) -> list[str]:
    if counts.empty:
        return []
    signup = users["signup_day"].to_numpy()[counts["user"].to_numpy()]
    early = counts["n"].to_numpy()[counts["day"].to_numpy() < signup]
    if early.size == 0:
        return []
    return [
        f"{int(early.sum())} event(s) fall on a day before their user's signup day: "
        "they count in daily metrics but not in retention or aha windows"
    ]
