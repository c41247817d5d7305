"""The one error tree of graphkit.

Every failure a user can cause or fix is a :class:`GraphkitError`; the CLI catches it
once, prints one line plus a hint, and exits with the class's ``exit_code``::

    GraphkitError                 exit 1  anything we anticipated but did not classify
    ├── DataError                 exit 2  bad input: names file, line, column, expectation
    │   └── DataErrors            exit 2  several DataErrors found in one validation pass
    ├── ConfigError               exit 2  a flag, env var or config value is wrong
    │   └── ParameterError        exit 2  a function argument is wrong: names the parameter
    ├── InsufficientData          exit 4  valid input that cannot answer the question asked
    └── StoreUnavailable          exit 3  Neo4j unreachable, wrong credentials, store missing

Foreign exceptions (driver, pandas, OS) are translated with ``raise ... from exc`` so the
cause stays visible to developers while users see our message. Messages never contain a
password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@\s:'\"]*):[^/@\s]*@")


def redact(text: str) -> str:
    """Hide the password of every URI in ``text``: ``bolt://neo4j:secret@h`` → ``bolt://neo4j:***@h``.

    Examples
    --------
    >>> redact("Neo4j at 'bolt://neo4j:s3cr:et@db:7687' failed")
    "Neo4j at 'bolt://neo4j:***@db:7687' failed"
    """
    return _USERINFO.sub(r"\g<scheme>\g<user>:***@", text)


class GraphkitError(Exception):
    """Base class: a message for the user plus a hint on what to do next.

    Message and hint are redacted (:func:`redact`): whatever a caller puts in them, a
    password inside a URI is never shown.
    """

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = None if hint is None else redact(hint)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Location:
    """Where in the input a problem is: file, 1-based line (header is line 1), column."""

    file: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


class DataError(GraphkitError):
    """Bad input data: says where (file, line, column) and what was expected."""

    exit_code = 2

    def __init__(
        self,
        problem: str,
        *,
        location: Location | None = None,
        expected: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.location = location
        self.expected = expected
        text = f"{location}: {problem}" if location else problem
        if expected:
            text += f" (expected {expected})"
        super().__init__(text, hint=hint)


class DataErrors(DataError):
    """All problems one validation pass found, so users fix them in one go."""

    def __init__(self, errors: list[DataError], *, total: int | None = None) -> None:
        self.errors = errors
        self.total = total if total is not None else len(errors)
        first = errors[0]
        more = self.total - 1
        suffix = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
        super().__init__(first.message + suffix, hint=first.hint)
        # DataError.__init__ formatted a location-less message; keep the first error's.
        self.location = first.location


class ConfigError(GraphkitError):
    """A flag, environment variable or configuration value is invalid."""

    exit_code = 2


class ParameterError(ConfigError):
    """A caller passed a value a function cannot use; the message names the parameter.

    The library speaks in parameter names (``resolution must be positive (got -1)``); the
    CLI, which knows which flag fills each parameter, re-words it with :meth:`naming`
    (``--resolution must be positive (got -1)``). ``problem`` is the rest of the sentence
    after the name, so it reads well either way. Hints name no flag for the same reason.

    Examples
    --------
    >>> error = ParameterError("resolution", "must be positive (got -1)")
    >>> str(error)
    'resolution must be positive (got -1)'
    >>> str(error.naming("--resolution"))
    '--resolution must be positive (got -1)'
    """

    def __init__(self, parameter: str, problem: str, *, hint: str | None = None) -> None:
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"{parameter} {problem}", hint=hint)

    def naming(self, name: str) -> ParameterError:
        """The same error, with ``name`` (a flag) where the parameter was named."""
        renamed = ParameterError(name, self.problem, hint=self.hint)
        renamed.parameter = self.parameter
        return renamed


class InsufficientData(GraphkitError):
    """The input is valid but cannot answer the question (empty graph, empty arm...)."""

    exit_code = 4


class StoreUnavailable(GraphkitError):
    """The store cannot be reached or opened (Neo4j down, wrong credentials...)."""

    exit_code = 3
