"""`graphkit simulate` and `graphkit load`: parse, call the use case, print what it did."""

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli.common import (
    handles_errors,
    parse_number,
    progress_bar,
    split_list,
    stderr,
    uses_store,
)
from graphkit.config import Settings


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
    effects: Annotated[
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
    from graphkit.workflows.simulation import SimulationSettings, parse_effects, simulate

    settings = SimulationSettings(
        users=users, seed=seed, interactions_per_user=interactions_per_user,
        communities=communities, mixing=mixing, start=start, days=days,
        fmt="parquet" if parquet else "csv", force=force, events=events,
        sessions_per_user_day=sessions_per_user_day, anomalies=anomalies,
        aha_connections=aha_connections, aha_days=aha_days, experiment=experiment,
        effects=parse_effects(effects or []), degree_effect=degree_effect,
        variants=tuple(split_list(variants, "--variants")),
        weights=tuple(parse_number(w, "--weights") for w in split_list(weights, "--weights"))
        if weights else None,
        salt=salt, pre_days=pre_days, post_days=post_days, enroll_days=enroll_days,
        spillover=spillover, design=design,
    )  # fmt: skip
    result = simulate(out_dir, settings)
    for line in result.messages:
        stderr.print(line)


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
    from graphkit.workflows.network import load, opened_store

    stderr.print(f"validating {dataset} …")
    with opened_store(settings) as store, progress_bar("loading") as progress:
        result = load(store, dataset, progress=progress)
    for note in result.notes:
        stderr.print(f"note: {note}")
    stderr.print(result.message)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
    app.command("load")(load_command)
