"""`graphkit report ...`: reports people read, written as HTML, Markdown, JSON or CSV."""

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli.common import emit, handles_errors, pulls_subgraph, stderr
from graphkit.config import Settings
from graphkit.graph.pull import SubgraphSpec
from graphkit.reports import render_markdown, write_report
from graphkit.reports.document import Report
from graphkit.workflows import reports as report_workflows

app = typer.Typer(
    help="Reports people read: `--out report.html` (one self-contained file), `.md` "
    "(figures next to it), `.json` (documented, deterministic) or `.csv` (the tables).",
    no_args_is_help=True,
)

REPORT_OUT_OPTION = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Write the report here; the suffix picks the format: .html, .md, .json or .csv. "
        "Without it, Markdown (no figures) goes to stdout.",
    ),
]


def deliver(report: Report, out: Path | None) -> None:
    """Write the report to ``out`` (format by suffix), or Markdown to stdout."""
    if out is None:
        emit(render_markdown(report), None)
        stderr.print("note: figures are left out on stdout; use --out FILE.html or FILE.md")
        return
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
    """Who the influential users are: top lists by each centrality and a composite rank,
    bridge users, agreement between measures, communities, plain-language insights.

    Composite rank: mean of the percentile ranks by degree, betweenness, closeness and
    PageRank. Bridges: the highest ratio of betweenness to the betweenness expected for
    the user's degree (log–log least squares), among the top 10% by betweenness.
    """
    report = report_workflows.influencer_report(settings, spec, top=top, sample=sample, seed=seed)
    deliver(report, out)
