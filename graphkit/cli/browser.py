"""`graphkit browser`: ready Neo4j Browser queries and the Browser style."""

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli.common import (
    FORMAT_OPTION,
    check_out_suffix,
    emit,
    emit_result,
    format_for,
    handles_errors,
    stderr,
)

STYLE_NOTE = (
    "apply it: drag the file onto the Neo4j Browser window, or serve it and run "
    "`:style <url>`; run cypher/browser/style_labels.cypher after each write-back first "
    "(GraSS styles labels, not property values)"
)


# The Browser's own files (queries, the GraSS style) as well as the usual table suffixes.
BROWSER_SUFFIXES = (".cypher", ".cql", ".grass")


def check_browser_out(out: Path | None) -> Path | None:
    if out is not None and out.suffix.lower() in BROWSER_SUFFIXES:
        return out
    return check_out_suffix(out)


BROWSER_OUT_OPTION = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        callback=check_browser_out,
        help="Write to this file instead of stdout (.cypher or .grass; --list: .csv, .json, "
        ".parquet or .txt).",
    ),
]


@handles_errors
def browser_command(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="NAME",
            help="Queries to print (default: all). See --list.",
            show_default=False,
        ),
    ] = None,
    list_queries: Annotated[
        bool, typer.Option("--list", help="List the queries and their parameters instead.")
    ] = False,
    style: Annotated[
        bool, typer.Option("--style", help="Print the Browser style file (GraSS) instead.")
    ] = False,
    fmt: FORMAT_OPTION = None,
    out: BROWSER_OUT_OPTION = None,
) -> None:
    """Print ready Neo4j Browser queries (cypher/browser/*.cypher), one per file.

    Each file starts with what it shows, what must run first, and its :param lines.

    `graphkit browser --list` shows the queries and their parameters.
    """
    from graphkit.reports.browser import browser, grass_path

    if style:
        emit(grass_path().read_text(encoding="utf-8"), out)
        stderr.print(f"note: {grass_path()} — {STYLE_NOTE}")
        return
    found = browser(names)
    if list_queries:
        emit_result(found, format_for(fmt, out), out, title="Neo4j Browser queries")
        return
    emit(found.text, out)
