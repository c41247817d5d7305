"""The per-user graph-feature table that experiments and engagement join on ``user_id``.

Columns (one row per user in the graph):

=================  ==================================================================
user_id            the user
degree             distinct users interacted with (raw count, either direction)
weighted_degree    summed weight of those ties, both directions (strength)
pagerank           PageRank (damping 0.85, weighted by summed weight)
betweenness        normalised betweenness, unweighted (estimated on large graphs; see
                   ``approximate`` and :mod:`graphkit.graph.sampling`)
closeness          Wasserman–Faust closeness, unweighted (estimated on large graphs)
clustering         local clustering coefficient (unweighted)
community          Louvain community id (0 = largest)
influencer         True for the top ``influencer_share`` of users by PageRank
=================  ==================================================================

Influencer rule: a user is an influencer when their PageRank rank (1 = highest, ties by
user id) is within the top ``influencer_share`` of users (default 1%, at least one user).
PageRank rewards being reached by many users who are themselves reached, which is what
"influence" means for spreading a feature through the network.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import pandas as pd

from graphkit.errors import DataError, ParameterError
from graphkit.graph.centrality import centrality_of
from graphkit.graph.communities import communities_of
from graphkit.graph.engines import PulledGraph, open_graph, open_subgraph, resolve_engine
from graphkit.graph.engines.base import EngineGraph
from graphkit.graph.pull import SubgraphSpec
from graphkit.graph.sampling import Estimate

if TYPE_CHECKING:
    from graphkit.graph.engines import Engine
    from graphkit.store.base import GraphStore

FEATURE_COLUMNS = [
    "user_id",
    "degree",
    "weighted_degree",
    "pagerank",
    "betweenness",
    "closeness",
    "clustering",
    "community",
    "influencer",
]
GRAPH_FEATURES = tuple(FEATURE_COLUMNS[1:])
"""The feature columns (without ``user_id``): the one list every consumer reads."""
COSTLY_FEATURES = ("betweenness", "closeness", "clustering")
"""Columns that cost more than a pass over the edges; computed only when asked for."""
DEFAULT_INFLUENCER_SHARE = 0.01


@dataclass(frozen=True)
class FeatureTable:
    """One row per user (:data:`FEATURE_COLUMNS`, or the columns asked for), by user id.

    ``to_dict()`` is ``graphkit features --format json`` (a list of rows, each with the
    engine); ``to_frame()`` the table and CSV.
    """

    table: pd.DataFrame
    influencer_share: float
    approximate: dict[str, str] = field(default_factory=dict)
    modularity: float = 0.0
    engine: str = "networkx"
    """The engine that computed every column."""
    estimates: dict[str, Estimate] = field(default_factory=dict, repr=False)

    @property
    def caption(self) -> str:
        return f"engine {self.engine}"

    def to_dict(self) -> list[dict[str, Any]]:
        return [
            {str(k): v for k, v in row.items()}
            for row in self.table.assign(engine=self.engine).to_dict("records")
        ]

    def to_frame(self) -> pd.DataFrame:
        return self.table


def check_influencer_share(share: float) -> None:
    if not 0 < share <= 1:
        raise ParameterError("influencer_share", f"must be in (0, 1] (got {share:g})")


def influencer_flags(pagerank: pd.Series, user_ids: pd.Series, share: float) -> pd.Series:
    """True for the top ``share`` of users by PageRank (at least one)."""
    check_influencer_share(share)
    count = max(1, math.ceil(share * len(pagerank)))
    order = pd.DataFrame({"pr": pagerank.to_numpy(), "id": user_ids.to_numpy()})
    order = order.sort_values(["pr", "id"], ascending=[False, True], kind="mergesort")
    flags = pd.Series(False, index=pagerank.index)
    flags.iloc[order.index[:count]] = True
    return flags


@contextmanager
def opened_with_fold(
    graph: nx.Graph | PulledGraph, engine: str | Engine | None
) -> Iterator[tuple[EngineGraph, EngineGraph]]:
    """The graph and its undirected fold, opened by one engine."""
    chosen = resolve_engine(engine).engine if engine is None or isinstance(engine, str) else engine
    pulled = graph if isinstance(graph, PulledGraph) else PulledGraph.from_networkx(graph)
    with open_graph(pulled, chosen) as opened:
        if not pulled.directed:
            yield opened, opened
            return
        with open_graph(pulled.undirected(), chosen) as fold:
            yield opened, fold


def graph_features(
    graph: nx.Graph | PulledGraph,
    *,
    sample: int | None = None,
    seed: int = 0,
    influencer_share: float = DEFAULT_INFLUENCER_SHARE,
    resolution: float = 1.0,
    engine: str | Engine | None = None,
) -> FeatureTable:
    """Build the feature table of every user in ``graph`` (``engine``: name or engine)."""
    with opened_with_fold(graph, engine) as (opened, fold):
        return features_of(
            opened,
            fold,
            sample=sample,
            seed=seed,
            influencer_share=influencer_share,
            resolution=resolution,
        )


def features_of(
    graph: EngineGraph,
    fold: EngineGraph,
    *,
    columns: Sequence[str] = GRAPH_FEATURES,
    sample: int | None = None,
    seed: int = 0,
    influencer_share: float = DEFAULT_INFLUENCER_SHARE,
    resolution: float = 1.0,
) -> FeatureTable:
    """:func:`graph_features` on a graph and its undirected fold, opened by an engine.

    Only ``columns`` are computed (``influencer`` brings ``pagerank``, which it ranks by).
    """
    check_influencer_share(influencer_share)  # before minutes of centralities, not after
    wanted = set(columns) | ({"pagerank"} if "influencer" in columns else set())
    ids = graph.user_ids()
    table = pd.DataFrame({"user_id": ids})
    measures = tuple(m for m in ("betweenness", "closeness") if m in wanted)
    scores = None
    if measures:
        scores = centrality_of(
            graph,
            measures=measures,
            weighted=False,
            sample=sample,
            exact=False,
            seed=seed,
            sort_by=None,
        )
    communities = None
    if "community" in wanted:
        communities = communities_of(
            fold, method="louvain", weighted=True, resolution=resolution, seed=seed
        )
    if "degree" in wanted:
        table["degree"] = fold.degree(weighted=False).reindex(ids).to_numpy().astype("int64")
    if "weighted_degree" in wanted:
        table["weighted_degree"] = fold.degree(weighted=True).reindex(ids).to_numpy(dtype=float)
    if "pagerank" in wanted:
        table["pagerank"] = graph.pagerank(weighted=True).reindex(ids).to_numpy(dtype=float)
    if scores is not None:
        by_user = scores.scores.set_index("user_id")
        for measure in measures:
            table[measure] = by_user[measure].reindex(ids).to_numpy(dtype=float)
    if "clustering" in wanted:
        table["clustering"] = fold.clustering().reindex(ids).to_numpy(dtype=float)
    if communities is not None:
        table["community"] = table["user_id"].map(communities.membership).astype("int64")
    if "influencer" in wanted:
        table["influencer"] = influencer_flags(
            table["pagerank"], table["user_id"], influencer_share
        )
    table = table.sort_values("user_id", kind="mergesort").reset_index(drop=True)
    return FeatureTable(
        table=table[[c for c in FEATURE_COLUMNS if c in table.columns]],
        influencer_share=influencer_share,
        approximate=scores.approximate if scores is not None else {},
        modularity=communities.modularity if communities is not None else 0.0,
        engine=graph.engine,
        estimates=scores.estimates if scores is not None else {},
    )


# ------------------------------------------------------------------ the one feature path


@dataclass(frozen=True)
class UserFeatures:
    """Per-user graph features and where they came from (``source``, for a note)."""

    table: pd.DataFrame
    source: str
    approximate: dict[str, str] = field(default_factory=dict)
    """column → how it was estimated, when computed now and estimated."""


def read_features(path: str | Path) -> pd.DataFrame:
    """A ``graphkit features`` table from a ``.csv``, ``.json`` or ``.parquet`` file.

    Raises
    ------
    ParameterError
        If the file does not exist or its suffix is none of those.
    DataError
        If it cannot be read or has no ``user_id`` column.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise ParameterError(
            "features",
            f"file {path} does not exist",
            hint="write one with `graphkit features --out features.csv`",
        )
    readers = {
        ".parquet": lambda: pd.read_parquet(path),
        ".json": lambda: pd.read_json(path, orient="records", dtype={"user_id": str}),
        ".csv": lambda: pd.read_csv(path, dtype={"user_id": str}),
    }
    if suffix not in readers:
        raise ParameterError(
            "features", f"file {path} is not .csv, .json or .parquet", hint="use one of those"
        )
    try:
        table = readers[suffix]()
    except (ValueError, OSError) as exc:
        raise DataError(
            f"cannot read features file {path}: {exc}",
            expected="the output of `graphkit features`",
        ) from exc
    if "user_id" not in table.columns:
        raise DataError(
            f"{path}: no user_id column",
            expected="the output of `graphkit features` (user_id, degree, pagerank, ...)",
        )
    table["user_id"] = table["user_id"].astype(str)
    return table


