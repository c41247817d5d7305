"""Retention and cohort tables checked by hand (tests/engagement/hand_data.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphkit.engagement.cohorts import retention_table
from graphkit.engagement.eventlog import day_number
from graphkit.engagement.segments import degree_bucket, quintiles, segment_users
from graphkit.errors import ConfigError, InsufficientData
from tests.engagement.conftest import log_from_text, users_frame
from tests.engagement.hand_data import RETENTION_EVENTS, RETENTION_USERS

JAN5 = day_number(pd.Timestamp("2026-01-05"))


@pytest.fixture
def log():
    # Reported from Mon 5 Jan; u5 signed up before, u6 has no signup.
    return log_from_text(RETENTION_USERS, RETENTION_EVENTS, first_day=JAN5)


def cells(result, value: str = "retention") -> dict[tuple[str, int], float]:
    table = result.table
    return {(row[result.groups[0]], row[result.period]): row[value] for _, row in table.iterrows()}


def test_cohort_table_by_hand(log) -> None:
    result = retention_table(log, days=(1, 7, 14))
    got = cells(result)
    # Cohort of Mon 5 Jan: u1 (active days 0, 1, 7, 14), u2 (days 0, 7).
    assert got[("2026-01-05", 1)] == 0.5
    assert got[("2026-01-05", 7)] == 1.0
    # Day 14 of u2 (20 Jan) is after the data: only u1 is eligible.
    assert got[("2026-01-05", 14)] == 1.0
    assert cells(result, "eligible")[("2026-01-05", 14)] == 1
    # Cohort of Mon 12 Jan: u3 (days 0, 1), u4 (day 0).
    assert got[("2026-01-12", 1)] == 0.5
    # Day 7: u3's (19 Jan) is observed and inactive; u4's (21 Jan) is not observed.
    assert got[("2026-01-12", 7)] == 0.0
    assert cells(result, "eligible")[("2026-01-12", 7)] == 1
    assert np.isnan(got[("2026-01-12", 14)])  # nobody eligible yet: empty, not 0
    assert result.wide.columns.tolist() == ["cohort", "users", "day_1", "day_7", "day_14"]
    assert result.wide["users"].tolist() == [2, 2]
    assert any("1 user(s) signed up before 2026-01-05" in n for n in result.notes)
    assert any("1 user(s) without signup_at" in n for n in result.notes)


def test_weekly_periods_by_hand(log) -> None:
    result = retention_table(log, period="week", weeks=3)
    got = cells(result)
    assert got[("2026-01-05", 0)] == 1.0 and got[("2026-01-12", 0)] == 1.0
    assert got[("2026-01-05", 1)] == 1.0  # u1 on day 7, u2 on day 7
    assert np.isnan(got[("2026-01-12", 1)])  # days 7-13 of u3/u4 not all observed
    assert np.isnan(got[("2026-01-05", 2)])
    assert any("week(s) 2" in note for note in result.notes)


def test_segment_by_a_user_column(log) -> None:
    segment = segment_users(log.users, "country")
    result = retention_table(log, days=(1,), segment=segment, cohorts=False)
    got = {row["segment"]: row["retention"] for _, row in result.table.iterrows()}
    assert got == {"DE": 0.0, "US": 1.0}  # DE: u2, u4 not back on day 1; US: u1, u3 were
    both = retention_table(log, days=(1,), segment=segment, cohorts=True)
    assert both.groups == ("segment", "cohort")
    assert len(both.table) == 4


def test_segment_by_degree_bucket_from_features(log) -> None:
    features = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u4"], "degree": [0, 2, 12, 60]})
    segment = segment_users(log.users, "degree_bucket", features)
    assert segment.loc[["u1", "u2", "u3", "u4"]].astype(str).tolist() == [
        "0",
        "1-2",
        "11-20",
        "51+",
    ]
    assert segment.loc["u6"] == "unknown"  # not in the feature table
    result = retention_table(log, days=(1,), segment=segment, cohorts=False)
    assert result.table["segment"].astype(str).tolist() == ["0", "1-2", "11-20", "51+"]


def test_segment_rules() -> None:
    buckets = degree_bucket(pd.Series([0, 1, 2, 3, 5, 6, 10, 11, 20, 21, 50, 51]))
    assert buckets.astype(str).tolist() == [
        "0", "1-2", "1-2", "3-5", "3-5", "6-10", "6-10", "11-20", "11-20", "21-50", "21-50", "51+",
    ]  # fmt: skip
    labels = quintiles(pd.Series(np.arange(100.0)))
    assert labels.value_counts().tolist() == [20] * 5
    assert str(labels.iloc[0]) == "q1 [0, 19]"
    tied = quintiles(pd.Series([1.0] * 50 + list(range(2, 52))))
    assert tied.iloc[:50].nunique() == 1  # equal values never split between bins
    users = users_frame("user_id,signup_at,community\nx,,3\ny,,12\n")
    assert segment_users(users, "community").astype(str).tolist() == ["3", "12"]


def test_unknown_segment_lists_the_choices(log) -> None:
    with pytest.raises(ConfigError, match="cannot segment by 'shoe_size'") as info:
        segment_users(log.users, "shoe_size")
    assert "country" in (info.value.hint or "") and "degree_bucket" in (info.value.hint or "")


def test_bad_parameters_and_empty_windows(log) -> None:
    with pytest.raises(ConfigError, match=">= 0"):
        retention_table(log, days=(-1,))
    with pytest.raises(ConfigError, match="at least one retention day"):
        retention_table(log, days=())
    late = log_from_text(RETENTION_USERS, RETENTION_EVENTS, first_day=JAN5 + 13)
    with pytest.raises(InsufficientData, match="no user signed up between"):
        retention_table(late)
