"""Seconds and peak memory of `graphkit load` of a large events file into a fresh embedded
store: today's chunked load against a baseline revision, side by side in one run
(measured, never asserted).

    .venv/bin/python benchmarks/bench_load.py [--events 10000000] [--dir .bench/load]
        [--baseline b9046e6] [--format csv|parquet] [--only current|baseline]

The first run simulates a network sized to give about ``--events`` events and writes it
as CSV (``DIR/data-csv``) and Parquet (``DIR/data-parquet``), kept for later runs. Each
load then runs in a fresh process, into a fresh store, so its peak resident memory
(VmHWM from /proc, which exec resets) is its own. The baseline is graphkit as of git
revision ``--baseline`` (default: the last one that read whole event files), extracted
with ``git archive`` into a temporary folder and put first on ``PYTHONPATH`` of its
process. Both loads must store the same events: a digest
of ``events.parquet`` (every row, and the rows in file order) is printed for each.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from measuring import extract, peak_rss_mb, run_in_child  # type: ignore[import-not-found]

WHOLE_FILE_LOADING = "b9046e6"
"""The git revision before chunked event loading: the baseline of this benchmark."""


def prepare(folder: Path, target: int) -> dict[str, Any]:
    """The dataset for ``target`` events, simulated once and kept in ``folder``."""
    info_path = folder / "dataset.json"
    if info_path.exists():
        return dict(json.loads(info_path.read_text()))
    from graphkit.simulation import simulate_events, simulate_network, write_dataset

    # Events per user of the default simulator, measured on a small network.
    per_user = len(simulate_events(simulate_network(5_000, seed=1)).events) / 5_000
    users = max(1_000, round(target / per_user))
    print(f"simulating {users} users for ~{target:,} events ...", file=sys.stderr)
    start = time.perf_counter()
    sim = simulate_network(users, seed=1)
    events = simulate_events(sim)
    for fmt in ("csv", "parquet"):
        write_dataset(sim, folder / f"data-{fmt}", fmt=fmt, force=True)  # type: ignore[arg-type]
        write_dataset(events, folder / f"data-{fmt}", fmt=fmt, force=True)  # type: ignore[arg-type]
    info = {
        "users": users,
        "events": len(events.events),
        "interactions": len(sim.interactions),
        "events_csv_mb": round((folder / "data-csv" / "events.csv").stat().st_size / 1e6),
        "simulate_write_s": round(time.perf_counter() - start, 1),
    }
    info_path.write_text(json.dumps(info))
    return info


def measure(dataset: str, store: str) -> dict[str, Any]:
    """`graphkit load` of ``dataset`` into the fresh ``store``, in this (fresh) process."""
    from graphkit.config import Settings
    from graphkit.workflows import load

    start = time.perf_counter()
    summary = load(Path(dataset), Settings(store_dir=Path(store))).summary
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()  # before the digest, which reads the whole file again
    return {
        "seconds": seconds,
        "peak_rss_mb": peak,
        "result": f"{summary.events:,} events, {summary.interactions:,} interactions",
        "digest": events_digest(Path(store) / "events.parquet"),
    }


def events_digest(path: Path) -> str:
    """Rows (any order) and rows in file order of an events.parquet, as two short sums."""
    import duckdb

    db = duckdb.connect(config={"memory_limit": "512MB"})
    rows, ordered = db.execute(
        'SELECT sum(hash(key, user_id, "at", event, value, session_id)::HUGEINT) % 1000000007,'
        " sum((hash(key) % 1000003)::HUGEINT * file_row_number) % 1000000007"
        " FROM read_parquet(?, file_row_number = true)",
        [str(path)],
    ).fetchone()
    db.close()
    return f"{rows}/{ordered}"


def run_fresh(dataset: Path, store: Path, code: Path | None) -> dict[str, Any]:
    """One load in a new interpreter; ``code``: a graphkit tree to import instead."""
    shutil.rmtree(store, ignore_errors=True)
    try:
        return run_in_child(__file__, ["--child", str(dataset), "--store", str(store)], code)
    finally:
        shutil.rmtree(store, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path(".bench/load"))
    # The last revision that read and validated the whole events file in memory.
    parser.add_argument("--baseline", default=WHOLE_FILE_LOADING)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--only", choices=("current", "baseline"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.store)))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    info = prepare(args.dir, args.events)
    print(
        f"dataset: {info['users']:,} users, {info['events']:,} events "
        f"({info['events_csv_mb']} MB as CSV), {info['interactions']:,} interactions"
    )
    dataset = (args.dir / f"data-{args.format}").resolve()
    store = (args.dir / "load-store").resolve()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs = {"baseline": extract(args.baseline, Path(tmp)), "current": None}
        for name, code in runs.items():
            if args.only in (None, name):
                rows[name] = run_fresh(dataset, store, code)
    for name, row in rows.items():
        print(
            f"load ({args.format}) {name:<8} {row['seconds']:8.1f} s "
            f"{row['peak_rss_mb']:7.0f} MB peak RSS   digest {row['digest']}   ({row['result']})"
        )
    if len(rows) == 2:
        before, now = rows["baseline"], rows["current"]
        print(
            f"speed-up {before['seconds'] / now['seconds']:.2f}x, peak RSS "
            f"{before['peak_rss_mb'] / now['peak_rss_mb']:.2f}x lower; stored events "
            + ("identical" if before["digest"] == now["digest"] else "DIFFER")
        )


if __name__ == "__main__":
    main()
