"""The `graphkit features` job written directly on NetworkX (plus python-louvain).

    python benchmarks/features_networkx_direct.py STORE_DIR [--sample 200] [--seed 0]

The same input and columns as ``features_igraph_direct.py``, in plain NetworkX: what a
user without a compiled engine would write. Prints one JSON line: wall seconds, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import time
from pathlib import Path

import community as community_louvain  # python-louvain
import networkx as nx
import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()

    users = sorted(pd.read_parquet(args.store / "users.parquet", columns=["user_id"])["user_id"])
    rows = pd.read_parquet(
        args.store / "interactions.parquet", columns=["source_id", "target_id", "weight"]
    )
    rows = rows[rows["source_id"] != rows["target_id"]]
    low = np.minimum(rows["source_id"], rows["target_id"])
    high = np.maximum(rows["source_id"], rows["target_id"])
    pairs = (
        pd.DataFrame({"u": low, "v": high, "w": rows["weight"].to_numpy()})
        .groupby(["u", "v"])["w"]
        .sum()
    )
    graph = nx.Graph()
    graph.add_nodes_from(users)
    graph.add_weighted_edges_from((u, v, w) for (u, v), w in pairs.items())
    n = len(users)
    k = min(args.sample, n)

    betweenness = nx.betweenness_centrality(graph, k=k, seed=args.seed)
    pivots = random.Random(args.seed).sample(users, k)
    total, reached = dict.fromkeys(users, 0.0), dict.fromkeys(users, 0)
    for pivot in pivots:
        for node, d in nx.single_source_shortest_path_length(graph, pivot).items():
            if node != pivot:
                total[node] += d
                reached[node] += 1
    pivot_set = set(pivots)
    closeness = {}
    for node in users:
        scale = (n - 1) / (k - (node in pivot_set)) if k > (node in pivot_set) else 0.0
        dist = total[node] * scale
        closeness[node] = (reached[node] * scale) ** 2 / ((n - 1) * dist) if dist > 0 else 0.0
    pagerank = nx.pagerank(graph, weight="weight")
    partition = community_louvain.best_partition(graph, weight="weight", random_state=args.seed)
    clustering = nx.clustering(graph)
    table = pd.DataFrame(
        {
            "user_id": users,
            "degree": [graph.degree(u) for u in users],
            "weighted_degree": [graph.degree(u, weight="weight") for u in users],
            "pagerank": [pagerank[u] for u in users],
            "betweenness": [betweenness[u] for u in users],
            "closeness": [closeness[u] for u in users],
            "clustering": [clustering[u] for u in users],
            "community": [partition[u] for u in users],
        }
    )
    top = max(1, math.ceil(0.01 * n))
    table["influencer"] = table["pagerank"].rank(method="first", ascending=False) <= top
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"script": "networkx-direct", "seconds": seconds, "peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
