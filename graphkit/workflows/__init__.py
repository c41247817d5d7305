"""Use cases the CLI calls; each is a plain function usable from a notebook.

A workflow takes an opened store (the CLI opens it once per command and passes it; a
notebook may pass :class:`~graphkit.config.Settings` to the network use cases and the
store is opened for that call), runs one job through the graph/stats layers and returns
a result object that serialises itself. It never prints; progress goes through an
optional callback. One module per area: ``network`` (load, centrality, communities,
features), ``simulation``, ``experiments``, ``engagement``, ``reports``.
"""

from graphkit.workflows.network import (
    LoadResult,
    analyze_centrality,
    analyze_communities,
    build_features,
    centrality,
    communities,
    features,
    load,
    opened_store,
)

__all__ = [
    "LoadResult",
    "analyze_centrality",
    "analyze_communities",
    "build_features",
    "centrality",
    "communities",
    "features",
    "load",
    "opened_store",
]
