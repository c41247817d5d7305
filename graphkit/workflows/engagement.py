"""Engagement use cases: metrics, retention, anomalies, aha moments, graph position.

Each takes an opened store (the caller opens it once and closes it) and a settings
object from :mod:`graphkit.engagement.settings`, and reduces the store's events into an
:class:`~graphkit.engagement.eventlog.ActivityLog` with DuckDB (memory stays bounded by the
aggregates, not by the number of events): the embedded store's ``events.parquet`` is read
by DuckDB directly; other stores (Neo4j) hand their events over a week at a time. The
log goes to :mod:`graphkit.engagement`. The notebook API (``graphkit.engagement.metrics``
...) wraps these into results that print themselves.

Time options are UTC dates: ``since`` is the first day reported, ``until`` the first day
*not* reported (half-open, like the subgraph options). Trailing windows (MAU, anomaly
baselines) read the days before ``since`` as history when the store has them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

import pandas as pd

from graphkit.engagement.activity import MAU_DAYS, ActivityMetrics, activity_metrics
from graphkit.engagement.activity import engagement_scores as score_users
from graphkit.engagement.aha_moments import (
    EVENT_PREFIX,
    AhaPopulation,
    AhaResult,
    aha_population,
    early_event_counts,
    find_aha,
    graph_action_counts,
)
from graphkit.engagement.anomaly_detection import (
    FORECAST_DAYS,
    AnomalyReport,
    detect_anomalies,
    post_alert,
)
from graphkit.engagement.cohorts import RetentionTable, retention_table
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
from graphkit.engagement.settings import (
    AhaSettings,
    AnomaliesSettings,
    MetricsSettings,
    PositionSettings,
    RetentionSettings,
    check_period,
)
from graphkit.graph.features import GRAPH_FEATURES, user_features
from graphkit.store import GraphStore
from graphkit.store.base import EdgeFilter, ProgressCallback
from graphkit.store.local_store import LocalStore

if TYPE_CHECKING:
    from graphkit.engagement.results import AnomaliesResult

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
    check_period(since, until)
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
    store: GraphStore,
    settings: MetricsSettings | None = None,
    *,
    names: EventNames | None = None,
    progress: ProgressCallback | None = None,
) -> ActivityMetrics:
    """DAU/WAU/MAU, stickiness, new vs returning, CTR, sessions and engagement scores."""
    settings = settings or MetricsSettings()
    log = read_activity(
        store,
        since=settings.since,
        until=settings.until,
        history_days=MAU_DAYS - 1,
        names=names,
        progress=progress,
    )
    return activity_metrics(
        log, ctr_event=settings.ctr_event, weights=settings.weights, transform=settings.transform
    )


def engagement_retention(
    store: GraphStore,
    settings: RetentionSettings | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> tuple[RetentionTable, tuple[str, ...]]:
    """The retention table, and notes on where segment features came from."""
    settings = settings or RetentionSettings()
    notes: tuple[str, ...] = ()
    log = read_activity(
        store, since=settings.since, until=settings.until, sessions=False, progress=progress
    )
    segment = None
    by = settings.by
    if by is not None:
        users = log.users
        features = None
        wants_graph = by in GRAPH_SEGMENTS or by in GRAPH_FEATURES
        if wants_graph and (settings.features_path is not None or by not in users.columns):
            needed = ["degree"] if by == "degree_bucket" else [by]
            found = user_features(store, needed, path=settings.features_path)
            features, notes = found.table, (found.source,)
        segment = segment_users(users, by, features)
    result = retention_table(
        log,
        days=settings.days,
        period=settings.period,
        weeks=settings.weeks,
        segment=segment,
        cohorts=settings.cohorts,
    )
    return result, notes


def engagement_anomalies(
    store: GraphStore,
    settings: AnomaliesSettings | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> AnomalyReport:
    """Flag anomalous days of a daily metric (history before ``since`` is read too)."""
    settings = settings or AnomaliesSettings()
    # Each day's band needs `window` earlier forecast errors, each forecast up to
    # FORECAST_DAYS of history; the metric itself may need more (WAU, MAU).
    history = settings.window + FORECAST_DAYS
    history += MAU_DAYS - 1 if settings.metric in ("wau", "mau", "stickiness") else 0
    log = read_activity(
        store, since=settings.since, until=settings.until, history_days=history, progress=progress
    )
    return detect_anomalies(
        log,
        settings.metric,
        rule=settings.rule,
        k=settings.k,
        window=settings.window,
        min_history=settings.min_history,
        ctr_event=settings.ctr_event,
    )


def post_anomaly_alert(result: AnomaliesResult, webhook: str | None) -> int | None:
    """POST the alert for the flagged days to ``webhook``; the HTTP status, or None.

    Nothing is posted when no day is flagged or no webhook is given.

    Raises
    ------
    ParameterError
        If ``webhook`` is not an http(s) URL.
    AlertNotDelivered
        If the webhook cannot be reached or refuses the alert (exit code 6).
    """
    if not webhook or result.flagged.empty:
        return None
    return post_alert(webhook, result.alert_payload())


def engagement_aha(
    store: GraphStore,
    settings: AhaSettings | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> AhaResult:
    """Sweep thresholds of an early action against retention; follow the sweet spot up."""
    settings = settings or AhaSettings()
    action = settings.action
    log = read_activity(
        store, since=settings.since, until=settings.until, sessions=False, progress=progress
    )
    population = aha_population(
        log,
        action_days=settings.action_days,
        retention_day=settings.retention_day,
        retention_window=settings.retention_window,
    )
    if action.startswith(EVENT_PREFIX):
        counts = early_event_counts(log, population, action[len(EVENT_PREFIX) :])
    else:
        counts = early_graph_counts(store, population, action, types=settings.types)
    return find_aha(population, counts, action=action, max_k=settings.max_k,
                    min_users=settings.min_users, churn_gap=settings.churn_gap)  # fmt: skip


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
    store: GraphStore,
    settings: PositionSettings | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> tuple[PositionCorrelation, tuple[str, ...]]:
    """Correlate engagement scores with degree, PageRank and community."""
    settings = settings or PositionSettings()
    log = read_activity(store, since=settings.since, until=settings.until, progress=progress)
    log.require_events()
    # Correlated with every feature found; degree, PageRank and community are needed.
    found = user_features(
        store,
        ["degree", "pagerank", "community"],
        path=settings.features_path,
        compute=GRAPH_FEATURES,
    )
    scores = score_users(log, weights=settings.weights, transform=settings.transform)
    result = engagement_vs_position(scores.table, found.table)
    return result, (found.source, *log.notes, *scores.notes)
