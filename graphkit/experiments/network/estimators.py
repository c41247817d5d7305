"""Horvitz–Thompson and Hájek estimates under interference, with Aronow–Samii variances.

Notation (Aronow & Samii 2017): ``I_i(k)`` = user *i* is in condition *k*, ``π_i(k)`` its
probability, ``π_ij(k, m)`` the joint probability. Over the ``N`` users kept:

* HT total ``Ŷ(k) = Σ_i I_i(k) Y_i / π_i(k)``; effect ``(Ŷ(k) − Ŷ(m)) / N``;
* Hájek mean ``μ̂(k) = Ŷ(k) / Σ_i I_i(k)/π_i(k)``; effect ``μ̂(k) − μ̂(m)``;
* conservative variance of a total (the last sum is Aronow & Samii's bound for pairs that
  can never be observed together, from Young's inequality)::

    V̂(k) = Σ_{i,j: π_ij>0} I_i I_j (π_ij − π_i π_j)/π_ij · Y_i Y_j/(π_i π_j)
         + Σ_{i≠j: π_ij=0} [I_i Y_i²/(2π_i) + I_j Y_j²/(2π_j)]

  (the ``i = j`` terms of the first sum are ``I_i (1 − π_i)(Y_i/π_i)²``);
* covariance ``Ĉ(k,m) = Σ_{π_ij(k,m)>0} I_i(k) I_j(m) (π_ij − π_i π_j)/π_ij · Y_i Y_j/(π_i π_j)
  − Σ_{π_ij(k,m)=0} [I_i(k) Y_i²/(2π_i(k)) + I_j(m) Y_j²/(2π_j(m))]``, ``i = j`` included;
* ``Var̂(effect) = (V̂(k) + V̂(m) − 2Ĉ(k,m)) / N²``; the Hájek variance plugs the residuals
  ``Y_i − μ̂(k_i)`` into the same sums.

These are the formulas of R ``interference`` (``R/estimates.R``: ``var_yT_ht_unadjusted``,
``var_yT_ht_A2_adjustment``, ``cov_yT_ht_adjusted``, ``resid_h``). One choice is ours: the
zero-probability sums count only partners ``j`` with ``π_j(m) > 0`` (a user who can never
be in condition *m* has no outcome there to bound). Intervals are normal:
``estimate ± z_{1−α/2} · se``, two-sided p-values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from graphkit.errors import ConfigError, InsufficientData
from graphkit.experiments.network.probabilities import (
    PAIRS_PER_BLOCK,
    ExposureProbabilities,
    PairBlock,
    UserTypes,
)

FloatArray = npt.NDArray[np.float64]

ESTIMATORS = ("hajek", "ht")
DEFAULT_TRIM = 0.01


@dataclass(frozen=True)
class ConditionSummary:
    """One exposure condition: users in it and its HT / Hájek estimates."""

    condition: str
    n: int
    mean_hajek: float | None
    total_ht: float | None
    mean_observed: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition,
            "n": self.n,
            "mean_hajek": self.mean_hajek,
            "total_ht": self.total_ht,
            "mean_observed": self.mean_observed,
        }


@dataclass(frozen=True)
class Effect:
    """One contrast ``condition − reference`` by one estimator."""

    contrast: str
    condition: str
    reference: str
    estimator: str
    estimate: float | None
    se: float | None
    ci: tuple[float, float] | None
    p_value: float | None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "contrast": self.contrast,
            "condition": self.condition,
            "reference": self.reference,
            "estimator": self.estimator,
            "estimate": self.estimate,
            "se": self.se,
            "ci": list(self.ci) if self.ci else None,
            "p_value": self.p_value,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class NaiveComparison:
    """Treated minus control users' mean, ignoring the network (Welch)."""

    n_treated: int
    n_control: int
    mean_treated: float | None
    mean_control: float | None
    estimate: float | None
    se: float | None
    ci: tuple[float, float] | None
    p_value: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimator": "difference in means (Welch)",
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "mean_treated": self.mean_treated,
            "mean_control": self.mean_control,
            "estimate": self.estimate,
            "se": self.se,
            "ci": list(self.ci) if self.ci else None,
            "p_value": self.p_value,
        }


