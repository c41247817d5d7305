"""What each ``graphkit engagement`` command returns: a frozen result that prints itself.

Each result holds the analysis (:class:`~graphkit.engagement.activity.ActivityMetrics`,
:class:`~graphkit.engagement.cohorts.RetentionTable`...) and the settings it was asked
with, and gives:

* ``to_dict()`` — the documented JSON (what ``--format json`` prints);
* ``to_frame()`` — the rows of the CSV (full precision, every column);
* ``for_terminal()`` — the same result whose ``to_frame()`` is the table a terminal
  shows (floats rounded for people, the main columns only);
* ``title``, ``caption``, ``notes`` and, where the terminal shows more than one table,
  ``more_tables()``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from graphkit.engagement.activity import ActivityMetrics
from graphkit.engagement.aha_moments import AhaResult
from graphkit.engagement.anomaly_detection import AnomalyReport, alert_payload, describe_day
from graphkit.engagement.cohorts import RetentionTable
from graphkit.engagement.network_position import PositionCorrelation
from graphkit.engagement.settings import (
    AhaSettings,
    AnomaliesSettings,
    MetricsSettings,
    PositionSettings,
    RetentionSettings,
)
from graphkit.experiments.survival import SurvivalComparison

DAILY_TABLE_COLUMNS = [
    "date", "dau", "wau", "mau", "stickiness", "new_users", "sessions", "ctr"
]  # fmt: skip
"""The daily columns a terminal shows (CSV and JSON have them all)."""
ANOMALY_COLUMNS = ["date", "value", "expected", "low", "high", "direction", "change"]
COMMUNITIES_SHOWN = 10


def rounded(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Floats rounded for people (CSV and JSON keep full precision).

    >>> rounded(pd.DataFrame({"x": [0.123456], "y": ["a"]}))
           x  y
    0  0.123  a
    """
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(digits)
        elif out[column].dtype == object:
            out[column] = [round(v, digits) if isinstance(v, float) else v for v in out[column]]
    return out


def weights_text(weights: dict[str, float]) -> str:
    """The score formula: ``score = 0.75·z(messages) + 0.25·z(sessions)``."""
    return "score = " + " + ".join(f"{w:.3g}·z({name})" for name, w in weights.items())


class _Shown:
    """``for_terminal()``: the same result, its frame as a terminal table shows it."""

    terminal: bool

    def for_terminal(self) -> Any:
        return dataclasses.replace(self, terminal=True)  # type: ignore[type-var]


# ----------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class MetricsResult(_Shown):
    """``engagement metrics``: daily activity, sessions and the engagement ranking.

    ``settings.table`` picks what is printed: None the overview (JSON: everything; table:
    daily activity, then sessions and the top users), or one of daily, sessions, scores.
    """

    metrics: ActivityMetrics
    settings: MetricsSettings
    terminal: bool = False

    @property
    def notes(self) -> tuple[str, ...]:
        return self.metrics.notes

    @property
    def window(self) -> str:
        return f"{self.metrics.first_date} to {self.metrics.last_date}"

    @property
    def score_formula(self) -> str:
        """How the score is made, e.g. ``score = 0.5·z(messages) + ... (log1p, z over users)``."""
        scores = self.metrics.scores
        return weights_text(scores.weights) + f" ({scores.transform}, z over users)"

    @property
    def title(self) -> str:
        if self.settings.table == "sessions":
            return f"Sessions, {self.window}"
        if self.settings.table == "scores":
            return f"Engagement score, {self.window}"
        return f"Daily activity, {self.window}"

    @property
    def caption(self) -> str | None:
        if self.settings.table == "scores":
            return weights_text(self.metrics.scores.weights)
        if self.terminal and self.settings.table != "sessions":
            return f"CTR = {self.metrics.daily.ctr_event} / view"
        return None

    def _top(self) -> pd.DataFrame:
        return self.metrics.scores.table.head(self.settings.top)

    def to_frame(self) -> pd.DataFrame:
        metrics, table = self.metrics, self.settings.table
        if table == "sessions":
            return metrics.sessions.table
        if table == "scores":
            return self._top() if self.terminal else metrics.scores.table
        if self.terminal:  # a terminal is narrow: the main columns, rounded
            return rounded(metrics.daily.table[DAILY_TABLE_COLUMNS])
        return metrics.daily.table

    def to_dict(self) -> Any:
        metrics, table, scores = self.metrics, self.settings.table, self.metrics.scores
        if table == "sessions":
            return metrics.sessions.table.to_dict("records")
        if table == "daily":
            return metrics.daily.table.to_dict("records")
        if table == "scores":
            return {
                "weights": scores.weights,
                "transform": scores.transform,
                "users": self._top().to_dict("records"),
            }
        return {
            "first_date": metrics.first_date,
            "last_date": metrics.last_date,
            "ctr_event": metrics.daily.ctr_event,
            "daily": metrics.daily.table.to_dict("records"),
            "sessions": metrics.sessions.summary,
            "engagement": {
                "weights": scores.weights,
                "transform": scores.transform,
                "top": self._top().to_dict("records"),
            },
            "notes": list(metrics.notes),
        }

    def more_tables(self) -> list[tuple[str, pd.DataFrame]]:
        """The overview's other tables on a terminal: sessions and the top users."""
        if self.settings.table is not None:
            return []
        summary = self.metrics.sessions.summary
        sessions = pd.DataFrame({"metric": list(summary), "value": list(summary.values())})
        ranking = self._top()[["rank", "user_id", "score", "active_days"]]
        return [
            ("Sessions", rounded(sessions)),
            (f"Top {self.settings.top} users by engagement", rounded(ranking)),
        ]


