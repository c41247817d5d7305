"""The simulator's events part: planted retention truth and loadable files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.dataset import load_dataset
from graphkit.errors import ConfigError
from graphkit.simulation import SimulatedEvents, SimulatedNetwork, simulate_events, simulate_network


def test_written_events_pass_validation(small_dataset_dir: Path, small_simulation) -> None:
    _, events = small_simulation
    dataset = load_dataset(small_dataset_dir)
    assert dataset.events is not None
    assert len(dataset.events) == len(events.events)
    assert set(dataset.events["event"]) == {"session", "view", "like", "click", "message"}
    assert dataset.events["session_id"].notna().all()


def independent_early_connections(sim: SimulatedNetwork, days: int) -> pd.Series:
    """Distinct partners in the first ``days`` calendar days, recomputed with pandas."""
    inter = sim.interactions.assign(at=pd.to_datetime(sim.interactions["at"], utc=True))
    both = pd.concat(
        [
            inter.rename(columns={"source_id": "user", "target_id": "partner"}),
            inter.rename(columns={"target_id": "user", "source_id": "partner"}),
        ]
    )
    both = both[both["user"] != both["partner"]]
    signup = pd.to_datetime(sim.users.set_index("user_id")["signup_at"], utc=True).dt.floor("D")
    start = signup.reindex(both["user"]).to_numpy()
    early = both[
        (both["at"].to_numpy() >= start) & (both["at"].to_numpy() < start + pd.Timedelta(days=days))
    ]
    partners = early.groupby("user")["partner"].nunique()
    return partners.reindex(sim.users["user_id"], fill_value=0)


@pytest.fixture(scope="module")
def planted() -> tuple[SimulatedNetwork, SimulatedEvents]:
    sim = simulate_network(800, seed=9)
    return sim, simulate_events(sim, aha_connections=2, aha_days=5)


def test_ground_truth_matches_the_definition(planted) -> None:
    sim, events = planted
    truth = events.retention.set_index("user_id")
    expected = independent_early_connections(sim, days=5)
    assert truth["early_connections"].tolist() == expected.tolist()
    in_period = pd.to_datetime(sim.users["signup_at"], utc=True) >= pd.Timestamp(sim.params.start)
    reached = (expected >= 2).to_numpy() & in_period.to_numpy()
    assert truth["reached"].tolist() == reached.tolist()
    # Users who signed up before the period never churn (their first days are unknown).
    assert (truth.loc[~in_period.to_numpy(), "churn_at"] == "").all()


def test_no_session_starts_after_churn(planted) -> None:
    _, events = planted
    churn = events.retention.set_index("user_id")["churn_at"]
    sessions = events.events[events.events["event"] == "session"]
    user_churn = churn.reindex(sessions["user_id"].astype(str)).to_numpy()
    churned = user_churn != ""
    assert (sessions["at"].astype(str).to_numpy()[churned] < user_churn[churned]).all()
    # Churn falls at midnight, after the aha window.
    stamps = pd.to_datetime(churn[churn != ""], utc=True)
    assert (stamps == stamps.dt.floor("D")).all()


def test_reaching_the_threshold_keeps_users(planted) -> None:
    _, events = planted
    truth = events.retention
    stayed = truth["churn_at"] == ""
    in_period_reached = truth[truth["reached"]]
    assert stayed[truth["reached"]].mean() > 0.4  # 1%/day churn after day 5
    assert in_period_reached.shape[0] > 20


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [({"aha_days": 0}, "aha_days"), ({"aha_connections": -1}, "aha_connections")],
)
def test_bad_planted_parameters(kwargs: dict[str, int], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        simulate_events(simulate_network(50, seed=1), **kwargs)  # type: ignore[arg-type]
