"""The engagement report: activity, retention, anomalies and the aha moment, in words.

Every number comes from the engagement workflows (:mod:`graphkit.workflows.engagement`);
this module arranges them (:class:`EngagementResults`) into a
:class:`~graphkit.reports.document.Report` (:func:`engagement_document`). The rules of
the summary sentences:

* **Activity**: DAU, WAU and MAU of the last reported day, and the mean stickiness
  (DAU ÷ MAU) over the days that have a MAU (30 days of history).
* **Retention**: for each day N of the table, retained users ÷ eligible users summed over
  every cohort (cohorts that cannot be observed at day N yet do not count).
* **Anomalies**: the days flagged by the seasonal rule (σ by default: outside the
  weekly-seasonal forecast ± k robust SDs of its past errors, see
  :mod:`graphkit.engagement.anomaly_detection`), with observed and expected values, direction
  and size.
* **Retention table**: each cell's eligible users next to its retention; the heatmap greys
  out cells from fewer than :data:`~graphkit.engagement.settings.MIN_CELL_USERS` users.
* **Sessions and engagement score**: per-session CTR (mean over sessions with a view, and
  pooled), the score's formula with its weights, and the top users.
* **Aha moment**: the sweet spot (largest Youden's J) and the retention of users at or
  above it against the others — a correlation, which the report says in those words,
  with the experiment that would test causation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from graphkit.engagement.activity import ActivityMetrics
from graphkit.engagement.aha_moments import AhaResult, action_label
from graphkit.engagement.anomaly_detection import AnomalyReport, describe_day
from graphkit.engagement.cohorts import RetentionTable
from graphkit.engagement.settings import MIN_CELL_USERS
from graphkit.reports import engagement_plots
from graphkit.reports.document import Bullets, Fact, Figure, Paragraph, Report, Section, Table

DAILY_COLUMNS = ["date", "dau", "wau", "mau", "stickiness", "new_users", "returning_users"]


@dataclass(frozen=True)
class EngagementResults:
    """What the engagement report shows, as the workflows returned it.

    ``aha`` is None when the aha moment could not be searched; ``aha_note`` says why.
    """

    activity: ActivityMetrics
    retention: RetentionTable
    anomalies: AnomalyReport
    aha: AhaResult | None
    aha_note: str | None = None
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ numbers


def mean_stickiness(activity: ActivityMetrics) -> float | None:
    values = activity.daily.table["stickiness"].dropna()
    return float(values.mean()) if len(values) else None


def pooled_retention(retention: RetentionTable) -> pd.DataFrame:
    """Retention per offset over every cohort: retained ÷ eligible users, summed."""
    table = retention.table
    pooled = table.groupby(retention.period, sort=True)[["eligible", "retained"]].sum()
    pooled["retention"] = pooled["retained"] / pooled["eligible"].where(pooled["eligible"] > 0)
    return pooled.reset_index()


def aha_row(aha: AhaResult) -> pd.Series | None:
    if aha.sweet_spot is None:
        return None
    rows = aha.sweep[aha.sweep["k"] == aha.sweet_spot]
    return rows.iloc[0] if len(rows) else None


# ------------------------------------------------------------------------------ words


def _count(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{int(value):,}"


def activity_sentence(activity: ActivityMetrics) -> str:
    last = activity.daily.table.iloc[-1]
    sticky = mean_stickiness(activity)
    text = (
        f"From {activity.first_date} to {activity.last_date}: on the last day "
        f"{_count(last['dau'])} users were active (DAU), {_count(last['wau'])} over the last 7 "
        f"days (WAU) and {_count(last['mau'])} over the last 30 (MAU)."
    )
    if sticky is not None:
        text += (
            f" Stickiness (DAU ÷ MAU) averaged {sticky:.0%}: a monthly user is active on "
            f"about {sticky * 30:.0f} days of 30."
        )
    return text


def retention_sentence(retention: RetentionTable) -> str:
    pooled = pooled_retention(retention).dropna(subset=["retention"])
    if pooled.empty:
        return "No retention can be observed yet: no cohort is old enough."
    unit = retention.period
    parts = [
        f"{unit} {int(row[unit])} {row['retention']:.0%} (of {int(row['eligible']):,})"
        for _, row in pooled.iterrows()
    ]
    return "Retention over all cohorts: " + ", ".join(parts) + "."


def anomaly_sentence(anomalies: AnomalyReport) -> str:
    flagged = anomalies.flagged
    rule = (
        f"the seasonal {anomalies.rule} rule (k = {anomalies.k:g}, {anomalies.window}-day window)"
    )
    if flagged.empty:
        return f"No day of {anomalies.metric} was flagged by {rule}."
    days = ", ".join(
        f"{row['date']} ("
        + describe_day(row["value"], row["expected"], row["direction"], row["change"])
        + ")"
        for _, row in flagged.iterrows()
    )
    return f"{len(flagged)} day(s) of {anomalies.metric} flagged by {rule}: {days}."


def anomaly_method(anomalies: AnomalyReport) -> str:
    """How the expected band was computed, in words (the formulas are in the README)."""
    if anomalies.rule == "sigma":
        band = f"± {anomalies.k:g} robust SDs (1.4826 × MAD)"
    else:
        band = f"Tukey's fences (quartiles ± {anomalies.k:g} IQR)"
    return (
        f"Each day's {anomalies.metric} is forecast from the weeks before it: a weekday "
        "profile (median ratio of each weekday to its centred 7-day mean) times the level "
        "of the last 7 days. A day is flagged when it falls outside the forecast's relative "
        f"errors over the previous {anomalies.window} days {band} (at least "
        f"{anomalies.min_history} earlier errors); flagged days are replaced by their "
        "expected value in later baselines, so one outage does not hide the next."
    )


def aha_sentence(results: EngagementResults) -> str:
    aha = results.aha
    if aha is None:
        return f"The aha moment was not searched: {results.aha_note}."
    row, k = aha_row(aha), aha.sweet_spot
    if row is None or k is None:
        return (
            f"No aha threshold for '{aha.action_label}': no k had at least {aha.min_users} "
            "users doing and not doing it."
        )
    action = action_label(aha.action, k)
    return (
        f"Aha moment (correlation, not proof of cause): users who {action} in their first "
        f"{aha.action_days} days ({int(row['users_did']):,} of {aha.users:,} users, "
        f"{row['share_did']:.0%}, reached it) were retained at day {aha.retention_day} "
        f"{row['retention_did']:.0%} of the time, against {row['retention_not']:.0%} for the "
        "others. A randomised experiment is needed to show it causes retention."
    )


def summary(results: EngagementResults) -> list[str]:
    """Plain sentences, every number taken from the results."""
    return [
        activity_sentence(results.activity),
        retention_sentence(results.retention),
        anomaly_sentence(results.anomalies),
        aha_sentence(results),
    ]


# ------------------------------------------------------------------------------ document


def _figure_or_note(name: str, make: Any, caption: str, alt: str) -> Figure | Paragraph:
    """The figure, or a sentence saying why there is nothing to draw."""
    from graphkit.errors import InsufficientData

    try:
        return Figure(name, make(), caption=caption, alt=alt)
    except InsufficientData as exc:
        return Paragraph(f"No {name.replace('_', ' ')} figure: {exc.message}.")


def cohort_table(retention: RetentionTable) -> pd.DataFrame:
    """The wide cohort table with each offset's eligible users next to it (``day_1_n``)."""
    wide, eligible = retention.wide, retention.eligible_wide
    table = wide[[c for c in wide.columns if not c.startswith(("day_", "week_"))]].copy()
    for column in [c for c in wide.columns if c.startswith(("day_", "week_"))]:
        table[column] = wide[column]
        table[f"{column}_n"] = eligible[column].astype("int64")
    return table