@dataclass(frozen=True)
class SpilloverEstimate:
    """Every condition and contrast of one exposure mapping, and the naive comparison."""

    conditions: tuple[ConditionSummary, ...]
    effects: tuple[Effect, ...]
    naive: NaiveComparison | None
    n_users: int
    trimmed: int
    trim: float
    alpha: float
    probability_method: str
    replications: int | None
    notes: tuple[str, ...] = field(default=())

    def effect(self, condition: str, reference: str, estimator: str = "hajek") -> Effect:
        for effect in self.effects:
            if (effect.condition, effect.reference, effect.estimator) == (
                condition,
                reference,
                estimator,
            ):
                return effect
        raise KeyError((condition, reference, estimator))

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_users": self.n_users,
            "trimmed": self.trimmed,
            "trim": self.trim,
            "alpha": self.alpha,
            "probabilities": {
                "method": self.probability_method,
                "replications": self.replications,
            },
            "conditions": [c.to_dict() for c in self.conditions],
            "effects": [e.to_dict() for e in self.effects],
            "naive": self.naive.to_dict() if self.naive else None,
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per contrast and estimator (Hájek first), then the naive row."""
        rows = [
            {
                "contrast": e.contrast,
                "estimator": e.estimator,
                "estimate": e.estimate,
                "se": e.se,
                "ci_low": e.ci[0] if e.ci else None,
                "ci_high": e.ci[1] if e.ci else None,
                "p_value": e.p_value,
            }
            for e in self.effects
        ]
        if self.naive is not None:
            n = self.naive
            rows.append(
                {
                    "contrast": "treated - control (naive)",
                    "estimator": "difference in means",
                    "estimate": n.estimate,
                    "se": n.se,
                    "ci_low": n.ci[0] if n.ci else None,
                    "ci_high": n.ci[1] if n.ci else None,
                    "p_value": n.p_value,
                }
            )
        return pd.DataFrame(rows)


# ----------------------------------------------------------------------- variance sums

Sums = dict[tuple[int, int], tuple[float, float]]
"""(k, m) → (positive-probability sum, zero-probability sum) of the variance formulas."""


@dataclass(frozen=True)
class _Population:
    codes: npt.NDArray[np.int8]
    """Observed condition per user, −1 for users left out (trimmed)."""
    pi: FloatArray
    """n × K individual probabilities."""


@dataclass(frozen=True)
class _Job:
    """A population whose sums are wanted for the pairs of conditions in ``combos``, once
    per vector of ``values`` (Y or residuals)."""

    active: npt.NDArray[np.bool_]
    values: list[FloatArray]
    combos: tuple[tuple[int, int], ...]
    halves: list[FloatArray] | None = None
    """``Y²/(2π)`` per vector of values (default: computed from them)."""
    multiplicity: FloatArray | None = None
    """Users each unit stands for (types of users; default 1)."""

    @property
    def directed(self) -> set[tuple[int, int]]:
        """(k, m): users observed in k need their partners' π_ij(k, m) — for the sums of
        (k, m) and, in the zero-probability term, of (m, k)."""
        return set(self.combos) | {(m, k) for k, m in self.combos}


def _pair_sums(
    probs: ExposureProbabilities,
    population: _Population,
    values: list[FloatArray],
    max_pairs: int = PAIRS_PER_BLOCK,
) -> list[Sums]:
    """The sums of every pair of conditions for one population, once per vector of
    ``values`` (Y or residuals)."""
    k_count = population.pi.shape[1]
    combos = tuple((k, m) for k in range(k_count) for m in range(k_count))
    job = _Job(population.codes >= 0, values, combos)
    return _variance_sums(probs, population.codes, [job], max_pairs)[0]


def _variance_sums(
    probs: ExposureProbabilities,
    codes: npt.NDArray[np.int8],
    jobs: list[_Job],
    max_pairs: int = PAIRS_PER_BLOCK,
) -> list[list[Sums]]:
    """The sums of every job in one pass over the stored pairs, block by block.

    Users observed in condition k are visited together, so a block needs ``π_ij(k, m)``
    only for the partner conditions m some job asks for; each joint array is computed
    once per block and shared by the jobs. Memory is bounded by the block size
    (``max_pairs``), whatever the number of overlapping pairs.

    ``codes`` is the observed condition of every user active in some job."""
    if probs.types is not None and probs.disjoint is None:
        by_type = _by_type(probs.types, codes, jobs)
        if by_type is not None:
            return _variance_sums(probs.types.probabilities, by_type[0], by_type[1], max_pairs)
    pi = probs.individual
    n, k_count = pi.shape
    column = [np.ascontiguousarray(pi[:, k]) for k in range(k_count)]
    observed_pi = pi[np.arange(n), np.maximum(codes, 0)]
    # Y²/(2π) of each user's observed condition; 0 outside the population (and where π is
    # 0: such a user is never a row of the job's sums, so the value is never used).
    halves = [_halves(job, observed_pi) for job in jobs]
    # Pairs with a partner outside every population add nothing: never visit them.
    partners = np.zeros(n, dtype=bool)
    for job in jobs:
        partners |= job.active
    directed = [job.directed for job in jobs]
    positive_sums = [[dict.fromkeys(job.combos, 0.0) for _ in job.values] for job in jobs]
    zero_sums = [
        [dict.fromkeys(directed[j], 0.0) for _ in job.values] for j, job in enumerate(jobs)
    ]
    groups = _GroupTerms(probs, codes) if probs.disjoint is not None else None
    if groups is not None:
        for j, job in enumerate(jobs):
            groups.add_all_pairs(job, halves[j], directed[j], positive_sums[j], zero_sums[j])
    for k in range(k_count):
        second = sorted({m for wanted in directed for first, m in wanted if first == k})
        involved = [j for j, wanted in enumerate(directed) if any(f == k for f, _ in wanted)]
        if not involved:
            continue
        visit = np.zeros(n, dtype=bool)
        for j in involved:
            visit |= jobs[j].active
        users = np.flatnonzero((codes == k) & visit)
        for block in probs.blocks(users, max_pairs, partners):
            r, c = block.rows, block.cols
            local = np.repeat(np.arange(block.users.size), block.counts)
            in_col = codes[c]
            both = {j: jobs[j].active[r] & jobs[j].active[c] for j in involved}
            for m in second:
                joint = block.joint(k, m)
                positive = joint > 0
                possible = column[m][c] > 0
                counted = possible & ~positive
                in_m = in_col == m
                taken_weight = groups.pair_weights(block, k, m) if groups is not None else None
                for j in involved:
                    if (k, m) not in directed[j]:
                        continue
                    job = jobs[j]
                    mask = both[j] & counted
                    many = None if job.multiplicity is None else job.multiplicity[c[mask]]
                    zero = np.bincount(local[mask], weights=many, minlength=block.users.size)
                    if taken_weight is not None:  # disjoint-group partners counted twice
                        zero = zero - np.bincount(
                            local[both[j] & taken_weight[1] & possible],
                            minlength=block.users.size,
                        )
                    for v, half in enumerate(halves[j]):
                        zero_sums[j][v][(k, m)] += float(zero @ half[block.users])
                    if (k, m) not in positive_sums[j][0]:
                        continue
                    observed = both[j] & in_m
                    chosen = observed & positive
                    rr, cc, jj = r[chosen], c[chosen], joint[chosen]
                    product = column[k][rr] * column[m][cc]
                    weight = (jj - product) / jj / product
                    for v, y in enumerate(job.values):
                        positive_sums[j][v][(k, m)] += float(np.sum(weight * y[rr] * y[cc]))
                    if taken_weight is not None:  # group sums counted these pairs
                        ro, co = r[observed], c[observed]
                        group_weight = taken_weight[0][observed]
                        pi_r, pi_c = column[k][ro], column[m][co]
                        for v, y in enumerate(job.values):
                            u = y[ro] / pi_r
                            w = y[co] / pi_c
                            positive_sums[j][v][(k, m)] -= float(np.sum(group_weight * u * w))
    return [
        [
            {
                (k, m): (
                    positive_sums[j][v][(k, m)],
                    zero_sums[j][v][(k, m)] + zero_sums[j][v][(m, k)],
                )
                for k, m in job.combos
            }
            for v in range(len(job.values))
        ]
        for j, job in enumerate(jobs)
    ]


def _halves(job: _Job, observed_pi: FloatArray) -> list[FloatArray]:
    """Y²/(2π) of each user's observed condition; 0 outside the population (and where π
    is 0: such a user is never a row of the job's sums, so the value is never used)."""
    if job.halves is not None:
        return job.halves
    usable = job.active & (observed_pi > 0)
    denominator = np.where(usable, 2 * observed_pi, 1.0)
    return [np.where(usable, y**2, 0.0) / denominator for y in job.values]


