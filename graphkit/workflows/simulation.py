"""The ``graphkit simulate`` use case: a synthetic dataset folder, with its ground truth.

:func:`simulate` writes ``users`` and ``interactions`` (:func:`graphkit.simulation.
simulate_network`), then general activity (``events``, truth of anomalies and the aha
threshold under ``truth/``), or an experiment (``assignments`` and pre/post ``events``
with known true effects, :mod:`graphkit.experiments.simulation`), or a spillover
experiment on the network (:func:`graphkit.simulation.simulate_spillover`). Every choice
is a :class:`SimulationSettings`, checked once when it is built, before any file is
written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from graphkit.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

SPILLOVER_DESIGNS = ("user", "cluster")
DEFAULT_DIRECT_EFFECT = 0.05
"""The direct sessions lift of a spillover simulation when none is given."""


def parse_effects(specs: Sequence[str]) -> dict[str, float]:
    """``["sessions=0.05", ...]`` → ``{"sessions": 0.05}``.

    Raises
    ------
    ParameterError
        If an item is not ``METRIC=LIFT``.

    Examples
    --------
    >>> parse_effects(["sessions=0.05", "messaged = 0.1"])
    {'sessions': 0.05, 'messaged': 0.1}
    """
    effects = {}
    for spec in specs:
        name, _, value = spec.partition("=")
        try:
            effects[name.strip()] = float(value)
        except ValueError:
            raise ParameterError(
                "effects",
                f"{spec!r} is not METRIC=LIFT",
                hint="e.g. sessions=0.05 (a 5% lift)",
            ) from None
    return effects


@dataclass(frozen=True)
class SimulationSettings:
    """What to simulate; combinations the simulation would ignore are refused here.

    Network: ``users``, ``seed``, ``interactions_per_user``, ``communities`` (None: grows
    with the users), ``mixing``, ``start``, ``days``. Files: ``fmt`` (csv or parquet),
    ``force`` (overwrite). Activity: ``events`` (None: on unless an experiment writes its
    own), ``sessions_per_user_day``, ``anomalies``, ``aha_connections``, ``aha_days``.
    Experiment: ``experiment`` (its name), ``effects`` (true relative lifts by metric),
    ``degree_effect``, ``variants`` (control first), ``weights``, ``salt`` (None:
    ``seed-SEED``), ``pre_days``, ``post_days``, ``enroll_days``. Spillover:
    ``spillover`` (sessions grow by S × the treated share of neighbours), ``design``
    (randomise by user or cluster).

    Examples
    --------
    >>> SimulationSettings(users=100, experiment="feed").writes_events
    False
    >>> SimulationSettings(design="cluster")
    Traceback (most recent call last):
    ...
    graphkit.errors.ParameterError: design applies to a spillover simulation
    """

    users: int = 2_000
    seed: int = 0
    interactions_per_user: float = 10.0
    communities: int | None = None
    mixing: float = 0.1
    start: str = "2026-01-01"
    days: int = 90
    fmt: Literal["csv", "parquet"] = "csv"
    force: bool = False
    events: bool | None = None
    sessions_per_user_day: float = 0.5
    anomalies: int = 3
    aha_connections: int = 3
    aha_days: int = 7
    experiment: str | None = None
    effects: Mapping[str, float] = field(default_factory=dict)
    degree_effect: float = 0.0
    variants: tuple[str, ...] = ("control", "treatment")
    weights: tuple[float, ...] | None = None
    salt: str | None = None
    pre_days: float = 14.0
    post_days: float = 14.0
    enroll_days: float = 7.0
    spillover: float | None = None
    design: str = "user"

    def __post_init__(self) -> None:
        object.__setattr__(self, "effects", dict(self.effects))
        object.__setattr__(self, "variants", tuple(self.variants))
        if self.weights is not None:
            object.__setattr__(self, "weights", tuple(float(w) for w in self.weights))
        if self.fmt not in ("csv", "parquet"):
            raise ParameterError("fmt", f"{self.fmt!r} is unknown", hint="use csv or parquet")
        if self.events and self.experiment is not None:
            raise ParameterError(
                "events",
                "cannot be written with an experiment: both write events.csv",
                hint="simulate the experiment's events or general activity into separate folders",
            )
        if self.spillover is None:
            if self.design != "user":
                raise ParameterError(
                    "design", "applies to a spillover simulation", hint="give a spillover too"
                )
            return
        if self.experiment is None:
            raise ParameterError(
                "experiment", "is needed for a spillover simulation", hint="name the experiment"
            )
        if self.design not in SPILLOVER_DESIGNS:
            raise ParameterError(
                "design", f"{self.design!r} is unknown", hint="use user or cluster"
            )
        if not math.isfinite(self.spillover) or self.spillover <= -1:
            raise ParameterError("spillover", f"must be a number above -1, got {self.spillover}")
        others = sorted(set(self.effects) - {"sessions"})
        if others:
            raise ParameterError(
                "effects",
                f"{', '.join(others)}: a spillover simulation plants a sessions effect only",
                hint="give a sessions effect only",
            )
        if self.variants != ("control", "treatment"):
            raise ParameterError(
                "variants",
                "must be control and treatment: a spillover simulation has two arms",
                hint="leave the variants out",
            )

    @property
    def writes_events(self) -> bool:
        """General activity: on unless asked, or unless an experiment writes its own events."""
        if self.spillover is not None:
            return False
        return self.events if self.events is not None else self.experiment is None


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate` wrote, with the counts and the true effects.

    ``messages`` are the lines ``graphkit simulate`` prints (what was written where).
    """

    out_dir: Path
    files: tuple[Path, ...]
    users: int
    interactions: int
    events: int
    experiment: str | None
    messages: tuple[str, ...]
    truth: pd.DataFrame | None = field(default=None, repr=False)
    """The true effect per treatment and metric, for an experiment (else None)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "files": [str(p) for p in self.files],
            "users": self.users,
            "interactions": self.interactions,
            "events": self.events,
            "experiment": self.experiment,
            "truth": None if self.truth is None else self.truth.to_dict("records"),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per file written."""
        import pandas as pd

        return pd.DataFrame({"file": [str(p) for p in self.files]})


