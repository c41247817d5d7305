"""Seconds and peak memory of exposure, exposure probabilities and the full spillover
estimate (HT + Hájek + Aronow–Samii variances) on large graphs (measured, never asserted).

    .venv/bin/python benchmarks/bench_spillover.py [--users 10000 30000 100000]
        [--ties-per-user 10] [--replications 1000]

For each size the graph is graphkit's simulated network (degree-corrected planted
partition, heavy-tailed degrees) with ``ties-per-user × users`` interactions, folded to
undirected ties. Every stage is timed once, with its own peak resident memory (the
kernel's high-water mark is reset before each stage through /proc/self/clear_refs).
Where the same quantity can be written directly with NumPy/SciPy, that direct version
runs beside it and the ratio graphkit / direct is printed (the machine is shared, so
ratios are more telling than seconds):

* exposure: graphkit ``expose`` (as4) vs ``A @ z`` and a ``np.select`` of the four
  conditions;
* individual probabilities under Bernoulli(p): graphkit ``exact_probabilities`` vs the
  closed forms ``q^(d+1)``, ``q(1 − q^d)``, ``p q^d``, ``p(1 − q^d)``;
* overlapping pairs: graphkit's count vs the nonzeros of ``S Sᵀ`` (S = A + I) by blocks;
* the variance of the HT total of ``no`` (control, no treated neighbour):
  ``Σ (1 − q^|S_i ∩ S_j|) · Y_i/π_i · Y_j/π_j`` over pairs of ``no`` users, graphkit's
  pair pass restricted to that sum vs the same sum from ``S_no S_noᵀ`` directly;
* the whole estimate (three as4 contrasts, HT and Hájek, variances) under Bernoulli, with
  the default trim and with trim 0 (every user with a positive probability kept, so
  every overlapping pair is visited), under complete randomization (the default when no
  design is recorded) and cluster randomization on the planted communities, and with
  Monte Carlo probabilities for ``count:1`` (no direct version: these are the
  library's own estimators).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from graphkit.experiments.network import (
    ExposureMapping,
    Randomization,
    adjacency,
    estimate_effects,
    exact_probabilities,
    expose,
    monte_carlo_probabilities,
)
from graphkit.experiments.network.estimators import _Job, _variance_sums
from graphkit.simulation import simulate_network


def reset_peak() -> None:
    """Reset VmHWM (Linux ≥ 4.0) so the next reading is the next stage's own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def peak_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stage(label: str, work: Callable[[], Any], rows: list[dict[str, Any]], size: int) -> Any:
    reset_peak()
    start = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - start
    peak = peak_mb()
    rows.append({"users": size, "stage": label, "seconds": seconds, "peak_mb": peak})
    print(f"  {label:<62} {seconds:8.2f} s  peak {peak:7.0f} MB", flush=True)
    return value


def ratio(rows: list[dict[str, Any]], mine: str, direct: str) -> None:
    by = {row["stage"]: row["seconds"] for row in rows[-8:]}
    print(f"    graphkit / direct: {by[mine] / by[direct]:.2f}x", flush=True)


def direct_as4(matrix: sp.csr_matrix, z: np.ndarray) -> np.ndarray:
    treated = np.asarray(matrix @ z.astype(np.int64)).ravel()
    some = treated > 0
    return np.select([z & some, z & ~some, ~z & some], [0, 1, 2], default=3)


def direct_bernoulli(degree: np.ndarray, p: float) -> np.ndarray:
    q = 1 - p
    none = q**degree
    return np.column_stack([p * (1 - none), p * none, q * (1 - none), q * none])


def direct_pairs(matrix: sp.csr_matrix, per_block: int = 5_000) -> int:
    closed = (matrix + sp.identity(matrix.shape[0], dtype=np.int64, format="csr")).tocsr()
    closed.data[:] = 1
    closed_t = closed.T.tocsr()
    return sum(
        int((closed[start : start + per_block] @ closed_t).nnz)
        for start in range(0, matrix.shape[0], per_block)
    )


