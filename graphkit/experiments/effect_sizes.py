"""Standardised effect sizes and the relative lift with its delta-method interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True)
class RelativeLift:
    """Relative lift ``(mean_treatment - mean_control) / mean_control`` with its CI."""

    estimate: float
    ci_low: float
    ci_high: float


def cohens_d(
    mean_control: float,
    var_control: float,
    n_control: int,
    mean_treatment: float,
    var_treatment: float,
    n_treatment: int,
) -> float | None:
    """Cohen's d: difference in means over the pooled standard deviation.

    Returns None when the pooled standard deviation is zero or undefined.

    Examples
    --------
    >>> cohens_d(0.0, 1.0, 10, 0.5, 1.0, 10)
    0.5
    """
    df = n_control + n_treatment - 2
    if df <= 0:
        return None
    pooled_var = ((n_control - 1) * var_control + (n_treatment - 1) * var_treatment) / df
    if pooled_var <= 0:
        return None
    return (mean_treatment - mean_control) / math.sqrt(pooled_var)


def cohens_h(p_control: float, p_treatment: float) -> float:
    """Cohen's h: difference of arcsine-transformed proportions, treatment - control.

    ``h = 2·asin(√p_t) - 2·asin(√p_c)`` (Cohen 1988, §6.2; R ``pwr::ES.h``).

    Examples
    --------
    >>> round(cohens_h(0.10, 0.12), 6)
    0.063982
    """
    return 2 * math.asin(math.sqrt(p_treatment)) - 2 * math.asin(math.sqrt(p_control))


def relative_lift(
    mean_control: float,
    var_mean_control: float,
    mean_treatment: float,
    var_mean_treatment: float,
    *,
    alpha: float = 0.05,
) -> RelativeLift | None:
    """Relative lift of two independent means with a delta-method normal CI.

    Parameters
    ----------
    mean_control, mean_treatment : float
        Arm means (or proportions).
    var_mean_control, var_mean_treatment : float
        Variances *of the means*, e.g. ``s² / n`` or ``p(1 - p) / n``.
    alpha : float
        One minus the confidence level.

    Returns
    -------
    RelativeLift or None
        None when the control mean is zero, or so close to zero that the lift or its
        standard error is not a finite number.

    Notes
    -----
    First-order delta method for ``r = m_t / m_c - 1`` with independent arms
    (Deng, Knoblich & Lu 2018, "Applying the Delta Method in Metric Analytics", §3;
    the same formula as GrowthBook's frequentist relative effect)::

        Var(r) ≈ Var(m_t) / m_c² + m_t² · Var(m_c) / m_c⁴

    Examples
    --------
    >>> lift = relative_lift(10.0, 0.04, 11.0, 0.04)
    >>> round(lift.estimate, 3), round(lift.ci_low, 3), round(lift.ci_high, 3)
    (0.1, 0.042, 0.158)
    """
    if mean_control == 0:
        return None
    ratio = mean_treatment / mean_control
    # √Var(r) written so that no intermediate squares the (possibly tiny) control mean.
    stderr = math.sqrt(var_mean_treatment + ratio * ratio * var_mean_control) / abs(mean_control)
    half_width = float(stats.norm.isf(alpha / 2)) * stderr
    if not math.isfinite(ratio) or not math.isfinite(half_width):
        return None
    return RelativeLift(ratio - 1, ratio - 1 - half_width, ratio - 1 + half_width)
