"""The wheel carries the Cypher scripts: build it, install it elsewhere, load every script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("graphkit-*.whl")
    return found


def test_wheel_contains_every_cypher_file(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "cypher").rglob("*.cypher"))
    assert sources
    for source in sources:
        assert f"graphkit/{source}" in names


def test_installed_package_loads_every_script(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    probe = (
        "import graphkit, graphkit.store.queries as q\n"
        "names = q.all_query_names()\n"
        "assert all(q.query(n).strip() for n in names)\n"
        "print(graphkit.__file__); print(q.cypher_dir()); print(len(names))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
    )
    module_file, cypher_dir, count = result.stdout.split()
    assert module_file.startswith(str(target))
    assert cypher_dir == str(target / "graphkit" / "cypher")
    assert int(count) == len(list((ROOT / "cypher").rglob("*.cypher")))
