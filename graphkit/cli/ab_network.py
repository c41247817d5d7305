"""`graphkit ab design` and `graphkit ab spillover`: experiments on the network.

Each command builds its settings object, calls one use case of
:mod:`graphkit.workflows.network_experiments` and renders the result (its ``to_dict`` /
``to_frame``).
"""

from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

from graphkit.cli.common import (
    FORMAT_OPTION,
    OUT_OPTION,
    emit_frame,
    format_for,
    handles_errors,
    parse_time,
    stderr,
    uses_store,
)
from graphkit.cli.options import (
    ALPHA_OPTION,
    APPEND_OPTION,
    ASSIGNED_AT_OPTION,
    EXPERIMENT_NAME_ARGUMENT,
    FORCE_OPTION,
    SALT_OPTION,
    TABLE_OPTION,
    VARIANT_COL_OPTION,
    VARIANTS_OPTION,
    WEIGHTS_LIST_OPTION,
    assignment_time,
    given_values,
    print_notes,
    variant_names,
    weight_list,
)
from graphkit.config import Settings
from graphkit.errors import ConfigError

if TYPE_CHECKING:
    pass


class UnitChoice(StrEnum):
    user = "user"
    cluster = "cluster"
    ego = "ego"


class ClusterChoice(StrEnum):
    louvain = "louvain"
    leiden = "leiden"
    community = "community"
    three_net = "3net"


class RankChoice(StrEnum):
    pagerank = "pagerank"
    degree = "degree"


class DirectionChoice(StrEnum):
    out = "out"
    into = "in"
    both = "both"


class DesignChoice(StrEnum):
    complete = "complete"
    bernoulli = "bernoulli"
    cluster = "cluster"
    ego = "ego"


class EstimatorChoice(StrEnum):
    hajek = "hajek"
    ht = "ht"


class ProbabilityChoice(StrEnum):
    auto = "auto"
    exact = "exact"
    monte_carlo = "monte-carlo"


def _workflow() -> ModuleType:
    from graphkit.workflows import network_experiments

    return network_experiments


def _egos(text: str) -> int:
    kind, _, count = text.partition(":")
    if kind != "top" or not count.isdigit() or int(count) < 1:
        raise ConfigError(f"--egos {text!r} is not top:N", hint="e.g. --egos top:500")
    return int(count)


DESIGN_FLAGS = ("experiment", "unit", "clusters", "salt", "seed", "icc", "max_crossing")
"""Flags that are DesignSettings fields of the same name, taken as given."""
SPILLOVER_FLAGS = (
    *("exposure", "direction", "design", "treated", "trim", "alpha"),
    *("probabilities", "replications", "seed"),
)
"""Flags that are SpilloverSettings fields of the same name, taken as given."""


def _check_assignments_out(out: Path) -> Path:
    """The assignments file (a CSV beside its NAME.design.json)."""
    if out.suffix.lower() != ".csv":
        raise typer.BadParameter(f"this writes CSV: name the file .csv, not {out.name!r}")
    return out


def design_command(
    settings: Settings,
    experiment: EXPERIMENT_NAME_ARGUMENT,
    unit: Annotated[
        UnitChoice, typer.Option("--unit", help="Randomize users, graph clusters or ego-clusters.")
    ] = UnitChoice.user,
    clusters: Annotated[
        ClusterChoice,
        typer.Option(
            "--clusters",
            help="--unit cluster: louvain, leiden (needs igraph), community (written back) or "
            "3net (Ugander et al.).",
        ),
    ] = ClusterChoice.louvain,
    egos: Annotated[
        str, typer.Option("--egos", help="--unit ego: how many ego-clusters, top:N.")
    ] = "top:100",
    by: Annotated[
        RankChoice, typer.Option("--by", help="--unit ego: rank egos by pagerank or degree.")
    ] = RankChoice.pagerank,
    variants: VARIANTS_OPTION = "control,treatment",
    weights: WEIGHTS_LIST_OPTION = None,
    salt: SALT_OPTION = "",
    seed: Annotated[int, typer.Option("--seed", help="Seed of Louvain/Leiden/3-net.")] = 0,
    icc: Annotated[
        float, typer.Option("--icc", help="Intra-cluster correlation for the design effect.")
    ] = 0.05,
    max_crossing: Annotated[
        float,
        typer.Option(
            "--max-crossing",
            help="Warn when more than this share of treated users' ties reach control.",
        ),
    ] = 0.2,
    assigned_at: ASSIGNED_AT_OPTION = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", help="Design on ties before this time (default: the assignment time)."
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", callback=_check_assignments_out, help="Where to write the assignments."
        ),
    ] = Path("assignments.csv"),
    force: FORCE_OPTION = False,
    append: APPEND_OPTION = False,
    fmt: FORMAT_OPTION = None,
) -> None:
    """Design an experiment on the network: randomize users, clusters or ego-clusters.

    Writes assignments.csv (with each user's unit and role) through the same salted hash
    as `ab assign`, and EXPERIMENT.design.json next to it for `ab spillover`. Prints the
    diagnostics: ties crossing arms, cluster sizes, balance and the design effect.
    """
    from graphkit import ab
    from graphkit.experiments.network.design import DesignSettings
    from graphkit.reports.experiment_tables import design_frame
    from graphkit.workflows.network import opened_store

    shares = weight_list(weights)
    design_settings = DesignSettings(
        **given_values(locals(), DESIGN_FLAGS),
        egos=_egos(egos),
        ego_by=by.value,
        variants=tuple(variant_names(variants)),
        weights=None if shares is None else tuple(shares),
    )
    moment = assignment_time(assigned_at)
    graph_until = parse_time(until, "--until") or moment
    with opened_store(settings) as store:
        result = ab.design(store, design_settings, until=graph_until)
    record = _workflow().write_design(result, out, assigned_at=moment, force=force, append=append)
    stderr.print(f"wrote {len(result.assignments)} assignments to {out} and the design to {record}")
    print_notes(result.notes)
    for warning in result.diagnostics.warnings:
        stderr.print(f"[bold yellow]warning:[/] {warning}")
    data = result.to_dict()
    title = f"Design of {experiment}: {unit.value} randomization"
    frame = design_frame(data["diagnostics"])
    emit_frame(frame, format_for(fmt, None), None, title=title, json_data=data)


