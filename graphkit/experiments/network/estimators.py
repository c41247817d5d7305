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
from graphkit.experiments.network.probabilities import ExposureProbabilities

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


def _contrast(
    codes: npt.NDArray[np.int8],
    y: FloatArray,
    probs: ExposureProbabilities,
    measured: npt.NDArray[np.bool_],
    k: int,
    m: int,
    trim: float,
    alpha: float,
    cache: dict[int, FloatArray],
) -> list[Effect]:
    """Hájek and HT estimates of condition k minus condition m.

    The population of a contrast is fixed by the design, not by the draw: the measured
    users whose probabilities of *both* conditions are inside ``(trim, 1 − trim)``. Its
    size N is the HT denominator, so the HT effect is unbiased for the average effect
    over those users."""
    names = probs.conditions
    pi = probs.individual
    label = f"{names[k]} - {names[m]}"
    member = measured & _inside(pi[:, k], trim) & _inside(pi[:, m], trim)
    size = int(member.sum())
    population = _Population(np.where(member, codes, -1).astype(np.int8), pi)
    in_k, in_m = population.codes == k, population.codes == m
    empty = [names[c] for c, where in ((k, in_k), (m, in_m)) if not where.any()]
    if size == 0:
        note = (f"no user can be in both {names[k]} and {names[m]}",)
        return [
            Effect(label, names[k], names[m], e, None, None, None, None, note) for e in ESTIMATORS
        ]
    totals = [float(np.sum(y[w] / pi[w, c])) for c, w in ((k, in_k), (m, in_m))]
    weights = [float(np.sum(1 / pi[w, c])) for c, w in ((k, in_k), (m, in_m))]
    means = [t / w if w > 0 else 0.0 for t, w in zip(totals, weights, strict=True)]
    fitted = np.where(in_k, means[0], np.where(in_m, means[1], 0.0))
    residual = np.where(in_k | in_m, y - fitted, 0.0)
    values = np.where(in_k | in_m, y, 0.0)
    sums_ht, sums_hajek = _pair_sums(probs, population, [values, residual], cache)
    effects = []
    for estimator, sums in (("hajek", sums_hajek), ("ht", sums_ht)):
        notes: tuple[str, ...] = (f"{size} users can be in both conditions",)
        if empty and estimator == "hajek":
            notes = (*notes, f"no user is in {', '.join(empty)}")
            effects.append(
                Effect(label, names[k], names[m], estimator, None, None, None, None, notes)
            )
            continue
        var_k = sums[(k, k)][0] + sums[(k, k)][1]
        var_m = sums[(m, m)][0] + sums[(m, m)][1]
        cov = sums[(k, m)][0] - sums[(k, m)][1]
        variance = (var_k + var_m - 2 * cov) / size**2
        hajek = means[0] - means[1]
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
    effects: list[Effect] = []
    cache: dict[int, FloatArray] = {}  # joint probabilities, shared by the contrasts
    for condition, reference in contrasts:
        effects.extend(
            _contrast(
                codes_arr,
                y,
                probs,
                measured,
                index[condition],
                index[reference],
                trim,
                alpha,
                cache,
            )
        )
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
