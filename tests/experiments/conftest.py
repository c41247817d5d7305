"""Fixtures: the R reference values and the data sets they were computed on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ORACLES = Path(__file__).resolve().parents[1] / "oracles"


@pytest.fixture(scope="session")
def reference() -> dict[str, Any]:
    """reference.json: values computed with R 4.2.2."""
    return json.loads((ORACLES / "reference.json").read_text())


@pytest.fixture(scope="session")
def sleep() -> pd.DataFrame:
    """R's ``sleep`` data: extra hours of sleep (``extra``) for drug ``group`` 1 and 2."""
    return pd.read_csv(ORACLES / "sleep.csv")


@pytest.fixture(scope="session")
def waltons() -> pd.DataFrame:
    """lifelines' Waltons data: lifetimes ``T``, death flag ``E``, ``group``."""
    return pd.read_csv(ORACLES / "waltons.csv")
