"""The report document model refuses what no renderer could write."""

from __future__ import annotations

import matplotlib.figure
import pandas as pd
import pytest

from graphkit.errors import ConfigError
from graphkit.reports import Bullets, Fact, Figure, Paragraph, Report, Section, Table


def frame() -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["a", "b"], "score": [0.5, 0.25]})


def test_blocks_are_found_in_reading_order():
    first, second = Table("first", frame()), Table("second", frame())
    figure = Figure("plot", matplotlib.figure.Figure())
    report = Report(
        "demo",
        "Demo",
        [Section("One", [Paragraph("p"), first]), Section("Two", [figure, Bullets(["x"]), second])],
    )
    assert [t.name for t in report.tables()] == ["first", "second"]
    assert report.figures() == [figure]
    assert report.table("second") is second
    assert [s.anchor for s in report.sections] == ["one", "two"]


@pytest.mark.parametrize("name", ["Top users", "top-users", "", "_x", "über"])
def test_names_must_be_usable_as_file_names(name: str):
    with pytest.raises(ConfigError, match="file name"):
        Table(name, frame())
    with pytest.raises(ConfigError, match="file name"):
        Figure(name, matplotlib.figure.Figure())


def test_duplicate_names_are_refused():
    with pytest.raises(ConfigError, match=r"two tables named \['t'\]"):
        Report(
            "demo",
            "Demo",
            [Section("A", [Table("t", frame())]), Section("B", [Table("t", frame())])],
        )
    with pytest.raises(ConfigError, match=r"two facts named \['n'\]"):
        Report("demo", "Demo", [], facts=[Fact("n", "N", 1), Fact("n", "N again", 2)])


def test_formats_must_name_columns_and_main_table_must_exist():
    with pytest.raises(ConfigError, match="unknown columns"):
        Table("t", frame(), formats={"pagerank": ".3f"})
    with pytest.raises(ConfigError, match="main_table 'missing'"):
        Report("demo", "Demo", [Section("A", [Table("t", frame())])], main_table="missing")


def test_section_anchor_is_a_slug():
    assert Section("Do the measures agree?").anchor == "do-the-measures-agree"
    assert Section("???").anchor == "section"
