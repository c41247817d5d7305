"""Where graphs live: the GraphStore protocol, the Neo4j store and the embedded store."""

from __future__ import annotations

from graphkit.config import Settings
from graphkit.store.base import EdgeFilter, GraphStore, LoadSummary, StoreCounts
from graphkit.store.local_store import LocalStore


def open_store(settings: Settings) -> GraphStore:
    """Neo4j when a URI is configured, else the embedded store in ``settings.store_dir``."""
    if settings.uses_neo4j:
        from graphkit.store.neo4j_store import Neo4jStore  # the driver loads only when used

        return Neo4jStore(settings)
    return LocalStore(settings.store_dir)


__all__ = ["EdgeFilter", "GraphStore", "LoadSummary", "LocalStore", "StoreCounts", "open_store"]
