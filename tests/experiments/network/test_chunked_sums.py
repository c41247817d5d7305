"""The block-by-block pair pass against the previous all-pairs-at-once implementation.

``_old_probabilities`` / ``_old_estimators`` are the code as it was before the chunked
rewrite (every overlapping pair materialised at once, intersections from one sparse
product per pair of sets); they were checked against R ``interference``'s numbers, a
dense reference and full enumeration (test_estimators.py, test_probabilities.py). The new
pass must give the same probabilities bit for bit and the same sums to rounding, however
small the blocks.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.sparse as sp

from graphkit.experiments.network.estimators import _pair_sums, _Population, estimate_effects
from graphkit.experiments.network.exposure import ExposureMapping, expose
from graphkit.experiments.network.probabilities import (
    exact_probabilities,
    monte_carlo_probabilities,
)
from graphkit.experiments.network.randomization import Randomization
from tests.experiments.network import _old_estimators as old_estimators
from tests.experiments.network import _old_probabilities as old_probabilities

N = 90


@functools.cache
def _matrix(symmetric: bool) -> sp.csr_matrix:
    """A random directed graph with a hub (user 0) and a few isolates."""
    rng = np.random.default_rng(7)
    rows = rng.integers(0, N - 4, 260)
    cols = rng.integers(0, N - 4, 260)
    hub = rng.choice(np.arange(1, N - 4), 30, replace=False)
    rows = np.concatenate([rows, np.zeros(30, dtype=np.int64), hub[:10]])
    cols = np.concatenate([cols, hub, np.zeros(10, dtype=np.int64)])
    if symmetric:
        rows, cols = np.concatenate([rows, cols]), np.concatenate([cols, rows])
    keep = rows != cols
    matrix = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.int64), (rows[keep], cols[keep])), shape=(N, N)
    )
    matrix.data[:] = 1
    return matrix


CLUSTERS = np.random.default_rng(3).integers(0, 25, N)
DESIGNS = {
    "complete": Randomization.complete(N, 37),
    "bernoulli": Randomization.bernoulli(N, 0.4),
    "cluster": Randomization.cluster(CLUSTERS, 0.5),
}


def _compare_sums(new, old, codes, pi, rng, blocks=(1_000_000, 40)):
    """Sums of every pair of conditions, for Y and a second vector, with some users left
    out of the population."""
    codes = codes.copy()
    codes[rng.random(N) < 0.15] = -1
    values = [rng.normal(3, 2, N), rng.normal(0, 1, N)]
    reference = old_estimators._pair_sums(old, old_estimators._Population(codes, pi), values)
    for max_pairs in blocks:
        found = _pair_sums(new, _Population(codes, pi), values, max_pairs=max_pairs)
        for got, want in zip(found, reference, strict=True):
            assert got.keys() == want.keys()
            for key in want:
                np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("design_name", list(DESIGNS))
@pytest.mark.parametrize("exposure", ["any", "as4", "all"])
def test_exact_pass_equals_the_previous_implementation(
    symmetric: bool, design_name: str, exposure: str
) -> None:
    matrix, design = _matrix(symmetric), DESIGNS[design_name]
    mapping = ExposureMapping.parse(exposure)
    new = exact_probabilities(matrix, design, mapping)
    old = old_probabilities.exact_probabilities(matrix, design, mapping)
    np.testing.assert_array_equal(new.individual, old.individual)
    k_count = len(mapping.conditions)
    for k in range(k_count):
        for m in range(k_count):
            np.testing.assert_array_equal(new.joint_matrix(k, m), old.joint_matrix(k, m))
    assert new.pairs == old.pairs
    rng = np.random.default_rng(11)
    codes = expose(matrix, design.draw(rng, 1)[0], mapping).codes
    _compare_sums(new, old, codes, new.individual, rng)


@pytest.mark.parametrize("design_name", list(DESIGNS))
@pytest.mark.parametrize("exposure", ["as4", "fraction:0.5"])
def test_monte_carlo_pass_equals_the_previous_implementation(
    design_name: str, exposure: str
) -> None:
    """Batched draws keep the generator's stream: the same counts as one draw per loop."""
    matrix, design = _matrix(True), DESIGNS[design_name]
    mapping = ExposureMapping.parse(exposure)
    replications = 150  # more than one batch of draws and more than two words of bits
    new = monte_carlo_probabilities(matrix, design, mapping, replications=replications, seed=4)
    old = old_probabilities.monte_carlo_probabilities(
        matrix, design, mapping, replications=replications, seed=4
    )
    np.testing.assert_array_equal(new.individual, old.individual)
    k_count = len(mapping.conditions)
    for k in range(k_count):
        for m in range(k_count):
            np.testing.assert_array_equal(new.joint_matrix(k, m), old.joint_matrix(k, m))
    rng = np.random.default_rng(12)
    codes = expose(matrix, design.draw(rng, 1)[0], mapping).codes
    _compare_sums(new, old, codes, new.individual, rng)


