"""What every command shares: store and subgraph options, output, progress, errors.

This is the only layer that prints or exits. Data goes to stdout (or ``--out``),
messages and progress to stderr.

Everything printed is plain text: the consoles read no rich markup (``[red]``) and no
emoji codes (``:smile:``), because what they print is full of user data (ids, property
names, paths, values in error messages) that must show exactly as written. Styling is
added explicitly with :func:`labelled`, never by markup inside a string.
"""

from __future__ import annotations

import functools
import inspect
import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, get_origin

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer.models import ArgumentInfo, OptionInfo

from graphkit.config import Settings, resolve_settings
from graphkit.errors import ConfigError, DataErrors, GraphkitError, ParameterError
from graphkit.json_text import json_text

if TYPE_CHECKING:  # heavy modules load inside commands: `graphkit --help` stays fast
    import pandas as pd

    from graphkit.graph.pull import SubgraphSpec
    from graphkit.store.base import ProgressCallback


def plain_console(*, stderr: bool = False, record: bool = False) -> Console:
    """A console that prints strings as they are (see the module docstring)."""
    file = io.StringIO() if record else None
    width = 200 if record else None
    return Console(
        stderr=stderr,
        file=file,
        record=record,
        width=width,
        soft_wrap=not record,
        markup=False,
        emoji=False,
        highlight=False,
    )


stderr = plain_console(stderr=True)
stdout = plain_console()


def text_console() -> Console:
    """A console that records plain text, for tables written to ``--out`` files."""
    return plain_console(record=True)


def labelled(label: str, message: str, style: str = "bold red") -> Text:
    """``label`` in ``style``, then ``message`` exactly as written (never read as markup)."""
    return Text.assemble((label, style), " ", message)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def flag_for(command: Callable[..., Any] | None, parameter: str) -> str:
    """The flag that fills the library's ``parameter`` in ``command``.

    Commands name their Python parameters after the library's, so the match is by name
    and the flag is read from the parameter's ``typer.Option``; a parameter the command
    does not declare is shown in flag spelling (``min_history`` → ``--min-history``).
    """
    if command is not None:
        try:
            declared = inspect.signature(command, eval_str=True).parameters.get(parameter)
        except (NameError, TypeError, ValueError):
            declared = None
        if declared is not None and get_origin(declared.annotation) is Annotated:
            for info in declared.annotation.__metadata__:
                if isinstance(info, ArgumentInfo):
                    return parameter.upper()
                if isinstance(info, OptionInfo):
                    # In `Annotated[..., typer.Option("--flag")]` the first flag lands in
                    # `default` (typer's signature), the others in `param_decls`.
                    declared_flags = (info.default, *(info.param_decls or ()))
                    flags = [d for d in declared_flags if isinstance(d, str) and d.startswith("--")]
                    if flags:
                        return flags[0].split("/")[0]
    return "--" + parameter.replace("_", "-")


def fail(error: GraphkitError, command: Callable[..., Any] | None = None) -> typer.Exit:
    """Print one line (plus a hint) for a GraphkitError; return the Exit to raise.

    A DataErrors lists each problem it holds on its own line. Messages quote user data
    and print as written: a value like ``[red]`` shows as itself, not as markup. A
    ParameterError is re-worded to name the flag instead of the library's parameter.
    """
    if isinstance(error, ParameterError):
        error = error.naming(flag_for(command, error.parameter))
    stderr.print(labelled("error:", error.message))
    if isinstance(error, DataErrors):
        for other in error.errors[1:]:
            stderr.print(f"       {other.message}")
        if error.total > len(error.errors):
            stderr.print(f"       … {error.total - len(error.errors)} more not shown")
    if error.hint:
        stderr.print(labelled("hint:", error.hint, "bold"))
    return typer.Exit(error.exit_code)


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Translate GraphkitError into a one-line message and its documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GraphkitError as error:
            raise fail(error, func) from None

    return wrapper


# ----------------------------------------------------------------- store and subgraph options

