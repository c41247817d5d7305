"""The Examples sections of the experiments modules run as doctests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "aa_simulation",
    "analysis",
    "assignment",
    "bootstrap",
    "corrections",
    "counts",
    "cuped",
    "effect_sizes",
    "means",
    "metrics",
    "power",
    "proportions",
    "samples",
    "segmentation",
    "segments",
    "simulation",
    "srm",
    "survival",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(f"graphkit.experiments.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
