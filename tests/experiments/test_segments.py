"""Effects by graph segment: labels, per-segment estimates, BH, Cochran's Q."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.meta_analysis import combine_effects

from graphkit.errors import ConfigError, DataError
from graphkit.experiments.corrections import adjust_p_values
from graphkit.experiments.metrics import Metric
from graphkit.experiments.segments import analyze_segments, cochran_q, segment_labels


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-100, 100, allow_nan=False, allow_subnormal=False),
            st.floats(0.01, 50, allow_nan=False),
        ),
        min_size=2,
        max_size=12,
    )
)
def test_cochran_q_matches_statsmodels_meta_analysis(rows):
    """An independent implementation: statsmodels' fixed-effect meta-analysis."""
    estimates = np.array([r[0] for r in rows])
    stderrs = np.array([r[1] for r in rows])
    ours = cochran_q(estimates, stderrs)
    # statsmodels' I² divides by Q (0 or tiny when the estimates agree): not ours to warn
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        theirs = combine_effects(estimates, stderrs**2)
    assert ours.df == len(rows) - 1
    # statsmodels sums w·y² − (Σwy)²/Σw, which loses digits when estimates nearly agree
    # and weights are large; ours sums squared deviations. Both agree to 1e-6.
    scale = float(np.sum(estimates**2 / stderrs**2))  # the size of the rounding noise
    assert ours.q == pytest.approx(theirs.q, rel=1e-6, abs=1e-12 * max(1.0, scale))
    if theirs.q > 1e-9 * max(1.0, scale):
        # statsmodels reports 1 - df/Q unclipped; Higgins & Thompson truncate at 0
        assert ours.i2 == pytest.approx(max(0.0, theirs.i2), abs=1e-6)
    assert 0 <= ours.p_value <= 1


def test_cochran_q_leaves_out_segments_without_a_standard_error():
    result = cochran_q(np.array([1.0, 2.0, np.nan]), np.array([0.5, 0.5, np.nan]))
    assert result.segments_used == 2 and result.df == 1
    assert "1 segment(s) without a standard error left out" in result.notes
    alone = cochran_q(np.array([1.0]), np.array([0.5]))
    assert alone.q is None and alone.p_value is None


def test_degree_deciles_keep_ties_together():
    features = pd.DataFrame(
        {"user_id": [f"u{i}" for i in range(100)], "degree": np.r_[[1] * 50, range(50)]}
    )
    labels, notes = segment_labels(features, "degree")
    by_degree = pd.DataFrame({"degree": features["degree"], "segment": labels})
    # every degree lands in exactly one segment, and segments are ordered by degree
    assert by_degree.groupby("degree")["segment"].nunique().max() == 1
    assert labels.cat.categories[0].startswith("degree 0")
    assert labels.cat.ordered
    assert any("quantile groups instead of 10" in note for note in notes)


def test_influencer_flags_from_any_file_format():
    features = pd.DataFrame({"user_id": list("abcd"), "influencer": ["True", "false", 1, 0]})
    labels, _ = segment_labels(features, "influencer")
    assert labels.tolist() == ["influencer", "other", "influencer", "other"]
    with pytest.raises(DataError, match="neither true nor false"):
        segment_labels(features.assign(influencer=["maybe"] * 4), "influencer")


def test_small_communities_are_pooled():
    features = pd.DataFrame({"user_id": range(70), "community": [0] * 40 + [1] * 25 + [2] * 5})
    labels, notes = segment_labels(features, "community", min_size=30)
    assert list(labels.cat.categories) == ["community 0", "other"]
    assert (labels == "other").sum() == 30
    assert notes == ("2 communities with fewer than 30 users pooled into 'other'",)
    with pytest.raises(ConfigError, match="unknown segmentation"):
        segment_labels(features, "country")


def planted(effect_low: float, effect_high: float, n: int = 2000, seed: int = 1) -> pd.DataFrame:
    """Users with degree 1..100; the effect is effect_low below degree 50, else effect_high."""
    rng = np.random.default_rng(seed)
    degree = rng.integers(1, 101, n)
    treated = rng.random(n) < 0.5
    pre = rng.normal(10, 3, n)
    effect = np.where(degree > 50, effect_high, effect_low)
    return pd.DataFrame(
        {
            "variant": np.where(treated, "treatment", "control"),
            "y": pre + rng.normal(0, 1, n) + treated * effect,
            "y_pre": pre,
            "degree": degree,
            "influencer": degree > 95,
            "community": degree % 3,
        }
    )


def test_a_planted_heterogeneous_effect_is_found():
    result = analyze_segments(planted(0.0, 1.0), Metric("y", covariate="y_pre"), "degree")
    assert result.heterogeneity.p_value < 1e-6
    assert result.heterogeneity.i2 > 0.5
    low, high = result.segments[0], result.segments[-1]
    assert low.diff_ci[0] < 0 < low.diff_ci[1]
    assert high.diff_ci[0] < 1 < high.diff_ci[1]
    assert result.covariate == "y_pre" and result.theta == pytest.approx(1, abs=0.1)
    # the overall estimate is the average effect
    assert result.overall.diff == pytest.approx(0.5, abs=0.15)


def test_a_homogeneous_effect_is_not_called_heterogeneous():
    result = analyze_segments(planted(0.7, 0.7), Metric("y", covariate="y_pre"), "community")
    assert result.heterogeneity.p_value > 0.01
    assert all(s.diff_ci[0] < 0.7 < s.diff_ci[1] for s in result.segments)


def test_segment_p_values_are_bh_adjusted_and_json_is_strict():
    result = analyze_segments(planted(0.0, 0.3), Metric("y"), "degree")
    raw = [s.p_value for s in result.segments]
    assert [s.p_adjusted for s in result.segments] == list(
        adjust_p_values(raw, method="bh").adjusted
    )
    assert result.correction == "Benjamini–Hochberg"
    assert result.covariate is None  # no covariate given: plain Welch per segment
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert set(data["heterogeneity"]) >= {"test", "q", "df", "p_value", "i2"}
    assert data["heterogeneity"]["test"] == "Cochran's Q"


def test_a_segment_with_one_arm_only():
    frame = planted(0.5, 0.5, n=400)
    frame.loc[frame["influencer"], "variant"] = "control"
    result = analyze_segments(frame, Metric("y"), "influencer")
    influencers = result.segments[0]
    assert influencers.n_treatment == 0 and influencers.diff is None
    assert influencers.notes == ("no treatment user in this segment",)
    assert result.heterogeneity.q is None  # one usable segment left
    json.dumps(result.to_dict(), allow_nan=False)


def test_unknown_treatment_lists_variants():
    with pytest.raises(ConfigError, match="variants found: control, treatment"):
        analyze_segments(planted(0, 0, n=50), Metric("y"), "degree", treatment="b")
