"""`graphkit centrality`, `graphkit communities`, `graphkit features`.

Each command builds its options, opens the store once, calls the use case of the same
name in :mod:`graphkit.workflows.network` and prints its result.
"""

from typing import TYPE_CHECKING, Annotated

import typer

from graphkit.cli.common import (
    FORMAT_OPTION,
    OUT_OPTION,
    OutputFormat,
    emit_frame,
    emit_result,
    format_for,
    handles_errors,
    progress_bar,
    pulls_subgraph,
    stderr,
)
from graphkit.config import Settings
from graphkit.graph.choices import MEASURES, CommunityMethod, EngineName

if TYPE_CHECKING:
    from graphkit.graph.pull import SubgraphSpec

__all__ = ["CommunityMethod", "EngineName"]  # option types, kept importable from here

SAMPLE_HELP = (
    "Estimate betweenness and closeness from K random source users (default: exact up "
    "to 5,000 users; above, sources are added until the top 100 is stable)."
)
ENGINE_OPTION = Annotated[
    EngineName | None,
    typer.Option(
        "--engine",
        help="Graph engine: auto (default; env GRAPHKIT_ENGINE, graphkit.toml [graph] engine), "
        "networkx (reference), igraph (compiled), gds (Neo4j Graph Data Science).",
    ),
]


def engine_value(engine: EngineName | None, settings: Settings | None = None) -> str | None:
    """The engine asked for: the flag, else the settings' (env, graphkit.toml), else None."""
    if engine is not None:
        return engine.value
    return settings.engine if settings is not None else None


def note_engine(engine: str, estimates: dict[str, str]) -> None:
    """Say on stderr which engine computed the scores and how estimates were made."""
    stderr.print(f"note: computed by the {engine} engine")
    for name, how in estimates.items():
        stderr.print(f"note: {name} is approximate ({how})")


@handles_errors
@pulls_subgraph
def centrality_command(
    settings: Settings,
    spec: "SubgraphSpec",
    measures: Annotated[
        list[str] | None,
        typer.Option(
            "--measure", "-m", help=f"One of {', '.join(MEASURES)} (repeatable; default all)."
        ),
    ] = None,
    top: Annotated[
        int | None, typer.Option("--top", "-n", min=1, help="Only the best N users.")
    ] = None,
    weighted: Annotated[
        bool,
        typer.Option(
            "--weighted",
            help="Use summed weight as tie strength (degree, PageRank) and its "
            "inverse as distance (betweenness, closeness).",
        ),
    ] = False,
    sample: Annotated[int | None, typer.Option("--sample", metavar="K", help=SAMPLE_HELP)] = None,
    seed: Annotated[int, typer.Option(help="Seed for sampling.")] = 0,
    write_back: Annotated[
        bool, typer.Option("--write-back", help="Store the scores as User properties.")
    ] = False,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
    engine: ENGINE_OPTION = None,
) -> None:
    """Rank users by degree, betweenness, closeness and PageRank.

    Scores use NetworkX's default normalisation: degree / (n-1); betweenness normalised
    by the number of pairs; Wasserman–Faust closeness; PageRank with damping 0.85.
    Users are listed best first by PageRank (or by the first measure asked for).
    """
    from graphkit.workflows.network import centrality, opened_store

    with opened_store(settings) as store, progress_bar("write-back") as progress:
        result = centrality(
            store,
            spec,
            measures=measures or MEASURES,
            top=top,
            weighted=weighted,
            sample=sample,
            seed=seed,
            write_back=write_back,
            engine=engine_value(engine, settings),
            progress=progress,
        )
    note_engine(result.engine, result.approximate)
    emit_result(result, format_for(fmt, out), out, title="Centrality", caption=result.caption)
    if write_back:
        stderr.print(f"wrote {', '.join(result.measures)} to {result.nodes} users")


@handles_errors
@pulls_subgraph
def communities_command(
    settings: Settings,
    spec: "SubgraphSpec",
    method: Annotated[CommunityMethod, typer.Option(help="Detection method.")] = (
        CommunityMethod.louvain
    ),
    seed: Annotated[int, typer.Option(help="Seed for Louvain's and Leiden's random order.")] = 0,
    resolution: Annotated[
        float, typer.Option(help="Above 1 favours smaller communities, below 1 larger ones.")
    ] = 1.0,
    weighted: Annotated[
        bool, typer.Option("--weighted", help="Weight ties by summed interaction weight.")
    ] = False,
    write_back: Annotated[
        bool,
        typer.Option(
            "--write-back", help="Store the community id as the User property `community`."
        ),
    ] = False,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
    engine: ENGINE_OPTION = None,
) -> None:
    """Find communities (Louvain, Leiden or greedy modularity): sizes, modularity, members.

    Communities are numbered from 0 (largest) in decreasing size.
    """
    from graphkit.workflows.network import communities, opened_store

    with opened_store(settings) as store, progress_bar("write-back") as progress:
        result = communities(
            store,
            spec,
            method=method.value,
            weighted=weighted,
            resolution=resolution,
            seed=seed,
            write_back=write_back,
            engine=engine_value(engine, settings),
            progress=progress,
        )
    note_engine(result.engine, {})
    fmt = format_for(fmt, out)
    if fmt is OutputFormat.table:  # the table lists communities; CSV and JSON list users
        title = f"Communities ({result.method})"
        emit_frame(result.summary_frame(), fmt, out, title=title, caption=result.caption)
    else:
        emit_result(result, fmt, out)
    if write_back:
        stderr.print(f"wrote community ids of {len(result.membership)} users")


@handles_errors
@pulls_subgraph
def features_command(
    settings: Settings,
    spec: "SubgraphSpec",
    out: OUT_OPTION = None,
    fmt: FORMAT_OPTION = None,
    sample: Annotated[int | None, typer.Option("--sample", metavar="K", help=SAMPLE_HELP)] = None,
    seed: Annotated[int, typer.Option(help="Seed for sampling and Louvain.")] = 0,
    influencer_share: Annotated[
        float, typer.Option(help="Share of users, by PageRank, flagged as influencers.")
    ] = 0.01,
    write_back: Annotated[
        bool, typer.Option("--write-back", help="Store the features as User properties.")
    ] = False,
    engine: ENGINE_OPTION = None,
) -> None:
    """One row per user with graph features, for joins on user_id.

    Columns: degree, weighted_degree, pagerank, betweenness, closeness, clustering,
    community (Louvain), influencer (top --influencer-share of users by PageRank).
    """
    from graphkit.workflows.network import features, opened_store

    with opened_store(settings) as store, progress_bar("write-back") as progress:
        result = features(
            store,
            spec,
            sample=sample,
            seed=seed,
            influencer_share=influencer_share,
            write_back=write_back,
            engine=engine_value(engine, settings),
            progress=progress,
        )
    note_engine(result.engine, result.approximate)
    fmt = format_for(fmt, out)
    emit_result(result, fmt, out, title="Graph features", caption=result.caption)


def register(app: typer.Typer) -> None:
    app.command("centrality")(centrality_command)
    app.command("communities")(communities_command)
    app.command("features")(features_command)
