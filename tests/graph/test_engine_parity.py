"""Every engine gives NetworkX's numbers: one suite, parametrised over engine names.

Each measure runs on every engine in :data:`ENGINES` on five graphs — Zachary's karate club
(weighted, with R reference values), a weighted graph with integer weights (tied paths),
a directed graph with sinks, a disconnected graph with isolated users and a simulated
2,000-user network pulled through the embedded store — and is compared with the
``networkx`` engine (the reference, NetworkX's own code): exact measures to 1e-9, sampled
measures for the same graphkit-chosen sources to 1e-9. Communities: seeded runs repeat,
the modularity an engine reports is NetworkX's modularity of its partition, and Louvain
and Leiden recover the simulation's planted communities (NMI ≥ 0.9).

Another engine joins by adding its name to :data:`ENGINES` (and, for an engine that
computes in a database, loading the case's graph in :func:`open_case`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from graphkit.dataset import load_dataset
from graphkit.errors import ConfigError
from graphkit.graph import sampling, searches
from graphkit.graph.engines import PulledGraph, choose_sources, get_engine
from graphkit.graph.engines.base import EngineGraph
from graphkit.graph.pull import pull_edges
from graphkit.simulation import simulate_network, write_dataset
from graphkit.store.local_store import LocalStore
from tests.conftest import ORACLES

REFERENCE = "networkx"
ENGINES = ["networkx", "igraph"]
"""Engines under test; each is compared with :data:`REFERENCE`."""
METHODS = {"networkx": ("louvain", "greedy"), "igraph": ("louvain", "leiden", "greedy")}
"""Community methods each engine offers (the others raise ConfigError)."""
TOLERANCE = 1e-9
CASES = ("karate", "weighted", "directed_sinks", "disconnected", "simulated_2k")
EXACT_CASES = [*CASES[:-1], pytest.param("simulated_2k", marks=pytest.mark.slow)]
"""NetworkX's exact betweenness and closeness on 2,000 users take minutes: marked slow."""
SAMPLE = 40
"""Sources of the sampled measures (at most half the users)."""
SAMPLE_SEED = 7


@dataclass(frozen=True)
class Case:
    name: str
    pulled: PulledGraph
    truth: dict | None = None
    """Planted community of each user (simulated networks only)."""


def karate_graph() -> nx.Graph:
    edges = pd.read_csv(ORACLES / "karate.csv")
    graph = nx.Graph()
    graph.add_nodes_from(range(34))
    graph.add_weighted_edges_from(edges[["from", "to", "weight"]].itertuples(index=False))
    return graph


def weighted_graph() -> nx.Graph:
    """200 users, integer weights 1–6: many shortest paths of equal weighted length."""
    graph = nx.gnm_random_graph(200, 900, seed=11)
    rng = np.random.default_rng(11)
    relabelled = nx.relabel_nodes(graph, {i: f"w{i:03d}" for i in graph})
    for _, _, data in relabelled.edges(data=True):
        data["weight"] = float(rng.integers(1, 7))
    return relabelled


def directed_with_sinks() -> nx.DiGraph:
    """A random digraph plus users who only receive (no way out: PageRank's dangling case)."""
    graph = nx.gnp_random_graph(150, 0.03, seed=5, directed=True)
    rng = np.random.default_rng(5)
    for sink in range(150, 158):
        for source in rng.choice(150, size=4, replace=False):
            graph.add_edge(int(source), sink)
    graph.remove_edges_from([(u, v) for u, v in list(graph.edges) if u >= 150])
    relabelled = nx.relabel_nodes(graph, {i: f"d{i:03d}" for i in graph})
    for u, v, data in relabelled.edges(data=True):
        data["weight"] = float(1 + (hash((u, v)) % 4 + 4) % 4)
    return relabelled


def disconnected_graph() -> nx.Graph:
    """Two communities, a separate pair, a triangle and five users without any tie."""
    graph = nx.disjoint_union_all(
        [
            nx.connected_caveman_graph(3, 6),
            nx.path_graph(2),
            nx.complete_graph(3),
            nx.empty_graph(5),
        ]
    )
    relabelled = nx.relabel_nodes(graph, {i: f"x{i:02d}" for i in graph})
    for i, (_, _, data) in enumerate(relabelled.edges(data=True)):
        data["weight"] = float(1 + i % 3)
    return relabelled


