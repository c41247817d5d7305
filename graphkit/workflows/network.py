"""Network use cases: load a dataset, centralities, communities, the feature table.

Each takes an opened store first (the CLI opens it once per command); a notebook may pass
:class:`~graphkit.config.Settings` instead, and the store is opened for that call. Each
returns a result that serialises itself (``to_dict()`` / ``to_frame()``), exactly what
the CLI command of the same name prints.

Examples
--------
>>> import tempfile
>>> from graphkit.store import LocalStore
>>> from graphkit.workflows.simulation import simulate
>>> folder = simulate(tempfile.mkdtemp(), users=30, seed=1, events=False).out_dir
>>> store = LocalStore(folder / "store")
>>> load(store, folder).summary.users
30
>>> top = centrality(store, measures=["degree"], top=3, engine="networkx")
>>> len(top.to_frame()), top.to_dict()[0]["engine"]
(3, 'networkx')
>>> sorted(communities(store, method="greedy", engine="networkx").to_dict())[:3]
['communities', 'engine', 'membership']
>>> list(features(store, engine="networkx").to_frame().columns)[:4]
['user_id', 'degree', 'weighted_degree', 'pagerank']
>>> store.close()
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd

from graphkit.config import Settings
from graphkit.dataset import Dataset, StagedEvents, load_dataset
from graphkit.graph.centrality import CentralityResult, centrality_of
from graphkit.graph.choices import MEASURES
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


StoreSource = Settings | GraphStore
"""An opened store, or the settings to open one for a single call (notebooks, tests)."""


@contextmanager
def store_from(source: StoreSource) -> Iterator[GraphStore]:
    """``source`` itself when it is a store (the caller closes it); else the store its
    settings name, opened for the call and closed after."""
    if isinstance(source, Settings):
        with opened_store(source) as store:
            yield store
    else:
        yield source


def choose_engine(
    source: GraphStore | Settings, engine: str | None, store: GraphStore
) -> EngineChoice:
    """The engine for this run: ``engine`` > settings (env, graphkit.toml) > auto."""
    default = source.engine if isinstance(source, Settings) else None
    return resolve_engine(engine or default, store)


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
    """What ``graphkit load`` did: the counts in the store and the validated dataset."""

    summary: LoadSummary
    dataset: Dataset

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self.dataset.notes)

    @property
    def message(self) -> str:
        """``loaded 300 users, 2998 interactions into …`` (the CLI's closing line)."""
        summary = self.summary
        parts = [f"{summary.users} users", f"{summary.interactions} interactions"]
        if summary.events:
            parts.append(f"{summary.events} events")
        if summary.assignments:
            parts.append(f"{summary.assignments} assignments")
        return f"loaded {', '.join(parts)} into {summary.store}"

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self.summary), "notes": list(self.notes)}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([dataclasses.asdict(self.summary)])


def load(
    store: GraphStore | Settings,
    dataset_dir: str | Path | Settings,
    *,
    progress: ProgressCallback | None = None,
) -> LoadResult:
    """Validate the whole dataset first; only then write it to ``store``.

    Events are read, validated and staged a chunk at a time
    (:class:`~graphkit.dataset.StagedEvents`), so memory does not grow with the events
    file; ``result.dataset.events`` is closed once they are stored (its count remains).

    Loading is idempotent: the same data again, or a re-run after an interruption, gives
    the same graph. (The former order, ``load(folder, settings)``, still works.)
    """
    target: GraphStore | Settings = store
    if isinstance(dataset_dir, Settings):  # load(folder, settings), as before
        target, dataset_dir = dataset_dir, cast("str | Path", store)
    # Events are validated and staged in chunks, in a temporary file: a file of any size
    # loads in bounded memory, and the store reads the staged file in batches.
    dataset = load_dataset(dataset_dir, stage_events=True)
    try:
        with store_from(target) as opened:
            summary = opened.load(dataset, progress=progress)
    finally:
        if isinstance(dataset.events, StagedEvents):
            dataset.events.close()
    return LoadResult(summary=summary, dataset=dataset)


def centrality(
    store: GraphStore | Settings,
    spec: SubgraphSpec | None = None,
    *,
    measures: Sequence[str] = MEASURES,
    top: int | None = None,
    weighted: bool = False,
    sample: int | None = None,
    seed: int = 0,
    write_back: bool = False,
    engine: str | None = None,
    progress: ProgressCallback | None = None,
) -> CentralityResult:
    """Centralities of the subgraph ``spec`` describes (``graphkit centrality``).

    Scores as :func:`graphkit.graph.centrality.centrality` defines them, by the engine
    chosen once; best first by PageRank (or the first measure). ``top`` keeps the best N
    rows of the result; ``write_back`` stores every user's scores as User properties.
    """
    with store_from(store) as opened:
        choice = choose_engine(store, engine, opened)
        with opened_subgraph(opened, spec, choice) as (graph, _):
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
                write_scores(opened, graph, result.scores, progress)
    return result if top is None else dataclasses.replace(result, scores=result.top(top))


def communities(
    store: GraphStore | Settings,
    spec: SubgraphSpec | None = None,
    *,
    method: str = "louvain",
    weighted: bool = False,
    resolution: float = 1.0,
    seed: int = 0,
    write_back: bool = False,
    engine: str | None = None,
    progress: ProgressCallback | None = None,
) -> CommunityResult:
    """Communities of the subgraph's undirected fold (``graphkit communities``).

    ``write_back`` stores each user's community id as the User property ``community``.
    """
    with store_from(store) as opened:
        choice = choose_engine(store, engine, opened)
        with opened_subgraph(opened, spec, choice) as (_, fold):
            result = communities_of(
                fold, method=method, weighted=weighted, resolution=resolution, seed=seed
            )
            if write_back:
                write_scores(opened, fold, result.to_frame(), progress)
    return result


def features(
    store: GraphStore | Settings,
    spec: SubgraphSpec | None = None,
    *,
    sample: int | None = None,
    seed: int = 0,
    influencer_share: float = DEFAULT_INFLUENCER_SHARE,
    write_back: bool = False,
    engine: str | None = None,
    progress: ProgressCallback | None = None,
) -> FeatureTable:
    """The per-user feature table of the subgraph (``graphkit features``).

    Columns as :mod:`graphkit.graph.features` defines them; ``write_back`` stores them as
    User properties (where :func:`graphkit.graph.features.user_features` finds them).
    """
    with store_from(store) as opened:
        choice = choose_engine(store, engine, opened)
        with opened_subgraph(opened, spec, choice) as (graph, fold):
            table = features_of(
                graph, fold, sample=sample, seed=seed, influencer_share=influencer_share
            )
            if write_back:
                write_scores(opened, graph, table.table, progress)
    return table


# The names these use cases had before they took a store; notebooks and tests still call them.
analyze_centrality = centrality
analyze_communities = communities
build_features = features
