"""Network use cases: load a dataset, centralities, communities, the feature table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from graphkit.config import Settings
from graphkit.dataset import Dataset, load_dataset
from graphkit.graph.centrality import MEASURES, CentralityResult, centrality_of
from graphkit.graph.communities import CommunityResult, communities_of
from graphkit.graph.engines import EngineChoice, EngineGraph, open_subgraph, resolve_engine
from graphkit.graph.features import DEFAULT_INFLUENCER_SHARE, FeatureTable, features_of
from graphkit.graph.pull import SubgraphSpec
from graphkit.store import GraphStore, LoadSummary, open_store
from graphkit.store.base import ProgressCallback


@contextmanager
def opened_store(settings: Settings) -> Iterator[GraphStore]:
    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


def choose_engine(settings: Settings, engine: str | None, store: GraphStore) -> EngineChoice:
    """The engine for this run: ``engine`` (flag) > settings (env, graphkit.toml) > auto."""
    return resolve_engine(engine or settings.engine, store)


@contextmanager
def opened_subgraph(
    store: GraphStore, spec: SubgraphSpec | None, choice: EngineChoice
) -> Iterator[tuple[EngineGraph, EngineGraph]]:
    """The subgraph and its undirected fold, opened by the chosen engine."""
    with open_subgraph(choice.engine, store, spec or SubgraphSpec()) as graphs:
        yield graphs


def write_scores(
    store: GraphStore, graph: EngineGraph, table: pd.DataFrame, progress: ProgressCallback | None
) -> int:
    """Write-back while the subgraph is open: an in-database engine (GDS) writes the scores
    it computed itself, in its write mode; the rest goes through the store."""
    writer = getattr(graph, "write_back", None)
    if writer is not None:
        return int(writer(table, progress=progress))
    return store.write_user_properties(table, progress=progress)


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
    engine: str | None = None,
) -> CentralityResult:
    """Centralities of the subgraph ``spec`` describes, by the engine chosen once."""
    with opened_store(settings) as store:
        choice = choose_engine(settings, engine, store)
        with opened_subgraph(store, spec, choice) as (graph, _):
            result = centrality_of(
                graph,
                measures=measures,
                weighted=weighted,
                sample=sample,
                exact=False,
                seed=seed,
                sort_by=None,
            )
            if write_back:
                write_scores(store, graph, result.scores, progress)
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
    engine: str | None = None,
) -> CommunityResult:
    """Communities of the subgraph's undirected fold, by the engine chosen once."""
    with opened_store(settings) as store:
        choice = choose_engine(settings, engine, store)
        with opened_subgraph(store, spec, choice) as (_, fold):
            result = communities_of(
                fold, method=method, weighted=weighted, resolution=resolution, seed=seed
            )
            if write_back:
                membership = pd.DataFrame(
                    {
                        "user_id": list(result.membership),
                        "community": list(result.membership.values()),
                    }
                )
                write_scores(store, fold, membership, progress)
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
    engine: str | None = None,
) -> FeatureTable:
    """The per-user feature table of the subgraph, by the engine chosen once."""
    with opened_store(settings) as store:
        choice = choose_engine(settings, engine, store)
        with opened_subgraph(store, spec, choice) as (graph, fold):
            features = features_of(
                graph, fold, sample=sample, seed=seed, influencer_share=influencer_share
            )
            if write_back:
                write_scores(store, graph, features.table, progress)
    return features
