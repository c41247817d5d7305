"""Anomalies in a daily metric: seasonal, robust baselines, and webhook alerts.

Every day ``t`` is judged against a forecast made from the days before it (the day
itself excluded, so an anomaly cannot hide in its own baseline):

1. **Weekly profile.** On the *cleaned* values ``x`` (see 4) of the last
   :data:`FORECAST_DAYS` (56) days, a centred 7-day moving average ``m_s`` (one of each
   weekday, so the weekly cycle cancels) gives the ratios ``x_s / m_s``; the weekday
   factor ``S_w`` is the median ratio of weekday ``w``, rescaled so the seven factors
   average 1 (classical multiplicative decomposition, with medians so one odd week does
   not bend the profile).
2. **Level and forecast.** ``level = mean(x_s / S_w(s))`` over the last 7 days; the
   forecast is ``f_t = level · S_w(t)``.
3. **Spread of forecast errors.** The relative one-step-ahead errors
   ``e_s = y_s / f_s − 1`` of the unflagged days among the ``window`` days before ``t``
   (at least ``min_history`` of them) give the band. Relative, because the noise of a
   count grows with its level (weekends, growth). Both rules centre the band on
   ``expected_t = f_t · (1 + median(e))``:

   * ``sigma`` (robust z): ``f_t · (1 + median(e) ± k · 1.4826 · MAD(e))``, default
     ``k = 3`` (1.4826·MAD estimates the SD of normal errors; R ``mad()``);
   * ``iqr`` (Tukey's fences on the errors): ``[f_t · (1 + Q1(e) − k·IQR(e)),
     f_t · (1 + Q3(e) + k·IQR(e))]``, default ``k = 1.5`` (quartiles by linear
     interpolation, R's type 7).

4. **Flagged days are cleaned.** A day is flagged when its value lies strictly outside
   the band; it is then replaced by its ``expected`` value in the history of later days
   and its error is left out of later spreads, so an outage or a spike neither drags the
   forecast nor widens the band for the weeks after it. A run of more than
   :data:`MAX_CLEANED_RUN` flagged days is taken as a new normal: from then on the raw
   values enter the history, so a lasting level shift stops alerting after a while.

A forecast needs :data:`SEASON_HISTORY` (14) days of history and a day is judged once
``min_history`` earlier days have a forecast error, so with the defaults the first day
judged is the 29th of the data (days before ``since`` are read as history when the
store has them). Days without a value (a CTR without views, an incomplete MAU) are
skipped. Defaults: ``window`` = :data:`DEFAULT_WINDOW` = 56 days,
``min_history`` = :data:`DEFAULT_MIN_HISTORY` = 14. Measured on simulated data, see
the README (Anomaly alerts).

Each flagged day reports its value, the expected value, the band, the direction and the
size: ``change`` = value ÷ expected − 1.

Metrics: ``dau``, ``wau``, ``mau``, ``stickiness``, ``new_users``, ``returning_users``,
``events``, ``sessions``, ``avg_session_length_s``, ``views``, ``likes``, ``clicks``,
``messages``, ``ctr``, or ``event:NAME`` for the daily count of any event.
"""

from __future__ import annotations

import dataclasses
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphkit.engagement.activity import daily_activity
from graphkit.engagement.eventlog import ActivityLog, day_labels
from graphkit.engagement.settings import (
    DAILY_METRICS,
    DEFAULT_K,
    DEFAULT_MIN_HISTORY,
    DEFAULT_WINDOW,
    Rule,
)
from graphkit.errors import ConfigError, GraphkitError, InsufficientData, ParameterError

