"""One suite, both stores: every test here runs on the embedded store and on Neo4j."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from graphkit.dataset import load_dataset
from graphkit.graph.pull import SubgraphSpec, pull_graph
from graphkit.store.base import EdgeFilter
from tests.conftest import write_dataset


def edges_of(store, **kwargs) -> list[tuple]:
    directed = kwargs.pop("directed", False)
    frame = store.aggregate_edges(EdgeFilter(**kwargs), directed=directed)
    return list(frame.itertuples(index=False, name=None))


def test_undirected_pairs_are_aggregated_and_self_loops_left_out(tiny_store):
    assert edges_of(tiny_store) == [
        ("a", "b", 3, 7.0),  # two messages (3 + 3) and a like (1), both directions folded
        ("a", "c", 1, 1.0),  # follow without weight: default 1
        ("b", "c", 1, 1.0),
        ("c", "d", 1, 2.0),
        ("d", "e", 2, 4.0),  # an exact repeat is a second interaction, not a duplicate
    ]


def test_directed_pairs_keep_direction(tiny_store):
    assert edges_of(tiny_store, directed=True) == [
        ("a", "b", 2, 4.0),
        ("b", "a", 1, 3.0),
        ("b", "c", 1, 1.0),
        ("c", "a", 1, 1.0),
        ("c", "d", 1, 2.0),
        ("d", "e", 2, 4.0),
    ]


def test_time_window_is_half_open(tiny_store):
    since = datetime(2026, 1, 6, 10, tzinfo=UTC)  # includes the b->a message at 10:00
    until = datetime(2026, 1, 10, 10, tzinfo=UTC)  # excludes the c->d comment at 10:00
    assert edges_of(tiny_store, since=since, until=until) == [
        ("a", "b", 2, 4.0),
        ("a", "c", 1, 1.0),
        ("b", "c", 1, 1.0),
    ]


def test_type_and_min_weight_filters(tiny_store):
    assert edges_of(tiny_store, types=("like", "comment")) == [
        ("a", "b", 1, 1.0),
        ("b", "c", 1, 1.0),
        ("c", "d", 1, 2.0),
        ("d", "e", 2, 4.0),
    ]
    # min_weight applies to the pair's summed weight, after the other filters
    assert edges_of(tiny_store, min_weight=4.0) == [("a", "b", 3, 7.0), ("d", "e", 2, 4.0)]


def test_user_ids_include_isolated_users(tiny_store):
    assert tiny_store.user_ids() == ["a", "b", "c", "d", "e", "f"]


def test_counts_include_self_interactions(tiny_store):
    counts = tiny_store.counts()
    assert (counts.users, counts.interactions) == (6, 9)


def test_loading_twice_changes_nothing(tiny_store, tiny_dataset_dir: Path):
    before = edges_of(tiny_store)
    tiny_store.load(load_dataset(tiny_dataset_dir))
    assert edges_of(tiny_store) == before
    counts = tiny_store.counts()
    assert (counts.users, counts.interactions) == (6, 9)


def test_reload_with_corrected_weight_updates_in_place(tiny_store, tmp_path: Path):
    from tests.conftest import TINY_INTERACTIONS, TINY_USERS

    corrected = TINY_INTERACTIONS.replace(
        "c,d,comment,2026-01-10T10:00:00Z,2", "c,d,comment,2026-01-10T10:00:00Z,5"
    )
    tiny_store.load(load_dataset(write_dataset(tmp_path / "v2", TINY_USERS, corrected)))
    assert ("c", "d", 1, 5.0) in edges_of(tiny_store)
    assert tiny_store.counts().interactions == 9


def test_users_table_keeps_properties(tiny_store):
    table = tiny_store.users_table().set_index("user_id")
    assert table.loc["b", "country"] == "DE"
    assert table.loc["b", "age"] == 41
    assert pd.isna(table.loc["d"].get("age"))
    assert table.loc["a", "signup_at"] == pd.Timestamp("2026-01-01", tz="UTC")


def test_write_back_then_pull_a_community(tiny_store):
    membership = pd.DataFrame(
        {"user_id": ["a", "b", "c", "d", "e", "f"], "community": [0, 0, 0, 1, 1, 2]}
    )
    assert tiny_store.write_user_properties(membership) == 6
    assert tiny_store.user_ids(community=1) == ["d", "e"]
    graph = pull_graph(tiny_store, SubgraphSpec(community=0))
    assert sorted(graph.nodes) == ["a", "b", "c"]
    assert sorted(graph.edges) == [("a", "b"), ("a", "c"), ("b", "c")]
    # write-back never erases user properties and survives a reload
    assert tiny_store.users_table().set_index("user_id").loc["b", "country"] == "DE"


def test_write_back_skips_unknown_users(tiny_store):
    frame = pd.DataFrame({"user_id": ["a", "zz"], "pagerank": [0.5, 0.1]})
    assert tiny_store.write_user_properties(frame) == 1


@pytest.mark.parametrize(
    ("hops", "expected"), [(1, ["a", "b", "c", "d"]), (2, ["a", "b", "c", "d", "e"])]
)
def test_ego_network(tiny_store, hops: int, expected: list[str]):
    graph = pull_graph(tiny_store, SubgraphSpec(ego="c", hops=hops))
    assert sorted(graph.nodes) == expected
    # ties among the ego network's members are kept, not only those through the ego
    assert graph.has_edge("a", "b")


def test_ego_network_of_unknown_user_is_a_clear_error(tiny_store):
    from graphkit.errors import InsufficientData

    with pytest.raises(InsufficientData, match="'zz' is not in the graph"):
        pull_graph(tiny_store, SubgraphSpec(ego="zz"))


def test_ego_network_respects_filters(tiny_store):
    graph = pull_graph(tiny_store, SubgraphSpec(ego="c", hops=2, types=("comment",)))
    assert sorted(graph.nodes) == ["c", "d", "e"]
    assert graph["d"]["e"]["interactions"] == 2


def test_pull_builds_attributes(tiny_store):
    graph = pull_graph(tiny_store, SubgraphSpec(directed=True))
    assert graph.is_directed()
    assert graph["a"]["b"] == {"interactions": 2, "weight": 4.0}
    assert "f" in graph and graph.degree("f") == 0


@pytest.fixture
def activity_store(empty_store, tmp_path: Path):
    from tests.conftest import TINY_ASSIGNMENTS, TINY_EVENTS, TINY_INTERACTIONS, TINY_USERS

    folder = write_dataset(
        tmp_path / "activity", TINY_USERS, TINY_INTERACTIONS, TINY_EVENTS, TINY_ASSIGNMENTS
    )
    empty_store.load(load_dataset(folder))
    return empty_store


def test_events_round_trip(activity_store):
    events = activity_store.events()
    assert list(events.columns) == ["user_id", "at", "event", "value", "session_id"]
    assert len(events) == 6
    first = events.iloc[0]
    assert (first["user_id"], first["event"], first["value"], first["session_id"]) == (
        "a",
        "session",
        120.0,
        "s1",
    )
    assert pd.isna(events.iloc[1]["value"])  # empty value stays missing, not 0
    last = events.iloc[-1]
    assert last["user_id"] == "c" and last["session_id"] is None and last["value"] == 0.0


def test_events_window_is_half_open(activity_store):
    since = datetime(2026, 1, 5, 9, 1, tzinfo=UTC)
    until = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
    events = activity_store.events(since=since, until=until)
    assert events["event"].tolist() == ["view", "click"]


def test_assignments_round_trip_and_idempotent_reload(activity_store, tmp_path: Path):
    table = activity_store.assignments(experiment="onboarding")
    assert table[["user_id", "variant"]].values.tolist() == [
        ["a", "control"],
        ["b", "treatment"],
        ["c", "treatment"],
    ]
    assert table["assigned_at"].iloc[0] == pd.Timestamp("2026-01-04", tz="UTC")
    assert activity_store.assignments(experiment="nope").empty
    from tests.conftest import TINY_ASSIGNMENTS, TINY_EVENTS, TINY_INTERACTIONS, TINY_USERS

    again = write_dataset(
        tmp_path / "again", TINY_USERS, TINY_INTERACTIONS, TINY_EVENTS, TINY_ASSIGNMENTS
    )
    activity_store.load(load_dataset(again))
    assert len(activity_store.events()) == 6
    assert len(activity_store.assignments()) == 3


def test_counts_of_an_empty_store(empty_store):
    counts = empty_store.counts()
    assert (counts.users, counts.interactions) == (0, 0)
