"""The embedded store: a folder of Parquet files, for working without a server.

Layout of the store folder (default ``.graphkit/``)::

    users.parquet          user_id, signup_at, properties (incl. written-back scores)
    interactions.parquet   source_id, target_id, type, at, weight, key
    events.parquet         user_id, at, event, value, session_id, key   (if loaded)
    assignments.parquet    experiment, user_id, variant, assigned_at    (if loaded)

A load or write-back first writes every table it changes to a temporary file, and only
when all are written renames them over the old ones: a failure while writing (a full
disk, a crash) leaves the previous store as it was, and a re-run of the load finishes the
job. Writers take an exclusive lock on ``.lock`` in the folder, so two loads at once run
one after the other instead of losing each other's rows.
"""

from __future__ import annotations

import errno
import fcntl
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from graphkit.dataset import (
    FILE_BATCH_ROWS,
    Dataset,
    PropertyKind,
    StagedEvents,
    bounded_duckdb,
    events_schema,
    events_writer,
    staged,
)
from graphkit.errors import ConfigError, StoreUnavailable
from graphkit.files import replace_atomically
from graphkit.store.base import (
    ASSIGNMENT_COLUMNS,
    EVENT_COLUMNS,
    EdgeFilter,
    LoadSummary,
    ProgressCallback,
    StoreCounts,
    sort_assignments,
    sort_events,
    users_to_store,
)

INTERACTION_COLUMNS = ["source_id", "target_id", "type", "at", "weight", "key"]


def _kind_of_arrow(kind: pa.DataType) -> PropertyKind | None:
    if pa.types.is_null(kind):
        return None  # a column no user has a value in
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "number"
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return "time"
    return "other"


FileWriter = Callable[[Path], object]
"""Writes one table at the path it is given (:func:`graphkit.files.replace_atomically`)."""


def _frame_writer(frame: pd.DataFrame) -> FileWriter:
    return lambda target: frame.to_parquet(target, index=False)


def _replace_all(folder: Path, writers: dict[Path, FileWriter]) -> None:
    """Write every table, then rename them all over the old files (:mod:`graphkit.files`).

    Nothing is renamed unless every table was written, so a failure (no space left, no
    permission) leaves each file as it was; the temporary files are removed.
    """
    try:
        replace_atomically(writers)
    except OSError as exc:
        reason = "no space left on the device" if exc.errno == errno.ENOSPC else exc.strerror
        raise StoreUnavailable(
            f"cannot write the embedded store in {folder}: {reason or exc}; "
            "nothing was changed, it holds what it held before",
            hint="free some space (or choose another --store), then run the command again",
        ) from exc


