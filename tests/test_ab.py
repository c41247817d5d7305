"""`graphkit.ab.*` from Python gives exactly what `graphkit ab ... --format json` prints.

Each twin runs on a real store (the embedded one in tmp_path; Neo4j too for analyze)
and its ``to_dict()`` (through the CLI's JSON encoder) must equal the command's output.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from scipy.stats import norm
from typer.testing import CliRunner

import graphkit
from graphkit import ab
from graphkit.cli import app
from graphkit.cli.common import to_json
from graphkit.dataset import load_dataset
from graphkit.errors import ParameterError
from graphkit.experiments.network.design import DesignSettings
from graphkit.experiments.settings import AnalysisSettings, ExperimentSource
from graphkit.experiments.simulation import simulate_experiment
from graphkit.simulation import simulate_network, write_dataset
from graphkit.store import LocalStore
from graphkit.workflows.network_experiments import SpilloverSettings
from tests.cli.test_ab import store_args

runner = CliRunner()


def cli_json(*args: str, env: dict | None = None) -> Any:
    base = {"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""}
    result = runner.invoke(app, [*args, "-f", "json"], env={**base, **(env or {})})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def as_json(result: Any) -> Any:
    return json.loads(to_json(result.to_dict()))


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("twins") / "data"
    network = simulate_network(300, seed=5)
    experiment = simulate_experiment(
        network, experiment="onboarding", seed=5, effects={"sessions": 0.3}
    )
    write_dataset(network, folder)
    write_dataset(experiment, folder)
    return folder


@pytest.fixture(scope="module")
def store_dir(dataset_dir: Path, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("twins") / "store"
    LocalStore(folder).load(load_dataset(dataset_dir))
    return folder


@pytest.fixture
def store(store_dir: Path):
    opened = LocalStore(store_dir)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def user_table(store_dir: Path, tmp_path_factory) -> Path:
    """A per-user table (the stored experiment's metrics) for the --table paths."""
    data = ab.experiment_data(
        LocalStore(store_dir), ExperimentSource(experiment="onboarding", metrics=("sessions",))
    )
    path = tmp_path_factory.mktemp("twins") / "users.csv"
    data.table.to_csv(path, index=False)
    return path


def test_the_notebook_api_has_every_ab_command():
    ab_group = next(g for g in app.registered_groups if g.name == "ab").typer_instance
    names = {c.name for c in ab_group.registered_commands}
    assert names == set(ab.__all__) - {"experiment_data"}
    assert graphkit.ab is ab


def test_analyze_twin_equals_the_cli(store, store_dir: Path):
    settings = AnalysisSettings(alpha=0.1, adjust_for=("degree",), mde=0.05)
    report = ab.analyze(store, ExperimentSource(experiment="onboarding"), settings)
    printed = cli_json(
        "ab", "analyze", "onboarding", "--store", str(store_dir), "--alpha", "0.1",
        "--adjust", "degree", "--mde", "0.05",
    )  # fmt: skip
    assert as_json(report) == printed
    csv = runner.invoke(
        app, ["ab", "analyze", "onboarding", "--store", str(store_dir), "--alpha", "0.1",
              "--adjust", "degree", "--mde", "0.05", "-f", "csv"],
        env={"GRAPHKIT_NEO4J_URI": ""},
    ).stdout  # fmt: skip
    assert report.to_frame().to_csv(index=False) == csv


def test_analyze_twin_on_a_table_needs_no_store(user_table: Path):
    report = ab.analyze(None, ExperimentSource(table=user_table, metrics=("sessions:count",)))
    assert as_json(report) == cli_json(
        "ab", "analyze", "--table", str(user_table), "-m", "sessions:count"
    )


@pytest.mark.neo4j
def test_analyze_twin_on_neo4j_equals_the_cli(dataset_dir: Path, tmp_path: Path):
    from tests.conftest import open_test_store

    neo4j = open_test_store("neo4j", tmp_path)
    try:
        neo4j.load(load_dataset(dataset_dir))
        report = ab.analyze(neo4j, ExperimentSource(experiment="onboarding"))
    finally:
        neo4j.close()
    args, env = store_args("neo4j", None)
    assert as_json(report) == cli_json("ab", "analyze", "onboarding", *args, env=env)


def test_power_twin_equals_the_cli():
    plan = ab.power("proportion", baseline=0.1, target=0.12, cluster_size=20, icc=0.01)
    printed = cli_json(
        "ab", "power", "--kind", "proportion", "--baseline", "0.1", "--target", "0.12",
        "--cluster-size", "20", "--icc", "0.01",
    )  # fmt: skip
    assert as_json(plan) == printed
    # Closed form of power.prop.test (the wrong tail adds < 1e-9 here), times the design
    # effect 1 + (M - 1)·ICC = 1.19.
    z_a, z_b = norm.ppf(0.975), norm.ppf(0.8)
    p1, p2, mean = 0.1, 0.12, 0.11
    root = z_a * math.sqrt(2 * mean * (1 - mean)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    assert plan.to_dict()["design_effect"] == pytest.approx(1.19)
    # rel 1e-5: n is found by root search to R uniroot's tolerance
    assert plan.result.n_per_group == pytest.approx(root**2 / (p2 - p1) ** 2 * 1.19, rel=1e-5)


def test_aa_twin_equals_the_cli(store, store_dir: Path, user_table: Path):
    report = ab.aa(store, metrics=["sessions"], simulations=50, seed=3)
    printed = cli_json(
        "ab", "aa", "--store", str(store_dir), "-m", "sessions", "-n", "50", "--seed", "3"
    )
    assert as_json(report) == printed
    from_table = ab.aa(None, table=user_table, metrics=["sessions"], simulations=50)
    assert as_json(from_table) == cli_json(
        "ab", "aa", "--table", str(user_table), "-m", "sessions", "-n", "50"
    )
    with pytest.raises(ParameterError, match=r"^metrics "):
        ab.aa(None, table=user_table)


def test_survival_twin_equals_the_cli(store, store_dir: Path):
    report = ab.survival(store, experiment="onboarding", churn_days=5)
    printed = cli_json(
        "ab", "survival", "onboarding", "--store", str(store_dir), "--churn-days", "5"
    )
    assert as_json(report) == printed
    assert report.durations is not None and len(report.durations) == sum(
        report.comparison.n.values()
    )


def test_segments_twin_equals_the_cli(store, store_dir: Path):
    source = ExperimentSource(experiment="onboarding", metrics=("sessions",))
    report = ab.segments(store, source, by=["degree", "community"], deciles=4)
    printed = cli_json(
        "ab", "segments", "onboarding", "--store", str(store_dir), "-m", "sessions",
        "--by", "degree", "--by", "community", "--deciles", "4",
    )  # fmt: skip
    assert as_json(report) == printed


def test_monitor_twin_equals_the_cli(store, store_dir: Path):
    result = ab.monitor(store, "onboarding", metrics=["sessions"], every_days=7)
    printed = cli_json(
        "ab", "monitor", "onboarding", "--store", str(store_dir), "-m", "sessions", "--every", "7d"
    )
    assert as_json(result) == printed


def test_assign_twin_equals_the_cli(store, store_dir: Path, tmp_path: Path):
    moment = pd.Timestamp("2024-03-01T00:00:00Z").to_pydatetime()
    result = ab.assign(store, "trial", variants=["a", "b"], weights=[30, 70], assigned_at=moment)
    out = tmp_path / "assignments.csv"
    run = runner.invoke(
        app,
        ["ab", "assign", "trial", "--store", str(store_dir), "--variants", "a,b",
         "--weights", "30,70", "--assigned-at", "2024-03-01T00:00:00Z", "--out", str(out)],
        env={"GRAPHKIT_NEO4J_URI": ""},
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert result.to_frame().to_csv(index=False, lineterminator="\n") == out.read_text()
    counts = result.to_dict()["variants"]
    assert counts["a"]["users"] + counts["b"]["users"] == len(store.user_ids())
    assert counts["a"]["planned"] == pytest.approx(0.3)


def test_design_and_spillover_twins_equal_the_cli(store, store_dir: Path, tmp_path: Path):
    moment = pd.Timestamp("2030-01-01T00:00:00Z").to_pydatetime()
    design = ab.design(store, DesignSettings("netexp", unit="cluster", seed=1), until=moment)
    printed = cli_json(
        "ab", "design", "netexp", "--store", str(store_dir), "--unit", "cluster", "--seed", "1",
        "--assigned-at", "2030-01-01T00:00:00Z", "--out", str(tmp_path / "assignments.csv"),
    )  # fmt: skip
    assert as_json(design) == printed
    table = design.assignments.rename(columns=str)[["user_id", "variant"]].assign(
        y=lambda t: t["user_id"].str.len().astype(float)
    )
    path = tmp_path / "outcomes.csv"
    table.to_csv(path, index=False)
    spill = ab.spillover(store, SpilloverSettings(exposure="any", seed=2), metric="y", table=path)
    assert as_json(spill) == cli_json(
        "ab", "spillover", "--store", str(store_dir), "--table", str(path), "-m", "y",
        "--exposure", "any", "--seed", "2",
    )  # fmt: skip


def test_sources_are_checked_once_naming_parameters():
    with pytest.raises(ParameterError) as both:
        ExperimentSource(experiment="x", table="t.csv")
    assert both.value.parameter == "table" and "not both" in str(both.value)
    with pytest.raises(ParameterError) as stored:
        ExperimentSource(experiment="x", covariates=("pre",))
    assert stored.value.parameter == "covariates" and "--" not in str(stored.value)
