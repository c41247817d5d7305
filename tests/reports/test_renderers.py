"""Renderers: one document, four formats, chosen by the --out suffix."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import matplotlib.figure
import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from graphkit.errors import ConfigError
from graphkit.reports import (
    Bullets,
    Fact,
    Figure,
    Paragraph,
    Report,
    Section,
    Table,
    render_html,
    render_json,
    render_markdown,
    report_data,
    write_report,
)
from graphkit.reports.renderers import round_significant, shown


def line_figure() -> matplotlib.figure.Figure:
    figure = matplotlib.figure.Figure(figsize=(4, 3))
    figure.add_subplot().plot([1, 2, 3], [3, 1, 2])
    return figure


def sample_report() -> Report:
    scores = pd.DataFrame(
        {
            "user_id": ["a|b", "c <d>"],
            "pagerank": [0.123456789, float("nan")],
            "degree": np.array([3, 1], dtype="int64"),
            "bridge": [True, False],
            "signup_at": pd.to_datetime(["2026-01-01T00:00:00Z", "2026-01-02T12:00:00Z"]),
        }
    )
    agreement = pd.DataFrame({"a": ["x"], "b": ["y"], "tau": [1 / 3]})
    return Report(
        kind="demo",
        title="Demo & <report>",
        subtitle="two users",
        sections=[
            Section("Insights", [Bullets(["first <b>", "second"])]),
            Section(
                "Tables",
                [
                    Paragraph("Scores & ranks."),
                    Table("scores", scores, caption="Scores", formats={"pagerank": ".2%"}),
                    Table("agreement", agreement),
                    Figure("line", line_figure(), caption="A line", alt="a line going down"),
                ],
            ),
        ],
        facts=[Fact("users", "users", 2000, ","), Fact("gini", "Gini", 0.41234, ".2f")],
        parameters={"top": 10, "types": ["like"], "since": None},
        main_table="scores",
    )


# ------------------------------------------------------------------------------ values


def test_significant_rounding_and_people_formatting():
    assert round_significant(0.000123456789) == 0.000123457
    assert round_significant(123456789.0) == 123457000.0
    assert round_significant(float("inf")) is None
    assert shown(float("nan")) == "–"
    assert shown(0.123456) == "0.1235"
    assert shown(0.5, ".0%") == "50%"
    assert shown(np.int64(7)) == "7"
    assert shown(True) == "yes"


# ------------------------------------------------------------------------------ JSON


def test_json_follows_the_documented_schema():
    data = json.loads(render_json(sample_report()))
    assert data["format"] == "graphkit-report/1"
    assert data["kind"] == "demo"
    assert data["facts"] == {"users": 2000, "gini": 0.41234}
    assert data["parameters"] == {"top": 10, "types": ["like"], "since": None}
    assert [s["title"] for s in data["sections"]] == ["Insights", "Tables"]
    assert data["sections"][1]["blocks"] == [
        {"type": "paragraph", "text": "Scores & ranks."},
        {"type": "table", "name": "scores"},
        {"type": "table", "name": "agreement"},
        {"type": "figure", "name": "line", "caption": "A line"},
    ]
    scores = data["tables"]["scores"]
    assert scores["columns"] == ["user_id", "pagerank", "degree", "bridge", "signup_at"]
    first, second = scores["rows"]
    assert first == {
        "user_id": "a|b",
        "pagerank": 0.123457,  # six significant digits
        "degree": 3,
        "bridge": True,
        "signup_at": "2026-01-01T00:00:00+00:00",
    }
    assert second["pagerank"] is None  # NaN
    assert data["tables"]["agreement"]["rows"] == [{"a": "x", "b": "y", "tau": 0.333333}]


def test_json_is_deterministic_with_sorted_keys():
    text = render_json(sample_report())
    assert text == render_json(sample_report())

    def keys_sorted(value) -> bool:
        if isinstance(value, dict):
            return list(value) == sorted(value) and all(map(keys_sorted, value.values()))
        if isinstance(value, list):
            return all(map(keys_sorted, value))
        return True

    assert keys_sorted(json.loads(text))
    assert text.endswith("}\n")


def test_report_data_refuses_values_json_cannot_hold():
    report = Report("demo", "Demo", [], parameters={"path": object()})
    with pytest.raises(TypeError, match="cannot put a object"):
        report_data(report)


# ------------------------------------------------------------------------------ Markdown


def test_markdown_tables_escape_pipes_and_align_numbers():
    text = render_markdown(sample_report())
    assert text.startswith("# Demo & <report>\n\n_two users_\n")
    assert "- **users:** 2,000\n- **Gini:** 0.41" in text
    assert "| user_id | pagerank | degree | bridge | signup_at |" in text
    assert "|---|---:|---:|---|---|" in text
    assert "| a\\|b | 12.35% | 3 | yes | 2026-01-01T00:00:00+00:00 |" in text
    assert "| c <d> | – | 1 | no |" in text
    # Without a place for images the figure becomes a note, never a broken link.
    assert "_(figure: A line — write the report to an .html or .md file to see it)_" in text
    assert "![" not in text


def test_markdown_file_gets_its_figures_next_to_it(tmp_path: Path):
    out = tmp_path / "deep" / "report.md"
    written = write_report(sample_report(), out)
    png = tmp_path / "deep" / "report_files" / "line.png"
    assert written == [out, png]
    assert "![a line going down](report_files/line.png)\n\n_A line_" in out.read_text()
    image = matplotlib.image.imread(png)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert len(np.unique(image.reshape(-1, image.shape[2]), axis=0)) > 10  # a real plot


# ------------------------------------------------------------------------------ HTML


def test_html_is_one_self_contained_file():
    page = render_html(sample_report())
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    # Nothing to fetch: no script, no stylesheet link, no remote URL anywhere.
    assert "<script" not in page
    assert "<link" not in page
    assert not re.search(r"(src|href)=\"(?!data:|#)", page)
    assert "http://" not in page and "https://" not in page
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 1
    assert base64.b64decode(images[0]).startswith(b"\x89PNG\r\n\x1a\n")


def test_html_escapes_text_and_marks_numeric_columns():
    page = render_html(sample_report())
    assert "<title>Demo &amp; &lt;report&gt;</title>" in page
    assert "<li>first &lt;b&gt;</li>" in page
    assert "<td>c &lt;d&gt;</td>" in page
    assert "<td class=num>12.35%</td>" in page
    assert '<th scope="col" class=num>pagerank</th>' in page
    assert 'alt="a line going down"' in page
    assert '<nav aria-label="Contents">' in page and 'href="#tables"' in page


def test_html_sets_narrow_tables_side_by_side():
    page = render_html(sample_report())
    # "scores" has 5 columns and "agreement" 3: consecutive narrow tables share a grid.
    grid = re.search(r'<div class="table-grid">(.*?)</div></div>\s*<figure', page, re.S)
    assert grid is not None
    assert 'id="table-scores"' in grid.group(1) and 'id="table-agreement"' in grid.group(1)


# ------------------------------------------------------------------------------ CSV


def test_csv_writes_the_main_table_and_the_others_beside_it(tmp_path: Path):
    out = tmp_path / "report.csv"
    written = write_report(sample_report(), out)
    assert written == [out, tmp_path / "report.agreement.csv"]
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["user_id", "pagerank", "degree", "bridge", "signup_at"]
    assert scores["pagerank"].iloc[0] == pytest.approx(0.123456789)  # full precision
    assert pd.read_csv(written[1])["tau"].iloc[0] == pytest.approx(1 / 3)


def test_csv_of_a_report_without_tables_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="no table to write as CSV"):
        write_report(Report("demo", "Demo", [Section("A", [Paragraph("x")])]), tmp_path / "r.csv")


# ------------------------------------------------------------------------------ dispatch


@pytest.mark.parametrize("name", ["report.pdf", "report", "report.htm"])
def test_unknown_suffix_names_the_option_and_the_choices(tmp_path: Path, name: str):
    with pytest.raises(ConfigError, match="--out") as caught:
        write_report(sample_report(), tmp_path / name)
    assert caught.value.hint == "end the file name in .html, .md, .json or .csv"


def test_unwritable_path_is_a_config_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot write"):
        write_report(sample_report(), blocker / "report.json")


def test_suffix_is_case_insensitive(tmp_path: Path):
    out = tmp_path / "REPORT.JSON"
    assert write_report(sample_report(), out) == [out]
    assert json.loads(out.read_text())["kind"] == "demo"
