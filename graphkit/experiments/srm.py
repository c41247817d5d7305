"""Sample-ratio mismatch: do the observed arm sizes fit the planned split?"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from graphkit.errors import ConfigError, DataError, InsufficientData

# Conventional SRM alarm level (Fabijan et al. 2019, "Diagnosing Sample Ratio Mismatch
# in Online Controlled Experiments", KDD): strict because the check runs on every test.
SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class SrmResult:
    """Chi-square goodness-of-fit of arm sizes against the planned weights.

    Attributes
    ----------
    chi2, df, p_value
        Pearson statistic, ``k - 1`` degrees of freedom, p-value.
    flagged : bool
        True when ``p_value < threshold``: the split is broken and the experiment's
        results should not be trusted until the cause is found.
    threshold : float
    observed : dict
        Units per variant, in the order of the weights.
    expected : dict
        Expected units per variant under the weights.
    notes : tuple of str
    """

    chi2: float
    df: int
    p_value: float
    flagged: bool
    threshold: float
    observed: dict[Hashable, int]
    expected: dict[Hashable, float]
    notes: tuple[str, ...]


def check_srm(
    observed: Mapping[Hashable, int],
    weights: Mapping[Hashable, float] | None = None,
    *,
    threshold: float = SRM_THRESHOLD,
) -> SrmResult:
    """Test for sample-ratio mismatch with a chi-square goodness-of-fit test.

    Parameters
    ----------
    observed : mapping
        Units per variant, e.g. ``{"control": 10_120, "treatment": 9_880}`` or
        ``assignments["variant"].value_counts()``.
    weights : mapping, optional
        Planned share per variant (any positive scale); equal shares if omitted.
        A weighted variant missing from ``observed`` counts as zero units.
    threshold : float
        p-value below which the mismatch is flagged.

    Returns
    -------
    SrmResult

    Raises
    ------
    DataError
        If counts are negative or fractional, a variant has no weight, or units landed
        in a variant of weight zero.
    InsufficientData
        If there are fewer than two variants or no units.

    Notes
    -----
    Same statistic as R ``chisq.test(x = observed, p = weights, rescale.p = TRUE)``.

    Examples
    --------
    >>> r = check_srm({"control": 10_400, "treatment": 9_600})
    >>> round(r.chi2, 1), r.flagged
    (32.0, True)
    """
    if not 0 < threshold < 1:
        raise ConfigError(f"threshold must be between 0 and 1, got {threshold}")
    counts = dict(observed.items())
    planned = dict(weights.items()) if weights is not None else dict.fromkeys(counts, 1.0)
    unplanned = [variant for variant in counts if variant not in planned]
    if unplanned:
        raise DataError(
            f"variant(s) without a planned weight: {', '.join(map(str, unplanned))}",
            expected=f"variants among {', '.join(map(str, planned))}",
        )
    for variant, count in counts.items():
        if not (math.isfinite(count) and float(count).is_integer() and count >= 0):
            raise DataError(f"variant {variant!r} has count {count}", expected="whole number >= 0")
    for variant, weight in planned.items():
        if not (math.isfinite(weight) and weight >= 0):
            raise ConfigError(f"variant {variant!r} has weight {weight}; weights must be >= 0")
        if weight == 0 and counts.get(variant, 0) > 0:
            raise DataError(
                f"{counts[variant]} unit(s) in variant {variant!r}, planned weight 0",
                hint="the assignment is broken: units reach a closed variant",
            )
    variants = [variant for variant, weight in planned.items() if weight > 0]
    if len(variants) < 2:
        raise InsufficientData("a sample-ratio check needs at least two variants")
    observed_counts = np.array([counts.get(variant, 0) for variant in variants], dtype=float)
    total = observed_counts.sum()
    if total == 0:
        raise InsufficientData("no units assigned: nothing to check")
    shares = np.array([planned[variant] for variant in variants], dtype=float)
    expected_counts = total * shares / shares.sum()
    result = stats.chisquare(observed_counts, expected_counts)
    notes = []
    if np.any(expected_counts < 5):
        notes.append("some expected counts are below 5: the chi-square approximation may be poor")
    p_value = float(result.pvalue)
    return SrmResult(
        chi2=float(result.statistic),
        df=len(variants) - 1,
        p_value=p_value,
        flagged=p_value < threshold,
        threshold=threshold,
        observed={
            variant: int(count) for variant, count in zip(variants, observed_counts, strict=True)
        },
        expected={
            variant: float(count) for variant, count in zip(variants, expected_counts, strict=True)
        },
        notes=tuple(notes),
    )
