"""The gds engine (Neo4j Graph Data Science, in the test server) gives NetworkX's numbers.

Each graph is loaded through graphkit's own Neo4j store loader, projected by the gds engine
and compared with the reference engine on the same subgraph pulled from the same store
(networkx; on the simulated 2,000-user network igraph, which the engine parity suite
proves equal to networkx, for the O(n·m) path measures). Exact measures agree to 1e-9
after the rescaling documented in graphkit.graph.engines.gds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.graph.engines import PulledGraph, choose_sources, get_engine
from graphkit.graph.engines.gds import GdsEngine, GdsGraph
from graphkit.graph.pull import SubgraphSpec, pull_graph
from graphkit.simulation import simulate_network
from graphkit.simulation import write_dataset as write_simulated
from tests.conftest import ORACLES, require_neo4j, wipe, write_dataset

pytestmark = pytest.mark.neo4j

TOLERANCE = 1e-9
USERS_HEADER = "user_id\n"
INTERACTIONS_HEADER = "source_id,target_id,type,at,weight\n"


def interactions_csv(rows: list[tuple[str, str, float]], *, day: int = 5) -> str:
    return INTERACTIONS_HEADER + "".join(
        f"{s},{t},message,2026-01-{day:02d}T{(i % 24):02d}:{(i // 24) % 60:02d}:00Z,{w}\n"
        for i, (s, t, w) in enumerate(rows)
    )


def users_csv(ids: list[str]) -> str:
    return USERS_HEADER + "".join(f"{u}\n" for u in ids)


def karate_rows() -> tuple[list[str], list[tuple[str, str, float]]]:
    edges = pd.read_csv(ORACLES / "karate.csv")
    ids = [f"k{i:02d}" for i in range(34)]
    rows = [(ids[a], ids[b], float(w)) for a, b, w in edges.itertuples(index=False)]
    return ids, rows


def weighted_rows() -> tuple[list[str], list[tuple[str, str, float]]]:
    """A random graph with repeated interactions in both directions (weights sum per pair)."""
    rng = random.Random(11)
    ids = [f"w{i:02d}" for i in range(40)]
    rows = []
    for _ in range(160):
        a, b = rng.sample(ids, 2)
        rows.append((a, b, float(rng.choice([0.5, 1, 2, 3, 7]))))
    return ids, rows


def directed_sink_rows() -> tuple[list[str], list[tuple[str, str, float]]]:
    """A random digraph in which a quarter of the users never act (sinks)."""
    rng = random.Random(5)
    ids = [f"d{i:02d}" for i in range(40)]
    actors = ids[:30]
    rows = []
    for _ in range(150):
        a = rng.choice(actors)
        b = rng.choice([u for u in ids if u != a])
        rows.append((a, b, float(rng.randint(1, 4))))
    return ids, rows


def disconnected_rows() -> tuple[list[str], list[tuple[str, str, float]]]:
    """Two components (a ring with chords, a star) and three users without any tie."""
    ring = [f"r{i}" for i in range(12)]
    star = [f"s{i}" for i in range(6)]
    loners = ["z1", "z2", "z3"]
    rows = [(ring[i], ring[(i + 1) % 12], float(1 + i % 3)) for i in range(12)]
    rows += [(ring[0], ring[6], 2.0), (ring[3], ring[9], 1.0)]
    rows += [(star[0], s, 1.0) for s in star[1:]]
    return ring + star + loners, rows


@dataclass
class Case:
    name: str
    settings: Settings
    spec: SubgraphSpec
    reference: str
    """Reference engine for betweenness and closeness (networkx, or igraph when large)."""

    def store(self):
        from graphkit.store.neo4j_store import Neo4jStore

        return Neo4jStore(self.settings)


CASES = ["karate", "weighted", "directed_sinks", "disconnected", "simulated_2k"]


def load_case(name: str, folder: Path, settings: Settings) -> Case:
    from graphkit.store.neo4j_store import Neo4jStore

    if name == "simulated_2k":
        write_simulated(simulate_network(2000, seed=3), folder)
    else:
        ids, rows = {
            "karate": karate_rows,
            "weighted": weighted_rows,
            "directed_sinks": directed_sink_rows,
            "disconnected": disconnected_rows,
        }[name]()
        write_dataset(folder, users=users_csv(ids), interactions=interactions_csv(rows))
    store = Neo4jStore(settings)
    try:
        store.load(load_dataset(folder))
    finally:
        store.close()
    return Case(
        name,
        settings,
        SubgraphSpec(directed=name == "directed_sinks"),
        "igraph" if name == "simulated_2k" else "networkx",
    )


@pytest.fixture(scope="module", params=CASES)
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Case:
    settings = require_neo4j()
    wipe(settings)
    return load_case(request.param, tmp_path_factory.mktemp(request.param), settings)


@pytest.fixture
def opened(case: Case) -> Iterator[tuple[GdsGraph, PulledGraph]]:
    store = case.store()
    try:
        pulled = PulledGraph.from_networkx(pull_graph(store, case.spec))
        with GdsEngine().open(store=store, spec=case.spec) as graph:
            yield graph, pulled
    finally:
        store.close()


def reference(name: str, pulled: PulledGraph):
    return get_engine(name).open(pulled)


def assert_same(actual: pd.Series, expected: pd.Series, tol: float = TOLERANCE) -> None:
    expected = expected.reindex(actual.index)
    assert list(actual.index) == sorted(actual.index)
    np.testing.assert_allclose(actual.to_numpy(), expected.to_numpy(), rtol=0, atol=tol)


def test_projection_has_every_user_and_pair(opened):
    graph, pulled = opened
    assert graph.nodes == pulled.nodes
    assert graph.edges == pulled.edges
    assert list(graph.user_ids()) == sorted(pulled.user_ids.tolist())


@pytest.mark.parametrize("weighted", [False, True])
def test_degree_and_pagerank(opened, weighted: bool):
    graph, pulled = opened
    with reference("networkx", pulled) as ref:
        assert_same(graph.degree(weighted=weighted), ref.degree(weighted=weighted))
        pagerank = graph.pagerank(weighted=weighted)
        assert pagerank.sum() == pytest.approx(1.0, abs=1e-12)
        assert_same(pagerank, ref.pagerank(weighted=weighted))


@pytest.mark.parametrize("weighted", [False, True])
def test_exact_betweenness_and_closeness(opened, case: Case, weighted: bool):
    graph, pulled = opened
    with reference(case.reference, pulled) as ref:
        assert_same(graph.betweenness(weighted=weighted), ref.betweenness(weighted=weighted))
        assert_same(graph.closeness(weighted=weighted), ref.closeness(weighted=weighted))


@pytest.mark.parametrize("weighted", [False, True])
def test_sampled_closeness_uses_graphkits_sources(opened, case: Case, weighted: bool):
    graph, pulled = opened
    sources = choose_sources(pulled.user_ids, max(2, pulled.nodes // 5), seed=4)
    with reference(case.reference, pulled) as ref:
        assert_same(
            graph.closeness(weighted=weighted, sources=sources),
            ref.closeness(weighted=weighted, sources=sources),
        )


def test_clustering_and_components(opened):
    graph, pulled = opened
    with reference("networkx", pulled) as ref:
        assert_same(graph.clustering(), ref.clustering())
        assert graph.components().equals(ref.components())


@pytest.mark.parametrize("method", ["louvain", "leiden"])
def test_communities_report_their_modularity(opened, method: str):
    """GDS's partition and the modularity graphkit reports for it, checked by NetworkX."""
    graph, pulled = opened
    partition = graph.communities(method=method, weighted=True, resolution=1.0, seed=1)
    assert partition.engine == "gds"
    fold = pulled.undirected().to_networkx()
    groups = [set(g) for g in partition.communities]
    expected = nx.community.modularity(fold, groups, weight="weight") if fold.size() else 0.0
    assert partition.modularity == pytest.approx(expected, abs=TOLERANCE)
    assert sorted(partition.membership.index) == sorted(pulled.user_ids.tolist())


