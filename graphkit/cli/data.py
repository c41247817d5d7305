"""`graphkit simulate` and `graphkit load`."""

from pathlib import Path
from typing import Annotated

import typer

from graphkit import workflows
from graphkit.cli.common import handles_errors, progress_bar, stderr, uses_store
from graphkit.config import Settings
from graphkit.simulate import simulate_network, write_dataset


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
) -> None:
    """Create a realistic synthetic social network (users.csv, interactions.csv).

    Heavy-tailed activity, planted communities (column true_community), timestamps with a
    weekly rhythm, several interaction types and demographic columns. Deterministic per seed.
    """
    sim = simulate_network(
        users,
        seed=seed,
        interactions_per_user=interactions_per_user,
        n_communities=communities,
        mixing=mixing,
        start=start,
        days=days,
    )
    paths = write_dataset(sim, out_dir, fmt="parquet" if parquet else "csv", force=force)
    stderr.print(
        f"wrote {len(sim.users)} users and {len(sim.interactions)} interactions: "
        + ", ".join(str(p) for p in paths)
    )


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
    stderr.print(
        f"loaded {summary.users} users and {summary.interactions} interactions "
        f"into the {summary.store}"
    )


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
    app.command("load")(load_command)
