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
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphkit.errors import DataError, InsufficientData, ParameterError

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
        (user, day, event), sorted by user, day, event (``user_days`` relies on it).
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
        """``user``, ``day``: one row per user and day with at least one event, sorted."""
        # ``counts`` is sorted by user, day, event: a pair starts where user or day changes
        # (no hashing or sorting of millions of rows).
        user = self.counts["user"].to_numpy()
        day = self.counts["day"].to_numpy()
        starts = np.ones(len(user), dtype=bool)
        starts[1:] = (user[1:] != user[:-1]) | (day[1:] != day[:-1])
        return pd.DataFrame({"user": user[starts], "day": day[starts]})

    def event_code(self, name: str) -> int | None:
        """The position of event ``name`` among ``counts["event"]``'s categories (None if
        it never occurs)."""
        categories = self.counts["event"].cat.categories
        return categories.tolist().index(name) if name in categories else None

    def event_totals(self, by: np.ndarray, size: int, *, first: int, last: int) -> np.ndarray:
        """Events per (group, event name) on days ``first .. last``: a ``size`` × (number
        of event names) int64 array, where ``by`` (one integer in ``0 .. size - 1`` per
        row of ``counts``) says the group of each row."""
        day = self.counts["day"].to_numpy()
        width = len(self.counts["event"].cat.categories)
        # Built in place in one array (no filtered copies of millions of rows): rows
        # outside the days go to one extra cell, dropped at the end.
        cell = by.astype(np.int64)
        cell *= width
        cell += self.counts["event"].cat.codes.to_numpy()
        cell[(day < first) | (day > last)] = size * width
        # Float weights hold integer sums exactly below 2**53 events.
        weights = self.counts["n"].to_numpy().astype(np.float64)
        totals = np.bincount(cell, weights=weights, minlength=size * width + 1)
        return totals[:-1].astype(np.int64).reshape(size, width)

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
                hint="widen the since/until period, or load a dataset with events.csv",
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
    reducer = _Reducer(users, names, sessions=sessions)
    try:
        for chunk in chunks:
            reducer.add_frame(chunk)
        return _activity_log(reducer, users, names, first_day, last_day, data_first_day)
    finally:
        reducer.close()


def summarise_parquet(
    path: str | Path,
    users: pd.DataFrame,
    *,
    first_day: int | None = None,
    last_day: int | None = None,
    data_first_day: int | None = None,
    names: EventNames | None = None,
    sessions: bool = True,
) -> ActivityLog:
    """:func:`summarise_events` straight from a Parquet file of events (the embedded
    store's ``events.parquet``), read by DuckDB without loading the events into pandas.

    Only days ``data_first_day`` (default ``first_day``) to ``last_day`` are read.
    """
    names = names or EventNames()
    users = _coded_users(users)
    scan_from = first_day if data_first_day is None else data_first_day
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(path).metadata.num_rows  # the footer only: no data read
    reducer = _Reducer(users, names, sessions=sessions, events=rows)
    try:
        reducer.add_parquet(
            str(path),
            None if scan_from is None else scan_from * MS_PER_DAY,
            None if last_day is None else (last_day + 1) * MS_PER_DAY,
        )
        return _activity_log(reducer, users, names, first_day, last_day, data_first_day)
    finally:
        reducer.close()


def _activity_log(
    reducer: _Reducer,
    users: pd.DataFrame,
    names: EventNames,
    first_day: int | None,
    last_day: int | None,
    data_first_day: int | None,
) -> ActivityLog:
    notes: list[str] = []
    # Sessions first: their reduction needs the most memory, and the counts are not held yet.
    session_frame = reducer.sessions()
    count_frame = reducer.counts()  # it counts the events of unknown users
    if reducer.unknown_users:
        notes.append(
            f"{reducer.unknown_users} event(s) of users not in the users table were left out"
        )
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
        has_sessions=reducer.with_sessions,
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


_SESSION_FLAGS = ("views", "likes", "clicks", "messages")
SESSION_COLUMNS = ["user", "day", "start_ms", "end_ms", "length_s", "events", *_SESSION_FLAGS]