def test_leiden_resolution_is_reported_at_that_resolution(opened):
    graph, pulled = opened
    partition = graph.communities(method="leiden", weighted=False, resolution=0.5, seed=2)
    fold = pulled.undirected().to_networkx()
    if not fold.size():
        assert partition.modularity == 0.0
        return
    groups = [set(g) for g in partition.communities]
    expected = nx.community.modularity(fold, groups, weight=None, resolution=0.5)
    assert partition.modularity == pytest.approx(expected, abs=TOLERANCE)


def test_default_adaptive_betweenness_is_graphkits_and_the_same(
    opened, case: Case, monkeypatch: pytest.MonkeyPatch
):
    """The default estimate on a large graph (made small here): linear scaling computed by
    graphkit on the pulled pairs (said in the notes), equal to the other engines'."""
    from graphkit.graph import sampling

    monkeypatch.setattr(sampling, "BATCH", 8)
    monkeypatch.setattr(sampling, "FIRST_CHECK", 16)
    monkeypatch.setattr(sampling, "CHECK_EVERY", 16)
    monkeypatch.setattr(sampling, "MAX_SOURCES", 64)
    monkeypatch.setattr(sampling, "REPLICATES", 20)
    graph, pulled = opened
    found, pivots = sampling.adaptive_betweenness(graph, weighted=False, seed=5)
    with reference(case.reference, pulled) as ref:
        expected, expected_pivots = sampling.adaptive_betweenness(ref, weighted=False, seed=5)
    assert pivots == expected_pivots and found.how == expected.how
    assert_same(found.scores, expected.scores)
    if not pulled.directed:
        assert "linear scaling" in found.how
        assert graph.computed_by["betweenness"] == "graphkit"
        assert found.closeness is not None and expected.closeness is not None
        assert_same(found.closeness.scores, expected.closeness.scores)
