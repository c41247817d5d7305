"""The influencer report of a fixed simulated network must not change unnoticed.

The golden file is the JSON rendering of the report for the small network of
``conftest.SMALL_NETWORK`` (simulated with a fixed seed, loaded into the embedded store,
``top=10``, ``seed=0``). Any difference fails the test. When a change is intended,
regenerate and review it:

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

GOLDEN = Path(__file__).parent / "golden" / "influencers.json"
REGENERATE = "GRAPHKIT_REGENERATE_GOLDEN"


def test_influencer_report_matches_golden_json(small_report: Report):
    text = render_json(small_report)
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
            f"the influencer report changed (first differences below). If the change is "
            f"intended, regenerate with `{REGENERATE}=1 .venv/bin/pytest "
            f"tests/reports/test_golden.py` and review `git diff tests/reports/golden/`.\n{shown}",
            pytrace=False,
        )
