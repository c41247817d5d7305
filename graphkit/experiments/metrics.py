"""Per-user experiment metrics derived from activity events around each user's assignment.

Every assigned user gets one value per metric from two windows anchored at their own
``assigned_at`` (half-open, like every time window in graphkit):

* the **post window** ``[assigned_at, assigned_at + post_days)`` gives the metric the
  experiment is judged on;
* the **pre window** ``[assigned_at - pre_days, assigned_at)`` gives the same metric
  before the user could see the change: the CUPED covariate (column ``<name>_pre``).

An event metric aggregates one event name (or every event) in a window:

=============  ======================================  =============================
aggregate      value per user                          analysed as
=============  ======================================  =============================
``sum``        sum of ``value`` (empty value: 0)       a mean (Welch t-test)
``count``      number of events                        a count (count regression)
``conversion`` 1 if at least one event, else 0         a proportion (z-test)
``ratio``      NUM events and DEN events (2 columns)   Σ NUM / Σ DEN per arm (delta
                                                       method), no pre period
=============  ======================================  =============================

Users with no event in a window get 0, so every assigned user is counted: dropping
inactive users would bias the comparison whenever the treatment changes who is active.

Metrics are written ``NAME=AGGREGATE[:EVENT]``: ``time_spent=sum:session``,
``sessions=count:session``, ``messaged=conversion:message``, ``events=count`` (any
event), ``ctr=ratio:click/view`` (clicks per view, per arm; the table gets ``ctr`` with
the numerator and ``ctr_den`` with the denominator per user). The names in
:data:`BUILTIN_METRICS` may be given alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, DataError, InsufficientData, ParameterError
from graphkit.experiments.defaults import (
    DEFAULT_CHURN_DAYS,
    DEFAULT_METRICS,
    DEFAULT_POST_DAYS,
    DEFAULT_PRE_DAYS,
)

MetricKind = Literal["mean", "count", "conversion", "ratio"]
Aggregate = Literal["sum", "count", "conversion", "ratio"]

AGGREGATE_KINDS: dict[str, MetricKind] = {
    "sum": "mean",
    "count": "count",
    "conversion": "conversion",
    "ratio": "ratio",
}
DENOMINATOR_SUFFIX = "_den"

BUILTIN_METRICS: dict[str, str] = {
    "time_spent": "time_spent=sum:session",
    "sessions": "sessions=count:session",
    "events": "events=count",
}

PRE_SUFFIX = "_pre"
RESERVED_COLUMNS = frozenset({"user_id", "variant", "assigned_at", "experiment"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NANOSECONDS_PER_DAY = 86_400 * 10**9
# A post window may end this long after the last event before we suspect the data stop
# early (activity is sparse; the very last event rarely falls at the window's end).
_TRUNCATION_SLACK = _NANOSECONDS_PER_DAY


@dataclass(frozen=True)
class Metric:
    """A metric column of a per-user table and how to analyse it.

    Attributes
    ----------
    column : str
        Column holding one value per user.
    kind : {"mean", "count", "conversion"}
        ``mean``: continuous, compared with a t-test; ``count``: whole numbers >= 0,
        compared with a count regression; ``conversion``: 0/1, compared as proportions.
    covariate : str or None
        Column with the pre-period value, used for CUPED when present.
    denominator : str or None
        For ``kind="ratio"``: the column of the denominator; ``column`` is the numerator
        and the metric is ``Σ column / Σ denominator`` per arm (delta method).
    name : str or None
        Name shown in results when it differs from ``column`` (ratio metrics).
    """

    column: str
    kind: MetricKind = "mean"
    covariate: str | None = None
    denominator: str | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        """The metric's name in results: ``name`` when given, else the column."""
        return self.name or self.column


@dataclass(frozen=True)
class EventMetric:
    """How to turn events into one per-user metric: an aggregate of one event name."""

    name: str
    aggregate: Aggregate
    event: str | None = None
    denominator: str | None = None

    @property
    def kind(self) -> MetricKind:
        return AGGREGATE_KINDS[self.aggregate]

    def describe(self) -> str:
        """The spec this metric was written as, e.g. ``sessions=count:session``."""
        if self.aggregate == "ratio":
            return f"{self.name}=ratio:{self.event}/{self.denominator}"
        return f"{self.name}={self.aggregate}" + (f":{self.event}" if self.event else "")


