"""Read the HTML report as a person would: in Chromium, on a desktop and on a phone.

Checks that every figure loaded, the page is not blank, nothing but the page itself is
requested, and at phone width the page never scrolls sideways and text stays readable.
Needs /usr/bin/chromium (Debian package ``chromium``): skipped without it on a developer
machine, a failure when CI=true.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.reports import write_report
from graphkit.reports.document import Report
from tests.reports.chromium import PageServer, looks_blank, probe, require_chromium, screenshot

PHONE_WIDTH = 390  # CSS pixels of a common phone (iPhone 12–15)
DESKTOP_WIDTH = 1280


@pytest.fixture(scope="module")
def served(small_report: Report, tmp_path_factory: pytest.TempPathFactory):
    require_chromium()
    folder = tmp_path_factory.mktemp("served")
    write_report(small_report, folder / "influencers.html")
    with PageServer(folder) as server:
        yield server


@pytest.mark.parametrize("width", [DESKTOP_WIDTH, PHONE_WIDTH])
def test_every_figure_loads(served: PageServer, small_report: Report, width: int):
    seen = probe(served, "influencers.html", width=width)
    assert seen["title"] == small_report.title
    assert len(seen["images"]) == len(small_report.figures())
    for image in seen["images"]:
        assert image["complete"] and image["naturalWidth"] > 0, image["alt"]
        assert 0 < image["shownWidth"] <= width


def test_phone_width_never_scrolls_sideways(served: PageServer):
    seen = probe(served, "influencers.html", width=PHONE_WIDTH)
    assert seen["innerWidth"] == PHONE_WIDTH
    # Wide tables scroll inside their own box; the page itself must fit the screen.
    assert seen["scrollWidth"] <= seen["innerWidth"]
    assert seen["bodyFontSize"] >= 14


def test_the_page_asks_for_nothing_but_itself(served: PageServer):
    probe(served, "influencers.html", width=DESKTOP_WIDTH)
    assert served.pages_requested() <= {
        "/influencers.html",
        f"/probe-{DESKTOP_WIDTH}-influencers.html",
        f"/probe-{PHONE_WIDTH}-influencers.html",
    }


@pytest.mark.parametrize(("width", "height"), [(DESKTOP_WIDTH, 2400), (PHONE_WIDTH, 2400)])
def test_screenshots_are_not_blank(served: PageServer, tmp_path: Path, width: int, height: int):
    image = screenshot(
        served.url("influencers.html"), tmp_path / f"report-{width}.png", width=width, height=height
    )
    assert image.shape[:2] == (height, width)
    assert not looks_blank(image)


def test_blank_page_is_recognised_as_blank(tmp_path: Path):
    require_chromium()
    (tmp_path / "blank.html").write_text("<!DOCTYPE html><html><body></body></html>")
    with PageServer(tmp_path) as server:
        image = screenshot(server.url("blank.html"), tmp_path / "blank.png", width=400, height=300)
    assert looks_blank(image)
