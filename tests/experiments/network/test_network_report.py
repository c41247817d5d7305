"""The "Network effects" report section: verdicts from known estimates, tables, rendering."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from graphkit.experiments.network.estimators import (
    ConditionSummary,
    Effect,
    NaiveComparison,
    SpilloverEstimate,
)
from graphkit.reports.network_effects import (
    NetworkEffects,
    estimates_table,
    network_effects_section,
    verdicts,
)


def _effect(condition: str, reference: str, estimate: float, low: float, high: float) -> Effect:
    return Effect(f"{condition} - {reference}", condition, reference, "hajek", estimate, 1.0,
                  (low, high), 0.01)  # fmt: skip


def _estimate(spill: tuple[float, float, float], total: tuple[float, float, float],
              naive: tuple[float, float, float]) -> SpilloverEstimate:  # fmt: skip
    conditions = tuple(
        ConditionSummary(name, 10, 1.0, 10.0, 1.0)
        for name in ("dir_ind1", "isol_dir", "ind1", "no")
    )
    return SpilloverEstimate(
        conditions=conditions,
        effects=(_effect("dir_ind1", "no", *total), _effect("ind1", "no", *spill)),
        naive=NaiveComparison(20, 20, 2.0, 1.0, naive[0], 0.1, (naive[1], naive[2]), 0.01),
        n_users=40,
        trimmed=0,
        trim=0.01,
        alpha=0.05,
        probability_method="exact",
        replications=None,
    )


def test_spillover_that_flips_the_decision_is_said_plainly() -> None:
    effects = NetworkEffects(
        {"sessions": _estimate((0.8, 0.3, 1.3), (0.2, -0.5, 0.7), (0.9, 0.4, 1.4))},
        "as4",
        "both",
        {"kind": "complete"},
    )
    said = verdicts(effects)
    assert said[0].startswith("sessions: spillover — users in ind1 differ from no by 0.8")
    assert "changes the decision" in said[1] and "does not" not in said[1]


def test_a_wider_network_interval_is_not_called_a_changed_decision() -> None:
    # The network-aware interval holds zero and the naive estimate: it neither confirms
    # nor contradicts the naive call (it used to say "changes the decision").
    effects = NetworkEffects(
        {"sessions": _estimate((0.7, -7.0, 8.3), (3.4, -6.3, 13.1), (3.0, 2.2, 3.8))},
        "as4",
        "both",
        {"kind": "cluster", "p": 0.5},
    )
    said = verdicts(effects)
    assert "changes the decision" not in said[1]
    assert "too wide to confirm or contradict" in said[1]


def test_the_sentences_use_the_estimates_confidence_level() -> None:
    estimate = _estimate((0.1, -0.4, 0.6), (1.0, 0.5, 1.5), (0.9, 0.4, 1.4))
    ninety = NetworkEffects(
        {"sessions": replace(estimate, alpha=0.1)}, "as4", "both", {"kind": "complete"}
    )
    said = verdicts(ninety)
    assert all("90% CI" in line and "95% CI" not in line for line in said)


def test_no_spillover_and_same_decision() -> None:
    effects = NetworkEffects(
        {"sessions": _estimate((0.1, -0.4, 0.6), (1.0, 0.5, 1.5), (0.9, 0.4, 1.4))},
        "as4",
        "both",
        {"kind": "bernoulli", "p": 0.5},
    )
    said = verdicts(effects)
    assert said[0].startswith("sessions: no spillover detected")
    assert "does not change the decision" in said[1]


def test_section_tables() -> None:
    estimate = _estimate((0.1, -0.4, 0.6), (1.0, 0.5, 1.5), (0.9, 0.4, 1.4))
    diagnostics = {
        "ties": 10,
        "crossing_share": 0.5,
        "treated_crossing_share": 0.5,
        "design_effect": 1.0,
    }
    effects = NetworkEffects(
        {"sessions": estimate}, "as4", "both", {"kind": "complete"}, diagnostics=diagnostics
    )
    section = network_effects_section(effects)
    names = [getattr(b, "name", None) for b in section.blocks]
    assert names[-3:] == ["network_design", "network_exposure", "network_effects"]
    table = estimates_table(effects)
    assert list(table["estimator"]) == ["hajek", "hajek", "difference in means"]


def test_simulate_and_report_from_the_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    data, store = tmp_path / "net", tmp_path / "store"
    result = runner.invoke(
        app,
        ["simulate", str(data), "--users", "300", "--seed", "2", "--experiment", "feed",
         "--spillover", "0.3", "--effect", "sessions=0.1", "--design", "cluster"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    truth = pd.read_csv(data / "truth" / "network_effects.csv").set_index("quantity")
    assert truth.loc["total", "relative"] == 0.4
    parts = truth.loc["direct", "effect"] + truth.loc["spillover", "effect"]
    assert parts == pytest.approx(truth.loc["total", "effect"])
    assert runner.invoke(app, ["load", str(data), "--store", str(store)]).exit_code == 0
    result = runner.invoke(
        app,
        ["ab", "spillover", "feed", "-m", "sessions", "--exposure", "fraction:0.5",
         "--replications", "40", "--store", str(store), "--design-file",
         str(data / "feed.design.json"), "-f", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data_out = json.loads(result.stdout)
    assert data_out["probabilities"] == {"method": "monte-carlo", "replications": 40}
    out = tmp_path / "report.json"
    result = runner.invoke(
        app,
        ["report", "experiment", "feed", "-m", "sessions", "--network-effects", "--design-file",
         str(data / "feed.design.json"), "--store", str(store), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Network effects" in out.read_text(encoding="utf-8")
