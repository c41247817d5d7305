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
import gc
import io
import math
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

import numpy as np
import pandas as pd

from graphkit.errors import DataError, DataErrors, Location

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

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
    NaN when empty), ``session_id`` (str or None), ``key``; a frame, or the same columns
    staged in a temporary file (:class:`StagedEvents`, ``load_dataset(stage_events=True)``).
    ``assignments`` (optional ``assignments.csv``): ``experiment``, ``user_id``,
    ``variant``, ``assigned_at``.
    """

    users: pd.DataFrame
    interactions: pd.DataFrame
    source: Path | None = None
    notes: tuple[str, ...] = field(default=())
    events: pd.DataFrame | StagedEvents | None = None
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


def _utf8_error(path: Path) -> DataError:
    """The error for the first bytes of ``path`` that are not UTF-8, located by line and column.

    Only called once decoding failed: the file is read again in blocks, so a bad byte near
    the end of a large file costs no more memory than one near the start.
    """
    with path.open("rb") as raw:
        head = raw.read(2)
        if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return DataError(
                "the file is UTF-16 encoded",
                location=Location(str(path), 1),
                expected="a UTF-8 encoded file",
                hint="re-save it as 'CSV UTF-8' (e.g. iconv -f utf-16 -t utf-8)",
            )
        raw.seek(0)
        header = raw.readline().rstrip(b"\r\n")
        # The offset of the first bad byte: decode block by block (a sequence may straddle
        # two blocks; the decoder keeps its first bytes, so they are counted back).
        raw.seek(len(codecs.BOM_UTF8) if header.startswith(codecs.BOM_UTF8) else 0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        position, bad = raw.tell(), None
        while bad is None:
            block = raw.read(_BLOCK)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                bad = position - (len(exc.object) - len(block)) + exc.start
            if not block:
                break
            position += len(block)
        if bad is None:  # decoding failed earlier but not now: the file changed meanwhile
            bad = position
        # Its line (the header is line 1) and the bytes of that line before it.
        raw.seek(0)
        newlines, line_start, done = 0, 0, 0
        while done < bad:
            block = raw.read(min(_BLOCK, bad - done))
            newlines += block.count(b"\n")
            last = block.rfind(b"\n")
            if last >= 0:
                line_start = done + last + 1
            done += len(block)
        raw.seek(line_start)
        prefix = raw.read(bad - line_start)
        byte = raw.read(1) or b"\x00"
    line = newlines + 1
    return DataError(
        f"byte 0x{byte[0]:02x} is not valid UTF-8"
        f" (in Latin-1/Windows-1252 it would be {byte.decode('cp1252', 'replace')!r})",
        location=Location(str(path), line, _column_at(header, line, prefix)),
        expected="a UTF-8 encoded file",
        hint="re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
    )


_BLOCK = 1 << 20
"""Bytes read at a time when a file is scanned for its first non-UTF-8 byte."""


def _column_at(header: bytes, line: int, prefix: bytes) -> str | None:
    """The header name of the field that ``prefix`` (its line up to a byte) ends in."""
    if line == 1:
        return None
    header_text = header.decode("utf-8-sig", "replace")
    try:
        names = next(csv.reader([header_text]), [])
        index = max(len(next(csv.reader([prefix.decode("utf-8", "replace")]), [])) - 1, 0)
    except csv.Error:  # e.g. a lone carriage return before the bad byte: no column to name
        return None
    return names[index].strip() if index < len(names) else None


def _is_record(fields: list[str]) -> bool:
    # Blank and whitespace-only lines are skipped, as spreadsheets and pandas do.
    return len(fields) > 1 or bool(fields and fields[0].strip())


def _quote_error(path: Path, line: int, exc: csv.Error) -> DataError:
    return DataError(
        f"cannot parse the record starting on this line: {exc}",
        location=Location(str(path), line),
        expected="CSV quoting: a quoted field ends with a quote followed by ',' or a line end",
        hint='close the quote, or double a quote inside a quoted field ("")',
    )


def _header_record(path: Path, text: TextIO) -> tuple[int, list[str], int]:
    """The first non-blank record: ``(its line, fields, the line after it)``."""
    reader = csv.reader(text, strict=True)
    start = 1
    try:
        for fields in reader:
            if _is_record(fields):
                return start, fields, reader.line_num + 1
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _quote_error(path, start, exc) from exc
    return 1, [], start


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the csv module makes a list per record.

    Those lists hold only strings (no cycles to find), but their number sets off
    collections that took half the parsing time (measured: 1.9 s against 0.9 s per million
    records).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _record_batches(
    path: Path, text: TextIO, first_line: int, rows: int | None, width: int
) -> Iterator[tuple[Sequence[int], list[list[str]] | None, list[np.ndarray] | None]]:
    """Yield ``(lines, records, columns)`` for the next ``rows`` lines of ``text`` at a time.

    ``lines[i]`` is the line record ``i`` starts on. Either ``records`` (field lists, some
    maybe blank or ragged: the caller looks at each) or ``columns`` (``width`` arrays of
    strings, every line a full record) is given. The csv module is the reference parser:
    it gives the line each record starts on (quoted fields may span lines), which pandas'
    parser cannot; strict=True makes an unclosed quote an error instead of swallowing the
    rest of the file. Lines without quotes are first given to Arrow's CSV parser, which
    reads them the same way (split at commas, nothing else) in a fraction of the time.
    """
    while True:
        lines = list(islice(text, rows))
        if not lines:
            return
        block = "".join(lines)
        if '"' not in block:
            # Without quotes every line is one record: lines are counted, not tracked.
            numbers = range(first_line, first_line + len(lines))
            columns = _arrow_columns(block, width, len(lines))
            if columns is not None:
                yield numbers, None, columns
                first_line += len(lines)
                continue
            try:
                with _no_cyclic_gc():
                    records = list(csv.reader(lines, strict=True))
            except csv.Error:
                pass  # located below, record by record
            else:
                yield numbers, records, None
                first_line += len(lines)
                continue
        # A quoted field may span lines, even past this batch's last line: the reader then
        # reads on from the file until the record ends.
        reader = csv.reader(chain(lines, text), strict=True)
        starts: list[int] = []
        records = []
        start = first_line
        try:
            for fields in reader:
                starts.append(start)
                records.append(fields)
                start = first_line + reader.line_num
                if reader.line_num >= len(lines):
                    break
        except csv.Error as exc:
            raise _quote_error(path, start, exc) from exc
        yield starts, records, None
        first_line = start


def _arrow_columns(block: str, width: int, lines: int) -> list[np.ndarray] | None:
    """The columns of quote-free CSV lines, each line a record of ``width`` fields, read
    by Arrow; None when any line is not (blank, ragged, a NUL or a lone carriage return:
    then the csv module reads them)."""
    if (
        width < 2
        or "\x00" in block
        or block.count("\r") != block.count("\r\n")  # lines end in \n or \r\n only
        or block.startswith(("\n", "\r\n"))
        or "\n\n" in block
        or "\n\r\n" in block  # an empty line
    ):
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            io.BytesIO(block.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=[str(i) for i in range(width)]),
            parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={str(i): pa.string() for i in range(width)},
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:  # a line with another number of fields
        return None
    if table.num_rows != lines:
        return None
    return [column.to_numpy(zero_copy_only=False) for column in table.columns]


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


def read_csv_chunks(
    path: Path, schema: TableSchema, rows: int | None = None
) -> Iterator[pd.DataFrame]:
    """Read a CSV as text, ``rows`` lines at a time (all at once if None).

    Yields frames with one string column per header name, indexed by line number, values
    exactly as written. Checks encoding, delimiter, header and that every record has as
    many fields as the header (a ragged record usually means an unquoted comma or a broken
    line; padding or cutting it silently would shift or lose values). Ragged records are
    left out of the frames and raised together, as one
    :class:`~graphkit.errors.DataErrors`, once the whole file was read; a file without
    rows raises at its end too.
    """
    # Fields may be as long as the file (a 1 MB bio is valid data); the module's default
    # limit of 128 KiB refused them with a misleading message about quoting.
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    try:
        with path.open("rb") as raw, io.TextIOWrapper(raw, "utf-8-sig", newline="") as text:
            yield from _csv_frames(path, schema, text, rows)
    except UnicodeDecodeError as exc:  # a byte-order mark (Excel's "CSV UTF-8") is fine
        raise _utf8_error(path) from exc


def _csv_frames(
    path: Path, schema: TableSchema, text: TextIO, rows: int | None
) -> Iterator[pd.DataFrame]:
    header_line, header, next_line = _header_record(path, text)
    if not header:
        raise DataError(
            "the file is empty",
            location=Location(str(path), 1),
            expected=f"a header line with the columns {schema.describe()}",
            hint="write the header line, then one line per row",
        )
    names = _header_names(path, header_line, header, schema)
    width = len(names)
    ragged = ProblemList()
    any_rows = False
    for lines, records, columns in _record_batches(path, text, next_line, rows, width):
        kept_lines = np.asarray(lines, dtype=np.int64)
        if columns is None:
            assert records is not None
            kept = records
            if width == 1 or set(map(len, records)) != {width}:
                # Blank lines, ragged records or a single column: look at each record.
                kept_lines, kept = _kept_records(path, lines, records, names, ragged)
            if not kept:
                continue
            with _no_cyclic_gc():
                columns = [np.array(values, dtype=object) for values in zip(*kept, strict=True)]
        any_rows = True
        frame = pd.DataFrame(
            dict(zip(names, columns, strict=True)), index=pd.Index(kept_lines, name="line")
        )
        frame.attrs["header_line"] = header_line
        yield frame
    ragged.raise_if_any()
    if not any_rows:
        raise DataError(
            "the file has a header but no rows",
            location=Location(str(path), header_line + 1),
            expected=f"at least one {schema.name} row",
        )


def _kept_records(
    path: Path,
    lines: Sequence[int],
    records: list[list[str]],
    names: list[str],
    ragged: ProblemList,
) -> tuple[np.ndarray, list[list[str]]]:
    """Records that are neither blank nor ragged, and their lines; ragged ones are noted."""
    kept_lines, kept = [], []
    for line, fields in zip(lines, records, strict=True):
        if not _is_record(fields):
            continue
        if len(fields) != len(names):
            ragged.add(_field_count_error(path, line, fields, names))
            continue
        kept_lines.append(line)
        kept.append(fields)
    return np.asarray(kept_lines, dtype=np.int64), kept


def read_csv_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    """Read a whole CSV as text: :func:`read_csv_chunks` in one frame."""
    (frame,) = read_csv_chunks(path, schema)
    return frame


def _unreadable_parquet(path: Path, exc: Exception) -> DataError:
    return DataError(
        f"cannot read Parquet: {exc}",
        location=Location(str(path)),
        expected="a Parquet file",
        hint="check the file is a Parquet file (not a renamed CSV or Excel file)",
    )


def _no_parquet_rows(path: Path, schema: TableSchema) -> DataError:
    return DataError(
        "the file has no rows",
        location=Location(str(path)),
        expected=f"at least one {schema.name} row",
    )


def _numbered_rows(frame: pd.DataFrame, path: Path, first_row: int) -> pd.DataFrame:
    """A frame read from Parquet with checked column names, indexed by 1-based row number."""
    # A column saved as the index (df.set_index("user_id").to_parquet()) is data too.
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    names = [str(c).strip() for c in frame.columns]
    _check_names(path, None, names)
    frame.columns = pd.Index(names)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame), name="row")
    return frame


def read_parquet_table(path: Path, schema: TableSchema) -> pd.DataFrame:
    """Read a Parquet file, indexed by 1-based row number."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types; all mean "not a readable Parquet"
        raise _unreadable_parquet(path, exc) from exc
    if frame.empty:
        raise _no_parquet_rows(path, schema)
    return _numbered_rows(frame, path, 1)


