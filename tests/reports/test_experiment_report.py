"""The experiment report shows what the experiment workflows compute, and says it in words.

The simulated experiment goes through the real path (simulate → CSV → embedded store →
``experiment_report``); every expectation below is recomputed with the workflows the
CLI's ``graphkit ab ...`` commands use, never hard-coded.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from graphkit.config import Settings
from graphkit.errors import ConfigError
from graphkit.reports import render_json, write_report
from graphkit.reports.document import Bullets, Report
from graphkit.reports.experiment_report import slug, summary
from graphkit.workflows import experiments as ab
from graphkit.workflows.reports import (
    REPORT_SEGMENTS,
    analyze_experiment_report,
    experiment_report,
)
from tests.reports.conftest import SIMULATED_EXPERIMENT

APPROX = {"rel": 1e-5, "abs": 1e-9}  # JSON keeps 6 significant digits


@pytest.fixture(scope="module")
def expected(experiment_store: Settings):
    data = ab.experiment_from_store(
        experiment_store, SIMULATED_EXPERIMENT, needed_features=list(REPORT_SEGMENTS)
    )
    survival, _ = ab.survival_from_store(experiment_store, SIMULATED_EXPERIMENT)
    return {
        "analysis": ab.analyze(data),
        "segments": ab.segments(data, by=REPORT_SEGMENTS),
        "survival": survival,
        "data": data,
    }


@pytest.fixture(scope="module")
def data(experiment_doc: Report) -> dict:
    return json.loads(render_json(experiment_doc))


def rows(data: dict, table: str) -> list[dict]:
    return data["tables"][table]["rows"]


def test_srm_comes_first_and_matches_the_workflow(data: dict, expected: dict):
    srm = expected["analysis"].srm
    assert [s["title"] for s in data["sections"]][:2] == ["Summary", "Sample ratio mismatch"]
    assert {r["variant"]: r["users"] for r in rows(data, "srm")} == srm.observed
    assert data["facts"]["srm_p_value"] == pytest.approx(srm.p_value, **APPROX)
    assert data["facts"]["srm_flag"] is srm.flag
    assert data["facts"]["users"] == expected["analysis"].n_users


def test_metrics_table_carries_every_comparison_with_its_ci(data: dict, expected: dict):
    analysis = expected["analysis"]
    table = rows(data, "metrics")
    assert [r["metric"] for r in table] == [c.metric for c in analysis.comparisons]
    for row, item in zip(table, analysis.comparisons, strict=True):
        assert row["diff"] == pytest.approx(item.diff, **APPROX)
        assert [row["ci_low"], row["ci_high"]] == pytest.approx(list(item.diff_ci), **APPROX)
        assert row["p_adjusted"] == pytest.approx(item.p_adjusted, **APPROX)
    verdicts = rows(data, "verdicts")
    for row, item in zip(verdicts, analysis.comparisons, strict=True):
        assert row["significant"] is item.verdict.significant
        assert row["significant"] is (item.verdict.p_adjusted < analysis.alpha)
        assert [row["ci_low"], row["ci_high"]] == pytest.approx(list(item.verdict.ci), **APPROX)
        # one model: the verdict's interval excludes zero exactly when its p < alpha
        assert (row["ci_low"] > 0 or row["ci_high"] < 0) is (row["p_value"] < analysis.alpha)
    assert data["facts"]["significant"] == sum(r["significant"] for r in verdicts)


def test_cuped_table_matches_the_workflow(data: dict, expected: dict):
    with_cuped = [c for c in expected["analysis"].comparisons if c.cuped is not None]
    assert with_cuped, "the simulated experiment has a pre-period: CUPED must run"
    table = rows(data, "cuped")
    for row, item in zip(table, with_cuped, strict=True):
        assert row["metric"] == item.metric
        assert row["diff"] == pytest.approx(item.cuped.diff, **APPROX)
        assert row["variance_reduction"] == pytest.approx(item.cuped.variance_reduction, **APPROX)


def test_segments_by_degree_and_influencer_with_heterogeneity(data: dict, expected: dict):
    analyses = expected["segments"].analyses
    het = rows(data, "heterogeneity")
    assert [(r["metric"], r["by"]) for r in het] == [(a.metric, a.by) for a in analyses]
    assert {r["by"] for r in het} == {"degree", "influencer"}
    for row, analysis in zip(het, analyses, strict=True):
        if analysis.heterogeneity.p_value is None:
            assert row["p_value"] is None
        else:
            assert row["p_value"] == pytest.approx(analysis.heterogeneity.p_value, **APPROX)
    segments = rows(data, "segments")
    assert len(segments) == sum(len(a.segments) + 1 for a in analyses)  # + "all users"


def test_survival_matches_the_log_rank_test(data: dict, expected: dict):
    survival = expected["survival"]
    assert data["facts"]["logrank_p_value"] == pytest.approx(survival.p_value, **APPROX)
    table = {r["variant"]: r for r in rows(data, "survival")}
    assert {v: r["churned"] for v, r in table.items()} == {
        str(g): n for g, n in survival.events.items()
    }


def test_every_figure_is_there(experiment_doc: Report, expected: dict):
    metrics = [m.column for m in expected["data"].metrics]
    assert {f.name for f in experiment_doc.figures()} == {
        *(f"distribution_{slug(m)}" for m in metrics),
        "cuped",
        "lift",
        *(f"segments_{slug(m)}" for m in metrics),
        "survival",
    }


def test_summary_is_computed_from_the_numbers(experiment_doc: Report, expected: dict):
    analysis = expected["analysis"]
    bullets = experiment_doc.sections[0].blocks[0]
    assert isinstance(bullets, Bullets)
    text = list(bullets.items)
    assert ("as planned" in text[0]) is not analysis.srm.flag
    moved = sum(c.verdict.significant for c in analysis.comparisons)
    assert text[1].startswith(f"{moved} of {len(analysis.comparisons)} metric comparisons")
    for item in analysis.comparisons:
        (sentence,) = [s for s in text if s.startswith(f"{item.metric} (")]
        verdict = item.verdict
        words = "significant" if verdict.significant else "not significant"
        assert f"; {words} after {analysis.correction} correction" in sentence
        assert f"{100 * verdict.relative:+.1f}%" in sentence
        # CUPED is on and the experiment has a pre-period: the verdict says it used it
        assert verdict.adjustment == "CUPED" and "CUPED-adjusted" in sentence
        if not verdict.significant:
            assert "detects ±" in sentence and "80% power" in sentence
    assert any(s.startswith("By degree decile:") for s in text)
    assert any(s.startswith("By influencer status:") for s in text)
    assert f"log-rank p = {expected['survival'].p_value:.3g}" in text[-1]


def test_a_sample_ratio_mismatch_is_said_first(experiment_store: Settings):
    results = analyze_experiment_report(experiment_store, SIMULATED_EXPERIMENT)
    broken = dataclasses.replace(
        results.analysis,
        srm=dataclasses.replace(results.analysis.srm, flag=True, p_value=1e-6),
    )
    sentences = summary(dataclasses.replace(results, analysis=broken))
    assert sentences[0].startswith("Sample ratio mismatch")
    assert "Do not trust the comparisons" in sentences[0]


def test_one_metric_and_the_json_is_deterministic(experiment_store: Settings, tmp_path: Path):
    first = experiment_report(experiment_store, SIMULATED_EXPERIMENT, metrics=["sessions"])
    assert [r for r in first.table("metrics").frame["metric"]] == ["sessions"]
    write_report(first, tmp_path / "a.json")
    again = experiment_report(experiment_store, SIMULATED_EXPERIMENT, metrics=["sessions"])
    write_report(again, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert json.loads((tmp_path / "a.json").read_text())["parameters"]["metrics"] == ["sessions"]


def test_unknown_experiment_names_the_ones_found(experiment_store: Settings):
    with pytest.raises(ConfigError, match=f"experiments found: {SIMULATED_EXPERIMENT}"):
        experiment_report(experiment_store, "nope")
