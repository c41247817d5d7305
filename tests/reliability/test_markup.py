"""Text that looks like rich markup or emoji codes prints exactly as written.

User ids, property names, event names, the dataset folder, ``--store`` and ``--out``
paths and values quoted in error messages all reach the terminal through rich. Read as
markup, ``[/]`` crashed the command (exit 1 after a successful load) and
``[red]alice[/red]`` printed as ``alice``; read as an emoji code, ``:thumbs_up:`` would
print as a picture.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from tests.conftest import write_dataset

runner = CliRunner()

IDS = ["[red]alice[/red]", "[/]", ":thumbs_up:", "[bold]b", "c[/x]"]
USERS = "user_id,signup_at,[/]prop,[b]flag\n" + "".join(
    f"{uid},2026-01-0{i + 1}T00:00:00Z,[i]v{i},{i}\n" for i, uid in enumerate(IDS)
)
INTERACTIONS = "source_id,target_id,type,at\n" + "".join(
    f"{IDS[i]},{IDS[(i + 1) % len(IDS)]},[/]like,2026-01-1{i}T00:00:00Z\n" for i in range(len(IDS))
)


def run(*args: str):
    env = {"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": "", "COLUMNS": "400"}  # no cut cells
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def marked(tmp_path: Path) -> tuple[Path, Path]:
    """A store (in a folder named with markup) loaded from a dataset full of markup."""
    folder = write_dataset(tmp_path / "data[/]:x:", USERS, INTERACTIONS)
    store = tmp_path / "st[/][red]"
    result = run("load", str(folder), "--store", str(store))
    assert result.exit_code == 0, result.output
    assert f"validating {folder}" in result.stderr
    assert f"into the embedded store in {store}" in result.stderr
    return folder, store


def test_ids_print_as_written_in_tables(marked):
    _, store = marked
    for command in ("centrality", "communities", "features"):
        result = run(command, "--store", str(store))
        assert result.exit_code == 0, (command, result.output)
        for uid in IDS:
            assert uid in result.stdout, (command, uid)


def test_out_paths_with_markup(marked, tmp_path: Path):
    _, store = marked
    out = tmp_path / "o[/]" / "[red]c.txt"
    result = run("centrality", "--store", str(store), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert all(uid in text for uid in IDS)


def test_error_messages_quote_values_as_written(marked, tmp_path: Path):
    _, store = marked
    result = run("centrality", "--store", str(store), "--ego", "[red]nobody[/red]")
    assert result.exit_code == 4
    assert "'[red]nobody[/red]'" in result.stderr

    users = "user_id\n[/]\n[/]\n"
    folder = write_dataset(tmp_path / "bad[/]", users, "source_id,target_id,type,at\n")
    result = run("load", str(folder), "--store", str(tmp_path / "s"))
    assert result.exit_code == 2
    assert "duplicate user_id '[/]'" in result.stderr
    assert str(folder) in result.stderr

    result = run("centrality", "--store", str(tmp_path / "empty[/]"))
    assert result.exit_code == 3
    assert "empty[/]" in result.stderr


def test_no_module_builds_its_own_console():
    """One mechanism: the plain consoles of cli/common.py (a new Console would read markup)."""
    cli = Path(__file__).resolve().parents[2] / "graphkit" / "cli"
    for module in cli.glob("*.py"):
        if module.name == "common.py":
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Console"
        ]
        assert not calls, f"{module.name} builds a rich Console; use cli.common's"
