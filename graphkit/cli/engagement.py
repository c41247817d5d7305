"""`graphkit engagement metrics|retention|anomalies|aha|position`.

Exit codes beyond the common ones: 5 — ``anomalies --fail-on-alert`` found an anomalous
day (for cron and CI); 6 — ``anomalies --webhook`` could not deliver the alert.
"""

from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from graphkit.cli.common import (
    FORMAT_OPTION,
    OUT_OPTION,
    OutputFormat,
    emit_frame,
    emit_result,
    format_for,
    handles_errors,
    labelled,
    progress_bar,
    stderr,
    uses_store,
    utc,
)
from graphkit.config import Settings
from graphkit.engagement.settings import (
    COMPONENTS,
    DAILY_METRICS,
    DEFAULT_ACTION_DAYS,
    DEFAULT_CHURN_GAP,
    DEFAULT_DAYS,
    DEFAULT_MAX_K,
    DEFAULT_MIN_HISTORY,
    DEFAULT_MIN_USERS,
    DEFAULT_RETENTION_DAY,
    DEFAULT_RETENTION_WINDOW,
    DEFAULT_TOP,
    DEFAULT_WEEKS,
    DEFAULT_WEIGHTS,
    DEFAULT_WINDOW,
    AhaSettings,
    AnomaliesSettings,
    MetricsSettings,
    PositionSettings,
    RetentionSettings,
)
from graphkit.errors import ConfigError

if TYPE_CHECKING:  # heavy modules load inside commands: `--help` stays fast
    import matplotlib.figure

    from graphkit.store.base import GraphStore, ProgressCallback

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


def save_figure(figure: "matplotlib.figure.Figure", path: Path) -> None:
    """Write a chart; a path matplotlib cannot write is one line, exit 2."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=120)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot save the chart to {path}: {exc}",
            hint="use a writable path ending in .png, .svg or .pdf",
        ) from exc
    stderr.print(f"wrote {path}")


def print_notes(notes: tuple[str, ...]) -> None:
    for note in dict.fromkeys(notes):  # once each, in order
        stderr.print(f"note: {note}", markup=False)


@contextmanager
def reading_events(
    settings: Settings,
) -> Iterator[tuple["GraphStore", "ProgressCallback | None"]]:
    """The store, opened once for the command, and a progress bar while events are read."""
    from graphkit.store import open_store

    with progress_bar("reading events") as progress, closing(open_store(settings)) as store:
        yield store, progress


def show(result: Any, fmt: OutputFormat, out: Path | None) -> None:
    """Print a result: its table on a terminal (rounded), CSV rows or JSON, then the
    terminal's further tables when printing to the screen."""
    terminal = fmt is OutputFormat.table
    shown = result.for_terminal() if terminal else result
    emit_result(shown, fmt, out, title=result.title, caption=shown.caption)
    if terminal and out is None and hasattr(result, "more_tables"):
        for title, frame in result.more_tables():
            emit_frame(frame, fmt, None, title=title)


def plot_with(plot: Path | None, chart: str, result: Any) -> None:
    """Save ``result``'s chart (a function of :mod:`graphkit.reports.engagement_plots`)."""
    if plot is not None:
        from graphkit.reports import engagement_plots

        save_figure(getattr(engagement_plots, chart)(result), plot)


# ----------------------------------------------------------------------------- metrics


@app.command("metrics")
@handles_errors
@uses_store
def metrics_command(
    settings: Settings,
    since: SinceOption = None,
    until: UntilOption = None,
    ctr_event: CtrOption = "click",
    weights: WeightOption = None,
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
    ] = DEFAULT_TOP,
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
    from graphkit import engagement

    options = MetricsSettings(
        since=utc(since),
        until=utc(until),
        ctr_event=ctr_event,
        weights=parse_weights(weights),
        transform=transform.value,
        table=None if table is None else table.value,
        top=top,
    )
    with reading_events(settings) as (store, progress):
        result = engagement.metrics(store, options, progress=progress)
    print_notes(result.notes)
    stderr.print(result.score_formula)
    plot_with(plot, "metrics_figure", result)
    show(result, format_for(fmt, out), out)


