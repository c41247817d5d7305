"""Per-user metrics from events around each user's assignment, and time to churn."""

from __future__ import annotations

import pandas as pd
import pytest

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.metrics import (
    EventMetric,
    Metric,
    experiment_metrics,
    parse_event_metric,
    time_to_churn,
)


def utc(*stamps: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(stamps), utc=True))


@pytest.fixture
def assignments() -> pd.DataFrame:
    """a (control) and b (treatment) assigned at noon on Jan 10; c at noon on Jan 12."""
    return pd.DataFrame(
        {
            "experiment": "exp",
            "user_id": ["a", "b", "c"],
            "variant": ["control", "treatment", "treatment"],
            "assigned_at": utc("2026-01-10T12:00", "2026-01-10T12:00", "2026-01-12T12:00"),
        }
    )


@pytest.fixture
def events() -> pd.DataFrame:
    rows = [
        # a: one session before (pre), one exactly at assignment (post), one at the post end
        ("a", "2026-01-08T12:00", "session", 40.0),
        ("a", "2026-01-10T12:00", "session", 60.0),
        ("a", "2026-01-10T12:01", "click", None),
        ("a", "2026-01-17T12:00", "session", 999.0),  # assigned + 7 days: outside [a, a+7d)
        # b: only a click in the post window, a view before the pre window
        ("b", "2026-01-11T00:00", "click", None),
        ("b", "2026-01-01T00:00", "view", None),
        # z: not in the experiment
        ("z", "2026-01-11T00:00", "session", 5.0),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "at", "event", "value"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def test_windows_are_half_open_and_per_user(assignments, events):
    result = experiment_metrics(
        assignments,
        events,
        ["time_spent", "sessions", "events", "clicked=conversion:click"],
        post_days=7,
        pre_days=3,
    )
    table = result.table.set_index("user_id")
    # a: post = the session at assigned_at (60 s) + a click; the session at +7 days is out
    assert table.loc["a", "time_spent"] == 60.0
    assert table.loc["a", "sessions"] == 1
    assert table.loc["a", "events"] == 2
    assert table.loc["a", "clicked"] == 1
    # the pre window [a - 3d, a) holds the Jan 8 session
    assert table.loc["a", "time_spent_pre"] == 40.0
    assert table.loc["a", "sessions_pre"] == 1
    # b's view on Jan 1 is before its pre window: nothing counts there
    assert table.loc["b", "events_pre"] == 0
    assert table.loc["b", "clicked"] == 1
    assert table.loc["b", "time_spent"] == 0  # an empty value adds nothing
    # c has no event at all: every metric is 0, not missing
    assert table.loc["c"][["time_spent", "sessions", "events", "clicked"]].tolist() == [0, 0, 0, 0]
    assert result.metrics[0] == Metric("time_spent", "mean", "time_spent_pre")
    assert [m.kind for m in result.metrics] == ["mean", "count", "count", "conversion"]
    assert "1 event(s) of users outside the experiment ignored" in result.notes


def test_no_pre_window_means_no_covariate(assignments, events):
    result = experiment_metrics(assignments, events, ["sessions"], post_days=7, pre_days=0)
    assert "sessions_pre" not in result.table.columns
    assert result.metrics == (Metric("sessions", "count", None),)


def test_post_window_beyond_the_data_is_noted(assignments, events):
    result = experiment_metrics(assignments, events, ["sessions"], post_days=30, pre_days=0)
    assert any("post window ends more than a day after" in note for note in result.notes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sessions", EventMetric("sessions", "count", "session")),
        ("time_spent", EventMetric("time_spent", "sum", "session")),
        ("events", EventMetric("events", "count", None)),
        ("likes=count:like", EventMetric("likes", "count", "like")),
        ("seconds = sum", EventMetric("seconds", "sum", None)),
        ("paid=conversion:purchase", EventMetric("paid", "conversion", "purchase")),
    ],
)
def test_metric_grammar(text, expected):
    assert parse_event_metric(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "sessions=average:session",
        "nothing",
        "x=conversion",
        "user_id=count",
        "2x=count",
        "a_pre=sum",
    ],
)
def test_bad_metric_specs_are_config_errors(text):
    with pytest.raises(ConfigError) as error:
        parse_event_metric(text)
    assert error.value.hint


def test_bad_inputs(assignments, events):
    with pytest.raises(ConfigError, match="used twice"):
        experiment_metrics(assignments, events, ["sessions", "sessions=count"])
    with pytest.raises(ConfigError, match="post window"):
        experiment_metrics(assignments, events, ["sessions"], post_days=0)
    with pytest.raises(ConfigError, match="pre window"):
        experiment_metrics(assignments, events, ["sessions"], pre_days=-1)
    with pytest.raises(InsufficientData):
        experiment_metrics(assignments.iloc[:0], events, ["sessions"])
    with pytest.raises(DataError, match="assigned twice"):
        experiment_metrics(pd.concat([assignments, assignments.iloc[:1]]), events, ["sessions"])


def test_time_to_churn_churns_censors_and_counts_from_assignment():
    assignments = pd.DataFrame(
        {
            "user_id": ["active", "gone", "silent", "late"],
            "variant": ["control", "control", "treatment", "treatment"],
            "assigned_at": utc("2026-01-01", "2026-01-01", "2026-01-01", "2026-01-20"),
        }
    )
    events = pd.DataFrame(
        {
            "user_id": ["active", "active", "active", "gone", "gone", "late"],
            "event": ["view"] * 6,
            "at": utc(
                "2025-12-20",  # before assignment: ignored
                "2026-01-05",
                "2026-01-09",
                "2026-01-02",
                "2026-01-15",  # 13 days after the last: gone churned on Jan 2
                "2026-01-21",
            ),
        }
    )
    result = time_to_churn(
        assignments, events, churn_days=7, until=pd.Timestamp("2026-01-14", tz="UTC")
    ).set_index("user_id")
    # active: Jan 5, Jan 9, then 5 days to the end (< 7): censored at its last activity
    assert (result.loc["active", "duration"], result.loc["active", "churned"]) == (8.0, 0)
    # gone: after Jan 2 nothing until the end of observation (Jan 15 is past it)
    assert (result.loc["gone", "duration"], result.loc["gone", "churned"]) == (1.0, 1)
    # silent: no activity in the first 7 days: churned at day 0
    assert (result.loc["silent", "duration"], result.loc["silent", "churned"]) == (0.0, 1)
    # late: assigned after the end of observation: censored at 0, never negative
    assert (result.loc["late", "duration"], result.loc["late", "churned"]) == (0.0, 0)


def test_time_to_churn_needs_an_end():
    assignments = pd.DataFrame(
        {"user_id": ["a"], "variant": ["control"], "assigned_at": utc("2026-01-01")}
    )
    events = pd.DataFrame({"user_id": [], "event": [], "at": utc()})
    with pytest.raises(InsufficientData, match="end of observation"):
        time_to_churn(assignments, events)
    with pytest.raises(ConfigError):
        time_to_churn(assignments, events, churn_days=0)
