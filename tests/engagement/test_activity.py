"""Activity metrics checked by hand on tests/engagement/hand_data.py."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.engagement.activity import (
    active_users_in_window,
    activity_metrics,
    daily_activity,
    engagement_scores,
    resolve_weights,
    session_metrics,
)
from graphkit.errors import ConfigError
from tests.engagement.conftest import log_from_text
from tests.engagement.hand_data import EVENTS, USERS

NAN = float("nan")


@pytest.fixture
def log():
    return log_from_text(USERS, EVENTS)


def column(frame: pd.DataFrame, name: str) -> list[float]:
    return frame[name].astype(float).tolist()


def same(actual: list[float], expected: list[float]) -> bool:
    return np.allclose(actual, expected, equal_nan=True)


def test_dau_new_returning_by_hand(log) -> None:
    table = daily_activity(log).table
    assert table["date"].tolist() == [f"2026-01-0{d}" for d in range(1, 9)]
    # Jan 1 a, 2 a, 3 b, 4 b, 5 c, 6 -, 7 -, 8 a
    assert table["dau"].tolist() == [1, 1, 1, 1, 1, 0, 0, 1]
    # a new on its signup day (Jan 1), b on Jan 3, c (no signup) on its first day, Jan 5.
    assert table["new_users"].tolist() == [1, 0, 1, 0, 1, 0, 0, 0]
    assert table["returning_users"].tolist() == [0, 1, 0, 1, 0, 0, 0, 1]


def test_wau_mau_need_full_windows(log) -> None:
    result = daily_activity(log)
    table = result.table
    # Only Jan 7 (window Jan 1-7: a, b, c) and Jan 8 (Jan 2-8: a, b, c) have 7 days read.
    assert same(column(table, "wau"), [NAN] * 6 + [3, 3])
    assert table["mau"].isna().all() and table["stickiness"].isna().all()
    assert any("MAU needs 30 days" in note for note in result.notes)


def test_stickiness_is_dau_over_mau() -> None:
    # 31 days of one user active every day, another on the last day only.
    days = pd.date_range("2026-01-01", periods=31, freq="D", tz="UTC")
    rows = [f"a,{d.isoformat()},view,," for d in days] + ["b,2026-01-31T10:00:00Z,view,,"]
    log = log_from_text(
        "user_id,signup_at\na,2026-01-01T00:00:00Z\nb,2026-01-01T00:00:00Z\n",
        "user_id,at,event,value,session_id\n" + "\n".join(rows) + "\n",
    )
    table = daily_activity(log).table
    assert table["mau"].iloc[-2:].tolist() == [1.0, 2.0]  # windows Jan 1-30, Jan 2-31
    assert table["stickiness"].iloc[-2:].tolist() == [1.0, 1.0]
    assert table["mau"].iloc[:29].isna().all()


def test_daily_views_clicks_ctr_by_hand(log) -> None:
    result = daily_activity(log)
    table = result.table
    assert table["views"].tolist() == [1, 1, 1, 0, 1, 0, 0, 2]
    assert table["clicks"].tolist() == [1, 0, 1, 1, 0, 0, 0, 0]
    assert table["sessions"].tolist() == [1, 0, 1, 1, 0, 0, 0, 1]
    # Jan 4 has a click but no view: no CTR (not infinite, not 0).
    assert same(column(table, "ctr"), [1.0, 0.0, 1.0, NAN, 0.0, NAN, NAN, 0.0])
    assert any("3 day(s) without 'view' events have no CTR" in n for n in result.notes)
    likes = daily_activity(log, ctr_event="like").table
    assert same(column(likes, "ctr"), [0.0, 0.0, 0.0, NAN, 0.0, NAN, NAN, 0.5])


def test_session_ctr_rule_for_sessions_without_views(log) -> None:
    result = session_metrics(log)
    table = result.table.sort_values(["date", "user_id"]).reset_index(drop=True)
    # s1 (1 click / 1 view), s3 (1/1), s4 (1 click, no view), s2 (0 / 2 views)
    assert same(column(table, "ctr"), [1.0, 1.0, NAN, 0.0])
    # clicks per minute: 1/1, 1/2, 1/0.5, 0/2
    assert same(column(table, "ctr_events_per_minute"), [1.0, 0.5, 2.0, 0.0])
    summary = result.summary
    assert summary["sessions"] == 4
    assert summary["sessions_without_views"] == 1
    assert summary["ctr_events_without_views"] == 1
    assert summary["mean_session_ctr"] == pytest.approx(2 / 3)  # s4 left out
    assert summary["pooled_ctr"] == pytest.approx(2 / 4)  # clicks with views / views
    assert summary["mean_length_s"] == pytest.approx(82.5)
    assert summary["median_length_s"] == pytest.approx(90.0)
    assert summary["mean_ctr_events_per_minute"] == pytest.approx(0.875)
    assert any("1 of 4 sessions had no view" in note for note in result.notes)


def test_engagement_score_standardises_one_component(log) -> None:
    scores = engagement_scores(log, weights={"active_days": 1}, transform="none")
    table = scores.table.set_index("user_id")
    # active days a=3, b=2, c=1: mean 2, population SD sqrt(2/3).
    sd = math.sqrt(2 / 3)
    assert table.loc[["a", "b", "c"], "score"].tolist() == pytest.approx([1 / sd, 0.0, -1 / sd])
    assert scores.weights == {"active_days": 1.0}
    assert table["rank"].loc[["a", "b", "c"]].tolist() == [1, 2, 3]


def test_engagement_score_weighted_sum_by_hand(log) -> None:
    scores = engagement_scores(log, weights={"sessions": 1, "messages": 3}, transform="none")
    table = scores.table.set_index("user_id")
    assert scores.weights == {"messages": 0.75, "sessions": 0.25}
    # sessions a=2, b=2, c=0 -> mean 4/3, SD sqrt(8/9); messages a=1, b=c=0 -> SD sqrt(2/9)
    z_sessions = np.array([2 / 3, 2 / 3, -4 / 3]) / math.sqrt(8 / 9)
    z_messages = np.array([2 / 3, -1 / 3, -1 / 3]) / math.sqrt(2 / 9)
    expected = 0.25 * z_sessions + 0.75 * z_messages
    assert table.loc[["a", "b", "c"], "score"].tolist() == pytest.approx(expected.tolist())
    assert table.loc[["a", "b", "c"], "z_sessions"].tolist() == pytest.approx(z_sessions.tolist())
    # raw components are kept next to their z-scores
    assert table.loc[["a", "b", "c"], "session_minutes"].tolist() == pytest.approx([3.0, 2.5, 0.0])


def test_engagement_score_log1p_then_z(log) -> None:
    scores = engagement_scores(log, weights={"views": 1})  # default transform log1p
    views = np.log1p([4.0, 1.0, 1.0])  # a=4, b=1, c=1
    expected = (views - views.mean()) / views.std()
    table = scores.table.set_index("user_id")
    assert table.loc[["a", "b", "c"], "score"].tolist() == pytest.approx(expected.tolist())


def test_default_weights_are_shown_and_sum_to_one(log) -> None:
    scores = engagement_scores(log)
    assert sum(scores.weights.values()) == pytest.approx(1.0)
    assert set(scores.weights) == {"active_days", "sessions", "session_minutes", "messages",
                                   "likes", "clicks"}  # fmt: skip


@pytest.mark.parametrize(
    ("weights", "fragment"),
    [
        ({"happiness": 1.0}, "unknown engagement component"),
        ({"sessions": -1.0}, "must be a finite number >= 0"),
        ({"sessions": 0.0}, "at least one engagement weight must be positive"),
        ({"sessions": float("nan")}, "finite"),
    ],
)
def test_bad_weights_are_config_errors(weights: dict[str, float], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        resolve_weights(weights)


def test_a_constant_component_gets_a_note() -> None:
    log = log_from_text(USERS, EVENTS)
    scores = engagement_scores(log, weights={"likes": 1, "sessions": 1})
    assert not any("likes" in note for note in scores.notes)  # a liked, so it varies
    flat = engagement_scores(log_from_text(USERS, EVENTS.replace("like", "view")),
                             weights={"likes": 1, "sessions": 1})  # fmt: skip
    assert any("likes is the same for every user" in note for note in flat.notes)


def test_activity_metrics_bundles_everything(log) -> None:
    result = activity_metrics(log)
    assert (result.first_date, result.last_date) == ("2026-01-01", "2026-01-08")
    assert len(result.daily.table) == 8 and result.sessions.summary["sessions"] == 4
    assert len(result.scores.table) == 3


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40)), min_size=1, max_size=60),
    st.integers(1, 35),
)
def test_window_counts_match_brute_force(pairs: list[tuple[int, int]], window: int) -> None:
    user_days = pd.DataFrame(sorted(set(pairs)), columns=["user", "day"])
    days = np.arange(0, 45)
    counted = active_users_in_window(user_days, days, window)
    for day in days:
        active = {u for u, d in set(pairs) if day - window < d <= day}
        assert counted[day] == len(active)
