"""Fuzzing the loader: it loads exactly what the rows say, or exits 2 with a located message.

Two families of generated datasets:

* valid datasets full of trouble (unicode, markup- and Cypher-like text, quoting, line
  breaks inside fields, surrounding spaces, byte-order marks, mixed time offsets, extreme
  numbers), rendered to CSV with varying quoting; the store must give back what the model
  says, worked out here from the generated values and the README's rules, not by graphkit;
* broken datasets (random bytes, other encodings, ragged rows, mutated bytes): loading
  must either succeed or raise a ``DataError`` naming the file — never another exception
  (which the CLI would report as exit 1), never a silent change.

``make test`` runs a bounded profile; a longer one is
``GRAPHKIT_FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/reliability/test_fuzz.py`` (examples
per test; Neo4j gets a tenth). The number of cases run is printed at the end.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphkit.dataset import load_dataset
from graphkit.errors import DataError
from graphkit.store.base import EdgeFilter
from graphkit.store.local_store import LocalStore
from tests.conftest import require_neo4j, wipe

EXAMPLES = int(os.environ.get("GRAPHKIT_FUZZ_EXAMPLES", "40"))
NEO4J_EXAMPLES = max(EXAMPLES // 10, 3)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RAN: Counter[str] = Counter()

# ------------------------------------------------------------------------ strategies

TRICKY = [
    "[red]x[/red]",
    "[/]",
    ":smile:",
    "'; MATCH (n) DETACH DELETE n //",
    "$param",
    "}{",
    "a|b",
    "back\\slash",
    '"quoted"',
    "comma, inside",
    "line\nbreak",
    "ünïcødé",
    "日本語",
    "🙂",
    "\u200bzero-width",
    "=SUM(A1)",
]
characters = st.characters(codec="utf-8", exclude_categories=("Cs",))
raw_text = st.one_of(st.sampled_from(TRICKY), st.text(characters, min_size=1, max_size=12))
padding = st.sampled_from(["", " ", "  ", "\t"])


@st.composite
def padded(draw, text: str) -> str:
    return draw(padding) + text + draw(padding)


ids = raw_text.map(str.strip).filter(bool)


@st.composite
def times(draw, *, whole_ms: bool) -> tuple[str, datetime]:
    """An ISO-8601 string and the UTC instant it means (the README's rule: no offset = UTC)."""
    instant = draw(
        st.datetimes(min_value=datetime(1678, 1, 2), max_value=datetime(2261, 12, 30))
    ).replace(tzinfo=UTC)
    if whole_ms:
        instant = instant.replace(microsecond=instant.microsecond // 1000 * 1000)
    minutes = draw(st.integers(-23 * 60 - 59, 23 * 60 + 59))
    form = draw(st.sampled_from(["none", "Z", "colon", "compact", "hours"]))
    if form == "hours":
        minutes = int(minutes / 60) * 60  # toward zero: stays within ±23 hours
    if form in ("none", "Z"):
        minutes = 0
    local = instant.astimezone(timezone(timedelta(minutes=minutes))).replace(tzinfo=None)
    sign, absolute = ("-" if minutes < 0 else "+"), abs(minutes)
    suffix = {
        "none": "",
        "Z": "Z",
        "colon": f"{sign}{absolute // 60:02d}:{absolute % 60:02d}",
        "compact": f"{sign}{absolute // 60:02d}{absolute % 60:02d}",
        "hours": f"{sign}{absolute // 60:02d}",
    }[form]
    separator = draw(st.sampled_from(["T", " "]))
    text = local.isoformat(sep=separator) + suffix
    return text, instant


weights = st.one_of(
    st.none(),
    st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False),
    st.integers(1, 2**53),
)
ages = st.one_of(st.none(), st.integers(-(2**63) + 1, 2**63 - 1))


@dataclass
class Model:
    """What the files say, as values (stripped, UTC), and the files themselves."""

    users: pd.DataFrame  # user_id, signup_at, city, age
    interactions: pd.DataFrame  # source_id, target_id, type, at, weight
    events: pd.DataFrame  # user_id, at, event, value, session_id
    files: dict[str, bytes]


def render(rows: list[list[str]], quoting: int, bom: bool, newline: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=quoting, lineterminator=newline)
    # Python's writer quotes a field holding the line terminator's characters only, so with
    # "\n" line ends it leaves a lone "\r" bare, which every CSV reader (and RFC 4180)
    # takes for a line break. A row holding one is written fully quoted, as a careful
    # writer would: the file stays valid, and other rows keep the drawn quoting.
    quote_all = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator=newline)
    for row in rows:
        (quote_all if any("\r" in field for field in row) else writer).writerow(row)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


