"""What every benchmark measures with: wall time of a step, a process's peak memory and
CPU time, and a past revision of graphkit to measure against in a child process.

The benchmarks import it as a sibling (``benchmarks/`` is on ``sys.path`` when one of them
runs as a script).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def timed(label: str, fn: Callable[[], Any], results: dict[str, float], width: int = 42) -> Any:
    """Run ``fn``; record its wall time under ``label`` and print it on stderr."""
    start = time.perf_counter()
    value = fn()
    results[label] = time.perf_counter() - start
    print(f"  {label:<{width}} {results[label]:8.2f} s", file=sys.stderr, flush=True)
    return value


def peak_rss_mb() -> float:
    """This process's resident-memory high-water mark (VmHWM; Linux resets it at exec,
    unlike ru_maxrss, which a spawned child inherits from its parent)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (what a loaded machine cannot
    inflate the way it inflates wall time)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_in_child(script: str, arguments: Sequence[str], code: Path | None) -> dict[str, Any]:
    """Run ``script`` with ``arguments`` in a new interpreter and return the JSON object it
    prints last; ``code``: a graphkit tree (see :func:`extract`) to import instead."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code) + os.pathsep + env.get("PYTHONPATH", "")
    output = subprocess.run(
        [sys.executable, script, *arguments],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def extract(revision: str, folder: Path) -> Path:
    """graphkit (and its cypher files) as of git ``revision``, in ``folder``."""
    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", revision, "graphkit", "cypher"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder
