"""Time-to-event comparison: Kaplan–Meier curves, median survival, log-rank test."""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from graphkit.errors import ConfigError, DataError, InsufficientData
from graphkit.experiments.samples import as_sample

CURVE_COLUMNS = ["group", "time", "survival", "ci_low", "ci_high", "at_risk"]

# R survival's tolerance for "the curve is exactly 0.5": sqrt(.Machine$double.eps).
_TOLERANCE = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True)
class SurvivalComparison:
    """Kaplan–Meier curves per group and a log-rank test across groups.

    Attributes
    ----------
    groups : tuple
        Group labels, sorted.
    n, events : dict
        Units and observed events per group.
    median_survival : dict
        Median time to event per group; None where the curve never drops to 0.5.
    curves : pandas.DataFrame
        One row per group and time, columns ``group, time, survival, ci_low, ci_high,
        at_risk``; a step function starting at time 0 with survival 1, ready to plot.
    test : str or None
        ``"log-rank"``, or None when there is nothing to test.
    chi2, df, p_value : float, int, float or None
        Log-rank statistic, ``groups - 1`` degrees of freedom, p-value.
    alpha : float
        One minus the level of the pointwise curve CIs.
    notes : tuple of str
    """

    groups: tuple[Hashable, ...]
    n: dict[Hashable, int]
    events: dict[Hashable, int]
    median_survival: dict[Hashable, float | None]
    curves: pd.DataFrame
    test: str | None
    chi2: float | None
    df: int | None
    p_value: float | None
    alpha: float
    notes: tuple[str, ...]


def _events(values: npt.ArrayLike | None, size: int) -> npt.NDArray[np.bool_]:
    if values is None:
        return np.ones(size, dtype=bool)
    flags = as_sample(values, name="events")
    if flags.size != size or not np.all((flags == 0) | (flags == 1)):
        raise DataError(
            f"events must hold one 0/1 flag per duration ({size})",
            expected="1 = event observed, 0 = censored",
        )
    return flags == 1


def _median_survival(
    times: npt.NDArray[np.float64], survival: npt.NDArray[np.float64]
) -> float | None:
    """Median of a Kaplan–Meier curve by R's rule (survival 3.x ``findq`` in
    ``quantile.survfit``): the first time S(t) <= 0.5; where S(t) is exactly 0.5 over an
    interval, the midpoint of that interval, which for a curve ending flat at 0.5 runs
    to the last observed time. (lifelines' ``median_survival_time_`` takes the start
    of such an interval.) None when the curve never reaches 0.5.
    """
    cdf = 1 - survival
    first_of_level = np.r_[True, np.diff(cdf) != 0]  # R drops duplicated levels (censors)
    level_times, levels = times[first_of_level], cdf[first_of_level]
    reached = np.flatnonzero(levels + _TOLERANCE >= 0.5)
    if reached.size == 0:
        return None
    passed = np.flatnonzero(levels - _TOLERANCE >= 0.5)
    end = level_times[passed[0]] if passed.size else times[-1]
    return float((level_times[reached[0]] + end) / 2)


def compare_survival(
    durations: npt.ArrayLike,
    events: npt.ArrayLike | None,
    groups: npt.ArrayLike,
    *,
    alpha: float = 0.05,
) -> SurvivalComparison:
    """Kaplan–Meier estimate per group, median survival and a log-rank test.

    Generic over what "survival" means: time to churn per variant, time to an
    "aha" action per segment...

    Parameters
    ----------
    durations : array-like
        Time from start to event or censoring, >= 0.
    events : array-like or None
        1 if the event was observed, 0 if censored; None means every event observed.
    groups : array-like
        Group label per unit (variant, segment); two or more groups get a log-rank test.
    alpha : float
        Curve CIs are pointwise ``1 - alpha``.

    Returns
    -------
    SurvivalComparison

    Raises
    ------
    DataError
        If lengths differ, durations are negative or missing, events are not 0/1, or
        a group label is missing.
    InsufficientData
        If there are no units.

    Notes
    -----
    Curves from lifelines ``KaplanMeierFitter`` (CIs by the exponential Greenwood
    formula, i.e. on log(-log S); R ``survfit``'s default is ``conf.type = "log"``).
    The median follows R ``survfit``: the first time S(t) <= 0.5, or the midpoint of
    the interval where S(t) equals 0.5 exactly. The test is lifelines ``multivariate_logrank_test``,
    equal to R ``survival::survdiff``.

    Examples
    --------
    >>> r = compare_survival([2, 3, 5, 6, 8, 1, 1, 2, 3, 4], None, ["a"] * 5 + ["b"] * 5)
    >>> r.median_survival, r.df
    ({'a': 5.0, 'b': 2.0}, 1)
    """
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be between 0 and 1, got {alpha}")
    times = as_sample(durations, name="durations")
    if np.any(times < 0):
        raise DataError("durations must be >= 0", expected="time since start")
    observed = _events(events, times.size)
    labels = pd.Series(np.asarray(groups, dtype=object))
    if labels.size != times.size:
        raise DataError(f"{labels.size} group labels for {times.size} durations")
    if labels.isna().any():
        raise DataError(f"{int(labels.isna().sum())} unit(s) have no group label")
    if times.size == 0:
        raise InsufficientData("no units: nothing to estimate")

    # lifelines takes ~0.8 s to import: only commands that fit curves should pay for it.
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    group_labels = tuple(pd.Index(labels.unique()).sort_values().tolist())
    notes: list[str] = []
    curves = []
    n: dict[Hashable, int] = {}
    event_counts: dict[Hashable, int] = {}
    medians: dict[Hashable, float | None] = {}
    for label in group_labels:
        member = (labels == label).to_numpy()
        fitter = KaplanMeierFitter(alpha=alpha).fit(times[member], observed[member], label="km")
        interval = fitter.confidence_interval_survival_function_
        curves.append(
            pd.DataFrame(
                {
                    "group": label,
                    "time": fitter.survival_function_.index.to_numpy(dtype=float),
                    "survival": fitter.survival_function_["km"].to_numpy(),
                    "ci_low": interval.iloc[:, 0].to_numpy(),
                    "ci_high": interval.iloc[:, 1].to_numpy(),
                    "at_risk": fitter.event_table["at_risk"].to_numpy(dtype=int),
                }
            )
        )
        n[label] = int(member.sum())
        event_counts[label] = int(observed[member].sum())
        medians[label] = _median_survival(
            fitter.survival_function_.index.to_numpy(dtype=float),
            fitter.survival_function_["km"].to_numpy(),
        )
        if medians[label] is None:
            notes.append(f"median survival not reached in group {label!r}")

    result_test: str | None = None
    chi2: float | None = None
    df: int | None = None
    p_value: float | None = None
    if len(group_labels) < 2:
        notes.append("only one group: no log-rank test")
    elif not observed.any():
        notes.append("no events observed: the log-rank test is undefined")
    else:
        logrank = multivariate_logrank_test(times, labels.to_numpy(), observed)
        result_test = "log-rank"
        chi2 = float(logrank.test_statistic)
        df = int(logrank.degrees_of_freedom)
        p_value = float(logrank.p_value)
    return SurvivalComparison(
        groups=group_labels,
        n=n,
        events=event_counts,
        median_survival=medians,
        curves=pd.concat(curves, ignore_index=True)[CURVE_COLUMNS],
        test=result_test,
        chi2=chi2,
        df=df,
        p_value=p_value,
        alpha=alpha,
        notes=tuple(notes),
    )
