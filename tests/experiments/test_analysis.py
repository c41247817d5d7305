"""analyze_experiment: the JSON contract, tests per metric kind, SRM, degenerate data."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.analysis import analyze_experiment, parse_table_metric
from graphkit.experiments.corrections import adjust_p_values
from graphkit.experiments.metrics import Metric
from tests.experiments.checks import assert_no_nan

CONTRACT_KEYS = {
    "metric",
    "control",
    "treatment",
    "n_control",
    "n_treatment",
    "mean_control",
    "mean_treatment",
    "diff",
    "diff_ci",
    "rel_diff",
    "rel_ci",
    "test",
    "statistic",
    "df",
    "p_value",
    "p_adjusted",
    "cuped",
}
CUPED_KEYS = {"theta", "diff", "diff_ci", "p_value", "variance_reduction"}


def strict_json(result) -> dict:
    """The JSON form, refusing NaN/inf the way a strict reader would."""
    return json.loads(json.dumps(result.to_dict(), allow_nan=False))


@pytest.fixture
def experiment() -> pd.DataFrame:
    """400 users, two arms, a mean, a count, a conversion and pre-period covariates."""
    rng = np.random.default_rng(7)
    n = 400
    variant = np.where(np.arange(n) % 2 == 0, "control", "treatment")
    treated = variant == "treatment"
    pre = rng.gamma(2.0, 5.0, n)
    return pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "variant": variant,
            "minutes": pre + rng.normal(0, 2, n) + 1.5 * treated,
            "minutes_pre": pre,
            "sessions": rng.poisson(3 + treated),
            "converted": (rng.random(n) < 0.3 + 0.1 * treated).astype(int),
            "community": rng.integers(0, 4, n),
            "degree": rng.integers(1, 30, n),
        }
    )


METRICS = [
    Metric("minutes", "mean", "minutes_pre"),
    Metric("sessions", "count"),
    Metric("converted", "conversion"),
]


def test_json_contract_and_conventions(experiment):
    result = analyze_experiment(experiment, METRICS, experiment="demo")
    data = strict_json(result)
    assert set(data["srm"]) >= {"chi2", "p_value", "flag"}
    assert data["srm"]["flag"] is False
    assert [c["metric"] for c in data["comparisons"]] == ["minutes", "sessions", "converted"]
    for item in data["comparisons"]:
        assert set(item) >= CONTRACT_KEYS
        assert item["control"] == "control" and item["treatment"] == "treatment"
        assert item["diff"] == pytest.approx(item["mean_treatment"] - item["mean_control"])
        assert item["diff_ci"][0] < item["diff"] < item["diff_ci"][1]
        assert item["rel_diff"] == pytest.approx(item["diff"] / item["mean_control"])
    minutes, sessions, converted = data["comparisons"]
    assert set(minutes["cuped"]) >= CUPED_KEYS
    assert minutes["cuped"]["variance_reduction"] > 0.5  # minutes ≈ pre + noise
    assert sessions["cuped"] is None
    assert minutes["test"] == "Welch two-sample t-test"
    assert minutes["effect_size_name"] == "cohens_d"
    assert sessions["test"] == "negative-binomial regression (NB2)"
    # the count model's relative CI is the rate-ratio CI minus one
    assert sessions["rel_ci"] == pytest.approx([x - 1 for x in sessions["rate_ratio_ci"]])
    assert sessions["rate_ratio"] == pytest.approx(1 + sessions["rel_diff"])
    assert converted["test"] == "two-proportion z-test (unpooled)"
    assert converted["effect_size_name"] == "cohens_h"
    # one model per row: the CI excludes zero exactly when p < alpha
    for item in data["comparisons"]:
        excludes = item["diff_ci"][0] > 0 or item["diff_ci"][1] < 0
        assert excludes == (item["p_value"] < data["alpha"])


def test_p_values_are_holm_adjusted_across_all_comparisons(experiment):
    result = analyze_experiment(experiment, METRICS)
    raw = [c.p_value for c in result.comparisons]
    assert [c.p_adjusted for c in result.comparisons] == list(adjust_p_values(raw).adjusted)
    bh = analyze_experiment(experiment, METRICS, correction="bh")
    assert [c.p_adjusted for c in bh.comparisons] == list(
        adjust_p_values(raw, method="bh").adjusted
    )
    assert bh.correction == "Benjamini–Hochberg"


def test_several_treatments_each_against_control(experiment):
    frame = experiment.copy()
    frame.loc[frame.index % 4 == 1, "variant"] = "treatment_b"
    result = analyze_experiment(frame, METRICS[:1])
    assert [(c.control, c.treatment) for c in result.comparisons] == [
        ("control", "treatment"),
        ("control", "treatment_b"),
    ]
    only_b = analyze_experiment(frame, METRICS[:1], treatments=["treatment_b"])
    assert [c.treatment for c in only_b.comparisons] == ["treatment_b"]
    assert set(result.srm.observed) == {"control", "treatment", "treatment_b"}


def test_other_tests_on_request(experiment):
    result = analyze_experiment(
        experiment,
        METRICS,
        test="mann-whitney",
        count_model="poisson",
        yates=True,
        bootstrap=300,
        seed=3,
    )
    minutes, sessions, converted = result.comparisons
    assert minutes.test == "Mann–Whitney U test"
    assert sessions.test == "Poisson regression"
    assert converted.test == "two-proportion z-test (unpooled, continuity-corrected)"
    assert minutes.diff_ci is None  # a rank test has no interval of the mean difference
    assert minutes.bootstrap_ci is not None
    assert minutes.bootstrap_ci[0] < minutes.diff < minutes.bootstrap_ci[1]
    again = analyze_experiment(experiment, METRICS, bootstrap=300, seed=3)
    assert again.comparisons[0].bootstrap_ci == minutes.bootstrap_ci  # seeded
    welch_counts = analyze_experiment(experiment, METRICS, count_model="welch")
    assert welch_counts.comparisons[1].test == "Welch two-sample t-test"


def test_regression_adjustment_with_graph_covariates(experiment):
    result = analyze_experiment(experiment, METRICS[:1], adjust_for=["degree", "community"])
    regression = result.comparisons[0].regression
    assert regression is not None
    assert regression.method == "OLS regression adjustment (HC2)"
    # community is a label: one dummy per community but the first
    assert regression.covariates == ("degree", "community_1", "community_2", "community_3")
    assert regression.ci is not None and regression.ci[0] < regression.estimate < regression.ci[1]


def test_srm_is_flagged_and_noted():
    frame = pd.DataFrame(
        {"variant": ["control"] * 600 + ["treatment"] * 400, "y": np.arange(1000.0) % 7}
    )
    result = analyze_experiment(frame, [Metric("y")])
    assert result.srm.flag
    assert result.srm.p_value < 0.001
    assert any("sample-ratio mismatch" in note for note in result.notes)
    planned = analyze_experiment(frame, [Metric("y")], weights={"control": 60, "treatment": 40})
    assert not planned.srm.flag


def test_unknown_variant_names_list_the_variants_found(experiment):
    with pytest.raises(ConfigError) as error:
        analyze_experiment(experiment, METRICS, control="ctrl")
    assert "'ctrl'" in error.value.message
    assert "variants found: control, treatment" in error.value.message
    with pytest.raises(ConfigError, match="variants found"):
        analyze_experiment(experiment, METRICS, treatments=["treatmnt"])
    with pytest.raises(ConfigError, match="variants found"):
        analyze_experiment(experiment, METRICS, weights={"ctrl": 1, "treatment": 1})


def test_bad_columns_and_values(experiment):
    with pytest.raises(ConfigError, match="not in the table: nope") as error:
        analyze_experiment(experiment, [Metric("nope")])
    assert "columns found: user_id, variant, minutes" in error.value.hint
    with pytest.raises(ConfigError):
        analyze_experiment(experiment, [Metric("minutes", covariate="nope")])
    with pytest.raises(DataError, match="0 and 1"):
        analyze_experiment(experiment, [Metric("minutes", "conversion")])
    with pytest.raises(DataError, match="whole numbers"):
        analyze_experiment(experiment, [Metric("minutes", "count")])
    text = experiment.assign(minutes=experiment["minutes"].astype(object))
    text.loc[3, "minutes"] = "n/a"
    with pytest.raises(DataError, match="not a number"):
        analyze_experiment(text, [Metric("minutes")])


def test_only_one_arm_is_insufficient_data():
    frame = pd.DataFrame({"variant": ["control"] * 5, "y": [1.0, 2, 3, 4, 5]})
    with pytest.raises(InsufficientData, match="only the control"):
        analyze_experiment(frame, [Metric("y")])


# ------------------------------------------------------------------ degenerate data


def test_an_arm_without_values_gives_nulls_and_a_note():
    frame = pd.DataFrame(
        {
            "variant": ["control"] * 3 + ["treatment"] * 3,
            "y": [1.0, 2.0, 3.0, None, None, None],
        }
    )
    result = analyze_experiment(frame, [Metric("y")])
    item = result.comparisons[0]
    assert (item.n_control, item.n_treatment) == (3, 0)
    assert item.diff is None and item.p_value is None and item.p_adjusted is None
    assert any("no users with a value" in note for note in item.notes)
    assert any("3 user(s) without a value left out" in note for note in item.notes)
    assert_no_nan(result)
    strict_json(result)


def test_zero_variance_gives_a_note_not_a_nan():
    frame = pd.DataFrame({"variant": ["control", "treatment"] * 5, "y": [4.0] * 10})
    result = analyze_experiment(frame, [Metric("y", covariate="y")])
    item = result.comparisons[0]
    assert item.diff == 0.0
    assert item.p_value is None and item.statistic is None and item.diff_ci is None
    assert any("zero variance" in note for note in item.notes)
    assert item.cuped is not None and item.cuped.theta is None
    assert_no_nan(result)
    strict_json(result)


def test_one_user_per_arm():
    frame = pd.DataFrame({"variant": ["control", "treatment"], "y": [1.0, 3.0]})
    result = analyze_experiment(frame, [Metric("y")])
    item = result.comparisons[0]
    assert item.diff == 2.0
    assert item.p_value is None and item.sd_control is None
    assert any("at least two values per arm" in note for note in item.notes)
    strict_json(result)


def test_no_conversion_at_all():
    frame = pd.DataFrame({"variant": ["control", "treatment"] * 50, "bought": [0] * 100})
    result = analyze_experiment(frame, [parse_table_metric("bought", frame)])
    item = result.comparisons[0]
    assert item.kind == "conversion"
    assert item.diff == 0.0 and item.p_value is None and item.rel_diff is None
    assert any("no trial converted" in note for note in item.notes)
    assert any("relative lift is undefined" in note for note in item.notes)
    strict_json(result)


def test_counts_with_no_events_in_an_arm():
    frame = pd.DataFrame(
        {"variant": ["control", "treatment"] * 20, "n": [0, 1] * 20},
    )
    result = analyze_experiment(frame, [Metric("n", "count")])
    item = result.comparisons[0]
    assert item.rate_ratio is None and item.p_value is None
    assert any("rate ratio is undefined" in note for note in item.notes)
    strict_json(result)


def test_table_metric_kinds():
    frame = pd.DataFrame({"a": [0, 1, 1], "b": [0.5, 1, 2], "c": [True, False, True]})
    assert parse_table_metric("a", frame).kind == "conversion"
    assert parse_table_metric("b", frame).kind == "mean"
    assert parse_table_metric("c", frame).kind == "conversion"
    assert parse_table_metric("a:count", frame).kind == "count"
    with pytest.raises(ConfigError, match="unknown metric kind"):
        parse_table_metric("a:median", frame)


# ------------------------------------------------------------------ properties

arm_values = st.lists(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_subnormal=False),
    min_size=2,
    max_size=30,
)


def frame_of(control: list[float], treatment: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variant": ["control"] * len(control) + ["treatment"] * len(treatment),
            "y": control + treatment,
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(control=arm_values, treatment=arm_values)
def test_properties_of_a_mean_comparison(control, treatment):
    result = analyze_experiment(frame_of(control, treatment), [Metric("y")])
    item = result.comparisons[0]
    strict_json(result)
    if item.p_value is not None:
        assert 0 <= item.p_value <= 1
        assert 0 <= item.p_adjusted <= 1
    if item.diff_ci is not None:
        tolerance = 1e-9 * max(1.0, abs(item.diff))
        assert item.diff_ci[0] - tolerance <= item.diff <= item.diff_ci[1] + tolerance
    swapped = analyze_experiment(
        frame_of(control, treatment).replace({"control": "treatment", "treatment": "control"}),
        [Metric("y")],
    ).comparisons[0]
    assert swapped.diff == pytest.approx(-item.diff, abs=1e-9 * max(1.0, abs(item.diff)))
    if item.p_value is not None:
        assert swapped.p_value == pytest.approx(item.p_value, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    control=st.lists(st.integers(0, 1), min_size=1, max_size=40),
    treatment=st.lists(st.integers(0, 1), min_size=1, max_size=40),
)
def test_properties_of_a_conversion_comparison(control, treatment):
    frame = frame_of([float(v) for v in control], [float(v) for v in treatment])
    result = analyze_experiment(frame, [Metric("y", "conversion")])
    item = result.comparisons[0]
    strict_json(result)
    assert item.diff == pytest.approx(np.mean(treatment) - np.mean(control))
    if item.p_value is not None:
        assert 0 <= item.p_value <= 1
    if item.diff_ci is not None:
        assert item.diff_ci[0] <= item.diff <= item.diff_ci[1]
    swapped = analyze_experiment(
        frame.replace({"control": "treatment", "treatment": "control"}),
        [Metric("y", "conversion")],
    ).comparisons[0]
    assert swapped.diff == pytest.approx(-item.diff)
    assert (swapped.p_value is None) == (item.p_value is None)
    if item.p_value is not None:
        assert math.isclose(swapped.p_value, item.p_value, rel_tol=1e-9)
