"""Report use cases: pull the graph, analyse it, return a report document.

The CLI renders the returned :class:`~graphkit.reports.document.Report` with
:func:`graphkit.reports.write_report`; in a notebook, call the same functions (or their
names in :mod:`graphkit.report`). Each takes an opened store first, or the settings to
open one for the call; the experiment and engagement reports hand it to the experiment
and engagement use cases they run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from graphkit.config import Settings
from graphkit.engagement.settings import (
    AhaSettings,
    AnomaliesSettings,
    MetricsSettings,
    RetentionSettings,
    Rule,
)
from graphkit.errors import InsufficientData
from graphkit.experiments.corrections import Correction
from graphkit.experiments.metrics import (
    DEFAULT_CHURN_DAYS,
    DEFAULT_METRICS,
    DEFAULT_POST_DAYS,
    DEFAULT_PRE_DAYS,
)
from graphkit.experiments.plan import ExperimentPlan, planned
from graphkit.experiments.segmentation import FEATURE_OF
from graphkit.experiments.settings import AnalysisSettings
from graphkit.graph.features import features_of
from graphkit.graph.influence import InfluencerAnalysis, influencer_analysis
from graphkit.graph.pull import SubgraphSpec, pull_graph
from graphkit.reports.document import Report
from graphkit.reports.engagement_report import EngagementResults, engagement_document
from graphkit.reports.experiment_report import ExperimentResults, experiment_document
from graphkit.reports.influencers import influencer_document
from graphkit.store import GraphStore
from graphkit.workflows import engagement as eg
from graphkit.workflows import experiments as ab
from graphkit.workflows.network import choose_engine, opened_subgraph, store_from


def spec_parameters(spec: SubgraphSpec) -> dict[str, Any]:
    """The subgraph options as plain values, for a report's ``parameters``."""
    values = {
        f.name: getattr(spec, f.name) for f in dataclasses.fields(spec) if f.name != "edge_filter"
    }
    values["types"] = list(values["types"]) if values["types"] else None
    return values


def analyze_influencers(
    store: GraphStore | Settings,
    spec: SubgraphSpec | None = None,
    *,
    top: int = 10,
    sample: int | None = None,
    seed: int = 0,
    engine: str | None = None,
) -> InfluencerAnalysis:
    """Pull the subgraph and rank, compare and group its users (see
    :mod:`graphkit.graph.influence` for every rule); ``engine`` computes the scores."""
    with store_from(store) as opened:
        graph = pull_graph(opened, spec)
        choice = choose_engine(store, engine, opened)
        features = None
        if not choice.engine.needs_pull and graph.number_of_edges() > 0:
            # An in-database engine (GDS) computes from the store; the pulled graph is
            # still what the report's ties, bridges and community summary are read from.
            with opened_subgraph(opened, spec, choice) as (subgraph, fold):
                features = features_of(subgraph, fold, sample=sample, seed=seed)
    return influencer_analysis(
        graph, top=top, sample=sample, seed=seed, engine=choice.engine, features=features
    )


def influencer_report(
    store: GraphStore | Settings,
    spec: SubgraphSpec | None = None,
    *,
    top: int = 10,
    sample: int | None = None,
    seed: int = 0,
    engine: str | None = None,
) -> Report:
    """The influencer report of the subgraph ``spec`` describes (``graphkit report
    influencers``).

    Example (embedded store in ``.graphkit``)::

        store = open_store(resolve_settings())
        report = influencer_report(store, top=10)
        store.close()
        write_report(report, Path("reports/influencers.html"))
    """
    spec = spec or SubgraphSpec()
    analysis = analyze_influencers(store, spec, top=top, sample=sample, seed=seed, engine=engine)
    parameters = {"top": top, "sample": sample, "seed": seed, **spec_parameters(spec)}
    return influencer_document(analysis, parameters=parameters)


# ------------------------------------------------------------------------------ experiment

REPORT_SEGMENTS = ("degree", "influencer")
"""Graph positions the experiment report segments by: degree deciles and influencers."""


def analyze_experiment_report(
    store: Settings | GraphStore,
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
        store,
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
            store, experiment, churn_days=churn_days, alpha=alpha
        )
    except InsufficientData as exc:  # the rest of the report still stands
        note = exc.message
    return ExperimentResults(data, result, segments, survival, churn_days, note)


def experiment_report(
    settings: Settings | GraphStore,
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
    network_effects: bool = False,
    design_file: str | Path | None = None,
) -> Report:
    """The A/B report of a stored experiment (see :mod:`graphkit.reports.experiment_report`).

    ``network_effects`` adds the "Network effects" section (``ab spillover`` on every
    metric, with the design recorded in ``design_file``).

    Example::

        report = experiment_report(resolve_settings(), "feed", metrics=["sessions"])
        write_report(report, Path("reports/experiment.html"))
    """
    spec = spec or SubgraphSpec()
    with store_from(settings) as store:
        results = analyze_experiment_report(
            store,
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
        report = experiment_document(results, parameters=parameters)
        if network_effects:
            from graphkit.workflows.network_experiments import with_network_effects

            report = with_network_effects(
                report, store, experiment, metrics, design_file=design_file
            )
    return report


def planned_experiment_report(
    settings: Settings | GraphStore,
    experiment: str,
    plan: ExperimentPlan | None,
    *,
    metrics: Sequence[str] | None = None,
    post_days: float = DEFAULT_POST_DAYS,
    pre_days: float = DEFAULT_PRE_DAYS,
    churn_days: float = DEFAULT_CHURN_DAYS,
    spec: SubgraphSpec | None = None,
    seed: int = 0,
    network_effects: bool = False,
    design_file: str | Path | None = None,
    **analysis_options: Any,
) -> Report:
    """:func:`experiment_report` for an experiment definition file (``--config``).

    The plan, when given, decides metrics, windows and analysis settings;
    ``analysis_options`` are :class:`AnalysisSettings` fields (None: not given) and must
    agree with it (:func:`graphkit.workflows.experiments.resolve_analysis`).
    """
    if plan is not None and plan.experiment:
        planned(plan, experiment, None, "experiment")  # the file and the name must agree
    analysis = ab.resolve_analysis(plan, **analysis_options, seed=seed if plan is None else None)
    return experiment_report(
        settings,
        experiment,
        metrics=metrics or (list(plan.metrics) if plan is not None else DEFAULT_METRICS),
        control=analysis.control,
        post_days=plan.post_days if plan is not None else post_days,
        pre_days=plan.pre_days if plan is not None else pre_days,
        correction=analysis.correction,
        alpha=analysis.alpha,
        churn_days=churn_days,
        spec=spec,
        seed=seed,
        analysis=analysis,
        network_effects=network_effects,
        design_file=design_file,
    )


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
    with store_from(settings) as store:
        activity = eg.engagement_metrics(store, MetricsSettings(since=since, until=until))
        retention, notes = eg.engagement_retention(
            store, RetentionSettings(since=since, until=until)
        )
        anomalies = eg.engagement_anomalies(
            store, AnomaliesSettings(metric=anomaly_metric, rule=rule, since=since, until=until)
        )
        aha, aha_note = None, None
        try:
            aha = eg.engagement_aha(store, AhaSettings(action=action, since=since, until=until))
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
