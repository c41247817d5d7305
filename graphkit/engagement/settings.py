"""What each engagement analysis is asked: one settings object per command, validated once.

This module is light (standard library only) so the CLI can read the defaults for its
help text without loading pandas. A settings object checks its values when it is built
and raises :class:`~graphkit.errors.ParameterError` naming the parameter (the CLI names
the flag that filled it); the analyses then trust it. The checks themselves live next to
the computations that need them (imported when a settings object is built).

Time options are UTC datetimes: ``since`` is the first day reported, ``until`` the first
day *not* reported (half-open).

>>> RetentionSettings(days=(7, 1)).days
(1, 7)
>>> AnomaliesSettings(window=10)
Traceback (most recent call last):
...
graphkit.errors.ParameterError: window must be at least 14 days (two of each weekday), got 10
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from graphkit.errors import ParameterError

Transform = Literal["log1p", "none"]
Rule = Literal["sigma", "iqr"]
Period = Literal["day", "week"]
MetricsTable = Literal["daily", "sessions", "scores"]

#: The components of the engagement score, each counted per user over the reported days.
COMPONENTS = {
    "active_days": "days with at least one event",
    "sessions": "sessions started",
    "session_minutes": "total session length in minutes",
    "views": "view events",
    "likes": "like events",
    "clicks": "click events",
    "messages": "message events",
}
#: Default weights (normalised to sum 1): coming back counts most, then time spent,
#: then the social actions that make a network a network.
DEFAULT_WEIGHTS: dict[str, float] = {
    "active_days": 0.3,
    "sessions": 0.15,
    "session_minutes": 0.15,
    "messages": 0.2,
    "likes": 0.1,
    "clicks": 0.1,
}
DEFAULT_TOP = 10
"""Users shown in the engagement ranking (table and JSON)."""

DEFAULT_DAYS = (1, 7, 14, 30)
DEFAULT_WEEKS = 8
MIN_CELL_USERS = 30
"""Cells with fewer eligible users are greyed out in reports: with 30 users a retention
near 50% has a standard error of √(0.25/30) ≈ 9 points."""

DEFAULT_WINDOW = 56
DEFAULT_MIN_HISTORY = 14
DEFAULT_K: dict[str, float] = {"sigma": 3.0, "iqr": 1.5}
DAILY_METRICS = (
    "dau",
    "wau",
    "mau",
    "stickiness",
    "new_users",
    "returning_users",
    "events",
    "sessions",
    "avg_session_length_s",
    "views",
    "likes",
    "clicks",
    "messages",
    "ctr",
)

DEFAULT_ACTION_DAYS = 7
DEFAULT_RETENTION_DAY = 28
DEFAULT_RETENTION_WINDOW = 7
DEFAULT_MAX_K = 15
DEFAULT_MIN_USERS = 20
DEFAULT_CHURN_GAP = 14


def check_period(since: datetime | None, until: datetime | None) -> None:
    """Refuse an empty or reversed ``[since, until)``."""
    if since is not None and until is not None and since >= until:
        raise ParameterError("since", "must be earlier than until")


def _check_choice(parameter: str, value: object, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ParameterError(parameter, f"must be one of {', '.join(choices)}, got {value!r}")


def _check_scores(weights: Mapping[str, float] | None, transform: str) -> None:
    from graphkit.engagement.activity import resolve_weights

    _check_choice("transform", transform, ("log1p", "none"))
    resolve_weights(weights)


@dataclass(frozen=True)
class MetricsSettings:
    """``engagement metrics``: activity, sessions and engagement scores.

    ``table`` picks the one table printed (None: the overview); ``top`` how many users
    of the score ranking are shown.
    """

    since: datetime | None = None
    until: datetime | None = None
    ctr_event: str | None = None
    weights: Mapping[str, float] | None = None
    transform: Transform = "log1p"
    table: MetricsTable | None = None
    top: int = DEFAULT_TOP

    def __post_init__(self) -> None:
        check_period(self.since, self.until)
        _check_scores(self.weights, self.transform)
        if self.table is not None:
            _check_choice("table", self.table, ("daily", "sessions", "scores"))
        if self.top < 1:
            raise ParameterError("top", f"must be at least 1, got {self.top}")


@dataclass(frozen=True)
class RetentionSettings:
    """``engagement retention``: N-day (or weekly) retention by signup cohort and segment.

    ``long`` asks for one row per group and day (with eligible counts) instead of one
    column per day.
    """

    since: datetime | None = None
    until: datetime | None = None
    days: tuple[int, ...] = DEFAULT_DAYS
    period: Period = "day"
    weeks: int = DEFAULT_WEEKS
    by: str | None = None
    cohorts: bool = True
    features_path: Path | None = None
    long: bool = False

    def __post_init__(self) -> None:
        check_period(self.since, self.until)
        _check_choice("period", self.period, ("day", "week"))
        days = tuple(sorted({int(d) for d in self.days}))
        if not days:
            raise ParameterError("days", "must hold at least one retention day", hint="e.g. 1, 7")
        if days[0] < 0:
            raise ParameterError("days", f"must be >= 0, got {days[0]}")
        if self.weeks < 1:
            raise ParameterError("weeks", f"must be at least 1, got {self.weeks}")
        object.__setattr__(self, "days", days)


@dataclass(frozen=True)
class AnomaliesSettings:
    """``engagement anomalies``: flag anomalous days of a daily metric.

    ``k`` None takes the rule's default (3 for sigma, 1.5 for iqr); ``all_days`` lists
    every reported day in the output, not only the flagged ones.
    """

    metric: str = "dau"
    rule: Rule = "sigma"
    k: float | None = None
    window: int = DEFAULT_WINDOW
    min_history: int = DEFAULT_MIN_HISTORY
    since: datetime | None = None
    until: datetime | None = None
    ctr_event: str | None = None
    all_days: bool = False

    def __post_init__(self) -> None:
        from graphkit.engagement.anomaly_detection import check_band, check_metric

        check_period(self.since, self.until)
        check_metric(self.metric)
        _check_choice("rule", self.rule, tuple(DEFAULT_K))
        check_band(self.rule, self.band_k, self.window, self.min_history)

    @property
    def band_k(self) -> float:
        """The band multiplier used: ``k``, else the rule's default."""
        return DEFAULT_K[self.rule] if self.k is None else self.k


