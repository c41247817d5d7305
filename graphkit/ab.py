"""The ``graphkit ab`` commands as Python functions, with the same names.

Each takes the opened store first (``power`` needs none; :class:`~graphkit.config.
Settings` also do, then the store opens for the call, and only when the call needs it:
a table with every column it needs is analysed without one), then a settings object or
keyword options, and returns a frozen result whose ``to_dict()`` is the command's JSON
and ``to_frame()`` its table/CSV rows::

    from graphkit import resolve_settings
    from graphkit.store import open_store
    from graphkit.experiments.settings import AnalysisSettings, ExperimentSource
    import graphkit.ab

    store = open_store(resolve_settings())
    report = graphkit.ab.analyze(
        store, ExperimentSource(experiment="onboarding"), AnalysisSettings(alpha=0.01)
    )
    store.close()
    report.to_dict()["comparisons"][0]["verdict"]

Bad arguments raise :class:`~graphkit.errors.ParameterError` naming the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from graphkit.errors import ParameterError
from graphkit.experiments.defaults import (
    DEFAULT_CHURN_DAYS,
    DEFAULT_DECILES,
    DEFAULT_METRICS,
    DEFAULT_MIN_SIZE,
    DEFAULT_POST_DAYS,
    DEFAULT_PRE_DAYS,
    FEATURE_OF,
    SEGMENTATIONS,
)

if TYPE_CHECKING:
    from graphkit.experiments.monitor import MonitorResult
    from graphkit.experiments.network.design import DesignSettings, NetworkDesign
    from graphkit.experiments.results import (
        AAReport,
        AnalysisReport,
        Assignment,
        ExperimentData,
        PowerPlan,
        SegmentReport,
        SurvivalReport,
    )
    from graphkit.experiments.settings import AnalysisSettings, ExperimentSource
    from graphkit.store.base import GraphStore
    from graphkit.workflows.network import StoreSource
    from graphkit.workflows.network_experiments import SpilloverReport, SpilloverSettings

__all__ = [
    "aa",
    "analyze",
    "assign",
    "design",
    "experiment_data",
    "monitor",
    "power",
    "segments",
    "spillover",
    "survival",
]


def assign(
    store: StoreSource | None,
    experiment: str,
    *,
    variants: Sequence[str] = ("control", "treatment"),
    weights: Sequence[float] | None = None,
    salt: str = "",
    users: str | Path | None = None,
    assigned_at: datetime | None = None,
    strata: Sequence[str] | None = None,
) -> Assignment:
    """Split users with a salted SHA-256 hash (``graphkit ab assign``).

    Users come from ``users`` (a table with ``user_id``) or else the store; ``strata``
    (users columns, or ``degree_bucket``) balance the split within each stratum.
    Write the rows with :func:`graphkit.workflows.experiments.write_assignments`.

    Examples
    --------
    >>> from graphkit.ab import assign
    >>> import pandas as pd, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"user_id": ["u1", "u2", "u3", "u4"]}).to_csv(folder / "u.csv")
    >>> result = assign(None, "demo", users=folder / "u.csv")
    >>> len(result.rows), sorted(result.to_dict()["variants"])
    (4, ['control', 'treatment'])
    """
    from graphkit.experiments.results import Assignment
    from graphkit.workflows import experiments as flow

    moment = assigned_at or datetime.now(UTC).replace(microsecond=0)
    source = store if users is None else None
    ids = flow.users_to_assign(source, users)
    labels = flow.stratum_labels(source, users, ids, list(strata)) if strata else None
    rows = flow.assign_users(
        ids,
        experiment,
        variants=list(variants),
        weights=None if weights is None else list(weights),
        salt=salt,
        assigned_at=moment,
        strata=labels,
    )
    return Assignment(
        experiment, rows, tuple(variants), None if weights is None else tuple(weights)
    )


def aa(
    store: StoreSource | None,
    *,
    table: str | Path | None = None,
    metrics: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    simulations: int = 1000,
    test: Literal["welch", "student", "mann-whitney"] = "welch",
    alpha: float = 0.05,
    seed: int = 0,
) -> AAReport:
    """Repeated A/A splits: the false-positive rate must be close to ``alpha``
    (``graphkit ab aa``). From ``table`` (name its ``metrics`` columns) or the store."""
    from graphkit.workflows import experiments as flow

    if table is not None:
        if not metrics:
            raise ParameterError("metrics", "must name the table's columns to split")
        return flow.aa_from_table(
            table, metrics=metrics, n_simulations=simulations, test=test, alpha=alpha, seed=seed
        )
    if store is None:
        raise ParameterError("store", "is needed without a table")
    return flow.aa_from_store(
        store,
        metrics=list(metrics) or list(DEFAULT_METRICS),
        since=since,
        until=until,
        n_simulations=simulations,
        test=test,
        alpha=alpha,
        seed=seed,
    )


def power(
    kind: Literal["mean", "proportion"],
    *,
    delta: float | None = None,
    sd: float = 1.0,
    baseline: float | None = None,
    target: float | None = None,
    n: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: Literal["two-sided", "one-sided"] = "two-sided",
    strict: bool = True,
    cluster_size: float | None = None,
    icc: float | None = None,
) -> PowerPlan:
    """Sample size, power or MDE of a two-arm experiment (``graphkit ab power``).

    Give all but one of the effect (``delta``, or ``target``), ``n`` and ``power``.
    With ``cluster_size`` and ``icc``, ``n`` counts users and the design effect
    ``1 + (M - 1)·ICC`` is applied.

    Examples
    --------
    >>> from graphkit.ab import power
    >>> power("mean", delta=0.5).to_dict()["n_per_group_ceil"]  # R: power.t.test
    64
    """
    from graphkit.experiments.network.design import cluster_design_effect, with_design_effect
    from graphkit.experiments.results import PowerPlan
    from graphkit.workflows.experiments import plan_power

    deff = cluster_design_effect(cluster_size, icc)
    result = plan_power(
        kind,
        delta=delta,
        sd=sd,
        baseline=baseline,
        target=target,
        n=None if n is None else n / deff,
        power=power,
        alpha=alpha,
        alternative=alternative,
        strict=strict,
    )
    result = with_design_effect(result, deff)
    return PowerPlan(kind, result, deff if cluster_size is not None else None)


def experiment_data(
    store: StoreSource | None, source: ExperimentSource, needed_features: Sequence[str] = ()
) -> ExperimentData:
    """The per-user table of a stored experiment or of ``source.table``, with the graph
    features ``needed_features`` joined (from ``source.features``, the table, or the
    graph in ``store``)."""
    from graphkit.workflows import experiments as flow

    if source.table is not None:
        return flow.experiment_from_table(
            source.table,
            metrics=source.metrics,
            variant_col=source.variant_col,
            covariates=source.covariates,
            features=source.features,
            needed_features=needed_features,
            store=store,
            spec=source.spec,
            engine=source.engine,
        )
    if store is None:
        raise ParameterError("store", "is needed to read a stored experiment")
    assert source.experiment is not None  # ExperimentSource checked it
    return flow.experiment_from_store(
        store,
        source.experiment,
        metrics=source.metrics,
        post_days=source.post_days,
        pre_days=source.pre_days,
        features=source.features,
        needed_features=needed_features,
        spec=source.spec,
        engine=source.engine,
    )


def analyze(
    store: StoreSource | None,
    source: ExperimentSource,
    settings: AnalysisSettings | None = None,
) -> AnalysisReport:
    """SRM first, then every metric × treatment vs control (``graphkit ab analyze``).

    ``store`` may be None for a ``source.table`` that needs no graph features.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from graphkit.ab import analyze
    >>> from graphkit.experiments.settings import ExperimentSource
    >>> table = pathlib.Path(tempfile.mkdtemp()) / "users.csv"
    >>> pd.DataFrame({
    ...     "variant": ["control"] * 4 + ["treatment"] * 4,
    ...     "minutes": [5.1, 4.9, 5.3, 5.0, 5.6, 5.8, 5.5, 5.9],
    ... }).to_csv(table, index=False)
    >>> report = analyze(None, ExperimentSource(table=table, metrics=("minutes",)))
    >>> round(report.to_dict()["comparisons"][0]["diff"], 3)
    0.625
    >>> report.to_frame()[["metric", "diff"]].round(3).values.tolist()  # the CSV rows
    [['minutes', 0.625]]
    """
    from graphkit.experiments.results import AnalysisReport
    from graphkit.experiments.settings import AnalysisSettings
    from graphkit.graph.features import FEATURE_COLUMNS
    from graphkit.workflows.experiments import analyze as analyze_data

    settings = settings or AnalysisSettings()
    needed = [c for c in settings.adjust_for if c in FEATURE_COLUMNS]
    data = experiment_data(store, source, needed)
    return AnalysisReport(analyze_data(data, settings), data)


def monitor(
    store: StoreSource,
    experiment: str,
    settings: AnalysisSettings | None = None,
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    every_days: float = 1.0,
    post_days: float = DEFAULT_POST_DAYS,
    pre_days: float = DEFAULT_PRE_DAYS,
) -> MonitorResult:
    """Replay a stored experiment look by look (``graphkit ab monitor``)."""
    from graphkit.experiments.settings import AnalysisSettings
    from graphkit.workflows.experiments import monitor as replay

    return replay(
        store,
        experiment,
        analysis=settings or AnalysisSettings(),
        metrics=metrics,
        every_days=every_days,
        post_days=post_days,
        pre_days=pre_days,
    )


def segments(
    store: StoreSource | None,
    source: ExperimentSource,
    *,
    by: Sequence[str] = SEGMENTATIONS,
    control: str = "control",
    treatments: Sequence[str] | None = None,
    cuped: bool = True,
    deciles: int = DEFAULT_DECILES,
    min_size: int = DEFAULT_MIN_SIZE,
    alpha: float = 0.05,
    weights: Mapping[str, float] | None = None,
) -> SegmentReport:
    """Effects by graph position: degree deciles, influencers, communities
    (``graphkit ab segments``)."""
    from graphkit.workflows.experiments import segments as by_segment

    unknown = [name for name in by if name not in FEATURE_OF]
    if unknown:
        raise ParameterError(
            "by", f"names unknown segmentation(s) {', '.join(unknown)}", hint=str(SEGMENTATIONS)
        )
    data = experiment_data(store, source, [FEATURE_OF[name] for name in by])
    return by_segment(
        data,
        by=by,
        control=control,
        treatments=treatments,
        use_cuped=cuped,
        deciles=deciles,
        min_size=min_size,
        alpha=alpha,
        weights=weights,
    )


def survival(
    store: StoreSource | None,
    *,
    experiment: str | None = None,
    table: str | Path | None = None,
    duration_col: str | None = None,
    event_col: str | None = None,
    variant_col: str = "variant",
    churn_days: float = DEFAULT_CHURN_DAYS,
    event: str | None = None,
    until: datetime | None = None,
    alpha: float = 0.05,
) -> SurvivalReport:
    """Kaplan–Meier curves, median per arm, log-rank test (``graphkit ab survival``).

    From ``table`` (``duration_col``, ``event_col``, ``variant_col``) or a stored
    ``experiment`` (days from assignment to churn).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from graphkit.ab import survival
    >>> table = pathlib.Path(tempfile.mkdtemp()) / "churn.csv"
    >>> pd.DataFrame({
    ...     "variant": ["a"] * 4 + ["b"] * 4,
    ...     "days": [1, 2, 3, 4, 2, 4, 6, 8],
    ... }).to_csv(table, index=False)
    >>> report = survival(None, table=table, duration_col="days")
    >>> report.to_dict()["median"], report.to_dict()["n"]  # S = 0.5 on [2, 3): R takes 2.5
    ({'a': 2.5, 'b': 5.0}, {'a': 4, 'b': 4})
    """
    from graphkit.experiments.results import SurvivalReport
    from graphkit.workflows import experiments as flow

    if experiment and table:
        raise ParameterError("table", "is for your own data: give either experiment or table")
    if table is not None:
        if duration_col is None:
            raise ParameterError("duration_col", "is needed with a table")
        comparison = flow.survival_from_table(
            table,
            duration_col=duration_col,
            event_col=event_col,
            variant_col=variant_col,
            alpha=alpha,
        )
        return SurvivalReport(comparison, duration_col)
    if not experiment:
        raise ParameterError(
            "experiment", "or table is needed: nothing to analyse", hint="name one of them"
        )
    if store is None:
        raise ParameterError("store", "is needed to read a stored experiment")
    comparison, durations = flow.survival_from_store(
        store, experiment, churn_days=churn_days, event=event, until=until, alpha=alpha
    )
    return SurvivalReport(comparison, "days since assignment", durations)


def design(
    store: GraphStore, settings: DesignSettings, *, until: datetime | None = None
) -> NetworkDesign:
    """Randomize users, clusters or ego-clusters on the graph (``graphkit ab design``).

    Write the assignments and design record with
    :func:`graphkit.workflows.network_experiments.write_design`.
    """
    from graphkit.workflows.network_experiments import design as randomize

    return randomize(store, settings, until=until)


def spillover(
    store: StoreSource,
    settings: SpilloverSettings,
    *,
    metric: str,
    experiment: str | None = None,
    table: str | Path | None = None,
    id_col: str = "user_id",
    variant_col: str = "variant",
    post_days: float | None = None,
    design_file: str | Path | None = None,
) -> SpilloverReport:
    """Spillover estimates on the graph's exposure conditions (``graphkit ab spillover``)."""
    from graphkit.workflows import network_experiments as flow

    if not metric:
        raise ParameterError("metric", "is needed: name the outcome")
    if (experiment is None) == (table is None):
        raise ParameterError("table", "is for your own data: give either experiment or table")
    if table is not None:
        return flow.spillover_from_table(
            store,
            table,
            settings,
            metric=metric,
            id_col=id_col,
            variant_col=variant_col,
            design_file=design_file,
        )
    assert experiment is not None
    return flow.spillover_from_store(
        store, experiment, metric, settings, post_days=post_days, design_file=design_file
    )
