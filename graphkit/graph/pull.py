"""Pull a subgraph from any store: as integer edge arrays (engines) or into NetworkX.

Pairs are aggregated by the store (Neo4j does it in Cypher), so Python receives one row
per pair of users: ``interactions`` (how many) and ``weight`` (their summed weight).
Every node attribute and edge attribute is the same whichever store answered.
:func:`pull_edges` returns a :class:`~graphkit.graph.engines.base.PulledGraph` (what the
Python engines compute on, no NetworkX graph); :func:`pull_graph` a NetworkX graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import networkx as nx
import pandas as pd

from graphkit.errors import InsufficientData, ParameterError
from graphkit.graph.engines.base import PulledGraph
from graphkit.store.base import EdgeFilter, GraphStore


@dataclass(frozen=True)
class SubgraphSpec:
    """Which part of the network to analyse.

    Times are half-open (``since <= at < until``, UTC). ``min_weight`` applies to the
    summed weight of a pair. ``ego`` keeps users within ``hops`` of that user, following
    interactions in either direction. ``community`` keeps the members of a written-back
    community. Nodes are every user in scope, including those with no interaction in the
    window, so scores are comparable across windows.
    """

    since: datetime | None = None
    until: datetime | None = None
    types: tuple[str, ...] | None = None
    min_weight: float = 0.0
    directed: bool = False
    ego: str | None = None
    hops: int = 1
    community: int | None = None
    edge_filter: EdgeFilter = field(init=False)

    def __post_init__(self) -> None:
        if self.since and self.until and self.since >= self.until:
            raise ParameterError("since", "must be earlier than until")
        if self.hops < 1:
            raise ParameterError("hops", f"must be at least 1 (got {self.hops})")
        if self.min_weight < 0:
            raise ParameterError("min_weight", f"must not be negative (got {self.min_weight:g})")
        object.__setattr__(
            self,
            "edge_filter",
            EdgeFilter(
                since=self.since, until=self.until, types=self.types, min_weight=self.min_weight
            ),
        )


def build_graph(nodes: list[str], edges: pd.DataFrame, *, directed: bool) -> nx.Graph:
    """A NetworkX graph with ``interactions`` and ``weight`` on every edge."""
    graph: nx.Graph = nx.DiGraph() if directed else nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(
        (s, t, {"interactions": int(c), "weight": float(w)})
        for s, t, c, w in zip(
            edges["source"], edges["target"], edges["interactions"], edges["weight"], strict=True
        )
    )
    return graph


def ego_members(store: GraphStore, spec: SubgraphSpec, scope: set[str] | None) -> list[str]:
    """Users within ``spec.hops`` of ``spec.ego``: one store query per hop."""
    assert spec.ego is not None
    members = {spec.ego}
    frontier = [spec.ego]
    for _ in range(spec.hops):
        if not frontier:
            break
        edges = store.aggregate_edges(spec.edge_filter, directed=spec.directed, touching=frontier)
        reached = set(edges["source"]) | set(edges["target"])
        if scope is not None:
            reached &= scope
        frontier = sorted(reached - members)
        members |= reached
    return sorted(members)


def pull_graph(store: GraphStore, spec: SubgraphSpec | None = None) -> nx.Graph:
    """Pull the subgraph ``spec`` describes from ``store`` into a NetworkX graph.

    Raises
    ------
    InsufficientData
        If the ego user or the community is not in the store.
    """
    nodes, edges = pull_frames(store, spec or SubgraphSpec())
    return build_graph(nodes, edges, directed=(spec or SubgraphSpec()).directed)


def pull_edges(store: GraphStore, spec: SubgraphSpec | None = None) -> PulledGraph:
    """Pull the subgraph ``spec`` describes as integer edge arrays (no NetworkX graph).

    Users are sorted by id; edges index them. Raises as :func:`pull_graph`.
    """
    spec = spec or SubgraphSpec()
    nodes, edges = pull_frames(store, spec)
    return PulledGraph.from_edges(nodes, edges, directed=spec.directed)


def pull_frames(store: GraphStore, spec: SubgraphSpec) -> tuple[list[str], pd.DataFrame]:
    """The users in scope (sorted) and their aggregated pairs."""
    nodes = store.user_ids(community=spec.community)
    if spec.community is not None and not nodes:
        raise InsufficientData(
            f"no user belongs to community {spec.community}",
            hint="run `graphkit communities --write-back` first, or check the id",
        )
    scope = set(nodes) if spec.community is not None else None
    if spec.ego is not None:
        if spec.ego not in set(nodes):
            raise InsufficientData(
                f"user {spec.ego!r} is not in the graph"
                + (f" (community {spec.community})" if scope else ""),
                hint="check the user_id against users.csv",
            )
        nodes = ego_members(store, spec, scope)
        scope = set(nodes)
    if scope is None:
        edges = store.aggregate_edges(spec.edge_filter, directed=spec.directed)
    else:
        edges = store.aggregate_edges(spec.edge_filter, directed=spec.directed, among=nodes)
    return nodes, edges