RULES: tuple[Rule, ...] = ("sigma", "iqr")
SEASON = 7
"""Days in the seasonal cycle (a week)."""
SEASON_HISTORY = 2 * SEASON
FORECAST_DAYS = 8 * SEASON
"""Days of history the forecast reads: eight of each weekday."""
"""Days of history a forecast needs: two of each weekday."""
MAX_CLEANED_RUN = 7
"""Flagged days in a row that are cleaned; longer runs are taken as a new normal."""
MAD_TO_SD = 1.4826
"""1 / Φ⁻¹(3/4): 1.4826·MAD estimates the SD of normal data (R ``mad()``'s constant)."""
EVENT_PREFIX = "event:"
FLAGGED_COLUMNS = ("date", "value", "expected", "low", "high", "direction", "change")
WEBHOOK_TIMEOUT_S = 10.0


class AlertNotDelivered(GraphkitError):
    """The alert webhook could not be reached or refused the alert (exit code 6)."""

    exit_code = 6


@dataclass(frozen=True)
class AnomalyReport:
    """A metric's daily values, its expected band and the flagged days.

    Attributes
    ----------
    metric : str
    rule : {"sigma", "iqr"}
    k : float
        SD multiplier (sigma) or IQR multiplier (iqr).
    window, min_history : int
    series : DataFrame
        One row per day read (history included): ``date``, ``value``, ``forecast`` (the
        seasonal forecast), ``expected`` (the band's centre), ``low``, ``high``,
        ``checked`` (a band existed), ``flagged``, ``direction`` (``"high"``, ``"low"``
        or ``""``), ``change`` (value ÷ expected − 1), ``reported`` (inside the
        reported days).
    notes : tuple of str
    """

    metric: str
    rule: Rule
    k: float
    window: int
    min_history: int
    series: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def flagged(self) -> pd.DataFrame:
        """The flagged days within the reported days."""
        rows = self.series[self.series["flagged"] & self.series["reported"]]
        return rows[list(FLAGGED_COLUMNS)].reset_index(drop=True)

    @property
    def reported(self) -> pd.DataFrame:
        """The reported days (history left out)."""
        return self.series[self.series["reported"]].reset_index(drop=True)


def check_metric(metric: str) -> None:
    """Refuse an unknown metric name before any data is read.

    Raises
    ------
    ConfigError
        If ``metric`` is neither a daily metric nor ``event:NAME``.
    """
    if metric.startswith(EVENT_PREFIX) and len(metric) > len(EVENT_PREFIX):
        return
    if metric not in DAILY_METRICS:
        raise ConfigError(
            f"unknown metric {metric!r}",
            hint=f"use one of {', '.join(DAILY_METRICS)}, or {EVENT_PREFIX}NAME for an event count",
        )


def check_band(rule: str, k: float, window: int, min_history: int) -> None:
    """Refuse bad band parameters before any data is read.

    Raises
    ------
    ConfigError
    """
    if rule not in RULES:
        raise ConfigError(f"unknown rule {rule!r}", hint="use sigma or iqr")
    if not (math.isfinite(k) and k > 0):
        raise ParameterError("k", f"must be a positive number (the band multiplier), got {k}")
    if window < SEASON_HISTORY:
        raise ParameterError(
            "window", f"must be at least {SEASON_HISTORY} days (two of each weekday), got {window}"
        )
    if not 2 <= min_history <= window - SEASON_HISTORY:
        raise ParameterError(
            "min_history",
            f"must be between 2 and window minus {SEASON_HISTORY} "
            f"({window - SEASON_HISTORY}), got {min_history}",
        )


def daily_metric(log: ActivityLog, metric: str, *, ctr_event: str | None = None) -> pd.Series:
    """The daily values of ``metric`` over every day read (history included).

    Returns a float Series indexed by day number (NaN where the metric has no value).

    Raises
    ------
    ConfigError
        If the metric is unknown, or ``event:NAME`` names an event that never occurs.
    """
    check_metric(metric)
    whole = dataclasses.replace(log, first_day=log.data_first_day)
    if metric.startswith(EVENT_PREFIX):
        name = metric[len(EVENT_PREFIX) :]
        if name not in log.event_names:
            raise ConfigError(
                f"no event named {name!r} in the data",
                hint=f"event names seen: {', '.join(log.event_names) or 'none'}",
            )
        counts = log.counts[log.counts["event"] == name].groupby("day")["n"].sum()
        return counts.reindex(whole.days, fill_value=0).astype(float)
    table = daily_activity(whole, ctr_event=ctr_event).table
    return pd.Series(table[metric].to_numpy(dtype=float), index=whole.days)


