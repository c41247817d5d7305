"""`graphkit report ...`: reports people read, written as HTML, Markdown, JSON or CSV."""

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli.common import emit, handles_errors, pulls_subgraph, stderr
from graphkit.config import Settings
from graphkit.graph.pull import SubgraphSpec
from graphkit.reports import render_markdown, report_format, write_report
from graphkit.reports.document import Report
from graphkit.workflows import reports as report_workflows

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
    for out in outs or []:
        report_format(out)


def deliver(report: Report, outs: list[Path] | None) -> None:
    """Write the report to every ``--out`` (format by suffix), or Markdown to stdout."""
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
    spec: SubgraphSpec,
    out: REPORT_OUT_OPTION = None,
    top: Annotated[int, typer.Option("--top", "-n", help="Length of every top list.")] = 10,
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample",
            metavar="K",
            help="Estimate betweenness and closeness from K random source users "
            "(default: exact up to 5,000 users, K=200 above).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for sampling and Louvain.")] = 0,
) -> None:
    """Who the influential users are: top lists, bridges, agreement, communities, insights.

    Composite rank: the mean of the percentile ranks by degree, betweenness, closeness, PageRank.

    Bridges: the most betweenness above what the degree predicts, among the top 10% by it.
    """
    check_outputs(out)
    report = report_workflows.influencer_report(settings, spec, top=top, sample=sample, seed=seed)
    deliver(report, out)
