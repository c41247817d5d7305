"""The notebook API: each ``graphkit.engagement`` function is its CLI command, from Python.

Each function runs on a real embedded store (and on Neo4j) and must print, through its
result, exactly what ``graphkit engagement ... --format json`` and ``--format csv`` print
on the same store: the CLI renders the result and adds nothing of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphkit import engagement
from graphkit.cli import app
from graphkit.cli.common import to_json
from graphkit.dataset import Dataset
from graphkit.engagement.settings import AnomaliesSettings, MetricsSettings, RetentionSettings
from graphkit.errors import ParameterError
from graphkit.simulation import simulate_events, simulate_network
from graphkit.simulation import write_dataset as write_simulated
from graphkit.store import GraphStore, LocalStore
from graphkit.workflows.engagement import post_anomaly_alert
from tests.engagement.webhook_server import webhook_server

runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(
        app, ["engagement", *args], env={"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-user, 60-day simulated dataset with two injected anomalies, loaded."""
    folder = tmp_path_factory.mktemp("engagement_api")
    sim = simulate_network(300, seed=5, days=60)
    write_simulated(sim, folder / "data")
    write_simulated(simulate_events(sim, n_anomalies=2), folder / "data")
    result = runner.invoke(app, ["load", str(folder / "data"), "--store", str(folder / "store")])
    assert result.exit_code == 0, result.output
    return folder / "store"


@pytest.fixture
def store(store_dir: Path) -> Iterator[GraphStore]:
    with closing(LocalStore(store_dir)) as opened:
        yield opened


def as_printed(result: engagement.MetricsResult | object) -> object:
    """What the CLI's JSON renderer makes of ``result.to_dict()``."""
    return json.loads(to_json(result.to_dict()))  # type: ignore[attr-defined]


# (twin, keyword options, the same options as flags)
CASES = [
    ("metrics", {}, []),
    ("metrics", {"table": "scores", "top": 3, "weights": {"messages": 3, "sessions": 1}},
     ["--table", "scores", "--top", "3", "--weight", "messages=3", "--weight", "sessions=1"]),
    ("metrics", {"table": "sessions", "ctr_event": "like"},
     ["--table", "sessions", "--ctr-on", "like"]),
    ("metrics", {"table": "daily"}, ["--table", "daily"]),
    ("retention", {}, []),
    ("retention", {"days": (1, 3), "by": "country", "cohorts": False, "long": True},
     ["--day", "1", "--day", "3", "--by", "country", "--no-cohorts", "--long"]),
    ("retention", {"period": "week", "weeks": 4}, ["--period", "week", "--weeks", "4"]),
    ("anomalies", {"metric": "sessions", "all_days": True},
     ["--metric", "sessions", "--all-days"]),
    ("anomalies", {"rule": "iqr", "window": 28, "min_history": 7},
     ["--rule", "iqr", "--window", "28", "--min-history", "7"]),
    ("aha", {"retention_day": 21, "max_k": 6, "min_users": 10},
     ["--retention-day", "21", "--max-k", "6", "--min-users", "10"]),
    ("aha", {"action": "event:message", "retention_day": 21, "max_k": 4, "min_users": 10},
     ["--action", "event:message", "--retention-day", "21", "--max-k", "4",
      "--min-users", "10"]),
    ("position", {}, []),
]  # fmt: skip


@pytest.mark.parametrize(("command", "options", "flags"), CASES)
def test_the_function_prints_what_the_command_prints(
    store: GraphStore, store_dir: Path, command: str, options: dict, flags: list[str]
) -> None:
    result = getattr(engagement, command)(store, **options)
    where = ["--store", str(store_dir)]
    printed = json.loads(cli(command, *where, *flags, "-f", "json"))
    assert as_printed(result) == printed
    assert result.to_frame().to_csv(index=False) == cli(command, *where, *flags, "-f", "csv")


def test_metrics_json_holds_the_analysis(store: GraphStore) -> None:
    result = engagement.metrics(store, top=4)
    data = as_printed(result)
    assert isinstance(data, dict)
    daily = result.metrics.daily.table
    assert [row["dau"] for row in data["daily"]] == daily["dau"].tolist()
    assert len(data["engagement"]["top"]) == 4
    assert data["engagement"]["top"][0]["rank"] == 1
    # the terminal's table is the main daily columns, rounded for people
    shown = result.for_terminal().to_frame()
    assert list(shown.columns) == ["date", "dau", "wau", "mau", "stickiness", "new_users",
                                   "sessions", "ctr"]  # fmt: skip
    assert shown["stickiness"].dropna().tolist() == daily["stickiness"].dropna().round(3).tolist()


