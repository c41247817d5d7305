"""Community detection against R/igraph references and planted partitions."""

from __future__ import annotations

import json
import math
from collections import Counter

import networkx as nx
import pytest

from graphkit.errors import ConfigError
from graphkit.graph.communities import detect_communities
from tests.conftest import ORACLES

REFERENCE = json.loads((ORACLES / "reference.json").read_text())["karate"]


def nmi(truth: list, found: list) -> float:
    """Normalised mutual information (arithmetic mean normalisation, as sklearn's default)."""
    n = len(truth)
    joint = Counter(zip(truth, found, strict=True))
    a, b = Counter(truth), Counter(found)
    mi = sum(c / n * math.log(c * n / (a[x] * b[y])) for (x, y), c in joint.items())
    ha = -sum(c / n * math.log(c / n) for c in a.values())
    hb = -sum(c / n * math.log(c / n) for c in b.values())
    return 2 * mi / (ha + hb) if ha + hb else 1.0


def test_greedy_modularity_matches_r(karate: nx.Graph):
    result = detect_communities(karate, method="greedy")
    assert result.modularity == pytest.approx(REFERENCE["greedy_modularity_Q_unweighted"], abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_louvain_modularity_in_reference_range(karate: nx.Graph, seed: int):
    low, high = REFERENCE["louvain_Q_range"]
    result = detect_communities(karate, method="louvain", seed=seed)
    assert low <= result.modularity <= high + 1e-9


def test_numbering_is_largest_first_and_membership_consistent(karate: nx.Graph):
    result = detect_communities(karate, method="louvain", seed=0)
    assert result.sizes == sorted(result.sizes, reverse=True)
    for cid, members in enumerate(result.communities):
        assert all(result.membership[m] == cid for m in members)
    assert sorted(result.membership) == sorted(karate)


def test_same_seed_same_partition(karate: nx.Graph):
    assert (
        detect_communities(karate, seed=3).membership
        == detect_communities(karate, seed=3).membership
    )


@pytest.mark.parametrize("method", ["louvain", "greedy"])
def test_planted_partition_is_recovered(method: str):
    sizes = [60, 50, 40, 30]
    graph = nx.random_partition_graph(sizes, p_in=0.25, p_out=0.01, seed=42)
    blocks = graph.graph["partition"]
    truth = [next(i for i, b in enumerate(blocks) if n in b) for n in graph]
    result = detect_communities(graph, method=method, seed=0)
    score = nmi(truth, [result.membership[n] for n in graph])
    assert score > 0.9, f"NMI {score:.3f}"


def test_simulated_network_communities_are_recovered():
    from graphkit.simulation import simulate_network

    sim = simulate_network(3000, seed=5)
    graph = nx.Graph()
    graph.add_nodes_from(sim.users["user_id"])
    graph.add_edges_from(
        zip(sim.interactions["source_id"], sim.interactions["target_id"], strict=True)
    )
    result = detect_communities(graph, method="louvain", seed=0)
    connected = [u for u in graph if graph.degree(u) > 0]
    truth = dict(zip(sim.users["user_id"], sim.users["true_community"], strict=True))
    score = nmi([truth[u] for u in connected], [result.membership[u] for u in connected])
    assert score > 0.6, f"NMI {score:.3f}"


def test_directed_graph_is_folded_and_edgeless_graph_is_singletons():
    result = detect_communities(nx.DiGraph([(1, 2), (2, 1), (3, 4)]), method="greedy")
    assert result.membership[1] == result.membership[2]
    empty = nx.Graph()
    empty.add_nodes_from(["x", "y"])
    assert detect_communities(empty).sizes == [1, 1]


def test_bad_requests_raise_clear_errors(karate: nx.Graph):
    with pytest.raises(ConfigError, match="unknown method"):
        detect_communities(karate, method="infomap")
    with pytest.raises(ConfigError, match="resolution"):
        detect_communities(karate, resolution=0)
