"""The engine seam: what every graph engine computes, on what, and with which scaling.

Contract
--------
An *engine* turns a graph source into an :class:`EngineGraph` (``engine.open(...)``, a
context manager so that an engine holding server-side state — a GDS projection — always
releases it, also on error or Ctrl-C). An :class:`EngineGraph` computes the measures
below. Every measure returns a :class:`pandas.Series` **indexed by user id** (all users
in scope, including those without ties) with NetworkX's normalisation, so two engines
give the same numbers for the same graph:

================  ===========================================================================
``degree``        raw degree (distinct neighbours; on a digraph in + out, as
                  ``nx.DiGraph.degree``) or, ``weighted``, strength (summed weight).
                  graphkit divides by n − 1 itself where a share is wanted.
``pagerank``      damping 0.85, converged (≤ 1e-10 per user), **sums to 1**;
                  ``weighted``: transitions ∝ weight; dangling users jump uniformly.
``betweenness``   ``nx.betweenness_centrality(normalized=True)``; ``weighted``: shortest
                  paths with distance = 1 / weight. ``sources`` given: the Brandes–Pich
                  estimate NetworkX makes from exactly those pivots (see below).
``closeness``     Wasserman–Faust closeness, ``nx.closeness_centrality(wf_improved=True)``;
                  on a digraph, distances *to* the user. ``sources`` given: the
                  Eppstein–Wang estimate from those pivots (:func:`eppstein_wang`).
``clustering``    local clustering coefficient of the undirected fold, unweighted.
``components``    connected components (weak on a digraph), numbered 0 = largest.
``communities``   a :class:`Partition` (Louvain, Leiden or greedy modularity) of the
                  undirected fold, seeded, with its modularity.
================  ===========================================================================

Random choices are graphkit's, never the engine's: sampled measures receive the pivot users
(:func:`choose_sources`), so every engine given the same seed returns the same estimate.

Graph sources
-------------
Python engines (``networkx``, ``igraph``) compute on a :class:`PulledGraph`: the users in
scope (sorted ids) and integer edge arrays indexing them, as the store's pull returns them.
No NetworkX graph exists unless the NetworkX engine is chosen. An in-database engine
(``gds``) opens the store and the :class:`~graphkit.graph.pull.SubgraphSpec` instead and
never pulls the graph: ``engine.open(store=..., spec=...)``; ``engine.needs_pull`` says
which kind it wants. :func:`graphkit.graph.engines.open_subgraph` opens either kind and
also the undirected fold (re-opened with ``spec.directed=False`` for an in-database engine),
which degree, clustering and communities use in ``features``.

Rescaling facts (verified by ``tests/graph/test_engine_parity.py``)
-------------------------------------------------------------------
* Weighted paths everywhere use distance = 1 / weight (strong ties are short), rounded to
  :data:`DISTANCE_GRID` by :func:`path_distance` so that equal paths tie in every engine.
* GDS PageRank sums to n, not 1: divide by the sum. igraph PRPACK equals NetworkX.
* igraph ``closeness(normalized=True)`` averages over reachable users only; multiplied by
  (r − 1)/(n − 1) (r = users reaching the user, itself included) it is Wasserman–Faust;
  on a digraph pass ``mode="in"``. Unreachable users (NaN) score 0.
* igraph ``betweenness`` on an undirected graph counts each pair once: NetworkX's
  normalised score is raw × 2 / ((n − 1)(n − 2)); directed: raw / ((n − 1)(n − 2)).
* Sampled betweenness (NetworkX ≥ 3.6): the dependency sum over the k pivots S divided by
  (k − 1)(n − 2) for a pivot and k(n − 2) for everyone else.
  ``igraph.betweenness(sources=S)`` on an undirected graph is half that dependency sum
  (it counts each pair once), so for the same pivots igraph × 2, rescaled by
  :func:`rescale_sampled_betweenness`, equals NetworkX to rounding.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, InsufficientData

if TYPE_CHECKING:
    import networkx as nx

    from graphkit.graph.pull import SubgraphSpec
    from graphkit.store.base import GraphStore

COMMUNITY_METHODS = ("louvain", "leiden", "greedy")
PAGERANK_DAMPING = 0.85
PAGERANK_TOLERANCE = 1e-12
"""Per-user L1 change at which NetworkX's power iteration stops (its default 1e-6 stops
~1e-6 short of the fixed point that igraph's PRPACK solves for exactly)."""
DISTANCE_GRID = 2.0**-24
"""Path distances are 1 / weight rounded to a multiple of this (about 6e-8).

Sums of such numbers are exact in floating point, so two paths of equal length are equal
in every engine: NetworkX compares path lengths exactly, igraph within a relative 1e-10,
and with raw 1 / weight (1/3 + 1/6 vs 1/2) they would split ties differently. Distinct
lengths stay distinct for paths shorter than about 300 (igraph's tolerance × length)."""


