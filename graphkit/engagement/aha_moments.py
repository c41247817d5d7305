"""Aha moments: which early action, done how many times, goes with users staying.

For an action counted per user over the first ``action_days`` days after signup (the
signup day is day 0, so days ``0 .. D-1``) and retention at day ``R`` (active at least once
on days ``R .. R + retention_window - 1``), :func:`sweep_thresholds` reports for each k:

* ``share_did`` — share of users who did the action at least k times;
* ``retention_did`` = P(retained | did it) and ``retention_not`` = P(retained | did not);
* ``lift`` = retention_did / retention_not;
* ``p_did_given_retained`` = P(did it | retained) — how much of the retained base did it;
* ``youden_j`` = P(did it | retained) − P(did it | not retained).

**Sweet spot criterion**: the k with the largest Youden's J (Youden 1950; the usual
ROC cut-off), among ks where both doers and non-doers number at least ``min_users``;
ties go to the smaller k. J is high when most retained users did it *and* few churned
users did — the "sweet spot" between P(retained | did it) (rises with k) and
P(did it | retained) (falls with k). The crossing of those two curves is *not* used: it
sits where the share of doers equals the retention rate, a property of the base rates
rather than of the action.

**Population**: users who signed up within the reported days, whose action window and
retention window both lie within the data read (recent signups cannot be judged yet).

**Follow-up** (:func:`follow_up`): Kaplan–Meier curves of time to churn for users at or
above the sweet spot vs below, and a log-rank test, by
:func:`graphkit.experiments.survival.compare_survival`. The clock starts at day D (a
landmark: the days spent reaching k are not counted as survival, which would favour doers
by construction). A user has churned when they have no event in the last ``churn_gap``
days of the data; their time is from day D to their last active day (0 if that came
before day D). Others are censored at the last day of data.

All of this is **correlation**: :func:`interpretation` says so in plain words and
suggests the experiment that would test causation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphkit.engagement.eventlog import ActivityLog, day_labels
from graphkit.engagement.settings import (
    DEFAULT_ACTION_DAYS,
    DEFAULT_CHURN_GAP,
    DEFAULT_MAX_K,
    DEFAULT_MIN_USERS,
    DEFAULT_RETENTION_DAY,
    DEFAULT_RETENTION_WINDOW,
)
from graphkit.errors import ConfigError, InsufficientData, ParameterError
from graphkit.experiments.survival import SurvivalComparison, compare_survival

#: Graph actions computed from the store's interactions, and how they read.
GRAPH_ACTIONS = {
    "connections": "connected with {k} distinct users",
    "received": "received {k} interactions",
}
EVENT_PREFIX = "event:"
SWEEP_COLUMNS = [
    "k",
    "users_did",
    "share_did",
    "retention_did",
    "retention_not",
    "lift",
    "p_did_given_retained",
    "p_did_given_not_retained",
    "youden_j",
]


@dataclass(frozen=True)
class AhaPopulation:
    """Users an aha analysis can judge.

    ``table``: ``user`` (code), ``user_id``, ``signup_day``, ``retention_observed`` (the
    retention window is complete), ``retained``, ``last_active_day`` (NaN: never active).
    """

    table: pd.DataFrame
    action_days: int
    retention_day: int
    retention_window: int
    last_day: int

    @property
    def judged(self) -> pd.DataFrame:
        """Users whose retention can be observed (the sweep's population)."""
        return self.table[self.table["retention_observed"]]


@dataclass(frozen=True)
class AhaResult:
    """The sweep, the sweet spot, its survival follow-up and the plain-language reading.

    ``sweep`` has :data:`SWEEP_COLUMNS`. ``sweet_spot`` is None when no k satisfies
    the group-size condition. ``follow_up`` is None without a sweet spot.
    """

    action: str
    action_label: str
    action_days: int
    retention_day: int
    retention_window: int
    users: int
    retained: int
    sweep: pd.DataFrame
    sweet_spot: int | None
    criterion: str
    min_users: int
    follow_up: SurvivalComparison | None
    churn_gap: int
    interpretation: str
    suggested_experiment: str
    notes: tuple[str, ...] = ()

    @property
    def base_retention(self) -> float:
        return self.retained / self.users if self.users else float("nan")


def action_label(action: str, k: int | str = "k") -> str:
    """How an action reads in sentences.

    >>> action_label("connections"), action_label("event:like", 3), action_label("received", 1)
    ('connected with k distinct users', "had 3 'like' events", 'received 1 interaction')
    """
    if action in GRAPH_ACTIONS:
        label = GRAPH_ACTIONS[action].format(k=k)
    elif action.startswith(EVENT_PREFIX):
        label = f"had {k} {action[len(EVENT_PREFIX) :]!r} events"
    else:
        raise ConfigError(
            f"unknown action {action!r}",
            hint=f"use {', '.join(GRAPH_ACTIONS)} or {EVENT_PREFIX}NAME (an event name)",
        )
    return label.removesuffix("s") if k == 1 else label


def check_windows(action_days: int, retention_day: int, retention_window: int) -> None:
    """Refuse action and retention windows that cannot be judged.

    >>> check_windows(0, 28, 7)
    Traceback (most recent call last):
    ...
    graphkit.errors.ParameterError: action_days must be at least 1, got 0
    """
    if action_days < 1:
        raise ParameterError("action_days", f"must be at least 1, got {action_days}")
    if retention_window < 1:
        raise ParameterError("retention_window", f"must be at least 1, got {retention_window}")
    if retention_day < action_days:
        raise ParameterError(
            "retention_day",
            f"({retention_day}) must not come before the end of the action window "
            f"(action_days {action_days})",
            hint="retention is judged after the action, or the action could follow from it",
        )


def check_sweep(max_k: int, min_users: int) -> None:
    """Refuse a sweep with no threshold or a sweet spot needing no users."""
    if max_k < 1:
        raise ParameterError("max_k", f"must be at least 1, got {max_k}")
    if min_users < 1:
        raise ParameterError("min_users", f"must be at least 1, got {min_users}")


def check_churn_gap(churn_gap: int) -> None:
    """Refuse a churn rule that would call everyone churned."""
    if churn_gap < 1:
        raise ParameterError("churn_gap", f"must be at least 1 day, got {churn_gap}")


def aha_population(
    log: ActivityLog,
    *,
    action_days: int = DEFAULT_ACTION_DAYS,
    retention_day: int = DEFAULT_RETENTION_DAY,
    retention_window: int = DEFAULT_RETENTION_WINDOW,
) -> AhaPopulation:
    """Users who signed up within the reported days and whose action window is complete.

    Raises
    ------
    ConfigError
        If a parameter is out of range (``retention_day`` must be ≥ ``action_days``).
    InsufficientData
        If the reported days hold no event, or no user has a complete action window.
    """
    check_windows(action_days, retention_day, retention_window)
    log.require_events()
    signup = log.users["signup_day"].to_numpy()
    with np.errstate(invalid="ignore"):
        known = (signup >= log.first_day) & (signup + action_days - 1 <= log.last_day)
    codes = np.flatnonzero(known)
    if codes.size == 0:
        raise InsufficientData(
            f"no user signed up between {day_labels([log.first_day])[0]} and "
            f"{day_labels([log.last_day])[0]} with {action_days} days of data after signup",
            hint="widen the since/until period or shorten action_days",
        )
    start = signup[codes].astype(np.int64)
    user_days = log.user_days
    user_days = user_days[user_days["user"].isin(codes) & (user_days["day"] <= log.last_day)]
    signup_of = pd.Series(start, index=codes)
    offset = user_days["day"].to_numpy() - signup_of.reindex(user_days["user"]).to_numpy()
    in_window = (offset >= retention_day) & (offset < retention_day + retention_window)
    retained_users = np.unique(user_days["user"].to_numpy()[in_window])
    last_active = user_days.groupby("user")["day"].max().reindex(codes)
    table = pd.DataFrame(
        {
            "user": codes,
            "user_id": log.users["user_id"].to_numpy()[codes],
            "signup_day": start,
            "retention_observed": start + retention_day + retention_window - 1 <= log.last_day,
            "retained": np.isin(codes, retained_users),
            "last_active_day": last_active.to_numpy(),
        }
    )
    return AhaPopulation(
        table=table,
        action_days=action_days,
        retention_day=retention_day,
        retention_window=retention_window,
        last_day=log.last_day,
    )


def early_event_counts(log: ActivityLog, population: AhaPopulation, event: str) -> pd.Series:
    """Events named ``event`` per population user on days ``0 .. action_days - 1``.

    Raises
    ------
    ConfigError
        If no event of that name occurs in the data.
    """
    if event not in log.event_names:
        raise ConfigError(
            f"no event named {event!r} in the data",
            hint=f"event names seen: {', '.join(log.event_names) or 'none'}",
        )
    table = population.table
    counts = log.counts[(log.counts["event"] == event) & log.counts["user"].isin(table["user"])]
    signup = pd.Series(table["signup_day"].to_numpy(), index=table["user"].to_numpy())
    offset = counts["day"].to_numpy() - signup.reindex(counts["user"]).to_numpy()
    early = counts[(offset >= 0) & (offset < population.action_days)]
    per_user = early.groupby("user")["n"].sum()
    values = per_user.reindex(table["user"].to_numpy(), fill_value=0).to_numpy()
    return pd.Series(values, index=table["user_id"].to_numpy(), name=event)


def graph_action_counts(
    edges: pd.DataFrame, user_ids: list[str] | pd.Index, action: str
) -> pd.Series:
    """Per user in ``user_ids``: distinct partners (``connections``) or interactions
    received (``received``) in ``edges``, a store's ``aggregate_edges`` output
    (undirected for connections, directed for received).

    >>> e = pd.DataFrame({"source": ["a", "a"], "target": ["b", "c"], "interactions": [2, 1]})
    >>> graph_action_counts(e, ["a", "b"], "connections").tolist()
    [2, 1]
    """
    index = pd.Index(user_ids)
    if action == "connections":
        ends = pd.concat([edges["source"], edges["target"]], ignore_index=True)
        counts = ends.value_counts()
    elif action == "received":
        counts = edges.groupby("target")["interactions"].sum()
    else:
        raise ConfigError(
            f"unknown graph action {action!r}", hint=f"use {', '.join(GRAPH_ACTIONS)}"
        )
    return counts.reindex(index, fill_value=0).astype(np.int64)


def sweep_thresholds(counts: pd.Series, retained: pd.Series, ks: list[int] | range) -> pd.DataFrame:
    """The aha table for each k (see the module docstring for the columns).

    Parameters
    ----------
    counts : Series
        Action count per user.
    retained : Series
        Bool per user, same index.
    ks : list of int

    >>> t = sweep_thresholds(pd.Series([0, 1, 2, 3]), pd.Series([False, False, True, True]), [2])
    >>> t[["k", "share_did", "retention_did", "retention_not", "youden_j"]].to_dict("records")
    [{'k': 2, 'share_did': 0.5, 'retention_did': 1.0, 'retention_not': 0.0, 'youden_j': 1.0}]
    """
    value = counts.to_numpy()
    kept = retained.reindex(counts.index).to_numpy(dtype=bool)
    n, n_retained = len(value), int(kept.sum())
    rows = []
    for k in ks:
        did = value >= k
        n_did = int(did.sum())
        did_retained = int((did & kept).sum())
        not_retained_did = n_did - did_retained
        rows.append(
            {
                "k": int(k),
                "users_did": n_did,
                "share_did": n_did / n if n else np.nan,
                "retention_did": did_retained / n_did if n_did else np.nan,
                "retention_not": (n_retained - did_retained) / (n - n_did) if n > n_did else np.nan,
                "p_did_given_retained": did_retained / n_retained if n_retained else np.nan,
                "p_did_given_not_retained": (
                    not_retained_did / (n - n_retained) if n > n_retained else np.nan
                ),
            }
        )
    table = pd.DataFrame(rows, columns=[c for c in SWEEP_COLUMNS if c not in ("lift", "youden_j")])
    table["lift"] = table["retention_did"] / table["retention_not"].where(
        table["retention_not"] > 0
    )
    table["youden_j"] = table["p_did_given_retained"] - table["p_did_given_not_retained"]
    return table[SWEEP_COLUMNS]


def choose_sweet_spot(
    sweep: pd.DataFrame, *, min_users: int = DEFAULT_MIN_USERS, n: int
) -> int | None:
    """The k maximising Youden's J with ≥ ``min_users`` doers and non-doers (ties: smaller k)."""
    big_enough = (sweep["users_did"] >= min_users) & (n - sweep["users_did"] >= min_users)
    candidates = sweep[big_enough & sweep["youden_j"].notna()]
    if candidates.empty:
        return None
    best = candidates["youden_j"].max()
    return int(candidates.loc[candidates["youden_j"] == best, "k"].min())


def follow_up(
    population: AhaPopulation, counts: pd.Series, k: int, *, churn_gap: int = DEFAULT_CHURN_GAP
) -> SurvivalComparison:
    """Kaplan–Meier time to churn and log-rank test, users with ≥ k vs < k.

    Uses every user whose action window is complete (censoring handles those who
    have not been around long). See the module docstring for the clock and churn rule.
    """
    check_churn_gap(churn_gap)
    table = population.table
    landmark = table["signup_day"].to_numpy() + population.action_days
    last_active = table["last_active_day"].to_numpy(dtype=float)
    churned = ~np.isnan(last_active) & (last_active + churn_gap <= population.last_day)
    churned |= np.isnan(last_active) & (
        table["signup_day"].to_numpy() + churn_gap <= population.last_day
    )
    followed = np.maximum(population.last_day - landmark, 0)
    until_churn = np.clip(np.nan_to_num(last_active, nan=-np.inf) - landmark, 0, None)
    durations = np.where(churned, until_churn, followed).astype(float)
    reached = counts.reindex(table["user_id"]).to_numpy() >= k
    groups = np.where(reached, f">= {k}", f"< {k}")
    return compare_survival(durations, churned.astype(int), groups)


def interpretation(
    action: str, k: int, action_days: int, retention_day: int, sweep: pd.DataFrame
) -> tuple[str, str]:
    """Plain-language reading of the sweet spot and the experiment that would test it."""
    row = sweep[sweep["k"] == k].iloc[0]
    did = action_label(action, k)
    statement = (
        f"Users who {did} in their first {action_days} days were retained at day "
        f"{retention_day} {row['retention_did']:.0%} of the time, against "
        f"{row['retention_not']:.0%} for those who did not (lift {row['lift']:.2f}). "
        "This is a correlation, not proof of cause: users who do this may differ in ways "
        "that also make them stay (motivation, friends already on the app, how they found "
        "us), and staying users have more chances to do it."
    )
    experiment = (
        "To test it, run a randomised experiment on new signups: the treatment arm gets an "
        f"onboarding that nudges users towards it (e.g. suggestions and prompts until they "
        f"have {did} within {action_days} days), the control arm today's onboarding; compare "
        f"day-{retention_day} retention between the arms (plan the sample size with "
        "power_prop_test and analyse with compare_proportions in graphkit.experiments). "
        "If retention rises with the nudge, the action helps cause it."
    )
    return statement, experiment


def find_aha(
    population: AhaPopulation,
    counts: pd.Series,
    *,
    action: str,
    max_k: int = DEFAULT_MAX_K,
    min_users: int = DEFAULT_MIN_USERS,
    churn_gap: int = DEFAULT_CHURN_GAP,
) -> AhaResult:
    """Sweep k = 1 .. ``max_k``, pick the sweet spot and follow it up.

    Parameters
    ----------
    population : AhaPopulation
    counts : Series
        Action count per ``user_id`` of ``population.table`` (missing users count 0).
    action : str
        ``connections``, ``received`` or ``event:NAME`` (for labels).
    max_k, min_users, churn_gap : int

    Returns
    -------
    AhaResult

    Raises
    ------
    ConfigError
        Bad parameters.
    InsufficientData
        If no user's retention can be observed yet.
    """
    label = action_label(action)
    check_sweep(max_k, min_users)
    judged = population.judged
    if judged.empty:
        last = day_labels([population.last_day])[0]
        raise InsufficientData(
            f"no user's day-{population.retention_day} retention can be observed yet "
            f"(data ends {last})",
            hint="use an earlier retention_day or data covering more days after signups",
        )
    counts = counts.reindex(population.table["user_id"]).fillna(0)
    judged_counts = counts.reindex(judged["user_id"])
    retained = pd.Series(judged["retained"].to_numpy(), index=judged["user_id"].to_numpy())
    sweep = sweep_thresholds(judged_counts, retained, range(1, max_k + 1))
    n = len(judged)
    spot = choose_sweet_spot(sweep, min_users=min_users, n=n)
    notes: list[str] = []
    if int(retained.sum()) in (0, n):
        notes.append("every judged user has the same retention: no action can separate them")
    survival = None
    if spot is None:
        notes.append(
            f"no k has at least {min_users} users on both sides: no sweet spot "
            "(lower min_users or analyse more users)"
        )
        statement = (
            f"No threshold of '{label}' could be judged. Any pattern in the table is a "
            "correlation, not proof of cause."
        )
        experiment = ""
    else:
        survival = follow_up(population, counts, spot, churn_gap=churn_gap)
        if survival.p_value is not None and survival.p_value >= 0.05:
            notes.append(
                f"the follow-up log-rank test finds no clear difference in time to churn "
                f"(p = {survival.p_value:.2g}): treat this sweet spot as weak evidence"
            )
        statement, experiment = interpretation(
            action, spot, population.action_days, population.retention_day, sweep
        )
    return AhaResult(
        action=action,
        action_label=label,
        action_days=population.action_days,
        retention_day=population.retention_day,
        retention_window=population.retention_window,
        users=n,
        retained=int(retained.sum()),
        sweep=sweep,
        sweet_spot=spot,
        criterion=(
            f"largest Youden's J = P(did | retained) - P(did | not retained), "
            f"with at least {min_users} users doing and not doing it; ties to the smaller k"
        ),
        min_users=min_users,
        follow_up=survival,
        churn_gap=churn_gap,
        interpretation=statement,
        suggested_experiment=experiment,
        notes=tuple(notes),
    )