@dataclass(frozen=True)
class AhaSettings:
    """``engagement aha``: sweep thresholds of an early action against retention."""

    action: str = "connections"
    action_days: int = DEFAULT_ACTION_DAYS
    retention_day: int = DEFAULT_RETENTION_DAY
    retention_window: int = DEFAULT_RETENTION_WINDOW
    max_k: int = DEFAULT_MAX_K
    min_users: int = DEFAULT_MIN_USERS
    churn_gap: int = DEFAULT_CHURN_GAP
    types: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        from graphkit.engagement import aha_moments as aha

        check_period(self.since, self.until)
        aha.action_label(self.action)  # an unknown action is refused before reading
        if self.types is not None:
            object.__setattr__(self, "types", tuple(self.types))
            if self.action not in aha.GRAPH_ACTIONS:
                raise ParameterError(
                    "types", "filters interactions: use it with a graph action",
                    hint=f"graph actions: {', '.join(aha.GRAPH_ACTIONS)}",
                )  # fmt: skip
        aha.check_windows(self.action_days, self.retention_day, self.retention_window)
        aha.check_sweep(self.max_k, self.min_users)
        aha.check_churn_gap(self.churn_gap)


@dataclass(frozen=True)
class PositionSettings:
    """``engagement position``: engagement score against graph position."""

    since: datetime | None = None
    until: datetime | None = None
    weights: Mapping[str, float] | None = None
    transform: Transform = "log1p"
    features_path: Path | None = None

    def __post_init__(self) -> None:
        check_period(self.since, self.until)
        _check_scores(self.weights, self.transform)
