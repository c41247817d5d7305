"""HT/Hájek estimates and Aronow–Samii variances: R oracles, a dense reference, enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

from graphkit.errors import ConfigError, InsufficientData
from graphkit.experiments.network.estimators import (
    _pair_sums,
    _Population,
    estimate_effects,
    naive_difference,
)
from graphkit.experiments.network.exposure import ExposureMapping, expose
from graphkit.experiments.network.probabilities import (
    exact_probabilities,
    explicit_probabilities,
)
from graphkit.experiments.network.randomization import Randomization

# R interference, tests/testthat/test_var_yT.R (numbers ported, not code).
Y = np.array([-1.0, 2.0, 3.0])
CODES = np.array([0, 0, 1], dtype=np.int8)
P1 = [[0.3, 0.2, 0.1], [0.2, 0.5, 0.4], [0.1, 0.4, 0.8]]
P2 = [[0.7, 0.4, 0.1], [0.4, 0.5, 0.1], [0.1, 0.1, 0.2]]
P1_ZEROS = [[0.3, 0, 0], [0, 0.5, 0.4], [0, 0.4, 0.8]]
P2_ZEROS = [[0.7, 0.4, 0.1], [0.4, 0.5, 0], [0.1, 0, 0.2]]
P12 = [[0, 0.1, 0], [0.2, 0, 0.15], [0.4, 0.3, 0]]  # row by row
P21 = [[0, 0.2, 0.4], [0.1, 0, 0.3], [0, 0.15, 0]]


def _sums(p1, p2, cross=P12, cross_key=(0, 1)):
    probs = explicit_probabilities(("c1", "c2"), {(0, 0): p1, (1, 1): p2, cross_key: cross})
    (sums,) = _pair_sums(probs, _Population(CODES, probs.individual), [Y])
    return sums


def test_unadjusted_variances_match_r() -> None:
    sums = _sums(P1, P2)
    assert sums[(0, 0)][0] == pytest.approx(9.11111, abs=1e-5)
    assert sums[(1, 1)][0] == pytest.approx(180, abs=1e-9)
    assert sums[(0, 0)][1] == 0 and sums[(1, 1)][1] == 0


def test_zero_probability_terms_match_r() -> None:
    sums = _sums(P1_ZEROS, P2_ZEROS)
    assert sums[(0, 0)][1] == pytest.approx(14.66667, abs=1e-5)
    assert sums[(1, 1)][1] == pytest.approx(45, abs=1e-9)


@pytest.mark.parametrize(("cross", "key"), [(P12, (0, 1)), (P21, (1, 0))])
def test_covariance_matches_r_both_ways(cross, key) -> None:
    sums = _sums(P1, P2, cross, key)
    positive, zero = sums[(0, 1)]
    assert positive - zero == pytest.approx(-32.33333, abs=1e-5)
    positive, zero = sums[(1, 0)]
    assert positive - zero == pytest.approx(-32.33333, abs=1e-5)


# ----------------------------------------------------------------------- dense reference

N = 10
EDGES = [(0, 1), (0, 2), (0, 3), (4, 0), (1, 2), (3, 5), (5, 6), (6, 7), (7, 5), (8, 6)]


def _matrix() -> sp.csr_matrix:
    dense = np.zeros((N, N), dtype=np.int64)
    for i, j in EDGES:
        dense[i, j] = dense[j, i] = 1
    return sp.csr_matrix(dense)


def _dense_variance(probs, codes, y, k, m):
    """The Aronow–Samii formulas written out over a dense n × n matrix."""
    joint = probs.joint_matrix(k, m)
    pi_k, pi_l = probs.individual[:, k], probs.individual[:, m]
    ik, il = codes == k, codes == m
    total = 0.0
    for i in range(N):
        for j in range(N):
            if k == m and i == j:
                if ik[i]:
                    total += (1 - pi_k[i]) * (y[i] / pi_k[i]) ** 2
                continue
            if joint[i, j] > 0:
                if ik[i] and il[j]:
                    total += (
                        (joint[i, j] - pi_k[i] * pi_l[j])
                        / joint[i, j]
                        * y[i]
                        * y[j]
                        / (pi_k[i] * pi_l[j])
                    )
            elif pi_k[i] > 0 and pi_l[j] > 0:
                bound = ik[i] * y[i] ** 2 / (2 * pi_k[i]) + il[j] * y[j] ** 2 / (2 * pi_l[j])
                total += bound if k == m else -bound
    return total


@pytest.mark.parametrize(
    "design",
    [
        Randomization.complete(N, 4),
        Randomization.bernoulli(N, 0.4),
        Randomization.cluster([0, 0, 1, 1, 2, 2, 2, 3, 4, 4], 0.5),
    ],
    ids=["complete", "bernoulli", "cluster"],
)
def test_sparse_sums_equal_the_dense_formula(design: Randomization) -> None:
    matrix = _matrix()
    mapping = ExposureMapping("as4")
    probs = exact_probabilities(matrix, design, mapping)
    rng = np.random.default_rng(5)
    for _ in range(5):
        z = design.draw(rng, 1)[0]
        codes = expose(matrix, z, mapping).codes
        y = rng.normal(3, 2, N)
        (sums,) = _pair_sums(probs, _Population(codes, probs.individual), [y])
        for k in range(4):
            for m in range(4):
                positive, zero = sums[(k, m)]
                value = positive + zero if k == m else positive - zero
                assert value == pytest.approx(
                    _dense_variance(probs, codes, y, k, m), rel=1e-9, abs=1e-9
                )


def _every_assignment(design: Randomization):
    if design.kind == "complete":
        subsets = list(itertools.combinations(range(N), design.n_treated))
        for subset in subsets:
            z = np.zeros(N, dtype=bool)
            z[list(subset)] = True
            yield z, 1 / len(subsets)
        return
    for bits in itertools.product([False, True], repeat=design.n_blocks):
        chosen = np.array(bits)
        yield chosen[design.blocks], float(np.prod(np.where(chosen, design.p, 1 - design.p)))


@pytest.mark.parametrize(
    "design",
    [Randomization.complete(N, 5), Randomization.bernoulli(N, 0.5)],
    ids=["complete", "bernoulli"],
)
def test_ht_is_unbiased_and_its_variance_conservative(design: Randomization) -> None:
    """Outcomes that depend only on the as4 condition: over every assignment, the HT
    estimate averages to the true effect and the variance estimate averages to at least
    the true variance."""
    matrix = _matrix()
    mapping = ExposureMapping("as4")
    probs = exact_probabilities(matrix, design, mapping)
    base = np.linspace(1, 3, N)
    effect_of = np.array([3.0, 2.0, 1.0, 0.0])  # dir_ind1, isol_dir, ind1, no
    reachable = probs.individual > 0
    # The estimand averages over users who can be in both conditions of a contrast.
    estimates, variances, weights = [], [], []
    for z, weight in _every_assignment(design):
        codes = expose(matrix, z, mapping).codes
        y = base + effect_of[codes]
        result = estimate_effects(codes, y, probs, contrasts=(("ind1", "no"),), trim=0)
        effect = result.effect("ind1", "no", "ht")
        estimates.append(effect.estimate)
        variances.append(effect.se**2)
        weights.append(weight)
    w = np.array(weights)
    est = np.array(estimates)
    # The contrast's population: users who can be in both conditions (not the isolate,
    # who is never in ind1); each of them gains exactly effect_of[2] - effect_of[3].
    assert reachable[:, 2].sum() == N - 1
    truth = effect_of[2] - effect_of[3]
    assert np.sum(w * est) == pytest.approx(truth, abs=1e-12)
    true_variance = float(np.sum(w * (est - truth) ** 2))
    assert float(np.sum(w * np.array(variances))) >= true_variance - 1e-12


def test_trimming_drops_extreme_probabilities_and_reports_them() -> None:
    matrix = _matrix()
    design = Randomization.bernoulli(N, 0.5)
    probs = exact_probabilities(matrix, design, ExposureMapping("as4"))
    z = np.array([True, False] * 5)
    codes = expose(matrix, z, ExposureMapping("as4")).codes
    y = np.arange(N, dtype=float)
    observed = probs.individual[np.arange(N), codes]
    result = estimate_effects(codes, y, probs, contrasts=(("ind1", "no"),), trim=0.1)
    assert result.trimmed == int(np.sum((observed <= 0.1) | (observed >= 0.9)))
    assert result.n_users == N - result.trimmed


def test_bad_settings_name_the_parameter() -> None:
    probs = explicit_probabilities(("c1", "c2"), {(0, 0): P1, (1, 1): P2, (0, 1): P12})
    with pytest.raises(ConfigError, match="trim"):
        estimate_effects(CODES, Y, probs, contrasts=(("c1", "c2"),), trim=0.7)
    with pytest.raises(ConfigError, match="alpha"):
        estimate_effects(CODES, Y, probs, contrasts=(("c1", "c2"),), alpha=2)
    with pytest.raises(InsufficientData):
        estimate_effects(CODES, Y, probs, contrasts=(("c1", "c2"),), include=[False] * 3)


def test_naive_difference_is_welch() -> None:
    treated = np.array([3.0, 5, 4, 6])
    control = np.array([1.0, 2, 2])
    result = naive_difference(
        np.concatenate([treated, control]), np.array([True] * 4 + [False] * 3)
    )
    reference = stats.ttest_ind(treated, control, equal_var=False)
    assert result.estimate == pytest.approx(treated.mean() - control.mean())
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-10)
    assert result.ci is not None
    low, high = reference.confidence_interval(0.95)
    assert result.ci == pytest.approx((low, high), rel=1e-10)
