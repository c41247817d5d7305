"""Library errors name parameters; the CLI re-words them with the flag the user typed."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.testing import CliRunner

from graphkit.cli.common import handles_errors
from graphkit.errors import ParameterError

app = typer.Typer()


@app.command()
@handles_errors
def demo(
    path: Annotated[str, typer.Argument()] = "x",
    resolution: Annotated[float, typer.Option("--resolution", "-r")] = 1.0,
    broken: Annotated[str, typer.Option("--which-one")] = "resolution",
) -> None:
    raise ParameterError(broken, f"must be positive (got {resolution})", hint="use a value > 0")


def test_library_message_names_the_parameter() -> None:
    error = ParameterError("min_history", "must be at least 1 (got 0)")
    assert str(error) == "min_history must be at least 1 (got 0)"
    assert error.exit_code == 2


def test_cli_names_the_flag_the_parameter_is_filled_by() -> None:
    result = CliRunner().invoke(app, ["-r", "-1"])
    assert result.exit_code == 2
    assert "error: --resolution must be positive (got -1.0)" in result.output
    assert "hint: use a value > 0" in result.output


def test_an_argument_is_named_in_capitals_and_an_undeclared_parameter_in_flag_spelling() -> None:
    argument = CliRunner().invoke(app, ["--which-one", "path"])
    assert "error: PATH must be positive" in argument.output
    other = CliRunner().invoke(app, ["--which-one", "min_history"])
    assert "error: --min-history must be positive" in other.output


def test_a_real_command_names_its_flags_for_the_library_parameters() -> None:
    from graphkit.cli import app as graphkit_app

    result = CliRunner().invoke(
        graphkit_app, ["ab", "power", "--kind", "proportion", "--delta", "0.1", "--baseline", "0.1"]
    )
    assert result.exit_code == 2
    assert "error: --delta is for kind 'mean'; a proportion takes baseline and target" in (
        result.output
    )
