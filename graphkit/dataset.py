"""The tabular data model: schemas, reading CSV/Parquet, validation with file:line:column errors.

A dataset is a folder holding ``users`` and ``interactions`` tables, each as ``.csv`` or
``.parquet`` (see README, "Dataset format"). Everything is validated before anything is
written anywhere; a failed validation raises :class:`~graphkit.errors.DataErrors` listing
every problem found (the first ``MAX_REPORTED`` in detail, all of them counted), each with
file, line and column.

Line numbers are those an editor shows: the CSV header is line 1, the first record line 2,
and a record is numbered by the line it starts on (blank lines and quoted line breaks
count). For Parquet files "line" is the 1-based row number. :func:`read_table` keeps that
number as the index of the frame it returns, so every later check can say where it looked.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from graphkit.errors import DataError, DataErrors, Location

MAX_REPORTED = 20
"""How many problems are described one by one; the rest are counted."""

ValueKind = Literal["id", "string", "timestamp", "positive_number", "amount"]

# Properties graphkit itself writes onto users (write-back); a user column with one of
# these names would be silently overwritten, so validation refuses it.
RESERVED_USER_COLUMNS = frozenset(
    {
        "id",
        "degree",
        "weighted_degree",
        "betweenness",
        "closeness",
        "pagerank",
        "clustering",
        "community",
        "influencer",
    }
)

FIRST_YEAR, LAST_YEAR = 1678, 2261
"""Times must fall in these years (UTC): the stores count nanoseconds in 64 bits."""
TIMESTAMP_EXPECTED = (
    f"an ISO-8601 time like 2026-01-31T12:00:00Z, between the years {FIRST_YEAR} and {LAST_YEAR}"
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

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def describe(self) -> str:
        """The columns in words, for error messages."""
        text = ", ".join(self.required)
        optional = [c.name for c in self.columns if not c.required]
        if optional:
            text += ", and optionally " + ", ".join(optional)
        if self.extra_columns:
            text += " (any other column becomes a property)"
        return text


USERS = TableSchema(
    "users",
    (
        Column("user_id", "id", description="a unique, non-empty user_id"),
        Column(
            "signup_at",
            "timestamp",
            required=False,
            nullable=True,
            description="ISO-8601 time the user signed up",
        ),
    ),
    extra_columns=True,
)

INTERACTIONS = TableSchema(
    "interactions",
    (
        Column("source_id", "id", description="the user_id of the user who acted"),
        Column("target_id", "id", description="the user_id of the user acted upon"),
        Column("type", "string", description="free text such as follow, message, like"),
        Column("at", "timestamp", description="ISO-8601 time of the interaction"),
        Column(
            "weight",
            "positive_number",
            required=False,
            nullable=True,
            description="a positive, finite number (empty means 1)",
        ),
    ),
)


EVENTS = TableSchema(
    "events",
    (
        Column("user_id", "id", description="the user_id of the user who was active"),
        Column("at", "timestamp", description="ISO-8601 time of the event"),
        Column("event", "string", description="free text such as session, view, like, click"),
        Column(
            "value",
            "amount",
            required=False,
            nullable=True,
            description="a finite number >= 0 such as seconds spent (empty: none)",
        ),
        Column(
            "session_id",
            "string",
            required=False,
            nullable=True,
            description="the session the event belongs to (may be empty)",
        ),
    ),
)

ASSIGNMENTS = TableSchema(
    "assignments",
    (
        Column("experiment", "string", description="the experiment's name"),
        Column("user_id", "id", description="the user_id of the assigned user"),
        Column("variant", "string", description="the arm, such as control or treatment"),
        Column("assigned_at", "timestamp", description="ISO-8601 time of the assignment"),
    ),
)


@dataclass(frozen=True)
class Dataset:
    """A validated dataset, ready to load into a store.

    ``users``: ``user_id`` (str), ``signup_at`` (``datetime64[ns, UTC]`` or NaT), then
    properties. ``interactions``: ``source_id``, ``target_id``, ``type``, ``at``
    (``datetime64[ns, UTC]``), ``weight`` (float > 0), ``key`` (the interaction's identity,
    see :func:`interaction_keys`). Both have a plain 0-based index.

    ``events`` (optional ``events.csv``): ``user_id``, ``at``, ``event``, ``value`` (float,
    NaN when empty), ``session_id`` (str or None), ``key``. ``assignments`` (optional
    ``assignments.csv``): ``experiment``, ``user_id``, ``variant``, ``assigned_at``.
    """

    users: pd.DataFrame
    interactions: pd.DataFrame
    source: Path | None = None
    notes: tuple[str, ...] = field(default=())
    events: pd.DataFrame | None = None
    assignments: pd.DataFrame | None = None
    users_file: Path | None = None
    """The users file, and the line (CSV) or row (Parquet) of each user: for messages."""
    user_lines: np.ndarray | None = None
    written_text: dict[str, pd.Series] = field(default_factory=dict)
    """Properties read as numbers, as the file wrote them (None where empty)."""

    @property
    def property_columns(self) -> list[str]:
        return [c for c in self.users.columns if c not in ("user_id", "signup_at")]

    def property_as_text(self, name: str) -> pd.Series:
        """A user property as text: as written in the file when it was read as numbers."""
        if name in self.written_text:
            return self.written_text[name]
        values = self.users[name]
        return values.astype(object).map(str).where(values.notna(), None)

    def user_location(self, position: int, column: str) -> Location:
        """Where the user at ``position`` (0-based) of :attr:`users` was read."""
        file = str(self.users_file) if self.users_file is not None else "users"
        line = None if self.user_lines is None else int(self.user_lines[position])
        return Location(file, line, column)


PropertyKind = Literal["number", "text", "boolean", "time", "other"]

_KIND_OF_INFERRED: dict[str, PropertyKind] = {
    "string": "text",
    "integer": "number",
    "floating": "number",
    "mixed-integer-float": "number",
    "decimal": "number",
    "boolean": "boolean",
    "datetime": "time",
    "datetime64": "time",
    "date": "time",
}


def property_kind(values: pd.Series) -> PropertyKind | None:
    """What a property column holds: number, text, boolean, time or other; None if empty.

    Stores keep each property in one kind (README, "Property types across loads").

    Examples
    --------
    >>> property_kind(pd.Series([31, None])), property_kind(pd.Series(["x", None]))
    ('number', 'text')
    """
    if values.isna().all():
        return None
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_numeric_dtype(values):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "time"
    return _KIND_OF_INFERRED.get(pd.api.types.infer_dtype(values, skipna=True), "other")


# ---------------------------------------------------------------------------- reading


def find_table(folder: Path, name: str, *, required: bool = True) -> Path | None:
    """Return ``folder/name.csv`` or ``folder/name.parquet``; refuse to guess between both."""
    candidates = [p for p in (folder / f"{name}.csv", folder / f"{name}.parquet") if p.exists()]
    if len(candidates) > 1:
        raise DataError(
            f"both {candidates[0].name} and {candidates[1].name} exist",
            location=Location(str(folder)),
            expected=f"exactly one {name} file",
            hint="keep one of them so graphkit knows which to load",
        )
    if not candidates:
        if required:
            present = sorted(p.name for p in folder.iterdir())
            holds = ", ".join(present[:10]) + (", …" if len(present) > 10 else "")
            raise DataError(
                f"no {name}.csv or {name}.parquet in the dataset folder"
                + (f" (it holds {holds})" if present else " (it is empty)"),
                location=Location(str(folder)),
                expected=f"a file named {name}.csv or {name}.parquet (names are case-sensitive)",
                hint="see README 'Dataset format', or create a dataset with `graphkit simulate`",
            )
        return None
    return candidates[0]


def _decode_utf8(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")  # a leading byte-order mark (Excel's "CSV UTF-8") is fine
    except UnicodeDecodeError as exc:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise DataError(
                "the file is UTF-16 encoded",
                location=Location(str(path), 1),
                expected="a UTF-8 encoded file",
                hint="re-save it as 'CSV UTF-8' (e.g. iconv -f utf-16 -t utf-8)",
            ) from exc
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        byte = raw[exc.start : exc.start + 1]
        raise DataError(
            f"byte 0x{byte[0]:02x} is not valid UTF-8"
            f" (in Latin-1/Windows-1252 it would be {byte.decode('cp1252', 'replace')!r})",
            location=Location(str(path), line, _column_at(raw, line, line_start, exc.start)),
            expected="a UTF-8 encoded file",
            hint="re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
        ) from exc


def _column_at(raw: bytes, line: int, line_start: int, offset: int) -> str | None:
    """The header name of the field holding byte ``offset`` (best effort, for messages)."""
    if line == 1:
        return None
    header_text = raw.split(b"\n", 1)[0].decode("utf-8-sig", "replace")
    prefix = raw[line_start:offset].decode("utf-8", "replace")
    try:
        names = next(csv.reader([header_text]), [])
        index = max(len(next(csv.reader([prefix]), [])) - 1, 0)
    except csv.Error:  # e.g. a lone carriage return before the bad byte: no column to name
        return None
    return names[index].strip() if index < len(names) else None


def _records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, fields)`` for every non-blank CSV record; ``line`` is where it starts."""
    # The csv module is the single parser: it gives the line each record starts on (quoted
    # fields may span lines), which pandas' parser cannot, and it is about as fast here.
    # strict=True makes an unclosed quote an error instead of swallowing the rest of the file.
    # Fields may be as long as the file (a 1 MB bio is valid data); the module's default
    # limit of 128 KiB refused them with a misleading message about quoting.
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for fields in reader:
            # Blank and whitespace-only lines are skipped, as spreadsheets and pandas do.
            if len(fields) > 1 or (fields and fields[0].strip()):
                yield start, fields
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(
            f"cannot parse the record starting on this line: {exc}",
            location=Location(str(path), start),
            expected="CSV quoting: a quoted field ends with a quote followed by ',' or a line end",
            hint='close the quote, or double a quote inside a quoted field ("")',
        ) from exc


