"""Neo4j Browser, served by the test Neo4j itself, runs a saved query in graphkit's style.

As a person would: open Browser in Chromium, log in, drop ``graphkit.grass`` onto the
window, set the `:param`, run ``top_influencers.cypher``, look at the picture. Checks
that the graph shows the right users, sized by PageRank tier and coloured by community
as the style file says, and keeps a screenshot.

Needs the test Neo4j (marker ``neo4j``), Chromium and ``websocket-client``. Skipped
when the server does not serve Browser (its ``/browser/`` answers 404).
"""

from __future__ import annotations

import math
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from graphkit.config import Settings
from graphkit.reports.browser import browser_query, grass_path
from graphkit.reports.network_plots import OTHER_COLOR, community_color
from tests.reports.chromium import looks_blank
from tests.reports.conftest import Loaded
from tests.reports.devtools import DevToolsPage

pytestmark = pytest.mark.neo4j

LIMIT = 25
EDITOR = "#monaco-main-editor textarea, .monaco-editor textarea"
RUN = "document.querySelector('[data-testid=editor-Run]').click()"
NODES = """Array.from(document.querySelectorAll('svg g.node')).map(g => {
  const circle = g.querySelector('circle.b-outline') || g.querySelector('circle');
  return {caption: Array.from(g.querySelectorAll('text')).map(t => t.textContent).join('').trim(),
          r: parseFloat(circle.getAttribute('r')), fill: circle.getAttribute('fill')};
})"""


def browser_url(settings: Settings) -> str:
    """Where the test server serves Browser: GRAPHKIT_TEST_NEO4J_HTTP_URL, else the
    server's own HTTP listen address."""
    base = os.environ.get("GRAPHKIT_TEST_NEO4J_HTTP_URL")
    if not base:
        import neo4j

        auth = (settings.neo4j_user, settings.neo4j_password or "")
        with neo4j.GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
            records, _, _ = driver.execute_query(
                "SHOW SETTINGS YIELD name, value WHERE name = $name RETURN value",
                name="server.http.listen_address",
                database_="system",
            )
        address = records[0]["value"].replace("0.0.0.0", "127.0.0.1")
        base = f"http://{address}"
    url = base.rstrip("/") + "/browser/"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            page = answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        message = f"{url} answers {exc.code}: this Neo4j does not serve Browser"
        # The test servers of `make test` (neo4j-local, the Docker image) both serve it.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    except urllib.error.URLError as exc:
        pytest.fail(
            f"cannot reach Neo4j's HTTP port at {url} ({exc.reason}); set "
            "GRAPHKIT_TEST_NEO4J_HTTP_URL (e.g. http://127.0.0.1:17474) for the test server"
        )
    assert "Neo4j Browser" in page or "neo4j" in page.lower()
    return url


def test_browser_shows_top_influencers_in_graphkit_style(loaded: Loaded, tmp_path: Path):
    settings = loaded.settings
    loaded.run("style_labels")  # the documented step before using the style
    bolt = urllib.parse.urlsplit(settings.neo4j_uri)
    connect = f"{bolt.scheme}://{settings.neo4j_user}@{bolt.netloc}"
    url = (
        browser_url(settings)
        + "?"
        + urllib.parse.urlencode(
            [("connectURL", connect), ("cmd", "param"), ("arg", f"limit => {LIMIT}")],
            quote_via=urllib.parse.quote,
        )
    )
    query = browser_query("top_influencers")
    with DevToolsPage(width=1400, height=1000) as page:
        page.open(url)
        page.wait_for("!!document.querySelector('input[type=password]')", what="the login form")
        page.js("document.querySelector('input[type=password]').focus()")
        page.type_text(settings.neo4j_password or "")
        page.js(
            "Array.from(document.querySelectorAll('button'))"
            ".find(b => b.textContent.trim() === 'Connect').click()"
        )
        page.wait_for(
            "document.body.innerText.includes('You are connected as user')", what="the login"
        )
        imported = "(localStorage.getItem('neo4j.grass') || '').includes('PageRankTier1')"
        for attempt in range(4):  # right after login the page may ignore a first drop
            page.drop_file(grass_path(), x=700, y=500)
            try:
                page.wait_for(imported, timeout=3, what="Browser to import graphkit.grass")
                break
            except TimeoutError:
                if attempt == 3:
                    raise
        page.js(RUN)  # the editor holds ":param limit => 25" from the URL
        page.wait_for(f"document.body.innerText.includes('\"limit\": {LIMIT}')", what="the :param")
        page.js(f"document.querySelector('{EDITOR}').focus()")
        page.type_text(" ".join(line.strip() for line in query.body.splitlines()))
        page.js(RUN)
        page.wait_for(
            f"document.querySelectorAll('svg g.node').length === {LIMIT}",
            timeout=60,
            what=f"{LIMIT} nodes in the graph view",
        )
        page.js("new Promise(done => setTimeout(done, 3000))")  # let the layout settle
        shot = page.screenshot(tmp_path / "browser-top-influencers.png")
        nodes = page.js(NODES)

    from matplotlib import image as mpimg

    assert not looks_blank(mpimg.imread(shot))
    features = loaded.features.sort_values("pagerank", ascending=False)
    expected = features.head(LIMIT)
    assert sorted(n["caption"] for n in nodes) == sorted(expected.index)  # caption '{id}'
    tier1 = set(features.index[: math.ceil(0.01 * len(features))])
    for node in nodes:
        community = int(expected.loc[node["caption"], "community"])
        colour = community_color(community) if community < 10 else OTHER_COLOR
        assert node["fill"].lower() == colour, node
        assert node["r"] == (35 if node["caption"] in tier1 else 22), node  # 70px / 44px