STORE_OPTIONS: dict[str, tuple[Any, Any]] = {
    "neo4j": (
        str | None,
        typer.Option(
            "--neo4j",
            metavar="URI",
            rich_help_panel="Store",
            help="Neo4j Bolt URI (env GRAPHKIT_NEO4J_URI). Without it graphkit uses the "
            "embedded store.",
        ),
    ),
    "neo4j_user": (
        str | None,
        typer.Option(
            "--neo4j-user",
            rich_help_panel="Store",
            help="Neo4j user (env GRAPHKIT_NEO4J_USER, default neo4j).",
        ),
    ),
    "neo4j_password": (
        str | None,
        typer.Option(
            "--neo4j-password",
            rich_help_panel="Store",
            show_default=False,
            help="Neo4j password (env GRAPHKIT_NEO4J_PASSWORD; prefer the env var). Never printed.",
        ),
    ),
    "neo4j_database": (
        str | None,
        typer.Option(
            "--neo4j-database",
            rich_help_panel="Store",
            help="Neo4j database (env GRAPHKIT_NEO4J_DATABASE, default neo4j).",
        ),
    ),
    "store": (
        Path | None,
        typer.Option(
            "--store",
            metavar="DIR",
            rich_help_panel="Store",
            help="Embedded store folder (env GRAPHKIT_STORE, default .graphkit).",
        ),
    ),
}

SUBGRAPH_OPTIONS: dict[str, tuple[Any, Any]] = {
    "since": (
        datetime | None,
        typer.Option(
            "--since",
            rich_help_panel="Subgraph",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
            help="Only interactions at or after this time (UTC).",
        ),
    ),
    "until": (
        datetime | None,
        typer.Option(
            "--until",
            rich_help_panel="Subgraph",
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
            help="Only interactions before this time (UTC).",
        ),
    ),
    "type": (
        list[str] | None,
        typer.Option(
            "--type",
            rich_help_panel="Subgraph",
            help="Only interactions of this type (repeatable).",
        ),
    ),
    "min_weight": (
        float,
        typer.Option(
            "--min-weight",
            rich_help_panel="Subgraph",
            help="Drop pairs whose summed weight is below this.",
        ),
    ),
    "directed": (
        bool,
        typer.Option(
            "--directed",
            rich_help_panel="Subgraph",
            help="Keep interaction direction (default: fold pairs into undirected ties).",
        ),
    ),
    "ego": (
        str | None,
        typer.Option(
            "--ego",
            metavar="USER_ID",
            rich_help_panel="Subgraph",
            help="Only the ego network of this user.",
        ),
    ),
    "hops": (
        int,
        typer.Option("--hops", rich_help_panel="Subgraph", help="Radius of the ego network."),
    ),
    "community": (
        int | None,
        typer.Option(
            "--community",
            metavar="ID",
            rich_help_panel="Subgraph",
            help="Only members of this community (needs `communities --write-back`).",
        ),
    ),
}
SUBGRAPH_DEFAULTS = {
    "since": None,
    "until": None,
    "type": None,
    "min_weight": 0.0,
    "directed": False,
    "ego": None,
    "hops": 1,
    "community": None,
}


def settings_from(values: dict[str, Any]) -> Settings:
    return resolve_settings(
        neo4j_uri=values["neo4j"],
        neo4j_user=values["neo4j_user"],
        neo4j_password=values["neo4j_password"],
        neo4j_database=values["neo4j_database"],
        store_dir=values["store"],
    )


def utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def spec_from(values: dict[str, Any]) -> SubgraphSpec:
    from graphkit.graph.pull import SubgraphSpec

    return SubgraphSpec(
        since=utc(values["since"]),
        until=utc(values["until"]),
        types=tuple(values["type"]) if values["type"] else None,
        min_weight=values["min_weight"],
        directed=values["directed"],
        ego=values["ego"],
        hops=values["hops"],
        community=values["community"],
    )


