"""GDS in the database, and `graphkit load` against Neo4j's own LOAD CSV (measured, never asserted).

    make bench-gds   # or: NEO4J_HEAP=4g NEO4J_PAGECACHE=2g scripts/with-test-neo4j \\
                     #         .venv/bin/python benchmarks/bench_gds.py

Needs GRAPHKIT_TEST_NEO4J_URI (a throwaway server with Graph Data Science: its database
is wiped) and GRAPHKIT_TEST_NEO4J_IMPORT_DIR (the server's import folder, for LOAD CSV).
Prints, for one run on this machine and one simulated network (default 100k users,
1M interactions):

  * ``graphkit load`` (validation, then batched UNWIND over Bolt) beside the import a
    Neo4j Browser user would run on the same server and files: cypher/csv/*.cypher,
    ``LOAD CSV ... CALL { } IN TRANSACTIONS OF 10000 ROWS``; their ratio;
  * the gds engine's time per algorithm, computed in the server on a projection (the
    graph is never pulled into Python; only one score per user comes back);
  * with ``--exact-closeness``: exact closeness of every user in GDS (heavy; run once).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import time
from pathlib import Path

import measuring  # type: ignore[import-not-found]  # benchmarks/ is on sys.path

from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.graph.engines import choose_sources
from graphkit.graph.engines.gds import GdsEngine, gds_version
from graphkit.graph.pull import SubgraphSpec
from graphkit.simulation import simulate_network, write_dataset
from graphkit.store.neo4j_store import Neo4jStore
from graphkit.store.queries import query, statements

# Labels padded to this benchmark's longest.
timed = functools.partial(measuring.timed, width=46)


def load_csv(store: Neo4jStore, import_dir: Path, folder: Path) -> None:
    """What a Browser user runs: schema, then the two LOAD CSV scripts of cypher/csv/."""
    for name in ("users", "interactions"):
        shutil.copy(folder / f"{name}.csv", import_dir / f"{name}.csv")
    with store.driver.session(database=store.settings.neo4j_database) as session:
        for statement in statements("schema"):
            session.run(statement).consume()
        # CALL { } IN TRANSACTIONS runs only in an auto-commit transaction.
        session.run(query("csv/load_users_csv"), users_url="file:///users.csv").consume()
        session.run(
            query("csv/load_interactions_csv"), interactions_url="file:///interactions.csv"
        ).consume()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--interactions-per-user", type=float, default=10.0)
    parser.add_argument("--sample", type=int, default=200, help="sources of sampled measures")
    parser.add_argument("--exact-closeness", action="store_true")
    parser.add_argument("--data", type=Path, default=Path(".bench/gds-data"))
    parser.add_argument("--out", type=Path, default=Path(".bench/gds.json"))
    args = parser.parse_args()

    uri = os.environ.get("GRAPHKIT_TEST_NEO4J_URI")
    import_dir = os.environ.get("GRAPHKIT_TEST_NEO4J_IMPORT_DIR")
    if not uri or not import_dir:
        sys.exit("run through scripts/with-test-neo4j (needs the test server and its import dir)")
    settings = Settings(
        neo4j_uri=uri,
        neo4j_password=os.environ.get("GRAPHKIT_TEST_NEO4J_PASSWORD", "graphkit-test"),
    )
    t: dict[str, float] = {}
    print(f"graphkit GDS benchmark: {args.users:,} users", file=sys.stderr)
    folder = args.data / f"{args.users}"
    if not (folder / "interactions.csv").exists():
        sim = timed(
            "simulate",
            lambda: simulate_network(
                args.users, seed=3, interactions_per_user=args.interactions_per_user
            ),
            t,
        )
        timed("write CSV", lambda: write_dataset(sim, folder, force=True), t)
    dataset = timed("validate (graphkit load, step 1)", lambda: load_dataset(folder), t)
    n_inter = len(dataset.interactions)

    store = Neo4jStore(settings)
    version = gds_version(store)
    if version is None:
        sys.exit("the test server has no Graph Data Science plugin")
    store.wipe()
    # Warm the server (JIT, store files) with one load, as bench_graph.py does, so neither
    # loader below pays for it.
    timed("warm-up load (not compared)", lambda: store.load(dataset), t)
    store.wipe()
    timed(
        "LOAD CSV ... IN TRANSACTIONS (Browser)",
        lambda: load_csv(store, Path(import_dir), folder),
        t,
    )
    store.wipe()
    timed("graphkit load (batched UNWIND, step 2)", lambda: store.load(dataset), t)
    graphkit_total = (
        t["validate (graphkit load, step 1)"] + t["graphkit load (batched UNWIND, step 2)"]
    )

    engine = GdsEngine()
    spec = SubgraphSpec()
    opened = engine.open(store=store, spec=spec)
    start = time.perf_counter()
    graph = opened.__enter__()
    t["gds: estimate + project"] = time.perf_counter() - start
    print(
        f"  {'gds: estimate + project':<46} {t['gds: estimate + project']:8.2f} s", file=sys.stderr
    )
    try:
        sources = choose_sources(graph.user_ids(), args.sample, seed=0)
        timed("gds: degree", lambda: graph.degree(weighted=False), t)
        timed("gds: strength", lambda: graph.degree(weighted=True), t)
        timed("gds: pagerank (weighted)", lambda: graph.pagerank(weighted=True), t)
        timed("gds: components (wcc)", graph.components, t)
        timed("gds: clustering", graph.clustering, t)
        timed(
            f"gds: betweenness, {args.sample} sources",
            lambda: graph.betweenness(weighted=False, sources=sources),
            t,
        )
        timed(
            f"gds: closeness, {args.sample} pivots",
            lambda: graph.closeness(weighted=False, sources=sources),
            t,
        )
        louvain = timed(
            "gds: louvain (weighted)",
            lambda: graph.communities(method="louvain", weighted=True, resolution=1.0, seed=0),
            t,
        )
        leiden = timed(
            "gds: leiden (weighted)",
            lambda: graph.communities(method="leiden", weighted=True, resolution=1.0, seed=0),
            t,
        )
        if args.exact_closeness:
            timed("gds: exact closeness, every user", lambda: graph.closeness(weighted=False), t)
        nodes, pairs = graph.nodes, graph.edges
    finally:
        start = time.perf_counter()
        opened.__exit__(None, None, None)
        t["gds: drop projection"] = time.perf_counter() - start
    store.close()

    ratio = (
        t["LOAD CSV ... IN TRANSACTIONS (Browser)"] / t["graphkit load (batched UNWIND, step 2)"]
    )
    figures = {
        "gds_version": version,
        "users": nodes,
        "interactions": n_inter,
        "pairs": pairs,
        "load_csv_seconds": t["LOAD CSV ... IN TRANSACTIONS (Browser)"],
        "graphkit_load_seconds": t["graphkit load (batched UNWIND, step 2)"],
        "graphkit_validate_and_load_seconds": graphkit_total,
        "load_csv_over_graphkit_load": ratio,
        "load_csv_over_graphkit_validate_and_load": t["LOAD CSV ... IN TRANSACTIONS (Browser)"]
        / graphkit_total,
        "louvain_modularity": louvain.modularity,
        "leiden_modularity": leiden.modularity,
        "seconds": t,
    }
    print("\nresults", file=sys.stderr)
    print(
        f"  load: graphkit {t['graphkit load (batched UNWIND, step 2)']:.1f} s "
        f"(+{t['validate (graphkit load, step 1)']:.1f} s validation) vs LOAD CSV "
        f"{t['LOAD CSV ... IN TRANSACTIONS (Browser)']:.1f} s: LOAD CSV / graphkit = x{ratio:.2f} "
        f"(x{figures['load_csv_over_graphkit_validate_and_load']:.2f} with validation)",
        file=sys.stderr,
    )
    print(
        f"  gds {version}: {nodes:,} users, {pairs:,} pairs; Louvain Q {louvain.modularity:.4f}, "
        f"Leiden Q {leiden.modularity:.4f}",
        file=sys.stderr,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, sort_keys=True))
    print(json.dumps(figures, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
