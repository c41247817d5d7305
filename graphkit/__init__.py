"""graphkit: social-graph insights on Neo4j or an embedded store.

The same names the CLI uses are importable for notebooks::

    from graphkit import resolve_settings, load, analyze_centrality
    settings = resolve_settings(store_dir=".graphkit")
    load("data/demo", settings)
    result = analyze_centrality(settings)
"""

from graphkit.config import Settings, resolve_settings
from graphkit.dataset import Dataset, load_dataset
from graphkit.errors import (
    ConfigError,
    DataError,
    DataErrors,
    GraphkitError,
    InsufficientData,
    StoreUnavailable,
)
from graphkit.graph.centrality import CentralityResult, centrality
from graphkit.graph.communities import CommunityResult, detect_communities
from graphkit.graph.features import FeatureTable, graph_features
from graphkit.graph.pull import SubgraphSpec, build_graph, pull_graph
from graphkit.store import GraphStore, LocalStore, open_store
from graphkit.workflows import analyze_centrality, analyze_communities, build_features, load

__version__ = "0.1.0"

__all__ = [
    "CentralityResult",
    "CommunityResult",
    "ConfigError",
    "DataError",
    "DataErrors",
    "Dataset",
    "FeatureTable",
    "GraphStore",
    "GraphkitError",
    "InsufficientData",
    "LocalStore",
    "Settings",
    "StoreUnavailable",
    "SubgraphSpec",
    "__version__",
    "analyze_centrality",
    "analyze_communities",
    "build_features",
    "build_graph",
    "centrality",
    "detect_communities",
    "graph_features",
    "load",
    "load_dataset",
    "open_store",
    "pull_graph",
    "resolve_settings",
]
