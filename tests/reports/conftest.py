"""Fixtures of the report tests: a small simulated network, loaded into the embedded store.

The network is simulated (seeded, deterministic) and goes through the real path:
CSV files → ``graphkit.workflows.load`` → embedded store → ``influencer_report``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import networkx as nx
import pandas as pd
import pytest

from graphkit.config import Settings
from graphkit.dataset import Dataset, load_dataset
from graphkit.experiments.assignment import assign
from graphkit.experiments.simulation import simulate_experiment
from graphkit.reports.browser import BrowserQuery, browser_query
from graphkit.reports.document import Report
from graphkit.simulation import simulate_events, simulate_network, write_dataset
from graphkit.workflows import build_features, load
from graphkit.workflows.reports import engagement_report, experiment_report, influencer_report
from tests.conftest import require_neo4j, wipe

matplotlib.use("Agg")

SMALL_NETWORK = {"n_users": 300, "seed": 5, "interactions_per_user": 8, "days": 60}
EXPERIMENT = "onboarding"


def write_small_dataset(folder: Path) -> Path:
    """The small simulated network plus a 50/50 experiment over every user."""
    params = dict(SMALL_NETWORK)
    sim = simulate_network(params.pop("n_users"), **params)
    write_dataset(sim, folder)
    variants = assign(sim.users["user_id"], EXPERIMENT).reset_index()
    assignments = pd.DataFrame(
        {
            "experiment": EXPERIMENT,
            "user_id": variants["user_id"],
            "variant": variants["variant"],
            "assigned_at": sim.users["signup_at"].where(
                sim.users["signup_at"] > "2026-01-01", "2026-01-01T00:00:00Z"
            ),
        }
    )
    assignments.to_csv(folder / "assignments.csv", index=False)
    return folder


@pytest.fixture(scope="session")
def small_dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_dataset(tmp_path_factory.mktemp("small") / "dataset")


@pytest.fixture(scope="session")
def small_store(small_dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of an embedded store holding the small network."""
    settings = Settings(store_dir=tmp_path_factory.mktemp("small-store"))
    load(small_dataset_dir, settings)
    return settings


@pytest.fixture(scope="session")
def small_report(small_store: Settings) -> Report:
    return influencer_report(small_store, top=10, seed=0)


# ------------------------------------------------------------------------------ A/B, engagement

SIMULATED_EXPERIMENT = "feed"
ACTIVITY_NETWORK = {"n_users": 300, "seed": 7}


def write_experiment_dataset(folder: Path) -> Path:
    """What `graphkit simulate --users 300 --seed 7 --experiment feed --effect
    sessions=0.1` writes: a network, assignments.csv and pre/post events.csv."""
    params = dict(ACTIVITY_NETWORK)
    sim = simulate_network(params.pop("n_users"), **params)
    write_dataset(sim, folder)
    result = simulate_experiment(
        sim, experiment=SIMULATED_EXPERIMENT, seed=7, effects={"sessions": 0.1}
    )
    write_dataset(result, folder, force=True)  # type: ignore[arg-type]
    return folder


def write_activity_dataset(folder: Path) -> Path:
    """What `graphkit simulate --users 300 --seed 7` writes: a network and events.csv."""
    params = dict(ACTIVITY_NETWORK)
    sim = simulate_network(params.pop("n_users"), **params)
    write_dataset(sim, folder)
    write_dataset(simulate_events(sim, seed=7), folder, force=True)
    return folder


@pytest.fixture(scope="session")
def experiment_store(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An embedded store holding the simulated experiment."""
    folder = write_experiment_dataset(tmp_path_factory.mktemp("experiment") / "dataset")
    settings = Settings(store_dir=tmp_path_factory.mktemp("experiment-store"))
    load(folder, settings)
    return settings


@pytest.fixture(scope="session")
def activity_store(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An embedded store holding simulated activity (events.csv)."""
    folder = write_activity_dataset(tmp_path_factory.mktemp("activity") / "dataset")
    settings = Settings(store_dir=tmp_path_factory.mktemp("activity-store"))
    load(folder, settings)
    return settings


@pytest.fixture(scope="session")
def experiment_doc(experiment_store: Settings) -> Report:
    return experiment_report(experiment_store, SIMULATED_EXPERIMENT)


@pytest.fixture(scope="session")
def engagement_doc(activity_store: Settings) -> Report:
    return engagement_report(activity_store)


# ------------------------------------------------------------------------------ Neo4j


def example_values(query: BrowserQuery) -> dict[str, Any]:
    """The header's `:param` examples as the values Browser would send."""
    return {name: ast.literal_eval(value) for name, value in query.params.items()}


class Loaded:
    """The test Neo4j holding the small network, features written back, and the truth."""

    def __init__(self, settings: Settings, dataset: Dataset, features: pd.DataFrame) -> None:
        import neo4j

        self.settings = settings
        self.dataset = dataset
        self.features = features.set_index("user_id")
        auth = (settings.neo4j_user, settings.neo4j_password or "")
        self.driver = neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth)
        inter = dataset.interactions
        self.interactions = inter[inter["source_id"] != inter["target_id"]]
        self.graph = nx.Graph()
        self.graph.add_edges_from(
            zip(self.interactions["source_id"], self.interactions["target_id"], strict=True)
        )

    def run(self, name: str, **overrides: Any) -> list[dict[str, Any]]:
        query = browser_query(name)
        params = {**example_values(query), **overrides}
        with self.driver.session(database=self.settings.neo4j_database) as session:
            return session.execute_write(lambda tx: [r.data() for r in tx.run(query.text, params)])


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    settings = require_neo4j()
    wipe(settings)
    folder = write_small_dataset(tmp_path_factory.mktemp("browser") / "dataset")
    load(folder, settings)
    features = build_features(settings, write_back=True).table
    state = Loaded(settings, load_dataset(folder), features)
    yield state
    state.driver.close()
