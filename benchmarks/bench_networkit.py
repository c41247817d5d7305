"""networkit against igraph, per algorithm, on one pulled graph (measured, never asserted).

    python benchmarks/bench_networkit.py STORE_DIR [--sources 100] [--threads 1]

STORE_DIR is an embedded store (``graphkit load DATASET --store STORE_DIR``). The README asks
for the default engine to use "igraph and/or networkit where you measure it faster" and can
be made to give the same answer. This prints, for each algorithm graphkit's engines compute
(unweighted undirected pull, as ``features`` uses): igraph's time (graphkit's igraph engine,
rescaled as graphkit reports it), networkit's time for the closest call, their ratio, and
whether the answers agree:

* same answer: the largest absolute difference between the two score vectors;
* partitions: each library's modularity (Louvain-type methods climb differently);
* sampled betweenness: networkit cannot take graphkit's source users (``EstimateBetweenness``
  draws its own and applies Geisberger–Sanders–Schultes scaling), so only the time is
  comparable; its answer is a different estimate.

networkit (MIT) is a benchmark-only dependency (the ``dev`` extra).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkit as nk
import numpy as np

from graphkit.graph.engines import choose_sources
from graphkit.graph.engines.base import PAGERANK_DAMPING, eppstein_wang
from graphkit.graph.engines.igraph_engine import IGraphGraph
from graphkit.graph.pull import pull_edges
from graphkit.store.local_store import LocalStore


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def to_networkit(nodes: int, source: np.ndarray, target: np.ndarray, weight: np.ndarray) -> Any:
    graph = nk.Graph(nodes, weighted=True, directed=False)
    graph.addEdges(
        (weight.astype(np.float64), (source.astype(np.uint64), target.astype(np.uint64)))
    )
    return graph


def networkit_closeness(graph: Any, pivots: list[int], n: int) -> np.ndarray:
    """Eppstein–Wang from the same pivots, one BFS per pivot (graphkit's formula)."""
    total, reached = np.zeros(n), np.zeros(n)
    for s in pivots:
        d = np.asarray(nk.distance.BFS(graph, s, storePaths=False).run().getDistances())
        finite = d < 1e300  # networkit marks unreachable users with the largest double
        total += np.where(finite, d, 0.0)
        reached += finite
    is_source = np.zeros(n, dtype=bool)
    is_source[pivots] = True
    reached -= is_source
    return eppstein_wang(total, reached, is_source, n, len(pivots))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    nk.setNumberOfThreads(args.threads)
    nk.setSeed(args.seed, False)

    pulled = pull_edges(LocalStore(args.store))
    n = pulled.nodes
    print(
        f"{n} users, {pulled.edges} pairs; networkit {nk.__version__} on {args.threads} thread(s)",
        file=sys.stderr,
    )
    rows: list[dict[str, Any]] = []

    def row(name: str, ig_seconds: float, nk_seconds: float, answer: str) -> None:
        rows.append(
            {
                "algorithm": name,
                "igraph_s": ig_seconds,
                "networkit_s": nk_seconds,
                "networkit_over_igraph": nk_seconds / ig_seconds,
                "answer": answer,
            }
        )
        print(
            f"  {name:<34} igraph {ig_seconds:8.2f} s  networkit {nk_seconds:8.2f} s  "
            f"(x{nk_seconds / ig_seconds:5.2f})  {answer}",
            file=sys.stderr,
            flush=True,
        )

    ig, t_ig = timed(lambda: IGraphGraph(pulled))
    nkg, t_nk = timed(lambda: to_networkit(n, pulled.source, pulled.target, pulled.weight))
    row(
        "build the graph from the arrays",
        t_ig,
        t_nk,
        "same graph" if nkg.numberOfEdges() == ig.graph.ecount() else "EDGE COUNTS DIFFER",
    )

    a, t_ig = timed(lambda: ig.degree(weighted=False).to_numpy())
    b, t_nk = timed(lambda: np.asarray(nk.centrality.DegreeCentrality(nkg).run().scores()))
    row("degree", t_ig, t_nk, f"max |diff| {np.abs(a - b).max():.1e}")

    a, t_ig = timed(lambda: ig.pagerank(weighted=True).to_numpy())
    pagerank = nk.centrality.PageRank(
        nkg,
        damp=PAGERANK_DAMPING,
        tol=1e-12,
        distributeSinks=nk.centrality.SinkHandling.DistributeSinks,
    )
    b, t_nk = timed(lambda: np.asarray(pagerank.run().scores()))
    b = b / b.sum()
    row("pagerank (weighted)", t_ig, t_nk, f"max |diff| {np.abs(a - b).max():.1e}")

    unweighted = nk.graphtools.toUnweighted(nkg)
    pivots = choose_sources(range(n), min(args.sources, n), args.seed)
    users = pulled.user_ids[pivots]
    _, t_ig = timed(lambda: ig.betweenness(weighted=False, sources=users))
    estimate = nk.centrality.EstimateBetweenness(
        unweighted, len(pivots), normalized=True, parallel=args.threads > 1
    )
    _, t_nk = timed(lambda: estimate.run())
    row(
        f"betweenness ({len(pivots)} sources)",
        t_ig,
        t_nk,
        "networkit draws its own sources: a different estimate",
    )

    a, t_ig = timed(lambda: ig.closeness(weighted=False, sources=users).to_numpy())
    b, t_nk = timed(lambda: networkit_closeness(unweighted, pivots, n))
    row(f"closeness ({len(pivots)} sources)", t_ig, t_nk, f"max |diff| {np.abs(a - b).max():.1e}")

    a, t_ig = timed(lambda: ig.clustering().to_numpy())
    clustering = nk.centrality.LocalClusteringCoefficient(unweighted, turbo=True)
    b, t_nk = timed(lambda: np.asarray(clustering.run().scores()))
    row("clustering", t_ig, t_nk, f"max |diff| {np.abs(a - b).max():.1e}")

    from graphkit.graph.communities import communities_of

    for method, make in (
        ("louvain", lambda: nk.community.PLM(nkg, refine=False, gamma=1.0, par="none")),
        ("leiden", lambda: nk.community.ParallelLeiden(nkg, randomize=True, gamma=1.0)),
    ):
        result, t_ig = timed(
            lambda m=method: communities_of(ig, method=m, weighted=True, resolution=1.0, seed=0)
        )
        algorithm = make()
        _, t_nk = timed(lambda a=algorithm: a.run())
        q = nk.community.Modularity().getQuality(algorithm.getPartition(), nkg)
        row(
            f"{method} (weighted)",
            t_ig,
            t_nk,
            f"modularity igraph {result.modularity:.4f}, networkit {q:.4f}",
        )

    a, t_ig = timed(lambda: ig.components().to_numpy())
    components = nk.components.ConnectedComponents(nkg)
    _, t_nk = timed(lambda: components.run())
    same = components.numberOfComponents() == len(np.unique(a))
    row("components", t_ig, t_nk, "same count" if same else "COUNTS DIFFER")
    print(json.dumps({"users": n, "pairs": pulled.edges, "threads": args.threads, "rows": rows}))


if __name__ == "__main__":
    main()
