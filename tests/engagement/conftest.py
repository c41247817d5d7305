"""Fixtures of the engagement tests: hand-made logs and small simulated datasets."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphkit.dataset import Dataset, load_dataset
from graphkit.engagement.anomaly_detection import AnomalyReport, bands
from graphkit.engagement.eventlog import ActivityLog, day_labels, summarise_events
from graphkit.simulation import SimulatedEvents, SimulatedNetwork, simulate_events, simulate_network
from graphkit.simulation import write_dataset as write_simulated


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


# A weekly cycle like a social app's (Saturday 40% above Monday), Monday = 0.
PROFILE = np.array([0.85, 0.88, 0.9, 0.92, 1.0, 1.25, 1.2])
PROFILE = PROFILE / PROFILE.mean()
MONDAY = 20454 - 3  # day number of Monday 2025-12-29


def seasonal_series(days: int = 112, *, noise: float = 0.02, seed: int = 0) -> pd.Series:
    """A growing metric with a strong weekly cycle and 2% noise, indexed by day number."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    level = 1000.0 * (1 + 0.003 * t)
    values = level * PROFILE[t % 7] * (1 + noise * rng.standard_normal(days))
    return pd.Series(values, index=MONDAY + t)


def spiked_report() -> AnomalyReport:
    # Ten weeks of a seasonal DAU-like series with an outage on the last day.
    values = seasonal_series(70)
    values.iloc[-1] *= 0.4
    table = bands(values, rule="sigma", k=3, window=56, min_history=14)
    table.insert(0, "date", [str(d) for d in day_labels(values.index.to_numpy())])
    table["reported"] = True
    return AnomalyReport(
        metric="dau", rule="sigma", k=3.0, window=56, min_history=14,
        series=table.reset_index(drop=True),
    )  # fmt: skip
