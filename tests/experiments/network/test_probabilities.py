"""Exact exposure probabilities against full enumeration of every assignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from graphkit.experiments.network.exposure import ExposureMapping, expose
from graphkit.experiments.network.probabilities import (
    exact_probabilities,
    monte_carlo_probabilities,
)
from graphkit.experiments.network.randomization import Randomization

N = 10
# A directed 10-node graph: a hub, a triangle, a chain, a mutual pair and an isolate.
EDGES = [(0, 1), (0, 2), (0, 3), (4, 0), (1, 2), (2, 1), (3, 5), (5, 6), (6, 7), (7, 5), (8, 6)]
CLUSTERS = np.array([0, 0, 1, 1, 2, 2, 2, 3, 4, 4])


def _matrix(symmetric: bool) -> sp.csr_matrix:
    dense = np.zeros((N, N), dtype=np.int64)
    for i, j in EDGES:
        dense[i, j] = 1
        if symmetric:
            dense[j, i] = 1
    return sp.csr_matrix(dense)


def _assignments(design: Randomization) -> list[tuple[np.ndarray, float]]:
    """Every assignment the design can draw, with its probability."""
    out = []
    if design.kind == "complete":
        assert design.n_treated is not None
        subsets = list(itertools.combinations(range(N), design.n_treated))
        for subset in subsets:
            z = np.zeros(N, dtype=bool)
            z[list(subset)] = True
            out.append((z, 1 / len(subsets)))
        return out
    p = design.p
    assert p is not None
    blocks = design.blocks
    for bits in itertools.product([False, True], repeat=design.n_blocks):
        chosen = np.array(bits)
        weight = float(np.prod(np.where(chosen, p, 1 - p)))
        out.append((chosen[blocks], weight))
    return out


def _enumerated(matrix: sp.csr_matrix, design: Randomization, mapping: ExposureMapping):
    k_count = len(mapping.conditions)
    joint = np.zeros((k_count, k_count, N, N))
    for z, weight in _assignments(design):
        codes = expose(matrix, z, mapping).codes
        onehot = np.eye(k_count)[codes]  # N × K
        joint += weight * np.einsum("ik,jl->klij", onehot, onehot)
    return joint


DESIGNS = {
    "complete": Randomization.complete(N, 4),
    "bernoulli": Randomization.bernoulli(N, 0.3),
    "cluster": Randomization.cluster(CLUSTERS, 0.4),
}


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("design_name", list(DESIGNS))
@pytest.mark.parametrize("exposure", ["any", "as4", "all"])
def test_exact_probabilities_equal_full_enumeration(
    symmetric: bool, design_name: str, exposure: str
) -> None:
    matrix = _matrix(symmetric)
    design = DESIGNS[design_name]
    mapping = ExposureMapping.parse(exposure)
    truth = _enumerated(matrix, design, mapping)
    probs = exact_probabilities(matrix, design, mapping)
    k_count = len(mapping.conditions)
    for k in range(k_count):
        np.testing.assert_allclose(probs.individual[:, k], np.diag(truth[k, k]), atol=1e-12)
        for m in range(k_count):
            np.testing.assert_allclose(probs.joint_matrix(k, m), truth[k, m], atol=1e-12)


def test_only_overlapping_pairs_are_stored() -> None:
    matrix = _matrix(True)
    probs = exact_probabilities(matrix, DESIGNS["bernoulli"], ExposureMapping("as4"))
    closed = (matrix + sp.identity(N, dtype=np.int64)).toarray() > 0
    overlapping = (closed.astype(int) @ closed.T.astype(int)) > 0
    stored = np.zeros((N, N), dtype=bool)
    stored[probs.rows, probs.cols] = True
    assert (stored == overlapping).all()
    assert stored[9].sum() == 1  # the isolate pairs only with itself


@pytest.mark.parametrize("design_name", list(DESIGNS))
def test_monte_carlo_follows_the_r_convention(design_name: str) -> None:
    """π̂_i = (count + 1)/(R + 1); off-diagonal same-condition pairs count/(R + 1);
    cross-condition pairs count/R — recounted here from the same seeded draws."""
    matrix = _matrix(True)
    design = DESIGNS[design_name]
    mapping = ExposureMapping("as4")
    replications = 50
    probs = monte_carlo_probabilities(matrix, design, mapping, replications=replications, seed=3)
    draws = design.draw(np.random.default_rng(3), replications)
    codes = np.array([expose(matrix, z, mapping).codes for z in draws])
    for k in range(4):
        counts = (codes == k).sum(axis=0)
        np.testing.assert_allclose(probs.individual[:, k], (counts + 1) / (replications + 1))
    i, j = 0, 1  # neighbours: stored
    first = np.full(probs.rows.size, 2, dtype=np.int8)
    at = np.flatnonzero((probs.rows == i) & (probs.cols == j))[0]
    together_same = np.sum((codes[:, i] == 2) & (codes[:, j] == 2))
    together_cross = np.sum((codes[:, i] == 2) & (codes[:, j] == 3))
    assert probs.pair_joint(first, 2)[at] == pytest.approx(together_same / (replications + 1))
    assert probs.pair_joint(first, 3)[at] == pytest.approx(together_cross / replications)


def test_monte_carlo_approaches_exact() -> None:
    matrix = _matrix(True)
    design = DESIGNS["bernoulli"]
    mapping = ExposureMapping("as4")
    exact = exact_probabilities(matrix, design, mapping)
    mc = monte_carlo_probabilities(matrix, design, mapping, replications=4000, seed=1)
    np.testing.assert_allclose(mc.individual, exact.individual, atol=0.03)
