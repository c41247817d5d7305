"""What every store does: the GraphStore protocol and the values that cross it.

Two stores satisfy it: :class:`~graphkit.store.neo4j_store.Neo4jStore` (a real Neo4j over
Bolt, queries in ``cypher/``) and :class:`~graphkit.store.local_store.LocalStore` (Parquet
files in a folder, no server). One shared test suite runs against both, so for the same
dataset and filters they return the same edges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pandas as pd

from graphkit.dataset import Dataset, PropertyKind, property_kind
from graphkit.errors import DataError

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while long work advances."""

EDGE_COLUMNS = ["source", "target", "interactions", "weight"]
EVENT_COLUMNS = ["user_id", "at", "event", "value", "session_id"]
ASSIGNMENT_COLUMNS = ["experiment", "user_id", "variant", "assigned_at"]


@dataclass(frozen=True)
class EdgeFilter:
    """Which interactions count. Times are half-open: ``since <= at < until`` (UTC)."""

    since: datetime | None = None
    until: datetime | None = None
    types: tuple[str, ...] | None = None
    min_weight: float = 0.0
    """Pairs whose summed weight (after the other filters) is below this are dropped."""


@dataclass(frozen=True)
class LoadSummary:
    users: int
    interactions: int
    store: str
    events: int = 0
    assignments: int = 0


@dataclass(frozen=True)
class StoreCounts:
    users: int
    interactions: int


class GraphStore(Protocol):
    """Where a dataset lives once loaded; everything the graph layer asks of it."""

    description: str

    def load(self, dataset: Dataset, *, progress: ProgressCallback | None = None) -> LoadSummary:
        """Upsert users and MERGE interactions by key: loading twice changes nothing."""
        ...

    def user_ids(self, *, community: int | None = None) -> list[str]:
        """All user ids, sorted; only members of ``community`` (written back) if given."""
        ...

    def aggregate_edges(
        self,
        edge_filter: EdgeFilter,
        *,
        directed: bool,
        among: Sequence[str] | None = None,
        touching: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Interactions aggregated per pair: ``source, target, interactions, weight``.

        Undirected pairs are ordered so that ``source < target``. Self-interactions are
        left out. ``among``: both endpoints in the set; ``touching``: at least one.
        Rows are sorted by ``source, target``.
        """
        ...

    def events(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> pd.DataFrame:
        """Activity events with ``since <= at < until``: ``user_id, at, event, value,
        session_id``, sorted by ``at, user_id, event``. Empty frame when none are stored."""
        ...

    def assignments(self, *, experiment: str | None = None) -> pd.DataFrame:
        """Experiment assignments: ``experiment, user_id, variant, assigned_at``."""
        ...

    def users_table(self) -> pd.DataFrame:
        """One row per user: ``user_id``, ``signup_at`` and every stored property."""
        ...

    def write_user_properties(
        self, table: pd.DataFrame, *, progress: ProgressCallback | None = None
    ) -> int:
        """Store every non-``user_id`` column of ``table`` as a user property; return rows."""
        ...

    def counts(self) -> StoreCounts: ...

    def close(self) -> None: ...


def sort_edges(edges: pd.DataFrame) -> pd.DataFrame:
    """Canonical order and dtypes, so both stores return equal frames."""
    edges = edges[EDGE_COLUMNS].sort_values(["source", "target"], kind="mergesort")
    return edges.astype(
        {"source": object, "target": object, "interactions": "int64", "weight": "float64"}
    ).reset_index(drop=True)


def sort_events(events: pd.DataFrame) -> pd.DataFrame:
    """Canonical order and dtypes of an events frame, so both stores return equal frames."""
    events = events[EVENT_COLUMNS].astype(
        {"user_id": object, "event": object, "value": "float64", "session_id": object}
    )
    events["at"] = pd.to_datetime(events["at"], utc=True).astype("datetime64[ms, UTC]")
    return events.sort_values(["at", "user_id", "event"], kind="mergesort").reset_index(drop=True)


def sort_assignments(assignments: pd.DataFrame) -> pd.DataFrame:
    assignments = assignments[ASSIGNMENT_COLUMNS].astype(
        {"experiment": object, "user_id": object, "variant": object}
    )
    assignments["assigned_at"] = pd.to_datetime(assignments["assigned_at"], utc=True).astype(
        "datetime64[ms, UTC]"
    )
    return assignments.sort_values(["experiment", "user_id"], kind="mergesort").reset_index(
        drop=True
    )


_KIND_WORDS = {
    "number": "numbers",
    "text": "text",
    "boolean": "true/false values",
    "time": "times",
    "other": "values of another type",
}


def users_to_store(dataset: Dataset, stored: Mapping[str, PropertyKind | None]) -> pd.DataFrame:
    """The users table a load writes, given the kind each property already has in the store.

    The policy (README, "Property types across loads"), the same in both stores: a property
    keeps the kind it was first stored with. Numbers arriving for a property stored as text
    are stored as text, exactly as the file wrote them (``02139`` and ``12345`` are both
    postcodes). Anything else that would change a stored kind (``unknown`` for an age stored
    as a number) is refused with a located :class:`DataError`, before anything is written.
    """
    users = dataset.users
    as_text: dict[str, pd.Series] = {}
    for name in dataset.property_columns:
        before, now = stored.get(name), property_kind(users[name])
        if before is None or now is None or before == now:
            continue
        if before == "text":
            as_text[name] = dataset.property_as_text(name)
            continue
        raise _kind_change(dataset, name, before, now)
    return users.assign(**as_text) if as_text else users


def _kind_change(dataset: Dataset, name: str, before: str, now: str) -> DataError:
    values = dataset.users[name]
    present = values.notna().to_numpy()
    culprits = present.nonzero()[0]
    if before == "number":  # the first value that is not a number is the one to fix
        text = values.astype(object).where(present, None)
        numbers = pd.to_numeric(text, errors="coerce")
        leading_zero = text.astype(str).str.match(r"[+-]?0\d").to_numpy()  # a postcode
        culprits = (present & (numbers.isna().to_numpy() | leading_zero)).nonzero()[0]
    position = int(culprits[0] if len(culprits) else present.nonzero()[0][0])
    return DataError(
        f"{name} holds {_KIND_WORDS[now]} ({str(values.iloc[position])[:60]!r}), but the store "
        f"holds {_KIND_WORDS[before]} for {name!r} from an earlier load",
        location=dataset.user_location(position, name),
        expected=f"{_KIND_WORDS[before]}, like the stored values (a property keeps its type)",
        hint="fix the value, leave it empty, or load the column under a new name; "
        "nothing was written",
    )
