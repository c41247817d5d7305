"""The notebook API: each network command's twin, called from Python on a real store,
gives exactly what the CLI prints for the same data (``--format json`` = ``to_dict()``,
CSV = ``to_frame()``)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import graphkit
from graphkit.cli import app
from graphkit.cli.common import to_json
from graphkit.config import Settings
from graphkit.graph.pull import SubgraphSpec
from graphkit.reports import render_json
from graphkit.store import LocalStore

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""})
    assert result.exit_code == 0, result.output
    return result.stdout


def as_printed(result) -> object:
    """The twin's dict as the CLI's JSON renderer writes it (sorted keys, NaN as null)."""
    return json.loads(to_json(result.to_dict()))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("twins") / "data"
    result = graphkit.simulate(folder, users=80, seed=5, events=False)
    assert {p.name for p in result.files} == {"users.csv", "interactions.csv"}
    return folder


@pytest.fixture
def store(dataset: Path, tmp_path: Path):
    opened = LocalStore(tmp_path / "store")
    loaded = graphkit.load(opened, dataset)
    assert loaded.summary.users == 80
    yield opened
    opened.close()


def test_simulate_writes_what_the_cli_writes(tmp_path: Path):
    result = graphkit.simulate(tmp_path / "py", users=60, seed=3, experiment="feed")
    run("simulate", str(tmp_path / "cli"), "--users", "60", "--seed", "3", "--experiment", "feed")
    for path in result.files:
        twin = tmp_path / "cli" / path.relative_to(tmp_path / "py")
        assert path.read_bytes() == twin.read_bytes()
    assert result.experiment == "feed" and result.truth is not None
    assert result.to_dict()["users"] == 60
    saved = pd.read_csv(tmp_path / "cli" / "truth" / "experiment_feed.csv")
    assert saved["metric"].tolist() == result.truth["metric"].tolist()


def test_simulation_settings_are_checked_before_anything_is_written(tmp_path: Path):
    with pytest.raises(graphkit.ConfigError) as caught:
        graphkit.simulate(tmp_path / "x", users=60, spillover=0.3)
    assert caught.value.parameter == "experiment"  # type: ignore[attr-defined]
    assert not (tmp_path / "x").exists()


def test_load_twin_reports_the_counts(dataset: Path, tmp_path: Path):
    store = LocalStore(tmp_path / "store")
    result = graphkit.load(store, dataset)
    store.close()
    assert result.to_dict()["users"] == 80
    assert result.message.startswith("loaded 80 users, ")
    # The former order, load(folder, settings), still loads.
    again = graphkit.load(dataset, Settings(store_dir=tmp_path / "store"))
    assert again.summary == result.summary


def test_centrality_twin_is_the_cli_json_and_csv(store: LocalStore):
    result = graphkit.centrality(store, measures=["pagerank", "degree"], top=5, seed=1)
    assert len(result.to_frame()) == 5
    folder = str(store.folder)
    printed = run(
        "centrality", "--store", folder, "-m", "pagerank", "-m", "degree", "-n", "5",
        "--seed", "1", "-f", "json",
    )  # fmt: skip
    assert json.loads(printed) == as_printed(result)
    csv = run(
        "centrality", "--store", folder, "-m", "pagerank", "-m", "degree", "-n", "5", "-f", "csv"
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(io.StringIO(csv), dtype={"user_id": str}), result.to_frame()
    )


def test_communities_twin_is_the_cli_json(store: LocalStore):
    result = graphkit.communities(store, method="greedy", weighted=True)
    printed = run(
        "communities",
        "--store",
        str(store.folder),
        "--method",
        "greedy",
        "--weighted",
        "-f",
        "json",
    )
    assert json.loads(printed) == as_printed(result)
    assert result.to_frame()["user_id"].nunique() == 80


def test_features_twin_is_the_cli_json_on_a_subgraph(store: LocalStore):
    spec = SubgraphSpec(min_weight=2.0)
    result = graphkit.features(store, spec, seed=2)
    printed = run(
        "features", "--store", str(store.folder), "--min-weight", "2", "--seed", "2", "-f", "json"
    )
    assert json.loads(printed) == as_printed(result)


def test_influencer_report_twin_is_the_cli_report(store: LocalStore, tmp_path: Path):
    report = graphkit.report.influencers(store, top=5)
    out = tmp_path / "influencers.json"
    run("report", "influencers", "--store", str(store.folder), "--top", "5", "--out", str(out))
    assert out.read_text(encoding="utf-8") == render_json(report)


def test_browser_twin_is_the_cli_list():
    result = graphkit.browser()
    assert json.loads(run("browser", "--list", "-f", "json")) == as_printed(result)
    assert run("browser", "top_influencers") == graphkit.browser(["top_influencers"]).text


@pytest.mark.neo4j
def test_twins_on_neo4j_match_the_cli(neo4j_settings: Settings, dataset: Path):
    from graphkit.store.neo4j_store import Neo4jStore

    store = Neo4jStore(neo4j_settings)
    try:
        assert graphkit.load(store, dataset).summary.users == 80
        result = graphkit.centrality(store, top=10, engine="networkx")
        communities = graphkit.communities(store, engine="networkx", write_back=True)
    finally:
        store.close()
    flags = ["--neo4j", neo4j_settings.neo4j_uri or "", "--neo4j-user", neo4j_settings.neo4j_user]
    flags += ["--neo4j-password", neo4j_settings.neo4j_password or "", "--engine", "networkx"]
    assert json.loads(run("centrality", *flags, "-n", "10", "-f", "json")) == as_printed(result)
    printed = run("communities", *flags, "-f", "json")
    assert json.loads(printed) == as_printed(communities)
