"""The names a caller chooses from (measures, community methods, engines), importing nothing heavy.

The CLI builds its option types from these, so ``graphkit --help`` loads no NetworkX.

Examples
--------
>>> MEASURES
('degree', 'betweenness', 'closeness', 'pagerank')
>>> [m.value for m in CommunityMethod]
['louvain', 'leiden', 'greedy']
"""

from __future__ import annotations

from enum import StrEnum

from graphkit.config import ENGINE_NAMES

MEASURES = ("degree", "betweenness", "closeness", "pagerank")
"""Centrality measures (:mod:`graphkit.graph.centrality`)."""


class CommunityMethod(StrEnum):
    """Community detection methods (:mod:`graphkit.graph.communities`)."""

    louvain = "louvain"
    leiden = "leiden"
    greedy = "greedy"


class EngineName(StrEnum):
    """Graph engines (:func:`graphkit.graph.engines.resolve_engine`); the names of
    :data:`graphkit.config.ENGINE_NAMES`."""

    auto = "auto"
    networkx = "networkx"
    igraph = "igraph"
    gds = "gds"


assert tuple(EngineName) == ENGINE_NAMES, "EngineName lists graphkit.config.ENGINE_NAMES"
