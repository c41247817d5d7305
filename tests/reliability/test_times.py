"""Times are read value by value: an offset converts that value only; no offset means UTC.

A column read at once by pandas gave a value without an offset the offset of the rows
before it (13:00 after a -05:00 row became 18:00Z) — wrong data with exit 0. Every time
column is checked, in both stores, against instants worked out by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from graphkit.dataset import load_dataset, parse_timestamps
from graphkit.store.base import EdgeFilter
from tests.conftest import write_dataset

# Value as written -> the instant it means (UTC), worked out by hand.
MIXED = [
    ("2026-01-08T12:00:00-05:00", datetime(2026, 1, 8, 17, tzinfo=UTC)),
    ("2026-01-08T13:00:00", datetime(2026, 1, 8, 13, tzinfo=UTC)),  # no offset: UTC
    ("2026-01-08T13:00:00+0200", datetime(2026, 1, 8, 11, tzinfo=UTC)),
    ("2026-01-08 14:00", datetime(2026, 1, 8, 14, tzinfo=UTC)),  # no offset again
    ("2026-01-08T15:30:00+05:30", datetime(2026, 1, 8, 10, tzinfo=UTC)),
    ("2026-01-08T16:00:00Z", datetime(2026, 1, 8, 16, tzinfo=UTC)),
    ("2026-01-08T01:00:00+03", datetime(2026, 1, 7, 22, tzinfo=UTC)),
    ("2026-01-09", datetime(2026, 1, 9, tzinfo=UTC)),
    ("2026-01-08T23:00:00-11:00", datetime(2026, 1, 9, 10, tzinfo=UTC)),
    ("2026-01-08T18:00:00.250", datetime(2026, 1, 8, 18, 0, 0, 250_000, tzinfo=UTC)),
]


def test_each_value_is_converted_with_its_own_offset():
    # Every order: the value before must never matter.
    for shift in range(len(MIXED)):
        rows = MIXED[shift:] + MIXED[:shift]
        parsed = parse_timestamps(pd.Series([text for text, _ in rows]))
        assert [t.to_pydatetime() for t in parsed] == [moment for _, moment in rows]


def test_not_times_and_years_out_of_range_are_missing():
    parsed = parse_timestamps(
        pd.Series(["2026-02-30", "tomorrow", "1677-12-31T23:59:59Z", "2262-01-01", "2261-12-31"])
    )
    assert parsed.isna().tolist() == [True, True, True, True, False]


def _mixed_dataset(folder: Path) -> Path:
    """Every time column holds the mixed values; user u<i> gets MIXED[i]."""
    n = len(MIXED)
    users = "user_id,signup_at\n" + "".join(f"u{i},{text}\n" for i, (text, _) in enumerate(MIXED))
    interactions = "source_id,target_id,type,at\n" + "".join(
        f"u{i},u{(i + 1) % n},t{i},{text}\n" for i, (text, _) in enumerate(MIXED)
    )
    events = "user_id,at,event\n" + "".join(f"u{i},{text},e\n" for i, (text, _) in enumerate(MIXED))
    assignments = "experiment,user_id,variant,assigned_at\n" + "".join(
        f"x,u{i},{'ab'[i % 2]},{text}\n" for i, (text, _) in enumerate(MIXED)
    )
    return write_dataset(folder, users, interactions, events=events, assignments=assignments)


def test_every_time_column_in_both_stores(empty_store, tmp_path: Path):
    store = empty_store
    store.load(load_dataset(_mixed_dataset(tmp_path / "mixed")))
    expected = {f"u{i}": moment for i, (_, moment) in enumerate(MIXED)}

    users = store.users_table().set_index("user_id")["signup_at"]
    assert {u: t.to_pydatetime() for u, t in users.items()} == expected

    events = store.events().set_index("user_id")["at"]
    assert {u: t.to_pydatetime() for u, t in events.items()} == expected

    assigned = store.assignments().set_index("user_id")["assigned_at"]
    assert {u: t.to_pydatetime() for u, t in assigned.items()} == expected

    # Interactions: a one-millisecond window around each expected instant holds exactly
    # the interaction written with it (the stores keep `at` for filtering, not for reading).
    for i, (_, moment) in enumerate(MIXED):
        window = EdgeFilter(
            since=moment, until=moment + timedelta(milliseconds=1), types=(f"t{i}",)
        )
        edges = store.aggregate_edges(window, directed=True)
        assert list(edges["source"]) == [f"u{i}"], (i, moment)
