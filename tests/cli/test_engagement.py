"""`graphkit engagement ...` end to end on the embedded store: exit codes, stdout, stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from graphkit.simulation import simulate_events, simulate_network
from graphkit.simulation import write_dataset as write_simulated
from tests.conftest import TINY_EVENTS, TINY_INTERACTIONS, TINY_USERS, write_dataset
from tests.engagement.webhook_server import webhook_server

runner = CliRunner()
PNG_MAGIC = b"\x89PNG"


def run(*args: str):
    return runner.invoke(app, list(args), env={"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400-user, 60-day simulated dataset with two injected anomalies, loaded."""
    folder = tmp_path_factory.mktemp("engagement_cli")
    sim = simulate_network(400, seed=2, days=60)
    write_simulated(sim, folder / "data")
    write_simulated(simulate_events(sim, n_anomalies=2), folder / "data")
    result = run("load", str(folder / "data"), "--store", str(folder / "store"))
    assert result.exit_code == 0, result.output
    return folder / "store"


def test_metrics_json_contract(store: Path) -> None:
    result = run("engagement", "metrics", "--store", str(store), "-f", "json", "--top", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "first_date",
        "last_date",
        "ctr_event",
        "daily",
        "sessions",
        "engagement",
        "notes",
    }
    assert (data["first_date"], data["last_date"]) == ("2026-01-01", "2026-03-01")
    assert len(data["daily"]) == 60
    assert {"dau", "wau", "mau", "stickiness", "new_users", "returning_users", "ctr"} <= set(
        data["daily"][0]
    )
    assert data["daily"][0]["mau"] is None  # no full 30-day window yet: null, not 0
    assert data["sessions"]["sessions_without_views"] > 0
    assert sum(data["engagement"]["weights"].values()) == pytest.approx(1.0)
    assert len(data["engagement"]["top"]) == 3
    assert "score = 0.3·z(active_days)" in result.stderr  # weights shown


def test_metrics_tables_weights_and_plot(store: Path, tmp_path: Path) -> None:
    plot = tmp_path / "activity.png"
    result = run(
        "engagement", "metrics", "--store", str(store), "--table", "scores", "-f", "csv",
        "--weight", "messages=3", "--weight", "sessions=1", "--plot", str(plot),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0].split(",")
    assert header[:3] == ["user_id", "rank", "score"]
    assert "score = 0.75·z(messages) + 0.25·z(sessions)" in result.stderr
    assert plot.read_bytes().startswith(PNG_MAGIC)
    sessions = run(
        "engagement", "metrics", "--store", str(store), "--table", "sessions", "-f", "csv"
    )
    assert sessions.stdout.splitlines()[0].startswith("user_id,date,length_s")
    table = run("engagement", "metrics", "--store", str(store), "--until", "2026-01-10")
    assert table.exit_code == 0 and "Daily activity, 2026-01-01 to 2026-01-09" in table.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--weight", "messages"], "is not NAME=NUMBER"),
        (["--weight", "joy=1"], "unknown engagement component"),
        (["--since", "2026-02-01", "--until", "2026-01-01"], "--since must be earlier"),
    ],
)
def test_metrics_bad_options(store: Path, args: list[str], fragment: str) -> None:
    result = run("engagement", "metrics", "--store", str(store), *args)
    assert result.exit_code == 2
    assert fragment in result.stderr


def test_a_window_without_data_is_exit_4(store: Path) -> None:
    result = run("engagement", "metrics", "--store", str(store), "--since", "2030-01-01")
    assert result.exit_code == 4
    assert "no events between 2030-01-01" in result.stderr


def test_an_empty_store_is_exit_3(tmp_path: Path) -> None:
    result = run("engagement", "retention", "--store", str(tmp_path / "nothing"))
    assert result.exit_code == 3
    assert "holds no dataset yet" in result.stderr