@st.composite
def valid_datasets(draw) -> Model:
    user_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    users, user_rows = [], [["user_id", "signup_at", "city", "age"]]
    for uid in user_ids:
        signup = draw(st.one_of(st.none(), times(whole_ms=False)))
        city = draw(st.one_of(st.none(), raw_text.map(lambda t: "c" + t)))
        age = draw(ages)
        users.append(
            {
                "user_id": uid,
                "signup_at": None if signup is None else signup[1],
                "city": None if city is None or not city.strip() else city.strip(),
                "age": age,
            }
        )
        user_rows.append(
            [
                draw(padded(uid)),
                "" if signup is None else draw(padded(signup[0])),
                "" if city is None else city,
                "" if age is None else draw(padded(str(age))),
            ]
        )
    interactions, interaction_rows = [], [["source_id", "target_id", "type", "at", "weight"]]
    for _ in range(draw(st.integers(1, 8))):  # a header-only file is refused (README)
        source, target = draw(st.sampled_from(user_ids)), draw(st.sampled_from(user_ids))
        kind = draw(ids)
        at = draw(times(whole_ms=True))
        weight = draw(weights)
        interactions.append(
            {
                "source_id": source,
                "target_id": target,
                "type": kind,
                "at": at[1],
                "weight": 1.0 if weight is None else float(weight),
            }
        )
        interaction_rows.append(
            [draw(padded(source)), target, kind, at[0], "" if weight is None else repr(weight)]
        )
    events, event_rows = [], [["user_id", "at", "event", "value", "session_id"]]
    for _ in range(draw(st.integers(0, 5))):
        uid, at, name = draw(st.sampled_from(user_ids)), draw(times(whole_ms=True)), draw(ids)
        value = draw(st.one_of(st.none(), st.floats(0, 1e12, allow_nan=False)))
        session = draw(st.one_of(st.none(), ids))
        events.append(
            {
                "user_id": uid,
                "at": at[1],
                "event": name,
                "value": np.nan if value is None else value,
                "session_id": session,
            }
        )
        event_rows.append([uid, at[0], name, "" if value is None else repr(value), session or ""])
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    bom, newline = draw(st.booleans()), draw(st.sampled_from(["\n", "\r\n"]))
    files = {
        "users.csv": render(user_rows, quoting, bom, newline),
        "interactions.csv": render(interaction_rows, quoting, bom, newline),
    }
    if events:
        files["events.csv"] = render(event_rows, quoting, bom, newline)
    return Model(
        users=pd.DataFrame(users),
        interactions=pd.DataFrame(
            interactions, columns=["source_id", "target_id", "type", "at", "weight"]
        ),
        events=pd.DataFrame(events, columns=["user_id", "at", "event", "value", "session_id"]),
        files=files,
    )


# ------------------------------------------------------------------------ checks