# ----------------------------------------------------------------------------- retention


@app.command("retention")
@handles_errors
@uses_store
def retention_command(
    settings: Settings,
    since: SinceOption = None,
    until: UntilOption = None,
    days: Annotated[
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
    features_path: FeaturesOption = None,
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
    from graphkit import engagement

    options = RetentionSettings(
        since=utc(since),
        until=utc(until),
        days=tuple(days or DEFAULT_DAYS),
        period=period.value,
        weeks=weeks,
        by=by,
        cohorts=cohorts,
        features_path=features_path,
        long=long,
    )
    with reading_events(settings) as (store, progress):
        result = engagement.retention(store, options, progress=progress)
    print_notes(result.notes)
    plot_with(plot, "retention_figure", result)
    show(result, format_for(fmt, out), out)


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
        typer.Option(help="Trailing days whose forecast errors give the band (the day excluded)."),
    ] = DEFAULT_WINDOW,
    min_history: Annotated[
        int, typer.Option(help="Earlier forecast errors a day needs before it is judged.")
    ] = DEFAULT_MIN_HISTORY,
    since: SinceOption = None,
    until: UntilOption = None,
    ctr_event: CtrOption = "click",
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
    from graphkit import engagement
    from graphkit.workflows.engagement import post_anomaly_alert

    options = AnomaliesSettings(
        metric=metric,
        rule=rule.value,
        k=k,
        window=window,
        min_history=min_history,
        since=utc(since),
        until=utc(until),
        ctr_event=ctr_event,
        all_days=all_days,
    )
    with reading_events(settings) as (store, progress):
        result = engagement.anomalies(store, options, progress=progress)
    print_notes(result.notes)
    plot_with(plot, "anomalies_figure", result)
    show(result, format_for(fmt, out), out)
    if result.flagged.empty:
        stderr.print(f"no anomaly in {metric}" + (": nothing posted" if webhook else ""))
        return
    stderr.print(labelled("alert:", f"{len(result.flagged)} anomalous day(s) in {metric}"))
    for line in result.alert_lines():
        stderr.print(f"  {line}", markup=False)
    status = post_anomaly_alert(result, webhook)
    if status is not None:
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
    from graphkit import engagement

    options = AhaSettings(
        action=action,
        action_days=action_days,
        retention_day=retention_day,
        retention_window=retention_window,
        max_k=max_k,
        min_users=min_users,
        churn_gap=churn_gap,
        types=None if types is None else tuple(types),
        since=utc(since),
        until=utc(until),
    )
    with reading_events(settings) as (store, progress):
        result = engagement.aha(store, options, progress=progress)
    print_notes(result.notes)
    plot_with(plot, "aha_figure", result)
    plot_with(survival_plot, "aha_survival_figure", result)
    show(result, format_for(fmt, out), out)
    for line in result.summary_lines():
        stderr.print(line, markup=False)


# ----------------------------------------------------------------------------- position


@app.command("position")
@handles_errors
@uses_store
def position_command(
    settings: Settings,
    since: SinceOption = None,
    until: UntilOption = None,
    weights: WeightOption = None,
    transform: Annotated[
        Transform, typer.Option(help="Applied to each score component before z-scoring.")
    ] = Transform.log1p,
    features_path: FeaturesOption = None,
    plot: PlotOption = None,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
) -> None:
    """Correlate the engagement score with graph position (degree, PageRank, community).

    Spearman correlation with each numeric graph feature; mean score per community with
    a Kruskal–Wallis test.
    """
    from graphkit import engagement

    options = PositionSettings(
        since=utc(since),
        until=utc(until),
        weights=parse_weights(weights),
        transform=transform.value,
        features_path=features_path,
    )
    with reading_events(settings) as (store, progress):
        result = engagement.position(store, options, progress=progress)
    print_notes(result.notes)
    plot_with(plot, "position_figure", result)
    show(result, format_for(fmt, out), out)
