"""The ``graphkit engagement`` commands as functions: same names, same results.

Each takes an opened store first, then a settings object from
:mod:`graphkit.engagement.settings` or its fields as keyword options (checked once, a
:class:`~graphkit.errors.ParameterError` naming the parameter), and returns a frozen
result whose ``to_dict()`` is the command's ``--format json`` and ``to_frame()`` its
CSV rows (:mod:`graphkit.engagement.results`)::

    from contextlib import closing
    from graphkit import engagement, open_store, resolve_settings

    with closing(open_store(resolve_settings())) as store:
        result = engagement.retention(store, days=(1, 7), by="country")
    result.to_frame()
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

from graphkit.engagement.settings import (
    AhaSettings,
    AnomaliesSettings,
    MetricsSettings,
    PositionSettings,
    RetentionSettings,
)
from graphkit.errors import ParameterError

if TYPE_CHECKING:
    from graphkit.engagement.results import (
        AhaMomentResult,
        AnomaliesResult,
        MetricsResult,
        PositionResult,
        RetentionResult,
    )
    from graphkit.store.base import GraphStore, ProgressCallback

S = TypeVar("S")


def _settings(kind: type[S], settings: S | None, options: dict[str, Any]) -> S:
    """``settings`` as given, else built (and checked) from the keyword options."""
    if settings is None:
        known = {f.name for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
        unknown = sorted(set(options) - known)
        if unknown:
            raise ParameterError(
                unknown[0], "is not an option here", hint=f"options: {', '.join(sorted(known))}"
            )
        return kind(**options)
    if options:
        raise ParameterError(
            "settings", f"is given, so {', '.join(sorted(options))} cannot be given too"
        )
    if not isinstance(settings, kind):
        raise ParameterError(
            "settings", f"must be a {kind.__name__}, got {type(settings).__name__}"
        )
    return settings


def metrics(
    store: GraphStore,
    settings: MetricsSettings | None = None,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> MetricsResult:
    """DAU/WAU/MAU, stickiness, CTR, sessions and an engagement score per user.

    Parameters
    ----------
    store : GraphStore
        An opened store holding events (``graphkit load`` with events.csv).
    settings : MetricsSettings, optional
        Or its fields as keyword options: ``since``, ``until``, ``ctr_event``,
        ``weights``, ``transform``, ``table``, ``top``.
    progress : callable, optional
        Called as ``progress(stage, done, total)`` while events are read.

    Returns
    -------
    MetricsResult

    Raises
    ------
    ParameterError
        A bad option (named).
    InsufficientData
        No events in the reported days.

    Examples
    --------
    >>> from graphkit.engagement.settings import MetricsSettings
    >>> MetricsSettings(top=0)
    Traceback (most recent call last):
    ...
    graphkit.errors.ParameterError: top must be at least 1, got 0
    """
    from graphkit.engagement.results import MetricsResult
    from graphkit.workflows.engagement import engagement_metrics

    chosen = _settings(MetricsSettings, settings, options)
    return MetricsResult(engagement_metrics(store, chosen, progress=progress), chosen)


def retention(
    store: GraphStore,
    settings: RetentionSettings | None = None,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> RetentionResult:
    """N-day retention by weekly signup cohort, optionally by a user or graph segment.

    Options (or a :class:`~graphkit.engagement.settings.RetentionSettings`): ``since``,
    ``until``, ``days``, ``period``, ``weeks``, ``by``, ``cohorts``, ``features_path``,
    ``long``. Segmenting by a graph feature reads ``features_path``, else features
    written back to the store, else computes them now (a note says which).

    Examples
    --------
    >>> from graphkit.engagement.settings import RetentionSettings
    >>> RetentionSettings(period="month")
    Traceback (most recent call last):
    ...
    graphkit.errors.ParameterError: period must be one of day, week, got 'month'
    """
    from graphkit.engagement.results import RetentionResult
    from graphkit.workflows.engagement import engagement_retention

    chosen = _settings(RetentionSettings, settings, options)
    table, sources = engagement_retention(store, chosen, progress=progress)
    return RetentionResult(table, chosen, sources)


def anomalies(
    store: GraphStore,
    settings: AnomaliesSettings | None = None,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> AnomaliesResult:
    """Flag anomalous days of a daily metric against a weekly-seasonal forecast.

    Options (or an :class:`~graphkit.engagement.settings.AnomaliesSettings`): ``metric``,
    ``rule``, ``k``, ``window``, ``min_history``, ``since``, ``until``, ``ctr_event``,
    ``all_days``. To alert, pass the result to
    :func:`graphkit.workflows.engagement.post_anomaly_alert` with a webhook URL.

    Examples
    --------
    >>> from graphkit.engagement.settings import AnomaliesSettings
    >>> AnomaliesSettings(rule="iqr").band_k
    1.5
    """
    from graphkit.engagement.results import AnomaliesResult
    from graphkit.workflows.engagement import engagement_anomalies

    chosen = _settings(AnomaliesSettings, settings, options)
    return AnomaliesResult(engagement_anomalies(store, chosen, progress=progress), chosen)


def aha(
    store: GraphStore,
    settings: AhaSettings | None = None,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> AhaMomentResult:
    """Find the aha moment ("10 friends in 7 days") and follow it up with survival curves.

    Options (or an :class:`~graphkit.engagement.settings.AhaSettings`): ``action``,
    ``action_days``, ``retention_day``, ``retention_window``, ``max_k``, ``min_users``,
    ``churn_gap``, ``types``, ``since``, ``until``. A correlation, not a cause: the
    result says so and suggests the experiment.

    Examples
    --------
    >>> from graphkit.engagement.settings import AhaSettings
    >>> AhaSettings(action_days=7, retention_day=3)
    Traceback (most recent call last):
    ...
    graphkit.errors.ParameterError: retention_day (3) must not come before the end of the action window (action_days 7)
    """  # noqa: E501 (a doctest's output is one line)
    from graphkit.engagement.results import AhaMomentResult
    from graphkit.workflows.engagement import engagement_aha

    chosen = _settings(AhaSettings, settings, options)
    return AhaMomentResult(engagement_aha(store, chosen, progress=progress), chosen)


def position(
    store: GraphStore,
    settings: PositionSettings | None = None,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> PositionResult:
    """Correlate the engagement score with graph position (degree, PageRank, community).

    Options (or a :class:`~graphkit.engagement.settings.PositionSettings`): ``since``,
    ``until``, ``weights``, ``transform``, ``features_path``.

    Examples
    --------
    >>> from graphkit.engagement.settings import PositionSettings
    >>> PositionSettings(weights={"joy": 1.0})
    Traceback (most recent call last):
    ...
    graphkit.errors.ParameterError: weights names unknown engagement component(s): joy
    """
    from graphkit.engagement.results import PositionResult
    from graphkit.workflows.engagement import engagement_position

    chosen = _settings(PositionSettings, settings, options)
    position, sources = engagement_position(store, chosen, progress=progress)
    return PositionResult(position, chosen, sources)
