"""Reading and validating datasets: every bad input names its file, line and column."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphkit.dataset import (
    INTERACTIONS,
    MAX_REPORTED,
    RESERVED_USER_COLUMNS,
    USERS,
    interaction_keys,
    load_dataset,
    read_table,
)
from graphkit.errors import DataError, DataErrors, Location
from tests.conftest import TINY_INTERACTIONS, TINY_USERS, write_dataset

HEADER = "source_id,target_id,type,at,weight\n"
A_TO_B = HEADER + "a,b,like,2026-01-05T10:00:00Z,\n"  # needs only users a and b


def load_errors(folder: Path) -> tuple[list[DataError], int]:
    """The errors load_dataset reports (first MAX_REPORTED) and how many there are."""
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    error = info.value
    assert error.exit_code == 2
    if isinstance(error, DataErrors):
        return error.errors, error.total
    return [error], 1


def the_error(folder: Path) -> DataError:
    """The one error load_dataset reports."""
    errors, total = load_errors(folder)
    assert total == 1, [str(e) for e in errors]
    return errors[0]


def at(folder: Path, name: str, line: int | None = None, column: str | None = None) -> Location:
    return Location(str(folder / name), line, column)


def interactions(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


# ------------------------------------------------------------------------ a valid dataset


def test_tiny_dataset_is_typed(tiny_dataset_dir: Path) -> None:
    data = load_dataset(tiny_dataset_dir)
    users, inter = data.users, data.interactions
    assert users["user_id"].tolist() == ["a", "b", "c", "d", "e", "f"]
    assert str(users["signup_at"].dtype) == "datetime64[ns, UTC]"
    assert pd.isna(users.loc[5, "signup_at"])
    assert list(inter.columns) == ["source_id", "target_id", "type", "at", "weight", "key"]
    assert str(inter["at"].dtype) == "datetime64[ns, UTC]"
    assert inter["weight"].tolist() == [3.0, 3.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 1.0]
    assert list(users.index) == list(range(6))
    assert list(inter.index) == list(range(9))
    assert data.source == tiny_dataset_dir
    assert data.property_columns == ["country", "age"]


def test_self_loop_is_kept_with_a_note(tiny_dataset_dir: Path) -> None:
    data = load_dataset(tiny_dataset_dir)
    loops = data.interactions[data.interactions["source_id"] == data.interactions["target_id"]]
    assert loops[["source_id", "type"]].values.tolist() == [["e", "like"]]
    assert data.notes == (
        "1 self-interaction(s) (source = target) are stored but left out of graph analyses",
    )


def test_no_note_without_self_loops(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, interactions=interactions("a,b,like,2026-01-05T10:00:00Z,"))
    assert load_dataset(folder).notes == ()


def test_optional_columns_get_defaults(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path,
        users="user_id\na\nb\n",
        interactions="source_id,target_id,type,at\na,b,like,2026-01-05T10:00:00Z\n",
    )
    data = load_dataset(folder)
    assert list(data.users.columns) == ["user_id", "signup_at"]
    assert data.users["signup_at"].isna().all()
    assert str(data.users["signup_at"].dtype) == "datetime64[ns, UTC]"
    assert data.interactions["weight"].tolist() == [1.0]


def test_empty_weight_means_one(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, interactions=interactions("a,b,like,2026-01-05T10:00:00Z,"))
    assert load_dataset(folder).interactions["weight"].tolist() == [1.0]


def test_naive_timestamps_are_utc_and_offsets_converted(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path,
        interactions=interactions(
            "a,b,like,2026-01-05T10:00:00,1",
            "a,b,like,2026-01-05T12:00:00+02:00,1",
            "a,b,like,2026-01-05 10:00:00Z,1",
            "a,b,like,2026-01-05,1",
        ),
    )
    got = load_dataset(folder).interactions["at"].tolist()
    ten = pd.Timestamp("2026-01-05T10:00:00Z")
    assert got == [ten, ten, ten, pd.Timestamp("2026-01-05T00:00:00Z")]


def test_whitespace_around_ids_and_values_is_stripped(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path,
        users=" user_id , country \n a ,US\nb , DE \n",
        interactions=(
            " source_id,target_id ,type,at,weight\n a , b , like , 2026-01-05T10:00:00Z , 2 \n"
        ),
    )
    data = load_dataset(folder)
    assert data.users["user_id"].tolist() == ["a", "b"]
    assert data.users["country"].tolist() == ["US", "DE"]
    row = data.interactions.iloc[0]
    assert (row["source_id"], row["target_id"], row["type"], row["weight"]) == ("a", "b", "like", 2)
    assert row["key"] == "a|b|like|1767607200000|1"


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="\ufeff" + TINY_USERS)
    assert (tmp_path / "users.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_dataset(folder).users["user_id"].tolist()[:2] == ["a", "b"]


def test_quoted_fields_with_commas_quotes_and_line_breaks(tmp_path: Path) -> None:
    users = (
        'user_id,city,bio\na,"Paris, France","says ""hi"""\nb,Berlin,"two\nlines"\n"c,d",Rome,\n'
    )
    folder = write_dataset(
        tmp_path, users=users, interactions=interactions('a,"c,d","like, a lot",2026-01-05,1')
    )
    data = load_dataset(folder)
    assert data.users["user_id"].tolist() == ["a", "b", "c,d"]
    assert data.users["city"].tolist() == ["Paris, France", "Berlin", "Rome"]
    assert data.users["bio"].tolist() == ['says "hi"', "two\nlines", None]
    assert data.interactions[["target_id", "type"]].values.tolist() == [["c,d", "like, a lot"]]


