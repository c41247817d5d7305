"""Experiment use cases: split users, plan power, run A/A checks, analyse, segment, survive.

Each function takes an opened store (or :class:`~graphkit.config.Settings`, then it
opens the store itself for the call) or a user-supplied table, and returns a result
object; nothing here prints. The CLI opens the store once per command and passes it
down. The notebook API with the CLI's names is :mod:`graphkit.ab`; at this level::

    from graphkit import resolve_settings
    from graphkit.workflows import experiments as ab
    data = ab.experiment_from_store(resolve_settings(), "onboarding")
    result = ab.analyze(data)
    result.to_dict()["srm"]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from graphkit.config import Settings
from graphkit.errors import (
    ConfigError,
    DataError,
    InsufficientData,
    Location,
    ParameterError,
    StoreUnavailable,
)
from graphkit.experiments.aa_simulation import simulate_aa
from graphkit.experiments.analysis import (
    ExperimentAnalysis,
    analyze_experiment,
    check_split,
    check_variants,
    parse_table_metric,
)
from graphkit.experiments.assignment import assign, assign_stratified
from graphkit.experiments.means import MeanTest
from graphkit.experiments.metrics import (
    DEFAULT_CHURN_DAYS,
    DEFAULT_METRICS,
    DEFAULT_POST_DAYS,
    DEFAULT_PRE_DAYS,
    EventMetric,
    Metric,
    experiment_metrics,
    parse_event_metric,
    require_columns,
    time_to_churn,
)
from graphkit.experiments.monitor import MonitorResult, replay
from graphkit.experiments.plan import ExperimentPlan
from graphkit.experiments.power import PowerResult, power_prop_test, power_t_test
from graphkit.experiments.results import AAReport, ExperimentData, SegmentReport
from graphkit.experiments.segmentation import (
    DEFAULT_DECILES,
    DEFAULT_MIN_SIZE,
    FEATURE_OF,
    SEGMENTATIONS,
)
from graphkit.experiments.segments import analyze_segments
from graphkit.experiments.settings import AnalysisSettings
from graphkit.experiments.srm import SRM_THRESHOLD
from graphkit.graph.features import (
    DEFAULT_INFLUENCER_SHARE,
    UserFeatures,
    read_features,
    user_features,
)
from graphkit.graph.pull import SubgraphSpec
from graphkit.workflows.network import StoreSource, store_from

if TYPE_CHECKING:
    from graphkit.experiments.survival import SurvivalComparison

ASSIGNMENT_FILE_COLUMNS = ["experiment", "user_id", "variant", "assigned_at"]

def describe(source: StoreSource) -> str:
    """Which store, for messages (never a password)."""
    if isinstance(source, Settings):
        return source.describe()
    folder = getattr(source, "folder", None)
    if folder is not None:
        return f"embedded store in {folder}"
    return str(getattr(source, "description", type(source).__name__))


# ------------------------------------------------------------------------- reading tables


def read_user_table(path: str | Path) -> pd.DataFrame:
    """Read an analyst's per-user CSV or Parquet table (header row for CSV).

    The index holds each row's line in the file (CSV, header = line 1) or its 1-based
    row number (Parquet), so errors can point at it.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            "the file does not exist" if not path.exists() else "not a file",
            location=Location(str(path)),
            expected="a CSV or Parquet table with one row per user",
        )
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
            frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
        else:
            frame = pd.read_csv(path, skipinitialspace=True)
            frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot read the table: {exc}",
            location=Location(str(path)),
            expected="a comma-separated CSV with a header row, or a Parquet file",
        ) from exc
    if frame.empty:
        raise DataError("the table has no rows", location=Location(str(path)))
    frame.attrs["path"] = str(path)
    return frame


