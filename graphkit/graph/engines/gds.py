"""The in-database engine: Neo4j Graph Data Science (GDS 2.13, Community Edition).

The graph is never pulled into Python (one exception: sampled betweenness, below).
:meth:`GdsEngine.open` projects the subgraph a :class:`~graphkit.graph.pull.SubgraphSpec`
describes into the GDS catalog with a Cypher projection (``cypher/gds_project.cypher``:
the same pairs, weights and filters as the store's pulls, every value a ``$parameter``),
runs each algorithm in the server and reads back one score per user. The projection has
a unique name per run and is always dropped, also on an error or Ctrl-C. Before
projecting, GDS estimates the memory the projection and Louvain need; a subgraph that
would not fit in the server's free heap raises a :class:`~graphkit.errors.GraphkitError`
with both numbers instead of straining the server.

Rescaling to NetworkX's definitions (checked by the parity suite to 1e-9):

* PageRank: GDS sums to n (its teleport term is 1 − d, not (1 − d)/n) and lets the score
  of users without out-ties leak. Both only multiply the NetworkX vector by a constant (the
  sink term NetworkX adds is the same for every user), so dividing by the sum gives it.
* Betweenness: GDS's raw score is NetworkX's ``normalized=False`` score; graphkit divides
  by (n − 1)(n − 2)/2 on an undirected graph and (n − 1)(n − 2) on a digraph.
* Closeness: GDS's ``useWassermanFaust`` score is NetworkX's (unweighted; on a digraph GDS,
  like NetworkX, sums the distances *to* the user). GDS closeness has no weights: weighted
  closeness sums all-pairs shortest paths in the server per user reached.
* Degree and strength: GDS degree over the undirected relationships (a digraph: over
  ``OUT`` and ``IN``, i.e. in + out as ``nx.DiGraph.degree``).
* Clustering: GDS local clustering coefficient (triangle count based) on the undirected fold.
* Louvain and Leiden on the undirected fold; modularity from ``gds.modularity.stream``
  (resolution 1) plus (1 − γ) Σ_c (d_c / 2m)² for resolution γ.

What GDS 2.13 cannot do the same way, said in :attr:`GdsGraph.notes`:

* Sampled betweenness: ``gds.betweenness`` takes no source list (``sourceNodes`` is not
  a configuration key); its ``samplingSize`` prefers high-degree sources without
  reweighting them, a biased estimate. graphkit's estimate from its own pivots is computed
  by igraph on the pulled pairs instead (:attr:`GdsGraph.computed_by` says so); exact
  betweenness stays in GDS.
* Louvain has no resolution and no seed in GDS: graphkit runs it single-threaded, so the
  result is reproducible; with a resolution other than 1, and for greedy modularity (not
  in GDS), igraph computes the partition on the pulled subgraph, as for sampled
  betweenness.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, GraphkitError, InsufficientData, StoreUnavailable
from graphkit.graph.engines.base import (
    DISTANCE_GRID,
    PAGERANK_DAMPING,
    EngineGraph,
    Partition,
    PulledGraph,
    eppstein_wang,
    number_groups,
    series,
)
from graphkit.store.queries import query

if TYPE_CHECKING:
    from graphkit.graph.pull import SubgraphSpec
    from graphkit.store.base import GraphStore
    from graphkit.store.neo4j_store import Neo4jStore

NAME = "gds"
LICENCE = "GPL-3.0 (Neo4j Graph Data Science, inside the server)"
PAGERANK_TOLERANCE = 1e-10
"""GDS stops when no score (on its scale, summing to n) changes by more than this.

Scores there are ~1, so the remaining error of a user's share (÷ n) is ~1e-10 / n: the
parity suite's 1e-9 holds (checked on its five graphs, GDS and NetworkX alike)."""
PAGERANK_MAX_ITERATIONS = 2000
SINGLE_THREAD = 1
"""Louvain and Leiden run on one thread: GDS's parallel runs depend on thread timing."""
PROJECTION_PREFIX = "graphkit-"
NO_PLUGIN_HINT = (
    "install Graph Data Science in the server (scripts/neo4j-local and docker-compose.yml "
    "do), or use engine igraph"
)


