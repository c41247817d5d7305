"""`graphkit --help` starts fast: no heavy library is imported to print help.

Checked in a fresh interpreter (the test process has long imported everything), for the
top-level help and every command's and group's help.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli.test_notebook_api import COMMANDS

HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "networkx", "neo4j", "igraph", "duckdb")

PROBE = """
import json, sys
from graphkit.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))
"""


def imported_by_help(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "120", "PATH": ""},
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1])) & set(HEAVY)


def test_top_level_help_imports_no_heavy_library() -> None:
    assert imported_by_help() == set()


@pytest.mark.parametrize(
    "path", sorted(set(COMMANDS) | {(p[0],) for p in COMMANDS if len(p) == 2}), ids=" ".join
)
def test_command_help_imports_no_heavy_library(path: tuple[str, ...]) -> None:
    assert imported_by_help(*path) == set()
