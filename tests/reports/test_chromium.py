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


REPORTS = ("influencers", "experiment", "engagement")


@pytest.fixture(scope="module")
def documents(small_report: Report, experiment_doc: Report, engagement_doc: Report):
    """Every report, by the name of its HTML file."""
    return {"influencers": small_report, "experiment": experiment_doc, "engagement": engagement_doc}


@pytest.fixture(scope="module")
def served(documents: dict[str, Report], tmp_path_factory: pytest.TempPathFactory):
    require_chromium()
    folder = tmp_path_factory.mktemp("served")
    for name, report in documents.items():
        write_report(report, folder / f"{name}.html")
    with PageServer(folder) as server:
        yield server


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("width", [DESKTOP_WIDTH, PHONE_WIDTH])
def test_every_figure_loads(
    served: PageServer, documents: dict[str, Report], name: str, width: int
):
    report = documents[name]
    seen = probe(served, f"{name}.html", width=width)
    assert seen["title"] == report.title
    assert len(seen["images"]) == len(report.figures())
    for image in seen["images"]:
        assert image["complete"] and image["naturalWidth"] > 0, image["alt"]
        assert 0 < image["shownWidth"] <= width


@pytest.mark.parametrize("name", REPORTS)
def test_phone_width_never_scrolls_sideways(served: PageServer, name: str):
    seen = probe(served, f"{name}.html", width=PHONE_WIDTH)
    assert seen["innerWidth"] == PHONE_WIDTH
    # Wide tables scroll inside their own box; the page itself must fit the screen.
    assert seen["scrollWidth"] <= seen["innerWidth"]
    assert seen["bodyFontSize"] >= 14


def test_the_page_asks_for_nothing_but_itself(served: PageServer):
    for name in REPORTS:
        probe(served, f"{name}.html", width=DESKTOP_WIDTH)
    assert served.pages_requested() <= {
        page
        for name in REPORTS
        for page in (
            f"/{name}.html",
            f"/probe-{DESKTOP_WIDTH}-{name}.html",
            f"/probe-{PHONE_WIDTH}-{name}.html",
        )
    }


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize(("width", "height"), [(DESKTOP_WIDTH, 2400), (PHONE_WIDTH, 2400)])
def test_screenshots_are_not_blank(
    served: PageServer, tmp_path: Path, name: str, width: int, height: int
):
    image = screenshot(
        served.url(f"{name}.html"), tmp_path / f"{name}-{width}.png", width=width, height=height
    )
    assert image.shape[:2] == (height, width)
    assert not looks_blank(image)


def test_blank_page_is_recognised_as_blank(tmp_path: Path):
    require_chromium()
    (tmp_path / "blank.html").write_text("<!DOCTYPE html><html><body></body></html>")
    with PageServer(tmp_path) as server:
        image = screenshot(server.url("blank.html"), tmp_path / "blank.png", width=400, height=300)
    assert looks_blank(image)
