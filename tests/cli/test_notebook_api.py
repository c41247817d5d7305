"""Every CLI command has a library twin with the same name and grouping.

``graphkit centrality`` ↔ ``graphkit.centrality``, ``graphkit ab analyze`` ↔
``graphkit.ab.analyze``, ``graphkit engagement retention`` ↔
``graphkit.engagement.retention``: the test walks the Typer app, so a new command without
a twin fails here.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
import typer

import graphkit
from graphkit.cli import app


def cli_commands(typer_app: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    names = []
    for command in typer_app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        names.append((*prefix, name))
    for group in typer_app.registered_groups:
        names.extend(cli_commands(group.typer_instance, (*prefix, group.name)))
    return names


COMMANDS = cli_commands(app)


def test_the_walk_finds_every_group_and_command() -> None:
    groups = {path[0] for path in COMMANDS if len(path) == 2}
    assert groups == {"ab", "engagement", "report"}
    assert ("ab", "analyze") in COMMANDS and ("simulate",) in COMMANDS
    assert len(COMMANDS) >= 23


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_a_library_twin(path: tuple[str, ...]) -> None:
    owner: object = graphkit
    for group in path[:-1]:
        owner = getattr(owner, group)
        assert inspect.ismodule(owner), f"graphkit.{group} is not the command group"
    twin = getattr(owner, path[-1].replace("-", "_"), None)
    dotted = "graphkit." + ".".join(p.replace("-", "_") for p in path)
    assert twin is not None, f"`graphkit {' '.join(path)}` has no library twin {dotted}"
    assert inspect.isfunction(twin), f"{dotted} is {type(twin).__name__}, not a function"
    assert twin.__doc__, f"{dotted} has no docstring"


def test_twins_are_the_public_names() -> None:
    for path in COMMANDS:
        if len(path) == 1:
            assert path[0].replace("-", "_") in graphkit.__all__
    for group in ("ab", "engagement", "report"):
        module = importlib.import_module(f"graphkit.{group}")
        names = {p[-1].replace("-", "_") for p in COMMANDS if p[0] == group and len(p) == 2}
        assert names <= set(getattr(module, "__all__", ())), group
