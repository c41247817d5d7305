"""Options several command groups declare alike (``ab assign`` and ``ab design``, the
``ab`` tables and ``ab spillover``...), and the parsing they share.

A light module: stdlib and typer only, so ``--help`` stays fast.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from graphkit.cli.common import parse_number, parse_time, split_list, stderr

EXPERIMENT_NAME_ARGUMENT = Annotated[
    str, typer.Argument(help="Experiment name (part of the hash key).")
]
VARIANTS_OPTION = Annotated[
    str, typer.Option("--variants", help="Comma-separated variant names, control first.")
]
WEIGHTS_LIST_OPTION = Annotated[
    str | None,
    typer.Option("--weights", help="Comma-separated relative weights per arm, e.g. 50,50."),
]
SALT_OPTION = Annotated[str, typer.Option("--salt", help="Salt: change it to reshuffle the split.")]
ASSIGNED_AT_OPTION = Annotated[
    str | None,
    typer.Option("--assigned-at", help="Assignment time (ISO-8601, UTC); default now."),
]
FORCE_OPTION = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]
APPEND_OPTION = Annotated[
    bool,
    typer.Option(
        "--append", help="Add to an existing file, replacing this experiment's earlier rows."
    ),
]
TABLE_OPTION = Annotated[
    Path | None,
    typer.Option(
        "--table",
        metavar="FILE",
        rich_help_panel="Your own table",
        help="Per-user CSV/Parquet table instead of a stored experiment.",
    ),
]
VARIANT_COL_OPTION = Annotated[
    str,
    typer.Option(
        "--variant-col", rich_help_panel="Your own table", help="Column with each user's arm."
    ),
]
ALPHA_OPTION = Annotated[float, typer.Option("--alpha", help="Significance level.")]


def print_notes(notes: Iterable[str]) -> None:
    """Each note on its own ``note:`` line on stderr."""
    for note in notes:
        stderr.print(f"note: {note}", markup=False)


def given(value: Any) -> Any:
    """A flag's value as a settings object takes it: an enum's text, a repeated flag as a
    tuple, None for "not given" (so a definition file or the default decides)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return tuple(value) or None
    return value


def given_values(flags: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """``{name: given(flags[name])}``: the settings fields named like their flags."""
    return {name: given(flags[name]) for name in names}


def variant_names(text: str) -> list[str]:
    """``control,treatment`` → the arms, naming ``--variants`` when an item is empty."""
    return split_list(text, "--variants")


def weight_list(text: str | None) -> list[float] | None:
    """``50,50`` → ``[50.0, 50.0]`` (None when not given), naming ``--weights``."""
    if text is None:
        return None
    return [parse_number(item, "--weights") for item in split_list(text, "--weights")]


def assignment_time(text: str | None) -> datetime:
    """``--assigned-at`` as a UTC time; now (to the second) when not given."""
    return parse_time(text, "--assigned-at") or datetime.now(UTC).replace(microsecond=0)
