"""Events read, validated and staged in chunks: the same log, keys and errors as a whole
file read at once, in memory that does not grow with the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from graphkit.config import Settings
from graphkit.dataset import (
    CHUNK_ROWS,
    EVENTS,
    StagedEvents,
    event_keys,
    load_dataset,
    read_csv_chunks,
)
from graphkit.errors import DataError, DataErrors
from graphkit.store import LocalStore
from graphkit.workflows import load
from tests.conftest import TINY_USERS, write_dataset

HEADER = "user_id,at,event,value,session_id\n"

# Hand-checkable repeats: the same (user, event, session, millisecond) three times, the
# second and third after other rows, so small chunks split them apart.
REPEATS = (
    "a,2026-01-05T09:00:00Z,view,,s1\n"
    "b,2026-01-05T09:00:00Z,view,,s1\n"
    "a,2026-01-05T09:00:00.000Z,view,,s1\n"  # the same millisecond, written differently
    "c,2026-01-06T10:00:00Z,session,30,\n"
    "a,2026-01-05T09:00:00Z,view,,s1\n"
    "c,2026-01-06T10:00:00Z,session,45,\n"  # the same key as line 5 but for its value
    'd,2026-01-07T10:00:00+02:00,"like, twice","2.5","s|2"\n'  # quoted, '|' escaped
)


def events_dataset(folder: Path, body: str) -> Path:
    return write_dataset(folder, TINY_USERS, events=HEADER + body)


def as_parquet(folder: Path, target: Path) -> Path:
    """The same dataset with events.parquet: the CSV's text values, one row per record."""
    write_dataset(target, TINY_USERS)
    frame = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
    frame.to_parquet(target / "events.parquet", index=False, row_group_size=2)
    return target


def test_keys_number_repeats_across_chunk_borders(tmp_path: Path) -> None:
    folder = events_dataset(tmp_path / "d", REPEATS)
    for rows in (1, 2, 3, CHUNK_ROWS):
        keys = load_dataset(folder, chunk_rows=rows).events["key"].tolist()
        assert keys == [
            "a|view|s1|1767603600000|1",
            "b|view|s1|1767603600000|1",
            "a|view|s1|1767603600000|2",
            "c|session||1767693600000|1",
            "a|view|s1|1767603600000|3",
            "c|session||1767693600000|2",
            "d|like, twice|s\\|2|1767772800000|1",
        ], rows


def test_chunked_events_equal_the_whole_file_read_at_once(tmp_path: Path) -> None:
    folder = events_dataset(tmp_path / "d", REPEATS * 40)  # 280 events, many repeats
    whole = pd.concat(read_csv_chunks(folder / "events.csv", EVENTS), ignore_index=True)
    assert len(whole) == 280
    for rows in (7, 64, CHUNK_ROWS):
        events = load_dataset(folder, chunk_rows=rows).events
        assert isinstance(events, pd.DataFrame)
        # The keys a whole in-memory frame gets (pandas, one groupby over every row).
        pd.testing.assert_series_equal(events["key"], event_keys(events), check_names=False)
        assert events["user_id"].tolist() == whole["user_id"].tolist()
        assert events["key"].is_unique


def test_parquet_file_gives_the_same_log_as_its_events_read_in_chunks(tmp_path: Path) -> None:
    csv_folder = events_dataset(tmp_path / "csv", REPEATS * 5)
    parquet_folder = as_parquet(csv_folder, tmp_path / "parquet")
    whole = load_dataset(parquet_folder, chunk_rows=CHUNK_ROWS).events
    for rows in (1, 4, 9):
        pd.testing.assert_frame_equal(load_dataset(parquet_folder, chunk_rows=rows).events, whole)
    pd.testing.assert_frame_equal(load_dataset(csv_folder, chunk_rows=3).events, whole)


def test_parquet_errors_give_row_numbers_in_later_chunks(tmp_path: Path) -> None:
    folder = events_dataset(tmp_path / "csv", REPEATS * 3 + "zz,2026-01-05T09:00:00Z,view,,\n")
    parquet_folder = as_parquet(folder, tmp_path / "parquet")
    with pytest.raises(DataError) as info:
        load_dataset(parquet_folder, chunk_rows=4)
    assert (info.value.location.line, info.value.location.column) == (22, "user_id")


def test_staged_events_hold_the_same_rows(tmp_path: Path) -> None:
    folder = events_dataset(tmp_path / "d", REPEATS)
    in_memory = load_dataset(folder).events
    staged = load_dataset(folder, stage_events=True, chunk_rows=2).events
    assert isinstance(staged, StagedEvents) and len(staged) == 7
    try:
        pd.testing.assert_frame_equal(staged.to_frame(), in_memory)
        batches = list(staged.batches(3))
        assert [len(b) for b in batches] == [3, 3, 1]
        pd.testing.assert_frame_equal(pd.concat(batches, ignore_index=True), in_memory)
    finally:
        staged.close()
    assert not staged.path.exists()


