"""Engagement use cases: metrics, retention, anomalies, aha moments, graph position.

Each opens the store and reduces its events into an
:class:`~graphkit.engagement.eventlog.ActivityLog` with DuckDB (memory stays bounded by the
aggregates, not by the number of events): the embedded store's ``events.parquet`` is read
by DuckDB directly; other stores (Neo4j) hand their events over a week at a time. The
log goes to :mod:`graphkit.engagement`.

Time options are UTC dates: ``since`` is the first day reported, ``until`` the first day
*not* reported (half-open, like the subgraph options). Trailing windows (MAU, anomaly
baselines) read the days before ``since`` as history when the store has them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

import pandas as pd

from graphkit.config import Settings
from graphkit.engagement.activity import MAU_DAYS, ActivityMetrics, Transform, activity_metrics
from graphkit.engagement.activity import engagement_scores as score_users
from graphkit.engagement.aha_moments import (
    DEFAULT_ACTION_DAYS,
    DEFAULT_CHURN_GAP,
    DEFAULT_MAX_K,
    DEFAULT_MIN_USERS,
    DEFAULT_RETENTION_DAY,
    DEFAULT_RETENTION_WINDOW,
    EVENT_PREFIX,
    GRAPH_ACTIONS,
    AhaPopulation,
    AhaResult,
    action_label,
    aha_population,
    early_event_counts,
    find_aha,
    graph_action_counts,
)
from graphkit.engagement.anomaly_detection import (
    DEFAULT_K,
    DEFAULT_MIN_HISTORY,
    DEFAULT_WINDOW,
    FORECAST_DAYS,
    AnomalyReport,
    Rule,
    check_band,
    check_metric,
    detect_anomalies,
)
from graphkit.engagement.cohorts import (
    DEFAULT_DAYS,
    DEFAULT_WEEKS,
    Period,
    RetentionTable,
    retention_table,
)
from graphkit.engagement.eventlog import (
    ActivityLog,
    EventNames,
    day_number,
    day_start,
    summarise_events,
    summarise_parquet,
)
from graphkit.engagement.network_position import PositionCorrelation, engagement_vs_position
from graphkit.engagement.segments import GRAPH_SEGMENTS, segment_users
from graphkit.errors import ConfigError
from graphkit.graph.features import GRAPH_FEATURES, user_features
from graphkit.store import GraphStore
from graphkit.store.base import EdgeFilter, ProgressCallback
from graphkit.store.local_store import LocalStore
from graphkit.workflows.network import opened_store

CHUNK_DAYS = 7
"""Events are read a week at a time: one week of 10M events/quarter is ~0.8M rows."""


# ----------------------------------------------------------------------------- reading


def read_activity(
    store: GraphStore,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    history_days: int = 0,
    names: EventNames | None = None,
    sessions: bool = True,
    progress: ProgressCallback | None = None,
) -> ActivityLog:
    """Read the store's events for ``[since, until)`` (plus history) into an ActivityLog.

    ``history_days`` days before ``since`` are read too, for trailing windows;
    ``sessions=False`` skips the session aggregates (retention and aha need none).
    """
    if since is not None and until is not None and since >= until:
        raise ConfigError("--since must be earlier than --until")
    users = store.users_table()
    first_day = None if since is None else day_number(since)
    last_day = None if until is None else day_number(until - timedelta(microseconds=1))
    scan_from = None if first_day is None else first_day - history_days
    if isinstance(store, LocalStore):
        # The embedded store's events are one Parquet file: DuckDB reduces it directly,
        # without the events ever becoming a pandas frame (read-only: the file stays
        # the store's).
        if progress:
            progress("events", 0, 1)
        log = summarise_parquet(
            store.events_path,
            users,
            first_day=first_day,
            last_day=last_day,
            data_first_day=scan_from,
            names=names,
            sessions=sessions,
        ) if store.events_path.exists() else summarise_events(
            [], users, first_day=first_day, last_day=last_day, data_first_day=scan_from,
            names=names, sessions=sessions,
        )  # fmt: skip
        if progress:
            progress("events", 1, 1)
        return log
    # Other stores (Neo4j) are read a week at a time: memory holds one week of events.
    return summarise_events(
        _event_chunks(store, users, scan_from, last_day, progress),
        users,
        first_day=first_day,
        last_day=last_day,
        data_first_day=scan_from,
        names=names,
        sessions=sessions,
    )


def _event_chunks(
    store: GraphStore,
    users: pd.DataFrame,
    first_day: int | None,
    last_day: int | None,
    progress: ProgressCallback | None,
) -> Iterator[pd.DataFrame]:
    """Events in day-aligned weekly windows.

    The store cannot say where its events start or end, so open ends are bounded by
    the users' signup days: one window before the first signup (events there precede
    every user and are normally absent), weekly windows up to a week after the last
    signup, and one open window after that.
    """
    signups = pd.to_datetime(users.get("signup_at", pd.Series(dtype=object)), utc=True).dropna()
    lower, upper = first_day, None if last_day is None else last_day + 1
    if lower is None:
        if signups.empty:
            yield store.events(until=None if upper is None else day_start(upper))
            return
        lower = day_number(signups.min())
        if upper is None or lower < upper:
            yield store.events(until=day_start(lower))
    open_end = upper is None
    if upper is None:
        last_signup = day_number(signups.max()) if not signups.empty else lower
        upper = max(last_signup, lower) + CHUNK_DAYS
    starts = list(range(lower, upper, CHUNK_DAYS))
    for done, start in enumerate(starts, 1):
        yield store.events(since=day_start(start), until=day_start(min(start + CHUNK_DAYS, upper)))
        if progress:
            progress("events", done, len(starts))
    if open_end:
        yield store.events(since=day_start(upper))


# ----------------------------------------------------------------------------- features


# ----------------------------------------------------------------------------- use cases


def engagement_metrics(
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    ctr_event: str | None = None,
    weights: Mapping[str, float] | None = None,
    transform: Transform = "log1p",
    names: EventNames | None = None,
    progress: ProgressCallback | None = None,
) -> ActivityMetrics:
    """DAU/WAU/MAU, stickiness, new vs returning, CTR, sessions and engagement scores."""
    with opened_store(settings) as store:
        log = read_activity(
            store,
            since=since,
            until=until,
            history_days=MAU_DAYS - 1,
            names=names,
            progress=progress,
        )
    return activity_metrics(log, ctr_event=ctr_event, weights=weights, transform=transform)


def engagement_retention(
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    days: Sequence[int] = DEFAULT_DAYS,
    period: Period = "day",
    weeks: int = DEFAULT_WEEKS,
    by: str | None = None,
    cohorts: bool = True,
    features_path: Path | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[RetentionTable, tuple[str, ...]]:
    """The retention table, and notes on where segment features came from."""
    notes: tuple[str, ...] = ()
    with opened_store(settings) as store:
        log = read_activity(store, since=since, until=until, sessions=False, progress=progress)
        segment = None
        if by is not None:
            users = log.users
            features = None
            wants_graph = by in GRAPH_SEGMENTS or by in GRAPH_FEATURES
            if wants_graph and (features_path is not None or by not in users.columns):
                needed = ["degree"] if by == "degree_bucket" else [by]
                found = user_features(store, needed, path=features_path)
                features, notes = found.table, (found.source,)
            segment = segment_users(users, by, features)
    result = retention_table(
        log, days=days, period=period, weeks=weeks, segment=segment, cohorts=cohorts
    )
    return result, notes


def engagement_anomalies(
    settings: Settings,
    *,
    metric: str = "dau",
    rule: Rule = "sigma",
    k: float | None = None,
    window: int = DEFAULT_WINDOW,
    min_history: int = DEFAULT_MIN_HISTORY,
    since: datetime | None = None,
    until: datetime | None = None,
    ctr_event: str | None = None,
    progress: ProgressCallback | None = None,
) -> AnomalyReport:
    """Flag anomalous days of a daily metric (history before ``since`` is read too)."""
    check_metric(metric)
    if rule not in DEFAULT_K:
        raise ConfigError(f"unknown rule {rule!r}", hint="use sigma or iqr")
    check_band(rule, DEFAULT_K[rule] if k is None else k, window, min_history)
    # Each day's band needs `window` earlier forecast errors, each forecast up to
    # FORECAST_DAYS of history; the metric itself may need more (WAU, MAU).
    history = window + FORECAST_DAYS
    history += MAU_DAYS - 1 if metric in ("wau", "mau", "stickiness") else 0
    with opened_store(settings) as store:
        log = read_activity(
            store, since=since, until=until, history_days=history, progress=progress
        )
    return detect_anomalies(
        log,
        metric,
        rule=rule,
        k=k,
        window=window,
        min_history=min_history,
        ctr_event=ctr_event,
    )


def engagement_aha(
    settings: Settings,
    *,
    action: str = "connections",
    action_days: int = DEFAULT_ACTION_DAYS,
    retention_day: int = DEFAULT_RETENTION_DAY,
    retention_window: int = DEFAULT_RETENTION_WINDOW,
    max_k: int = DEFAULT_MAX_K,
    min_users: int = DEFAULT_MIN_USERS,
    churn_gap: int = DEFAULT_CHURN_GAP,
    types: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> AhaResult:
    """Sweep thresholds of an early action against retention; follow the sweet spot up."""
    action_label(action)  # refuse an unknown action before reading anything
    if types is not None and action not in GRAPH_ACTIONS:
        raise ConfigError("--type filters interactions: use it with a graph action")
    with opened_store(settings) as store:
        log = read_activity(store, since=since, until=until, sessions=False, progress=progress)
        population = aha_population(
            log,
            action_days=action_days,
            retention_day=retention_day,
            retention_window=retention_window,
        )
        if action.startswith(EVENT_PREFIX):
            counts = early_event_counts(log, population, action[len(EVENT_PREFIX) :])
        else:
            counts = early_graph_counts(store, population, action, types=types)
    return find_aha(population, counts, action=action, max_k=max_k, min_users=min_users,
                    churn_gap=churn_gap)  # fmt: skip


def early_graph_counts(
    store: GraphStore,
    population: AhaPopulation,
    action: str,
    *,
    types: Sequence[str] | None = None,
) -> pd.Series:
    """``connections`` or ``received`` per population user in their first days.

    Users who signed up the same day share one window, so the store is asked once per
    signup day (the pairs are aggregated by the store: Cypher in Neo4j).
    """
    parts = []
    for signup_day, group in population.table.groupby("signup_day"):
        ids = group["user_id"].tolist()
        first = int(cast(int, signup_day))
        window = EdgeFilter(
            since=day_start(first),
            until=day_start(first + population.action_days),
            types=None if types is None else tuple(types),
        )
        edges = store.aggregate_edges(window, directed=action == "received", touching=ids)
        parts.append(graph_action_counts(edges, ids, action))
    return pd.concat(parts) if parts else pd.Series(dtype="int64")


def engagement_position(
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    weights: Mapping[str, float] | None = None,
    transform: Transform = "log1p",
    features_path: Path | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[PositionCorrelation, tuple[str, ...]]:
    """Correlate engagement scores with degree, PageRank and community."""
    with opened_store(settings) as store:
        log = read_activity(store, since=since, until=until, progress=progress)
        log.require_events()
        # Correlated with every feature found; degree, PageRank and community are needed.
        found = user_features(
            store, ["degree", "pagerank", "community"], path=features_path, compute=GRAPH_FEATURES
        )
    scores = score_users(log, weights=weights, transform=transform)
    result = engagement_vs_position(scores.table, found.table)
    return result, (found.source, *log.notes, *scores.notes)
