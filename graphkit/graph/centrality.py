"""Degree, betweenness, closeness and PageRank, NetworkX-shaped and keyed by user id.

Scores follow NetworkX's default normalisation:

* ``degree``: degree / (n − 1); with ``weight``, strength (summed weight) / (n − 1).
* ``betweenness``: normalised by 2 / ((n − 1)(n − 2)) (undirected) or 1 / ((n − 1)(n − 2))
  (directed); with ``weight``, shortest paths use distance = 1 / weight.
* ``closeness``: Wasserman–Faust-improved closeness (scaled by the reachable share, so
  disconnected graphs compare fairly); directed graphs use distances *to* the user.
* ``pagerank``: damping 0.85; with ``weight``, transitions ∝ weight.

Any engine computes them (:mod:`graphkit.graph.engines`; default: resolved from ``auto``)
and gives the same numbers. On large graphs exact betweenness and closeness cost O(n·m):
above :data:`~graphkit.graph.sampling.EXACT_UP_TO` users they are estimated from source
users graphkit chooses, adaptively until the top of the ranking is stable, or from
``sample=k`` sources (:mod:`graphkit.graph.sampling`). Results say how each score was made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import pandas as pd

from graphkit.errors import InsufficientData, ParameterError
from graphkit.graph.choices import MEASURES
from graphkit.graph.engines import choose_sources, open_graph
from graphkit.graph.engines.base import PAGERANK_DAMPING, PAGERANK_TOLERANCE, EngineGraph
from graphkit.graph.sampling import EXACT_UP_TO, Estimate, estimate_betweenness, estimate_closeness

if TYPE_CHECKING:
    from graphkit.graph.engines import Engine, PulledGraph

AUTO_SAMPLE_ABOVE = EXACT_UP_TO
"""Graphs with more nodes than this get estimated betweenness/closeness unless told otherwise."""


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
    engine: str = "networkx"
    """The engine that computed every score."""
    estimates: dict[str, Estimate] = field(default_factory=dict, repr=False)
    """measure → how betweenness/closeness were obtained (sources, stability)."""

    def top(self, n: int | None) -> pd.DataFrame:
        return self.scores if n is None else self.scores.head(n)

    @property
    def caption(self) -> str:
        approximate = ", ".join(sorted(self.approximate))
        return f"{self.nodes} users, {self.edges} ties; engine {self.engine}" + (
            f"; approximate: {approximate}" if approximate else ""
        )

    def to_dict(self) -> list[dict[str, Any]]:
        """``graphkit centrality --format json``: one row per user, with the engine and
        (when any) the approximate measures."""
        rows = [{str(k): v for k, v in row.items()} for row in self.scores.to_dict("records")]
        for row in rows:
            row["engine"] = self.engine
            if self.approximate:
                row["approximate"] = sorted(self.approximate)
        return rows

    def to_frame(self) -> pd.DataFrame:
        """The scores, best first (the table and CSV)."""
        return self.scores


def degree_scores(graph: nx.Graph, *, weight: str | None = None) -> dict[str, float]:
    n = graph.number_of_nodes()
    scale = 1.0 / (n - 1) if n > 1 else 1.0
    return {node: deg * scale for node, deg in graph.degree(weight=weight)}


def pagerank(graph: nx.Graph, *, weight: str | None = None) -> dict:
    """PageRank (damping 0.85) of a NetworkX graph, by NetworkX, converged tightly.

    NetworkX's default tolerance (1e-6) leaves scores ~1e-6 away from the fixed point
    (igraph's and R's answers); power iteration is cheap, so iterate further.
    """
    return nx.pagerank(
        graph, alpha=PAGERANK_DAMPING, weight=weight, tol=PAGERANK_TOLERANCE, max_iter=1000
    )


def sampled_closeness(graph: nx.Graph, *, k: int, distance: str | None, seed: int) -> dict:
    """Eppstein–Wang estimate of Wasserman–Faust closeness from ``k`` random sources.

    For each user, the sum of distances from all others and how many reach it are both
    scaled up from the ``k`` sampled sources (Eppstein & Wang, 2004, "Fast approximation
    of centrality"). ``distance`` names an edge attribute used as it is (None: hops); the
    sources are graphkit's draw (:func:`~graphkit.graph.engines.base.choose_sources`).
    """
    from graphkit.graph.engines.networkx_engine import NetworkXGraph

    copy = graph.copy()
    if distance is not None:
        # The engine reads path lengths from ``weight`` as 1/weight: hand it 1/distance.
        for _, _, data in copy.edges(data=True):
            data["weight"] = 1.0 / data[distance]
    from graphkit.graph.engines import PulledGraph

    opened = NetworkXGraph(PulledGraph.from_networkx(copy))
    sources = choose_sources(opened.user_ids(), min(k, graph.number_of_nodes()), seed)
    scores = opened.closeness(weighted=distance is not None, sources=sources)
    return dict(zip(list(graph), scores.tolist(), strict=True))


def centrality(
    graph: nx.Graph | PulledGraph | EngineGraph,
    *,
    measures: Sequence[str] = MEASURES,
    weight: str | None = None,
    sample: int | None = None,
    auto_sample: bool = True,
    seed: int = 0,
    sort_by: str | None = None,
    engine: str | Engine | None = None,
) -> CentralityResult:
    """Compute the requested centralities of every node.

    Parameters
    ----------
    graph : networkx.Graph or DiGraph, a pulled graph, or a graph an engine opened
        Nodes are user ids (see :func:`graphkit.graph.pull.pull_edges`).
    measures : names from ``MEASURES``
    weight : ``"weight"`` for tie strength (distance = 1 / weight on paths), or None.
    sample : estimate betweenness and closeness from this many source users.
    auto_sample : when ``sample`` is None, estimate adaptively above ``AUTO_SAMPLE_ABOVE``
        users (:mod:`graphkit.graph.sampling`); False: always exact.
    seed : random seed for choosing source users.
    sort_by : measure to rank by (default: PageRank if computed, else the first measure).
    engine : engine name or engine (default: ``GRAPHKIT_ENGINE``, else ``auto``).

    Returns
    -------
    CentralityResult

    Examples
    --------
    >>> import networkx as nx
    >>> result = centrality(nx.karate_club_graph(), measures=["pagerank"])
    >>> best = result.scores.iloc[0]
    >>> int(best["user_id"]), round(float(best["pagerank"]), 4)
    (33, 0.1009)
    """
    if weight not in (None, "weight"):
        raise ParameterError("weight", f"must be 'weight' or None, not {weight!r}")
    check_request(measures, sample)
    with open_graph(graph, engine) as opened:
        return centrality_of(
            opened,
            measures=tuple(measures),
            weighted=weight is not None,
            sample=sample,
            exact=not auto_sample,
            seed=seed,
            sort_by=sort_by,
        )


def check_request(measures: Sequence[str], sample: int | None) -> None:
    """Raise ParameterError for an unknown measure or a sample below 1."""
    unknown = [m for m in measures if m not in MEASURES]
    if unknown or not measures:
        raise ParameterError(
            "measures",
            f"names an unknown measure {unknown[0] if unknown else '(none)'!r}",
            hint=f"choose from {', '.join(MEASURES)}",
        )
    if sample is not None and sample < 1:
        raise ParameterError("sample", f"must be at least 1 (got {sample})")


def centrality_of(
    graph: EngineGraph,
    *,
    measures: Sequence[str],
    weighted: bool,
    sample: int | None,
    exact: bool,
    seed: int,
    sort_by: str | None,
) -> CentralityResult:
    """:func:`centrality` on a graph an engine has opened."""
    check_request(measures, sample)
    measures = tuple(dict.fromkeys(measures))
    n = graph.nodes
    if n == 0:
        raise InsufficientData("the graph has no users", hint="widen the filters or load data")
    if exact and sample is None:
        sample = n  # every source: the exact computation
    columns: dict[str, pd.Series] = {}
    estimates: dict[str, Estimate] = {}
    pivots: list[Any] | None = None
    for measure in measures:
        if measure == "degree":
            columns[measure] = graph.degree(weighted=weighted) / (n - 1 if n > 1 else 1)
        elif measure == "pagerank":
            columns[measure] = graph.pagerank(weighted=weighted)
        elif measure == "betweenness":
            estimate, pivots = estimate_betweenness(
                graph, weighted=weighted, sample=sample, seed=seed
            )
            columns[measure], estimates[measure] = estimate.scores, estimate
    if "closeness" in measures:
        estimate = estimate_closeness(
            graph,
            weighted=weighted,
            sample=sample,
            seed=seed,
            pivots=pivots,
            betweenness=estimates.get("betweenness"),
        )
        columns["closeness"], estimates["closeness"] = estimate.scores, estimate
    ids = graph.user_ids()
    scores = pd.DataFrame({"user_id": ids})
    for measure in measures:
        scores[measure] = columns[measure].reindex(ids).to_numpy(dtype=float)
    sort_by = sort_by or ("pagerank" if "pagerank" in measures else measures[0])
    if sort_by not in measures:
        raise ParameterError("sort_by", f"{sort_by!r} is not among the measures computed")
    # Ties broken by user id so the order never depends on dict or hash order.
    scores = scores.sort_values(
        [sort_by, "user_id"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)
    return CentralityResult(
        scores=scores,
        measures=measures,
        weighted=weighted,
        directed=graph.directed,
        nodes=n,
        edges=graph.edges,
        approximate={m: e.how for m, e in estimates.items() if not e.exact},
        engine=graph.engine,
        estimates=estimates,
    )
