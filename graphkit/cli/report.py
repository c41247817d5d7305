"""`graphkit report ...`: reports people read, written as HTML, Markdown, JSON or CSV."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from graphkit.cli.ab import (
    CONFIG_OPTION,
    MDE_OPTION,
    SEQUENTIAL_OPTION,
    WEIGHTS_HELP,
    CorrectionChoice,
    _named_weights,
    _plan,
)
from graphkit.cli.common import emit, handles_errors, pulls_subgraph, stderr, uses_store, utc
from graphkit.cli.engagement import RuleChoice, SinceOption, UntilOption
from graphkit.cli.network import ENGINE_OPTION, engine_value
from graphkit.config import Settings
from graphkit.engagement.settings import DAILY_METRICS
from graphkit.experiments.defaults import (
    DEFAULT_CHURN_DAYS,
    DEFAULT_METRICS,
    DEFAULT_POST_DAYS,
    DEFAULT_PRE_DAYS,
)

if TYPE_CHECKING:
    from graphkit.graph.pull import SubgraphSpec
    from graphkit.reports.document import Report

app = typer.Typer(
    help="Reports people read: `--out report.html` (one self-contained file), `.md` "
    "(figures next to it), `.json` (documented, deterministic) or `.csv` (the tables).",
    no_args_is_help=True,
)

REPORT_OUT_OPTION = Annotated[
    list[Path] | None,
    typer.Option(
        "--out",
        "-o",
        metavar="FILE",
        help="Write the report here; the suffix picks the format: .html, .md, .json or .csv. "
        "Repeat it for several formats from one run. Without it, Markdown (no figures) goes "
        "to stdout.",
        show_default=False,
    ),
]


def check_outputs(outs: list[Path] | None) -> None:
    """Refuse a bad suffix before minutes of work, not after."""
    from graphkit.reports import report_format

    for out in outs or []:
        report_format(out)


def deliver(report: "Report", outs: list[Path] | None) -> None:
    """Write the report to every ``--out`` (format by suffix), or Markdown to stdout."""
    from graphkit.reports import render_markdown, write_report

    if not outs:
        emit(render_markdown(report), None)
        stderr.print("note: figures are left out on stdout; use --out FILE.html or FILE.md")
        return
    for out in outs:
        for path in write_report(report, out):
            stderr.print(f"wrote {path}")


@app.command("influencers")
@handles_errors
@pulls_subgraph
def influencers_command(
    settings: Settings,
    spec: "SubgraphSpec",
    out: REPORT_OUT_OPTION = None,
    top: Annotated[int, typer.Option("--top", "-n", help="Length of every top list.")] = 10,
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample",
            metavar="K",
            help="Estimate betweenness and closeness from K random source users (default: "
            "exact up to 5,000 users; above, sources are added until the top 100 is stable).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for sampling and Louvain.")] = 0,
    engine: ENGINE_OPTION = None,
) -> None:
    """Who the influential users are: top lists, bridges, agreement, communities, insights.

    Composite rank: the mean of the percentile ranks by degree, betweenness, closeness, PageRank.

    Bridges: the most betweenness above what the degree predicts, among the top 10% by it.
    """
    from graphkit.report import influencers
    from graphkit.workflows.network import opened_store

    check_outputs(out)
    with opened_store(settings) as store:
        report = influencers(
            store, spec, top=top, sample=sample, seed=seed, engine=engine_value(engine, settings)
        )
    deliver(report, out)


@app.command("experiment")
@handles_errors
@pulls_subgraph
def experiment_command(
    settings: Settings,
    spec: "SubgraphSpec",
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Experiment name in the stored assignments.")
    ],
    out: REPORT_OUT_OPTION = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            "-m",
            help="Repeatable: NAME=sum|count|conversion[:EVENT] or a builtin "
            f"({', '.join(DEFAULT_METRICS)}; default all three).",
        ),
    ] = None,
    control: Annotated[str, typer.Option("--control", help="The control variant.")] = "control",
    post_days: Annotated[
        float, typer.Option("--post-days", help="Analysis window after each assignment, days.")
    ] = DEFAULT_POST_DAYS,
    pre_days: Annotated[
        float,
        typer.Option("--pre-days", help="CUPED pre-period before each assignment; 0 = no CUPED."),
    ] = DEFAULT_PRE_DAYS,
    correction: Annotated[
        CorrectionChoice,
        typer.Option("--correction", help="Multiple-testing correction: holm or bh."),
    ] = CorrectionChoice.holm,
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level.")] = 0.05,
    churn_days: Annotated[
        float, typer.Option("--churn-days", help="Days without any event that count as churn.")
    ] = DEFAULT_CHURN_DAYS,
    network: Annotated[
        bool, typer.Option("--network-effects", help="Add spillover estimates (ab spillover).")
    ] = False,
    design_file: Annotated[
        Path | None, typer.Option("--design-file", help="--network-effects: the ab design record.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of Louvain (communities, influencers).")] = 0,
    config: CONFIG_OPTION = None,
    weights: Annotated[str | None, typer.Option("--weights", help=WEIGHTS_HELP)] = None,
    mde: MDE_OPTION = None,
    sequential: SEQUENTIAL_OPTION = None,
) -> None:
    """The A/B report: verdict cards, SRM, metrics with CIs, CUPED, graph segments,
    survival, summary.

    Segments: degree deciles and influencers vs others, with Cochran's Q and a trend test.

    Survival: Kaplan–Meier time to churn per arm and the log-rank test.
    """
    from graphkit.workflows.network import opened_store
    from graphkit.workflows.reports import planned_experiment_report

    check_outputs(out)
    with opened_store(settings) as store:
        report = planned_experiment_report(
            store,
            name,
            _plan(config),
            metrics=metric,
            post_days=post_days,
            pre_days=pre_days,
            churn_days=churn_days,
            spec=spec,
            seed=seed,
            network_effects=network,
            design_file=design_file,
            control=control if control != "control" else None,
            correction=correction.value if correction is not CorrectionChoice.holm else None,
            alpha=alpha if alpha != 0.05 else None,
            weights=_named_weights(weights),
            mde=mde,
            sequential=sequential,
        )
    deliver(report, out)


@app.command("engagement")
@handles_errors
@uses_store
def engagement_command(
    settings: Settings,
    out: REPORT_OUT_OPTION = None,
    since: SinceOption = None,
    until: UntilOption = None,
    anomaly_metric: Annotated[
        str,
        typer.Option(
            "--anomaly-metric",
            help=f"Daily metric checked for anomalies: {', '.join(DAILY_METRICS)}, or event:NAME.",
        ),
    ] = "dau",
    rule: Annotated[
        RuleChoice,
        typer.Option(help="Anomaly band: sigma (mean ± 3 SD) or iqr (Tukey fences)."),
    ] = RuleChoice.sigma,
    action: Annotated[
        str,
        typer.Option(help="Aha action: connections, received, or event:NAME (e.g. event:message)."),
    ] = "connections",
) -> None:
    """The engagement report: DAU/WAU/MAU and stickiness, retention cohorts, anomalies,
    the aha moment (a correlation), with a summary."""
    from graphkit.report import engagement

    check_outputs(out)
    report = engagement(
        settings,
        since=utc(since),
        until=utc(until),
        anomaly_metric=anomaly_metric,
        rule=rule.value,
        action=action,
    )
    deliver(report, out)
