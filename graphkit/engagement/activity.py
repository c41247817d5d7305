"""Activity metrics: DAU/WAU/MAU, stickiness, new vs returning, CTR, sessions, engagement score.

Definitions (all days are UTC calendar days):

* **DAU** — users with at least one event that day. **WAU** / **MAU** — users with at least
  one event in the 7 / 30 days ending that day (the day included). A window reaching
  before the first day read has no value (NaN): it would undercount.
* **Stickiness** — DAU / MAU.
* **New** users that day — active users who signed up that day (users without
  ``signup_at``: whose first event read is that day). **Returning** — the other active users.
* **CTR** per day — ``ctr_event`` events (default ``click``; ``like`` is the other usual
  choice) over ``view`` events, pooled over the day; NaN on a day without views.
* **Per-session CTR** — the session's ``ctr_event`` count over its views. *Rule for
  sessions without impressions* (no view): their CTR is undefined, not 0 and not infinite,
  so they are left out of the mean session CTR; their number and the clicks they hold
  are reported (``sessions_without_views``, ``ctr_events_without_views``), and
  ``ctr_events_per_minute`` (clicks per minute of session) is given for every session as
  the measure that does not need impressions. ``pooled_ctr`` is the sessions' clicks over
  their views, again over sessions with views only. Mixing "clicks per second" into a CTR, as
  some analyses do, would add two different units.
* **Engagement score** — per user, a weighted sum of standardised components: each
  component is ``log1p``-transformed (counts are heavy-tailed; one power user should not
  dominate) and z-scored over the users scored (population SD); weights are normalised to
  sum to 1, so the score is in SD units. A component with no spread scores 0 for everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graphkit.engagement.eventlog import ActivityLog, day_labels
from graphkit.engagement.settings import COMPONENTS, DEFAULT_WEIGHTS, Transform
from graphkit.errors import ConfigError, ParameterError

WAU_DAYS = 7
MAU_DAYS = 30


@dataclass(frozen=True)
class DailyActivity:
    """One row per reported day.

    ``table`` columns: ``date``, ``dau``, ``wau``, ``mau``, ``stickiness``, ``new_users``,
    ``returning_users``, ``events``, ``sessions``, ``avg_session_length_s``, ``views``,
    ``likes``, ``clicks``, ``messages``, ``ctr`` (``ctr_event`` / views).
    """

    table: pd.DataFrame
    ctr_event: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionMetrics:
    """Per-session metrics and their summary (see the module docstring for the CTR rule).

    ``table``: one row per session started in the reported days: ``user_id``, ``date``,
    ``length_s``, ``events``, ``views``, ``likes``, ``clicks``, ``messages``, ``ctr``
    (NaN without views), ``ctr_events_per_minute``. ``summary``: plain numbers.
    """

    table: pd.DataFrame
    summary: dict[str, float | int | None]
    ctr_event: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EngagementScores:
    """Engagement score per user, best first.

    ``table`` columns: ``user_id``, ``rank``, ``score``, each component (raw) and its
    standardised value ``z_<component>``. ``weights`` are the normalised weights used.
    """

    table: pd.DataFrame
    weights: dict[str, float]
    transform: Transform
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActivityMetrics:
    """Everything ``graphkit engagement metrics`` reports."""

    daily: DailyActivity
    sessions: SessionMetrics
    scores: EngagementScores
    first_date: str
    last_date: str
    notes: tuple[str, ...] = field(default=())


# ----------------------------------------------------------------------------- daily


def active_users_in_window(user_days: pd.DataFrame, days: np.ndarray, window: int) -> np.ndarray:
    """Distinct users active in the ``window`` days ending at each of ``days``.

    Each active day ``d`` of a user covers ``d .. d + window - 1``, cut short where the
    user's next active day takes over, so no user is counted twice (a difference array,
    linear in the number of user-days).

    >>> ud = pd.DataFrame({"user": [0, 0, 1], "day": [1, 2, 5]})
    >>> active_users_in_window(ud, np.arange(0, 8), 3).tolist()
    [0, 1, 1, 1, 1, 1, 1, 1]
    """
    if len(days) == 0:
        return np.zeros(0, dtype=np.int64)
    user = user_days["user"].to_numpy()
    day = user_days["day"].to_numpy().astype(np.int64)
    same_user_next = np.r_[user[1:] == user[:-1], False]
    next_day = np.r_[day[1:], 0]
    stop = np.where(same_user_next, np.minimum(next_day, day + window), day + window)
    lo = int(days[0])
    size = int(days[-1]) - lo + 2
    change = np.zeros(size, dtype=np.int64)
    np.add.at(change, np.clip(day - lo, 0, size - 1), 1)
    np.add.at(change, np.clip(stop - lo, 0, size - 1), -1)
    return np.cumsum(change)[: len(days)]


def daily_activity(log: ActivityLog, *, ctr_event: str | None = None) -> DailyActivity:
    """DAU, WAU, MAU, stickiness, new vs returning, event counts, sessions and CTR per day.

    Parameters
    ----------
    log : ActivityLog
    ctr_event : str, optional
        Numerator of CTR (default the log's click event name).

    Returns
    -------
    DailyActivity

    Raises
    ------
    InsufficientData
        If the reported days hold no event.
    """
    log.require_events()
    log.require_sessions()
    names = log.names
    ctr_event = ctr_event or names.click
    notes: list[str] = []
    all_days = np.arange(log.data_first_day, log.last_day + 1, dtype=np.int64)
    reported = all_days >= log.first_day
    days = all_days[reported]
    user_days = log.user_days
    user_days = user_days[user_days["day"].between(log.data_first_day, log.last_day)]

    dau = active_users_in_window(user_days, all_days, 1)[reported]
    table = pd.DataFrame({"date": day_labels(days), "dau": dau})
    for column, window in (("wau", WAU_DAYS), ("mau", MAU_DAYS)):
        values = active_users_in_window(user_days, all_days, window)[reported].astype(float)
        complete = days - window + 1 >= log.data_first_day
        values[~complete] = np.nan
        table[column] = values
        if not complete.all():
            notes.append(
                f"{column.upper()} needs {window} days of history: no value before "
                f"{day_labels([log.data_first_day + window - 1])[0]}"
            )
    table["stickiness"] = table["dau"] / table["mau"].where(table["mau"] > 0)

    new = _new_users_per_day(log, user_days)
    table["new_users"] = new.reindex(days, fill_value=0).to_numpy()
    table["returning_users"] = table["dau"] - table["new_users"]

    # Column arrays and masks, never filtered copies of the (millions of rows) frames.
    by_day_event = log.event_totals(
        log.counts["day"].to_numpy() - log.first_day,
        len(days),
        first=log.first_day,
        last=log.last_day,
    )
    table["events"] = by_day_event.sum(axis=1)
    session_day = log.sessions["day"].to_numpy()
    reported_sessions = (session_day >= log.first_day) & (session_day <= log.last_day)
    lengths = pd.Series(log.sessions["length_s"].to_numpy()[reported_sessions])
    per_day = lengths.groupby(session_day[reported_sessions]).agg(["size", "mean"]).reindex(days)
    table["sessions"] = per_day["size"].fillna(0).astype(np.int64).to_numpy()
    table["avg_session_length_s"] = per_day["mean"].to_numpy()
    if log.sessions.empty and by_day_event.any():
        notes.append("no event carries a session_id: session metrics are empty")
    wanted = {"views": names.view, "likes": names.like, "clicks": names.click}
    wanted["messages"] = names.message
    wanted["ctr_events"] = ctr_event
    for column, name in wanted.items():
        code = log.event_code(name)
        counts = by_day_event[:, code] if code is not None else np.zeros(len(days), np.int64)
        table[column] = counts.astype(np.int64)
    table["ctr"] = table["ctr_events"] / table["views"].where(table["views"] > 0)
    table = table.drop(columns="ctr_events")
    no_views = int((table["views"] == 0).sum())
    if no_views:
        notes.append(f"{no_views} day(s) without {names.view!r} events have no CTR")
    return DailyActivity(table=table, ctr_event=ctr_event, notes=tuple(notes))


def _new_users_per_day(log: ActivityLog, user_days: pd.DataFrame) -> pd.Series:
    """Active users on their signup day (first active day when the signup is unknown)."""
    signup = log.users["signup_day"].to_numpy()
    user = user_days["user"].to_numpy()
    day = user_days["day"].to_numpy()
    # user_days is sorted by user, then day: each user's first row is their first day.
    first_row = np.ones(len(user), dtype=bool)
    first_row[1:] = user[1:] != user[:-1]
    rows_per_user = np.diff(np.r_[np.flatnonzero(first_row), len(user)])
    first_active = np.repeat(day[first_row], rows_per_user)
    start = signup[user]
    start = np.where(np.isnan(start), first_active, start)
    return pd.Series(day[day == start]).value_counts()


# ----------------------------------------------------------------------------- sessions


def session_metrics(log: ActivityLog, *, ctr_event: str | None = None) -> SessionMetrics:
    """Per-session length, messages, clicks, views and CTR, with a summary.

    Sessions without views get no CTR (NaN) and are left out of ``mean_session_ctr``;
    see the module docstring.

    Returns
    -------
    SessionMetrics
    """
    log.require_sessions()
    names = log.names
    ctr_event = ctr_event or names.click
    session_day = log.sessions["day"].to_numpy()
    reported = (session_day >= log.first_day) & (session_day <= log.last_day)
    # The log's own arrays when every session is reported (2M sessions: ~160 MB a copy).
    rows = slice(None) if reported.all() else reported
    sessions = {name: values.to_numpy()[rows] for name, values in log.sessions.items()}
    notes: list[str] = []
    column_of = {name: column for column, name in names.session_counts().items()}
    if ctr_event not in column_of:
        raise ParameterError(
            "ctr_event",
            f"must be an event counted per session ({', '.join(sorted(column_of))}), "
            f"got {ctr_event!r}",
            hint="CTR is clicks or likes over views",
        )
    numerator = sessions[column_of[ctr_event]]
    views = sessions["views"]
    minutes = sessions["length_s"] / 60.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ctr = np.where(views > 0, numerator / views, np.nan)
        per_minute = np.where(minutes > 0, numerator / minutes, np.nan)
    table = pd.DataFrame(
        {
            # Categoricals: a few bytes a row, where 2M Python strings would take ~150 MB.
            "user_id": pd.Categorical.from_codes(
                sessions["user"], categories=pd.Index(log.users["user_id"])
            ),
            "date": _date_categories(sessions["day"]),
            "length_s": sessions["length_s"],
            "events": sessions["events"],
            "views": views,
            "likes": sessions["likes"],
            "clicks": sessions["clicks"],
            "messages": sessions["messages"],
            "ctr": ctr,
            "ctr_events_per_minute": per_minute,
        },
        copy=False,
    )
    without_views = views == 0
    zero_length = int((minutes <= 0).sum())
    if zero_length:
        notes.append(f"{zero_length} session(s) of length 0 have no per-minute rate")
    n = len(table)
    summary: dict[str, float | int | None] = {
        "sessions": n,
        "mean_length_s": _mean(table["length_s"]),
        "median_length_s": float(table["length_s"].median()) if n else None,
        "mean_messages": _mean(table["messages"]),
        "mean_clicks": _mean(table["clicks"]),
        "mean_views": _mean(table["views"]),
        "sessions_without_views": int(without_views.sum()),
        "share_without_views": float(without_views.mean()) if n else None,
        "ctr_events_without_views": int(numerator[without_views].sum()),
        "mean_session_ctr": _mean(table["ctr"]),
        # Clicks of sessions without views have no impressions to be a rate of.
        "pooled_ctr": float(numerator[~without_views].sum() / views.sum()) if views.sum() else None,
        "mean_ctr_events_per_minute": _mean(table["ctr_events_per_minute"]),
    }
    if without_views.any():
        notes.append(
            f"{int(without_views.sum())} of {n} sessions had no view: no CTR for them "
            f"(left out of the mean session CTR; they hold "
            f"{summary['ctr_events_without_views']} {ctr_event} event(s))"
        )
    return SessionMetrics(table=table, summary=summary, ctr_event=ctr_event, notes=tuple(notes))


def _date_categories(days: np.ndarray) -> pd.Categorical:
    """ISO dates of day numbers as a categorical (one string per distinct day)."""
    first = int(days.min()) if len(days) else 0
    span = int(days.max()) - first + 1 if len(days) else 0
    labels = pd.Index(day_labels(np.arange(first, first + span)), dtype=object)
    return pd.Categorical.from_codes(days - first, categories=labels)


def _mean(values: pd.Series) -> float | None:
    finite = values.dropna()
    return float(finite.mean()) if len(finite) else None


# ----------------------------------------------------------------------------- score


def resolve_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Checked weights normalised to sum 1 (default :data:`DEFAULT_WEIGHTS`).

    >>> resolve_weights({"sessions": 1, "messages": 3})
    {'messages': 0.75, 'sessions': 0.25}
    """
    chosen = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = sorted(set(chosen) - set(COMPONENTS))
    if unknown:
        raise ParameterError(
            "weights",
            f"names unknown engagement component(s): {', '.join(unknown)}",
            hint=f"use {', '.join(COMPONENTS)}",
        )
    for name, weight in chosen.items():
        if not np.isfinite(weight) or weight < 0:
            raise ParameterError("weights", f"of {name} must be a finite number >= 0, got {weight}")
    total = sum(chosen.values())
    if total <= 0:
        raise ConfigError("at least one engagement weight must be positive")
    return {name: chosen[name] / total for name in sorted(chosen) if chosen[name] > 0}


def engagement_components(log: ActivityLog) -> pd.DataFrame:
    """Raw components per user over the reported days, for every user signed up by then.

    Users without ``signup_at`` are included. Columns: ``user_id`` and :data:`COMPONENTS`.
    """
    log.require_sessions()
    names = log.names
    users = log.users
    scored = users["signup_day"].isna() | (users["signup_day"] <= log.last_day)
    codes = np.flatnonzero(scored.to_numpy())
    frame = pd.DataFrame(index=pd.Index(codes, name="user"))
    # Column arrays and masks, never filtered copies of the (millions of rows) frames.
    user_day = log.user_days["day"].to_numpy()
    reported = (user_day >= log.first_day) & (user_day <= log.last_day)
    days = np.bincount(log.user_days["user"].to_numpy()[reported], minlength=len(users))
    frame["active_days"] = days[codes]
    session_day = log.sessions["day"].to_numpy()
    in_days = (session_day >= log.first_day) & (session_day <= log.last_day)
    lengths = pd.Series(log.sessions["length_s"].to_numpy()[in_days])
    per_user = lengths.groupby(log.sessions["user"].to_numpy()[in_days]).agg(["size", "sum"])
    per_user = per_user.reindex(codes)
    frame["sessions"] = per_user["size"].fillna(0).to_numpy()
    frame["session_minutes"] = per_user["sum"].fillna(0).to_numpy() / 60.0
    by_event = log.event_totals(
        log.counts["user"].to_numpy(), len(users), first=log.first_day, last=log.last_day
    )
    for column, name in (
        ("views", names.view),
        ("likes", names.like),
        ("clicks", names.click),
        ("messages", names.message),
    ):
        code = log.event_code(name)
        frame[column] = by_event[codes, code] if code is not None else np.zeros(len(codes))
    frame.insert(0, "user_id", users["user_id"].to_numpy()[codes])
    return frame.reset_index(drop=True).astype({c: float for c in COMPONENTS})


def engagement_scores(
    log: ActivityLog,
    *,
    weights: Mapping[str, float] | None = None,
    transform: Transform = "log1p",
) -> EngagementScores:
    """Score every user: ``Σ w_c · z_c`` over components ``c`` (see the module docstring).

    Parameters
    ----------
    log : ActivityLog
    weights : mapping, optional
        Component → weight ≥ 0 (normalised to sum 1); default :data:`DEFAULT_WEIGHTS`.
    transform : {"log1p", "none"}
        Applied to each component before z-scoring.

    Returns
    -------
    EngagementScores
    """
    if transform not in ("log1p", "none"):
        raise ParameterError("transform", f"must be log1p or none, got {transform!r}")
    resolved = resolve_weights(weights)
    components = engagement_components(log)
    notes: list[str] = []
    table = components.copy()
    score = np.zeros(len(table))
    for name in COMPONENTS:
        values = components[name].to_numpy()
        z = standardise(np.log1p(values) if transform == "log1p" else values)
        table[f"z_{name}"] = z
        if name in resolved:
            if len(values) and np.all(values == values[0]):
                notes.append(f"{name} is the same for every user: it adds nothing to the score")
            score += resolved[name] * z
    table.insert(1, "score", score)
    table = table.sort_values(["score", "user_id"], ascending=[False, True], kind="mergesort")
    table.insert(1, "rank", np.arange(1, len(table) + 1))
    return EngagementScores(
        table=table.reset_index(drop=True),
        weights=resolved,
        transform=transform,
        notes=tuple(notes),
    )


def standardise(values: np.ndarray) -> np.ndarray:
    """z-scores with the population SD; all zeros when the values do not vary.

    >>> standardise(np.array([1.0, 2.0, 3.0])).round(4).tolist()
    [-1.2247, 0.0, 1.2247]
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return values
    sd = values.std()
    if not sd > 0:
        return np.zeros_like(values)
    return (values - values.mean()) / sd


def activity_metrics(
    log: ActivityLog,
    *,
    ctr_event: str | None = None,
    weights: Mapping[str, float] | None = None,
    transform: Transform = "log1p",
) -> ActivityMetrics:
    """Daily activity, session metrics and engagement scores of one log."""
    daily = daily_activity(log, ctr_event=ctr_event)
    sessions = session_metrics(log, ctr_event=daily.ctr_event)
    scores = engagement_scores(log, weights=weights, transform=transform)
    first, last = day_labels([log.first_day, log.last_day])
    return ActivityMetrics(
        daily=daily,
        sessions=sessions,
        scores=scores,
        first_date=first,
        last_date=last,
        notes=log.notes + daily.notes + sessions.notes + scores.notes,
    )
