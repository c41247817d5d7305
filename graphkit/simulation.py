"""Seeded synthetic social networks with known ground truth.

The simulator draws a *degree-corrected planted partition* (a degree-corrected
stochastic block model, Karrer & Newman 2011, Phys. Rev. E 83, 016107) laid out in
time, so every analysis in graphkit can be checked against the truth that produced
the data:

* users belong to communities of unequal sizes (``true_community``);
* each user has a heavy-tailed *activity* (how often they act) and *popularity*
  (how often they are acted upon), both Pareto distributed and positively
  correlated, so degrees are heavy tailed;
* each interaction picks its source ∝ activity and its target ∝ popularity inside
  the source's community with probability ``1 − mixing``, else anywhere;
* interaction times follow a diurnal and weekly profile with a mild growth trend,
  and never precede either endpoint's signup;
* optionally (:func:`simulate_events`), app sessions and in-session events whose
  rate grows with graph degree, on the same time profile, with a few anomalous
  days injected as ground truth.

Determinism. Every draw comes from ``numpy.random.default_rng`` through ``random()``,
``integers()`` and ``permutation()`` only, and every number that decides a discrete
outcome is computed with IEEE-exact operations (+, −, ×, ÷, √ and integer
arithmetic). No ``exp``/``log``/``pow`` from the platform's maths library is involved,
so the same seed yields byte-identical CSV files on any machine (for a given NumPy
release; NumPy keeps these generator methods stable).

Independent random streams (``default_rng([seed, stream])``) feed users and
interactions, so a later change to one table's model does not reshuffle the other.

Example
-------
>>> sim = simulate_network(50, seed=1, interactions_per_user=4)
>>> list(sim.users.columns)
['user_id', 'signup_at', 'country', 'os', 'age', 'source', 'true_community']
>>> len(sim.interactions)
200
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from graphkit.errors import ConfigError, ParameterError
from graphkit.files import replace_atomically

__all__ = [
    "EVENT_COLUMNS",
    "EVENT_TYPES",
    "INTERACTION_COLUMNS",
    "INTERACTION_TYPES",
    "TYPE_WEIGHTS",
    "USER_COLUMNS",
    "EventParams",
    "NetworkParams",
    "SimulatedEvents",
    "SimulatedNetwork",
    "default_n_communities",
    "simulate_events",
    "simulate_network",
    "write_dataset",
]

USER_COLUMNS = ("user_id", "signup_at", "country", "os", "age", "source", "true_community")
INTERACTION_COLUMNS = ("source_id", "target_id", "type", "at", "weight")

#: Interaction types and the fixed positive weight each carries: a message costs the
#: sender most effort, a comment more than a like; a follow is a one-off tie.
INTERACTION_TYPES = ("follow", "message", "like", "comment")
TYPE_WEIGHTS = {"follow": 1.0, "message": 3.0, "like": 1.0, "comment": 2.0}
# Type mix in percent (same order as INTERACTION_TYPES). Conversations stay inside
# communities; reaching across them is mostly liking and following.
_TYPE_MIX_WITHIN = (10, 30, 42, 18)
_TYPE_MIX_ACROSS = (25, 8, 55, 12)

_SECONDS_PER_HOUR = 3600
_SECONDS_PER_DAY = 86_400
_ISO_FORMAT_HINT = 'a date or UTC time such as "2026-01-01" or "2026-01-01T00:00:00Z"'
# Written floats use one fixed format so files diff cleanly and never depend on repr.
_CSV_FLOAT_FORMAT = "%.3f"

# --- time profile (integers, so sampling is exact) -------------------------------
# Relative activity by UTC hour: quiet early morning (Europe asleep, Americas night),
# evening peak when Europe and the Americas overlap.
_HOURLY = (70, 60, 50, 42, 36, 34, 36, 44, 56, 66, 74, 80,
           86, 90, 94, 98, 102, 108, 116, 124, 128, 122, 108, 88)  # fmt: skip
# Monday..Sunday: social apps peak at the weekend.
_WEEKDAY = (96, 98, 99, 100, 104, 113, 110)
# Mild linear growth: the last hour of the period is 25% busier than the first.
_GROWTH_START, _GROWTH_GAIN = 100, 25

# --- users ----------------------------------------------------------------------
_PRE_START_PERCENT = 30  # share of users who signed up before the simulated period
_PRE_START_DAYS = 730  # ...within this many days before it, recent days likelier
_HOME_COUNTRY_PERCENT = 50  # share of users living in their community's home country

# Country, weight (per mille of users), iOS share among app users (percent).
_COUNTRIES = (
    ("US", 240, 55), ("IN", 130, 5), ("BR", 90, 15), ("GB", 70, 50), ("DE", 60, 38),
    ("FR", 50, 35), ("ID", 50, 8), ("MX", 45, 20), ("JP", 40, 65), ("CA", 35, 52),
    ("ES", 30, 22), ("IT", 30, 28), ("TR", 25, 15), ("PH", 25, 12), ("NG", 20, 8),
    ("PL", 20, 25), ("KR", 20, 30), ("AU", 20, 55),
)  # fmt: skip
_WEB_PER_10K = 1500  # 15% of users everywhere use the web app
_OS_NAMES = ("Web", "iOS", "Android")

# Acquisition source, weight (percent), activity multiplier: referred users arrive
# with friends and stay busier, paid installs are the least engaged.
_SOURCES = (("organic", 45, 1.0), ("ads", 30, 0.75), ("referral", 18, 1.5), ("partner", 7, 1.0))

# Age bands (first age, last age, weight per year of age): skewed young like most
# social apps; 16 is the youngest allowed sign-up, 70 the oldest reported.
_AGE_BANDS = ((16, 17, 20), (18, 24, 36), (25, 34, 30), (35, 44, 18),
              (45, 54, 12), (55, 64, 8), (65, 70, 5))  # fmt: skip

# Random streams, one per table, so models evolve independently.
_STREAM_USERS = 1
_STREAM_INTERACTIONS = 2
_STREAM_EVENTS = 3

# Longest period accepted: keeps integer time masses far from int64 overflow and
# every timestamp within four-digit years.
_MAX_DAYS = 36_600

# --- events -----------------------------------------------------------------------
EVENT_COLUMNS = ("user_id", "at", "event", "value", "session_id")
#: Event kinds; a ``session`` row opens each session and carries its length.
EVENT_TYPES = ("session", "view", "like", "click", "message")
_IN_SESSION_MIX = (0, 60, 20, 15, 5)  # percent of in-session events, by EVENT_TYPES
# Session length in seconds: 15 + 180·(Pareto(2) − 1), median ≈ 90 s, capped at 4 h.
_SESSION_MIN_S, _SESSION_SCALE_S, _SESSION_MAX_S = 15, 180.0, 4 * _SECONDS_PER_HOUR
_SECONDS_PER_IN_SESSION_EVENT = 30  # about one view/like/click/message per minute
# Sessions have a weekly cycle of their own on top of the time profile's (which also
# drives interactions): together a Saturday is ~40% busier than a Monday, as in social
# apps, so anomaly detectors are tested against a cycle they must model.
_SESSION_WEEKDAY = (92, 94, 95, 97, 103, 116, 112)  # Monday..Sunday, percent
# Injected anomalies: the day's session volume in percent of a normal day. Outages,
# dips of every size (including the realistic -15% and -25% ones that are hard to
# see) and spikes; one is drawn uniformly per anomalous day.
_ANOMALY_PERCENTS = (40, 55, 70, 75, 85, 115, 125, 130, 150, 200, 250)
_OUTAGE_BELOW_PERCENT = 50  # "outage" at or below this volume, "dip" above it, below 100
# Anomalies avoid the first four weeks when the period allows (a seasonal detector needs
# them as history), else the first week.
_ANOMALY_BASELINE_DAYS = 28
_ANOMALY_SHORT_BASELINE_DAYS = 7

# Self-loops are redrawn this many times; the (astronomically rare) rest move to the
# next member of the source's community, which always exists (communities have ≥ 2).
_SELF_LOOP_REDRAWS = 64
_MIN_COMMUNITY_SIZE = 2


@dataclass(frozen=True)
class NetworkParams:
    """The parameters a :class:`SimulatedNetwork` was drawn with (all resolved)."""

    n_users: int
    seed: int
    interactions_per_user: float
    n_communities: int
    mixing: float
    start: str
    days: int

    @property
    def end(self) -> str:
        """First instant after the simulated period, ISO-8601 UTC."""
        return _iso_one(_parse_start(self.start) + self.days * _SECONDS_PER_DAY)


@dataclass(frozen=True, eq=False)
class SimulatedNetwork:
    """A simulated social network and the ground truth behind it.

    Attributes
    ----------
    users : DataFrame
        One row per user, columns :data:`USER_COLUMNS`, ordered by ``user_id``
        (ids are handed out in signup order).
    interactions : DataFrame
        One row per interaction, columns :data:`INTERACTION_COLUMNS`, sorted by
        ``at``, then ``source_id``, ``target_id``.
    params : NetworkParams
        The resolved parameters.
    latent : DataFrame
        Ground truth that is not part of the dataset files: ``user_id``,
        ``activity`` and ``popularity`` (the Pareto propensities, before the
        signup-exposure correction).
    """

    users: pd.DataFrame
    interactions: pd.DataFrame
    params: NetworkParams
    latent: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The dataset tables by file stem, in the order they are written."""
        return {"users": self.users, "interactions": self.interactions}


