"""`graphkit simulate` and `graphkit load`."""

import math
from pathlib import Path
from typing import Annotated, Literal

import typer

from graphkit import workflows
from graphkit.cli.common import (
    handles_errors,
    progress_bar,
    split_list,
    stderr,
    uses_store,
)
from graphkit.config import Settings
from graphkit.errors import ConfigError
from graphkit.simulation import simulate_events, simulate_network, write_dataset


@handles_errors
def simulate_command(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the dataset to.")],
    users: Annotated[int, typer.Option("--users", "-u", help="Number of users.")] = 2_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 0,
    interactions_per_user: Annotated[
        float, typer.Option(help="Mean interactions per user.")
    ] = 10.0,
    communities: Annotated[
        int | None,
        typer.Option(help="Planted communities (default grows with the number of users)."),
    ] = None,
    mixing: Annotated[
        float, typer.Option(help="Share of interactions that cross communities.")
    ] = 0.1,
    start: Annotated[str, typer.Option(help="First day of activity (YYYY-MM-DD).")] = "2026-01-01",
    days: Annotated[int, typer.Option(help="Length of the period in days.")] = 90,
    parquet: Annotated[bool, typer.Option("--parquet", help="Write Parquet, not CSV.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    events: Annotated[
        bool | None,
        typer.Option(
            "--events/--no-events",
            rich_help_panel="Activity",
            help="Write events.csv: sessions, views, likes, clicks, messages with weekly "
            "seasonality, a trend, injected anomalies and a planted aha threshold (ground "
            "truth in truth/). Default: on, unless --experiment writes its own events.",
        ),
    ] = None,
    sessions_per_user_day: Annotated[float, typer.Option(rich_help_panel="Activity")] = 0.5,
    anomalies: Annotated[
        int, typer.Option(rich_help_panel="Activity", help="Anomalous days to inject.")
    ] = 3,
    aha_connections: Annotated[
        int,
        typer.Option(
            rich_help_panel="Activity",
            help="Planted aha threshold: users with this many distinct connections in their "
            "first --aha-days days are retained.",
        ),
    ] = 3,
    aha_days: Annotated[int, typer.Option(rich_help_panel="Activity")] = 7,
    experiment: Annotated[
        str | None,
        typer.Option(
            "--experiment",
            metavar="NAME",
            rich_help_panel="Experiment",
            help="Also simulate an experiment: assignments.csv and pre/post events.csv with "
            "known true effects (printed).",
        ),
    ] = None,
    effect: Annotated[
        list[str] | None,
        typer.Option(
            "--effect",
            metavar="METRIC=LIFT",
            rich_help_panel="Experiment",
            help="True relative lift of sessions, time_spent or messaged (repeatable; default "
            "sessions=0.05, time_spent=0.10, messaged=0.10).",
        ),
    ] = None,
    degree_effect: Annotated[
        float,
        typer.Option(
            rich_help_panel="Experiment",
            help="0..1: how much stronger the effect is for high-degree users.",
        ),
    ] = 0.0,
    variants: Annotated[
        str, typer.Option(rich_help_panel="Experiment", help="Arms, control first.")
    ] = "control,treatment",
    weights: Annotated[
        str | None,
        typer.Option(
            rich_help_panel="Experiment", help="Split weights, e.g. 50,50 (default equal)."
        ),
    ] = None,
    salt: Annotated[
        str | None,
        typer.Option(
            rich_help_panel="Experiment",
            help="Assignment hash salt (default seed-SEED: a new seed draws a new split; "
            "give a salt to keep the split across seeds).",
            show_default=False,
        ),
    ] = None,
    pre_days: Annotated[float, typer.Option(rich_help_panel="Experiment")] = 14.0,
    post_days: Annotated[float, typer.Option(rich_help_panel="Experiment")] = 14.0,
    enroll_days: Annotated[float, typer.Option(rich_help_panel="Experiment")] = 7.0,
    spillover: Annotated[
        float | None,
        typer.Option(
            rich_help_panel="Experiment",
            help="Plant a spillover: sessions grow by S × the share of treated neighbours "
            "(direct effect: --effect sessions=L). Truth in truth/network_effects.csv.",
        ),
    ] = None,
    design: Annotated[
        str,
        typer.Option(rich_help_panel="Experiment", help="--spillover: randomize user or cluster."),
    ] = "user",
) -> None:
    """Create a realistic synthetic social network (users.csv, interactions.csv).

    Heavy-tailed activity, planted communities (column true_community), timestamps with a
    weekly rhythm, several interaction types and demographic columns. Deterministic per seed.
    """
    _check_experiment_options(experiment, effect, variants, spillover, design)
    sim = simulate_network(
        users,
        seed=seed,
        interactions_per_user=interactions_per_user,
        n_communities=communities,
        mixing=mixing,
        start=start,
        days=days,
    )
    if events and experiment is not None:
        raise ConfigError(
            "--events and --experiment both write events.csv",
            hint="simulate the experiment's events (--experiment) or general activity "
            "(--events) into separate folders",
        )
    fmt: Literal["csv", "parquet"] = "parquet" if parquet else "csv"
    paths = write_dataset(sim, out_dir, fmt=fmt, force=force)
    stderr.print(
        f"wrote {len(sim.users)} users and {len(sim.interactions)} interactions: "
        + ", ".join(str(p) for p in paths)
    )
    if spillover is not None:  # a network experiment: its own assignments and events
        from graphkit.workflows.network_experiments import write_spillover_simulation

        if experiment is None:
            raise ConfigError("--spillover needs --experiment NAME")
        effects = parse_effects(effect or [])
        for line in write_spillover_simulation(
            sim, out_dir, experiment=experiment, design=design, spillover=spillover,
            direct=effects.get("sessions", 0.05), seed=seed, salt=salt, pre_days=pre_days,
            post_days=post_days, fmt=fmt, force=force,
        ):  # fmt: skip
            stderr.print(line, markup=False)
        return
    write_events = events if events is not None else experiment is None
    if write_events:
        activity = simulate_events(
            sim,
            seed=seed,
            sessions_per_user_day=sessions_per_user_day,
            n_anomalies=anomalies,
            aha_connections=aha_connections,
            aha_days=aha_days,
        )
        paths = write_dataset(activity, out_dir, fmt=fmt, force=force)
        truth = Path(out_dir) / "truth"  # load_dataset reads only the top-level tables
        truth.mkdir(exist_ok=True)
        activity.anomalies.to_csv(truth / "anomalies.csv", index=False)
        activity.retention.to_csv(truth / "retention.csv", index=False)
        stderr.print(
            f"wrote {len(activity.events)} events: {', '.join(str(p) for p in paths)} "
            f"(ground truth in {truth})"
        )
    if experiment is not None:
        from graphkit.experiments.simulation import simulate_experiment, write_truth

        result = simulate_experiment(
            sim,
            experiment=experiment,
            seed=seed,
            variants=split_list(variants, "--variants"),
            weights=[float(w) for w in split_list(weights, "--weights")] if weights else None,
            salt=salt,
            effects=parse_effects(effect or []) or None,
            degree_effect=degree_effect,
            pre_days=pre_days,
            post_days=post_days,
            enroll_days=enroll_days,
        )
        paths = write_dataset(result, out_dir, fmt=fmt, force=force)  # type: ignore[arg-type]
        stderr.print(f"wrote experiment {experiment!r}: " + ", ".join(str(p) for p in paths))
        truth_paths = write_truth(result, out_dir)
        stderr.print(
            "true effects (ground truth, saved in "
            + ", ".join(str(p) for p in truth_paths)
            + "):\n"
            + result.truth.to_string(index=False)
        )


def _check_experiment_options(
    experiment: str | None,
    effect: list[str] | None,
    variants: str,
    spillover: float | None,
    design: str,
) -> None:
    """Refuse option combinations the simulation would ignore, before any file is written."""
    if spillover is None:
        if design != "user":
            raise ConfigError(
                "--design applies to a spillover simulation", hint="add --spillover S"
            )
        return
    if experiment is None:
        raise ConfigError("--spillover needs --experiment NAME")
    if design not in ("user", "cluster"):
        raise ConfigError(f"--design {design!r} is unknown", hint="use user or cluster")
    if not math.isfinite(spillover) or spillover <= -1:
        raise ConfigError(f"--spillover must be a number above -1, got {spillover}")
    others = sorted(set(parse_effects(effect or [])) - {"sessions"})
    if others:
        raise ConfigError(
            f"--effect {', '.join(others)}: a spillover simulation plants a sessions effect only",
            hint="give --effect sessions=LIFT",
        )
    if split_list(variants, "--variants") != ["control", "treatment"]:
        raise ConfigError(
            "a spillover simulation has two arms, control and treatment",
            hint="leave out --variants",
        )


def parse_effects(specs: list[str]) -> dict[str, float]:
    """``["sessions=0.05", ...]`` → ``{"sessions": 0.05}``; a clear error otherwise."""
    effects = {}
    for spec in specs:
        name, _, value = spec.partition("=")
        try:
            effects[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(
                f"--effect {spec!r} is not METRIC=LIFT",
                hint="e.g. --effect sessions=0.05 (a 5% lift)",
            ) from None
    return effects


@handles_errors
@uses_store
def load_command(
    settings: Settings,
    dataset: Annotated[Path, typer.Argument(help="Dataset folder (users, interactions).")],
) -> None:
    """Validate a dataset, then load it into the store (Neo4j or embedded).

    Nothing is written unless the whole dataset is valid. Loading is idempotent: loading
    the same data again, or re-running an interrupted load, gives the same graph.
    """
    stderr.print(f"validating {dataset} …")
    with progress_bar("loading") as progress:
        result = workflows.load(dataset, settings, progress=progress)
    for note in result.dataset.notes:
        stderr.print(f"note: {note}")
    summary = result.summary
    parts = [f"{summary.users} users", f"{summary.interactions} interactions"]
    if summary.events:
        parts.append(f"{summary.events} events")
    if summary.assignments:
        parts.append(f"{summary.assignments} assignments")
    stderr.print(f"loaded {', '.join(parts)} into {summary.store}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
    app.command("load")(load_command)
