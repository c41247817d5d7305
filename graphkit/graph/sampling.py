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

Linear scaling (the adaptive default for unweighted betweenness on undirected graphs)
    Brandes–Pich credits a pivot s with the whole dependency of every pair (s, t), so a
    user next to a pivot gets a huge share and the estimate of a hub jumps whenever one of
    its neighbours is drawn. Geisberger, Sanders & Schultes (2008) scale the pair's
    dependency on v by d(s, v) / d(s, t): on an undirected graph the two orders of a pair
    then add up to the pair's dependency (d(s, v) + d(t, v) = d(s, t) on a shortest path),
    so with every user as a pivot it *is* exact betweenness and from k uniform pivots,
    scaled by n / k, it is unbiased. graphkit computes it itself
    (:mod:`graphkit.graph.searches`: one compiled breadth-first search per pivot on the
    pulled arrays, the pivots of a batch shared out over the cores), the same on every
    engine for the same pivots, and reads the Eppstein–Wang closeness off the same
    searches. Its stability is checked every :data:`CHECK_EVERY` pivots. Measured on the
    30k-user simulation: the top-100 overlap between two seeds at 512 pivots is 0.92
    against 0.84 for Brandes–Pich (see README).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError
from graphkit.graph.engines.base import EngineGraph, PulledGraph, choose_sources, eppstein_wang

EXACT_UP_TO = 5_000
"""Graphs with at most this many users get exact betweenness and closeness by default."""
BATCH = 32
FIRST_CHECK = 256
CHECK_EVERY = 256
"""Linear scaling checks stability every this many pivots after the first check."""
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
    closeness: Estimate | None = None
    """Eppstein–Wang closeness read off the same searches (linear scaling only)."""

    @property
    def exact(self) -> bool:
        return self.sources == len(self.scores)