def write(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def expected_edges(model: Model) -> pd.DataFrame:
    rows = model.interactions[model.interactions["source_id"] != model.interactions["target_id"]]
    grouped = rows.groupby(["source_id", "target_id"], sort=True)["weight"].agg(["size", "sum"])
    return pd.DataFrame(
        {
            "source": [s for s, _ in grouped.index],
            "target": [t for _, t in grouped.index],
            "interactions": grouped["size"].to_list(),
            "weight": grouped["sum"].to_list(),
        }
    )


def assert_round_trip(store, model: Model) -> None:
    users = store.users_table().set_index("user_id").sort_index()
    want = model.users.set_index("user_id").sort_index()
    assert list(users.index) == list(want.index)
    for uid, row in want.iterrows():
        got = users.loc[uid]
        for column in ("signup_at", "city", "age"):
            value = got.get(column) if column in users.columns else None
            if row[column] is None or pd.isna(row[column]):
                assert value is None or pd.isna(value), (uid, column, value)
            elif column == "signup_at":
                assert pd.Timestamp(value) == pd.Timestamp(row[column]), (uid, value, row)
            else:
                assert value == row[column], (uid, column, value, row[column])
    edges = store.aggregate_edges(EdgeFilter(), directed=True)
    want_edges = expected_edges(model)
    assert edges[["source", "target", "interactions"]].values.tolist() == (
        want_edges[["source", "target", "interactions"]].values.tolist()
    )
    assert edges["weight"].to_list() == pytest.approx(want_edges["weight"].to_list(), rel=1e-9)
    assert store.counts().interactions == len(model.interactions)
    events = store.events()
    want_events = model.events.assign(at=pd.to_datetime(model.events["at"], utc=True))
    key = ["at", "user_id", "event", "session_id", "value"]
    got = events.astype({"session_id": object}).sort_values(key, na_position="first")
    want_sorted = want_events.sort_values(key, na_position="first")
    assert got["user_id"].to_list() == want_sorted["user_id"].to_list()
    assert got["event"].to_list() == want_sorted["event"].to_list()
    assert [t.value for t in got["at"]] == [t.value for t in want_sorted["at"]]
    got_values = got["value"].to_numpy(dtype=float)
    want_values = want_sorted["value"].to_numpy(dtype=float)
    assert np.array_equal(got_values, want_values, equal_nan=True), (got, want_sorted)
    assert [s or None for s in got["session_id"]] == list(want_sorted["session_id"])


@FUZZ
@given(valid_datasets())
def test_valid_datasets_round_trip_through_the_embedded_store(model: Model):
    RAN["valid, embedded store"] += 1
    with tempfile.TemporaryDirectory() as root:
        dataset = load_dataset(write(Path(root) / "data", model.files))
        store = LocalStore(Path(root) / "store")
        store.load(dataset)
        assert_round_trip(store, model)
        store.load(dataset)  # loading twice changes nothing
        assert_round_trip(LocalStore(Path(root) / "store"), model)


@pytest.mark.neo4j
@settings(FUZZ, max_examples=NEO4J_EXAMPLES)
@given(valid_datasets())
def test_valid_datasets_round_trip_through_neo4j(model: Model):
    from graphkit.store.neo4j_store import Neo4jStore

    settings_ = require_neo4j()
    wipe(settings_)
    RAN["valid, Neo4j"] += 1
    with tempfile.TemporaryDirectory() as root:
        dataset = load_dataset(write(Path(root) / "data", model.files))
    store = Neo4jStore(settings_)
    try:
        store.load(dataset)
        assert_round_trip(store, model)
    finally:
        store.close()


@st.composite
def broken_datasets(draw) -> dict[str, bytes]:
    model = draw(valid_datasets())
    files = dict(model.files)
    name = draw(st.sampled_from(sorted(files)))
    data = files[name]
    how = draw(st.sampled_from(["bytes", "encoding", "ragged", "mutate", "truncate", "quote"]))
    if how == "bytes":
        data = draw(st.binary(max_size=200))
    elif how == "encoding":
        text = data.decode("utf-8-sig")
        data = text.encode(draw(st.sampled_from(["utf-16", "latin-1", "cp1252"])), "replace")
    elif how == "ragged":
        lines = data.split(b"\n")
        at = draw(st.integers(0, len(lines) - 1))
        lines[at] = lines[at] + b"," + draw(st.binary(max_size=5))
        data = b"\n".join(lines)
    elif how == "mutate" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at + 1 :]
    elif how == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif how == "quote":
        data = data.replace(b",", b',"', 1)
    files[name] = data
    return files


@FUZZ
@given(broken_datasets())
def test_broken_datasets_load_or_raise_a_located_data_error(files: dict[str, bytes]):
    RAN["broken"] += 1
    with tempfile.TemporaryDirectory() as root:
        folder = write(Path(root) / "data", files)
        try:
            dataset = load_dataset(folder)
        except DataError as error:  # exit 2, naming the file (and line, where there is one)
            RAN["broken, refused"] += 1
            located = [error] if not hasattr(error, "errors") else error.errors
            for each in located:
                assert each.location is not None and str(folder) in each.location.file
            return
        RAN["broken, still valid"] += 1
        store = LocalStore(Path(root) / "store")
        store.load(dataset)  # valid after all: it must load (no exception)
        assert store.counts().users == len(dataset.users)


@pytest.fixture(scope="module", autouse=True)
def report_cases(request):
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None and RAN:
        counts = ", ".join(f"{name}: {n}" for name, n in sorted(RAN.items()))
        with capture.global_and_fixture_disabled():  # shown even when the tests pass
            reporter.write_line(f"\nfuzz cases run ({EXAMPLES} per test): {counts}")
