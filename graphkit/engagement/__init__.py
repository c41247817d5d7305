"""Engagement analytics: activity metrics, retention cohorts, anomaly alerts, aha moments.

Every function here takes plain data (an :class:`~graphkit.engagement.eventlog.ActivityLog`,
DataFrames, Series) and returns a frozen result; reading the store is the workflow's job
(:mod:`graphkit.workflows.engagement`). In a notebook::

    from graphkit.engagement import summarise_events, activity_metrics
    log = summarise_events([events], users)          # frames as the store returns them
    activity_metrics(log).daily.table                # DAU, WAU, MAU, stickiness, CTR...
"""

from graphkit.engagement.activity import (
    ActivityMetrics,
    DailyActivity,
    EngagementScores,
    SessionMetrics,
    activity_metrics,
    daily_activity,
    engagement_scores,
    session_metrics,
)
from graphkit.engagement.aha_moments import AhaResult, aha_population, find_aha, sweep_thresholds
from graphkit.engagement.anomaly_detection import (
    AlertNotDelivered,
    AnomalyReport,
    alert_payload,
    detect_anomalies,
    post_alert,
)
from graphkit.engagement.cohorts import RetentionTable, retention_table
from graphkit.engagement.eventlog import ActivityLog, EventNames, summarise_events
from graphkit.engagement.network_position import PositionCorrelation, engagement_vs_position
from graphkit.engagement.segments import segment_users

__all__ = [
    "ActivityLog",
    "ActivityMetrics",
    "AhaResult",
    "AlertNotDelivered",
    "AnomalyReport",
    "DailyActivity",
    "EngagementScores",
    "EventNames",
    "PositionCorrelation",
    "RetentionTable",
    "SessionMetrics",
    "activity_metrics",
    "aha_population",
    "alert_payload",
    "daily_activity",
    "detect_anomalies",
    "engagement_scores",
    "engagement_vs_position",
    "find_aha",
    "post_alert",
    "retention_table",
    "segment_users",
    "session_metrics",
    "summarise_events",
    "sweep_thresholds",
]
