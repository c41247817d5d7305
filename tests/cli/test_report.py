"""`graphkit report influencers` end to end on the embedded store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from tests.reports.conftest import write_small_dataset

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-cli")
    dataset = write_small_dataset(folder / "dataset")
    result = run("load", str(dataset), "--store", str(folder / "store"))
    assert result.exit_code == 0, result.output
    return folder / "store"


def test_html_report_is_written_with_every_figure(store: Path, tmp_path: Path):
    out = tmp_path / "reports" / "influencers.html"
    result = run("report", "influencers", "--store", str(store), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote {out}" in result.stderr
    page = out.read_text(encoding="utf-8")
    assert len(re.findall(r'<img src="data:image/png;base64,', page)) == 5
    assert "<h2>Insights</h2>" in page and "Top 10 by composite rank" in page


def test_json_report_carries_parameters_and_tables(store: Path, tmp_path: Path):
    out = tmp_path / "influencers.json"
    result = run(
        "report",
        "influencers",
        "--store",
        str(store),
        "--top",
        "3",
        "--type",
        "message",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["kind"] == "influencers"
    assert data["parameters"]["top"] == 3
    assert data["parameters"]["types"] == ["message"]
    assert len(data["tables"]["top_composite"]["rows"]) == 3
    assert data["facts"]["users"] == 300


def test_several_formats_from_one_run(store: Path, tmp_path: Path):
    html, data = tmp_path / "r.html", tmp_path / "r.json"
    result = run(
        "report", "influencers", "--store", str(store), "--out", str(html), "-o", str(data)
    )
    assert result.exit_code == 0, result.output
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert json.loads(data.read_text())["kind"] == "influencers"


def test_markdown_report_lists_its_figure_files(store: Path, tmp_path: Path):
    out = tmp_path / "influencers.md"
    result = run("report", "influencers", "--store", str(store), "--out", str(out))
    assert result.exit_code == 0, result.output
    figures = sorted((tmp_path / "influencers_files").glob("*.png"))
    assert len(figures) == 5
    for figure in figures:
        assert f"wrote {figure}" in result.stderr
        assert f"(influencers_files/{figure.name})" in out.read_text()


def test_csv_report_writes_one_file_per_table(store: Path, tmp_path: Path):
    out = tmp_path / "influencers.csv"
    result = run("report", "influencers", "--store", str(store), "--top", "5", "--out", str(out))
    assert result.exit_code == 0, result.output
    main = pd.read_csv(out)
    assert list(main["composite_rank"]) == [1, 2, 3, 4, 5]
    assert (tmp_path / "influencers.bridges.csv").exists()
    assert len(pd.read_csv(tmp_path / "influencers.top_pagerank.csv")) == 5


def test_without_out_markdown_goes_to_stdout(store: Path):
    result = run("report", "influencers", "--store", str(store), "--top", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Influencers and communities\n")
    assert "| composite_rank |" in result.stdout
    assert "figures are left out" in result.stderr


def test_unknown_suffix_is_a_usage_error_before_any_work(store: Path, tmp_path: Path):
    good, bad = tmp_path / "r.html", tmp_path / "r.pdf"
    result = run("report", "influencers", "--store", str(store), "-o", str(good), "-o", str(bad))
    assert result.exit_code == 2
    assert "--out" in result.stderr and "'.pdf'" in result.stderr
    assert "hint: end the file name in .html, .md, .json or .csv" in result.stderr
    assert not good.exists() and not bad.exists()  # refused before the analysis ran


def test_window_without_ties_is_insufficient_data(store: Path):
    result = run("report", "influencers", "--store", str(store), "--since", "2030-01-01")
    assert result.exit_code == 4
    assert "no tie" in result.stderr


def test_bad_top_is_a_usage_error(store: Path):
    result = run("report", "influencers", "--store", str(store), "--top", "0")
    assert result.exit_code == 2
    assert "--top must be at least 1" in result.stderr


def test_missing_store_is_unavailable(tmp_path: Path):
    result = run("report", "influencers", "--store", str(tmp_path / "nothing"))
    assert result.exit_code == 3
    assert result.stderr.startswith("error:")


def test_report_group_lists_its_reports():
    result = run("report", "--help")
    assert result.exit_code == 0
    assert "influencers" in result.stdout
