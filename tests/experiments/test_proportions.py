"""compare_proportions and chi_square_independence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from graphkit.errors import DataError, InsufficientData
from graphkit.experiments.proportions import chi_square_independence, compare_proportions

from .checks import assert_no_nan


def test_pooled_z_by_hand():
    result = compare_proportions(15, 50, 25, 50)
    pooled = 40 / 100
    z = (0.5 - 0.3) / math.sqrt(pooled * (1 - pooled) * (1 / 50 + 1 / 50))
    assert result.statistic == pytest.approx(z)
    assert result.chi2 == pytest.approx(z**2)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(z))
    assert result.diff == pytest.approx(0.2)
    assert result.cohens_h == pytest.approx(
        2 * math.asin(math.sqrt(0.5)) - 2 * math.asin(math.sqrt(0.3))
    )
    assert result.test == "two-proportion z-test (pooled)"


@pytest.mark.parametrize("correction", [False, True])
def test_interval_follows_r_prop_test(correction):
    # R prop.test: WIDTH = z·√(Σ p(1-p)/n) + YATES·Σ 1/n with YATES = min(0.5, |Δ|/Σ 1/n).
    result = compare_proportions(15, 50, 25, 50, correction=correction)
    yates = 0.5 if correction else 0.0
    width = stats.norm.isf(0.025) * math.sqrt(0.3 * 0.7 / 50 + 0.5 * 0.5 / 50) + yates * 0.04
    assert result.ci_low == pytest.approx(0.2 - width)
    assert result.ci_high == pytest.approx(0.2 + width)


def test_yates_agrees_with_scipy_and_is_conservative():
    plain = compare_proportions(30, 200, 45, 210)
    corrected = compare_proportions(30, 200, 45, 210, correction=True)
    table = [[30, 170], [45, 165]]
    assert corrected.chi2 == pytest.approx(stats.chi2_contingency(table, correction=True).statistic)
    assert plain.chi2 == pytest.approx(stats.chi2_contingency(table, correction=False).statistic)
    assert corrected.p_value > plain.p_value
    assert corrected.test.startswith("chi-square test with Yates")


def test_relative_lift_of_proportions():
    result = compare_proportions(100, 1000, 120, 1000)
    assert result.relative_lift == pytest.approx(0.2)
    assert result.relative_ci_low < 0.2 < result.relative_ci_high


# --- degenerate data ----------------------------------------------------------------


@pytest.mark.parametrize("correction", [False, True])
def test_no_conversions_anywhere_is_uninformative(correction):
    result = compare_proportions(0, 100, 0, 120, correction=correction)
    assert result.diff == 0.0
    assert (result.p_value, result.statistic, result.chi2) == (None, None, None)
    assert (result.ci_low, result.ci_high, result.relative_lift) == (None, None, None)
    assert any("no trial converted" in note for note in result.notes)
    assert_no_nan(result)


def test_every_trial_converting_is_uninformative():
    result = compare_proportions(10, 10, 20, 20)
    assert result.p_value is None
    assert any("every trial converted" in note for note in result.notes)
    assert_no_nan(result)


def test_no_control_conversions_still_tests():
    result = compare_proportions(0, 100, 8, 100)
    assert result.p_value is not None and result.p_value < 0.01
    assert result.relative_lift is None
    assert_no_nan(result)


def test_empty_arm_raises_insufficient_data():
    with pytest.raises(InsufficientData):
        compare_proportions(0, 0, 3, 10)


@pytest.mark.parametrize(
    "counts", [(5, 4, 1, 10), (-1, 10, 1, 10), (1.5, 10, 1, 10), (1, math.nan, 1, 1)]
)
def test_impossible_counts_raise_data_error(counts):
    with pytest.raises(DataError):
        compare_proportions(*counts)


# --- r × c --------------------------------------------------------------------------


def test_two_by_two_correction_matches_scipy_and_larger_tables_ignore_it():
    two_by_two = chi_square_independence([[12, 5], [7, 9]], correction=True)
    assert two_by_two.correction
    assert two_by_two.chi2 == pytest.approx(
        stats.chi2_contingency([[12, 5], [7, 9]], correction=True).statistic
    )
    bigger = chi_square_independence([[10, 20, 30], [20, 20, 20]], correction=True)
    assert not bigger.correction
    assert bigger.df == 2


def test_expected_counts_are_returned():
    result = chi_square_independence([[10, 30], [30, 30]])
    assert result.expected == ((16.0, 24.0), (24.0, 36.0))


def test_empty_rows_and_columns_are_dropped_with_a_note():
    result = chi_square_independence([[10, 0, 20], [0, 0, 0], [15, 0, 5]])
    reference = chi_square_independence([[10, 20], [15, 5]])
    assert result.chi2 == reference.chi2 and result.df == 1
    assert any("dropped 1 empty row(s) and 1 empty column(s)" in note for note in result.notes)


def test_small_expected_counts_are_noted():
    result = chi_square_independence([[1, 2], [3, 1]])
    assert any("below 5" in note for note in result.notes)


@pytest.mark.parametrize("table", [[[0, 0], [3, 4]], [[5, 6]]])
def test_tables_without_two_non_empty_rows_raise_insufficient_data(table):
    with pytest.raises(InsufficientData):
        chi_square_independence(table)


@pytest.mark.parametrize("table", [[1, 2, 3], [[1, -2], [3, 4]], [[1, math.nan], [3, 4]]])
def test_malformed_tables_raise_data_error(table):
    with pytest.raises(DataError):
        chi_square_independence(table)


# --- properties ---------------------------------------------------------------------


@st.composite
def arms(draw):
    trials = draw(st.integers(1, 10_000))
    return draw(st.integers(0, trials)), trials


@settings(max_examples=300, deadline=None)
@given(arms(), arms(), st.booleans())
def test_proportion_properties(control, treatment, correction):
    forward = compare_proportions(*control, *treatment, correction=correction)
    backward = compare_proportions(*treatment, *control, correction=correction)
    assert_no_nan(forward)
    assert backward.diff == -forward.diff
    if forward.p_value is not None:
        assert 0 <= forward.p_value <= 1
        assert backward.statistic == pytest.approx(-forward.statistic)
        assert backward.p_value == pytest.approx(forward.p_value)
    if forward.ci_low is not None:
        assert forward.ci_low <= forward.diff <= forward.ci_high
        assert forward.ci_low >= -1 and forward.ci_high <= 1


@settings(max_examples=200, deadline=None)
@given(arms(), arms())
def test_yates_never_increases_chi_square(control, treatment):
    plain = compare_proportions(*control, *treatment)
    assume(plain.chi2 is not None)
    corrected = compare_proportions(*control, *treatment, correction=True)
    assert corrected.chi2 <= plain.chi2 * (1 + 1e-12)


@pytest.mark.slow
def test_wald_interval_covers_the_true_difference():
    rng = np.random.default_rng(8)
    simulations, p_control, p_treatment, n = 2000, 0.30, 0.35, 1000
    covered = 0
    for _ in range(simulations):
        result = compare_proportions(rng.binomial(n, p_control), n, rng.binomial(n, p_treatment), n)
        covered += result.ci_low <= p_treatment - p_control <= result.ci_high
    interval = stats.binomtest(covered, simulations).proportion_ci(0.99, method="exact")
    assert interval.low <= 0.95 <= interval.high
