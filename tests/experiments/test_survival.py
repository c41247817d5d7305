"""compare_survival: Kaplan–Meier curves, medians, log-rank."""

from __future__ import annotations

import numpy as np
import pytest

from graphkit.errors import DataError, InsufficientData
from graphkit.experiments.survival import CURVE_COLUMNS, compare_survival

from .checks import assert_no_nan


def test_kaplan_meier_by_hand():
    # S(1) = 4/5, S(2) = 0.8·(1 - 1/4), S(3) = 0.6·(1 - 1/2); the unit at 4 is censored.
    result = compare_survival([1, 2, 2, 3, 4], [1, 1, 0, 1, 0], ["g"] * 5)
    curve = result.curves.set_index("time")["survival"]
    assert curve.to_dict() == pytest.approx({0.0: 1.0, 1.0: 0.8, 2.0: 0.6, 3.0: 0.3, 4.0: 0.3})
    assert result.median_survival == {"g": 3.0}
    assert result.n == {"g": 5} and result.events == {"g": 3}
    assert result.test is None and result.p_value is None
    assert any("only one group" in note for note in result.notes)


def test_curves_are_plot_ready(waltons):
    result = compare_survival(waltons["T"], waltons["E"], waltons["group"])
    assert list(result.curves.columns) == CURVE_COLUMNS
    assert result.groups == ("control", "miR-137")
    for group, curve in result.curves.groupby("group"):
        assert curve["time"].iloc[0] == 0 and curve["survival"].iloc[0] == 1
        assert curve["at_risk"].iloc[0] == result.n[group]
        assert curve["time"].is_monotonic_increasing
        assert curve["survival"].is_monotonic_decreasing
        assert (curve["ci_low"] <= curve["survival"] + 1e-12).all()
        assert (curve["survival"] <= curve["ci_high"] + 1e-12).all()
    assert result.test == "log-rank"
    assert result.notes == ()


def test_median_on_a_flat_half_is_the_midpoint_as_in_r():
    # S = 0.75, 0.5, 0.25 at t = 1, 2, 3: survfit prints median 2.5 (lifelines says 2).
    result = compare_survival([1, 2, 3, 4], [1, 1, 1, 0], ["g"] * 4)
    assert result.median_survival == {"g": 2.5}
    # Flat at 0.5 from t = 2 to the last (censored) time 4: R's findq takes (2 + 4) / 2.
    assert compare_survival([1, 2, 3, 4], [1, 1, 0, 0], ["g"] * 4).median_survival == {"g": 3.0}
    # Dropping straight past 0.5: the drop time itself.
    assert compare_survival([1, 2, 3], [1, 1, 1], ["g"] * 3).median_survival == {"g": 2.0}


def test_unreached_median_is_none_with_a_note():
    result = compare_survival([1, 2, 3, 4, 1, 2, 3, 4], [1, 1, 1, 0, 1, 0, 0, 0], [0] * 4 + [1] * 4)
    assert result.median_survival == {0: 2.5, 1: None}
    assert any("not reached in group 1" in note for note in result.notes)
    assert result.p_value is not None and 0 <= result.p_value <= 1
    assert_no_nan(result.median_survival)


def test_events_default_to_observed_and_three_groups_get_two_df():
    rng = np.random.default_rng(4)
    durations = np.concatenate([rng.exponential(scale, 40) for scale in (1.0, 2.0, 4.0)])
    groups = np.repeat(["a", "b", "c"], 40)
    result = compare_survival(durations, None, groups)
    assert result.events == {"a": 40, "b": 40, "c": 40}
    assert result.df == 2 and result.p_value < 0.001


def test_no_events_means_no_test():
    result = compare_survival([1, 2, 3, 4], [0, 0, 0, 0], ["a", "a", "b", "b"])
    assert result.test is None and result.chi2 is None
    assert any("no events" in note for note in result.notes)
    assert result.median_survival == {"a": None, "b": None}


@pytest.mark.parametrize(
    ("durations", "events", "groups"),
    [
        ([1, -2], [1, 1], ["a", "b"]),
        ([1, 2], [1, 2], ["a", "b"]),
        ([1, 2], [1], ["a", "b"]),
        ([1, 2], [1, 1], ["a"]),
        ([1, 2], [1, 1], ["a", None]),
        ([1, np.nan], [1, 1], ["a", "b"]),
    ],
)
def test_invalid_input_raises_data_error(durations, events, groups):
    with pytest.raises(DataError):
        compare_survival(durations, events, groups)


def test_no_units_raises_insufficient_data():
    with pytest.raises(InsufficientData):
        compare_survival([], [], [])
