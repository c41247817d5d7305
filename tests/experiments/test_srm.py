"""check_srm: sample-ratio mismatch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.assignment import assign
from graphkit.experiments.srm import check_srm


def test_chi_square_by_hand():
    result = check_srm({"control": 10_400, "treatment": 9_600})
    assert result.chi2 == pytest.approx(2 * 400**2 / 10_000)
    assert result.p_value == pytest.approx(stats.chi2.sf(32, 1))
    assert result.df == 1 and result.flagged
    assert result.expected == {"control": 10_000.0, "treatment": 10_000.0}


def test_unequal_planned_weights():
    result = check_srm({"a": 700, "b": 300}, {"a": 7, "b": 3})
    assert result.chi2 == pytest.approx(0.0) and not result.flagged


def test_value_counts_are_accepted():
    variants = pd.Series(["a"] * 50 + ["b"] * 48 + ["c"] * 52)
    result = check_srm(variants.value_counts())
    assert result.df == 2 and not result.flagged


def test_a_planned_variant_nobody_reached_is_a_mismatch():
    result = check_srm({"control": 5000}, {"control": 1, "treatment": 1})
    assert result.observed == {"control": 5000, "treatment": 0}
    assert result.flagged


def test_closed_variant_without_units_is_ignored():
    result = check_srm({"a": 500, "b": 510}, {"a": 1, "b": 1, "old": 0})
    assert result.df == 1 and "old" not in result.observed


def test_small_expected_counts_are_noted():
    assert any("below 5" in note for note in check_srm({"a": 2, "b": 3}).notes)


@pytest.mark.parametrize(
    ("observed", "weights", "error"),
    [
        ({"a": 10, "x": 3}, {"a": 1, "b": 1}, DataError),
        ({"a": 10, "b": 3}, {"a": 1, "b": 0}, DataError),
        ({"a": -1, "b": 3}, None, DataError),
        ({"a": 1.5, "b": 3}, None, DataError),
        ({"a": 10, "b": 3}, {"a": 1, "b": -1}, ConfigError),
        ({"a": 10}, None, InsufficientData),
        ({"a": 0, "b": 0}, None, InsufficientData),
    ],
)
def test_invalid_input(observed, weights, error):
    with pytest.raises(error):
        check_srm(observed, weights)


def test_hashed_fair_split_passes_and_skewed_split_is_flagged():
    users = [f"user-{i}" for i in range(20_000)]
    fair = assign(users, "srm-check", salt="s1").value_counts()
    skewed = assign(users, "srm-check", salt="s1", weights=[52, 48]).value_counts()
    assert not check_srm(fair).flagged
    assert check_srm(skewed).flagged


@pytest.mark.slow
def test_srm_flags_52_48_on_20k_users_and_rarely_a_fair_split():
    rng = np.random.default_rng(99)
    simulations, users = 2000, 20_000
    fair = rng.binomial(users, 0.5, size=simulations)
    skewed = rng.binomial(users, 0.52, size=simulations)
    fair_flags = sum(check_srm({"a": k, "b": users - k}).flagged for k in fair)
    skewed_flags = sum(check_srm({"a": k, "b": users - k}).flagged for k in skewed)
    # A fair split is flagged with probability 0.001: allow the binomial 99.9% quantile.
    assert fair_flags <= stats.binom.ppf(0.999, simulations, 0.001)
    # 52/48 on 20k users: χ² is noncentral with λ = 20000·(0.02² + 0.02²)/0.5 = 32.
    power = stats.ncx2.sf(stats.chi2.isf(0.001, 1), 1, 32)  # ≈ 0.99
    assert skewed_flags >= stats.binom.ppf(0.001, simulations, power)
