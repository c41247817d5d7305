"""The tabular data model: schemas, reading CSV/Parquet, validation with file:line:column errors.

A dataset is a folder holding ``users`` and ``interactions`` tables, each as ``.csv`` or
``.parquet`` (see README, "Dataset format"). Everything is validated before anything is
written anywhere; a failed validation raises :class:`~graphkit.errors.DataErrors` listing
every problem found (the first ``MAX_REPORTED`` in detail), each with file, line and column.

Line numbers are those an editor shows: the CSV header is line 1, the first record line 2.
For Parquet files "line" is the 1-based row number.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from graphkit.errors import DataError, DataErrors, Location

MAX_REPORTED = 20
"""How many problems are described one by one; the rest are counted."""

ValueKind = Literal["id", "string", "timestamp", "positive_number"]

# Properties graphkit itself writes onto users (write-back); a user column with one of
# these names would be silently overwritten, so validation refuses it.
RESERVED_USER_COLUMNS = frozenset(
    {"id", "degree", "weighted_degree", "betweenness", "closeness", "pagerank",
     "clustering", "community", "influencer"}
)


@dataclass(frozen=True)
class Column:
    """One column of a table schema."""

    name: str
    kind: ValueKind
    required: bool = True
    nullable: bool = False
    description: str = ""


@dataclass(frozen=True)
class TableSchema:
    """A table's columns; ``extra_columns`` says whether unknown columns are kept as properties."""

    name: str
    columns: tuple[Column, ...]
    extra_columns: bool = False

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


USERS = TableSchema(
    "users",
    (
        Column("user_id", "id", description="unique, non-empty string"),
        Column("signup_at", "timestamp", required=False, nullable=True,
               description="ISO-8601 time the user signed up"),
    ),
    extra_columns=True,
)

INTERACTIONS = TableSchema(
    "interactions",
    (
        Column("source_id", "id", description="user_id of the user who acted"),
        Column("target_id", "id", description="user_id of the user acted upon"),
        Column("type", "string", description="free text such as follow, message, like"),
        Column("at", "timestamp", description="ISO-8601 time of the interaction"),
        Column("weight", "positive_number", required=False, nullable=True,
               description="positive number, default 1"),
    ),
)


@dataclass(frozen=True)
class Dataset:
    """A validated dataset, ready to load into a store.

    ``users``: ``user_id`` (str), ``signup_at`` (UTC timestamp or NaT), then properties.
    ``interactions``: ``source_id``, ``target_id``, ``type``, ``at`` (UTC), ``weight``
    (float > 0), ``key`` (the interaction's identity, see :func:`interaction_keys`).
    """

    users: pd.DataFrame
    interactions: pd.DataFrame
    source: Path | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def property_columns(self) -> list[str]:
        return [c for c in self.users.columns if c not in ("user_id", "signup_at")]


# ---------------------------------------------------------------------------- reading


def find_table(folder: Path, name: str, *, required: bool = True) -> Path | None:
    """Return ``folder/name.csv`` or ``folder/name.parquet``; refuse to guess between both."""
    candidates = [p for p in (folder / f"{name}.csv", folder / f"{name}.parquet") if p.exists()]
    if len(candidates) > 1:
        raise DataError(
            f"both {candidates[0].name} and {candidates[1].name} exist",
            location=Location(str(folder)),
            hint="keep one of them so graphkit knows which to load",
        )
    if not candidates:
        if required:
            raise DataError(
                f"no {name}.csv or {name}.parquet in the dataset folder",
                location=Location(str(folder)),
                expected=f"a file named {name}.csv or {name}.parquet",
                hint="see README 'Dataset format', or create one with `graphkit simulate`",
            )
        return None
    return candidates[0]


def _decode_utf8(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
            location=Location(str(path), line),
            expected="a UTF-8 encoded file",
            hint="re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
        ) from exc


def read_csv_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    """Read a CSV as strings, checking encoding, delimiter and shape first."""
    raw = path.read_bytes()
    text = _decode_utf8(path, raw)
    if not text.strip():
        raise DataError("the file is empty", location=Location(str(path), 1),
                        expected=f"a header line: {','.join(schema.required)}")
    header = text.splitlines()[0]
    if "," not in header and len(schema.required) > 1:
        found = next((d for d in (";", "\t", "|") if d in header), None)
        problem = (f"columns are separated by {found!r}" if found
                   else "the header has a single column")
        raise DataError(problem, location=Location(str(path), 1),
                        expected="comma-separated values",
                        hint="export the file as CSV with ',' as the delimiter")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            na_filter=False, skipinitialspace=False)
    except pd.errors.ParserError as exc:
        raise DataError(f"cannot parse CSV: {exc}", location=Location(str(path)),
                        hint="check quoting and the number of fields on that line") from exc
    if frame.empty:
        raise DataError("the file has a header but no rows", location=Location(str(path), 2),
                        expected=f"at least one {schema.name} row")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_parquet_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types; all mean "not a readable Parquet"
        raise DataError(f"cannot read Parquet: {exc}", location=Location(str(path)),
                        hint="check the file is a Parquet file") from exc
    if frame.empty:
        raise DataError("the file has no rows", location=Location(str(path)),
                        expected=f"at least one {schema.name} row")
    return frame.reset_index(drop=True)