def test_retention_json_csv_and_heatmap(store: Path, tmp_path: Path) -> None:
    plot = tmp_path / "retention.png"
    result = run(
        "engagement", "retention", "--store", str(store), "-f", "json", "--plot", str(plot)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (
        data["period"] == "day"
        and data["offsets"] == [1, 7, 14, 30]
        and data["groups"] == ["cohort"]
    )
    row = data["rows"][0]
    assert set(row) == {"cohort", "users", "day", "eligible", "retained", "retention"}
    assert plot.read_bytes().startswith(PNG_MAGIC)
    by_country = run(
        "engagement", "retention", "--store", str(store), "--by", "country", "--no-cohorts",
        "--day", "1", "--day", "7", "-f", "csv",
    )  # fmt: skip
    assert by_country.exit_code == 0, by_country.output
    assert by_country.stdout.splitlines()[0] == "segment,users,day_1,day_7"
    weekly = run(
        "engagement",
        "retention",
        "--store",
        str(store),
        "--period",
        "week",
        "--weeks",
        "3",
        "--long",
        "-f",
        "csv",
    )
    assert weekly.stdout.splitlines()[0] == "cohort,users,week,eligible,retained,retention"


def test_retention_by_graph_features(store: Path, tmp_path: Path) -> None:
    features = tmp_path / "features.csv"
    made = run("features", "--store", str(store), "--out", str(features))
    assert made.exit_code == 0, made.output
    result = run(
        "engagement", "retention", "--store", str(store), "--by", "degree_bucket",
        "--no-cohorts", "--features", str(features), "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    segments = {row["segment"] for row in json.loads(result.stdout)["rows"]}
    assert segments <= {"0", "1-2", "3-5", "6-10", "11-20", "21-50", "51+", "unknown"}
    assert f"features from {features}" in result.stderr
    computed = run(
        "engagement", "retention", "--store", str(store), "--by", "community", "--no-cohorts"
    )
    assert computed.exit_code == 0 and "features computed now" in computed.stderr


def test_retention_unknown_segment(store: Path) -> None:
    result = run("engagement", "retention", "--store", str(store), "--by", "shoe_size")
    assert result.exit_code == 2
    assert "cannot segment by 'shoe_size'" in result.stderr and "degree_bucket" in result.stderr


def test_anomalies_fail_on_alert_and_webhook(store: Path, tmp_path: Path) -> None:
    plot = tmp_path / "anomalies.png"
    with webhook_server() as (url, received):
        result = run(
            "engagement", "anomalies", "--store", str(store), "--metric", "sessions",
            "--fail-on-alert", "--webhook", url, "--plot", str(plot), "-f", "json",
        )  # fmt: skip
    assert result.exit_code == 5, result.output
    data = json.loads(result.stdout)
    assert data["rule"] == "sigma" and data["k"] == 3.0 and data["window"] == 56
    assert data["flagged"]
    (request,) = received.requests
    assert [d["date"] for d in request["json"]["flagged"]] == [d["date"] for d in data["flagged"]]
    assert "posted the alert to the webhook (HTTP 200)" in result.stderr
    assert "secret" not in result.stderr  # the webhook path is never echoed
    assert plot.read_bytes().startswith(PNG_MAGIC)


def test_anomalies_without_alert_exit_0_and_post_nothing(store: Path) -> None:
    with webhook_server() as (url, received):
        result = run(
            "engagement", "anomalies", "--store", str(store), "--k", "50",
            "--fail-on-alert", "--webhook", url,
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert received.requests == []
    assert "no anomaly in dau: nothing posted" in result.stderr


def test_anomalies_bad_input(store: Path) -> None:
    unknown = run("engagement", "anomalies", "--store", str(store), "--metric", "revenue")
    assert unknown.exit_code == 2 and "unknown metric 'revenue'" in unknown.stderr
    rule = run("engagement", "anomalies", "--store", str(store), "--rule", "magic")
    assert rule.exit_code == 2
    unreachable = run(
        "engagement", "anomalies", "--store", str(store), "--metric", "sessions",
        "--webhook", "http://127.0.0.1:9/hook",
    )  # fmt: skip
    assert unreachable.exit_code == 6
    assert "cannot reach the webhook at http://127.0.0.1:9" in unreachable.stderr


def test_aha_json_contract(store: Path, tmp_path: Path) -> None:
    plot, km = tmp_path / "aha.png", tmp_path / "km.png"
    result = run(
        "engagement", "aha", "--store", str(store), "--retention-day", "21", "--max-k", "6",
        "--min-users", "10", "-f", "json", "--plot", str(plot), "--survival-plot", str(km),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["action"] == "connections" and data["action_days"] == 7
    assert [row["k"] for row in data["sweep"]] == [1, 2, 3, 4, 5, 6]
    assert isinstance(data["sweet_spot"], int)
    assert data["follow_up"]["test"] == "log-rank"
    assert "correlation, not proof of cause" in data["interpretation"]
    assert "randomised experiment" in data["suggested_experiment"]
    assert "Youden" in data["criterion"]
    assert plot.read_bytes().startswith(PNG_MAGIC) and km.read_bytes().startswith(PNG_MAGIC)
    assert "correlation, not proof of cause" in result.stderr


def test_aha_bad_options(store: Path) -> None:
    action = run("engagement", "aha", "--store", str(store), "--action", "hugs")
    assert action.exit_code == 2 and "unknown action 'hugs'" in action.stderr
    order = run("engagement", "aha", "--store", str(store), "--retention-day", "3")
    assert order.exit_code == 2 and "--retention-day (3) must not come before" in order.stderr


def test_position_table_and_plot(store: Path, tmp_path: Path) -> None:
    plot = tmp_path / "position.png"
    result = run("engagement", "position", "--store", str(store), "-f", "json", "--plot", str(plot))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    features = [row["feature"] for row in data["correlations"]]
    assert features[:3] == ["degree", "weighted_degree", "pagerank"]
    degree = data["correlations"][0]
    assert degree["spearman_rho"] > 0.3  # sessions grow with degree in the simulator
    assert data["communities"] and data["kruskal_p"] is not None
    assert plot.read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (
            "zz,2026-01-05T09:00:00Z,view,,s9",
            "line 2, column 'user_id': user_id 'zz' is not in users.csv",
        ),
        ("a,2026-13-45T09:00:00Z,view,,s9", "line 2, column 'at': not a timestamp"),
        (
            "a,2026-01-05T09:00:00Z,session,-30,s9",
            "line 2, column 'value': value is not a non-negative number",
        ),
    ],
)
def test_bad_events_are_refused_with_file_line_column(
    tmp_path: Path, line: str, fragment: str
) -> None:
    folder = write_dataset(
        tmp_path / "bad",
        TINY_USERS,
        TINY_INTERACTIONS,
        events=f"user_id,at,event,value,session_id\n{line}\n",
    )
    result = run("load", str(folder), "--store", str(tmp_path / "store"))
    assert result.exit_code == 2
    assert "events.csv" in result.stderr and fragment in result.stderr


def test_tiny_dataset_metrics_by_hand(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "tiny", TINY_USERS, TINY_INTERACTIONS, events=TINY_EVENTS)
    assert run("load", str(folder), "--store", str(tmp_path / "store")).exit_code == 0
    result = run("engagement", "metrics", "--store", str(tmp_path / "store"), "-f", "csv")
    daily = pd.read_csv(pd.io.common.StringIO(result.stdout))
    # a on Jan 5 (session, view, click), b on Jan 6 (session, view), c on Jan 9 (session)
    assert daily["date"].tolist() == [
        "2026-01-05",
        "2026-01-06",
        "2026-01-07",
        "2026-01-08",
        "2026-01-09",
    ]
    assert daily["dau"].tolist() == [1, 1, 0, 0, 1]
    assert daily["ctr"].tolist()[:2] == [1.0, 0.0]
