"""Plots of a social network, as pure functions: data in, a matplotlib Figure out.

Each function takes plain data (a Series, a DataFrame, a graph) and an optional ``ax``
to draw into; it never calls ``plt.show()`` and never touches pyplot's global figure
list (figures are built with :class:`matplotlib.figure.Figure`, so making hundreds in a
loop leaks nothing). The caller saves or embeds the figure.

Community colours are shared by every plot (:func:`community_color`): the ten largest
communities (ids 0–9, numbered by size) get the ten colours of matplotlib's ``tab10``,
every other community is grey.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import matplotlib.figure
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex

from graphkit.reports.canvas import figure_and_axes

COLORED_COMMUNITIES = 10
OTHER_COLOR = "#b8bec8"
HIGHLIGHT_COLOR = "#d62728"
DRAWING_MAX_NODES = 250
"""Graphs with more users than this are drawn from a sample (see :func:`drawing_sample`)."""


def community_color(community: int) -> str:
    """The colour of a community in every plot (tab10 for ids 0–9, grey otherwise)."""
    if 0 <= community < COLORED_COMMUNITIES:
        return to_hex(matplotlib.colormaps["tab10"](community))
    return OTHER_COLOR


def degree_distribution(degrees: Sequence[int] | pd.Series, *, ax: Axes | None = None):
    """The degree distribution on log–log axes.

    Dots: the share of users with exactly degree *k*; line: the share with degree ≥ *k*
    (the complementary cumulative distribution, which stays readable in the sparse tail).
    A heavy tail shows as a slowly falling, roughly straight line. Users with degree 0
    cannot sit on a log axis; the title counts them.

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure, ax = figure_and_axes(ax, (7, 4.2))
    values = np.asarray(degrees, dtype=np.int64)
    positive = values[values > 0]
    isolated = int((values == 0).sum())
    if positive.size:
        ks, counts = np.unique(positive, return_counts=True)
        share = counts / values.size
        at_least = np.cumsum(counts[::-1])[::-1] / values.size
        ax.scatter(ks, share, s=14, color="#2f6fb0", label="share with degree = k", zorder=3)
        ax.step(ks, at_least, where="post", color="#e07b39", label="share with degree ≥ k")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(frameon=False, loc="lower left")
    ax.set_xlabel("degree k (distinct users interacted with)")
    ax.set_ylabel("share of users")
    title = f"Degree distribution of {values.size:,} users"
    if isolated:
        title += f" ({isolated:,} with no tie not shown)"
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    return figure


def centrality_scatter(
    users: pd.DataFrame,
    *,
    x: str = "degree",
    y: str = "betweenness",
    fit: tuple[float, float] | None = None,
    highlight: Collection[str] = (),
    labels: Collection[str] = (),
    ax: Axes | None = None,
):
    """Two centralities against each other on log–log axes, one dot per user.

    Parameters
    ----------
    users : DataFrame with ``user_id``, ``community``, ``x`` and ``y`` columns.
    fit : ``(intercept, slope)`` of ``log y = intercept + slope · log x`` to draw as the
        expected value (the bridge rule of :mod:`graphkit.reports.influencers`).
    highlight : users drawn in red (e.g. bridges).
    labels : users whose id is written next to their dot (e.g. top influencers).

    Users with a zero on either axis cannot be shown on log axes; the title counts them.
    """
    figure, ax = figure_and_axes(ax, (7, 5))
    shown = users[(users[x] > 0) & (users[y] > 0)]
    hidden = len(users) - len(shown)
    colors = [community_color(int(c)) for c in shown["community"]]
    ax.scatter(shown[x], shown[y], s=10, c=colors, alpha=0.6, linewidths=0)
    marked = shown[shown["user_id"].isin(set(highlight))]
    if len(marked):
        ax.scatter(
            marked[x],
            marked[y],
            s=46,
            facecolors="none",
            edgecolors=HIGHLIGHT_COLOR,
            linewidths=1.4,
            label="bridge users",
            zorder=4,
        )
    if fit is not None and len(shown):
        intercept, slope = fit
        xs = np.geomspace(shown[x].min(), shown[x].max(), 50)
        ax.plot(
            xs,
            np.exp(intercept + slope * np.log(xs)),
            color="#333",
            lw=1,
            ls="--",
            label="expected for the degree",
        )
    for row in shown[shown["user_id"].isin(set(labels))].itertuples():
        ax.annotate(
            str(row.user_id),
            (getattr(row, x), getattr(row, y)),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=7,
        )
    if len(shown):
        ax.set_xscale("log")
        ax.set_yscale("log")
    if len(marked) or fit is not None:
        ax.legend(frameon=False, loc="upper left")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    title = f"{y} against {x}"
    if hidden:
        title += f" ({hidden:,} {'user' if hidden == 1 else 'users'} with a zero not shown)"
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(True, alpha=0.3)
    return figure