def read_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return read_parquet_table(path, schema)
    return read_csv_table(path, schema)


# ---------------------------------------------------------------------------- validation


class ProblemList:
    """Collects DataErrors; keeps the first MAX_REPORTED and counts the rest."""

    def __init__(self) -> None:
        self.errors: list[DataError] = []
        self.total = 0

    def add(self, error: DataError) -> None:
        self.total += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(error)

    def add_rows(self, path: Path, column: str, rows: Iterable[int], problem: str,
                 expected: str, hint: str | None = None, first_line: int = 2,
                 values: pd.Series | None = None) -> None:
        for row in rows:
            shown = problem
            if values is not None:
                shown = f"{problem}: {str(values.iloc[row])[:60]!r}"
            self.add(DataError(shown, location=Location(str(path), row + first_line, column),
                               expected=expected, hint=hint))

    def raise_if_any(self) -> None:
        if self.errors:
            raise DataErrors(self.errors, total=self.total)


def _first_line(path: Path) -> int:
    # CSV: header on line 1, first row on line 2. Parquet: rows numbered from 1.
    return 1 if path.suffix == ".parquet" else 2


def _blank(series: pd.Series) -> np.ndarray:
    return (series.isna() | (series.astype(str).str.strip() == "")).to_numpy()


def _rows(mask: np.ndarray) -> list[int]:
    return np.flatnonzero(mask)[:MAX_REPORTED].tolist()


