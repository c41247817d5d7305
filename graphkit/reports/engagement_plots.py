"""Engagement plots, as pure functions: result tables in, a matplotlib Figure out.

Each function takes the table a :mod:`graphkit.engagement` result holds (and an optional
``ax``), never calls ``plt.show()`` and never touches pyplot's global state (figures
are :class:`matplotlib.figure.Figure` objects); the caller saves or embeds them. A table
with nothing to draw raises :class:`~graphkit.errors.InsufficientData` instead of
returning an empty chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib
import matplotlib.colors
import matplotlib.dates as mdates
import matplotlib.figure
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from graphkit.engagement.settings import MIN_CELL_USERS
from graphkit.errors import ConfigError, InsufficientData
from graphkit.reports.canvas import figure_and_axes

if TYPE_CHECKING:
    from graphkit.engagement.results import (
        AhaMomentResult,
        AnomaliesResult,
        MetricsResult,
        PositionResult,
        RetentionResult,
    )

FLAG_COLOR = "#d62728"
BAND_COLOR = "#9ecae1"
LINE_COLOR = "#1f77b4"
FEW_USERS_COLOR = "#e0e0e0"
MAX_HEATMAP_ROWS = 40
MAX_COMMUNITY_BARS = 10


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}")
    if frame.empty or frame[columns[-1]].isna().all():
        raise InsufficientData(f"nothing to plot: {what} has no values")


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def activity_chart(daily: pd.DataFrame, *, ax: Axes | None = None) -> matplotlib.figure.Figure:
    """DAU, WAU and MAU over time, with stickiness (DAU/MAU) on a second axis.

    ``daily`` is :attr:`graphkit.engagement.activity.DailyActivity.table`.
    """
    _require(daily, ["date", "dau"], "the daily activity table")
    figure, ax = figure_and_axes(ax, (9, 4.5))
    dates = pd.to_datetime(daily["date"])
    for column, style in (("mau", ":"), ("wau", "--"), ("dau", "-")):
        if column in daily.columns and daily[column].notna().any():
            ax.plot(dates, daily[column], style, label=column.upper(), color=LINE_COLOR)
    ax.set_ylabel("active users")
    ax.set_ylim(bottom=0)
    _date_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    if "stickiness" in daily.columns and daily["stickiness"].notna().any():
        right = ax.twinx()
        (line,) = right.plot(dates, daily["stickiness"], color="#ff7f0e", label="stickiness")
        right.set_ylabel("stickiness (DAU / MAU)")
        right.set_ylim(0, max(1.0, float(daily["stickiness"].max())))
        handles.append(line)
        labels.append("stickiness")
    ax.legend(handles, labels, loc="upper left", frameon=False)
    ax.set_title("Daily, weekly and monthly active users")
    return figure


def retention_heatmap(
    wide: pd.DataFrame,
    groups: tuple[str, ...] | list[str],
    *,
    eligible: pd.DataFrame | None = None,
    min_eligible: int = 0,
    ax: Axes | None = None,
) -> matplotlib.figure.Figure:
    """The cohort table as a heatmap: rows are groups, columns days (or weeks), cells the
    retention (annotated in percent; blank where nobody is eligible yet).

    ``wide`` and ``groups`` come from :class:`graphkit.engagement.cohorts.RetentionTable`;
    ``eligible`` (its ``eligible_wide``) adds each cell's number of eligible users under
    the percentage, and cells with fewer than ``min_eligible`` are greyed out (drawn grey,
    value in grey). Only the first :data:`MAX_HEATMAP_ROWS` groups are drawn.
    """
    offsets = [c for c in wide.columns if c.startswith(("day_", "week_"))]
    if not offsets:
        raise ValueError("the retention table has no day_N or week_N column")
    values = wide[offsets].to_numpy(dtype=float)
    if wide.empty or np.isnan(values).all():
        raise InsufficientData("nothing to plot: no retention value can be observed yet")
    shown = wide.head(MAX_HEATMAP_ROWS)
    values = values[: len(shown)]
    row_height = 0.35 if eligible is None else 0.5
    figure, ax = figure_and_axes(ax, (1.4 + 0.9 * len(offsets), 1.2 + row_height * len(shown)))
    counts = (
        eligible[offsets].to_numpy(dtype=float)[: len(shown)]
        if eligible is not None
        else np.full(values.shape, np.nan)
    )
    few = np.nan_to_num(counts, nan=np.inf) < min_eligible
    masked = np.ma.masked_where(np.isnan(values) | few, values)
    cmap = matplotlib.colormaps["Blues"].with_extremes(bad=FEW_USERS_COLOR)
    image = ax.imshow(masked, aspect="auto", cmap=cmap, vmin=0, vmax=1)
    # Cells nobody is eligible for stay white (drawn over the grey of masked cells).
    blank = np.isnan(values)
    if blank.any():
        ax.imshow(np.ma.masked_where(~blank, np.zeros(values.shape)), aspect="auto",
                  cmap=matplotlib.colors.ListedColormap(["white"]))  # fmt: skip
    ax.set_xticks(range(len(offsets)), [c.replace("_", " ") for c in offsets])
    labels = [" / ".join(str(row[g]) for g in groups) for _, row in shown.iterrows()]
    labels = [f"{label} (n={int(n)})" for label, n in zip(labels, shown["users"], strict=True)]
    ax.set_yticks(range(len(shown)), labels)
    for (row, column), value in np.ndenumerate(values):
        if np.isfinite(value):
            color = "dimgray" if few[row, column] else "white" if value > 0.6 else "black"
            count = counts[row, column]
            text = f"{value:.0%}" + (f"\nn={int(count)}" if np.isfinite(count) else "")
            ax.text(column, row, text, ha="center", va="center", fontsize=7, color=color)
    figure.colorbar(image, ax=ax, label="retention", format=lambda v, _: f"{v:.0%}")
    title = "Retention by " + " and ".join(groups)
    if len(wide) > len(shown):
        title += f" (first {len(shown)} of {len(wide)} rows)"
    if min_eligible > 0 and few.any():
        title += f"; grey: fewer than {min_eligible} eligible users"
    ax.set_title(title)
    return figure


def anomaly_chart(
    series: pd.DataFrame, *, metric: str, rule: str, ax: Axes | None = None
) -> matplotlib.figure.Figure:
    """A metric over time with its expected band and the flagged days in red.

    ``series`` is :attr:`graphkit.engagement.anomaly_detection.AnomalyReport.series`; days read
    only as history are drawn lighter.
    """
    _require(series, ["date", "low", "high", "flagged", "value"], f"the {metric} series")
    figure, ax = figure_and_axes(ax, (9, 4.5))
    dates = pd.to_datetime(series["date"])
    ax.fill_between(
        dates, series["low"], series["high"], color=BAND_COLOR, alpha=0.5, label="expected band"
    )
    ax.plot(dates, series["expected"], "--", color="grey", linewidth=1, label="expected")
    reported = series["reported"] if "reported" in series.columns else pd.Series(True, series.index)
    ax.plot(dates, series["value"].where(reported), color=LINE_COLOR, label=metric)
    ax.plot(dates, series["value"].where(~reported), color=LINE_COLOR, alpha=0.35)
    flagged = series["flagged"] & reported
    ax.scatter(
        dates[flagged],
        series.loc[flagged, "value"],
        color=FLAG_COLOR,
        zorder=3,
        label=f"flagged ({int(flagged.sum())})",
    )
    _date_axis(ax)
    ax.set_ylabel(metric)
    ax.legend(loc="upper left", frameon=False)
    ax.set_title(f"{metric}: anomalies by the {rule} rule")
    return figure


def aha_curves(
    sweep: pd.DataFrame,
    *,
    sweet_spot: int | None = None,
    action: str = "k",
    ax: Axes | None = None,
) -> matplotlib.figure.Figure:
    """P(retained | did it), P(did it | retained), retention of non-doers and the share
    of doers against k, with the sweet spot marked.

    ``sweep`` is :attr:`graphkit.engagement.aha_moments.AhaResult.sweep`.
    """
    _require(sweep, ["k", "share_did"], "the aha sweep")
    figure, ax = figure_and_axes(ax, (8, 4.5))
    k = sweep["k"]
    ax.plot(k, sweep["retention_did"], "o-", label="P(retained | did it)")
    ax.plot(k, sweep["p_did_given_retained"], "s-", label="P(did it | retained)")
    ax.plot(k, sweep["retention_not"], "^--", label="P(retained | did not)")
    ax.plot(k, sweep["share_did"], ":", color="grey", label="share who did it")
    if sweet_spot is not None:
        ax.axvline(sweet_spot, color=FLAG_COLOR, linewidth=1)
        ax.annotate(
            f"sweet spot k={sweet_spot}",
            (sweet_spot, 1.0),
            xytext=(4, -12),
            textcoords="offset points",
            color=FLAG_COLOR,
        )
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(f"k ({action})")
    ax.set_ylabel("rate")
    ax.legend(loc="center right", frameon=False)
    ax.set_title("Aha moment: retention against how often users did it early")
    return figure


def survival_curves(
    curves: pd.DataFrame, *, title: str = "Time to churn", ax: Axes | None = None
) -> matplotlib.figure.Figure:
    """Kaplan–Meier step curves with pointwise CIs, one per group.

    ``curves`` is :attr:`graphkit.experiments.survival.SurvivalComparison.curves`.
    """
    _require(curves, ["group", "time", "survival"], "the survival curves")
    figure, ax = figure_and_axes(ax, (8, 4.5))
    for group, rows in curves.groupby("group", sort=True):
        (line,) = ax.step(rows["time"], rows["survival"], where="post", label=str(group))
        ax.fill_between(
            rows["time"],
            rows["ci_low"],
            rows["ci_high"],
            step="post",
            alpha=0.2,
            color=line.get_color(),
        )
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("days since the end of the action window")
    ax.set_ylabel("share still active")
    ax.legend(frameon=False)
    ax.set_title(title)
    return figure


def engagement_position_chart(
    joined: pd.DataFrame, communities: pd.DataFrame
) -> matplotlib.figure.Figure:
    """Engagement score against degree (left) and mean score per community (right).

    ``joined`` and ``communities`` come from
    :class:`graphkit.engagement.network_position.PositionCorrelation`; the right panel shows the
    :data:`MAX_COMMUNITY_BARS` largest communities.
    """
    _require(joined, ["user_id", "score"], "the engagement/feature table")
    figure = matplotlib.figure.Figure(figsize=(11, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2)
    if "degree" in joined.columns:
        left.scatter(joined["degree"] + 1, joined["score"], s=6, alpha=0.4, color=LINE_COLOR)
        left.set_xscale("log")
        left.set_xlabel("degree + 1 (log scale)")
    else:
        left.text(0.5, 0.5, "no degree column", ha="center", transform=left.transAxes)
    left.set_ylabel("engagement score (SD units)")
    left.set_title("Engagement vs degree")
    if not communities.empty:
        top = communities.head(MAX_COMMUNITY_BARS)
        positions = np.arange(len(top))
        right.bar(positions, top["mean_score"], color=LINE_COLOR)
        right.set_xticks(positions, [str(c) for c in top["community"]])
        right.axhline(0, color="grey", linewidth=0.8)
        right.set_xlabel("community (largest first)")
        right.set_ylabel("mean engagement score")
    else:
        right.text(0.5, 0.5, "no community column", ha="center", transform=right.transAxes)
    right.set_title("Engagement by community")
    return figure


# ----------------------------------------------------------------------------- per command


def metrics_figure(result: MetricsResult) -> matplotlib.figure.Figure:
    """``engagement metrics --plot``: daily active users and stickiness."""
    return activity_chart(result.metrics.daily.table)


def retention_figure(result: RetentionResult) -> matplotlib.figure.Figure:
    """``engagement retention --plot``: the heatmap, thin cells greyed out."""
    retention = result.retention
    return retention_heatmap(
        retention.wide,
        retention.groups,
        eligible=retention.eligible_wide,
        min_eligible=MIN_CELL_USERS,
    )


def anomalies_figure(result: AnomaliesResult) -> matplotlib.figure.Figure:
    """``engagement anomalies --plot``: the metric, its band and the flagged days."""
    report = result.report
    return anomaly_chart(report.series, metric=report.metric, rule=report.rule)


def aha_figure(result: AhaMomentResult) -> matplotlib.figure.Figure:
    """``engagement aha --plot``: retention of doers and non-doers for each k."""
    aha = result.aha
    return aha_curves(aha.sweep, sweet_spot=aha.sweet_spot, action=aha.action_label)


def aha_survival_figure(result: AhaMomentResult) -> matplotlib.figure.Figure:
    """``engagement aha --survival-plot``: Kaplan–Meier time to churn around the sweet spot.

    Raises
    ------
    ConfigError
        If there is no sweet spot, hence no follow-up (the chart was asked for nothing).
    """
    follow = result.aha.follow_up
    if follow is None:
        raise ConfigError("no sweet spot, so no survival follow-up to plot")
    return survival_curves(follow.curves, title=result.survival_title)


def position_figure(result: PositionResult) -> matplotlib.figure.Figure:
    """``engagement position --plot``: score against degree and PageRank, by community."""
    position = result.position
    return engagement_position_chart(position.joined, position.communities)
