"""The influencer analysis: every rule checked on graphs whose answer is known."""

from __future__ import annotations

import doctest
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from graphkit.errors import ConfigError, InsufficientData
from graphkit.reports import influencers
from graphkit.reports.influencers import (
    ISOLATED_INSIDE_SHARE,
    bridge_fit,
    community_summary,
    composite_ranking,
    gini,
    influencer_analysis,
    influencer_document,
    insights,
    top_share,
)


def test_docstring_examples_run():
    failures, tried = doctest.testmod(influencers)
    assert tried > 0 and failures == 0


def joined_cliques(size: int = 8) -> nx.Graph:
    """Two cliques joined by one tie, plus a user with no tie."""
    graph = nx.Graph()
    for c in range(2):
        members = [f"c{c}u{i}" for i in range(size)]
        graph.add_edges_from((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    graph.add_edge("c0u0", "c1u0")
    graph.add_node("lonely")
    return graph


def brokered_groups() -> nx.Graph:
    """Two dense groups with no direct tie; user "broker" has 3 ties into each."""
    graph = nx.planted_partition_graph(2, 40, 0.3, 0.0, seed=4)
    graph = nx.relabel_nodes(graph, {n: f"u{n:02d}" for n in graph})
    graph.add_edges_from(("broker", u) for u in ["u00", "u01", "u02", "u40", "u41", "u42"])
    return graph


# ------------------------------------------------------------------------------ numbers


def test_gini_and_top_share():
    assert gini(np.array([5.0, 5.0, 5.0, 5.0])) == 0.0
    assert gini(np.array([0.0, 0.0, 0.0, 0.0])) == 0.0
    # One of n holds everything: G = (n − 1) / n.
    assert gini(np.array([0.0] * 9 + [1.0])) == pytest.approx(0.9)
    assert top_share(pd.Series([1.0] * 199 + [201.0]), 0.01) == (2, pytest.approx(202 / 400))
    assert top_share(pd.Series([1.0, 1.0]), 0.01) == (1, 0.5)  # at least one user


def test_composite_ranking_averages_percentile_ranks():
    features = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "degree": [4, 3, 2, 1],
            "betweenness": [0.1, 0.4, 0.3, 0.2],
            "closeness": [0.9, 0.8, 0.7, 0.6],
            "pagerank": [0.4, 0.3, 0.2, 0.1],
        }
    )
    users = composite_ranking(features).set_index("user_id")
    # a: percentiles 1, 0.25, 1, 1 → 0.8125; b: 0.75, 1, 0.75, 0.75 → 0.8125 (tie: a has
    # the higher PageRank); c: 0.5, 0.75, 0.5, 0.5 → 0.5625; d: 0.25, 0.5, 0.25, 0.25.
    assert users["composite_score"].to_dict() == pytest.approx(
        {"a": 0.8125, "b": 0.8125, "c": 0.5625, "d": 0.3125}
    )
    assert users["composite_rank"].to_dict() == {"a": 1, "b": 2, "c": 3, "d": 4}
    assert users["rank_betweenness"].to_dict() == {"b": 1, "c": 2, "d": 3, "a": 4}
    assert users["rank_degree"].dtype == np.int64


def test_bridge_fit_recovers_a_power_law_and_skips_leaves():
    degree = np.array([1, 2, 4, 8, 16, 32])
    users = pd.DataFrame({"degree": degree, "betweenness": 0.001 * degree.astype(float) ** 1.5})
    users.loc[0, "betweenness"] = 0.0
    intercept, slope, expected = bridge_fit(users)
    assert slope == pytest.approx(1.5)
    assert math.exp(intercept) == pytest.approx(0.001)
    assert math.isnan(expected[0])
    assert expected[1:].to_numpy() == pytest.approx(users["betweenness"][1:].to_numpy())


def test_community_summary_counts_ties_inside_and_out():
    graph = joined_cliques(8)
    users = pd.DataFrame({"user_id": list(graph)})
    users["community"] = [-1 if u == "lonely" else int(u[1]) for u in users["user_id"]]
    users["degree"] = [graph.degree(u) for u in users["user_id"]]
    users["pagerank"] = users["user_id"].map(nx.pagerank(graph))
    summary = community_summary(graph, users)
    assert list(summary["community"]) == [0, 1]  # the lonely user is no community
    first = summary.iloc[0]
    assert first["size"] == 8
    assert first["internal_ties"] == 28 and first["external_ties"] == 1
    assert first["density"] == 1.0
    assert first["inside_share"] == pytest.approx(28 / 29)
    assert first["share_of_users"] == pytest.approx(8 / 17)
    assert ISOLATED_INSIDE_SHARE == 0.95
    assert bool(first["isolated"])  # 96.6% of its ties stay inside
    assert first["top_members"].split(", ")[0] == "c0u0"  # the one with the outside tie