def test_crlf_line_ends_and_blank_lines_are_accepted(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path,
        users="user_id,age\r\na,1\r\n\r\nb,2\r\n   \r\n",
        interactions=interactions("a,b,like,2026-01-05,1", "", "b,a,like,2026-01-06,1"),
    )
    data = load_dataset(folder)
    assert data.users["user_id"].tolist() == ["a", "b"]
    assert data.users["age"].tolist() == [1, 2]
    assert len(data.interactions) == 2


def test_read_table_indexes_rows_by_their_line(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text('user_id,bio\na,"two\nlines"\n\nb,x\n', encoding="utf-8")
    frame = read_table(path, USERS)
    assert frame.index.tolist() == [2, 5]
    assert frame["user_id"].tolist() == ["a", "b"]


# ------------------------------------------------------------------------ user properties


def test_property_inference(tmp_path: Path) -> None:
    users = (
        "user_id,country,age,score,zip,mixed,empty\n"
        "a,US,30,1.5,02139,1,\n"
        "b,DE,,2,10115,x,\n"
        "c,,41,-0.25,75001,2,\n"
    )
    folder = write_dataset(tmp_path, users=users, interactions=interactions("a,b,like,2026-01-05,"))
    props = load_dataset(folder).users
    assert str(props["age"].dtype) == "Int64"
    assert props["age"].tolist()[0] == 30 and pd.isna(props["age"][1])
    assert props["score"].dtype == np.float64
    assert props["score"].tolist() == [1.5, 2.0, -0.25]
    assert props["country"].tolist() == ["US", "DE", None]
    # Leading zeros would be lost as numbers: a postcode column stays text.
    assert props["zip"].tolist() == ["02139", "10115", "75001"]
    assert props["mixed"].tolist() == ["1", "x", "2"]
    assert props["empty"].tolist() == [None, None, None]


def test_tiny_properties(tiny_dataset_dir: Path) -> None:
    users = load_dataset(tiny_dataset_dir).users
    assert str(users["age"].dtype) == "Int64"
    assert users["age"].isna().tolist() == [False, False, False, True, False, False]
    assert users["country"].tolist() == ["US", "DE", "US", "FR", "US", "GB"]


def test_huge_integers_stay_text(tmp_path: Path) -> None:
    # Beyond int64 a float would silently change the digits.
    folder = write_dataset(
        tmp_path,
        users="user_id,phone\na,123456789012345678901\nb,5\n",
        interactions=interactions("a,b,like,2026-01-05,"),
    )
    assert load_dataset(folder).users["phone"].tolist() == ["123456789012345678901", "5"]


# ------------------------------------------------------------------------ interaction keys


def test_keys_number_exact_repeats(tiny_dataset_dir: Path) -> None:
    keys = load_dataset(tiny_dataset_dir).interactions["key"].tolist()
    assert keys[0] == "a|b|message|1767607200000|1"
    assert keys[6] == "d|e|comment|1768903200000|1"
    assert keys[7] == "d|e|comment|1768903200000|2"
    assert len(set(keys)) == len(keys)


def test_keys_are_deterministic(tiny_dataset_dir: Path) -> None:
    first = load_dataset(tiny_dataset_dir).interactions["key"].tolist()
    assert load_dataset(tiny_dataset_dir).interactions["key"].tolist() == first


def test_keys_do_not_depend_on_the_order_of_other_rows(tmp_path: Path) -> None:
    rows = TINY_INTERACTIONS.splitlines()[1:]
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    original = load_dataset(write_dataset(tmp_path / "one")).interactions
    reordered = load_dataset(
        write_dataset(tmp_path / "two", interactions=interactions(*shuffled))
    ).interactions
    assert shuffled != rows
    cols = ["source_id", "target_id", "type", "at", "weight"]

    def by_row(frame: pd.DataFrame) -> list[tuple[object, ...]]:
        return sorted(frame[[*cols, "key"]].itertuples(index=False, name=None))

    assert by_row(reordered) == by_row(original)


def test_keys_escape_the_separator() -> None:
    frame = pd.DataFrame(
        {
            "source_id": ["auth0|1", "auth0"],
            "target_id": ["x", "1|x"],
            "type": ["like", "like"],
            "at": pd.to_datetime(["2026-01-01", "2026-01-01"], utc=True),
        }
    )
    keys = interaction_keys(frame).tolist()
    assert keys == ["auth0\\|1|x|like|1767225600000|1", "auth0|1\\|x|like|1767225600000|1"]


def test_keys_use_milliseconds_since_epoch_whatever_the_unit() -> None:
    at = pd.to_datetime(["2026-01-01T00:00:00.123Z"], utc=True)
    for unit in ("s", "ms", "us", "ns"):
        frame = pd.DataFrame(
            {"source_id": ["a"], "target_id": ["b"], "type": ["t"], "at": at.as_unit(unit)}
        )
        expected = "1767225600000" if unit == "s" else "1767225600123"
        assert interaction_keys(frame).tolist() == [f"a|b|t|{expected}|1"]


# ------------------------------------------------------------------------ folder and files


def test_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nope"
    error = the_error(folder)
    assert error.location == Location(str(folder))
    assert "does not exist" in error.problem
    assert "users.csv" in (error.expected or "")
    assert "graphkit simulate" in (error.hint or "")


def test_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    write_dataset(tmp_path)
    error = the_error(tmp_path / "users.csv")
    assert error.location == at(tmp_path, "users.csv")
    assert error.problem == "not a folder"


def test_missing_interactions_file_lists_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text(TINY_USERS, encoding="utf-8")
    (tmp_path / "Interactions.CSV").write_text(TINY_INTERACTIONS, encoding="utf-8")
    error = the_error(tmp_path)
    assert error.location == Location(str(tmp_path))
    assert "no interactions.csv or interactions.parquet" in error.problem
    assert "Interactions.CSV" in error.problem
    assert "case-sensitive" in (error.expected or "")


def test_csv_and_parquet_of_the_same_table(tmp_path: Path) -> None:
    write_dataset(tmp_path)
    pd.DataFrame({"user_id": ["a"]}).to_parquet(tmp_path / "users.parquet")
    error = the_error(tmp_path)
    assert error.location == Location(str(tmp_path))
    assert "both users.csv and users.parquet exist" in str(error)
    assert "keep one" in (error.hint or "")


# ------------------------------------------------------------------------ file format


def test_empty_file(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="")
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 1)
    assert error.problem == "the file is empty"
    assert "user_id" in (error.expected or "")


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, interactions="\n  \n\n")
    error = the_error(folder)
    assert error.location == at(folder, "interactions.csv", 1)
    assert error.problem == "the file is empty"
    assert "source_id, target_id, type, at" in (error.expected or "")


