"""`graphkit ab design` and `graphkit ab spillover`: experiments on the network.

Each command builds its settings object, calls one use case of
:mod:`graphkit.workflows.network_experiments` and renders the result (its ``to_dict`` /
``to_frame``).
"""

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

from graphkit.cli.common import (
    FORMAT_OPTION,
    OUT_OPTION,
    OutputFormat,
    emit,
    emit_frame,
    format_for,
    handles_errors,
    parse_time,
    split_list,
    stderr,
    to_json,
    uses_store,
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


def _weights(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(w) for w in split_list(text, "--weights"))
    except ValueError:
        raise ConfigError(f"--weights {text!r} must be numbers", hint="e.g. 50,50") from None


def _check_assignments_out(out: Path) -> Path:
    """The assignments file (a CSV beside its NAME.design.json)."""
    if out.suffix.lower() != ".csv":
        raise typer.BadParameter(f"this writes CSV: name the file .csv, not {out.name!r}")
    return out


def design_command(
    settings: Settings,
    experiment: Annotated[str, typer.Argument(help="Experiment name (part of the hash key).")],
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
    variants: Annotated[
        str, typer.Option("--variants", help="Comma-separated arms, control first.")
    ] = "control,treatment",
    weights: Annotated[
        str | None, typer.Option("--weights", help="Relative weights per arm, e.g. 50,50.")
    ] = None,
    salt: Annotated[str, typer.Option("--salt", help="Hash salt (as `ab assign`).")] = "",
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
    assigned_at: Annotated[
        str | None,
        typer.Option("--assigned-at", help="Assignment time (ISO-8601, UTC); default now."),
    ] = None,
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
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    append: Annotated[
        bool, typer.Option("--append", help="Add to an existing file (replacing this experiment).")
    ] = False,
    fmt: FORMAT_OPTION = None,
) -> None:
    """Design an experiment on the network: randomize users, clusters or ego-clusters.

    Writes assignments.csv (with each user's unit and role) through the same salted hash
    as `ab assign`, and EXPERIMENT.design.json next to it for `ab spillover`. Prints the
    diagnostics: ties crossing arms, cluster sizes, balance and the design effect.
    """
    from graphkit.experiments.network.design import DesignSettings

    design_settings = DesignSettings(
        experiment,
        unit=unit.value,
        clusters=clusters.value,
        egos=_egos(egos),
        ego_by=by.value,
        variants=tuple(split_list(variants, "--variants")),
        weights=_weights(weights),
        salt=salt,
        seed=seed,
        icc=icc,
        max_crossing=max_crossing,
    )
    moment = parse_time(assigned_at, "--assigned-at") or datetime.now(UTC).replace(microsecond=0)
    graph_until = parse_time(until, "--until") or moment
    from graphkit import ab
    from graphkit.workflows.network import opened_store

    with opened_store(settings) as store:
        result = ab.design(store, design_settings, until=graph_until)
    record = _workflow().write_design(result, out, assigned_at=moment, force=force, append=append)
    stderr.print(f"wrote {len(result.assignments)} assignments to {out} and the design to {record}")
    for note in result.notes:
        stderr.print(f"note: {note}", markup=False)
    for warning in result.diagnostics.warnings:
        stderr.print(f"[bold yellow]warning:[/] {warning}")
    data = result.to_dict()
    fmt = format_for(fmt, None)
    if fmt is OutputFormat.json:
        emit(to_json(data), None)
        return
    from graphkit.reports.experiment_tables import design_frame

    title = f"Design of {experiment}: {unit.value} randomization"
    emit_frame(design_frame(data["diagnostics"]), fmt, None, title=title)


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
    table: Annotated[
        Path | None,
        typer.Option(
            "--table", metavar="FILE", help="Per-user CSV/Parquet instead of a stored experiment."
        ),
    ] = None,
    id_col: Annotated[
        str, typer.Option("--id-col", help="--table: the user id column.")
    ] = "user_id",
    variant_col: Annotated[
        str, typer.Option("--variant-col", help="--table: the arm column.")
    ] = "variant",
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
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level.")] = 0.05,
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
    workflow = _workflow()
    spill = workflow.SpilloverSettings(
        exposure=exposure,
        direction=direction.value,
        design=design.value if design else None,
        treated=treated,
        trim=trim,
        alpha=alpha,
        probabilities=probabilities.value,
        replications=replications,
        seed=seed,
        until=parse_time(until, "--until"),
    )
    from graphkit import ab
    from graphkit.workflows.network import opened_store

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
        for note in report.to_dict()["notes"]:
            stderr.print(f"note: {note}", markup=False)
        if write_back:
            written = workflow.write_back_exposure(store, report)
            stderr.print(f"stored the exposure of {written} users")
    fmt = format_for(fmt, out)
    if fmt is OutputFormat.json:
        emit(to_json(report.to_dict()), out)
        return
    from graphkit.reports.experiment_tables import spillover_view

    view = spillover_view(report, first=estimator.value)
    emit_frame(view.frame, fmt, out, title=view.title, caption=view.caption)


def register(app: typer.Typer) -> None:
    """Add `design` and `spillover` to the `ab` command group."""
    app.command("design")(handles_errors(uses_store(design_command)))
    app.command("spillover")(handles_errors(uses_store(spillover_command)))