@dataclass(frozen=True)
class MetricTable:
    """Per-user metrics of one experiment.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per assigned user: ``user_id, variant, assigned_at``, then per metric
        ``<name>`` (post window) and, when ``pre_days > 0``, ``<name>_pre``.
    metrics : tuple of Metric
        The metric columns with their kind and covariate, ready for analysis.
    event_metrics : tuple of EventMetric
    post_days, pre_days : float
    notes : tuple of str
    """

    table: pd.DataFrame
    metrics: tuple[Metric, ...]
    event_metrics: tuple[EventMetric, ...]
    post_days: float
    pre_days: float
    notes: tuple[str, ...]


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str) -> None:
    """ConfigError naming the missing columns (and the ones there are) of a user table."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ConfigError(
            f"{what} column(s) not in the table: {', '.join(map(str, missing))}",
            hint=f"columns found: {', '.join(map(str, frame.columns))}",
        )


def parse_event_metric(text: str) -> EventMetric:
    """Read a metric written ``NAME=AGGREGATE[:EVENT]`` (or a builtin name).

    Raises
    ------
    ConfigError
        If the text does not follow the grammar.

    Examples
    --------
    >>> parse_event_metric("messaged=conversion:message")
    EventMetric(name='messaged', aggregate='conversion', event='message', denominator=None)
    >>> parse_event_metric("sessions").describe()
    'sessions=count:session'
    """
    spec = BUILTIN_METRICS.get(text.strip(), text.strip())
    name, equals, rest = spec.partition("=")
    aggregate, _, event = rest.partition(":")
    name, aggregate, event = name.strip(), aggregate.strip(), event.strip()
    hint = (
        "write NAME=AGGREGATE[:EVENT] with AGGREGATE one of sum, count, conversion, e.g. "
        "time_spent=sum:session, sessions=count:session, messaged=conversion:message, "
        "events=count; NAME=ratio:NUM_EVENT/DEN_EVENT (e.g. ctr=ratio:click/view); "
        f"or one of {', '.join(BUILTIN_METRICS)}"
    )
    if not equals or aggregate not in AGGREGATE_KINDS:
        raise ConfigError(f"cannot read metric {text!r}", hint=hint)
    _check_name(name, hint=hint)
    if aggregate == "ratio":
        numerator, slash, denominator = event.partition("/")
        if not slash or not numerator.strip() or not denominator.strip():
            raise ConfigError(f"metric {text!r}: a ratio needs NUM_EVENT/DEN_EVENT", hint=hint)
        return EventMetric(name, "ratio", numerator.strip(), denominator.strip())
    if aggregate == "conversion" and not event:
        raise ConfigError(
            f"metric {text!r}: a conversion needs an event (did the user do EVENT?)", hint=hint
        )
    return EventMetric(name=name, aggregate=aggregate, event=event or None)  # type: ignore[arg-type]


def _check_name(name: str, *, hint: str | None = None) -> None:
    if (
        not _NAME.match(name)
        or name in RESERVED_COLUMNS
        or name.endswith((PRE_SUFFIX, DENOMINATOR_SUFFIX))
    ):
        raise ConfigError(
            f"metric name {name!r} is not allowed",
            hint=hint
            or "use letters, digits and underscores, not user_id/variant/assigned_at, "
            f"and not ending in {PRE_SUFFIX}",
        )


def _epoch_ns(values: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds, whatever their unit."""
    # cache=False: pandas' cache check walks every element of an already-typed column.
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True, cache=False)).as_unit("ns").asi8


