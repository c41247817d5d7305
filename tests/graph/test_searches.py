"""The compiled breadth-first searches behind linear-scaling betweenness and closeness.

(Their betweenness is checked against every engine's exact betweenness in
``test_engine_parity.py``; here: distances, reach, and that sharing the pivots out over
cores changes no number.)
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from graphkit.graph.searches import SearchGraph, _searches, linear_scaling_searches


def searchable(graph: nx.Graph) -> tuple[SearchGraph, int]:
    edges = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    n = graph.number_of_nodes()
    return SearchGraph.from_pairs(edges[:, 0], edges[:, 1], n), n


def test_distance_sums_and_reach_are_networkx_hop_counts():
    # Two components and an isolated user: pivots reach only their own component.
    graph = nx.disjoint_union_all([nx.les_miserables_graph(), nx.cycle_graph(7), nx.empty_graph(1)])
    graph = nx.convert_node_labels_to_integers(graph)
    layout, n = searchable(graph)
    sources = np.array([0, 5, 30, 78, 80, n - 1])
    _, distance_sum, reached = linear_scaling_searches(layout, sources, 4)
    expected_sum, expected_reached = np.zeros(n), np.zeros(n)
    for source in sources[:4]:
        for user, hops in nx.single_source_shortest_path_length(graph, int(source)).items():
            expected_sum[user] += hops
            expected_reached[user] += 1
    assert distance_sum.tolist() == expected_sum.tolist()
    assert reached.tolist() == expected_reached.tolist()


def test_cycle_closed_form():
    """On a cycle of n users (n odd) a user lies inside d − 1 of the (unique) shortest
    paths of length d, d = 2 … (n − 1)/2: (n − 1)(n − 3)/8 pairs. Linear scaling splits
    each pair between its two orders, so from every user it sums to exactly that."""
    n = 9
    layout, _ = searchable(nx.cycle_graph(n))
    dependency, distance_sum, _ = linear_scaling_searches(layout, np.arange(n), n)
    np.testing.assert_allclose(dependency, np.full(n, (n - 1) * (n - 3) / 8), rtol=1e-12)
    # From each of the n users, the others are at 1, 1, 2, 2, …, (n−1)/2, (n−1)/2 hops.
    assert distance_sum.tolist() == [(n * n - 1) // 4] * n


def test_sharing_pivots_over_cores_changes_no_number():
    graph = nx.convert_node_labels_to_integers(nx.les_miserables_graph())
    layout, _ = searchable(graph)
    sources = layout.position[np.arange(0, 77, 3)]
    results = [
        [part.sum(axis=0) for part in _searches(layout.indptr, layout.indices, sources, 10, lanes)]
        for lanes in (1, 2, 5)
    ]
    for other in results[1:]:
        np.testing.assert_allclose(other[0], results[0][0], rtol=1e-13, atol=0)
        assert other[1].tolist() == results[0][1].tolist()
        assert other[2].tolist() == results[0][2].tolist()
