"""One verdict, one model: CI/p coherence across metric kinds, CUPED verdicts, MDE and
power in closed form, correction words from the method used, guardrails."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from graphkit.errors import ConfigError
from graphkit.experiments.analysis import analyze_experiment
from graphkit.experiments.inference import Estimate, guardrail
from graphkit.experiments.metrics import Metric
from graphkit.experiments.settings import AnalysisSettings

ALPHAS = st.sampled_from([0.01, 0.05, 0.1, 0.2])


def excludes_zero(interval: tuple[float, float]) -> bool:
    return interval[0] > 0 or interval[1] < 0


def assert_coherent(interval, p_value, alpha) -> None:
    """The interval excludes zero exactly when p < alpha (ties at the edge aside)."""
    if interval is None or p_value is None or abs(p_value - alpha) < 1e-9:
        return
    assert excludes_zero(interval) == (p_value < alpha), (interval, p_value, alpha)


def arms(kind: str) -> st.SearchStrategy:
    values = {
        "mean": st.floats(-50, 50, allow_nan=False, allow_subnormal=False),
        "count": st.integers(0, 12),
        "conversion": st.integers(0, 1),
    }[kind]
    return st.lists(values, min_size=3, max_size=40)


def frame_of(control, treatment, **extra) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variant": ["control"] * len(control) + ["treatment"] * len(treatment),
            "y": [float(v) for v in (*control, *treatment)],
            **extra,
        }
    )


@pytest.mark.parametrize("kind", ["mean", "count", "conversion"])
@pytest.mark.parametrize("sequential", [False, True])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_ci_excludes_zero_exactly_when_significant(kind, sequential, data):
    control = data.draw(arms(kind), label="control")
    treatment = data.draw(arms(kind), label="treatment")
    alpha = data.draw(ALPHAS, label="alpha")
    yates = data.draw(st.booleans(), label="yates") if kind == "conversion" else False
    chosen = AnalysisSettings(alpha=alpha, yates=yates, sequential=sequential)
    result = analyze_experiment(frame_of(control, treatment), [Metric("y", kind)], settings=chosen)
    item = result.comparisons[0]
    if not sequential:  # the row shows its model's numbers
        assert_coherent(item.diff_ci, item.p_value, alpha)
    verdict = item.verdict
    assert verdict is not None
    assert_coherent(verdict.ci, verdict.p_value, alpha)
    if verdict.ci is not None and verdict.estimate is not None:
        slack = 1e-9 * max(1.0, abs(verdict.estimate))
        assert verdict.ci[0] - slack <= verdict.estimate <= verdict.ci[1] + slack
    # one test: the adjusted p-value is the p-value, and the verdict follows it
    if verdict.p_value is not None:
        assert verdict.significant == (verdict.p_value < alpha)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pairs=st.lists(st.tuples(st.integers(0, 8), st.integers(1, 10)), min_size=6, max_size=60),
    alpha=ALPHAS,
)
def test_ratio_ci_excludes_zero_exactly_when_significant(pairs, alpha):
    half = len(pairs) // 2
    num = [float(a) for a, _ in pairs]
    den = [float(b) for _, b in pairs]
    frame = pd.DataFrame(
        {"variant": ["control"] * half + ["treatment"] * (len(pairs) - half), "n": num, "d": den}
    )
    metric = Metric("n", "ratio", denominator="d", name="ctr")
    item = analyze_experiment(frame, [metric], alpha=alpha).comparisons[0]
    assert item.metric == "ctr"
    assert_coherent(item.diff_ci, item.p_value, alpha)
    if item.verdict is not None:
        assert_coherent(item.verdict.ci, item.verdict.p_value, alpha)


# ------------------------------------------------------------------ CUPED and adjustment


@pytest.fixture
def with_pre() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 600
    variant = np.where(np.arange(n) % 2 == 0, "control", "treatment")
    pre = rng.gamma(2.0, 5.0, n)
    y = pre + rng.normal(0, 3, n) + 0.8 * (variant == "treatment")
    return pd.DataFrame({"variant": variant, "y": y, "y_pre": pre})


def test_verdict_uses_cuped_when_on_and_says_so(with_pre):
    metric = Metric("y", "mean", covariate="y_pre")
    on = analyze_experiment(with_pre, [metric]).comparisons[0]
    assert on.verdict.adjustment == "CUPED"
    assert on.verdict.estimate == pytest.approx(on.cuped.diff)
    assert on.verdict.ci == pytest.approx(on.cuped.diff_ci)
    assert on.verdict.p_value == pytest.approx(on.cuped.p_value)
    assert "CUPED-adjusted" in on.sentence
    # the adjusted estimate has the smaller interval, and so the smaller MDE
    off = analyze_experiment(with_pre, [metric], settings=AnalysisSettings(cuped=False))
    plain = off.comparisons[0].verdict
    assert plain.adjustment == "none"
    assert plain.ci == pytest.approx(on.diff_ci)
    assert on.verdict.mde_absolute < plain.mde_absolute
    assert "CUPED" not in off.comparisons[0].sentence


def test_verdict_uses_regression_adjustment_when_asked(with_pre):
    metric = Metric("y", "mean", covariate="y_pre")
    item = analyze_experiment(with_pre, [metric], adjust_for=["y_pre"]).comparisons[0]
    assert item.verdict.adjustment == "regression"
    assert item.verdict.estimate == pytest.approx(item.regression.estimate)
    assert item.verdict.ci == pytest.approx(item.regression.ci)


# ------------------------------------------------------------------ counts: one model


def test_count_row_takes_ci_and_p_from_the_count_model():
    rng = np.random.default_rng(3)
    control = rng.negative_binomial(2, 0.4, 300)
    treatment = rng.negative_binomial(2, 0.36, 300)
    item = analyze_experiment(frame_of(control, treatment), [Metric("y", "count")]).comparisons[0]
    assert item.test == "negative-binomial regression (NB2)"
    low, high = item.rate_ratio_ci
    assert item.diff_ci == pytest.approx(
        (item.mean_control * (low - 1), item.mean_control * (high - 1))
    )
    # the model's Wald z and its interval are one: log(RR)/se with se from the CI width
    se = (math.log(high) - math.log(low)) / (2 * stats.norm.isf(0.025))
    z = math.log(item.rate_ratio) / se
    assert item.statistic == pytest.approx(z, rel=1e-6)
    assert item.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-6)


# ------------------------------------------------------------------ MDE and power


def test_mde_and_power_in_closed_form():
    # se = 0.1, alpha = 0.05, power 0.8: MDE = (1.959964 + 0.841621) * 0.1 (normal)
    estimate = Estimate(0.05, 0.1, "z", baseline=2.0)
    assert estimate.mde(0.05, 0.8) == pytest.approx(0.2801585, rel=1e-6)
    assert estimate.power_at(0.2801585, 0.05) == pytest.approx(0.8, abs=1e-4)
    # power at an effect of 0: the two tails, alpha itself
    assert estimate.power_at(0.0, 0.05) == pytest.approx(0.05)


def test_mde_matches_r_power_t_test_for_large_samples(reference):
    # R power.t.test(n=64, d=0.5, power=0.8) solves n = 63.77 for d = 0.5, sd = 1: with
    # n = 63.77 per arm the Welch se is sqrt(2/n), and the t MDE is 0.5 (normal ≈ 0.496).
    n = reference["power_t_test"]["n_for_d0.5_power0.8"]
    estimate = Estimate(0.0, math.sqrt(2 / n), "t", df=2 * n - 2)
    t_mde = (stats.t.isf(0.025, 2 * n - 2) + stats.t.isf(0.2, 2 * n - 2)) * math.sqrt(2 / n)
    assert t_mde == pytest.approx(0.5, rel=0.01)
    assert estimate.mde(0.05, 0.8) == pytest.approx(0.5, rel=0.01)


def test_not_significant_sentences_say_whether_the_effect_could_be_seen():
    rng = np.random.default_rng(5)
    control, treatment = rng.normal(10, 2, 400), rng.normal(10, 2, 400)
    frame = frame_of(control, treatment)
    small = analyze_experiment(frame, [Metric("y")], settings=AnalysisSettings(mde=0.01))
    large = analyze_experiment(frame, [Metric("y")], settings=AnalysisSettings(mde=0.10))
    small_v, large_v = small.comparisons[0].verdict, large.comparisons[0].verdict
    assert not small_v.significant and not large_v.significant
    # se ≈ 2·sqrt(2/400) = 0.141 → MDE ≈ 0.396 ≈ 4.0% of 10
    assert small_v.mde_relative == pytest.approx(0.04, abs=0.004)
    assert small_v.power_at_target < 0.8 < large_v.power_at_target
    assert "could not reliably see the 1.0% that matters" in small.comparisons[0].sentence
    assert "could have seen the 10.0% that matters" in large.comparisons[0].sentence


# ------------------------------------------------------------------ corrections in words


@pytest.mark.parametrize(("method", "name"), [("holm", "Holm"), ("bh", "Benjamini–Hochberg")])
def test_correction_words_come_from_the_method_used(method, name):
    rng = np.random.default_rng(9)
    frame = pd.DataFrame(
        {
            "variant": np.repeat(["control", "treatment"], 200),
            "a": rng.normal(0, 1, 400),
            "b": rng.normal(0, 1, 400),
        }
    )
    result = analyze_experiment(frame, [Metric("a"), Metric("b")], correction=method)
    assert result.correction == name
    for item in result.comparisons:
        assert f"after {name} correction across 2 comparisons" in item.sentence
    other = "Benjamini–Hochberg" if name == "Holm" else "Holm"
    assert all(other not in item.sentence for item in result.comparisons)


# ------------------------------------------------------------------ guardrails


def test_guardrail_non_inferiority_by_hand():
    # estimate −0.01 with se 0.02 on a baseline of 1; margin 5%: z = (−0.01 + 0.05)/0.02 = 2
    check = guardrail(Estimate(-0.01, 0.02, "z", baseline=1.0), 0.05, 0.05)
    assert check.p_value == pytest.approx(stats.norm.sf(2.0))
    assert check.status == "ok"
    assert check.bound == pytest.approx(-0.01 - stats.norm.isf(0.05) * 0.02)
    # significantly worse than control: harmed
    harmed = guardrail(Estimate(-0.2, 0.02, "z", baseline=1.0), 0.05, 0.05)
    assert harmed.status == "harmed"
    # too noisy to tell
    assert guardrail(Estimate(0.0, 0.1, "z", baseline=1.0), 0.05, 0.05).status == "inconclusive"
    # lower is better: an increase is the harm
    worse = guardrail(Estimate(0.2, 0.02, "z", baseline=1.0), 0.05, 0.05, higher_is_better=False)
    assert worse.status == "harmed"


def test_summary_names_the_harmed_guardrail():
    rng = np.random.default_rng(2)
    n = 2000
    variant = np.repeat(["control", "treatment"], n // 2)
    treated = variant == "treatment"
    frame = pd.DataFrame(
        {
            "variant": variant,
            "goal": rng.normal(10, 2, n) + 0.5 * treated,
            "latency": rng.normal(100, 10, n) + 5 * treated,  # treatment is slower
            "crashes": rng.normal(1, 0.1, n),
        }
    )
    chosen = AnalysisSettings(
        primary=("goal",), guardrails={"latency": 0.01, "crashes": 0.05},
        lower_is_better=frozenset({"latency"}),
    )  # fmt: skip
    result = analyze_experiment(
        frame, [Metric("goal"), Metric("latency"), Metric("crashes")], settings=chosen
    )
    roles = {c.metric: c.verdict.role for c in result.comparisons}
    assert roles == {"goal": "primary", "latency": "guardrail", "crashes": "guardrail"}
    assert result.guardrail_summary() == "guardrail harmed: latency (treatment)"
    fine = analyze_experiment(
        frame, [Metric("goal"), Metric("crashes")],
        settings=AnalysisSettings(guardrails={"crashes": 0.05}),
    )  # fmt: skip
    assert fine.guardrail_summary() == "no guardrail harmed"
    assert result.to_dict()["guardrails"] == "guardrail harmed: latency (treatment)"


def test_settings_errors_name_the_parameter():
    with pytest.raises(ConfigError, match=r"^alpha must"):
        AnalysisSettings(alpha=2)
    with pytest.raises(ConfigError, match=r"^mde must"):
        AnalysisSettings(mde=-0.1)
    with pytest.raises(ConfigError, match=r"^cap must"):
        AnalysisSettings(cap=1.5)
    with pytest.raises(ConfigError, match="both primary and guardrail"):
        AnalysisSettings(primary=("a",), guardrails={"a": 0.01})


# ------------------------------------------------------------------ capping


def test_capping_winsorizes_each_metric_at_its_quantile_and_says_so():
    rng = np.random.default_rng(12)
    y = rng.lognormal(2, 1, 1000)
    y[:3] = 1e6  # a few bots
    frame = frame_of(y[:500], y[500:])
    capped = analyze_experiment(frame, [Metric("y")], settings=AnalysisSettings(cap=0.99))
    item = capped.comparisons[0]
    cap = np.quantile(y, 0.99, method="higher")
    assert item.capped_at == pytest.approx(cap)
    assert item.mean_control == pytest.approx(np.minimum(y[:500], cap).mean())
    assert any("winsorized at" in note for note in item.notes)
    raw = analyze_experiment(frame, [Metric("y")]).comparisons[0]
    assert raw.capped_at is None and raw.sd_control > item.sd_control


def test_sequential_verdicts_report_the_power_of_the_sequential_test():
    rng = np.random.default_rng(21)
    frame = frame_of(rng.normal(10, 2, 500), rng.normal(10.1, 2, 500))
    fixed = analyze_experiment(frame, [Metric("y")], settings=AnalysisSettings(mde=0.03))
    seq = analyze_experiment(
        frame, [Metric("y")], settings=AnalysisSettings(mde=0.03, sequential=True)
    )
    f, s = fixed.comparisons[0].verdict, seq.comparisons[0].verdict
    # the sequence is wider, so the sequential test needs a larger effect
    half = s.sequential.interval[1] - s.estimate
    assert half > f.ci[1] - f.estimate
    assert s.mde_absolute == pytest.approx(
        half + stats.norm.isf(0.2) * (f.ci[1] - f.estimate) / stats.t.isf(0.025, 998), rel=1e-3
    )
    assert s.mde_relative > f.mde_relative and s.power_at_target < f.power_at_target
    assert "the sequential test at this look detects" in seq.comparisons[0].sentence
    assert "not adjusted for peeking" in seq.comparisons[0].sentence


def test_an_untestable_metric_is_not_called_not_significant_nor_a_passed_guardrail():
    """A constant metric has no test: its sentence must not say "not significant", and a
    guardrail without an estimate must not be covered by "no guardrail harmed"."""
    rng = np.random.default_rng(4)
    n = 400
    variant = np.repeat(["control", "treatment"], n // 2)
    frame = pd.DataFrame(
        {"variant": variant, "goal": rng.normal(10, 2, n), "flat": np.full(n, 5.0),
         "other": np.full(n, 3.0)}
    )  # fmt: skip
    result = analyze_experiment(
        frame, [Metric("goal"), Metric("flat"), Metric("other")],
        settings=AnalysisSettings(guardrails={"flat": 0.01}),
    )  # fmt: skip
    by_metric = {c.metric: c for c in result.comparisons}
    assert by_metric["flat"].verdict.p_value is None
    assert "not a guardrail" not in by_metric["flat"].sentence
    assert "guardrail not tested" in by_metric["flat"].sentence
    assert "not significant" not in by_metric["other"].sentence
    assert "no test could be computed" in by_metric["other"].sentence
    assert result.guardrail_summary() == (
        "no guardrail harmed; not tested (no estimate): flat (treatment)"
    )


def test_verdict_card_decision_is_the_corrected_one():
    """The report's card says "safe to stop" only when the corrected verdict is significant,
    and "no test" (not "not significant") for a metric without a test."""
    from graphkit.reports.experiment_report import verdict_cards

    rng = np.random.default_rng(5)
    n = 4000
    variant = np.repeat(["control", "treatment"], n // 2)
    treated = variant == "treatment"
    base = rng.normal(10, 2, n)
    chosen = AnalysisSettings(primary=("goal", "other", "flat"), sequential=True)
    found = False
    for shift in np.linspace(0.05, 0.4, 36):
        frame = pd.DataFrame(
            {"variant": variant, "goal": base + shift * treated, "other": base[::-1],
             "flat": np.full(n, 5.0)}
        )  # fmt: skip
        result = analyze_experiment(
            frame, [Metric("goal"), Metric("other"), Metric("flat")], settings=chosen
        )
        goal = result.comparisons[0].verdict
        if goal.p_value < 0.05 <= goal.p_adjusted:
            found = True
            break
    assert found, "no shift gave an always-valid p below alpha that Holm does not keep"
    cards = {card.items[0].split(",")[0]: card.items for card in verdict_cards(result)}
    assert "not significant" in cards["goal"][0]
    assert any(line.startswith("sequential:") and "keep going" in line for line in cards["goal"])
    assert "no test" in cards["flat"][0] and "not significant" not in cards["flat"][0]
