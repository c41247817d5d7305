"""Network designs: the same hash as `ab assign`, whole clusters, 3-net, ego-clusters."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest

from graphkit.errors import ConfigError
from graphkit.experiments.assignment import assign
from graphkit.experiments.network.design import (
    DesignSettings,
    design_effect,
    design_experiment,
    ego_clusters,
    three_net,
    three_net_centres,
)


def _caveman() -> nx.Graph:
    graph = nx.connected_caveman_graph(6, 5)
    return nx.relabel_nodes(graph, {n: f"u{n:02d}" for n in graph})


def test_user_design_is_ab_assign() -> None:
    graph = _caveman()
    design = design_experiment(graph, DesignSettings("exp", salt="s"))
    expected = assign(sorted(graph.nodes), "exp", salt="s")
    assert design.assignments.set_index("user_id")["variant"].equals(
        expected.rename("variant").rename_axis("user_id")
    )


@pytest.mark.parametrize("method", ["louvain", "leiden", "3net"])
def test_cluster_design_keeps_clusters_together(method: str) -> None:
    graph = _caveman()
    design = design_experiment(graph, DesignSettings("exp", unit="cluster", clusters=method))
    per_unit = design.assignments.groupby("unit")["variant"].nunique()
    assert (per_unit == 1).all()
    assert design.diagnostics.cluster_sizes is not None
    # Its arm is the hash of the unit key, exactly as `ab assign` would split those keys.
    units = sorted(design.assignments["unit"].unique())
    hashed = assign(units, "exp")
    first = design.assignments.groupby("unit")["variant"].first()
    assert (first == hashed.reindex(first.index)).all()


def test_louvain_clusters_cut_fewer_ties_than_users() -> None:
    graph = _caveman()
    by_user = design_experiment(graph, DesignSettings("exp", salt="a"))
    by_cluster = design_experiment(graph, DesignSettings("exp", unit="cluster", salt="a"))
    assert by_cluster.diagnostics.crossing_share < by_user.diagnostics.crossing_share
    assert by_user.diagnostics.warnings  # most treated users' ties reach control


def test_three_net_centres_are_three_hops_apart_and_users_join_the_nearest() -> None:
    graph = nx.gnm_random_graph(60, 90, seed=4)
    centres = three_net_centres(graph, seed=2)
    clusters = three_net(graph, seed=2)
    distance = dict(nx.all_pairs_shortest_path_length(graph))
    for a, b in itertools.combinations(centres, 2):
        assert distance[a].get(b, 99) >= 3
    for node in graph:
        # Maximal: every user is within 2 hops of a centre, and joins a nearest one.
        nearest = min(distance[node].get(c, 99) for c in centres)
        assert nearest <= 2
        assert distance[node].get(centres[clusters[str(node)]], 99) == nearest


def test_ego_clusters_do_not_overlap_and_follow_the_ranking() -> None:
    graph = nx.barabasi_albert_graph(80, 2, seed=3)
    graph = nx.relabel_nodes(graph, {n: f"u{n:02d}" for n in graph})
    owner = ego_clusters(graph, 5, by="degree")
    egos = sorted(set(owner.values()))
    assert len(egos) == 5
    for ego in egos:
        members = {u for u, e in owner.items() if e == ego}
        assert members == {ego, *graph[ego]}
    top = max(graph.degree, key=lambda item: (item[1], item[0]))[0]
    assert top in egos


def test_ego_design_measures_egos() -> None:
    graph = nx.barabasi_albert_graph(80, 2, seed=3)
    graph = nx.relabel_nodes(graph, {n: f"u{n:02d}" for n in graph})
    design = design_experiment(graph, DesignSettings("exp", unit="ego", egos=4, ego_by="degree"))
    roles = design.assignments["role"].value_counts()
    assert roles["ego"] == 4
    cluster_of_egos = design.assignments[design.assignments["role"] != "user"]
    assert (cluster_of_egos.groupby("unit")["variant"].nunique() == 1).all()


def test_diagnostics_by_hand() -> None:
    # Path a-b-c-d; weights 0/1 on the hash put everyone in treatment except when
    # weighted 1/0; use a graph whose arms we can force with weights.
    graph = nx.path_graph(["a", "b", "c", "d"])
    design = design_experiment(graph, DesignSettings("exp", weights=(0.0, 1.0)))
    assert design.diagnostics.crossing_share == 0.0
    assert design.diagnostics.arms["treatment"]["users"] == 4
    assert design.diagnostics.arms["treatment"]["mean_degree"] == pytest.approx(1.5)


def test_design_effect_is_kish() -> None:
    assert design_effect(11, 0.05) == pytest.approx(1.5)
    assert design_effect(1, 0.9) == 1.0
    with pytest.raises(ConfigError, match="icc"):
        design_effect(5, 1.5)


def test_settings_are_validated_once() -> None:
    with pytest.raises(ConfigError, match="unit"):
        DesignSettings("exp", unit="team")
    with pytest.raises(ConfigError, match="clusters"):
        DesignSettings("exp", clusters="kmeans")
