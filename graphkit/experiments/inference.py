"""One estimate, one standard error: the CI, p-value, power, MDE, sequential and Bayesian
numbers of a verdict all come from the same normal (or t) model, so they cannot disagree.

An :class:`Estimate` is a treatment effect on some scale (the difference in means, or
the log rate ratio of a count model) with its standard error. Everything a reader sees
about it is a function of those two numbers and the level ``alpha``:

* CI ``value ± q·se`` and two-sided p ``2·P(T > |value|/se)`` with the same quantile
  function, so the CI excludes zero exactly when ``p < alpha`` (up to ties at the edge);
  an optional continuity term ``c`` (Yates, as R ``prop.test``) widens the CI by ``c``
  and shrinks ``|value|`` by ``c`` in the statistic, which keeps the equivalence.
* MDE at power ``1 - β``: ``(q_{1-α/2} + z_{1-β})·se + c`` — the smallest true effect the
  test detects with that probability for these n and variances (normal approximation,
  as R ``power.t.test`` with ``strict = FALSE`` for large df).
* **Sequential** (always valid): the asymptotic confidence sequence of Waudby-Smith,
  Arnold, Wu, Lindon, Ramdas & Karampatziakis (2021, "Time-uniform central limit theory
  and asymptotic confidence sequences", arXiv:2103.06476, Theorem 2.2), in the form
  GrowthBook documents for its sequential testing: with N users in both arms and
  ``σ² = N·se²``,

  ``half-width = σ·√( 2(Nρ² + 1) / (N²ρ²) · log( √(Nρ² + 1) / α ) )``

  where ``ρ`` is chosen so the sequence is tightest at ``N*`` users (the *tuning
  parameter*, default 5,000 as in GrowthBook):
  ``ρ² = (−2·log α + log(−2·log α + 1)) / N*``. The always-valid p-value is the
  smallest α whose sequence excludes 0:
  ``p = min(1, √(Nρ² + 1) · exp(−z²·Nρ² / (2(Nρ² + 1))))`` with ``z = value/se`` and
  ``ρ`` fixed at the configured α (so ``p < α`` exactly when the sequence excludes 0).
  Across looks the running minimum of p and the running intersection of the sequences
  are reported.
* **Bayesian**, the normal approximation of gbstats (GrowthBook): the relative effect
  ``r = value / |baseline|`` with ``se_r = se / |baseline|`` is the likelihood; the prior
  on r is flat (the default: the posterior is ``N(r, se_r²)``) or ``N(μ₀, σ₀²)``. Chance
  to win is the posterior probability that the effect goes the better way; expected
  loss is ``E[max(0, −δ)]`` for the better-way effect ``δ``
  (``s·φ(m/s) − m·Φ(−m/s)`` for ``δ ~ N(m, s²)``), in relative units; the credible
  interval is the central ``1 − α`` posterior interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats

from graphkit.errors import ConfigError

Interval = tuple[float, float]
Scale = Literal["absolute", "log"]

DEFAULT_POWER = 0.8
DEFAULT_SEQUENTIAL_TUNING = 5000


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """``alpha`` as a float in (0, 1), else a ConfigError naming the parameter."""
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ConfigError(f"{name} must be between 0 and 1, got {alpha!r}")
    return float(alpha)


@dataclass(frozen=True)
class Estimate:
    """A treatment effect (treatment − control) and its standard error on one scale.

    Attributes
    ----------
    value : float
        The effect on ``scale``: a difference (``"absolute"``) or a log ratio (``"log"``).
    stderr : float
        Its standard error (> 0).
    model : str
        The model that produced it, e.g. ``"Welch t-test"``.
    df : float or None
        Degrees of freedom of a t reference distribution; None for the normal.
    continuity : float
        Continuity correction on the ``value`` scale (0 for none).
    scale : {"absolute", "log"}
    baseline : float or None
        The control mean, to express the effect relative to it and in per-user units.

    Examples
    --------
    >>> e = Estimate(value=0.5, stderr=0.2, model="z")
    >>> [round(x, 4) for x in e.ci(0.05)], round(e.p_value(), 4)
    ([0.108, 0.892], 0.0124)
    """

    value: float
    stderr: float
    model: str
    df: float | None = None
    continuity: float = 0.0
    scale: Scale = "absolute"
    baseline: float | None = None

    def _dist(self) -> stats.rv_continuous:
        return stats.norm if self.df is None else stats.t(self.df)

    def quantile(self, alpha: float) -> float:
        """The two-sided critical value ``q_{1 - alpha/2}`` of the reference distribution."""
        return float(self._dist().isf(alpha / 2))

    def statistic(self) -> float:
        shrunk = max(abs(self.value) - self.continuity, 0.0)
        return math.copysign(shrunk / self.stderr, self.value)

    def p_value(self) -> float:
        return float(min(1.0, 2 * self._dist().sf(abs(self.statistic()))))

    def ci(self, alpha: float) -> Interval:
        half = self.quantile(alpha) * self.stderr + self.continuity
        return (self.value - half, self.value + half)

    def mde(
        self, alpha: float, power: float = DEFAULT_POWER, *, critical: float | None = None
    ) -> float:
        """Smallest true effect (on this scale) detected with probability ``power``.

        ``critical`` replaces the two-sided quantile (e.g. a sequential boundary, in
        standard errors)."""
        q = self.quantile(alpha) if critical is None else critical
        return (q + float(stats.norm.isf(1 - power))) * self.stderr + self.continuity

    def power_at(self, effect: float, alpha: float, *, critical: float | None = None) -> float:
        """Probability that the two-sided test rejects when the true effect is ``effect``
        (``critical`` as for :meth:`mde`)."""
        q = self.quantile(alpha) if critical is None else critical
        shift = (abs(effect) - self.continuity) / self.stderr
        return float(stats.norm.sf(q - shift) + stats.norm.cdf(-q - shift))

    # -------------------------------------------------------------- expressing a value

    def absolute(self, value: float) -> float | None:
        """A value of this scale as a per-user difference (log ratios need the baseline)."""
        if self.scale == "absolute":
            return value
        return None if self.baseline is None else self.baseline * math.expm1(value)

    def relative(self, value: float) -> float | None:
        """A value of this scale relative to the control mean (``0.02`` = +2%)."""
        if self.scale == "log":
            return math.expm1(value)
        if self.baseline is None or self.baseline == 0:
            return None
        return value / abs(self.baseline)

    def from_relative(self, relative: float) -> float | None:
        """A relative effect (``0.02`` = +2%) on this scale."""
        if self.scale == "log":
            return math.log1p(relative) if relative > -1 else None
        if self.baseline is None or self.baseline == 0:
            return None
        return relative * abs(self.baseline)


# ------------------------------------------------------------------------- sequential


@dataclass(frozen=True)
class Sequential:
    """Always-valid result of one look (see the module docstring for the formulas).

    Attributes
    ----------
    p_value : float
        Always-valid p-value.
    interval : (float, float)
        Confidence sequence at level ``1 - alpha`` on the estimate's scale.
    n : int
        Users in both arms at this look.
    tuning : int
        ``N*``, the number of users at which the sequence is tightest.
    rho2 : float
        The mixing variance ``ρ²`` derived from ``N*`` and alpha.
    """

    p_value: float
    interval: Interval
    n: int
    tuning: int
    rho2: float


def sequential_rho2(alpha: float, tuning: int = DEFAULT_SEQUENTIAL_TUNING) -> float:
    """``ρ²`` of the asymptotic confidence sequence tightest at ``tuning`` users.

    Examples
    --------
    >>> round(sequential_rho2(0.05, 5000), 8)
    0.00158723
    """
    if not (isinstance(tuning, int) and tuning >= 1):
        raise ConfigError(f"sequential_tuning must be a whole number >= 1, got {tuning!r}")
    log_alpha = -2 * math.log(alpha)
    return (log_alpha + math.log(log_alpha + 1)) / tuning


def sequential(
    estimate: Estimate, n: int, alpha: float, tuning: int = DEFAULT_SEQUENTIAL_TUNING
) -> Sequential:
    """The asymptotic confidence sequence and always-valid p-value of one look.

    Examples
    --------
    >>> s = sequential(Estimate(0.1, 0.04, "z"), n=4000, alpha=0.05)
    >>> round(s.p_value, 4), [round(x, 4) for x in s.interval]
    (0.1822, [-0.0216, 0.2216])
    """
    if n < 1:
        raise ConfigError(f"n must be at least 1, got {n}")
    rho2 = sequential_rho2(alpha, tuning)
    n_rho2 = n * rho2
    sigma2 = n * estimate.stderr**2
    half = math.sqrt(
        sigma2 * 2 * (n_rho2 + 1) / (n * n * rho2) * math.log(math.sqrt(n_rho2 + 1) / alpha)
    )
    z = estimate.statistic()
    log_p = 0.5 * math.log(n_rho2 + 1) - z * z * n_rho2 / (2 * (n_rho2 + 1))
    half += estimate.continuity
    return Sequential(
        p_value=float(min(1.0, math.exp(log_p))),
        interval=(estimate.value - half, estimate.value + half),
        n=int(n),
        tuning=int(tuning),
        rho2=rho2,
    )


# ------------------------------------------------------------------------- Bayesian


@dataclass(frozen=True)
class Prior:
    """Normal prior on the relative effect; ``sd=None`` is the flat (improper) prior."""

    mean: float = 0.0
    sd: float | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.mean):
            raise ConfigError(f"prior_mean must be a finite number, got {self.mean!r}")
        if self.sd is not None and not (math.isfinite(self.sd) and self.sd > 0):
            raise ConfigError(f"prior_sd must be a positive number, got {self.sd!r}")

    def describe(self) -> str:
        if self.sd is None:
            return "flat prior on the relative effect"
        return f"normal prior N({self.mean:g}, {self.sd:g}²) on the relative effect"


@dataclass(frozen=True)
class Bayesian:
    """Posterior of the relative effect under a normal approximation.

    Attributes
    ----------
    chance_to_win : float
        Posterior probability that treatment beats control (in the metric's good
        direction).
    expected_loss : float
        Expected relative shortfall of shipping treatment, ``E[max(0, −δ)]``.
    interval : (float, float)
        Central ``1 - alpha`` credible interval of the relative effect.
    mean, sd : float
        Posterior mean and standard deviation of the relative effect.
    prior : str
    """

    chance_to_win: float
    expected_loss: float
    interval: Interval
    mean: float
    sd: float
    prior: str


def bayesian(
    estimate: Estimate,
    alpha: float,
    prior: Prior | None = None,
    *,
    higher_is_better: bool = True,
) -> Bayesian | None:
    """Chance to win, expected loss and credible interval of the relative effect.

    None when the effect has no relative form (control mean 0).

    Examples
    --------
    >>> b = bayesian(Estimate(0.5, 0.25, "z", baseline=10.0), alpha=0.05)
    >>> round(b.chance_to_win, 4), round(b.expected_loss, 5)
    (0.9772, 0.00021)
    """
    prior = prior or Prior()
    if estimate.scale == "log":
        rel, rel_se = estimate.value, estimate.stderr  # log ratio ≈ relative effect
    else:
        if estimate.baseline is None or estimate.baseline == 0:
            return None
        rel = estimate.value / abs(estimate.baseline)
        rel_se = estimate.stderr / abs(estimate.baseline)
    if prior.sd is None:
        mean, sd = rel, rel_se
    else:
        precision = 1 / rel_se**2 + 1 / prior.sd**2
        mean = (rel / rel_se**2 + prior.mean / prior.sd**2) / precision
        sd = math.sqrt(1 / precision)
    good = mean if higher_is_better else -mean
    chance = float(stats.norm.sf(-good / sd))
    loss = float(sd * stats.norm.pdf(good / sd) - good * stats.norm.sf(good / sd))
    q = float(stats.norm.isf(alpha / 2))
    low, high = mean - q * sd, mean + q * sd
    if estimate.scale == "log":  # report relative changes, not log ratios
        mean, low, high = math.expm1(mean), math.expm1(low), math.expm1(high)
    return Bayesian(chance, max(loss, 0.0), (low, high), mean, sd, prior.describe())


# ------------------------------------------------------------------------- guardrails


@dataclass(frozen=True)
class Guardrail:
    """One-sided non-inferiority test of a guardrail metric.

    ``status``: ``"ok"`` when harm beyond the margin is ruled out (``p_value < alpha``),
    ``"harmed"`` when the metric is significantly worse than control (the one-sided
    ``1 - alpha`` bound lies on the bad side of 0), else ``"inconclusive"``.

    Attributes
    ----------
    margin : float
        Largest acceptable relative harm (``0.01`` = 1% worse).
    bound : float
        One-sided ``1 - alpha`` bound of the effect on the worse side, relative.
    p_value : float
        One-sided p-value of "harm is at least the margin".
    status : {"ok", "harmed", "inconclusive"}
    higher_is_better : bool
    """

    margin: float
    bound: float | None
    p_value: float | None
    status: str
    higher_is_better: bool


def guardrail(
    estimate: Estimate, margin: float, alpha: float, *, higher_is_better: bool = True
) -> Guardrail:
    """Non-inferiority of a guardrail: is harm larger than ``margin`` ruled out?

    H0: the effect is ``margin`` (relative) or more on the bad side; H1: it is less.
    One-sided z (or t) test at ``alpha`` on the estimate's scale.

    Examples
    --------
    >>> g = guardrail(Estimate(-0.02, 0.05, "z", baseline=2.0), margin=0.1, alpha=0.05)
    >>> g.status, round(g.p_value, 4)
    ('ok', 0.0002)
    """
    if not (math.isfinite(margin) and margin >= 0):
        raise ConfigError(f"guardrail margin must be a number >= 0, got {margin!r}")
    sign = 1.0 if higher_is_better else -1.0
    worse_side = -sign * margin
    threshold = estimate.from_relative(worse_side)
    dist = stats.norm if estimate.df is None else stats.t(estimate.df)
    one_sided = float(dist.isf(alpha))
    bad_bound = estimate.value - sign * one_sided * estimate.stderr
    good_bound = estimate.value + sign * one_sided * estimate.stderr
    harmed = sign * good_bound < 0
    if threshold is None:
        return Guardrail(margin, None, None, "harmed" if harmed else "inconclusive", sign > 0)
    p_value = float(dist.sf(sign * (estimate.value - threshold) / estimate.stderr))
    status = "ok" if p_value < alpha else ("harmed" if harmed else "inconclusive")
    return Guardrail(margin, estimate.relative(bad_bound), p_value, status, sign > 0)