def test_header_only_file(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, interactions=HEADER)
    error = the_error(folder)
    assert error.location == at(folder, "interactions.csv", 2)
    assert "header but no rows" in error.problem
    assert "interactions row" in (error.expected or "")


@pytest.mark.parametrize(("sep", "word"), [(";", "semicolons"), ("\t", "tabs")])
@pytest.mark.parametrize("table", ["users", "interactions"])
def test_wrong_delimiter(tmp_path: Path, sep: str, word: str, table: str) -> None:
    text = {"users": TINY_USERS, "interactions": TINY_INTERACTIONS}[table].replace(",", sep)
    folder = write_dataset(tmp_path, **{table: text})
    error = the_error(folder)
    assert error.location == at(folder, f"{table}.csv", 1)
    assert f"columns are separated by {word}" in error.problem
    assert "comma-separated" in (error.expected or "")
    assert "','" in (error.hint or "")


def test_latin1_byte_names_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_bytes(
        b"user_id,signup_at,country\na,2026-01-01,US\nb,2026-01-01,Espa\xf1a\n"
    )
    (tmp_path / "interactions.csv").write_text(TINY_INTERACTIONS, encoding="utf-8")
    errors, total = load_errors(tmp_path)
    assert total == 1
    error = errors[0]
    assert error.location == at(tmp_path, "users.csv", 3, "country")
    assert "byte 0xf1 is not valid UTF-8" in error.problem
    assert "'ñ'" in error.problem
    assert error.expected == "a UTF-8 encoded file"
    assert "iconv" in (error.hint or "")


