"""Headless Chromium for the report tests: render a page as a person's browser would.

Uses Debian's ``chromium`` package (``apt-get install chromium``). Without it the tests
are skipped on a developer machine and FAIL when ``CI=true``: CI must look at reports
the way people do.
"""

from __future__ import annotations

import html
import http.server
import json
import os
import re
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib import image as mpimg

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_SECONDS = 120

# No network, no background services, a throwaway profile: the page must stand alone.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

# A wrapper page shows the report in an iframe of a given width (headless windows are
# at least 500 px wide, phones are not) and, once everything has loaded, records what a
# reader got into its own DOM, which --dump-dom prints.
WRAPPER = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="report" src="{page}" style="width:{width}px;height:{height}px;border:0"></iframe>
<script>
window.addEventListener("load", function () {{
  var frame = document.getElementById("report");
  var doc = frame.contentDocument, win = frame.contentWindow;
  var images = Array.prototype.map.call(doc.images, function (img) {{
    return {{alt: img.alt, complete: img.complete, naturalWidth: img.naturalWidth,
             shownWidth: img.getBoundingClientRect().width}};
  }});
  var probe = document.createElement("pre");
  probe.id = "graphkit-probe";
  probe.textContent = JSON.stringify({{
    title: doc.title,
    images: images,
    innerWidth: win.innerWidth,
    scrollWidth: doc.documentElement.scrollWidth,
    bodyFontSize: parseFloat(win.getComputedStyle(doc.body).fontSize)
  }});
  document.body.appendChild(probe);
}});
</script></body></html>
"""


class PageServer:
    """Serve one folder on 127.0.0.1 and remember every path requested.

    Serving over HTTP (not file://) lets the wrapper look inside its iframe (same
    origin) and shows whether a page asks for anything besides itself.
    """

    def __init__(self, folder: Path) -> None:
        requested = self.requested = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(folder), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                requested.append(self.path)

        self.folder = folder
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def pages_requested(self) -> set[str]:
        """Paths requested, without the favicon browsers ask for on their own."""
        return {path for path in self.requested if path != "/favicon.ico"}


def require_chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " — CI must render the HTML reports")
    pytest.skip(message)


def run_chromium(url: str, width: int, height: int, *extra: str) -> subprocess.CompletedProcess:
    # A helper process of Chromium's can still be writing into the profile as it is
    # removed; a leftover temporary folder must not fail the test that rendered.
    with tempfile.TemporaryDirectory(
        prefix="chromium-profile-", ignore_cleanup_errors=True
    ) as profile:
        result = subprocess.run(
            [
                str(require_chromium()),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                *extra,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def screenshot(url: str, out: Path, *, width: int, height: int) -> np.ndarray:
    """A screenshot of ``url`` in a ``width`` × ``height`` window, as an RGB(A) array."""
    run_chromium(url, width, height, f"--screenshot={out}")
    assert out.exists(), f"chromium wrote no screenshot to {out}"
    return mpimg.imread(out)


def probe(server: PageServer, page: str, *, width: int, height: int = 900) -> dict[str, Any]:
    """Load ``page`` at ``width`` CSS pixels and return what a reader got (see WRAPPER)."""
    wrapper = f"probe-{width}-{page}"
    (server.folder / wrapper).write_text(
        WRAPPER.format(page=page, width=width, height=height), encoding="utf-8"
    )
    result = run_chromium(
        server.url(wrapper), 1280, height, "--dump-dom", "--virtual-time-budget=10000"
    )
    found = re.search(r'<pre id="graphkit-probe">(.*?)</pre>', result.stdout, re.S)
    assert found, "the page never finished loading (no probe in the DOM)"
    return json.loads(html.unescape(found.group(1)))


def looks_blank(image: np.ndarray) -> bool:
    """True when a screenshot is (nearly) one colour: under 1% of pixels differ from
    white, or fewer than 50 distinct colours."""
    rgb = image[..., :3]
    ink = np.any(rgb < 0.95, axis=-1).mean()
    levels = (rgb * 255).astype(np.uint32).reshape(-1, 3)
    colours = len(np.unique(levels[:, 0] << 16 | levels[:, 1] << 8 | levels[:, 2]))
    return bool(ink < 0.01 or colours < 50)
