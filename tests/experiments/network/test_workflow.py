"""ab design / ab spillover end to end, on the embedded store and on a real Neo4j."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from graphkit.config import Settings
from graphkit.experiments.network.design import DesignSettings
from graphkit.simulation import simulate_network, simulate_spillover, write_dataset
from graphkit.workflows.network import load, opened_store
from graphkit.workflows.network_experiments import (
    SpilloverSettings,
    design,
    spillover_from_store,
    spillover_from_table,
    write_back_exposure,
    write_design_record,
)
from tests.conftest import require_neo4j, wipe

EXPERIMENT = "feed"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spill") / "data"
    sim = simulate_network(300, seed=4, interactions_per_user=4)
    write_dataset(sim, folder)
    result = simulate_spillover(sim, experiment=EXPERIMENT, design="cluster", spillover=0.3)
    write_dataset(result, folder)  # type: ignore[arg-type]
    stamp = pd.Timestamp(result.assignments["assigned_at"].iloc[0])
    write_design_record(result.plan, folder / f"{EXPERIMENT}.design.json", stamp)
    return folder


def _settings(kind: str, tmp_path: Path) -> Settings:
    if kind == "local":
        return Settings(store_dir=tmp_path / "store")
    settings = require_neo4j()
    wipe(settings)
    return settings


def _run(settings: Settings, dataset: Path) -> dict:
    load(dataset, settings)
    with opened_store(settings) as store:
        planned = design(store, DesignSettings("next", unit="cluster", clusters="3net", seed=2))
    spill = SpilloverSettings(exposure="as4")
    record = dataset / f"{EXPERIMENT}.design.json"
    report = spillover_from_store(settings, EXPERIMENT, "sessions", spill, design_file=record)
    return {"design": planned.to_dict(), "assignments": planned.to_frame(), "report": report}


@pytest.fixture(scope="module")
def local_result(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _run(_settings("local", tmp_path_factory.mktemp("local")), dataset)


def test_spillover_report_has_the_issue_shape(local_result: dict) -> None:
    data = local_result["report"].to_dict()
    assert {"design", "exposure", "direction", "trimmed", "conditions", "effects", "naive"} <= set(
        data
    )
    assert data["design"]["kind"] == "cluster"
    assert [c["condition"] for c in data["conditions"]] == ["dir_ind1", "isol_dir", "ind1", "no"]
    first = data["effects"][0]
    assert {"contrast", "estimator", "estimate", "se", "ci", "p_value"} <= set(first)
    assert [e["estimator"] for e in data["effects"][:2]] == ["hajek", "ht"]
    for effect in data["effects"]:
        if effect["estimate"] is not None and effect["ci"] is not None:
            assert effect["ci"][0] <= effect["estimate"] <= effect["ci"][1]


def test_exposure_table_matches_the_graph(local_result: dict, dataset: Path) -> None:
    """Recount each user's treated neighbours from the files, before the assignment."""
    report = local_result["report"]
    assignments = pd.read_csv(dataset / "assignments.csv")
    interactions = pd.read_csv(dataset / "interactions.csv")
    start = pd.Timestamp(assignments["assigned_at"].iloc[0])
    before = interactions[pd.to_datetime(interactions["at"], utc=True) < start]
    arm = dict(zip(assignments["user_id"], assignments["variant"], strict=True))
    neighbours: dict[str, set[str]] = {}
    for s, t in zip(before["source_id"], before["target_id"], strict=True):
        if s != t and s in arm and t in arm:
            neighbours.setdefault(s, set()).add(t)
            neighbours.setdefault(t, set()).add(s)
    table = report.exposures.set_index("user_id")
    for user in list(table.index)[:80]:
        expected = sum(arm[v] == "treatment" for v in neighbours.get(user, ()))
        assert table.loc[user, "treated_neighbours"] == expected


@pytest.mark.neo4j
def test_both_stores_give_identical_designs_and_estimates(
    local_result: dict, dataset: Path, tmp_path: Path
) -> None:
    settings = _settings("neo4j", tmp_path)
    remote = _run(settings, dataset)
    assert remote["design"] == local_result["design"]
    pd.testing.assert_frame_equal(remote["assignments"], local_result["assignments"])
    assert remote["report"].to_dict() == local_result["report"].to_dict()


@pytest.mark.neo4j
def test_browser_query_shows_each_users_exposure(
    local_result: dict, dataset: Path, tmp_path: Path
) -> None:
    import neo4j

    from graphkit.reports.browser import browser_query

    settings = _settings("neo4j", tmp_path)
    load(dataset, settings)
    spill = SpilloverSettings(exposure="as4")
    record = dataset / f"{EXPERIMENT}.design.json"
    report = spillover_from_store(settings, EXPERIMENT, "sessions", spill, design_file=record)
    assert write_back_exposure(settings, report) == len(report.exposures)
    query = browser_query("user_exposure")
    auth = (settings.neo4j_user, settings.neo4j_password or "")
    with neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
        rows, _, _ = driver.execute_query(
            query.body,
            {"experiment": EXPERIMENT, "treatment": "treatment", "limit": 100_000},
            database_=settings.neo4j_database,
        )
    shown = {r["user_id"]: (r["exposure"], r["treated_neighbours"]) for r in rows}
    # Live counts cover every tie, the stored ones the ties before the assignment.
    assert all(r["treated_neighbours_now"] >= r["treated_neighbours"] for r in rows)
    expected = report.exposures.set_index("user_id")
    assert set(shown) == set(expected.index)
    for user, (condition, treated) in shown.items():
        assert condition == expected.loc[user, "condition"]
        assert treated == expected.loc[user, "treated_neighbours"]


