"""Engagement plots: pure functions returning Figures, never a silent empty chart."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.figure
import numpy as np
import pandas as pd
import pytest

from graphkit.engagement.activity import daily_activity
from graphkit.engagement.aha_moments import sweep_thresholds
from graphkit.engagement.cohorts import retention_table
from graphkit.engagement.eventlog import day_number
from graphkit.engagement.network_position import engagement_vs_position
from graphkit.errors import InsufficientData
from graphkit.experiments.survival import compare_survival
from graphkit.reports import engagement_plots as plots
from tests.engagement.conftest import log_from_text, spiked_report
from tests.engagement.hand_data import (
    EVENTS,
    RETENTION_EVENTS,
    RETENTION_USERS,
    USERS,
)


def test_activity_chart_draws_each_series() -> None:
    figure = plots.activity_chart(daily_activity(log_from_text(USERS, EVENTS)).table)
    assert isinstance(figure, matplotlib.figure.Figure)
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert labels == ["WAU", "DAU"]  # MAU has no value yet: not drawn


def test_retention_heatmap_annotates_every_observed_cell() -> None:
    log = log_from_text(
        RETENTION_USERS, RETENTION_EVENTS, first_day=day_number(pd.Timestamp("2026-01-05"))
    )
    result = retention_table(log, days=(1, 7, 14))
    figure = plots.retention_heatmap(result.wide, result.groups)
    texts = [t.get_text() for t in figure.axes[0].texts]
    finite = np.isfinite(result.wide[["day_1", "day_7", "day_14"]].to_numpy(dtype=float)).sum()
    assert len(texts) == finite == 5
    assert "50%" in texts and "100%" in texts


def test_retention_heatmap_shows_eligible_users_and_greys_out_small_cells() -> None:
    log = log_from_text(
        RETENTION_USERS, RETENTION_EVENTS, first_day=day_number(pd.Timestamp("2026-01-05"))
    )
    result = retention_table(log, days=(1, 7, 14))
    eligible = result.eligible_wide
    # Hand data: cohort of 5 Jan has u1, u2 (2 eligible on day 1), 12 Jan u3, u4.
    assert eligible["day_1"].tolist() == [2, 2]
    figure = plots.retention_heatmap(result.wide, result.groups, eligible=eligible, min_eligible=2)
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "50%\nn=2" in texts
    cells = figure.axes[0].images[0].get_array()
    counts = eligible[["day_1", "day_7", "day_14"]].to_numpy(dtype=float)
    few = counts < 2
    assert few.any() and not few.all()
    assert cells.mask[few].all()  # drawn in the "bad" grey, not on the colour scale
    observed = np.isfinite(result.wide[["day_1", "day_7", "day_14"]].to_numpy(dtype=float))
    assert not cells.mask[observed & ~few].any()
    grey = [t for t in figure.axes[0].texts if t.get_color() == "dimgray"]
    assert len(grey) == (observed & few).sum()


def test_anomaly_chart_marks_the_flagged_days() -> None:
    report = spiked_report()
    figure = plots.anomaly_chart(report.series, metric=report.metric, rule=report.rule)
    (points,) = figure.axes[0].collections[1:]  # [0] is the band
    assert len(points.get_offsets()) == len(report.flagged) > 0


def test_aha_curves_mark_the_sweet_spot() -> None:
    sweep = sweep_thresholds(
        pd.Series([0, 1, 2, 3]), pd.Series([False, False, True, True]), [1, 2, 3]
    )
    figure = plots.aha_curves(sweep, sweet_spot=2, action="connections")
    ax = figure.axes[0]
    assert len(ax.get_lines()) == 5  # four curves and the sweet-spot line
    assert any("sweet spot k=2" in t.get_text() for t in ax.texts)


def test_survival_and_position_charts() -> None:
    follow = compare_survival(
        [1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 1, 0], ["a", "a", "a", "b", "b", "b"]
    )
    figure = plots.survival_curves(follow.curves)
    assert len(figure.axes[0].get_lines()) == 2
    scores = pd.DataFrame({"user_id": list("abcd"), "score": [0.0, 1.0, 2.0, 3.0]})
    features = pd.DataFrame(
        {"user_id": list("abcd"), "degree": [1, 2, 3, 4], "community": [0, 0, 1, 1]}
    )
    result = engagement_vs_position(scores, features)
    figure = plots.engagement_position_chart(result.joined, result.communities)
    assert len(figure.axes) == 2
    assert len(figure.axes[1].patches) == 2  # one bar per community


def test_nothing_to_draw_is_an_error_not_an_empty_chart() -> None:
    empty_daily = pd.DataFrame({"date": [], "dau": []})
    with pytest.raises(InsufficientData, match="nothing to plot"):
        plots.activity_chart(empty_daily)
    wide = pd.DataFrame({"cohort": ["2026-01-05"], "users": [3], "day_30": [np.nan]})
    with pytest.raises(InsufficientData, match="no retention value"):
        plots.retention_heatmap(wide, ["cohort"])
    series = pd.DataFrame(columns=["date", "low", "high", "flagged", "value"])
    with pytest.raises(InsufficientData, match="nothing to plot"):
        plots.anomaly_chart(series, metric="dau", rule="sigma")