def weekday_factors(history: np.ndarray, weekdays: np.ndarray) -> np.ndarray:
    """The seven multiplicative weekday factors of ``history`` (mean 1), step 1 of the
    module docstring; a weekday without a usable ratio gets factor 1.

    ``weekdays`` holds each value's weekday (0-6, any fixed origin).

    >>> week = np.array([8.0, 10, 10, 10, 10, 10, 12] * 2)
    >>> weekday_factors(week, np.arange(14) % 7).round(3).tolist()
    [0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.2]
    """
    n = len(history)
    ratios: list[list[float]] = [[] for _ in range(SEASON)]
    half = SEASON // 2
    for i in range(half, n - half):
        around = history[i - half : i + half + 1]
        centre = around.mean()
        if np.isfinite(centre) and centre > 0 and np.isfinite(history[i]):
            ratios[int(weekdays[i])].append(history[i] / centre)
    factors = np.array([float(np.median(r)) if r else 1.0 for r in ratios])
    mean = factors.mean()
    return factors / mean if mean > 0 else np.ones(SEASON)


def seasonal_forecast(history: np.ndarray, weekdays: np.ndarray, weekday: int) -> float:
    """Forecast of the day after ``history`` (weekday ``weekday``), steps 1-2 of the module
    docstring; NaN with fewer than :data:`SEASON_HISTORY` values.

    >>> week = np.array([8.0, 10, 10, 10, 10, 10, 12] * 2)
    >>> round(seasonal_forecast(week, np.arange(14) % 7, 6), 6)  # a Sunday-like day
    12.0
    """
    finite = np.isfinite(history)
    if finite.sum() < SEASON_HISTORY:
        return math.nan
    factors = weekday_factors(history, weekdays)
    recent = history[-SEASON:] / factors[weekdays[-SEASON:]]
    recent = recent[np.isfinite(recent)]
    if recent.size == 0:
        return math.nan
    return float(recent.mean() * factors[weekday])


def band(
    forecast: float, errors: np.ndarray, *, rule: Rule, k: float
) -> tuple[float, float, float]:
    """``(expected, low, high)`` of a day from its forecast and past relative errors
    (step 3 of the module docstring).

    >>> e = np.array([-0.02, 0.01, 0.0, 0.03, -0.01])
    >>> [round(v, 4) for v in band(100.0, e, rule="sigma", k=3)]  # MAD 0.01
    [100.0, 95.5522, 104.4478]
    >>> [round(v, 4) for v in band(100.0, e, rule="iqr", k=1.5)]  # Q1 -0.01, Q3 0.01
    [100.0, 96.0, 104.0]
    """
    centre = float(np.median(errors))
    expected = forecast * (1 + centre)
    if rule == "sigma":
        spread = MAD_TO_SD * float(np.median(np.abs(errors - centre)))
        return expected, forecast * (1 + centre - k * spread), forecast * (1 + centre + k * spread)
    # Linear interpolation between order statistics: R's type 7 (quantile's default).
    q1, q3 = (float(q) for q in np.quantile(errors, [0.25, 0.75]))
    iqr = q3 - q1
    return expected, forecast * (1 + q1 - k * iqr), forecast * (1 + q3 + k * iqr)