# ----------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class RetentionResult(_Shown):
    """``engagement retention``: the retention table and where segment features came from.

    ``to_frame()`` is one column per day (``settings.long``: one row per group and day).
    """

    retention: RetentionTable
    settings: RetentionSettings
    sources: tuple[str, ...] = ()
    terminal: bool = False

    @property
    def notes(self) -> tuple[str, ...]:
        return (*self.sources, *self.retention.notes)

    @property
    def title(self) -> str:
        segment = self.retention.segment
        return "Retention" + (f" by {segment}" if segment else "")

    caption = "share of eligible users"

    def to_frame(self) -> pd.DataFrame:
        frame = self.retention.table if self.settings.long else self.retention.wide
        return rounded(frame) if self.terminal else frame

    def to_dict(self) -> dict[str, Any]:
        retention = self.retention
        return {
            "period": retention.period,
            "offsets": list(retention.offsets),
            "groups": list(retention.groups),
            "segment": retention.segment,
            "rows": retention.table.to_dict("records"),
            "notes": list(retention.notes),
        }


# ----------------------------------------------------------------------------- anomalies


@dataclass(frozen=True)
class AnomaliesResult(_Shown):
    """``engagement anomalies``: the flagged days (``settings.all_days``: every day)."""

    report: AnomalyReport
    settings: AnomaliesSettings
    terminal: bool = False

    @property
    def notes(self) -> tuple[str, ...]:
        return self.report.notes

    @property
    def flagged(self) -> pd.DataFrame:
        return self.report.flagged

    @property
    def days_judged(self) -> int:
        return int(self.report.reported["checked"].sum())

    @property
    def title(self) -> str:
        return f"Anomalies in {self.report.metric}"

    @property
    def caption(self) -> str:
        report = self.report
        return (
            f"{len(self.flagged)} of {self.days_judged} judged days flagged; "
            f"seasonal {report.rule} rule, k={report.k:g}, window {report.window} days; "
            "change = value / expected - 1"
        )

    def _days(self) -> pd.DataFrame:
        if self.settings.all_days:
            return self.report.reported[[*ANOMALY_COLUMNS, "flagged"]]
        return self.flagged[ANOMALY_COLUMNS]

    def to_frame(self) -> pd.DataFrame:
        return rounded(self._days()) if self.terminal else self._days()

    def to_dict(self) -> dict[str, Any]:
        report = self.report
        data: dict[str, Any] = {
            "metric": report.metric,
            "rule": report.rule,
            "k": report.k,
            "window": report.window,
            "min_history": report.min_history,
            "days_judged": self.days_judged,
            "flagged": self.flagged.to_dict("records"),
            "notes": list(report.notes),
        }
        if self.settings.all_days:
            data["days"] = self._days().to_dict("records")
        return data

    def alert_lines(self) -> list[str]:
        """One line per flagged day: ``2026-01-05: 120 against 200 expected: low by 40%``."""
        return [
            f"{row['date']}: "
            + describe_day(row["value"], row["expected"], row["direction"], row["change"])
            for row in self.flagged.to_dict("records")
        ]

    def alert_payload(self) -> dict[str, Any]:
        """The JSON body a webhook receives (Slack-compatible ``text`` plus the days)."""
        return alert_payload(self.report)


# ----------------------------------------------------------------------------- aha


