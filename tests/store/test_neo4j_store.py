"""Neo4j-only behaviour: credentials, crash recovery, the LOAD CSV scripts, parity at scale."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.errors import StoreUnavailable
from graphkit.graph.centrality import centrality
from graphkit.graph.communities import detect_communities
from graphkit.graph.pull import SubgraphSpec, pull_graph
from graphkit.simulation import simulate_events, simulate_network, write_dataset
from graphkit.store import neo4j_store
from graphkit.store.base import EdgeFilter
from graphkit.store.local_store import LocalStore
from graphkit.store.neo4j_store import Neo4jStore
from graphkit.store.queries import all_query_names, query, statements
from tests.conftest import require_neo4j

pytestmark = pytest.mark.neo4j


def required_env(name: str) -> str:
    """Server-control variables set by scripts/with-test-neo4j; fail in CI without them."""
    value = os.environ.get(name)
    if not value:
        message = f"{name} is not set (run the suite with `make test`)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return value


@pytest.fixture(scope="module")
def simulated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sim") / "net"
    write_dataset(simulate_network(400, seed=11), folder)
    return folder


def test_wrong_password_is_a_clear_error():
    settings = require_neo4j()
    wrong = Settings(neo4j_uri=settings.neo4j_uri, neo4j_password="not-the-password")
    with pytest.raises(StoreUnavailable) as info:
        Neo4jStore(wrong)
    assert "refused the credentials of user 'neo4j'" in info.value.message
    assert "GRAPHKIT_NEO4J_PASSWORD" in (info.value.hint or "")
    assert "not-the-password" not in info.value.message + (info.value.hint or "")


def test_unknown_database_is_a_clear_error(neo4j_settings: Settings):
    other = Settings(
        neo4j_uri=neo4j_settings.neo4j_uri,
        neo4j_password=neo4j_settings.neo4j_password,
        neo4j_database="nosuchdb",
    )
    store = Neo4jStore(other)
    try:
        with pytest.raises(StoreUnavailable, match="nosuchdb"):
            store.counts()
    finally:
        store.close()


def test_both_stores_give_identical_results(
    neo4j_settings: Settings, simulated_dir: Path, tmp_path: Path
):
    dataset = load_dataset(simulated_dir)
    neo, local = Neo4jStore(neo4j_settings), LocalStore(tmp_path / "store")
    try:
        for store in (neo, local):
            store.load(dataset)
        for spec in (
            SubgraphSpec(),
            SubgraphSpec(directed=True),
            SubgraphSpec(types=("message", "comment"), min_weight=3),
            SubgraphSpec(ego=dataset.users["user_id"].iloc[5], hops=2),
        ):
            graphs = [pull_graph(store, spec) for store in (neo, local)]
            assert list(graphs[0].nodes) == list(graphs[1].nodes)
            assert list(graphs[0].edges(data=True)) == list(graphs[1].edges(data=True))
        graphs = [pull_graph(store) for store in (neo, local)]
        scores = [centrality(g).scores for g in graphs]
        pd.testing.assert_frame_equal(scores[0], scores[1])
        memberships = [detect_communities(g, seed=0).membership for g in graphs]
        assert memberships[0] == memberships[1]
    finally:
        neo.close()


@pytest.mark.parametrize("sessions", [1, 3])
def test_loads_and_pulls_give_the_same_graph_with_any_number_of_sessions(
    neo4j_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sessions: int,
):
    """Batches written, and pull parts read, side by side: none lost, none counted twice."""
    monkeypatch.setattr(neo4j_store, "CONCURRENT_SESSIONS", sessions)
    monkeypatch.setattr(neo4j_store, "RELATIONSHIP_BATCH", 300)
    folder = tmp_path / "with-events"
    sim = simulate_network(150, seed=5)
    write_dataset(sim, folder)
    write_dataset(simulate_events(sim, seed=5), folder)
    dataset = load_dataset(folder)
    assert dataset.events is not None and len(dataset.events) > 1000
    half = replace(
        dataset,
        interactions=dataset.interactions.iloc[::2],
        events=dataset.events.iloc[1::2],
    )
    neo, local = Neo4jStore(neo4j_settings), LocalStore(tmp_path / "store")
    try:
        neo.load(half)  # CREATE only
        neo.load(dataset)  # CREATE until a batch meets a stored key, then MERGE
        local.load(dataset)
        assert neo.counts() == local.counts()
        pd.testing.assert_frame_equal(neo.events(), local.events())
        spec = EdgeFilter(since=pd.Timestamp("2026-01-15", tz="UTC").to_pydatetime())
        for edge_filter in (EdgeFilter(), spec):
            for directed in (False, True):
                pd.testing.assert_frame_equal(
                    neo.aggregate_edges(edge_filter, directed=directed),
                    local.aggregate_edges(edge_filter, directed=directed),
                )
    finally:
        neo.close()


def test_crash_mid_load_then_rerun_gives_the_same_graph(
    neo4j_settings: Settings,
    simulated_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    crash = required_env("GRAPHKIT_TEST_NEO4J_CRASH")
    start = required_env("GRAPHKIT_TEST_NEO4J_START")
    dataset = load_dataset(simulated_dir)
    monkeypatch.setattr(neo4j_store, "RELATIONSHIP_BATCH", 500)  # many transactions to cut

    class ClientDied(Exception):
        pass

    def crash_after_some(stage: str, done: int, total: int) -> None:
        if stage == "interactions" and done >= len(dataset.users) + 1500:
            subprocess.run(shlex.split(crash), check=True, capture_output=True)
            raise ClientDied  # the loading process dies with the server

    store = Neo4jStore(neo4j_settings)
    try:
        with pytest.raises(ClientDied):
            store.load(dataset, progress=crash_after_some)
    finally:
        store.close()
    subprocess.run(shlex.split(start), check=True, capture_output=True)

    store = Neo4jStore(neo4j_settings)
    try:
        partial = store.counts().interactions
        assert 0 < partial < len(dataset.interactions)  # it really was cut midway
        store.load(dataset)  # simply run it again
        reference = LocalStore(tmp_path / "reference")
        reference.load(dataset)
        assert store.counts() == reference.counts()
        for directed in (False, True):
            pd.testing.assert_frame_equal(
                store.aggregate_edges(EdgeFilter(), directed=directed),
                reference.aggregate_edges(EdgeFilter(), directed=directed),
            )
    finally:
        store.close()


def run_cypher(settings: Settings, text: str, **params) -> None:
    import neo4j

    auth = (settings.neo4j_user, settings.neo4j_password or "")
    # LOAD CSV ... IN TRANSACTIONS needs an auto-commit transaction: session.run.
    with (
        neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver,
        driver.session(database=settings.neo4j_database) as session,
    ):
        session.run(text, params).consume()


def test_load_csv_scripts_build_the_same_graph(
    neo4j_settings: Settings, simulated_dir: Path, tmp_path: Path
):
    import_dir = Path(required_env("GRAPHKIT_TEST_NEO4J_IMPORT_DIR"))
    import_dir.mkdir(parents=True, exist_ok=True)
    for name in ("users.csv", "interactions.csv"):
        shutil.copy(simulated_dir / name, import_dir / name)
    for statement in statements("schema"):
        run_cypher(neo4j_settings, statement)
    run_cypher(neo4j_settings, query("csv/load_users_csv"), users_url="file:///users.csv")
    run_cypher(
        neo4j_settings,
        query("csv/load_interactions_csv"),
        interactions_url="file:///interactions.csv",
    )

    dataset = load_dataset(simulated_dir)
    reference = LocalStore(tmp_path / "reference")
    reference.load(dataset)
    store = Neo4jStore(neo4j_settings)
    try:
        repeats = int(dataset.interactions["key"].str.endswith("|2").sum())
        assert store.counts().interactions == len(dataset.interactions) - repeats
        assert store.user_ids() == reference.user_ids()
        # graphkit load on top of a Browser import MERGEs on the same keys: no duplicates
        store.load(dataset)
        assert store.counts() == reference.counts()
        pd.testing.assert_frame_equal(
            store.aggregate_edges(EdgeFilter(), directed=True),
            reference.aggregate_edges(EdgeFilter(), directed=True),
        )
    finally:
        store.close()


def test_no_query_uses_a_deprecated_feature_except_id(neo4j_settings: Settings):
    """graphkit silences deprecation notices for id() (user_node_ids.cypher says why);
    this keeps every other deprecation visible. EXPLAIN plans without running."""
    import neo4j

    driver = neo4j.GraphDatabase.driver(
        neo4j_settings.neo4j_uri,
        auth=(neo4j_settings.neo4j_user, neo4j_settings.neo4j_password or ""),
    )
    checked, deprecated = 0, {}
    try:
        with driver.session(database=neo4j_settings.neo4j_database) as session:
            for name in all_query_names():
                for statement in statements(name):
                    if statement.lstrip().upper().startswith("CREATE CONSTRAINT"):
                        continue  # schema commands cannot be EXPLAINed
                    summary = session.run("EXPLAIN " + statement).consume()
                    checked += 1
                    notes = [
                        status.status_description
                        for status in summary.gql_status_objects
                        if status.classification == neo4j.NotificationClassification.DEPRECATION
                        and " id is deprecated" not in status.status_description
                    ]
                    if notes:
                        deprecated[name] = notes
    finally:
        driver.close()
    assert checked >= len(all_query_names())
    assert deprecated == {}
