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
from typing import TYPE_CHECKING, Any

import networkx as nx
import pandas as pd

from graphkit.errors import InsufficientData, ParameterError
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

    def to_dict(self) -> dict[str, Any]:
        """``graphkit communities --format json``."""
        return {
            "engine": self.engine,
            "method": self.method,
            "modularity": self.modularity,
            "resolution": self.resolution,
            "seed": self.seed,
            "weighted": self.weighted,
            "membership": self.membership,
            "communities": [
                {"id": i, "size": len(members), "members": members}
                for i, members in enumerate(self.communities)
            ],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per user: ``user_id``, ``community`` (the CSV; written back as is)."""
        frame = pd.DataFrame(
            {"user_id": list(self.membership), "community": list(self.membership.values())}
        )
        return frame.sort_values(["community", "user_id"])

    def summary_frame(self) -> pd.DataFrame:
        """One row per community of two or more users: id, size, the first five members.

        Users without ties are communities of one; listing them all buries the real ones
        (:attr:`caption` counts them).
        """
        shown = [(i, m) for i, m in enumerate(self.communities) if len(m) > 1]
        return pd.DataFrame(
            {
                "community": [i for i, _ in shown],
                "size": [len(m) for _, m in shown],
                "members": [", ".join(m[:5]) + (", …" if len(m) > 5 else "") for _, m in shown],
            }
        )

    @property
    def caption(self) -> str:
        singles = sum(1 for m in self.communities if len(m) <= 1)
        caption = (
            f"modularity {self.modularity:.4f}, {len(self.communities)} communities, "
            f"engine {self.engine}"
        )
        if singles:
            caption += f" ({singles} of them single users without ties, not listed)"
        return caption


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
        raise ParameterError("weight", f"must be 'weight' or None, not {weight!r}")
    with open_graph(graph, engine) as opened:
        return communities_of(
            opened, method=method, weighted=weight is not None, resolution=resolution, seed=seed
        )


def communities_of(
    graph: EngineGraph, *, method: str, weighted: bool, resolution: float, seed: int | None
) -> CommunityResult:
    """:func:`detect_communities` on a graph an engine has opened."""
    if method not in METHODS:
        raise ParameterError(
            "method", f"names an unknown method {method!r}", hint=f"use {', '.join(METHODS)}"
        )
    if resolution <= 0:
        raise ParameterError("resolution", f"must be positive (got {resolution:g})")
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
