"""The reports of fixed simulated datasets must not change unnoticed.

Each golden file is the JSON rendering of one report: the influencer report of the small
network of ``conftest.SMALL_NETWORK`` (``top=10``, ``seed=0``), the experiment report of
the simulated experiment and the engagement report of the simulated activity (all
simulated with fixed seeds and loaded into the embedded store). Any difference fails the
test. When a change is intended, regenerate and review it:

    GRAPHKIT_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/reports/test_golden.py
    git diff tests/reports/golden/
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from graphkit.reports import render_json
from graphkit.reports.document import Report

GOLDEN_DIR = Path(__file__).parent / "golden"
REGENERATE = "GRAPHKIT_REGENERATE_GOLDEN"


@pytest.mark.parametrize(
    ("kind", "fixture"),
    [
        ("influencers", "small_report"),
        ("experiment", "experiment_doc"),
        ("engagement", "engagement_doc"),
    ],
)
def test_report_matches_golden_json(kind: str, fixture: str, request: pytest.FixtureRequest):
    GOLDEN = GOLDEN_DIR / f"{kind}.json"
    report: Report = request.getfixturevalue(fixture)
    text = render_json(report)
    if os.environ.get(REGENERATE) == "1":
        GOLDEN.write_text(text, encoding="utf-8")
        pytest.skip(f"regenerated {GOLDEN}; review it with `git diff tests/reports/golden/`")
    assert GOLDEN.exists(), f"{GOLDEN} is missing; create it with {REGENERATE}=1"
    expected = GOLDEN.read_text(encoding="utf-8")
    if text != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), text.splitlines(), "golden", "now", lineterm="", n=2
        )
        shown = "\n".join(list(diff)[:80])
        pytest.fail(
            f"the {kind} report changed (first differences below). If the change is "
            f"intended, regenerate with `{REGENERATE}=1 .venv/bin/pytest "
            f"tests/reports/test_golden.py` and review `git diff tests/reports/golden/`.\n{shown}",
            pytrace=False,
        )
