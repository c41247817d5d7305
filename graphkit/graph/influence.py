"""Who the influential users are: composite rank, bridges, agreement, communities, concentration.

:func:`influencer_analysis` computes everything from a graph and returns an
:class:`InfluencerAnalysis`; :mod:`graphkit.reports.influencers` arranges it as a report.
The rules:

Composite rank
    For each measure (degree, betweenness, closeness, PageRank — as in
    :mod:`graphkit.graph.features`) every user gets a percentile rank in (0, 1]
    (1 = the highest score; ties share the average rank). The composite score is the
    mean of the four percentile ranks; composite rank 1 is the highest score (ties by
    PageRank, then user id). It rewards users who are central by every account rather
    than extreme on one.

Bridge users
    Betweenness grows with degree, so a high betweenness alone mostly repeats degree.
    Over users with degree ≥ 2 and betweenness > 0, fit ordinary least squares
    ``log(betweenness) = a + b · log(degree)``; a user's *bridge ratio* is
    ``betweenness / exp(a + b · log(degree))``, how many times the betweenness expected
    for their degree they have (exp of the residual). Bridges are the users with the
    highest ratio above 1 among the users whose betweenness is in the top
    :data:`BRIDGE_BETWEENNESS_SHARE` (10%) — brokers that matter, not leaves whose tiny
    betweenness happens to beat a tiny expectation — and who have a neighbour in another
    community (a bridge links groups), listed with how many other communities their
    neighbours belong to.

Agreement between measures
    Kendall's τ-b between every pair of measures over all users, and the overlap of
    their top-N lists (how many users both lists share).

Communities
    Louvain communities (as in the feature table). Per community: size, share of users,
    internal ties, external ties (ties with exactly one end inside), density (internal
    ties / possible pairs), inside share (internal / (internal + external) ties), share
    of all PageRank, and the top members by PageRank. A community is *isolated* when
    at least :data:`ISOLATED_INSIDE_SHARE` of its ties stay inside. Users without any
    tie are counted apart and are not a community.

Concentration
    Share of all PageRank held by the top 1% of users (at least one user) and by the top
    10%, and the Gini coefficient of PageRank and of degree (0 = everyone equal, 1 = one
    user holds everything).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats

from graphkit.errors import InsufficientData, ParameterError
from graphkit.graph.centrality import MEASURES
from graphkit.graph.features import FeatureTable, graph_features

if TYPE_CHECKING:
    from graphkit.graph.engines import Engine

ISOLATED_INSIDE_SHARE = 0.95
TOP_SHARE = 0.01
TOP_MEMBERS = 3
BRIDGE_BETWEENNESS_SHARE = 0.10


@dataclass(frozen=True)
class Concentration:
    """How unequally influence is spread."""

    top1_users: int
    top1_pagerank_share: float
    top10_users: int
    top10_pagerank_share: float
    gini_pagerank: float
    gini_degree: float


@dataclass(frozen=True)
class InfluencerAnalysis:
    """Everything the influencer report shows.

    ``users``: one row per user — the feature-table columns, ``rank_<measure>`` (1 =
    highest), ``composite_score``, ``composite_rank``, ``expected_betweenness``,
    ``bridge_ratio`` (NaN outside the fit) and ``other_communities`` (distinct
    communities among the neighbours, the user's own excluded); sorted by composite rank.
    """

    graph: nx.Graph
    users: pd.DataFrame
    agreement: pd.DataFrame
    communities: pd.DataFrame
    bridges: pd.DataFrame
    concentration: Concentration
    bridge_fit: tuple[float, float]
    """``(intercept, slope)`` of log betweenness on log degree."""
    top: int
    modularity: float
    approximate: dict[str, str] = field(default_factory=dict)
    engine: str = "networkx"
    """The graph engine that computed every score."""

    @property
    def nodes(self) -> int:
        return self.graph.number_of_nodes()

    @property
    def ties(self) -> int:
        return self.graph.number_of_edges()

    @property
    def users_without_ties(self) -> int:
        return int((self.users["degree"] == 0).sum())

    def top_by(self, measure: str) -> pd.DataFrame:
        """The top-N users by one measure (or ``"composite"``), best first."""
        column = "composite_rank" if measure == "composite" else f"rank_{measure}"
        return self.users.sort_values([column, "user_id"], kind="mergesort").head(self.top)


# ------------------------------------------------------------------------------ numbers


def gini(values: pd.Series | np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = all equal, → 1 = one holds all).

    Uses the sorted-values formula G = Σ (2i − n − 1) x_(i) / (n Σ x) (i = 1..n).

    >>> gini(np.array([1.0, 1.0, 1.0]))
    0.0
    >>> round(gini(np.array([0.0, 0.0, 0.0, 1.0])), 2)
    0.75
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    total = x.sum()
    if n == 0 or total == 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * x).sum() / (n * total))


def top_share(values: pd.Series, share: float) -> tuple[int, float]:
    """How many users the top ``share`` is (at least one) and their share of the total."""
    count = max(1, math.ceil(share * len(values)))
    total = float(values.sum())
    held = float(values.sort_values(ascending=False, kind="mergesort").head(count).sum())
    return count, (held / total if total > 0 else 0.0)


def composite_ranking(features: pd.DataFrame) -> pd.DataFrame:
    """Add ``rank_<measure>``, ``composite_score`` and ``composite_rank`` (module rules)."""
    users = features.copy()
    percentiles = []
    for measure in MEASURES:
        order = users.sort_values([measure, "user_id"], ascending=[False, True], kind="mergesort")
        users[f"rank_{measure}"] = pd.Series(np.arange(1, len(users) + 1), index=order.index)
        percentiles.append(users[measure].rank(method="average", pct=True))
    users["composite_score"] = pd.concat(percentiles, axis=1).mean(axis=1)
    order = users.sort_values(
        ["composite_score", "pagerank", "user_id"],
        ascending=[False, False, True],
        kind="mergesort",
    )
    users["composite_rank"] = pd.Series(np.arange(1, len(users) + 1), index=order.index)
    return users.sort_values("composite_rank", kind="mergesort").reset_index(drop=True)


def bridge_fit(users: pd.DataFrame) -> tuple[float, float, pd.Series]:
    """OLS of log betweenness on log degree; returns intercept, slope, expected values.

    Expected betweenness is NaN for users outside the fit (degree < 2 or betweenness 0).
    With fewer than three users in the fit, or one degree only, the slope is 0 and the
    intercept the mean log betweenness.
    """
    inside = (users["degree"] >= 2) & (users["betweenness"] > 0)
    x = np.log(users.loc[inside, "degree"].to_numpy(dtype=float))
    y = np.log(users.loc[inside, "betweenness"].to_numpy(dtype=float))
    if len(x) >= 3 and np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
    else:
        slope, intercept = 0.0, (float(y.mean()) if len(y) else 0.0)
    expected = pd.Series(np.nan, index=users.index)
    expected[inside] = np.exp(intercept + slope * x)
    return float(intercept), float(slope), expected


def other_communities(graph: nx.Graph, community: Mapping[Any, int]) -> dict[Any, int]:
    """For each user, how many communities other than their own their neighbours are in."""
    return {
        user: len({community[v] for v in graph.neighbors(user)} - {community[user]})
        for user in graph
    }


def measure_agreement(users: pd.DataFrame, top: int) -> pd.DataFrame:
    """Kendall τ-b and top-``top`` overlap for every pair of measures."""
    rows = []
    tops = {m: set(users.nsmallest(top, f"rank_{m}")["user_id"]) for m in MEASURES}
    for a, b in itertools.combinations(MEASURES, 2):
        if users[a].nunique() < 2 or users[b].nunique() < 2:
            tau = math.nan  # τ is undefined when one measure is constant
        else:
            tau = float(stats.kendalltau(users[a], users[b]).statistic)
        rows.append(
            {
                "measure_a": a,
                "measure_b": b,
                "kendall_tau": tau,
                "top_overlap": len(tops[a] & tops[b]),
            }
        )
    return pd.DataFrame(rows)


def tau_matrix(agreement: pd.DataFrame) -> pd.DataFrame:
    """The pairwise τ as a symmetric square matrix (1 on the diagonal)."""
    matrix = pd.DataFrame(np.eye(len(MEASURES)), index=list(MEASURES), columns=list(MEASURES))
    for row in agreement.to_dict("records"):
        matrix.loc[row["measure_a"], row["measure_b"]] = row["kendall_tau"]
        matrix.loc[row["measure_b"], row["measure_a"]] = row["kendall_tau"]
    return matrix


def community_summary(graph: nx.Graph, users: pd.DataFrame) -> pd.DataFrame:
    """One row per community of at least two users (module rules), largest first."""
    community = dict(zip(users["user_id"], users["community"], strict=True))
    internal: dict[int, int] = {}
    external: dict[int, int] = {}
    for s, t in graph.edges():
        cs, ct = community[s], community[t]
        if cs == ct:
            internal[cs] = internal.get(cs, 0) + 1
        else:
            external[cs] = external.get(cs, 0) + 1
            external[ct] = external.get(ct, 0) + 1
    with_ties = users[users["degree"] > 0]
    rows = []
    for members in (group for _, group in with_ties.groupby("community", sort=True)):
        size = len(members)
        if size < 2:
            continue
        cid = int(members["community"].iloc[0])
        inside, outside = internal.get(cid, 0), external.get(cid, 0)
        leaders = members.sort_values(["pagerank", "user_id"], ascending=[False, True])
        rows.append(
            {
                "community": cid,
                "size": size,
                "share_of_users": size / len(users),
                "internal_ties": inside,
                "external_ties": outside,
                "density": inside / (size * (size - 1) / 2),
                "inside_share": inside / (inside + outside) if inside + outside else math.nan,
                "pagerank_share": float(members["pagerank"].sum()),
                "top_members": ", ".join(leaders["user_id"].head(TOP_MEMBERS).astype(str)),
            }
        )
    columns = [
        "community",
        "size",
        "share_of_users",
        "internal_ties",
        "external_ties",
        "density",
        "inside_share",
        "pagerank_share",
        "top_members",
    ]
    summary = pd.DataFrame(rows, columns=columns)
    summary["isolated"] = summary["inside_share"] >= ISOLATED_INSIDE_SHARE
    return summary.sort_values(["size", "community"], ascending=[False, True]).reset_index(
        drop=True
    )


def influencer_analysis(
    graph: nx.Graph,
    *,
    top: int = 10,
    sample: int | None = None,
    seed: int = 0,
    engine: str | Engine | None = None,
    features: FeatureTable | None = None,
) -> InfluencerAnalysis:
    """Rank, compare and group the users of ``graph`` (module docstring for the rules).

    Parameters
    ----------
    graph : the pulled subgraph (directed graphs are analysed folded to undirected for
        communities, ties and bridges; centralities follow :func:`graph_features`).
    top : length of every top list.
    sample : estimate betweenness and closeness from this many sources (default: exact
        up to 5,000 users).
    seed : seed of sampling and Louvain.
    engine : graph engine name or engine (default: ``GRAPHKIT_ENGINE``, else ``auto``).
    features : the feature table of the same subgraph, already computed (an in-database
        engine computes it from the store, not from ``graph``); ``sample``, ``seed`` and
        ``engine`` are then not used for it.

    Raises
    ------
    InsufficientData
        If the graph has no tie.
    ParameterError
        If ``top`` < 1.
    """
    if top < 1:
        raise ParameterError("top", f"must be at least 1 (got {top})")
    if graph.number_of_edges() == 0:
        raise InsufficientData(
            f"the graph has {graph.number_of_nodes()} users but no tie between them",
            hint="widen the time window or the interaction types, or load interactions",
        )
    undirected = graph.to_undirected() if graph.is_directed() else graph
    if features is None:
        features = graph_features(graph, sample=sample, seed=seed, engine=engine)
    users = composite_ranking(features.table)
    intercept, slope, expected = bridge_fit(users)
    users["expected_betweenness"] = expected
    users["bridge_ratio"] = users["betweenness"] / expected
    community = dict(zip(users["user_id"], users["community"], strict=True))
    users["other_communities"] = users["user_id"].map(other_communities(undirected, community))
    # The top 10% by betweenness: rank_betweenness is 1 for the highest score.
    brokers = users["rank_betweenness"] <= max(1, math.ceil(BRIDGE_BETWEENNESS_SHARE * len(users)))
    bridges = (
        users[brokers & (users["bridge_ratio"] > 1) & (users["other_communities"] > 0)]
        .sort_values(["bridge_ratio", "user_id"], ascending=[False, True], kind="mergesort")
        .head(top)
    )
    top1_users, top1_share = top_share(users["pagerank"], TOP_SHARE)
    top10_users, top10_share = top_share(users["pagerank"], 0.10)
    concentration = Concentration(
        top1_users=top1_users,
        top1_pagerank_share=top1_share,
        top10_users=top10_users,
        top10_pagerank_share=top10_share,
        gini_pagerank=gini(users["pagerank"]),
        gini_degree=gini(users["degree"]),
    )
    return InfluencerAnalysis(
        graph=undirected,
        users=users,
        agreement=measure_agreement(users, top),
        communities=community_summary(undirected, users),
        bridges=bridges.reset_index(drop=True),
        concentration=concentration,
        bridge_fit=(intercept, slope),
        top=top,
        modularity=features.modularity,
        approximate=dict(features.approximate),
        engine=features.engine,
    )
