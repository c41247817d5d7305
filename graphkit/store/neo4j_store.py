"""The Neo4j store: a real Neo4j server over Bolt, every query from ``cypher/``.

Loads run in batched ``UNWIND`` write transactions (retried by the driver on transient
errors); each batch MERGEs by key, so an interrupted load is finished by running it again.
Driver exceptions are translated into :class:`~graphkit.errors.StoreUnavailable` with a
hint; the password never appears in a message.
"""

from __future__ import annotations

import logging
import math
import ssl
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import neo4j
import numpy as np
import pandas as pd
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConstraintError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
)

from graphkit.config import Settings
from graphkit.dataset import Dataset, PropertyKind, StagedEvents, staged
from graphkit.errors import StoreUnavailable
from graphkit.store.base import (
    EdgeFilter,
    LoadSummary,
    ProgressCallback,
    StoreCounts,
    sort_assignments,
    sort_edges,
    sort_events,
    users_to_store,
)
from graphkit.store.queries import query, statements

USER_BATCH = 10_000
RELATIONSHIP_BATCH = 10_000
# Queries run at once, each in its own session: relationship batches of a load, parts of
# a whole-graph pull. Two keep a 2-core server busy (measured: load 1.5x, pull 1.6x one
# session); the driver retries a load batch that lost a deadlock between them.
CONCURRENT_SESSIONS = 2
NODES_GONE = "nodes disappeared from Neo4j while loading; run the load again"
START_HINT = "start one with `scripts/neo4j-local start` or `docker compose up -d neo4j`"
RERUN_HINT = (
    "check the server runs (`scripts/neo4j-local status`), then run the command again: "
    "loads and write-backs are safe to repeat"
)

# The driver logs connection failures as warnings; with no logging configured Python
# would print them on stderr next to graphkit's own one-line message.
logging.getLogger("neo4j").addHandler(logging.NullHandler())


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, its causes and contexts, and the members of exception groups among them."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        todo.extend(getattr(current, "exceptions", ()))


