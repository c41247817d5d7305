"""The engagement API, read by `lazy_loader` (what loads) and by type checkers (what it is)."""

from .activity import (
    ActivityMetrics,
    DailyActivity,
    EngagementScores,
    SessionMetrics,
    activity_metrics,
    daily_activity,
    engagement_scores,
    session_metrics,
)
from .aha_moments import AhaResult, aha_population, find_aha, sweep_thresholds
from .anomaly_detection import (
    AlertNotDelivered,
    AnomalyReport,
    alert_payload,
    detect_anomalies,
    post_alert,
)
from .cohorts import RetentionTable, retention_table
from .commands import aha, anomalies, metrics, position, retention
from .eventlog import ActivityLog, EventNames, summarise_events
from .network_position import PositionCorrelation, engagement_vs_position
from .results import (
    AhaMomentResult,
    AnomaliesResult,
    MetricsResult,
    PositionResult,
    RetentionResult,
)
from .segments import segment_users
from .settings import (
    AhaSettings,
    AnomaliesSettings,
    MetricsSettings,
    PositionSettings,
    RetentionSettings,
)

__all__ = [
    "ActivityLog",
    "ActivityMetrics",
    "AhaMomentResult",
    "AhaResult",
    "AhaSettings",
    "AlertNotDelivered",
    "AnomaliesResult",
    "AnomaliesSettings",
    "AnomalyReport",
    "DailyActivity",
    "EngagementScores",
    "EventNames",
    "MetricsResult",
    "MetricsSettings",
    "PositionCorrelation",
    "PositionResult",
    "PositionSettings",
    "RetentionResult",
    "RetentionSettings",
    "RetentionTable",
    "SessionMetrics",
    "activity_metrics",
    "aha",
    "aha_population",
    "alert_payload",
    "anomalies",
    "daily_activity",
    "detect_anomalies",
    "engagement_scores",
    "engagement_vs_position",
    "find_aha",
    "metrics",
    "position",
    "post_alert",
    "retention",
    "retention_table",
    "segment_users",
    "session_metrics",
    "summarise_events",
    "sweep_thresholds",
]
