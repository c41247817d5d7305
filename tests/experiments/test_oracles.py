"""Every applicable number in tests/oracles/reference.json, reproduced (R 4.2.2).

Sign convention: R's ``t.test(extra ~ group, sleep)`` reports group 1 - group 2. We treat
group 1 as control and group 2 as treatment and report treatment - control, so our t is
R's t with the sign flipped; df and p-values are identical.
"""

from __future__ import annotations

import pytest

from graphkit.experiments.means import compare_means
from graphkit.experiments.power import power_prop_test, power_t_test
from graphkit.experiments.proportions import chi_square_independence, compare_proportions
from graphkit.experiments.survival import compare_survival

RELATIVE = 1e-6


@pytest.fixture
def sleep_arms(sleep):
    control = sleep.loc[sleep["group"] == 1, "extra"]
    treatment = sleep.loc[sleep["group"] == 2, "extra"]
    return control, treatment


def test_welch_t_test_matches_r(reference, sleep_arms):
    expected = reference["welch_t_test"]
    result = compare_means(*sleep_arms, test="welch")
    assert result.statistic == pytest.approx(-expected["t"], rel=RELATIVE)
    assert result.df == pytest.approx(expected["df"], rel=RELATIVE)
    assert result.p_value == pytest.approx(expected["p_value"], rel=RELATIVE)


def test_student_t_test_matches_r(reference, sleep_arms):
    expected = reference["student_t_test"]
    result = compare_means(*sleep_arms, test="student")
    assert result.statistic == pytest.approx(-expected["t"], rel=RELATIVE)
    assert result.df == 18
    assert result.p_value == pytest.approx(expected["p_value"], rel=RELATIVE)


@pytest.mark.parametrize(("correction", "key"), [(True, "yates"), (False, "no_correction")])
def test_two_proportions_match_r_prop_test(reference, correction, key):
    oracle = reference["two_proportions"]
    (control_successes, treatment_successes) = oracle["successes"]
    (control_trials, treatment_trials) = oracle["trials"]
    result = compare_proportions(
        control_successes,
        control_trials,
        treatment_successes,
        treatment_trials,
        correction=correction,
    )
    assert result.chi2 == pytest.approx(oracle[key]["chi2"], rel=RELATIVE)
    assert result.p_value == pytest.approx(oracle[key]["p_value"], rel=RELATIVE)


def test_chi_square_2x3_matches_r_chisq_test(reference):
    oracle = reference["chi_square_2x3"]
    result = chi_square_independence(oracle["table"])
    assert result.chi2 == pytest.approx(oracle["chi2"], rel=RELATIVE)
    assert result.df == oracle["df"]
    assert result.p_value == pytest.approx(oracle["p_value"], rel=RELATIVE)


def test_power_t_test_sample_size_matches_r(reference):
    # The oracle is R's default power.t.test(delta = 0.5, power = 0.8), i.e. strict = FALSE.
    result = power_t_test(delta=0.5, power=0.8, strict=False)
    expected = reference["power_t_test"]["n_for_d0.5_power0.8"]
    assert result.n_per_group == pytest.approx(expected, rel=RELATIVE)


def test_power_t_test_power_matches_r_strict(reference):
    result = power_t_test(n=20, delta=1, strict=True)
    expected = reference["power_t_test"]["power_n20_d1_strict"]
    assert result.power == pytest.approx(expected, rel=RELATIVE)


def test_power_prop_test_sample_size_matches_r(reference):
    oracle = reference["power_prop_test"]
    # R's default power.prop.test is strict = FALSE, as in the oracle.
    result = power_prop_test(p1=oracle["p1"], p2=oracle["p2"], power=oracle["power"], strict=False)
    assert result.n_per_group == pytest.approx(oracle["n_per_group"], rel=RELATIVE)


def test_logrank_and_medians_match_r_survdiff(reference, waltons):
    oracle = reference["logrank"]
    result = compare_survival(
        waltons[oracle["duration"]], waltons[oracle["event"]], waltons[oracle["group"]]
    )
    assert result.chi2 == pytest.approx(oracle["chi2"], rel=RELATIVE)
    assert result.p_value == pytest.approx(oracle["p_value"], rel=RELATIVE)
    assert result.df == 1
    assert result.median_survival == oracle["median_survival"]
