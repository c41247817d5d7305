"""Network plots are pure: data in, a Figure out, and they draw what they are given."""

from __future__ import annotations

import matplotlib
import matplotlib.figure
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection

from graphkit.reports import network_plots
from graphkit.reports.network_plots import community_color, drawing_sample

matplotlib.use("Agg")


def two_cliques(size: int = 6) -> tuple[nx.Graph, dict[str, int], dict[str, float]]:
    """Two cliques joined by one tie; PageRank computed for real."""
    graph = nx.Graph()
    for c in range(2):
        members = [f"c{c}u{i}" for i in range(size)]
        graph.add_edges_from((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    graph.add_edge("c0u0", "c1u0")
    graph.add_node("lonely")
    community = {u: (-1 if u == "lonely" else int(u[1])) for u in graph}
    return graph, community, nx.pagerank(graph)


def test_degree_distribution_plots_shares_on_log_axes():
    degrees = pd.Series([0, 1, 1, 2, 2, 2, 10])
    figure = network_plots.degree_distribution(degrees)
    ax = figure.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    dots = next(c for c in ax.collections if isinstance(c, PathCollection))
    # share with degree = k, over all 7 users (the isolated one included)
    assert dots.get_offsets().tolist() == [[1, 2 / 7], [2, 3 / 7], [10, 1 / 7]]
    (ccdf,) = ax.get_lines()
    assert ccdf.get_ydata().tolist() == pytest.approx([6 / 7, 4 / 7, 1 / 7])
    assert "1 with no tie not shown" in ax.get_title(loc="left")


def test_plots_draw_into_a_given_axes():
    figure = matplotlib.figure.Figure()
    ax = figure.add_subplot()
    assert network_plots.degree_distribution([1, 2, 3], ax=ax) is figure
    assert figure.axes == [ax]


def test_centrality_scatter_hides_zeros_and_rings_highlights():
    users = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d"],
            "community": [0, 0, 1, 12],
            "degree": [1, 2, 4, 8],
            "betweenness": [0.0, 0.01, 0.02, 0.2],
        }
    )
    figure = network_plots.centrality_scatter(
        users, fit=(np.log(0.001), 1.0), highlight=["d"], labels=["c"]
    )
    ax = figure.axes[0]
    points, ringed = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points.get_offsets()) == 3  # a has zero betweenness
    assert ringed.get_offsets().tolist() == [[8, 0.2]]
    assert [t.get_text() for t in ax.texts] == ["c"]
    assert "1 user with a zero not shown" in ax.get_title(loc="left")
    (line,) = ax.get_lines()
    assert line.get_ydata()[0] == pytest.approx(0.001 * 2)  # exp(a) · degree at degree 2


def test_rank_agreement_annotates_every_cell():
    tau = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["x", "y"], columns=["x", "y"])
    tau.loc["x", "y"] = float("nan")
    figure = network_plots.rank_agreement(tau)
    texts = sorted(t.get_text() for t in figure.axes[0].texts)
    assert texts == ["0.50", "1.00", "1.00", "–"]


def test_community_sizes_draws_the_largest_first():
    summary = pd.DataFrame(
        {"community": [2, 0, 1], "size": [5, 50, 20], "inside_share": [1.0, 0.8, float("nan")]}
    )
    figure = network_plots.community_sizes(summary, max_bars=2)
    ax = figure.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == [50, 20]
    top_to_bottom = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in top_to_bottom] == ["community 0", "community 1"]
    assert ax.texts[0].get_text() == " 50 · 80% of ties inside"
    assert ax.texts[1].get_text() == " 20"


def test_community_colors_are_tab10_then_grey():
    assert community_color(0) == "#1f77b4"
    assert community_color(9) == "#17becf"
    assert community_color(10) == community_color(-1) == network_plots.OTHER_COLOR


def test_small_graphs_are_drawn_whole_without_isolated_users():
    graph, community, pagerank = two_cliques()
    assert drawing_sample(graph, community, pagerank) == sorted(u for u in graph if u != "lonely")


def test_large_graphs_are_sampled_from_community_cores():
    graph = nx.planted_partition_graph(4, 100, 0.2, 0.005, seed=1)
    graph = nx.relabel_nodes(graph, {n: f"u{n:03d}" for n in graph})
    community = {f"u{n:03d}": n // 100 for n in range(400)}
    pagerank = nx.pagerank(graph)
    keep = ["u399", "u000"]
    sample = drawing_sample(graph, community, pagerank, keep=keep, max_nodes=60)
    assert len(sample) <= 60
    assert set(keep) <= set(sample)
    by_community = pd.Series([community[u] for u in sample]).value_counts()
    assert sorted(by_community.index) == [0, 1, 2, 3]  # every community has its core
    # Within a community the sample is its highest-PageRank members.
    for c in range(4):
        members = sorted((u for u in graph if community[u] == c), key=lambda u: -pagerank[u])
        chosen = [u for u in sample if community[u] == c and u not in keep]
        assert set(chosen) <= set(members[: len(chosen) + 2])
    assert drawing_sample(graph, community, pagerank, keep=keep, max_nodes=60) == sample


def test_network_drawing_labels_highlights_and_is_deterministic():
    graph, community, pagerank = two_cliques()
    first = network_plots.network_drawing(graph, community, pagerank, highlight=["c1u0"], seed=3)
    again = network_plots.network_drawing(graph, community, pagerank, highlight=["c1u0"], seed=3)
    ax = first.axes[0]
    assert [t.get_text() for t in ax.texts] == ["c1u0"]
    nodes = next(c for c in ax.collections if isinstance(c, PathCollection))
    assert len(nodes.get_offsets()) == 12
    (ties,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(ties.get_segments()) == graph.number_of_edges()
    assert "all 12 users with a tie, 31 ties" in ax.get_title(loc="left")
    again_nodes = next(c for c in again.axes[0].collections if isinstance(c, PathCollection))
    assert np.array_equal(nodes.get_offsets(), again_nodes.get_offsets())
