"""Power and sample size for two-sample t-tests and two-proportion tests (R formulas)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from scipy import optimize, stats

from graphkit.errors import ConfigError, InsufficientData

Alternative = Literal["two-sided", "one-sided"]

# Search range for n; R power.t.test starts from c(2, 1e7) and extends upwards.
_MIN_N = 2.0
_MAX_N = 1e12

T_TEST_FORMULA = "two-sample t-test, noncentral t (R power.t.test)"
PROP_TEST_FORMULA = "two proportions, normal approximation (R power.prop.test)"
COHENS_H_NOTE = (
    "Cohen's h arcsine formula (R pwr.2p.test, statsmodels NormalIndPower) gives a slightly "
    "smaller n, e.g. 3834.6 instead of 3840.8 per group for p1 = 0.10, p2 = 0.12"
)


@dataclass(frozen=True)
class PowerResult:
    """Sample size, power and minimum detectable effect of a two-arm design.

    Attributes
    ----------
    formula : str
        Which formula produced the numbers (and whether ``strict`` was used).
    n_per_group : float
        Units per arm; fractional when solved for (see ``n_per_group_ceil``).
    power : float
        Probability of rejecting H0 when the effect is ``mde``.
    mde : float
        Effect in metric units: ``delta`` for the t-test, ``p2 - p1`` for proportions.
    alpha : float
    alternative : str
    sd : float or None
        Standard deviation (t-test only).
    p1, p2 : float or None
        Baseline and alternative proportions (proportions only).
    notes : tuple of str
    """

    formula: str
    n_per_group: float
    power: float
    mde: float
    alpha: float
    alternative: str
    sd: float | None
    p1: float | None
    p2: float | None
    notes: tuple[str, ...]

    @property
    def n_per_group_ceil(self) -> int:
        """Units per arm to actually recruit: ``n_per_group`` rounded up."""
        return math.ceil(self.n_per_group)


def _tails(alternative: str) -> int:
    if alternative not in ("two-sided", "one-sided"):
        raise ConfigError(
            f"unknown alternative {alternative!r}", hint="choose 'two-sided' or 'one-sided'"
        )
    return 2 if alternative == "two-sided" else 1


def _check_levels(alpha: float, power: float | None) -> None:
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha}")
    if power is not None and not alpha < power < 1:
        raise ConfigError(f"power must be between alpha ({alpha}) and 1, got {power}")


def _one_missing(**values: float | None) -> str:
    missing = [name for name, value in values.items() if value is None]
    if len(missing) != 1:
        raise ConfigError(
            f"give all but one of {', '.join(values)}; the missing one is solved for",
            hint=f"currently missing: {', '.join(missing) or 'none'}",
        )
    return missing[0]


def _solve_n(power_at: Callable[[float], float], target: float, notes: list[str]) -> float:
    """Smallest n (≥ 2) whose power reaches ``target``; power increases with n."""
    if power_at(_MIN_N) >= target:
        notes.append("the target power is reached with the minimum of 2 units per group")
        return _MIN_N
    upper = 1e7
    while power_at(upper) < target:
        upper *= 10
        if upper > _MAX_N:
            raise InsufficientData(
                f"even {_MAX_N:.0e} units per group do not reach power {target}",
                hint="the effect is too small to detect; revisit the effect size",
            )
    return float(optimize.brentq(lambda n: power_at(n) - target, _MIN_N, upper, xtol=1e-10))


def _t_power(n: float, delta: float, sd: float, alpha: float, tails: int, strict: bool) -> float:
    # R power.t.test, type = "two.sample": nu = 2(n - 1), ncp = √(n/2)·δ/σ.
    df = 2 * (n - 1)
    critical = stats.t.isf(alpha / tails, df)
    noncentrality = math.sqrt(n / 2) * delta / sd
    power = stats.nct.sf(critical, df, noncentrality)
    if strict and tails == 2:
        # P(T < -critical) written as an upper tail: scipy's nct.cdf returns NaN there.
        power += stats.nct.sf(critical, df, -noncentrality)
    return float(power)


def power_t_test(
    *,
    n: float | None = None,
    delta: float | None = None,
    power: float | None = None,
    sd: float = 1.0,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    strict: bool = True,
) -> PowerResult:
    """Power, sample size or detectable difference of a two-sample t-test.

    Give two of ``n``, ``delta`` and ``power``; the third is solved for, exactly as
    R ``power.t.test(type = "two.sample")`` does.

    Parameters
    ----------
    n : float, optional
        Units per group.
    delta : float, optional
        True difference in means, in metric units.
    power : float, optional
        Target power.
    sd : float
        Standard deviation of the metric (common to both arms).
    alpha : float
        Significance level.
    alternative : {"two-sided", "one-sided"}
    strict : bool
        Count rejections in the wrong tail for a two-sided test (R ``strict = TRUE``).
        True is the exact power of the two-sided test; R's default ``strict = FALSE``
        ignores the other tail and gives a marginally larger n (63.76576 vs 63.76561 for
        d = 0.5, power 0.8).

    Returns
    -------
    PowerResult

    Raises
    ------
    ConfigError
        If not exactly one of ``n``, ``delta``, ``power`` is missing, or a value is out of
        range.
    InsufficientData
        If no n up to 1e12 reaches the power.

    Notes
    -----
    Power is ``P(T > t_{1-α/k}) [+ P(T < -t_{1-α/k})]`` for T noncentral t with
    ``2(n - 1)`` degrees of freedom and noncentrality ``√(n/2)·δ/σ`` (R 4.2
    ``stats::power.t.test``); roots are found with Brent's method.

    Examples
    --------
    >>> round(power_t_test(delta=0.5, power=0.8, strict=False).n_per_group, 4)
    63.7658
    >>> round(power_t_test(n=20, delta=1).power, 6)
    0.868953
    """
    tails = _tails(alternative)
    _check_levels(alpha, power)
    if sd <= 0:
        raise ConfigError(f"sd must be positive, got {sd}")
    if n is not None and n < _MIN_N:
        raise ConfigError(f"n must be at least 2 per group, got {n}")
    if tails == 2 and delta is not None:
        delta = abs(delta)  # as R: only the size of a two-sided effect matters
    unknown = _one_missing(n=n, delta=delta, power=power)
    notes: list[str] = []
    if unknown == "power":
        assert n is not None and delta is not None
        power = _t_power(n, delta, sd, alpha, tails, strict)
    elif unknown == "n":
        assert delta is not None and power is not None
        if delta == 0:
            raise ConfigError("delta must be non-zero to solve for n")
        effect = delta
        n = _solve_n(lambda size: _t_power(size, effect, sd, alpha, tails, strict), power, notes)
    else:
        assert n is not None and power is not None
        sample_size, target = n, power
        # R searches delta in c(sd·1e-7, sd·1e7); power increases with delta.
        delta = float(
            optimize.brentq(
                lambda effect: _t_power(sample_size, effect, sd, alpha, tails, strict) - target,
                sd * 1e-7,
                sd * 1e7,
                xtol=1e-12 * sd,
            )
        )
    return PowerResult(
        formula=f"{T_TEST_FORMULA}, strict={strict}",
        n_per_group=float(n),
        power=float(power),
        mde=float(delta),
        alpha=alpha,
        alternative=alternative,
        sd=sd,
        p1=None,
        p2=None,
        notes=tuple(notes),
    )


def _prop_power(n: float, p1: float, p2: float, alpha: float, tails: int, strict: bool) -> float:
    # R power.prop.test: the statistic's H0 spread uses the mean proportion,
    # its H1 spread the two arms' own variances.
    critical = stats.norm.isf(alpha / tails)
    difference = abs(p1 - p2)
    null_sd = math.sqrt((p1 + p2) * (2 - p1 - p2) / 2)
    alternative_sd = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    power = stats.norm.cdf((math.sqrt(n) * difference - critical * null_sd) / alternative_sd)
    if strict and tails == 2:
        power += stats.norm.sf((math.sqrt(n) * difference + critical * null_sd) / alternative_sd)
    return float(power)


def power_prop_test(
    *,
    p1: float,
    p2: float | None = None,
    n: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    strict: bool = True,
) -> PowerResult:
    """Power, sample size or detectable rate of a two-proportion test.

    Give the baseline ``p1`` and two of ``p2``, ``n`` and ``power``; the third is
    solved for, as R ``power.prop.test`` does. Solving for ``p2`` searches above ``p1``
    (the smallest detectable *increase*), reported as ``mde = p2 - p1``.

    Parameters
    ----------
    p1 : float
        Control (baseline) proportion.
    p2 : float, optional
        Treatment proportion to detect.
    n : float, optional
        Units per group.
    power : float, optional
        Target power.
    alpha : float
        Significance level.
    alternative : {"two-sided", "one-sided"}
    strict : bool
        Count the wrong tail of a two-sided test (R ``strict = TRUE``); R's default is
        False. The difference is negligible at realistic sizes.

    Returns
    -------
    PowerResult

    Raises
    ------
    ConfigError
        If not exactly one of ``p2``, ``n``, ``power`` is missing, or a value is out of
        range.
    InsufficientData
        If no n (or no p2 < 1) reaches the power.

    Notes
    -----
    ``power = Φ((√n·|p1 - p2| - z_{1-α/k}·√((p1 + p2)(q1 + q2)/2)) / √(p1q1 + p2q2))``
    (R 4.2 ``stats::power.prop.test``). Cohen's h formula (R ``pwr.2p.test``,
    statsmodels ``NormalIndPower``) is a different approximation and gives a slightly
    different n; this module uses R's ``power.prop.test`` throughout.

    Examples
    --------
    >>> round(power_prop_test(p1=0.10, p2=0.12, power=0.8, strict=False).n_per_group, 2)
    3840.85
    >>> power_prop_test(p1=0.10, p2=0.12, power=0.8).n_per_group_ceil
    3841
    """
    tails = _tails(alternative)
    _check_levels(alpha, power)
    for name, value in (("p1", p1), ("p2", p2)):
        if value is not None and not 0 < value < 1:
            raise ConfigError(f"{name} must be strictly between 0 and 1, got {value}")
    if p2 is not None and p2 == p1:
        raise ConfigError("p2 must differ from p1")
    if n is not None and n < _MIN_N:
        raise ConfigError(f"n must be at least 2 per group, got {n}")
    unknown = _one_missing(p2=p2, n=n, power=power)
    notes: list[str] = [COHENS_H_NOTE]
    if unknown == "power":
        assert n is not None and p2 is not None
        power = _prop_power(n, p1, p2, alpha, tails, strict)
    elif unknown == "n":
        assert p2 is not None and power is not None
        alternative_rate = p2
        n = _solve_n(
            lambda size: _prop_power(size, p1, alternative_rate, alpha, tails, strict),
            power,
            notes,
        )
    else:
        assert n is not None and power is not None
        sample_size, target = n, power
        highest = 1 - 1e-10
        if _prop_power(sample_size, p1, highest, alpha, tails, strict) < target:
            raise InsufficientData(
                f"no p2 above p1 = {p1} reaches power {target} with n = {sample_size}",
                hint="increase n or lower the target power",
            )
        # R searches p2 in c(p1, 1); power increases as p2 moves away from p1.
        p2 = float(
            optimize.brentq(
                lambda rate: _prop_power(sample_size, p1, rate, alpha, tails, strict) - target,
                p1,
                highest,
                xtol=1e-14,
            )
        )
    return PowerResult(
        formula=f"{PROP_TEST_FORMULA}, strict={strict}",
        n_per_group=float(n),
        power=float(power),
        mde=float(p2 - p1),
        alpha=alpha,
        alternative=alternative,
        sd=None,
        p1=p1,
        p2=float(p2),
        notes=tuple(notes),
    )
