"""Network use cases: load a dataset, centralities, communities, the feature table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from graphkit.config import Settings
from graphkit.dataset import Dataset, load_dataset
from graphkit.graph.centrality import MEASURES, CentralityResult, centrality
from graphkit.graph.communities import CommunityResult, detect_communities
from graphkit.graph.features import DEFAULT_INFLUENCER_SHARE, FeatureTable, graph_features
from graphkit.graph.pull import SubgraphSpec, pull_graph
from graphkit.store import GraphStore, LoadSummary, open_store
from graphkit.store.base import ProgressCallback


@contextmanager
def opened_store(settings: Settings) -> Iterator[GraphStore]:
    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


@dataclass(frozen=True)
class LoadResult:
    summary: LoadSummary
    dataset: Dataset


def load(
    dataset_dir: str | Path, settings: Settings, *, progress: ProgressCallback | None = None
) -> LoadResult:
    """Validate the whole dataset first; only then write it to the store."""
    dataset = load_dataset(dataset_dir)
    with opened_store(settings) as store:
        summary = store.load(dataset, progress=progress)
    return LoadResult(summary=summary, dataset=dataset)


def analyze_centrality(
    settings: Settings,
    spec: SubgraphSpec | None = None,
    *,
    measures: Sequence[str] = MEASURES,
    weighted: bool = False,
    sample: int | None = None,
    seed: int = 0,
    write_back: bool = False,
    progress: ProgressCallback | None = None,
) -> CentralityResult:
    with opened_store(settings) as store:
        graph = pull_graph(store, spec)
        result = centrality(
            graph,
            measures=measures,
            weight="weight" if weighted else None,
            sample=sample,
            seed=seed,
        )
        if write_back:
            store.write_user_properties(result.scores, progress=progress)
    return result


def analyze_communities(
    settings: Settings,
    spec: SubgraphSpec | None = None,
    *,
    method: str = "louvain",
    weighted: bool = False,
    resolution: float = 1.0,
    seed: int = 0,
    write_back: bool = False,
    progress: ProgressCallback | None = None,
) -> CommunityResult:
    with opened_store(settings) as store:
        graph = pull_graph(store, spec)
        result = detect_communities(
            graph,
            method=method,
            weight="weight" if weighted else None,
            resolution=resolution,
            seed=seed,
        )
        if write_back:
            membership = pd.DataFrame(
                {"user_id": list(result.membership), "community": list(result.membership.values())}
            )
            store.write_user_properties(membership, progress=progress)
    return result


def build_features(
    settings: Settings,
    spec: SubgraphSpec | None = None,
    *,
    sample: int | None = None,
    seed: int = 0,
    influencer_share: float = DEFAULT_INFLUENCER_SHARE,
    write_back: bool = False,
    progress: ProgressCallback | None = None,
) -> FeatureTable:
    with opened_store(settings) as store:
        graph = pull_graph(store, spec)
        features = graph_features(
            graph, sample=sample, seed=seed, influencer_share=influencer_share
        )
        if write_back:
            store.write_user_properties(features.table, progress=progress)
    return features