def errors_of(folder: Path, rows: int) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(DataError) as info:
        load_dataset(folder, chunk_rows=rows)
    errors = info.value.errors if isinstance(info.value, DataErrors) else [info.value]
    return [(e.location.line, e.location.column, e.message) for e in errors]


@pytest.mark.parametrize(
    ("late", "line", "column", "text"),
    [
        ("a,yesterday,view,,\n", 3002, "at", "not a timestamp"),
        ("a,2026-01-05T09:00:00Z,view,-1,\n", 3002, "value", "not a non-negative number"),
        ("zz,2026-01-05T09:00:00Z,view,,\n", 3002, "user_id", "'zz' is not in users.csv"),
        ("a,2026-01-05T09:00:00Z,view\n", 3002, None, "3 fields where the header has 5"),
        ('a,2026-01-05T09:00:00Z,"view,,\n', 3002, None, "cannot parse the record"),
    ],
)
def test_a_bad_row_in_a_late_chunk_is_found_and_located(
    tmp_path: Path, late: str, line: int, column: str | None, text: str
) -> None:
    good = "a,2026-01-05T09:00:00Z,view,,s1\n" * 3000  # lines 2-3001
    folder = events_dataset(tmp_path / "d", good + late)
    for rows in (100, CHUNK_ROWS):  # chunked, and the whole file as one chunk
        ((got_line, got_column, message),) = errors_of(folder, rows)
        assert (got_line, got_column) == (line, column)
        assert text in message


def test_errors_are_reported_as_a_whole_file_read_reports_them(tmp_path: Path) -> None:
    """Ragged records anywhere win over value problems, as when the file was read whole."""
    body = "a,yesterday,view,,\n" + "a,2026-01-05T09:00:00Z,view,,\n" * 50 + "a,x\n"
    folder = events_dataset(tmp_path / "d", body)
    assert errors_of(folder, 10) == errors_of(folder, CHUNK_ROWS)
    assert [e[0] for e in errors_of(folder, 10)] == [53]
    # Without the ragged record, the bad time is reported (and only it).
    folder = events_dataset(tmp_path / "e", body.removesuffix("a,x\n"))
    assert [e[:2] for e in errors_of(folder, 10)] == [(2, "at")]


def test_many_bad_rows_over_many_chunks_are_all_counted(tmp_path: Path) -> None:
    folder = events_dataset(tmp_path / "d", "zz,2026-01-05T09:00:00Z,view,,\n" * 250)
    with pytest.raises(DataErrors) as info:
        load_dataset(folder, chunk_rows=30)
    assert info.value.total == 250
    assert [e.location.line for e in info.value.errors] == list(range(2, 22))


def test_a_bad_byte_far_into_a_large_file_is_located(tmp_path: Path) -> None:
    good = "a,2026-01-05T09:00:00Z,view,,s1\n" * 60_000  # ~2 MB: past the first block read
    folder = events_dataset(tmp_path / "d", good)
    with (folder / "events.csv").open("ab") as file:
        file.write(b"a,2026-01-05T09:00:00Z,caf\xe9,,s1\n")
    ((line, column, message),) = errors_of(folder, 1000)
    assert (line, column) == (60_002, "event")
    assert "byte 0xe9 is not valid UTF-8" in message and "'é'" in message


def test_a_bad_row_in_a_late_chunk_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    """Validation of every row comes before any write: nothing of the new load is stored."""
    settings = Settings(store_dir=tmp_path / "store")
    load(events_dataset(tmp_path / "first", REPEATS), settings)
    before = {p.name: p.read_bytes() for p in settings.store_dir.glob("*.parquet")}
    good = "b,2026-01-05T09:00:00Z,view,,s9\n" * (CHUNK_ROWS + 10)
    bad = events_dataset(tmp_path / "second", good + "a,2026-02-30T09:00:00Z,view,,\n")
    with pytest.raises(DataError) as info:
        load(bad, settings)
    assert info.value.location.line == CHUNK_ROWS + 12  # in the second chunk
    after = {p.name: p.read_bytes() for p in settings.store_dir.glob("*.parquet")}
    assert after == before