# The reduction, in DuckDB SQL (an out-of-core engine: it streams a Parquet file or an
# Arrow chunk without holding the events, and spills to disk past its memory limit).
# `source` is any relation with the event columns (``at_ms`` for the time); `users` maps
# user_id to its code and `event_codes` event names to numbers, so that only integers
# come back to Python (strings would cost a Python object per row).
def _day(column: str) -> str:
    """SQL for the UTC day number of a column of epoch milliseconds."""
    return f"CAST(floor({column} / 86400000.0) AS INTEGER)"


_DAY = _day("at_ms")
_EVENT_NAMES = "SELECT DISTINCT CAST(event AS VARCHAR) FROM {source} WHERE event IS NOT NULL"
_DAY_RANGE = f"SELECT min({_DAY}), max({_DAY}) FROM {{source}}"
_PARTIAL_COUNTS = f"""
SELECT u.code AS "user", e.day, c.code AS event, e.n
FROM (
    SELECT CAST(user_id AS VARCHAR) AS user_id, {_DAY} AS day, CAST(event AS VARCHAR) AS event,
           count(*) AS n
    FROM {{source}} GROUP BY ALL
) AS e LEFT JOIN users AS u ON e.user_id = u.user_id
JOIN event_codes AS c ON e.event = c.event
"""
_PARTIAL_SESSIONS = """
SELECT u.code AS "user", e.* EXCLUDE (user_id)
FROM (
    SELECT CAST(user_id AS VARCHAR) AS user_id, CAST(session_id AS VARCHAR) AS session_id,
           min(at_ms) AS start_ms, max(at_ms) AS end_ms,
           max(CASE WHEN event = $session AND NOT isnan(value) THEN value END)
               AS session_value,
           count(*) AS events,
           count(*) FILTER (WHERE event = $view) AS views,
           count(*) FILTER (WHERE event = $like) AS likes,
           count(*) FILTER (WHERE event = $click) AS clicks,
           count(*) FILTER (WHERE event = $message) AS messages
    FROM {source} WHERE session_id IS NOT NULL GROUP BY ALL
) AS e JOIN users AS u ON e.user_id = u.user_id
"""
# A single source (the embedded store's Parquet file) is counted by sorting one integer
# per event, (user code, day, event name) packed so that sorted keys are in the final
# order: NumPy sorts 10M integers in a fraction of the time a hash aggregate on
# (user, day, event) takes in DuckDB. Unknown users get code $unknown (past every known
# one), so their keys sort last.
# The day range comes from the file's statistics; a day outside it would pack into a
# neighbouring user's key and be miscounted silently, so it stops the query instead.
_EVENT_KEYS = f"""
SELECT (coalesce(u.code, $unknown)::BIGINT * $span
        + CASE WHEN e.day BETWEEN $first AND $first + $span - 1 THEN e.day - $first
               ELSE error('an event day lies outside the Parquet statistics of its file') END)
       * $width + o.sorted
FROM (
    SELECT CAST(user_id AS VARCHAR) AS user_id, {_DAY} AS day, CAST(event AS VARCHAR) AS event
    FROM {{source}} WHERE event IS NOT NULL
) AS e LEFT JOIN users AS u ON e.user_id = u.user_id
JOIN event_order AS o ON e.event = o.event
"""
# Partial aggregates of chunks that share a day or a session fold into one row (with a
# single source, the partial rows are already final).
_FINAL_COUNTS = """
SELECT p."user", p.day, o.sorted AS event, p.n
FROM ({partial}) AS p JOIN event_order AS o ON p.event = o.code
ORDER BY p."user" NULLS LAST, p.day, o.sorted
"""
_FOLDED_COUNTS = 'SELECT "user", day, event, sum(n)::BIGINT AS n FROM partial_counts GROUP BY ALL'
# Counts travel as INTEGER (an overflow would fail loudly) and the day is left to NumPy:
# a narrower result costs less memory to hand over (a third less).
_FINAL_SESSIONS = """
SELECT "user", start_ms, end_ms,
       coalesce(session_value, (end_ms - start_ms) / 1000.0) AS length_s,
       CAST(events AS INTEGER) AS events, CAST(views AS INTEGER) AS views,
       CAST(likes AS INTEGER) AS likes, CAST(clicks AS INTEGER) AS clicks,
       CAST(messages AS INTEGER) AS messages
FROM ({partial})
"""
_FOLDED_SESSIONS = """
SELECT "user", min(start_ms) AS start_ms, max(end_ms) AS end_ms,
       max(session_value) AS session_value, sum(events)::BIGINT AS events,
       sum(views)::BIGINT AS views, sum(likes)::BIGINT AS likes,
       sum(clicks)::BIGINT AS clicks, sum(messages)::BIGINT AS messages
FROM partial_sessions GROUP BY "user", session_id
"""
FETCH_ROWS = 1_000_000
"""Rows per Arrow batch fetched from DuckDB."""
DUCKDB_MEMORY_LIMIT = "384MB"
"""DuckDB's working-memory cap for up to ~16M events; past it, it spills to a temporary
folder. Larger Parquet sources get :data:`DUCKDB_BYTES_PER_EVENT` per event. (The session
aggregate of 10M events fits in 384MB on one thread; with 256MB it spilled to disk, which
cost about a fifth more CPU.)"""
DUCKDB_THREADS = 1
"""DuckDB's worker threads. One: on the 2-core machine shared with other work that the
benchmark runs on, two threads used as much CPU and took longer (a busy core stalls the
other at every pipeline barrier); see README, Performance."""
DUCKDB_BYTES_PER_EVENT = 24
"""Working memory per event of a large Parquet source: some of DuckDB's operators (the
session aggregate, at 100M events) cannot spill below this, and stop out of memory."""
DUCKDB_MAX_MEMORY = 4 * 1024**3