def read_parquet_chunks(path: Path, schema: TableSchema, rows: int) -> Iterator[pd.DataFrame]:
    """Read a Parquet file ``rows`` rows at a time, each frame indexed by row number."""
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
        if file.metadata.num_rows == 0:
            raise _no_parquet_rows(path, schema)
        first_row = 1
        for batch in file.iter_batches(batch_size=rows):
            frame = _numbered_rows(batch.to_pandas(), path, first_row)
            first_row += len(frame)
            yield frame
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises many types; all mean "not a readable Parquet"
        raise _unreadable_parquet(path, exc) from exc


def read_table_chunks(path: Path, schema: TableSchema, rows: int) -> Iterator[pd.DataFrame]:
    """Read one table ``rows`` rows at a time: :func:`read_table`'s frames, in pieces."""
    if path.suffix == ".parquet":
        return read_parquet_chunks(path, schema, rows)
    return read_csv_chunks(path, schema, rows)


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
    # map() over C methods: about 4x faster than .str.strip() on a million values.
    try:
        stripped = list(map(str.strip, values.tolist()))  # text, as every CSV value is
    except TypeError:  # a missing value or a number (Parquet)
        missing = pd.isna(values)
        if missing.any():
            values = np.where(missing, "", values)
        stripped = list(map(str.strip, map(str, values)))
    return pd.Series(np.array(stripped, dtype=object), index=series.index, dtype=object)


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
    try:
        # Usually every value is a time: each read by fromisoformat in C, then all
        # converted to UTC at once (each with its own offset; one without is UTC).
        moments = pd.to_datetime(list(map(datetime.fromisoformat, values)), utc=True)
    except (ValueError, TypeError, OverflowError):  # some are not (or out of range)
        micros = np.fromiter(map(_epoch_microseconds, values), dtype=np.int64, count=len(values))
    else:
        micros = moments.as_unit("us").asi8
        micros = np.where((micros >= _FIRST_US) & (micros < _END_US), micros, _NOT_A_TIME)
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