# --------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------


def simulate_network(
    n_users: int,
    *,
    seed: int = 0,
    interactions_per_user: float = 10.0,
    n_communities: int | None = None,
    mixing: float = 0.1,
    start: str = "2026-01-01",
    days: int = 90,
) -> SimulatedNetwork:
    """Simulate users and their interactions with planted communities.

    Parameters
    ----------
    n_users : int
        Number of users, at least 2.
    seed : int
        Non-negative seed; the same seed gives identical frames (and files).
    interactions_per_user : float
        Mean interactions per user; the network has
        ``round(n_users * interactions_per_user)`` interactions.
    n_communities : int, optional
        Number of planted communities, between 1 and ``n_users // 2`` (each has at
        least two members). Default ``max(2, round(sqrt(n_users) / 4))``, capped
        at ``n_users // 2``.
    mixing : float
        Probability in [0, 1] that an interaction's target is drawn from the whole
        network instead of the source's community. The observed share of
        cross-community interactions is about ``mixing × (1 − community share)``.
    start : str
        Start of the period: a date (midnight UTC) or an ISO-8601 time; naive
        times are UTC.
    days : int
        Length of the period in days, at least 1. Interactions fall in
        ``[start, start + days)``; signups may precede ``start`` by up to two years.

    Returns
    -------
    SimulatedNetwork
        ``users``, ``interactions``, resolved ``params`` and ``latent`` truth.

    Raises
    ------
    ConfigError
        If a parameter is out of range or ``start`` cannot be parsed.

    Example
    -------
    >>> sim = simulate_network(200, seed=7, n_communities=4)
    >>> sorted(sim.users["true_community"].unique().tolist())
    [0, 1, 2, 3]
    >>> bool((sim.interactions["source_id"] != sim.interactions["target_id"]).all())
    True
    """
    params = _resolve_params(
        n_users=n_users,
        seed=seed,
        interactions_per_user=interactions_per_user,
        n_communities=n_communities,
        mixing=mixing,
        start=start,
        days=days,
    )
    start_s = _parse_start(params.start)
    profile = _TimeProfile.build(start_s, params.days)

    user_rng = np.random.default_rng([params.seed, _STREAM_USERS])
    population = _draw_population(user_rng, params.n_users, params.n_communities, profile)

    edge_rng = np.random.default_rng([params.seed, _STREAM_INTERACTIONS])
    n_interactions = round(params.n_users * params.interactions_per_user)
    edges = _draw_interactions(edge_rng, population, n_interactions, params.mixing, profile)

    ids = _user_ids(params.n_users)
    users = _users_frame(ids, population, start_s)
    interactions = _interactions_frame(ids, edges, start_s)
    latent = pd.DataFrame(
        {
            "user_id": ids,
            "activity": population.activity,
            "popularity": population.popularity,
        }
    )
    return SimulatedNetwork(users=users, interactions=interactions, params=params, latent=latent)


def write_dataset(
    sim: SimulatedNetwork | SimulatedEvents,
    out_dir: Path | str,
    *,
    fmt: Literal["csv", "parquet"] = "csv",
    force: bool = False,
) -> list[Path]:
    """Write the simulated tables to ``out_dir`` as ``<table>.csv`` or ``.parquet``.

    Each file is written under a temporary name in the same folder, flushed to disk
    and renamed into place, so a crash never leaves a half-written file under the
    final name. Existing files are checked before anything is written.

    Parameters
    ----------
    sim : SimulatedNetwork or SimulatedEvents
        What to write: ``users`` and ``interactions`` for a network, ``events``
        for events (ground truth such as ``latent`` and ``anomalies`` stays out).
    out_dir : Path or str
        Target folder, created with its parents if missing.
    fmt : {"csv", "parquet"}
        CSV is UTF-8, ``\\n`` line ends, floats as ``%.3f``: byte-identical per seed.
    force : bool
        Overwrite existing files instead of refusing.

    Returns
    -------
    list of Path
        The files written, in table order.

    Raises
    ------
    ConfigError
        If ``fmt`` is unknown, a target file exists and ``force`` is false, or the
        folder cannot be created or written.

    Example
    -------
    >>> import tempfile
    >>> sim = simulate_network(20, seed=0)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_dataset(sim, tmp)]
    ['users.csv', 'interactions.csv']
    """
    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"unknown dataset format {fmt!r}", hint="use csv or parquet")
    folder = Path(out_dir)
    tables = sim.tables()
    targets = {name: folder / f"{name}.{fmt}" for name in tables}
    existing = [path for path in targets.values() if path.exists()]
    if existing and not force:
        names = ", ".join(str(path) for path in existing)
        raise ParameterError(
            "force",
            f"is off: refusing to overwrite {names}",
            hint="turn it on to overwrite, or choose another output folder",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create output folder {folder}: {exc.strerror or exc}",
            hint="choose a writable output folder",
        ) from exc
    written = []
    for name, frame in tables.items():
        path = targets[name]
        try:
            _write_atomically(frame, path, fmt)
        except OSError as exc:
            raise ConfigError(
                f"cannot write {path}: {exc.strerror or exc}",
                hint="check free space and permissions, or choose another output folder",
            ) from exc
        written.append(path)
    return written


# --------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------


