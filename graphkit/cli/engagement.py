"""`graphkit engagement metrics|retention|anomalies|aha|position`.

Exit codes beyond the common ones: 5 — ``anomalies --fail-on-alert`` found an anomalous
day (for cron and CI); 6 — ``anomalies --webhook`` could not deliver the alert.
"""

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import matplotlib.figure
import pandas as pd
import typer

from graphkit.cli.common import (
    FORMAT_OPTION,
    OUT_OPTION,
    OutputFormat,
    emit,
    emit_frame,
    format_for,
    handles_errors,
    labelled,
    progress_bar,
    stderr,
    to_json,
    uses_store,
    utc,
)
from graphkit.config import Settings
from graphkit.engagement.activity import COMPONENTS, DEFAULT_WEIGHTS
from graphkit.engagement.aha_moments import (
    DEFAULT_ACTION_DAYS,
    DEFAULT_CHURN_GAP,
    DEFAULT_MAX_K,
    DEFAULT_MIN_USERS,
    DEFAULT_RETENTION_DAY,
    DEFAULT_RETENTION_WINDOW,
)
from graphkit.engagement.anomaly_detection import (
    DAILY_METRICS,
    DEFAULT_MIN_HISTORY,
    DEFAULT_WINDOW,
    alert_payload,
    describe_day,
    post_alert,
)
from graphkit.engagement.cohorts import DEFAULT_DAYS, DEFAULT_WEEKS, MIN_CELL_USERS
from graphkit.errors import ConfigError
from graphkit.reports import engagement_plots
from graphkit.workflows import engagement as workflow

ALERT_EXIT_CODE = 5
"""``anomalies --fail-on-alert`` exits with this code when a day is flagged."""

app = typer.Typer(
    help="Engagement analytics: activity metrics, retention cohorts, anomaly alerts, "
    "aha moments, and engagement against graph position. Reads events.csv loaded "
    "with `graphkit load`.",
    no_args_is_help=True,
)

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]
SinceOption = Annotated[
    datetime | None,
    typer.Option("--since", formats=DATE_FORMATS, help="First day reported (UTC, YYYY-MM-DD)."),
]
UntilOption = Annotated[
    datetime | None,
    typer.Option("--until", formats=DATE_FORMATS, help="First day NOT reported (UTC, YYYY-MM-DD)."),
]
PlotOption = Annotated[
    Path | None,
    typer.Option("--plot", metavar="FILE", help="Save the chart (.png, .svg or .pdf)."),
]
CtrOption = Annotated[
    str,
    typer.Option("--ctr-on", metavar="EVENT", help="CTR numerator: click or like (over views)."),
]
WeightOption = Annotated[
    list[str] | None,
    typer.Option(
        "--weight",
        metavar="NAME=W",
        help="Engagement score weight (repeatable; replaces the defaults). Components: "
        + ", ".join(COMPONENTS)
        + ". Default: "
        + ", ".join(f"{k}={v}" for k, v in DEFAULT_WEIGHTS.items())
        + ".",
    ),
]
FeaturesOption = Annotated[
    Path | None,
    typer.Option(
        "--features",
        metavar="FILE",
        help="Graph features from `graphkit features --out FILE` (default: written-back "
        "properties, else computed now).",
    ),
]


class Transform(StrEnum):
    log1p = "log1p"
    none = "none"


class RuleChoice(StrEnum):
    sigma = "sigma"
    iqr = "iqr"


class Period(StrEnum):
    day = "day"
    week = "week"


class MetricsTable(StrEnum):
    daily = "daily"
    sessions = "sessions"
    scores = "scores"


def parse_weights(values: list[str] | None) -> dict[str, float] | None:
    """``["messages=0.4", ...]`` as a dict; None keeps the defaults."""
    if not values:
        return None
    weights: dict[str, float] = {}
    for value in values:
        name, sep, number = value.partition("=")
        try:
            weight = float(number)
        except ValueError:
            weight = float("nan")
        if not sep or not name or weight != weight:
            raise ConfigError(
                f"--weight {value!r} is not NAME=NUMBER",
                hint=f"e.g. --weight messages=0.4; components: {', '.join(COMPONENTS)}",
            )
        weights[name.strip()] = weight
    return weights


def save_figure(figure: matplotlib.figure.Figure, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=120)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot save the chart to {path}: {exc}",
            hint="use a writable path ending in .png, .svg or .pdf",
        ) from exc
    stderr.print(f"wrote {path}")


def print_notes(notes: tuple[str, ...] | list[str]) -> None:
    for note in dict.fromkeys(notes):  # once each, in order
        stderr.print(f"note: {note}", markup=False)