def user_features(
    store: GraphStore,
    needed: Sequence[str],
    *,
    path: str | Path | None = None,
    spec: SubgraphSpec | None = None,
    compute: Sequence[str] | None = None,
    seed: int = 0,
    influencer_share: float = DEFAULT_INFLUENCER_SHARE,
    engine: str | None = None,
) -> UserFeatures:
    """The graph features ``needed``, from the one place they should come from.

    1. ``path``, a features file (``graphkit features --out``: CSV, JSON or Parquet),
       which must hold every needed column;
    2. else the features ``graphkit features --write-back`` stored on the users, when
       the store holds the whole feature table and no subgraph ``spec`` narrows the graph
       (written-back scores describe the graph they were computed on). A partial set is
       not used: ``centrality --write-back`` stores degree normalised by n − 1 and
       ``communities --write-back`` any method's partition, under the same names;
    3. else computed now on the subgraph ``spec`` (default: the whole graph), only the
       ``compute`` columns (default: the needed ones; betweenness, closeness and
       clustering cost O(n·m), the others one pass), defined exactly as
       :func:`graph_features` defines them.

    Parameters
    ----------
    store : an opened store
    needed : names from :data:`GRAPH_FEATURES`
    path : a features file, optional
    spec : the subgraph to compute on (also keeps written-back features out)
    compute : the columns to compute when computing now, for a consumer that uses every
        feature it is given but needs only some (default: ``needed``)
    seed, influencer_share, engine : as for :func:`graph_features`

    Raises
    ------
    ParameterError
        If a needed column is not a graph feature.
    DataError
        If the features file lacks a needed column.

    Examples
    --------
    >>> import tempfile
    >>> from graphkit.dataset import load_dataset
    >>> from graphkit.simulation import simulate_network, write_dataset
    >>> from graphkit.store import LocalStore
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = write_dataset(simulate_network(30, seed=1), tmp)
    ...     store = LocalStore(f"{tmp}/store")
    ...     _ = store.load(load_dataset(tmp))
    ...     found = user_features(store, ["degree"], engine="networkx")
    >>> found.source, list(found.table.columns)
    ('features computed now on the whole graph', ['user_id', 'degree'])
    """
    unknown = [c for c in [*needed, *(compute or ())] if c not in GRAPH_FEATURES]
    if unknown:
        raise ParameterError(
            "needed",
            f"names {', '.join(map(repr, unknown))}, not a graph feature",
            hint=f"choose from {', '.join(GRAPH_FEATURES)}",
        )
    if path is not None:
        table = read_features(path)
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise DataError(
                f"{path}: no column(s) {', '.join(missing)}",
                expected="the output of `graphkit features`",
            )
        return UserFeatures(table, f"features from {path}")
    whole_graph = spec is None or spec == SubgraphSpec()
    if whole_graph:
        users = store.users_table()
        if all(c in users.columns for c in GRAPH_FEATURES):
            return UserFeatures(users[FEATURE_COLUMNS], "features written back to the store")
    choice = resolve_engine(engine, store)
    with open_subgraph(choice.engine, store, spec or SubgraphSpec()) as (graph, fold):
        built = features_of(
            graph,
            fold,
            columns=[*needed, *(compute or ())],
            seed=seed,
            influencer_share=influencer_share,
        )
    where = "the whole graph" if whole_graph else "the chosen subgraph"
    return UserFeatures(built.table, f"features computed now on {where}", built.approximate)