def simulate(
    out_dir: str | Path, settings: SimulationSettings | None = None, **options: Any
) -> SimulationResult:
    """Write a synthetic dataset to ``out_dir`` (``graphkit simulate``).

    Parameters
    ----------
    out_dir : the dataset folder (created if needed)
    settings : what to simulate; or give its fields as keyword ``options``
        (``simulate(folder, users=300, experiment="feed")``).

    Raises
    ------
    ParameterError
        For a bad or ignored option; also when files exist and ``force`` is off (nothing
        is written then).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     result = simulate(tmp, users=50, events=False)
    ...     sorted(p.name for p in result.files)
    ['interactions.csv', 'users.csv']
    >>> result.users
    50
    """
    from graphkit.simulation import simulate_events, simulate_network, write_dataset

    if settings is None:
        settings = SimulationSettings(**options)
    elif options:
        raise ParameterError("options", "cannot be given with settings", hint="give either")
    s = settings
    folder = Path(out_dir)
    sim = simulate_network(
        s.users,
        seed=s.seed,
        interactions_per_user=s.interactions_per_user,
        n_communities=s.communities,
        mixing=s.mixing,
        start=s.start,
        days=s.days,
    )
    files = write_dataset(sim, folder, fmt=s.fmt, force=s.force)
    messages = [
        f"wrote {len(sim.users)} users and {len(sim.interactions)} interactions: "
        + ", ".join(str(p) for p in files)
    ]
    events, truth = 0, None
    if s.spillover is not None:  # a network experiment: its own assignments and events
        from graphkit.workflows.network_experiments import write_spillover_simulation

        assert s.experiment is not None  # checked by the settings
        messages += write_spillover_simulation(
            sim, folder, experiment=s.experiment, design=s.design, spillover=s.spillover,
            direct=s.effects.get("sessions", DEFAULT_DIRECT_EFFECT), seed=s.seed,
            salt=s.salt, pre_days=s.pre_days, post_days=s.post_days, fmt=s.fmt, force=s.force,
        )  # fmt: skip
    if s.writes_events:
        activity = simulate_events(
            sim,
            seed=s.seed,
            sessions_per_user_day=s.sessions_per_user_day,
            n_anomalies=s.anomalies,
            aha_connections=s.aha_connections,
            aha_days=s.aha_days,
        )
        written = write_dataset(activity, folder, fmt=s.fmt, force=s.force)
        truth_dir = folder / "truth"  # load_dataset reads only the top-level tables
        truth_dir.mkdir(exist_ok=True)
        activity.anomalies.to_csv(truth_dir / "anomalies.csv", index=False)
        activity.retention.to_csv(truth_dir / "retention.csv", index=False)
        files += written
        events = len(activity.events)
        messages.append(
            f"wrote {events} events: {', '.join(str(p) for p in written)} "
            f"(ground truth in {truth_dir})"
        )
    if s.experiment is not None and s.spillover is None:
        from graphkit.experiments.simulation import simulate_experiment, write_truth

        result = simulate_experiment(
            sim,
            experiment=s.experiment,
            seed=s.seed,
            variants=s.variants,
            weights=s.weights,
            salt=s.salt,
            effects=s.effects or None,
            degree_effect=s.degree_effect,
            pre_days=s.pre_days,
            post_days=s.post_days,
            enroll_days=s.enroll_days,
        )
        written = write_dataset(result, folder, fmt=s.fmt, force=s.force)  # type: ignore[arg-type]
        files += written
        events, truth = len(result.events), result.truth
        messages.append(f"wrote experiment {s.experiment!r}: " + ", ".join(str(p) for p in written))
        truth_paths = write_truth(result, folder)
        messages.append(
            "true effects (ground truth, saved in "
            + ", ".join(str(p) for p in truth_paths)
            + "):\n"
            + result.truth.to_string(index=False)
        )
    return SimulationResult(
        out_dir=folder,
        files=tuple(files),
        users=len(sim.users),
        interactions=len(sim.interactions),
        events=events,
        experiment=s.experiment,
        messages=tuple(messages),
        truth=truth,
    )
