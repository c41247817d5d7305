"""Heterogeneity that can find something: the 1-df trend test on a planted gradient
across degree deciles, its false alarms, and segments labelled underpowered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from graphkit.experiments.metrics import Metric
from graphkit.experiments.segments import analyze_segments
from graphkit.reports.experiment_report import heterogeneity_sentence

DECILES, PER_ARM = 10, 100  # users per arm and decile
# The audit's setting: a 0 → 2× gradient of the effect across degree deciles, where
# Cochran's Q (9 df) flags about 27% of runs. Q's noncentrality is
# λ = (δ/se)² · Σ_j (2j/9 − 1)² = (δ/se)² · 330/81; λ = 4.8 gives Q power 27% (and a
# 1-df test that captures all of it 59%), so δ = se · sqrt(4.8 · 81/330).
SE = np.sqrt(2 / PER_ARM)
DELTA = SE * np.sqrt(4.8 * 81 / 330)


def one_run(rng: np.random.Generator, gradient: bool) -> pd.DataFrame:
    n = DECILES * PER_ARM * 2
    decile = np.repeat(np.arange(DECILES), 2 * PER_ARM)
    treated = np.tile(np.repeat([False, True], PER_ARM), DECILES)
    effect = DELTA * (2 * decile / (DECILES - 1) if gradient else np.ones(n))
    return pd.DataFrame(
        {
            "variant": np.where(treated, "treatment", "control"),
            "y": rng.normal(0, 1, n) + effect * treated,
            "degree": decile * 1000 + rng.permutation(n) % 1000,  # ten clean deciles
        }
    )


def test_the_planted_setting_matches_the_audit():
    chi9, chi1 = stats.chi2.isf(0.05, 9), stats.chi2.isf(0.05, 1)
    assert stats.ncx2.sf(chi9, 9, 4.8) == pytest.approx(0.27, abs=0.01)
    assert stats.ncx2.sf(chi1, 1, 4.8) == pytest.approx(0.59, abs=0.01)


@pytest.mark.slow
def test_trend_test_finds_a_gradient_that_q_mostly_misses(capsys):
    rng = np.random.default_rng(2026)
    runs = 400
    flags = {"q_gradient": 0, "trend_gradient": 0, "q_null": 0, "trend_null": 0}
    for _ in range(runs):
        for gradient, suffix in ((True, "gradient"), (False, "null")):
            result = analyze_segments(one_run(rng, gradient), Metric("y"), "degree")
            assert len(result.segments) == DECILES
            flags[f"q_{suffix}"] += result.heterogeneity.p_value < 0.05
            flags[f"trend_{suffix}"] += result.trend.p_value < 0.05
    rates = {key: value / runs for key, value in flags.items()}
    with capsys.disabled():
        print(
            f"\n0→2× gradient over degree deciles, {runs} runs: Cochran's Q flags "
            f"{rates['q_gradient']:.1%}, the trend test {rates['trend_gradient']:.1%}; "
            f"constant effect: Q {rates['q_null']:.1%}, trend {rates['trend_null']:.1%}"
        )
    assert rates["trend_gradient"] >= 0.55
    assert rates["trend_gradient"] > rates["q_gradient"] + 0.15
    assert rates["trend_null"] <= 0.06


def test_small_segments_are_labelled_underpowered():
    rng = np.random.default_rng(1)
    n = 2000
    treated = rng.random(n) < 0.5
    influencer = np.zeros(n, dtype=bool)
    influencer[:22] = True  # ~11 influencers per arm, as in the audit
    frame = pd.DataFrame(
        {
            "variant": np.where(treated, "treatment", "control"),
            "y": rng.normal(10, 3, n) + 0.4 * treated,
            "influencer": influencer,
        }
    )
    result = analyze_segments(frame, Metric("y"), "influencer")
    small = result.segments[0]
    assert small.segment == "influencer" and small.underpowered
    # power to detect the overall effect in the segment, by hand: Φ(|d|/se − z) + Φ(−|d|/se − z)
    shift = abs(result.overall.diff) / small.stderr
    z = stats.norm.isf(0.025)
    assert small.power == pytest.approx(stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift))
    assert result.trend is None  # influencer status is not an ordered position
    sentence = heterogeneity_sentence("influencer", [result], 0.05)
    if result.heterogeneity.p_value >= 0.05:
        assert "underpowered, so no conclusion" in sentence
        assert "no evidence" not in sentence