def _check_numbers(frame: pd.DataFrame, columns: Sequence[str], path: str) -> pd.DataFrame:
    """``frame`` with ``columns`` as floats: every value a finite number or empty (NaN),
    else a DataError at its line. A column read as numbers is not converted again."""
    converted = {}
    for column in columns:
        raw = frame[column]
        numeric = pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw)
        numbers = raw if numeric else pd.to_numeric(raw, errors="coerce")
        bad = (numbers.isna() & raw.notna()) | np.isinf(numbers.fillna(0))
        if bad.any():
            line = int(bad[bad].index[0])
            raise DataError(
                f"{raw[line]!r} is not a number",
                location=Location(path, line, column),
                expected="a finite number (or an empty cell for a missing value)",
                hint="fix or remove the value; empty cells are left out with a note",
            )
        converted[column] = numbers.astype(float)
    return frame.assign(**converted)


def _parse_covariates(texts: Sequence[str], metrics: Sequence[Metric]) -> dict[str, str]:
    """``--covariate X`` (every metric) or ``--covariate METRIC=X`` (one metric)."""
    names = [metric.column for metric in metrics]
    chosen: dict[str, str] = {}
    for text in texts:
        metric, equals, column = text.partition("=")
        if not equals:
            if len(texts) > 1:
                raise ParameterError(
                    "covariates",
                    "must each name their metric when there are several",
                    hint="write METRIC=COLUMN",
                )
            return dict.fromkeys(names, text.strip())
        if metric.strip() not in names:
            raise ParameterError(
                "covariates",
                f"item {text!r} names metric {metric.strip()!r}, which is not analysed",
                hint=f"metrics: {', '.join(names)}",
            )
        chosen[metric.strip()] = column.strip()
    return chosen


def experiment_from_table(
    path: str | Path,
    *,
    metrics: Sequence[str],
    variant_col: str = "variant",
    covariates: Sequence[str] = (),
    features: str | Path | pd.DataFrame | None = None,
    id_col: str = "user_id",
    needed_features: Sequence[str] = (),
    store: StoreSource | None = None,
    spec: SubgraphSpec | None = None,
    engine: str | None = None,
) -> ExperimentData:
    """An analyst's per-user table: name the variant column, metrics and covariates.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet, one row per user.
    metrics : sequence of str
        ``COLUMN`` or ``COLUMN:KIND`` (kind ``mean``, ``count`` or ``conversion``;
        0/1 columns are conversions unless declared).
    variant_col : str
        Column with each user's arm.
    covariates : sequence of str
        ``COLUMN`` (the CUPED covariate of every metric) or ``METRIC=COLUMN``.
    features : path or DataFrame, optional
        Graph features (``graphkit features --out``) joined on ``id_col``.
    id_col : str
        The user id column, needed to join features.
    needed_features : sequence of str
        Graph feature columns the analysis needs; when the table lacks them and no
        ``features`` are given, they are built from the graph in ``store``
        (``spec`` chooses the subgraph) and joined on ``id_col``.
    store : GraphStore or Settings, optional
        Where the graph lives (an opened store, or settings to open one).
    """
    frame = read_user_table(path)
    source = str(path)
    if not metrics:
        raise ParameterError("metrics", "must name at least one column of the table")
    require_columns(frame, [variant_col], what="variant")
    parsed = [parse_table_metric(text, frame) for text in metrics]
    chosen = _parse_covariates(covariates, parsed)
    parsed = [replace(m, covariate=chosen.get(m.column)) for m in parsed]
    numeric = [m.column for m in parsed] + [m.denominator for m in parsed if m.denominator]
    numeric += [m.covariate for m in parsed if m.covariate]
    require_columns(frame, numeric, what="covariate")
    # Checked and converted here, once: the analysis finds float columns and keeps them.
    frame = _check_numbers(frame, list(dict.fromkeys(numeric)), source)
    notes: list[str] = []
    missing = [column for column in needed_features if column not in frame.columns]
    if features is None and missing and store is not None:
        try:
            built = graph_feature_table(store, spec, missing, engine=engine)
        except StoreUnavailable as exc:
            raise StoreUnavailable(
                f"the table has no {', '.join(missing)} column and no graph to build it "
                f"from: {exc.message}",
                hint="pass --features FILE (from `graphkit features --out`), add the "
                "columns to the table, or point --store/--neo4j at the loaded network",
            ) from exc
        features = built.table
        notes.extend(f"{name} is approximate ({how})" for name, how in built.approximate.items())
    if features is not None:
        frame, note = join_features(frame, features, id_col=id_col)
        notes.extend(note)
    if id_col in frame.columns and id_col != "user_id":
        frame = frame.rename(columns={id_col: "user_id"})
    return ExperimentData(
        table=frame,
        metrics=tuple(parsed),
        variant_col=variant_col,
        experiment=None,
        source=source,
        notes=tuple(notes),
    )