def _by_type(
    types: UserTypes, codes: npt.NDArray[np.int8], jobs: list[_Job]
) -> tuple[npt.NDArray[np.int8], list[_Job]] | None:
    """The jobs over types of users: per type, its active users' count, summed values
    and summed Y²/(2π). A pair of types stands for every pair of their users, which all
    have the type pair's joint probabilities, so each sum over user pairs is the sum
    over type pairs of the products of these totals. None when the observed conditions
    are not constant within types (codes from another graph)."""
    of_user = types.of_user
    count = types.probabilities.n
    active_any = np.zeros(of_user.size, dtype=bool)
    for job in jobs:
        active_any |= job.active
    type_codes = np.full(count, -1, dtype=np.int8)
    np.maximum.at(type_codes, of_user[active_any], codes[active_any])
    if not np.array_equal(type_codes[of_user[active_any]], codes[active_any]):
        return None
    pi = types.probabilities.individual
    observed_pi = pi[of_user, np.maximum(type_codes[of_user], 0)]

    def total(weights: FloatArray) -> FloatArray:
        return np.bincount(of_user, weights=weights, minlength=count).astype(np.float64)

    out = []
    for job in jobs:
        weights = job.active.astype(np.float64)
        multiplicity = total(weights)
        out.append(
            _Job(
                active=multiplicity > 0,
                values=[total(y * weights) for y in job.values],
                combos=job.combos,
                halves=[total(h) for h in _halves(job, observed_pi)],
                multiplicity=multiplicity,
            )
        )
    return type_codes, out


