"""Load, pull and algorithm throughput on a simulated network (measured, never asserted).

    make bench      # or: scripts/with-test-neo4j .venv/bin/python benchmarks/bench_graph.py

Needs GRAPHKIT_TEST_NEO4J_URI (a throwaway server: its database is wiped). Prints, for one
run on this machine:
  * validation throughput;
  * load throughput into Neo4j (batched UNWIND, interactions/s), on the fresh server and
    again into the wiped database, against a baseline of one interaction per transaction
    measured in the same run on a sample, and their ratio;
  * pull throughput (aggregated pairs/s, undirected and directed; median of 3 runs) and
    end to end into a NetworkX graph, from Neo4j and from the embedded store;
  * then ``benchmarks/bench_engines.py`` on the embedded store: each engine's time per
    algorithm, the whole ``features`` job against igraph-direct and NetworkX-direct scripts
    with peak RSS, and (``--stability``) the top-100 overlap between two seeds.

The NetworkX parts are the slow ones at 100k users: its per-algorithm timings take about
6 minutes (``--engines igraph`` leaves them out); the NetworkX-direct job is stopped after
``--networkx-timeout`` seconds (default 1800) and then reported as a bound ("at least");
``--no-networkx-job`` skips it. Pass options through make:
``make bench BENCH_ARGS="--engines igraph --networkx-timeout 7200"``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_engines  # type: ignore[import-not-found]  # benchmarks/ is on sys.path
import measuring  # type: ignore[import-not-found]  # benchmarks/ is on sys.path

from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.graph.pull import SubgraphSpec, build_graph, pull_graph
from graphkit.simulation import simulate_network, write_dataset
from graphkit.store.base import EdgeFilter
from graphkit.store.local_store import LocalStore
from graphkit.store.neo4j_store import Neo4jStore
from graphkit.store.queries import query

# Labels padded to this benchmark's longest.
timed = functools.partial(measuring.timed, width=42)


def timed_median(
    label: str, fn: Callable[[], Any], results: dict[str, float], runs: int = 3
) -> Any:
    """Run ``fn`` ``runs`` times; record the first (cold) and the median run."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    results[label] = statistics.median(times)
    results[label + " (first run)"] = times[0]
    shown = ", ".join(f"{x:.2f}" for x in times)
    print(f"  {label:<42} {results[label]:8.2f} s median of {shown}", file=sys.stderr)
    return value