DAILY_TABLE_COLUMNS = [
    "date", "dau", "wau", "mau", "stickiness", "new_users", "sessions", "ctr"
]  # fmt: skip


def rounded(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Floats rounded for people (csv and json keep full precision)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(digits)
        elif out[column].dtype == object:
            out[column] = [round(v, digits) if isinstance(v, float) else v for v in out[column]]
    return out


def weights_text(weights: dict[str, float]) -> str:
    return "score = " + " + ".join(f"{w:.3g}·z({name})" for name, w in weights.items())


# ----------------------------------------------------------------------------- metrics


@app.command("metrics")
@handles_errors
@uses_store
def metrics_command(
    settings: Settings,
    since: SinceOption = None,
    until: UntilOption = None,
    ctr_on: CtrOption = "click",
    weight: WeightOption = None,
    transform: Annotated[
        Transform,
        typer.Option(help="Applied to each score component before z-scoring."),
    ] = Transform.log1p,
    table: Annotated[
        MetricsTable | None,
        typer.Option(
            help="Output one table: daily (default for csv), sessions (one row per "
            "session) or scores (one row per user)."
        ),
    ] = None,
    top: Annotated[
        int, typer.Option(help="Users shown in the engagement ranking (table and json).")
    ] = 10,
    plot: PlotOption = None,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
) -> None:
    """DAU/WAU/MAU, stickiness, CTR, sessions and an engagement score per user.

    Also new vs returning users and daily views, likes, clicks and messages.
    Days are UTC. WAU/MAU count users active in the 7/30 days ending that day. Sessions
    without views have no CTR (left out of the mean; counted separately). The engagement
    score is a weighted sum of z-scored log1p components; the weights are printed.
    """
    with progress_bar("reading events") as progress:
        result = workflow.engagement_metrics(
            settings,
            since=utc(since),
            until=utc(until),
            ctr_event=ctr_on,
            weights=parse_weights(weight),
            transform=transform.value,
            progress=progress,
        )
    print_notes(result.notes)
    scores = result.scores
    stderr.print(weights_text(scores.weights) + f" ({scores.transform}, z over users)")
    if plot is not None:
        save_figure(engagement_plots.activity_chart(result.daily.table), plot)
    fmt = format_for(fmt, out)
    window = f"{result.first_date} to {result.last_date}"
    if table is MetricsTable.sessions:
        emit_frame(result.sessions.table, fmt, out, title=f"Sessions, {window}")
    elif table is MetricsTable.scores:
        ranked = scores.table if fmt is OutputFormat.csv else scores.table.head(top)
        emit_frame(
            ranked,
            fmt,
            out,
            title=f"Engagement score, {window}",
            caption=weights_text(scores.weights),
            json_data={
                "weights": scores.weights,
                "transform": scores.transform,
                "users": ranked.to_dict("records"),
            },
        )
    elif fmt is OutputFormat.json and table is None:
        emit(
            to_json(
                {
                    "first_date": result.first_date,
                    "last_date": result.last_date,
                    "ctr_event": result.daily.ctr_event,
                    "daily": result.daily.table.to_dict("records"),
                    "sessions": result.sessions.summary,
                    "engagement": {
                        "weights": scores.weights,
                        "transform": scores.transform,
                        "top": scores.table.head(top).to_dict("records"),
                    },
                    "notes": list(result.notes),
                }
            ),
            out,
        )
    elif fmt is not OutputFormat.table:
        emit_frame(result.daily.table, fmt, out, title=f"Daily activity, {window}")
    else:
        # A terminal is narrow: the main columns, rounded (csv and json have them all).
        daily = rounded(result.daily.table[DAILY_TABLE_COLUMNS])
        caption = f"CTR = {result.daily.ctr_event} / view"
        emit_frame(daily, fmt, out, title=f"Daily activity, {window}", caption=caption)
        if table is None and out is None:
            summary = result.sessions.summary
            frame = pd.DataFrame({"metric": list(summary), "value": list(summary.values())})
            emit_frame(rounded(frame), fmt, None, title="Sessions")
            ranking = scores.table.head(top)[["rank", "user_id", "score", "active_days"]]
            emit_frame(rounded(ranking), fmt, None, title=f"Top {top} users by engagement")


# ----------------------------------------------------------------------------- retention


@app.command("retention")
@handles_errors
@uses_store
def retention_command(
    settings: Settings,
    since: SinceOption = None,
    until: UntilOption = None,
    day: Annotated[
        list[int] | None,
        typer.Option(
            "--day",
            help="Retention day N, active on day N after signup (repeatable; default "
            + ", ".join(map(str, DEFAULT_DAYS))
            + ").",
        ),
    ] = None,
    period: Annotated[
        Period, typer.Option(help="day: the --day columns; week: weeks 0..--weeks-1.")
    ] = Period.day,
    weeks: Annotated[int, typer.Option(help="Weeks shown with --period week.")] = DEFAULT_WEEKS,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            metavar="COLUMN",
            help="Segment by a user column (country, os, ...) or a graph feature "
            "(degree_bucket, community, influencer, pagerank, ...).",
        ),
    ] = None,
    cohorts: Annotated[
        bool,
        typer.Option(
            "--cohorts/--no-cohorts",
            help="Split rows by weekly signup cohort (with --by, --no-cohorts pools them).",
        ),
    ] = True,
    features: FeaturesOption = None,
    long: Annotated[
        bool, typer.Option("--long", help="One row per group and day, with eligible counts.")
    ] = False,
    plot: PlotOption = None,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
) -> None:
    """N-day retention by weekly signup cohort, optionally by segment, with a heatmap.

    A user is retained on day N when active on the Nth UTC day after their signup day.
    Users count only once day N is in the data, so recent cohorts are not shown as churned.
    """
    with progress_bar("reading events") as progress:
        result, sources = workflow.engagement_retention(
            settings,
            since=utc(since),
            until=utc(until),
            days=day or DEFAULT_DAYS,
            period=period.value,
            weeks=weeks,
            by=by,
            cohorts=cohorts,
            features_path=features,
            progress=progress,
        )
    print_notes([*sources, *result.notes])
    if plot is not None:
        chart = engagement_plots.retention_heatmap(
            result.wide, result.groups, eligible=result.eligible_wide, min_eligible=MIN_CELL_USERS
        )
        save_figure(chart, plot)
    fmt = format_for(fmt, out)
    title = "Retention" + (f" by {result.segment}" if result.segment else "")
    json_data = {
        "period": result.period,
        "offsets": list(result.offsets),
        "groups": list(result.groups),
        "segment": result.segment,
        "rows": result.table.to_dict("records"),
        "notes": list(result.notes),
    }
    frame = result.table if long else result.wide
    if fmt is OutputFormat.table:
        frame = rounded(frame)
    emit_frame(frame, fmt, out, title=title, caption="share of eligible users", json_data=json_data)


