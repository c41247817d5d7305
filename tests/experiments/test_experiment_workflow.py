"""Experiment use cases below the CLI: feature tables, user tables, power planning."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.errors import ConfigError, DataError
from graphkit.store.local_store import LocalStore
from graphkit.workflows import experiments as workflow


@pytest.fixture
def tiny_settings(tiny_dataset_dir: Path, tmp_path: Path) -> Settings:
    LocalStore(tmp_path / "store").load(load_dataset(tiny_dataset_dir))
    return Settings(store_dir=tmp_path / "store")


def test_graph_feature_table_builds_the_full_table_only_when_needed(tiny_settings):
    cheap = workflow.graph_feature_table(tiny_settings, None, ["degree", "community"])
    assert "betweenness" not in cheap.table.columns
    full = workflow.graph_feature_table(tiny_settings, None, ["degree", "closeness"])
    assert "closeness" in full.table.columns


def test_user_tables_name_the_file(tmp_path: Path):
    with pytest.raises(DataError, match="does not exist") as error:
        workflow.read_user_table(tmp_path / "nope.csv")
    assert "nope.csv" in error.value.message
    empty = tmp_path / "empty.csv"
    empty.write_text("variant,y\n", encoding="utf-8")
    with pytest.raises(DataError, match="no rows"):
        workflow.read_user_table(empty)


def test_covariates_for_every_metric_or_one_each(tmp_path: Path):
    table = tmp_path / "t.csv"
    table.write_text(
        "variant,a,b,a0,b0\ncontrol,1,2,1,2\ntreatment,2,3,1,2\ncontrol,1,1,0,1\n",
        encoding="utf-8",
    )
    shared = workflow.experiment_from_table(table, metrics=["a", "b"], covariates=["a0"])
    assert [m.covariate for m in shared.metrics] == ["a0", "a0"]
    each = workflow.experiment_from_table(table, metrics=["a", "b"], covariates=["b=b0"])
    assert [m.covariate for m in each.metrics] == [None, "b0"]
    with pytest.raises(ConfigError, match="must each name their metric"):
        workflow.experiment_from_table(table, metrics=["a"], covariates=["a0", "b0"])
    with pytest.raises(ConfigError, match="not analysed"):
        workflow.experiment_from_table(table, metrics=["a"], covariates=["c=a0"])


def test_power_planning_defaults_and_misuse():
    assert workflow.plan_power("mean", delta=0.5).power == 0.8
    assert workflow.plan_power("mean", n=100, power=0.9).mde > 0
    assert workflow.plan_power("proportion", baseline=0.1, n=5000).p2 > 0.1
    with pytest.raises(ConfigError, match="baseline is needed for kind 'proportion'"):
        workflow.plan_power("proportion", target=0.2)
    with pytest.raises(ConfigError, match="delta is for kind 'mean'"):
        workflow.plan_power("proportion", baseline=0.1, delta=0.1)
    with pytest.raises(ConfigError, match="kind 'ratio' is not a kind"):
        workflow.plan_power("ratio", delta=1)  # type: ignore[arg-type]
