"""Faults on a real Neo4j: the server dies or restarts under graphkit, or is misnamed.

Each failure is one line and exit 3 (never a traceback), and running the command again
repairs whatever was cut short. The server is really killed (SIGKILL) and restarted with
the commands scripts/with-test-neo4j exports.
"""

from __future__ import annotations

import contextlib
import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.errors import StoreUnavailable
from graphkit.graph.centrality import centrality
from graphkit.graph.pull import pull_graph
from graphkit.simulation import simulate_network
from graphkit.simulation import write_dataset as write_simulated
from graphkit.store.base import EdgeFilter
from graphkit.store.local_store import LocalStore
from graphkit.store.neo4j_store import RELATIONSHIP_BATCH, Neo4jStore
from tests.store.test_neo4j_store import required_env

pytestmark = pytest.mark.neo4j


def server(action: str) -> None:
    command = required_env(f"GRAPHKIT_TEST_NEO4J_{action.upper()}")
    subprocess.run(shlex.split(command), check=True, capture_output=True)


def cli(settings: Settings, *args: str, password: str | None = None):
    env = {
        "GRAPHKIT_NEO4J_URI": settings.neo4j_uri,
        "GRAPHKIT_NEO4J_PASSWORD": password or settings.neo4j_password,
        "GRAPHKIT_STORE": "",
    }
    return CliRunner().invoke(app, list(args), env=env)


def one_line_exit_3(result) -> None:
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.strip().splitlines() if not ln.startswith("validating")]
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), lines
    assert len(lines) == 2, lines


@contextmanager
def opened(settings: Settings) -> Iterator[Neo4jStore]:
    store = Neo4jStore(settings)
    try:
        yield store
    finally:
        store.close()


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--neo4j-password", "wrong", "refused the credentials"),
        ("--neo4j-database", "nosuchdb", "has no database 'nosuchdb'"),
        ("--neo4j", "bolt+s://{host}", "TLS handshake failed"),
        ("--neo4j", "neo4j+ssc://{host}", "TLS handshake failed"),
    ],
)
def test_misconfigured_server_is_one_clear_line(
    neo4j_settings, tiny_dataset_dir, option, value, says
):
    host = neo4j_settings.neo4j_uri.split("://", 1)[1]
    for command in (["load", str(tiny_dataset_dir)], ["centrality"]):
        result = cli(neo4j_settings, *command, option, value.format(host=host))
        one_line_exit_3(result)
        assert says in result.stderr
        assert "wrong" not in result.stderr  # never the password


def test_server_killed_during_write_back_then_a_rerun_repairs(neo4j_settings, tiny_dataset_dir):
    with opened(neo4j_settings) as store:
        store.load(load_dataset(tiny_dataset_dir))
        scores = centrality(pull_graph(store)).scores
        server("crash")  # dies after the analysis, before the scores are written
        try:
            with pytest.raises(StoreUnavailable) as caught:
                store.write_user_properties(scores)
            assert "run the command again" in (caught.value.hint or "") or "start" in (
                caught.value.hint or ""
            )
            one_line_exit_3(cli(neo4j_settings, "centrality", "--write-back"))
        finally:
            server("start")
    result = cli(neo4j_settings, "centrality", "--write-back")  # the re-run
    assert result.exit_code == 0, result.output
    with opened(neo4j_settings) as store:
        users = store.users_table().set_index("user_id")
        stored = users.loc[scores["user_id"], "pagerank"].to_numpy()
    assert stored == pytest.approx(scores["pagerank"].to_numpy())


def test_server_restarted_between_load_batches_then_a_rerun_completes(
    neo4j_settings, tmp_path: Path
):
    folder = tmp_path / "data"
    write_simulated(simulate_network(1600, seed=3, interactions_per_user=10), folder)
    dataset = load_dataset(folder)
    assert len(dataset.interactions) > RELATIONSHIP_BATCH  # at least two batches
    restarted = []

    def restart_once(stage: str, done: int, total: int) -> None:
        if stage == "interactions" and not restarted:
            restarted.append(done)
            server("crash")
            server("start")

    # It may finish (the driver retries) or fail cleanly with our one-line error.
    with opened(neo4j_settings) as store, contextlib.suppress(StoreUnavailable):
        store.load(dataset, progress=restart_once)
    assert restarted
    with opened(neo4j_settings) as store:
        store.load(dataset)  # the re-run
        reference = LocalStore(tmp_path / "reference")
        reference.load(dataset)
        assert store.counts() == reference.counts()
        pd.testing.assert_frame_equal(
            store.aggregate_edges(EdgeFilter(), directed=True),
            reference.aggregate_edges(EdgeFilter(), directed=True),
        )
