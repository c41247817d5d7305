"""The one JSON encoder: deterministic text from results, reports and records.

Keys sorted, two-space indent, NaN and missing values as ``null``, numpy and pandas
scalars as Python numbers, times in ISO 8601. Reports round floats to significant digits
(so they diff cleanly); the CLI's ``--format json`` keeps full precision. pandas is never
imported here: a pandas value can only reach this module once pandas is loaded.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

SIGNIFICANT_DIGITS = 6
"""What reports keep of a float: enough for any reader, few enough to diff cleanly."""


def round_significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float | None:
    """``value`` rounded to ``digits`` significant digits; None when not finite.

    Examples
    --------
    >>> round_significant(3.14159265, 4), round_significant(float("nan"), 4)
    (3.142, None)
    """
    if not math.isfinite(value):
        return None
    if value == 0:
        return 0.0
    return float(f"{value:.{digits - 1}e}")


def _missing(value: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return value is None or (pandas is not None and (value is pandas.NA or value is pandas.NaT))


def plain(value: Any, *, digits: int | None = None) -> Any:
    """A JSON-ready value; floats rounded to ``digits`` significant digits when given.

    Examples
    --------
    >>> plain({"p": float("nan"), 1: (0.123456789, "a")}, digits=3)
    {'p': None, '1': [0.123, 'a']}
    """
    if _missing(value):
        return None
    if hasattr(value, "item") and not hasattr(value, "__len__"):  # a numpy scalar
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if digits is not None:
            return round_significant(value, digits)
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v, digits=digits) for k, v in value.items()}
    if hasattr(value, "tolist"):  # numpy arrays, pandas Series
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [plain(v, digits=digits) for v in value]
    raise TypeError(f"cannot put a {type(value).__name__} into JSON")


def json_text(data: Any, *, digits: int | None = None, ascii_only: bool = True) -> str:
    """Deterministic JSON text of ``data`` (see the module docstring), ending in a newline.

    Examples
    --------
    >>> print(json_text({"b": 1.0, "a": [float("inf")]}), end="")
    {
      "a": [
        null
      ],
      "b": 1.0
    }
    """
    text = json.dumps(plain(data, digits=digits), sort_keys=True, indent=2, ensure_ascii=ascii_only)
    return text + "\n"
