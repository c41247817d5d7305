"""No wrong output with exit 0, no traceback: --top, --out suffixes and paths, --store.

Before: `--top -1` dropped the last user and `--top 0` printed nothing; `--out x.parquet`
and `--out x.xlsx` got a text table under those names; `--store FILE` and `--out` below a
file crashed with a traceback.
"""

from __future__ import annotations

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from graphkit.cli import app
from tests.conftest import (
    TINY_ASSIGNMENTS,
    TINY_EVENTS,
    TINY_INTERACTIONS,
    TINY_USERS,
    write_dataset,
)

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""})


def one_clean_error(result, code: int) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("outputs")
    folder = write_dataset(
        root / "data", TINY_USERS, TINY_INTERACTIONS, TINY_EVENTS, TINY_ASSIGNMENTS
    )
    result = run("load", str(folder), "--store", str(root / "store"))
    assert result.exit_code == 0, result.output
    return str(root / "store")


def commands_with_out() -> list[list[str]]:
    """Every command that has an --out option, with a placeholder for each argument."""
    found = []

    def walk(command, path: list[str]) -> None:
        if hasattr(command, "commands"):  # a group
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        elif any("--out" in p.opts for p in command.params):
            arguments = [p for p in command.params if p.param_type_name == "argument"]
            found.append(path + ["x" for p in arguments if p.required])

    walk(typer.main.get_command(app), [])
    return found


@pytest.mark.parametrize("top", ["0", "-1"])
def test_top_below_one_is_refused(store, top):
    result = run("centrality", "--store", store, "--top", top)
    one_clean_error(result, 2)
    assert "--top" in result.output


def test_top_n_gives_n_users(store):
    result = run("centrality", "--store", store, "--top", "2", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(pd.io.common.StringIO(result.stdout))) == 2


def test_every_out_refuses_a_format_it_does_not_write(store, tmp_path):
    commands = commands_with_out()
    assert ["centrality"] in commands and ["ab", "assign", "x"] in commands
    for command in commands:
        out = tmp_path / "x.xlsx"
        result = run(*command, "--out", str(out))
        one_clean_error(result, 2)
        assert ".xlsx" in result.output or "x.xlsx" in result.output, (command, result.output)
        assert not out.exists(), command


@pytest.mark.parametrize("command", [["centrality"], ["features"], ["communities"]])
def test_parquet_out_is_parquet_with_the_csv_rows(store, tmp_path, command):
    parquet, csv = tmp_path / "x.parquet", tmp_path / "x.csv"
    for out in (parquet, csv):
        assert run(*command, "--store", store, "--out", str(out)).exit_code == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(parquet), pd.read_csv(csv), check_dtype=False, check_exact=False
    )


def test_parquet_out_of_something_not_a_table_is_refused(store, tmp_path):
    out = tmp_path / "x.parquet"
    result = run("communities", "--store", store, "--format", "json", "--out", str(out))
    one_clean_error(result, 2)
    result = run("ab", "power", "--baseline", "0.1", "--mde", "0.02", "--out", str(out))
    one_clean_error(result, 2)
    assert not out.exists()


def test_a_format_contradicting_the_suffix_is_refused(store, tmp_path):
    out = tmp_path / "x.json"
    result = run("centrality", "--store", store, "--format", "csv", "--out", str(out))
    one_clean_error(result, 2)
    assert not out.exists()


def test_out_below_a_file_is_one_line(store, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for command, name in (("centrality", "c.csv"), ("features", "f.parquet")):
        result = run(command, "--store", store, "--out", str(blocker / name))
        one_clean_error(result, 2)
        assert "is a file, not a folder" in result.stderr


def test_store_that_is_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    folder = write_dataset(tmp_path / "data")
    for args in (["load", str(folder)], ["centrality"]):
        result = run(*args, "--store", str(blocker))
        one_clean_error(result, 2)
        assert "is a file, not a folder" in result.stderr
    result = run("load", str(folder), "--store", str(blocker / "below"))
    one_clean_error(result, 2)
