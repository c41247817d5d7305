"""simulate_aa: false-positive rate of repeated random splits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from graphkit.errors import ConfigError, InsufficientData
from graphkit.experiments.aa_simulation import simulate_aa


def test_result_is_reproducible_and_consistent():
    values = np.random.default_rng(0).normal(size=200)
    first = simulate_aa(values, n_simulations=300, seed=5)
    assert first == simulate_aa(values, n_simulations=300, seed=5)
    assert first.false_positive_rate == first.false_positives / 300
    interval = stats.binomtest(first.false_positives, 300).proportion_ci(0.95, method="exact")
    assert (first.ci_low, first.ci_high) == (interval.low, interval.high)
    assert first.test == "Welch two-sample t-test"
    assert first.undefined == 0 and first.notes == ()


def test_constant_metric_counts_undefined_splits():
    result = simulate_aa(np.ones(50), n_simulations=20, seed=1)
    assert result.undefined == 20 and result.false_positives == 0
    assert any("undefined on 20 split(s)" in note for note in result.notes)


def test_too_few_values_raise_insufficient_data():
    with pytest.raises(InsufficientData):
        simulate_aa([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "options", [{"n_simulations": 0}, {"alpha": 1.0}, {"confidence": 0.0}, {"test": "z"}]
)
def test_invalid_options_raise_config_error(options):
    with pytest.raises(ConfigError):
        simulate_aa(np.arange(10.0), **options)


@pytest.mark.slow
@pytest.mark.parametrize("test", ["welch", "mann-whitney"])
def test_false_positive_rate_is_alpha(test):
    # Skewed, heavy-ish tailed engagement-like metric; 2000 splits of 1000 users.
    values = np.random.default_rng(17).lognormal(0.0, 1.0, size=1000)
    result = simulate_aa(values, n_simulations=2000, test=test, confidence=0.99, seed=2)
    assert result.calibrated, (result.false_positive_rate, result.ci_low, result.ci_high)
    assert result.ci_low <= 0.05 <= result.ci_high