class _GroupTerms:
    """Pairs with disjoint sets under complete randomization, summed by size group.

    All pairs are summed through group totals (:meth:`add_all_pairs`); the stored
    (overlapping) pairs, whose exact terms the pass adds, are taken back out block by
    block with :meth:`pair_weights`."""

    def __init__(self, probs: ExposureProbabilities, codes: npt.NDArray[np.int8]) -> None:
        assert probs.disjoint is not None
        self.groups = probs.disjoint
        self.pi = probs.individual
        self.codes = codes
        self.g = self.groups.group
        self.count = self.groups.individual.shape[0]
        self._weights: dict[tuple[int, int], tuple[FloatArray, npt.NDArray[np.bool_]]] = {}

    def weights(self, k: int, m: int) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """G × G: (π_ij − π_i π_j)/π_ij of disjoint pairs, and where π_ij(k, m) = 0 for
        a partner who can be in m."""
        if (k, m) not in self._weights:
            joint = self.groups.joint(k, m)
            product = np.outer(self.groups.individual[:, k], self.groups.individual[:, m])
            with np.errstate(divide="ignore", invalid="ignore"):
                weight = np.where(joint > 0, (joint - product) / joint, 0.0)
            zero = (joint <= 0) & (self.groups.individual[None, :, m] > 0)
            self._weights[(k, m)] = (weight, zero)
        return self._weights[(k, m)]

    def add_all_pairs(
        self,
        job: _Job,
        halves: list[FloatArray],
        directed: set[tuple[int, int]],
        positive: list[dict[tuple[int, int], float]],
        zero: list[dict[tuple[int, int], float]],
    ) -> None:
        pi, g, codes = self.pi, self.g, self.codes
        for k, m in directed:
            weight, never = self.weights(k, m)
            in_k = job.active & (codes == k)
            partners = never @ np.bincount(g[job.active & (pi[:, m] > 0)], minlength=self.count)
            for v, half in enumerate(halves):
                zero[v][(k, m)] += float(np.sum(half[in_k] * partners[g[in_k]]))
            if (k, m) not in positive[0]:
                continue
            in_m = job.active & (codes == m)
            for v, y in enumerate(job.values):
                u = np.divide(y, pi[:, k], out=np.zeros_like(y), where=in_k)
                w = np.divide(y, pi[:, m], out=np.zeros_like(y), where=in_m)
                totals_u = np.bincount(g, weights=u, minlength=self.count)
                totals_w = np.bincount(g, weights=w, minlength=self.count)
                positive[v][(k, m)] += float(totals_u @ weight @ totals_w)

    def pair_weights(
        self, block: PairBlock, k: int, m: int
    ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """The group weight and zero flag of every pair of the block."""
        weight, never = self.weights(k, m)
        index = self.g[block.rows] * self.count + self.g[block.cols]
        return weight.ravel()[index], never.ravel()[index]


# ----------------------------------------------------------------------- estimation


def _normal(
    estimate: float, variance: float, alpha: float
) -> tuple[float | None, tuple[float, float] | None, float | None, tuple[str, ...]]:
    if not math.isfinite(variance):
        return None, None, None, ("the variance could not be computed",)
    notes: tuple[str, ...] = ()
    if variance < 0:
        notes = ("the variance estimate was negative and is reported as 0",)
        variance = 0.0
    se = math.sqrt(variance)
    z = float(stats.norm.ppf(1 - alpha / 2))
    ci = (estimate - z * se, estimate + z * se)
    p = float(2 * stats.norm.sf(abs(estimate) / se)) if se > 0 else None
    return se, ci, p, notes


def _inside(values: FloatArray, trim: float) -> npt.NDArray[np.bool_]:
    """Probabilities inside (trim, 1 − trim); with trim 0, every positive one."""
    return (values > trim) & ((values < 1 - trim) if trim > 0 else (values <= 1))


@dataclass(frozen=True)
class _Contrast:
    """Condition k minus condition m: its population and point estimates; the
    variances need the pair sums of :func:`_variance_sums` (``job``).

    The population of a contrast is fixed by the design, not by the draw: the measured
    users whose probabilities of *both* conditions are inside ``(trim, 1 − trim)``. Its
    size N is the HT denominator, so the HT effect is unbiased for the average effect
    over those users."""

    names: tuple[str, ...]
    k: int
    m: int
    member: npt.NDArray[np.bool_]
    totals: list[float]
    means: list[float]
    empty: list[str]
    job: _Job

    @classmethod
    def prepare(
        cls,
        codes: npt.NDArray[np.int8],
        y: FloatArray,
        probs: ExposureProbabilities,
        measured: npt.NDArray[np.bool_],
        k: int,
        m: int,
        trim: float,
    ) -> _Contrast:
        names = probs.conditions
        pi = probs.individual
        member = measured & _inside(pi[:, k], trim) & _inside(pi[:, m], trim)
        in_k, in_m = member & (codes == k), member & (codes == m)
        empty = [names[c] for c, where in ((k, in_k), (m, in_m)) if not where.any()]
        totals = [float(np.sum(y[w] / pi[w, c])) for c, w in ((k, in_k), (m, in_m))]
        weights = [float(np.sum(1 / pi[w, c])) for c, w in ((k, in_k), (m, in_m))]
        means = [t / w if w > 0 else 0.0 for t, w in zip(totals, weights, strict=True)]
        fitted = np.where(in_k, means[0], np.where(in_m, means[1], 0.0))
        residual = np.where(in_k | in_m, y - fitted, 0.0)
        values = np.where(in_k | in_m, y, 0.0)
        job = _Job(member, [values, residual], ((k, k), (m, m), (k, m)))
        return cls(names, k, m, member, totals, means, empty, job)

    @property
    def size(self) -> int:
        return int(self.member.sum())

    def effects(self, sums: list[Sums] | None, alpha: float) -> list[Effect]:
        """Hájek and HT estimates with their variances (``sums``: HT's, then Hájek's)."""
        names, k, m, size, empty = self.names, self.k, self.m, self.size, self.empty
        label = f"{names[k]} - {names[m]}"
        if size == 0 or sums is None:
            note = (f"no user can be in both {names[k]} and {names[m]}",)
            return [
                Effect(label, names[k], names[m], e, None, None, None, None, note)
                for e in ESTIMATORS
            ]
        sums_ht, sums_hajek = sums
        effects = []
        for estimator, chosen in (("hajek", sums_hajek), ("ht", sums_ht)):
            notes: tuple[str, ...] = (f"{size} users can be in both conditions",)
            if empty and estimator == "hajek":
                notes = (*notes, f"no user is in {', '.join(empty)}")
                effects.append(
                    Effect(label, names[k], names[m], estimator, None, None, None, None, notes)
                )
                continue
            var_k = chosen[(k, k)][0] + chosen[(k, k)][1]
            var_m = chosen[(m, m)][0] + chosen[(m, m)][1]
            cov = chosen[(k, m)][0] - chosen[(k, m)][1]
            variance = (var_k + var_m - 2 * cov) / size**2
            hajek = self.means[0] - self.means[1]
            totals = self.totals
            estimate = hajek if estimator == "hajek" else (totals[0] - totals[1]) / size
            se, ci, p, extra = _normal(estimate, variance, alpha)
            notes = (*notes, *extra)
            if empty:  # HT still estimates: an empty condition's total is 0
                notes = (*notes, f"no user is in {', '.join(empty)}")
            effects.append(Effect(label, names[k], names[m], estimator, estimate, se, ci, p, notes))
        return effects


def estimate_effects(
    codes: npt.ArrayLike,
    outcome: npt.ArrayLike,
    probs: ExposureProbabilities,
    *,
    contrasts: tuple[tuple[str, str], ...],
    treated: npt.ArrayLike | None = None,
    trim: float = DEFAULT_TRIM,
    alpha: float = 0.05,
    include: npt.ArrayLike | None = None,
) -> SpilloverEstimate:
    """HT and Hájek estimates of every contrast with Aronow–Samii variances.

    Parameters
    ----------
    codes : array of int
        Observed condition index per user (into ``probs.conditions``).
    outcome : array of float
        The metric per user.
    probs : ExposureProbabilities
    contrasts : tuple of (condition, reference)
    treated : array of bool, optional
        Own arm per user, for the naive difference in means beside the estimates.
    trim : float
        Users whose probability of their observed condition is outside
        ``(trim, 1 − trim)`` are left out of the condition table (``trimmed`` counts
        them); each contrast keeps the users whose probabilities of both its conditions
        are inside (0 keeps every user with positive ones).
    alpha : float
        CIs are ``1 − alpha``.
    include : array of bool, optional
        Users whose outcome is measured (e.g. the egos of an ego design); default all.

    Returns
    -------
    SpilloverEstimate

    Raises
    ------
    ConfigError
        If ``trim`` or ``alpha`` is out of range or the arrays do not match.
    InsufficientData
        If no user is left after trimming.

    Examples
    --------
    >>> from graphkit.experiments.network.probabilities import explicit_probabilities
    >>> pr = explicit_probabilities(("t", "c"), {
    ...     (0, 0): [[.5, 0], [0, .5]], (1, 1): [[.5, 0], [0, .5]],
    ...     (0, 1): [[0, .5], [.5, 0]]})
    >>> est = estimate_effects([0, 1], [3.0, 1.0], pr, contrasts=(("t", "c"),), trim=0)
    >>> est.effect("t", "c", "ht").estimate
    2.0
    """
    if not 0 <= trim < 0.5:
        raise ConfigError(f"trim must be in [0, 0.5), got {trim}")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be in (0, 1), got {alpha}")
    codes_arr = np.asarray(codes, dtype=np.int8)
    y = np.asarray(outcome, dtype=float)
    n = probs.n
    if codes_arr.shape != (n,) or y.shape != (n,):
        raise ConfigError(f"codes and outcome must have one value per user ({n})")
    if not np.all(np.isfinite(y)):
        raise ConfigError("outcome has missing or infinite values")
    pi = probs.individual
    observed = pi[np.arange(n), codes_arr]
    measured = np.ones(n, dtype=bool) if include is None else np.asarray(include, dtype=bool)
    keep = measured & _inside(observed, trim)
    trimmed = int(np.sum(measured & ~keep))
    if not keep.any():
        raise InsufficientData(
            "no user is left after trimming by exposure probability",
            hint="lower trim, or use a design in which more users can reach each condition",
        )
    names = probs.conditions
    index = {name: k for k, name in enumerate(names)}
    summaries = []
    for k, name in enumerate(names):
        in_k = keep & (codes_arr == k)
        total = float(np.sum(y[in_k] / pi[in_k, k]))
        weight = float(np.sum(1 / pi[in_k, k]))
        summaries.append(
            ConditionSummary(
                condition=name,
                n=int(in_k.sum()),
                mean_hajek=total / weight if weight > 0 else None,
                total_ht=total if in_k.any() else None,
                mean_observed=float(y[in_k].mean()) if in_k.any() else None,
            )
        )
    prepared = [
        _Contrast.prepare(codes_arr, y, probs, measured, index[condition], index[reference], trim)
        for condition, reference in contrasts
    ]
    # One pass over the overlapping pairs serves every contrast (each block's joint
    # probabilities are computed once).
    with_users = [c for c in prepared if c.size > 0]
    sums = _variance_sums(probs, codes_arr, [c.job for c in with_users])
    found = dict(zip([id(c) for c in with_users], sums, strict=True))
    effects: list[Effect] = []
    for contrast in prepared:
        effects.extend(contrast.effects(found.get(id(contrast)), alpha))
    naive = None
    if treated is not None:
        naive = naive_difference(y[measured], np.asarray(treated, dtype=bool)[measured], alpha)
    messages = list(probs.notes)
    if trimmed:
        messages.append(
            f"{trimmed} users left out: probability of their condition outside "
            f"({trim:g}, {1 - trim:g})"
        )
    return SpilloverEstimate(
        conditions=tuple(summaries),
        effects=tuple(effects),
        naive=naive,
        n_users=int(keep.sum()),
        trimmed=trimmed,
        trim=trim,
        alpha=alpha,
        probability_method=probs.method,
        replications=probs.replications,
        notes=tuple(messages),
    )


def naive_difference(
    outcome: FloatArray, treated: npt.NDArray[np.bool_], alpha: float = 0.05
) -> NaiveComparison:
    """Welch difference in means of treated minus control users.

    Examples
    --------
    >>> import numpy as np
    >>> naive_difference(np.array([1.0, 2, 3, 5]), np.array([False, False, True, True])).estimate
    2.5
    """
    treated_y, control_y = outcome[treated], outcome[~treated]
    n_t, n_c = int(treated_y.size), int(control_y.size)
    if n_t == 0 or n_c == 0:
        return NaiveComparison(n_t, n_c, None, None, None, None, None, None)
    mean_t, mean_c = float(treated_y.mean()), float(control_y.mean())
    estimate = mean_t - mean_c
    if n_t < 2 or n_c < 2:
        return NaiveComparison(n_t, n_c, mean_t, mean_c, estimate, None, None, None)
    var_t, var_c = treated_y.var(ddof=1) / n_t, control_y.var(ddof=1) / n_c
    se = math.sqrt(var_t + var_c)
    if se == 0:
        return NaiveComparison(n_t, n_c, mean_t, mean_c, estimate, 0.0, None, None)
    df = (var_t + var_c) ** 2 / (var_t**2 / (n_t - 1) + var_c**2 / (n_c - 1))
    t = float(stats.t.ppf(1 - alpha / 2, df))
    p = float(2 * stats.t.sf(abs(estimate) / se, df))
    return NaiveComparison(
        n_t, n_c, mean_t, mean_c, estimate, se, (estimate - t * se, estimate + t * se), p
    )