def bands(
    values: pd.Series,
    *,
    rule: Rule,
    k: float,
    window: int,
    min_history: int,
    weekdays: np.ndarray | None = None,
) -> pd.DataFrame:
    """Expected value and band of each day (the module docstring's steps 1-4).

    ``values`` is indexed by day number (days since 1970-01-01) unless ``weekdays``
    gives each value's weekday. Returns ``value``, ``forecast``, ``expected``, ``low``,
    ``high``, ``checked`` (a band existed), ``flagged``, ``direction`` (``high``, ``low``
    or ``""``) and ``change`` (value ÷ expected − 1, on checked days).

    >>> v = pd.Series([10.0, 12, 11, 13, 12, 11, 10] * 4 + [30.0])
    >>> b = bands(v, rule="sigma", k=3, window=28, min_history=7)
    >>> bool(b["flagged"].iloc[-1]), int(b["checked"].sum())
    (True, 8)
    """
    check_band(rule, k, window, min_history)
    y = values.to_numpy(dtype=float)
    n = len(y)
    if weekdays is None:
        weekdays = (values.index.to_numpy(dtype=np.int64) + 3) % SEASON  # Monday = 0
    weekdays = np.asarray(weekdays, dtype=np.int64)
    cleaned = y.copy()
    forecast = np.full(n, np.nan)
    errors = np.full(n, np.nan)  # one-step-ahead errors of unflagged days
    expected, low, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    flagged = np.zeros(n, dtype=bool)
    run = 0
    for t in range(n):
        lo = max(0, t - window)
        recent = max(0, t - FORECAST_DAYS)
        f = seasonal_forecast(cleaned[recent:t], weekdays[recent:t], int(weekdays[t]))
        forecast[t] = f
        if not math.isfinite(f):
            continue
        past = errors[lo:t]
        past = past[np.isfinite(past)]
        if past.size >= min_history and math.isfinite(y[t]):
            expected[t], low[t], high[t] = band(f, past, rule=rule, k=k)
            flagged[t] = y[t] < low[t] or y[t] > high[t]
        if flagged[t]:
            run += 1
            if run <= MAX_CLEANED_RUN:
                cleaned[t] = expected[t]
                continue
        else:
            run = 0
        if math.isfinite(y[t]) and f > 0:
            errors[t] = y[t] / f - 1
    checked = np.isfinite(expected)
    above = flagged & (y > high)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(checked & (expected != 0), y / expected - 1.0, np.nan)
    return pd.DataFrame(
        {
            "value": y,
            "forecast": forecast,
            "expected": expected,
            "low": low,
            "high": high,
            "checked": checked,
            "flagged": flagged,
            "direction": np.where(above, "high", np.where(flagged, "low", "")),
            "change": change,
        },
        index=values.index,
    )


def detect_anomalies(
    log: ActivityLog,
    metric: str = "dau",
    *,
    rule: Rule = "sigma",
    k: float | None = None,
    window: int = DEFAULT_WINDOW,
    min_history: int = DEFAULT_MIN_HISTORY,
    ctr_event: str | None = None,
) -> AnomalyReport:
    """Flag the days of ``metric`` outside the band of ``rule`` (see the module docstring).

    Parameters
    ----------
    log : ActivityLog
        Reported days plus, ideally, ``window`` days of history before them.
    metric : str
    rule : {"sigma", "iqr"}
    k : float, optional
        Band multiplier; default 3 for sigma, 1.5 for iqr.
    window, min_history : int
    ctr_event : str, optional
        Numerator of ``ctr``.

    Returns
    -------
    AnomalyReport

    Raises
    ------
    ConfigError
        Unknown metric or rule, bad parameters.
    InsufficientData
        If the reported days hold no event, or no reported day can be judged.
    """
    if rule not in RULES:
        raise ConfigError(f"unknown rule {rule!r}", hint="use sigma or iqr")
    k = DEFAULT_K[rule] if k is None else float(k)
    check_band(rule, k, window, min_history)
    check_metric(metric)
    log.require_events()
    values = daily_metric(log, metric, ctr_event=ctr_event)
    table = bands(values, rule=rule, k=k, window=window, min_history=min_history)
    table.insert(0, "date", day_labels(table.index.to_numpy()))
    table["reported"] = table.index >= log.first_day
    table = table.reset_index(drop=True)
    notes = list(log.notes)
    reported = table[table["reported"]]
    if not reported["checked"].any():
        raise InsufficientData(
            f"no day of {metric} between {reported['date'].iloc[0]} and "
            f"{reported['date'].iloc[-1]} can be judged: a day needs {SEASON_HISTORY} days "
            f"of history and {min_history} earlier forecast errors",
            hint="read more history (an earlier since) or lower min_history",
        )
    unchecked = int((~reported["checked"]).sum())
    if unchecked:
        notes.append(
            f"{unchecked} reported day(s) not judged: no value, or less than "
            f"{SEASON_HISTORY} days of history and {min_history} earlier forecast errors"
        )
    flat = reported["checked"] & (reported["high"] == reported["low"])
    if flat.any():
        notes.append(
            f"{int(flat.sum())} day(s) had a constant baseline: any change from it is flagged"
        )
    return AnomalyReport(
        metric=metric,
        rule=rule,
        k=k,
        window=window,
        min_history=min_history,
        series=table,
        notes=tuple(notes),
    )


