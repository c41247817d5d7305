"""Ratio metrics (clicks per view, revenue per session) with the delta method.

A ratio metric of an arm is ``R = ΣX / ΣY`` over its users (X the numerator, Y the
denominator per user): users are the randomisation unit, so the per-user pairs are
independent but X and Y of one user are not. The delta method (Deng, Knoblich & Lu
2018, "Applying the Delta Method in Metric Analytics", KDD, eq. 2) gives

``Var(R) ≈ (s²_X − 2·R·s_XY + R²·s²_Y) / (n · Ȳ²)``

with sample variances and covariance (``ddof = 1``). The difference of two independent
arms has variance ``Var(R_t) + Var(R_c)``; the test is a z-test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from graphkit.errors import DataError, InsufficientData
from graphkit.experiments.inference import Estimate
from graphkit.experiments.samples import as_sample

MODEL = "ratio z-test (delta method)"


@dataclass(frozen=True)
class RatioArm:
    """``ratio = numerator / denominator`` of one arm and its delta-method variance."""

    n: int
    numerator: float
    denominator: float
    ratio: float
    variance: float


def ratio_arm(numerator: npt.ArrayLike, denominator: npt.ArrayLike, *, name: str) -> RatioArm:
    """Sum ratio of one arm and its delta-method variance.

    Examples
    --------
    >>> arm = ratio_arm([1, 2, 3], [2, 4, 4], name="control")
    >>> round(arm.ratio, 4), round(arm.variance, 6)
    (0.6, 0.0084)
    """
    x = as_sample(numerator, name=f"{name} numerator")
    y = as_sample(denominator, name=f"{name} denominator")
    if x.size != y.size:
        raise DataError(f"{name}: numerator and denominator differ in length")
    if x.size < 2:
        raise InsufficientData(f"{name}: a ratio metric needs at least two users per arm")
    total_y = float(y.sum())
    if total_y <= 0:
        raise InsufficientData(f"{name}: the denominator sums to {total_y:g}: no ratio")
    ratio = float(x.sum()) / total_y
    mean_y = total_y / x.size
    cov = np.cov(x, y, ddof=1)
    variance = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / (x.size * mean_y**2)
    return RatioArm(int(x.size), float(x.sum()), total_y, ratio, float(max(variance, 0.0)))


def compare_ratios(control: RatioArm, treatment: RatioArm) -> Estimate | None:
    """The difference of two arms' ratios as an :class:`Estimate` (None if no variance)."""
    stderr = math.sqrt(control.variance + treatment.variance)
    if not stderr > 0:
        return None
    return Estimate(
        value=treatment.ratio - control.ratio,
        stderr=stderr,
        model=MODEL,
        baseline=control.ratio,
    )