def sessions_section(activity: ActivityMetrics) -> Section:
    """Per-session CTR and the engagement score, with their definitions and weights."""
    sessions, scores = activity.sessions, activity.scores
    summary = sessions.summary
    ctr_event = sessions.ctr_event
    mean_ctr, pooled = summary.get("mean_session_ctr"), summary.get("pooled_ctr")
    ctr_text = (
        f"Per-session CTR = {ctr_event} events ÷ view events of the session; sessions "
        "without a view have none and are left out of the mean "
        f"({summary['sessions_without_views']:,} of {summary['sessions']:,} sessions). "
        "Mean session CTR "
        + ("n/a" if mean_ctr is None else f"{mean_ctr:.1%}")
        + ", pooled CTR (all clicks ÷ all views of sessions with views) "
        + ("n/a" if pooled is None else f"{pooled:.1%}")
        + "."
    )
    weights = pd.DataFrame(
        {"component": list(scores.weights), "weight": list(scores.weights.values())}
    )
    formula = " + ".join(f"{w:.3g}·z({name})" for name, w in scores.weights.items())
    transform = "log1p(x)" if scores.transform == "log1p" else "x"
    score_text = (
        f"Engagement score per user over the reported days: score = {formula}, where "
        f"z(c) standardises {transform} of component c over all users (mean 0, population SD "
        "1; a component that does not vary adds 0). Components: active days, sessions, "
        "session minutes, views, likes, clicks and messages; the weights (normalised to sum "
        "1) are in the table below and can be changed with `graphkit engagement metrics "
        "--weight NAME=W`."
    )
    summary_frame = pd.DataFrame(
        {
            "metric": list(summary),
            "value": [float("nan") if v is None else v for v in summary.values()],
        }
    )
    top = scores.table.head(10)[["rank", "user_id", "score", "active_days", "sessions", "messages"]]
    return Section(
        "Sessions and engagement score",
        [
            Paragraph(ctr_text),
            Table("sessions", summary_frame, caption="Sessions (CTR = " + ctr_event + " ÷ view)"),
            Paragraph(score_text),
            Table(
                "score_weights",
                weights,
                caption="Engagement score weights",
                formats={"weight": ".3f"},
            ),
            Table(
                "top_engaged",
                top,
                caption="Top 10 users by engagement score",
                formats={"score": ".3f"},
            ),
        ],
    )


