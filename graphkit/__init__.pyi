"""The public API, read by `lazy_loader` (what loads) and by type checkers (what it is)."""

from . import ab, engagement, report
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
from .graph.centrality import CentralityResult
from .graph.communities import CommunityResult, detect_communities
from .graph.features import FeatureTable, graph_features
from .graph.pull import SubgraphSpec, build_graph, pull_graph
from .reports.browser import browser
from .store import GraphStore, LocalStore, open_store
from .workflows import analyze_centrality, analyze_communities, build_features
from .workflows.network import centrality, communities, features, load
from .workflows.simulation import SimulationSettings, simulate

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
    "SimulationSettings",
    "StoreUnavailable",
    "SubgraphSpec",
    "__version__",
    "ab",
    "analyze_centrality",
    "analyze_communities",
    "browser",
    "build_features",
    "build_graph",
    "centrality",
    "communities",
    "detect_communities",
    "engagement",
    "features",
    "graph_features",
    "load",
    "load_dataset",
    "open_store",
    "pull_graph",
    "report",
    "resolve_settings",
    "simulate",
]