FIELD_SIZE_LIMIT = 2**31 - 1
"""Longest CSV field read (characters): the csv module's maximum on every platform."""

_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "pipes"}


def _header_names(path: Path, line: int, header: list[str], schema: TableSchema) -> list[str]:
    """Column names from the header record, after checking delimiter, blanks and repeats."""
    if len(header) == 1:
        found = next((sep for sep in _SEPARATORS if sep in header[0]), None)
        if found is not None:
            raise DataError(
                f"columns are separated by {_SEPARATORS[found]} ({found!r}), not commas",
                location=Location(str(path), line),
                expected=f"comma-separated values with the columns {schema.describe()}",
                hint="export the file as CSV with ',' as the delimiter",
            )
    names = [name.strip() for name in header]
    _check_names(path, line, names)
    return names


def _check_names(path: Path, line: int | None, names: list[str]) -> None:
    if "" in names:
        raise DataError(
            f"column {names.index('') + 1} of the header has no name",
            location=Location(str(path), line),
            expected="a name for every column",
            hint="name the column, or remove the trailing ',' at the end of the lines",
        )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(
                f"column {name!r} appears twice in the header",
                location=Location(str(path), line, name),
                expected="each column name once",
                hint="rename or remove one of them",
            )
        seen.add(name)


def _field_count_error(path: Path, line: int, fields: list[str], names: list[str]) -> DataError:
    if len(fields) > len(names):
        hint = 'quote values that contain commas, like "Paris, France"'
    elif len(fields) == 1 and any(sep in fields[0] for sep in _SEPARATORS):
        hint = "this line is not separated by commas; export the file with ',' as the delimiter"
    else:
        hint = "give every line one value per column; leave a value empty with ',,'"
    return DataError(
        f"{len(fields)} field{'s' if len(fields) != 1 else ''} where the header has {len(names)}",
        location=Location(str(path), line),
        expected=f"{len(names)} comma-separated fields: {', '.join(names)}",
        hint=hint,
    )