def path_distance(weight: np.ndarray) -> np.ndarray:
    """Distance = 1 / weight on :data:`DISTANCE_GRID` (at least one grid step).

    Examples
    --------
    >>> path_distance(np.array([1.0, 2.0, 3.0])) * 2**24
    array([16777216.,  8388608.,  5592405.])
    """
    steps = np.maximum(np.round((1.0 / weight) / DISTANCE_GRID), 1.0)
    return steps * DISTANCE_GRID


@dataclass(frozen=True)
class PulledGraph:
    """A subgraph in Python as integer edge arrays: what the Python engines compute on.

    ``user_ids[i]`` is user ``i``; edge ``j`` goes from ``user_ids[source[j]]`` to
    ``user_ids[target[j]]`` and carries ``interactions[j]`` interactions of summed
    ``weight[j]``. Undirected graphs hold each pair once; no self-loops, no duplicates.
    """

    user_ids: np.ndarray
    source: np.ndarray
    target: np.ndarray
    interactions: np.ndarray
    weight: np.ndarray
    directed: bool

    @property
    def nodes(self) -> int:
        return len(self.user_ids)

    @property
    def edges(self) -> int:
        return len(self.source)

    @classmethod
    def from_edges(
        cls, user_ids: Sequence[Any], edges: pd.DataFrame, *, directed: bool
    ) -> PulledGraph:
        """From the store's aggregated frame (``source, target, interactions, weight``).

        Examples
        --------
        >>> frame = pd.DataFrame({"source": ["a"], "target": ["b"], "interactions": [2],
        ...                       "weight": [3.0]})
        >>> PulledGraph.from_edges(["a", "b", "c"], frame, directed=False).source.tolist()
        [0]
        """
        index = pd.Index(np.asarray(user_ids, dtype=object))
        source = index.get_indexer(edges["source"])
        target = index.get_indexer(edges["target"])
        if len(source) and (source.min() < 0 or target.min() < 0):
            raise InsufficientData(
                "an interaction names a user who is not among the users in scope",
                hint="reload the dataset: users and interactions disagree",
            )
        return cls(
            user_ids=np.asarray(index, dtype=object),
            source=source.astype(np.int64),
            target=target.astype(np.int64),
            interactions=edges["interactions"].to_numpy(dtype=np.int64),
            weight=edges["weight"].to_numpy(dtype=np.float64),
            directed=directed,
        )

    @classmethod
    def from_networkx(cls, graph: nx.Graph, *, weight: str = "weight") -> PulledGraph:
        """From a NetworkX graph; users keep the graph's node order, missing weights are 1."""
        nodes = list(graph)
        position = {node: i for i, node in enumerate(nodes)}
        rows = list(graph.edges(data=True))
        user_ids = np.empty(len(nodes), dtype=object)  # element-wise: tuples stay ids
        user_ids[:] = nodes
        return cls(
            user_ids=user_ids,
            source=np.array([position[u] for u, _, _ in rows], dtype=np.int64),
            target=np.array([position[v] for _, v, _ in rows], dtype=np.int64),
            interactions=np.array([d.get("interactions", 1) for *_, d in rows], dtype=np.int64),
            weight=np.array([d.get(weight, 1.0) for *_, d in rows], dtype=np.float64),
            directed=graph.is_directed(),
        )

    def undirected(self) -> PulledGraph:
        """The undirected fold: a pair's interactions and weights in both directions summed.

        This equals what the store returns for the same subgraph pulled undirected.
        """
        if not self.directed:
            return self
        low = np.minimum(self.source, self.target)
        high = np.maximum(self.source, self.target)
        key = low * self.nodes + high
        unique, inverse = np.unique(key, return_inverse=True)
        return PulledGraph(
            user_ids=self.user_ids,
            source=unique // max(self.nodes, 1),
            target=unique % max(self.nodes, 1),
            interactions=np.bincount(inverse, self.interactions, len(unique)).astype(np.int64),
            weight=np.bincount(inverse, self.weight, len(unique)),
            directed=False,
        )

    def to_networkx(self) -> nx.Graph:
        """The same graph in NetworkX (``interactions`` and ``weight`` on every edge)."""
        import networkx as nx

        graph: nx.Graph = nx.DiGraph() if self.directed else nx.Graph()
        ids = self.user_ids
        graph.add_nodes_from(ids.tolist())
        graph.add_edges_from(
            (ids[s], ids[t], {"interactions": int(c), "weight": float(w)})
            for s, t, c, w in zip(
                self.source.tolist(),
                self.target.tolist(),
                self.interactions.tolist(),
                self.weight.tolist(),
                strict=True,
            )
        )
        return graph