def upsert_users(existing: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """New values win; properties the new rows leave empty keep their stored value.

    This is what Neo4j's ``SET u += $props`` does with null-free maps, so both stores
    agree after any sequence of loads and write-backs.
    """
    if existing is None or existing.empty:
        return new.reset_index(drop=True)
    old, fresh = existing.set_index("user_id"), new.set_index("user_id")
    index = old.index.append(fresh.index[~fresh.index.isin(old.index)])
    order = list(existing.columns) + [c for c in new.columns if c not in existing.columns]
    merged = pd.DataFrame(index=index)
    # Column by column rather than combine_first, which goes through float64 for nullable
    # integers and so fails on (or rounds) integers beyond 2**53.
    for column in order[1:]:
        before = old[column].reindex(index) if column in old.columns else None
        after = fresh[column].reindex(index) if column in fresh.columns else None
        if before is None or after is None:
            merged[column] = after if before is None else before
            continue
        if before.dtype != after.dtype:
            before, after = before.astype(object), after.astype(object)
        merged[column] = after.where(after.notna(), before)
    merged.index.name = "user_id"
    return (
        merged.reset_index()[order].sort_values("user_id", kind="mergesort").reset_index(drop=True)
    )


class LocalStore:
    """A GraphStore kept as Parquet files in ``folder``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise ConfigError(
                f"the embedded store {self.folder} is a file, not a folder",
                hint="pass --store a folder (it is created if missing) or GRAPHKIT_STORE",
            )
        self.description = f"the embedded store in {self.folder}"
        self._users: pd.DataFrame | None = None
        self._interactions: pd.DataFrame | None = None

    # -- files
    @property
    def users_path(self) -> Path:
        return self.folder / "users.parquet"

    @property
    def interactions_path(self) -> Path:
        return self.folder / "interactions.parquet"

    @property
    def events_path(self) -> Path:
        return self.folder / "events.parquet"

    @property
    def assignments_path(self) -> Path:
        return self.folder / "assignments.parquet"

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the store's write lock: a second writer waits until the first is done."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = (self.folder / ".lock").open("a")
        except OSError as exc:
            raise ConfigError(
                f"cannot create the embedded store {self.folder}: {exc.strerror or exc}",
                hint="pass --store a folder you can write to",
            ) from exc
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            # Another writer may have changed the files since they were cached.
            self._users = self._interactions = None
            yield

    def _read(self, path: Path) -> pd.DataFrame | None:
        return pd.read_parquet(path) if path.exists() else None

    def _require_users(self) -> pd.DataFrame:
        """The users table; a store without one holds no dataset yet."""
        if self._users is None:
            users = self._read(self.users_path)
            if users is None or not self.interactions_path.exists():
                raise StoreUnavailable(
                    f"the embedded store in {self.folder} holds no dataset yet",
                    hint="run `graphkit load DATASET` first (or pass --store / --neo4j)",
                )
            self._users = users
        return self._users

    def _require(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        # Interactions are read only when asked for: event reads never need them, and on a
        # large store they are the biggest table in memory.
        users = self._require_users()
        if self._interactions is None:
            # Not the key column (a string per row, needed only when loading); user ids as
            # categoricals straight from Parquet's dictionaries: small, and integer codes.
            self._interactions = pd.read_parquet(
                self.interactions_path,
                columns=INTERACTION_COLUMNS[:-1],
                read_dictionary=["source_id", "target_id"],
            )
        return users, self._interactions

    # -- GraphStore
    def property_kinds(self) -> dict[str, PropertyKind | None]:
        """The kind of each stored user property (from the file's schema, no data read)."""
        if not self.users_path.exists():
            return {}
        schema = pq.read_schema(self.users_path)
        return {name: _kind_of_arrow(schema.field(name).type) for name in schema.names}

    def load(self, dataset: Dataset, *, progress: ProgressCallback | None = None) -> LoadSummary:
        with self._writing():
            self._load(dataset, progress)
        return LoadSummary(
            users=len(dataset.users),
            interactions=len(dataset.interactions),
            store=self.description,
            events=0 if dataset.events is None else len(dataset.events),
            assignments=0 if dataset.assignments is None else len(dataset.assignments),
        )

    def _load(self, dataset: Dataset, progress: ProgressCallback | None) -> None:
        new_users = users_to_store(dataset, self.property_kinds())
        total = len(dataset.users) + len(dataset.interactions)
        tables = {self.users_path: upsert_users(self._read(self.users_path), new_users)}
        if progress:
            progress("users", len(dataset.users), total)
        # Same key, same interaction: the later load wins (its weight/type may be corrected).
        tables[self.interactions_path] = self._merged(
            self.interactions_path, dataset.interactions[INTERACTION_COLUMNS], ["key"]
        )
        if dataset.assignments is not None:
            tables[self.assignments_path] = self._merged(
                self.assignments_path,
                dataset.assignments[ASSIGNMENT_COLUMNS],
                ["experiment", "user_id"],
            )
        writers = {path: _frame_writer(frame) for path, frame in tables.items()}
        if dataset.events is None:
            _replace_all(self.folder, writers)
        else:
            with staged(dataset.events) as events:
                writers[self.events_path] = lambda target: self._write_events(events, target)
                _replace_all(self.folder, writers)
        if progress:
            progress("interactions", total, total)
        self._users, self._interactions = tables[self.users_path], tables[self.interactions_path]

    def _write_events(self, new: StagedEvents, target: Path) -> None:
        """The stored events followed by ``new``, at ``target``; in bounded memory.

        As :meth:`_merged` does for the small tables, a stored event whose key comes again
        is replaced by the new one (the later load wins), and the rest keep their order.
        """
        if not self.events_path.exists():
            shutil.copyfile(new.path, target)
            return
        replaced = self._replaced_events(new)
        schema = events_schema()
        with events_writer(target) as out:
            start = 0
            for batch in pq.ParquetFile(self.events_path).iter_batches(batch_size=FILE_BATCH_ROWS):
                keep = np.ones(batch.num_rows, dtype=bool)
                low, high = np.searchsorted(replaced, [start, start + batch.num_rows])
                keep[replaced[low:high] - start] = False
                start += batch.num_rows
                if keep.any():
                    table = pa.Table.from_batches([batch]).filter(pa.array(keep))
                    # Files of earlier releases may type a column without values as null.
                    out.write_table(table.select(schema.names).cast(schema))
            for batch in pq.ParquetFile(new.path).iter_batches(batch_size=FILE_BATCH_ROWS):
                out.write_batch(batch)

    def _replaced_events(self, new: StagedEvents) -> np.ndarray:
        """Row numbers (0-based, ascending) of the stored events whose key ``new`` holds."""
        query = """
            SELECT file_row_number AS position
            FROM read_parquet(?, file_row_number = true)
            WHERE key IN (SELECT key FROM read_parquet(?))
            ORDER BY position
        """
        with (
            tempfile.TemporaryDirectory(prefix="graphkit-duckdb-") as spill,
            bounded_duckdb(Path(spill)) as db,
        ):
            found = db.execute(query, [str(self.events_path), str(new.path)]).fetchnumpy()
        return np.asarray(found["position"], dtype=np.int64)

    def _merged(self, path: Path, new: pd.DataFrame, key: list[str]) -> pd.DataFrame:
        """Append rows; a row whose key is already stored replaces it (idempotent loads)."""
        existing = self._read(path)
        merged = new if existing is None else pd.concat([existing, new], ignore_index=True)
        return merged.drop_duplicates(key, keep="last").reset_index(drop=True)

    def user_ids(self, *, community: int | None = None) -> list[str]:
        users = self._require_users()
        if community is not None:
            if "community" not in users.columns:
                return []
            users = users[users["community"] == community]
        return sorted(users["user_id"].tolist())

    def aggregate_edges(
        self,
        edge_filter: EdgeFilter,
        *,
        directed: bool,
        among: Sequence[str] | None = None,
        touching: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        _, df = self._require()
        source, target = df["source_id"], df["target_id"]
        # Integer ranks of the user ids (rank order = string order): the pairs are then
        # aggregated on integers, ~5x faster than grouping strings, and come out sorted.
        categories = [c.astype("category").cat for c in (source, target)]
        ids = np.unique(np.concatenate([c.categories.to_numpy(dtype=object) for c in categories]))
        id_index = pd.Index(ids)
        s_all, t_all = (id_index.get_indexer(c.categories)[c.codes.to_numpy()] for c in categories)
        mask = s_all != t_all
        if edge_filter.since is not None:
            mask &= (df["at"] >= pd.Timestamp(edge_filter.since)).to_numpy()
        if edge_filter.until is not None:
            mask &= (df["at"] < pd.Timestamp(edge_filter.until)).to_numpy()
        if edge_filter.types is not None:
            mask &= df["type"].isin(edge_filter.types).to_numpy()
        if among is not None:
            mask &= (source.isin(among) & target.isin(among)).to_numpy()
        if touching is not None:
            mask &= (source.isin(touching) | target.isin(touching)).to_numpy()
        s_rank, t_rank = s_all[mask], t_all[mask]
        if not directed:
            s_rank, t_rank = np.minimum(s_rank, t_rank), np.maximum(s_rank, t_rank)
        width = max(len(ids), 1)
        pair, inverse = np.unique(s_rank * width + t_rank, return_inverse=True)
        weight = np.bincount(inverse, df["weight"].to_numpy()[mask], minlength=len(pair))
        edges = pd.DataFrame(
            {
                "source": ids[pair // width],
                "target": ids[pair % width],
                "interactions": np.bincount(inverse, minlength=len(pair)),
                "weight": weight,
            }
        )
        # Already canonical (sorted by rank = by id, sort_edges' dtypes): no second sort.
        return edges[edges["weight"] >= edge_filter.min_weight].reset_index(drop=True)

    def events(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> pd.DataFrame:
        self._require_users()
        filters = []
        if since is not None:
            filters.append(("at", ">=", pd.Timestamp(since)))
        if until is not None:
            filters.append(("at", "<", pd.Timestamp(until)))
        if not self.events_path.exists():
            return sort_events(pd.DataFrame(columns=EVENT_COLUMNS))
        # Row-group filters: a window reads only the part of a large file it needs.
        events = pd.read_parquet(self.events_path, columns=EVENT_COLUMNS, filters=filters or None)
        return sort_events(events)

    def assignments(self, *, experiment: str | None = None) -> pd.DataFrame:
        self._require_users()
        if not self.assignments_path.exists():
            return sort_assignments(pd.DataFrame(columns=ASSIGNMENT_COLUMNS))
        table = pd.read_parquet(self.assignments_path)
        if experiment is not None:
            table = table[table["experiment"] == experiment]
        return sort_assignments(table)

    def users_table(self) -> pd.DataFrame:
        users = self._require_users()
        return users.copy()

    def write_user_properties(
        self, table: pd.DataFrame, *, progress: ProgressCallback | None = None
    ) -> int:
        with self._writing():
            users = self._require_users()
            known = table[table["user_id"].isin(users["user_id"])]
            merged = upsert_users(users, known)
            _replace_all(self.folder, {self.users_path: _frame_writer(merged)})
            self._users = merged
        if progress:
            progress("write-back", len(known), len(known))
        return len(known)

    def counts(self) -> StoreCounts:
        users = self._read(self.users_path)
        interactions = self._read(self.interactions_path)
        return StoreCounts(
            users=0 if users is None else len(users),
            interactions=0 if interactions is None else len(interactions),
        )

    def close(self) -> None:
        self._users = self._interactions = None