def test_table_input_gives_the_stored_estimate(
    local_result: dict, dataset: Path, tmp_path: Path
) -> None:
    report = local_result["report"]
    table = report.exposures[["user_id", "variant", "outcome"]].rename(
        columns={"outcome": "sessions"}
    )
    path = tmp_path / "outcomes.csv"
    table.to_csv(path, index=False)
    settings = Settings(store_dir=tmp_path / "store")
    load(dataset, settings)
    spill = SpilloverSettings(exposure="as4", until=_start(dataset))
    again = spillover_from_table(
        settings, path, spill, metric="sessions", design_file=dataset / f"{EXPERIMENT}.design.json"
    )
    assert again.estimate.to_dict() == report.estimate.to_dict()


def _start(dataset: Path):
    assignments = pd.read_csv(dataset / "assignments.csv")
    return pd.Timestamp(assignments["assigned_at"].min()).to_pydatetime()


def test_cli_design_then_spillover(dataset: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    store = tmp_path / "store"
    assert runner.invoke(app, ["load", str(dataset), "--store", str(store)]).exit_code == 0
    out = tmp_path / "design" / "assignments.csv"
    result = runner.invoke(
        app,
        ["ab", "design", "next", "--unit", "ego", "--egos", "top:5", "--by", "degree",
         "--store", str(store), "--out", str(out), "-f", "json",
         "--assigned-at", "2026-03-01"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    diagnostics = json.loads(result.stdout)
    assert diagnostics["unit"] == "ego"
    written = pd.read_csv(out)
    assert list(written.columns) == [
        "experiment",
        "user_id",
        "variant",
        "assigned_at",
        "unit",
        "role",
    ]
    assert (written["role"] == "ego").sum() == 5
    assert (out.parent / "next.design.json").exists()
    # The design's assignments.csv (with unit and role) loads like any other.
    folder = tmp_path / "designed"
    folder.mkdir()
    for name in ("users.csv", "interactions.csv"):
        (folder / name).write_bytes((dataset / name).read_bytes())
    (folder / "assignments.csv").write_bytes(out.read_bytes())
    loaded = runner.invoke(app, ["load", str(folder), "--store", str(tmp_path / "designed-store")])
    assert loaded.exit_code == 0, loaded.output

    result = runner.invoke(
        app,
        ["ab", "spillover", EXPERIMENT, "-m", "sessions", "--exposure", "all", "--store",
         str(store), "--design-file", str(dataset / f"{EXPERIMENT}.design.json"), "-f", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["exposure"] == "all"
    assert data["effects"][0]["contrast"] == "treated_exposed - control_exposed"

    result = runner.invoke(
        app,
        ["ab", "spillover", EXPERIMENT, "-m", "sessions", "--trim", "0.7", "--store", str(store)],
    )
    assert result.exit_code == 2
    assert "trim" in result.output and "Traceback" not in result.output


def test_cli_design_does_not_silently_replace_an_earlier_design_record(
    dataset: Path, tmp_path: Path
) -> None:
    """A second `ab design` of the same experiment into the same folder (another --out
    file) used to overwrite NAME.design.json silently, so the first assignments file was
    left beside the second design's record."""
    runner = CliRunner()
    store = tmp_path / "store"
    assert runner.invoke(app, ["load", str(dataset), "--store", str(store)]).exit_code == 0
    folder = tmp_path / "design"

    def design_into(name: str, *extra: str):
        return runner.invoke(
            app,
            ["ab", "design", "next", "--unit", "user", "--store", str(store),
             "--out", str(folder / name), "--assigned-at", "2026-03-01", *extra],
        )  # fmt: skip

    assert design_into("a.csv").exit_code == 0
    record = folder / "next.design.json"
    first = record.read_text()
    refused = design_into("b.csv", "--unit", "cluster")
    assert refused.exit_code == 2, refused.output
    assert "next.design.json" in refused.output and "--force" in refused.output
    assert record.read_text() == first and not (folder / "b.csv").exists()
    assert design_into("b.csv", "--unit", "cluster", "--force").exit_code == 0
    assert json.loads(record.read_text())["unit"] == "cluster"


def test_cli_spillover_refuses_a_ratio_metric(dataset: Path, tmp_path: Path) -> None:
    """A ratio metric used to give every condition a mean of 0 and exit 0."""
    runner = CliRunner()
    store = tmp_path / "store"
    assert runner.invoke(app, ["load", str(dataset), "--store", str(store)]).exit_code == 0
    result = runner.invoke(
        app,
        ["ab", "spillover", EXPERIMENT, "-m", "vps=ratio:view/session", "--store", str(store)],
    )
    assert result.exit_code == 2, result.output
    assert "is a ratio" in result.output and "Traceback" not in result.output


def test_report_network_effects_leave_out_a_ratio_metric_with_a_note(
    dataset: Path, tmp_path: Path
) -> None:
    """A ratio metric in the report's metrics (e.g. from --config) must not fail the
    whole report now that `ab spillover` refuses ratios: it is left out, with a note."""
    from graphkit.workflows.network_experiments import network_effects

    settings = Settings(store_dir=tmp_path / "store")
    load(dataset, settings)
    effects = network_effects(
        settings, EXPERIMENT, ["sessions", "vps=ratio:view/session"],
        design_file=dataset / f"{EXPERIMENT}.design.json",
    )  # fmt: skip
    assert list(effects.estimates) == ["sessions"]
    assert any(note.startswith("vps=ratio:view/session: a ratio metric") for note in effects.notes)