def aha_section(results: EngagementResults) -> Section:
    aha = results.aha
    if aha is None:
        return Section("Aha moment", [Paragraph(aha_sentence(results))])
    blocks: list[Any] = [
        Paragraph(
            f"For k = 1 … {int(aha.sweep['k'].max()) if len(aha.sweep) else 0}: of the "
            f"{aha.users:,} users whose first {aha.action_days} days and day "
            f"{aha.retention_day} can be observed ({aha.retained:,} retained), the retention of "
            "those who did it at least k times and of the others. Sweet spot: "
            f"{aha.criterion}."
        ),
        Paragraph(aha.interpretation),
        Table(
            "aha_sweep",
            aha.sweep,
            caption=f"Retention at day {aha.retention_day} by early '{aha.action}' count",
            formats={
                "share_did": ".1%",
                "retention_did": ".1%",
                "retention_not": ".1%",
                "p_did_given_retained": ".1%",
                "p_did_given_not_retained": ".1%",
                "lift": ".2f",
                "youden_j": ".3f",
            },
        ),
        Figure(
            "aha_curves",
            engagement_plots.aha_curves(aha.sweep, sweet_spot=aha.sweet_spot, action=aha.action),
            caption="Retention of doers and non-doers, the share of retained users who did "
            "it, and the share who did it, against k; the red line is the sweet spot.",
            alt="Aha-moment curves against the threshold k.",
        ),
    ]
    follow_up = aha.follow_up
    if follow_up is not None:
        verdict = (
            f"log-rank p = {follow_up.p_value:.3g}" if follow_up.p_value is not None else "no test"
        )
        blocks.append(
            Figure(
                "aha_follow_up",
                engagement_plots.survival_curves(
                    follow_up.curves, title=f"Time to churn, below vs at the sweet spot ({verdict})"
                ),
                caption=f"Kaplan–Meier time to churn ({aha.churn_gap} days without an event) "
                "after the action window, for users below and at or above the sweet spot.",
                alt="Kaplan-Meier curves of users below and above the aha threshold.",
            )
        )
    return Section("Aha moment", blocks)


