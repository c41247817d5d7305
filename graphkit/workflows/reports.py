"""Report use cases: pull the graph, analyse it, return a report document.

The CLI renders the returned :class:`~graphkit.reports.document.Report` with
:func:`graphkit.reports.write_report`; in a notebook, call the same functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from graphkit.config import Settings
from graphkit.engagement.anomaly_detection import Rule
from graphkit.errors import InsufficientData
from graphkit.experiments.corrections import Correction
from graphkit.experiments.metrics import (
    DEFAULT_CHURN_DAYS,
    DEFAULT_METRICS,
    DEFAULT_POST_DAYS,
    DEFAULT_PRE_DAYS,
)
from graphkit.experiments.segmentation import FEATURE_OF
from graphkit.experiments.settings import AnalysisSettings
from graphkit.graph.features import features_of
from graphkit.graph.pull import SubgraphSpec, pull_graph
from graphkit.reports.document import Report
from graphkit.reports.engagement_report import EngagementResults, engagement_document
from graphkit.reports.experiment_report import ExperimentResults, experiment_document
from graphkit.reports.influencers import (
    InfluencerAnalysis,
    influencer_analysis,
    influencer_document,
)
from graphkit.workflows import engagement as eg
from graphkit.workflows import experiments as ab
from graphkit.workflows.network import choose_engine, opened_store, opened_subgraph


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
    engine: str | None = None,
) -> InfluencerAnalysis:
    """Pull the subgraph and rank, compare and group its users (see
    :mod:`graphkit.reports.influencers` for every rule); ``engine`` computes the scores."""
    with opened_store(settings) as store:
        graph = pull_graph(store, spec)
        choice = choose_engine(settings, engine, store)
        features = None
        if not choice.engine.needs_pull and graph.number_of_edges() > 0:
            # An in-database engine (GDS) computes from the store; the pulled graph is
            # still what the report's ties, bridges and community summary are read from.
            with opened_subgraph(store, spec, choice) as (opened, fold):
                features = features_of(opened, fold, sample=sample, seed=seed)
    return influencer_analysis(
        graph, top=top, sample=sample, seed=seed, engine=choice.engine, features=features
    )


def influencer_report(
    settings: Settings,
    spec: SubgraphSpec | None = None,
    *,
    top: int = 10,
    sample: int | None = None,
    seed: int = 0,
    engine: str | None = None,
) -> Report:
    """The influencer report of the subgraph ``spec`` describes.

    Example (embedded store in ``.graphkit``)::

        report = influencer_report(resolve_settings(), top=10)
        write_report(report, Path("reports/influencers.html"))
    """
    spec = spec or SubgraphSpec()
    analysis = analyze_influencers(
        settings, spec, top=top, sample=sample, seed=seed, engine=engine
    )
    parameters = {"top": top, "sample": sample, "seed": seed, **spec_parameters(spec)}
    return influencer_document(analysis, parameters=parameters)


# ------------------------------------------------------------------------------ experiment

REPORT_SEGMENTS = ("degree", "influencer")
"""Graph positions the experiment report segments by: degree deciles and influencers."""


def analyze_experiment_report(
    settings: Settings,
    experiment: str,
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    control: str = "control",
    post_days: float = DEFAULT_POST_DAYS,
    pre_days: float = DEFAULT_PRE_DAYS,
    correction: Correction = "holm",
    alpha: float = 0.05,
    churn_days: float = DEFAULT_CHURN_DAYS,
    spec: SubgraphSpec | None = None,
    seed: int = 0,
    analysis: AnalysisSettings | None = None,
) -> ExperimentResults:
    """Run the experiment workflows the report shows: ``analyze``, ``segments`` (degree
    deciles and influencers) and ``survival_from_store`` (time to churn).

    ``analysis`` (e.g. from an experiment definition file, with the planned weights)
    replaces ``control``, ``correction`` and ``alpha``."""
    if analysis is None:
        analysis = AnalysisSettings(control=control, correction=correction, alpha=alpha, seed=seed)
    control, alpha = analysis.control, analysis.alpha
    data = ab.experiment_from_store(
        settings,
        experiment,
        metrics=metrics,
        post_days=post_days,
        pre_days=pre_days,
        needed_features=[FEATURE_OF[name] for name in REPORT_SEGMENTS],
        spec=spec,
        seed=seed,
    )
    result = ab.analyze(data, settings=analysis)
    segments = ab.segments(
        data,
        by=REPORT_SEGMENTS,
        control=control,
        alpha=alpha,
        weights=analysis.weights,
        srm_threshold=analysis.srm_threshold,
    )
    survival, note = None, None
    try:
        survival, _ = ab.survival_from_store(
            settings, experiment, churn_days=churn_days, alpha=alpha
        )
    except InsufficientData as exc:  # the rest of the report still stands
        note = exc.message
    return ExperimentResults(data, result, segments, survival, churn_days, note)


def experiment_report(
    settings: Settings,
    experiment: str,
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    control: str = "control",
    post_days: float = DEFAULT_POST_DAYS,
    pre_days: float = DEFAULT_PRE_DAYS,
    correction: Correction = "holm",
    alpha: float = 0.05,
    churn_days: float = DEFAULT_CHURN_DAYS,
    spec: SubgraphSpec | None = None,
    seed: int = 0,
    analysis: AnalysisSettings | None = None,
) -> Report:
    """The A/B report of a stored experiment (see :mod:`graphkit.reports.experiment_report`).

    Example::

        report = experiment_report(resolve_settings(), "feed", metrics=["sessions"])
        write_report(report, Path("reports/experiment.html"))
    """
    spec = spec or SubgraphSpec()
    results = analyze_experiment_report(
        settings,
        experiment,
        metrics=metrics,
        control=control,
        post_days=post_days,
        pre_days=pre_days,
        correction=correction,
        alpha=alpha,
        churn_days=churn_days,
        spec=spec,
        seed=seed,
        analysis=analysis,
    )
    chosen = results.analysis.settings
    parameters = {
        "experiment": experiment,
        "metrics": list(metrics),
        "control": results.analysis.control,
        "post_days": post_days,
        "pre_days": pre_days,
        "correction": chosen.correction if chosen else correction,
        "alpha": results.analysis.alpha,
        "churn_days": churn_days,
        "segments": list(REPORT_SEGMENTS),
        "seed": seed,
        **spec_parameters(spec),
    }
    if chosen is not None and analysis is not None:
        parameters["analysis"] = chosen.to_dict()
    return experiment_document(results, parameters=parameters)


# ------------------------------------------------------------------------------ engagement


def analyze_engagement_report(
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    anomaly_metric: str = "dau",
    rule: Rule = "sigma",
    action: str = "connections",
) -> EngagementResults:
    """Run the engagement workflows the report shows: metrics, retention, anomalies, aha."""
    activity = eg.engagement_metrics(settings, since=since, until=until)
    retention, notes = eg.engagement_retention(settings, since=since, until=until)
    anomalies = eg.engagement_anomalies(
        settings, metric=anomaly_metric, rule=rule, since=since, until=until
    )
    aha, aha_note = None, None
    try:
        aha = eg.engagement_aha(settings, action=action, since=since, until=until)
    except InsufficientData as exc:  # too few judged users: the rest of the report stands
        aha_note = exc.message
    return EngagementResults(activity, retention, anomalies, aha, aha_note, notes)


def engagement_report(
    settings: Settings,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    anomaly_metric: str = "dau",
    rule: Rule = "sigma",
    action: str = "connections",
) -> Report:
    """The engagement report of the stored events (see
    :mod:`graphkit.reports.engagement_report`).

    Example::

        report = engagement_report(resolve_settings())
        write_report(report, Path("reports/engagement.html"))
    """
    results = analyze_engagement_report(
        settings,
        since=since,
        until=until,
        anomaly_metric=anomaly_metric,
        rule=rule,
        action=action,
    )
    parameters = {
        "since": since.isoformat() if since is not None else None,
        "until": until.isoformat() if until is not None else None,
        "anomaly_metric": anomaly_metric,
        "rule": rule,
        "action": action,
    }
    return engagement_document(results, parameters=parameters)