def experiment_metrics(
    assignments: pd.DataFrame,
    events: pd.DataFrame,
    metrics: Sequence[EventMetric | str] = DEFAULT_METRICS,
    *,
    post_days: float = DEFAULT_POST_DAYS,
    pre_days: float = DEFAULT_PRE_DAYS,
) -> MetricTable:
    """Compute per-user metrics in each user's post window and pre window.

    Parameters
    ----------
    assignments : pandas.DataFrame
        ``user_id, variant, assigned_at`` of one experiment (one row per user).
    events : pandas.DataFrame
        ``user_id, at, event, value`` (as ``store.events()`` returns them); events of
        users not in ``assignments`` are ignored.
    metrics : sequence of EventMetric or str
        What to compute (see :func:`parse_event_metric`).
    post_days : float
        Length of the analysis window after ``assigned_at``, in days (> 0).
    pre_days : float
        Length of the pre-period window before ``assigned_at``, in days; 0 disables the
        ``<name>_pre`` covariates (and so CUPED).

    Returns
    -------
    MetricTable

    Raises
    ------
    ConfigError
        If a metric is malformed, names repeat, or a window length is invalid.
    DataError
        If a user is assigned twice or ``assignments`` mixes experiments.
    InsufficientData
        If there are no assignments.

    Examples
    --------
    >>> assignments = pd.DataFrame({
    ...     "user_id": ["a", "b"], "variant": ["control", "treatment"],
    ...     "assigned_at": pd.to_datetime(["2026-01-10", "2026-01-10"], utc=True)})
    >>> events = pd.DataFrame({
    ...     "user_id": ["a", "a", "b"], "event": ["session", "session", "session"],
    ...     "at": pd.to_datetime(["2026-01-05", "2026-01-11", "2026-01-12"], utc=True),
    ...     "value": [30.0, 60.0, 90.0]})
    >>> t = experiment_metrics(assignments, events, ["time_spent"], post_days=7, pre_days=7)
    >>> t.table[["user_id", "time_spent", "time_spent_pre"]].values.tolist()
    [['a', 60.0, 30.0], ['b', 90.0, 0.0]]
    """
    if not (np.isfinite(post_days) and post_days > 0):
        raise ConfigError(f"the post window must be longer than 0 days, got {post_days}")
    if not (np.isfinite(pre_days) and pre_days >= 0):
        raise ConfigError(f"the pre window must be 0 days or longer, got {pre_days}")
    parsed = [m if isinstance(m, EventMetric) else parse_event_metric(m) for m in metrics]
    if not parsed:
        raise ParameterError("metrics", "must name at least one metric to compute")
    names = [m.name for m in parsed]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"metric name(s) used twice: {', '.join(repeated)}")
    if assignments.empty:
        raise InsufficientData(
            "no assignments: nothing to measure",
            hint="load an assignments.csv (see `graphkit ab assign`) and check the experiment name",
        )
    if "experiment" in assignments.columns and assignments["experiment"].nunique() > 1:
        raise DataError(
            "assignments of several experiments were given",
            expected="the assignments of one experiment",
        )
    duplicated = assignments["user_id"].duplicated()
    if duplicated.any():
        raise DataError(
            f"user {assignments.loc[duplicated, 'user_id'].iloc[0]!r} is assigned twice",
            expected="one assignment per user",
        )

    users = assignments[["user_id", "variant", "assigned_at"]].reset_index(drop=True).copy()
    users["assigned_at"] = pd.to_datetime(users["assigned_at"], utc=True)
    assigned_ns = _epoch_ns(users["assigned_at"])
    n_users = len(users)
    position = pd.Index(users["user_id"]).get_indexer(events["user_id"])
    known = position >= 0
    position = position[known]
    offset = _epoch_ns(events["at"])[known] - assigned_ns[position]
    post_ns = round(post_days * _NANOSECONDS_PER_DAY)
    pre_ns = round(pre_days * _NANOSECONDS_PER_DAY)
    windows = {"": (offset >= 0) & (offset < post_ns)}
    if pre_days > 0:
        windows[PRE_SUFFIX] = (offset < 0) & (offset >= -pre_ns)
    names_of_events = events["event"].astype(str).to_numpy()[known]
    values = pd.to_numeric(events["value"], errors="coerce").to_numpy(dtype=float)[known]
    values = np.where(np.isnan(values), 0.0, values)  # an empty value adds nothing to a sum

    columns: dict[str, np.ndarray] = {}
    for metric in parsed:
        if metric.aggregate == "ratio":
            # Numerator and denominator event counts in the post window; no covariate.
            for column, event in (
                (metric.name, metric.event),
                (metric.name + DENOMINATOR_SUFFIX, metric.denominator),
            ):
                rows = (names_of_events == event) & windows[""]
                columns[column] = np.bincount(position[rows], minlength=n_users).astype(float)
            continue
        chosen = np.ones(position.size, dtype=bool)
        if metric.event is not None:
            chosen = names_of_events == metric.event
        for suffix, window in windows.items():
            rows = chosen & window
            weights = values[rows] if metric.aggregate == "sum" else None
            totals = np.bincount(position[rows], weights=weights, minlength=n_users)
            if metric.aggregate == "conversion":
                totals = (totals > 0).astype(float)
            columns[metric.name + suffix] = totals.astype(float)
    table = pd.concat([users, pd.DataFrame(columns)], axis=1)

    notes: list[str] = []
    if known.size and not known.all():
        notes.append(f"{int((~known).sum())} event(s) of users outside the experiment ignored")
    if not known.any():
        notes.append("no event of an assigned user: every metric is 0")
    else:
        last_event = int(_epoch_ns(events["at"]).max())
        truncated = int(np.count_nonzero(assigned_ns + post_ns > last_event + _TRUNCATION_SLACK))
        if truncated:
            notes.append(
                f"{truncated} of {n_users} users' post window ends more than a day after the "
                f"last recorded event ({pd.Timestamp(last_event, tz='UTC').isoformat()}): "
                "their metrics may cover a shorter period"
            )
    for metric in parsed:
        for event in (metric.event, metric.denominator):
            if event is not None and not (names_of_events == event).any():
                notes.append(f"metric {metric.name}: no {event!r} event of an assigned user")
    covariate = (lambda name: name + PRE_SUFFIX) if pre_days > 0 else (lambda name: None)

    def as_metric(m: EventMetric) -> Metric:
        if m.aggregate == "ratio":
            return Metric(m.name, "ratio", denominator=m.name + DENOMINATOR_SUFFIX)
        return Metric(m.name, m.kind, covariate(m.name))

    return MetricTable(
        table=table,
        metrics=tuple(as_metric(m) for m in parsed),
        event_metrics=tuple(parsed),
        post_days=float(post_days),
        pre_days=float(pre_days),
        notes=tuple(notes),
    )


