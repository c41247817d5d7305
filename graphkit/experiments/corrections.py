"""Multiple-testing corrections of p-values: Holm and Benjamini–Hochberg."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from graphkit.errors import ConfigError, DataError

Correction = Literal["holm", "bh"]

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
        ``adjusted <= alpha``.
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
    Same formulas as R ``p.adjust(p, "holm")`` and ``p.adjust(p, "BH")``. (Not
    statsmodels ``multipletests``: its Holm branch runs ``gc.collect()`` on every call.)

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03]).adjusted
    (0.03, 0.06, 0.06)
    """
    if method not in METHOD_NAMES:
        raise ConfigError(f"unknown correction {method!r}", hint="choose 'holm' or 'bh'")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha}")
    raw = np.array(list(p_values), dtype=float)
    if raw.size and not np.all((raw >= 0) & (raw <= 1)):
        raise DataError("p-values must lie in [0, 1] and not be missing", expected="0 <= p <= 1")
    adjusted = _holm(raw) if method == "holm" else _benjamini_hochberg(raw)
    return AdjustedPValues(
        method=METHOD_NAMES[method],
        p_values=tuple(float(p) for p in raw),
        adjusted=tuple(float(p) for p in adjusted),
        rejected=tuple(bool(p <= alpha) for p in adjusted),
        alpha=alpha,
    )


def _holm(p_values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # R p.adjust "holm": pmin(1, cummax((n - i + 1) * p[o]))[ro] with o = order(p).
    order = np.argsort(p_values, kind="stable")
    factors = np.arange(p_values.size, 0, -1)
    adjusted = np.empty_like(p_values)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(factors * p_values[order]))
    return adjusted


def _benjamini_hochberg(p_values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # R p.adjust "BH": pmin(1, cummin(n / i * p[o]))[ro] with o = order(p, decreasing = TRUE).
    order = np.argsort(p_values, kind="stable")[::-1]
    ranks = np.arange(p_values.size, 0, -1)
    adjusted = np.empty_like(p_values)
    adjusted[order] = np.minimum(
        1.0, np.minimum.accumulate(p_values.size / ranks * p_values[order])
    )
    return adjusted
