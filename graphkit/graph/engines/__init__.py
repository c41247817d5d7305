"""Graph engines: one interface, several libraries, the same numbers.

The contract (what each measure means, how engines receive graphs, the rescaling facts
that make igraph and GDS equal NetworkX) is in :mod:`graphkit.graph.engines.base`.

=============  ===========================================  ==============
name           what computes                                licence
=============  ===========================================  ==============
``networkx``   NetworkX + python-louvain: the reference      BSD-3-Clause
``igraph``     python-igraph (C core): the default           GPL-2.0-or-later
``gds``        Neo4j Graph Data Science, inside the server   GPL-3.0 (server side)
``auto``       gds on a Neo4j store with the plugin, else igraph
=============  ===========================================  ==============

Examples
--------
>>> import networkx as nx
>>> graph = PulledGraph.from_networkx(nx.path_graph(3))
>>> with get_engine("igraph").open(graph) as g:
...     g.betweenness(weighted=False).tolist()
[0.0, 1.0, 0.0]
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from graphkit.errors import ConfigError
from graphkit.graph.engines.base import (
    COMMUNITY_METHODS,
    ENGINE_NAMES,
    Engine,
    EngineChoice,
    EngineGraph,
    Partition,
    PulledGraph,
    choose_sources,
)

if TYPE_CHECKING:
    from graphkit.store.base import GraphStore

__all__ = [
    "COMMUNITY_METHODS",
    "ENGINE_NAMES",
    "PYTHON_ENGINES",
    "Engine",
    "EngineChoice",
    "EngineGraph",
    "Partition",
    "PulledGraph",
    "choose_sources",
    "get_engine",
    "resolve_engine",
]

PYTHON_ENGINES = ("networkx", "igraph")
"""Engines that compute on a pulled graph in this process (the parity suite runs them all)."""
DEFAULT_COMPILED = "igraph"


def get_engine(name: str) -> Engine:
    """The engine called ``name`` (not ``auto``: see :func:`resolve_engine`)."""
    if name == "networkx":
        from graphkit.graph.engines.networkx_engine import NetworkXEngine

        return NetworkXEngine()
    if name == "igraph":
        from graphkit.graph.engines.igraph_engine import IGraphEngine

        return IGraphEngine()
    if name == "gds":
        from graphkit.graph.engines.gds import GdsEngine

        return GdsEngine()
    raise ConfigError(f"unknown engine {name!r}", hint=f"choose from {', '.join(ENGINE_NAMES)}")


def resolve_engine(name: str | None = None, store: GraphStore | None = None) -> EngineChoice:
    """Turn ``auto`` (or None: ``GRAPHKIT_ENGINE``, else auto) into a concrete engine.

    Raises
    ------
    ConfigError
        If the name is unknown or the engine cannot run here.

    Examples
    --------
    >>> resolve_engine("networkx").name
    'networkx'
    """
    requested = name or os.environ.get("GRAPHKIT_ENGINE") or "auto"
    if requested not in ENGINE_NAMES:
        raise ConfigError(
            f"unknown engine {requested!r}", hint=f"choose from {', '.join(ENGINE_NAMES)}"
        )
    if requested != "auto":
        return EngineChoice(get_engine(requested), requested, f"{requested} requested")
    if store is not None:
        from graphkit.graph.engines.gds import gds_version

        # Asked once per run: auto resolves once, where the store is opened.
        version = gds_version(store)
        if version is not None:
            return EngineChoice(
                get_engine("gds"), "auto", f"auto: gds (Graph Data Science {version} in Neo4j)"
            )
    return EngineChoice(
        get_engine(DEFAULT_COMPILED), "auto", f"auto: {DEFAULT_COMPILED} (compiled, in process)"
    )