def test_latin1_byte_in_the_header(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_bytes(b"user_id,pa\xefs\na,x\n")
    (tmp_path / "interactions.csv").write_text(TINY_INTERACTIONS, encoding="utf-8")
    error = load_errors(tmp_path)[0][0]
    assert error.location == at(tmp_path, "users.csv", 1)


def test_utf16_file(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_bytes(TINY_USERS.encode("utf-16"))
    (tmp_path / "interactions.csv").write_text(TINY_INTERACTIONS, encoding="utf-8")
    error = load_errors(tmp_path)[0][0]
    assert error.location == at(tmp_path, "users.csv", 1)
    assert "UTF-16" in error.problem


def test_too_many_fields_names_the_line(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path,
        interactions=interactions(
            "a,b,like,2026-01-05,1", "b,c,message,2026-01-05,Paris, France", "c,a,like,2026-01-05,"
        ),
    )
    error = the_error(folder)
    assert error.location == at(folder, "interactions.csv", 3)
    assert error.problem == "6 fields where the header has 5"
    assert "5 comma-separated fields: source_id, target_id, type, at, weight" in str(error)
    assert "quote" in (error.hint or "")


def test_ragged_line_after_a_quoted_line_break(tmp_path: Path) -> None:
    # pandas' own "Expected 2 fields in line N" counts records, not lines: it would say 3.
    folder = write_dataset(tmp_path, users='user_id,bio\na,"two\nlines"\nb,x,extra\nc,y\n')
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 4)
    assert error.problem == "3 fields where the header has 2"


def test_ragged_line_after_blank_lines(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="user_id,age\na,1\n\n\nb,2,3\n")
    assert the_error(folder).location == at(folder, "users.csv", 5)


def test_too_few_fields_is_an_error(tmp_path: Path) -> None:
    # Padding a short line with empty values would hide a broken line (e.g. a line break
    # inside an unquoted value) and load a made-up user.
    folder = write_dataset(tmp_path, users="user_id,city,age\na,New\nYork,30\nb,Rome,4\n")
    errors, total = load_errors(folder)
    assert total == 2
    assert [e.location for e in errors] == [at(folder, "users.csv", 2), at(folder, "users.csv", 3)]
    assert errors[0].problem == "2 fields where the header has 3"


def test_semicolon_data_lines_under_a_comma_header(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="user_id,age\na;1\n")
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 2)
    assert error.problem == "1 field where the header has 2"
    assert "not separated by commas" in (error.hint or "")


def test_unclosed_quote_names_the_line_where_it_opens(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users='user_id,city\na,Paris\nb,"Berlin\nc,Rome\n')
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 3)
    assert "cannot parse the record starting on this line" in error.problem
    assert "close the quote" in (error.hint or "")


def test_repeated_header_column(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="user_id,country, country\na,US,DE\n")
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 1, "country")
    assert "column 'country' appears twice" in error.problem


def test_unnamed_header_column(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="user_id,country,\na,US,\n")
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 1)
    assert "column 3 of the header has no name" in error.problem
    assert "trailing ','" in (error.hint or "")