@pytest.mark.parametrize("design_name", list(DESIGNS))
def test_estimates_equal_the_previous_contrast_by_contrast_sums(design_name: str) -> None:
    """One pass for all contrasts gives each contrast the variance its own sums give."""
    matrix, design = _matrix(True), DESIGNS[design_name]
    mapping = ExposureMapping("as4")
    new = exact_probabilities(matrix, design, mapping)
    old = old_probabilities.exact_probabilities(matrix, design, mapping)
    rng = np.random.default_rng(2)
    codes = expose(matrix, design.draw(rng, 1)[0], mapping).codes
    y = rng.gamma(2.0, 3.0, N)
    trim = 0.02
    result = estimate_effects(codes, y, new, contrasts=mapping.contrasts, trim=trim)
    pi = new.individual
    inside = (pi > trim) & (pi < 1 - trim)
    for condition, reference in mapping.contrasts:
        k, m = mapping.conditions.index(condition), mapping.conditions.index(reference)
        member = inside[:, k] & inside[:, m]
        in_k, in_m = member & (codes == k), member & (codes == m)
        population = np.where(member, codes, -1).astype(np.int8)
        values = np.where(in_k | in_m, y, 0.0)
        (sums,) = old_estimators._pair_sums(
            old, old_estimators._Population(population, pi), [values]
        )
        variance = (sums[(k, k)][0] + sums[(k, k)][1] + sums[(m, m)][0] + sums[(m, m)][1]) - 2 * (
            sums[(k, m)][0] - sums[(k, m)][1]
        )
        total = np.sum(y[in_k] / pi[in_k, k]) - np.sum(y[in_m] / pi[in_m, m])
        effect = result.effect(condition, reference, "ht")
        assert effect.estimate == pytest.approx(total / member.sum(), rel=1e-12)
        assert effect.se**2 == pytest.approx(max(variance, 0) / member.sum() ** 2, rel=1e-10)


@functools.cache
def _clustered() -> tuple[sp.csr_matrix, Randomization]:
    """Ties mostly inside clusters of 10, so many users share their own cluster and the
    clusters touching their neighbours (one type of users)."""
    rng = np.random.default_rng(5)
    clusters = np.arange(N) // 10
    rows, cols = [], []
    for _ in range(200):
        i = int(rng.integers(0, N))
        inside = rng.random() < 0.9
        j = (
            int(rng.choice(np.flatnonzero(clusters == clusters[i])))
            if inside
            else int(rng.integers(0, N))
        )
        if i != j:
            rows += [i, j]
            cols += [j, i]
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(N, N))
    matrix.data[:] = 1
    return matrix, Randomization.cluster(clusters, 0.5)


@pytest.mark.parametrize("exposure", ["any", "as4", "all"])
def test_types_of_users_give_the_same_sums(exposure: str) -> None:
    """Under cluster randomization users with the same own cluster and the same clusters
    touching their neighbours are summed as one type: same sums, same pair count."""
    matrix, design = _clustered()
    mapping = ExposureMapping.parse(exposure)
    new = exact_probabilities(matrix, design, mapping)
    old = old_probabilities.exact_probabilities(matrix, design, mapping)
    assert new.types is not None
    assert new.types.probabilities.n < 2 * N / 3  # the types do merge users
    np.testing.assert_array_equal(new.individual, old.individual)
    assert new.pairs == old.pairs
    rng = np.random.default_rng(8)
    for _ in range(3):
        codes = expose(matrix, design.draw(rng, 1)[0], mapping).codes
        _compare_sums(new, old, codes, new.individual, rng)
    # Conditions that are not a function of the type (from another graph): user by user.
    possible = new.individual > 0
    codes = np.array([rng.choice(np.flatnonzero(row)) for row in possible], dtype=np.int8)
    _compare_sums(new, old, codes, new.individual, rng)
