"""The ActivityLog: what is kept of events, session rules, windows and notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphkit.engagement.eventlog import (
    day_labels,
    day_number,
    summarise_events,
    summarise_parquet,
)
from graphkit.errors import DataError, InsufficientData
from tests.engagement.conftest import events_frame, log_from_text, users_frame
from tests.engagement.hand_data import EVENTS, USERS


def test_counts_keep_one_row_per_user_day_event() -> None:
    log = log_from_text(USERS, EVENTS)
    by_user = log.counts.assign(user_id=log.users["user_id"].to_numpy()[log.counts["user"]])
    a_jan8 = by_user[
        (by_user["user_id"] == "a") & (by_user["day"] == day_number(pd.Timestamp("2026-01-08")))
    ]
    assert dict(zip(a_jan8["event"].astype(str), a_jan8["n"], strict=True)) == {
        "like": 1,
        "message": 1,
        "session": 1,
        "view": 2,
    }
    assert int(log.counts["n"].sum()) == 15  # every event counted once
    assert log.event_names == ["click", "like", "message", "session", "view"]
    assert (log.first_day, log.last_day) == (
        day_number(pd.Timestamp("2026-01-01")),
        day_number(pd.Timestamp("2026-01-08")),
    )


def test_session_length_rule_and_counts() -> None:
    sessions = log_from_text(USERS, EVENTS).sessions
    assert len(sessions) == 4  # events without a session id belong to none
    by_start = sessions.sort_values("start_ms")
    # s1: value of its session row; s3: no value, so 10:00:00 -> 10:02:00 = 120 s.
    assert by_start["length_s"].tolist() == [60.0, 120.0, 30.0, 120.0]
    assert by_start["views"].tolist() == [1, 1, 0, 2]
    assert by_start["clicks"].tolist() == [1, 1, 1, 0]
    assert by_start["messages"].tolist() == [0, 0, 0, 1]
    assert by_start["events"].tolist() == [3, 3, 2, 5]


def test_a_session_spanning_chunks_is_one_session() -> None:
    events = events_frame(EVENTS)
    split = events["at"] < pd.Timestamp("2026-01-03T10:01:00Z")  # cuts s3 in two
    whole = summarise_events([events], users_frame(USERS))
    chunked = summarise_events([events[split], events[~split]], users_frame(USERS))
    pd.testing.assert_frame_equal(whole.sessions, chunked.sessions)
    pd.testing.assert_frame_equal(whole.counts, chunked.counts)


def test_same_session_id_of_two_users_is_two_sessions() -> None:
    events = events_frame(
        "user_id,at,event,value,session_id\n"
        "a,2026-01-01T10:00:00Z,view,,s\n"
        "b,2026-01-01T11:00:00Z,view,,s\n"
    )
    log = summarise_events([events], users_frame(USERS))
    assert len(log.sessions) == 2


def test_unknown_users_and_early_events_give_notes() -> None:
    events = events_frame(
        "user_id,at,event,value,session_id\n"
        "zz,2026-01-02T10:00:00Z,view,,\n"
        "b,2026-01-02T10:00:00Z,view,,\n"  # the day before b's signup
    )
    log = summarise_events([events], users_frame(USERS))
    assert any("1 event(s) of users not in the users table" in n for n in log.notes)
    assert any("before their user's signup day" in n for n in log.notes)
    assert int(log.counts["n"].sum()) == 1


def test_missing_column_is_a_data_error() -> None:
    events = events_frame(EVENTS).drop(columns="event")
    with pytest.raises(DataError, match="event"):
        summarise_events([events], users_frame(USERS))


def test_requested_days_beyond_the_data_are_cut_with_a_note() -> None:
    log = log_from_text(
        USERS,
        EVENTS,
        first_day=day_number(pd.Timestamp("2026-01-02")),
        last_day=day_number(pd.Timestamp("2026-02-28")),
    )
    assert log.last_day == day_number(pd.Timestamp("2026-01-08"))
    assert any("no events after 2026-01-08" in note for note in log.notes)


def test_history_starts_at_the_first_day_with_data() -> None:
    # Reading 30 days of history before Jan 2 finds data from Jan 1 only.
    jan2 = day_number(pd.Timestamp("2026-01-02"))
    log = log_from_text(USERS, EVENTS, first_day=jan2, data_first_day=jan2 - 30)
    assert log.data_first_day == jan2 - 1


def test_a_window_without_events_is_insufficient_data() -> None:
    log = summarise_events([], users_frame(USERS), first_day=20000, last_day=20010)
    with pytest.raises(InsufficientData, match="no events between"):
        log.require_events()


def test_day_helpers() -> None:
    assert day_labels(np.array([0, 20454])) == ["1970-01-01", "2026-01-01"]
    assert day_number(pd.Timestamp("2026-01-01T23:59:59", tz="UTC")) == 20454


def test_a_parquet_file_reduces_like_the_same_events_in_chunks(tmp_path) -> None:
    """The embedded store's path (one Parquet file, aggregated in one pass) gives the same
    log as frames folded chunk by chunk, unknown users and sessionless events included."""
    events = events_frame(
        EVENTS + "zz,2026-01-02T10:00:00Z,view,,s9\nzz,2026-01-03T10:00:00Z,click,,\n"
    )
    path = tmp_path / "events.parquet"
    events.to_parquet(path)
    split = events["at"] < pd.Timestamp("2026-01-04", tz="UTC")
    chunked = summarise_events([events[split], events[~split]], users_frame(USERS))
    direct = summarise_parquet(path, users_frame(USERS))
    pd.testing.assert_frame_equal(direct.counts, chunked.counts)
    pd.testing.assert_frame_equal(direct.sessions, chunked.sessions)
    assert direct.notes == chunked.notes
    assert any("2 event(s) of users not in the users table" in n for n in direct.notes)