@dataclass(frozen=True)
class Partition:
    """Communities of every user: ``membership`` (user id → community, 0 = largest)."""

    membership: pd.Series
    modularity: float
    method: str
    engine: str
    resolution: float
    weighted: bool
    seed: int | None

    @property
    def communities(self) -> list[list[Any]]:
        """Members of each community (sorted), largest first; index = community id."""
        groups: list[list[Any]] = [[] for _ in range(int(self.membership.max()) + 1)]
        for user, label in self.membership.items():
            groups[int(label)].append(user)
        return groups


def number_groups(labels: np.ndarray, user_ids: np.ndarray) -> np.ndarray:
    """Renumber arbitrary group labels: 0 = largest group, ties by smallest member id.

    Examples
    --------
    >>> number_groups(np.array([5, 7, 7, 9]), np.array(["d", "b", "c", "a"], dtype=object))
    array([2, 0, 0, 1])
    """
    labels = np.asarray(labels)
    if len(labels) == 0:
        return labels.astype(np.int64)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    frame = pd.DataFrame({"group": inverse, "id": user_ids.astype(str)})
    smallest = frame.groupby("group")["id"].min()
    order = sorted(range(len(counts)), key=lambda g: (-counts[g], smallest[g]))
    new_label = np.empty(len(counts), dtype=np.int64)
    new_label[order] = np.arange(len(counts))
    return new_label[inverse]


def choose_sources(user_ids: Sequence[Any] | np.ndarray, k: int, seed: int) -> list[Any]:
    """The ``k`` pivot users of a sampled measure: graphkit's choice, shared by every engine.

    The same draw as ``nx.betweenness_centrality(k=k, seed=seed)`` makes on a graph whose
    nodes are ``user_ids`` in this order, so graphkit's estimates equal NetworkX's.

    Examples
    --------
    >>> choose_sources(["a", "b", "c", "d"], 2, seed=0)
    ['d', 'b']
    """
    population = list(user_ids)
    if not 1 <= k <= len(population):
        raise ConfigError(f"sample must be between 1 and {len(population)} users, not {k}")
    return random.Random(seed).sample(population, k)


