"""The per-user graph-feature table that experiments and engagement join on ``user_id``.

Columns (one row per user in the graph):

=================  ==================================================================
user_id            the user
degree             distinct users interacted with (raw count, either direction)
weighted_degree    summed weight of those ties, both directions (strength)
pagerank           PageRank (damping 0.85, weighted by summed weight)
betweenness        normalised betweenness, unweighted (estimated on large graphs; see
                   ``approximate`` and :mod:`graphkit.graph.sampling`)
closeness          Wasserman–Faust closeness, unweighted (estimated on large graphs)
clustering         local clustering coefficient (unweighted)
community          Louvain community id (0 = largest)
influencer         True for the top ``influencer_share`` of users by PageRank
=================  ==================================================================

Influencer rule: a user is an influencer when their PageRank rank (1 = highest, ties by
user id) is within the top ``influencer_share`` of users (default 1%, at least one user).
PageRank rewards being reached by many users who are themselves reached, which is what
"influence" means for spreading a feature through the network.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx
import pandas as pd

from graphkit.errors import ConfigError
from graphkit.graph.centrality import centrality_of
from graphkit.graph.communities import communities_of
from graphkit.graph.engines import PulledGraph, open_graph, resolve_engine
from graphkit.graph.engines.base import EngineGraph
from graphkit.graph.sampling import Estimate

if TYPE_CHECKING:
    from graphkit.graph.engines import Engine

FEATURE_COLUMNS = [
    "user_id",
    "degree",
    "weighted_degree",
    "pagerank",
    "betweenness",
    "closeness",
    "clustering",
    "community",
    "influencer",
]
DEFAULT_INFLUENCER_SHARE = 0.01


@dataclass(frozen=True)
class FeatureTable:
    table: pd.DataFrame
    influencer_share: float
    approximate: dict[str, str] = field(default_factory=dict)
    modularity: float = 0.0
    engine: str = "networkx"
    """The engine that computed every column."""
    estimates: dict[str, Estimate] = field(default_factory=dict, repr=False)


def influencer_flags(pagerank: pd.Series, user_ids: pd.Series, share: float) -> pd.Series:
    """True for the top ``share`` of users by PageRank (at least one)."""
    if not 0 < share <= 1:
        raise ConfigError("--influencer-share must be in (0, 1]")
    count = max(1, math.ceil(share * len(pagerank)))
    order = pd.DataFrame({"pr": pagerank.to_numpy(), "id": user_ids.to_numpy()})
    order = order.sort_values(["pr", "id"], ascending=[False, True], kind="mergesort")
    flags = pd.Series(False, index=pagerank.index)
    flags.iloc[order.index[:count]] = True
    return flags


@contextmanager
def opened_with_fold(
    graph: nx.Graph | PulledGraph, engine: str | Engine | None
) -> Iterator[tuple[EngineGraph, EngineGraph]]:
    """The graph and its undirected fold, opened by one engine."""
    chosen = resolve_engine(engine).engine if engine is None or isinstance(engine, str) else engine
    pulled = graph if isinstance(graph, PulledGraph) else PulledGraph.from_networkx(graph)
    with open_graph(pulled, chosen) as opened:
        if not pulled.directed:
            yield opened, opened
            return
        with open_graph(pulled.undirected(), chosen) as fold:
            yield opened, fold


def graph_features(
    graph: nx.Graph | PulledGraph,
    *,
    sample: int | None = None,
    seed: int = 0,
    influencer_share: float = DEFAULT_INFLUENCER_SHARE,
    resolution: float = 1.0,
    engine: str | Engine | None = None,
) -> FeatureTable:
    """Build the feature table of every user in ``graph`` (``engine``: name or engine)."""
    with opened_with_fold(graph, engine) as (opened, fold):
        return features_of(
            opened,
            fold,
            sample=sample,
            seed=seed,
            influencer_share=influencer_share,
            resolution=resolution,
        )


def features_of(
    graph: EngineGraph,
    fold: EngineGraph,
    *,
    sample: int | None = None,
    seed: int = 0,
    influencer_share: float = DEFAULT_INFLUENCER_SHARE,
    resolution: float = 1.0,
) -> FeatureTable:
    """:func:`graph_features` on a graph and its undirected fold, opened by an engine."""
    if not 0 < influencer_share <= 1:
        raise ConfigError("influencer_share must be in (0, 1] (--influencer-share)")
    scores = centrality_of(
        graph,
        measures=("betweenness", "closeness"),
        weighted=False,
        sample=sample,
        exact=False,
        seed=seed,
        sort_by=None,
    )
    communities = communities_of(
        fold, method="louvain", weighted=True, resolution=resolution, seed=seed
    )
    ids = graph.user_ids()
    table = pd.DataFrame({"user_id": ids})
    table["degree"] = fold.degree(weighted=False).reindex(ids).to_numpy().astype("int64")
    table["weighted_degree"] = fold.degree(weighted=True).reindex(ids).to_numpy(dtype=float)
    table["pagerank"] = graph.pagerank(weighted=True).reindex(ids).to_numpy(dtype=float)
    by_user = scores.scores.set_index("user_id")
    table["betweenness"] = by_user["betweenness"].reindex(ids).to_numpy(dtype=float)
    table["closeness"] = by_user["closeness"].reindex(ids).to_numpy(dtype=float)
    table["clustering"] = fold.clustering().reindex(ids).to_numpy(dtype=float)
    table["community"] = table["user_id"].map(communities.membership).astype("int64")
    table["influencer"] = influencer_flags(table["pagerank"], table["user_id"], influencer_share)
    table = table.sort_values("user_id", kind="mergesort").reset_index(drop=True)
    return FeatureTable(
        table=table[FEATURE_COLUMNS],
        influencer_share=influencer_share,
        approximate=scores.approximate,
        modularity=communities.modularity,
        engine=graph.engine,
        estimates=scores.estimates,
    )