# ----------------------------------------------------------------------------- anomalies


@app.command("anomalies")
@handles_errors
@uses_store
def anomalies_command(
    settings: Settings,
    metric: Annotated[
        str,
        typer.Option(
            help=f"One of {', '.join(DAILY_METRICS)}, or event:NAME (daily count of an event)."
        ),
    ] = "dau",
    rule: Annotated[
        RuleChoice,
        typer.Option(
            help="Both judge a day against a weekly-seasonal forecast. sigma: forecast × "
            "(1 + median ± k·1.4826·MAD of past relative errors); iqr: Tukey fences "
            "Q1 − k·IQR, Q3 + k·IQR of those errors."
        ),
    ] = RuleChoice.sigma,
    k: Annotated[
        float | None,
        typer.Option("--k", help="Band multiplier (default 3 for sigma, 1.5 for iqr)."),
    ] = None,
    window: Annotated[
        int,
        typer.Option(
            help="Trailing days whose forecast errors give the band (the day excluded)."
        ),
    ] = DEFAULT_WINDOW,
    min_history: Annotated[
        int, typer.Option(help="Earlier forecast errors a day needs before it is judged.")
    ] = DEFAULT_MIN_HISTORY,
    since: SinceOption = None,
    until: UntilOption = None,
    ctr_on: CtrOption = "click",
    all_days: Annotated[
        bool, typer.Option("--all-days", help="List every reported day, not only flagged ones.")
    ] = False,
    fail_on_alert: Annotated[
        bool,
        typer.Option(
            "--fail-on-alert",
            help=f"Exit with code {ALERT_EXIT_CODE} when a reported day is flagged (cron, CI).",
        ),
    ] = False,
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            metavar="URL",
            help="POST a JSON alert (Slack-compatible `text`) here when a day is flagged.",
        ),
    ] = None,
    plot: PlotOption = None,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
) -> None:
    """Flag anomalous days of a daily metric against a weekly-seasonal forecast.

    Each day is forecast from the weeks before it (weekday profile and level) and
    flagged when outside a robust band of past forecast errors (sigma: median ± k·MAD
    scaled to an SD; iqr: Tukey's fences). Flagged days are replaced by their expected
    value in later baselines. Days before --since are read as history. Exit code 5 with
    --fail-on-alert when a day is flagged; 6 when the --webhook cannot be reached.
    """
    with progress_bar("reading events") as progress:
        report = workflow.engagement_anomalies(
            settings,
            metric=metric,
            rule=rule.value,
            k=k,
            window=window,
            min_history=min_history,
            since=utc(since),
            until=utc(until),
            ctr_event=ctr_on,
            progress=progress,
        )
    print_notes(report.notes)
    flagged = report.flagged
    if plot is not None:
        chart = engagement_plots.anomaly_chart(
            report.series, metric=report.metric, rule=report.rule
        )
        save_figure(chart, plot)
    fmt = format_for(fmt, out)
    reported = report.reported
    columns = ["date", "value", "expected", "low", "high", "direction", "change"]
    frame = reported[[*columns, "flagged"]] if all_days else flagged[columns]
    caption = (
        f"{len(flagged)} of {int(reported['checked'].sum())} judged days flagged; "
        f"seasonal {report.rule} rule, k={report.k:g}, window {report.window} days; "
        "change = value / expected - 1"
    )
    json_data: dict[str, Any] = {
        "metric": report.metric,
        "rule": report.rule,
        "k": report.k,
        "window": report.window,
        "min_history": report.min_history,
        "days_judged": int(reported["checked"].sum()),
        "flagged": flagged.to_dict("records"),
        "notes": list(report.notes),
    }
    if all_days:
        json_data["days"] = frame.to_dict("records")
    if fmt is OutputFormat.table:
        frame = rounded(frame)
    emit_frame(frame, fmt, out, title=f"Anomalies in {report.metric}", caption=caption,
               json_data=json_data)  # fmt: skip
    if flagged.empty:
        stderr.print(f"no anomaly in {report.metric}" + (": nothing posted" if webhook else ""))
        return
    stderr.print(labelled("alert:", f"{len(flagged)} anomalous day(s) in {report.metric}"))
    for row in flagged.to_dict("records"):
        described = describe_day(row["value"], row["expected"], row["direction"], row["change"])
        stderr.print(f"  {row['date']}: {described}", markup=False)
    if webhook:
        status = post_alert(webhook, alert_payload(report))
        stderr.print(f"posted the alert to the webhook (HTTP {status})")
    if fail_on_alert:
        raise typer.Exit(ALERT_EXIT_CODE)


