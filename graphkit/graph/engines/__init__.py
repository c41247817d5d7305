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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from graphkit.config import ENGINE_NAMES
from graphkit.errors import ConfigError
from graphkit.graph.engines.base import (
    COMMUNITY_METHODS,
    Engine,
    EngineChoice,
    EngineGraph,
    Partition,
    PulledGraph,
    choose_sources,
)

if TYPE_CHECKING:
    import networkx as nx

    from graphkit.graph.pull import SubgraphSpec
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
    "open_graph",
    "open_subgraph",
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


def is_engine_graph(graph: Any) -> bool:
    """True for a graph an engine has already opened."""
    return isinstance(graph, EngineGraph)


@contextmanager
def open_graph(
    graph: nx.Graph | PulledGraph | EngineGraph, engine: str | Engine | None = None
) -> Iterator[EngineGraph]:
    """An opened graph from a NetworkX graph, a pulled graph or an already opened graph.

    ``engine``: a name (``auto`` and None resolve as :func:`resolve_engine`) or an engine.
    An already opened graph is used as it is.
    """
    if is_engine_graph(graph):
        yield graph  # type: ignore[misc]
        return
    chosen = resolve_engine(engine).engine if engine is None or isinstance(engine, str) else engine
    pulled = graph if isinstance(graph, PulledGraph) else PulledGraph.from_networkx(graph)
    with chosen.open(pulled) as opened:
        yield opened


@contextmanager
def open_subgraph(
    engine: Engine, store: GraphStore, spec: SubgraphSpec, *, pulled: PulledGraph | None = None
) -> Iterator[tuple[EngineGraph, EngineGraph]]:
    """Open the subgraph ``spec`` describes and its undirected fold (the same when undirected).

    A Python engine computes on ``pulled`` (pulled here if not given); an in-database
    engine opens the store and spec itself and never pulls the graph.
    """
    from graphkit.graph.pull import pull_edges

    if not engine.needs_pull:
        with engine.open(store=store, spec=spec) as graph:
            # The in-database engine projects the fold with the digraph (one projection).
            fold = getattr(graph, "undirected", None)
            yield graph, fold() if spec.directed and fold is not None else graph
        return
    pulled = pulled if pulled is not None else pull_edges(store, spec)
    with engine.open(pulled) as graph:
        if not pulled.directed:
            yield graph, graph
            return
        with engine.open(pulled.undirected()) as fold:
            yield graph, fold
