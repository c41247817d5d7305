"""Choosing an engine: names, auto, environment, graphkit.toml, and the CLI's --engine."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from graphkit.config import resolve_settings
from graphkit.errors import ConfigError
from graphkit.graph.centrality import centrality
from graphkit.graph.engines import PulledGraph, get_engine, resolve_engine

runner = CliRunner()


def test_auto_is_igraph_and_names_resolve(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("GRAPHKIT_ENGINE", raising=False)
    assert resolve_engine(None).name == "igraph"
    assert resolve_engine("auto").name == "igraph"
    assert resolve_engine("networkx").name == "networkx"
    monkeypatch.setenv("GRAPHKIT_ENGINE", "networkx")
    assert resolve_engine(None).name == "networkx"
    assert resolve_engine("igraph").name == "igraph"  # an explicit name beats the env


def test_unknown_and_unavailable_engines_raise_config_errors():
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        resolve_engine("spark")
    # The gds engine exists but computes inside Neo4j only.
    with pytest.raises(ConfigError, match="gds engine computes inside Neo4j"):
        get_engine("gds").open(PulledGraph.from_networkx(nx.path_graph(3))).__enter__()


def test_settings_read_the_engine_from_env_and_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    config = tmp_path / "graphkit.toml"
    config.write_text('[graph]\nengine = "networkx"\n')
    monkeypatch.delenv("GRAPHKIT_ENGINE", raising=False)
    assert resolve_settings(config_file=config).engine == "networkx"
    monkeypatch.setenv("GRAPHKIT_ENGINE", "igraph")
    assert resolve_settings(config_file=config).engine == "igraph"
    assert resolve_settings(config_file=config, engine="networkx").engine == "networkx"
    config.write_text('[graph]\nengine = "fast"\n')
    monkeypatch.delenv("GRAPHKIT_ENGINE")
    with pytest.raises(ConfigError, match="unknown graph engine 'fast'"):
        resolve_settings(config_file=config)


def test_results_name_the_engine_that_computed_them():
    graph = nx.path_graph(4)
    assert centrality(graph, engine="networkx").engine == "networkx"
    assert centrality(graph, engine="igraph").engine == "igraph"
    with get_engine("igraph").open(PulledGraph.from_networkx(graph)) as opened:
        # The path's middle users carry 2 of the 3 pairs' paths: 2 / ((n-1)(n-2)/2) = 2/3.
        assert opened.betweenness(weighted=False).tolist() == pytest.approx([0, 2 / 3, 2 / 3, 0])


@pytest.fixture
def store(tmp_path: Path, tiny_dataset_dir: Path) -> Path:
    folder = tmp_path / "store"
    result = runner.invoke(app, ["load", str(tiny_dataset_dir), "--store", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def invoke(*args: str, env: dict[str, str] | None = None):
    base = {"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": "", "GRAPHKIT_ENGINE": ""}
    return runner.invoke(app, list(args), env={**base, **(env or {})})


def test_cli_engine_flag_env_and_notes(store: Path):
    flag = invoke("centrality", "--store", str(store), "--engine", "networkx", "--format", "json")
    assert flag.exit_code == 0, flag.output
    assert {row["engine"] for row in json.loads(flag.stdout)} == {"networkx"}
    assert "computed by the networkx engine" in flag.stderr
    env = invoke(
        "centrality", "--store", str(store), "--format", "json", env={"GRAPHKIT_ENGINE": "networkx"}
    )
    assert {row["engine"] for row in json.loads(env.stdout)} == {"networkx"}
    same = json.loads(flag.stdout)
    compiled = json.loads(
        invoke("centrality", "--store", str(store), "--engine", "igraph", "--format", "json").stdout
    )
    for a, b in zip(same, compiled, strict=True):
        assert a["user_id"] == b["user_id"]
        for measure in ("degree", "betweenness", "closeness", "pagerank"):
            assert a[measure] == pytest.approx(b[measure], abs=1e-9)


def test_cli_leiden_and_gds(store: Path):
    leiden = invoke("communities", "--store", str(store), "--method", "leiden", "--format", "json")
    assert leiden.exit_code == 0, leiden.output
    body = json.loads(leiden.stdout)
    assert body["engine"] == "igraph" and body["method"] == "leiden"
    # a and b interact three times and share a triangle with c: one community.
    assert body["membership"]["a"] == body["membership"]["b"]
    gds = invoke("features", "--store", str(store), "--engine", "gds")
    assert gds.exit_code == 2
    assert "gds" in gds.stderr and "Traceback" not in gds.output