def rescale_sampled_betweenness(
    dependency: np.ndarray, is_source: np.ndarray, n: int, k: int
) -> np.ndarray:
    """NetworkX's normalised betweenness from the dependency sum of ``k`` pivots.

    ``dependency[v]`` = Σ over pivots s of δ_s(v), every ordered pair (s, t) once (as
    NetworkX accumulates; on an undirected graph that is twice igraph's subset count).
    NetworkX 3.6 (``_rescale``) divides by (k − 1)(n − 2) for pivots — a pivot is never
    an inner node of its own paths — and by k(n − 2) for the others; with k = n both are
    the exact normalisation (n − 1)(n − 2). Graphs of two users or fewer are left as is.

    Examples
    --------
    >>> rescale_sampled_betweenness(np.array([2.0, 0.0, 0.0]), np.ones(3, bool), 3, 3)
    array([1., 0., 0.])
    """
    values = dependency.astype(np.float64)
    if n - 1 < 2:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        source_scale = 1.0 / ((k - 1) * (n - 2)) if k > 1 else np.nan
    other_scale = 1.0 / (k * (n - 2))
    return values * np.where(is_source, source_scale, other_scale)


def eppstein_wang(
    distance_sum: np.ndarray, reached: np.ndarray, is_source: np.ndarray, n: int, k: int
) -> np.ndarray:
    """Wasserman–Faust closeness estimated from ``k`` pivots (Eppstein & Wang, 2004).

    ``distance_sum[v]`` and ``reached[v]``: the summed distance from the pivots that reach
    ``v`` (``v`` itself excluded) and how many pivots reach it. Both are scaled up to the
    n − 1 other users by the number of *other* pivots (a pivot never samples itself).
    """
    others = k - is_source.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(others > 0, (n - 1) / others, 0.0)
        reach = reached * scale
        dist = distance_sum * scale
        return np.where(dist > 0, (reach / (n - 1)) * (reach / dist), 0.0)


@runtime_checkable
class EngineGraph(Protocol):
    """A graph opened by an engine; every method returns scores keyed by user id."""

    engine: str
    directed: bool
    nodes: int
    edges: int

    def user_ids(self) -> np.ndarray:
        """Every user in scope, in the graph's order (sorted ids for pulled subgraphs)."""
        ...

    def degree(self, *, weighted: bool) -> pd.Series: ...

    def pagerank(self, *, weighted: bool) -> pd.Series: ...

    def betweenness(self, *, weighted: bool, sources: Sequence[Any] | None = None) -> pd.Series: ...

    def closeness(self, *, weighted: bool, sources: Sequence[Any] | None = None) -> pd.Series: ...

    def clustering(self) -> pd.Series: ...

    def components(self) -> pd.Series: ...

    def communities(
        self, *, method: str, weighted: bool, resolution: float, seed: int | None
    ) -> Partition: ...


class Engine(Protocol):
    """Opens graphs. ``needs_pull``: give it a :class:`PulledGraph`; else store + spec."""

    name: str
    licence: str
    needs_pull: bool

    def open(
        self,
        graph: PulledGraph | None = None,
        *,
        store: GraphStore | None = None,
        spec: SubgraphSpec | None = None,
    ) -> AbstractContextManager[EngineGraph]: ...


@dataclass(frozen=True)
class EngineChoice:
    """The engine resolved from ``auto`` or a name, and why (for the stderr note)."""

    engine: Engine
    requested: str
    reason: str = field(default="")

    @property
    def name(self) -> str:
        return self.engine.name


def series(user_ids: np.ndarray, values: np.ndarray | Iterator[float], name: str) -> pd.Series:
    """Scores keyed by user id, as floats."""
    return pd.Series(
        np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float),
        index=pd.Index(user_ids, name="user_id", dtype=object),
        name=name,
    )
