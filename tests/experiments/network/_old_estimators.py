"""The variance sums as written before the chunked pass (kept as the test reference).

Verbatim copy of ``_pair_sums`` and ``_disjoint_sums`` from graphkit's
``experiments/network/estimators.py`` before the chunked rewrite; they visit every stored
pair at once and take probabilities from :mod:`._old_probabilities`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tests.experiments.network._old_probabilities import ExposureProbabilities

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class _Population:
    codes: npt.NDArray[np.int8]
    """Observed condition per user, −1 for users left out (trimmed)."""
    pi: FloatArray
    """n × K individual probabilities."""


def _joint_given_observed(
    probs: ExposureProbabilities,
    codes: npt.NDArray[np.int8],
    m: int,
    cache: dict[int, FloatArray] | None,
) -> FloatArray:
    """``π_ij(k_i, m)`` for every stored pair, k_i the row user's observed condition.

    Users left out of a population have code −1, but their stored value is the same
    for every population, so the cache (one array per m) serves every contrast."""
    if cache is not None and m in cache:
        return cache[m]
    observed = np.maximum(codes, 0).astype(np.int8)
    joint = probs.pair_joint(observed[probs.rows], m)
    if cache is not None:
        cache[m] = joint
    return joint


def _pair_sums(
    probs: ExposureProbabilities,
    population: _Population,
    values: list[FloatArray],
    cache: dict[int, FloatArray] | None = None,
) -> list[dict[tuple[int, int], tuple[float, float]]]:
    """For every pair of conditions (k, m): (positive-probability sum, zero-probability
    sum) of the variance formulas, once per vector of ``values`` (Y or residuals)."""
    codes, pi = population.codes, population.pi
    k_count = pi.shape[1]
    rows, cols = probs.rows, probs.cols
    active = codes >= 0
    first = np.where(active[cols], codes[rows], -1).astype(np.int8)
    results: list[dict[tuple[int, int], tuple[float, float]]] = [{} for _ in values]
    observed_pi = np.where(active, pi[np.arange(codes.size), np.maximum(codes, 0)], np.nan)
    # zero_partners[m][i]: partners j (active, π_j(m) > 0) with π_ij(k_i, m) = 0.
    zero_partners = np.zeros((k_count, codes.size))
    pos: list[dict[tuple[int, int], float]] = [{} for _ in values]
    for m in range(k_count):
        joint = _joint_given_observed(probs, codes, m, cache)
        joint = np.where(first >= 0, joint, 0.0)
        in_l = codes[cols] == m
        counted = (first >= 0) & (joint <= 0) & (pi[cols, m] > 0)
        zero_partners[m] = np.bincount(rows[counted], minlength=codes.size)
        for k in range(k_count):
            chosen = (first == k) & in_l & (joint > 0)
            r, c, j = rows[chosen], cols[chosen], joint[chosen]
            weight = (j - pi[r, k] * pi[c, m]) / j / (pi[r, k] * pi[c, m])
            for index, y in enumerate(values):
                pos[index][(k, m)] = float(np.sum(weight * y[r] * y[c]))
    disjoint = _disjoint_sums(probs, population, values, zero_partners)
    for index, y in enumerate(values):
        half = np.divide(y**2, 2 * observed_pi, out=np.zeros_like(y), where=active)
        for k in range(k_count):
            in_k = codes == k
            for m in range(k_count):
                in_l = codes == m
                zero = float(np.sum(half[in_k] * zero_partners[m][in_k])) + float(
                    np.sum(half[in_l] * zero_partners[k][in_l])
                )
                extra_pos, extra_zero = disjoint[index].get((k, m), (0.0, 0.0))
                results[index][(k, m)] = (pos[index][(k, m)] + extra_pos, zero + extra_zero)
    return results


def _disjoint_sums(
    probs: ExposureProbabilities,
    population: _Population,
    values: list[FloatArray],
    zero_partners: FloatArray,
) -> list[dict[tuple[int, int], tuple[float, float]]]:
    """Pairs with disjoint sets under complete randomization, summed by size group.

    All pairs are summed through group totals; the stored (overlapping) pairs, whose
    exact terms are already counted, are then taken back out."""
    out: list[dict[tuple[int, int], tuple[float, float]]] = [{} for _ in values]
    groups = probs.disjoint
    if groups is None:
        return out
    codes, pi = population.codes, population.pi
    active = codes >= 0
    g = groups.group
    n_groups = groups.individual.shape[0]
    k_count = pi.shape[1]
    rows, cols = probs.rows, probs.cols
    both = active[rows] & active[cols]
    observed_pi = np.where(active, pi[np.arange(codes.size), np.maximum(codes, 0)], np.nan)
    for k in range(k_count):
        for m in range(k_count):
            joint = groups.joint(k, m)
            product = np.outer(groups.individual[:, k], groups.individual[:, m])
            with np.errstate(divide="ignore", invalid="ignore"):
                weight = np.where(joint > 0, (joint - product) / joint, 0.0)
            zero_kl = (joint <= 0) & (groups.individual[None, :, m] > 0)
            zero_lk = (groups.joint(m, k) <= 0) & (groups.individual[None, :, k] > 0)
            in_k, in_l = codes == k, codes == m
            size_l = np.bincount(g[active & (pi[:, m] > 0)], minlength=n_groups)
            size_k = np.bincount(g[active & (pi[:, k] > 0)], minlength=n_groups)
            stored = both & (codes[rows] == k) & (codes[cols] == m)
            # Zero-probability partners among disjoint pairs: all minus the stored ones.
            stored_zero_kl = (
                both & (codes[rows] == k) & zero_kl[g[rows], g[cols]] & (pi[cols, m] > 0)
            )
            stored_zero_lk = (
                both & (codes[rows] == m) & zero_lk[g[rows], g[cols]] & (pi[cols, k] > 0)
            )
            partners_k = (zero_kl @ size_l)[g] - np.bincount(
                rows[stored_zero_kl], minlength=codes.size
            )
            partners_l = (zero_lk @ size_k)[g] - np.bincount(
                rows[stored_zero_lk], minlength=codes.size
            )
            for index, y in enumerate(values):
                u = np.divide(y, pi[:, k], out=np.zeros_like(y), where=in_k)
                v = np.divide(y, pi[:, m], out=np.zeros_like(y), where=in_l)
                totals_u = np.bincount(g, weights=u, minlength=n_groups)
                totals_v = np.bincount(g, weights=v, minlength=n_groups)
                all_pairs = float(totals_u @ weight @ totals_v)
                taken = float(
                    np.sum(
                        weight[g[rows[stored]], g[cols[stored]]] * u[rows[stored]] * v[cols[stored]]
                    )
                )
                half = np.divide(y**2, 2 * observed_pi, out=np.zeros_like(y), where=active)
                zero = float(np.sum(half[in_k] * partners_k[in_k])) + float(
                    np.sum(half[in_l] * partners_l[in_l])
                )
                out[index][(k, m)] = (all_pairs - taken, zero)
    return out
