"""The README's command examples run, as written, so the manual cannot drift from the tool.

Every ``console`` block of README.md whose lines are graphkit commands is an example.
Each runs in a fresh folder, line by line, through a shell (redirections as a user types
them) with the installed ``graphkit``:

- a block that simulates and loads its own data runs on that alone;
- any other block runs on a prepared store: the network and experiment ``feed`` that
  ``make demo`` builds (2,000 users, seed 7, a 10% lift in sessions, communities written
  back);
- the Neo4j block runs against the test server (``scripts/neo4j-local start`` is what
  ``make test`` already did; its ``export`` line is replaced by the test server's URI).

Blocks of ``make`` targets or scripts are not graphkit examples and are left out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_neo4j, wipe

README = Path(__file__).resolve().parents[1] / "README.md"
GRAPHKIT = str(Path(sys.executable).with_name("graphkit"))
BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Example:
    line: int  # where the block starts in README.md
    commands: tuple[str, ...]

    @property
    def needs_neo4j(self) -> bool:
        return any(c.startswith("export GRAPHKIT_NEO4J_URI") for c in self.commands)

    @property
    def brings_own_data(self) -> bool:
        return any(c.startswith("graphkit simulate") for c in self.commands)


def strip_comment(line: str) -> str:
    """Drop a trailing ``# comment`` (README aligns them after two or more spaces)."""
    return re.split(r"\s{2,}#\s", line, maxsplit=1)[0].strip()


def readme_examples() -> list[Example]:
    text = README.read_text(encoding="utf-8")
    examples = []
    for match in BLOCK.finditer(text):
        commands = tuple(c for c in map(strip_comment, match.group(1).splitlines()) if c)
        setup = ("scripts/neo4j-local start", "export GRAPHKIT_NEO4J_URI")
        runnable = [c for c in commands if not c.startswith(setup)]
        if runnable and all(c.startswith("graphkit ") for c in runnable):
            examples.append(Example(text.count("\n", 0, match.start()) + 1, commands))
    return examples


EXAMPLES = readme_examples()


def test_the_readme_has_examples_to_run() -> None:
    # The tour, experiments, network experiments, reports, Browser, at the least.
    assert len(EXAMPLES) >= 5
    assert sum(e.brings_own_data for e in EXAMPLES) >= 2


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data and an embedded store as `make demo` leaves them, for examples that need them."""
    folder = tmp_path_factory.mktemp("readme-demo")
    env = example_env(None)
    for command in (
        "graphkit simulate data/demo --users 2000 --seed 7 --experiment feed --effect sessions=0.1",
        "graphkit load data/demo",
        "graphkit communities --write-back",
    ):
        run(command, folder, env)
    return folder


def example_env(neo4j: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHKIT_")}
    env["PATH"] = f"{Path(GRAPHKIT).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "160"
    env.update(neo4j or {})
    return env


def run(command: str, folder: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        command, shell=True, cwd=folder, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, (
        f"README example `{command}` exited {done.returncode}\n{done.stderr[-3000:]}"
    )


@pytest.mark.parametrize(
    "example",
    [
        pytest.param(e, id=f"README line {e.line}", marks=[pytest.mark.neo4j] * e.needs_neo4j)
        for e in EXAMPLES
    ],
)
def test_readme_example_runs(
    example: Example, demo_folder: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    neo4j = None
    if example.needs_neo4j:
        settings = require_neo4j()
        wipe(settings)
        neo4j = {
            "GRAPHKIT_NEO4J_URI": str(settings.neo4j_uri),
            "GRAPHKIT_NEO4J_USER": settings.neo4j_user,
            "GRAPHKIT_NEO4J_PASSWORD": settings.neo4j_password or "",
        }
    folder = tmp_path / "work"
    if example.brings_own_data or example.needs_neo4j:
        folder.mkdir()
        if example.needs_neo4j:  # the block loads data the tour simulated before it
            shutil.copytree(demo_folder / "data", folder / "data")
            shutil.copytree(demo_folder / "data" / "demo", folder / "data" / "net")
    else:
        shutil.copytree(demo_folder, folder)
    env = example_env(neo4j)
    for command in example.commands:
        if command.startswith(("scripts/neo4j-local start", "export GRAPHKIT_NEO4J_URI")):
            continue
        run(command, folder, env)
