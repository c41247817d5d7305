"""The gds engine's contract beyond the numbers: subgraph options, projections always
dropped, the memory check, auto detection, and what GDS cannot do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.errors import ConfigError, GraphkitError, InsufficientData
from graphkit.graph.engines import (
    PulledGraph,
    choose_sources,
    get_engine,
    open_subgraph,
    resolve_engine,
)
from graphkit.graph.engines.gds import PROJECTION_PREFIX, GdsEngine, GdsSession, gds_version
from graphkit.graph.pull import SubgraphSpec, pull_graph
from graphkit.simulation import simulate_network
from graphkit.simulation import write_dataset as write_simulated
from graphkit.store.local_store import LocalStore
from graphkit.store.neo4j_store import Neo4jStore
from tests.conftest import require_neo4j, wipe
from tests.graph.test_communities import nmi

pytestmark = pytest.mark.neo4j

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """600 simulated users with planted communities, several interaction types and
    three months of times; `community` written back as the planted community."""
    settings = require_neo4j()
    wipe(settings)
    folder = tmp_path_factory.mktemp("sim")
    sim = simulate_network(600, seed=9, n_communities=6, mixing=0.05)
    write_simulated(sim, folder)
    store = Neo4jStore(settings)
    try:
        store.load(load_dataset(folder))
        planted = sim.users[["user_id", "true_community"]].rename(
            columns={"true_community": "community"}
        )
        store.write_user_properties(planted)
    finally:
        store.close()
    yield settings


@pytest.fixture
def store(simulated: Settings) -> Iterator[Neo4jStore]:
    store = Neo4jStore(simulated)
    yield store
    store.close()


def leftover_projections(store: Neo4jStore) -> list[str]:
    return GdsSession(store).run("gds_projections", prefix=PROJECTION_PREFIX)["names"]


SPECS = {
    "window": SubgraphSpec(
        since=datetime(2026, 1, 20, tzinfo=UTC), until=datetime(2026, 2, 20, tzinfo=UTC)
    ),
    "type": SubgraphSpec(types=("message", "comment")),
    "min_weight": SubgraphSpec(min_weight=3.0),
    "directed": SubgraphSpec(directed=True, min_weight=2.0),
    "ego": SubgraphSpec(ego="u000017", hops=2, types=("message",)),
    "community": SubgraphSpec(community=2),
    "community_ego_directed": SubgraphSpec(community=1, ego="u000015", hops=2, directed=True),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_projection_honours_every_subgraph_option(store: Neo4jStore, name: str):
    spec = SPECS[name]
    graph = pull_graph(store, spec)
    if name == "community_ego_directed" and "u000015" not in graph:
        pytest.fail("the fixture's ego user must be in community 1")
    pulled = PulledGraph.from_networkx(graph)
    with (
        GdsEngine().open(store=store, spec=spec) as gds,
        get_engine("networkx").open(pulled) as nx_,
    ):
        assert (gds.nodes, gds.edges) == (pulled.nodes, pulled.edges)
        for weighted in (False, True):
            for measure in ("degree", "pagerank", "closeness"):
                actual = getattr(gds, measure)(weighted=weighted)
                expected = getattr(nx_, measure)(weighted=weighted).reindex(actual.index)
                np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE)
        assert gds.components().equals(nx_.components())
    assert leftover_projections(store) == []


def test_sampled_betweenness_is_graphkits_estimate_and_says_who_computed_it(
    store: Neo4jStore,
):
    spec = SubgraphSpec(types=("message", "like"))
    pulled = PulledGraph.from_networkx(pull_graph(store, spec))
    sources = choose_sources(pulled.user_ids, 40, seed=7)
    with (
        GdsEngine().open(store=store, spec=spec) as gds,
        get_engine("networkx").open(pulled) as ref,
    ):
        for weighted in (False, True):
            actual = gds.betweenness(weighted=weighted, sources=sources)
            expected = ref.betweenness(weighted=weighted, sources=sources)
            np.testing.assert_allclose(actual, expected.reindex(actual.index), atol=TOLERANCE)
        assert gds.computed_by == {"betweenness": "igraph"}
        assert "cannot take a list of source users" in gds.notes[0]
        # Exact betweenness stays in GDS.
        exact = gds.betweenness(weighted=False)
        np.testing.assert_allclose(
            exact, ref.betweenness(weighted=False).reindex(exact.index), atol=TOLERANCE
        )


@pytest.mark.parametrize("method", ["louvain", "leiden"])
def test_communities_recover_the_planted_partition(store: Neo4jStore, method: str):
    truth = store.users_table().set_index("user_id")["true_community"]
    with GdsEngine().open(store=store, spec=SubgraphSpec()) as gds:
        partition = gds.communities(method=method, weighted=True, resolution=1.0, seed=3)
    found = partition.membership.reindex(truth.index)
    assert nmi(truth.tolist(), found.tolist()) >= 0.9
    assert partition.modularity > 0.5


def test_what_gds_lacks_is_computed_by_igraph_and_said(store: Neo4jStore):
    """Greedy modularity and Louvain at another resolution are not in GDS: igraph computes
    them on the fold the other engines use, and the graph says so."""
    spec = SubgraphSpec(directed=True, min_weight=2.0)
    pulled = PulledGraph.from_networkx(pull_graph(store, spec)).undirected()
    with (
        open_subgraph(GdsEngine(), store, spec) as (graph, fold),
        get_engine("igraph").open(pulled) as ref,
    ):
        for method, resolution in (("greedy", 1.0), ("louvain", 0.5)):
            found = fold.communities(method=method, weighted=True, resolution=resolution, seed=4)
            expected = ref.communities(method=method, weighted=True, resolution=resolution, seed=4)
            assert found.engine == "igraph"
            assert found.membership.equals(expected.membership)
            assert found.modularity == pytest.approx(expected.modularity, abs=TOLERANCE)
        assert graph.computed_by == {"communities": "igraph"}
        assert "GDS has no greedy modularity" in graph.notes[0]


def test_projection_is_dropped_on_error_and_on_ctrl_c(store: Neo4jStore):
    names = []
    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)), GdsEngine().open(store=store, spec=SubgraphSpec()) as gds:
            names.append(gds.name)
            assert leftover_projections(store) == [gds.name]
            raise exc
        assert leftover_projections(store) == []
    assert len(set(names)) == 2, "every run projects under its own name"


def test_two_runs_at_once_use_their_own_projections(store: Neo4jStore):
    engine = GdsEngine()
    with engine.open(store=store, spec=SubgraphSpec()) as first:
        with engine.open(store=store, spec=SubgraphSpec(directed=True)) as second:
            assert sorted(leftover_projections(store)) == sorted([first.name, second.name])
            assert second.edges > first.edges
        assert leftover_projections(store) == [first.name]


def test_a_graph_that_does_not_fit_is_refused_before_projecting(store: Neo4jStore):
    refused = pytest.raises(GraphkitError, match=r"needs about [\d,]+ MiB of Neo4j heap")
    with refused as info, GdsEngine(memory_budget=1024).open(store=store, spec=SubgraphSpec()):
        pass
    assert "600 users" in info.value.message
    assert "NEO4J_HEAP" in (info.value.hint or "")
    assert leftover_projections(store) == []


def test_unknown_ego_or_empty_community_is_insufficient_data(store: Neo4jStore):
    for spec, message in (
        (SubgraphSpec(ego="nobody"), "not in the graph"),
        (SubgraphSpec(community=99), "community 99"),
    ):
        with (
            pytest.raises(InsufficientData, match=message),
            GdsEngine().open(store=store, spec=spec),
        ):
            pass


def test_auto_picks_gds_on_neo4j_with_the_plugin(store: Neo4jStore, tmp_path: Path):
    assert gds_version(store) == "2.13.9"
    choice = resolve_engine("auto", store)
    assert choice.name == "gds"
    assert "Graph Data Science 2.13.9" in choice.reason
    local = LocalStore(tmp_path / "store")
    assert gds_version(local) is None
    assert resolve_engine("auto", local).name == "igraph"


def test_gds_engine_needs_neo4j(tmp_path: Path):
    local = LocalStore(tmp_path / "store")
    with pytest.raises(ConfigError, match="inside Neo4j"), GdsEngine().open(store=local):
        pass


def test_scores_cover_users_without_ties(store: Neo4jStore):
    """A narrow window leaves most users without ties: they are still scored (0)."""
    spec = SubgraphSpec(
        since=datetime(2026, 1, 1, tzinfo=UTC), until=datetime(2026, 1, 2, tzinfo=UTC)
    )
    with GdsEngine().open(store=store, spec=spec) as gds:
        degree = gds.degree(weighted=False)
        assert len(degree) == 600
        lonely = degree[degree == 0].index
        assert len(lonely) > 0
        assert (gds.closeness(weighted=False)[lonely] == 0).all()
        assert (gds.clustering()[lonely] == 0).all()
        assert pd.Series(gds.pagerank(weighted=True)).sum() == pytest.approx(1.0)


def test_directed_subgraph_opens_its_fold_on_the_same_projection(store: Neo4jStore):
    """The fold keeps the ordered pairs that pass min_weight, summed (as PulledGraph does)."""
    spec = SubgraphSpec(directed=True, min_weight=2.0)
    pulled = PulledGraph.from_networkx(pull_graph(store, spec)).undirected()
    with open_subgraph(GdsEngine(), store, spec) as (graph, fold):
        assert fold.name == graph.name and not fold.directed
        assert fold.edges == pulled.edges
        with get_engine("networkx").open(pulled) as ref:
            for weighted in (False, True):
                actual = fold.degree(weighted=weighted)
                expected = ref.degree(weighted=weighted).reindex(actual.index)
                np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE)
            actual = fold.clustering()
            np.testing.assert_allclose(
                actual, ref.clustering().reindex(actual.index), atol=TOLERANCE
            )
        assert leftover_projections(store) == [graph.name]
    assert leftover_projections(store) == []


def stored(store: Neo4jStore, column: str) -> pd.Series:
    return store.users_table().set_index("user_id")[column]


def test_write_back_runs_in_gds_write_mode_with_graphkits_values(store: Neo4jStore):
    spec = SubgraphSpec(types=("message", "comment", "like"))
    with GdsEngine().open(store=store, spec=spec) as gds:
        n = gds.nodes
        sources = choose_sources(gds.user_ids(), 50, seed=1)
        table = pd.DataFrame(
            {
                "user_id": gds.user_ids(),
                "degree": gds.degree(weighted=True) / (n - 1),
                "pagerank": gds.pagerank(weighted=True),
                "betweenness": gds.betweenness(weighted=False),
                "closeness": gds.closeness(weighted=False, sources=sources),
            }
        ).reset_index(drop=True)
        partition = gds.communities(method="leiden", weighted=True, resolution=1.0, seed=5)
        table["community"] = partition.membership.reindex(table["user_id"]).to_numpy()
        assert gds.write_back(table) == n
        # Sampled closeness was estimated in Python from graphkit's pivots: the store wrote it.
        assert gds.written_in_gds == ["degree", "pagerank", "betweenness", "community"]
    for column in ("degree", "pagerank", "betweenness", "closeness"):
        written = stored(store, column).reindex(table["user_id"]).to_numpy(dtype=float)
        np.testing.assert_allclose(written, table[column], rtol=1e-12, atol=1e-15)
    assert (
        stored(store, "community").reindex(table["user_id"]).to_numpy() == table["community"]
    ).all()


def test_centrality_workflow_writes_back_through_gds(simulated: Settings):
    from graphkit.workflows.network import analyze_centrality

    result = analyze_centrality(simulated, SubgraphSpec(), engine="gds", write_back=True)
    assert result.engine == "gds"
    store = Neo4jStore(simulated)
    try:
        scores = result.scores.set_index("user_id")
        for column in ("degree", "pagerank", "betweenness", "closeness"):
            written = stored(store, column).reindex(scores.index)
            np.testing.assert_allclose(written, scores[column], rtol=1e-12, atol=1e-15)
        assert leftover_projections(store) == []
    finally:
        store.close()


def test_influencer_report_computes_in_gds(simulated: Settings, tmp_path: Path):
    """`report influencers --engine gds` runs on a Neo4j store (it once asked for a store
    path): the scores come from GDS, equal the igraph engine's, and nothing is left over."""
    from typer.testing import CliRunner

    from graphkit.cli import app
    from graphkit.workflows.reports import analyze_influencers

    in_gds = analyze_influencers(simulated, engine="gds", top=5)
    in_igraph = analyze_influencers(simulated, engine="igraph", top=5)
    assert in_gds.engine == "gds" and in_igraph.engine == "igraph"
    gds_users = in_gds.users.set_index("user_id").sort_index()
    igraph_users = in_igraph.users.set_index("user_id").sort_index()
    for column in ("degree", "pagerank", "betweenness", "closeness", "clustering"):
        np.testing.assert_allclose(
            gds_users[column], igraph_users[column], rtol=TOLERANCE, atol=TOLERANCE
        )
    out = tmp_path / "influencers.json"
    env = {
        "GRAPHKIT_NEO4J_URI": simulated.neo4j_uri or "",
        "GRAPHKIT_NEO4J_PASSWORD": simulated.neo4j_password or "",
        "GRAPHKIT_STORE": "",
        "GRAPHKIT_ENGINE": "",
    }
    result = CliRunner().invoke(
        app, ["report", "influencers", "--engine", "gds", "--top", "5", "--out", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "gds" in json.dumps(json.loads(out.read_text()))
    store = Neo4jStore(simulated)
    try:
        assert leftover_projections(store) == []
    finally:
        store.close()
