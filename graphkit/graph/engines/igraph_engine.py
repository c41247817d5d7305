"""The default engine: python-igraph (C core), built straight from the pulled edge arrays.

Every score is rescaled to NetworkX's definition (facts in
:mod:`graphkit.graph.engines.base`); the parity suite checks each one to 1e-9.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

import igraph as ig
import numpy as np
import pandas as pd

from graphkit.errors import ConfigError
from graphkit.graph.engines.base import (
    PAGERANK_DAMPING,
    Partition,
    PulledGraph,
    eppstein_wang,
    number_groups,
    path_distance,
    rescale_sampled_betweenness,
    series,
)

if TYPE_CHECKING:
    from graphkit.graph.pull import SubgraphSpec
    from graphkit.store.base import GraphStore

NAME = "igraph"
DISTANCE_ROWS = 64
"""Pivots per ``distances`` call: bounds the k × n matrix held at once."""


def to_igraph(pulled: PulledGraph) -> ig.Graph:
    """An igraph graph whose vertex i is ``pulled.user_ids[i]``; edges carry ``weight``."""
    edges = np.column_stack([pulled.source, pulled.target]).astype(np.int64)
    graph = ig.Graph(n=pulled.nodes, edges=edges.tolist(), directed=pulled.directed)
    graph.es["weight"] = pulled.weight.tolist()
    return graph


@contextmanager
def seeded_rng(seed: int | None) -> Iterator[None]:
    """igraph draws from Python's ``random`` module; give it its own seeded generator."""
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


