"""Seconds and peak memory of `engagement metrics` and `retention` on ~10M events (measured,
never asserted).

    .venv/bin/python benchmarks/bench_engagement.py [--events 10000000] [--dir .bench/engagement]

The first run simulates a network sized to give about ``--events`` events, writes it as
Parquet, validates it and loads it into an embedded store under ``--dir`` (kept for later
runs). Each measured command then runs in a fresh process, so its peak resident memory
(VmHWM from /proc, which exec resets; ru_maxrss elsewhere) is its own; an idle process
(Python + graphkit imported) is measured as a baseline. Also reported: how much of the time
went into the store's ``events()`` reads. (tracemalloc is not used: it slows NumPy and pandas
allocations enough to double the times.)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graphkit.config import Settings
from graphkit.simulate import simulate_events, simulate_network, write_dataset
from graphkit.store.local_store import LocalStore
from graphkit.workflows import engagement as workflow
from graphkit.workflows import load


def events_per_user() -> float:
    """Events per user of the default simulator, measured on a small network."""
    sim = simulate_network(5_000, seed=1)
    return len(simulate_events(sim).events) / 5_000


def prepare(folder: Path, target: int) -> dict[str, Any]:
    store = folder / "store"
    info_path = folder / "dataset.json"
    if info_path.exists():
        return dict(json.loads(info_path.read_text()))
    users = max(1_000, round(target / events_per_user()))
    print(f"simulating {users} users for ~{target:,} events ...", file=sys.stderr)
    start = time.perf_counter()
    sim = simulate_network(users, seed=1)
    events = simulate_events(sim)
    write_dataset(sim, folder / "data", fmt="parquet", force=True)
    write_dataset(events, folder / "data", fmt="parquet", force=True)
    simulated = time.perf_counter() - start
    start = time.perf_counter()
    load(folder / "data", Settings(store_dir=store))
    info = {
        "users": users,
        "events": len(events.events),
        "interactions": len(sim.interactions),
        "simulate_write_s": round(simulated, 1),
        "validate_load_s": round(time.perf_counter() - start, 1),
    }
    info_path.write_text(json.dumps(info))
    return info


class CountingStore(LocalStore):
    """The embedded store, timing its events() reads."""

    read_seconds = 0.0

    def events(self, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return super().events(**kwargs)
        finally:
            CountingStore.read_seconds += time.perf_counter() - start


def measure(command: str, store: str, queue: Any) -> None:
    """Run one command in this (fresh) process; report time and memory."""
    import graphkit.workflows.engagement as module

    module.opened_store = _counting_opened_store  # same store class, plus a read timer
    settings = Settings(store_dir=Path(store))
    start = time.perf_counter()
    if command == "metrics":
        result = workflow.engagement_metrics(settings)
        size = f"{len(result.daily.table)} days, {result.sessions.summary['sessions']} sessions"
    elif command == "retention":
        table, _ = workflow.engagement_retention(settings)
        size = f"{len(table.wide)} cohorts"
    else:
        size = "imports only"
    seconds = time.perf_counter() - start
    queue.put(
        {
            "command": command,
            "seconds": seconds,
            "store_read_seconds": CountingStore.read_seconds,
            "peak_rss_mb": peak_rss_mb(),
            "result": size,
        }
    )


@contextmanager
def _counting_opened_store(settings: Settings) -> Iterator[CountingStore]:
    store = CountingStore(settings.store_dir)
    try:
        yield store
    finally:
        store.close()


def peak_rss_mb() -> float:
    """This process's resident-memory high-water mark (VmHWM; Linux resets it at exec,
    unlike ru_maxrss, which a spawned child inherits from its parent)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_fresh(command: str, store: Path) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=measure, args=(command, str(store), queue))
    process.start()
    result = dict(queue.get())
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path(".bench/engagement"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    info = prepare(args.dir, args.events)
    print(
        f"dataset: {info['users']:,} users, {info['events']:,} events, "
        f"{info['interactions']:,} interactions (simulate+write {info['simulate_write_s']} s, "
        f"validate+load {info['validate_load_s']} s)"
    )
    rows = [run_fresh(command, args.dir / "store") for command in ("idle", "metrics", "retention")]
    baseline = rows[0]["peak_rss_mb"]
    print(f"{'command':<10} {'seconds':>8} {'store reads':>12} {'peak RSS':>10} {'above idle':>11}")
    for row in rows:
        print(
            f"{row['command']:<10} {row['seconds']:8.1f} {row['store_read_seconds']:10.1f} s "
            f"{row['peak_rss_mb']:7.0f} MB {row['peak_rss_mb'] - baseline:8.0f} MB   "
            f"({row['result']})"
        )


if __name__ == "__main__":
    main()
