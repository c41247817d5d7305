"""Neo4j Browser queries and style: well-formed files, and right answers on a real Neo4j.

The integration tests load the small simulated network (with an experiment) into the
test Neo4j, write the graph features back, run every saved query with $parameters the
way Browser's `:param` would pass them, and compare the rows with the same numbers
computed in pandas/NetworkX from the dataset files.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from graphkit.cli import app
from graphkit.errors import ConfigError
from graphkit.reports.browser import browser_queries, browser_query, grass_path
from graphkit.reports.network_plots import community_color
from tests.reports.conftest import EXPERIMENT, Loaded, example_values

QUERIES = {q.name: q for q in browser_queries()}
GRAPHKIT_LABELS = {"User", "Experiment", "Event"}
GRAPHKIT_TYPES = {"INTERACTED", "ASSIGNED", "DID"}
GRASS_PROPERTIES = {
    "diameter", "color", "border-color", "border-width", "text-color-internal",
    "text-color-external", "font-size", "caption", "shaft-width", "padding",
}  # fmt: skip


# ------------------------------------------------------------------------------ files


def test_the_five_asked_for_views_are_there():
    assert {
        "top_influencers",
        "community_members",
        "ego_network",
        "cross_arm_ties",
        "aha_users",
    } <= set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_header_declares_every_parameter_the_query_uses(name: str):
    query = QUERIES[name]
    assert query.title and query.shows and query.needs
    assert query.params, "every Browser query takes $parameters"
    assert query.used_parameters() == set(query.params)
    example_values(query)  # every example is a literal Browser can take
    assert query.body.startswith(("MATCH", "WITH", "CALL"))


def parse_grass(text: str) -> dict[str, dict[str, str]]:
    """GraSS as Neo4j Browser reads it (GraphStyle.parse): no comments, quotes only
    around captions, ``selector { key: value; ... }``."""
    rules: dict[str, dict[str, str]] = {}
    for selector, body in re.findall(r"([^{}\s]+)\s*\{([^}]*)\}", text):
        props = {}
        for item in body.split(";"):
            if item.strip():
                key, value = item.split(":", 1)
                props[key.strip()] = value.strip()
        rules[selector] = props
    return rules


def test_grass_uses_only_what_browser_understands():
    text = grass_path().read_text(encoding="utf-8")
    # Browser's parser knows no comments, and a stray quote swallows the rest of the file.
    assert "/*" not in text and "//" not in text
    assert all(line.count("'") % 2 == 0 for line in text.splitlines())
    rules = parse_grass(text)
    assert text.count("{") - text.count("'{") == len(rules)  # every rule was read
    style_labels = set(re.findall(r":(PageRankTier\d|Community\d)\b", QUERIES["style_labels"].text))
    for selector, props in rules.items():
        tag, *classes = selector.split(".")
        assert tag in {"node", "relationship"}, selector
        known = GRAPHKIT_LABELS | style_labels if tag == "node" else GRAPHKIT_TYPES
        assert set(classes) <= known, selector
        assert set(props) <= GRASS_PROPERTIES, selector
    assert {f"node.{label}" for label in style_labels} <= set(rules)


def test_grass_colours_communities_as_the_reports_do():
    rules = parse_grass(grass_path().read_text(encoding="utf-8"))
    for community in range(10):
        assert rules[f"node.Community{community}"]["color"].lower() == community_color(community)
    sizes = [
        int(rules[s]["diameter"].rstrip("px"))
        for s in ("node.User", "node.PageRankTier2", "node.PageRankTier1")
    ]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3


# ------------------------------------------------------------------------------ CLI

runner = CliRunner()


def test_browser_command_prints_every_query():
    result = runner.invoke(app, ["browser"])
    assert result.exit_code == 0, result.output
    for query in QUERIES.values():
        assert query.text in result.stdout


def test_browser_command_lists_and_picks_queries():
    listed = runner.invoke(app, ["browser", "--list", "--format", "csv"])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.strip().splitlines()
    assert lines[0] == "name,title,parameters"
    assert [line.split(",")[0] for line in lines[1:]] == sorted(QUERIES)
    one = runner.invoke(app, ["browser", "ego_network"])
    assert one.stdout == QUERIES["ego_network"].text
    unknown = runner.invoke(app, ["browser", "no_such_query"])
    assert unknown.exit_code == 2
    assert "no Browser query named 'no_such_query'" in unknown.stderr
    assert "top_influencers" in unknown.stderr


def test_browser_command_prints_the_style(tmp_path: Path):
    out = tmp_path / "graphkit.grass"
    result = runner.invoke(app, ["browser", "--style", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == grass_path().read_text()
    assert "drag the file onto the Neo4j Browser window" in result.stderr


def test_unknown_query_name_from_python():
    with pytest.raises(ConfigError, match="no Browser query named"):
        browser_query("nope")


# ------------------------------------------------------------------------------ Neo4j


@pytest.mark.neo4j
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_answers_with_its_example_parameters(loaded: Loaded, name: str):
    rows = loaded.run(name)
    assert rows, f"{name} returned no row with its documented example parameters"
    limit = example_values(QUERIES[name]).get("limit")
    if limit is not None:
        assert len(rows) <= limit


@pytest.mark.neo4j
def test_top_influencers_are_the_highest_pagerank(loaded: Loaded):
    rows = loaded.run("top_influencers", limit=5)
    expected = loaded.features.sort_values("pagerank", ascending=False).head(5)
    assert [r["user_id"] for r in rows] == list(expected.index)
    for row in rows:
        truth = loaded.features.loc[row["user_id"]]
        assert row["pagerank"] == pytest.approx(truth["pagerank"])
        assert row["community"] == truth["community"]
        assert row["degree"] == truth["degree"] == loaded.graph.degree(row["user_id"])
        assert row["user"]["id"] == row["user_id"]


@pytest.mark.neo4j
def test_community_members_and_bridges(loaded: Loaded):
    community = int(loaded.features["community"].iloc[0])
    rows = loaded.run("community_members", community=community, limit=100_000)
    members = set(loaded.features.index[loaded.features["community"] == community])
    assert {r["user_id"] for r in rows} == members
    label = loaded.features["community"].to_dict()
    for row in rows:
        neighbours = set(loaded.graph[row["user_id"]]) if row["user_id"] in loaded.graph else set()
        inside = {v for v in neighbours if label[v] == community}
        outside = neighbours - inside
        assert row["inside_neighbours"] == len(inside)
        assert row["outside_neighbours"] == len(outside)
        assert row["other_communities"] == sorted({label[v] for v in outside})
        assert row["bridge"] is bool(outside)
    bridges = [r for r in rows if r["bridge"]]
    assert bridges and rows[: len(bridges)] == bridges  # bridges come first
    betweenness = [r["betweenness"] for r in bridges]
    assert betweenness == sorted(betweenness, reverse=True)
    assert len(loaded.run("community_members", community=community, limit=3)) == 3
    assert loaded.run("community_members", community=10_000, limit=10) == []


@pytest.mark.neo4j
def test_ego_network_sums_ties_in_both_directions(loaded: Loaded):
    ego = loaded.features.sort_values("pagerank", ascending=False).index[0]
    rows = loaded.run("ego_network", user_id=ego, limit=100_000)
    inter = loaded.interactions
    touching = inter[(inter["source_id"] == ego) | (inter["target_id"] == ego)]
    friend = touching["target_id"].where(touching["source_id"] == ego, touching["source_id"])
    truth = touching.assign(friend=friend).groupby("friend")["weight"].agg(["size", "sum"])
    assert {r["friend_id"] for r in rows} == set(truth.index)
    for row in rows:
        assert row["interactions"] == truth.loc[row["friend_id"], "size"]
        assert row["weight"] == pytest.approx(truth.loc[row["friend_id"], "sum"])
        assert row["ego"]["id"] == ego
    weights = [r["weight"] for r in rows]
    assert weights == sorted(weights, reverse=True)


def arms(loaded: Loaded) -> dict[str, str]:
    assignments = loaded.dataset.assignments
    assert assignments is not None
    chosen = assignments[assignments["experiment"] == EXPERIMENT]
    return dict(zip(chosen["user_id"], chosen["variant"], strict=True))


@pytest.mark.neo4j
def test_cross_arm_ties_are_the_interactions_between_arms(loaded: Loaded):
    variant = arms(loaded)
    inter = loaded.interactions.assign(
        source_variant=lambda f: f["source_id"].map(variant),
        target_variant=lambda f: f["target_id"].map(variant),
    )
    crossing = inter[inter["source_variant"] != inter["target_variant"]]
    truth = crossing.groupby(["source_id", "target_id"])["weight"].agg(["size", "sum"])
    rows = loaded.run("cross_arm_ties", experiment=EXPERIMENT, limit=1_000_000)
    assert len(rows) == len(truth) > 0
    for row in rows:
        pair = (row["source_id"], row["target_id"])
        assert row["interactions"] == truth.loc[pair, "size"]
        assert row["weight"] == pytest.approx(truth.loc[pair, "sum"])
        assert row["source_variant"] == variant[pair[0]] != row["target_variant"]
        assert row["target_variant"] == variant[pair[1]]
    assert loaded.run("cross_arm_ties", experiment="no such experiment") == []


@pytest.mark.neo4j
def test_arm_exposure_counts_users_with_a_tie_to_another_arm(loaded: Loaded):
    variant = arms(loaded)
    rows = loaded.run("arm_exposure", experiment=EXPERIMENT)
    assert [r["variant"] for r in rows] == sorted(set(variant.values()))
    for row in rows:
        users = [u for u, v in variant.items() if v == row["variant"]]
        exposed = [
            u
            for u in users
            if u in loaded.graph and any(variant[v] != row["variant"] for v in loaded.graph[u])
        ]
        assert row["users"] == len(users)
        assert row["exposed_users"] == len(exposed)
        assert row["exposed_share"] == pytest.approx(len(exposed) / len(users))


@pytest.mark.neo4j
@pytest.mark.parametrize(("k", "days"), [(3, 7), (1, 1), (10, 30)])
def test_aha_users_connected_early_enough(loaded: Loaded, k: int, days: int):
    users = loaded.dataset.users.dropna(subset=["signup_at"]).set_index("user_id")["signup_at"]
    inter = loaded.interactions
    both = pd.concat(
        [
            inter.rename(columns={"source_id": "user", "target_id": "other"}),
            inter.rename(columns={"target_id": "user", "source_id": "other"}),
        ]
    )
    signup = both["user"].map(users)
    # Day 0 is the signup's UTC calendar day; the window ends after day `days - 1`.
    deadline = signup.dt.floor("D") + pd.Timedelta(days=days)
    early = both[(both["at"] >= signup) & (both["at"] < deadline)]
    connections = early.groupby("user")["other"].nunique()
    truth = connections[connections >= k]
    rows = loaded.run("aha_users", k=k, days=days, limit=1_000_000)
    assert {r["user_id"]: r["connections"] for r in rows} == truth.to_dict()
    assert len(rows) > 0


@pytest.mark.neo4j
def test_style_labels_follow_the_written_back_numbers(loaded: Loaded):
    n = len(loaded.features)
    (summary,) = loaded.run("style_labels", tier1_share=0.01, tier2_share=0.10)
    tier1, tier2 = math.ceil(0.01 * n), math.ceil(0.10 * n)
    assert summary == {
        "ranked_users": n,
        "tier1_users": tier1,
        "tier2_users": tier2 - tier1,
        "community_labelled_users": int((loaded.features["community"] < 10).sum()),
    }
    by_pagerank = list(loaded.features.sort_values("pagerank", ascending=False).index)
    with loaded.driver.session() as session:
        labels = {
            r["id"]: set(r["labels"])
            for r in session.run("MATCH (u:User) RETURN u.id AS id, labels(u) AS labels")
        }
    assert {u for u, ls in labels.items() if "PageRankTier1" in ls} == set(by_pagerank[:tier1])
    assert {u for u, ls in labels.items() if "PageRankTier2" in ls} == set(by_pagerank[tier1:tier2])
    for user, community in loaded.features["community"].items():
        expected = {f"Community{community}"} if community < 10 else set()
        assert {x for x in labels[user] if x.startswith("Community")} == expected
    # A re-run with other shares leaves no stale tier label behind.
    (again,) = loaded.run("style_labels", tier1_share=0.5, tier2_share=0.5)
    assert again["tier1_users"] == math.ceil(0.5 * n) and again["tier2_users"] == 0
    with loaded.driver.session() as session:
        count = session.run("MATCH (u:PageRankTier2) RETURN count(u) AS n").single()["n"]
    assert count == 0
