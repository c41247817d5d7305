"""The engagement report shows what the engagement workflows compute, and says it in words.

Simulated activity goes through the real path (simulate → events.csv → embedded store →
``engagement_report``); expectations are recomputed with the workflows behind
``graphkit engagement ...``, never hard-coded.
"""

from __future__ import annotations

import json
from contextlib import closing

import pytest

from graphkit.config import Settings
from graphkit.reports import render_json
from graphkit.reports.document import Bullets, Report
from graphkit.store import open_store
from graphkit.workflows import engagement as eg

APPROX = {"rel": 1e-5, "abs": 1e-9}  # JSON keeps 6 significant digits


@pytest.fixture(scope="module")
def expected(activity_store: Settings) -> dict:
    with closing(open_store(activity_store)) as store:
        return {
            "activity": eg.engagement_metrics(store),
            "retention": eg.engagement_retention(store)[0],
            "anomalies": eg.engagement_anomalies(store),
            "aha": eg.engagement_aha(store),
        }


@pytest.fixture(scope="module")
def data(engagement_doc: Report) -> dict:
    return json.loads(render_json(engagement_doc))


def rows(data: dict, table: str) -> list[dict]:
    return data["tables"][table]["rows"]


def test_activity_matches_the_workflow(data: dict, expected: dict):
    daily = expected["activity"].daily.table
    table = rows(data, "daily")
    assert [r["date"] for r in table] == [str(d) for d in daily["date"]]
    assert [r["dau"] for r in table] == daily["dau"].tolist()
    last = daily.iloc[-1]
    assert (data["facts"]["dau"], data["facts"]["mau"]) == (int(last["dau"]), int(last["mau"]))
    assert data["facts"]["mean_stickiness"] == pytest.approx(
        daily["stickiness"].dropna().mean(), **APPROX
    )


def test_retention_matches_the_workflow(data: dict, expected: dict):
    retention = expected["retention"]
    table = rows(data, "retention")
    assert [r["cohort"] for r in table] == [str(c) for c in retention.wide["cohort"]]
    assert [r["day_1"] for r in table] == pytest.approx(
        retention.wide["day_1"].tolist(), nan_ok=True, **APPROX
    )
    overall = {r["day"]: r for r in rows(data, "retention_overall")}
    for day, group in retention.table.groupby("day"):
        assert overall[day]["retained"] == group["retained"].sum()
        assert overall[day]["eligible"] == group["eligible"].sum()


def test_anomalies_list_the_flagged_days(data: dict, expected: dict):
    # 300 users are too few for the planted -38% DAU dip to clear the noise (the demo's
    # 2,000 do: tests/engagement/test_anomalies.py); the report must list what the
    # workflow flags, and say so when it flags nothing.
    flagged = expected["anomalies"].flagged
    assert [r["date"] for r in rows(data, "anomalies")] == [str(d) for d in flagged["date"]]
    assert data["facts"]["flagged_days"] == len(flagged)
    judged = expected["anomalies"].reported["checked"]
    assert judged.sum() >= 60  # 90 days, judged from the 29th on


def test_aha_moment_is_the_workflow_sweet_spot(data: dict, expected: dict):
    aha = expected["aha"]
    assert data["facts"]["aha_sweet_spot"] == aha.sweet_spot
    assert [r["k"] for r in rows(data, "aha_sweep")] == aha.sweep["k"].tolist()
    spot = aha.sweep[aha.sweep["k"] == aha.sweet_spot].iloc[0]
    assert data["facts"]["aha_retention_did"] == pytest.approx(spot["retention_did"], **APPROX)


def test_every_figure_is_there(engagement_doc: Report, expected: dict):
    names = {f.name for f in engagement_doc.figures()}
    assert {"activity", "retention_heatmap", "anomalies", "aha_curves"} <= names
    assert ("aha_follow_up" in names) is (expected["aha"].follow_up is not None)


def test_summary_is_computed_from_the_numbers(engagement_doc: Report, expected: dict):
    bullets = engagement_doc.sections[0].blocks[0]
    assert isinstance(bullets, Bullets)
    activity, retention, aha_text = bullets.items[0], bullets.items[1], bullets.items[3]
    last = expected["activity"].daily.table.iloc[-1]
    assert f"{int(last['dau']):,} users were active (DAU)" in activity
    day_1 = expected["retention"].table.query("day == 1")
    assert f"day 1 {day_1['retained'].sum() / day_1['eligible'].sum():.0%}" in retention
    for date in expected["anomalies"].flagged["date"]:
        assert str(date) in bullets.items[2]
    aha = expected["aha"]
    spot = aha.sweep[aha.sweep["k"] == aha.sweet_spot].iloc[0]
    assert "correlation, not proof of cause" in aha_text
    assert f"{spot['retention_did']:.0%} of the time, against {spot['retention_not']:.0%}" in (
        aha_text
    )


def test_cohort_table_shows_the_eligible_users_of_each_cell(data: dict, expected: dict):
    retention = expected["retention"]
    table = rows(data, "retention")
    for offset in retention.offsets:
        column = f"day_{offset}"
        per_cohort = retention.table[retention.table["day"] == offset]
        assert [r[f"{column}_n"] for r in table] == per_cohort["eligible"].tolist()
    text = section_text(data, "Retention")
    assert "fewer than 30 eligible users are greyed out" in text


def test_new_users_are_defined_as_the_code_counts_them(data: dict):
    text = section_text(data, "Activity")
    assert "New users: users active on their signup day" in text


def test_sessions_section_shows_ctr_and_the_weighted_score(data: dict, expected: dict):
    activity = expected["activity"]
    summary = {r["metric"]: r["value"] for r in rows(data, "sessions")}
    assert summary["mean_session_ctr"] == pytest.approx(
        activity.sessions.summary["mean_session_ctr"], **APPROX
    )
    assert summary["sessions"] == activity.sessions.summary["sessions"]
    weights = {r["component"]: r["weight"] for r in rows(data, "score_weights")}
    assert weights == pytest.approx(activity.scores.weights, **APPROX)
    top = rows(data, "top_engaged")
    assert [r["user_id"] for r in top] == activity.scores.table["user_id"].head(10).tolist()
    text = section_text(data, "Sessions and engagement score")
    assert "score = 0.3·z(active_days)" in text and "population SD" in text
    assert data["facts"]["mean_session_ctr"] == pytest.approx(
        activity.sessions.summary["mean_session_ctr"], **APPROX
    )


def section_text(data: dict, title: str) -> str:
    """The paragraphs of the section titled ``title``, as JSON renders them."""
    return " ".join(
        block["text"]
        for section in data["sections"]
        if section["title"] == title
        for block in section["blocks"]
        if block["type"] == "paragraph"
    )
