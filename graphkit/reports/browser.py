"""Ready queries and a style for Neo4j Browser, kept in ``cypher/browser/``.

Each ``cypher/browser/<name>.cypher`` holds one query and a header of ``//`` comments::

    // Title: Top influencers by PageRank
    // Shows: what the rows and the graph view show (may continue on indented lines)
    // Needs: which graphkit command must have run first
    // Parameters (run these in Browser first):
    // :param limit => 25

The ``:param`` lines are Browser commands with example values; every ``$parameter`` of
the query has one. ``graphkit.grass`` is the matching Browser style (GraSS).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.errors import ConfigError
from graphkit.store.queries import cypher_dir

if TYPE_CHECKING:
    import pandas as pd

PARAM_LINE = re.compile(r"^//\s*:param\s+(\w+)\s*=>\s*(.+?)\s*$")
FIELD_LINE = re.compile(r"^//\s*(Title|Shows|Needs):\s*(.*)$")
QUERY_PARAMETER = re.compile(r"\$(\w+)")


@dataclass(frozen=True)
class BrowserQuery:
    """One saved Browser query: its file name, header fields and text."""

    name: str
    title: str
    shows: str
    needs: str
    params: dict[str, str]
    """Parameter name → example value as Cypher text (``25``, ``'u000001'``)."""
    text: str
    """The whole file, header included."""

    @property
    def body(self) -> str:
        """The query without its comment header."""
        lines = self.text.splitlines()
        start = next(i for i, line in enumerate(lines) if not line.startswith("//"))
        return "\n".join(lines[start:]).strip() + "\n"

    @property
    def param_commands(self) -> list[str]:
        """The Browser commands that set every parameter to its example value."""
        return [f":param {name} => {value}" for name, value in self.params.items()]

    def used_parameters(self) -> set[str]:
        return set(QUERY_PARAMETER.findall(self.body))


def browser_dir() -> Path:
    return cypher_dir() / "browser"


def grass_path() -> Path:
    """The Browser style file (GraSS)."""
    return browser_dir() / "graphkit.grass"


def parse_query(name: str, text: str) -> BrowserQuery:
    """Read the header of one query file (module docstring for the format)."""
    fields: dict[str, str] = {}
    params: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        if match := PARAM_LINE.match(line):
            params[match.group(1)] = match.group(2)
            current = None
        elif match := FIELD_LINE.match(line):
            current = match.group(1).lower()
            fields[current] = match.group(2).strip()
        elif current and line.startswith("//   "):
            fields[current] += " " + line[2:].strip()
        else:
            current = None
    return BrowserQuery(
        name=name,
        title=fields.get("title", name),
        shows=fields.get("shows", ""),
        needs=fields.get("needs", ""),
        params=params,
        text=text,
    )


def browser_queries() -> list[BrowserQuery]:
    """Every saved Browser query, by name."""
    return [
        parse_query(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(browser_dir().glob("*.cypher"))
    ]


def browser_query(name: str) -> BrowserQuery:
    """One saved query by file name (without ``.cypher``).

    Raises
    ------
    ConfigError
        If there is no such query; the message lists the names there are.
    """
    queries = {q.name: q for q in browser_queries()}
    if name not in queries:
        raise ConfigError(
            f"no Browser query named {name!r}",
            hint=f"choose from {', '.join(sorted(queries))} (or run `graphkit browser --list`)",
        )
    return queries[name]


@dataclass(frozen=True)
class BrowserQueries:
    """Saved Browser queries: ``text`` to paste (``graphkit browser``), or their list
    (``to_frame()`` / ``to_dict()``: ``graphkit browser --list``)."""

    queries: tuple[BrowserQuery, ...]

    @property
    def text(self) -> str:
        """The query files one after another, headers included."""
        return "\n".join(q.text for q in self.queries)

    def to_dict(self) -> list[dict[str, Any]]:
        return [
            {"name": q.name, "title": q.title, "parameters": ", ".join(q.params)}
            for q in self.queries
        ]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.to_dict(), columns=["name", "title", "parameters"])


def browser(names: Sequence[str] | None = None) -> BrowserQueries:
    """The saved Neo4j Browser queries ``names`` (default: all), as ``graphkit browser``.

    The Browser style is :func:`grass_path`.

    Examples
    --------
    >>> found = browser(["top_influencers"])
    >>> found.to_dict()[0]["name"], found.text.startswith("// Title:")
    ('top_influencers', True)
    """
    if names:
        return BrowserQueries(tuple(browser_query(n) for n in names))
    return BrowserQueries(tuple(browser_queries()))
