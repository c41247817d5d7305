"""An embedded-store write that runs out of disk space leaves the previous store intact.

The store lives on a small tmpfs mounted for the test (tests run as root here and in CI;
CI must not skip this test, so a failed mount FAILS there).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from graphkit.simulation import simulate_network
from graphkit.simulation import write_dataset as write_simulated
from graphkit.store.local_store import LocalStore
from tests.conftest import write_dataset


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        message = f"cannot mount a small tmpfs: {mounted.stderr.strip()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI runs as root: it must be able to)")
        pytest.skip(message)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def snapshot(store: Path) -> dict[str, pd.DataFrame]:
    return {p.name: pd.read_parquet(p) for p in sorted(store.glob("*.parquet"))}


def test_a_full_disk_leaves_the_previous_store(small_disk: Path, tmp_path: Path):
    store = small_disk / "store"
    runner = CliRunner()
    env = {"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""}
    tiny = write_dataset(tmp_path / "tiny")
    first = runner.invoke(app, ["load", str(tiny), "--store", str(store)], env=env)
    assert first.exit_code == 0, first.output
    before = snapshot(store)

    big = tmp_path / "big"  # its interactions alone need more than the 1 MB disk
    write_simulated(simulate_network(5000, seed=1, interactions_per_user=20), big)
    result = runner.invoke(app, ["load", str(big), "--store", str(store)], env=env)
    assert result.exit_code == 3, result.output
    assert "no space left" in result.stderr and "holds what it held before" in result.stderr
    assert "Traceback" not in result.output

    after = snapshot(store)
    assert after.keys() == before.keys()
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame)
    assert not list(store.glob("*.tmp"))  # the half-written files are gone
    assert LocalStore(store).counts().users == 6  # and the store still opens