def native(value: Any) -> Any:
    """A pandas/numpy scalar as a value the Bolt driver can send (None for missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


# Transaction functions: the driver retries them on transient errors (leader switch,
# deadlock), so each runs one query of cypher/ and returns plain values.
def run_write(tx: neo4j.ManagedTransaction, name: str, params: dict[str, Any]) -> None:
    tx.run(query(name), params).consume()


def run_single(tx: neo4j.ManagedTransaction, name: str, params: dict[str, Any]) -> neo4j.Record:
    record = tx.run(query(name), params).single()
    assert record is not None, f"{name}.cypher returns exactly one row"
    return record


def run_read(tx: neo4j.ManagedTransaction, name: str, params: dict[str, Any]) -> list[list[Any]]:
    return [record.values() for record in tx.run(query(name), params)]


def user_rows(users: pd.DataFrame) -> list[dict[str, Any]]:
    """``[{id, props, times}]`` with null-free props, so a load never erases a stored property.

    Times (``signup_at`` and any other datetime column) travel apart, as
    ``[epoch seconds, nanoseconds]``, and become datetimes in Cypher: the driver's own
    packing of Python datetimes costs ~50 µs each, more than the rest of the load of a user.
    """
    columns = [c for c in users.columns if c != "user_id"]
    is_time = [pd.api.types.is_datetime64_any_dtype(users[c]) for c in columns]
    epoch_ns = {
        c: users[c].astype("int64").to_numpy() for c, t in zip(columns, is_time, strict=True) if t
    }
    rows = []
    for i, record in enumerate(users.itertuples(index=False, name=None)):
        props, times = {}, {}
        for name, value, time in zip(columns, record[1:], is_time, strict=True):
            value = native(value)
            if value is None:
                continue
            if time:
                times[name] = list(divmod(int(epoch_ns[name][i]), 1_000_000_000))
            else:
                props[name] = value
        rows.append({"id": record[0], "props": props, "times": times})
    return rows


def kind_of_value_type(value_type: str) -> PropertyKind:
    """A Cypher ``valueType()`` ("INTEGER NOT NULL", "ZONED DATETIME NOT NULL"...) as a kind."""
    if value_type.startswith(("INTEGER", "FLOAT")):
        return "number"
    if value_type.startswith("STRING"):
        return "text"
    if value_type.startswith("BOOLEAN"):
        return "boolean"
    if value_type.split(" NOT NULL")[0] in ("DATE", "LOCAL DATETIME", "ZONED DATETIME"):
        return "time"
    return "other"


def node_ids(keys: pd.Series, node_of: pd.Series) -> pd.Series:
    """Internal node ids for user ids or event names (``node_of``: id by key)."""
    ids = keys.map(node_of)
    if ids.isna().any():
        raise StoreUnavailable(NODES_GONE, hint=RERUN_HINT)
    return ids.astype("int64")


def nulls_as_none(column: pd.Series) -> pd.Series:
    """Missing values as ``None``, which Bolt sends as null (NaN would be stored as NaN)."""
    return column.astype(object).where(column.notna(), None)


def edges_by_user_id(
    users: pd.DataFrame, parts: Sequence[neo4j.Record], directed: bool
) -> pd.DataFrame:
    """Pairs returned by internal node id (edges_all.cypher) as the canonical edge frame.

    Sorting by the rank of each user id gives the same order as sorting the strings (see
    :func:`~graphkit.store.base.sort_edges`) in a fraction of the time; an undirected pair
    is only turned round so that its source is the smaller user id.
    """
    order = np.argsort(users["user_id"].to_numpy(), kind="stable")
    sorted_ids = users["user_id"].to_numpy()[order]
    rank = np.empty(len(users), dtype=np.int64)  # rank[i]: place of row i's user id
    rank[order] = np.arange(len(users))
    row_of_node = pd.Index(users["node_id"].to_numpy())

    def ranks(column: str) -> np.ndarray:
        nodes = np.concatenate([np.asarray(p[column], dtype=np.int64) for p in parts])
        rows = row_of_node.get_indexer(pd.Index(nodes))
        if (rows < 0).any():
            raise StoreUnavailable("users changed in Neo4j during the pull", hint=RERUN_HINT)
        return rank[rows]

    source, target = ranks("sources"), ranks("targets")
    if not directed:
        source, target = np.minimum(source, target), np.maximum(source, target)
    canonical = np.lexsort((target, source))
    return pd.DataFrame(
        {
            "source": sorted_ids[source[canonical]],
            "target": sorted_ids[target[canonical]],
            "interactions": np.concatenate(
                [np.asarray(p["interactions"], dtype=np.int64) for p in parts]
            )[canonical],
            "weight": np.concatenate([np.asarray(p["weights"], dtype=np.float64) for p in parts])[
                canonical
            ],
        }
    )


class Neo4jStore:
    """A GraphStore backed by a Neo4j server."""

    def __init__(self, settings: Settings) -> None:
        assert settings.neo4j_uri
        self.settings = settings
        self.description = settings.describe()
        auth = (settings.neo4j_user, settings.neo4j_password or "")
        try:
            self.driver = neo4j.GraphDatabase.driver(
                settings.neo4j_uri,
                auth=auth,
                # user_node_ids.cypher says why graphkit uses the deprecated id(); the
                # server would otherwise warn on every load and pull. A test checks that no
                # other deprecated feature is used.
                notifications_disabled_classifications=[
                    neo4j.NotificationDisabledClassification.DEPRECATION
                ],
            )
        except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
            raise StoreUnavailable(
                f"cannot use Neo4j URI {settings.safe_uri!r}: {exc}",
                hint="use bolt://HOST:7687 or neo4j://HOST:7687",
            ) from exc
        try:
            self.driver.verify_connectivity()
        except Exception as exc:  # every failure here means "cannot use the server"
            self.driver.close()  # an unclosed driver warns when garbage-collected
            raise self.translate_error(exc) from exc

    def translate_error(self, exc: Exception) -> StoreUnavailable:
        """One line that says what went wrong with the server, and what to do."""
        where = f"Neo4j at {self.settings.safe_uri}"
        causes = list(_causes(exc))
        if isinstance(exc, AuthError):
            return StoreUnavailable(
                f"{where} refused the credentials of user {self.settings.neo4j_user!r}",
                hint="set the password with --neo4j-password or GRAPHKIT_NEO4J_PASSWORD",
            )
        code = getattr(exc, "code", None) or ""
        if isinstance(exc, ClientError) and (
            code.endswith("DatabaseNotFound") or "database" in str(exc.message or "").lower()
        ):
            return StoreUnavailable(
                f"{where} has no database {self.settings.neo4j_database!r}",
                hint="check --neo4j-database / GRAPHKIT_NEO4J_DATABASE (Neo4j Community "
                "has one database, 'neo4j')",
            )
        if any(isinstance(cause, ssl.SSLError) for cause in causes):
            return StoreUnavailable(
                f"{where}: the TLS handshake failed (the server may not have TLS enabled)",
                hint="for a server without TLS use bolt://HOST:PORT or neo4j://HOST:PORT; "
                "with TLS, check its certificate (+ssc accepts a self-signed one)",
            )
        if any("looks like HTTP" in str(cause) for cause in causes):
            return StoreUnavailable(
                f"{where} answers HTTP, not Bolt: that is the server's HTTP port",
                hint="use the Bolt port (7687 by default) in the URI",
            )
        if isinstance(exc, ServiceUnavailable | OSError):
            return StoreUnavailable(f"{where} is not reachable", hint=START_HINT)
        if isinstance(exc, DriverError):  # e.g. SessionExpired: the server went away
            return StoreUnavailable(f"the connection to {where} was lost", hint=RERUN_HINT)
        if isinstance(exc, Neo4jError):
            return StoreUnavailable(f"{where} failed: {exc.message}", hint=RERUN_HINT)
        return StoreUnavailable(f"{where} failed: {type(exc).__name__}", hint=START_HINT)

    @contextmanager
    def _session(self) -> Iterator[neo4j.Session]:
        try:
            with self.driver.session(database=self.settings.neo4j_database) as session:
                yield session
        except (Neo4jError, DriverError, OSError) as exc:
            raise self.translate_error(exc) from exc

    def _read_one(self, name: str, **params: Any) -> neo4j.Record:
        with self._session() as session:
            record = session.execute_read(run_single, name, params)
        return record

    # -- GraphStore
    def ensure_schema(self) -> None:
        with self._session() as session:
            for statement in statements("schema"):
                session.run(statement).consume()

    def wipe(self) -> None:
        """Delete everything in the database. Only for throwaway test and benchmark servers."""
        with self._session() as session:
            # CALL ... IN TRANSACTIONS runs only in an auto-commit transaction (session.run).
            for statement in statements("wipe"):
                session.run(statement).consume()

    def property_kinds(self, names: Sequence[str]) -> dict[str, PropertyKind | None]:
        """The kind of each named user property already stored (absent: none stored)."""
        with self._session() as session:
            rows = session.execute_read(run_read, "user_property_types", {"names": list(names)})
        return {name: kind_of_value_type(value_type) for name, value_type in rows}

    def load(self, dataset: Dataset, *, progress: ProgressCallback | None = None) -> LoadSummary:
        new_users = users_to_store(dataset, self.property_kinds(dataset.property_columns))
        self.ensure_schema()
        users = user_rows(new_users)
        inter = dataset.interactions
        total = len(users) + len(inter)
        done = 0
        with self._session() as session:
            for start in range(0, len(users), USER_BATCH):
                batch = users[start : start + USER_BATCH]
                session.execute_write(run_write, "load_users", {"rows": batch})
                done += len(batch)
                if progress:
                    progress("users", done, total)
        self._load_interactions(inter, progress, done, total)
        if dataset.events is not None:
            self._load_events(dataset.events, progress)
        with self._session() as session:
            if dataset.assignments is not None:
                self._load_assignments(session, dataset.assignments)
        return LoadSummary(
            users=len(users),
            interactions=len(inter),
            store=self.description,
            events=0 if dataset.events is None else len(dataset.events),
            assignments=0 if dataset.assignments is None else len(dataset.assignments),
        )

    def _load_interactions(
        self, inter: pd.DataFrame, progress: ProgressCallback | None, done: int, total: int
    ) -> None:
        if inter.empty:
            return
        node_of_user = self._node_ids_of_users()
        columns = {
            "sources": node_ids(inter["source_id"], node_of_user),
            "targets": node_ids(inter["target_id"], node_of_user),
            "types": inter["type"],
            "at_ms": inter["at"].astype("int64") // 1_000_000,
            "weights": inter["weight"],
            "keys": inter["key"],
        }
        batches = (
            {
                name: column.iloc[start : start + RELATIONSHIP_BATCH].tolist()
                for name, column in columns.items()
            }
            for start in range(0, len(inter), RELATIONSHIP_BATCH)
        )
        self._write_batches("interactions", batches, progress, done, total)

    def _load_events(
        self, events: pd.DataFrame | StagedEvents, progress: ProgressCallback | None
    ) -> None:
        """Events in batches read one at a time from the staged file: memory holds a few."""
        with staged(events) as source:
            if len(source):
                batches = self._event_batches(source)
                self._write_batches("events", batches, progress, 0, len(source))

    def _event_batches(self, events: StagedEvents) -> Iterator[dict[str, list[Any]]]:
        node_of_user = self._node_ids_of_users()
        node_of_event = pd.Series(dtype="int64")
        for batch in events.batches(RELATIONSHIP_BATCH):
            names = batch["event"].unique()
            new = sorted(set(names) - set(node_of_event.index))
            if new:  # one :Event node per name, created when a batch first names it
                record = self._write_one("merge_event_names", names=new)
                found = pd.Series(record["node_ids"], index=record["names"], dtype="int64")
                node_of_event = pd.concat([node_of_event, found])
            yield {
                "users": node_ids(batch["user_id"], node_of_user).tolist(),
                "events": node_ids(batch["event"], node_of_event).tolist(),
                "at_ms": (batch["at"].astype("int64") // 1_000_000).tolist(),
                "values": nulls_as_none(batch["value"].astype(float)).tolist(),
                "sessions": nulls_as_none(batch["session_id"]).tolist(),
                "keys": batch["key"].tolist(),
            }

    def _write_batches(
        self,
        stage: str,
        batches: Iterable[dict[str, list[Any]]],
        progress: ProgressCallback | None,
        done: int,
        total: int,
    ) -> None:
        """Write relationships in batches, CREATE first, MERGE once a batch is stored already.

        ``load_<stage>.cypher`` creates a batch, ``merge_<stage>.cypher`` merges it by key;
        both return how many rows they wrote. A first load only creates; a batch that hits
        a stored key (re-load, re-run after a crash) fails as a whole on the uniqueness
        constraint and is merged instead, and so is every later batch: once one is
        stored, the rest probably are too. :data:`CONCURRENT_SESSIONS` batches run at once;
        ``batches`` is read as they finish, so memory holds a few, whatever the total.
        """
        merging = False

        def write(params: dict[str, list[Any]]) -> int:
            nonlocal merging
            with self._session() as session:
                if not merging:
                    try:
                        record = session.execute_write(run_single, f"load_{stage}", params)
                    except ConstraintError:
                        merging = True
                if merging:
                    record = session.execute_write(run_single, f"merge_{stage}", params)
            if record["written"] != len(params["keys"]):
                raise StoreUnavailable(NODES_GONE, hint=RERUN_HINT)
            return record["written"]

        with ThreadPoolExecutor(CONCURRENT_SESSIONS, thread_name_prefix="graphkit-load") as pool:
            # At most two batches per session in flight: memory stays flat on any size.
            pending: set[Future[int]] = set()
            try:
                for params in batches:
                    pending.add(pool.submit(write, params))
                    if len(pending) < 2 * CONCURRENT_SESSIONS:
                        continue
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        done += future.result()
                        if progress:
                            progress(stage, done, total)
                for future in pending:
                    done += future.result()
                    if progress:
                        progress(stage, done, total)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise

    def _load_assignments(self, session: neo4j.Session, assignments: pd.DataFrame) -> None:
        assigned_ms = (assignments["assigned_at"].astype("int64") // 1_000_000).tolist()
        rows = [
            {"experiment": e, "user_id": u, "variant": v, "assigned_ms": ms}
            for e, u, v, ms in zip(
                assignments["experiment"],
                assignments["user_id"],
                assignments["variant"],
                assigned_ms,
                strict=True,
            )
        ]
        for start in range(0, len(rows), USER_BATCH):
            batch = rows[start : start + USER_BATCH]
            session.execute_write(run_write, "load_assignments", {"rows": batch})

    def events(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> pd.DataFrame:
        with self._session() as session:
            rows = session.execute_read(
                run_read, "events_in_window", {"since": since, "until": until}
            )
        events = pd.DataFrame(rows, columns=["user_id", "at_ms", "event", "value", "session_id"])
        events["at"] = pd.to_datetime(events["at_ms"].astype("int64"), unit="ms", utc=True)
        return sort_events(events)

    def assignments(self, *, experiment: str | None = None) -> pd.DataFrame:
        with self._session() as session:
            rows = session.execute_read(run_read, "assignments", {"experiment": experiment})
        table = pd.DataFrame(rows, columns=["experiment", "user_id", "variant", "assigned_ms"])
        table["assigned_at"] = pd.to_datetime(
            table["assigned_ms"].astype("int64"), unit="ms", utc=True
        )
        return sort_assignments(table)

    def user_ids(self, *, community: int | None = None) -> list[str]:
        return sorted(self._read_one("user_ids", community=community)["ids"])

    def aggregate_edges(
        self,
        edge_filter: EdgeFilter,
        *,
        directed: bool,
        among: Sequence[str] | None = None,
        touching: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        params: dict[str, Any] = {
            "since": edge_filter.since,
            "until": edge_filter.until,
            "types": list(edge_filter.types) if edge_filter.types is not None else None,
            "min_weight": float(edge_filter.min_weight),
        }
        if among is not None and touching is not None:
            raise ValueError("pass either among or touching, not both")
        if among is None and touching is None:
            return self._aggregate_all_edges(params, directed=directed)
        params["directed"] = directed
        name = "edges_among_users"
        if among is not None:
            params["ids"] = list(among)
        elif touching is not None:
            name, params["ids"] = "edges_touching_users", list(touching)
        record = self._read_one(name, **params)
        edges = pd.DataFrame(
            {
                "source": record["sources"],
                "target": record["targets"],
                "interactions": record["interactions"],
                "weight": record["weights"],
            }
        )
        return sort_edges(edges)

    def _aggregate_all_edges(self, params: dict[str, Any], *, directed: bool) -> pd.DataFrame:
        """The whole graph's pairs, in :data:`CONCURRENT_SESSIONS` parts run at once."""
        name = "edges_all_directed" if directed else "edges_all"
        params = {**params, "parts": CONCURRENT_SESSIONS}
        with ThreadPoolExecutor(
            CONCURRENT_SESSIONS + 1, thread_name_prefix="graphkit-pull"
        ) as pool:
            users = pool.submit(self._user_nodes)
            parts = [
                pool.submit(self._read_one, name, **params, part=part)
                for part in range(CONCURRENT_SESSIONS)
            ]
            return edges_by_user_id(users.result(), [p.result() for p in parts], directed)

    def _write_one(self, name: str, **params: Any) -> neo4j.Record:
        with self._session() as session:
            record = session.execute_write(run_single, name, params)
        return record

    def _node_ids_of_users(self) -> pd.Series:
        users = self._user_nodes()
        return pd.Series(users["node_id"].to_numpy(), index=users["user_id"].to_numpy())

    def _user_nodes(self) -> pd.DataFrame:
        """``user_id`` and ``node_id`` (internal id) of every user."""
        record = self._read_one("user_node_ids")
        return pd.DataFrame(
            {
                "user_id": pd.Series(record["ids"], dtype=object),
                "node_id": np.asarray(record["node_ids"], dtype=np.int64),
            }
        )

    def users_table(self) -> pd.DataFrame:
        with self._session() as session:
            records = session.execute_read(run_read, "users_table", {})
        rows = []
        for user_id, props in records:
            props = {k: v for k, v in props.items() if k != "id"}
            if "signup_at" in props:
                props["signup_at"] = pd.Timestamp(props["signup_at"].to_native())
            rows.append({"user_id": user_id, **props})
        table = pd.DataFrame(rows)
        if "signup_at" in table.columns:
            table["signup_at"] = pd.to_datetime(table["signup_at"], utc=True)
        return table.sort_values("user_id", kind="mergesort").reset_index(drop=True)

    def write_user_properties(
        self, table: pd.DataFrame, *, progress: ProgressCallback | None = None
    ) -> int:
        rows = user_rows(table)
        written = 0
        with self._session() as session:
            for start in range(0, len(rows), USER_BATCH):
                batch = rows[start : start + USER_BATCH]
                record = session.execute_write(run_single, "write_user_properties", {"rows": batch})
                written += record["written"]
                if progress:
                    progress("write-back", start + len(batch), len(rows))
        return written

    def counts(self) -> StoreCounts:
        record = self._read_one("counts")
        return StoreCounts(users=record["users"], interactions=record["interactions"])

    def close(self) -> None:
        self.driver.close()
