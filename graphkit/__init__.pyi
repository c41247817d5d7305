"""The public API, read by `lazy_loader` (what loads) and by type checkers (what it is)."""

from . import engagement
from .config import Settings, resolve_settings
from .dataset import Dataset, load_dataset
from .errors import (
    ConfigError,
    DataError,
    DataErrors,
    GraphkitError,
    InsufficientData,
    StoreUnavailable,
)
from .graph.centrality import CentralityResult, centrality
from .graph.communities import CommunityResult, detect_communities
from .graph.features import FeatureTable, graph_features
from .graph.pull import SubgraphSpec, build_graph, pull_graph
from .store import GraphStore, LocalStore, open_store
from .workflows import analyze_centrality, analyze_communities, build_features, load

__version__: str

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
    "engagement",
    "graph_features",
    "load",
    "load_dataset",
    "open_store",
    "pull_graph",
    "resolve_settings",
]