def test_a_settings_object_or_options_but_not_both(store: GraphStore) -> None:
    by_settings = engagement.retention(store, RetentionSettings(days=(7, 1)))
    by_options = engagement.retention(store, days=[1, 7])
    assert as_printed(by_settings) == as_printed(by_options)  # NaN != NaN: compare JSON
    assert by_settings.retention.offsets == (1, 7)
    with pytest.raises(ParameterError, match="settings is given, so days cannot be given too"):
        engagement.retention(store, RetentionSettings(), days=(1,))
    with pytest.raises(ParameterError, match="settings must be a MetricsSettings"):
        engagement.metrics(store, RetentionSettings())  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="colour is not an option") as info:
        engagement.position(store, colour="red")
    assert info.value.parameter == "colour" and "features_path" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("build", "parameter", "fragment"),
    [
        (lambda: MetricsSettings(top=0), "top", "top must be at least 1, got 0"),
        (lambda: MetricsSettings(transform="sqrt"), "transform", "must be one of log1p, none"),
        (lambda: MetricsSettings(weights={"joy": 1}), "weights", "unknown engagement component"),
        (lambda: AnomaliesSettings(k=-1), "k", "k must be a positive number"),
        (lambda: AnomaliesSettings(window=10), "window", "window must be at least 14"),
        (lambda: RetentionSettings(days=()), "days", "at least one retention day"),
        (lambda: RetentionSettings(weeks=0), "weeks", "weeks must be at least 1"),
        (lambda: engagement.AhaSettings(max_k=0), "max_k", "max_k must be at least 1"),
        (lambda: engagement.AhaSettings(action="event:like", types=("message",)), "types",
         "types filters interactions"),
        (lambda: engagement.PositionSettings(until=_day(1), since=_day(2)), "since",
         "since must be earlier than until"),
    ],
)  # fmt: skip
def test_settings_name_the_parameter(build, parameter: str, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment) as info:
        build()
    assert info.value.parameter == parameter
    assert "--" not in info.value.message and "--" not in (info.value.hint or "")


def _day(n: int):
    from datetime import UTC, datetime

    return datetime(2026, 1, n, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["metrics", "--top", "0"], "--top must be at least 1, got 0"),
        (["metrics", "--ctr-on", "purchase"], "--ctr-on must be an event counted per session"),
        (["anomalies", "--k", "0"], "--k must be a positive number"),
        (["anomalies", "--min-history", "1"], "--min-history must be between 2"),
        (["aha", "--max-k", "0"], "--max-k must be at least 1"),
        (["aha", "--action", "event:like", "--type", "message"], "--type filters interactions"),
        (["retention", "--weeks", "0", "--period", "week"], "--weeks must be at least 1"),
        (["position", "--weight", "joy=1"], "--weight names unknown engagement component"),
    ],
)
def test_the_cli_names_the_flag(store_dir: Path, args: list[str], message: str) -> None:
    result = runner.invoke(
        app,
        ["engagement", *args, "--store", str(store_dir)],
        env={"GRAPHKIT_NEO4J_URI": "", "GRAPHKIT_STORE": ""},
    )
    assert result.exit_code == 2
    assert f"error: {message}" in result.stderr


def test_the_alert_is_posted_by_the_library(store: GraphStore) -> None:
    flagged = engagement.anomalies(store, metric="sessions")
    assert not flagged.flagged.empty  # two anomalies were injected
    with webhook_server() as (url, received):
        assert post_anomaly_alert(flagged, url) == 200
        assert post_anomaly_alert(flagged, None) is None
        calm = engagement.anomalies(store, metric="sessions", k=50)
        assert calm.flagged.empty and post_anomaly_alert(calm, url) is None
    (request,) = received.requests
    body = request["json"]
    assert [day["date"] for day in body["flagged"]] == flagged.flagged["date"].tolist()
    assert body["text"].startswith(f"graphkit: {len(flagged.flagged)} anomalous day(s)")
    assert len(flagged.alert_lines()) == len(flagged.flagged)
    with pytest.raises(ParameterError, match="webhook must be an http"):
        post_anomaly_alert(flagged, "ftp://example.org/hook")


def test_either_store_gives_the_same_results(
    empty_store: GraphStore, small_dataset: Dataset, tmp_path: Path
) -> None:
    empty_store.load(small_dataset)
    with closing(LocalStore(tmp_path / "reference")) as reference:
        reference.load(small_dataset)
        for command, options in [
            ("metrics", {}),
            ("retention", {"by": "country"}),
            ("anomalies", {"metric": "dau", "window": 16, "min_history": 2, "all_days": True}),
            ("aha", {"action_days": 3, "retention_day": 7, "min_users": 5, "max_k": 5}),
        ]:
            ours = getattr(engagement, command)(empty_store, **options)
            theirs = getattr(engagement, command)(reference, **options)
            assert as_printed(ours) == as_printed(theirs), command


def test_the_functions_and_settings_load_no_pandas() -> None:
    # The CLI reads defaults from the settings module for its --help: it must stay light.
    code = (
        "import sys, graphkit\n"
        "assert callable(graphkit.engagement.metrics)\n"
        "from graphkit.engagement.settings import AhaSettings, DEFAULT_WEIGHTS\n"
        "heavy = {'pandas', 'numpy', 'matplotlib', 'duckdb'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