def _parse_timestamps(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = pd.to_datetime(series)
        return parsed.dt.tz_localize("UTC") if parsed.dt.tz is None else parsed.dt.tz_convert("UTC")
    # Naive timestamps are taken as UTC (documented in README).
    return pd.to_datetime(series.astype(str).str.strip(), utc=True, format="ISO8601",
                          errors="coerce")


def _check_columns(frame: pd.DataFrame, schema: TableSchema, path: Path) -> None:
    missing = [c for c in schema.required if c not in frame.columns]
    if missing:
        raise DataError(
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            location=Location(str(path), 1 if path.suffix != ".parquet" else None),
            expected=f"columns {', '.join(schema.required)} (found {', '.join(frame.columns)})",
            hint="rename the columns or see README 'Dataset format'",
        )
    if not schema.extra_columns:
        return
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise DataError(f"column {duplicated[0]!r} appears twice",
                        location=Location(str(path), 1), hint="give each column its own name")


def validate_columns(frame: pd.DataFrame, schema: TableSchema, path: Path,
                     problems: ProblemList) -> pd.DataFrame:
    """Validate and convert the schema's columns; return a typed frame."""
    _check_columns(frame, schema, path)
    first = _first_line(path)
    out = pd.DataFrame(index=frame.index)
    for col in schema.columns:
        if col.name not in frame.columns:
            continue
        series = frame[col.name]
        blank = _blank(series)
        if not col.nullable and blank.any():
            problems.add_rows(path, col.name, _rows(blank), "empty value",
                              col.description, first_line=first)
        if col.kind in ("id", "string"):
            out[col.name] = series.astype(str).str.strip()
        elif col.kind == "timestamp":
            parsed = _parse_timestamps(series)
            bad = parsed.isna().to_numpy() & ~blank
            problems.add_rows(path, col.name, _rows(bad), "not a timestamp",
                              "ISO-8601 like 2026-01-31T12:00:00Z", first_line=first,
                              values=series)
            out[col.name] = parsed
        elif col.kind == "positive_number":
            numbers = pd.to_numeric(series.where(~blank, None), errors="coerce")
            values = numbers.to_numpy(dtype=float)
            bad = ~blank & ~(np.isfinite(values) & (values > 0))
            problems.add_rows(path, col.name, _rows(bad), "not a positive number",
                              col.description, first_line=first, values=series)
            out[col.name] = numbers.fillna(1.0).astype(float)
    return out


def _infer_property(series: pd.Series) -> pd.Series:
    """Keep a user property as a number when every non-empty value is one, else as text."""
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return series
    text = series.astype(str).str.strip()
    present = text != ""
    numbers = pd.to_numeric(text.where(present, None), errors="coerce")
    if present.any() and numbers[present].notna().all():
        if (numbers[present] % 1 == 0).all():
            return numbers.astype("Int64")
        return numbers
    return text.where(present, None)


def validate_users(frame: pd.DataFrame, path: Path, problems: ProblemList) -> pd.DataFrame:
    reserved = sorted(set(frame.columns) & RESERVED_USER_COLUMNS)
    if reserved:
        problems.add(DataError(
            f"column {reserved[0]!r} is reserved for the scores graphkit writes back",
            location=Location(str(path), 1, reserved[0]),
            hint="rename the column (e.g. prefix it with 'user_')"))
    users = validate_columns(frame, USERS, path, problems)
    if "signup_at" not in users.columns:
        users["signup_at"] = pd.Series(pd.NaT, index=users.index, dtype="datetime64[ns, UTC]")
    ids = users["user_id"]
    dup = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()
    if dup.any():
        first_seen = ids.reset_index().drop_duplicates("user_id").set_index("user_id")["index"]
        first = _first_line(path)
        for row in _rows(dup):
            problems.add(DataError(
                f"duplicate user_id {ids.iloc[row]!r} (first on line {first_seen[ids.iloc[row]] + first})",
                location=Location(str(path), row + first, "user_id"),
                expected="each user_id once", hint="remove or merge the repeated row"))
        problems.total += int(dup.sum()) - len(_rows(dup))
    for name in frame.columns:
        if name not in ("user_id", "signup_at"):
            users[name] = _infer_property(frame[name])
    return users


def interaction_keys(interactions: pd.DataFrame) -> pd.Series:
    """The identity of each interaction: ``source|target|type|epoch_ms|occurrence``.

    Loading MERGEs on this key, which makes loads idempotent: the same file loaded twice
    (or re-run after a crash) gives the same relationships. ``occurrence`` numbers rows
    that repeat the same (source, target, type, at) so genuine repeats are kept.
    """
    epoch_ms = (interactions["at"].astype("int64") // 1_000_000).astype(str)
    base = (interactions["source_id"] + "|" + interactions["target_id"] + "|"
            + interactions["type"] + "|" + epoch_ms)
    occurrence = base.groupby(base).cumcount() + 1
    return base + "|" + occurrence.astype(str)


def validate_interactions(frame: pd.DataFrame, path: Path, user_ids: pd.Series,
                          users_path: Path, problems: ProblemList) -> pd.DataFrame:
    interactions = validate_columns(frame, INTERACTIONS, path, problems)
    if "weight" not in interactions.columns:
        interactions["weight"] = 1.0
    known = pd.Index(user_ids)
    first = _first_line(path)
    for col in ("source_id", "target_id"):
        values = interactions[col]
        unknown = ~values.isin(known).to_numpy() & (values != "").to_numpy()
        for row in _rows(unknown):
            problems.add(DataError(
                f"user {values.iloc[row]!r} is not in {users_path.name}",
                location=Location(str(path), row + first, col),
                expected="a user_id listed in the users file",
                hint=f"add the user to {users_path.name} or drop the interaction"))
        problems.total += int(unknown.sum()) - len(_rows(unknown))
    return interactions


def load_dataset(folder: str | Path) -> Dataset:
    """Read and validate a dataset folder; raise DataErrors listing every problem found.

    Examples
    --------
    >>> from graphkit.dataset import load_dataset
    >>> load_dataset("no/such/folder")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    graphkit.errors.DataError: no/such/folder: not a folder
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("not a folder", location=Location(str(folder)),
                        expected="a folder with users.csv and interactions.csv",
                        hint="create one with `graphkit simulate DIR`")
    users_path = find_table(folder, "users")
    interactions_path = find_table(folder, "interactions")
    assert users_path is not None and interactions_path is not None
    problems = ProblemList()
    users = validate_users(read_table(users_path, USERS), users_path, problems)
    interactions = validate_interactions(read_table(interactions_path, INTERACTIONS),
                                         interactions_path, users["user_id"], users_path,
                                         problems)
    problems.raise_if_any()
    interactions = interactions.reset_index(drop=True)
    interactions["key"] = interaction_keys(interactions)
    self_loops = int((interactions["source_id"] == interactions["target_id"]).sum())
    notes = ()
    if self_loops:
        notes = (f"{self_loops} self-interaction(s) (source = target) are stored but left out "
                 "of graph analyses",)
    return Dataset(users=users.reset_index(drop=True), interactions=interactions,
                   source=folder, notes=notes)