# ------------------------------------------------------------------------ columns


def test_missing_user_columns(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="id_user,country\na,US\n")
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 1, "user_id")
    assert error.problem == "missing required column user_id; found id_user, country"
    assert "user_id, and optionally signup_at" in (error.expected or "")


def test_missing_interaction_columns(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, interactions="source_id,to,kind,at\na,b,like,2026-01-05\n")
    error = the_error(folder)
    assert error.location == at(folder, "interactions.csv", 1, "target_id")
    assert (
        error.problem == "missing required columns target_id, type; found source_id, to, kind, at"
    )
    assert error.expected == "the columns source_id, target_id, type, at, and optionally weight"


def test_missing_column_hint_for_case(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="User_ID\na\n")
    error = the_error(folder)
    assert "rename 'User_ID' to 'user_id'" in (error.hint or "")


def test_reserved_user_column(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="user_id,pagerank\na,0.5\nb,0.1\n", interactions=A_TO_B)
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 1, "pagerank")
    assert "'pagerank' is reserved" in error.problem
    assert "user_pagerank" in (error.hint or "")


def test_every_reserved_column_is_reported(tmp_path: Path) -> None:
    names = sorted(RESERVED_USER_COLUMNS)
    values = ",1" * len(names)
    users = f"user_id,{','.join(names)}\na{values}\nb{values}\n"
    folder = write_dataset(tmp_path, users=users, interactions=A_TO_B)
    errors, total = load_errors(folder)
    assert total == len(names)
    assert [e.location.column for e in errors if e.location] == names


def test_unknown_interaction_columns_are_noted(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path,
        interactions="source_id,target_id,type,at,channel\na,b,like,2026-01-05,app\n",
    )
    data = load_dataset(folder)
    assert "channel" not in data.interactions.columns
    assert data.notes == (
        "interactions.csv: column(s) channel are not part of the interactions format and "
        "were not loaded",
    )


# ------------------------------------------------------------------------ values


def test_duplicate_user_id(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path, users="user_id,age\na,1\nb,2\n\nc,3\na,4\nb,5\n", interactions=A_TO_B
    )
    errors, total = load_errors(folder)
    assert total == 2
    assert errors[0].location == at(folder, "users.csv", 6, "user_id")
    assert errors[0].problem == "duplicate user_id 'a' (first on line 2)"
    assert errors[1].location == at(folder, "users.csv", 7, "user_id")
    assert errors[1].problem == "duplicate user_id 'b' (first on line 3)"
    assert errors[0].expected == "each user_id once"


def test_duplicate_user_id_after_stripping(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="user_id\na\n a \nb\n", interactions=A_TO_B)
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 3, "user_id")
    assert "first on line 2" in error.problem


@pytest.mark.parametrize("empty", ["", "   ", '""'])
def test_empty_user_id(tmp_path: Path, empty: str) -> None:
    folder = write_dataset(
        tmp_path, users=f"user_id,age\na,1\n{empty},2\nb,3\n", interactions=A_TO_B
    )
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 3, "user_id")
    assert error.problem == "user_id is empty"
    assert "non-empty" in (error.expected or "")


@pytest.mark.parametrize("column", ["type", "at", "source_id"])
def test_empty_required_interaction_value(tmp_path: Path, column: str) -> None:
    values = {"source_id": "a", "target_id": "b", "type": "like", "at": "2026-01-05", "weight": ""}
    values[column] = ""
    row = ",".join(values[c] for c in ["source_id", "target_id", "type", "at", "weight"])
    folder = write_dataset(tmp_path, interactions=interactions("a,b,like,2026-01-05,", row))
    error = the_error(folder)
    assert error.location == at(folder, "interactions.csv", 3, column)
    assert error.problem == f"{column} is empty"


@pytest.mark.parametrize("column", ["source_id", "target_id"])
def test_endpoint_not_a_user(tmp_path: Path, column: str) -> None:
    row = "zed,b" if column == "source_id" else "a,zed"
    folder = write_dataset(
        tmp_path, interactions=interactions("a,b,like,2026-01-05,", f"{row},like,2026-01-05,")
    )
    error = the_error(folder)
    assert error.location == at(folder, "interactions.csv", 3, column)
    assert error.problem == f"{column} 'zed' is not in users.csv"
    assert error.expected == "a user_id listed in users.csv"
    assert "add the user to users.csv" in (error.hint or "")


