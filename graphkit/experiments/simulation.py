"""Simulated A/B experiments on a simulated network, with the true effects known.

:func:`simulate_experiment` enrolls the users of a
:class:`~graphkit.simulation.SimulatedNetwork`, splits them with the same salted hash as
``graphkit ab assign``, and draws their activity in a pre window and a post window
around each user's ``assigned_at``. Every estimator of :mod:`graphkit.experiments`
can be checked against the returned truth.

The model, per enrolled user *i* (all rates per day):

* a session rate ``r_i = base · √(1 + degree_i) / mean(√(1 + degree)) · G_i`` with
  ``G_i ~ Gamma(2, 1/2)`` (mean 1): better connected users are more active, and the
  same frailty ``G_i`` drives the pre and the post window, so pre and post behaviour
  correlate (what CUPED exploits) and counts are overdispersed;
* sessions in a window of ``T`` days: ``Poisson(r_i · T)``; each session's ``value``
  (seconds spent) is exponential with a per-user mean ``μ_i`` (log-normal around
  ``seconds_per_session``) and carries ``Poisson(views_per_session)`` ``view`` events;
* ``message`` events: ``Poisson(h_i · T)`` with ``h_i = messages_per_session · r_i``.

A treated user's post window multiplies the session rate by ``1 + ℓ_sessions,i``, the
total time spent by ``1 + ℓ_time_spent,i`` (through the session length) and the message
rate by ``1 + ℓ_messaged,i``, where ``ℓ_m,i = lift_m · (1 + degree_effect · (2 q_i − 1))``
and ``q_i`` is the user's degree percentile (mid-ranks, so ``mean(q) = 1/2`` and the
average lift is exactly ``lift_m``). ``degree_effect = 0`` is a homogeneous effect;
``degree_effect = 1`` runs from no effect for the least connected to twice the lift for
the most connected.

The truth is the *expected* effect of each user (over the event noise) averaged over
all enrolled users, the estimand a randomised difference in means targets:

* ``sessions`` (count of ``session``): ``r_i T ℓ_sessions,i``;
* ``time_spent`` (sum of ``session`` values): ``r_i T μ_i ℓ_time_spent,i``;
* ``messaged`` (did ``message``): ``exp(-h_i T) - exp(-h_i T (1 + ℓ_messaged,i))``;
* ``events`` (count of all events): the sum of the session, view and message parts.

Enrollment: the experiment starts ``pre_days`` after the network's start (or at
``start``); each user is assigned at a uniform time in the first ``enroll_days``, or at
signup if they sign up during enrollment; users who sign up later are not enrolled. Pre
windows are cut at signup (nobody acts before joining), which leaves CUPED unbiased.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, InsufficientData
from graphkit.experiments.assignment import assign
from graphkit.simulation import SimulatedNetwork

SIMULATED_METRICS: dict[str, str] = {
    "sessions": "sessions=count:session",
    "time_spent": "time_spent=sum:session",
    "messaged": "messaged=conversion:message",
    "events": "events=count",
}
"""The metric specs (see :mod:`graphkit.experiments.metrics`) the truth is given for."""

LIFTED_METRICS = ("sessions", "time_spent", "messaged")
DEFAULT_EFFECTS: dict[str, float] = {"sessions": 0.05, "time_spent": 0.10, "messaged": 0.10}

TRUTH_COLUMNS = ["treatment", "metric", "kind", "lift", "control_mean", "ate", "relative"]

_EVENT_NAMES = ("message", "session", "view")  # alphabetical: ties in time sort by name
_STREAM_EXPERIMENT = 4  # simulate.py uses streams 1-3 of the same seed
_DAY = 86_400
_FRAILTY_SHAPE = 2.0
_LENGTH_SIGMA = 0.5


@dataclass(frozen=True)
class ExperimentParams:
    """The resolved parameters of a simulated experiment."""

    experiment: str
    seed: int
    variants: tuple[str, ...]
    weights: tuple[float, ...]
    salt: str
    effects: dict[str, dict[str, float]]
    degree_effect: float
    pre_days: float
    post_days: float
    enroll_days: float
    start: str
    sessions_per_user_day: float
    seconds_per_session: float
    views_per_session: float
    messages_per_session: float


@dataclass(frozen=True, eq=False)
class SimulatedExperiment:
    """A simulated experiment: the dataset tables and the truth behind them.

    Attributes
    ----------
    assignments : pandas.DataFrame
        ``experiment, user_id, variant, assigned_at`` (UTC), one row per enrolled user.
    events : pandas.DataFrame
        ``user_id, at`` (UTC), ``event`` (``session``, ``view``, ``message``), ``value``
        (seconds on sessions, else NaN), ``session_id`` (nullable integer) in the pre and
        post windows, sorted by ``at, user_id, event``.
    truth : pandas.DataFrame
        One row per treatment arm and metric (:data:`TRUTH_COLUMNS`): the average lift
        parameter, the expected control mean, the true average effect ``ate``
        (treatment − control, in metric units) and ``relative = ate / control_mean``.
    per_user : pandas.DataFrame
        Long table ``user_id, degree, degree_percentile, treatment, metric,
        control_mean, effect``: each user's expected metric under control and expected
        effect under the treatment; average ``effect`` over any segment of users to get
        that segment's true effect.
    params : ExperimentParams
    """

    assignments: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame
    per_user: pd.DataFrame
    params: ExperimentParams

    def tables(self) -> dict[str, pd.DataFrame]:
        """The dataset tables by file stem, for :func:`graphkit.simulation.write_dataset`
        (times as ISO-8601 text, as the dataset format writes them)."""
        return {
            "events": self.events.assign(at=_iso_text(self.events["at"])),
            "assignments": self.assignments.assign(
                assigned_at=_iso_text(self.assignments["assigned_at"])
            ),
        }

    @property
    def metric_specs(self) -> tuple[str, ...]:
        """The metrics the truth is given for, as ``graphkit ab analyze --metric`` takes them."""
        return tuple(SIMULATED_METRICS.values())

    def true_effect(self, metric: str, treatment: str | None = None) -> float:
        """The true average effect ``ate`` of ``metric`` (for ``treatment``)."""
        rows = self.truth[self.truth["metric"] == metric]
        if treatment is not None:
            rows = rows[rows["treatment"] == treatment]
        if len(rows) != 1:
            raise KeyError((metric, treatment))
        return float(rows["ate"].iloc[0])

    def segment_effects(
        self, segments: pd.Series, metric: str, treatment: str | None = None
    ) -> pd.Series:
        """True average effect of ``metric`` per segment; ``segments`` maps user_id → label."""
        treatment = treatment or self.params.variants[1]
        rows = self.per_user[
            (self.per_user["metric"] == metric) & (self.per_user["treatment"] == treatment)
        ]
        labels = rows["user_id"].map(segments)
        return rows["effect"].groupby(labels.to_numpy()).mean()


def _resolve_effects(
    effects: Mapping[str, float] | Mapping[str, Mapping[str, float]] | None,
    treatments: Sequence[str],
    degree_effect: float,
) -> dict[str, dict[str, float]]:
    if effects is None:
        effects = DEFAULT_EFFECTS
    nested = any(isinstance(value, Mapping) for value in effects.values())
    if nested:
        unknown = [name for name in effects if name not in treatments]
        if unknown:
            raise ConfigError(
                f"effects given for unknown treatment(s): {', '.join(unknown)}",
                hint=f"treatments: {', '.join(treatments)}",
            )
        per_arm = {arm: dict(effects.get(arm, {})) for arm in treatments}  # type: ignore[arg-type]
    else:
        per_arm = {arm: dict(effects) for arm in treatments}  # type: ignore[arg-type]
    resolved: dict[str, dict[str, float]] = {}
    for arm, lifts in per_arm.items():
        unknown = [name for name in lifts if name not in LIFTED_METRICS]
        if unknown:
            raise ConfigError(
                f"no effect can be planted on {', '.join(unknown)}",
                hint=f"effects are relative lifts of {', '.join(LIFTED_METRICS)}",
            )
        resolved[arm] = {}
        for metric in LIFTED_METRICS:
            lift = float(lifts.get(metric, 0.0))
            # Every user's multiplier 1 + lift·(1 ± degree_effect) must stay positive.
            if (
                not np.isfinite(lift)
                or min(1 + lift * (1 + degree_effect), 1 + lift * (1 - degree_effect)) <= 0
            ):
                raise ConfigError(
                    f"lift {lift} of {metric} would make some users' rate zero or negative",
                    hint="use lifts above -1 / (1 + degree_effect)",
                )
            resolved[arm][metric] = lift
    return resolved


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(
            f"{name} must be a {'non-negative' if allow_zero else 'positive'} number, got {value}"
        )
    return value


def _distinct_degrees(sim: SimulatedNetwork) -> np.ndarray:
    """Distinct partners per user, self-interactions left out (graph feature ``degree``)."""
    users = pd.Index(sim.users["user_id"])
    source = users.get_indexer(pd.Index(sim.interactions["source_id"]))
    target = users.get_indexer(pd.Index(sim.interactions["target_id"]))
    keep = (source != target) & (source >= 0) & (target >= 0)
    low = np.minimum(source, target)[keep].astype(np.int64)
    high = np.maximum(source, target)[keep].astype(np.int64)
    pairs = np.unique(low * len(users) + high)
    ends = np.concatenate([pairs // len(users), pairs % len(users)])
    return np.bincount(ends, minlength=len(users)).astype(float)


def _utc(seconds: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(seconds.astype("datetime64[s]")).tz_localize("UTC")


def _iso_text(stamps: pd.Series) -> pd.Series:
    """UTC times as the dataset files write them: ``2026-01-31T12:00:00Z``."""
    text = np.datetime_as_string(stamps.dt.tz_convert(None).to_numpy("datetime64[s]"), unit="s")
    return pd.Series(np.char.add(text, "Z"), index=stamps.index, dtype=object)


@dataclass(frozen=True)
class _Window:
    start: np.ndarray  # epoch seconds, per user
    length: np.ndarray  # seconds, per user (may be 0)


def _draw_window(
    rng: np.random.Generator,
    window: _Window,
    session_rate: np.ndarray,
    session_mean_s: np.ndarray,
    message_rate: np.ndarray,
    views_per_session: float,
) -> dict[str, np.ndarray]:
    """Session, view and message events of every user in one window (rates per second)."""
    n_sessions = rng.poisson(session_rate * window.length)
    user = np.repeat(np.arange(n_sessions.size), n_sessions)
    span = window.length[user]
    start = window.start[user] + np.floor(rng.random(user.size) * span).astype(np.int64)
    value = np.round(rng.exponential(session_mean_s[user]), 3)
    n_views = rng.poisson(views_per_session, user.size)
    view_session = np.repeat(np.arange(user.size), n_views)
    room = np.minimum(
        np.floor(value[view_session]) + 1,
        window.start[user[view_session]] + span[view_session] - start[view_session],
    )
    view_at = start[view_session] + np.floor(rng.random(view_session.size) * room).astype(np.int64)
    n_messages = rng.poisson(message_rate * window.length)
    message_user = np.repeat(np.arange(n_messages.size), n_messages)
    message_at = window.start[message_user] + np.floor(
        rng.random(message_user.size) * window.length[message_user]
    ).astype(np.int64)
    return {
        "user": np.concatenate([user, user[view_session], message_user]),
        "at": np.concatenate([start, view_at, message_at]),
        "kind": np.concatenate(  # codes into _EVENT_NAMES
            [
                np.ones(user.size, int),
                np.full(view_session.size, 2),
                np.zeros(message_user.size, int),
            ]
        ),
        "value": np.concatenate(
            [value, np.full(view_session.size, np.nan), np.full(message_user.size, np.nan)]
        ),
        "session": np.concatenate(
            [np.arange(user.size), view_session, np.full(message_user.size, -1)]
        ),
    }


def default_salt(seed: int) -> str:
    """The assignment salt of a simulated experiment whose salt is not given.

    Examples
    --------
    >>> default_salt(3)
    'seed-3'
    """
    return f"seed-{seed}"


def write_truth(result: SimulatedExperiment, folder: str | Path) -> list[Path]:
    """Save the truth of a simulated experiment under ``folder/truth/``.

    ``experiment_<name>.csv`` (true effect per treatment × metric), ``experiment_<name>
    _users.csv`` (each user's expected control value and effect) and ``experiment_<name>
    .json`` (the resolved parameters: seed, salt, weights, effects...). The loader reads
    only the top-level tables, so the truth never enters the store.
    """
    truth = Path(folder) / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", result.params.experiment)
    paths = [
        truth / f"experiment_{name}.csv",
        truth / f"experiment_{name}_users.csv",
        truth / f"experiment_{name}.json",
    ]
    result.truth.to_csv(paths[0], index=False, lineterminator="\n")
    result.per_user.to_csv(paths[1], index=False, lineterminator="\n")
    paths[2].write_text(
        json.dumps(dataclasses.asdict(result.params), indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return paths


def simulate_experiment(
    sim: SimulatedNetwork,
    *,
    experiment: str = "simulated",
    seed: int | None = None,
    variants: Sequence[str] = ("control", "treatment"),
    weights: Sequence[float] | None = None,
    salt: str | None = None,
    effects: Mapping[str, float] | Mapping[str, Mapping[str, float]] | None = None,
    degree_effect: float = 0.0,
    pre_days: float = 14.0,
    post_days: float = 14.0,
    enroll_days: float = 7.0,
    start: str | None = None,
    sessions_per_user_day: float = 0.5,
    seconds_per_session: float = 300.0,
    views_per_session: float = 3.0,
    messages_per_session: float = 0.1,
) -> SimulatedExperiment:
    """Simulate an experiment on ``sim``'s users with known true effects.

    Parameters
    ----------
    sim : SimulatedNetwork
        The network (users, signups and interactions, which give each user's degree).
    experiment : str
        Experiment name (the ``experiment`` column and the assignment hash key).
    seed : int, optional
        Seed of the activity draws; defaults to ``sim.params.seed``.
    variants : sequence of str
        Arm names, control first.
    weights : sequence of float, optional
        Planned split (equal if omitted), as ``graphkit ab assign --weights``.
    salt : str, optional
        Assignment salt: the split is ``assign(user_ids, experiment, salt=salt)``.
        Default :func:`default_salt` of the seed, so a new seed also draws a new split
        (user ids are numbered in signup order: with one salt for every seed, every
        simulated experiment would reuse nearly the same split). Give a salt to keep
        the split fixed across seeds.
    effects : mapping, optional
        Relative lifts of ``sessions``, ``time_spent`` and ``messaged`` (the message
        rate) applied to every treatment arm, e.g. ``{"sessions": 0.05}``; or one such
        mapping per treatment arm, ``{"treatment": {...}, "treatment_b": {...}}``.
        Metrics left out get no effect; default :data:`DEFAULT_EFFECTS`.
    degree_effect : float
        In [0, 1]: how much stronger the effect is for better connected users (see the
        module docstring); 0 is a homogeneous effect.
    pre_days, post_days : float
        Window lengths around ``assigned_at``; analyse with the same ``post_days``.
    enroll_days : float
        Length of the enrollment period.
    start : str, optional
        Start of the experiment (ISO-8601); default ``pre_days`` after ``sim``'s start.
    sessions_per_user_day, seconds_per_session, views_per_session, messages_per_session
        Scale of the activity model.

    Returns
    -------
    SimulatedExperiment

    Raises
    ------
    ConfigError
        If a parameter is out of range.
    InsufficientData
        If no user signs up before enrollment ends.

    Examples
    --------
    >>> from graphkit.simulation import simulate_network
    >>> net = simulate_network(300, seed=1)
    >>> exp = simulate_experiment(net, effects={"sessions": 0.1}, seed=2)
    >>> sorted(exp.assignments["variant"].unique().tolist())
    ['control', 'treatment']
    >>> exp.true_effect("time_spent")
    0.0
    >>> bool(exp.true_effect("sessions") > 0)
    True
    """
    variants = tuple(str(v) for v in variants)
    if len(variants) < 2 or len(set(variants)) != len(variants):
        raise ConfigError(f"variants must be at least two distinct names, got {list(variants)}")
    if not 0 <= degree_effect <= 1:
        raise ConfigError(f"degree_effect must be in [0, 1], got {degree_effect}")
    post_days = _positive("post_days", post_days)
    pre_days = _positive("pre_days", pre_days, allow_zero=True)
    enroll_days = _positive("enroll_days", enroll_days)
    for name, value in (
        ("sessions_per_user_day", sessions_per_user_day),
        ("seconds_per_session", seconds_per_session),
    ):
        _positive(name, value)
    for name, value in (
        ("views_per_session", views_per_session),
        ("messages_per_session", messages_per_session),
    ):
        _positive(name, value, allow_zero=True)
    treatments = variants[1:]
    lifts = _resolve_effects(effects, treatments, degree_effect)
    seed = sim.params.seed if seed is None else int(seed)
    salt = default_salt(seed) if salt is None else salt
    if seed < 0:
        raise ConfigError(f"seed must be non-negative, got {seed}")
    try:
        begin = pd.Timestamp(start) if start is not None else pd.Timestamp(sim.params.start)
    except ValueError as exc:
        raise ConfigError(f"cannot read start {start!r}", hint="give an ISO-8601 time") from exc
    begin = begin.tz_localize("UTC") if begin.tzinfo is None else begin.tz_convert("UTC")
    begin_s = int(begin.value // 10**9) + (0 if start is not None else round(pre_days * _DAY))
    enroll_s = round(enroll_days * _DAY)

    rng = np.random.default_rng([seed, _STREAM_EXPERIMENT])
    signup = pd.to_datetime(sim.users["signup_at"], utc=True)
    signup_s = pd.DatetimeIndex(signup).as_unit("s").asi8
    planned = begin_s + np.floor(rng.random(len(signup_s)) * enroll_s).astype(np.int64)
    enrolled = signup_s < begin_s + enroll_s
    if not enrolled.any():
        raise InsufficientData("no user signs up before enrollment ends: nobody to enroll")
    user_ids = sim.users["user_id"].to_numpy(dtype=object)[enrolled]
    assigned_s = np.maximum(planned, signup_s)[enrolled]
    signup_s = signup_s[enrolled]
    degree = _distinct_degrees(sim)[enrolled]
    n = user_ids.size

    arm = assign(user_ids, experiment, salt=salt, variants=variants, weights=weights).to_numpy()
    arm_index = pd.Index(variants).get_indexer(pd.Index(arm))

    # Persistent user traits: the same in the pre and the post window.
    connectivity = np.sqrt(1.0 + degree)
    frailty = rng.gamma(_FRAILTY_SHAPE, 1 / _FRAILTY_SHAPE, n)
    session_rate = sessions_per_user_day * connectivity / connectivity.mean() * frailty / _DAY
    length_noise = rng.lognormal(-(_LENGTH_SIGMA**2) / 2, _LENGTH_SIGMA, n)  # mean 1
    session_mean = seconds_per_session * length_noise
    message_rate = messages_per_session * session_rate
    ranks = pd.Series(degree).rank(method="average").to_numpy()
    percentile = (ranks - 0.5) / n
    position = 1.0 + degree_effect * (2 * percentile - 1)

    # Each user's lifts under the arm they are in (control: none).
    user_lift = {metric: np.zeros(n) for metric in LIFTED_METRICS}
    for index, treatment in enumerate(treatments, start=1):
        member = arm_index == index
        for metric in LIFTED_METRICS:
            user_lift[metric][member] = lifts[treatment][metric] * position[member]
    session_factor = 1 + user_lift["sessions"]
    length_factor = (1 + user_lift["time_spent"]) / session_factor

    pre_length = np.minimum(round(pre_days * _DAY), assigned_s - signup_s)
    post_length = np.full(n, round(post_days * _DAY), dtype=np.int64)
    parts = [
        _draw_window(
            rng,
            _Window(assigned_s - pre_length, pre_length),
            session_rate,
            session_mean,
            message_rate,
            views_per_session,
        ),
        _draw_window(
            rng,
            _Window(assigned_s, post_length),
            session_rate * session_factor,
            session_mean * length_factor,
            message_rate * (1 + user_lift["messaged"]),
            views_per_session,
        ),
    ]
    events = _events_frame(user_ids, parts)
    assignments = pd.DataFrame(
        {
            "experiment": experiment,
            "user_id": user_ids,
            "variant": arm,
            "assigned_at": _utc(assigned_s),
        }
    ).sort_values("user_id", kind="mergesort", ignore_index=True)

    per_user, truth = _truth(
        user_ids,
        degree,
        percentile,
        position,
        lifts,
        session_rate * _DAY * post_days,
        session_mean,
        message_rate * _DAY * post_days,
        views_per_session,
    )
    params = ExperimentParams(
        experiment=experiment,
        seed=seed,
        variants=variants,
        weights=tuple(float(w) for w in weights) if weights else (1.0,) * len(variants),
        salt=salt,
        effects=lifts,
        degree_effect=float(degree_effect),
        pre_days=pre_days,
        post_days=post_days,
        enroll_days=enroll_days,
        start=_utc(np.array([begin_s]))[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
        sessions_per_user_day=float(sessions_per_user_day),
        seconds_per_session=float(seconds_per_session),
        views_per_session=float(views_per_session),
        messages_per_session=float(messages_per_session),
    )
    return SimulatedExperiment(assignments, events, truth, per_user, params)


def _events_frame(user_ids: np.ndarray, parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    sessions_before = 0
    sessions = []
    for part in parts:
        session = part["session"]
        sessions.append(np.where(session >= 0, session + sessions_before, -1))
        sessions_before += int(session.max(initial=-1)) + 1
    merged = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    session = np.concatenate(sessions)
    # User ids are numbered in sorted order, so sorting codes sorts ids.
    order = np.lexsort((merged["kind"], merged["user"], merged["at"]))
    kinds = pd.Categorical.from_codes(merged["kind"][order], categories=pd.Index(_EVENT_NAMES))
    # Sessions keep their number as id (nullable: messages belong to no session).
    session_id = pd.array(session[order], dtype="Int64")
    session_id[session[order] < 0] = pd.NA
    return pd.DataFrame(
        {
            "user_id": user_ids[merged["user"][order]],
            "at": _utc(merged["at"][order]),
            "event": kinds.astype(str),
            "value": merged["value"][order],
            "session_id": session_id,
        }
    )


def _truth(
    user_ids: np.ndarray,
    degree: np.ndarray,
    percentile: np.ndarray,
    position: np.ndarray,
    lifts: dict[str, dict[str, float]],
    sessions: np.ndarray,
    session_mean: np.ndarray,
    messages: np.ndarray,
    views_per_session: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Expected control metric and expected effect per user; their averages per arm."""
    kinds = {"sessions": "count", "time_spent": "mean", "messaged": "conversion", "events": "count"}
    control = {
        "sessions": sessions,
        "time_spent": sessions * session_mean,
        "messaged": 1 - np.exp(-messages),
        "events": sessions * (1 + views_per_session) + messages,
    }
    long_parts = []
    rows = []
    for treatment, arm_lifts in lifts.items():
        lift = {metric: arm_lifts[metric] * position for metric in LIFTED_METRICS}
        effect = {
            "sessions": sessions * lift["sessions"],
            "time_spent": sessions * session_mean * lift["time_spent"],
            "messaged": np.exp(-messages) - np.exp(-messages * (1 + lift["messaged"])),
            "events": sessions * lift["sessions"] * (1 + views_per_session)
            + messages * lift["messaged"],
        }
        for metric in SIMULATED_METRICS:
            long_parts.append(
                pd.DataFrame(
                    {
                        "user_id": user_ids,
                        "degree": degree,
                        "degree_percentile": percentile,
                        "treatment": treatment,
                        "metric": metric,
                        "control_mean": control[metric],
                        "effect": effect[metric],
                    }
                )
            )
            control_mean = float(control[metric].mean())
            ate = float(effect[metric].mean())
            rows.append(
                {
                    "treatment": treatment,
                    "metric": metric,
                    "kind": kinds[metric],
                    "lift": arm_lifts.get(metric, float("nan")),
                    "control_mean": control_mean,
                    "ate": ate,
                    "relative": ate / control_mean if control_mean else float("nan"),
                }
            )
    return pd.concat(long_parts, ignore_index=True), pd.DataFrame(rows, columns=TRUTH_COLUMNS)