def direct_no_variance(
    matrix: sp.csr_matrix, codes: np.ndarray, u: np.ndarray, p: float, per_block: int = 5_000
) -> float:
    """Σ over ordered pairs of `no` users of (1 − q^|S_i ∩ S_j|) u_i u_j (diagonal incl.)."""
    closed = (matrix + sp.identity(matrix.shape[0], dtype=np.int64, format="csr")).tocsr()
    closed.data[:] = 1
    chosen = np.flatnonzero(codes == 3)
    rows_no = closed[chosen]
    cols_no = rows_no.T.tocsr()
    q = 1 - p
    total = 0.0
    for start in range(0, chosen.size, per_block):
        product = (rows_no[start : start + per_block] @ cols_no).tocoo()
        left = u[chosen[start + product.row]]
        right = u[chosen[product.col]]
        total += float(np.sum((1 - q**product.data) * left * right))
    return total


def one_size(users_n: int, args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    print(f"\n== {users_n:,} users, {args.ties_per_user * users_n:,} interactions", flush=True)
    sim = simulate_network(users_n, seed=args.seed, interactions_per_user=args.ties_per_user)
    users = sorted(sim.users["user_id"])
    planted = sim.users.set_index("user_id").loc[users, "true_community"].to_numpy()
    pairs = pd.DataFrame(
        {"source": sim.interactions["source_id"], "target": sim.interactions["target_id"]}
    )
    del sim
    matrix = stage(
        "adjacency (sparse, both directions)", lambda: adjacency(users, pairs), rows, users_n
    )
    degree = np.diff(matrix.indptr)
    print(
        f"  graph: {matrix.nnz // 2:,} distinct ties, max degree {degree.max():,}, "
        f"mean {degree.mean():.1f}"
    )
    n = len(users)
    mapping = ExposureMapping("as4")
    rng = np.random.default_rng(args.seed)
    p = args.p
    treated = rng.random(n) < p
    y = rng.gamma(2.0, 5.0, n) + 2.0 * treated

    exposure = stage(
        "exposure as4: graphkit expose", lambda: expose(matrix, treated, mapping), rows, users_n
    )
    direct = stage(
        "exposure as4: direct A @ z + np.select", lambda: direct_as4(matrix, treated), rows, users_n
    )
    assert np.array_equal(exposure.codes, direct)
    ratio(rows, "exposure as4: graphkit expose", "exposure as4: direct A @ z + np.select")

    bernoulli = Randomization.bernoulli(n, p)
    probs = stage(
        f"probabilities, Bernoulli({p:g}): graphkit exact",
        lambda: exact_probabilities(matrix, bernoulli, mapping),
        rows,
        users_n,
    )
    closed_form = stage(
        f"probabilities, Bernoulli({p:g}): direct closed form",
        lambda: direct_bernoulli(degree, p),
        rows,
        users_n,
    )
    # graphkit reads probabilities below 1e-12 as 0 (rounding residue of differences).
    np.testing.assert_allclose(probs.individual, closed_form, rtol=1e-12, atol=1e-12)
    ratio(
        rows,
        f"probabilities, Bernoulli({p:g}): graphkit exact",
        f"probabilities, Bernoulli({p:g}): direct closed form",
    )

    count = stage("overlapping pairs: graphkit count", lambda: probs.pairs, rows, users_n)
    count_direct = stage(
        "overlapping pairs: direct nnz of S Sᵀ", lambda: direct_pairs(matrix), rows, users_n
    )
    assert count == count_direct
    print(f"    {count:,} ordered pairs ({count / n**2:.2e} of n²)")
    ratio(rows, "overlapping pairs: graphkit count", "overlapping pairs: direct nnz of S Sᵀ")

    codes = exposure.codes
    active = probs.individual[:, 3] > 0
    no = np.where(active, codes, -1).astype(np.int8)
    u = np.divide(y, probs.individual[:, 3], out=np.zeros(n), where=no == 3)
    job = _Job(active, [y], ((3, 3),))
    ours = stage(
        "variance sum of the HT total of `no`: graphkit pair pass",
        lambda: _variance_sums(probs, no, [job])[0][0][(3, 3)][0],
        rows,
        users_n,
    )
    theirs = stage(
        "variance sum of the HT total of `no`: direct S_no S_noᵀ",
        lambda: direct_no_variance(matrix, no, u, p),
        rows,
        users_n,
    )
    print(
        f"    {int(np.sum(no == 3)):,} users in `no`; "
        f"relative difference {abs(ours - theirs) / abs(theirs):.1e}"
    )
    ratio(
        rows,
        "variance sum of the HT total of `no`: graphkit pair pass",
        "variance sum of the HT total of `no`: direct S_no S_noᵀ",
    )

    def estimate(
        probabilities: Any,
        trim: float = 0.01,
        codes: np.ndarray = codes,
        contrasts: Any = mapping.contrasts,
    ) -> Any:
        return estimate_effects(
            codes, y, probabilities, contrasts=contrasts, treated=treated, trim=trim
        )

    for trim in (0.01, 0.0):
        result = stage(
            f"estimate (3 contrasts, HT + Hájek + variances), Bernoulli, trim {trim:g}",
            lambda trim=trim: estimate(probs, trim),
            rows,
            users_n,
        )
        first = result.effects[0]
        print(f"    {first.contrast} ({first.estimator}): {first.estimate:.3f} ± {first.se:.3f}")

    complete = Randomization.complete(n, int(treated.sum()))
    probs_c = stage(
        "probabilities, complete randomization: graphkit exact",
        lambda: exact_probabilities(matrix, complete, mapping),
        rows,
        users_n,
    )
    stage("estimate, complete randomization, trim 0.01", lambda: estimate(probs_c), rows, users_n)

    clusters = Randomization.cluster(planted, p)
    probs_k = stage(
        f"probabilities, cluster ({clusters.n_blocks:,} planted communities): exact",
        lambda: exact_probabilities(matrix, clusters, mapping),
        rows,
        users_n,
    )
    # Pairs visited: of types of users when users share their sets (UserTypes).
    visited = probs_k.types.probabilities if probs_k.types is not None else probs_k
    bound = int(visited.source.work(None).sum())
    if probs_k.types is not None:
        print(f"    {visited.n:,} types of users (same own cluster and touched clusters)")
    if bound > args.max_pairs:
        print(
            f"    estimate skipped: up to {bound:,} overlapping pairs under this clustering "
            f"(--max-pairs {args.max_pairs:,.0f})"
        )
    else:
        stage(
            "estimate, cluster randomization, trim 0.01", lambda: estimate(probs_k), rows, users_n
        )

    fraction = ExposureMapping.parse("count:1")
    codes_f = expose(matrix, treated, fraction).codes
    probs_mc = stage(
        f"probabilities, count:1, Monte Carlo {args.replications} draws",
        lambda: monte_carlo_probabilities(
            matrix, bernoulli, fraction, replications=args.replications, seed=1
        ),
        rows,
        users_n,
    )
    stage(
        "estimate, count:1, Monte Carlo, trim 0.01",
        lambda: estimate(probs_mc, codes=codes_f, contrasts=fraction.contrasts),
        rows,
        users_n,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--ties-per-user", type=float, default=10.0)
    parser.add_argument("--p", type=float, default=0.1, help="treatment probability")
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--max-pairs",
        type=float,
        default=3e8,
        help="skip the cluster-design estimate when its overlapping pairs could exceed this",
    )
    parser.add_argument("--csv", help="also write the stage table here")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for users_n in args.users:
        one_size(users_n, args, rows)
    table = pd.DataFrame(rows)
    if args.csv:
        table.to_csv(args.csv, index=False)
    print()
    print(
        table.pivot(index="stage", columns="users", values="seconds").round(2).to_string(),
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()