_EPOCH = pd.Timestamp(0, tz="UTC")


def key_bases(frame: pd.DataFrame, parts: list[str], time_column: str) -> pa.ChunkedArray:
    """Each row's key without its occurrence: ``parts`` and epoch milliseconds, ``|``-joined.

    Missing parts are empty. '|' separates the parts of a key: it is escaped inside values
    (and so is '\\') so that ids such as "auth0|42" cannot make two rows share one key.
    Built by Arrow's string kernels, not row by row in Python.
    """
    import pyarrow as pa

    texts = []
    for column in parts:
        values = frame[column].to_numpy(dtype=object)
        try:
            texts.append(pa.chunked_array([pa.array(values, pa.string(), from_pandas=True)]))
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # not text: numbers, say
            texts.append(pa.chunked_array([pa.array(frame[column].fillna("").astype(str))]))
    return _joined_bases(texts, epoch_milliseconds(frame[time_column]))


def epoch_milliseconds(times: pd.Series) -> np.ndarray:
    """Whole milliseconds since 1970 (UTC), rounded down, as keys count them."""
    return ((times - _EPOCH) // pd.Timedelta(milliseconds=1)).to_numpy(dtype=np.int64)


def _joined_bases(
    texts: Sequence[pa.ChunkedArray | pa.Array], epoch_ms: np.ndarray | pa.ChunkedArray
) -> pa.ChunkedArray:
    import pyarrow as pa
    import pyarrow.compute as pc

    escaped = []
    for text in texts:
        text = pc.fill_null(text, "")
        for character in ("\\", "|"):  # '\\' first: the escapes of '|' are not doubled
            if pc.any(pc.match_substring(text, character)).as_py():
                text = pc.replace_substring(text, character, "\\" + character)
        escaped.append(text)
    escaped.append(pc.cast(pa.chunked_array([epoch_ms]), pa.string()))
    return pc.binary_join_element_wise(*escaped, "|")


def row_keys(frame: pd.DataFrame, parts: list[str], time_column: str) -> pd.Series:
    """Identity of each row: its ``parts``, epoch milliseconds of ``time_column``, occurrence.

    ``occurrence`` numbers rows that repeat the same parts and time in file order, so
    genuine repeats are kept; a key depends on no other row. ``|`` and ``\\`` inside values
    are escaped (:func:`key_bases`).
    """
    bases = key_bases(frame, parts, time_column).to_pylist()
    base = pd.Series(bases, index=frame.index, dtype=object)
    occurrence = (base.groupby(base, sort=False).cumcount() + 1).tolist()
    keys = list(map("|".join, zip(bases, map(str, occurrence), strict=True)))
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


EVENT_KEY_PARTS = ["user_id", "event", "session_id"]
"""An event's key: ``user|event|session|epoch_ms|occurrence`` (see :func:`row_keys`)."""


def event_keys(events: pd.DataFrame) -> pd.Series:
    """The identity of each event: ``user|event|session|epoch_ms|occurrence``.

    :func:`validate_and_stage_events` gives the same keys to a file of any size, read in chunks.
    """
    return row_keys(events, EVENT_KEY_PARTS, "at")


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


# ----------------------------------------------------------------- events, in chunks

CHUNK_ROWS = 100_000
"""Events read, validated and staged at a time: memory holds one chunk, not the file."""
FILE_BATCH_ROWS = 1 << 20
"""Rows per row group of the staged events file (pyarrow's default when writing a frame)."""
STAGING_MEMORY = "256MB"
"""DuckDB's working memory while it numbers repeated events; past it, it spills to disk."""


def events_schema() -> pa.Schema:
    """The Arrow schema of keyed events, as pandas writes a validated events frame.

    The staged file and the embedded store's ``events.parquet`` both have it.
    """
    import pyarrow as pa

    template = pd.DataFrame(
        {
            "user_id": ["u"],
            "at": pd.Series([_EPOCH]).dt.as_unit("ns"),
            "event": ["e"],
            "value": [0.0],
            "session_id": ["s"],
            "key": ["k"],
        }
    )
    return pa.Schema.from_pandas(template, preserve_index=False)


def bounded_duckdb(spill: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose working memory is capped (:data:`STAGING_MEMORY`); past
    the cap it spills to ``spill``. Use it as a context manager (closed on exit)."""
    import duckdb

    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": STAGING_MEMORY,
        "temp_directory": str(spill),
        # Every query says its order: without keeping insertion order DuckDB can spill.
        "preserve_insertion_order": False,
    }
    return duckdb.connect(config=config)


@contextmanager
def staged(events: pd.DataFrame | StagedEvents) -> Iterator[StagedEvents]:
    """``events`` as :class:`StagedEvents`: a frame is staged for the ``with`` block only."""
    if isinstance(events, StagedEvents):
        yield events
        return
    staging = StagedEvents.from_frame(events)
    try:
        yield staging
    finally:
        staging.close()


def events_writer(path: Path) -> pq.ParquetWriter:
    """A Parquet writer of keyed events (:func:`events_schema`), batch by batch.

    Only the few-valued columns are dictionary-encoded: encoding the keys (all distinct)
    doubled the writing time and made the file larger (measured on 1M events).
    """
    import pyarrow.parquet as pq

    return pq.ParquetWriter(
        path, events_schema(), use_dictionary=["user_id", "event", "session_id"]
    )


class StagedEvents:
    """Validated events with their keys, in a temporary Parquet file; none held in memory.

    :func:`load_dataset` gives one for ``stage_events=True``: the stores read it in
    batches (:meth:`batches`), the embedded store merges the file itself. Columns as a
    validated events frame: ``user_id, at, event, value, session_id, key``, in file order.
    The file and its folder are removed by :meth:`close`, or when the object is
    garbage-collected.

    Examples
    --------
    >>> events = pd.DataFrame({"user_id": ["a"], "at": pd.to_datetime(["2026-01-01"], utc=True),
    ...                        "event": ["view"], "value": [None], "session_id": [None],
    ...                        "key": ["a|view||1767225600000|1"]})
    >>> staged = StagedEvents.from_frame(events)
    >>> len(staged), staged.to_frame()["key"].tolist()
    (1, ['a|view||1767225600000|1'])
    >>> staged.close()
    """

    def __init__(self, path: Path, rows: int) -> None:
        self.path = path
        self.rows = rows
        self._remove = weakref.finalize(self, shutil.rmtree, path.parent, ignore_errors=True)

    @classmethod
    def from_frame(cls, events: pd.DataFrame) -> StagedEvents:
        """Stage an events frame that has its keys (e.g. a part of a loaded dataset's)."""
        import pyarrow as pa

        path = Path(tempfile.mkdtemp(prefix="graphkit-events-")) / "events.parquet"
        frame = events[[*EVENTS.names, "key"]]
        table = pa.Table.from_pandas(frame, schema=events_schema(), preserve_index=False)
        with events_writer(path) as out:
            out.write_table(table, row_group_size=FILE_BATCH_ROWS)
        return cls(path, len(frame))

    def __len__(self) -> int:
        return self.rows

    def batches(self, rows: int) -> Iterator[pd.DataFrame]:
        """The events, ``rows`` at a time, in file order (frames as :meth:`to_frame`'s)."""
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=rows):
            yield batch.to_pandas()

    def to_frame(self) -> pd.DataFrame:
        """All events in one frame (what ``Dataset.events`` holds without staging)."""
        return pd.read_parquet(self.path)

    def close(self) -> None:
        """Remove the file; the object is not usable afterwards."""
        self._remove()


class _EventStaging:
    """Writes validated chunks to a temporary file; then numbers repeats over all of it and
    writes the final file, with the keys, in one pass.

    A chunk is written by a thread of its own while the next one is read and validated
    (Arrow's writer releases the GIL): on two cores the writing then costs no time. The
    chunks are staged with each event's epoch milliseconds instead of its key: the key's
    parts, so equal parts mean equal keys, and the key strings are built once, at the end.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="graphkit-events-"))
        self.chunks = self.folder / "chunks.parquet"
        self.rows = 0
        self.writer: pq.ParquetWriter | None = None
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="graphkit-staging")
        self.written: Future[None] | None = None
        # Removed unless finished (then the StagedEvents owns it): by discard(), or when
        # this object goes away after an error.
        self._remove = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)

    def add(self, events: pd.DataFrame) -> None:
        """Append a validated chunk."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = _staging_schema()
        frame = events[EVENTS.names].assign(epoch_ms=epoch_milliseconds(events["at"]))
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        self._wait()
        if self.writer is None:
            self.writer = pq.ParquetWriter(
                self.chunks, schema, use_dictionary=["user_id", "event", "session_id"]
            )
        self.written = self.thread.submit(self.writer.write_table, table)
        self.rows += len(events)

    def _wait(self) -> None:
        """Until the chunk being written is written (its error, if any, raised here)."""
        if self.written is not None:
            written, self.written = self.written, None
            written.result()

    def _close(self) -> None:
        try:
            self._wait()
        finally:
            self.thread.shutdown()
            if self.writer is not None:
                self.writer.close()

    def discard(self) -> None:
        try:
            self._close()
        finally:
            self._remove()

    def finish(self) -> StagedEvents:
        """The staged events with their keys, occurrences counted over the whole file."""
        assert self.writer is not None  # a file without rows raised while it was read
        try:
            self._close()
            path = self._write_keyed()
        except BaseException:
            self._remove()
            raise
        self._remove.detach()
        return StagedEvents(path, self.rows)

    def _write_keyed(self) -> Path:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        positions, occurrences = self._repeats()
        path = self.folder / "events.parquet"
        schema = events_schema()
        with events_writer(path) as out:
            start = 0
            for batch in pq.ParquetFile(self.chunks).iter_batches(batch_size=FILE_BATCH_ROWS):
                occurrence = np.ones(batch.num_rows, dtype=np.int64)
                low, high = np.searchsorted(positions, [start, start + batch.num_rows])
                occurrence[positions[low:high] - start] = occurrences[low:high]
                parts = [batch.column(c) for c in EVENT_KEY_PARTS]
                bases = _joined_bases(parts, batch.column("epoch_ms"))
                keys = pc.binary_join_element_wise(
                    bases, pc.cast(pa.array(occurrence), pa.string()), "|"
                )
                columns = [batch.column(c) for c in EVENTS.names]
                out.write_table(pa.Table.from_arrays([*columns, keys], schema=schema))
                start += batch.num_rows
        self.chunks.unlink()
        return path

    def _repeats(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions (0-based, ascending) and occurrence of each event whose key parts
        repeat an earlier event's (``session_id`` missing and empty are one part: '')."""
        # Parts are grouped by hash first, out of core: only events sharing a hash with
        # another (real repeats, rarely a collision) are numbered, in file order.
        query = """
            WITH staged AS (
                SELECT user_id, event, coalesce(session_id, '') AS session, epoch_ms,
                       file_row_number AS position
                FROM read_parquet(?, file_row_number = true)
            ),
            shared AS (
                SELECT hash(user_id, event, session, epoch_ms) AS h
                FROM staged GROUP BY h HAVING count(*) > 1
            ),
            numbered AS (
                SELECT position,
                       row_number() OVER (
                           PARTITION BY user_id, event, session, epoch_ms ORDER BY position
                       ) AS occurrence
                FROM staged
                WHERE hash(user_id, event, session, epoch_ms) IN (SELECT h FROM shared)
            )
            SELECT position, occurrence FROM numbered WHERE occurrence > 1 ORDER BY position
        """
        with bounded_duckdb(self.folder / "spill") as db:
            found = db.execute(query, [str(self.chunks)]).fetchnumpy()
        shutil.rmtree(self.folder / "spill", ignore_errors=True)
        return (
            np.asarray(found["position"], dtype=np.int64),
            np.asarray(found["occurrence"], dtype=np.int64),
        )


def _staging_schema() -> pa.Schema:
    """Validated events with their epoch milliseconds, as :class:`_EventStaging` keeps them."""
    import pyarrow as pa

    schema = events_schema()
    return schema.remove(schema.get_field_index("key")).append(pa.field("epoch_ms", pa.int64()))


def validate_and_stage_events(
    path: Path,
    user_ids: pd.Series | None,
    users_path: Path,
    problems: ProblemList,
    notes: list[str],
    *,
    rows: int = CHUNK_ROWS,
) -> StagedEvents | None:
    """Validate an events file ``rows`` at a time and stage it with keys; None if invalid.

    Every row is checked, as :func:`validate_events` does for a whole file; problems go to
    ``problems`` (None is returned) and nothing is staged. The file's problems are
    reported as a whole-file read would: a file that cannot be read, ragged records, a
    missing column, then problems in values. Keys are :func:`event_keys`', occurrences
    counted over the whole file, not per chunk.
    """
    staging = _EventStaging()
    found = ProblemList()
    missing_column: DataError | None = None
    columns: list[str] = []
    try:
        for frame in read_table_chunks(path, EVENTS, rows):
            columns = list(map(str, frame.columns))
            if missing_column is not None:
                continue  # read on: ragged records elsewhere are reported instead
            try:
                events = validate_events(frame, path, user_ids, users_path, found)
            except DataError as exc:  # a required column is missing: no row can be checked
                missing_column = exc
                continue
            if not found.total:
                staging.add(events)
        if missing_column is not None:
            raise missing_column
        found.raise_if_any()
    except DataError as exc:
        staging.discard()
        problems.add(exc)
        return None
    except BaseException:
        staging.discard()
        raise
    ignored = [c for c in columns if c not in EVENTS.names]
    if ignored:
        notes.append(
            f"{path.name}: column(s) {', '.join(ignored)} are not part of the "
            f"{EVENTS.name} format and were not loaded"
        )
    return staging.finish()


def load_dataset(
    folder: str | Path, *, stage_events: bool = False, chunk_rows: int = CHUNK_ROWS
) -> Dataset:
    """Read and validate a dataset folder; raise DataErrors listing every problem found.

    Parameters
    ----------
    folder : str or Path
        A folder holding ``users.csv`` or ``users.parquet`` and ``interactions.csv`` or
        ``interactions.parquet``.
    stage_events : bool
        Keep the events (``events.csv`` or ``.parquet``, which may be large) in a
        temporary Parquet file, :class:`StagedEvents`, instead of a DataFrame: memory
        then holds one chunk of events at a time. ``graphkit load`` does this.
    chunk_rows : int
        Events read and validated at a time.

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
    events_path = find_table(folder, "events", required=False)
    staged = None
    if events_path is not None:
        staged = validate_and_stage_events(
            events_path, user_ids, users_path, problems, notes, rows=chunk_rows
        )
    try:
        assignments = checked(
            find_table(folder, "assignments", required=False), ASSIGNMENTS, validate_assignments
        )
        problems.raise_if_any()
    except BaseException:
        if staged is not None:
            staged.close()
        raise
    assert users is not None and interactions is not None  # else a problem was raised

    interactions["key"] = interaction_keys(interactions)
    events: pd.DataFrame | StagedEvents | None = staged
    if staged is not None and not stage_events:
        events = staged.to_frame()
        staged.close()
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
