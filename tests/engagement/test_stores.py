"""Both stores give the engagement layer identical results (and equal to the files)."""

from __future__ import annotations

import pandas as pd
import pytest

from graphkit.dataset import Dataset
from graphkit.engagement.activity import activity_metrics
from graphkit.engagement.aha_moments import aha_population
from graphkit.engagement.anomaly_detection import detect_anomalies
from graphkit.engagement.cohorts import retention_table
from graphkit.engagement.eventlog import summarise_events
from graphkit.engagement.segments import segment_users
from graphkit.workflows.engagement import early_graph_counts, read_activity


@pytest.fixture
def loaded_store(empty_store, small_dataset: Dataset):
    empty_store.load(small_dataset)
    return empty_store


@pytest.fixture(scope="module")
def reference(small_dataset: Dataset):
    """The same log computed from the validated files, without any store."""
    return summarise_events([small_dataset.events], small_dataset.users)


def test_metrics_retention_anomalies_match_the_files(loaded_store, reference) -> None:
    log = read_activity(loaded_store)
    pd.testing.assert_frame_equal(log.counts, reference.counts)
    pd.testing.assert_frame_equal(log.sessions, reference.sessions)
    assert (log.first_day, log.last_day) == (reference.first_day, reference.last_day)

    ours, theirs = activity_metrics(log), activity_metrics(reference)
    pd.testing.assert_frame_equal(ours.daily.table, theirs.daily.table)
    assert ours.sessions.summary == theirs.sessions.summary
    pd.testing.assert_frame_equal(ours.scores.table, theirs.scores.table)

    segment = segment_users(log.users, "country")
    pd.testing.assert_frame_equal(
        retention_table(log, segment=segment).table,
        retention_table(reference, segment=segment_users(reference.users, "country")).table,
    )
    pd.testing.assert_frame_equal(
        detect_anomalies(log, "sessions").series, detect_anomalies(reference, "sessions").series
    )


def test_graph_action_counts_match_the_planted_truth(loaded_store, small_simulation) -> None:
    _, events = small_simulation
    log = read_activity(loaded_store, sessions=False)
    population = aha_population(log, action_days=7, retention_day=14)
    counts = early_graph_counts(loaded_store, population, "connections")
    truth = events.retention.set_index("user_id")["early_connections"]
    assert len(counts) == len(population.table) > 50
    assert counts.sort_index().tolist() == truth.reindex(counts.sort_index().index).tolist()
    received = early_graph_counts(loaded_store, population, "received")
    assert (received >= 0).all() and received.sum() > 0
