"""Dataset policies a user can trip over: column-name case, very long fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.dataset import load_dataset
from graphkit.errors import DataError
from tests.conftest import write_dataset

USERS = "user_id\na\nb\n"


@pytest.mark.parametrize(
    ("table", "header", "expected"),
    [
        ("interactions", "source_id,target_id,type,at,Weight", "weight"),
        ("users", "user_id,Signup_At", "signup_at"),
        ("events", "user_id,at,event,Value", "value"),
        ("events", "user_id,at,event,SESSION_ID", "session_id"),
    ],
)
def test_an_optional_column_in_the_wrong_case_is_refused(tmp_path, table, header, expected):
    # Before: 'Weight' was ignored with a note and every weight silently became 1.
    interactions = "source_id,target_id,type,at\na,b,like,2026-01-01T00:00:00Z\n"
    files = {"users": USERS, "interactions": interactions}
    extra = {"interactions": ",2", "users": ",2026-01-01", "events": ""}[table]
    if table == "events":
        extra = ",5" if "Value" in header else ",s1"
        files["events"] = f"{header}\na,2026-01-01T00:00:00Z,view{extra}\n"
    else:
        rows = files[table].splitlines()[1:]
        files[table] = header + "\n" + "".join(f"{row}{extra}\n" for row in rows)
    folder = write_dataset(
        tmp_path / "d", files["users"], files["interactions"], events=files.get("events")
    )
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    wrong = header.split(",")[-1]
    location = caught.value.location
    assert location is not None and location.column == wrong and location.line == 1
    assert f"rename {wrong!r} to {expected!r}" in (caught.value.hint or "")


def test_a_one_megabyte_field_loads_as_written(empty_store, tmp_path: Path):
    bio = "x" * 1_000_000 + ', "quoted", and\nmore'
    users = 'user_id,bio\na,"' + bio.replace('"', '""') + '"\nb,short\n'
    folder = write_dataset(tmp_path / "big", users, "source_id,target_id,type,at\n")
    (folder / "interactions.csv").write_text(
        "source_id,target_id,type,at\na,b,like,2026-01-01T00:00:00Z\n", encoding="utf-8"
    )
    empty_store.load(load_dataset(folder))
    stored = empty_store.users_table().set_index("user_id")["bio"]
    assert stored["a"] == bio and stored["b"] == "short"


def test_a_bad_byte_after_a_lone_carriage_return_is_located(tmp_path):
    # Found by the fuzz profile: naming the column of the bad byte parsed the line's prefix
    # with the csv module, which raised on the lone CR instead of the located error.
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "users.csv").write_bytes(b"user_id,signup_at\r\nx,\r\n")
    (folder / "interactions.csv").write_bytes(
        b"source_id,target_id,type,at,weight\r\nx,x,like,2000-01-01T00:00:00,\r,\x80\n"
    )
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    assert "interactions.csv, line 2" in str(caught.value)
    assert "0x80" in str(caught.value)