def read_csv_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    """Read a CSV as text: one string column per header name, indexed by line number.

    Checks encoding, delimiter, header and that every record has as many fields as the
    header (a ragged record usually means an unquoted comma or a broken line; padding or
    cutting it silently would shift or lose values). Values are kept exactly as written.
    """
    text = _decode_utf8(path, path.read_bytes())
    records = _records(path, text)
    header_line, header = next(records, (1, []))
    if not header:
        raise DataError(
            "the file is empty",
            location=Location(str(path), 1),
            expected=f"a header line with the columns {schema.describe()}",
            hint="write the header line, then one line per row",
        )
    names = _header_names(path, header_line, header, schema)
    columns: list[list[str]] = [[] for _ in names]
    lines: list[int] = []
    ragged = ProblemList()
    for line, fields in records:
        if len(fields) != len(names):
            ragged.add(_field_count_error(path, line, fields, names))
            continue
        lines.append(line)
        for column, value in zip(columns, fields, strict=True):
            column.append(value)
    ragged.raise_if_any()
    if not lines:
        raise DataError(
            "the file has a header but no rows",
            location=Location(str(path), header_line + 1),
            expected=f"at least one {schema.name} row",
        )
    frame = pd.DataFrame(
        {name: np.array(values, dtype=object) for name, values in zip(names, columns, strict=True)},
        index=pd.Index(lines, name="line"),
    )
    frame.attrs["header_line"] = header_line
    return frame