def time_to_churn(
    assignments: pd.DataFrame,
    events: pd.DataFrame,
    *,
    churn_days: float = DEFAULT_CHURN_DAYS,
    event: str | None = None,
    until: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Days from assignment to churn per user, for Kaplan–Meier curves.

    A user churns at their last activity before a gap of at least ``churn_days``
    without any event (or without ``event``), counting from ``assigned_at``: a user
    with no activity in the first ``churn_days`` churns at day 0. A user whose gap has
    not run for ``churn_days`` when the data end (``until``, default the last event)
    is censored at their last activity: all we know is that they churn later. Users
    assigned after the end of observation are censored at day 0.

    Parameters
    ----------
    assignments : pandas.DataFrame
        ``user_id, variant, assigned_at`` of one experiment.
    events : pandas.DataFrame
        ``user_id, at, event``.
    churn_days : float
        Inactivity that counts as churn (> 0).
    event : str, optional
        Only this event counts as activity.
    until : pandas.Timestamp, optional
        End of observation; later events are ignored.

    Returns
    -------
    pandas.DataFrame
        ``user_id, variant, duration`` (days), ``churned`` (1 = churned, 0 = censored).

    Examples
    --------
    >>> assignments = pd.DataFrame({"user_id": ["a", "b"], "variant": ["control", "treatment"],
    ...     "assigned_at": pd.to_datetime(["2026-01-01", "2026-01-01"], utc=True)})
    >>> events = pd.DataFrame({"user_id": ["a", "a", "b", "b", "b"], "event": ["view"] * 5,
    ...     "at": pd.to_datetime(["2026-01-03", "2026-01-20", "2026-01-05", "2026-01-11",
    ...                           "2026-01-17"], utc=True)})
    >>> time_to_churn(assignments, events, churn_days=7)[["user_id", "duration", "churned"]]
      user_id  duration  churned
    0       a       2.0        1
    1       b      16.0        0
    """
    if not (np.isfinite(churn_days) and churn_days > 0):
        raise ParameterError("churn_days", f"must be a positive number, got {churn_days}")
    if assignments.empty:
        raise InsufficientData("no assignments: nobody to follow")
    users = assignments[["user_id", "variant", "assigned_at"]].reset_index(drop=True)
    assigned = _epoch_ns(users["assigned_at"])
    chosen = events if event is None else events[events["event"].astype(str) == event]
    position = pd.Index(users["user_id"]).get_indexer(chosen["user_id"])
    times = _epoch_ns(chosen["at"])
    if until is not None:
        end = int(pd.Timestamp(until).as_unit("ns").value)
    elif times.size:
        end = int(times.max())
    else:
        raise InsufficientData(
            "no events: the end of observation is unknown",
            hint="load events.csv, or give the end of observation (until)",
        )
    keep = (position >= 0) & (times <= end)
    keep &= times >= np.where(position >= 0, assigned[np.maximum(position, 0)], 0)
    n = len(users)
    # Rows per user: the assignment (kind 0), each event (1), the end of data (2).
    user = np.concatenate([np.arange(n), position[keep], np.arange(n)])
    at = np.concatenate([assigned, times[keep], np.full(n, end)])
    kind = np.concatenate([np.zeros(n, int), np.ones(int(keep.sum()), int), np.full(n, 2)])
    order = np.lexsort((kind, at, user))
    user, at, kind = user[order], at[order], kind[order]
    same_user = np.r_[user[1:] == user[:-1], False]
    gap = np.where(same_user, np.r_[at[1:] - at[:-1], 0], 0)
    churn_ns = round(churn_days * _NANOSECONDS_PER_DAY)
    churns = (kind != 2) & (gap >= churn_ns)
    first_churn = pd.Series(at[churns]).groupby(user[churns]).first()
    last_seen = pd.Series(at[kind != 2]).groupby(user[kind != 2]).last()
    churned = np.zeros(n, dtype=int)
    churned[first_churn.index.to_numpy()] = 1
    stop = last_seen.reindex(range(n)).to_numpy()
    stop[first_churn.index.to_numpy()] = first_churn.to_numpy()
    duration = (stop - assigned) / _NANOSECONDS_PER_DAY
    return pd.DataFrame(
        {
            "user_id": users["user_id"],
            "variant": users["variant"],
            "duration": duration,
            "churned": churned,
        }
    )