def engagement_document(
    results: EngagementResults, *, parameters: Mapping[str, Any] | None = None
) -> Report:
    """The engagement report as a document (render it with ``write_report``)."""
    activity, retention, anomalies = results.activity, results.retention, results.anomalies
    daily = activity.daily.table[[c for c in DAILY_COLUMNS if c in activity.daily.table.columns]]
    pooled = pooled_retention(retention)
    flagged = anomalies.flagged
    sticky = mean_stickiness(activity)
    sections = [
        Section("Summary", [Bullets(summary(results))]),
        Section(
            "Activity",
            [
                Paragraph(
                    "DAU: users with at least one event that day; WAU and MAU: over the last 7 "
                    "and 30 days. Stickiness = DAU ÷ MAU. New users: users active on their "
                    "signup day (a user without a signup date counts as new on their first "
                    "active day); returning users: the other active users. "
                    + activity_sentence(activity)
                ),
                Figure(
                    "activity",
                    engagement_plots.activity_chart(activity.daily.table),
                    caption="DAU, WAU and MAU per day, and stickiness on the right axis.",
                    alt="Line chart of daily, weekly and monthly active users.",
                ),
            ],
        ),
        Section(
            "Retention",
            [
                Paragraph(
                    "Users are grouped by the week (cohort) of their signup; a user is "
                    f"retained on {retention.period} N when active that {retention.period}. "
                    f"Each cell is retained ÷ eligible users (those whose {retention.period} N "
                    "is within the data); blank cells cannot be observed yet, and cells "
                    f"computed from fewer than {MIN_CELL_USERS} eligible users are greyed out "
                    "in the heatmap (their retention is uncertain by ±9 points or more). "
                    + retention_sentence(retention)
                ),
                _figure_or_note(
                    "retention_heatmap",
                    lambda: engagement_plots.retention_heatmap(
                        retention.wide,
                        retention.groups,
                        eligible=retention.eligible_wide,
                        min_eligible=MIN_CELL_USERS,
                    ),
                    caption="Retention per cohort (rows) and day since signup (columns), with "
                    f"the eligible users of each cell (n); grey: fewer than {MIN_CELL_USERS}.",
                    alt="Heatmap of retention by signup cohort.",
                ),
                Table(
                    "retention",
                    cohort_table(retention),
                    caption="Retention per cohort, and the eligible users of each cell (_n)",
                    formats={
                        c: ".0%" for c in retention.wide.columns if c.startswith(("day_", "week_"))
                    },
                ),
                Table(
                    "retention_overall",
                    pooled,
                    caption="Retention over all cohorts",
                    formats={"retention": ".1%"},
                ),
            ],
        ),
        Section(
            "Anomalies",
            [
                Paragraph(anomaly_method(anomalies) + " " + anomaly_sentence(anomalies)),
                Figure(
                    "anomalies",
                    engagement_plots.anomaly_chart(
                        anomalies.series, metric=anomalies.metric, rule=anomalies.rule
                    ),
                    caption=f"{anomalies.metric} per day, the expected band, and flagged days "
                    "in red.",
                    alt=f"Line chart of {anomalies.metric} with flagged days marked.",
                ),
                Table("anomalies", flagged, caption="Flagged days"),
            ],
        ),
        sessions_section(activity),
        aha_section(results),
        Section(
            "Activity per day",
            [Table("daily", daily, caption="Activity per day", formats={"stickiness": ".1%"})],
        ),
    ]
    notes = [*results.notes, *activity.notes, *retention.notes, *anomalies.notes]
    if results.aha is not None:
        notes += list(results.aha.notes)
    if notes:
        sections.append(Section("Notes", [Bullets(list(dict.fromkeys(notes)))]))
    last = activity.daily.table.iloc[-1]
    row = aha_row(results.aha) if results.aha is not None else None
    facts = [
        Fact("days", "days reported", len(activity.daily.table), ","),
        Fact("dau", "DAU (last day)", _int_or_none(last["dau"]), ","),
        Fact("wau", "WAU (last day)", _int_or_none(last.get("wau")), ","),
        Fact("mau", "MAU (last day)", _int_or_none(last.get("mau")), ","),
        Fact("mean_stickiness", "mean stickiness", sticky, ".1%"),
        Fact(
            "mean_session_ctr",
            "mean session CTR",
            activity.sessions.summary.get("mean_session_ctr"),
            ".1%",
        ),
        Fact("flagged_days", f"{anomalies.metric} days flagged", len(flagged), ","),
        Fact(
            "aha_sweet_spot",
            "aha sweet spot (k)",
            results.aha.sweet_spot if results.aha is not None else None,
        ),
        Fact(
            "aha_retention_did",
            "retained at the sweet spot",
            float(row["retention_did"]) if row is not None else None,
            ".0%",
        ),
    ]
    return Report(
        kind="engagement",
        title="Engagement",
        subtitle=f"{activity.first_date} to {activity.last_date}, "
        f"{len(activity.daily.table):,} days.",
        sections=sections,
        facts=facts,
        parameters=parameters,
        main_table="daily",
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)
