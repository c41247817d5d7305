"""The Parquet path of the event reduction (sorted event keys, sessions ordered in NumPy)
against the chunked path and against a plain full sort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graphkit.engagement.eventlog import (
    SESSION_COLUMNS,
    day_number,
    session_order,
    summarise_events,
    summarise_parquet,
)
from graphkit.simulation import SimulatedEvents, SimulatedNetwork
from tests.engagement.conftest import events_frame, users_frame
from tests.engagement.hand_data import EVENTS, USERS

# The order the session table promises: start, user, then every other column.
SORT_KEYS = ["start_ms", "user", "day", "end_ms", "length_s", "events", "views", "likes",
             "clicks", "messages"]  # fmt: skip


def random_sessions(rng: np.random.Generator, n: int, start_range: int) -> pd.DataFrame:
    """Sessions with many ties: few start times, few users, small counts."""
    start = rng.integers(0, start_range, n, dtype=np.int64)
    end = start + rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "user": rng.integers(0, 4, n).astype(np.int32),
            "day": (start // 86_400_000).astype(np.int32),
            "start_ms": start,
            "end_ms": end,
            "length_s": rng.choice([0.0, 1.5, 2.0], n),
            "events": rng.integers(1, 3, n),
            "views": rng.integers(0, 2, n),
            "likes": rng.integers(0, 2, n),
            "clicks": rng.integers(0, 2, n),
            "messages": rng.integers(0, 2, n),
        }
    )[SESSION_COLUMNS]


@pytest.mark.parametrize("start_range", [5, 2**61])  # packed key; too wide to pack
def test_session_order_is_a_full_sort_on_every_column(start_range: int) -> None:
    sessions = random_sessions(np.random.default_rng(3), 2_000, start_range)
    order = session_order({c: sessions[c].to_numpy() for c in sessions}, users=4)
    expected = sessions.sort_values(SORT_KEYS, kind="mergesort").reset_index(drop=True)
    pd.testing.assert_frame_equal(sessions.iloc[order].reset_index(drop=True), expected)


def test_session_order_of_no_session_is_empty() -> None:
    empty = {c: np.zeros(0, dtype=np.int64) for c in SESSION_COLUMNS}
    assert session_order(empty, users=3).tolist() == []


def _compare(path, chunks, users, **kwargs) -> None:
    """summarise_parquet of the file equals summarise_events of the same events in chunks:
    counts, sessions, notes and days."""
    direct = summarise_parquet(path, users, **kwargs)
    chunked = summarise_events(chunks, users, **kwargs)
    pd.testing.assert_frame_equal(direct.counts, chunked.counts)
    pd.testing.assert_frame_equal(direct.sessions, chunked.sessions)
    assert direct.notes == chunked.notes
    assert (direct.first_day, direct.last_day, direct.data_first_day) == (
        chunked.first_day,
        chunked.last_day,
        chunked.data_first_day,
    )


def test_a_file_without_statistics_and_out_of_time_order(tmp_path) -> None:
    """The day bounds of the packed keys come from the row groups' statistics; without
    statistics they are read from the data. Rows need not be in time order."""
    events = events_frame(
        EVENTS + "zz,2026-01-02T10:00:00Z,view,,s9\nzz,2026-01-03T10:00:00Z,click,,\n"
    )
    shuffled = events.sample(frac=1.0, random_state=7).reset_index(drop=True)
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.Table.from_pandas(shuffled, preserve_index=False),
        path,
        write_statistics=False,
        row_group_size=4,
    )
    assert pq.ParquetFile(path).metadata.row_group(0).column(1).statistics is None
    _compare(path, [events], users_frame(USERS))


def test_a_simulated_month_reduces_alike_with_and_without_a_window(
    tmp_path, small_simulation: tuple[SimulatedNetwork, SimulatedEvents]
) -> None:
    """200 simulated users over 42 days: the file in shuffled row groups against the same
    events in day-aligned chunks, whole and in a window with history."""
    sim, simulated = small_simulation
    events = simulated.events.assign(at=pd.to_datetime(simulated.events["at"], utc=True))
    users = sim.users.assign(signup_at=pd.to_datetime(sim.users["signup_at"], utc=True))
    path = tmp_path / "events.parquet"
    shuffled = events.sample(frac=1.0, random_state=1).reset_index(drop=True)
    shuffled.to_parquet(path, row_group_size=5_000)
    days = events["at"].dt.floor("D")
    middle = days.sort_values().iloc[len(days) // 2]
    chunks = [events[days < middle], events[days >= middle]]
    _compare(path, chunks, users)

    first = day_number(middle) - 3
    last = first + 9
    window = events[(days >= pd.Timestamp(0, tz="UTC") + pd.Timedelta(days=first - 5))
                    & (days <= pd.Timestamp(0, tz="UTC") + pd.Timedelta(days=last))]  # fmt: skip
    _compare(path, [window], users, first_day=first, last_day=last, data_first_day=first - 5)
