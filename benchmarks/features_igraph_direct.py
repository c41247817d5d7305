"""The `graphkit features` job written directly on igraph: the yardstick for graphkit's speed.

    python benchmarks/features_igraph_direct.py STORE_DIR [--sample 200] [--seed 0]

Reads the embedded store's Parquet files (what `graphkit features --store STORE_DIR`
reads), aggregates interactions per undirected pair, and computes the same columns the
same way — degree, strength, weighted PageRank, betweenness and Wasserman–Faust closeness
estimated from the same K source users, clustering, weighted Louvain, the top-1% flag —
with nothing of graphkit. Prints one JSON line: wall seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import time
from pathlib import Path

import igraph as ig
import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    start = time.perf_counter()

    users = np.sort(pd.read_parquet(args.store / "users.parquet", columns=["user_id"])["user_id"])
    pairs = pd.read_parquet(
        args.store / "interactions.parquet", columns=["source_id", "target_id", "weight"]
    )
    index = pd.Index(users)
    s = index.get_indexer(pairs["source_id"])
    t = index.get_indexer(pairs["target_id"])
    keep = s != t
    low, high = np.minimum(s, t)[keep], np.maximum(s, t)[keep]
    key, inverse = np.unique(low.astype(np.int64) * len(users) + high, return_inverse=True)
    weight = np.bincount(inverse, pairs["weight"].to_numpy()[keep])
    n = len(users)
    graph = ig.Graph(n=n, edges=np.column_stack([key // n, key % n]).tolist())
    graph.es["weight"] = weight.tolist()

    pivots = random.Random(args.seed).sample(range(n), min(args.sample, n))
    is_pivot = np.zeros(n, dtype=bool)
    is_pivot[pivots] = True
    k = len(pivots)
    # NetworkX's sampled, normalised betweenness: igraph counts an undirected pair once.
    raw = 2 * np.asarray(graph.betweenness(sources=pivots))
    betweenness = raw / (np.where(is_pivot, k - 1, k) * (n - 2))
    # Eppstein–Wang closeness from the same pivots.
    total, reached = np.zeros(n), np.zeros(n)
    for i in range(0, k, 64):
        d = np.array(graph.distances(source=pivots[i : i + 64]), dtype=float)
        finite = np.isfinite(d)
        total += np.where(finite, d, 0).sum(axis=0)
        reached += finite.sum(axis=0)
    reached -= is_pivot
    scale = (n - 1) / (k - is_pivot)
    with np.errstate(divide="ignore", invalid="ignore"):
        closeness = np.where(total > 0, (reached * scale) ** 2 / ((n - 1) * total * scale), 0.0)

    random.seed(args.seed)
    table = pd.DataFrame(
        {
            "user_id": users,
            "degree": graph.degree(),
            "weighted_degree": graph.strength(weights="weight"),
            "pagerank": graph.pagerank(weights="weight"),
            "betweenness": betweenness,
            "closeness": closeness,
            "clustering": graph.transitivity_local_undirected(mode="zero"),
            "community": graph.community_multilevel(weights="weight").membership,
        }
    )
    top = max(1, math.ceil(0.01 * n))
    order = np.lexsort((users, -table["pagerank"].to_numpy()))
    table["influencer"] = False
    table.loc[order[:top], "influencer"] = True
    if args.out is not None:
        table.to_parquet(args.out, index=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"script": "igraph-direct", "seconds": seconds, "peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