def simulated_case(folder: Path) -> Case:
    sim = simulate_network(2000, seed=3)
    write_dataset(sim, folder / "data")
    store = LocalStore(folder / "store")
    store.load(load_dataset(folder / "data"))
    pulled = pull_edges(store)
    truth = dict(zip(sim.users["user_id"], sim.users["true_community"], strict=True))
    return Case("simulated_2k", pulled, truth)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    built = {
        "karate": Case("karate", PulledGraph.from_networkx(karate_graph())),
        "weighted": Case("weighted", PulledGraph.from_networkx(weighted_graph())),
        "directed_sinks": Case("directed_sinks", PulledGraph.from_networkx(directed_with_sinks())),
        "disconnected": Case("disconnected", PulledGraph.from_networkx(disconnected_graph())),
        "simulated_2k": simulated_case(tmp_path_factory.mktemp("simulated")),
    }
    return built


@contextmanager
def open_case(engine: str, case: Case) -> Iterator[EngineGraph]:
    """``case``'s graph opened by ``engine`` (Python engines compute on the pulled arrays)."""
    with get_engine(engine).open(case.pulled) as graph:
        yield graph


@cache
def reference(case_name: str, measure: str, weighted: bool, sampled: bool) -> pd.Series:
    """The networkx engine's answer (cached: the 2k case's exact betweenness takes a while)."""
    case = CASE_CACHE[case_name]
    with open_case(REFERENCE, case) as graph:
        return compute(graph, measure, weighted, sampled)


CASE_CACHE: dict[str, Case] = {}


