"""Simulations: sequential error control under daily peeking, Bayesian direction, ratio
metrics (delta method) against a bootstrap and a hand-computed example."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from graphkit.experiments.analysis import analyze_experiment
from graphkit.experiments.inference import Estimate, Prior, bayesian, sequential
from graphkit.experiments.metrics import Metric
from graphkit.experiments.ratio import compare_ratios, ratio_arm
from graphkit.experiments.settings import AnalysisSettings

# ------------------------------------------------------------------ sequential


def peeking_rates(runs: int, days: int, per_day: int, alpha: float, seed: int):
    """A/A experiments with a look every day: how often does each method ever reject?"""
    rng = np.random.default_rng(seed)
    naive = always_valid = 0
    for _ in range(runs):
        # skewed metric (like time spent): lognormal, both arms from the same distribution
        control = rng.lognormal(0, 1, (days, per_day))
        treatment = rng.lognormal(0, 1, (days, per_day))
        naive_hit = valid_hit = False
        for day in range(1, days + 1):
            c, t = control[:day].ravel(), treatment[:day].ravel()
            se = math.sqrt(c.var(ddof=1) / c.size + t.var(ddof=1) / t.size)
            estimate = Estimate(t.mean() - c.mean(), se, "z")
            naive_hit |= estimate.p_value() < alpha
            valid_hit |= sequential(estimate, c.size + t.size, alpha).p_value < alpha
        naive += naive_hit
        always_valid += valid_hit
    return naive / runs, always_valid / runs


@pytest.mark.slow
def test_sequential_keeps_the_error_rate_under_daily_peeking(capsys):
    alpha, runs = 0.05, 600
    naive, valid = peeking_rates(runs, days=30, per_day=100, alpha=alpha, seed=1)
    with capsys.disabled():
        print(
            f"\nA/A, a look every day for 30 days, {runs} runs: chance of ever rejecting at "
            f"alpha {alpha}: naive fixed-horizon {naive:.1%}, always-valid {valid:.1%}"
        )
    # binomial noise of 600 runs: sd ≈ 0.9 points at 5%
    assert valid <= alpha
    assert naive >= 2 * alpha  # peeking inflates the error rate (≈ 25–30% for 30 looks)


def test_sequential_interval_is_wider_and_matches_the_p_value():
    estimate = Estimate(0.3, 0.1, "z")
    look = sequential(estimate, n=2000, alpha=0.05)
    fixed = estimate.ci(0.05)
    assert look.interval[0] < fixed[0] and look.interval[1] > fixed[1]
    # the p-value is the alpha at which the sequence just touches 0
    touching = sequential(estimate, n=2000, alpha=look.p_value)
    # rho depends on alpha in GrowthBook's tuning; at fixed rho the boundary is exact
    assert (look.interval[0] > 0) == (look.p_value < 0.05)
    assert touching.interval[0] == pytest.approx(0.0, abs=0.05)


def test_sequential_half_width_by_hand():
    # N = 1000, se = 0.05 (σ² = N·se² = 2.5), α = 0.05, N* = 5000:
    # ρ² = (−2 ln α + ln(−2 ln α + 1)) / N*; half = σ·sqrt(2(Nρ²+1)/(N²ρ²)·ln(sqrt(Nρ²+1)/α))
    rho2 = (-2 * math.log(0.05) + math.log(-2 * math.log(0.05) + 1)) / 5000
    n, sigma2 = 1000, 2.5
    half = math.sqrt(
        sigma2 * 2 * (n * rho2 + 1) / (n * n * rho2) * math.log(math.sqrt(n * rho2 + 1) / 0.05)
    )
    look = sequential(Estimate(0.0, 0.05, "z"), n=1000, alpha=0.05)
    assert look.rho2 == pytest.approx(rho2)
    assert look.interval[1] == pytest.approx(half)
    assert half == pytest.approx(0.1682, abs=1e-4)  # worked: 2.5·0.0032601·3.47103


# ------------------------------------------------------------------ Bayesian


def test_bayesian_by_hand_with_flat_and_normal_prior():
    # relative effect 0.05 with se 0.025 (estimate 0.5, se 0.25 on a baseline of 10)
    flat = bayesian(Estimate(0.5, 0.25, "z", baseline=10.0), alpha=0.05)
    assert flat.chance_to_win == pytest.approx(stats.norm.cdf(2.0))
    assert flat.interval == pytest.approx((0.05 - 1.959964 * 0.025, 0.05 + 1.959964 * 0.025))
    loss = 0.025 * stats.norm.pdf(2.0) - 0.05 * stats.norm.cdf(-2.0)
    assert flat.expected_loss == pytest.approx(loss)
    # prior N(0, 0.05²): posterior precision 1/0.025² + 1/0.05² = 2000, mean 0.05·1600/2000
    shrunk = bayesian(Estimate(0.5, 0.25, "z", baseline=10.0), 0.05, Prior(0.0, 0.05))
    assert shrunk.mean == pytest.approx(0.04)
    assert shrunk.sd == pytest.approx(math.sqrt(1 / 2000))
    assert shrunk.chance_to_win < flat.chance_to_win


@pytest.mark.slow
def test_bayesian_agrees_with_the_frequentist_direction():
    rng = np.random.default_rng(4)
    agree = significant = 0
    for run in range(200):
        effect = rng.choice([-0.3, -0.1, 0.0, 0.1, 0.3])
        frame = pd.DataFrame(
            {
                "variant": np.repeat(["control", "treatment"], 300),
                "y": np.r_[rng.normal(10, 2, 300), rng.normal(10 + effect, 2, 300)],
            }
        )
        prior = Prior(0.0, 0.1) if run % 2 else Prior()
        verdict = (
            analyze_experiment(frame, [Metric("y")], settings=AnalysisSettings(prior=prior))
            .comparisons[0]
            .verdict
        )
        assert (verdict.bayes.chance_to_win > 0.5) == (verdict.estimate > 0)
        if verdict.significant:
            significant += 1
            # significant at 5% two-sided ⇒ at least 97.5% chance the effect has its sign
            # (flat prior exactly; a mild prior shrinks it a little)
            chance = verdict.bayes.chance_to_win
            agree += (chance > 0.95) if verdict.estimate > 0 else (chance < 0.05)
    assert significant >= 50
    assert agree == significant


# ------------------------------------------------------------------ ratio metrics


def test_ratio_worked_example_by_hand():
    # control (clicks, views): (1,2), (2,4), (3,4) → R = 6/10 = 0.6
    # s²_x = 1, s²_y = 4/3, s_xy = 1, ȳ = 10/3:
    # Var = (1 − 2·0.6·1 + 0.36·4/3) / (3 · 100/9) = 0.28 / 33.33 = 0.0084
    control = ratio_arm([1, 2, 3], [2, 4, 4], name="control")
    assert control.ratio == pytest.approx(0.6)
    assert control.variance == pytest.approx(0.0084)
    # treatment (2,2), (3,4), (4,4) → R = 0.9, Var = (1 − 1.8 + 0.81·4/3)/33.33 = 0.0084
    treatment = ratio_arm([2, 3, 4], [2, 4, 4], name="treatment")
    estimate = compare_ratios(control, treatment)
    assert estimate.value == pytest.approx(0.3)
    assert estimate.stderr == pytest.approx(math.sqrt(0.0168))
    # z = 0.3 / 0.129615 = 2.31455, p = 0.020637; CI 0.3 ± 1.959964·0.129615
    assert estimate.p_value() == pytest.approx(0.020637, abs=2e-6)
    assert estimate.ci(0.05) == pytest.approx((0.045960, 0.554040), abs=2e-6)


def simulated_ratio_arm(rng, n: int, click_rate: float):
    """Users with their own number of views and their own click-through rate."""
    views = rng.poisson(rng.gamma(2.0, 3.0, n)) + 1
    rates = rng.beta(2.0, 2.0 * (1 - click_rate) / click_rate, n)  # mean click_rate
    return rng.binomial(views, rates), views


@pytest.mark.slow
def test_ratio_delta_method_coverage_and_bootstrap(capsys):
    rng = np.random.default_rng(8)
    runs, n, true_diff = 300, 400, 0.02
    covered = 0
    ratios = []
    for run in range(runs):
        c_num, c_den = simulated_ratio_arm(rng, n, 0.10)
        t_num, t_den = simulated_ratio_arm(rng, n, 0.12)
        frame = pd.DataFrame(
            {
                "variant": np.repeat(["control", "treatment"], n),
                "clicks": np.r_[c_num, t_num],
                "views": np.r_[c_den, t_den],
            }
        )
        metric = Metric("clicks", "ratio", denominator="views", name="ctr")
        item = analyze_experiment(frame, [metric]).comparisons[0]
        covered += item.diff_ci[0] <= true_diff <= item.diff_ci[1]
        if run < 20:  # the delta-method se against a bootstrap of users
            se = (item.diff_ci[1] - item.diff_ci[0]) / (2 * 1.959964)
            boot = []
            for _ in range(400):
                ci = rng.integers(0, n, n)
                ti = rng.integers(0, n, n)
                boot.append(t_num[ti].sum() / t_den[ti].sum() - c_num[ci].sum() / c_den[ci].sum())
            ratios.append(se / np.std(boot, ddof=1))
    coverage = covered / runs
    with capsys.disabled():
        print(
            f"\nratio metric, delta method: 95% CI coverage {coverage:.1%} over {runs} runs; "
            f"delta se / bootstrap se median {np.median(ratios):.3f}"
        )
    assert 0.92 <= coverage <= 0.98
    assert np.median(ratios) == pytest.approx(1.0, abs=0.08)
