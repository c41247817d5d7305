"""The report document model: what a report says, independent of how it is rendered.

A :class:`Report` is a title, a few key ``facts``, the ``parameters`` it was made with and
an ordered list of :class:`Section`\\ s. A section holds blocks in reading order:

* :class:`Paragraph` — one paragraph of plain text;
* :class:`Bullets` — a list of short sentences (the "insights" of a report);
* :class:`Table` — a pandas DataFrame with a ``name`` (its JSON key and CSV file name),
  a caption, and optional per-column format specs for people-facing renderings;
* :class:`Figure` — a matplotlib Figure with a ``name`` (its PNG file name), a caption and
  alt text.

Renderers (:mod:`graphkit.reports.renderers`) turn one document into HTML, Markdown, JSON
or CSV, so a new report is written once, as a function returning a ``Report``.

Example
-------
>>> import pandas as pd
>>> report = Report(
...     kind="demo",
...     title="Demo",
...     sections=[Section("Numbers", [Paragraph("Two rows."),
...                                   Table("numbers", pd.DataFrame({"x": [1, 2]}))])],
... )
>>> [t.name for t in report.tables()]
['numbers']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib.figure
import pandas as pd

from graphkit.errors import ConfigError

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]*$")
"""Table and figure names become file names and JSON keys: lower-case, digits, ``_``."""


def _check_name(kind: str, name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ConfigError(
            f"{kind} name {name!r} is not usable as a file name",
            hint="use lower-case letters, digits and underscores",
        )


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of plain text (no markup: renderers escape it)."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A list of short plain-text sentences."""

    items: tuple[str, ...]

    def __init__(self, items: Sequence[str]) -> None:
        object.__setattr__(self, "items", tuple(items))


@dataclass(frozen=True)
class Table:
    """A table of data.

    ``formats`` maps a column to a Python format spec used where people read the table
    (HTML, Markdown), e.g. ``{"share": ".1%", "pagerank": ".4f"}``; other float columns
    show 4 significant digits. JSON and CSV always carry the numbers (JSON rounded to
    :data:`~graphkit.reports.renderers.JSON_SIGNIFICANT_DIGITS` significant digits).
    """

    name: str
    frame: pd.DataFrame
    caption: str = ""
    formats: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_name("table", self.name)
        unknown = set(self.formats) - {str(c) for c in self.frame.columns}
        if unknown:
            raise ConfigError(f"table {self.name!r} has formats for unknown columns {unknown}")


@dataclass(frozen=True)
class Figure:
    """A matplotlib figure; ``alt`` describes it for readers who cannot see it."""

    name: str
    figure: matplotlib.figure.Figure
    caption: str = ""
    alt: str = ""

    def __post_init__(self) -> None:
        _check_name("figure", self.name)


Block = Paragraph | Bullets | Table | Figure


@dataclass(frozen=True)
class Fact:
    """A key number: ``key`` names it in JSON, ``label`` for people, ``format`` a spec."""

    key: str
    label: str
    value: Any
    format: str = ""

    def __post_init__(self) -> None:
        _check_name("fact", self.key)


@dataclass(frozen=True)
class Section:
    """A titled part of a report; ``blocks`` are shown in order."""

    title: str
    blocks: tuple[Block, ...] = ()

    def __init__(self, title: str, blocks: Sequence[Block] = ()) -> None:
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "blocks", tuple(blocks))

    @property
    def anchor(self) -> str:
        """A stable id for links (``#top-users``)."""
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "section"


@dataclass(frozen=True)
class Report:
    """A whole report.

    Parameters
    ----------
    kind : short machine name (``"influencers"``); JSON ``kind``.
    title : the heading people see.
    sections : in reading order.
    subtitle : one line under the title (what data, which window).
    facts : key numbers a reader wants first (JSON ``facts``; a summary list elsewhere).
    parameters : the options the report was made with (JSON ``parameters``).
    main_table : the table written to the ``--out`` path itself for ``.csv`` output
        (default: the first table).

    Raises
    ------
    ConfigError
        If two tables or two figures share a name, or ``main_table`` is not a table.
    """

    kind: str
    title: str
    sections: tuple[Section, ...]
    subtitle: str = ""
    facts: tuple[Fact, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    main_table: str | None = None

    def __init__(
        self,
        kind: str,
        title: str,
        sections: Sequence[Section],
        subtitle: str = "",
        facts: Sequence[Fact] = (),
        parameters: Mapping[str, Any] | None = None,
        main_table: str | None = None,
    ) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "sections", tuple(sections))
        object.__setattr__(self, "subtitle", subtitle)
        object.__setattr__(self, "facts", tuple(facts))
        object.__setattr__(self, "parameters", dict(parameters or {}))
        object.__setattr__(self, "main_table", main_table)
        for kind_name, names in (
            ("table", [t.name for t in self.tables()]),
            ("figure", [f.name for f in self.figures()]),
            ("fact", [f.key for f in self.facts]),
        ):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ConfigError(f"report {self.kind!r} has two {kind_name}s named {duplicates}")
        if main_table is not None and main_table not in {t.name for t in self.tables()}:
            raise ConfigError(f"main_table {main_table!r} is not a table of the report")

    def blocks(self) -> Iterator[Block]:
        for section in self.sections:
            yield from section.blocks

    def tables(self) -> list[Table]:
        return [b for b in self.blocks() if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for b in self.blocks() if isinstance(b, Figure)]

    def table(self, name: str) -> Table:
        for table in self.tables():
            if table.name == name:
                return table
        raise KeyError(name)
