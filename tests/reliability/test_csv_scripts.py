"""The Neo4j Browser LOAD CSV scripts never let a column overwrite the key users or
interactions are matched on, and agree with `graphkit load` on keys (so both can mix)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.config import Settings
from graphkit.dataset import load_dataset
from graphkit.store.base import EdgeFilter
from graphkit.store.local_store import LocalStore
from graphkit.store.neo4j_store import Neo4jStore
from graphkit.store.queries import query, statements
from tests.conftest import write_dataset
from tests.store.test_neo4j_store import required_env

pytestmark = pytest.mark.neo4j

USERS = """user_id,id,pagerank,city,signup_at
a|1,x,0.9,Paris,2026-01-01T00:00:00Z
b\\2,a|1,0.1, Rome ,
c,c2,,,
"""
INTERACTIONS = """source_id,target_id,type,at,weight,key
a|1,b\\2,li|ke,2026-01-02T00:00:00Z,2,forged
b\\2,c,like,2026-01-03T00:00:00Z,,forged
"""


def run_cypher(settings: Settings, text: str, **params) -> None:
    import neo4j

    auth = (settings.neo4j_user, settings.neo4j_password or "")
    with (
        neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver,
        driver.session(database=settings.neo4j_database) as session,
    ):
        session.run(text, params).consume()  # IN TRANSACTIONS: auto-commit only


def test_csv_columns_cannot_overwrite_keys(neo4j_settings: Settings, tmp_path: Path):
    import_dir = Path(required_env("GRAPHKIT_TEST_NEO4J_IMPORT_DIR"))
    import_dir.mkdir(parents=True, exist_ok=True)
    (import_dir / "users_keys.csv").write_text(USERS, encoding="utf-8")
    (import_dir / "interactions_keys.csv").write_text(INTERACTIONS, encoding="utf-8")
    for statement in statements("schema"):
        run_cypher(neo4j_settings, statement)
    run_cypher(neo4j_settings, query("csv/load_users_csv"), users_url="file:///users_keys.csv")
    run_cypher(
        neo4j_settings,
        query("csv/load_interactions_csv"),
        interactions_url="file:///interactions_keys.csv",
    )
    store = Neo4jStore(neo4j_settings)
    try:
        users = store.users_table().set_index("user_id")
        assert list(users.index) == ["a|1", "b\\2", "c"]  # the id column did not replace them
        assert "pagerank" not in users.columns  # scores are graphkit's, never copied
        assert users.loc["a|1", "city"] == "Paris" and users.loc["b\\2", "city"] == "Rome"
        assert pd.isna(users.loc["c", "city"])  # empty: no property
        assert store.counts().interactions == 2

        # graphkit load on top MERGEs on the same keys: nothing is duplicated.
        folder = write_dataset(
            tmp_path / "d",
            "user_id,city\na|1,Paris\nb\\2,Rome\nc,\n",
            INTERACTIONS.replace(",key", "").replace(",forged", ""),
        )
        dataset = load_dataset(folder)
        store.load(dataset)
        assert store.counts().interactions == 2
        reference = LocalStore(tmp_path / "reference")
        reference.load(dataset)
        pd.testing.assert_frame_equal(
            store.aggregate_edges(EdgeFilter(), directed=True),
            reference.aggregate_edges(EdgeFilter(), directed=True),
        )
    finally:
        store.close()
