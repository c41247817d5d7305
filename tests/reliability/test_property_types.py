"""A later load that changes a property's type: one policy, the same in both stores.

Neo4j stored "unknown" next to ages stored as numbers; the embedded store crashed with a
pyarrow error. Now a property keeps the kind it was first stored with: numbers for a text
property are stored as text, as written; anything else is refused before writing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.dataset import load_dataset
from graphkit.errors import DataError
from tests.conftest import write_dataset


def load(store, folder: Path, users: str) -> None:
    first = users.splitlines()[1].split(",")[0]  # one self-interaction: users are the point
    interactions = f"source_id,target_id,type,at\n{first},{first},like,2026-01-05T10:00:00Z\n"
    store.load(load_dataset(write_dataset(folder, users, interactions)))


def users_of(store) -> pd.DataFrame:
    return store.users_table().set_index("user_id").sort_index()


def test_text_for_a_number_property_is_refused_and_nothing_written(empty_store, tmp_path):
    load(empty_store, tmp_path / "first", "user_id,age\na,31\nb,40\n")
    before = users_of(empty_store)
    with pytest.raises(DataError) as caught:
        load(empty_store, tmp_path / "second", "user_id,age\nc,29\nb,unknown\n")
    error = caught.value
    assert error.location is not None
    assert (Path(error.location.file).name, error.location.line, error.location.column) == (
        "users.csv",
        3,
        "age",
    )
    assert "'unknown'" in error.message and "numbers" in error.message
    pd.testing.assert_frame_equal(users_of(empty_store), before)  # c not added, b unchanged


def test_numbers_for_a_text_property_are_stored_as_written(empty_store, tmp_path):
    load(empty_store, tmp_path / "first", "user_id,zip\na,02139\n")  # leading zero: text
    load(empty_store, tmp_path / "second", "user_id,zip\nb,12345\nc, 1.50\n")
    zips = users_of(empty_store)["zip"]
    assert zips.to_dict() == {"a": "02139", "b": "12345", "c": "1.50"}


def test_integers_then_fractions_stay_numbers(empty_store, tmp_path):
    load(empty_store, tmp_path / "first", "user_id,score\na,3\n")
    load(empty_store, tmp_path / "second", "user_id,score\nb,2.5\n")
    scores = users_of(empty_store)["score"]
    assert scores.to_dict() == {"a": 3, "b": 2.5}


def test_a_number_with_a_leading_zero_for_a_number_property_is_named(empty_store, tmp_path):
    load(empty_store, tmp_path / "first", "user_id,n\na,5\n")
    with pytest.raises(DataError) as caught:
        load(empty_store, tmp_path / "second", "user_id,n\nb,7\nc,007\n")
    assert caught.value.location is not None and caught.value.location.line == 3
    assert "'007'" in caught.value.message


def test_an_empty_column_changes_nothing(empty_store, tmp_path):
    load(empty_store, tmp_path / "first", "user_id,age\na,31\n")
    load(empty_store, tmp_path / "second", "user_id,age\na,\nb,\n")
    ages = users_of(empty_store)["age"]
    assert ages.dropna().to_dict() == {"a": 31}
    assert list(ages.index) == ["a", "b"]