def survival_dict(follow: SurvivalComparison, churn_gap: int) -> dict[str, Any]:
    """The follow-up's JSON: log-rank test, group sizes, events and median survival."""
    return {
        "test": follow.test,
        "chi2": follow.chi2,
        "df": follow.df,
        "p_value": follow.p_value,
        "n": {str(k): v for k, v in follow.n.items()},
        "events": {str(k): v for k, v in follow.events.items()},
        "median_survival": {str(k): v for k, v in follow.median_survival.items()},
        "churn_gap_days": churn_gap,
        "notes": list(follow.notes),
    }


@dataclass(frozen=True)
class AhaMomentResult(_Shown):
    """``engagement aha``: the threshold sweep, the sweet spot and its follow-up."""

    aha: AhaResult
    settings: AhaSettings
    terminal: bool = False

    @property
    def notes(self) -> tuple[str, ...]:
        return self.aha.notes

    @property
    def title(self) -> str:
        return f"Aha: {self.aha.action_label} in the first {self.aha.action_days} days"

    @property
    def caption(self) -> str:
        aha = self.aha
        spot = "none" if aha.sweet_spot is None else str(aha.sweet_spot)
        last = aha.retention_day + aha.retention_window - 1
        return (
            f"{aha.users} users, {aha.base_retention:.1%} retained "
            f"(days {aha.retention_day}-{last}); sweet spot k = {spot}"
        )

    @property
    def survival_title(self) -> str:
        aha = self.aha
        return (
            f"Time to churn after day {aha.action_days}: "
            f"{aha.action_label} (k = {aha.sweet_spot}) or not"
        )

    def summary_lines(self) -> list[str]:
        """The follow-up test, the interpretation and the experiment it suggests."""
        aha, follow = self.aha, self.aha.follow_up
        lines = []
        if follow is not None and follow.p_value is not None:
            medians = ", ".join(
                f"{group}: {'not reached' if m is None else f'{m:g} days'}"
                for group, m in follow.median_survival.items()
            )
            lines.append(
                f"follow-up: log-rank chi2 = {follow.chi2:.2f}, p = {follow.p_value:.3g}; "
                f"median time to churn after day {aha.action_days}: {medians}"
            )
        lines.append(aha.interpretation)
        if aha.suggested_experiment:
            lines.append(aha.suggested_experiment)
        return lines

    def to_frame(self) -> pd.DataFrame:
        return rounded(self.aha.sweep) if self.terminal else self.aha.sweep

    def to_dict(self) -> dict[str, Any]:
        aha, follow = self.aha, self.aha.follow_up
        return {
            "action": aha.action,
            "action_label": aha.action_label,
            "action_days": aha.action_days,
            "retention_day": aha.retention_day,
            "retention_window": aha.retention_window,
            "users": aha.users,
            "retained": aha.retained,
            "sweep": aha.sweep.to_dict("records"),
            "sweet_spot": aha.sweet_spot,
            "criterion": aha.criterion,
            "follow_up": None if follow is None else survival_dict(follow, aha.churn_gap),
            "interpretation": aha.interpretation,
            "suggested_experiment": aha.suggested_experiment,
            "notes": list(aha.notes),
        }


# ----------------------------------------------------------------------------- position


@dataclass(frozen=True)
class PositionResult(_Shown):
    """``engagement position``: Spearman correlations and the by-community comparison.

    ``sources`` says where the graph features came from (and the reading notes).
    """

    position: PositionCorrelation
    settings: PositionSettings
    sources: tuple[str, ...] = ()
    terminal: bool = False

    @property
    def notes(self) -> tuple[str, ...]:
        return (*self.sources, *self.position.notes)

    title = "Engagement score vs graph position (Spearman)"

    @property
    def caption(self) -> str:
        position = self.position
        if position.kruskal_p is None:
            return "no Kruskal–Wallis test"
        return (
            f"Kruskal–Wallis across communities: H = {position.kruskal_h:.2f}, "
            f"p = {position.kruskal_p:.3g}"
        )

    def to_frame(self) -> pd.DataFrame:
        correlations = self.position.correlations
        return rounded(correlations, 4) if self.terminal else correlations

    def to_dict(self) -> dict[str, Any]:
        position = self.position
        return {
            "correlations": position.correlations.to_dict("records"),
            "communities": position.communities.to_dict("records"),
            "kruskal_h": position.kruskal_h,
            "kruskal_p": position.kruskal_p,
            "notes": list(self.notes),
        }

    def more_tables(self) -> list[tuple[str, pd.DataFrame]]:
        """The largest communities' mean score, shown under the table on a terminal."""
        communities = rounded(self.position.communities.head(COMMUNITIES_SHOWN))
        return [(f"By community (largest {COMMUNITIES_SHOWN})", communities)]