def read_parquet_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    """Read a Parquet file, indexed by 1-based row number."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types; all mean "not a readable Parquet"
        raise DataError(
            f"cannot read Parquet: {exc}",
            location=Location(str(path)),
            expected="a Parquet file",
            hint="check the file is a Parquet file (not a renamed CSV or Excel file)",
        ) from exc
    # A column saved as the index (df.set_index("user_id").to_parquet()) is data too.
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    if frame.empty:
        raise DataError(
            "the file has no rows",
            location=Location(str(path)),
            expected=f"at least one {schema.name} row",
        )
    names = [str(c).strip() for c in frame.columns]
    _check_names(path, None, names)
    frame.columns = pd.Index(names)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return frame


def read_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    """Read one table, untyped; the index is each row's line (CSV) or row number (Parquet).

    Raises
    ------
    DataError
        If the file cannot be read as a table (encoding, delimiter, header, quoting); a
        :class:`~graphkit.errors.DataErrors` if records have the wrong number of fields.
    """
    if path.suffix == ".parquet":
        return read_parquet_table(path, schema)
    return read_csv_table(path, schema)


# ---------------------------------------------------------------------------- validation


class ProblemList:
    """Collects DataErrors; keeps the first MAX_REPORTED and counts them all."""

    def __init__(self) -> None:
        self.errors: list[DataError] = []
        self.total = 0

    def add(self, error: DataError) -> None:
        # A DataErrors is already a batch (e.g. the ragged lines of one file): keep its parts.
        parts = error.errors if isinstance(error, DataErrors) else [error]
        self.errors.extend(parts[: max(MAX_REPORTED - len(self.errors), 0)])
        self.total += error.total if isinstance(error, DataErrors) else 1

    def add_rows(self, mask: np.ndarray, describe: Callable[[int], DataError]) -> None:
        """Count every row flagged in ``mask``; ``describe(position)`` only those shown."""
        flagged = np.flatnonzero(mask)
        room = max(MAX_REPORTED - len(self.errors), 0)
        self.errors.extend(describe(int(pos)) for pos in flagged[:room])
        self.total += len(flagged)

    def raise_if_any(self) -> None:
        if self.errors:
            raise DataErrors(self.errors, total=self.total)


def _header_location(frame: pd.DataFrame, path: Path, column: str | None = None) -> Location:
    # CSV frames remember their header line; Parquet has none.
    return Location(str(path), frame.attrs.get("header_line"), column)


def _row_location(frame: pd.DataFrame, path: Path, pos: int, column: str) -> Location:
    return Location(str(path), int(frame.index[pos]), column)


def _shown(series: pd.Series, pos: int) -> str:
    return repr(str(series.iloc[pos])[:60])


def _text(series: pd.Series) -> pd.Series:
    """Values as strings without surrounding whitespace; missing ones (Parquet nulls) as ''."""
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = np.where(missing, "", values)
    # map() over C methods: about 4x faster than .str.strip() on a million values.
    stripped = np.array(list(map(str.strip, map(str, values))), dtype=object)
    return pd.Series(stripped, index=series.index, dtype=object)


def _check_columns(frame: pd.DataFrame, schema: TableSchema, path: Path) -> None:
    # A column spelt like a schema column but for case ("Weight") would otherwise be an
    # ignored or extra column, and its values silently lost (every weight 1).
    spelling = {c.lower(): c for c in schema.names}
    for name in map(str, frame.columns):
        expected = spelling.get(name.lower())
        if expected is not None and expected != name and expected not in frame.columns:
            raise DataError(
                f"column {name!r} is not spelt {expected!r}",
                location=_header_location(frame, path, name),
                expected=f"the columns {schema.describe()}",
                hint=f"rename {name!r} to {expected!r} (column names are case-sensitive)",
            )
    missing = [c for c in schema.required if c not in frame.columns]
    if not missing:
        return
    by_lower = {str(c).lower(): str(c) for c in frame.columns}
    renames = [f"{by_lower[m]!r} to {m!r}" for m in missing if m in by_lower]
    raise DataError(
        f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
        f"found {', '.join(map(str, frame.columns)) or 'no columns'}",
        location=_header_location(frame, path, missing[0]),
        expected=f"the columns {schema.describe()}",
        hint=(
            f"rename {', '.join(renames)} (column names are case-sensitive)"
            if renames
            else "rename the columns, see README 'Dataset format'"
        ),
    )


def _ids_or_text(frame: pd.DataFrame, col: Column, path: Path, problems: ProblemList) -> pd.Series:
    text = _text(frame[col.name])
    problems.add_rows(
        (text == "").to_numpy() & (not col.nullable),
        lambda pos: DataError(
            f"{col.name} is empty",
            location=_row_location(frame, path, pos, col.name),
            expected=col.description,
            hint="fill it in, or remove the row",
        ),
    )
    return text


_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FIRST_US = (datetime(FIRST_YEAR, 1, 1, tzinfo=UTC) - _EPOCH_UTC) // _MICROSECOND
_END_US = (datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC) - _EPOCH_UTC) // _MICROSECOND
_NOT_A_TIME = np.iinfo(np.int64).min  # NaT as int64


def _epoch_microseconds(text: str) -> int:
    """One ISO-8601 time as UTC microseconds since the epoch; NaT's int64 when it is not one.

    Each value is read on its own: its offset (``Z``, ``+05:00``, ``-0500``, ``+05``)
    converts it to UTC, and a value without one *is* UTC. Reading a column at once with
    pandas let a value without an offset take the offset of the rows before it.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return _NOT_A_TIME
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    micros = (moment - _EPOCH_UTC) // _MICROSECOND
    return micros if _FIRST_US <= micros < _END_US else _NOT_A_TIME


