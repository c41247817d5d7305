"""Network designs: randomize users, graph clusters or ego-clusters; design diagnostics.

Every unit (a user, a cluster or an ego-cluster) gets its arm from the same salted
SHA-256 hash as ``graphkit ab assign`` (:func:`graphkit.experiments.assignment.assign`),
keyed by the user id for users and by ``cluster:<smallest member id>`` for clusters, so
a design is reproducible and stable under renumbering of the clusters.

Clusters
--------
* ``louvain`` — python-louvain, seeded (as ``graphkit communities``);
* ``leiden`` — igraph's Leiden optimising modularity, seeded (needs ``igraph``);
* ``community`` — the ``community`` property written back by ``graphkit communities``;
* ``3net`` — Ugander et al. (2013)'s 3-net: users in seeded random order become centres
  unless a centre is within 2 hops (so centres are ≥ 3 hops apart), then every user joins
  its nearest centre (ties: the centre chosen first).

Ego-clusters (Saint-Jacques et al. 2019): the top users by PageRank or degree are taken
greedily as egos when neither they nor any of their neighbours already belong to an
ego-cluster; an ego-cluster (ego and alters) is randomized as one unit and outcomes are
measured on egos. Users in no ego-cluster are randomized one by one.

Design effect for power: ``DEFF = 1 + (M − 1)·ICC`` with M the (size-weighted) mean
cluster size ``Σ m² / Σ m`` (Kish 1965; Donner & Klar 2000 for unequal sizes).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, InsufficientData, ParameterError
from graphkit.experiments.assignment import assign

UNITS = ("user", "cluster", "ego")
CLUSTER_METHODS = ("louvain", "leiden", "community", "3net")
EGO_RANKINGS = ("pagerank", "degree")
DEFAULT_MAX_CROSSING = 0.2


@dataclass(frozen=True)
class DesignSettings:
    """What ``ab design`` does, validated once.

    Parameters
    ----------
    experiment : str
    unit : {"user", "cluster", "ego"}
    clusters : {"louvain", "leiden", "community", "3net"}
        Cluster method (``unit="cluster"``).
    egos : int
        Number of ego-clusters wanted (``unit="ego"``).
    ego_by : {"pagerank", "degree"}
    variants : tuple of str
        Arms, control first.
    weights : tuple of float, optional
        Relative share per arm (equal if omitted).
    salt : str
    seed : int
        Seed of Louvain, Leiden and the 3-net order.
    icc : float
        Intra-cluster correlation for the design effect.
    max_crossing : float
        Warn when more than this share of treated users' ties reach control users.
    """

    experiment: str
    unit: str = "user"
    clusters: str = "louvain"
    egos: int = 100
    ego_by: str = "pagerank"
    variants: tuple[str, ...] = ("control", "treatment")
    weights: tuple[float, ...] | None = None
    salt: str = ""
    seed: int = 0
    icc: float = 0.05
    max_crossing: float = DEFAULT_MAX_CROSSING

    def __post_init__(self) -> None:
        if not self.experiment.strip():
            raise ConfigError("experiment must not be empty")
        if self.unit not in UNITS:
            raise ConfigError(f"unit {self.unit!r} is unknown", hint="use user, cluster or ego")
        if self.clusters not in CLUSTER_METHODS:
            raise ConfigError(
                f"clusters {self.clusters!r} is unknown",
                hint="use louvain, leiden, community or 3net",
            )
        if self.ego_by not in EGO_RANKINGS:
            raise ConfigError(f"ego_by {self.ego_by!r} is unknown", hint="use pagerank or degree")
        if self.egos < 1:
            raise ConfigError(f"egos must be at least 1, got {self.egos}")
        if len(self.variants) < 2 or len(set(self.variants)) != len(self.variants):
            raise ConfigError(f"variants must be two or more distinct names, got {self.variants}")
        if not 0 <= self.icc <= 1:
            raise ConfigError(f"icc must be in [0, 1], got {self.icc}")
        if not 0 <= self.max_crossing <= 1:
            raise ConfigError(f"max_crossing must be in [0, 1], got {self.max_crossing}")

    @property
    def treatment_share(self) -> float:
        """Chance that a unit gets the last (treatment) arm."""
        weights = self.weights or (1.0,) * len(self.variants)
        return float(weights[-1] / sum(weights))


def design_effect(cluster_size: float, icc: float) -> float:
    """Kish's design effect ``1 + (M − 1)·ICC`` of randomizing clusters of size M.

    Examples
    --------
    >>> design_effect(11, 0.05)
    1.5
    """
    if cluster_size < 1:
        raise ConfigError(f"cluster_size must be at least 1, got {cluster_size}")
    if not 0 <= icc <= 1:
        raise ConfigError(f"icc must be in [0, 1], got {icc}")
    return 1.0 + (cluster_size - 1.0) * icc


def cluster_design_effect(cluster_size: float | None, icc: float | None) -> float:
    """DEFF of ``ab power --cluster-size M --icc R``: 1 when no cluster size is given.

    Examples
    --------
    >>> cluster_design_effect(None, None), cluster_design_effect(21, 0.02)
    (1.0, 1.4)
    """
    if cluster_size is None:
        if icc is not None:
            raise ParameterError("icc", "needs cluster_size", hint="give both, or neither")
        return 1.0
    if icc is None:
        raise ParameterError("cluster_size", "needs icc", hint="give both, or neither")
    return design_effect(cluster_size, icc)


def with_design_effect(result: Any, deff: float) -> Any:
    """A power result for cluster randomization: users per arm multiplied by ``deff``.

    ``result`` was planned with ``n / deff`` users (when n was given) or solved for the
    users an individually randomized test needs; either way the clustered design needs
    ``deff`` times as many (Donner & Klar 2000).
    """
    import dataclasses

    if deff == 1.0:
        return result
    n = result.n_per_group * deff
    note = f"users per arm multiplied by the design effect {deff:.4g} (cluster randomization)"
    return dataclasses.replace(result, n_per_group=n, notes=(*result.notes, note))


# ----------------------------------------------------------------------- clusters


def three_net_centres(graph: nx.Graph, *, seed: int = 0) -> list[Any]:
    """Centres of Ugander et al.'s 3-net: users in seeded random order, each taken unless
    an earlier centre is within 2 hops (so centres are at least 3 hops apart)."""
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    nodes = sorted(undirected.nodes, key=str)
    order = np.random.default_rng(seed).permutation(len(nodes))
    blocked: set[Any] = set()
    centres: list[Any] = []
    for position in order:
        node = nodes[position]
        if node in blocked:
            continue
        centres.append(node)
        blocked.update(nx.single_source_shortest_path_length(undirected, node, cutoff=2))
    return centres


def three_net(graph: nx.Graph, *, seed: int = 0) -> dict[str, int]:
    """Ugander et al.'s 3-net clustering: centres ≥ 3 hops apart, users to the nearest.

    Examples
    --------
    >>> clusters = three_net(nx.path_graph(7), seed=1)
    >>> len(set(clusters.values())) >= 2
    True
    """
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    centres = three_net_centres(undirected, seed=seed)
    # Multi-source breadth-first search: each user joins the first centre to reach them.
    label: dict[Any, int] = {centre: i for i, centre in enumerate(centres)}
    queue = deque(centres)
    while queue:
        node = queue.popleft()
        for neighbour in sorted(undirected[node], key=str):
            if neighbour not in label:
                label[neighbour] = label[node]
                queue.append(neighbour)
    return {str(node): label[node] for node in undirected.nodes}


def leiden(graph: nx.Graph, *, seed: int = 0) -> dict[str, int]:
    """Leiden communities (modularity) from igraph, seeded."""
    try:
        import igraph
    except ImportError as exc:
        raise ConfigError(
            "Leiden clustering needs the igraph package",
            hint="pip install 'graphkit[leiden]' (or igraph), or use louvain or 3net",
        ) from exc
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    nodes = sorted(undirected.nodes, key=str)
    index = {node: i for i, node in enumerate(nodes)}
    g = igraph.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b in undirected.edges])
    import random

    state = random.getstate()
    random.seed(seed)  # igraph draws from Python's random module
    try:
        partition = g.community_leiden(objective_function="modularity", n_iterations=-1)
    finally:
        random.setstate(state)
    return {str(node): int(partition.membership[i]) for i, node in enumerate(nodes)}


def cluster_membership(
    graph: nx.Graph,
    method: str,
    *,
    seed: int = 0,
    written_back: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """Cluster index per user by ``method`` (see the module docstring)."""
    if method == "louvain":
        from graphkit.graph.communities import detect_communities

        return {str(u): c for u, c in detect_communities(graph, seed=seed).membership.items()}
    if method == "leiden":
        return leiden(graph, seed=seed)
    if method == "3net":
        return three_net(graph, seed=seed)
    if method == "community":
        if not written_back:
            raise InsufficientData(
                "no user has a written-back community",
                hint="run `graphkit communities --write-back` first, or use louvain",
            )
        labels: dict[Any, int] = {}
        membership = {}
        for user in sorted(graph.nodes, key=str):
            value = written_back.get(str(user))
            if value is None or (isinstance(value, float) and math.isnan(value)):
                key: Any = ("alone", str(user))  # users without one form their own cluster
            else:
                key = ("community", value)
            membership[str(user)] = labels.setdefault(key, len(labels))
        return membership
    raise ConfigError(f"clusters {method!r} is unknown")


def ego_clusters(graph: nx.Graph, count: int, *, by: str = "pagerank") -> dict[str, str]:
    """Greedy non-overlapping ego-clusters around the top users: user → ego id.

    Examples
    --------
    >>> star = nx.star_graph(3)  # 0 is the centre
    >>> sorted(set(ego_clusters(star, 2, by="degree").values()))
    ['0']
    """
    undirected = graph.to_undirected(as_view=True) if graph.is_directed() else graph
    if by == "pagerank":
        from graphkit.graph.centrality import pagerank

        score = pagerank(undirected)
    elif by == "degree":
        score = dict(undirected.degree())
    else:
        raise ConfigError(f"ego ranking {by!r} is unknown", hint="use pagerank or degree")
    ranked = sorted(undirected.nodes, key=lambda node: (-score[node], str(node)))
    owner: dict[str, str] = {}
    egos = 0
    for ego in ranked:
        if egos == count:
            break
        members = {ego, *undirected[ego]}
        if len(members) < 2 or any(str(m) in owner for m in members):
            continue
        for member in members:
            owner[str(member)] = str(ego)
        egos += 1
    return owner


# ----------------------------------------------------------------------- the design


@dataclass(frozen=True)
class ClusterSizes:
    count: int
    min: int
    median: float
    mean: float
    weighted_mean: float
    """Σ m² / Σ m: the cluster size an average user sees (used for the design effect)."""
    max: int
    singletons: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "min": self.min,
            "median": self.median,
            "mean": self.mean,
            "weighted_mean": self.weighted_mean,
            "max": self.max,
            "singletons": self.singletons,
        }


@dataclass(frozen=True)
class DesignDiagnostics:
    """How much the design leaves the arms connected, and how balanced it is."""

    ties: int
    crossing_share: float | None
    """Share of ties whose two users are in different arms."""
    treated_crossing_share: float | None
    """Share of treated users' ties that reach a user in another arm."""
    arms: dict[str, dict[str, float]]
    """Per arm: users, share of users, mean degree."""
    cluster_sizes: ClusterSizes | None
    icc: float
    design_effect: float
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ties": self.ties,
            "crossing_share": self.crossing_share,
            "treated_crossing_share": self.treated_crossing_share,
            "arms": self.arms,
            "cluster_sizes": self.cluster_sizes.to_dict() if self.cluster_sizes else None,
            "icc": self.icc,
            "design_effect": self.design_effect,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class NetworkDesign:
    """A network design: every user's arm, unit and role, and its diagnostics."""

    settings: DesignSettings
    assignments: pd.DataFrame
    """``user_id, variant, unit, role`` (role: user, ego, alter, member)."""
    diagnostics: DesignDiagnostics
    notes: tuple[str, ...] = field(default=())

    @property
    def randomization(self) -> str:
        return "bernoulli" if self.settings.unit == "user" else "cluster"

    def to_dict(self) -> dict[str, Any]:
        s = self.settings
        return {
            "experiment": s.experiment,
            "unit": s.unit,
            "clusters": s.clusters if s.unit == "cluster" else None,
            "egos": s.egos if s.unit == "ego" else None,
            "ego_by": s.ego_by if s.unit == "ego" else None,
            "variants": list(s.variants),
            "weights": list(s.weights) if s.weights else None,
            "salt": s.salt,
            "seed": s.seed,
            "randomization": self.randomization,
            "p": s.treatment_share,
            "users": len(self.assignments),
            "units": int(self.assignments["unit"].nunique()),
            "diagnostics": self.diagnostics.to_dict(),
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        return self.assignments.copy()

    def membership(self) -> dict[str, str]:
        """user → randomization unit (what ``ab spillover`` needs to recompute exposure
        probabilities)."""
        return dict(zip(self.assignments["user_id"], self.assignments["unit"], strict=True))


def _unit_keys(users: Sequence[str], groups: Mapping[str, Any]) -> dict[str, str]:
    """Each user's randomization unit: ``cluster:<smallest member>`` or the user id."""
    members: dict[Any, list[str]] = {}
    for user in users:
        if user in groups:
            members.setdefault(groups[user], []).append(user)
    key_of = {group: f"cluster:{min(names)}" for group, names in members.items()}
    return {user: key_of[groups[user]] if user in groups else user for user in users}


def design_experiment(
    graph: nx.Graph, settings: DesignSettings, **cluster_options: Any
) -> NetworkDesign:
    """Randomize users, clusters or ego-clusters of ``graph`` with the salted hash.

    Parameters
    ----------
    graph : networkx.Graph
        The interaction graph before assignment (directed graphs are folded).
    settings : DesignSettings
    cluster_options
        ``written_back`` (user → community) for ``clusters="community"``.

    Returns
    -------
    NetworkDesign

    Examples
    --------
    >>> g = nx.connected_caveman_graph(4, 5)
    >>> g = nx.relabel_nodes(g, {n: f"u{n:02d}" for n in g})
    >>> d = design_experiment(g, DesignSettings("exp", unit="cluster"))
    >>> d.diagnostics.crossing_share < 0.2
    True
    """
    if graph.number_of_nodes() == 0:
        raise InsufficientData("the graph has no users", hint="load a dataset first")
    undirected = graph.to_undirected() if graph.is_directed() else graph
    users = sorted(str(u) for u in undirected.nodes)
    roles = dict.fromkeys(users, "user")
    notes: list[str] = []
    if settings.unit == "user":
        units = {u: u for u in users}
    elif settings.unit == "cluster":
        membership = cluster_membership(
            undirected,
            settings.clusters,
            seed=settings.seed,
            written_back=cluster_options.get("written_back"),
        )
        units = _unit_keys(users, membership)
        roles = dict.fromkeys(users, "member")
    else:
        owner = ego_clusters(undirected, settings.egos, by=settings.ego_by)
        units = _unit_keys(users, owner)
        for user in users:
            if user in owner:
                roles[user] = "ego" if owner[user] == user else "alter"
        found = len(set(owner.values()))
        if found < settings.egos:
            notes.append(f"only {found} non-overlapping ego-clusters found ({settings.egos} asked)")
    unit_ids = sorted(set(units.values()))
    arm_of_unit = assign(
        unit_ids,
        settings.experiment,
        salt=settings.salt,
        variants=settings.variants,
        weights=settings.weights,
    )
    variant = [arm_of_unit[units[u]] for u in users]
    table = pd.DataFrame(
        {
            "user_id": users,
            "variant": variant,
            "unit": [units[u] for u in users],
            "role": [roles[u] for u in users],
        }
    )
    diagnostics = diagnose(undirected, table, settings)
    return NetworkDesign(settings, table, diagnostics, tuple(notes))


def diagnose(graph: nx.Graph, table: pd.DataFrame, settings: DesignSettings) -> DesignDiagnostics:
    """Crossing ties, balance per arm, cluster sizes and the design effect."""
    arm = dict(zip(table["user_id"], table["variant"], strict=True))
    treatment = settings.variants[-1]
    edges = [(str(a), str(b)) for a, b in graph.edges if a != b]
    crossing = [arm[a] != arm[b] for a, b in edges]
    treated_ends = 0
    treated_crossing = 0
    for (a, b), crosses in zip(edges, crossing, strict=True):
        for end in (a, b):
            if arm[end] == treatment:
                treated_ends += 1
                treated_crossing += crosses
    degree = dict(graph.degree())
    arms: dict[str, dict[str, float]] = {}
    for name in settings.variants:
        members = table.loc[table["variant"] == name, "user_id"]
        arms[name] = {
            "users": int(members.size),
            "share": float(members.size / len(table)),
            "mean_degree": float(np.mean([degree[u] for u in members]))
            if members.size
            else math.nan,
        }
    sizes = None
    size_for_deff = 1.0
    if settings.unit != "user":
        counts = table.groupby("unit").size().to_numpy()
        weighted = float((counts**2).sum() / counts.sum())
        sizes = ClusterSizes(
            count=int(counts.size),
            min=int(counts.min()),
            median=float(np.median(counts)),
            mean=float(counts.mean()),
            weighted_mean=weighted,
            max=int(counts.max()),
            singletons=int((counts == 1).sum()),
        )
        size_for_deff = weighted
    treated_share = treated_crossing / treated_ends if treated_ends else None
    warnings: list[str] = []
    if (
        settings.unit == "user"
        and treated_share is not None
        and treated_share > settings.max_crossing
    ):
        warnings.append(
            f"{treated_share:.0%} of treated users' ties reach users in another arm (more than "
            f"{settings.max_crossing:.0%}): spillover will bias a user-level comparison; "
            "consider unit='cluster'"
        )
    return DesignDiagnostics(
        ties=len(edges),
        crossing_share=float(np.mean(crossing)) if crossing else None,
        treated_crossing_share=treated_share,
        arms=arms,
        cluster_sizes=sizes,
        icc=settings.icc,
        design_effect=design_effect(size_for_deff, settings.icc),
        warnings=tuple(warnings),
    )
