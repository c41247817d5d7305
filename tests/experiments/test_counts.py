"""compare_counts: Poisson and negative-binomial rate ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.counts import compare_counts

from .checks import assert_no_nan


def test_poisson_rate_ratio_has_the_closed_form():
    # With a single binary regressor the Poisson MLE is the ratio of rates and
    # se(log RR) = √(1/Σy_t + 1/Σy_c) (e.g. Agresti, Categorical Data Analysis, §3.3).
    control = [0, 2, 1, 3, 1, 0, 2]
    treatment = [2, 4, 3, 1, 5, 2]
    exposure_c = [1, 2, 1, 2, 1, 1, 2]
    exposure_t = [2, 2, 1, 1, 2, 1]
    result = compare_counts(
        control, treatment, control_exposure=exposure_c, treatment_exposure=exposure_t
    )
    rate_c, rate_t = sum(control) / sum(exposure_c), sum(treatment) / sum(exposure_t)
    se = math.sqrt(1 / sum(control) + 1 / sum(treatment))
    z = stats.norm.isf(0.025)
    assert result.rate_ratio == pytest.approx(rate_t / rate_c, rel=1e-8)
    assert result.ci_low == pytest.approx(rate_t / rate_c * math.exp(-z * se), rel=1e-6)
    assert result.ci_high == pytest.approx(rate_t / rate_c * math.exp(z * se), rel=1e-6)
    assert result.statistic == pytest.approx(math.log(rate_t / rate_c) / se, rel=1e-6)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(result.statistic)), rel=1e-6)
    assert result.dispersion is None
    assert result.model == "Poisson regression"


def test_negative_binomial_widens_the_interval_for_overdispersed_counts():
    rng = np.random.default_rng(3)
    # NB2 with mean μ and alpha = 0.5: numpy's (n, p) = (1/alpha, 1/(1 + alpha·μ)).
    control = rng.negative_binomial(2, 1 / (1 + 0.5 * 4.0), size=2000)
    treatment = rng.negative_binomial(2, 1 / (1 + 0.5 * 4.8), size=2000)
    poisson = compare_counts(control, treatment)
    negative_binomial = compare_counts(control, treatment, model="negative-binomial")
    assert negative_binomial.rate_ratio == pytest.approx(poisson.rate_ratio, rel=1e-4)
    assert negative_binomial.ci_high - negative_binomial.ci_low > poisson.ci_high - poisson.ci_low
    assert negative_binomial.dispersion == pytest.approx(0.5, abs=0.08)
    assert any("overdispersed" in note for note in poisson.notes)
    assert not any("overdispersed" in note for note in negative_binomial.notes)


def test_negative_binomial_handles_underdispersed_counts():
    result = compare_counts([2] * 30, [3] * 30, model="negative-binomial")
    assert result.rate_ratio == pytest.approx(1.5, rel=1e-4)
    assert_no_nan(result)


# --- degenerate data ----------------------------------------------------------------


@pytest.mark.parametrize(("control", "treatment"), [([0, 0, 0], [1, 2, 0]), ([0, 0], [0, 0, 0])])
@pytest.mark.parametrize("model", ["poisson", "negative-binomial"])
def test_arms_without_events_give_no_ratio(control, treatment, model):
    result = compare_counts(control, treatment, model=model)
    assert result.rate_ratio is None and result.p_value is None and result.ci_low is None
    assert any("no events" in note for note in result.notes)
    assert_no_nan(result)


def test_empty_arm_raises_insufficient_data():
    with pytest.raises(InsufficientData):
        compare_counts([], [1, 2])


@pytest.mark.parametrize("bad", [[-1, 2], [1.5, 2], [1, math.nan]])
def test_invalid_counts_raise_data_error(bad):
    with pytest.raises(DataError):
        compare_counts(bad, [1, 2])


@pytest.mark.parametrize("exposure", [[1.0], [1.0, 0.0]])
def test_invalid_exposure_raises_data_error(exposure):
    with pytest.raises(DataError):
        compare_counts([1, 2], [1, 2], control_exposure=exposure)


def test_unknown_model_raises_config_error():
    with pytest.raises(ConfigError):
        compare_counts([1, 2], [1, 2], model="zip")  # type: ignore[arg-type]


# --- properties ---------------------------------------------------------------------

counts = st.lists(st.integers(0, 50), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(counts, counts)
def test_swapping_arms_inverts_the_rate_ratio(control, treatment):
    forward = compare_counts(control, treatment)
    backward = compare_counts(treatment, control)
    assert_no_nan(forward)
    if forward.rate_ratio is None:
        assert backward.rate_ratio is None
        return
    assert forward.rate_ratio * backward.rate_ratio == pytest.approx(1.0, rel=1e-6)
    assert 0 <= forward.p_value <= 1
    assert forward.ci_low <= forward.rate_ratio <= forward.ci_high


def test_a_failed_fit_is_reported_not_raised():
    # One huge value among zeros: the NB2 likelihood is flat and BFGS cannot invert
    # the Hessian; the result says so instead of presenting NaN.
    result = compare_counts([0] * 50 + [1000], [1] * 20, model="negative-binomial")
    assert_no_nan(result)
    assert result.rate_ratio is None
    assert any("no rate ratio" in note for note in result.notes)
    assert len(result.notes) == len(set(result.notes))