# ----------------------------------------------------------------------------- alerts


def describe_day(value: float, expected: float, direction: str, change: float) -> str:
    """One flagged day in words: observed, expected, direction and size.

    >>> describe_day(127.0, 301.5, "low", 127 / 301.5 - 1)
    '127 against 302 expected: low by 58%'
    """
    size = f" by {abs(change):.0%}" if math.isfinite(change) else ""
    return f"{value:,.6g} against {expected:,.0f} expected: {direction}{size}"


def alert_payload(report: AnomalyReport) -> dict[str, Any]:
    """The JSON body posted to a webhook: a Slack-compatible ``text`` plus the details.

    Each flagged day gives ``date``, ``value`` (observed), ``expected``, the band
    ``low``/``high``, ``direction`` and ``change`` (value ÷ expected − 1).
    """
    flagged = report.flagged
    days = [
        {
            "date": str(row["date"]),
            "value": _finite(row["value"]),
            "expected": _finite(row["expected"]),
            "low": _finite(row["low"]),
            "high": _finite(row["high"]),
            "direction": str(row["direction"]),
            "change": _finite(row["change"]),
        }
        for row in flagged.to_dict("records")
    ]
    rule = f"seasonal {report.rule} (k={report.k:g}, window={report.window} days)"
    lines = [
        f"{row['date']}: "
        + describe_day(row["value"], row["expected"], row["direction"], row["change"])
        + f" (band {row['low']:,.6g} to {row['high']:,.6g})"
        for row in flagged.to_dict("records")
    ]
    text = f"graphkit: {len(days)} anomalous day(s) in {report.metric} by the {rule} rule"
    return {
        "source": "graphkit engagement anomalies",
        "metric": report.metric,
        "rule": report.rule,
        "k": report.k,
        "window": report.window,
        "flagged": days,
        "text": text + (":\n" + "\n".join(lines) if lines else ""),
    }


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def post_alert(webhook: str, payload: dict[str, Any], *, timeout: float = WEBHOOK_TIMEOUT_S) -> int:
    """POST ``payload`` as JSON to ``webhook`` (an http or https URL); return the HTTP status.

    Raises
    ------
    ConfigError
        If the URL is not an http(s) URL.
    AlertNotDelivered
        If the server cannot be reached, times out or answers with an error status.
    """
    parts = urllib.parse.urlsplit(webhook)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ParameterError(
            "webhook",
            f"must be an http:// or https:// URL, got {webhook!r}",
            hint="e.g. https://hooks.slack.com/services/...",
        )
    body = json.dumps(payload, sort_keys=True).encode("utf-8")
    request = urllib.request.Request(
        webhook,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "graphkit"},
    )
    where = f"{parts.scheme}://{parts.netloc}"  # never echo a path: webhook paths are secrets
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the open response
        raise AlertNotDelivered(
            f"the webhook at {where} answered HTTP {exc.code}",
            hint="check the webhook URL and that it accepts JSON POSTs",
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AlertNotDelivered(
            f"cannot reach the webhook at {where}: {reason}",
            hint="check the URL and the network; the anomalies were still reported",
        ) from exc