# ----------------------------------------------------------------------------- aha


@app.command("aha")
@handles_errors
@uses_store
def aha_command(
    settings: Settings,
    action: Annotated[
        str,
        typer.Option(
            help="connections (distinct users interacted with), received (interactions "
            "received), or event:NAME (e.g. event:message)."
        ),
    ] = "connections",
    action_days: Annotated[
        int, typer.Option(help="The action counts on days 0..D-1 after signup.")
    ] = DEFAULT_ACTION_DAYS,
    retention_day: Annotated[
        int, typer.Option(help="Retained: active on a day R .. R+window-1 after signup.")
    ] = DEFAULT_RETENTION_DAY,
    retention_window: Annotated[
        int, typer.Option(help="Days in the retention window.")
    ] = DEFAULT_RETENTION_WINDOW,
    max_k: Annotated[int, typer.Option(help="Sweep k = 1 .. this.")] = DEFAULT_MAX_K,
    min_users: Annotated[
        int, typer.Option(help="Doers and non-doers needed for a k to be the sweet spot.")
    ] = DEFAULT_MIN_USERS,
    churn_gap: Annotated[
        int, typer.Option(help="Follow-up: churned = no event in the data's last N days.")
    ] = DEFAULT_CHURN_GAP,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="Graph actions: only these interaction types (repeatable)."),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    plot: PlotOption = None,
    survival_plot: Annotated[
        Path | None,
        typer.Option("--survival-plot", metavar="FILE", help="Save the Kaplan–Meier chart."),
    ] = None,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
) -> None:
    """Find the aha moment ("10 friends in 7 days") and follow it up.

    Sweeps how many times an early action was done against retention, picks the sweet
    spot, compares time to churn above and below it (Kaplan–Meier, log-rank) and says
    what it means.

    Sweet spot: the k with the largest Youden's J = P(did | retained) − P(did | not
    retained), with --min-users on both sides. This is correlation, not causation.
    """
    with progress_bar("reading events") as progress:
        result = workflow.engagement_aha(
            settings,
            action=action,
            action_days=action_days,
            retention_day=retention_day,
            retention_window=retention_window,
            max_k=max_k,
            min_users=min_users,
            churn_gap=churn_gap,
            types=types,
            since=utc(since),
            until=utc(until),
            progress=progress,
        )
    print_notes(result.notes)
    follow = result.follow_up
    if plot is not None:
        chart = engagement_plots.aha_curves(
            result.sweep, sweet_spot=result.sweet_spot, action=result.action_label
        )
        save_figure(chart, plot)
    if survival_plot is not None:
        if follow is None:
            raise ConfigError("no sweet spot, so no survival follow-up to plot")
        title = (
            f"Time to churn after day {result.action_days}: "
            f"{result.action_label} (k = {result.sweet_spot}) or not"
        )
        save_figure(engagement_plots.survival_curves(follow.curves, title=title), survival_plot)
    fmt = format_for(fmt, out)
    spot = "none" if result.sweet_spot is None else str(result.sweet_spot)
    caption = (
        f"{result.users} users, {result.base_retention:.1%} retained "
        f"(days {result.retention_day}-{result.retention_day + result.retention_window - 1}); "
        f"sweet spot k = {spot}"
    )
    json_data = {
        "action": result.action,
        "action_label": result.action_label,
        "action_days": result.action_days,
        "retention_day": result.retention_day,
        "retention_window": result.retention_window,
        "users": result.users,
        "retained": result.retained,
        "sweep": result.sweep.to_dict("records"),
        "sweet_spot": result.sweet_spot,
        "criterion": result.criterion,
        "follow_up": None if follow is None else survival_json(follow, result.churn_gap),
        "interpretation": result.interpretation,
        "suggested_experiment": result.suggested_experiment,
        "notes": list(result.notes),
    }
    title = f"Aha: {result.action_label} in the first {result.action_days} days"
    sweep = rounded(result.sweep) if fmt is OutputFormat.table else result.sweep
    emit_frame(sweep, fmt, out, title=title, caption=caption, json_data=json_data)
    if follow is not None and follow.p_value is not None:
        medians = ", ".join(
            f"{group}: {'not reached' if m is None else f'{m:g} days'}"
            for group, m in follow.median_survival.items()
        )
        stderr.print(
            f"follow-up: log-rank chi2 = {follow.chi2:.2f}, p = {follow.p_value:.3g}; "
            f"median time to churn after day {result.action_days}: {medians}",
            markup=False,
        )
    stderr.print(result.interpretation, markup=False)
    if result.suggested_experiment:
        stderr.print(result.suggested_experiment, markup=False)


