"""Degree, betweenness, closeness and PageRank, NetworkX-shaped and keyed by user id.

Scores follow NetworkX's default normalisation:

* ``degree``: degree / (n − 1); with ``weight``, strength (summed weight) / (n − 1).
* ``betweenness``: normalised by 2 / ((n − 1)(n − 2)) (undirected) or 1 / ((n − 1)(n − 2))
  (directed); with ``weight``, shortest paths use distance = 1 / weight.
* ``closeness``: Wasserman–Faust-improved closeness (scaled by the reachable share, so
  disconnected graphs compare fairly); directed graphs use distances *to* the user.
* ``pagerank``: damping 0.85; with ``weight``, transitions ∝ weight.

On large graphs exact betweenness and closeness cost O(n·m); pass ``sample=k`` (or let
``auto_sample`` pick it) to estimate both from ``k`` random source users (Brandes–Pich
for betweenness, Eppstein–Wang for closeness). Results say which scores are approximate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, InsufficientData

MEASURES = ("degree", "betweenness", "closeness", "pagerank")
AUTO_SAMPLE_ABOVE = 5_000
"""Graphs with more nodes than this get sampled betweenness/closeness unless told otherwise."""
AUTO_SAMPLE_SIZE = 200


@dataclass(frozen=True)
class CentralityResult:
    """Scores per user (``user_id`` plus one column per measure), best first."""

    scores: pd.DataFrame
    measures: tuple[str, ...]
    weighted: bool
    directed: bool
    nodes: int
    edges: int
    approximate: dict[str, str] = field(default_factory=dict)
    """measure → how it was approximated; empty when every score is exact."""

    def top(self, n: int | None) -> pd.DataFrame:
        return self.scores if n is None else self.scores.head(n)


def with_distance(graph: nx.Graph, weight: str = "weight") -> nx.Graph:
    """A copy whose edges carry ``distance = 1 / weight``: strong ties are short paths."""
    copy = graph.copy()
    for _, _, data in copy.edges(data=True):
        data["distance"] = 1.0 / data[weight]
    return copy


def degree_scores(graph: nx.Graph, *, weight: str | None = None) -> dict[str, float]:
    n = graph.number_of_nodes()
    scale = 1.0 / (n - 1) if n > 1 else 1.0
    return {node: deg * scale for node, deg in graph.degree(weight=weight)}


def pagerank(graph: nx.Graph, *, weight: str | None = None) -> dict:
    """PageRank (damping 0.85) converged to 1e-10 per node.

    NetworkX's default tolerance (1e-6) leaves scores ~1e-6 away from the fixed point
    (igraph's and R's answers); power iteration is cheap, so iterate further.
    """
    return nx.pagerank(graph, alpha=0.85, weight=weight, tol=1e-10, max_iter=1000)


def sampled_closeness(graph: nx.Graph, *, k: int, distance: str | None, seed: int) -> dict:
    """Eppstein–Wang estimate of Wasserman–Faust closeness from ``k`` random sources.

    For each user, the sum of distances from all others and how many reach it are both
    scaled up from the ``k`` sampled sources (Eppstein & Wang, 2004, "Fast approximation
    of centrality").
    """
    nodes = list(graph)
    n = len(nodes)
    rng = np.random.default_rng(seed)
    pivots = [nodes[i] for i in rng.choice(n, size=min(k, n), replace=False)]
    index = {node: i for i, node in enumerate(nodes)}
    total = np.zeros(n)
    reached = np.zeros(n)
    for pivot in pivots:
        if distance is None:
            lengths = nx.single_source_shortest_path_length(graph, pivot)
        else:
            lengths = nx.single_source_dijkstra_path_length(graph, pivot, weight=distance)
        for node, d in lengths.items():
            if node != pivot:
                total[index[node]] += d
                reached[index[node]] += 1
    # A pivot samples every user but itself: scale by the number of *other* pivots.
    others = np.full(n, float(len(pivots)))
    for pivot in pivots:
        others[index[pivot]] -= 1
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(others > 0, (n - 1) / others, 0.0)
    reach = reached * scale  # estimated number of others that reach the user
    dist = total * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        closeness = np.where(dist > 0, (reach / (n - 1)) * (reach / dist), 0.0)
    return dict(zip(nodes, closeness.tolist(), strict=True))


def centrality(
    graph: nx.Graph,
    *,
    measures: Sequence[str] = MEASURES,
    weight: str | None = None,
    sample: int | None = None,
    auto_sample: bool = True,
    seed: int = 0,
    sort_by: str | None = None,
) -> CentralityResult:
    """Compute the requested centralities of every node.

    Parameters
    ----------
    graph : networkx.Graph or DiGraph
        Nodes are user ids (see :func:`graphkit.graph.pull.pull_graph`).
    measures : names from ``MEASURES``
    weight : edge attribute used as tie strength, or None for unweighted scores.
    sample : estimate betweenness and closeness from this many source users.
    auto_sample : when ``sample`` is None, sample ``AUTO_SAMPLE_SIZE`` sources on graphs
        above ``AUTO_SAMPLE_ABOVE`` nodes.
    seed : random seed for sampling.
    sort_by : measure to rank by (default: PageRank if computed, else the first measure).

    Returns
    -------
    CentralityResult

    Examples
    --------
    >>> import networkx as nx
    >>> result = centrality(nx.karate_club_graph(), measures=["pagerank"])
    >>> result.scores.iloc[0]["user_id"], round(result.scores.iloc[0]["pagerank"], 4)
    (33, 0.1009)
    """
    unknown = [m for m in measures if m not in MEASURES]
    if unknown or not measures:
        raise ConfigError(
            f"unknown measure {unknown[0] if unknown else '(none)'!r}",
            hint=f"choose from {', '.join(MEASURES)}",
        )
    if graph.number_of_nodes() == 0:
        raise InsufficientData("the graph has no users", hint="widen the filters or load data")
    measures = tuple(dict.fromkeys(measures))
    n = graph.number_of_nodes()
    if sample is None and auto_sample and n > AUTO_SAMPLE_ABOVE:
        sample = AUTO_SAMPLE_SIZE
    if sample is not None and sample < 1:
        raise ConfigError("--sample must be at least 1")
    if sample is not None and sample >= n:
        sample = None  # sampling every node is the exact computation
    distance = None
    path_graph = graph
    if weight is not None and {"betweenness", "closeness"} & set(measures):
        path_graph, distance = with_distance(graph, weight), "distance"

    columns: dict[str, dict] = {}
    approximate: dict[str, str] = {}
    for measure in measures:
        if measure == "degree":
            columns[measure] = degree_scores(graph, weight=weight)
        elif measure == "pagerank":
            columns[measure] = pagerank(graph, weight=weight)
        elif measure == "betweenness":
            columns[measure] = nx.betweenness_centrality(
                path_graph, k=sample, weight=distance, seed=seed
            )
            if sample is not None:
                approximate[measure] = f"estimated from {sample} of {n} source users"
        elif measure == "closeness":
            if sample is None:
                columns[measure] = nx.closeness_centrality(path_graph, distance=distance)
            else:
                columns[measure] = sampled_closeness(
                    path_graph, k=sample, distance=distance, seed=seed
                )
                approximate[measure] = f"estimated from {sample} of {n} source users"
    scores = pd.DataFrame({"user_id": list(graph)})
    for measure in measures:
        scores[measure] = scores["user_id"].map(columns[measure]).astype(float)
    sort_by = sort_by or ("pagerank" if "pagerank" in measures else measures[0])
    if sort_by not in measures:
        raise ConfigError(f"cannot sort by {sort_by!r}: it is not among the measures computed")
    # Ties broken by user id so the order never depends on dict or hash order.
    scores = scores.sort_values(
        [sort_by, "user_id"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)
    return CentralityResult(
        scores=scores,
        measures=measures,
        weighted=weight is not None,
        directed=graph.is_directed(),
        nodes=n,
        edges=graph.number_of_edges(),
        approximate=approximate,
    )