def _extend_signature(
    func: Callable[..., Any],
    groups: list[dict[str, tuple[Any, Any]]],
    defaults: dict[str, Any],
    replaced: list[str],
) -> inspect.Signature:
    signature = inspect.signature(func)
    params = [p for p in signature.parameters.values() if p.name not in replaced]
    annotations = {k: v for k, v in func.__annotations__.items() if k not in replaced}
    for group in groups:
        for name, (kind, option) in group.items():
            # Built at run time from the option tables; mypy cannot check a dynamic type.
            annotation = Annotated[kind, option]  # type: ignore[valid-type]
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=defaults.get(name),
                    annotation=annotation,
                )
            )
            annotations[name] = annotation
    func.__annotations__ = annotations
    return signature.replace(parameters=params)


def uses_store(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the store options; it receives ``settings: Settings``."""

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in STORE_OPTIONS}
        return func(settings=settings_from(values), **kwargs)

    wrapper.__signature__ = _extend_signature(wrapper, [STORE_OPTIONS], {}, ["settings"])  # type: ignore[attr-defined]
    return wrapper


def pulls_subgraph(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the store and subgraph options; it receives ``settings`` and ``spec``."""

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        store_values = {name: kwargs.pop(name) for name in STORE_OPTIONS}
        spec_values = {name: kwargs.pop(name) for name in SUBGRAPH_OPTIONS}
        return func(settings=settings_from(store_values), spec=spec_from(spec_values), **kwargs)

    wrapper.__signature__ = _extend_signature(  # type: ignore[attr-defined]
        wrapper, [SUBGRAPH_OPTIONS, STORE_OPTIONS], SUBGRAPH_DEFAULTS, ["settings", "spec"]
    )
    return wrapper


# ----------------------------------------------------------------- output


OUT_SUFFIXES = {
    ".csv": OutputFormat.csv,
    ".json": OutputFormat.json,
    ".parquet": OutputFormat.csv,  # the rows CSV would hold, written as Parquet
    ".txt": OutputFormat.table,
    "": OutputFormat.table,
}
"""What an ``--out`` file's suffix means; any other suffix is refused (README, "Output")."""


def check_out_suffix(out: Path | None) -> Path | None:
    """Refuse an ``--out`` whose suffix names a format graphkit does not write (xlsx...)."""
    if out is not None and out.suffix.lower() not in OUT_SUFFIXES:
        raise typer.BadParameter(
            f"graphkit does not write {out.suffix} files: name it .csv, .json, .parquet "
            "or .txt (the table as shown)"
        )
    return out


def check_csv_out(out: Path | None) -> Path | None:
    """For options that write CSV only: ``-`` (stdout) or a ``.csv`` file."""
    if out is not None and str(out) != "-" and out.suffix.lower() != ".csv":
        raise typer.BadParameter(f"this writes CSV: name the file .csv, not {out.name!r}")
    return out


def format_for(fmt: OutputFormat | None, out: Path | None) -> OutputFormat:
    """An explicit --format wins; else the --out suffix decides; else a table.

    An explicit format that contradicts the suffix (``--format csv --out x.json``) is
    refused: the file would not hold what its name says.
    """
    suffix = "" if out is None else out.suffix.lower()
    if fmt is None:
        return OUT_SUFFIXES.get(suffix, OutputFormat.table)
    if suffix in (".csv", ".json", ".parquet") and OUT_SUFFIXES[suffix] is not fmt:
        raise ConfigError(
            f"--format {fmt.value} does not match --out {out}",
            hint="drop --format (the file's suffix decides the format)",
        )
    return fmt


def to_json(data: Any) -> str:
    """Deterministic JSON at full precision (:func:`graphkit.json_text.json_text`)."""
    return json_text(data)


def render_table(
    frame: pd.DataFrame, title: str | None = None, caption: str | None = None
) -> Table:
    table = Table(title=title, caption=caption, show_lines=False)
    for column in frame.columns:
        numeric = frame[column].dtype.kind in "biufc"  # bool, int, unsigned, float, complex
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False, name=None):
        table.add_row(*[f"{v:.6g}" if isinstance(v, float) else str(v) for v in row])
    return table


