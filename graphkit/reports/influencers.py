"""The influencer report: arranges an :class:`~graphkit.graph.influence.InfluencerAnalysis`.

The numbers and their rules (composite rank, bridges, agreement, communities,
concentration) live in :mod:`graphkit.graph.influence`; this module words them
(:func:`insights`) and lays them out as a :class:`~graphkit.reports.document.Report`
(:func:`influencer_document`). Words used for the Gini coefficient: below 0.3 "spread
fairly evenly", below 0.6 "moderately concentrated", otherwise "highly concentrated".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from graphkit.graph.influence import (
    BRIDGE_BETWEENNESS_SHARE,
    ISOLATED_INSIDE_SHARE,
    MEASURES,
    InfluencerAnalysis,
    bridge_fit,
    community_summary,
    composite_ranking,
    gini,
    influencer_analysis,
    tau_matrix,
    top_share,
)
from graphkit.reports import network_plots
from graphkit.reports.document import Bullets, Fact, Figure, Paragraph, Report, Section, Table

__all__ = [  # the analysis is re-exported: reports and notebooks read both from here
    "ISOLATED_INSIDE_SHARE",
    "InfluencerAnalysis",
    "bridge_fit",
    "community_summary",
    "composite_ranking",
    "gini",
    "influencer_analysis",
    "influencer_document",
    "insights",
    "top_share",
]

MEASURE_NAMES = {m: m for m in MEASURES} | {"pagerank": "PageRank"}
"""How measures are written in sentences."""
COMMUNITY_ROWS = 20
"""The community table lists at most this many communities, largest first."""

# ------------------------------------------------------------------------------ words


def spread_word(gini_value: float) -> str:
    """How a Gini coefficient reads in a sentence.

    >>> spread_word(0.2), spread_word(0.45), spread_word(0.8)
    ('spread fairly evenly', 'moderately concentrated', 'highly concentrated')
    """
    if gini_value < 0.3:
        return "spread fairly evenly"
    if gini_value < 0.6:
        return "moderately concentrated"
    return "highly concentrated"


def listing(items: list[str]) -> str:
    """Items joined as in a sentence.

    >>> listing(["u1", "u2", "u3"])
    'u1, u2 and u3'
    """
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def insights(analysis: InfluencerAnalysis) -> list[str]:
    """Plain sentences, every number computed from the analysis."""
    users = analysis.users
    sentences = []
    leader = users.iloc[0]
    ranks = ", ".join(f"#{int(leader[f'rank_{m}'])} by {MEASURE_NAMES[m]}" for m in MEASURES)
    sentences.append(
        f"The most central user overall is {leader['user_id']} (community "
        f"{int(leader['community'])}): {ranks}."
    )
    top = analysis.top_by("composite")
    communities = top["community"].nunique()
    sentences.append(
        f"The top {len(top)} by composite rank are {listing(list(top['user_id'].astype(str)))}; "
        f"they come from {communities} "
        f"{'community' if communities == 1 else 'different communities'}."
    )
    c = analysis.concentration
    equal_share = c.top1_users / len(users)
    sentences.append(
        f"Influence is {spread_word(c.gini_pagerank)}: the top 1% of users ({c.top1_users:,} "
        f"of {len(users):,}) hold {c.top1_pagerank_share:.1%} of all PageRank, where an equal "
        f"share would be {equal_share:.1%}; the top 10% hold {c.top10_pagerank_share:.1%}. "
        f"The Gini coefficient is {c.gini_pagerank:.2f} for PageRank and "
        f"{c.gini_degree:.2f} for degree (0 = everyone equal, 1 = one user holds everything)."
    )
    agreement = analysis.agreement.dropna(subset=["kendall_tau"])
    if len(agreement):
        ordered = agreement.sort_values("kendall_tau", ascending=False, kind="mergesort")
        best, worst = ordered.iloc[0], ordered.iloc[-1]
        first, second = (MEASURE_NAMES[m] for m in (best["measure_a"], best["measure_b"]))
        third, fourth = (MEASURE_NAMES[m] for m in (worst["measure_a"], worst["measure_b"]))
        sentences.append(
            f"{first[0].upper() + first[1:]} and {second} agree most "
            f"(Kendall τ = {best['kendall_tau']:.2f}, {int(best['top_overlap'])} of their top "
            f"{analysis.top} in common); {third} and {fourth} agree "
            f"least (τ = {worst['kendall_tau']:.2f}, {int(worst['top_overlap'])} in common)."
        )
    if len(analysis.bridges):
        bridge = analysis.bridges.iloc[0]
        sentences.append(
            f"{bridge['user_id']} is the strongest bridge: {bridge['bridge_ratio']:.1f} times "
            f"the betweenness expected for a user with {int(bridge['degree'])} ties, with "
            f"neighbours in {int(bridge['other_communities'])} other "
            f"{'community' if int(bridge['other_communities']) == 1 else 'communities'}. "
            "Bridges carry information between groups; losing one lengthens many paths."
        )
    summary = analysis.communities
    if len(summary):
        largest = summary.iloc[0]
        sentences.append(
            f"There are {len(summary)} communities of two or more users (modularity "
            f"{analysis.modularity:.2f}); the largest, community {int(largest['community'])}, "
            f"holds {largest['share_of_users']:.0%} of users and "
            f"{largest['pagerank_share']:.0%} of PageRank."
        )
        isolated = summary[summary["isolated"]]
        if len(isolated):
            names = [
                f"{r['community']} ({r['size']:,} users, {r['inside_share']:.0%} of ties inside)"
                for r in isolated.head(5).to_dict("records")
            ]
            more = f" and {len(isolated) - 5} more" if len(isolated) > 5 else ""
            sentences.append(
                f"Isolated communities (at least {ISOLATED_INSIDE_SHARE:.0%} of their ties stay "
                f"inside): {listing(names)}{more}. A feature launched elsewhere will reach "
                "them late, if at all."
            )
        else:
            most = summary.sort_values("inside_share", ascending=False, kind="mergesort").iloc[0]
            sentences.append(
                f"No community is isolated; the most inward-looking is community "
                f"{int(most['community'])}, with {most['inside_share']:.0%} of its ties inside."
            )
    if lonely := analysis.users_without_ties:
        sentences.append(
            "1 user has no tie in this window: it ranks last on every measure and belongs "
            "to no community."
            if lonely == 1
            else f"{lonely:,} users have no tie in this window: they rank last on every "
            "measure and belong to no community."
        )
    return sentences


# ------------------------------------------------------------------------------ document

SCORE_FORMATS = {
    "pagerank": ".5f",
    "betweenness": ".4f",
    "closeness": ".3f",
    "composite_score": ".3f",
}


def top_table(analysis: InfluencerAnalysis, measure: str) -> Table:
    rows = analysis.top_by(measure)
    frame = pd.DataFrame(
        {
            "rank": rows[f"rank_{measure}"].to_numpy(),
            "user_id": rows["user_id"].to_numpy(),
            "community": rows["community"].to_numpy(),
            measure: rows[measure].to_numpy(),
            "composite_rank": rows["composite_rank"].to_numpy(),
        }
    )
    return Table(
        f"top_{measure}",
        frame,
        caption=f"Top {len(frame)} by {MEASURE_NAMES[measure]}",
        formats={k: v for k, v in SCORE_FORMATS.items() if k in frame.columns},
    )


def influencer_document(
    analysis: InfluencerAnalysis, *, parameters: Mapping[str, Any] | None = None
) -> Report:
    """The influencer report as a document (render it with ``write_report``)."""
    users = analysis.users
    top = analysis.top
    composite_columns = [
        "composite_rank",
        "user_id",
        "community",
        "composite_score",
        *[f"rank_{m}" for m in MEASURES],
        "degree",
    ]
    composite = analysis.top_by("composite")[composite_columns].reset_index(drop=True)
    bridges = analysis.bridges[
        [
            "user_id",
            "community",
            "degree",
            "betweenness",
            "expected_betweenness",
            "bridge_ratio",
            "other_communities",
        ]
    ]
    agreement = analysis.agreement
    summary = analysis.communities
    shown_communities = summary.head(COMMUNITY_ROWS)
    c = analysis.concentration
    top_ids = list(composite["user_id"])
    approximate_note = (
        " Betweenness and closeness are estimates: "
        + "; ".join(f"{k} {v}" for k, v in sorted(analysis.approximate.items()))
        + "."
        if analysis.approximate
        else ""
    )

    sections = [
        Section("Insights", [Bullets(insights(analysis))]),
        Section(
            "Top users",
            [
                Paragraph(
                    "Composite rank: the mean of each user's percentile ranks by degree, "
                    "betweenness, closeness and PageRank (1 = central by every account). "
                    "rank_* columns give the rank by each measure." + approximate_note
                ),
                Table(
                    "top_composite",
                    composite,
                    caption=f"Top {len(composite)} by composite rank; scores computed by "
                    f"the {analysis.engine} engine",
                    formats={k: v for k, v in SCORE_FORMATS.items() if k in composite.columns},
                ),
                Paragraph(
                    "Degree counts distinct users interacted with; betweenness is the share "
                    "of shortest paths through the user; closeness how near the user is to "
                    "everyone (Wasserman–Faust); PageRank weighs ties by interaction weight."
                ),
                *[top_table(analysis, m) for m in MEASURES],
            ],
        ),
        Section(
            "Bridge users",
            [
                Paragraph(
                    "Betweenness grows with degree, so the bridge ratio compares each user's "
                    "betweenness with what their degree predicts (a least-squares line of log "
                    f"betweenness on log degree: slope {analysis.bridge_fit[1]:.2f}). Ratio 3 "
                    "means three times the expected betweenness. Listed: the highest ratios "
                    f"among the top {BRIDGE_BETWEENNESS_SHARE:.0%} of users by betweenness "
                    "with a neighbour in another community. other_communities counts the "
                    "communities, besides their own, that their neighbours belong to."
                ),
                Table(
                    "bridges",
                    bridges.reset_index(drop=True),
                    caption=f"Top {len(bridges)} bridge users",
                    formats={"bridge_ratio": ".1f"},
                ),
                Figure(
                    "centrality_scatter",
                    network_plots.centrality_scatter(
                        users,
                        fit=analysis.bridge_fit,
                        highlight=list(bridges["user_id"]),
                        labels=top_ids[:5],
                    ),
                    caption="Betweenness against degree, log–log, coloured by community. "
                    "The dashed line is the expected betweenness for the degree; red rings "
                    "mark the bridge users; the top 5 by composite rank are labelled.",
                    alt="Scatter of betweenness against degree with bridge users ringed.",
                ),
            ],
        ),
        Section(
            "Do the measures agree?",
            [
                Paragraph(
                    f"Kendall's τ compares two complete rankings (1 = identical order, 0 = "
                    f"unrelated); top_overlap counts users in both top-{top} lists."
                ),
                Table(
                    "measure_agreement",
                    agreement,
                    caption="Agreement between measures",
                    formats={"kendall_tau": ".2f"},
                ),
                Figure(
                    "rank_agreement",
                    network_plots.rank_agreement(tau_matrix(agreement)),
                    caption="Kendall's τ between every pair of measures.",
                    alt="Heatmap of Kendall tau between degree, betweenness, closeness and "
                    "PageRank.",
                ),
            ],
        ),
        Section(
            "Communities",
            [
                Paragraph(
                    "Louvain communities, largest first. Density: internal ties over possible "
                    "pairs. inside_share: internal ties over all ties touching the community. "
                    f"Isolated: inside_share at least {ISOLATED_INSIDE_SHARE:.0%}. "
                    "pagerank_share: the community's share of all PageRank."
                    + (
                        f" Showing the {len(shown_communities)} largest of "
                        f"{len(summary)} communities."
                        if len(summary) > len(shown_communities)
                        else ""
                    )
                ),
                Table(
                    "communities",
                    shown_communities,
                    caption="Communities",
                    formats={
                        "share_of_users": ".1%",
                        "density": ".3f",
                        "inside_share": ".1%",
                        "pagerank_share": ".1%",
                    },
                ),
                Figure(
                    "community_sizes",
                    network_plots.community_sizes(summary),
                    caption="Community sizes and the share of each community's ties that "
                    "stay inside.",
                    alt="Bar chart of community sizes.",
                ),
                Figure(
                    "network",
                    network_plots.network_drawing(
                        analysis.graph,
                        dict(zip(users["user_id"], users["community"], strict=True)),
                        dict(zip(users["user_id"], users["pagerank"], strict=True)),
                        highlight=top_ids,
                    ),
                    caption="The network coloured by community, dot area ∝ PageRank; the "
                    f"top {len(top_ids)} by composite rank are ringed and named. Large "
                    "networks are drawn from a sample: the top users plus the "
                    "highest-PageRank members of the ten largest communities.",
                    alt="Drawing of the network with communities in colour and the top "
                    "influencers labelled.",
                ),
            ],
        ),
        Section(
            "Degree distribution",
            [
                Figure(
                    "degree_distribution",
                    network_plots.degree_distribution(users["degree"]),
                    caption="How many users have each degree, log–log. A straight, slowly "
                    "falling tail means a few users have very many ties.",
                    alt="Log-log plot of the degree distribution.",
                )
            ],
        ),
    ]
    facts = [
        Fact("users", "users", analysis.nodes, ","),
        Fact("ties", "ties", analysis.ties, ","),
        Fact("communities", "communities (2+ users)", len(summary)),
        Fact("modularity", "modularity", analysis.modularity, ".2f"),
        Fact("top1_pagerank_share", "PageRank held by the top 1%", c.top1_pagerank_share, ".1%"),
        Fact("gini_pagerank", "Gini of PageRank", c.gini_pagerank, ".2f"),
        Fact("top10_pagerank_share", "PageRank held by the top 10%", c.top10_pagerank_share, ".1%"),
        Fact("gini_degree", "Gini of degree", c.gini_degree, ".2f"),
        Fact("users_without_ties", "users without a tie", analysis.users_without_ties, ","),
    ]
    return Report(
        kind="influencers",
        title="Influencers and communities",
        subtitle=f"{analysis.nodes:,} users, {analysis.ties:,} ties; top lists of {top}."
        + (" Approximate betweenness and closeness." if analysis.approximate else ""),
        sections=sections,
        facts=facts,
        parameters=parameters,
        main_table="top_composite",
    )