def memory_limit(events: int | None) -> str:
    """DuckDB's working-memory cap for a source of ``events`` rows (None: unknown).

    >>> memory_limit(None), memory_limit(10_000_000), memory_limit(100_000_000)
    ('384MB', '384MB', '2288MB')
    """
    floor = int(DUCKDB_MEMORY_LIMIT.removesuffix("MB")) * 1024**2
    wanted = min(max(floor, (events or 0) * DUCKDB_BYTES_PER_EVENT), DUCKDB_MAX_MEMORY)
    return f"{wanted // 1024**2}MB"


class _Reducer:
    """Folds event sources (Parquet files or frames) into counts and sessions, in DuckDB."""

    def __init__(
        self, users: pd.DataFrame, names: EventNames, *, sessions: bool, events: int | None = None
    ) -> None:
        import duckdb

        self.names = names
        self.with_sessions = sessions
        self.unknown_users = 0
        self.sources = 0
        # A single Parquet source is aggregated once, straight into the final (sorted)
        # rows: no partial tables written and read back.
        self.direct: str | None = None
        self.vocabulary: dict[str, int] = {}
        self.day_range: tuple[int, int] | None = None  # bounds of the direct source's days
        self.known_users = len(users)
        self.direct_rows = 0  # the direct source's rows (window or not): an upper bound
        self.spill = tempfile.TemporaryDirectory(prefix="graphkit-duckdb-")
        # Every result is put in order (ORDER BY, or sorted in NumPy), so insertion order
        # need not be kept: without it DuckDB's operators can spill instead of running out
        # of memory (at 100M events the session aggregate did).
        self.db = duckdb.connect(
            config={
                "memory_limit": memory_limit(events),
                "temp_directory": self.spill.name,
                "preserve_insertion_order": False,
                "threads": DUCKDB_THREADS,
            }
        )
        codes = pd.DataFrame(
            {"code": np.arange(len(users), dtype=np.int32), "user_id": users["user_id"]}
        )
        self.db.register("user_codes", codes)
        self.db.execute("CREATE TEMP TABLE users AS SELECT * FROM user_codes")
        self.db.unregister("user_codes")
        self.db.execute("CREATE TEMP TABLE event_codes (event VARCHAR, code INTEGER)")
        self.params = {
            "session": names.session,
            "view": names.view,
            "like": names.like,
            "click": names.click,
            "message": names.message,
        }

    def add_frame(self, chunk: pd.DataFrame) -> None:
        missing = [c for c in EVENT_COLUMNS if c not in chunk.columns]
        if missing:
            raise DataError(
                f"events lack column(s) {', '.join(missing)}",
                expected="user_id, at, event, value, session_id",
            )
        if chunk.empty:
            return
        frame = pd.DataFrame(
            {
                "user_id": chunk["user_id"].astype(str),
                "at_ms": _epoch_ms(chunk["at"]),
                "event": chunk["event"].astype(str),
                "value": pd.to_numeric(chunk["value"], errors="coerce").astype(float),
                "session_id": chunk["session_id"].astype(object),
            }
        )
        self.db.register("chunk", frame)
        try:
            self._add("chunk")
        finally:
            self.db.unregister("chunk")

    def add_parquet(self, path: str, since_ms: int | None, until_ms: int | None) -> None:
        """Events of the Parquet file at ``path`` with ``since <= at < until`` (ms)."""
        # A view, so every query below streams the file (nothing is materialised); the
        # path comes from the store and the bounds are integers we computed.
        window = self.db.read_parquet(path).project(
            'user_id, epoch_ns("at") // 1000000 AS at_ms, event, value, session_id'
        )
        if since_ms is not None:
            window = window.filter(f"at_ms >= {int(since_ms)}")
        if until_ms is not None:
            window = window.filter(f"at_ms < {int(until_ms)}")
        if self.sources == 0:
            window.create_view("events_window")
            self._add_names("events_window")
            self.direct, self.sources = "events_window", 1
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(path).metadata  # the footer only: no data read
            self.direct_rows = meta.num_rows
            self.day_range = _days_of(meta) or self._day_range("events_window")
            return
        view = f"events_window_{self.sources}"
        window.create_view(view)
        self._add(view)
        self.db.execute(f"DROP VIEW {view}")

    def _add(self, source: str) -> None:
        if self.direct is not None:  # a second source: fold the first into partial tables
            direct, self.direct, self.sources = self.direct, None, 0
            self._add(direct)
        self._add_names(source)
        verb = "INSERT INTO {table} " if self.sources else "CREATE TEMP TABLE {table} AS "
        self.db.execute(verb.format(table="partial_counts") + _PARTIAL_COUNTS.format(source=source))
        # Events of users not in the users table (the LEFT JOIN's NULL codes): counted for
        # a note, then dropped.
        self.unknown_users += self._one(
            'SELECT coalesce(sum(n), 0) FROM partial_counts WHERE "user" IS NULL'
        )
        self.db.execute('DELETE FROM partial_counts WHERE "user" IS NULL')
        if self.with_sessions:
            self.db.execute(
                verb.format(table="partial_sessions") + _PARTIAL_SESSIONS.format(source=source),
                self.params,
            )
        self.sources += 1

    def _add_names(self, source: str) -> None:
        """Give every event name of ``source`` a code (in order of discovery)."""
        for (name,) in self.db.execute(_EVENT_NAMES.format(source=source)).fetchall():
            if name not in self.vocabulary:
                self.vocabulary[name] = len(self.vocabulary)
                self.db.execute(
                    "INSERT INTO event_codes VALUES ($name, $code)",
                    {"name": name, "code": self.vocabulary[name]},
                )

    def _day_range(self, source: str) -> tuple[int, int] | None:
        ((first, last),) = self.db.execute(_DAY_RANGE.format(source=source)).fetchall()
        return None if first is None or last is None else (int(first), int(last))

    def _one(self, query: str) -> int:
        row = self.db.execute(query).fetchone()
        return int(row[0]) if row else 0

    def counts(self) -> pd.DataFrame:
        """``user, day, event, n``, sorted by user, day, event (names alphabetically)."""
        names = sorted(self.vocabulary)
        frame: dict[str, Any]
        if not self.sources:
            frame = {"user": [], "day": [], "event": [], "n": []}
        else:
            # Discovery codes -> alphabetical codes, so the order never depends on which
            # name came first.
            order = pd.DataFrame(
                {
                    "event": names,
                    "code": [self.vocabulary[name] for name in names],
                    "sorted": np.arange(len(names), dtype=np.int32),
                }
            )
            self.db.register("event_order_frame", order)
            self.db.execute("CREATE OR REPLACE TEMP TABLE event_order AS FROM event_order_frame")
            if self.direct is not None:
                frame = self._sorted_counts(len(names))
            else:  # partial tables (their unknown users were dropped as they came)
                partial = "FROM partial_counts" if self.sources == 1 else _FOLDED_COUNTS
                dtypes = {"user": np.int32, "day": np.int32, "event": np.int32, "n": np.int64}
                frame = self._fetch(_FINAL_COUNTS.format(partial=partial), {}, dtypes)
        # NumPy arrays straight from DuckDB, and no copy into the frame: at 10M events
        # every extra copy of these columns is ~100 MB of peak memory.
        return pd.DataFrame(
            {
                "user": np.asarray(frame["user"], dtype=np.int32),
                "day": np.asarray(frame["day"], dtype=np.int32),
                "event": pd.Categorical.from_codes(
                    np.asarray(frame["event"], dtype=np.int32), categories=pd.Index(names)
                ),
                "n": np.asarray(frame["n"], dtype=np.int64),
            },
            copy=False,
        )

    def _sorted_counts(self, width: int) -> dict[str, np.ndarray]:
        """``user, day, event, n`` of the direct source, by sorting packed event keys
        (see :data:`_EVENT_KEYS`); events of unknown users are counted, then dropped."""
        if self.day_range is None:  # no event in the window
            return {name: np.zeros(0, dtype=np.int64) for name in ("user", "day", "event", "n")}
        first, last = self.day_range
        span = last - first + 1
        params = {"unknown": self.known_users, "span": span, "first": first, "width": width}
        keys = self._fetch_keys(_EVENT_KEYS.format(source=self.direct), params, self.direct_rows)
        keys.sort()
        # A run of equal keys is one (user, day, event): its length is the count.
        starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        starts = np.concatenate(([0], starts)) if len(keys) else starts
        n = np.diff(starts, append=len(keys))
        keys = keys[starts]
        del starts
        per_user = span * width
        known = int(np.searchsorted(keys, self.known_users * per_user))
        self.unknown_users += int(n[known:].sum())
        keys, n = keys[:known], n[:known]
        return {
            "user": (keys // per_user).astype(np.int32),
            "day": (keys % per_user // width + first).astype(np.int32),
            "event": (keys % width).astype(np.int32),
            "n": n,
        }

    def sessions(self) -> pd.DataFrame:
        """One row per session, by start time (ties by user, then the other columns, so
        the order never depends on how a store broke ties between events)."""
        if not self.sources or not self.with_sessions:
            empty = pd.DataFrame({c: pd.Series(dtype=np.int64) for c in SESSION_COLUMNS})
            return empty.astype({"user": np.int32, "day": np.int32, "length_s": float})
        if self.direct is not None:
            query = _FINAL_SESSIONS.format(partial=_PARTIAL_SESSIONS.format(source=self.direct))
            params: Mapping[str, str | int] = self.params
        else:
            partial = "FROM partial_sessions" if self.sources == 1 else _FOLDED_SESSIONS
            query, params = _FINAL_SESSIONS.format(partial=partial), {}
        dtypes = {"user": np.int32, "length_s": np.float64}
        columns = [c for c in SESSION_COLUMNS if c != "day"]
        data = self._fetch(query, params, {c: dtypes.get(c, np.int64) for c in columns})
        # The same day as _day() in SQL: the same double division, then floor.
        data["day"] = np.floor(data["start_ms"] / 86400000.0).astype(np.int32)
        order = session_order(data, self.known_users)
        return pd.DataFrame({c: data.pop(c)[order] for c in SESSION_COLUMNS}, copy=False)

    def _batches(self, query: str, params: Mapping[str, str | int]) -> Any:
        """The query's rows as a stream of Arrow record batches."""
        relation: Any = self.db.sql(query, params=params or None)
        # DuckDB 2 names it to_arrow_reader; 1.x record_batch.
        if hasattr(relation, "to_arrow_reader"):
            return relation.to_arrow_reader(FETCH_ROWS)
        return relation.record_batch(FETCH_ROWS)

    def _fetch(
        self, query: str, params: Mapping[str, str | int], dtypes: Mapping[str, Any]
    ) -> dict[str, np.ndarray]:
        """The query's columns as NumPy arrays of ``dtypes`` (by column name).

        The rows stream out of DuckDB as Arrow batches and become arrays one column at a
        time, each column's batches freed once converted: the result is never held twice
        (DuckDB's materialised copy next to NumPy's doubled the peak memory at 10M events).
        """
        import pyarrow as pa

        reader = self._batches(query, params)
        table = pa.Table.from_batches(list(reader), schema=reader.schema)
        del reader
        columns: dict[str, np.ndarray] = {}
        for name in table.column_names:
            # Copied chunk by chunk into an array NumPy owns: Arrow's concatenation would
            # come from its memory pool, which keeps freed memory (peak RSS).
            column = np.empty(table.num_rows, dtype=dtypes[name])
            filled = 0
            for chunk in table.column(name).chunks:
                column[filled : filled + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
                filled += len(chunk)
            columns[name] = column
            table = table.drop_columns([name])
        return columns

    def _fetch_keys(self, query: str, params: Mapping[str, str | int], rows: int) -> np.ndarray:
        """The query's one BIGINT column (at most ``rows`` rows), written batch by batch
        into one writable array: never an Arrow copy beside it."""
        keys = np.empty(rows, dtype=np.int64)
        filled = 0
        for batch in self._batches(query, params):
            values = batch.column(0).to_numpy()
            keys[filled : filled + len(values)] = values
            filled += len(values)
        return keys[:filled]

    def close(self) -> None:
        self.db.close()
        self.spill.cleanup()


def _days_of(meta: Any) -> tuple[int, int] | None:
    """Bounds of the UTC days of the ``at`` column of a Parquet file, from its row groups'
    statistics (None when a row group has none). One day wider on each side than the
    statistics say, so that no rounding of a time to milliseconds can fall outside."""
    if meta.num_rows == 0 or "at" not in meta.schema.names:
        return None
    column = meta.schema.names.index("at")
    lows, highs = [], []
    for group in range(meta.num_row_groups):
        stats = meta.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max or not isinstance(stats.min, datetime):
            return None
        lows.append(day_number(stats.min))
        highs.append(day_number(stats.max))
    return min(lows) - 1, max(highs) + 1


# After start and user (``day`` follows from the start).
_TIE_BREAKERS = ("end_ms", "length_s", "events", *_SESSION_FLAGS)


def session_order(sessions: Mapping[str, np.ndarray], users: int) -> np.ndarray:
    """Row order of sessions by ``start_ms``, ``user``, then every other column of
    :data:`SESSION_COLUMNS` in turn, so the order never depends on the engine's.

    Sorted in NumPy, not by DuckDB: an ORDER BY of 2M sessions needs as much memory again
    as their aggregation, and spilled to disk under the memory cap.

    >>> order = session_order({"start_ms": np.array([5, 3, 5]), "user": np.array([1, 0, 0]),
    ...     "day": np.zeros(3), "end_ms": np.array([9, 4, 7]), "length_s": np.zeros(3),
    ...     "events": np.ones(3), "views": np.ones(3), "likes": np.ones(3),
    ...     "clicks": np.ones(3), "messages": np.ones(3)}, users=2)
    >>> order.tolist()
    [1, 2, 0]
    """
    start = np.asarray(sessions["start_ms"], dtype=np.int64)
    user = np.asarray(sessions["user"], dtype=np.int64)
    if start.size == 0:
        return np.zeros(0, dtype=np.intp)
    low, span = int(start.min()), int(start.max()) - int(start.min()) + 1
    if span * max(users, 1) < 2**62:  # (start, user) packed into one integer: one sort
        key = (start - low) * max(users, 1) + user
        order = np.argsort(key)
        key = key[order]
        tied = key[1:] == key[:-1]
    else:
        order = np.lexsort((user, start))
        tied = (start[order][1:] == start[order][:-1]) & (user[order][1:] == user[order][:-1])
    if tied.any():
        # Sessions of one user starting in the same millisecond: the other columns decide.
        rows = np.zeros(len(order), dtype=bool)
        rows[:-1] |= tied
        rows[1:] |= tied
        group = order[rows]
        columns = [np.asarray(sessions[c])[group] for c in reversed(_TIE_BREAKERS)]
        order[rows] = group[np.lexsort((*columns, user[group], start[group]))]
    return order


def _reported_range(
    first_day: int | None,
    last_day: int | None,
    data_first: int | None,
    data_last: int | None,
    notes: list[str],
) -> tuple[int, int]:
    if first_day is not None and last_day is not None and first_day > last_day:
        raise ParameterError("since", "must be earlier than until")
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