def default_n_communities(n_users: int) -> int:
    """The default number of communities for ``n_users`` users (see simulate_network)."""
    return max(1, min(max(2, round(math.sqrt(n_users) / 4)), n_users // _MIN_COMMUNITY_SIZE))


def _resolve_params(
    *,
    n_users: int,
    seed: int,
    interactions_per_user: float,
    n_communities: int | None,
    mixing: float,
    start: str,
    days: int,
) -> NetworkParams:
    n_users = _require_int("n_users", n_users, minimum=2)
    seed = _require_int("seed", seed, minimum=0)
    days = _require_int("days", days, minimum=1, maximum=_MAX_DAYS)
    if n_communities is None:
        n_communities = default_n_communities(n_users)
    n_communities = _require_int("n_communities", n_communities, minimum=1)
    if n_communities * _MIN_COMMUNITY_SIZE > n_users:
        raise ConfigError(
            f"n_communities={n_communities} is too many for {n_users} users",
            hint=f"use at most {n_users // _MIN_COMMUNITY_SIZE} (two members each)",
        )
    interactions_per_user = _require_real(
        "interactions_per_user", interactions_per_user, low=0.0, high=None
    )
    mixing = _require_real("mixing", mixing, low=0.0, high=1.0)
    start_s = _parse_start(start)
    return NetworkParams(
        n_users=n_users,
        seed=seed,
        interactions_per_user=interactions_per_user,
        n_communities=n_communities,
        mixing=mixing,
        start=_iso_one(start_s),
        days=days,
    )


def _require_int(name: str, value: object, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, got {value}")
    return int(value)


def _require_real(name: str, value: object, *, low: float, high: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < low or (high is not None and number > high):
        bounds = f"in [{low}, {high}]" if high is not None else f"at least {low}"
        raise ConfigError(f"{name} must be a finite number {bounds}, got {value!r}")
    return number


def _parse_start(start: object) -> int:
    """``start`` as whole epoch seconds (UTC)."""
    try:
        stamp = pd.Timestamp(start)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"cannot read start {start!r}", hint=f"give {_ISO_FORMAT_HINT}") from exc
    if stamp is pd.NaT or not isinstance(stamp, pd.Timestamp):
        raise ConfigError(f"cannot read start {start!r}", hint=f"give {_ISO_FORMAT_HINT}")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if stamp.nanosecond or stamp.microsecond:
        raise ConfigError(f"start {start!r} has sub-second precision", hint=_ISO_FORMAT_HINT)
    return int(stamp.value // 1_000_000_000)


# --------------------------------------------------------------------------------
# Time profile: exact, integer-valued intensity over hourly bins
# --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TimeProfile:
    """Piecewise-constant intensity over the period's hours, in integer units.

    ``rate[h]`` is the weight of each second in hour ``h`` (hours counted from the
    start); ``mass[h]`` the total weight before hour ``h`` (``mass[-1]`` is the
    whole period). Sampling inverts this CDF with integer arithmetic only.
    """

    start_s: int
    rate: np.ndarray
    mass: np.ndarray

    @classmethod
    def build(cls, start_s: int, days: int) -> _TimeProfile:
        n_hours = days * 24
        hour = np.arange(n_hours, dtype=np.int64)
        absolute_hour = start_s // _SECONDS_PER_HOUR + hour
        hour_of_day = absolute_hour % 24
        # 1970-01-01 was a Thursday (Monday = 0 → Thursday = 3).
        weekday = (absolute_hour // 24 + 3) % 7
        growth = _GROWTH_START + (_GROWTH_GAIN * hour) // n_hours
        rate = np.asarray(_HOURLY, np.int64)[hour_of_day] * np.asarray(_WEEKDAY, np.int64)[weekday]
        return cls.from_rate(start_s, rate * growth)

    @classmethod
    def from_rate(cls, start_s: int, rate: np.ndarray) -> _TimeProfile:
        mass = np.zeros(len(rate) + 1, dtype=np.int64)
        np.cumsum(rate * _SECONDS_PER_HOUR, out=mass[1:])
        return cls(start_s=start_s, rate=rate, mass=mass)

    def scaled(self, per_hour: np.ndarray) -> _TimeProfile:
        """The same profile with each hour's rate multiplied by an integer."""
        return _TimeProfile.from_rate(self.start_s, self.rate * per_hour)

    @property
    def seconds(self) -> int:
        return len(self.rate) * _SECONDS_PER_HOUR

    @property
    def total(self) -> int:
        return int(self.mass[-1])

    def mass_before(self, offset: np.ndarray) -> np.ndarray:
        """Weight of ``[0, offset)`` for offsets in ``[0, seconds]`` from the start."""
        hour = np.minimum(offset // _SECONDS_PER_HOUR, len(self.rate) - 1)
        return self.mass[hour] + self.rate[hour] * (offset - hour * _SECONDS_PER_HOUR)

    def sample(self, rng: np.random.Generator, not_before: np.ndarray) -> np.ndarray:
        """One offset (seconds from start) per entry, drawn ∝ intensity on
        ``[not_before, seconds)``; ``not_before`` must lie in ``[0, seconds)``."""
        target = rng.integers(self.mass_before(not_before), self.total, dtype=np.int64)
        hour = np.searchsorted(self.mass, target, side="right") - 1
        within = (target - self.mass[hour]) // self.rate[hour]
        return hour * _SECONDS_PER_HOUR + within


# --------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Population:
    """Per-user arrays, indexed by user number (= signup order)."""

    signup: np.ndarray  # seconds from start; negative before the period
    community: np.ndarray
    country: np.ndarray  # index into _COUNTRIES
    os: np.ndarray  # index into _OS_NAMES
    age: np.ndarray
    source: np.ndarray  # index into _SOURCES
    activity: np.ndarray
    popularity: np.ndarray


def _draw_population(
    rng: np.random.Generator, n: int, k: int, profile: _TimeProfile
) -> _Population:
    signup = _draw_signups(rng, n, profile)
    community = _draw_communities(rng, n, k)
    country = _draw_countries(rng, community, k)
    os_index = _draw_os(rng, country)
    age = _draw_ages(rng, n)
    source = _categorical(rng, [weight for _, weight, _ in _SOURCES], n)
    activity, popularity = _draw_propensities(rng, n)
    activity = activity * np.asarray([mult for _, _, mult in _SOURCES])[source]
    return _Population(
        signup=signup,
        community=community,
        country=country,
        os=os_index,
        age=age,
        source=source,
        activity=activity,
        popularity=popularity,
    )


def _categorical(rng: np.random.Generator, weights: object, size: int) -> np.ndarray:
    """Indices drawn ∝ non-negative integer ``weights``, exactly (no float rounding)."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.int64))
    return np.searchsorted(cumulative, rng.integers(0, cumulative[-1], size), side="right")


def _draw_signups(rng: np.random.Generator, n: int, profile: _TimeProfile) -> np.ndarray:
    """Signup offsets (seconds from start), sorted: user ids follow signup order."""
    before = rng.integers(0, 100, n) < _PRE_START_PERCENT
    n_before = int(before.sum())
    # Days before start, 1.._PRE_START_DAYS, weight falling linearly with age.
    days_back = _PRE_START_DAYS - _categorical(rng, np.arange(1, _PRE_START_DAYS + 1), n_before)
    early = -days_back * _SECONDS_PER_DAY + rng.integers(0, _SECONDS_PER_DAY, n_before)
    during = profile.sample(rng, np.zeros(n - n_before, dtype=np.int64))
    return np.sort(np.concatenate([early, during]))


def _draw_communities(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """Community per user; sizes are ``2 + multinomial`` with Pareto(2) weights."""
    # 1/sqrt(U) is Pareto with tail index 2; scaled to integers so the draw is exact.
    share = np.floor(1024.0 / np.sqrt(1.0 - rng.random(k))).astype(np.int64)
    extra = _categorical(rng, share, n - _MIN_COMMUNITY_SIZE * k)
    sizes = _MIN_COMMUNITY_SIZE + np.bincount(extra, minlength=k)
    return rng.permutation(np.repeat(np.arange(k, dtype=np.int64), sizes))


def _draw_countries(rng: np.random.Generator, community: np.ndarray, k: int) -> np.ndarray:
    """Countries with realistic skew and homophily: communities have a home country."""
    weights = [weight for _, weight, _ in _COUNTRIES]
    home = _categorical(rng, weights, k)
    anywhere = _categorical(rng, weights, len(community))
    at_home = rng.integers(0, 100, len(community)) < _HOME_COUNTRY_PERCENT
    return np.where(at_home, home[community], anywhere)


def _draw_os(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    """Web for a flat share; iOS vs Android by the country's iOS share."""
    ios_per_10k = (10_000 - _WEB_PER_10K) * np.asarray([ios for *_, ios in _COUNTRIES]) // 100
    draw = rng.integers(0, 10_000, len(country))
    return np.where(
        draw < _WEB_PER_10K, 0, np.where(draw < _WEB_PER_10K + ios_per_10k[country], 1, 2)
    )


def _draw_ages(rng: np.random.Generator, n: int) -> np.ndarray:
    ages = np.concatenate([np.arange(lo, hi + 1) for lo, hi, _ in _AGE_BANDS])
    weights = np.concatenate([np.full(hi - lo + 1, w) for lo, hi, w in _AGE_BANDS])
    return ages[_categorical(rng, weights, n)].astype(np.int64)


def _draw_propensities(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pareto activity (tail index 2) and popularity (tail index 4/3), correlated.

    Half the users share one uniform for both (busy users are popular), the rest draw
    popularity independently: a mixture copula. Powers use only square roots, which
    are exact in IEEE arithmetic: v^(-1/2) and v^(-3/4) = 1 / (√v · √√v).
    """
    u_activity = 1.0 - rng.random(n)  # in (0, 1]
    u_other = 1.0 - rng.random(n)
    shared = rng.integers(0, 2, n).astype(bool)
    u_popularity = np.where(shared, u_activity, u_other)
    activity = 1.0 / np.sqrt(u_activity)
    root = np.sqrt(u_popularity)
    popularity = 1.0 / (root * np.sqrt(root))
    return activity, popularity


# --------------------------------------------------------------------------------
# Interactions
# --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Edges:
    source: np.ndarray  # user numbers
    target: np.ndarray
    kind: np.ndarray  # index into INTERACTION_TYPES
    offset: np.ndarray  # seconds from start


def _draw_interactions(
    rng: np.random.Generator,
    population: _Population,
    m: int,
    mixing: float,
    profile: _TimeProfile,
) -> _Edges:
    # A user who joins late can only act (and be acted upon) for the rest of the
    # period: scale both propensities by the share of the period's intensity left.
    joined = np.clip(population.signup, 0, None)
    exposure = (profile.total - profile.mass_before(joined)) / profile.total

    source = _draw_proportional(rng, population.activity * exposure, m)
    target = _draw_targets(
        rng, source, population.community, population.popularity * exposure, mixing
    )

    across = population.community[source] != population.community[target]
    draw = rng.integers(0, 100, m)
    kind = np.where(
        across,
        np.searchsorted(np.cumsum(_TYPE_MIX_ACROSS), draw, side="right"),
        np.searchsorted(np.cumsum(_TYPE_MIX_WITHIN), draw, side="right"),
    )
    # Both endpoints must exist when they interact.
    not_before = np.maximum(np.maximum(joined[source], joined[target]), 0)
    offset = profile.sample(rng, not_before)

    order = np.lexsort((kind, target, source, offset))
    return _Edges(
        source=source[order], target=target[order], kind=kind[order], offset=offset[order]
    )


def _draw_proportional(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    cumulative = np.cumsum(weights)
    picks = np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")
    return np.minimum(picks, len(weights) - 1)


def _draw_targets(
    rng: np.random.Generator,
    source: np.ndarray,
    community: np.ndarray,
    weights: np.ndarray,
    mixing: float,
) -> np.ndarray:
    """Targets ∝ ``weights``: in the source's community, or anywhere w.p. ``mixing``.

    Users are laid out community by community so one cumulative sum and one
    ``searchsorted`` serve both the global and every per-community draw.
    """
    n = len(community)
    k = int(community.max()) + 1
    by_community = np.argsort(community, kind="stable")
    first = np.searchsorted(community[by_community], np.arange(k), side="left")
    stop = np.searchsorted(community[by_community], np.arange(k), side="right")
    cumulative = np.cumsum(weights[by_community])
    base = np.where(first > 0, cumulative[np.maximum(first - 1, 0)], 0.0)
    span = cumulative[stop - 1] - base
    anywhere = rng.random(len(source)) < mixing

    def draw(rows: np.ndarray) -> np.ndarray:
        c = community[source[rows]]
        wide = anywhere[rows]
        u = rng.random(len(rows))
        point = np.where(wide, u * cumulative[-1], base[c] + u * span[c])
        slot = np.searchsorted(cumulative, point, side="right")
        slot = np.where(wide, np.minimum(slot, n - 1), np.clip(slot, first[c], stop[c] - 1))
        return by_community[slot]

    target = draw(np.arange(len(source)))
    loops = np.flatnonzero(target == source)
    for _ in range(_SELF_LOOP_REDRAWS):
        if loops.size == 0:
            break
        target[loops] = draw(loops)
        loops = loops[target[loops] == source[loops]]
    if loops.size:
        slot_of = np.empty(n, dtype=np.int64)
        slot_of[by_community] = np.arange(n)
        c = community[source[loops]]
        size = stop[c] - first[c]
        target[loops] = by_community[first[c] + (slot_of[source[loops]] - first[c] + 1) % size]
    return target


# --------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventParams:
    """The parameters a :class:`SimulatedEvents` was drawn with."""

    seed: int
    sessions_per_user_day: float
    n_anomalies: int
    aha_connections: int = 3
    aha_days: int = 7


@dataclass(frozen=True, eq=False)
class SimulatedEvents:
    """Activity events of a simulated network and the truth planted in them.

    Attributes
    ----------
    events : DataFrame
        Columns :data:`EVENT_COLUMNS`, sorted by ``at``, ``session_id``, event kind.
        Compact dtypes so ten million rows fit in about half a gigabyte:
        ``user_id`` and ``event`` are categoricals, ``at`` an Arrow-backed string
        (ISO-8601 UTC), ``value`` (seconds: the session length on ``session``
        rows, 0 on the others) and ``session_id`` (chronological) are int64.
    anomalies : DataFrame
        Ground truth, not written to files (``graphkit simulate`` saves it as
        ``truth/anomalies.csv``): one row per anomalous day with ``start`` and ``end``
        (ISO-8601 UTC), ``kind`` ("outage" at 50% of normal volume or less, "dip",
        "spike"), ``factor``, the day's expected session volume relative to a normal
        day of the same weekday, ``change`` = factor − 1, and ``dau_factor``, the
        expected number of active users that day relative to the same day without the
        anomaly (closer to 1 than ``factor``: busy users stay active on a bad day).
    retention : DataFrame
        Ground truth of the planted "aha moment", not written to files: one row per
        user with ``early_connections`` (distinct users interacted with, either
        direction, in the first ``aha_days`` UTC calendar days from the signup day),
        ``reached`` (``early_connections >= aha_connections``; False for users who
        signed up before the period, whose first days are not simulated) and
        ``churn_at`` (ISO-8601 UTC start of the first day without activity, empty
        when the user stays active to the end of the period).
    params : EventParams
        The parameters used.
    """

    events: pd.DataFrame
    anomalies: pd.DataFrame
    params: EventParams
    retention: pd.DataFrame = field(default_factory=pd.DataFrame)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The dataset tables by file stem, in the order they are written."""
        return {"events": self.events}


def simulate_events(
    sim: SimulatedNetwork,
    *,
    seed: int | None = None,
    sessions_per_user_day: float = 0.5,
    n_anomalies: int = 3,
    aha_connections: int = 3,
    aha_days: int = 7,
) -> SimulatedEvents:
    """Simulate app sessions and in-session events for the users of ``sim``.

    Sessions follow the network's diurnal, weekly and growth profile, start after
    the user's signup, and come more often from well-connected users (rate
    ∝ √(1 + degree), degree counted in ``sim.interactions``). Each session has a
    heavy-tailed length and about one view, like, click or message per
    minute. Sessions have a weekly cycle (weekends busiest; Saturday about 40% above
    Monday). On ``n_anomalies`` days the volume is multiplied by a known factor drawn
    from 0.40, 0.55, 0.70, 0.75, 0.85, 1.15, 1.25, 1.30, 1.50, 2.00 and 2.50 (outages,
    dips and spikes, small ones included); they fall after the first four weeks when the
    period has at least eight (else after the first week), so a detector has history.
    The returned ``anomalies`` frame is the truth to detect.

    Retention has a planted threshold (an "aha moment" to recover): a user who
    signs up during the period and connects with at least ``aha_connections``
    distinct users in the first ``aha_days`` calendar days (signup day = day 0)
    churns 1% a day afterwards; everybody else who signs up during the period
    churns 8% a day. Churn happens at the start of a day (day ``aha_days`` at the
    earliest); a churned user has no more sessions. Users who signed up before
    the period never churn. The returned ``retention`` frame is the truth.

    Parameters
    ----------
    sim : SimulatedNetwork
        The network whose users, signups and interactions drive the activity.
    seed : int, optional
        Seed of the event stream; defaults to ``sim.params.seed``.
    sessions_per_user_day : float
        Mean sessions per signed-up, not yet churned user per day (before
        anomalies), ≥ 0.
    n_anomalies : int
        Number of anomalous days, at most the number of eligible days (after the first
        four weeks in periods of eight weeks or more, after the first week in periods of
        two weeks or more, else all days).
    aha_connections : int
        The planted threshold k (≥ 0; 0 means every user reaches it).
    aha_days : int
        The planted window D in days (≥ 1).

    Returns
    -------
    SimulatedEvents
        ``events``, ``anomalies``, ``retention`` and ``params``.

    Raises
    ------
    ConfigError
        If a parameter is out of range.

    Example
    -------
    >>> sim = simulate_network(100, seed=2, days=28)
    >>> ev = simulate_events(sim, n_anomalies=1)
    >>> list(ev.events.columns)
    ['user_id', 'at', 'event', 'value', 'session_id']
    >>> bool(ev.anomalies["kind"].isin(["outage", "dip", "spike"]).all())
    True
    >>> list(ev.retention.columns)
    ['user_id', 'early_connections', 'reached', 'churn_at']
    """
    network = sim.params
    params = EventParams(
        seed=network.seed if seed is None else _require_int("seed", seed, minimum=0),
        sessions_per_user_day=_require_real(
            "sessions_per_user_day", sessions_per_user_day, low=0.0, high=None
        ),
        n_anomalies=_require_int("n_anomalies", n_anomalies, minimum=0),
        aha_connections=_require_int("aha_connections", aha_connections, minimum=0),
        aha_days=_require_int("aha_days", aha_days, minimum=1, maximum=_MAX_DAYS),
    )
    eligible = _anomaly_days(network.days)
    if params.n_anomalies > len(eligible):
        raise ConfigError(
            f"n_anomalies={params.n_anomalies} is more than the {len(eligible)} eligible days",
            hint="lower n_anomalies or simulate more days",
        )
    rng = np.random.default_rng([params.seed, _STREAM_EVENTS])
    start_s = _parse_start(network.start)
    ids = sim.users["user_id"].to_numpy()
    signup = _epoch_seconds(sim.users["signup_at"]) - start_s
    degree = _degrees(ids, sim.interactions)

    days, percents = _draw_anomalies(rng, eligible, params.n_anomalies)
    percent = _session_weekday_percent(start_s, network.days)
    percent[days] = percent[days] * percents // 100
    profile = _TimeProfile.build(start_s, network.days).scaled(np.repeat(percent, 24))

    early = _early_connections(ids, sim.interactions, signup + start_s, params.aha_days)
    in_period = signup >= 0
    reached = in_period & (early >= params.aha_connections)
    churn = _draw_churn(rng, signup + start_s, in_period, reached, params.aha_days)
    churn = np.minimum(churn - start_s, profile.seconds)  # offsets, capped at the end

    joined = np.clip(signup, 0, None)
    # Share of a normal period each user is around (signed up, not churned) for.
    normal = _TimeProfile.build(start_s, network.days).scaled(
        np.repeat(_session_weekday_percent(start_s, network.days), 24)
    )
    alive_until = np.maximum(churn, joined)
    exposure = (normal.mass_before(alive_until) - normal.mass_before(joined)) / normal.total
    # A sequential sum (cumsum), not pairwise: the same bits on every platform.
    alive_days = network.days * float(np.cumsum(exposure)[-1])
    n_sessions = round(params.sessions_per_user_day * alive_days)
    weight = np.sqrt(1.0 + degree) * exposure
    sessions = _draw_sessions(rng, profile, joined, alive_until, weight, n_sessions)
    events = _expand_sessions(rng, sessions, profile.seconds)
    dau_factor = _expected_dau_factors(
        profile, joined, alive_until, weight, n_sessions, days, percents
    )
    anomalies = pd.DataFrame(
        {
            "start": _iso(start_s + days * _SECONDS_PER_DAY),
            "end": _iso(start_s + (days + 1) * _SECONDS_PER_DAY),
            "kind": _anomaly_kinds(percents),
            "factor": percents.astype(np.float64) / 100,
            "change": (percents - 100).astype(np.float64) / 100,
            "dau_factor": dau_factor,
        }
    )
    retention = pd.DataFrame(
        {
            "user_id": ids,
            "early_connections": early,
            "reached": reached,
            "churn_at": np.where(churn < profile.seconds, _iso(start_s + churn), ""),
        }
    )
    return SimulatedEvents(
        events=_events_frame(ids, events, start_s),
        anomalies=anomalies,
        params=params,
        retention=retention,
    )


# Planted churn, per mille a day after the aha window: below vs at/above the threshold.
_CHURN_PER_MILLE_BELOW = 80
_CHURN_PER_MILLE_REACHED = 10


def _early_connections(
    ids: np.ndarray, interactions: pd.DataFrame, signup_s: np.ndarray, days: int
) -> np.ndarray:
    """Distinct partners (either direction, self excluded) per user, counted over the
    interactions in the first ``days`` UTC calendar days from the signup day."""
    index = pd.Index(ids)
    source = index.get_indexer(interactions["source_id"])
    target = index.get_indexer(interactions["target_id"])
    at = _epoch_seconds(interactions["at"])
    window_start = signup_s // _SECONDS_PER_DAY * _SECONDS_PER_DAY
    window_end = window_start + days * _SECONDS_PER_DAY
    user = np.concatenate([source, target])
    partner = np.concatenate([target, source])
    when = np.concatenate([at, at])
    keep = (user != partner) & (when >= window_start[user]) & (when < window_end[user])
    pairs = np.unique(user[keep] * len(ids) + partner[keep])
    return np.bincount(pairs // len(ids), minlength=len(ids)).astype(np.int64)


def _draw_churn(
    rng: np.random.Generator,
    signup_s: np.ndarray,
    in_period: np.ndarray,
    reached: np.ndarray,
    aha_days: int,
) -> np.ndarray:
    """Epoch second at which each user stops being active (far future: never).

    Churn falls at the start of a UTC day, ``aha_days + extra`` days after the signup
    day, with ``extra`` geometric (daily churn per mille by group). The geometric
    weights are built by integer multiplication, so the draw is exact.
    """
    horizon = _MAX_DAYS
    extra = np.zeros(len(signup_s), dtype=np.int64)
    for per_mille, members in (
        (_CHURN_PER_MILLE_BELOW, in_period & ~reached),
        (_CHURN_PER_MILLE_REACHED, in_period & reached),
    ):
        weights = _geometric_weights(per_mille)
        extra[members] = _categorical(rng, weights, int(members.sum()))
    signup_day = signup_s // _SECONDS_PER_DAY * _SECONDS_PER_DAY
    churn = signup_day + (aha_days + extra) * _SECONDS_PER_DAY
    never = np.iinfo(np.int64).max // 2
    # The last weight is the geometric tail beyond the table: those users never churn.
    return np.where(in_period & (extra < horizon), churn, never)


@functools.cache
def _geometric_weights(per_mille: int) -> np.ndarray:
    """Integer weights of 0, 1, 2, ... extra days (daily churn ``per_mille``), with the
    tail beyond ``_MAX_DAYS`` days lumped into the last entry."""
    weights = np.zeros(_MAX_DAYS + 1, dtype=np.int64)
    weight = 10**15
    for day in range(_MAX_DAYS):
        weights[day] = weight * per_mille // 1000
        weight -= weights[day]
        if weight == 0:
            break
    weights[_MAX_DAYS] = weight
    weights.flags.writeable = False
    return weights


def _anomaly_days(days: int) -> np.ndarray:
    first = 0
    for baseline in (_ANOMALY_BASELINE_DAYS, _ANOMALY_SHORT_BASELINE_DAYS):
        if days >= 2 * baseline:
            first = baseline
            break
    return np.arange(first, days, dtype=np.int64)


def _draw_anomalies(
    rng: np.random.Generator, eligible: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct anomalous days (sorted) and the volume of each in percent of normal."""
    days = np.sort(rng.permutation(eligible)[:n])
    choice = rng.integers(0, len(_ANOMALY_PERCENTS), n)
    return days, np.asarray(_ANOMALY_PERCENTS, dtype=np.int64)[choice]


def _expected_dau_factors(
    profile: _TimeProfile,
    joined: np.ndarray,
    alive_until: np.ndarray,
    weight: np.ndarray,
    n_sessions: int,
    days: np.ndarray,
    percents: np.ndarray,
) -> np.ndarray:
    """Expected active users on each anomalous day relative to the same day without it.

    A session belongs to user u with probability p_u = w_u / Σw and falls on day d with
    probability q_ud = (u's profile mass on day d) / (u's whole mass), so u is active on
    day d with probability 1 − (1 − p_u·q_ud)^n. The ratio of the sums over users with
    and without the day's factor is the planted change of DAU (smaller than the change of
    volume: busy users stay active on a bad day). Truth only, so no draw depends on it.
    """
    factors = np.ones(len(days), dtype=np.float64)
    total = float(weight.sum())
    if n_sessions == 0 or total <= 0:
        return factors
    share = weight / total
    whole = (profile.mass_before(alive_until) - profile.mass_before(joined)).astype(np.float64)
    has_time = whole > 0
    for position, (day, percent) in enumerate(zip(days, percents, strict=True)):
        start = np.clip(day * _SECONDS_PER_DAY, joined, alive_until)
        stop = np.clip((day + 1) * _SECONDS_PER_DAY, joined, alive_until)
        on_day = (profile.mass_before(stop) - profile.mass_before(start)).astype(np.float64)
        normal_day = on_day * 100.0 / float(percent)
        with np.errstate(divide="ignore", invalid="ignore"):
            planted = np.where(has_time, on_day / whole, 0.0)
            normal = np.where(has_time, normal_day / (whole - on_day + normal_day), 0.0)
        active_planted = -np.expm1(n_sessions * np.log1p(-share * planted)).sum()
        active_normal = -np.expm1(n_sessions * np.log1p(-share * normal)).sum()
        if active_normal > 0:
            factors[position] = round(float(active_planted / active_normal), 4)
    return factors


def _anomaly_kinds(percents: np.ndarray) -> np.ndarray:
    outage = percents <= _OUTAGE_BELOW_PERCENT
    return np.where(percents > 100, "spike", np.where(outage, "outage", "dip")).astype(object)


def _session_weekday_percent(start_s: int, days: int) -> np.ndarray:
    """The sessions' own weekly factor (percent) of each simulated day."""
    weekday = (start_s // _SECONDS_PER_DAY + np.arange(days, dtype=np.int64) + 3) % 7
    return np.asarray(_SESSION_WEEKDAY, dtype=np.int64)[weekday]


def _epoch_seconds(stamps: pd.Series) -> np.ndarray:
    parsed = pd.to_datetime(stamps, utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    return parsed.dt.tz_convert(None).to_numpy(dtype="datetime64[s]").astype(np.int64)


def _degrees(ids: np.ndarray, interactions: pd.DataFrame) -> np.ndarray:
    """Interactions per user (as source plus as target), in user order."""
    index = pd.Index(ids)
    ends = np.concatenate(
        [
            index.get_indexer(interactions["source_id"]),
            index.get_indexer(interactions["target_id"]),
        ]
    )
    return np.bincount(ends[ends >= 0], minlength=len(ids)).astype(np.float64)


@dataclass(frozen=True)
class _Sessions:
    user: np.ndarray
    offset: np.ndarray  # seconds from start
    length: np.ndarray  # seconds


def _draw_sessions(
    rng: np.random.Generator,
    profile: _TimeProfile,
    joined: np.ndarray,
    alive_until: np.ndarray,
    weight: np.ndarray,
    n: int,
) -> _Sessions:
    """Sessions in chronological order (ties by user): session ids are positions.

    A user's sessions start in ``[joined, alive_until)``; users with an empty span
    have zero ``weight`` and are never drawn.
    """
    user = _draw_proportional(rng, weight, n)
    target = rng.integers(
        profile.mass_before(joined[user]), profile.mass_before(alive_until[user]), dtype=np.int64
    )
    hour = np.searchsorted(profile.mass, target, side="right") - 1
    offset = hour * _SECONDS_PER_HOUR + (target - profile.mass[hour]) // profile.rate[hour]
    tail = 1.0 / np.sqrt(1.0 - rng.random(n)) - 1.0  # Pareto(2) − 1, exact
    length = _SESSION_MIN_S + np.floor(_SESSION_SCALE_S * tail).astype(np.int64)
    length = np.minimum(length, _SESSION_MAX_S)
    order = np.lexsort((user, offset))
    return _Sessions(user=user[order], offset=offset[order], length=length[order])


def _sort_order(
    offset: np.ndarray, session: np.ndarray, kind: np.ndarray, seconds: int, n_sessions: int
) -> np.ndarray:
    """Order by (offset, session, kind): one int64 key when it fits, else lexsort."""
    n_kinds = len(EVENT_TYPES)
    if seconds * max(n_sessions, 1) * n_kinds < 2**62:
        key = (offset * n_sessions + session) * n_kinds + kind
        return np.argsort(key, kind="stable")
    return np.lexsort((kind, session, offset))


@dataclass(frozen=True)
class _EventRows:
    user: np.ndarray
    offset: np.ndarray
    kind: np.ndarray  # index into EVENT_TYPES
    value: np.ndarray
    session: np.ndarray


def _expand_sessions(rng: np.random.Generator, sessions: _Sessions, seconds: int) -> _EventRows:
    """One ``session`` row per session plus its in-session events, sorted."""
    n = len(sessions.user)
    count = rng.integers(0, 2 + sessions.length // _SECONDS_PER_IN_SESSION_EVENT)
    parent = np.repeat(np.arange(n, dtype=np.int64), count)
    # Uniform second within the session: floor(u·(length + 1)) is exact IEEE
    # arithmetic and much faster than integers() with per-row bounds.
    span = sessions.length[parent]
    within = np.minimum(np.floor(rng.random(len(parent)) * (span + 1)).astype(np.int64), span)
    # A session running past the end of the period is cut there.
    inner_offset = np.minimum(sessions.offset[parent] + within, seconds - 1)
    del span, within
    inner_kind = _categorical(rng, _IN_SESSION_MIX, len(parent))

    session = np.concatenate([np.arange(n, dtype=np.int64), parent])
    del parent
    offset = np.concatenate([sessions.offset, inner_offset])
    del inner_offset
    kind = np.concatenate([np.zeros(n, dtype=np.int64), inner_kind])
    value = np.concatenate([sessions.length, np.zeros(len(inner_kind), dtype=np.int64)])
    order = _sort_order(offset, session, kind, seconds, n)
    return _EventRows(
        user=sessions.user[session[order]],
        offset=offset[order],
        kind=kind[order],
        value=value[order],
        session=session[order],
    )


# --------------------------------------------------------------------------------
# Frames and files
# --------------------------------------------------------------------------------


def _user_ids(n: int) -> np.ndarray:
    """``u000000``-style ids, at least six digits, wider when ``n`` needs it."""
    width = max(6, len(str(n - 1)))
    numbers = np.arange(n, dtype=np.int64)
    return (
        _digits(b"u" + b"0" * width, ((1, numbers, width),)).astype(f"U{width + 1}").astype(object)
    )


def _iso_bytes(epoch_seconds: np.ndarray) -> np.ndarray:
    """ISO-8601 UTC stamps (``2026-01-03T14:22:05Z``) as fixed-width ``S20`` bytes.

    Integer arithmetic and two table look-ups: the date part from a table of the
    (few) days spanned, the clock part from a table of the 86 400 seconds of a day.
    Much faster than ``numpy.datetime_as_string`` and no per-row Python.
    """
    seconds = np.asarray(epoch_seconds, dtype=np.int64)
    out = np.empty(len(seconds), dtype=[("date", "S10"), ("clock", "S10")])
    if len(seconds):
        days, second_of_day = np.divmod(seconds, _SECONDS_PER_DAY)
        first = int(days.min())
        out["date"] = _civil_dates(np.arange(first, int(days.max()) + 1))[days - first]
        out["clock"] = _clock_table()[second_of_day]
    return out.view("S20")


def _civil_dates(days: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` (``S10``) for days since 1970-01-01, years 0000-9999.

    H. Hinnant's ``civil_from_days`` ("chrono-Compatible Low-Level Date
    Algorithms"), vectorised; integer arithmetic only.
    """
    z = days.astype(np.int64) + 719_468
    era = z // 146_097
    day_of_era = z - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153  # March = 0
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = np.where(shifted_month < 10, shifted_month + 3, shifted_month - 9)
    year = year_of_era + era * 400 + (month <= 2)
    return _digits(b"0000-00-00", ((0, year, 4), (5, month, 2), (8, day, 2)))


@functools.cache
def _clock_table() -> np.ndarray:
    """``Thh:mm:ssZ`` (``S10``) for every second of a day, indexed by second."""
    hour, rest = np.divmod(np.arange(_SECONDS_PER_DAY, dtype=np.int64), _SECONDS_PER_HOUR)
    minute, second = np.divmod(rest, 60)
    table = _digits(b"T00:00:00Z", ((1, hour, 2), (4, minute, 2), (7, second, 2)))
    table.flags.writeable = False
    return table


def _digits(template: bytes, fields: tuple[tuple[int, np.ndarray, int], ...]) -> np.ndarray:
    """Copies of ``template`` with each (column, values, width) written as digits."""
    n = len(fields[0][1])
    out = np.empty((n, len(template)), dtype=np.uint8)
    out[:] = np.frombuffer(template, dtype=np.uint8)
    for column, values, width in fields:
        for place in range(width):
            out[:, column + width - 1 - place] = ord("0") + values // 10**place % 10
    return out.view(f"S{len(template)}").ravel()


def _iso(epoch_seconds: np.ndarray) -> np.ndarray:
    """ISO-8601 UTC strings at second resolution as a Python-``str`` object array."""
    return _iso_bytes(epoch_seconds).astype("U20").astype(object)


def _iso_arrow(epoch_seconds: np.ndarray) -> pd.Series:
    """ISO-8601 UTC strings as an Arrow-backed string Series: ~24 bytes a row."""
    import pyarrow as pa

    data = np.ascontiguousarray(_iso_bytes(epoch_seconds))
    offsets = np.arange(
        0, 20 * len(data) + 1, 20, dtype=np.int32 if len(data) < 10**8 else np.int64
    )
    kind = pa.string() if offsets.dtype == np.int32 else pa.large_string()
    array = pa.Array.from_buffers(
        kind, len(data), [None, pa.py_buffer(offsets), pa.py_buffer(data.view(np.uint8))]
    )
    return pd.Series(pd.arrays.ArrowStringArray(array))


def _iso_one(epoch_seconds: int) -> str:
    return str(_iso(np.asarray([epoch_seconds]))[0])


def _lookup(names: object, index: np.ndarray) -> np.ndarray:
    return np.asarray(names, dtype=object)[index]


def _users_frame(ids: np.ndarray, population: _Population, start_s: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ids,
            "signup_at": _iso(start_s + population.signup),
            "country": _lookup([name for name, *_ in _COUNTRIES], population.country),
            "os": _lookup(_OS_NAMES, population.os),
            "age": population.age.astype(np.int64),
            "source": _lookup([name for name, *_ in _SOURCES], population.source),
            "true_community": population.community.astype(np.int64),
        },
        columns=list(USER_COLUMNS),
    )


def _interactions_frame(ids: np.ndarray, edges: _Edges, start_s: int) -> pd.DataFrame:
    weights = np.asarray([TYPE_WEIGHTS[name] for name in INTERACTION_TYPES], dtype=np.float64)
    return pd.DataFrame(
        {
            "source_id": ids[edges.source],
            "target_id": ids[edges.target],
            "type": _lookup(INTERACTION_TYPES, edges.kind),
            "at": _iso(start_s + edges.offset),
            "weight": weights[edges.kind],
        },
        columns=list(INTERACTION_COLUMNS),
    )


def _events_frame(ids: np.ndarray, rows: _EventRows, start_s: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": pd.Categorical.from_codes(
                rows.user.astype(np.int32), categories=pd.Index(ids, dtype=object)
            ),
            "at": _iso_arrow(start_s + rows.offset),
            "event": pd.Categorical.from_codes(
                rows.kind.astype(np.int8), categories=pd.Index(EVENT_TYPES)
            ),
            "value": rows.value.astype(np.int64),
            "session_id": rows.session.astype(np.int64),
        },
        columns=list(EVENT_COLUMNS),
    )


def _write_atomically(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    replace_atomically({path: lambda target: _write_table(frame, target, fmt)})


def _write_table(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        frame.to_parquet(path, index=False, engine="pyarrow")
        return
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    # Arrow's writer is an order of magnitude faster than pandas' and, unquoted,
    # writes the very bytes pandas would. It refuses values that need quoting
    # (commas, quotes, line breaks): those frames go through pandas instead.
    try:
        table = pa.Table.from_pandas(_floats_as_text(frame), preserve_index=False)
        with open(path, "wb") as handle:
            pa_csv.write_csv(
                table,
                handle,
                write_options=pa_csv.WriteOptions(quoting_style="none", quoting_header="none"),
            )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        with open(path, "w", encoding="utf-8", newline="") as handle:
            frame.to_csv(handle, index=False, lineterminator="\n", float_format=_CSV_FLOAT_FORMAT)


def _floats_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns formatted with ``_CSV_FLOAT_FORMAT`` (NaN as empty), as pandas does.

    Each distinct value is formatted once, so this stays vectorised for the few
    distinct weights of an interactions table.
    """
    floats = [name for name in frame.columns if pd.api.types.is_float_dtype(frame[name].dtype)]
    if not floats:
        return frame
    frame = frame.copy(deep=False)
    for name in floats:
        distinct, position = np.unique(frame[name].to_numpy(), return_inverse=True)
        text = ["" if math.isnan(value) else _CSV_FLOAT_FORMAT % value for value in distinct]
        frame[name] = np.asarray(text, dtype=object)[position.reshape(-1)]
    return frame


# --------------------------------------------------------------------------------
# Network experiments: a direct effect plus spillover from treated neighbours
# --------------------------------------------------------------------------------

SPILLOVER_DESIGNS = ("user", "cluster")
SPILLOVER_TRUTH_FILE = "network_effects.csv"
"""Written under ``truth/`` by ``graphkit simulate --spillover``."""
_STREAM_SPILLOVER = 5  # streams 1-3: this module; 4: experiments.simulation


def spillover_outcomes(
    baseline: np.ndarray,
    treated: np.ndarray,
    share_treated: np.ndarray,
    *,
    direct: float,
    spillover: float,
) -> np.ndarray:
    """Expected outcome of every user: ``baseline · (1 + direct·z + spillover·share)``.

    ``share`` is the share of the user's neighbours who are treated (0 without
    neighbours). Under "everyone treated" the lift is ``direct + spillover``; under
    "nobody treated" it is 0; a user-level comparison sees mostly ``direct``.

    Examples
    --------
    >>> y = spillover_outcomes(np.array([10.0, 10.0]), np.array([True, False]),
    ...                        np.array([0.5, 1.0]), direct=0.1, spillover=0.2)
    >>> np.round(y, 6).tolist()
    [12.0, 12.0]
    """
    z = np.asarray(treated, dtype=float)
    return np.asarray(baseline, dtype=float) * (1.0 + direct * z + spillover * share_treated)


def share_of_treated_neighbours(matrix: object, treated: np.ndarray) -> np.ndarray:
    """``(A @ z) / degree`` for a sparse adjacency ``A`` (0 for users without neighbours)."""
    import scipy.sparse as sp

    assert isinstance(matrix, sp.csr_matrix)
    degree = np.diff(matrix.indptr)
    count = np.asarray(matrix @ np.asarray(treated, dtype=np.int64)).ravel()
    return np.divide(count, degree, out=np.zeros(count.size), where=degree > 0)


@dataclass(frozen=True, eq=False)
class SimulatedSpillover:
    """A simulated experiment with spillover: assignments, events and the truth.

    ``truth`` has one row per quantity (``total``: everyone treated vs nobody;
    ``direct``: own treatment with no treated neighbour; ``spillover``: all neighbours
    treated vs none, own arm control), in sessions per user over the post window and
    relative to the no-treatment mean.
    """

    assignments: pd.DataFrame
    events: pd.DataFrame
    truth: pd.DataFrame
    per_user: pd.DataFrame
    design: str
    plan: Any
    """The :class:`~graphkit.experiments.network.design.NetworkDesign` behind the split."""

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"assignments": self.assignments, "events": self.events}


def simulate_spillover(
    sim: SimulatedNetwork,
    *,
    experiment: str,
    design: str = "user",
    direct: float = 0.05,
    spillover: float = 0.05,
    seed: int | None = None,
    salt: str = "",
    pre_days: float = 14.0,
    post_days: float = 14.0,
    sessions_per_user_day: float = 0.5,
) -> SimulatedSpillover:
    """Simulate an experiment whose effect spills over to the treated users' friends.

    Users who signed up before the experiment starts (``post_days`` before the network
    period ends) are enrolled and split by user (salted hash) or by Louvain cluster of
    the interaction graph before the start (``ab design --unit cluster``). Session counts
    in ``[start − pre_days, start)`` are Poisson with a per-user rate ``r_i`` (growing with
    degree, Gamma frailty); in ``[start, start + post_days)`` with rate
    :func:`spillover_outcomes` ``(r_i, z_i, share_i)``. Sessions last an exponential 300 s.

    Examples
    --------
    >>> net = simulate_network(200, seed=1)
    >>> out = simulate_spillover(net, experiment="x", spillover=0.2)
    >>> float(out.truth.set_index("quantity").loc["total", "relative"])
    0.25
    """
    from graphkit.experiments.network.design import DesignSettings, design_experiment
    from graphkit.experiments.network.exposure import adjacency
    from graphkit.graph.pull import build_graph

    if design not in SPILLOVER_DESIGNS:
        raise ConfigError(f"design {design!r} is unknown", hint="use user or cluster")
    for name, value in (("direct", direct), ("spillover", spillover)):
        if not math.isfinite(value) or value <= -1:
            raise ConfigError(f"{name} must be a number above -1, got {value}")
    seed = sim.params.seed if seed is None else int(seed)
    start_s = _parse_start(sim.params.start) + sim.params.days * _SECONDS_PER_DAY
    start_s -= round(post_days * _SECONDS_PER_DAY)
    signup = pd.to_datetime(sim.users["signup_at"], utc=True)
    signup_s = pd.DatetimeIndex(signup).as_unit("s").asi8
    enrolled = sim.users["user_id"].to_numpy(dtype=object)[signup_s < start_s]
    if enrolled.size < 2:
        raise ConfigError("fewer than two users sign up before the experiment starts")
    users = sorted(str(u) for u in enrolled)
    at_s = pd.DatetimeIndex(pd.to_datetime(sim.interactions["at"], utc=True)).as_unit("s").asi8
    before = sim.interactions[at_s < start_s]
    pairs = pd.DataFrame({"source": before["source_id"], "target": before["target_id"]})
    matrix = adjacency(users, pairs, direction="both")
    undirected = pairs[(pairs.source != pairs.target)].drop_duplicates()
    undirected = undirected[undirected.source.isin(users) & undirected.target.isin(users)]
    graph = build_graph(
        users,
        undirected.assign(interactions=1, weight=1.0),
        directed=False,
    )
    settings = DesignSettings(
        experiment, unit="user" if design == "user" else "cluster", salt=salt, seed=seed
    )
    planned = design_experiment(graph, settings)
    treated = (planned.assignments["variant"] == settings.variants[-1]).to_numpy()
    share = share_of_treated_neighbours(matrix, treated)
    degree = np.diff(matrix.indptr)

    rng = np.random.default_rng([seed, _STREAM_SPILLOVER])
    connectivity = np.sqrt(1.0 + degree)
    frailty = rng.gamma(2.0, 0.5, len(users))
    rate = sessions_per_user_day * connectivity / connectivity.mean() * frailty
    baseline = rate * post_days
    expected = spillover_outcomes(baseline, treated, share, direct=direct, spillover=spillover)
    pre_counts = rng.poisson(rate * pre_days)
    post_counts = rng.poisson(expected)
    ids = np.asarray(users, dtype=object)
    pre_user = np.repeat(np.arange(len(users)), pre_counts)
    post_user = np.repeat(np.arange(len(users)), post_counts)
    pre_at = start_s - np.floor(rng.random(pre_user.size) * pre_days * _SECONDS_PER_DAY)
    post_at = start_s + np.floor(rng.random(post_user.size) * post_days * _SECONDS_PER_DAY)
    user_index = np.concatenate([pre_user, post_user])
    at = np.concatenate([pre_at, post_at]).astype(np.int64)
    order = np.lexsort((user_index, at))
    events = pd.DataFrame(
        {
            "user_id": ids[user_index[order]],
            "at": pd.to_datetime(at[order], unit="s", utc=True),
            "event": "session",
            "value": rng.exponential(300.0, order.size),
            "session_id": [f"s{i}" for i in range(order.size)],
        }
    )
    assignments = pd.DataFrame(
        {
            "experiment": experiment,
            "user_id": ids,
            "variant": planned.assignments["variant"].to_numpy(),
            "assigned_at": pd.to_datetime(np.full(len(users), start_s), unit="s", utc=True),
        }
    )
    mean_baseline = float(baseline.mean())
    truth = pd.DataFrame(
        {
            "experiment": experiment,
            "design": design,
            "metric": "sessions",
            "quantity": ["total", "direct", "spillover"],
            "effect": [
                mean_baseline * (direct + spillover),
                mean_baseline * direct,
                mean_baseline * spillover,
            ],
            "relative": [direct + spillover, direct, spillover],
            "control_mean": mean_baseline,
        }
    )
    per_user = pd.DataFrame(
        {
            "user_id": ids,
            "treated": treated,
            "unit": planned.assignments["unit"].to_numpy(),
            "share_treated": share,
            "baseline": baseline,
            "expected": expected,
        }
    )
    return SimulatedSpillover(assignments, events, truth, per_user, design, planned)
