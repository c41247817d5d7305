"""The reference engine: NetworkX (and python-louvain), the definitions the others must equal.

Slow on large graphs (pure Python); kept for small graphs, as the parity suite's reference,
and for anyone who wants NetworkX's own code to have computed the numbers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from graphkit.errors import ConfigError
from graphkit.graph.engines.base import (
    PAGERANK_DAMPING,
    PAGERANK_TOLERANCE,
    Partition,
    PulledGraph,
    eppstein_wang,
    number_groups,
    path_distance,
    series,
)

if TYPE_CHECKING:
    from graphkit.graph.pull import SubgraphSpec
    from graphkit.store.base import GraphStore

NAME = "networkx"


class _GivenPivots(random.Random):
    """Hands NetworkX graphkit's pivots: ``nx.betweenness_centrality`` draws them with
    ``seed.sample(nodes, k)``, so its own code (accumulation and rescaling) runs unchanged
    on exactly the sources graphkit chose."""

    def __init__(self, pivots: Sequence[Any]) -> None:
        super().__init__(0)
        self.pivots = list(pivots)

    def sample(self, population: Any, k: int, *, counts: Any = None) -> list[Any]:
        assert k == len(self.pivots)
        return list(self.pivots)


class NetworkXGraph:
    """A pulled graph as NetworkX graphs (as pulled, and its undirected fold)."""

    engine = NAME

    def __init__(self, pulled: PulledGraph) -> None:
        self.pulled = pulled
        self.directed = pulled.directed
        self.nodes = pulled.nodes
        self.edges = pulled.edges

    def user_ids(self) -> np.ndarray:
        return self.pulled.user_ids

    @cached_property
    def graph(self) -> nx.Graph:
        return self.pulled.to_networkx()

    @cached_property
    def undirected(self) -> nx.Graph:
        return self.graph if not self.directed else self.pulled.undirected().to_networkx()

    @cached_property
    def path_graph(self) -> nx.Graph:
        """Edges carry ``distance`` = :func:`path_distance` (weight): strong ties are short."""
        copy = self.graph.copy()
        rows = list(copy.edges(data=True))
        distances = path_distance(np.array([d["weight"] for *_, d in rows], dtype=float))
        for (_, _, data), distance in zip(rows, distances.tolist(), strict=True):
            data["distance"] = distance
        return copy

    def _series(self, values: dict, name: str) -> pd.Series:
        ids = self.pulled.user_ids
        return series(ids, np.array([values[u] for u in ids.tolist()], dtype=float), name)

    def degree(self, *, weighted: bool) -> pd.Series:
        degree = self.graph.degree(weight="weight" if weighted else None)
        return self._series(dict(degree), "degree")

    def pagerank(self, *, weighted: bool) -> pd.Series:
        scores = nx.pagerank(
            self.graph,
            alpha=PAGERANK_DAMPING,
            weight="weight" if weighted else None,
            tol=PAGERANK_TOLERANCE,
            max_iter=1000,
        )
        return self._series(scores, "pagerank")

    def betweenness(self, *, weighted: bool, sources: Sequence[Any] | None = None) -> pd.Series:
        graph = self.path_graph if weighted else self.graph
        distance = "distance" if weighted else None
        if sources is None:
            scores = nx.betweenness_centrality(graph, weight=distance)
        else:
            scores = nx.betweenness_centrality(
                graph, k=len(sources), weight=distance, seed=_GivenPivots(sources)
            )
        return self._series(scores, "betweenness")

    def closeness(self, *, weighted: bool, sources: Sequence[Any] | None = None) -> pd.Series:
        graph = self.path_graph if weighted else self.graph
        distance = "distance" if weighted else None
        if sources is None:
            return self._series(nx.closeness_centrality(graph, distance=distance), "closeness")
        ids = self.pulled.user_ids
        index = {u: i for i, u in enumerate(ids.tolist())}
        total = np.zeros(len(ids))
        reached = np.zeros(len(ids))
        is_source = np.zeros(len(ids), dtype=bool)
        for pivot in sources:
            is_source[index[pivot]] = True
            # From the pivot outwards: on a digraph that is the distance *to* each user.
            if distance is None:
                lengths = nx.single_source_shortest_path_length(graph, pivot)
            else:
                lengths = nx.single_source_dijkstra_path_length(graph, pivot, weight=distance)
            for node, d in lengths.items():
                if node != pivot:
                    total[index[node]] += d
                    reached[index[node]] += 1
        values = eppstein_wang(total, reached, is_source, len(ids), len(sources))
        return series(ids, values, "closeness")

    def clustering(self) -> pd.Series:
        return self._series(nx.clustering(self.undirected), "clustering")

    def components(self) -> pd.Series:
        ids = self.pulled.user_ids
        label = {u: i for i, c in enumerate(nx.connected_components(self.undirected)) for u in c}
        raw = np.array([label[u] for u in ids.tolist()])
        return pd.Series(
            number_groups(raw, ids), index=pd.Index(ids, name="user_id"), name="component"
        )

    def communities(
        self, *, method: str, weighted: bool, resolution: float, seed: int | None
    ) -> Partition:
        graph = self.undirected
        ids = self.pulled.user_ids
        weight = "weight" if weighted else None
        if graph.number_of_edges() == 0:
            # Modularity is undefined without edges; every user is its own community.
            raw = np.arange(len(ids))
            modularity = 0.0
        else:
            if method == "louvain":
                import community as community_louvain  # python-louvain

                label = community_louvain.best_partition(
                    graph,
                    weight=weight or "__unweighted__",
                    resolution=resolution,
                    random_state=seed,
                )
            elif method == "greedy":
                groups = nx.community.greedy_modularity_communities(
                    graph, weight=weight, resolution=resolution
                )
                label = {u: i for i, g in enumerate(groups) for u in g}
            elif method == "leiden":
                raise ConfigError(
                    "the networkx engine has no Leiden method",
                    hint="use engine igraph (or auto) for leiden",
                )
            else:
                raise ConfigError(f"unknown community method {method!r}")
            raw = np.array([label[u] for u in ids.tolist()])
            by_label: dict[int, set] = {}
            for user, group in zip(ids.tolist(), raw.tolist(), strict=True):
                by_label.setdefault(group, set()).add(user)
            modularity = float(
                nx.community.modularity(
                    graph, list(by_label.values()), weight=weight, resolution=resolution
                )
            )
        membership = pd.Series(
            number_groups(raw, ids), index=pd.Index(ids, name="user_id"), name="community"
        )
        return Partition(membership, modularity, method, NAME, resolution, weighted, seed)


class NetworkXEngine:
    """The reference engine (BSD-3-Clause NetworkX, python-louvain for Louvain)."""

    name = NAME
    licence = "BSD-3-Clause (NetworkX, python-louvain)"
    needs_pull = True

    @contextmanager
    def open(
        self,
        graph: PulledGraph | None = None,
        *,
        store: GraphStore | None = None,
        spec: SubgraphSpec | None = None,
    ) -> Iterator[NetworkXGraph]:
        if graph is None:
            raise ConfigError("the networkx engine computes on a pulled graph")
        yield NetworkXGraph(graph)