def _mib(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB"


class GdsSession:
    """Runs graphkit's GDS queries on a Neo4j store, translating server errors.

    Every query runs in its own auto-commit session: GDS procedures are not retried (a
    projection is not idempotent), and a session broken by Ctrl-C is never reused.
    """

    def __init__(self, store: Neo4jStore) -> None:
        self.store = store

    def run(self, name: str, **params: Any) -> dict[str, Any]:
        """The single row of ``cypher/<name>.cypher`` as a dict."""
        from neo4j.exceptions import Neo4jError, ServiceUnavailable

        store = self.store
        try:
            with store.driver.session(database=store.settings.neo4j_database) as session:
                record = session.run(query(name), params).single()
        except Neo4jError as exc:
            if (exc.code or "").endswith("DatabaseNotFound"):  # the store's own wording
                raise store.translate_error(exc) from exc
            raise translate(exc, store.description) from exc
        except (ServiceUnavailable, OSError) as exc:
            raise StoreUnavailable(f"{store.description} is not reachable") from exc
        assert record is not None, f"{name}.cypher returns exactly one row"
        return dict(record)


def translate(exc: Any, where: str) -> GraphkitError:
    """A GDS or Cypher failure as graphkit's error, with what to do about it."""
    message = str(getattr(exc, "message", None) or exc)
    lowered = message.lower()
    if "gds." in lowered and ("unknown function" in lowered or "no procedure" in lowered):
        return StoreUnavailable(f"{where} has no Graph Data Science plugin", hint=NO_PLUGIN_HINT)
    if "memory" in lowered and ("estimat" in lowered or "exceed" in lowered):
        return GraphkitError(
            f"GDS in {where} refused the job for lack of memory: {message}",
            hint="raise the server's heap (NEO4J_HEAP for scripts/neo4j-local) or narrow "
            "the subgraph (since, until, type, community)",
        )
    return GraphkitError(f"GDS in {where} failed: {message}")


def gds_version(store: GraphStore) -> str | None:
    """The Graph Data Science version of a Neo4j store's server, or None without the plugin.

    The embedded store has no GDS (None). A server that cannot be reached raises
    :class:`~graphkit.errors.StoreUnavailable`.
    """
    from graphkit.store.neo4j_store import Neo4jStore

    if not isinstance(store, Neo4jStore):
        return None
    try:
        return str(GdsSession(store).run("gds_version")["version"])
    except StoreUnavailable as exc:
        if exc.hint == NO_PLUGIN_HINT:
            return None
        raise


@dataclass(frozen=True)
class Scope:
    """The users a subgraph holds: ``ids`` (sorted) and whether the projection must be
    restricted to them (``restricted``: a community or an ego network)."""

    ids: list[str]
    restricted: bool


def users_in_scope(store: GraphStore, spec: SubgraphSpec) -> Scope:
    """The users of ``spec``, found as :func:`graphkit.graph.pull.pull_graph` finds them.

    An ego network is found hop by hop from the ego user's ties (only those are read).
    """
    from graphkit.graph.pull import ego_members

    ids = store.user_ids(community=spec.community)
    if spec.community is not None and not ids:
        raise InsufficientData(
            f"no user belongs to community {spec.community}",
            hint="run `graphkit communities --write-back` first, or check the id",
        )
    restricted = spec.community is not None
    if spec.ego is not None:
        if spec.ego not in set(ids):
            raise InsufficientData(
                f"user {spec.ego!r} is not in the graph"
                + (f" (community {spec.community})" if restricted else ""),
                hint="check the user_id against users.csv",
            )
        ids = ego_members(store, spec, set(ids) if restricted else None)
        restricted = True
    return Scope(sorted(ids), restricted)


class GdsGraph:
    """A subgraph projected into GDS; every measure is computed in the server."""

    engine = NAME
    """``gds``; ``gds (betweenness by igraph)`` once another engine computed a measure."""

    def __init__(
        self,
        session: GdsSession,
        name: str,
        scope: Scope,
        *,
        spec: SubgraphSpec,
        pairs: int,
        fold_pairs: int,
    ) -> None:
        self.session = session
        self.store = session.store
        self.spec = spec
        self.name = name
        self.directed = spec.directed
        self.restricted = scope.restricted
        self._ids = np.asarray(scope.ids, dtype=object)
        self.nodes = len(scope.ids)
        self.edges = pairs
        self.fold_pairs = fold_pairs
        self.notes: list[str] = []
        """How a score was computed differently from the other engines (for the user)."""
        self.computed_by: dict[str, str] = {}
        """measure → engine, for a measure GDS did not compute itself."""
        self._pull: PulledGraph | None = None
        self._igraph: EngineGraph | None = None
        self._digraph: GdsGraph | None = None
        self._family: list[GdsGraph] = [self]
        """This graph and its fold: they share one projection and one report."""
        """The directed subgraph this is the fold of, if it is one."""
        self._recipes: dict[str, Recipe] = {}
        self.written_in_gds: list[str] = []
        """Columns the last write-backs stored in GDS write mode."""
        self._communities: dict[str, tuple[str, pd.Series, np.ndarray]] = {}

    def undirected(self) -> GdsGraph:
        """The undirected fold of a directed subgraph, on the same projection (its ``UND``
        relationships are the fold: a pair's ordered pairs that pass ``min_weight``, summed)."""
        if not self.directed:
            return self
        fold = GdsGraph(
            self.session,
            self.name,
            Scope(list(self._ids), self.restricted),
            spec=replace(self.spec, directed=False),
            pairs=self.fold_pairs,
            fold_pairs=self.fold_pairs,
        )
        # One run, one report; write-back may use what either computed.
        fold.notes, fold.computed_by = self.notes, self.computed_by
        fold._recipes, fold._communities = self._recipes, self._communities
        fold._digraph = self
        fold._family = self._family
        self._family.append(fold)
        return fold

    def user_ids(self) -> np.ndarray:
        return self._ids

    # -- plumbing
    def _config(self, types: Sequence[str], *, weight: str | None = None, **extra: Any) -> dict:
        config: dict[str, Any] = {"relationshipTypes": list(types), **extra}
        if weight is not None:
            config["relationshipWeightProperty"] = weight
        return config

    def _stream(
        self, name: str, config: dict[str, Any], label: str, *, scale: float = 1.0
    ) -> pd.Series:
        """Scores of ``cypher/gds_<name>.cypher`` times ``scale``, keyed by user id.

        Remembered as a :class:`Recipe`, so write-back can rerun the algorithm in GDS
        write mode instead of sending the scores back.
        """
        record = self.session.run(f"gds_{name}", graph=self.name, config=config)
        values = self._align(record["ids"], record["values"], label) * scale
        if name in WRITE_MODE:
            self._recipes[label] = Recipe(name, config, scale, values)
        return values

    def _align(self, ids: list[Any], values: list[Any], label: str) -> pd.Series:
        raw = pd.Series(np.asarray(values, dtype=float), index=pd.Index(ids, dtype=object))
        aligned = raw.reindex(pd.Index(self._ids, dtype=object))
        if aligned.isna().any():
            raise GraphkitError(
                f"GDS returned no {label} for some users; users changed during the run",
                hint="run it again",
            )
        return series(self._ids, aligned.to_numpy(), label)

    @property
    def _path_types(self) -> list[str]:
        """Relationships paths follow, from a user outwards."""
        return ["OUT"] if self.directed else ["UND"]

    # -- measures
    def degree(self, *, weighted: bool) -> pd.Series:
        types = ["OUT", "IN"] if self.directed else ["UND"]
        return self._stream(
            "degree", self._config(types, weight="weight" if weighted else None), "degree"
        )

    def _undirected_degree(self, *, weighted: bool) -> pd.Series:
        return self._stream(
            "degree", self._config(["UND"], weight="weight" if weighted else None), "degree"
        )

    def pagerank(self, *, weighted: bool) -> pd.Series:
        config = self._config(
            self._path_types,
            weight="weight" if weighted else None,
            dampingFactor=PAGERANK_DAMPING,
            tolerance=PAGERANK_TOLERANCE,
            maxIterations=PAGERANK_MAX_ITERATIONS,
            scaler="L1Norm",  # divided by the sum: NetworkX's scores, also when written
        )
        return self._stream("pagerank", config, "pagerank")

    def betweenness(self, *, weighted: bool, sources: Sequence[Any] | None = None) -> pd.Series:
        n = self.nodes
        if sources is not None and len(sources) < n:
            return self._sampled_betweenness(weighted=weighted, sources=sources)
        config = self._config(self._path_types, weight="distance" if weighted else None)
        pairs = 2.0 if not self.directed else 1.0  # GDS counts an undirected pair once
        scale = pairs / ((n - 1) * (n - 2)) if n > 2 else 1.0
        return self._stream("betweenness", config, "betweenness", scale=scale)

    def _sampled_betweenness(self, *, weighted: bool, sources: Sequence[Any]) -> pd.Series:
        """graphkit's estimate from its own pivots, computed by igraph on the pulled subgraph.

        GDS 2.13 cannot compute it: ``gds.betweenness`` takes no source list, and its
        ``samplingSize`` draws sources with probability growing with their degree and does
        not reweight them, so its estimate is biased (measured on the karate club: the
        mean over 300 draws of 10 sources is 16% below the exact total) and differs from
        every other engine's.
        """
        graph = self._delegate(
            "betweenness",
            "estimated from graphkit's source users; GDS 2.13 cannot take a list of source users",
        )
        return graph.betweenness(weighted=weighted, sources=sources)

    def pulled_for(self, measure: str, by: str, why: str) -> PulledGraph:
        """The subgraph's pairs, pulled once, for a ``measure`` that ``by`` computes in
        Python (graphkit's own estimators); the output names who computed it."""
        self._record(measure, by, why)
        return self._pulled() if self._digraph is None else self._digraph._pulled().undirected()

    def _record(self, measure: str, by: str, why: str) -> None:
        if measure not in self.computed_by:
            self.computed_by[measure] = by
            self.notes.append(f"{measure}: computed by {by} on the pulled subgraph ({why})")
            others = ", ".join(f"{m} by {e}" for m, e in sorted(self.computed_by.items()))
            for graph in self._family:
                graph.engine = f"{NAME} ({others})"

    def _delegate(self, measure: str, why: str) -> EngineGraph:
        """igraph on this subgraph's pairs, pulled once, for what GDS cannot compute."""
        from graphkit.graph.engines.igraph_engine import IGraphGraph

        self._record(measure, "igraph", why)
        if self._igraph is None:
            if self._digraph is not None:
                self._igraph = IGraphGraph(self._digraph._pulled().undirected())
            else:
                self._igraph = IGraphGraph(self._pulled())
        return self._igraph

    def _pulled(self) -> PulledGraph:
        """The subgraph's pairs as the store pulls them (cached)."""
        if self._pull is None:
            store, spec = self.store, self.spec
            among = list(self._ids) if self.restricted else None
            edges = store.aggregate_edges(spec.edge_filter, directed=spec.directed, among=among)
            self._pull = PulledGraph.from_edges(list(self._ids), edges, directed=spec.directed)
        return self._pull

    def closeness(self, *, weighted: bool, sources: Sequence[Any] | None = None) -> pd.Series:
        # Distances *to* a user: along OUT, summed per user reached.
        n = self.nodes
        if sources is not None and len(sources) < n:
            config = self._config(self._path_types, weight="distance" if weighted else None)
            record = self.session.run(
                "gds_pivot_distances", graph=self.name, config=config, pivots=list(sources)
            )
            total, reached = self._sums(record)
            is_source = pd.Index(self._ids, dtype=object).isin(list(sources))
            values = eppstein_wang(total, reached, is_source, n, len(sources))
            return series(self._ids, values, "closeness")
        if not weighted:
            # GDS sums the distances *from the users that reach* a node (measured: on OUT
            # it equals nx.closeness_centrality of the digraph, on IN the reverse).
            return self._stream(
                "closeness", self._config(self._path_types, useWassermanFaust=True), "closeness"
            )
        record = self.session.run(
            "gds_all_distances",
            graph=self.name,
            config=self._config(self._path_types, weight="distance"),
        )
        total, reached = self._sums(record)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(total > 0, (reached / max(n - 1, 1)) * (reached / total), 0.0)
        return series(self._ids, values, "closeness")

    def _sums(self, record: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        index = pd.Index(record["ids"], dtype=object)
        frame = pd.DataFrame(
            {"total": record["totals"], "reached": record["reached"]}, index=index, dtype=float
        )
        frame = frame.reindex(pd.Index(self._ids, dtype=object)).fillna(0.0)
        return frame["total"].to_numpy(), frame["reached"].to_numpy()

    def clustering(self) -> pd.Series:
        values = self._stream("clustering", self._config(["UND"]), "clustering")
        return values.fillna(0.0)

    def components(self) -> pd.Series:
        raw = self._stream("wcc", self._config(["UND"]), "component")
        labels = number_groups(raw.to_numpy().astype(np.int64), self._ids)
        return pd.Series(labels, index=pd.Index(self._ids, name="user_id"), name="component")

    def communities(
        self, *, method: str, weighted: bool, resolution: float, seed: int | None
    ) -> Partition:
        if method not in ("louvain", "leiden", "greedy"):
            raise ConfigError(f"unknown community method {method!r}")
        if method == "greedy" or (method == "louvain" and resolution != 1.0):
            why = (
                "GDS has no greedy modularity"
                if method == "greedy"
                else "GDS Louvain has no resolution parameter"
            )
            partition = self._delegate("communities", why).communities(
                method=method, weighted=weighted, resolution=resolution, seed=seed
            )
            return replace(partition, engine="igraph")
        weight = "weight" if weighted else None
        strength = self._undirected_degree(weighted=weighted)
        if float(strength.sum()) == 0.0:
            # Modularity is undefined without ties; every user is its own community.
            raw = np.arange(self.nodes)
            membership = pd.Series(
                number_groups(raw, self._ids),
                index=pd.Index(self._ids, name="user_id"),
                name="community",
            )
            return Partition(membership, 0.0, method, NAME, resolution, weighted, seed)
        prop = f"graphkit_community_{uuid.uuid4().hex[:12]}"
        config = self._config(
            ["UND"], weight=weight, mutateProperty=prop, concurrency=SINGLE_THREAD
        )
        if method == "leiden":
            config["gamma"] = float(resolution)
            if seed is not None:
                config["randomSeed"] = int(seed)
        elif seed is not None:
            self.notes.append("louvain: GDS Louvain takes no seed; it ran single-threaded")
        self.session.run(f"gds_{method}", graph=self.name, config=config)
        record = self.session.run("gds_node_property", graph=self.name, property=prop)
        raw_labels = self._align(record["ids"], record["values"], "community").to_numpy()
        labels = number_groups(raw_labels.astype(np.int64), self._ids)
        self._communities["community"] = (prop, pd.Series(labels, index=self._ids), raw_labels)
        parts = self.session.run(
            "gds_modularity",
            graph=self.name,
            config=self._config(["UND"], weight=weight, communityProperty=prop),
        )
        # gds.modularity is Σ_c [L_c/m − (d_c/2m)²]; resolution γ weighs the second term.
        total = float(strength.sum())
        shares = pd.Series(strength.to_numpy()).groupby(labels).sum().to_numpy() / total
        modularity = float(sum(parts["values"])) + (1.0 - resolution) * float(np.sum(shares**2))
        membership = pd.Series(labels, index=pd.Index(self._ids, name="user_id"), name="community")
        return Partition(membership, modularity, method, NAME, resolution, weighted, seed)

    def write_back(self, table: pd.DataFrame, *, progress: Any = None) -> int:
        """Store ``table``'s score columns on the users, in GDS write mode where possible.

        A column GDS computed here (degree, PageRank, exact betweenness, unweighted exact
        closeness, communities) is written by rerunning that algorithm in write mode (or,
        for communities, writing the projection's ids), then rescaled or renumbered in the
        server to graphkit's values; only the other columns (estimates made from
        graphkit's pivots, flags) travel from Python as usual. Returns the rows written.
        """
        ids = table["user_id"].tolist()
        rest = ["user_id"]
        for column in table.columns.drop("user_id"):
            if self._write_in_gds(column, table.set_index("user_id")[column], ids):
                self.written_in_gds.append(column)
            else:
                rest.append(column)
        if len(rest) > 1:
            return int(self.store.write_user_properties(table[rest], progress=progress))
        return len(table)

    def _write_in_gds(self, column: str, values: pd.Series, ids: list[Any]) -> bool:
        if column not in WRITABLE or len(values) != self.nodes:
            return False
        if column in self._communities:
            prop, labels, raw = self._communities[column]
            if not labels.reindex(values.index).equals(values.astype(np.int64)):
                return False
            self.session.run(
                "gds_write_node_property", graph=self.name, properties=[{prop: column}]
            )
            mapping = {str(int(r)): int(g) for r, g in zip(raw, labels, strict=True)}
            self.session.run("gds_renumber_property", ids=ids, property=column, mapping=mapping)
            return True
        recipe = self._recipes.get(column)
        # GDS writes scores as floats: an integer column (the features' raw degree) keeps
        # its type through the store.
        if recipe is None or not pd.api.types.is_float_dtype(values):
            return False
        computed = recipe.values.reindex(values.index).to_numpy(dtype=float)
        wanted = values.to_numpy(dtype=float)
        # The column is the computed scores times a constant (degree / (n - 1), say)?
        nonzero = computed != 0
        if not np.array_equal(nonzero, wanted != 0):
            return False
        ratio = wanted[nonzero] / computed[nonzero] if nonzero.any() else np.ones(1)
        if not np.allclose(ratio, ratio[0], rtol=1e-12, atol=0):
            return False
        factor = recipe.scale * float(ratio[0])
        self.session.run(
            f"gds_write_{recipe.name}",
            graph=self.name,
            config={**recipe.config, "writeProperty": column},
        )
        if factor != 1.0:
            self.session.run("gds_scale_property", ids=ids, property=column, factor=factor)
        return True


@dataclass(frozen=True)
class Recipe:
    """How a column was computed in GDS: rerun ``gds_write_<name>`` with ``config`` and
    multiply by ``scale`` to write it."""

    name: str
    config: dict[str, Any]
    scale: float
    values: pd.Series


WRITE_MODE = ("degree", "pagerank", "betweenness", "closeness")
"""Algorithms whose scores graphkit can write back in GDS write mode."""
WRITABLE = ("degree", "pagerank", "betweenness", "closeness", "community")
"""User properties GDS may write (graphkit's own score names; nothing user-supplied)."""


class GdsEngine:
    """Neo4j Graph Data Science: computes inside the server, on a projection of the subgraph.

    Parameters
    ----------
    memory_budget : bytes GDS may use at most (default: the server's free heap, as GDS
        reports it). A subgraph estimated to need more raises before anything is projected.
    """

    name = NAME
    licence = LICENCE
    needs_pull = False

    def __init__(self, memory_budget: int | None = None) -> None:
        self.memory_budget = memory_budget

    @contextmanager
    def open(
        self,
        graph: PulledGraph | None = None,
        *,
        store: GraphStore | None = None,
        spec: SubgraphSpec | None = None,
    ) -> Iterator[GdsGraph]:
        from graphkit.graph.pull import SubgraphSpec
        from graphkit.store.neo4j_store import Neo4jStore

        if graph is not None or not isinstance(store, Neo4jStore):
            raise ConfigError(
                "the gds engine computes inside Neo4j",
                hint="configure a Neo4j store (GRAPHKIT_NEO4J_URI) or use engine igraph",
            )
        spec = spec or SubgraphSpec()
        session = GdsSession(store)
        # No version check here (auto asked already): without the plugin, the memory
        # estimate's first gds.* call fails with StoreUnavailable and NO_PLUGIN_HINT.
        scope = users_in_scope(store, spec)
        params = {
            "ids": scope.ids if scope.restricted else None,
            "since": spec.since,
            "until": spec.until,
            "types": list(spec.types) if spec.types is not None else None,
            "min_weight": float(spec.min_weight),
            "directed": spec.directed,
        }
        self._check_memory(session, params)
        name = f"{PROJECTION_PREFIX}{uuid.uuid4().hex}"
        try:
            record = session.run("gds_project", graph=name, grid=DISTANCE_GRID, **params)
            yield GdsGraph(
                session,
                name,
                scope,
                spec=spec,
                pairs=int(record["pairs"]),
                fold_pairs=int(record["fold_pairs"]),
            )
        finally:
            # Also after Ctrl-C: a fresh session, and no error if the projection never
            # came to be.
            session.run("gds_drop", graph=name)

    def _check_memory(self, session: GdsSession, params: dict[str, Any]) -> None:
        size = session.run(
            "gds_scope_size", **{k: params[k] for k in ("ids", "since", "until", "types")}
        )
        users, interactions = int(size["users"]), int(size["interactions"])
        if users == 0:
            raise InsufficientData("the graph has no users", hint="widen the filters or load data")
        # Each interaction is at most one pair; a pair is stored twice when undirected and
        # four times (OUT, IN, both ways of UND) when directed.
        relationships = interactions * (4 if params["directed"] else 2)
        needed = int(
            session.run("gds_estimate_projection", nodes=users, relationships=relationships)[
                "bytesMax"
            ]
        ) + int(
            session.run("gds_estimate_louvain", nodes=users, relationships=2 * interactions)[
                "bytesMax"
            ]
        )
        heap = session.run("gds_heap")
        available = int(heap["available"])
        budget = available if self.memory_budget is None else min(available, self.memory_budget)
        if needed > budget:
            raise GraphkitError(
                f"the subgraph ({users:,} users, {interactions:,} interactions) needs about "
                f"{_mib(needed)} of Neo4j heap for GDS, but only {_mib(budget)} is available "
                f"(server heap max {_mib(int(heap['max']))})",
                hint="raise the server's heap (NEO4J_HEAP for scripts/neo4j-local, "
                "server.memory.heap.max_size), narrow the subgraph "
                "(since, until, type, community), or use engine igraph",
            )
