"""Fixtures of the engagement tests: hand-made logs and small simulated datasets."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from graphkit.dataset import Dataset, load_dataset
from graphkit.engagement.eventlog import ActivityLog, summarise_events
from graphkit.simulate import SimulatedEvents, SimulatedNetwork, simulate_events, simulate_network
from graphkit.simulate import write_dataset as write_simulated


def users_frame(text: str) -> pd.DataFrame:
    """Users from CSV text (``user_id,signup_at[,...]``), times parsed as UTC."""
    users = pd.read_csv(io.StringIO(text), dtype={"user_id": str})
    users["signup_at"] = pd.to_datetime(users["signup_at"], utc=True)
    return users


def events_frame(text: str) -> pd.DataFrame:
    """Events from CSV text (``user_id,at,event,value,session_id``)."""
    events = pd.read_csv(io.StringIO(text), dtype={"user_id": str, "session_id": str})
    events["at"] = pd.to_datetime(events["at"], utc=True)
    events["session_id"] = (
        events["session_id"].astype(object).where(events["session_id"].notna(), None)
    )
    return events


def log_from_text(users: str, events: str, **kwargs: object) -> ActivityLog:
    return summarise_events([events_frame(events)], users_frame(users), **kwargs)  # type: ignore[arg-type]


def log_from_simulation(
    sim: SimulatedNetwork, events: SimulatedEvents, **kwargs: object
) -> ActivityLog:
    """An ActivityLog straight from simulator frames (no files, no store)."""
    frame = events.events.assign(at=pd.to_datetime(events.events["at"], utc=True))
    users = sim.users.assign(signup_at=pd.to_datetime(sim.users["signup_at"], utc=True))
    return summarise_events([frame], users, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def small_simulation() -> tuple[SimulatedNetwork, SimulatedEvents]:
    """200 users over 42 days: small enough to load into Neo4j in seconds."""
    sim = simulate_network(200, seed=5, days=42)
    return sim, simulate_events(sim, n_anomalies=2)


@pytest.fixture(scope="session")
def small_dataset_dir(
    tmp_path_factory: pytest.TempPathFactory,
    small_simulation: tuple[SimulatedNetwork, SimulatedEvents],
) -> Path:
    folder = tmp_path_factory.mktemp("small_engagement")
    sim, events = small_simulation
    write_simulated(sim, folder)
    write_simulated(events, folder)
    return folder


@pytest.fixture(scope="session")
def small_dataset(small_dataset_dir: Path) -> Dataset:
    return load_dataset(small_dataset_dir)
