"""adjust_p_values: Holm and Benjamini–Hochberg, checked against values worked by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from graphkit.errors import ConfigError, DataError
from graphkit.experiments.corrections import adjust_p_values

# Worked by hand (= R p.adjust). Holm: sort, multiply the i-th smallest by m - i + 1,
# running maximum. BH: multiply the i-th smallest by m / i, running minimum from the top.
UNSORTED = [0.01, 0.04, 0.03, 0.005]
HOLM = [0.03, 0.06, 0.06, 0.02]  # 0.005·4, 0.01·3, 0.03·2, max(0.04·1, 0.06)
BH = [0.02, 0.04, 0.04, 0.02]  # 0.005·4/1, 0.01·4/2, 0.03·4/3, 0.04·4/4
STEP_UP = [0.02, 0.03, 0.035, 0.5]
BH_STEP_UP = [0.035 * 4 / 3] * 3 + [0.5]  # 0.08 and 0.06 fall to 0.0467 by the minimum


@pytest.mark.parametrize(
    ("p_values", "method", "expected"),
    [(UNSORTED, "holm", HOLM), (UNSORTED, "bh", BH), (STEP_UP, "bh", BH_STEP_UP)],
)
def test_hand_values_in_input_order(p_values, method, expected):
    result = adjust_p_values(p_values, method=method)
    assert result.adjusted == pytest.approx(expected)
    assert result.p_values == tuple(p_values)


@pytest.mark.parametrize(("method", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_agrees_with_statsmodels(method, theirs):
    p_values = [0.001, 0.2, 0.04, 0.04, 0.5, 0.012, 0.03]
    expected = multipletests(p_values, method=theirs)[1]
    assert adjust_p_values(p_values, method=method).adjusted == pytest.approx(expected)


def test_holm_is_the_default_and_decides_rejections():
    result = adjust_p_values(UNSORTED, alpha=0.05)
    assert result.method == "Holm"
    assert result.rejected == (True, False, False, True)


def test_adjusted_values_are_capped_at_one():
    assert adjust_p_values([0.5, 0.6]).adjusted == (1.0, 1.0)


def test_empty_input():
    result = adjust_p_values([])
    assert result.adjusted == () and result.rejected == ()


@pytest.mark.parametrize("bad", [[0.1, 1.2], [-0.1], [math.nan]])
def test_invalid_p_values_raise_data_error(bad):
    with pytest.raises(DataError):
        adjust_p_values(bad)


def test_unknown_method_raises_config_error():
    with pytest.raises(ConfigError):
        adjust_p_values([0.1], method="bonferroni")  # type: ignore[arg-type]


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_adjustment_properties(p_values):
    holm = adjust_p_values(p_values, method="holm").adjusted
    bh = adjust_p_values(p_values, method="bh").adjusted
    for raw, h, b in zip(p_values, holm, bh, strict=True):
        assert raw <= b * (1 + 1e-12) and b <= h * (1 + 1e-12) and h <= 1
    order = sorted(range(len(p_values)), key=p_values.__getitem__)
    for method_values in (holm, bh):
        ranked = [method_values[i] for i in order]
        assert ranked == sorted(ranked)
