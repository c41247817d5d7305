"""Graph engines side by side: time per algorithm, the whole `features` job, peak memory.

    python benchmarks/bench_engines.py STORE_DIR [--sample 200] [--engines igraph,networkx]

STORE_DIR is an embedded store (``graphkit load DATASET --store STORE_DIR``);
``benchmarks/bench_graph.py`` (``make bench``) runs this on its 100k-user simulation.
Measured, never asserted. Prints, for one run on this machine:

* each engine's time per algorithm on the same pulled graph (``--algorithm-sources``
  sources for sampled betweenness and closeness), and graphkit's own compiled searches
  (linear-scaling betweenness with closeness, every engine's default above 5,000 users)
  from the same sources;
* the whole job, each in its own process with its peak RSS: ``graphkit features --sample K``,
  the same columns written directly on igraph (``features_igraph_direct.py``) and on plain
  NetworkX (``features_networkx_direct.py``; stopped after ``--networkx-timeout`` seconds,
  default 1800, and then printed as a bound; ``--no-networkx-job`` skips it), and default
  ``graphkit features`` (adaptive sources until the top 100 by betweenness is stable), also
  on one core (``NUMBA_NUM_THREADS=1``; the igraph script uses one; ``--no-one-core``
  skips it); ratios to the igraph script's wall time, all from this one run;
* with ``--stability``: default ``features`` again with ``--seed 1`` and the overlap of the
  top-100 users by betweenness between the two seeds (and the same for ``--sample K``).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import measuring  # type: ignore[import-not-found]  # benchmarks/ is on sys.path
import numpy as np
import pandas as pd

from graphkit.graph.communities import communities_of
from graphkit.graph.engines import PulledGraph, choose_sources, get_engine
from graphkit.graph.pull import pull_edges
from graphkit.graph.searches import SearchGraph, linear_scaling_searches
from graphkit.store.local_store import LocalStore

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
GRAPHKIT = str(Path(sys.executable).with_name("graphkit"))
NETWORKX_TIMEOUT = 1800.0
"""Seconds after which the NetworkX-direct job is stopped (about an hour at 100k users);
its time, and the speed-ups over it, are then printed as bounds."""


# Labels padded to this benchmark's longest.
timed = functools.partial(measuring.timed, width=48)


def run_process(
    label: str,
    command: list[str],
    *,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``command``; wall seconds and the peak RSS of that process.

    The peak is the child's own VmHWM, polled from /proc: the rusage of a forked child
    would also count this (large) process's pages from before the exec. A process still
    running after ``timeout`` seconds is stopped; its seconds are then a lower bound
    (``"stopped": True``).
    """
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=None if env is None else {**os.environ, **env},
    )
    peak_kb = 0
    stopped = False
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            pass
        if timeout is not None and time.perf_counter() - start > timeout:
            process.kill()
            process.wait()
            stopped = True
            break
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0 and not stopped:
        raise SystemExit(f"{label} failed:\n{stderr}")
    peak = peak_kb / 1024
    notes = [line for line in stderr.splitlines() if "approximate" in line]
    more = "  (stopped: at least this long)" if stopped else ""
    print(f"  {label:<48} {seconds:8.2f} s  peak {peak:7.0f} MB{more}", file=sys.stderr, flush=True)
    for note in notes:
        print(f"      {note.strip()}", file=sys.stderr)
    return {"seconds": seconds, "peak_rss_mb": peak, "stopped": stopped}


def time_algorithms(store_dir: Path, engines: list[str], sources: int) -> dict[str, dict]:
    """Each engine's time per algorithm on one pulled graph."""
    pulled = pull_edges(LocalStore(store_dir))
    print(f"  pulled {pulled.nodes} users, {pulled.edges} pairs", file=sys.stderr)
    pivots = choose_sources(pulled.user_ids, min(sources, pulled.nodes), 0)
    figures: dict[str, dict] = {}
    for name in engines:
        print(f"engine {name}", file=sys.stderr)
        t: dict[str, float] = {}
        opening = get_engine(name).open(pulled)
        graph = timed("open (build the engine's graph)", opening.__enter__, t)
        try:
            timed("degree", lambda g=graph: g.degree(weighted=False), t)
            timed("pagerank (weighted)", lambda g=graph: g.pagerank(weighted=True), t)
            timed(
                f"betweenness ({len(pivots)} sources)",
                lambda g=graph: g.betweenness(weighted=False, sources=pivots),
                t,
            )
            timed(
                f"closeness ({len(pivots)} sources)",
                lambda g=graph: g.closeness(weighted=False, sources=pivots),
                t,
            )
            timed("clustering", lambda g=graph: g.clustering(), t)
            timed(
                "louvain (weighted)",
                lambda g=graph: communities_of(
                    g, method="louvain", weighted=True, resolution=1.0, seed=0
                ),
                t,
            )
            if name == "igraph":
                timed(
                    "leiden (weighted)",
                    lambda g=graph: communities_of(
                        g, method="leiden", weighted=True, resolution=1.0, seed=0
                    ),
                    t,
                )
            timed("components", lambda g=graph: g.components(), t)
        finally:
            opening.__exit__(None, None, None)
        figures[name] = t
    figures["graphkit"] = time_searches(pulled, pivots)
    return figures


