"""Use cases the CLI calls; each is a plain function usable from a notebook.

A workflow opens the store from :class:`~graphkit.config.Settings`, runs one job through
the graph/stats layers and returns a result object. It never prints; progress goes
through an optional callback. One module per area: ``network`` (load, centrality,
communities, features), ``experiments``, ``engagement``, ``reports``.
"""

from graphkit.workflows.network import (
    LoadResult,
    analyze_centrality,
    analyze_communities,
    build_features,
    load,
    opened_store,
)

__all__ = [
    "LoadResult",
    "analyze_centrality",
    "analyze_communities",
    "build_features",
    "load",
    "opened_store",
]