class IGraphGraph:
    """A pulled graph held as igraph graphs (as pulled, and its undirected fold)."""

    engine = NAME

    def __init__(self, pulled: PulledGraph) -> None:
        self.pulled = pulled
        self.directed = pulled.directed
        self.nodes = pulled.nodes
        self.edges = pulled.edges
        self.graph = to_igraph(pulled)

    def user_ids(self) -> np.ndarray:
        return self.pulled.user_ids

    @cached_property
    def undirected(self) -> ig.Graph:
        return self.graph if not self.directed else to_igraph(self.pulled.undirected())

    def _distance(self, weighted: bool) -> str | None:
        """The edge attribute weighted paths use (set on first use), or None: hops."""
        if not weighted:
            return None
        if "distance" not in self.graph.es.attributes():
            self.graph.es["distance"] = path_distance(self.pulled.weight).tolist()
        return "distance"

    def _series(self, values: Any, name: str) -> pd.Series:
        return series(self.pulled.user_ids, np.asarray(values, dtype=float), name)

    def _indices(self, users: Sequence[Any]) -> list[int]:
        position = pd.Index(self.pulled.user_ids).get_indexer(pd.Index(list(users), dtype=object))
        if (position < 0).any():
            raise ConfigError("a source user is not in the graph")
        return position.tolist()

    def degree(self, *, weighted: bool) -> pd.Series:
        if weighted:
            return self._series(self.graph.strength(mode="all", weights="weight"), "degree")
        return self._series(self.graph.degree(mode="all"), "degree")

    def pagerank(self, *, weighted: bool) -> pd.Series:
        scores = self.graph.pagerank(
            directed=self.directed,
            damping=PAGERANK_DAMPING,
            weights="weight" if weighted else None,
            implementation="prpack",
        )
        return self._series(scores, "pagerank")

    def betweenness(self, *, weighted: bool, sources: Sequence[Any] | None = None) -> pd.Series:
        n = self.nodes
        distance = self._distance(weighted)
        # igraph counts an undirected pair once; NetworkX's dependency sum counts it twice.
        pair_factor = 1.0 if self.directed else 2.0
        if sources is None:
            raw = np.asarray(self.graph.betweenness(directed=self.directed, weights=distance))
            is_source = np.ones(n, dtype=bool)
            k = n
        else:
            index = self._indices(sources)
            raw = np.asarray(
                self.graph.betweenness(directed=self.directed, weights=distance, sources=index)
            )
            is_source = np.zeros(n, dtype=bool)
            is_source[index] = True
            k = len(index)
        values = rescale_sampled_betweenness(raw * pair_factor, is_source, n, k)
        return self._series(values, "betweenness")

    def closeness(self, *, weighted: bool, sources: Sequence[Any] | None = None) -> pd.Series:
        n = self.nodes
        distance = self._distance(weighted)
        if sources is None:
            mode = "in" if self.directed else "all"
            # Mean distance over the users that reach each one (NaN when none does).
            local = np.asarray(
                self.graph.closeness(mode=mode, weights=distance, normalized=True), dtype=float
            )
            if self.directed:
                inverse_sum = np.asarray(
                    self.graph.closeness(mode=mode, weights=distance, normalized=False),
                    dtype=float,
                )
                with np.errstate(divide="ignore", invalid="ignore"):
                    others = local / inverse_sum  # r − 1 users reach each one
            else:
                sizes = np.asarray(self.graph.connected_components().sizes())
                others = sizes[self.graph.connected_components().membership] - 1.0
            values = np.nan_to_num(local * others / max(n - 1, 1), nan=0.0)
            return self._series(values, "closeness")
        index = self._indices(sources)
        total = np.zeros(n)
        reached = np.zeros(n)
        for start in range(0, len(index), DISTANCE_ROWS):
            rows = index[start : start + DISTANCE_ROWS]
            # From each pivot outwards: on a digraph that is the distance *to* each user.
            matrix = np.array(
                self.graph.distances(source=rows, weights=distance, mode="out"), dtype=float
            )
            finite = np.isfinite(matrix)
            matrix[~finite] = 0.0
            total += matrix.sum(axis=0)
            reached += finite.sum(axis=0)
        is_source = np.zeros(n, dtype=bool)
        is_source[index] = True
        reached -= is_source  # a pivot reaches itself at distance 0: not a sample
        return self._series(eppstein_wang(total, reached, is_source, n, len(index)), "closeness")

    def clustering(self) -> pd.Series:
        return self._series(
            self.undirected.transitivity_local_undirected(mode="zero"), "clustering"
        )

    def components(self) -> pd.Series:
        ids = self.pulled.user_ids
        labels = np.asarray(self.undirected.connected_components().membership)
        return pd.Series(
            number_groups(labels, ids), index=pd.Index(ids, name="user_id"), name="component"
        )

    def communities(
        self, *, method: str, weighted: bool, resolution: float, seed: int | None
    ) -> Partition:
        graph = self.undirected
        ids = self.pulled.user_ids
        weights = "weight" if weighted else None
        if graph.ecount() == 0:
            raw = np.arange(len(ids))
            modularity = 0.0
        else:
            with seeded_rng(seed):
                if method == "louvain":
                    clusters = graph.community_multilevel(weights=weights, resolution=resolution)
                elif method == "leiden":
                    clusters = graph.community_leiden(
                        objective_function="modularity",
                        weights=weights,
                        resolution=resolution,
                        n_iterations=-1,  # until no move improves modularity
                    )
                elif method == "greedy":
                    if resolution != 1.0:
                        raise ConfigError(
                            "the igraph engine's greedy modularity has no resolution parameter",
                            hint="use engine networkx for greedy at another resolution",
                        )
                    clusters = graph.community_fastgreedy(weights=weights).as_clustering()
                else:
                    raise ConfigError(f"unknown community method {method!r}")
            raw = np.asarray(clusters.membership)
            modularity = float(
                graph.modularity(
                    raw.tolist(), weights=weights, resolution=resolution, directed=False
                )
            )
        membership = pd.Series(
            number_groups(raw, ids), index=pd.Index(ids, name="user_id"), name="community"
        )
        return Partition(membership, modularity, method, NAME, resolution, weighted, seed)


class IGraphEngine:
    """python-igraph (GPL-2.0-or-later), the default compiled engine."""

    name = NAME
    licence = "GPL-2.0-or-later (python-igraph and the igraph C core)"
    needs_pull = True

    @contextmanager
    def open(
        self,
        graph: PulledGraph | None = None,
        *,
        store: GraphStore | None = None,
        spec: SubgraphSpec | None = None,
    ) -> Iterator[IGraphGraph]:
        if graph is None:
            raise ConfigError("the igraph engine computes on a pulled graph")
        yield IGraphGraph(graph)
