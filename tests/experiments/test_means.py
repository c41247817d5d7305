"""compare_means: t-tests, Mann–Whitney, CIs, lift, Cohen's d, bootstrap, degenerate data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.bootstrap import bootstrap_mean_diff
from graphkit.experiments.means import compare_means

from .checks import assert_no_nan


@pytest.fixture
def sleep_arms(sleep):
    return (
        sleep.loc[sleep["group"] == 1, "extra"].to_numpy(),
        sleep.loc[sleep["group"] == 2, "extra"].to_numpy(),
    )


# R 4.2: t.test(extra ~ group, data = sleep) prints the CI of group 1 - group 2 as
# -3.3654832 0.2054832 (Welch) and -3.363874 0.203874 (var.equal = TRUE); ours is
# treatment (group 2) - control (group 1), so the interval is mirrored.
@pytest.mark.parametrize(
    ("test", "low", "high", "rel"),
    [("welch", -0.2054832, 3.3654832, 1e-6), ("student", -0.203874, 3.363874, 1e-5)],
)
def test_confidence_interval_matches_r(sleep_arms, test, low, high, rel):
    result = compare_means(*sleep_arms, test=test)
    assert result.ci_low == pytest.approx(low, rel=rel)
    assert result.ci_high == pytest.approx(high, rel=rel)


def test_mann_whitney_matches_r_wilcox_test(sleep_arms):
    # R: wilcox.test(extra ~ group, data = sleep) gives W = 25.5 (group 1's statistic)
    # and p-value = 0.06933 (normal approximation with continuity correction, ties).
    result = compare_means(*sleep_arms, test="mann-whitney")
    assert result.statistic == 10 * 10 - 25.5
    assert result.p_value == pytest.approx(0.06933, abs=5e-6)
    assert result.df is None
    assert any("Mann–Whitney" in note for note in result.notes)


@pytest.mark.parametrize(("size", "method"), [(20, "exact"), (60, "asymptotic")])
def test_mann_whitney_uses_r_rule_for_the_exact_distribution(size, method):
    rng = np.random.default_rng(size)
    control, treatment = rng.normal(size=size), rng.normal(0.5, size=size)
    expected = stats.mannwhitneyu(treatment, control, method=method)
    result = compare_means(control, treatment, test="mann-whitney")
    assert result.p_value == pytest.approx(expected.pvalue)


def test_arm_summaries_and_effect_sizes_by_hand(sleep_arms):
    control, treatment = sleep_arms
    result = compare_means(control, treatment)
    assert result.control.n == 10 and result.treatment.n == 10
    assert result.control.mean == pytest.approx(0.75)
    assert result.treatment.sd == pytest.approx(np.std(treatment, ddof=1))
    assert result.diff == pytest.approx(1.58)
    pooled_sd = math.sqrt((np.var(control, ddof=1) + np.var(treatment, ddof=1)) / 2)
    assert result.cohens_d == pytest.approx(1.58 / pooled_sd)
    # Delta method for m_t / m_c - 1 (Deng et al. 2018).
    var_c, var_t = np.var(control, ddof=1) / 10, np.var(treatment, ddof=1) / 10
    se = math.sqrt(var_t / 0.75**2 + 2.33**2 * var_c / 0.75**4)
    assert result.relative_lift == pytest.approx(2.33 / 0.75 - 1)
    assert result.relative_ci_high - result.relative_lift == pytest.approx(
        stats.norm.isf(0.025) * se
    )
    assert result.notes == ()


def test_alpha_sets_the_confidence_level(sleep_arms):
    narrow = compare_means(*sleep_arms, alpha=0.2)
    wide = compare_means(*sleep_arms, alpha=0.01)
    assert wide.ci_low < narrow.ci_low < narrow.diff < narrow.ci_high < wide.ci_high
    assert narrow.p_value == wide.p_value


def test_bootstrap_on_request_is_seeded(sleep_arms):
    first = compare_means(*sleep_arms, bootstrap_resamples=500, seed=7)
    again = compare_means(*sleep_arms, bootstrap_resamples=500, seed=7)
    assert first.bootstrap is not None
    assert first.bootstrap == again.bootstrap
    assert first.bootstrap.method == "percentile"
    assert first.bootstrap.ci_low < first.diff < first.bootstrap.ci_high
    assert compare_means(*sleep_arms).bootstrap is None


def test_bootstrap_batches_give_the_same_answer_as_one_batch(monkeypatch):
    import graphkit.experiments.bootstrap as bootstrap_module

    rng = np.random.default_rng(0)
    control, treatment = rng.normal(size=50), rng.normal(size=60)
    whole = bootstrap_mean_diff(control, treatment, n_resamples=300, seed=3)
    monkeypatch.setattr(bootstrap_module, "_VALUES_PER_BATCH", 1000)  # 9 resamples a batch
    batched = bootstrap_mean_diff(control, treatment, n_resamples=300, seed=3)
    # Same generator stream drawn in a different shape: equal in distribution, not values.
    assert batched.estimate == whole.estimate
    assert batched.ci_low == pytest.approx(whole.ci_low, abs=0.15)
    assert batched.ci_high == pytest.approx(whole.ci_high, abs=0.15)


# --- degenerate data ----------------------------------------------------------------


def test_empty_arm_raises_insufficient_data():
    with pytest.raises(InsufficientData, match="no observations"):
        compare_means([], [1.0, 2.0])
    with pytest.raises(InsufficientData):
        compare_means([1.0, 2.0], [])


def test_single_value_per_arm_gives_diff_and_notes():
    result = compare_means([1.0], [3.0])
    assert result.diff == 2.0
    assert result.control.sd is None
    assert (result.ci_low, result.ci_high, result.p_value, result.statistic) == (None,) * 4
    assert result.relative_lift is None and result.cohens_d is None
    assert any("two values per arm" in note for note in result.notes)
    assert_no_nan(result)


def test_student_accepts_one_value_in_an_arm():
    # As R t.test(var.equal = TRUE): the pooled variance comes from the other arm.
    result = compare_means([1.0], [2.0, 3.0, 4.0], test="student")
    expected = stats.ttest_ind([2.0, 3.0, 4.0], [1.0])
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)


@pytest.mark.parametrize("test", ["welch", "student"])
def test_zero_variance_in_both_arms_gives_no_test(test):
    result = compare_means([2.0, 2.0, 2.0], [3.0, 3.0], test=test)
    assert result.diff == 1.0
    assert result.p_value is None and result.ci_low is None and result.statistic is None
    assert result.cohens_d is None
    assert any("zero variance" in note for note in result.notes)
    assert_no_nan(result)


def test_zero_variance_in_one_arm_is_fine():
    result = compare_means([2.0, 2.0, 2.0], [3.0, 4.0, 5.0])
    assert result.p_value is not None and 0 < result.p_value < 1
    assert_no_nan(result)


def test_all_zero_metric_is_uninformative_not_an_error():
    result = compare_means(np.zeros(10), np.zeros(10), bootstrap_resamples=100, seed=1)
    assert result.diff == 0.0
    assert result.p_value is None and result.relative_lift is None
    assert len(result.notes) >= 3
    assert_no_nan(result)


def test_zero_control_mean_leaves_out_relative_lift_only():
    result = compare_means([-1.0, 1.0, 0.0], [1.0, 2.0, 3.0])
    assert result.relative_lift is None
    assert result.p_value is not None
    assert any("relative lift is undefined" in note for note in result.notes)


@pytest.mark.parametrize("bad", [[1.0, float("nan")], [1.0, float("inf")], ["a", "b"], [[1, 2]]])
def test_bad_values_raise_data_error(bad):
    with pytest.raises(DataError):
        compare_means(bad, [1.0, 2.0])


@pytest.mark.parametrize("options", [{"test": "z"}, {"alpha": 0.0}, {"alpha": 1.5}])
def test_bad_options_raise_config_error(options):
    with pytest.raises(ConfigError):
        compare_means([1.0, 2.0], [3.0, 4.0], **options)


# --- properties ---------------------------------------------------------------------

values = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False),
    min_size=2,
    max_size=30,
)
tests = st.sampled_from(["welch", "student", "mann-whitney"])


@settings(max_examples=200, deadline=None)
@given(values, values, tests)
def test_p_value_is_a_probability_and_ci_contains_the_estimate(control, treatment, test):
    result = compare_means(control, treatment, test=test)
    assert_no_nan(result)
    if result.p_value is not None:
        assert 0 <= result.p_value <= 1
    if result.ci_low is not None:
        assert result.ci_low <= result.diff <= result.ci_high
    if result.relative_lift is not None:
        assert result.relative_ci_low <= result.relative_lift <= result.relative_ci_high


@settings(max_examples=200, deadline=None)
@given(values, values, tests)
def test_swapping_arms_flips_the_sign(control, treatment, test):
    forward = compare_means(control, treatment, test=test)
    backward = compare_means(treatment, control, test=test)
    assert backward.diff == -forward.diff
    if forward.p_value is None:
        assert backward.p_value is None
    else:
        assert backward.p_value == pytest.approx(forward.p_value, rel=1e-9, abs=1e-300)
    if forward.statistic is not None and test == "mann-whitney":
        assert backward.statistic == len(control) * len(treatment) - forward.statistic
    elif forward.statistic is not None:
        assert backward.statistic == -forward.statistic
    if forward.cohens_d is not None:
        assert backward.cohens_d == pytest.approx(-forward.cohens_d)


@settings(max_examples=50, deadline=None)
@given(values, values, st.integers(0, 2**32 - 1))
def test_bootstrap_interval_is_ordered_and_reproducible(control, treatment, seed):
    first = bootstrap_mean_diff(control, treatment, n_resamples=50, seed=seed)
    assert first.ci_low <= first.ci_high
    assert first == bootstrap_mean_diff(control, treatment, n_resamples=50, seed=seed)


# --- simulations --------------------------------------------------------------------


def _coverage_interval(covered: int, trials: int) -> tuple[float, float]:
    interval = stats.binomtest(covered, trials).proportion_ci(0.99, method="exact")
    return interval.low, interval.high


@pytest.mark.slow
def test_welch_interval_covers_the_true_difference_95_percent_of_the_time():
    rng = np.random.default_rng(20240501)
    simulations, true_diff = 2000, 0.5
    covered = 0
    for _ in range(simulations):
        control = rng.normal(0.0, 1.0, size=30)
        treatment = rng.normal(true_diff, 2.0, size=45)  # unequal n and variance
        result = compare_means(control, treatment)
        covered += result.ci_low <= true_diff <= result.ci_high
    low, high = _coverage_interval(covered, simulations)
    assert low <= 0.95 <= high


@pytest.mark.slow
def test_relative_lift_interval_covers_the_true_lift():
    rng = np.random.default_rng(11)
    simulations, true_lift = 2000, 0.1
    covered = 0
    for _ in range(simulations):
        control = rng.exponential(10.0, size=400)
        treatment = rng.exponential(11.0, size=400)
        result = compare_means(control, treatment)
        covered += result.relative_ci_low <= true_lift <= result.relative_ci_high
    low, high = _coverage_interval(covered, simulations)
    assert low <= 0.95 <= high


@pytest.mark.slow
def test_bootstrap_interval_covers_the_true_difference():
    rng = np.random.default_rng(5)
    simulations, true_diff = 400, 1.0
    covered = 0
    for seed in range(simulations):
        control = rng.normal(0.0, 2.0, size=60)
        treatment = rng.normal(true_diff, 2.0, size=60)
        interval = bootstrap_mean_diff(control, treatment, n_resamples=1000, seed=seed)
        covered += interval.ci_low <= true_diff <= interval.ci_high
    low, high = _coverage_interval(covered, simulations)
    assert low <= 0.95 <= high