def test_endpoints_are_case_sensitive(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, interactions=interactions("A,b,like,2026-01-05,"))
    assert the_error(folder).location == at(folder, "interactions.csv", 2, "source_id")


@pytest.mark.parametrize("bad", ["31/01/2026", "yesterday", "2026-13-01", "2500-01-01"])
def test_bad_interaction_timestamp(tmp_path: Path, bad: str) -> None:
    folder = write_dataset(
        tmp_path, interactions=interactions("a,b,like,2026-01-05,", f"a,b,like,{bad},")
    )
    error = the_error(folder)
    assert error.location == at(folder, "interactions.csv", 3, "at")
    assert error.problem == f"not a timestamp: {bad!r}"
    assert "ISO-8601" in (error.expected or "")


def test_bad_signup_timestamp(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path, users="user_id,signup_at\na,2026-01-01\nb,Jan 1st\nc,\n", interactions=A_TO_B
    )
    error = the_error(folder)
    assert error.location == at(folder, "users.csv", 3, "signup_at")
    assert error.problem == "not a timestamp: 'Jan 1st'"


@pytest.mark.parametrize("bad", ["0", "-1", "NaN", "nan", "inf", "-inf", "heavy", "1,5"])
def test_bad_weight(tmp_path: Path, bad: str) -> None:
    value = f'"{bad}"' if "," in bad else bad
    folder = write_dataset(
        tmp_path, interactions=interactions("a,b,like,2026-01-05,2", f"a,b,like,2026-01-06,{value}")
    )
    error = the_error(folder)
    assert error.location == at(folder, "interactions.csv", 3, "weight")
    assert error.problem == f"weight is not a positive number: {bad!r}"
    assert "positive" in (error.expected or "")


def test_valid_weights(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path, interactions=interactions("a,b,like,2026-01-05,0.5", "a,b,like,2026-01-06,1e3")
    )
    assert load_dataset(folder).interactions["weight"].tolist() == [0.5, 1000.0]


# ------------------------------------------------------------------------ many problems


def test_many_errors_are_counted_and_the_first_twenty_described(tmp_path: Path) -> None:
    rows = [f"a,b,like,not-a-time-{i},{-i}" for i in range(30)]
    folder = write_dataset(tmp_path, interactions=interactions(*rows))
    with pytest.raises(DataErrors) as info:
        load_dataset(folder)
    error = info.value
    assert error.exit_code == 2
    assert error.total == 60  # 30 bad times + 30 weights that are not positive (0, -1, ...)
    assert len(error.errors) == MAX_REPORTED
    assert [e.location for e in error.errors] == [
        at(folder, "interactions.csv", line, "at") for line in range(2, 22)
    ]
    assert error.location == at(folder, "interactions.csv", 2, "at")
    assert str(error).endswith("(and 59 more problems)")


def test_problems_in_both_files_are_reported_together(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path,
        users="user_id\na\na\nb\n",
        interactions=interactions("a,b,like,2026-01-05,", "a,b,like,soon,"),
    )
    errors, total = load_errors(folder)
    assert total == 2
    assert [e.location for e in errors] == [
        at(folder, "users.csv", 3, "user_id"),
        at(folder, "interactions.csv", 3, "at"),
    ]


def test_broken_users_file_still_checks_interactions(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path, users="uid\na\n", interactions=interactions("a,b,like,2026-01-05,-1")
    )
    errors, total = load_errors(folder)
    # Endpoints cannot be checked without user ids; the weight still can.
    assert total == 2
    assert errors[0].location == at(folder, "users.csv", 1, "user_id")
    assert errors[1].location == at(folder, "interactions.csv", 2, "weight")


def test_many_unknown_users_are_all_counted(tmp_path: Path) -> None:
    rows = [f"x{i},b,like,2026-01-05," for i in range(25)]
    folder = write_dataset(tmp_path, interactions=interactions(*rows))
    errors, total = load_errors(folder)
    assert total == 25
    assert len(errors) == MAX_REPORTED
    assert errors[-1].location == at(folder, "interactions.csv", 21, "source_id")