def test_reloading_is_idempotent_and_corrected_rows_replace_by_key(tmp_path: Path) -> None:
    settings = Settings(store_dir=tmp_path / "store")
    first = events_dataset(tmp_path / "first", REPEATS)
    load(first, settings)
    events_file = settings.store_dir / "events.parquet"
    once = pd.read_parquet(events_file)
    load(first, settings)
    pd.testing.assert_frame_equal(pd.read_parquet(events_file), once)
    # A corrected file: line 5's value fixed, one new event; the rest as before.
    corrected = REPEATS.replace("session,30,", "session,31,") + "e,2026-01-08T00:00:00Z,view,,\n"
    result = load(events_dataset(tmp_path / "second", corrected), settings)
    assert result.summary.events == 8
    stored = pd.read_parquet(events_file)
    assert len(stored) == 8 and stored["key"].is_unique
    by_key = stored.set_index("key")["value"]
    assert by_key["c|session||1767693600000|1"] == 31.0  # the later load wins
    assert by_key["c|session||1767693600000|2"] == 45.0
    # A load with other events keeps the stored ones first, in their order.
    other = events_dataset(tmp_path / "third", "f,2026-01-09T00:00:00Z,view,,\n")
    load(other, settings)
    keys = pd.read_parquet(events_file)["key"].tolist()
    assert keys == [*stored["key"], "f|view||1767916800000|1"]


def test_the_store_file_has_the_schema_pandas_gave_it(tmp_path: Path) -> None:
    """Other code reads events.parquet with DuckDB and pandas: its columns do not change."""
    folder = events_dataset(tmp_path / "d", REPEATS)
    store = LocalStore(tmp_path / "store")
    store.load(load_dataset(folder, stage_events=True, chunk_rows=2))
    events = load_dataset(folder).events
    written_by_pandas = tmp_path / "pandas.parquet"
    events.to_parquet(written_by_pandas, index=False)
    assert pq.read_schema(store.events_path).remove_metadata() == (
        pq.read_schema(written_by_pandas).remove_metadata()
    )
    pd.testing.assert_frame_equal(pd.read_parquet(store.events_path), events)


def test_no_staged_file_is_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    settings = Settings(store_dir=tmp_path / "store")
    load(events_dataset(tmp_path / "good", REPEATS), settings)
    with pytest.raises(DataError):
        load(events_dataset(tmp_path / "bad", REPEATS + "zz,2026-01-05,view,,\n"), settings)
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "a, 2026-01-05T09:00:00Z ,view,\t1,s 1\r\n" * 5 + "b,2026-01-06,like,,\r\n",
        HEADER + "a,2026-01-05,vue\u00e9,,\u3000s\n" + "b,2026-01-06,like,2,\r\n" * 4,
        HEADER + "a,2026-01-05,view,,\r" + "b,2026-01-06,like,2,\n" * 3,  # a lone \r ends a line
        HEADER + "a,2026-01-05,view,,\n   \n\n" + "b,2026-01-06,like,2,x\n" * 3 + "c,1,2,3,4",
    ],
)
def test_lines_without_quotes_are_read_as_the_csv_module_reads_them(
    tmp_path: Path, text: str
) -> None:
    """Quote-free lines go through Arrow's parser: same values, same lines as csv."""
    import csv
    import io

    path = tmp_path / "events.csv"
    path.write_bytes(text.encode("utf-8"))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    want, start = [], 1
    for fields in reader:
        if len(fields) == 5 and start > 1:
            want.append((start, *fields))
        start = reader.line_num + 1
    assert len(want) >= 4
    for rows in (2, 3, CHUNK_ROWS):
        got = pd.concat(read_csv_chunks(path, EVENTS, rows))
        assert list(got.itertuples(name=None)) == want, rows


def test_times_read_at_once_equal_times_read_one_by_one() -> None:
    """parse_timestamps converts a chunk at once: each value as fromisoformat reads it,
    with its own offset, no offset meaning UTC, years 1678-2261 only (README)."""
    import random
    from datetime import UTC, datetime

    from graphkit.dataset import parse_timestamps

    def one(text: str) -> pd.Timestamp:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return pd.NaT
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        if not datetime(1678, 1, 1, tzinfo=UTC) <= moment < datetime(2262, 1, 1, tzinfo=UTC):
            return pd.NaT
        return pd.Timestamp(moment)

    rng = random.Random(7)
    years = [1677, 1678, 1969, 1970, 2026, 2261, 2262]
    offsets = ["", "Z", "+05:30", "-0330", "+14", "-12:00"]
    values = [
        f"{rng.choice(years)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        f"{rng.choice(['', '.5', '.123', '.123456', '.1234567'])}{rng.choice(offsets)}"
        for _ in range(3000)
    ]
    # All values; those pandas can hold in nanoseconds (read at once: some out of the
    # years, e.g. 2262-02 or 1678-01-01T00:00+14, still NaT); plain years only.
    in_pandas_range = [v for v in values if v[:4] != "1677" and v[:7] < "2262-04"]
    plain = [v for v in values if v[:4] in ("1970", "2026")]
    for chunk in (values, in_pandas_range, plain):
        got = parse_timestamps(pd.Series(chunk))
        want = pd.Series([one(v) for v in chunk], dtype="datetime64[ns, UTC]")
        pd.testing.assert_series_equal(got, want)
    with_bad = ["2026-01-05T09:00:00Z", "yesterday", "", "2026-02-30"]
    assert parse_timestamps(pd.Series(with_bad)).isna().tolist() == [False, True, True, True]
