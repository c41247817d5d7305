"""The graphkit command line: a thin Typer layer over :mod:`graphkit.workflows`.

Exit codes: 0 ok; 1 unexpected failure; 2 bad input or usage (file, line, column named);
3 store unavailable (Neo4j down, wrong credentials, empty embedded store);
4 valid input that cannot answer the question (e.g. empty graph).
"""

import typer

from graphkit.cli import ab, browser, data, engagement, network, report

app = typer.Typer(
    name="graphkit",
    help="Social-graph insights: load users and interactions into Neo4j (or the embedded "
    "store), rank influencers, find communities, and join graph position onto "
    "experiments and engagement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data.register(app)
network.register(app)
app.add_typer(engagement.app, name="engagement")
app.add_typer(report.app, name="report")
app.add_typer(ab.app, name="ab")
app.command("browser")(browser.browser_command)


def main() -> None:
    app()
