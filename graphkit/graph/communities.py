"""Community detection: Louvain, Leiden and greedy modularity, on any engine.

Communities are numbered 0, 1, 2, … from the largest to the smallest (ties by their
smallest member id), so the numbering is stable and ``community 0`` is the biggest.
Directed graphs are folded to undirected first (a pair's weights in both directions
summed): every method optimises undirected modularity.

Methods (engine ``networkx`` / ``igraph``): ``louvain`` — python-louvain / igraph
multilevel; ``leiden`` — igraph's Leiden (modularity objective, iterated until stable;
igraph only); ``greedy`` — Clauset–Newman–Moore greedy modularity, NetworkX /
igraph fastgreedy (same merges, same modularity). Every run is seeded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx

from graphkit.errors import ConfigError, InsufficientData
from graphkit.graph.engines import COMMUNITY_METHODS, open_graph
from graphkit.graph.engines.base import EngineGraph

if TYPE_CHECKING:
    from graphkit.graph.engines import Engine, PulledGraph

METHODS = COMMUNITY_METHODS


@dataclass(frozen=True)
class CommunityResult:
    method: str
    modularity: float
    membership: dict[str, int]
    communities: list[list[str]]
    """Members of each community, largest first; index = community id."""
    resolution: float
    weighted: bool
    seed: int | None
    engine: str = "networkx"
    """The engine that found the partition and scored its modularity."""

    @property
    def sizes(self) -> list[int]:
        return [len(c) for c in self.communities]


def number_communities(groups: Iterable[Iterable[str]]) -> list[list[str]]:
    """Sort members, then order communities largest first, ties by smallest member."""
    ordered = [sorted(g, key=str) for g in groups]
    ordered = [g for g in ordered if g]
    return sorted(ordered, key=lambda g: (-len(g), str(g[0])))


def detect_communities(
    graph: nx.Graph | PulledGraph | EngineGraph,
    *,
    method: str = "louvain",
    weight: str | None = None,
    resolution: float = 1.0,
    seed: int | None = 0,
    engine: str | Engine | None = None,
) -> CommunityResult:
    """Partition the users into communities and score the partition's modularity.

    ``engine``: a name or engine (default: ``GRAPHKIT_ENGINE``, else ``auto``).

    Examples
    --------
    >>> import networkx as nx
    >>> result = detect_communities(nx.karate_club_graph(), method="greedy")
    >>> round(result.modularity, 4), result.sizes
    (0.3807, [17, 9, 8])
    """
    if weight not in (None, "weight"):
        raise ConfigError(f"weight must be 'weight' or None, not {weight!r}")
    with open_graph(graph, engine) as opened:
        return communities_of(
            opened, method=method, weighted=weight is not None, resolution=resolution, seed=seed
        )


def communities_of(
    graph: EngineGraph, *, method: str, weighted: bool, resolution: float, seed: int | None
) -> CommunityResult:
    """:func:`detect_communities` on a graph an engine has opened."""
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}", hint=f"use {', '.join(METHODS)}")
    if resolution <= 0:
        raise ConfigError("resolution must be positive (--resolution)")
    if graph.nodes == 0:
        raise InsufficientData("the graph has no users", hint="widen the filters or load data")
    partition = graph.communities(
        method=method, weighted=weighted, resolution=resolution, seed=seed
    )
    groups = number_communities(partition.communities)
    membership = {user: i for i, group in enumerate(groups) for user in group}
    return CommunityResult(
        method,
        partition.modularity,
        membership,
        groups,
        resolution,
        weighted,
        seed,
        partition.engine,
    )