def parse_timestamps(text: pd.Series) -> pd.Series:
    """ISO-8601 strings as ``datetime64[ns, UTC]``; anything else (and ``""``) as NaT.

    Accepted: a date (``2026-01-31`` or ``20260131``), optionally a time after ``T`` or a
    space (``12``, ``12:00``, ``12:00:00``, ``12:00:00.123456``), optionally an offset
    (``Z``, ``+05:00``, ``+0500``, ``+05``), as Python's ``datetime.fromisoformat`` reads
    them. Every value is converted with its own offset; no offset means UTC. Fractions
    finer than a microsecond are dropped. Years outside 1678-2261 (UTC) are NaT.

    Examples
    --------
    >>> times = pd.Series(["2026-01-08T12:00:00-05:00", "2026-01-08T13:00:00"])
    >>> [str(t) for t in parse_timestamps(times)]
    ['2026-01-08 17:00:00+00:00', '2026-01-08 13:00:00+00:00']
    """
    values = text.tolist()
    micros = np.fromiter(map(_epoch_microseconds, values), dtype=np.int64, count=len(values))
    utc = pd.DatetimeIndex(micros.view("datetime64[us]")).tz_localize("UTC").as_unit("ns")
    return pd.Series(utc, index=text.index)


def _timestamps(frame: pd.DataFrame, col: Column, path: Path, problems: ProblemList) -> pd.Series:
    """Parse to ``datetime64[ns, UTC]``; times without an offset are UTC (README)."""
    raw = frame[col.name]
    if pd.api.types.is_datetime64_any_dtype(raw):  # a Parquet timestamp column
        blank = raw.isna().to_numpy()
        parsed = raw.dt.tz_localize("UTC") if raw.dt.tz is None else raw.dt.tz_convert("UTC")
        # Parquet may hold ms/us times outside the years the stores can count in ns.
        years = parsed.dt.year
        parsed = parsed.where((years >= FIRST_YEAR) & (years <= LAST_YEAR))
    else:
        text = _text(raw)
        blank = (text == "").to_numpy()
        parsed = parse_timestamps(text)
    # Keys and stores count nanoseconds; Parquet gives ms or us, later pandas may too.
    parsed = parsed.dt.as_unit("ns")
    if not col.nullable:
        problems.add_rows(
            blank,
            lambda pos: DataError(
                f"{col.name} is empty",
                location=_row_location(frame, path, pos, col.name),
                expected=TIMESTAMP_EXPECTED,
                hint="fill it in, or remove the row",
            ),
        )
    problems.add_rows(
        parsed.isna().to_numpy() & ~blank,
        lambda pos: DataError(
            f"not a timestamp: {_shown(raw, pos)}",
            location=_row_location(frame, path, pos, col.name),
            expected=TIMESTAMP_EXPECTED,
            hint="write times as YYYY-MM-DDTHH:MM:SS with an optional Z or ±HH:MM offset",
        ),
    )
    return parsed


def _float_or_nan(text: str) -> float:
    # Python's float() rounds correctly; pandas' parser can miss by the last bit
    # ("246159965482.69476" became ...6948). Underscores and non-ASCII digits, which
    # float() also accepts, are not numbers in a data file.
    if "_" in text or not text.isascii():
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


def parse_floats(text: pd.Series) -> pd.Series:
    """Strings as the float they spell (correctly rounded); NaN for anything else.

    Examples
    --------
    >>> parse_floats(pd.Series(["246159965482.69476", "1_000", "x"])).tolist()
    [246159965482.69476, nan, nan]
    """
    values = text.tolist()
    joined = "".join(values)  # one scan: most columns are plain ASCII numbers
    if "_" not in joined and joined.isascii():
        try:  # numpy converts with float() too, in one C loop
            return pd.Series(np.asarray(values, dtype=object).astype(np.float64), text.index)
        except ValueError:
            pass  # some value is not a number: read them one by one
    floats = np.fromiter(map(_float_or_nan, values), dtype=np.float64, count=len(values))
    return pd.Series(floats, index=text.index)