def test_many_ragged_lines_are_all_counted(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path, users="user_id,age\n" + "a,1,2\n" * 30)
    errors, total = load_errors(folder)
    assert total == 30
    assert len(errors) == MAX_REPORTED
    assert errors[0].location == at(folder, "users.csv", 2)


# ------------------------------------------------------------------------ Parquet


def tiny_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    users = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "e", "f"],
            # naive (taken as UTC), millisecond unit, with a missing value
            "signup_at": pd.to_datetime(
                ["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", None]
            ).as_unit("ms"),
            "country": ["US", "DE", "US", "FR", "US", "GB"],
            "age": pd.array([30, 41, 25, None, 52, 19], dtype="Int64"),
        }
    )
    inter = pd.read_csv(io.StringIO(TINY_INTERACTIONS))
    # a timezone-aware microsecond column in another zone: same instants
    inter["at"] = (
        pd.to_datetime(inter["at"], utc=True).dt.tz_convert("Europe/Paris").dt.as_unit("us")
    )
    return users, inter


def test_parquet_dataset_matches_csv(tmp_path: Path, tiny_dataset_dir: Path) -> None:
    users, inter = tiny_frames()
    folder = tmp_path / "pq"
    folder.mkdir()
    users.to_parquet(folder / "users.parquet")
    inter.to_parquet(folder / "interactions.parquet", index=False)
    from_parquet, from_csv = load_dataset(folder), load_dataset(tiny_dataset_dir)
    pd.testing.assert_frame_equal(from_parquet.interactions, from_csv.interactions)
    assert from_parquet.users["signup_at"].tolist() == from_csv.users["signup_at"].tolist()
    assert str(from_parquet.users["signup_at"].dtype) == "datetime64[ns, UTC]"
    assert from_parquet.users["age"].tolist()[:3] == [30, 41, 25]
    assert from_parquet.notes == from_csv.notes


def test_parquet_string_timestamps_and_null_properties(tmp_path: Path) -> None:
    pd.DataFrame({"user_id": ["a", "b"], "city": ["Rome", None]}).to_parquet(
        tmp_path / "users.parquet"
    )
    pd.DataFrame(
        {
            "source_id": ["a"],
            "target_id": ["b"],
            "type": ["like"],
            "at": ["2026-01-05T10:00:00Z"],
            "weight": [np.nan],
        }
    ).to_parquet(tmp_path / "interactions.parquet")
    data = load_dataset(tmp_path)
    assert data.users["city"].tolist() == ["Rome", None]
    assert data.interactions["at"].tolist() == [pd.Timestamp("2026-01-05T10:00:00Z")]
    assert data.interactions["weight"].tolist() == [1.0]  # a Parquet null is an empty value


def test_parquet_user_id_saved_as_the_index(tmp_path: Path) -> None:
    users, inter = tiny_frames()
    users.set_index("user_id").to_parquet(tmp_path / "users.parquet")
    inter.to_parquet(tmp_path / "interactions.parquet")
    assert load_dataset(tmp_path).users["user_id"].tolist() == ["a", "b", "c", "d", "e", "f"]


def test_parquet_errors_give_row_numbers(tmp_path: Path) -> None:
    users, inter = tiny_frames()
    users.loc[5, "user_id"] = "a"  # f has no interactions
    inter.loc[2, "target_id"] = "zed"
    inter["weight"] = inter["weight"].astype(float)
    inter.loc[4, "weight"] = -2.0
    users.to_parquet(tmp_path / "users.parquet")
    inter.to_parquet(tmp_path / "interactions.parquet")
    errors, total = load_errors(tmp_path)
    assert total == 3
    assert [e.location for e in errors] == [
        at(tmp_path, "users.parquet", 6, "user_id"),
        at(tmp_path, "interactions.parquet", 5, "weight"),
        at(tmp_path, "interactions.parquet", 3, "target_id"),
    ]
    assert errors[0].problem == "duplicate user_id 'a' (first on line 1)"


def test_parquet_missing_column_has_no_line(tmp_path: Path) -> None:
    users, inter = tiny_frames()
    users.to_parquet(tmp_path / "users.parquet")
    inter.drop(columns="type").to_parquet(tmp_path / "interactions.parquet")
    error = the_error(tmp_path)
    assert error.location == at(tmp_path, "interactions.parquet", None, "type")
    assert "missing required column type" in error.problem


