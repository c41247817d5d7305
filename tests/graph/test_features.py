"""The one feature path: a features file, then written-back properties, then computing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.dataset import load_dataset
from graphkit.errors import DataError, ParameterError
from graphkit.graph.features import (
    COSTLY_FEATURES,
    FEATURE_COLUMNS,
    GRAPH_FEATURES,
    user_features,
)
from graphkit.graph.pull import SubgraphSpec
from graphkit.simulation import simulate_network, write_dataset
from graphkit.store import LocalStore
from graphkit.workflows.network import centrality, features


@pytest.fixture
def network_store(tmp_path: Path):
    """A 60-user simulated network in an embedded store."""
    write_dataset(simulate_network(60, seed=4), tmp_path / "data")
    store = LocalStore(tmp_path / "store")
    store.load(load_dataset(tmp_path / "data"))
    yield store
    store.close()


def test_one_list_of_feature_columns():
    assert ["user_id", *GRAPH_FEATURES] == FEATURE_COLUMNS
    assert set(COSTLY_FEATURES) < set(GRAPH_FEATURES)


def test_computes_only_the_needed_columns_exactly_as_the_full_table(network_store):
    full = features(network_store, engine="networkx").table
    cheap = [c for c in GRAPH_FEATURES if c not in COSTLY_FEATURES]
    found = user_features(network_store, cheap, engine="networkx")
    assert found.source == "features computed now on the whole graph"
    assert list(found.table.columns) == ["user_id", *cheap]
    pd.testing.assert_frame_equal(found.table, full[["user_id", *cheap]])
    # influencer ranks by PageRank, so asking for it brings PageRank along.
    flags = user_features(network_store, ["influencer"], engine="networkx").table
    assert list(flags.columns) == ["user_id", "pagerank", "influencer"]
    # A consumer that uses every feature it finds can ask for more than it needs.
    more = user_features(network_store, ["degree"], compute=["closeness"], engine="networkx")
    pd.testing.assert_frame_equal(more.table, full[["user_id", "degree", "closeness"]])


def test_written_back_features_come_before_computing(network_store):
    written = features(network_store, write_back=True, engine="networkx").table
    found = user_features(network_store, ["degree", "betweenness"])
    assert found.source == "features written back to the store"
    assert list(found.table.columns) == FEATURE_COLUMNS
    got = found.table.sort_values("user_id").reset_index(drop=True)
    assert got["user_id"].tolist() == written["user_id"].tolist()
    assert got["betweenness"].tolist() == pytest.approx(written["betweenness"].tolist())
    # A subgraph is computed on: scores written back describe the whole graph.
    narrowed = user_features(network_store, ["degree"], spec=SubgraphSpec(min_weight=2.0))
    assert narrowed.source == "features computed now on the chosen subgraph"


def test_a_partial_write_back_is_not_taken_for_features(network_store):
    """`centrality --write-back` stores degree / (n - 1) under the feature's name."""
    centrality(network_store, measures=["degree"], write_back=True, engine="networkx")
    found = user_features(network_store, ["degree"], engine="networkx")
    assert found.source == "features computed now on the whole graph"
    assert found.table["degree"].dtype == "int64"  # a count, not the normalised centrality


def test_a_features_file_comes_first(network_store, tmp_path: Path):
    features(network_store, write_back=True, engine="networkx")
    table = pd.DataFrame({"user_id": ["u1", "u2"], "degree": [7, 9]})
    for suffix in ("csv", "json", "parquet"):
        path = tmp_path / f"features.{suffix}"
        if suffix == "csv":
            table.to_csv(path, index=False)
        elif suffix == "json":
            table.to_json(path, orient="records")
        else:
            table.to_parquet(path, index=False)
        found = user_features(network_store, ["degree"], path=path)
        assert found.source == f"features from {path}"
        assert found.table["degree"].tolist() == [7, 9]
        assert found.table["user_id"].tolist() == ["u1", "u2"]
    with pytest.raises(DataError, match="no column"):
        user_features(network_store, ["pagerank"], path=tmp_path / "features.csv")


def test_bad_requests_name_the_parameter(network_store, tmp_path: Path):
    with pytest.raises(ParameterError) as unknown:
        user_features(network_store, ["eigenvector"])
    assert unknown.value.parameter == "needed"
    with pytest.raises(ParameterError) as missing:
        user_features(network_store, ["degree"], path=tmp_path / "nope.csv")
    assert missing.value.parameter == "features" and "does not exist" in missing.value.message
    with pytest.raises(ParameterError) as share:
        user_features(network_store, ["influencer"], influencer_share=0)
    assert share.value.parameter == "influencer_share"


def test_experiments_and_engagement_reach_features_by_the_same_path(network_store, tmp_path):
    """`ab segments` and `engagement position` see the same columns for the same store."""
    from graphkit.config import Settings
    from graphkit.workflows.experiments import graph_feature_table

    features(network_store, write_back=True, engine="networkx")
    network_store.close()
    settings = Settings(store_dir=tmp_path / "store")
    experiments = graph_feature_table(settings, None, ["degree", "influencer"])
    store = LocalStore(tmp_path / "store")  # engagement passes its opened store
    engagement = user_features(store, ["degree", "pagerank", "community"])
    store.close()
    assert experiments.source == engagement.source == "features written back to the store"
    pd.testing.assert_frame_equal(experiments.table, engagement.table)
