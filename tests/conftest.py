"""Shared fixtures: tiny datasets named for what they hold, and both stores.

Neo4j tests need a throwaway server named by GRAPHKIT_TEST_NEO4J_URI (``make test`` starts
one). Its database is wiped by the tests, so this is never the user's GRAPHKIT_NEO4J_URI.
Without it they are skipped on a developer machine, and FAIL when CI=true.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.store.local_store import LocalStore

ORACLES = Path(__file__).resolve().parent / "oracles"

TINY_USERS = """user_id,signup_at,country,age
a,2026-01-01T00:00:00Z,US,30
b,2026-01-01T00:00:00Z,DE,41
c,2026-01-02T00:00:00Z,US,25
d,2026-01-03T00:00:00Z,FR,
e,2026-01-04T00:00:00Z,US,52
f,,GB,19
"""

# Hand-checkable: a-b twice (both directions), a triangle a-b-c, a path c-d-e, f isolated,
# several types and times, one self-interaction, one exact repeat (kept as 2 interactions).
TINY_INTERACTIONS = """source_id,target_id,type,at,weight
a,b,message,2026-01-05T10:00:00Z,3
b,a,message,2026-01-06T10:00:00Z,3
a,b,like,2026-01-07T10:00:00Z,1
b,c,like,2026-01-08T10:00:00Z,1
c,a,follow,2026-01-09T10:00:00Z,
c,d,comment,2026-01-10T10:00:00Z,2
d,e,comment,2026-01-20T10:00:00Z,2
d,e,comment,2026-01-20T10:00:00Z,2
e,e,like,2026-01-21T10:00:00Z,1
"""


TINY_EVENTS = """user_id,at,event,value,session_id
a,2026-01-05T09:00:00Z,session,120,s1
a,2026-01-05T09:01:00Z,view,,s1
a,2026-01-05T09:02:00Z,click,,s1
b,2026-01-06T12:00:00Z,session,30,s2
b,2026-01-06T12:00:10Z,view,,s2
c,2026-01-09T08:00:00Z,session,0,
"""

TINY_ASSIGNMENTS = """experiment,user_id,variant,assigned_at
onboarding,a,control,2026-01-04T00:00:00Z
onboarding,b,treatment,2026-01-04T00:00:00Z
onboarding,c,treatment,2026-01-04T00:00:00Z
"""


def write_dataset(
    folder: Path,
    users: str = TINY_USERS,
    interactions: str = TINY_INTERACTIONS,
    events: str | None = None,
    assignments: str | None = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users.csv").write_text(users, encoding="utf-8")
    (folder / "interactions.csv").write_text(interactions, encoding="utf-8")
    for name, text in (("events", events), ("assignments", assignments)):
        if text is not None:
            (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_dataset_dir(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "tiny")


@pytest.fixture(scope="session")
def karate() -> nx.Graph:
    """Zachary's karate club from the R oracle's CSV (0-based ids, with weights)."""
    edges = pd.read_csv(ORACLES / "karate.csv")
    graph = nx.Graph()
    graph.add_nodes_from(range(34))
    graph.add_weighted_edges_from(edges[["from", "to", "weight"]].itertuples(index=False))
    return graph


# ------------------------------------------------------------------------------ Neo4j


def neo4j_test_settings() -> Settings | None:
    uri = os.environ.get("GRAPHKIT_TEST_NEO4J_URI")
    if not uri:
        return None
    return Settings(
        neo4j_uri=uri,
        neo4j_user=os.environ.get("GRAPHKIT_TEST_NEO4J_USER", "neo4j"),
        neo4j_password=os.environ.get("GRAPHKIT_TEST_NEO4J_PASSWORD", "graphkit-test"),
    )


def require_neo4j() -> Settings:
    """Settings of the test server; skip locally, fail in CI, when there is none."""
    settings = neo4j_test_settings()
    in_ci = os.environ.get("CI", "").lower() == "true"
    if settings is None:
        message = "GRAPHKIT_TEST_NEO4J_URI is not set (run the suite with `make test`)"
        if in_ci:
            pytest.fail(message + " — CI must test against a real Neo4j")
        pytest.skip(message)
    return settings


def wipe(settings: Settings) -> None:
    from graphkit.store.neo4j_store import Neo4jStore

    store = Neo4jStore(settings)
    try:
        store.wipe()
    finally:
        store.close()


@pytest.fixture
def neo4j_settings() -> Iterator[Settings]:
    """A wiped test database (unreachable server: an error, never a skip, in CI)."""
    settings = require_neo4j()
    wipe(settings)
    yield settings


def open_test_store(kind: str, tmp_path: Path):
    if kind == "local":
        return LocalStore(tmp_path / "store")
    from graphkit.store.neo4j_store import Neo4jStore

    settings = require_neo4j()
    wipe(settings)
    return Neo4jStore(settings)


@pytest.fixture(params=["local", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def empty_store(store_kind: str, tmp_path: Path):
    store = open_test_store(store_kind, tmp_path)
    yield store
    store.close()


@pytest.fixture
def tiny_store(empty_store, tiny_dataset_dir: Path):
    """Either store holding the tiny dataset."""
    empty_store.load(load_dataset(tiny_dataset_dir))
    return empty_store
