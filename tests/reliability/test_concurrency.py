"""Two loads at once: the embedded store serialises them with a lock (never loses rows or
corrupts a file); Neo4j ends with the graph a sequential load gives."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from graphkit.dataset import load_dataset
from graphkit.simulation import simulate_network
from graphkit.simulation import write_dataset as write_simulated
from graphkit.store.base import EdgeFilter
from graphkit.store.local_store import LocalStore

ENV_NO_NEO4J = {"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""}


def two_datasets(root: Path) -> tuple[Path, Path]:
    """Same user ids, different properties and interactions: order decides properties."""
    folders = root / "a", root / "b"
    for seed, folder in enumerate(folders):
        write_simulated(simulate_network(1500, seed=seed, interactions_per_user=10), folder)
    return folders


def graph_of(store) -> dict[str, pd.DataFrame]:
    users = store.users_table().sort_values("user_id").reset_index(drop=True)
    return {
        "users": users[sorted(users.columns)],
        "edges": store.aggregate_edges(EdgeFilter(), directed=True),
    }


def sequential(root: Path, folders: tuple[Path, ...]) -> dict[str, pd.DataFrame]:
    store = LocalStore(root)
    for folder in folders:
        store.load(load_dataset(folder))
    return graph_of(store)


def same(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> bool:
    try:
        for name in left:
            pd.testing.assert_frame_equal(left[name], right[name], check_dtype=False)
    except AssertionError:
        return False
    return True


def load_process(folder: Path, store: Path) -> subprocess.Popen:
    env = {**os.environ, **ENV_NO_NEO4J}
    return subprocess.Popen(
        [sys.executable, "-m", "graphkit", "load", str(folder), "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_loads_into_one_embedded_store_are_serialised(tmp_path: Path):
    a, b = two_datasets(tmp_path)
    store = tmp_path / "store"
    runs = [load_process(a, store), load_process(b, store)]
    for run in runs:
        _, err = run.communicate()
        assert run.returncode == 0, err
    result = graph_of(LocalStore(store))
    # Either order is a correct outcome; a lost update (one load's rows gone) is neither.
    assert same(result, sequential(tmp_path / "ab", (a, b))) or same(
        result, sequential(tmp_path / "ba", (b, a))
    )


def blocked_on_a_lock(pid: int) -> bool:
    """Whether the process waits for a file lock (/proc/locks marks waiters with '->')."""
    lines = Path("/proc/locks").read_text().splitlines()
    return any("->" in line and line.split()[5] == str(pid) for line in lines)


def test_a_load_waits_for_the_lock_holder(tmp_path: Path):
    a, _ = two_datasets(tmp_path)
    store = tmp_path / "store"
    store.mkdir()
    with (store / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run = load_process(a, store)
        # Wait until it blocks on the lock, or finishes (which it must not do).
        while run.poll() is None and not blocked_on_a_lock(run.pid):
            time.sleep(0.1)
        assert run.poll() is None, run.communicate()
        assert not (store / "users.parquet").exists()
    _, err = run.communicate(timeout=120)  # lock released: it finishes
    assert run.returncode == 0, err
    assert same(graph_of(LocalStore(store)), sequential(tmp_path / "ref", (a,)))


@pytest.mark.neo4j
def test_two_loads_into_neo4j_equal_a_sequential_load(neo4j_settings, tmp_path: Path):
    from graphkit.store.neo4j_store import Neo4jStore

    a, b = two_datasets(tmp_path)
    datasets = [load_dataset(a), load_dataset(b)]
    errors: list[BaseException] = []

    def load(dataset) -> None:
        store = Neo4jStore(neo4j_settings)
        try:
            store.load(dataset)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=load, args=(d,)) for d in datasets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    store = Neo4jStore(neo4j_settings)
    try:
        result = graph_of(store)
    finally:
        store.close()
    # Users of both files get every property; on ties either order may win.
    assert same({"edges": result["edges"]}, {"edges": sequential(tmp_path / "ab", (a, b))["edges"]})
    ab, ba = sequential(tmp_path / "ab2", (a, b)), sequential(tmp_path / "ba", (b, a))
    assert set(result["users"]["user_id"]) == set(ab["users"]["user_id"])
    assert same({"users": result["users"]}, {"users": ab["users"]}) or same(
        {"users": result["users"]}, {"users": ba["users"]}
    )