def rank_agreement(tau: pd.DataFrame, *, ax: Axes | None = None):
    """A heatmap of Kendall's τ between centrality measures (a square DataFrame).

    τ = 1: the measures order users identically; 0: unrelated orders. Each cell shows
    its value; missing values (a constant measure) show as ``–``.
    """
    figure, ax = figure_and_axes(ax, (5.2, 4.4))
    values = tau.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), vmin=-1, vmax=1, cmap="RdBu_r")
    names = [str(c) for c in tau.columns]
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), [str(i) for i in tau.index])
    for (i, j), value in np.ndenumerate(values):
        text = "–" if math.isnan(value) else f"{value:.2f}"
        ax.text(
            j,
            i,
            text,
            ha="center",
            va="center",
            fontsize=9,
            color="white" if abs(value) > 0.6 else "black",
        )
    figure.colorbar(image, ax=ax, shrink=0.8, label="Kendall τ")
    ax.set_title("Agreement between measures", loc="left", fontsize=11)
    return figure


def community_sizes(summary: pd.DataFrame, *, max_bars: int = 20, ax: Axes | None = None):
    """Community sizes as horizontal bars, largest on top, each labelled with the share of
    its ties that stay inside (``inside_share``).

    ``summary`` needs ``community``, ``size`` and ``inside_share`` columns; only the
    ``max_bars`` largest communities are drawn.
    """
    rows = summary.sort_values(["size", "community"], ascending=[False, True]).head(max_bars)
    figure, ax = figure_and_axes(ax, (7, 0.9 + 0.32 * max(len(rows), 3)))
    positions = np.arange(len(rows))[::-1]
    ax.barh(
        positions,
        rows["size"],
        color=[community_color(int(c)) for c in rows["community"]],
    )
    ax.set_yticks(positions, [f"community {c}" for c in rows["community"]])
    for position, size, inside in zip(positions, rows["size"], rows["inside_share"], strict=True):
        label = f" {size:,}" + ("" if pd.isna(inside) else f" · {inside:.0%} of ties inside")
        ax.text(size, position, label, va="center", fontsize=8)
    ax.set_xlim(0, rows["size"].max() * 1.45 if len(rows) else 1)
    ax.set_xlabel("users")
    ax.set_title("Community sizes", loc="left", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


def drawing_sample(
    graph: nx.Graph,
    community: Mapping[str, int],
    pagerank: Mapping[str, float],
    *,
    keep: Sequence[str] = (),
    max_nodes: int = DRAWING_MAX_NODES,
) -> list[str]:
    """Which users to draw so that a large network stays legible.

    Rule: with at most ``max_nodes`` users, every user with a tie is drawn. Otherwise
    the users in ``keep`` (the top influencers) come first; the remaining slots go to
    the cores of the ten largest communities — each community's users with the highest
    PageRank, in proportion to its size (at least three each) — so the picture shows
    who holds each community together and how communities touch. Users left without a
    tie among the sample are dropped. Deterministic: ties broken by user id.
    """
    with_ties = [u for u in graph if graph.degree(u) > 0]
    if len(with_ties) <= max_nodes:
        return sorted(with_ties, key=str)
    chosen = dict.fromkeys(u for u in keep if u in graph)
    members: dict[int, list[str]] = {}
    for user in with_ties:
        members.setdefault(int(community[user]), []).append(user)
    largest = sorted(members, key=lambda c: (-len(members[c]), c))[:COLORED_COMMUNITIES]
    total = sum(len(members[c]) for c in largest)
    slots = max_nodes - len(chosen)
    for c in largest:
        ranked = sorted(members[c], key=lambda u: (-pagerank[u], str(u)))
        quota = max(3, math.floor(slots * len(members[c]) / total))
        for user in ranked[:quota]:
            chosen.setdefault(user)
    sample = list(chosen)[:max_nodes]
    sub = graph.subgraph(sample)
    return sorted((u for u in sample if sub.degree(u) > 0 or u in keep), key=str)


def network_drawing(
    graph: nx.Graph,
    community: Mapping[str, int],
    pagerank: Mapping[str, float],
    *,
    highlight: Sequence[str] = (),
    max_nodes: int = DRAWING_MAX_NODES,
    seed: int = 0,
    ax: Axes | None = None,
):
    """Draw the network (or its :func:`drawing_sample`): colour = community, area ∝
    PageRank, ``highlight`` users ringed in red and labelled with their id.

    The layout is a seeded force-directed (Fruchterman–Reingold) layout started from
    community clusters, so the same data always gives the same picture.
    """
    figure, ax = figure_and_axes(ax, (8, 8))
    nodes = drawing_sample(graph, community, pagerank, keep=highlight, max_nodes=max_nodes)
    sub = graph.subgraph(nodes)
    undirected = sub.to_undirected() if sub.is_directed() else sub
    layout = community_layout(undirected, community, seed=seed)
    top = max((pagerank[u] for u in nodes), default=1.0) or 1.0
    sizes = [12 + 500 * pagerank[u] / top for u in nodes]
    # One collection of thin opaque grey lines without antialiasing: the PNG of a large
    # drawing shrinks from ~900 kB to ~270 kB (antialiased crossings make every pixel a
    # new colour), and ties are background here, not the subject.
    ties = [(layout[s], layout[t]) for s, t in undirected.edges()]
    ax.add_collection(
        LineCollection(ties, colors="#c9ced6", linewidths=0.5, antialiaseds=False, zorder=1)
    )
    xy = np.array([layout[u] for u in nodes]) if nodes else np.zeros((0, 2))
    ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=sizes,
        c=[community_color(int(community[u])) for u in nodes],
        edgecolors="white",
        linewidths=0.5,
        zorder=2,
    )
    marked = [u for u in highlight if u in layout]
    for user in marked:
        px, py = layout[user]
        ax.scatter(
            [px],
            [py],
            s=12 + 500 * pagerank[user] / top,
            facecolors="none",
            edgecolors=HIGHLIGHT_COLOR,
            linewidths=1.6,
            zorder=3,
        )
        ax.annotate(
            str(user),
            (px, py),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize=8,
            weight="bold",
            zorder=4,
        )
    ax.set_axis_off()
    ax.set_aspect("equal")
    scope = (
        f"all {len(nodes):,} users with a tie"
        if len(nodes) == sum(1 for u in graph if graph.degree(u) > 0)
        else f"a sample of {len(nodes):,} of {graph.number_of_nodes():,} users"
    )
    ax.set_title(
        f"The network: {scope}, {undirected.number_of_edges():,} ties", loc="left", fontsize=11
    )
    return figure


def community_layout(graph: nx.Graph, community: Mapping[str, int], *, seed: int = 0) -> dict:
    """Force-directed positions that start with each community on its own spot.

    Communities start on a circle (largest first) with their members scattered around
    it; a seeded spring layout then relaxes the picture. Starting from clusters keeps
    communities apart without hiding the ties between them.
    """
    rng = np.random.default_rng(seed)
    groups = sorted({int(community[u]) for u in graph})
    angle = {c: 2 * math.pi * i / max(len(groups), 1) for i, c in enumerate(groups)}
    start = {}
    for user in sorted(graph, key=str):
        a = angle[int(community[user])]
        start[user] = np.array([math.cos(a), math.sin(a)]) + rng.normal(0, 0.15, 2)
    if graph.number_of_nodes() < 2:
        return start
    k = 1.5 / math.sqrt(graph.number_of_nodes())
    return nx.spring_layout(graph, pos=start, k=k, iterations=60, seed=seed)