def _numbers(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Floats and the mask of empty values; text "NaN"/"inf" parse, to fail finite checks."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        # A Parquet number column: null (NaN) is an empty value.
        numbers = raw.astype(float)
        return numbers, numbers.isna().to_numpy()
    text = _text(raw)
    return parse_floats(text), (text == "").to_numpy()


def _positive_numbers(
    frame: pd.DataFrame, col: Column, path: Path, problems: ProblemList
) -> pd.Series:
    raw = frame[col.name]
    numbers, blank = _numbers(raw)
    values = numbers.to_numpy()
    problems.add_rows(
        ~blank & ~(np.isfinite(values) & (values > 0)),
        lambda pos: DataError(
            f"{col.name} is not a positive number: {_shown(raw, pos)}",
            location=_row_location(frame, path, pos, col.name),
            expected=col.description,
            hint="use a number greater than 0, or leave the value empty for 1",
        ),
    )
    return numbers.fillna(1.0)


def _amounts(frame: pd.DataFrame, col: Column, path: Path, problems: ProblemList) -> pd.Series:
    """Non-negative finite amounts (durations, counts); empty stays NaN (= no value)."""
    raw = frame[col.name]
    numbers, blank = _numbers(raw)
    values = numbers.to_numpy()
    problems.add_rows(
        ~blank & ~(np.isfinite(values) & (values >= 0)),
        lambda pos: DataError(
            f"{col.name} is not a non-negative number: {_shown(raw, pos)}",
            location=_row_location(frame, path, pos, col.name),
            expected=col.description,
            hint="durations and amounts cannot be negative; leave the value empty if unknown",
        ),
    )
    return numbers


def validate_columns(
    frame: pd.DataFrame, schema: TableSchema, path: Path, problems: ProblemList
) -> pd.DataFrame:
    """Validate and convert the schema's columns of a frame from :func:`read_table`.

    Problems in values are added to ``problems``, each located by the frame's index (line
    or row number). A missing required column raises :class:`DataError` at once: without
    it no row can be checked. Returns the typed schema columns, same index.
    """
    _check_columns(frame, schema, path)
    out = pd.DataFrame(index=frame.index)
    for col in schema.columns:
        if col.name not in frame.columns:
            continue
        if col.kind in ("id", "string"):
            out[col.name] = _ids_or_text(frame, col, path, problems)
        elif col.kind == "timestamp":
            out[col.name] = _timestamps(frame, col, path, problems)
        elif col.kind == "positive_number":
            out[col.name] = _positive_numbers(frame, col, path, problems)
        elif col.kind == "amount":
            out[col.name] = _amounts(frame, col, path, problems)
    return out


def _infer_property(series: pd.Series) -> pd.Series:
    """A user property as numbers when every non-empty value is one, else as text.

    Integers become ``Int64``, other numbers ``float64``; empty values are missing (``<NA>``,
    NaN or None). Columns Parquet already typed are kept as they are.
    """
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return series
    text = _text(series)
    present = text != ""
    values = text[present]
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.dtype.kind == "f":  # integers parse exactly; fractions need float()
        numbers = parse_floats(values)
    if values.empty or numbers.isna().any() or _would_lose_digits(values, numbers):
        return text.where(present, None)
    if numbers.dtype.kind == "i":
        return numbers.astype("Int64").reindex(series.index)
    return numbers.reindex(series.index)


def _would_lose_digits(values: pd.Series, numbers: pd.Series) -> bool:
    """Whether numbers would not give back what was written, so the column must stay text.

    Leading zeros ("02139" is a postcode) and integers beyond int64 or float precision
    (phone numbers, external ids) would be silently changed.
    """
    if values.str.match(r"[+-]?0\d").any():
        return True
    if numbers.dtype.kind == "i":
        return False
    if numbers.dtype.kind != "f":  # uint64 or objects: integers too large for int64
        return True
    integral = values.str.fullmatch(r"[+-]?\d+").to_numpy()
    return bool((np.abs(numbers.to_numpy()[integral]) > 2**53).any())


def validate_users(frame: pd.DataFrame, path: Path, problems: ProblemList) -> pd.DataFrame:
    """Check and type a users frame from :func:`read_table`; properties are inferred."""
    for name in sorted(set(frame.columns) & RESERVED_USER_COLUMNS):
        problems.add(
            DataError(
                f"column {name!r} is reserved for the scores graphkit writes back",
                location=_header_location(frame, path, name),
                expected="user property names other than "
                + ", ".join(sorted(RESERVED_USER_COLUMNS)),
                hint=f"rename the column (e.g. to 'user_{name}')",
            )
        )
    users = validate_columns(frame, USERS, path, problems)
    if "signup_at" not in users.columns:
        users["signup_at"] = pd.Series(pd.NaT, index=users.index, dtype="datetime64[ns, UTC]")
    ids = users["user_id"]
    repeated = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()
    if repeated.any():
        firsts = ids[ids.isin(ids[repeated].unique())].drop_duplicates()
        first_line = dict(zip(firsts, firsts.index, strict=True))
        problems.add_rows(
            repeated,
            lambda pos: DataError(
                f"duplicate user_id {ids.iloc[pos]!r} (first on line {first_line[ids.iloc[pos]]})",
                location=_row_location(frame, path, pos, "user_id"),
                expected="each user_id once",
                hint="remove or merge the repeated row",
            ),
        )
    for name in frame.columns:
        if name not in ("user_id", "signup_at"):
            users[name] = _infer_property(frame[name])
    return users


def _written_text(frame: pd.DataFrame, users: pd.DataFrame) -> dict[str, pd.Series]:
    """Text properties that :func:`validate_users` read as numbers, as written (0-based)."""
    written = {}
    for name in users.columns:
        if name not in ("user_id", "signup_at") and users[name].dtype != frame[name].dtype:
            text = _text(frame[name]).reset_index(drop=True)
            written[name] = text.where(text != "", None)
    return written


def validate_interactions(
    frame: pd.DataFrame,
    path: Path,
    user_ids: pd.Series | None,
    users_path: Path,
    problems: ProblemList,
) -> pd.DataFrame:
    """Check and type an interactions frame; endpoints must be in ``user_ids`` (if given)."""
    interactions = validate_columns(frame, INTERACTIONS, path, problems)
    if "weight" not in interactions.columns:
        interactions["weight"] = 1.0
    if user_ids is None:  # the users file itself is broken: nothing to compare against
        return interactions
    known = pd.Index(user_ids.unique())
    for col in ("source_id", "target_id"):
        _check_known(frame, interactions[col], col, known, path, users_path, problems)
    return interactions


def _check_known(
    frame: pd.DataFrame,
    values: pd.Series,
    col: str,
    known: pd.Index,
    path: Path,
    users_path: Path,
    problems: ProblemList,
) -> None:
    problems.add_rows(
        ~values.isin(known).to_numpy() & (values != "").to_numpy(),
        lambda pos: DataError(
            f"{col} {values.iloc[pos]!r} is not in {users_path.name}",
            location=_row_location(frame, path, pos, col),
            expected=f"a user_id listed in {users_path.name}",
            hint=f"add the user to {users_path.name}, or remove the row",
        ),
    )


def _key_part(values: pd.Series) -> list[str]:
    # '|' separates the parts of a key: escape it (and '\') so that ids such as "auth0|42"
    # cannot make two different interactions share one key.
    texts = values.tolist()
    joined = "".join(texts)  # one cheap scan: most data has neither character
    if "|" not in joined and "\\" not in joined:
        return texts
    return [v.replace("\\", "\\\\").replace("|", "\\|") for v in texts]


_EPOCH = pd.Timestamp(0, tz="UTC")


def row_keys(frame: pd.DataFrame, parts: list[str], time_column: str) -> pd.Series:
    """Identity of each row: its ``parts``, epoch milliseconds of ``time_column``, occurrence.

    ``occurrence`` numbers rows that repeat the same parts and time in file order, so
    genuine repeats are kept; a key depends on no other row. ``|`` and ``\\`` inside values
    are escaped.
    """
    epoch_ms = (frame[time_column] - _EPOCH) // pd.Timedelta(milliseconds=1)
    texts = [_key_part(frame[c].fillna("").astype(str)) for c in parts]
    base = pd.Series(
        list(map("|".join, zip(*texts, map(str, epoch_ms.tolist()), strict=True))),
        index=frame.index,
        dtype=object,
    )
    occurrence = (base.groupby(base, sort=False).cumcount() + 1).tolist()
    keys = list(map("|".join, zip(base.tolist(), map(str, occurrence), strict=True)))
    return pd.Series(keys, index=frame.index, dtype=object)


def interaction_keys(interactions: pd.DataFrame) -> pd.Series:
    """The identity of each interaction: ``source|target|type|epoch_ms|occurrence``.

    Loading MERGEs on this key, which makes loads idempotent: the same file loaded twice
    (or re-run after a crash) gives the same relationships.

    Examples
    --------
    >>> frame = pd.DataFrame({"source_id": ["a", "a"], "target_id": ["b", "b"],
    ...                       "type": ["like", "like"],
    ...                       "at": pd.to_datetime(["2026-01-01", "2026-01-01"], utc=True)})
    >>> interaction_keys(frame).tolist()
    ['a|b|like|1767225600000|1', 'a|b|like|1767225600000|2']
    """
    return row_keys(interactions, ["source_id", "target_id", "type"], "at")


def event_keys(events: pd.DataFrame) -> pd.Series:
    """The identity of each event: ``user|event|session|epoch_ms|occurrence``."""
    return row_keys(events, ["user_id", "event", "session_id"], "at")


def validate_events(
    frame: pd.DataFrame,
    path: Path,
    user_ids: pd.Series | None,
    users_path: Path,
    problems: ProblemList,
) -> pd.DataFrame:
    """Check and type an events frame; every user must be in ``user_ids`` (if given)."""
    events = validate_columns(frame, EVENTS, path, problems)
    if "value" not in events.columns:
        events["value"] = np.nan
    if "session_id" in events.columns:
        events["session_id"] = events["session_id"].where(events["session_id"] != "", None)
    else:
        events["session_id"] = None
    if user_ids is not None:
        known = pd.Index(user_ids.unique())
        _check_known(frame, events["user_id"], "user_id", known, path, users_path, problems)
    return events


def validate_assignments(
    frame: pd.DataFrame,
    path: Path,
    user_ids: pd.Series | None,
    users_path: Path,
    problems: ProblemList,
) -> pd.DataFrame:
    """Check an assignments frame: known users, one variant per user and experiment."""
    assignments = validate_columns(frame, ASSIGNMENTS, path, problems)
    if user_ids is not None:
        known = pd.Index(user_ids.unique())
        _check_known(frame, assignments["user_id"], "user_id", known, path, users_path, problems)
    pair = assignments["experiment"] + "\x00" + assignments["user_id"]
    repeated = pair.duplicated(keep="first").to_numpy()
    if repeated.any():
        first = pair[pair.isin(pair[repeated].unique())].drop_duplicates()
        first_line = dict(zip(first, first.index, strict=True))
        first_variant = dict(zip(first, assignments.loc[first.index, "variant"], strict=True))

        def describe(pos: int) -> DataError:
            key, variant = pair.iloc[pos], assignments["variant"].iloc[pos]
            other = first_variant[key]
            what = f"also assigned to {other!r}" if other != variant else "assigned twice"
            return DataError(
                f"user {assignments['user_id'].iloc[pos]!r} is {what} in experiment "
                f"{assignments['experiment'].iloc[pos]!r} (first on line {first_line[key]})",
                location=_row_location(frame, path, pos, "variant"),
                expected="one assignment per user and experiment",
                hint="a user belongs to one arm of an experiment: remove the extra row",
            )

        problems.add_rows(repeated, describe)
    return assignments


def load_dataset(folder: str | Path) -> Dataset:
    """Read and validate a dataset folder; raise DataErrors listing every problem found.

    Parameters
    ----------
    folder : str or Path
        A folder holding ``users.csv`` or ``users.parquet`` and ``interactions.csv`` or
        ``interactions.parquet``.

    Returns
    -------
    Dataset
        Typed tables with interaction keys; ``notes`` says what was accepted but is worth
        knowing (self-interactions, ignored columns).

    Raises
    ------
    DataError
        If the folder or a file is missing or ambiguous (exit code 2).
    DataErrors
        Every problem in the files, each with file, line and column (exit code 2).

    Examples
    --------
    >>> from graphkit.dataset import load_dataset
    >>> load_dataset("no/such/folder")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    graphkit.errors.DataError: no/such/folder: the dataset folder does not exist
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            "the dataset folder does not exist" if not folder.exists() else "not a folder",
            location=Location(str(folder)),
            expected="a folder holding users.csv and interactions.csv (or .parquet)",
            hint="pass the folder that holds the files, or create one with `graphkit simulate DIR`",
        )
    users_path = find_table(folder, "users")
    interactions_path = find_table(folder, "interactions")
    assert users_path is not None and interactions_path is not None  # required=True

    # Each file is checked even when another is broken, so one run reports everything.
    problems = ProblemList()
    users: pd.DataFrame | None = None
    written_text: dict[str, pd.Series] = {}
    try:
        users_frame = read_table(users_path, USERS)
        users = validate_users(users_frame, users_path, problems)
        written_text = _written_text(users_frame, users)
    except DataError as exc:
        problems.add(exc)
    user_ids = None if users is None else users["user_id"]
    notes: list[str] = []

    def checked(path: Path | None, schema: TableSchema, validate: Callable) -> pd.DataFrame | None:
        if path is None:
            return None
        try:
            frame = read_table(path, schema)
            table = validate(frame, path, user_ids, users_path, problems)
        except DataError as exc:
            problems.add(exc)
            return None
        ignored = [c for c in frame.columns if c not in schema.names]
        if ignored:
            notes.append(
                f"{path.name}: column(s) {', '.join(map(str, ignored))} are not part of the "
                f"{schema.name} format and were not loaded"
            )
        return table.reset_index(drop=True)

    interactions = checked(interactions_path, INTERACTIONS, validate_interactions)
    events = checked(find_table(folder, "events", required=False), EVENTS, validate_events)
    assignments = checked(
        find_table(folder, "assignments", required=False), ASSIGNMENTS, validate_assignments
    )
    problems.raise_if_any()
    assert users is not None and interactions is not None  # else a problem was raised

    interactions["key"] = interaction_keys(interactions)
    if events is not None:
        events["key"] = event_keys(events)
    self_loops = int((interactions["source_id"] == interactions["target_id"]).sum())
    if self_loops:
        notes.append(
            f"{self_loops} self-interaction(s) (source = target) are stored but left out "
            "of graph analyses"
        )
    return Dataset(
        users=users.reset_index(drop=True),
        interactions=interactions,
        source=folder,
        notes=tuple(notes),
        events=events,
        assignments=assignments,
        users_file=users_path,
        user_lines=users.index.to_numpy(),
        written_text=written_text,
    )