def test_parquet_bad_string_timestamp(tmp_path: Path) -> None:
    users, inter = tiny_frames()
    inter["at"] = inter["at"].astype(str)
    inter.loc[1, "at"] = "later"
    users.to_parquet(tmp_path / "users.parquet")
    inter.to_parquet(tmp_path / "interactions.parquet")
    error = the_error(tmp_path)
    assert error.location == at(tmp_path, "interactions.parquet", 2, "at")
    assert error.problem == "not a timestamp: 'later'"


def test_parquet_timestamp_beyond_nanoseconds(tmp_path: Path) -> None:
    users, inter = tiny_frames()
    inter["at"] = inter["at"].dt.as_unit("s")
    inter["at"] = inter["at"].where(
        inter.index != 3, pd.Timestamp("2500-01-01", tz="UTC").as_unit("s")
    )
    users.to_parquet(tmp_path / "users.parquet")
    inter.to_parquet(tmp_path / "interactions.parquet")
    error = the_error(tmp_path)
    assert error.location == at(tmp_path, "interactions.parquet", 4, "at")
    assert "between the years 1678 and 2261" in (error.expected or "")


def test_not_a_parquet_file(tmp_path: Path) -> None:
    write_dataset(tmp_path)
    (tmp_path / "interactions.csv").rename(tmp_path / "interactions.parquet")
    error = the_error(tmp_path)
    assert error.location == at(tmp_path, "interactions.parquet")
    assert error.problem.startswith("cannot read Parquet")


def test_schemas_describe_their_columns() -> None:
    assert INTERACTIONS.required == ["source_id", "target_id", "type", "at"]
    assert USERS.describe() == (
        "user_id, and optionally signup_at (any other column becomes a property)"
    )


# --------------------------------------------------------------- events and assignments


def test_events_and_assignments_are_optional_and_typed(tmp_path: Path):
    from tests.conftest import TINY_ASSIGNMENTS, TINY_EVENTS

    folder = write_dataset(
        tmp_path / "d", TINY_USERS, TINY_INTERACTIONS, TINY_EVENTS, TINY_ASSIGNMENTS
    )
    dataset = load_dataset(folder)
    assert dataset.events is not None and dataset.assignments is not None
    assert dataset.events["value"].isna().sum() == 3
    assert dataset.events["key"].is_unique
    assert str(dataset.assignments["assigned_at"].dtype) == "datetime64[ns, UTC]"
    assert load_dataset(write_dataset(tmp_path / "plain")).events is None


@pytest.mark.parametrize(
    ("events", "line", "column", "text"),
    [
        ("zz,2026-01-05T09:00:00Z,view,,", 2, "user_id", "'zz' is not in users.csv"),
        ("a,yesterday,view,,", 2, "at", "not a timestamp"),
        ("a,2026-01-05T09:00:00Z,session,-5,s1", 2, "value", "not a non-negative number"),
        ("a,2026-01-05T09:00:00Z,,,", 2, "event", "event is empty"),
    ],
)
def test_bad_events_are_located(tmp_path: Path, events, line, column, text):
    folder = write_dataset(
        tmp_path / "d",
        TINY_USERS,
        TINY_INTERACTIONS,
        "user_id,at,event,value,session_id\n" + events + "\n",
    )
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    location = info.value.location
    assert (Path(location.file).name, location.line, location.column) == (
        "events.csv",
        line,
        column,
    )
    assert text in info.value.message


def test_user_in_two_variants_is_an_error(tmp_path: Path):
    assignments = (
        "experiment,user_id,variant,assigned_at\n"
        "exp,a,control,2026-01-04T00:00:00Z\n"
        "exp,b,control,2026-01-04T00:00:00Z\n"
        "exp,a,treatment,2026-01-04T00:00:00Z\n"
        "other,a,treatment,2026-01-04T00:00:00Z\n"
    )
    folder = write_dataset(tmp_path / "d", TINY_USERS, TINY_INTERACTIONS, None, assignments)
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    assert info.value.total == 1  # the same user in another experiment is fine
    assert info.value.location.line == 4
    assert "also assigned to 'control' in experiment 'exp' (first on line 2)" in str(info.value)
