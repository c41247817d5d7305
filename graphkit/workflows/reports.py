"""Report use cases: pull the graph, analyse it, return a report document.

The CLI renders the returned :class:`~graphkit.reports.document.Report` with
:func:`graphkit.reports.write_report`; in a notebook, call the same functions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from graphkit.config import Settings
from graphkit.graph.pull import SubgraphSpec, pull_graph
from graphkit.reports.document import Report
from graphkit.reports.influencers import (
    InfluencerAnalysis,
    influencer_analysis,
    influencer_document,
)
from graphkit.workflows.network import opened_store


def spec_parameters(spec: SubgraphSpec) -> dict[str, Any]:
    """The subgraph options as plain values, for a report's ``parameters``."""
    values = {
        f.name: getattr(spec, f.name) for f in dataclasses.fields(spec) if f.name != "edge_filter"
    }
    values["types"] = list(values["types"]) if values["types"] else None
    return values


def analyze_influencers(
    settings: Settings,
    spec: SubgraphSpec | None = None,
    *,
    top: int = 10,
    sample: int | None = None,
    seed: int = 0,
) -> InfluencerAnalysis:
    """Pull the subgraph and rank, compare and group its users (see
    :mod:`graphkit.reports.influencers` for every rule)."""
    with opened_store(settings) as store:
        graph = pull_graph(store, spec)
    return influencer_analysis(graph, top=top, sample=sample, seed=seed)


def influencer_report(
    settings: Settings,
    spec: SubgraphSpec | None = None,
    *,
    top: int = 10,
    sample: int | None = None,
    seed: int = 0,
) -> Report:
    """The influencer report of the subgraph ``spec`` describes.

    Example (embedded store in ``.graphkit``)::

        report = influencer_report(resolve_settings(), top=10)
        write_report(report, Path("reports/influencers.html"))
    """
    spec = spec or SubgraphSpec()
    analysis = analyze_influencers(settings, spec, top=top, sample=sample, seed=seed)
    parameters = {"top": top, "sample": sample, "seed": seed, **spec_parameters(spec)}
    return influencer_document(analysis, parameters=parameters)