def one_row_per_transaction(store: Neo4jStore, interactions, sample: int) -> float:
    """Baseline: the naive loader, one MERGE per transaction. Returns interactions/s."""
    rows = interactions.head(sample)
    at_ms = (rows["at"].astype("int64") // 1_000_000).tolist()
    users = store._user_nodes()
    node_id = dict(zip(users["user_id"], users["node_id"].tolist(), strict=True))
    start = time.perf_counter()
    with store.driver.session(database=store.settings.neo4j_database) as session:
        for i, row in enumerate(rows.itertuples(index=False)):
            params = {
                "sources": [node_id[row.source_id]],
                "targets": [node_id[row.target_id]],
                "types": [row.type],
                "at_ms": [at_ms[i]],
                "weights": [row.weight],
                "keys": [row.key + "|baseline"],
            }
            session.execute_write(
                lambda tx, p=params: tx.run(query("merge_interactions"), p).consume()
            )
    return sample / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--interactions-per-user", type=float, default=10.0)
    parser.add_argument("--baseline-sample", type=int, default=2_000)
    parser.add_argument("--sample", type=int, default=200, help="features --sample K")
    parser.add_argument(
        "--engines",
        default="igraph,networkx",
        help="engines timed per algorithm (networkx: about 6 minutes at 100k users)",
    )
    parser.add_argument("--stability", action="store_true")
    parser.add_argument(
        "--no-networkx-job",
        action="store_true",
        help="skip the plain-NetworkX features script (about an hour at 100k users)",
    )
    parser.add_argument(
        "--networkx-timeout",
        type=float,
        default=bench_engines.NETWORKX_TIMEOUT,
        help="stop the NetworkX script after this many seconds (then reported as a bound)",
    )
    parser.add_argument(
        "--no-one-core", action="store_true", help="skip default features on one core"
    )
    parser.add_argument("--algorithm-sources", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path(".bench/graph.json"))
    parser.add_argument(
        "--no-algorithms",
        action="store_true",
        help="stop after loads and pulls (the engine benchmarks take ~30+ minutes at 100k)",
    )
    args = parser.parse_args()

    uri = os.environ.get("GRAPHKIT_TEST_NEO4J_URI")
    if not uri:
        sys.exit("set GRAPHKIT_TEST_NEO4J_URI (run through scripts/with-test-neo4j)")
    settings = Settings(
        neo4j_uri=uri,
        neo4j_password=os.environ.get("GRAPHKIT_TEST_NEO4J_PASSWORD", "graphkit-test"),
    )
    t: dict[str, float] = {}
    print(f"graphkit benchmark: {args.users} users", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bench"
        sim = timed(
            "simulate",
            lambda: simulate_network(
                args.users, seed=1, interactions_per_user=args.interactions_per_user
            ),
            t,
        )
        timed("write CSV", lambda: write_dataset(sim, folder), t)
        dataset = timed("validate", lambda: load_dataset(folder), t)
        n_inter = len(dataset.interactions)

        store = Neo4jStore(settings)
        store.wipe()
        # A server's first load also pays for JIT compilation and growing its store
        # files; the second, into the wiped database, is what a running server does.
        timed("load into Neo4j, fresh server", lambda: store.load(dataset), t)
        store.wipe()
        timed("load into Neo4j (batched UNWIND)", lambda: store.load(dataset), t)
        batched_rate = n_inter / t["load into Neo4j (batched UNWIND)"]
        timed("reload same dataset (idempotent MERGE)", lambda: store.load(dataset), t)
        baseline_rate = one_row_per_transaction(store, dataset.interactions, args.baseline_sample)
        edges = timed_median(
            "pull from Neo4j (aggregate in Cypher)",
            lambda: store.aggregate_edges(EdgeFilter(), directed=False),
            t,
        )
        directed_edges = timed_median(
            "pull directed pairs from Neo4j",
            lambda: store.aggregate_edges(EdgeFilter(), directed=True),
            t,
        )
        nodes = store.user_ids()
        graph = timed("build NetworkX graph", lambda: build_graph(nodes, edges, directed=False), t)
        timed_median(
            "pull_graph from Neo4j (end to end)", lambda: pull_graph(store, SubgraphSpec()), t
        )
        store.close()

        local = LocalStore(Path(tmp) / "store")
        timed("load into embedded store", lambda: local.load(dataset), t)
        timed(
            "pull_graph from embedded store",
            lambda: pull_graph(LocalStore(local.folder), SubgraphSpec()),
            t,
        )
        del graph
        engines = None
        if not args.no_algorithms:
            engines = bench_engines.run(
                argparse.Namespace(
                    store=local.folder,
                    sample=args.sample,
                    engines=args.engines,
                    algorithm_sources=args.algorithm_sources,
                    no_networkx_job=args.no_networkx_job,
                    networkx_timeout=args.networkx_timeout,
                    no_one_core=args.no_one_core,
                    stability=args.stability,
                    out=args.out.with_name("engines.json"),
                )
            )

    pull_rate = len(edges) / t["pull from Neo4j (aggregate in Cypher)"]
    figures = {
        "users": args.users,
        "interactions": n_inter,
        "pairs": len(edges),
        "validate_rows_per_s": n_inter / t["validate"],
        "load_interactions_per_s": batched_rate,
        "load_fresh_server_interactions_per_s": n_inter / t["load into Neo4j, fresh server"],
        "baseline_one_per_tx_interactions_per_s": baseline_rate,
        "load_speedup_vs_baseline": batched_rate / baseline_rate,
        "pull_edges_per_s": pull_rate,
        "pull_directed_edges_per_s": len(directed_edges) / t["pull directed pairs from Neo4j"],
        "pull_end_to_end_edges_per_s": len(edges) / t["pull_graph from Neo4j (end to end)"],
        "embedded_pull_edges_per_s": len(edges) / t["pull_graph from embedded store"],
        "engines": engines,
        "seconds": t,
    }
    print("\nresults", file=sys.stderr)
    print(
        f"  load:  {batched_rate:10,.0f} interactions/s batched vs {baseline_rate:,.0f}/s "
        f"one per transaction  (x{batched_rate / baseline_rate:.1f})",
        file=sys.stderr,
    )
    print(
        f"  pull:  {pull_rate:10,.0f} edges/s from Neo4j "
        f"({figures['pull_directed_edges_per_s']:,.0f} directed; "
        f"{figures['pull_end_to_end_edges_per_s']:,.0f} into a NetworkX graph); "
        f"{figures['embedded_pull_edges_per_s']:,.0f} edges/s from the embedded store",
        file=sys.stderr,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, sort_keys=True))
    print(json.dumps(figures, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
