"""How many source users to sample for betweenness and closeness, and how stable the top is.

Exact betweenness and closeness cost one shortest-path search per user. graphkit computes
them exactly up to :data:`EXACT_UP_TO` users; above that it *estimates* them from source
users (pivots) that graphkit draws (:func:`~graphkit.graph.engines.base.choose_sources`,
so every engine returns the same estimate for a seed):

Fixed sample (``sample=k``)
    The first ``k`` pivots of the seed's draw, as NetworkX's ``k=`` does.

Adaptive (the default above :data:`EXACT_UP_TO` users)
    Pivots are added in batches of :data:`BATCH` and betweenness is summed batch by batch
    (the estimate from all pivots so far is the pivot-weighted mean of the batch estimates,
    exactly the Brandes–Pich estimate from their union). At 256, 512, 1024, … pivots the
    stability of the top-``k`` users (``k`` = 100, or a twentieth of the users when fewer)
    is predicted: each user's standard error is the spread of the batch estimates over
    √batches; two independent re-estimates are drawn as normal around the estimate
    (:data:`REPLICATES` times, seeded) and their top-``k`` sets compared. Sampling stops
    when the expected overlap reaches :data:`TARGET_OVERLAP` or at :data:`MAX_SOURCES`.
    The output also gives the overlap actually observed between the two halves of the
    sample (odd and even batches) — a direct, assumption-free check at half the pivots.

    Closeness uses the first ``min(pivots, CLOSENESS_MAX_SOURCES)`` pivots (Eppstein–Wang):
    it averages distances, which converge much faster than path counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError
from graphkit.graph.engines.base import EngineGraph, choose_sources

EXACT_UP_TO = 5_000
"""Graphs with at most this many users get exact betweenness and closeness by default."""
BATCH = 32
FIRST_CHECK = 256
MAX_SOURCES = 4_096
TARGET_OVERLAP = 0.92
"""Expected top-k overlap between two seeds at which adaptive sampling stops."""
REPLICATES = 200
CLOSENESS_MAX_SOURCES = 1_024
STABLE_TOP = 100


@dataclass(frozen=True)
class Estimate:
    """Scores of one measure and how they were obtained."""

    scores: pd.Series
    sources: int
    """Source users the estimate used (= the number of users when exact)."""
    how: str
    """One sentence for people: exact, or estimated how and how stable."""
    expected_overlap: float | None = None
    halves_overlap: float | None = None
    top: int | None = None

    @property
    def exact(self) -> bool:
        return self.sources == len(self.scores)


def stable_top(n: int) -> int:
    """The top-list length whose stability adaptive sampling watches."""
    return max(1, min(STABLE_TOP, n // 20))


def top_set(values: np.ndarray, k: int) -> set[int]:
    """Indices of the ``k`` largest values (ties by position)."""
    order = np.lexsort((np.arange(len(values)), -values))
    return set(order[:k].tolist())


def expected_overlap(mean: np.ndarray, se: np.ndarray, k: int, seed: int) -> float:
    """Mean top-``k`` overlap of two independent normal re-estimates around ``mean``.

    Examples
    --------
    >>> expected_overlap(np.arange(1000.0), np.zeros(1000), 10, seed=0)
    1.0
    """
    # Users far below the k-th score cannot enter the top: keep the plausible candidates.
    kth = np.sort(mean)[-k]
    candidates = np.flatnonzero(mean + 6 * se >= kth - 6 * se.max())
    mu, sigma = mean[candidates], se[candidates]
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(REPLICATES):
        first = mu + sigma * rng.standard_normal(len(mu))
        second = mu + sigma * rng.standard_normal(len(mu))
        total += len(top_set(first, k) & top_set(second, k)) / k
    return total / REPLICATES


def fixed_sources(graph: EngineGraph, sample: int, seed: int) -> list[Any]:
    return choose_sources(graph.user_ids(), sample, seed)


def estimate_betweenness(
    graph: EngineGraph, *, weighted: bool, sample: int | None, seed: int
) -> tuple[Estimate, list[Any] | None]:
    """Betweenness: exact, from ``sample`` pivots, or adaptive (module docstring).

    Returns the estimate and the pivots used (None when exact), which closeness reuses.
    """
    n = graph.nodes
    if sample is not None and sample < 1:
        raise ConfigError("sample must be at least 1")
    if (sample is None and n <= EXACT_UP_TO) or (sample is not None and sample >= n):
        scores = graph.betweenness(weighted=weighted)
        return Estimate(scores, n, "exact"), None
    if sample is not None:
        pivots = fixed_sources(graph, sample, seed)
        scores = graph.betweenness(weighted=weighted, sources=pivots)
        how = f"estimated from {sample} of {n} source users (seed {seed})"
        return Estimate(scores, sample, how), pivots
    return adaptive_betweenness(graph, weighted=weighted, seed=seed)


def adaptive_betweenness(
    graph: EngineGraph, *, weighted: bool, seed: int
) -> tuple[Estimate, list[Any]]:
    n = graph.nodes
    k = stable_top(n)
    pivots = choose_sources(graph.user_ids(), min(n, MAX_SOURCES), seed)
    position = pd.Index(graph.user_ids()).get_indexer(pd.Index(pivots, dtype=object))
    ids = graph.user_ids()
    # Running sums over batches: the pivot-weighted sum of batch estimates (their union's
    # estimate), per half (even and odd batches), and the plain sum and sum of squares
    # of the batch estimates (their spread gives each user's standard error).
    weighted_sum = {0: np.zeros(n), 1: np.zeros(n)}
    weight_sum = {0: np.zeros(n), 1: np.zeros(n)}
    plain, squares = np.zeros(n), np.zeros(n)
    batches = 0
    used = 0
    check = FIRST_CHECK
    expected = halves = 0.0
    while used < len(pivots):
        batch = pivots[used : used + BATCH]
        is_source = np.zeros(n, dtype=bool)
        is_source[position[used : used + len(batch)]] = True
        values = np.nan_to_num(graph.betweenness(weighted=weighted, sources=batch).to_numpy())
        # A batch of size b weighs b − 1 for its own pivots, b for others (see
        # rescale_sampled_betweenness): the weighted mean is the union's estimate.
        w = len(batch) - is_source.astype(float)
        half = batches % 2
        weighted_sum[half] += values * w
        weight_sum[half] += w
        plain += values
        squares += values * values
        batches += 1
        used += len(batch)
        if used >= check or used == len(pivots):
            check *= 2
            mean = plain / batches
            variance = np.maximum(squares / batches - mean * mean, 0.0) * batches / (batches - 1)
            se = np.sqrt(variance / batches)
            union = (weighted_sum[0] + weighted_sum[1]) / (weight_sum[0] + weight_sum[1])
            expected = expected_overlap(union, se, k, seed)
            with np.errstate(divide="ignore", invalid="ignore"):
                first = np.nan_to_num(weighted_sum[0] / weight_sum[0])
                second = np.nan_to_num(weighted_sum[1] / weight_sum[1])
            halves = len(top_set(first, k) & top_set(second, k)) / k
            if expected >= TARGET_OVERLAP:
                break
    union = (weighted_sum[0] + weighted_sum[1]) / (weight_sum[0] + weight_sum[1])
    scores = pd.Series(union, index=pd.Index(ids, name="user_id"), name="betweenness")
    reached = "" if expected >= TARGET_OVERLAP else f" (stopped at the {MAX_SOURCES} cap)"
    how = (
        f"estimated from {used} of {n} source users, chosen adaptively (seed {seed}){reached}: "
        f"expected top-{k} overlap with another seed {expected:.2f}; "
        f"the two halves of the sample share {halves:.2f} of their top {k}"
    )
    return Estimate(scores, used, how, expected, halves, k), pivots[:used]


def estimate_closeness(
    graph: EngineGraph,
    *,
    weighted: bool,
    sample: int | None,
    seed: int,
    pivots: Sequence[Any] | None = None,
) -> Estimate:
    """Closeness: exact, from ``sample`` pivots, or from betweenness's adaptive pivots."""
    n = graph.nodes
    if sample is not None and sample < 1:
        raise ConfigError("sample must be at least 1")
    if (sample is None and n <= EXACT_UP_TO) or (sample is not None and sample >= n):
        return Estimate(graph.closeness(weighted=weighted), n, "exact")
    if sample is not None:
        chosen = list(pivots) if pivots is not None else fixed_sources(graph, sample, seed)
        how = f"estimated from {sample} of {n} source users (seed {seed})"
    else:
        if pivots is None:
            pivots = choose_sources(graph.user_ids(), min(n, CLOSENESS_MAX_SOURCES), seed)
        chosen = list(pivots)[:CLOSENESS_MAX_SOURCES]
        how = f"estimated from {len(chosen)} of {n} source users (seed {seed})"
    scores = graph.closeness(weighted=weighted, sources=chosen)
    return Estimate(scores, len(chosen), how)
