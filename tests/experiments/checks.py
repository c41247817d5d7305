"""Assertions shared by the experiment tests."""

from __future__ import annotations

import dataclasses
import math
from typing import Any


def assert_no_nan(result: Any, path: str = "result") -> None:
    """Fail if any float in a (nested) result dataclass, dict or tuple is NaN."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        for field in dataclasses.fields(result):
            assert_no_nan(getattr(result, field.name), f"{path}.{field.name}")
    elif isinstance(result, dict):
        for key, value in result.items():
            assert_no_nan(value, f"{path}[{key!r}]")
    elif isinstance(result, tuple | list):
        for index, value in enumerate(result):
            assert_no_nan(value, f"{path}[{index}]")
    elif isinstance(result, float):
        assert not math.isnan(result), f"{path} is NaN"
