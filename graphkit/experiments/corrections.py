"""Multiple-testing corrections of p-values: Holm and Benjamini–Hochberg."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from statsmodels.stats.multitest import multipletests

from graphkit.errors import ConfigError, DataError

Correction = Literal["holm", "bh"]

# Our names → statsmodels' names; both match R p.adjust ("holm", "BH").
_STATSMODELS_METHODS = {"holm": "holm", "bh": "fdr_bh"}
METHOD_NAMES = {"holm": "Holm", "bh": "Benjamini–Hochberg"}


@dataclass(frozen=True)
class AdjustedPValues:
    """P-values adjusted for testing several hypotheses at once, in input order.

    Attributes
    ----------
    method : str
        ``"Holm"`` (controls the family-wise error rate) or ``"Benjamini–Hochberg"``
        (controls the false discovery rate).
    p_values : tuple of float
        The raw p-values as given.
    adjusted : tuple of float
        Adjusted p-values, position i belonging to input i.
    rejected : tuple of bool
        ``adjusted <= alpha``, as statsmodels decides it.
    alpha : float
    """

    method: str
    p_values: tuple[float, ...]
    adjusted: tuple[float, ...]
    rejected: tuple[bool, ...]
    alpha: float


def adjust_p_values(
    p_values: Iterable[float], *, method: Correction = "holm", alpha: float = 0.05
) -> AdjustedPValues:
    """Adjust p-values for multiple testing.

    Parameters
    ----------
    p_values : iterable of float
        Raw p-values, e.g. one per metric or per segment.
    method : {"holm", "bh"}
        Holm's step-down method (default; valid under any dependence) or
        Benjamini–Hochberg (false discovery rate; assumes independence or positive
        dependence).
    alpha : float
        Level at which ``rejected`` is decided.

    Returns
    -------
    AdjustedPValues

    Raises
    ------
    DataError
        If a p-value is missing or outside [0, 1].

    Notes
    -----
    Values equal R ``p.adjust(p, "holm")`` and ``p.adjust(p, "BH")``; computed with
    statsmodels ``multipletests``.

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03]).adjusted
    (0.03, 0.06, 0.06)
    """
    if method not in _STATSMODELS_METHODS:
        raise ConfigError(f"unknown correction {method!r}", hint="choose 'holm' or 'bh'")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha}")
    raw = np.array(list(p_values), dtype=float)
    if raw.size and not np.all((raw >= 0) & (raw <= 1)):
        raise DataError("p-values must lie in [0, 1] and not be missing", expected="0 <= p <= 1")
    if raw.size == 0:
        return AdjustedPValues(METHOD_NAMES[method], (), (), (), alpha)
    rejected, adjusted, _, _ = multipletests(raw, alpha=alpha, method=_STATSMODELS_METHODS[method])
    return AdjustedPValues(
        method=METHOD_NAMES[method],
        p_values=tuple(float(p) for p in raw),
        adjusted=tuple(float(p) for p in adjusted),
        rejected=tuple(bool(flag) for flag in rejected),
        alpha=alpha,
    )
