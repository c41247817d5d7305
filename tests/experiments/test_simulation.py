"""simulate_experiment, and the estimators checked against its known truth.

The slow tests are the "correct before fast" simulation studies: A/A false-positive
rate, CI coverage of the true effect, CUPED (unbiased, less variance) and the recovery
of an effect planted for well-connected users through the whole store pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.errors import ConfigError
from graphkit.experiments.analysis import analyze_experiment
from graphkit.experiments.assignment import assign
from graphkit.experiments.metrics import experiment_metrics
from graphkit.experiments.simulation import (
    SIMULATED_METRICS,
    default_salt,
    simulate_experiment,
    write_truth,
)
from graphkit.simulation import simulate_network, write_dataset
from graphkit.store.local_store import LocalStore
from graphkit.workflows import experiments as workflow


@pytest.fixture(scope="module")
def network():
    return simulate_network(800, seed=3)


def test_same_seed_same_experiment(network):
    first = simulate_experiment(network, seed=5)
    second = simulate_experiment(network, seed=5)
    pd.testing.assert_frame_equal(first.events, second.events)
    pd.testing.assert_frame_equal(first.assignments, second.assignments)
    pd.testing.assert_frame_equal(first.truth, second.truth)
    other = simulate_experiment(network, seed=6)
    assert not other.events["at"].equals(first.events["at"])


def test_split_is_the_salted_hash(network):
    result = simulate_experiment(network, experiment="exp1", salt="s", weights=[1, 3])
    expected = assign(result.assignments["user_id"], "exp1", salt="s", weights=[1, 3])
    assert result.assignments["variant"].tolist() == expected.tolist()
    assert (result.assignments["experiment"] == "exp1").all()


def test_a_new_seed_draws_a_new_split_unless_the_salt_is_given(network, tmp_path: Path):
    first = simulate_experiment(network, seed=5).assignments.set_index("user_id")["variant"]
    second = simulate_experiment(network, seed=6).assignments.set_index("user_id")["variant"]
    shared = first.index.intersection(second.index)
    same = (first[shared] == second[shared]).mean()
    # two independent 50/50 splits agree on about half the users (binomial sd ≈ 2%)
    assert 0.4 < same < 0.6
    fixed = [simulate_experiment(network, seed=seed, salt="keep").assignments for seed in (5, 6)]
    kept = [f.set_index("user_id")["variant"] for f in fixed]
    both = kept[0].index.intersection(kept[1].index)
    assert (kept[0][both] == kept[1][both]).all()
    # the truth is saved beside the dataset
    result = simulate_experiment(network, experiment="feed", seed=5, effects={"sessions": 0.1})
    paths = write_truth(result, tmp_path)
    assert [p.name for p in paths] == [
        "experiment_feed.csv", "experiment_feed_users.csv", "experiment_feed.json"
    ]  # fmt: skip
    pd.testing.assert_frame_equal(pd.read_csv(paths[0]), result.truth, check_dtype=False)
    assert json.loads(paths[2].read_text())["salt"] == default_salt(5)


def test_files_pass_the_dataset_validation(network, tmp_path: Path):
    result = simulate_experiment(network, seed=1)
    write_dataset(network, tmp_path)
    written = write_dataset(result, tmp_path)
    assert sorted(p.name for p in written) == ["assignments.csv", "events.csv"]
    dataset = load_dataset(tmp_path)
    assert len(dataset.events) == len(result.events)
    assert len(dataset.assignments) == len(result.assignments)
    assert dataset.notes == ()
    # the files carry the very values the frames hold (times to the second)
    pd.testing.assert_series_equal(
        dataset.events["at"].dt.as_unit("s").reset_index(drop=True),
        result.events["at"].reset_index(drop=True),
        check_names=False,
        check_dtype=False,
    )


def test_events_fall_in_the_windows_and_after_signup(network):
    result = simulate_experiment(network, seed=2, pre_days=10, post_days=5)
    events = result.events.merge(result.assignments, on="user_id")
    offset = (events["at"] - events["assigned_at"]) / pd.Timedelta(days=1)
    assert offset.between(-10, 5, inclusive="left").all()
    signup = pd.to_datetime(network.users.set_index("user_id")["signup_at"], utc=True)
    assert (events["at"] >= events["user_id"].map(signup)).all()


def test_truth_is_the_average_expected_effect(network):
    result = simulate_experiment(
        network, seed=4, effects={"sessions": 0.2, "time_spent": 0.1, "messaged": 0.0}
    )
    truth = result.truth.set_index("metric")
    # homogeneous lifts: the relative effect on counts and sums is the lift itself
    assert truth.loc["sessions", "relative"] == pytest.approx(0.2)
    assert truth.loc["time_spent", "relative"] == pytest.approx(0.1)
    assert truth.loc["messaged", "ate"] == 0.0
    per_user = result.per_user[result.per_user["metric"] == "sessions"]
    assert truth.loc["sessions", "ate"] == pytest.approx(per_user["effect"].mean())
    assert set(truth.index) == set(SIMULATED_METRICS)


def test_degree_effect_grows_with_degree_and_keeps_the_average_lift(network):
    result = simulate_experiment(network, seed=4, effects={"sessions": 0.2}, degree_effect=1.0)
    rows = result.per_user[result.per_user["metric"] == "sessions"]
    lift = rows["effect"] / rows["control_mean"]
    assert lift.mean() == pytest.approx(0.2)  # mean(1 + (2q - 1)) = 1 with mid-ranks
    assert np.corrcoef(rows["degree_percentile"], lift)[0, 1] == pytest.approx(1.0)
    assert lift.min() == pytest.approx(0.2 / len(rows), abs=1e-3)
    assert lift.max() == pytest.approx(0.4, abs=1e-3)
    by_half = result.segment_effects(
        rows.set_index("user_id")["degree_percentile"].gt(0.5).map({True: "high", False: "low"}),
        "sessions",
    )
    assert by_half["high"] > 2 * by_half["low"]


def test_pre_and_post_behaviour_correlate(network):
    result = simulate_experiment(network, seed=8, effects={})
    table = experiment_metrics(result.assignments, result.events, ["sessions"]).table
    assert np.corrcoef(table["sessions"], table["sessions_pre"])[0, 1] > 0.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"degree_effect": 1.5}, "degree_effect"),
        ({"effects": {"revenue": 0.1}}, "no effect can be planted on revenue"),
        ({"effects": {"sessions": -0.6}, "degree_effect": 1.0}, "zero or negative"),
        ({"effects": {"treatment_b": {"sessions": 0.1}}}, "unknown treatment"),
        ({"variants": ("control",)}, "at least two"),
        ({"post_days": 0}, "post_days"),
    ],
)
def test_bad_parameters(network, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        simulate_experiment(network, **kwargs)


# ------------------------------------------------------------------ simulation studies

REPLICATIONS = 150
STUDY_METRICS = ("sessions", "time_spent", "messaged")
LIFTS = {"sessions": 0.08, "time_spent": 0.10, "messaged": 0.15}


@pytest.fixture(scope="module")
def replications() -> pd.DataFrame:
    """Each replication: a fresh activity draw and a fresh split (seed and salt vary).

    Three arms: ``treatment`` carries the planted lifts, ``placebo`` none (an A/A arm).
    """
    network = simulate_network(1500, seed=11)
    specs = [SIMULATED_METRICS[name] for name in STUDY_METRICS]
    rows = []
    for rep in range(REPLICATIONS):
        result = simulate_experiment(
            network,
            seed=rep,
            salt=f"rep{rep}",
            variants=("control", "treatment", "placebo"),
            effects={"treatment": LIFTS, "placebo": {}},
        )
        metrics = experiment_metrics(result.assignments, result.events, specs)
        analysis = analyze_experiment(metrics.table, metrics.metrics, count_model="welch")
        for item in analysis.comparisons:
            assert item.diff_ci is not None and item.cuped is not None
            assert item.cuped.diff_ci is not None
            rows.append(
                {
                    "rep": rep,
                    "metric": item.metric,
                    "arm": item.treatment,
                    "truth": result.true_effect(item.metric, item.treatment),
                    "diff": item.diff,
                    "low": item.diff_ci[0],
                    "high": item.diff_ci[1],
                    "p": item.p_value,
                    "cuped_diff": item.cuped.diff,
                    "cuped_low": item.cuped.diff_ci[0],
                    "cuped_high": item.cuped.diff_ci[1],
                    "cuped_p": item.cuped.p_value,
                    "reduction": item.cuped.variance_reduction,
                }
            )
    return pd.DataFrame(rows)


def binomial_band(n: int, rate: float, level: float = 0.999) -> tuple[float, float]:
    """Counts a correct procedure lands between with probability ``level``, as shares."""
    tail = (1 - level) / 2
    return stats.binom.ppf(tail, n, rate) / n, stats.binom.isf(tail, n, rate) / n


@pytest.mark.slow
@pytest.mark.parametrize("metric", STUDY_METRICS)
def test_aa_false_positive_rate_is_alpha(replications, metric):
    placebo = replications[(replications["arm"] == "placebo") & (replications["metric"] == metric)]
    assert (placebo["truth"] == 0).all()
    false_positives = int((placebo["p"] < 0.05).sum())
    interval = stats.binomtest(false_positives, len(placebo)).proportion_ci(0.99, "exact")
    assert interval.low <= 0.05 <= interval.high, false_positives


@pytest.mark.slow
@pytest.mark.parametrize("metric", STUDY_METRICS)
@pytest.mark.parametrize("estimator", ["", "cuped_"])
def test_95_percent_cis_cover_the_true_effect(replications, metric, estimator):
    rows = replications[(replications["arm"] == "treatment") & (replications["metric"] == metric)]
    assert (rows["truth"] > 0).all()
    covered = (rows[f"{estimator}low"] <= rows["truth"]) & (
        rows["truth"] <= rows[f"{estimator}high"]
    )
    low, high = binomial_band(len(rows), 0.95)
    assert low <= covered.mean() <= high, covered.mean()


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["sessions", "time_spent"])
def test_cuped_reduces_variance_without_bias(replications, metric):
    rows = replications[(replications["arm"] == "treatment") & (replications["metric"] == metric)]
    error = rows["cuped_diff"] - rows["truth"]
    # unbiased: the mean error is within 3.5 standard errors of zero
    assert abs(error.mean()) < 3.5 * error.std(ddof=1) / np.sqrt(len(rows))
    # pre and post correlate: CUPED's estimates vary less across replications
    assert error.var() < 0.8 * (rows["diff"] - rows["truth"]).var()
    assert rows["reduction"].mean() > 0.3
    # narrower intervals, at the same coverage (tested above)
    assert (rows["cuped_high"] - rows["cuped_low"]).mean() < (rows["high"] - rows["low"]).mean()


@pytest.mark.slow
def test_cuped_with_an_uncorrelated_covariate_changes_little(replications):
    rows = replications[
        (replications["arm"] == "treatment") & (replications["metric"] == "messaged")
    ]
    # a 0/1 pre-period covariate of a short window carries little information: no harm done
    assert rows["reduction"].mean() > -0.05
    error = rows["cuped_diff"] - rows["truth"]
    assert abs(error.mean()) < 3.5 * error.std(ddof=1) / np.sqrt(len(rows))


@pytest.mark.slow
def test_segments_recover_an_effect_planted_on_well_connected_users(tmp_path: Path):
    """The whole pipeline: files → embedded store → metrics → graph features → segments."""
    network = simulate_network(6000, seed=21)
    result = simulate_experiment(
        network, experiment="hetero", seed=21, effects={"sessions": 0.4}, degree_effect=1.0
    )
    write_dataset(network, tmp_path / "data")
    write_dataset(result, tmp_path / "data")
    LocalStore(tmp_path / "store").load(load_dataset(tmp_path / "data"))
    settings = Settings(store_dir=tmp_path / "store")
    data = workflow.experiment_from_store(
        settings, "hetero", metrics=["sessions"], needed_features=["degree"]
    )
    report = workflow.segments(data, by=["degree"], deciles=5)
    analysis = report.analyses[0]
    assert not report.srm.flag
    assert analysis.heterogeneity.p_value < 1e-3
    estimates = [s.diff for s in analysis.segments]
    assert stats.spearmanr(range(len(estimates)), estimates).statistic > 0.8
    # each segment's CI covers that segment's true effect (a 99% check over 5 segments)
    segment_of = data.table.set_index("user_id")["degree"]
    labels = pd.Series(
        pd.qcut(segment_of, 5, duplicates="drop").cat.codes.to_numpy(), index=segment_of.index
    )
    truth = result.segment_effects(labels, "sessions")
    covered = sum(
        s.diff_ci[0] <= truth[code] <= s.diff_ci[1] for code, s in enumerate(analysis.segments)
    )
    assert covered >= len(analysis.segments) - 1
    # and the simulated degree is the graph feature's degree
    degrees = result.per_user.drop_duplicates("user_id").set_index("user_id")["degree"]
    assert (degrees == segment_of[degrees.index]).all()