def join_features(
    frame: pd.DataFrame, features: str | Path | pd.DataFrame, *, id_col: str = "user_id"
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Left-join a graph-feature table on the user id; say how many users it misses."""
    table = features if isinstance(features, pd.DataFrame) else read_features(features)
    require_columns(frame, [id_col], what="user id (needed to join graph features)")
    require_columns(table, ["user_id"], what="features user_id")
    extra = [c for c in table.columns if c != "user_id" and c not in frame.columns]
    right = table[["user_id", *extra]].astype({"user_id": str})
    joined = frame.assign(**{"__id__": frame[id_col].astype(str)}).merge(
        right.rename(columns={"user_id": "__id__"}), on="__id__", how="left"
    )
    joined.index = frame.index
    joined = joined.drop(columns="__id__")
    notes = []
    if extra:
        missing = int(joined[extra[0]].isna().sum())
        if missing:
            notes.append(f"{missing} user(s) have no graph features")
    return joined, tuple(notes)


# ------------------------------------------------------------------------- the store


def graph_feature_table(
    store: StoreSource,
    spec: SubgraphSpec | None,
    needed: Sequence[str],
    *,
    seed: int = 0,
    influencer_share: float = DEFAULT_INFLUENCER_SHARE,
    engine: str | None = None,
) -> UserFeatures:
    """The features ``needed``, by the one feature path (:func:`user_features`)."""
    with store_from(store) as opened:
        return user_features(
            opened,
            needed,
            spec=spec,
            seed=seed,
            influencer_share=influencer_share,
            engine=engine,
        )


def _experiment_assignments(store: StoreSource, experiment: str) -> pd.DataFrame:
    with store_from(store) as opened:
        assignments = opened.assignments(experiment=experiment)
        if assignments.empty:
            names = sorted(opened.assignments()["experiment"].unique())
            raise ConfigError(
                f"experiment {experiment!r} is not in the store ({describe(store)}); "
                f"experiments found: {', '.join(names) or 'none'}",
                hint="load a dataset with assignments.csv (see `graphkit ab assign`)",
            )
    return assignments


def _events_between(store: StoreSource, since: pd.Timestamp, until: pd.Timestamp) -> pd.DataFrame:
    with store_from(store) as opened:
        return opened.events(since=since.to_pydatetime(), until=until.to_pydatetime())


def experiment_from_store(
    store: StoreSource,
    experiment: str,
    *,
    metrics: Sequence[str | EventMetric] = DEFAULT_METRICS,
    post_days: float = DEFAULT_POST_DAYS,
    pre_days: float = DEFAULT_PRE_DAYS,
    features: str | Path | pd.DataFrame | None = None,
    needed_features: Sequence[str] = (),
    spec: SubgraphSpec | None = None,
    influencer_share: float = DEFAULT_INFLUENCER_SHARE,
    seed: int = 0,
    engine: str | None = None,
) -> ExperimentData:
    """Per-user metrics of a stored experiment, from its assignments and events.

    Parameters
    ----------
    store : GraphStore or Settings
        The opened store (or settings to open one for this call).
    experiment : str
        Name in the ``experiment`` column of assignments.csv.
    metrics : sequence
        Event metrics (``NAME=AGGREGATE[:EVENT]`` or builtin names; see
        :mod:`graphkit.experiments.metrics`).
    post_days, pre_days : float
        The windows around each user's ``assigned_at``.
    features : path or DataFrame, optional
        A graph-feature table to join (``graphkit features --out``).
    needed_features : sequence of str
        Graph feature columns the analysis needs; without ``features`` they are built
        from the stored graph (``spec`` chooses the subgraph).
    """
    parsed = [m if isinstance(m, EventMetric) else parse_event_metric(m) for m in metrics]
    with store_from(store) as opened:
        assignments = _experiment_assignments(opened, experiment)
        first = assignments["assigned_at"].min() - pd.Timedelta(days=pre_days)
        last = assignments["assigned_at"].max() + pd.Timedelta(days=post_days)
        events = _events_between(opened, first, last)
        built = (
            graph_feature_table(
                opened,
                spec,
                needed_features,
                seed=seed,
                influencer_share=influencer_share,
                engine=engine,
            )
            if features is None and needed_features
            else None
        )
    derived = experiment_metrics(
        assignments, events, parsed, post_days=post_days, pre_days=pre_days
    )
    table = derived.table
    notes = list(derived.notes)
    if features is not None:
        table, note = join_features(table, features)
        notes.extend(note)
    elif built is not None:
        table, note = join_features(table, built.table)
        notes.extend(note)
        notes.extend(f"{name} is approximate ({how})" for name, how in built.approximate.items())
    return ExperimentData(
        table=table,
        metrics=derived.metrics,
        variant_col="variant",
        experiment=experiment,
        source="store",
        post_days=derived.post_days,
        pre_days=derived.pre_days,
        notes=tuple(notes),
    )


def monitor(
    store: StoreSource,
    experiment: str,
    *,
    analysis: AnalysisSettings,
    metrics: Sequence[str | EventMetric] = DEFAULT_METRICS,
    every_days: float = 1.0,
    post_days: float = DEFAULT_POST_DAYS,
    pre_days: float = DEFAULT_PRE_DAYS,
) -> MonitorResult:
    """Replay a stored experiment look by look (see :mod:`graphkit.experiments.monitor`).

    Look k sees the users assigned before ``first assignment + k·every_days`` and the
    events recorded before then (post windows still growing are cut there), and runs
    the fixed-horizon analysis of ``analysis``; the always-valid numbers are added.
    Looks run until every post window has ended.

    Raises
    ------
    ConfigError
        If ``every_days`` is not positive or the experiment is not stored.
    """
    if not (np.isfinite(every_days) and every_days > 0):
        raise ParameterError("every_days", f"must be a positive number of days, got {every_days}")
    parsed = [m if isinstance(m, EventMetric) else parse_event_metric(m) for m in metrics]
    assignments = _experiment_assignments(store, experiment)
    # Unknown arm names are bad input (exit 2, listing the arms), not "no look had users
    # in both arms"; a one-arm experiment is InsufficientData, as for ``analyze``.
    check_variants(
        sorted(assignments["variant"].astype(str).unique()), analysis.control, analysis.treatments
    )
    start = assignments["assigned_at"].min()
    end = assignments["assigned_at"].max() + pd.Timedelta(days=post_days)
    events = _events_between(store, start - pd.Timedelta(days=pre_days), end)
    fixed = replace(analysis, sequential=False)
    step = pd.Timedelta(days=every_days)
    looks: list[tuple[str, ExperimentAnalysis]] = []
    notes: list[str] = []
    cutoff = start + step
    while True:
        seen = assignments[assignments["assigned_at"] < cutoff]
        arms = seen["variant"].astype(str).unique()
        if analysis.control in arms and len(arms) > 1:
            derived = experiment_metrics(
                seen, events[events["at"] < cutoff], parsed, post_days=post_days, pre_days=pre_days
            )
            try:
                result = analyze_experiment(
                    derived.table, derived.metrics, experiment=experiment, settings=fixed
                )
            except InsufficientData as exc:
                notes.append(f"look at {cutoff.isoformat()}: {exc.message}")
            else:
                looks.append((cutoff.isoformat(), result))
        if cutoff >= end:
            break
        cutoff = min(cutoff + step, end)
    if not looks:
        raise InsufficientData(
            "no look had users in both arms", hint="check the experiment's assignments"
        )
    return replay(
        looks,
        tuning=analysis.sequential_tuning,
        every_days=every_days,
        experiment=experiment,
        notes=notes,
    )


# ------------------------------------------------------------------------- analysis


def analyze(data: ExperimentData, settings: AnalysisSettings | None = None) -> ExperimentAnalysis:
    """Analyse every metric × treatment of ``data`` (see :func:`analyze_experiment`).

    ``settings`` (built once, by the caller or :func:`resolve_analysis`) default to
    :class:`~graphkit.experiments.settings.AnalysisSettings` ().

    Raises
    ------
    ParameterError
        If an ``adjust_for`` covariate is not a column of the data.
    """
    settings = settings or AnalysisSettings()
    if settings.adjust_for:
        missing = [c for c in settings.adjust_for if c not in data.table.columns]
        if missing:
            raise ParameterError(
                "adjust_for",
                f"covariate(s) not available: {', '.join(missing)}",
                hint="graph covariates come from the store's graph or a features table; "
                "table covariates must be columns of the table",
            )
    result = analyze_experiment(
        data.table,
        data.metrics,
        variant_col=data.variant_col,
        experiment=data.experiment,
        settings=settings,
    )
    return replace(result, notes=(*data.notes, *result.notes))


def resolve_analysis(plan: ExperimentPlan | None = None, **options: Any) -> AnalysisSettings:
    """The analysis settings from a definition file and/or the caller's options.

    ``options`` are :class:`AnalysisSettings` fields; None means "not given". Without a
    plan they build the settings. With one, the plan decides and an option that
    contradicts it is an error (the file is the single place the plan lives), so a
    report and an analysis of the same file cannot disagree.

    Raises
    ------
    ConfigError
        If an option differs from the plan's value, or a value is invalid.
    """
    given = {key: value for key, value in options.items() if value is not None}
    if plan is None:
        return AnalysisSettings(**given)
    chosen = plan.analysis
    for key, value in given.items():
        planned = getattr(chosen, key)
        same = (
            dict(planned) == dict(value)
            if isinstance(planned, Mapping) and isinstance(value, Mapping)
            else planned == (tuple(value) if isinstance(value, list) else value)
        )
        if not same:
            raise ConfigError(
                f"{key} is {planned!r} in {plan.source} but {value!r} was given",
                hint="keep the experiment's plan in one place: change the definition file "
                "or drop the option",
            )
    return chosen


def segments(
    data: ExperimentData,
    *,
    by: Sequence[str] = SEGMENTATIONS,
    control: str = "control",
    treatments: Sequence[str] | None = None,
    use_cuped: bool = True,
    deciles: int = DEFAULT_DECILES,
    min_size: int = DEFAULT_MIN_SIZE,
    alpha: float = 0.05,
    weights: Mapping[str, float] | None = None,
    srm_threshold: float = SRM_THRESHOLD,
) -> SegmentReport:
    """Effects per graph segment for every metric and treatment of ``data``."""
    unknown = [name for name in by if name not in FEATURE_OF]
    if unknown:
        raise ConfigError(
            f"unknown segmentation(s): {', '.join(unknown)}",
            hint=f"choose among {', '.join(SEGMENTATIONS)}",
        )
    needed = [FEATURE_OF[name] for name in by]
    missing = [column for column in needed if column not in data.table.columns]
    if missing:
        raise ParameterError(
            "features",
            f"are needed: graph feature column(s) missing: {', '.join(missing)}",
            hint="give a features table (from `graphkit features --out`), or analyse a "
            "stored experiment so graphkit builds them from the graph",
        )
    split = check_split(
        data.table[data.variant_col].astype(str),
        control,
        treatments,
        weights=weights,
        srm_threshold=srm_threshold,
    )
    # A segment estimate is a Welch comparison of per-user values; a ratio metric's
    # per-user numerator is not the metric, so ratios are not segmented.
    ratios = [metric.label for metric in data.metrics if metric.kind == "ratio"]
    analyses = tuple(
        analyze_segments(
            data.table,
            metric,
            name,
            variant_col=data.variant_col,
            control=control,
            treatment=arm,
            use_cuped=use_cuped,
            deciles=deciles,
            min_size=min_size,
            alpha=alpha,
        )
        for metric in data.metrics
        if metric.kind != "ratio"
        for arm in split.treatments
        for name in by
    )
    notes = [*data.notes, *split.notes]
    if ratios:
        notes.append(f"ratio metric(s) {', '.join(ratios)} are not segmented")
    return SegmentReport(data.experiment, split.srm, analyses, tuple(notes))


# ------------------------------------------------------------------------- A/A


def aa_from_store(
    store: StoreSource,
    *,
    metrics: Sequence[str | EventMetric] = DEFAULT_METRICS,
    since: datetime | None = None,
    until: datetime | None = None,
    n_simulations: int = 1000,
    test: MeanTest = "welch",
    alpha: float = 0.05,
    seed: int | None = 0,
) -> AAReport:
    """A/A splits of every stored user's metric over ``[since, until)`` (default: all events).

    Users without an event in the window count with 0, as in an experiment.
    """
    parsed = [m if isinstance(m, EventMetric) else parse_event_metric(m) for m in metrics]
    with store_from(store) as opened:
        users = opened.user_ids()
        events = opened.events(since=since, until=until)
    if events.empty:
        raise InsufficientData(
            "no events in the store (or in the window): nothing to split",
            hint="load a dataset with events.csv, or widen the since/until window",
        )
    start = pd.Timestamp(since) if since is not None else events["at"].min()
    stop = pd.Timestamp(until) if until is not None else events["at"].max() + pd.Timedelta(1, "ms")
    start = start.tz_localize("UTC") if start.tzinfo is None else start
    stop = stop.tz_localize("UTC") if stop.tzinfo is None else stop
    # Every user "assigned" at the window's start, with the window as post period.
    everyone = pd.DataFrame({"user_id": users, "variant": "all", "assigned_at": start})
    days = (stop - start) / pd.Timedelta(days=1)
    derived = experiment_metrics(everyone, events, parsed, post_days=days, pre_days=0)
    results = {
        metric.column: simulate_aa(
            derived.table[metric.column],
            n_simulations=n_simulations,
            test=test,
            alpha=alpha,
            seed=seed,
        )
        for metric in derived.metrics
    }
    return AAReport(
        source="store",
        n_users=len(users),
        window=(start.isoformat(), stop.isoformat()),
        results=results,
        notes=derived.notes,
    )


def aa_from_table(
    path: str | Path,
    *,
    metrics: Sequence[str],
    n_simulations: int = 1000,
    test: MeanTest = "welch",
    alpha: float = 0.05,
    seed: int | None = 0,
) -> AAReport:
    """A/A splits of the metric columns of a per-user table (missing values left out)."""
    frame = read_user_table(path)
    if not metrics:
        raise ParameterError("metrics", "must name at least one column of the table")
    columns = [text.split(":")[0] for text in metrics]
    require_columns(frame, columns, what="metric")
    frame = _check_numbers(frame, columns, str(path))
    notes = []
    results = {}
    for column in columns:
        values = frame[column]
        if values.isna().any():
            notes.append(f"{column}: {int(values.isna().sum())} empty value(s) left out")
        results[column] = simulate_aa(
            values.dropna(), n_simulations=n_simulations, test=test, alpha=alpha, seed=seed
        )
    return AAReport(str(path), len(frame), (None, None), results, tuple(notes))


# ------------------------------------------------------------------------- power


def plan_power(
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
) -> PowerResult:
    """Sample size, power or minimum detectable effect of a two-arm experiment.

    Give all but one of the effect (``delta``, or ``target`` for proportions), ``n``
    and ``power``; the missing one is solved for. When only the effect or only ``n``
    is given, ``power`` defaults to 0.8.
    """
    if kind == "mean":
        if baseline is not None or target is not None:
            raise ParameterError(
                "baseline" if baseline is not None else "target",
                "is for kind 'proportion'; a mean takes delta and sd",
            )
        if power is None and (n is None or delta is None):
            power = 0.8
        return power_t_test(
            n=n,
            delta=delta,
            power=power,
            sd=sd,
            alpha=alpha,
            alternative=alternative,
            strict=strict,
        )
    if kind == "proportion":
        if delta is not None:
            raise ParameterError(
                "delta", "is for kind 'mean'; a proportion takes baseline and target"
            )
        if baseline is None:
            raise ParameterError("baseline", "is needed for kind 'proportion' (the control rate)")
        if power is None and (n is None or target is None):
            power = 0.8
        return power_prop_test(
            p1=baseline,
            p2=target,
            n=n,
            power=power,
            alpha=alpha,
            alternative=alternative,
            strict=strict,
        )
    raise ParameterError("kind", f"{kind!r} is not a kind", hint="choose mean or proportion")


# ------------------------------------------------------------------------- assignment


def users_to_assign(store: StoreSource | None, users_file: str | Path | None) -> list[str]:
    """User ids from a users file (a ``user_id`` column), else every user in the store."""
    if users_file is not None:
        frame = read_user_table(users_file)
        require_columns(frame, ["user_id"], what="user id")
        ids = frame["user_id"].dropna().astype(str)
        if ids.empty:
            raise InsufficientData(f"{users_file}: no user ids")
        return sorted(ids.unique())
    if store is None:
        raise ParameterError("users", "is needed without a store holding users")
    with store_from(store) as opened:
        return opened.user_ids()


DEGREE_BUCKET = "degree_bucket"
"""A stratum name that is not a users column: the user's degree decile in the graph."""


def stratum_labels(
    store: StoreSource | None,
    users_file: str | Path | None,
    user_ids: Sequence[str],
    columns: Sequence[str],
    *,
    spec: SubgraphSpec | None = None,
) -> list[str]:
    """One stratum label per user: the values of ``columns`` joined with ``|``.

    Columns come from the users file (or the store's users table); ``degree_bucket``
    is the user's degree decile in the stored graph.

    Raises
    ------
    ConfigError
        If a column is neither a users column nor ``degree_bucket``.
    """
    if not columns:
        raise ConfigError("strata must name at least one column")
    if users_file is not None:
        table = read_user_table(users_file)
    elif store is not None:
        with store_from(store) as opened:
            table = opened.users_table()
    else:
        raise ConfigError("strata need a users file or a store holding users")
    table = table.assign(user_id=table["user_id"].astype(str)).drop_duplicates("user_id")
    table = table.set_index("user_id")
    if DEGREE_BUCKET in columns:
        if store is None:
            raise ConfigError(
                f"{DEGREE_BUCKET} needs the stored graph", hint="assign the store's users"
            )
        found = graph_feature_table(store, spec, ["degree"])
        degree = found.table.set_index("user_id")["degree"]
        ranks = degree.rank(method="first", pct=True)
        deciles = (ranks * 10).map(math.ceil).clip(1, 10)
        table[DEGREE_BUCKET] = deciles.reindex(table.index).astype("Int64")
    require_columns(table.reset_index(), list(columns), what="strata")
    values = table.reindex([str(u) for u in user_ids])[list(columns)].astype(str)
    return values.agg("|".join, axis=1).tolist()


def assign_users(
    user_ids: Sequence[str],
    experiment: str,
    *,
    variants: Sequence[str],
    weights: Sequence[float] | None = None,
    salt: str = "",
    assigned_at: datetime | pd.Timestamp,
    strata: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The rows of assignments.csv for ``user_ids`` (deterministic salted hashing;
    balanced within each stratum when ``strata`` labels are given, see
    :func:`~graphkit.experiments.assignment.assign_stratified`)."""
    if not experiment.strip():
        raise ConfigError("the experiment name is empty")
    if strata is not None:
        variant = assign_stratified(
            user_ids, strata, experiment, salt=salt, variants=variants, weights=weights
        )
    else:
        variant = assign(user_ids, experiment, salt=salt, variants=variants, weights=weights)
    stamp = pd.Timestamp(assigned_at)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return pd.DataFrame(
        {
            "experiment": experiment,
            "user_id": list(user_ids),
            "variant": variant.to_numpy(),
            "assigned_at": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        columns=ASSIGNMENT_FILE_COLUMNS,
    )


def write_assignments(
    rows: pd.DataFrame, path: str | Path, *, force: bool = False, append: bool = False
) -> pd.DataFrame:
    """Write assignments.csv; ``append`` keeps other experiments' rows of an existing file.

    Returns the table written.
    """
    path = Path(path)
    table = rows
    if path.exists():
        if append:
            existing = pd.read_csv(path, dtype=str, keep_default_na=False)
            require_columns(existing, ASSIGNMENT_FILE_COLUMNS, what="assignments")
            experiment = rows["experiment"].iloc[0] if len(rows) else None
            kept = existing[existing["experiment"] != experiment][ASSIGNMENT_FILE_COLUMNS]
            table = pd.concat([kept, rows], ignore_index=True)
        elif not force:
            raise ParameterError(
                "force",
                f"is off: refusing to overwrite {path}",
                hint="turn force on to overwrite, or append to add this experiment to it",
            )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False, lineterminator="\n")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return table


# ------------------------------------------------------------------------- survival


def survival_from_table(
    path: str | Path,
    *,
    duration_col: str,
    variant_col: str,
    event_col: str | None = None,
    alpha: float = 0.05,
) -> SurvivalComparison:
    """Kaplan–Meier per variant and the log-rank test, from a per-user table."""
    from graphkit.experiments.survival import compare_survival  # lifelines: slow to import

    frame = read_user_table(path)
    columns = [duration_col, variant_col, *([event_col] if event_col else [])]
    require_columns(frame, columns, what="survival")
    numbers = [duration_col, *([event_col] if event_col else [])]
    frame = _check_numbers(frame, numbers, str(path))
    rows = frame.dropna(subset=columns)
    result = compare_survival(
        rows[duration_col],
        rows[event_col] if event_col else None,
        rows[variant_col].astype(str),
        alpha=alpha,
    )
    if len(rows) < len(frame):
        left_out = f"{len(frame) - len(rows)} row(s) with an empty value left out"
        result = replace(result, notes=(left_out, *result.notes))
    return result


def survival_from_store(
    store: StoreSource,
    experiment: str,
    *,
    churn_days: float = DEFAULT_CHURN_DAYS,
    event: str | None = None,
    until: datetime | None = None,
    alpha: float = 0.05,
) -> tuple[SurvivalComparison, pd.DataFrame]:
    """Time to churn per variant of a stored experiment (see :func:`time_to_churn`)."""
    from graphkit.experiments.survival import compare_survival  # lifelines: slow to import

    with store_from(store) as opened:
        assignments = _experiment_assignments(opened, experiment)
        since = assignments["assigned_at"].min()
        events = opened.events(since=since.to_pydatetime(), until=until)
    durations = time_to_churn(
        assignments,
        events,
        churn_days=churn_days,
        event=event,
        until=pd.Timestamp(until) if until is not None else None,
    )
    comparison = compare_survival(
        durations["duration"], durations["churned"], durations["variant"].astype(str), alpha=alpha
    )
    return comparison, durations
