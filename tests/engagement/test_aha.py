"""The aha finder: the sweep by hand, the sweet spot rule, and recovery of a planted threshold."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import graphkit.engagement.aha_moments as aha
import graphkit.experiments.survival as survival
from graphkit.config import Settings
from graphkit.engagement.aha_moments import (
    aha_population,
    choose_sweet_spot,
    early_event_counts,
    find_aha,
    graph_action_counts,
    sweep_thresholds,
)
from graphkit.engagement.eventlog import day_number
from graphkit.engagement.settings import AhaSettings
from graphkit.errors import ConfigError, InsufficientData
from graphkit.simulation import simulate_events, simulate_network
from graphkit.simulation import write_dataset as write_simulated
from graphkit.store import open_store
from graphkit.workflows import load
from graphkit.workflows.engagement import engagement_aha
from tests.engagement.conftest import log_from_text
from tests.engagement.hand_data import RETENTION_EVENTS, RETENTION_USERS

COUNTS = pd.Series([0, 1, 2, 3, 4, 5], index=list("abcdef"))
RETAINED = pd.Series([False, False, True, False, True, True], index=list("abcdef"))


def test_sweep_by_hand() -> None:
    table = sweep_thresholds(COUNTS, RETAINED, [2, 4]).set_index("k")
    # k=2: doers c, d, e, f (3 retained); non-doers a, b (none retained).
    assert table.loc[2, "users_did"] == 4
    assert table.loc[2, "share_did"] == pytest.approx(4 / 6)
    assert table.loc[2, "retention_did"] == 0.75
    assert table.loc[2, "retention_not"] == 0.0
    assert np.isnan(table.loc[2, "lift"])  # no retained non-doer: no finite lift
    assert table.loc[2, "p_did_given_retained"] == 1.0
    assert table.loc[2, "p_did_given_not_retained"] == pytest.approx(1 / 3)  # d of a, b, d
    assert table.loc[2, "youden_j"] == pytest.approx(2 / 3)
    # k=4: doers e, f (both retained); non-doers a-d (c retained).
    assert table.loc[4, "retention_did"] == 1.0
    assert table.loc[4, "retention_not"] == 0.25
    assert table.loc[4, "lift"] == 4.0
    assert table.loc[4, "p_did_given_retained"] == pytest.approx(2 / 3)
    assert table.loc[4, "youden_j"] == pytest.approx(2 / 3)


def test_sweet_spot_is_the_largest_j_with_ties_to_the_smaller_k() -> None:
    table = sweep_thresholds(COUNTS, RETAINED, [1, 2, 3, 4, 5])
    assert choose_sweet_spot(table, min_users=1, n=6) == 2  # J 2/3 at k=2 and k=4
    # With three users needed on each side only k=3 qualifies.
    assert choose_sweet_spot(table, min_users=3, n=6) == 3
    assert choose_sweet_spot(table, min_users=4, n=6) is None


def test_graph_action_counts() -> None:
    edges = pd.DataFrame(
        {"source": ["a", "a", "b"], "target": ["b", "c", "c"], "interactions": [2, 1, 5]}
    )
    assert graph_action_counts(edges, ["a", "b", "c", "d"], "connections").tolist() == [2, 2, 2, 0]
    assert graph_action_counts(edges, ["a", "b", "c", "d"], "received").tolist() == [0, 2, 6, 0]
    with pytest.raises(ConfigError, match="unknown graph action"):
        graph_action_counts(edges, ["a"], "hugs")


@pytest.fixture
def retention_log():
    return log_from_text(
        RETENTION_USERS, RETENTION_EVENTS, first_day=day_number(pd.Timestamp("2026-01-05"))
    )


def test_population_and_early_event_counts_by_hand(retention_log) -> None:
    population = aha_population(retention_log, action_days=2, retention_day=7, retention_window=1)
    table = population.table.set_index("user_id")
    assert table.index.tolist() == ["u1", "u2", "u3", "u4"]  # u5 before the window, u6 unknown
    # Day 7 is observed (<= 19 Jan) for u1 (12 Jan), u2 (13 Jan), u3 (19 Jan), not u4 (21 Jan).
    assert table["retention_observed"].tolist() == [True, True, True, False]
    assert table["retained"].tolist()[:3] == [True, True, False]
    views = early_event_counts(retention_log, population, "view")
    assert views.loc[["u1", "u2", "u3", "u4"]].tolist() == [2, 1, 2, 1]  # days 0-1
    with pytest.raises(ConfigError, match="no event named 'purchase'"):
        early_event_counts(retention_log, population, "purchase")


def test_parameters_are_checked(retention_log) -> None:
    with pytest.raises(ConfigError, match="must not come before the end of the action window"):
        aha_population(retention_log, action_days=7, retention_day=3)
    with pytest.raises(ConfigError, match="unknown action"):
        aha.action_label("hugging")
    population = aha_population(retention_log, action_days=2, retention_day=7, retention_window=1)
    with pytest.raises(ConfigError, match="max_k must be at least 1"):
        find_aha(population, pd.Series(dtype=float), action="event:view", max_k=0)
    late = aha_population(retention_log, action_days=2, retention_day=30, retention_window=1)
    with pytest.raises(InsufficientData, match="day-30 retention can be observed"):
        find_aha(late, pd.Series(dtype=float), action="event:view")


def test_follow_up_reuses_the_experiments_survival_code() -> None:
    assert aha.compare_survival is survival.compare_survival


def planted_store(tmp_path: Path, n_users: int, threshold: int, seed: int) -> Settings:
    sim = simulate_network(n_users, seed=seed)
    events = simulate_events(sim, aha_connections=threshold)
    write_simulated(sim, tmp_path / "data")
    write_simulated(events, tmp_path / "data")
    settings = Settings(store_dir=tmp_path / "store")
    load(tmp_path / "data", settings)
    return settings


@pytest.mark.slow
@pytest.mark.parametrize(("threshold", "seed"), [(3, 2), (2, 1)])
def test_the_finder_recovers_the_planted_threshold(
    tmp_path: Path, threshold: int, seed: int
) -> None:
    # Users with >= threshold distinct connections in their first 7 days churn 1%/day
    # after, others 8%/day (graphkit.simulation); the finder does not know the threshold.
    settings = planted_store(tmp_path, 3000, threshold, seed)
    with closing(open_store(settings)) as store:
        result = engagement_aha(store)
    assert result.sweet_spot == threshold
    row = result.sweep.set_index("k").loc[threshold]
    assert row["retention_did"] > 2 * row["retention_not"]
    follow = result.follow_up
    assert isinstance(follow, survival.SurvivalComparison)
    assert follow.p_value is not None and follow.p_value < 1e-6
    assert "correlation, not proof of cause" in result.interpretation
    assert "randomised experiment" in result.suggested_experiment
    assert f"connected with {threshold} distinct users" in result.interpretation


@pytest.mark.slow
def test_an_unrelated_event_has_no_strong_sweet_spot(tmp_path: Path) -> None:
    settings = planted_store(tmp_path, 1500, 3, 3)
    with closing(open_store(settings)) as store:
        result = engagement_aha(store, AhaSettings(action="event:message", max_k=5))
    assert result.sweep["youden_j"].max() < 0.2  # messages were not planted
