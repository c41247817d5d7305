"""Centralities against R/igraph reference values on Zachary's karate club."""

from __future__ import annotations

import json
from fractions import Fraction

import networkx as nx
import pytest

from graphkit.errors import ConfigError, InsufficientData, ParameterError
from graphkit.graph.centrality import MEASURES, centrality, sampled_closeness
from tests.conftest import ORACLES

REFERENCE = json.loads((ORACLES / "reference.json").read_text())["karate"]


def test_pagerank_matches_r(karate: nx.Graph):
    scores = centrality(karate, measures=["pagerank"]).scores
    best = scores.iloc[0]
    expected = REFERENCE["pagerank_unweighted_max"]
    assert best["user_id"] == expected["node"]
    assert best["pagerank"] == pytest.approx(expected["value"], abs=1e-6)


def test_betweenness_matches_r_unnormalised(karate: nx.Graph):
    scores = centrality(karate, measures=["betweenness"]).scores
    best = scores.iloc[0]
    expected = REFERENCE["betweenness_unnormalized_max"]
    n = karate.number_of_nodes()
    # We report NetworkX's normalised score; R's is the raw pair count.
    assert best["user_id"] == expected["node"]
    assert best["betweenness"] * (n - 1) * (n - 2) / 2 == pytest.approx(expected["value"], rel=1e-6)


def test_all_measures_agree_with_networkx(karate: nx.Graph):
    result = centrality(karate)
    scores = result.scores.set_index("user_id")
    assert list(result.measures) == list(MEASURES)
    assert not result.approximate
    for node, value in nx.degree_centrality(karate).items():
        assert scores.loc[node, "degree"] == pytest.approx(value)
    for node, value in nx.closeness_centrality(karate).items():
        assert scores.loc[node, "closeness"] == pytest.approx(value)
    # best first by PageRank, ties by id
    assert list(result.scores["pagerank"]) == sorted(result.scores["pagerank"], reverse=True)


def test_weighted_uses_strength_and_inverse_distance(karate: nx.Graph):
    scores = centrality(karate, weight="weight").scores.set_index("user_id")
    n = karate.number_of_nodes()
    assert scores.loc[0, "degree"] == pytest.approx(karate.degree(0, weight="weight") / (n - 1))
    # Exact rational distances 1/w: equal paths tie exactly (with float 1/w, 1/3 + 1/6 and
    # 1/2 differ in the last bit and NetworkX would split the tie arbitrarily).
    distance = nx.Graph()
    distance.add_edges_from(
        (u, v, {"d": Fraction(1, int(w))}) for u, v, w in karate.edges(data="weight")
    )
    expected = nx.betweenness_centrality(distance, weight="d")
    assert scores.loc[33, "betweenness"] == pytest.approx(expected[33])
    exact = nx.pagerank(karate, weight="weight", tol=1e-13, max_iter=10_000)
    assert scores.loc[0, "pagerank"] == pytest.approx(exact[0], abs=1e-9)


def test_sampled_scores_are_flagged_and_close(karate: nx.Graph):
    result = centrality(karate, sample=20, seed=1)
    assert set(result.approximate) == {"betweenness", "closeness"}
    scores = result.scores.set_index("user_id")
    exact = nx.closeness_centrality(karate)
    # a 20-of-34 sample: the estimate is rough but must track the exact ranking
    errors = [abs(scores.loc[n, "closeness"] - exact[n]) / exact[n] for n in karate]
    assert sum(errors) / len(errors) < 0.2


def test_sampled_closeness_with_every_source_is_exact(karate: nx.Graph):
    estimate = sampled_closeness(karate, k=34, distance=None, seed=0)
    for node, value in nx.closeness_centrality(karate).items():
        assert estimate[node] == pytest.approx(value)


def test_sampled_closeness_handles_disconnected_graphs():
    graph = nx.Graph([(1, 2), (2, 3), (4, 5)])
    graph.add_node(6)
    estimate = sampled_closeness(graph, k=6, distance=None, seed=0)
    for node, value in nx.closeness_centrality(graph).items():
        assert estimate[node] == pytest.approx(value)


def test_same_seed_same_sample(karate: nx.Graph):
    first = centrality(karate, sample=10, seed=7).scores
    assert first.equals(centrality(karate, sample=10, seed=7).scores)


def test_directed_closeness_uses_incoming_distance():
    graph = nx.DiGraph([("a", "b"), ("b", "c")])
    scores = centrality(graph, measures=["closeness"]).scores.set_index("user_id")
    assert scores.loc["a", "closeness"] == 0.0  # nobody reaches a
    assert scores.loc["c", "closeness"] == pytest.approx(nx.closeness_centrality(graph)["c"])


def test_bad_requests_raise_clear_errors(karate: nx.Graph):
    with pytest.raises(ConfigError, match="unknown measure 'eigen'"):
        centrality(karate, measures=["eigen"])
    with pytest.raises(InsufficientData):
        centrality(nx.Graph())
    with pytest.raises(ParameterError, match=r"^sample must be at least 1") as caught:
        centrality(karate, sample=0)
    assert caught.value.parameter == "sample"  # the library names its parameter, not a flag
