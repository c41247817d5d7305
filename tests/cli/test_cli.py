"""The CLI end to end on the embedded store: exit codes, stdout data, stderr messages."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from tests.conftest import TINY_INTERACTIONS, TINY_USERS, write_dataset

runner = CliRunner()


def run(*args: str, env: dict | None = None):
    base = {"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""}
    return runner.invoke(app, list(args), env={**base, **(env or {})})


@pytest.fixture
def loaded(tmp_path: Path, tiny_dataset_dir: Path) -> Path:
    store = tmp_path / "store"
    result = run("load", str(tiny_dataset_dir), "--store", str(store))
    assert result.exit_code == 0, result.output
    assert "loaded 6 users, 9 interactions" in result.stderr
    assert "1 self-interaction" in result.stderr
    return store


def test_centrality_json_contract(loaded: Path):
    result = run("centrality", "--store", str(loaded), "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [set(r) for r in rows] == [
        {"user_id", "degree", "betweenness", "closeness", "pagerank", "engine"}
    ] * 6
    assert {r["engine"] for r in rows} == {"igraph"}  # auto resolves to the compiled engine
    assert [r["pagerank"] for r in rows] == sorted((r["pagerank"] for r in rows), reverse=True)
    by_user = {r["user_id"]: r for r in rows}
    assert by_user["f"]["degree"] == 0.0
    assert by_user["c"]["degree"] == pytest.approx(3 / 5)  # a, b, d out of n-1 = 5


def test_centrality_top_measure_and_csv(loaded: Path):
    result = run(
        "centrality", "--store", str(loaded), "-m", "degree", "--top", "2", "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "user_id,degree"
    # c has 3 ties (0.6); a, b and d 2 each (0.4): ties go by user id
    assert [line.split(",")[0] for line in lines[1:]] == ["c", "a"]


def test_centrality_sampled_is_flagged(loaded: Path):
    result = run("centrality", "--store", str(loaded), "--sample", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "betweenness is approximate" in result.stderr
    assert json.loads(result.stdout)[0]["approximate"] == ["betweenness", "closeness"]


def test_communities_json_contract_and_write_back(loaded: Path):
    result = run(
        "communities",
        "--store",
        str(loaded),
        "--method",
        "greedy",
        "--format",
        "json",
        "--write-back",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"method", "modularity", "membership", "communities"} <= set(data)
    assert data["method"] == "greedy"
    assert set(data["membership"]) == {"a", "b", "c", "d", "e", "f"}
    assert data["membership"]["a"] == data["membership"]["b"]
    # the written-back ids drive --community pulls
    community = str(data["membership"]["d"])
    ego = run("centrality", "--store", str(loaded), "--community", community, "-f", "json")
    assert ego.exit_code == 0, ego.output
    members = {u for u, c in data["membership"].items() if str(c) == community}
    assert {r["user_id"] for r in json.loads(ego.stdout)} == members


def test_features_table_to_file(loaded: Path, tmp_path: Path):
    out = tmp_path / "features.csv"
    result = run("features", "--store", str(loaded), "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == [
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
    row = table.set_index("user_id").loc["a"]
    assert row["degree"] == 2 and row["weighted_degree"] == 8.0  # a-b 7, a-c 1
    assert row["clustering"] == 1.0  # a's neighbours b and c are tied
    assert table["influencer"].sum() == 1  # top 1% of 6 users rounds up to one


def test_filters_reach_the_pull(loaded: Path):
    result = run(
        "centrality",
        "--store",
        str(loaded),
        "--type",
        "comment",
        "--since",
        "2026-01-10",
        "-m",
        "degree",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.output
    degrees = {r["user_id"]: r["degree"] for r in json.loads(result.stdout)}
    assert degrees["d"] == pytest.approx(2 / 5) and degrees["a"] == 0.0


def test_table_output_goes_to_stdout(loaded: Path):
    result = run("centrality", "--store", str(loaded), "--top", "3")
    assert result.exit_code == 0
    assert "user_id" in result.stdout and "pagerank" in result.stdout
    assert "user_id" not in result.stderr


def test_invalid_dataset_exit_2_and_nothing_written(tmp_path: Path):
    bad = TINY_INTERACTIONS.replace(
        "d,e,comment,2026-01-20T10:00:00Z,2\n", "d,zz,comment,2026-01-20T10:00:00Z,2\n", 1
    )
    folder = write_dataset(tmp_path / "bad", TINY_USERS, bad)
    store = tmp_path / "store"
    result = run("load", str(folder), "--store", str(store))
    assert result.exit_code == 2
    assert "interactions.csv, line 8, column 'target_id'" in result.stderr
    assert "'zz' is not in users.csv" in result.stderr
    assert "hint:" in result.stderr
    assert not store.exists()


def test_empty_store_exit_3(tmp_path: Path):
    result = run("centrality", "--store", str(tmp_path / "nothing"))
    assert result.exit_code == 3
    assert "holds no dataset" in result.stderr and "graphkit load" in result.stderr


def test_unreachable_neo4j_exit_3_without_password(tiny_dataset_dir: Path):
    result = run(
        "load",
        str(tiny_dataset_dir),
        "--neo4j",
        "bolt://127.0.0.1:1",
        env={"GRAPHKIT_NEO4J_PASSWORD": "s3cret-pw"},
    )
    assert result.exit_code == 3
    assert "not reachable" in result.stderr and "neo4j-local start" in result.stderr
    assert "s3cret-pw" not in result.output


def test_bad_option_values_exit_2(loaded: Path):
    assert run("centrality", "--store", str(loaded), "-m", "eigen").exit_code == 2
    assert (
        run(
            "centrality", "--store", str(loaded), "--since", "2026-02-01", "--until", "2026-01-01"
        ).exit_code
        == 2
    )
    assert run("centrality", "--neo4j", "http://x").exit_code == 2


def test_simulate_is_deterministic(tmp_path: Path):
    for name in ("one", "two"):
        result = run("simulate", str(tmp_path / name), "--users", "300", "--seed", "3")
        assert result.exit_code == 0, result.output
    for table in ("users.csv", "interactions.csv"):
        assert (tmp_path / "one" / table).read_bytes() == (tmp_path / "two" / table).read_bytes()
    again = run("simulate", str(tmp_path / "one"), "--users", "300")
    assert again.exit_code == 2 and "--force" in again.stderr


def test_simulate_an_experiment_then_load_and_analyze(tmp_path: Path):
    folder, store = tmp_path / "exp", tmp_path / "store"
    result = run(
        "simulate",
        str(folder),
        "--users",
        "600",
        "--seed",
        "2",
        "--experiment",
        "feed",
        "--effect",
        "sessions=0.3",
    )
    assert result.exit_code == 0, result.output
    assert "true effects (ground truth" in result.stderr
    assert {p.name for p in folder.iterdir()} == {
        "users.csv",
        "interactions.csv",
        "events.csv",
        "assignments.csv",
        "truth",
    }
    truth = pd.read_csv(folder / "truth" / "experiment_feed.csv")
    assert truth.loc[truth["metric"] == "sessions", "lift"].tolist() == [0.3]
    params = json.loads((folder / "truth" / "experiment_feed.json").read_text())
    assert params["seed"] == 2 and params["salt"] == "seed-2"
    loaded = run("load", str(folder), "--store", str(store))
    assert loaded.exit_code == 0, loaded.output
    assert "events" in loaded.stderr and "assignments" in loaded.stderr
    analysis = run("ab", "analyze", "feed", "--store", str(store), "-m", "sessions", "-f", "json")
    assert analysis.exit_code == 0, analysis.output
    (comparison,) = json.loads(analysis.stdout)["comparisons"]
    assert comparison["diff"] > 0  # a planted 30% lift in sessions


def test_simulate_rejects_a_bad_effect(tmp_path: Path):
    result = run(
        "simulate",
        str(tmp_path / "x"),
        "--users",
        "100",
        "--experiment",
        "e",
        "--effect",
        "sessions:0.3",
    )
    assert result.exit_code == 2
    assert "METRIC=LIFT" in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--spillover", "0.3"], "--experiment is needed for a spillover simulation"),
        (["--experiment", "e", "--design", "cluster"], "--design applies to a spillover"),
        (["--experiment", "e", "--spillover", "0.3", "--design", "ring"], "--design 'ring'"),
        (["--experiment", "e", "--spillover", "-2"], "above -1"),
        (
            ["--experiment", "e", "--spillover", "0.3", "--effect", "time_spent=0.1"],
            "sessions effect only",
        ),
        (["--experiment", "e", "--spillover", "0.3", "--variants", "a,b,c"], "two arms"),
    ],
)
def test_simulate_refuses_options_a_spillover_run_would_ignore(
    tmp_path: Path, options: list[str], message: str
):
    result = run("simulate", str(tmp_path / "x"), "--users", "100", *options)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "x").exists()  # refused before anything was written


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["centrality", "--hops", "0"], "error: --hops must be at least 1 (got 0)"),
        (["centrality", "--min-weight", "-1"], "error: --min-weight must not be negative"),
        (
            ["centrality", "--since", "2026-02-01", "--until", "2026-01-01"],
            "error: --since must be earlier than until",
        ),
        (["communities", "--resolution", "-1"], "error: --resolution must be positive (got -1)"),
        (["features", "--influencer-share", "2"], "error: --influencer-share must be in (0, 1]"),
    ],
)
def test_library_errors_name_the_flag_on_the_command_line(
    loaded: Path, options: list[str], message: str
):
    """The library names its parameters (``hops must be…``); the CLI names the flag."""
    result = run(*options, "--store", str(loaded))
    assert result.exit_code == 2
    assert message in result.stderr