def stable_top(n: int) -> int:
    """The top-list length whose stability adaptive sampling watches."""
    return max(1, min(STABLE_TOP, n // 20))


def top_set(values: np.ndarray, k: int) -> set[int]:
    """Indices of the ``k`` largest values (ties by position).

    Examples
    --------
    >>> sorted(top_set(np.array([3.0, 1.0, 3.0, 2.0]), 2))
    [0, 2]
    """
    if k >= len(values):
        return set(range(len(values)))
    # Only values at least the k-th largest can be in the top: sort just those.
    kth = np.partition(values, len(values) - k)[len(values) - k]
    candidates = np.flatnonzero(values >= kth)
    order = candidates[np.lexsort((candidates, -values[candidates]))]
    return set(order[:k].tolist())


def expected_overlap(mean: np.ndarray, se: np.ndarray, k: int, seed: int) -> float:
    """Mean top-``k`` overlap of two independent normal re-estimates around ``mean``.

    Examples
    --------
    >>> expected_overlap(np.arange(1000.0), np.zeros(1000), 10, seed=0)
    1.0
    """
    # A re-estimate is above mean − 6 se (all but 1e-9 of the time), so the k-th largest
    # re-estimate is above the k-th largest of those bounds, and a user whose mean + 6 se
    # is below that cannot enter the top: draw only the plausible candidates.
    k = min(k, len(mean))
    floor = np.partition(mean - 6 * se, len(mean) - k)[len(mean) - k]
    candidates = np.flatnonzero(mean + 6 * se >= floor)
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


def pulled_of(graph: EngineGraph) -> PulledGraph | None:
    """The pulled arrays behind an opened undirected graph (pulled once by an in-database
    engine, which then names graphkit as the one that computed betweenness), or None."""
    pulled = getattr(graph, "pulled", None)
    if isinstance(pulled, PulledGraph):
        return pulled
    pull = getattr(graph, "pulled_for", None)
    if pull is None:
        return None
    found = pull("betweenness", "graphkit", "linear-scaling estimate from graphkit's pivots")
    return found if isinstance(found, PulledGraph) else None


def adaptive_betweenness(
    graph: EngineGraph, *, weighted: bool, seed: int
) -> tuple[Estimate, list[Any]]:
    """Adaptive sampling (module docstring): linear scaling where it applies (unweighted,
    undirected, arrays at hand), else Brandes–Pich through the engine."""
    pulled = None if weighted or graph.directed else pulled_of(graph)
    if pulled is not None:
        return adaptive_linear_scaling(graph, pulled, seed=seed)
    return adaptive_brandes_pich(graph, weighted=weighted, seed=seed)


class StabilityTracker:
    """Batch estimates in, expected and observed top-k stability out (module docstring).

    Keeps running sums over batches: the weighted sum of batch estimates (their union's
    estimate) per half (even and odd batches), and the plain sum and sum of squares of the
    batch estimates (their spread gives each user's standard error).
    """

    def __init__(self, n: int, k: int, seed: int) -> None:
        self.k, self.seed = k, seed
        self.weighted_sum = {0: np.zeros(n), 1: np.zeros(n)}
        self.weight_sum = {0: np.zeros(n), 1: np.zeros(n)}
        self.plain, self.squares = np.zeros(n), np.zeros(n)
        self.batches = 0
        self.expected = self.halves = 0.0

    def add(self, values: np.ndarray, weight: np.ndarray | float) -> None:
        half = self.batches % 2
        self.weighted_sum[half] += values * weight
        self.weight_sum[half] += weight
        self.plain += values
        self.squares += values * values
        self.batches += 1

    def union(self) -> np.ndarray:
        total = self.weight_sum[0] + self.weight_sum[1]
        return (self.weighted_sum[0] + self.weighted_sum[1]) / total

    def check(self) -> float:
        """Update the expected overlap (returned) and the halves' observed overlap."""
        batches = self.batches
        if batches < 2:  # no spread to read yet (only on tiny graphs: every pivot at once)
            return self.expected
        mean = self.plain / batches
        variance = np.maximum(self.squares / batches - mean * mean, 0.0) * batches / (batches - 1)
        se = np.sqrt(variance / batches)
        self.expected = expected_overlap(self.union(), se, self.k, self.seed)
        with np.errstate(divide="ignore", invalid="ignore"):
            first = np.nan_to_num(self.weighted_sum[0] / self.weight_sum[0])
            second = np.nan_to_num(self.weighted_sum[1] / self.weight_sum[1])
        self.halves = len(top_set(first, self.k) & top_set(second, self.k)) / self.k
        return self.expected

    def how(self, method: str, used: int, n: int, seed: int) -> str:
        reached = "" if self.expected >= TARGET_OVERLAP else f" (stopped at the {MAX_SOURCES} cap)"
        return (
            f"estimated {method}from {used} of {n} source users, chosen adaptively "
            f"(seed {seed}){reached}: expected top-{self.k} overlap with another seed "
            f"{self.expected:.2f}; the two halves of the sample share {self.halves:.2f} of "
            f"their top {self.k}"
        )


def due(used: int, check: int, total: int) -> bool:
    return used >= check or used == total


def adaptive_brandes_pich(
    graph: EngineGraph, *, weighted: bool, seed: int
) -> tuple[Estimate, list[Any]]:
    n = graph.nodes
    tracker = StabilityTracker(n, stable_top(n), seed)
    pivots = choose_sources(graph.user_ids(), min(n, MAX_SOURCES), seed)
    position = pd.Index(graph.user_ids()).get_indexer(pd.Index(pivots, dtype=object))
    ids = graph.user_ids()
    used = 0
    check = FIRST_CHECK
    while used < len(pivots):
        batch = pivots[used : used + BATCH]
        is_source = np.zeros(n, dtype=bool)
        is_source[position[used : used + len(batch)]] = True
        values = np.nan_to_num(graph.betweenness(weighted=weighted, sources=batch).to_numpy())
        # A batch of size b weighs b − 1 for its own pivots, b for others (see
        # rescale_sampled_betweenness): the weighted mean is the union's estimate.
        tracker.add(values, len(batch) - is_source.astype(float))
        used += len(batch)
        if due(used, check, len(pivots)):
            check *= 2
            if tracker.check() >= TARGET_OVERLAP:
                break
    scores = pd.Series(tracker.union(), index=pd.Index(ids, name="user_id"), name="betweenness")
    how = tracker.how("", used, n, seed)
    estimate = Estimate(scores, used, how, tracker.expected, tracker.halves, tracker.k)
    return estimate, pivots[:used]


def adaptive_linear_scaling(
    graph: EngineGraph, pulled: PulledGraph, *, seed: int
) -> tuple[Estimate, list[Any]]:
    """Linear-scaling betweenness from adaptively many pivots, closeness from the first
    :data:`CLOSENESS_MAX_SOURCES` of them (module docstring)."""
    from graphkit.graph.searches import SearchGraph, linear_scaling_searches

    n = graph.nodes
    ids = graph.user_ids()
    tracker = StabilityTracker(n, stable_top(n), seed)
    pivots = choose_sources(ids, min(n, MAX_SOURCES), seed)
    position = pd.Index(pulled.user_ids).get_indexer(pd.Index(pivots, dtype=object))
    searchable = SearchGraph.from_pairs(pulled.source, pulled.target, n)
    # NetworkX's normalisation of an undirected graph: every unordered pair counted twice.
    scale = 2.0 / ((n - 1) * (n - 2))
    distance_sum, reached = np.zeros(n), np.zeros(n)
    used = 0
    check = FIRST_CHECK
    while used < len(pivots):
        batch = position[used : used + BATCH]
        closeness_columns = max(0, min(len(batch), CLOSENESS_MAX_SOURCES - used))
        dependency, distances, reaches = linear_scaling_searches(
            searchable, batch, closeness_columns
        )
        # n / b pivots' worth of every user: the batch's unbiased estimate.
        tracker.add(dependency * (n / len(batch)) * scale, float(len(batch)))
        distance_sum += distances
        reached += reaches
        used += len(batch)
        if due(used, check, len(pivots)):
            check += CHECK_EVERY
            if tracker.check() >= TARGET_OVERLAP:
                break
    index = pd.Index(ids, name="user_id")
    scores = pd.Series(tracker.union(), index=index, name="betweenness")
    how = tracker.how("with linear scaling (Geisberger–Sanders–Schultes) ", used, n, seed)
    chosen = min(used, CLOSENESS_MAX_SOURCES)
    is_source = np.zeros(n, dtype=bool)
    is_source[position[:chosen]] = True
    reached -= is_source  # a pivot reaches itself at distance 0: not a sample
    closeness = Estimate(
        pd.Series(
            eppstein_wang(distance_sum, reached, is_source, n, chosen),
            index=index,
            name="closeness",
        ),
        chosen,
        f"estimated from {chosen} of {n} source users (seed {seed})",
    )
    estimate = Estimate(
        scores, used, how, tracker.expected, tracker.halves, tracker.k, closeness=closeness
    )
    return estimate, pivots[:used]


def estimate_closeness(
    graph: EngineGraph,
    *,
    weighted: bool,
    sample: int | None,
    seed: int,
    pivots: Sequence[Any] | None = None,
    betweenness: Estimate | None = None,
) -> Estimate:
    """Closeness: exact, from ``sample`` pivots, or from betweenness's adaptive pivots
    (read off betweenness's own searches when ``betweenness`` carries it)."""
    n = graph.nodes
    closeness = betweenness.closeness if betweenness is not None else None
    if sample is None and closeness is not None and not weighted:
        return closeness
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
