"""power_t_test and power_prop_test against R's power.t.test / power.prop.test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from graphkit.errors import ConfigError, InsufficientData
from graphkit.experiments.power import power_prop_test, power_t_test


# Examples printed on R's help pages (?power.t.test, ?power.prop.test), strict = FALSE.
@pytest.mark.parametrize(
    ("arguments", "field", "expected"),
    [
        ({"delta": 1, "power": 0.9}, "n_per_group", 22.0211),
        ({"delta": 1, "power": 0.9, "alternative": "one-sided"}, "n_per_group", 17.8471),
    ],
)
def test_t_test_help_page_examples(arguments, field, expected):
    result = power_t_test(**arguments, strict=False)
    assert getattr(result, field) == pytest.approx(expected, abs=5e-5)


# R prints n = 76.7, power = 0.740 and p2 = 0.8: compare to half a unit of the last digit.
@pytest.mark.parametrize(
    ("arguments", "field", "expected", "tolerance"),
    [
        ({"p2": 0.75, "power": 0.9}, "n_per_group", 76.7, 0.05),
        ({"p2": 0.75, "n": 50}, "power", 0.740, 0.0005),
        ({"n": 50, "power": 0.9}, "p2", 0.8, 0.05),
    ],
)
def test_prop_test_help_page_examples(arguments, field, expected, tolerance):
    result = power_prop_test(p1=0.5, **arguments, strict=False)
    assert getattr(result, field) == pytest.approx(expected, abs=tolerance)


def test_strict_counts_the_other_tail():
    strict = power_t_test(delta=0.5, power=0.8)
    loose = power_t_test(delta=0.5, power=0.8, strict=False)
    assert strict.n_per_group < loose.n_per_group
    assert strict.n_per_group == pytest.approx(loose.n_per_group, rel=1e-5)
    assert "strict=True" in strict.formula and "power.t.test" in strict.formula
    assert strict.n_per_group_ceil == 64


def test_solving_for_delta_round_trips():
    result = power_t_test(n=64, power=0.8, sd=3.0)
    assert power_t_test(n=64, delta=result.mde, sd=3.0).power == pytest.approx(0.8)
    assert result.mde == pytest.approx(3.0 * power_t_test(n=64, power=0.8).mde)


def test_sign_of_a_two_sided_delta_does_not_matter():
    assert power_t_test(n=30, delta=-0.7).power == power_t_test(n=30, delta=0.7).power


def test_huge_effect_needs_the_minimum_sample():
    result = power_t_test(delta=50, power=0.8)
    assert result.n_per_group == 2
    assert any("minimum" in note for note in result.notes)


def test_unreachable_power_raises_insufficient_data():
    with pytest.raises(InsufficientData):
        power_t_test(delta=-1, power=0.8, alternative="one-sided")
    with pytest.raises(InsufficientData):
        power_prop_test(p1=0.5, n=3, power=0.99)


@pytest.mark.parametrize(
    "arguments",
    [
        {"delta": 0.5},  # two unknowns
        {"n": 10, "delta": 0.5, "power": 0.8},  # nothing to solve
        {"delta": 0.5, "power": 0.01},  # power below alpha
        {"n": 1, "delta": 0.5},
        {"n": 10, "delta": 0.5, "sd": 0},
        {"delta": 0, "power": 0.8},
        {"n": 10, "delta": 0.5, "alternative": "greater"},
    ],
)
def test_t_test_configuration_errors(arguments):
    with pytest.raises(ConfigError):
        power_t_test(**arguments)


@pytest.mark.parametrize(
    "arguments",
    [{"p1": 0.1}, {"p1": 0.0, "p2": 0.1, "power": 0.8}, {"p1": 0.1, "p2": 0.1, "power": 0.8}],
)
def test_prop_test_configuration_errors(arguments):
    with pytest.raises(ConfigError):
        power_prop_test(**arguments)


def test_prop_test_states_its_formula_and_the_cohens_h_alternative(reference):
    result = power_prop_test(p1=0.10, p2=0.12, power=0.8, strict=False)
    assert "power.prop.test" in result.formula
    assert any("Cohen's h" in note for note in result.notes)
    # The alternative the note names really gives the other number of the oracle.
    cohen = NormalIndPower().solve_power(
        effect_size=proportion_effectsize(0.12, 0.10), alpha=0.05, power=0.8
    )
    assert cohen == pytest.approx(3834.595752, rel=1e-6)
    assert result.mde == pytest.approx(0.02)
    assert (result.p1, result.p2) == (0.10, 0.12)


def test_solving_for_p2_round_trips():
    result = power_prop_test(p1=0.10, n=3841, power=0.8)
    assert result.p2 == pytest.approx(0.12, abs=1e-4)
    assert power_prop_test(p1=0.10, p2=result.p2, n=3841).power == pytest.approx(0.8)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.05, 2.0),
    st.floats(0.5, 0.99),
    st.sampled_from(["two-sided", "one-sided"]),
    st.booleans(),
)
def test_solved_n_reaches_the_target_power(delta, power, alternative, strict):
    result = power_t_test(delta=delta, power=power, alternative=alternative, strict=strict)
    achieved = power_t_test(
        n=result.n_per_group, delta=delta, alternative=alternative, strict=strict
    ).power
    assert achieved == pytest.approx(power, abs=1e-8) or result.n_per_group == 2


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 0.9), st.floats(0.005, 0.09), st.floats(0.5, 0.99))
def test_solved_proportion_n_reaches_the_target_power(p1, lift, power):
    result = power_prop_test(p1=p1, p2=p1 + lift, power=power)
    achieved = power_prop_test(p1=p1, p2=p1 + lift, n=result.n_per_group).power
    assert achieved == pytest.approx(power, abs=1e-8) or result.n_per_group == 2
