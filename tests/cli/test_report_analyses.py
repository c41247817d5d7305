"""`graphkit report experiment` and `graphkit report engagement` end to end, as a user runs
them: `graphkit simulate`, `graphkit load` into an embedded store, then the report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphkit.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""})


def simulated_store(folder: Path, *simulate_options: str) -> Path:
    dataset, store = folder / "dataset", folder / "store"
    result = run("simulate", str(dataset), "--users", "300", "--seed", "7", *simulate_options)
    assert result.exit_code == 0, result.output
    result = run("load", str(dataset), "--store", str(store))
    assert result.exit_code == 0, result.output
    return store


@pytest.fixture(scope="module")
def experiment_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-experiment")
    return simulated_store(folder, "--experiment", "feed", "--effect", "sessions=0.1")


@pytest.fixture(scope="module")
def activity_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_store(tmp_path_factory.mktemp("report-engagement"))


def images(page: str) -> int:
    return len(re.findall(r'<img src="data:image/png;base64,', page))


def test_experiment_report_writes_html_and_json(experiment_store: Path, tmp_path: Path):
    html, data = tmp_path / "out" / "feed.html", tmp_path / "feed.json"
    result = run(
        "report", "experiment", "feed", "--store", str(experiment_store),
        "--metric", "sessions", "--metric", "time_spent", "-o", str(html), "-o", str(data),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote {html}" in result.stderr and f"wrote {data}" in result.stderr
    report = json.loads(data.read_text())
    assert report["kind"] == "experiment"
    assert report["parameters"]["metrics"] == ["sessions", "time_spent"]
    assert [r["metric"] for r in report["tables"]["metrics"]["rows"]] == ["sessions", "time_spent"]
    figures = [b for s in report["sections"] for b in s["blocks"] if b["type"] == "figure"]
    page = html.read_text(encoding="utf-8")
    assert images(page) == len(figures) > 0
    assert "<h2>Summary</h2>" in page and "<h2>Sample ratio mismatch</h2>" in page


def test_experiment_report_csv_writes_every_table(experiment_store: Path, tmp_path: Path):
    out = tmp_path / "feed.csv"
    result = run("report", "experiment", "feed", "--store", str(experiment_store), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("metric,kind,treatment,")
    for table in ("srm", "cuped", "segments", "heterogeneity", "survival"):
        assert (tmp_path / f"feed.{table}.csv").is_file(), table


def test_experiment_report_refuses_a_bad_suffix_before_any_work(tmp_path: Path):
    out = tmp_path / "feed.txt"
    result = run("report", "experiment", "feed", "--store", str(tmp_path / "none"), "-o", str(out))
    assert result.exit_code == 2
    assert "suffix '.txt'" in result.stderr
    assert not out.exists()


def test_experiment_report_names_the_experiments_found(experiment_store: Path, tmp_path: Path):
    out = tmp_path / "nope.json"
    result = run("report", "experiment", "nope", "--store", str(experiment_store), "-o", str(out))
    assert result.exit_code == 2
    assert "experiments found: feed" in result.stderr
    assert not out.exists()


def test_engagement_report_writes_markdown_with_figures(activity_store: Path, tmp_path: Path):
    out = tmp_path / "engagement.md"
    result = run("report", "engagement", "--store", str(activity_store), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    linked = re.findall(r"\]\((engagement_files/[a-z_]+\.png)\)", text)
    assert {"engagement_files/activity.png", "engagement_files/anomalies.png"} <= set(linked)
    for link in linked:
        assert (tmp_path / link).stat().st_size > 0, link
    assert text.startswith("# Engagement") and "## Aha moment" in text


def test_engagement_report_to_stdout_is_markdown(activity_store: Path):
    result = run("report", "engagement", "--store", str(activity_store), "--until", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Engagement")
    assert "to 2026-02-28" in result.stdout  # --until is the first day NOT reported
    assert "figures are left out" in result.stderr


def test_engagement_report_without_events_says_what_to_do(tmp_path: Path):
    folder = tmp_path / "no-events"
    result = run("simulate", str(folder / "dataset"), "--users", "50", "--no-events")
    assert result.exit_code == 0, result.output
    assert run("load", str(folder / "dataset"), "--store", str(folder / "store")).exit_code == 0
    result = run("report", "engagement", "--store", str(folder / "store"))
    assert result.exit_code == 4, result.output
    assert "error:" in result.stderr