def survival_json(follow: Any, churn_gap: int) -> dict[str, Any]:
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


# ----------------------------------------------------------------------------- position


@app.command("position")
@handles_errors
@uses_store
def position_command(
    settings: Settings,
    since: SinceOption = None,
    until: UntilOption = None,
    weight: WeightOption = None,
    transform: Annotated[
        Transform, typer.Option(help="Applied to each score component before z-scoring.")
    ] = Transform.log1p,
    features: FeaturesOption = None,
    plot: PlotOption = None,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
) -> None:
    """Correlate the engagement score with graph position (degree, PageRank, community).

    Spearman correlation with each numeric graph feature; mean score per community with
    a Kruskal–Wallis test.
    """
    with progress_bar("reading events") as progress:
        result, notes = workflow.engagement_position(
            settings,
            since=utc(since),
            until=utc(until),
            weights=parse_weights(weight),
            transform=transform.value,
            features_path=features,
            progress=progress,
        )
    print_notes([*notes, *result.notes])
    if plot is not None:
        save_figure(
            engagement_plots.engagement_position_chart(result.joined, result.communities), plot
        )
    fmt = format_for(fmt, out)
    kruskal = "no Kruskal–Wallis test"
    if result.kruskal_p is not None:
        kruskal = (
            f"Kruskal–Wallis across communities: H = {result.kruskal_h:.2f}, "
            f"p = {result.kruskal_p:.3g}"
        )
    json_data = {
        "correlations": result.correlations.to_dict("records"),
        "communities": result.communities.to_dict("records"),
        "kruskal_h": result.kruskal_h,
        "kruskal_p": result.kruskal_p,
        "notes": [*notes, *result.notes],
    }
    emit_frame(
        rounded(result.correlations, 4) if fmt is OutputFormat.table else result.correlations,
        fmt,
        out,
        title="Engagement score vs graph position (Spearman)",
        caption=kruskal,
        json_data=json_data,
    )
    if fmt is OutputFormat.table and out is None:
        communities = rounded(result.communities.head(10))
        emit_frame(communities, fmt, None, title="By community (largest 10)")