def _write_out(out: Path, write: Callable[[Path], object]) -> None:
    """Create the folder and write ``out``; an OS refusal is one line, exit 2."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write(out)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, FileExistsError | NotADirectoryError) or out.parent.is_file():
            reason = "a part of the path is a file, not a folder"
        raise fail(ConfigError(f"cannot write {out}: {reason}")) from exc
    stderr.print(f"wrote {out}")


def emit(text: str, out: Path | None) -> None:
    """Write data to --out, or to stdout."""
    if out is None:
        sys.stdout.write(text)
        return
    if out.suffix.lower() == ".parquet":
        raise fail(
            ConfigError(
                f"cannot write {out}: this output is not a table",
                hint="Parquet holds tables only; name the file .json or .txt",
            )
        )
    _write_out(out, lambda path: path.write_text(text, encoding="utf-8"))


def emit_frame(
    frame: pd.DataFrame,
    fmt: OutputFormat,
    out: Path | None,
    *,
    title: str | None = None,
    caption: str | None = None,
    json_data: Any = None,
) -> None:
    """Render a frame as table, CSV or JSON (``json_data`` overrides the records).

    An ``--out`` ending in ``.parquet`` receives the frame itself, as Parquet.
    """
    if out is not None and out.suffix.lower() == ".parquet":
        _write_out(out, lambda path: frame.to_parquet(path, index=False))
    elif fmt is OutputFormat.csv:
        emit(frame.to_csv(index=False), out)
    elif fmt is OutputFormat.json:
        emit(to_json(json_data if json_data is not None else frame.to_dict("records")), out)
    elif out is None:
        stdout.print(render_table(frame, title, caption))
    else:
        console = text_console()
        console.print(render_table(frame, title, caption))
        emit(console.export_text(), out)


class Result(Protocol):
    """What every command prints: a result that serialises itself.

    ``to_dict()`` is the documented JSON (a list of rows for the per-user tables of
    ``centrality`` and ``features``); ``to_frame()`` the rows of the table and CSV.
    """

    def to_dict(self) -> dict[str, Any] | list[dict[str, Any]]: ...

    def to_frame(self) -> pd.DataFrame: ...


def emit_result(
    result: Result,
    fmt: OutputFormat,
    out: Path | None,
    *,
    title: str | None = None,
    caption: str | None = None,
) -> None:
    """Print a result as a table, CSV (its frame) or JSON (its dict): the CLI's one renderer."""
    if fmt is OutputFormat.json and (out is None or out.suffix.lower() != ".parquet"):
        emit(to_json(result.to_dict()), out)
        return
    emit_frame(result.to_frame(), fmt, out, title=title, caption=caption)


# ----------------------------------------------------------------- progress


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressCallback | None]:
    """A rich progress bar on a terminal; nothing when stderr is piped or in tests."""
    if not stderr.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def advance(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{description}: {stage}", completed=done, total=total)

        yield advance


FORMAT_OPTION = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format", "-f", help="table, csv or json (default: from the --out suffix, else table)."
    ),
]
OUT_OPTION = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        callback=check_out_suffix,
        help="Write the data to this file instead of stdout (.csv, .json, .parquet or .txt).",
    ),
]


def split_list(text: str, option: str) -> list[str]:
    """``"a, b"`` → ``["a", "b"]``; an empty item is a usage error naming the option."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise ConfigError(f"{option} {text!r} has an empty item", hint="separate names by commas")
    return items


def parse_number(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{option}: {text!r} is not a number") from None


def parse_time(text: str | None, option: str) -> datetime | None:
    """An ISO-8601 time or date as an aware UTC datetime; no offset means UTC.

    Examples
    --------
    >>> parse_time("2026-03-01T12:00:00+02:00", "--at").isoformat()
    '2026-03-01T10:00:00+00:00'
    >>> parse_time("2026-03-01", "--at").isoformat()
    '2026-03-01T00:00:00+00:00'
    """
    if text is None:
        return None
    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{option} {text!r} is not a time", hint="write YYYY-MM-DD or an ISO-8601 time"
        ) from None
    if stamp.tzinfo is None:
        return stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)
