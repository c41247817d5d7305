"""`graphkit centrality`, `graphkit communities`, `graphkit features`."""

from enum import StrEnum
from typing import Annotated

import pandas as pd
import typer

from graphkit import workflows
from graphkit.cli.common import (
    FORMAT_OPTION,
    OUT_OPTION,
    OutputFormat,
    emit,
    emit_frame,
    format_for,
    handles_errors,
    progress_bar,
    pulls_subgraph,
    stderr,
    to_json,
)
from graphkit.config import Settings
from graphkit.graph.centrality import MEASURES
from graphkit.graph.pull import SubgraphSpec


class CommunityMethod(StrEnum):
    louvain = "louvain"
    leiden = "leiden"
    greedy = "greedy"


class EngineName(StrEnum):
    auto = "auto"
    networkx = "networkx"
    igraph = "igraph"
    gds = "gds"


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


def engine_value(engine: EngineName | None) -> str | None:
    return None if engine is None else engine.value


def note_engine(engine: str, estimates: dict[str, str]) -> None:
    """Say on stderr which engine computed the scores and how estimates were made."""
    stderr.print(f"note: computed by the {engine} engine")
    for name, how in estimates.items():
        stderr.print(f"note: {name} is approximate ({how})")


@handles_errors
@pulls_subgraph
def centrality_command(
    settings: Settings,
    spec: SubgraphSpec,
    measure: Annotated[
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
    with progress_bar("write-back") as progress:
        result = workflows.analyze_centrality(
            settings,
            spec,
            measures=measure or MEASURES,
            weighted=weighted,
            sample=sample,
            seed=seed,
            write_back=write_back,
            progress=progress,
            engine=engine_value(engine),
        )
    note_engine(result.engine, result.approximate)
    fmt = format_for(fmt, out)
    scores = result.top(top)
    records = scores.to_dict("records")
    for record in records:
        record["engine"] = result.engine
        if result.approximate:
            record["approximate"] = sorted(result.approximate)
    caption = f"{result.nodes} users, {result.edges} ties; engine {result.engine}" + (
        "; approximate: " + ", ".join(sorted(result.approximate)) if result.approximate else ""
    )
    emit_frame(scores, fmt, out, title="Centrality", caption=caption, json_data=records)
    if write_back:
        stderr.print(f"wrote {', '.join(result.measures)} to {len(result.scores)} users")


@handles_errors
@pulls_subgraph
def communities_command(
    settings: Settings,
    spec: SubgraphSpec,
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
    with progress_bar("write-back") as progress:
        result = workflows.analyze_communities(
            settings,
            spec,
            method=method.value,
            weighted=weighted,
            resolution=resolution,
            seed=seed,
            write_back=write_back,
            progress=progress,
            engine=engine_value(engine),
        )
    note_engine(result.engine, {})
    fmt = format_for(fmt, out)
    if fmt is OutputFormat.json:
        emit(
            to_json(
                {
                    "engine": result.engine,
                    "method": result.method,
                    "modularity": result.modularity,
                    "resolution": result.resolution,
                    "seed": result.seed,
                    "weighted": result.weighted,
                    "membership": result.membership,
                    "communities": [
                        {"id": i, "size": len(members), "members": members}
                        for i, members in enumerate(result.communities)
                    ],
                }
            ),
            out,
        )
    elif fmt is OutputFormat.csv:
        frame = pd.DataFrame(
            {"user_id": list(result.membership), "community": list(result.membership.values())}
        )
        emit_frame(frame.sort_values(["community", "user_id"]), fmt, out)
    else:
        # Users without ties are communities of one; listing them all buries the real ones.
        shown = [(i, m) for i, m in enumerate(result.communities) if len(m) > 1]
        singles = len(result.communities) - len(shown)
        frame = pd.DataFrame(
            {
                "community": [i for i, _ in shown],
                "size": [len(m) for _, m in shown],
                "members": [", ".join(m[:5]) + (", …" if len(m) > 5 else "") for _, m in shown],
            }
        )
        caption = (
            f"modularity {result.modularity:.4f}, {len(result.communities)} communities, "
            f"engine {result.engine}"
        )
        if singles:
            caption += f" ({singles} of them single users without ties, not listed)"
        emit_frame(frame, fmt, out, title=f"Communities ({result.method})", caption=caption)
    if write_back:
        stderr.print(f"wrote community ids of {len(result.membership)} users")


@handles_errors
@pulls_subgraph
def features_command(
    settings: Settings,
    spec: SubgraphSpec,
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
    with progress_bar("write-back") as progress:
        result = workflows.build_features(
            settings,
            spec,
            sample=sample,
            seed=seed,
            influencer_share=influencer_share,
            write_back=write_back,
            progress=progress,
            engine=engine_value(engine),
        )
    note_engine(result.engine, result.approximate)
    fmt = format_for(fmt, out)
    json_data = None
    if fmt is OutputFormat.json:
        json_data = result.table.assign(engine=result.engine).to_dict("records")
    emit_frame(
        result.table,
        fmt,
        out,
        title="Graph features",
        caption=f"engine {result.engine}",
        json_data=json_data,
    )


def register(app: typer.Typer) -> None:
    app.command("centrality")(centrality_command)
    app.command("communities")(communities_command)
    app.command("features")(features_command)
