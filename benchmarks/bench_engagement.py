"""Seconds and peak memory of `engagement metrics` and `retention` on ~10M events: the
DuckDB engine against the previous pandas implementation, side by side in one run
(measured, never asserted).

    .venv/bin/python benchmarks/bench_engagement.py [--events 10000000] [--dir .bench/engagement]
        [--baseline REV] [--copies N] [--load]

``--copies 10`` measures today's engine alone on ten copies of the dataset's users and
events (100M events; the pandas baseline would not fit); ``--load`` measures ``graphkit
load`` of the dataset's CSV files into a fresh embedded store (time and peak memory).

The first run simulates a network sized to give about ``--events`` events, writes it as
Parquet, validates it and loads it into an embedded store under ``--dir`` (kept for later
runs). Each measured command then runs in a fresh process, so its peak resident memory
(VmHWM from /proc, which exec resets; ru_maxrss elsewhere) is its own; an idle process
(Python + graphkit imported) is measured as a baseline. The baseline implementation is
graphkit as of git revision ``--baseline`` (default: the last commit with the pandas
engine), extracted with ``git archive`` into a temporary folder and put first on
``PYTHONPATH`` of its processes. Both must give the same numbers: a digest of the daily
table and of the retention table is printed for each. (tracemalloc is not used: it slows
NumPy and pandas allocations enough to double the times.) Each command's CPU seconds
(user + system, all threads) are printed beside its wall time: on a shared machine, whose
other tenants lengthen wall times by a varying factor, their ratio is the steadier one.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import shutil
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from measuring import (  # type: ignore[import-not-found]  # benchmarks/ is on sys.path
    cpu_seconds,
    extract,
    peak_rss_mb,
    run_in_child,
)

from graphkit.config import Settings
from graphkit.workflows import engagement as workflow
from graphkit.workflows import load


def events_per_user() -> float:
    """Events per user of the default simulator, measured on a small network."""
    # Imported here: the baseline's processes import this file with an older graphkit.
    from graphkit.simulation import simulate_events, simulate_network

    sim = simulate_network(5_000, seed=1)
    return len(simulate_events(sim).events) / 5_000


def prepare(folder: Path, target: int) -> dict[str, Any]:
    store = folder / "store"
    info_path = folder / "dataset.json"
    if info_path.exists():
        return dict(json.loads(info_path.read_text()))
    from graphkit.simulation import simulate_events, simulate_network, write_dataset

    users = max(1_000, round(target / events_per_user()))
    print(f"simulating {users} users for ~{target:,} events ...", file=sys.stderr)
    start = time.perf_counter()
    sim = simulate_network(users, seed=1)
    events = simulate_events(sim)
    write_dataset(sim, folder / "data", fmt="parquet", force=True)
    write_dataset(events, folder / "data", fmt="parquet", force=True)
    # The same dataset as CSV, for the load measurement (users and interactions too).
    write_dataset(sim, folder / "data-csv", fmt="csv", force=True)
    write_dataset(events, folder / "data-csv", fmt="csv", force=True)
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


def scaled_store(folder: Path, base: Path, copies: int) -> Path:
    """A store holding ``copies`` copies of the base store's users and events, each copy's
    user ids suffixed ``~k`` (written by DuckDB, file to file, in bounded memory: 100M
    events need not fit in memory to be written). Interactions are the base store's
    (engagement metrics and retention do not read them; the store needs the file); the
    events' ``key`` column, which only loads read, is left out."""
    import duckdb

    store = folder / f"store-x{copies}"
    if (store / "interactions.parquet").exists():  # written last
        return store
    store.mkdir(parents=True, exist_ok=True)
    print(f"writing {copies} copies of the base store's events ...", file=sys.stderr)
    # Without insertion order, the copy streams (with it, DuckDB buffered and spilled).
    config = {"memory_limit": "1GB", "preserve_insertion_order": False}
    db = duckdb.connect(config={**config, "temp_directory": str(folder / "tmp")})
    for table, columns in (
        ("users", "* REPLACE (user_id || '~{k}' AS user_id)"),
        ("events", "* EXCLUDE (key) REPLACE (user_id || '~{k}' AS user_id)"),
    ):
        # One SELECT per copy, chained with UNION ALL: streamed, nothing materialised.
        path = base / f"{table}.parquet"
        copies_sql = " UNION ALL ".join(
            f"SELECT {columns.format(k=k)} FROM read_parquet('{path}')" for k in range(copies)
        )
        target = store / f"{table}.parquet"
        db.execute(f"COPY ({copies_sql}) TO '{target}' (FORMAT parquet)")
    db.close()
    (store / "interactions.parquet").write_bytes((base / "interactions.parquet").read_bytes())
    return store


BASELINE_REV = "2682cc6"
"""The last commit whose engagement metrics ran on pandas (weekly chunks of events)."""


