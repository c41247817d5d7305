"""The per-user graph-feature table that experiments and engagement join on ``user_id``.

Columns (one row per user in the graph):

=================  ==================================================================
user_id            the user
degree             distinct users interacted with (raw count, either direction)
weighted_degree    summed weight of those ties (strength)
pagerank           PageRank (damping 0.85, weighted by summed weight)
betweenness        normalised betweenness (sampled on large graphs; see ``approximate``)
closeness          Wasserman–Faust closeness (sampled on large graphs)
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
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from graphkit.errors import ConfigError
from graphkit.graph.centrality import centrality, pagerank
from graphkit.graph.communities import detect_communities

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


def graph_features(
    graph: nx.Graph,
    *,
    sample: int | None = None,
    seed: int = 0,
    influencer_share: float = DEFAULT_INFLUENCER_SHARE,
    resolution: float = 1.0,
) -> FeatureTable:
    """Build the feature table of every user in ``graph``."""
    undirected = graph.to_undirected() if graph.is_directed() else graph
    scores = centrality(
        graph, measures=("betweenness", "closeness"), weight=None, sample=sample, seed=seed
    )
    pagerank_scores = pagerank(graph, weight="weight")
    communities = detect_communities(
        undirected, method="louvain", weight="weight", resolution=resolution, seed=seed
    )
    table = pd.DataFrame({"user_id": list(graph)})
    table["degree"] = table["user_id"].map(dict(undirected.degree())).astype("int64")
    table["weighted_degree"] = (
        table["user_id"].map(dict(undirected.degree(weight="weight"))).astype(float)
    )
    table["pagerank"] = table["user_id"].map(pagerank_scores).astype(float)
    by_user = scores.scores.set_index("user_id")
    table["betweenness"] = table["user_id"].map(by_user["betweenness"]).astype(float)
    table["closeness"] = table["user_id"].map(by_user["closeness"]).astype(float)
    table["clustering"] = table["user_id"].map(nx.clustering(undirected)).astype(float)
    table["community"] = table["user_id"].map(communities.membership).astype("int64")
    table["influencer"] = influencer_flags(table["pagerank"], table["user_id"], influencer_share)
    table = table.sort_values("user_id", kind="mergesort").reset_index(drop=True)
    return FeatureTable(
        table=table[FEATURE_COLUMNS],
        influencer_share=influencer_share,
        approximate=scores.approximate,
        modularity=communities.modularity,
    )
