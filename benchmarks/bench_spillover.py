"""Seconds of exposure, exact probabilities and the Aronow–Samii variance on a large graph
(measured, never asserted).

    .venv/bin/python benchmarks/bench_spillover.py [--users 100000] [--ties 1000000]

The graph is graphkit's simulated network (degree-corrected planted partition, heavy-tailed
degrees) with ``--ties`` interactions among ``--users`` users, folded to undirected ties.
Steps, each timed once:

* adjacency: the sparse users × users matrix from the tie list;
* exposure: every user's as4 condition (graphkit ``expose``) beside the same count written
  directly as one SciPy sparse mat-vec (``A @ z``) — the fastest way to do the core step;
* exact probabilities under Bernoulli(1/2) and under cluster randomization (Louvain
  communities from the simulator's planted ones), and Monte Carlo with 100 draws
  for comparison;
* estimate: HT and Hájek effects with the conservative variances (only pairs of users whose
  neighbourhoods overlap are visited; the count is printed).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from graphkit.experiments.network import (
    ExposureMapping,
    Randomization,
    adjacency,
    estimate_effects,
    exact_probabilities,
    expose,
    monte_carlo_probabilities,
)
from graphkit.simulation import simulate_network


def timed(label: str, work: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - start
    print(f"{label:<58} {seconds:8.2f} s")
    return value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--ties", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--max-pairs",
        type=float,
        default=6e7,
        help="skip the variance when the overlapping pairs could exceed this (memory)",
    )
    args = parser.parse_args()

    sim, _ = timed(
        "simulate the network",
        lambda: simulate_network(
            args.users, seed=args.seed, interactions_per_user=args.ties / args.users
        ),
    )
    users = sorted(sim.users["user_id"])
    pairs = pd.DataFrame(
        {"source": sim.interactions["source_id"], "target": sim.interactions["target_id"]}
    )
    matrix, _ = timed("adjacency (sparse, both directions)", lambda: adjacency(users, pairs))
    degree = np.diff(matrix.indptr)
    print(
        f"graph: {len(users):,} users, {matrix.nnz // 2:,} distinct ties "
        f"({len(pairs):,} interactions), max degree {degree.max():,}, mean {degree.mean():.1f}"
    )
    mapping = ExposureMapping("as4")
    rng = np.random.default_rng(args.seed)
    treated = rng.random(len(users)) < 0.5

    exposure, t_expose = timed(
        "exposure: graphkit expose (as4)", lambda: expose(matrix, treated, mapping)
    )
    _, t_matvec = timed("exposure: SciPy A @ z alone", lambda: matrix @ treated.astype(np.int64))
    print(
        f"  expose / raw mat-vec: {t_expose / t_matvec:.1f}x; {len(users) / t_expose:,.0f} users/s"
    )

    bernoulli = Randomization.bernoulli(len(users), 0.5)
    probs, t_exact = timed(
        "exact probabilities (individual), Bernoulli(1/2)",
        lambda: exact_probabilities(matrix, bernoulli, mapping),
    )
    print(
        f"exposure + individual probabilities: {t_expose + t_exact:.2f} s "
        f"({len(users) / (t_expose + t_exact):,.0f} users/s)"
    )
    # Ordered pairs sharing a user of their closed neighbourhoods: at most Σ_v (d_v + 1)².
    bound = float(np.sum((degree + 1.0) ** 2))
    print(f"overlapping ordered pairs: at most {bound:,.0f} ({bound / len(users) ** 2:.2e} of n²)")
    if bound > args.max_pairs:
        print(f"variance skipped: more than --max-pairs {args.max_pairs:,.0f} pairs")
        return
    _, t_pattern = timed("overlapping pairs (sparse S Sᵀ)", lambda: probs.pattern())
    print(f"  stored: {probs.pairs:,} ordered pairs")
    y = rng.gamma(2.0, 5.0, len(users)) + 2.0 * treated
    result, t_estimate = timed(
        "estimate: HT + Hájek, 3 contrasts, Aronow–Samii variances",
        lambda: estimate_effects(
            exposure.codes, y, probs, contrasts=mapping.contrasts, treated=treated
        ),
    )
    first = result.effects[0]
    print(f"  {first.contrast} ({first.estimator}): {first.estimate:.3f} ± {first.se:.3f}")
    print(f"  {probs.pairs / t_estimate:,.0f} pairs/s")
    total = t_expose + t_exact + t_pattern + t_estimate
    print(f"exposure + probabilities + variance: {total:.1f} s ({len(users) / total:,.0f} users/s)")
    _, t_mc = timed(
        "Monte Carlo probabilities, 100 draws (R interference style)",
        lambda: monte_carlo_probabilities(matrix, bernoulli, mapping, replications=100, seed=1),
    )
    print(f"  Monte Carlo (100 draws) / exact individual: {t_mc / t_exact:.1f}x")


if __name__ == "__main__":
    main()