def measure(command: str, store: str) -> dict[str, Any]:
    """Run one command in this (fresh) process; report time, memory and a result digest."""
    settings = Settings(store_dir=Path(store))
    start, cpu_start = time.perf_counter(), cpu_seconds()
    digest = ""
    if command == "metrics":
        result = run_workflow(workflow.engagement_metrics, settings)
        size = f"{len(result.daily.table)} days, {result.sessions.summary['sessions']} sessions"
        digest = frame_digest(result.daily.table)
    elif command == "load":
        # `graphkit load` of the CSV copy into a fresh store (the store argument).
        folder = Path(store)
        summary = load(folder.parent / "data-csv", Settings(store_dir=folder)).summary
        size = f"{summary.events:,} events, {summary.interactions:,} interactions"
    elif command == "retention":
        table, _ = run_workflow(workflow.engagement_retention, settings)
        size = f"{len(table.wide)} cohorts"
        digest = frame_digest(table.table)
    else:
        size = "imports only"
    return {
        "command": command,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": cpu_seconds() - cpu_start,
        "peak_rss_mb": peak_rss_mb(),
        "result": size,
        "digest": digest,
    }


def run_workflow(use_case: Any, settings: Settings) -> Any:
    """Call a workflow of this tree or of the baseline's: older workflows opened the store
    themselves (first parameter ``settings``), newer ones take it opened."""
    if next(iter(inspect.signature(use_case).parameters)) == "settings":
        return use_case(settings)
    from graphkit.store import open_store

    with closing(open_store(settings)) as store:
        return use_case(store)


def frame_digest(frame: Any) -> str:
    """Digest of a table's values (rounded to 9 significant digits, so that summation
    order cannot change it)."""
    text = frame.to_csv(index=False, float_format="%.9g")
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def run_fresh(command: str, store: Path, code: Path | None) -> dict[str, Any]:
    """``command`` in a new interpreter; ``code``: a graphkit tree to import instead."""
    return run_in_child(__file__, ["--child", command, "--store", str(store)], code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path(".bench/engagement"))
    parser.add_argument("--baseline", default=BASELINE_REV)
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="measure the DuckDB engine alone on this many copies of the dataset's users "
        "and events (10 copies of 10M events: 100M); the pandas baseline cannot hold them",
    )
    parser.add_argument(
        "--load",
        action="store_true",
        help="measure `graphkit load` of the dataset's CSV files into a fresh store instead",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.store)))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    info = prepare(args.dir, args.events)
    print(
        f"dataset: {info['users']:,} users, {info['events']:,} events, "
        f"{info['interactions']:,} interactions (simulate+write {info['simulate_write_s']} s, "
        f"validate+load {info['validate_load_s']} s)"
    )
    store = args.dir / "store"
    if args.load:
        fresh = args.dir / "load-store"  # beside data-csv, which the child loads
        shutil.rmtree(fresh, ignore_errors=True)
        try:
            row = run_fresh("load", fresh, None)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
        print(
            f"load (CSV) {row['seconds']:8.1f} s {row['peak_rss_mb']:7.0f} MB peak RSS"
            f"   ({row['result']})"
        )
        return
    if args.copies > 1:
        scaled = scaled_store(args.dir, store, args.copies)
        print(f"{args.copies} copies: ~{args.copies * info['events']:,} events, DuckDB engine only")
        for command in ("idle", "metrics", "retention"):
            row = run_fresh(command, scaled, None)
            print(
                f"{command:<10} {row['seconds']:8.1f} s {row['peak_rss_mb']:7.0f} MB peak RSS"
                f"   ({row['result']})"
            )
        return
    with tempfile.TemporaryDirectory() as tmp:
        old = extract(args.baseline, Path(tmp))
        rows = {
            (engine, command): run_fresh(command, store, code)
            for command in ("idle", "metrics", "retention")
            for engine, code in (("pandas", old), ("duckdb", None))
        }
    print(
        f"{'command':<10} {'engine':<7} {'seconds':>8} {'speed-up':>9} {'CPU s':>7} "
        f"{'CPU ratio':>9} {'peak RSS':>10} {'above idle':>11} {'digest':>13}"
    )
    for (engine, command), row in rows.items():
        idle = rows[(engine, "idle")]["peak_rss_mb"]
        baseline = rows[("pandas", command)]
        if command == "idle":
            ratio = cpu_ratio = f"{'-':>9}"
        else:
            ratio = f"{baseline['seconds'] / row['seconds']:8.1f}x"
            cpu_ratio = f"{baseline['cpu_seconds'] / row['cpu_seconds']:8.1f}x"
        print(
            f"{command:<10} {engine:<7} {row['seconds']:8.1f} {ratio} "
            f"{row['cpu_seconds']:7.1f} {cpu_ratio} {row['peak_rss_mb']:7.0f} MB "
            f"{row['peak_rss_mb'] - idle:8.0f} MB {row['digest']:>13}   ({row['result']})"
        )
    for command in ("metrics", "retention"):
        same = rows[("pandas", command)]["digest"] == rows[("duckdb", command)]["digest"]
        print(f"{command}: {'identical numbers' if same else 'NUMBERS DIFFER'} in both engines")


if __name__ == "__main__":
    main()
