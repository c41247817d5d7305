"""Events staged in chunks load into Neo4j in batches and give what the embedded store holds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from graphkit.config import Settings
from graphkit.dataset import StagedEvents, load_dataset
from graphkit.simulation import simulate_events, simulate_network, write_dataset
from graphkit.store import neo4j_store
from graphkit.store.local_store import LocalStore
from graphkit.store.neo4j_store import Neo4jStore


def simulated(folder: Path) -> Path:
    sim = simulate_network(80, seed=3)
    write_dataset(sim, folder)
    write_dataset(simulate_events(sim, seed=3), folder)
    return folder


@pytest.mark.neo4j
def test_neo4j_load_of_chunked_events_equals_the_embedded_one(
    neo4j_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(neo4j_store, "RELATIONSHIP_BATCH", 250)  # many batches in flight
    folder = simulated(tmp_path / "data")
    dataset = load_dataset(folder, stage_events=True, chunk_rows=700)
    assert isinstance(dataset.events, StagedEvents) and len(dataset.events) > 2_000
    # The events of a few chunks again with a corrected value: keys repeat, the MERGE path.
    events = dataset.events.to_frame()
    corrected = events.iloc[100:1500].assign(value=events["value"].iloc[100:1500] + 1)
    neo, local = Neo4jStore(neo4j_settings), LocalStore(tmp_path / "store")
    try:
        for store in (neo, local):
            summary = store.load(dataset)  # staged: read in batches
            assert summary.events == len(events)
        pd.testing.assert_frame_equal(neo.events(), local.events())
        for store in (neo, local):
            store.load(replace(dataset, events=corrected))  # a frame this time
        both = neo.events()
        pd.testing.assert_frame_equal(both, local.events())
        assert len(both) == len(events)  # replaced by key, none added
        assert both["value"].sum() == pytest.approx(
            events["value"].sum() + corrected["value"].notna().sum()
        )
    finally:
        neo.close()
        dataset.events.close()
