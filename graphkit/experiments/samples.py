"""One arm of an experiment: turning caller input into a clean sample and summarising it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from graphkit.errors import DataError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ArmSummary:
    """Size, mean and standard deviation of one arm.

    ``mean`` is None for an empty arm and ``sd`` (sample SD, ``ddof=1``) for fewer than
    two observations, so no NaN ever reaches a reader.
    """

    n: int
    mean: float | None
    sd: float | None


def as_sample(values: Iterable[float] | npt.ArrayLike, *, name: str) -> FloatArray:
    """Return ``values`` as a one-dimensional float array of finite numbers.

    Parameters
    ----------
    values : array-like
        Per-unit metric values (list, NumPy array or pandas Series).
    name : str
        What the values are (``"control"``, ``"treatment"``...), used in error messages.

    Returns
    -------
    numpy.ndarray
        A new float64 array.

    Raises
    ------
    DataError
        If the values are not numeric, not one-dimensional, or contain NaN or infinity.

    Examples
    --------
    >>> as_sample([1, 2, 3], name="control")
    array([1., 2., 3.])
    """
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{name}: values are not all numbers (text or missing values)",
            expected="numbers",
            hint="drop or impute missing values before testing",
        ) from exc
    if array.ndim != 1:
        raise DataError(
            f"{name}: expected a one-dimensional sequence, got shape {array.shape}",
            expected="one value per unit",
        )
    bad = int(np.count_nonzero(~np.isfinite(array)))
    if bad:
        raise DataError(
            f"{name}: {bad} value(s) are missing or infinite",
            expected="finite numbers",
            hint="drop or impute missing values before testing",
        )
    return array


def summarize_arm(values: FloatArray) -> ArmSummary:
    """Summarise one arm as n, mean and sample standard deviation.

    Examples
    --------
    >>> summarize_arm(np.array([1.0, 2.0, 3.0]))
    ArmSummary(n=3, mean=2.0, sd=1.0)
    """
    n = int(values.size)
    mean = float(values.mean()) if n else None
    sd = float(values.std(ddof=1)) if n >= 2 else None
    return ArmSummary(n=n, mean=mean, sd=sd)