def time_searches(pulled: PulledGraph, pivots: list[Any]) -> dict[str, float]:
    """graphkit's own compiled searches (every engine's default betweenness and closeness
    above 5,000 users), from the same pivots: linear-scaling betweenness and closeness."""
    print("graphkit's searches (the same for every engine)", file=sys.stderr)
    t: dict[str, float] = {}
    position = pd.Index(pulled.user_ids).get_indexer(pd.Index(pivots, dtype=object))
    tiny = SearchGraph.from_pairs(np.array([0]), np.array([1]), 2)
    timed(
        "compile (first use after install, else load)",
        lambda: linear_scaling_searches(tiny, np.arange(2), 1),
        t,
    )
    graph = timed(
        "lay out (both directions, RCM order)",
        lambda: SearchGraph.from_pairs(pulled.source, pulled.target, pulled.nodes),
        t,
    )
    timed(
        f"betweenness + closeness ({len(pivots)} sources, all cores)",
        lambda: linear_scaling_searches(graph, position, len(position)),
        t,
    )
    return t


def top_overlap(first: Path, second: Path, column: str = "betweenness", k: int = 100) -> float:
    tops = []
    for path in (first, second):
        table = pd.read_parquet(path, columns=["user_id", column])
        table = table.sort_values([column, "user_id"], ascending=[False, True], kind="mergesort")
        tops.append(set(table["user_id"].head(k)))
    return len(tops[0] & tops[1]) / k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--engines", default="igraph,networkx")
    parser.add_argument("--algorithm-sources", type=int, default=100)
    parser.add_argument("--no-networkx-job", action="store_true")
    parser.add_argument("--networkx-timeout", type=float, default=NETWORKX_TIMEOUT)
    parser.add_argument("--no-one-core", action="store_true")
    parser.add_argument("--stability", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(".bench/engines.json"))
    args = parser.parse_args()
    print(json.dumps(run(args)))


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    engines = [e for e in args.engines.split(",") if e]
    if engines:
        figures["algorithms"] = time_algorithms(args.store, engines, args.algorithm_sources)
    store = str(args.store)
    k = str(args.sample)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        print("the whole features job (own process each)", file=sys.stderr)
        jobs = figures["jobs"] = {}
        jobs["graphkit_sample"] = run_process(
            f"graphkit features --sample {k}",
            [
                GRAPHKIT,
                "features",
                "--store",
                store,
                "--sample",
                k,
                "--out",
                str(out / "s0.parquet"),
            ],
        )
        jobs["igraph_direct"] = run_process(
            f"features_igraph_direct.py --sample {k}",
            [PYTHON, str(HERE / "features_igraph_direct.py"), store, "--sample", k],
        )
        if not args.no_networkx_job:
            jobs["networkx_direct"] = run_process(
                f"features_networkx_direct.py --sample {k}",
                [PYTHON, str(HERE / "features_networkx_direct.py"), store, "--sample", k],
                timeout=args.networkx_timeout,
            )
        jobs["graphkit_default"] = run_process(
            "graphkit features (default: stable top 100)",
            [GRAPHKIT, "features", "--store", store, "--out", str(out / "d0.parquet")],
        )
        if not args.no_one_core:
            # igraph-direct runs on one core; graphkit's searches use every core.
            jobs["graphkit_default_one_core"] = run_process(
                "the same on one core (NUMBA_NUM_THREADS=1)",
                [GRAPHKIT, "features", "--store", store, "--out", str(out / "d0.parquet")],
                env={"NUMBA_NUM_THREADS": "1"},
            )
        if args.stability:
            print("stability of the top 100 by betweenness, --seed 0 vs --seed 1", file=sys.stderr)
            run_process(
                f"graphkit features --sample {k} --seed 1",
                [
                    GRAPHKIT,
                    "features",
                    "--store",
                    store,
                    "--sample",
                    k,
                    "--seed",
                    "1",
                    "--out",
                    str(out / "s1.parquet"),
                ],
            )
            run_process(
                "graphkit features --seed 1 (default)",
                [
                    GRAPHKIT,
                    "features",
                    "--store",
                    store,
                    "--seed",
                    "1",
                    "--out",
                    str(out / "d1.parquet"),
                ],
            )
            figures["top100_overlap"] = {
                f"sample_{k}": top_overlap(out / "s0.parquet", out / "s1.parquet"),
                "default": top_overlap(out / "d0.parquet", out / "d1.parquet"),
            }
            print(f"  {figures['top100_overlap']}", file=sys.stderr)
    direct = jobs["igraph_direct"]["seconds"]
    ratios = {
        name: job["seconds"] / direct for name, job in jobs.items() if name != "igraph_direct"
    }
    figures["ratio_to_igraph_direct"] = ratios
    print("\nresults (wall time ÷ igraph-direct script's, this run)", file=sys.stderr)
    for name, ratio in ratios.items():
        bound = "≥" if jobs[name]["stopped"] else ""
        print(f"  {name:<26} x{bound}{ratio:.2f}", file=sys.stderr)
    if "networkx_direct" in jobs:
        networkx = jobs["networkx_direct"]
        bound = "at least " if networkx["stopped"] else ""
        for name in ("graphkit_sample", "graphkit_default"):
            speedup = networkx["seconds"] / jobs[name]["seconds"]
            figures[f"{name}_speedup_vs_networkx"] = speedup
            print(
                f"  {name} is {bound}x{speedup:.1f} faster than the NetworkX script",
                file=sys.stderr,
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, sort_keys=True))
    return figures


if __name__ == "__main__":
    main()