# ------------------------------------------------------------------------------ analysis


def test_karate_leaders_are_the_instructor_and_the_president(karate: nx.Graph):
    analysis = influencer_analysis(karate, top=5)
    assert set(analysis.top_by("composite")["user_id"][:2]) == {0, 33}
    assert analysis.top_by("degree")["user_id"].iloc[0] == 33
    assert len(analysis.users) == 34
    assert sorted(analysis.users["composite_rank"]) == list(range(1, 35))


def test_the_only_broker_between_two_groups_is_the_top_bridge():
    analysis = influencer_analysis(brokered_groups(), top=5)
    bridge = analysis.bridges.iloc[0]
    assert bridge["user_id"] == "broker"
    assert bridge["other_communities"] == 1
    assert bridge["bridge_ratio"] > 10
    assert bridge["betweenness"] == pytest.approx(
        analysis.users.set_index("user_id").loc["broker", "expected_betweenness"]
        * bridge["bridge_ratio"]
    )
    assert (analysis.bridges["bridge_ratio"] > 1).all()
    assert analysis.bridges["bridge_ratio"].is_monotonic_decreasing


def test_agreement_is_kendall_tau_and_top_overlap():
    analysis = influencer_analysis(brokered_groups(), top=5)
    users = analysis.users
    row = analysis.agreement.set_index(["measure_a", "measure_b"]).loc[("degree", "pagerank")]
    assert row["kendall_tau"] == pytest.approx(
        stats.kendalltau(users["degree"], users["pagerank"]).statistic
    )
    top_degree = set(users.nsmallest(5, "rank_degree")["user_id"])
    top_pagerank = set(users.nsmallest(5, "rank_pagerank")["user_id"])
    assert row["top_overlap"] == len(top_degree & top_pagerank)
    assert len(analysis.agreement) == 6


def test_constant_measures_have_no_tau():
    analysis = influencer_analysis(nx.cycle_graph([f"u{i}" for i in range(6)]), top=3)
    assert analysis.agreement["kendall_tau"].isna().all()
    assert analysis.concentration.gini_pagerank == pytest.approx(0.0, abs=1e-9)
    assert analysis.bridges.empty  # every ratio is exactly 1


def test_insights_are_sentences_built_from_the_numbers():
    analysis = influencer_analysis(joined_cliques(8), top=3)
    text = insights(analysis)
    c = analysis.concentration
    leader = analysis.users.iloc[0]["user_id"]
    assert text[0].startswith(f"The most central user overall is {leader} ")
    assert f"hold {c.top1_pagerank_share:.1%} of all PageRank" in text[2]
    assert any(s.startswith("Isolated communities (at least 95%") for s in text)
    assert text[-1] == (
        "1 user has no tie in this window: it ranks last on every measure and belongs to no "
        "community."
    )
    assert all(s.endswith(".") for s in text)


def test_directed_graphs_are_folded_for_communities():
    directed = nx.DiGraph(joined_cliques(6))
    analysis = influencer_analysis(directed, top=3)
    assert not analysis.graph.is_directed()
    assert analysis.ties == joined_cliques(6).number_of_edges()


def test_graph_without_ties_cannot_be_reported():
    graph = nx.Graph()
    graph.add_nodes_from(["a", "b"])
    with pytest.raises(InsufficientData, match="no tie"):
        influencer_analysis(graph)
    with pytest.raises(ConfigError, match="top must be at least 1"):
        influencer_analysis(joined_cliques(), top=0)


# ------------------------------------------------------------------------------ document


def test_document_holds_every_part_of_the_report():
    analysis = influencer_analysis(brokered_groups(), top=4)
    report = influencer_document(analysis, parameters={"top": 4})
    assert report.kind == "influencers"
    assert report.main_table == "top_composite"
    assert [t.name for t in report.tables()] == [
        "top_composite",
        "top_degree",
        "top_betweenness",
        "top_closeness",
        "top_pagerank",
        "bridges",
        "measure_agreement",
        "communities",
    ]
    assert [f.name for f in report.figures()] == [
        "centrality_scatter",
        "rank_agreement",
        "community_sizes",
        "network",
        "degree_distribution",
    ]
    assert len(report.table("top_pagerank").frame) == 4
    assert report.table("top_pagerank").frame["pagerank"].is_monotonic_decreasing
    facts = {f.key: f.value for f in report.facts}
    assert facts["users"] == 81 and facts["ties"] == analysis.ties
    assert facts["gini_pagerank"] == analysis.concentration.gini_pagerank