def compute(graph: EngineGraph, measure: str, weighted: bool, sampled: bool) -> pd.Series:
    k = min(SAMPLE, graph.nodes // 2)
    sources = choose_sources(graph.user_ids(), k, SAMPLE_SEED) if sampled else None
    if measure == "degree":
        return graph.degree(weighted=weighted)
    if measure == "pagerank":
        return graph.pagerank(weighted=weighted)
    if measure == "betweenness":
        return graph.betweenness(weighted=weighted, sources=sources)
    if measure == "closeness":
        return graph.closeness(weighted=weighted, sources=sources)
    if measure == "clustering":
        return graph.clustering()
    assert measure == "components"
    return graph.components()


def assert_same(found: pd.Series, expected: pd.Series) -> None:
    assert list(found.index) == list(expected.index)
    difference = np.abs(found.to_numpy(dtype=float) - expected.to_numpy(dtype=float))
    assert not np.isnan(found.to_numpy(dtype=float)).any()
    assert difference.max() <= TOLERANCE, f"max difference {difference.max():.3g}"


@pytest.fixture(scope="module", autouse=True)
def register_cases(cases: dict[str, Case]) -> None:
    CASE_CACHE.update(cases)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case_name", EXACT_CASES)
@pytest.mark.parametrize(
    ("measure", "weighted"),
    [
        ("degree", False),
        ("degree", True),
        ("pagerank", False),
        ("pagerank", True),
        ("betweenness", False),
        ("betweenness", True),
        ("closeness", False),
        ("closeness", True),
        ("clustering", False),
        ("components", False),
    ],
)
def test_exact_measures_equal_networkx(
    engine: str, case_name: str, measure: str, weighted: bool, cases: dict[str, Case]
):
    with open_case(engine, cases[case_name]) as graph:
        found = compute(graph, measure, weighted, sampled=False)
        assert graph.engine == engine
    assert_same(found, reference(case_name, measure, weighted, False))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("measure", ["betweenness", "closeness"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sampled_measures_equal_networkx_for_the_same_sources(
    engine: str, case_name: str, measure: str, weighted: bool, cases: dict[str, Case]
):
    with open_case(engine, cases[case_name]) as graph:
        found = compute(graph, measure, weighted, sampled=True)
    assert_same(found, reference(case_name, measure, weighted, True))


@pytest.mark.parametrize("engine", ENGINES)
def test_karate_matches_r(engine: str, cases: dict[str, Case]):
    """R igraph's reference values (tests/oracles/reference.json)."""
    import json

    expected = json.loads((ORACLES / "reference.json").read_text())["karate"]
    with open_case(engine, cases["karate"]) as graph:
        pagerank = graph.pagerank(weighted=False)
        betweenness = graph.betweenness(weighted=False)
        partition = graph.communities(method="greedy", weighted=False, resolution=1.0, seed=0)
    best = expected["pagerank_unweighted_max"]
    assert pagerank.idxmax() == best["node"]
    assert pagerank.max() == pytest.approx(best["value"], abs=1e-9)
    n = 34
    raw = expected["betweenness_unnormalized_max"]
    assert betweenness.idxmax() == raw["node"]
    assert betweenness.max() * (n - 1) * (n - 2) / 2 == pytest.approx(raw["value"], rel=1e-8)
    assert partition.modularity == pytest.approx(
        expected["greedy_modularity_Q_unweighted"], abs=1e-6
    )


def fold_graph(case: Case) -> nx.Graph:
    return case.pulled.undirected().to_networkx()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("method", ["louvain", "leiden", "greedy"])
@pytest.mark.parametrize("weighted", [False, True])
def test_communities_are_seeded_and_their_modularity_is_networkx_s(
    engine: str, case_name: str, method: str, weighted: bool, cases: dict[str, Case]
):
    case = cases[case_name]
    with open_case(engine, case) as graph:
        if method not in METHODS[engine]:
            with pytest.raises(ConfigError, match=f"(?i){method}"):
                graph.communities(method=method, weighted=weighted, resolution=1.0, seed=0)
            return
        first = graph.communities(method=method, weighted=weighted, resolution=1.0, seed=4)
        if method != "greedy":  # greedy merges are deterministic: nothing to seed
            again = graph.communities(method=method, weighted=weighted, resolution=1.0, seed=4)
            assert first.membership.equals(again.membership)
    assert first.engine == engine
    assert sorted(first.membership.index.tolist(), key=str) == sorted(
        case.pulled.user_ids.tolist(), key=str
    )
    # Numbered 0 = largest.
    sizes = first.membership.value_counts().sort_index().tolist()
    assert sizes == sorted(sizes, reverse=True)
    fold = fold_graph(case)
    if fold.number_of_edges() == 0:
        assert first.modularity == 0.0
        return
    expected = nx.community.modularity(
        fold, [set(g) for g in first.communities], weight="weight" if weighted else None
    )
    assert first.modularity == pytest.approx(expected, abs=TOLERANCE)


def nmi(truth: list, found: list) -> float:
    """Normalised mutual information (arithmetic mean of the entropies)."""
    n = len(truth)
    joint = Counter(zip(truth, found, strict=True))
    a, b = Counter(truth), Counter(found)
    mi = sum(c / n * math.log(c * n / (a[x] * b[y])) for (x, y), c in joint.items())
    ha = -sum(c / n * math.log(c / n) for c in a.values())
    hb = -sum(c / n * math.log(c / n) for c in b.values())
    return 2 * mi / (ha + hb) if ha + hb else 1.0


@pytest.mark.parametrize(
    ("engine", "method"),
    [(e, m) for e in ENGINES for m in ("louvain", "leiden") if m in METHODS[e]],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_planted_communities_are_recovered(
    engine: str, method: str, weighted: bool, cases: dict[str, Case]
):
    case = cases["simulated_2k"]
    assert case.truth is not None
    with open_case(engine, case) as graph:
        partition = graph.communities(method=method, weighted=weighted, resolution=1.0, seed=0)
        degree = graph.degree(weighted=False)
    connected = degree.index[degree > 0]
    score = nmi(
        [case.truth[u] for u in connected], [int(partition.membership[u]) for u in connected]
    )
    assert score >= 0.9, f"NMI {score:.3f}"


@pytest.mark.parametrize("engine", ENGINES)
def test_adaptive_sampling_gives_the_same_estimate_on_every_engine(
    engine: str, cases: dict[str, Case], monkeypatch: pytest.MonkeyPatch
):
    """Small batches so the 200-user graph goes through several rounds."""
    monkeypatch.setattr(sampling, "BATCH", 8)
    monkeypatch.setattr(sampling, "FIRST_CHECK", 16)
    monkeypatch.setattr(sampling, "MAX_SOURCES", 64)
    monkeypatch.setattr(sampling, "REPLICATES", 20)
    case = cases["weighted"]
    with open_case(engine, case) as graph:
        found, pivots = sampling.adaptive_betweenness(graph, weighted=True, seed=2)
        # The batch-by-batch union is exactly the estimate from all used pivots at once.
        union = graph.betweenness(weighted=True, sources=pivots)
    with open_case(REFERENCE, case) as graph:
        expected, expected_pivots = sampling.adaptive_betweenness(graph, weighted=True, seed=2)
    assert pivots == expected_pivots
    assert found.how == expected.how
    assert found.sources == len(pivots)
    assert_same(found.scores, expected.scores)
    assert_same(found.scores, union)


UNDIRECTED_CASES = [c for c in CASES if c != "directed_sinks"]


@pytest.mark.parametrize("case_name", UNDIRECTED_CASES)
def test_linear_scaling_with_every_user_as_pivot_is_exact_betweenness(
    case_name: str, cases: dict[str, Case]
):
    """Geisberger–Sanders–Schultes scaling splits each pair's dependency between its two
    orders (d(s,v)/d(s,t) + d(t,v)/d(t,s) = 1), so summed over all pivots it is exact
    betweenness; by linearity, n/k times the sum over k uniform pivots is unbiased."""
    case = cases[case_name]
    n = case.pulled.nodes
    dependency, distance, reached = searches.linear_scaling_searches(
        searches.SearchGraph.from_pairs(case.pulled.source, case.pulled.target, n), np.arange(n), 1
    )
    values = dependency * 2.0 / ((n - 1) * (n - 2))
    with open_case(REFERENCE, case) as graph:
        exact = graph.betweenness(weighted=False)
        hops = graph.closeness(weighted=False, sources=list(graph.user_ids()[:1]))
    assert_same(pd.Series(values, index=exact.index), exact)
    # The distances from the first pivot are hop counts: 1 / closeness from that pivot.
    first = np.where(reached > 0, distance, 0).astype(float)
    expected = np.where(first > 0, 1.0 / np.where(first > 0, first, 1.0), 0.0)
    np.testing.assert_allclose(hops.to_numpy(), expected, rtol=0, atol=1e-12)
    assert reached[0] == 1 and distance[0] == 0  # the pivot reaches itself


@pytest.mark.parametrize("engine", ENGINES)
def test_adaptive_linear_scaling_is_the_same_on_every_engine(
    engine: str, cases: dict[str, Case], monkeypatch: pytest.MonkeyPatch
):
    """Unweighted, undirected: the default estimator. Same pivots, message, scores on every
    engine; its closeness equals the engine's Eppstein–Wang from the same pivots."""
    monkeypatch.setattr(sampling, "BATCH", 8)
    monkeypatch.setattr(sampling, "FIRST_CHECK", 16)
    monkeypatch.setattr(sampling, "CHECK_EVERY", 16)
    monkeypatch.setattr(sampling, "MAX_SOURCES", 64)
    monkeypatch.setattr(sampling, "CLOSENESS_MAX_SOURCES", 20)
    monkeypatch.setattr(sampling, "REPLICATES", 20)
    case = cases["simulated_2k"]
    with open_case(engine, case) as graph:
        found, pivots = sampling.adaptive_betweenness(graph, weighted=False, seed=2)
        assert found.closeness is not None
        closeness = graph.closeness(weighted=False, sources=pivots[: found.closeness.sources])
    with open_case(REFERENCE, case) as graph:
        expected, expected_pivots = sampling.adaptive_betweenness(graph, weighted=False, seed=2)
    assert pivots == expected_pivots
    assert found.how == expected.how and "linear scaling" in found.how
    assert found.sources == len(pivots) and found.closeness.sources == min(len(pivots), 20)
    assert_same(found.scores, expected.scores)
    assert_same(found.closeness.scores, closeness)
    # Batches of 8 searched at once equal the same pivots searched together.
    position = pd.Index(case.pulled.user_ids).get_indexer(pd.Index(pivots, dtype=object))
    n = case.pulled.nodes
    together, _, _ = searches.linear_scaling_searches(
        searches.SearchGraph.from_pairs(case.pulled.source, case.pulled.target, n), position, 0
    )
    union = together * (n / len(pivots)) * 2.0 / ((n - 1) * (n - 2))
    assert_same(found.scores, pd.Series(union, index=found.scores.index))