def spillover_command(
    settings: Settings,
    experiment: Annotated[
        str | None,
        typer.Argument(
            metavar="EXPERIMENT", help="Stored experiment (or use --table).", show_default=False
        ),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            "-m",
            help="Stored experiment: NAME=sum|count|conversion[:EVENT] or sessions, "
            "time_spent, events. --table: the column.",
        ),
    ] = None,
    table: TABLE_OPTION = None,
    id_col: Annotated[
        str,
        typer.Option("--id-col", rich_help_panel="Your own table", help="The user id column."),
    ] = "user_id",
    variant_col: VARIANT_COL_OPTION = "variant",
    treated: Annotated[str, typer.Option("--treated", help="The treated variant.")] = "treatment",
    exposure: Annotated[
        str,
        typer.Option("--exposure", help="Exposure mapping: any, as4, all, fraction:Q or count:K."),
    ] = "as4",
    direction: Annotated[
        DirectionChoice,
        typer.Option("--direction", help="Neighbours: out (users this user acted on), in, both."),
    ] = DirectionChoice.both,
    design: Annotated[
        DesignChoice | None,
        typer.Option(
            "--design",
            help="Randomization: default the --design-file's, else complete with the observed "
            "number treated.",
        ),
    ] = None,
    design_file: Annotated[
        Path | None,
        typer.Option(
            "--design-file", metavar="FILE", help="EXPERIMENT.design.json from `ab design`."
        ),
    ] = None,
    estimator: Annotated[
        EstimatorChoice,
        typer.Option("--estimator", help="Listed first (both are reported)."),
    ] = EstimatorChoice.hajek,
    trim: Annotated[
        float,
        typer.Option(
            "--trim", help="Leave out users whose condition probability is outside (D, 1-D)."
        ),
    ] = 0.01,
    probabilities: Annotated[
        ProbabilityChoice,
        typer.Option("--probabilities", help="auto (exact where possible), exact or monte-carlo."),
    ] = ProbabilityChoice.auto,
    replications: Annotated[
        int, typer.Option("--replications", help="Monte Carlo draws of the design.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo draws.")] = 0,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Ties before this time form the graph (default: assignment)."),
    ] = None,
    post_days: Annotated[
        float | None, typer.Option("--post-days", help="Stored experiment: analysis window.")
    ] = None,
    alpha: ALPHA_OPTION = 0.05,
    write_back: Annotated[
        bool,
        typer.Option(
            "--write-back", help="Store each user's exposure (see cypher/browser/user_exposure)."
        ),
    ] = False,
    fmt: FORMAT_OPTION = None,
    out: OUT_OPTION = None,
) -> None:
    """Spillover estimates: exposure conditions on the graph, HT and Hájek with
    Aronow–Samii variances, beside the naive difference in means."""
    from graphkit import ab
    from graphkit.reports.experiment_tables import spillover_view
    from graphkit.workflows.network import opened_store

    workflow = _workflow()
    spill = workflow.SpilloverSettings(
        **given_values(locals(), SPILLOVER_FLAGS), until=parse_time(until, "--until")
    )

    with opened_store(settings) as store:
        report = ab.spillover(
            store,
            spill,
            metric=metric or "",
            experiment=experiment,
            table=table,
            id_col=id_col,
            variant_col=variant_col,
            post_days=post_days,
            design_file=design_file,
        )
        print_notes(report.to_dict()["notes"])
        if write_back:
            written = workflow.write_back_exposure(store, report)
            stderr.print(f"stored the exposure of {written} users")
    view = spillover_view(report, first=estimator.value)
    emit_frame(
        view.frame,
        format_for(fmt, out),
        out,
        title=view.title,
        caption=view.caption,
        json_data=report.to_dict(),
    )


def register(app: typer.Typer) -> None:
    """Add `design` and `spillover` to the `ab` command group."""
    app.command("design")(handles_errors(uses_store(design_command)))
    app.command("spillover")(handles_errors(uses_store(spillover_command)))
